//! Event triggers, from the table's stream (the consumer family of the analytics aggregator and
//! `event.created`): each new event of a tenant is matched against the tenant's enabled
//! automations with an event trigger, and each match becomes a run keyed by the event's id.
//!
//! The run is written only if its key does not exist, so a redelivered batch finds it and does
//! not run it again. The key's instant is the event's `created_at`, read from the stream image,
//! so a redelivery computes the same key. A run found already written but never started (the
//! earlier delivery stopped between the write and the send) is sent again: the deliverer starts
//! a run's action with a conditional write, so a second message for it acts at most once.

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::Event as StreamBatch;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use futures::stream::{self, StreamExt};
use serde_json::{Map, Value};

use crate::bus::inserted_event;
use crate::delivery_queue::{DeliveryMessage, DeliveryQueue};
use crate::domain::{Event, EventId, TenantId, Timestamp, Trigger};
use crate::repo::{
    AutomationRecord, AutomationsRepository, Occurrence, RunRecord, RunState, StorageError,
};

/// Runs written at once.
const CONCURRENCY: usize = 16;

/// What one batch did, for the log line and the function's answer.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TriggerSummary {
    pub records: usize,
    pub events: usize,
    /// Runs written and enqueued.
    pub runs: usize,
    /// Runs found already written (a redelivered batch).
    pub existing: usize,
    /// Of those, runs found never started and enqueued again.
    pub resent: usize,
    pub failures: usize,
}

pub struct EventTriggers {
    automations: AutomationsRepository,
    queue: DeliveryQueue,
}

/// One new event of the batch and the record it came from.
struct NewEvent {
    record: usize,
    tenant: TenantId,
    id: EventId,
    event_type: String,
    properties: Map<String, Value>,
    created_at: Timestamp,
}

/// One run to start: an automation and the event that matched it.
struct Match<'a> {
    event: &'a NewEvent,
    automation: &'a AutomationRecord,
}

impl EventTriggers {
    pub fn new(automations: AutomationsRepository, queue: DeliveryQueue) -> Self {
        Self { automations, queue }
    }

    /// Runs every automation that a new event of the batch matches. When something could not
    /// be done (storage or the queue unavailable), the answer names the first record affected:
    /// the stream hands the batch back from there, and what was done after it is found done.
    pub async fn handle(&self, batch: &StreamBatch) -> (DynamoDbEventResponse, TriggerSummary) {
        let events: Vec<NewEvent> = batch
            .records
            .iter()
            .enumerate()
            .filter_map(|(record, r)| inserted_event(r).and_then(|(t, e)| new_event(record, t, e)))
            .collect();
        let mut summary = TriggerSummary {
            records: batch.records.len(),
            events: events.len(),
            ..TriggerSummary::default()
        };
        let mut first_failed: Option<usize> = None;
        let mut fail = |record: usize| {
            first_failed = Some(first_failed.map_or(record, |f| f.min(record)));
        };

        // Each tenant's event automations, read once per batch.
        let mut tenants: Vec<&TenantId> = events.iter().map(|e| &e.tenant).collect();
        tenants.sort();
        tenants.dedup();
        let reads = stream::iter(tenants)
            .map(|tenant| async move { (tenant, self.automations.event_automations(tenant).await) })
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        let mut by_tenant: HashMap<&TenantId, Vec<AutomationRecord>> = HashMap::new();
        for (tenant, result) in reads {
            match result {
                Ok(automations) => {
                    by_tenant.insert(tenant, automations);
                }
                Err(error) => {
                    tracing::error!(tenant = tenant.as_str(), %error, "event automations could not be read");
                    for event in events.iter().filter(|e| &e.tenant == tenant) {
                        fail(event.record);
                    }
                }
            }
        }

        let matches: Vec<Match<'_>> = events
            .iter()
            .flat_map(|event| {
                by_tenant
                    .get(&event.tenant)
                    .into_iter()
                    .flatten()
                    .filter(|automation| matches(automation, event))
                    .map(move |automation| Match { event, automation })
            })
            .collect();
        let results: Vec<(usize, Result<Started, StorageError>)> = stream::iter(matches)
            .map(|m| async move { (m.event.record, self.start(&m).await) })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for (record, result) in results {
            match result {
                Ok(Started::New) => summary.runs += 1,
                Ok(Started::Existing) => summary.existing += 1,
                Ok(Started::Resent) => {
                    summary.existing += 1;
                    summary.resent += 1;
                }
                Err(error) => {
                    summary.failures += 1;
                    tracing::error!(%error, "an event-triggered run could not be started");
                    fail(record);
                }
            }
        }
        let mut response = DynamoDbEventResponse::default();
        if let Some(record) = first_failed {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = batch.records[record].change.sequence_number.clone();
            response.batch_item_failures.push(failure);
        }
        (response, summary)
    }

    async fn start(&self, m: &Match<'_>) -> Result<Started, StorageError> {
        let (tenant, automation) = (&m.event.tenant, m.automation.automation.id);
        let occurrence = Occurrence::Event(m.event.id);
        let scheduled_for = m.event.created_at;
        let run = RunRecord::new(
            scheduled_for,
            occurrence.clone(),
            RunState::Running,
            Timestamp::now(),
        );
        let (run_id, started) = if self.automations.put_run(tenant, automation, &run).await? {
            (run.id, Started::New)
        } else {
            match self
                .automations
                .get_run(tenant, automation, scheduled_for, &occurrence)
                .await?
            {
                Some(found) if found.status == RunState::Running && found.attempts == 0 => {
                    (found.id, Started::Resent)
                }
                _ => return Ok(Started::Existing),
            }
        };
        let message = DeliveryMessage::automation_run(
            tenant,
            automation,
            run_id,
            scheduled_for,
            &occurrence.key_part(),
        );
        self.queue.send(&message, std::time::Duration::ZERO).await?;
        Ok(started)
    }
}

enum Started {
    New,
    Existing,
    Resent,
}

fn new_event(record: usize, tenant: TenantId, event: Event) -> Option<NewEvent> {
    let id = EventId::parse(&event.id)?;
    let properties = match serde_json::to_value(&event.properties) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    Some(NewEvent {
        record,
        tenant,
        id,
        event_type: event.event_type.as_str().to_owned(),
        properties,
        created_at: event.created_at,
    })
}

fn matches(automation: &AutomationRecord, event: &NewEvent) -> bool {
    match &automation.automation.trigger {
        Trigger::Event(trigger) => {
            automation.automation.enabled && trigger.matches(&event.event_type, &event.properties)
        }
        _ => false,
    }
}
