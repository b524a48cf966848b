//! `cargo-depaudit`: audit a Cargo workspace's dependencies against a locally cached
//! RustSec advisory database. The binary is a thin wrapper around [`app::run`].

pub mod app;
pub mod audit;
pub mod cli;
pub mod depkind;
pub mod error;
pub mod findings;
pub mod fix;
pub mod lockfile;
pub mod manifest;
pub mod matching;
pub mod net;
pub mod output;
pub mod paths;
pub mod pathtext;
pub mod policy;
pub mod prepare;
pub mod progress;
pub mod registry;
pub mod remediation;
pub mod report;
pub mod requirements;
pub mod scan;
pub mod version_text;
pub mod why;
pub mod workspace;
