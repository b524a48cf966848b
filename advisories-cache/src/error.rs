//! Typed errors of the advisory cache. Each names the file or folder it is about, so the
//! binary can print one clear line; the source chain is kept for `--verbose` callers.

use std::path::PathBuf;

/// Everything that can go wrong while locating, fetching, reading or indexing the database.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// No database folder exists at the path that was tried.
    #[error(
        "no advisory database at {path}: run `cargo depaudit fetch` (needs network), or pass --db DIR pointing at a copy of the RustSec advisory-db"
    )]
    Missing {
        /// The folder that was tried.
        path: PathBuf,
    },
    /// The folder exists but is not an advisory database.
    #[error("{path} is not an advisory database: {reason}")]
    NotADatabase {
        /// The folder.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// An I/O operation on a cache file or folder failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("failed to read", …).
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Fetching or updating from a git source failed.
    #[error("failed to fetch the advisory database from {url}: {reason}")]
    Fetch {
        /// The source URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The database's folder cannot be written (a read-only cache), so it cannot be fetched.
    #[error(
        "cannot fetch into {path}: the folder is not writable ({source}); audits can still read a database there"
    )]
    ReadOnly {
        /// The folder that holds the database.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another process holds the cache lock for longer than we wait.
    #[error("timed out after {seconds}s waiting for the lock {path} (another fetch is running?)")]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long we waited.
        seconds: u64,
    },
    /// The database is older than the allowed maximum age.
    #[error(
        "advisory database at {path} is {age_days} days old, more than the allowed {max_days} days: run `cargo depaudit fetch`"
    )]
    Stale {
        /// The database folder.
        path: PathBuf,
        /// Its age in days.
        age_days: i64,
        /// The allowed maximum.
        max_days: i64,
    },
}

impl CacheError {
    /// Shorthand for an I/O error with context.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CacheError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = CacheError> = std::result::Result<T, E>;

/// An advisory file that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SkippedFile {
    /// Path relative to the database folder.
    pub path: String,
    /// Why it was skipped.
    pub reason: String,
}
