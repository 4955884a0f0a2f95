# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # state_dir and stack_log are set, and api is read, by the sourcing script
# Starting and stopping a local stack from a script (scripts/schemathesis.sh,
# scripts/smoke_local.sh): sourced, not run. The caller sets BIN_DIR, PYTHON, READY_TIMEOUT,
# state_dir and stack_log, and defines log(). start_local_stack sets stack_pid, stack_in,
# stack_out and api; stop_local_stack undoes it, and does nothing when no stack was started.

stack_pid=
stack_in=
stack_out=
api=

# Starts the stack on a free port and waits for its ready line; exits the script with the end of
# the stack's log if it does not get ready.
start_local_stack() {
    # A coprocess, so that its stdin is a pipe this script holds open for as long as it runs.
    coproc STACK {
        exec "$BIN_DIR/ofauto-local" --port 0 --bin-dir "$BIN_DIR" --state-dir "$state_dir" \
            --exit-on-stdin-eof 2>"$stack_log"
    }
    # shellcheck disable=SC2153 # STACK_PID is set by coproc
    stack_pid=$STACK_PID
    # Own copies of the pipe ends: bash drops the STACK array as soon as the coprocess exits.
    exec {stack_in}>&"${STACK[1]}" {stack_out}<&"${STACK[0]}"
    eval "exec ${STACK[1]}>&- ${STACK[0]}<&-"

    local ready='' line deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        line=
        if ! IFS= read -r -t $((deadline - SECONDS)) line <&"$stack_out"; then
            break # EOF (the stack exited) or the timeout
        fi
        if [[ $line == OFAUTO_READY\ * ]]; then
            ready=${line#OFAUTO_READY }
            break
        fi
    done
    if [[ -z $ready ]]; then
        if kill -0 "$stack_pid" 2>/dev/null; then
            log "the stack did not get ready within ${READY_TIMEOUT}s; the end of its log ($stack_log):"
        else
            log "the stack exited before it was ready; the end of its log ($stack_log):"
        fi
        tail -n 60 "$stack_log" >&2 || true
        exit 1
    fi
    api=$("$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])["api"])' "$ready")
}

# Stops the stack and removes its state directory.
stop_local_stack() {
    if [[ -n $stack_pid ]]; then
        # Closing its stdin is the stack's cue to shut down (--exit-on-stdin-eof); SIGTERM, which
        # it also handles, if it has not gone within 10 s.
        [[ -z $stack_in ]] || exec {stack_in}>&-
        [[ -z $stack_out ]] || exec {stack_out}<&-
        local waited=0
        while kill -0 "$stack_pid" 2>/dev/null && ((waited < 100)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        if kill -0 "$stack_pid" 2>/dev/null; then
            log "the stack did not stop on stdin EOF; sending SIGTERM"
            kill -TERM "$stack_pid" 2>/dev/null || true
        fi
        wait "$stack_pid" 2>/dev/null || true
    fi
    rm -rf "$state_dir"
}
