//! The one reading of `functions/manifest.json` and the one API Gateway route matcher.
//!
//! The local stack routes requests with it, the `not-found` function computes `Allow` with it and
//! the black-box tests derive their route lists from it, so none of them can disagree about which
//! routes exist or what a path matches.
//!
//! - [`manifest`]: the manifest's types, loading and validation.
//! - [`table`]: route selection as API Gateway HTTP APIs do it, and the methods served at a path.

pub mod manifest;
pub mod table;

pub use manifest::{
    Auth, FunctionDef, IndexDef, Manifest, ManifestError, QueueDef, TableDef, Trigger,
    DEFAULT_ROUTE,
};
pub use table::{Route, RouteMatch, RouteTable};
