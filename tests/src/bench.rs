//! What the benchmarks (`tests/examples/bench_*.rs`) print their figures with. The machines
//! are shared, so each figure goes out with the load average around it and as percentiles.

use serde_json::json;

use crate::fixtures::Tenant;
use crate::receiver::{receiver, Endpoint, Step};

/// A webhook channel whose endpoint on the local receiver answers 200 at once: what a benchmark
/// delivers to, so that only the stack is measured.
pub struct BenchChannel {
    pub id: String,
    pub endpoint: Endpoint,
}

impl BenchChannel {
    pub async fn new(tenant: &Tenant) -> Self {
        let name = format!("bench-{}", ulid::Ulid::new().to_string().to_lowercase());
        let endpoint = receiver().endpoint(&name);
        let body = tenant
            .bulk("admin")
            .post_json(
                "/v1/channels",
                &json!({"name": name, "kind": "webhook", "url": endpoint.url()}),
            )
            .await
            .ok_json(201);
        let secret = body["signing_secret"]
            .as_str()
            .expect("a secret")
            .to_owned();
        endpoint.configure(&[secret], vec![], Step::ok()).await;
        Self {
            id: body["id"].as_str().expect("an id").to_owned(),
            endpoint,
        }
    }
}

/// The 1, 5 and 15-minute load averages, as `/proc/loadavg` has them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The nearest-rank `p`th percentile (0 is the minimum, 100 the maximum); NaN for no values.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).rev().collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&values, 0.0), 1.0);
        assert_eq!(percentile(&values, 100.0), 100.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
