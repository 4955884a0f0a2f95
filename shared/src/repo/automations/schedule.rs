//! What the schedule path writes: finding due automations, claiming their occurrences, runs and
//! their outcomes. Each write is conditional on what its caller saw (the due time, the run's
//! absence, the run still `running`), so that however many dispatchers, stream consumers and
//! deliverers run, and however often a batch is redelivered, each occurrence runs once.

use aws_sdk_dynamodb::types::AttributeValue;

use super::super::conditional::unless_refused;
use super::item::{
    record_from_item, run_from_item, run_item, AutomationRecord, Occurrence, RunRecord, RunState,
    CONSECUTIVE_FAILURES, DISABLED_REASON, ENABLED, ERROR, FINISHED_AT, LAST_RUN_AT, NEXT_RUN_AT,
    POST_ID, STATUS, UPDATED_AT,
};
use super::{schedule_write, AutomationsRepository};
use crate::domain::automation::{
    Automation, AutomationDisabledReason, AutomationId, RunStatus, Trigger,
    MAX_CONSECUTIVE_FAILURES,
};
use crate::domain::ids::PostId;
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::keys::{self, Key};
use crate::repo::attributes::{n, s, Item};
use crate::repo::posts::write::Write;
use crate::repo::StorageError;

/// One automation on the due index, as the keys-only index gives it: its table key and the due
/// time seen, which a claim is conditional on.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationDueEntry {
    key: Item,
    due_at: String,
}

impl AutomationDueEntry {
    pub(crate) fn from_index(key: Item, due_at: String) -> Self {
        Self { key, due_at }
    }

    /// The entry a writer that just put the automation on the index at `due_at` would find: a
    /// fast path can claim with it without querying the index.
    pub fn for_automation(tenant: &TenantId, id: AutomationId, due_at: Timestamp) -> Self {
        Self {
            key: Key::Automation { tenant, id }.to_item(),
            due_at: keys::due_at_value(due_at),
        }
    }

    pub fn due_at(&self) -> Option<Timestamp> {
        Timestamp::parse(&self.due_at).ok()
    }
}

impl AutomationsRepository {
    /// The automation a due entry names, read consistently; `None` when it is gone (or the
    /// entry names something else).
    pub async fn get_due(
        &self,
        entry: &AutomationDueEntry,
    ) -> Result<Option<AutomationRecord>, StorageError> {
        let Some(item) = self.get_item(entry.key.clone()).await? else {
            return Ok(None);
        };
        let is_automation = item
            .get(keys::ENTITY)
            .and_then(|v| v.as_s().ok())
            .is_some_and(|e| e == keys::ENTITY_AUTOMATION);
        if !is_automation {
            return Ok(None);
        }
        record_from_item(item).map(Some)
    }

    /// Claims the occurrences up to the caller's horizon by moving the automation on: its
    /// `next_run_at` (and due time) becomes `next_run_at`, or, with none, it leaves the index.
    /// Conditional on the due time the entry saw and on the automation being enabled: `None`
    /// when another dispatcher won, or the automation was paused, edited or deleted since.
    pub async fn due_claim(
        &self,
        entry: &AutomationDueEntry,
        next_run_at: Option<Timestamp>,
    ) -> Result<Option<AutomationRecord>, StorageError> {
        let write = match next_run_at {
            // The shard is the item's own and stays.
            Some(at) => Write::default()
                .set(NEXT_RUN_AT, s(at.to_rfc3339()))
                .set(keys::DUE_AT, s(keys::due_at_value(at))),
            None => Write::default().remove(&[NEXT_RUN_AT, keys::DUE_SHARD, keys::DUE_AT]),
        }
        .when("#due_at = :seen", &[keys::DUE_AT])
        .when("#enabled = :true", &[ENABLED])
        .value(":seen", s(&entry.due_at))
        .value(":true", AttributeValue::Bool(true));
        match self.update_item(entry.key.clone(), &write).await? {
            Some(item) => record_from_item(item).map(Some),
            None => Ok(None),
        }
    }

    /// Records a run before its action (or a `skipped` occurrence), only if no run has that key:
    /// `false` when one exists, and then the caller does nothing — another dispatcher, or an
    /// earlier delivery of the same batch or message, has it.
    pub async fn put_run(
        &self,
        tenant: &TenantId,
        automation: AutomationId,
        run: &RunRecord,
    ) -> Result<bool, StorageError> {
        let item = run_item(tenant, automation, run)?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        Ok(unless_refused(put)?.is_some())
    }

    /// One run, read consistently.
    pub async fn get_run(
        &self,
        tenant: &TenantId,
        automation: AutomationId,
        scheduled_for: Timestamp,
        occurrence: &Occurrence,
    ) -> Result<Option<RunRecord>, StorageError> {
        let part = occurrence.key_part();
        let key = Key::AutomationRun {
            tenant,
            automation,
            scheduled_for,
            occurrence: &part,
        };
        self.get_item(key.to_item())
            .await?
            .map(run_from_item)
            .transpose()
    }

    /// Ends a `running` run: `succeeded` (with the post a `publish_post` action created),
    /// `failed` with the error, or `skipped`. `false` when the run is not running (finished
    /// already by an earlier delivery of the same message) or gone.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_run(
        &self,
        tenant: &TenantId,
        automation: AutomationId,
        scheduled_for: Timestamp,
        occurrence: &Occurrence,
        status: RunStatus,
        error: Option<&str>,
        post_id: Option<PostId>,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let mut write = Write::default()
            .set(STATUS, s(RunState::from(status).as_str()))
            .set(FINISHED_AT, s(now.to_rfc3339()))
            .when("#status = :running", &[STATUS])
            .value(":running", s(RunState::Running.as_str()));
        if let Some(error) = error {
            write = write.set(ERROR, s(error));
        }
        if let Some(post) = post_id {
            write = write.set(POST_ID, s(post.to_string()));
        }
        let part = occurrence.key_part();
        let key = Key::AutomationRun {
            tenant,
            automation,
            scheduled_for,
            occurrence: &part,
        };
        Ok(self.update_item(key.to_item(), &write).await?.is_some())
    }

    /// Notes a finished run on its automation: `last_run_at`, and the failures in a row (reset
    /// by a success). The [`MAX_CONSECUTIVE_FAILURES`]th failure in a row pauses it
    /// (`disabled_reason: "failing"`, off the due index); the automation is returned when this
    /// call paused it, so that it is reported once. `None` otherwise, and when it is gone.
    pub async fn record_outcome(
        &self,
        tenant: &TenantId,
        id: AutomationId,
        succeeded: bool,
        now: Timestamp,
    ) -> Result<Option<Automation>, StorageError> {
        let key = || Key::Automation { tenant, id }.to_item();
        let write = Write::default()
            .set(LAST_RUN_AT, s(now.to_rfc3339()))
            .when("attribute_exists(#pk)", &[keys::PK]);
        let write = if succeeded {
            write.set(CONSECUTIVE_FAILURES, n(0))
        } else {
            write
                .set_expr(
                    CONSECUTIVE_FAILURES,
                    "if_not_exists(#consecutive_failures, :zero) + :one",
                    &[],
                )
                .value(":zero", n(0))
                .value(":one", n(1))
        };
        let Some(item) = self.update_item(key(), &write).await? else {
            return Ok(None);
        };
        let record = record_from_item(item)?;
        let automation = record.automation;
        if succeeded
            || !automation.enabled
            || automation.consecutive_failures < MAX_CONSECUTIVE_FAILURES
        {
            return Ok(None);
        }
        let pause = schedule_write(Write::default(), tenant, id, false, None)
            .set(ENABLED, AttributeValue::Bool(false))
            .set(
                DISABLED_REASON,
                s(reason_str(AutomationDisabledReason::Failing)),
            )
            .set(UPDATED_AT, s(now.to_rfc3339()))
            .when("#enabled = :true", &[ENABLED])
            .when("#consecutive_failures >= :max", &[CONSECUTIVE_FAILURES])
            .value(":true", AttributeValue::Bool(true))
            .value(":max", n(MAX_CONSECUTIVE_FAILURES));
        match self.update_item(key(), &pause).await? {
            Some(item) => record_from_item(item).map(|r| Some(r.automation)),
            None => Ok(None),
        }
    }

    /// The tenant's enabled automations with an event trigger, for the stream consumer to match
    /// each new event against. A tenant has few automations, all in one partition.
    pub async fn event_automations(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<AutomationRecord>, StorageError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .filter_expression("#enabled = :true")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#enabled", ENABLED)
                .expression_attribute_values(":pk", s(keys::automations_partition(tenant)))
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StorageError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                let record = record_from_item(item)?;
                if matches!(record.automation.trigger, Trigger::Event(_)) {
                    found.push(record);
                }
            }
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(found);
            }
        }
    }
}

fn reason_str(reason: AutomationDisabledReason) -> &'static str {
    match reason {
        AutomationDisabledReason::Failing => "failing",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_path_entry_names_the_automation_and_its_due_time() {
        let tenant = TenantId::parse("acme").unwrap();
        let id = AutomationId::generate();
        let at = Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
        let entry = AutomationDueEntry::for_automation(&tenant, id, at);
        assert_eq!(entry.due_at(), Some(at));
        assert_eq!(entry.key[keys::PK], s("T#acme#AU"));
        assert_eq!(entry.key[keys::SK], s(id.to_string()));
    }
}
