//! Validated domain types. Each constructor is the only way to obtain a value, so a value's
//! existence proves it passed validation ("parse, don't validate").

pub mod analytics;
pub mod event;
pub mod health;
pub mod ids;
pub mod list;
pub mod tenant;
pub mod time;
