//! `event.created` from the table's stream: each new event item becomes one domain event.
//!
//! The stream is the one place every created event passes exactly in order, whatever route or
//! future importer wrote it, so publishing from here cannot miss one. Delivery to the bus is
//! at least once: a batch that is retried publishes again, and subscribers drop duplicates by
//! the event's `id`.

use aws_lambda_events::event::dynamodb::EventRecord;
use serde_dynamo::AttributeValue;

use super::{detail_type, DomainEvent};
use crate::domain::{Event, TenantId};
use crate::keys;
use crate::repo::events::StoredEvent;

/// The `event.created` domain event for a record that inserted an event item; `None` for any
/// other record (updates, removals, counters, posts, …). An event image that does not read back
/// as an event is logged and skipped, as the aggregator does: it would never read better.
pub fn event_created(record: &EventRecord) -> Option<DomainEvent> {
    let (tenant, event) = inserted_event(record)?;
    let resource = match serde_json::to_value(&event) {
        Ok(resource) => resource,
        Err(error) => {
            tracing::warn!(record = %record.event_id, %error, "event does not serialise; not published");
            return None;
        }
    };
    Some(DomainEvent::new(
        detail_type::EVENT_CREATED,
        &tenant,
        resource,
    ))
}

/// The tenant and the event a stream record inserted; `None` for any other record. Shared by
/// every consumer that acts on new events (`event.created`, event-triggered automations), so
/// they agree on what a new event is.
pub(crate) fn inserted_event(record: &EventRecord) -> Option<(TenantId, Event)> {
    if record.event_name != "INSERT" {
        return None;
    }
    let image = &record.change.new_image;
    let key = |name: &str| match image.get(name) {
        Some(AttributeValue::S(value)) => Some(value.as_str()),
        _ => None,
    };
    if key(keys::ENTITY) != Some(keys::ENTITY_EVENT) {
        return None;
    }
    let tenant = keys::tenant_of_events_partition(key(keys::PK)?)?;
    let event = serde_dynamo::from_item::<_, StoredEvent>(image.clone())
        .map_err(|error| error.to_string())
        .and_then(|stored| Event::try_from(stored).map_err(|error| error.to_string()));
    match event {
        Ok(event) => Some((tenant, event)),
        Err(error) => {
            tracing::warn!(record = %record.event_id, %error, "event image does not map to an event; skipped");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::Event as StreamBatch;
    use serde_json::json;

    fn sample() -> StreamBatch {
        serde_json::from_str(include_str!("../../../events/dynamodb-stream-batch.json")).unwrap()
    }

    #[test]
    fn an_inserted_event_becomes_event_created_with_the_api_shape() {
        let batch = sample();
        let record = &batch.records[0];
        let event = event_created(record).unwrap();
        assert_eq!(event.detail_type(), "event.created");
        assert_eq!(
            event.detail(),
            &json!({
                "tenant_id": "acme",
                "id": "01KAGC64JB71HFE865V215DE1C",
                "type": "page.view",
                "occurred_at": "2025-11-20T10:15:30.123Z",
                "source": "web",
                "properties": {"path": "/pricing", "referrer": "https://www.example.com/"},
                "created_at": "2025-11-20T10:15:30.535Z"
            })
        );
    }

    #[test]
    fn removals_and_other_entities_publish_nothing() {
        let batch = sample();
        for record in &batch.records {
            if record.event_name != "INSERT" {
                assert!(event_created(record).is_none());
            }
        }
        let mut post = batch.records[0].clone();
        post.change
            .new_image
            .insert("entity".into(), AttributeValue::S("post".into()));
        assert!(event_created(&post).is_none());
    }

    #[test]
    fn a_corrupt_image_is_skipped() {
        let mut record = sample().records[0].clone();
        record
            .change
            .new_image
            .insert("occurred_at".into(), AttributeValue::S("yesterday".into()));
        assert!(event_created(&record).is_none());
    }
}
