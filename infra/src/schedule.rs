//! EventBridge schedule rules, emulated as a fixed tick: every `schedule` function is invoked with a
//! "Scheduled Event" on each tick, whatever its expression says, so tests can run the schedule fast.

use crate::function_env::REGION;
use crate::pool::Pools;
use axum::body::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The event EventBridge sends a rule's Lambda target.
pub fn scheduled_event(rule: &str, now: DateTime<Utc>) -> Value {
    let account = crate::apigw::ACCOUNT_ID;
    json!({
        "version": "0",
        "id": crate::ids::uuid_v4(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": REGION,
        "resources": [format!("arn:aws:events:{REGION}:{account}:rule/{rule}")],
        "detail": {}
    })
}

/// Ticks every `every`, first one interval after start as a new rule would; each invocation is
/// asynchronous (EventBridge does not wait), so a slow run never delays the next tick.
pub async fn run(
    pools: Arc<Pools>,
    functions: Vec<String>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    if functions.is_empty() {
        return;
    }
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stopping = crate::worker::stopping(&mut shutdown);
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = &mut stopping => return,
        }
        for function in &functions {
            let event = scheduled_event(&format!("{function}-schedule"), Utc::now());
            let pools = pools.clone();
            let function = function.clone();
            tokio::spawn(async move {
                if let Err(e) = pools
                    .invoke(&function, Bytes::from(event.to_string()))
                    .await
                {
                    tracing::warn!(%function, "scheduled invocation failed: {e}");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn builds_a_scheduled_event_that_aws_lambda_events_reads() {
        let now = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        let e = scheduled_event("dispatcher-schedule", now);
        assert_eq!(e["detail-type"], "Scheduled Event");
        assert_eq!(e["source"], "aws.events");
        assert_eq!(e["time"], "2024-01-02T03:04:05Z");
        assert_eq!(
            e["resources"][0],
            "arn:aws:events:us-east-1:123456789012:rule/dispatcher-schedule"
        );
        let parsed: aws_lambda_events::eventbridge::EventBridgeEvent =
            serde_json::from_value(e).unwrap();
        assert_eq!(parsed.detail_type, "Scheduled Event");
    }
}
