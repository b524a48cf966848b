//! Where the cache lives. The database folder comes from `--db`, then `DEPAUDIT_DB`, then
//! the default `<cache>/advisory-db`; compiled indexes always live under the cache root,
//! so a read-only database (a shared snapshot) still gets a warm index.

use std::path::{Path, PathBuf};

/// The public RustSec advisory database.
pub const DEFAULT_DB_URL: &str = "https://github.com/rustsec/advisory-db.git";

/// The cache root: `DEPAUDIT_CACHE_DIR`, else the platform cache dir + `cargo-depaudit`.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = non_empty_env("DEPAUDIT_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    platform_cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("cargo-depaudit")
}

fn platform_cache_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        return non_empty_env("LOCALAPPDATA").map(PathBuf::from);
    }
    if let Some(xdg) = non_empty_env("XDG_CACHE_HOME") {
        let p = PathBuf::from(xdg);
        if p.is_absolute() {
            return Some(p);
        }
    }
    let home = PathBuf::from(non_empty_env("HOME")?);
    if cfg!(target_os = "macos") {
        Some(home.join("Library").join("Caches"))
    } else {
        Some(home.join(".cache"))
    }
}

fn non_empty_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// How the database folder was chosen, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbOrigin {
    /// `--db DIR`.
    Flag,
    /// `DEPAUDIT_DB`.
    Env,
    /// The default cache folder.
    Default,
}

/// Resolves the database folder: the flag, then `DEPAUDIT_DB`, then the default.
pub fn resolve_db_dir(flag: Option<&Path>) -> (PathBuf, DbOrigin) {
    if let Some(p) = flag {
        return (p.to_path_buf(), DbOrigin::Flag);
    }
    if let Some(p) = non_empty_env("DEPAUDIT_DB") {
        return (PathBuf::from(p), DbOrigin::Env);
    }
    (cache_root().join("advisory-db"), DbOrigin::Default)
}

/// The database URL: the flag, then `DEPAUDIT_DB_URL`, then the public RustSec repository.
pub fn resolve_db_url(flag: Option<&str>) -> String {
    flag.map(str::to_string)
        .or_else(|| non_empty_env("DEPAUDIT_DB_URL"))
        .unwrap_or_else(|| DEFAULT_DB_URL.to_string())
}

/// Folder holding compiled indexes.
pub fn index_dir() -> PathBuf {
    cache_root().join("index")
}

/// Folder holding digests of registry index data (see `cargo-depaudit`'s registry module).
pub fn registry_dir() -> PathBuf {
    cache_root().join("registry")
}
