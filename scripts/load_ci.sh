#!/usr/bin/env bash
# A short event-service load profile against a local stack of its own (`make load-ci`, part of
# `make test`), so that load/ is built and run on every change and a slowdown of 2x fails.
#
#   scripts/load_ci.sh        (needs `make deps build load-build` first: it builds nothing)
#
# It starts the stack from target/debug on a free port, warms it up (5 s, unjudged), runs 20 users
# for 20 s with the seed's think time scaled down, and stops the stack.
# The report and summary are in target/load/ci/, the stack's log in target/load/ci/stack.log.
#
# Optional: OFAUTO_BIN_DIR (default target/debug), OFAUTO_READY_TIMEOUT (default 90), PYTHON,
# LOAD_ARGS (extra ofauto-load flags, e.g. to measure without thresholds).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
BIN_DIR=${OFAUTO_BIN_DIR:-target/debug}
READY_TIMEOUT=${OFAUTO_READY_TIMEOUT:-90}
OUT_DIR=target/load/ci

# --- the thresholds ------------------------------------------------------------------------------
# Measured with this script on 2026-12-01, 20 users, think 100-500 ms, debug stack (dependencies
# optimised, leased rate limiting), on the 2-core machine running nothing but `make test`
# (other processes 3 % of the machine): 66 req/s, p50 8.9 ms, p95 30 ms, p99 47 ms, no errors.
# Earlier runs with four other jobs building and running browsers beside it (load average 9-20,
# others taking 55 % of the machine) measured p95 366-2179 ms: queueing on a saturated machine
# is not linear, which is why ofauto-load --contention-scaled multiplies the limits by
# 1 / (1 - the share other processes took) and, over 67 %, judges only errors.
# The limits are set from the quiet run: p95 80 ms and p99 160 ms, 2.7x and 3.4x what it
# measured, so a stack that got 3x slower fails here while scheduling noise on an otherwise idle
# machine does not. Re-measure with LOAD_CI_P95_MS=100000 and read target/load/ci/summary.json.
P95_LIMIT_MS=${LOAD_CI_P95_MS:-80}
P99_LIMIT_MS=${LOAD_CI_P99_MS:-160}
ERROR_LIMIT_PCT=${LOAD_CI_ERROR_PCT:-1}

log() { echo "load_ci.sh: $*" >&2; }

for bin in ofauto-local ofauto-token; do
    if [[ ! -x $BIN_DIR/$bin ]]; then
        log "$BIN_DIR/$bin is missing: run \`make build\` first"
        exit 1
    fi
done

if [[ ! -x load/target/release/ofauto-load ]]; then
    log "load/target/release/ofauto-load is missing: run \`make load-build\` first"
    exit 1
fi

mkdir -p "$OUT_DIR"
stack_log=$OUT_DIR/stack.log
state_dir=$(mktemp -d "${TMPDIR:-/tmp}/ofauto-load-ci.XXXXXX")
# shellcheck source=scripts/lib/local_stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/local_stack.sh"
trap stop_local_stack EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting a local stack from $BIN_DIR"
started=$SECONDS
start_local_stack
log "stack ready at $api after $((SECONDS - started)) s; 20 users for 20 s (limits for an idle machine: p95 ${P95_LIMIT_MS} ms, p99 ${P99_LIMIT_MS} ms, errors ${ERROR_LIMIT_PCT} %)"

# The same 20 users for 5 s first, unjudged: the stack starts its function processes on demand,
# and their first requests (cold starts, up to 4 s each in one `make test` run, 2026-12-03, right
# after the side lane's builds) are not what the limits below are about. Lambda's own cold starts
# are measured by `make bench`.
load/target/release/ofauto-load --profile event-service --host "$api" \
    --users 20 --tenants 10 --run-time 5 --think-scale 0.2 --max-requests 5000 \
    --state-dir "$state_dir" --token-bin "$BIN_DIR/ofauto-token" --out-dir "$OUT_DIR/warm-up" \
    --stack-pid "$stack_pid" --p95-ms 3600000 --p99-ms 3600000 --max-error-pct 100 \
    {stack_in}>&- {stack_out}<&- >"$OUT_DIR/warm-up.log" 2>&1 ||
    log "the warm-up run failed (see $OUT_DIR/warm-up.log); measuring anyway"
log "warmed up: $(grep -m1 '^all requests' "$OUT_DIR/warm-up.log" || echo 'no summary') "

# shellcheck disable=SC2206 # LOAD_ARGS is a list of flags, split on purpose
extra=(${LOAD_ARGS:-})
status=0
load/target/release/ofauto-load --profile event-service --host "$api" \
    --users 20 --tenants 10 --run-time 20 --think-scale 0.2 --max-requests 20000 \
    --state-dir "$state_dir" --token-bin "$BIN_DIR/ofauto-token" --out-dir "$OUT_DIR" \
    --stack-pid "$stack_pid" --contention-scaled \
    --p95-ms "$P95_LIMIT_MS" --p99-ms "$P99_LIMIT_MS" --max-error-pct "$ERROR_LIMIT_PCT" \
    "${extra[@]}" {stack_in}>&- {stack_out}<&- || status=$?
if ((status != 0)); then
    log "FAILED (exit $status); the stack's log is in $stack_log"
fi
log "$((SECONDS - started)) s in all"
exit "$status"
