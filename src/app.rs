//! The command runner: turns resolved arguments into work and a result, and maps every
//! expected error to exit code 2 with one line. `main` only calls [`run`].

use crate::audit::AuditOptions;
use crate::cli::{AuditArgs, Cli, Command, FetchArgs, PolicyArgs};
pub use crate::error::{AppError, exit};
use crate::input::policy;
use crate::input::registry::Registry;
use crate::output::Output;
use crate::prepare::{load_policy, open_database, parse_paths_limit, prepare_audit};
use crate::report::{self, Format};
use advisories_cache::{FetchOptions, OpenOptions, location};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs the parsed command line; returns the exit code. Meant to be called once per
/// process (the values of a run are not freed, see [`exit_soon`]).
pub fn run(cli: Cli, out: &mut Output) -> Result<i32, AppError> {
    match cli.command {
        Some(Command::Audit(args)) => run_audit(&args, out),
        Some(Command::Fetch(args)) => run_fetch(&args, out),
        Some(Command::Scan(args)) => run_scan(&args, out),
        Some(Command::Policy(args)) => run_policy(&args, out),
        Some(Command::Why(args)) => crate::commands::why::run(&args, out),
        Some(Command::History(args)) => crate::commands::history::run(&args, out),
        Some(Command::Bin(args)) => crate::commands::bin::run(&args, out),
        Some(Command::Fix(args)) => crate::commands::fix::run(&args, out),
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
    let outcome = crate::net::fetch(&FetchOptions {
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
        for (what, list) in [
            ("new", &outcome.added),
            ("changed", &outcome.modified),
            ("removed", &outcome.removed),
        ] {
            for a in list {
                text.push_str(&format!("  {what}: {}\n", change_line(a)));
            }
        }
    }
    out.stdout(&text);
    Ok(exit::OK)
}

/// `ID crate: title`, escaped for a terminal (a database's text is not ours).
fn change_line(a: &advisories_cache::AdvisoryChange) -> String {
    let mut line = a.id.clone();
    if !a.package.is_empty() {
        line.push(' ');
        line.push_str(&a.package);
    }
    if !a.title.is_empty() {
        line.push_str(": ");
        line.push_str(a.title.trim());
    }
    crate::pathtext::for_text(&line)
}

fn run_policy(args: &PolicyArgs, out: &mut Output) -> Result<i32, AppError> {
    let lockfile_path = match &args.file {
        Some(f) => f.clone(),
        None => crate::input::workspace::locate(args.manifest_path.as_deref(), true)?.lockfile,
    };
    let today = advisories_cache::info::today_days();
    let p = load_policy(&lockfile_path, &args.policy, args.max_db_age, today, out)?;
    out.stdout(&policy::describe(&p));
    Ok(exit::OK)
}

fn run_audit(args: &AuditArgs, out: &mut Output) -> Result<i32, AppError> {
    out.quiet = args.common.quiet;
    let targets = args.common.report_targets().map_err(AppError::Usage)?;
    let color = out.color_for(&args.common.color).map_err(AppError::Usage)?;
    let prepared = prepare_audit(args, out)?;
    let report = prepared.audit();
    prepared.opts.save_registry_digest();
    // The table prints these itself; other formats get them on stderr too.
    if !targets.contains(&(Format::Table, None)) {
        for s in &report.stale_ignores {
            out.warn(&format!("ignore for {s} matched no finding (stale)"));
        }
        for n in &report.notes {
            out.warn(n);
        }
    }
    let inventory = report::Inventory {
        lock: &prepared.lock,
        roots: crate::audit::paths::roots(&prepared.lock, prepared.opts.members.as_deref()),
        time: report::document_time(),
    };
    for (format, path) in &targets {
        let terminal = path.is_none() && std::io::stdout().is_terminal();
        let rendered = report::render(
            &report,
            *format,
            color && path.is_none(),
            !args.common.no_tree,
            terminal,
            &inventory,
        );
        crate::report::write(path.as_deref(), &rendered, out)?;
    }
    if targets.iter().all(|(_, p)| p.is_some()) {
        out.status(&report::table::summary_line(&report, false));
    }
    let code = if report.fails() {
        exit::FINDINGS
    } else {
        exit::OK
    };
    drop(inventory);
    exit_soon((report, prepared));
    Ok(code)
}

/// The process ends right after a command, so the big values of a run (the lockfile,
/// the decoded advisories, the findings and their reports) are left to the operating
/// system instead of being freed allocation by allocation: ~0.8M instructions, 8% of a
/// warm audit. [`run`] is meant to be called once per process.
fn exit_soon<T>(values: T) {
    std::mem::forget(values);
}

fn run_scan(args: &crate::cli::ScanArgs, out: &mut Output) -> Result<i32, AppError> {
    use crate::commands::scan;
    out.quiet = args.quiet;
    if let Some(crate::cli::ScanCommand::Merge(m)) = &args.merge {
        let result = scan::merge(&m.files).map_err(AppError::Usage)?;
        let text = match m.by {
            crate::cli::ScanBy::Advisory => scan::render_by_advisory(&result, m.format),
            crate::cli::ScanBy::Lockfile => scan::render(&result, m.format),
        };
        crate::report::write(m.output.as_deref(), &text, out)?;
        let fails = result.failing > 0 || result.errors > 0;
        return Ok(if fails { exit::FINDINGS } else { exit::OK });
    }
    if args.history {
        return crate::commands::history::fleet(args, out);
    }
    let shard = match &args.shard {
        None => None,
        Some(text) => {
            let parsed = text
                .split_once('/')
                .and_then(|(k, n)| {
                    Some((k.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?))
                })
                .filter(|(k, n)| *n > 0 && k < n);
            Some(parsed.ok_or_else(|| {
                AppError::Usage(format!(
                    "--shard `{text}`: expected K/N with 0 <= K < N (as in 0/4)"
                ))
            })?)
        }
    };
    // `--fail-on any` (the default): any denied finding or unreadable lockfile;
    // `new`: only new ones against the baseline (an unreadable lockfile is new when it
    // was readable in the baseline, or not in it); `errors` (alone or added): any
    // unreadable lockfile fails too.
    let when: Vec<&str> = args.fail_on.split(',').map(str::trim).collect();
    for value in &when {
        match *value {
            "any" | "errors" => {}
            "new" if args.baseline.is_some() => {}
            "new" => {
                return Err(AppError::Usage(
                    "--fail-on new needs --baseline FILE".into(),
                ));
            }
            other => {
                return Err(AppError::Usage(format!(
                    "unknown --fail-on value `{other}` (expected any, new, errors)"
                )));
            }
        }
    }
    let fail_on_new_only = when.contains(&"new");
    let errors_fail = when.contains(&"errors");
    let errors_only = when == ["errors"];
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(AppError::Usage(format!(
                "{}: no such file or folder to scan",
                crate::pathtext::for_text(&crate::pathtext::display(p))
            )));
        }
    }
    // Scanned repositories' own cargo configuration is not trusted: only $CARGO_HOME's
    // decides where index data comes from.
    let today = advisories_cache::info::today_days();
    let fleet = policy::Overrides {
        config: args.config.clone(),
        ignore: args.ignore.clone(),
        deny: args.deny.clone(),
        max_db_age: args.db.max_db_age,
        skip_workspace_files: true,
        ..Default::default()
    };
    let fleet_policy = policy::load(Path::new(""), &fleet, today)?;
    for w in &fleet_policy.warnings {
        out.warn(w);
    }
    let mut opts = AuditOptions {
        paths_limit: parse_paths_limit(&args.paths_per_finding)?,
        registry: Some(Arc::new(Registry::for_workspace(None))),
        check_yanked: !args.no_yanked,
        prefetch_registry: false,
        // Reading every dependent's source is for a single audit, not a fleet.
        reachability: false,
        today,
        ..Default::default()
    };
    let base_yanked = opts.check_yanked;
    opts.apply_policy(&fleet_policy);
    let roots = scan::root_identity(&args.paths);
    let baseline = match &args.baseline {
        // The first night has no baseline yet: everything is new, and the run says so.
        Some(p) if std::fs::symlink_metadata(p).is_err() => {
            out.warn(&format!(
                "baseline {} does not exist yet: a first run, every finding counts as new",
                p.display()
            ));
            Some(Default::default())
        }
        Some(p) => {
            let b = scan::read_baseline(p).map_err(AppError::Usage)?;
            if let Some(theirs) = b.roots.as_ref().filter(|r| **r != roots) {
                return Err(AppError::Usage(format!(
                    "{}: a baseline for a scan of {}, not of {}",
                    p.display(),
                    theirs.join(", "),
                    roots.join(", ")
                )));
            }
            Some(b)
        }
        None => None,
    };
    let db = open_database(
        &args.db,
        args.offline,
        fleet_policy.max_db_age_days.value,
        None,
        out,
    )?;
    let policies = scan::Policies {
        base: opts,
        base_yanked,
        repo: (!args.no_repo_policy).then(|| policy::Overrides {
            config: None,
            extra: args.config.clone(),
            skip_workspace_files: false,
            ..fleet.clone()
        }),
        today,
        db_age: db.info.age_days,
        warnings: Default::default(),
    };
    let discover = scan::Discover {
        all_dirs: args.all_dirs,
        binaries: args.binaries,
    };
    let mut found = if args.git {
        scan::discover_git(&args.paths, args.refs.as_deref(), &discover)
    } else {
        scan::discover(&args.paths, &discover)
    };

    if args.git && found.lockfiles.is_empty() && !found.errors.is_empty() {
        let all: Vec<String> = found
            .errors
            .iter()
            .map(|(_, e)| crate::pathtext::for_text(e))
            .collect();
        return Err(AppError::Usage(format!(
            "nothing could be scanned: {}",
            all.join("; ")
        )));
    }
    // The shard is taken after that check: a shard may hold nothing.
    if let Some((k, n)) = shard {
        scan::shard(&mut found, k, n);
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let progress = crate::progress::Progress::stderr(found.lockfiles.len(), args.quiet);
    for id in &args.advisory {
        if !policy::valid_id(id) {
            return Err(AppError::Usage(format!(
                "--advisory `{id}` is not an advisory id (RUSTSEC-YYYY-NNNN, CVE-YYYY-NNNN or GHSA-xxxx-xxxx-xxxx)"
            )));
        }
    }
    let by_advisory = args.by == crate::cli::ScanBy::Advisory;
    // The by-advisory view regroups every line at the end: nothing is streamed.
    let jsonl = args.format == crate::cli::ScanFormat::Jsonl && !by_advisory;
    let how = scan::Lines {
        baseline: baseline.as_ref().map(|b| &b.keys),
        roots: &roots,
        advisories: (!args.advisory.is_empty()).then_some(args.advisory.as_slice()),
        fail_on_new_only,
        as_text: jsonl,
        binaries: args.binaries,
    };
    // JSON Lines are written as the lockfiles are done, in order, rather than held to
    // the end (a scan of a thousand old lockfiles writes ~40 MiB).
    let stream = if jsonl {
        Some(Mutex::new(ReportStream::open(args.output.as_deref())?))
    } else {
        None
    };
    let audit_one: &scan::AuditOne<'_> = match args.binaries {
        true => &|found| scan::audit_binary(&db, found, &policies.base),
        false => &|f| scan::audit_lockfile(&db, f, &found.repos, &|f| policies.options(f)),
    };
    let lines = scan::audit_each(
        &found.lockfiles,
        audit_one,
        jobs,
        &|done| progress.tick(done),
        &|entry| how.line(entry),
        &|line| {
            if let (Some(stream), Some(text)) = (&stream, line.text.take()) {
                stream.lock().unwrap_or_else(|e| e.into_inner()).line(&text);
            }
        },
    );
    progress.finish();
    for w in policies.warnings() {
        out.warn(&w);
    }
    policies.base.save_registry_digest();
    let scanned = lines.len();
    let result = scan::summarize(&db, lines, &found.errors, &how);
    let text = if by_advisory {
        scan::render_by_advisory(&result, args.format)
    } else {
        scan::render(&result, args.format)
    };
    match stream {
        Some(stream) => stream
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .finish(&text)?,
        None => crate::report::write(args.output.as_deref(), &text, out)?,
    }
    let pl = crate::words::plural;
    let (one, many) = match args.binaries {
        true => ("binary", "binaries"),
        false => ("lockfile", "lockfiles"),
    };
    out.status(&format!(
        "scanned {scanned} {}: {} failing {}, {} {}",
        pl(scanned, one, many),
        result.failing,
        pl(result.failing, "finding", "findings"),
        result.errors,
        pl(result.errors, "error", "errors"),
    ));
    let errors_counted = if errors_fail || !fail_on_new_only {
        result.errors
    } else {
        result.new_errors
    };
    let findings_counted = if errors_only { 0 } else { result.failing };
    let code = if findings_counted > 0 || errors_counted > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    };
    exit_soon((result, text, db, policies));
    Ok(code)
}

/// A report written piece by piece, to a file or standard output (where a closed pipe
/// is not an error, as for [`crate::report::write`]). The first write error is kept and
/// returned at the end; nothing more is written after it.
struct ReportStream {
    to: std::io::BufWriter<Box<dyn Write + Send>>,
    path: Option<PathBuf>,
    failed: Option<std::io::Error>,
}

impl ReportStream {
    fn open(path: Option<&Path>) -> Result<ReportStream, AppError> {
        let to: Box<dyn Write + Send> = match path {
            Some(p) => Box::new(std::fs::File::create(p).map_err(|source| AppError::Write {
                path: p.display().to_string(),
                source,
            })?),
            None => Box::new(std::io::stdout()),
        };
        Ok(ReportStream {
            to: std::io::BufWriter::with_capacity(256 * 1024, to),
            path: path.map(Path::to_path_buf),
            failed: None,
        })
    }

    fn line(&mut self, text: &str) {
        if self.failed.is_none()
            && let Err(e) = self
                .to
                .write_all(text.as_bytes())
                .and_then(|_| self.to.write_all(b"\n"))
        {
            self.failed = Some(e);
        }
    }

    /// Writes the rest and flushes.
    fn finish(mut self, rest: &str) -> Result<(), AppError> {
        if self.failed.is_none()
            && let Err(e) = self
                .to
                .write_all(rest.as_bytes())
                .and_then(|_| self.to.flush())
        {
            self.failed = Some(e);
        }
        match (self.failed, self.path) {
            (None, _) => Ok(()),
            (Some(e), None) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            (Some(source), path) => Err(AppError::Write {
                path: path.map_or("standard output".into(), |p| p.display().to_string()),
                source,
            }),
        }
    }
}
