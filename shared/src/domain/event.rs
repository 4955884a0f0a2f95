//! The event a client records, and the rules API.md sets for each of its fields.

use chrono::TimeDelta;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ids::EventId;
use super::time::Timestamp;
use crate::error::ApiError;
use crate::json_body::{FieldErrors, JsonObject};

pub const MAX_TYPE_LEN: usize = 64;
pub const MAX_SOURCE_CHARS: usize = 128;
pub const MAX_PROPERTIES_BYTES: usize = 16 * 1024;
/// The properties object itself is depth 1.
pub const MAX_PROPERTIES_DEPTH: usize = 5;
/// How far ahead of the server clock `occurred_at` may be, to absorb client clock skew.
pub const MAX_FUTURE_SKEW: TimeDelta = TimeDelta::minutes(5);

/// 1–64 characters of `[a-z0-9_.:-]`, starting with a letter. The charset excludes `#`, so a
/// type can be embedded in a key, and excludes anything a query language could interpret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct EventType(String);

impl EventType {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.:-".contains(&b));
        let starts_with_letter = raw.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
        if raw.is_empty() || raw.len() > MAX_TYPE_LEN || !valid_chars || !starts_with_letter {
            return Err(format!(
                "must be 1-{MAX_TYPE_LEN} characters of [a-z0-9_.:-], starting with a letter"
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EventSource(String);

impl EventSource {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() > MAX_SOURCE_CHARS {
            return Err(format!("must be at most {MAX_SOURCE_CHARS} characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A JSON object within the size and depth limits, kept exactly as sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Properties(Map<String, Value>);

impl Properties {
    pub fn empty() -> Self {
        Self(Map::new())
    }

    pub fn parse(value: Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err("must be a JSON object".into());
        };
        let serialized = serde_json::to_vec(&map).map_err(|e| e.to_string())?;
        if serialized.len() > MAX_PROPERTIES_BYTES {
            return Err(format!(
                "must be at most {MAX_PROPERTIES_BYTES} bytes when serialised"
            ));
        }
        if depth_of_object(&map) > MAX_PROPERTIES_DEPTH {
            return Err(format!(
                "must be nested at most {MAX_PROPERTIES_DEPTH} deep"
            ));
        }
        Ok(Self(map))
    }

    /// Reads back what this type wrote to storage; storage is trusted to hold valid values.
    pub fn from_stored_json(raw: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(raw).map(Self)
    }

    pub fn to_json_string(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

fn depth_of_object(map: &Map<String, Value>) -> usize {
    1 + map.values().map(depth_of_value).max().unwrap_or(0)
}

fn depth_of_value(value: &Value) -> usize {
    match value {
        Value::Object(map) => depth_of_object(map),
        Value::Array(items) => 1 + items.iter().map(depth_of_value).max().unwrap_or(0),
        _ => 0,
    }
}

/// A validated `POST /v1/events` body.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_type: EventType,
    pub occurred_at: Timestamp,
    pub source: Option<EventSource>,
    pub properties: Properties,
}

impl NewEvent {
    pub fn parse(mut body: JsonObject, now: Timestamp) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::default();
        let event_type = match body.take("type") {
            None => errors.check::<EventType>("type", Err("is required".into())),
            Some(Value::String(raw)) => errors.check("type", EventType::parse(&raw)),
            Some(_) => errors.check::<EventType>("type", Err("must be a string".into())),
        };
        let occurred_at = match body.take("occurred_at") {
            None => Some(now),
            Some(Value::String(raw)) => errors.check("occurred_at", parse_occurred_at(&raw, now)),
            Some(_) => errors.check("occurred_at", Err("must be an RFC 3339 string".into())),
        };
        let source = match body.take("source") {
            None => Some(None),
            Some(Value::String(raw)) => errors.check("source", EventSource::parse(&raw).map(Some)),
            Some(_) => errors.check("source", Err("must be a string".into())),
        };
        let properties = match body.take("properties") {
            None => Some(Properties::empty()),
            Some(value) => errors.check("properties", Properties::parse(value)),
        };
        body.finish(errors.into_vec())?;
        match (event_type, occurred_at, source, properties) {
            (Some(event_type), Some(occurred_at), Some(source), Some(properties)) => Ok(Self {
                event_type,
                occurred_at,
                source,
                properties,
            }),
            // `finish` returns every collected error, so all four are present here.
            _ => Err(ApiError::Internal("field errors were lost".into())),
        }
    }
}

fn parse_occurred_at(raw: &str, now: Timestamp) -> Result<Timestamp, String> {
    let at = Timestamp::parse(raw).map_err(|e| e.to_string())?;
    if at > now.plus(MAX_FUTURE_SKEW) {
        return Err("must be at most 5 minutes in the future".into());
    }
    Ok(at)
}

/// A stored event, in its wire shape.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Event {
    /// ULID; its time part is `occurred_at`.
    #[schema(example = "01JD0000000000000000000000")]
    pub id: String,
    #[serde(rename = "type")]
    #[schema(value_type = String, min_length = 1, max_length = 64, pattern = "^[a-z][a-z0-9_.:-]*$")]
    pub event_type: EventType,
    /// UTC, millisecond precision.
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
    #[schema(value_type = Option<String>, max_length = 128, required = true)]
    pub source: Option<EventSource>,
    #[schema(value_type = Object)]
    pub properties: Properties,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl Event {
    pub fn record(new: NewEvent, now: Timestamp) -> (EventId, Self) {
        let id = EventId::generate(new.occurred_at);
        let event = Self {
            id: id.to_string(),
            event_type: new.event_type,
            occurred_at: new.occurred_at,
            source: new.source,
            properties: new.properties,
            created_at: now,
        };
        (id, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("2026-06-01T12:00:00Z").unwrap()
    }

    fn parse(body: &str) -> Result<NewEvent, ApiError> {
        NewEvent::parse(JsonObject::parse(body.as_bytes()).unwrap(), now())
    }

    fn error_fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_occurred_at_source_and_properties() {
        let event = parse(r#"{"type":"signup"}"#).unwrap();
        assert_eq!(event.occurred_at, now());
        assert_eq!(event.source, None);
        assert_eq!(event.properties, Properties::empty());
    }

    #[test]
    fn event_type_rules() {
        for ok in ["a", "page.view", "x:y-z_1", &"a".repeat(64)] {
            assert!(EventType::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1abc",
            "_a",
            "Page",
            "a b",
            "a#b",
            "a/b",
            &"a".repeat(65),
        ] {
            assert!(EventType::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let err = parse(&format!(
            r#"{{"type":"Bad","occurred_at":"2026-06-01T12:06:00Z","source":"{}","properties":[],"extra":1}}"#,
            "s".repeat(129)
        ))
        .unwrap_err();
        assert_eq!(
            error_fields(err),
            ["type", "occurred_at", "source", "properties", "extra"]
        );
    }

    #[test]
    fn occurred_at_may_be_five_minutes_ahead_but_no_more() {
        assert!(parse(r#"{"type":"a","occurred_at":"2026-06-01T12:05:00Z"}"#).is_ok());
        assert!(parse(r#"{"type":"a","occurred_at":"2026-06-01T12:05:00.001Z"}"#).is_err());
    }

    #[test]
    fn occurred_at_past_year_9999_is_refused_as_such() {
        // Whatever the clock says: the message must not depend on how far ahead `now` is.
        let far_future = Timestamp::parse("9999-12-31T23:00:00Z").unwrap();
        let body = r#"{"type":"a","occurred_at":"9999-12-31T23:59:59-01:00"}"#;
        let err = NewEvent::parse(JsonObject::parse(body.as_bytes()).unwrap(), far_future);
        match err.unwrap_err() {
            ApiError::Validation(errors) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].field, "occurred_at");
                assert!(errors[0].message.contains("9999-12-31T23:59:59.999Z"));
            }
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn properties_depth_and_size() {
        assert!(parse(r#"{"type":"a","properties":{"a":{"b":{"c":{"d":{"e":1}}}}}}"#).is_ok());
        let too_deep = parse(r#"{"type":"a","properties":{"a":{"b":{"c":{"d":{"e":{}}}}}}}"#);
        assert_eq!(error_fields(too_deep.unwrap_err()), ["properties"]);
        let arrays_count = parse(r#"{"type":"a","properties":{"a":[[[[[1]]]]]}}"#);
        assert_eq!(error_fields(arrays_count.unwrap_err()), ["properties"]);
        let big = format!(
            r#"{{"type":"a","properties":{{"k":"{}"}}}}"#,
            "x".repeat(16 * 1024)
        );
        assert_eq!(error_fields(parse(&big).unwrap_err()), ["properties"]);
    }

    #[test]
    fn missing_type_is_named() {
        assert_eq!(error_fields(parse(r#"{}"#).unwrap_err()), ["type"]);
    }

    #[test]
    fn source_counts_characters_not_bytes() {
        let ok = format!(r#"{{"type":"a","source":"{}"}}"#, "é".repeat(128));
        assert!(parse(&ok).is_ok());
    }
}
