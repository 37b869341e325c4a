//! [`LinkUser`]: what a user id needs to travel in links and sessions.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::user::UserId;

/// A user id the endpoints can carry in links and keep in sessions: a
/// [`UserId`] that deserializes, shows in log events (its `Debug` form), and
/// crosses threads. Implemented for every such type: `u64`, `String`,
/// `Uuid` (feature `uuid`), an app's own id.
pub trait LinkUser: UserId + DeserializeOwned + fmt::Debug + Send + Sync + 'static {}

impl<T: UserId + DeserializeOwned + fmt::Debug + Send + Sync + 'static> LinkUser for T {}
