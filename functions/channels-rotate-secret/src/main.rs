//! `POST /v1/channels/{id}/rotate-secret`: a new signing secret; the old one keeps signing for
//! 24 h so receivers can switch without losing a message (admin).

mod handler;

use shared::repo::ChannelsRepository;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http, ChannelSecrets};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let secrets = ChannelSecrets::from_config(&sdk, &config)?;
    let channels = ChannelsRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| {
        handler::handle(request, &channels, &secrets)
    })
    .await
}
