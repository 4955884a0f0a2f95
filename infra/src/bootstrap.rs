//! What Terraform would have created before the functions run: the table from the manifest, the
//! cursor signing secret and the functions' dead-letter queues.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use ofauto_routes::TableDef;
use std::collections::BTreeSet;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn key_schema(hash: &str, range: Option<&str>) -> Result<Vec<KeySchemaElement>, BoxError> {
    let mut keys = vec![KeySchemaElement::builder()
        .attribute_name(hash)
        .key_type(KeyType::Hash)
        .build()?];
    if let Some(range) = range {
        keys.push(
            KeySchemaElement::builder()
                .attribute_name(range)
                .key_type(KeyType::Range)
                .build()?,
        );
    }
    Ok(keys)
}

/// Creates the table, its GSIs, its stream and its TTL setting.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    def: &TableDef,
) -> Result<(), BoxError> {
    // DynamoDB rejects attribute definitions that no key uses.
    let mut used: BTreeSet<&str> = BTreeSet::new();
    used.insert(&def.hash_key);
    used.extend(def.range_key.as_deref());
    for gsi in &def.global_secondary_indexes {
        used.insert(&gsi.hash_key);
        used.extend(gsi.range_key.as_deref());
    }
    let mut attributes = Vec::new();
    for attr in used {
        let kind = def
            .attributes
            .get(attr)
            .ok_or_else(|| format!("key attribute `{attr}` has no type in table.attributes"))?;
        attributes.push(
            AttributeDefinition::builder()
                .attribute_name(attr)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()?,
        );
    }

    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&def.hash_key, def.range_key.as_deref())?));
    for gsi in &def.global_secondary_indexes {
        let mut projection =
            Projection::builder().projection_type(ProjectionType::from(gsi.projection.as_str()));
        for attr in &gsi.non_key_attributes {
            projection = projection.non_key_attributes(attr);
        }
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&gsi.name)
                .set_key_schema(Some(key_schema(&gsi.hash_key, gsi.range_key.as_deref())?))
                .projection(projection.build())
                .build()?,
        );
    }
    if let Some(view) = &def.stream_view_type {
        req = req.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view.as_str()))
                .build()?,
        );
    }
    req.send().await.map_err(|e| {
        format!(
            "CreateTable {name}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(e)
        )
    })?;

    if let Some(ttl) = &def.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(ttl)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| {
                format!(
                    "UpdateTimeToLive {name}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })?;
    }
    Ok(())
}

/// Creates the secret with a fresh random 32-byte key, hex-encoded.
pub async fn create_secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
) -> Result<(), BoxError> {
    client
        .create_secret()
        .name(name)
        .secret_string(crate::ids::random_hex(32))
        .send()
        .await
        .map_err(|e| {
            format!(
                "CreateSecret {name}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(e)
            )
        })?;
    Ok(())
}

/// Creates a queue and returns its URL, as Terraform's `aws_sqs_queue` would.
pub async fn create_queue(client: &aws_sdk_sqs::Client, name: &str) -> Result<String, BoxError> {
    let out = client
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| {
            format!(
                "CreateQueue {name}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(e)
            )
        })?;
    Ok(out
        .queue_url
        .ok_or_else(|| format!("CreateQueue {name}: no queue URL in the answer"))?)
}
