//! The Redis replay cache against a real `redis-server` that each test
//! starts on a free loopback port and stops when it ends: exact single use
//! across nodes, expiry in Redis, and failing closed when Redis is killed,
//! frozen or answering errors.

use crate::fixtures;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use authlink::replay::ReplayError;
use authlink::replay::redis::{RedisCacheError, RedisReplayCache};
use authlink::{Authlink, KeyId, KeyRing, Policy, VerifiedLink, VerifyError, VerifyErrorKind};
use redis::aio::{ConnectionManager, MultiplexedConnection};
use tokio::task::block_in_place;

use crate::redis_server::RedisServer;

/// Slack on top of a configured timeout for a busy two-core machine.
const SLACK: Duration = Duration::from_secs(2);

const CLIENT: &str = "192.0.2.7";

fn client_ip() -> IpAddr {
    fixtures::ip(CLIENT)
}

/// Issues a link for `user` and verifies it, as the node that opens it would.
fn verified(engine: &Authlink, user: u64) -> VerifiedLink<u64> {
    fixtures::verified(engine, user, CLIENT)
}

async fn raw(server: &RedisServer) -> MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn config_set(raw: &mut MultiplexedConnection, name: &str, value: &str) {
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query_async(raw)
        .await
        .unwrap();
}

#[track_caller]
fn assert_unavailable<T: std::fmt::Debug>(result: &Result<T, VerifyError>) {
    match result {
        Err(err) => {
            assert_eq!(err.kind(), VerifyErrorKind::ReplayCacheUnavailable, "{err}");
            assert!(err.replay_error().is_some(), "no replay error behind {err}");
        }
        Ok(link) => panic!("consume succeeded while Redis was unavailable: {link:?}"),
    }
}

/// Consumes fresh links until one succeeds, within a bounded number of
/// tries; every failure on the way must be the typed "unavailable".
async fn consume_when_back(
    engine: &Authlink,
    cache: &RedisReplayCache,
    user: u64,
) -> authlink::ConsumedLink<u64> {
    for attempt in 0..200 {
        match engine
            .consume(verified(engine, user + attempt), cache)
            .await
        {
            Ok(link) => return link,
            Err(err) => assert_eq!(err.kind(), VerifyErrorKind::ReplayCacheUnavailable, "{err}"),
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("consumes did not work again within 200 attempts after Redis came back");
}

/// Two nodes, each with its own connection manager (one connected by URL,
/// one built from the app's own manager), and 1,000 tasks that each verify
/// the same token and consume it: one login, 999 "already used".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_consumes_through_two_nodes_have_one_winner() {
    let server = block_in_place(RedisServer::start);
    // A roomy timeout: 1,000 consumes queue on two cores, and this test
    // counts winners, not speed.
    let builder = RedisReplayCache::builder().timeout(Duration::from_secs(10));
    let node_a = builder.clone().connect(&server.url()).await.unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let manager = ConnectionManager::new_with_config(client, builder.manager_config())
        .await
        .unwrap();
    let node_b = builder.build(manager).unwrap();
    one_winner_among_a_thousand([node_a, node_b]).await;
}

/// 1,000 tasks that each verify the same token and consume it through
/// `nodes` in turn: exactly one logs in, 999 find it already used.
pub(crate) async fn one_winner_among_a_thousand(nodes: [RedisReplayCache; 2]) {
    let nodes = Arc::new(nodes);
    let clock = fixtures::clock();
    let engine = Arc::new(fixtures::engine_with(fixtures::binding_off(), &clock));
    let token = engine.issue(&42u64, "/account", client_ip()).unwrap().key;

    let tasks: Vec<_> = (0..1_000)
        .map(|i| {
            let (engine, nodes, token) = (Arc::clone(&engine), Arc::clone(&nodes), token.clone());
            tokio::spawn(async move {
                let link = engine
                    .verify::<u64>(&token, client_ip())?
                    .check_stamp(None)?;
                engine.consume(link, &nodes[i % 2]).await
            })
        })
        .collect();
    let (mut logged_in, mut used) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(link) => {
                assert_eq!(*link.user(), 42);
                assert_eq!(link.target(), "/account");
                logged_in += 1;
            }
            Err(err) if err.kind() == VerifyErrorKind::AlreadyUsed => used += 1,
            Err(err) => panic!("unexpected error: {err} ({:?})", err.replay_error()),
        }
    }
    assert_eq!((logged_in, used), (1, 999));
}

/// The marker is `<prefix><replay key hex>` with a TTL of the link's
/// remaining life plus leeway, and Redis drops it once the link expired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn used_marker_lives_in_redis_until_the_link_expires() {
    let server = block_in_place(RedisServer::start);
    let cache = RedisReplayCache::builder()
        .prefix("expiry-test:")
        .connect(&server.url())
        .await
        .unwrap();
    let mut policy = fixtures::binding_off();
    policy.ttl = Duration::from_secs(3);
    policy.leeway = Duration::ZERO;
    let engine = system_clock_engine(policy);
    let mut raw = raw(&server).await;

    let token = engine.issue(&42u64, "/account", client_ip()).unwrap().key;
    let open = || {
        engine
            .verify::<u64>(&token, client_ip())
            .unwrap()
            .check_stamp(None)
            .unwrap()
    };
    let link = open();
    let key = format!("expiry-test:{}", link.replay_key());
    assert_eq!(cache.redis_key(link.replay_key()), key);
    engine.consume(link, &cache).await.unwrap();

    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        keys,
        vec![key.clone()],
        "exactly one marker, named by prefix and link id"
    );
    assert!(
        key["expiry-test:".len()..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
    );
    let pttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(
        0 < pttl && pttl <= 3_000,
        "PTTL {pttl} ms is not within the link's 3 s life"
    );
    let value: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(value, "1");
    let err = engine.consume(open(), &cache).await.unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);

    // Past the link's expiry, by Redis's clock.
    let remaining = Duration::from_millis(u64::try_from(pttl).unwrap());
    tokio::time::sleep(remaining + Duration::from_millis(200)).await;
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(exists, 0, "marker still in Redis after the link expired");
    let pttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(pttl, -2, "PTTL of a missing key");
}

/// Consuming the same link twice, through a cache wrapping the app's own
/// connection manager: the second is "already used".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_consume_of_a_link_is_already_used() {
    let server = block_in_place(RedisServer::start);
    let client = redis::Client::open(server.url()).unwrap();
    let manager = ConnectionManager::new(client).await.unwrap();
    let cache = RedisReplayCache::from_manager(manager);
    assert_eq!(cache.prefix(), "authlink:used:");
    let clock = fixtures::clock();
    let engine = fixtures::engine_with(fixtures::binding_off(), &clock);
    let link = verified(&engine, 7);
    engine.consume(link.clone(), &cache).await.unwrap();
    let err = engine.consume(link, &cache).await.unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);
}

/// Traffic while Redis is killed: every consume that starts after the kill
/// fails closed with the typed error, quickly; every consume that
/// succeeded has its marker in Redis (kept across the restart by the
/// append-only file). Restarted on the same port, the same cache works
/// again, and links used before the kill stay used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_redis_fails_closed_and_recovers_without_restart() {
    const WORKERS: u64 = 4;
    const MAX_PER_WORKER: u64 = 10_000;
    let timeout = Duration::from_millis(250);
    let mut server = block_in_place(RedisServer::start_persistent);
    let cache = Arc::new(
        RedisReplayCache::builder()
            .timeout(timeout)
            .connect(&server.url())
            .await
            .unwrap(),
    );
    let clock = fixtures::clock();
    let engine = Arc::new(fixtures::engine_with(fixtures::binding_off(), &clock));
    let stop = Arc::new(AtomicBool::new(false));
    let killed_at = Arc::new(OnceLock::<Instant>::new());

    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (cache, engine, stop) =
                (Arc::clone(&cache), Arc::clone(&engine), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut seen = Vec::new();
                for i in 0..MAX_PER_WORKER {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let link = verified(&engine, worker * MAX_PER_WORKER + i);
                    let started = Instant::now();
                    let result = engine.consume(link.clone(), &*cache).await;
                    seen.push((started, started.elapsed(), link, result));
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                seen
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(300)).await;
    block_in_place(|| server.kill());
    killed_at.set(Instant::now()).unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop.store(true, Ordering::Release);

    let mut succeeded = Vec::new();
    let mut refused_in_outage = Vec::new();
    let killed_at = *killed_at.get().unwrap();
    for worker in workers {
        for (started, took, link, result) in worker.await.unwrap() {
            assert!(took < timeout + SLACK, "a consume took {took:?}");
            if started >= killed_at {
                assert_unavailable(&result);
                refused_in_outage.push(link);
            } else if result.is_ok() {
                succeeded.push(link);
            } else {
                // In flight at the kill: may fail, but only as unavailable.
                assert_unavailable(&result);
            }
        }
    }
    assert!(
        !succeeded.is_empty(),
        "no consume succeeded before the kill"
    );
    assert!(
        !refused_in_outage.is_empty(),
        "no consume ran during the outage"
    );

    block_in_place(|| server.restart());
    consume_when_back(&engine, &cache, 1 << 40).await;

    let mut raw = raw(&server).await;
    for link in &succeeded {
        let exists: i64 = redis::cmd("EXISTS")
            .arg(cache.redis_key(link.replay_key()))
            .query_async(&mut raw)
            .await
            .unwrap();
        assert_eq!(exists, 1, "a consume succeeded without a durable marker");
        let err = engine.consume(link.clone(), &*cache).await.unwrap_err();
        assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);
    }
    // A refused consume recorded nothing: the link still works, once.
    for link in refused_in_outage.into_iter().take(5) {
        engine.consume(link.clone(), &*cache).await.unwrap();
        let err = engine.consume(link, &*cache).await.unwrap_err();
        assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);
    }
}

/// A frozen Redis (SIGSTOP) keeps the connection open and answers nothing:
/// the consume fails with the timeout error within the configured timeout,
/// connecting anew is bounded too, and after SIGCONT consumes work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_redis_times_out_within_the_configured_timeout() {
    let timeout = Duration::from_millis(300);
    let mut server = block_in_place(RedisServer::start);
    let cache = RedisReplayCache::builder()
        .timeout(timeout)
        .connect(&server.url())
        .await
        .unwrap();
    let clock = fixtures::clock();
    let engine = fixtures::engine_with(fixtures::binding_off(), &clock);
    engine.consume(verified(&engine, 1), &cache).await.unwrap();

    block_in_place(|| server.freeze());
    for user in 2..5 {
        let started = Instant::now();
        let result = engine.consume(verified(&engine, user), &cache).await;
        let took = started.elapsed();
        assert_unavailable(&result);
        let err = result.unwrap_err();
        assert_eq!(err.replay_error(), Some(&ReplayError::Timeout(timeout)));
        assert!(
            took < timeout + SLACK,
            "consume took {took:?} against a {timeout:?} timeout"
        );
    }

    let connect_timeout = Duration::from_millis(500);
    let started = Instant::now();
    let connected = RedisReplayCache::builder()
        .connect_timeout(connect_timeout)
        .connect(&server.url())
        .await;
    let took = started.elapsed();
    assert!(
        matches!(connected, Err(RedisCacheError::Unavailable(_))),
        "connecting to a frozen Redis: {connected:?}"
    );
    assert!(took < connect_timeout + SLACK, "connect took {took:?}");

    block_in_place(|| server.thaw());
    consume_when_back(&engine, &cache, 100).await;
}

/// Redis answering an error (here: out of memory under `noeviction`) fails
/// closed; once it accepts writes again, consumes work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_error_reply_fails_closed() {
    let server = block_in_place(RedisServer::start);
    let cache = RedisReplayCache::connect(&server.url()).await.unwrap();
    let clock = fixtures::clock();
    let engine = fixtures::engine_with(fixtures::binding_off(), &clock);
    let mut raw = raw(&server).await;
    config_set(&mut raw, "maxmemory", "1").await;

    let link = verified(&engine, 1);
    let replay_key = link.replay_key();
    let result = engine.consume(link.clone(), &cache).await;
    assert_unavailable(&result);
    let err = result.unwrap_err();
    let Some(ReplayError::Backend(message)) = err.replay_error() else {
        panic!("expected a backend error, got {err:?}");
    };
    assert!(message.contains("OOM"), "{message}");
    assert!(
        !message.contains(&replay_key.to_string()),
        "the key leaked into {message}"
    );

    config_set(&mut raw, "maxmemory", "0").await;
    engine.consume(link, &cache).await.unwrap();
}

/// Connecting to a Redis that is not there fails within the connect
/// timeout, and neither the error nor the cache's `Debug` shows the URL's
/// password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_fails_in_bounded_time_and_hides_the_password() {
    const PASSWORD: &str = "hunter2-not-for-logs";
    let mut server = block_in_place(RedisServer::start);
    let port = server.port();
    let mut raw = raw(&server).await;
    config_set(&mut raw, "requirepass", PASSWORD).await;

    let url = format!("redis://:{PASSWORD}@127.0.0.1:{port}/");
    let cache = RedisReplayCache::connect(&url).await.unwrap();
    let debug = format!("{cache:?}");
    assert!(!debug.contains(PASSWORD), "{debug}");
    assert!(debug.contains("authlink:used:"), "{debug}");

    let wrong =
        RedisReplayCache::connect(&format!("redis://:wrong-{PASSWORD}@127.0.0.1:{port}/")).await;
    let err = wrong.unwrap_err();
    assert!(matches!(err, RedisCacheError::Unavailable(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(PASSWORD), "{err:?}");

    block_in_place(|| server.kill());
    let connect_timeout = Duration::from_millis(500);
    let started = Instant::now();
    let down = RedisReplayCache::builder()
        .connect_timeout(connect_timeout)
        .connect(&url)
        .await;
    let took = started.elapsed();
    let err = down.unwrap_err();
    assert!(matches!(err, RedisCacheError::Unavailable(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(PASSWORD), "{err:?}");
    assert!(took < connect_timeout + SLACK, "connect took {took:?}");
}

#[tokio::test]
async fn bad_settings_are_typed_errors() {
    for url in ["not a url", "http://127.0.0.1/", ""] {
        let err = RedisReplayCache::connect(url).await.unwrap_err();
        assert_eq!(err, RedisCacheError::InvalidUrl, "{url:?}");
    }
    let zero = RedisReplayCache::builder().timeout(Duration::ZERO);
    assert_eq!(
        zero.clone()
            .connect("redis://127.0.0.1:1/")
            .await
            .unwrap_err(),
        RedisCacheError::ZeroTimeout
    );
    let client = redis::Client::open("redis://127.0.0.1:1/").unwrap();
    let lazy = ConnectionManager::new_lazy_with_config(client, zero.manager_config()).unwrap();
    assert_eq!(zero.build(lazy).unwrap_err(), RedisCacheError::ZeroTimeout);
    let no_connect = RedisReplayCache::builder().connect_timeout(Duration::ZERO);
    assert_eq!(
        no_connect
            .connect("redis://127.0.0.1:1/")
            .await
            .unwrap_err(),
        RedisCacheError::ZeroTimeout
    );
}

fn system_clock_engine(policy: Policy) -> Authlink {
    Authlink::new(
        KeyRing::new(KeyId::new(1), fixtures::key(7)),
        fixtures::PURPOSE,
        policy,
    )
    .unwrap()
}
