//! JSON logs and EMF metrics.
//!
//! Diagnostic logs go through `tracing` as JSON, carrying the request span (request id, tenant,
//! route). The one line per request is written directly as a CloudWatch Embedded Metric Format
//! document: CloudWatch turns it into latency and count metrics with no agent and no API call,
//! and it is still an ordinary JSON log line to search.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::json;
use tracing_subscriber::EnvFilter;

pub(crate) const METRICS_NAMESPACE: &str = "OFAuto";

/// A validated `LOG_LEVEL`: an `EnvFilter` directive such as `info` or `warn,shared=debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogLevel(String);

impl LogLevel {
    pub fn parse(raw: &str) -> Result<Self, String> {
        EnvFilter::try_new(raw).map_err(|e| e.to_string())?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for LogLevel {
    fn default() -> Self {
        Self("info".into())
    }
}

/// The running function's name, set once at cold start by `install`: the per-request log line
/// and the metrics carry it without reading the environment on every request.
static FUNCTION_NAME: OnceLock<String> = OnceLock::new();

/// Installs the JSON subscriber at `level` and records the function's name for the metrics. The
/// first call wins; later ones change nothing.
pub(crate) fn install(level: &LogLevel, function_name: &str) {
    // The first name stays, like the first subscriber.
    let first = FUNCTION_NAME.set(function_name.to_owned()).is_ok();
    let filter = EnvFilter::try_new(level.as_str()).unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .flatten_event(true)
        .with_ansi(false)
        .try_init();
    if installed.is_err() {
        tracing::debug!("a log subscriber was already installed");
    }
    // `install` runs once per execution environment, at its init: so this counts cold starts.
    if first {
        count("cold_starts", 1);
    }
}

fn function_name() -> &'static str {
    FUNCTION_NAME.get().map_or("", String::as_str)
}

pub(crate) fn request_line(
    request_id: &str,
    tenant: &str,
    route: &str,
    status: u16,
    latency: Duration,
) {
    println!(
        "{}",
        request_document(
            function_name(),
            request_id,
            tenant,
            route,
            status,
            latency,
            now_millis()
        )
    );
}

/// One EMF count for the running function, e.g. records parked on its dead-letter queue. The
/// alarm on it pages whoever must look at the queue; zero counts are not worth a log line.
pub fn count(metric: &str, value: usize) {
    if value > 0 {
        println!(
            "{}",
            count_document(function_name(), metric, value, now_millis())
        );
    }
}

fn count_document(
    function: &str,
    metric: &str,
    value: usize,
    timestamp_ms: i64,
) -> serde_json::Value {
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
    function: &str,
    request_id: &str,
    tenant: &str,
    route: &str,
    status: u16,
    latency: Duration,
    timestamp_ms: i64,
) -> serde_json::Value {
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
            "events-list",
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
        assert_eq!(doc["function"], "events-list");
    }

    #[test]
    fn a_count_is_an_emf_metric_named_after_its_value() {
        let doc = count_document(
            "analytics-aggregator",
            "poison_records",
            2,
            1_700_000_000_000,
        );
        assert_eq!(doc["poison_records"], 2);
        assert_eq!(doc["function"], "analytics-aggregator");
        let declared = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Metrics"][0]["Name"], "poison_records");
        assert_eq!(declared["Namespace"], METRICS_NAMESPACE);
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000_i64);
    }
}
