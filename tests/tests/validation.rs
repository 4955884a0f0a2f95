//! Bad input gets the right problem, names every bad field, and writes nothing.

use chrono::{TimeDelta, Utc};
use ofauto_tests::api::Resp;
use ofauto_tests::fixtures::{assert_no_events, Tenant};
use ofauto_tests::time::millis;
use serde_json::{json, Value};

/// Posts `body` as a fresh tenant's editor, hands the answer to `check`, then proves that
/// nothing was written.
async fn rejected(body: Vec<u8>, check: impl Fn(&Resp)) {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let resp = api.post_raw("/v1/events", body).await;
    check(&resp);
    resp.assert_security_headers(true);
    assert_no_events(&api).await;
}

async fn rejected_fields(body: &Value, fields: &[&str]) {
    let bytes = serde_json::to_vec(body).unwrap();
    rejected(bytes, |resp| {
        resp.validation_failed(fields);
    })
    .await;
}

#[tokio::test]
async fn bad_types_are_named() {
    let too_long = format!("a{}", "b".repeat(64));
    let cases = [
        json!({}),
        json!({"type": ""}),
        json!({"type": "Signup"}),
        json!({"type": "1abc"}),
        json!({"type": "_a"}),
        json!({"type": ".a"}),
        json!({"type": "a b"}),
        json!({"type": "a/b"}),
        json!({"type": "a#b"}),
        json!({"type": "café"}),
        json!({"type": too_long}),
        json!({"type": 5}),
        json!({"type": ["a"]}),
        json!({"type": {"a": 1}}),
    ];
    for body in cases {
        eprintln!("case: {body}");
        rejected_fields(&body, &["type"]).await;
    }
}

#[tokio::test]
async fn bad_occurred_at_values_are_named() {
    let too_far_ahead = millis(Utc::now() + TimeDelta::minutes(6));
    let cases = [
        json!("yesterday"),
        json!(""),
        json!("2026-01-02"),
        json!("2026-01-02T03:04:05"),
        json!("2026-13-01T00:00:00Z"),
        json!("2026-02-30T00:00:00Z"),
        json!("2026-01-02T25:00:00Z"),
        json!(1_767_322_800),
        json!(true),
        json!(too_far_ahead),
    ];
    for value in cases {
        let body = json!({"type": "a", "occurred_at": value});
        eprintln!("case: {body}");
        rejected_fields(&body, &["occurred_at"]).await;
    }
}

#[tokio::test]
async fn bad_sources_are_named() {
    let too_long = "s".repeat(129);
    for value in [
        json!(too_long),
        json!("é".repeat(129)),
        json!(5),
        json!(true),
        json!({"a": 1}),
        json!(["web"]),
    ] {
        let body = json!({"type": "a", "source": value});
        eprintln!("case: {body}");
        rejected_fields(&body, &["source"]).await;
    }
}

#[tokio::test]
async fn bad_properties_are_named() {
    let too_deep = json!({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}});
    let too_deep_empty = json!({"a": {"b": {"c": {"d": {"e": {}}}}}});
    let filler = "x".repeat(16 * 1024 - r#"{"k":""}"#.len() + 1);
    let too_big = json!({ "k": filler });
    assert_eq!(serde_json::to_vec(&too_big).unwrap().len(), 16 * 1024 + 1);
    for value in [
        json!([]),
        json!([{"a": 1}]),
        json!("props"),
        json!(5),
        json!(true),
        too_deep,
        too_deep_empty,
        too_big,
    ] {
        let body = json!({"type": "a", "properties": value});
        let shown: String = body.to_string().chars().take(200).collect();
        eprintln!("case: {shown}");
        rejected_fields(&body, &["properties"]).await;
    }
}

#[tokio::test]
async fn unknown_fields_are_named_one_by_one() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let resp = api
        .post_json("/v1/events", &json!({"type": "a", "colour": "red"}))
        .await;
    let problem = resp.validation_failed(&["colour"]);
    assert_eq!(
        problem.message_for("colour").as_deref(),
        Some("unknown field")
    );

    // Clients cannot choose server-set fields either.
    let resp = api
        .post_json(
            "/v1/events",
            &json!({"type": "a", "id": ulid::Ulid::new().to_string(), "created_at": "2025-01-01T00:00:00Z"}),
        )
        .await;
    let problem = resp.validation_failed(&["created_at", "id"]);
    assert_eq!(problem.message_for("id").as_deref(), Some("unknown field"));
    assert_eq!(
        problem.message_for("created_at").as_deref(),
        Some("unknown field")
    );

    // A typo: the unknown field and the missing one are both named.
    let resp = api
        .post_json("/v1/events", &json!({"tpye": "signup"}))
        .await;
    resp.validation_failed(&["tpye", "type"]);
    assert_no_events(&api).await;
}

#[tokio::test]
async fn every_bad_field_is_reported_at_once() {
    let too_far_ahead = millis(Utc::now() + TimeDelta::hours(1));
    let body = json!({
        "type": "Bad Type",
        "occurred_at": too_far_ahead,
        "source": "s".repeat(200),
        "properties": [1, 2],
        "extra": 1,
    });
    rejected_fields(
        &body,
        &["type", "occurred_at", "source", "properties", "extra"],
    )
    .await;

    let body = json!({"type": 1, "occurred_at": "nope", "source": 2, "properties": "three"});
    rejected_fields(&body, &["type", "occurred_at", "source", "properties"]).await;
}

#[tokio::test]
async fn malformed_json_is_400_malformed_json() {
    let cases: Vec<Vec<u8>> = vec![
        b"{\"type\":".to_vec(),
        b"not json".to_vec(),
        b"{\"type\":\"a\",}".to_vec(),
        b"{\"type\":\"a\"} trailing".to_vec(),
        b"{'type':'a'}".to_vec(),
        b"".to_vec(),
    ];
    for body in cases {
        eprintln!("case: {}", String::from_utf8_lossy(&body));
        rejected(body, |resp| {
            let problem = resp.problem(400, "malformed-json");
            assert!(
                problem.fields().is_empty() || problem.fields() == ["body"],
                "{resp}"
            );
        })
        .await;
    }
}

#[tokio::test]
async fn json_that_is_not_an_object_is_400() {
    for body in ["[1]", "\"signup\"", "42", "null", "true"] {
        eprintln!("case: {body}");
        rejected(body.as_bytes().to_vec(), |resp| {
            resp.expect_status(400);
            let slug = resp.json()["type"].as_str().unwrap_or_default().to_owned();
            assert!(
                slug.ends_with("/validation-failed") || slug.ends_with("/malformed-json"),
                "{resp}"
            );
            resp.problem(400, slug.rsplit('/').next().unwrap());
        })
        .await;
    }
}

/// Query parameters, and the fields the answer must name.
type QueryCase<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>);

/// A syntactically valid body of exactly `len` bytes (its `source` is far too long).
fn body_of_len(len: usize) -> Vec<u8> {
    let prefix = br#"{"type":"a","source":""#;
    let suffix = br#""}"#;
    let mut body = prefix.to_vec();
    body.resize(len - suffix.len(), b'x');
    body.extend_from_slice(suffix);
    assert_eq!(body.len(), len);
    body
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    for len in [65_537, 100_000, 1024 * 1024] {
        eprintln!("case: {len} bytes");
        rejected(body_of_len(len), |resp| {
            resp.problem(413, "payload-too-large");
        })
        .await;
    }
    // Exactly 64 KiB is read, and fails on its merits instead.
    rejected(body_of_len(65_536), |resp| {
        resp.validation_failed(&["source"]);
    })
    .await;
}

#[tokio::test]
async fn bad_list_parameters_are_named() {
    let tenant = Tenant::new();
    let api = tenant.viewer();
    let long_type = "a".repeat(65);
    let cases: Vec<QueryCase> = vec![
        (vec![("limit", "0")], vec!["limit"]),
        (vec![("limit", "101")], vec!["limit"]),
        (vec![("limit", "abc")], vec!["limit"]),
        (vec![("limit", "-1")], vec!["limit"]),
        (vec![("limit", "2.5")], vec!["limit"]),
        (vec![("type", "Bad")], vec!["type"]),
        (vec![("type", "a b")], vec!["type"]),
        (vec![("type", &long_type)], vec!["type"]),
        (vec![("from", "yesterday")], vec!["from"]),
        (vec![("from", "2025-01-01")], vec!["from"]),
        (vec![("to", "soon")], vec!["to"]),
        (
            vec![
                ("from", "2025-01-02T00:00:00Z"),
                ("to", "2025-01-01T00:00:00Z"),
            ],
            vec!["from"],
        ),
        (
            vec![("type", "Nope"), ("to", "soon"), ("limit", "0")],
            vec!["type", "to", "limit"],
        ),
    ];
    for (query, fields) in cases {
        let resp = api.get_query("/v1/events", &query).await;
        resp.validation_failed(&fields);
        resp.assert_security_headers(true);
    }
    // The boundaries themselves are fine.
    for limit in ["1", "100"] {
        api.get_query("/v1/events", &[("limit", limit)])
            .await
            .ok_json(200);
    }
}

#[tokio::test]
async fn bad_analytics_parameters_are_named() {
    let tenant = Tenant::new();
    let api = tenant.viewer();
    let from = "2025-01-01T00:00:00Z";
    let cases: Vec<QueryCase> = vec![
        (vec![], vec!["from", "to"]),
        (vec![("from", from)], vec!["to"]),
        (vec![("to", from)], vec!["from"]),
        (vec![("from", "x"), ("to", from)], vec!["from"]),
        (vec![("from", from), ("to", "2025-01-01")], vec!["to"]),
        (
            vec![("from", from), ("to", from), ("granularity", "week")],
            vec!["granularity"],
        ),
        (
            vec![("from", from), ("to", from), ("granularity", "HOUR")],
            vec!["granularity"],
        ),
        (
            vec![("from", from), ("to", from), ("granularity", "minute")],
            vec!["granularity"],
        ),
        (
            vec![("from", from), ("to", from), ("type", "A")],
            vec!["type"],
        ),
        (
            vec![("from", "2025-01-02T00:00:00Z"), ("to", from)],
            vec!["from"],
        ),
    ];
    for (query, fields) in cases {
        let resp = api.get_query("/v1/analytics/events", &query).await;
        resp.validation_failed(&fields);
        resp.assert_security_headers(true);
    }

    // Spans: 31 days of hours and 366 days of days at most.
    let too_wide = [
        ("2025-01-01T00:00:00Z", "2025-02-01T00:00:01Z", "hour"),
        ("2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z", "hour"),
        ("2024-01-01T00:00:00Z", "2025-01-01T00:00:01Z", "day"),
        ("2020-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "day"),
    ];
    for (from, to, granularity) in too_wide {
        let resp = api
            .get_query(
                "/v1/analytics/events",
                &[("from", from), ("to", to), ("granularity", granularity)],
            )
            .await;
        resp.problem(400, "validation-failed")
            .assert_fields_among(&["from", "to"]);
    }
    // Wider than 31 days is fine by the day.
    api.get_query(
        "/v1/analytics/events",
        &[
            ("from", "2025-01-01T00:00:00Z"),
            ("to", "2025-03-01T00:00:00Z"),
            ("granularity", "day"),
        ],
    )
    .await
    .ok_json(200);
}
