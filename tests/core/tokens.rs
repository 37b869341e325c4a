//! Round trips, keys, purposes, rotation, and agreement with the spec's
//! reference encoder.

use crate::fixtures;

use authlink::{Authlink, KeyId, KeyRing, UserId, VerifyErrorKind};
use fixtures::reference::{self, Claims};
use fixtures::{PURPOSE, T0, clock, engine, engine_with, ip, key, policy};
use serde::{Deserialize, Serialize};

const CLIENT: &str = "203.0.113.9";

fn round_trip<U>(user: &U) -> U
where
    U: UserId + serde::de::DeserializeOwned,
{
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink
        .issue(user, "/account/settings?tab=security", ip(CLIENT))
        .unwrap();
    let verified = authlink
        .verify::<U>(&link.key, ip(CLIENT))
        .unwrap()
        .check_stamp(None)
        .unwrap();
    assert_eq!(verified.target(), "/account/settings?tab=security");
    verified.into_user()
}

#[test]
fn user_ids_of_several_types_round_trip() {
    assert_eq!(round_trip(&0u64), 0);
    assert_eq!(round_trip(&u64::MAX), u64::MAX);
    assert_eq!(round_trip(&-17i32), -17);
    assert_eq!(round_trip(&"alice".to_owned()), "alice");
    assert_eq!(round_trip(&String::new()), "");
    #[cfg(feature = "uuid")]
    {
        let id = uuid::Uuid::from_u128(0x6f1c_2a4e_9b3d_4c7a_8e5f_0a1b_2c3d_4e5f);
        assert_eq!(round_trip(&id), id);
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Tenant {
        tenant: u32,
        user: String,
    }
    impl UserId for Tenant {
        const KIND: &'static str = "tests.tenant";
    }
    let user = Tenant {
        tenant: 9,
        user: "bob".into(),
    };
    assert_eq!(round_trip(&user), user);
}

#[test]
fn str_user_issues_and_verifies_as_string() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink.issue("alice", "/account", ip(CLIENT)).unwrap();
    let verified = authlink.verify::<String>(&link.key, ip(CLIENT)).unwrap();
    assert_eq!(verified.user(), "alice");
}

#[test]
fn a_link_never_verifies_as_another_user_id_type() {
    let clock = clock();
    let mut policy = policy();
    // A whitelist that lets any same-site path through, so only the user
    // id type stands between the link and a login.
    policy.whitelist = authlink::Whitelist::new([".*"]).unwrap();
    let authlink = engine_with(policy, &clock);
    // Read as a u64, this String is user 19, and what follows it would be
    // taken for the target.
    let link = authlink
        .issue("<//evil.example/?x=", "/account", ip(CLIENT))
        .unwrap();
    let err = authlink.verify::<u64>(&link.key, ip(CLIENT)).unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::BadSignature);
    assert_eq!(
        authlink
            .verify::<String>(&link.key, ip(CLIENT))
            .unwrap()
            .user(),
        "<//evil.example/?x="
    );

    let link = authlink.issue(&7u64, "/account", ip(CLIENT)).unwrap();
    for err in [
        authlink.verify::<u32>(&link.key, ip(CLIENT)).unwrap_err(),
        authlink.verify::<i64>(&link.key, ip(CLIENT)).unwrap_err(),
    ] {
        assert_eq!(err.kind(), VerifyErrorKind::BadSignature);
    }

    #[cfg(feature = "uuid")]
    {
        let link = authlink
            .issue("0123456789abcdef", "/account", ip(CLIENT))
            .unwrap();
        let err = authlink
            .verify::<uuid::Uuid>(&link.key, ip(CLIENT))
            .unwrap_err();
        assert_eq!(err.kind(), VerifyErrorKind::BadSignature);
    }
}

#[test]
fn typical_token_is_at_most_100_characters() {
    let clock = clock();
    let authlink = engine(&clock);
    let target = "/account/settings?tab=12";
    assert_eq!(target.len(), 24);
    let link = authlink.issue(&1_000_000u64, target, ip(CLIENT)).unwrap();
    assert_eq!(link.key.len(), 94, "README states this length");
    let link = authlink.issue(&u64::MAX, target, ip(CLIENT)).unwrap();
    assert!(link.key.len() <= 103, "{}", link.key.len());
}

#[test]
fn another_key_another_purpose_or_an_unknown_key_id_is_refused() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink.issue(&42u64, "/account", ip(CLIENT)).unwrap();

    let other_key = Authlink::new(KeyRing::new(KeyId::new(1), key(8)), PURPOSE, policy())
        .unwrap()
        .with_clock(clock.clone());
    assert_eq!(
        other_key
            .verify::<u64>(&link.key, ip(CLIENT))
            .unwrap_err()
            .kind(),
        VerifyErrorKind::BadSignature
    );

    let other_purpose = Authlink::new(KeyRing::new(KeyId::new(1), key(7)), "another app", policy())
        .unwrap()
        .with_clock(clock.clone());
    assert_eq!(
        other_purpose
            .verify::<u64>(&link.key, ip(CLIENT))
            .unwrap_err()
            .kind(),
        VerifyErrorKind::BadSignature
    );

    let other_id = Authlink::new(KeyRing::new(KeyId::new(2), key(7)), PURPOSE, policy())
        .unwrap()
        .with_clock(clock.clone());
    let err = other_id.verify::<u64>(&link.key, ip(CLIENT)).unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::UnknownKey);
    assert_eq!(err.to_string(), "link was signed with an unknown key");
}

#[test]
fn rotation_new_key_signs_old_key_still_verifies() {
    let clock = clock();
    let old = engine(&clock);
    let old_link = old.issue(&42u64, "/account", ip(CLIENT)).unwrap();

    let ring = KeyRing::new(KeyId::new(2), key(9))
        .with_verification_key(KeyId::new(1), key(7))
        .unwrap();
    let rotated = Authlink::new(ring, PURPOSE, policy())
        .unwrap()
        .with_clock(clock.clone());
    let new_link = rotated.issue(&43u64, "/account", ip(CLIENT)).unwrap();

    assert_eq!(
        reference::decode(&new_link.key)[1..3],
        [0, 2],
        "new links carry the new key id"
    );
    assert_eq!(
        *rotated
            .verify::<u64>(&old_link.key, ip(CLIENT))
            .unwrap()
            .user(),
        42
    );
    assert_eq!(
        *rotated
            .verify::<u64>(&new_link.key, ip(CLIENT))
            .unwrap()
            .user(),
        43
    );
    // A node that has not been given the new key yet refuses the new link.
    assert_eq!(
        old.verify::<u64>(&new_link.key, ip(CLIENT))
            .unwrap_err()
            .kind(),
        VerifyErrorKind::UnknownKey
    );
}

#[test]
fn duplicate_key_ids_are_refused() {
    let err = KeyRing::new(KeyId::new(1), key(1))
        .with_verification_key(KeyId::new(1), key(2))
        .unwrap_err();
    assert_eq!(err.to_string(), "key id 1 appears twice in the key ring");
}

#[test]
fn issued_tokens_match_the_reference_encoding() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink
        .issue_with_stamp(&42u64, "/account", ip(CLIENT), b"stamp-1")
        .unwrap();
    let bytes = reference::decode(&link.key);
    let link_id: [u8; 8] = bytes[3..11].try_into().unwrap();
    let claims = Claims {
        link_id,
        issued_at: T0 as u64,
        user: 42u64,
        target: "/account",
        client: Some(reference::client_hash(&[7; 32], PURPOSE, ip(CLIENT), 32)),
        stamp: Some(reference::stamp_hash(&[7; 32], PURPOSE, b"stamp-1")),
    };
    let expected = reference::sign(
        &[7; 32],
        PURPOSE,
        1,
        1,
        "u64",
        &reference::claims_bytes(&claims),
    );
    assert_eq!(link.key, expected);
}

#[test]
fn link_ids_differ_between_links() {
    let clock = clock();
    let authlink = engine(&clock);
    let ids: std::collections::HashSet<_> = (0..1000)
        .map(|_| {
            let link = authlink.issue(&42u64, "/account", ip(CLIENT)).unwrap();
            authlink
                .verify::<u64>(&link.key, ip(CLIENT))
                .unwrap()
                .check_stamp(None)
                .unwrap()
                .replay_key()
        })
        .collect();
    assert_eq!(ids.len(), 1000);
}

#[test]
fn unsupported_version_and_trailing_bytes_are_refused_even_when_signed() {
    let clock = clock();
    let authlink = engine(&clock);
    let claims = Claims {
        link_id: [1; 8],
        issued_at: T0 as u64,
        user: 42u64,
        target: "/account",
        client: None,
        stamp: None,
    };
    let bytes = reference::claims_bytes(&claims);
    let unbound = engine_with(fixtures::binding_off(), &clock);
    let good = reference::sign(&[7; 32], PURPOSE, 1, 1, "u64", &bytes);
    assert!(unbound.verify::<u64>(&good, ip(CLIENT)).is_ok());

    let v2 = reference::sign(&[7; 32], PURPOSE, 2, 1, "u64", &bytes);
    assert_eq!(
        authlink.verify::<u64>(&v2, ip(CLIENT)).unwrap_err().kind(),
        VerifyErrorKind::UnsupportedVersion
    );

    let mut trailing = bytes.clone();
    trailing.push(0);
    let trailing = reference::sign(&[7; 32], PURPOSE, 1, 1, "u64", &trailing);
    assert_eq!(
        unbound
            .verify::<u64>(&trailing, ip(CLIENT))
            .unwrap_err()
            .kind(),
        VerifyErrorKind::Malformed
    );
}

#[test]
fn claims_have_one_spelling_even_when_signed() {
    let clock = clock();
    let unbound = engine_with(fixtures::binding_off(), &clock);
    let canonical = reference::claims_bytes(&Claims {
        link_id: [1; 8],
        issued_at: T0 as u64,
        user: 19u64,
        target: "/account",
        client: None,
        stamp: None,
    });
    let sign = |claims: &[u8]| reference::sign(&[7; 32], PURPOSE, 1, 1, "u64", claims);
    assert!(unbound.verify::<u64>(&sign(&canonical), ip(CLIENT)).is_ok());
    // The user id (byte 13, after the link id and a five-byte issue time),
    // spelled with a redundant continuation byte: the same number, another
    // spelling.
    assert_eq!(canonical[13], 19);
    let mut overlong = canonical.clone();
    overlong[13] |= 0x80;
    overlong.insert(14, 0);
    assert_eq!(
        unbound
            .verify::<u64>(&sign(&overlong), ip(CLIENT))
            .unwrap_err()
            .kind(),
        VerifyErrorKind::Malformed
    );
}

#[test]
fn debug_output_hides_keys_and_links() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink.issue(&42u64, "/account", ip(CLIENT)).unwrap();
    let shown = format!("{link:?} {authlink:?}");
    assert!(!shown.contains(&link.key), "{shown}");
    assert!(shown.contains("<redacted>"));
    assert!(!shown.contains(&key(7).to_base64()));
    let verified = authlink.verify::<u64>(&link.key, ip(CLIENT)).unwrap();
    let shown = format!("{verified:?}");
    assert!(
        !shown.contains(&link.key) && !shown.contains(CLIENT),
        "{shown}"
    );
}

#[test]
fn error_messages_carry_no_token_content() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink.issue(&42u64, "/account", ip(CLIENT)).unwrap();
    let errors = [
        authlink
            .verify::<u64>(&link.key, ip("10.1.1.1"))
            .unwrap_err(),
        authlink
            .verify::<u64>(&link.key[1..], ip(CLIENT))
            .unwrap_err(),
        authlink
            .verify::<u64>(&format!("{}A", &link.key), ip(CLIENT))
            .unwrap_err(),
    ];
    for err in errors {
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains(&link.key[..20])
                && !text.contains("10.1.1.1")
                && !text.contains("account"),
            "{text}"
        );
    }
}
