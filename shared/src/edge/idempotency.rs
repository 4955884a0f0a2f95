//! `Idempotency-Key` for creates, as API.md specifies.
//!
//! The first request with a key claims a record (conditional put) and holds it as a lease until
//! its invocation's deadline; when it finishes, the record keeps its response for 24 h. Later
//! requests with the key either replay that response, get 422 when their body differs, or — if
//! the first is still running — wait for it and replay, so that concurrent duplicates all see the
//! one result. A record whose holder crashed is reclaimable once its lease passes.
//!
//! A replay answers without running the handler, so the store authorises the caller itself
//! before it reads a record: a replay never answers a caller who could not have made the request.

use std::time::Duration;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::tenant::{Permission, TenantContext, TenantId};
use crate::error::ApiError;
use crate::keys::{self, Key};
use crate::repo::attributes::{from_item, n, s, to_item, Entity, Item};
use crate::repo::StorageError;

pub const HEADER: &str = "idempotency-key";
pub const RECORD_TTL: TimeDelta = TimeDelta::hours(24);
const MAX_KEY_LEN: usize = 255;
/// How long a duplicate waits for the first request's answer before giving up with 409. Short,
/// so a waiting duplicate never runs into its own Lambda timeout (and never bills for long).
const MAX_WAIT: TimeDelta = TimeDelta::seconds(3);
/// Time kept back from the invocation deadline to answer 409 properly.
const DEADLINE_MARGIN: TimeDelta = TimeDelta::seconds(2);

/// An idempotency record as the table stores it, less its key. The attribute names are the ones
/// existing records carry: they must not change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct IdempotencyRecord {
    status: Status,
    request_hash: String,
    /// Unix milliseconds; only while in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_until: Option<i64>,
    /// The `StoredResponse` as JSON; only once completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<String>,
    /// Unix seconds: `keys::TTL_ATTRIBUTE`.
    expires_at: i64,
}

impl Entity for IdempotencyRecord {
    const NAME: &'static str = "idempotency";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    InProgress,
    Completed,
}

impl Status {
    /// The stored spelling, for condition and update expressions.
    fn stored(self) -> &'static str {
        match self {
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
        }
    }
}

/// What a claim found instead of a free key.
#[derive(Debug)]
enum Held {
    Record(IdempotencyRecord),
    /// Gone between the failed put and the read that looked for it: free to claim again.
    Vanished,
}

/// 1–255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &[u8]) -> Result<Self, ApiError> {
        let printable = raw.iter().all(|b| (0x20..=0x7e).contains(b));
        if raw.is_empty() || raw.len() > MAX_KEY_LEN || !printable {
            return Err(ApiError::field(
                "Idempotency-Key",
                "must be 1-255 printable ASCII characters",
            ));
        }
        Ok(Self(String::from_utf8_lossy(raw).into_owned()))
    }
}

/// Everything needed to answer a replay exactly as the first answer was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A claimed record; the caller must `complete` or `release` it.
#[derive(Debug)]
pub struct Claim {
    tenant: TenantId,
    route: String,
    client_key: String,
}

impl Claim {
    fn key(&self) -> Key<'_> {
        Key::Idempotency {
            tenant: &self.tenant,
            route: &self.route,
            client_key: &self.client_key,
        }
    }
}

#[derive(Debug)]
pub enum Begin {
    Proceed(Claim),
    Replay(StoredResponse),
}

#[derive(Debug, Clone)]
pub struct IdempotencyStore {
    client: Client,
    table: String,
    /// What the route's handler requires. Without it, a viewer holding an editor's key and body
    /// got the stored 201 of a create it was not allowed to make.
    requires: Permission,
}

/// Fingerprint of what the client asked for: same key with another request is a client bug.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    keys::lower_hex(&hasher.finalize())
}

impl IdempotencyStore {
    pub fn new(client: Client, table: &str, requires: Permission) -> Self {
        Self {
            client,
            table: table.to_owned(),
            requires,
        }
    }

    /// Takes the whole caller, not just the tenant, so that no path reaches a stored answer (or
    /// learns, by a 422, that the key is in use) before the caller is authorised.
    pub async fn begin(
        &self,
        caller: &TenantContext,
        route: &str,
        key: &IdempotencyKey,
        hash: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Begin, ApiError> {
        caller.require(self.requires)?;
        let tenant = caller.tenant();
        let record_key = Key::Idempotency {
            tenant,
            route,
            client_key: &key.0,
        };
        let give_up_at = (Utc::now() + MAX_WAIT).min(lease_until - DEADLINE_MARGIN);
        loop {
            let now = Utc::now();
            match self.try_claim(&record_key, hash, now, lease_until).await? {
                None => {
                    return Ok(Begin::Proceed(Claim {
                        tenant: tenant.clone(),
                        route: route.to_owned(),
                        client_key: key.0.clone(),
                    }))
                }
                // Free again: claim it on the next turn.
                Some(Held::Vanished) => {}
                Some(Held::Record(existing)) => {
                    if existing.request_hash != hash {
                        return Err(ApiError::IdempotencyKeyReused);
                    }
                    if existing.status == Status::Completed {
                        return Ok(Begin::Replay(stored_response(&existing)?));
                    }
                    // Another invocation holds the lease: wait briefly for its answer.
                    if Utc::now() >= give_up_at {
                        return Err(ApiError::IdempotencyInProgress);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// Puts an in-progress record unless a live one exists; returns what holds the key if so.
    async fn try_claim(
        &self,
        key: &Key<'_>,
        hash: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Held>, StorageError> {
        let record = IdempotencyRecord {
            status: Status::InProgress,
            request_hash: hash.to_owned(),
            lease_until: Some(lease_until.timestamp_millis()),
            response: None,
            expires_at: (now + RECORD_TTL).timestamp(),
        };
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&record, &[*key])?))
            // Free, expired (TTL deletes lazily), or abandoned by a crashed holder.
            .condition_expression(
                "attribute_not_exists(pk) OR #ttl < :now_s OR (#status = :in_progress AND lease_until < :now_ms)",
            )
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":now_s", n(now.timestamp()))
            .expression_attribute_values(":now_ms", n(now.timestamp_millis()))
            .expression_attribute_values(":in_progress", s(Status::InProgress.stored()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let existing = match failed.item() {
                        Some(existing) => Some(existing.clone()),
                        None => self.read(key).await?,
                    };
                    Ok(Some(match existing {
                        Some(item) => Held::Record(from_item(item)?),
                        None => Held::Vanished,
                    }))
                }
                _ => Err(StorageError::from_sdk(err)),
            },
        }
    }

    async fn read(&self, key: &Key<'_>) -> Result<Option<Item>, StorageError> {
        crate::repo::get::get_item(&self.client, &self.table, key.to_item()).await
    }

    pub async fn complete(
        &self,
        claim: Claim,
        response: &StoredResponse,
    ) -> Result<(), StorageError> {
        let body =
            serde_json::to_string(response).map_err(|e| StorageError::Internal(e.to_string()))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(claim.key().to_item()))
            .update_expression("SET #status = :completed, #response = :response REMOVE lease_until")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":completed", s(Status::Completed.stored()))
            .expression_attribute_values(":response", s(body))
            .send()
            .await
            .map_err(StorageError::from_sdk)?;
        Ok(())
    }

    /// Failed requests are not remembered: the client may fix the problem and retry the key.
    pub async fn release(&self, claim: Claim) -> Result<(), StorageError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(claim.key().to_item()))
            .condition_expression("#status = :in_progress")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s(Status::InProgress.stored()))
            .send()
            .await
            .map(|_| ())
            .or_else(|err| match err.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => Ok(()),
                _ => Err(StorageError::from_sdk(err)),
            })
    }
}

fn stored_response(record: &IdempotencyRecord) -> Result<StoredResponse, StorageError> {
    let raw = record.response.as_deref().ok_or_else(|| {
        StorageError::Corrupt("completed idempotency record has no response".into())
    })?;
    serde_json::from_str(raw).map_err(|e| StorageError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tenant::{GROUPS_CLAIM, TENANT_CLAIM};
    use crate::testing::unreachable_dynamodb;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert!(IdempotencyKey::parse(b"a").is_ok());
        assert!(IdempotencyKey::parse(&[b'k'; 255]).is_ok());
        assert!(IdempotencyKey::parse(b"").is_err());
        assert!(IdempotencyKey::parse(&[b'k'; 256]).is_err());
        assert!(IdempotencyKey::parse(b"tab\there").is_err());
        assert!(IdempotencyKey::parse("é".as_bytes()).is_err());
    }

    fn caller(groups: &str) -> TenantContext {
        let claims = std::collections::HashMap::from([
            (TENANT_CLAIM.to_owned(), "t1".to_owned()),
            (GROUPS_CLAIM.to_owned(), groups.to_owned()),
        ]);
        TenantContext::from_claims(&claims).unwrap()
    }

    async fn begin_as(groups: &str) -> Result<Begin, ApiError> {
        // Unreachable: a caller who gets past the check fails with 503 instead of 403.
        let store = IdempotencyStore::new(unreachable_dynamodb(), "ofauto", Permission::Write);
        let key = IdempotencyKey::parse(b"k").unwrap();
        let lease_until = Utc::now() + TimeDelta::seconds(30);
        store
            .begin(&caller(groups), "POST /v1/events", &key, "h", lease_until)
            .await
    }

    #[tokio::test]
    async fn callers_without_the_permission_never_reach_a_record() {
        for groups in ["[viewer]", "[]", "[guest]", "viewer", "[ops,editor]"] {
            let err = begin_as(groups).await.unwrap_err();
            assert_eq!(err.status(), 403, "{groups}");
        }
    }

    #[tokio::test]
    async fn callers_with_the_permission_go_on_to_the_store() {
        // Together: each waits out the SDK's retries against the unreachable endpoint.
        let (editor, admin, both) = tokio::join!(
            begin_as("[editor]"),
            begin_as("[admin]"),
            begin_as("[viewer editor]")
        );
        for result in [editor, admin, both] {
            assert_eq!(result.unwrap_err().status(), 503);
        }
    }

    #[test]
    fn a_record_keeps_its_stored_attribute_names() {
        let tenant = TenantId::parse("t1").unwrap();
        let key = Key::Idempotency {
            tenant: &tenant,
            route: "POST /v1/events",
            client_key: "k",
        };
        let record = IdempotencyRecord {
            status: Status::InProgress,
            request_hash: "h".into(),
            lease_until: Some(1_767_225_600_000),
            response: None,
            expires_at: 1_767_312_000,
        };
        let item = to_item(&record, &[key]).unwrap();
        let mut names: Vec<_> = item.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "entity",
                keys::TTL_ATTRIBUTE,
                "lease_until",
                "pk",
                "request_hash",
                "sk",
                "status"
            ]
        );
        assert_eq!(item["status"].as_s().unwrap(), Status::InProgress.stored());
        assert_eq!(item["entity"].as_s().unwrap(), "idempotency");
        assert_eq!(item["lease_until"].as_n().unwrap(), "1767225600000");
        assert_eq!(item["expires_at"].as_n().unwrap(), "1767312000");
        assert_eq!(from_item::<IdempotencyRecord>(item).unwrap(), record);
    }

    #[test]
    fn a_completed_record_replays_its_response() {
        let response = StoredResponse {
            status: 201,
            headers: vec![("location".into(), "/v1/events/x".into())],
            body: "{}".into(),
        };
        let mut item = Item::from([
            ("pk".to_owned(), s("T#t1#IDEM")),
            ("sk".to_owned(), s("POST /v1/events#abc")),
            ("entity".to_owned(), s("idempotency")),
            ("status".to_owned(), s("completed")),
            ("request_hash".to_owned(), s("h")),
            ("expires_at".to_owned(), n(1_767_312_000)),
        ]);
        let record: IdempotencyRecord = from_item(item.clone()).unwrap();
        assert_eq!(record.status, Status::Completed);
        assert!(matches!(
            stored_response(&record),
            Err(StorageError::Corrupt(_))
        ));
        item.insert(
            "response".into(),
            s(serde_json::to_string(&response).unwrap()),
        );
        let record: IdempotencyRecord = from_item(item).unwrap();
        assert_eq!(stored_response(&record).unwrap(), response);
    }

    #[test]
    fn request_hash_separates_its_parts() {
        assert_ne!(
            request_hash("POST", "/a", b"bc"),
            request_hash("POST", "/ab", b"c")
        );
        assert_eq!(
            request_hash("POST", "/a", b"x"),
            request_hash("POST", "/a", b"x")
        );
        assert_ne!(
            request_hash("POST", "/a", b"x"),
            request_hash("POST", "/a", b"y")
        );
    }
}
