//! A closed-loop load generator: `concurrency` workers, each sending its next request as soon as
//! the last one answers, for a fixed time and at most a fixed number of requests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::Serialize;

use crate::stats::percentile;

/// One request: its sequence number in, success or a reason out.
pub type Op = Arc<dyn Fn(u64) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub concurrency: usize,
    pub duration: Duration,
    pub max_requests: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub requests: usize,
    pub errors: usize,
    pub throughput_rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// The first failure seen, so a broken route says why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

pub async fn run(op: Op, bounds: Bounds) -> Latency {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + bounds.duration;
    let workers: Vec<_> = (0..bounds.concurrency)
        .map(|_| {
            let op = op.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut samples = Vec::new();
                let mut errors = Vec::new();
                while Instant::now() < deadline {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= bounds.max_requests {
                        break;
                    }
                    let sent = Instant::now();
                    match op(n).await {
                        Ok(()) => samples.push(sent.elapsed().as_secs_f64() * 1000.0),
                        Err(e) => errors.push(e),
                    }
                }
                (samples, errors)
            })
        })
        .collect();
    let mut samples = Vec::new();
    let mut errors = Vec::new();
    for worker in workers {
        let (s, e) = worker.await.expect("load worker panicked");
        samples.extend(s);
        errors.extend(e);
    }
    let elapsed = started.elapsed().as_secs_f64();
    samples.sort_by(f64::total_cmp);
    Latency {
        requests: samples.len() + errors.len(),
        errors: errors.len(),
        throughput_rps: samples.len() as f64 / elapsed,
        p50_ms: percentile(&samples, 50.0),
        p95_ms: percentile(&samples, 95.0),
        p99_ms: percentile(&samples, 99.0),
        first_error: errors.into_iter().next(),
    }
}

/// The seed's mix (30 % create, 50 % list, 15 % get, 5 % health) as an index into four
/// operations, spread evenly over every 20 requests so that any window has the mix.
pub fn seed_mix(n: u64) -> usize {
    match n % 20 {
        0..=5 => 0,
        6..=15 => 1,
        16..=18 => 2,
        _ => 3,
    }
}

/// Four operations (create, list, get, health) mixed as the seed mixes them.
pub fn mixed(ops: [Op; 4]) -> Op {
    Arc::new(move |n| (ops[seed_mix(n)])(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_is_the_seeds() {
        let mut counts = [0; 4];
        for n in 0..1000 {
            counts[seed_mix(n)] += 1;
        }
        assert_eq!(counts, [300, 500, 150, 50]);
    }

    #[tokio::test]
    async fn bounded_by_requests_and_counts_errors() {
        let op: Op = Arc::new(|n| {
            Box::pin(async move {
                if n % 10 == 0 {
                    Err(format!("failed {n}"))
                } else {
                    Ok(())
                }
            })
        });
        let bounds = Bounds {
            concurrency: 4,
            duration: Duration::from_secs(5),
            max_requests: 100,
        };
        let result = run(op, bounds).await;
        assert_eq!(result.requests, 100);
        assert_eq!(result.errors, 10);
        assert!(result.first_error.unwrap().starts_with("failed"));
    }
}
