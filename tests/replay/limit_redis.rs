//! The Redis rate limiter against a real `redis-server` that each test
//! starts on a free loopback port and stops when it ends: one limit across
//! two limiter instances (two nodes), refill on the app's clock, keys that
//! hold no id or address and expire, and the per-process fallback when
//! Redis is gone.

use crate::fixtures;

use std::num::NonZeroU32;
use std::time::Duration;

use authlink::limit::redis::RedisRateLimiter;
use authlink::limit::{LimitKey, Quota, RateLimiter};
use authlink::{ManualClock, SecretKey};
use tokio::task::block_in_place;

use crate::redis_server::RedisServer;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

/// 6 a minute (one every 10 s), burst 3.
fn quota() -> Quota {
    Quota::per_minute(nz(6)).with_burst(nz(3))
}

async fn node(server: &RedisServer, clock: &ManualClock) -> RedisRateLimiter {
    RedisRateLimiter::builder(quota(), &fixtures::key(9))
        .prefix("test:limit:")
        .clock(clock.clone())
        .connect(&server.url())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_limit_and_other_keys_pass() {
    let server = block_in_place(RedisServer::start);
    let clock = fixtures::clock();
    let (a, b) = (node(&server, &clock).await, node(&server, &clock).await);
    let alice = LimitKey::user("alice");

    a.check(&alice).await.unwrap();
    b.check(&alice).await.unwrap();
    a.check(&alice).await.unwrap();
    for node in [&a, &b] {
        let refused = node.check(&alice).await.unwrap_err();
        assert_eq!(refused.retry_after(), Duration::from_secs(10));
        assert_eq!(refused.retry_after_secs(), 10);
    }
    // Another user, and another network, are not affected.
    for _ in 0..3 {
        b.check(&LimitKey::user("bob")).await.unwrap();
    }
    a.check(&LimitKey::client(fixtures::ip("192.0.2.1")))
        .await
        .unwrap();

    // The wait shrinks with the clock, and one more is allowed per interval.
    clock.advance(Duration::from_secs(4));
    let refused = b.check(&alice).await.unwrap_err();
    assert_eq!(refused.retry_after(), Duration::from_secs(6));
    clock.advance(Duration::from_secs(6));
    b.check(&alice).await.unwrap();
    assert!(a.check(&alice).await.is_err());
    assert_eq!((a.fallbacks(), b.fallbacks()), (0, 0), "Redis answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_hold_a_keyed_hash_and_expire_when_fresh_again() {
    let server = block_in_place(RedisServer::start);
    let clock = fixtures::clock();
    let limiter = node(&server, &clock).await;
    let client = LimitKey::client(fixtures::ip("192.0.2.77"));
    limiter.check(&client).await.unwrap();

    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(keys, [limiter.redis_key(&client)]);
    let key = &keys[0];
    let hash = key.strip_prefix("test:limit:").unwrap();
    assert_eq!(hash.len(), 32);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!key.contains("192") && !key.contains("c000024d"), "{key}");
    // One action: fresh again after one interval, and Redis forgets it then.
    let ttl: i64 = redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!((1..=10_000).contains(&ttl), "PTTL {ttl}");

    // Another secret hashes the same key elsewhere: apps sharing a Redis
    // with different secrets do not share limits by accident.
    let other = RedisRateLimiter::builder(quota(), &SecretKey::generate())
        .prefix("test:limit:")
        .connect(&server.url())
        .await
        .unwrap();
    assert_ne!(other.redis_key(&client), limiter.redis_key(&client));
}

/// Redis gone: nobody is locked out for the outage, and a caller past the
/// quota is still refused (by each node's own limit) until Redis is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_each_node_falls_back_to_its_own_limit() {
    let mut server = block_in_place(RedisServer::start);
    let clock = fixtures::clock();
    let limiter = node(&server, &clock).await;
    block_in_place(|| server.kill());

    let abuser = LimitKey::user(&666u64);
    for _ in 0..3 {
        limiter.check(&abuser).await.unwrap();
    }
    let refused = limiter.check(&abuser).await.unwrap_err();
    assert!(refused.retry_after() <= Duration::from_secs(10));
    limiter.check(&LimitKey::user(&7u64)).await.unwrap();
    assert_eq!(limiter.fallbacks(), 5);

    // Back: the limit is Redis's again (a fresh key there), no restart.
    block_in_place(|| server.restart());
    let mut answered = false;
    for _ in 0..100 {
        let before = limiter.fallbacks();
        let result = limiter.check(&LimitKey::user(&8u64)).await;
        if limiter.fallbacks() == before {
            result.unwrap();
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        answered,
        "the limiter did not use Redis again after restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_url_and_a_zero_timeout_are_refused() {
    use authlink::limit::redis::RedisLimiterError;
    let secret = fixtures::key(9);
    let err = RedisRateLimiter::builder(quota(), &secret)
        .connect("nope://")
        .await
        .unwrap_err();
    assert_eq!(err, RedisLimiterError::InvalidUrl);
    let err = RedisRateLimiter::builder(quota(), &secret)
        .timeout(Duration::ZERO)
        .connect("redis://127.0.0.1:1/")
        .await
        .unwrap_err();
    assert_eq!(err, RedisLimiterError::ZeroTimeout);
}
