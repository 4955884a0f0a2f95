//! Action templates: text with `{{…}}` placeholders, parsed when the automation is created so a
//! typo is a 400 then, not a broken post at 3 a.m.
//!
//! Placeholders (spaces inside the braces are allowed): `event.type`, `event.id`,
//! `event.properties.<key>` (a top-level property; the key is taken literally, dots included),
//! `now`, `scheduled_for` and `automation.name`. A placeholder with no value at run time (an
//! event placeholder in a scheduled run, a missing property) renders empty. There is no escape
//! for a literal `{{`; a lone `}}` is plain text.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::time::Timestamp;

const PLACEHOLDERS: &str =
    "event.type, event.id, event.properties.<key>, now, scheduled_for, automation.name";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    EventType,
    EventId,
    EventProperty(String),
    Now,
    ScheduledFor,
    AutomationName,
}

/// A parsed template; it keeps its source, which is what the API shows and storage keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

/// The event a run was triggered by.
#[derive(Debug, Clone, Copy)]
pub struct TemplateEvent<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    pub properties: &'a Map<String, Value>,
}

/// Everything a template may refer to at run time.
#[derive(Debug, Clone, Copy)]
pub struct TemplateContext<'a> {
    pub automation_name: &'a str,
    pub now: Timestamp,
    /// The occurrence; `None` for event and manual runs.
    pub scheduled_for: Option<Timestamp>,
    pub event: Option<TemplateEvent<'a>>,
}

impl Template {
    /// The error message names the offending placeholder; the caller names the field.
    pub fn parse(source: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(format!(
                    "has an unclosed `{{{{` at character {}",
                    source[..source.len() - rest.len() + open].chars().count()
                ));
            };
            let name = after[..close].trim();
            parts.push(placeholder(name).ok_or_else(|| {
                format!("unknown placeholder `{{{{{name}}}}}`; known: {PLACEHOLDERS}")
            })?);
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn render(&self, ctx: &TemplateContext<'_>) -> String {
        let mut out = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::EventType => out.push_str(ctx.event.map_or("", |e| e.event_type)),
                Part::EventId => out.push_str(ctx.event.map_or("", |e| e.id)),
                Part::EventProperty(key) => match ctx.event.and_then(|e| e.properties.get(key)) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) => out.push_str(s),
                    Some(other) => out.push_str(&other.to_string()),
                },
                Part::Now => out.push_str(&ctx.now.to_rfc3339()),
                Part::ScheduledFor => {
                    if let Some(at) = ctx.scheduled_for {
                        out.push_str(&at.to_rfc3339());
                    }
                }
                Part::AutomationName => out.push_str(ctx.automation_name),
            }
        }
        out
    }
}

impl Serialize for Template {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

fn placeholder(name: &str) -> Option<Part> {
    Some(match name {
        "event.type" => Part::EventType,
        "event.id" => Part::EventId,
        "now" => Part::Now,
        "scheduled_for" => Part::ScheduledFor,
        "automation.name" => Part::AutomationName,
        _ => {
            let key = name.strip_prefix("event.properties.")?;
            if key.is_empty() {
                return None;
            }
            Part::EventProperty(key.to_owned())
        }
    })
}
