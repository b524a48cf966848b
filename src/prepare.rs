//! Resolving a run's inputs before any work: the lockfile and workspace, the policy
//! (files merged with flags), the advisory database (fetched when allowed and missing)
//! and the index data, as one [`Prepared`] audit. Every command that audits starts here.

use crate::audit::{self, AuditOptions};
use crate::cli::{AuditArgs, DbArgs, PolicyFlags};
use crate::error::AppError;
use crate::input::lockfile;
use crate::input::policy::{self, Overrides, Policy};
use crate::input::registry::Registry;
use crate::output::Output;
use advisories_cache::{CacheError, Database, FetchOptions, IndexStatus, OpenOptions, location};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Opens the database named by `args`, fetching it first when it is missing and fetching
/// is allowed; fails when it is older than `max_age_days`. The compiled index is proved
/// fresh for `crates` (`None`: for every crate).
pub fn open_database(
    args: &DbArgs,
    offline: bool,
    max_age_days: Option<u32>,
    crates: Option<&[&str]>,
    out: &mut Output,
) -> Result<Database, AppError> {
    let (dir, _) = location::resolve_db_dir(args.db.as_deref());
    let opts = OpenOptions::default();
    let db = match Database::open_for(&dir, &opts, crates) {
        Err(CacheError::Missing { .. }) if !offline => {
            let url = location::resolve_db_url(None);
            out.status(&format!(
                "No advisory database at {}; fetching it from {url}",
                dir.display()
            ));
            crate::net::fetch(&FetchOptions {
                url,
                dir: dir.clone(),
                lock_timeout: Duration::from_secs(300),
                open: opts.clone(),
            })?;
            Database::open_for(&dir, &opts, crates)?
        }
        Err(CacheError::Missing { path }) => {
            return Err(AppError::Usage(format!(
                "no advisory database at {} and fetching is off (--offline): run `cargo depaudit fetch`, or pass --db DIR",
                path.display()
            )));
        }
        other => other?,
    };
    if let Some(max) = max_age_days {
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
    match &db.index_status {
        IndexStatus::RebuiltCorrupt { index, reason } => out.warn(&format!(
            "the compiled advisory index {} was damaged ({reason}) and has been rebuilt",
            index.display()
        )),
        // A read-only cache: every run pays for compiling, so say why it is slow.
        IndexStatus::NotStored(why) => out.warn(&format!(
            "the advisory index was compiled in memory but could not be stored ({why}); the next run compiles it again"
        )),
        IndexStatus::Reused | IndexStatus::Built => {}
    }
    Ok(db)
}

/// The policy flags as overrides for [`policy::load`].
pub fn overrides(flags: &PolicyFlags, max_db_age: Option<u32>) -> Overrides {
    Overrides {
        config: flags.config.clone(),
        ignore: flags.ignore.clone(),
        deny: flags.deny.clone(),
        target: flags.target.clone(),
        target_os: flags.target_os.clone(),
        target_arch: flags.target_arch.clone(),
        severity_threshold: flags.severity_threshold.clone(),
        max_db_age,
        extra: None,
        skip_workspace_files: false,
        vex: flags.vex.clone(),
    }
}

/// The folder holding the policy files: the audited lockfile's (empty for the current
/// folder, so messages say `depaudit.toml` rather than `./depaudit.toml`).
pub fn workspace_root(lockfile: &Path) -> PathBuf {
    lockfile.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The effective policy for the lockfile's folder with these flags; its warnings are
/// printed.
pub fn load_policy(
    lockfile: &Path,
    flags: &PolicyFlags,
    max_db_age: Option<u32>,
    today: i64,
    out: &mut Output,
) -> Result<Policy, AppError> {
    let p = policy::load(
        &workspace_root(lockfile),
        &overrides(flags, max_db_age),
        today,
    )?;
    for w in &p.warnings {
        out.warn(w);
    }
    Ok(p)
}

/// One audit of the user's workspace, resolved: the lockfile, database and options.
pub struct Prepared {
    /// The lockfile's path.
    pub lockfile_path: PathBuf,
    /// The parsed lockfile.
    pub lock: lockfile::Lockfile,
    /// The opened database.
    pub db: Database,
    /// How to audit.
    pub opts: AuditOptions,
}

impl Prepared {
    /// Runs the audit.
    pub fn audit(&self) -> crate::audit::findings::AuditReport {
        audit::audit(
            &self.db,
            &self.lock,
            &self.lockfile_path,
            &self.opts,
            Vec::new(),
        )
    }
}

/// Locates the lockfile, loads the policy and the database, and sets up the index data
/// (the registry cargo would use here) and, unless lockfile-only, the members' manifests.
pub fn prepare_audit(args: &AuditArgs, out: &mut Output) -> Result<Prepared, AppError> {
    let paths_limit = parse_paths_limit(&args.common.paths)?;
    let target = crate::input::workspace::resolve(
        args.file.as_deref(),
        args.manifest_path.as_deref(),
        args.lockfile_only,
    )?;
    let lockfile_path = target.lockfile.clone();
    let today = advisories_cache::info::today_days();
    let policy = load_policy(
        &lockfile_path,
        &args.common.policy,
        args.common.db.max_db_age,
        today,
        out,
    )?;
    let lock = lockfile::load(&lockfile_path)?;
    // Each crate once: a name locked in several versions is checked and read once.
    let mut names: Vec<&str> = lock.packages.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let db = open_database(
        &args.common.db,
        args.common.offline,
        policy.max_db_age_days.value,
        Some(&names),
        out,
    )?;
    for w in policy::unknown_ignores(&policy.ignores, &db) {
        out.warn(&w);
    }
    let mut registry = Registry::for_workspace(Some(&target.config_dir()));
    if args.online_index && !args.common.offline {
        registry = registry.with_online_index(crate::net::online_index());
    }
    let mut opts = AuditOptions {
        today,
        paths_limit,
        members: target.members(),
        registry: Some(Arc::new(registry)),
        workspace: target.workspace.map(Arc::new),
        check_yanked: !args.common.no_yanked,
        exclude_dev: args.exclude_dev,
        reachability: !args.no_reachability,
        ..AuditOptions::default()
    };
    opts.apply_policy(&policy);
    drop(names);
    Ok(Prepared {
        lockfile_path,
        lock,
        db,
        opts,
    })
}

/// `--paths N|all`.
pub fn parse_paths_limit(value: &str) -> Result<Option<usize>, AppError> {
    if value == "all" {
        return Ok(None);
    }
    value
        .parse()
        .map(Some)
        .map_err(|_| AppError::Usage(format!("--paths takes a number or `all`, not `{value}`")))
}
