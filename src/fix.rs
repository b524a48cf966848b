//! `cargo depaudit fix`: applies the remediation plan with the real `cargo update`, one
//! step at a time, then re-audits and says what is fixed and what remains.
//!
//! Each step is a transaction: `Cargo.lock` and the manifest it may touch are read into
//! memory first, and written back byte for byte if the step fails, so a failed step leaves
//! the workspace exactly as it was. Steps run in rounds — after each round the workspace is
//! audited again and a fresh plan made — because one bump can change what the next needs
//! (a parent's new release may already pull in the patched version).

use crate::app::{AppError, Prepared, exit, prepare_audit};
use crate::cli::{AuditArgs, FixArgs};
use crate::findings::{AuditReport, FindingKind};
use crate::manifest;
use crate::output::Output;
use crate::remediation::{Outcome, Step};
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Rounds of plan → apply → re-audit.
const MAX_ROUNDS: usize = 5;

/// One planned step and the advisories it is meant to fix.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// The step.
    pub step: Step,
    /// As one line.
    pub command: String,
    /// Advisory ids.
    pub fixes: Vec<String>,
}

/// A step that was not (or could not be) applied, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotApplied {
    /// As one line.
    pub command: String,
    /// Why.
    pub reason: String,
}

/// A finding, for the before/after lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Found {
    /// Advisory id.
    pub id: String,
    /// Crate.
    pub package: String,
    /// Version.
    pub version: String,
    /// What the remediation said (for remaining ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
}

/// The plan for a report: steps in order (deduplicated), and what was left out.
pub fn plan(report: &AuditReport, allow_manifest_edits: bool) -> (Vec<Planned>, Vec<NotApplied>) {
    let mut steps: Vec<Planned> = Vec::new();
    let mut skipped: Vec<NotApplied> = Vec::new();
    for f in &report.findings {
        let (Some(r), Some(a)) = (&f.remediation, &f.advisory) else {
            continue;
        };
        if f.ignored || f.kind == FindingKind::Yanked || r.outcome == Outcome::NoFix {
            continue;
        }
        let command = r.command.clone().unwrap_or_default();
        let manual = r.steps.iter().any(|s| matches!(s, Step::Manual { .. }));
        let edits = r
            .steps
            .iter()
            .any(|s| matches!(s, Step::ManifestEdit { .. }));
        let reason = if manual {
            Some("needs a change only a person can make".to_string())
        } else if edits && !allow_manifest_edits {
            Some("edits a manifest: pass --allow-manifest-edits".to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            if !skipped.iter().any(|s| s.command == command) {
                skipped.push(NotApplied { command, reason });
            }
            continue;
        }
        for s in &r.steps {
            match steps.iter_mut().find(|p| p.step == *s) {
                Some(p) => {
                    if !p.fixes.contains(&a.id) {
                        p.fixes.push(a.id.clone());
                    }
                }
                None => steps.push(Planned {
                    step: s.clone(),
                    command: s.command(),
                    fixes: vec![a.id.clone()],
                }),
            }
        }
    }
    (steps, skipped)
}

/// Runs `fix`.
pub fn run(args: &FixArgs, out: &mut Output) -> Result<i32, AppError> {
    out.quiet = args.quiet;
    let audit_args = AuditArgs {
        manifest_path: args.manifest_path.clone(),
        db: args.db.clone(),
        offline: args.offline,
        policy: args.policy.clone(),
        no_yanked: true,
        online_index: args.online_index,
        paths: "1".into(),
        color: "never".into(),
        ..Default::default()
    };
    let first = prepare_audit(&audit_args, out)?;
    let Some(ws) = first.opts.workspace.clone() else {
        return Err(AppError::Usage(
            "fix needs a cargo workspace: `cargo metadata` did not run or failed here (pass --manifest-path)".into(),
        ));
    };
    let lockfile = first.lockfile_path.clone();
    let before = first.audit();
    first.opts.save_registry_digest();
    let (initial_plan, initial_skipped) = plan(&before, args.allow_manifest_edits);
    if args.dry_run {
        print_result(
            args,
            out,
            &FixResult {
                dry_run: true,
                plan: initial_plan,
                skipped: initial_skipped,
                ..FixResult::default()
            },
        );
        return Ok(exit::OK);
    }
    let mut result = FixResult {
        plan: initial_plan,
        skipped: initial_skipped,
        ..FixResult::default()
    };
    let mut attempted: HashSet<Step> = HashSet::new();
    let mut current: Option<Prepared> = Some(first);
    for _ in 0..MAX_ROUNDS {
        let prepared = match current.take() {
            Some(p) => p,
            None => prepare_audit(&audit_args, out)?,
        };
        let report = prepared.audit();
        let (steps, _) = plan(&report, args.allow_manifest_edits);
        let fresh: Vec<Planned> = steps
            .into_iter()
            .filter(|p| !attempted.contains(&p.step))
            .collect();
        if fresh.is_empty() {
            break;
        }
        for p in fresh {
            attempted.insert(p.step.clone());
            // An earlier step may already have moved this package (one series per
            // lockfile): then there is nothing left to update.
            if let Step::Update { package, from, .. } = &p.step
                && !is_locked(&lockfile, package, from)
            {
                continue;
            }
            out.status(&format!("Applying: {}", p.command));
            match apply(&p.step, &ws.root, &lockfile, args.offline) {
                Ok(()) => result.applied.push(p.command),
                Err(reason) => {
                    out.warn(&format!(
                        "step failed, Cargo.lock and manifests restored: {}: {reason}",
                        p.command
                    ));
                    result.failed.push(NotApplied {
                        command: p.command,
                        reason,
                    });
                }
            }
        }
    }
    let after = prepare_audit(&audit_args, out)?.audit();
    let found = |r: &AuditReport| -> Vec<Found> {
        r.findings
            .iter()
            .filter(|f| f.advisory.is_some() && !f.ignored)
            .map(|f| Found {
                id: f.id().to_string(),
                package: f.package.name.clone(),
                version: f.package.version.clone(),
                outcome: f.remediation.as_ref().map(|r| r.outcome.as_str()),
            })
            .collect()
    };
    let after_found = found(&after);
    let key = |f: &Found| (f.id.clone(), f.package.clone(), f.version.clone());
    let after_keys: HashSet<_> = after_found.iter().map(key).collect();
    result.fixed = found(&before)
        .into_iter()
        .filter(|f| !after_keys.contains(&key(f)))
        .map(|f| Found { outcome: None, ..f })
        .collect();
    result.remaining = after_found;
    // A failed step matters when something is left; if later rounds fixed it anyway,
    // the warning and the `failed` list say what happened.
    let code = match (after.fails(), result.failed.is_empty()) {
        (false, _) => exit::OK,
        (true, true) => exit::FINDINGS,
        (true, false) => exit::ERROR,
    };
    print_result(args, out, &result);
    Ok(code)
}

/// What `fix` did.
#[derive(Debug, Default, Serialize)]
pub struct FixResult {
    /// Only planned.
    pub dry_run: bool,
    /// The first round's plan.
    pub plan: Vec<Planned>,
    /// Left out of the plan, and why.
    pub skipped: Vec<NotApplied>,
    /// Commands applied (all rounds).
    pub applied: Vec<String>,
    /// Commands that failed and were rolled back.
    pub failed: Vec<NotApplied>,
    /// Findings gone after the fix.
    pub fixed: Vec<Found>,
    /// Findings still there.
    pub remaining: Vec<Found>,
}

fn print_result(args: &FixArgs, out: &mut Output, r: &FixResult) {
    if args.json {
        out.stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(r).unwrap_or_default()
        ));
        return;
    }
    let mut t = String::new();
    t.push_str(&format!(
        "{} ({} step{}):\n",
        if r.dry_run { "Plan, dry run" } else { "Plan" },
        r.plan.len(),
        if r.plan.len() == 1 { "" } else { "s" }
    ));
    for (i, p) in r.plan.iter().enumerate() {
        t.push_str(&format!(
            "  {}. {}  (fixes {})\n",
            i + 1,
            p.command,
            p.fixes.join(", ")
        ));
    }
    for s in &r.skipped {
        t.push_str(&format!("  skipped: {} ({})\n", s.command, s.reason));
    }
    if !r.dry_run {
        for a in &r.applied {
            t.push_str(&format!("applied: {a}\n"));
        }
        for f in &r.failed {
            t.push_str(&format!(
                "failed (rolled back): {}: {}\n",
                f.command, f.reason
            ));
        }
        for f in &r.fixed {
            t.push_str(&format!("fixed: {} ({} {})\n", f.id, f.package, f.version));
        }
        for f in &r.remaining {
            t.push_str(&format!(
                "remaining: {} ({} {}){}\n",
                f.id,
                f.package,
                f.version,
                f.outcome.map(|o| format!(": {o}")).unwrap_or_default()
            ));
        }
    }
    out.stdout(&t);
}

/// Is `package from` still in the lockfile?
fn is_locked(lockfile: &Path, package: &str, from: &str) -> bool {
    crate::lockfile::load(lockfile).is_ok_and(|l| {
        l.packages
            .iter()
            .any(|p| p.name == package && p.version.to_string() == from)
    })
}

/// Applies one step, restoring every file it may have touched when it fails.
fn apply(step: &Step, root: &Path, lockfile: &Path, offline: bool) -> Result<(), String> {
    let mut files: Vec<PathBuf> = vec![lockfile.to_path_buf()];
    if let Step::ManifestEdit {
        manifest: Some(m), ..
    } = step
    {
        files.push(PathBuf::from(m));
    }
    let backup = Backup::take(&files)?;
    let result = run_step(step, root, offline);
    if result.is_err() {
        backup.restore()?;
    }
    result
}

fn run_step(step: &Step, root: &Path, offline: bool) -> Result<(), String> {
    match step {
        Step::Update { package, from, to } => cargo(
            root,
            &[
                "update",
                "-p",
                &format!("{package}@{from}"),
                "--precise",
                to,
            ],
            offline,
        ),
        Step::ManifestEdit {
            manifest: Some(m),
            key,
            to_req,
            table_path,
            ..
        } if !table_path.is_empty() => {
            let loc = manifest::Location {
                file: PathBuf::from(m),
                line: 0,
                workspace: false,
                path: table_path.clone(),
            };
            manifest::set_requirement(&loc, to_req).map_err(|e| format!("{key}: {e}"))?;
            cargo(root, &["update", "--workspace"], offline)
        }
        other => Err(format!(
            "cannot be applied automatically: {}",
            other.command()
        )),
    }
}

fn cargo(root: &Path, args: &[&str], offline: bool) -> Result<(), String> {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.args(args)
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .stdin(std::process::Stdio::null());
    if offline {
        cmd.arg("--offline");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error"))
        .or_else(|| stderr.lines().next())
        .unwrap_or("cargo failed");
    Err(line.trim().to_string())
}

/// Files read into memory before a step, written back if it fails.
struct Backup(Vec<(PathBuf, Option<Vec<u8>>)>);

impl Backup {
    fn take(files: &[PathBuf]) -> Result<Backup, String> {
        let mut saved = Vec::new();
        for f in files {
            let bytes = match std::fs::read(f) {
                Ok(b) => Some(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(format!("cannot back up {}: {e}", f.display())),
            };
            saved.push((f.clone(), bytes));
        }
        Ok(Backup(saved))
    }

    fn restore(&self) -> Result<(), String> {
        for (path, bytes) in &self.0 {
            let r = match bytes {
                Some(b) => write_atomic(path, b),
                None => std::fs::remove_file(path).or_else(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        Ok(())
                    } else {
                        Err(e)
                    }
                }),
            };
            r.map_err(|e| format!("could not restore {}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// Writes through a sibling temporary file and a rename, so a crash mid-restore leaves
/// either the old or the new bytes.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("depaudit-restore");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
