//! `bin`: audit compiled binaries. Each binary is read as a lockfile
//! ([`crate::input::binary`]) and audited like one, so findings, policy, ignores, every
//! output format and the exit codes are a lockfile's. What differs is said here: the
//! platform from the header narrows the advisories, build-time-only packages do not fail
//! the run unless asked, and the remediation is `rebuild with X >= V` (or, with
//! `--source DIR`, the remediation of the workspace the binary was built from).

use crate::audit::findings::{AuditReport, Finding, Outcome, Remediation, Step};
use crate::audit::matching::BinaryTarget;
use crate::audit::{self, AuditOptions};
use crate::cli::{AuditArgs, BinArgs};
use crate::error::{AppError, exit};
use crate::input::binary::{self, Binary, DataSource};
use crate::input::policy;
use crate::input::registry::Registry;
use crate::output::Output;
use crate::prepare::{open_database, parse_paths_limit, prepare_audit};
use crate::report::{self, Format};
use advisories_cache::Database;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// For each finding whose advisory lists affected functions, whether the binary's
/// symbols name one. It relaxes nothing: with no verdict from sources it is `unknown`.
fn symbols(findings: &mut [crate::audit::findings::Finding], path: &Path) {
    use crate::audit::{findings::Reachability, reachability::functions_of};
    let wanted: Vec<(usize, Vec<String>)> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| (i, functions_of(f)))
        .filter(|(_, fs)| !fs.is_empty())
        .collect();
    if wanted.is_empty() {
        return;
    }
    // The binary is read once for every function of every finding.
    let all: Vec<String> = wanted
        .iter()
        .flat_map(|(_, fs)| fs.iter().cloned())
        .collect();
    let present = crate::input::binary::symbols_present(path, &all);
    let mut at = 0;
    for (i, functions) in wanted {
        let mine = present.as_ref().map(|p| &p[at..at + functions.len()]);
        at += functions.len();
        let state = match mine {
            None => "no-symbols",
            Some(found) if found.iter().any(|&p| p) => "present-in-binary",
            Some(_) => "absent-from-binary",
        };
        let r = findings[i]
            .reachability
            .get_or_insert_with(|| Reachability {
                binary: None,
                crates_read: Vec::new(),
                evidence: Vec::new(),
                functions: functions.clone(),
                only_in: None,
                state: "unknown",
                unknown_because: Some("no dependent's source was read for this binary".into()),
            });
        r.binary = Some(state);
    }
}

/// Audits one binary read with [`binary::load`]: the lockfile audit with the binary's
/// platform, no lockfile remediation (a binary is not updated in place) but a rebuild
/// one, or the `source` workspace's where it has the same finding.
pub fn audit_binary(
    db: &Database,
    bin: &Binary,
    path: &Path,
    opts: &AuditOptions,
    source: Option<&AuditReport>,
) -> AuditReport {
    let mut o = opts.clone();
    o.matching.binary = Some(BinaryTarget {
        format: bin.info.format,
        arch: bin.info.arch,
    });
    o.remediate = false;
    // A deployed binary is judged by its own symbols, not by whatever sources of its
    // dependencies this machine happens to hold.
    let symbols_wanted = o.reachability;
    o.reachability = false;
    // A binary has no members: its roots are the packages nothing depends on (the
    // embedded root), and no manifest says anything about its edges.
    o.members = None;
    o.workspace = None;
    o.exclude_dev = false;
    let mut report = audit::audit(db, &bin.lock, path, &o, Vec::new());
    report.paths_note = match bin.info.data {
        DataSource::Embedded => "read from the binary's embedded dependency list: the root is the package it was built from; a step into a build-time-only package (a build script's or proc-macro's dependency, not in the shipped code) is `build`".into(),
        DataSource::PanicMessages => "crate versions recovered from the binary's panic messages: no dependency graph, so no paths".into(),
        DataSource::None => "no dependency information in the binary".into(),
    };
    rebuild_remediations(&mut report.findings, source);
    if symbols_wanted {
        symbols(&mut report.findings, path);
    }
    if !bin.info.complete {
        report
            .notes
            .insert(0, bin.info.describe(bin.lock.packages.len()));
    }
    let build_only = report
        .findings
        .iter()
        .filter(|f| f.build_only && !f.ignored && o.denied_kinds.contains(&f.kind))
        .count();
    if build_only > 0 && !o.deny_build_only {
        report.notes.push(format!(
            "{build_only} finding(s) on build-time-only packages (not in the shipped code) are reported but do not fail the run (--deny-build-deps makes them fail)"
        ));
    }
    report.binary = Some(bin.info.clone());
    report.recount();
    report
}

/// Each advisory finding's remediation: the source workspace's for the same advisory,
/// crate and version when there is one, else `rebuild with X >= V`.
fn rebuild_remediations(findings: &mut [Finding], source: Option<&AuditReport>) {
    for f in findings.iter_mut().filter(|f| f.advisory.is_some()) {
        let from_source = source.and_then(|s| {
            s.findings
                .iter()
                .find(|g| {
                    g.id() == f.id()
                        && g.package.name == f.package.name
                        && g.package.version == f.package.version
                })
                .and_then(|g| g.remediation.clone())
        });
        f.remediation = match from_source {
            Some(r) => Some(r),
            None => rebuild(f).map(|mut r| {
                if let Some(s) = source {
                    r.explanation.push_str(&format!(
                        " ({} does not lock {} {}: the binary was built from another revision)",
                        s.lockfile.path, f.package.name, f.package.version
                    ));
                }
                r
            }),
        };
    }
    // Each rebuild command lists every advisory it fixes across the report.
    let mut by_command: Vec<(String, Vec<String>)> = Vec::new();
    for f in findings.iter() {
        let Some(cmd) = f.remediation.as_ref().and_then(|r| r.command.clone()) else {
            continue;
        };
        match by_command.iter_mut().find(|(c, _)| *c == cmd) {
            Some((_, ids)) if !ids.iter().any(|i| i == f.id()) => ids.push(f.id().to_string()),
            Some(_) => {}
            None => by_command.push((cmd, vec![f.id().to_string()])),
        }
    }
    for f in findings.iter_mut() {
        let Some(r) = f.remediation.as_mut() else {
            continue;
        };
        if r.outcome != Outcome::Rebuild {
            continue;
        }
        if let Some((_, ids)) = by_command
            .iter()
            .find(|(c, _)| Some(c) == r.command.as_ref())
        {
            r.fixes = ids.clone();
            r.fixes.sort();
        }
    }
}

/// `rebuild with X >= V`: V is the lowest patched version above the one built in.
pub fn rebuild(f: &Finding) -> Option<Remediation> {
    let adv = f.advisory.as_ref()?;
    let name = &f.package.name;
    let current = semver::Version::parse(&f.package.version).ok()?;
    let mut lowest: Option<semver::Version> = None;
    for p in &adv.patched {
        let Ok(req) = semver::VersionReq::parse(p) else {
            continue;
        };
        for c in &req.comparators {
            use semver::Op;
            let mut v = semver::Version {
                major: c.major,
                minor: c.minor.unwrap_or(0),
                patch: c.patch.unwrap_or(0),
                pre: c.pre.clone(),
                build: semver::BuildMetadata::EMPTY,
            };
            match c.op {
                Op::GreaterEq | Op::Caret | Op::Tilde | Op::Exact | Op::Wildcard => {}
                Op::Greater => v.patch += 1,
                _ => continue,
            }
            if req.matches(&v) && v > current && lowest.as_ref().is_none_or(|l| v < *l) {
                lowest = Some(v);
            }
        }
    }
    let Some(v) = lowest else {
        return Some(Remediation {
            alternatives: Vec::new(),
            command: None,
            compatible: false,
            explanation: if adv.patched.is_empty() {
                format!("no patched version of {name} is published: rebuild without it")
            } else {
                format!(
                    "no patched version of {name} above {current} ({}): rebuild without it",
                    adv.patched.join(" or ")
                )
            },
            fixes: vec![adv.id.clone()],
            newer_compatible: None,
            outcome: Outcome::NoFix,
            steps: Vec::new(),
            target: None,
            verified: false,
        });
    };
    let v_text = crate::version_text::version_text(&v);
    let command = format!("rebuild with {name} >= {v_text}");
    let compatible = same_series(&current, &v);
    Some(Remediation {
        alternatives: Vec::new(),
        command: Some(command.clone()),
        compatible,
        explanation: format!(
            "the binary was built with {name} {current}; rebuild it from a Cargo.lock with {name} {v_text} or later (`cargo update -p {name}` in its workspace{})",
            if compatible {
                ""
            } else {
                ", after raising the requirement"
            }
        ),
        fixes: vec![adv.id.clone()],
        newer_compatible: None,
        outcome: Outcome::Rebuild,
        steps: vec![Step::Manual {
            compatible,
            instruction: command,
            package: name.clone(),
            version: f.package.version.clone(),
        }],
        target: Some(format!("{name} {v_text}")),
        verified: false,
    })
}

/// Would a `^current` requirement accept `v`?
fn same_series(current: &semver::Version, v: &semver::Version) -> bool {
    match (current.major, current.minor) {
        (0, 0) => v.major == 0 && v.minor == 0 && v.patch == current.patch,
        (0, m) => v.major == 0 && v.minor == m,
        (m, _) => v.major == m,
    }
}

/// The options every binary of a run is audited with, when no `--source` workspace
/// gives its own: the flags and `--config` only (a binary has no policy files beside it).
pub fn options_without_source(
    policy: &crate::input::policy::Policy,
    paths: &str,
    check_yanked: bool,
    today: i64,
) -> Result<AuditOptions, AppError> {
    let mut opts = AuditOptions {
        paths_limit: parse_paths_limit(paths)?,
        registry: Some(Arc::new(Registry::for_workspace(None))),
        check_yanked,
        today,
        ..Default::default()
    };
    opts.apply_policy(policy);
    Ok(opts)
}

/// `cargo depaudit bin FILE…`.
pub fn run(args: &BinArgs, out: &mut Output) -> Result<i32, AppError> {
    out.quiet = args.common.quiet;
    let targets = args.common.report_targets().map_err(AppError::Usage)?;
    let color = out.color_for(&args.common.color).map_err(AppError::Usage)?;
    let today = advisories_cache::info::today_days();
    // The binaries first: each bad one is its error line, and the database is then
    // opened for the crates they hold only.
    let mut loaded = Vec::with_capacity(args.files.len());
    let mut errors = 0;
    for path in &args.files {
        match binary::load(path) {
            Ok(bin) if bin.info.data == DataSource::None => {
                out.error(&format!(
                    "{}: {}",
                    crate::pathtext::display(path),
                    binary::NO_DATA
                ));
                errors += 1;
            }
            Ok(bin) => loaded.push((path, bin)),
            Err(e) => {
                out.error(&e.to_string());
                errors += 1;
            }
        }
    }
    if loaded.is_empty() {
        // Every file had its error line; nothing could be audited.
        return Ok(exit::ERROR);
    }
    let mut names: Vec<&str> = loaded
        .iter()
        .flat_map(|(_, b)| b.lock.packages.iter().map(|p| p.name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    // With the workspace it was built from: its lockfile audited as usual (its policy
    // files, its database options), whose remediations the binaries' findings take.
    let (db, mut opts, source) = match &args.source {
        Some(dir) => {
            // A Cargo.lock is read alone (nothing is run); a folder or manifest as
            // `audit --manifest-path` reads it (members and their manifests).
            let (file, manifest) = if dir.is_dir() {
                (None, Some(dir.join("Cargo.toml")))
            } else if dir.file_name().is_some_and(|n| n == "Cargo.lock") {
                (Some(dir.clone()), None)
            } else {
                (None, Some(dir.clone()))
            };
            let a = AuditArgs {
                manifest_path: manifest,
                file,
                common: args.common.clone(),
                ..Default::default()
            };
            let prepared = prepare_audit(&a, out)?;
            let report = prepared.audit();
            (prepared.db, prepared.opts, Some(report))
        }
        None => {
            let flags = policy::Overrides {
                skip_workspace_files: true,
                ..crate::prepare::overrides(&args.common.policy, args.common.db.max_db_age)
            };
            let p = policy::load(Path::new(""), &flags, today)?;
            for w in &p.warnings {
                out.warn(w);
            }
            let opts =
                options_without_source(&p, &args.common.paths, !args.common.no_yanked, today)?;
            let db = open_database(
                &args.common.db,
                args.common.offline,
                p.max_db_age_days.value,
                Some(&names),
                out,
            )?;
            for w in policy::unknown_ignores(&p.ignores, &db) {
                out.warn(&w);
            }
            (db, opts, None)
        }
    };
    opts.deny_build_only = args.deny_build_deps;
    let reports: Vec<AuditReport> = loaded
        .iter()
        .map(|(path, bin)| audit_binary(&db, bin, path, &opts, source.as_ref()))
        .collect();
    // What the SBOM and VEX formats list: each binary's embedded packages and roots.
    let inventories: Vec<report::Inventory> = loaded
        .iter()
        .map(|(_, bin)| report::Inventory {
            lock: &bin.lock,
            roots: crate::audit::paths::roots(&bin.lock, None),
            time: report::document_time(),
        })
        .collect();
    for (format, path) in &targets {
        let terminal = path.is_none() && std::io::stdout().is_terminal();
        let text = render_all(
            &reports,
            &inventories,
            *format,
            color && path.is_none(),
            !args.common.no_tree,
            terminal,
        );
        crate::report::write(path.as_deref(), &text, out)?;
    }
    if targets.iter().all(|(_, p)| p.is_some()) {
        for r in &reports {
            out.status(&report::table::summary_line(r, false));
        }
    }
    opts.save_registry_digest();
    Ok(if errors > 0 {
        exit::ERROR
    } else if reports.iter().any(AuditReport::fails) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// Several binaries' reports in one format: one after another (JSON: one document per
/// line), SARIF as one log with a run per binary.
fn render_all(
    reports: &[AuditReport],
    inventories: &[report::Inventory],
    format: Format,
    color: bool,
    tree: bool,
    terminal: bool,
) -> String {
    if let ([one], [inventory]) = (reports, inventories) {
        return report::render(one, format, color, tree, terminal, inventory);
    }
    match format {
        Format::Sarif => {
            let roots = |r: &AuditReport| report::Roots::of(&r.lockfile.location);
            let mut log = report::sarif::sarif_value(&reports[0], &roots(&reports[0]));
            for r in &reports[1..] {
                let next = report::sarif::sarif_value(r, &roots(r));
                if let (Some(runs), Some(more)) =
                    (log["runs"].as_array_mut(), next["runs"].as_array())
                {
                    runs.extend(more.iter().cloned());
                }
            }
            let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Json => reports
            .iter()
            .map(|r| report::json::render(r, false))
            .collect(),
        _ => reports
            .iter()
            .zip(inventories)
            .map(|(r, inv)| report::render(r, format, color, tree, terminal, inv))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}
