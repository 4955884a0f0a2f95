//! Automations (API.md "Automations"): the pure core. Triggers and their occurrences (cron in an
//! IANA zone with the OCPS daylight-saving rules, rates, events), catch-up after an outage,
//! actions with templates parsed at create time, and the request and wire types. Storage, the
//! dispatcher and the stream consumer build on these; nothing here does I/O.

mod action;
mod catchup;
mod lifecycle;
mod object;
mod query;
mod schedule;
mod template;
mod trigger;

#[cfg(test)]
mod tests;

use std::fmt;

use chrono::TimeDelta;
use serde::Serialize;
use serde_json::Value;
use ulid::Ulid;

pub use action::{Action, PayloadTemplate, PublishPostAction, WebhookAction};
pub use catchup::{plan_catchup, Catchup, CatchupPlan, SkipReason, CATCHUP_WINDOW, ON_TIME_GRACE};
pub use query::{AutomationListQuery, Preview, RunAccepted};
pub use schedule::{
    resolve_fixed, CronExpr, EveryMinutes, PreviewRun, Zone, MAX_CRON_CHARS, MAX_EVERY_MINUTES,
    MIN_EVERY_MINUTES, RATE_ANCHOR,
};
pub use template::{Template, TemplateContext, TemplateEvent};
pub use trigger::{EventTrigger, RateTrigger, ScheduleTrigger, Trigger};

use super::ids::PostId;
use super::time::Timestamp;
use crate::error::{ApiError, FieldError};
use crate::json_body::JsonObject;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_PREVIEW_COUNT: usize = 50;
pub const DEFAULT_PREVIEW_COUNT: usize = 10;
/// After this many failed runs in a row the automation pauses itself (`disabled_reason:
/// "failing"`).
pub const MAX_CONSECUTIVE_FAILURES: u32 = 10;
/// Runs expire (DynamoDB TTL) this long after they were recorded.
pub const RUN_TTL: TimeDelta = TimeDelta::days(90);

macro_rules! ulid_id {
    ($(#[doc = $doc:literal])* $name:ident) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Ulid);

        impl $name {
            /// Anything but a canonical (upper-case) ULID names nothing; callers answer 404.
            pub fn parse(raw: &str) -> Option<Self> {
                if raw.len() != 26 {
                    return None;
                }
                let ulid = Ulid::from_string(raw).ok()?;
                (ulid.to_string() == raw).then_some(Self(ulid))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

ulid_id! {
    /// An automation: a ULID from its creation instant.
    AutomationId
}

ulid_id! {
    /// One run. Its time part is the occurrence (or the instant a manual or event run was
    /// recorded), so ids sort like `scheduled_for`; exactly-once rests on the run's key
    /// (automation and occurrence, or event id), never on this id.
    RunId
}

impl AutomationId {
    pub fn generate() -> Self {
        Self(Ulid::new())
    }
}

impl RunId {
    pub fn generate(at: Timestamp) -> Self {
        Self(Ulid::from_parts(at.millis(), Ulid::new().random()))
    }

    /// The id of the post a `publish_post` run makes: the run's own, so the run makes it once
    /// however often its action starts.
    pub fn post_id(self) -> PostId {
        PostId::from_ulid(self.0)
    }
}

/// 1–100 characters, not all white space, no control characters; kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AutomationName(String);

impl AutomationName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS || raw.trim().is_empty() {
            return Err(format!(
                "must be 1-{MAX_NAME_CHARS} characters, not all blank"
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why an automation is paused by the service rather than by a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AutomationDisabledReason {
    /// [`MAX_CONSECUTIVE_FAILURES`] runs in a row failed.
    Failing,
}

fn name_field(value: Value) -> Result<AutomationName, String> {
    match value {
        Value::String(raw) => AutomationName::parse(&raw),
        _ => Err("must be a string".into()),
    }
}

fn enabled_field(value: Value) -> Result<bool, String> {
    value.as_bool().ok_or_else(|| "must be a boolean".into())
}

fn catchup_field(value: Value) -> Result<Catchup, String> {
    match value {
        Value::String(raw) => Catchup::parse(&raw),
        _ => Err("must be a string".into()),
    }
}

fn collect<T>(errors: &mut Vec<FieldError>, result: Result<T, Vec<FieldError>>) -> Option<T> {
    result.map_err(|mut e| errors.append(&mut e)).ok()
}

fn take_field<T>(
    body: &mut JsonObject,
    errors: &mut Vec<FieldError>,
    name: &str,
    parse: impl FnOnce(Value) -> Result<T, String>,
) -> Option<Option<T>> {
    match body.take(name) {
        None => Some(None),
        Some(v) => object::check(errors, name.to_owned(), parse(v).map(Some)),
    }
}

fn required<T>(errors: &mut Vec<FieldError>, name: &str, value: Option<Option<T>>) -> Option<T> {
    match value {
        Some(Some(v)) => Some(v),
        Some(None) => {
            errors.push(FieldError::new(name, "is required"));
            None
        }
        None => None,
    }
}

/// A validated `POST /v1/automations` body. The channel is checked against storage by the
/// handler: parsing only proves `action.channel_id` could name one.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAutomation {
    pub name: AutomationName,
    pub enabled: bool,
    pub trigger: Trigger,
    pub action: Action,
    pub catchup: Catchup,
}

impl NewAutomation {
    pub fn parse(mut body: JsonObject) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let name = take_field(&mut body, &mut errors, "name", name_field);
        let name = required(&mut errors, "name", name);
        let enabled = take_field(&mut body, &mut errors, "enabled", enabled_field);
        let trigger = match body.take("trigger") {
            None => required::<Trigger>(&mut errors, "trigger", Some(None)),
            Some(v) => collect(&mut errors, Trigger::parse(v, "trigger")),
        };
        let action = match body.take("action") {
            None => required::<Action>(&mut errors, "action", Some(None)),
            Some(v) => collect(&mut errors, Action::parse(v, "action")),
        };
        let catchup = take_field(&mut body, &mut errors, "catchup", catchup_field);
        body.finish(errors)?;
        match (name, enabled, trigger, action, catchup) {
            (Some(name), Some(enabled), Some(trigger), Some(action), Some(catchup)) => Ok(Self {
                name,
                enabled: enabled.unwrap_or(true),
                trigger,
                action,
                catchup: catchup.unwrap_or_default(),
            }),
            _ => Err(ApiError::Internal("field errors were lost".into())),
        }
    }
}

/// A validated `PATCH /v1/automations/{id}` body; absent (or `null`) fields stay as they are.
/// The handler recomputes `next_run_at` from now: a resumed automation does not catch up on
/// what it missed while paused.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AutomationPatch {
    pub name: Option<AutomationName>,
    pub enabled: Option<bool>,
    pub trigger: Option<Trigger>,
    pub action: Option<Action>,
    pub catchup: Option<Catchup>,
}

impl AutomationPatch {
    pub fn parse(mut body: JsonObject) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let name = take_field(&mut body, &mut errors, "name", name_field);
        let enabled = take_field(&mut body, &mut errors, "enabled", enabled_field);
        let trigger = match body.take("trigger") {
            None => Some(None),
            Some(v) => collect(&mut errors, Trigger::parse(v, "trigger")).map(Some),
        };
        let action = match body.take("action") {
            None => Some(None),
            Some(v) => collect(&mut errors, Action::parse(v, "action")).map(Some),
        };
        let catchup = take_field(&mut body, &mut errors, "catchup", catchup_field);
        body.finish(errors)?;
        match (name, enabled, trigger, action, catchup) {
            (Some(name), Some(enabled), Some(trigger), Some(action), Some(catchup)) => Ok(Self {
                name,
                enabled,
                trigger,
                action,
                catchup,
            }),
            _ => Err(ApiError::Internal("field errors were lost".into())),
        }
    }
}

/// A validated `POST /v1/automations/preview` body: `{trigger, count: 1..50 (default 10)}`.
/// An event trigger has no instants to show, so it is refused on `trigger.kind`.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewRequest {
    pub trigger: Trigger,
    pub count: usize,
}

impl PreviewRequest {
    pub fn parse(mut body: JsonObject) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let trigger = match body.take("trigger") {
            None => required::<Trigger>(&mut errors, "trigger", Some(None)),
            Some(v) => collect(&mut errors, Trigger::parse(v, "trigger")),
        };
        let trigger = match trigger {
            Some(Trigger::Event(_)) => {
                errors.push(FieldError::new(
                    "trigger.kind",
                    "an event trigger has no schedule to preview; use schedule or rate",
                ));
                None
            }
            other => other,
        };
        let count = take_field(&mut body, &mut errors, "count", |v| {
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (1..=MAX_PREVIEW_COUNT).contains(n))
                .ok_or_else(|| format!("must be an integer from 1 to {MAX_PREVIEW_COUNT}"))
        });
        body.finish(errors)?;
        match (trigger, count) {
            (Some(trigger), Some(count)) => Ok(Self {
                trigger,
                count: count.unwrap_or(DEFAULT_PREVIEW_COUNT),
            }),
            _ => Err(ApiError::Internal("field errors were lost".into())),
        }
    }

    /// The runs the dispatcher will fire after `now`: the same `Trigger::next_after` it uses.
    pub fn runs(&self, now: Timestamp) -> Vec<PreviewRun> {
        self.trigger.preview(now, self.count)
    }
}

/// An automation in its wire shape.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Automation {
    #[schema(value_type = String, example = "01JD0000000000000000000000")]
    pub id: AutomationId,
    #[schema(value_type = String, min_length = 1, max_length = 100)]
    pub name: AutomationName,
    pub enabled: bool,
    /// `failing` when the service paused it after repeated failures; `null` otherwise.
    #[schema(required = true)]
    pub disabled_reason: Option<AutomationDisabledReason>,
    #[schema(value_type = crate::openapi::automations::TriggerSchema)]
    pub trigger: Trigger,
    #[schema(value_type = crate::openapi::automations::ActionSchema)]
    pub action: Action,
    pub catchup: Catchup,
    /// The next occurrence while enabled, for schedule and rate triggers; `null` otherwise.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub next_run_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub last_run_at: Option<Timestamp>,
    pub consecutive_failures: u32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunTrigger {
    Schedule,
    Event,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Succeeded,
    Failed,
    /// An occurrence that was not run (catch-up policy, or older than 24 h).
    Skipped,
}

/// One run in its wire shape.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Run {
    #[schema(value_type = String, example = "01JD0000000000000000000000")]
    pub id: RunId,
    pub trigger: RunTrigger,
    /// The occurrence for schedule runs; `null` for event and manual runs.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub scheduled_for: Option<Timestamp>,
    pub status: RunStatus,
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub finished_at: Option<Timestamp>,
    #[schema(required = true)]
    pub error: Option<String>,
    #[schema(value_type = Option<String>, required = true)]
    pub post_id: Option<PostId>,
    #[schema(required = true)]
    pub event_id: Option<String>,
}
