//! `DELETE /v1/automations/{id}`: deletes an automation. Its runs are left to expire (TTL).

mod handler;

use shared::repo::AutomationsRepository;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let automations = AutomationsRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| handler::handle(request, &automations)).await
}
