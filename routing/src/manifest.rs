//! The function manifest: the one list of Lambdas that Terraform, the local stack, the
//! `not-found` function and the tests all read.
//!
//! Unknown fields are ignored on purpose: later work adds fields for Terraform that the local stack
//! has no use for, and an unknown trigger kind is skipped with a warning rather than refusing to
//! start.

use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub table: TableDef,
    /// SQS queues of the service (each with its dead-letter queue), by their short name.
    #[serde(default)]
    pub queues: Vec<QueueDef>,
    pub functions: Vec<FunctionDef>,
}

/// One SQS queue. Terraform and the local stack both name it `<table>-<name>` and give it a
/// dead-letter queue `<table>-<name>-dlq` that takes a message after `max_receive_count` receives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QueueDef {
    pub name: String,
    /// How long a received message stays hidden; it must outlast its consumer's timeout, or a
    /// slow batch is redelivered while still running.
    pub visibility_timeout_s: u32,
    /// Receives before SQS moves a message to the dead-letter queue.
    pub max_receive_count: u32,
    #[serde(default = "default_retention")]
    pub message_retention_s: u32,
}

/// SQS's own default: four days.
fn default_retention() -> u32 {
    345_600
}

#[derive(Debug, Clone, Deserialize)]
pub struct TableDef {
    pub hash_key: String,
    #[serde(default)]
    pub range_key: Option<String>,
    /// Attribute name → scalar type (`S`, `N` or `B`).
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<IndexDef>,
    #[serde(default)]
    pub stream_view_type: Option<String>,
    #[serde(default)]
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IndexDef {
    pub name: String,
    pub hash_key: String,
    #[serde(default)]
    pub range_key: Option<String>,
    #[serde(default = "projection_all")]
    pub projection: String,
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
}

fn projection_all() -> String {
    "ALL".to_string()
}

#[derive(Debug, Clone, Deserialize)]
pub struct FunctionDef {
    pub name: String,
    /// Absent for a function that only other functions invoke.
    #[serde(default)]
    pub trigger: Trigger,
    pub memory_mb: u32,
    pub timeout_s: u64,
    /// Caps the local process pool below the stack-wide default, e.g. for a singleton consumer.
    #[serde(default)]
    pub local_max_concurrency: Option<usize>,
}

impl FunctionDef {
    /// API Gateway's route key for an http trigger: `GET /v1/events/{id}`, or `$default`.
    /// `None` for every other trigger.
    pub fn route_key(&self) -> Option<String> {
        match &self.trigger {
            Trigger::Http { path, .. } if path == DEFAULT_ROUTE => Some(DEFAULT_ROUTE.to_string()),
            Trigger::Http { method, path, .. } => {
                Some(format!("{} {path}", method.to_ascii_uppercase()))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    Http {
        method: String,
        path: String,
        #[serde(default)]
        auth: Auth,
    },
    DynamodbStream {
        #[serde(default = "default_batch_size")]
        batch_size: usize,
    },
    Schedule {
        /// Only logged: locally every schedule fires on the stack's tick.
        #[serde(default)]
        expression: String,
    },
    /// An event source mapping on one of the manifest's `queues`.
    Sqs {
        /// The queue's short `name` in `queues`.
        queue: String,
        /// At most this many messages per invocation (Lambda's default for SQS is 10).
        #[serde(default = "default_sqs_batch_size")]
        batch_size: usize,
        /// How long to gather a batch before invoking with fewer than `batch_size`.
        #[serde(default)]
        maximum_batching_window_s: u32,
    },
    /// A trigger kind this version of the local stack does not emulate.
    #[serde(other)]
    #[default]
    Unsupported,
}

fn default_batch_size() -> usize {
    100
}

fn default_sqs_batch_size() -> usize {
    10
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    #[default]
    None,
    Jwt,
}

/// The catch-all route's path in the manifest, as in API Gateway.
pub const DEFAULT_ROUTE: &str = "$default";

/// Binary, queue and AWS resource names alike: letters, digits, `-` and `_`.
fn is_resource_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[derive(Debug)]
pub enum ManifestError {
    Read {
        path: String,
        source: std::io::Error,
    },
    Parse {
        path: String,
        source: serde_json::Error,
    },
    Invalid {
        path: String,
        message: String,
    },
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Read { path, source } => {
                write!(f, "cannot read manifest {path}: {source}")
            }
            ManifestError::Parse { path, source } => {
                write!(f, "manifest {path} is not valid: {source}")
            }
            ManifestError::Invalid { path, message } => write!(f, "manifest {path}: {message}"),
        }
    }
}

impl std::error::Error for ManifestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ManifestError::Read { source, .. } => Some(source),
            ManifestError::Parse { source, .. } => Some(source),
            ManifestError::Invalid { .. } => None,
        }
    }
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown)
    }

    /// Parses and validates manifest text; `shown` names it in errors (e.g. a compiled-in copy).
    pub fn parse(text: &str, shown: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest =
            serde_json::from_str(text).map_err(|source| ManifestError::Parse {
                path: shown.to_string(),
                source,
            })?;
        manifest
            .validate()
            .map_err(|message| ManifestError::Invalid {
                path: shown.to_string(),
                message,
            })?;
        Ok(manifest)
    }

    /// Catches what would otherwise surface as a confusing failure deep inside the stack.
    pub fn validate(&self) -> Result<(), String> {
        let mut queues = HashSet::new();
        for q in &self.queues {
            if !is_resource_name(&q.name) {
                return Err(format!("queue name `{}` is not a resource name", q.name));
            }
            if !queues.insert(q.name.as_str()) {
                return Err(format!("queue `{}` is listed twice", q.name));
            }
            if q.visibility_timeout_s == 0 || q.max_receive_count == 0 {
                return Err(format!(
                    "queue `{}` needs a positive visibility_timeout_s and max_receive_count",
                    q.name
                ));
            }
        }
        let mut names = HashSet::new();
        let mut routes = HashSet::new();
        for f in &self.functions {
            if !is_resource_name(&f.name) {
                return Err(format!("function name `{}` is not a binary name", f.name));
            }
            if !names.insert(f.name.as_str()) {
                return Err(format!("function `{}` is listed twice", f.name));
            }
            if f.timeout_s == 0 {
                return Err(format!("function `{}` has timeout_s 0", f.name));
            }
            if let Trigger::Http { path, .. } = &f.trigger {
                if path != DEFAULT_ROUTE && !path.starts_with('/') {
                    return Err(format!(
                        "function `{}`: path `{path}` must start with /",
                        f.name
                    ));
                }
                let key = f.route_key().unwrap_or_default();
                if !routes.insert(key.clone()) {
                    return Err(format!("route `{key}` is claimed twice"));
                }
            }
            if let Trigger::Sqs {
                queue, batch_size, ..
            } = &f.trigger
            {
                if !queues.contains(queue.as_str()) {
                    return Err(format!(
                        "function `{}`: queue `{queue}` is not in `queues`",
                        f.name
                    ));
                }
                // Lambda's bounds for a standard queue.
                if !(1..=10_000).contains(batch_size) {
                    return Err(format!(
                        "function `{}`: batch_size {batch_size} is not within 1..=10000",
                        f.name
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn queue(&self, name: &str) -> Option<&QueueDef> {
        self.queues.iter().find(|q| q.name == name)
    }

    pub fn function(&self, name: &str) -> Option<&FunctionDef> {
        self.functions.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "service": "ofauto",
      "future_field": {"anything": true},
      "table": {
        "hash_key": "pk", "range_key": "sk",
        "attributes": {"pk": "S", "sk": "S"},
        "global_secondary_indexes": [{"name": "gsi1", "hash_key": "pk", "range_key": "sk", "projection": "ALL"}],
        "stream_view_type": "NEW_AND_OLD_IMAGES",
        "ttl_attribute": "expires_at"
      },
      "queues": [{"name": "x", "description": "ignored", "visibility_timeout_s": 60, "max_receive_count": 3}],
      "functions": [
        {"name": "health", "trigger": {"kind": "http", "method": "GET", "path": "/health", "auth": "none"},
         "memory_mb": 128, "timeout_s": 5, "permissions": []},
        {"name": "agg", "trigger": {"kind": "dynamodb_stream", "batch_size": 10, "starting_position": "TRIM_HORIZON"},
         "memory_mb": 256, "timeout_s": 30, "local_max_concurrency": 1},
        {"name": "tick", "trigger": {"kind": "schedule", "expression": "rate(1 minute)"},
         "memory_mb": 256, "timeout_s": 30},
        {"name": "queue", "trigger": {"kind": "sqs", "queue": "x"}, "memory_mb": 128, "timeout_s": 5},
        {"name": "future", "trigger": {"kind": "kinesis", "stream": "y"}, "memory_mb": 128, "timeout_s": 5},
        {"name": "internal", "memory_mb": 128, "timeout_s": 5}
      ]
    }"#;

    #[test]
    fn parses_every_trigger_kind_and_ignores_unknown_fields() {
        let m: Manifest = serde_json::from_str(SAMPLE).unwrap();
        m.validate().unwrap();
        assert_eq!(
            m.functions[0].trigger,
            Trigger::Http {
                method: "GET".into(),
                path: "/health".into(),
                auth: Auth::None
            }
        );
        assert_eq!(
            m.functions[1].trigger,
            Trigger::DynamodbStream { batch_size: 10 }
        );
        assert_eq!(m.functions[1].local_max_concurrency, Some(1));
        assert_eq!(
            m.functions[2].trigger,
            Trigger::Schedule {
                expression: "rate(1 minute)".into()
            }
        );
        assert_eq!(
            m.functions[3].trigger,
            Trigger::Sqs {
                queue: "x".into(),
                batch_size: 10,
                maximum_batching_window_s: 0
            }
        );
        assert_eq!(m.functions[4].trigger, Trigger::Unsupported);
        assert_eq!(m.functions[5].trigger, Trigger::Unsupported);
        assert_eq!(m.table.global_secondary_indexes[0].name, "gsi1");
    }

    #[test]
    fn route_keys_are_api_gateways() {
        let mut m: Manifest = serde_json::from_str(SAMPLE).unwrap();
        assert_eq!(m.functions[0].route_key().as_deref(), Some("GET /health"));
        assert_eq!(m.functions[1].route_key(), None);
        assert_eq!(m.functions[3].route_key(), None);
        assert_eq!(m.functions[5].route_key(), None);
        m.functions[0].trigger = Trigger::Http {
            method: "post".into(),
            path: "/v1/{id}".into(),
            auth: Auth::Jwt,
        };
        assert_eq!(m.functions[0].route_key().as_deref(), Some("POST /v1/{id}"));
        m.functions[0].trigger = Trigger::Http {
            method: "ANY".into(),
            path: DEFAULT_ROUTE.into(),
            auth: Auth::None,
        };
        assert_eq!(m.functions[0].route_key().as_deref(), Some("$default"));
    }

    #[test]
    fn errors_name_the_manifest() {
        let err = Manifest::parse("{", "compiled-in").unwrap_err().to_string();
        assert!(
            err.starts_with("manifest compiled-in is not valid: "),
            "{err}"
        );
        let mut m: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
        m["functions"][0]["timeout_s"] = 0.into();
        let err = Manifest::parse(&m.to_string(), "x.json")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "manifest x.json: function `health` has timeout_s 0");
        let err = Manifest::load(Path::new("/nonexistent/manifest.json")).unwrap_err();
        assert!(matches!(err, ManifestError::Read { .. }), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn the_repository_manifest_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions/manifest.json");
        let m = Manifest::load(&path).unwrap();
        assert!(m.function("health").is_some());
        let delivery = m.queue("delivery").expect("the delivery queue");
        // The deliverer's timeout must fit in the queue's visibility timeout.
        let deliverer = m.function("deliverer").expect("the deliverer");
        assert!(matches!(&deliverer.trigger, Trigger::Sqs { queue, .. } if queue == "delivery"));
        assert!(u64::from(delivery.visibility_timeout_s) >= deliverer.timeout_s);
    }

    #[test]
    fn reads_queues_with_defaults() {
        let m: Manifest = serde_json::from_str(SAMPLE).unwrap();
        assert_eq!(
            m.queue("x"),
            Some(&QueueDef {
                name: "x".into(),
                visibility_timeout_s: 60,
                max_receive_count: 3,
                message_retention_s: 345_600,
            })
        );
        assert!(m.queue("y").is_none());
        let sqs: Trigger = serde_json::from_str(
            r#"{"kind":"sqs","queue":"x","batch_size":25,"maximum_batching_window_s":2}"#,
        )
        .unwrap();
        assert_eq!(
            sqs,
            Trigger::Sqs {
                queue: "x".into(),
                batch_size: 25,
                maximum_batching_window_s: 2
            }
        );
        // A manifest without queues is still a manifest.
        let mut raw: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
        raw.as_object_mut().unwrap().remove("queues");
        raw["functions"].as_array_mut().unwrap().remove(3);
        let m: Manifest = serde_json::from_value(raw).unwrap();
        assert!(m.queues.is_empty());
        m.validate().unwrap();
    }

    #[test]
    fn rejects_bad_queues_and_sqs_triggers() {
        let invalid = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut raw: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
            edit(&mut raw);
            let m: Manifest = serde_json::from_value(raw).unwrap();
            m.validate().unwrap_err()
        };
        let err = invalid(&|m| m["functions"][3]["trigger"]["queue"] = "nope".into());
        assert!(err.contains("queue `nope` is not in `queues`"), "{err}");
        let err = invalid(&|m| m["functions"][3]["trigger"]["batch_size"] = 0.into());
        assert!(err.contains("batch_size 0"), "{err}");
        let err = invalid(&|m| m["queues"][0]["name"] = "a b".into());
        assert!(err.contains("not a resource name"), "{err}");
        let err = invalid(&|m| {
            let q = m["queues"][0].clone();
            m["queues"].as_array_mut().unwrap().push(q);
        });
        assert!(err.contains("listed twice"), "{err}");
        let err = invalid(&|m| m["queues"][0]["max_receive_count"] = 0.into());
        assert!(err.contains("positive"), "{err}");
    }

    #[test]
    fn rejects_names_that_are_not_binaries_and_duplicate_routes() {
        let mut m: Manifest = serde_json::from_str(SAMPLE).unwrap();
        m.functions[0].name = "../evil".into();
        assert!(m.validate().is_err());

        let mut m: Manifest = serde_json::from_str(SAMPLE).unwrap();
        let mut dup = m.functions[0].clone();
        dup.name = "health2".into();
        m.functions.push(dup);
        assert!(m.validate().unwrap_err().contains("GET /health"));
    }
}
