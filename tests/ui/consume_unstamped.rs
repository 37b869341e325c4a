// A link whose user stamp was not checked cannot be consumed.
use authlink::replay::MemoryReplayCache;
use authlink::{Authlink, KeyRing, Policy, SecretKey};

async fn open(authlink: &Authlink, token: &str) {
    let ip = "192.0.2.1".parse().unwrap();
    let authenticated = authlink.verify::<u64>(token, ip).unwrap();
    let _ = authlink.consume(authenticated, &MemoryReplayCache::new()).await;
}

fn main() {
    let authlink = Authlink::new(KeyRing::from(SecretKey::generate()), "ui", Policy::default());
    let _ = (authlink, open);
}
