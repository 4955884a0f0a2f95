//! `PATCH /v1/automations/{id}`: edits, pauses or resumes an automation.

mod handler;

use shared::repo::{AutomationsRepository, ChannelsRepository};
use shared::wiring::{self, TenantRoute};
use shared::{aws, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    // One client for every repository: building one per repository costs cold start.
    let dynamodb = aws::dynamodb(&sdk);
    let deps = handler::Deps {
        automations: AutomationsRepository::new(dynamodb.clone(), config.table_name.clone()),
        channels: ChannelsRepository::new(dynamodb, config.table_name),
    };
    http::serve(edge, |request| handler::handle(request, &deps)).await
}
