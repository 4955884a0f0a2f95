//! `POST /v1/automations/preview`: the next instants a trigger fires, with wall time and offset
//! in its zone. Computed by the same `Trigger::next_after` the dispatcher fires by.

mod handler;

use shared::http;
use shared::wiring::{self, TenantRoute};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { edge, .. } = wiring::tenant_route().await?;
    http::serve(edge, |request| async move { handler::handle(request) }).await
}
