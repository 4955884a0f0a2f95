//! `PATCH /v1/posts/{id}`: edits, schedules or unschedules a draft or scheduled post.

mod handler;

use shared::repo::PostsRepository;
use shared::schedule::Handover;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http, DeliveryQueue};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let queue = DeliveryQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        config.require_delivery_queue_url()?,
    );
    let handover = Handover::new(queue, config.delivery_lease());
    let posts = PostsRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| handler::handle(request, &posts, &handover)).await
}
