//! The open surface: `/health`, whatever matches no route, and `/openapi.json`. None of it needs
//! a token, so none of it may reveal tenant data, internals, or a way around the authorizer.

use std::collections::BTreeSet;

use ofauto_tests::api::Api;
use ofauto_tests::fixtures::Tenant;
use ofauto_tests::stack::workspace_root;
use reqwest::Method;
use serde_json::{json, Value};

use super::{assert_untouched, id_of, tenant_with_event};

/// `/health` says only that it is up: no hosts, tables, tenants or versions of dependencies;
/// no tenant data whatever token is sent; and it is not rate-limited per tenant.
#[tokio::test]
async fn health_reveals_nothing_and_ignores_tokens() {
    let (tenant, _) = tenant_with_event().await;
    for api in [
        Api::anonymous(),
        tenant.admin(),
        Api::with_token(ofauto_tests::stack().tokens.expired(&tenant.id, "admin")),
    ] {
        let resp = api.get("/health?verbose=true&debug=1").await;
        let body = resp.ok_json(200);
        let keys: BTreeSet<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from(["checks", "status", "version"]),
            "{resp}"
        );
        assert_eq!(body["checks"], json!({"dynamodb": "ok"}), "{resp}");
        for leak in ["127.0.0.1", "localhost", "T#", &tenant.id, &stack_table()] {
            assert!(!resp.body.contains(leak), "{leak} in:\n{resp}");
        }
        assert!(resp.header("ratelimit-limit").is_none(), "{resp}");
    }
}

fn stack_table() -> String {
    ofauto_tests::stack().endpoints.table.clone()
}

/// Look-alikes of the tenant routes (case, trailing or doubled slashes, matrix parameters,
/// encoded slashes) are unknown routes: 404, even with a valid token, never a list.
#[tokio::test]
async fn route_look_alikes_are_404_and_reach_no_data() {
    let (tenant, event) = tenant_with_event().await;
    let id = id_of(&event);
    let api = tenant.bulk("admin");
    for path in [
        "/V1/EVENTS".to_owned(),
        "/v1/Events".to_owned(),
        "/v1/events/".to_owned(),
        "/v1//events".to_owned(),
        "//v1/events".to_owned(),
        "/v1/events;type=keep.me".to_owned(),
        "/v1%2Fevents".to_owned(),
        format!("/v1/events%2F{id}"),
        format!("/v1/events/{id}/"),
        format!("/v1/events/{id}.json"),
        "/v1/events.json".to_owned(),
        "/v1/analytics/events/".to_owned(),
    ] {
        let resp = api.get(&path).await;
        resp.problem(404, "not-found");
        assert!(
            !resp.body.contains("keep.me") && !resp.body.contains(&id),
            "{resp}"
        );
        let resp = api.delete(&path).await;
        assert!(resp.status == 404 || resp.status == 405, "{resp}");
    }
    assert_untouched(&tenant, &event).await;
}

/// An unknown route takes no body: a large one writes nothing and does not stop the next request.
#[tokio::test]
async fn an_unknown_route_with_a_large_body_writes_nothing() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let mut body = br#"{"type":"nowhere","source":""#.to_vec();
    body.resize(1024 * 1024, b'x');
    body.extend_from_slice(br#""}"#);
    for path in [
        "/v1/event",
        "/v1/events/batch",
        "/v1/analytics/events/import",
    ] {
        let resp = api
            .send(
                Method::POST,
                api.url(path),
                Some((body.clone(), "application/json")),
                &[],
            )
            .await;
        assert!(
            [404, 405, 413].contains(&resp.status),
            "{path} refuses the body:\n{resp}"
        );
    }
    super::assert_empty(&tenant).await;
}

/// Methods outside the contract (TRACE, CONNECT-like, WebDAV) are refused on every path.
#[tokio::test]
async fn unusual_methods_are_refused() {
    let (tenant, event) = tenant_with_event().await;
    let api = tenant.bulk("admin");
    let item = format!("/v1/events/{}", id_of(&event));
    for method in ["TRACE", "PROPFIND", "MKCOL", "MOVE", "PURGE"] {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for path in ["/v1/events", item.as_str(), "/health"] {
            let resp = api.method(method.clone(), path).await;
            assert!(
                [400, 403, 404, 405, 501].contains(&resp.status),
                "{method} {path}:\n{resp}"
            );
            assert!(
                !resp.body.contains("authorization"),
                "TRACE echoes nothing:\n{resp}"
            );
        }
    }
    assert_untouched(&tenant, &event).await;
}

async fn openapi() -> (ofauto_tests::Resp, Value) {
    let resp = Api::anonymous().get("/openapi.json").await;
    let doc = resp.ok_json(200);
    (resp, doc)
}

#[tokio::test]
async fn openapi_is_served_without_a_token_as_openapi_3_1() {
    let (resp, doc) = openapi().await;
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1."), "openapi {version:?}:\n{resp}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/health",
        "/v1/events",
        "/v1/events/{id}",
        "/v1/analytics/events",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
}

/// What is served is the committed, reviewed document, nothing generated on the fly.
#[tokio::test]
async fn openapi_served_is_the_committed_document() {
    let (_, served) = openapi().await;
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("openapi.json")).expect("openapi.json"),
    )
    .expect("the committed openapi.json is JSON");
    assert_eq!(served, committed);
}

/// The document declares bearer JWT auth for everything but `/health`, and the refusals a
/// client must expect (401, 403, 429) on every tenant operation.
#[tokio::test]
async fn openapi_requires_bearer_auth_on_every_tenant_operation() {
    let (_, doc) = openapi().await;
    let schemes = &doc["components"]["securitySchemes"];
    let bearer = schemes
        .as_object()
        .and_then(|s| s.iter().find(|(_, v)| v["scheme"] == "bearer"))
        .map(|(name, v)| (name.clone(), v.clone()))
        .expect("a bearer security scheme");
    assert_eq!(bearer.1["type"], "http");
    assert_eq!(bearer.1["bearerFormat"], "JWT");
    let global: Vec<String> = doc["security"]
        .as_array()
        .map(|reqs| {
            reqs.iter()
                .flat_map(|r| r.as_object().unwrap().keys().cloned())
                .collect()
        })
        .unwrap_or_default();
    let mut tenant_operations = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let security = operation.get("security").map(|s| {
                s.as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|r| r.as_object().unwrap().keys().cloned())
                    .collect::<Vec<_>>()
            });
            let effective = security.unwrap_or_else(|| global.clone());
            if path == "/health" {
                assert!(effective.is_empty(), "{method} {path} is open");
                continue;
            }
            tenant_operations += 1;
            assert!(
                effective.contains(&bearer.0),
                "{method} {path} requires the bearer scheme"
            );
            let responses = operation["responses"].as_object().unwrap();
            for status in ["401", "403", "429"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} documents {status}"
                );
            }
        }
    }
    assert_eq!(
        tenant_operations,
        super::Route::ALL.len(),
        "every tenant route of the suite's table is a bearer operation"
    );
}

/// The local gateway publishes its JWKS, as Cognito does: public keys only, RS256 only, and
/// nothing a forger could sign with.
#[tokio::test]
async fn the_published_jwks_holds_only_public_keys() {
    let resp = Api::anonymous().get("/.well-known/jwks.json").await;
    let jwks = resp.ok_json(200);
    let keys = jwks["keys"].as_array().expect("keys");
    assert!(!keys.is_empty(), "{resp}");
    for key in keys {
        assert_eq!(key["kty"], "RSA", "{key}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(
                key.get(private).is_none(),
                "private member {private} in {key}"
            );
        }
        assert!(
            key.get("alg").is_none_or(|alg| alg == "RS256"),
            "only RS256: {key}"
        );
    }
}
