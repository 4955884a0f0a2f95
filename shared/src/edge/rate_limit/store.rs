//! The two lease writes. Each is one unconditional `UpdateItem` that adds to counters and returns
//! their new values: it cannot fail a condition, so a lease is exactly one write unit, and the
//! `leases` attribute it bumps counts every write the limiter makes, for anyone auditing it.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;

use super::local::{QuotaLease, WindowLease};
use crate::domain::tenant::TenantId;
use crate::keys::{self, Key};
use crate::repo::attributes::{n, s, Item};
use crate::repo::StorageError;

/// The attribute counting lease writes on each lease item.
pub(super) const LEASES: &str = "leases";
/// The quota item's counter of granted tokens.
const GRANTED: &str = "granted";

#[derive(Debug, Clone)]
pub(super) struct LeaseStore {
    client: Client,
    table: String,
}

impl LeaseStore {
    pub fn new(client: Client, table: &str) -> Self {
        Self {
            client,
            table: table.to_owned(),
        }
    }

    /// Adds each window's amount to its counter in the epoch's item; returns the counters' new
    /// values in the lease's order. The planner only puts windows of one item in a lease.
    pub async fn lease_windows(
        &self,
        tenant: &TenantId,
        lease: &WindowLease,
    ) -> Result<Vec<u64>, StorageError> {
        let (first, _) = lease.windows[0];
        let mut adds = Vec::with_capacity(lease.windows.len() + 1);
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(
                Key::RateWindow {
                    tenant,
                    window_start: first.epoch_start_secs(),
                }
                .to_item(),
            ));
        for (i, (window, amount)) in lease.windows.iter().enumerate() {
            debug_assert!(window.same_item_as(first));
            adds.push(format!("#g{i} :k{i}"));
            update = update
                .expression_attribute_names(format!("#g{i}"), window.attribute())
                .expression_attribute_values(format!(":k{i}"), n(*amount));
        }
        let output = self.add(update, &adds, first.item_expires_at()).await?;
        lease
            .windows
            .iter()
            .map(|(window, _)| counter(&output, &window.attribute()))
            .collect()
    }

    /// Adds the lease's amount to the day's quota counter; returns its new value.
    pub async fn lease_quota(
        &self,
        tenant: &TenantId,
        lease: &QuotaLease,
    ) -> Result<u64, StorageError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(
                Key::RateQuota {
                    tenant,
                    day: lease.day.date,
                }
                .to_item(),
            ))
            .expression_attribute_names("#g0", GRANTED)
            .expression_attribute_values(":k0", n(lease.amount));
        let output = self
            .add(update, &["#g0 :k0".to_owned()], lease.day.item_expires_at())
            .await?;
        counter(&output, GRANTED)
    }

    /// Sends `update` with `adds` plus the lease count, TTL and entity, returning the new values.
    async fn add(
        &self,
        update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
        adds: &[String],
        expires_at: i64,
    ) -> Result<Item, StorageError> {
        let expression = format!(
            "ADD {}, #leases :one SET #ttl = :ttl, #entity = :entity",
            adds.join(", ")
        );
        update
            .update_expression(expression)
            .expression_attribute_names("#leases", LEASES)
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_names("#entity", keys::ENTITY)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", n(expires_at))
            .expression_attribute_values(":entity", s("rate-limit"))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map(|output| output.attributes.unwrap_or_default())
            .map_err(StorageError::from_sdk)
    }
}

fn counter(item: &Item, name: &str) -> Result<u64, StorageError> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| StorageError::Corrupt(format!("lease counter {name} is {value}"))),
        _ => Err(StorageError::Corrupt(format!(
            "a lease returned no counter {name}"
        ))),
    }
}
