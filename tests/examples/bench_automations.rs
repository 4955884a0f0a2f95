//! Automation dispatch benchmark (not a test): how many due occurrences one dispatcher tick
//! claims and enqueues per second, and how late each run starts against its occurrence.
//!
//! `make bench-automations` (debug binaries), or with `OFAUTO_BIN_DIR=target/release` after a
//! release build. It starts its own stack on free ports with no automatic tick, so the one tick
//! it sends is the only one. Bounded: at most `--automations` automations (500 by default, 2,000
//! at most), one occurrence each, and it stops by itself. It prints percentiles, with the
//! machine's load average before and after, since the box is shared.

use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use futures::stream::{self, StreamExt};
use ofauto_tests::bench::{load_average, percentile, BenchChannel};
use ofauto_tests::fixtures::{poll, Tenant};
use ofauto_tests::stack::{self, stack};
use ofauto_tests::{control, dynamo};
use serde_json::{json, Value};
use shared::domain::{AutomationId, TenantId};
use shared::staging::Key;

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Every run of one automation (one page: each has a single occurrence here).
async fn runs(tenant: &Tenant, id: &str) -> Vec<Value> {
    let page = tenant
        .bulk("viewer")
        .get_query(&format!("/v1/automations/{id}/runs"), &[("limit", "10")])
        .await
        .ok_json(200);
    page["items"].as_array().cloned().unwrap_or_default()
}

fn seconds_between(from: &Value, to: &Value) -> Option<f64> {
    let from = DateTime::parse_from_rfc3339(from.as_str()?).ok()?;
    let to = DateTime::parse_from_rfc3339(to.as_str()?).ok()?;
    Some((to - from).num_milliseconds() as f64 / 1000.0)
}

#[tokio::main]
async fn main() {
    stack::without_automatic_ticks();
    let count: usize = std::env::args()
        .skip_while(|a| a != "--automations")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
        .clamp(10, 2000);
    let started = Instant::now();
    println!("load average before: {}", load_average());
    let tenant = Tenant::new();
    let tenant_id = TenantId::parse(&tenant.id).expect("tenant id");
    let channel = BenchChannel::new(&tenant).await.id;
    let editor = tenant.bulk("editor");
    let ids: Vec<String> = stream::iter(0..count)
        .map(|i| {
            let (editor, channel) = (&editor, &channel);
            async move {
                let body = json!({
                    "name": format!("bench {i}"),
                    "trigger": {"kind": "schedule", "cron": "* * * * *", "timezone": "UTC"},
                    "action": {"kind": "webhook", "channel_id": channel},
                });
                let created = editor
                    .post_json("/v1/automations", &body)
                    .await
                    .ok_json(201);
                created["id"].as_str().expect("an id").to_owned()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;

    // One occurrence for all of them: the next whole minute at least 20 s away, inside the
    // tick's 70 s look-ahead when the tick comes.
    let occurrence = (Utc::now() + TimeDelta::seconds(80))
        .duration_trunc(TimeDelta::minutes(1))
        .expect("a minute");
    let occurrence_text = rfc3339(occurrence);
    stream::iter(ids.iter())
        .for_each_concurrent(16, |id| {
            let (tenant_id, occurrence_text) = (&tenant_id, &occurrence_text);
            async move {
                let key = Key::Automation {
                    tenant: tenant_id,
                    id: AutomationId::parse(id).expect("automation id"),
                };
                dynamo::set_strings(
                    key,
                    &[
                        ("next_run_at", occurrence_text),
                        ("due_at", occurrence_text),
                    ],
                )
                .await;
            }
        })
        .await;
    let tick_at = occurrence - TimeDelta::seconds(60);
    if let Ok(wait) = (tick_at - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    let tick_started = Instant::now();
    let tick = control::tick_at(&rfc3339(Utc::now())).await;
    let tick_s = tick_started.elapsed().as_secs_f64();
    let enqueued = tick["runs_enqueued"].as_f64().unwrap_or(0.0);

    // Each run is listed once it has finished; its lag is `started_at - scheduled_for`.
    let wait_until = occurrence + TimeDelta::seconds(300);
    let mut lags = Vec::with_capacity(count);
    let mut finished = 0;
    for id in &ids {
        let left = (wait_until - Utc::now())
            .to_std()
            .unwrap_or(Duration::from_secs(1));
        let found = poll(left, || runs(&tenant, id), |r: &Vec<Value>| !r.is_empty()).await;
        if let Some(run) = found.first() {
            finished += 1;
            if let Some(lag) = seconds_between(&run["scheduled_for"], &run["started_at"]) {
                lags.push(lag);
            }
        }
    }

    println!("automations due at one occurrence: {count} (cron * * * * *, webhook action)");
    println!("tick summary: {tick}");
    println!(
        "dispatcher tick: {tick_s:.2} s for {enqueued} occurrences claimed and enqueued ({:.0} occurrences/s)",
        enqueued / tick_s
    );
    println!(
        "runs finished: {finished} of {count}; lag from occurrence to run start: p50 {:.3} s, p99 {:.3} s, max {:.3} s, min {:.3} s",
        percentile(&lags, 50.0),
        percentile(&lags, 99.0),
        percentile(&lags, 100.0),
        percentile(&lags, 0.0)
    );
    println!("load average after: {}", load_average());
    println!(
        "total {:.0} s; stack log {}",
        started.elapsed().as_secs_f64(),
        stack().log_path.display()
    );
}
