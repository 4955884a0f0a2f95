//! Channels and posts as the scheduling tests (in `e2e` and in `contention`) make and read them:
//! a channel on the local receiver, posts created and checked the way clients see them, and the
//! few measurements the delivery tests share.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::api::{Api, Resp};
use crate::fixtures::{poll, Tenant};
use crate::receiver::{receiver, Endpoint, Step};

/// The fields of a post, exactly.
pub const POST_FIELDS: [&str; 13] = [
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
    "webhook_id",
];

/// A channel of a fresh endpoint on the local receiver, configured with the channel's secret.
pub struct TestChannel {
    pub id: String,
    pub secret: String,
    pub endpoint: Endpoint,
    pub body: Value,
}

impl TestChannel {
    /// A new channel for `tenant` whose endpoint answers `script` in order, then `default`.
    pub async fn new(tenant: &Tenant, script: Vec<Step>, default: Step) -> Self {
        let name = format!(
            "{}-{}",
            tenant.id,
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let endpoint = receiver().endpoint(&name);
        let resp = tenant
            .bulk("admin")
            .post_json(
                "/v1/channels",
                &json!({"name": name, "kind": "webhook", "url": endpoint.url()}),
            )
            .await;
        let body = resp.ok_json(201);
        let secret = body["signing_secret"]
            .as_str()
            .unwrap_or_else(|| panic!("a new channel shows its secret: {body}"))
            .to_owned();
        endpoint
            .configure(std::slice::from_ref(&secret), script, default)
            .await;
        Self {
            id: body["id"].as_str().expect("a channel id").to_owned(),
            secret,
            endpoint,
            body,
        }
    }

    /// A channel whose endpoint answers 200 to everything.
    pub async fn ok(tenant: &Tenant) -> Self {
        Self::new(tenant, vec![], Step::ok()).await
    }
}

/// RFC 3339 with milliseconds, as the API writes times.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn in_seconds(seconds: f64) -> DateTime<Utc> {
    Utc::now() + chrono::TimeDelta::milliseconds((seconds * 1000.0) as i64)
}

pub fn parse_time(raw: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(raw.as_str().unwrap_or_else(|| panic!("a time: {raw}")))
        .unwrap_or_else(|e| panic!("{raw}: {e}"))
        .with_timezone(&Utc)
}

/// Creates a post and checks the 201, its `Location` and its shape.
pub async fn create_post(
    api: &Api,
    channel_id: &str,
    scheduled_at: Option<DateTime<Utc>>,
) -> Value {
    let mut body = json!({"channel_id": channel_id, "content": "hello from the tests"});
    if let Some(at) = scheduled_at {
        body["scheduled_at"] = json!(rfc3339(at));
    }
    created_post(&api.post_json("/v1/posts", &body).await)
}

/// Creates `n` posts due at `at`, sixteen requests at a time, each checked as [`create_post`]
/// checks it.
pub async fn create_posts(api: &Api, channel: &str, at: DateTime<Utc>, n: usize) -> Vec<Value> {
    stream::iter(0..n)
        .map(|_| create_post(api, channel, Some(at)))
        .buffer_unordered(16)
        .collect()
        .await
}

/// Sleeps until `at` (no-op when it has passed).
pub async fn sleep_until(at: DateTime<Utc>) {
    if let Ok(left) = (at - Utc::now()).to_std() {
        tokio::time::sleep(left).await;
    }
}

#[track_caller]
pub fn created_post(resp: &Resp) -> Value {
    let post = resp.ok_json(201);
    assert_post_shape(&post);
    let id = post["id"].as_str().unwrap_or_default();
    assert_eq!(
        resp.header("location"),
        Some(format!("/v1/posts/{id}").as_str()),
        "Location of:\n{resp}"
    );
    post
}

#[track_caller]
pub fn assert_post_shape(post: &Value) {
    let mut keys: Vec<&str> = post
        .as_object()
        .unwrap_or_else(|| panic!("a post is an object: {post}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, POST_FIELDS, "the fields of {post}");
    assert!(
        post["webhook_id"]
            .as_str()
            .is_some_and(|w| w.starts_with("msg_")),
        "{post}"
    );
}

pub async fn get_post(api: &Api, id: &str) -> Value {
    api.get(&format!("/v1/posts/{id}")).await.ok_json(200)
}

/// Polls the post until its status is `status` (or `timeout` passes) and returns it.
pub async fn wait_for_status(api: &Api, id: &str, status: &str, timeout: Duration) -> Value {
    let post = poll(timeout, || get_post(api, id), |p| p["status"] == status).await;
    assert_eq!(
        post["status"], status,
        "post {id} after {timeout:?}: {post}"
    );
    post
}

pub fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` is a string: {value}"))
}

/// Every item of a list route, following `next_cursor`.
pub async fn list_every(api: &Api, path: &str, query: &[(&str, &str)]) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut q: Vec<(&str, &str)> = query.to_vec();
        if let Some(c) = &cursor {
            q.push(("cursor", c));
        }
        let page = api.get_query(path, &q).await.ok_json(200);
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
    panic!("{path} did not end after 1000 pages");
}

/// The percentile `p` (0..=100) of `values`, nearest rank.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}
