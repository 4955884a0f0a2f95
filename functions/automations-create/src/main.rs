//! `POST /v1/automations`: creates a schedule, rate or event automation acting on one of the
//! caller's active channels.

mod handler;

use shared::domain::Permission;
use shared::repo::{AutomationsRepository, ChannelsRepository};
use shared::wiring::{self, TenantRoute};
use shared::{aws, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let edge = edge.idempotent(&config, &sdk, Permission::Write);
    // One client for every repository: building one per repository costs cold start.
    let dynamodb = aws::dynamodb(&sdk);
    let deps = handler::Deps {
        automations: AutomationsRepository::new(dynamodb.clone(), config.table_name.clone()),
        channels: ChannelsRepository::new(dynamodb, config.table_name),
    };
    http::serve(edge, |request| handler::handle(request, &deps)).await
}
