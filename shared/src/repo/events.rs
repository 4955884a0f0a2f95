//! The tenant-scoped events store.

use aws_sdk_dynamodb::types::ReturnValue;
use aws_sdk_dynamodb::Client;

use serde::{Deserialize, Serialize};

use super::attributes::{from_item, s, to_item, Entity, Item};
use super::conditional::put_new;
use super::page::cut_page;
use super::StorageError;
use crate::domain::event::{Event, EventSource, EventType, Properties};
use crate::domain::ids::EventId;
use crate::domain::list::EventListQuery;
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::keys::{self, Key};

#[derive(Debug, Clone)]
pub struct EventsRepository {
    client: Client,
    table: String,
}

/// One page of a list, plus the id to continue after when more remain.
#[derive(Debug)]
pub struct EventPage {
    pub items: Vec<Event>,
    pub last: Option<EventId>,
}

impl EventsRepository {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub async fn insert(
        &self,
        tenant: &TenantId,
        id: EventId,
        event: &Event,
    ) -> Result<(), StorageError> {
        let item = to_item(
            &StoredEvent::from(event),
            &[
                Key::Event { tenant, id },
                Key::EventByType {
                    tenant,
                    event_type: &event.event_type,
                    id,
                },
            ],
        )?;
        // 80 random bits make a collision practically impossible; never overwrite if one occurs.
        if put_new(&self.client, &self.table, item).await? {
            Ok(())
        } else {
            Err(StorageError::Internal(
                "an item already has this new id".into(),
            ))
        }
    }

    pub async fn get(&self, tenant: &TenantId, id: EventId) -> Result<Option<Event>, StorageError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Key::Event { tenant, id }.to_item()))
            .send()
            .await
            .map_err(StorageError::from_sdk)?;
        output.item.map(event_from_item).transpose()
    }

    /// Returns whether the event existed. The stream carries the old image to the aggregator,
    /// which takes the event out of its counters.
    pub async fn delete(&self, tenant: &TenantId, id: EventId) -> Result<bool, StorageError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Key::Event { tenant, id }.to_item()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(StorageError::from_sdk)?;
        Ok(result.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// Newest first. Fetches one extra item to know, without a second round trip, whether
    /// another page exists — so the last page never hands out a cursor to an empty page.
    pub async fn list(
        &self,
        tenant: &TenantId,
        query: &EventListQuery,
        after: Option<EventId>,
    ) -> Result<EventPage, StorageError> {
        let low = query
            .window
            .from
            .map_or_else(EventId::lowest, EventId::lowest_at);
        let high = query
            .window
            .to
            .map_or_else(EventId::highest, EventId::highest_at);
        let limit = i32::from(query.limit.get());
        // The key of the item at `id` in the key space this query reads.
        let key_at = |id| match &query.event_type {
            Some(event_type) => Key::EventByType {
                tenant,
                event_type,
                id,
            },
            None => Key::Event { tenant, id },
        };
        let (pk_name, sk_name) = key_at(low).attribute_names();
        let index = query.event_type.as_ref().map(|_| keys::GSI1.to_owned());
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_names("#sk", sk_name)
            .expression_attribute_values(":pk", s(key_at(low).partition()))
            .expression_attribute_values(":low", s(key_at(low).sort()))
            .expression_attribute_values(":high", s(key_at(high).sort()))
            .scan_index_forward(false)
            .limit(limit + 1);
        if let Some(after) = after {
            // An index's start key names the item's table key as well as its index key.
            let mut start = Key::Event { tenant, id: after }.to_item();
            key_at(after).write_to(&mut start);
            request = request.set_exclusive_start_key(Some(start));
        }
        let output = request.send().await.map_err(StorageError::from_sdk)?;
        let mut items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(event_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let last = cut_page(&mut items, usize::from(query.limit.get()))
            .and_then(|e| EventId::parse(&e.id));
        Ok(EventPage { items, last })
    }
}

/// An event as the table stores it, less its keys. The attribute names are the ones existing
/// items carry and the stream consumer reads (`crate::aggregation`): they must not change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: String,
    pub created_at: String,
    /// The properties object as JSON text.
    pub properties: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Entity for StoredEvent {
    const NAME: &'static str = keys::ENTITY_EVENT;
}

impl From<&Event> for StoredEvent {
    fn from(event: &Event) -> Self {
        Self {
            id: event.id.clone(),
            event_type: event.event_type.as_str().to_owned(),
            occurred_at: event.occurred_at.to_rfc3339(),
            created_at: event.created_at.to_rfc3339(),
            properties: event.properties.to_json_string(),
            source: event.source.as_ref().map(|s| s.as_str().to_owned()),
        }
    }
}

impl TryFrom<StoredEvent> for Event {
    type Error = StorageError;

    fn try_from(stored: StoredEvent) -> Result<Self, StorageError> {
        let corrupt =
            |what: &str| StorageError::Corrupt(format!("stored event has invalid {what}"));
        Ok(Event {
            event_type: EventType::parse(&stored.event_type).map_err(|_| corrupt("type"))?,
            occurred_at: Timestamp::parse(&stored.occurred_at)
                .map_err(|_| corrupt("occurred_at"))?,
            source: stored
                .source
                .as_deref()
                .map(EventSource::parse)
                .transpose()
                .map_err(|_| corrupt("source"))?,
            properties: Properties::from_stored_json(&stored.properties)
                .map_err(|_| corrupt("properties"))?,
            created_at: Timestamp::parse(&stored.created_at).map_err(|_| corrupt("created_at"))?,
            id: stored.id,
        })
    }
}

fn event_from_item(item: Item) -> Result<Event, StorageError> {
    from_item::<StoredEvent>(item)?.try_into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::NewEvent;
    use crate::json_body::JsonObject;

    fn event() -> (TenantId, EventId, Event) {
        let now = Timestamp::parse("2026-01-02T03:04:05.678Z").unwrap();
        let body = JsonObject::parse(
            br#"{"type":"signup","occurred_at":"2026-01-02T03:04:00Z","source":"ios","properties":{"plan":"pro","n":1.50}}"#,
        )
        .unwrap();
        let (id, event) = Event::record(NewEvent::parse(body, now).unwrap(), now);
        (TenantId::parse("acme").unwrap(), id, event)
    }

    #[test]
    fn an_event_item_keeps_its_stored_attribute_names() {
        let (tenant, id, event) = event();
        let item = to_item(
            &StoredEvent::from(&event),
            &[
                Key::Event {
                    tenant: &tenant,
                    id,
                },
                Key::EventByType {
                    tenant: &tenant,
                    event_type: &event.event_type,
                    id,
                },
            ],
        )
        .unwrap();
        let string = |name: &str| item[name].as_s().unwrap().as_str();
        let mut names: Vec<_> = item.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "created_at",
                "entity",
                "gsi1pk",
                "gsi1sk",
                "id",
                "occurred_at",
                "pk",
                "properties",
                "sk",
                "source",
                "type"
            ]
        );
        assert_eq!(string("pk"), "T#acme#EV");
        assert_eq!(string("sk"), id.to_string());
        assert_eq!(string("gsi1pk"), "T#acme#EVT#signup");
        assert_eq!(string("gsi1sk"), id.to_string());
        assert_eq!(string("entity"), "event");
        assert_eq!(string("type"), "signup");
        assert_eq!(string("occurred_at"), "2026-01-02T03:04:00.000Z");
        assert_eq!(string("created_at"), "2026-01-02T03:04:05.678Z");
        assert_eq!(string("source"), "ios");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(string("properties")).unwrap(),
            serde_json::json!({"plan": "pro", "n": 1.50})
        );
        assert_eq!(event_from_item(item).unwrap(), event);
    }

    #[test]
    fn an_event_without_a_source_has_no_source_attribute() {
        let (tenant, id, mut event) = event();
        event.source = None;
        let item = to_item(
            &StoredEvent::from(&event),
            &[Key::Event {
                tenant: &tenant,
                id,
            }],
        )
        .unwrap();
        assert!(!item.contains_key("source"));
        assert_eq!(event_from_item(item).unwrap(), event);
    }

    #[test]
    fn a_malformed_stored_event_is_corrupt() {
        let (tenant, id, event) = event();
        let mut item = to_item(
            &StoredEvent::from(&event),
            &[Key::Event {
                tenant: &tenant,
                id,
            }],
        )
        .unwrap();
        item.insert("occurred_at".into(), s("yesterday"));
        assert!(matches!(
            event_from_item(item.clone()),
            Err(StorageError::Corrupt(_))
        ));
        item.remove("type");
        assert!(matches!(
            event_from_item(item),
            Err(StorageError::Corrupt(_))
        ));
    }
}
