//! Configuration from the environment: every variable a function reads is named and read here,
//! once, at cold start, into one `Config`; the rest of the crate is handed the values.
//!
//! A bad value stops the function before it serves anything, with a message that names the
//! variable: a misconfigured deploy should fail its first invocation loudly, not misbehave quietly.
//! The names are the contract with Terraform (`terraform/lambda.tf`) and the local stack
//! (`infra/src/function_env.rs`), which set them.

use crate::edge::cors::CorsPolicy;
use crate::edge::rate_limit::{Tiers, DEFAULT_TIERS};
use crate::telemetry::LogLevel;

/// `aws` (the default) or `local`.
pub const OFAUTO_ENV: &str = "OFAUTO_ENV";
/// An `EnvFilter` directive; `info` when unset.
pub const LOG_LEVEL: &str = "LOG_LEVEL";
/// Set by Lambda itself; names the function in its metrics.
pub const AWS_LAMBDA_FUNCTION_NAME: &str = "AWS_LAMBDA_FUNCTION_NAME";
/// The one DynamoDB table.
pub const TABLE_NAME: &str = "TABLE_NAME";
/// Comma-separated origin allowlist, see `edge::cors`.
pub const CORS_ALLOWED_ORIGINS: &str = "CORS_ALLOWED_ORIGINS";
/// `name=rate/burst/daily_quota`, comma-separated, see `edge::rate_limit`.
pub const RATE_LIMIT_TIERS: &str = "RATE_LIMIT_TIERS";
/// The Secrets Manager secret holding the cursor signing key.
pub const CURSOR_SECRET_ID: &str = "CURSOR_SECRET_ID";
/// The function's own SQS dead-letter queue; Terraform sets it empty for functions without one.
pub const DEAD_LETTER_QUEUE_URL: &str = "DEAD_LETTER_QUEUE_URL";
/// The custom EventBridge bus that domain events go to.
pub const EVENT_BUS_NAME: &str = "EVENT_BUS_NAME";
/// The SQS queue the dispatcher (and the fast path) sends due deliveries to.
pub const DELIVERY_QUEUE_URL: &str = "DELIVERY_QUEUE_URL";
/// The Secrets Manager name prefix under which each channel's signing secret lives
/// (`<prefix>/<tenant>/<channel id>`); IAM grants the path, never `*`.
pub const CHANNEL_SECRET_PREFIX: &str = "CHANNEL_SECRET_PREFIX";
/// The KMS key new channel secrets are encrypted with; unset, Secrets Manager's own key is used
/// (the local stack).
pub const CHANNEL_SECRET_KMS_KEY_ID: &str = "CHANNEL_SECRET_KMS_KEY_ID";
/// Seconds a claimed delivery stays leased before another dispatcher may claim it again.
pub const DELIVERY_LEASE_SECONDS: &str = "OFAUTO_DELIVERY_LEASE_SECONDS";
/// Hours of nothing but failed deliveries after which a channel is disabled (`failing`).
pub const CHANNEL_FAILING_DISABLE_HOURS: &str = "OFAUTO_CHANNEL_FAILING_DISABLE_HOURS";

/// A claimed delivery must outlive the deliverer's longest attempt (10 s) many times over, and
/// SQS cannot delay a message longer than 15 minutes.
const DEFAULT_DELIVERY_LEASE_SECONDS: &str = "120";
const DELIVERY_LEASE_RANGE: std::ops::RangeInclusive<u64> = 15..=900;
/// API.md: 5 days.
const DEFAULT_CHANNEL_FAILING_DISABLE_HOURS: &str = "120";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Where the function runs. It only decides the default CORS origins: a local stack lets the
/// console on loopback call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Local,
    Aws,
}

impl Environment {
    pub fn load<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        match env.optional(OFAUTO_ENV).as_deref() {
            None | Some("aws") => Ok(Environment::Aws),
            Some("local") => Ok(Environment::Local),
            Some(other) => Err(ConfigError::Invalid {
                name: OFAUTO_ENV,
                reason: format!("must be `aws` or `local`, not `{other}`"),
            }),
        }
    }

    /// The CORS allowlist when `CORS_ALLOWED_ORIGINS` is unset: any port of localhost or
    /// 127.0.0.1 on the local stack (the console is served from the gateway's 127.0.0.1 origin),
    /// and no browser access at all on AWS.
    fn default_origins(self) -> &'static str {
        match self {
            Environment::Local => "http://localhost:*,http://127.0.0.1:*",
            Environment::Aws => "",
        }
    }
}

/// Everything a function is configured with. Settings only some functions need are `Option`s,
/// and the function that needs one asks for it at cold start (`require_*`), which fails naming
/// the variable.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) log_level: LogLevel,
    /// Empty outside Lambda (unit tests, tools).
    pub(crate) function_name: String,
    pub table_name: String,
    pub(crate) cors: CorsPolicy,
    pub(crate) rate_limit_tiers: Tiers,
    pub(crate) cursor_secret_id: Option<String>,
    pub(crate) dead_letter_queue_url: Option<String>,
    pub(crate) environment: Environment,
    pub(crate) event_bus_name: Option<String>,
    pub(crate) delivery_queue_url: Option<String>,
    pub(crate) channel_secret_prefix: Option<String>,
    pub(crate) channel_secret_kms_key_id: Option<String>,
    pub(crate) delivery_lease: std::time::Duration,
    pub(crate) channel_failing_after: std::time::Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(&Env::process())
    }

    pub fn load<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let environment = Environment::load(env)?;
        let dead_letter_queue_url = queue_url(env, DEAD_LETTER_QUEUE_URL)?;
        Ok(Self {
            log_level: log_level(env)?,
            function_name: function_name(env),
            table_name: table_name(env)?,
            cors: cors_policy(env, environment)?,
            rate_limit_tiers: setting(env, RATE_LIMIT_TIERS, DEFAULT_TIERS, Tiers::parse)?,
            cursor_secret_id: env.optional(CURSOR_SECRET_ID),
            dead_letter_queue_url,
            environment,
            event_bus_name: env.optional(EVENT_BUS_NAME),
            delivery_queue_url: queue_url(env, DELIVERY_QUEUE_URL)?,
            channel_secret_prefix: env.optional(CHANNEL_SECRET_PREFIX),
            channel_secret_kms_key_id: env.optional(CHANNEL_SECRET_KMS_KEY_ID),
            delivery_lease: setting(
                env,
                DELIVERY_LEASE_SECONDS,
                DEFAULT_DELIVERY_LEASE_SECONDS,
                |raw| match raw.parse::<u64>() {
                    Ok(s) if DELIVERY_LEASE_RANGE.contains(&s) => {
                        Ok(std::time::Duration::from_secs(s))
                    }
                    _ => Err(format!(
                        "must be whole seconds in {}..={}",
                        DELIVERY_LEASE_RANGE.start(),
                        DELIVERY_LEASE_RANGE.end()
                    )),
                },
            )?,
            channel_failing_after: setting(
                env,
                CHANNEL_FAILING_DISABLE_HOURS,
                DEFAULT_CHANNEL_FAILING_DISABLE_HOURS,
                |raw| match raw.parse::<f64>() {
                    Ok(h) if h.is_finite() && h > 0.0 && h <= 24.0 * 366.0 => {
                        Ok(std::time::Duration::from_secs_f64(h * 3600.0))
                    }
                    _ => Err("must be a positive number of hours, at most a year".into()),
                },
            )?,
        })
    }

    /// Plain-http webhook URLs to loopback are allowed only on the local stack.
    pub fn is_local(&self) -> bool {
        self.environment == Environment::Local
    }

    /// For the functions that publish domain events.
    pub fn require_event_bus_name(&self) -> Result<&str, ConfigError> {
        required(&self.event_bus_name, EVENT_BUS_NAME)
    }

    /// For the functions that hand due deliveries to the deliverer.
    pub fn require_delivery_queue_url(&self) -> Result<&str, ConfigError> {
        required(&self.delivery_queue_url, DELIVERY_QUEUE_URL)
    }

    /// For the functions that read or write channel signing secrets.
    pub fn require_channel_secret_prefix(&self) -> Result<&str, ConfigError> {
        required(&self.channel_secret_prefix, CHANNEL_SECRET_PREFIX)
    }

    pub fn channel_secret_kms_key_id(&self) -> Option<&str> {
        self.channel_secret_kms_key_id.as_deref()
    }

    pub fn delivery_lease(&self) -> std::time::Duration {
        self.delivery_lease
    }

    pub fn channel_failing_after(&self) -> std::time::Duration {
        self.channel_failing_after
    }

    /// For the functions that sign cursors.
    pub fn require_cursor_secret_id(&self) -> Result<&str, ConfigError> {
        required(&self.cursor_secret_id, CURSOR_SECRET_ID)
    }

    /// For the functions that park work they can never do.
    pub fn require_dead_letter_queue_url(&self) -> Result<&str, ConfigError> {
        required(&self.dead_letter_queue_url, DEAD_LETTER_QUEUE_URL)
    }
}

/// An optional SQS queue URL: when set, it must look like one.
fn queue_url<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    let url = env.optional(name);
    if let Some(url) = &url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                name,
                reason: "must be an SQS queue URL".into(),
            });
        }
    }
    Ok(url)
}

fn required<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, ConfigError> {
    value.as_deref().ok_or(ConfigError::Missing(name))
}

fn table_name<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<String, ConfigError> {
    let table_name = env.required(TABLE_NAME)?;
    let valid_table = (3..=255).contains(&table_name.len())
        && table_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !valid_table {
        return Err(ConfigError::Invalid {
            name: TABLE_NAME,
            reason: "must be 3-255 characters of [A-Za-z0-9_.-]".into(),
        });
    }
    Ok(table_name)
}

/// `LOG_LEVEL` alone, for a function that starts its logs without a whole `Config`.
pub fn log_level<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<LogLevel, ConfigError> {
    setting(env, LOG_LEVEL, "info", LogLevel::parse)
}

/// `AWS_LAMBDA_FUNCTION_NAME` alone, for the same.
pub fn function_name<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> String {
    env.optional(AWS_LAMBDA_FUNCTION_NAME).unwrap_or_default()
}

/// `CORS_ALLOWED_ORIGINS` alone, for a function that builds its edge without a whole `Config`.
pub fn cors_policy<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    environment: Environment,
) -> Result<CorsPolicy, ConfigError> {
    setting(
        env,
        CORS_ALLOWED_ORIGINS,
        environment.default_origins(),
        CorsPolicy::parse,
    )
}

/// An optional variable parsed by its type, `default` standing in when it is unset or empty.
fn setting<F, T>(
    env: &Env<F>,
    name: &'static str,
    default: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError>
where
    F: Fn(&str) -> Option<String>,
{
    let raw = env.optional(name);
    parse(raw.as_deref().unwrap_or(default)).map_err(|reason| ConfigError::Invalid { name, reason })
}

/// Reads variables through a lookup function so tests need not touch the process environment.
pub struct Env<F: Fn(&str) -> Option<String>>(pub F);

impl Env<fn(&str) -> Option<String>> {
    pub fn process() -> Self {
        Env(|name| std::env::var(name).ok())
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        match (self.0)(name) {
            Some(value) if !value.trim().is_empty() => Ok(value),
            _ => Err(ConfigError::Missing(name)),
        }
    }

    pub fn optional(&self, name: &'static str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(&Env(move |k: &str| map.get(k).cloned()))
    }

    #[test]
    fn names_the_missing_or_invalid_variable() {
        assert_eq!(load(&[]).unwrap_err(), ConfigError::Missing("TABLE_NAME"));
        let bad_table = load(&[("TABLE_NAME", "a b")]).unwrap_err();
        assert!(bad_table.to_string().contains("TABLE_NAME"));
        for (name, value) in [
            ("OFAUTO_ENV", "prod"),
            ("LOG_LEVEL", "info,=[["),
            ("CORS_ALLOWED_ORIGINS", "*.example.com"),
            ("RATE_LIMIT_TIERS", "bulk=1/1/1"),
            ("DEAD_LETTER_QUEUE_URL", "queue"),
            ("DELIVERY_QUEUE_URL", "queue"),
            ("OFAUTO_DELIVERY_LEASE_SECONDS", "5"),
            ("OFAUTO_DELIVERY_LEASE_SECONDS", "901"),
            ("OFAUTO_CHANNEL_FAILING_DISABLE_HOURS", "0"),
            ("OFAUTO_CHANNEL_FAILING_DISABLE_HOURS", "NaN"),
        ] {
            let err = load(&[("TABLE_NAME", "ofauto"), (name, value)]).unwrap_err();
            assert!(
                matches!(err, ConfigError::Invalid { name: named, .. } if named == name),
                "{name}: {err}"
            );
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn defaults_to_aws_without_browser_access() {
        let config = load(&[("TABLE_NAME", "ofauto")]).unwrap();
        assert!(!config.cors.allows("http://localhost:5173"));
        assert_eq!(
            config.rate_limit_tiers,
            Tiers::parse(DEFAULT_TIERS).unwrap()
        );
        assert_eq!(config.log_level, LogLevel::parse("info").unwrap());
        assert_eq!(config.function_name, "");
        assert!(!config.is_local());
        assert_eq!(config.delivery_lease(), std::time::Duration::from_secs(120));
        assert_eq!(
            config.channel_failing_after(),
            std::time::Duration::from_secs(5 * 24 * 3600)
        );
    }

    #[test]
    fn local_defaults_allow_localhost_and_explicit_origins_replace_them() {
        let local = load(&[("TABLE_NAME", "ofauto"), ("OFAUTO_ENV", "local")]).unwrap();
        assert!(local.cors.allows("http://localhost:5173"));
        assert!(local.cors.allows("http://127.0.0.1:3000"));
        assert!(!local.cors.allows("http://127.0.0.2:3000"));
        let explicit = load(&[
            ("TABLE_NAME", "ofauto"),
            ("OFAUTO_ENV", "local"),
            ("CORS_ALLOWED_ORIGINS", "https://app.example.com"),
        ])
        .unwrap();
        assert!(explicit.cors.allows("https://app.example.com"));
        assert!(!explicit.cors.allows("http://localhost:5173"));
    }

    #[test]
    fn settings_some_functions_need_are_required_by_name_when_asked_for() {
        let without = load(&[("TABLE_NAME", "ofauto"), ("DEAD_LETTER_QUEUE_URL", "")]).unwrap();
        assert_eq!(
            without.require_cursor_secret_id().unwrap_err(),
            ConfigError::Missing("CURSOR_SECRET_ID")
        );
        assert_eq!(
            without.require_dead_letter_queue_url().unwrap_err(),
            ConfigError::Missing("DEAD_LETTER_QUEUE_URL")
        );
        let with = load(&[
            ("TABLE_NAME", "ofauto"),
            ("CURSOR_SECRET_ID", "ofauto/cursor"),
            ("DEAD_LETTER_QUEUE_URL", "http://127.0.0.1:5000/123/dlq"),
            ("AWS_LAMBDA_FUNCTION_NAME", "events-list"),
        ])
        .unwrap();
        assert_eq!(with.require_cursor_secret_id(), Ok("ofauto/cursor"));
        assert_eq!(
            with.require_dead_letter_queue_url(),
            Ok("http://127.0.0.1:5000/123/dlq")
        );
        assert_eq!(with.function_name, "events-list");
    }
}
