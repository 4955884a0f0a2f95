//! Nested JSON objects (`trigger`, `action`) read the way `JsonObject` reads a body: every field
//! taken by name, every bad one and every unknown one reported under its dotted path
//! (`trigger.cron`, `action.extra`), all at once.

use serde_json::{Map, Value};

use crate::error::FieldError;

pub(crate) struct Object {
    fields: Map<String, Value>,
    path: String,
}

impl Object {
    /// `None` (with the error recorded) when `value` is not an object.
    pub(crate) fn new(value: Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Self> {
        match value {
            Value::Object(fields) => Some(Self {
                fields,
                path: path.to_owned(),
            }),
            _ => {
                errors.push(FieldError::new(path, "must be a JSON object"));
                None
            }
        }
    }

    /// The dotted path of a field of this object.
    pub(crate) fn path_of(&self, name: &str) -> String {
        format!("{}.{name}", self.path)
    }

    /// Removes a field; `null` counts as absent, as for bodies.
    pub(crate) fn take(&mut self, name: &str) -> Option<Value> {
        self.fields.remove(name).filter(|v| !v.is_null())
    }

    /// A required string field; records an error and gives `None` otherwise.
    pub(crate) fn take_str(&mut self, name: &str, errors: &mut Vec<FieldError>) -> Option<String> {
        match self.take(name) {
            Some(Value::String(raw)) => Some(raw),
            Some(_) => {
                errors.push(FieldError::new(self.path_of(name), "must be a string"));
                None
            }
            None => {
                errors.push(FieldError::new(self.path_of(name), "is required"));
                None
            }
        }
    }

    /// Records every field nobody took as unknown, sorted by name.
    pub(crate) fn finish(self, errors: &mut Vec<FieldError>) {
        let mut unknown: Vec<_> = self.fields.into_iter().map(|(name, _)| name).collect();
        unknown.sort();
        errors.extend(
            unknown
                .into_iter()
                .map(|name| FieldError::new(format!("{}.{name}", self.path), "unknown field")),
        );
    }
}

/// Records `result`'s error under `field`.
pub(crate) fn check<T>(
    errors: &mut Vec<FieldError>,
    field: String,
    result: Result<T, String>,
) -> Option<T> {
    result
        .map_err(|message| errors.push(FieldError::new(field, message)))
        .ok()
}
