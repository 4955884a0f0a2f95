//! Handler overhead from criterion's own samples (`target/criterion/**/new/sample.json`): each
//! sample is a batch of iterations, so its mean per iteration is one observation, and the p99 is
//! taken over those.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::stats::percentile;

#[derive(Deserialize)]
struct Sample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

#[derive(Deserialize)]
struct Benchmark {
    full_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overhead {
    pub name: String,
    pub samples: usize,
    pub p50_us: f64,
    pub p99_us: f64,
}

pub fn read(criterion_dir: &Path) -> Vec<Overhead> {
    let mut out = Vec::new();
    visit(criterion_dir, &mut out);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn visit(dir: &Path, out: &mut Vec<Overhead>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some(o) = load(&path) {
                out.push(o);
            }
        } else {
            visit(&path, out);
        }
    }
}

fn load(new: &Path) -> Option<Overhead> {
    let sample: Sample =
        serde_json::from_slice(&std::fs::read(new.join("sample.json")).ok()?).ok()?;
    let bench: Benchmark =
        serde_json::from_slice(&std::fs::read(new.join("benchmark.json")).ok()?).ok()?;
    let mut per_iter_us: Vec<f64> = sample
        .iters
        .iter()
        .zip(&sample.times)
        .filter(|(i, _)| **i > 0.0)
        .map(|(i, t)| t / i / 1000.0)
        .collect();
    per_iter_us.sort_by(f64::total_cmp);
    Some(Overhead {
        name: bench.full_id,
        samples: per_iter_us.len(),
        p50_us: percentile(&per_iter_us, 50.0),
        p99_us: percentile(&per_iter_us, 99.0),
    })
}
