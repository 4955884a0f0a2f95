//! `PATCH /v1/automations/{id}`: edits, pauses or resumes an automation.

mod handler;

use shared::repo::{AutomationsRepository, ChannelsRepository};
use shared::wiring::{self, TenantRoute};
use shared::{aws, http};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let deps = handler::Deps {
        automations: AutomationsRepository::new(aws::dynamodb(&sdk), config.table_name.clone()),
        channels: ChannelsRepository::new(aws::dynamodb(&sdk), config.table_name),
    };
    http::serve(edge, |request| handler::handle(request, &deps)).await
}
