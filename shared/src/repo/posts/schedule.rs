//! The schedule's writes on posts: find what is due, claim it under a lease, record attempts and
//! outcomes. Each is conditional on the due time or the claim its caller saw, so that however
//! many dispatchers and deliverers run, one claimant wins and a stale one changes nothing.

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::TimeDelta;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::item::{
    attempt_item, due_shard, post_from_item, record_from_item, ATTEMPTS, CHANNEL_ID, CLAIM,
    LAST_ERROR, LEASE_UNTIL, NEXT_ATTEMPT_AT, PUBLISHED_AT, STARTED_CLAIM, STATUS, UPDATED_AT,
};
use super::write::{s, Write};
use super::{PostsRepository, Updated, SCHEDULE_STATE};
use crate::domain::ids::{ChannelId, PostId};
use crate::domain::post::{Attempt, Post, PostStatus};
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::keys::{self, Key};
use crate::repo::attributes::Item;
use crate::repo::StorageError;

/// A post found more than this long after `scheduled_at` without a delivery is `missed`: it
/// fails rather than arrive late.
pub const MISSED_AFTER: TimeDelta = TimeDelta::hours(1);
/// What `last_error` says of a missed post.
const MISSED: &str = "missed";
/// How many of a channel's posts are failed at once when it is deleted.
const PARALLEL_WRITES: usize = 8;

/// One post on the due index, as the keys-only index gives it: its table key and the due time
/// seen, which the claim is conditional on.
#[derive(Debug, Clone, PartialEq)]
pub struct DueEntry {
    key: Item,
    due_at: String,
}

impl DueEntry {
    pub(crate) fn from_index(key: Item, due_at: String) -> Self {
        Self { key, due_at }
    }

    /// The entry a writer that just put `id` on the index at `due_at` would find: the fast path
    /// claims with it without querying the index.
    pub fn for_post(tenant: &TenantId, id: PostId, due_at: Timestamp) -> Self {
        Self {
            key: Key::Post { tenant, id }.to_item(),
            due_at: keys::due_at_value(due_at),
        }
    }

    pub fn due_at(&self) -> Option<Timestamp> {
        Timestamp::parse(&self.due_at).ok()
    }

    /// Whether the post is certainly missed without reading it: its due time (which is never
    /// before `scheduled_at`) is itself more than `MISSED_AFTER` ago. A post whose retries
    /// carried it past the hour is caught by the deliverer instead.
    pub fn is_missed(&self, now: Timestamp) -> bool {
        self.due_at()
            .is_some_and(|due| due < now.plus(-MISSED_AFTER))
    }
}

/// A post this caller now holds: send `{tenant, id, claim}` to the delivery queue, delayed until
/// `next_attempt_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub tenant: TenantId,
    pub post: Post,
    pub claim: String,
    pub next_attempt_at: Timestamp,
}

/// How a claimed post's delivery ends (or pauses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// Delivered: leaves the due index for good.
    Published,
    /// Given up, with the post's `last_error`.
    Failed { error: String },
    /// Back to `scheduled`, due again at this instant; the dispatcher finds it then.
    RetryAt(Timestamp),
}

impl PostsRepository {
    /// Claims a due post for delivery: `publishing`, a fresh claim id, a lease until `lease`
    /// after the attempt is due, and `due_at` moved to the lease's end, so that the post
    /// resurfaces if its claimant dies. Conditional on the due time seen, and on the post
    /// waiting (`scheduled`) or its previous lease having run out: `None` when another claimant
    /// won, or the post changed since it was found.
    pub async fn claim(
        &self,
        entry: &DueEntry,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Option<Claimed>, StorageError> {
        let seen = entry
            .due_at()
            .ok_or_else(|| StorageError::Corrupt("due index entry has a bad due_at".into()))?;
        let claim = ulid::Ulid::new().to_string();
        // While scheduled, `due_at` is `next_attempt_at`; after an expired lease it is past.
        let lease_until = seen.max(now).plus(delta(lease));
        let write = Write::default()
            .set_status(PostStatus::Publishing)
            .set(CLAIM, s(&claim))
            .set(LEASE_UNTIL, s(lease_until.to_rfc3339()))
            .set(keys::DUE_AT, s(keys::due_at_value(lease_until)))
            .set(UPDATED_AT, s(now.to_rfc3339()))
            .when("#due_at = :seen", &[keys::DUE_AT])
            .when(
                "#status = :scheduled OR (#status = :publishing AND #lease_until <= :now)",
                &[STATUS, LEASE_UNTIL],
            )
            .value(":seen", s(&entry.due_at))
            .value(":now", s(now.to_rfc3339()))
            .value(":scheduled", s(PostStatus::Scheduled.as_str()))
            .value(":publishing", s(PostStatus::Publishing.as_str()));
        match self.update_item(entry.key.clone(), &write).await? {
            Updated::Refused(_) => Ok(None),
            Updated::Applied(item) => {
                let record = record_from_item(item)?;
                Ok(Some(Claimed {
                    next_attempt_at: record.next_attempt_at.unwrap_or(now),
                    tenant: record.tenant,
                    post: record.post,
                    claim,
                }))
            }
        }
    }

    /// Fails a post found too late (`DueEntry::is_missed`) with `last_error: "missed"`, without
    /// sending it. Conditional on the due time seen and on nobody holding a live lease: `None`
    /// when the post changed since it was found.
    pub async fn mark_missed(
        &self,
        entry: &DueEntry,
        now: Timestamp,
    ) -> Result<Option<(TenantId, Post)>, StorageError> {
        let write = Write::default()
            .set_status(PostStatus::Failed)
            .set(LAST_ERROR, s(MISSED))
            .set(UPDATED_AT, s(now.to_rfc3339()))
            .remove(&SCHEDULE_STATE)
            .when("#due_at = :seen", &[keys::DUE_AT])
            .when(
                "#status = :scheduled OR (#status = :publishing AND #lease_until <= :now)",
                &[STATUS, LEASE_UNTIL],
            )
            .value(":seen", s(&entry.due_at))
            .value(":now", s(now.to_rfc3339()))
            .value(":scheduled", s(PostStatus::Scheduled.as_str()))
            .value(":publishing", s(PostStatus::Publishing.as_str()));
        match self.update_item(entry.key.clone(), &write).await? {
            Updated::Refused(_) => Ok(None),
            Updated::Applied(item) => {
                let record = record_from_item(item)?;
                Ok(Some((record.tenant, record.post)))
            }
        }
    }

    /// Counts an attempt about to be made under `claim` and renews the lease for it. Returns the
    /// post and the attempt's number (from 1, over the post's whole life), or `None` when the
    /// claim is no longer the post's (cancelled, or re-claimed after the lease ran out) or its
    /// attempt has already started: a claim makes one attempt, however often SQS hands its
    /// message out.
    pub async fn start_attempt(
        &self,
        tenant: &TenantId,
        id: PostId,
        claim: &str,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Option<(Post, u32)>, StorageError> {
        let lease_until = now.plus(delta(lease));
        let write = Write::default()
            .set_expr(ATTEMPTS, "#attempts + :one", &[])
            .value(":one", AttributeValue::N("1".into()))
            .set(LEASE_UNTIL, s(lease_until.to_rfc3339()))
            .set(keys::DUE_AT, s(keys::due_at_value(lease_until)))
            .set(UPDATED_AT, s(now.to_rfc3339()))
            .set(STARTED_CLAIM, s(claim))
            .when(
                "#claim = :claim AND #status = :publishing AND (attribute_not_exists(#started_claim) OR #started_claim <> :claim)",
                &[CLAIM, STATUS, STARTED_CLAIM],
            )
            .value(":claim", s(claim))
            .value(":publishing", s(PostStatus::Publishing.as_str()));
        match self
            .update_item(Key::Post { tenant, id }.to_item(), &write)
            .await?
        {
            Updated::Refused(_) => Ok(None),
            Updated::Applied(item) => {
                let post = post_from_item(item)?;
                let n = post.attempts;
                Ok(Some((post, n)))
            }
        }
    }

    /// Records the outcome of a claimed delivery, with its attempt (if one was made) in the same
    /// transaction. `None` when `claim` no longer holds the post: nothing is written then.
    pub async fn finish(
        &self,
        tenant: &TenantId,
        id: PostId,
        claim: &str,
        finish: Finish,
        attempt: Option<&Attempt>,
        now: Timestamp,
    ) -> Result<Option<Post>, StorageError> {
        let held = Write::default()
            .set(UPDATED_AT, s(now.to_rfc3339()))
            .when("#claim = :claim", &[CLAIM])
            .value(":claim", s(claim));
        let write = match finish {
            Finish::Published => held
                .set_status(PostStatus::Published)
                .set(PUBLISHED_AT, s(now.to_rfc3339()))
                .remove(&[LAST_ERROR])
                .remove(&SCHEDULE_STATE),
            Finish::Failed { error } => held
                .set_status(PostStatus::Failed)
                .set(LAST_ERROR, s(error))
                .remove(&SCHEDULE_STATE),
            Finish::RetryAt(at) => {
                let write = held
                    .set_status(PostStatus::Scheduled)
                    .set(NEXT_ATTEMPT_AT, s(at.to_rfc3339()))
                    .set(keys::DUE_SHARD, s(due_shard(tenant, id)))
                    .set(keys::DUE_AT, s(keys::due_at_value(at)))
                    .remove(&[CLAIM, LEASE_UNTIL]);
                match attempt.and_then(Attempt::summary) {
                    Some(error) => write.set(LAST_ERROR, s(error)),
                    None => write,
                }
            }
        };
        let key = Key::Post { tenant, id }.to_item();
        match attempt {
            None => match self.update_item(key, &write).await? {
                Updated::Refused(_) => Ok(None),
                Updated::Applied(item) => post_from_item(item).map(Some),
            },
            Some(attempt) => {
                if !self.transact(tenant, id, attempt, key, &write).await? {
                    return Ok(None);
                }
                // A transaction answers with no item; the claim is gone, so this read is stable
                // but for a client's cancel or retry, which the state machine orders after it.
                Ok(self.get(tenant, id).await?)
            }
        }
    }

    /// The short-retry fast path: records `attempt` and, still `publishing`, takes a fresh claim
    /// for the attempt due at `next_at`, so the caller enqueues it with a delay instead of
    /// waiting for a tick that might come too late. Returns the new claim, or `None` when `claim`
    /// no longer holds the post.
    #[allow(clippy::too_many_arguments)] // Each is one fact of the handover; a struct would only rename them.
    pub async fn requeue_soon(
        &self,
        tenant: &TenantId,
        id: PostId,
        claim: &str,
        attempt: &Attempt,
        next_at: Timestamp,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Option<String>, StorageError> {
        let new_claim = ulid::Ulid::new().to_string();
        let lease_until = next_at.max(now).plus(delta(lease));
        let mut write = Write::default()
            .set(CLAIM, s(&new_claim))
            .set(NEXT_ATTEMPT_AT, s(next_at.to_rfc3339()))
            .set(LEASE_UNTIL, s(lease_until.to_rfc3339()))
            .set(keys::DUE_AT, s(keys::due_at_value(lease_until)))
            .set(UPDATED_AT, s(now.to_rfc3339()))
            .when(
                "#claim = :claim AND #status = :publishing",
                &[CLAIM, STATUS],
            )
            .value(":claim", s(claim))
            .value(":publishing", s(PostStatus::Publishing.as_str()));
        if let Some(error) = attempt.summary() {
            write = write.set(LAST_ERROR, s(error));
        }
        let key = Key::Post { tenant, id }.to_item();
        Ok(self
            .transact(tenant, id, attempt, key, &write)
            .await?
            .then_some(new_claim))
    }

    /// When a channel is deleted: each of its `scheduled` posts fails with `error`. Conditional
    /// on each still being scheduled for that channel; returns the posts this call failed.
    pub async fn fail_scheduled_for_channel(
        &self,
        tenant: &TenantId,
        channel: ChannelId,
        error: &str,
        now: Timestamp,
    ) -> Result<Vec<Post>, StorageError> {
        let ids = self.scheduled_of_channel(tenant, channel).await?;
        let failed: Vec<Option<Post>> = stream::iter(ids)
            .map(|id| async move {
                let write = Write::default()
                    .set_status(PostStatus::Failed)
                    .set(LAST_ERROR, s(error))
                    .set(UPDATED_AT, s(now.to_rfc3339()))
                    .remove(&SCHEDULE_STATE)
                    .when(
                        "#status = :scheduled AND #channel_id = :channel",
                        &[STATUS, CHANNEL_ID],
                    )
                    .value(":scheduled", s(PostStatus::Scheduled.as_str()))
                    .value(":channel", s(channel.to_string()));
                match self
                    .update_item(Key::Post { tenant, id }.to_item(), &write)
                    .await?
                {
                    Updated::Refused(_) => Ok(None),
                    Updated::Applied(item) => post_from_item(item).map(Some),
                }
            })
            .buffer_unordered(PARALLEL_WRITES)
            .try_collect()
            .await?;
        Ok(failed.into_iter().flatten().collect())
    }

    /// The ids of a channel's scheduled posts, from the by-time index (drafts excluded).
    async fn scheduled_of_channel(
        &self,
        tenant: &TenantId,
        channel: ChannelId,
    ) -> Result<Vec<PostId>, StorageError> {
        let by_time = |scheduled_at| Key::PostByTime {
            tenant,
            id: super::lowest_id(),
            scheduled_at,
        };
        let (pk_name, sk_name) = by_time(None).attribute_names();
        let low = by_time(Some(super::earliest())).sort();
        let high = Key::PostByTime {
            tenant,
            id: super::highest_id(),
            scheduled_at: Some(super::latest()),
        }
        .sort();
        let mut ids = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::GSI1)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
                .filter_expression("#status = :scheduled AND #channel_id = :channel")
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_names("#sk", sk_name)
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_names("#channel_id", CHANNEL_ID)
                .expression_attribute_values(":pk", s(by_time(None).partition()))
                .expression_attribute_values(":low", s(low.clone()))
                .expression_attribute_values(":high", s(high.clone()))
                .expression_attribute_values(":scheduled", s(PostStatus::Scheduled.as_str()))
                .expression_attribute_values(":channel", s(channel.to_string()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StorageError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                ids.push(post_from_item(item)?.id);
            }
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(ids);
            }
        }
    }

    /// Writes an attempt and a conditional change of its post as one transaction. `false` when
    /// the post's condition failed (the claim moved on): then neither is written.
    async fn transact(
        &self,
        tenant: &TenantId,
        id: PostId,
        attempt: &Attempt,
        key: Item,
        write: &Write,
    ) -> Result<bool, StorageError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(attempt_item(tenant, id, attempt)?))
            .build()
            .map_err(StorageError::build)?;
        let update = write.transact_update(&self.table, key)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(update).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(service)) => match service.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled)
                    if cancelled
                        .cancellation_reasons()
                        .iter()
                        .any(|r| r.code() == Some("ConditionalCheckFailed")) =>
                {
                    Ok(false)
                }
                _ => Err(StorageError::from_sdk(SdkError::ServiceError(service))),
            },
            Err(err) => Err(StorageError::from_sdk(err)),
        }
    }
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_path_entry_names_the_post_and_its_due_time() {
        let tenant = TenantId::parse("acme").unwrap();
        let id = PostId::generate();
        let at = Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
        let entry = DueEntry::for_post(&tenant, id, at);
        assert_eq!(
            entry.key,
            Key::Post {
                tenant: &tenant,
                id
            }
            .to_item()
        );
        assert_eq!(entry.due_at(), Some(at));
        assert!(!entry.is_missed(at.plus(TimeDelta::hours(1))));
        assert!(entry.is_missed(at.plus(TimeDelta::hours(1) + TimeDelta::milliseconds(1))));
    }

    #[test]
    fn claim_conditions_name_only_what_they_use() {
        // Mirrors `claim`: every `#name` in the expressions is declared, and no more.
        let write = Write::default()
            .set_status(PostStatus::Publishing)
            .set(CLAIM, s("c"))
            .when("#due_at = :seen", &[keys::DUE_AT])
            .when(
                "#status = :scheduled OR (#status = :publishing AND #lease_until <= :now)",
                &[STATUS, LEASE_UNTIL],
            );
        let text = format!(
            "{} {}",
            write.update_expression(),
            write.condition_expression().unwrap()
        );
        for name in write.names().keys() {
            assert!(text.contains(name.as_str()), "{name} unused");
        }
        assert_eq!(write.names().len(), 4);
    }
}
