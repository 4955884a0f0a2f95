//! DynamoDB stream consumer: keeps the hourly and daily counters that analytics reads.

mod handler;

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::repo::CountersRepository;
use shared::DeadLetterQueue;
use shared::{aws, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = wiring::start()?;
    let sdk = aws::sdk_config().await;
    let dead_letters = DeadLetterQueue::new(&sdk, config.require_dead_letter_queue_url()?);
    let counters = CountersRepository::new(aws::dynamodb(&sdk), config.table_name);
    let (counters, dead_letters) = (&counters, &dead_letters);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        handler::handle(event.payload, counters, dead_letters).await
    }))
    .await
}
