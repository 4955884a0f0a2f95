//! The SQS queue between the schedule and the deliverer. A message names a claimed item and the
//! claim; the deliverer re-checks the claim before it sends, so a stale or duplicated message
//! delivers nothing.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::repo::StorageError;

/// SQS delays a message by at most 15 minutes.
pub const MAX_DELAY: Duration = Duration::from_secs(900);

/// What kind of item a message names. Only posts for now; automations (issue 9) join here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryKind {
    Post,
}

/// The message body: `{"tenant":"…","kind":"post","id":"…","claim":"…"}`. Fields stay strings
/// so that a message from a newer or older version still parses; the deliverer checks each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub tenant: String,
    pub kind: DeliveryKind,
    pub id: String,
    pub claim: String,
}

impl DeliveryMessage {
    pub fn post(tenant: &crate::domain::TenantId, id: crate::domain::PostId, claim: &str) -> Self {
        Self {
            tenant: tenant.as_str().to_owned(),
            kind: DeliveryKind::Post,
            id: id.to_string(),
            claim: claim.to_owned(),
        }
    }

    pub fn parse(body: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(body)
    }
}

#[derive(Debug, Clone)]
pub struct DeliveryQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl DeliveryQueue {
    /// `url` is `DELIVERY_QUEUE_URL` (`Config::require_delivery_queue_url`).
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// Sends `message`, to become visible after `delay` (cut to SQS's 15-minute maximum; the
    /// schedule never hands over anything due later than its look-ahead).
    pub async fn send(
        &self,
        message: &DeliveryMessage,
        delay: Duration,
    ) -> Result<(), StorageError> {
        let body = serde_json::to_string(message)
            .map_err(|e| StorageError::Internal(format!("could not encode a message: {e}")))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(delay_seconds(delay))
            .send()
            .await
            .map_err(StorageError::from_sdk)?;
        Ok(())
    }
}

/// Whole seconds, rounded up so a message never arrives before its attempt is due, within SQS's
/// 0..=900.
pub fn delay_seconds(delay: Duration) -> i32 {
    let clamped = delay.min(MAX_DELAY);
    let secs = clamped.as_secs() + u64::from(clamped.subsec_nanos() > 0);
    // At most 900, so it fits.
    i32::try_from(secs.min(MAX_DELAY.as_secs())).unwrap_or(900)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_round_up_and_clamp() {
        assert_eq!(delay_seconds(Duration::ZERO), 0);
        assert_eq!(delay_seconds(Duration::from_millis(1)), 1);
        assert_eq!(delay_seconds(Duration::from_millis(4_200)), 5);
        assert_eq!(delay_seconds(Duration::from_secs(900)), 900);
        assert_eq!(delay_seconds(Duration::from_secs(86_400)), 900);
    }

    #[test]
    fn the_message_has_the_agreed_shape() {
        let tenant = crate::domain::TenantId::parse("acme").unwrap();
        let id = crate::domain::PostId::generate();
        let message = DeliveryMessage::post(&tenant, id, "01JCLAIM");
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"tenant": "acme", "kind": "post", "id": id.to_string(), "claim": "01JCLAIM"})
        );
        assert_eq!(DeliveryMessage::parse(&json.to_string()).unwrap(), message);
        assert!(
            DeliveryMessage::parse(r#"{"tenant":"a","kind":"x","id":"1","claim":"c"}"#).is_err()
        );
    }
}
