//! The dev signing key: an RSA key pair in the state dir, shared by the gateway and `ofauto-token`.
//!
//! The stack and `ofauto-token` may both create it at the same moment (a test that mints a token
//! while a stack starts), so the private key is published with a hard link, which fails if a key
//! is already there, and the JWKS is always derived from whichever key won.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const PRIVATE_KEY_FILE: &str = "jwt-private.pem";
pub const JWKS_FILE: &str = "jwks.json";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot generate an RSA key: {0}")]
    Generate(rsa::Error),
    #[error("{path} is not a PKCS#8 RSA private key: {message}")]
    Decode { path: PathBuf, message: String },
    #[error("cannot sign the token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The loaded key pair.
pub struct DevKeys {
    pub kid: String,
    pub private_pem: String,
    /// The JWKS document, exactly as written to `jwks.json` and served by the gateway.
    pub jwks_json: String,
}

/// Loads the key pair from `state_dir`, creating it on first use.
pub fn ensure(state_dir: &Path) -> Result<DevKeys, KeyError> {
    std::fs::create_dir_all(state_dir).map_err(io_err(state_dir))?;
    let pem_path = state_dir.join(PRIVATE_KEY_FILE);
    if !pem_path.exists() {
        create_private_key(&pem_path)?;
    }
    let private_pem = std::fs::read_to_string(&pem_path).map_err(io_err(&pem_path))?;
    let key = RsaPrivateKey::from_pkcs8_pem(&private_pem).map_err(|e| KeyError::Decode {
        path: pem_path.clone(),
        message: e.to_string(),
    })?;
    let public = RsaPublicKey::from(&key);
    let (kid, jwks_json) = jwks_for(&public);
    let jwks_path = state_dir.join(JWKS_FILE);
    if std::fs::read_to_string(&jwks_path).ok().as_deref() != Some(jwks_json.as_str()) {
        write_atomically(&jwks_path, jwks_json.as_bytes(), 0o644)?;
    }
    Ok(DevKeys {
        kid,
        private_pem,
        jwks_json,
    })
}

/// Signs `claims` as an RS256 JWT whose header names this key.
pub fn sign(keys: &DevKeys, claims: &serde_json::Value) -> Result<String, KeyError> {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(keys.kid.clone());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(keys.private_pem.as_bytes())?;
    Ok(jsonwebtoken::encode(&header, claims, &key)?)
}

fn create_private_key(pem_path: &Path) -> Result<(), KeyError> {
    let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(KeyError::Generate)?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Decode {
            path: pem_path.to_path_buf(),
            message: e.to_string(),
        })?;
    let tmp = temp_sibling(pem_path);
    write_file(&tmp, pem.as_bytes(), 0o600)?;
    let linked = std::fs::hard_link(&tmp, pem_path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(()),
        // Someone else published a key first; theirs is as good as ours.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_err(pem_path)(e)),
    }
}

/// The JWKS and its `kid`, the RFC 7638 thumbprint so it is stable for a given key.
fn jwks_for(public: &RsaPublicKey) -> (String, String) {
    let n = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    let doc = serde_json::json!({
        "keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}]
    });
    let json = serde_json::to_string_pretty(&doc).expect("a JSON value always serialises") + "\n";
    (kid, json)
}

fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        crate::ids::random_hex(4)
    ))
}

fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    let tmp = temp_sibling(path);
    write_file(&tmp, bytes, mode)?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// Key generation is the slow part, so every test run on the machine shares one key; that is
    /// also a standing test of concurrent creation, since test binaries run side by side.
    pub(crate) fn shared_keys() -> &'static (PathBuf, DevKeys) {
        static KEYS: OnceLock<(PathBuf, DevKeys)> = OnceLock::new();
        KEYS.get_or_init(|| {
            let dir = std::env::temp_dir().join("ofauto-local-test-keys");
            let keys = ensure(&dir).unwrap();
            (dir, keys)
        })
    }

    #[test]
    fn creates_once_and_reloads_the_same_key() {
        let (dir, keys) = shared_keys();
        let again = ensure(dir).unwrap();
        assert_eq!(again.kid, keys.kid);
        assert_eq!(again.private_pem, keys.private_pem);
        assert!(keys.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let jwks: jsonwebtoken::jwk::JwkSet =
            serde_json::from_str(&std::fs::read_to_string(dir.join(JWKS_FILE)).unwrap()).unwrap();
        assert!(jwks.find(&keys.kid).is_some());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(PRIVATE_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn rewrites_a_stale_jwks() {
        let (shared, keys) = shared_keys();
        let dir = std::env::temp_dir().join(format!(
            "ofauto-local-test-stale-{}",
            crate::ids::random_hex(4)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(shared.join(PRIVATE_KEY_FILE), dir.join(PRIVATE_KEY_FILE)).unwrap();
        std::fs::write(dir.join(JWKS_FILE), "{}").unwrap();
        let reloaded = ensure(&dir).unwrap();
        let on_disk = std::fs::read_to_string(dir.join(JWKS_FILE)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(reloaded.kid, keys.kid);
        assert_eq!(on_disk, keys.jwks_json);
    }
}
