//! Client-address resolution as a pure function: trusted-proxy networks,
//! `X-Forwarded-For` and `Forwarded` parsing, right-most untrusted entry,
//! fail-closed cases.

use std::net::IpAddr;

use authlink::http::PeerAddr;
use authlink::web::{Cidr, CidrError, ForwardedHeader, MAX_FORWARDED_HOPS, TrustedProxies};
use http::HeaderMap;

/// The client address of a request from `peer` with `headers`.
fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let values = headers.get_all(trusted.header_name()).iter();
    authlink::web::client_ip(peer, values.map(http::HeaderValue::as_bytes), trusted)
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    map
}

fn trusted(list: &str) -> TrustedProxies {
    list.parse().unwrap()
}

fn xff(value: &str) -> HeaderMap {
    headers(&[("x-forwarded-for", value)])
}

#[test]
fn peer_is_the_client_by_default() {
    let none = TrustedProxies::none();
    assert_eq!(
        client_ip(Some(ip("192.0.2.1")), &HeaderMap::new(), &none),
        Some(ip("192.0.2.1"))
    );
    assert_eq!(
        client_ip(Some(ip("192.0.2.1")), &xff("198.51.100.7"), &none),
        Some(ip("192.0.2.1"))
    );
    assert_eq!(
        client_ip(
            Some(ip("192.0.2.1")),
            &headers(&[("forwarded", "for=198.51.100.7")]),
            &none
        ),
        Some(ip("192.0.2.1"))
    );
}

#[test]
fn no_peer_fails_closed() {
    assert_eq!(
        client_ip(None, &xff("198.51.100.7"), &trusted("0.0.0.0/0")),
        None
    );
    assert_eq!(
        client_ip(None, &HeaderMap::new(), &TrustedProxies::none()),
        None
    );
}

#[test]
fn untrusted_peer_headers_are_ignored() {
    let proxies = trusted("10.0.0.0/8");
    assert_eq!(
        client_ip(Some(ip("192.0.2.1")), &xff("10.0.0.5"), &proxies),
        Some(ip("192.0.2.1"))
    );
}

#[test]
fn rightmost_untrusted_entry_wins() {
    let proxies = trusted("10.0.0.0/8, 192.168.0.0/16");
    let peer = Some(ip("10.0.0.1"));
    assert_eq!(
        client_ip(peer, &xff("198.51.100.7"), &proxies),
        Some(ip("198.51.100.7"))
    );
    // A forged left part is skipped; trusted hops on the right are walked past.
    assert_eq!(
        client_ip(
            peer,
            &xff("6.6.6.6, 198.51.100.7, 192.168.1.1, 10.1.1.1"),
            &proxies
        ),
        Some(ip("198.51.100.7"))
    );
    // Entries split over several header lines read as one list, in order.
    let split = headers(&[
        ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
        ("x-forwarded-for", "10.1.1.1"),
    ]);
    assert_eq!(client_ip(peer, &split, &proxies), Some(ip("198.51.100.7")));
    // Every entry trusted: the left-most is the origin.
    assert_eq!(
        client_ip(peer, &xff("10.9.9.9, 10.1.1.1"), &proxies),
        Some(ip("10.9.9.9"))
    );
}

#[test]
fn unparsable_entries_fail_closed() {
    let proxies = trusted("10.0.0.0/8");
    let peer = Some(ip("10.0.0.1"));
    for value in [
        "unknown",
        "",
        " , ",
        "198.51.100.7, bogus",
        "300.1.1.1",
        "1.2.3.4:99999",
        "[::1",
        "::1]:80",
    ] {
        assert_eq!(client_ip(peer, &xff(value), &proxies), None, "{value:?}");
    }
    // A trusted peer that says nothing.
    assert_eq!(client_ip(peer, &HeaderMap::new(), &proxies), None);
    // Garbage left of the right-most untrusted entry is never read.
    assert_eq!(
        client_ip(peer, &xff("bogus, 198.51.100.7"), &proxies),
        Some(ip("198.51.100.7"))
    );
    // Not visible ASCII.
    let mut opaque = HeaderMap::new();
    opaque.insert(
        "x-forwarded-for",
        http::HeaderValue::from_bytes(b"\xff1.2.3.4").unwrap(),
    );
    assert_eq!(client_ip(peer, &opaque, &proxies), None);
}

#[test]
fn ports_and_brackets() {
    let proxies = trusted("10.0.0.0/8");
    let peer = Some(ip("10.0.0.1"));
    for (value, expected) in [
        ("198.51.100.7:4711", "198.51.100.7"),
        ("2001:db8::17", "2001:db8::17"),
        ("[2001:db8::17]", "2001:db8::17"),
        ("[2001:db8::17]:4711", "2001:db8::17"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
    ] {
        assert_eq!(
            client_ip(peer, &xff(value), &proxies),
            Some(ip(expected)),
            "{value}"
        );
    }
}

#[test]
fn forwarded_header_when_configured() {
    let proxies = trusted("10.0.0.0/8").with_header(ForwardedHeader::Forwarded);
    assert_eq!(proxies.header(), ForwardedHeader::Forwarded);
    let peer = Some(ip("10.0.0.1"));
    let forwarded = |value: &str| headers(&[("forwarded", value)]);
    for (value, expected) in [
        ("for=198.51.100.7", Some("198.51.100.7")),
        (
            "For=\"198.51.100.7:8080\";proto=https",
            Some("198.51.100.7"),
        ),
        (
            "for=\"[2001:db8:cafe::17]:4711\"",
            Some("2001:db8:cafe::17"),
        ),
        (
            "for=6.6.6.6, for=198.51.100.7;by=10.0.0.1, for=10.2.2.2",
            Some("198.51.100.7"),
        ),
        ("proto=https;for=198.51.100.7", Some("198.51.100.7")),
        ("for=unknown", None),
        ("for=_hidden", None),
        ("by=10.0.0.1", None),
        ("for=\"198.51.100.7", None),
        // Outside RFC 7239: the whole header is unreadable, whatever is
        // right of it.
        ("for=198.51.100.7:8080", None),
        ("for=2001:db8::17", None),
        ("for=\"2001:db8::17\"", None),
        ("for=198.51.100.7; proto=https", None),
        ("for=198.51.100.7;for=198.51.100.8", None),
        ("garbage, for=198.51.100.7", None),
        // Empty list elements are skipped (RFC 7230 §7).
        (", for=198.51.100.7,", Some("198.51.100.7")),
    ] {
        assert_eq!(
            client_ip(peer, &forwarded(value), &proxies),
            expected.map(ip),
            "{value}"
        );
    }
    // With Forwarded configured, X-Forwarded-For is not read.
    assert_eq!(client_ip(peer, &xff("198.51.100.7"), &proxies), None);
    // A quoted comma does not split an element.
    assert_eq!(
        client_ip(peer, &forwarded("for=198.51.100.7;ext=\"a,b\""), &proxies),
        Some(ip("198.51.100.7"))
    );
}

#[test]
fn long_chains_fail_closed() {
    let proxies = trusted("10.0.0.0/8");
    let peer = Some(ip("10.0.0.1"));
    let hops = |n: usize| vec!["10.0.0.2"; n].join(", ");
    assert_eq!(
        client_ip(peer, &xff(&hops(MAX_FORWARDED_HOPS)), &proxies),
        Some(ip("10.0.0.2"))
    );
    assert_eq!(
        client_ip(
            peer,
            &xff(&format!("198.51.100.7, {}", hops(MAX_FORWARDED_HOPS))),
            &proxies
        ),
        None
    );
    // A long chain whose right end is untrusted is read no further.
    let long = format!("{}, 198.51.100.7", hops(10_000));
    assert_eq!(
        client_ip(peer, &xff(&long), &proxies),
        Some(ip("198.51.100.7"))
    );
}

#[test]
fn mapped_ipv6_peer_counts_as_ipv4() {
    let proxies = trusted("127.0.0.1");
    assert_eq!(
        client_ip(Some(ip("::ffff:127.0.0.1")), &xff("198.51.100.7"), &proxies),
        Some(ip("198.51.100.7"))
    );
    assert_eq!(
        client_ip(
            Some(ip("::ffff:192.0.2.1")),
            &HeaderMap::new(),
            &TrustedProxies::none()
        ),
        Some(ip("192.0.2.1"))
    );
}

#[test]
fn cidr_parsing() {
    for (text, inside, outside) in [
        ("10.0.0.0/8", "10.255.1.2", "11.0.0.0"),
        ("192.168.1.0/24", "192.168.1.77", "192.168.2.1"),
        ("127.0.0.1", "127.0.0.1", "127.0.0.2"),
        ("0.0.0.0/0", "203.0.113.1", "::1"),
        ("2001:db8::/32", "2001:db8:ffff::1", "2001:db9::1"),
        ("::1", "::1", "::2"),
        (" 10.0.0.0/8 ", "10.0.0.1", "9.0.0.1"),
    ] {
        let cidr: Cidr = text.parse().unwrap();
        assert!(cidr.contains(ip(inside)), "{text} should contain {inside}");
        assert!(
            !cidr.contains(ip(outside)),
            "{text} should not contain {outside}"
        );
    }
    assert_eq!(
        "10.0.0.0/8".parse::<Cidr>().unwrap().to_string(),
        "10.0.0.0/8"
    );
    // Mapped IPv6 networks are IPv4 networks, their prefix counted over 128 bits.
    assert_eq!(
        "::ffff:10.0.0.0/104".parse::<Cidr>(),
        "10.0.0.0/8".parse::<Cidr>()
    );
    assert_eq!(
        "::ffff:10.0.0.1".parse::<Cidr>(),
        "10.0.0.1/32".parse::<Cidr>()
    );
    assert_eq!(
        "::ffff:10.0.0.0/8".parse::<Cidr>(),
        Err(CidrError::Prefix("::ffff:10.0.0.0/8".into()))
    );
}

#[test]
fn cidr_errors() {
    for text in ["", "10.0.0", "example.com", "/8"] {
        assert!(
            matches!(text.parse::<Cidr>(), Err(CidrError::Address(_))),
            "{text:?}"
        );
    }
    for text in [
        "10.0.0.0/33",
        "10.0.0.0/",
        "10.0.0.0/+8",
        "10.0.0.0/-1",
        "::/129",
        "10.0.0.0/ 8",
        "10.0.0.0/8/8",
    ] {
        assert!(
            matches!(text.parse::<Cidr>(), Err(CidrError::Prefix(_))),
            "{text:?}"
        );
    }
    for text in ["10.0.0.1/8", "192.168.1.1/24", "2001:db8::1/32"] {
        assert!(
            matches!(text.parse::<Cidr>(), Err(CidrError::HostBits(_))),
            "{text:?}"
        );
    }
    let err = "10.0.0.1/8".parse::<Cidr>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "\"10.0.0.1/8\" has host bits set; write the network address"
    );
    let list = "10.0.0.0/8, nonsense"
        .parse::<TrustedProxies>()
        .unwrap_err();
    assert_eq!(list, CidrError::Address("nonsense".into()));
    assert!("".parse::<TrustedProxies>().unwrap().is_empty());
    assert!(" , ".parse::<TrustedProxies>().unwrap().is_empty());
}

#[test]
fn peer_addr_debug_hides_the_address() {
    let debug = format!("{:?}", PeerAddr(ip("198.51.100.7")));
    assert!(!debug.contains("198.51"), "{debug}");
}

/// The audit's strings: a trusted proxy appends `for=<the attacker>` to
/// whatever the attacker sent; the victim's address written first never
/// comes back.
#[test]
fn a_client_value_cannot_swallow_the_proxys_element() {
    let proxies = trusted("127.0.0.1").with_header(ForwardedHeader::Forwarded);
    let peer = Some(ip("127.0.0.1"));
    let victim = ip("198.51.100.77");
    for (value, attacker) in [
        ("for=198.51.100.77, for=203.0.113.9", Some("203.0.113.9")),
        ("for=198.51.100.77;x=\", for=203.0.113.9", None),
        ("for=198.51.100.77;x=\"\\, for=203.0.113.9", None),
        ("for=198.51.100.77;x=\\, for=203.0.113.9", None),
        ("for=198.51.100.77;x=\", for=\"[2001:db8::9]\"", None),
        ("for=198.51.100.77;x=\", for=\"[2001:db8::9]:4711\"", None),
        ("for=\"198.51.100.77, for=\"[2001:db8::9]\"", None),
    ] {
        let got = client_ip(peer, &headers(&[("forwarded", value)]), &proxies);
        assert_ne!(got, Some(victim), "{value}");
        assert_eq!(got, attacker.map(ip), "{value}");
    }
    // X-Forwarded-For: a client's quote or escape is an entry's garbage, and
    // the proxy's entry is read.
    let proxies = trusted("127.0.0.1");
    for value in [
        "198.51.100.77\", 203.0.113.9",
        "\"198.51.100.77, 203.0.113.9",
        "198.51.100.77\\, 203.0.113.9",
    ] {
        assert_eq!(
            client_ip(peer, &xff(value), &proxies),
            Some(ip("203.0.113.9")),
            "{value}"
        );
    }
}

mod property {
    //! Whatever a client sends in the forwarding header, the address a
    //! chain of trusted proxies appends after it is the one returned, or
    //! none: never one the client wrote.

    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use super::client_ip;
    use authlink::web::{ForwardedHeader, TrustedProxies};
    use http::{HeaderMap, HeaderValue};
    use proptest::prelude::*;

    const TRUSTED: &str = "10.0.0.0/8, 2001:db8:ffff::/48";

    fn untrusted() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|o| IpAddr::V4(Ipv4Addr::from(o))),
            any::<[u8; 16]>().prop_map(|o| IpAddr::V6(Ipv6Addr::from(o))),
        ]
        .prop_filter("not a trusted proxy", |ip| {
            !TRUSTED.parse::<TrustedProxies>().unwrap().trusts(*ip)
        })
    }

    fn proxy() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 3]>().prop_map(|[a, b, c]| IpAddr::V4(Ipv4Addr::new(10, a, b, c))),
            any::<[u16; 5]>().prop_map(|[a, b, c, d, e]| {
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xffff, a, b, c, d, e))
            }),
        ]
    }

    /// What a client may write: anything printable, heavy in the
    /// characters that structure the headers, or a well-formed value.
    fn client_line() -> impl Strategy<Value = String> {
        prop_oneof![
            "[\"\\\\,;= \t\\[\\]:._0-9a-fA-Fro_-]{0,40}",
            "[ -~\t]{0,40}",
            (any::<[u8; 4]>(), "(;proto=https|;by=_x|)")
                .prop_map(|(o, rest)| format!("for={}{rest}", Ipv4Addr::from(o))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn a_client_never_chooses_its_address(
            rfc7239 in any::<bool>(),
            sent in proptest::collection::vec(client_line(), 0..3),
            client in untrusted(),
            // Each hop: the proxy, whether it starts a header line of its
            // own, and the port it writes, if any.
            hops in proptest::collection::vec(
                (proxy(), any::<bool>(), proptest::option::of(any::<u16>())),
                1..4,
            ),
        ) {
            let header = if rfc7239 { "forwarded" } else { "x-forwarded-for" };
            let trusted: TrustedProxies = TRUSTED.parse().unwrap();
            let trusted = trusted.with_header(if rfc7239 {
                ForwardedHeader::Forwarded
            } else {
                ForwardedHeader::XForwardedFor
            });
            let mut lines = sent.clone();
            // Each proxy appends the address it received the request from.
            let mut from = client;
            for (proxy, own_line, port) in &hops {
                let entry = crate::fixtures::forwarded_entry(from, rfc7239, *port);
                match lines.last_mut() {
                    Some(last) if !own_line => *last = format!("{last}, {entry}"),
                    _ => lines.push(entry),
                }
                from = *proxy;
            }
            let mut map = HeaderMap::new();
            for line in &lines {
                map.append(header, HeaderValue::from_str(line).unwrap());
            }
            let got = client_ip(Some(from), &map, &trusted);
            let client = client.to_canonical();
            prop_assert!(got.is_none() || got == Some(client), "{got:?} from {lines:?}");
            if !rfc7239 || sent.is_empty() {
                // Nothing the client wrote is read.
                prop_assert_eq!(got, Some(client), "{:?}", lines);
            }
        }
    }
}
