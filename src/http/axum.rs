//! The endpoints and the guard mounted in an axum router in one call.

use super::app::LinkApp;
use super::endpoints::Endpoints;
use super::sessions::LinkSessions;

impl<A, S> Endpoints<A, S>
where
    A: LinkApp,
    S: LinkSessions<User = A::User>,
{
    /// `pages` behind the guard, with the create endpoint at
    /// [`Settings::create_path`](crate::web::Settings::create_path) and the consume endpoint at the URL
    /// template's path, both outside the guard, and the session layer around
    /// whatever needs it. The order is the crate's, so it cannot be wrong.
    ///
    /// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`
    /// (or put a [`PeerAddr`](super::PeerAddr) in each request), so that the
    /// endpoints know the client's address.
    pub fn router(&self, pages: axum::Router) -> axum::Router {
        let config = self.settings();
        let prefix = config.consume_prefix();
        let router = pages
            .layer(self.guard_layer())
            .route_service(&config.create_path, self.create_service())
            .route_service(&format!("{prefix}{{key}}"), self.consume_service())
            // An empty key is a failure like any other, not a 404.
            .route_service(prefix, self.consume_service());
        match &config.email {
            Some(email) => router
                .route_service(&email.request_path, self.email_service())
                .route_service(&email.code_path(), self.email_service())
                .route_service(
                    &format!("{}/{{key}}", email.request_path),
                    self.email_service(),
                ),
            None => router,
        }
    }
}
