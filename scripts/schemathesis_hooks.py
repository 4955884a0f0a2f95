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

Checks for what API.md says about answers that JSON Schema cannot say: how analytics buckets
cover their window, and how a list of events honours its filters and order. Each must be named in
the script's --checks to run.
"""

import itertools
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

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
