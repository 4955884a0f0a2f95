//! End-to-end tests of the Event Service through the local stack, over HTTP, as clients call it.
//!
//! One binary, so one stack: each area is a module in its own file (the security suite is a
//! directory, `security/`, one file per attack surface). Every test uses its own random tenant(s),
//! so they run in parallel against the shared stack.
//!
//! Needs the workspace binaries (`ofauto-local` and every function in `functions/manifest.json`)
//! built first: `cargo build --workspace --bins`.

mod analytics;
mod events;
mod pagination;
mod routing;
mod scheduling;
mod security;
mod storage;
mod validation;
