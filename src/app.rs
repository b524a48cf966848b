//! The command runner: turns resolved arguments into work and a result, and maps every
//! expected error to exit code 2 with one line. `main` only calls [`run`].

use crate::audit::{self, AuditOptions, IgnoreRule};
use crate::cli::{AuditArgs, Cli, Command, DbArgs, FetchArgs};
use crate::lockfile;
use crate::matching::MatchSettings;
use crate::output::Output;
use crate::report::{self, Format};
use advisories_cache::{CacheError, Database, FetchOptions, IndexStatus, OpenOptions, location};
use std::path::Path;
use std::time::Duration;

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
    Workspace(#[from] crate::workspace::WorkspaceError),
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

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli, out: &mut Output) -> Result<i32, AppError> {
    match cli.command {
        Some(Command::Audit(args)) => run_audit(&args, out),
        Some(Command::Fetch(args)) => run_fetch(&args, out),
        None => run_audit(&cli.audit, out),
    }
}

fn run_fetch(args: &FetchArgs, out: &mut Output) -> Result<i32, AppError> {
    let (dir, _) = location::resolve_db_dir(args.db.as_deref());
    let url = location::resolve_db_url(args.db_url.as_deref());
    out.quiet = args.quiet;
    out.status(&format!(
        "Fetching advisory database from {url} into {}",
        dir.display()
    ));
    let outcome = advisories_cache::fetch(&FetchOptions {
        url,
        dir,
        lock_timeout: Duration::from_secs(300),
        open: OpenOptions::default(),
    })?;
    let short = &outcome.commit[..outcome.commit.len().min(10)];
    let mut text = String::new();
    if !outcome.updated {
        text.push_str(&format!(
            "Up to date at commit {short} ({} advisories)\n",
            outcome.advisory_count
        ));
    } else if outcome.first_fetch {
        text.push_str(&format!(
            "Fetched commit {short}: {} advisories\n",
            outcome.advisory_count
        ));
    } else {
        let prev = outcome.previous_commit.as_deref().unwrap_or("?");
        text.push_str(&format!(
            "Updated {} → {short}: {} new, {} changed, {} removed ({} advisories)\n",
            &prev[..prev.len().min(10)],
            outcome.added.len(),
            outcome.modified.len(),
            outcome.removed.len(),
            outcome.advisory_count
        ));
        for id in &outcome.added {
            text.push_str(&format!("  new: {id}\n"));
        }
    }
    out.stdout(&text);
    Ok(exit::OK)
}

/// Opens the database named by `args`, fetching it first when it is missing and fetching
/// is allowed.
pub fn open_database(args: &DbArgs, offline: bool, out: &mut Output) -> Result<Database, AppError> {
    let (dir, _) = location::resolve_db_dir(args.db.as_deref());
    let opts = OpenOptions::default();
    let db = match Database::open(&dir, &opts) {
        Err(CacheError::Missing { .. }) if !offline => {
            let url = location::resolve_db_url(None);
            out.status(&format!(
                "No advisory database at {}; fetching it from {url}",
                dir.display()
            ));
            advisories_cache::fetch(&FetchOptions {
                url,
                dir: dir.clone(),
                lock_timeout: Duration::from_secs(300),
                open: opts.clone(),
            })?;
            Database::open(&dir, &opts)?
        }
        Err(CacheError::Missing { path }) => {
            return Err(AppError::Usage(format!(
                "no advisory database at {} and fetching is off (--offline): run `cargo depaudit fetch`, or pass --db DIR",
                path.display()
            )));
        }
        other => other?,
    };
    if let Some(max) = args.max_db_age {
        db.check_age(i64::from(max))?;
    }
    if !db.skipped.is_empty() {
        out.warn(&format!(
            "skipped {} unreadable advisory file(s) in {}: {}",
            db.skipped.len(),
            dir.display(),
            db.skipped
                .iter()
                .map(|s| format!("{} ({})", s.path, s.reason))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    if let IndexStatus::RebuiltCorrupt(why) = &db.index_status {
        out.warn(&format!(
            "the compiled advisory index was damaged ({why}) and has been rebuilt"
        ));
    }
    Ok(db)
}

fn run_audit(args: &AuditArgs, out: &mut Output) -> Result<i32, AppError> {
    out.quiet = args.quiet;
    let format = if args.json {
        Format::Json
    } else {
        args.format.unwrap_or(Format::Table)
    };
    let denied_kinds = audit::denied_kinds(&args.deny).map_err(AppError::Usage)?;
    let matching = MatchSettings {
        target_os: validated_targets(&args.target_os, "--target-os", |s| {
            s.parse::<rustsec::platforms::target::OS>().is_ok()
        })?,
        target_arch: validated_targets(&args.target_arch, "--target-arch", |s| {
            s.parse::<rustsec::platforms::target::Arch>().is_ok()
        })?,
        min_severity: None,
    };
    let color = out.color_for(&args.color).map_err(AppError::Usage)?;

    let lockfile_path = match &args.file {
        Some(f) => f.clone(),
        None => {
            crate::workspace::locate(args.manifest_path.as_deref(), args.lockfile_only)?.lockfile
        }
    };
    let lock = lockfile::load(&lockfile_path)?;
    let db = open_database(&args.db, args.offline, out)?;
    let opts = AuditOptions {
        matching,
        ignores: args
            .ignore
            .iter()
            .map(|id| IgnoreRule {
                id: id.clone(),
                reason: None,
            })
            .collect(),
        denied_kinds,
    };
    let report = audit::audit(
        &db,
        &lock,
        &lockfile_path.display().to_string(),
        &opts,
        Vec::new(),
    );
    let rendered = report::render(&report, format, color && args.output.is_none());
    write_report(args.output.as_deref(), &rendered, out)?;
    if args.output.is_some() && format == Format::Table {
        // nothing more: the file has it all
    } else if args.output.is_some() {
        out.status(&report::table::summary_line(&report, false));
    }
    Ok(if report.summary.denied > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

fn validated_targets(
    values: &[String],
    flag: &str,
    known: impl Fn(&str) -> bool,
) -> Result<Vec<String>, AppError> {
    for v in values {
        if !known(v) {
            return Err(AppError::Usage(format!("unknown {flag} value `{v}`")));
        }
    }
    Ok(values.to_vec())
}

/// Writes a rendered report to `path`, or to standard output.
pub fn write_report(path: Option<&Path>, text: &str, out: &mut Output) -> Result<(), AppError> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|source| AppError::Write {
            path: p.display().to_string(),
            source,
        }),
        None => {
            out.stdout(text);
            Ok(())
        }
    }
}
