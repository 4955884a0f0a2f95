//! Broken object-level authorisation (OWASP API1): tenants never see or touch each other's data,
//! whatever ids, cursors, idempotency keys or tenant names they send. Every key is built from the
//! token's tenant, so another tenant's object is simply not there: 404, exactly like a missing
//! one, and a 400 for another tenant's cursor.

use std::time::Duration;

use ofauto_tests::api::Api;
use ofauto_tests::fixtures::{
    assert_no_events, create_event, create_events, list_all, list_page, poll, Tenant,
};
use serde_json::{json, Value};

/// Tenant A with a few events, and tenant B, empty, probing them.
async fn a_with_events() -> (Tenant, Vec<Value>) {
    let a = Tenant::new();
    let bodies: Vec<Value> = (0..6)
        .map(|i| {
            json!({
                "type": if i % 2 == 0 { "secret.a" } else { "shared.name" },
                "occurred_at": format!("2025-08-01T1{i}:00:00Z"),
                "properties": {"owner": "a", "i": i}
            })
        })
        .collect();
    let events = create_events(&a.editor(), &bodies).await;
    (a, events)
}

/// The 404 a tenant gets for an id nobody created.
async fn missing_problem(api: &Api) -> Value {
    api.get(&format!("/v1/events/{}", ulid::Ulid::new()))
        .await
        .problem(404, "not-found")
        .body
}

#[tokio::test]
async fn reading_another_tenants_event_is_404_exactly_like_a_missing_one() {
    let (a, events) = a_with_events().await;
    let b = Tenant::new();
    let missing = missing_problem(&b.viewer()).await;
    for event in &events {
        let path = format!("/v1/events/{}", event["id"].as_str().unwrap());
        for api in [b.viewer(), b.editor(), b.admin()] {
            let resp = api.get(&path).await;
            let problem = resp.problem(404, "not-found");
            assert_eq!(problem.body, missing, "indistinguishable from a missing id");
            assert!(
                !resp.body.contains("secret.a") && !resp.body.contains(&a.id),
                "{resp}"
            );
        }
    }
}

#[tokio::test]
async fn deleting_another_tenants_event_is_404_and_leaves_it() {
    let (a, events) = a_with_events().await;
    let b = Tenant::new();
    let missing = missing_problem(&b.editor()).await;
    for event in &events {
        let path = format!("/v1/events/{}", event["id"].as_str().unwrap());
        for api in [b.editor(), b.admin()] {
            let problem = api.delete(&path).await.problem(404, "not-found");
            assert_eq!(problem.body, missing, "indistinguishable from a missing id");
        }
        // A still has it, untouched.
        assert_eq!(a.viewer().get(&path).await.ok_json(200), *event);
    }
    assert_eq!(list_all(&a.viewer(), &[], 100).await.len(), events.len());
    assert_no_events(&b.editor()).await;
}

#[tokio::test]
async fn lists_show_only_the_callers_events() {
    let (a, a_events) = a_with_events().await;
    let b = Tenant::new();
    let b_api = b.editor();
    assert_no_events(&b_api).await;
    for query in [
        vec![("type", "secret.a")],
        vec![("type", "shared.name")],
        vec![
            ("from", "2025-08-01T00:00:00Z"),
            ("to", "2025-08-02T00:00:00Z"),
        ],
    ] {
        let page = list_page(&b_api, &query).await;
        assert!(page.items.is_empty(), "B sees A's events via {query:?}");
    }

    // B's own events, with the same type as some of A's, do not mix with A's either.
    let b_event = create_event(
        &b_api,
        &json!({"type": "shared.name", "occurred_at": "2025-08-01T12:30:00Z"}),
    )
    .await;
    assert_eq!(list_all(&b_api, &[], 100).await, vec![b_event.clone()]);
    assert_eq!(
        list_all(&b_api, &[("type", "shared.name")], 100).await,
        vec![b_event.clone()]
    );
    let a_listed = list_all(&a.viewer(), &[], 100).await;
    assert_eq!(a_listed.len(), a_events.len());
    assert!(!a_listed.contains(&b_event));
}

#[tokio::test]
async fn a_tenant_id_that_prefixes_another_does_not_reach_it() {
    let short = Tenant::new();
    let long = Tenant::with_id(format!("{}0", short.id));
    let short_event = create_event(
        &short.editor(),
        &json!({"type": "x", "occurred_at": "2025-08-03T00:00:00Z"}),
    )
    .await;
    let long_event = create_event(
        &long.editor(),
        &json!({"type": "x", "occurred_at": "2025-08-03T00:00:00Z"}),
    )
    .await;
    assert_eq!(
        list_all(&short.viewer(), &[], 100).await,
        vec![short_event.clone()]
    );
    assert_eq!(
        list_all(&long.viewer(), &[], 100).await,
        vec![long_event.clone()]
    );
    let path = format!("/v1/events/{}", short_event["id"].as_str().unwrap());
    long.viewer().get(&path).await.problem(404, "not-found");
    let path = format!("/v1/events/{}", long_event["id"].as_str().unwrap());
    short.viewer().get(&path).await.problem(404, "not-found");
}

#[tokio::test]
async fn another_tenants_cursor_is_rejected() {
    let (a, _) = a_with_events().await;
    let b = Tenant::new();
    // B holds as many events, so the same query has a next page for B too.
    create_events(&b.editor(), &vec![json!({"type": "shared.name"}); 6]).await;

    for query in [
        vec![("limit", "2")],
        vec![("limit", "2"), ("type", "shared.name")],
    ] {
        let a_cursor = list_page(&a.viewer(), &query)
            .await
            .next_cursor
            .expect("A has a next page");
        let b_cursor = list_page(&b.viewer(), &query)
            .await
            .next_cursor
            .expect("B has a next page");
        let mut with_a = query.clone();
        with_a.push(("cursor", &a_cursor));
        b.viewer()
            .get_query("/v1/events", &with_a)
            .await
            .invalid_cursor();
        let mut with_b = query.clone();
        with_b.push(("cursor", &b_cursor));
        a.viewer()
            .get_query("/v1/events", &with_b)
            .await
            .invalid_cursor();
        // Each tenant's own cursor still works for it.
        list_page(&a.viewer(), &with_a).await;
        list_page(&b.viewer(), &with_b).await;
    }
}

#[tokio::test]
async fn analytics_count_only_the_callers_events() {
    let (a, _) = a_with_events().await;
    let b = Tenant::new();
    let query = [
        ("from", "2025-08-01T00:00:00Z"),
        ("to", "2025-08-01T23:59:59Z"),
        ("granularity", "hour"),
    ];
    // Wait until A's counters are there, so B's zero below is meaningful.
    let a_report = poll(
        Duration::from_secs(10),
        || analytics(a.viewer(), &query),
        |r| r["total"] == 6,
    )
    .await;
    assert_eq!(a_report["total"], 6, "{a_report}");

    let b_report = analytics(b.viewer(), &query).await;
    assert_eq!(b_report["total"], 0, "{b_report}");
    assert!(b_report["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|bucket| bucket["total"] == 0 && bucket["counts"] == json!({})));
    let typed = [
        ("from", "2025-08-01T00:00:00Z"),
        ("to", "2025-08-01T23:59:59Z"),
        ("type", "secret.a"),
    ];
    assert_eq!(analytics(b.viewer(), &typed).await["total"], 0);
    let day = [
        ("from", "2025-07-31T00:00:00Z"),
        ("to", "2025-08-02T00:00:00Z"),
        ("granularity", "day"),
    ];
    assert_eq!(analytics(b.viewer(), &day).await["total"], 0);
    assert_eq!(analytics(a.viewer(), &day).await["total"], 6);
}

async fn analytics(api: Api, query: &[(&str, &str)]) -> Value {
    api.get_query("/v1/analytics/events", query)
        .await
        .ok_json(200)
}

#[tokio::test]
async fn the_tenant_comes_from_the_token_only() {
    let (a, a_events) = a_with_events().await;
    let b = Tenant::new();
    let b_api = b.editor();
    // Naming A in headers or the query string changes nothing for B.
    let resp = b_api
        .send(
            reqwest::Method::GET,
            b_api.url_with_query("/v1/events", &[("tenant_id", &a.id), ("tenant", &a.id)]),
            None,
            &[("x-tenant-id", &a.id), ("x-ofauto-tenant", &a.id)],
        )
        .await;
    // Either the unknown parameters are ignored (and B sees nothing) or they are refused.
    if resp.status == 200 {
        let body = resp.json();
        assert_eq!(body["items"], json!([]), "{resp}");
    } else {
        resp.problem(400, "validation-failed");
    }
    let path = format!("/v1/events/{}", a_events[0]["id"].as_str().unwrap());
    let resp = b_api
        .send(
            reqwest::Method::GET,
            b_api.url(&path),
            None,
            &[("x-tenant-id", &a.id)],
        )
        .await;
    resp.problem(404, "not-found");

    // A body naming A's tenant is refused outright, and writes nothing anywhere.
    let resp = b_api
        .post_json("/v1/events", &json!({"type": "x", "tenant_id": a.id}))
        .await;
    resp.validation_failed(&["tenant_id"]);
    assert_no_events(&b_api).await;
    assert_eq!(list_all(&a.viewer(), &[], 100).await.len(), a_events.len());

    // A token whose payload was swapped for A's after signing is no token at all.
    let forged = ofauto_tests::stack()
        .tokens
        .forged_tenant(&b.id, &a.id, "editor");
    Api::with_token(forged)
        .get("/v1/events")
        .await
        .assert_unauthorized();
}

#[tokio::test]
async fn tenant_ids_differing_only_in_case_are_different_tenants() {
    let suffix = ulid::Ulid::new().to_string();
    let upper = Tenant::with_id(format!("ACME-{suffix}"));
    let lower = Tenant::with_id(format!("acme-{}", suffix.to_lowercase()));
    let event = create_event(&upper.editor(), &json!({"type": "case.test"})).await;
    assert_no_events(&lower.viewer()).await;
    let path = format!("/v1/events/{}", event["id"].as_str().unwrap());
    lower.viewer().get(&path).await.problem(404, "not-found");
    lower.editor().delete(&path).await.problem(404, "not-found");
    assert_eq!(list_all(&upper.viewer(), &[], 100).await, vec![event]);
}

/// A cursor is the last id plus a MAC over tenant and query. B takes its own valid cursor and
/// points it at one of A's events: the MAC no longer matches, so it is refused, not followed.
#[tokio::test]
async fn a_cursor_pointed_at_another_tenants_event_is_rejected() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    let (_, a_events) = a_with_events().await;
    let b = Tenant::new();
    create_events(&b.editor(), &vec![json!({"type": "shared.name"}); 3]).await;
    let b_cursor = list_page(&b.viewer(), &[("limit", "1")])
        .await
        .next_cursor
        .expect("B has a next page");
    let (_, mac) = b_cursor.split_once('.').expect("a cursor is position.mac");
    for event in &a_events {
        let position = URL_SAFE_NO_PAD.encode(event["id"].as_str().unwrap());
        let forged = format!("{position}.{mac}");
        let resp = b
            .viewer()
            .get_query("/v1/events", &[("limit", "1"), ("cursor", &forged)])
            .await;
        resp.invalid_cursor();
        assert!(!resp.body.contains("secret.a"), "{resp}");
    }
}

/// B cannot pick one of A's event ids for its own create, so it can never overwrite A's event or
/// make one that collides with it.
#[tokio::test]
async fn choosing_another_tenants_event_id_on_create_is_refused() {
    let (a, a_events) = a_with_events().await;
    let b = Tenant::new();
    for event in &a_events {
        let resp = b
            .editor()
            .post_json(
                "/v1/events",
                &json!({"type": "overwrite", "id": event["id"], "properties": {"owner": "b"}}),
            )
            .await;
        resp.validation_failed(&["id"]);
    }
    assert_no_events(&b.editor()).await;
    let mut listed = list_all(&a.viewer(), &[], 100).await;
    let mut expected = a_events.clone();
    ofauto_tests::fixtures::sort_newest_first(&mut listed);
    ofauto_tests::fixtures::sort_newest_first(&mut expected);
    assert_eq!(listed, expected, "A's events are unchanged");
}

/// Idempotency records live in the caller's partition: B sending A's key, with A's very body,
/// gets its own new event, never a replay of A's answer (which would hand B A's event).
#[tokio::test]
async fn an_idempotency_key_never_replays_another_tenants_answer() {
    let a = Tenant::new();
    let b = Tenant::new();
    let key = format!("shared-key-{}", ulid::Ulid::new());
    let body = json!({"type": "idem.shared", "properties": {"n": 1}});
    let a_resp = a
        .editor()
        .post_json_with("/v1/events", &body, &[("idempotency-key", &key)])
        .await;
    let a_event = ofauto_tests::fixtures::created(&a_resp);
    let b_resp = b
        .editor()
        .post_json_with("/v1/events", &body, &[("idempotency-key", &key)])
        .await;
    let b_event = ofauto_tests::fixtures::created(&b_resp);
    assert!(b_resp.header("idempotency-replayed").is_none(), "{b_resp}");
    assert_ne!(a_event["id"], b_event["id"], "B got A's event back");
    assert_eq!(list_all(&b.viewer(), &[], 100).await, vec![b_event.clone()]);
    assert_eq!(list_all(&a.viewer(), &[], 100).await, vec![a_event.clone()]);

    // And a different body under A's key is not a 422 for B: B's keys are B's own.
    let c = Tenant::new();
    let resp = c
        .editor()
        .post_json_with(
            "/v1/events",
            &json!({"type": "idem.other"}),
            &[("idempotency-key", &key)],
        )
        .await;
    ofauto_tests::fixtures::created(&resp);
}
