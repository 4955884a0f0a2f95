//! Delivery queue consumer: signs and sends each due message, records the attempt, and finishes
//! or reschedules it.

mod handler;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::bus::DomainEvents;
use shared::repo::{ChannelsRepository, PostsRepository};
use shared::webhook::WebhookSender;
use shared::DeliveryQueue;
use shared::{aws, wiring, ChannelSecrets, DeadLetterQueue, Deliverer, DelivererParts};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = wiring::start()?;
    let sdk = aws::background_sdk_config().await;
    let deliverer = Deliverer::new(DelivererParts {
        posts: PostsRepository::new(aws::dynamodb(&sdk), config.table_name.clone()),
        channels: ChannelsRepository::new(aws::dynamodb(&sdk), config.table_name.clone()),
        secrets: ChannelSecrets::from_config(&sdk, &config)?,
        // The one HTTP client, built once: its connection pool outlives each batch.
        sender: WebhookSender::new(config.is_local()),
        queue: DeliveryQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            config.require_delivery_queue_url()?,
        ),
        events: DomainEvents::from_sdk(&sdk, config.require_event_bus_name()?),
        // Optional: without its own DLQ, an unreadable message is left to the queue's redrive.
        dead_letters: config
            .require_dead_letter_queue_url()
            .ok()
            .map(|url| DeadLetterQueue::new(&sdk, url)),
        lease: config.delivery_lease(),
        failing_after: config.channel_failing_after(),
    });
    let deliverer = &deliverer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        handler::handle(event.payload, deliverer).await
    }))
    .await
}
