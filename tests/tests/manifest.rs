//! `functions/manifest.json` and the crates in `functions/` must agree: the manifest is the one
//! place a function (and its route) is declared, and Terraform and the local stack both read it.
//! No stack needed. The manifest is read with `ofauto-routes`, exactly as the local stack and the
//! `not-found` function read it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use ofauto_routes::{FunctionDef, Manifest};
use serde_json::Value;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// The manifest's functions, parsed but not validated: the check below reports every
/// disagreement, where validation stops at the first.
fn manifest_functions(root: &Path) -> Result<Vec<FunctionDef>, String> {
    let path = root.join("functions/manifest.json");
    let raw =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let manifest: Manifest = serde_json::from_str(&raw)
        .map_err(|e| format!("{} is not a manifest: {e}", path.display()))?;
    Ok(manifest.functions)
}

/// Directories in `functions/` that hold a `Cargo.toml`.
fn crate_dirs(root: &Path) -> Result<BTreeMap<String, PathBuf>, String> {
    let dir = root.join("functions");
    let entries = fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    Ok(entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            Some((name, path))
        })
        .collect())
}

/// The `name` in a Cargo.toml's `[package]` table (a minimal reader: `name = "..."`).
fn package_name(cargo_toml: &Path) -> Option<String> {
    let raw = fs::read_to_string(cargo_toml).ok()?;
    let mut in_package = false;
    for line in raw.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "name" {
                let value = value.trim();
                let unquoted = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))?;
                return Some(unquoted.to_owned());
            }
        }
    }
    None
}

/// Every way the manifest and the crates under `root/functions` disagree.
fn problems(root: &Path) -> Vec<String> {
    let functions = match manifest_functions(root) {
        Ok(functions) => functions,
        Err(why) => return vec![why],
    };
    let crates = match crate_dirs(root) {
        Ok(crates) => crates,
        Err(why) => return vec![why],
    };
    let mut problems = Vec::new();

    let mut names = BTreeSet::new();
    let mut routes = BTreeSet::new();
    let mut http_functions = BTreeSet::new();
    for f in &functions {
        let name = &f.name;
        if !names.insert(name.clone()) {
            problems.push(format!("`{name}` is in the manifest twice"));
        }
        if let Some(route) = f.route_key() {
            http_functions.insert(name.clone());
            if !routes.insert(route.clone()) {
                problems.push(format!("route `{route}` is declared twice"));
            }
        }
    }
    for name in names.iter().filter(|n| !crates.contains_key(*n)) {
        problems.push(format!(
            "`{name}` is in the manifest but functions/{name} is no crate"
        ));
    }
    for (dir, path) in &crates {
        if !names.contains(dir) {
            problems.push(format!(
                "functions/{dir} is a crate missing from the manifest"
            ));
        }
        match package_name(&path.join("Cargo.toml")) {
            Some(name) if name == *dir => {}
            other => problems.push(format!(
                "functions/{dir}: the package name is {other:?}, not its directory name"
            )),
        }
        if http_functions.contains(dir) && !runs_on_the_current_thread(&path.join("src/main.rs")) {
            problems.push(format!(
                "functions/{dir}/src/main.rs: main is not `{CURRENT_THREAD_MAIN}`"
            ));
        }
    }
    problems
}

/// An HTTP function serves one request at a time, so a multi-threaded runtime only adds worker
/// threads to start at init and cross-thread wake-ups per request (BENCHMARKS.md, "Where the
/// release stack's time goes"). Batch consumers keep it: the change was measured for HTTP
/// functions only.
const CURRENT_THREAD_MAIN: &str = "#[tokio::main(flavor = \"current_thread\")]";

fn runs_on_the_current_thread(main_rs: &Path) -> bool {
    fs::read_to_string(main_rs)
        .map(|source| {
            source
                .lines()
                .any(|line| line.trim() == CURRENT_THREAD_MAIN)
        })
        .unwrap_or(false)
}

#[test]
fn the_manifest_and_the_function_crates_agree() {
    let root = workspace_root();
    assert!(
        !crate_dirs(&root).unwrap().is_empty(),
        "functions/ holds function crates"
    );
    let problems = problems(&root);
    assert!(
        problems.is_empty(),
        "functions/ and functions/manifest.json disagree:\n  {}",
        problems.join("\n  ")
    );
    // And the stack accepts it as it is.
    if let Err(e) = Manifest::load(&root.join("functions/manifest.json")) {
        panic!("{e}");
    }
}

/// A scratch workspace, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "ofauto-manifest-{}",
            ulid::Ulid::new().to_string().to_lowercase()
        ));
        fs::create_dir_all(dir.join("functions")).unwrap();
        Self(dir)
    }

    /// A manifest of `functions`, completed with what the check does not look at (the table, and
    /// each function's memory and timeout).
    fn manifest(&self, functions: Value) {
        let functions: Vec<Value> = functions
            .as_array()
            .expect("a list of functions")
            .iter()
            .map(|f| {
                let mut f = f.clone();
                f["memory_mb"] = 128.into();
                f["timeout_s"] = 3.into();
                f
            })
            .collect();
        let manifest = serde_json::json!({
            "table": {"hash_key": "pk", "attributes": {"pk": "S"}},
            "functions": functions,
        });
        fs::write(self.0.join("functions/manifest.json"), manifest.to_string()).unwrap();
    }

    fn krate(&self, dir: &str, package: &str) {
        self.krate_with_main(dir, package, CURRENT_THREAD_MAIN);
    }

    fn krate_with_main(&self, dir: &str, package: &str, attribute: &str) {
        let path = self.0.join("functions").join(dir);
        fs::create_dir_all(path.join("src")).unwrap();
        fs::write(
            path.join("Cargo.toml"),
            format!("[package]\nname = \"{package}\"\nversion = \"0.1.0\"\n"),
        )
        .unwrap();
        fs::write(
            path.join("src/main.rs"),
            format!("{attribute}\nasync fn main() {{}}\n"),
        )
        .unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_check_catches_each_kind_of_disagreement() {
    let scratch = Scratch::new();
    let http = |method: &str, path: &str| serde_json::json!({"kind": "http", "method": method, "path": path});
    scratch.manifest(serde_json::json!([
        {"name": "ok", "trigger": http("GET", "/a")},
        {"name": "misnamed", "trigger": http("GET", "/b")},
        {"name": "no-crate", "trigger": http("GET", "/a")},
        {"name": "ok", "trigger": {"kind": "schedule"}},
        {"name": "threaded", "trigger": http("GET", "/c")},
    ]));
    scratch.krate("ok", "ok");
    scratch.krate_with_main("threaded", "threaded", "#[tokio::main]");
    scratch.krate("misnamed", "something-else");
    scratch.krate("unlisted", "unlisted");
    // A directory without a Cargo.toml is not a crate.
    fs::create_dir_all(scratch.0.join("functions/not-a-crate")).unwrap();

    let problems = problems(&scratch.0);
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(has("`ok` is in the manifest twice"), "{problems:#?}");
    assert!(has("route `GET /a` is declared twice"), "{problems:#?}");
    assert!(has("`no-crate` is in the manifest but"), "{problems:#?}");
    assert!(
        has("functions/unlisted is a crate missing"),
        "{problems:#?}"
    );
    assert!(has("functions/misnamed: the package name"), "{problems:#?}");
    assert!(
        has("functions/threaded/src/main.rs: main is not"),
        "{problems:#?}"
    );
    assert!(!has("not-a-crate"), "{problems:#?}");
    assert_eq!(problems.len(), 6, "{problems:#?}");
}

#[test]
fn the_check_passes_a_consistent_workspace() {
    let scratch = Scratch::new();
    scratch.manifest(serde_json::json!([
        {"name": "one", "trigger": {"kind": "http", "method": "GET", "path": "/one"}},
        {"name": "two", "trigger": {"kind": "dynamodb_stream"}},
    ]));
    scratch.krate("one", "one");
    scratch.krate("two", "two");
    assert_eq!(problems(&scratch.0), Vec::<String>::new());
}

#[test]
fn package_name_reader_reads_the_package_table_only() {
    let scratch = Scratch::new();
    let path = scratch.0.join("Cargo.toml");
    fs::write(
        &path,
        "[workspace]\nname = \"nope\"\n\n[package]\n# a comment\nname = \"events-get\" # trailing\nversion = \"0.1.0\"\n\n[dependencies]\nname = \"x\"\n",
    )
    .unwrap();
    assert_eq!(package_name(&path).as_deref(), Some("events-get"));
}

#[test]
fn the_check_reports_an_entry_the_stack_cannot_read() {
    let scratch = Scratch::new();
    scratch.manifest(serde_json::json!([{"trigger": {"kind": "schedule"}}]));
    scratch.krate("one", "one");
    let problems = problems(&scratch.0);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("is not a manifest") && problems[0].contains("`name`"),
        "{problems:#?}"
    );
}
