//! The only code that turns a tenant and an id into a DynamoDB key.
//!
//! Every partition key starts with `T#<tenant>#`, and tenant ids cannot contain `#`, so no input
//! can make one tenant's key land in another tenant's partition. Handlers never format keys.

use crate::domain::analytics::Granularity;
use crate::domain::event::EventType;
use crate::domain::ids::EventId;
use crate::domain::tenant::TenantId;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// Tells stream consumers what an item is without parsing its key.
pub const ENTITY: &str = "entity";
pub const ENTITY_EVENT: &str = "event";

fn tenant_prefix(tenant: &TenantId) -> String {
    format!("T#{}#", tenant.as_str())
}

/// All of a tenant's events, sorted by id (and so by `occurred_at`).
pub fn events_partition(tenant: &TenantId) -> String {
    format!("{}EV", tenant_prefix(tenant))
}

/// The inverse of `events_partition`, for stream records that carry only the key.
pub fn tenant_of_events_partition(pk: &str) -> Option<TenantId> {
    let tenant = pk.strip_prefix("T#")?.strip_suffix("#EV")?;
    TenantId::parse(tenant)
}

pub fn event_sort_key(id: EventId) -> String {
    id.to_string()
}

/// The by-type index partition: the type filter is a key lookup, never a scan.
pub fn events_by_type_partition(tenant: &TenantId, event_type: &EventType) -> String {
    format!("{}EVT#{}", tenant_prefix(tenant), event_type.as_str())
}

/// Counter items: one per tenant, granularity and bucket.
pub fn counters_partition(tenant: &TenantId, granularity: Granularity) -> String {
    format!("{}CNT#{}", tenant_prefix(tenant), granularity.tag())
}

/// Attribute holding one type's count on a counter item.
pub fn counter_attribute(event_type: &str) -> String {
    format!("c:{event_type}")
}

pub fn type_from_counter_attribute(attribute: &str) -> Option<&str> {
    attribute.strip_prefix("c:")
}

/// A counter item's count of events whose type it does not itemise. Type attributes carry the
/// `c:` prefix, so no event type can collide with it.
pub const COUNTER_OTHER_ATTRIBUTE: &str = "other";
/// How many types a counter item itemises, kept on the item so a write can tell whether one more
/// fits without reading every attribute.
pub const COUNTER_TYPES_ATTRIBUTE: &str = "types";

/// Markers that record which stream records the aggregator has applied.
pub fn applied_records_partition(tenant: &TenantId) -> String {
    format!("{}AGGREC", tenant_prefix(tenant))
}

/// Rate-limit windows and daily quota counters.
pub fn rate_limit_partition(tenant: &TenantId) -> String {
    format!("{}RL", tenant_prefix(tenant))
}

/// Idempotency records; the sort key is the route and a hash of the client's key.
pub fn idempotency_partition(tenant: &TenantId) -> String {
    format!("{}IDEM", tenant_prefix(tenant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_partition_starts_with_the_tenant() {
        let tenant = TenantId::parse("acme").unwrap();
        let ty = EventType::parse("signup").unwrap();
        for pk in [
            events_partition(&tenant),
            events_by_type_partition(&tenant, &ty),
            counters_partition(&tenant, Granularity::Hour),
            applied_records_partition(&tenant),
            rate_limit_partition(&tenant),
            idempotency_partition(&tenant),
        ] {
            assert!(pk.starts_with("T#acme#"), "{pk}");
        }
    }

    #[test]
    fn the_events_partition_names_its_tenant() {
        let tenant = TenantId::parse("acme-1").unwrap();
        let pk = events_partition(&tenant);
        assert_eq!(tenant_of_events_partition(&pk), Some(tenant));
        assert_eq!(tenant_of_events_partition("T#a#b#EV"), None);
        assert_eq!(tenant_of_events_partition("T#acme#CNT#H"), None);
    }

    #[test]
    fn tenants_that_prefix_each_other_do_not_share_partitions() {
        let a = TenantId::parse("a").unwrap();
        let ab = TenantId::parse("a.b").unwrap();
        assert_ne!(events_partition(&a), events_partition(&ab));
        assert!(!events_partition(&ab).starts_with(&events_partition(&a)));
    }
}
