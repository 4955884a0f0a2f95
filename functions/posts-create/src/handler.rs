use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::Request;
use shared::domain::{NewPost, Permission, Timestamp};
use shared::http::{body_bytes, json, HttpResult, RequestParts};
use shared::post_service::PostService;
use shared::{ApiError, JsonObject};

pub struct Deps {
    pub service: PostService,
}

pub async fn handle(request: Request, deps: &Deps) -> HttpResult {
    let caller = request.caller(Permission::Write)?;
    let tenant = caller.tenant();
    let now = Timestamp::now();
    let new_post = NewPost::parse(JsonObject::parse(body_bytes(&request))?, now)?;
    // The same path an automation's publish_post action takes.
    let post = deps.service.create_post(tenant, new_post, now).await?;
    let mut response = json(StatusCode::CREATED, &post);
    let location = HeaderValue::from_str(&format!("/v1/posts/{}", post.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    response.headers_mut().insert("location", location);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::repo::{ChannelsRepository, PostsRepository};
    use shared::schedule::Handover;
    use shared::testing::{request, unreachable_dynamodb, unreachable_sqs};
    use shared::DeliveryQueue;
    use std::time::Duration;

    fn deps() -> Deps {
        Deps {
            service: PostService::new(
                PostsRepository::new(unreachable_dynamodb(), "ofauto"),
                ChannelsRepository::new(unreachable_dynamodb(), "ofauto"),
                Handover::new(
                    DeliveryQueue::new(unreachable_sqs(), "http://127.0.0.1:9/q"),
                    Duration::from_secs(120),
                ),
            ),
        }
    }

    const OK: &str = r#"{"channel_id":"01JD0000000000000000000000","content":"hi"}"#;

    #[tokio::test]
    async fn viewers_and_tenantless_tokens_may_not_create() {
        let req = request("POST", Some("t1"), "[viewer]", OK);
        assert_eq!(handle(req, &deps()).await.unwrap_err().status(), 403);
        let req = request("POST", None, "[admin]", OK);
        assert_eq!(handle(req, &deps()).await.unwrap_err().status(), 403);
    }

    #[tokio::test]
    async fn invalid_bodies_are_rejected_before_any_read_or_write() {
        // Storage is unreachable: reaching it would surface as 503, not 400/413.
        for body in [
            "{",
            "[]",
            r#"{"content":"hi"}"#,
            r#"{"channel_id":"nope","content":"hi"}"#,
            r#"{"channel_id":"01JD0000000000000000000000","content":""}"#,
            r#"{"channel_id":"01JD0000000000000000000000","content":"hi","scheduled_at":"2001-01-01T00:00:00Z"}"#,
            r#"{"channel_id":"01JD0000000000000000000000","content":"hi","media_urls":["http://x"]}"#,
            r#"{"channel_id":"01JD0000000000000000000000","content":"hi","status":"published"}"#,
        ] {
            let req = request("POST", Some("t1"), "[editor]", body);
            assert_eq!(
                handle(req, &deps()).await.unwrap_err().status(),
                400,
                "{body}"
            );
        }
        let big = format!(
            r#"{{"channel_id":"01JD0000000000000000000000","content":"{}"}}"#,
            "x".repeat(70_000)
        );
        let req = request("POST", Some("t1"), "[editor]", &big);
        assert_eq!(handle(req, &deps()).await.unwrap_err().status(), 413);
    }
}
