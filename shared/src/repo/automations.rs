//! The tenant-scoped automations store: all of a tenant's automations in one partition (a
//! tenant has few, and the event-trigger consumer reads them all at once), each automation's
//! runs in a partition of their own, newest last by key. The API's reads and edits are here;
//! what the dispatcher and the deliverer write (claims, runs, outcomes) is in `schedule`.
//!
//! Every change of state is a conditional write on what the writer saw, so that the API, any
//! number of dispatchers and the deliverer can race without a lock.

mod item;
mod schedule;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;

use super::attributes::{n, s, Item};
use super::conditional::put_new;
use super::page::cut_page;
use super::posts::write::Write;
use super::StorageError;
use crate::domain::automation::{Automation, AutomationId, AutomationPatch, Run};
use crate::domain::list::Limit;
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::keys::{self, Key};
use item::{
    action_json, automation_from_item, due_shard, record_from_item, run_from_item, trigger_json,
    StoredAutomation, ACTION, CATCHUP, CONSECUTIVE_FAILURES, DISABLED_REASON, ENABLED, NAME,
    NEXT_RUN_AT, STATUS, TRIGGER, UPDATED_AT,
};
pub use item::{AutomationRecord, Occurrence, RunRecord, RunState};
pub use schedule::AutomationDueEntry;

#[derive(Debug, Clone)]
pub struct AutomationsRepository {
    client: Client,
    table: String,
}

/// One page of automations, plus the id to continue after when more remain.
#[derive(Debug)]
pub struct AutomationPage {
    pub items: Vec<Automation>,
    pub last: Option<AutomationId>,
}

/// One page of finished runs, newest first, plus where to continue when more remain.
#[derive(Debug)]
pub struct RunPage {
    pub items: Vec<Run>,
    pub last: Option<RunPosition>,
}

/// Where a runs list stops: the last run's key. Sealed into a cursor, so only this service
/// ever writes one; decoding still checks it names a run key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPosition {
    pub scheduled_for: Timestamp,
    pub occurrence: Occurrence,
}

impl RunPosition {
    /// `<scheduled_for>#<occurrence>`, e.g. `2026-03-08T07:00:00.000Z#S`.
    pub fn encode(&self) -> String {
        format!(
            "{}#{}",
            self.scheduled_for.to_rfc3339(),
            self.occurrence.key_part()
        )
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (at, occurrence) = raw.split_once('#')?;
        Some(Self {
            scheduled_for: Timestamp::parse(at).ok()?,
            occurrence: Occurrence::parse(occurrence)?,
        })
    }
}

/// A concurrent PATCH (or the service pausing the automation) between our read and our write
/// makes the write retry on the new state; this many tries, then 503.
const UPDATE_TRIES: usize = 3;

impl AutomationsRepository {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Writes a new automation; its id is fresh, and an existing item is never overwritten.
    /// With a next run it is on the due index from the start.
    pub async fn create(
        &self,
        tenant: &TenantId,
        automation: &Automation,
    ) -> Result<(), StorageError> {
        let item = StoredAutomation::new(tenant, automation)?.to_item(tenant, automation.id)?;
        if put_new(&self.client, &self.table, item).await? {
            Ok(())
        } else {
            Err(StorageError::Internal(
                "an item already has this new id".into(),
            ))
        }
    }

    pub async fn get(
        &self,
        tenant: &TenantId,
        id: AutomationId,
    ) -> Result<Option<Automation>, StorageError> {
        Ok(self.get_record(tenant, id).await?.map(|r| r.automation))
    }

    /// The automation with its schedule state, read consistently: what the dispatcher and the
    /// run executor act on.
    pub async fn get_record(
        &self,
        tenant: &TenantId,
        id: AutomationId,
    ) -> Result<Option<AutomationRecord>, StorageError> {
        self.get_item(Key::Automation { tenant, id }.to_item())
            .await?
            .map(record_from_item)
            .transpose()
    }

    pub(super) async fn get_item(&self, key: Item) -> Result<Option<Item>, StorageError> {
        super::get::get_item(&self.client, &self.table, key).await
    }

    /// Oldest first (ids are ULIDs from the creation instant). Fetches one extra item to know
    /// whether another page exists.
    pub async fn list(
        &self,
        tenant: &TenantId,
        limit: Limit,
        after: Option<AutomationId>,
    ) -> Result<AutomationPage, StorageError> {
        let size = usize::from(limit.get());
        let start = after.map(|id| Key::Automation { tenant, id }.to_item());
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":pk", s(keys::automations_partition(tenant)))
            .scan_index_forward(true)
            .set_exclusive_start_key(start)
            .limit(i32::from(limit.get()) + 1)
            .send()
            .await
            .map_err(StorageError::from_sdk)?;
        let mut items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(automation_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let last = cut_page(&mut items, size).map(|a| a.id);
        Ok(AutomationPage { items, last })
    }

    /// PATCH: applies a validated patch now (`AutomationPatch::apply` decides `next_run_at`);
    /// `None` when there is no such automation. Written conditionally on the state read (its
    /// `enabled` and `updated_at`), so that a pause by the service or another PATCH in between
    /// is never overwritten; only what changed is written, so that the dispatcher's advance of
    /// `next_run_at` survives an edit that does not restart the schedule.
    pub async fn update(
        &self,
        tenant: &TenantId,
        id: AutomationId,
        patch: &AutomationPatch,
        now: Timestamp,
    ) -> Result<Option<Automation>, StorageError> {
        for _ in 0..UPDATE_TRIES {
            let Some(current) = self.get(tenant, id).await? else {
                return Ok(None);
            };
            let next = patch.apply(&current, now);
            let write = patch_write(tenant, &current, &next)?;
            match self
                .update_item(Key::Automation { tenant, id }.to_item(), &write)
                .await?
            {
                Some(item) => return automation_from_item(item).map(Some),
                None => continue,
            }
        }
        Err(StorageError::Unavailable(
            "the automation kept changing under the update".into(),
        ))
    }

    /// Returns whether the automation existed. Its runs stay until their TTL removes them; the
    /// runs route answers 404 once the automation is gone.
    pub async fn delete(&self, tenant: &TenantId, id: AutomationId) -> Result<bool, StorageError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Key::Automation { tenant, id }.to_item()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(StorageError::from_sdk)?;
        Ok(result.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// An automation's finished runs, newest first (a run whose action is in flight is not
    /// listed until it ends); `None` when the automation does not exist. `running` runs are
    /// filtered while reading, so pages are read until `limit` runs match (or the partition
    /// ends); one extra match says whether another page exists.
    pub async fn runs(
        &self,
        tenant: &TenantId,
        automation: AutomationId,
        limit: Limit,
        after: Option<RunPosition>,
    ) -> Result<Option<RunPage>, StorageError> {
        let exists = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(
                Key::Automation {
                    tenant,
                    id: automation,
                }
                .to_item(),
            ))
            .projection_expression("#pk")
            .expression_attribute_names("#pk", keys::PK)
            .send()
            .await
            .map_err(StorageError::from_sdk)?
            .item
            .is_some_and(|item| !item.is_empty());
        if !exists {
            return Ok(None);
        }
        let size = usize::from(limit.get());
        let mut start = after.map(|position| {
            let occurrence = position.occurrence.key_part();
            Key::AutomationRun {
                tenant,
                automation,
                scheduled_for: position.scheduled_for,
                occurrence: &occurrence,
            }
            .to_item()
        });
        let mut records = Vec::new();
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .filter_expression("#status <> :running")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_values(
                    ":pk",
                    s(keys::automation_runs_partition(tenant, automation)),
                )
                .expression_attribute_values(":prefix", s(keys::RUN_SORT_PREFIX))
                .expression_attribute_values(":running", s(RunState::Running.as_str()))
                .scan_index_forward(false)
                .set_exclusive_start_key(start.take())
                .limit(i32::from(limit.get()) + 1)
                .send()
                .await
                .map_err(StorageError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                records.push(run_from_item(item)?);
            }
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if records.len() > size || start.is_none() {
                break;
            }
        }
        let last = cut_page(&mut records, size).map(|r| RunPosition {
            scheduled_for: r.scheduled_for,
            occurrence: r.occurrence.clone(),
        });
        let items = records.iter().filter_map(RunRecord::to_run).collect();
        Ok(Some(RunPage { items, last }))
    }

    /// One conditional UpdateItem answering with the new item, or `None` when the condition
    /// failed.
    pub(super) async fn update_item(
        &self,
        key: Item,
        write: &Write,
    ) -> Result<Option<Item>, StorageError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(write.update_expression())
            .set_condition_expression(write.condition_expression())
            .set_expression_attribute_names(Some(write.names()))
            .set_expression_attribute_values(write.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        Ok(super::conditional::unless_refused(result)?
            .map(|output| output.attributes.unwrap_or_default()))
    }
}

/// The write that turns `current` into `next` (a PATCH's result), conditional on `current`
/// being what is stored. The schedule's attributes are written only when the PATCH changed
/// them.
fn patch_write(
    tenant: &TenantId,
    current: &Automation,
    next: &Automation,
) -> Result<Write, StorageError> {
    let mut write = Write::default()
        .set(NAME, s(next.name.as_str()))
        .set(ENABLED, AttributeValue::Bool(next.enabled))
        .set(TRIGGER, s(trigger_json(&next.trigger)?))
        .set(ACTION, s(action_json(&next.action)?))
        .set(CATCHUP, s(next.catchup.as_str()))
        .set(UPDATED_AT, s(next.updated_at.to_rfc3339()))
        .when("attribute_exists(#pk)", &[keys::PK])
        .when("#enabled = :seen_enabled", &[ENABLED])
        .when("#updated_at = :seen_updated_at", &[UPDATED_AT])
        .value(":seen_enabled", AttributeValue::Bool(current.enabled))
        .value(":seen_updated_at", s(current.updated_at.to_rfc3339()));
    if next.disabled_reason.is_none() && current.disabled_reason.is_some() {
        write = write.remove(&[DISABLED_REASON]);
    }
    if next.consecutive_failures != current.consecutive_failures {
        write = write.set(CONSECUTIVE_FAILURES, n(next.consecutive_failures));
    }
    if next.next_run_at != current.next_run_at || next.enabled != current.enabled {
        write = schedule_write(write, tenant, next.id, next.enabled, next.next_run_at);
    }
    Ok(write)
}

/// Sets `next_run_at` and puts the automation on the due index at it; paused, or with no next
/// run (event trigger, schedule exhausted), it has neither.
pub(super) fn schedule_write(
    write: Write,
    tenant: &TenantId,
    id: AutomationId,
    enabled: bool,
    next_run_at: Option<Timestamp>,
) -> Write {
    match (enabled, next_run_at) {
        (true, Some(at)) => write
            .set(NEXT_RUN_AT, s(at.to_rfc3339()))
            .set(keys::DUE_SHARD, s(due_shard(tenant, id)))
            .set(keys::DUE_AT, s(keys::due_at_value(at))),
        _ => write.remove(&[NEXT_RUN_AT, keys::DUE_SHARD, keys::DUE_AT]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::automation::{AutomationDisabledReason, NewAutomation};
    use crate::domain::ids::EventId;
    use crate::json_body::JsonObject;

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse(raw).unwrap()
    }

    fn hourly() -> Automation {
        let body = r#"{"name":"hourly","trigger":{"kind":"schedule","cron":"0 * * * *","timezone":"UTC"},"action":{"kind":"webhook","channel_id":"01JD0000000000000000000000"}}"#;
        let new = NewAutomation::parse(JsonObject::parse(body.as_bytes()).unwrap()).unwrap();
        Automation::create(new, at("2026-06-01T12:10:00Z"))
    }

    fn patch(body: &str) -> AutomationPatch {
        AutomationPatch::parse(JsonObject::parse(body.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn a_rename_leaves_the_schedule_to_the_dispatcher() {
        let tenant = TenantId::parse("acme").unwrap();
        let current = hourly();
        let next = patch(r#"{"name":"x"}"#).apply(&current, at("2026-06-01T12:20:00Z"));
        let write = patch_write(&tenant, &current, &next).unwrap();
        let expression = write.update_expression();
        assert!(!expression.contains("#next_run_at"), "{expression}");
        assert!(!expression.contains("#due_at"), "{expression}");
        assert!(!expression.contains("REMOVE"), "{expression}");
        assert_eq!(
            write.condition_expression().unwrap(),
            "(attribute_exists(#pk)) AND (#enabled = :seen_enabled) AND (#updated_at = :seen_updated_at)"
        );
    }

    #[test]
    fn a_pause_leaves_the_due_index_and_a_resume_returns_to_it() {
        let tenant = TenantId::parse("acme").unwrap();
        let current = hourly();
        let paused = patch(r#"{"enabled":false}"#).apply(&current, at("2026-06-01T12:20:00Z"));
        let write = patch_write(&tenant, &current, &paused).unwrap();
        assert!(write
            .update_expression()
            .ends_with("REMOVE #next_run_at, #due_shard, #due_at"));
        let mut failing = paused.clone();
        failing.disabled_reason = Some(AutomationDisabledReason::Failing);
        failing.consecutive_failures = 10;
        let resumed = patch(r#"{"enabled":true}"#).apply(&failing, at("2026-06-01T13:20:00Z"));
        let write = patch_write(&tenant, &failing, &resumed).unwrap();
        let expression = write.update_expression();
        for part in [
            "#consecutive_failures = :set_consecutive_failures",
            "#next_run_at = :set_next_run_at",
            "#due_shard = :set_due_shard",
            "#due_at = :set_due_at",
            "REMOVE #disabled_reason",
        ] {
            assert!(expression.contains(part), "{part} in {expression}");
        }
        let values = write.values().unwrap();
        assert_eq!(values[":set_due_at"], s("2026-06-01T14:00:00.000Z"));
        assert_eq!(values[":seen_enabled"], AttributeValue::Bool(false));
    }

    #[test]
    fn run_positions_round_trip_and_refuse_other_text() {
        for occurrence in [
            Occurrence::Scheduled,
            Occurrence::Event(EventId::generate(at("2026-06-01T12:00:00Z"))),
        ] {
            let position = RunPosition {
                scheduled_for: at("2026-03-08T07:00:00Z"),
                occurrence,
            };
            assert_eq!(RunPosition::decode(&position.encode()), Some(position));
        }
        for bad in [
            "",
            "x#S",
            "2026-03-08T07:00:00.000Z",
            "2026-03-08T07:00:00.000Z#Q",
        ] {
            assert_eq!(RunPosition::decode(bad), None, "{bad}");
        }
    }
}
