//! DynamoDB stream consumer: publishes `event.created` to the custom bus for each new event.

mod handler;

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::bus::DomainEvents;
use shared::{aws, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = wiring::start()?;
    let sdk = aws::background_sdk_config().await;
    let bus = DomainEvents::from_sdk(&sdk, config.require_event_bus_name()?);
    let bus = &bus;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        handler::handle(event.payload, bus).await
    }))
    .await
}
