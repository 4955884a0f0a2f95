//! What Terraform would have created before the functions run: the table from the manifest, the
//! cursor signing secret, the manifest's queues with their dead-letter queues, the functions'
//! dead-letter queues and the custom event bus.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use ofauto_routes::{QueueDef, TableDef};
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
    create_queue_with(client, name, Vec::new()).await
}

/// A manifest queue as it exists on SQS.
#[derive(Debug, Clone)]
pub struct Queue {
    pub url: String,
    pub arn: String,
    pub visibility_timeout_s: u32,
    pub dead_letter_url: String,
}

/// Creates `<table>-<name>-dlq`, then `<table>-<name>` redriving to it after
/// `max_receive_count` receives, as Terraform's `aws_sqs_queue` pair does.
pub async fn create_manifest_queue(
    client: &aws_sdk_sqs::Client,
    table: &str,
    def: &QueueDef,
) -> Result<Queue, BoxError> {
    let name = format!("{table}-{}", def.name);
    let dlq_name = format!("{name}-dlq");
    // The DLQ keeps messages for SQS's maximum, 14 days, so there is time to look at them.
    let dead_letter_url = create_queue_with(
        client,
        &dlq_name,
        vec![(QueueAttributeName::MessageRetentionPeriod, "1209600".into())],
    )
    .await?;
    let dlq_arn = queue_arn(client, &dead_letter_url).await?;
    let url = create_queue_with(client, &name, queue_attributes(def, &dlq_arn)).await?;
    let arn = queue_arn(client, &url).await?;
    Ok(Queue {
        url,
        arn,
        visibility_timeout_s: def.visibility_timeout_s,
        dead_letter_url,
    })
}

/// The attributes of a manifest queue whose dead-letter queue is `dlq_arn`.
pub fn queue_attributes(def: &QueueDef, dlq_arn: &str) -> Vec<(QueueAttributeName, String)> {
    vec![
        (
            QueueAttributeName::VisibilityTimeout,
            def.visibility_timeout_s.to_string(),
        ),
        (
            QueueAttributeName::MessageRetentionPeriod,
            def.message_retention_s.to_string(),
        ),
        (
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({
                "deadLetterTargetArn": dlq_arn,
                "maxReceiveCount": def.max_receive_count,
            })
            .to_string(),
        ),
    ]
}

/// A queue's ARN, as SQS reports it.
pub async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> Result<String, BoxError> {
    let out = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "GetQueueAttributes {url}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(e)
            )
        })?;
    out.attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| format!("GetQueueAttributes {url}: no QueueArn").into())
}

/// The custom bus for domain events, and the rule that copies every `ofauto` event to
/// `target_queue_arn`: moto delivers to an SQS target, so that queue is how the events are seen
/// locally (and moto's PutEvents fails on a bus that also carries a Lambda-target rule, which is
/// one reason app events have a bus of their own).
pub async fn create_event_bus(
    client: &aws_sdk_eventbridge::Client,
    bus: &str,
    target_queue_arn: &str,
) -> Result<(), BoxError> {
    let fail = |op: &str, e: String| format!("{op} {bus}: {e}");
    client
        .create_event_bus()
        .name(bus)
        .send()
        .await
        .map_err(|e| {
            fail(
                "CreateEventBus",
                aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string(),
            )
        })?;
    let rule = format!("{bus}-to-queue");
    client
        .put_rule()
        .name(&rule)
        .event_bus_name(bus)
        .event_pattern(DOMAIN_EVENT_PATTERN)
        .send()
        .await
        .map_err(|e| {
            fail(
                "PutRule",
                aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string(),
            )
        })?;
    point_bus_at(client, bus, target_queue_arn).await
}

/// Points the bus's rule at `queue_arn`, replacing its one target (same target id), so that
/// every domain event published from now on goes there.
pub async fn point_bus_at(
    client: &aws_sdk_eventbridge::Client,
    bus: &str,
    queue_arn: &str,
) -> Result<(), BoxError> {
    client
        .put_targets()
        .rule(format!("{bus}-to-queue"))
        .event_bus_name(bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("domain-events-queue")
                .arn(queue_arn)
                .build()?,
        )
        .send()
        .await
        .map_err(|e| {
            format!(
                "PutTargets {bus}: {}",
                aws_sdk_eventbridge::error::DisplayErrorContext(e)
            )
        })?;
    Ok(())
}

/// Every event the service publishes has `source: "ofauto"`.
pub const DOMAIN_EVENT_PATTERN: &str = r#"{"source":["ofauto"]}"#;

async fn create_queue_with(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: Vec<(QueueAttributeName, String)>,
) -> Result<String, BoxError> {
    let out = client
        .create_queue()
        .queue_name(name)
        .set_attributes((!attributes.is_empty()).then(|| attributes.into_iter().collect()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_queue_redrives_to_its_dlq() {
        let def = QueueDef {
            name: "delivery".into(),
            visibility_timeout_s: 120,
            max_receive_count: 5,
            message_retention_s: 345_600,
        };
        let attrs: std::collections::HashMap<_, _> =
            queue_attributes(&def, "arn:dlq").into_iter().collect();
        assert_eq!(attrs[&QueueAttributeName::VisibilityTimeout], "120");
        assert_eq!(attrs[&QueueAttributeName::MessageRetentionPeriod], "345600");
        let redrive: serde_json::Value =
            serde_json::from_str(&attrs[&QueueAttributeName::RedrivePolicy]).unwrap();
        assert_eq!(
            redrive,
            serde_json::json!({"deadLetterTargetArn": "arn:dlq", "maxReceiveCount": 5})
        );
        let pattern: serde_json::Value = serde_json::from_str(DOMAIN_EVENT_PATTERN).unwrap();
        assert_eq!(pattern, serde_json::json!({"source": ["ofauto"]}));
    }
}
