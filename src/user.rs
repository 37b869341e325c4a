//! The app's user id, as links carry it.

use serde::Serialize;

/// A type of user id a link can carry, named by a kind that every link's
/// tag authenticates: a link verifies only as the kind of user id it was
/// issued for, so a `String` user can never be read back as a `u64` one.
///
/// Implemented for the integers, `String` and `str` (both `"string"`, so a
/// link issued for a `&str` verifies as a `String`), and `uuid::Uuid` with
/// the `uuid` feature. An app's own id type names its own kind; changing
/// the kind invalidates every outstanding link.
///
/// ```
/// use authlink::UserId;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct AccountId(u64);
///
/// impl UserId for AccountId {
///     const KIND: &'static str = "myapp.account";
/// }
/// ```
pub trait UserId: Serialize {
    /// A short, stable name for this kind of user id.
    const KIND: &'static str;
}

macro_rules! kinds {
    ($($ty:ty => $kind:literal),* $(,)?) => {
        $(impl UserId for $ty {
            const KIND: &'static str = $kind;
        })*
    };
}

kinds! {
    u8 => "u8", u16 => "u16", u32 => "u32", u64 => "u64", u128 => "u128",
    i8 => "i8", i16 => "i16", i32 => "i32", i64 => "i64", i128 => "i128",
    str => "string", String => "string", Box<str> => "string",
}

#[cfg(feature = "uuid")]
kinds! { uuid::Uuid => "uuid" }
