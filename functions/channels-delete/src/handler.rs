use lambda_http::Request;
use shared::bus::{detail_type, DomainEvent, DomainEvents};
use shared::domain::{ChannelId, Permission, Timestamp};
use shared::http::{no_content, HttpResult, RequestParts};
use shared::repo::{ChannelsRepository, PostsRepository};
use shared::{ApiError, ChannelSecrets};

/// The `last_error` of a post whose channel was deleted (API.md).
pub const CHANNEL_DELETED: &str = "channel deleted";

pub struct Deps<'a> {
    pub channels: &'a ChannelsRepository,
    pub secrets: &'a ChannelSecrets,
    pub posts: &'a PostsRepository,
    pub events: &'a DomainEvents,
}

pub async fn handle(request: Request, deps: &Deps<'_>) -> HttpResult {
    let caller = request.caller(Permission::ManageChannels)?;
    let tenant = caller.tenant();
    let id = request
        .path_param("id")
        .and_then(|raw| ChannelId::parse(&raw))
        .ok_or(ApiError::NotFound)?;
    deps.channels
        .get(tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // The secret before the item: if the item's deletion then fails, a retry finds the channel
    // and finishes (deleting a secret already scheduled for deletion succeeds).
    deps.secrets.delete(tenant, id).await?;
    if !deps.channels.delete(tenant, id).await? {
        return Err(ApiError::NotFound);
    }
    let now = Timestamp::now();
    // The channel is gone whatever happens next; the deliverer fails any post this pass misses
    // ("channel deleted"), so a failure here is logged, not answered.
    match deps
        .posts
        .fail_scheduled_for_channel(tenant, id, CHANNEL_DELETED, now)
        .await
    {
        Ok(failed) => {
            let events: Vec<DomainEvent> = failed
                .iter()
                .filter_map(|post| serde_json::to_value(post).ok())
                .map(|post| DomainEvent::new(detail_type::POST_FAILED, tenant, post))
                .collect();
            if let Err(error) = deps.events.publish(events).await {
                tracing::error!(error = %error, channel = %id, "could not publish post.failed for a deleted channel's posts");
            }
        }
        Err(error) => {
            tracing::error!(error = %error, channel = %id, "could not fail a deleted channel's scheduled posts");
        }
    }
    Ok(no_content())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use shared::testing::{request, unreachable_dynamodb};
    use std::collections::HashMap;

    fn delete(groups: &str, id: &str) -> Request {
        request("DELETE", Some("t1"), groups, "")
            .with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]))
    }

    #[tokio::test]
    async fn only_admins_may_delete_and_malformed_ids_are_404() {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let channels = ChannelsRepository::new(unreachable_dynamodb(), "ofauto");
        let posts = PostsRepository::new(unreachable_dynamodb(), "ofauto");
        let secrets = ChannelSecrets::unreachable();
        let events = DomainEvents::from_sdk(&sdk, "ofauto");
        let deps = Deps {
            channels: &channels,
            secrets: &secrets,
            posts: &posts,
            events: &events,
        };
        for groups in ["[viewer]", "[editor]"] {
            let err = handle(delete(groups, "01J0000000000000000000000A"), &deps)
                .await
                .unwrap_err();
            assert_eq!(err.status(), 403, "{groups}");
        }
        let err = handle(delete("[admin]", "nope"), &deps).await.unwrap_err();
        assert_eq!(err.status(), 404);
    }
}
