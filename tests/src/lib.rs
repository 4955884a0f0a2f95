//! Black-box test harness for OFAuto.
//!
//! The tests talk to the local stack over HTTP exactly as clients do: nothing is mocked. One stack
//! is started per test binary (see [`stack`]); every test works in its own random tenant so tests
//! can run in parallel against it without seeing each other's data.
//!
//! - [`stack`] starts `ofauto-local` on free ports and waits until it is ready.
//! - [`tokens`] mints RS256 dev JWTs with the stack's private key, valid and deliberately broken.
//! - [`api`] is a small HTTP client plus assertions for problem+json and the security headers.
//! - [`manifest`] reads `functions/manifest.json` with `ofauto-routes`, the stack's own reader.
//! - [`fixtures`] holds tenants, event creation and list walking shared by the test files.
//! - [`raw`] speaks HTTP/1.1 by hand, for requests a client library refuses to send.
//! - [`dynamo`] writes straight to DynamoDB Local, to stage states the API cannot produce.
//! - [`queues`] peeks at the SQS queues on moto: the dead-letter queues, for one.
//! - [`receiver`] is the webhook receiver channels deliver to: scripted answers, and every
//!   delivery recorded and verified with an independent Standard Webhooks verifier.
//! - [`posts`] makes channels on the receiver and posts on them, and checks what the API answers.
//! - [`rate_limits`] knows the test stack's tiers and reads the `RateLimit-*` headers.
//! - [`control`] drives the stack as an operator would: dispatcher ticks at a chosen instant,
//!   killing a function's processes, reading the domain events the custom bus delivered.

pub mod api;
pub mod bench;
pub mod control;
pub mod dynamo;
pub mod fixtures;
pub mod manifest;
pub mod posts;
pub mod queues;
pub mod rate_limits;
pub mod raw;
pub mod receiver;
pub mod stack;
pub mod time;
pub mod tokens;

pub use api::{Api, Problem, Resp};
pub use fixtures::Tenant;
pub use receiver::{receiver, Delivery, Endpoint, Step};
pub use stack::stack;
