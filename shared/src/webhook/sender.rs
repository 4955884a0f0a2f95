//! The HTTP client that delivers webhooks: one per process, built at cold start.
//!
//! It follows no redirect (a 3xx is a failed attempt, and following one would let a receiver
//! bounce the deliverer to an internal address), gives each attempt 10 s in all, ignores proxy
//! variables, and, on AWS, resolves names through [`PublicOnly`], which drops every non-public
//! address: a name that passed the check when the channel was saved can point elsewhere by now.
//!
//! It trusts Mozilla's root list as compiled into `webpki-root-certs`, not the system's CA store:
//! reqwest's default verifier reads and parses the whole store (and, where `SSL_CERT_DIR` is set,
//! every file in that directory) while the client is built, which is inside the cold start. An
//! strace of the deliverer's init showed that read; it was the one step the request functions
//! do not take, and their init was about 4.7 ms against the deliverer's 10.6. The list is the
//! same public set a browser trusts, and a receiver's certificate is verified as strictly.

use std::error::Error as StdError;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use serde::Serialize;
use serde_json::Value;

use super::address::is_public;
use super::retry::{parse_retry_after, Verdict};
use super::signing::{signature_header, SigningSecret};
use super::url::WebhookUrl;
use crate::domain::ids::WebhookId;
use crate::domain::time::Timestamp;

/// Each attempt's whole budget: connect, TLS, request, and the answer's headers.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
pub const USER_AGENT: &str = concat!("ofauto-webhooks/", env!("CARGO_PKG_VERSION"));

/// The body of every webhook: `{type, timestamp, data}`.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery<'a> {
    #[serde(rename = "type")]
    pub message_type: &'a str,
    pub timestamp: Timestamp,
    pub data: &'a Value,
}

/// What one attempt did. `error` is for the attempt record the tenant reads: it never holds a
/// secret, and never the URL (which may carry a token of the receiver's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    pub at: Timestamp,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
    pub verdict: Verdict,
    /// The receiver's `Retry-After`, capped, when the attempt may be retried.
    pub retry_after: Option<Duration>,
}

/// Mozilla's roots, as certificates reqwest accepts. A DER that reqwest refused would be a
/// broken build of the list; skipping it only narrows what is trusted.
fn public_roots() -> impl Iterator<Item = reqwest::Certificate> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der).ok())
}

#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    allow_private: bool,
}

impl WebhookSender {
    /// `allow_local_http` is `Config::is_local()`: the local stack delivers to its receiver on
    /// loopback, which AWS must never reach.
    pub fn new(allow_local_http: bool) -> Self {
        Self::try_new(allow_local_http).expect("the webhook HTTP client must build at cold start")
    }

    pub fn try_new(allow_local_http: bool) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(ATTEMPT_TIMEOUT)
            .no_proxy()
            .user_agent(USER_AGENT)
            .tls_certs_only(public_roots());
        if !allow_local_http {
            builder = builder.https_only(true).dns_resolver(PublicOnly);
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            allow_private: allow_local_http,
        })
    }

    /// Signs and posts one message. Never fails: every way it can go wrong is an outcome.
    pub async fn send(
        &self,
        url: &WebhookUrl,
        id: &WebhookId,
        message_type: &str,
        data: Value,
        keys: &[SigningSecret],
    ) -> AttemptOutcome {
        let at = Timestamp::now();
        let started = Instant::now();
        let refused = |error: String, verdict| AttemptOutcome {
            at,
            status_code: None,
            latency_ms: 0,
            error: Some(error),
            verdict,
            retry_after: None,
        };
        if !self.allow_private {
            // A literal IP never reaches the resolver, so it is checked here.
            if url.literal_ip().is_some_and(|ip| !is_public(ip)) || url.url().scheme() != "https" {
                return refused(
                    "the URL's address is not allowed".into(),
                    Verdict::Permanent,
                );
            }
        }
        let body = match serde_json::to_vec(&Delivery {
            message_type,
            timestamp: at,
            data: &data,
        }) {
            Ok(body) => body,
            Err(e) => return refused(format!("could not encode: {e}"), Verdict::Permanent),
        };
        let timestamp = i64::try_from(at.millis() / 1000).unwrap_or(i64::MAX);
        let signature = match signature_header(id.as_str(), timestamp, &body, keys) {
            Ok(signature) => signature,
            Err(e) => return refused(e, Verdict::Retryable),
        };
        let sent = self
            .client
            .post(url.url().clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("webhook-id", id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let verdict = Verdict::of_status(status);
                let retry_after = match verdict {
                    Verdict::Retryable => response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now())),
                    _ => None,
                };
                AttemptOutcome {
                    at,
                    status_code: Some(status),
                    latency_ms,
                    error: (verdict != Verdict::Delivered).then(|| format!("HTTP {status}")),
                    verdict,
                    retry_after,
                }
            }
            Err(error) => AttemptOutcome {
                at,
                status_code: None,
                latency_ms,
                error: Some(describe(&error)),
                verdict: Verdict::Retryable,
                retry_after: None,
            },
        }
    }
}

/// A short, URL-free description of a transport failure.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("timeout after {} s", ATTEMPT_TIMEOUT.as_secs());
    }
    let mut source: Option<&(dyn StdError + 'static)> = error.source();
    while let Some(cause) = source {
        if cause.downcast_ref::<NoPublicAddress>().is_some() {
            return NoPublicAddress.to_string();
        }
        source = cause.source();
    }
    if error.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}

/// Resolves with the system resolver, then keeps public addresses only.
#[derive(Debug, Clone, Copy)]
struct PublicOnly;

#[derive(Debug)]
struct NoPublicAddress;

impl fmt::Display for NoPublicAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the host resolves to no public address")
    }
}

impl StdError for NoPublicAddress {}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = resolved.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(NoPublicAddress) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::url::UrlPolicy;
    use standardwebhooks::Webhook;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    #[test]
    fn trusts_every_root_of_the_public_list_and_nothing_from_the_system() {
        let roots = public_roots().count();
        assert_eq!(roots, webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(
            roots > 100,
            "Mozilla's list has well over 100 roots, got {roots}"
        );
        assert!(
            WebhookSender::try_new(false).is_ok(),
            "builds on those roots alone"
        );
    }

    /// What the one-shot test receiver saw.
    struct Seen {
        head: String,
        body: Vec<u8>,
    }

    impl Seen {
        fn header(&self, name: &str) -> Option<String> {
            self.head.lines().find_map(|line| {
                let (k, v) = line.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
        }
    }

    /// A receiver on loopback that answers one request with `answer` (a raw status line and
    /// headers) and hands back what it received.
    async fn receiver(answer: &'static str) -> (String, tokio::task::JoinHandle<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, body_start) = loop {
                let n = socket.read(&mut chunk).await.unwrap();
                buffer.extend_from_slice(&chunk[..n]);
                if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    break (
                        String::from_utf8_lossy(&buffer[..end]).into_owned(),
                        end + 4,
                    );
                }
            };
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            while buffer.len() < body_start + length {
                let n = socket.read(&mut chunk).await.unwrap();
                buffer.extend_from_slice(&chunk[..n]);
            }
            socket
                .write_all(format!("{answer}\r\ncontent-length: 0\r\n\r\n").as_bytes())
                .await
                .unwrap();
            Seen {
                head,
                body: buffer[body_start..body_start + length].to_vec(),
            }
        });
        (url, task)
    }

    fn local_url(raw: &str) -> WebhookUrl {
        WebhookUrl::parse_shape(raw, UrlPolicy::Local).unwrap()
    }

    #[tokio::test]
    async fn a_delivery_is_signed_for_every_key_and_carries_the_standard_headers() {
        let (url, seen) = receiver("HTTP/1.1 204 No Content").await;
        let keys = [SigningSecret::generate(), SigningSecret::generate()];
        let id = WebhookId::generate();
        let outcome = WebhookSender::new(true)
            .send(
                &local_url(&url),
                &id,
                "channel.test",
                serde_json::json!({"hello": "world"}),
                &keys,
            )
            .await;
        assert_eq!(outcome.verdict, Verdict::Delivered);
        assert_eq!(outcome.status_code, Some(204));
        assert_eq!(outcome.error, None);
        let seen = seen.await.unwrap();
        assert!(seen.head.starts_with("POST /hook HTTP/1.1"));
        assert_eq!(seen.header("content-type").unwrap(), "application/json");
        assert_eq!(seen.header("user-agent").unwrap(), USER_AGENT);
        assert_eq!(seen.header("webhook-id").unwrap(), id.as_str());
        let body: Value = serde_json::from_slice(&seen.body).unwrap();
        assert_eq!(body["type"], "channel.test");
        assert_eq!(body["data"], serde_json::json!({"hello": "world"}));
        assert_eq!(body["timestamp"], outcome.at.to_rfc3339());
        let mut headers = http::HeaderMap::new();
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            headers.insert(name, seen.header(name).unwrap().parse().unwrap());
        }
        assert_eq!(
            seen.header("webhook-signature").unwrap().split(' ').count(),
            2
        );
        for key in &keys {
            Webhook::new(key.expose())
                .unwrap()
                .verify(&seen.body, &headers)
                .unwrap();
        }
    }

    #[tokio::test]
    async fn redirects_are_not_followed_and_retry_after_is_read() {
        let (url, seen) = receiver("HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/").await;
        let sender = WebhookSender::new(true);
        let keys = [SigningSecret::generate()];
        let outcome = sender
            .send(
                &local_url(&url),
                &WebhookId::generate(),
                "t",
                Value::Null,
                &keys,
            )
            .await;
        seen.await.unwrap();
        assert_eq!(outcome.status_code, Some(302));
        assert_eq!(outcome.verdict, Verdict::Retryable);
        assert_eq!(outcome.error.as_deref(), Some("HTTP 302"));

        let (url, seen) = receiver("HTTP/1.1 503 Service Unavailable\r\nretry-after: 2").await;
        let outcome = sender
            .send(
                &local_url(&url),
                &WebhookId::generate(),
                "t",
                Value::Null,
                &keys,
            )
            .await;
        seen.await.unwrap();
        assert_eq!(outcome.verdict, Verdict::Retryable);
        assert_eq!(outcome.retry_after, Some(Duration::from_secs(2)));

        let (url, seen) = receiver("HTTP/1.1 410 Gone").await;
        let outcome = sender
            .send(
                &local_url(&url),
                &WebhookId::generate(),
                "t",
                Value::Null,
                &keys,
            )
            .await;
        seen.await.unwrap();
        assert_eq!(outcome.verdict, Verdict::Gone);
        assert_eq!(outcome.error.as_deref(), Some("HTTP 410"));
    }

    #[tokio::test]
    async fn a_refused_connection_is_retryable() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let outcome = WebhookSender::new(true)
            .send(
                &local_url(&url),
                &WebhookId::generate(),
                "t",
                Value::Null,
                &[SigningSecret::generate()],
            )
            .await;
        assert_eq!(outcome.verdict, Verdict::Retryable);
        assert_eq!(outcome.status_code, None);
        assert_eq!(outcome.error.as_deref(), Some("connection failed"));
    }

    #[tokio::test]
    async fn on_aws_non_public_targets_are_never_contacted() {
        let sender = WebhookSender::new(false);
        let keys = [SigningSecret::generate()];
        for raw in [
            "https://127.0.0.1/",
            "https://169.254.169.254/",
            "https://[::ffff:10.0.0.1]/",
            "http://8.8.8.8/",
        ] {
            let outcome = sender
                .send(
                    &WebhookUrl::from_stored(raw).unwrap(),
                    &WebhookId::generate(),
                    "t",
                    Value::Null,
                    &keys,
                )
                .await;
            assert_eq!(outcome.verdict, Verdict::Permanent, "{raw}");
            assert_eq!(outcome.status_code, None, "{raw}");
        }
        // A name resolving to loopback is dropped by the resolver.
        let outcome = sender
            .send(
                &local_url("https://localhost:9/"),
                &WebhookId::generate(),
                "t",
                Value::Null,
                &keys,
            )
            .await;
        assert_eq!(outcome.verdict, Verdict::Retryable);
        assert_eq!(
            outcome.error.as_deref(),
            Some("the host resolves to no public address")
        );
    }
}
