//! The baseline: DynamoDB Local doing, from Rust, the item operations the routes do, with no
//! gateway, no Lambda runtime and no function code in between.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use shared::domain::{EventId, Timestamp};

use crate::load::Op;

type Item = HashMap<String, AttributeValue>;

pub fn client(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "bench"))
        .build();
    Client::from_conf(config)
}

/// An event's key as README's data model lays it out (`T#<tenant>#EV`, the ULID). `Raw::new`
/// reads the stack's own item under it, so a layout change fails the bench instead of skewing it.
fn event_key(tenant: &str, id: &str) -> Item {
    HashMap::from([
        (
            "pk".to_string(),
            AttributeValue::S(format!("T#{tenant}#EV")),
        ),
        ("sk".to_string(), AttributeValue::S(id.to_string())),
    ])
}

/// A real event item the stack stored, used as the template for every raw operation.
#[derive(Clone)]
pub struct Raw {
    client: Client,
    table: String,
    key: Item,
    template: Item,
    partition: String,
}

impl Raw {
    pub async fn new(
        client: Client,
        table: &str,
        tenant: &str,
        event_id: &str,
    ) -> Result<Self, String> {
        let key = event_key(tenant, event_id);
        let partition = format!("T#{tenant}#EV");
        let template = client
            .get_item()
            .table_name(table)
            .set_key(Some(key.clone()))
            .send()
            .await
            .map_err(|e| format!("GetItem: {e:?}"))?
            .item
            .ok_or("the seeded event is not under its documented key (T#<tenant>#EV, id)")?;
        Ok(Self {
            client,
            table: table.into(),
            key,
            template,
            partition,
        })
    }

    /// The stored event's billing size, for the cost model's read and write units.
    pub fn template_bytes(&self) -> usize {
        crate::item_size::item_bytes(&self.template)
    }

    /// Operations by the route whose item work they mirror.
    pub fn ops(&self) -> Vec<(&'static str, &'static str, Op)> {
        vec![
            ("health", "DescribeTable", self.describe()),
            ("events-get", "GetItem", self.get()),
            ("events-create", "PutItem", self.put()),
            ("events-list", "Query (26)", self.query()),
        ]
    }

    fn get(&self) -> Op {
        let raw = Arc::new(self.clone());
        Arc::new(move |_| {
            let raw = raw.clone();
            Box::pin(async move {
                let out = raw
                    .client
                    .get_item()
                    .table_name(&raw.table)
                    .set_key(Some(raw.key.clone()))
                    .send()
                    .await
                    .map_err(|e| format!("GetItem: {e}"))?;
                out.item
                    .map(drop)
                    .ok_or_else(|| "GetItem: no item".to_string())
            })
        })
    }

    /// A new event item of the template's shape and size, under a fresh id, never overwriting.
    fn put(&self) -> Op {
        let raw = Arc::new(self.clone());
        Arc::new(move |_| {
            let raw = raw.clone();
            Box::pin(async move {
                let id = EventId::generate(Timestamp::now());
                let sort = id.to_string();
                let mut item = raw.template.clone();
                for attribute in ["sk", "gsi1sk"] {
                    if item.contains_key(attribute) {
                        item.insert(attribute.into(), AttributeValue::S(sort.clone()));
                    }
                }
                if item.contains_key("id") {
                    item.insert("id".into(), AttributeValue::S(id.to_string()));
                }
                raw.client
                    .put_item()
                    .table_name(&raw.table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| format!("PutItem: {e}"))
            })
        })
    }

    /// Newest 25 plus one, as the list route reads a page.
    fn query(&self) -> Op {
        let raw = Arc::new(self.clone());
        let low = EventId::lowest().to_string();
        let high = EventId::highest().to_string();
        Arc::new(move |_| {
            let raw = raw.clone();
            let (low, high) = (low.clone(), high.clone());
            Box::pin(async move {
                raw.client
                    .query()
                    .table_name(&raw.table)
                    .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                    .expression_attribute_values(":pk", AttributeValue::S(raw.partition.clone()))
                    .expression_attribute_values(":low", AttributeValue::S(low))
                    .expression_attribute_values(":high", AttributeValue::S(high))
                    .scan_index_forward(false)
                    .limit(26)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| format!("Query: {e}"))
            })
        })
    }

    fn describe(&self) -> Op {
        let raw = Arc::new(self.clone());
        Arc::new(move |_| {
            let raw = raw.clone();
            Box::pin(async move {
                raw.client
                    .describe_table()
                    .table_name(&raw.table)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| format!("DescribeTable: {e}"))
            })
        })
    }
}
