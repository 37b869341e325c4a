//! The consume endpoint against a session store that fails: the session is
//! stored before the link is marked used, so a store that is down answers
//! 503 with `Retry-After` and burns no link; once the store is back, the same link logs in,
//! once. Nothing the crate keeps fills up: the sessions live in the app's
//! store, which has no cap one user could reach.

use crate::http_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::fixtures::{policy, secret};
use async_trait::async_trait;
use authlink::http::{Endpoints, TowerSessions};
use authlink::replay::MemoryReplayCache;
use authlink::web::CurrentUser;
use authlink::{Authlink, KeyId, KeyRing};
use axum::Router;
use axum::routing::get;
use http::StatusCode;
use http_support::{Client, TestAdapter, TestLinkApp, serve};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::{MemoryStore, Session, SessionStore};

/// A memory store that can be switched off.
#[derive(Debug, Clone, Default)]
struct FlakyStore {
    inner: MemoryStore,
    down: Arc<AtomicBool>,
}

impl FlakyStore {
    fn check(&self) -> Result<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(Error::Backend("session store is down".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SessionStore for FlakyStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        self.check()?;
        self.inner.create(record).await
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.check()?;
        self.inner.save(record).await
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        self.check()?;
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.check()?;
        self.inner.delete(id).await
    }
}

#[tokio::test]
async fn a_failing_session_store_burns_no_link() {
    let store = FlakyStore::default();
    let cache = Arc::new(MemoryReplayCache::new());
    let authlink = Authlink::new(
        KeyRing::new(KeyId::new(1), secret()),
        "session store test",
        policy(),
    )
    .unwrap();
    let sessions = TowerSessions::new(store.clone())
        .cookie_name("sid")
        .insecure_cookie();
    let settings = authlink::web::Settings::with_origin(authlink, crate::http_support::ORIGIN)
        .unwrap()
        .replay_cache(Arc::clone(&cache))
        .failure_url("/?error={reason}")
        .unwrap();
    let endpoints = Endpoints::new(
        settings,
        TestLinkApp(Arc::new(TestAdapter::default())),
        sessions,
    );
    let pages = Router::new().route(
        "/account",
        get(|session: Session| async move {
            match CurrentUser::<String>::of(&session).await.unwrap() {
                Some(current) => format!("Hello, {}", current.user),
                None => "nobody".to_owned(),
            }
        }),
    );
    let (addr, server) = serve(endpoints.router(pages)).await;

    let client = Client::new(addr);
    let link = client
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await
        .created_link();
    store.down.store(true, Ordering::SeqCst);
    let reply = client.get(&link).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{reply:?}");
    assert!(reply.header("retry-after").is_some(), "{reply:?}");
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
    assert_eq!(cache.len(), 0, "the link was marked used");

    store.down.store(false, Ordering::SeqCst);
    client.get(&link).await.assert_redirect("/account");
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    assert_eq!(cache.len(), 1);
    Client::new(addr)
        .get(&link)
        .await
        .assert_redirect("/?error=used");
    server.abort();
}
