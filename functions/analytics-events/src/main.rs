//! `GET /v1/analytics/events`: counts per hour or day, read from pre-aggregated counters.

mod handler;

use shared::repo::CountersRepository;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let counters = CountersRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| handler::handle(request, &counters)).await
}
