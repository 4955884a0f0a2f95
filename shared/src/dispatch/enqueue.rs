//! Claimed items onto the delivery queue ten at a time (`SendMessageBatch`), each with its own
//! delay. A tick that claims a thousand posts makes a hundred calls instead of a thousand: the
//! difference between a queue that keeps up and one (moto locally, or an SQS API limit) that
//! starts timing out and is then hammered by the SDK's retries.
//!
//! An adapter until `DeliveryQueue` has a batch send of its own: it encodes messages and delays
//! exactly as `DeliveryQueue::send` does (`DeliveryMessage` as JSON, `delay_seconds`).

use std::time::Duration;

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use crate::delivery_queue::{delay_seconds, DeliveryMessage};

/// SQS takes at most ten entries per `SendMessageBatch`.
pub const MAX_BATCH: usize = 10;

#[derive(Debug, Clone)]
pub struct BatchQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl BatchQueue {
    /// `url` is `DELIVERY_QUEUE_URL`.
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// Sends up to [`MAX_BATCH`] messages in one call; the result for each, in order.
    pub async fn send(&self, messages: &[(DeliveryMessage, Duration)]) -> Vec<Result<(), String>> {
        let entries: Result<Vec<_>, String> = messages
            .iter()
            .enumerate()
            .map(|(i, (message, delay))| entry(i, message, *delay))
            .collect();
        let entries = match entries {
            Ok(entries) => entries,
            Err(error) => return vec![Err(error); messages.len()],
        };
        let output = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await;
        match output {
            Err(error) => {
                let error = format!("{}", aws_sdk_sqs::error::DisplayErrorContext(error));
                vec![Err(error); messages.len()]
            }
            Ok(output) => {
                let mut results = vec![Ok(()); messages.len()];
                for failed in output.failed() {
                    if let Some(slot) = failed
                        .id()
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| results.get_mut(i))
                    {
                        *slot = Err(format!(
                            "{}: {}",
                            failed.code(),
                            failed.message().unwrap_or_default()
                        ));
                    }
                }
                // Whatever the answer does not confirm was not sent.
                let confirmed: Vec<usize> = output
                    .successful()
                    .iter()
                    .filter_map(|s| s.id().parse().ok())
                    .collect();
                for (i, result) in results.iter_mut().enumerate() {
                    if result.is_ok() && !confirmed.contains(&i) {
                        *result = Err("not confirmed by SendMessageBatch".into());
                    }
                }
                results
            }
        }
    }
}

/// Entry ids are the message's position in the call, so the answer maps back to it.
fn entry(
    index: usize,
    message: &DeliveryMessage,
    delay: Duration,
) -> Result<SendMessageBatchRequestEntry, String> {
    let body = serde_json::to_string(message).map_err(|e| format!("could not encode: {e}"))?;
    SendMessageBatchRequestEntry::builder()
        .id(index.to_string())
        .message_body(body)
        .delay_seconds(delay_seconds(delay))
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PostId, TenantId};

    #[test]
    fn an_entry_is_the_message_its_delay_and_its_position() {
        let tenant = TenantId::parse("acme").unwrap();
        let message = DeliveryMessage::post(&tenant, PostId::generate(), "01JCLAIM");
        let entry = entry(7, &message, Duration::from_millis(4200)).unwrap();
        assert_eq!(entry.id(), "7");
        assert_eq!(entry.delay_seconds(), Some(5), "rounded up, never early");
        let body: DeliveryMessage = serde_json::from_str(entry.message_body()).unwrap();
        assert_eq!(body, message);
    }
}
