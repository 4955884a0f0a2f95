//! Building answers: JSON bodies, problem+json errors, and the headers every answer carries
//! (security) or may carry (CORS, rate limit).

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::edge::cors;
use crate::edge::rate_limit::RateStatus;
use crate::error::ApiError;

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

/// The security headers, on every answer whatever its outcome, and no `Server`.
pub(crate) fn secure(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.remove("server");
    response
}

/// Only ever called for an origin the CORS policy allows.
pub(crate) fn cors_headers(response: &mut Response<Body>, origin: &str) {
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

pub(crate) fn rate_headers(response: &mut Response<Body>, rate: RateStatus) {
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(rate.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(rate.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(rate.reset_secs));
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

    #[test]
    fn cors_and_rate_headers_are_added_to_what_is_there() {
        let mut response = no_content();
        response
            .headers_mut()
            .insert("vary", HeaderValue::from_static("Accept"));
        cors_headers(&mut response, "https://app.example.com");
        rate_headers(
            &mut response,
            RateStatus {
                limit: 100,
                remaining: 99,
                reset_secs: 2,
            },
        );
        let headers = response.headers();
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example.com"
        );
        assert_eq!(headers.get_all("vary").iter().count(), 2);
        assert_eq!(headers["ratelimit-remaining"], "99");
    }
}
