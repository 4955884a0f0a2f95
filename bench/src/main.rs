//! `make bench`: OFAuto's performance figures side by side with their baselines, in one run.
//!
//! Every figure is measured in the same run as the baseline it is divided by, because a shared
//! two-core machine's speed drifts from one minute to the next; only the ratios travel.

mod analytics;
mod cold;
mod criterion_samples;
mod item_size;
mod load;
mod memory;
mod options;
mod raw;
mod report;
mod routes;
mod stack;
mod stats;

use std::collections::BTreeMap;
use std::time::Duration;

use ofauto_routes::Manifest;
use reqwest::Method;
use serde_json::{json, Value};

use crate::load::{Bounds, Latency};
use crate::options::Options;
use crate::routes::{Fixtures, Target};
use crate::stack::Stack;

#[tokio::main]
async fn main() {
    let opts = match options::parse(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{}", options::USAGE);
            return;
        }
        Err(e) => {
            eprintln!("ofauto-bench: {e}\n\n{}", options::USAGE);
            std::process::exit(2);
        }
    };
    if let Err(e) = run(opts).await {
        eprintln!("ofauto-bench: {e}");
        std::process::exit(1);
    }
}

async fn run(opts: Options) -> Result<(), String> {
    let machine_before = report::machine();
    let manifest = Manifest::load(&opts.manifest).map_err(|e| e.to_string())?;
    let state_dir = opts.out_dir.join("stack");
    let _ = std::fs::remove_dir_all(&state_dir);
    progress("starting the local stack from the release binaries");
    let stack = Stack::start(&opts.bin_dir, &state_dir, opts.concurrency).await?;
    let result = measure(&opts, &manifest, &stack).await;
    stack_log_note(&stack);
    let log_path = stack.log.clone();
    stack.stop().await;
    let mut results = result?;

    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    results.functions = memory::reports(&log);
    results.zips = memory::zip_sizes(&opts.lambda_dir);
    results.overhead = criterion_samples::read(&opts.criterion_dir);
    results.machine_before = machine_before;
    results.machine_after = report::machine();

    let json = report::json(&results, &opts);
    std::fs::create_dir_all(&opts.out_dir).map_err(|e| e.to_string())?;
    let path = opts.out_dir.join("bench.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json).expect("json"))
        .map_err(|e| e.to_string())?;
    print!("{}", report::table(&results, &opts));
    println!("\nJSON: {}", path.display());
    Ok(())
}

fn progress(what: &str) {
    eprintln!("bench: {what}");
}

fn stack_log_note(stack: &Stack) {
    progress(&format!("stack log: {}", stack.log.display()));
}

/// Everything measured, for the table and the JSON.
#[derive(Default)]
pub struct Results {
    pub cold: BTreeMap<String, cold::Runs>,
    pub routes: Vec<(String, Latency)>,
    pub raw: Vec<(String, String, Latency)>,
    pub mix_stack: Option<Latency>,
    pub mix_raw: Option<Latency>,
    pub analytics: Vec<analytics::ReadCost>,
    /// What this run could not measure, and why.
    pub not_measured: Vec<String>,
    /// The seeded event's stored size, for the cost model.
    pub event_item_bytes: usize,
    pub functions: BTreeMap<String, memory::FunctionReport>,
    pub zips: BTreeMap<String, u64>,
    pub overhead: Vec<criterion_samples::Overhead>,
    pub machine_before: Value,
    pub machine_after: Value,
}

async fn measure(opts: &Options, manifest: &Manifest, stack: &Stack) -> Result<Results, String> {
    let mut results = Results::default();

    progress(&format!("cold init: {} runs per binary", opts.cold_runs));
    let cold = cold::ColdInit::new(&opts.bin_dir, manifest, &stack.ready);
    let built = |name: &str| opts.bin_dir.join(name).is_file();
    let mut names = vec![cold::HELLO.to_string()];
    for name in &opts.cold_functions {
        if built(name) {
            names.push(name.clone());
        } else {
            let bin_dir = opts.bin_dir.display();
            results
                .not_measured
                .push(format!("cold init of {name}: no binary in {bin_dir}"));
        }
    }
    results.cold = cold.measure(&names, opts.cold_runs).await?;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(opts.concurrency * 2)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let api = stack.api();
    let target = |token: String| Target {
        client: client.clone(),
        api: api.clone(),
        token,
    };
    let editor = target(stack.token("bench", "editor").await?);
    let admin = target(stack.token("bench", "admin").await?);

    let fixtures = fixtures(&editor, &admin).await?;
    let table = stack.field("table");
    let raw_client = raw::client(&stack.field("dynamodb"));
    let raw = raw::Raw::new(raw_client.clone(), &table, "bench", &fixtures.event_id).await?;
    results.event_item_bytes = raw.template_bytes();

    let bounds = |seconds: u64| Bounds {
        concurrency: opts.concurrency,
        duration: Duration::from_secs(seconds),
        max_requests: opts.max_requests,
    };
    // A route is measured only if its function is built and its fixtures exist; anything else is
    // reported as not measured rather than as a wall of errors.
    let stack_ops: Vec<(&'static str, load::Op)> = routes::ops(&editor, &fixtures)
        .into_iter()
        .filter(|(name, _)| {
            let needs_channel = matches!(*name, "posts-create" | "automations-create");
            let ok = built(name) && (!needs_channel || !fixtures.channel_id.is_empty());
            if !ok {
                results.not_measured.push(format!(
                    "warm {name}: its function or its channel fixture is missing"
                ));
            }
            ok
        })
        .collect();
    progress("warming every route (a process per concurrent request)");
    for (_, op) in &stack_ops {
        load::run(op.clone(), bounds(opts.warmup_seconds)).await;
    }
    for (name, op) in &stack_ops {
        progress(&format!(
            "stack {name}: {} s at concurrency {}",
            opts.seconds, opts.concurrency
        ));
        results.routes.push((
            name.to_string(),
            load::run(op.clone(), bounds(opts.seconds)).await,
        ));
    }
    let raw_ops = raw.ops();
    for (name, operation, op) in &raw_ops {
        progress(&format!(
            "raw {operation}: {} s at concurrency {}",
            opts.seconds, opts.concurrency
        ));
        results.raw.push((
            name.to_string(),
            operation.to_string(),
            load::run(op.clone(), bounds(opts.seconds)).await,
        ));
    }

    let pick = |list: &[(&'static str, load::Op)], n: &str| {
        list.iter()
            .find(|(k, _)| *k == n)
            .map(|(_, op)| op.clone())
            .expect("route")
    };
    let seed_order = ["events-create", "events-list", "events-get", "health"];
    if seed_order
        .iter()
        .all(|n| stack_ops.iter().any(|(k, _)| k == n))
    {
        let stack_mix = load::mixed(seed_order.map(|n| pick(&stack_ops, n)));
        let raw_pairs: Vec<(&'static str, load::Op)> =
            raw_ops.iter().map(|(n, _, op)| (*n, op.clone())).collect();
        let raw_mix = load::mixed(seed_order.map(|n| pick(&raw_pairs, n)));
        progress(&format!(
            "seed mix: {} s on the stack, then on raw DynamoDB Local",
            opts.mix_seconds
        ));
        results.mix_stack = Some(load::run(stack_mix, bounds(opts.mix_seconds)).await);
        results.mix_raw = Some(load::run(raw_mix, bounds(opts.mix_seconds)).await);
    } else {
        results
            .not_measured
            .push("seed mix: one of its four routes is not measured".into());
    }

    let analytics_ready = ["events-create", "analytics-aggregator", "analytics-events"]
        .iter()
        .all(|n| built(n));
    if !analytics_ready {
        results.not_measured.push(
            "analytics read cost: events-create, analytics-aggregator or analytics-events not built"
                .into(),
        );
    }
    for &events in opts.analytics_events.iter().filter(|_| analytics_ready) {
        let tenant = format!("bench-analytics-{events}");
        progress(&format!(
            "analytics: {events} events for {tenant} over 30 days"
        ));
        let target = target(stack.token(&tenant, "editor").await?);
        let window = analytics::Window::last_30_days();
        analytics::seed(&target, &window, events, opts.concurrency).await?;
        let (total, buckets) =
            analytics::counted(&target, &window, events, Duration::from_secs(180)).await?;
        let (items, pages, units, max_item_bytes) =
            analytics::read_cost(&raw_client, &table, &tenant, &window).await?;
        if items == 0 || total != events {
            progress(&format!("analytics for {tenant}: {total} of {events} events counted, {items} counter items read"));
        }
        results.analytics.push(analytics::ReadCost {
            tenant,
            events,
            total_counted: total,
            buckets_answered: buckets,
            items_read: items,
            query_pages: pages,
            read_units: units,
            max_item_bytes,
        });
    }
    Ok(results)
}

/// One event to read, one channel for posts and automations to name, one day of analytics.
async fn fixtures(editor: &Target, admin: &Target) -> Result<Fixtures, String> {
    let event = editor
        .send(
            Method::POST,
            "/v1/events",
            Some(json!({"type": "bench.seed", "properties": {"plan": "pro"}})),
            201,
        )
        .await?;
    let channel = admin
        .send(
            Method::POST,
            "/v1/channels",
            Some(json!({"name": "bench", "kind": "webhook", "url": "http://127.0.0.1:9/hooks"})),
            201,
        )
        .await
        // Posts and automations need a channel; without one they are skipped, not failed.
        .unwrap_or_else(|e| {
            progress(&format!("no channel fixture: {e}"));
            Value::Null
        });
    let now = chrono::Utc::now();
    let fmt =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(Fixtures {
        event_id: event["id"].as_str().ok_or("no event id")?.to_string(),
        channel_id: channel["id"].as_str().unwrap_or_default().to_string(),
        analytics_query: format!(
            "granularity=hour&from={}&to={}",
            fmt(now - chrono::TimeDelta::days(1)),
            fmt(now)
        ),
    })
}
