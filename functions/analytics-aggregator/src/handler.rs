use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use shared::aggregation::CounterChange;
use shared::repo::counters::CountersRepository;

/// Applies the batch or fails it whole: a failed batch is redelivered, and the per-record
/// markers make that redelivery harmless, so partial-failure bookkeeping would buy nothing.
pub async fn handle(
    batch: Event,
    counters: &CountersRepository,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let changes = changes_in(&batch);
    let records = batch.records.len();
    if changes.is_empty() {
        return Ok(DynamoDbEventResponse::default());
    }
    let summary = counters
        .apply(changes)
        .await
        .map_err(|e| lambda_runtime::Error::from(e.to_string()))?;
    tracing::info!(
        records,
        applied = summary.applied,
        already_applied = summary.already_applied,
        transactions = summary.transactions,
        "stream batch aggregated"
    );
    Ok(DynamoDbEventResponse::default())
}

fn changes_in(batch: &Event) -> Vec<CounterChange> {
    batch
        .records
        .iter()
        .filter_map(CounterChange::from_record)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_batch_changes_match_its_event_records() {
        let batch: Event =
            serde_json::from_str(include_str!("../../../events/dynamodb-stream-batch.json"))
                .unwrap();
        let changes = changes_in(&batch);
        assert_eq!(changes.len(), batch.records.len());
        assert_eq!(changes.iter().map(|c| c.delta).sum::<i64>(), 1);
    }
}
