use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{ChannelId, ChannelPatch, Permission, Timestamp, UrlPolicy};
use shared::http::{body_bytes, json, HttpResult, RequestParts};
use shared::repo::ChannelsRepository;
use shared::{ApiError, JsonObject};

pub async fn handle(
    request: Request,
    channels: &ChannelsRepository,
    policy: UrlPolicy,
) -> HttpResult {
    let caller = request.caller(Permission::ManageChannels)?;
    let id = request
        .path_param("id")
        .and_then(|raw| ChannelId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    // A new URL is checked exactly as at creation, resolution included.
    let patch = ChannelPatch::parse(JsonObject::parse(body_bytes(&request))?, policy).await?;
    let channel = if patch.is_empty() {
        channels
            .get(caller.tenant(), id)
            .await?
            .map(|stored| stored.channel)
    } else {
        channels
            .update(caller.tenant(), id, &patch, Timestamp::now())
            .await?
    };
    Ok(json(StatusCode::OK, &channel.ok_or(ApiError::NotFound)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    const ID: &str = "01J0000000000000000000000A";

    fn patch(groups: &str, id: &str, body: &str) -> Request {
        request("PATCH", Some("t1"), groups, body)
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    fn repo() -> ChannelsRepository {
        ChannelsRepository::new(unreachable_dynamodb(), "ofauto")
    }

    #[tokio::test]
    async fn only_admins_may_update_channels() {
        for groups in ["[viewer]", "[editor]"] {
            let err = handle(
                patch(groups, ID, r#"{"name":"x"}"#),
                &repo(),
                UrlPolicy::Aws,
            )
            .await
            .unwrap_err();
            assert_eq!(err.status(), 403, "{groups}");
        }
    }

    #[tokio::test]
    async fn invalid_patches_are_rejected_before_any_write() {
        for body in [
            "{",
            r#"{"status":"disabled"}"#,
            r#"{"status":"ACTIVE"}"#,
            r#"{"name":""}"#,
            r#"{"url":"http://8.8.8.8/"}"#,
            r#"{"url":"https://10.0.0.1/"}"#,
            r#"{"url":"https://[::1]/"}"#,
            r#"{"kind":"webhook"}"#,
            r#"{"id":"x"}"#,
        ] {
            let err = handle(patch("[admin]", ID, body), &repo(), UrlPolicy::Aws)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 400, "{body}");
        }
    }

    #[tokio::test]
    async fn malformed_ids_are_404() {
        let err = handle(
            patch("[admin]", "nope", r#"{"name":"x"}"#),
            &repo(),
            UrlPolicy::Aws,
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), 404);
    }
}
