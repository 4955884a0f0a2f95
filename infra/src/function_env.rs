//! The environment a function process starts with: what Lambda sets, what Terraform sets, and
//! nothing inherited by accident. Starting from an empty environment keeps local runs honest about
//! the configuration a function really gets in AWS.

use ofauto_routes::FunctionDef;
use std::collections::BTreeMap;
use std::net::SocketAddr;

pub const CURSOR_SECRET_ID: &str = "ofauto/local/cursor-signing-key";
/// Where channel signing secrets live in moto's Secrets Manager, one per channel below it.
pub const CHANNEL_SECRET_PREFIX: &str = "ofauto/local/channels";
/// The manifest queue whose URL functions get as `DELIVERY_QUEUE_URL`.
pub const DELIVERY_QUEUE: &str = "delivery";
pub const REGION: &str = "us-east-1";
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";
/// API.md's local default (50/s, burst 100) for every tenant, plus a `bulk` tier that tests and
/// load runs select with the `custom:tier` claim when they need volume rather than the limit.
pub const LOCAL_RATE_LIMIT_TIERS: &str = "standard=50/100/100000,bulk=5000/10000/100000000";
/// Function settings Terraform also sets; the stack's own environment overrides the defaults.
const PASSED_THROUGH: [&str; 2] = ["RATE_LIMIT_TIERS", "CORS_ALLOWED_ORIGINS"];

/// The endpoints the stack's dependencies listen on.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub dynamodb: String,
    pub moto: String,
}

/// The part of the environment shared by every function.
#[derive(Debug, Clone)]
pub struct FunctionEnv {
    shared: Vec<(String, String)>,
    /// Function name to its dead-letter queue's URL, for the functions Terraform gives one.
    dead_letter_queues: BTreeMap<String, String>,
}

impl FunctionEnv {
    /// `host` is the stack's own environment: PATH and `LOG_LEVEL` are taken from it, and every
    /// `OFAUTO_*` variable is passed through (tests configure functions that way) and wins over
    /// the stack's defaults.
    pub fn new(
        endpoints: &Endpoints,
        table_name: &str,
        host: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let host: Vec<(String, String)> = host.into_iter().collect();
        let from_host = |name: &str| host.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let mut shared: Vec<(String, String)> = [
            (
                "PATH",
                from_host("PATH").unwrap_or_else(|| DEFAULT_PATH.into()),
            ),
            ("AWS_REGION", REGION.into()),
            ("AWS_DEFAULT_REGION", REGION.into()),
            ("AWS_ACCESS_KEY_ID", "local".into()),
            ("AWS_SECRET_ACCESS_KEY", "local".into()),
            ("AWS_ENDPOINT_URL_DYNAMODB", endpoints.dynamodb.clone()),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoints.moto.clone()),
            ("AWS_ENDPOINT_URL_EVENTBRIDGE", endpoints.moto.clone()),
            ("AWS_ENDPOINT_URL_SQS", endpoints.moto.clone()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", endpoints.moto.clone()),
            ("TABLE_NAME", table_name.into()),
            ("CURSOR_SECRET_ID", CURSOR_SECRET_ID.into()),
            ("OFAUTO_ENV", "local".into()),
            (
                "LOG_LEVEL",
                from_host("LOG_LEVEL").unwrap_or_else(|| "info".into()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        shared.push(("RATE_LIMIT_TIERS".into(), LOCAL_RATE_LIMIT_TIERS.into()));
        for (k, v) in host {
            if k.starts_with("OFAUTO_") || PASSED_THROUGH.contains(&k.as_str()) {
                shared.retain(|(existing, _)| *existing != k);
                shared.push((k, v));
            }
        }
        Self {
            shared,
            dead_letter_queues: BTreeMap::new(),
        }
    }

    /// The service's own resources, as Terraform passes them to every function that uses them:
    /// `EVENT_BUS_NAME`, `DELIVERY_QUEUE_URL` (when the manifest has that queue) and
    /// `CHANNEL_SECRET_PREFIX`.
    pub fn with_app_resources(
        mut self,
        event_bus_name: &str,
        delivery_queue_url: Option<&str>,
    ) -> Self {
        let mut set = |k: &str, v: &str| {
            self.shared.retain(|(existing, _)| existing != k);
            self.shared.push((k.to_string(), v.to_string()));
        };
        set("EVENT_BUS_NAME", event_bus_name);
        if let Some(url) = delivery_queue_url {
            set("DELIVERY_QUEUE_URL", url);
        }
        set("CHANNEL_SECRET_PREFIX", CHANNEL_SECRET_PREFIX);
        self
    }

    /// `DEAD_LETTER_QUEUE_URL` for each function named here, as Terraform sets it.
    pub fn with_dead_letter_queues(mut self, queues: BTreeMap<String, String>) -> Self {
        self.dead_letter_queues = queues;
        self
    }

    /// The full environment for one process of `def`, talking to its own Runtime API.
    pub fn for_process(
        &self,
        def: &FunctionDef,
        runtime_api: SocketAddr,
        log_stream: &str,
    ) -> Vec<(String, String)> {
        let mut env = self.shared.clone();
        env.extend(
            [
                ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
                ("AWS_LAMBDA_FUNCTION_NAME", def.name.clone()),
                ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", def.memory_mb.to_string()),
                ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
                (
                    "AWS_LAMBDA_LOG_GROUP_NAME",
                    format!("/aws/lambda/{}", def.name),
                ),
                ("AWS_LAMBDA_LOG_STREAM_NAME", log_stream.into()),
                ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
        );
        if let Some(url) = self.dead_letter_queues.get(&def.name) {
            env.push(("DEAD_LETTER_QUEUE_URL".into(), url.clone()));
        }
        env
    }
}

/// The function ARN Lambda passes in `Lambda-Runtime-Invoked-Function-Arn`.
pub fn function_arn(name: &str) -> String {
    format!(
        "arn:aws:lambda:{REGION}:{}:function:{name}",
        crate::apigw::ACCOUNT_ID
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ofauto_routes::Trigger;

    fn lookup<'a>(env: &'a [(String, String)], k: &str) -> Option<&'a str> {
        // The last occurrence wins, as with Command::envs.
        env.iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    fn def() -> FunctionDef {
        FunctionDef {
            name: "events-create".into(),
            trigger: Trigger::Unsupported,
            memory_mb: 256,
            timeout_s: 10,
            local_max_concurrency: None,
        }
    }

    #[test]
    fn sets_lambda_and_endpoint_variables_and_passes_ofauto_through() {
        let endpoints = Endpoints {
            dynamodb: "http://127.0.0.1:1".into(),
            moto: "http://127.0.0.1:2".into(),
        };
        let host = vec![
            ("PATH".to_string(), "/bin".to_string()),
            ("HOME".to_string(), "/root".to_string()),
            ("AWS_PROFILE".to_string(), "prod".to_string()),
            ("OFAUTO_RATE_LIMIT".to_string(), "5".to_string()),
            ("OFAUTO_ENV".to_string(), "test".to_string()),
            (
                "CORS_ALLOWED_ORIGINS".to_string(),
                "https://a.example".to_string(),
            ),
        ];
        let env = FunctionEnv::new(&endpoints, "ofauto", host).for_process(
            &def(),
            "127.0.0.1:9".parse().unwrap(),
            "stream",
        );
        assert_eq!(lookup(&env, "PATH"), Some("/bin"));
        assert_eq!(lookup(&env, "HOME"), None);
        assert_eq!(lookup(&env, "AWS_PROFILE"), None);
        assert_eq!(lookup(&env, "OFAUTO_RATE_LIMIT"), Some("5"));
        assert_eq!(lookup(&env, "OFAUTO_ENV"), Some("test"));
        assert_eq!(lookup(&env, "LOG_LEVEL"), Some("info"));
        assert_eq!(lookup(&env, "AWS_LAMBDA_RUNTIME_API"), Some("127.0.0.1:9"));
        assert_eq!(lookup(&env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Some("256"));
        assert_eq!(
            lookup(&env, "AWS_LAMBDA_LOG_GROUP_NAME"),
            Some("/aws/lambda/events-create")
        );
        assert_eq!(
            lookup(&env, "AWS_ENDPOINT_URL_SQS"),
            Some("http://127.0.0.1:2")
        );
        assert_eq!(lookup(&env, "TABLE_NAME"), Some("ofauto"));
        assert_eq!(
            lookup(&env, "CORS_ALLOWED_ORIGINS"),
            Some("https://a.example")
        );
        assert_eq!(
            lookup(&env, "RATE_LIMIT_TIERS"),
            Some(LOCAL_RATE_LIMIT_TIERS)
        );
        assert_eq!(lookup(&env, "CURSOR_SECRET_ID"), Some(CURSOR_SECRET_ID));
        assert_eq!(lookup(&env, "EVENT_BUS_NAME"), None);
        assert_eq!(lookup(&env, "DEAD_LETTER_QUEUE_URL"), None);
    }

    #[test]
    fn passes_the_app_resources_and_dead_letter_queues() {
        let endpoints = Endpoints {
            dynamodb: "http://127.0.0.1:1".into(),
            moto: "http://127.0.0.1:2".into(),
        };
        let env = FunctionEnv::new(&endpoints, "ofauto", Vec::new())
            .with_app_resources("ofauto-events", Some("http://q/delivery"))
            .with_dead_letter_queues(BTreeMap::from([(
                "events-create".to_string(),
                "http://q/dlq".to_string(),
            )]))
            .for_process(&def(), "127.0.0.1:9".parse().unwrap(), "stream");
        assert_eq!(lookup(&env, "EVENT_BUS_NAME"), Some("ofauto-events"));
        assert_eq!(
            lookup(&env, "DELIVERY_QUEUE_URL"),
            Some("http://q/delivery")
        );
        assert_eq!(
            lookup(&env, "CHANNEL_SECRET_PREFIX"),
            Some("ofauto/local/channels")
        );
        assert_eq!(lookup(&env, "DEAD_LETTER_QUEUE_URL"), Some("http://q/dlq"));
    }
}
