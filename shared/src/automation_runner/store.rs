//! The one write on a run that the automations repository does not offer: starting an attempt
//! of its action. It is conditional on the run still `running` under the id the message names
//! and on exactly the attempts before this one having started, so of two copies of a message
//! (SQS delivers at least once; two dispatchers may both enqueue after a crash) only one acts.

use aws_sdk_dynamodb::Client;

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
const RUNNING: &str = "running";

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

    /// Counts the attempt as started (`attempts = attempt`; the first also stamps
    /// `started_at`). `false` when the run is finished, is another run, or this attempt was
    /// already started by another copy of the message: then nothing is written and nothing
    /// must be done.
    pub async fn start(&self, which: RunAttempt<'_>, now: Timestamp) -> Result<bool, StorageError> {
        let key = Key::AutomationRun {
            tenant: which.tenant,
            automation: which.automation,
            scheduled_for: which.scheduled_for,
            occurrence: which.occurrence,
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .condition_expression(
                "#status = :running AND #id = :id AND (#attempts = :before OR (attribute_not_exists(#attempts) AND :before = :zero))",
            )
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#id", ID)
            .expression_attribute_names("#attempts", ATTEMPTS)
            .expression_attribute_values(":running", s(RUNNING))
            .expression_attribute_values(":id", s(which.run.to_string()))
            .expression_attribute_values(":before", n(which.attempt.saturating_sub(1)))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":attempt", n(which.attempt));
        update = if which.attempt <= 1 {
            update
                .update_expression("SET #attempts = :attempt, #started_at = :now")
                .expression_attribute_names("#started_at", STARTED_AT)
                .expression_attribute_values(":now", s(now.to_rfc3339()))
        } else {
            update.update_expression("SET #attempts = :attempt")
        };
        Ok(unless_refused(update.send().await)?.is_some())
    }
}
