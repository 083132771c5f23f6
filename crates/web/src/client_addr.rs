//! The client's address behind a reverse proxy.
//!
//! Login throttling and the team sessions' per-address limits key on the client's address. Behind a reverse
//! proxy every connection comes from the proxy, so every school would share one key. When the operator names
//! the proxies (`trusted_proxies`), a request whose connection comes from one of them is taken to be from the
//! address the proxies put in `X-Forwarded-For`: the right-most entry that is not itself a trusted proxy. Entries
//! to the left of it were written by the client and are never believed. Without the setting, or from any other
//! peer, the header is ignored: anyone can send it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};

/// Addresses and networks whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// Parses addresses (`10.0.0.5`, `::1`) and networks (`10.0.0.0/8`, `fd00::/8`); an error names the entry.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for entry in entries.into_iter().map(str::trim).filter(|e| !e.is_empty()) {
            let bad =
                || format!("trusted proxy '{entry}' is not an address or network, such as 10.0.0.5 or 10.0.0.0/8");
            let (ip, bits) = match entry.split_once('/') {
                Some((ip, bits)) => (ip.parse::<IpAddr>().map_err(|_| bad())?, bits.parse::<u8>().map_err(|_| bad())?),
                None => {
                    let ip = entry.parse::<IpAddr>().map_err(|_| bad())?;
                    (ip, max_bits(ip))
                }
            };
            if bits > max_bits(ip) {
                return Err(bad());
            }
            // Everybody as a proxy would let every client choose its own address.
            if bits == 0 {
                return Err(format!("trusted proxy '{entry}' would trust every address; name the proxies themselves"));
            }
            // An IPv4 address written as IPv6 (::ffff:10.0.0.0/104) is compared as IPv4.
            let (ip, bits) = match ip {
                IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() && bits >= 96 => (ip.to_canonical(), bits - 96),
                _ => (ip, bits),
            };
            if bits == 0 {
                return Err(format!("trusted proxy '{entry}' would trust every address; name the proxies themselves"));
            }
            nets.push((ip, bits));
        }
        Ok(TrustedProxies { nets })
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies (an IPv4 address mapped into IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|&(net, bits)| same_prefix(net, ip, bits))
    }

    /// The client's address for a connection from `peer` with these `X-Forwarded-For` values.
    pub fn client<'a>(&self, peer: SocketAddr, forwarded_for: impl DoubleEndedIterator<Item = &'a [u8]>) -> SocketAddr {
        if !self.contains(peer.ip()) {
            return peer;
        }
        // From the right: each trusted hop tells who connected to it. The first one that is not a trusted proxy
        // is the client. Something that is not an address stops the walk at the last hop known to be good.
        let mut client = peer.ip();
        // Bytes, not text: a byte the client put to the left must not make the proxies' entries unreadable.
        for entry in forwarded_for.rev().flat_map(|v| v.rsplit(|b| *b == b',')) {
            let Some(ip) = std::str::from_utf8(entry).ok().and_then(parse_entry) else { break };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        SocketAddr::new(client.to_canonical(), 0)
    }
}

/// The address a limit counts under: an IPv4 address itself, an IPv6 address by its /64 (one subscriber
/// usually holds a whole /64 and can pick any address in it, so per-address limits would not hold).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

fn max_bits(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

fn same_prefix(net: IpAddr, ip: IpAddr, bits: u8) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// One `X-Forwarded-For` entry: an address, an IPv6 address in brackets, either with a port.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// Replaces the connection's address by the client's when the connection comes from a trusted proxy, so every
/// handler that asks for `ConnectInfo` gets the client (part of [`crate::edge`]).
pub fn use_client_address(proxies: &TrustedProxies, request: &mut Request) {
    if !proxies.is_empty()
        && let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied()
    {
        let values: Vec<&[u8]> = request.headers().get_all("x-forwarded-for").iter().map(|v| v.as_bytes()).collect();
        let client = proxies.client(peer, values.into_iter());
        request.extensions_mut().insert(ConnectInfo(client));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries.iter().copied()).unwrap()
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 40000)
    }

    fn client(p: &TrustedProxies, from: &str, headers: &[&str]) -> String {
        p.client(peer(from), headers.iter().map(|h| h.as_bytes())).ip().to_string()
    }

    #[test]
    fn entries_are_addresses_or_networks() {
        assert!(TrustedProxies::parse(["10.0.0.5", " 10.0.0.0/8 ", "::1", "fd00::/8", ""]).is_ok());
        for bad in
            ["10.0.0", "10.0.0.0/33", "::/129", "proxy.example", "10.0.0.0/x", "0.0.0.0/0", "::/0", "::ffff:0.0.0.0/96"]
        {
            let err = TrustedProxies::parse([bad]).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn networks_match_by_prefix() {
        assert!(proxies(&["0.0.0.0/1"]).contains("98.51.100.1".parse().unwrap()));
        assert!(proxies(&["::ffff:10.0.0.0/104"]).contains("10.200.0.1".parse().unwrap()), "a mapped entry is IPv4");
        let only = proxies(&["10.1.0.0/16", "192.0.2.7", "fd00::/8"]);
        for (ip, trusted) in [
            ("10.1.200.3", true),
            ("10.2.0.1", false),
            ("192.0.2.7", true),
            ("192.0.2.8", false),
            ("fd12::1", true),
            ("fe80::1", false),
            ("::ffff:10.1.0.9", true),
        ] {
            assert_eq!(only.contains(ip.parse().unwrap()), trusted, "{ip}");
        }
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(client(&none, "127.0.0.1", &["203.0.113.9"]), "127.0.0.1", "no setting: the header is ignored");
        let p = proxies(&["10.0.0.2"]);
        assert_eq!(client(&p, "198.51.100.4", &["203.0.113.9"]), "198.51.100.4", "from anyone else: ignored");
        assert_eq!(client(&p, "10.0.0.2", &["203.0.113.9"]), "203.0.113.9");
        assert_eq!(client(&p, "10.0.0.2", &[]), "10.0.0.2", "no header: the proxy itself");
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let p = proxies(&["10.0.0.0/8"]);
        // The client wrote the first entry itself; the proxies added the rest.
        assert_eq!(client(&p, "10.0.0.2", &["1.2.3.4, 203.0.113.9, 10.0.0.7"]), "203.0.113.9");
        assert_eq!(client(&p, "10.0.0.2", &["1.2.3.4", "203.0.113.9, 10.0.0.7"]), "203.0.113.9", "several headers");
        assert_eq!(client(&p, "10.0.0.2", &["10.0.0.9, 10.0.0.7"]), "10.0.0.9", "all hops trusted: the first");
        assert_eq!(client(&p, "10.0.0.2", &["203.0.113.9:5123"]), "203.0.113.9", "with a port");
        assert_eq!(client(&p, "10.0.0.2", &["[2001:db8::5]:443"]), "2001:db8::5");
        assert_eq!(client(&p, "10.0.0.2", &["203.0.113.9, garbage"]), "10.0.0.2", "not an address: stop at the proxy");
        assert_eq!(client(&p, "10.0.0.2", &["garbage, 10.0.0.7"]), "10.0.0.7");
        assert_eq!(client(&p, "::ffff:10.0.0.2", &["203.0.113.9"]), "203.0.113.9", "a mapped IPv4 peer");
        let odd = [b"\xff, 203.0.113.9, 10.0.0.7".as_slice()];
        assert_eq!(
            p.client(peer("10.0.0.2"), odd.into_iter()).ip().to_string(),
            "203.0.113.9",
            "not UTF-8 on the left"
        );
    }

    #[test]
    fn limits_count_ipv6_by_its_64() {
        let key = |ip: &str| limit_key(ip.parse().unwrap()).to_string();
        assert_eq!(key("203.0.113.9"), "203.0.113.9");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::ffff:192.0.2.1"), "192.0.2.1");
    }
}
