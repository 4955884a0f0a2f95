//! The table on stdout and the JSON in target/bench/bench.json, from the same figures, with each
//! goal beside the ratio it constrains.

use std::fmt::Write;

use serde_json::{json, Value};

use crate::cold::HELLO;
use crate::options::Options;
use crate::stats::{median, ratio};
use crate::Results;

const GOAL_COLD_RATIO: f64 = 1.5;
const GOAL_GET_THROUGHPUT_RATIO: f64 = 0.8;
const GOAL_MIX_P95_RATIO: f64 = 2.0;
const GOAL_OVERHEAD_P99_US: f64 = 100.0;
const GOAL_RSS_MB: u64 = 30;
const GOAL_ZIP_BYTES: u64 = 4 * 1024 * 1024;
const GOAL_ANALYTICS_ITEMS: i64 = 745;

/// Size and load of the machine, read from /proc.
pub fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let mem_kb: u64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let load: Vec<f64> = read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect();
    json!({
        "nproc": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "mem_total_mb": mem_kb / 1024,
        "loadavg": load,
        "cpu": read("/proc/cpuinfo").lines().find_map(|l| l.strip_prefix("model name")).map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()),
        "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "meets goal"
    } else {
        "MISSES goal"
    }
}

fn cold_medians(r: &Results) -> Vec<(String, f64, f64, f64)> {
    let hello = r
        .cold
        .get(HELLO)
        .map_or(f64::NAN, |runs| median(&runs.init_ms));
    let mut rows: Vec<_> = r
        .cold
        .iter()
        .map(|(name, runs)| {
            let m = median(&runs.init_ms);
            (name.clone(), m, ratio(m, hello), median(&runs.rss_mb))
        })
        .collect();
    rows.sort_by_key(|(n, ..)| (n != HELLO, n.clone()));
    rows
}

fn raw_for<'a>(r: &'a Results, route: &str) -> Option<&'a (String, String, crate::load::Latency)> {
    r.raw.iter().find(|(n, ..)| n == route)
}

fn get_throughput_ratio(r: &Results) -> f64 {
    let stack = r
        .routes
        .iter()
        .find(|(n, _)| n == "events-get")
        .map(|(_, l)| l.throughput_rps);
    let raw = raw_for(r, "events-get").map(|(.., l)| l.throughput_rps);
    ratio(stack.unwrap_or(f64::NAN), raw.unwrap_or(f64::NAN))
}

fn mix_p95_ratio(r: &Results) -> f64 {
    match (&r.mix_stack, &r.mix_raw) {
        (Some(s), Some(w)) => ratio(s.p95_ms, w.p95_ms),
        _ => f64::NAN,
    }
}

pub fn table(r: &Results, o: &Options) -> String {
    let mut t = String::new();
    let m = &r.machine_before;
    let _ = writeln!(
        t,
        "\nOFAuto bench: {} cores, {} MB RAM, load {} before / {} after; binaries from {}",
        m["nproc"],
        m["mem_total_mb"],
        m["loadavg"],
        r.machine_after["loadavg"],
        o.bin_dir.display()
    );

    let _ = writeln!(
        t,
        "\n1. Cold init, exec to first Runtime API poll (median of {} runs each)",
        o.cold_runs
    );
    let _ = writeln!(
        t,
        "{:<22} {:>10} {:>10} {:>12}",
        "binary", "init ms", "x hello", "RSS MB"
    );
    for (name, ms, x, rss) in cold_medians(r) {
        let goal = if name == HELLO {
            "baseline".into()
        } else {
            verdict(x <= GOAL_COLD_RATIO).to_string()
        };
        let _ = writeln!(t, "{name:<22} {ms:>10.2} {x:>10.2} {rss:>12.0}   {goal}");
    }
    let _ = writeln!(t, "goal: <= {GOAL_COLD_RATIO}x the hello world");

    let _ = writeln!(
        t,
        "\n2. Warm latency at concurrency {}, {} s per route: stack (release) vs raw DynamoDB Local",
        o.concurrency, o.seconds
    );
    let _ = writeln!(
        t,
        "{:<20} {:>7} {:>7} {:>7} {:>8} {:>5} | {:<14} {:>6} {:>6} {:>6} {:>8} | {:>7} {:>7}",
        "route",
        "p50 ms",
        "p95",
        "p99",
        "req/s",
        "err",
        "raw op",
        "p50",
        "p95",
        "p99",
        "req/s",
        "thr x",
        "p95 x"
    );
    for (name, s) in &r.routes {
        let mut line = format!(
            "{:<20} {:>7.2} {:>7.2} {:>7.2} {:>8.0} {:>5}",
            name, s.p50_ms, s.p95_ms, s.p99_ms, s.throughput_rps, s.errors
        );
        match raw_for(r, name) {
            Some((_, op, w)) => {
                let _ = write!(
                    line,
                    " | {:<14} {:>6.2} {:>6.2} {:>6.2} {:>8.0} | {:>7.2} {:>7.2}",
                    op,
                    w.p50_ms,
                    w.p95_ms,
                    w.p99_ms,
                    w.throughput_rps,
                    ratio(s.throughput_rps, w.throughput_rps),
                    ratio(s.p95_ms, w.p95_ms)
                );
            }
            None => line.push_str(" | (no raw baseline)"),
        }
        let _ = writeln!(t, "{line}");
        if let Some(e) = &s.first_error {
            let _ = writeln!(t, "    first error: {e}");
        }
    }
    if let (Some(s), Some(w)) = (&r.mix_stack, &r.mix_raw) {
        let _ = writeln!(
            t,
            "{:<20} {:>7.2} {:>7.2} {:>7.2} {:>8.0} {:>5} | {:<14} {:>6.2} {:>6.2} {:>6.2} {:>8.0} | {:>7.2} {:>7.2}",
            "seed mix 30/50/15/5", s.p50_ms, s.p95_ms, s.p99_ms, s.throughput_rps, s.errors, "Put/Query/Get/Desc",
            w.p50_ms, w.p95_ms, w.p99_ms, w.throughput_rps,
            ratio(s.throughput_rps, w.throughput_rps), ratio(s.p95_ms, w.p95_ms)
        );
    }
    let g = get_throughput_ratio(r);
    let p = mix_p95_ratio(r);
    let _ = writeln!(
        t,
        "get throughput ratio {g:.2} (goal >= {GOAL_GET_THROUGHPUT_RATIO}): {}",
        verdict(g >= GOAL_GET_THROUGHPUT_RATIO)
    );
    let _ = writeln!(
        t,
        "seed-mix p95 ratio {p:.2} (goal <= {GOAL_MIX_P95_RATIO}): {}",
        verdict(p <= GOAL_MIX_P95_RATIO)
    );

    let _ = writeln!(
        t,
        "\n3. Handler overhead in process (criterion; p99 over its samples' per-iteration means)"
    );
    if r.overhead.is_empty() {
        let _ = writeln!(
            t,
            "no criterion output in {} (run `cargo bench -p ofauto-bench`)",
            o.criterion_dir.display()
        );
    }
    for h in &r.overhead {
        let _ = writeln!(
            t,
            "{:<40} {:>4} samples  p50 {:>8.2} us  p99 {:>8.2} us   {}",
            h.name,
            h.samples,
            h.p50_us,
            h.p99_us,
            verdict(h.p99_us <= GOAL_OVERHEAD_P99_US)
        );
    }

    let _ = writeln!(
        t,
        "\n4. Peak RSS under this run's load (REPORT Max Memory Used) and arm64 zip size"
    );
    let _ = writeln!(
        t,
        "{:<22} {:>7} {:>8} {:>10} {:>10}",
        "function", "invokes", "max MB", "dur p50 ms", "zip MB"
    );
    let mut names: Vec<&String> = r.functions.keys().collect();
    for name in r.cold.keys().filter(|n| *n != HELLO) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.sort();
    for name in names {
        let f = r.functions.get(name).cloned().unwrap_or_default();
        let zip = r
            .zips
            .get(name)
            .map_or("-".to_string(), |b| format!("{:.2}", *b as f64 / 1048576.0));
        let rss_ok = f.max_memory_mb <= GOAL_RSS_MB;
        let zip_ok = r.zips.get(name).is_none_or(|b| *b <= GOAL_ZIP_BYTES);
        let mem = if f.invocations == 0 {
            "-".to_string()
        } else {
            f.max_memory_mb.to_string()
        };
        let _ = writeln!(
            t,
            "{:<22} {:>7} {:>8} {:>10.2} {:>10}   {}",
            name,
            f.invocations,
            mem,
            f.duration_p50_ms,
            zip,
            verdict(rss_ok && zip_ok)
        );
    }
    if r.zips.is_empty() {
        let _ = writeln!(
            t,
            "zip sizes: none in {} - run `make package`",
            o.lambda_dir.display()
        );
    }
    let _ = writeln!(t, "goals: <= {GOAL_RSS_MB} MB peak RSS, <= 4 MB zip");
    let _ = writeln!(t, "stored event item: {} bytes", r.event_item_bytes);

    let _ = writeln!(t, "\n5. Analytics read cost, 30 days hourly");
    for a in &r.analytics {
        let _ = writeln!(
            t,
            "{:>6} events (counted {:>6}, {} buckets): {:>4} items read in {} page(s), {:.1} RCU, largest item {} B   {}",
            a.events, a.total_counted, a.buckets_answered, a.items_read, a.query_pages, a.read_units, a.max_item_bytes,
            verdict(a.items_read > 0 && a.items_read <= GOAL_ANALYTICS_ITEMS && a.total_counted == a.events)
        );
    }
    if !r.not_measured.is_empty() {
        let _ = writeln!(t, "\nNot measured in this run:");
        for m in &r.not_measured {
            let _ = writeln!(t, "  {m}");
        }
    }
    t
}

pub fn json(r: &Results, o: &Options) -> Value {
    let cold: Vec<Value> = cold_medians(r)
        .into_iter()
        .map(|(name, ms, x, rss)| {
            let runs = &r.cold[&name].init_ms;
            json!({"binary": name, "runs": runs.len(), "median_ms": ms, "ratio_to_hello": x, "rss_at_init_mb": rss, "samples_ms": runs})
        })
        .collect();
    let routes: Vec<Value> = r
        .routes
        .iter()
        .map(|(name, s)| {
            let raw = raw_for(r, name);
            json!({
                "route": name,
                "stack": s,
                "raw": raw.map(|(_, op, l)| json!({"operation": op, "latency": l})),
                "throughput_ratio": raw.map(|(.., l)| ratio(s.throughput_rps, l.throughput_rps)),
                "p95_ratio": raw.map(|(.., l)| ratio(s.p95_ms, l.p95_ms)),
            })
        })
        .collect();
    json!({
        "machine": {"before": r.machine_before, "after": r.machine_after},
        "options": {"bin_dir": o.bin_dir, "cold_runs": o.cold_runs, "concurrency": o.concurrency, "seconds": o.seconds, "mix_seconds": o.mix_seconds},
        "cold_init": {"goal_ratio": GOAL_COLD_RATIO, "binaries": cold},
        "warm": {
            "routes": routes,
            "seed_mix": {"stack": r.mix_stack, "raw": r.mix_raw, "p95_ratio": mix_p95_ratio(r), "goal_p95_ratio": GOAL_MIX_P95_RATIO},
            "get_throughput_ratio": get_throughput_ratio(r),
            "goal_get_throughput_ratio": GOAL_GET_THROUGHPUT_RATIO,
        },
        "handler_overhead": {"goal_p99_us": GOAL_OVERHEAD_P99_US, "benches": r.overhead},
        "functions": r.functions,
        "zip_bytes": r.zips,
        "goals": {"rss_mb": GOAL_RSS_MB, "zip_bytes": GOAL_ZIP_BYTES, "analytics_items": GOAL_ANALYTICS_ITEMS},
        "analytics": r.analytics,
        "event_item_bytes": r.event_item_bytes,
        "not_measured": r.not_measured,
    })
}
