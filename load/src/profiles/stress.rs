//! The stress profile: the Event Service seed's users, added a few per second, until the last
//! `window` seconds show p95 > 1 s or errors > 1 %. It then stops and reports the request rate
//! and user count where that happened, the best window before it, and where the CPU went.

use crate::cpu;
use crate::run::{self, Sample};
use crate::stats::percentile_ms;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub const P95_LIMIT_MS: f64 = 1000.0;
pub const ERROR_LIMIT_PCT: f64 = 1.0;
/// A window judged on fewer requests than this proves nothing either way.
const MIN_SAMPLES: usize = 30;

#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub at_s: f64,
    pub users: usize,
    pub rps: f64,
    pub p95_ms: f64,
    pub error_pct: f64,
    pub count: usize,
}

impl Window {
    fn to_json(self) -> Value {
        let r = |v: f64| (v * 10.0).round() / 10.0;
        json!({
            "at_s": r(self.at_s), "users": self.users, "requests_per_s": r(self.rps),
            "p95_ms": r(self.p95_ms), "error_pct": r(self.error_pct), "requests": self.count,
        })
    }
}

pub struct Outcome {
    pub broke: Option<(Window, String)>,
    pub best: Window,
    pub timeline: Vec<Window>,
    pub cpu: Vec<(String, f64)>,
}

impl Outcome {
    pub fn to_json(&self) -> Value {
        json!({
            "limits": {"p95_ms": P95_LIMIT_MS, "error_pct": ERROR_LIMIT_PCT},
            "broke": self.broke.as_ref().map(|(w, why)| json!({"window": w.to_json(), "why": why})),
            "best_window_before": self.best.to_json(),
            "cpu_split_pct_of_one_core": self.cpu.iter()
                .map(|(k, v)| (k.clone(), json!((v * 10.0).round() / 10.0)))
                .collect::<serde_json::Map<_, _>>(),
            "timeline": self.timeline.iter().map(|w| w.to_json()).collect::<Vec<_>>(),
        })
    }

    pub fn print(&self) {
        println!();
        match &self.broke {
            Some((w, why)) => println!(
                "stress: broke at {:.0} s with {} users, {:.1} req/s: {why}",
                w.at_s, w.users, w.rps
            ),
            None => println!("stress: did not break within its bounds"),
        }
        let b = self.best;
        println!(
            "stress: best window before that: {:.1} req/s at {} users (p95 {:.0} ms, errors {:.2} %)",
            b.rps, b.users, b.p95_ms, b.error_pct
        );
        println!("stress: CPU over the last window, in % of one core:");
        for (part, pct) in &self.cpu {
            println!("  {pct:>6.1}  {part}");
        }
    }
}

/// Judges the sliding window once a second until it breaks or `max_time` passes, then stops the
/// attack through goose's killswitch.
pub async fn watch(window: Duration, max_time: Duration, stack: Option<u32>) -> Outcome {
    let run = run::get();
    // Goose builds every user's HTTP client before it starts the first one, which takes seconds
    // for 2,000 users: the ramp, and its clock, start with the first user.
    while run.users_started.load(Ordering::Relaxed) == 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let started = Instant::now();
    let mut cpu_history: VecDeque<cpu::Snapshot> = VecDeque::new();
    let mut timeline = Vec::new();
    let mut best = Window::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        cpu_history.push_back(cpu::snapshot(stack));
        if cpu_history.len() > window.as_secs() as usize + 1 {
            cpu_history.pop_front();
        }
        let elapsed = started.elapsed();
        let w = judge_window(run, window, started);
        if elapsed.as_secs().is_multiple_of(5) {
            println!(
                "stress: {:>4.0} s  {:>5} users  {:>7.1} req/s  p95 {:>7.1} ms  errors {:>5.2} %",
                w.at_s, w.users, w.rps, w.p95_ms, w.error_pct
            );
            timeline.push(w);
        }
        let cpu_now = || {
            cpu::split(
                cpu_history.front().unwrap_or(&cpu::Snapshot::default()),
                cpu_history.back().unwrap_or(&cpu::Snapshot::default()),
            )
        };
        let full = elapsed >= window && w.count >= MIN_SAMPLES;
        let why = if !full {
            None
        } else if w.p95_ms > P95_LIMIT_MS {
            Some(format!("p95 {:.0} ms > {P95_LIMIT_MS} ms", w.p95_ms))
        } else if w.error_pct > ERROR_LIMIT_PCT {
            Some(format!("errors {:.2} % > {ERROR_LIMIT_PCT} %", w.error_pct))
        } else {
            None
        };
        if let Some(why) = why {
            timeline.push(w);
            goose::trigger_killswitch(&format!("stress limit reached: {why}"));
            return Outcome {
                broke: Some((w, why)),
                best,
                timeline,
                cpu: cpu_now(),
            };
        }
        if full && w.rps > best.rps {
            best = w;
        }
        if elapsed >= max_time || run.budget_hit.load(Ordering::Relaxed) {
            goose::trigger_killswitch("stress bound reached without breaking");
            return Outcome {
                broke: None,
                best,
                timeline,
                cpu: cpu_now(),
            };
        }
    }
}

/// The requests started within the last `window`, dropping older ones.
fn judge_window(run: &run::Run, window: Duration, started: Instant) -> Window {
    let now = Instant::now();
    let cutoff = now.checked_sub(window).unwrap_or(started);
    let recent: Vec<Sample> = match &run.samples {
        Some(samples) => {
            let mut samples = samples.lock().unwrap_or_else(|e| e.into_inner());
            while samples.front().is_some_and(|s| s.at < cutoff) {
                samples.pop_front();
            }
            samples.iter().copied().collect()
        }
        None => Vec::new(),
    };
    let span = now
        .duration_since(cutoff.max(started))
        .as_secs_f64()
        .max(1.0);
    let mut times: Vec<u64> = recent.iter().map(|s| s.micros).collect();
    times.sort_unstable();
    let failures = recent.iter().filter(|s| !s.ok).count();
    Window {
        at_s: now.duration_since(started).as_secs_f64(),
        users: run.users_started.load(Ordering::Relaxed),
        rps: recent.len() as f64 / span,
        p95_ms: percentile_ms(&times, 0.95),
        error_pct: if recent.is_empty() {
            0.0
        } else {
            100.0 * failures as f64 / recent.len() as f64
        },
        count: recent.len(),
    }
}
