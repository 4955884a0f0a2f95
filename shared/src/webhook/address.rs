//! Which IP addresses a webhook may reach on AWS: public unicast only. A channel URL is chosen by
//! a tenant, so without this filter it could aim the deliverer at the instance metadata service,
//! the VPC, or the function itself (server-side request forgery). The same test runs when a URL is
//! accepted and again, in the HTTP client's resolver, on every send (DNS can change in between).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a public unicast address, one a webhook may be sent to from AWS.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// Every IPv4 range IANA's special-purpose registry marks as not globally reachable, plus
/// multicast and the reserved 240/4.
fn is_public_v4(ip: Ipv4Addr) -> bool {
    const REFUSED: [(Ipv4Addr, u8); 17] = [
        (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network"
        (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
        (Ipv4Addr::new(100, 64, 0, 0), 10),   // carrier-grade NAT
        (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
        (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local, incl. instance metadata
        (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
        (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
        (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation
        (Ipv4Addr::new(192, 31, 196, 0), 24), // AS112
        (Ipv4Addr::new(192, 52, 193, 0), 24), // AMT
        (Ipv4Addr::new(192, 88, 99, 0), 24),  // deprecated 6to4 relay
        (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
        (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
        (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation
        (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation
        (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
        (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, and broadcast
    ];
    let bits = u32::from(ip);
    !REFUSED.iter().any(|(net, len)| {
        let mask = u32::MAX << (32 - u32::from(*len));
        bits & mask == u32::from(*net) & mask
    })
}

/// IPv6: global unicast (2000::/3) only, less its special ranges; addresses that embed an IPv4
/// address (mapped, compatible, NAT64, 6to4) are judged by the address they embed.
fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let bits = u128::from(ip);
    let in_net = |net: u128, len: u32| {
        let mask = u128::MAX << (128 - len);
        bits & mask == net & mask
    };
    // Everything outside 2000::/3 is loopback, unspecified, unique-local (fc00::/7, incl. the
    // EC2 metadata service's fd00:ec2::254), link-local, site-local, multicast or unassigned.
    if !in_net(0x2000_u128 << 112, 3) {
        return false;
    }
    const REFUSED: [(u128, u32); 4] = [
        (0x2001_0000_u128 << 96, 23), // IETF protocol assignments (Teredo, ORCHID, …)
        (0x2001_0db8_u128 << 96, 32), // documentation
        (0x3fff_0000_u128 << 96, 20), // documentation
        (0x2002_0000_u128 << 96, 16), // 6to4 whose embedded address was not recognised
    ];
    !REFUSED.iter().any(|(net, len)| in_net(*net, *len))
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
/// NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail()),
        // `::` and `::1` are not IPv4-compatible addresses; they map to 0.0.0.0/8 anyway,
        // which is refused, so reading them as such refuses them too.
        [0, 0, 0, 0, 0, 0, _, _] => Some(tail()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// Loopback, as the local stack's plain-http allowance understands it.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(raw: &str) -> bool {
        is_public(raw.parse().unwrap())
    }

    #[test]
    fn every_refused_ipv4_range_is_refused_at_both_ends() {
        for raw in [
            "0.0.0.0",
            "0.255.255.255",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.0",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "169.254.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.0.1",
            "192.168.255.255",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!public(raw), "{raw} must be refused");
        }
    }

    #[test]
    fn public_ipv4_neighbours_of_refused_ranges_pass() {
        for raw in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
        ] {
            assert!(public(raw), "{raw} is public");
        }
    }

    #[test]
    fn ipv6_special_ranges_are_refused() {
        for raw in [
            "::",
            "::1",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "2001:db8::1",
            "2001::1",
            "3fff::1",
            "64:ff9b:1::1",
            "4000::1",
        ] {
            assert!(!public(raw), "{raw} must be refused");
        }
        assert!(public("2606:4700:4700::1111"));
        assert!(public("2a00:1450:4001:80b::200e"));
    }

    #[test]
    fn embedded_ipv4_is_judged_by_the_address_it_embeds() {
        for raw in [
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::ffff:192.168.1.1",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(!public(raw), "{raw} must be refused");
        }
        for raw in ["::ffff:8.8.8.8", "64:ff9b::1.1.1.1", "2002:0808:0808::1"] {
            assert!(public(raw), "{raw} is public");
        }
    }

    #[test]
    fn loopback_includes_mapped_loopback() {
        for raw in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(raw.parse().unwrap()), "{raw}");
        }
        for raw in ["10.0.0.1", "::2", "0.0.0.0"] {
            assert!(!is_loopback(raw.parse().unwrap()), "{raw}");
        }
    }
}
