//! The stack's subscriber on the custom bus: it drains the queue that the bus's `ofauto` rule
//! copies every domain event to, and keeps the latest ones for `GET /domain-events` on the
//! control listener.
//!
//! Why drain at all: moto's SQS scans a queue's whole message list on every receive, so a queue
//! nobody reads grows slower with every event (measured: a receive took 13 ms on an empty queue,
//! 1.5 s with 2,000 messages). A `make dev` session or a test flood of thousands of events would
//! otherwise slow every SQS and EventBridge call of the stack, all of which share moto's one
//! process, until deliveries and publishes time out. On AWS the bus's real subscribers play this
//! part.
//!
//! Draining is not always enough: a flood of thousands of events outruns ten messages per
//! receive, each receive slows with the backlog, and the backlog then grows without end (seen:
//! 4,803 messages minutes after a 7,000-event flood). So the tap purges the queue once it is
//! [`BACKLOG_LIMIT`] behind, and counts what it purged as dropped: a reader is told, and the
//! stack stays as fast as an empty queue allows.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;

/// How many events the tap keeps: the oldest go first. A reader polls for what is new every few
/// seconds, so this is far more than one poll ever needs, and it bounds the stack's memory.
pub const KEPT: usize = 20_000;
/// How long one receive waits for messages (SQS long polling).
const LONG_POLL_SECONDS: i32 = 1;
/// The backlog at which the tap gives up on reading and purges the queue: at this length a moto
/// receive already takes a few hundred milliseconds, and every send to any queue slows with it.
/// Test suites and `make dev` sessions stay far below it; only floods reach it.
pub const BACKLOG_LIMIT: u64 = 1_000;
/// How often, at most, the tap asks for the backlog: only while receives come back full.
const BACKLOG_CHECK_EVERY: Duration = Duration::from_secs(2);
/// SQS allows one PurgeQueue per queue every 60 s, and moto enforces it.
const PURGE_EVERY: Duration = Duration::from_secs(60);
/// How long to wait after a failed receive before the next, so that a moto restart or stall is
/// not hammered.
const AFTER_FAILURE: Duration = Duration::from_secs(1);

/// Domain events in arrival order, each with its sequence number (from 1, never reused).
#[derive(Default)]
pub struct Tap {
    inner: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    events: VecDeque<(u64, Value)>,
    last: u64,
}

/// What `GET /domain-events?after=N` answers.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Since {
    /// The events numbered above `after`, oldest first.
    pub events: Vec<Value>,
    /// The number of the last event in `events` (or `after` when there are none): the next
    /// call's `after`.
    pub last: u64,
    /// How many events after `after` are not here: pushed out by newer ones ([`KEPT`]) or purged
    /// unread ([`BACKLOG_LIMIT`]), so a reader knows it missed some rather than silently seeing
    /// fewer.
    pub dropped: u64,
}

impl Tap {
    pub fn push(&self, event: Value) {
        let mut kept = self.inner.lock().expect("the tap's lock");
        kept.last += 1;
        let number = kept.last;
        kept.events.push_back((number, event));
        while kept.events.len() > KEPT {
            kept.events.pop_front();
        }
    }

    /// Numbers `count` events that were never read (purged), so that readers count them as
    /// dropped.
    pub fn skip(&self, count: u64) {
        self.inner.lock().expect("the tap's lock").last += count;
    }

    pub fn since(&self, after: u64) -> Since {
        let kept = self.inner.lock().expect("the tap's lock");
        let events: Vec<Value> = kept
            .events
            .iter()
            .filter(|(n, _)| *n > after)
            .map(|(_, e)| e.clone())
            .collect();
        // Every number after `after` up to the last is an event: what is not here was pushed
        // out by newer ones or purged unread.
        let dropped = kept
            .last
            .saturating_sub(after)
            .saturating_sub(events.len() as u64);
        Since {
            // A reader ahead of the tap (it read a stack that has since restarted) is brought
            // back to the tap's last number.
            last: if events.is_empty() {
                after.min(kept.last)
            } else {
                kept.last
            },
            events,
            dropped,
        }
    }
}

/// Receives from `queue_url` until `stop`, keeping each message's body (the EventBridge
/// envelope, as JSON) in `tap` and then deleting it.
pub async fn drain(
    client: aws_sdk_sqs::Client,
    queue_url: String,
    tap: std::sync::Arc<Tap>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backlog_checked = Instant::now();
    let mut purged: Option<Instant> = None;
    loop {
        let received = tokio::select! {
            _ = crate::worker::stopping(&mut stop) => return,
            r = client
                .receive_message()
                .queue_url(&queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(LONG_POLL_SECONDS)
                .send() => r,
        };
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "domain-events tap: receive failed");
                tokio::time::sleep(AFTER_FAILURE).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let may_purge = purged.is_none_or(|at| at.elapsed() >= PURGE_EVERY);
        if messages.len() == 10 && may_purge && backlog_checked.elapsed() >= BACKLOG_CHECK_EVERY {
            backlog_checked = Instant::now();
            if purge_if_behind(&client, &queue_url, &tap).await {
                purged = Some(Instant::now());
            }
        }
        let mut entries = Vec::with_capacity(messages.len());
        for (i, m) in messages.iter().enumerate() {
            let body = m.body().unwrap_or_default();
            tap.push(serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.into())));
            if let Some(handle) = m.receipt_handle() {
                match aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(format!("m{i}"))
                    .receipt_handle(handle)
                    .build()
                {
                    Ok(entry) => entries.push(entry),
                    Err(e) => tracing::warn!(error = %e, "domain-events tap: bad receipt handle"),
                }
            }
        }
        if let Err(e) = client
            .delete_message_batch()
            .queue_url(&queue_url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            // Kept already; the copies that come back after the visibility timeout are kept
            // again, as SQS's at-least-once delivery allows any subscriber to see.
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "domain-events tap: delete failed");
        }
    }
}

/// Purges the queue when it holds [`BACKLOG_LIMIT`] messages or more, counting them as dropped
/// (approximately: what arrives between the count and the purge goes too, uncounted, but a
/// reader behind a purge is always told it missed some). Says whether it purged.
async fn purge_if_behind(client: &aws_sdk_sqs::Client, queue_url: &str, tap: &Tap) -> bool {
    use aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages;
    let backlog = match client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(ApproximateNumberOfMessages)
        .send()
        .await
    {
        Ok(out) => out
            .attributes
            .and_then(|a| a.get(&ApproximateNumberOfMessages)?.parse::<u64>().ok())
            .unwrap_or(0),
        Err(e) => {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "domain-events tap: backlog unknown");
            return false;
        }
    };
    if backlog < BACKLOG_LIMIT {
        return false;
    }
    match client.purge_queue().queue_url(queue_url).send().await {
        Ok(_) => {
            tap.skip(backlog);
            tracing::warn!(
                purged = backlog,
                "domain-events tap: {backlog} events behind, purged them (readers see them as dropped)"
            );
            true
        }
        Err(e) => {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "domain-events tap: purge failed");
            // Most likely another purge within the minute: wait the minute out either way.
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn since_answers_what_is_new_and_where_to_go_on() {
        let tap = Tap::default();
        assert_eq!(
            tap.since(0),
            Since {
                events: vec![],
                last: 0,
                dropped: 0
            }
        );
        tap.push(json!({"n": 1}));
        tap.push(json!({"n": 2}));
        let all = tap.since(0);
        assert_eq!(all.events, vec![json!({"n": 1}), json!({"n": 2})]);
        assert_eq!((all.last, all.dropped), (2, 0));
        let newer = tap.since(1);
        assert_eq!(newer.events, vec![json!({"n": 2})]);
        assert_eq!(newer.last, 2);
        let none = tap.since(2);
        assert!(none.events.is_empty());
        assert_eq!((none.last, none.dropped), (2, 0));
    }

    #[test]
    fn the_oldest_go_first_and_a_late_reader_is_told_how_many_it_missed() {
        let tap = Tap::default();
        for n in 0..(KEPT + 5) {
            tap.push(json!(n));
        }
        let late = tap.since(0);
        assert_eq!(late.events.len(), KEPT);
        assert_eq!(late.events[0], json!(5));
        assert_eq!(late.dropped, 5);
        assert_eq!(late.last, (KEPT + 5) as u64);
        let current = tap.since(late.last - 1);
        assert_eq!(current.events, vec![json!(KEPT + 4)]);
        assert_eq!(current.dropped, 0);
    }

    #[test]
    fn purged_events_count_as_dropped_for_readers_behind_them_only() {
        let tap = Tap::default();
        tap.push(json!("a"));
        tap.skip(1_200);
        tap.push(json!("b"));
        let behind = tap.since(0);
        assert_eq!(behind.events, vec![json!("a"), json!("b")]);
        assert_eq!((behind.last, behind.dropped), (1_202, 1_200));
        let after_a = tap.since(1);
        assert_eq!(after_a.events, vec![json!("b")]);
        assert_eq!(after_a.dropped, 1_200);
        let after_gap = tap.since(1_201);
        assert_eq!(after_gap.events, vec![json!("b")]);
        assert_eq!(after_gap.dropped, 0);
        // A reader ahead of the tap misses nothing.
        assert_eq!(tap.since(5_000).dropped, 0);
    }
}
