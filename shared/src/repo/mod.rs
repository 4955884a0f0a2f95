//! DynamoDB repositories. Every method takes the tenant; keys come only from `crate::keys`, and
//! errors are [`StorageError`]s, which the HTTP edge turns into answers.

pub(crate) mod attributes;
pub(crate) mod counters;
pub(crate) mod error;
pub(crate) mod events;

pub use counters::{CountersRepository, PoisonedChange};
pub use error::StorageError;
pub use events::EventsRepository;
