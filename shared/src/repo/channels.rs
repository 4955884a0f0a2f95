//! A tenant's webhook channels: one partition per tenant, one item per channel. The item holds
//! the API fields plus `secret_version`, never the secret (that lives in Secrets Manager, see
//! `crate::secrets`).

use std::time::Duration;

use aws_sdk_dynamodb::types::ReturnValue;
use aws_sdk_dynamodb::Client;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::attributes::{from_item, n, s, to_item, Entity, Item};
use super::conditional::{put_new, unless_refused};
use super::get::get_item;
use super::page::cut_page;
use super::StorageError;
use crate::domain::channel::{
    Channel, ChannelKind, ChannelName, ChannelPatch, ChannelStatus, DisabledReason,
};
use crate::domain::ids::ChannelId;
use crate::domain::list::Limit;
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::keys::{self, Key};
use crate::webhook::url::WebhookUrl;

/// A channel as the deliverer needs it: the API fields plus the version of its signing secret,
/// which keys the secret cache so that a rotation is seen at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChannel {
    pub channel: Channel,
    pub secret_version: u64,
}

/// One page of channels, plus the id to continue after when more remain.
#[derive(Debug)]
pub struct ChannelPage {
    pub items: Vec<Channel>,
    pub last: Option<ChannelId>,
}

#[derive(Debug, Clone)]
pub struct ChannelsRepository {
    client: Client,
    table: String,
}

impl ChannelsRepository {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Stores a new channel at secret version 1.
    pub async fn create(&self, tenant: &TenantId, channel: &Channel) -> Result<(), StorageError> {
        let item = to_item(
            &ChannelItem::new(channel, 1),
            &[Key::Channel {
                tenant,
                id: channel.id,
            }],
        )?;
        if put_new(&self.client, &self.table, item).await? {
            Ok(())
        } else {
            Err(StorageError::Internal(
                "an item already has this new id".into(),
            ))
        }
    }

    /// A consistent read: the deliverer must see a disable or a rotation that just happened.
    pub async fn get(
        &self,
        tenant: &TenantId,
        id: ChannelId,
    ) -> Result<Option<StoredChannel>, StorageError> {
        get_item(
            &self.client,
            &self.table,
            Key::Channel { tenant, id }.to_item(),
        )
        .await?
        .map(stored_from_item)
        .transpose()
    }

    /// Oldest first (ids are ULIDs). Fetches one extra item to know whether another page exists.
    pub async fn list(
        &self,
        tenant: &TenantId,
        limit: Limit,
        after: Option<ChannelId>,
    ) -> Result<ChannelPage, StorageError> {
        let size = usize::from(limit.get());
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":pk", s(keys::channels_partition(tenant)))
            .scan_index_forward(true)
            .limit(i32::from(limit.get()) + 1);
        if let Some(after) = after {
            request =
                request.set_exclusive_start_key(Some(Key::Channel { tenant, id: after }.to_item()));
        }
        let output = request.send().await.map_err(StorageError::from_sdk)?;
        let mut items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| stored_from_item(item).map(|stored| stored.channel))
            .collect::<Result<Vec<_>, _>>()?;
        let last = cut_page(&mut items, size).map(|c| c.id);
        Ok(ChannelPage { items, last })
    }

    /// Applies a validated patch; `None` when the channel does not exist. Re-enabling clears
    /// `disabled_reason` and `failing_since`, so the channel starts with a clean record.
    pub async fn update(
        &self,
        tenant: &TenantId,
        id: ChannelId,
        patch: &ChannelPatch,
        now: Timestamp,
    ) -> Result<Option<Channel>, StorageError> {
        let mut set = vec!["updated_at = :now"];
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Key::Channel { tenant, id }.to_item()))
            .expression_attribute_values(":now", s(now.to_rfc3339()));
        if let Some(name) = &patch.name {
            set.push("#name = :name");
            request = request
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":name", s(name.as_str()));
        }
        if let Some(url) = &patch.url {
            set.push("#url = :url");
            request = request
                .expression_attribute_names("#url", "url")
                .expression_attribute_values(":url", s(url.as_str()));
        }
        let mut expression = String::new();
        if patch.reactivate {
            set.push("#status = :active");
            request = request
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":active", s("active"));
            expression = " REMOVE disabled_reason, failing_since".into();
        }
        let expression = format!("SET {}{expression}", set.join(", "));
        let result = request
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)")
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        unless_refused(result)?
            .map(|output| channel_from_attributes(output.attributes))
            .transpose()
    }

    /// Returns whether the channel existed.
    pub async fn delete(&self, tenant: &TenantId, id: ChannelId) -> Result<bool, StorageError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Key::Channel { tenant, id }.to_item()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(StorageError::from_sdk)?;
        Ok(result.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// One delivered message ends a run of failures. Writes only when there was one.
    pub async fn record_success(
        &self,
        tenant: &TenantId,
        id: ChannelId,
    ) -> Result<(), StorageError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Key::Channel { tenant, id }.to_item()))
            .update_expression("REMOVE failing_since")
            .condition_expression("attribute_exists(pk) AND attribute_exists(failing_since)")
            .send()
            .await;
        // Refused when there was no failing run to end: nothing to do.
        unless_refused(result).map(drop)
    }

    /// Notes a failed delivery: starts the failing run if none is open, and disables the channel
    /// (`failing`) once the run has lasted `failing_after`. Returns the channel when this call
    /// disabled it, so that the caller emits `channel.disabled` exactly once.
    pub async fn record_failure(
        &self,
        tenant: &TenantId,
        id: ChannelId,
        now: Timestamp,
        failing_after: Duration,
    ) -> Result<Option<Channel>, StorageError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Key::Channel { tenant, id }.to_item()))
            .update_expression("SET failing_since = if_not_exists(failing_since, :now)")
            .condition_expression("attribute_exists(pk) AND #status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .expression_attribute_values(":active", s("active"))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        // Refused when the channel is gone or already disabled: nothing to track.
        let Some(output) = unless_refused(result)? else {
            return Ok(None);
        };
        let channel = channel_from_attributes(output.attributes)?;
        let since = channel.failing_since.unwrap_or(now);
        let limit = TimeDelta::from_std(failing_after).unwrap_or(TimeDelta::MAX);
        if now.datetime() - since.datetime() >= limit {
            return self.disable(tenant, id, DisabledReason::Failing, now).await;
        }
        Ok(None)
    }

    /// Disables an active channel; `Some` when this call changed it (so the caller emits
    /// `channel.disabled` once), `None` when it was already disabled or is gone.
    pub async fn disable(
        &self,
        tenant: &TenantId,
        id: ChannelId,
        reason: DisabledReason,
        now: Timestamp,
    ) -> Result<Option<Channel>, StorageError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Key::Channel { tenant, id }.to_item()))
            .update_expression(
                "SET #status = :disabled, disabled_reason = :reason, updated_at = :now",
            )
            .condition_expression("attribute_exists(pk) AND #status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":disabled", s("disabled"))
            .expression_attribute_values(":active", s("active"))
            .expression_attribute_values(":reason", s(reason.as_str()))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        unless_refused(result)?
            .map(|output| channel_from_attributes(output.attributes))
            .transpose()
    }

    /// After a rotation: the new version makes every deliverer's cache miss and read the new
    /// secret. `None` when the channel does not exist.
    pub async fn bump_secret_version(
        &self,
        tenant: &TenantId,
        id: ChannelId,
        now: Timestamp,
    ) -> Result<Option<StoredChannel>, StorageError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Key::Channel { tenant, id }.to_item()))
            .update_expression("ADD secret_version :one SET updated_at = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        unless_refused(result)?
            .map(|output| stored_from_item(output.attributes.unwrap_or_default()))
            .transpose()
    }
}

/// A channel as the table stores it, less its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChannelItem {
    pub id: ChannelId,
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    pub status: ChannelStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<DisabledReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub secret_version: u64,
}

impl Entity for ChannelItem {
    const NAME: &'static str = keys::ENTITY_CHANNEL;
}

impl ChannelItem {
    fn new(channel: &Channel, secret_version: u64) -> Self {
        Self {
            id: channel.id,
            name: channel.name.as_str().to_owned(),
            kind: channel.kind,
            url: channel.url.as_str().to_owned(),
            status: channel.status,
            disabled_reason: channel.disabled_reason,
            failing_since: channel.failing_since.map(|t| t.to_rfc3339()),
            created_at: channel.created_at.to_rfc3339(),
            updated_at: channel.updated_at.to_rfc3339(),
            secret_version,
        }
    }
}

impl TryFrom<ChannelItem> for StoredChannel {
    type Error = StorageError;

    fn try_from(item: ChannelItem) -> Result<Self, StorageError> {
        let corrupt =
            |what: &str| StorageError::Corrupt(format!("stored channel has invalid {what}"));
        let time = |raw: &str, what: &str| Timestamp::parse(raw).map_err(|_| corrupt(what));
        Ok(StoredChannel {
            channel: Channel {
                id: item.id,
                name: ChannelName::parse(&item.name).map_err(|_| corrupt("name"))?,
                kind: item.kind,
                url: WebhookUrl::from_stored(&item.url).map_err(|_| corrupt("url"))?,
                status: item.status,
                disabled_reason: item.disabled_reason,
                failing_since: item
                    .failing_since
                    .as_deref()
                    .map(|raw| time(raw, "failing_since"))
                    .transpose()?,
                created_at: time(&item.created_at, "created_at")?,
                updated_at: time(&item.updated_at, "updated_at")?,
            },
            secret_version: item.secret_version,
        })
    }
}

fn stored_from_item(item: Item) -> Result<StoredChannel, StorageError> {
    from_item::<ChannelItem>(item)?.try_into()
}

fn channel_from_attributes(attributes: Option<Item>) -> Result<Channel, StorageError> {
    stored_from_item(attributes.unwrap_or_default()).map(|stored| stored.channel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::url::UrlPolicy;

    fn channel() -> (TenantId, Channel) {
        let now = Timestamp::parse("2026-01-02T03:04:05.678Z").unwrap();
        let channel = Channel {
            id: ChannelId::generate(),
            name: ChannelName::parse("Main").unwrap(),
            kind: ChannelKind::Webhook,
            url: WebhookUrl::parse_shape("https://hooks.example.com/in", UrlPolicy::Aws).unwrap(),
            status: ChannelStatus::Active,
            disabled_reason: None,
            failing_since: None,
            created_at: now,
            updated_at: now,
        };
        (TenantId::parse("acme").unwrap(), channel)
    }

    #[test]
    fn a_channel_item_has_its_attribute_names_and_round_trips() {
        let (tenant, channel) = channel();
        let item = to_item(
            &ChannelItem::new(&channel, 3),
            &[Key::Channel {
                tenant: &tenant,
                id: channel.id,
            }],
        )
        .unwrap();
        let mut names: Vec<_> = item.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "created_at",
                "entity",
                "id",
                "kind",
                "name",
                "pk",
                "secret_version",
                "sk",
                "status",
                "updated_at",
                "url"
            ]
        );
        let string = |name: &str| item[name].as_s().unwrap().as_str();
        assert_eq!(string("pk"), "T#acme#CH");
        assert_eq!(string("sk"), channel.id.to_string());
        assert_eq!(string("entity"), "channel");
        assert_eq!(string("status"), "active");
        assert_eq!(string("kind"), "webhook");
        assert_eq!(item["secret_version"].as_n().unwrap(), "3");
        let stored = stored_from_item(item).unwrap();
        assert_eq!(stored.channel, channel);
        assert_eq!(stored.secret_version, 3);
    }

    #[test]
    fn a_disabled_channel_keeps_its_reason_and_failing_since() {
        let (tenant, mut channel) = channel();
        channel.status = ChannelStatus::Disabled;
        channel.disabled_reason = Some(DisabledReason::Failing);
        channel.failing_since = Some(Timestamp::parse("2026-01-01T00:00:00Z").unwrap());
        let item = to_item(
            &ChannelItem::new(&channel, 1),
            &[Key::Channel {
                tenant: &tenant,
                id: channel.id,
            }],
        )
        .unwrap();
        assert_eq!(item["disabled_reason"].as_s().unwrap(), "failing");
        assert_eq!(
            item["failing_since"].as_s().unwrap(),
            "2026-01-01T00:00:00.000Z"
        );
        assert_eq!(stored_from_item(item).unwrap().channel, channel);
    }

    #[test]
    fn a_malformed_stored_channel_is_corrupt() {
        let (tenant, channel) = channel();
        let mut item = to_item(
            &ChannelItem::new(&channel, 1),
            &[Key::Channel {
                tenant: &tenant,
                id: channel.id,
            }],
        )
        .unwrap();
        item.insert("created_at".into(), s("yesterday"));
        assert!(matches!(
            stored_from_item(item.clone()),
            Err(StorageError::Corrupt(_))
        ));
        item.remove("url");
        assert!(matches!(
            stored_from_item(item),
            Err(StorageError::Corrupt(_))
        ));
    }
}
