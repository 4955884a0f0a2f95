use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{ChannelId, Permission};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::ChannelsRepository;
use shared::ApiError;

pub async fn handle(request: Request, channels: &ChannelsRepository) -> HttpResult {
    let caller = request.caller(Permission::Read)?;
    // A malformed id names nothing: same answer as a missing or foreign one.
    let id = request
        .path_param("id")
        .and_then(|raw| ChannelId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    let stored = channels
        .get(caller.tenant(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::OK, &stored.channel))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    fn with_id(groups: &str, id: &str) -> Request {
        request("GET", Some("t1"), groups, "")
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    #[tokio::test]
    async fn malformed_ids_are_404_without_touching_storage() {
        let repo = ChannelsRepository::new(unreachable_dynamodb(), "ofauto");
        for id in ["nope", "../x", "01j0000000000000000000000a"] {
            let err = handle(with_id("[viewer]", id), &repo).await.unwrap_err();
            assert_eq!(err.status(), 404, "{id}");
        }
    }

    #[tokio::test]
    async fn a_caller_without_a_role_is_forbidden() {
        let repo = ChannelsRepository::new(unreachable_dynamodb(), "ofauto");
        let err = handle(with_id("[]", "01J0000000000000000000000A"), &repo)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 403);
    }
}
