//! The web console on the local stack: `console/dist` served under `/console/` on the API's own
//! port, the console's `config.json` for local mode, and the local-only sign-in.
//!
//! Same origin as the API, so the console needs no CORS locally and its CSP can say
//! `connect-src 'self'`. The sign-in mints the same dev JWT as `ofauto-token`; it lives here, in
//! `ofauto-local` (bound to loopback), and never in a function crate, so it cannot reach AWS.

use crate::keys::DevKeys;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

pub const PREFIX: &str = "/console";
const CONFIG_PATH: &str = "/console/config.json";
const SIGN_IN_PATH: &str = "/console/local-sign-in";
/// A sign-in body is two short strings; anything bigger is not one.
const MAX_SIGN_IN_BODY: usize = 1024;
const TOKEN_TTL_SECONDS: i64 = 3600;
const ROLES: [&str; 3] = ["admin", "editor", "viewer"];

/// The console's policy: its own scripts, styles and API only. Preact and uPlot set styles
/// through the CSSOM, which `style-src 'self'` allows, so no `'unsafe-inline'` is needed.
const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// What the API answers with (DESIGN.md, Conventions), for the JSON this module answers.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Whether the gateway should hand this path to the console rather than the route table.
pub fn owns(path: &str) -> bool {
    path == PREFIX || path.starts_with("/console/")
}

/// What the sign-in signs with: the stack's dev key and the issuer and audience its authorizer
/// checks.
pub struct Signer {
    pub keys: DevKeys,
    pub issuer: String,
    pub audience: String,
}

static SIGNER: OnceLock<Option<Signer>> = OnceLock::new();

/// Hands the stack's signing key to the sign-in. Without it, the first sign-in derives the key
/// from this process's own `ofauto-local` arguments, which name the same state directory.
pub fn install(signer: Signer) {
    let _ = SIGNER.set(Some(signer));
}

fn signer() -> Option<&'static Signer> {
    SIGNER.get_or_init(signer_from_process_args).as_ref()
}

fn signer_from_process_args() -> Option<Signer> {
    let exe = std::env::current_exe().ok()?;
    if exe.file_stem()? != "ofauto-local" {
        return None;
    }
    let opts =
        crate::stack::parse_options(std::env::args().skip(1), |n| std::env::var(n).ok()).ok()??;
    let keys = crate::keys::ensure(&opts.state_dir).ok()?;
    let env_or = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    Some(Signer {
        keys,
        issuer: env_or("OFAUTO_JWT_ISSUER", crate::jwt::DEFAULT_ISSUER),
        audience: env_or("OFAUTO_JWT_AUDIENCE", crate::jwt::DEFAULT_AUDIENCE),
    })
}

fn dist_dir() -> PathBuf {
    crate::paths::repo_root().join("console/dist")
}

/// Answers a request for a path under [`PREFIX`].
pub async fn serve(
    port: u16,
    parts: axum::http::request::Parts,
    body: Body,
    body_timeout: Duration,
) -> Response {
    let path = parts.uri.path();
    let mut response = match (path, &parts.method) {
        (PREFIX, &Method::GET | &Method::HEAD) => redirect("/console/"),
        (CONFIG_PATH, &Method::GET | &Method::HEAD) => json(
            StatusCode::OK,
            json!({ "mode": "local", "api": "" }),
            "no-cache",
        ),
        (SIGN_IN_PATH, &Method::POST) => {
            let read =
                tokio::time::timeout(body_timeout, axum::body::to_bytes(body, MAX_SIGN_IN_BODY))
                    .await;
            match read {
                Ok(Ok(bytes)) => sign_in(port, &parts.headers, &bytes, signer()),
                Ok(Err(_)) => problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The body is too large.",
                    None,
                ),
                Err(_) => problem(
                    StatusCode::REQUEST_TIMEOUT,
                    "The body did not arrive in time.",
                    None,
                ),
            }
        }
        (CONFIG_PATH | SIGN_IN_PATH, _) => method_not_allowed(),
        (_, &Method::GET | &Method::HEAD) => static_file(&dist_dir(), path, &parts.headers),
        _ => method_not_allowed(),
    };
    if parts.method == Method::HEAD {
        *response.body_mut() = Body::empty();
    }
    response
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    tenant: String,
    role: String,
}

/// Valid like the API's tenant ids (`shared::domain::TenantId`): 1–64 of `[A-Za-z0-9._-]`.
fn valid_tenant(raw: &str) -> bool {
    (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A cross-site page could otherwise mint tokens through the visitor's browser: only the
/// gateway's own loopback origin, on its own port, may ask.
fn same_origin(port: u16, headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let hosts = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    let host_ok = header(http::header::HOST).is_some_and(|h| hosts.iter().any(|x| x == h));
    let origin_ok = header(http::header::ORIGIN)
        .and_then(|o| o.strip_prefix("http://"))
        .is_some_and(|o| hosts.iter().any(|x| x == o));
    host_ok && origin_ok
}

fn sign_in(port: u16, headers: &HeaderMap, body: &[u8], signer: Option<&Signer>) -> Response {
    if !same_origin(port, headers) {
        return problem(
            StatusCode::FORBIDDEN,
            "Local sign-in is only for the console served by this stack.",
            None,
        );
    }
    let req: SignIn = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "The body must be {\"tenant\", \"role\"}.",
                None,
            )
        }
    };
    let mut errors = Vec::new();
    if !valid_tenant(&req.tenant) {
        errors.push(
            json!({"field": "tenant", "message": "1 to 64 letters, digits, '.', '_' or '-'"}),
        );
    }
    if !ROLES.contains(&req.role.as_str()) {
        errors.push(json!({"field": "role", "message": "one of admin, editor, viewer"}));
    }
    if !errors.is_empty() {
        return problem(
            StatusCode::BAD_REQUEST,
            "The sign-in is not valid.",
            Some(errors),
        );
    }
    let Some(signer) = signer else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Local sign-in has no signing key in this process.",
            None,
        );
    };
    let now = chrono::Utc::now().timestamp();
    let exp = now + TOKEN_TTL_SECONDS;
    let claims = json!({
        "sub": format!("local-{}", req.role),
        "iss": signer.issuer,
        "aud": signer.audience,
        "iat": now,
        "exp": exp,
        "token_use": "id",
        "jti": ulid::Ulid::new().to_string(),
        "cognito:groups": [req.role],
        "custom:tenant_id": req.tenant,
    });
    match crate::keys::sign(&signer.keys, &claims) {
        Ok(token) => {
            let expires_at = chrono::DateTime::from_timestamp(exp, 0)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            json(
                StatusCode::OK,
                json!({ "token": token, "expires_at": expires_at }),
                "no-store",
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "local sign-in could not sign a token");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The token could not be signed.",
                None,
            )
        }
    }
}

/// The file a request path names inside `dist`, or `None` when the path is not a plain relative
/// path of ordinary names. Nothing is percent-decoded: the build emits no name that needs it.
fn resolve(dist: &Path, url_path: &str) -> Option<PathBuf> {
    let rel = url_path.strip_prefix("/console/")?;
    let mut out = dist.to_path_buf();
    for segment in rel.split('/') {
        if segment.is_empty() {
            continue;
        }
        let plain = !segment.starts_with('.')
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        if !plain {
            return None;
        }
        out.push(segment);
    }
    Some(out)
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Vite names everything under `assets/` by content hash, so it can be cached for good;
/// `index.html` names them, so it is revalidated every time.
fn cache_control(rel: &Path) -> &'static str {
    if rel.starts_with("assets") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

fn static_file(dist: &Path, url_path: &str, headers: &HeaderMap) -> Response {
    if !dist.join("index.html").is_file() {
        return text(
            StatusCode::NOT_FOUND,
            "The console is not built: run `make console`, then reload.\n",
        );
    }
    let Some(mut file) = resolve(dist, url_path) else {
        return text(StatusCode::NOT_FOUND, "Not Found\n");
    };
    if !file.is_file() {
        // A missing asset is a 404; any other path is a page of the app, which routes itself.
        let is_asset = file
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains('.'));
        if is_asset && file != dist {
            return text(StatusCode::NOT_FOUND, "Not Found\n");
        }
        file = dist.join("index.html");
    }
    let rel = file.strip_prefix(dist).unwrap_or(&file).to_path_buf();
    let gzip_ok = headers
        .get(http::header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let gz = PathBuf::from(format!("{}.gz", file.display()));
    let (bytes, gzipped) = match gzip_ok.then(|| std::fs::read(&gz).ok()).flatten() {
        Some(b) => (b, true),
        None => match std::fs::read(&file) {
            Ok(b) => (b, false),
            Err(_) => return text(StatusCode::NOT_FOUND, "Not Found\n"),
        },
    };
    let mut r = with_security_headers(Response::new(Body::from(bytes)), CONSOLE_CSP);
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&file)),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control(&rel)),
    );
    h.insert(
        http::header::VARY,
        HeaderValue::from_static("accept-encoding"),
    );
    if gzipped {
        h.insert(
            http::header::CONTENT_ENCODING,
            HeaderValue::from_static("gzip"),
        );
    }
    r
}

fn with_security_headers(mut r: Response, csp: &'static str) -> Response {
    let h = r.headers_mut();
    for (name, value) in [
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("content-security-policy", csp),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    r
}

fn json(status: StatusCode, value: serde_json::Value, cache: &'static str) -> Response {
    let mut r = Response::new(Body::from(Bytes::from(value.to_string())));
    *r.status_mut() = status;
    let mut r = with_security_headers(r, API_CSP);
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(http::header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

fn problem(status: StatusCode, detail: &str, errors: Option<Vec<serde_json::Value>>) -> Response {
    let mut body = json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(errors) = errors {
        body["errors"] = json!(errors);
    }
    let mut r = json(status, body, "no-store");
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

fn text(status: StatusCode, body: &'static str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let mut r = with_security_headers(r, API_CSP);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn redirect(to: &'static str) -> Response {
    let mut r = with_security_headers(Response::new(Body::empty()), API_CSP);
    *r.status_mut() = StatusCode::PERMANENT_REDIRECT;
    r.headers_mut()
        .insert(http::header::LOCATION, HeaderValue::from_static(to));
    r
}

fn method_not_allowed() -> Response {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed here.",
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist() -> (tempdir::Dir, PathBuf) {
        let dir = tempdir::Dir::new();
        let dist = dir.path().join("dist");
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        std::fs::write(dist.join("index.html"), "<!doctype html><title>x</title>").unwrap();
        std::fs::write(dist.join("assets/app-abc123.js"), "console.log(1)").unwrap();
        std::fs::write(dist.join("assets/app-abc123.css"), "body{}").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
        (dir, dist)
    }

    /// A throwaway directory removed on drop; enough for these tests without a new dependency.
    mod tempdir {
        use std::path::{Path, PathBuf};
        pub struct Dir(PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let p = std::env::temp_dir().join(format!("console-site-{}", ulid::Ulid::new()));
                std::fs::create_dir_all(&p).unwrap();
                Self(p)
            }
            pub fn path(&self) -> &Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    async fn body_text(r: Response) -> String {
        let b = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[test]
    fn only_plain_relative_paths_resolve() {
        let d = Path::new("/srv/dist");
        assert_eq!(
            resolve(d, "/console/assets/a-1.js"),
            Some(d.join("assets/a-1.js"))
        );
        for bad in [
            "/console/../secret.txt",
            "/console/assets/../../secret.txt",
            "/console/%2e%2e/secret.txt",
            "/console/.env",
            "/console/assets/..",
            "/console/a\\b",
        ] {
            assert_eq!(resolve(d, bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn traversal_never_reads_outside_dist() {
        let (_dir, dist) = dist();
        for bad in ["/console/../secret.txt", "/console/%2e%2e/secret.txt"] {
            let r = static_file(&dist, bad, &HeaderMap::new());
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
            assert!(!body_text(r).await.contains("outside"));
        }
    }

    #[tokio::test]
    async fn assets_get_their_type_and_a_long_cache_and_pages_fall_back_to_index() {
        let (_dir, dist) = dist();
        let js = static_file(&dist, "/console/assets/app-abc123.js", &HeaderMap::new());
        assert_eq!(js.status(), StatusCode::OK);
        assert_eq!(
            js.headers()["content-type"],
            "text/javascript; charset=utf-8"
        );
        assert!(js.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"));
        assert!(js.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("connect-src 'self'"));
        let css = static_file(&dist, "/console/assets/app-abc123.css", &HeaderMap::new());
        assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");

        let page = static_file(&dist, "/console/posts/01ABC", &HeaderMap::new());
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
        assert_eq!(page.headers()["cache-control"], "no-cache");
        assert!(body_text(page).await.contains("<title>"));

        let missing = static_file(&dist, "/console/assets/gone-1.js", &HeaderMap::new());
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn gzip_siblings_are_served_to_clients_that_accept_them() {
        let (_dir, dist) = dist();
        std::fs::write(dist.join("assets/app-abc123.js.gz"), b"\x1f\x8bGZ").unwrap();
        let mut h = HeaderMap::new();
        h.insert("accept-encoding", HeaderValue::from_static("br, gzip"));
        let r = static_file(&dist, "/console/assets/app-abc123.js", &h);
        assert_eq!(r.headers()["content-encoding"], "gzip");
        assert_eq!(
            r.headers()["content-type"],
            "text/javascript; charset=utf-8"
        );
        let plain = static_file(&dist, "/console/assets/app-abc123.js", &HeaderMap::new());
        assert!(plain.headers().get("content-encoding").is_none());
    }

    #[tokio::test]
    async fn a_missing_build_says_how_to_make_one() {
        let dir = tempdir::Dir::new();
        let r = static_file(&dir.path().join("dist"), "/console/", &HeaderMap::new());
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(body_text(r).await.contains("make console"));
    }

    fn origin_headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert("origin", HeaderValue::from_str(o).unwrap());
        }
        h
    }

    fn test_signer() -> (tempdir::Dir, Signer) {
        let dir = tempdir::Dir::new();
        let keys = crate::keys::ensure(dir.path()).unwrap();
        (
            dir,
            Signer {
                keys,
                issuer: "ofauto-local".into(),
                audience: "ofauto-api".into(),
            },
        )
    }

    #[tokio::test]
    async fn sign_in_mints_a_token_the_authorizer_accepts() {
        let (_dir, signer) = test_signer();
        let h = origin_headers("127.0.0.1:4000", Some("http://127.0.0.1:4000"));
        let r = sign_in(
            4000,
            &h,
            br#"{"tenant":"acme","role":"viewer"}"#,
            Some(&signer),
        );
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body: serde_json::Value = serde_json::from_str(&body_text(r).await).unwrap();
        let authorizer =
            crate::jwt::Authorizer::from_jwks(&signer.keys.jwks_json, "ofauto-local", "ofauto-api")
                .unwrap();
        let token = body["token"].as_str().unwrap();
        let claims = authorizer.verify(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(claims.claims["custom:tenant_id"], "acme");
        assert_eq!(claims.claims["cognito:groups"], "[viewer]");
        assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    }

    #[tokio::test]
    async fn sign_in_names_each_bad_field() {
        let (_dir, signer) = test_signer();
        let h = origin_headers("localhost:4000", Some("http://localhost:4000"));
        let r = sign_in(
            4000,
            &h,
            br#"{"tenant":"a b","role":"root"}"#,
            Some(&signer),
        );
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: serde_json::Value = serde_json::from_str(&body_text(r).await).unwrap();
        let fields: Vec<_> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(fields, ["tenant", "role"]);
        for bad in [
            &b"{"[..],
            br#"{"tenant":"a","role":"admin","x":1}"#,
            br#"{"tenant":"","role":"admin"}"#,
        ] {
            let r = sign_in(4000, &h, bad, Some(&signer));
            assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        }
        let long = format!(r#"{{"tenant":"{}","role":"admin"}}"#, "a".repeat(65));
        assert_eq!(
            sign_in(4000, &h, long.as_bytes(), Some(&signer)).status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[tokio::test]
    async fn sign_in_refuses_other_origins() {
        let (_dir, signer) = test_signer();
        let body = br#"{"tenant":"acme","role":"admin"}"#;
        for (host, origin) in [
            ("127.0.0.1:4000", Some("http://evil.example")),
            ("127.0.0.1:4000", None),
            ("127.0.0.1:4000", Some("http://127.0.0.1:4001")),
            ("evil.example", Some("http://127.0.0.1:4000")),
            ("127.0.0.1:4000", Some("https://127.0.0.1:4000")),
        ] {
            let r = sign_in(4000, &origin_headers(host, origin), body, Some(&signer));
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{host} {origin:?}");
        }
    }

    #[test]
    fn the_console_owns_only_its_prefix() {
        assert!(owns("/console"));
        assert!(owns("/console/"));
        assert!(owns("/console/events"));
        assert!(!owns("/consoles"));
        assert!(!owns("/v1/events"));
    }
}
