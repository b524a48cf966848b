//! The local RustSec advisory database of `cargo-depaudit`: where it lives, fetching and
//! updating it with git (atomically, locked against concurrent runs), how old it is, and
//! a compiled index so a warm run never re-parses the advisory files.
//!
//! This crate never prints: it returns values and typed errors, and the binary decides
//! what the user sees.

pub mod database;
pub mod error;
pub mod fetch;
pub mod fingerprint;
pub mod index;
pub mod info;
pub mod load;
pub mod location;
pub mod lock;
pub mod mapped;
pub mod record;

pub use database::{Database, DbInfo, IndexStatus, OpenOptions};
pub use error::{CacheError, Result};
pub use fetch::{AdvisoryChange, FetchOptions, FetchOutcome, fetch};
pub use record::{AdvisoryRecord, Collection, Severity, SourceKey};
