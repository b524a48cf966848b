//! `cargo-depaudit`: audit a Cargo workspace's dependencies against a locally cached
//! RustSec advisory database. The binary is a thin wrapper around [`app::run`].
//!
//! The layers, lowest first (a module only uses those below it):
//! - [`input`]: what a run reads — the lockfile and its graph, the workspace's
//!   manifests, the registry index, the policy files;
//! - [`audit`]: what it finds — matching, dependency paths, the findings model and
//!   remediation plans;
//! - [`report`]: each output format, rendered from the findings;
//! - [`commands`] (`fix`, `why`, `scan`), then [`prepare`], [`app`] and [`cli`] on top.
//!
//! Small leaves used anywhere: [`version_text`], [`pathtext`], [`output`], [`progress`],
//! [`error`]. [`net`] holds the hooks to the network and git code (see its docs).

pub mod app;
pub mod audit;
pub mod cli;
pub mod commands;
pub mod error;
pub mod input;
pub mod net;
pub mod output;
pub mod pathtext;
pub mod prepare;
pub mod progress;
pub mod report;
pub mod version_text;
pub mod words;
