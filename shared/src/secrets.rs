//! Channel signing secrets in Secrets Manager: one secret per channel, named
//! `<CHANNEL_SECRET_PREFIX>/<tenant>/<channel id>`, whose value is
//! `{"current": "whsec_…", "previous": "whsec_…" | null, "previous_until": "<rfc3339>" | null}`.
//!
//! A rotation keeps the previous secret signing for 24 hours, so receivers can switch without
//! losing a message. The deliverer reads secrets through a small per-process cache keyed by the
//! channel's `secret_version`: a rotation bumps the version, so it is seen at once, while steady
//! traffic costs one Secrets Manager read per channel every few minutes. Secret values are never
//! logged: `SigningSecret` redacts itself and this module's errors never carry one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::types::Tag;
use aws_sdk_secretsmanager::Client;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigError};
use crate::domain::ids::ChannelId;
use crate::domain::tenant::TenantId;
use crate::domain::time::Timestamp;
use crate::repo::StorageError;
use crate::webhook::signing::SigningSecret;

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);
/// A deleted channel's secret can be restored for this long.
pub const RECOVERY_WINDOW_DAYS: i64 = 7;
const CACHE_TTL: Duration = Duration::from_secs(5 * 60);
const CACHE_CAPACITY: usize = 1_000;

#[derive(Debug, Clone)]
pub struct ChannelSecrets {
    client: Client,
    prefix: String,
    kms_key_id: Option<String>,
    cache: Arc<Mutex<KeyCache>>,
}

impl ChannelSecrets {
    pub fn new(client: Client, prefix: impl Into<String>, kms_key_id: Option<String>) -> Self {
        Self {
            client,
            prefix: prefix.into().trim_end_matches('/').to_owned(),
            kms_key_id,
            cache: Arc::new(Mutex::new(KeyCache::default())),
        }
    }

    /// For the functions that read or write channel secrets: fails at cold start, naming
    /// `CHANNEL_SECRET_PREFIX`, when it is not set.
    pub fn from_config(sdk: &SdkConfig, config: &Config) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Client::new(sdk),
            config.require_channel_secret_prefix()?,
            config.channel_secret_kms_key_id().map(str::to_owned),
        ))
    }

    /// For handler unit tests: a client whose endpoint refuses connections.
    #[cfg(any(test, feature = "testing"))]
    pub fn unreachable() -> Self {
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
            .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "test",
                "test",
                None,
                None,
                "unit-test",
            ))
            .build();
        Self::new(Client::from_conf(config), "ofauto/channels", None)
    }

    fn name(&self, tenant: &TenantId, id: ChannelId) -> String {
        format!("{}/{}/{id}", self.prefix, tenant.as_str())
    }

    /// Creates the channel's secret and returns it, for the one answer that shows it.
    pub async fn create(
        &self,
        tenant: &TenantId,
        id: ChannelId,
    ) -> Result<SigningSecret, StorageError> {
        let secret = SigningSecret::generate();
        let document = SecretDocument::fresh(&secret);
        self.client
            .create_secret()
            .name(self.name(tenant, id))
            .description("OFAuto webhook signing secret of one channel")
            .secret_string(document.to_json()?)
            .set_kms_key_id(self.kms_key_id.clone())
            .tags(tag("ofauto:tenant", tenant.as_str()))
            .tags(tag("ofauto:channel", &id.to_string()))
            .send()
            .await
            .map_err(storage_error)?;
        Ok(secret)
    }

    /// Makes a new current secret; the old one keeps signing until `now` + 24 h.
    pub async fn rotate(
        &self,
        tenant: &TenantId,
        id: ChannelId,
        now: Timestamp,
    ) -> Result<SigningSecret, StorageError> {
        let name = self.name(tenant, id);
        let document = self.read(&name).await?;
        let secret = SigningSecret::generate();
        let rotated = document.rotated(&secret, now);
        self.client
            .put_secret_value()
            .secret_id(&name)
            .secret_string(rotated.to_json()?)
            .send()
            .await
            .map_err(storage_error)?;
        Ok(secret)
    }

    /// The secrets a delivery at `now` is signed with: the current one, then the previous one
    /// while its overlap lasts.
    pub async fn signing_keys(
        &self,
        tenant: &TenantId,
        id: ChannelId,
        secret_version: u64,
        now: Timestamp,
    ) -> Result<Vec<SigningSecret>, StorageError> {
        let key = (tenant.clone(), id, secret_version);
        if let Some(document) = self.cache_lock().get(&key, Instant::now()) {
            return Ok(document.live_keys(now));
        }
        let document = self.read(&self.name(tenant, id)).await?;
        let keys = document.live_keys(now);
        self.cache_lock().put(key, document, Instant::now());
        Ok(keys)
    }

    /// Schedules the secret's deletion with a 7-day recovery window. A secret that is already
    /// gone or scheduled counts as deleted.
    pub async fn delete(&self, tenant: &TenantId, id: ChannelId) -> Result<(), StorageError> {
        let result = self
            .client
            .delete_secret()
            .secret_id(self.name(tenant, id))
            .recovery_window_in_days(RECOVERY_WINDOW_DAYS)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.code(),
                    Some("ResourceNotFoundException" | "InvalidRequestException")
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(storage_error(err)),
        }
    }

    async fn read(&self, name: &str) -> Result<LiveDocument, StorageError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(name)
            .send()
            .await
            .map_err(storage_error)?;
        let raw = output
            .secret_string()
            .ok_or_else(|| StorageError::Corrupt("channel secret has no string value".into()))?;
        SecretDocument::parse(raw)
    }

    fn cache_lock(&self) -> std::sync::MutexGuard<'_, KeyCache> {
        // A panic while holding the lock cannot leave the map inconsistent: keep using it.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// Secrets Manager's transient faults are worth a retry; everything else is ours to fix. The
/// message is the SDK's code and text, which never include the secret value.
fn storage_error<E, R>(err: SdkError<E, R>) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.code() {
        Some("InternalServiceError" | "ThrottlingException" | "LimitExceededException") => {
            StorageError::Unavailable(crate::aws::display_sdk_error(&err))
        }
        _ => StorageError::from_sdk(err),
    }
}

/// The secret's JSON value. No `Debug`: it holds the secrets themselves.
#[derive(Clone, Serialize, Deserialize)]
struct SecretDocument {
    current: String,
    previous: Option<String>,
    previous_until: Option<String>,
}

/// The document, read and checked.
#[derive(Clone)]
struct LiveDocument {
    current: SigningSecret,
    previous: Option<(SigningSecret, Timestamp)>,
}

impl SecretDocument {
    fn fresh(secret: &SigningSecret) -> Self {
        Self {
            current: secret.expose().to_owned(),
            previous: None,
            previous_until: None,
        }
    }

    fn to_json(&self) -> Result<String, StorageError> {
        serde_json::to_string(self).map_err(|e| StorageError::Internal(e.to_string()))
    }

    fn parse(raw: &str) -> Result<LiveDocument, StorageError> {
        // serde_json's message names a position, never the input.
        let document: SecretDocument = serde_json::from_str(raw)
            .map_err(|e| StorageError::Corrupt(format!("channel secret is not its JSON: {e}")))?;
        let corrupt =
            |what: &str| StorageError::Corrupt(format!("channel secret has invalid {what}"));
        let current = SigningSecret::parse(&document.current).ok_or_else(|| corrupt("current"))?;
        let previous = match (&document.previous, &document.previous_until) {
            (Some(previous), Some(until)) => Some((
                SigningSecret::parse(previous).ok_or_else(|| corrupt("previous"))?,
                Timestamp::parse(until).map_err(|_| corrupt("previous_until"))?,
            )),
            _ => None,
        };
        Ok(LiveDocument { current, previous })
    }
}

impl LiveDocument {
    fn rotated(&self, new: &SigningSecret, now: Timestamp) -> SecretDocument {
        SecretDocument {
            current: new.expose().to_owned(),
            previous: Some(self.current.expose().to_owned()),
            previous_until: Some(now.plus(ROTATION_OVERLAP).to_rfc3339()),
        }
    }

    fn live_keys(&self, now: Timestamp) -> Vec<SigningSecret> {
        let mut keys = vec![self.current.clone()];
        if let Some((previous, until)) = &self.previous {
            if now < *until {
                keys.push(previous.clone());
            }
        }
        keys
    }
}

type CacheKey = (TenantId, ChannelId, u64);

/// At most [`CACHE_CAPACITY`] documents, each for [`CACHE_TTL`]: bounded memory whatever the
/// number of channels a deliverer sees.
#[derive(Default)]
struct KeyCache {
    entries: HashMap<CacheKey, (Instant, LiveDocument)>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyCache({} entries)", self.entries.len())
    }
}

impl KeyCache {
    fn get(&self, key: &CacheKey, now: Instant) -> Option<LiveDocument> {
        let (loaded, document) = self.entries.get(key)?;
        (now.duration_since(*loaded) < CACHE_TTL).then(|| document.clone())
    }

    fn put(&mut self, key: CacheKey, document: LiveDocument, now: Instant) {
        if self.entries.len() >= CACHE_CAPACITY && !self.entries.contains_key(&key) {
            self.entries
                .retain(|_, (loaded, _)| now.duration_since(*loaded) < CACHE_TTL);
            if self.entries.len() >= CACHE_CAPACITY {
                let oldest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (loaded, _))| *loaded)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    self.entries.remove(&oldest);
                }
            }
        }
        self.entries.insert(key, (now, document));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse(raw).unwrap()
    }

    #[test]
    fn a_fresh_secret_signs_alone() {
        let secret = SigningSecret::generate();
        let json = SecretDocument::fresh(&secret).to_json().unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["current"], secret.expose());
        assert_eq!(value["previous"], serde_json::Value::Null);
        assert_eq!(value["previous_until"], serde_json::Value::Null);
        let live = SecretDocument::parse(&json).unwrap();
        assert_eq!(live.live_keys(at("2026-01-01T00:00:00Z")), [secret]);
    }

    #[test]
    fn after_a_rotation_both_sign_for_24_hours_then_only_the_new_one() {
        let old = SigningSecret::generate();
        let new = SigningSecret::generate();
        let now = at("2026-01-01T00:00:00Z");
        let live = SecretDocument::parse(&SecretDocument::fresh(&old).to_json().unwrap()).unwrap();
        let rotated = live.rotated(&new, now);
        assert_eq!(
            rotated.previous_until.as_deref(),
            Some("2026-01-02T00:00:00.000Z")
        );
        let live = SecretDocument::parse(&rotated.to_json().unwrap()).unwrap();
        assert_eq!(
            live.live_keys(at("2026-01-01T23:59:59.999Z")),
            [new.clone(), old.clone()]
        );
        assert_eq!(
            live.live_keys(at("2026-01-02T00:00:00Z")),
            std::slice::from_ref(&new)
        );
        // A second rotation drops the oldest at once.
        let newest = SigningSecret::generate();
        let live = SecretDocument::parse(
            &live
                .rotated(&newest, at("2026-01-01T01:00:00Z"))
                .to_json()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(live.live_keys(at("2026-01-01T02:00:00Z")), [newest, new]);
    }

    #[test]
    fn malformed_documents_are_corrupt_and_never_echo_the_value() {
        for raw in [
            "whsec_notjson",
            r#"{"current":"whsec_short"}"#,
            r#"{"current":"nope","previous":null,"previous_until":null}"#,
        ] {
            let err = SecretDocument::parse(raw).err().unwrap();
            assert!(matches!(err, StorageError::Corrupt(_)), "{raw}");
            assert!(!err.to_string().contains("whsec_"), "{err}");
        }
    }

    fn document() -> LiveDocument {
        LiveDocument {
            current: SigningSecret::generate(),
            previous: None,
        }
    }

    #[test]
    fn the_cache_expires_entries_and_stays_bounded() {
        let tenant = TenantId::parse("t").unwrap();
        let start = Instant::now();
        let mut cache = KeyCache::default();
        let key = (tenant.clone(), ChannelId::generate(), 1);
        cache.put(key.clone(), document(), start);
        assert!(cache.get(&key, start + Duration::from_secs(299)).is_some());
        assert!(cache.get(&key, start + CACHE_TTL).is_none());
        // Another version of the same channel is another entry.
        assert!(cache.get(&(key.0.clone(), key.1, 2), start).is_none());
        for i in 0..(CACHE_CAPACITY as u64 + 50) {
            cache.put(
                (tenant.clone(), ChannelId::generate(), i),
                document(),
                start + Duration::from_millis(i),
            );
        }
        assert_eq!(cache.entries.len(), CACHE_CAPACITY);
    }

    #[test]
    fn names_follow_the_prefix_tenant_and_channel() {
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
            .build();
        let secrets = ChannelSecrets::new(Client::from_conf(config), "ofauto/channels/", None);
        let id = ChannelId::generate();
        assert_eq!(
            secrets.name(&TenantId::parse("acme").unwrap(), id),
            format!("ofauto/channels/acme/{id}")
        );
    }
}
