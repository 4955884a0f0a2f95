//! DynamoDB repositories. Every method takes the tenant; keys come only from `crate::keys`, and
//! errors are [`StorageError`]s, which the HTTP edge turns into answers.

pub mod attributes;
pub mod counters;
pub mod error;
pub mod events;

pub use error::StorageError;
