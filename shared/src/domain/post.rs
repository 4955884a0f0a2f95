//! A scheduled post, its life cycle, and the rules API.md sets for each field a client sends.
//!
//! The state machine is a pure function ([`PostStatus::may_become`]) so that the table of allowed
//! changes is written down once and tested; the repository enforces it with conditional writes.

use chrono::{Months, TimeDelta};
use serde::Serialize;
use serde_json::Value;

use super::ids::{ChannelId, PostId, WebhookId};
use super::list::{Limit, TimeWindow};
use super::time::Timestamp;
use crate::error::{ApiError, FieldError};
use crate::json_body::{FieldErrors, JsonObject};

pub const MAX_CONTENT_CHARS: usize = 5000;
pub const MAX_MEDIA_URLS: usize = 10;
pub const MAX_MEDIA_URL_CHARS: usize = 2048;
/// How far in the past `scheduled_at` may be: absorbs client clock skew and the time a request
/// spends in flight, so "now" from a client is never refused.
pub const MAX_SCHEDULE_PAST: TimeDelta = TimeDelta::minutes(1);
/// How far ahead `scheduled_at` may be, in calendar months (two years).
pub const MAX_SCHEDULE_AHEAD_MONTHS: u32 = 24;

/// Where a post is in its life. The wire names are the lower-case variant names.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    Scheduled,
    Publishing,
    Published,
    Failed,
    Cancelled,
}

/// Every allowed change, as API.md lists it; anything else is a 409.
pub const TRANSITIONS: &[(PostStatus, PostStatus)] = &[
    // PATCH with `scheduled_at`, and with `scheduled_at: null`.
    (PostStatus::Draft, PostStatus::Scheduled),
    (PostStatus::Scheduled, PostStatus::Draft),
    // The dispatcher (or the fast path) claims it.
    (PostStatus::Scheduled, PostStatus::Publishing),
    // The deliverer's outcomes; `scheduled` when a retry is due later.
    (PostStatus::Publishing, PostStatus::Published),
    (PostStatus::Publishing, PostStatus::Failed),
    (PostStatus::Publishing, PostStatus::Scheduled),
    // DELETE.
    (PostStatus::Draft, PostStatus::Cancelled),
    (PostStatus::Scheduled, PostStatus::Cancelled),
    // POST …/retry.
    (PostStatus::Failed, PostStatus::Scheduled),
    // A post found more than an hour late, or whose channel is gone, fails without a claim.
    (PostStatus::Scheduled, PostStatus::Failed),
];

impl PostStatus {
    pub const ALL: [PostStatus; 6] = [
        PostStatus::Draft,
        PostStatus::Scheduled,
        PostStatus::Publishing,
        PostStatus::Published,
        PostStatus::Failed,
        PostStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Publishing => "publishing",
            PostStatus::Published => "published",
            PostStatus::Failed => "failed",
            PostStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the state machine allows going from `self` to `next`.
    pub fn may_become(self, next: PostStatus) -> bool {
        TRANSITIONS.contains(&(self, next))
    }

    /// PATCH and DELETE are allowed only before the dispatcher has taken the post.
    pub fn is_editable(self) -> bool {
        matches!(self, PostStatus::Draft | PostStatus::Scheduled)
    }

    /// Whether the post waits on the due index (the sparse index's attributes are present).
    pub fn is_due_tracked(self) -> bool {
        matches!(self, PostStatus::Scheduled | PostStatus::Publishing)
    }
}

impl std::fmt::Display for PostStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change the post's current status forbids: a 409 whose `detail` names the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostConflict {
    pub current: PostStatus,
}

impl From<PostConflict> for ApiError {
    fn from(conflict: PostConflict) -> Self {
        ApiError::Conflict(format!(
            "The post is {}; this change is not allowed in that status.",
            conflict.current
        ))
    }
}

/// 1–5000 characters (not bytes) of text, kept exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PostContent(String);

impl PostContent {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars == 0 || chars > MAX_CONTENT_CHARS {
            return Err(format!("must be 1-{MAX_CONTENT_CHARS} characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Reads back what this type wrote to storage.
    pub(crate) fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute https URL of at most 2048 characters. The service never fetches it (it is passed
/// to the channel as data), so no address check applies; only its shape is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MediaUrl(String);

impl MediaUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() > MAX_MEDIA_URL_CHARS {
            return Err(format!("must be at most {MAX_MEDIA_URL_CHARS} characters"));
        }
        let has_scheme = raw.len() > 8 && raw.as_bytes()[..8].eq_ignore_ascii_case(b"https://");
        let rest = if has_scheme { &raw[8..] } else { "" };
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let clean = raw.chars().all(|c| !c.is_whitespace() && !c.is_control());
        if !has_scheme || host.is_empty() || host.starts_with(':') || !clean {
            return Err("must be an absolute https URL".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most ten media URLs, in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MediaUrls(Vec<MediaUrl>);

impl MediaUrls {
    /// Every bad entry is reported as `media_urls[i]`, the rest under `media_urls`.
    pub fn parse(value: Value) -> Result<Self, Vec<FieldError>> {
        let field = "media_urls";
        let Value::Array(items) = value else {
            return Err(vec![FieldError::new(field, "must be an array of URLs")]);
        };
        if items.len() > MAX_MEDIA_URLS {
            return Err(vec![FieldError::new(
                field,
                format!("must hold at most {MAX_MEDIA_URLS} URLs"),
            )]);
        }
        let mut urls = Vec::with_capacity(items.len());
        let mut errors = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let parsed = match item {
                Value::String(raw) => MediaUrl::parse(raw),
                _ => Err("must be a string".into()),
            };
            match parsed {
                Ok(url) => urls.push(url),
                Err(message) => errors.push(FieldError::new(format!("{field}[{i}]"), message)),
            }
        }
        if errors.is_empty() {
            Ok(Self(urls))
        } else {
            Err(errors)
        }
    }

    /// Reads back what this type wrote to storage.
    pub(crate) fn from_stored(raw: Vec<String>) -> Self {
        Self(raw.into_iter().map(MediaUrl).collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = &MediaUrl> {
        self.0.iter()
    }

    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(|u| u.0.clone()).collect()
    }
}

/// `scheduled_at` from a client: from one minute ago to two years ahead.
pub fn parse_scheduled_at(raw: &str, now: Timestamp) -> Result<Timestamp, String> {
    let at = Timestamp::parse(raw).map_err(|e| e.to_string())?;
    if at < now.plus(-MAX_SCHEDULE_PAST) {
        return Err("must be at most 1 minute in the past".into());
    }
    let latest = now
        .datetime()
        .checked_add_months(Months::new(MAX_SCHEDULE_AHEAD_MONTHS))
        .map_or_else(|| now.plus(TimeDelta::MAX), Timestamp::from_datetime);
    if at > latest {
        return Err("must be at most 2 years ahead".into());
    }
    Ok(at)
}

fn scheduled_at_field(value: Value, now: Timestamp) -> Result<Timestamp, String> {
    match value {
        Value::String(raw) => parse_scheduled_at(&raw, now),
        _ => Err("must be an RFC 3339 string or null".into()),
    }
}

fn content_field(value: Value) -> Result<PostContent, String> {
    match value {
        Value::String(raw) => PostContent::parse(&raw),
        _ => Err("must be a string".into()),
    }
}

/// Collects `media_urls` errors, which may name several entries, into `errors`.
fn media_urls_field(value: Value, errors: &mut Vec<FieldError>) -> Option<MediaUrls> {
    match MediaUrls::parse(value) {
        Ok(urls) => Some(urls),
        Err(mut e) => {
            errors.append(&mut e);
            None
        }
    }
}

/// A validated `POST /v1/posts` body. The channel is checked against storage by the handler:
/// parsing only proves `channel_id` could name one.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    pub channel_id: ChannelId,
    pub content: PostContent,
    pub media_urls: MediaUrls,
    pub scheduled_at: Option<Timestamp>,
}

impl NewPost {
    pub fn parse(mut body: JsonObject, now: Timestamp) -> Result<Self, ApiError> {
        let mut fields = FieldErrors::default();
        let channel_id = match body.take("channel_id") {
            None => fields.check::<ChannelId>("channel_id", Err("is required".into())),
            Some(Value::String(raw)) => fields.check(
                "channel_id",
                ChannelId::parse(&raw).ok_or_else(|| "is not a channel id".to_owned()),
            ),
            Some(_) => fields.check::<ChannelId>("channel_id", Err("must be a string".into())),
        };
        let content = match body.take("content") {
            None => fields.check::<PostContent>("content", Err("is required".into())),
            Some(value) => fields.check("content", content_field(value)),
        };
        let scheduled_at = match body.take("scheduled_at") {
            None => Some(None),
            Some(value) => fields.check("scheduled_at", scheduled_at_field(value, now).map(Some)),
        };
        let mut errors = fields.into_vec();
        let media_urls = match body.take("media_urls") {
            None => Some(MediaUrls::default()),
            Some(value) => media_urls_field(value, &mut errors),
        };
        body.finish(errors)?;
        match (channel_id, content, media_urls, scheduled_at) {
            (Some(channel_id), Some(content), Some(media_urls), Some(scheduled_at)) => Ok(Self {
                channel_id,
                content,
                media_urls,
                scheduled_at,
            }),
            _ => Err(ApiError::Internal("field errors were lost".into())),
        }
    }
}

/// What a PATCH does to `scheduled_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleChange {
    /// Absent: leave it.
    Keep,
    /// A time: schedule (a draft becomes `scheduled`) or move it.
    Set(Timestamp),
    /// `null`: unschedule (a scheduled post becomes a draft).
    Clear,
}

/// A validated `PATCH /v1/posts/{id}` body.
#[derive(Debug, Clone, PartialEq)]
pub struct PostPatch {
    pub content: Option<PostContent>,
    pub media_urls: Option<MediaUrls>,
    pub scheduled_at: ScheduleChange,
}

impl PostPatch {
    pub fn parse(mut body: JsonObject, now: Timestamp) -> Result<Self, ApiError> {
        let mut fields = FieldErrors::default();
        let content = match body.take("content") {
            None => Some(None),
            Some(value) => fields.check("content", content_field(value).map(Some)),
        };
        let scheduled_at = match body.take_nullable("scheduled_at") {
            None => Some(ScheduleChange::Keep),
            Some(Value::Null) => Some(ScheduleChange::Clear),
            Some(value) => fields.check(
                "scheduled_at",
                scheduled_at_field(value, now).map(ScheduleChange::Set),
            ),
        };
        let mut errors = fields.into_vec();
        let media_urls = match body.take("media_urls") {
            None => Some(None),
            Some(value) => media_urls_field(value, &mut errors).map(Some),
        };
        body.finish(errors)?;
        match (content, media_urls, scheduled_at) {
            (Some(content), Some(media_urls), Some(scheduled_at)) => Ok(Self {
                content,
                media_urls,
                scheduled_at,
            }),
            _ => Err(ApiError::Internal("field errors were lost".into())),
        }
    }

    /// The status the post has after this patch, from `current` (draft or scheduled).
    pub fn status_after(&self, current: PostStatus) -> PostStatus {
        match self.scheduled_at {
            ScheduleChange::Keep => current,
            ScheduleChange::Set(_) => PostStatus::Scheduled,
            ScheduleChange::Clear => PostStatus::Draft,
        }
    }
}

/// A post in its wire shape.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Post {
    #[schema(value_type = String, example = "01JD0000000000000000000000")]
    pub id: PostId,
    #[schema(value_type = String, example = "01JD0000000000000000000000")]
    pub channel_id: ChannelId,
    #[schema(value_type = String, min_length = 1, max_length = 5000)]
    pub content: PostContent,
    #[schema(value_type = Vec<String>, max_items = 10)]
    pub media_urls: MediaUrls,
    pub status: PostStatus,
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub scheduled_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub published_at: Option<Timestamp>,
    pub attempts: u32,
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// The automation that created it; `null` for posts created through the API.
    #[schema(required = true)]
    pub automation_id: Option<String>,
    /// Fixed at creation: the same on every attempt and every manual retry.
    #[schema(value_type = String, example = "msg_01JD0000000000000000000000")]
    pub webhook_id: WebhookId,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl Post {
    /// A post created through the API.
    pub fn create(new: NewPost, now: Timestamp) -> Self {
        Self::create_for(new, None, now)
    }

    /// A post created by an automation (issue 9), linked by `automation_id`.
    pub fn create_for(new: NewPost, automation_id: Option<String>, now: Timestamp) -> Self {
        let status = if new.scheduled_at.is_some() {
            PostStatus::Scheduled
        } else {
            PostStatus::Draft
        };
        Self {
            id: PostId::generate(),
            channel_id: new.channel_id,
            content: new.content,
            media_urls: new.media_urls,
            status,
            scheduled_at: new.scheduled_at,
            published_at: None,
            attempts: 0,
            last_error: None,
            automation_id,
            webhook_id: WebhookId::generate(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// One delivery attempt, in its wire shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    /// From 1, in the order the attempts were made.
    pub n: u32,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// `null` when no answer came (timeout, connection error).
    #[schema(required = true)]
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    #[schema(required = true)]
    pub error: Option<String>,
}

impl Attempt {
    /// What the post's `last_error` says after this attempt: the error, or the status when the
    /// answer itself was the failure; `None` for a 2xx.
    pub fn summary(&self) -> Option<String> {
        match (&self.error, self.status_code) {
            (Some(error), _) => Some(error.clone()),
            (None, Some(code)) if !(200..300).contains(&code) => Some(format!("HTTP {code}")),
            _ => None,
        }
    }
}

/// `GET /v1/posts` after parsing. The cursor stays raw: it is verified against this query.
#[derive(Debug, Clone)]
pub struct PostListQuery {
    pub status: Option<PostStatus>,
    pub channel_id: Option<ChannelId>,
    /// Bounds `scheduled_at`; with either bound, drafts (which have none) are left out.
    pub window: TimeWindow,
    pub limit: Limit,
    pub cursor: Option<String>,
}

impl PostListQuery {
    pub fn parse(param: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let status = match param("status") {
            None => None,
            Some(raw) => PostStatus::parse(&raw).or_else(|| {
                errors.push(FieldError::new(
                    "status",
                    "must be one of draft, scheduled, publishing, published, failed, cancelled",
                ));
                None
            }),
        };
        let channel_id = match param("channel_id") {
            None => None,
            Some(raw) => ChannelId::parse(&raw).or_else(|| {
                errors.push(FieldError::new("channel_id", "is not a channel id"));
                None
            }),
        };
        let window = match TimeWindow::parse(param("from").as_deref(), param("to").as_deref()) {
            Ok(window) => Some(window),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        };
        let limit = match Limit::parse(param("limit").as_deref()) {
            Ok(limit) => Some(limit),
            Err(message) => {
                errors.push(FieldError::new("limit", message));
                None
            }
        };
        let cursor = param("cursor");
        if cursor.as_deref() == Some("") {
            return Err(ApiError::InvalidCursor);
        }
        match (window, limit) {
            (Some(window), Some(limit)) if errors.is_empty() => Ok(Self {
                status,
                channel_id,
                window,
                limit,
                cursor,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }

    /// What a cursor is bound to: the filters, not the page size, which clients may change.
    pub fn fingerprint(&self) -> String {
        format!(
            "posts|status={}|channel_id={}|from={}|to={}",
            self.status.map_or("", PostStatus::as_str),
            self.channel_id.map(|c| c.to_string()).unwrap_or_default(),
            self.window.from.map(|t| t.to_rfc3339()).unwrap_or_default(),
            self.window.to.map(|t| t.to_rfc3339()).unwrap_or_default(),
        )
    }
}

/// `GET /v1/posts/{id}/attempts`: a page size and a cursor.
#[derive(Debug, Clone)]
pub struct AttemptListQuery {
    pub limit: Limit,
    pub cursor: Option<String>,
}

impl AttemptListQuery {
    pub fn parse(param: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let limit = Limit::parse(param("limit").as_deref())
            .map_err(|message| ApiError::field("limit", message))?;
        let cursor = param("cursor");
        if cursor.as_deref() == Some("") {
            return Err(ApiError::InvalidCursor);
        }
        Ok(Self { limit, cursor })
    }

    /// A cursor is bound to the post it pages through.
    pub fn fingerprint(post: PostId) -> String {
        format!("attempts|post={post}")
    }
}

/// Where a posts list stops: the last item's place in the by-time order. Sealed into a cursor,
/// so only this service ever writes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostPosition {
    pub id: PostId,
    pub scheduled_at: Option<Timestamp>,
}

impl PostPosition {
    pub fn of(post: &Post) -> Self {
        Self {
            id: post.id,
            scheduled_at: post.scheduled_at,
        }
    }

    /// `<id>` for a draft, `<id>@<scheduled_at>` otherwise.
    pub fn encode(&self) -> String {
        match self.scheduled_at {
            Some(at) => format!("{}@{}", self.id, at.to_rfc3339()),
            None => self.id.to_string(),
        }
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (id, at) = match raw.split_once('@') {
            Some((id, at)) => (id, Some(Timestamp::parse(at).ok()?)),
            None => (raw, None),
        };
        Some(Self {
            id: PostId::parse(id)?,
            scheduled_at: at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn now() -> Timestamp {
        Timestamp::parse("2026-06-01T12:00:00Z").unwrap()
    }

    const CHANNEL: &str = "01JD0000000000000000000000";

    fn new_post(body: &str) -> Result<NewPost, ApiError> {
        NewPost::parse(JsonObject::parse(body.as_bytes()).unwrap(), now())
    }

    fn patch(body: &str) -> Result<PostPatch, ApiError> {
        PostPatch::parse(JsonObject::parse(body.as_bytes()).unwrap(), now())
    }

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn the_state_machine_is_exactly_api_md() {
        use PostStatus::*;
        let allowed = [
            (Draft, Scheduled),
            (Scheduled, Draft),
            (Scheduled, Publishing),
            (Publishing, Published),
            (Publishing, Failed),
            (Publishing, Scheduled),
            (Draft, Cancelled),
            (Scheduled, Cancelled),
            (Failed, Scheduled),
            (Scheduled, Failed),
        ];
        for from in PostStatus::ALL {
            for to in PostStatus::ALL {
                assert_eq!(
                    from.may_become(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        // Terminal states stay terminal, and nothing goes back to draft but a scheduled post.
        for to in PostStatus::ALL {
            assert!(!Published.may_become(to) && !Cancelled.may_become(to));
        }
        let editable: Vec<_> = PostStatus::ALL
            .into_iter()
            .filter(|s| s.is_editable())
            .collect();
        assert_eq!(editable, [Draft, Scheduled]);
        let tracked: Vec<_> = PostStatus::ALL
            .into_iter()
            .filter(|s| s.is_due_tracked())
            .collect();
        assert_eq!(tracked, [Scheduled, Publishing]);
    }

    #[test]
    fn statuses_round_trip_their_wire_names() {
        for status in PostStatus::ALL {
            assert_eq!(PostStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        assert_eq!(PostStatus::parse("Draft"), None);
    }

    #[test]
    fn a_conflict_names_the_current_status() {
        let err = ApiError::from(PostConflict {
            current: PostStatus::Publishing,
        });
        assert_eq!(err.status(), 409);
        assert!(err.to_problem("r").detail.contains("publishing"));
    }

    #[test]
    fn a_minimal_body_is_a_draft_and_scheduled_at_makes_it_scheduled() {
        let draft = new_post(&format!(r#"{{"channel_id":"{CHANNEL}","content":"hi"}}"#)).unwrap();
        assert_eq!(draft.scheduled_at, None);
        assert_eq!(draft.media_urls, MediaUrls::default());
        let post = Post::create(draft, now());
        assert_eq!(post.status, PostStatus::Draft);
        assert_eq!(post.automation_id, None);
        assert_eq!(post.attempts, 0);
        let scheduled = new_post(&format!(
            r#"{{"channel_id":"{CHANNEL}","content":"hi","scheduled_at":"2026-06-01T13:00:00+01:00","media_urls":["https://cdn.example/a.png"]}}"#
        ))
        .unwrap();
        let post = Post::create_for(scheduled, Some("auto_1".into()), now());
        assert_eq!(post.status, PostStatus::Scheduled);
        assert_eq!(post.scheduled_at, Some(now()));
        assert_eq!(post.automation_id.as_deref(), Some("auto_1"));
    }

    #[test]
    fn a_post_serialises_exactly_the_api_fields() {
        let new = new_post(&format!(r#"{{"channel_id":"{CHANNEL}","content":"hi"}}"#)).unwrap();
        let value = serde_json::to_value(Post::create(new, now())).unwrap();
        let mut names: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "attempts",
                "automation_id",
                "channel_id",
                "content",
                "created_at",
                "id",
                "last_error",
                "media_urls",
                "published_at",
                "scheduled_at",
                "status",
                "updated_at",
                "webhook_id"
            ]
        );
        assert_eq!(value["status"], "draft");
        assert_eq!(value["scheduled_at"], Value::Null);
        assert_eq!(value["media_urls"], serde_json::json!([]));
        assert_eq!(value["created_at"], "2026-06-01T12:00:00.000Z");
    }

    #[test]
    fn every_bad_field_is_named() {
        let err = new_post(
            r#"{"channel_id":"nope","content":"","scheduled_at":"soon","media_urls":["http://x"],"extra":1}"#,
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                "channel_id",
                "content",
                "scheduled_at",
                "media_urls[0]",
                "extra"
            ]
        );
        assert_eq!(
            fields(new_post("{}").unwrap_err()),
            ["channel_id", "content"]
        );
        let wrong_types = r#"{"channel_id":1,"content":2,"scheduled_at":3,"media_urls":"x"}"#;
        assert_eq!(
            fields(new_post(wrong_types).unwrap_err()),
            ["channel_id", "content", "scheduled_at", "media_urls"]
        );
    }

    #[test]
    fn content_counts_characters() {
        assert!(PostContent::parse(&"é".repeat(5000)).is_ok());
        assert!(PostContent::parse(&"a".repeat(5001)).is_err());
        assert!(PostContent::parse("").is_err());
    }

    #[test]
    fn media_urls_are_few_https_and_short() {
        for ok in [
            "https://cdn.example/a.png",
            "HTTPS://cdn.example",
            "https://cdn.example:8443/x?y=1#z",
        ] {
            assert!(MediaUrl::parse(ok).is_ok(), "{ok}");
        }
        let long = format!("https://cdn.example/{}", "a".repeat(2048));
        for bad in [
            "http://cdn.example/a.png",
            "ftp://x",
            "https://",
            "https:///path",
            "https://a b",
            "cdn.example/a.png",
            "https://:443/x",
            // Byte 8 inside a character: once a panic (a 500), found by schemathesis.
            "abcdef€x",
            "https:/€/a",
            long.as_str(),
        ] {
            assert!(MediaUrl::parse(bad).is_err(), "{bad}");
        }
        let ten = serde_json::json!(vec!["https://a.example"; 10]);
        assert!(MediaUrls::parse(ten).is_ok());
        let eleven = serde_json::json!(vec!["https://a.example"; 11]);
        assert_eq!(MediaUrls::parse(eleven).unwrap_err()[0].field, "media_urls");
        let mixed = serde_json::json!(["https://a.example", 1, "http://b"]);
        let errors: Vec<_> = MediaUrls::parse(mixed)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(errors, ["media_urls[1]", "media_urls[2]"]);
    }

    #[test]
    fn scheduled_at_may_be_a_minute_late_and_two_years_ahead() {
        assert!(parse_scheduled_at("2026-06-01T11:59:00Z", now()).is_ok());
        assert!(parse_scheduled_at("2026-06-01T11:58:59.999Z", now()).is_err());
        assert!(parse_scheduled_at("2028-06-01T12:00:00Z", now()).is_ok());
        assert!(parse_scheduled_at("2028-06-01T12:00:00.001Z", now()).is_err());
        assert!(parse_scheduled_at("tomorrow", now()).is_err());
    }

    #[test]
    fn a_patch_tells_set_from_null_from_absent() {
        let p = patch("{}").unwrap();
        assert_eq!(p.scheduled_at, ScheduleChange::Keep);
        assert_eq!(p.status_after(PostStatus::Scheduled), PostStatus::Scheduled);
        let p = patch(r#"{"scheduled_at":null}"#).unwrap();
        assert_eq!(p.scheduled_at, ScheduleChange::Clear);
        assert_eq!(p.status_after(PostStatus::Scheduled), PostStatus::Draft);
        let p = patch(r#"{"scheduled_at":"2026-06-02T00:00:00Z","content":"x"}"#).unwrap();
        assert!(matches!(p.scheduled_at, ScheduleChange::Set(_)));
        assert_eq!(p.status_after(PostStatus::Draft), PostStatus::Scheduled);
        assert_eq!(p.content.unwrap().as_str(), "x");
        let err = patch(
            r#"{"content":"","media_urls":[1],"scheduled_at":"2020-01-01T00:00:00Z","channel_id":"x"}"#,
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            ["content", "scheduled_at", "media_urls[0]", "channel_id"]
        );
    }

    fn list(pairs: &[(&str, &str)]) -> Result<PostListQuery, ApiError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        PostListQuery::parse(|k| map.get(k).cloned())
    }

    #[test]
    fn list_parameters_are_named_when_bad() {
        let err = list(&[
            ("status", "done"),
            ("channel_id", "x"),
            ("from", "later"),
            ("limit", "0"),
        ])
        .unwrap_err();
        assert_eq!(fields(err), ["status", "channel_id", "from", "limit"]);
        let ok = list(&[("status", "failed"), ("channel_id", CHANNEL)]).unwrap();
        assert_eq!(ok.status, Some(PostStatus::Failed));
        assert_eq!(ok.limit.get(), 25);
        assert!(matches!(
            list(&[("cursor", "")]).unwrap_err(),
            ApiError::InvalidCursor
        ));
    }

    #[test]
    fn the_list_fingerprint_covers_filters_not_page_size() {
        let a = list(&[("status", "draft"), ("limit", "5")]).unwrap();
        let b = list(&[("status", "draft"), ("limit", "50")]).unwrap();
        let c = list(&[("status", "failed")]).unwrap();
        let d = list(&[("status", "draft"), ("channel_id", CHANNEL)]).unwrap();
        let e = list(&[("status", "draft"), ("from", "2026-01-01T00:00:00Z")]).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        for other in [c, d, e] {
            assert_ne!(a.fingerprint(), other.fingerprint());
        }
        let post = PostId::generate();
        assert_ne!(
            AttemptListQuery::fingerprint(post),
            AttemptListQuery::fingerprint(PostId::generate())
        );
    }

    #[test]
    fn positions_round_trip() {
        let id = PostId::generate();
        for scheduled_at in [None, Some(now())] {
            let position = PostPosition { id, scheduled_at };
            assert_eq!(PostPosition::decode(&position.encode()), Some(position));
        }
        for bad in ["", "x", "x@2026-01-01T00:00:00Z", &format!("{id}@soon")] {
            assert_eq!(PostPosition::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn attempt_summaries() {
        let attempt = |status_code, error: Option<&str>| Attempt {
            n: 1,
            at: now(),
            status_code,
            latency_ms: 5,
            error: error.map(str::to_owned),
        };
        assert_eq!(attempt(Some(204), None).summary(), None);
        assert_eq!(
            attempt(Some(503), None).summary().as_deref(),
            Some("HTTP 503")
        );
        assert_eq!(
            attempt(None, Some("timeout")).summary().as_deref(),
            Some("timeout")
        );
    }
}
