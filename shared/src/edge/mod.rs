//! The policies every API function applies around its handler, in this order: browser origin
//! check (CSRF), per-tenant rate limit and quota, idempotency for creates. They live here, not in
//! handlers, so that a new function gets all of them by construction. `flow` runs them in order;
//! `replay` is the request side of idempotency, whose records `idempotency` keeps.

pub(crate) mod cors;
pub(crate) mod flow;
pub(crate) mod idempotency;
pub(crate) mod rate_limit;
mod replay;

use aws_config::SdkConfig;

use crate::config::Config;
use crate::domain::tenant::Permission;
use cors::CorsPolicy;
use idempotency::IdempotencyStore;
use rate_limit::RateLimiter;

/// What `http::serve` wraps around a handler. Built from the cold-start `Config`: nothing here
/// reads the environment per request.
#[derive(Debug, Clone)]
pub struct Edge {
    pub(crate) cors: CorsPolicy,
    pub(crate) rate_limiter: Option<RateLimiter>,
    pub(crate) idempotency: Option<IdempotencyStore>,
}

impl Edge {
    /// Unauthenticated routes (health, the catch-all): CORS and headers only.
    pub fn public_route(config: &Config) -> Self {
        Self {
            cors: config.cors.clone(),
            rate_limiter: None,
            idempotency: None,
        }
    }

    /// Tenant routes: everything public routes get, plus the rate limit and quota.
    pub fn tenant_route(config: &Config, sdk: &SdkConfig) -> Self {
        Self {
            rate_limiter: Some(RateLimiter::new(
                crate::aws::dynamodb(sdk),
                &config.table_name,
                config.rate_limit_tiers.clone(),
            )),
            ..Self::public_route(config)
        }
    }

    /// Creates additionally honour `Idempotency-Key`. A replay is answered here, without the
    /// handler, so the edge must know what the handler requires: `requires` is checked before
    /// any record is read.
    pub fn idempotent(mut self, config: &Config, sdk: &SdkConfig, requires: Permission) -> Self {
        self.idempotency = Some(IdempotencyStore::new(
            crate::aws::dynamodb(sdk),
            &config.table_name,
            requires,
        ));
        self
    }
}
