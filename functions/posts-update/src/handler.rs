use lambda_http::http::StatusCode;
use lambda_http::Request;
use shared::domain::{Permission, PostId, PostPatch, Timestamp};
use shared::http::{body_bytes, json, HttpResult, RequestParts};
use shared::repo::PostsRepository;
use shared::schedule::Handover;
use shared::{ApiError, JsonObject};

/// 200 with the post as changed; 409 naming the status once the dispatcher has taken it.
pub async fn handle(request: Request, posts: &PostsRepository, handover: &Handover) -> HttpResult {
    let caller = request.caller(Permission::Write)?;
    let id = request
        .path_param("id")
        .and_then(|raw| PostId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    let now = Timestamp::now();
    let patch = PostPatch::parse(JsonObject::parse(body_bytes(&request))?, now)?;
    let post = posts.update(caller.tenant(), id, &patch, now).await?;
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

    fn deps() -> (PostsRepository, Handover) {
        (
            PostsRepository::new(unreachable_dynamodb(), "ofauto"),
            Handover::new(
                DeliveryQueue::new(unreachable_sqs(), "http://127.0.0.1:9/q"),
                Duration::from_secs(120),
            ),
        )
    }

    fn patch(groups: &str, id: &str, body: &str) -> Request {
        request("PATCH", Some("t1"), groups, body)
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    const ID: &str = "01JD0000000000000000000000";

    #[tokio::test]
    async fn refusals_come_before_any_read_or_write() {
        let (posts, handover) = deps();
        let status = |req| {
            let (posts, handover) = (&posts, &handover);
            async move { handle(req, posts, handover).await.unwrap_err().status() }
        };
        assert_eq!(status(patch("[viewer]", ID, "{}")).await, 403);
        assert_eq!(status(patch("[editor]", "nope", "{}")).await, 404);
        for body in [
            "{",
            r#"{"content":""}"#,
            r#"{"scheduled_at":"yesterday"}"#,
            r#"{"media_urls":[1]}"#,
            r#"{"channel_id":"01JD0000000000000000000000"}"#,
            r#"{"status":"draft"}"#,
        ] {
            assert_eq!(status(patch("[editor]", ID, body)).await, 400, "{body}");
        }
        let big = format!(r#"{{"content":"{}"}}"#, "x".repeat(70_000));
        assert_eq!(status(patch("[editor]", ID, &big)).await, 413);
    }
}
