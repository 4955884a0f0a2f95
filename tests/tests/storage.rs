//! Creates against DynamoDB Local through the repositories themselves, for what no HTTP request
//! can stage: the SDK retrying a `PutItem` that landed but timed out (seen under load as 500s on
//! `POST /v1/posts` and `/v1/automations`). The retry finds its own item and must count as the
//! create; a different item under the same key must still be refused.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use ofauto_tests::stack;
use shared::domain::{Event, NewEvent, TenantId, Timestamp};
use shared::repo::EventsRepository;
use shared::JsonObject;

async fn events_repository() -> EventsRepository {
    let endpoints = &stack().endpoints;
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoints.dynamodb)
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "storage-test",
        ))
        .build();
    EventsRepository::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        endpoints.table.clone(),
    )
}

fn new_event(body: &str) -> NewEvent {
    NewEvent::parse(
        JsonObject::parse(body.as_bytes()).unwrap(),
        Timestamp::now(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_create_that_finds_its_own_item_succeeds_and_one_that_finds_another_fails() {
    let repo = events_repository().await;
    let tenant = TenantId::parse(&format!("storage-{}", ulid::Ulid::new())).unwrap();
    let (id, event) = Event::record(
        new_event(r#"{"type":"retry.check","source":"test","properties":{"n":1}}"#),
        Timestamp::now(),
    );

    repo.insert(&tenant, id, &event)
        .await
        .expect("the first write creates the event");
    repo.insert(&tenant, id, &event)
        .await
        .expect("the same item again is the first write's own retry: a success");
    assert_eq!(repo.get(&tenant, id).await.unwrap().as_ref(), Some(&event));

    let mut other = event.clone();
    other.properties = new_event(r#"{"type":"retry.check","properties":{"n":2}}"#).properties;
    let refused = repo.insert(&tenant, id, &other).await;
    assert!(
        refused.is_err(),
        "another item under an existing id must be refused, got {refused:?}"
    );
    assert_eq!(
        repo.get(&tenant, id).await.unwrap().as_ref(),
        Some(&event),
        "the refused write changed nothing"
    );
}
