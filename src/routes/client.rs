//! Who sent a request, as the host sees it: the client's address, whether it came over HTTPS,
//! and the origin it was addressed to. The TCP peer decides, unless the peer is a trusted
//! reverse proxy (`--trusted-proxies`): then its `X-Forwarded-For`, `X-Forwarded-Proto` and
//! `X-Forwarded-Host` do. Forwarded headers from anyone else are ignored.
//!
//! actix's `connection_info()` believes forwarded headers from anybody, so it is never used.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::{HOST, HeaderMap};
use actix_web::web;
use ipnet::IpNet;

use super::AppState;

/// The client of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's address (`None` when the connection has no peer address).
    pub address: Option<IpAddr>,
    /// The request reached the host (or the trusted proxy in front of it) over HTTPS.
    pub https: bool,
    /// The host and port the request was addressed to (`Host`, or a trusted proxy's
    /// `X-Forwarded-Host`).
    pub authority: Option<String>,
}

impl Client {
    /// This host's own origin as the client sees it (`https://dash.example:8443`), lower-case
    /// and without the scheme's default port, or `None` without a `Host`.
    pub fn own_origin(&self) -> Option<String> {
        let scheme = if self.https { "https" } else { "http" };
        self.authority.as_deref().map(|authority| normalized_origin(scheme, authority))
    }
}

/// The client of `req`, with the trusted proxies of the running app.
pub fn client_of(req: &HttpRequest) -> Client {
    let proxies = req.app_data::<web::Data<AppState>>().map_or(&[][..], |app| &app.trusted_proxies[..]);
    resolve(req.peer_addr().map(|a| a.ip()), req.headers(), proxies)
}

/// Whether the request's TCP peer is one of the trusted reverse proxies.
pub fn from_trusted_proxy(req: &HttpRequest) -> bool {
    let proxies = req.app_data::<web::Data<AppState>>().map_or(&[][..], |app| &app.trusted_proxies[..]);
    req.peer_addr().is_some_and(|peer| is_trusted(peer.ip(), proxies))
}

/// The client's address as the audit log names it (`-` when unknown).
pub fn audit_address(req: &HttpRequest) -> String {
    client_of(req).address.map_or_else(|| "-".to_owned(), |a| a.to_string())
}

/// The request's User-Agent (empty when missing or not text); the host truncates it.
pub fn user_agent(req: &HttpRequest) -> String {
    let value = req.headers().get(actix_web::http::header::USER_AGENT);
    value.and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The client from the TCP peer and the headers, believing forwarded headers only from a
/// trusted proxy.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, proxies: &[IpNet]) -> Client {
    let direct = Client { address: peer, https: false, authority: header(headers, HOST.as_str()) };
    match peer {
        Some(peer) if is_trusted(peer, proxies) => Client {
            address: Some(forwarded_client(peer, headers, proxies)),
            https: header(headers, "x-forwarded-proto")
                .and_then(|proto| proto.rsplit(',').next().map(|p| p.trim().eq_ignore_ascii_case("https")))
                .unwrap_or(false),
            authority: header(headers, "x-forwarded-host")
                .and_then(|hosts| hosts.rsplit(',').next().map(|h| h.trim().to_owned()))
                .or(direct.authority),
        },
        _ => direct,
    }
}

fn is_trusted(address: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|range| range.contains(&canonical(address)))
}

/// An IPv4 address seen as IPv6 (`::ffff:127.0.0.1`, from a dual-stack socket) as plain IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// Walks `X-Forwarded-For` from the right (the hop nearest the host) past the trusted proxies;
/// the first address that is not one is the client. Entries left of it could be forged by the
/// client itself and are not read. A malformed entry stops the walk at the last trusted hop.
fn forwarded_client(peer: IpAddr, headers: &HeaderMap, proxies: &[IpNet]) -> IpAddr {
    let chain: Vec<String> = headers
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|hop| hop.trim().to_owned())
        .collect();
    let mut client = peer;
    for hop in chain.iter().rev() {
        let Ok(address) = hop.parse::<IpAddr>() else { break };
        client = canonical(address);
        if !is_trusted(client, proxies) {
            break;
        }
    }
    client
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// `scheme://authority`, lower-case, without the scheme's default port.
pub fn normalized_origin(scheme: &str, authority: &str) -> String {
    let scheme = scheme.to_ascii_lowercase();
    let authority = authority.trim().to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    format!("{scheme}://{authority}")
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        map
    }

    fn proxies(ranges: &[&str]) -> Vec<IpNet> {
        ranges.iter().map(|r| r.parse().unwrap()).collect()
    }

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 5));

    #[test]
    fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
        let forged =
            headers(&[("host", "dash.example"), ("x-forwarded-for", "1.2.3.4"), ("x-forwarded-proto", "https")]);
        let client = resolve(Some(PEER), &forged, &[]);
        assert_eq!(client.address, Some(PEER));
        assert!(!client.https);
        assert_eq!(client.own_origin().as_deref(), Some("http://dash.example"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_the_scheme() {
        let forwarded =
            headers(&[("host", "dash.example"), ("x-forwarded-for", "1.2.3.4"), ("x-forwarded-proto", "https")]);
        let client = resolve(Some(PEER), &forwarded, &proxies(&["10.0.0.0/8"]));
        assert_eq!(client.address, Some(IpAddr::from([1, 2, 3, 4])));
        assert!(client.https);
        assert_eq!(client.own_origin().as_deref(), Some("https://dash.example"));
    }

    #[test]
    fn addresses_the_client_put_in_front_of_the_chain_are_not_believed() {
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 1.2.3.4, 10.0.0.9")]);
        let client = resolve(Some(PEER), &chain, &proxies(&["10.0.0.0/8"]));
        assert_eq!(client.address, Some(IpAddr::from([1, 2, 3, 4])));
    }

    #[test]
    fn a_malformed_forwarded_address_leaves_the_last_trusted_hop() {
        let chain = headers(&[("x-forwarded-for", "nonsense")]);
        assert_eq!(resolve(Some(PEER), &chain, &proxies(&["10.0.0.0/8"])).address, Some(PEER));
    }

    #[test]
    fn origins_drop_the_default_port_and_case() {
        assert_eq!(normalized_origin("HTTPS", "Dash.Example:443"), "https://dash.example");
        assert_eq!(normalized_origin("http", "127.0.0.1:8501"), "http://127.0.0.1:8501");
    }
}
