//! `PATCH /v1/channels/{id}`: renames a channel, moves it to another URL, or re-enables it (admin).

mod handler;

use shared::domain::UrlPolicy;
use shared::repo::ChannelsRepository;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let policy = UrlPolicy::for_config(&config);
    let channels = ChannelsRepository::new(aws::dynamodb(&sdk), config.table_name);
    http::serve(edge, |request| handler::handle(request, &channels, policy)).await
}
