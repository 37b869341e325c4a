//! Properties: altered, truncated or arbitrary tokens never verify, and never
//! panic; issued tokens always round-trip.

use crate::fixtures;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fixtures::{clock, engine, ip};
use proptest::prelude::*;

const CLIENT: &str = "192.0.2.44";

fn target() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/account".to_owned()),
        Just("/account/settings".to_owned()),
        "[0-9]{1,12}".prop_map(|n| format!("/page/{n}")),
        "[a-z0-9=&]{0,40}".prop_map(|q| format!("/account/settings?{q}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_bit_flip_and_truncation_is_rejected(user in any::<u64>(), target in target(), stamp in proptest::option::of(any::<Vec<u8>>())) {
        let clock = clock();
        let authlink = engine(&clock);
        let link = match &stamp {
            Some(stamp) => authlink.issue_with_stamp(&user, &target, ip(CLIENT), stamp),
            None => authlink.issue(&user, &target, ip(CLIENT)),
        }.unwrap();
        let verified = authlink.verify::<u64>(&link.key, ip(CLIENT)).unwrap().check_stamp(stamp.as_deref()).unwrap();
        prop_assert_eq!(*verified.user(), user);
        prop_assert_eq!(verified.target(), target.as_str());

        let bytes = URL_SAFE_NO_PAD.decode(&link.key).unwrap();
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let text = URL_SAFE_NO_PAD.encode(&flipped);
            prop_assert!(authlink.verify::<u64>(&text, ip(CLIENT)).is_err(), "bit {} verified", bit);
        }
        for len in 0..link.key.len() {
            prop_assert!(authlink.verify::<u64>(&link.key[..len], ip(CLIENT)).is_err(), "prefix {} verified", len);
        }
        // Other spellings of the same bytes are refused too.
        for variant in [format!("{}=", link.key), format!("{}==", link.key), format!(" {}", link.key), format!("{}\n", link.key)] {
            prop_assert!(authlink.verify::<u64>(&variant, ip(CLIENT)).is_err());
        }
    }

    #[test]
    fn arbitrary_strings_never_verify_or_panic(text in "\\PC{0,300}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let clock = clock();
        let authlink = engine(&clock);
        prop_assert!(authlink.verify::<u64>(&text, ip(CLIENT)).is_err());
        let encoded = URL_SAFE_NO_PAD.encode(&bytes);
        prop_assert!(authlink.verify::<u64>(&encoded, ip(CLIENT)).is_err());
        prop_assert!(authlink.verify::<String>(&encoded, ip(CLIENT)).is_err());
    }

    #[test]
    fn any_target_the_validator_accepts_keeps_the_origin(target in "[ -~]{0,60}") {
        if let Ok(checked) = authlink::validate_target(&target, &[]) {
            prop_assert!(checked.full.starts_with('/') && !checked.full.starts_with("//"));
            prop_assert!(!checked.full.contains('\\') && !checked.full.contains("%2F") && !checked.full.contains("%2f"));
        }
    }
}

#[test]
fn non_canonical_trailing_bits_are_malformed() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink.issue(&1u64, "/account", ip(CLIENT)).unwrap();
    assert_ne!(
        link.key.len() % 4,
        0,
        "a token whose last character holds spare bits"
    );
    let last = link.key.chars().last().unwrap();
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = ALPHABET.find(last).unwrap();
    let sibling = ALPHABET.as_bytes()[index ^ 1] as char;
    let altered = format!("{}{sibling}", &link.key[..link.key.len() - 1]);
    let err = authlink.verify::<u64>(&altered, ip(CLIENT)).unwrap_err();
    assert_eq!(err.kind(), authlink::VerifyErrorKind::Malformed);
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let clock = clock();
    let authlink = engine(&clock);
    for len in [authlink::MAX_TOKEN_LEN + 1, 10_000, 1 << 20] {
        let err = authlink
            .verify::<u64>(&"A".repeat(len), ip(CLIENT))
            .unwrap_err();
        assert_eq!(err.kind(), authlink::VerifyErrorKind::Malformed);
    }
}
