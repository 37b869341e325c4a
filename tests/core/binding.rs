//! Client-address binding and stamp revocation.

use crate::fixtures;

use authlink::{IpBinding, VerifyErrorKind};
use fixtures::{clock, engine, engine_with, ip, policy};

fn with_binding(binding: IpBinding) -> authlink::Policy {
    let mut policy = policy();
    policy.ip_binding = binding;
    policy
}

#[track_caller]
fn check(binding: IpBinding, issued_to: &str, opened_from: &str) -> Result<(), VerifyErrorKind> {
    let clock = clock();
    let authlink = engine_with(with_binding(binding), &clock);
    let link = authlink.issue(&1u64, "/account", ip(issued_to)).unwrap();
    authlink
        .verify::<u64>(&link.key, ip(opened_from))
        .map(|_| ())
        .map_err(|e| e.kind())
}

#[test]
fn exact_binding_needs_the_same_address() {
    assert_eq!(check(IpBinding::Exact, "192.0.2.10", "192.0.2.10"), Ok(()));
    assert_eq!(
        check(IpBinding::Exact, "192.0.2.10", "192.0.2.11"),
        Err(VerifyErrorKind::ClientMismatch)
    );
    assert_eq!(
        check(IpBinding::Exact, "2001:db8::1", "2001:db8::1"),
        Ok(())
    );
    assert_eq!(
        check(IpBinding::Exact, "2001:db8::1", "2001:db8::2"),
        Err(VerifyErrorKind::ClientMismatch)
    );
}

#[test]
fn prefix_binding_accepts_the_same_network_only() {
    let prefix = IpBinding::prefix();
    assert_eq!(prefix, IpBinding::Prefix { v4: 24, v6: 64 });
    assert_eq!(check(prefix, "192.0.2.10", "192.0.2.200"), Ok(()));
    assert_eq!(
        check(prefix, "192.0.2.10", "192.0.3.10"),
        Err(VerifyErrorKind::ClientMismatch)
    );
    assert_eq!(
        check(prefix, "2001:db8:1:2::1", "2001:db8:1:2:ffff::9"),
        Ok(())
    );
    assert_eq!(
        check(prefix, "2001:db8:1:2::1", "2001:db8:1:3::1"),
        Err(VerifyErrorKind::ClientMismatch)
    );
    let wide = IpBinding::Prefix { v4: 16, v6: 48 };
    assert_eq!(check(wide, "192.0.2.10", "192.0.77.1"), Ok(()));
    assert_eq!(
        check(wide, "192.0.2.10", "192.1.2.10"),
        Err(VerifyErrorKind::ClientMismatch)
    );
    let zero = IpBinding::Prefix { v4: 0, v6: 0 };
    assert_eq!(check(zero, "192.0.2.10", "203.0.113.1"), Ok(()));
}

#[test]
fn mapped_ipv6_counts_as_the_ipv4_address() {
    for binding in [IpBinding::Exact, IpBinding::prefix()] {
        assert_eq!(check(binding, "192.0.2.10", "::ffff:192.0.2.10"), Ok(()));
        assert_eq!(check(binding, "::ffff:192.0.2.10", "192.0.2.10"), Ok(()));
        assert_eq!(
            check(binding, "::ffff:192.0.2.10", "192.0.9.10"),
            Err(VerifyErrorKind::ClientMismatch)
        );
    }
    assert_eq!(
        check(
            IpBinding::prefix(),
            "::ffff:192.0.2.10",
            "::ffff:192.0.2.99"
        ),
        Ok(())
    );
    // IPv4 and IPv6 never match each other.
    assert_eq!(
        check(IpBinding::Exact, "192.0.2.10", "::c000:20a"),
        Err(VerifyErrorKind::ClientMismatch)
    );
}

#[test]
fn binding_off_accepts_any_address_and_is_named() {
    assert_eq!(check(IpBinding::Off, "192.0.2.10", "2001:db8::7"), Ok(()));
}

#[test]
fn a_link_issued_unbound_fails_where_binding_is_required() {
    let clock = clock();
    let unbound = engine_with(with_binding(IpBinding::Off), &clock);
    let link = unbound.issue(&1u64, "/account", ip("192.0.2.10")).unwrap();
    let bound = engine(&clock);
    assert_eq!(
        bound
            .verify::<u64>(&link.key, ip("192.0.2.10"))
            .unwrap_err()
            .kind(),
        VerifyErrorKind::ClientMismatch
    );
}

#[test]
fn prefix_lengths_are_validated() {
    for binding in [
        IpBinding::Prefix { v4: 33, v6: 64 },
        IpBinding::Prefix { v4: 24, v6: 129 },
    ] {
        let err = authlink::Authlink::new(fixtures::key(1).into(), "p", with_binding(binding))
            .unwrap_err();
        assert_eq!(err, authlink::ConfigError::PrefixOutOfRange);
    }
}

#[test]
fn changing_the_stamp_revokes_outstanding_links() {
    let clock = clock();
    let authlink = engine(&clock);
    let client = ip("192.0.2.10");
    let link = authlink
        .issue_with_stamp(&7u64, "/account", client, b"password-hash-v1")
        .unwrap();
    let verify = |stamp: Option<&[u8]>| {
        authlink
            .verify::<u64>(&link.key, client)
            .unwrap()
            .check_stamp(stamp)
            .map(|_| ())
            .map_err(|e| e.kind())
    };
    assert_eq!(verify(Some(b"password-hash-v1")), Ok(()));
    assert_eq!(
        verify(Some(b"password-hash-v2")),
        Err(VerifyErrorKind::Revoked)
    );
    assert_eq!(verify(Some(b"")), Err(VerifyErrorKind::Revoked));
    assert_eq!(verify(None), Err(VerifyErrorKind::Revoked));

    let unstamped = authlink.issue(&7u64, "/account", client).unwrap();
    let err = authlink
        .verify::<u64>(&unstamped.key, client)
        .unwrap()
        .check_stamp(Some(b"x"))
        .unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::Revoked);
    assert_eq!(err.to_string(), "link was revoked");
}
