use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use shared::bus::{event_created, DomainEvent, DomainEvents};

/// Publishes the batch's new events. When some do not reach the bus (each already logged and
/// counted), the answer names the first of their records: the stream hands the batch back from
/// there, and what was published after it is published again, which subscribers dedupe by id.
pub async fn handle(
    batch: Event,
    bus: &DomainEvents,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let (records, events) = created_in(&batch);
    let published = bus.publish_all(&events).await;
    tracing::info!(
        records = batch.records.len(),
        events = events.len(),
        failed = published.failed.len(),
        "stream batch published"
    );
    let mut response = DynamoDbEventResponse::default();
    if let Some(&first) = published.failed.iter().min() {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = batch.records[records[first]].change.sequence_number.clone();
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}

/// The domain events of the batch, each with the index of the record it came from.
fn created_in(batch: &Event) -> (Vec<usize>, Vec<DomainEvent>) {
    batch
        .records
        .iter()
        .enumerate()
        .filter_map(|(index, record)| event_created(record).map(|event| (index, event)))
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        serde_json::from_str(include_str!("../../../events/dynamodb-stream-batch.json")).unwrap()
    }

    #[test]
    fn each_inserted_event_is_published_once_and_points_back_at_its_record() {
        let batch = sample();
        let (records, events) = created_in(&batch);
        let inserts = batch
            .records
            .iter()
            .filter(|r| r.event_name == "INSERT")
            .count();
        assert_eq!(events.len(), inserts);
        for (record, event) in records.iter().zip(&events) {
            assert_eq!(batch.records[*record].event_name, "INSERT");
            assert_eq!(event.detail_type(), "event.created");
            let keys = serde_json::to_value(&batch.records[*record].change.keys).unwrap();
            assert_eq!(event.detail()["id"], keys["sk"]["S"]);
        }
    }
}
