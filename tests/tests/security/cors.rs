//! CORS and the browser origin check. The local allowlist is `http://localhost:*`: those origins
//! get `Access-Control-Allow-Origin` (exactly their own, with `Vary: Origin`); any other origin
//! gets no CORS headers, and a mutation from it is refused with 403 before anything is written.

use ofauto_tests::api::{Api, Resp};
use ofauto_tests::fixtures::{created, Tenant};
use reqwest::Method;

use super::{assert_empty, assert_untouched, id_of, tenant_with_event};

const ALLOWED: &str = "http://localhost:5173";
const FOREIGN: &str = "https://evil.example.com";

async fn with_origin(
    api: &Api,
    method: Method,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Resp {
    api.send(
        method,
        api.url(path),
        body.map(|b| (b.as_bytes().to_vec(), "application/json")),
        headers,
    )
    .await
}

#[track_caller]
fn assert_cors_for(resp: &Resp, origin: &str) {
    assert_eq!(
        resp.header("access-control-allow-origin"),
        Some(origin),
        "{resp}"
    );
    let vary: Vec<String> = resp
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect();
    assert!(
        vary.contains(&"origin".to_owned()),
        "Vary: Origin on:\n{resp}"
    );
    let exposed = resp
        .header("access-control-expose-headers")
        .unwrap_or_else(|| panic!("Access-Control-Expose-Headers on:\n{resp}"))
        .to_ascii_lowercase();
    for header in ["location", "ratelimit-remaining", "retry-after"] {
        assert!(exposed.contains(header), "{header} is exposed:\n{resp}");
    }
    assert_ne!(
        resp.header("access-control-allow-credentials"),
        Some("true"),
        "bearer tokens need no credentialed CORS:\n{resp}"
    );
}

#[track_caller]
fn assert_no_cors(resp: &Resp) {
    for name in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-expose-headers",
    ] {
        assert!(resp.header(name).is_none(), "{name} on:\n{resp}");
    }
}

#[tokio::test]
async fn an_allowed_origin_reads_with_cors_headers() {
    let (tenant, event) = tenant_with_event().await;
    let resp = with_origin(
        &tenant.viewer(),
        Method::GET,
        &format!("/v1/events/{}", id_of(&event)),
        None,
        &[("origin", ALLOWED)],
    )
    .await;
    assert_eq!(resp.ok_json(200), event);
    assert_cors_for(&resp, ALLOWED);
}

#[tokio::test]
async fn an_allowed_origin_writes_with_cors_headers() {
    let tenant = Tenant::new();
    for origin in [ALLOWED, "http://localhost:3000", "http://localhost"] {
        let resp = with_origin(
            &tenant.editor(),
            Method::POST,
            "/v1/events",
            Some(r#"{"type":"cors.ok"}"#),
            &[("origin", origin)],
        )
        .await;
        created(&resp);
        assert_cors_for(&resp, origin);
    }
}

#[tokio::test]
async fn a_foreign_origin_cannot_create() {
    let tenant = Tenant::new();
    let resp = with_origin(
        &tenant.editor(),
        Method::POST,
        "/v1/events",
        Some(r#"{"type":"cors.evil"}"#),
        &[("origin", FOREIGN)],
    )
    .await;
    resp.problem(403, "forbidden");
    resp.assert_security_headers(true);
    assert_no_cors(&resp);
    assert_empty(&tenant).await;
}

#[tokio::test]
async fn a_foreign_origin_cannot_delete() {
    let (tenant, event) = tenant_with_event().await;
    let resp = with_origin(
        &tenant.editor(),
        Method::DELETE,
        &format!("/v1/events/{}", id_of(&event)),
        None,
        &[("origin", FOREIGN)],
    )
    .await;
    resp.problem(403, "forbidden");
    assert_no_cors(&resp);
    assert_untouched(&tenant, &event).await;
}

/// A read from a foreign origin is answered (the token is what protects it), but without CORS
/// headers, so a browser does not hand the answer to the foreign page.
#[tokio::test]
async fn a_foreign_origin_read_gets_no_cors_headers() {
    let (tenant, _) = tenant_with_event().await;
    let resp = with_origin(
        &tenant.viewer(),
        Method::GET,
        "/v1/events",
        None,
        &[("origin", FOREIGN)],
    )
    .await;
    resp.ok_json(200);
    assert_no_cors(&resp);
}

/// Origins that only look like the allowlisted one are foreign.
mod look_alike_origin {
    use super::*;

    async fn refused(origin: &str) {
        let tenant = Tenant::new();
        let resp = with_origin(
            &tenant.editor(),
            Method::POST,
            "/v1/events",
            Some(r#"{"type":"cors.lookalike"}"#),
            &[("origin", origin)],
        )
        .await;
        resp.problem(403, "forbidden");
        assert_no_cors(&resp);
        assert_empty(&tenant).await;
    }

    #[tokio::test]
    async fn with_a_suffix_domain() {
        refused("http://localhost.evil.com").await
    }

    #[tokio::test]
    async fn with_a_port_then_a_domain() {
        refused("http://localhost:5173.evil.com").await
    }

    #[tokio::test]
    async fn over_https() {
        refused("https://localhost:5173").await
    }

    #[tokio::test]
    async fn null() {
        refused("null").await
    }

    #[tokio::test]
    async fn with_userinfo() {
        refused("http://localhost:5173@evil.com").await
    }

    #[tokio::test]
    async fn with_a_path() {
        refused("http://localhost:5173/evil").await
    }
}

#[tokio::test]
async fn an_allowed_preflight_is_204_with_the_policy_and_needs_no_token() {
    let resp = with_origin(
        &Api::anonymous(),
        Method::OPTIONS,
        "/v1/events",
        None,
        &[
            ("origin", ALLOWED),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            ),
        ],
    )
    .await;
    resp.expect_status(204);
    assert!(resp.body.is_empty(), "{resp}");
    assert_cors_for(&resp, ALLOWED);
    let methods = resp
        .header("access-control-allow-methods")
        .unwrap_or_default()
        .to_ascii_uppercase();
    for method in ["GET", "POST", "DELETE"] {
        assert!(methods.contains(method), "{method} allowed:\n{resp}");
    }
    let headers = resp
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for header in ["authorization", "content-type", "idempotency-key"] {
        assert!(headers.contains(header), "{header} allowed:\n{resp}");
    }
    let max_age: u64 = resp
        .header("access-control-max-age")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Access-Control-Max-Age on:\n{resp}"));
    assert!((1..=86_400).contains(&max_age), "{resp}");
    resp.assert_security_headers(false);
}

#[tokio::test]
async fn a_preflight_for_deleting_an_event_is_answered() {
    let resp = with_origin(
        &Api::anonymous(),
        Method::OPTIONS,
        &format!("/v1/events/{}", ulid::Ulid::new()),
        None,
        &[
            ("origin", ALLOWED),
            ("access-control-request-method", "DELETE"),
        ],
    )
    .await;
    resp.expect_status(204);
    assert_cors_for(&resp, ALLOWED);
}

#[tokio::test]
async fn a_foreign_preflight_is_403() {
    for path in ["/v1/events", "/v1/analytics/events"] {
        let resp = with_origin(
            &Api::anonymous(),
            Method::OPTIONS,
            path,
            None,
            &[
                ("origin", FOREIGN),
                ("access-control-request-method", "POST"),
            ],
        )
        .await;
        resp.problem(403, "forbidden");
        assert_no_cors(&resp);
        resp.assert_security_headers(false);
    }
}

/// A request refused for its origin is refused before the idempotency layer: its key is not
/// taken, so the real request with another body is created, not answered with 422.
#[tokio::test]
async fn a_foreign_origin_does_not_burn_an_idempotency_key() {
    let tenant = Tenant::new();
    let key = format!("cors-{}", ulid::Ulid::new());
    let resp = with_origin(
        &tenant.editor(),
        Method::POST,
        "/v1/events",
        Some(r#"{"type":"cors.evil"}"#),
        &[("origin", FOREIGN), ("idempotency-key", &key)],
    )
    .await;
    resp.problem(403, "forbidden");
    let resp = with_origin(
        &tenant.editor(),
        Method::POST,
        "/v1/events",
        Some(r#"{"type":"cors.real"}"#),
        &[("origin", ALLOWED), ("idempotency-key", &key)],
    )
    .await;
    let event = created(&resp);
    assert_eq!(event["type"], "cors.real");
    assert!(resp.header("idempotency-replayed").is_none(), "{resp}");
}

/// The open routes follow the same policy: `/health` from a foreign origin has no CORS headers,
/// and an unknown route from an allowed one does.
#[tokio::test]
async fn open_routes_follow_the_same_policy() {
    let api = Api::anonymous();
    let resp = with_origin(&api, Method::GET, "/health", None, &[("origin", FOREIGN)]).await;
    resp.ok_json(200);
    assert_no_cors(&resp);
    let resp = with_origin(&api, Method::GET, "/health", None, &[("origin", ALLOWED)]).await;
    resp.ok_json(200);
    assert_cors_for(&resp, ALLOWED);
    let resp = with_origin(&api, Method::GET, "/nope", None, &[("origin", ALLOWED)]).await;
    resp.problem(404, "not-found");
    assert_cors_for(&resp, ALLOWED);
}

/// HTTP methods are case-sensitive: `post` is not `POST`. A lower-case method must not route to
/// the create function while slipping past the origin check (which looks for `POST`). Browsers
/// upper-case `post` themselves, so this is defence in depth against clients that do not.
#[tokio::test]
async fn a_lower_case_method_does_not_slip_past_the_origin_check() {
    let tenant = Tenant::new();
    let token = tenant.token("editor");
    let body = br#"{"type":"cors.lowercase"}"#;
    for method in ["post", "Post"] {
        let head = ofauto_tests::raw::head(
            &format!("{method} /v1/events HTTP/1.1"),
            Some(&token),
            &[
                ("Origin", FOREIGN),
                ("Content-Type", "application/json"),
                ("Content-Length", &body.len().to_string()),
            ],
        );
        if let Some(resp) = ofauto_tests::raw::try_send(&head, body).await {
            assert!(
                resp.status >= 400,
                "{method} from a foreign origin was served: {resp:?}"
            );
            assert!(
                resp.header("access-control-allow-origin").is_none(),
                "{resp:?}"
            );
        }
    }
    assert_empty(&tenant).await;
}
