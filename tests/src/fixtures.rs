//! Tenants, events and lists: the building blocks the test files share.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde_json::Value;

use crate::api::{Api, Resp};
use crate::stack::stack;
use crate::time;

/// Event types each of which is a prefix of the next: a filter or counter that matched by prefix
/// rather than by whole name would mix them up.
pub const NESTED_TYPES: [&str; 3] = ["order", "order:created", "order:created.v2"];

/// How many creates are in flight at once when a test seeds many events.
pub const CREATE_CONCURRENCY: usize = 8;

/// A fresh tenant with a random id, so tests never see each other's data.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
}

impl Default for Tenant {
    fn default() -> Self {
        Self::new()
    }
}

impl Tenant {
    pub fn new() -> Self {
        Self::with_id(format!(
            "t-{}",
            ulid::Ulid::new().to_string().to_lowercase()
        ))
    }

    pub fn with_id(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    pub fn token(&self, role: &str) -> String {
        stack().tokens.token(&self.id, role)
    }

    pub fn api(&self, role: &str) -> Api {
        Api::with_token(self.token(role))
    }

    pub fn editor(&self) -> Api {
        self.api("editor")
    }

    pub fn viewer(&self) -> Api {
        self.api("viewer")
    }

    pub fn admin(&self) -> Api {
        self.api("admin")
    }

    /// An `Api` for `role` in the `bulk` rate-limit tier: for seeding and checking volume, where
    /// the standard limit is not what the test is about. The counters are still this tenant's.
    pub fn bulk(&self, role: &str) -> Api {
        Api::with_token(
            stack()
                .tokens
                .token_with_tier(&self.id, role, crate::tokens::BULK_TIER),
        )
    }
}

/// The fields of an event, exactly.
pub const EVENT_FIELDS: [&str; 6] = [
    "created_at",
    "id",
    "occurred_at",
    "properties",
    "source",
    "type",
];

/// Asserts the shape of an event as the API returns it.
#[track_caller]
pub fn assert_event_shape(event: &Value) {
    let object = event
        .as_object()
        .unwrap_or_else(|| panic!("an event is an object: {event}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, EVENT_FIELDS, "the fields of {event}");
    assert!(
        event["id"].as_str().is_some_and(|id| !id.is_empty()),
        "id: {event}"
    );
    assert!(event["type"].is_string(), "type: {event}");
    for field in ["occurred_at", "created_at"] {
        let raw = event[field].as_str().unwrap_or_default();
        assert!(
            time::is_canonical_millis(raw),
            "{field} is YYYY-MM-DDTHH:MM:SS.sssZ: {event}"
        );
    }
    assert!(
        event["source"].is_null() || event["source"].is_string(),
        "source: {event}"
    );
    assert!(event["properties"].is_object(), "properties: {event}");
}

/// Creates an event and checks the 201, its `Location` and its shape.
pub async fn create_event(api: &Api, body: &Value) -> Value {
    let resp = api.post_json("/v1/events", body).await;
    created(&resp)
}

/// Checks a successful create and returns the event.
#[track_caller]
pub fn created(resp: &Resp) -> Value {
    let event = resp.ok_json(201);
    assert_event_shape(&event);
    let id = event["id"].as_str().unwrap_or_default();
    assert_eq!(
        resp.header("location"),
        Some(format!("/v1/events/{id}").as_str()),
        "Location of:\n{resp}"
    );
    event
}

/// Creates the events `CREATE_CONCURRENCY` at a time; the result is in the order of `bodies`.
pub async fn create_events(api: &Api, bodies: &[Value]) -> Vec<Value> {
    stream::iter(bodies)
        .map(|body| create_event(api, body))
        .buffered(CREATE_CONCURRENCY)
        .collect()
        .await
}

/// One page of `GET /v1/events`.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Value>,
    pub next_cursor: Option<String>,
}

#[track_caller]
pub fn page_of(resp: &Resp) -> Page {
    let body = resp.ok_json(200);
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("a list is an object:\n{resp}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["items", "next_cursor"], "list fields of:\n{resp}");
    let items = body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items is a list:\n{resp}"))
        .clone();
    for item in &items {
        assert_event_shape(item);
    }
    let next_cursor = match &body["next_cursor"] {
        Value::Null => None,
        Value::String(c) => {
            assert!(!c.is_empty(), "a cursor is not empty:\n{resp}");
            Some(c.clone())
        }
        other => panic!("next_cursor is a string or null, not {other}:\n{resp}"),
    };
    Page { items, next_cursor }
}

pub async fn list_page(api: &Api, query: &[(&str, &str)]) -> Page {
    let resp = api.get_query("/v1/events", query).await;
    page_of(&resp)
}

/// Every page of a list, following `next_cursor` until it is null.
pub async fn list_pages(api: &Api, query: &[(&str, &str)], limit: usize) -> Vec<Page> {
    let limit_text = limit.to_string();
    let mut pages: Vec<Page> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut seen_cursors = HashSet::new();
    loop {
        let mut params: Vec<(&str, &str)> = query.to_vec();
        params.push(("limit", &limit_text));
        if let Some(c) = &cursor {
            params.push(("cursor", c));
        }
        let page = list_page(api, &params).await;
        assert!(
            page.items.len() <= limit,
            "a page holds at most limit={limit} items, got {}",
            page.items.len()
        );
        cursor = page.next_cursor.clone();
        pages.push(page);
        match &cursor {
            None => return pages,
            Some(c) => {
                assert!(seen_cursors.insert(c.clone()), "cursor {c} came back twice");
                assert!(pages.len() < 2000, "the list does not end");
            }
        }
    }
}

/// Every item of a list, across all its pages.
pub async fn list_all(api: &Api, query: &[(&str, &str)], limit: usize) -> Vec<Value> {
    list_pages(api, query, limit)
        .await
        .into_iter()
        .flat_map(|p| p.items)
        .collect()
}

/// Asserts the tenant behind `api` has no events at all: nothing was written.
pub async fn assert_no_events(api: &Api) {
    let page = list_page(api, &[("limit", "100")]).await;
    assert!(
        page.items.is_empty() && page.next_cursor.is_none(),
        "expected no events, found {:?}",
        page.items
    );
}

/// The order the API lists events in: newest `occurred_at` first, ties newer (greater) id first.
pub fn sort_newest_first(events: &mut [Value]) {
    events.sort_by(|a, b| {
        let key = |e: &Value| {
            (
                e["occurred_at"].as_str().unwrap_or_default().to_owned(),
                e["id"].as_str().unwrap_or_default().to_owned(),
            )
        };
        key(b).cmp(&key(a))
    });
}

pub fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Calls `fetch` until `done` holds for its answer or `timeout` passes; returns the last answer.
pub async fn poll<F, Fut, T>(timeout: Duration, mut fetch: F, done: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let started = Instant::now();
    loop {
        let value = fetch().await;
        if done(&value) || started.elapsed() >= timeout {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
