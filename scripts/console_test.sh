#!/usr/bin/env bash
# The console in a real browser (`make console-test`, part of `make test`): Debian's Chromium
# driven by Playwright (playwright-core, no browser download) against a local stack of the real
# function binaries that this script starts on a free port and stops on exit.
#
#   scripts/console_test.sh        (needs `make deps build` first: it builds no Rust)
#
# It runs, in order: the end-to-end scenario (admin: channel, post published live, cron
# automation with its DST preview, run now), roles (viewer), axe-core and keyboard checks on
# every page, screenshots at desktop and phone widths (target/console/screenshots/), and
# Lighthouse on every page, desktop and mobile (mobile's CPU slowdown set from the host's
# benchmarkIndex so that it emulates a mid-tier phone), failing below 98 in any category. The stack's
# log and the Lighthouse reports are left in target/console/.
#
# Optional: OFAUTO_BIN_DIR (default target/debug), OFAUTO_READY_TIMEOUT (default 90), PYTHON,
# CONSOLE_TESTS (a space-separated subset of: e2e roles a11y screenshots lighthouse).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
BIN_DIR=${OFAUTO_BIN_DIR:-target/debug}
READY_TIMEOUT=${OFAUTO_READY_TIMEOUT:-90}
OUT_DIR=target/console

log() { echo "console_test.sh: $*" >&2; }

# --- Chromium, from Debian ---------------------------------------------------------------------
if ! command -v chromium >/dev/null; then
    log "installing Debian's chromium (one-off)"
    sudo=()
    if [[ $(id -u) != 0 ]]; then sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null
fi
CHROMIUM=$(command -v chromium)

for bin in ofauto-local ofauto-token; do
    if [[ ! -x $BIN_DIR/$bin ]]; then
        log "$BIN_DIR/$bin is missing: run \`make build\` first"
        exit 1
    fi
done

# --- the console -------------------------------------------------------------------------------
bash scripts/console_build.sh

rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR/screenshots" "$OUT_DIR/lighthouse"
stack_log=$OUT_DIR/stack.log

# --- the stack ---------------------------------------------------------------------------------
# shellcheck source=scripts/lib/local_stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/local_stack.sh"
state_dir=$(mktemp -d "${TMPDIR:-/tmp}/ofauto-console.XXXXXX")

# shellcheck disable=SC2317 # reached through the trap
stop_all() {
    local status=$?
    stop_local_stack
    exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


started=$SECONDS
start_local_stack
log "stack ready at $api after $((SECONDS - started)) s"

# --- the tests ---------------------------------------------------------------------------------
# The stack's pipe ends are closed for the child, so that nothing it leaves behind holds the
# stack up at shutdown.
status=0
CONSOLE_API=$api CHROMIUM_PATH=$CHROMIUM CONSOLE_OUT=$(pwd)/$OUT_DIR CONSOLE_TESTS=${CONSOLE_TESTS:-} \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    node console/tests/run.mjs {stack_in}>&- {stack_out}<&- || status=$?
log "$((SECONDS - started)) s in all"
if ((status != 0)); then
    log "FAILED; the stack's log is in $stack_log"
fi
exit "$status"
