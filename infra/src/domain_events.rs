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
//! Draining is not always enough: moto's receive cost about half a millisecond per queued
//! message (measured: 55 ms at 100 messages, 800 ms at 1,000, for ten messages each time; the
//! stack's moto launcher, `infra/python/moto_launcher.py`, has since removed most of it), so once
//! a flood puts the tap a few hundred behind, each receive brings ten messages slower than the
//! flood adds them and the backlog grows without end (seen: 4,803 messages minutes after a
//! 7,000-event flood). So when the tap finds [`ROTATE_AT`] messages waiting, it points the rule
//! at a fresh queue, drains the old one (which no longer grows, and shrinks quickly) and
//! deletes it. No event is lost, and no queue ever holds more than a few hundred.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;

/// How many events the tap keeps: the oldest go first. A reader polls for what is new every few
/// seconds, so this is far more than one poll ever needs, and it bounds the stack's memory.
pub const KEPT: usize = 20_000;
/// How long one receive waits for messages (SQS long polling).
const LONG_POLL_SECONDS: i32 = 1;
/// The backlog at which the tap moves the rule to a fresh queue: small, because every receive
/// and send on a queue pays for its length (at 200 waiting, a flood measured in `contention`
/// still outran the tap), while a queue costs moto nothing to create.
pub const ROTATE_AT: u64 = 50;
/// How often, at most, the tap asks for the backlog: only while receives come back full.
const BACKLOG_CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long an old queue must stay empty before it is deleted: a PutEvents that began before the
/// rule moved may still be writing to it.
const OLD_QUEUE_GRACE: Duration = Duration::from_secs(3);
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
        let events: Vec<Value> = kept
            .events
            .iter()
            .filter(|(n, _)| *n > after)
            .map(|(_, e)| e.clone())
            .collect();
        // Every number after `after` up to the last is an event: what is not here was pushed
        // out by newer ones.
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

/// Where the bus's rule delivers: the queue the tap reads now, and what it needs to move the rule
/// to a fresh one.
pub struct Subscription {
    pub sqs: aws_sdk_sqs::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub bus: String,
    /// The first queue's name; later ones add `-2`, `-3`, ...
    pub queue_name: String,
    pub queue_url: String,
}

/// Reads the bus's queue until `stop`, keeping each message's body (the EventBridge envelope, as
/// JSON) in `tap`, and moves the rule to a fresh queue whenever this one falls [`ROTATE_AT`]
/// behind.
pub async fn drain(mut sub: Subscription, tap: Arc<Tap>, mut stop: watch::Receiver<bool>) {
    let mut generation = 1;
    let mut backlog_checked = Instant::now();
    loop {
        let received = tokio::select! {
            _ = crate::worker::stopping(&mut stop) => return,
            r = receive_into(&sub.sqs, &sub.queue_url, &tap, LONG_POLL_SECONDS) => r,
        };
        let full = match received {
            Ok(count) => count == MAX_PER_RECEIVE,
            Err(e) => {
                tracing::warn!(error = %e, "domain-events tap: receive failed");
                tokio::time::sleep(AFTER_FAILURE).await;
                continue;
            }
        };
        if !full || backlog_checked.elapsed() < BACKLOG_CHECK_EVERY {
            continue;
        }
        backlog_checked = Instant::now();
        match backlog(&sub.sqs, &sub.queue_url).await {
            Ok(waiting) if waiting >= ROTATE_AT => {
                generation += 1;
                match rotate(&mut sub, generation).await {
                    Ok(old) => {
                        tracing::info!(
                            waiting,
                            queue = %sub.queue_url,
                            "domain-events tap: {waiting} events behind, the rule now delivers to a fresh queue"
                        );
                        tokio::spawn(drain_and_delete(
                            sub.sqs.clone(),
                            old,
                            tap.clone(),
                            stop.clone(),
                        ));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "domain-events tap: could not move the rule")
                    }
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "domain-events tap: backlog unknown"),
        }
    }
}

/// The most one receive returns (SQS's limit).
const MAX_PER_RECEIVE: usize = 10;

/// One receive: keeps what came in `tap` and deletes it from the queue. Returns how many came.
async fn receive_into(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    tap: &Tap,
    wait_seconds: i32,
) -> Result<usize, String> {
    let messages = client
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(MAX_PER_RECEIVE as i32)
        .wait_time_seconds(wait_seconds)
        .send()
        .await
        .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?
        .messages
        .unwrap_or_default();
    if messages.is_empty() {
        return Ok(0);
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
        .queue_url(queue_url)
        .set_entries(Some(entries))
        .send()
        .await
    {
        // Kept already; the copies that come back after the visibility timeout are kept
        // again, as SQS's at-least-once delivery allows any subscriber to see.
        tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "domain-events tap: delete failed");
    }
    Ok(messages.len())
}

async fn backlog(client: &aws_sdk_sqs::Client, queue_url: &str) -> Result<u64, String> {
    use aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages;
    let out = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
    Ok(out
        .attributes
        .and_then(|a| a.get(&ApproximateNumberOfMessages)?.parse().ok())
        .unwrap_or(0))
}

/// Creates the next queue, points the rule at it and makes it the one `sub` reads. Returns the
/// old queue's URL.
async fn rotate(sub: &mut Subscription, generation: u32) -> Result<String, String> {
    let name = format!("{}-{generation}", sub.queue_name);
    let url = crate::bootstrap::create_queue(&sub.sqs, &name)
        .await
        .map_err(|e| e.to_string())?;
    let arn = crate::bootstrap::queue_arn(&sub.sqs, &url)
        .await
        .map_err(|e| e.to_string())?;
    crate::bootstrap::point_bus_at(&sub.events, &sub.bus, &arn)
        .await
        .map_err(|e| e.to_string())?;
    Ok(std::mem::replace(&mut sub.queue_url, url))
}

/// Reads a queue the rule no longer delivers to until it has stayed empty for
/// [`OLD_QUEUE_GRACE`], then deletes it.
async fn drain_and_delete(
    client: aws_sdk_sqs::Client,
    queue_url: String,
    tap: Arc<Tap>,
    mut stop: watch::Receiver<bool>,
) {
    let mut empty_since: Option<Instant> = None;
    loop {
        let received = tokio::select! {
            _ = crate::worker::stopping(&mut stop) => return,
            r = receive_into(&client, &queue_url, &tap, 0) => r,
        };
        match received {
            Ok(0) => {
                let since = *empty_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= OLD_QUEUE_GRACE {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Ok(_) => empty_since = None,
            Err(e) => {
                tracing::warn!(error = %e, "domain-events tap: receive from the old queue failed");
                tokio::time::sleep(AFTER_FAILURE).await;
            }
        }
    }
    if let Err(e) = client.delete_queue().queue_url(&queue_url).send().await {
        tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "domain-events tap: could not delete the old queue");
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
