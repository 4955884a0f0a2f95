//! `GET /v1/analytics/events`: hourly and daily counts kept by the stream consumer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use ofauto_tests::api::Api;
use ofauto_tests::fixtures::{create_event, create_events, poll, Tenant, NESTED_TYPES};
use ofauto_tests::time::{at, millis, seconds};
use serde_json::{json, Map, Value};

/// API.md: counts include an event within 5 s of its creation; allow for a busy machine.
const COUNT_DEADLINE: Duration = Duration::from_secs(10);

/// Fixed past events across 5 hours and 2 days, with the edges of hours and days exercised.
const SEED: [(&str, &str); 11] = [
    ("2025-06-01T22:10:00Z", "signup"),
    ("2025-06-01T22:10:00Z", "signup"),
    ("2025-06-01T22:59:59.999Z", "page.view"),
    ("2025-06-01T23:59:59.999Z", "page.view"),
    ("2025-06-02T00:00:00Z", "page.view"),
    ("2025-06-02T00:30:00Z", "signup"),
    ("2025-06-02T00:30:00Z", "purchase"),
    ("2025-06-02T00:45:10.5Z", "purchase"),
    ("2025-06-02T03:15:00Z", "page.view"),
    ("2025-06-02T03:15:00Z", "page.view"),
    ("2025-06-02T03:59:59Z", "page.view"),
];

const HOUR_FROM: &str = "2025-06-01T21:30:00Z";
const HOUR_TO: &str = "2025-06-02T03:20:00Z";
const DAY_FROM: &str = "2025-05-31T12:00:00Z";
const DAY_TO: &str = "2025-06-03T00:00:00Z";

async fn seed(api: &Api) -> Vec<Value> {
    let bodies: Vec<Value> = SEED
        .iter()
        .map(|(at, ty)| json!({"type": ty, "occurred_at": at}))
        .collect();
    create_events(api, &bodies).await
}

fn step(granularity: &str) -> TimeDelta {
    match granularity {
        "hour" => TimeDelta::hours(1),
        "day" => TimeDelta::days(1),
        other => panic!("granularity {other}"),
    }
}

/// The answer the API must give for `events` (`(occurred_at, type)`), computed independently.
fn expected_buckets(
    events: &[(DateTime<Utc>, String)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    granularity: &str,
    only_type: Option<&str>,
) -> (u64, Vec<Value>) {
    let step = step(granularity);
    let mut start = from.duration_trunc(step).unwrap();
    let last = to.duration_trunc(step).unwrap();
    let mut buckets = Vec::new();
    let mut total = 0;
    while start <= last {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for (occurred, ty) in events {
            let in_bucket = start <= *occurred && *occurred < start + step;
            if in_bucket && only_type.is_none_or(|t| t == ty) {
                *counts.entry(ty.clone()).or_default() += 1;
            }
        }
        let bucket_total: u64 = counts.values().sum();
        total += bucket_total;
        let counts: Map<String, Value> = counts.into_iter().map(|(k, v)| (k, json!(v))).collect();
        buckets.push(json!({
            "start": seconds(start),
            "total": bucket_total,
            "counts": counts,
            "other": 0,
        }));
        start += step;
    }
    (total, buckets)
}

fn events_of(created: &[Value]) -> Vec<(DateTime<Utc>, String)> {
    created
        .iter()
        .map(|e| {
            (
                at(e["occurred_at"].as_str().unwrap()),
                e["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn analytics(api: &Api, query: &[(&str, &str)]) -> Value {
    let resp = api.get_query("/v1/analytics/events", query).await;
    resp.assert_security_headers(true);
    let body = resp.ok_json(200);
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap_or_else(|| panic!("an object:\n{resp}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["buckets", "from", "granularity", "to", "total"],
        "{resp}"
    );
    for bucket in body["buckets"].as_array().expect("buckets is a list") {
        let mut keys: Vec<&str> = bucket
            .as_object()
            .expect("a bucket is an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["counts", "other", "start", "total"], "{resp}");
    }
    body
}

/// Polls until the report's buckets are the expected ones (the stream consumer is asynchronous),
/// then asserts the whole report.
async fn assert_report(
    api: &Api,
    query: &[(&str, &str)],
    events: &[(DateTime<Utc>, String)],
    expect_granularity: &str,
) {
    let param = |name: &str| query.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let from = at(param("from").unwrap());
    let to = at(param("to").unwrap());
    let (total, buckets) = expected_buckets(events, from, to, expect_granularity, param("type"));
    let started = Instant::now();
    let report = poll(
        COUNT_DEADLINE,
        || analytics(api, query),
        |r| r["buckets"] == json!(buckets) && r["total"] == json!(total),
    )
    .await;
    assert_eq!(
        report["buckets"],
        json!(buckets),
        "buckets for {query:?} after {:?}",
        started.elapsed()
    );
    assert_eq!(report["total"], json!(total), "total for {query:?}");
    assert_eq!(report["granularity"], expect_granularity);
    assert_eq!(
        at(report["from"].as_str().expect("from")),
        from,
        "from echoed"
    );
    assert_eq!(at(report["to"].as_str().expect("to")), to, "to echoed");
}

#[tokio::test]
async fn hourly_counts_per_type_with_empty_hours_included() {
    let tenant = Tenant::new();
    let events = events_of(&seed(&tenant.editor()).await);
    let api = tenant.viewer();
    // granularity defaults to hour.
    let query = [("from", HOUR_FROM), ("to", HOUR_TO)];
    assert_report(&api, &query, &events, "hour").await;

    // Spelled out, the same; and the shape is what the issue fixes by hand.
    let report = analytics(
        &api,
        &[
            ("from", HOUR_FROM),
            ("to", HOUR_TO),
            ("granularity", "hour"),
        ],
    )
    .await;
    assert_eq!(report["total"], 11);
    assert_eq!(
        report["buckets"],
        json!([
            {"start": "2025-06-01T21:00:00Z", "total": 0, "counts": {}, "other": 0},
            {"start": "2025-06-01T22:00:00Z", "total": 3, "counts": {"signup": 2, "page.view": 1}, "other": 0},
            {"start": "2025-06-01T23:00:00Z", "total": 1, "counts": {"page.view": 1}, "other": 0},
            {"start": "2025-06-02T00:00:00Z", "total": 4, "counts": {"page.view": 1, "signup": 1, "purchase": 2}, "other": 0},
            {"start": "2025-06-02T01:00:00Z", "total": 0, "counts": {}, "other": 0},
            {"start": "2025-06-02T02:00:00Z", "total": 0, "counts": {}, "other": 0},
            {"start": "2025-06-02T03:00:00Z", "total": 3, "counts": {"page.view": 3}, "other": 0},
        ])
    );
}

#[tokio::test]
async fn daily_counts_per_type() {
    let tenant = Tenant::new();
    let events = events_of(&seed(&tenant.editor()).await);
    let api = tenant.viewer();
    let query = [("from", DAY_FROM), ("to", DAY_TO), ("granularity", "day")];
    assert_report(&api, &query, &events, "day").await;
    let report = analytics(&api, &query).await;
    assert_eq!(
        report["buckets"],
        json!([
            {"start": "2025-05-31T00:00:00Z", "total": 0, "counts": {}, "other": 0},
            {"start": "2025-06-01T00:00:00Z", "total": 4, "counts": {"signup": 2, "page.view": 2}, "other": 0},
            {"start": "2025-06-02T00:00:00Z", "total": 7, "counts": {"page.view": 4, "signup": 1, "purchase": 2}, "other": 0},
            {"start": "2025-06-03T00:00:00Z", "total": 0, "counts": {}, "other": 0},
        ])
    );
}

#[tokio::test]
async fn a_type_filter_counts_only_that_type() {
    let tenant = Tenant::new();
    let events = events_of(&seed(&tenant.editor()).await);
    let api = tenant.viewer();
    for ty in ["page.view", "purchase", "never.seen"] {
        let hourly = [("from", HOUR_FROM), ("to", HOUR_TO), ("type", ty)];
        assert_report(&api, &hourly, &events, "hour").await;
        let daily = [
            ("from", DAY_FROM),
            ("to", DAY_TO),
            ("granularity", "day"),
            ("type", ty),
        ];
        assert_report(&api, &daily, &events, "day").await;
    }
    let report = analytics(
        &api,
        &[
            ("from", DAY_FROM),
            ("to", DAY_TO),
            ("granularity", "day"),
            ("type", "page.view"),
        ],
    )
    .await;
    assert_eq!(report["total"], 6);
}

#[tokio::test]
async fn counts_drop_when_events_are_deleted() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let created = seed(&api).await;
    let hourly = [("from", HOUR_FROM), ("to", HOUR_TO)];
    let daily = [("from", DAY_FROM), ("to", DAY_TO), ("granularity", "day")];
    assert_report(&api, &hourly, &events_of(&created), "hour").await;

    // Delete one signup at 22:10 and the purchase at 00:45, then the lone event of 23:00.
    let doomed = [0usize, 7, 3];
    for i in doomed {
        let id = created[i]["id"].as_str().unwrap();
        api.delete(&format!("/v1/events/{id}"))
            .await
            .expect_status(204);
    }
    let left: Vec<Value> = created
        .iter()
        .enumerate()
        .filter(|(i, _)| !doomed.contains(i))
        .map(|(_, e)| e.clone())
        .collect();
    let events = events_of(&left);
    assert_report(&api, &hourly, &events, "hour").await;
    assert_report(&api, &daily, &events, "day").await;

    let report = analytics(&api, &hourly).await;
    assert_eq!(report["total"], 8);
    // An hour whose only event went is empty again: total 0, and no type left in counts.
    assert_eq!(
        report["buckets"][2],
        json!({"start": "2025-06-01T23:00:00Z", "total": 0, "counts": {}, "other": 0})
    );

    // Deleting the same event again changes nothing.
    let id = created[0]["id"].as_str().unwrap();
    api.delete(&format!("/v1/events/{id}"))
        .await
        .expect_status(404);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_report(&api, &hourly, &events, "hour").await;
}

#[tokio::test]
async fn a_new_event_is_counted_within_seconds() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let event = create_event(&api, &json!({"type": "live.check"})).await;
    let created = Instant::now();
    let occurred = at(event["occurred_at"].as_str().unwrap());
    let from = millis(occurred - TimeDelta::minutes(1));
    let to = millis(occurred + TimeDelta::minutes(1));
    let query = [("from", from.as_str()), ("to", to.as_str())];
    let report = poll(
        COUNT_DEADLINE,
        || analytics(&api, &query),
        |r| r["total"] == 1,
    )
    .await;
    let waited = created.elapsed();
    assert_eq!(
        report["total"], 1,
        "counted within {COUNT_DEADLINE:?}: {report}"
    );
    let counted: u64 = report["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["counts"]["live.check"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(counted, 1, "{report}");
    eprintln!("a new event was counted after {waited:?}");
}

#[tokio::test]
async fn a_tenant_without_events_gets_every_bucket_empty() {
    let tenant = Tenant::new();
    let api = tenant.viewer();
    let report = analytics(
        &api,
        &[
            ("from", "2025-01-01T10:00:00Z"),
            ("to", "2025-01-01T13:00:00Z"),
        ],
    )
    .await;
    assert_eq!(report["total"], 0);
    assert_eq!(
        report["buckets"],
        json!([
            {"start": "2025-01-01T10:00:00Z", "total": 0, "counts": {}, "other": 0},
            {"start": "2025-01-01T11:00:00Z", "total": 0, "counts": {}, "other": 0},
            {"start": "2025-01-01T12:00:00Z", "total": 0, "counts": {}, "other": 0},
            {"start": "2025-01-01T13:00:00Z", "total": 0, "counts": {}, "other": 0},
        ])
    );
    // from == to: the one bucket holding that instant.
    let report = analytics(
        &api,
        &[
            ("from", "2025-01-01T10:20:00Z"),
            ("to", "2025-01-01T10:20:00Z"),
            ("granularity", "day"),
        ],
    )
    .await;
    assert_eq!(
        report["buckets"],
        json!([{"start": "2025-01-01T00:00:00Z", "total": 0, "counts": {}, "other": 0}])
    );
}

#[tokio::test]
async fn the_widest_allowed_spans_list_every_bucket_in_order() {
    let tenant = Tenant::new();
    let api = tenant.viewer();
    // 31 days of hours, and 366 days of days, end to end.
    for (from, to, granularity, count) in [
        (
            "2025-01-01T00:00:00Z",
            "2025-02-01T00:00:00Z",
            "hour",
            31 * 24 + 1,
        ),
        ("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "day", 367),
    ] {
        let report = analytics(
            &api,
            &[("from", from), ("to", to), ("granularity", granularity)],
        )
        .await;
        let buckets = report["buckets"].as_array().unwrap();
        assert_eq!(
            buckets.len(),
            count,
            "{granularity} buckets from {from} to {to}"
        );
        let step = step(granularity);
        for (n, bucket) in buckets.iter().enumerate() {
            let start = at(from) + step * n as i32;
            assert_eq!(bucket["start"], seconds(start), "bucket {n}");
            assert_eq!(bucket["total"], 0);
        }
    }
}

#[tokio::test]
async fn types_are_counted_by_their_exact_name() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let types: Vec<&str> = NESTED_TYPES
        .into_iter()
        .chain(["a-b_c.d9", "order", "ord"])
        .collect();
    let bodies: Vec<Value> = types
        .iter()
        .map(|ty| json!({"type": ty, "occurred_at": "2025-07-07T07:07:07Z"}))
        .collect();
    let events = events_of(&create_events(&api, &bodies).await);
    let window = [
        ("from", "2025-07-07T06:00:00Z"),
        ("to", "2025-07-07T08:00:00Z"),
    ];
    assert_report(&api, &window, &events, "hour").await;
    let report = analytics(&api, &window).await;
    assert_eq!(
        report["buckets"][1]["counts"],
        json!({"order": 2, "order:created": 1, "order:created.v2": 1, "a-b_c.d9": 1, "ord": 1})
    );
    for ty in ["order", "order:created", "ord", "orde"] {
        let query = [window[0], window[1], ("type", ty)];
        assert_report(&api, &query, &events, "hour").await;
    }
}

/// API Gateway's HTTP APIs do not compress, so the functions gzip a large answer themselves for a
/// caller that accepts it: two days of hours are about 3 KB of JSON, sent as a few hundred bytes, and
/// the same JSON, uncompressed, to a caller that does not say `Accept-Encoding: gzip`.
#[tokio::test]
async fn a_large_report_is_gzipped_only_for_callers_that_accept_it() {
    use std::io::Read;

    let tenant = Tenant::new();
    let api = tenant.viewer();
    let url = api.url_with_query(
        "/v1/analytics/events",
        &[("from", HOUR_FROM), ("to", "2025-06-04T03:20:00Z")],
    );
    let fetch = |accept: &'static str| {
        let request = api
            .client()
            .get(&url)
            .bearer_auth(api.token().unwrap())
            .header("accept-encoding", accept);
        async move { request.send().await.unwrap() }
    };
    let plain = fetch("identity").await;
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    let vary: Vec<_> = plain.headers().get_all("vary").iter().collect();
    assert!(vary.iter().any(|v| *v == "Accept-Encoding"), "{vary:?}");
    let plain = plain.bytes().await.unwrap();
    assert!(plain.len() > 2_000, "{} bytes", plain.len());

    let gzipped = fetch("br;q=0, gzip").await;
    assert_eq!(gzipped.status(), 200);
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert_eq!(gzipped.headers()["content-type"], "application/json");
    let gzipped = gzipped.bytes().await.unwrap();
    assert!(
        gzipped.len() * 4 < plain.len(),
        "{} bytes gzipped of {}",
        gzipped.len(),
        plain.len()
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    let unzipped: Value = serde_json::from_slice(&unzipped).unwrap();
    let plain: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(unzipped, plain);
    // 21:00 on the 1st to 03:00 on the 4th.
    assert_eq!(unzipped["buckets"].as_array().unwrap().len(), 55);
}
