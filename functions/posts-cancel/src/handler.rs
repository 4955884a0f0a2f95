use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{Permission, PostId, Timestamp};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::PostsRepository;
use shared::ApiError;

/// Answers 200 with the cancelled post, 409 naming the status when the post is past cancelling
/// (the dispatcher claimed it first), 404 when there is no such post.
pub async fn handle(request: Request, posts: &PostsRepository) -> HttpResult {
    let caller = request.caller(Permission::Write)?;
    let id = request
        .path_param("id")
        .and_then(|raw| PostId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    let post = posts.cancel(caller.tenant(), id, Timestamp::now()).await?;
    Ok(json(StatusCode::OK, &post))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    fn with_id(groups: &str, id: &str) -> Request {
        request("DELETE", Some("t1"), groups, "")
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    #[tokio::test]
    async fn viewers_are_403_and_malformed_ids_404_without_storage() {
        let repo = PostsRepository::new(unreachable_dynamodb(), "ofauto");
        let id = "01JD0000000000000000000000";
        assert_eq!(
            handle(with_id("[viewer]", id), &repo)
                .await
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            handle(with_id("[editor]", "nope"), &repo)
                .await
                .unwrap_err()
                .status(),
            404
        );
    }
}
