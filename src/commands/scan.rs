//! `scan`: audit every `Cargo.lock` under some folders in one run — the database loaded
//! once, lockfiles audited in parallel, strictly lockfile-only (nothing from the scanned
//! repositories is ever run). Discovery never follows symlinks, skips `target/`, `vendor/`
//! and hidden folders unless asked, and only reads regular files, so FIFOs, devices and
//! link loops named `Cargo.lock` cannot hang it. One bad lockfile is an error entry,
//! never the end of the scan. With a baseline (a previous scan's JSON Lines) each finding
//! is `new` or `unchanged`, and findings that disappeared are listed as `fixed`.

use crate::audit::findings::{AuditReport, Finding};
use crate::audit::{self, AuditOptions};
use crate::cli::ScanFormat;
use crate::input::{lockfile, policy};
use crate::pathtext;
use advisories_cache::Database;
use hashbrown::HashSet;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Discovery options.
#[derive(Clone, Debug, Default)]
pub struct Discover {
    /// Also descend into hidden folders, `target/` and `vendor/`.
    pub all_dirs: bool,
    /// Find compiled binaries (by their first bytes, whatever their name) instead of
    /// lockfiles; every folder is descended.
    pub binaries: bool,
}

/// A lockfile a scan found, and its identity across scans: its path relative to the scan
/// root, the same however the root was spelled (`fleet`, `/abs/fleet`, `.` inside it).
/// With several roots, each root's folder name comes first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// The lockfile, as found (the root joined with the walk); for a lockfile in git,
    /// `REPO@REF:PATH`.
    pub path: PathBuf,
    /// Its key in baselines.
    pub key: String,
    /// Where it is in a git repository, when it was read from one (`scan --git`).
    pub git: Option<Box<GitSource>>,
}

/// A lockfile in a git repository's object database.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct GitSource {
    /// The repository, as given.
    pub repository: String,
    /// The ref's full name (or `HEAD`).
    #[serde(rename = "ref")]
    pub refname: String,
    /// Its commit.
    pub commit: String,
    /// The lockfile's path in the tree.
    pub lockfile: String,
    /// The lockfile's blob.
    #[serde(skip)]
    pub blob: gix::ObjectId,
    /// Which of the scan's repositories holds it.
    #[serde(skip)]
    pub repo: usize,
}

/// What a scan found to audit.
#[derive(Default)]
pub struct Discovered {
    /// The lockfiles, sorted.
    pub lockfiles: Vec<Found>,
    /// The folders, repositories or refs that could not be read.
    pub errors: Vec<(PathBuf, String)>,
    /// The repositories the lockfiles read from git are in ([`load`]).
    pub repos: Vec<crate::input::git::Shared>,
}

/// Finds lockfiles under `roots` (a root that is a file is taken as is), and the
/// folders that could not be read.
pub fn discover(roots: &[PathBuf], opts: &Discover) -> Discovered {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let several = roots.len() > 1;
    for root in roots {
        let mut here = Vec::new();
        match std::fs::symlink_metadata(root) {
            Ok(m) if m.is_file() => here.push(root.clone()),
            Ok(m) if m.is_dir() => walk(root, opts, &mut here, &mut errors),
            Ok(_) => errors.push((root.clone(), "not a regular file or folder".into())),
            Err(e) => errors.push((root.clone(), e.to_string())),
        }
        let name = several.then(|| root_name(root));
        found.extend(here.into_iter().map(|path| {
            let rel = match path.strip_prefix(root) {
                Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
                _ => PathBuf::from(path.file_name().unwrap_or_default()),
            };
            let rel: Vec<String> = rel
                .components()
                .map(|c| pathtext::display(Path::new(c.as_os_str())))
                .collect();
            let key = match &name {
                Some(n) => format!("{n}/{}", rel.join("/")),
                None => rel.join("/"),
            };
            Found {
                path,
                key,
                git: None,
            }
        }));
    }
    found.sort();
    found.dedup_by(|a, b| a.path == b.path);
    errors.sort();
    Discovered {
        lockfiles: found,
        errors,
        repos: Vec::new(),
    }
}

/// Finds the lockfiles in the tree of each repository's `HEAD`, or of each ref matching
/// `refs` (`refs/heads/*`), straight from the object database. A repository or ref that
/// cannot be read is an error entry and the scan goes on.
pub fn discover_git(repos: &[PathBuf], refs: Option<&str>, opts: &Discover) -> Discovered {
    use crate::input::git::{Repo, Skip};
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut shared = Vec::new();
    let skip = Skip {
        all_dirs: opts.all_dirs,
    };
    for path in repos {
        let repo = match Repo::open(path) {
            Ok(r) => r,
            Err(e) => {
                errors.push((path.clone(), e));
                continue;
            }
        };
        let heads = match refs {
            None => repo.resolve(None).map(|h| vec![h]),
            Some(pattern) => repo.refs_matching(pattern),
        };
        let heads = match heads {
            Ok(h) => h,
            Err(e) => {
                errors.push((path.clone(), e));
                continue;
            }
        };
        let index = shared.len();
        shared.push(repo.shared());
        let shown = pathtext::display(path);
        let name = root_name(path);
        for (refname, commit) in heads {
            match repo.lockfiles_at(commit, skip) {
                Ok(locks) => found.extend(locks.into_iter().map(|(lockfile, blob)| Found {
                    path: PathBuf::from(format!("{shown}@{refname}:{lockfile}")),
                    key: format!("{name}@{refname}:{lockfile}"),
                    git: Some(Box::new(GitSource {
                        repository: shown.clone(),
                        refname: refname.clone(),
                        commit: commit.to_string(),
                        lockfile,
                        blob,
                        repo: index,
                    })),
                })),
                Err(e) => errors.push((PathBuf::from(format!("{shown}@{refname}")), e)),
            }
        }
    }
    found.sort();
    errors.sort();
    Discovered {
        lockfiles: found,
        errors,
        repos: shared,
    }
}

/// Reads a found lockfile: from disk, or from its repository's object database.
pub fn load(
    found: &Found,
    repos: &[crate::input::git::Shared],
) -> Result<lockfile::Lockfile, String> {
    match &found.git {
        None => lockfile::load(&found.path).map_err(|e| advisories_cache::load::one_line(&e)),
        Some(g) => {
            let bytes = repos
                .get(g.repo)
                .ok_or_else(|| "repository not open".to_string())?
                .read_lockfile(g.blob)?;
            lockfile::parse_bytes(&bytes).map_err(|reason| {
                format!(
                    "{} is not a valid Cargo.lock: {reason}",
                    pathtext::display(&found.path)
                )
            })
        }
    }
}

/// A root's folder name, read off its canonical path (so `.` has one).
fn root_name(root: &Path) -> String {
    std::fs::canonicalize(root)
        .ok()
        .and_then(|p| p.file_name().map(|n| pathtext::display(Path::new(n))))
        .unwrap_or_else(|| pathtext::display(root))
}

/// The scan's roots as canonical paths: what a baseline records, so that one written for
/// another root is refused rather than matching nothing.
pub fn root_identity(roots: &[PathBuf]) -> Vec<String> {
    roots
        .iter()
        .map(|r| {
            std::fs::canonicalize(r)
                .map(|p| pathtext::display(&p))
                .unwrap_or_else(|_| pathtext::display(r))
        })
        .collect()
}

fn walk(
    root: &Path,
    opts: &Discover,
    found: &mut Vec<PathBuf>,
    errors: &mut Vec<(PathBuf, String)>,
) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                errors.push((dir, e.to_string()));
                continue;
            }
        };
        for entry in entries.flatten() {
            let Ok(ft) = entry.file_type() else { continue };
            let name = entry.file_name();
            if ft.is_dir() {
                let n = name.to_string_lossy();
                let skipped = n.starts_with('.') || n == "target" || n == "vendor";
                if opts.all_dirs || opts.binaries || !skipped {
                    stack.push(entry.path());
                }
            } else if ft.is_file() && opts.binaries {
                // Only the first bytes of a file are read to tell whether it is one.
                let path = entry.path();
                match crate::input::binary::sniff_file(&path) {
                    Ok(Some(_)) => found.push(path),
                    Ok(None) => {}
                    Err(e) => errors.push((path, e.to_string())),
                }
            } else if ft.is_file() && name == "Cargo.lock" {
                found.push(entry.path());
            }
            // symlinks, FIFOs, sockets and devices are never followed or read
        }
    }
}

/// One lockfile's result.
#[derive(Debug)]
pub struct Entry {
    /// The lockfile.
    pub path: PathBuf,
    /// Its key in baselines ([`Found::key`]).
    pub key: String,
    /// Where it is in git, when it was read from there.
    pub git: Option<Box<GitSource>>,
    /// The audit, or the one-line error.
    pub result: Result<AuditReport, String>,
}

/// Each lockfile's audit options, or why there are none (a repository policy file that
/// cannot be read is that lockfile's error, not the scan's end).
pub type OptionsFor<'o> = dyn Fn(&Found) -> Result<Cow<'o, AuditOptions>, String> + Sync + 'o;

/// One found file's audit (a lockfile's, a binary's), or its one-line error.
pub type AuditOne<'o> = dyn Fn(&Found) -> Result<AuditReport, String> + Sync + 'o;

/// A lockfile's audit with its options (see [`Policies::options`]).
pub fn audit_lockfile(
    db: &Database,
    found: &Found,
    repos: &[crate::input::git::Shared],
    opts_for: &OptionsFor<'_>,
) -> Result<AuditReport, String> {
    let path = &found.path;
    opts_for(found).and_then(|opts| {
        load(found, repos).map(|lock| audit::audit(db, &lock, path, &opts, Vec::new()))
    })
}

/// A binary's audit with the fleet's options (a binary has no policy files beside it).
pub fn audit_binary(
    db: &Database,
    found: &Found,
    opts: &AuditOptions,
) -> Result<AuditReport, String> {
    crate::input::binary::load(&found.path)
        .map(|b| crate::commands::bin::audit_binary(db, &b, &found.path, opts, None))
        .map_err(|e| advisories_cache::load::one_line(&e))
}

/// Audits `lockfiles` (or binaries) with `jobs` threads, each with `audit_one`, and
/// hands each result to `then` in the thread that audited it (so the report can be
/// turned into something small right away), then to `in_order` in the input order, as
/// soon as every earlier one has been (so output can be streamed instead of held);
/// results keep the input order.
pub fn audit_each<'o, T: Send>(
    lockfiles: &[Found],
    audit_one: &AuditOne<'o>,
    jobs: usize,
    progress: &(dyn Fn(usize) + Sync),
    then: &(dyn Fn(Entry) -> T + Sync),
    in_order: &(dyn Fn(&mut T) + Sync),
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<T>>> = lockfiles.iter().map(|_| Mutex::new(None)).collect();
    // The first result not yet handed to `in_order`; whoever holds it hands on the run
    // of finished results that starts there.
    let cursor = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(lockfiles.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(found) = lockfiles.get(i) else { break };
                    let result = audit_one(found);
                    let out = then(Entry {
                        path: found.path.clone(),
                        key: found.key.clone(),
                        git: found.git.clone(),
                        result,
                    });
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(out);
                    }
                    let mut first = cursor.lock().unwrap_or_else(|e| e.into_inner());
                    while let Some(slot) = slots.get(*first) {
                        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
                        let Some(item) = slot.as_mut() else { break };
                        in_order(item);
                        *first += 1;
                    }
                    drop(first);
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                }
            });
        }
    });
    slots
        .into_iter()
        .filter_map(|m| m.into_inner().ok().flatten())
        .collect()
}

/// Does `ids` name the advisory `id` (or one of its aliases)?
fn names_any(ids: &[String], id: &str, aliases: &[String]) -> bool {
    ids.iter().any(|i| i == id || aliases.contains(i))
}

/// The scan regrouped by advisory: for each, the lockfiles, crates and versions it hits
/// and the fix for each, from the same per-lockfile lines (so the two views always
/// agree). Advisories sort by id; hits by lockfile.
pub fn by_advisory(result: &ScanOutput) -> Vec<Value> {
    let mut groups: BTreeMap<String, (Value, Vec<Value>)> = BTreeMap::new();
    for l in &result.lines {
        for f in l["findings"].as_array().into_iter().flatten() {
            let a = &f["advisory"];
            let Some(id) = a["id"].as_str() else { continue };
            let mut hit = json!({
                "path": l["path"],
                "key": l["key"],
                "crate": f["package"]["name"],
                "version": f["package"]["version"],
                "ignored": f["ignored"],
                "fix": f["remediation"]["command"],
            });
            if !l["git"].is_null() {
                hit["git"] = l["git"].clone();
            }
            if !f["status"].is_null() {
                hit["status"] = f["status"].clone();
            }
            let e = groups
                .entry(id.to_string())
                .or_insert_with(|| (json!({"advisory": a, "kind": f["kind"]}), Vec::new()));
            e.1.push(hit);
        }
    }
    groups
        .into_values()
        .map(|(mut head, hits)| {
            let lockfiles: BTreeSet<&str> = hits.iter().filter_map(|h| h["key"].as_str()).collect();
            let live = hits.iter().filter(|h| h["ignored"] == false).count();
            head["type"] = json!("advisory");
            head["lockfiles"] = json!(lockfiles.len());
            head["hits"] = json!(hits.len());
            head["live"] = json!(live);
            head["found_in"] = json!(hits);
            head
        })
        .collect()
}

/// Renders the by-advisory view in `format`.
pub fn render_by_advisory(result: &ScanOutput, format: ScanFormat) -> String {
    let groups = by_advisory(result);
    match format {
        ScanFormat::Jsonl => {
            let mut t = String::new();
            for v in groups.iter().chain(std::iter::once(&result.summary)) {
                t.push_str(&serde_json::to_string(v).unwrap_or_default());
                t.push('\n');
            }
            t
        }
        ScanFormat::Json => {
            let mut t = serde_json::to_string_pretty(&json!({
                "advisories": groups,
                "summary": result.summary,
            }))
            .unwrap_or_default();
            t.push('\n');
            t
        }
        ScanFormat::Table | ScanFormat::Markdown => {
            let md = format == ScanFormat::Markdown;
            let mut rows = Vec::new();
            for g in &groups {
                let a = &g["advisory"];
                let title = format!(
                    "{} ({}{})",
                    a["id"].as_str().unwrap_or_default(),
                    g["kind"].as_str().unwrap_or_default(),
                    a["severity"]
                        .as_str()
                        .map(|s| format!(", {s}"))
                        .unwrap_or_default()
                );
                for h in g["found_in"].as_array().into_iter().flatten() {
                    let mut fix = h["fix"].as_str().unwrap_or("no fix published").to_string();
                    if h["ignored"] == true {
                        fix = format!("(ignored) {fix}");
                    }
                    rows.push(vec![
                        title.clone(),
                        h["crate"].as_str().unwrap_or_default().to_string(),
                        pathtext::for_text(h["path"].as_str().unwrap_or_default()),
                        h["version"].as_str().unwrap_or_default().to_string(),
                        fix,
                    ]);
                }
            }
            let mut out = String::new();
            if md {
                out.push_str("### cargo-depaudit scan, by advisory\n\n");
            }
            out.push_str(&crate::report::grid(
                &["Advisory", "Crate", "Lockfile", "Version", "Fix"],
                rows,
                md,
            ));
            out
        }
    }
}

/// How a scan chooses each lockfile's options: the fleet's (flags and `--config`), merged
/// with the repository's own policy files beside the lockfile unless `--no-repo-policy`.
/// Both merge toward the stricter gate (see [`policy::load`]): a fleet file can add
/// denied kinds and tighten thresholds but never drops a repository's, and the ignores
/// of both apply.
pub struct Policies {
    /// The fleet's options: every lockfile without policy files of its own gets these.
    pub base: AuditOptions,
    /// Whether the flags asked for the yanked check (a repository policy may turn it off
    /// only where they did not forbid it).
    pub base_yanked: bool,
    /// The overrides for a repository's own policy, or `None` with `--no-repo-policy`.
    pub repo: Option<policy::Overrides>,
    /// Today, for ignore expiry.
    pub today: i64,
    /// The database's age in days, against a repository's `max-db-age-days`.
    pub db_age: Option<i64>,
    /// Warnings from the repositories' policies, each once.
    pub warnings: Mutex<std::collections::BTreeSet<String>>,
}

/// The policy files a repository may hold beside its lockfile.
const REPO_POLICY_FILES: [&str; 3] = [policy::FILE_NAME, ".cargo/audit.toml", "deny.toml"];

impl Policies {
    /// The options for a found lockfile. A lockfile read from git gets the fleet's: the
    /// policy files in its tree are not read.
    pub fn options(&self, found: &Found) -> Result<Cow<'_, AuditOptions>, String> {
        let Some(overrides) = self.repo.as_ref().filter(|_| found.git.is_none()) else {
            return Ok(Cow::Borrowed(&self.base));
        };
        let root = found.path.parent().unwrap_or(Path::new(""));
        let mut any = false;
        for name in REPO_POLICY_FILES {
            let p = root.join(name);
            match std::fs::symlink_metadata(&p) {
                // The scan never leaves the tree: a policy file that is a link is not read.
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(format!(
                        "{}: a symbolic link; a scan does not follow links",
                        pathtext::display(&p)
                    ));
                }
                Ok(_) => any = true,
                Err(_) => {}
            }
        }
        if !any {
            return Ok(Cow::Borrowed(&self.base));
        }
        let p = policy::load(root, overrides, self.today).map_err(|e| e.to_string())?;
        if !p.warnings.is_empty() {
            let mut w = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
            w.extend(p.warnings.iter().cloned());
        }
        if let (Some(max), Some(age)) = (p.max_db_age_days.value, self.db_age)
            && age > i64::from(max)
        {
            return Err(format!(
                "the advisory database is {age} days old; the policy ({}) allows {max}",
                p.max_db_age_days.source
            ));
        }
        let mut o = self.base.clone();
        o.check_yanked = self.base_yanked;
        o.exclude_dev = false;
        o.apply_policy(&p);
        Ok(Cow::Owned(o))
    }

    /// The repositories' policy warnings, sorted, each once.
    pub fn warnings(&self) -> Vec<String> {
        let w = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        w.iter().cloned().collect()
    }
}

/// A finding's identity across scans.
pub fn finding_key(lockfile: &str, f: &Finding) -> String {
    format!(
        "{lockfile}\u{1f}{}\u{1f}{}\u{1f}{}",
        f.id(),
        f.package.name,
        f.package.version
    )
}

/// A previous scan's findings and errors by key, and the roots it scanned.
#[derive(Debug, Default)]
pub struct Baseline {
    /// Finding keys ([`finding_key`]) and error keys, each with its line's value.
    pub keys: BTreeMap<String, Value>,
    /// The canonical roots of the scan that wrote it (absent in older baselines).
    pub roots: Option<Vec<String>>,
}

/// Reads a baseline file (a previous scan's JSON Lines).
pub fn read_baseline(path: &Path) -> Result<Baseline, String> {
    let bytes = lockfile::read_bounded(path).map_err(|e| advisories_cache::load::one_line(&e))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", path.display()))?;
    let mut keys = BTreeMap::new();
    let mut roots = None;
    let mut scan_lines = 0;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("{} line {}: not JSON: {e}", path.display(), n + 1))?;
        if v["type"] == "summary" {
            scan_lines += 1;
            roots = v["roots"].as_array().map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect()
            });
        }
        if v["type"] != "lockfile" && v["type"] != "binary" {
            continue;
        }
        scan_lines += 1;
        // Older baselines have no key: their path stands in.
        let lock = v["key"].as_str().or(v["path"].as_str()).unwrap_or_default();
        if !v["error"].is_null() {
            keys.insert(error_key(lock), v["error"].clone());
        }
        for f in v["findings"].as_array().into_iter().flatten() {
            let id = f["advisory"]["id"].as_str().unwrap_or("yanked");
            let key = format!(
                "{lock}\u{1f}{id}\u{1f}{}\u{1f}{}",
                f["package"]["name"].as_str().unwrap_or_default(),
                f["package"]["version"].as_str().unwrap_or_default()
            );
            keys.insert(key, f.clone());
        }
    }
    // An audit report, `{}` or an empty file is not an empty baseline: everything would
    // silently count as new.
    if scan_lines == 0 {
        return Err(format!(
            "{}: not a scan baseline (no lockfile or summary lines of `cargo depaudit scan --format jsonl`)",
            path.display()
        ));
    }
    Ok(Baseline { keys, roots })
}

/// A baseline's key for a lockfile that could not be read then. It sorts apart from the
/// findings' keys (`path\u{1f}…`), so it is never counted as a fixed finding.
fn error_key(path: &str) -> String {
    format!("\u{0}error\u{1f}{path}")
}

/// The outcome of a scan, ready to render.
#[derive(Debug)]
pub struct ScanOutput {
    /// One JSON object per lockfile (empty when the lines were kept as text).
    pub lines: Vec<Value>,
    /// One JSON Lines line per lockfile, when [`Lines::as_text`] asked for text.
    pub text_lines: Vec<String>,
    /// The closing summary object.
    pub summary: Value,
    /// Denied findings that count for `--fail-on`.
    pub failing: usize,
    /// Lockfiles that could not be audited.
    pub errors: usize,
    /// Of those, the ones that were readable in the baseline, or not in it (all of them
    /// without a baseline).
    pub new_errors: usize,
}

/// How audited lockfiles become report lines. It is shared (read-only) by the scan's
/// workers, so each line is built in the thread that audited the lockfile and the
/// report is dropped there: a scan holds one small line per lockfile, not its report.
#[derive(Debug, Clone, Copy)]
pub struct Lines<'a> {
    /// A previous scan's findings: mark new / unchanged / fixed.
    pub baseline: Option<&'a BTreeMap<String, Value>>,
    /// The scan's canonical roots, recorded in the summary.
    pub roots: &'a [String],
    /// `--advisory ID…`: only these advisories (ids or aliases).
    pub advisories: Option<&'a [String]>,
    /// Only new findings count as failing.
    pub fail_on_new_only: bool,
    /// Keep each line as JSON Lines text (for `--format jsonl`) instead of a value.
    pub as_text: bool,
    /// The scan is of binaries: lines are `"type": "binary"`.
    pub binaries: bool,
}

/// One lockfile's line, and its share of the summary.
#[derive(Debug)]
pub struct Line {
    /// The line as a value (unless kept as text).
    pub value: Option<Value>,
    /// The line as JSON Lines text (when asked for).
    pub text: Option<String>,
    tally: Tally,
}

/// What one upgrade (a crate to a target version) fixes.
#[derive(Debug, Default, Clone)]
struct FixTally {
    /// Findings it removes.
    findings: usize,
    /// Lockfiles it fixes something in.
    lockfiles: usize,
    /// The versions it starts from.
    from: BTreeSet<String>,
    /// The commands, one per starting point.
    commands: BTreeSet<String>,
    /// One `cargo update` step everywhere.
    runnable: bool,
    /// Every plan checked against index data.
    verified: bool,
}

/// A lockfile's contribution to the summary counts.
#[derive(Debug, Default)]
struct Tally {
    by_kind: BTreeMap<&'static str, usize>,
    by_severity: BTreeMap<&'static str, usize>,
    /// Upgrade (crate → target version) → what it fixes in this lockfile.
    fixes: BTreeMap<String, FixTally>,
    failing: usize,
    new: usize,
    fixed: usize,
    error: bool,
    new_error: bool,
    /// A binary whose package list is partial (or empty).
    incomplete: bool,
}

impl Lines<'_> {
    /// The line of one audited lockfile.
    pub fn line(&self, e: Entry) -> Line {
        let path = pathtext::display(&e.path);
        match &e.result {
            Err(msg) => self.error_line(&path, &e.key, e.git.as_deref(), msg),
            Ok(report) => self.report_line(&path, &e.key, e.git.as_deref(), report),
        }
    }

    fn error_line(&self, path: &str, key: &str, git: Option<&GitSource>, msg: &str) -> Line {
        let tally = Tally {
            error: true,
            new_error: self
                .baseline
                .is_none_or(|b| !b.contains_key(&error_key(key))),
            ..Tally::default()
        };
        let kind = if self.binaries { "binary" } else { "lockfile" };
        let mut value = json!({"type": kind, "path": path, "key": key, "packages": null, "findings": [], "error": msg});
        if let Some(g) = git {
            value["git"] = json!(g);
        }
        self.finish(value, tally)
    }

    fn finish(&self, value: Value, tally: Tally) -> Line {
        match self.as_text {
            true => Line {
                text: Some(serde_json::to_string(&value).unwrap_or_default()),
                value: None,
                tally,
            },
            false => Line {
                value: Some(value),
                text: None,
                tally,
            },
        }
    }

    fn report_line(
        &self,
        path: &str,
        lock_key: &str,
        git: Option<&GitSource>,
        report: &AuditReport,
    ) -> Line {
        let mut t = Tally::default();
        // `--advisory ID`: only those advisories' findings count and are shown.
        let kept: Vec<Finding>;
        let findings: &[Finding] = match self.advisories {
            Some(ids) => {
                kept = report
                    .findings
                    .iter()
                    .filter(|f| {
                        f.advisory
                            .as_deref()
                            .is_some_and(|a| names_any(ids, &a.id, &a.aliases))
                    })
                    .cloned()
                    .collect();
                &kept
            }
            None => &report.findings,
        };
        let mut statuses = Vec::with_capacity(findings.len());
        let mut seen_keys = HashSet::new();
        for f in findings {
            // The key is only needed against a baseline.
            let key = self.baseline.map(|_| finding_key(lock_key, f));
            let is_new = match (self.baseline, &key) {
                (Some(b), Some(key)) => !b.contains_key(key),
                _ => true,
            };
            if !f.ignored {
                *t.by_kind.entry(f.kind.as_str()).or_default() += 1;
                *t.by_severity
                    .entry(f.severity().map_or("unknown", |s| s.as_str()))
                    .or_default() += 1;
                if f.kind == crate::audit::findings::FindingKind::Vulnerability {
                    let r = f.remediation.as_ref();
                    let (label, command) =
                        match r.and_then(|r| r.command.clone().zip(r.target.clone())) {
                            Some((command, target)) => {
                                let label = match target.split_once(' ') {
                                    Some((name, version)) => format!("{name} → {version}"),
                                    None => target,
                                };
                                (label, Some(command))
                            }
                            None => (
                                format!("{}: no fix published ({})", f.package.name, f.id()),
                                None,
                            ),
                        };
                    let e = t.fixes.entry(label).or_insert_with(|| FixTally {
                        runnable: true,
                        verified: true,
                        ..FixTally::default()
                    });
                    e.findings += 1;
                    e.from.insert(f.package.version.clone());
                    e.runnable &= command.is_some() && r.is_some_and(|r| r.steps.len() == 1);
                    e.verified &= r.is_some_and(|r| r.verified);
                    e.commands.extend(command);
                }
            }
            if report.is_denied(f) && (!self.fail_on_new_only || is_new) {
                t.failing += 1;
            }
            if is_new && self.baseline.is_some() && !f.ignored {
                t.new += 1;
            }
            statuses.push(
                self.baseline
                    .map(|_| if is_new { "new" } else { "unchanged" }),
            );
            if let Some(key) = key {
                seen_keys.insert(key);
            }
        }
        let fixed: Option<Vec<&Value>> = self.baseline.map(|b| {
            let prefix = format!("{lock_key}\u{1f}");
            b.range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .filter(|(k, _)| !seen_keys.contains(*k))
                .filter(|(_, v)| {
                    self.advisories.is_none_or(|ids| {
                        let a = &v["advisory"];
                        let aliases: Vec<String> = a["aliases"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect();
                        names_any(ids, a["id"].as_str().unwrap_or_default(), &aliases)
                    })
                })
                .map(|(_, v)| v)
                .collect()
        });
        t.fixed = fixed.as_ref().map_or(0, Vec::len);
        let line = crate::report::json::ScanLine {
            path,
            key: lock_key,
            git: git.map(|g| serde_json::to_value(g).unwrap_or_default()),
            packages: report.lockfile.packages,
            findings,
            statuses: &statuses,
            fixed: fixed.as_deref(),
            binary: report.binary.as_ref(),
        };
        t.incomplete = report.binary.as_ref().is_some_and(|b| !b.complete);
        if self.as_text {
            return Line {
                text: Some(crate::report::json::scan_line(&line)),
                value: None,
                tally: t,
            };
        }
        Line {
            value: Some(crate::report::json::scan_line_value(&line)),
            text: None,
            tally: t,
        }
    }
}

/// Adds up the lines (in order) and the folders that could not be read into the scan's
/// output and summary.
pub fn summarize(
    db: &Database,
    lines: Vec<Line>,
    walk_errors: &[(PathBuf, String)],
    how: &Lines<'_>,
) -> ScanOutput {
    let mut totals = Totals {
        lockfiles: lines.len(),
        binaries: how.binaries,
        ..Totals::default()
    };
    let mut values = Vec::new();
    let mut texts = Vec::new();
    let walk_lines = walk_errors.iter().map(|(p, msg)| {
        let path = pathtext::display(p);
        let mut line = how.error_line(&path, &path, None, msg);
        // A folder or repository that could not be read, not a lockfile.
        if let Some(v) = line.value.as_mut() {
            v["walk_error"] = json!(true);
        }
        if let Some(t) = line.text.as_mut() {
            let mut v: Value = serde_json::from_str(t).unwrap_or_default();
            v["walk_error"] = json!(true);
            *t = serde_json::to_string(&v).unwrap_or_default();
        }
        line
    });
    for line in lines.into_iter().chain(walk_lines) {
        let t = line.tally;
        for (k, n) in t.by_kind {
            *totals.by_kind.entry(k.to_string()).or_default() += n;
        }
        for (k, n) in t.by_severity {
            *totals.by_severity.entry(k.to_string()).or_default() += n;
        }
        for (fix, mut n) in t.fixes {
            n.lockfiles = 1;
            totals.add_fix(fix, n);
        }
        totals.failing += t.failing;
        totals.incomplete += usize::from(t.incomplete);
        totals.errors += usize::from(t.error);
        totals.new_errors += usize::from(t.new_error);
        totals.new += t.new;
        totals.fixed += t.fixed;
        values.extend(line.value);
        texts.extend(line.text);
    }
    let summary = totals.summary(database_value(db), how.roots, how.baseline.is_some());
    ScanOutput {
        lines: values,
        text_lines: texts,
        summary,
        failing: totals.failing,
        errors: totals.errors,
        new_errors: totals.new_errors,
    }
}

/// What the summary says of the database.
fn database_value(db: &Database) -> Value {
    let info = &db.info;
    json!({
        "path": info.path.display().to_string(),
        "commit": info.commit.as_ref().map(|c| c.id.clone()),
        "advisory_count": info.advisory_count,
        "age_days": info.age_days,
    })
}

/// A scan's counts: what its summary says, and what shards add up to.
#[derive(Debug, Default)]
pub struct Totals {
    lockfiles: usize,
    /// A scan of binaries: it counts `binaries`, and the `incomplete` ones.
    binaries: bool,
    incomplete: usize,
    errors: usize,
    failing: usize,
    new_errors: usize,
    new: usize,
    fixed: usize,
    by_kind: BTreeMap<String, usize>,
    by_severity: BTreeMap<String, usize>,
    fixes: BTreeMap<String, FixTally>,
}

impl Totals {
    fn add_fix(&mut self, label: String, n: FixTally) {
        let e = self.fixes.entry(label).or_insert_with(|| FixTally {
            runnable: true,
            verified: true,
            ..FixTally::default()
        });
        e.findings += n.findings;
        e.lockfiles += n.lockfiles;
        e.from.extend(n.from);
        e.commands.extend(n.commands);
        e.runnable &= n.runnable;
        e.verified &= n.verified;
    }

    /// Adds another scan's (a shard's) counts.
    fn add(&mut self, other: Totals) {
        self.lockfiles += other.lockfiles;
        self.binaries |= other.binaries;
        self.incomplete += other.incomplete;
        self.errors += other.errors;
        self.failing += other.failing;
        self.new_errors += other.new_errors;
        self.new += other.new;
        self.fixed += other.fixed;
        for (k, n) in other.by_kind {
            *self.by_kind.entry(k).or_default() += n;
        }
        for (k, n) in other.by_severity {
            *self.by_severity.entry(k).or_default() += n;
        }
        for (label, n) in other.fixes {
            self.add_fix(label, n);
        }
    }

    /// Reads the counts back from a summary line.
    fn from_summary(v: &Value) -> Result<Totals, String> {
        let n = |x: &Value| x.as_u64().map(|n| n as usize);
        let counts = |x: &Value| -> BTreeMap<String, usize> {
            x.as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_u64()? as usize)))
                .collect()
        };
        let strings = |x: &Value| -> BTreeSet<String> {
            x.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        };
        let mut t = Totals {
            lockfiles: n(&v["lockfiles"])
                .or(n(&v["binaries"]))
                .ok_or("no lockfile count")?,
            binaries: !v["binaries"].is_null(),
            incomplete: n(&v["incomplete"]).unwrap_or(0),
            errors: n(&v["errors"]).ok_or("no error count")?,
            failing: n(&v["failing"]).ok_or("no failing count")?,
            new_errors: n(&v["baseline"]["new_errors"]).unwrap_or(0),
            new: n(&v["baseline"]["new"]).unwrap_or(0),
            fixed: n(&v["baseline"]["fixed"]).unwrap_or(0),
            by_kind: counts(&v["findings"]["by_kind"]),
            by_severity: counts(&v["findings"]["by_severity"]),
            fixes: BTreeMap::new(),
        };
        for f in v["all_fixes"].as_array().ok_or("no all_fixes list")? {
            t.fixes.insert(
                f["fix"].as_str().ok_or("a fix without a name")?.to_string(),
                FixTally {
                    findings: n(&f["findings"]).unwrap_or(0),
                    lockfiles: n(&f["lockfiles"]).unwrap_or(0),
                    from: strings(&f["from"]),
                    commands: strings(&f["commands"]),
                    runnable: f["runnable"] == true,
                    verified: f["verified"] == true,
                },
            );
        }
        Ok(t)
    }

    /// The summary line.
    fn summary(&self, database: Value, roots: &[String], baseline: bool) -> Value {
        // One upgrade per (crate → target), whatever version each lockfile starts from:
        // runnable, verified ones first, by findings removed; then the rest, marked.
        let mut all: Vec<(&String, &FixTally)> = self.fixes.iter().collect();
        all.sort_by(|a, b| {
            let first = |f: &FixTally| !(f.runnable && f.verified && !f.commands.is_empty());
            first(a.1)
                .cmp(&first(b.1))
                .then(b.1.findings.cmp(&a.1.findings))
                .then(a.0.cmp(b.0))
        });
        let all: Vec<Value> = all
            .iter()
            .map(|(fix, t)| {
                json!({
                    "fix": fix,
                    "findings": t.findings,
                    "lockfiles": t.lockfiles,
                    "from": by_version(&t.from),
                    "commands": t.commands,
                    "runnable": t.runnable && !t.commands.is_empty(),
                    "verified": t.verified,
                })
            })
            .collect();
        let top: Vec<Value> = all.iter().take(10).cloned().collect();
        let mut summary = json!({
            "type": "summary",
            "lockfiles": self.lockfiles,
            "errors": self.errors,
            "findings": {"by_kind": self.by_kind, "by_severity": self.by_severity},
            "database": database,
            "top_fixes": top,
            "all_fixes": all,
            "failing": self.failing,
            "roots": roots,
        });
        if self.binaries {
            // A scan of binaries counts binaries, and those whose list is partial.
            if let Some(m) = summary.as_object_mut() {
                m.remove("lockfiles");
            }
            summary["binaries"] = json!(self.lockfiles);
            summary["incomplete"] = json!(self.incomplete);
        }
        if baseline {
            summary["baseline"] =
                json!({"new": self.new, "fixed": self.fixed, "new_errors": self.new_errors});
        }
        summary
    }
}

/// Combines shards' JSON Lines (`scan --shard K/N`, each run with the same roots,
/// database and flags) into the output one unsharded run gives.
pub fn merge(files: &[PathBuf]) -> Result<ScanOutput, String> {
    let mut totals = Totals::default();
    let mut lockfiles: Vec<(PathBuf, Value)> = Vec::new();
    let mut walk: Vec<(PathBuf, Value)> = Vec::new();
    let mut first: Option<(Value, Value, bool)> = None;
    for file in files {
        let shown = file.display();
        let bytes =
            lockfile::read_bounded(file).map_err(|e| advisories_cache::load::one_line(&e))?;
        let text = String::from_utf8(bytes).map_err(|_| format!("{shown}: not UTF-8"))?;
        let mut summaries = 0;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line)
                .map_err(|e| format!("{shown} line {}: not JSON: {e}", n + 1))?;
            match v["type"].as_str() {
                Some("lockfile" | "binary") => {
                    let path = PathBuf::from(v["path"].as_str().unwrap_or_default());
                    if v["walk_error"] == true {
                        walk.push((path, v));
                    } else {
                        lockfiles.push((path, v));
                    }
                }
                Some("summary") => {
                    summaries += 1;
                    let t = Totals::from_summary(&v)
                        .map_err(|e| format!("{shown} line {}: {e}", n + 1))?;
                    let same = (
                        v["database"].clone(),
                        v["roots"].clone(),
                        !v["baseline"].is_null(),
                    );
                    match &first {
                        None => first = Some(same),
                        Some(f) if *f != same => {
                            return Err(format!(
                                "{shown}: a shard of another scan (its roots, database or baseline differ)"
                            ));
                        }
                        Some(_) => {}
                    }
                    totals.add(t);
                }
                _ => {
                    return Err(format!(
                        "{shown} line {}: not a line of `cargo depaudit scan --format jsonl`",
                        n + 1
                    ));
                }
            }
        }
        if summaries != 1 {
            return Err(format!(
                "{shown}: not one scan's JSON Lines ({summaries} summary lines)"
            ));
        }
    }
    let (database, roots, baseline) = first.ok_or("no shard to merge")?;
    let roots: Vec<String> = roots
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(String::from))
        .collect();
    lockfiles.sort_by(|a, b| a.0.cmp(&b.0));
    walk.sort_by(|a, b| a.0.cmp(&b.0));
    let summary = totals.summary(database, &roots, baseline);
    Ok(ScanOutput {
        lines: lockfiles.into_iter().chain(walk).map(|(_, v)| v).collect(),
        text_lines: Vec::new(),
        summary,
        failing: totals.failing,
        errors: totals.errors,
        new_errors: totals.new_errors,
    })
}

/// Keeps shard `k` of `n`: the lockfiles (and unreadable folders) whose repository — the
/// first segment of the key, the repository's folder or name — hashes to `k`. Every
/// repository lands in exactly one shard, whatever order the paths were given in.
pub fn shard(found: &mut Discovered, k: u32, n: u32) {
    let of = |identity: &str| {
        let repo = identity.split(['/', '@']).next().unwrap_or(identity);
        crc32fast::hash(repo.as_bytes()) % n == k
    };
    found.lockfiles.retain(|f| of(&f.key));
    found.errors.retain(|(p, _)| of(&pathtext::display(p)));
}

/// Renders a scan: JSON Lines (one object per lockfile, then the summary), one JSON
/// document, a table with the top fixes, or Markdown.
pub fn render(result: &ScanOutput, format: ScanFormat) -> String {
    match format {
        ScanFormat::Jsonl => {
            let mut t = String::with_capacity(result.text_lines.iter().map(|l| l.len() + 1).sum());
            for l in &result.text_lines {
                t.push_str(l);
                t.push('\n');
            }
            for v in result.lines.iter().chain(std::iter::once(&result.summary)) {
                t.push_str(&serde_json::to_string(v).unwrap_or_default());
                t.push('\n');
            }
            t
        }
        ScanFormat::Json => {
            let mut t = serde_json::to_string_pretty(&json!({
                "lockfiles": result.lines,
                "summary": result.summary,
            }))
            .unwrap_or_default();
            t.push('\n');
            t
        }
        ScanFormat::Table => table(result),
        ScanFormat::Markdown => markdown(result),
    }
}

fn table(result: &ScanOutput) -> String {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(vec![
            if result.summary.get("binaries").is_some() {
                "Binary"
            } else {
                "Lockfile"
            },
            "Packages",
            "Vulnerabilities",
            "Warnings",
            "Error",
        ]);
    for l in &result.lines {
        let findings = l["findings"].as_array().cloned().unwrap_or_default();
        let live = |vuln: bool| {
            findings
                .iter()
                .filter(|f| f["ignored"] == false && (f["kind"] == "vulnerability") == vuln)
                .count()
                .to_string()
        };
        // An unreadable lockfile has no counts: `-`, not `null` or 0.
        let readable = l["error"].is_null();
        let or_dash = |v: String| if readable { v } else { "-".to_string() };
        table.add_row(vec![
            pathtext::for_text(l["path"].as_str().unwrap_or_default()),
            or_dash(l["packages"].to_string()),
            or_dash(live(true)),
            or_dash(live(false)),
            pathtext::for_text(l["error"].as_str().unwrap_or("")),
        ]);
    }
    let mut t = table.to_string();
    t.push_str("\nTop fixes:\n");
    for f in result.summary["top_fixes"].as_array().into_iter().flatten() {
        t.push_str(&format!("  {}\n", fix_line(f)));
    }
    t
}

/// Versions in semver order (text order for any that do not parse).
fn by_version(v: &BTreeSet<String>) -> Vec<&String> {
    let mut out: Vec<&String> = v.iter().collect();
    out.sort_by_key(|s| semver::Version::parse(s).ok());
    out
}

/// A top fix as a line: the upgrade, what it removes, where it starts from, and a mark
/// when it is not one verified `cargo update`.
fn fix_line(f: &Value) -> String {
    let pl = crate::words::plural;
    let n = f["findings"].as_u64().unwrap_or(0) as usize;
    let k = f["lockfiles"].as_u64().unwrap_or(0) as usize;
    let from: Vec<&str> = f["from"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut line = format!(
        "{} ({n} {} in {k} {}",
        pathtext::for_text(f["fix"].as_str().unwrap_or_default()),
        pl(n, "finding", "findings"),
        pl(k, "lockfile", "lockfiles")
    );
    let has_command = f["commands"].as_array().is_some_and(|c| !c.is_empty());
    if has_command {
        line.push_str(&format!("; from {}", from.join(", ")));
    }
    line.push(')');
    if has_command && f["runnable"] != true {
        line.push_str(" [several steps]");
    }
    if has_command && f["verified"] != true {
        line.push_str(" [unverified]");
    }
    line
}

/// Markdown for an issue or a nightly report: a verdict with counts, the database, one
/// row per lockfile, the findings to act on (with their baseline status), findings fixed
/// since the baseline, the top fixes, and the lockfiles that could not be read.
fn markdown(result: &ScanOutput) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let str_of = |v: &Value| v.as_str().map(cell).unwrap_or_default();
    let summary = &result.summary;
    let has_baseline = summary.get("baseline").is_some();
    let live = |f: &&Value| f["ignored"] != true;
    let all_findings = || {
        result
            .lines
            .iter()
            .flat_map(|l| l["findings"].as_array().into_iter().flatten())
    };
    let vulns = all_findings()
        .filter(live)
        .filter(|f| f["kind"] == "vulnerability")
        .count();
    let warnings = all_findings().filter(live).count() - vulns;
    let verdict = if result.failing > 0 || result.errors > 0 {
        "❌ **FAIL**"
    } else {
        "✅ **pass**"
    };
    let pl = crate::words::plural;
    let binaries = summary.get("binaries").is_some();
    let (one, many) = match binaries {
        true => ("binary", "binaries"),
        false => ("lockfile", "lockfiles"),
    };
    let n_locks = summary[many].as_u64().unwrap_or(0) as usize;
    let mut out = format!(
        "### cargo-depaudit scan: {verdict}: {n_locks} {}, {vulns} {}, {warnings} {}, {} failing, {} {}\n\n",
        pl(n_locks, one, many),
        pl(vulns, "vulnerability", "vulnerabilities"),
        pl(warnings, "warning", "warnings"),
        result.failing,
        result.errors,
        pl(result.errors, "error", "errors"),
    );
    let db = &summary["database"];
    out.push_str(&format!(
        "Advisory database `{}` ({} advisories{}{})\n",
        str_of(&db["path"]),
        db["advisory_count"],
        db["commit"]
            .as_str()
            .map(|c| format!(", commit `{}`", &c[..c.len().min(10)]))
            .unwrap_or_default(),
        db["age_days"]
            .as_i64()
            .map(|d| format!(", {d} days old"))
            .unwrap_or_default(),
    ));
    if let Some(b) = summary.get("baseline") {
        out.push_str(&format!(
            "\nAgainst the baseline: {} new, {} fixed\n",
            b["new"], b["fixed"]
        ));
    }

    if let Some(n) = summary["incomplete"].as_u64().filter(|n| *n > 0) {
        out.push_str(&format!(
            "\n⚠️ {n} {} no embedded dependency list: only a partial crate list (or none) was checked\n",
            pl(n as usize, "binary has", "binaries have")
        ));
    }
    out.push_str(if binaries {
        "\n#### Binaries\n\n| Binary | Packages | Vulnerabilities | Warnings |"
    } else {
        "\n#### Lockfiles\n\n| Lockfile | Packages | Vulnerabilities | Warnings |"
    });
    out.push_str(if has_baseline { " New | Fixed |" } else { "" });
    out.push_str(" Error |\n|---|---|---|---|");
    out.push_str(if has_baseline { "---|---|" } else { "" });
    out.push_str("---|\n");
    for l in &result.lines {
        let findings: Vec<&Value> = l["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(live)
            .collect();
        let v = findings
            .iter()
            .filter(|f| f["kind"] == "vulnerability")
            .count();
        out.push_str(&format!(
            "| `{}` | {} | {v} | {} |",
            str_of(&l["path"]),
            l["packages"].as_u64().map_or("-".into(), |n| n.to_string()),
            findings.len() - v,
        ));
        if has_baseline {
            let new = findings.iter().filter(|f| f["status"] == "new").count();
            let fixed = l["fixed"].as_array().map_or(0, Vec::len);
            out.push_str(&format!(" {new} | {fixed} |"));
        }
        out.push_str(&format!(" {} |\n", str_of(&l["error"])));
    }

    let rows: Vec<(&Value, &Value)> = result
        .lines
        .iter()
        .flat_map(|l| {
            l["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(live)
                .map(move |f| (l, f))
        })
        .collect();
    if !rows.is_empty() {
        out.push_str(
            "\n#### Findings\n\n| Lockfile | ID | Crate | Version | Kind | Severity | Patched |",
        );
        out.push_str(if has_baseline { " Status |" } else { "" });
        out.push_str("\n|---|---|---|---|---|---|---|");
        out.push_str(if has_baseline { "---|" } else { "" });
        out.push('\n');
        for (l, f) in rows {
            let patched: Vec<String> = f["patched"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(cell))
                .collect();
            let id = f["advisory"]["id"].as_str().unwrap_or("yanked");
            out.push_str(&format!(
                "| `{}` | {} | `{}` | {} | {} | {} | {} |",
                str_of(&l["path"]),
                match f["advisory"]["url"].as_str() {
                    Some(url) => format!("[{id}]({})", cell(url)),
                    None => id.to_string(),
                },
                str_of(&f["package"]["name"]),
                str_of(&f["package"]["version"]),
                str_of(&f["kind"]),
                f["advisory"]["severity"].as_str().unwrap_or("-"),
                if patched.is_empty() {
                    "no fix published".to_string()
                } else {
                    patched.join(", ")
                },
            ));
            if has_baseline {
                out.push_str(&format!(" {} |", str_of(&f["status"])));
            }
            out.push('\n');
        }
    }

    let fixed: Vec<(&Value, &Value)> = result
        .lines
        .iter()
        .flat_map(|l| {
            l["fixed"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |f| (l, f))
        })
        .collect();
    if !fixed.is_empty() {
        out.push_str("\n#### Fixed since the baseline\n\n");
        for (l, f) in fixed {
            out.push_str(&format!(
                "- {} in `{} {}` (`{}`)\n",
                f["advisory"]["id"].as_str().unwrap_or("yanked"),
                str_of(&f["package"]["name"]),
                str_of(&f["package"]["version"]),
                str_of(&l["path"]),
            ));
        }
    }

    let fixes = summary["top_fixes"].as_array().cloned().unwrap_or_default();
    if !fixes.is_empty() {
        out.push_str("\n#### Top fixes\n\n");
        for (i, f) in fixes.iter().enumerate() {
            out.push_str(&format!("{}. {}\n", i + 1, fix_line(f)));
            for c in f["commands"].as_array().into_iter().flatten() {
                out.push_str(&format!("   - `{}`\n", str_of(c)));
            }
        }
    }

    let errors: Vec<&Value> = result
        .lines
        .iter()
        .filter(|l| !l["error"].is_null())
        .collect();
    if !errors.is_empty() {
        out.push_str("\n#### Errors\n\n");
        for l in errors {
            out.push_str(&format!(
                "- `{}`: {}\n",
                str_of(&l["path"]),
                str_of(&l["error"])
            ));
        }
    }
    out
}
