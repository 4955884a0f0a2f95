//! Every minute: finds due work on the sharded due index, claims it with a lease, and enqueues
//! it on the delivery queue delayed until due.

mod handler;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::bus::DomainEvents;
use shared::repo::{AutomationsRepository, DueIndex, PostsRepository};
use shared::{aws, wiring, Dispatcher};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = wiring::start()?;
    let sdk = aws::background_sdk_config().await;
    // One client for every repository: building one per repository costs cold start.
    let dynamodb = aws::dynamodb(&sdk);
    let dispatcher = Dispatcher::new(
        DueIndex::new(dynamodb.clone(), config.table_name.clone()),
        PostsRepository::new(dynamodb.clone(), config.table_name.clone()),
        AutomationsRepository::new(dynamodb, config.table_name.clone()),
        aws_sdk_sqs::Client::new(&sdk),
        config.require_delivery_queue_url()?,
        DomainEvents::from_sdk(&sdk, config.require_event_bus_name()?),
        config.delivery_lease(),
    );
    let dispatcher = &dispatcher;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent>| async move {
            handler::handle(event.payload, event.context.deadline(), dispatcher).await
        },
    ))
    .await
}
