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

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

/// How many events the tap keeps: the oldest go first. A reader polls for what is new every few
/// seconds, so this is far more than one poll ever needs, and it bounds the stack's memory.
pub const KEPT: usize = 20_000;
/// How long one receive waits for messages (SQS long polling).
const LONG_POLL_SECONDS: i32 = 1;
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
    /// How many events after `after` are no longer kept ([`KEPT`]), so a reader knows it missed
    /// some rather than silently seeing fewer.
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

    pub fn since(&self, after: u64) -> Since {
        let kept = self.inner.lock().expect("the tap's lock");
        let oldest = kept.events.front().map_or(kept.last + 1, |(n, _)| *n);
        let dropped = oldest.saturating_sub(after + 1);
        let events: Vec<Value> = kept
            .events
            .iter()
            .filter(|(n, _)| *n > after)
            .map(|(_, e)| e.clone())
            .collect();
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
}
