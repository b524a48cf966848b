//! One audit: match a lockfile against the database, apply ignores, decide which
//! findings fail the run. Library API shared by `audit` and (later) `scan`.

use crate::findings::{AuditReport, DatabaseSummary, Finding, FindingKind, LockfileSummary};
use crate::lockfile::Lockfile;
use crate::matching::{self, MatchSettings};
use crate::paths;
use advisories_cache::Database;

/// An ignore rule: an advisory id or alias, with an optional reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreRule {
    /// Advisory id or alias (CVE, GHSA).
    pub id: String,
    /// Why, when given.
    pub reason: Option<String>,
}

impl IgnoreRule {
    /// Does this rule cover the finding?
    pub fn covers(&self, f: &Finding) -> bool {
        f.advisory
            .as_ref()
            .is_some_and(|a| a.id == self.id || a.aliases.contains(&self.id))
    }
}

/// How to audit.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// Target filters and severity floor.
    pub matching: MatchSettings,
    /// Ignore rules.
    pub ignores: Vec<IgnoreRule>,
    /// Kinds that fail the run.
    pub denied_kinds: Vec<FindingKind>,
    /// How many paths to keep per finding (`None`: all).
    pub paths_limit: Option<usize>,
    /// Workspace members from `cargo metadata`, when it ran (the path roots).
    pub members: Option<Vec<(String, String)>>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            matching: MatchSettings::default(),
            ignores: Vec::new(),
            denied_kinds: vec![FindingKind::Vulnerability],
            paths_limit: Some(3),
            members: None,
        }
    }
}

/// Upper bound on paths per finding even with `--paths all`.
pub const MAX_PATHS: usize = 1000;

/// Audits a parsed lockfile.
pub fn audit(
    db: &Database,
    lock: &Lockfile,
    lockfile_path: &str,
    opts: &AuditOptions,
    extra: Vec<Finding>,
) -> AuditReport {
    let mut findings = matching::find(db, lock, &opts.matching);
    findings.extend(extra);
    for f in &mut findings {
        if let Some(rule) = opts.ignores.iter().find(|r| r.covers(f)) {
            f.ignored = true;
            f.ignore_reason = rule.reason.clone();
        }
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
    let roots = paths::roots(lock, opts.members.as_deref());
    let limit = opts.paths_limit.unwrap_or(MAX_PATHS).min(MAX_PATHS);
    for f in &mut findings {
        f.paths = paths::paths_to(lock, &roots, f.package_index as u32, limit)
            .iter()
            .map(|p| paths::labels(lock, p))
            .collect();
    }
    let mut report = AuditReport {
        database: DatabaseSummary::of(db),
        lockfile: LockfileSummary {
            path: lockfile_path.to_string(),
            packages: lock.packages.len(),
            version: lock.version,
        },
        findings,
        summary: Default::default(),
        denied_kinds: opts.denied_kinds.clone(),
        paths_note: if opts.members.is_some() {
            "roots are the workspace members; dependency kinds are not resolved".into()
        } else {
            "read from Cargo.lock only: roots are packages nothing depends on; dependency kinds (normal/build/dev) unknown".into()
        },
    };
    report.recount();
    report
}

/// Parses `--deny` values into the kinds that fail the run (vulnerabilities always do).
pub fn denied_kinds(values: &[String]) -> Result<Vec<FindingKind>, String> {
    let mut kinds = vec![FindingKind::Vulnerability];
    for v in values {
        let add: &[FindingKind] = match v.as_str() {
            "warnings" => &[
                FindingKind::Unsound,
                FindingKind::Unmaintained,
                FindingKind::Notice,
                FindingKind::Yanked,
            ],
            "unsound" => &[FindingKind::Unsound],
            "unmaintained" => &[FindingKind::Unmaintained],
            "notice" => &[FindingKind::Notice],
            "yanked" => &[FindingKind::Yanked],
            "vulnerability" | "vulnerabilities" => &[],
            other => {
                return Err(format!(
                    "unknown --deny value `{other}` (expected warnings, unmaintained, unsound, notice, yanked)"
                ));
            }
        };
        for k in add {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
    }
    Ok(kinds)
}
