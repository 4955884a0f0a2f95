//! The JWT authorizer, as API Gateway's HTTP API runs it in front of `auth: jwt` routes.
//!
//! Only RS256 is accepted whatever the token's header claims, so `alg: none` and HS256 tokens
//! signed with the public key are rejected before any signature check.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

pub const DEFAULT_ISSUER: &str = "ofauto-local";
pub const DEFAULT_AUDIENCE: &str = "ofauto-api";

/// Why a token was refused. The Display text can quote the token itself (an unknown `kid`, a
/// header that is not JSON), so it is attacker-controlled: log it as a Debug field
/// (`reason = ?e.to_string()`), never spliced into a message, and never send it to the client.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("token header: {0}")]
    Header(jsonwebtoken::errors::Error),
    #[error("algorithm {0:?} is not allowed")]
    Algorithm(Algorithm),
    #[error("token has no kid")]
    NoKid,
    #[error("no key with kid {0}")]
    UnknownKid(String),
    #[error("token rejected: {0}")]
    Invalid(jsonwebtoken::errors::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("JWKS is not valid JSON: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("JWKS key {kid}: {source}")]
    Key {
        kid: String,
        source: jsonwebtoken::errors::Error,
    },
}

/// What API Gateway puts in `requestContext.authorizer.jwt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub claims: BTreeMap<String, String>,
    pub scopes: Option<Vec<String>>,
}

pub struct Authorizer {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl Authorizer {
    pub fn from_jwks(jwks_json: &str, issuer: &str, audience: &str) -> Result<Self, JwksError> {
        let set: JwkSet = serde_json::from_str(jwks_json)?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            let key = DecodingKey::from_jwk(jwk).map_err(|source| JwksError::Key {
                kid: kid.clone(),
                source,
            })?;
            keys.insert(kid, key);
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        // Everything runs on one clock here; a skew allowance would only blur expiry tests.
        validation.leeway = 0;
        Ok(Self { keys, validation })
    }

    /// Verifies the `Authorization` header value; the `Bearer ` prefix is optional, as in API
    /// Gateway.
    pub fn verify(&self, authorization: Option<&str>) -> Result<VerifiedClaims, AuthError> {
        let raw = authorization.map(str::trim).unwrap_or_default();
        let token = match raw.get(..7) {
            Some(p) if p.eq_ignore_ascii_case("bearer ") => raw[7..].trim(),
            _ if raw.eq_ignore_ascii_case("bearer") => "",
            _ => raw,
        };
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        let header = jsonwebtoken::decode_header(token).map_err(AuthError::Header)?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Algorithm(header.alg));
        }
        let kid = header.kid.ok_or(AuthError::NoKid)?;
        let key = self
            .keys
            .get(&kid)
            .ok_or_else(|| AuthError::UnknownKid(kid.clone()))?;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, key, &self.validation)
            .map_err(AuthError::Invalid)?;
        let scopes = match data.claims.get("scope") {
            Some(Value::String(s)) => Some(s.split_whitespace().map(str::to_string).collect()),
            _ => None,
        };
        Ok(VerifiedClaims {
            claims: stringify_claims(&data.claims),
            scopes,
        })
    }
}

/// API Gateway hands claims to the function as strings only; arrays come out as `[a b]`.
pub fn stringify_claims(claims: &Map<String, Value>) -> BTreeMap<String, String> {
    claims
        .iter()
        .map(|(k, v)| (k.clone(), stringify(v)))
        .collect()
}

fn stringify(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(stringify).collect();
            format!("[{}]", inner.join(" "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}:{}", stringify(v)))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::shared_keys;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::json;

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn authorizer() -> Authorizer {
        let (_, keys) = shared_keys();
        Authorizer::from_jwks(&keys.jwks_json, DEFAULT_ISSUER, DEFAULT_AUDIENCE).unwrap()
    }

    fn claims() -> Value {
        json!({
            "sub": "u1", "iss": DEFAULT_ISSUER, "aud": DEFAULT_AUDIENCE,
            "iat": now(), "exp": now() + 600, "token_use": "id",
            "custom:tenant_id": "t1", "cognito:groups": ["admin", "editor"]
        })
    }

    fn sign(claims: &Value) -> String {
        crate::keys::sign(&shared_keys().1, claims).unwrap()
    }

    fn bearer(t: &str) -> String {
        format!("Bearer {t}")
    }

    #[test]
    fn accepts_a_valid_token_and_stringifies_claims() {
        // One set of claims throughout: a second clock read can fall in the next second.
        let claims = claims();
        let v = authorizer().verify(Some(&bearer(&sign(&claims)))).unwrap();
        assert_eq!(v.claims["custom:tenant_id"], "t1");
        assert_eq!(v.claims["cognito:groups"], "[admin editor]");
        assert_eq!(v.claims["exp"], claims["exp"].to_string());
        assert_eq!(v.scopes, None);
    }

    #[test]
    fn accepts_a_token_without_the_bearer_prefix() {
        assert!(authorizer().verify(Some(&sign(&claims()))).is_ok());
    }

    #[test]
    fn rejects_missing_and_garbage() {
        let a = authorizer();
        assert!(matches!(a.verify(None), Err(AuthError::Missing)));
        assert!(matches!(a.verify(Some("Bearer ")), Err(AuthError::Missing)));
        assert!(a.verify(Some("Bearer a.b.c")).is_err());
    }

    #[test]
    fn rejects_alg_none() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"x"}"#);
        let body = URL_SAFE_NO_PAD.encode(claims().to_string());
        let token = format!("{header}.{body}.");
        assert!(authorizer().verify(Some(&bearer(&token))).is_err());
    }

    #[test]
    fn rejects_hs256_signed_with_the_public_key() {
        let (_, keys) = shared_keys();
        let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
        header.kid = Some(keys.kid.clone());
        let token = jsonwebtoken::encode(
            &header,
            &claims(),
            &jsonwebtoken::EncodingKey::from_secret(keys.jwks_json.as_bytes()),
        )
        .unwrap();
        assert!(matches!(
            authorizer().verify(Some(&bearer(&token))),
            Err(AuthError::Algorithm(Algorithm::HS256))
        ));
    }

    #[test]
    fn rejects_wrong_issuer_audience_and_expired() {
        let a = authorizer();
        for (field, value) in [
            ("iss", json!("someone-else")),
            ("aud", json!("other-api")),
            ("exp", json!(now() - 5)),
            ("nbf", json!(now() + 600)),
        ] {
            let mut c = claims();
            c[field] = value;
            assert!(
                matches!(
                    a.verify(Some(&bearer(&sign(&c)))),
                    Err(AuthError::Invalid(_))
                ),
                "{field} should be rejected"
            );
        }
        for field in ["exp", "iss", "aud"] {
            let mut c = claims();
            c.as_object_mut().unwrap().remove(field);
            assert!(
                a.verify(Some(&bearer(&sign(&c)))).is_err(),
                "missing {field} should be rejected"
            );
        }
    }

    #[test]
    fn rejects_unknown_kid_and_a_tampered_signature() {
        let a = authorizer();
        let (_, keys) = shared_keys();
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some("other".into());
        let token = jsonwebtoken::encode(
            &header,
            &claims(),
            &jsonwebtoken::EncodingKey::from_rsa_pem(keys.private_pem.as_bytes()).unwrap(),
        )
        .unwrap();
        assert!(matches!(
            a.verify(Some(&bearer(&token))),
            Err(AuthError::UnknownKid(_))
        ));

        let good = sign(&claims());
        let (head_and_body, _) = good.rsplit_once('.').unwrap();
        let mut c = claims();
        c["custom:tenant_id"] = json!("t2");
        let forged_body = URL_SAFE_NO_PAD.encode(c.to_string());
        let head = head_and_body.split('.').next().unwrap();
        let sig = good.rsplit('.').next().unwrap();
        let forged = format!("{head}.{forged_body}.{sig}");
        assert!(matches!(
            a.verify(Some(&bearer(&forged))),
            Err(AuthError::Invalid(_))
        ));
    }

    #[test]
    fn stringifies_like_api_gateway() {
        let c = json!({"s": "x", "n": 1.5, "b": true, "a": ["x", 1], "o": {"k": "v"}, "z": null});
        let out = stringify_claims(c.as_object().unwrap());
        assert_eq!(out["s"], "x");
        assert_eq!(out["n"], "1.5");
        assert_eq!(out["b"], "true");
        assert_eq!(out["a"], "[x 1]");
        assert_eq!(out["o"], "map[k:v]");
        assert_eq!(out["z"], "");
    }

    #[test]
    fn scope_claim_becomes_scopes() {
        let mut c = claims();
        c["scope"] = json!("read write");
        let v = authorizer().verify(Some(&bearer(&sign(&c)))).unwrap();
        assert_eq!(v.scopes, Some(vec!["read".into(), "write".into()]));
    }
}
