//! Arbitrary input never panics the decoder or the verifier, and nothing
//! verifies that was not issued: under a foreign key, nothing verifies at
//! all; under the golden key, only the golden tokens do, each as the one
//! user id kind it was issued for. Claim bytes signed under the golden key
//! reach every check behind the tag; what passes is in its one canonical
//! encoding, says what the claims say, and leads where the policy allows.
#![no_main]

use std::net::IpAddr;
use std::sync::LazyLock;

use authlink::{Authlink, IpBinding, ManualClock, UserId, VerifyErrorKind};
use authlink_fuzz::{
    GOLDEN, PURPOSE, SECRET, T0, UNUSED_SECRET, clock_at, engine_with, policy, sign,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    /// Token text, as it comes in a URL.
    Text(&'a str),
    /// Claim bytes under a genuine tag for a `String` user id (else `u64`),
    /// checked at T0 + `seconds`.
    Signed {
        claims: &'a [u8],
        string_user: bool,
        seconds: i16,
        ip: IpAddr,
    },
}

/// The claims as DESIGN.md lays them out, read independently of src/.
#[derive(Serialize, Deserialize)]
struct Claims<'a, U> {
    link_id: [u8; 8],
    issued_at: u64,
    user: U,
    target: &'a str,
    client: Option<[u8; 8]>,
    stamp: Option<[u8; 8]>,
}

struct Engines {
    clock: ManualClock,
    golden: Authlink,
    golden_bound: Authlink,
    foreign: Authlink,
    other_purpose: Authlink,
}

static ENGINES: LazyLock<Engines> = LazyLock::new(|| {
    let clock = clock_at(T0 + 1);
    let engines = Engines {
        golden: engine_with(SECRET, PURPOSE, policy(IpBinding::Off), &clock),
        golden_bound: engine_with(SECRET, PURPOSE, policy(IpBinding::Exact), &clock),
        // Not OTHER_SECRET: the foreign seed was issued under it, and does verify there.
        foreign: engine_with(UNUSED_SECRET, PURPOSE, policy(IpBinding::Off), &clock),
        other_purpose: engine_with(SECRET, "another purpose", policy(IpBinding::Off), &clock),
        clock,
    };
    // A stale list would make the Text property vacuous for the tokens it
    // names: each golden token verifies, as exactly one kind. `sign` over
    // its claims gives it back, so the signed claims below are tagged as
    // the crate tags them, and the checks on what verifies are reached.
    let any_ip: IpAddr = [203, 0, 113, 7].into();
    for token in GOLDEN.lines() {
        let as_u64 = engines.golden.verify::<u64>(token, any_ip).is_ok();
        let as_string = engines.golden.verify::<String>(token, any_ip).is_ok();
        assert!(as_u64 != as_string, "golden token {token} does not verify");
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .unwrap_or_else(|e| panic!("{e}"));
        let claims = &bytes[3..bytes.len() - 16];
        let kind = if as_u64 { u64::KIND } else { String::KIND };
        assert_eq!(sign(kind, claims), token, "sign() is not the crate's MAC");
        if as_u64 {
            check_signed::<u64>(&engines.golden, claims, T0 + 1, any_ip);
        } else {
            check_signed::<String>(&engines.golden, claims, T0 + 1, any_ip);
        }
    }
    engines
});

/// Claims bytes in the longest token: header (3 bytes) and tag (16) aside.
const MAX_CLAIMS_LEN: usize = authlink::MAX_TOKEN_LEN / 4 * 3 - 3 - 16;

fn is_golden(token: &str) -> bool {
    GOLDEN.lines().any(|golden| golden == token)
}

fn set_clock(clock: &ManualClock, at: i64) {
    clock.set(time::OffsetDateTime::from_unix_timestamp(at).unwrap_or_else(|e| panic!("{e}")));
}

/// Verifies `claims`, tagged for `U`'s kind, at `at` from `ip`, and checks
/// what passes against the claims themselves.
fn check_signed<U>(engine: &Authlink, claims: &[u8], at: i64, ip: IpAddr)
where
    U: UserId + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let token = sign(U::KIND, claims);
    let Ok(link) = engine.verify::<U>(&token, ip) else {
        return;
    };
    let Ok((read, rest)) = postcard::take_from_bytes::<Claims<'_, U>>(claims) else {
        panic!("verified claims postcard cannot read: {claims:?}");
    };
    assert!(rest.is_empty(), "verified claims with trailing bytes");
    assert_eq!(
        postcard::to_allocvec(&read).unwrap_or_else(|e| panic!("{e}")),
        claims,
        "verified claims not in their canonical encoding"
    );
    assert_eq!(link.user(), &read.user);
    if engine.policy().ip_binding == IpBinding::Exact {
        assert!(
            read.client.is_some(),
            "a bound link verified without a client"
        );
    }
    let Ok(link) = link.check_stamp(None) else {
        assert!(read.stamp.is_some(), "revoked a link that binds no stamp");
        return;
    };
    assert!(
        read.stamp.is_none(),
        "a stamped link verified without a stamp"
    );
    assert_eq!(link.target(), read.target);
    assert!(
        engine.policy().check_target(link.target()).is_ok(),
        "verified a link to {:?}, which the policy refuses",
        link.target()
    );
    let issued_at = link.issued_at().unix_timestamp();
    assert_eq!(u64::try_from(issued_at).ok(), Some(read.issued_at));
    let policy = engine.policy();
    assert!(issued_at <= at + policy.leeway.as_secs() as i64);
    assert!(link.expires_at().unix_timestamp() > at);
    assert_eq!(
        link.expires_at().unix_timestamp() - issued_at,
        policy.ttl.as_secs() as i64
    );
}

fuzz_target!(|input: Input<'_>| {
    let engines = &*ENGINES;
    let any_ip: IpAddr = [203, 0, 113, 7].into();
    match input {
        Input::Text(token) => {
            set_clock(&engines.clock, T0 + 1);
            for engine in [&engines.foreign, &engines.other_purpose] {
                assert!(
                    engine.verify::<u64>(token, any_ip).is_err(),
                    "verified under the wrong key"
                );
                assert!(
                    engine.verify::<String>(token, any_ip).is_err(),
                    "verified under the wrong key"
                );
            }
            let as_u64 = engines.golden.verify::<u64>(token, any_ip).is_ok();
            let as_string = engines.golden.verify::<String>(token, any_ip).is_ok();
            assert!(!(as_u64 && as_string), "a token verified as two kinds");
            if as_u64 || as_string {
                assert!(is_golden(token), "a token that was never issued verified");
            }
        }
        Input::Signed {
            claims,
            string_user,
            seconds,
            ip,
        } => {
            let at = T0 + i64::from(seconds);
            set_clock(&engines.clock, at);
            for engine in [&engines.golden, &engines.golden_bound] {
                if string_user {
                    check_signed::<String>(engine, claims, at, ip);
                } else {
                    check_signed::<u64>(engine, claims, at, ip);
                }
            }
            // The tag covers the kind: claims tagged for one never verify as
            // the other, whatever they hold.
            let refused = if (1..=MAX_CLAIMS_LEN).contains(&claims.len()) {
                VerifyErrorKind::BadSignature
            } else {
                VerifyErrorKind::Malformed
            };
            let as_u64 = engines
                .golden
                .verify::<u64>(&sign(String::KIND, claims), ip);
            assert_eq!(as_u64.err().map(|e| e.kind()), Some(refused));
            let as_string = engines
                .golden
                .verify::<String>(&sign(u64::KIND, claims), ip);
            assert_eq!(as_string.err().map(|e| e.kind()), Some(refused));
            let foreign = engines.foreign.verify::<u64>(&sign(u64::KIND, claims), ip);
            assert!(foreign.is_err());
        }
    }
});
