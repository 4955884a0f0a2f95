//! `POST /v1/channels`: creates a webhook channel and its signing secret (admin).

mod handler;

use shared::domain::{Permission, UrlPolicy};
use shared::repo::ChannelsRepository;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http, ChannelSecrets};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let edge = edge.idempotent(&config, &sdk, Permission::ManageChannels);
    let policy = UrlPolicy::for_config(&config);
    let secrets = ChannelSecrets::from_config(&sdk, &config)?;
    let channels = ChannelsRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| {
        handler::handle(request, &channels, &secrets, policy)
    })
    .await
}
