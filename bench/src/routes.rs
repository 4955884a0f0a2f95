//! The stack's routes as load-generator operations, each checking the status it must answer.

use std::sync::Arc;

use reqwest::{Client, Method};
use serde_json::{json, Value};

use crate::load::Op;

/// What a route needs: the API, a bulk-tier token, and ids of things to read or refer to.
#[derive(Clone)]
pub struct Target {
    pub client: Client,
    pub api: String,
    pub token: String,
}

impl Target {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        expect: u16,
    ) -> Result<Value, String> {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.api))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if status != expect {
            return Err(format!("{method} {path}: {status} {}", truncate(&text)));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// One operation that sends the request `make` builds for the n-th call.
    pub fn op<F>(&self, method: Method, expect: u16, make: F) -> Op
    where
        F: Fn(u64) -> (String, Option<Value>) + Send + Sync + 'static,
    {
        let target = self.clone();
        let make = Arc::new(make);
        Arc::new(move |n| {
            let target = target.clone();
            let method = method.clone();
            let (path, body) = make(n);
            Box::pin(async move { target.send(method, &path, body, expect).await.map(drop) })
        })
    }
}

fn truncate(text: &str) -> &str {
    let end = text.char_indices().nth(200).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// Ids the routes read or refer to, created once before the load.
pub struct Fixtures {
    pub event_id: String,
    pub channel_id: String,
    pub analytics_query: String,
}

/// The measured routes, by function name, in the order they are run.
pub fn ops(editor: &Target, fx: &Fixtures) -> Vec<(&'static str, Op)> {
    let event = fx.event_id.clone();
    let channel = fx.channel_id.clone();
    let automation_channel = fx.channel_id.clone();
    let analytics = fx.analytics_query.clone();
    vec![
        ("health", editor.op(Method::GET, 200, |_| ("/health".into(), None))),
        ("events-get", editor.op(Method::GET, 200, move |_| (format!("/v1/events/{event}"), None))),
        (
            "events-create",
            editor.op(Method::POST, 201, |n| {
                let body = json!({"type": "bench.event", "source": "bench", "properties": {"n": n, "plan": "pro"}});
                ("/v1/events".into(), Some(body))
            }),
        ),
        ("events-list", editor.op(Method::GET, 200, |_| ("/v1/events?limit=25".into(), None))),
        (
            "analytics-events",
            editor.op(Method::GET, 200, move |_| (format!("/v1/analytics/events?{analytics}"), None)),
        ),
        (
            "posts-create",
            editor.op(Method::POST, 201, move |n| {
                let body = json!({"channel_id": channel, "content": format!("bench draft {n}")});
                ("/v1/posts".into(), Some(body))
            }),
        ),
        (
            "automations-create",
            editor.op(Method::POST, 201, move |n| {
                // Once a year, far from the run: the dispatcher has nothing to fire.
                let body = json!({
                    "name": format!("bench {n}"),
                    "trigger": {"kind": "schedule", "cron": "0 0 1 1 *", "timezone": "UTC"},
                    "action": {"kind": "publish_post", "channel_id": automation_channel, "content_template": "{{automation.name}}"}
                });
                ("/v1/automations".into(), Some(body))
            }),
        ),
    ]
}
