//! Cross-origin policy. A bearer-token API is not exposed to classic CSRF, but a token kept in a
//! browser can still be ridden by a hostile page through a permissive CORS setup, so mutations
//! from an origin outside the allowlist are refused outright, and only allowlisted origins ever
//! see `Access-Control-Allow-Origin`.

pub const ALLOWED_METHODS: &str = "GET, POST, PATCH, DELETE, OPTIONS";
pub const ALLOWED_HEADERS: &str = "authorization, content-type, idempotency-key";
pub const EXPOSED_HEADERS: &str = "location, ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after, idempotency-replayed";
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

/// One allowlist entry: an exact origin, or `scheme://host:*` for any port of that host.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OriginPattern {
    Exact(String),
    AnyPort { scheme_host: String },
}

impl OriginPattern {
    fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim().trim_end_matches('/');
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| format!("`{raw}` is not an origin like https://app.example.com"))?;
        if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains('/') {
            return Err(format!(
                "`{raw}` is not an origin like https://app.example.com"
            ));
        }
        if let Some(host) = rest.strip_suffix(":*") {
            return Ok(Self::AnyPort {
                scheme_host: format!("{scheme}://{host}"),
            });
        }
        if rest.contains('*') {
            return Err(format!("`{raw}`: only a whole port may be a wildcard"));
        }
        Ok(Self::Exact(raw.to_ascii_lowercase()))
    }

    fn matches(&self, origin: &str) -> bool {
        match self {
            Self::Exact(exact) => origin.eq_ignore_ascii_case(exact),
            Self::AnyPort { scheme_host } => {
                let lower = origin.to_ascii_lowercase();
                lower == *scheme_host
                    || lower
                        .strip_prefix(scheme_host.as_str())
                        .and_then(|rest| rest.strip_prefix(':'))
                        .is_some_and(|port| {
                            !port.is_empty()
                                && port.len() <= 5
                                && port.bytes().all(|b| b.is_ascii_digit())
                        })
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsPolicy {
    allowed: Vec<OriginPattern>,
}

impl CorsPolicy {
    /// A comma-separated allowlist, as `CORS_ALLOWED_ORIGINS` gives it (`config` reads it, and
    /// knows the default when it is unset); empty allows no browser origin at all.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let allowed = raw
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(OriginPattern::parse)
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed })
    }

    pub fn allows(&self, origin: &str) -> bool {
        self.allowed.iter().any(|p| p.matches(origin))
    }
}

/// Anything but a safe method may change state, whatever its spelling; such requests are
/// refused from a foreign origin.
pub fn is_mutation(method: &str) -> bool {
    !matches!(
        method.to_ascii_uppercase().as_str(),
        "GET" | "HEAD" | "OPTIONS"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_any_port() {
        let policy = CorsPolicy::parse("http://localhost:*").unwrap();
        assert!(policy.allows("http://localhost:5173"));
        assert!(policy.allows("http://LOCALHOST:8080"));
        assert!(policy.allows("http://localhost"));
        for denied in [
            "https://localhost:5173",
            "http://localhost.evil.com",
            "http://localhost:5173.evil.com",
            "http://evil.com",
            "null",
            "http://localhost:",
        ] {
            assert!(!policy.allows(denied), "{denied}");
        }
    }

    #[test]
    fn every_unsafe_method_is_a_mutation_in_any_case() {
        for method in ["POST", "post", "Put", "PATCH", "delete", "PURGE"] {
            assert!(is_mutation(method), "{method}");
        }
        for method in ["GET", "get", "HEAD", "OPTIONS"] {
            assert!(!is_mutation(method), "{method}");
        }
    }

    #[test]
    fn exact_origins_and_bad_entries() {
        let policy =
            CorsPolicy::parse("https://app.example.com, https://admin.example.com/").unwrap();
        assert!(policy.allows("https://app.example.com"));
        assert!(policy.allows("https://admin.example.com"));
        assert!(!policy.allows("https://app.example.com.evil.io"));
        assert!(CorsPolicy::parse("*.example.com").is_err());
        assert!(CorsPolicy::parse("https://*.example.com").is_err());
        assert!(CorsPolicy::parse("ftp://x").is_err());
        assert!(CorsPolicy::parse("").unwrap().allowed.is_empty());
    }
}
