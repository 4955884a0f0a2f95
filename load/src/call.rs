//! One API request from a virtual user, named by its route so goose's metrics and report are per
//! endpoint, counted against the run's budget and, for the stress profile, sampled.

use crate::run::{self, Sample};
use goose::prelude::*;
use serde_json::Value;
use std::time::Instant;

/// What each virtual user keeps between its requests.
#[derive(Clone)]
pub struct UserState {
    pub tenant: usize,
    pub rng: crate::rng::Rng,
    /// Ids this user created, newest last, so that its reads hit existing items.
    pub events: Vec<String>,
    pub posts: Vec<String>,
    pub automations: Vec<String>,
}

/// Ids kept per kind: enough to spread the reads, few enough to stay small.
const KEEP_IDS: usize = 50;

impl UserState {
    pub fn new(user_index: usize) -> Self {
        UserState {
            tenant: user_index % run::get().tenants.len(),
            rng: crate::rng::Rng::seeded(user_index as u64 + 1),
            events: Vec::new(),
            posts: Vec::new(),
            automations: Vec::new(),
        }
    }
}

pub fn remember(ids: &mut Vec<String>, id: String) {
    if ids.len() == KEEP_IDS {
        ids.remove(0);
    }
    ids.push(id);
}

/// Sets up the user's state on its first transaction.
pub fn state(user: &mut GooseUser) -> &mut UserState {
    if user.get_session_data::<UserState>().is_none() {
        run::get().user_started(user.weighted_users_index);
        let state = UserState::new(user.weighted_users_index);
        user.set_session_data(state);
    }
    user.get_session_data_unchecked_mut::<UserState>()
}

/// Sends `method path` as the user's tenant's editor, recorded under `name` (the route with its
/// placeholders). Answers the JSON body of a 2xx, or None on any failure, which goose has
/// already counted. Nothing is sent once the request budget is spent.
pub async fn send(
    user: &mut GooseUser,
    method: GooseMethod,
    path: &str,
    name: &str,
    body: Option<&Value>,
) -> Result<Option<Value>, Box<TransactionError>> {
    let run = run::get();
    if !run.take_one() {
        return Ok(None);
    }
    let tenant = state(user).tenant;
    let mut builder = user.get_request_builder(&method, path)?;
    if !path.starts_with("/health") {
        builder = builder.bearer_auth(&run.tenants[tenant].editor);
    }
    if let Some(body) = body {
        builder = builder.json(body);
    }
    let request = GooseRequest::builder()
        .set_request_builder(builder)
        .name(name)
        .build();
    let started = Instant::now();
    let goose = user.request(request).await?;
    let ok = goose.request.success;
    run.record(Sample {
        at: started,
        micros: goose.request.response_time_micros(),
        ok,
    });
    if !ok {
        return Ok(None);
    }
    match goose.response {
        Ok(response) => Ok(response.json::<Value>().await.ok()),
        Err(_) => Ok(None),
    }
}

/// The `id` of a created resource.
pub fn id_of(body: &Option<Value>) -> Option<String> {
    body.as_ref()?.get("id")?.as_str().map(String::from)
}
