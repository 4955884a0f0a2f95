use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use shared::automation_runner::EventTriggers;

/// Starts the batch's event-triggered runs. When some could not be started (storage or the
/// queue unavailable), the answer names the first record affected: the stream hands the batch
/// back from there, and the runs already written are found and not run twice.
pub async fn handle(
    batch: Event,
    triggers: &EventTriggers,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let (response, summary) = triggers.handle(&batch).await;
    tracing::info!(
        records = summary.records,
        events = summary.events,
        runs = summary.runs,
        existing = summary.existing,
        resent = summary.resent,
        failures = summary.failures,
        "event triggers"
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::repo::AutomationsRepository;
    use shared::testing::{unreachable_dynamodb, unreachable_sqs};
    use shared::DeliveryQueue;

    fn sample() -> Event {
        serde_json::from_str(include_str!("../../../events/dynamodb-stream-batch.json")).unwrap()
    }

    #[tokio::test]
    async fn storage_down_hands_the_batch_back_from_its_first_new_event() {
        let triggers = EventTriggers::new(
            AutomationsRepository::new(unreachable_dynamodb(), "ofauto"),
            DeliveryQueue::new(unreachable_sqs(), "http://127.0.0.1:9/q"),
        );
        let batch = sample();
        let first_insert = batch
            .records
            .iter()
            .find(|r| r.event_name == "INSERT")
            .unwrap()
            .change
            .sequence_number
            .clone();
        let response = handle(batch, &triggers).await.unwrap();
        assert_eq!(response.batch_item_failures.len(), 1);
        assert_eq!(
            response.batch_item_failures[0].item_identifier,
            first_insert
        );
    }
}
