//! Hourly and daily counters: written by the stream aggregator, read by analytics.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use super::attributes::{n, s, Item};
use super::storage_error;
use crate::aggregation::{plan_chunks, Chunk, CounterChange, MAX_TRANSACTION_ITEMS};
use crate::domain::analytics::Granularity;
use crate::domain::tenant::TenantId;
use crate::error::ApiError;
use crate::keys;

/// Stream records live 24 h; markers outlive them so any redelivery still finds its marker.
const MARKER_TTL_SECS: i64 = 48 * 3600;
const MAX_ATTEMPTS: u32 = 6;

#[derive(Debug, Clone)]
pub struct CountersRepository {
    client: Client,
    table: String,
}

/// What one `apply` did, for the log line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ApplySummary {
    pub applied: usize,
    pub already_applied: usize,
    pub transactions: usize,
}

impl CountersRepository {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Counter items from `first` to `last` bucket inclusive: bucket → type → count.
    /// A read costs one query page per ~1 MB of buckets, whatever the number of events.
    pub async fn read(
        &self,
        tenant: &TenantId,
        granularity: Granularity,
        first: &str,
        last: &str,
    ) -> Result<BTreeMap<String, BTreeMap<String, u64>>, ApiError> {
        let mut buckets = BTreeMap::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
                .expression_attribute_values(
                    ":pk",
                    s(keys::counters_partition(tenant, granularity)),
                )
                .expression_attribute_values(":first", s(first))
                .expression_attribute_values(":last", s(last))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(storage_error)?;
            for item in output.items.unwrap_or_default() {
                let Some(bucket) = item.get(keys::SK).and_then(|v| v.as_s().ok()).cloned() else {
                    continue;
                };
                let counts = item
                    .iter()
                    .filter_map(|(name, value)| {
                        let ty = keys::type_from_counter_attribute(name)?;
                        let count: i64 = value.as_n().ok()?.parse().ok()?;
                        // A removal can outrun an insert that was never counted; never go negative.
                        Some((ty.to_owned(), u64::try_from(count).unwrap_or(0)))
                    })
                    .collect();
                buckets.insert(bucket, counts);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(buckets)
    }

    /// Applies each change exactly once, however often the stream delivers it.
    pub async fn apply(&self, changes: Vec<CounterChange>) -> Result<ApplySummary, ApiError> {
        let mut summary = ApplySummary::default();
        let mut pending = plan_chunks(changes, MAX_TRANSACTION_ITEMS);
        let mut attempts = 0;
        while let Some(chunk) = pending.pop() {
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
                    pending.extend(plan_chunks(rest, MAX_TRANSACTION_ITEMS));
                }
                Err(Outcome::Contended(why)) => {
                    attempts += 1;
                    if attempts >= MAX_ATTEMPTS {
                        return Err(ApiError::Unavailable(why));
                    }
                    tokio::time::sleep(Duration::from_millis(50 << attempts)).await;
                    pending.push(chunk);
                }
                Err(Outcome::Failed(error)) => return Err(error),
            }
        }
        Ok(summary)
    }

    async fn commit(&self, chunk: &Chunk) -> Result<(), Outcome> {
        let expires_at = chrono::Utc::now().timestamp() + MARKER_TTL_SECS;
        let mut items = Vec::with_capacity(chunk.item_count());
        for change in &chunk.changes {
            let mut marker = Item::new();
            marker.insert(
                keys::PK.into(),
                s(keys::applied_records_partition(&change.tenant)),
            );
            marker.insert(keys::SK.into(), s(&change.record_id));
            marker.insert(keys::ENTITY.into(), s("aggregation-marker"));
            marker.insert(keys::TTL_ATTRIBUTE.into(), n(expires_at));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(marker))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| Outcome::Failed(ApiError::Internal(e.to_string())))?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        for (key, by_type) in &chunk.deltas {
            let mut update = Update::builder()
                .table_name(&self.table)
                .key(
                    keys::PK,
                    s(keys::counters_partition(&key.tenant, key.granularity)),
                )
                .key(keys::SK, s(&key.bucket))
                .expression_attribute_names("#entity", keys::ENTITY)
                .expression_attribute_values(":entity", s("counter"));
            let mut adds = Vec::with_capacity(by_type.len());
            for (i, (ty, delta)) in by_type.iter().enumerate() {
                update = update
                    .expression_attribute_names(format!("#c{i}"), keys::counter_attribute(ty))
                    .expression_attribute_values(format!(":c{i}"), n(delta));
                adds.push(format!("#c{i} :c{i}"));
            }
            let update = update
                .update_expression(format!("SET #entity = :entity ADD {}", adds.join(", ")))
                .build()
                .map_err(|e| Outcome::Failed(ApiError::Internal(e.to_string())))?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => Err(classify(err, chunk.changes.len())),
        }
    }
}

enum Outcome {
    AlreadyApplied(Vec<usize>),
    Contended(String),
    Failed(ApiError),
}

fn classify(
    err: aws_sdk_dynamodb::error::SdkError<
        TransactWriteItemsError,
        aws_sdk_dynamodb::config::http::HttpResponse,
    >,
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
        return Outcome::Contended(why);
    }
    match storage_error(err) {
        ApiError::Unavailable(why) => Outcome::Contended(why),
        other => Outcome::Failed(other),
    }
}
