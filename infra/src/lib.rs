//! The OFAuto local stack: everything `make dev` and the black-box tests run against.
//!
//! It is a library as well as the `ofauto-local` binary so that `ofauto-token` mints tokens with
//! exactly the key handling the gateway verifies with.

pub mod apigw;
pub mod args;
pub mod bootstrap;
pub mod console_site;
pub mod control;
pub mod deps;
pub mod domain_events;
pub mod function_env;
pub mod gateway;
pub mod ids;
mod invocations;
pub mod jwt;
pub mod keys;
pub mod logs;
pub mod paths;
pub mod pool;
pub mod process;
pub mod report;
pub mod runtime_api;
pub mod schedule;
pub mod sqs;
pub mod sqs_event;
pub mod stack;
pub mod stream;
pub mod stream_event;
mod worker;
