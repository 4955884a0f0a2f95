//! The writes on a run that the automations repository does not offer: starting an attempt of
//! its action, and letting go of one that ended in a retry. Starting is conditional on the run
//! still `running` under the id the message names and on exactly the attempts before this one
//! having started, so of two copies of a message (SQS delivers at least once; two dispatchers
//! may both enqueue after a crash) only one acts.
//!
//! An attempt also holds a lease: a deliverer that dies mid-attempt (timeout, crash) leaves
//! the run `running` with its attempt started and never finished. When SQS hands the same
//! message out again after its visibility timeout, the lease has run out and the copy takes
//! the attempt over, so the run still ends. While an attempt is in flight, or once it has
//! handed over to its retry, no copy can.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use chrono::TimeDelta;

use crate::domain::{AutomationId, RunId, TenantId, Timestamp};
use crate::keys::Key;
use crate::repo::attributes::{n, s};
use crate::repo::conditional::unless_refused;
use crate::repo::StorageError;

// The run item's attribute names (repo::automations stores them under these).
const STATUS: &str = "status";
const ATTEMPTS: &str = "attempts";
const ID: &str = "id";
const STARTED_AT: &str = "started_at";
const ATTEMPT_STARTED_AT: &str = "attempt_started_at";
const RUNNING: &str = "running";

/// How long a started attempt belongs to the deliverer that started it. Longer than the
/// deliverer's timeout (60 s, `functions/manifest.json`), so a live attempt is never taken over,
/// and shorter than the delivery queue's visibility timeout (120 s), so the copy SQS hands out
/// again after a crash finds the lease run out. The manifest test checks both.
pub const ATTEMPT_LEASE: Duration = Duration::from_secs(90);

/// Which run, by its key, and which attempt of its action.
#[derive(Debug, Clone, Copy)]
pub struct RunAttempt<'a> {
    pub tenant: &'a TenantId,
    pub automation: AutomationId,
    pub scheduled_for: Timestamp,
    pub occurrence: &'a str,
    pub run: RunId,
    /// From 1.
    pub attempt: u32,
}

#[derive(Debug, Clone)]
pub struct RunAttempts {
    client: Client,
    table: String,
}

impl RunAttempts {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Counts the attempt as started (`attempts = attempt`, its lease from now; the first also
    /// stamps `started_at`). Also takes over this same attempt when its lease has run out (its
    /// deliverer died). `false` when the run is finished, is another run, or this attempt is
    /// held by another copy of the message or has handed over to its retry: then nothing is
    /// written and nothing must be done.
    pub async fn start(&self, which: RunAttempt<'_>, now: Timestamp) -> Result<bool, StorageError> {
        let lease = TimeDelta::from_std(ATTEMPT_LEASE).unwrap_or(TimeDelta::MAX);
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(which.key().to_item()))
            .condition_expression(
                "#status = :running AND #id = :id AND ((#attempts = :before OR (attribute_not_exists(#attempts) AND :before = :zero)) OR (#attempts = :attempt AND #attempt_started_at < :lease_start))",
            )
            .update_expression(if which.attempt <= 1 {
                "SET #attempts = :attempt, #attempt_started_at = :now, #started_at = :now"
            } else {
                "SET #attempts = :attempt, #attempt_started_at = :now"
            })
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#id", ID)
            .expression_attribute_names("#attempts", ATTEMPTS)
            .expression_attribute_names("#attempt_started_at", ATTEMPT_STARTED_AT)
            .expression_attribute_values(":running", s(RUNNING))
            .expression_attribute_values(":id", s(which.run.to_string()))
            .expression_attribute_values(":before", n(which.attempt.saturating_sub(1)))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":attempt", n(which.attempt))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .expression_attribute_values(":lease_start", s(now.plus(-lease).to_rfc3339()));
        if which.attempt <= 1 {
            update = update.expression_attribute_names("#started_at", STARTED_AT);
        }
        Ok(unless_refused(update.send().await)?.is_some())
    }

    /// Lets go of an attempt whose retry is on the queue: its lease ends now, so a late copy of
    /// its message cannot take it over and send it again. `false` when the run has moved on
    /// (the retry may already have started), which is as good.
    pub async fn release(&self, which: RunAttempt<'_>) -> Result<bool, StorageError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(which.key().to_item()))
            .condition_expression("#status = :running AND #id = :id AND #attempts = :attempt")
            .update_expression("REMOVE #attempt_started_at")
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#id", ID)
            .expression_attribute_names("#attempts", ATTEMPTS)
            .expression_attribute_names("#attempt_started_at", ATTEMPT_STARTED_AT)
            .expression_attribute_values(":running", s(RUNNING))
            .expression_attribute_values(":id", s(which.run.to_string()))
            .expression_attribute_values(":attempt", n(which.attempt));
        Ok(unless_refused(update.send().await)?.is_some())
    }
}

impl RunAttempt<'_> {
    fn key(&self) -> Key<'_> {
        Key::AutomationRun {
            tenant: self.tenant,
            automation: self.automation,
            scheduled_for: self.scheduled_for,
            occurrence: self.occurrence,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ATTEMPT_LEASE;
    use serde_json::Value;

    /// The lease must outlast a live deliverer and run out before SQS hands a dead one's
    /// message out again; both bounds live in the manifest, so the test reads them there.
    #[test]
    fn the_attempt_lease_sits_between_the_deliverer_timeout_and_the_queue_visibility() {
        let manifest: Value =
            serde_json::from_str(include_str!("../../../functions/manifest.json")).unwrap();
        let deliverer = manifest["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "deliverer")
            .expect("the deliverer is in the manifest");
        let queue_name = deliverer["trigger"]["queue"].as_str().unwrap();
        let queue = manifest["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == queue_name)
            .expect("the deliverer's queue is in the manifest");
        let timeout = deliverer["timeout_s"].as_u64().unwrap();
        let visibility = queue["visibility_timeout_s"].as_u64().unwrap();
        let lease = ATTEMPT_LEASE.as_secs();
        assert!(
            timeout < lease && lease < visibility,
            "deliverer timeout {timeout} s < lease {lease} s < visibility timeout {visibility} s"
        );
    }
}
