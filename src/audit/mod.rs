//! One audit: match a lockfile against the database, apply ignores, decide which
//! findings fail the run. Library API shared by `audit` and (later) `scan`.

pub mod findings;
pub mod matching;
pub mod paths;
pub mod reachability;
pub mod remediation;
pub mod requirements;

use crate::audit::findings::{AuditReport, DatabaseSummary, Finding, FindingKind, LockfileSummary};
use crate::audit::matching::MatchSettings;
use crate::audit::requirements::Requirements;
use crate::input::lockfile::Lockfile;
use crate::input::registry::{DepKind, Registry};
use crate::input::workspace::WorkspaceInfo;
use advisories_cache::{Database, Severity};
use std::path::Path;
use std::sync::Arc;

pub use crate::input::policy::IgnoreRule;

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
    /// Findings below this severity are reported but do not fail.
    pub severity_threshold: Option<Severity>,
    /// With a threshold: do advisories without a severity still fail?
    pub fail_without_severity: bool,
    /// Do ignore rules that match nothing fail the run?
    pub deny_stale_ignores: bool,
    /// Today, in days since the epoch (UTC), for ignore expiry.
    pub today: i64,
    /// Index data for the yanked check, dependency kinds and remediation (`None`: none).
    pub registry: Option<Arc<Registry>>,
    /// The members' manifests, when `cargo metadata` ran.
    pub workspace: Option<Arc<WorkspaceInfo>>,
    /// Report crates whose locked version is yanked.
    pub check_yanked: bool,
    /// Drop findings reachable only through members' dev-dependencies.
    pub exclude_dev: bool,
    /// Warning kinds counted only on members and their direct dependencies (`[scope]`).
    pub direct_only: Vec<FindingKind>,
    /// Read dependents' sources for a reachability verdict on findings whose advisory
    /// lists affected functions.
    pub reachability: bool,
    /// `reachability = "gate"`: a `not-referenced` vulnerability does not fail the run.
    pub reachability_gate: bool,
    /// Work out a remediation for every advisory finding.
    pub remediate: bool,
    /// What shapes those plans beyond the lockfile and index (`fix` sets it).
    pub remediation: crate::audit::remediation::Settings,
    /// Read the registry data the audit will need on every CPU first (off for scans,
    /// whose lockfiles are already audited in parallel).
    pub prefetch_registry: bool,
    /// Findings on build-time-only packages of a binary fail the run too (they are
    /// reported either way; their code is not in the binary).
    pub deny_build_only: bool,
}

impl AuditOptions {
    /// Sets what the policy decides: targets, ignores, denied kinds, threshold, scopes;
    /// `exclude-dev` and the yanked check only ever move the way the policy says on top
    /// of what the flags already set.
    pub fn apply_policy(&mut self, p: &crate::input::policy::Policy) {
        self.matching = MatchSettings {
            target_os: p.targets.value.os.clone(),
            target_arch: p.targets.value.arch.clone(),
            min_severity: None,
            binary: self.matching.binary,
        };
        self.ignores = p.ignores.clone();
        self.denied_kinds = p.deny.value.kinds.clone();
        self.severity_threshold = p.severity_threshold.value;
        self.fail_without_severity = p.fail_without_severity.value;
        self.deny_stale_ignores = p.deny.value.stale_ignores;
        self.direct_only = p.direct_only.value.clone();
        self.reachability_gate = p.reachability_gate.value;
        self.exclude_dev |= p.exclude_dev.value;
        self.check_yanked &= p.check_yanked.value;
    }

    /// Keeps what the run read from cargo's index cache for the next run (see
    /// [`Registry::save_digest`]).
    pub fn save_registry_digest(&self) {
        if let Some(r) = &self.registry {
            r.save_digest();
        }
    }
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            matching: MatchSettings::default(),
            ignores: Vec::new(),
            denied_kinds: vec![FindingKind::Vulnerability],
            paths_limit: Some(3),
            members: None,
            severity_threshold: None,
            fail_without_severity: true,
            deny_stale_ignores: false,
            today: advisories_cache::info::today_days(),
            registry: None,
            workspace: None,
            check_yanked: false,
            exclude_dev: false,
            direct_only: Vec::new(),
            reachability: true,
            reachability_gate: false,
            remediate: true,
            remediation: Default::default(),
            prefetch_registry: true,
            deny_build_only: false,
        }
    }
}

/// Upper bound on paths per finding even with `--paths all`.
pub const MAX_PATHS: usize = 1000;

/// Audits a parsed lockfile.
pub fn audit(
    db: &Database,
    lock: &Lockfile,
    lockfile_path: &Path,
    opts: &AuditOptions,
    extra: Vec<Finding>,
) -> AuditReport {
    let mut findings = matching::find(db, lock, &opts.matching);
    findings.extend(extra);
    if !lock.build_only.is_empty() {
        for f in &mut findings {
            f.build_only = lock.build_only.get(f.package_index) == Some(&true);
        }
    }
    let reqs = Requirements::new(lock, opts.workspace.as_deref(), opts.registry.as_deref());
    let mut yanked_unknown = None;
    if opts.check_yanked {
        if let (true, Some(registry)) = (opts.prefetch_registry, reqs.registry()) {
            let all = crates_io_versions(&reqs, 0..lock.packages.len() as u32);
            registry.prefetch(&all, &[], &[]);
        }
        findings.extend(yanked(&reqs, &mut yanked_unknown));
    }
    // Without the yanked check, acceptances of yanked crates have nothing to match and
    // are not stale.
    let ignores: Vec<IgnoreRule> = opts
        .ignores
        .iter()
        .filter(|r| opts.check_yanked || !(r.id.is_empty() && r.kind == Some(FindingKind::Yanked)))
        .cloned()
        .collect();
    let (stale_ignores, mut notes) = apply_ignores(&mut findings, &ignores, opts.today);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
    let roots = paths::roots(lock, opts.members.as_deref());
    if opts.exclude_dev {
        exclude_dev_only(&mut findings, &reqs, &roots, &mut notes);
    }
    if !opts.direct_only.is_empty() {
        direct_scope(&mut findings, lock, &roots, &opts.direct_only, &mut notes);
    }
    let limit = opts.paths_limit.unwrap_or(MAX_PATHS).min(MAX_PATHS);
    // Several advisories often hit one package: its paths are searched once.
    type Paths = (
        Vec<Vec<String>>,
        Vec<Vec<Option<crate::audit::findings::EdgeKind>>>,
    );
    let mut index_paths: hashbrown::HashMap<usize, Vec<Vec<u32>>> = Default::default();
    for f in &findings {
        index_paths
            .entry(f.package_index)
            .or_insert_with(|| paths::paths_to(lock, &roots, f.package_index as u32, limit));
    }
    if opts.prefetch_registry {
        prefetch(&reqs, &findings, &index_paths);
    }
    let mut by_package: hashbrown::HashMap<usize, Paths> = Default::default();
    for f in &mut findings {
        let (labels, kinds) = by_package.entry(f.package_index).or_insert_with(|| {
            let index_paths = &index_paths[&f.package_index];
            (
                index_paths.iter().map(|p| paths::labels(lock, p)).collect(),
                index_paths
                    .iter()
                    .map(|p| {
                        p.windows(2)
                            .map(|w| match lock.build_only.is_empty() {
                                true => edge_kind(&reqs, w[0], w[1]),
                                false => binary_edge_kind(lock, w[0], w[1]),
                            })
                            .collect()
                    })
                    .collect(),
            )
        });
        f.paths = labels.clone();
        f.path_kinds = kinds.clone();
    }
    if opts.remediate {
        crate::audit::remediation::remediate(&mut findings, &reqs, &opts.remediation);
    }
    if opts.reachability {
        reachability::annotate(
            &mut findings,
            lock,
            lockfile_path,
            opts.workspace.as_deref(),
        );
        if opts.reachability_gate {
            gate_unreferenced(&mut findings);
        }
    }
    let mut report = AuditReport {
        database: DatabaseSummary::of(db),
        lockfile: LockfileSummary {
            path: crate::pathtext::display(lockfile_path),
            location: lockfile_path.to_path_buf(),
            packages: lock.packages.len(),
            version: lock.version,
        },
        findings,
        summary: Default::default(),
        denied_kinds: opts.denied_kinds.clone(),
        paths_note: if opts.workspace.is_some() {
            "roots are the workspace members; step kinds come from their manifests and the registry index (null where neither says)".into()
        } else {
            "read from Cargo.lock only: roots are packages nothing depends on; the members' dependency kinds (normal/build/dev) are unknown, other steps' kinds come from the registry index when it has them".into()
        },
        severity_threshold: opts.severity_threshold,
        fail_without_severity: opts.fail_without_severity,
        stale_ignores,
        deny_stale_ignores: opts.deny_stale_ignores,
        notes,
        yanked_unknown,
        binary: None,
        deny_build_only: opts.deny_build_only,
    };
    report.recount();
    report
}

/// The kind of the step `from → to` of a binary's embedded graph: `build` where a
/// runtime package reaches a build-time-only one (a build script's or proc-macro's
/// dependency), else `normal`.
fn binary_edge_kind(
    lock: &Lockfile,
    from: u32,
    to: u32,
) -> Option<crate::audit::findings::EdgeKind> {
    let build = |i: u32| lock.build_only.get(i as usize) == Some(&true);
    let kind = if build(to) && !build(from) {
        "build"
    } else {
        "normal"
    };
    Some(crate::audit::findings::EdgeKind {
        kinds: vec![kind],
        optional: false,
        target: None,
    })
}

/// Reads at once, on every CPU, the registry data the paths' step kinds and the
/// remediations will ask for: the entries of the crates.io packages along the paths and
/// the published versions of the packages with findings.
fn prefetch(
    reqs: &Requirements,
    findings: &[Finding],
    index_paths: &hashbrown::HashMap<usize, Vec<Vec<u32>>>,
) {
    let Some(registry) = reqs.registry() else {
        return;
    };
    let mut steps: Vec<u32> = index_paths
        .values()
        .flatten()
        .flat_map(|p| p.split_last().map_or(&[][..], |(_, from)| from))
        .copied()
        .collect();
    steps.sort_unstable();
    steps.dedup();
    let entries = crates_io_versions(reqs, steps);
    let mut published: Vec<&str> = findings
        .iter()
        .filter(|f| f.advisory.is_some() && reqs.is_crates_io(f.package_index as u32))
        .map(|f| f.package.name.as_str())
        .collect();
    published.sort_unstable();
    published.dedup();
    registry.prefetch(&[], &entries, &published);
}

/// `(name, version)` of the crates.io packages among `indices`, for the registry.
fn crates_io_versions<'l>(
    reqs: &Requirements<'l>,
    indices: impl IntoIterator<Item = u32>,
) -> Vec<(&'l str, &'l semver::Version)> {
    let lock = reqs.lock();
    indices
        .into_iter()
        .filter(|&i| reqs.is_crates_io(i))
        .map(|i| {
            let p = &lock.packages[i as usize];
            (p.name.as_str(), &p.version)
        })
        .collect()
}

/// Yanked findings for crates.io packages, as `cargo audit` reports them; crates the
/// index does not know are counted in a note, not guessed.
fn yanked(reqs: &Requirements, unknown_note: &mut Option<String>) -> Vec<Finding> {
    let Some(registry) = reqs.registry() else {
        return Vec::new();
    };
    let lock = reqs.lock();
    let mut out = Vec::new();
    let mut unknown = 0usize;
    let mut seen = hashbrown::HashSet::with_capacity(lock.packages.len());
    for (i, p) in lock.packages.iter().enumerate() {
        if !reqs.is_crates_io(i as u32) || !seen.insert((p.name.as_str(), &p.version)) {
            continue;
        }
        match registry.is_yanked(&p.name, &p.version) {
            Some(true) => out.push(Finding {
                kind: FindingKind::Yanked,
                advisory: None,
                package: crate::audit::findings::PackageRef::of(p),
                package_index: i,
                package_line: p.line,
                ..Finding::default()
            }),
            Some(false) => {}
            None => unknown += 1,
        }
    }
    if unknown > 0 {
        // The kind of source only: the note stays the same on every machine and cache.
        *unknown_note = Some(format!(
            "yanked status unknown for {unknown} crate version(s) not found in {}",
            registry.source().kind()
        ));
    }
    out
}

/// Drops findings of the `kinds` limited to direct dependencies (`[scope] KIND =
/// "direct"`) whose package is neither a root, nor local, nor a dependency of one.
/// Local (path) packages count as the workspace's own: their code is the team's.
fn direct_scope(
    findings: &mut Vec<Finding>,
    lock: &Lockfile,
    roots: &[u32],
    kinds: &[FindingKind],
    notes: &mut Vec<String>,
) {
    let own = |i: usize| roots.contains(&(i as u32)) || lock.packages[i].source.is_none();
    let direct = |i: usize| own(i) || lock.graph.rdeps[i].iter().any(|&d| own(d as usize));
    let mut dropped: Vec<(FindingKind, usize)> = Vec::new();
    findings.retain(|f| {
        let keep = !kinds.contains(&f.kind) || direct(f.package_index);
        if !keep {
            match dropped.iter_mut().find(|(k, _)| *k == f.kind) {
                Some((_, n)) => *n += 1,
                None => dropped.push((f.kind, 1)),
            }
        }
        keep
    });
    for (kind, n) in dropped {
        notes.push(format!(
            "scope: {n} {} finding(s) on crates no workspace member depends on directly are not reported ([scope] {} = \"direct\")",
            kind.as_str(),
            kind.as_str()
        ));
    }
}

/// `reachability = "gate"`: a vulnerability no dependent references is recorded as not
/// affected (`vulnerable_code_not_in_execute_path`) with its evidence, and does not fail
/// the run. `unknown` and `referenced` relax nothing.
fn gate_unreferenced(findings: &mut [Finding]) {
    for f in findings.iter_mut() {
        let Some(r) = &f.reachability else { continue };
        if f.ignored || r.state != "not-referenced" || f.kind != FindingKind::Vulnerability {
            continue;
        }
        f.ignored = true;
        f.ignore_origin = Some("reachability = \"gate\"".into());
        f.ignore_reason = Some(format!(
            "no crate that depends on {} names {} (read: {})",
            f.package.name,
            r.functions.join(", "),
            r.crates_read.join(", ")
        ));
        f.ignore_vex = Some(crate::input::vex::VexClaim {
            state: "not_affected",
            cyclonedx_justification: Some("code_not_reachable"),
            openvex_justification: Some("vulnerable_code_not_in_execute_path"),
        });
    }
}

/// Drops findings whose package is reachable only through a member's dev-dependency.
fn exclude_dev_only(
    findings: &mut Vec<Finding>,
    reqs: &Requirements,
    roots: &[u32],
    notes: &mut Vec<String>,
) {
    if reqs.workspace().is_none() {
        notes.push(
            "--exclude-dev needs the members' manifests (cargo metadata); in lockfile-only mode nothing was dropped".into(),
        );
        return;
    }
    let lock = reqs.lock();
    // Walk from the members, skipping member edges that are dev-only. An edge whose kind
    // is unknown is followed: dropping a finding needs proof.
    let mut reached = vec![false; lock.packages.len()];
    let mut stack: Vec<u32> = roots.to_vec();
    for &r in roots {
        reached[r as usize] = true;
    }
    while let Some(v) = stack.pop() {
        for &w in &lock.graph.deps[v as usize] {
            if reached[w as usize] {
                continue;
            }
            let dev_only = reqs
                .edge(v, w, |ds| {
                    !ds.is_empty() && ds.iter().all(|d| d.kind == DepKind::Dev)
                })
                .unwrap_or(false);
            if !dev_only {
                reached[w as usize] = true;
                stack.push(w);
            }
        }
    }
    let before = findings.len();
    findings.retain(|f| reached[f.package_index]);
    let dropped = before - findings.len();
    notes.push(format!(
        "--exclude-dev: dropped {dropped} finding(s) reachable only through dev-dependencies"
    ));
}

/// The kind of the step `from → to`, when the manifests or the index say.
pub fn edge_kind(
    reqs: &Requirements,
    from: u32,
    to: u32,
) -> Option<crate::audit::findings::EdgeKind> {
    reqs.edge(from, to, |ds| {
        let first = ds.first()?;
        let mut kinds: Vec<DepKind> = ds.iter().map(|d| d.kind).collect();
        kinds.sort();
        kinds.dedup();
        let all_targeted = ds.iter().all(|d| d.target.is_some());
        Some(crate::audit::findings::EdgeKind {
            kinds: kinds.iter().map(|k| k.as_str()).collect(),
            optional: ds.iter().all(|d| d.optional),
            target: all_targeted
                .then(|| first.target.map(str::to_string))
                .flatten(),
        })
    })?
}

/// Marks the findings that an active ignore rule covers; a finding whose only matching
/// rule has expired stays reported with a note. Returns the stale rules (active, matched
/// nothing) as `id (origin)` and the notes.
pub fn apply_ignores(
    findings: &mut [Finding],
    ignores: &[IgnoreRule],
    today: i64,
) -> (Vec<String>, Vec<String>) {
    let mut used = vec![false; ignores.len()];
    let mut notes = Vec::new();
    for f in findings.iter_mut() {
        // Every rule that covers a finding counts as used, even when another rule wins.
        for (i, r) in ignores.iter().enumerate() {
            if covers(r, f) {
                used[i] = true;
            }
        }
        // An active rule wins over an expired one for the same finding.
        let active = ignores
            .iter()
            .position(|r| covers(r, f) && !r.expired(today));
        if let Some(i) = active {
            let rule = &ignores[i];
            f.ignored = true;
            f.ignore_reason = rule.reason.clone();
            f.ignore_origin = Some(rule.origin.clone());
            f.ignore_until = rule.until.clone();
            f.ignore_vex = rule.vex.clone();
        } else if let Some(i) = ignores.iter().position(|r| covers(r, f)) {
            let rule = &ignores[i];
            let until = rule.until.clone().unwrap_or_default();
            f.ignore_expired = Some(until.clone());
            f.ignore_origin = Some(rule.origin.clone());
            notes.push(format!(
                "ignore for {} expired on {until} ({}); {} {} is reported again",
                rule.label(),
                rule.origin,
                f.package.name,
                f.package.version
            ));
        }
    }
    let stale = ignores
        .iter()
        .zip(&used)
        .filter(|(r, used)| !**used && !r.expired(today))
        .map(|(r, _)| format!("{} ({})", r.label(), r.origin))
        .collect();
    (stale, notes)
}

/// Does `rule` cover the finding (ignoring its expiry)?
pub fn covers(rule: &crate::input::policy::IgnoreRule, f: &Finding) -> bool {
    let id_ok = match rule.kind {
        // A crate acceptance needs its crate: it never covers every crate.
        Some(kind) if rule.id.is_empty() => f.kind == kind && rule.krate.is_some(),
        _ => f
            .advisory
            .as_ref()
            .is_some_and(|a| a.id == rule.id || a.aliases.contains(&rule.id)),
    };
    let crate_ok = rule.krate.as_ref().is_none_or(|c| *c == f.package.name);
    let version_ok = rule.version.as_ref().is_none_or(|req| {
        semver::Version::parse(&f.package.version).is_ok_and(|v| req.matches(&v))
    });
    id_ok && crate_ok && version_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::findings::{AuditReport, LockfileSummary, PackageRef, Summary};
    use advisories_cache::AdvisoryRecord;

    fn advisory(id: &str, aliases: &[&str], severity: Option<Severity>) -> AdvisoryRecord {
        AdvisoryRecord {
            id: id.into(),
            package: "demo".into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            title: "t".into(),
            description: "d".into(),
            date: "2020-01-01".into(),
            severity,
            ..AdvisoryRecord::default()
        }
    }

    fn finding(kind: FindingKind, adv: Option<AdvisoryRecord>, version: &str) -> Finding {
        Finding {
            kind,
            advisory: adv.map(std::sync::Arc::new),
            package: PackageRef {
                name: "demo".into(),
                version: version.into(),
                source: None,
            },
            package_index: 0,
            package_line: 1,
            ..Finding::default()
        }
    }

    fn rule(id: &str, until: Option<&str>) -> IgnoreRule {
        IgnoreRule {
            id: id.into(),
            reason: Some("because".into()),
            until: until.map(String::from),
            origin: "depaudit.toml".into(),
            ..IgnoreRule::default()
        }
    }

    fn day(d: &str) -> i64 {
        advisories_cache::info::parse_date_days(d).unwrap()
    }

    fn report(
        findings: Vec<Finding>,
        threshold: Option<Severity>,
        fail_without: bool,
    ) -> AuditReport {
        let mut r = AuditReport {
            database: crate::audit::findings::DatabaseSummary {
                path: "db".into(),
                commit: None,
                last_updated: None,
                advisory_count: 0,
                age_days: None,
                newest_advisory: None,
                skipped_files: vec![],
            },
            lockfile: LockfileSummary {
                path: "Cargo.lock".into(),
                location: "Cargo.lock".into(),
                packages: 1,
                version: 3,
            },
            findings,
            summary: Summary::default(),
            denied_kinds: vec![FindingKind::Vulnerability, FindingKind::Yanked],
            severity_threshold: threshold,
            fail_without_severity: fail_without,
            stale_ignores: vec![],
            deny_stale_ignores: false,
            notes: vec![],
            paths_note: String::new(),
            yanked_unknown: None,
            binary: None,
            deny_build_only: false,
        };
        r.recount();
        r
    }

    #[test]
    fn rules_match_id_or_alias_and_their_scope() {
        let f = finding(
            FindingKind::Vulnerability,
            Some(advisory("RUSTSEC-2020-0001", &["CVE-2020-1111"], None)),
            "1.2.3",
        );
        assert!(covers(&rule("RUSTSEC-2020-0001", None), &f));
        assert!(covers(&rule("CVE-2020-1111", None), &f));
        assert!(!covers(&rule("RUSTSEC-2020-0002", None), &f));
        let scoped = |krate: Option<&str>, req: Option<&str>| IgnoreRule {
            krate: krate.map(String::from),
            version: req.map(|r| semver::VersionReq::parse(r).unwrap()),
            ..rule("CVE-2020-1111", None)
        };
        assert!(covers(&scoped(Some("demo"), Some("=1.2.3")), &f));
        assert!(!covers(&scoped(None, Some("<1.2.3")), &f));
        assert!(!covers(&scoped(Some("other"), None), &f));
        let yanked = finding(FindingKind::Yanked, None, "1.2.3");
        assert!(!covers(&rule("RUSTSEC-2020-0001", None), &yanked));
    }

    #[test]
    fn expiry_is_inclusive_of_the_until_day() {
        let r = rule("RUSTSEC-2020-0001", Some("2024-06-30"));
        assert!(!r.expired(day("2024-06-30")));
        assert!(r.expired(day("2024-07-01")));
        assert!(!rule("RUSTSEC-2020-0001", None).expired(i64::MAX));
    }

    #[test]
    fn expired_ignores_stop_ignoring_and_unused_ones_are_stale() {
        let adv = |id: &str| Some(advisory(id, &[], None));
        let mut findings = vec![
            finding(
                FindingKind::Vulnerability,
                adv("RUSTSEC-2020-0001"),
                "1.0.0",
            ),
            finding(
                FindingKind::Vulnerability,
                adv("RUSTSEC-2020-0002"),
                "1.0.0",
            ),
        ];
        let rules = vec![
            rule("RUSTSEC-2020-0001", Some("2030-01-01")),
            rule("RUSTSEC-2020-0002", Some("2020-12-31")),
            rule("RUSTSEC-2020-0003", None),
            rule("RUSTSEC-2020-0004", Some("2020-12-31")),
        ];
        let (stale, notes) = apply_ignores(&mut findings, &rules, day("2025-01-01"));
        assert!(findings[0].ignored);
        assert_eq!(findings[0].ignore_until.as_deref(), Some("2030-01-01"));
        assert_eq!(findings[0].ignore_origin.as_deref(), Some("depaudit.toml"));
        assert!(!findings[1].ignored, "expired rule no longer ignores");
        assert_eq!(findings[1].ignore_expired.as_deref(), Some("2020-12-31"));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("ignore for RUSTSEC-2020-0002 expired on 2020-12-31"));
        // 0003 matched nothing; 0004 matched nothing but has expired (warned at load).
        assert_eq!(stale, vec!["RUSTSEC-2020-0003 (depaudit.toml)"]);

        let mut r = report(findings, None, true);
        assert_eq!(r.summary.ignored, 1);
        assert_eq!(r.summary.denied, 1);
        r.stale_ignores = stale;
        r.recount();
        assert_eq!(r.summary.stale_ignores, 1);
        r.findings.retain(|f| f.ignored);
        r.recount();
        assert!(!r.fails(), "stale ignores alone pass by default");
        r.deny_stale_ignores = true;
        assert!(r.fails(), "and fail with deny stale-ignores");
    }

    #[test]
    fn severity_threshold_and_missing_severity() {
        let f = |sev| {
            finding(
                FindingKind::Vulnerability,
                Some(advisory("RUSTSEC-2020-0001", &[], sev)),
                "1.0.0",
            )
        };
        let r = report(
            vec![f(Some(Severity::Low)), f(Some(Severity::High)), f(None)],
            Some(Severity::Medium),
            true,
        );
        let denied: Vec<bool> = r.findings.iter().map(|x| r.is_denied(x)).collect();
        assert_eq!(denied, [false, true, true]);
        assert_eq!(r.summary.denied, 2);
        let r = report(
            vec![f(Some(Severity::Low)), f(None)],
            Some(Severity::Medium),
            false,
        );
        assert_eq!(r.summary.denied, 0);
        assert!(!r.fails());
        assert_eq!(r.summary.vulnerabilities, 2, "still reported");
        let r = report(vec![f(Some(Severity::Low))], None, true);
        assert!(r.fails(), "no threshold: everything denied fails");
    }

    #[test]
    fn denied_kinds_decide_what_fails() {
        let unsound = |_| {
            let mut a = advisory("RUSTSEC-2020-0009", &[], None);
            a.informational = Some("unsound".into());
            finding(FindingKind::Unsound, Some(a), "1.0.0")
        };
        let r = report(
            vec![unsound(()), finding(FindingKind::Yanked, None, "1.0.0")],
            None,
            true,
        );
        assert!(!r.is_denied(&r.findings[0]), "unsound is not denied here");
        assert!(r.is_denied(&r.findings[1]), "yanked is");
        assert_eq!(r.summary.warnings, 2);
        assert_eq!(r.summary.denied, 1);
    }
}
