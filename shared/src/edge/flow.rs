//! The order the edge policies run in around a handler: origin check, preflight, rate limit,
//! idempotency, handler.

use std::future::Future;

use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, Response};

use super::rate_limit::{Decision, RateStatus};
use super::{cors, idempotency, replay, Edge};
use crate::error::ApiError;
use crate::http::{no_content, HttpResult, RequestParts};

/// The handler's outcome, or the policy's refusal, and the rate-limit status to report with it.
pub(crate) async fn guarded<F, Fut>(
    edge: &Edge,
    request: Request,
    handler: &F,
) -> (HttpResult, Option<RateStatus>)
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = HttpResult>,
{
    // Routing may be lenient about case; the policies below must not be.
    let method = request.method().as_str().to_ascii_uppercase();
    if let Some(origin) = request.header("origin") {
        let allowed = edge.cors.allows(&origin);
        if cors::is_mutation(&method) && !allowed {
            return (
                Err(ApiError::Forbidden("This origin may not change data.")),
                None,
            );
        }
        if method == "OPTIONS"
            && request
                .headers()
                .contains_key("access-control-request-method")
        {
            return if allowed {
                (Ok(preflight()), None)
            } else {
                (
                    Err(ApiError::Forbidden("This origin is not allowed.")),
                    None,
                )
            };
        }
    }
    let mut rate = None;
    if let (Some(limiter), Ok(caller)) = (&edge.rate_limiter, request.tenant_context()) {
        match limiter
            .check(caller.tenant(), caller.tier(), chrono::Utc::now())
            .await
        {
            Ok(Decision::Allowed(status)) => rate = Some(status),
            Ok(Decision::Limited {
                status,
                retry_after,
            }) => {
                crate::telemetry::count("rate_limited", 1);
                return (Err(ApiError::RateLimited { retry_after }), Some(status));
            }
            Err(error) => return (Err(error), None),
        }
    }
    let idempotency_key = request.headers().get(idempotency::HEADER).cloned();
    match (&edge.idempotency, method.as_str(), idempotency_key) {
        (Some(store), "POST", Some(key)) => (
            replay::idempotent(store, request, &key, handler).await,
            rate,
        ),
        _ => (handler(request).await, rate),
    }
}

/// The answer to an allowed origin's CORS preflight.
fn preflight() -> Response<Body> {
    let mut response = no_content();
    let headers = response.headers_mut();
    headers.insert(
        "access-control-allow-methods",
        HeaderValue::from_static(cors::ALLOWED_METHODS),
    );
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static(cors::ALLOWED_HEADERS),
    );
    headers.insert(
        "access-control-max-age",
        HeaderValue::from(cors::PREFLIGHT_MAX_AGE_SECS),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tenant::Permission;
    use crate::edge::cors::CorsPolicy;
    use crate::edge::idempotency::IdempotencyStore;
    use crate::testing::{request, unreachable_dynamodb};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn edge(idempotency: Option<IdempotencyStore>) -> Edge {
        Edge {
            cors: CorsPolicy::parse("https://app.example.com").unwrap(),
            rate_limiter: None,
            idempotency,
        }
    }

    /// A viewer sending an editor's `Idempotency-Key` is refused by the edge itself: neither the
    /// store (unreachable here, which would be a 503) nor the handler is reached.
    #[tokio::test]
    async fn an_idempotent_route_authorises_before_any_replay() {
        let edge = edge(Some(IdempotencyStore::new(
            unreachable_dynamodb(),
            "ofauto",
            Permission::Write,
        )));
        let calls = AtomicUsize::new(0);
        let handler = |_request: Request| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(no_content()) }
        };
        for groups in ["[viewer]", "[]", "[ops,editor]"] {
            let mut req = request("POST", Some("t1"), groups, r#"{"type":"a"}"#);
            req.headers_mut()
                .insert(idempotency::HEADER, HeaderValue::from_static("k"));
            let (outcome, _) = guarded(&edge, req, &handler).await;
            assert_eq!(outcome.unwrap_err().status(), 403, "{groups}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    fn from(origin: &'static str, method: &str, preflight: bool) -> Request {
        let mut req = request(method, Some("t1"), "[editor]", "");
        req.headers_mut()
            .insert("origin", HeaderValue::from_static(origin));
        if preflight {
            req.headers_mut().insert(
                "access-control-request-method",
                HeaderValue::from_static("POST"),
            );
        }
        req
    }

    #[tokio::test]
    async fn foreign_origins_may_read_but_neither_change_data_nor_preflight() {
        let edge = edge(None);
        let calls = AtomicUsize::new(0);
        let handler = |_request: Request| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(no_content()) }
        };
        let evil = "https://evil.example";
        for (req, status) in [
            (from(evil, "post", false), 403),
            (from(evil, "OPTIONS", true), 403),
            (from("https://app.example.com", "OPTIONS", true), 204),
        ] {
            let (outcome, _) = guarded(&edge, req, &handler).await;
            let status_of = outcome.map_or_else(|e| e.status(), |r| r.status().as_u16());
            assert_eq!(status_of, status);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0, "refusals and preflights");
        let (outcome, _) = guarded(&edge, from(evil, "GET", false), &handler).await;
        assert_eq!(outcome.unwrap().status(), 204);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
