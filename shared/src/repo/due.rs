//! The sparse `due` index, read once per shard for everything that waits on it: posts (sort key
//! `P`) and automations (sort key: the automation's id). The dispatcher claims each kind through
//! its own repository; the reading is one query, whatever kinds the index holds.

use aws_sdk_dynamodb::Client;

use super::attributes::{s, Item};
use super::automations::AutomationDueEntry;
use super::posts::DueEntry;
use super::StorageError;
use crate::domain::automation::AutomationId;
use crate::domain::time::Timestamp;
use crate::keys;

/// One entry of the index, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Due {
    Post(DueEntry),
    Automation(AutomationDueEntry),
}

impl Due {
    pub fn due_at(&self) -> Option<Timestamp> {
        match self {
            Due::Post(entry) => entry.due_at(),
            Due::Automation(entry) => entry.due_at(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DueIndex {
    client: Client,
    table: String,
}

impl DueIndex {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Everything on one shard due at or before `until`, oldest first. An entry whose sort key
    /// names no kind the dispatcher knows is left alone.
    pub async fn due(&self, shard: &str, until: Timestamp) -> Result<Vec<Due>, StorageError> {
        let mut entries = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::DUE_INDEX)
                .key_condition_expression("#shard = :shard AND #due <= :until")
                .expression_attribute_names("#shard", keys::DUE_SHARD)
                .expression_attribute_names("#due", keys::DUE_AT)
                .expression_attribute_values(":shard", s(shard))
                .expression_attribute_values(":until", s(keys::due_at_value(until)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StorageError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                let (Some(pk), Some(sk), Some(due_at)) =
                    (text(keys::PK), text(keys::SK), text(keys::DUE_AT))
                else {
                    return Err(StorageError::Corrupt(
                        "due index entry lacks its keys".into(),
                    ));
                };
                let is_post = sk == keys::POST_SORT_KEY;
                let is_automation = AutomationId::parse(&sk).is_some();
                let key = Item::from([(keys::PK.to_owned(), s(pk)), (keys::SK.to_owned(), s(sk))]);
                if is_post {
                    entries.push(Due::Post(DueEntry::from_index(key, due_at)));
                } else if is_automation {
                    entries.push(Due::Automation(AutomationDueEntry::from_index(key, due_at)));
                }
            }
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(entries);
            }
        }
    }
}
