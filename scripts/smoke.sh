#!/usr/bin/env bash
# Post-deploy smoke test: a short walk through the API of a running deployment, as a client sees it.
#
#   scripts/smoke.sh BASE_URL [TOKEN]
#
#   BASE_URL   the API's base URL, e.g. `terraform output -raw api_url`, or http://127.0.0.1:3000
#   TOKEN      a JWT of a tenant kept for smoke tests (OFAUTO_TOKEN when omitted, which keeps it out
#              of the process list and shell history). Role editor, or admin for the channel steps.
#
# Steps: health; 401 without a token and with a forged one; create an event with an
# Idempotency-Key, replay the key, read the event back and find it in the list; the analytics
# count rising by one; the security and rate-limit headers; list automations; preview a cron
# schedule across a time zone; and, when SMOKE_CHANNEL_URL is set, create a channel to that URL,
# send it a signed test delivery, schedule a post a few seconds ahead and wait for it to be
# published. Without SMOKE_CHANNEL_URL those steps print SKIP. Everything it creates (the event,
# the channel and its secret) is deleted again, also when a step fails; a published post cannot
# be deleted and stays, as posts do.
#
# Each step prints PASS, FAIL or SKIP with what it saw. The last line is
# "smoke: N passed, N failed, N skipped"; the exit status is non-zero when any step failed.
#
# Optional environment:
#   SMOKE_CHANNEL_URL         a webhook receiver that answers 2xx (https on AWS; any payload is fine)
#   SMOKE_ANALYTICS_TIMEOUT   seconds to wait for the event to be counted (default 60; the stream
#                             consumer counts it within seconds)
#   SMOKE_POST_TIMEOUT        seconds to wait for the post to be published (default 120)
#   SMOKE_REQUEST_TIMEOUT     seconds per request (default 20)
#   PYTHON                    default python3
#
# Needs curl and python3 only.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || $1 == -h || $1 == --help ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
fi

BASE=${1%/}
TOKEN=${2:-${OFAUTO_TOKEN:-}}
if [[ -z $TOKEN ]]; then
    echo "smoke.sh: no token: pass it as the second argument or in OFAUTO_TOKEN" >&2
    exit 2
fi
PYTHON=${PYTHON:-python3}
CHANNEL_URL=${SMOKE_CHANNEL_URL:-}
ANALYTICS_TIMEOUT=${SMOKE_ANALYTICS_TIMEOUT:-60}
POST_TIMEOUT=${SMOKE_POST_TIMEOUT:-120}
REQUEST_TIMEOUT=${SMOKE_REQUEST_TIMEOUT:-20}
# One fixed type, not one per run: a tenant's distinct types per hour are capped, and the event is
# deleted at the end, so repeated runs leave that tenant's analytics as they found them.
EVENT_TYPE=ofauto.smoke
RUN_ID="smoke-$(date -u +%Y%m%dT%H%M%SZ)-$$-$RANDOM"

work=$(mktemp -d "${TMPDIR:-/tmp}/ofauto-smoke.XXXXXX")
# The token goes to curl in a file (-H @file), never on a command line that `ps` shows.
umask 077
printf 'Authorization: Bearer %s\n' "$TOKEN" >"$work/auth"
printf 'Authorization: Bearer %s\n' "not.a.jwt" >"$work/forged"

passed=0
failed=0
skipped=0
event_id=
channel_id=

pass() {
    passed=$((passed + 1))
    printf 'PASS  %-34s %s\n' "$1" "${2:-}"
}
fail() {
    failed=$((failed + 1))
    printf 'FAIL  %-34s %s\n' "$1" "${2:-}"
}
skip() {
    skipped=$((skipped + 1))
    printf 'SKIP  %-34s %s\n' "$1" "${2:-}"
}

# req METHOD PATH [BODY] [curl args...]: sets $status; the body is in $work/body and the headers
# in $work/headers. Authenticated unless the extra args name another header file.
req() {
    local method=$1 path=$2 body=${3:-} auth=(-H "@$work/auth")
    shift $(($# < 3 ? $# : 3))
    local args=(-sS -o "$work/body" -D "$work/headers" -w '%{http_code}' --max-time "$REQUEST_TIMEOUT"
        -X "$method" -H 'accept: application/json')
    if [[ ${1:-} == --no-auth ]]; then
        auth=()
        shift
    elif [[ ${1:-} == --forged ]]; then
        auth=(-H "@$work/forged")
        shift
    fi
    if [[ -n $body ]]; then
        printf '%s' "$body" >"$work/request"
        args+=(-H 'content-type: application/json' --data-binary "@$work/request")
    fi
    : >"$work/body"
    : >"$work/headers"
    status=$(curl "${args[@]}" "${auth[@]}" "$@" "$BASE$path") || status=000
}

# json EXPR: evaluates a Python expression over the last response body, bound to `d`; prints the
# result (JSON for containers, plain text for strings), or nothing when the body is not JSON or
# the expression fails. Every check below compares its output.
json() {
    "$PYTHON" - "$work/body" "$1" <<'EOF' 2>/dev/null || true
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    v = eval("(" + sys.argv[2] + ")", {"d": d})
except Exception:
    sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# header NAME: the last response's header value (case-insensitive), or nothing.
header() {
    "$PYTHON" - "$work/headers" "$1" <<'EOF'
import sys
value = ""
for line in open(sys.argv[1], encoding="latin-1"):
    name, sep, rest = line.partition(":")
    if sep and name.strip().lower() == sys.argv[2].lower():
        value = rest.strip()
print(value)
EOF
}

snippet() { head -c 300 "$work/body" | tr '\n' ' '; }

iso() { "$PYTHON" -c 'import datetime, sys; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=float(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }

# Deletes what the run created, whichever step it stopped at.
# shellcheck disable=SC2317 # reached through the trap
cleanup() {
    local rc=$?
    if [[ -n $channel_id ]]; then
        req DELETE "/v1/channels/$channel_id"
        [[ $status == 204 ]] || echo "smoke.sh: could not delete channel $channel_id ($status)" >&2
    fi
    if [[ -n $event_id ]]; then
        req DELETE "/v1/events/$event_id"
        [[ $status == 204 ]] || echo "smoke.sh: could not delete event $event_id ($status)" >&2
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "smoke: $BASE (run $RUN_ID)"

# --- health and authentication -----------------------------------------------------------------
req GET /health "" --no-auth
if [[ $status == 200 && $(json 'd["status"]') == ok && $(json 'd["checks"]["dynamodb"]') == ok ]]; then
    pass "health" "200, version $(json 'd["version"]')"
else
    fail "health" "$status $(snippet)"
fi

req GET "/v1/events?limit=1" "" --no-auth
if [[ $status == 401 ]]; then pass "no token is 401"; else fail "no token is 401" "got $status"; fi

req GET "/v1/events?limit=1" "" --forged
if [[ $status == 401 ]]; then pass "forged token is 401"; else fail "forged token is 401" "got $status"; fi

# --- events ------------------------------------------------------------------------------------
# The analytics window: the last hour through the next, which holds the event whatever the clock.
from=$(iso -3600)
to=$(iso 3600)
analytics_path="/v1/analytics/events?granularity=hour&type=$EVENT_TYPE&from=$from&to=$to"
req GET "$analytics_path"
baseline=$(json 'd["total"]')
if [[ $status != 200 || -z $baseline ]]; then
    fail "analytics baseline" "$status $(snippet)"
    baseline=
fi

event_body="{\"type\":\"$EVENT_TYPE\",\"source\":\"smoke-test\",\"properties\":{\"run\":\"$RUN_ID\"}}"
req POST /v1/events "$event_body" -H "Idempotency-Key: $RUN_ID-event"
created_id=$(json 'd["id"]')
if [[ $status == 201 && -n $created_id && $(json 'd["properties"]["run"]') == "$RUN_ID" &&
    $(header location) == */v1/events/"$created_id" ]]; then
    event_id=$created_id
    occurred_at=$(json 'd["occurred_at"]')
    pass "create event" "201 $event_id"
else
    fail "create event" "$status location=$(header location) $(snippet)"
fi

if [[ -n $event_id ]]; then
    req POST /v1/events "$event_body" -H "Idempotency-Key: $RUN_ID-event"
    if [[ $status == 201 && $(json 'd["id"]') == "$event_id" ]]; then
        pass "idempotent replay" "same key, same event"
    else
        fail "idempotent replay" "$status id=$(json 'd["id"]'), want $event_id"
    fi

    req GET "/v1/events/$event_id"
    if [[ $status == 200 && $(json 'd["id"]') == "$event_id" && $(json 'd["type"]') == "$EVENT_TYPE" &&
        $(json 'd["source"]') == smoke-test ]]; then
        pass "read event back"
    else
        fail "read event back" "$status $(snippet)"
    fi

    # Security headers, checked on this authenticated answer (DESIGN.md, Conventions).
    missing=()
    [[ $(header strict-transport-security) == *max-age=* ]] || missing+=(strict-transport-security)
    [[ $(header x-content-type-options) == nosniff ]] || missing+=(x-content-type-options)
    [[ $(header x-frame-options) == DENY ]] || missing+=(x-frame-options)
    csp=$(header content-security-policy)
    [[ $csp == *"default-src 'none'"* && $csp == *"frame-ancestors 'none'"* ]] || missing+=(content-security-policy)
    [[ $(header referrer-policy) == no-referrer ]] || missing+=(referrer-policy)
    [[ $(header cache-control) == *no-store* ]] || missing+=(cache-control)
    server=$(header server)
    [[ ! $server =~ [0-9] ]] || missing+=("server (names a version: $server)")
    if ((${#missing[@]} == 0)); then
        pass "security headers"
    else
        fail "security headers" "wrong or missing: ${missing[*]}"
    fi
    if [[ -n $(header ratelimit-limit) && -n $(header ratelimit-remaining) && -n $(header ratelimit-reset) ]]; then
        pass "rate-limit headers" "limit $(header ratelimit-limit), remaining $(header ratelimit-remaining)"
    else
        fail "rate-limit headers" "RateLimit-Limit/Remaining/Reset missing"
    fi

    # Filtered to the event's own instant, so other clients' events cannot push it off the page.
    req GET "/v1/events?type=$EVENT_TYPE&from=$occurred_at&to=$occurred_at&limit=100"
    if [[ $status == 200 && $(json "any(i['id'] == '$event_id' for i in d['items'])") == true ]]; then
        pass "list events" "$(json 'len(d["items"])') item(s) at $occurred_at"
    else
        fail "list events" "$status, $event_id not listed: $(snippet)"
    fi

    if [[ -n $baseline ]]; then
        want=$((baseline + 1))
        deadline=$((SECONDS + ANALYTICS_TIMEOUT))
        total=
        while :; do
            req GET "$analytics_path"
            total=$(json 'd["total"]')
            [[ $status == 200 && -n $total ]] && ((total >= want)) && break
            ((SECONDS < deadline)) || break
            sleep 1
        done
        ordered=$(json 'all(a["start"] < b["start"] for a, b in zip(d["buckets"], d["buckets"][1:])) and len(d["buckets"]) >= 2')
        if [[ $status == 200 && -n $total ]] && ((total >= want)) && [[ $ordered == true ]]; then
            pass "analytics counts the event" "$EVENT_TYPE: $baseline -> $total, $(json 'len(d["buckets"])') hourly buckets"
        else
            fail "analytics counts the event" "$status total=$total, want >= $want within ${ANALYTICS_TIMEOUT}s, buckets ordered=$ordered"
        fi
    fi
else
    for step in "idempotent replay" "read event back" "security headers" "rate-limit headers" "list events" "analytics counts the event"; do
        fail "$step" "no event was created"
    done
fi

# --- automations -------------------------------------------------------------------------------
req GET "/v1/automations?limit=10"
if [[ $status == 200 && $(json 'isinstance(d["items"], list) and "next_cursor" in d') == true ]]; then
    pass "list automations" "$(json 'len(d["items"])') on the first page"
else
    fail "list automations" "$status $(snippet)"
fi

# 09:30 on weekdays in New York: the answer must be wall-clock 09:30 at -05:00 or -04:00, which
# exercises the zone database the function ships, not just the cron parser.
req POST /v1/automations/preview '{"trigger":{"kind":"schedule","cron":"30 9 * * MON-FRI","timezone":"America/New_York"},"count":3}'
preview_ok=$(json '
len(d["runs"]) == 3
and all(r["local"].endswith("T09:30:00") and r["offset"] in ("-05:00", "-04:00") for r in d["runs"])
and all(a["at"] < b["at"] for a, b in zip(d["runs"], d["runs"][1:]))')
if [[ $status == 200 && $preview_ok == true ]]; then
    pass "preview a schedule" "next $(json 'd["runs"][0]["at"]') ($(json 'd["runs"][0]["local"]')$(json 'd["runs"][0]["offset"]'))"
else
    fail "preview a schedule" "$status $(snippet)"
fi

# --- channels and posts (optional) -------------------------------------------------------------
if [[ -z $CHANNEL_URL ]]; then
    for step in "create channel" "channel test delivery" "schedule a post" "post is published"; do
        skip "$step" "SMOKE_CHANNEL_URL is not set"
    done
else
    channel_body="{\"name\":\"smoke $RUN_ID\",\"kind\":\"webhook\",\"url\":\"$CHANNEL_URL\"}"
    req POST /v1/channels "$channel_body" -H "Idempotency-Key: $RUN_ID-channel"
    if [[ $status == 201 && -n $(json 'd["id"]') && $(json 'd["signing_secret"]') == whsec_* && $(json 'd["status"]') == active ]]; then
        channel_id=$(json 'd["id"]')
        pass "create channel" "201 $channel_id"
    else
        fail "create channel" "$status $(snippet)"
    fi

    if [[ -n $channel_id ]]; then
        req POST "/v1/channels/$channel_id/test"
        if [[ $status == 200 && $(json 'd["delivered"]') == true ]]; then
            pass "channel test delivery" "status $(json 'd["status_code"]') in $(json 'd["latency_ms"]') ms"
        else
            fail "channel test delivery" "$status $(snippet)"
        fi

        post_body="{\"channel_id\":\"$channel_id\",\"content\":\"smoke test $RUN_ID\",\"scheduled_at\":\"$(iso 5)\"}"
        req POST /v1/posts "$post_body" -H "Idempotency-Key: $RUN_ID-post"
        post_id=$(json 'd["id"]')
        if [[ $status == 201 && -n $post_id && $(json 'd["status"]') == scheduled ]]; then
            pass "schedule a post" "201 $post_id, due in 5 s"
            deadline=$((SECONDS + POST_TIMEOUT))
            post_status=
            while ((SECONDS < deadline)); do
                req GET "/v1/posts/$post_id"
                post_status=$(json 'd["status"]')
                [[ $post_status == scheduled || $post_status == publishing ]] || break
                sleep 1
            done
            if [[ $post_status == published ]]; then
                pass "post is published" "at $(json 'd["published_at"]') after $(json 'd["attempts"]') attempt(s)"
            else
                fail "post is published" "status ${post_status:-?} after ${POST_TIMEOUT}s, last_error $(json 'd["last_error"]')"
            fi
        else
            fail "schedule a post" "$status $(snippet)"
            fail "post is published" "no post was scheduled"
        fi
    else
        fail "channel test delivery" "no channel was created"
        fail "schedule a post" "no channel was created"
        fail "post is published" "no channel was created"
    fi
fi

# --- cleanup, checked --------------------------------------------------------------------------
if [[ -n $channel_id ]]; then
    req DELETE "/v1/channels/$channel_id"
    if [[ $status == 204 ]]; then
        pass "delete channel"
        channel_id=
    else
        fail "delete channel" "$status $(snippet)"
    fi
fi
if [[ -n $event_id ]]; then
    req DELETE "/v1/events/$event_id"
    deleted=$status
    req GET "/v1/events/$event_id"
    if [[ $deleted == 204 && $status == 404 ]]; then
        pass "delete event" "204, then 404"
        event_id=
    else
        fail "delete event" "DELETE $deleted, then GET $status"
    fi
fi

echo "smoke: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
