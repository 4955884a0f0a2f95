//! `POST /v1/channels/{id}/test`: delivers a signed `channel.test` message now and reports how
//! it went; the outcome counts towards the channel's health like any delivery (admin).

mod handler;

use shared::bus::DomainEvents;
use shared::repo::ChannelsRepository;
use shared::webhook::WebhookSender;
use shared::wiring::{self, TenantRoute};
use shared::{aws, http, ChannelSecrets};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let TenantRoute { config, sdk, edge } = wiring::tenant_route().await?;
    let secrets = ChannelSecrets::from_config(&sdk, &config)?;
    let sender = WebhookSender::new(config.is_local());
    let failing_after = config.channel_failing_after();
    let events = DomainEvents::from_sdk(&sdk, config.require_event_bus_name()?);
    let channels = ChannelsRepository::new(aws::dynamodb(&sdk), config.table_name);
    let deps = handler::Deps {
        channels: &channels,
        secrets: &secrets,
        sender: &sender,
        failing_after,
        events: &events,
    };
    http::serve(edge, |request| handler::handle(request, &deps)).await
}
