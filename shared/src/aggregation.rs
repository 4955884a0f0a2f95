//! Turning a DynamoDB stream batch into counter updates.
//!
//! The batch is folded first — a thousand events of one type in one hour become a single `ADD` —
//! so counter writes scale with distinct buckets, not with events. Exactly-once comes from a
//! marker per stream record written in the same transaction as the counters it moved: a
//! redelivered record finds its marker and is skipped, however the retried batch is cut.
//!
//! A counter item itemises at most [`MAX_TYPES_PER_BUCKET`] event types; the events of any
//! further type in that bucket are counted in its `other` total. Without that bound, one tenant
//! sending thousands of distinct types grows a counter item past DynamoDB's 400 KB item limit, and
//! the failing write would stall the stream shard that every tenant shares.

use std::collections::{BTreeMap, BTreeSet};

use aws_lambda_events::event::dynamodb::EventRecord;
use chrono::{DateTime, Utc};
use serde_dynamo::AttributeValue;

use crate::domain::analytics::{format_bucket, Granularity};
use crate::domain::tenant::TenantId;
use crate::keys;
use crate::repo::events::StoredEvent;

/// DynamoDB's limit on items in one TransactWriteItems call.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// How many distinct event types one counter item (tenant, granularity, bucket) names.
///
/// A type costs about 90 bytes on the item (attribute name of up to 66 bytes plus its number), so
/// a full item stays near 90 KB: a quarter of DynamoDB's item limit, and one read unit per 4 KB.
/// Product analytics tools cap distinct event names for the same reason.
pub const MAX_TYPES_PER_BUCKET: u32 = 1000;

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
        let key = |name: &str| match image.get(name) {
            Some(AttributeValue::S(value)) => Some(value.as_str()),
            _ => None,
        };
        if key(keys::ENTITY) != Some(keys::ENTITY_EVENT) {
            return None;
        }
        let tenant = keys::tenant_of_events_partition(key(keys::PK)?)?;
        // The image is the item `EventsRepository` wrote, so it reads back as the same struct.
        let stored: StoredEvent = match serde_dynamo::from_item(image.clone()) {
            Ok(stored) => stored,
            Err(error) => {
                tracing::warn!(record = %record.event_id, %error, "event image does not map to an event; not counted");
                return None;
            }
        };
        Some(Self {
            record_id: record.event_id.clone(),
            tenant,
            occurred_at: DateTime::parse_from_rfc3339(&stored.occurred_at)
                .ok()?
                .with_timezone(&Utc),
            event_type: stored.event_type,
            delta,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

/// What a counter item holds, as far as one write needs to know before it lands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterState {
    /// Distinct types the item itemises, as recorded on it.
    pub itemised_types: u32,
    /// Which of the types this write touches the item already itemises.
    pub present: BTreeSet<String>,
}

/// Where one chunk's deltas for one counter item go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterWrite {
    /// Deltas for types the item itemises, or starts itemising with this write.
    pub itemised: BTreeMap<String, i64>,
    /// Types this write starts itemising.
    pub admitted: u32,
    /// The delta for the item's `other` count.
    pub other: i64,
}

impl CounterWrite {
    /// A type is either itemised on the item or counted in `other`, never both, and admission is
    /// one-way: a type is admitted on its first event while there is room, and once the item is
    /// full every new type goes to `other` for good. So a removal of a type the item does not
    /// itemise must be taken from `other`, where its insert was counted.
    pub fn plan(state: &CounterState, deltas: &BTreeMap<String, i64>, cap: u32) -> Self {
        let mut write = Self::default();
        for (ty, &delta) in deltas {
            if delta == 0 {
                continue;
            }
            if state.present.contains(ty) {
                write.itemised.insert(ty.clone(), delta);
            } else if delta > 0 && state.itemised_types.saturating_add(write.admitted) < cap {
                write.admitted += 1;
                write.itemised.insert(ty.clone(), delta);
            } else {
                write.other += delta;
            }
        }
        write
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

    fn deltas(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(t, d)| (t.to_string(), *d)).collect()
    }

    #[test]
    fn new_types_are_itemised_while_there_is_room() {
        let state = CounterState {
            itemised_types: 1,
            present: ["a".to_string()].into(),
        };
        let write = CounterWrite::plan(&state, &deltas(&[("a", 2), ("b", 1), ("c", 3)]), 2);
        assert_eq!(write.itemised, deltas(&[("a", 2), ("b", 1)]));
        assert_eq!(
            write.admitted, 1,
            "only one more type fits under a cap of 2"
        );
        assert_eq!(write.other, 3);
    }

    #[test]
    fn a_full_item_sends_every_new_type_to_other_but_keeps_counting_known_ones() {
        let state = CounterState {
            itemised_types: 2,
            present: ["a".to_string()].into(),
        };
        let write = CounterWrite::plan(&state, &deltas(&[("a", 1), ("x", 4), ("y", -1)]), 2);
        assert_eq!(write.itemised, deltas(&[("a", 1)]));
        assert_eq!(write.admitted, 0);
        assert_eq!(
            write.other, 3,
            "x adds 4 to other, the removal of a y takes 1 back"
        );
    }

    #[test]
    fn removals_never_admit_a_type_and_zero_deltas_write_nothing() {
        let write = CounterWrite::plan(
            &CounterState::default(),
            &deltas(&[("gone", -1), ("flat", 0)]),
            10,
        );
        assert!(write.itemised.is_empty());
        assert_eq!(write.admitted, 0);
        assert_eq!(write.other, -1);
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
