//! The run's own JSON summary and its verdict on the terminal: per endpoint count, p50/p95/p99
//! and error rate, then each threshold with what was measured.

use crate::stats::RunStats;
use crate::thresholds::Verdict;
use serde_json::{json, Map, Value};
use std::path::Path;

pub struct Context<'a> {
    pub profile: &'a str,
    pub host: &'a str,
    pub users: usize,
    pub tenants: usize,
    pub tier: &'a str,
    pub think_ms: (u64, u64),
    pub duration_s: usize,
    pub stopped_by: Option<String>,
}

pub fn build(ctx: &Context, stats: &RunStats, verdicts: &[Verdict], extra: Option<Value>) -> Value {
    let endpoints: Map<String, Value> = stats
        .endpoints
        .iter()
        .map(|(name, s)| (name.clone(), s.to_json()))
        .collect();
    let rps = if ctx.duration_s == 0 {
        0.0
    } else {
        stats.overall.count as f64 / ctx.duration_s as f64
    };
    let mut summary = json!({
        "profile": ctx.profile,
        "host": ctx.host,
        "finished_at": chrono::Utc::now().to_rfc3339(),
        "users": ctx.users,
        "tenants": ctx.tenants,
        "tier": ctx.tier,
        "think_time_ms": [ctx.think_ms.0, ctx.think_ms.1],
        "duration_s": ctx.duration_s,
        "requests_per_s": (rps * 10.0).round() / 10.0,
        "stopped_by": ctx.stopped_by,
        "overall": stats.overall.to_json(),
        "endpoints": endpoints,
        "thresholds": verdicts.iter().map(Verdict::to_json).collect::<Vec<_>>(),
        "passed": verdicts.iter().all(|v| v.passed),
    });
    if let Some(extra) = extra {
        summary[ctx.profile] = extra;
    }
    summary
}

pub fn write(out_dir: &Path, summary: &Value) -> Result<(), String> {
    let path = out_dir.join("summary.json");
    let text = serde_json::to_string_pretty(summary).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

/// The table and the verdicts, on stdout; each missed threshold also on stderr.
pub fn print(ctx: &Context, stats: &RunStats, verdicts: &[Verdict]) {
    println!();
    println!(
        "== {} : {} users over {} tenants (tier {}), think {}-{} ms, {} s measured ==",
        ctx.profile,
        ctx.users,
        ctx.tenants,
        ctx.tier,
        ctx.think_ms.0,
        ctx.think_ms.1,
        ctx.duration_s
    );
    println!(
        "{:<34} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9}",
        "endpoint", "count", "err %", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let rows = stats
        .endpoints
        .iter()
        .map(|(n, s)| (n.as_str(), s))
        .chain(std::iter::once(("all requests", &stats.overall)));
    for (name, s) in rows {
        println!(
            "{:<34} {:>8} {:>7.2} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            name,
            s.count,
            s.error_pct(),
            s.p50_ms,
            s.p95_ms,
            s.p99_ms,
            s.max_ms
        );
    }
    if ctx.duration_s > 0 {
        println!(
            "throughput: {:.1} req/s",
            stats.overall.count as f64 / ctx.duration_s as f64
        );
    }
    if let Some(why) = &ctx.stopped_by {
        println!("stopped early: {why}");
    }
    for v in verdicts {
        let mark = if v.passed { "pass" } else { "FAIL" };
        println!("{mark}  {}  (measured {:.2})", v.rule, v.measured);
        if !v.passed {
            eprintln!(
                "ofauto-load: threshold missed: {} (measured {:.2})",
                v.rule, v.measured
            );
        }
    }
}
