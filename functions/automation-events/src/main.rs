//! DynamoDB stream consumer: each new event that matches an enabled automation's event trigger
//! becomes one run of that automation, exactly once however often the batch is redelivered.

mod handler;

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::automation_runner::EventTriggers;
use shared::repo::AutomationsRepository;
use shared::{aws, wiring, DeliveryQueue};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = wiring::start()?;
    let sdk = aws::background_sdk_config().await;
    let triggers = EventTriggers::new(
        AutomationsRepository::new(aws::dynamodb(&sdk), config.table_name.clone()),
        DeliveryQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            config.require_delivery_queue_url()?,
        ),
    );
    let triggers = &triggers;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        handler::handle(event.payload, triggers).await
    }))
    .await
}
