//! The cold-start sequence every tenant route repeats: logs first (so a config failure is
//! logged as JSON), then config, AWS clients' shared config, and the edge policies.

use aws_config::SdkConfig;

use crate::config::{Config, ConfigError};
use crate::edge::Edge;
use crate::{aws, telemetry};

pub struct TenantRoute {
    pub config: Config,
    pub sdk: SdkConfig,
    pub edge: Edge,
}

pub async fn tenant_route() -> Result<TenantRoute, ConfigError> {
    telemetry::init()?;
    let config = Config::from_env()?;
    let sdk = aws::sdk_config().await;
    let edge = Edge::tenant(&config, &sdk)?;
    Ok(TenantRoute { config, sdk, edge })
}
