//! The Redis replay cache against a real `redis-server` that asks for a
//! password: the default user's password and an ACL user that may only
//! write markers, both in the URL; a wrong password is a typed error that
//! never shows the password.

use crate::fixtures;

use authlink::VerifyErrorKind;
use authlink::replay::ReplayError;
use authlink::replay::redis::{RedisCacheError, RedisReplayCache};
use tokio::task::block_in_place;

use crate::redis_server::RedisServer;

const PASSWORD: &str = "hunter2-not-for-logs";
const CLIENT: &str = "192.0.2.7";

#[track_caller]
fn assert_refused_without_password(err: &RedisCacheError, password: &str) {
    let RedisCacheError::Unavailable(ReplayError::Backend(message)) = err else {
        panic!("expected an unavailable backend, got {err:?}");
    };
    let lower = message.to_ascii_lowercase();
    assert!(
        lower.contains("wrongpass") || lower.contains("auth") || lower.contains("password"),
        "the error does not say authentication failed: {message}"
    );
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(password), "the password leaked: {shown}");
}

/// A server started without a password, then given one: the URL's
/// password works, a consume marks and refuses as usual; without or with a
/// wrong password, connecting fails with a typed error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requirepass_in_the_url_works_and_a_wrong_one_is_a_typed_error() {
    let server = block_in_place(RedisServer::start);
    let reply = block_in_place(|| server.query(&format!("CONFIG SET requirepass {PASSWORD}")));
    assert_eq!(reply.as_deref(), Some("+OK\r\n"));
    let port = server.port();

    let cache = RedisReplayCache::connect(&format!("redis://:{PASSWORD}@127.0.0.1:{port}/"))
        .await
        .unwrap();
    assert!(!format!("{cache:?}").contains(PASSWORD));
    let clock = fixtures::clock();
    let engine = fixtures::engine_with(fixtures::binding_off(), &clock);
    let link = fixtures::verified(&engine, 1, CLIENT);
    engine.consume(link.clone(), &cache).await.unwrap();
    let err = engine.consume(link, &cache).await.unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);

    let wrong = format!("wrong-{PASSWORD}");
    let err = RedisReplayCache::connect(&format!("redis://:{wrong}@127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert_refused_without_password(&err, &wrong);

    // Without a password the connection opens (Redis asks for nothing
    // until a command), but the marker is refused: the consume fails closed.
    let anonymous = RedisReplayCache::connect(&server.url()).await.unwrap();
    let err = engine
        .consume(fixtures::verified(&engine, 2, CLIENT), &anonymous)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::ReplayCacheUnavailable);
    let Some(ReplayError::Backend(message)) = err.replay_error() else {
        panic!("expected a backend error, got {err:?}");
    };
    assert!(message.contains("NOAUTH"), "{message}");
}

/// An ACL user that may only `SET` keys under the cache's prefix (and
/// `WAIT`): enough for the cache, named with its password in the URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_user_limited_to_the_prefix_works() {
    let server = block_in_place(RedisServer::start);
    let reply = block_in_place(|| {
        server.query(&format!(
            "ACL SETUSER marker on >{PASSWORD} resetkeys ~authlink:used:* resetchannels -@all +set +wait +ping"
        ))
    });
    assert_eq!(reply.as_deref(), Some("+OK\r\n"));
    let port = server.port();

    let cache = RedisReplayCache::connect(&format!("redis://marker:{PASSWORD}@127.0.0.1:{port}/"))
        .await
        .unwrap();
    let clock = fixtures::clock();
    let engine = fixtures::engine_with(fixtures::binding_off(), &clock);
    let link = fixtures::verified(&engine, 1, CLIENT);
    engine.consume(link.clone(), &cache).await.unwrap();
    let err = engine.consume(link, &cache).await.unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);

    // Outside its prefix the user may write nothing: the consume fails
    // closed with Redis's permission error.
    let other = RedisReplayCache::builder()
        .prefix("elsewhere:")
        .connect(&format!("redis://marker:{PASSWORD}@127.0.0.1:{port}/"))
        .await
        .unwrap();
    let err = engine
        .consume(fixtures::verified(&engine, 2, CLIENT), &other)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::ReplayCacheUnavailable);
    let Some(ReplayError::Backend(message)) = err.replay_error() else {
        panic!("expected a backend error, got {err:?}");
    };
    assert!(message.contains("NOPERM"), "{message}");

    let wrong = format!("wrong-{PASSWORD}");
    let err = RedisReplayCache::connect(&format!("redis://marker:{wrong}@127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert_refused_without_password(&err, &wrong);
}
