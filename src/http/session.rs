//! Browser sessions: what the endpoints need to know of them, the session
//! cookie, and an in-memory store for tests and demos.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::SET_COOKIE;
use http::header::{COOKIE, HOST};
use http::{HeaderMap, HeaderValue, request, response};
use rand::Rng as _;
use thiserror::Error;

/// A browser session as the endpoints and the guard see it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrowserSession<U> {
    /// Who is logged in.
    pub user: U,
    /// Whether the session was established by consuming a link. The session
    /// guard confines such sessions to the whitelist.
    pub via_link: bool,
}

impl<U> BrowserSession<U> {
    /// A session established by consuming a link.
    pub fn via_link(user: U) -> Self {
        Self {
            user,
            via_link: true,
        }
    }

    /// A session established some other way (a password, single sign-on…).
    pub fn other(user: U) -> Self {
        Self {
            user,
            via_link: false,
        }
    }
}

/// A fresh session id: 256 random bits from the OS-seeded CSPRNG, in
/// base64url. Never taken from the browser, never derived from a link.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// A new random id.
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The id as cookie text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A session id is a bearer credential: `Debug` hides it.
impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

/// The session cookie: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure`
/// unless the request is plain HTTP to `localhost`, `127.0.0.1` or `[::1]`
/// (where browsers would drop a `Secure` cookie set over `http://`).
#[derive(Debug, Clone)]
pub struct SessionCookie {
    name: String,
}

impl SessionCookie {
    /// A cookie named `name`, which must be a cookie token (letters, digits
    /// and `!#$%&'*+-.^_`|~`).
    ///
    /// # Errors
    /// [`CookieNameError`] for an empty name or one with other characters.
    pub fn new(name: impl Into<String>) -> Result<Self, CookieNameError> {
        let name = name.into();
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            return Err(CookieNameError);
        }
        Ok(Self { name })
    }

    /// The cookie's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of this cookie in the request's `Cookie` headers.
    #[must_use]
    pub fn read<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.name)
            .map(|(_, value)| value.trim_matches('"'))
    }

    /// The `Set-Cookie` value that stores `id` in the browser that sent `request`.
    #[must_use]
    pub fn set(&self, id: &SessionId, request: &request::Parts) -> HeaderValue {
        self.header(id.as_str(), "", request)
    }

    /// The `Set-Cookie` value that deletes the cookie.
    #[must_use]
    pub fn clear(&self, request: &request::Parts) -> HeaderValue {
        self.header("", "; Max-Age=0", request)
    }

    fn header(&self, value: &str, extra: &str, request: &request::Parts) -> HeaderValue {
        let secure = if is_plain_http_localhost(request) {
            ""
        } else {
            "; Secure"
        };
        let text = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{extra}",
            self.name
        );
        // Name and value are checked tokens and base64url: always valid.
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// A cookie name is empty or not a cookie token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("cookie name must be a non-empty token of letters, digits and !#$%&'*+-.^_`|~")]
pub struct CookieNameError;

/// Whether the request is plain HTTP to a loopback host name. The scheme is
/// known only when the request carries an absolute URI (HTTP/2); otherwise
/// plain HTTP is assumed, and the host alone decides.
fn is_plain_http_localhost(request: &request::Parts) -> bool {
    if request.uri.scheme_str().is_some_and(|s| s != "http") {
        return false;
    }
    let host = request.uri.host().map(str::to_owned).or_else(|| {
        let host = request.headers.get(HOST)?.to_str().ok()?;
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split_once(']').map_or(v6, |(ip, _)| ip),
            None => host.rsplit_once(':').map_or(host, |(name, _)| name),
        };
        Some(host.to_owned())
    });
    matches!(
        host.as_deref()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']')),
        Some("localhost" | "127.0.0.1" | "::1")
    )
}

/// The in-memory store is full of live sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("session store is full")]
pub struct SessionStoreFull;

/// Sessions in this process's memory, keyed by [`SessionId`]: for tests,
/// demos and single-process tools. A real app keeps sessions where the rest
/// of its state lives (its session framework, a database, Redis).
///
/// Bounded: at most `capacity` sessions, each dropped `lifetime` after it was
/// created. Clones share the store.
pub struct MemorySessions<U> {
    inner: Arc<Mutex<Store<U>>>,
}

struct Store<U> {
    sessions: HashMap<SessionId, (BrowserSession<U>, Instant)>,
    capacity: usize,
    lifetime: Duration,
}

impl<U: Clone> MemorySessions<U> {
    /// A store of up to 10 000 sessions, each living 12 hours.
    #[must_use]
    pub fn new() -> Self {
        Self::with_limits(10_000, Duration::from_secs(12 * 60 * 60))
    }

    /// A store of up to `capacity` sessions, each living `lifetime`.
    #[must_use]
    pub fn with_limits(capacity: usize, lifetime: Duration) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Store {
                sessions: HashMap::new(),
                capacity,
                lifetime,
            })),
        }
    }

    /// Stores `session` under a fresh id.
    ///
    /// # Errors
    /// [`SessionStoreFull`] when `capacity` sessions are live.
    pub fn create(&self, session: BrowserSession<U>) -> Result<SessionId, SessionStoreFull> {
        let mut store = self.lock();
        let now = Instant::now();
        if store.sessions.len() >= store.capacity {
            store.sessions.retain(|_, (_, expires)| *expires > now);
            if store.sessions.len() >= store.capacity {
                return Err(SessionStoreFull);
            }
        }
        let id = SessionId::generate();
        let expires = now + store.lifetime;
        store.sessions.insert(id.clone(), (session, expires));
        Ok(id)
    }

    /// The live session stored under `id`.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<BrowserSession<U>> {
        let store = self.lock();
        let (session, expires) = store.sessions.get(&SessionId(id.to_owned()))?;
        (*expires > Instant::now()).then(|| session.clone())
    }

    /// Drops the session stored under `id`, if any.
    pub fn remove(&self, id: &str) {
        self.lock().sessions.remove(&SessionId(id.to_owned()));
    }

    /// How many sessions are stored (expired ones included until swept).
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether no session is stored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store<U>> {
        // Every update is a single map operation: a panic cannot leave it torn.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<U: Clone> Default for MemorySessions<U> {
    fn default() -> Self {
        Self::new()
    }
}

impl<U> Clone for MemorySessions<U> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<U> fmt::Debug for MemorySessions<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySessions").finish_non_exhaustive()
    }
}

/// [`MemorySessions`] behind a [`SessionCookie`]: the session an
/// [`Adapter`](crate::http::Adapter) reads, starts and ends, for tests, demos
/// and single-process tools. Clones share the store.
///
/// ```
/// use authlink::http::{BrowserSession, CookieSessions, SessionCookie};
/// use http::header::{COOKIE, SET_COOKIE};
///
/// let sessions = CookieSessions::new(SessionCookie::new("session")?);
/// let (request, _) = http::Request::new(()).into_parts();
/// let (mut response, _) = http::Response::new(()).into_parts();
/// sessions.start(&request, BrowserSession::via_link("alice"), &mut response)?;
///
/// // The browser sends the cookie back.
/// let cookie = response.headers[SET_COOKIE].to_str()?.split(';').next().unwrap_or_default();
/// let mut next = http::Request::new(());
/// next.headers_mut().insert(COOKIE, cookie.parse()?);
/// let (next, _) = next.into_parts();
/// assert_eq!(sessions.current(&next).map(|s| s.user), Some("alice"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CookieSessions<U> {
    store: MemorySessions<U>,
    cookie: SessionCookie,
}

impl<U: Clone> CookieSessions<U> {
    /// An empty [`MemorySessions::new`] store behind `cookie`.
    #[must_use]
    pub fn new(cookie: SessionCookie) -> Self {
        Self::with_store(MemorySessions::new(), cookie)
    }

    /// `store` behind `cookie`.
    #[must_use]
    pub fn with_store(store: MemorySessions<U>, cookie: SessionCookie) -> Self {
        Self { store, cookie }
    }

    /// The live session named by the request's cookie.
    #[must_use]
    pub fn current(&self, request: &request::Parts) -> Option<BrowserSession<U>> {
        self.store.get(self.cookie.read(&request.headers)?)
    }

    /// Stores `session` under a fresh id (never one the browser sent) and
    /// sets the cookie on `response`.
    ///
    /// # Errors
    /// [`SessionStoreFull`] when the store holds its capacity of live
    /// sessions; `response` is then left unchanged.
    pub fn start(
        &self,
        request: &request::Parts,
        session: BrowserSession<U>,
        response: &mut response::Parts,
    ) -> Result<(), SessionStoreFull> {
        let id = self.store.create(session)?;
        response
            .headers
            .append(SET_COOKIE, self.cookie.set(&id, request));
        Ok(())
    }

    /// Drops the request's session, if any, and clears the cookie.
    pub fn end(&self, request: &request::Parts, response: &mut response::Parts) {
        if let Some(id) = self.cookie.read(&request.headers) {
            self.store.remove(id);
        }
        response
            .headers
            .append(SET_COOKIE, self.cookie.clear(request));
    }

    /// The store, to inspect or share.
    #[must_use]
    pub fn store(&self) -> &MemorySessions<U> {
        &self.store
    }

    /// The cookie.
    #[must_use]
    pub fn cookie(&self) -> &SessionCookie {
        &self.cookie
    }
}

impl<U> Clone for CookieSessions<U> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            cookie: self.cookie.clone(),
        }
    }
}

impl<U> fmt::Debug for CookieSessions<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieSessions")
            .field("cookie", &self.cookie.name())
            .finish_non_exhaustive()
    }
}
