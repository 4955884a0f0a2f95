use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde::Serialize;
use shared::repo::{CountersRepository, PoisonedChange};
use shared::telemetry;
use shared::CounterChange;
use shared::{bounded, DeadLetterQueue};

/// Applies the batch. A record DynamoDB refuses for good is parked on the dead-letter queue and
/// the rest of the batch goes on, so that no one tenant's data can hold up every tenant's
/// counters. Only a failure of the service as a whole fails the batch: it is redelivered, and the
/// per-record markers make that redelivery harmless.
pub async fn handle(
    batch: Event,
    counters: &CountersRepository,
    dead_letters: &DeadLetterQueue,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let changes = changes_in(&batch);
    let records = batch.records.len();
    if changes.is_empty() {
        return Ok(DynamoDbEventResponse::default());
    }
    // A `StorageError`, boxed as it is: the runtime logs it and the stream redelivers the batch.
    let summary = counters.apply(changes).await?;
    tracing::info!(
        records,
        applied = summary.applied,
        already_applied = summary.already_applied,
        poisoned = summary.poisoned.len(),
        transactions = summary.transactions,
        "stream batch aggregated"
    );
    let mut response = DynamoDbEventResponse::default();
    let mut parked = 0;
    for poisoned in &summary.poisoned {
        let record = batch
            .records
            .iter()
            .find(|r| r.event_id == poisoned.record_id);
        match dead_letters.send(&DeadLetter::new(poisoned, record)).await {
            Ok(()) => parked += 1,
            Err(error) => {
                // Unparked, it must not be dropped: the stream redelivers from it.
                tracing::error!(record = %poisoned.record_id, %error, "could not park a poison record");
                let sequence = record
                    .and_then(|r| r.change.sequence_number.clone())
                    .unwrap_or_default();
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = Some(sequence);
                response.batch_item_failures.push(failure);
                break;
            }
        }
    }
    telemetry::count("poison_records", parked);
    Ok(response)
}

fn changes_in(batch: &Event) -> Vec<CounterChange> {
    batch
        .records
        .iter()
        .filter_map(CounterChange::from_record)
        .collect()
}

/// What an operator needs to find the record again: its place in the stream and the item's key.
/// Not the record itself, which may be the very thing too large to handle.
#[derive(Debug, Serialize)]
struct DeadLetter {
    kind: &'static str,
    reason: String,
    event_id: String,
    sequence_number: Option<String>,
    event_source_arn: Option<String>,
    keys: serde_json::Value,
}

impl DeadLetter {
    fn new(poisoned: &PoisonedChange, record: Option<&EventRecord>) -> Self {
        Self {
            kind: "stream-record-refused",
            reason: bounded(&poisoned.reason),
            event_id: poisoned.record_id.clone(),
            sequence_number: record.and_then(|r| r.change.sequence_number.clone()),
            event_source_arn: record.and_then(|r| r.event_source_arn.clone()),
            keys: record
                .and_then(|r| serde_json::to_value(&r.change.keys).ok())
                .map(|keys| serde_json::Value::String(bounded(&keys.to_string())))
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        serde_json::from_str(include_str!("../../../events/dynamodb-stream-batch.json")).unwrap()
    }

    #[test]
    fn sample_batch_changes_match_its_event_records() {
        let batch = sample();
        let changes = changes_in(&batch);
        assert_eq!(changes.len(), batch.records.len());
        assert_eq!(changes.iter().map(|c| c.delta).sum::<i64>(), 1);
    }

    #[test]
    fn a_dead_letter_locates_the_record_without_carrying_it() {
        let batch = sample();
        let record = &batch.records[0];
        let poisoned = PoisonedChange {
            record_id: record.event_id.clone(),
            reason: "x".repeat(100_000),
        };
        let letter = serde_json::to_value(DeadLetter::new(&poisoned, Some(record))).unwrap();
        assert_eq!(letter["event_id"], record.event_id.as_str());
        assert_eq!(
            letter["sequence_number"].as_str(),
            record.change.sequence_number.as_deref()
        );
        assert!(letter["keys"].as_str().unwrap().contains("pk"));
        assert!(letter.to_string().len() < 8 * 1024, "a letter stays small");
    }
}
