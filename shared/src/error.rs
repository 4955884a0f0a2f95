//! One error type for every function, and its RFC 9457 problem+json rendering.
//!
//! Internals never reach the wire: `Internal` and `Unavailable` carry a message for the logs only,
//! and the client gets a generic detail plus the request id to quote to support.

use serde::Serialize;

/// Where problem `type` URIs live; each slug is documented in the README.
pub const PROBLEM_BASE: &str = "https://ofauto.dev/problems/";

/// The most `errors` entries one problem lists. Without a cap the answer grew with the request:
/// a 64 KiB body of 3,800 unknown fields drew a 158 KB answer, one entry each. Twenty is more
/// than any honest form has wrong at once; `detail` says how many there were in all.
pub const MAX_PROBLEM_ERRORS: usize = 20;

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

/// Storage says what failed; the edge decides what the client sees. Throttled or unreachable
/// storage is a 503 the client may retry, anything else (corrupt items included) a 500, and the
/// storage message is kept for the logs only: `to_problem` never echoes it.
impl From<crate::repo::StorageError> for ApiError {
    fn from(err: crate::repo::StorageError) -> Self {
        use crate::repo::StorageError;
        match err {
            StorageError::Unavailable(detail) => ApiError::Unavailable(detail),
            StorageError::Corrupt(detail) => ApiError::Internal(format!("corrupt item: {detail}")),
            StorageError::Internal(detail) => ApiError::Internal(detail),
        }
    }
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
    /// At most `MAX_PROBLEM_ERRORS` entries; `detail` says how many there were when more.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20)]
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
        let (detail, errors) = cap_errors(detail, errors);
        Problem {
            type_uri: format!("{PROBLEM_BASE}{slug}"),
            title,
            status: self.status(),
            detail,
            errors,
        }
    }
}

/// Here, where every problem is built, rather than in each parser: no new parser or error kind
/// can bring the amplifier back.
fn cap_errors(
    detail: String,
    errors: Option<Vec<FieldError>>,
) -> (String, Option<Vec<FieldError>>) {
    match errors {
        Some(mut errors) if errors.len() > MAX_PROBLEM_ERRORS => {
            let total = errors.len();
            errors.truncate(MAX_PROBLEM_ERRORS);
            let detail = format!(
                "{} (first {MAX_PROBLEM_ERRORS} of {total}).",
                detail.strip_suffix('.').unwrap_or(&detail)
            );
            (detail, Some(errors))
        }
        errors => (detail, errors),
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
    fn storage_errors_are_503_when_retrying_helps_and_500_otherwise_never_echoed() {
        use crate::repo::StorageError;
        for (err, status) in [
            (
                StorageError::Unavailable("ThrottlingException: arn:secret".into()),
                503,
            ),
            (StorageError::Corrupt("stored event arn:secret".into()), 500),
            (
                StorageError::Internal("ValidationException: arn:secret".into()),
                500,
            ),
        ] {
            let api = ApiError::from(err);
            assert_eq!(api.status(), status);
            let problem = api.to_problem("req-1");
            assert!(!problem.detail.contains("arn"), "{}", problem.detail);
            assert!(problem.detail.contains("req-1"));
        }
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

    fn unknown_fields(n: usize) -> Vec<FieldError> {
        (0..n)
            .map(|i| FieldError::new(format!("f{i:04}"), "unknown field"))
            .collect()
    }

    #[test]
    fn validation_lists_at_most_the_cap_and_says_how_many_there_were() {
        let problem = ApiError::Validation(unknown_fields(3800)).to_problem("r");
        let errors = problem.errors.unwrap();
        assert_eq!(errors.len(), MAX_PROBLEM_ERRORS);
        assert_eq!(errors[0].field, "f0000");
        assert_eq!(errors[MAX_PROBLEM_ERRORS - 1].field, "f0019");
        assert_eq!(
            problem.detail,
            "One or more fields are invalid; see `errors` (first 20 of 3800)."
        );
    }

    #[test]
    fn the_schema_states_the_cap() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(Problem::schema()).unwrap();
        assert_eq!(
            schema["properties"]["errors"]["maxItems"],
            serde_json::json!(MAX_PROBLEM_ERRORS)
        );
    }

    #[test]
    fn up_to_the_cap_every_error_is_listed_as_before() {
        for n in [1, MAX_PROBLEM_ERRORS] {
            let problem = ApiError::Validation(unknown_fields(n)).to_problem("r");
            assert_eq!(problem.errors.unwrap().len(), n);
            assert_eq!(
                problem.detail,
                "One or more fields are invalid; see `errors`."
            );
        }
    }

    #[test]
    fn a_capped_problem_stays_small() {
        let long_names: Vec<_> = (0..5000)
            .map(|i| FieldError::new(format!("field-{i:05}"), "unknown field"))
            .collect();
        let problem = ApiError::Validation(long_names).to_problem("r");
        let body = serde_json::to_string(&problem).unwrap();
        assert!(body.len() < 2048, "{} bytes", body.len());
    }

    #[test]
    fn cursor_errors_name_the_cursor() {
        let problem = ApiError::InvalidCursor.to_problem("r");
        assert_eq!(problem.status, 400);
        assert_eq!(problem.errors.unwrap()[0].field, "cursor");
    }
}
