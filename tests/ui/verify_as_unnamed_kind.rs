// A link verifies only as a user id type that names its kind.
use authlink::{Authlink, KeyRing, Policy, SecretKey};

#[derive(serde::Serialize, serde::Deserialize)]
struct Account(u64);

fn main() {
    let authlink =
        Authlink::new(KeyRing::from(SecretKey::generate()), "ui", Policy::default()).unwrap();
    let ip = "192.0.2.1".parse().unwrap();
    let _ = authlink.verify::<Account>("token", ip);
}
