use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::Request;
use serde::Serialize;
use shared::domain::{Channel, NewChannel, Permission, Timestamp, UrlPolicy};
use shared::http::{body_bytes, json, HttpResult, RequestParts};
use shared::repo::ChannelsRepository;
use shared::{ApiError, ChannelSecrets, JsonObject};

/// The channel, plus its signing secret: the only answer that ever shows it.
#[derive(Serialize)]
struct Created<'a> {
    #[serde(flatten)]
    channel: &'a Channel,
    signing_secret: &'a str,
}

pub async fn handle(
    request: Request,
    channels: &ChannelsRepository,
    secrets: &ChannelSecrets,
    policy: UrlPolicy,
) -> HttpResult {
    let caller = request.caller(Permission::ManageChannels)?;
    let now = Timestamp::now();
    let new_channel = NewChannel::parse(JsonObject::parse(body_bytes(&request))?, policy).await?;
    let channel = Channel::create(new_channel, now);
    // The secret first: a channel item without its secret could never be delivered to.
    let secret = secrets.create(caller.tenant(), channel.id).await?;
    if let Err(error) = channels.create(caller.tenant(), &channel).await {
        if let Err(cleanup) = secrets.delete(caller.tenant(), channel.id).await {
            tracing::warn!(error = %cleanup, channel = %channel.id, "could not remove the secret of a channel that was not created");
        }
        return Err(error.into());
    }
    let mut response = json(
        StatusCode::CREATED,
        &Created {
            channel: &channel,
            signing_secret: secret.expose(),
        },
    );
    let location = HeaderValue::from_str(&format!("/v1/channels/{}", channel.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    response.headers_mut().insert("location", location);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing::{request, unreachable_dynamodb};

    fn deps() -> (ChannelsRepository, ChannelSecrets) {
        (
            ChannelsRepository::new(unreachable_dynamodb(), "ofauto"),
            ChannelSecrets::unreachable(),
        )
    }

    const VALID: &str = r#"{"name":"Main","kind":"webhook","url":"https://8.8.8.8/hook"}"#;

    #[tokio::test]
    async fn only_admins_may_create_channels() {
        let (channels, secrets) = deps();
        for groups in ["[viewer]", "[editor]", "[]"] {
            let req = request("POST", Some("t1"), groups, VALID);
            let err = handle(req, &channels, &secrets, UrlPolicy::Aws)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 403, "{groups}");
        }
        let req = request("POST", None, "[admin]", VALID);
        let err = handle(req, &channels, &secrets, UrlPolicy::Aws)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 403);
    }

    #[tokio::test]
    async fn invalid_bodies_are_rejected_before_any_write() {
        // Both stores are unreachable: reaching either would surface as 503, not 400/413.
        let (channels, secrets) = deps();
        for (body, status) in [
            ("{", 400),
            ("[]", 400),
            (r#"{"name":"n","kind":"webhook"}"#, 400),
            (
                r#"{"name":"n","kind":"email","url":"https://8.8.8.8/"}"#,
                400,
            ),
            (
                r#"{"name":"n","kind":"webhook","url":"http://8.8.8.8/"}"#,
                400,
            ),
            (
                r#"{"name":"n","kind":"webhook","url":"https://127.0.0.1/"}"#,
                400,
            ),
            (
                r#"{"name":"n","kind":"webhook","url":"https://169.254.169.254/"}"#,
                400,
            ),
            (
                r#"{"name":"n","kind":"webhook","url":"https://u:p@8.8.8.8/"}"#,
                400,
            ),
            (
                r#"{"name":"","kind":"webhook","url":"https://8.8.8.8/"}"#,
                400,
            ),
            (
                r#"{"name":"n","kind":"webhook","url":"https://8.8.8.8/","x":1}"#,
                400,
            ),
        ] {
            let req = request("POST", Some("t1"), "[admin]", body);
            let err = handle(req, &channels, &secrets, UrlPolicy::Aws)
                .await
                .unwrap_err();
            assert_eq!(err.status(), status, "{body}");
        }
        let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(70_000));
        let req = request("POST", Some("t1"), "[admin]", &big);
        let err = handle(req, &channels, &secrets, UrlPolicy::Aws)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 413);
    }

    #[tokio::test]
    async fn a_valid_body_reaches_storage() {
        let (channels, secrets) = deps();
        let req = request("POST", Some("t1"), "[admin]", VALID);
        let err = handle(req, &channels, &secrets, UrlPolicy::Aws)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 503);
    }
}
