//! Hourly and daily counters: written by the stream aggregator, read by analytics.
//!
//! A write reads the counter items it touches first (one consistent `BatchGetItem`), so that it
//! knows which types each item already itemises and whether one more fits under
//! [`MAX_TYPES_PER_BUCKET`]. The transaction then makes admitting a type conditional on the room
//! still being there, so concurrent aggregators can never push an item past the cap.
//!
//! Counter items stay hand-mapped, unlike the other entities: their attribute names are data
//! (`c:<type>`, one per itemised type, an open set that no struct can name), every write is an
//! `ADD`/`SET` update expression rather than a put of a whole item, and reads project only the
//! attributes a write needs. The markers written beside them are an ordinary [`Entity`].

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use serde::{Deserialize, Serialize};

use super::attributes::{n, s, to_item, Entity, Item};
use super::StorageError;
use crate::aggregation::{
    plan_chunks, Chunk, CounterChange, CounterKey, CounterState, CounterWrite,
    MAX_TRANSACTION_ITEMS, MAX_TYPES_PER_BUCKET,
};
use crate::domain::analytics::{BucketCounts, Granularity};
use crate::domain::tenant::TenantId;
use crate::keys::{self, Key};

/// Stream records live 24 h; markers outlive them so any redelivery still finds its marker.
const MARKER_TTL_SECS: i64 = 48 * 3600;
const MAX_ATTEMPTS: u32 = 6;

#[derive(Debug, Clone)]
pub struct CountersRepository {
    client: Client,
    table: String,
}

/// What one `apply` did, for the log line and the dead-letter queue.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ApplySummary {
    pub applied: usize,
    pub already_applied: usize,
    pub transactions: usize,
    /// Changes DynamoDB refused for good, each isolated from the rest of its batch.
    pub poisoned: Vec<PoisonedChange>,
}

/// A change that can never be applied, whatever the retry: it must leave the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoisonedChange {
    pub record_id: String,
    pub reason: String,
}

/// The marker that says a stream record's changes are applied, stored under
/// [`Key::AppliedRecord`] in the same transaction as the counters it moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AppliedMarker {
    /// Unix seconds: `keys::TTL_ATTRIBUTE`.
    expires_at: i64,
}

impl Entity for AppliedMarker {
    const NAME: &'static str = "aggregation-marker";
}

/// A counter item as the next write finds it.
#[derive(Debug, Clone, Default)]
struct StoredCounter {
    state: CounterState,
    /// The item predates the `types` attribute: the write stamps it instead of adding to it.
    unstamped: bool,
}

impl CountersRepository {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Counter items from `first` to `last` bucket inclusive, by bucket.
    /// A read costs one query page per ~1 MB of buckets, whatever the number of events.
    pub async fn read(
        &self,
        tenant: &TenantId,
        granularity: Granularity,
        first: &str,
        last: &str,
    ) -> Result<BTreeMap<String, BucketCounts>, StorageError> {
        let bucket_key = |bucket| Key::Counter {
            tenant,
            granularity,
            bucket,
        };
        let mut buckets = BTreeMap::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
                .expression_attribute_values(":pk", s(bucket_key(first).partition()))
                .expression_attribute_values(":first", s(bucket_key(first).sort()))
                .expression_attribute_values(":last", s(bucket_key(last).sort()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(StorageError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                let Some(bucket) = item.get(keys::SK).and_then(|v| v.as_s().ok()).cloned() else {
                    continue;
                };
                let by_type = item
                    .iter()
                    .filter_map(|(name, value)| {
                        let ty = keys::type_from_counter_attribute(name)?;
                        Some((ty.to_owned(), non_negative(value)))
                    })
                    .collect();
                let other = item
                    .get(keys::COUNTER_OTHER_ATTRIBUTE)
                    .map_or(0, non_negative);
                buckets.insert(bucket, BucketCounts { by_type, other });
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(buckets)
    }

    /// Applies each change exactly once, however often the stream delivers it. A change that
    /// DynamoDB refuses for good is isolated by bisecting its chunk, and reported in
    /// `poisoned` rather than failing the rest of the batch.
    ///
    /// Fails only when storage does: unreachable, or contended past every retry
    /// ([`StorageError::Unavailable`]), or refusing in a way no bisection isolates.
    pub async fn apply(&self, changes: Vec<CounterChange>) -> Result<ApplySummary, StorageError> {
        let mut summary = ApplySummary::default();
        // Stream order matters: a removal must land after the insert it undoes.
        let mut pending: VecDeque<Chunk> = plan_chunks(changes, MAX_TRANSACTION_ITEMS).into();
        let mut attempts = 0;
        while let Some(chunk) = pending.pop_front() {
            summary.transactions += 1;
            match self.commit(&chunk).await {
                Ok(()) => summary.applied += chunk.changes.len(),
                Err(Outcome::AlreadyApplied(indices)) => {
                    // Some records committed in an earlier delivery: drop them, retry the rest.
                    summary.already_applied += indices.len();
                    let rest: Vec<_> = chunk
                        .changes
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| !indices.contains(i))
                        .map(|(_, c)| c)
                        .collect();
                    push_front_in_order(&mut pending, plan_chunks(rest, MAX_TRANSACTION_ITEMS));
                }
                Err(Outcome::Contended(why)) => {
                    attempts += 1;
                    if attempts >= MAX_ATTEMPTS {
                        return Err(StorageError::Unavailable(why));
                    }
                    tokio::time::sleep(Duration::from_millis(50 << attempts)).await;
                    pending.push_front(chunk);
                }
                Err(Outcome::Permanent(reason)) => {
                    let mut changes = chunk.changes;
                    if changes.len() == 1 {
                        let change = changes.remove(0);
                        tracing::warn!(record = %change.record_id, tenant = change.tenant.as_str(), %reason, "stream record refused for good");
                        summary.poisoned.push(PoisonedChange {
                            record_id: change.record_id,
                            reason,
                        });
                    } else {
                        let second = changes.split_off(changes.len() / 2);
                        let halves = [changes, second]
                            .into_iter()
                            .flat_map(|half| plan_chunks(half, MAX_TRANSACTION_ITEMS))
                            .collect();
                        push_front_in_order(&mut pending, halves);
                    }
                }
                Err(Outcome::Failed(error)) => return Err(error),
            }
        }
        Ok(summary)
    }

    async fn commit(&self, chunk: &Chunk) -> Result<(), Outcome> {
        let stored = self.stored_counters(chunk).await?;
        let expires_at = chrono::Utc::now().timestamp() + MARKER_TTL_SECS;
        let mut items = Vec::with_capacity(chunk.item_count());
        for change in &chunk.changes {
            let marker = to_item(
                &AppliedMarker { expires_at },
                &[Key::AppliedRecord {
                    tenant: &change.tenant,
                    record_id: &change.record_id,
                }],
            )
            .map_err(Outcome::Failed)?;
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(marker))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| Outcome::Failed(StorageError::build(e)))?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        for (key, by_type) in &chunk.deltas {
            let counter = stored.get(key).cloned().unwrap_or_default();
            let write = CounterWrite::plan(&counter.state, by_type, MAX_TYPES_PER_BUCKET);
            if let Some(update) = self.counter_update(key, &write, &counter)? {
                items.push(TransactWriteItem::builder().update(update).build());
            }
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => Err(classify_transaction(err, chunk.changes.len())),
        }
    }

    /// One counter item's update, or nothing when the chunk's deltas cancel out on it.
    fn counter_update(
        &self,
        key: &CounterKey,
        write: &CounterWrite,
        counter: &StoredCounter,
    ) -> Result<Option<Update>, Outcome> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(counter_key(key).to_item()))
            .expression_attribute_names("#entity", keys::ENTITY)
            .expression_attribute_values(":entity", s("counter"));
        let mut sets = vec!["#entity = :entity".to_string()];
        let mut adds = Vec::new();
        for (i, (ty, delta)) in write.itemised.iter().enumerate() {
            update = update
                .expression_attribute_names(format!("#c{i}"), keys::counter_attribute(ty))
                .expression_attribute_values(format!(":c{i}"), n(delta));
            adds.push(format!("#c{i} :c{i}"));
        }
        if write.other != 0 {
            update = update
                .expression_attribute_names("#other", keys::COUNTER_OTHER_ATTRIBUTE)
                .expression_attribute_values(":other", n(write.other));
            adds.push("#other :other".into());
        }
        if counter.unstamped {
            // Stamped once, by whichever writer gets there first; the others re-read and add.
            let total = counter.state.itemised_types + write.admitted;
            update = update
                .expression_attribute_names("#types", keys::COUNTER_TYPES_ATTRIBUTE)
                .expression_attribute_values(":types", n(total))
                .condition_expression("attribute_not_exists(#types)");
            sets.push("#types = :types".into());
        } else if write.admitted > 0 {
            // Admitting is conditional on the room this write saw still being there.
            update = update
                .expression_attribute_names("#types", keys::COUNTER_TYPES_ATTRIBUTE)
                .expression_attribute_values(":admitted", n(write.admitted))
                .expression_attribute_values(":room", n(MAX_TYPES_PER_BUCKET - write.admitted))
                .condition_expression("attribute_not_exists(#types) OR #types <= :room");
            adds.push("#types :admitted".into());
        } else if adds.is_empty() {
            return Ok(None);
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !adds.is_empty() {
            expression.push_str(&format!(" ADD {}", adds.join(", ")));
        }
        update
            .update_expression(expression)
            .build()
            .map(Some)
            .map_err(|e| Outcome::Failed(StorageError::build(e)))
    }

    /// What the chunk's counter items hold now, read consistently: only the `types` stamp and
    /// the chunk's own type attributes, so the read stays small however many types an item has.
    async fn stored_counters(
        &self,
        chunk: &Chunk,
    ) -> Result<HashMap<CounterKey, StoredCounter>, Outcome> {
        let mut by_key: HashMap<(String, String), CounterKey> = HashMap::new();
        let mut types = BTreeSet::new();
        for (key, deltas) in &chunk.deltas {
            let stored_key = counter_key(key);
            by_key.insert((stored_key.partition(), stored_key.sort()), key.clone());
            types.extend(deltas.keys().cloned());
        }
        let mut names = HashMap::from([
            ("#pk".to_string(), keys::PK.to_string()),
            ("#sk".to_string(), keys::SK.to_string()),
            (
                "#types".to_string(),
                keys::COUNTER_TYPES_ATTRIBUTE.to_string(),
            ),
        ]);
        let mut projection = vec!["#pk".to_string(), "#sk".into(), "#types".into()];
        for (i, ty) in types.iter().enumerate() {
            names.insert(format!("#t{i}"), keys::counter_attribute(ty));
            projection.push(format!("#t{i}"));
        }
        let mut wanted: Vec<Item> = by_key
            .values()
            .map(|key| counter_key(key).to_item())
            .collect();
        let mut found = HashMap::new();
        let mut attempts = 0;
        while !wanted.is_empty() {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut wanted)))
                .consistent_read(true)
                .projection_expression(projection.join(", "))
                .set_expression_attribute_names(Some(names.clone()))
                .build()
                .map_err(|e| Outcome::Failed(StorageError::build(e)))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(classify_sdk)?;
            for item in output
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default()
            {
                let key = (attr_s(&item, keys::PK), attr_s(&item, keys::SK));
                if let Some(counter_key) = by_key.get(&key) {
                    found.insert(counter_key.clone(), item);
                }
            }
            if let Some(rest) = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
            {
                wanted = rest.keys;
                attempts += 1;
                if attempts >= MAX_ATTEMPTS {
                    return Err(Outcome::Contended(
                        "counter reads stayed unprocessed".into(),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50 << attempts)).await;
            }
        }
        let mut stored = HashMap::with_capacity(found.len());
        for (key, item) in found {
            let present = item
                .keys()
                .filter_map(|name| keys::type_from_counter_attribute(name))
                .map(str::to_owned)
                .collect();
            let counter = match item.get(keys::COUNTER_TYPES_ATTRIBUTE) {
                Some(value) => StoredCounter {
                    state: CounterState {
                        itemised_types: non_negative(value).try_into().unwrap_or(u32::MAX),
                        present,
                    },
                    unstamped: false,
                },
                None => StoredCounter {
                    state: CounterState {
                        itemised_types: self.count_itemised_types(&key).await?,
                        present,
                    },
                    unstamped: true,
                },
            };
            stored.insert(key, counter);
        }
        Ok(stored)
    }

    /// Counts the type attributes of an item written before items carried their `types` stamp.
    async fn count_itemised_types(&self, key: &CounterKey) -> Result<u32, Outcome> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(counter_key(key).to_item()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify_sdk)?;
        let count = output
            .item
            .unwrap_or_default()
            .keys()
            .filter(|name| keys::type_from_counter_attribute(name).is_some())
            .count();
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }
}

fn counter_key(key: &CounterKey) -> Key<'_> {
    Key::Counter {
        tenant: &key.tenant,
        granularity: key.granularity,
        bucket: &key.bucket,
    }
}

/// Puts `chunks` back at the head of the queue, keeping their stream order.
fn push_front_in_order(pending: &mut VecDeque<Chunk>, chunks: Vec<Chunk>) {
    for chunk in chunks.into_iter().rev() {
        pending.push_front(chunk);
    }
}

fn attr_s(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

/// A removal can outrun an insert that was never counted; a count never reads below zero.
fn non_negative(value: &aws_sdk_dynamodb::types::AttributeValue) -> u64 {
    value
        .as_n()
        .ok()
        .and_then(|raw| raw.parse::<i64>().ok())
        .map_or(0, |count| u64::try_from(count).unwrap_or(0))
}

#[derive(Debug)]
enum Outcome {
    AlreadyApplied(Vec<usize>),
    /// Another writer or the service's capacity got in the way: the same write may succeed later.
    Contended(String),
    /// DynamoDB refused the write as invalid: no retry will ever change its answer.
    Permanent(String),
    Failed(StorageError),
}

/// Cancellation reasons that say the request itself is at fault, not the moment it was sent.
const PERMANENT_CANCELLATIONS: [&str; 2] = ["ValidationError", "ItemCollectionSizeLimitExceeded"];

fn classify_transaction(
    err: SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
    markers: usize,
) -> Outcome {
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        err.as_service_error()
    {
        let reasons = cancelled.cancellation_reasons();
        let code = |i: usize| reasons.get(i).and_then(|r| r.code()).unwrap_or("None");
        let duplicates: Vec<usize> = (0..markers)
            .filter(|&i| code(i) == "ConditionalCheckFailed")
            .collect();
        if !duplicates.is_empty() {
            return Outcome::AlreadyApplied(duplicates);
        }
        let why = format!("transaction cancelled: {reasons:?}");
        if (0..reasons.len()).any(|i| PERMANENT_CANCELLATIONS.contains(&code(i))) {
            return Outcome::Permanent(why);
        }
        // A counter's room condition, a conflicting transaction or throttling: re-read and retry.
        return Outcome::Contended(why);
    }
    classify_sdk(err)
}

fn classify_sdk<E, R>(err: SdkError<E, R>) -> Outcome
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if err.as_service_error().and_then(|e| e.code()) == Some("ValidationException") {
        return Outcome::Permanent(crate::aws::display_sdk_error(&err));
    }
    match StorageError::from_sdk(err) {
        StorageError::Unavailable(why) => Outcome::Contended(why),
        other => Outcome::Failed(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_keeps_its_stored_attribute_names() {
        let tenant = TenantId::parse("acme").unwrap();
        let item = to_item(
            &AppliedMarker {
                expires_at: 1_767_312_000,
            },
            &[Key::AppliedRecord {
                tenant: &tenant,
                record_id: "c81e728d",
            }],
        )
        .unwrap();
        let mut names: Vec<_> = item.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["entity", keys::TTL_ATTRIBUTE, "pk", "sk"]);
        assert_eq!(item["pk"].as_s().unwrap(), "T#acme#AGGREC");
        assert_eq!(item["sk"].as_s().unwrap(), "c81e728d");
        assert_eq!(item["entity"].as_s().unwrap(), "aggregation-marker");
        assert_eq!(item["expires_at"].as_n().unwrap(), "1767312000");
    }
}
