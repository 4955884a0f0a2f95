//! A channel's webhook URL, and the policy that decides which URLs a tenant may register.
//!
//! The URL is the tenant's input and the deliverer's target, so it is where server-side request
//! forgery would start: on AWS only https to public addresses is accepted, checked on the literal
//! host and on every address the name resolves to. The local stack additionally allows plain http
//! to loopback, where the test receiver listens.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Serialize, Serializer};
use url::{Host, Url};

use super::address::{is_loopback, is_public};
use crate::config::Config;

pub const MAX_URL_CHARS: usize = 2048;
/// A name that does not resolve in this long is refused rather than hold the request.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// Where the deliverer may send: set once per process from `Config::is_local()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlPolicy {
    /// The local stack: https anywhere, plain http to loopback, no address filtering.
    Local,
    /// AWS: https to public addresses only.
    Aws,
}

impl UrlPolicy {
    pub fn for_config(config: &Config) -> Self {
        if config.is_local() {
            UrlPolicy::Local
        } else {
            UrlPolicy::Aws
        }
    }

    /// Whether non-public addresses may be reached (the local stack only).
    pub fn allows_private_addresses(self) -> bool {
        self == UrlPolicy::Local
    }
}

/// An absolute https (or, locally, loopback http) URL without credentials or fragment. Kept as
/// the client wrote it, which is what the API shows back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    raw: String,
    parsed: Url,
}

impl WebhookUrl {
    /// The full check for a URL a tenant submits: its shape, then (on AWS) where it resolves to.
    pub async fn parse(raw: &str, policy: UrlPolicy) -> Result<Self, String> {
        let url = Self::parse_shape(raw, policy)?;
        if policy == UrlPolicy::Aws {
            if let Some(Host::Domain(name)) = url.parsed.host() {
                let port = url.parsed.port_or_known_default().unwrap_or(443);
                let addresses = resolve(name, port).await?;
                judge_resolved(&addresses)?;
            }
        }
        Ok(url)
    }

    /// Everything but name resolution: scheme, credentials, fragment, length, and a literal IP
    /// host's range.
    pub fn parse_shape(raw: &str, policy: UrlPolicy) -> Result<Self, String> {
        if raw.chars().count() > MAX_URL_CHARS {
            return Err(format!("must be at most {MAX_URL_CHARS} characters"));
        }
        // The URL parser silently drops tabs, newlines and surrounding spaces; what is shown
        // back must be what is used, so they are refused instead.
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain whitespace or control characters".into());
        }
        let parsed = Url::parse(raw).map_err(|_| "must be an absolute URL".to_string())?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("must not contain credentials".into());
        }
        if parsed.fragment().is_some() {
            return Err("must not contain a fragment".into());
        }
        let host = parsed
            .host()
            .ok_or_else(|| "must have a host".to_string())?;
        match (parsed.scheme(), policy) {
            ("https", _) => {}
            ("http", UrlPolicy::Local) if is_loopback_host(&host) => {}
            ("http", UrlPolicy::Local) => {
                return Err("must be https (plain http only to loopback)".into())
            }
            _ => return Err("must be https".into()),
        }
        if policy == UrlPolicy::Aws {
            match host {
                Host::Ipv4(ip) if !is_public(IpAddr::V4(ip)) => return Err(not_public()),
                Host::Ipv6(ip) if !is_public(IpAddr::V6(ip)) => return Err(not_public()),
                Host::Domain(name) if is_localhost_name(name) => return Err(not_public()),
                _ => {}
            }
        }
        Ok(Self {
            raw: raw.to_owned(),
            parsed,
        })
    }

    /// Reads back a URL this type accepted earlier; storage is trusted, and the sender checks the
    /// addresses again anyway.
    pub fn from_stored(raw: &str) -> Result<Self, String> {
        let parsed = Url::parse(raw).map_err(|e| e.to_string())?;
        Ok(Self {
            raw: raw.to_owned(),
            parsed,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub(crate) fn url(&self) -> &Url {
        &self.parsed
    }

    /// The host when it is an IP literal: such a URL never reaches the HTTP client's resolver.
    pub(crate) fn literal_ip(&self) -> Option<IpAddr> {
        match self.parsed.host()? {
            Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            Host::Domain(_) => None,
        }
    }
}

impl Serialize for WebhookUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

fn not_public() -> String {
    "must not point at a private, loopback, link-local or otherwise non-public address".into()
}

fn is_localhost_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => is_loopback(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => is_loopback(IpAddr::V6(*ip)),
        Host::Domain(name) => is_localhost_name(name),
    }
}

async fn resolve(name: &str, port: u16) -> Result<Vec<IpAddr>, String> {
    let lookup = tokio::net::lookup_host((name, port));
    match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
        Ok(Ok(addresses)) => Ok(addresses.map(|a| a.ip()).collect()),
        Ok(Err(_)) | Err(_) => Err("the host name does not resolve".into()),
    }
}

/// Every address must be public: a name with one private address among public ones is an
/// attacker's rebinding setup, not an accident.
fn judge_resolved(addresses: &[IpAddr]) -> Result<(), String> {
    if addresses.is_empty() {
        return Err("the host name does not resolve".into());
    }
    if addresses.iter().all(|ip| is_public(*ip)) {
        Ok(())
    } else {
        Err(not_public())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(raw: &str, policy: UrlPolicy) -> Result<WebhookUrl, String> {
        WebhookUrl::parse_shape(raw, policy)
    }

    #[test]
    fn https_to_a_public_host_is_accepted_as_written() {
        for policy in [UrlPolicy::Aws, UrlPolicy::Local] {
            let url = shape("https://hooks.example.com/in?x=1", policy).unwrap();
            assert_eq!(url.as_str(), "https://hooks.example.com/in?x=1");
            assert!(shape("https://8.8.8.8:8443/hook", policy).is_ok());
            assert!(shape("https://[2606:4700:4700::1111]/hook", policy).is_ok());
        }
        assert_eq!(
            serde_json::to_string(&shape("https://a.example", UrlPolicy::Aws).unwrap()).unwrap(),
            r#""https://a.example""#
        );
    }

    #[test]
    fn plain_http_only_to_loopback_and_only_locally() {
        for raw in [
            "http://127.0.0.1:9000/hook",
            "http://localhost:9000/hook",
            "http://[::1]:9000/hook",
            "http://127.3.2.1/hook",
        ] {
            assert!(shape(raw, UrlPolicy::Local).is_ok(), "{raw}");
            assert!(shape(raw, UrlPolicy::Aws).is_err(), "{raw}");
        }
        for raw in [
            "http://example.com/hook",
            "http://10.0.0.1/hook",
            "http://8.8.8.8/hook",
            "http://localhost.example.com/",
        ] {
            assert!(shape(raw, UrlPolicy::Local).is_err(), "{raw}");
            assert!(shape(raw, UrlPolicy::Aws).is_err(), "{raw}");
        }
    }

    #[test]
    fn other_schemes_credentials_fragments_and_relative_urls_are_refused() {
        for raw in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "gopher://example.com/",
            "https://user@example.com/",
            "https://user:pw@example.com/",
            "https://:pw@example.com/",
            "https://example.com/#frag",
            "https://example.com/#",
            "/relative",
            "example.com/hook",
            "",
            " https://example.com/",
            "https://example.com/a\tb",
            "https://exa\nmple.com/",
        ] {
            for policy in [UrlPolicy::Aws, UrlPolicy::Local] {
                assert!(shape(raw, policy).is_err(), "{raw:?}");
            }
        }
    }

    #[test]
    fn length_is_capped() {
        let base = "https://example.com/";
        let ok = format!("{base}{}", "a".repeat(MAX_URL_CHARS - base.len()));
        assert!(shape(&ok, UrlPolicy::Aws).is_ok());
        let long = format!("{ok}a");
        assert!(shape(&long, UrlPolicy::Aws).is_err());
    }

    #[test]
    fn on_aws_literal_non_public_hosts_are_refused_in_every_spelling() {
        for raw in [
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            "https://[::1]/",
            "https://[fd00:ec2::254]/",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:a9fe:a9fe]/",
            // Legacy IPv4 spellings the URL parser normalises.
            "https://0x7f.0.0.1/",
            "https://2130706433/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://localhost/",
            "https://LOCALHOST./",
            "https://api.localhost/",
        ] {
            assert!(shape(raw, UrlPolicy::Aws).is_err(), "{raw}");
            // Locally, https anywhere is fine: the receiver runs on loopback.
            assert!(shape(raw, UrlPolicy::Local).is_ok(), "{raw}");
        }
    }

    #[test]
    fn a_name_must_resolve_to_public_addresses_only() {
        let ip = |raw: &str| raw.parse::<IpAddr>().unwrap();
        assert!(judge_resolved(&[ip("93.184.216.34"), ip("2606:2800::1")]).is_ok());
        assert!(judge_resolved(&[]).is_err());
        assert!(judge_resolved(&[ip("93.184.216.34"), ip("10.0.0.1")]).is_err());
        assert!(judge_resolved(&[ip("::ffff:192.168.0.1")]).is_err());
    }

    #[tokio::test]
    async fn on_aws_a_name_resolving_to_loopback_is_refused() {
        // `localhost` is refused by name already; a literal-free loopback name needs DNS,
        // which unit tests must not depend on, so the resolution path is exercised through
        // a name every resolver answers from its hosts file.
        assert!(WebhookUrl::parse("https://localhost/", UrlPolicy::Aws)
            .await
            .is_err());
        assert!(WebhookUrl::parse("http://localhost:1/", UrlPolicy::Local)
            .await
            .is_ok());
        assert!(
            WebhookUrl::parse("https://no-such-host.invalid/", UrlPolicy::Aws)
                .await
                .is_err()
        );
    }

    #[test]
    fn stored_urls_are_read_back_as_they_were() {
        let url = WebhookUrl::from_stored("http://127.0.0.1:9000/hook").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9000/hook");
        assert_eq!(url.literal_ip(), Some("127.0.0.1".parse().unwrap()));
    }
}
