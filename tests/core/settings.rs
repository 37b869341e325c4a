//! Loading the policy and the key ring from settings files (feature `config`).

use std::time::Duration;

use authlink::{Authlink, IpBinding, KeyId, KeyRing, Policy};
use serde::Deserialize;

const SECRET_2: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const SECRET_1: &str = "Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

#[derive(Debug, Deserialize)]
struct Settings {
    keys: KeyRing,
    #[serde(default)]
    policy: Policy,
}

fn toml_settings(policy: &str) -> Result<Settings, toml::de::Error> {
    toml::from_str(&format!(
        "[keys]\nsigning = 2\nkeys = [{{ id = 2, secret = \"{SECRET_2}\" }}, {{ id = 1, secret = \"{SECRET_1}\" }}]\n\n[policy]\n{policy}"
    ))
}

#[test]
fn a_toml_file_gives_the_policy_and_key_ring() {
    let settings = toml_settings(
        r#"ttl_seconds = 30
leeway_seconds = 2
ip_binding = { prefix = { v4 = 24, v6 = 56 } }
whitelist = ["^/account$"]
allowed_origins = ["https://App.Example"]
url_template = "https://app.example/l/{key}"
"#,
    )
    .unwrap();
    let policy = &settings.policy;
    assert_eq!(policy.ttl, Duration::from_secs(30));
    assert_eq!(policy.leeway, Duration::from_secs(2));
    assert_eq!(policy.ip_binding, IpBinding::Prefix { v4: 24, v6: 56 });
    assert!(policy.whitelist.allows("/account"));
    assert!(!policy.whitelist.allows("/admin"));
    assert_eq!(policy.allowed_origins[0].as_str(), "https://app.example");
    assert_eq!(policy.url_template.render("k"), "https://app.example/l/k");
    assert_eq!(settings.keys.signing_key_id(), KeyId::new(2));
    assert_eq!(
        settings.keys.key_ids().collect::<Vec<_>>(),
        [KeyId::new(2), KeyId::new(1)]
    );

    let authlink = Authlink::new(settings.keys, "config test", settings.policy).unwrap();
    let ip = "192.0.2.1".parse().unwrap();
    let link = authlink.issue(&1u64, "/account", ip).unwrap();
    assert!(link.url.starts_with("https://app.example/l/"));
}

#[test]
fn unset_settings_keep_the_secure_defaults() {
    let settings: Settings = serde_json::from_str(&format!(
        r#"{{ "keys": {{ "signing": 2, "keys": [{{ "id": 2, "secret": "{SECRET_2}" }}] }} }}"#
    ))
    .unwrap();
    let defaults = Policy::default();
    assert_eq!(settings.policy.ttl, defaults.ttl);
    assert_eq!(settings.policy.leeway, defaults.leeway);
    assert_eq!(settings.policy.ip_binding, IpBinding::Exact);
    assert!(settings.policy.whitelist.is_empty());
    assert!(settings.policy.allowed_origins.is_empty());
    assert_eq!(settings.policy.url_template, defaults.url_template);
}

#[track_caller]
fn refused(policy: &str, names: &str) {
    let err = toml_settings(policy).unwrap_err().to_string();
    assert!(
        err.contains(names),
        "error for {policy:?} does not name {names:?}: {err}"
    );
}

#[test]
fn a_bad_value_names_its_setting() {
    refused("ttl_seconds = 0", "authlink setting `ttl_seconds`");
    refused("ttl_seconds = 90000", "authlink setting `ttl_seconds`");
    refused("leeway_seconds = 31", "authlink setting `leeway_seconds`");
    refused(
        "ip_binding = { prefix = { v4 = 33, v6 = 64 } }",
        "authlink setting `ip_binding`",
    );
    refused("ip_binding = \"sometimes\"", "ip_binding");
    refused(
        "whitelist = [\"(unclosed\"]",
        "authlink setting `whitelist`",
    );
    refused(
        "allowed_origins = [\"https://a.example/path\"]",
        "authlink setting `allowed_origins`",
    );
    refused(
        "url_template = \"/authlink\"",
        "authlink setting `url_template`",
    );
    refused("ttl = 30", "unknown field `ttl`");
}

#[test]
fn bad_keys_are_refused_and_secrets_never_shown() {
    let ring = |json: &str| serde_json::from_str::<KeyRing>(json).map_err(|err| err.to_string());
    let short = "c2hvcnQ="; // "short"
    let err = ring(&format!(
        r#"{{ "signing": 1, "keys": [{{ "id": 1, "secret": "{short}" }}] }}"#
    ))
    .unwrap_err();
    assert!(err.contains("secret key is too short: 5 bytes"), "{err}");
    assert!(!err.contains(short), "{err}");

    let err =
        ring(r#"{ "signing": 1, "keys": [{ "id": 1, "secret": "not base64!" }] }"#).unwrap_err();
    assert!(err.contains("not valid base64"), "{err}");
    assert!(!err.contains("not base64!"), "{err}");

    let err = ring(&format!(
        r#"{{ "signing": 3, "keys": [{{ "id": 1, "secret": "{SECRET_1}" }}] }}"#
    ))
    .unwrap_err();
    assert!(
        err.contains("authlink setting `keys.signing`: no key has id 3"),
        "{err}"
    );

    let err = ring(&format!(
        r#"{{ "signing": 1, "keys": [{{ "id": 1, "secret": "{SECRET_1}" }}, {{ "id": 1, "secret": "{SECRET_2}" }}] }}"#
    ))
    .unwrap_err();
    assert!(err.contains("key id 1 appears twice"), "{err}");

    let ring = ring(&format!(
        r#"{{ "signing": 1, "keys": [{{ "id": 1, "secret": "{SECRET_1}" }}] }}"#
    ))
    .unwrap();
    let shown = format!("{ring:?}");
    assert!(!shown.contains(SECRET_1), "{shown}");
}
