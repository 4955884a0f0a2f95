//! Everything the OFAuto functions have in common.
//!
//! Functions stay thin: they wire config and clients once at cold start and hand each request to
//! a handler. Everything that decides behaviour — who the caller is, what input is acceptable,
//! which DynamoDB key an item lives under, how errors look on the wire — lives here, so that every
//! function gets it by construction rather than by copy.

pub mod aggregation;
pub mod aws;
pub mod config;
pub mod cursor;
pub mod dead_letters;
pub mod domain;
pub mod edge;
pub mod error;
pub mod http;
pub mod json_body;
pub mod keys;
pub mod openapi;
pub mod repo;
pub mod telemetry;
pub mod wiring;

pub use error::{ApiError, FieldError};

#[cfg(any(test, feature = "testing"))]
pub mod testing;
