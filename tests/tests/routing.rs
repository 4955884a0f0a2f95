//! Health, unknown routes (404), wrong methods (405), and the headers on every answer.

use std::collections::BTreeSet;

use ofauto_tests::api::{allowed_methods, Api};
use ofauto_tests::fixtures::{assert_no_events, create_event, Tenant};
use reqwest::Method;
use serde_json::json;

fn set(methods: &[&str]) -> BTreeSet<String> {
    methods.iter().map(|m| (*m).to_owned()).collect()
}

#[tokio::test]
async fn health_needs_no_token_and_checks_dynamodb() {
    let resp = Api::anonymous().get("/health").await;
    let body = resp.ok_json(200);
    resp.assert_security_headers(false);
    assert_eq!(body["status"], "ok", "{resp}");
    assert!(
        body["version"].as_str().is_some_and(|v| !v.is_empty()),
        "version: {resp}"
    );
    assert_eq!(body["checks"], json!({"dynamodb": "ok"}), "{resp}");

    // A token, even a bad one, does not matter on an open route.
    let resp = Api::with_token("not-a-jwt").get("/health").await;
    assert_eq!(resp.ok_json(200)["status"], "ok");
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let tenant = Tenant::new();
    let editor = tenant.editor();
    let anonymous = Api::anonymous();
    for path in [
        "/",
        "/nope",
        "/v1",
        "/v1/nope",
        "/v2/events",
        "/v1/event",
        "/v1/analytics",
        "/v1/analytics/nope",
        "/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV/extra",
        "/health/deep",
    ] {
        for (authenticated, api) in [(true, &editor), (false, &anonymous)] {
            let resp = api.get(path).await;
            resp.problem(404, "not-found");
            resp.assert_security_headers(authenticated);
        }
    }
    // POST to an unknown path writes nothing.
    let resp = editor.post_json("/v1/event", &json!({"type": "a"})).await;
    resp.problem(404, "not-found");
    assert_no_events(&editor).await;
}

#[tokio::test]
async fn wrong_methods_on_known_paths_are_405_with_allow() {
    let tenant = Tenant::new();
    let editor = tenant.editor();
    let event = create_event(&editor, &json!({"type": "a"})).await;
    let item = format!("/v1/events/{}", event["id"].as_str().unwrap());
    let cases = [
        (Method::PUT, "/v1/events", &["GET", "POST"][..]),
        (Method::PATCH, "/v1/events", &["GET", "POST"][..]),
        (Method::DELETE, "/v1/events", &["GET", "POST"][..]),
        (Method::PUT, item.as_str(), &["GET", "DELETE"][..]),
        (Method::PATCH, item.as_str(), &["GET", "DELETE"][..]),
        (Method::POST, item.as_str(), &["GET", "DELETE"][..]),
        (Method::POST, "/v1/analytics/events", &["GET"][..]),
        (Method::DELETE, "/v1/analytics/events", &["GET"][..]),
        (Method::POST, "/health", &["GET"][..]),
    ];
    for (method, path, allowed) in cases {
        let resp = editor.method(method.clone(), path).await;
        resp.problem(405, "method-not-allowed");
        resp.assert_security_headers(true);
        let allow = allowed_methods(&resp);
        // HEAD and OPTIONS may be offered too; the route methods must be, and nothing else.
        let core: BTreeSet<String> = allow
            .iter()
            .filter(|m| *m != "HEAD" && *m != "OPTIONS")
            .cloned()
            .collect();
        assert_eq!(core, set(allowed), "Allow for {method} {path}:\n{resp}");
    }
    // None of that touched the event.
    assert_eq!(editor.get(&item).await.ok_json(200), event);
}

/// The same from the manifest's side: at every route's path, a method no route serves there is a
/// 405 whose `Allow` lists exactly the manifest's methods for the path.
#[tokio::test]
async fn every_manifest_path_is_405_for_a_method_it_does_not_serve() {
    let tenant = Tenant::new();
    let editor = tenant.editor();
    let table = ofauto_tests::manifest::routes();
    let id = ulid::Ulid::new().to_string();
    let mut checked = 0;
    let mut paths = BTreeSet::new();
    for route in table.routes() {
        // Fill each `{param}` and greedy `{proxy+}` with a plain segment.
        let path: Vec<String> = route
            .path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    id.clone()
                } else {
                    s.to_owned()
                }
            })
            .collect();
        let path = path.join("/");
        if !paths.insert(path.clone()) {
            continue;
        }
        let served = table.allowed_methods(&path);
        if served.iter().any(|m| m == "ANY") {
            continue;
        }
        let Some(method) = ["PATCH", "PUT", "POST", "DELETE", "GET"]
            .into_iter()
            .find(|m| !served.iter().any(|s| s == m))
        else {
            continue;
        };
        let resp = editor
            .method(Method::from_bytes(method.as_bytes()).unwrap(), &path)
            .await;
        resp.problem(405, "method-not-allowed");
        let core: BTreeSet<String> = allowed_methods(&resp)
            .into_iter()
            .filter(|m| m != "HEAD" && m != "OPTIONS")
            .collect();
        let expected: BTreeSet<String> = served.into_iter().collect();
        assert_eq!(core, expected, "Allow for {method} {path}:\n{resp}");
        checked += 1;
    }
    assert!(checked > 0, "the manifest has routes");
}

#[tokio::test]
async fn successful_answers_carry_the_security_headers() {
    let tenant = Tenant::new();
    let editor = tenant.editor();
    let resp = editor
        .post_json("/v1/events", &json!({"type": "hdr"}))
        .await;
    resp.assert_security_headers(true);
    let id = resp.json()["id"].as_str().unwrap().to_owned();
    for resp in [
        editor.get("/v1/events").await,
        editor.get(&format!("/v1/events/{id}")).await,
        editor
            .get("/v1/analytics/events?from=2025-01-01T00:00:00Z&to=2025-01-01T01:00:00Z")
            .await,
        editor.delete(&format!("/v1/events/{id}")).await,
    ] {
        assert!(resp.status < 300, "{resp}");
        resp.assert_security_headers(true);
    }
}
