"""schemathesis hooks for scripts/schemathesis.sh, loaded through scripts/schemathesis.toml.

A fresh `Idempotency-Key` per request. Hypothesis replays a test case verbatim (when shrinking, and
across stateful scenarios), and API.md promises that the same key with the same body replays the
first response for 24 h. So a scenario that created an event, deleted it, then sent the same
creation again got the first 201 back, naming an event that is gone: the contract working, which
the stateful checks took for a lost resource, and every such repeat tested the idempotency table
instead of the handler. Keys the API must reject (empty, over 255 characters, not printable ASCII)
are sent as generated, so their 400 is still checked. Same-key replays and 422s are covered by the
integration tests.

Steering: half the time windows the fuzzer draws are folded into the span the API accepts, so the
date arithmetic behind them is reached, not only the validation in front of it.

Channels and posts: the fuzzer cannot know which ids exist, nor that a post needs an active channel
of its tenant, so half the `{id}` path parameters it draws are swapped for ids the API handed out
earlier in the run, and a post's `channel_id` for a live channel this module keeps (created on
first use, again if the run deleted it). Half the channel URLs become the local stack's own
`.../schemathesis-receiver` (plain http to loopback, which only the local stack accepts): the
stack answers it at once with a 4xx, so a test or a delivery there ends quickly and a post sent
there fails, which is what `POST .../retry` needs. Half the `scheduled_at` values become
instants the API accepts (from a minute ago to two years ahead, many within the next two minutes,
so the deliverer takes them during the run). Each swap trades one valid value for another or an
invalid one for a valid one; schemathesis revalidates a case after `before_call`, so it still
judges each request by what was sent.

Checks for what API.md says about answers that JSON Schema cannot say: how analytics buckets
cover their window, and how a list of events honours its filters and order. Each must be named in
the script's --checks to run.
"""

import itertools
import os
import random
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import requests
import schemathesis
from hypothesis import strategies as st

IDEMPOTENCY_HEADER = "idempotency-key"
MAX_KEY_LEN = 255

_sequence = itertools.count(1)


def _is_valid_key(value: object) -> bool:
    return (
        isinstance(value, str)
        and 1 <= len(value) <= MAX_KEY_LEN
        and all(" " <= ch <= "~" for ch in value)
    )


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == IDEMPOTENCY_HEADER and _is_valid_key(value):
            suffix = f".{next(_sequence)}"
            headers[name] = value[: MAX_KEY_LEN - len(suffix)] + suffix
    _steer_resources(case)


# --- steering ----------------------------------------------------------------------------------

MAX_SPANS = {"hour": timedelta(days=31), "day": timedelta(days=366)}


def _spelled(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@schemathesis.hook
def flatmap_query(context, query):
    """Half the windows the fuzzer draws made acceptable, the rest sent as drawn.

    Two independent date-times are nearly never within an analytics span of each other (31 days of
    hours, 366 of days), nor in order for a list, so nearly every such request stopped at
    validation. Folding `to` into the allowed span after `from` keeps the fuzzer's years, offsets
    and fractions, and reaches the bucket arithmetic the checks below look at.
    """
    operation = context.operation
    label = operation.label if operation is not None else None
    if label not in ("GET /v1/analytics/events", "GET /v1/events") or not isinstance(query, dict):
        return st.just(query)
    start, end = _instant(query.get("from")), _instant(query.get("to"))
    if start is None or end is None:
        return st.just(query)
    granularity = query.get("granularity")
    span = MAX_SPANS.get(granularity if isinstance(granularity, str) else "hour", MAX_SPANS["hour"])
    if label == "GET /v1/events":
        span = timedelta(days=3660)
    if timedelta(0) <= end - start <= span:
        return st.just(query)
    try:
        folded = dict(query, to=_spelled(start + abs(end - start) % span))
    except OverflowError:  # past 9999-12-31
        return st.just(query)
    return st.sampled_from([folded, query])


# --- channels and posts ------------------------------------------------------------------------

API = os.environ.get("OFAUTO_SCHEMATHESIS_API", "").rstrip("/")
TOKEN = os.environ.get("OFAUTO_SCHEMATHESIS_TOKEN", "")
ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
# Seeded, so that a run's choices follow from the fuzzer's draws alone.
_rng = random.Random(20260601)
_session = requests.Session()
# Ids the API handed out during the run, oldest first (bounded: the choice stays cheap).
_known: dict[str, list[str]] = {"channels": [], "posts": []}
_live_channel: list[str] = []
MAX_KNOWN = 64


def _receiver_url() -> str:
    """Where steered channels point: the local stack itself, which answers a 4xx at once."""
    return f"{API}/schemathesis-receiver/{next(_sequence)}"


def _remember(kind: str, ident: object) -> None:
    ids = _known[kind]
    if isinstance(ident, str) and ULID.match(ident) and ident not in ids:
        ids.append(ident)
        del ids[:-MAX_KNOWN]


def _channel_for_posts() -> str | None:
    """An active channel of the run's tenant: the one made earlier if it is still there."""
    auth = {"authorization": f"Bearer {TOKEN}"}
    if _live_channel:
        answer = _session.get(f"{API}/v1/channels/{_live_channel[0]}", headers=auth, timeout=15)
        if answer.status_code == 200 and answer.json().get("status") == "active":
            return _live_channel[0]
        _live_channel.clear()
    body = {"name": "schemathesis posts", "kind": "webhook", "url": _receiver_url()}
    answer = _session.post(f"{API}/v1/channels", json=body, headers=auth, timeout=15)
    if answer.status_code != 201:
        return None  # the request then meets the API's own answer for an unknown channel
    _live_channel.append(answer.json()["id"])
    _remember("channels", _live_channel[0])
    return _live_channel[0]


def _scheduled_at() -> str:
    """From a minute ago to two years ahead; half of them due within the next two minutes."""
    now = datetime.now(timezone.utc)
    if _rng.random() < 0.5:
        at = now + timedelta(seconds=_rng.uniform(-30, 120))
    else:
        at = now + timedelta(seconds=_rng.uniform(0, 2 * 365 * 86400))
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _steer_resources(case) -> None:
    if not API:
        return
    label = case.operation.label
    path = case.path_parameters
    for kind in ("channels", "posts"):
        if (
            label.split(" ", 1)[1].startswith(f"/v1/{kind}/{{id}}")
            and isinstance(path, dict)
            and isinstance(path.get("id"), str)
            and _known[kind]
            and _rng.random() < 0.5
        ):
            path["id"] = _rng.choice(_known[kind])
    body = case.body
    if not isinstance(body, dict):
        return
    if label in ("POST /v1/channels", "PATCH /v1/channels/{id}"):
        if isinstance(body.get("url"), str) and _rng.random() < 0.5:
            body["url"] = _receiver_url()
    if label in ("POST /v1/posts", "PATCH /v1/posts/{id}"):
        if isinstance(body.get("scheduled_at"), str) and _rng.random() < 0.5:
            body["scheduled_at"] = _scheduled_at()
    # A drawn ULID is never a channel; one in ten still is sent, for the 400 that earns.
    if label == "POST /v1/posts" and isinstance(body.get("channel_id"), str):
        if ULID.match(body["channel_id"]) and _rng.random() < 0.9:
            body["channel_id"] = _channel_for_posts() or body["channel_id"]


@schemathesis.hook
def after_call(context, case, response):
    """Remembers the ids of channels and posts the API answered with, and forgets deleted ones."""
    label = case.operation.label
    kind = "channels" if "/v1/channels" in label else "posts" if "/v1/posts" in label else None
    if kind is None:
        return
    if label == "DELETE /v1/channels/{id}" and response.status_code == 204:
        gone = (case.path_parameters or {}).get("id")
        _known["channels"] = [c for c in _known["channels"] if c != gone]
        return
    if response.status_code not in (200, 201):
        return
    try:
        payload = response.json()
    except ValueError:
        return
    if not isinstance(payload, dict):
        return
    items = payload.get("items") if isinstance(payload.get("items"), list) else [payload]
    for item in items:
        if isinstance(item, dict) and "n" not in item:
            _remember(kind, item.get("id"))


# --- checks ------------------------------------------------------------------------------------


def _instant(raw: str) -> datetime | None:
    """An RFC 3339 date-time in UTC; None for what Python cannot hold (a leap second, past 9999)."""
    if not isinstance(raw, str):
        return None
    if raw[-1:] in ("Z", "z"):
        raw = raw[:-1] + "+00:00"
    try:
        at = datetime.fromisoformat(raw)
        return at.astimezone(timezone.utc) if at.tzinfo is not None else None
    except (ValueError, OverflowError):  # e.g. 9999-12-31T23:00:00-14:00 is past year 9999 in UTC
        return None


def _sent_query(response) -> dict[str, str]:
    query = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
    return {name: values[-1] for name, values in query.items()}


def _successful_json(response, case, label: str):
    if case.operation.label != label or response.status_code != 200:
        return None
    try:
        return response.json()
    except ValueError:
        return None  # response_schema_conformance reports it


STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


def _bucket_start(at: datetime, granularity: str) -> datetime:
    if granularity == "day":
        return at.replace(hour=0, minute=0, second=0, microsecond=0)
    return at.replace(minute=0, second=0, microsecond=0)


@schemathesis.check
def analytics_buckets_cover_the_window(ctx, response, case):
    """Every bucket from the one holding `from` to the one holding `to`, aligned, in order; totals add up."""
    report = _successful_json(response, case, "GET /v1/analytics/events")
    if not isinstance(report, dict):
        return None
    granularity = report.get("granularity")
    start, end = _instant(report.get("from")), _instant(report.get("to"))
    buckets = report.get("buckets")
    if granularity not in STEPS or start is None or end is None or not isinstance(buckets, list):
        return None  # response_schema_conformance judges the shape
    step = STEPS[granularity]
    expected, at = [], _bucket_start(start, granularity)
    last = _bucket_start(end, granularity)
    while at <= last:
        expected.append(at)
        try:
            at += step
        except OverflowError:  # past 9999-12-31
            break
    got = [_instant(bucket.get("start")) for bucket in buckets]
    if got != expected:
        shown = [bucket.get("start") for bucket in buckets[:4]]
        raise AssertionError(
            f"{granularity} buckets for {report.get('from')}..{report.get('to')}: expected "
            f"{len(expected)} starting {expected[0].isoformat() if expected else '-'}, "
            f"got {len(buckets)}: {shown}{' ...' if len(buckets) > 4 else ''}"
        )
    for bucket in buckets:
        if bucket.get("total") != sum(bucket.get("counts", {}).values()):
            raise AssertionError(f"bucket {bucket.get('start')}: total is not the sum of its counts")
        wanted = _sent_query(response).get("type")
        if wanted is not None and set(bucket.get("counts", {})) - {wanted}:
            raise AssertionError(f"bucket {bucket.get('start')} counts types other than {wanted!r}")
    if report.get("total") != sum(bucket.get("total", 0) for bucket in buckets):
        raise AssertionError("the report's total is not the sum of its buckets")
    return None


@schemathesis.check
def event_lists_honour_filters_and_order(ctx, response, case):
    """Newest `occurred_at` first, within the inclusive `from`/`to`, of the `type` asked for, at most `limit`."""
    page = _successful_json(response, case, "GET /v1/events")
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        return None
    query = _sent_query(response)
    items = page["items"]
    limit = query.get("limit", "25")
    if limit.isdigit() and len(items) > int(limit):
        raise AssertionError(f"{len(items)} items for limit={limit}")
    lower, upper = _instant(query.get("from")), _instant(query.get("to"))
    previous = None
    for item in items:
        at = _instant(item.get("occurred_at"))
        if at is None:
            return None
        if "type" in query and item.get("type") != query["type"]:
            raise AssertionError(f"event {item.get('id')} has type {item.get('type')!r}, not {query['type']!r}")
        if lower is not None and at < lower:
            raise AssertionError(f"event {item.get('id')} occurred at {item['occurred_at']}, before from={query['from']}")
        if upper is not None and at > upper:
            raise AssertionError(f"event {item.get('id')} occurred at {item['occurred_at']}, after to={query['to']}")
        if previous is not None and at > previous:
            raise AssertionError(f"event {item.get('id')} is newer than the one listed before it")
        previous = at
    return None
