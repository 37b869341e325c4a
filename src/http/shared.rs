//! What the tower services share: the state of one
//! [`Endpoints`](super::Endpoints), and the boxed types of their calls.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::web::Settings;

/// The error of a body the services read or pass on.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The future of every service's call.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

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
