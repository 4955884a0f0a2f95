//! The Event Service seed: 30 % create, 50 % list, 15 % get, 5 % health, 0.5-2.5 s of think time
//! between requests, users spread round-robin over the tenants; p95 < 1 s, p99 < 2 s, errors < 1 %.

use crate::call::{self, id_of, remember, send};
use crate::thresholds::{Metric, Scope, Threshold};
use goose::prelude::*;
use serde_json::json;
use std::time::Duration;

pub const THINK_MS: (u64, u64) = (500, 2500);

pub fn thresholds() -> Vec<Threshold> {
    vec![
        Threshold::new(Scope::All, Metric::P95, 1000.0),
        Threshold::new(Scope::All, Metric::P99, 2000.0),
        Threshold::new(Scope::All, Metric::ErrorPct, 1.0),
    ]
}

/// The seed's mix as goose weights (30:50:15:5).
pub fn scenario(think: (Duration, Duration)) -> Result<Scenario, GooseError> {
    scenario!("EventService")
        .set_wait_time(think.0, think.1)?
        .register_transaction(transaction!(first_event).set_on_start())
        .register_transaction(transaction!(create_event).set_weight(6)?)
        .register_transaction(transaction!(list_events).set_weight(10)?)
        .register_transaction(transaction!(get_event).set_weight(3)?)
        .register_transaction(transaction!(health).set_weight(1)?)
        .set_weight(1)
}

const TYPES: [&str; 4] = ["page.view", "user.signup", "order.paid", "button.click"];

/// Each user starts with one event of its own, so its first read has something to find.
async fn first_event(user: &mut GooseUser) -> TransactionResult {
    create_event(user).await
}

pub async fn create_event(user: &mut GooseUser) -> TransactionResult {
    let state = call::state(user);
    let kind = TYPES[state.rng.below(TYPES.len())];
    let n = state.rng.next() % 1000;
    let body = json!({
        "type": kind,
        "source": "goose",
        "properties": {"user": user.weighted_users_index, "n": n}
    });
    let answer = send(
        user,
        GooseMethod::Post,
        "/v1/events",
        "/v1/events",
        Some(&body),
    )
    .await?;
    if let Some(id) = id_of(&answer) {
        remember(&mut call::state(user).events, id);
    }
    Ok(())
}

pub async fn list_events(user: &mut GooseUser) -> TransactionResult {
    send(
        user,
        GooseMethod::Get,
        "/v1/events?limit=25",
        "/v1/events",
        None,
    )
    .await?;
    Ok(())
}

pub async fn get_event(user: &mut GooseUser) -> TransactionResult {
    let state = call::state(user);
    if state.events.is_empty() {
        return create_event(user).await;
    }
    let id = state.events[state.rng.below(state.events.len())].clone();
    let path = format!("/v1/events/{id}");
    send(user, GooseMethod::Get, &path, "/v1/events/{id}", None).await?;
    Ok(())
}

pub async fn health(user: &mut GooseUser) -> TransactionResult {
    send(user, GooseMethod::Get, "/health", "/health", None).await?;
    Ok(())
}
