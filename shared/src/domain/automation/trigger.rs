//! What makes an automation run: a cron schedule in a time zone, a rate, or a matching event.

use serde::Serialize;
use serde_json::{Map, Value};

use super::object::{check, Object};
use super::schedule::{CronExpr, EveryMinutes, PreviewRun, Zone};
use crate::domain::event::EventType;
use crate::domain::time::Timestamp;
use crate::error::FieldError;

pub const MAX_PROPERTY_EQUALS: usize = 10;
pub const MAX_PROPERTY_KEY_CHARS: usize = 128;
pub const MAX_PROPERTY_VALUE_CHARS: usize = 1024;

/// `{kind: "schedule", cron, timezone}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleTrigger {
    #[serde(serialize_with = "cron_str")]
    pub cron: CronExpr,
    pub timezone: Zone,
}

fn cron_str<S: serde::Serializer>(cron: &CronExpr, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(cron.as_str())
}

/// `{kind: "rate", every_minutes}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateTrigger {
    pub every_minutes: EveryMinutes,
}

/// `{kind: "event", event_type, property_equals?}`: each key must be present in the event's
/// properties with an equal scalar (numbers compare by value, so `1` equals `1.0`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventTrigger {
    pub event_type: EventType,
    /// Always an object on the wire (`{}` when none was given).
    pub property_equals: Map<String, Value>,
}

impl EventTrigger {
    pub fn matches(&self, event_type: &str, properties: &Map<String, Value>) -> bool {
        event_type == self.event_type.as_str()
            && self
                .property_equals
                .iter()
                .all(|(key, want)| properties.get(key).is_some_and(|got| scalar_eq(got, want)))
    }
}

fn scalar_eq(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    Schedule(ScheduleTrigger),
    Rate(RateTrigger),
    Event(EventTrigger),
}

impl Trigger {
    /// Parses the JSON at `path` (`trigger`); every error is named under that path.
    pub fn parse(value: Value, path: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let parsed = parse_trigger(value, path, &mut errors);
        match parsed {
            Some(trigger) if errors.is_empty() => Ok(trigger),
            _ => Err(errors),
        }
    }

    /// Reads back what this type wrote to storage (its own `Serialize` form).
    pub fn from_stored(value: Value) -> Result<Self, String> {
        Self::parse(value, "trigger").map_err(|errors| format!("{errors:?}"))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Schedule(_) => "schedule",
            Trigger::Rate(_) => "rate",
            Trigger::Event(_) => "event",
        }
    }

    /// The first occurrence strictly after `after`; `None` for event triggers (and for a
    /// schedule that has no occurrence left before the year 10000).
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let at = match self {
            Trigger::Schedule(s) => s.cron.next_after(s.timezone.tz(), after.datetime())?,
            Trigger::Rate(r) => r.every_minutes.next_after(after.datetime()),
            Trigger::Event(_) => return None,
        };
        let at = Timestamp::from_datetime(at);
        // `from_datetime` clamps at the last instant; a clamped value is no occurrence.
        (at.datetime() > after.datetime()).then_some(at)
    }

    /// The occurrences in `(after, until]`, oldest first, at most `max` of them.
    pub fn occurrences(&self, after: Timestamp, until: Timestamp, max: usize) -> Vec<Timestamp> {
        let mut found = Vec::new();
        let mut cursor = after;
        while found.len() < max {
            match self.next_after(cursor) {
                Some(at) if at <= until => {
                    found.push(at);
                    cursor = at;
                }
                _ => break,
            }
        }
        found
    }

    /// The next `count` runs after `after`, with wall time and offset in the trigger's zone (UTC
    /// for rates). Empty for event triggers.
    pub fn preview(&self, after: Timestamp, count: usize) -> Vec<PreviewRun> {
        let zone = match self {
            Trigger::Schedule(s) => s.timezone.tz(),
            Trigger::Rate(_) => chrono_tz::UTC,
            Trigger::Event(_) => return Vec::new(),
        };
        let mut runs = Vec::with_capacity(count);
        let mut cursor = after;
        while runs.len() < count {
            let Some(at) = self.next_after(cursor) else {
                break;
            };
            runs.push(PreviewRun::new(at, zone));
            cursor = at;
        }
        runs
    }
}

fn parse_trigger(value: Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Trigger> {
    let mut obj = Object::new(value, path, errors)?;
    let kind_path = obj.path_of("kind");
    let kind = obj.take_str("kind", errors)?;
    let trigger = match kind.as_str() {
        "schedule" => {
            let cron = obj
                .take_str("cron", errors)
                .and_then(|raw| check(errors, obj.path_of("cron"), CronExpr::parse(&raw)));
            let timezone = obj
                .take_str("timezone", errors)
                .and_then(|raw| check(errors, obj.path_of("timezone"), Zone::parse(&raw)));
            cron.zip(timezone)
                .map(|(cron, timezone)| Trigger::Schedule(ScheduleTrigger { cron, timezone }))
        }
        "rate" => {
            let field = obj.path_of("every_minutes");
            let every = match obj.take("every_minutes") {
                None => check(errors, field, Err("is required".into())),
                Some(v) => check(errors, field, EveryMinutes::parse(&v)),
            };
            every.map(|every_minutes| Trigger::Rate(RateTrigger { every_minutes }))
        }
        "event" => {
            let event_type = obj
                .take_str("event_type", errors)
                .and_then(|raw| check(errors, obj.path_of("event_type"), EventType::parse(&raw)));
            let property_equals = match obj.take("property_equals") {
                None => Some(Map::new()),
                Some(v) => parse_property_equals(v, &obj.path_of("property_equals"), errors),
            };
            event_type
                .zip(property_equals)
                .map(|(event_type, property_equals)| {
                    Trigger::Event(EventTrigger {
                        event_type,
                        property_equals,
                    })
                })
        }
        _ => {
            errors.push(FieldError::new(
                kind_path,
                "must be one of schedule, rate, event",
            ));
            // The other fields depend on the kind; naming them unknown would mislead.
            return None;
        }
    };
    obj.finish(errors);
    trigger
}

fn parse_property_equals(
    value: Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Map<String, Value>> {
    let Value::Object(map) = value else {
        errors.push(FieldError::new(path, "must be an object of scalars"));
        return None;
    };
    if map.len() > MAX_PROPERTY_EQUALS {
        errors.push(FieldError::new(
            path,
            format!("must have at most {MAX_PROPERTY_EQUALS} keys"),
        ));
        return None;
    }
    let before = errors.len();
    for (key, v) in &map {
        let field = format!("{path}.{key}");
        let chars = key.chars().count();
        if chars == 0 || chars > MAX_PROPERTY_KEY_CHARS {
            errors.push(FieldError::new(
                field,
                format!("keys must be 1-{MAX_PROPERTY_KEY_CHARS} characters"),
            ));
            continue;
        }
        match v {
            Value::String(s) if s.chars().count() > MAX_PROPERTY_VALUE_CHARS => {
                errors.push(FieldError::new(
                    field,
                    format!("must be at most {MAX_PROPERTY_VALUE_CHARS} characters"),
                ))
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
            _ => errors.push(FieldError::new(
                field,
                "must be a string, a number or a boolean",
            )),
        }
    }
    (errors.len() == before).then_some(map)
}
