//! Per-tenant rate limit and daily quota, kept in DynamoDB.
//!
//! Each request makes conditional `ADD`s on two counters — the current window's and today's
//! quota. DynamoDB evaluates the condition atomically with the increment, so concurrent Lambdas
//! never race a read-modify-write, and a full counter is left untouched. The window is `burst / rate` seconds long and admits `burst` requests,
//! which averages to `rate` per second while allowing a burst of `burst`.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::ReturnValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::tenant::TenantId;
use crate::error::ApiError;
use crate::keys::{self, Key};
use crate::repo::attributes::{n, s};
use crate::repo::StorageError;

pub const DEFAULT_TIER: &str = "standard";
/// API.md: the local default is 50 requests/s with a burst of 100.
pub const DEFAULT_TIERS: &str = "standard=50/100/100000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub rate_per_sec: u32,
    pub burst: u32,
    pub daily_quota: u64,
}

impl Tier {
    fn window_secs(&self) -> i64 {
        i64::from(self.burst.div_ceil(self.rate_per_sec).max(1))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tiers(BTreeMap<String, Tier>);

impl Tiers {
    /// `RATE_LIMIT_TIERS` (read by `config`, `DEFAULT_TIERS` when unset):
    /// `name=rate/burst/daily_quota`, comma-separated; `standard` is required because it applies
    /// to every tenant whose token names no tier.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut tiers = BTreeMap::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = || format!("`{entry}` is not name=rate/burst/daily_quota");
            let (name, spec) = entry.split_once('=').ok_or_else(bad)?;
            let parts: Vec<&str> = spec.split('/').collect();
            let [rate, burst, quota] = parts.as_slice() else {
                return Err(bad());
            };
            let tier = Tier {
                rate_per_sec: rate.parse().map_err(|_| bad())?,
                burst: burst.parse().map_err(|_| bad())?,
                daily_quota: quota.parse().map_err(|_| bad())?,
            };
            if tier.rate_per_sec == 0 || tier.burst < tier.rate_per_sec || tier.daily_quota == 0 {
                return Err(format!(
                    "`{entry}`: need rate > 0, burst >= rate, quota > 0"
                ));
            }
            tiers.insert(name.trim().to_owned(), tier);
        }
        if !tiers.contains_key(DEFAULT_TIER) {
            return Err(format!("the `{DEFAULT_TIER}` tier must be defined"));
        }
        Ok(Self(tiers))
    }

    /// Unknown tier names fall back to the default rather than to "unlimited".
    pub fn get(&self, name: Option<&str>) -> &Tier {
        name.and_then(|n| self.0.get(n))
            .or_else(|| self.0.get(DEFAULT_TIER))
            .expect("parse guarantees the default tier")
    }
}

/// The `RateLimit-*` header values for one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed(RateStatus),
    Limited {
        status: RateStatus,
        retry_after: u64,
    },
}

#[derive(Debug, Clone)]
pub struct RateLimiter {
    client: Client,
    table: String,
    tiers: Tiers,
}

impl RateLimiter {
    pub fn new(client: Client, table: &str, tiers: Tiers) -> Self {
        Self {
            client,
            table: table.to_owned(),
            tiers,
        }
    }

    /// The edge's decision, so its error is already the HTTP one: storage failures become 503 or
    /// 500 through `From<StorageError> for ApiError`.
    pub async fn check(
        &self,
        tenant: &TenantId,
        tier: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Decision, ApiError> {
        let tier = self.tiers.get(tier);
        let plan = Plan::at(tier, now);
        let limited = |retry_after| Decision::Limited {
            status: RateStatus {
                limit: tier.burst,
                remaining: 0,
                reset_secs: plan.window_reset_secs,
            },
            retry_after,
        };
        // The window first: a request it rejects never reaches, and so never spends, the quota.
        let Some(hits) = self
            .increment(
                Key::RateWindow {
                    tenant,
                    window_start: plan.window_start,
                },
                tier.burst.into(),
                plan.window_expires,
            )
            .await?
        else {
            return Ok(limited(plan.window_reset_secs));
        };
        if self
            .increment(
                Key::RateQuota {
                    tenant,
                    day: plan.day,
                },
                tier.daily_quota,
                plan.quota_expires,
            )
            .await?
            .is_none()
        {
            return Ok(limited(plan.quota_reset_secs));
        }
        Ok(Decision::Allowed(RateStatus {
            limit: tier.burst,
            remaining: tier
                .burst
                .saturating_sub(u32::try_from(hits).unwrap_or(u32::MAX)),
            reset_secs: plan.window_reset_secs,
        }))
    }

    /// Adds one hit unless the counter is at `limit`; returns the new count, or `None` when full.
    async fn increment(
        &self,
        key: Key<'_>,
        limit: u64,
        expires_at: i64,
    ) -> Result<Option<u64>, StorageError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.to_item()))
            .update_expression("ADD hits :one SET #ttl = :ttl, #entity = :entity")
            .condition_expression("attribute_not_exists(hits) OR hits < :limit")
            .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
            .expression_attribute_names("#entity", keys::ENTITY)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":ttl", n(expires_at))
            .expression_attribute_values(":entity", s("rate-limit"))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(
                output
                    .attributes
                    .and_then(|a| a.get("hits").and_then(|v| v.as_n().ok()).cloned())
                    .and_then(|hits| hits.parse().ok())
                    .unwrap_or(1),
            )),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(None)
            }
            Err(err) => Err(StorageError::from_sdk(err)),
        }
    }
}

/// The counters a request at `now` touches, and when each resets.
#[derive(Debug, PartialEq, Eq)]
struct Plan {
    window_start: i64,
    window_expires: i64,
    window_reset_secs: u64,
    day: NaiveDate,
    quota_expires: i64,
    quota_reset_secs: u64,
}

impl Plan {
    fn at(tier: &Tier, now: DateTime<Utc>) -> Self {
        let secs = now.timestamp();
        let length = tier.window_secs();
        let window_start = secs - secs.rem_euclid(length);
        let window_end = window_start + length;
        let day_start = secs - secs.rem_euclid(86_400);
        let day_end = day_start + 86_400;
        Self {
            window_start,
            // Expired items linger until TTL sweeps them; an hour of slack is plenty.
            window_expires: window_end + 3600,
            window_reset_secs: u64::try_from(window_end - secs).unwrap_or(1).max(1),
            day: now.date_naive(),
            quota_expires: day_end + 86_400,
            quota_reset_secs: u64::try_from(day_end - secs).unwrap_or(1).max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tiers_and_requires_the_default() {
        let tiers = Tiers::parse("standard=50/100/100000, bulk=1000/2000/5000000").unwrap();
        assert_eq!(tiers.get(Some("bulk")).burst, 2000);
        assert_eq!(
            tiers.get(Some("gold")).burst,
            100,
            "unknown tiers get the default"
        );
        assert_eq!(tiers.get(None).rate_per_sec, 50);
        assert!(Tiers::parse("bulk=1/1/1").is_err());
        assert!(
            Tiers::parse("standard=50/10/100").is_err(),
            "burst below rate"
        );
        assert!(Tiers::parse("standard=50/100").is_err());
        assert!(Tiers::parse("standard=x/100/1").is_err());
    }

    #[test]
    fn window_is_burst_over_rate_and_aligned() {
        let tier = Tier {
            rate_per_sec: 50,
            burst: 100,
            daily_quota: 10,
        };
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:03Z")
            .unwrap()
            .with_timezone(&Utc);
        let plan = Plan::at(&tier, now);
        assert_eq!(plan.window_start, now.timestamp() - 1);
        assert_eq!(plan.window_reset_secs, 1);
        assert_eq!(plan.day, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let tenant = TenantId::parse("t1").unwrap();
        let window = Key::RateWindow {
            tenant: &tenant,
            window_start: plan.window_start,
        };
        assert_eq!(window.sort(), format!("W#{}", now.timestamp() - 1));
        let quota = Key::RateQuota {
            tenant: &tenant,
            day: plan.day,
        };
        assert_eq!(quota.sort(), "Q#2026-01-01");
        assert_eq!(plan.quota_reset_secs, 86_397);
    }
}
