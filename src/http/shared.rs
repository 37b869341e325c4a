//! What the tower services of one [`Endpoints`](super::Endpoints) share.

use std::sync::Arc;

use crate::web::Settings;

/// What the create and consume services share: the framework-neutral
/// settings, the app and the sessions.
pub(crate) struct Shared<A, S> {
    pub(crate) config: Arc<Settings>,
    pub(crate) app: Arc<A>,
    pub(crate) sessions: S,
}

impl<A, S: Clone> Clone for Shared<A, S> {
    fn clone(&self) -> Self {
        Self {
            config: Arc::clone(&self.config),
            app: Arc::clone(&self.app),
            sessions: self.sessions.clone(),
        }
    }
}
