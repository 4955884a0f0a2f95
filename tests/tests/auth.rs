//! Authentication (the gateway's 401s) and authorisation (roles and the tenant claim, 403).

use ofauto_tests::api::{Api, Resp};
use ofauto_tests::fixtures::{assert_no_events, create_event, list_all, Tenant};
use ofauto_tests::stack;
use ofauto_tests::tokens::TokenSpec;
use reqwest::Method;
use serde_json::{json, Value};

const ANALYTICS: &str = "/v1/analytics/events?from=2025-01-01T00:00:00Z&to=2025-01-01T05:00:00Z";

/// Calls every Event Service route once; `id` names an existing event.
async fn every_route(api: &Api, id: &str) -> Vec<Resp> {
    let item = format!("/v1/events/{id}");
    vec![
        api.post_json("/v1/events", &json!({"type": "auth.probe"}))
            .await,
        api.get("/v1/events").await,
        api.get("/v1/events?type=auth.probe&limit=5").await,
        api.get(&item).await,
        api.delete(&item).await,
        api.get(ANALYTICS).await,
    ]
}

/// A tenant with one event, which the checks below must leave alone.
async fn tenant_with_event() -> (Tenant, Value) {
    let tenant = Tenant::new();
    let event = create_event(&tenant.editor(), &json!({"type": "keep.me"})).await;
    (tenant, event)
}

/// The tenant still has exactly that event: nothing was written or deleted.
async fn assert_untouched(tenant: &Tenant, event: &Value) {
    assert_eq!(
        list_all(&tenant.viewer(), &[], 100).await,
        vec![event.clone()]
    );
}

#[tokio::test]
async fn no_token_is_401_on_every_route() {
    let (tenant, event) = tenant_with_event().await;
    let id = event["id"].as_str().unwrap();
    for resp in every_route(&Api::anonymous(), id).await {
        resp.assert_unauthorized();
    }
    assert_untouched(&tenant, &event).await;
}

#[tokio::test]
async fn invalid_tokens_are_401_on_every_route() {
    let (tenant, event) = tenant_with_event().await;
    let id = event["id"].as_str().unwrap();
    let tokens = &stack().tokens;
    let t = tenant.id.as_str();
    let invalid = [
        ("garbage", "not-a-jwt".to_owned()),
        ("three dots of garbage", "a.b.c".to_owned()),
        ("bad signature", tokens.bad_signature(t, "editor")),
        ("expired", tokens.expired(t, "editor")),
        ("alg none", tokens.alg_none(t, "editor")),
        (
            "HS256 keyed with the public JWKS",
            tokens.hs256_with_public_key(t, "editor"),
        ),
        ("wrong issuer", tokens.wrong_issuer(t, "editor")),
        ("wrong audience", tokens.wrong_audience(t, "editor")),
        ("unknown kid", tokens.unknown_kid(t, "editor")),
        (
            "payload swapped after signing",
            tokens.forged_tenant("someone-else", t, "editor"),
        ),
    ];
    for (what, token) in invalid {
        eprintln!("case: {what}");
        for resp in every_route(&Api::with_token(token), id).await {
            resp.assert_unauthorized();
        }
    }
    assert_untouched(&tenant, &event).await;
}

#[tokio::test]
async fn a_token_works_until_it_expires() {
    let tenant = Tenant::new();
    let now = chrono::Utc::now().timestamp();
    let mut spec = TokenSpec::new(&tenant.id, "viewer");
    spec.exp = now + 30;
    Api::with_token(stack().tokens.mint(&spec))
        .get("/v1/events")
        .await
        .ok_json(200);
    // Five minutes past expiry is beyond any clock-skew leeway.
    spec.exp = now - 300;
    Api::with_token(stack().tokens.mint(&spec))
        .get("/v1/events")
        .await
        .assert_unauthorized();
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_write() {
    let (tenant, event) = tenant_with_event().await;
    let id = event["id"].as_str().unwrap();
    let viewer = tenant.viewer();

    let resp = viewer
        .post_json("/v1/events", &json!({"type": "nope"}))
        .await;
    resp.problem(403, "forbidden");
    resp.assert_security_headers(true);
    let resp = viewer.delete(&format!("/v1/events/{id}")).await;
    resp.problem(403, "forbidden");
    resp.assert_security_headers(true);

    viewer.get("/v1/events").await.ok_json(200);
    assert_eq!(
        viewer.get(&format!("/v1/events/{id}")).await.ok_json(200),
        event
    );
    viewer.get(ANALYTICS).await.ok_json(200);
    assert_untouched(&tenant, &event).await;
}

#[tokio::test]
async fn editors_and_admins_write() {
    for role in ["editor", "admin"] {
        let tenant = Tenant::new();
        let api = tenant.api(role);
        let event = create_event(&api, &json!({"type": "by.role", "source": role})).await;
        let path = format!("/v1/events/{}", event["id"].as_str().unwrap());
        assert_eq!(api.get(&path).await.ok_json(200), event);
        api.get(ANALYTICS).await.ok_json(200);
        api.delete(&path).await.expect_status(204);
        assert_no_events(&api).await;
    }
}

#[tokio::test]
async fn several_roles_grant_the_strongest() {
    let tenant = Tenant::new();
    let token = stack()
        .tokens
        .token_with_groups(&tenant.id, &["viewer", "editor"]);
    let event = create_event(&Api::with_token(token), &json!({"type": "multi.role"})).await;
    assert_eq!(list_all(&tenant.viewer(), &[], 100).await, vec![event]);
}

#[tokio::test]
async fn no_known_role_cannot_write() {
    let tenant = Tenant::new();
    let tokens = &stack().tokens;
    let mut no_groups = TokenSpec::new(&tenant.id, "editor");
    no_groups.groups = None;
    for token in [
        tokens.token_with_groups(&tenant.id, &["guest"]),
        tokens.token_with_groups(&tenant.id, &["Editor"]),
        tokens.token_with_groups(&tenant.id, &[]),
        tokens.mint(&no_groups),
    ] {
        let api = Api::with_token(token);
        api.post_json("/v1/events", &json!({"type": "nope"}))
            .await
            .problem(403, "forbidden");
    }
    assert_no_events(&tenant.viewer()).await;
}

#[tokio::test]
async fn a_token_without_a_tenant_is_403_on_every_route() {
    let (tenant, event) = tenant_with_event().await;
    let id = event["id"].as_str().unwrap();
    for role in ["viewer", "editor", "admin"] {
        let api = Api::with_token(stack().tokens.without_tenant(role));
        for resp in every_route(&api, id).await {
            resp.problem(403, "forbidden");
            resp.assert_security_headers(true);
        }
    }
    assert_untouched(&tenant, &event).await;
}

#[tokio::test]
async fn the_auth_scheme_must_be_bearer() {
    let (tenant, event) = tenant_with_event().await;
    let api = Api::anonymous();
    let token = tenant.token("editor");
    for header in [
        format!("Basic {token}"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
    ] {
        let resp = api
            .send(
                Method::POST,
                api.url("/v1/events"),
                Some((br#"{"type":"sneaky"}"#.to_vec(), "application/json")),
                &[("authorization", &header)],
            )
            .await;
        resp.assert_unauthorized();
    }
    assert_untouched(&tenant, &event).await;
}
