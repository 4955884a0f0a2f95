//! Which hosts a load run may hit: loopback only, so that a typo can never aim this at a
//! deployed API or someone else's machine.

pub fn loopback_only(host: &str) -> Result<(), String> {
    let url = url::Url::parse(host).map_err(|e| format!("--host {host}: {e}"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!("--host {host}: only http(s) URLs"));
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(()),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Ok(()),
        Some(url::Host::Domain("localhost")) => Ok(()),
        _ => Err(format!(
            "refusing to load-test {host}: only loopback targets are allowed"
        )),
    }
}

/// The port of a loopback URL, to find the stack that listens on it.
pub fn port(host: &str) -> Option<u16> {
    url::Url::parse(host).ok()?.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_loopback_targets() {
        assert!(loopback_only("http://127.0.0.1:3000").is_ok());
        assert!(loopback_only("http://127.0.0.2:3000").is_ok());
        assert!(loopback_only("http://[::1]:3000").is_ok());
        assert!(loopback_only("http://localhost:3000").is_ok());
        assert!(loopback_only("http://10.0.0.1:3000").is_err());
        assert!(loopback_only("https://api.example.com").is_err());
        assert!(loopback_only("http://localhost.example.com").is_err());
        assert!(loopback_only("ftp://127.0.0.1").is_err());
        assert!(loopback_only("not a url").is_err());
        assert_eq!(port("http://127.0.0.1:3000"), Some(3000));
    }
}
