#!/usr/bin/env bash
# A goose load profile against a running `make dev` (`make load PROFILE=... [USERS=...]`).
#
#   scripts/load.sh PROFILE PORT [USERS]
#
# PROFILE is event-service, ofauto or stress (see load/src/profiles/). It needs load/ built in
# release first (`make load-build`, which `make load` runs), checks that a stack
# answers on 127.0.0.1:PORT, mints one token per tenant with the stack's dev key in .local/, and
# runs the profile. The HTML report and summary.json land in target/load/<profile>/; a missed
# threshold exits non-zero and names it. Extra flags for ofauto-load go in LOAD_ARGS, e.g.
# LOAD_ARGS="--run-time 120 --tenants 40".
#
# Optional: OFAUTO_BIN_DIR (where ofauto-token is, default target/debug), OFAUTO_STATE_DIR
# (default .local, as `make dev` uses).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "load.sh: $*" >&2; }

profile=${1:-event-service}
port=${2:-3000}
users=${3:-}
BIN_DIR=${OFAUTO_BIN_DIR:-target/debug}
STATE_DIR=${OFAUTO_STATE_DIR:-.local}
host="http://127.0.0.1:$port"

case $profile in
    event-service | ofauto | stress) ;;
    *)
        log "unknown profile '$profile': event-service, ofauto or stress"
        exit 2
        ;;
esac
if [[ -n $users && ! $users =~ ^[0-9]+$ ]]; then
    log "USERS must be a number, not '$users'"
    exit 2
fi

if [[ ! -x load/target/release/ofauto-load ]]; then
    log "load/target/release/ofauto-load is missing: run \`make load-build\` first"
    exit 2
fi

if ! curl -fs -m 5 -o /dev/null "$host/health"; then
    log "no stack answers on $host: start \`make dev\` first (PORT=$port)"
    exit 2
fi
if [[ ! -x $BIN_DIR/ofauto-token || ! -d $STATE_DIR ]]; then
    log "$BIN_DIR/ofauto-token or $STATE_DIR/ is missing: start \`make dev\` first"
    exit 2
fi

args=(--profile "$profile" --host "$host" --state-dir "$STATE_DIR" --token-bin "$BIN_DIR/ofauto-token")
[[ -z $users ]] || args+=(--users "$users")
# shellcheck disable=SC2206 # LOAD_ARGS is a list of flags, split on purpose
extra=(${LOAD_ARGS:-})
exec load/target/release/ofauto-load "${args[@]}" "${extra[@]}"
