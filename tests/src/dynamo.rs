//! Direct writes to the stack's DynamoDB Local, for states the API cannot produce on purpose: an
//! idempotency record left behind by an invocation that crashed, for one. This goes around every
//! control the API enforces, so tests use it only to set the stage (reads included: the items a
//! replayed stream batch carries), never to check results.

use serde_json::{json, Value};
use shared::domain::TenantId;
use shared::staging::request_hash;
use shared::staging::Key;

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

/// The item at `key`, in DynamoDB JSON (`{"pk": {"S": …}, …}`), read consistently: what a
/// stream record's `NewImage` carries. `Null` when there is none.
pub async fn get_item(key: Key<'_>) -> Value {
    let table = &stack().endpoints.table;
    let answer = call(
        "GetItem",
        json!({
            "TableName": table,
            "Key": {"pk": {"S": key.partition()}, "sk": {"S": key.sort()}},
            "ConsistentRead": true,
        }),
    )
    .await;
    answer["Item"].clone()
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

/// An `in_progress` idempotency record for `POST /v1/events`, as an invocation leaves it while it
/// runs (or when it dies): held until `lease_until_ms`.
pub async fn put_in_progress_idempotency_record(
    tenant: &str,
    key: &str,
    body: &[u8],
    lease_until_ms: i64,
) {
    let now = chrono::Utc::now().timestamp();
    let tenant = TenantId::parse(tenant).expect("a valid tenant id");
    let record = Key::Idempotency {
        tenant: &tenant,
        route: "POST /v1/events",
        client_key: key,
    };
    put_item(json!({
        "pk": {"S": record.partition()},
        "sk": {"S": record.sort()},
        "entity": {"S": "idempotency"},
        "status": {"S": "in_progress"},
        "request_hash": {"S": request_hash("POST", "/v1/events", body)},
        "lease_until": {"N": lease_until_ms.to_string()},
        "expires_at": {"N": (now + 86_400).to_string()},
    }))
    .await;
}

/// Sets string attributes on an existing item (`attribute_exists(pk)`), to move a stored post or
/// channel into a state only time would otherwise produce (a post an hour late, a channel failing
/// for days). Returns the item as it is afterwards.
pub async fn set_strings(key: Key<'_>, values: &[(&str, &str)]) -> Value {
    let table = &stack().endpoints.table;
    let mut names = serde_json::Map::new();
    let mut attribute_values = serde_json::Map::new();
    let mut sets = Vec::new();
    for (i, (name, value)) in values.iter().enumerate() {
        names.insert(format!("#a{i}"), json!(name));
        attribute_values.insert(format!(":v{i}"), json!({"S": value}));
        sets.push(format!("#a{i} = :v{i}"));
    }
    let answer = call(
        "UpdateItem",
        json!({
            "TableName": table,
            "Key": {"pk": {"S": key.partition()}, "sk": {"S": key.sort()}},
            "UpdateExpression": format!("SET {}", sets.join(", ")),
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": attribute_values,
            "ReturnValues": "ALL_NEW",
        }),
    )
    .await;
    answer["Attributes"].clone()
}
