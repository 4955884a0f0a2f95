use std::time::Duration;

use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::Serialize;
use shared::bus::{detail_type, DomainEvent, DomainEvents};
use shared::domain::{ChannelId, DisabledReason, Permission, TenantId, Timestamp, WebhookId};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::{ChannelsRepository, StorageError};
use shared::webhook::{AttemptOutcome, Verdict, WebhookSender};
use shared::{ApiError, ChannelSecrets};

pub const MESSAGE_TYPE: &str = "channel.test";

pub struct Deps<'a> {
    pub channels: &'a ChannelsRepository,
    pub secrets: &'a ChannelSecrets,
    pub sender: &'a WebhookSender,
    pub failing_after: Duration,
    pub events: &'a DomainEvents,
}

#[derive(Debug, Serialize)]
struct TestResult {
    delivered: bool,
    status_code: Option<u16>,
    latency_ms: u64,
    error: Option<String>,
}

pub async fn handle(request: Request, deps: &Deps<'_>) -> HttpResult {
    let caller = request.caller(Permission::ManageChannels)?;
    let id = request
        .path_param("id")
        .and_then(|raw| ChannelId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    let stored = deps
        .channels
        .get(caller.tenant(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !stored.channel.is_active() {
        // A disabled channel receives nothing, tests included: re-enable it first.
        let reason = stored
            .channel
            .disabled_reason
            .map_or("", DisabledReason::as_str);
        return Err(ApiError::Conflict(format!(
            "The channel is disabled ({reason}); set its status to active first."
        )));
    }
    let now = Timestamp::now();
    let keys = deps
        .secrets
        .signing_keys(caller.tenant(), id, stored.secret_version, now)
        .await?;
    let data = serde_json::json!({
        "channel_id": id,
        "message": "This is a test message from OFAuto.",
    });
    let outcome = deps
        .sender
        .send(
            &stored.channel.url,
            &WebhookId::generate(),
            MESSAGE_TYPE,
            data,
            &keys,
        )
        .await;
    if let Err(error) = record_health(deps, caller.tenant(), id, &outcome).await {
        // The message went out (or not) either way: the answer reports that, not the bookkeeping.
        tracing::error!(error = %error, channel = %id, "could not record the test's outcome on the channel");
    }
    Ok(json(
        StatusCode::OK,
        &TestResult {
            delivered: outcome.verdict == Verdict::Delivered,
            status_code: outcome.status_code,
            latency_ms: outcome.latency_ms,
            error: outcome.error,
        },
    ))
}

/// As a real delivery would: a 2xx ends a failing run, a 410 disables the channel, anything else
/// is a failure that may disable it once the run is long enough. A channel this test disabled
/// is announced on the bus like one the deliverer disabled.
async fn record_health(
    deps: &Deps<'_>,
    tenant: &TenantId,
    id: ChannelId,
    outcome: &AttemptOutcome,
) -> Result<(), StorageError> {
    let disabled = match outcome.verdict {
        Verdict::Delivered => return deps.channels.record_success(tenant, id).await,
        Verdict::Gone => {
            deps.channels
                .disable(tenant, id, DisabledReason::Gone, outcome.at)
                .await?
        }
        Verdict::Permanent | Verdict::Retryable => {
            deps.channels
                .record_failure(tenant, id, outcome.at, deps.failing_after)
                .await?
        }
    };
    if let Some(channel) = disabled {
        let resource =
            serde_json::to_value(&channel).map_err(|e| StorageError::Internal(e.to_string()))?;
        let event = DomainEvent::new(detail_type::CHANNEL_DISABLED, tenant, resource);
        deps.events.publish(vec![event]).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    fn test_request(groups: &str, id: &str) -> Request {
        request("POST", Some("t1"), groups, "")
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    #[tokio::test]
    async fn only_admins_may_test_and_malformed_ids_are_404() {
        let channels = ChannelsRepository::new(unreachable_dynamodb(), "ofauto");
        let secrets = ChannelSecrets::unreachable();
        let sender = WebhookSender::new(false);
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let events = DomainEvents::from_sdk(&sdk, "ofauto");
        let deps = Deps {
            channels: &channels,
            secrets: &secrets,
            sender: &sender,
            failing_after: Duration::from_secs(3600),
            events: &events,
        };
        for groups in ["[viewer]", "[editor]"] {
            let err = handle(test_request(groups, "01J0000000000000000000000A"), &deps)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 403, "{groups}");
        }
        let err = handle(test_request("[admin]", "nope"), &deps)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 404);
    }
}
