//! `POST /v1/posts`: creates a draft or scheduled post for one of the caller's active channels.

mod handler;

use shared::domain::Permission;
use shared::post_service::PostService;
use shared::repo::{ChannelsRepository, PostsRepository};
use shared::schedule::Handover;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http, DeliveryQueue};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let edge = edge.idempotent(&config, &sdk, Permission::Write);
    let queue = DeliveryQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        config.require_delivery_queue_url()?,
    );
    let handover = Handover::new(queue, config.delivery_lease());
    // One client for every repository: building one per repository costs cold start.
    let dynamodb = aws::dynamodb(&sdk);
    let posts = PostsRepository::new(dynamodb.clone(), config.table_name.clone());
    let channels = ChannelsRepository::new(dynamodb, config.table_name);
    let deps = handler::Deps {
        service: PostService::new(posts, channels, handover),
    };
    http::serve(edge, |request| handler::handle(request, &deps)).await
}
