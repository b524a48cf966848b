//! The policy's data, below the readers that fill it: ignore rules (with the VEX
//! statement one came from), scopes, targets, the deny list, a parsed policy file, and
//! the small parsers they share. `policy` (depaudit.toml and merging),
//! `policy_import` (cargo audit's and cargo deny's files) and `vex` all build these.

use crate::input::findingkind::FindingKind;
use advisories_cache::Severity;
use std::path::PathBuf;

/// An ignore rule: an advisory id or alias, why, until when, and optionally which crate
/// and versions it is limited to. A rule without an id accepts one crate's findings of
/// one warning kind (a yanked version, an unmaintained crate): `kind` and `krate` are
/// then set.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct IgnoreRule {
    /// Advisory id or alias (CVE, GHSA); empty for a crate acceptance.
    pub id: String,
    /// For a crate acceptance (no id): the warning kind accepted.
    pub kind: Option<FindingKind>,
    /// Why, when given.
    pub reason: Option<String>,
    /// Last day the rule applies (`YYYY-MM-DD`, UTC); after it the rule stops ignoring.
    pub until: Option<String>,
    /// Only this crate.
    pub krate: Option<String>,
    /// Only versions matching this requirement.
    pub version: Option<semver::VersionReq>,
    /// Where the rule came from: a file path, `--ignore`, or a VEX file's statement.
    pub origin: String,
    /// What the VEX statement said, for a rule read from `--vex` (see [`super::vex`]).
    pub vex: Option<VexClaim>,
}

impl IgnoreRule {
    /// How messages name the rule: its id, or for a crate acceptance `yanked smallvec
    /// =0.6.9`.
    pub fn label(&self) -> String {
        match (&self.kind, self.id.is_empty()) {
            (Some(kind), true) => {
                let mut s = format!("{} {}", kind.as_str(), self.krate.as_deref().unwrap_or("?"));
                if let Some(v) = &self.version {
                    s.push_str(&format!(" {v}"));
                }
                s
            }
            _ => self.id.clone(),
        }
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

/// Why a policy could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A policy file could not be read.
    #[error("failed to read {}: {source}", crate::pathtext::display(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A policy file is not valid.
    #[error("{}:{line}: {key}: {message}", crate::pathtext::display(path))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The key at fault (`ignore.until`, `deny`, …).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A policy file is not something we read: not a regular file, too large, not UTF-8.
    #[error("{}: {reason}", crate::pathtext::display(path))]
    Unusable {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// A command-line override is not valid.
    #[error("{0}")]
    Flag(String),
}

/// Which findings of a warning kind count: all of them, or only those on crates a
/// workspace member depends on directly (`direct`), which a team can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Every finding of the kind.
    All,
    /// Only findings on direct dependencies of workspace members (and on members).
    Direct,
}

/// What fails the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenyList {
    /// Finding kinds that fail (always includes `vulnerability`).
    pub kinds: Vec<FindingKind>,
    /// Whether ignores that match nothing fail.
    pub stale_ignores: bool,
}

/// Target platforms: the triples as given and what they mean for matching.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    /// Target triples.
    pub triples: Vec<String>,
    /// `target_os` values (from triples and `--target-os`).
    pub os: Vec<String>,
    /// `target_arch` values (from triples and `--target-arch`).
    pub arch: Vec<String>,
}

/// A validated `depaudit.toml`: only what the file sets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FilePolicy {
    /// Ignore rules.
    pub ignores: Vec<IgnoreRule>,
    /// `deny`.
    pub deny: Option<DenyList>,
    /// `severity-threshold`.
    pub severity_threshold: Option<Severity>,
    /// `fail-without-severity`.
    pub fail_without_severity: Option<bool>,
    /// `exclude-dev`.
    pub exclude_dev: Option<bool>,
    /// `max-db-age-days`.
    pub max_db_age_days: Option<u32>,
    /// `target`.
    pub targets: Option<Targets>,
    /// `[scope]`, per warning kind.
    pub scope: Vec<(FindingKind, Scope)>,
    /// Whether to check for yanked crates (set by imported files only).
    pub check_yanked: Option<bool>,
    /// `reachability = "gate"` (true) or `"report"` (false).
    pub reachability_gate: Option<bool>,
}

/// Is `id` a RustSec id or an alias we know (CVE, GHSA)?
pub fn valid_id(id: &str) -> bool {
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let parts: Vec<&str> = id.split('-').collect();
    match parts.as_slice() {
        ["RUSTSEC", y, n] => digits(y, 4..=4) && digits(n, 4..=4),
        ["CVE", y, n] => digits(y, 4..=4) && digits(n, 4..=7),
        ["GHSA", a, b, c] => [a, b, c]
            .iter()
            .all(|p| p.len() == 4 && p.bytes().all(|b| b"23456789cfghjmpqrvwx".contains(&b))),
        _ => false,
    }
}

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The dotted key at `offset`: the key of its `key = value` line, under the nearest
/// table header above it.
pub(crate) fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("").trim();
    let header = |l: &str| {
        let l = l.trim();
        l.starts_with('[').then(|| {
            l.trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
    };
    if let Some(h) = header(line) {
        return Some(h);
    }
    let key = line
        .split('=')
        .next()
        .filter(|_| line.contains('='))?
        .trim();
    let table = text[..start].lines().rev().find_map(header);
    Some(match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key.to_string(),
    })
}

/// `name@version` (cargo deny's package spec) as (name, version); a bare name has none.
pub fn split_crate_spec(spec: &str) -> (&str, Option<&str>) {
    match spec.trim().split_once('@') {
        Some((name, version)) => (name.trim(), Some(version.trim())),
        None => (spec.trim(), None),
    }
}

/// A version scope: a bare version means exactly that version, anything else is a
/// semver requirement.
pub(crate) fn parse_version_scope(s: &str) -> Option<semver::VersionReq> {
    let s = s.trim();
    if semver::Version::parse(s).is_ok() {
        return semver::VersionReq::parse(&format!("={s}")).ok();
    }
    semver::VersionReq::parse(s).ok()
}

const DENY_VALUES: &[&str] = &[
    "vulnerability",
    "vulnerabilities",
    "unsound",
    "unmaintained",
    "yanked",
    "notice",
    "warnings",
    "stale-ignores",
];

pub(crate) fn is_deny_value(s: &str) -> bool {
    DENY_VALUES.contains(&s)
}

pub(crate) fn deny_error(s: &str) -> String {
    format!(
        "unknown deny value `{s}` (expected vulnerability, unsound, unmaintained, yanked, notice, warnings, stale-ignores)"
    )
}

/// Builds a deny list from names; `vulnerability` is always included.
pub fn deny_list(values: &[String]) -> Result<DenyList, String> {
    let mut kinds = vec![FindingKind::Vulnerability];
    let mut stale_ignores = false;
    for v in values {
        let add: Vec<FindingKind> = match v.as_str() {
            "warnings" => FindingKind::ALL
                .into_iter()
                .filter(|k| k.is_warning())
                .collect(),
            "stale-ignores" => {
                stale_ignores = true;
                Vec::new()
            }
            "vulnerabilities" => Vec::new(),
            other => vec![FindingKind::parse(other).ok_or_else(|| deny_error(other))?],
        };
        for k in add {
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
    }
    kinds.sort();
    Ok(DenyList {
        kinds,
        stale_ignores,
    })
}

pub(crate) fn parse_threshold(s: &str) -> Result<Severity, String> {
    match Severity::parse(s) {
        Some(Severity::None) | None => Err(format!(
            "unknown severity `{s}` (expected low, medium, high, critical)"
        )),
        Some(sev) => Ok(sev),
    }
}

pub(crate) fn add_triple(t: &mut Targets, triple: &str) -> Result<(), String> {
    let p = rustsec::platforms::Platform::find(triple)
        .ok_or_else(|| format!("unknown target triple `{triple}`"))?;
    t.triples.push(triple.to_string());
    push_unique(&mut t.os, p.target_os.as_str());
    push_unique(&mut t.arch, p.target_arch.as_str());
    Ok(())
}

pub(crate) fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// What a VEX statement that suppresses a finding said, in both formats' terms, so the
/// SBOM and VEX outputs can say it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VexClaim {
    /// CycloneDX `analysis.state`: `not_affected` or `false_positive`.
    pub state: &'static str,
    /// CycloneDX `analysis.justification`, when one was given (or maps from OpenVEX's).
    pub cyclonedx_justification: Option<&'static str>,
    /// OpenVEX `justification`, when one was given (or maps from CycloneDX's).
    pub openvex_justification: Option<&'static str>,
}
