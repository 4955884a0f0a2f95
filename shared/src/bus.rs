//! Domain events on the custom EventBridge bus, for other systems to subscribe to.
//!
//! Every event has `source: "ofauto"`, a detail type from API.md's list and a detail of
//! `{tenant_id, ...the resource as the API shows it}`. Events go out through `PutEvents` in
//! calls of at most [`MAX_ENTRIES_PER_CALL`] entries that also stay under the request size
//! limit. PutEvents can accept a call and still refuse some of its entries (`FailedEntryCount`):
//! those are tried once more (a call that fails as a whole has had the SDK's retries), and
//! whatever still fails is logged one line per event and counted (`domain_events_failed`),
//! never dropped silently.

mod created;

pub use created::event_created;
pub(crate) use created::inserted_event;

use aws_config::SdkConfig;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use futures::stream::{self, StreamExt};
use serde_json::{Map, Value};

use crate::domain::TenantId;
use crate::repo::StorageError;
use crate::telemetry;

/// The `source` of every OFAuto domain event.
pub const SOURCE: &str = "ofauto";

/// PutEvents takes at most ten entries per call.
pub const MAX_ENTRIES_PER_CALL: usize = 10;

/// PutEvents refuses a request whose entries add up to more than 256 KiB. Ten posts with full
/// content and media lists can pass that, so calls are cut by size as well as by count.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

/// PutEvents calls in flight at once, for a stream batch's hundred events.
const CALL_CONCURRENCY: usize = 4;

/// How long the refused entries wait before their one retry.
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// The detail types of API.md's "Domain events".
pub mod detail_type {
    pub const EVENT_CREATED: &str = "event.created";
    pub const POST_PUBLISHED: &str = "post.published";
    pub const POST_FAILED: &str = "post.failed";
    pub const CHANNEL_DISABLED: &str = "channel.disabled";
    pub const AUTOMATION_RUN_SUCCEEDED: &str = "automation.run.succeeded";
    pub const AUTOMATION_RUN_FAILED: &str = "automation.run.failed";
}

/// One domain event, ready for the bus.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    detail_type: String,
    detail: Value,
}

impl DomainEvent {
    /// `resource` is the resource as the API shows it (a JSON object); its fields sit beside
    /// `tenant_id` in the detail. The tenant always comes from the caller, never from the
    /// resource, so a resource cannot name another tenant.
    pub fn new(detail_type: &str, tenant: &TenantId, resource: Value) -> Self {
        let mut detail = match resource {
            Value::Object(fields) => fields,
            // Every resource is an object; anything else still reaches subscribers, under a name.
            other => Map::from_iter([("resource".to_owned(), other)]),
        };
        detail.insert(
            "tenant_id".into(),
            Value::String(tenant.as_str().to_owned()),
        );
        Self {
            detail_type: detail_type.to_owned(),
            detail: Value::Object(detail),
        }
    }

    pub fn detail_type(&self) -> &str {
        &self.detail_type
    }

    pub fn detail(&self) -> &Value {
        &self.detail
    }

    fn tenant_id(&self) -> &str {
        self.detail["tenant_id"].as_str().unwrap_or_default()
    }

    /// How much of a PutEvents request this entry takes, as AWS counts it: the UTF-8 bytes of
    /// source, detail type and detail (no resources, no time).
    fn size(&self) -> usize {
        SOURCE.len() + self.detail_type.len() + self.detail.to_string().len()
    }

    fn entry(&self, bus: &str) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(bus)
            .source(SOURCE)
            .detail_type(&self.detail_type)
            .detail(self.detail.to_string())
            .build()
    }
}

/// Which events did not reach the bus, even after the retry: indexes into what was published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    pub failed: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct DomainEvents {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl DomainEvents {
    /// `bus_name` is `EVENT_BUS_NAME` (`Config::require_event_bus_name`).
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: &str) -> Self {
        Self {
            client,
            bus: bus_name.to_owned(),
        }
    }

    /// For function wiring, which holds the SDK config but no EventBridge client.
    pub fn from_sdk(sdk: &SdkConfig, bus_name: &str) -> Self {
        Self::new(aws_sdk_eventbridge::Client::new(sdk), bus_name)
    }

    /// Publishes every event, and fails when any of them could not be delivered to the bus (each
    /// one already logged and counted). Callers for which an event is a side note of work already
    /// committed log the error and go on; the stream consumer retries its batch.
    pub async fn publish(&self, events: Vec<DomainEvent>) -> Result<(), StorageError> {
        let published = self.publish_all(&events).await;
        match published.failed.len() {
            0 => Ok(()),
            n => Err(StorageError::Unavailable(format!(
                "{n} of {} domain events did not reach the bus",
                events.len()
            ))),
        }
    }

    /// Publishes every event, and says which ones did not reach the bus. Entries PutEvents
    /// refused (`FailedEntryCount`) are tried once more; a call that failed as a whole has had
    /// the SDK's retries already, and is not tried again.
    pub async fn publish_all(&self, events: &[DomainEvent]) -> Published {
        if events.is_empty() {
            return Published::default();
        }
        let all: Vec<usize> = (0..events.len()).collect();
        let (mut failed, refused): (Vec<Failure>, Vec<Failure>) = self
            .put(events, &all)
            .await
            .into_iter()
            .partition(|f| !f.refused);
        if !refused.is_empty() {
            // Refusals are mostly throttling: a moment's pause gives the retry its chance.
            tokio::time::sleep(RETRY_PAUSE).await;
            let again: Vec<usize> = refused.iter().map(|f| f.index).collect();
            failed.extend(self.put(events, &again).await);
        }
        for failure in &failed {
            let event = &events[failure.index];
            tracing::error!(
                detail_type = event.detail_type(),
                tenant = event.tenant_id(),
                error = %failure.error,
                "a domain event did not reach the bus"
            );
        }
        telemetry::count("domain_events_failed", failed.len());
        let mut failed: Vec<usize> = failed.into_iter().map(|f| f.index).collect();
        failed.sort_unstable();
        Published { failed }
    }

    /// One pass over `which`, a few calls at a time: the entries that did not get through.
    async fn put(&self, events: &[DomainEvent], which: &[usize]) -> Vec<Failure> {
        stream::iter(calls(events, which))
            .map(|call| self.put_call(events, call))
            .buffer_unordered(CALL_CONCURRENCY)
            .flat_map(stream::iter)
            .collect()
            .await
    }

    async fn put_call(&self, events: &[DomainEvent], call: Vec<usize>) -> Vec<Failure> {
        if call.len() == 1 && events[call[0]].size() > MAX_REQUEST_BYTES {
            return vec![Failure {
                index: call[0],
                error: "the event is larger than PutEvents accepts".into(),
                refused: false,
            }];
        }
        let entries = call.iter().map(|&i| events[i].entry(&self.bus)).collect();
        let output = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await;
        match output {
            Ok(output) if output.failed_entry_count() == 0 => Vec::new(),
            // Result entries are in request order; a refused one carries an error code, and
            // one the answer does not mention is not confirmed.
            Ok(output) => call
                .iter()
                .enumerate()
                .filter_map(|(position, &index)| {
                    let result = output.entries().get(position);
                    let code = match result {
                        None => "missing from the answer",
                        Some(result) => result.error_code()?,
                    };
                    Some(Failure {
                        index,
                        error: format!(
                            "{code}: {}",
                            result.and_then(|r| r.error_message()).unwrap_or_default()
                        ),
                        refused: true,
                    })
                })
                .collect(),
            Err(error) => {
                let error = crate::aws::display_sdk_error(&error);
                call.into_iter()
                    .map(|index| Failure {
                        index,
                        error: error.clone(),
                        refused: false,
                    })
                    .collect()
            }
        }
    }
}

/// An event that did not get through one pass.
#[derive(Debug)]
struct Failure {
    index: usize,
    error: String,
    /// Refused by PutEvents on its own (worth one more try), rather than lost with its call.
    refused: bool,
}

/// Cuts `which` into PutEvents calls: at most [`MAX_ENTRIES_PER_CALL`] entries, and at most
/// [`MAX_REQUEST_BYTES`] together. An entry too big on its own gets a call to itself (which
/// fails, loudly, rather than hold up the others).
fn calls(events: &[DomainEvent], which: &[usize]) -> Vec<Vec<usize>> {
    let mut calls: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut bytes = 0;
    for &index in which {
        let size = events[index].size();
        if !current.is_empty()
            && (current.len() == MAX_ENTRIES_PER_CALL || bytes + size > MAX_REQUEST_BYTES)
        {
            calls.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(index);
        bytes += size;
    }
    if !current.is_empty() {
        calls.push(current);
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tenant() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    fn event(n: usize) -> DomainEvent {
        DomainEvent::new(
            detail_type::POST_PUBLISHED,
            &tenant(),
            json!({"id": format!("p{n}")}),
        )
    }

    #[test]
    fn the_detail_is_the_resource_beside_the_tenant() {
        let event = DomainEvent::new(
            detail_type::POST_FAILED,
            &tenant(),
            json!({"id": "p1", "status": "failed", "tenant_id": "someone-else"}),
        );
        assert_eq!(event.detail_type(), "post.failed");
        assert_eq!(
            event.detail(),
            &json!({"tenant_id": "acme", "id": "p1", "status": "failed"})
        );
    }

    #[test]
    fn an_entry_names_the_bus_source_type_and_detail() {
        let entry = event(1).entry("ofauto-app");
        assert_eq!(entry.event_bus_name(), Some("ofauto-app"));
        assert_eq!(entry.source(), Some("ofauto"));
        assert_eq!(entry.detail_type(), Some("post.published"));
        let detail: Value = serde_json::from_str(entry.detail().unwrap()).unwrap();
        assert_eq!(detail, json!({"tenant_id": "acme", "id": "p1"}));
        assert!(entry.time().is_none(), "EventBridge stamps the time itself");
    }

    #[test]
    fn calls_hold_at_most_ten_entries_in_order() {
        let events: Vec<_> = (0..23).map(event).collect();
        let all: Vec<usize> = (0..23).collect();
        let calls = calls(&events, &all);
        assert_eq!(
            calls.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![10, 10, 3]
        );
        assert_eq!(calls.concat(), all);
        assert!(super::calls(&events, &[]).is_empty());
    }

    #[test]
    fn calls_stay_under_the_request_size_limit() {
        // Posts of 5,000 four-byte characters with ten 2 KiB media URLs: ~41 KB each.
        let big = |n: usize| {
            DomainEvent::new(
                detail_type::POST_PUBLISHED,
                &tenant(),
                json!({"id": n, "content": "😀".repeat(5000), "media_urls": vec!["u".repeat(2048); 10]}),
            )
        };
        let events: Vec<_> = (0..10).map(big).collect();
        let all: Vec<usize> = (0..10).collect();
        let calls = calls(&events, &all);
        assert!(calls.len() > 1);
        for call in &calls {
            let bytes: usize = call.iter().map(|&i| events[i].size()).sum();
            assert!(bytes <= MAX_REQUEST_BYTES, "{bytes}");
        }
        assert_eq!(calls.concat(), all);
    }

    #[test]
    fn an_oversized_event_goes_alone() {
        let huge = DomainEvent::new(
            detail_type::EVENT_CREATED,
            &tenant(),
            json!({"blob": "x".repeat(MAX_REQUEST_BYTES)}),
        );
        let events = vec![event(0), huge, event(2)];
        assert_eq!(calls(&events, &[0, 1, 2]), vec![vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn a_retry_pass_cuts_only_the_refused_entries() {
        let events: Vec<_> = (0..30).map(event).collect();
        assert_eq!(calls(&events, &[3, 17, 29]), vec![vec![3, 17, 29]]);
    }
}
