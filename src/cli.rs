//! Command-line arguments (clap derive). `cargo depaudit …` and `cargo-depaudit …` both
//! parse: cargo passes the subcommand word as the first argument, which is dropped.
//! Common `cargo audit` flags keep their meaning so users keep their habits.

use crate::report::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Audit Cargo.lock against a locally cached RustSec advisory database.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-depaudit",
    bin_name = "cargo depaudit",
    version,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do (default: audit).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Audit options, when no subcommand is given.
    #[command(flatten)]
    pub audit: AuditArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit a workspace's Cargo.lock (the default).
    Audit(AuditArgs),
    /// Clone or update the advisory database.
    Fetch(FetchArgs),
    /// Audit every Cargo.lock under some folders (lockfile-only, in parallel).
    Scan(ScanArgs),
}

/// Scan output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    /// One JSON object per lockfile, then a summary object (the default).
    Jsonl,
    /// One JSON document.
    Json,
    /// A table, one row per lockfile.
    Table,
}

/// `scan` options.
#[derive(Debug, Args, Clone)]
pub struct ScanArgs {
    /// Folders (or lockfiles) to scan.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Database options.
    #[command(flatten)]
    pub db: DbArgs,
    /// Never fetch the database.
    #[arg(long, short = 'n', alias = "no-fetch")]
    pub offline: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: ScanFormat,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A previous scan's JSON Lines: mark findings new / unchanged / fixed.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// What fails the scan: `any` denied finding, or only `new` ones (needs --baseline).
    #[arg(long, value_name = "WHEN", default_value = "any")]
    pub fail_on: String,
    /// Parallel audits (default: the number of CPUs).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Ignore an advisory (id or alias); repeatable.
    #[arg(long, value_name = "ID")]
    pub ignore: Vec<String>,
    /// Also fail on: warnings, unmaintained, unsound, notice, yanked.
    #[arg(short = 'D', long, value_name = "KIND", value_delimiter = ',')]
    pub deny: Vec<String>,
    /// Dependency paths per finding: a number, or `all`.
    #[arg(long, value_name = "N|all", default_value = "3")]
    pub paths_per_finding: String,
    /// Also descend into hidden folders, `target/` and `vendor/`.
    #[arg(long)]
    pub all_dirs: bool,
    /// Accepted for symmetry with audit (scan never checks yanked crates yet).
    #[arg(long)]
    pub no_yanked: bool,
    /// No progress bar or status lines.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Where the advisory database is.
#[derive(Debug, Args, Clone, Default)]
pub struct DbArgs {
    /// Advisory database folder (default: $DEPAUDIT_DB, else the user cache dir).
    #[arg(short = 'd', long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Fail when the database is older than DAYS.
    #[arg(long, value_name = "DAYS")]
    pub max_db_age: Option<u32>,
    /// Accepted for `cargo audit` compatibility: a stale database is only an error with
    /// --max-db-age.
    #[arg(long, hide = true)]
    pub stale: bool,
}

/// `audit` options.
#[derive(Debug, Args, Clone, Default)]
pub struct AuditArgs {
    /// Path to the workspace's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Audit this Cargo.lock (implies --lockfile-only).
    #[arg(
        short = 'f',
        long,
        value_name = "FILE",
        conflicts_with = "manifest_path"
    )]
    pub file: Option<PathBuf>,
    /// Database options.
    #[command(flatten)]
    pub db: DbArgs,
    /// Never fetch the database, even when there is none (alias: --no-fetch).
    #[arg(long, short = 'n', alias = "no-fetch")]
    pub offline: bool,
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Ignore an advisory (id or alias such as a CVE); repeatable.
    #[arg(long, value_name = "ID")]
    pub ignore: Vec<String>,
    /// Only report advisories that affect this OS (repeatable).
    #[arg(long, value_name = "OS")]
    pub target_os: Vec<String>,
    /// Only report advisories that affect this CPU architecture (repeatable).
    #[arg(long, value_name = "ARCH")]
    pub target_arch: Vec<String>,
    /// Also fail on: warnings (all of them), unmaintained, unsound, notice, yanked.
    #[arg(short = 'D', long, value_name = "KIND", value_delimiter = ',')]
    pub deny: Vec<String>,
    /// Read only Cargo.lock: never run `cargo metadata` or any other process.
    #[arg(long)]
    pub lockfile_only: bool,
    /// Do not check for yanked crates.
    #[arg(long)]
    pub no_yanked: bool,
    /// Dependency paths per finding: a number, or `all`.
    #[arg(long, value_name = "N|all", default_value = "3")]
    pub paths: String,
    /// Do not print the dependency trees under the table.
    #[arg(long)]
    pub no_tree: bool,
    /// Print nothing on standard error but errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: String,
}

/// `fetch` options.
#[derive(Debug, Args, Clone, Default)]
pub struct FetchArgs {
    /// Database folder to create or update (default: $DEPAUDIT_DB, else the user cache dir).
    #[arg(short = 'd', long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Git URL or local path of the database (default: $DEPAUDIT_DB_URL, else RustSec's).
    #[arg(long, value_name = "URL", alias = "url")]
    pub db_url: Option<String>,
    /// Print nothing but errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Drops the `depaudit` word that cargo inserts when run as `cargo depaudit`.
pub fn normalize_args(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.get(1).is_some_and(|a| a == "depaudit") {
        args.remove(1);
    }
    args
}
