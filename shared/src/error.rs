//! One error type for every function, and its RFC 9457 problem+json rendering.
//!
//! Internals never reach the wire: `Internal` and `Unavailable` carry a message for the logs only,
//! and the client gets a generic detail plus the request id to quote to support.

use serde::Serialize;

/// Where problem `type` URIs live; each slug is documented in the README.
pub const PROBLEM_BASE: &str = "https://ofauto.dev/problems/";

/// One rejected input, named the way the client sent it (a JSON field or a query parameter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large")]
    PayloadTooLarge { limit_bytes: usize },
    #[error("rate limited")]
    RateLimited { retry_after: u64 },
    #[error("a request with this idempotency key is still in progress")]
    IdempotencyInProgress,
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The wire shape of an error.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(format = "uri")]
    pub type_uri: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl ApiError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::Validation(_) | ApiError::MalformedJson(_) | ApiError::InvalidCursor => 400,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict(_) | ApiError::IdempotencyInProgress => 409,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::IdempotencyKeyReused => 422,
            ApiError::RateLimited { .. } => 429,
            ApiError::Internal(_) => 500,
            ApiError::Unavailable(_) => 503,
        }
    }

    /// Seconds a client should wait before retrying, where waiting helps.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Unavailable(_) => Some(5),
            ApiError::RateLimited { retry_after } => Some(*retry_after),
            ApiError::IdempotencyInProgress => Some(1),
            _ => None,
        }
    }

    /// Server-side faults are logged with their cause; client faults are not worth an error log.
    pub fn is_server_fault(&self) -> bool {
        self.status() >= 500
    }

    pub fn to_problem(&self, request_id: &str) -> Problem {
        let (slug, title, detail, errors) = match self {
            ApiError::Validation(errors) => (
                "validation-failed",
                "Validation failed",
                "One or more fields are invalid; see `errors`.".to_string(),
                Some(errors.clone()),
            ),
            ApiError::MalformedJson(why) => (
                "malformed-json",
                "Malformed JSON",
                format!("The request body is not valid JSON: {why}"),
                None,
            ),
            ApiError::InvalidCursor => (
                "invalid-cursor",
                "Invalid cursor",
                "The cursor is not one this API issued for this query.".to_string(),
                Some(vec![FieldError::new(
                    "cursor",
                    "tampered, expired, or issued for another query",
                )]),
            ),
            ApiError::Forbidden(why) => ("forbidden", "Forbidden", (*why).to_string(), None),
            ApiError::NotFound => (
                "not-found",
                "Not found",
                "No such resource.".to_string(),
                None,
            ),
            ApiError::MethodNotAllowed { allow } => (
                "method-not-allowed",
                "Method not allowed",
                format!("This resource supports: {}.", allow.join(", ")),
                None,
            ),
            ApiError::Conflict(why) => ("conflict", "Conflict", why.clone(), None),
            ApiError::IdempotencyInProgress => (
                "conflict",
                "Conflict",
                "A request with this Idempotency-Key is still in progress; retry shortly."
                    .to_string(),
                None,
            ),
            ApiError::PayloadTooLarge { limit_bytes } => (
                "payload-too-large",
                "Payload too large",
                format!("The request body exceeds {limit_bytes} bytes."),
                None,
            ),
            ApiError::IdempotencyKeyReused => (
                "idempotency-key-reused",
                "Idempotency key reused",
                "This Idempotency-Key was used with a different request body.".to_string(),
                Some(vec![FieldError::new(
                    "Idempotency-Key",
                    "already used with a different request",
                )]),
            ),
            ApiError::RateLimited { retry_after } => (
                "rate-limited",
                "Too many requests",
                format!("Rate limit or daily quota reached; retry in {retry_after} s."),
                None,
            ),
            ApiError::Unavailable(_) => (
                "service-unavailable",
                "Service unavailable",
                format!("A dependency is unavailable; retry later. Request id: {request_id}."),
                None,
            ),
            ApiError::Internal(_) => (
                "internal",
                "Internal error",
                format!("Something went wrong on our side. Request id: {request_id}."),
                None,
            ),
        };
        Problem {
            type_uri: format!("{PROBLEM_BASE}{slug}"),
            title,
            status: self.status(),
            detail,
            errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_echo_their_cause() {
        let problem =
            ApiError::Internal("dynamodb said: secret table arn".into()).to_problem("req-1");
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("arn"));
        assert!(problem.detail.contains("req-1"));
    }

    #[test]
    fn validation_lists_every_field() {
        let problem = ApiError::Validation(vec![
            FieldError::new("type", "bad"),
            FieldError::new("source", "long"),
        ])
        .to_problem("r");
        assert_eq!(
            problem.type_uri,
            "https://ofauto.dev/problems/validation-failed"
        );
        let fields: Vec<_> = problem
            .errors
            .unwrap()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["type", "source"]);
    }

    #[test]
    fn cursor_errors_name_the_cursor() {
        let problem = ApiError::InvalidCursor.to_problem("r");
        assert_eq!(problem.status, 400);
        assert_eq!(problem.errors.unwrap()[0].field, "cursor");
    }
}
