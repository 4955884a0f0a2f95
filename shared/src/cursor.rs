//! Opaque list cursors, signed with HMAC-SHA256 and bound to the tenant and the query.
//!
//! The MAC covers the tenant and the query's fingerprint without putting them in the cursor, so a
//! cursor replayed by another tenant, or with other filters, fails verification exactly like a
//! tampered one: 400, and no hint of why.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::tenant::TenantId;
use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// Below this, a signing key is guessable; config fails at cold start instead.
pub const MIN_KEY_BYTES: usize = 32;
const VERSION: &str = "v1";

#[derive(Clone)]
pub struct CursorSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorSigner(<redacted>)")
    }
}

impl CursorSigner {
    pub fn new(key: &[u8]) -> Result<Self, String> {
        if key.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the cursor signing key must be at least {MIN_KEY_BYTES} bytes"
            ));
        }
        Ok(Self { key: key.to_vec() })
    }

    fn mac(&self, tenant: &TenantId, fingerprint: &str, position: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        for part in [VERSION, tenant.as_str(), fingerprint, position] {
            // Length-prefix each part so that no two different tuples hash the same bytes.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }

    pub fn seal(&self, tenant: &TenantId, fingerprint: &str, position: &str) -> String {
        let tag = self
            .mac(tenant, fingerprint, position)
            .finalize()
            .into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(position),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Returns the position the cursor was sealed with, if this tenant and query sealed it.
    pub fn open(
        &self,
        tenant: &TenantId,
        fingerprint: &str,
        cursor: &str,
    ) -> Result<String, ApiError> {
        let (position, tag) = cursor.split_once('.').ok_or(ApiError::InvalidCursor)?;
        let position = URL_SAFE_NO_PAD
            .decode(position)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(ApiError::InvalidCursor)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| ApiError::InvalidCursor)?;
        self.mac(tenant, fingerprint, &position)
            .verify_slice(&tag)
            .map_err(|_| ApiError::InvalidCursor)?;
        Ok(position)
    }

    /// Where a list continues: nowhere without a cursor, else the position the cursor was sealed
    /// with, read back by `decode`. A cursor that does not open, or whose position does not
    /// decode, is the same 400.
    pub fn resume<T>(
        &self,
        tenant: &TenantId,
        fingerprint: &str,
        cursor: Option<&str>,
        decode: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        let Some(cursor) = cursor else {
            return Ok(None);
        };
        let position = self.open(tenant, fingerprint, cursor)?;
        decode(&position).map(Some).ok_or(ApiError::InvalidCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> CursorSigner {
        CursorSigner::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn round_trips_for_the_same_tenant_and_query() {
        let t = TenantId::parse("a").unwrap();
        let cursor = signer().seal(&t, "q", "01J00000000000000000000000");
        assert_eq!(
            signer().open(&t, "q", &cursor).unwrap(),
            "01J00000000000000000000000"
        );
    }

    #[test]
    fn rejects_other_tenants_queries_keys_and_tampering() {
        let a = TenantId::parse("a").unwrap();
        let b = TenantId::parse("b").unwrap();
        let cursor = signer().seal(&a, "q", "pos");
        assert!(signer().open(&b, "q", &cursor).is_err());
        assert!(signer().open(&a, "q2", &cursor).is_err());
        let other_key = CursorSigner::new(&[8u8; 32]).unwrap();
        assert!(other_key.open(&a, "q", &cursor).is_err());
        let (_, tag) = cursor.split_once('.').unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("pos2"));
        assert!(signer().open(&a, "q", &forged).is_err());
        for junk in ["", ".", "abc", "a.b.c", "!!!.???"] {
            assert!(signer().open(&a, "q", junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(CursorSigner::new(&[0u8; 31]).is_err());
    }

    #[test]
    fn resuming_needs_a_cursor_that_opens_and_a_position_that_decodes() {
        let a = TenantId::parse("a").unwrap();
        let parse = |raw: &str| raw.parse::<u32>().ok();
        assert!(matches!(signer().resume(&a, "q", None, parse), Ok(None)));
        let seven = signer().seal(&a, "q", "7");
        assert!(matches!(
            signer().resume(&a, "q", Some(&seven), parse),
            Ok(Some(7))
        ));
        let word = signer().seal(&a, "q", "seven");
        assert!(matches!(
            signer().resume(&a, "q", Some(&word), parse),
            Err(ApiError::InvalidCursor)
        ));
        assert!(signer().resume(&a, "other", Some(&seven), parse).is_err());
    }
}
