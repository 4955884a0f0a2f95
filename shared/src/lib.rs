//! Everything the OFAuto functions have in common.
//!
//! Functions stay thin: they wire config and clients once at cold start and hand each request to
//! a handler. Everything that decides behaviour — who the caller is, what input is acceptable,
//! which DynamoDB key an item lives under, how errors look on the wire — lives here, so that every
//! function gets it by construction rather than by copy.

// Modules are private: a function crate sees only what is re-exported below, so it cannot, for
// one, format a DynamoDB key or reach a repository's item mapping.
mod aggregation;
pub mod automation_runner;
pub mod aws;
pub mod bus;
mod config;
mod cursor;
mod dead_letters;
mod delivery;
mod delivery_queue;
mod dispatch;
pub mod domain;
mod edge;
mod error;
pub mod http;
mod json_body;
mod keys;
mod openapi;
pub mod post_service;
pub mod repo;
pub mod schedule;
mod secrets;
pub mod telemetry;
pub mod webhook;
pub mod wiring;

pub use aggregation::CounterChange;
pub use config::Config;
pub use cursor::CursorSigner;
pub use dead_letters::{bounded, DeadLetterQueue};
pub use delivery::{Deliverer, DelivererParts};
pub use delivery_queue::{DeliveryKind, DeliveryMessage, DeliveryQueue};
pub use dispatch::{Dispatcher, TickFailed, TickSummary};
pub use edge::Edge;
pub use error::{ApiError, FieldError};
pub use json_body::JsonObject;
pub use openapi::to_pretty_json as openapi_json;
pub use secrets::ChannelSecrets;

/// What the black-box tests need to stage states the API cannot produce on purpose (an
/// idempotency record left by a crashed invocation): never compiled into a function.
#[cfg(any(test, feature = "testing"))]
pub mod staging {
    pub use crate::edge::idempotency::request_hash;
    pub use crate::keys::Key;
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;
