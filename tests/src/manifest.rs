//! `functions/manifest.json`, read and routed by `ofauto-routes`: the very code the local stack
//! routes with, so a test that derives its routes from here tests what the gateway serves.

use std::path::PathBuf;
use std::sync::OnceLock;

use ofauto_routes::{Manifest, RouteTable};

use crate::stack::workspace_root;

pub fn path() -> PathBuf {
    workspace_root().join("functions/manifest.json")
}

/// The workspace's manifest, loaded and validated once.
pub fn manifest() -> &'static Manifest {
    static MANIFEST: OnceLock<Manifest> = OnceLock::new();
    MANIFEST.get_or_init(|| Manifest::load(&path()).unwrap_or_else(|e| panic!("{e}")))
}

/// The manifest's route table, as the gateway builds it.
pub fn routes() -> &'static RouteTable {
    static ROUTES: OnceLock<RouteTable> = OnceLock::new();
    ROUTES.get_or_init(|| RouteTable::from_manifest(manifest()))
}
