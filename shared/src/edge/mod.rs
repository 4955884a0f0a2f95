//! The policies every API function applies around its handler, in this order: browser origin
//! check (CSRF), per-tenant rate limit and quota, idempotency for creates. They live here, not in
//! handlers, so that a new function gets all of them by construction.

pub mod cors;
pub mod idempotency;
pub mod rate_limit;

use aws_config::SdkConfig;

use crate::config::{Config, ConfigError, Env, Environment};
use crate::domain::tenant::Permission;
use cors::CorsPolicy;
use idempotency::IdempotencyStore;
use rate_limit::{RateLimiter, Tiers};

/// What `http::serve` wraps around a handler.
#[derive(Debug, Clone)]
pub struct Edge {
    pub cors: CorsPolicy,
    pub rate_limiter: Option<RateLimiter>,
    pub idempotency: Option<IdempotencyStore>,
}

impl Edge {
    /// Unauthenticated routes (health, the catch-all): CORS and headers only.
    pub fn public(environment: Environment) -> Result<Self, ConfigError> {
        Ok(Self {
            cors: CorsPolicy::from_env(&Env::process(), environment)?,
            rate_limiter: None,
            idempotency: None,
        })
    }

    /// Tenant routes: everything public routes get, plus the rate limit and quota.
    pub fn tenant(config: &Config, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let env = Env::process();
        let client = crate::aws::dynamodb(sdk);
        Ok(Self {
            cors: CorsPolicy::from_env(&env, config.environment)?,
            rate_limiter: Some(RateLimiter::new(
                client,
                &config.table_name,
                Tiers::from_env(&env)?,
            )),
            idempotency: None,
        })
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
