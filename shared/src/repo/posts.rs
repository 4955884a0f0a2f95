//! The tenant-scoped posts store: the API's reads and edits here, the schedule's claim-and-lease
//! writes in `schedule`. Every change of state is a conditional write on the state the writer
//! saw, so that the API, the dispatcher and the deliverer can race without a lock.

mod item;
mod schedule;
pub(super) mod write;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

use super::attributes::{from_item, Item};
use super::conditional::put_new;
use super::get::get_item;
use super::page::cut_page;
use super::StorageError;
use crate::domain::ids::PostId;
use crate::domain::list::Limit;
use crate::domain::post::{
    Attempt, Post, PostConflict, PostListQuery, PostPatch, PostPosition, PostStatus, ScheduleChange,
};
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::error::ApiError;
use crate::keys::{self, Key};
pub use item::PostRecord;
use item::{
    attempt_from_item, due_shard, post_from_item, record_from_item, StoredPost, ATTEMPTS,
    CHANNEL_ID, CLAIM, CONTENT, LEASE_UNTIL, MEDIA_URLS, NEXT_ATTEMPT_AT, SCHEDULED_AT,
    SERIES_FROM, STARTED_CLAIM, STATUS, UPDATED_AT,
};
pub use schedule::{Claimed, DueEntry, Finish, MISSED_AFTER};
use write::{s, Write};

#[derive(Debug, Clone)]
pub struct PostsRepository {
    client: Client,
    table: String,
}

/// Why an edit of one post did not happen. Each becomes its own answer at the edge.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// No such post for this tenant (or another tenant's: the two look the same).
    #[error("no such post")]
    NotFound,
    /// The post's status forbids the change.
    #[error("the post is {}", .0.current)]
    Conflict(PostConflict),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<PostError> for ApiError {
    fn from(err: PostError) -> Self {
        match err {
            PostError::NotFound => ApiError::NotFound,
            PostError::Conflict(conflict) => conflict.into(),
            PostError::Storage(err) => err.into(),
        }
    }
}

/// One page of posts, plus where to continue when more remain.
#[derive(Debug)]
pub struct PostPage {
    pub items: Vec<Post>,
    pub last: Option<PostPosition>,
}

/// One page of a post's attempts, plus the attempt number to continue after.
#[derive(Debug)]
pub struct AttemptPage {
    pub items: Vec<Attempt>,
    pub last: Option<u32>,
}

/// How a conditional update ended: the item after it, or (refused) the item before it, if any.
enum Updated {
    Applied(Item),
    Refused(Option<Item>),
}

/// The due-index attributes a post loses when it leaves `scheduled`/`publishing`, with the
/// claim that only means something there.
const SCHEDULE_STATE: [&str; 6] = [
    CLAIM,
    STARTED_CLAIM,
    LEASE_UNTIL,
    NEXT_ATTEMPT_AT,
    keys::DUE_SHARD,
    keys::DUE_AT,
];

/// Filtered lists read the index in pages of this many items until the page is filled.
const FILTERED_READ: i32 = 100;

impl PostsRepository {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Writes a new post; its id is fresh, and an existing item is never overwritten.
    pub async fn create(&self, tenant: &TenantId, post: &Post) -> Result<(), StorageError> {
        let item = StoredPost::new(tenant, post).to_item(tenant, post)?;
        if put_new(&self.client, &self.table, item).await? {
            Ok(())
        } else {
            Err(StorageError::Internal(
                "an item already has this new id".into(),
            ))
        }
    }

    /// Stores a new post unless one with its id exists: `false` then, and nothing written.
    pub async fn create_once(&self, tenant: &TenantId, post: &Post) -> Result<bool, StorageError> {
        let item = StoredPost::new(tenant, post).to_item(tenant, post)?;
        put_new(&self.client, &self.table, item).await
    }

    pub async fn get(&self, tenant: &TenantId, id: PostId) -> Result<Option<Post>, StorageError> {
        Ok(self.get_record(tenant, id).await?.map(|r| r.post))
    }

    /// The post with the schedule's state (claim, lease), read consistently: what the deliverer
    /// checks its claim against.
    pub async fn get_record(
        &self,
        tenant: &TenantId,
        id: PostId,
    ) -> Result<Option<PostRecord>, StorageError> {
        get_item(
            &self.client,
            &self.table,
            Key::Post { tenant, id }.to_item(),
        )
        .await?
        .map(record_from_item)
        .transpose()
    }

    /// By `scheduled_at`, then id; drafts last. With `from` or `to`, drafts (which have no
    /// `scheduled_at`) are outside the range. Filters on status and channel are applied by
    /// DynamoDB while reading, so the index is read page after page until `limit` posts match
    /// (or it ends); one extra match says whether another page exists.
    pub async fn list(
        &self,
        tenant: &TenantId,
        query: &PostListQuery,
        after: Option<PostPosition>,
    ) -> Result<PostPage, StorageError> {
        let limit = usize::from(query.limit.get());
        let by_time = |id, scheduled_at| Key::PostByTime {
            tenant,
            id,
            scheduled_at,
        };
        let any_id = PostId::generate();
        let (pk_name, sk_name) = by_time(any_id, None).attribute_names();
        let mut key_condition = "#pk = :pk".to_owned();
        let mut values = vec![(":pk", s(by_time(any_id, None).partition()))];
        if query.window.from.is_some() || query.window.to.is_some() {
            let from = query.window.from.unwrap_or_else(earliest);
            let to = query.window.to.unwrap_or_else(latest);
            key_condition.push_str(" AND #sk BETWEEN :low AND :high");
            values.push((":low", s(by_time(lowest_id(), Some(from)).sort())));
            values.push((":high", s(by_time(highest_id(), Some(to)).sort())));
        }
        let mut filters = Vec::new();
        let mut filter_names = Vec::new();
        if let Some(status) = query.status {
            filters.push("#status = :status");
            filter_names.push(("#status", STATUS));
            values.push((":status", s(status.as_str())));
        }
        if let Some(channel) = query.channel_id {
            filters.push("#channel_id = :channel_id");
            filter_names.push(("#channel_id", CHANNEL_ID));
            values.push((":channel_id", s(channel.to_string())));
        }
        let read = if filters.is_empty() {
            i32::from(query.limit.get()) + 1
        } else {
            FILTERED_READ
        };
        let mut start = after.map(|after| {
            let mut start = Key::Post {
                tenant,
                id: after.id,
            }
            .to_item();
            by_time(after.id, after.scheduled_at).write_to(&mut start);
            start
        });
        let mut items = Vec::new();
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::GSI1)
                .key_condition_expression(&key_condition)
                .expression_attribute_names("#pk", pk_name)
                .set_exclusive_start_key(start.take())
                .limit(read);
            if key_condition.contains("#sk") {
                request = request.expression_attribute_names("#sk", sk_name);
            }
            if !filters.is_empty() {
                request = request.filter_expression(filters.join(" AND "));
            }
            for (placeholder, name) in &filter_names {
                request = request.expression_attribute_names(*placeholder, *name);
            }
            for (placeholder, value) in &values {
                request = request.expression_attribute_values(*placeholder, value.clone());
            }
            let output = request.send().await.map_err(StorageError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                items.push(post_from_item(item)?);
            }
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if items.len() > limit || start.is_none() {
                break;
            }
        }
        let last = cut_page(&mut items, limit).map(PostPosition::of);
        Ok(PostPage { items, last })
    }

    /// A post's attempts, oldest first; `None` when the post does not exist.
    pub async fn attempts(
        &self,
        tenant: &TenantId,
        post: PostId,
        limit: Limit,
        after: Option<u32>,
    ) -> Result<Option<AttemptPage>, StorageError> {
        let exists = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Key::Post { tenant, id: post }.to_item()))
            .projection_expression("#pk")
            .expression_attribute_names("#pk", keys::PK)
            .send()
            .await
            .map_err(StorageError::from_sdk)?
            .item
            .is_some();
        if !exists {
            return Ok(None);
        }
        let limit = usize::from(limit.get());
        let attempt_key = |n| Key::PostAttempt { tenant, post, n };
        let (pk_name, sk_name) = attempt_key(1).attribute_names();
        let start = after.map(|n| attempt_key(n).to_item());
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_names("#sk", sk_name)
            .expression_attribute_values(":pk", s(attempt_key(1).partition()))
            .expression_attribute_values(":prefix", s(keys::ATTEMPT_SORT_PREFIX))
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(StorageError::from_sdk)?;
        let mut items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(attempt_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let last = cut_page(&mut items, limit).map(|a| a.n);
        Ok(Some(AttemptPage { items, last }))
    }

    /// PATCH: only a draft or scheduled post, conditional on the status read. A time makes a
    /// draft `scheduled` (and moves a scheduled one), `null` makes a scheduled post a draft; the
    /// list order (`gsi1sk`) and the due index follow.
    pub async fn update(
        &self,
        tenant: &TenantId,
        id: PostId,
        patch: &PostPatch,
        now: Timestamp,
    ) -> Result<Post, PostError> {
        let current = self
            .get_record(tenant, id)
            .await?
            .ok_or(PostError::NotFound)?;
        let seen = current.post.status;
        if !seen.is_editable() {
            return Err(PostError::Conflict(PostConflict { current: seen }));
        }
        let mut write = Write::default()
            .set_status(patch.status_after(seen))
            .set(UPDATED_AT, s(now.to_rfc3339()))
            .when("attribute_exists(#pk)", &[keys::PK])
            .when("#status = :seen", &[STATUS])
            .value(":seen", s(seen.as_str()));
        if let Some(content) = &patch.content {
            write = write.set(CONTENT, s(content.as_str()));
        }
        if let Some(media) = &patch.media_urls {
            let list = media.to_strings().into_iter().map(s).collect();
            write = write.set(MEDIA_URLS, AttributeValue::L(list));
        }
        let by_time = |scheduled_at| Key::PostByTime {
            tenant,
            id,
            scheduled_at,
        };
        write = match patch.scheduled_at {
            ScheduleChange::Keep => write,
            ScheduleChange::Set(at) => write
                .set(SCHEDULED_AT, s(at.to_rfc3339()))
                .set(NEXT_ATTEMPT_AT, s(at.to_rfc3339()))
                .set(keys::DUE_SHARD, s(due_shard(tenant, id)))
                .set(keys::DUE_AT, s(keys::due_at_value(at)))
                .set(keys::GSI1_SK, s(by_time(Some(at)).sort())),
            ScheduleChange::Clear => write
                .remove(&[SCHEDULED_AT])
                .remove(&SCHEDULE_STATE)
                .set(keys::GSI1_SK, s(by_time(None).sort())),
        };
        self.change(tenant, id, write).await
    }

    /// DELETE: a draft or scheduled post becomes `cancelled` and leaves the due index. A claimed
    /// post is `publishing`, so a cancel racing the dispatcher loses with 409, and a cancel that
    /// wins removes the claim the deliverer would need.
    pub async fn cancel(
        &self,
        tenant: &TenantId,
        id: PostId,
        now: Timestamp,
    ) -> Result<Post, PostError> {
        let write = Write::default()
            .set_status(PostStatus::Cancelled)
            .set(UPDATED_AT, s(now.to_rfc3339()))
            .remove(&SCHEDULE_STATE)
            .when("attribute_exists(#pk)", &[keys::PK])
            .when("#status IN (:draft, :scheduled)", &[STATUS])
            .value(":draft", s(PostStatus::Draft.as_str()))
            .value(":scheduled", s(PostStatus::Scheduled.as_str()));
        self.change(tenant, id, write).await
    }

    /// POST …/retry: a failed post is scheduled again for now, with its `webhook_id` unchanged.
    /// `last_error` stays until the next outcome replaces it. Attempt numbers go on counting (the
    /// attempts list keeps every one), and `series_from` marks where the new series begins.
    pub async fn retry(
        &self,
        tenant: &TenantId,
        id: PostId,
        now: Timestamp,
    ) -> Result<Post, PostError> {
        let at = s(now.to_rfc3339());
        let sort = Key::PostByTime {
            tenant,
            id,
            scheduled_at: Some(now),
        }
        .sort();
        let write = Write::default()
            .set_status(PostStatus::Scheduled)
            .set(SCHEDULED_AT, at.clone())
            .set(NEXT_ATTEMPT_AT, at.clone())
            .set(keys::DUE_SHARD, s(due_shard(tenant, id)))
            .set(keys::DUE_AT, s(keys::due_at_value(now)))
            .set(keys::GSI1_SK, s(sort))
            .set(UPDATED_AT, at)
            .set_expr(SERIES_FROM, "#attempts", &[ATTEMPTS])
            .remove(&[CLAIM, LEASE_UNTIL])
            .when("attribute_exists(#pk)", &[keys::PK])
            .when("#status = :failed", &[STATUS])
            .value(":failed", s(PostStatus::Failed.as_str()));
        self.change(tenant, id, write).await
    }

    /// Applies a conditional change to one post: the post after it, or why it was refused.
    async fn change(&self, tenant: &TenantId, id: PostId, write: Write) -> Result<Post, PostError> {
        match self
            .update_item(Key::Post { tenant, id }.to_item(), &write)
            .await?
        {
            Updated::Applied(item) => Ok(post_from_item(item)?),
            Updated::Refused(None) => Err(PostError::NotFound),
            Updated::Refused(Some(old)) => {
                let current = from_item::<StatusOnly>(old)?.status;
                Err(PostError::Conflict(PostConflict { current }))
            }
        }
    }

    /// One conditional UpdateItem answering with the new item, or with the old one when the
    /// condition failed (so a refusal can say why without a second read).
    async fn update_item(&self, key: Item, write: &Write) -> Result<Updated, StorageError> {
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
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Updated::Applied(output.attributes.unwrap_or_default())),
            Err(SdkError::ServiceError(service)) => match service.err() {
                UpdateItemError::ConditionalCheckFailedException(refused) => {
                    Ok(Updated::Refused(refused.item().cloned()))
                }
                _ => Err(StorageError::from_sdk(SdkError::ServiceError(service))),
            },
            Err(err) => Err(StorageError::from_sdk(err)),
        }
    }
}

/// Just the status of a stored post, to name it in a conflict.
#[derive(serde::Deserialize, serde::Serialize)]
struct StatusOnly {
    status: PostStatus,
}

impl super::attributes::Entity for StatusOnly {
    const NAME: &'static str = keys::ENTITY_POST;
}

fn earliest() -> Timestamp {
    Timestamp::from_millis(0).unwrap_or_else(Timestamp::now)
}

fn latest() -> Timestamp {
    Timestamp::parse(crate::domain::time::LAST_INSTANT).unwrap_or_else(|_| Timestamp::now())
}

/// The smallest and largest canonical ULIDs: the ends of one instant's range of sort keys.
fn lowest_id() -> PostId {
    PostId::parse("00000000000000000000000000").unwrap_or_else(PostId::generate)
}

fn highest_id() -> PostId {
    PostId::parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ").unwrap_or_else(PostId::generate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_bounds_bracket_every_id_at_an_instant() {
        let at = Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
        let tenant = TenantId::parse("acme").unwrap();
        let sort = |id| {
            Key::PostByTime {
                tenant: &tenant,
                id,
                scheduled_at: Some(at),
            }
            .sort()
        };
        let id = PostId::generate();
        assert!(sort(lowest_id()) <= sort(id) && sort(id) <= sort(highest_id()));
        assert_eq!(lowest_id().to_string(), "00000000000000000000000000");
        assert_eq!(highest_id().to_string(), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        // Drafts sort after every scheduled post, even the last instant's.
        let draft = Key::PostByTime {
            tenant: &tenant,
            id,
            scheduled_at: None,
        }
        .sort();
        let last = Key::PostByTime {
            tenant: &tenant,
            id: highest_id(),
            scheduled_at: Some(latest()),
        }
        .sort();
        assert!(last < draft);
        assert_eq!(earliest().to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(latest().to_rfc3339(), crate::domain::time::LAST_INSTANT);
    }

    #[test]
    fn refusals_become_404_and_409_with_the_status() {
        assert_eq!(ApiError::from(PostError::NotFound).status(), 404);
        let conflict = ApiError::from(PostError::Conflict(PostConflict {
            current: PostStatus::Published,
        }));
        assert_eq!(conflict.status(), 409);
        assert!(conflict.to_problem("r").detail.contains("published"));
        let storage = ApiError::from(PostError::Storage(StorageError::Unavailable("x".into())));
        assert_eq!(storage.status(), 503);
    }

    #[test]
    fn a_status_reads_from_an_old_item() {
        let mut item = Item::new();
        item.insert("status".into(), s("publishing"));
        item.insert("pk".into(), s("T#a#PO#x"));
        assert_eq!(
            from_item::<StatusOnly>(item).unwrap().status,
            PostStatus::Publishing
        );
    }
}
