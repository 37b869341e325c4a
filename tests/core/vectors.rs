//! Golden vectors: fixed inputs, the tokens they must encode to, and what
//! verifying each must give. A change that breaks links already issued, or
//! that drifts from DESIGN.md, fails here.
//!
//! The tokens come from the reference encoder, never from the crate. To add a
//! vector, append it with an empty `token` and run with
//! `AUTHLINK_WRITE_VECTORS=1`; existing tokens must never change.

use crate::fixtures;

use std::net::IpAddr;

use authlink::{Authlink, IpBinding, KeyId, KeyRing, ManualClock, Policy, SecretKey, Whitelist};
use base64::Engine as _;
use fixtures::reference::{self, Claims};
use serde_json::Value;
use time::OffsetDateTime;

const PATH: &str = "tests/vectors/v1.json";

fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string"))
}

fn u64_of(value: &Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} is not a number"))
}

fn secret(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// The token the spec gives for a vector's `sign` inputs.
fn reference_token(sign: &Value) -> String {
    let key = secret(str_of(sign, "secret"));
    let purpose = str_of(sign, "purpose");
    let client = match &sign["client"] {
        Value::Null => None,
        client => Some(reference::client_hash(
            &key,
            purpose,
            str_of(client, "ip").parse().unwrap(),
            u8::try_from(u64_of(client, "bits")).unwrap(),
        )),
    };
    let stamp = sign["stamp"]
        .as_str()
        .map(|stamp| reference::stamp_hash(&key, purpose, stamp.as_bytes()));
    let link_id: [u8; 8] = hex::decode(str_of(sign, "link_id"))
        .unwrap()
        .try_into()
        .unwrap();
    let target = str_of(sign, "target");
    let issued_at = u64_of(sign, "issued_at");
    let mut claims = match &sign["user"] {
        Value::String(user) => reference::claims_bytes(&Claims {
            link_id,
            issued_at,
            user: user.as_str(),
            target,
            client,
            stamp,
        }),
        user => reference::claims_bytes(&Claims {
            link_id,
            issued_at,
            user: user.as_u64().unwrap(),
            target,
            client,
            stamp,
        }),
    };
    if sign["overlong_user"].as_bool().unwrap() {
        // The u64 user's varint follows the link id and the issue time's.
        let at = 8 + postcard::to_allocvec(&issued_at).unwrap().len();
        assert!(claims[at] < 0x80, "a one-byte user id");
        claims[at] |= 0x80;
        claims.insert(at + 1, 0);
    }
    if sign["trailing"].as_bool().unwrap() {
        claims.push(0);
    }
    let version = u8::try_from(u64_of(sign, "version")).unwrap();
    let key_id = u16::try_from(u64_of(sign, "key_id")).unwrap();
    let kind = match &sign["user"] {
        Value::String(_) => "string",
        _ => "u64",
    };
    reference::sign(&key, purpose, version, key_id, kind, &claims)
}

fn engine(file: &Value, verify: &Value) -> Authlink {
    let keys = file["verify_keys"].as_array().unwrap();
    let key = |entry: &Value| {
        (
            KeyId::new(u16::try_from(u64_of(entry, "key_id")).unwrap()),
            SecretKey::from_base64(str_of(entry, "secret")).unwrap(),
        )
    };
    let (id, first) = key(&keys[0]);
    let ring = keys[1..]
        .iter()
        .fold(KeyRing::new(id, first), |ring, entry| {
            let (id, secret) = key(entry);
            ring.with_verification_key(id, secret).unwrap()
        });
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(["^/account$", "^/account/settings$"]).unwrap();
    policy.ip_binding = match str_of(verify, "binding") {
        "exact" => IpBinding::Exact,
        "prefix" => IpBinding::prefix(),
        "off" => IpBinding::Off,
        other => panic!("unknown binding {other}"),
    };
    let now =
        OffsetDateTime::from_unix_timestamp(i64::try_from(u64_of(verify, "now")).unwrap()).unwrap();
    Authlink::new(ring, str_of(file, "verify_purpose"), policy)
        .unwrap()
        .with_clock(ManualClock::new(now))
}

/// What the crate says of a vector: `ok` with its claims checked, or the kind.
fn outcome(authlink: &Authlink, vector: &Value) -> String {
    let (sign, verify) = (&vector["sign"], &vector["verify"]);
    let token = str_of(vector, "token");
    let client: IpAddr = str_of(verify, "client_ip").parse().unwrap();
    let stamp = verify["stamp"].as_str().map(str::as_bytes);
    let checked = match str_of(verify, "user_type") {
        "u64" => authlink
            .verify::<u64>(token, client)
            .and_then(|a| a.check_stamp(stamp))
            .map(|link| {
                assert_eq!(Some(*link.user()), sign["user"].as_u64());
                link.target().to_owned()
            }),
        "string" => authlink
            .verify::<String>(token, client)
            .and_then(|a| a.check_stamp(stamp))
            .map(|link| {
                assert_eq!(Some(link.user().as_str()), sign["user"].as_str());
                link.target().to_owned()
            }),
        other => panic!("unknown user type {other}"),
    };
    match checked {
        Ok(target) => {
            assert_eq!(target, str_of(sign, "target"));
            "ok".to_owned()
        }
        Err(err) => format!("{:?}", err.kind()),
    }
}

#[test]
fn golden_vectors() {
    let text = std::fs::read_to_string(PATH).unwrap();
    let mut file: Value = serde_json::from_str(&text).unwrap();
    let write = std::env::var_os("AUTHLINK_WRITE_VECTORS").is_some();
    let count = file["vectors"].as_array().unwrap().len();
    assert!(count >= 5);
    for i in 0..count {
        let expected = reference_token(&file["vectors"][i]["sign"]);
        let vector = &mut file["vectors"][i];
        let name = str_of(vector, "name").to_owned();
        if write && str_of(vector, "token").is_empty() {
            vector["token"] = Value::String(expected.clone());
        }
        assert_eq!(
            str_of(vector, "token"),
            expected,
            "vector {name}: the reference encoding changed"
        );
    }
    let mut failures = 0;
    for vector in file["vectors"].as_array().unwrap() {
        let authlink = engine(&file, &vector["verify"]);
        let got = outcome(&authlink, vector);
        assert_eq!(
            got,
            str_of(vector, "expect"),
            "vector {}",
            str_of(vector, "name")
        );
        failures += usize::from(got != "ok");
    }
    assert!(failures >= 5, "vectors include links that must fail");
    if write {
        std::fs::write(PATH, serde_json::to_string_pretty(&file).unwrap() + "\n").unwrap();
    }
}
