#!/usr/bin/env bash
# `make test`: every check CI runs, in two lanes.
#
#   main lane: unit, integration, smoke, fuzz; then, once the side lane has finished, load-ci
#              and console-test; one at a time
#   side lane: lint-workspace (clippy, in target/clippy), lint-load, offline-checks, load-build
#              and console, two at a time, at the lowest CPU priority
#
# Why two lanes: the main lane's first half is either compiling (both cores busy) or running the
# black-box suites, which spend most of their time waiting for scheduled instants (the
# contention suite leaves the machine over 90 % idle for most of its 9-10 min). The side lane's
# work needs no debug build and no stack; clippy alone is about 9 min of both cores. At the
# lowest priority it takes only the cycles the main lane leaves idle. It runs two jobs at a time
# because most of its jobs (checkov, terraform test, zizmor) use one core, and the black-box
# suites leave both idle.
# The lanes use different folders (target/ against target/clippy, load/target, console/,
# .venv-*, .tools), so neither waits on the other's locks.
#
# The lowest priority is nice 19 inside an autogroup of nice 19. Linux groups a session's
# processes into an autogroup and shares the CPU between autogroups first, so the side lane,
# which runs in a session of its own (setsid, so that it can be stopped as a whole), would
# otherwise get half the machine whatever its nice: a first try ran that way, and the unit
# tests' build took 11 min instead of 7.
#
# The side lane must be done before the stages that measure speed (load-ci, Lighthouse) start, so
# the main lane waits for it there. smoke and fuzz judge answers, not speed, so they run before
# the wait. The side lane's output is kept in target/test/side-lane.log and printed at that point,
# in one piece. A failure in either lane fails the run; a failure in the main lane
# stops the side lane too.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MAKE_CMD=${MAKE:-make}
LOG_DIR=target/test
SIDE_LOG=$LOG_DIR/side-lane.log

log() { echo "test.sh: $*" >&2; }

mkdir -p "$LOG_DIR"
started=$SECONDS

# /proc/self/autogroup is missing where the kernel has no autogroups; nice alone does then.
# shellcheck disable=SC2016 # expanded by the inner shell
setsid bash -c 'echo 19 >/proc/self/autogroup 2>/dev/null || true
    exec nice -n 19 "$0" --no-print-directory -j2 --output-sync=target side-lane' "$MAKE_CMD" \
    >"$SIDE_LOG" 2>&1 &
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

log "side lane started at the lowest CPU priority (output in $SIDE_LOG)"

"$MAKE_CMD" --no-print-directory unit integration smoke fuzz
log "unit, integration, smoke and fuzz passed after $((SECONDS - started)) s"

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

"$MAKE_CMD" --no-print-directory load-ci console-test
log "all stages passed after $((SECONDS - started)) s"
