//! Email sign-in's web face, written once for every framework: the pages,
//! the pending cookie on the wire, the forms and the three endpoints
//! (ask by address, open the mailed link, finish with the code). The core
//! is [`crate::mail`]; the adapters mount [`flow`]'s steps.

mod cookie;
pub(crate) mod flow;
mod form;
mod pages;
mod settings;

pub use settings::EmailSettings;
