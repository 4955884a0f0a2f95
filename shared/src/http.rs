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

/// Serves an API function: one JSON log line per request (which doubles as an EMF metric),
/// problem+json for every error, and the security headers on every answer.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Sync,
    Fut: Future<Output = HttpResult> + Send,
{
    let handler = &handler;
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
        let span = tracing::info_span!("request", request_id = %request_id, tenant = %tenant, route = %route);
        let outcome = handler(request).instrument(span.clone()).await;
        let response = match outcome {
            Ok(response) => response,
            Err(error) => {
                if error.is_server_fault() {
                    span.in_scope(|| tracing::error!(error = %error, "request failed"));
                }
                problem(&error, &request_id)
            }
        };
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

    #[test]
    fn unavailable_says_when_to_retry() {
        let response = problem(&ApiError::Unavailable("db".into()), "r");
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "5");
    }
}
