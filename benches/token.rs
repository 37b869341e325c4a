//! One criterion run that measures authlink next to its floor and its peers,
//! so the ratios in BENCHMARKS.md come from the same machine state.
//!
//! - floor: HMAC-SHA256 (keyed once) over exactly the bytes a typical token
//!   signs; the setup proves it by reproducing the token's tag.
//! - authlink: verify (Exact and Off binding), refusing a forged token and
//!   garbage, issue, and verify + consume against the in-memory replay cache
//!   on fresh links.
//! - peers, with the same claims: jsonwebtoken HS256 encode and decode +
//!   validate (+ the IP comparison its claims need), the `cookie` crate's
//!   signed jar add and get.

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use fixtures::typical;

use std::hint::black_box;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use authlink::replay::MemoryReplayCache;
use authlink::{Authlink, IpBinding, VerifiedLink, VerifyError};
use criterion::Criterion;
use hmac::Mac as _;
use serde::{Deserialize, Serialize};
use typical::{CLIENT, SkipClock, TARGET, USER};

/// Links consumed per simulated second. Fresh links are issued (untimed)
/// and then verified (timed) a second's worth at a time, and the clock
/// moves one second per batch, so at the default 60 s ttl and 5 s leeway
/// the replay cache holds 65 times this many live entries: about 6 500 and
/// 65 000.
const LOADS: [u64; 2] = [100, 1000];

fn verify(engine: &Authlink, token: &str, ip: IpAddr) -> Result<VerifiedLink<u64>, VerifyError> {
    engine.verify::<u64>(token, ip)?.check_stamp(None)
}

/// Links longer than the typical one, each measured against its own floor:
/// 128- and 480-byte targets all path (the whitelist reads every byte), a
/// 480-byte target that is mostly query, and an email-like `String` user id.
fn longer_links(engine: &Authlink) -> [(&'static str, String, &'static str); 4] {
    [
        (
            "target_128",
            typical::token_for(engine, &USER, &typical::long_target(128)),
            typical::USER_KIND,
        ),
        (
            "target_480",
            typical::token_for(engine, &USER, &typical::long_target(480)),
            typical::USER_KIND,
        ),
        (
            "target_480_query",
            typical::token_for(engine, &USER, &typical::long_query_target(480)),
            typical::USER_KIND,
        ),
        (
            "string_user",
            typical::token_for(engine, typical::EMAIL_USER, TARGET),
            "string",
        ),
    ]
}

fn floor(c: &mut Criterion) {
    let token = typical::token(&typical::engine(IpBinding::Exact));
    let input = typical::signed_bytes(&token);
    let key = typical::floor_key();
    c.bench_function("floor/hmac_sha256", |b| {
        b.iter(|| {
            let mut mac = key.clone();
            mac.update(black_box(&input));
            black_box(mac.finalize())
        });
    });
    // The floors of the longer links: each over exactly the bytes its
    // token signs.
    for (name, token, kind) in longer_links(&typical::engine(IpBinding::Exact)) {
        let input = typical::signed_bytes_of(&token, kind);
        c.bench_function(&format!("floor/hmac_sha256/{name}"), |b| {
            b.iter(|| {
                let mut mac = key.clone();
                mac.update(black_box(&input));
                black_box(mac.finalize())
            });
        });
    }
    // The same floor through the hmac/sha2 releases the peers link, to tell
    // a library difference from a design one.
    let peer_key = <hmac_012::Hmac<sha2_010::Sha256> as hmac_012::Mac>::new_from_slice(&[0x5a; 64])
        .unwrap_or_else(|err| panic!("{err}"));
    c.bench_function("floor/hmac_sha256_peer_release", |b| {
        b.iter(|| {
            let mut mac = peer_key.clone();
            hmac_012::Mac::update(&mut mac, black_box(&input));
            black_box(hmac_012::Mac::finalize(mac))
        });
    });
}

fn authlink(c: &mut Criterion) {
    for (name, binding) in [
        ("verify_exact", IpBinding::Exact),
        ("verify_off", IpBinding::Off),
    ] {
        let engine = typical::engine(binding);
        c.bench_function(&format!("authlink/{name}"), |b| {
            let token = typical::token(&engine);
            assert!(verify(&engine, &token, CLIENT).is_ok());
            b.iter(|| black_box(verify(&engine, black_box(&token), black_box(CLIENT))));
        });
    }

    let engine = typical::engine(IpBinding::Exact);
    for (name, token, _) in longer_links(&engine) {
        c.bench_function(&format!("authlink/verify_exact/{name}"), |b| {
            if name == "string_user" {
                let verify = |token: &str| {
                    engine
                        .verify::<String>(token, CLIENT)
                        .and_then(|link| link.check_stamp(None))
                };
                assert!(verify(&token).is_ok());
                b.iter(|| black_box(verify(black_box(&token))));
            } else {
                assert!(verify(&engine, &token, CLIENT).is_ok());
                b.iter(|| black_box(verify(&engine, black_box(&token), black_box(CLIENT))));
            }
        });
    }

    // Refusing must never cost more than accepting: a forged tag (the last
    // character changed) and 5,000 characters of garbage.
    let engine = typical::engine(IpBinding::Exact);
    let token = typical::token(&engine);
    let forged = {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut bytes = engine.decode(&token).unwrap_or_else(|err| panic!("{err}"));
        if let Some(last) = bytes.last_mut() {
            *last ^= 1;
        }
        engine.encode(bytes)
    };
    let garbage = "x".repeat(5_000);
    for (name, text) in [
        ("reject_forged", &forged),
        ("reject_garbage_5000", &garbage),
    ] {
        let kind = verify(&engine, text, CLIENT)
            .map(|_| ())
            .map_err(|err| err.kind());
        assert!(matches!(
            (name, kind),
            (
                "reject_forged",
                Err(authlink::VerifyErrorKind::BadSignature)
            ) | (
                "reject_garbage_5000",
                Err(authlink::VerifyErrorKind::Malformed)
            )
        ));
        c.bench_function(&format!("authlink/{name}"), |b| {
            b.iter(|| black_box(verify(&engine, black_box(text), black_box(CLIENT))));
        });
    }

    c.bench_function("authlink/issue", |b| {
        b.iter(|| black_box(engine.issue(black_box(&USER), black_box(TARGET), black_box(CLIENT))));
    });

    // Verify alone and verify + consume through the same harness (fresh
    // links, same clock), so their difference is what consuming costs; at
    // two loads, since the replay cache's cost grows with its size.
    for per_second in LOADS {
        let clock = SkipClock::default();
        let engine = typical::engine_skipping(IpBinding::Exact, &clock);
        let cache = MemoryReplayCache::new();
        for consume in [false, true] {
            let name = if consume {
                "verify_consume"
            } else {
                "verify_fresh"
            };
            c.bench_function(&format!("authlink/{name}/{per_second}_per_s"), |b| {
                b.iter_custom(|iters| {
                    let mut timed = Duration::ZERO;
                    let mut left = iters;
                    while left > 0 {
                        let n = left.min(per_second);
                        left -= n;
                        // One simulated second per batch of fresh links.
                        clock.skip(1);
                        let tokens: Vec<String> = (0..n).map(|_| typical::token(&engine)).collect();
                        let start = Instant::now();
                        for token in &tokens {
                            let link = verify(&engine, black_box(token), black_box(CLIENT));
                            let ok = match link {
                                Ok(link) if consume => {
                                    black_box(typical::ready(engine.consume(link, &cache))).is_ok()
                                }
                                other => black_box(other).is_ok(),
                            };
                            assert!(ok, "a fresh link failed");
                        }
                        timed += start.elapsed();
                    }
                    timed
                });
            });
        }
    }
}

/// The typical link's claims as a JWT or a signed cookie would carry them.
/// The IP travels in the clear, as such tokens usually carry it.
#[derive(Serialize, Deserialize)]
struct PeerClaims {
    sub: u64,
    tgt: String,
    ip: IpAddr,
    iat: u64,
    exp: u64,
    jti: String,
}

impl PeerClaims {
    fn typical() -> Self {
        let iat = jsonwebtoken::get_current_timestamp();
        Self {
            sub: USER,
            tgt: TARGET.to_owned(),
            ip: CLIENT,
            iat,
            exp: iat + 3600,
            jti: "q1Vr8n0RkzE".to_owned(),
        }
    }
}

fn jwt(c: &mut Criterion) {
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
    let claims = PeerClaims::typical();
    let header = Header::new(Algorithm::HS256);
    let encoding = EncodingKey::from_secret(&typical::SECRET);
    let decoding = DecodingKey::from_secret(&typical::SECRET);
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;

    let token =
        jsonwebtoken::encode(&header, &claims, &encoding).unwrap_or_else(|err| panic!("{err}"));
    println!("peer length: jwt {} characters", token.len());
    c.bench_function("peer/jwt_encode", |b| {
        b.iter(|| black_box(jsonwebtoken::encode(&header, black_box(&claims), &encoding)));
    });
    c.bench_function("peer/jwt_decode", |b| {
        b.iter(|| {
            let data =
                jsonwebtoken::decode::<PeerClaims>(black_box(&token), &decoding, &validation);
            black_box(data.is_ok_and(|data| data.claims.ip == black_box(CLIENT)))
        });
    });
}

fn cookie(c: &mut Criterion) {
    use cookie::{CookieJar, Key};
    // A 64-byte master key: its first half signs, as with our 32-byte secret.
    let key = Key::from(&[0x5a; 64]);
    let value = serde_json::to_string(&PeerClaims::typical()).unwrap_or_else(|err| panic!("{err}"));
    let mut jar = CookieJar::new();
    // Signed once here too, so get has its cookie when add is filtered out.
    jar.signed_mut(&key).add(("authlink", value.clone()));
    c.bench_function("peer/cookie_signed_add", |b| {
        b.iter(|| {
            jar.signed_mut(&key)
                .add(("authlink", black_box(value.clone())))
        });
    });
    let signed = jar.get("authlink").map(|cookie| cookie.value().len());
    println!(
        "peer length: signed cookie value {} characters",
        signed.unwrap_or(0)
    );
    assert!(jar.signed(&key).get("authlink").is_some());
    c.bench_function("peer/cookie_signed_get", |b| {
        b.iter(|| black_box(jar.signed(&key).get(black_box("authlink"))));
    });
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    floor(&mut c);
    authlink(&mut c);
    jwt(&mut c);
    cookie(&mut c);
    c.final_summary();
}
