//! The client-address resolver never panics, and what it returns is an
//! address the request named: the peer itself when the peer is not a trusted
//! proxy, otherwise one of the addresses in the forwarding header it reads,
//! or none.
//!
//! And the property a proxy deployment rests on: when trusted proxies
//! append the address they received a request from after whatever the
//! client sent (on the same header line or on one of their own), the
//! result is the client's real address or none, never one the client
//! wrote; with `X-Forwarded-For`, always the real address.
#![no_main]

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use authlink_fuzz::fixtures::forwarded_entry;
use authlink::web::{ForwardedHeader, MAX_FORWARDED_HOPS, TrustedProxies};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

static TRUSTED: LazyLock<TrustedProxies> = LazyLock::new(|| {
    "10.0.0.0/8, 127.0.0.1, 2001:db8::/32"
        .parse()
        .unwrap_or_else(|err| panic!("{err}"))
});

#[derive(Arbitrary, Debug)]
enum Peer {
    /// 10.0.0.n, a trusted proxy.
    Proxy(u8),
    V4([u8; 4]),
    V6([u8; 16]),
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    peer: Option<Peer>,
    rfc7239: bool,
    /// Header lines: (is it the header being read, its raw value).
    lines: Vec<(bool, &'a [u8])>,
    /// Proxies appending after the client's lines, in place of `peer`.
    proxies: Option<Appended>,
}

/// A client and the chain of trusted proxies its request went through.
#[derive(Arbitrary, Debug)]
struct Appended {
    client: Peer,
    /// Each hop: the proxy 10.0.0.n, whether it writes a header line of its
    /// own, and the port it writes, if any.
    hops: Vec<(u8, bool, Option<u16>)>,
}

/// The client address of a request from `peer` with `headers`.
fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &TrustedProxies) -> Option<IpAddr> {
    let values = headers.get_all(trusted.header_name()).iter();
    authlink::web::client_ip(peer, values.map(HeaderValue::as_bytes), trusted)
}

fn peer_ip(peer: Peer) -> IpAddr {
    match peer {
        Peer::Proxy(n) => IpAddr::V4(Ipv4Addr::new(10, 0, 0, n)),
        Peer::V4(octets) => IpAddr::V4(octets.into()),
        Peer::V6(octets) => IpAddr::V6(Ipv6Addr::from(octets)),
    }
}

/// Every address any part of `value` spells, as the resolver might read it:
/// maximal runs of address characters, with and without a trailing `:port`.
fn addresses_in(value: &str) -> impl Iterator<Item = IpAddr> + '_ {
    value
        .split(|c: char| !(c.is_ascii_hexdigit() || c == ':' || c == '.'))
        .flat_map(|token| {
            let without_port = token.rsplit_once(':').map(|(host, _)| host);
            [Some(token), without_port]
        })
        .flatten()
        .filter_map(|text| text.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

fuzz_target!(|input: Input<'_>| {
    let header = if input.rfc7239 {
        ForwardedHeader::Forwarded
    } else {
        ForwardedHeader::XForwardedFor
    };
    let read = HeaderName::from_static(if input.rfc7239 {
        "forwarded"
    } else {
        "x-forwarded-for"
    });
    let other = HeaderName::from_static(if input.rfc7239 {
        "x-forwarded-for"
    } else {
        "forwarded"
    });
    let trusted = TRUSTED.clone().with_header(header);
    let mut headers = HeaderMap::new();
    let mut listed = HashSet::new();
    for (is_read, raw) in input.lines {
        let Ok(value) = HeaderValue::from_bytes(raw) else {
            continue;
        };
        if is_read {
            // Bytes outside ASCII split tokens as any other separator: the
            // X-Forwarded-For reader takes the entries at its end whatever
            // a client wrote before them.
            let text = String::from_utf8_lossy(value.as_bytes());
            listed.extend(addresses_in(&text));
            // A quoted string's escapes are undone before it is read.
            listed.extend(addresses_in(&text.replace('\\', "")));
            headers.append(read.clone(), value);
        } else {
            headers.append(other.clone(), value);
        }
    }
    if let Some(appended) = input.proxies {
        let client = peer_ip(appended.client).to_canonical();
        if trusted.trusts(client) || appended.hops.is_empty() {
            return;
        }
        let sent_nothing = headers.get(&read).is_none();
        let mut lines: Vec<Vec<u8>> = headers
            .get_all(&read)
            .iter()
            .map(|value| value.as_bytes().to_vec())
            .collect();
        let hops = appended.hops.len();
        let mut from = client;
        for (n, own_line, port) in appended.hops {
            let entry = forwarded_entry(from, input.rfc7239, port);
            match lines.last_mut() {
                Some(last) if !own_line => last.extend_from_slice(format!(", {entry}").as_bytes()),
                _ => lines.push(entry.into_bytes()),
            }
            from = IpAddr::V4(Ipv4Addr::new(10, 0, 0, n));
        }
        let mut forwarded = HeaderMap::new();
        for line in lines {
            let Ok(value) = HeaderValue::from_bytes(&line) else {
                return;
            };
            forwarded.append(read.clone(), value);
        }
        let resolved = client_ip(Some(from), &forwarded, &trusted);
        assert!(
            resolved.is_none() || resolved == Some(client),
            "{resolved:?} is not {client}: {forwarded:?}"
        );
        // Past MAX_FORWARDED_HOPS proxies, no address is told at all.
        if (!input.rfc7239 || sent_nothing) && hops <= MAX_FORWARDED_HOPS {
            assert_eq!(resolved, Some(client), "{forwarded:?}");
        }
        return;
    }

    let peer = input.peer.map(peer_ip);

    let resolved = client_ip(peer, &headers, &trusted);

    match peer.map(|peer| peer.to_canonical()) {
        None => assert_eq!(resolved, None, "an address without a peer"),
        Some(peer) if !trusted.trusts(peer) => {
            assert_eq!(resolved, Some(peer), "headers believed from {peer}")
        }
        Some(_) => {
            if let Some(ip) = resolved {
                assert!(
                    listed.contains(&ip),
                    "{ip} is not in the forwarding header: {headers:?}"
                );
            }
        }
    }
});
