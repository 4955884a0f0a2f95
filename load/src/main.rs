//! `ofauto-load`: goose load profiles for the local stack, each held to its seed's thresholds.
//!
//! Safety rails: the target must be loopback, and every run is bounded in time (a watchdog past
//! goose's own run time) and in requests (a budget that stops the attack), whatever it is told.
//! Exit codes: 0 passed, 1 a threshold was missed (each is named on stderr), 2 bad usage or
//! set-up, 3 the watchdog fired.

mod args;
mod attack;
mod call;
mod contention;
mod cpu;
mod profiles;
mod rng;
mod run;
mod stats;
mod summary;
mod target;
mod thresholds;
mod tokens;

use args::{Args, Profile};
use profiles::{event_service, ofauto, stress};
use std::process::ExitCode;
use thresholds::{Metric, Scope, Threshold};

#[tokio::main]
async fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(why) => {
            eprintln!("{why}");
            return ExitCode::from(2);
        }
    };
    if let Err(why) = target::loopback_only(&args.host) {
        eprintln!("ofauto-load: {why}");
        return ExitCode::from(2);
    }
    match execute(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(why) => {
            eprintln!("ofauto-load: {why}");
            ExitCode::from(2)
        }
    }
}

/// Runs the profile; true when every threshold passed.
async fn execute(args: &Args) -> Result<bool, String> {
    let tenants = tokens::mint_tenants(args, args.tenants.min(args.users))?;
    let channels = match args.profile {
        Profile::Ofauto => ofauto::create_channels(&args.host, &tenants).await?,
        _ => Vec::new(),
    };
    let tenant_count = tenants.len();
    let stressing = args.profile == Profile::Stress;
    run::install(run::Run::new(
        tenants,
        channels,
        args.max_requests,
        stressing,
    ));

    let (think_ms, mut rules) = match args.profile {
        Profile::Ofauto => (ofauto::THINK_MS, ofauto::thresholds()),
        Profile::EventService => (event_service::THINK_MS, event_service::thresholds()),
        Profile::Stress => (event_service::THINK_MS, Vec::new()),
    };
    override_overall(&mut rules, args);
    let think = profiles::think(think_ms.0, think_ms.1, args.think_scale);
    let scenario = match args.profile {
        Profile::Ofauto => ofauto::scenario(think),
        _ => event_service::scenario(think),
    }
    .map_err(|e| format!("scenario: {e}"))?;

    let shape = if stressing {
        attack::Shape {
            users: args.users,
            increase_rate: args.ramp_per_sec as f64,
            run_time: args.max_time,
            keep_ramp_metrics: true,
        }
    } else {
        attack::Shape {
            users: args.users,
            // All users started within about 10 s, whatever their number.
            increase_rate: (args.users as f64 / 10.0).max(5.0),
            run_time: args.run_time,
            keep_ramp_metrics: false,
        }
    };
    let stack = args
        .stack_pid
        .or_else(|| target::port(&args.host).and_then(cpu::find_stack));
    if stack.is_none() {
        eprintln!(
            "ofauto-load: no ofauto-local process found for {}; the CPU split counts only this process",
            args.host
        );
    }
    let watcher = stressing.then(|| tokio::spawn(stress::watch(args.window, args.max_time, stack)));
    let progress = (!stressing).then(|| tokio::spawn(progress()));

    let cpu_before = cpu::snapshot(stack);
    let metrics = attack::run(scenario, &args.host, &shape, &args.out_dir).await?;
    let cpu_after = cpu::snapshot(stack);
    let outcome = match watcher {
        Some(handle) => {
            handle.abort();
            handle.await.ok()
        }
        None => None,
    };
    if let Some(progress) = progress {
        progress.abort();
    }
    let other_share = cpu::other_share(&cpu_before, &cpu_after);
    let mut judged_note = None;
    if args.contention_scaled {
        let factor = contention::factor(other_share);
        contention::apply(&mut rules, factor);
        judged_note = Some(match factor {
            Some(f) => format!(
                "other processes took {:.0} % of the machine: time limits x{f:.2}",
                100.0 * other_share
            ),
            None => format!(
                "other processes took {:.0} % of the machine (over {:.0} %): latency not judged, only errors",
                100.0 * other_share,
                100.0 * contention::TOO_BUSY
            ),
        });
    }
    let stats = stats::from_metrics(&metrics);
    let verdicts = thresholds::judge(&rules, &stats);
    let run = run::get();
    let budget_hit = run.budget_hit.load(std::sync::atomic::Ordering::Relaxed);
    let ctx = summary::Context {
        profile: args.profile.name(),
        host: &args.host,
        users: args.users,
        tenants: tenant_count,
        tier: &args.tier,
        think_ms: (think.0.as_millis() as u64, think.1.as_millis() as u64),
        duration_s: metrics.duration,
        stopped_by: budget_hit.then(|| format!("request budget of {} spent", args.max_requests)),
    };
    summary::print(&ctx, &stats, &verdicts);
    let cpu_split = cpu::split(&cpu_before, &cpu_after);
    match &outcome {
        Some(outcome) => outcome.print(),
        None => {
            println!("CPU during the run, in % of one core:");
            for (part, pct) in &cpu_split {
                println!("  {pct:>6.1}  {part}");
            }
        }
    }
    if let Some(note) = &judged_note {
        println!("contention: {note}");
    }
    let mut json = summary::build(
        &ctx,
        &stats,
        &verdicts,
        outcome.as_ref().map(|o| o.to_json()),
    );
    json["cpu_split_pct_of_one_core"] = cpu_split
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::json!((v * 10.0).round() / 10.0)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    json["other_processes_share_pct"] = serde_json::json!((other_share * 1000.0).round() / 10.0);
    json["contention"] = serde_json::json!(judged_note);
    summary::write(&args.out_dir, &json)?;
    println!(
        "report: {}  summary: {}",
        args.out_dir.join("report.html").display(),
        args.out_dir.join("summary.json").display()
    );
    Ok(verdicts.iter().all(|v| v.passed))
}

/// A line every 10 s, so that a run inside `make test` is visibly alive.
async fn progress() {
    let started = std::time::Instant::now();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
    tick.tick().await;
    loop {
        tick.tick().await;
        let run = run::get();
        println!(
            "ofauto-load: {:>4} s, {} users started, {} requests sent",
            started.elapsed().as_secs(),
            run.users_started.load(std::sync::atomic::Ordering::Relaxed),
            run.sent.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
}

/// `--p95-ms`, `--p99-ms` and `--max-error-pct` replace (or add) the all-requests rules.
fn override_overall(rules: &mut Vec<Threshold>, args: &Args) {
    for (metric, value) in [
        (Metric::P95, args.p95_ms),
        (Metric::P99, args.p99_ms),
        (Metric::ErrorPct, args.max_error_pct),
    ] {
        if let Some(limit) = value {
            rules.retain(|r| !(r.scope == Scope::All && r.metric == metric));
            rules.push(Threshold::new(Scope::All, metric, limit));
        }
    }
}
