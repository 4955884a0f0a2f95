//! A post and its attempts as the table stores them.
//!
//! Besides the API fields, a post item carries the schedule's own state: `tenant` (so that the
//! dispatcher, which finds posts on the keys-only due index, learns whose post it claimed from
//! the claim's answer, never by parsing a key), `claim` and `lease_until` (who holds it and until
//! when), `next_attempt_at` (when the next attempt is due) and the due index's `due_shard` and
//! `due_at`, present only while the post is `scheduled` or `publishing`.

use serde::{Deserialize, Serialize};

use super::super::attributes::{from_item, to_item, Entity, Item};
use super::super::StorageError;
use crate::domain::ids::{ChannelId, PostId, WebhookId};
use crate::domain::post::{Attempt, MediaUrls, Post, PostContent, PostStatus};
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::keys::{self, Key};

// The attributes update expressions name. The serde field names below are the same strings.
pub(super) const STATUS: &str = "status";
pub(super) const CONTENT: &str = "content";
pub(super) const MEDIA_URLS: &str = "media_urls";
pub(super) const SCHEDULED_AT: &str = "scheduled_at";
pub(super) const PUBLISHED_AT: &str = "published_at";
pub(super) const ATTEMPTS: &str = "attempts";
pub(super) const LAST_ERROR: &str = "last_error";
pub(super) const CHANNEL_ID: &str = "channel_id";
pub(super) const UPDATED_AT: &str = "updated_at";
pub(super) const CLAIM: &str = "claim";
pub(super) const LEASE_UNTIL: &str = "lease_until";
pub(super) const NEXT_ATTEMPT_AT: &str = "next_attempt_at";
pub(super) const SERIES_FROM: &str = "series_from";
/// The claim whose attempt has started: one attempt per claim, so a duplicated or redelivered
/// message of the same claim sends nothing (a dead attempt's post is re-claimed when its lease
/// ends, under a new claim).
pub(super) const STARTED_CLAIM: &str = "started_claim";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredPost {
    pub tenant: String,
    pub id: String,
    pub channel_id: String,
    pub content: String,
    #[serde(default)]
    pub media_urls: Vec<String>,
    pub status: PostStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automation_id: Option<String>,
    pub webhook_id: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_shard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    /// `attempts` when the current series of attempts began: 0, or the count at the last
    /// manual retry, which starts a fresh series under the same `webhook_id`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub series_from: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Entity for StoredPost {
    const NAME: &'static str = keys::ENTITY_POST;
}

/// A post with the schedule's state: what the deliverer checks its claim against.
#[derive(Debug, Clone, PartialEq)]
pub struct PostRecord {
    pub tenant: TenantId,
    pub post: Post,
    pub claim: Option<String>,
    pub lease_until: Option<Timestamp>,
    pub next_attempt_at: Option<Timestamp>,
    /// `post.attempts` when the current series began (a manual retry starts a new one): the
    /// attempt number within the series, for the retry schedule, is `n - series_from`.
    pub series_from: u32,
}

impl StoredPost {
    /// A new post's item fields: on the due index from the start when it is scheduled.
    pub fn new(tenant: &TenantId, post: &Post) -> Self {
        let due = match (post.status, post.scheduled_at) {
            (PostStatus::Scheduled, Some(at)) => Some(at),
            _ => None,
        };
        Self {
            tenant: tenant.as_str().to_owned(),
            id: post.id.to_string(),
            channel_id: post.channel_id.to_string(),
            content: post.content.as_str().to_owned(),
            media_urls: post.media_urls.to_strings(),
            status: post.status,
            scheduled_at: post.scheduled_at.map(|t| t.to_rfc3339()),
            published_at: post.published_at.map(|t| t.to_rfc3339()),
            attempts: post.attempts,
            last_error: post.last_error.clone(),
            automation_id: post.automation_id.clone(),
            webhook_id: post.webhook_id.as_str().to_owned(),
            created_at: post.created_at.to_rfc3339(),
            updated_at: post.updated_at.to_rfc3339(),
            claim: None,
            lease_until: None,
            next_attempt_at: due.map(|t| t.to_rfc3339()),
            due_shard: due.map(|_| due_shard(tenant, post.id)),
            due_at: due.map(keys::due_at_value),
            series_from: 0,
        }
    }

    pub fn to_item(&self, tenant: &TenantId, post: &Post) -> Result<Item, StorageError> {
        to_item(
            self,
            &[
                Key::Post {
                    tenant,
                    id: post.id,
                },
                Key::PostByTime {
                    tenant,
                    id: post.id,
                    scheduled_at: post.scheduled_at,
                },
            ],
        )
    }

    pub fn into_record(self) -> Result<PostRecord, StorageError> {
        let corrupt = |what: &str| StorageError::Corrupt(format!("stored post has invalid {what}"));
        let time = |raw: Option<String>, what: &str| {
            raw.map(|raw| Timestamp::parse(&raw).map_err(|_| corrupt(what)))
                .transpose()
        };
        let webhook_id: WebhookId =
            serde_json::from_value(serde_json::Value::String(self.webhook_id))
                .map_err(|_| corrupt("webhook_id"))?;
        let post = Post {
            id: PostId::parse(&self.id).ok_or_else(|| corrupt("id"))?,
            channel_id: ChannelId::parse(&self.channel_id).ok_or_else(|| corrupt("channel_id"))?,
            content: PostContent::from_stored(self.content),
            media_urls: MediaUrls::from_stored(self.media_urls),
            status: self.status,
            scheduled_at: time(self.scheduled_at, "scheduled_at")?,
            published_at: time(self.published_at, "published_at")?,
            attempts: self.attempts,
            last_error: self.last_error,
            automation_id: self.automation_id,
            webhook_id,
            created_at: Timestamp::parse(&self.created_at).map_err(|_| corrupt("created_at"))?,
            updated_at: Timestamp::parse(&self.updated_at).map_err(|_| corrupt("updated_at"))?,
        };
        Ok(PostRecord {
            tenant: TenantId::parse(&self.tenant).ok_or_else(|| corrupt("tenant"))?,
            post,
            claim: self.claim,
            lease_until: time(self.lease_until, "lease_until")?,
            next_attempt_at: time(self.next_attempt_at, "next_attempt_at")?,
            series_from: self.series_from,
        })
    }
}

/// The due-index shard of a post: a stable hash of its table partition.
pub(super) fn due_shard(tenant: &TenantId, id: PostId) -> String {
    keys::due_shard_of(&Key::Post { tenant, id }.partition())
}

pub(super) fn record_from_item(item: Item) -> Result<PostRecord, StorageError> {
    from_item::<StoredPost>(item)?.into_record()
}

pub(super) fn post_from_item(item: Item) -> Result<Post, StorageError> {
    record_from_item(item).map(|r| r.post)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredAttempt {
    pub n: u32,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Entity for StoredAttempt {
    const NAME: &'static str = keys::ENTITY_ATTEMPT;
}

impl From<&Attempt> for StoredAttempt {
    fn from(attempt: &Attempt) -> Self {
        Self {
            n: attempt.n,
            at: attempt.at.to_rfc3339(),
            status_code: attempt.status_code,
            latency_ms: attempt.latency_ms,
            error: attempt.error.clone(),
        }
    }
}

pub(super) fn attempt_item(
    tenant: &TenantId,
    post: PostId,
    attempt: &Attempt,
) -> Result<Item, StorageError> {
    to_item(
        &StoredAttempt::from(attempt),
        &[Key::PostAttempt {
            tenant,
            post,
            n: attempt.n,
        }],
    )
}

pub(super) fn attempt_from_item(item: Item) -> Result<Attempt, StorageError> {
    let stored = from_item::<StoredAttempt>(item)?;
    Ok(Attempt {
        n: stored.n,
        at: Timestamp::parse(&stored.at)
            .map_err(|_| StorageError::Corrupt("stored attempt has invalid at".into()))?,
        status_code: stored.status_code,
        latency_ms: stored.latency_ms,
        error: stored.error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::post::NewPost;
    use crate::json_body::JsonObject;

    fn now() -> Timestamp {
        Timestamp::parse("2026-06-01T12:00:00Z").unwrap()
    }

    fn post(body: &str) -> (TenantId, Post) {
        let new = NewPost::parse(JsonObject::parse(body.as_bytes()).unwrap(), now()).unwrap();
        (TenantId::parse("acme").unwrap(), Post::create(new, now()))
    }

    fn names(item: &Item) -> Vec<&str> {
        let mut names: Vec<_> = item.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    #[test]
    fn a_scheduled_post_is_on_the_due_index_and_round_trips() {
        let (tenant, post) = post(
            r#"{"channel_id":"01JD0000000000000000000000","content":"hi","media_urls":["https://a.example/x.png"],"scheduled_at":"2026-06-01T12:30:00Z"}"#,
        );
        let item = StoredPost::new(&tenant, &post)
            .to_item(&tenant, &post)
            .unwrap();
        assert_eq!(
            names(&item),
            [
                "attempts",
                "channel_id",
                "content",
                "created_at",
                "due_at",
                "due_shard",
                "entity",
                "gsi1pk",
                "gsi1sk",
                "id",
                "media_urls",
                "next_attempt_at",
                "pk",
                "scheduled_at",
                "sk",
                "status",
                "tenant",
                "updated_at",
                "webhook_id"
            ]
        );
        let string = |name: &str| item[name].as_s().unwrap().clone();
        assert_eq!(string("pk"), format!("T#acme#PO#{}", post.id));
        assert_eq!(string("sk"), "P");
        assert_eq!(string("gsi1pk"), "T#acme#PO");
        assert_eq!(
            string("gsi1sk"),
            format!("S#2026-06-01T12:30:00.000Z#{}", post.id)
        );
        assert_eq!(string("entity"), "post");
        assert_eq!(string("status"), "scheduled");
        assert_eq!(string("due_at"), "2026-06-01T12:30:00.000Z");
        assert_eq!(string("next_attempt_at"), "2026-06-01T12:30:00.000Z");
        assert_eq!(
            string("due_shard"),
            keys::due_shard_of(&format!("T#acme#PO#{}", post.id))
        );
        assert_eq!(item["attempts"].as_n().unwrap(), "0");
        let record = record_from_item(item).unwrap();
        assert_eq!(record.post, post);
        assert_eq!(record.tenant, tenant);
        assert_eq!(record.claim, None);
        assert_eq!(record.next_attempt_at, post.scheduled_at);
    }

    #[test]
    fn a_draft_is_not_on_the_due_index_and_sorts_last() {
        let (tenant, post) = post(r#"{"channel_id":"01JD0000000000000000000000","content":"hi"}"#);
        let item = StoredPost::new(&tenant, &post)
            .to_item(&tenant, &post)
            .unwrap();
        for absent in [
            "due_at",
            "due_shard",
            "next_attempt_at",
            "scheduled_at",
            "claim",
        ] {
            assert!(!item.contains_key(absent), "{absent}");
        }
        assert_eq!(item["gsi1sk"].as_s().unwrap(), &format!("~#{}", post.id));
        assert_eq!(post_from_item(item).unwrap(), post);
    }

    #[test]
    fn an_attempt_round_trips_under_its_number() {
        let tenant = TenantId::parse("acme").unwrap();
        let id = PostId::generate();
        let attempt = Attempt {
            n: 3,
            at: now(),
            status_code: None,
            latency_ms: 10_000,
            error: Some("timeout".into()),
        };
        let item = attempt_item(&tenant, id, &attempt).unwrap();
        assert_eq!(item["sk"].as_s().unwrap(), "A#00003");
        assert_eq!(item["pk"].as_s().unwrap(), &format!("T#acme#PO#{id}"));
        assert_eq!(item["entity"].as_s().unwrap(), "attempt");
        assert!(!item.contains_key("status_code"));
        assert_eq!(attempt_from_item(item).unwrap(), attempt);
    }

    #[test]
    fn a_malformed_post_is_corrupt() {
        let (tenant, post) = post(r#"{"channel_id":"01JD0000000000000000000000","content":"hi"}"#);
        let mut item = StoredPost::new(&tenant, &post)
            .to_item(&tenant, &post)
            .unwrap();
        item.insert("channel_id".into(), super::super::super::attributes::s("x"));
        assert!(matches!(
            post_from_item(item.clone()),
            Err(StorageError::Corrupt(_))
        ));
        item.remove("status");
        assert!(matches!(
            post_from_item(item),
            Err(StorageError::Corrupt(_))
        ));
    }
}
