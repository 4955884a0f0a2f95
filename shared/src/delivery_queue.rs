//! The SQS queue between the schedule and the deliverer. A message names a claimed item and the
//! claim; the deliverer re-checks the claim before it sends, so a stale or duplicated message
//! delivers nothing.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::repo::StorageError;

/// SQS delays a message by at most 15 minutes.
pub const MAX_DELAY: Duration = Duration::from_secs(900);

/// What kind of item a message names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// A claimed post: `id` is the post, `claim` the claim it was sent under.
    Post,
    /// One run of an automation: `id` is the automation, `claim` the run's id, and `run` names
    /// the run's key and the attempt the message is for.
    AutomationRun,
}

/// The message body: `{"tenant":"…","kind":"post","id":"…","claim":"…"}`, plus `run` for an
/// `automation_run`. Fields stay strings so that a message from a newer or older version still
/// parses; the deliverer checks each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub tenant: String,
    pub kind: DeliveryKind,
    pub id: String,
    pub claim: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunRef>,
}

/// Which run an `automation_run` message is for (its key in the automation's partition), and
/// which attempt of its action: 1 for the first, one more for each webhook retry. The deliverer
/// starts an attempt only if the run has made exactly `attempt - 1`, so a duplicated or
/// redelivered message never acts twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRef {
    /// The run key's instant: the occurrence for schedule runs, the recording instant otherwise.
    pub scheduled_for: String,
    /// `S`, `E#<event id>` or `M#<run id>` (`keys::Key::AutomationRun`).
    pub occurrence: String,
    pub attempt: u32,
    /// Not to be attempted before this instant. A webhook retry may wait longer than SQS's
    /// 15-minute delay (the 30-minute step, a long `Retry-After`): the message is sent with the
    /// longest delay SQS allows and, arriving early, goes back for the rest of the wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
}

impl DeliveryMessage {
    pub fn post(tenant: &crate::domain::TenantId, id: crate::domain::PostId, claim: &str) -> Self {
        Self {
            tenant: tenant.as_str().to_owned(),
            kind: DeliveryKind::Post,
            id: id.to_string(),
            claim: claim.to_owned(),
            run: None,
        }
    }

    /// The first attempt of an automation run's action. `occurrence` is the run key's last part
    /// (`S`, `E#<event id>`, `M#<run id>`).
    pub fn automation_run(
        tenant: &crate::domain::TenantId,
        automation: crate::domain::automation::AutomationId,
        run: crate::domain::automation::RunId,
        scheduled_for: crate::domain::Timestamp,
        occurrence: &str,
    ) -> Self {
        Self {
            tenant: tenant.as_str().to_owned(),
            kind: DeliveryKind::AutomationRun,
            id: automation.to_string(),
            claim: run.to_string(),
            run: Some(RunRef {
                scheduled_for: scheduled_for.to_rfc3339(),
                occurrence: occurrence.to_owned(),
                attempt: 1,
                not_before: None,
            }),
        }
    }

    /// The same run's message for its next attempt (a webhook retry), due at `at`.
    pub fn next_attempt(&self, at: crate::domain::Timestamp) -> Self {
        let mut next = self.clone();
        if let Some(run) = &mut next.run {
            run.attempt += 1;
            run.not_before = Some(at.to_rfc3339());
        }
        next
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

    #[test]
    fn an_automation_run_names_the_run_and_its_attempt() {
        use crate::domain::automation::{AutomationId, RunId};
        let tenant = crate::domain::TenantId::parse("acme").unwrap();
        let at = crate::domain::Timestamp::parse("2026-03-08T07:00:00Z").unwrap();
        let (automation, run) = (AutomationId::generate(), RunId::generate(at));
        let message = DeliveryMessage::automation_run(&tenant, automation, run, at, "S");
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "tenant": "acme", "kind": "automation_run", "id": automation.to_string(),
                "claim": run.to_string(),
                "run": {"scheduled_for": "2026-03-08T07:00:00.000Z", "occurrence": "S", "attempt": 1}
            })
        );
        assert_eq!(DeliveryMessage::parse(&json.to_string()).unwrap(), message);
        let retry = message.next_attempt(at).run.unwrap();
        assert_eq!(retry.attempt, 2);
        assert_eq!(
            retry.not_before.as_deref(),
            Some("2026-03-08T07:00:00.000Z")
        );
    }
}
