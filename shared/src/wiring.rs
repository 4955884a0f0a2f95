//! The cold-start sequence every function repeats: the whole configuration, read once, then JSON
//! logs, then (for tenant routes) the AWS clients' shared config and the edge policies.
//!
//! Every HTTP function's `main` runs on tokio's current-thread runtime: it serves one request at
//! a time, so worker threads only cost their start at init and a cross-thread wake-up on each
//! I/O completion. Measured side by side (BENCHMARKS.md, "Where the release stack's time
//! goes"): `events-get` reached its first poll 0.23 ms sooner. The manifest test holds them to
//! it. The batch consumers (streams, queues, the schedule) keep the multi-thread runtime: the
//! change was measured for HTTP functions only, and the flood failure first blamed on it came
//! from moto (BENCHMARKS.md, same section).

use aws_config::SdkConfig;

use crate::aws;
use crate::config::{Config, ConfigError};
use crate::edge::Edge;
use crate::telemetry::{self, LogLevel};

pub struct TenantRoute {
    pub config: Config,
    pub sdk: SdkConfig,
    pub edge: Edge,
}

/// Reads and checks the configuration and starts the JSON logs at its `LOG_LEVEL`. A bad
/// configuration is logged as JSON too, at the default level, before the error is returned and
/// the function stops.
pub fn start() -> Result<Config, ConfigError> {
    match Config::from_env() {
        Ok(config) => {
            telemetry::install(&config.log_level, &config.function_name);
            Ok(config)
        }
        Err(error) => {
            telemetry::install(&LogLevel::default(), "");
            tracing::error!(error = %error, "invalid configuration");
            Err(error)
        }
    }
}

pub async fn tenant_route() -> Result<TenantRoute, ConfigError> {
    let config = start()?;
    let sdk = aws::sdk_config().await;
    let edge = Edge::tenant_route(&config, &sdk);
    Ok(TenantRoute { config, sdk, edge })
}
