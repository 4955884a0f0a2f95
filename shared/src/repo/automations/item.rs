//! An automation and its runs as the table stores them.
//!
//! An automation item holds the API fields, plus `tenant` (the dispatcher finds automations on
//! the keys-only due index and learns whose one it read from the item, never by parsing a key),
//! `trigger` and `action` as the JSON text of their own `Serialize` form (read back with
//! `Trigger::from_stored` / `Action::from_stored`, so a payload template keeps every number and
//! key exactly as sent), and the due index's `due_shard` / `due_at`, present only while it is
//! enabled with a schedule or rate trigger.
//!
//! A run item holds the wire fields plus its key's parts (`scheduled_for`, `occurrence`), the
//! internal status `running` while its action is in flight, the attempt count of a webhook
//! action, and `expires_at` (the table's TTL attribute).

use serde::{Deserialize, Serialize};

use super::super::attributes::{from_item, to_item, Entity, Item};
use super::super::StorageError;
use crate::domain::automation::{
    Action, Automation, AutomationDisabledReason, AutomationId, AutomationName, Catchup, Run,
    RunId, RunStatus, RunTrigger, SkipReason, Trigger, RUN_TTL,
};
use crate::domain::ids::{EventId, PostId};
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::keys::{self, Key};

// The attributes update expressions name. The serde field names below are the same strings.
pub(super) const NAME: &str = "name";
pub(super) const ENABLED: &str = "enabled";
pub(super) const DISABLED_REASON: &str = "disabled_reason";
pub(super) const TRIGGER: &str = "trigger";
pub(super) const ACTION: &str = "action";
pub(super) const CATCHUP: &str = "catchup";
pub(super) const NEXT_RUN_AT: &str = "next_run_at";
pub(super) const LAST_RUN_AT: &str = "last_run_at";
pub(super) const CONSECUTIVE_FAILURES: &str = "consecutive_failures";
pub(super) const UPDATED_AT: &str = "updated_at";
pub(super) const STATUS: &str = "status";
pub(super) const FINISHED_AT: &str = "finished_at";
pub(super) const ERROR: &str = "error";
pub(super) const POST_ID: &str = "post_id";

/// An automation with what only the schedule needs: whose it is, and the due time it is on the
/// index at (absent while paused or event-triggered), which a claim is conditional on.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationRecord {
    pub tenant: TenantId,
    pub automation: Automation,
    pub due_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredAutomation {
    pub tenant: String,
    pub id: String,
    pub name: String,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<AutomationDisabledReason>,
    /// `Trigger`'s JSON text.
    pub trigger: String,
    /// `Action`'s JSON text.
    pub action: String,
    pub catchup: Catchup,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<String>,
    #[serde(default)]
    pub consecutive_failures: u32,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_shard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
}

impl Entity for StoredAutomation {
    const NAME: &'static str = keys::ENTITY_AUTOMATION;
}

impl StoredAutomation {
    /// A new automation's item: on the due index from the start when it has a next run.
    pub fn new(tenant: &TenantId, automation: &Automation) -> Result<Self, StorageError> {
        let on_index = automation
            .enabled
            .then_some(automation.next_run_at)
            .flatten();
        Ok(Self {
            tenant: tenant.as_str().to_owned(),
            id: automation.id.to_string(),
            name: automation.name.as_str().to_owned(),
            enabled: automation.enabled,
            disabled_reason: automation.disabled_reason,
            trigger: trigger_json(&automation.trigger)?,
            action: action_json(&automation.action)?,
            catchup: automation.catchup,
            next_run_at: automation.next_run_at.map(|t| t.to_rfc3339()),
            last_run_at: automation.last_run_at.map(|t| t.to_rfc3339()),
            consecutive_failures: automation.consecutive_failures,
            created_at: automation.created_at.to_rfc3339(),
            updated_at: automation.updated_at.to_rfc3339(),
            due_shard: on_index.map(|_| due_shard(tenant, automation.id)),
            due_at: on_index.map(keys::due_at_value),
        })
    }

    pub fn to_item(&self, tenant: &TenantId, id: AutomationId) -> Result<Item, StorageError> {
        to_item(self, &[Key::Automation { tenant, id }])
    }

    pub fn into_record(self) -> Result<AutomationRecord, StorageError> {
        let corrupt =
            |what: &str| StorageError::Corrupt(format!("stored automation has invalid {what}"));
        let time = |raw: Option<String>, what: &str| {
            raw.map(|raw| Timestamp::parse(&raw).map_err(|_| corrupt(what)))
                .transpose()
        };
        let json = |raw: &str, what: &str| {
            serde_json::from_str::<serde_json::Value>(raw).map_err(|_| corrupt(what))
        };
        let trigger = Trigger::from_stored(json(&self.trigger, "trigger")?)
            .map_err(|_| corrupt("trigger"))?;
        let action =
            Action::from_stored(json(&self.action, "action")?).map_err(|_| corrupt("action"))?;
        let automation = Automation {
            id: AutomationId::parse(&self.id).ok_or_else(|| corrupt("id"))?,
            name: AutomationName::parse(&self.name).map_err(|_| corrupt("name"))?,
            enabled: self.enabled,
            disabled_reason: self.disabled_reason,
            trigger,
            action,
            catchup: self.catchup,
            next_run_at: time(self.next_run_at, "next_run_at")?,
            last_run_at: time(self.last_run_at, "last_run_at")?,
            consecutive_failures: self.consecutive_failures,
            created_at: Timestamp::parse(&self.created_at).map_err(|_| corrupt("created_at"))?,
            updated_at: Timestamp::parse(&self.updated_at).map_err(|_| corrupt("updated_at"))?,
        };
        Ok(AutomationRecord {
            tenant: TenantId::parse(&self.tenant).ok_or_else(|| corrupt("tenant"))?,
            automation,
            due_at: time(self.due_at, "due_at")?,
        })
    }
}

pub(super) fn trigger_json(trigger: &Trigger) -> Result<String, StorageError> {
    serde_json::to_string(trigger)
        .map_err(|e| StorageError::Internal(format!("could not encode a trigger: {e}")))
}

pub(super) fn action_json(action: &Action) -> Result<String, StorageError> {
    serde_json::to_string(action)
        .map_err(|e| StorageError::Internal(format!("could not encode an action: {e}")))
}

/// The due-index shard of an automation: a stable hash of its table key (the partition is
/// shared by all of a tenant's automations, so the sort key is part of it).
pub(super) fn due_shard(tenant: &TenantId, id: AutomationId) -> String {
    let key = Key::Automation { tenant, id };
    keys::due_shard_of(&format!("{}#{}", key.partition(), key.sort()))
}

pub(super) fn record_from_item(item: Item) -> Result<AutomationRecord, StorageError> {
    from_item::<StoredAutomation>(item)?.into_record()
}

pub(super) fn automation_from_item(item: Item) -> Result<Automation, StorageError> {
    record_from_item(item).map(|r| r.automation)
}

/// A run's stored status: a finished run's wire status, or `running` while its action is in
/// flight (never listed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Succeeded,
    Failed,
    Skipped,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::Skipped => "skipped",
        }
    }

    /// The wire status; `None` while running.
    pub fn finished(self) -> Option<RunStatus> {
        match self {
            RunState::Running => None,
            RunState::Succeeded => Some(RunStatus::Succeeded),
            RunState::Failed => Some(RunStatus::Failed),
            RunState::Skipped => Some(RunStatus::Skipped),
        }
    }
}

impl From<RunStatus> for RunState {
    fn from(status: RunStatus) -> Self {
        match status {
            RunStatus::Succeeded => RunState::Succeeded,
            RunStatus::Failed => RunState::Failed,
            RunStatus::Skipped => RunState::Skipped,
        }
    }
}

/// Which occurrence a run is for: the second half of its key. The key is the run's identity,
/// so putting it only if absent makes each occurrence (each event, each manual request) run
/// once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Occurrence {
    /// A schedule or rate occurrence, at the key's `scheduled_for`.
    Scheduled,
    /// The event that triggered it.
    Event(EventId),
    /// A run requested with `POST /v1/automations/{id}/run`.
    Manual(RunId),
}

impl Occurrence {
    /// `S`, `E#<event id>` or `M#<run id>`, as [`Key::AutomationRun`] takes it.
    pub fn key_part(&self) -> String {
        match self {
            Occurrence::Scheduled => "S".to_owned(),
            Occurrence::Event(id) => format!("E#{id}"),
            Occurrence::Manual(id) => format!("M#{id}"),
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.split_once('#') {
            None if raw == "S" => Some(Occurrence::Scheduled),
            Some(("E", id)) => EventId::parse(id).map(Occurrence::Event),
            Some(("M", id)) => RunId::parse(id).map(Occurrence::Manual),
            _ => None,
        }
    }

    pub fn trigger(&self) -> RunTrigger {
        match self {
            Occurrence::Scheduled => RunTrigger::Schedule,
            Occurrence::Event(_) => RunTrigger::Event,
            Occurrence::Manual(_) => RunTrigger::Manual,
        }
    }
}

/// A run with its key and the state the wire does not show.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: RunId,
    /// The key's instant: the occurrence for a schedule run, the instant an event or manual
    /// run was recorded otherwise. Runs list newest first by it.
    pub scheduled_for: Timestamp,
    pub occurrence: Occurrence,
    pub status: RunState,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub error: Option<String>,
    pub post_id: Option<PostId>,
    /// Delivery attempts made by a webhook action so far.
    pub attempts: u32,
    /// Epoch seconds after which DynamoDB's TTL removes the run.
    pub expires_at: i64,
}

impl RunRecord {
    /// A run about to start its action (`running`, started now), or a `skipped` occurrence
    /// (finished now, never started), expiring [`RUN_TTL`] from now.
    pub fn new(
        scheduled_for: Timestamp,
        occurrence: Occurrence,
        status: RunState,
        now: Timestamp,
    ) -> Self {
        let id = match &occurrence {
            Occurrence::Manual(id) => *id,
            _ => RunId::generate(scheduled_for),
        };
        let skipped = status == RunState::Skipped;
        Self {
            id,
            scheduled_for,
            occurrence,
            status,
            started_at: (!skipped).then_some(now),
            finished_at: (status != RunState::Running).then_some(now),
            error: None,
            post_id: None,
            attempts: 0,
            expires_at: expiry(now),
        }
    }

    /// A scheduled occurrence recorded `skipped`, its reason in `error`.
    pub fn skipped(scheduled_for: Timestamp, reason: SkipReason, now: Timestamp) -> Self {
        let mut run = Self::new(scheduled_for, Occurrence::Scheduled, RunState::Skipped, now);
        run.error = Some(reason.message().to_owned());
        run
    }

    /// A manual run requested now: its own id, keyed `M#<id>` at now.
    pub fn manual(now: Timestamp) -> Self {
        Self::new(
            now,
            Occurrence::Manual(RunId::generate(now)),
            RunState::Running,
            now,
        )
    }

    pub fn trigger(&self) -> RunTrigger {
        self.occurrence.trigger()
    }

    /// The wire shape; `None` while running. `scheduled_for` is shown for schedule runs only.
    pub fn to_run(&self) -> Option<Run> {
        Some(Run {
            id: self.id,
            trigger: self.trigger(),
            scheduled_for: (self.occurrence == Occurrence::Scheduled).then_some(self.scheduled_for),
            status: self.status.finished()?,
            started_at: self.started_at,
            finished_at: self.finished_at,
            error: self.error.clone(),
            post_id: self.post_id,
            event_id: match &self.occurrence {
                Occurrence::Event(id) => Some(id.to_string()),
                _ => None,
            },
        })
    }

    pub(super) fn key<'a>(
        &self,
        tenant: &'a TenantId,
        automation: AutomationId,
        occurrence: &'a str,
    ) -> Key<'a> {
        Key::AutomationRun {
            tenant,
            automation,
            scheduled_for: self.scheduled_for,
            occurrence,
        }
    }
}

/// When a run recorded at `now` expires, in epoch seconds (DynamoDB TTL).
pub(super) fn expiry(now: Timestamp) -> i64 {
    i64::try_from(now.plus(RUN_TTL).millis() / 1000).unwrap_or(i64::MAX)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredRun {
    pub id: String,
    pub trigger: RunTrigger,
    pub scheduled_for: String,
    pub occurrence: String,
    pub status: RunState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    pub expires_at: i64,
}

impl Entity for StoredRun {
    const NAME: &'static str = keys::ENTITY_RUN;
}

impl From<&RunRecord> for StoredRun {
    fn from(run: &RunRecord) -> Self {
        Self {
            id: run.id.to_string(),
            trigger: run.trigger(),
            scheduled_for: run.scheduled_for.to_rfc3339(),
            occurrence: run.occurrence.key_part(),
            status: run.status,
            started_at: run.started_at.map(|t| t.to_rfc3339()),
            finished_at: run.finished_at.map(|t| t.to_rfc3339()),
            error: run.error.clone(),
            post_id: run.post_id.map(|p| p.to_string()),
            event_id: match &run.occurrence {
                Occurrence::Event(id) => Some(id.to_string()),
                _ => None,
            },
            attempts: run.attempts,
            expires_at: run.expires_at,
        }
    }
}

pub(super) fn run_item(
    tenant: &TenantId,
    automation: AutomationId,
    run: &RunRecord,
) -> Result<Item, StorageError> {
    let occurrence = run.occurrence.key_part();
    to_item(
        &StoredRun::from(run),
        &[run.key(tenant, automation, &occurrence)],
    )
}

pub(super) fn run_from_item(item: Item) -> Result<RunRecord, StorageError> {
    let stored = from_item::<StoredRun>(item)?;
    let corrupt = |what: &str| StorageError::Corrupt(format!("stored run has invalid {what}"));
    let time = |raw: Option<String>, what: &str| {
        raw.map(|raw| Timestamp::parse(&raw).map_err(|_| corrupt(what)))
            .transpose()
    };
    Ok(RunRecord {
        id: RunId::parse(&stored.id).ok_or_else(|| corrupt("id"))?,
        scheduled_for: Timestamp::parse(&stored.scheduled_for)
            .map_err(|_| corrupt("scheduled_for"))?,
        occurrence: Occurrence::parse(&stored.occurrence).ok_or_else(|| corrupt("occurrence"))?,
        status: stored.status,
        started_at: time(stored.started_at, "started_at")?,
        finished_at: time(stored.finished_at, "finished_at")?,
        error: stored.error,
        post_id: stored
            .post_id
            .map(|raw| PostId::parse(&raw).ok_or_else(|| corrupt("post_id")))
            .transpose()?,
        attempts: stored.attempts,
        expires_at: stored.expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::automation::NewAutomation;
    use crate::json_body::JsonObject;

    fn now() -> Timestamp {
        Timestamp::parse("2026-06-01T12:00:00Z").unwrap()
    }

    fn automation(body: &str, next_run_at: Option<Timestamp>) -> (TenantId, Automation) {
        let new = NewAutomation::parse(JsonObject::parse(body.as_bytes()).unwrap()).unwrap();
        let automation = Automation {
            id: AutomationId::generate(),
            name: new.name,
            enabled: new.enabled,
            disabled_reason: None,
            trigger: new.trigger,
            action: new.action,
            catchup: new.catchup,
            next_run_at,
            last_run_at: None,
            consecutive_failures: 0,
            created_at: now(),
            updated_at: now(),
        };
        (TenantId::parse("acme").unwrap(), automation)
    }

    const SCHEDULE: &str = r#"{"name":"daily","trigger":{"kind":"schedule","cron":"0 9 * * *","timezone":"America/New_York"},"action":{"kind":"webhook","channel_id":"01JD0000000000000000000000","payload_template":{"n":1.50,"big":12345678901234567890,"t":"{{now}}"}}}"#;

    #[test]
    fn a_scheduled_automation_is_on_the_due_index_and_round_trips() {
        let next = Timestamp::parse("2026-06-01T13:00:00Z").unwrap();
        let (tenant, automation) = automation(SCHEDULE, Some(next));
        let item = StoredAutomation::new(&tenant, &automation)
            .unwrap()
            .to_item(&tenant, automation.id)
            .unwrap();
        let string = |name: &str| item[name].as_s().unwrap().clone();
        assert_eq!(string("pk"), "T#acme#AU");
        assert_eq!(string("sk"), automation.id.to_string());
        assert_eq!(string("entity"), "automation");
        assert_eq!(string("tenant"), "acme");
        assert_eq!(string("due_at"), "2026-06-01T13:00:00.000Z");
        assert_eq!(
            string("due_shard"),
            keys::due_shard_of(&format!("T#acme#AU#{}", automation.id))
        );
        assert!(string("trigger").contains(r#""cron":"0 9 * * *""#));
        let record = record_from_item(item).unwrap();
        assert_eq!(record.automation, automation);
        assert_eq!(record.tenant, tenant);
        assert_eq!(record.due_at, Some(next));
    }

    #[test]
    fn paused_and_event_automations_are_not_on_the_due_index() {
        let body = r#"{"name":"on signup","enabled":false,"trigger":{"kind":"event","event_type":"user.signup","property_equals":{"plan":"pro"}},"action":{"kind":"publish_post","channel_id":"01JD0000000000000000000000","content_template":"Welcome {{event.properties.name}}"}}"#;
        let (tenant, on_event) = automation(body, None);
        let item = StoredAutomation::new(&tenant, &on_event)
            .unwrap()
            .to_item(&tenant, on_event.id)
            .unwrap();
        for absent in ["due_at", "due_shard", "next_run_at", "last_run_at"] {
            assert!(!item.contains_key(absent), "{absent}");
        }
        assert_eq!(automation_from_item(item).unwrap(), on_event);
        let (tenant, mut paused) = automation(SCHEDULE, None);
        paused.enabled = false;
        paused.next_run_at = None;
        let item = StoredAutomation::new(&tenant, &paused).unwrap();
        assert_eq!(item.due_at, None);
    }

    #[test]
    fn runs_round_trip_under_their_keys() {
        let tenant = TenantId::parse("acme").unwrap();
        let automation = AutomationId::generate();
        let at = Timestamp::parse("2026-03-08T07:00:00Z").unwrap();
        let mut run = RunRecord::new(at, Occurrence::Scheduled, RunState::Running, now());
        let item = run_item(&tenant, automation, &run).unwrap();
        assert_eq!(
            item["pk"].as_s().unwrap(),
            &format!("T#acme#AU#{automation}")
        );
        assert_eq!(item["sk"].as_s().unwrap(), "R#2026-03-08T07:00:00.000Z#S");
        assert_eq!(item["entity"].as_s().unwrap(), "run");
        assert_eq!(item["status"].as_s().unwrap(), "running");
        assert_eq!(
            item["expires_at"].as_n().unwrap(),
            &(now().millis() / 1000 + 90 * 86_400).to_string()
        );
        assert_eq!(run_from_item(item).unwrap(), run);
        assert_eq!(run.to_run(), None, "a running run is not shown");
        run.status = RunState::Failed;
        run.error = Some("HTTP 500".into());
        let wire = run.to_run().unwrap();
        assert_eq!(wire.scheduled_for, Some(at));
        assert_eq!(wire.status, RunStatus::Failed);

        let event = EventId::generate(now());
        let by_event = RunRecord::new(now(), Occurrence::Event(event), RunState::Running, now());
        let item = run_item(&tenant, automation, &by_event).unwrap();
        assert_eq!(
            item["sk"].as_s().unwrap(),
            &format!("R#2026-06-01T12:00:00.000Z#E#{event}")
        );
        assert_eq!(item["event_id"].as_s().unwrap(), &event.to_string());
        assert_eq!(run_from_item(item).unwrap(), by_event);

        let manual = RunRecord::manual(now());
        assert_eq!(manual.occurrence, Occurrence::Manual(manual.id));
        let item = run_item(&tenant, automation, &manual).unwrap();
        assert_eq!(
            item["sk"].as_s().unwrap(),
            &format!("R#2026-06-01T12:00:00.000Z#M#{}", manual.id)
        );
        assert_eq!(run_from_item(item).unwrap(), manual);
    }

    #[test]
    fn a_skipped_run_is_finished_and_never_started() {
        let at = Timestamp::parse("2026-03-08T07:00:00Z").unwrap();
        let run = RunRecord::skipped(at, SkipReason::Expired, now());
        let wire = run.to_run().unwrap();
        assert_eq!(wire.status, RunStatus::Skipped);
        assert_eq!(wire.started_at, None);
        assert_eq!(wire.finished_at, Some(now()));
        assert_eq!(wire.trigger, RunTrigger::Schedule);
        assert_eq!(wire.scheduled_for, Some(at));
        assert_eq!(wire.error.as_deref(), Some(SkipReason::Expired.message()));
    }

    #[test]
    fn occurrences_parse_back_and_refuse_anything_else() {
        for occurrence in [
            Occurrence::Scheduled,
            Occurrence::Event(EventId::generate(now())),
            Occurrence::Manual(RunId::generate(now())),
        ] {
            assert_eq!(Occurrence::parse(&occurrence.key_part()), Some(occurrence));
        }
        for bad in [
            "",
            "s",
            "S#",
            "E#",
            "E#x",
            "M#01jd0000000000000000000000",
            "X#1",
        ] {
            assert_eq!(Occurrence::parse(bad), None, "{bad}");
        }
    }
}
