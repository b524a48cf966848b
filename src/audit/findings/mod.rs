//! The findings model: what an audit found, as plain data. Every output format renders
//! this value and nothing else, so all formats always agree. Field and kind names are a
//! public contract (see the README's JSON schema); a test pins them.

mod remedy;
mod verdict;
pub use remedy::{Outcome, Remediation, Step};
pub use verdict::{Evidence, Reachability};

pub use crate::input::findingkind::FindingKind;

use advisories_cache::{AdvisoryRecord, Severity};
use serde::Serialize;

/// The package a finding is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PackageRef {
    /// Crate name.
    pub name: String,
    /// Locked version.
    pub version: String,
    /// Source as written in the lockfile.
    pub source: Option<String>,
}

impl PackageRef {
    /// The reference to a locked package.
    pub fn of(p: &crate::input::lockfile::Package) -> PackageRef {
        PackageRef {
            name: p.name.clone(),
            version: crate::version_text::version_text(&p.version),
            source: p.source.as_deref().map(String::from),
        }
    }
}

/// One finding.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finding {
    /// Its kind.
    pub kind: FindingKind,
    /// The advisory (none for `yanked`).
    pub advisory: Option<std::sync::Arc<AdvisoryRecord>>,
    /// The package.
    pub package: PackageRef,
    /// Index of the package in the lockfile.
    pub package_index: usize,
    /// Whether an ignore rule covers it (ignored findings never fail the run).
    pub ignored: bool,
    /// Why it is ignored, when a rule says.
    pub ignore_reason: Option<String>,
    /// Dependency chains from a root to the package, as `name version` labels, shortest first.
    pub paths: Vec<Vec<String>>,
    /// Where the ignore rule came from (a policy file path, or `--ignore`).
    pub ignore_origin: Option<String>,
    /// The ignore rule's expiry date (`YYYY-MM-DD`), when it has one.
    pub ignore_until: Option<String>,
    /// A rule covered this finding but expired on this date, so it is no longer ignored.
    pub ignore_expired: Option<String>,
    /// For a finding a VEX statement suppresses: what it claimed (SBOM and VEX outputs).
    pub ignore_vex: Option<crate::input::vex::VexClaim>,
    /// 1-based line of the package's `[[package]]` header in the lockfile (0 = unknown).
    pub package_line: u32,
    /// For each path, the kind of each step (`path_kinds[p][i]` is the edge from
    /// `paths[p][i]` to `paths[p][i+1]`); `None` where it is unknown.
    pub path_kinds: Vec<Vec<Option<EdgeKind>>>,
    /// What removes it (advisory findings).
    pub remediation: Option<Remediation>,
    /// Whether a dependent names an affected function (advisories that list them).
    pub reachability: Option<Reachability>,
    /// The package is only a build-time dependency of an audited binary (its code is
    /// not in the binary): reported, and denied only when asked.
    pub build_only: bool,
}

/// What is known about one step of a dependency path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EdgeKind {
    /// `normal`, `build`, `dev` (several when declared more than once).
    pub kinds: Vec<&'static str>,
    /// Every declaration is optional (behind a feature).
    pub optional: bool,
    /// Target-specific (`cfg(...)`) when every declaration is.
    pub target: Option<String>,
}

impl EdgeKind {
    /// A plain, unconditional normal dependency (what trees leave unlabelled).
    pub fn is_plain(&self) -> bool {
        self.kinds == ["normal"] && !self.optional && self.target.is_none()
    }
}

impl Finding {
    /// Advisory id, or `yanked` for yanked findings.
    pub fn id(&self) -> &str {
        self.advisory.as_ref().map_or("yanked", |a| a.id.as_str())
    }

    /// Severity of the advisory, when it has CVSS.
    pub fn severity(&self) -> Option<Severity> {
        self.advisory.as_ref().and_then(|a| a.severity)
    }

    /// Patched requirements.
    pub fn patched(&self) -> &[String] {
        self.advisory.as_ref().map_or(&[], |a| &a.patched)
    }

    /// Title, or a generated one for yanked crates.
    pub fn title(&self) -> String {
        match &self.advisory {
            Some(a) => a.title.clone(),
            None => format!(
                "{} {} was yanked from its registry",
                self.package.name, self.package.version
            ),
        }
    }

    /// The sort key for report order.
    pub fn sort_key(&self) -> (FindingKind, &str, &str, &str) {
        (
            self.kind,
            self.package.name.as_str(),
            self.package.version.as_str(),
            self.id(),
        )
    }
}

/// Facts about the database, as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DatabaseSummary {
    /// The folder.
    pub path: String,
    /// Git commit, when known.
    pub commit: Option<String>,
    /// Last update (RFC 3339).
    pub last_updated: Option<String>,
    /// Number of advisories.
    pub advisory_count: usize,
    /// Age in whole days.
    pub age_days: Option<i64>,
    /// Newest advisory date.
    pub newest_advisory: Option<String>,
    /// Advisory files skipped as unreadable (path: reason).
    pub skipped_files: Vec<String>,
}

impl DatabaseSummary {
    /// Builds the summary of an opened database.
    pub fn of(db: &advisories_cache::Database) -> Self {
        let i = &db.info;
        DatabaseSummary {
            path: i.path.display().to_string(),
            commit: i.commit.as_ref().map(|c| c.id.clone()),
            last_updated: i.last_updated.map(advisories_cache::info::format_rfc3339),
            advisory_count: i.advisory_count,
            age_days: i.age_days,
            newest_advisory: i.newest_advisory.clone(),
            skipped_files: db
                .skipped
                .iter()
                .map(|s| format!("{}: {}", s.path, s.reason))
                .collect(),
        }
    }
}

/// Facts about the lockfile, as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockfileSummary {
    /// The file, as reports show it (see [`crate::pathtext::display`]).
    pub path: String,
    /// The file as given, for SARIF's URI of its exact bytes.
    #[serde(skip)]
    pub location: std::path::PathBuf,
    /// Number of packages.
    pub packages: usize,
    /// Format version.
    pub version: i64,
}

/// Counts over the findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Vulnerabilities not ignored.
    pub vulnerabilities: usize,
    /// Warnings (unsound, unmaintained, notice, yanked) not ignored.
    pub warnings: usize,
    /// Ignored findings.
    pub ignored: usize,
    /// Findings that fail the run under the current policy.
    pub denied: usize,
    /// Ignore rules that matched no finding.
    pub stale_ignores: usize,
}

/// The result of auditing one lockfile.
#[derive(Clone, Debug)]
pub struct AuditReport {
    /// The database.
    pub database: DatabaseSummary,
    /// The lockfile.
    pub lockfile: LockfileSummary,
    /// Findings in report order.
    pub findings: Vec<Finding>,
    /// Counts.
    pub summary: Summary,
    /// Kinds that fail the run.
    pub denied_kinds: Vec<FindingKind>,
    /// What is known about the dependency kinds along the paths.
    pub paths_note: String,
    /// Findings whose advisory severity is below this are reported but do not fail.
    pub severity_threshold: Option<Severity>,
    /// With a threshold, whether advisories without a severity still fail (default yes).
    pub fail_without_severity: bool,
    /// Ignore rules that matched no finding (`id (origin)`).
    pub stale_ignores: Vec<String>,
    /// Whether stale ignores fail the run.
    pub deny_stale_ignores: bool,
    /// Policy notes for the reader (expired ignores, …), in every format.
    pub notes: Vec<String>,
    /// How many crates the yanked check could not decide (not in the index cache): in the
    /// report, never a warning — on a machine without cargo's cache it would be every run.
    pub yanked_unknown: Option<String>,
    /// The audited binary, when a binary was audited rather than a lockfile.
    pub binary: Option<crate::input::binary::BinaryInfo>,
    /// Findings on a binary's build-time-only packages fail the run too.
    pub deny_build_only: bool,
}

impl AuditReport {
    /// Does this finding fail the run?
    pub fn is_denied(&self, f: &Finding) -> bool {
        !f.ignored
            && (!f.build_only || self.deny_build_only)
            && self.denied_kinds.contains(&f.kind)
            && self.meets_threshold(f)
    }

    /// Is the finding's severity at or above the policy's threshold? Findings without an
    /// advisory severity pass unless `fail_without_severity` is off.
    pub fn meets_threshold(&self, f: &Finding) -> bool {
        match (self.severity_threshold, f.severity()) {
            (None, _) => true,
            (Some(min), Some(sev)) => sev >= min,
            (Some(_), None) => self.fail_without_severity,
        }
    }

    /// Every cause of a failing run, for the verdict line: denied findings by kind, and
    /// stale ignores when they are denied. Empty when the run passes.
    pub fn failure_causes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for kind in FindingKind::ALL {
            let n = self
                .findings
                .iter()
                .filter(|f| f.kind == kind && self.is_denied(f))
                .count();
            if n > 0 {
                let name = match (kind, n) {
                    (FindingKind::Vulnerability, 1) => "vulnerability".to_string(),
                    (FindingKind::Vulnerability, _) => "vulnerabilities".to_string(),
                    (k, 1) => format!("{} finding", k.as_str()),
                    (k, _) => format!("{} findings", k.as_str()),
                };
                out.push(format!("{n} denied {name}"));
            }
        }
        if self.deny_stale_ignores && !self.stale_ignores.is_empty() {
            let n = self.stale_ignores.len();
            out.push(format!(
                "{n} stale {} (stale-ignores is denied)",
                if n == 1 { "ignore" } else { "ignores" }
            ));
        }
        out
    }

    /// Does the run fail the policy (denied findings, or stale ignores when denied)?
    pub fn fails(&self) -> bool {
        self.summary.denied > 0 || (self.deny_stale_ignores && !self.stale_ignores.is_empty())
    }

    /// Recomputes the counts from the findings.
    pub fn recount(&mut self) {
        let mut s = Summary::default();
        for f in &self.findings {
            if f.ignored {
                s.ignored += 1;
            } else if f.kind == FindingKind::Vulnerability {
                s.vulnerabilities += 1;
            } else {
                s.warnings += 1;
            }
            if self.is_denied(f) {
                s.denied += 1;
            }
        }
        s.stale_ignores = self.stale_ignores.len();
        self.summary = s;
    }
}
