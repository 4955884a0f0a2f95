//! Analytics read cost: how many items a 30-day hourly query reads, for a small and a large
//! tenant. Events go in through the API, spread over the 30 days, and the aggregator counts them
//! from the stream; the read is then the repository's own query (partition and sort range from the
//! key layout), asked for its scanned count and consumed capacity.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use aws_sdk_dynamodb::Client;
use chrono::{SecondsFormat, Utc};
use reqwest::Method;
use serde::Serialize;
use serde_json::json;
use shared::domain::{format_bucket, AnalyticsQuery};

use crate::load::{self, Bounds};
use crate::routes::Target;

#[derive(Debug, Clone, Serialize)]
pub struct ReadCost {
    pub tenant: String,
    pub events: u64,
    /// `total` in the HTTP answer for the same window: proves the counters hold every event.
    pub total_counted: u64,
    pub buckets_answered: usize,
    pub items_read: i64,
    pub query_pages: usize,
    pub read_units: f64,
    /// Largest counter item read, in bytes: what bounds the units of a read.
    pub max_item_bytes: usize,
}

pub struct Window {
    pub from: String,
    pub to: String,
}

impl Window {
    pub fn last_30_days() -> Self {
        let to = Utc::now();
        let from = to - chrono::TimeDelta::days(30);
        let fmt = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        Self {
            from: fmt(from),
            to: fmt(to),
        }
    }

    pub fn query_string(&self) -> String {
        format!("granularity=hour&from={}&to={}", self.from, self.to)
    }
}

/// Records `events` events for `target`'s tenant, evenly over the window, at `concurrency`.
pub async fn seed(
    target: &Target,
    window: &Window,
    events: u64,
    concurrency: usize,
) -> Result<(), String> {
    let from = chrono::DateTime::parse_from_rfc3339(&window.from).map_err(|e| e.to_string())?;
    let span_ms = 30 * 24 * 3600 * 1000 - 60_000;
    let op = target.op(Method::POST, 201, move |n| {
        let at =
            from + chrono::TimeDelta::milliseconds(30_000 + (n as i64 * span_ms) / events as i64);
        let ty = format!("bench.type{}", n % 5);
        let body =
            json!({"type": ty, "occurred_at": at.to_rfc3339_opts(SecondsFormat::Millis, true)});
        ("/v1/events".into(), Some(body))
    });
    let bounds = Bounds {
        concurrency,
        duration: Duration::from_secs(300),
        max_requests: events,
    };
    let result = load::run(op, bounds).await;
    if result.errors > 0 || result.requests as u64 != events {
        return Err(format!(
            "seeding {events} events: {} sent, {} failed ({:?})",
            result.requests, result.errors, result.first_error
        ));
    }
    Ok(())
}

/// Waits (at most `patience`) until the analytics answer counts every seeded event.
pub async fn counted(
    target: &Target,
    window: &Window,
    events: u64,
    patience: Duration,
) -> Result<(u64, usize), String> {
    let deadline = Instant::now() + patience;
    loop {
        let answer = target
            .send(
                Method::GET,
                &format!("/v1/analytics/events?{}", window.query_string()),
                None,
                200,
            )
            .await?;
        let total = answer["total"].as_u64().unwrap_or(0);
        let buckets = answer["buckets"].as_array().map_or(0, Vec::len);
        if total >= events || Instant::now() > deadline {
            return Ok((total, buckets));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The counters query analytics makes for this window, with its items read and units consumed.
pub async fn read_cost(
    client: &Client,
    table: &str,
    tenant: &str,
    window: &Window,
) -> Result<(i64, usize, f64, usize), String> {
    let params = [
        ("granularity", "hour"),
        ("from", window.from.as_str()),
        ("to", window.to.as_str()),
    ];
    let query = AnalyticsQuery::parse(|k| {
        params
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .map_err(|e| format!("{e:?}"))?;
    let starts = query.bucket_starts();
    let (first, last) = (
        format_bucket(starts[0]),
        format_bucket(*starts.last().expect("a bucket")),
    );
    // README's data model: `T#<tenant>#CNT#H`, sorted by bucket start. A wrong layout reads no
    // items, which the caller refuses as a failed measurement.
    let partition = format!("T#{tenant}#CNT#H");
    let (low, high) = (first, last);
    let (mut items, mut pages, mut units, mut max_bytes) = (0, 0, 0.0, 0);
    let mut start = None;
    loop {
        let out = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
            .expression_attribute_values(":pk", AttributeValue::S(partition.clone()))
            .expression_attribute_values(":first", AttributeValue::S(low.clone()))
            .expression_attribute_values(":last", AttributeValue::S(high.clone()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| format!("counters Query: {e}"))?;
        pages += 1;
        for item in out.items() {
            max_bytes = max_bytes.max(crate::item_size::item_bytes(item));
        }
        items += i64::from(out.scanned_count);
        units += out
            .consumed_capacity
            .and_then(|c| c.capacity_units)
            .unwrap_or(0.0);
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    Ok((items, pages, units, max_bytes))
}
