use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::Deliverer;

/// Delivers the batch. The answer is a partial batch response: only the messages that met an
/// outage come back, each after its visibility timeout; a receiver's failure is rescheduled
/// through the table and acked here.
pub async fn handle(
    batch: SqsEvent,
    deliverer: &Deliverer,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(deliverer.handle(batch).await)
}
