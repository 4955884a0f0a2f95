use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{ChannelId, Permission, Timestamp};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::ChannelsRepository;
use shared::{ApiError, ChannelSecrets};

pub async fn handle(
    request: Request,
    channels: &ChannelsRepository,
    secrets: &ChannelSecrets,
) -> HttpResult {
    let caller = request.caller(Permission::ManageChannels)?;
    let id = request
        .path_param("id")
        .and_then(|raw| ChannelId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    channels
        .get(caller.tenant(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = Timestamp::now();
    let secret = secrets.rotate(caller.tenant(), id, now).await?;
    // After the secret, not before: a deliverer that sees the new version must find the new
    // secret, or it would cache the old one under the new version.
    channels
        .bump_secret_version(caller.tenant(), id, now)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "signing_secret": secret.expose() }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    fn rotate(groups: &str, id: &str) -> Request {
        request("POST", Some("t1"), groups, "")
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    fn deps() -> (ChannelsRepository, ChannelSecrets) {
        (
            ChannelsRepository::new(unreachable_dynamodb(), "ofauto"),
            ChannelSecrets::unreachable(),
        )
    }

    #[tokio::test]
    async fn only_admins_may_rotate() {
        let (channels, secrets) = deps();
        for groups in ["[viewer]", "[editor]"] {
            let err = handle(
                rotate(groups, "01J0000000000000000000000A"),
                &channels,
                &secrets,
            )
            .await
            .unwrap_err();
            assert_eq!(err.status(), 403, "{groups}");
        }
    }

    #[tokio::test]
    async fn malformed_ids_are_404_without_touching_storage() {
        let (channels, secrets) = deps();
        let err = handle(rotate("[admin]", "nope"), &channels, &secrets)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 404);
    }
}
