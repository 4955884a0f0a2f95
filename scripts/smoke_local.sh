#!/usr/bin/env bash
# The post-deploy smoke test (scripts/smoke.sh) against a local stack of the real function
# binaries (`make smoke`, part of `make test`), so that the script operators run after a deploy is
# itself tested on every change.
#
#   scripts/smoke_local.sh        (needs `make deps build` first: it builds nothing)
#
# It starts the stack on a free port, mints an admin token for a fresh tenant, starts a loopback
# webhook receiver that answers 204 (so the channel and post steps run rather than skip), runs
# scripts/smoke.sh, and stops everything on exit. The stack's log is left in target/smoke/.
#
# Optional: OFAUTO_BIN_DIR (default target/debug), OFAUTO_READY_TIMEOUT (seconds for the stack to
# start, default 90), PYTHON.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
BIN_DIR=${OFAUTO_BIN_DIR:-target/debug}
READY_TIMEOUT=${OFAUTO_READY_TIMEOUT:-90}
LOG_DIR=target/smoke

log() { echo "smoke_local.sh: $*" >&2; }

for bin in ofauto-local ofauto-token; do
    if [[ ! -x $BIN_DIR/$bin ]]; then
        log "$BIN_DIR/$bin is missing: run \`make build\` first"
        exit 1
    fi
done

mkdir -p "$LOG_DIR"
stack_log=$LOG_DIR/stack.log
# shellcheck source=scripts/lib/local_stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/local_stack.sh"
receiver_log=$LOG_DIR/receiver.log
state_dir=$(mktemp -d "${TMPDIR:-/tmp}/ofauto-smoke-local.XXXXXX")
receiver_pid=

# shellcheck disable=SC2317 # reached through the trap
stop_all() {
    local status=$?
    if [[ -n $receiver_pid ]]; then
        kill -TERM "$receiver_pid" 2>/dev/null || true
        wait "$receiver_pid" 2>/dev/null || true
    fi
    stop_local_stack
    exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$SECONDS

# --- the receiver ------------------------------------------------------------------------------
# Any 2xx counts as delivered; verifying signatures is the integration tests' job, not a smoke
# test's. It binds port 0 and reports the port it got through a file.
port_file=$state_dir/receiver.port
"$PYTHON" - "$port_file" >"$receiver_log" 2>&1 <<'EOF' &
import http.server, sys

class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(204)
        self.end_headers()
        print("delivery", self.headers.get("webhook-id"), flush=True)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_port))
import os
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
EOF
receiver_pid=$!

# --- the stack ---------------------------------------------------------------------------------
start_local_stack

for _ in $(seq 50); do
    [[ -s $port_file ]] && break
    sleep 0.1
done
if [[ ! -s $port_file ]]; then
    log "the receiver did not start; its log ($receiver_log):"
    cat "$receiver_log" >&2 || true
    exit 1
fi
receiver="http://127.0.0.1:$(cat "$port_file")/hooks"
log "stack ready at $api after $((SECONDS - started)) s; receiver at $receiver"

# A fresh tenant, so that the run starts from nothing; admin, for the channel steps.
tenant="smoke-$(date -u +%Y%m%dT%H%M%S)-$$"
OFAUTO_TOKEN=$("$BIN_DIR/ofauto-token" --state-dir "$state_dir" --tenant "$tenant" --role admin)
export OFAUTO_TOKEN

# --- the run -----------------------------------------------------------------------------------
# The stack's pipe ends are closed for the child, so that nothing it leaves behind holds the stack
# up at shutdown. The token travels in OFAUTO_TOKEN, not on the command line.
status=0
SMOKE_CHANNEL_URL=$receiver bash scripts/smoke.sh "$api" {stack_in}>&- {stack_out}<&- || status=$?
deliveries=$(grep -c '^delivery ' "$receiver_log" || true)
log "the receiver took $deliveries deliveries; $((SECONDS - started)) s in all"
if ((status != 0)); then
    log "FAILED; the stack's log is in $stack_log"
fi
exit "$status"
