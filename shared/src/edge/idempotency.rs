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
use crate::keys;
use crate::repo::attributes::{n, optional_string, s, Item};
use crate::repo::storage_error;

pub const HEADER: &str = "idempotency-key";
pub const RECORD_TTL: TimeDelta = TimeDelta::hours(24);
const MAX_KEY_LEN: usize = 255;
const IN_PROGRESS: &str = "in_progress";
/// How long a duplicate waits for the first request's answer before giving up with 409. Short,
/// so a waiting duplicate never runs into its own Lambda timeout (and never bills for long).
const MAX_WAIT: TimeDelta = TimeDelta::seconds(3);
/// Time kept back from the invocation deadline to answer 409 properly.
const DEADLINE_MARGIN: TimeDelta = TimeDelta::seconds(2);
const COMPLETED: &str = "completed";

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
    sort_key: String,
    tenant: TenantId,
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
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        let sort_key = format!("{route}#{}", hex(&Sha256::digest(key.0.as_bytes())));
        let give_up_at = (Utc::now() + MAX_WAIT).min(lease_until - DEADLINE_MARGIN);
        loop {
            let now = Utc::now();
            match self
                .try_claim(tenant, &sort_key, hash, now, lease_until)
                .await?
            {
                None => {
                    return Ok(Begin::Proceed(Claim {
                        sort_key,
                        tenant: tenant.clone(),
                    }))
                }
                Some(existing) => {
                    if optional_string(&existing, "request_hash") != Some(hash) {
                        return Err(ApiError::IdempotencyKeyReused);
                    }
                    if optional_string(&existing, "status") == Some(COMPLETED) {
                        return stored_response(&existing).map(Begin::Replay);
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

    /// Puts an in-progress record unless a live one exists; returns the live one if so.
    async fn try_claim(
        &self,
        tenant: &TenantId,
        sort_key: &str,
        hash: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Item>, ApiError> {
        let mut item = Item::new();
        item.insert(keys::PK.into(), s(keys::idempotency_partition(tenant)));
        item.insert(keys::SK.into(), s(sort_key));
        item.insert(keys::ENTITY.into(), s("idempotency"));
        item.insert("status".into(), s(IN_PROGRESS));
        item.insert("request_hash".into(), s(hash));
        item.insert("lease_until".into(), n(lease_until.timestamp_millis()));
        item.insert(
            keys::TTL_ATTRIBUTE.into(),
            n((now + RECORD_TTL).timestamp()),
        );
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            // Free, expired (TTL deletes lazily), or abandoned by a crashed holder.
            .condition_expression(
                "attribute_not_exists(pk) OR #ttl < :now_s OR (#status = :in_progress AND lease_until < :now_ms)",
            )
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":now_s", n(now.timestamp()))
            .expression_attribute_values(":now_ms", n(now.timestamp_millis()))
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item() {
                        Some(existing) => Ok(Some(existing.clone())),
                        None => self.read(tenant, sort_key).await,
                    }
                }
                _ => Err(storage_error(err)),
            },
        }
    }

    async fn read(&self, tenant: &TenantId, sort_key: &str) -> Result<Option<Item>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::idempotency_partition(tenant)))
            .key(keys::SK, s(sort_key))
            .consistent_read(true)
            .send()
            .await
            .map_err(storage_error)?;
        // Gone between the failed put and this read: report an empty in-progress record so the
        // caller loops and claims it.
        Ok(Some(output.item.unwrap_or_default()))
    }

    pub async fn complete(&self, claim: Claim, response: &StoredResponse) -> Result<(), ApiError> {
        let body =
            serde_json::to_string(response).map_err(|e| ApiError::Internal(e.to_string()))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::idempotency_partition(&claim.tenant)))
            .key(keys::SK, s(&claim.sort_key))
            .update_expression("SET #status = :completed, #response = :response REMOVE lease_until")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":completed", s(COMPLETED))
            .expression_attribute_values(":response", s(body))
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    /// Failed requests are not remembered: the client may fix the problem and retry the key.
    pub async fn release(&self, claim: Claim) -> Result<(), ApiError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::idempotency_partition(&claim.tenant)))
            .key(keys::SK, s(&claim.sort_key))
            .condition_expression("#status = :in_progress")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
            .send()
            .await
            .map(|_| ())
            .or_else(|err| match err.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => Ok(()),
                _ => Err(storage_error(err)),
            })
    }
}

fn stored_response(item: &Item) -> Result<StoredResponse, ApiError> {
    let raw = optional_string(item, "response")
        .ok_or_else(|| ApiError::Internal("completed idempotency record has no response".into()))?;
    serde_json::from_str(raw).map_err(|e| ApiError::Internal(e.to_string()))
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
