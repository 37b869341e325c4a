//! [`ActixSessions`]: the app's actix-session `SessionMiddleware`, as the
//! endpoints and the guard know it is there, and as a store failing after
//! the handler burns no link.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::storage::SessionStore;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::InternalError;
use actix_web::{Error, HttpMessage as _, HttpRequest};

use super::response::into_response;
use crate::replay::ReplayKey;
use crate::web::Settings;
use crate::web::flow::{give_back, missing_session};
use crate::web::pipeline;

/// What the endpoints and the guard find in a request that passed
/// [`ActixSessions`]: proof that actix-session's middleware is around them,
/// and where a sign-in leaves the link it used up until the session is
/// stored.
#[derive(Default)]
pub(super) struct InSessions {
    spent: Cell<Option<ReplayKey>>,
    /// Whether actix-identity's middleware is inside the sessions (see
    /// [`ActixSessions::with_identity`]).
    pub(super) identity: bool,
    /// Whether the guard saw the request.
    pub(super) guarded: Cell<bool>,
}

impl InSessions {
    /// The marker of `request`, or `None` when it did not pass
    /// [`ActixSessions`] (yet: the guard may be outside it).
    pub(super) fn of(request: &HttpRequest) -> Option<Rc<Self>> {
        request.extensions().get::<Rc<Self>>().cloned()
    }

    /// Keeps `spent` until the session holding its login is stored.
    pub(super) fn spent(&self, spent: ReplayKey) {
        self.spent.set(Some(spent));
    }

    /// Whether this request signed a link's user in.
    pub(super) fn signed_in_by_link(&self) -> bool {
        self.spent.get().is_some()
    }
}

/// The fix a request without [`ActixSessions`] logs.
pub(super) const MISSING: &str = "wrap the whole App in \
    ActixEndpoints::sessions(SessionMiddleware::…), as the last `wrap`, outside the guard \
    (actix runs the last `wrap` first)";

/// Says, once for the request, that it reached the guard or a user
/// extractor without [`ActixSessions`] around it.
pub(super) fn missing(request: &HttpRequest) {
    struct Said;
    if request.extensions().contains::<Said>() {
        return;
    }
    request.extensions_mut().insert(Said);
    missing_session(MISSING);
}

/// Whether a request that would sign someone in through actix-identity
/// missed the guard, which alone keeps such a login to the whitelist (the
/// app's `Identity` sees it as a full login); said with the fix.
pub(super) fn unguarded_identity(marker: &InSessions) -> bool {
    if !marker.identity || marker.guarded.get() {
        return false;
    }
    tracing::error!(
        target: "authlink",
        outcome = "misconfigured",
        "no guard around this sign-in: with ActixSessions::with_identity, wrap the whole App \
         in ActixEndpoints::guard(), inside ActixEndpoints::sessions",
    );
    true
}

/// The app's actix-session `SessionMiddleware`, from
/// [`ActixEndpoints::sessions`](super::ActixEndpoints::sessions): wrap the
/// whole `App` in it, as the last `wrap` (outside the guard).
///
/// - The endpoints, the guard and the user extractors answer a request
///   that did not pass it with `500`
///   ([`Messages::sign_in_failed`](crate::web::Messages::sign_in_failed))
///   and one `ERROR` line naming this fix, instead of logging no one in
///   (actix-session hands out a detached session without its middleware).
/// - actix-session stores the session after the handler. When a
///   server-side store (Redis) fails then, the link that sign-in used up is
///   given back and the browser gets the answer to an unavailable store
///   (default `503` with `Retry-After`): the same link works once the
///   store is back.
///
/// `Inner` is what runs between the sessions and the app: nothing
/// ([`Passthrough`]), or actix-identity's `IdentityMiddleware` after
/// [`with_identity`](Self::with_identity).
pub struct ActixSessions<Store: SessionStore, Inner = Passthrough> {
    sessions: Rc<SessionMiddleware<Store>>,
    inner: Rc<Inner>,
    identity: bool,
    settings: Arc<Settings>,
}

/// No middleware between the sessions and the app: actix-web's no-op
/// middleware (no relation to actix-identity).
pub type Passthrough = actix_web::middleware::Identity;

impl<Store: SessionStore> ActixSessions<Store> {
    pub(super) fn new(sessions: SessionMiddleware<Store>, settings: Arc<Settings>) -> Self {
        Self {
            sessions: Rc::new(sessions),
            inner: Rc::new(Passthrough::default()),
            identity: false,
            settings,
        }
    }

    /// Puts actix-identity's middleware inside the sessions, in the order
    /// it needs, and logs link sessions in through `Identity::login` as
    /// well (feature `actix-identity`): an app on actix-identity sees them
    /// as its own logins, while the guard keeps them to the whitelist.
    ///
    /// The identity is the user id's text: a string as it is, a number in
    /// decimal, a `Uuid` hyphenated, any other id its JSON. actix-identity
    /// tells no one of a login, but every `Identity::login` renews the
    /// session: a link session renewed by the handler of the app's login
    /// page ([`Settings::login_url`](crate::web::Settings::login_url), which
    /// link sessions may reach) in a request that signed in no link is the
    /// app's own login and no longer a link session. A renewal anywhere else
    /// changes nothing. On every request the guard also ends a link session
    /// whose identity is gone (`Identity::logout`, whichever its logout
    /// behaviour, or a deadline) or belongs to another user.
    ///
    /// The guard must wrap the whole `App` (inside the sessions): a link
    /// sign-in that did not pass it is refused with `500` and the fix in the
    /// log, since the app's `Identity` would see that login as a full one.
    /// Who is signed in is then the `Identity`'s; authlink's keys, which
    /// [`CurrentUser`](crate::web::CurrentUser) reads, never contradict it
    /// (they are dropped when they would).
    #[cfg(feature = "actix-identity")]
    #[cfg_attr(docsrs, doc(cfg(feature = "actix-identity")))]
    #[must_use]
    pub fn with_identity(
        self,
        identity: actix_identity::IdentityMiddleware,
    ) -> ActixSessions<Store, actix_identity::IdentityMiddleware> {
        ActixSessions {
            sessions: self.sessions,
            inner: Rc::new(identity),
            identity: true,
            settings: self.settings,
        }
    }
}

impl<Store: SessionStore, Inner> Clone for ActixSessions<Store, Inner> {
    fn clone(&self) -> Self {
        Self {
            sessions: Rc::clone(&self.sessions),
            inner: Rc::clone(&self.inner),
            identity: self.identity,
            settings: Arc::clone(&self.settings),
        }
    }
}

impl<Store: SessionStore, Inner> fmt::Debug for ActixSessions<Store, Inner> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActixSessions")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// What `Inner` makes of the app's service `S`.
type InnerOf<Inner, S> = <Inner as Transform<S, ServiceRequest>>::Transform;

/// The sessions' transform around that.
type SessionsAround<Store, Inner, S> =
    <SessionMiddleware<Store> as Transform<InnerOf<Inner, S>, ServiceRequest>>::Transform;

impl<S, B, Store, Inner> Transform<S, ServiceRequest> for ActixSessions<Store, Inner>
where
    Store: SessionStore + 'static,
    Inner: Transform<S, ServiceRequest, Error = Error, InitError = ()> + 'static,
    Inner::Future: 'static,
    SessionMiddleware<Store>: Transform<
            InnerOf<Inner, S>,
            ServiceRequest,
            Response = ServiceResponse<B>,
            Error = Error,
            InitError = (),
        >,
    SessionsAround<Store, Inner, S>: 'static,
    <SessionMiddleware<Store> as Transform<InnerOf<Inner, S>, ServiceRequest>>::Future: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = ActixSessionsService<SessionsAround<Store, Inner, S>>;
    type InitError = ();
    type Future = Pin<Box<dyn Future<Output = Result<Self::Transform, ()>>>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let inner = self.inner.new_transform(service);
        let sessions = Rc::clone(&self.sessions);
        let identity = self.identity;
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            let inner = sessions.new_transform(inner.await?).await?;
            Ok(ActixSessionsService {
                inner: Rc::new(inner),
                identity,
                settings,
            })
        })
    }
}

/// The service [`ActixSessions`] puts around the app's.
pub struct ActixSessionsService<S> {
    inner: Rc<S>,
    identity: bool,
    settings: Arc<Settings>,
}

impl<S> fmt::Debug for ActixSessionsService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActixSessionsService")
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for ActixSessionsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Error>>>>;

    actix_web::dev::forward_ready!(inner);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let marker = Rc::new(InSessions {
            spent: Cell::new(None),
            identity: self.identity,
            guarded: Cell::new(false),
        });
        request.extensions_mut().insert(Rc::clone(&marker));
        let inner = Rc::clone(&self.inner);
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            let result = inner.call(request).await;
            match (result, marker.spent.take()) {
                (Err(err), Some(spent)) => {
                    // The store failed after a sign-in used up `spent`:
                    // actix-session dropped the response and its cookie.
                    give_back(&settings, spent, &err).await;
                    let answer = into_response(pipeline::unstored(&settings));
                    Err(InternalError::from_response(Unstored, answer).into())
                }
                (result, _) => result,
            }
        })
    }
}

/// Why a sign-in's answer was replaced: its session could not be stored.
#[derive(Debug)]
struct Unstored;

impl fmt::Display for Unstored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the session store failed after the sign-in; the link was given back")
    }
}
