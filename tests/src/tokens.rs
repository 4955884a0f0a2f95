//! Dev JWTs, signed RS256 with the private key the stack wrote to its state dir, as Cognito would
//! issue them; and the broken variants a JWT authorizer must refuse.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Map, Value};

pub const ISSUER: &str = "ofauto-local";
pub const AUDIENCE: &str = "ofauto-api";
/// The claim that selects a tenant's rate-limit tier (set by the identity provider).
pub const TIER_CLAIM: &str = "custom:tier";
/// The local stack's high-volume tier (`RATE_LIMIT_TIERS` in infra): for tests that need volume
/// rather than the limit itself.
/// A tier whose 2 s window admits only 20 requests; see `TEST_TIERS`.
pub const BURST_TIER: &str = "burst";
/// What the test stack runs with: the local stack's own tiers and `burst`.
pub const TEST_TIERS: &str = "standard=50/100/100000,bulk=5000/10000/100000000,burst=10/20/100000";
pub const BULK_TIER: &str = "bulk";

pub struct Minter {
    key: EncodingKey,
    kid: String,
    /// The JWKS as published: the bytes an algorithm-confusion attacker would use as a secret.
    jwks_bytes: Vec<u8>,
}

/// Every claim of a token, so a test can break exactly one of them.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub token_use: String,
    /// `None` leaves the `custom:tenant_id` claim out.
    pub tenant: Option<String>,
    /// `None` leaves the `cognito:groups` claim out.
    pub groups: Option<Vec<String>>,
    /// `None` uses the stack's key id.
    pub kid: Option<String>,
    /// `None` leaves the `custom:tier` claim out (the standard rate-limit tier applies).
    pub tier: Option<String>,
    /// Further claims, added last (so they may also replace one of the above).
    pub extra: Vec<(String, Value)>,
}

impl TokenSpec {
    /// A valid token for `tenant` holding `role`, valid for an hour.
    pub fn new(tenant: &str, role: &str) -> Self {
        let now = chrono::Utc::now().timestamp();
        Self {
            sub: format!("user-{}", ulid::Ulid::new()),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now - 5,
            exp: now + 3600,
            token_use: "id".into(),
            tenant: Some(tenant.to_owned()),
            groups: Some(vec![role.to_owned()]),
            kid: None,
            tier: None,
            extra: Vec::new(),
        }
    }

    fn claims(&self) -> Value {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(self.sub));
        claims.insert("iss".into(), json!(self.iss));
        claims.insert("aud".into(), json!(self.aud));
        claims.insert("iat".into(), json!(self.iat));
        claims.insert("exp".into(), json!(self.exp));
        claims.insert("token_use".into(), json!(self.token_use));
        if let Some(tenant) = &self.tenant {
            claims.insert("custom:tenant_id".into(), json!(tenant));
        }
        if let Some(groups) = &self.groups {
            claims.insert("cognito:groups".into(), json!(groups));
        }
        if let Some(tier) = &self.tier {
            claims.insert(TIER_CLAIM.into(), json!(tier));
        }
        for (name, value) in &self.extra {
            claims.insert(name.clone(), value.clone());
        }
        Value::Object(claims)
    }
}

impl Minter {
    /// Reads `jwt-private.pem` and the key id from `jwks.json` in the stack's state dir.
    pub fn load(state_dir: &Path) -> Result<Self, String> {
        let pem_path = state_dir.join("jwt-private.pem");
        let pem = std::fs::read(&pem_path)
            .map_err(|e| format!("cannot read {}: {e}", pem_path.display()))?;
        let key = EncodingKey::from_rsa_pem(&pem)
            .map_err(|e| format!("{} is not an RSA PEM key: {e}", pem_path.display()))?;
        let jwks_path = state_dir.join("jwks.json");
        let jwks_bytes = std::fs::read(&jwks_path)
            .map_err(|e| format!("cannot read {}: {e}", jwks_path.display()))?;
        let jwks: Value = serde_json::from_slice(&jwks_bytes)
            .map_err(|e| format!("{} is not JSON: {e}", jwks_path.display()))?;
        let kid = jwks["keys"][0]["kid"]
            .as_str()
            .ok_or_else(|| format!("{} has no keys[0].kid", jwks_path.display()))?
            .to_owned();
        Ok(Self {
            key,
            kid,
            jwks_bytes,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn mint(&self, spec: &TokenSpec) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(spec.kid.clone().unwrap_or_else(|| self.kid.clone()));
        jsonwebtoken::encode(&header, &spec.claims(), &self.key).expect("signing a dev JWT")
    }

    /// Signs exactly these claims (RS256, the stack's key id): for shapes [`TokenSpec`] cannot
    /// express, such as a token without `exp`.
    pub fn mint_claims(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).expect("signing a dev JWT")
    }

    /// The claims of a valid token for `tenant` holding `role`, to edit before [`Minter::mint_claims`].
    pub fn claims(&self, tenant: &str, role: &str) -> Value {
        TokenSpec::new(tenant, role).claims()
    }

    /// A valid token for `tenant` with one role.
    pub fn token(&self, tenant: &str, role: &str) -> String {
        self.mint(&TokenSpec::new(tenant, role))
    }

    /// A valid token for `tenant` with one role, in the rate-limit tier `tier`.
    pub fn token_with_tier(&self, tenant: &str, role: &str, tier: &str) -> String {
        let mut spec = TokenSpec::new(tenant, role);
        spec.tier = Some(tier.to_owned());
        self.mint(&spec)
    }

    /// A valid token for `tenant` holding several roles (or none).
    pub fn token_with_groups(&self, tenant: &str, groups: &[&str]) -> String {
        let mut spec = TokenSpec::new(tenant, "viewer");
        spec.groups = Some(groups.iter().map(|g| (*g).to_owned()).collect());
        self.mint(&spec)
    }

    /// Validly signed, but without the `custom:tenant_id` claim.
    pub fn without_tenant(&self, role: &str) -> String {
        let mut spec = TokenSpec::new("unused", role);
        spec.tenant = None;
        self.mint(&spec)
    }

    /// Expired ten minutes ago, well past any clock-skew leeway.
    pub fn expired(&self, tenant: &str, role: &str) -> String {
        let mut spec = TokenSpec::new(tenant, role);
        let now = chrono::Utc::now().timestamp();
        spec.iat = now - 7200;
        spec.exp = now - 600;
        self.mint(&spec)
    }

    pub fn wrong_issuer(&self, tenant: &str, role: &str) -> String {
        let mut spec = TokenSpec::new(tenant, role);
        spec.iss = "https://evil.example.com".into();
        self.mint(&spec)
    }

    pub fn wrong_audience(&self, tenant: &str, role: &str) -> String {
        let mut spec = TokenSpec::new(tenant, role);
        spec.aud = "some-other-api".into();
        self.mint(&spec)
    }

    /// Signed by our key but naming a key id the JWKS does not hold.
    pub fn unknown_kid(&self, tenant: &str, role: &str) -> String {
        let mut spec = TokenSpec::new(tenant, role);
        spec.kid = Some("not-a-known-kid".into());
        self.mint(&spec)
    }

    /// A valid token whose signature has one byte flipped.
    pub fn bad_signature(&self, tenant: &str, role: &str) -> String {
        let token = self.token(tenant, role);
        let (signed, signature) = token.rsplit_once('.').expect("a JWT has three parts");
        let mut bytes = URL_SAFE_NO_PAD
            .decode(signature)
            .expect("the signature is base64url");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The same claims with a payload swapped in after signing: the classic forgery of
    /// another tenant's token.
    pub fn forged_tenant(&self, signed_for: &str, claims_for: &str, role: &str) -> String {
        let real = self.token(signed_for, role);
        let forged = self.token(claims_for, role);
        let mut real_parts = real.split('.');
        let mut forged_parts = forged.split('.');
        let header = real_parts.next().expect("header");
        let _ = real_parts.next();
        let signature = real_parts.next().expect("signature");
        let _ = forged_parts.next();
        let payload = forged_parts.next().expect("payload");
        format!("{header}.{payload}.{signature}")
    }

    /// HS256, keyed with the public JWKS: the RS256/HS256 algorithm-confusion forgery.
    pub fn hs256_with_public_key(&self, tenant: &str, role: &str) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        let key = EncodingKey::from_secret(&self.jwks_bytes);
        jsonwebtoken::encode(&header, &TokenSpec::new(tenant, role).claims(), &key)
            .expect("signing an HS256 JWT")
    }

    /// An unsigned token (`alg: none`) with otherwise valid claims.
    pub fn alg_none(&self, tenant: &str, role: &str) -> String {
        let header = json!({"alg": "none", "typ": "JWT", "kid": self.kid});
        let claims = TokenSpec::new(tenant, role).claims();
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }
}
