//! Configuration from the environment, checked once at cold start.
//!
//! A bad value stops the function before it serves anything, with a message that names the
//! variable: a misconfigured deploy should fail its first invocation loudly, not misbehave quietly.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Where the function runs. Local relaxes nothing security-related in this issue; later
/// capabilities (loopback webhooks) key off it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Local,
    Aws,
}

impl Environment {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(&Env::process())
    }

    pub fn load<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        match env.optional("OFAUTO_ENV").as_deref() {
            None | Some("aws") => Ok(Environment::Aws),
            Some("local") => Ok(Environment::Local),
            Some(other) => Err(ConfigError::Invalid {
                name: "OFAUTO_ENV",
                reason: format!("must be `aws` or `local`, not `{other}`"),
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub environment: Environment,
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

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(&Env::process())
    }

    pub fn load<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let table_name = env.required("TABLE_NAME")?;
        let valid_table = (3..=255).contains(&table_name.len())
            && table_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid_table {
            return Err(ConfigError::Invalid {
                name: "TABLE_NAME",
                reason: "must be 3-255 characters of [A-Za-z0-9_.-]".into(),
            });
        }
        let environment = Environment::load(env)?;
        Ok(Self {
            table_name,
            environment,
        })
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
        let bad_env = load(&[("TABLE_NAME", "ofauto"), ("OFAUTO_ENV", "prod")]).unwrap_err();
        assert!(bad_env.to_string().contains("OFAUTO_ENV"));
    }

    #[test]
    fn defaults_to_aws() {
        let config = load(&[("TABLE_NAME", "ofauto")]).unwrap();
        assert_eq!(config.environment, Environment::Aws);
    }
}
