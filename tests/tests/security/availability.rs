//! One tenant's input must never stall the stream processing that every tenant shares.
//!
//! Before the fix, about 6,000 distinct event types in one bucket pushed that tenant's counter
//! item past DynamoDB's 400 KB limit; the aggregator retried the refused write as if it were
//! contention and failed the whole batch, and the stream redelivered it forever, so no tenant's
//! new events were counted any more. A record DynamoDB refuses for any other reason did the same.
//!
//! The flood itself (7,000 types against another tenant's counts) loads the whole stack, so it is
//! in the `contention` binary; the poison record is here.

use std::time::Duration;

use ofauto_tests::dynamo::put_items;
use ofauto_tests::fixtures::{poll, Tenant};
use ofauto_tests::queues::dead_letters;
use serde_json::{json, Value};

/// An event item as the API writes it (without the by-type index keys, which a type this long
/// could not be: the point is a record that reaches the stream and that DynamoDB then refuses).
fn event_item(tenant: &Tenant, id: &str, event_type: &str, at: &str) -> Value {
    json!({
        "pk": {"S": format!("T#{}#EV", tenant.id)},
        "sk": {"S": id},
        "entity": {"S": "event"},
        "id": {"S": id},
        "type": {"S": event_type},
        "occurred_at": {"S": at},
        "created_at": {"S": at},
        "properties": {"S": "{}"},
    })
}

#[tokio::test]
async fn a_poison_record_is_parked_and_the_rest_of_its_batch_is_counted_exactly_once() {
    let tenant = Tenant::new();
    let at = "2025-03-04T05:06:07.000Z";
    let good = 12;
    let mut items: Vec<Value> = (0..good)
        .map(|_| {
            let id = ulid::Ulid::new().to_string();
            event_item(&tenant, &id, "batch.good", at)
        })
        .collect();
    // A type whose counter attribute name is past DynamoDB's 64 KiB limit: refused for good.
    let poison_id = ulid::Ulid::new().to_string();
    items.insert(
        good / 2,
        event_item(&tenant, &poison_id, &"p".repeat(70_000), at),
    );
    // One BatchWriteItem: the records reach the stream, and the aggregator, together.
    put_items(items).await;

    let viewer = tenant.viewer();
    let window = [
        ("from", "2025-03-04T05:00:00Z"),
        ("to", "2025-03-04T05:00:00Z"),
    ];
    let total = || async {
        let resp = viewer.get_query("/v1/analytics/events", &window).await;
        resp.ok_json(200)["total"].as_u64().unwrap_or_default()
    };
    let counted = poll(Duration::from_secs(30), total, |n| *n >= good as u64).await;
    assert_eq!(counted, good as u64, "every good record counted once");

    let letters = poll(
        Duration::from_secs(30),
        || dead_letters("analytics-aggregator"),
        |letters| letters.iter().any(|l| mentions(l, &poison_id)),
    )
    .await;
    let letter = letters
        .iter()
        .find(|l| mentions(l, &poison_id))
        .unwrap_or_else(|| panic!("the poison record was not parked: {letters:?}"));
    assert_eq!(letter["kind"], "stream-record-refused", "{letter}");
    assert!(letter["sequence_number"].is_string(), "{letter}");
    assert!(
        letter.to_string().len() < 16 * 1024,
        "a letter does not carry the oversized record"
    );

    // Nothing is applied twice: the counts stay put once the stream has moved on.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(total().await, good as u64, "no record counted twice");
}

fn mentions(letter: &Value, id: &str) -> bool {
    letter["keys"]
        .as_str()
        .is_some_and(|keys| keys.contains(id))
}
