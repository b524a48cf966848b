//! `history`: what a repository carried and for how long. It walks the first-parent
//! history of a ref straight from the object database ([`crate::input::git`]), reads
//! only the lockfile revisions that changed, matches each against the database, and
//! turns the findings into exposure windows per (lockfile, advisory, crate): when the
//! vulnerable version came in, when it left (or that it is still there), how many days
//! in all and how many after the advisory was disclosed. A version that leaves and comes
//! back opens a second window.

use crate::audit::findings::FindingKind;
use crate::audit::matching::{self, MatchSettings};
use crate::input::git::{History, Skip};
use crate::input::lockfile;
use advisories_cache::Database;
use advisories_cache::info::{format_days, parse_date_days};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A commit on a window's edge.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Point {
    /// Commit id.
    pub commit: String,
    /// Commit date (UTC, `YYYY-MM-DD`).
    pub date: String,
    /// The crate's version(s) in the lockfile then, or `null` when it is gone.
    pub version: Option<String>,
    #[serde(skip)]
    day: i64,
}

/// One exposure window.
#[derive(Clone, Debug, Serialize)]
pub struct Window {
    /// Lockfile path in the repository.
    pub lockfile: String,
    /// Advisory id.
    pub advisory: String,
    /// `vulnerability`, `unsound`, `unmaintained` or `notice`.
    pub kind: &'static str,
    /// The crate.
    #[serde(rename = "crate")]
    pub krate: String,
    /// CVSS severity, when the advisory has one.
    pub severity: Option<&'static str>,
    /// The advisory's date (`YYYY-MM-DD`).
    pub disclosed: String,
    /// Where the vulnerable version came in.
    pub introduced: Point,
    /// Where it left, or `null` while it is still there.
    pub fixed: Option<Point>,
    /// Days from `introduced` to `fixed` (or to the report's `as_of` day).
    pub days_exposed: i64,
    /// Of those, the days after the advisory was disclosed: the time to remediate.
    pub days_after_disclosure: i64,
}

/// A lockfile revision that could not be read; its windows go on as they were.
#[derive(Clone, Debug, Serialize)]
pub struct RevisionError {
    /// Commit id.
    pub commit: String,
    /// Commit date.
    pub date: String,
    /// Lockfile path.
    pub lockfile: String,
    /// Why.
    pub error: String,
}

/// A repository's exposure history.
#[derive(Debug, Serialize)]
pub struct HistoryReport {
    /// The repository as given.
    pub repository: String,
    /// The ref walked.
    #[serde(rename = "ref")]
    pub refname: String,
    /// Its commit.
    pub head: String,
    /// The day open windows are counted to.
    pub as_of: String,
    /// First-parent commits walked.
    pub commits: usize,
    /// Lockfile revisions read.
    pub lockfile_revisions: usize,
    /// Why the history stops before the root commit, when it does (a shallow clone).
    pub stopped: Option<String>,
    /// The windows, by lockfile, advisory, crate and start.
    pub windows: Vec<Window>,
    /// Revisions that could not be read.
    pub errors: Vec<RevisionError>,
}

/// The exposure windows of a first-parent history. `read` gives a lockfile blob's bytes.
pub fn windows(
    db: &Database,
    history: &History,
    read: &dyn Fn(gix::ObjectId) -> Result<Vec<u8>, String>,
    as_of_day: i64,
) -> (Vec<Window>, Vec<RevisionError>, usize) {
    let mut out: Vec<Window> = Vec::new();
    let mut errors = Vec::new();
    let mut revisions = 0;
    // lockfile → (advisory, crate) → index of its open window
    let mut open: HashMap<String, BTreeMap<(String, String), usize>> = HashMap::new();
    // window index → the crate's versions in the last revision it was open in
    let mut last_versions: HashMap<usize, BTreeSet<String>> = HashMap::new();
    let settings = MatchSettings::default();
    for rev in &history.revisions {
        let day = rev.time.div_euclid(86_400);
        let point = |version: Option<String>| Point {
            commit: rev.commit.clone(),
            date: format_days(day),
            version,
            day,
        };
        for (path, blob) in &rev.changes {
            let here = open.entry(path.clone()).or_default();
            let Some(blob) = blob else {
                // The lockfile is gone: what it carried left with it.
                for (_, i) in std::mem::take(here) {
                    last_versions.remove(&i);
                    out[i].fixed = Some(point(None));
                }
                continue;
            };
            revisions += 1;
            let lock = match read(*blob).and_then(|b| lockfile::parse_bytes(&b)) {
                Ok(l) => l,
                Err(e) => {
                    errors.push(RevisionError {
                        commit: rev.commit.clone(),
                        date: format_days(day),
                        lockfile: path.clone(),
                        error: e,
                    });
                    continue;
                }
            };
            let versions_of = |name: &str| -> BTreeSet<String> {
                lock.packages
                    .iter()
                    .filter(|p| p.name == name)
                    .map(|p| crate::version_text::version_text(&p.version))
                    .collect()
            };
            let mut now: BTreeMap<(String, String), Hit> = BTreeMap::new();
            for f in matching::find(db, &lock, &settings) {
                let Some(a) = &f.advisory else { continue };
                now.entry((a.id.clone(), f.package.name.clone()))
                    .or_insert_with(|| Hit {
                        kind: f.kind,
                        severity: a.severity.map(|s| s.as_str()),
                        disclosed: a.date.clone(),
                        versions: BTreeSet::new(),
                    })
                    .versions
                    .insert(f.package.version.clone());
            }
            let gone: Vec<(String, String)> = here
                .keys()
                .filter(|k| !now.contains_key(*k))
                .cloned()
                .collect();
            for k in gone {
                if let Some(i) = here.remove(&k) {
                    // The version it moved to: what is new since the window's last
                    // revision, else what is left; none when the crate is gone.
                    let left = versions_of(&k.1);
                    let before = last_versions.remove(&i).unwrap_or_default();
                    let new: BTreeSet<String> = left.difference(&before).cloned().collect();
                    out[i].fixed = Some(point(joined(if new.is_empty() { left } else { new })));
                }
            }
            for (k, hit) in now {
                if let Some(&i) = here.get(&k) {
                    last_versions.insert(i, versions_of(&k.1));
                    continue;
                }
                here.insert(k.clone(), out.len());
                last_versions.insert(out.len(), versions_of(&k.1));
                out.push(Window {
                    lockfile: path.clone(),
                    advisory: k.0,
                    kind: hit.kind.as_str(),
                    introduced: point(joined(hit.versions)),
                    krate: k.1,
                    severity: hit.severity,
                    disclosed: hit.disclosed,
                    fixed: None,
                    days_exposed: 0,
                    days_after_disclosure: 0,
                });
            }
        }
    }
    for w in &mut out {
        let end = w.fixed.as_ref().map_or(as_of_day, |f| f.day);
        let start = w.introduced.day;
        let disclosed = parse_date_days(&w.disclosed).unwrap_or(start);
        w.days_exposed = (end - start).max(0);
        w.days_after_disclosure = (end - start.max(disclosed)).max(0);
    }
    out.sort_by(|a, b| {
        (&a.lockfile, &a.advisory, &a.krate, a.introduced.day).cmp(&(
            &b.lockfile,
            &b.advisory,
            &b.krate,
            b.introduced.day,
        ))
    });
    (out, errors, revisions)
}

/// An advisory's match in one revision: its kind, severity, date and the affected
/// versions of the crate.
struct Hit {
    kind: FindingKind,
    severity: Option<&'static str>,
    disclosed: String,
    versions: BTreeSet<String>,
}

/// Versions as one text (`1.2.0, 2.0.1`), or `None` for none.
fn joined(v: BTreeSet<String>) -> Option<String> {
    let mut v: Vec<String> = v.into_iter().collect();
    v.sort_by_key(|s| semver::Version::parse(s).ok());
    (!v.is_empty()).then(|| v.join(", "))
}

/// The repository-level summary of the vulnerability windows: how many, how many still
/// open, the median and worst time to remediate (days from disclosure, or from the
/// version's arrival when later, to the fix) and the open ones by age.
pub fn summary(report: &HistoryReport) -> Value {
    let vulns: Vec<&Window> = report
        .windows
        .iter()
        .filter(|w| w.kind == "vulnerability")
        .collect();
    let mut ttr: Vec<i64> = vulns
        .iter()
        .filter(|w| w.fixed.is_some() && w.days_after_disclosure > 0)
        .map(|w| w.days_after_disclosure)
        .collect();
    ttr.sort_unstable();
    let fixed_before_disclosure = vulns
        .iter()
        .filter(|w| w.fixed.is_some() && w.days_after_disclosure == 0)
        .count();
    let median = crate::report::median(&ttr);
    let mut by_age: BTreeMap<&str, usize> = [("0-30", 0), ("31-90", 0), ("91-365", 0), ("366+", 0)]
        .into_iter()
        .collect();
    for w in vulns.iter().filter(|w| w.fixed.is_none()) {
        let bucket = match w.days_after_disclosure {
            0..=30 => "0-30",
            31..=90 => "31-90",
            91..=365 => "91-365",
            _ => "366+",
        };
        *by_age.entry(bucket).or_default() += 1;
    }
    json!({
        "type": "summary",
        "windows": report.windows.len(),
        "vulnerability_windows": vulns.len(),
        "open": vulns.iter().filter(|w| w.fixed.is_none()).count(),
        "fixed": vulns.iter().filter(|w| w.fixed.is_some()).count(),
        "fixed_before_disclosure": fixed_before_disclosure,
        "time_to_remediate_days": {"median": median, "worst": ttr.last()},
        "open_by_days_since_disclosure": by_age,
        "errors": report.errors.len(),
    })
}

/// Renders the report: `json` (one document), `jsonl` (one window per line, then the
/// errors and the summary), `table` or `markdown`.
pub fn render(report: &HistoryReport, format: crate::cli::HistoryFormat) -> String {
    use crate::cli::HistoryFormat;
    let summary = summary(report);
    match format {
        HistoryFormat::Json => {
            let mut v = serde_json::to_value(report).unwrap_or_default();
            v["summary"] = summary;
            let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
            s.push('\n');
            s
        }
        HistoryFormat::Jsonl => {
            let mut s = String::new();
            for w in &report.windows {
                let mut v = serde_json::to_value(w).unwrap_or_default();
                v["type"] = json!("window");
                v["repository"] = json!(report.repository);
                s.push_str(&v.to_string());
                s.push('\n');
            }
            for e in &report.errors {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                v["type"] = json!("error");
                s.push_str(&v.to_string());
                s.push('\n');
            }
            let mut v = summary;
            v["repository"] = json!(report.repository);
            v["ref"] = json!(report.refname);
            v["head"] = json!(report.head);
            v["as_of"] = json!(report.as_of);
            v["commits"] = json!(report.commits);
            v["lockfile_revisions"] = json!(report.lockfile_revisions);
            v["stopped"] = json!(report.stopped);
            s.push_str(&v.to_string());
            s.push('\n');
            s
        }
        HistoryFormat::Table => text(report, &summary, false),
        HistoryFormat::Markdown => text(report, &summary, true),
    }
}

fn text(report: &HistoryReport, summary: &Value, markdown: bool) -> String {
    use crate::pathtext::for_text;
    let mut out = String::new();
    let head = format!(
        "{} {} at {}: {} {} walked, {} lockfile {} read, as of {}",
        for_text(&report.repository),
        for_text(&report.refname),
        &report.head[..report.head.len().min(12)],
        report.commits,
        crate::words::plural(report.commits, "commit", "commits"),
        report.lockfile_revisions,
        crate::words::plural(report.lockfile_revisions, "revision", "revisions"),
        report.as_of
    );
    if markdown {
        out.push_str(&format!("## Exposure history\n\n{head}\n\n"));
    } else {
        out.push_str(&head);
        out.push('\n');
    }
    if let Some(s) = &report.stopped {
        out.push_str(&format!("Note: {}\n\n", for_text(s)));
    }
    let t = &summary["time_to_remediate_days"];
    out.push_str(&format!(
        "Vulnerability windows: {} ({} open, {} fixed, {} before disclosure); time to remediate: median {}, worst {} days\n",
        summary["vulnerability_windows"],
        summary["open"],
        summary["fixed"],
        summary["fixed_before_disclosure"],
        if t["median"].is_null() { "-".to_string() } else { t["median"].to_string() },
        if t["worst"].is_null() { "-".to_string() } else { t["worst"].to_string() },
    ));
    let ages = &summary["open_by_days_since_disclosure"];
    out.push_str(&format!(
        "Open by days since disclosure: 0-30: {}, 31-90: {}, 91-365: {}, 366+: {}\n\n",
        ages["0-30"], ages["31-90"], ages["91-365"], ages["366+"]
    ));
    let header = [
        "Lockfile",
        "Advisory",
        "Crate",
        "Introduced",
        "Fixed",
        "Days",
        "After disclosure",
    ];
    let rows: Vec<Vec<String>> = report
        .windows
        .iter()
        .map(|w| {
            let edge = |p: &Point| {
                format!(
                    "{} {} ({})",
                    p.date,
                    p.version.as_deref().unwrap_or("removed"),
                    &p.commit[..p.commit.len().min(10)]
                )
            };
            vec![
                for_text(&w.lockfile),
                format!("{} ({})", w.advisory, w.kind),
                w.krate.clone(),
                edge(&w.introduced),
                w.fixed.as_ref().map_or("open".to_string(), edge),
                w.days_exposed.to_string(),
                w.days_after_disclosure.to_string(),
            ]
        })
        .collect();
    out.push_str(&crate::report::grid(&header, rows, markdown));
    if !report.errors.is_empty() {
        out.push_str("\nRevisions that could not be read:\n");
        for e in &report.errors {
            out.push_str(&format!(
                "  {} {} {}: {}\n",
                e.date,
                &e.commit[..e.commit.len().min(10)],
                for_text(&e.lockfile),
                for_text(&e.error)
            ));
        }
    }
    out
}

/// One repository's report: the ref's first-parent history read and turned into
/// windows. `since` is in seconds, `as_of` in days since the epoch.
pub fn report_of(
    db: &Database,
    path: &std::path::Path,
    refname: Option<&str>,
    head: Option<(String, gix::ObjectId)>,
    since: Option<i64>,
    as_of: i64,
    skip: Skip,
) -> Result<HistoryReport, String> {
    let repo = crate::input::git::Repo::open(path)?;
    let (refname, head) = match head {
        Some(h) => h,
        None => repo.resolve(refname)?,
    };
    let history = repo.history(head, since, skip);
    let (windows, errors, revisions) = windows(db, &history, &|b| repo.read_lockfile(b), as_of);
    Ok(HistoryReport {
        repository: crate::pathtext::display(path),
        refname,
        head: head.to_string(),
        as_of: format_days(as_of),
        commits: history.commits,
        lockfile_revisions: revisions,
        stopped: history.stopped,
        windows,
        errors,
    })
}

/// `--since` and `--as-of` as (seconds, days).
pub fn dates(
    since: Option<&str>,
    as_of: Option<&str>,
) -> Result<(Option<i64>, i64), crate::error::AppError> {
    let day_of = |flag: &str, d: &str| {
        parse_date_days(d).filter(|_| d.len() == 10).ok_or_else(|| {
            crate::error::AppError::Usage(format!("{flag} `{d}` is not a date (YYYY-MM-DD)"))
        })
    };
    let since = match since {
        Some(d) => Some(day_of("--since", d)? * 86_400),
        None => None,
    };
    let as_of = match as_of {
        Some(d) => day_of("--as-of", d)?,
        None => advisories_cache::info::today_days(),
    };
    Ok((since, as_of))
}

/// Does the report hold an open vulnerability window?
pub fn has_open(report: &HistoryReport) -> bool {
    report
        .windows
        .iter()
        .any(|w| w.kind == "vulnerability" && w.fixed.is_none())
}

/// `cargo depaudit history`.
pub fn run(
    args: &crate::cli::HistoryArgs,
    out: &mut crate::output::Output,
) -> Result<i32, crate::error::AppError> {
    use crate::error::{AppError, exit};
    // The repository and ref are checked before the database is opened.
    let head = crate::input::git::Repo::open(&args.repo)
        .and_then(|r| r.resolve(args.refname.as_deref()))
        .map_err(AppError::Usage)?;
    let (since, as_of) = dates(args.since.as_deref(), args.as_of.as_deref())?;
    let db = crate::prepare::open_database(&args.db, args.offline, args.db.max_db_age, None, out)?;
    let skip = Skip {
        all_dirs: args.all_dirs,
    };
    let report = report_of(&db, &args.repo, None, Some(head), since, as_of, skip)
        .map_err(AppError::Usage)?;
    if let Some(s) = &report.stopped {
        out.warn(s);
    }
    let text = render(&report, args.format);
    crate::report::write(args.output.as_deref(), &text, out)?;
    Ok(if has_open(&report) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// A repository's ref to walk, or (repository, why) when it cannot be read.
type Job = Result<(std::path::PathBuf, String, gix::ObjectId), (String, String)>;

/// `scan --git REPO… --history`: every repository's (and with `--refs`, every matching
/// ref's) exposure history, in parallel. JSON Lines: each window with its repository and
/// ref, one `repository` line per history with its summary, then a fleet summary.
pub fn fleet(
    args: &crate::cli::ScanArgs,
    out: &mut crate::output::Output,
) -> Result<i32, crate::error::AppError> {
    use crate::error::{AppError, exit};
    let (since, as_of) = dates(args.since.as_deref(), args.as_of.as_deref())?;
    let skip = Skip {
        all_dirs: args.all_dirs,
    };
    // (repository, ref) pairs, or the error for a repository that cannot be read.
    let mut jobs: Vec<Job> = Vec::new();
    for path in &args.paths {
        let heads = crate::input::git::Repo::open(path).and_then(|r| match &args.refs {
            None => r.resolve(None).map(|h| vec![h]),
            Some(p) => r.refs_matching(p),
        });
        match heads {
            Ok(h) => jobs.extend(h.into_iter().map(|(r, id)| Ok((path.clone(), r, id)))),
            Err(e) => jobs.push(Err((crate::pathtext::display(path), e))),
        }
    }
    if !jobs.iter().any(|j| j.is_ok()) {
        let all: Vec<String> = jobs
            .iter()
            .filter_map(|j| j.as_ref().err().map(|(_, e)| crate::pathtext::for_text(e)))
            .collect();
        return Err(AppError::Usage(format!(
            "nothing could be read: {}",
            all.join("; ")
        )));
    }
    let db = crate::prepare::open_database(&args.db, args.offline, args.db.max_db_age, None, out)?;
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<HistoryReport, String>>>> =
        jobs.iter().map(|_| Default::default()).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.min(jobs.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let r = match job {
                        Ok((path, refname, head)) => report_of(
                            &db,
                            path,
                            None,
                            Some((refname.clone(), *head)),
                            since,
                            as_of,
                            skip,
                        ),
                        Err((_, e)) => Err(e.clone()),
                    };
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                }
            });
        }
    });
    let mut lines: Vec<Value> = Vec::new();
    let mut all_ttr: Vec<i64> = Vec::new();
    let (mut open, mut windows, mut errors, mut repos) = (0usize, 0usize, 0usize, 0usize);
    for (job, r) in jobs.iter().zip(results) {
        let r = r.into_inner().unwrap_or_else(|e| e.into_inner());
        match r {
            Some(Ok(report)) => {
                repos += 1;
                for w in &report.windows {
                    let mut v = serde_json::to_value(w).unwrap_or_default();
                    v["type"] = json!("window");
                    v["repository"] = json!(report.repository);
                    v["ref"] = json!(report.refname);
                    lines.push(v);
                    if w.kind == "vulnerability" {
                        windows += 1;
                        match &w.fixed {
                            None => open += 1,
                            Some(_) if w.days_after_disclosure > 0 => {
                                all_ttr.push(w.days_after_disclosure)
                            }
                            Some(_) => {}
                        }
                    }
                }
                let mut v = summary(&report);
                v["type"] = json!("repository");
                v["repository"] = json!(report.repository);
                v["ref"] = json!(report.refname);
                v["head"] = json!(report.head);
                v["commits"] = json!(report.commits);
                v["lockfile_revisions"] = json!(report.lockfile_revisions);
                v["stopped"] = json!(report.stopped);
                v["revision_errors"] = json!(report.errors);
                lines.push(v);
            }
            other => {
                errors += 1;
                let repo = match job {
                    Ok((p, _, _)) => crate::pathtext::display(p),
                    Err((p, _)) => p.clone(),
                };
                let error = match other {
                    Some(Err(e)) => e,
                    _ => "not read".to_string(),
                };
                lines.push(json!({"type": "repository", "repository": repo, "error": error}));
            }
        }
    }
    all_ttr.sort_unstable();
    let median = crate::report::median(&all_ttr);
    let fleet = json!({
        "type": "summary",
        "repositories": repos,
        "errors": errors,
        "vulnerability_windows": windows,
        "open": open,
        "time_to_remediate_days": {"median": median, "worst": all_ttr.last()},
        "as_of": format_days(as_of),
    });
    let text = match args.format {
        crate::cli::ScanFormat::Json => {
            let mut t = serde_json::to_string_pretty(&json!({"lines": lines, "summary": fleet}))
                .unwrap_or_default();
            t.push('\n');
            t
        }
        crate::cli::ScanFormat::Jsonl => {
            let mut t = String::new();
            for v in lines.iter().chain(std::iter::once(&fleet)) {
                t.push_str(&v.to_string());
                t.push('\n');
            }
            t
        }
        crate::cli::ScanFormat::Table | crate::cli::ScanFormat::Markdown => fleet_text(
            &lines,
            &fleet,
            args.format == crate::cli::ScanFormat::Markdown,
        ),
    };
    crate::report::write(args.output.as_deref(), &text, out)?;
    Ok(if open > 0 || errors > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// The fleet's histories as a table (or Markdown): one row per repository and ref.
fn fleet_text(lines: &[Value], fleet: &Value, markdown: bool) -> String {
    use crate::pathtext::for_text;
    let header = [
        "Repository",
        "Ref",
        "Windows",
        "Open",
        "Median days to remediate",
        "Worst",
        "Note",
    ];
    let rows: Vec<Vec<String>> = lines
        .iter()
        .filter(|l| l["type"] == "repository")
        .map(|l| {
            let t = &l["time_to_remediate_days"];
            let num = |v: &Value| {
                if v.is_null() {
                    "-".to_string()
                } else {
                    v.to_string()
                }
            };
            vec![
                for_text(l["repository"].as_str().unwrap_or_default()),
                for_text(l["ref"].as_str().unwrap_or_default()),
                num(&l["vulnerability_windows"]),
                num(&l["open"]),
                num(&t["median"]),
                num(&t["worst"]),
                for_text(l["error"].as_str().or(l["stopped"].as_str()).unwrap_or("")),
            ]
        })
        .collect();
    let t = &fleet["time_to_remediate_days"];
    let head = format!(
        "{} repositories, {} vulnerability windows, {} open; time to remediate: median {}, worst {} days (as of {})\n",
        fleet["repositories"],
        fleet["vulnerability_windows"],
        fleet["open"],
        if t["median"].is_null() {
            "-".to_string()
        } else {
            t["median"].to_string()
        },
        if t["worst"].is_null() {
            "-".to_string()
        } else {
            t["worst"].to_string()
        },
        fleet["as_of"].as_str().unwrap_or_default()
    );
    let mut out = String::new();
    if markdown {
        out.push_str("## Fleet exposure history\n\n");
    }
    out.push_str(&head);
    if markdown {
        out.push('\n');
    }
    out.push_str(&crate::report::grid(&header, rows, markdown));
    out
}
