//! Tenants never see or touch each other's data: ids, cursors, lists and analytics.

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

#[tokio::test]
async fn another_tenants_event_is_404_exactly_like_a_missing_one() {
    let (a, events) = a_with_events().await;
    let b = Tenant::new();
    let b_api = b.editor();
    let missing = b_api
        .get(&format!("/v1/events/{}", ulid::Ulid::new()))
        .await
        .problem(404, "not-found")
        .body;
    for event in &events {
        let path = format!("/v1/events/{}", event["id"].as_str().unwrap());
        for api in [b.viewer(), b.editor(), b.admin()] {
            let resp = api.get(&path).await;
            let problem = resp.problem(404, "not-found");
            assert_eq!(problem.body, missing, "indistinguishable from a missing id");
        }
        let problem = b_api.delete(&path).await.problem(404, "not-found");
        assert_eq!(problem.body, missing);
        // A still has it, untouched.
        assert_eq!(a.viewer().get(&path).await.ok_json(200), *event);
    }
    assert_eq!(list_all(&a.viewer(), &[], 100).await.len(), events.len());
    assert_no_events(&b_api).await;
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
