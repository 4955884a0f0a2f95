//! Per-endpoint and overall figures from goose's request metrics: its percentile over its own
//! response-time buckets, and for the overall row the buckets of every endpoint added together.

use goose::metrics::{GooseMetrics, GooseRequestMetricTimingData};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub count: usize,
    pub failures: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub status_codes: BTreeMap<u16, usize>,
}

impl Stats {
    pub fn error_pct(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            100.0 * self.failures as f64 / self.count as f64
        }
    }

    fn from_timing(
        timing: &GooseRequestMetricTimingData,
        failures: usize,
        codes: BTreeMap<u16, usize>,
    ) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Stats {
            count: timing.counter,
            failures,
            p50_ms: ms(timing.percentile_us(0.50)),
            p95_ms: ms(timing.percentile_us(0.95)),
            p99_ms: ms(timing.percentile_us(0.99)),
            max_ms: ms(timing.maximum_time_us),
            mean_ms: if timing.counter == 0 {
                0.0
            } else {
                timing.total_time_us as f64 / timing.counter as f64 / 1000.0
            },
            status_codes: codes,
        }
    }

    pub fn to_json(&self) -> Value {
        let round = |v: f64| (v * 100.0).round() / 100.0;
        json!({
            "count": self.count,
            "failures": self.failures,
            "error_rate_pct": round(self.error_pct()),
            "p50_ms": round(self.p50_ms),
            "p95_ms": round(self.p95_ms),
            "p99_ms": round(self.p99_ms),
            "max_ms": round(self.max_ms),
            "mean_ms": round(self.mean_ms),
            "status_codes": self.status_codes.iter()
                .map(|(code, n)| (code.to_string(), json!(n)))
                .collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// Every endpoint by its goose name ("GET /v1/events/{id}"), and all of them together.
pub struct RunStats {
    pub endpoints: BTreeMap<String, Stats>,
    pub overall: Stats,
}

pub fn from_metrics(metrics: &GooseMetrics) -> RunStats {
    let mut endpoints = BTreeMap::new();
    let mut merged: HashMap<u64, usize> = HashMap::new();
    let mut all = GooseRequestMetricTimingData::default();
    let mut failures = 0;
    let mut codes: BTreeMap<u16, usize> = BTreeMap::new();
    for (name, request) in &metrics.requests {
        let timing = &request.raw_data;
        let endpoint_codes: BTreeMap<u16, usize> = request
            .status_code_counts
            .iter()
            .map(|(c, n)| (*c, *n))
            .collect();
        for (code, n) in &endpoint_codes {
            *codes.entry(*code).or_default() += n;
        }
        endpoints.insert(
            name.clone(),
            Stats::from_timing(timing, request.fail_count, endpoint_codes),
        );
        for (bucket, count) in timing.times_us.iter() {
            *merged.entry(*bucket).or_default() += count;
        }
        if timing.counter > 0 {
            all.minimum_time_us = match all.counter {
                0 => timing.minimum_time_us,
                _ => all.minimum_time_us.min(timing.minimum_time_us),
            };
            all.maximum_time_us = all.maximum_time_us.max(timing.maximum_time_us);
        }
        all.total_time_us += timing.total_time_us;
        all.counter += timing.counter;
        failures += request.fail_count;
    }
    for (bucket, count) in merged {
        all.times_us.insert(bucket, count);
    }
    RunStats {
        endpoints,
        overall: Stats::from_timing(&all, failures, codes),
    }
}

/// Exact percentiles of a list of microsecond times, for the stress profile's sliding window
/// (which goose does not keep).
pub fn percentile_ms(sorted_us: &[u64], fraction: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((fraction * sorted_us.len() as f64).ceil() as usize).clamp(1, sorted_us.len());
    sorted_us[rank - 1] as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let times: Vec<u64> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile_ms(&times, 0.95), 95.0);
        assert_eq!(percentile_ms(&times, 0.50), 50.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }

    #[test]
    fn error_rate_is_a_percentage_of_requests() {
        let s = Stats {
            count: 200,
            failures: 3,
            ..Stats::default()
        };
        assert_eq!(s.error_pct(), 1.5);
        assert_eq!(Stats::default().error_pct(), 0.0);
    }
}
