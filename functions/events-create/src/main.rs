//! `POST /v1/events`: records one event for the caller's tenant.

mod handler;

use shared::domain::Permission;
use shared::repo::EventsRepository;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let edge = edge.idempotent(&config, &sdk, Permission::Write);
    let events = EventsRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| handler::handle(request, &events)).await
}
