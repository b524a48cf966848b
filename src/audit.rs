//! One audit: match a lockfile against the database, apply ignores, decide which
//! findings fail the run. Library API shared by `audit` and (later) `scan`.

use crate::findings::{AuditReport, DatabaseSummary, Finding, FindingKind, LockfileSummary};
use crate::lockfile::Lockfile;
use crate::matching::{self, MatchSettings};
use advisories_cache::{Database, Severity};

/// An ignore rule: an advisory id or alias, why, until when, and optionally which crate
/// and versions it is limited to.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct IgnoreRule {
    /// Advisory id or alias (CVE, GHSA).
    pub id: String,
    /// Why, when given.
    pub reason: Option<String>,
    /// Last day the rule applies (`YYYY-MM-DD`, UTC); after it the rule stops ignoring.
    pub until: Option<String>,
    /// Only this crate.
    pub krate: Option<String>,
    /// Only versions matching this requirement.
    pub version: Option<semver::VersionReq>,
    /// Where the rule came from: a file path, or `--ignore`.
    pub origin: String,
}

impl IgnoreRule {
    /// Does this rule cover the finding (ignoring its expiry)?
    pub fn covers(&self, f: &Finding) -> bool {
        let id_ok = f
            .advisory
            .as_ref()
            .is_some_and(|a| a.id == self.id || a.aliases.contains(&self.id));
        let crate_ok = self.krate.as_ref().is_none_or(|c| *c == f.package.name);
        let version_ok = self.version.as_ref().is_none_or(|req| {
            semver::Version::parse(&f.package.version).is_ok_and(|v| req.matches(&v))
        });
        id_ok && crate_ok && version_ok
    }

    /// Has the rule expired by day `today` (days since the epoch)? A rule is valid through
    /// its `until` day.
    pub fn expired(&self, today: i64) -> bool {
        self.until
            .as_deref()
            .and_then(advisories_cache::info::parse_date_days)
            .is_some_and(|d| d < today)
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
    /// Findings below this severity are reported but do not fail.
    pub severity_threshold: Option<Severity>,
    /// With a threshold: do advisories without a severity still fail?
    pub fail_without_severity: bool,
    /// Do ignore rules that match nothing fail the run?
    pub deny_stale_ignores: bool,
    /// Today, in days since the epoch (UTC), for ignore expiry.
    pub today: i64,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            matching: MatchSettings::default(),
            ignores: Vec::new(),
            denied_kinds: vec![FindingKind::Vulnerability],
            severity_threshold: None,
            fail_without_severity: true,
            deny_stale_ignores: false,
            today: advisories_cache::info::today_days(),
        }
    }
}

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
    let mut used = vec![false; opts.ignores.len()];
    let mut notes = Vec::new();
    for f in &mut findings {
        // An active rule wins over an expired one for the same finding.
        let active = opts
            .ignores
            .iter()
            .position(|r| r.covers(f) && !r.expired(opts.today));
        if let Some(i) = active {
            let rule = &opts.ignores[i];
            used[i] = true;
            f.ignored = true;
            f.ignore_reason = rule.reason.clone();
            f.ignore_origin = Some(rule.origin.clone());
            f.ignore_until = rule.until.clone();
        } else if let Some(i) = opts.ignores.iter().position(|r| r.covers(f)) {
            let rule = &opts.ignores[i];
            used[i] = true;
            let until = rule.until.clone().unwrap_or_default();
            f.ignore_expired = Some(until.clone());
            f.ignore_origin = Some(rule.origin.clone());
            notes.push(format!(
                "ignore for {} expired on {until} ({}); {} {} is reported again",
                rule.id, rule.origin, f.package.name, f.package.version
            ));
        }
    }
    let stale_ignores = opts
        .ignores
        .iter()
        .zip(&used)
        .filter(|(r, used)| !**used && !r.expired(opts.today))
        .map(|(r, _)| format!("{} ({})", r.id, r.origin))
        .collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
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
        severity_threshold: opts.severity_threshold,
        fail_without_severity: opts.fail_without_severity,
        stale_ignores,
        deny_stale_ignores: opts.deny_stale_ignores,
        notes,
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
