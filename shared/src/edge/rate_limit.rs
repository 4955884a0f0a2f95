//! Per-tenant rate limit and daily quota, shared by every warm instance through DynamoDB without
//! a write per request.
//!
//! The limit is a fixed window `burst / rate` seconds long admitting `burst` requests (averaging
//! `rate` per second, allowing a burst of `burst`), and the quota a UTC day's count. Each counts
//! in a shared counter that instances lease blocks of tokens from with one `UpdateItem` each
//! (`store`); an instance then admits from its block in memory (`local`), with no write, until
//! it runs out. Blocks are sized to the demand this instance sees, plus half a standard deviation
//! of headroom, so a steadily loaded instance leases about once per 15 requests, most of those
//! leases topping up a window whose share ran out. Window counters of 32 consecutive windows share one item
//! (`plan`), so one lease can also cover the next windows.
//!
//! Accuracy: a lease reserves token numbers no other lease gets, and only numbers below the limit
//! are spent, so no window ever admits more than `burst` and no day more than the quota, however
//! many instances there are. What a window can lose is the tokens instances leased and did not
//! spend before it ended. Each lease is at most a quarter of the window's budget and half of what
//! was left; once an instance has seen the tenant run out of a window, it stops leasing ahead and
//! leases only what it will spend in the next eighth of a window, rounded down. The loss is then
//! about one token per instance holding tokens: within 10 % while the instances serving a tenant
//! number at most a tenth of its burst (the simulations in `local` measure it).

mod local;
mod plan;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

use crate::domain::tenant::TenantId;
use crate::error::ApiError;
use crate::repo::StorageError;
use local::{Budget, Step, TenantBucket};
use plan::Day;
use store::LeaseStore;

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

/// Tenants an instance keeps state for before it forgets the idle ones: a bound on memory that a
/// warm instance serving many tenants would otherwise grow without.
const MAX_TENANTS: usize = 4_096;
/// How long a tenant must have been idle on this instance to be forgotten.
const IDLE_FORGET_MS: i64 = 10 * 60 * 1_000;
/// A request needs at most a window lease and a quota lease; more steps would be a bug.
const MAX_STEPS: usize = 3;

/// Built once per process (`Edge::tenant_route` at cold start) and held by `http::serve` for
/// the process's life, so the leased tokens outlive each invocation. Clones share the tokens.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    store: LeaseStore,
    tiers: Tiers,
    buckets: Arc<Mutex<HashMap<TenantId, TenantBucket>>>,
}

impl RateLimiter {
    pub fn new(client: Client, table: &str, tiers: Tiers) -> Self {
        Self {
            store: LeaseStore::new(client, table),
            tiers,
            buckets: Arc::default(),
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
        let budget = Budget {
            limit: tier.burst.into(),
            window_secs: tier.window_secs(),
            daily_quota: tier.daily_quota,
        };
        let now_ms = now.timestamp_millis();
        let day = Day::at(now);
        self.with_bucket(tenant, now_ms, |b| b.record(&budget, now_ms));
        for _ in 0..MAX_STEPS {
            match self.with_bucket(tenant, now_ms, |b| b.step(&budget, now_ms, day)) {
                Step::Admit(status) => return Ok(Decision::Allowed(status)),
                Step::Refuse {
                    status,
                    retry_after,
                } => {
                    return Ok(Decision::Limited {
                        status,
                        retry_after,
                    })
                }
                Step::LeaseWindows(lease) => {
                    let granted = self.store.lease_windows(tenant, &lease).await?;
                    self.with_bucket(tenant, now_ms, |b| {
                        b.absorb_windows(&budget, &lease, &granted);
                    });
                }
                Step::LeaseQuota(lease) => {
                    let granted = self.store.lease_quota(tenant, &lease).await?;
                    self.with_bucket(tenant, now_ms, |b| {
                        b.absorb_quota(&budget, &lease, granted);
                    });
                }
            }
        }
        Err(StorageError::Internal("the rate limiter leased without deciding".into()).into())
    }

    /// Runs `f` on the tenant's bucket under the lock, never across an `.await`.
    fn with_bucket<T>(
        &self,
        tenant: &TenantId,
        now_ms: i64,
        f: impl FnOnce(&mut TenantBucket) -> T,
    ) -> T {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_TENANTS && !buckets.contains_key(tenant) {
            buckets.retain(|_, b| now_ms - b.last_seen_ms < IDLE_FORGET_MS);
        }
        f(buckets.entry(tenant.clone()).or_default())
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
}
