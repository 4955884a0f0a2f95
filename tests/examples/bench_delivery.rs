//! Delivery benchmark (not a test): how fast the deliverer and the whole local stack deliver
//! scheduled posts to a local receiver, and how late against `scheduled_at`.
//!
//! `make bench-delivery` (debug binaries), or with `OFAUTO_BIN_DIR=target/release` after a
//! release build. It starts its own stack on free ports, bounded: at most `--posts` posts (500
//! by default) in the burst and 60 in the spread, and it stops by itself. It prints medians and
//! percentiles, with the machine's load average before and after, since the box is shared.

use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use ofauto_tests::bench::{load_average, percentile, BenchChannel};
use ofauto_tests::control;
use ofauto_tests::fixtures::Tenant;
use ofauto_tests::stack::stack;
use serde_json::{json, Value};

fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn create(tenant: &Tenant, channel: &str, at: chrono::DateTime<chrono::Utc>) -> Value {
    tenant
        .bulk("editor")
        .post_json(
            "/v1/posts",
            &json!({"channel_id": channel, "content": "bench", "scheduled_at": rfc3339(at)}),
        )
        .await
        .ok_json(201)
}

/// Lateness of each delivery against its post's `scheduled_at`, in seconds.
fn lateness(posts: &[Value], deliveries: &[ofauto_tests::receiver::Delivery]) -> Vec<f64> {
    let due: std::collections::HashMap<&str, f64> = posts
        .iter()
        .map(|p| {
            let at = chrono::DateTime::parse_from_rfc3339(p["scheduled_at"].as_str().unwrap())
                .unwrap()
                .timestamp_millis() as f64
                / 1000.0;
            (p["webhook_id"].as_str().unwrap(), at)
        })
        .collect();
    deliveries
        .iter()
        .filter_map(|d| due.get(d.webhook_id.as_str()).map(|at| d.received_at - at))
        .collect()
}

/// Deliveries per second of each deliverer invocation, from its `delivery batch` log lines.
fn per_invocation_rates() -> Vec<f64> {
    let log = std::fs::read_to_string(&stack().log_path).unwrap_or_default();
    log.lines()
        .filter(|l| l.contains("\"message\":\"delivery batch\""))
        .filter_map(|l| {
            let json: Value = serde_json::from_str(&l[l.find('{')?..]).ok()?;
            let delivered = json["delivered"].as_f64()?;
            let elapsed = json["elapsed_ms"].as_f64()?;
            (delivered > 0.0 && elapsed > 0.0).then(|| delivered / (elapsed / 1000.0))
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let posts_n: usize = std::env::args()
        .skip_while(|a| a != "--posts")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
        .clamp(10, 2000);
    let started = Instant::now();
    println!("load average before: {}", load_average());
    let tenant = Tenant::new();

    // Burst: every post due at the same instant, found by one tick.
    let burst = BenchChannel::new(&tenant).await;
    let due = chrono::Utc::now() + chrono::TimeDelta::seconds(90);
    let posts: Vec<Value> = stream::iter(0..posts_n)
        .map(|_| create(&tenant, &burst.id, due))
        .buffer_unordered(16)
        .collect()
        .await;
    let tick_at = due - chrono::TimeDelta::seconds(65);
    if let Ok(wait) = (tick_at - chrono::Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    let tick_started = Instant::now();
    let tick = control::tick_at(&rfc3339(chrono::Utc::now())).await;
    let tick_s = tick_started.elapsed().as_secs_f64();
    let deliveries = burst
        .endpoint
        .wait_for(posts_n, Duration::from_secs(600))
        .await;
    let first = deliveries
        .iter()
        .map(|d| d.received_at)
        .fold(f64::MAX, f64::min);
    let last = deliveries
        .iter()
        .map(|d| d.received_at)
        .fold(f64::MIN, f64::max);
    let burst_late = lateness(&posts, &deliveries);
    let per_invocation = per_invocation_rates();

    // Spread: posts at random seconds over the next two minutes, as users schedule them.
    let spread = BenchChannel::new(&tenant).await;
    let mut spread_posts = Vec::new();
    for i in 0..60u32 {
        let offset = 5.0 + f64::from(i * 37 % 115) + f64::from(i % 7) / 7.0;
        let at = chrono::Utc::now() + chrono::TimeDelta::milliseconds((offset * 1000.0) as i64);
        spread_posts.push(create(&tenant, &spread.id, at).await);
    }
    let spread_deliveries = spread
        .endpoint
        .wait_for(spread_posts.len(), Duration::from_secs(300))
        .await;
    let spread_late = lateness(&spread_posts, &spread_deliveries);

    println!("posts in the burst: {posts_n}, all due at one instant");
    println!(
        "dispatcher tick: {tick_s:.2} s for {} claimed and enqueued ({:.0} posts/s)",
        tick["enqueued"],
        tick["enqueued"].as_f64().unwrap_or(0.0) / tick_s
    );
    println!(
        "one deliverer invocation: median {:.1} deliveries/s, p10 {:.1}, p90 {:.1} (over {} batches)",
        percentile(&per_invocation, 50.0),
        percentile(&per_invocation, 10.0),
        percentile(&per_invocation, 90.0),
        per_invocation.len()
    );
    println!(
        "whole stack: {:.1} deliveries/s ({} in {:.1} s, first to last)",
        deliveries.len() as f64 / (last - first).max(0.001),
        deliveries.len(),
        last - first
    );
    println!(
        "burst lateness vs scheduled_at: p50 {:.3} s, p99 {:.3} s, max {:.3} s",
        percentile(&burst_late, 50.0),
        percentile(&burst_late, 99.0),
        percentile(&burst_late, 100.0)
    );
    println!(
        "spread lateness vs scheduled_at (60 posts over 2 min, tick 60 s): p50 {:.3} s, p99 {:.3} s, min {:.3} s",
        percentile(&spread_late, 50.0),
        percentile(&spread_late, 99.0),
        percentile(&spread_late, 0.0)
    );
    println!("load average after: {}", load_average());
    println!(
        "total {:.0} s; stack log {}",
        started.elapsed().as_secs_f64(),
        stack().log_path.display()
    );
}
