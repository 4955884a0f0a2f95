//! Turning a DynamoDB stream batch into counter updates.
//!
//! The batch is folded first — a thousand events of one type in one hour become a single `ADD` —
//! so counter writes scale with distinct buckets, not with events. Exactly-once comes from a
//! marker per stream record written in the same transaction as the counters it moved: a
//! redelivered record finds its marker and is skipped, however the retried batch is cut.

use std::collections::BTreeMap;

use aws_lambda_events::event::dynamodb::EventRecord;
use chrono::{DateTime, Utc};
use serde_dynamo::AttributeValue;

use crate::domain::analytics::{format_bucket, Granularity};
use crate::domain::tenant::TenantId;
use crate::keys;

/// DynamoDB's limit on items in one TransactWriteItems call.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// One event entering (+1) or leaving (-1) the counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterChange {
    /// The stream record's `eventID`: unique per record, stable across redeliveries.
    pub record_id: String,
    pub tenant: TenantId,
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    pub delta: i64,
}

impl CounterChange {
    /// Inserts and removals of event items count; everything else on the table (counters,
    /// markers, and whatever later features store) is not an event and is ignored.
    pub fn from_record(record: &EventRecord) -> Option<Self> {
        let (image, delta) = match record.event_name.as_str() {
            "INSERT" => (&record.change.new_image, 1),
            "REMOVE" => (&record.change.old_image, -1),
            _ => return None,
        };
        let attr = |name: &str| match image.get(name) {
            Some(AttributeValue::S(value)) => Some(value.as_str()),
            _ => None,
        };
        if attr(keys::ENTITY) != Some(keys::ENTITY_EVENT) {
            return None;
        }
        Some(Self {
            record_id: record.event_id.clone(),
            tenant: keys::tenant_of_events_partition(attr(keys::PK)?)?,
            event_type: attr("type")?.to_owned(),
            occurred_at: DateTime::parse_from_rfc3339(attr("occurred_at")?)
                .ok()?
                .with_timezone(&Utc),
            delta,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CounterKey {
    pub tenant: TenantId,
    pub granularity: Granularity,
    pub bucket: String,
}

/// Changes that commit together, with their folded counter deltas (type → delta).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Chunk {
    pub changes: Vec<CounterChange>,
    pub deltas: BTreeMap<CounterKey, BTreeMap<String, i64>>,
}

impl Chunk {
    fn counter_keys(change: &CounterChange) -> [CounterKey; 2] {
        [Granularity::Hour, Granularity::Day].map(|granularity| CounterKey {
            tenant: change.tenant.clone(),
            granularity,
            bucket: format_bucket(granularity.bucket_start(change.occurred_at)),
        })
    }

    /// Items this chunk would write if `change` joined it: its marker plus any new counters.
    fn items_with(&self, change: &CounterChange) -> usize {
        let new_counters = Self::counter_keys(change)
            .iter()
            .filter(|k| !self.deltas.contains_key(k))
            .count();
        self.item_count() + 1 + new_counters
    }

    fn add(&mut self, change: CounterChange) {
        for key in Self::counter_keys(&change) {
            *self
                .deltas
                .entry(key)
                .or_default()
                .entry(change.event_type.clone())
                .or_default() += change.delta;
        }
        self.changes.push(change);
    }

    /// One marker per change plus one update per counter item.
    pub fn item_count(&self) -> usize {
        self.changes.len() + self.deltas.len()
    }
}

/// Packs changes, in stream order, into as few transactions as fit the item limit.
pub fn plan_chunks(changes: Vec<CounterChange>, max_items: usize) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut current = Chunk::default();
    for change in changes {
        if !current.changes.is_empty() && current.items_with(&change) > max_items {
            chunks.push(std::mem::take(&mut current));
        }
        current.add(change);
    }
    if !current.changes.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(id: &str, tenant: &str, ty: &str, at: &str, delta: i64) -> CounterChange {
        CounterChange {
            record_id: id.into(),
            tenant: TenantId::parse(tenant).unwrap(),
            event_type: ty.into(),
            occurred_at: DateTime::parse_from_rfc3339(at)
                .unwrap()
                .with_timezone(&Utc),
            delta,
        }
    }

    #[test]
    fn folds_a_batch_into_one_update_per_bucket() {
        let changes: Vec<_> = (0..50)
            .map(|i| change(&i.to_string(), "t", "a", "2026-01-01T10:15:00Z", 1))
            .chain([change("x", "t", "a", "2026-01-01T10:20:00Z", -1)])
            .collect();
        let chunks = plan_chunks(changes, MAX_TRANSACTION_ITEMS);
        assert_eq!(chunks.len(), 1);
        let deltas: Vec<_> = chunks[0].deltas.iter().collect();
        assert_eq!(deltas.len(), 2, "one hour counter, one day counter");
        for (_, by_type) in deltas {
            assert_eq!(by_type["a"], 49);
        }
    }

    #[test]
    fn splits_to_respect_the_transaction_limit() {
        let changes: Vec<_> = (0..100)
            .map(|i| {
                let at = format!("2026-01-{:02}T{:02}:00:00Z", 1 + i / 24, i % 24);
                change(&i.to_string(), "t", "a", &at, 1)
            })
            .collect();
        let chunks = plan_chunks(changes, 20);
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| c.item_count() <= 20));
        let total: usize = chunks.iter().map(|c| c.changes.len()).sum();
        assert_eq!(total, 100);
    }

    #[test]
    fn sample_stream_batch_yields_event_changes_only() {
        let raw = include_str!("../../events/dynamodb-stream-batch.json");
        let batch: aws_lambda_events::event::dynamodb::Event = serde_json::from_str(raw).unwrap();
        let changes: Vec<_> = batch
            .records
            .iter()
            .filter_map(CounterChange::from_record)
            .collect();
        assert!(!changes.is_empty());
        let inserts = batch
            .records
            .iter()
            .filter(|r| r.event_name == "INSERT")
            .count();
        assert_eq!(changes.iter().filter(|c| c.delta == 1).count(), inserts);
        assert!(changes.iter().any(|c| c.delta == -1));
    }
}
