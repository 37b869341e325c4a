//! Golden vectors of email sign-in (token version 2 and the pending
//! cookie): fixed inputs, the link, cookie and code they must encode to,
//! and what checking each must give. The encodings come from the reference
//! encoder, never from the crate; to add a vector, append it with empty
//! `link`, `pending` and `code` and run with `AUTHLINK_WRITE_VECTORS=1`.
//! Existing encodings must never change.

use crate::fixtures;

use authlink::mail::{Address, MailPolicy, MailSignIn};
use authlink::{Authlink, KeyId, KeyRing, ManualClock, Policy, SecretKey, Whitelist};
use base64::Engine as _;
use fixtures::reference::mail as reference;
use serde_json::Value;
use time::OffsetDateTime;

const PATH: &str = "tests/vectors/v2-mail.json";

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string"))
}

fn number(value: &Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} is not a number"))
}

fn secret_of(file: &Value, key_id: u64) -> Vec<u8> {
    let entry = file["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| number(entry, "key_id") == key_id)
        .unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(text(entry, "secret"))
        .unwrap()
}

/// Link, pending cookie and code as the spec gives them for `sign`.
fn reference(file: &Value, sign: &Value) -> (String, String, String) {
    let key_id = number(sign, "key_id");
    let secret = secret_of(file, key_id);
    let purpose = text(file, "purpose");
    let nonce: [u8; 16] = hex::decode(text(sign, "nonce"))
        .unwrap()
        .try_into()
        .unwrap();
    let issued_at = number(sign, "issued_at");
    let key_id = u16::try_from(key_id).unwrap();
    let link_id = reference::link_id(&secret, purpose, &nonce);
    let target = text(sign, "target");
    let (link, code) = match &sign["user"] {
        Value::String(user) => (
            reference::sign(
                &secret,
                purpose,
                key_id,
                "string",
                &reference::Claims {
                    link_id,
                    issued_at,
                    user: user.as_str(),
                    target,
                },
            ),
            reference::code(
                &secret,
                purpose,
                &link_id,
                issued_at,
                "string",
                &user.as_str(),
            ),
        ),
        user => {
            let user = user.as_u64().unwrap();
            (
                reference::sign(
                    &secret,
                    purpose,
                    key_id,
                    "u64",
                    &reference::Claims {
                        link_id,
                        issued_at,
                        user,
                        target,
                    },
                ),
                reference::code(&secret, purpose, &link_id, issued_at, "u64", &user),
            )
        }
    };
    let pending = reference::pending(
        &secret,
        purpose,
        key_id,
        &nonce,
        issued_at,
        text(sign, "address"),
    );
    (link, pending, code)
}

fn engine(file: &Value, now: u64) -> MailSignIn {
    let key = |entry: &Value| {
        (
            KeyId::new(u16::try_from(number(entry, "key_id")).unwrap()),
            SecretKey::from_base64(text(entry, "secret")).unwrap(),
        )
    };
    let keys = file["keys"].as_array().unwrap();
    let (id, first) = key(&keys[0]);
    let ring = keys[1..]
        .iter()
        .fold(KeyRing::new(id, first), |ring, entry| {
            let (id, secret) = key(entry);
            ring.with_verification_key(id, secret).unwrap()
        });
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(["^/account$", "^/account/settings$"]).unwrap();
    let now = OffsetDateTime::from_unix_timestamp(i64::try_from(now).unwrap()).unwrap();
    let authlink = Authlink::new(ring, text(file, "purpose"), policy)
        .unwrap()
        .with_clock(ManualClock::new(now));
    MailSignIn::new(authlink, MailPolicy::default()).unwrap()
}

/// What the crate says of a vector: `ok` (user and target checked) or the
/// refusal's kind.
fn outcome(file: &Value, vector: &Value) -> String {
    let (sign, check) = (&vector["sign"], &vector["check"]);
    let mail = engine(file, number(check, "now"));
    let pending = match text(check, "pending") {
        "own" => Some(text(vector, "pending")),
        "none" => None,
        other => panic!("unknown pending {other}"),
    };
    let address = Address::parse(text(check, "address")).unwrap();
    let code = check["code"].as_str().unwrap_or(text(vector, "code"));
    let target = text(sign, "target");
    let checked = match (&sign["user"], text(check, "open")) {
        (Value::String(user), "link") => mail
            .verify_link::<String>(text(vector, "link"), pending)
            .map(|link| (link.user() == user).then(|| "ok".to_owned())),
        (Value::String(user), "code") => mail
            .verify_code(pending.unwrap_or(""), &address, user.clone(), code, target)
            .map(|_| Some("ok".to_owned())),
        (user, "link") => mail
            .verify_link::<u64>(text(vector, "link"), pending)
            .map(|link| (Some(*link.user()) == user.as_u64()).then(|| "ok".to_owned())),
        (user, "code") => mail
            .verify_code(
                pending.unwrap_or(""),
                &address,
                user.as_u64().unwrap(),
                code,
                target,
            )
            .map(|_| Some("ok".to_owned())),
        (_, other) => panic!("unknown open {other}"),
    };
    match checked {
        Ok(Some(ok)) => ok,
        Ok(None) => "wrong user".to_owned(),
        Err(err) => format!("{:?}", err.kind()),
    }
}

#[test]
fn golden_mail_vectors() {
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let write = std::env::var_os("AUTHLINK_WRITE_VECTORS").is_some();
    let count = file["vectors"].as_array().unwrap().len();
    assert!(count >= 6);
    for i in 0..count {
        let (link, pending, code) = reference(&file, &file["vectors"][i]["sign"]);
        let vector = &mut file["vectors"][i];
        let name = text(vector, "name").to_owned();
        for (field, expected) in [("link", link), ("pending", pending), ("code", code)] {
            if write && text(vector, field).is_empty() {
                vector[field] = Value::String(expected.clone());
            }
            assert_eq!(
                text(vector, field),
                expected,
                "vector {name}: the {field} encoding changed"
            );
        }
    }
    let mut refusals = 0;
    for vector in file["vectors"].as_array().unwrap() {
        let got = outcome(&file, vector);
        assert_eq!(
            got,
            text(vector, "expect"),
            "vector {}",
            text(vector, "name")
        );
        refusals += usize::from(got != "ok");
    }
    assert!(refusals >= 3, "vectors include openings that must fail");
    if write {
        std::fs::write(PATH, serde_json::to_string_pretty(&file).unwrap() + "\n").unwrap();
    }
}
