//! The SQS trigger, polling the way Lambda's event source mapping does: long-poll receives of up to
//! `batch_size` messages (gathered for up to `maximum_batching_window_s`), one synchronous
//! invocation per batch, and several batches in flight at once, up to the function's process pool.
//!
//! What happens to a message afterwards is SQS's own logic, as on AWS: the messages the function
//! finished with are deleted; the others (all of them if the invocation failed) stay hidden for
//! the queue's visibility timeout, come back, and after `maxReceiveCount` receives moto's
//! RedrivePolicy moves them to the dead-letter queue. moto honours both that and per-message
//! `DelaySeconds` on receive, so the poller needs to emulate neither.

use crate::pool::Pools;
use crate::sqs_event::{batch_event, batch_result, BatchResult};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use aws_sdk_sqs::Client;
use axum::body::Bytes;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// SQS returns at most 10 messages per ReceiveMessage.
const MAX_PER_RECEIVE: usize = 10;
/// Long polls are kept short locally, so shutdown and a batching window are never held up long.
const LONG_POLL: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// One `sqs` function, as an event source mapping on its queue.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub function: String,
    pub queue_url: String,
    pub queue_arn: String,
    pub batch_size: usize,
    pub batching_window: Duration,
}

pub struct Poller {
    pub client: Client,
    pub mapping: Mapping,
    pub pools: Arc<Pools>,
    /// Batches in flight at once: the function's process pool size.
    pub concurrency: usize,
}

impl Poller {
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        tracing::info!(
            function = %self.mapping.function,
            queue = %self.mapping.queue_url,
            batch_size = self.mapping.batch_size,
            concurrency = self.concurrency,
            "sqs mapping enabled"
        );
        let this = Arc::new(self);
        let loops = (0..this.concurrency.max(1)).map(|_| {
            let this = this.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move { this.poll(shutdown).await })
        });
        futures::future::join_all(loops).await;
    }

    async fn poll(&self, mut shutdown: watch::Receiver<bool>) {
        let stopping = crate::worker::stopping(&mut shutdown);
        tokio::pin!(stopping);
        let mut failures = 0u32;
        loop {
            let batch = tokio::select! {
                batch = self.receive() => batch,
                _ = &mut stopping => return,
            };
            match batch {
                Ok(batch) if batch.is_empty() => failures = 0,
                Ok(batch) => {
                    failures = 0;
                    // Not raced against shutdown: an invocation in flight ends (or fails with
                    // Shutdown) on its own, and a batch not deleted simply comes back.
                    self.deliver(batch).await;
                }
                Err(e) => {
                    let backoff = Duration::from_millis(200)
                        .saturating_mul(1 << failures.min(5))
                        .min(MAX_BACKOFF);
                    failures += 1;
                    tracing::warn!(queue = %self.mapping.queue_url, "ReceiveMessage failed: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = &mut stopping => return,
                    }
                }
            }
        }
    }

    /// Up to `batch_size` messages: as soon as some arrive when there is no batching window,
    /// else once the batch is full or the window (counted from the first message) has passed.
    async fn receive(&self) -> Result<Vec<Message>, String> {
        let want = self.mapping.batch_size.max(1);
        let mut batch: Vec<Message> = Vec::new();
        let mut first_at: Option<Instant> = None;
        loop {
            let wait = match first_at {
                None => LONG_POLL,
                Some(t) => match self.mapping.batching_window.checked_sub(t.elapsed()) {
                    Some(left) if !left.is_zero() => left.min(LONG_POLL),
                    _ => return Ok(batch),
                },
            };
            let out = self
                .client
                .receive_message()
                .queue_url(&self.mapping.queue_url)
                .max_number_of_messages((want - batch.len()).min(MAX_PER_RECEIVE) as i32)
                .wait_time_seconds(wait.as_secs().max(1) as i32)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send()
                .await
                .map_err(|e| format!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)))?;
            let got = out.messages.unwrap_or_default();
            if got.is_empty() && first_at.is_none() {
                return Ok(batch);
            }
            if !got.is_empty() && first_at.is_none() {
                first_at = Some(Instant::now());
            }
            batch.extend(got);
            if batch.len() >= want || self.mapping.batching_window.is_zero() {
                return Ok(batch);
            }
        }
    }

    /// Invokes the function with the batch and deletes what it finished with.
    async fn deliver(&self, batch: Vec<Message>) {
        let ids: Vec<&str> = batch
            .iter()
            .map(|m| m.message_id.as_deref().unwrap_or_default())
            .collect();
        let payload = Bytes::from(batch_event(&batch, &self.mapping.queue_arn).to_string());
        let function = &self.mapping.function;
        let keep: BTreeSet<String> = match self.pools.invoke(function, payload).await {
            Ok(resp) => match batch_result(&resp, &ids) {
                BatchResult::Complete => BTreeSet::new(),
                BatchResult::Partial(failed) => {
                    tracing::info!(%function, failed = failed.len(), of = ids.len(), "partial batch failure; those messages stay on the queue");
                    failed
                }
                BatchResult::Failed(why) => {
                    tracing::warn!(%function, messages = ids.len(), reason = ?why, "batch failed; nothing deleted");
                    return;
                }
            },
            Err(e) => {
                tracing::warn!(%function, messages = ids.len(), error = ?e.to_string(), "sqs batch invocation failed; nothing deleted");
                return;
            }
        };
        let done: Vec<&Message> = batch
            .iter()
            .filter(|m| !keep.contains(m.message_id.as_deref().unwrap_or_default()))
            .collect();
        self.delete(&done).await;
    }

    async fn delete(&self, messages: &[&Message]) {
        for chunk in messages.chunks(MAX_PER_RECEIVE) {
            let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                        .build()
                        .ok()
                })
                .collect();
            match self
                .client
                .delete_message_batch()
                .queue_url(&self.mapping.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
            {
                Ok(out) if !out.failed.is_empty() => {
                    tracing::warn!(queue = %self.mapping.queue_url, failed = out.failed.len(), "some deletes failed; those messages will be redelivered")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(queue = %self.mapping.queue_url, "DeleteMessageBatch failed; the batch will be redelivered: {}", aws_sdk_sqs::error::DisplayErrorContext(e))
                }
            }
        }
    }
}
