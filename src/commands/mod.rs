//! The commands with logic of their own beyond an audit: [`fix`] (apply remediation
//! plans, judged by a re-audit), [`why`] (paths to a crate), [`bin`] (compiled binaries),
//! [`scan`] (many lockfiles or binaries in one run) and [`history`] (exposure windows
//! from a repository's git history). `audit`, `fetch` and `policy` are short enough to
//! live in `app`.

pub mod bin;
pub mod fix;
pub mod history;
pub mod scan;
pub mod why;
