//! The errors that end a run with exit code 2, and the exit codes themselves: shared by
//! every command, so they live below all of them.

use crate::input::{lockfile, policy};
use advisories_cache::CacheError;

/// Exit codes (documented in the README).
pub mod exit {
    /// Nothing fails the policy.
    pub const OK: i32 = 0;
    /// Findings fail the policy.
    pub const FINDINGS: i32 = 1;
    /// An error: bad input, unreadable file, no database, failed fetch.
    pub const ERROR: i32 = 2;
}

/// An error that ends the run with exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// From the advisory cache.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// From the lockfile reader.
    #[error(transparent)]
    Lockfile(#[from] lockfile::LockfileError),
    /// From locating the workspace.
    #[error(transparent)]
    Workspace(#[from] crate::input::workspace::WorkspaceError),
    /// From the policy files or flags.
    #[error(transparent)]
    Policy(#[from] policy::PolicyError),
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
    /// Writing the report failed.
    #[error("failed to write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
}
