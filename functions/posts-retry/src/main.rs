//! `POST /v1/posts/{id}/retry`: puts a failed post back on the schedule for now.

mod handler;

use shared::domain::Permission;
use shared::repo::PostsRepository;
use shared::schedule::Handover;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http, DeliveryQueue};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    // A client that repeats a retry after a lost answer gets the first answer, not a 409.
    let edge = edge.idempotent(&config, &sdk, Permission::Write);
    let queue = DeliveryQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        config.require_delivery_queue_url()?,
    );
    let handover = Handover::new(queue, config.delivery_lease());
    let posts = PostsRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| handler::handle(request, &posts, &handover)).await
}
