//! Request bodies: size limit, JSON syntax, and an object whose unknown fields are all named.
//!
//! serde's `deny_unknown_fields` stops at the first stranger and cannot report several invalid
//! fields at once; clients fixing a form want every problem in one answer, so bodies are read as a
//! JSON object and each known field is parsed by its own newtype.

use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};

/// API.md: a body over 64 KiB gets 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON object body, with the fields a handler has taken out of it tracked.
#[derive(Debug)]
pub struct JsonObject {
    fields: Map<String, Value>,
}

impl JsonObject {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit_bytes: MAX_BODY_BYTES,
            });
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::MalformedJson("the body is empty".into()));
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            // serde_json's message names line and column only; it never echoes the input.
            ApiError::MalformedJson(e.to_string())
        })?;
        match value {
            Value::Object(fields) => Ok(Self { fields }),
            _ => Err(ApiError::field("body", "must be a JSON object")),
        }
    }

    /// Removes a field; `null` counts as absent, as clients commonly send it for "not set".
    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.fields.remove(name).filter(|v| !v.is_null())
    }

    /// Removes a field, keeping an explicit `null`: for the fields where `null` means "clear it"
    /// (a post's `scheduled_at`), which `take` cannot tell from absent.
    pub fn take_nullable(&mut self, name: &str) -> Option<Value> {
        self.fields.remove(name)
    }

    /// Every field nobody took is unknown; each becomes its own error entry, after the known
    /// fields' errors, so that the cap on a problem's `errors` never hides a real mistake.
    pub fn finish(self, mut errors: Vec<FieldError>) -> Result<(), ApiError> {
        let mut unknown: Vec<_> = self.fields.into_iter().map(|(name, _)| name).collect();
        unknown.sort();
        errors.extend(
            unknown
                .into_iter()
                .map(|name| FieldError::new(name, "unknown field")),
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// Collects per-field results so that every invalid field is reported, not just the first.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(FieldError::new(field, message));
                None
            }
        }
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_unknown_field() {
        let mut body = JsonObject::parse(br#"{"type":"a","zeta":1,"alpha":2}"#).unwrap();
        assert!(body.take("type").is_some());
        let Err(ApiError::Validation(errors)) = body.finish(vec![]) else {
            panic!("expected validation error");
        };
        let names: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["alpha", "zeta"]);
    }

    #[test]
    fn rejects_oversized_malformed_and_non_object_bodies() {
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(JsonObject::parse(&big).unwrap_err().status(), 413);
        assert!(matches!(
            JsonObject::parse(b"{\"a\":").unwrap_err(),
            ApiError::MalformedJson(_)
        ));
        assert!(matches!(
            JsonObject::parse(b"").unwrap_err(),
            ApiError::MalformedJson(_)
        ));
        assert!(matches!(
            JsonObject::parse(b"[1]").unwrap_err(),
            ApiError::Validation(_)
        ));
    }
}
