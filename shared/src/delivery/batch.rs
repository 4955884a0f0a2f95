//! A batch of delivery messages: each delivered concurrently, the batch's domain events
//! published together at the end, one summary line and one metrics document, and an SQS partial
//! batch response naming only the messages that hit an outage.

use std::time::Instant;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::deliverer::{Delivered, Deliverer, Ended};
use super::message::{self, Job};
use super::metrics::Metrics;
use crate::bounded;

/// Deliveries in flight at once. A batch is at most ten messages (the event source mapping's
/// batch size), and each mostly waits on its receiver, so all of them run together.
const CONCURRENCY: usize = 10;

/// How one message of the batch went, for SQS and for the summary.
#[derive(Debug)]
enum Handled {
    Done(Delivered),
    /// Unreadable, and parked on the dead-letter queue.
    Parked,
    /// Must come back: an outage, or an unreadable message that could not be parked.
    Retry,
}

impl Deliverer {
    /// Delivers every message of the batch and answers which ones SQS must hand back.
    pub async fn handle(&self, batch: SqsEvent) -> SqsBatchResponse {
        let started = Instant::now();
        let results: Vec<(Option<String>, Handled)> = stream::iter(batch.records)
            .map(|message| async move {
                let handled = self.handle_message(&message).await;
                (message.message_id, handled)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut summary = Summary::default();
        let mut response = SqsBatchResponse::default();
        let mut events = Vec::new();
        for (message_id, handled) in results {
            summary.add(&handled);
            match handled {
                Handled::Done(delivered) => events.extend(delivered.events),
                Handled::Parked => {}
                Handled::Retry => {
                    // SQS always sends an id. Were one missing, the empty identifier makes
                    // Lambda hand back the whole batch, which the claims make harmless.
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = message_id.unwrap_or_default();
                    response.batch_item_failures.push(failure);
                }
            }
        }
        self.publish(events).await;
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        summary.log_and_measure();
        response
    }

    async fn handle_message(&self, message: &SqsMessage) -> Handled {
        let id = message.message_id.as_deref().unwrap_or("");
        let job = match message::parse(message.body.as_deref()) {
            Ok(job) => job,
            Err(reason) => return self.park(message, &reason).await,
        };
        let result = match &job {
            Job::Post(post) => self.deliver(post).await,
            Job::Run(run) => self.run_automation(run).await,
        };
        match result {
            Ok(delivered) => Handled::Done(delivered),
            Err(error) => {
                tracing::error!(message = id, tenant = job.tenant().as_str(), subject = %job.subject(), %error, "delivery interrupted; the message comes back");
                Handled::Retry
            }
        }
    }

    /// An unreadable message would fail the same way on every receive: it goes to the function's
    /// dead-letter queue at once, where an operator can read it, and is acked.
    async fn park(&self, message: &SqsMessage, reason: &str) -> Handled {
        let id = message.message_id.as_deref().unwrap_or("");
        tracing::error!(message = id, reason, "unreadable delivery message");
        let Some(dead_letters) = &self.parts.dead_letters else {
            // The queue's redrive policy parks it after its last receive.
            return Handled::Retry;
        };
        match dead_letters.send(&DeadLetter::new(message, reason)).await {
            Ok(()) => Handled::Parked,
            Err(error) => {
                tracing::error!(message = id, %error, "could not park an unreadable message");
                Handled::Retry
            }
        }
    }
}

/// What an operator needs to find and judge an unreadable message.
#[derive(Debug, Serialize)]
struct DeadLetter {
    kind: &'static str,
    reason: String,
    message_id: Option<String>,
    event_source_arn: Option<String>,
    body: Option<String>,
}

impl DeadLetter {
    fn new(message: &SqsMessage, reason: &str) -> Self {
        Self {
            kind: "delivery-message-unreadable",
            reason: bounded(reason),
            message_id: message.message_id.clone(),
            event_source_arn: message.event_source_arn.clone(),
            body: message.body.as_deref().map(bounded),
        }
    }
}

#[derive(Debug, Default)]
struct Summary {
    messages: usize,
    delivered: usize,
    failed: usize,
    retrying: usize,
    stale: usize,
    runs_succeeded: usize,
    runs_failed: usize,
    parked: usize,
    retried_by_sqs: usize,
    /// The whole batch, events included.
    elapsed_ms: u64,
    latency_ms: Vec<f64>,
    lateness_ms: Vec<f64>,
}

impl Summary {
    fn add(&mut self, handled: &Handled) {
        self.messages += 1;
        match handled {
            Handled::Done(delivered) => match &delivered.ended {
                Ended::Delivered {
                    latency_ms,
                    lateness_ms,
                } => {
                    self.delivered += 1;
                    self.latency_ms.push(*latency_ms as f64);
                    self.lateness_ms.extend(lateness_ms);
                }
                Ended::Failed => self.failed += 1,
                Ended::Retrying => self.retrying += 1,
                Ended::Stale => self.stale += 1,
                Ended::Ran { succeeded: true } => self.runs_succeeded += 1,
                Ended::Ran { succeeded: false } => self.runs_failed += 1,
            },
            Handled::Parked => self.parked += 1,
            Handled::Retry => self.retried_by_sqs += 1,
        }
    }

    fn log_and_measure(&self) {
        tracing::info!(
            messages = self.messages,
            delivered = self.delivered,
            failed = self.failed,
            retrying = self.retrying,
            stale = self.stale,
            runs_succeeded = self.runs_succeeded,
            runs_failed = self.runs_failed,
            parked = self.parked,
            retried_by_sqs = self.retried_by_sqs,
            elapsed_ms = self.elapsed_ms,
            "delivery batch"
        );
        self.metrics().emit();
    }

    fn metrics(&self) -> Metrics {
        Metrics::default()
            .count("posts_delivered", self.delivered)
            .count("posts_failed", self.failed)
            .count("posts_retrying", self.retrying)
            .count("messages_stale", self.stale)
            .count("runs_succeeded", self.runs_succeeded)
            .count("runs_failed", self.runs_failed)
            .count("messages_parked", self.parked)
            .count("messages_retried", self.retried_by_sqs)
            .millis("delivery_latency", self.latency_ms.iter().copied())
            .millis("lateness", self.lateness_ms.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::DomainEvent;

    fn done(ended: Ended) -> Handled {
        Handled::Done(Delivered {
            ended,
            events: Vec::<DomainEvent>::new(),
        })
    }

    #[test]
    fn the_summary_counts_each_ending_and_samples_only_deliveries() {
        let mut summary = Summary::default();
        for handled in [
            done(Ended::Delivered {
                latency_ms: 40,
                lateness_ms: Some(350.0),
            }),
            done(Ended::Delivered {
                latency_ms: 60,
                lateness_ms: None,
            }),
            done(Ended::Failed),
            done(Ended::Retrying),
            done(Ended::Stale),
            done(Ended::Ran { succeeded: true }),
            done(Ended::Ran { succeeded: false }),
            Handled::Parked,
            Handled::Retry,
        ] {
            summary.add(&handled);
        }
        assert_eq!(summary.messages, 9);
        assert_eq!((summary.runs_succeeded, summary.runs_failed), (1, 1));
        assert_eq!(
            (
                summary.delivered,
                summary.failed,
                summary.retrying,
                summary.stale,
                summary.parked,
                summary.retried_by_sqs
            ),
            (2, 1, 1, 1, 1, 1)
        );
        assert_eq!(summary.latency_ms, [40.0, 60.0]);
        assert_eq!(summary.lateness_ms, [350.0]);
    }

    #[test]
    fn a_dead_letter_carries_the_message_bounded() {
        let mut message = SqsMessage::default();
        message.message_id = Some("m1".into());
        message.body = Some("x".repeat(100_000));
        let letter =
            serde_json::to_value(DeadLetter::new(&message, "not a delivery message")).unwrap();
        assert_eq!(letter["kind"], "delivery-message-unreadable");
        assert_eq!(letter["message_id"], "m1");
        assert!(letter.to_string().len() < 8 * 1024, "a letter stays small");
    }
}
