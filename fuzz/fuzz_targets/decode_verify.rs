//! Arbitrary input never panics the decoder or the verifier, and nothing
//! verifies that was not issued: under a foreign key, nothing verifies at
//! all; under the golden key, only the golden tokens do. Claim bytes signed
//! under the golden key reach every check behind the tag.
#![no_main]

use std::net::IpAddr;
use std::sync::LazyLock;

use authlink::{Authlink, IpBinding, ManualClock};
use authlink_fuzz::{
    GOLDEN, PURPOSE, SECRET, T0, UNUSED_SECRET, clock_at, engine_with, policy, sign,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    /// Token text, as it comes in a URL.
    Text(&'a str),
    /// Claim bytes under a genuine tag, checked at T0 + `seconds`.
    Signed {
        claims: &'a [u8],
        seconds: i16,
        ip: IpAddr,
    },
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
    Engines {
        golden: engine_with(SECRET, PURPOSE, policy(IpBinding::Off), &clock),
        golden_bound: engine_with(SECRET, PURPOSE, policy(IpBinding::Exact), &clock),
        // Not OTHER_SECRET: the foreign seed was issued under it, and does verify there.
        foreign: engine_with(UNUSED_SECRET, PURPOSE, policy(IpBinding::Off), &clock),
        other_purpose: engine_with(SECRET, "another purpose", policy(IpBinding::Off), &clock),
        clock,
    }
});

fn is_golden(token: &str) -> bool {
    GOLDEN.lines().any(|golden| golden == token)
}

fuzz_target!(|input: Input<'_>| {
    let engines = &*ENGINES;
    let any_ip: IpAddr = [203, 0, 113, 7].into();
    match input {
        Input::Text(token) => {
            engines.clock.set(
                time::OffsetDateTime::from_unix_timestamp(T0 + 1).unwrap_or_else(|e| panic!("{e}")),
            );
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
            if engines.golden.verify::<u64>(token, any_ip).is_ok()
                || engines.golden.verify::<String>(token, any_ip).is_ok()
            {
                assert!(is_golden(token), "a token that was never issued verified");
            }
        }
        Input::Signed {
            claims,
            seconds,
            ip,
        } => {
            let token = sign(claims);
            let at = T0 + i64::from(seconds);
            engines.clock.set(
                time::OffsetDateTime::from_unix_timestamp(at).unwrap_or_else(|e| panic!("{e}")),
            );
            for engine in [&engines.golden, &engines.golden_bound] {
                if let Ok(link) = engine.verify::<u64>(&token, ip) {
                    let link = link.check_stamp(None);
                    if let Ok(link) = link {
                        // What verified is consistent with the policy.
                        assert!(link.issued_at().unix_timestamp() <= at + 5);
                        assert!(link.expires_at().unix_timestamp() > at);
                        assert!(!link.target().is_empty());
                    }
                }
                let _ = engine.verify::<String>(&token, ip);
            }
            assert!(engines.foreign.verify::<u64>(&token, ip).is_err());
        }
    }
});
