//! The error an app's own code or a session backend reports to the
//! endpoints.

use std::error::Error as StdError;
use std::fmt;

/// An app method (`LinkApp`, `ActixApp`) or a session backend failed: a
/// database or session store error.
#[derive(Debug)]
pub struct AppError(Box<dyn StdError + Send + Sync>);

impl AppError {
    /// Wraps the app's error.
    pub fn new(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self(error.into())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "app failed: {}", self.0)
    }
}

impl StdError for AppError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.0)
    }
}
