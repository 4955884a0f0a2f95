//! The only code that turns a tenant and an id into a DynamoDB key.
//!
//! Every partition key starts with `T#<tenant>#`, and tenant ids cannot contain `#`, so no input
//! can make one tenant's key land in another tenant's partition. Handlers never format keys, and
//! neither do repositories or edge stores: they name the item with a [`Key`], and its
//! [`Key::partition`] and [`Key::sort`] are the one place each key format is written down.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::domain::analytics::Granularity;
use crate::domain::automation::AutomationId;
use crate::domain::event::EventType;
use crate::domain::ids::{ChannelId, EventId, PostId};
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::repo::attributes::Item;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// Tells stream consumers what an item is without parsing its key.
pub const ENTITY: &str = "entity";
pub const ENTITY_EVENT: &str = "event";
pub const ENTITY_CHANNEL: &str = "channel";
pub const ENTITY_POST: &str = "post";
pub const ENTITY_ATTEMPT: &str = "attempt";

/// The sparse "due" index: an item carries [`DUE_SHARD`] and [`DUE_AT`] only while it waits for
/// the dispatcher (scheduled, or claimed under a lease that may expire), and so is on the index
/// only then. Its projection is keys only: the dispatcher claims by key and reads the item from
/// the claim's answer.
pub const DUE_INDEX: &str = "due";
pub const DUE_SHARD: &str = "due_shard";
/// The instant the item next needs attention, as [`Timestamp::to_rfc3339`] spells it (fixed
/// width, so strings sort as instants).
pub const DUE_AT: &str = "due_at";
/// One instant's work spreads over this many index partitions, so a thousand posts due in the
/// same minute never share one hot key; the dispatcher queries all of them in parallel.
pub const DUE_SHARDS: u32 = 16;

/// The index partition an item's due entries land on: a stable hash of its table key, so that
/// the same item always lands on the same shard.
pub fn due_shard_of(partition: &str) -> String {
    let digest = Sha256::digest(partition.as_bytes());
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % DUE_SHARDS;
    format!("{n:02}")
}

/// Every due-index partition, for the dispatcher's fan-out.
pub fn due_shards() -> impl Iterator<Item = String> {
    (0..DUE_SHARDS).map(|n| format!("{n:02}"))
}

/// The due index's sort value for an instant.
pub fn due_at_value(at: Timestamp) -> String {
    at.to_rfc3339()
}

/// Declares [`KeyKind`] and its [`KeyKind::ALL`] from one list, so that no kind can be left out
/// of `ALL` (and so out of the tests that walk it).
macro_rules! key_kinds {
    ($($(#[doc = $doc:literal])* $kind:ident,)+) => {
        /// What a [`Key`] addresses: one kind per kind of item the table or its index holds.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum KeyKind {
            $($(#[doc = $doc])* $kind,)+
        }

        impl KeyKind {
            /// Every kind, generated with the enum itself.
            #[cfg(test)]
            pub const ALL: &'static [KeyKind] = &[$(KeyKind::$kind,)+];
        }
    };
}

key_kinds! {
    /// An event in the table.
    Event,
    /// The same event in the by-type index.
    EventByType,
    /// An hourly or daily counter item.
    Counter,
    /// A marker saying the aggregator applied one stream record.
    AppliedRecord,
    /// The token counters instances lease from, for a run of rate-limit windows.
    RateWindow,
    /// One day's quota token counter.
    RateQuota,
    /// An idempotency record.
    Idempotency,
    /// A webhook channel.
    Channel,
    /// A post.
    Post,
    /// One delivery attempt of a post, beside it in the post's partition.
    PostAttempt,
    /// The same post in the by-time index that lists a tenant's posts.
    PostByTime,
    /// An automation.
    Automation,
    /// One run of an automation.
    AutomationRun,
}

/// The key of one item, in the table or in the `gsi1` index. Build it, then read its parts with
/// [`Key::partition`] and [`Key::sort`], or write them onto an item with [`Key::write_to`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    /// All of a tenant's events, sorted by id (and so by `occurred_at`).
    Event { tenant: &'a TenantId, id: EventId },
    /// The by-type index entry of an event: the type filter is a key lookup, never a scan.
    EventByType {
        tenant: &'a TenantId,
        event_type: &'a EventType,
        id: EventId,
    },
    /// One counter item per tenant, granularity and bucket (a bucket start as
    /// `crate::domain::analytics::format_bucket` spells it).
    Counter {
        tenant: &'a TenantId,
        granularity: Granularity,
        bucket: &'a str,
    },
    /// The aggregator's marker for one stream record, by the record's `eventID`.
    AppliedRecord {
        tenant: &'a TenantId,
        record_id: &'a str,
    },
    /// The lease item holding the token counters of a run of consecutive rate-limit windows (one
    /// attribute per window), the first of which starts at `window_start` (Unix seconds).
    RateWindow {
        tenant: &'a TenantId,
        window_start: i64,
    },
    /// The lease item holding the daily quota's token counter for one UTC day.
    RateQuota {
        tenant: &'a TenantId,
        day: NaiveDate,
    },
    /// An idempotency record: the route and a SHA-256 of the client's key, so that any printable
    /// client key makes a bounded, `#`-free suffix.
    Idempotency {
        tenant: &'a TenantId,
        route: &'a str,
        client_key: &'a str,
    },
    /// All of a tenant's channels share one partition: a tenant has few, and listing them is
    /// one query.
    Channel { tenant: &'a TenantId, id: ChannelId },
    /// Each post has its own partition, which its attempts share.
    Post { tenant: &'a TenantId, id: PostId },
    /// Attempt `n` (from 1) of a post, sorted by number.
    PostAttempt {
        tenant: &'a TenantId,
        post: PostId,
        n: u32,
    },
    /// A post in `gsi1`, ordered by `scheduled_at` then id; drafts (no `scheduled_at`) sort last.
    PostByTime {
        tenant: &'a TenantId,
        id: PostId,
        scheduled_at: Option<Timestamp>,
    },
    /// All of a tenant's automations share one partition, like its channels.
    Automation {
        tenant: &'a TenantId,
        id: AutomationId,
    },
    /// A run, in its automation's own partition, sorted by the occurrence it is for. The key is
    /// the run's identity, so writing it only if it does not exist makes each occurrence run
    /// once: `occurrence` is `S` for a schedule or rate occurrence, `E#<event id>` for an event,
    /// `M#<run id>` for a manual run.
    AutomationRun {
        tenant: &'a TenantId,
        automation: AutomationId,
        scheduled_for: Timestamp,
        occurrence: &'a str,
    },
}

impl Key<'_> {
    pub fn kind(&self) -> KeyKind {
        match self {
            Key::Event { .. } => KeyKind::Event,
            Key::EventByType { .. } => KeyKind::EventByType,
            Key::Counter { .. } => KeyKind::Counter,
            Key::AppliedRecord { .. } => KeyKind::AppliedRecord,
            Key::RateWindow { .. } => KeyKind::RateWindow,
            Key::RateQuota { .. } => KeyKind::RateQuota,
            Key::Idempotency { .. } => KeyKind::Idempotency,
            Key::Channel { .. } => KeyKind::Channel,
            Key::Post { .. } => KeyKind::Post,
            Key::PostAttempt { .. } => KeyKind::PostAttempt,
            Key::PostByTime { .. } => KeyKind::PostByTime,
            Key::Automation { .. } => KeyKind::Automation,
            Key::AutomationRun { .. } => KeyKind::AutomationRun,
        }
    }

    #[cfg(test)]
    pub fn tenant(&self) -> &TenantId {
        match self {
            Key::Event { tenant, .. }
            | Key::EventByType { tenant, .. }
            | Key::Counter { tenant, .. }
            | Key::AppliedRecord { tenant, .. }
            | Key::RateWindow { tenant, .. }
            | Key::RateQuota { tenant, .. }
            | Key::Idempotency { tenant, .. }
            | Key::Channel { tenant, .. }
            | Key::Post { tenant, .. }
            | Key::PostAttempt { tenant, .. }
            | Key::PostByTime { tenant, .. }
            | Key::Automation { tenant, .. }
            | Key::AutomationRun { tenant, .. } => tenant,
        }
    }

    pub fn partition(&self) -> String {
        match self {
            Key::Event { tenant, .. } => events_partition(tenant),
            Key::EventByType {
                tenant, event_type, ..
            } => events_by_type_partition(tenant, event_type),
            Key::Counter {
                tenant,
                granularity,
                ..
            } => counters_partition(tenant, *granularity),
            Key::AppliedRecord { tenant, .. } => format!("{}AGGREC", tenant_prefix(tenant)),
            Key::RateWindow { tenant, .. } | Key::RateQuota { tenant, .. } => {
                format!("{}RL", tenant_prefix(tenant))
            }
            Key::Idempotency { tenant, .. } => format!("{}IDEM", tenant_prefix(tenant)),
            Key::Channel { tenant, .. } => channels_partition(tenant),
            Key::Post { tenant, id }
            | Key::PostAttempt {
                tenant, post: id, ..
            } => {
                format!("{}PO#{id}", tenant_prefix(tenant))
            }
            Key::PostByTime { tenant, .. } => posts_by_time_partition(tenant),
            Key::Automation { tenant, .. } => automations_partition(tenant),
            Key::AutomationRun {
                tenant, automation, ..
            } => automation_runs_partition(tenant, *automation),
        }
    }

    pub fn sort(&self) -> String {
        match self {
            Key::Event { id, .. } | Key::EventByType { id, .. } => event_sort_key(*id),
            Key::Counter { bucket, .. } => (*bucket).to_owned(),
            Key::AppliedRecord { record_id, .. } => (*record_id).to_owned(),
            Key::RateWindow { window_start, .. } => format!("W#{window_start}"),
            Key::RateQuota { day, .. } => format!("Q#{}", day.format("%Y-%m-%d")),
            Key::Idempotency {
                route, client_key, ..
            } => format!("{route}#{}", sha256_hex(client_key.as_bytes())),
            Key::Channel { id, .. } => id.to_string(),
            Key::Post { .. } => POST_SORT_KEY.to_owned(),
            Key::PostAttempt { n, .. } => format!("{ATTEMPT_SORT_PREFIX}{n:05}"),
            Key::PostByTime {
                id, scheduled_at, ..
            } => post_by_time_sort_key(*scheduled_at, *id),
            Key::Automation { id, .. } => id.to_string(),
            Key::AutomationRun {
                scheduled_for,
                occurrence,
                ..
            } => format!(
                "{RUN_SORT_PREFIX}{}#{occurrence}",
                scheduled_for.to_rfc3339()
            ),
        }
    }

    /// The attributes the two parts are stored under: the table's, or the index's.
    pub fn attribute_names(&self) -> (&'static str, &'static str) {
        match self.kind() {
            KeyKind::EventByType | KeyKind::PostByTime => (GSI1_PK, GSI1_SK),
            KeyKind::Event
            | KeyKind::Channel
            | KeyKind::Post
            | KeyKind::PostAttempt
            | KeyKind::Automation
            | KeyKind::AutomationRun
            | KeyKind::Counter
            | KeyKind::AppliedRecord
            | KeyKind::RateWindow
            | KeyKind::RateQuota
            | KeyKind::Idempotency => (PK, SK),
        }
    }

    /// Adds the key's two attributes to `item`.
    pub fn write_to(&self, item: &mut Item) {
        let (pk, sk) = self.attribute_names();
        item.insert(pk.to_owned(), AttributeValue::S(self.partition()));
        item.insert(sk.to_owned(), AttributeValue::S(self.sort()));
    }

    /// The key alone, as `GetItem`, `UpdateItem` and `DeleteItem` take it.
    pub fn to_item(self) -> Item {
        let mut item = Item::with_capacity(2);
        self.write_to(&mut item);
        item
    }
}

fn tenant_prefix(tenant: &TenantId) -> String {
    format!("T#{}#", tenant.as_str())
}

/// The partition of [`Key::Event`]: a tenant's events, for queries over all of them.
pub fn events_partition(tenant: &TenantId) -> String {
    format!("{}EV", tenant_prefix(tenant))
}

/// The inverse of `events_partition`, for stream records that carry only the key.
pub fn tenant_of_events_partition(pk: &str) -> Option<TenantId> {
    let tenant = pk.strip_prefix("T#")?.strip_suffix("#EV")?;
    TenantId::parse(tenant)
}

/// The sort key of [`Key::Event`] and [`Key::EventByType`], for the bounds of an id range.
pub fn event_sort_key(id: EventId) -> String {
    id.to_string()
}

/// The partition of [`Key::EventByType`], for queries over one type.
pub fn events_by_type_partition(tenant: &TenantId, event_type: &EventType) -> String {
    format!("{}EVT#{}", tenant_prefix(tenant), event_type.as_str())
}

/// The partition of [`Key::Counter`], for range reads over buckets.
pub fn counters_partition(tenant: &TenantId, granularity: Granularity) -> String {
    format!("{}CNT#{}", tenant_prefix(tenant), granularity.tag())
}

/// The partition of [`Key::Channel`], for listing a tenant's channels.
pub fn channels_partition(tenant: &TenantId) -> String {
    format!("{}CH", tenant_prefix(tenant))
}

/// The sort key of a post item in its own partition.
pub const POST_SORT_KEY: &str = "P";
/// The sort-key prefix of a post's attempts, for `begins_with` queries.
pub const ATTEMPT_SORT_PREFIX: &str = "A#";

/// The partition of [`Key::PostByTime`], for listing a tenant's posts.
pub fn posts_by_time_partition(tenant: &TenantId) -> String {
    format!("{}PO", tenant_prefix(tenant))
}

/// `S#<scheduled_at>#<id>`, or `~#<id>` for a draft: `~` sorts after `S`, so drafts come last.
pub fn post_by_time_sort_key(scheduled_at: Option<Timestamp>, id: PostId) -> String {
    match scheduled_at {
        Some(at) => format!("S#{}#{id}", at.to_rfc3339()),
        None => format!("~#{id}"),
    }
}

/// The partition of [`Key::Automation`], for listing a tenant's automations.
pub fn automations_partition(tenant: &TenantId) -> String {
    format!("{}AU", tenant_prefix(tenant))
}

/// The partition of an automation's runs, for listing them newest first.
pub fn automation_runs_partition(tenant: &TenantId, automation: AutomationId) -> String {
    format!("{}AU#{automation}", tenant_prefix(tenant))
}

/// The sort-key prefix of runs, for `begins_with` queries.
pub const RUN_SORT_PREFIX: &str = "R#";
pub const ENTITY_AUTOMATION: &str = "automation";
pub const ENTITY_RUN: &str = "run";

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

/// Lower-case hex SHA-256: how keys spell a digest, and how the idempotency request hash does.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    lower_hex(&Sha256::digest(bytes))
}

pub(crate) fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One key of each kind and the exact strings it must produce. The match has no wildcard, so
    /// a new kind does not compile until it has an example here, and `KeyKind::ALL` is generated
    /// with the enum, so every test below walks every kind.
    fn example<'a>(
        kind: KeyKind,
        tenant: &'a TenantId,
        event_type: &'a EventType,
    ) -> (Key<'a>, &'static str, &'static str) {
        let id = EventId::parse("01JD0000000000000000000000").unwrap();
        match kind {
            KeyKind::Event => (
                Key::Event { tenant, id },
                "T#acme#EV",
                "01JD0000000000000000000000",
            ),
            KeyKind::EventByType => (
                Key::EventByType {
                    tenant,
                    event_type,
                    id,
                },
                "T#acme#EVT#signup",
                "01JD0000000000000000000000",
            ),
            KeyKind::Counter => (
                Key::Counter {
                    tenant,
                    granularity: Granularity::Hour,
                    bucket: "2026-01-02T03:00:00Z",
                },
                "T#acme#CNT#H",
                "2026-01-02T03:00:00Z",
            ),
            KeyKind::AppliedRecord => (
                Key::AppliedRecord {
                    tenant,
                    record_id: "c81e728d9d4c2f636f067f89cc14862c",
                },
                "T#acme#AGGREC",
                "c81e728d9d4c2f636f067f89cc14862c",
            ),
            KeyKind::RateWindow => (
                Key::RateWindow {
                    tenant,
                    window_start: 1_767_225_602,
                },
                "T#acme#RL",
                "W#1767225602",
            ),
            KeyKind::RateQuota => (
                Key::RateQuota {
                    tenant,
                    day: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
                },
                "T#acme#RL",
                "Q#2026-01-02",
            ),
            KeyKind::Idempotency => (
                Key::Idempotency {
                    tenant,
                    route: "POST /v1/events",
                    client_key: "k",
                },
                "T#acme#IDEM",
                // sha256("k")
                "POST /v1/events#8254c329a92850f6d539dd376f4816ee2764517da5e0235514af433164480d7a",
            ),
            KeyKind::Channel => (
                Key::Channel {
                    tenant,
                    id: ChannelId::parse("01JD0000000000000000000001").unwrap(),
                },
                "T#acme#CH",
                "01JD0000000000000000000001",
            ),
            KeyKind::Post => (
                Key::Post {
                    tenant,
                    id: PostId::parse("01JD0000000000000000000002").unwrap(),
                },
                "T#acme#PO#01JD0000000000000000000002",
                "P",
            ),
            KeyKind::PostAttempt => (
                Key::PostAttempt {
                    tenant,
                    post: PostId::parse("01JD0000000000000000000002").unwrap(),
                    n: 3,
                },
                "T#acme#PO#01JD0000000000000000000002",
                "A#00003",
            ),
            KeyKind::PostByTime => (
                Key::PostByTime {
                    tenant,
                    id: PostId::parse("01JD0000000000000000000002").unwrap(),
                    scheduled_at: Some(Timestamp::parse("2026-03-08T07:00:00Z").unwrap()),
                },
                "T#acme#PO",
                "S#2026-03-08T07:00:00.000Z#01JD0000000000000000000002",
            ),
            KeyKind::Automation => (
                Key::Automation {
                    tenant,
                    id: AutomationId::parse("01JD0000000000000000000003").unwrap(),
                },
                "T#acme#AU",
                "01JD0000000000000000000003",
            ),
            KeyKind::AutomationRun => (
                Key::AutomationRun {
                    tenant,
                    automation: AutomationId::parse("01JD0000000000000000000003").unwrap(),
                    scheduled_for: Timestamp::parse("2026-03-08T07:00:00Z").unwrap(),
                    occurrence: "S",
                },
                "T#acme#AU#01JD0000000000000000000003",
                "R#2026-03-08T07:00:00.000Z#S",
            ),
        }
    }

    fn examples<'a>(
        tenant: &'a TenantId,
        event_type: &'a EventType,
    ) -> impl Iterator<Item = (Key<'a>, &'static str, &'static str)> {
        KeyKind::ALL
            .iter()
            .map(move |&kind| example(kind, tenant, event_type))
    }

    #[test]
    fn every_kind_of_key_keeps_its_format() {
        let tenant = TenantId::parse("acme").unwrap();
        let ty = EventType::parse("signup").unwrap();
        for (key, pk, sk) in examples(&tenant, &ty) {
            assert_eq!(key.partition(), pk, "{:?}", key.kind());
            assert_eq!(key.sort(), sk, "{:?}", key.kind());
        }
    }

    #[test]
    fn every_example_is_of_its_own_kind() {
        let tenant = TenantId::parse("acme").unwrap();
        let ty = EventType::parse("signup").unwrap();
        for &kind in KeyKind::ALL {
            assert_eq!(example(kind, &tenant, &ty).0.kind(), kind);
        }
    }

    #[test]
    fn every_partition_starts_with_the_tenant() {
        let tenant = TenantId::parse("acme").unwrap();
        let ty = EventType::parse("signup").unwrap();
        for (key, _, _) in examples(&tenant, &ty) {
            let pk = key.partition();
            assert!(pk.starts_with("T#acme#"), "{pk}");
            assert_eq!(key.tenant(), &tenant);
        }
    }

    #[test]
    fn a_key_written_to_an_item_reads_back() {
        let tenant = TenantId::parse("acme").unwrap();
        let ty = EventType::parse("signup").unwrap();
        for (key, pk, sk) in examples(&tenant, &ty) {
            let item = key.to_item();
            let (pk_name, sk_name) = key.attribute_names();
            assert_eq!(item.len(), 2);
            assert_eq!(item[pk_name], AttributeValue::S(pk.into()));
            assert_eq!(item[sk_name], AttributeValue::S(sk.into()));
        }
    }

    #[test]
    fn kinds_in_the_same_key_space_never_share_an_item() {
        let tenant = TenantId::parse("acme").unwrap();
        let ty = EventType::parse("signup").unwrap();
        let keys: Vec<_> = examples(&tenant, &ty).map(|(key, _, _)| key).collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                if a.attribute_names() == b.attribute_names() {
                    assert_ne!(
                        (a.partition(), a.sort()),
                        (b.partition(), b.sort()),
                        "{:?} and {:?}",
                        a.kind(),
                        b.kind()
                    );
                }
            }
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
        let ty = EventType::parse("signup").unwrap();
        for (key_a, key_ab) in examples(&a, &ty).zip(examples(&ab, &ty)) {
            assert_ne!(key_a.0.partition(), key_ab.0.partition());
            assert!(!key_ab.0.partition().starts_with(&key_a.0.partition()));
        }
    }
}
