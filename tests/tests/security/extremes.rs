//! Extreme values where the code does arithmetic: times before the epoch or at the ends of the
//! calendar (the event id is a ULID made from `occurred_at`), huge and tiny numbers, odd number
//! spellings. Each is stored exactly or refused with 400; none may crash a function (a 5xx).

use ofauto_tests::api::Resp;
use ofauto_tests::fixtures::{list_all, Tenant};
use serde_json::{json, Value};

use super::id_of;

#[track_caller]
fn assert_no_server_error(resp: &Resp) {
    assert!(resp.status < 500, "a server error:\n{resp}");
}

#[tokio::test]
async fn times_before_the_epoch_or_at_the_calendar_ends_are_stored_or_refused() {
    let tenant = Tenant::new();
    let api = tenant.bulk("editor");
    let mut stored = Vec::new();
    for occurred_at in [
        "1970-01-01T00:00:00Z",
        "1970-01-01T00:00:00.001Z",
        "1969-12-31T23:59:59.999Z",
        "1900-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "0000-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59.999Z",
        "10889-08-02T05:31:50.655Z",
    ] {
        let resp = api
            .post_json(
                "/v1/events",
                &json!({"type": "edge.time", "occurred_at": occurred_at}),
            )
            .await;
        assert_no_server_error(&resp);
        if resp.status == 201 {
            let event = resp.json();
            let read = api
                .get(&format!("/v1/events/{}", id_of(&event)))
                .await
                .ok_json(200);
            assert_eq!(read, event, "{occurred_at} reads back as created");
            stored.push(event);
        } else {
            resp.validation_failed(&["occurred_at"]);
        }
    }
    let listed = list_all(&api, &[], 100).await;
    assert_eq!(
        listed.len(),
        stored.len(),
        "every stored event is listed once"
    );
}

#[tokio::test]
async fn extreme_time_bounds_in_queries_are_answered_or_refused() {
    let tenant = Tenant::new();
    let api = tenant.bulk("viewer");
    let ends = [
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999Z",
        "9999-12-31T23:59:59.999Z",
    ];
    for from in ends {
        for to in ends {
            let resp = api
                .get_query("/v1/events", &[("from", from), ("to", to)])
                .await;
            assert_no_server_error(&resp);
            if resp.status == 200 {
                assert_eq!(resp.json()["items"], json!([]), "{resp}");
            } else {
                resp.problem(400, "validation-failed");
            }
        }
    }
    for (from, to) in [
        ("0000-01-01T00:00:00Z", "0000-12-31T00:00:00Z"),
        ("9999-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
        ("1969-06-01T00:00:00Z", "1970-06-01T00:00:00Z"),
    ] {
        let resp = api
            .get_query(
                "/v1/analytics/events",
                &[("from", from), ("to", to), ("granularity", "day")],
            )
            .await;
        assert_no_server_error(&resp);
        if resp.status == 200 {
            assert_eq!(resp.json()["total"], 0, "{resp}");
        } else {
            resp.problem(400, "validation-failed");
        }
    }
}

#[tokio::test]
async fn extreme_numbers_in_properties_are_stored_or_refused() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    for raw in [
        "1e308",
        "-1e308",
        "4.9e-324",
        "1e-400",
        "18446744073709551615",
        "-9223372036854775808",
        "123456789012345678901234567890",
        "-0",
        "0.1e1",
    ] {
        let body = format!(r#"{{"type":"edge.number","properties":{{"n":{raw}}}}}"#);
        let resp = api.post_raw("/v1/events", body.into_bytes()).await;
        assert_no_server_error(&resp);
        if resp.status == 201 {
            let event = resp.json();
            let expected: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
            if expected.is_number() {
                assert_eq!(event["properties"]["n"], expected, "{raw}:\n{resp}");
            }
            let read = api
                .get(&format!("/v1/events/{}", id_of(&event)))
                .await
                .ok_json(200);
            assert_eq!(read, event, "{raw} reads back as created");
        } else {
            assert_eq!(resp.status, 400, "{raw}:\n{resp}");
        }
    }
}

/// Numbers in the query string are plain decimal integers: other spellings are refused, never
/// read as something else.
#[tokio::test]
async fn odd_spellings_of_limit_are_refused() {
    let tenant = Tenant::new();
    let api = tenant.bulk("viewer");
    for limit in [
        "0x10",
        "1e2",
        "10.0",
        "\u{663}",
        "\u{ff15}",
        " 5",
        "5 ",
        "99999999999999999999",
    ] {
        let resp = api.get_query("/v1/events", &[("limit", limit)]).await;
        resp.validation_failed(&["limit"]);
    }
}

/// The last instant the API accepts: RFC 3339 has four-digit years, and every time the API
/// writes (event times, bucket starts, `from`/`to` echoes) must stay RFC 3339.
const LAST_INSTANT: &str = "9999-12-31T23:59:59.999Z";

/// Instants that are spelled with a year-9999 date but fall in year 10000 once read as UTC: a
/// negative offset, a leap second, and sub-millisecond digits that a lower bound rounds up.
const PAST_THE_LAST_INSTANT: [&str; 3] = [
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:30:00-23:59",
    "9999-12-31T23:59:60Z",
];

/// A 400 naming exactly `fields`, each with a message that names the limit.
#[track_caller]
fn refused_past_the_last_instant(resp: &Resp, fields: &[&str]) {
    let problem = resp.validation_failed(fields);
    for field in fields {
        let message = problem.message_for(field).unwrap_or_default();
        assert!(
            message.contains(LAST_INSTANT),
            "the message for {field} names the limit:\n{resp}"
        );
    }
}

/// The reported case: `to` is 10000-01-01T00:59:59Z, whose key sorted before `from`'s and made
/// the store refuse the reversed range (a 500).
#[tokio::test]
async fn an_analytics_window_crossing_into_year_10000_is_400_naming_to() {
    let tenant = Tenant::new();
    let resp = tenant
        .viewer()
        .get_query(
            "/v1/analytics/events",
            &[
                ("from", "9999-12-31T23:00:00Z"),
                ("to", "9999-12-31T23:59:59-01:00"),
                ("granularity", "hour"),
            ],
        )
        .await;
    refused_past_the_last_instant(&resp, &["to"]);
    resp.assert_security_headers(true);
}

/// A window wholly in year 10000 used to answer 200 with `+10000-…` times, which are not RFC 3339.
#[tokio::test]
async fn an_analytics_window_wholly_in_year_10000_is_400_naming_both_ends() {
    let tenant = Tenant::new();
    let api = tenant.viewer();
    for granularity in ["hour", "day"] {
        let resp = api
            .get_query(
                "/v1/analytics/events",
                &[
                    ("from", "9999-12-31T23:30:00-02:00"),
                    ("to", "9999-12-31T23:45:00-02:00"),
                    ("granularity", granularity),
                ],
            )
            .await;
        refused_past_the_last_instant(&resp, &["from", "to"]);
    }
    for raw in PAST_THE_LAST_INSTANT {
        let resp = api
            .get_query(
                "/v1/analytics/events",
                &[("from", "9999-12-31T00:00:00Z"), ("to", raw)],
            )
            .await;
        refused_past_the_last_instant(&resp, &["to"]);
    }
}

/// The positive control: a window ending at the last instant answers 200, and every time in it,
/// the last bucket included, is a four-digit-year RFC 3339 time.
#[tokio::test]
async fn an_analytics_window_ending_at_the_last_instant_stays_rfc3339() {
    let tenant = Tenant::new();
    let api = tenant.viewer();
    for (granularity, from, buckets, last) in [
        ("hour", "9999-12-31T00:00:00Z", 24, "9999-12-31T23:00:00Z"),
        ("day", "9999-12-01T00:00:00Z", 31, "9999-12-31T00:00:00Z"),
    ] {
        let report = api
            .get_query(
                "/v1/analytics/events",
                &[
                    ("from", from),
                    ("to", LAST_INSTANT),
                    ("granularity", granularity),
                ],
            )
            .await
            .ok_json(200);
        assert_eq!(report["to"], LAST_INSTANT, "{report}");
        let starts: Vec<&str> = report["buckets"]
            .as_array()
            .unwrap_or_else(|| panic!("buckets is a list: {report}"))
            .iter()
            .map(|b| b["start"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(starts.len(), buckets, "{report}");
        assert_eq!(starts.last().copied(), Some(last), "{report}");
        for start in starts {
            assert!(
                start.len() == 20 && start.starts_with("9999-12-"),
                "bucket start {start:?} in {report}"
            );
        }
    }
}

/// List bounds past the last instant are refused by name, for `from` (rounded up to the
/// millisecond, so `.9999` is already past) and `to` alike.
#[tokio::test]
async fn list_bounds_past_the_last_instant_are_400_naming_the_bound() {
    let tenant = Tenant::new();
    let api = tenant.viewer();
    for raw in PAST_THE_LAST_INSTANT
        .into_iter()
        .chain(["9999-12-31T23:59:59.9999Z"])
    {
        for field in ["from", "to"] {
            if field == "to" && raw.ends_with(".9999Z") {
                // An upper bound rounds down, to the last instant itself: fine.
                continue;
            }
            let resp = api.get_query("/v1/events", &[(field, raw)]).await;
            refused_past_the_last_instant(&resp, &[field]);
        }
    }
    // The last instant itself, and an upper bound that rounds down to it, are answered.
    for (field, raw) in [
        ("from", LAST_INSTANT),
        ("to", LAST_INSTANT),
        ("to", "9999-12-31T23:59:59.9999999Z"),
    ] {
        let page = api
            .get_query("/v1/events", &[(field, raw)])
            .await
            .ok_json(200);
        assert_eq!(page["items"], json!([]), "{page}");
    }
}

/// `occurred_at` past the last instant is refused for that reason (not merely as "too far in
/// the future", which depends on the clock), and nothing is stored.
#[tokio::test]
async fn an_occurred_at_past_the_last_instant_is_400_naming_the_limit() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    for raw in PAST_THE_LAST_INSTANT {
        let resp = api
            .post_json(
                "/v1/events",
                &json!({"type": "edge.time", "occurred_at": raw}),
            )
            .await;
        refused_past_the_last_instant(&resp, &["occurred_at"]);
    }
    assert_eq!(
        list_all(&tenant.viewer(), &[], 100).await,
        Vec::<Value>::new()
    );
}
