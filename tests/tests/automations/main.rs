//! Automations through the local stack: the API over HTTP, the dispatcher driven to chosen
//! instants by its scheduled event's `time`, runs read back from `GET …/runs`, and webhook
//! actions verified by the local receiver.
//!
//! Time travel: a test stages its own automation's `next_run_at` in the past and ticks the
//! dispatcher at chosen past instants. This binary's stack has no automatic tick, so nothing at
//! the real clock catches those automations up behind a test's back; and a tick reaches every
//! automation staged before it, so the tests that travel take turns (`time_travel`) and delete
//! what they staged before handing over. The rest run in parallel: they stage nothing.
//!
//! | module | what it proves |
//! |---|---|
//! | `api` | CRUD, pause and resume, preview, run-now (also paused), roles, every field rule, other tenants |
//! | `dst` | the OCPS daylight-saving rules, fired by the dispatcher exactly as preview computes them |
//! | `runs` | catch-up (`latest`, `all`, `none`), racing dispatchers, event triggers, failures and the auto-pause |

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use ofauto_tests::api::Api;
use ofauto_tests::control;
use ofauto_tests::dynamo;
use ofauto_tests::fixtures::{poll, Tenant};
use ofauto_tests::receiver::{receiver, Endpoint, Step};
use serde_json::{json, Value};
use shared::domain::{AutomationId, TenantId};
use shared::staging::Key;

mod api;
mod dst;
mod reference;
mod runs;

/// Every test starts here: this binary's stack runs without the automatic tick.
pub fn quiet() {
    ofauto_tests::stack::without_automatic_ticks();
}

/// The tests that stage automations in the past and tick at past instants take turns.
pub async fn time_travel() -> tokio::sync::MutexGuard<'static, ()> {
    static GATE: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
    GATE.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

/// Deletes what a time-travelling test staged, so that the next one's ticks do not reach it.
pub async fn forget(api: &Api, ids: &[String]) {
    for id in ids {
        api.delete(&format!("/v1/automations/{id}"))
            .await
            .expect_status(204);
    }
}

pub fn at(raw: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(raw)
        .unwrap_or_else(|e| panic!("{raw}: {e}"))
        .with_timezone(&Utc)
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` is a string: {value}"))
}

/// A channel to a receiver endpoint that takes every delivery (200), for `publish_post` actions:
/// their run succeeds once the post exists, and the post is then delivered once, not retried
/// against a closed port by every test at the same time.
pub async fn sink_channel(tenant: &Tenant) -> String {
    let name = format!("sink-{}", ulid::Ulid::new().to_string().to_lowercase());
    let (channel, _) = scripted_channel(tenant, &name, vec![], Step::ok()).await;
    str_of(&channel, "id").to_owned()
}

/// A webhook channel named `name` to its own endpoint on the local receiver, which answers
/// `script` in turn and then `default`; the channel as created (with its id) and the endpoint.
pub async fn scripted_channel(
    tenant: &Tenant,
    name: &str,
    script: Vec<Step>,
    default: Step,
) -> (Value, Endpoint) {
    let endpoint = receiver().endpoint(&format!("{}-{name}", tenant.id));
    let channel = tenant
        .bulk("admin")
        .post_json(
            "/v1/channels",
            &json!({"name": name, "kind": "webhook", "url": endpoint.url()}),
        )
        .await
        .ok_json(201);
    let secret = str_of(&channel, "signing_secret").to_owned();
    endpoint.configure(&[secret], script, default).await;
    (channel, endpoint)
}

pub fn schedule(cron: &str, zone: &str) -> Value {
    json!({"kind": "schedule", "cron": cron, "timezone": zone})
}

pub fn post_action(channel: &str) -> Value {
    json!({"kind": "publish_post", "channel_id": channel, "content_template": "{{automation.name}} at {{scheduled_for}}"})
}

pub async fn create(api: &Api, body: &Value) -> Value {
    let resp = api.post_json("/v1/automations", body).await;
    let created = resp.ok_json(201);
    let id = str_of(&created, "id");
    assert_eq!(
        resp.header("location"),
        Some(format!("/v1/automations/{id}").as_str()),
        "{resp}"
    );
    created
}

/// Moves an automation's next occurrence to `next` (in the past), as if the stack had stopped
/// then. Its due-index entry moves with it.
pub async fn stage_next_run(tenant: &Tenant, id: &str, next: &str) {
    let tenant_id = TenantId::parse(&tenant.id).expect("tenant id");
    let next = rfc3339(at(next));
    dynamo::set_strings(
        Key::Automation {
            tenant: &tenant_id,
            id: AutomationId::parse(id).expect("automation id"),
        },
        &[("next_run_at", &next), ("due_at", &next)],
    )
    .await;
}

/// Ticks the dispatcher at `instant` and waits until the automation's runs stop changing.
pub async fn tick(instant: &str) {
    control::tick_at(&rfc3339(at(instant))).await;
}

/// Every finished run of an automation, newest first, following `next_cursor`.
pub async fn runs(api: &Api, id: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "100".to_owned())];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = api
            .get_query(&format!("/v1/automations/{id}/runs"), &q)
            .await
            .ok_json(200);
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

/// Waits until the automation has `n` finished runs, and returns them newest first.
pub async fn wait_for_runs(api: &Api, id: &str, n: usize) -> Vec<Value> {
    let found = poll(Duration::from_secs(60), || runs(api, id), |r| r.len() >= n).await;
    assert!(
        found.len() >= n,
        "{} of {n} runs of {id}: {found:#?}",
        found.len()
    );
    // Give a duplicate the time to show up.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    runs(api, id).await
}

/// Like [`wait_for_runs`], but answers what there is after the wait instead of failing, for a
/// test that cleans up before it judges.
pub async fn wait_for_runs_or_timeout(api: &Api, id: &str, n: usize) -> Vec<Value> {
    poll(Duration::from_secs(60), || runs(api, id), |r| r.len() >= n).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    runs(api, id).await
}

/// `scheduled_for` of each run with `status`, oldest first.
pub fn fired(runs: &[Value], status: &str) -> Vec<String> {
    let mut out: Vec<String> = runs
        .iter()
        .filter(|r| r["status"] == status)
        .map(|r| rfc3339(at(str_of(r, "scheduled_for"))))
        .collect();
    out.sort();
    out
}
