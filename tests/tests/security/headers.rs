//! The security headers are on every answer a function gives, whatever its status, and no answer
//! names the server, the framework or anything internal.

use ofauto_tests::api::{Api, Resp};
use ofauto_tests::fixtures::Tenant;
use ofauto_tests::raw;
use reqwest::Method;
use serde_json::json;

use super::{id_of, tenant_with_event};

/// The headers, plus a declared media type (so `nosniff` has something to hold to) and no
/// framework banner.
#[track_caller]
fn assert_hardened(resp: &Resp, authenticated: bool) {
    resp.assert_security_headers(authenticated);
    for banner in ["x-powered-by", "x-aspnet-version", "x-runtime", "via"] {
        assert!(resp.header(banner).is_none(), "{banner} on:\n{resp}");
    }
    if !resp.body.is_empty() {
        assert!(
            resp.content_type().is_some(),
            "a body has a media type:\n{resp}"
        );
    }
}

#[tokio::test]
async fn on_400_validation_failed() {
    let tenant = Tenant::new();
    let resp = tenant
        .editor()
        .post_json("/v1/events", &json!({"type": "Nope", "x": 1}))
        .await;
    resp.validation_failed(&["type", "x"]);
    assert_hardened(&resp, true);
}

#[tokio::test]
async fn on_400_malformed_json() {
    let tenant = Tenant::new();
    let resp = tenant.editor().post_raw("/v1/events", b"{".to_vec()).await;
    resp.problem(400, "malformed-json");
    assert_hardened(&resp, true);
}

#[tokio::test]
async fn on_400_invalid_cursor() {
    let tenant = Tenant::new();
    let resp = tenant.viewer().get("/v1/events?cursor=AAAA.BBBB").await;
    resp.invalid_cursor();
    assert_hardened(&resp, true);
}

#[tokio::test]
async fn on_403_forbidden() {
    let tenant = Tenant::new();
    let resp = tenant
        .viewer()
        .post_json("/v1/events", &json!({"type": "a"}))
        .await;
    resp.problem(403, "forbidden");
    assert_hardened(&resp, true);
}

#[tokio::test]
async fn on_404_for_a_missing_event() {
    let tenant = Tenant::new();
    let resp = tenant
        .viewer()
        .get(&format!("/v1/events/{}", ulid::Ulid::new()))
        .await;
    resp.problem(404, "not-found");
    assert_hardened(&resp, true);
}

#[tokio::test]
async fn on_404_for_an_unknown_route_without_a_token() {
    let resp = Api::anonymous().get("/admin/../../etc/passwd").await;
    resp.problem(404, "not-found");
    assert_hardened(&resp, false);
    let resp = raw::send(&raw::head("GET /.env HTTP/1.1", None, &[]), b"").await;
    assert_eq!(resp.status, 404, "{resp:?}");
    assert!(resp.header("x-frame-options").is_some(), "{resp:?}");
}

#[tokio::test]
async fn on_405_with_allow() {
    let tenant = Tenant::new();
    let resp = tenant.editor().method(Method::PATCH, "/v1/events").await;
    resp.problem(405, "method-not-allowed");
    assert!(resp.header("allow").is_some(), "{resp}");
    assert_hardened(&resp, true);
}

#[tokio::test]
async fn on_413_payload_too_large() {
    let tenant = Tenant::new();
    let mut body = br#"{"type":"a","source":""#.to_vec();
    body.resize(80 * 1024, b'x');
    body.extend_from_slice(br#""}"#);
    let resp = tenant.editor().post_raw("/v1/events", body).await;
    resp.problem(413, "payload-too-large");
    assert_hardened(&resp, true);
}

#[tokio::test]
async fn on_422_idempotency_key_reused() {
    let tenant = Tenant::new();
    let api = tenant.editor();
    let key = format!("hdr-{}", ulid::Ulid::new());
    api.post_json_with(
        "/v1/events",
        &json!({"type": "a"}),
        &[("idempotency-key", &key)],
    )
    .await
    .expect_status(201);
    let resp = api
        .post_json_with(
            "/v1/events",
            &json!({"type": "b"}),
            &[("idempotency-key", &key)],
        )
        .await;
    resp.problem(422, "idempotency-key-reused");
    assert_hardened(&resp, true);
}

#[tokio::test]
async fn on_204_delete() {
    let (tenant, event) = tenant_with_event().await;
    let resp = tenant
        .editor()
        .delete(&format!("/v1/events/{}", id_of(&event)))
        .await;
    resp.expect_status(204);
    assert_hardened(&resp, true);
}

#[tokio::test]
async fn on_200_health() {
    let resp = Api::anonymous().get("/health").await;
    resp.ok_json(200);
    assert_hardened(&resp, false);
}

/// Error answers carry no storage keys, SDK or engine names, file paths or panics, and a
/// validation message does not echo the hostile input back.
#[tokio::test]
async fn problems_reveal_no_internals() {
    let (tenant, event) = tenant_with_event().await;
    let api = tenant.bulk("editor");
    let hostile = "<script>alert(1)</script>";
    let resps = [
        api.post_json("/v1/events", &json!({"type": hostile, "source": 1}))
            .await,
        api.post_raw("/v1/events", b"{\"type\":".to_vec()).await,
        api.get(&format!("/v1/events?cursor={}", "A".repeat(200)))
            .await,
        api.get(&format!("/v1/events/{}x", id_of(&event))).await,
        api.get("/v1/events?from=2025-13-45T99:99:99Z").await,
        api.get("/v1/analytics/events?from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z")
            .await,
        tenant
            .viewer()
            .delete(&format!("/v1/events/{}", id_of(&event)))
            .await,
        Api::with_token(ofauto_tests::stack().tokens.without_tenant("admin"))
            .get("/v1/events")
            .await,
    ];
    for resp in &resps {
        assert!(resp.status >= 400, "{resp}");
        for leak in [
            "T#",
            "#EV",
            "gsi1",
            "DynamoDB",
            "dynamodb",
            "aws",
            "AWS",
            "Exception",
            "panicked",
            ".rs:",
            "/src/",
            "stack backtrace",
            "localhost:",
            "127.0.0.1",
            hostile,
        ] {
            assert!(!resp.body.contains(leak), "{leak:?} in:\n{resp}");
        }
    }
}

/// Nothing names the server or its version, not even the gateway's own answers (401) or the
/// OpenAPI document.
#[tokio::test]
async fn no_answer_names_the_server() {
    let tenant = Tenant::new();
    let resps = [
        Api::anonymous().get("/v1/events").await,
        Api::anonymous().get("/openapi.json").await,
        Api::anonymous().get("/health").await,
        tenant.viewer().get("/v1/events").await,
        Api::anonymous().get("/nope").await,
    ];
    for resp in &resps {
        assert!(resp.header("server").is_none(), "{resp}");
        assert!(resp.header("x-powered-by").is_none(), "{resp}");
    }
}
