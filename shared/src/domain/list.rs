//! Query-string inputs shared by every list: page size, time window, and the event filter.

use super::event::EventType;
use super::time::Timestamp;
use crate::error::{ApiError, FieldError};

pub const DEFAULT_LIMIT: u16 = 25;
pub const MAX_LIMIT: u16 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u16);

impl Limit {
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let Some(raw) = raw else {
            return Ok(Self(DEFAULT_LIMIT));
        };
        match raw.parse::<u16>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(Self(n)),
            _ => Err(format!("must be an integer from 1 to {MAX_LIMIT}")),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// An inclusive window on `occurred_at`; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl TimeWindow {
    /// Parses both bounds, reporting each bad one, then checks their order.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let from = match from.map(Timestamp::parse_ceil).transpose() {
            Ok(v) => v,
            Err(e) => {
                errors.push(FieldError::new("from", e.to_string()));
                None
            }
        };
        let to = match to.map(Timestamp::parse).transpose() {
            Ok(v) => v,
            Err(e) => {
                errors.push(FieldError::new("to", e.to_string()));
                None
            }
        };
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                errors.push(FieldError::new("from", "must not be after `to`"));
            }
        }
        if errors.is_empty() {
            Ok(Self { from, to })
        } else {
            Err(errors)
        }
    }
}

/// `GET /v1/events` after parsing. The cursor stays raw: it is verified against this query.
#[derive(Debug, Clone)]
pub struct EventListQuery {
    pub event_type: Option<EventType>,
    pub window: TimeWindow,
    pub limit: Limit,
    pub cursor: Option<String>,
}

impl EventListQuery {
    pub fn parse(param: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let event_type = match param("type").map(|t| EventType::parse(&t)).transpose() {
            Ok(t) => t,
            Err(message) => {
                errors.push(FieldError::new("type", message));
                None
            }
        };
        let window = match TimeWindow::parse(param("from").as_deref(), param("to").as_deref()) {
            Ok(window) => Some(window),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        };
        let limit = match Limit::parse(param("limit").as_deref()) {
            Ok(limit) => Some(limit),
            Err(message) => {
                errors.push(FieldError::new("limit", message));
                None
            }
        };
        let cursor = param("cursor");
        if cursor.as_deref() == Some("") {
            return Err(ApiError::InvalidCursor);
        }
        match (window, limit) {
            (Some(window), Some(limit)) if errors.is_empty() => Ok(Self {
                event_type,
                window,
                limit,
                cursor,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }

    /// What a cursor is bound to: the filters, not the page size, which clients may change.
    pub fn fingerprint(&self) -> String {
        format!(
            "events|type={}|from={}|to={}",
            self.event_type.as_ref().map_or("", |t| t.as_str()),
            self.window.from.map_or(String::new(), |t| t.to_rfc3339()),
            self.window.to.map_or(String::new(), |t| t.to_rfc3339()),
        )
    }
}

/// The wire shape of every list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T: serde::Serialize> {
    pub items: Vec<T>,
    /// Opaque; pass back as `cursor` with the same filters. `null` on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<EventListQuery, ApiError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EventListQuery::parse(|k| map.get(k).cloned())
    }

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(e) => e.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn limit_defaults_and_bounds() {
        assert_eq!(parse(&[]).unwrap().limit.get(), 25);
        assert_eq!(parse(&[("limit", "100")]).unwrap().limit.get(), 100);
        for bad in ["0", "101", "abc", "-1", "1.5"] {
            assert_eq!(fields(parse(&[("limit", bad)]).unwrap_err()), ["limit"]);
        }
    }

    #[test]
    fn from_after_to_is_rejected() {
        let err = parse(&[
            ("from", "2026-01-02T00:00:00Z"),
            ("to", "2026-01-01T00:00:00Z"),
        ]);
        assert_eq!(fields(err.unwrap_err()), ["from"]);
    }

    #[test]
    fn bounds_past_year_9999_are_named() {
        for raw in ["9999-12-31T23:59:59-01:00", "9999-12-31T23:59:60Z"] {
            assert_eq!(fields(parse(&[("from", raw)]).unwrap_err()), ["from"]);
            assert_eq!(fields(parse(&[("to", raw)]).unwrap_err()), ["to"]);
        }
        // `from` rounds up to the millisecond, and here that is year 10000; `to` rounds down.
        let sub_milli = "9999-12-31T23:59:59.9999Z";
        assert_eq!(fields(parse(&[("from", sub_milli)]).unwrap_err()), ["from"]);
        let to = parse(&[("to", sub_milli)]).unwrap().window.to.unwrap();
        assert_eq!(to.to_rfc3339(), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let err = parse(&[("type", "Nope"), ("to", "soon"), ("limit", "0")]).unwrap_err();
        assert_eq!(fields(err), ["type", "to", "limit"]);
    }

    #[test]
    fn fingerprint_ignores_limit_but_not_filters() {
        let a = parse(&[("type", "a"), ("limit", "5")])
            .unwrap()
            .fingerprint();
        let b = parse(&[("type", "a"), ("limit", "50")])
            .unwrap()
            .fingerprint();
        let c = parse(&[("type", "b")]).unwrap().fingerprint();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
