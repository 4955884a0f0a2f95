//! One EMF document per dispatcher tick or deliverer batch, with every number it measured.
//!
//! `telemetry::count` writes one count per line; a tick or a batch measures several things at
//! once, latencies among them, and CloudWatch takes a list of values per metric (up to 100) in
//! one document, so percentiles of delivery latency and lateness come out of one line per batch.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::config::{self, Env};
use crate::telemetry::METRICS_NAMESPACE;

/// CloudWatch reads at most this many values of one metric from one document.
const MAX_VALUES: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// The numbers one document reports, in the order they were added.
#[derive(Debug, Default, Clone)]
pub(crate) struct Metrics {
    entries: Vec<(&'static str, Unit, Vec<f64>)>,
}

impl Metrics {
    pub fn count(mut self, name: &'static str, value: usize) -> Self {
        self.entries.push((name, Unit::Count, vec![value as f64]));
        self
    }

    /// Millisecond samples; none at all leaves the metric out (no data, rather than a zero).
    pub fn millis(mut self, name: &'static str, samples: impl IntoIterator<Item = f64>) -> Self {
        let samples: Vec<f64> = samples.into_iter().take(MAX_VALUES).collect();
        if !samples.is_empty() {
            self.entries.push((name, Unit::Milliseconds, samples));
        }
        self
    }

    /// Writes the document to stdout, where Lambda's log capture hands it to CloudWatch.
    pub fn emit(&self) {
        println!(
            "{}",
            self.document(function_name(), chrono::Utc::now().timestamp_millis())
        );
    }

    fn document(&self, function: &str, timestamp_ms: i64) -> Value {
        let mut document = Map::new();
        let declared: Vec<Value> = self
            .entries
            .iter()
            .map(|(name, unit, _)| json!({"Name": name, "Unit": unit.as_str()}))
            .collect();
        document.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": METRICS_NAMESPACE,
                    "Dimensions": [["function"]],
                    "Metrics": declared,
                }]
            }),
        );
        document.insert("level".into(), json!("INFO"));
        document.insert("message".into(), json!("metrics"));
        document.insert("function".into(), json!(function));
        for (name, _, values) in &self.entries {
            let value = match values.as_slice() {
                [one] => json!(one),
                many => json!(many),
            };
            document.insert((*name).into(), value);
        }
        Value::Object(document)
    }
}

/// The running function's name, as `telemetry` reports it: read once.
fn function_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| config::function_name(&Env::process()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_metric_is_a_member_of_the_document() {
        let doc = Metrics::default()
            .count("posts_delivered", 3)
            .millis("delivery_latency", [12.0, 30.5])
            .millis("lateness", [])
            .document("deliverer", 1_700_000_000_000);
        let declared = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap();
        assert_eq!(declared.len(), 2, "a metric without samples is left out");
        for metric in declared {
            assert!(doc.get(metric["Name"].as_str().unwrap()).is_some());
        }
        assert_eq!(doc["posts_delivered"], 3.0);
        assert_eq!(doc["delivery_latency"], json!([12.0, 30.5]));
        assert_eq!(declared[1]["Unit"], "Milliseconds");
        assert_eq!(doc["function"], "deliverer");
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "OFAuto");
    }

    #[test]
    fn at_most_a_hundred_samples_go_in_one_document() {
        let doc = Metrics::default()
            .millis("lag", (0..500).map(f64::from))
            .document("dispatcher", 0);
        assert_eq!(doc["lag"].as_array().unwrap().len(), MAX_VALUES);
    }
}
