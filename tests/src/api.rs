//! A small HTTP client for the API, and assertions on what it answers.
//!
//! Build one [`Api`] per test (each test has its own tokio runtime; a reqwest client must not be
//! shared across runtimes). Every panic message carries the request and the full response, so a
//! failure says what the server actually did.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use serde_json::Value;

use crate::stack::stack;

pub const PROBLEM_BASE: &str = "https://ofauto.dev/problems/";
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

pub struct Api {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    retry_rate_limited: bool,
}

/// How often a rate-limited (429) request is retried before the 429 is returned as is.
const RATE_LIMIT_RETRIES: u32 = 30;
/// How often a 503 is retried, as its `Retry-After` asks clients to: on a busy 2-core machine
/// moto or DynamoDB Local can stall past a route's 4 s dependency timeout for a moment. A
/// dependency that stays down still surfaces, after these few tries.
const UNAVAILABLE_RETRIES: u32 = 3;

impl Api {
    /// No `Authorization` header at all.
    pub fn anonymous() -> Self {
        Self::build(None)
    }

    /// `Authorization: Bearer <token>`.
    pub fn with_token(token: impl Into<String>) -> Self {
        Self::build(Some(token.into()))
    }

    fn build(token: Option<String>) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("building an HTTP client");
        Self {
            client,
            base: stack().api_url().to_owned(),
            token,
            retry_rate_limited: true,
        }
    }

    /// By default a 429 (and, a few times, a 503) is waited out per `Retry-After` and retried, as
    /// a well-behaved client does: a 429 writes nothing, and the Event Service tests seed hundreds of events per
    /// tenant. Tests of the rate limit itself turn that off here.
    pub fn without_rate_limit_retries(mut self) -> Self {
        self.retry_rate_limited = false;
        self
    }

    /// The underlying client, for requests the helpers below cannot express (header values that
    /// are not UTF-8, for one). It sends no `Authorization` by itself: see [`Api::token`].
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The bearer token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// `POST` a JSON body with extra headers (an `Idempotency-Key`, an `Origin`).
    pub async fn post_json_with(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Resp {
        let bytes = serde_json::to_vec(body).expect("serialising a JSON body");
        self.send(
            Method::POST,
            self.url(path),
            Some((bytes, "application/json")),
            headers,
        )
        .await
    }

    /// The full URL for `path` (which may carry its own query string, sent as is).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `path` with the query parameters properly encoded (`+` in an offset, for one).
    pub fn url_with_query(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = Url::parse(&self.url(path)).expect("a valid URL");
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url.to_string()
    }

    pub async fn send(
        &self,
        method: Method,
        url: String,
        body: Option<(Vec<u8>, &str)>,
        extra_headers: &[(&str, &str)],
    ) -> Resp {
        let mut attempt = 0;
        let response = loop {
            let mut request = self.client.request(method.clone(), &url);
            if let Some(token) = &self.token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            for (name, value) in extra_headers {
                request = request.header(*name, *value);
            }
            if let Some((bytes, content_type)) = &body {
                request = request
                    .header("content-type", *content_type)
                    .body(bytes.clone());
            }
            let response = request
                .send()
                .await
                .unwrap_or_else(|e| panic!("{method} {url} failed to send: {e}\n{}", log_hint()));
            attempt += 1;
            let status = response.status().as_u16();
            let retry = self.retry_rate_limited
                && match status {
                    429 => attempt <= RATE_LIMIT_RETRIES,
                    503 => attempt <= UNAVAILABLE_RETRIES,
                    _ => false,
                };
            if !retry {
                break response;
            }
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(1)
                .clamp(1, 5);
            eprintln!("{method} {url}: {status}, retrying in {wait}s (attempt {attempt})");
            tokio::time::sleep(Duration::from_secs(wait)).await;
        };
        Resp::read(method, url, response).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, self.url(path), None, &[]).await
    }

    pub async fn get_query(&self, path: &str, query: &[(&str, &str)]) -> Resp {
        self.send(Method::GET, self.url_with_query(path, query), None, &[])
            .await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Resp {
        let bytes = serde_json::to_vec(body).expect("serialising a JSON body");
        self.post_raw(path, bytes).await
    }

    /// Sends the bytes as they are, labelled `application/json`.
    pub async fn post_raw(&self, path: &str, bytes: Vec<u8>) -> Resp {
        self.send(
            Method::POST,
            self.url(path),
            Some((bytes, "application/json")),
            &[],
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, self.url(path), None, &[]).await
    }

    pub async fn method(&self, method: Method, path: &str) -> Resp {
        self.send(method, self.url(path), None, &[]).await
    }
}

fn log_hint() -> String {
    format!(
        "stack log: {}\n--- last lines ---\n{}",
        stack().log_path.display(),
        stack().log_tail()
    )
}

/// A complete response, read eagerly.
pub struct Resp {
    pub method: Method,
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl fmt::Display for Resp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} -> {}\nheaders: {:?}\nbody: {}",
            self.method,
            self.url,
            self.status,
            self.headers,
            truncate(&self.body, 2000)
        )
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Resp {
    /// Reads a response eagerly (for requests built on [`Api::client`] directly).
    pub async fn read(method: Method, url: String, response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: reading the body failed: {e}"));
        Resp {
            method,
            url,
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type, without parameters such as `charset`.
    pub fn content_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// Asserts the status, with the whole response in the message when it differs.
    #[track_caller]
    pub fn expect_status(&self, status: u16) -> &Self {
        if self.status != status {
            panic!("expected status {status}, got:\n{self}\n{}", log_hint());
        }
        self
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}):\n{self}"))
    }

    /// Asserts a JSON success answer with `status` and returns its body.
    #[track_caller]
    pub fn ok_json(&self, status: u16) -> Value {
        self.expect_status(status);
        assert_eq!(
            self.content_type().as_deref(),
            Some("application/json"),
            "content type of:\n{self}"
        );
        self.json()
    }

    /// Asserts an RFC 9457 problem with this status and slug and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16, slug: &str) -> Problem {
        self.expect_status(status);
        assert_eq!(
            self.content_type().as_deref(),
            Some(PROBLEM_CONTENT_TYPE),
            "content type of:\n{self}"
        );
        let body = self.json();
        assert_eq!(
            body["type"].as_str(),
            Some(format!("{PROBLEM_BASE}{slug}").as_str()),
            "problem type of:\n{self}"
        );
        assert_eq!(body["status"].as_u64(), Some(u64::from(status)), "{self}");
        assert!(
            body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "a problem has a title:\n{self}"
        );
        assert!(
            body["detail"].is_string(),
            "a problem has a detail:\n{self}"
        );
        if let Some(errors) = body.get("errors") {
            let errors = errors
                .as_array()
                .unwrap_or_else(|| panic!("`errors` is a list:\n{self}"));
            for e in errors {
                assert!(
                    e["field"].is_string() && e["message"].is_string(),
                    "each error has a field and a message:\n{self}"
                );
            }
        }
        Problem {
            body,
            context: self.to_string(),
        }
    }

    /// A 400 `validation-failed` naming exactly `fields` (one entry each, in any order).
    #[track_caller]
    pub fn validation_failed(&self, fields: &[&str]) -> Problem {
        let problem = self.problem(400, "validation-failed");
        problem.assert_fields(fields);
        problem
    }

    /// A 400 `invalid-cursor` naming the cursor.
    #[track_caller]
    pub fn invalid_cursor(&self) -> Problem {
        let problem = self.problem(400, "invalid-cursor");
        problem.assert_fields(&["cursor"]);
        problem
    }

    /// The gateway's own 401, which is not problem+json: exactly `{"message":"Unauthorized"}`.
    #[track_caller]
    pub fn assert_unauthorized(&self) {
        self.expect_status(401);
        let body: Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("a 401 body is JSON ({e}):\n{self}"));
        assert_eq!(
            body,
            serde_json::json!({"message": "Unauthorized"}),
            "401 body of:\n{self}"
        );
    }

    /// The security headers every function response carries; `Cache-Control: no-store` is
    /// required on authenticated ones.
    #[track_caller]
    pub fn assert_security_headers(&self, authenticated: bool) {
        let hsts = self.header("strict-transport-security");
        assert!(
            hsts.is_some_and(|v| v.contains("max-age=")),
            "Strict-Transport-Security on:\n{self}"
        );
        assert_eq!(
            self.header("x-content-type-options"),
            Some("nosniff"),
            "{self}"
        );
        assert_eq!(self.header("x-frame-options"), Some("DENY"), "{self}");
        assert_eq!(
            self.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'"),
            "{self}"
        );
        assert_eq!(
            self.header("referrer-policy"),
            Some("no-referrer"),
            "{self}"
        );
        if authenticated {
            assert_eq!(self.header("cache-control"), Some("no-store"), "{self}");
        }
        assert!(
            self.header("server").is_none(),
            "no Server header on:\n{self}"
        );
    }
}

/// A parsed problem+json body.
pub struct Problem {
    pub body: Value,
    context: String,
}

impl Problem {
    /// The `field` of each `errors` entry, in order (empty when there is no `errors`).
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The message given for `field`.
    pub fn message_for(&self, field: &str) -> Option<String> {
        self.body["errors"].as_array().and_then(|errors| {
            errors
                .iter()
                .find(|e| e["field"] == field)
                .and_then(|e| e["message"].as_str().map(str::to_owned))
        })
    }

    /// `errors` names exactly these fields, each once, in any order.
    #[track_caller]
    pub fn assert_fields(&self, expected: &[&str]) {
        let mut actual = self.fields();
        actual.sort();
        let mut wanted: Vec<String> = expected.iter().map(|f| (*f).to_owned()).collect();
        wanted.sort();
        assert_eq!(
            actual, wanted,
            "fields named in `errors` of:\n{}",
            self.context
        );
    }

    /// `errors` is not empty and names only fields from `allowed`.
    #[track_caller]
    pub fn assert_fields_among(&self, allowed: &[&str]) {
        let fields = self.fields();
        assert!(
            !fields.is_empty(),
            "`errors` is empty in:\n{}",
            self.context
        );
        for field in &fields {
            assert!(
                allowed.contains(&field.as_str()),
                "unexpected field {field:?} (expected one of {allowed:?}) in:\n{}",
                self.context
            );
        }
    }
}

/// The methods an `Allow` header lists.
pub fn allowed_methods(resp: &Resp) -> BTreeSet<String> {
    resp.header("allow")
        .unwrap_or_else(|| panic!("a 405 carries Allow:\n{resp}"))
        .split(',')
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty())
        .collect()
}
