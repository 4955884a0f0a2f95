//! The HTTP edge every API function shares: reading the request API Gateway passed on, and
//! building responses that always carry the security headers, whatever the outcome.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::time::Instant;

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use tracing::Instrument;

use crate::domain::tenant::TenantContext;
use crate::edge::cors;
use crate::edge::idempotency::{self, Begin, IdempotencyKey, IdempotencyStore, StoredResponse};
use crate::edge::rate_limit::{Decision, RateStatus};
use crate::edge::Edge;
use crate::error::ApiError;
use crate::telemetry;

pub type HttpResult = Result<Response<Body>, ApiError>;

const SECURITY_HEADERS: [(&str, &str); 6] = [
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("referrer-policy", "no-referrer"),
    // Every API answer is per-caller data or a live status; nothing may be cached on the way.
    ("cache-control", "no-store"),
];

pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    let body = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

pub fn problem(error: &ApiError, request_id: &str) -> Response<Body> {
    let problem = error.to_problem(request_id);
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json(status, &problem);
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(seconds) = error.retry_after() {
        headers.insert("retry-after", HeaderValue::from(seconds));
    }
    if let ApiError::MethodNotAllowed { allow } = error {
        if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
            headers.insert("allow", value);
        }
    }
    response
}

fn secure(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.remove("server");
    response
}

/// Read-only view of what API Gateway passed to the function.
pub trait RequestParts {
    fn claims(&self) -> HashMap<String, String>;
    fn tenant_context(&self) -> Result<TenantContext, ApiError>;
    fn query(&self, name: &str) -> Option<String>;
    fn path_param(&self, name: &str) -> Option<String>;
    fn gateway_request_id(&self) -> Option<String>;
    fn route_key(&self) -> Option<String>;
}

impl RequestParts for Request {
    fn claims(&self) -> HashMap<String, String> {
        match self.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| jwt.claims.clone())
                .unwrap_or_default(),
            _ => HashMap::new(),
        }
    }

    fn tenant_context(&self) -> Result<TenantContext, ApiError> {
        TenantContext::from_claims(&self.claims())
    }

    fn query(&self, name: &str) -> Option<String> {
        self.query_string_parameters_ref()
            .and_then(|q| q.first(name))
            .map(str::to_owned)
    }

    fn path_param(&self, name: &str) -> Option<String> {
        self.path_parameters_ref()
            .and_then(|p| p.first(name))
            .map(str::to_owned)
    }

    fn gateway_request_id(&self) -> Option<String> {
        match self.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
            _ => None,
        }
    }

    fn route_key(&self) -> Option<String> {
        match self.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone(),
            _ => None,
        }
    }
}

/// Raw body bytes; API Gateway base64-decodes for us via lambda_http.
pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// Serves an API function: the edge policies around the handler, problem+json for every error,
/// the security headers on every answer, and one JSON log line per request (which doubles as an
/// EMF metric).
pub async fn serve<F, Fut>(edge: Edge, handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Sync,
    Fut: Future<Output = HttpResult> + Send,
{
    let handler = &handler;
    let edge = &edge;
    lambda_http::run(lambda_http::service_fn(move |request: Request| async move {
        let started = Instant::now();
        let request_id = request
            .gateway_request_id()
            .or_else(|| request.lambda_context_ref().map(|c| c.request_id.clone()))
            .unwrap_or_default();
        let route = request.route_key().unwrap_or_default();
        let tenant = request
            .claims()
            .get(crate::domain::tenant::TENANT_CLAIM)
            .cloned()
            .unwrap_or_default();
        let origin = header(&request, "origin");
        let span = tracing::info_span!("request", request_id = %request_id, tenant = %tenant, route = %route);
        let (outcome, rate) = guarded(edge, request, handler).instrument(span.clone()).await;
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => {
                if error.is_server_fault() {
                    span.in_scope(|| tracing::error!(error = %error, "request failed"));
                }
                problem(&error, &request_id)
            }
        };
        if let Some(rate) = rate {
            rate_headers(&mut response, rate);
        }
        if let Some(origin) = origin.filter(|o| edge.cors.allows(o)) {
            cors_headers(&mut response, &origin);
        }
        let response = secure(response);
        telemetry::request_line(
            &request_id,
            &tenant,
            &route,
            response.status().as_u16(),
            started.elapsed(),
        );
        Ok::<_, Infallible>(response)
    }))
    .await
}

/// The edge policies, in order: origin check, preflight, rate limit, idempotency, handler.
async fn guarded<F, Fut>(
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
    if let Some(origin) = header(&request, "origin") {
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
            }) => return (Err(ApiError::RateLimited { retry_after }), Some(status)),
            Err(error) => return (Err(error), None),
        }
    }
    let idempotency_key = request.headers().get(idempotency::HEADER).cloned();
    match (&edge.idempotency, method.as_str(), idempotency_key) {
        (Some(store), "POST", Some(key)) => (idempotent(store, request, &key, handler).await, rate),
        _ => (handler(request).await, rate),
    }
}

async fn idempotent<F, Fut>(
    store: &IdempotencyStore,
    request: Request,
    key: &HeaderValue,
    handler: &F,
) -> HttpResult
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = HttpResult>,
{
    let key = IdempotencyKey::parse(key.as_bytes())?;
    let caller = request.tenant_context()?;
    let hash = idempotency::request_hash(
        request.method().as_str(),
        request.raw_http_path(),
        body_bytes(&request),
    );
    // The lease lasts as long as this invocation may: past its deadline it is surely dead.
    let lease_until = request
        .lambda_context_ref()
        .and_then(|c| chrono::DateTime::from_timestamp_millis(i64::try_from(c.deadline).ok()?))
        .unwrap_or_else(|| chrono::Utc::now() + chrono::TimeDelta::seconds(30));
    let route = request.route_key().unwrap_or_default();
    // `begin` authorises the caller for the route before it looks the key up; the handler
    // checks again, for requests that carry no key.
    match store
        .begin(&caller, &route, &key, &hash, lease_until)
        .await?
    {
        Begin::Replay(stored) => Ok(replay(stored)),
        Begin::Proceed(claim) => {
            let result = handler(request).await;
            let bookkeeping = match &result {
                Ok(response) if response.status().is_success() => {
                    store.complete(claim, &remember(response)).await
                }
                _ => store.release(claim).await,
            };
            if let Err(error) = bookkeeping {
                // The work is done; failing the request now would invite a duplicate retry.
                tracing::error!(error = %error, "could not record the idempotent outcome");
            }
            result
        }
    }
}

/// Headers a replay must repeat; the rest are added fresh on every answer.
const REPLAYED_HEADERS: [&str; 2] = ["content-type", "location"];

fn remember(response: &Response<Body>) -> StoredResponse {
    StoredResponse {
        status: response.status().as_u16(),
        headers: REPLAYED_HEADERS
            .iter()
            .filter_map(|name| {
                let value = response.headers().get(*name)?.to_str().ok()?;
                Some(((*name).to_owned(), value.to_owned()))
            })
            .collect(),
        body: match response.body() {
            Body::Text(text) => text.clone(),
            _ => String::new(),
        },
    }
}

fn replay(stored: StoredResponse) -> Response<Body> {
    let mut response = Response::new(if stored.body.is_empty() {
        Body::Empty
    } else {
        Body::Text(stored.body)
    });
    *response.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (
            lambda_http::http::HeaderName::try_from(name),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
        .headers_mut()
        .insert("idempotency-replayed", HeaderValue::from_static("true"));
    response
}

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

fn cors_headers(response: &mut Response<Body>, origin: &str) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert("access-control-allow-origin", value);
    }
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static(cors::EXPOSED_HEADERS),
    );
    headers.append("vary", HeaderValue::from_static("Origin"));
}

fn rate_headers(response: &mut Response<Body>, rate: RateStatus) {
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(rate.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(rate.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(rate.reset_secs));
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_carry_type_status_and_allow() {
        let response = secure(problem(
            &ApiError::MethodNotAllowed {
                allow: vec!["GET".into(), "POST".into()],
            },
            "r",
        ));
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "GET, POST");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        assert_eq!(response.headers()["cache-control"], "no-store");
    }

    /// A viewer sending an editor's `Idempotency-Key` is refused by the edge itself: neither the
    /// store (unreachable here, which would be a 503) nor the handler is reached.
    #[tokio::test]
    async fn an_idempotent_route_authorises_before_any_replay() {
        use crate::domain::tenant::Permission;
        use crate::edge::cors::CorsPolicy;
        use crate::testing::{request, unreachable_dynamodb};
        use std::sync::atomic::{AtomicUsize, Ordering};

        let edge = Edge {
            cors: CorsPolicy::parse("").unwrap(),
            rate_limiter: None,
            idempotency: Some(IdempotencyStore::new(
                unreachable_dynamodb(),
                "ofauto",
                Permission::Write,
            )),
        };
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

    #[test]
    fn unavailable_says_when_to_retry() {
        let response = problem(&ApiError::Unavailable("db".into()), "r");
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "5");
    }
}
