use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{Permission, PostId, Timestamp};
use shared::http::{json, HttpResult, RequestParts};
use shared::repo::PostsRepository;
use shared::schedule::Handover;
use shared::ApiError;

/// A failed post becomes `scheduled` for now with the same `webhook_id`, and is handed to the
/// delivery queue at once: 200 with the post, 409 naming the status unless it had failed.
pub async fn handle(request: Request, posts: &PostsRepository, handover: &Handover) -> HttpResult {
    let caller = request.caller(Permission::Write)?;
    let id = request
        .path_param("id")
        .and_then(|raw| PostId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    let now = Timestamp::now();
    let post = posts.retry(caller.tenant(), id, now).await?;
    handover.hand_over(posts, caller.tenant(), &post, now).await;
    Ok(json(StatusCode::OK, &post))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb, unreachable_sqs};
    use shared::DeliveryQueue;
    use std::collections::HashMap;
    use std::time::Duration;

    fn with_id(groups: &str, id: &str) -> Request {
        request("POST", Some("t1"), groups, "")
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    #[tokio::test]
    async fn viewers_are_403_and_malformed_ids_404_without_storage() {
        let repo = PostsRepository::new(unreachable_dynamodb(), "ofauto");
        let handover = Handover::new(
            DeliveryQueue::new(unreachable_sqs(), "http://127.0.0.1:9/q"),
            Duration::from_secs(120),
        );
        let id = "01JD0000000000000000000000";
        let err = handle(with_id("[viewer]", id), &repo, &handover).await;
        assert_eq!(err.unwrap_err().status(), 403);
        let err = handle(with_id("[editor]", "x"), &repo, &handover).await;
        assert_eq!(err.unwrap_err().status(), 404);
    }
}
