//! The OFAuto seed: health, scheduled posts (create, list, get) and automations (create, list,
//! get, preview, runs), 50 users for 60 s; p95 < 500 ms overall, < 200 ms on health, < 750 ms on
//! each post and automation endpoint, errors < 5 %.
//!
//! Posts are scheduled days ahead and automations fire on 1 January, so the run measures the API
//! and never the deliverer: nothing falls due while it lasts.

use crate::call::{self, id_of, remember, send};
use crate::thresholds::{Metric, Scope, Threshold};
use crate::tokens::Tenant;
use goose::prelude::*;
use serde_json::{json, Value};
use std::time::Duration;

/// The seed gave no think time; one second on average keeps 50 users near 50 req/s.
pub const THINK_MS: (u64, u64) = (500, 1500);

pub fn thresholds() -> Vec<Threshold> {
    vec![
        Threshold::new(Scope::All, Metric::P95, 500.0),
        Threshold::new(Scope::Endpoint("GET /health"), Metric::P95, 200.0),
        Threshold::new(
            Scope::EachUnder(&["/v1/posts", "/v1/automations"]),
            Metric::P95,
            750.0,
        ),
        Threshold::new(Scope::All, Metric::ErrorPct, 5.0),
    ]
}

pub fn scenario(think: (Duration, Duration)) -> Result<Scenario, GooseError> {
    scenario!("Ofauto")
        .set_wait_time(think.0, think.1)?
        .register_transaction(transaction!(first_items).set_on_start())
        .register_transaction(transaction!(health).set_weight(10)?)
        .register_transaction(transaction!(create_post).set_weight(10)?)
        .register_transaction(transaction!(list_posts).set_weight(15)?)
        .register_transaction(transaction!(get_post).set_weight(15)?)
        .register_transaction(transaction!(create_automation).set_weight(5)?)
        .register_transaction(transaction!(list_automations).set_weight(10)?)
        .register_transaction(transaction!(get_automation).set_weight(10)?)
        .register_transaction(transaction!(preview).set_weight(15)?)
        .register_transaction(transaction!(list_runs).set_weight(10)?)
        .set_weight(1)
}

/// One channel per tenant, made as its admin before the attack (not measured): posts and
/// automations must name an active channel. Its URL is loopback's discard port; nothing is due
/// during the run, so nothing is sent to it.
pub async fn create_channels(host: &str, tenants: &[Tenant]) -> Result<Vec<String>, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut channels = Vec::new();
    for tenant in tenants {
        let response = client
            .post(format!("{host}/v1/channels"))
            .bearer_auth(&tenant.admin)
            .json(&json!({"name": "load", "kind": "webhook", "url": "http://127.0.0.1:9/hooks"}))
            .send()
            .await
            .map_err(|e| format!("creating a channel for {}: {e}", tenant.id))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match body.get("id").and_then(Value::as_str) {
            Some(id) if status.is_success() => channels.push(id.to_string()),
            _ => {
                return Err(format!(
                    "creating a channel for {}: {status} {body}",
                    tenant.id
                ))
            }
        }
    }
    Ok(channels)
}

fn channel(user: &mut GooseUser) -> String {
    let tenant = call::state(user).tenant;
    crate::run::get().channels[tenant].clone()
}

/// Each user starts with a post and an automation of its own, so its reads find something.
async fn first_items(user: &mut GooseUser) -> TransactionResult {
    create_post(user).await?;
    create_automation(user).await
}

async fn health(user: &mut GooseUser) -> TransactionResult {
    send(user, GooseMethod::Get, "/health", "/health", None).await?;
    Ok(())
}

async fn create_post(user: &mut GooseUser) -> TransactionResult {
    let channel_id = channel(user);
    let days = 1 + call::state(user).rng.below(30) as i64;
    let at = chrono::Utc::now() + chrono::TimeDelta::days(days);
    let body = json!({
        "channel_id": channel_id,
        "content": format!("load test post from user {}", user.weighted_users_index),
        "scheduled_at": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    });
    let answer = send(
        user,
        GooseMethod::Post,
        "/v1/posts",
        "/v1/posts",
        Some(&body),
    )
    .await?;
    if let Some(id) = id_of(&answer) {
        remember(&mut call::state(user).posts, id);
    }
    Ok(())
}

async fn list_posts(user: &mut GooseUser) -> TransactionResult {
    send(
        user,
        GooseMethod::Get,
        "/v1/posts?limit=25",
        "/v1/posts",
        None,
    )
    .await?;
    Ok(())
}

fn pick(ids: &[String], rng: &mut crate::rng::Rng) -> Option<String> {
    (!ids.is_empty()).then(|| ids[rng.below(ids.len())].clone())
}

async fn get_post(user: &mut GooseUser) -> TransactionResult {
    let state = call::state(user);
    let Some(id) = pick(&state.posts, &mut state.rng) else {
        return create_post(user).await;
    };
    let path = format!("/v1/posts/{id}");
    send(user, GooseMethod::Get, &path, "/v1/posts/{id}", None).await?;
    Ok(())
}

async fn create_automation(user: &mut GooseUser) -> TransactionResult {
    let channel_id = channel(user);
    let body = json!({
        "name": format!("load {}", user.weighted_users_index),
        "trigger": {"kind": "schedule", "cron": "0 0 1 1 *", "timezone": "Europe/Paris"},
        "action": {
            "kind": "publish_post",
            "channel_id": channel_id,
            "content_template": "Happy new year from {{automation.name}}"
        }
    });
    let answer = send(
        user,
        GooseMethod::Post,
        "/v1/automations",
        "/v1/automations",
        Some(&body),
    )
    .await?;
    if let Some(id) = id_of(&answer) {
        remember(&mut call::state(user).automations, id);
    }
    Ok(())
}

async fn list_automations(user: &mut GooseUser) -> TransactionResult {
    let path = "/v1/automations?limit=25";
    send(user, GooseMethod::Get, path, "/v1/automations", None).await?;
    Ok(())
}

async fn get_automation(user: &mut GooseUser) -> TransactionResult {
    let state = call::state(user);
    let Some(id) = pick(&state.automations, &mut state.rng) else {
        return create_automation(user).await;
    };
    let path = format!("/v1/automations/{id}");
    send(user, GooseMethod::Get, &path, "/v1/automations/{id}", None).await?;
    Ok(())
}

async fn preview(user: &mut GooseUser) -> TransactionResult {
    let body = json!({
        "trigger": {"kind": "schedule", "cron": "30 2 * * *", "timezone": "America/New_York"},
        "count": 10
    });
    let path = "/v1/automations/preview";
    send(user, GooseMethod::Post, path, path, Some(&body)).await?;
    Ok(())
}

async fn list_runs(user: &mut GooseUser) -> TransactionResult {
    let state = call::state(user);
    let Some(id) = pick(&state.automations, &mut state.rng) else {
        return create_automation(user).await;
    };
    let path = format!("/v1/automations/{id}/runs");
    send(
        user,
        GooseMethod::Get,
        &path,
        "/v1/automations/{id}/runs",
        None,
    )
    .await?;
    Ok(())
}
