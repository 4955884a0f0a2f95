//! Signing secrets and Standard Webhooks signatures.
//!
//! Signing is the `standardwebhooks` crate's: it produces one `v1,<sig>` per secret, and the
//! header carries one per live secret, space-separated, which its verifier (and every reference
//! verifier) accepts when any one matches.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use standardwebhooks::Webhook;

const PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;

/// `whsec_` and the standard base64 of 32 random bytes. It is shown to the tenant once, stored in
/// Secrets Manager, and never printed: `Debug` redacts it, and it has neither `Display` nor
/// `Serialize`, so it reaches a response or a log only through [`SigningSecret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl SigningSecret {
    /// A fresh secret from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("{PREFIX}{}", STANDARD.encode(bytes)))
    }

    /// Reads a secret back from Secrets Manager; anything but the shape `generate` makes is
    /// refused, so that signing with a valid `SigningSecret` cannot fail.
    pub fn parse(raw: &str) -> Option<Self> {
        let encoded = raw.strip_prefix(PREFIX)?;
        let bytes = STANDARD.decode(encoded).ok()?;
        (bytes.len() == SECRET_BYTES).then(|| Self(raw.to_owned()))
    }

    /// The secret itself, for the one answer that shows it and for Secrets Manager.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

/// The `webhook-signature` header value for one attempt: a `v1,<base64>` per key, space-separated.
pub fn signature_header(
    webhook_id: &str,
    timestamp_secs: i64,
    body: &[u8],
    keys: &[SigningSecret],
) -> Result<String, String> {
    if keys.is_empty() {
        return Err("the channel has no signing secret".into());
    }
    let signatures = keys
        .iter()
        .map(|key| {
            Webhook::new(key.expose())
                .and_then(|webhook| webhook.sign(webhook_id, timestamp_secs, body))
                .map_err(|e| format!("signing failed: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use standardwebhooks::{HEADER_WEBHOOK_ID, HEADER_WEBHOOK_SIGNATURE, HEADER_WEBHOOK_TIMESTAMP};

    #[test]
    fn secrets_are_whsec_and_32_random_bytes() {
        let a = SigningSecret::generate();
        let b = SigningSecret::generate();
        assert_ne!(a, b);
        let encoded = a.expose().strip_prefix("whsec_").unwrap();
        assert_eq!(encoded.len(), 44);
        assert_eq!(STANDARD.decode(encoded).unwrap().len(), 32);
        assert_eq!(SigningSecret::parse(a.expose()), Some(a));
    }

    #[test]
    fn only_well_formed_secrets_parse() {
        for bad in [
            "",
            "whsec_",
            "C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "whsec_!!!!",
        ] {
            assert!(SigningSecret::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = SigningSecret::generate();
        let shown = format!("{secret:?} {:?}", vec![secret.clone()]);
        assert!(!shown.contains(secret.expose()));
        assert!(!shown.contains(&secret.expose()[6..12]));
    }

    fn headers(id: &str, ts: i64, signature: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(HEADER_WEBHOOK_ID, id.parse().unwrap());
        headers.insert(HEADER_WEBHOOK_TIMESTAMP, ts.to_string().parse().unwrap());
        headers.insert(HEADER_WEBHOOK_SIGNATURE, signature.parse().unwrap());
        headers
    }

    #[test]
    fn both_live_secrets_verify_with_the_reference_verifier() {
        let current = SigningSecret::generate();
        let previous = SigningSecret::generate();
        let stranger = SigningSecret::generate();
        let body = br#"{"type":"channel.test","timestamp":"2026-01-01T00:00:00.000Z","data":{}}"#;
        let ts = chrono::Utc::now().timestamp();
        let header =
            signature_header("msg_1", ts, body, &[current.clone(), previous.clone()]).unwrap();
        assert_eq!(header.split(' ').count(), 2);
        assert!(header.split(' ').all(|s| s.starts_with("v1,")));
        let headers = headers("msg_1", ts, &header);
        for key in [&current, &previous] {
            Webhook::new(key.expose())
                .unwrap()
                .verify(body, &headers)
                .unwrap();
        }
        assert!(Webhook::new(stranger.expose())
            .unwrap()
            .verify(body, &headers)
            .is_err());
        // A changed body or id fails.
        let tampered =
            br#"{"type":"channel.test","timestamp":"2026-01-01T00:00:00.000Z","data":1}"#;
        assert!(Webhook::new(current.expose())
            .unwrap()
            .verify(tampered, &headers)
            .is_err());
        assert!(Webhook::new(current.expose())
            .unwrap()
            .verify(body, &self::headers("msg_2", ts, &header))
            .is_err());
    }

    #[test]
    fn one_key_makes_one_signature_and_none_is_an_error() {
        let key = SigningSecret::generate();
        let header = signature_header("msg_1", 1, b"{}", &[key]).unwrap();
        assert!(!header.contains(' '));
        assert!(signature_header("msg_1", 1, b"{}", &[]).is_err());
    }
}
