//! Delivery queue consumer: signs and sends each due message, records the attempt, and finishes
//! or reschedules it.

mod handler;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::automation_runner::RunAttempts;
use shared::bus::DomainEvents;
use shared::post_service::PostService;
use shared::repo::{AutomationsRepository, ChannelsRepository, EventsRepository, PostsRepository};
use shared::schedule::Handover;
use shared::webhook::WebhookSender;
use shared::DeliveryQueue;
use shared::{aws, wiring, ChannelSecrets, DeadLetterQueue, Deliverer, DelivererParts};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = wiring::start()?;
    let sdk = aws::background_sdk_config().await;
    let table = config.table_name.clone();
    let dynamodb = aws::dynamodb(&sdk);
    let posts = PostsRepository::new(dynamodb.clone(), table.clone());
    let channels = ChannelsRepository::new(dynamodb.clone(), table.clone());
    let queue = DeliveryQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        config.require_delivery_queue_url()?,
    );
    let deliverer = Deliverer::new(DelivererParts {
        posts: posts.clone(),
        channels: channels.clone(),
        secrets: ChannelSecrets::from_config(&sdk, &config)?,
        // The one HTTP client, built once: its connection pool outlives each batch.
        sender: WebhookSender::new(config.is_local()),
        queue: queue.clone(),
        events: DomainEvents::from_sdk(&sdk, config.require_event_bus_name()?),
        // Optional: without its own DLQ, an unreadable message is left to the queue's redrive.
        dead_letters: config
            .require_dead_letter_queue_url()
            .ok()
            .map(|url| DeadLetterQueue::new(&sdk, url)),
        lease: config.delivery_lease(),
        failing_after: config.channel_failing_after(),
        automations: AutomationsRepository::new(dynamodb.clone(), table.clone()),
        event_store: EventsRepository::new(dynamodb.clone(), table.clone()),
        // The path POST /v1/posts takes, for publish_post actions.
        post_service: PostService::new(
            posts,
            channels,
            Handover::new(queue, config.delivery_lease()),
        ),
        run_attempts: RunAttempts::new(dynamodb, table),
    });
    let deliverer = &deliverer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        handler::handle(event.payload, deliverer).await
    }))
    .await
}
