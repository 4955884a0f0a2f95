//! `POST /v1/automations/{id}/run`: runs an automation now, also while it is paused.

mod handler;

use shared::domain::Permission;
use shared::repo::AutomationsRepository;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http, DeliveryQueue};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    // A client that repeats the request after a lost answer gets the first run, not a second.
    let edge = edge.idempotent(&config, &sdk, Permission::Write);
    let deps = handler::Deps {
        automations: AutomationsRepository::new(aws::dynamodb(&sdk), config.table_name.clone()),
        queue: DeliveryQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            config.require_delivery_queue_url()?,
        ),
    };
    http::serve(edge, |request| handler::handle(request, &deps)).await
}
