//! The tenant-scoped events store.

use aws_sdk_dynamodb::types::ReturnValue;
use aws_sdk_dynamodb::Client;

use super::attributes::{optional_string, s, string, Item};
use super::storage_error;
use crate::domain::event::{Event, EventSource, EventType, Properties};
use crate::domain::ids::EventId;
use crate::domain::list::EventListQuery;
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::error::ApiError;
use crate::keys;

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
    ) -> Result<(), ApiError> {
        let mut item = Item::new();
        item.insert(keys::PK.into(), s(keys::events_partition(tenant)));
        item.insert(keys::SK.into(), s(keys::event_sort_key(id)));
        item.insert(
            keys::GSI1_PK.into(),
            s(keys::events_by_type_partition(tenant, &event.event_type)),
        );
        item.insert(keys::GSI1_SK.into(), s(keys::event_sort_key(id)));
        item.insert(keys::ENTITY.into(), s(keys::ENTITY_EVENT));
        item.insert("id".into(), s(&event.id));
        item.insert("type".into(), s(event.event_type.as_str()));
        item.insert("occurred_at".into(), s(event.occurred_at.to_rfc3339()));
        item.insert("created_at".into(), s(event.created_at.to_rfc3339()));
        item.insert("properties".into(), s(event.properties.to_json_string()));
        if let Some(source) = &event.source {
            item.insert("source".into(), s(source.as_str()));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            // 80 random bits make a collision practically impossible; never overwrite if one occurs.
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    pub async fn get(&self, tenant: &TenantId, id: EventId) -> Result<Option<Event>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::events_partition(tenant)))
            .key(keys::SK, s(keys::event_sort_key(id)))
            .send()
            .await
            .map_err(storage_error)?;
        output.item.as_ref().map(event_from_item).transpose()
    }

    /// Returns whether the event existed. The stream carries the old image to the aggregator,
    /// which takes the event out of its counters.
    pub async fn delete(&self, tenant: &TenantId, id: EventId) -> Result<bool, ApiError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::events_partition(tenant)))
            .key(keys::SK, s(keys::event_sort_key(id)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(storage_error)?;
        Ok(result.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// Newest first. Fetches one extra item to know, without a second round trip, whether
    /// another page exists — so the last page never hands out a cursor to an empty page.
    pub async fn list(
        &self,
        tenant: &TenantId,
        query: &EventListQuery,
        after: Option<EventId>,
    ) -> Result<EventPage, ApiError> {
        let low = query
            .window
            .from
            .map_or_else(EventId::lowest, EventId::lowest_at);
        let high = query
            .window
            .to
            .map_or_else(EventId::highest, EventId::highest_at);
        let limit = i32::from(query.limit.get());
        let (index, pk_name, sk_name, pk) = match &query.event_type {
            Some(ty) => (
                Some(keys::GSI1),
                keys::GSI1_PK,
                keys::GSI1_SK,
                keys::events_by_type_partition(tenant, ty),
            ),
            None => (None, keys::PK, keys::SK, keys::events_partition(tenant)),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_names("#sk", sk_name)
            .expression_attribute_values(":pk", s(&pk))
            .expression_attribute_values(":low", s(keys::event_sort_key(low)))
            .expression_attribute_values(":high", s(keys::event_sort_key(high)))
            .scan_index_forward(false)
            .limit(limit + 1);
        if let Some(after) = after {
            let sort_key = keys::event_sort_key(after);
            let mut start = Item::new();
            start.insert(pk_name.into(), s(&pk));
            start.insert(sk_name.into(), s(&sort_key));
            if index.is_some() {
                start.insert(keys::PK.into(), s(keys::events_partition(tenant)));
                start.insert(keys::SK.into(), s(&sort_key));
            }
            request = request.set_exclusive_start_key(Some(start));
        }
        let output = request.send().await.map_err(storage_error)?;
        let mut items = output
            .items
            .unwrap_or_default()
            .iter()
            .map(event_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let more = items.len() > usize::from(query.limit.get());
        items.truncate(usize::from(query.limit.get()));
        let last = if more {
            items.last().and_then(|e| EventId::parse(&e.id))
        } else {
            None
        };
        Ok(EventPage { items, last })
    }
}

fn event_from_item(item: &Item) -> Result<Event, ApiError> {
    let corrupt = |what: &str| ApiError::Internal(format!("stored event has invalid {what}"));
    Ok(Event {
        id: string(item, "id")?.to_owned(),
        event_type: EventType::parse(string(item, "type")?).map_err(|_| corrupt("type"))?,
        occurred_at: Timestamp::parse(string(item, "occurred_at")?)
            .map_err(|_| corrupt("occurred_at"))?,
        source: optional_string(item, "source")
            .map(EventSource::parse)
            .transpose()
            .map_err(|_| corrupt("source"))?,
        properties: Properties::from_stored_json(string(item, "properties")?)
            .map_err(|_| corrupt("properties"))?,
        created_at: Timestamp::parse(string(item, "created_at")?)
            .map_err(|_| corrupt("created_at"))?,
    })
}
