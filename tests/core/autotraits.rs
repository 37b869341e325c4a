//! Public types can be shared across threads and tasks.

use authlink::replay::MemoryReplayCache;
use authlink::{
    Authenticated, Authlink, ConfigError, IssueError, KeyError, KeyRing, Link, ManualClock, Policy,
    SecretKey, VerifiedLink, VerifyError, Whitelist,
};

fn send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<Authlink>();
    send_sync::<KeyRing>();
    send_sync::<SecretKey>();
    send_sync::<Policy>();
    send_sync::<Whitelist>();
    send_sync::<Link>();
    send_sync::<VerifiedLink<u64>>();
    send_sync::<Authenticated<'static, String>>();
    send_sync::<MemoryReplayCache>();
    send_sync::<ManualClock>();
    send_sync::<VerifyError>();
    send_sync::<IssueError>();
    send_sync::<ConfigError>();
    send_sync::<KeyError>();
}

#[test]
fn consume_future_is_send() {
    fn send<T: Send>(_: T) {}
    let authlink =
        Authlink::new(KeyRing::from(SecretKey::generate()), "p", Policy::default()).unwrap();
    let cache = MemoryReplayCache::new();
    let consume = || async {
        let link: VerifiedLink<u64> = authlink
            .verify("x", [127, 0, 0, 1].into())?
            .check_stamp(None)?;
        authlink.consume(link, &cache).await
    };
    send(consume());
    let err = pollster::block_on(consume()).unwrap_err();
    assert_eq!(err.kind(), authlink::VerifyErrorKind::Malformed);
}
