//! AWS clients, built once per cold start.
//!
//! Endpoints come from the standard `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how the local
//! stack points the very same binaries at DynamoDB Local and moto. Timeouts are short so that a
//! dependency outage becomes a fast 503 instead of a Lambda timeout.
//!
//! The SDK's HTTPS client trusts only the roots AWS endpoints chain to ([`AWS_ROOT_CAS`]), not
//! the system's whole CA store. The SDK loads its trust store while the first client is built,
//! inside the init phase: a profile of a cold start put about 3 ms of a 10 ms init in reading and
//! parsing the system's 140-odd roots (and scanning its certificate directory), where these five
//! take well under a millisecond. It is also the tighter policy: a stray or compromised CA in the
//! image cannot vouch for a DynamoDB, SQS or Secrets Manager endpoint. Outbound webhooks use
//! their own client (`webhook`) and are unaffected.
//!
//! Credentials and region come from the environment alone. Lambda always sets
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and `AWS_REGION` (and the
//! local stack sets them too), so the SDK's default chains, which try the environment first, never
//! got past it; but building them at cold start built their fallbacks as well: an STS client for
//! web identity (with its own copy of the endpoint partitions, parsed from JSON) and three IMDS
//! clients. A callgrind profile of `events-get`'s init put about a fifth of its instructions
//! there (BENCHMARKS.md, "Cold init: what the SDK's set-up costs").

use std::time::Duration;

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};

use crate::config::ConfigError;
use crate::cursor::CursorSigner;

/// For the HTTP routes: a client waits on a slow dependency for at most 4 s, then gets a 503.
pub async fn sdk_config() -> SdkConfig {
    with_timeouts(Duration::from_secs(2), Duration::from_secs(4)).await
}

/// For the functions no client waits on (the dispatcher, the deliverer, the stream consumers):
/// giving up on a call after 4 s would only turn a slow moment of SQS or EventBridge into a
/// lease to wait out or a batch to redeliver. Their own timeouts (tens of seconds) bound these.
pub async fn background_sdk_config() -> SdkConfig {
    with_timeouts(Duration::from_secs(10), Duration::from_secs(20)).await
}

/// Amazon Trust Services' Root CA 1–4 and the Starfield Services Root CA G2 that cross-signs
/// them: every AWS service endpoint, regional, FIPS or VPC interface, chains to one of these.
pub const AWS_ROOT_CAS: &[u8] = include_bytes!("../certs/aws-root-cas.pem");

async fn with_timeouts(attempt: Duration, operation: Duration) -> SdkConfig {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AWS_ROOT_CAS);
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a trust store of bundled PEM certificates always builds");
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .region(EnvironmentVariableRegionProvider::new())
        .http_client(https)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(attempt)
                .operation_timeout(operation)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// Loads the cursor signing key from the Secrets Manager secret `secret_id` names
/// (`Config::require_cursor_secret_id`); a failure names `CURSOR_SECRET_ID`.
pub async fn cursor_signer(
    config: &SdkConfig,
    secret_id: &str,
) -> Result<CursorSigner, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        name: crate::config::CURSOR_SECRET_ID,
        reason,
    };
    let secret = aws_sdk_secretsmanager::Client::new(config)
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            invalid(format!(
                "could not read the secret: {}",
                display_sdk_error(&e)
            ))
        })?;
    let key = secret
        .secret_string()
        .ok_or_else(|| invalid("the secret has no string value".into()))?;
    CursorSigner::new(key.as_bytes()).map_err(invalid)
}

/// SDK errors print only "service error"; the code and message are what an operator needs.
pub fn display_sdk_error<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> String
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.as_service_error() {
        Some(service) => format!(
            "{}: {}",
            service.code().unwrap_or("unknown"),
            service.message().unwrap_or("")
        ),
        None => format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_the_five_roots_aws_endpoints_chain_to() {
        let pem = std::str::from_utf8(AWS_ROOT_CAS).unwrap();
        assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 5);
        assert_eq!(pem.matches("-----END CERTIFICATE-----").count(), 5);
    }

    /// Building a client is when the SDK parses its trust store (and would panic on a bad PEM).
    #[tokio::test]
    async fn sdk_clients_build_with_the_bundled_trust_store() {
        let config = sdk_config().await;
        assert!(config.http_client().is_some());
        let _ = dynamodb(&config);
        let _ = aws_sdk_sqs::Client::new(&background_sdk_config().await);
    }

    /// Credentials and region are read from the environment only, as Lambda provides them. (Each
    /// test runs in a process of its own under nextest, so setting variables here is contained.)
    #[tokio::test]
    async fn credentials_and_region_come_from_the_environment() {
        use aws_sdk_dynamodb::config::ProvideCredentials;
        std::env::set_var("AWS_REGION", "eu-west-3");
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDFROMENV");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "secret-from-env");
        std::env::set_var("AWS_SESSION_TOKEN", "token-from-env");
        let config = sdk_config().await;
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-3"));
        let credentials = config
            .credentials_provider()
            .expect("a credentials provider")
            .provide_credentials()
            .await
            .expect("credentials from the environment");
        assert_eq!(credentials.access_key_id(), "AKIDFROMENV");
        assert_eq!(credentials.session_token(), Some("token-from-env"));

        // Without them there is nothing to fall back on: no profile, web identity or IMDS.
        std::env::remove_var("AWS_ACCESS_KEY_ID");
        let config = sdk_config().await;
        let missing = config
            .credentials_provider()
            .expect("a credentials provider")
            .provide_credentials()
            .await;
        assert!(missing.is_err(), "{missing:?}");
    }
}
