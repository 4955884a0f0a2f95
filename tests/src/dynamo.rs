//! Direct writes to the stack's DynamoDB Local, for states the API cannot produce on purpose: an
//! idempotency record left behind by an invocation that crashed, for one. This goes around every
//! control the API enforces, so tests use it only to set the stage, never to check results.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::stack::stack;

/// `PutItem` through DynamoDB's JSON protocol.
pub async fn put_item(item: Value) {
    let table = &stack().endpoints.table;
    call("PutItem", json!({"TableName": table, "Item": item})).await;
}

/// `BatchWriteItem` of up to 25 items: they reach the table's stream together, so the stream
/// consumer sees them in one batch.
pub async fn put_items(items: Vec<Value>) {
    assert!(items.len() <= 25, "BatchWriteItem takes at most 25 items");
    let table = stack().endpoints.table.clone();
    let requests: Vec<Value> = items
        .into_iter()
        .map(|item| json!({"PutRequest": {"Item": item}}))
        .collect();
    let answer = call("BatchWriteItem", json!({"RequestItems": {table: requests}})).await;
    let unprocessed = answer["UnprocessedItems"]
        .as_object()
        .map_or(0, |m| m.len());
    assert_eq!(
        unprocessed, 0,
        "BatchWriteItem left items unprocessed: {answer}"
    );
}

/// One DynamoDB JSON-protocol call. DynamoDB Local (run with `-sharedDb`) does not verify
/// signatures, but it does insist on a SigV4-shaped `Authorization` header.
async fn call(operation: &str, body: Value) -> Value {
    let endpoints = &stack().endpoints;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("building an HTTP client");
    let response = client
        .post(&endpoints.dynamodb)
        .header("x-amz-target", format!("DynamoDB_20120810.{operation}"))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-date", "20250101T000000Z")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{operation} to {}: {e}", endpoints.dynamodb));
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{operation} failed: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The fingerprint the idempotency layer keeps of a request: SHA-256 over each of method, raw
/// path and body, each preceded by its length as a big-endian u64.
pub fn idempotency_request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An `in_progress` idempotency record for `POST /v1/events`, as an invocation leaves it while it
/// runs (or when it dies): held until `lease_until_ms`.
pub async fn put_in_progress_idempotency_record(
    tenant: &str,
    key: &str,
    body: &[u8],
    lease_until_ms: i64,
) {
    let now = chrono::Utc::now().timestamp();
    put_item(json!({
        "pk": {"S": format!("T#{tenant}#IDEM")},
        "sk": {"S": format!("POST /v1/events#{}", sha256_hex(key.as_bytes()))},
        "entity": {"S": "idempotency"},
        "status": {"S": "in_progress"},
        "request_hash": {"S": idempotency_request_hash("POST", "/v1/events", body)},
        "lease_until": {"N": lease_until_ms.to_string()},
        "expires_at": {"N": (now + 86_400).to_string()},
    }))
    .await;
}
