//! The audit policy: which findings fail the run, which are ignored and until when, and
//! which targets matter. It comes from `depaudit.toml` beside the audited `Cargo.lock`
//! (or `--config FILE`), what `.cargo/audit.toml` and `deny.toml` say that has a meaning
//! here ([`crate::input::policy_import`]), and command-line flags. Everything merges
//! toward the stricter gate (see [`load`]).
//!
//! The file is read in two steps (see STYLE.md, "parse config, then validate it"): serde
//! reads it into [`RawPolicy`] with `deny_unknown_fields`, then [`parse`] checks ids,
//! dates, kinds and targets. Every error names the file, the line and the key, and is an
//! error (exit 2): a gate must never pass because its configuration could not be read.

use crate::input::findingkind::FindingKind;
pub use crate::input::policy_rules::{
    DenyList, FilePolicy, IgnoreRule, PolicyError, Scope, Targets, deny_list, split_crate_spec,
    valid_id,
};
use crate::input::policy_rules::{
    add_triple, deny_error, is_deny_value, key_at, line_of, parse_threshold, parse_version_scope,
    push_unique,
};
use advisories_cache::{Database, Severity};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The policy file's name, looked for beside the audited `Cargo.lock`.
pub const FILE_NAME: &str = "depaudit.toml";

/// Where a setting came from: the files that set it (several when their values were
/// merged, the strictest winning) and the flag that tightened it; neither means the
/// built-in default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    /// Policy files, in the order they were read.
    pub files: Vec<PathBuf>,
    /// A command-line flag.
    pub flag: Option<&'static str>,
}

impl Source {
    /// One file.
    pub fn file(p: &Path) -> Source {
        Source {
            files: vec![p.to_path_buf()],
            flag: None,
        }
    }

    /// One flag.
    pub fn flag(flag: &'static str) -> Source {
        Source {
            files: Vec::new(),
            flag: Some(flag),
        }
    }

    /// The built-in default?
    pub fn is_default(&self) -> bool {
        self.files.is_empty() && self.flag.is_none()
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_default() {
            return f.write_str("default");
        }
        let mut parts: Vec<String> = self.files.iter().map(|p| p.display().to_string()).collect();
        if let Some(flag) = self.flag {
            parts.push(format!("flag {flag}"));
        }
        f.write_str(&parts.join(" + "))
    }
}

/// A setting's value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Its source.
    pub source: Source,
}

impl<T> Setting<T> {
    fn default_of(value: T) -> Self {
        Setting {
            value,
            source: Source::default(),
        }
    }
}

/// The effective policy: file, imports and flags merged and validated.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Ignore rules, from every source, each recording its origin.
    pub ignores: Vec<IgnoreRule>,
    /// What fails the run.
    pub deny: Setting<DenyList>,
    /// Findings below this severity are reported but do not fail.
    pub severity_threshold: Setting<Option<Severity>>,
    /// With a threshold: do advisories without a severity still fail?
    pub fail_without_severity: Setting<bool>,
    /// Leave out findings reachable only through dev-dependencies (needs `cargo
    /// metadata`; lockfile-only runs cannot tell and keep them).
    pub exclude_dev: Setting<bool>,
    /// Fail when the database is older than this many days.
    pub max_db_age_days: Setting<Option<u32>>,
    /// Targets that narrow matching.
    pub targets: Setting<Targets>,
    /// Warning kinds limited to direct dependencies (`[scope] KIND = "direct"`).
    pub direct_only: Setting<Vec<FindingKind>>,
    /// Check for yanked crates (off only when a file turns it off and nothing denies
    /// yanked crates).
    pub check_yanked: Setting<bool>,
    /// `reachability = "gate"`: vulnerabilities no dependent references do not fail.
    pub reachability_gate: Setting<bool>,
    /// Policy files that were read.
    pub files: Vec<PathBuf>,
    /// Things the user should know (expired ignores, imports skipped, …).
    pub warnings: Vec<String>,
}

/// Command-line values that override the files.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--config FILE`.
    pub config: Option<PathBuf>,
    /// `--ignore ID` (added to the file's ignores).
    pub ignore: Vec<String>,
    /// `--deny KIND` (added to the file's `deny`: a flag only ever tightens the gate).
    pub deny: Vec<String>,
    /// `--target TRIPLE`.
    pub target: Vec<String>,
    /// `--target-os OS`.
    pub target_os: Vec<String>,
    /// `--target-arch ARCH`.
    pub target_arch: Vec<String>,
    /// `--severity-threshold LEVEL`.
    pub severity_threshold: Option<String>,
    /// `--max-db-age DAYS`.
    pub max_db_age: Option<u32>,
    /// A policy file read besides the workspace's own (a fleet-wide `scan --config`),
    /// merged like the other files: the strictest value wins.
    pub extra: Option<PathBuf>,
    /// Read only `--config` and `extra`, none of the workspace's own files (`scan
    /// --no-repo-policy`).
    pub skip_workspace_files: bool,
    /// `--vex FILE`: OpenVEX or CycloneDX VEX whose not-affected claims are ignores.
    pub vex: Vec<PathBuf>,
}

/// `depaudit.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPolicy {
    /// `[[ignore]]` entries.
    #[serde(default)]
    pub ignore: Vec<Spanned<RawIgnore>>,
    /// `deny = [...]`.
    pub deny: Option<Vec<Spanned<String>>>,
    /// `severity-threshold = "..."`.
    pub severity_threshold: Option<Spanned<String>>,
    /// `fail-without-severity = bool`.
    pub fail_without_severity: Option<bool>,
    /// `exclude-dev = bool`.
    pub exclude_dev: Option<bool>,
    /// `max-db-age-days = N`.
    pub max_db_age_days: Option<u32>,
    /// `target = [...]`.
    pub target: Option<Vec<Spanned<String>>>,
    /// `[scope]`.
    pub scope: Option<RawScope>,
    /// `reachability = "report" | "gate"`.
    pub reachability: Option<Spanned<String>>,
}

/// `[scope]` as written: `KIND = "all" | "direct"` for the warning kinds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScope {
    /// Unmaintained crates.
    pub unmaintained: Option<Spanned<String>>,
    /// Unsound APIs.
    pub unsound: Option<Spanned<String>>,
    /// Other notices.
    pub notice: Option<Spanned<String>>,
    /// Yanked versions.
    pub yanked: Option<Spanned<String>>,
}

/// One `[[ignore]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIgnore {
    /// Advisory id or alias; without one, the entry accepts a crate's warnings.
    pub id: Option<Spanned<String>>,
    /// For an entry without id: the warning kind accepted (default `yanked`).
    pub kind: Option<Spanned<String>>,
    /// Why (required).
    pub reason: Option<Spanned<String>>,
    /// `YYYY-MM-DD`, quoted or a TOML date.
    pub until: Option<Spanned<toml::Value>>,
    /// Crate scope.
    #[serde(rename = "crate")]
    pub krate: Option<Spanned<String>>,
    /// Version scope (a version or a semver requirement).
    pub version: Option<Spanned<String>>,
}

/// Ignore rules for `--ignore ID` flags; a value that is not an advisory id is an error.
pub fn flag_ignores(ids: &[String]) -> Result<Vec<IgnoreRule>, PolicyError> {
    ids.iter()
        .map(|id| {
            if !valid_id(id) {
                return Err(PolicyError::Flag(format!(
                    "--ignore `{id}` is not an advisory id (RUSTSEC-YYYY-NNNN, CVE-YYYY-NNNN or GHSA-xxxx-xxxx-xxxx)"
                )));
            }
            Ok(IgnoreRule {
                id: id.clone(),
                origin: "--ignore".into(),
                ..IgnoreRule::default()
            })
        })
        .collect()
}

/// Parses and validates the text of a `depaudit.toml` read from `path`.
pub fn parse(text: &str, path: &Path) -> Result<FilePolicy, PolicyError> {
    let invalid = |span: std::ops::Range<usize>, key: &str, message: String| {
        let line = line_of(text, span.start);
        PolicyError::Invalid {
            path: path.to_path_buf(),
            line,
            key: key.to_string(),
            message,
        }
    };
    let raw: RawPolicy = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().replace('\n', " ");
        // An unknown key's message names it; otherwise read the key off the line.
        let key = message
            .strip_prefix("unknown field `")
            .and_then(|m| m.split('`').next())
            .map(|k| match key_at(text, span.start) {
                Some(full) if full.ends_with(k) => full,
                _ => k.to_string(),
            })
            .or_else(|| key_at(text, span.start))
            .unwrap_or_else(|| "(document)".to_string());
        invalid(span, &key, message)
    })?;

    let mut out = FilePolicy::default();
    let origin = path.display().to_string();
    for entry in &raw.ignore {
        let e = entry.get_ref();
        let mut krate = e.krate.as_ref().map(|c| c.get_ref().trim().to_string());
        let mut crate_version = None;
        let (id, kind) = match (&e.id, &e.kind) {
            (Some(id), None) => {
                let id = id_or_err(id.get_ref(), id.span(), &invalid)?;
                (id, None)
            }
            (Some(_), Some(k)) => {
                return Err(invalid(
                    k.span(),
                    "ignore.kind",
                    "`kind` is for entries without an `id` (an advisory id says its kind)".into(),
                ));
            }
            (None, kind) => {
                let Some(c) = &e.krate else {
                    return Err(invalid(
                        entry.span(),
                        "ignore.id",
                        "an ignore needs an advisory `id`, or a `crate` (and `kind`) to accept"
                            .into(),
                    ));
                };
                // `crate = "smallvec@0.6.9"`, as cargo deny writes it.
                let (name, version) = split_crate_spec(c.get_ref());
                if version.is_some() && e.version.is_some() {
                    return Err(invalid(
                        c.span(),
                        "ignore.crate",
                        "a version in both `crate` and `version`".into(),
                    ));
                }
                krate = Some(name.to_string());
                crate_version = version.map(|v| (v.to_string(), c.span()));
                let kind = match kind {
                    None => FindingKind::Yanked,
                    Some(k) => match FindingKind::parse(k.get_ref().trim()) {
                        Some(k) if k.is_warning() => k,
                        _ => {
                            return Err(invalid(
                                k.span(),
                                "ignore.kind",
                                format!(
                                    "`{}` is not a warning kind (expected yanked, unmaintained, unsound, notice; a vulnerability is ignored by its id)",
                                    k.get_ref()
                                ),
                            ));
                        }
                    },
                };
                (String::new(), Some(kind))
            }
        };
        let label = if id.is_empty() {
            krate.clone().unwrap_or_default()
        } else {
            id.clone()
        };
        let id = id.as_str();
        let reason = match &e.reason {
            Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().trim().to_string(),
            Some(r) => {
                return Err(invalid(
                    r.span(),
                    "ignore.reason",
                    format!("the reason for ignoring {label} is empty"),
                ));
            }
            None => {
                return Err(invalid(
                    entry.span(),
                    "ignore.reason",
                    format!("ignoring {label} needs a `reason`"),
                ));
            }
        };
        let until = match &e.until {
            None => None,
            Some(u) => Some(parse_until(u.get_ref()).ok_or_else(|| {
                invalid(
                    u.span(),
                    "ignore.until",
                    format!(
                        "`{}` is not a date (expected YYYY-MM-DD)",
                        u.get_ref()
                            .as_str()
                            .map_or_else(|| u.get_ref().to_string(), String::from)
                    ),
                )
            })?),
        };
        let version_text = e
            .version
            .as_ref()
            .map(|v| (v.get_ref().clone(), v.span()))
            .or(crate_version);
        let version = match version_text {
            None => None,
            Some((v, span)) => Some(parse_version_scope(&v).ok_or_else(|| {
                invalid(
                    span,
                    "ignore.version",
                    format!("`{v}` is not a version or version requirement"),
                )
            })?),
        };
        out.ignores.push(IgnoreRule {
            id: id.to_string(),
            kind,
            reason: Some(reason),
            until,
            krate,
            version,
            origin: origin.clone(),
            vex: None,
        });
    }
    if let Some(scope) = &raw.scope {
        for (kind, value) in [
            (FindingKind::Unmaintained, &scope.unmaintained),
            (FindingKind::Unsound, &scope.unsound),
            (FindingKind::Notice, &scope.notice),
            (FindingKind::Yanked, &scope.yanked),
        ] {
            let Some(v) = value else { continue };
            let scope = match v.get_ref().trim() {
                "all" => Scope::All,
                "direct" => Scope::Direct,
                other => {
                    return Err(invalid(
                        v.span(),
                        &format!("scope.{}", kind.as_str()),
                        format!("`{other}` is not a scope (expected all, direct)"),
                    ));
                }
            };
            out.scope.push((kind, scope));
        }
    }
    if let Some(deny) = &raw.deny {
        let mut values = Vec::new();
        for d in deny {
            if !is_deny_value(d.get_ref()) {
                return Err(invalid(d.span(), "deny", deny_error(d.get_ref())));
            }
            values.push(d.get_ref().clone());
        }
        out.deny = Some(deny_list(&values).map_err(|m| invalid(0..0, "deny", m))?);
    }
    if let Some(s) = &raw.severity_threshold {
        out.severity_threshold = Some(
            parse_threshold(s.get_ref()).map_err(|m| invalid(s.span(), "severity-threshold", m))?,
        );
    }
    if let Some(r) = &raw.reachability {
        out.reachability_gate = Some(match r.get_ref().trim() {
            "report" => false,
            "gate" => true,
            other => {
                return Err(invalid(
                    r.span(),
                    "reachability",
                    format!("`{other}` is not report or gate"),
                ));
            }
        });
    }
    out.fail_without_severity = raw.fail_without_severity;
    out.exclude_dev = raw.exclude_dev;
    out.max_db_age_days = raw.max_db_age_days;
    if let Some(targets) = &raw.target {
        let mut t = Targets::default();
        for triple in targets {
            add_triple(&mut t, triple.get_ref())
                .map_err(|m| invalid(triple.span(), "target", m))?;
        }
        out.targets = Some(t);
    }
    Ok(out)
}

/// `id` trimmed, or the error for an entry whose id is not an advisory id.
fn id_or_err(
    id: &str,
    span: std::ops::Range<usize>,
    invalid: &dyn Fn(std::ops::Range<usize>, &str, String) -> PolicyError,
) -> Result<String, PolicyError> {
    let id = id.trim();
    if !valid_id(id) {
        return Err(invalid(
            span,
            "ignore.id",
            format!(
                "`{id}` is not an advisory id (RUSTSEC-YYYY-NNNN, CVE-YYYY-NNNN or GHSA-xxxx-xxxx-xxxx)"
            ),
        ));
    }
    Ok(id.to_string())
}

pub(crate) fn parse_until(v: &toml::Value) -> Option<String> {
    let text = match v {
        toml::Value::String(s) => s.trim().to_string(),
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        _ => return None,
    };
    (text.len() == 10 && advisories_cache::info::parse_date_days(&text).is_some()).then_some(text)
}

/// Policy files larger than this are refused (real ones are a few KiB).
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

fn read_optional(path: &Path) -> Result<Option<String>, PolicyError> {
    match read_policy_file(path) {
        Err(PolicyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        other => other.map(Some),
    }
}

/// Reads a policy file. The audited repository supplies these files, so one that is a
/// FIFO, a device (`/dev/zero`) or huge is refused instead of hanging or filling memory.
fn read_policy_file(path: &Path) -> Result<String, PolicyError> {
    use std::io::Read;
    let io = |source| PolicyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let unusable = |reason: String| PolicyError::Unusable {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(unusable("not a regular file".into()));
    }
    let too_large = || unusable(format!("larger than {MAX_POLICY_BYTES} bytes"));
    if meta.len() > MAX_POLICY_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| {
        unusable(format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Loads the effective policy for a workspace whose `Cargo.lock` is in `root`: the policy
/// file (`--config`, else `root/depaudit.toml` when present), a fleet-wide file
/// ([`Overrides::extra`]), what `root/.cargo/audit.toml` and `root/deny.toml` say that has
/// a meaning here ([`crate::input::policy_import`]), then the flags. `today` (days since
/// the epoch, UTC) decides which ignores have already expired.
///
/// Files and flags merge one way: toward the stricter gate. Denied kinds add up; of
/// several thresholds, database ages or scopes the strictest applies; targets add up;
/// `exclude-dev` holds only when no file says otherwise; ignores add up, and for one
/// advisory the earliest `until` bounds them all.
pub fn load(root: &Path, flags: &Overrides, today: i64) -> Result<Policy, PolicyError> {
    use crate::input::policy_import;
    let mut warnings = Vec::new();
    let mut layers: Vec<(PathBuf, FilePolicy)> = Vec::new();
    let own = match &flags.config {
        Some(p) => Some((p.clone(), read_policy_file(p)?)),
        None if flags.skip_workspace_files => None,
        None => {
            let p = root.join(FILE_NAME);
            read_optional(&p)?.map(|t| (p, t))
        }
    };
    if let Some((p, text)) = own {
        let f = parse(&text, &p)?;
        layers.push((p, f));
    }
    if let Some(p) = &flags.extra {
        let text = read_policy_file(p)?;
        let f = parse(&text, p)?;
        layers.push((p.clone(), f));
    }
    let audit_toml = root.join(".cargo").join("audit.toml");
    let deny_toml = root.join("deny.toml");
    if !flags.skip_workspace_files {
        if let Some(t) = read_optional(&audit_toml)? {
            let f = policy_import::cargo_audit(&t, &audit_toml, &mut warnings)?;
            layers.push((audit_toml, f));
        }
        if let Some(t) = read_optional(&deny_toml)? {
            let f = policy_import::cargo_deny(&t, &deny_toml, &mut warnings)?;
            layers.push((deny_toml, f));
        }
    }
    let files: Vec<PathBuf> = layers.iter().map(|(p, _)| p.clone()).collect();
    let files_where = |has: &dyn Fn(&FilePolicy) -> bool| Source {
        files: layers
            .iter()
            .filter(|(_, f)| has(f))
            .map(|(p, _)| p.clone())
            .collect(),
        flag: None,
    };

    let mut ignores: Vec<IgnoreRule> = layers
        .iter()
        .flat_map(|(_, f)| f.ignores.iter().cloned())
        .collect();
    ignores.extend(flag_ignores(&flags.ignore)?);
    let (vex_rules, vex_warnings) = super::vex::load(&flags.vex)?;
    ignores.extend(vex_rules);
    warnings.extend(vex_warnings);
    strictest_dates(&mut ignores, &mut warnings);
    for r in &ignores {
        if r.expired(today) {
            warnings.push(format!(
                "ignore for {} ({}) expired on {}: it no longer applies",
                r.label(),
                r.origin,
                r.until.as_deref().unwrap_or("?")
            ));
        }
    }

    // Denied kinds: every file's and the flags' together.
    let mut deny = Setting::default_of(DenyList {
        kinds: vec![FindingKind::Vulnerability],
        stale_ignores: false,
    });
    deny.source = files_where(&|f| f.deny.is_some());
    for d in layers.iter().filter_map(|(_, f)| f.deny.as_ref()) {
        merge_deny(&mut deny.value, d);
    }
    if !flags.deny.is_empty() {
        let f = deny_list(&flags.deny).map_err(|m| PolicyError::Flag(format!("--deny: {m}")))?;
        merge_deny(&mut deny.value, &f);
        deny.source.flag = Some("--deny");
    }

    let flag_threshold = match &flags.severity_threshold {
        Some(s) => Some(
            parse_threshold(s)
                .map_err(|m| PolicyError::Flag(format!("--severity-threshold: {m}")))?,
        ),
        None => None,
    };
    let severity_threshold = strictest(
        &layers,
        |f| f.severity_threshold,
        flag_threshold.map(|t| (t, "--severity-threshold")),
        &mut warnings,
        "severity threshold",
        |s| s.as_str().to_string(),
    );
    let max_db_age_days = strictest(
        &layers,
        |f| f.max_db_age_days,
        flags.max_db_age.map(|d| (d, "--max-db-age")),
        &mut warnings,
        "database age limit",
        |d| format!("{d} days"),
    );

    // A boolean whose `strict` value wins when any file sets it.
    let either = |get: fn(&FilePolicy) -> Option<bool>, default: bool, strict: bool| {
        let set: Vec<bool> = layers.iter().filter_map(|(_, f)| get(f)).collect();
        if set.is_empty() {
            return Setting::default_of(default);
        }
        let value = if set.contains(&strict) {
            strict
        } else {
            !strict
        };
        Setting {
            value,
            source: files_where(&|f| get(f) == Some(value)),
        }
    };
    let fail_without_severity = either(|f| f.fail_without_severity, true, true);
    let exclude_dev = either(|f| f.exclude_dev, false, false);
    // The gate relaxes: it holds only when no file says `report`.
    let reachability_gate = either(|f| f.reachability_gate, false, false);
    if exclude_dev.value != layers.iter().any(|(_, f)| f.exclude_dev == Some(true)) {
        warnings.push(format!(
            "exclude-dev: {} sets it, {} does not; dev-only findings are kept",
            files_where(&|f| f.exclude_dev == Some(true)),
            exclude_dev.source
        ));
    }
    let mut check_yanked = either(|f| f.check_yanked, true, true);
    if !check_yanked.value && deny.value.kinds.contains(&FindingKind::Yanked) {
        warnings.push(format!(
            "{} turns the yanked check off, but {} denies yanked crates: they are checked",
            check_yanked.source, deny.source
        ));
        check_yanked = Setting {
            value: true,
            source: deny.source.clone(),
        };
    }

    let mut direct_only: Setting<Vec<FindingKind>> = Setting::default_of(Vec::new());
    for kind in FindingKind::ALL {
        let said: Vec<Scope> = layers
            .iter()
            .flat_map(|(_, f)| f.scope.iter())
            .filter(|(k, _)| *k == kind)
            .map(|(_, s)| *s)
            .collect();
        if said.is_empty() {
            continue;
        }
        if said.contains(&Scope::All) {
            if said.contains(&Scope::Direct) {
                warnings.push(format!(
                    "scope of {}: one file says direct, another all; all applies",
                    kind.as_str()
                ));
            }
            continue;
        }
        direct_only.value.push(kind);
        for (p, f) in &layers {
            if f.scope.iter().any(|(k, _)| *k == kind) && !direct_only.source.files.contains(p) {
                direct_only.source.files.push(p.clone());
            }
        }
    }

    let targets = if !flags.target.is_empty()
        || !flags.target_os.is_empty()
        || !flags.target_arch.is_empty()
    {
        let mut t = Targets::default();
        for triple in &flags.target {
            add_triple(&mut t, triple).map_err(|m| PolicyError::Flag(format!("--target: {m}")))?;
        }
        for os in &flags.target_os {
            if os.parse::<rustsec::platforms::target::OS>().is_err() {
                return Err(PolicyError::Flag(format!(
                    "unknown --target-os value `{os}`"
                )));
            }
            push_unique(&mut t.os, os);
        }
        for arch in &flags.target_arch {
            if arch.parse::<rustsec::platforms::target::Arch>().is_err() {
                return Err(PolicyError::Flag(format!(
                    "unknown --target-arch value `{arch}`"
                )));
            }
            push_unique(&mut t.arch, arch);
        }
        let flag = if !flags.target.is_empty() {
            "--target"
        } else if !flags.target_os.is_empty() {
            "--target-os"
        } else {
            "--target-arch"
        };
        Setting {
            value: t,
            source: Source::flag(flag),
        }
    } else {
        // Files' targets add up: an advisory for any platform one of them names applies.
        let mut t = Targets::default();
        for ft in layers.iter().filter_map(|(_, f)| f.targets.as_ref()) {
            for x in &ft.triples {
                push_unique(&mut t.triples, x);
            }
            for x in &ft.os {
                push_unique(&mut t.os, x);
            }
            for x in &ft.arch {
                push_unique(&mut t.arch, x);
            }
        }
        Setting {
            value: t,
            source: files_where(&|f| f.targets.is_some()),
        }
    };
    Ok(Policy {
        ignores,
        deny,
        severity_threshold,
        fail_without_severity,
        exclude_dev,
        max_db_age_days,
        targets,
        direct_only,
        check_yanked,
        reachability_gate,
        files,
        warnings,
    })
}

fn merge_deny(into: &mut DenyList, more: &DenyList) {
    for k in &more.kinds {
        if !into.kinds.contains(k) {
            into.kinds.push(*k);
        }
    }
    into.kinds.sort();
    into.stale_ignores |= more.stale_ignores;
}

/// The smallest of the files' values and the flag's (the strictest, for a severity
/// threshold or a database age), with where it came from. A flag looser than a file is
/// a warning: flags only tighten.
fn strictest<T: Copy + Ord>(
    layers: &[(PathBuf, FilePolicy)],
    get: impl Fn(&FilePolicy) -> Option<T>,
    flag: Option<(T, &'static str)>,
    warnings: &mut Vec<String>,
    what: &str,
    show: impl Fn(T) -> String,
) -> Setting<Option<T>> {
    let from_files = layers
        .iter()
        .filter_map(|(p, f)| get(f).map(|v| (v, p)))
        .min_by_key(|(v, _)| *v);
    let mut distinct: Vec<T> = layers.iter().filter_map(|(_, f)| get(f)).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() > 1
        && let Some((v, p)) = from_files
    {
        warnings.push(format!(
            "policy files disagree on the {what}: the strictest, {}, from {}, applies",
            show(v),
            p.display()
        ));
    }
    match (flag, from_files) {
        (Some((f, _)), Some((v, p))) if v < f => {
            warnings.push(format!(
                "the flag's {what} ({}) is looser than {}'s ({}): the stricter one applies",
                show(f),
                p.display(),
                show(v)
            ));
            Setting {
                value: Some(v),
                source: Source::file(p),
            }
        }
        (Some((f, name)), _) => Setting {
            value: Some(f),
            source: Source::flag(name),
        },
        (None, Some((v, p))) => Setting {
            value: Some(v),
            source: Source::file(p),
        },
        (None, None) => Setting::default_of(None),
    }
}

/// Where several sources ignore the same advisory, the strictest entry wins: one with an
/// expiry date bounds every other (the earliest date applies to all), so an ignore that
/// expired in one file is not revived by an undated one in another. Each conflict is a
/// warning (and `policy` lists it).
fn strictest_dates(ignores: &mut [IgnoreRule], warnings: &mut Vec<String>) {
    let mut earliest: std::collections::BTreeMap<String, (String, String)> = Default::default();
    for r in ignores.iter() {
        if let Some(u) = &r.until {
            let e = earliest
                .entry(r.id.clone())
                .or_insert_with(|| (u.clone(), r.origin.clone()));
            if *u < e.0 {
                *e = (u.clone(), r.origin.clone());
            }
        }
    }
    for r in ignores.iter_mut() {
        let Some((date, origin)) = earliest.get(&r.id) else {
            continue;
        };
        if r.until.as_deref() != Some(date.as_str()) {
            warnings.push(format!(
                "conflicting ignores for {}: {} says {}, {} says until {date}; the strictest applies (until {date})",
                r.id,
                r.origin,
                r.until
                    .as_deref()
                    .map_or_else(|| "no end date".to_string(), |u| format!("until {u}")),
                origin
            ));
            r.until = Some(date.clone());
        }
    }
}

/// Warnings for ignore rules whose id is neither an advisory id nor an alias in `db`.
pub fn unknown_ignores(ignores: &[IgnoreRule], db: &Database) -> Vec<String> {
    let mut missing: Vec<&IgnoreRule> = ignores
        .iter()
        .filter(|r| !r.id.is_empty() && db.get(&r.id).is_none())
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    let aliases: HashSet<&str> = db
        .all()
        .into_iter()
        .flat_map(|a| a.aliases.iter().map(String::as_str))
        .collect();
    missing.retain(|r| !aliases.contains(r.id.as_str()));
    missing
        .into_iter()
        .map(|r| {
            format!(
                "ignore for {} ({}) names no advisory in the database",
                r.id, r.origin
            )
        })
        .collect()
}

fn toml_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", items.join(", "))
}

/// The effective policy as TOML, each setting followed by where it came from.
pub fn describe(p: &Policy) -> String {
    let mut out = String::new();
    for w in &p.warnings {
        out.push_str(&format!("# warning: {w}\n"));
    }
    if p.files.is_empty() {
        out.push_str("# policy files: none (defaults and flags only)\n");
    } else {
        let names: Vec<String> = p.files.iter().map(|f| f.display().to_string()).collect();
        out.push_str(&format!("# policy files: {}\n", names.join(", ")));
    }
    let mut deny: Vec<String> = p
        .deny
        .value
        .kinds
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    if p.deny.value.stale_ignores {
        deny.push("stale-ignores".into());
    }
    out.push_str(&format!(
        "deny = {}  # {}\n",
        toml_list(&deny),
        p.deny.source
    ));
    match p.severity_threshold.value {
        Some(s) => out.push_str(&format!(
            "severity-threshold = \"{}\"  # {}\n",
            s.as_str(),
            p.severity_threshold.source
        )),
        None => {
            out.push_str("# severity-threshold: not set, every denied finding fails  # default\n")
        }
    }
    out.push_str(&format!(
        "fail-without-severity = {}  # {}\n",
        p.fail_without_severity.value, p.fail_without_severity.source
    ));
    out.push_str(&format!(
        "exclude-dev = {}  # {}\n",
        p.exclude_dev.value, p.exclude_dev.source
    ));
    match p.max_db_age_days.value {
        Some(d) => out.push_str(&format!(
            "max-db-age-days = {d}  # {}\n",
            p.max_db_age_days.source
        )),
        None => {
            out.push_str("# max-db-age-days: not set, any database age is accepted  # default\n")
        }
    }
    let t = &p.targets.value;
    if t.triples.is_empty() && t.os.is_empty() && t.arch.is_empty() {
        out.push_str("target = []  # default: advisories for every platform apply\n");
    } else {
        out.push_str(&format!(
            "target = {}  # {}: target_os {}, target_arch {}\n",
            toml_list(&t.triples),
            p.targets.source,
            toml_list(&t.os),
            toml_list(&t.arch)
        ));
    }
    if p.reachability_gate.value {
        out.push_str(&format!(
            "reachability = \"gate\"  # {}\n",
            p.reachability_gate.source
        ));
    }
    if !p.check_yanked.value {
        out.push_str(&format!(
            "# yanked check: off  # {}\n",
            p.check_yanked.source
        ));
    }
    if !p.direct_only.value.is_empty() {
        out.push_str(&format!("\n[scope]  # {}\n", p.direct_only.source));
        for k in &p.direct_only.value {
            out.push_str(&format!("{} = \"direct\"\n", k.as_str()));
        }
    }
    for r in &p.ignores {
        out.push_str(&format!("\n[[ignore]]  # {}\n", r.origin));
        match r.kind {
            Some(kind) if r.id.is_empty() => out.push_str(&format!("kind = {:?}\n", kind.as_str())),
            _ => out.push_str(&format!("id = {:?}\n", r.id)),
        }
        if let Some(reason) = &r.reason {
            out.push_str(&format!("reason = {reason:?}\n"));
        }
        if let Some(u) = &r.until {
            out.push_str(&format!("until = {u:?}\n"));
        }
        if let Some(c) = &r.krate {
            out.push_str(&format!("crate = {c:?}\n"));
        }
        if let Some(v) = &r.version {
            out.push_str(&format!("version = \"{v}\"\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<FilePolicy, PolicyError> {
        parse(text, Path::new("depaudit.toml"))
    }

    /// The error's (line, key, message).
    fn err(text: &str) -> (usize, String, String) {
        match p(text) {
            Err(PolicyError::Invalid {
                line, key, message, ..
            }) => (line, key, message),
            other => panic!("expected an invalid-policy error, got {other:?}"),
        }
    }

    /// The kinds `FULL` denies.
    const FULL_DENY: [FindingKind; 3] = [
        FindingKind::Vulnerability,
        FindingKind::Unsound,
        FindingKind::Yanked,
    ];

    const FULL: &str = r#"
deny = ["unsound", "yanked", "stale-ignores"]
severity-threshold = "medium"
fail-without-severity = false
exclude-dev = true
max-db-age-days = 30
target = ["x86_64-unknown-linux-gnu", "aarch64-apple-darwin"]

[[ignore]]
id = "RUSTSEC-2020-0159"
reason = "chrono localtime_r: we never call it"
until = "2030-01-31"

[[ignore]]
id = "GHSA-wqxc-qrq4-w5v4"
reason = "scoped"
crate = "abi_stable"
version = "0.8.3"
until = 2029-12-01
"#;

    #[test]
    fn parses_every_key() {
        let f = p(FULL).unwrap();
        let deny = f.deny.unwrap();
        assert_eq!(
            deny.kinds,
            vec![
                FindingKind::Vulnerability,
                FindingKind::Unsound,
                FindingKind::Yanked
            ]
        );
        assert!(deny.stale_ignores);
        assert_eq!(f.severity_threshold, Some(Severity::Medium));
        assert_eq!(f.fail_without_severity, Some(false));
        assert_eq!(f.exclude_dev, Some(true));
        assert_eq!(f.max_db_age_days, Some(30));
        let t = f.targets.unwrap();
        assert_eq!(t.os, vec!["linux", "macos"]);
        assert_eq!(t.arch, vec!["x86_64", "aarch64"]);
        assert_eq!(f.ignores.len(), 2);
        assert_eq!(f.ignores[0].until.as_deref(), Some("2030-01-31"));
        assert_eq!(f.ignores[0].origin, "depaudit.toml");
        let scoped = &f.ignores[1];
        assert_eq!(
            scoped.until.as_deref(),
            Some("2029-12-01"),
            "TOML dates work"
        );
        assert_eq!(scoped.krate.as_deref(), Some("abi_stable"));
        let req = scoped.version.as_ref().unwrap();
        assert!(req.matches(&semver::Version::new(0, 8, 3)));
        assert!(
            !req.matches(&semver::Version::new(0, 8, 4)),
            "a bare version is exact"
        );
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let (line, key, msg) = err(
            "deny = []\n\n[[ignore]]\nid = \"RUSTSEC-2020-0001\"\nreason = \"x\"\nuntill = \"2020-01-01\"\n",
        );
        assert_eq!(line, 6);
        assert_eq!(key, "ignore.untill");
        assert!(msg.contains("unknown field"), "{msg}");
        let (line, key, _) = err("deny = []\nseverity = \"high\"\n");
        assert_eq!((line, key.as_str()), (2, "severity"));
        let e = p("\n\nbogus = 1\n").unwrap_err().to_string();
        assert!(
            e.starts_with("depaudit.toml:3: bogus: unknown field `bogus`"),
            "{e}"
        );
    }

    #[test]
    fn wrong_type_and_not_toml_are_errors_with_lines() {
        let (line, key, _) = err("deny = []\nmax-db-age-days = \"30\"\n");
        assert_eq!((line, key.as_str()), (2, "max-db-age-days"));
        let (line, key, _) = err("exclude-dev = true\ndeny = \"yanked\"\n");
        assert_eq!((line, key.as_str()), (2, "deny"));
        let (line, _, _) = err("deny = [\n\"yanked\",\n[[ignore\n");
        assert!(line >= 3, "syntax error line {line}");
    }

    #[test]
    fn ignore_entries_are_validated() {
        let entry = |body: &str| format!("# header\n[[ignore]]\n{body}\n");
        let (line, key, msg) = err(&entry("id = \"RUSTSEC-20-1\"\nreason = \"x\""));
        assert_eq!((line, key.as_str()), (3, "ignore.id"));
        assert!(msg.contains("not an advisory id"));
        let (line, key, _) = err(&entry(
            "id = \"CVE-2021-1234\"\nreason = \"x\"\nuntil = \"2021-02-30\"",
        ));
        assert_eq!((line, key.as_str()), (5, "ignore.until"));
        let (line, key, _) = err(&entry(
            "id = \"CVE-2021-1234\"\nreason = \"x\"\nuntil = \"31/01/2021\"",
        ));
        assert_eq!((line, key.as_str()), (5, "ignore.until"));
        let (line, key, _) = err(&entry("id = \"CVE-2021-1234\"\nreason = \"  \""));
        assert_eq!((line, key.as_str()), (4, "ignore.reason"));
        let (_, key, msg) = err(&entry("id = \"CVE-2021-1234\""));
        assert_eq!(key, "ignore.reason");
        assert!(msg.contains("needs a `reason`"));
        let (line, key, _) = err(&entry(
            "id = \"CVE-2021-1234\"\nreason = \"x\"\nversion = \"not a version\"",
        ));
        assert_eq!((line, key.as_str()), (5, "ignore.version"));
    }

    #[test]
    fn bad_values_are_errors() {
        assert_eq!(err("\ndeny = [\"vulnerability\", \"typo\"]").1, "deny");
        assert_eq!(
            err("severity-threshold = \"severe\"").1,
            "severity-threshold"
        );
        assert_eq!(err("severity-threshold = \"none\"").1, "severity-threshold");
        let (line, key, msg) = err("\ntarget = [\"x86_64-unknown-linux-gnu\", \"mars-os\"]");
        assert_eq!((line, key.as_str()), (2, "target"));
        assert!(msg.contains("mars-os"));
    }

    #[test]
    fn ids() {
        for ok in [
            "RUSTSEC-2020-0159",
            "CVE-2021-1234",
            "CVE-2021-1234567",
            "GHSA-wqxc-qrq4-w5v4",
        ] {
            assert!(valid_id(ok), "{ok}");
        }
        for bad in [
            "",
            "RUSTSEC-2020-159",
            "rustsec-2020-0159",
            "CVE-21-1234",
            "GHSA-WQXC-qrq4-w5v4",
            "GHSA-wqxc-qrq4",
            "chrono",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn load_merges_files_and_flags_with_sources() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), FULL).unwrap();
        std::fs::create_dir(dir.path().join(".cargo")).unwrap();
        std::fs::write(
            dir.path().join(".cargo/audit.toml"),
            "[advisories]\nignore = [\"RUSTSEC-2021-0139\"]\n",
        )
        .unwrap();
        let today = advisories_cache::info::parse_date_days("2029-12-15").unwrap();
        let p = load(dir.path(), &Overrides::default(), today).unwrap();
        assert_eq!(p.files.len(), 2);
        assert_eq!(p.ignores.len(), 3);
        assert_eq!(p.severity_threshold.value, Some(Severity::Medium));
        assert_eq!(
            p.severity_threshold.source,
            Source::file(&dir.path().join(FILE_NAME))
        );
        assert_eq!(p.max_db_age_days.value, Some(30));
        // The scoped GHSA ignore ended on 2029-12-01: warned about at load.
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("GHSA-wqxc-qrq4-w5v4") && w.contains("expired on 2029-12-01")),
            "{:?}",
            p.warnings
        );
        assert!(
            p.exclude_dev.value,
            "exclude-dev is read (and applied by the audit)"
        );

        let flags = Overrides {
            deny: vec!["notice".into()],
            severity_threshold: Some("critical".into()),
            max_db_age: Some(3),
            target: vec!["x86_64-pc-windows-msvc".into()],
            ignore: vec!["CVE-2022-0001".into()],
            ..Overrides::default()
        };
        let p = load(dir.path(), &flags, today).unwrap();
        // Flags only tighten: --deny adds notice to the file's list, the file's medium
        // threshold is stricter than --severity-threshold critical, and --max-db-age 3
        // is stricter than the file's 30.
        let mut want = FULL_DENY.to_vec();
        want.push(FindingKind::Notice);
        want.sort();
        want.dedup();
        assert_eq!(p.deny.value.kinds, want);
        assert!(p.deny.value.stale_ignores, "the file's stale-ignores stays");
        assert_eq!(p.deny.source.flag, Some("--deny"));
        assert_eq!(p.deny.source.files, [dir.path().join(FILE_NAME)]);
        assert_eq!(p.severity_threshold.value, Some(Severity::Medium));
        assert!(
            p.warnings.iter().any(|w| w.contains("looser")),
            "{:?}",
            p.warnings
        );
        assert_eq!(p.max_db_age_days.value, Some(3));
        assert_eq!(p.targets.value.os, vec!["windows"]);
        assert_eq!(p.ignores.len(), 4, "--ignore adds to the files' ignores");
        assert_eq!(p.ignores[3].origin, "--ignore");
        let text = describe(&p);
        assert!(text.contains("+ flag --deny"), "{text}");
        assert!(text.contains("fail-without-severity = false  # "), "{text}");
        assert!(text.contains("[[ignore]]  # --ignore"), "{text}");

        let bad = Overrides {
            ignore: vec!["nope".into()],
            ..Overrides::default()
        };
        assert!(matches!(
            load(dir.path(), &bad, today),
            Err(PolicyError::Flag(_))
        ));
    }

    #[test]
    fn missing_default_file_means_defaults_but_missing_config_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = load(dir.path(), &Overrides::default(), 0).unwrap();
        assert!(p.files.is_empty());
        assert_eq!(p.deny.value.kinds, vec![FindingKind::Vulnerability]);
        assert!(p.deny.source.is_default());
        assert!(p.fail_without_severity.value);
        let flags = Overrides {
            config: Some(dir.path().join("nope.toml")),
            ..Overrides::default()
        };
        assert!(matches!(
            load(dir.path(), &flags, 0),
            Err(PolicyError::Io { .. })
        ));
    }
}
