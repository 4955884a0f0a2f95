//! `GET /v1/events`: a tenant's events, newest first, with signed cursors.

mod handler;

use shared::repo::EventsRepository;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    // Fetched once per cold start: Secrets Manager is not on the request path.
    let cursors = aws::cursor_signer(&sdk, config.require_cursor_secret_id()?).await?;
    let events = EventsRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| handler::handle(request, &events, &cursors)).await
}
