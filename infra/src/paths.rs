//! Where the stack finds the repository when a flag does not say.
//!
//! Integration tests run with the test crate as their working directory, so "relative to the
//! current directory" alone would break them; the checkout this binary was built from is the
//! fallback.

use std::path::{Path, PathBuf};

/// This crate's directory at build time; its parent is the repository root.
const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// The repository root: the current directory when it holds the manifest, else the checkout this
/// binary was built from.
pub fn repo_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if cwd.join("functions").join("manifest.json").is_file() {
        return cwd;
    }
    Path::new(CRATE_DIR)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(cwd)
}

/// An explicit path is taken relative to the current directory, as any CLI would; a default is
/// taken relative to the repository root.
pub fn resolve(explicit: Option<&Path>, default_in_repo: &str) -> PathBuf {
    match explicit {
        Some(p) => absolute(p),
        None => repo_root().join(default_in_repo),
    }
}

/// Makes a path absolute without requiring it to exist (unlike `canonicalize`).
pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("."))
            .join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_relative_paths_follow_the_current_directory() {
        let got = resolve(Some(Path::new("x/y")), "ignored");
        assert_eq!(got, std::env::current_dir().unwrap().join("x/y"));
    }

    #[test]
    fn defaults_live_under_the_repository() {
        let got = resolve(None, ".local");
        assert!(got.ends_with(".local"));
        assert!(got.parent().unwrap().join("Cargo.toml").is_file());
    }
}
