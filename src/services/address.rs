//! Which network addresses a call may reach. Loopback, private and link-local addresses (the
//! host itself, the intranet, a cloud's metadata service) are refused unless the operator allows
//! them; unspecified, broadcast and multicast addresses never make sense for a call.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, as words for the error message; `None` when it may be called.
pub fn refusal(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    let kind = match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_kind(v4),
            None => v6_kind(v6),
        },
    };
    match kind {
        Kind::Public => None,
        Kind::Private(_) if allow_private => None,
        Kind::Private(words) | Kind::Never(words) => Some(words),
    }
}

enum Kind {
    Public,
    /// Refused unless `allow_private`.
    Private(&'static str),
    /// Always refused.
    Never(&'static str),
}

fn v4_kind(ip: Ipv4Addr) -> Kind {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || a == 0 {
        Kind::Never("an unspecified, broadcast or multicast address")
    } else if ip.is_loopback() {
        Kind::Private("a loopback address")
    } else if ip.is_link_local() {
        Kind::Private("a link-local address")
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Kind::Private("a private address")
    } else {
        Kind::Public
    }
}

fn v6_kind(ip: Ipv6Addr) -> Kind {
    if ip.is_unspecified() || ip.is_multicast() {
        Kind::Never("an unspecified or multicast address")
    } else if ip.is_loopback() {
        Kind::Private("a loopback address")
    } else if ip.is_unicast_link_local() {
        Kind::Private("a link-local address")
    } else if ip.is_unique_local() {
        Kind::Private("a private address")
    } else {
        Kind::Public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str, allow_private: bool) -> bool {
        refusal(text.parse().unwrap(), allow_private).is_some()
    }

    #[test]
    fn loopback_private_and_link_local_addresses_are_refused_unless_allowed() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "::1"] {
            assert!(refused(ip, false), "{ip} is refused by default");
            assert!(!refused(ip, true), "{ip} is allowed with allow_private");
        }
        for ip in ["fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254"] {
            assert!(refused(ip, false), "{ip} is refused by default");
        }
    }

    #[test]
    fn public_addresses_pass_and_unspecified_or_multicast_never_do() {
        for ip in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"] {
            assert!(!refused(ip, false), "{ip} is public");
        }
        for ip in ["0.0.0.0", "255.255.255.255", "224.0.0.1", "::", "ff02::1"] {
            assert!(refused(ip, true), "{ip} is never called");
        }
    }
}
