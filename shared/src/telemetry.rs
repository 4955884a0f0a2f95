//! JSON logs and EMF metrics.
//!
//! Diagnostic logs go through `tracing` as JSON, carrying the request span (request id, tenant,
//! route). The one line per request is written directly as a CloudWatch Embedded Metric Format
//! document: CloudWatch turns it into latency and count metrics with no agent and no API call,
//! and it is still an ordinary JSON log line to search.

use std::time::Duration;

use serde_json::json;
use tracing_subscriber::EnvFilter;

pub const METRICS_NAMESPACE: &str = "OFAuto";

/// Installs the JSON subscriber. `LOG_LEVEL` takes an EnvFilter directive; bad values fail fast.
pub fn init() -> Result<(), crate::config::ConfigError> {
    let directive = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    let filter =
        EnvFilter::try_new(&directive).map_err(|e| crate::config::ConfigError::Invalid {
            name: "LOG_LEVEL",
            reason: e.to_string(),
        })?;
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .flatten_event(true)
        .with_ansi(false)
        .init();
    Ok(())
}

pub fn request_line(request_id: &str, tenant: &str, route: &str, status: u16, latency: Duration) {
    println!(
        "{}",
        request_document(request_id, tenant, route, status, latency, now_millis())
    );
}

/// One EMF count for the running function, e.g. records parked on its dead-letter queue. The
/// alarm on it pages whoever must look at the queue; zero counts are not worth a log line.
pub fn count(metric: &str, value: usize) {
    if value > 0 {
        println!("{}", count_document(metric, value, now_millis()));
    }
}

fn count_document(metric: &str, value: usize, timestamp_ms: i64) -> serde_json::Value {
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
    let mut document = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": METRICS_NAMESPACE,
                "Dimensions": [["function"]],
                "Metrics": [{"Name": metric, "Unit": "Count"}]
            }]
        },
        "level": "INFO",
        "message": "metric",
        "function": function,
    });
    document[metric] = json!(value);
    document
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn request_document(
    request_id: &str,
    tenant: &str,
    route: &str,
    status: u16,
    latency: Duration,
    timestamp_ms: i64,
) -> serde_json::Value {
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": METRICS_NAMESPACE,
                // Route only: per-tenant dimensions would explode metric cardinality and cost.
                "Dimensions": [["function"], ["function", "status_class"]],
                "Metrics": [
                    {"Name": "latency", "Unit": "Milliseconds"},
                    {"Name": "requests", "Unit": "Count"}
                ]
            }]
        },
        "level": "INFO",
        "message": "request",
        "function": function,
        "status_class": format!("{}xx", status / 100),
        "request_id": request_id,
        "tenant": tenant,
        "route": route,
        "status": status,
        "latency": latency.as_secs_f64() * 1000.0,
        "requests": 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_is_a_valid_emf_document() {
        let doc = request_document(
            "r1",
            "acme",
            "GET /v1/events",
            200,
            Duration::from_millis(12),
            1,
        );
        let metrics = &doc["_aws"]["CloudWatchMetrics"][0];
        // EMF requires every metric and dimension to be a top-level member of the document.
        for metric in metrics["Metrics"].as_array().unwrap() {
            assert!(doc.get(metric["Name"].as_str().unwrap()).is_some());
        }
        for set in metrics["Dimensions"].as_array().unwrap() {
            for dim in set.as_array().unwrap() {
                assert!(doc.get(dim.as_str().unwrap()).is_some());
            }
        }
        assert_eq!(doc["status"], 200);
        assert_eq!(doc["tenant"], "acme");
        assert_eq!(doc["latency"], 12.0);
    }

    #[test]
    fn a_count_is_an_emf_metric_named_after_its_value() {
        let doc = count_document("poison_records", 2, 1_700_000_000_000);
        assert_eq!(doc["poison_records"], 2);
        let declared = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Metrics"][0]["Name"], "poison_records");
        assert_eq!(declared["Namespace"], METRICS_NAMESPACE);
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000_i64);
    }
}
