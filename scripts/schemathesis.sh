#!/usr/bin/env bash
# Property-based API testing with schemathesis: every operation of openapi.json, against a local
# stack of the real Lambda binaries that this script starts on a free port and stops on exit.
#
#   scripts/schemathesis.sh        (`make fuzz`; needs `make deps build` first: it builds nothing)
#
# schemathesis is installed on first use, or when the pins change, into .venv-schemathesis
# (gitignored via /.venv*) from scripts/requirements-schemathesis.txt. Its settings are in
# scripts/schemathesis.toml, its hooks and the project's own checks in
# scripts/schemathesis_hooks.py. Exits non-zero on any failed check or error; reports (JUnit,
# JSON, HAR, NDJSON) and the stack's log are left in target/schemathesis/. The last line sums up.
#
# Optional: SCHEMATHESIS_SEED, SCHEMATHESIS_MAX_EXAMPLES, SCHEMATHESIS_TIMEOUT (seconds for the
# schemathesis run itself, default 420), OFAUTO_READY_TIMEOUT (seconds for the stack to start,
# default 90), OFAUTO_BIN_DIR (default target/debug), PYTHON.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv-schemathesis
REQUIREMENTS=scripts/requirements-schemathesis.txt
BIN_DIR=${OFAUTO_BIN_DIR:-target/debug}
REPORT_DIR=target/schemathesis
SEED=${SCHEMATHESIS_SEED:-20260601}
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-150}
RUN_TIMEOUT=${SCHEMATHESIS_TIMEOUT:-420}
READY_TIMEOUT=${OFAUTO_READY_TIMEOUT:-90}
# The checks that run are chosen in scripts/schemathesis.toml (not with --checks: a command-line
# choice would override the per-operation settings there).

log() { echo "schemathesis.sh: $*" >&2; }

# --- install (one-off) -------------------------------------------------------------------------
if [[ ! -x $VENV/bin/st ]] || ! cmp -s "$REQUIREMENTS" "$VENV/.installed"; then
    log "installing schemathesis into $VENV/ (one-off)"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/.installed"
fi

for bin in ofauto-local ofauto-token; do
    if [[ ! -x $BIN_DIR/$bin ]]; then
        log "$BIN_DIR/$bin is missing: run \`make build\` first"
        exit 1
    fi
done

rm -rf "$REPORT_DIR"
mkdir -p "$REPORT_DIR"
# Hypothesis's own caches (Unicode tables, constants), out of the work tree.
export HYPOTHESIS_STORAGE_DIRECTORY=target/hypothesis
stack_log=$REPORT_DIR/stack.log

# --- the stack ---------------------------------------------------------------------------------
# shellcheck source=scripts/lib/local_stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/local_stack.sh"
state_dir=$(mktemp -d "${TMPDIR:-/tmp}/ofauto-schemathesis.XXXXXX")
st_pid=

# shellcheck disable=SC2317 # reached through the trap
stop_stack() {
    local status=$?
    if [[ -n $st_pid ]]; then
        kill -TERM "$st_pid" 2>/dev/null || true # timeout passes it on to schemathesis
        wait "$st_pid" 2>/dev/null || true
    fi
    stop_local_stack
    exit "$status"
}
trap stop_stack EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_local_stack
log "stack ready at $api"

# A fresh tenant, so nothing from an earlier run is listed or counted, in the `bulk` tier: the
# fuzzer wants volume, not the default 50/s limit. An admin, since channel writes need that role
# (it holds the editor's and viewer's permissions too; each route's role check has unit tests).
# scripts/schemathesis.toml hands the token to the document's `bearer` scheme; the hooks use it
# and the address to keep a channel for the posts they steer.
tenant="schemathesis-$(date -u +%Y%m%dT%H%M%S)-$$"
OFAUTO_SCHEMATHESIS_TOKEN=$("$BIN_DIR/ofauto-token" --state-dir "$state_dir" --tenant "$tenant" --role admin --tier bulk)
OFAUTO_SCHEMATHESIS_API=$api
export OFAUTO_SCHEMATHESIS_TOKEN OFAUTO_SCHEMATHESIS_API

# --- the run -----------------------------------------------------------------------------------
# One worker: the order of requests, and so the state each one meets, is the same on every run.
st_args=(
    --config-file scripts/schemathesis.toml
    run openapi.json
    --url "$api"
    --phases "examples,coverage,fuzzing,stateful"
    --max-examples "$MAX_EXAMPLES"
    --seed "$SEED"
    --workers 1
    --request-timeout 15
    --generation-database none
    --report "junit,json,har,ndjson"
    --report-junit-path "$REPORT_DIR/junit.xml"
    --report-json-path "$REPORT_DIR/report.json"
    --report-har-path "$REPORT_DIR/network.har"
    --report-ndjson-path "$REPORT_DIR/events.ndjson"
    --no-color
)
echo "+ st ${st_args[*]}" >&2
started=$SECONDS
st_status=0
# In the background and waited for, so that Ctrl-C or SIGTERM reaches the traps at once.
timeout --kill-after=15 "$RUN_TIMEOUT" "$VENV/bin/st" "${st_args[@]}" {stack_in}>&- {stack_out}<&- &
st_pid=$!
wait "$st_pid" || st_status=$?
st_pid=
elapsed=$((SECONDS - started))
if ((st_status == 124 || st_status == 137)); then
    log "schemathesis did not finish within ${RUN_TIMEOUT}s"
fi

# --- summary -----------------------------------------------------------------------------------
# The line sums up the reports; it fails too when they show any failure, error or untested operation.
summary_status=0
summary=$("$PYTHON" - "$REPORT_DIR" "$elapsed" <<'EOF'
import collections, json, pathlib, sys

reports, elapsed = pathlib.Path(sys.argv[1]), sys.argv[2]
try:
    report = json.loads((reports / "report.json").read_text())
    events = (reports / "events.ndjson").read_text().splitlines()
except (OSError, ValueError) as e:
    print(f"schemathesis: no complete report in {reports} ({e})")
    sys.exit(1)
cases, requests = collections.Counter(), 0
for line in events:
    event = json.loads(line).get("ScenarioFinished")
    if event:
        cases[event["phase"]] += len(event["recorder"].get("cases", {}))
        requests += len(event["recorder"].get("interactions", {}))
operations = report["operations"] or {"tested": 0, "total": "?"}
failures = sum(group["count"] for group in report["failures"])
errors = sum(group["count"] for group in report["errors"])
phases = ", ".join(f"{phase} {n}" for phase, n in cases.items() if n)
print(
    f"schemathesis: {operations['tested']}/{operations['total']} operations, "
    f"{sum(cases.values())} examples ({phases}), {requests} requests, "
    f"{failures} failures, {errors} errors, {elapsed} s"
)
sys.exit(1 if failures or errors or operations["tested"] != operations["total"] else 0)
EOF
) || summary_status=$?
if ((st_status != 0 || summary_status != 0)); then
    log "FAILED; the reports and the stack's log are in $REPORT_DIR/"
fi
echo "$summary"
if ((st_status != 0)); then
    exit "$st_status"
fi
exit "$summary_status"
