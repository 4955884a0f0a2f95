//! `DELETE /v1/channels/{id}`: deletes a channel and its secret; its scheduled posts fail with
//! `channel deleted` (admin).

mod handler;

use shared::bus::DomainEvents;
use shared::repo::{ChannelsRepository, PostsRepository};
use shared::wiring::{self, TenantRoute};
use shared::{aws, http, ChannelSecrets};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let secrets = ChannelSecrets::from_config(&sdk, &config)?;
    let events = DomainEvents::from_sdk(&sdk, config.require_event_bus_name()?);
    // One client for every repository: building one per repository costs cold start.
    let dynamodb = aws::dynamodb(&sdk);
    let channels = ChannelsRepository::new(dynamodb.clone(), &config.table_name);
    let posts = PostsRepository::new(dynamodb, config.table_name);
    let deps = handler::Deps {
        channels: &channels,
        secrets: &secrets,
        posts: &posts,
        events: &events,
    };
    http::serve(edge, |request| handler::handle(request, &deps)).await
}
