//! Creating, reading and deleting single events.

use chrono::{TimeDelta, Utc};
use ofauto_tests::fixtures::{create_event, created, list_all, Tenant};
use ofauto_tests::time::{self, at, millis};
use serde_json::{json, Value};

#[tokio::test]
async fn create_answers_201_with_the_event_location_and_headers() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let before = Utc::now() - TimeDelta::seconds(1);
    let resp = api
        .post_json(
            "/v1/events",
            &json!({
                "type": "page.view",
                "occurred_at": "2026-01-02T03:04:05Z",
                "source": "web",
                "properties": {"path": "/pricing", "n": 3}
            }),
        )
        .await;
    let event = created(&resp);
    resp.assert_security_headers(true);
    let after = Utc::now() + TimeDelta::seconds(1);

    assert_eq!(event["type"], "page.view");
    assert_eq!(event["occurred_at"], "2026-01-02T03:04:05.000Z");
    assert_eq!(event["source"], "web");
    assert_eq!(event["properties"], json!({"path": "/pricing", "n": 3}));
    let created_at = at(event["created_at"].as_str().unwrap());
    assert!(
        before <= created_at && created_at <= after,
        "created_at {created_at} is the time of the request ({before}..{after})"
    );
}

#[tokio::test]
async fn a_created_event_reads_back_identically() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let event = create_event(
        &api,
        &json!({"type": "signup", "occurred_at": "2025-11-30T23:59:59.999Z", "source": "ios"}),
    )
    .await;
    let id = event["id"].as_str().unwrap();

    let resp = api.get(&format!("/v1/events/{id}")).await;
    assert_eq!(resp.ok_json(200), event);
    resp.assert_security_headers(true);

    // The viewer of the same tenant reads it too.
    let resp = tenant.viewer().get(&format!("/v1/events/{id}")).await;
    assert_eq!(resp.ok_json(200), event);
}

#[tokio::test]
async fn occurred_at_is_normalised_to_utc_milliseconds() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let cases = [
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000Z"),
        (
            "2026-01-02T05:04:05.123456+02:00",
            "2026-01-02T03:04:05.123Z",
        ),
        ("2026-01-01T22:04:05.5-05:00", "2026-01-02T03:04:05.500Z"),
        ("2026-01-02T03:04:05.120+00:00", "2026-01-02T03:04:05.120Z"),
    ];
    for (sent, expected) in cases {
        let event = create_event(&api, &json!({"type": "tick", "occurred_at": sent})).await;
        assert_eq!(event["occurred_at"], expected, "occurred_at {sent}");
        let id = event["id"].as_str().unwrap();
        let stored = api.get(&format!("/v1/events/{id}")).await.ok_json(200);
        assert_eq!(stored["occurred_at"], expected, "stored occurred_at {sent}");
    }
}

#[tokio::test]
async fn absent_fields_take_their_defaults() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let before = Utc::now() - TimeDelta::seconds(1);
    let event = create_event(&api, &json!({"type": "app.open"})).await;
    let after = Utc::now() + TimeDelta::seconds(1);

    let occurred_at = at(event["occurred_at"].as_str().unwrap());
    assert!(
        before <= occurred_at && occurred_at <= after,
        "occurred_at defaults to now: {occurred_at} not in {before}..{after}"
    );
    assert_eq!(event["source"], Value::Null);
    assert_eq!(event["properties"], json!({}));

    let id = event["id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/v1/events/{id}")).await.ok_json(200),
        event
    );
}

#[tokio::test]
async fn occurred_at_slightly_in_the_future_is_accepted() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let soon = millis(Utc::now() + TimeDelta::minutes(4));
    let event = create_event(&api, &json!({"type": "clock.skew", "occurred_at": soon})).await;
    assert_eq!(event["occurred_at"], soon.as_str());
}

#[tokio::test]
async fn values_at_the_limits_are_accepted_and_kept_exactly() {
    let tenant = Tenant::new();
    let api = tenant.editor();

    // `type`: 64 characters, and every allowed character class.
    let long_type = format!("a{}", "b".repeat(63));
    for ty in [long_type.as_str(), "a", "x9_.:-z", "order:created.v2"] {
        let event = create_event(&api, &json!({ "type": ty })).await;
        assert_eq!(event["type"], ty);
    }

    // `source`: 128 characters (not bytes: each é is two bytes).
    let source = "é".repeat(128);
    let event = create_event(&api, &json!({"type": "a", "source": source})).await;
    assert_eq!(event["source"], source.as_str());

    // `properties`: nested exactly 5 deep (the object itself is depth 1).
    let deep = json!({"a": {"b": {"c": {"d": {"e": 1}}}}});
    let event = create_event(&api, &json!({"type": "a", "properties": deep})).await;
    assert_eq!(event["properties"], deep);

    // `properties`: exactly 16 KiB serialised.
    let filler = "x".repeat(16 * 1024 - r#"{"k":""}"#.len());
    let big = json!({ "k": filler });
    assert_eq!(serde_json::to_vec(&big).unwrap().len(), 16 * 1024);
    let event = create_event(&api, &json!({"type": "a", "properties": big})).await;
    assert_eq!(event["properties"], big);

    // Everything above was written.
    assert_eq!(list_all(&api, &[], 100).await.len(), 7);
}

#[tokio::test]
async fn properties_round_trip_exactly() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let properties = json!({
        "plan": "pro",
        "count": 42,
        "ratio": 1.5,
        "negative": -7,
        "ok": true,
        "nothing": null,
        "list": [1, "two", {"three": 3}],
        "text": "emoji 🎉, quotes \" and backslash \\",
        "nested": {"a": {"b": "c"}},
        "": "empty key"
    });
    let event = create_event(&api, &json!({"type": "mixed", "properties": properties})).await;
    assert_eq!(event["properties"], properties);
    let id = event["id"].as_str().unwrap();
    let stored = api.get(&format!("/v1/events/{id}")).await.ok_json(200);
    assert_eq!(stored["properties"], properties);
}

#[tokio::test]
async fn deleted_events_are_gone() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let keep = create_event(&api, &json!({"type": "keep"})).await;
    let doomed = create_event(&api, &json!({"type": "doomed"})).await;
    let path = format!("/v1/events/{}", doomed["id"].as_str().unwrap());

    let resp = api.delete(&path).await;
    resp.expect_status(204);
    assert!(resp.body.is_empty(), "204 has no body:\n{resp}");
    resp.assert_security_headers(true);

    let resp = api.get(&path).await;
    resp.problem(404, "not-found");
    resp.assert_security_headers(true);
    api.delete(&path).await.problem(404, "not-found");

    // Only the other event is left.
    let left = list_all(&api, &[], 100).await;
    assert_eq!(left, vec![keep.clone()]);
    let keep_path = format!("/v1/events/{}", keep["id"].as_str().unwrap());
    assert_eq!(api.get(&keep_path).await.ok_json(200), keep);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    // A real event exists, so "not found" is not merely "this tenant is empty".
    let event = create_event(&api, &json!({"type": "a"})).await;
    let id = event["id"].as_str().unwrap().to_owned();

    let never_created = ulid::Ulid::new().to_string();
    let malformed = [
        "not-an-id".to_owned(),
        id[..id.len() - 1].to_owned(),
        format!("{id}0"),
        "0".repeat(26),
        "%20".to_owned(),
        "..%2F..%2Fhealth".to_owned(),
    ];
    for bad in std::iter::once(&never_created).chain(malformed.iter()) {
        let path = format!("/v1/events/{bad}");
        let resp = api.get(&path).await;
        resp.problem(404, "not-found");
        resp.assert_security_headers(true);
        api.delete(&path).await.problem(404, "not-found");
    }
    // The real event survived all those deletes.
    assert_eq!(
        api.get(&format!("/v1/events/{id}")).await.ok_json(200),
        event
    );
}

#[tokio::test]
async fn ids_are_unique_even_for_identical_events() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let body = json!({"type": "same", "occurred_at": "2026-02-03T04:05:06.789Z"});
    let events = ofauto_tests::fixtures::create_events(&api, &vec![body; 20]).await;
    let mut ids = ofauto_tests::fixtures::ids(&events);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "20 creates made 20 distinct events");
    assert_eq!(list_all(&api, &[], 100).await.len(), 20);
    assert!(events
        .iter()
        .all(|e| time::is_canonical_millis(e["created_at"].as_str().unwrap())));
}
