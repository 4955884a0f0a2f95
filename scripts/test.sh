#!/usr/bin/env bash
# `make test`: every check CI runs, in two lanes.
#
#   main lane: lint-workspace, unit, integration; then, after the side lane has finished,
#              smoke, load-ci, console-test, fuzz, one at a time
#   side lane: offline-checks, lint-load, load-build, console, fuzz-deps, at nice 19
#
# Why two lanes: the main lane's first half is either compiling (both cores busy) or running the
# black-box suites, which spend most of their time waiting for scheduled instants (the
# contention suite left the machine about 90 % idle for most of its 9-10 min). The side lane's
# work needs no debug build and no stack: Terraform, workflow and licence checks, load/'s lint and
# release build, the console's npm install and build, schemathesis's install. At nice 19 it takes
# only the cycles the main lane leaves, so it costs the main lane next to nothing, and about
# 5 min of CPU leave the critical path. The lanes write to different folders (target/ against
# load/target, console/, .venv-*, .tools), so they never wait on each other's locks.
#
# The side lane must be done before the stages that measure speed (load-ci, Lighthouse) start, so
# the main lane waits for it there. Its output is kept in target/test/side-lane.log and printed at
# that point, in one piece. A failure in either lane fails the run; a failure in the main lane
# stops the side lane too.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MAKE_CMD=${MAKE:-make}
LOG_DIR=target/test
SIDE_LOG=$LOG_DIR/side-lane.log

log() { echo "test.sh: $*" >&2; }

mkdir -p "$LOG_DIR"
started=$SECONDS

# setsid: the side lane gets a process group of its own, so that stopping it stops every process
# it started (make, cargo, rustc, npm, python).
setsid nice -n 19 "$MAKE_CMD" --no-print-directory side-lane >"$SIDE_LOG" 2>&1 &
side_pid=$!
side_running=1

stop_side_lane() {
    if ((side_running)); then
        log "stopping the side lane (its output so far is in $SIDE_LOG)"
        kill -TERM -- "-$side_pid" 2>/dev/null || true
        wait "$side_pid" 2>/dev/null || true
        side_running=0
    fi
}
trap stop_side_lane EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "side lane started (nice 19; output in $SIDE_LOG)"

"$MAKE_CMD" --no-print-directory lint-workspace unit integration
log "main lane's first half passed after $((SECONDS - started)) s"

waited=$SECONDS
side_status=0
wait "$side_pid" || side_status=$?
side_running=0
log "side lane's output (it ended $((SECONDS - waited)) s after the main lane's first half):"
cat "$SIDE_LOG" >&2
if ((side_status != 0)); then
    log "the side lane failed (exit $side_status): see its output above"
    exit "$side_status"
fi

"$MAKE_CMD" --no-print-directory smoke load-ci console-test fuzz
log "all stages passed after $((SECONDS - started)) s"
