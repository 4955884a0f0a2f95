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
