//! `cargo depaudit fix`: applies remediation plans with the real `cargo update`, one plan
//! at a time, and judges every result by auditing it again.
//!
//! - **A plan is atomic.** Every step of one finding's plan (the manifest edits that must
//!   hold together, the packages that move along) is applied as one transaction:
//!   `Cargo.lock` and each manifest it touches are read into memory first and written
//!   back byte for byte if any step fails, if the re-audit shows the plan removed none
//!   of the advisories it was for, if it would bring in an advisory that was not there,
//!   or if a build check it needs newly fails.
//! - **A refusal is not the end.** When cargo refuses `--precise`, the plan's packages are
//!   unlocked together (`cargo update -p A -p B`) and, failing that, with `--recursive`;
//!   when that fails too, the refused target is excluded and the next round plans the
//!   next candidate. cargo's own reason is kept per step.
//! - **The result is a real re-audit**, keyed by (advisory, crate): gone is *fixed*,
//!   still there (on any version) is *open*, there now but not before is *introduced*,
//!   which fails the run.
//! - **Semver-incompatible steps** are applied only with `--allow-breaking`, each
//!   followed by `cargo check --workspace --all-targets` and rolled back when the
//!   workspace built before and no longer does; `--check` does that for every plan.
//!   A build check runs the project's build scripts and proc-macros: only these flags
//!   do that, because the user asked for it.
//!
//! Steps run in rounds: after each round the workspace is audited again and planned
//! afresh, because one bump can change what the next needs.

use crate::audit::findings::{AuditReport, FindingKind};
use crate::audit::remediation::{Outcome, Settings, Step};
use crate::cli::{AuditArgs, FixArgs};
use crate::error::{AppError, exit};
use crate::input::manifest;
use crate::output::Output;
use crate::prepare::{Prepared, prepare_audit};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Rounds of plan → apply → re-audit.
const MAX_ROUNDS: usize = 10;

/// One plan: the steps that fix one crate's advisories, applied together.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// The crate whose advisories it fixes.
    pub package: String,
    /// Its locked version(s).
    pub versions: Vec<String>,
    /// Advisory ids it is meant to fix.
    pub fixes: Vec<String>,
    /// One runnable command (or manifest line to write) per step, in order.
    pub commands: Vec<String>,
    /// The steps.
    pub steps: Vec<Step>,
    /// `lockfile-update` or `bump-parent`.
    pub outcome: &'static str,
    /// Why, from the same data as the steps (the remediation's explanation).
    pub explanation: String,
    /// Every step within semver compatibility.
    pub compatible: bool,
    /// (advisory, crate) pairs it is meant to remove.
    #[serde(skip)]
    pub targets: Vec<(String, String)>,
    /// For the last round: plain `cargo` arguments run instead of the steps.
    #[serde(skip)]
    pub raw: Option<Vec<String>>,
    /// Other plans for the same locked packages, left out because this one fixes more
    /// (after it runs they no longer apply as written; the next round re-plans).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Vec<String>>,
}

/// A plan that was not applied, or was undone, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotApplied {
    /// The crate.
    pub package: String,
    /// The plan's commands.
    pub commands: Vec<String>,
    /// Advisory ids it was for.
    pub fixes: Vec<String>,
    /// Why (for a refusal: cargo's own line).
    pub reason: String,
}

/// A plan that was applied.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    /// The crate.
    pub package: String,
    /// What was run, in order (may differ from the plan when `--precise` was refused and
    /// the packages were unlocked together).
    pub commands: Vec<String>,
    /// Advisory ids it was for.
    pub fixes: Vec<String>,
    /// Checked with `cargo check` afterwards.
    pub build_checked: bool,
    /// Seconds it took, cargo included.
    pub seconds: f64,
}

/// An (advisory, crate) pair before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// Advisory id.
    pub id: String,
    /// Kind (`vulnerability`, `unsound`, …).
    pub kind: &'static str,
    /// Crate.
    pub package: String,
    /// Its affected locked versions before `fix`.
    pub before: Vec<String>,
    /// Its affected locked versions now (empty: fixed).
    pub after: Vec<String>,
    /// For open ones: what the remediation says now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    /// For open ones: the reason from the plan (why no fix, or what it needs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// What `fix` did.
#[derive(Debug, Default, Serialize)]
pub struct FixResult {
    /// Only planned.
    pub dry_run: bool,
    /// The first round's plans.
    pub plan: Vec<Planned>,
    /// Left out of the plan, and why.
    pub skipped: Vec<NotApplied>,
    /// Findings in scope with no fix at the start, and why (the remediation's reason).
    pub no_fix: Vec<NotApplied>,
    /// Plans applied (all rounds).
    pub applied: Vec<Applied>,
    /// Plans cargo refused (every fallback included); the next round tried the next
    /// candidate.
    pub refused: Vec<NotApplied>,
    /// Plans undone after they ran: nothing they were for was removed, they brought in
    /// an advisory, or a build check newly failed.
    pub rolled_back: Vec<NotApplied>,
    /// (advisory, crate) pairs gone.
    pub fixed: Vec<Found>,
    /// Pairs still there.
    pub open: Vec<Found>,
    /// Pairs there now that were not before `fix`, of every kind; one the gate denies
    /// fails the run (and a plan that would bring one in is rolled back).
    pub introduced: Vec<Found>,
    /// Some introduced pair is denied by the gate.
    pub introduced_denied: bool,
    /// Open pairs in scope that still have a fix `fix` did not apply.
    pub fixable_left: usize,
    /// Packages whose locked versions changed.
    pub packages_changed: usize,
    /// Whether the workspace built before (`None`: never checked).
    pub built_before: Option<bool>,
}

/// Which findings a plan is made for.
#[derive(Clone, Copy)]
struct Scope {
    all: bool,
    allow_manifest_edits: bool,
    allow_breaking: bool,
}

/// The plans for a report: one per distinct remediation, most fixes first; plans that
/// move a package another plan already moves become its alternatives.
fn plans(report: &AuditReport, scope: Scope) -> (Vec<Planned>, Vec<NotApplied>, Vec<NotApplied>) {
    let mut by_steps: Vec<Planned> = Vec::new();
    let mut no_fix: Vec<NotApplied> = Vec::new();
    for f in &report.findings {
        let (Some(r), Some(a)) = (&f.remediation, &f.advisory) else {
            continue;
        };
        if f.ignored || f.kind == FindingKind::Yanked || (!scope.all && !report.is_denied(f)) {
            continue;
        }
        if r.outcome == Outcome::NoFix {
            // Said, so a person knows what is left and why.
            match no_fix
                .iter_mut()
                .find(|n| n.package == f.package.name && n.reason == r.explanation)
            {
                Some(n) => {
                    if !n.fixes.contains(&a.id) {
                        n.fixes.push(a.id.clone());
                    }
                }
                None => no_fix.push(NotApplied {
                    package: f.package.name.clone(),
                    commands: Vec::new(),
                    fixes: vec![a.id.clone()],
                    reason: r.explanation.clone(),
                }),
            }
            continue;
        }
        match by_steps.iter_mut().find(|p| p.steps == r.steps) {
            Some(p) => {
                if !p.fixes.contains(&a.id) {
                    p.fixes.push(a.id.clone());
                }
                let t = (a.id.clone(), f.package.name.clone());
                if !p.targets.contains(&t) {
                    p.targets.push(t);
                }
                if !p.versions.contains(&f.package.version) {
                    p.versions.push(f.package.version.clone());
                }
            }
            None => by_steps.push(Planned {
                package: f.package.name.clone(),
                versions: vec![f.package.version.clone()],
                fixes: vec![a.id.clone()],
                commands: r.steps.iter().map(Step::command).collect(),
                steps: r.steps.clone(),
                outcome: r.outcome.as_str(),
                explanation: r.explanation.clone(),
                compatible: r.compatible,
                targets: vec![(a.id.clone(), f.package.name.clone())],
                raw: None,
                alternatives: Vec::new(),
            }),
        }
    }
    let mut skipped = Vec::new();
    let mut kept: Vec<Planned> = Vec::new();
    by_steps.sort_by(|a, b| {
        b.fixes
            .len()
            .cmp(&a.fixes.len())
            .then(a.package.cmp(&b.package))
    });
    for p in by_steps {
        let manual = p.steps.iter().any(|s| matches!(s, Step::Manual { .. }));
        let edits = p
            .steps
            .iter()
            .any(|s| matches!(s, Step::ManifestEdit { .. }));
        let reason = if manual {
            Some("needs a change only a person can make".to_string())
        } else if !p.compatible && !scope.allow_breaking {
            Some(
                "semver-incompatible (may need code changes): pass --allow-breaking, which also build-checks it"
                    .to_string(),
            )
        } else if edits && !scope.allow_manifest_edits && !scope.allow_breaking {
            Some("edits a manifest: pass --allow-manifest-edits".to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            skipped.push(NotApplied {
                package: p.package.clone(),
                commands: p.commands.clone(),
                fixes: p.fixes.clone(),
                reason,
            });
            continue;
        }
        match kept.iter_mut().find(|k| conflicts(&k.steps, &p.steps)) {
            Some(k) => {
                if !merge_edits(k, &p) {
                    k.alternatives.push(p.commands);
                }
            }
            None => kept.push(p),
        }
    }
    (kept, skipped, no_fix)
}

/// Two plans that only raise the same manifest lines (a crate's own advisories and
/// those of a crate below it, say) become one: each line gets the higher of the two
/// requirements, so one edit serves both. The re-audit judges the result.
fn merge_edits(into: &mut Planned, other: &Planned) -> bool {
    let lines = |p: &Planned| -> Option<Vec<(Option<String>, String)>> {
        p.steps
            .iter()
            .map(|s| match s {
                Step::ManifestEdit { manifest, key, .. } => Some((manifest.clone(), key.clone())),
                _ => None,
            })
            .collect()
    };
    let (Some(a), Some(b)) = (lines(into), lines(other)) else {
        return false;
    };
    if a.iter().collect::<BTreeSet<_>>() != b.iter().collect::<BTreeSet<_>>() {
        return false;
    }
    let version = |r: &str| semver::Version::parse(r).ok();
    for s in &mut into.steps {
        let Step::ManifestEdit {
            manifest,
            key,
            to_req,
            compatible,
            ..
        } = s
        else {
            continue;
        };
        let Some(Step::ManifestEdit {
            to_req: theirs,
            compatible: their_compatible,
            ..
        }) = other.steps.iter().find(|o| {
            matches!(o, Step::ManifestEdit { manifest: m, key: k, .. } if m == manifest && k == key)
        })
        else {
            continue;
        };
        if let (Some(mine), Some(t)) = (version(to_req), version(theirs))
            && t > mine
        {
            *to_req = theirs.clone();
            *compatible = *their_compatible;
        }
    }
    for id in &other.fixes {
        if !into.fixes.contains(id) {
            into.fixes.push(id.clone());
        }
    }
    for t in &other.targets {
        if !into.targets.contains(t) {
            into.targets.push(t.clone());
        }
    }
    into.compatible = into.steps.iter().all(Step::compatible);
    into.commands = into.steps.iter().map(Step::command).collect();
    into.package = format!("{}, {}", into.package, other.package);
    true
}

/// Do two plans move the same locked package, or edit the same requirement?
fn conflicts(a: &[Step], b: &[Step]) -> bool {
    let touched = |steps: &[Step]| -> Vec<String> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Update { package, from, .. } => Some(format!("{package}@{from}")),
                Step::ManifestEdit {
                    manifest,
                    line,
                    key,
                    ..
                } => Some(format!("{manifest:?}:{line:?}:{key}")),
                Step::Manual { .. } => None,
            })
            .collect()
    };
    let ta = touched(a);
    touched(b).iter().any(|t| ta.contains(t))
}

/// (advisory, crate) → (kind, affected locked versions, denied by the gate), for every
/// advisory finding that is not ignored.
type Pairs = BTreeMap<(String, String), (&'static str, BTreeSet<String>, bool)>;

fn pairs(report: &AuditReport) -> Pairs {
    let mut out: Pairs = BTreeMap::new();
    for f in &report.findings {
        if f.advisory.is_none() || f.ignored || f.kind == FindingKind::Yanked {
            continue;
        }
        let e = out
            .entry((f.id().to_string(), f.package.name.clone()))
            .or_insert_with(|| (f.kind.as_str(), BTreeSet::new(), false));
        e.1.insert(f.package.version.clone());
        e.2 |= report.is_denied(f);
    }
    out
}

/// The fix run's fixed state: where, how, and what cargo may and may not do.
struct Ctx<'a> {
    /// The database and policy of the run, for the re-audit after each plan.
    db: &'a advisories_cache::Database,
    /// The audit options (no remediation: the re-audit only counts findings).
    opts: crate::audit::AuditOptions,
    root: PathBuf,
    lockfile: PathBuf,
    offline: bool,
    check_all: bool,
    out: &'a mut Output,
    built_before: Option<bool>,
}

/// Runs `fix`.
pub fn run(args: &FixArgs, out: &mut Output) -> Result<i32, AppError> {
    out.quiet = args.quiet;
    let mut audit_args = AuditArgs {
        manifest_path: args.manifest_path.clone(),
        // Re-audits judge which findings are gone; reading sources adds nothing there.
        no_reachability: true,
        online_index: args.online_index,
        common: crate::cli::CommonArgs {
            db: args.db.clone(),
            offline: args.offline,
            policy: args.policy.clone(),
            no_yanked: true,
            paths: "1".into(),
            color: "never".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let manifest = args
        .manifest_path
        .clone()
        .unwrap_or_else(|| PathBuf::from("Cargo.toml"));
    if !manifest.is_file() {
        return Err(AppError::Usage(format!(
            "{}: no such manifest (fix needs a cargo workspace; pass --manifest-path)",
            manifest.display()
        )));
    }
    // Before anything: the manifests parse, the lockfile is current, the registry can be
    // read. This also says which features the graph enables on each package.
    let features = preflight(&manifest, args.offline)?;
    audit_args.manifest_path = Some(manifest.clone());
    let mut settings = Settings {
        allow_prerelease: args.allow_prerelease,
        enabled_features: Some(std::sync::Arc::new(features)),
        refused: Vec::new(),
        avoid: None,
        try_removal: true,
        thorough: true,
        kinds: None,
    };
    let prepare = |settings: &Settings, out: &mut Output| -> Result<Prepared, AppError> {
        let mut p = prepare_audit(&audit_args, out)?;
        p.opts.remediation = settings.clone();
        Ok(p)
    };
    let mut first = prepare(&settings, out)?;
    settings.avoid = Some(std::sync::Arc::new(avoid_list(&first.db)));
    if !args.all {
        settings.kinds = Some(first.opts.denied_kinds.clone());
    }
    let Some(ws) = first.opts.workspace.clone() else {
        return Err(AppError::Usage(format!(
            "{}: fix needs a cargo workspace: `cargo metadata` did not run or failed here",
            manifest.display()
        )));
    };
    let lockfile = first.lockfile_path.clone();
    let scope = Scope {
        all: args.all,
        allow_manifest_edits: args.allow_manifest_edits,
        allow_breaking: args.allow_breaking,
    };
    // The avoid list and kinds need the database, so they join the settings now.
    first.opts.remediation = settings.clone();
    let before = first.audit();
    first.opts.save_registry_digest();
    let (initial_plan, initial_skipped, initial_no_fix) = plans(&before, scope);
    if args.dry_run {
        print_result(
            args,
            out,
            &FixResult {
                dry_run: true,
                plan: initial_plan,
                skipped: initial_skipped,
                no_fix: initial_no_fix,
                ..FixResult::default()
            },
        );
        return Ok(exit::OK);
    }
    // Nothing is written to a lockfile made read-only in a writable folder (refused even
    // for root, who could write it: someone protected that one file), or to a git work
    // tree whose lockfile or manifests have changes of their own.
    if protected(&lockfile) {
        return Err(AppError::Usage(format!(
            "{}: the lockfile is read-only; fix changes nothing",
            lockfile.display()
        )));
    }
    if !args.allow_dirty
        && let Some(dirty) = dirty_files(&ws.root)
    {
        return Err(AppError::Usage(format!(
            "{}: uncommitted changes to {dirty}; commit or stash them, or pass --allow-dirty",
            ws.root.display()
        )));
    }
    let before_lock = crate::input::lockfile::load(&lockfile)?;
    let before_pairs = pairs(&before);
    let mut result = FixResult {
        plan: initial_plan,
        skipped: initial_skipped,
        no_fix: initial_no_fix,
        ..FixResult::default()
    };
    let mut check_opts = first.opts.clone();
    check_opts.remediate = false;
    let mut ctx = Ctx {
        db: &first.db,
        opts: check_opts,
        root: ws.root.clone(),
        lockfile: lockfile.clone(),
        offline: args.offline,
        check_all: args.check,
        out,
        built_before: None,
    };
    let mut attempted: HashSet<Vec<Step>> = HashSet::new();
    // The first round plans from the audit already made; later ones audit again.
    let mut first_report = Some(before);
    for _ in 0..MAX_ROUNDS {
        let report = match first_report.take() {
            Some(r) => r,
            None => prepare(&settings, ctx.out)?.audit(),
        };
        let (round, _, _) = plans(&report, scope);
        let fresh: Vec<Planned> = round
            .into_iter()
            .filter(|p| !attempted.contains(&p.steps))
            .collect();
        if fresh.is_empty() {
            break;
        }
        let mut state = pairs(&report);
        for p in fresh {
            attempted.insert(p.steps.clone());
            // An earlier plan of this round may have moved one of its packages: the next
            // round plans it again from what is locked then.
            if !still_locked(&lockfile, &p.steps) {
                attempted.remove(&p.steps);
                continue;
            }
            ctx.out.status(&format!(
                "Applying ({}): {}",
                p.fixes.join(", "),
                p.commands.join(" ; ")
            ));
            match apply_and_record(&p, &mut ctx, &mut state, &before_pairs, &mut result.applied)? {
                None => {}
                Some(Undone::Refused { reason, target }) => {
                    ctx.out.warn(&format!(
                        "cargo refused, files restored: {}: {reason}",
                        p.commands.join(" ; ")
                    ));
                    if let Some(t) = target {
                        settings.refused.push(t);
                    }
                    result.refused.push(not_applied(&p, reason));
                }
                Some(Undone::RolledBack { reason, retry }) => {
                    ctx.out.warn(&format!(
                        "rolled back: {}: {reason}",
                        p.commands.join(" ; ")
                    ));
                    // The next candidate may do better (not after a broken build: each
                    // try would cost a build).
                    if retry && let Some(t) = plan_target(&p) {
                        settings.refused.push(t);
                    }
                    result.rolled_back.push(not_applied(&p, reason));
                }
            }
        }
        // Refused targets are excluded from now on: re-plan even plans tried already.
        if !settings.refused.is_empty() {
            attempted.retain(|steps| {
                !steps
                    .iter()
                    .any(|s| step_target(s).is_some_and(|t| settings.refused.contains(&t)))
            });
        }
    }
    // Last round: what the plans could not remove, cargo's own choice for that one
    // package (the newest version its dependents allow), then with its dependencies —
    // each judged like a plan, so it stays only if it removes what it is for and brings
    // in nothing.
    let report = prepare(&settings, ctx.out)?.audit();
    let mut state = pairs(&report);
    let mut tried: HashSet<String> = HashSet::new();
    let mut todo: Vec<(String, String)> = Vec::new();
    for f in &report.findings {
        let Some(a) = &f.advisory else { continue };
        let in_scope = args.all || report.is_denied(f);
        let fixable = crate::audit::remediation::has_fix(a);
        let key = (a.id.clone(), f.package.name.clone());
        if !f.ignored
            && f.kind != FindingKind::Yanked
            && in_scope
            && fixable
            && !todo.contains(&key)
        {
            todo.push(key);
        }
    }
    for key in todo {
        // The versions locked now: an earlier try may have moved (or removed) them.
        let Some(version) = state
            .get(&key)
            .and_then(|(_, v, _)| v.iter().next().cloned())
        else {
            continue;
        };
        let a_id = key.0.clone();
        let package = key.1.clone();
        let spec = format!("{package}@{version}");
        // Third: the package with every registry package above it, as cargo update
        // would move them, but nothing else.
        let mut above = vec!["update".to_string()];
        if let Ok(lock) = crate::input::lockfile::load(&lockfile) {
            for i in ancestors(&lock, &package, &version) {
                let p = &lock.packages[i];
                above.push("-p".into());
                above.push(format!("{}@{}", p.name, p.version));
            }
        }
        let tries = [
            vec!["update".to_string(), "-p".to_string(), spec.clone()],
            vec![
                "update".to_string(),
                "-p".to_string(),
                spec.clone(),
                "--recursive".to_string(),
            ],
            above.clone(),
            // Fourth: the same with everything below them.
            if above.len() > 1 {
                [above, vec!["--recursive".to_string()]].concat()
            } else {
                Vec::new()
            },
        ];
        for raw in tries {
            if raw.len() < 3
                || !tried.insert(raw.join(" "))
                || !is_locked(&lockfile, &package, &version)
            {
                continue;
            }
            let p = Planned {
                package: package.clone(),
                versions: vec![version.clone()],
                fixes: vec![a_id.clone()],
                commands: vec![format!("cargo {}", raw.join(" "))],
                steps: Vec::new(),
                outcome: "lockfile-update",
                explanation: "cargo's own update of the package (last round)".into(),
                compatible: true,
                targets: state
                    .keys()
                    .filter(|(_, c)| *c == package)
                    .cloned()
                    .collect(),
                raw: Some(raw),
                alternatives: Vec::new(),
            };
            ctx.out
                .status(&format!("Applying ({a_id}): {}", p.commands[0]));
            // Undone and not counted against the run when it fails: this was a last try.
            if apply_and_record(&p, &mut ctx, &mut state, &before_pairs, &mut result.applied)?
                .is_none()
            {
                break;
            }
        }
    }
    let after_prepared = prepare(&settings, ctx.out)?;
    let after = after_prepared.audit();
    after_prepared.opts.save_registry_digest();
    let built_before = ctx.built_before;
    let after_pairs = pairs(&after);
    let remediation_of = |id: &str, pkg: &str| {
        after
            .findings
            .iter()
            .find(|f| f.id() == id && f.package.name == pkg)
            .and_then(|f| f.remediation.as_ref())
    };
    for ((id, pkg), (kind, versions, _)) in &before_pairs {
        let now = after_pairs.get(&(id.clone(), pkg.clone()));
        let mut found = Found {
            id: id.clone(),
            kind,
            package: pkg.clone(),
            before: versions.iter().cloned().collect(),
            after: now
                .map(|(_, v, _)| v.iter().cloned().collect())
                .unwrap_or_default(),
            outcome: None,
            explanation: None,
        };
        if now.is_none() {
            result.fixed.push(found);
        } else {
            if let Some(r) = remediation_of(id, pkg) {
                found.outcome = Some(r.outcome.as_str());
                found.explanation = Some(r.explanation.clone());
            }
            result.open.push(found);
        }
    }
    for ((id, pkg), (kind, versions, denied)) in &after_pairs {
        if !before_pairs.contains_key(&(id.clone(), pkg.clone())) {
            result.introduced_denied |= *denied;
            result.introduced.push(Found {
                id: id.clone(),
                kind,
                package: pkg.clone(),
                before: Vec::new(),
                after: versions.iter().cloned().collect(),
                outcome: None,
                explanation: None,
            });
        }
    }
    let (left, _, _) = plans(&after, scope);
    result.fixable_left = left.iter().map(|p| p.fixes.len()).sum();
    let after_lock = crate::input::lockfile::load(&lockfile)?;
    result.packages_changed = changed_packages(&before_lock, &after_lock);
    result.built_before = built_before;
    let trouble =
        !result.rolled_back.is_empty() || result.introduced_denied || result.fixable_left > 0;
    let code = if trouble || after.fails() {
        exit::FINDINGS
    } else {
        exit::OK
    };
    print_result(args, out, &result);
    Ok(code)
}

/// The registry packages (by index in `lock`) on some path from a root down to `name
/// version`, that one included: what a scoped `cargo update` may move to remove it.
fn ancestors(lock: &crate::input::lockfile::Lockfile, name: &str, version: &str) -> Vec<usize> {
    let Some(start) = lock
        .packages
        .iter()
        .position(|p| p.name == name && p.version.to_string() == version)
    else {
        return Vec::new();
    };
    let mut seen = vec![false; lock.packages.len()];
    let mut stack = vec![start];
    let mut out = Vec::new();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        if lock.packages[i].source.is_some() {
            out.push(i);
        }
        stack.extend(lock.graph.rdeps[i].iter().map(|&d| d as usize));
    }
    out
}

/// The version a step moves its package to.
fn step_target(s: &Step) -> Option<(String, semver::Version)> {
    match s {
        Step::Update { package, to, .. } => {
            Some((package.clone(), semver::Version::parse(to).ok()?))
        }
        Step::ManifestEdit {
            package, to_req, ..
        } => Some((package.clone(), semver::Version::parse(to_req).ok()?)),
        Step::Manual { .. } => None,
    }
}

/// The plan's own target: its last step's (the vulnerable crate's move, or the bump
/// that carries it).
fn plan_target(p: &Planned) -> Option<(String, semver::Version)> {
    p.steps.iter().rev().find_map(step_target)
}

fn not_applied(p: &Planned, reason: String) -> NotApplied {
    NotApplied {
        package: p.package.clone(),
        commands: p.commands.clone(),
        fixes: p.fixes.clone(),
        reason,
    }
}

/// How many `name version` entries differ between two lockfiles (added or removed).
fn changed_packages(
    a: &crate::input::lockfile::Lockfile,
    b: &crate::input::lockfile::Lockfile,
) -> usize {
    let set = |l: &crate::input::lockfile::Lockfile| -> BTreeSet<(String, String)> {
        l.packages
            .iter()
            .map(|p| (p.name.clone(), p.version.to_string()))
            .collect()
    };
    let (sa, sb) = (set(a), set(b));
    let names: BTreeSet<&String> = sa.symmetric_difference(&sb).map(|(name, _)| name).collect();
    names.len()
}

/// A plan that stayed: what was run, whether a build check followed, and the re-audit.
struct Kept {
    commands: Vec<String>,
    build_checked: bool,
    now: Pairs,
}

/// A plan that did not stay (its files are restored).
enum Undone {
    Refused {
        reason: String,
        target: Option<(String, semver::Version)>,
    },
    RolledBack {
        reason: String,
        /// Worth trying the next candidate (not after a build that broke).
        retry: bool,
    },
}

/// [`apply_plan`], and when the plan stays, records it in `applied` and takes its
/// re-audit as the new state (`None`); otherwise why it did not stay.
fn apply_and_record(
    p: &Planned,
    ctx: &mut Ctx<'_>,
    state: &mut Pairs,
    before_fix: &Pairs,
    applied: &mut Vec<Applied>,
) -> Result<Option<Undone>, AppError> {
    let started = Instant::now();
    let kept = match apply_plan(p, ctx, state, before_fix)? {
        Ok(kept) => kept,
        Err(undone) => return Ok(Some(undone)),
    };
    *state = kept.now;
    applied.push(Applied {
        package: p.package.clone(),
        commands: kept.commands,
        fixes: p.fixes.clone(),
        build_checked: kept.build_checked,
        seconds: started.elapsed().as_secs_f64(),
    });
    Ok(None)
}

/// Applies one plan as a transaction and judges it by a re-audit (see the module doc).
fn apply_plan(
    p: &Planned,
    ctx: &mut Ctx<'_>,
    state: &Pairs,
    before_fix: &Pairs,
) -> Result<Result<Kept, Undone>, AppError> {
    let mut files: Vec<PathBuf> = vec![ctx.lockfile.clone()];
    for s in &p.steps {
        if let Step::ManifestEdit {
            manifest: Some(m), ..
        } = s
        {
            let m = PathBuf::from(m);
            if !files.contains(&m) {
                files.push(m);
            }
        }
    }
    let backup = Backup::take(&files).map_err(AppError::Usage)?;
    let run = match &p.raw {
        Some(args) => {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cargo(ctx, &args)
                .map(|()| vec![format!("cargo {}", args.join(" "))])
                .map_err(|e| (e, None))
        }
        None => run_steps(p, ctx),
    };
    let commands = match run {
        Ok(c) => c,
        Err((reason, target)) => {
            backup.restore().map_err(AppError::Usage)?;
            return Ok(Err(Undone::Refused { reason, target }));
        }
    };
    let rollback = |reason: String, retry: bool| -> Result<Result<Kept, Undone>, AppError> {
        backup.restore().map_err(AppError::Usage)?;
        Ok(Err(Undone::RolledBack { reason, retry }))
    };
    // The re-audit: lockfile-only here (cargo already accepted the result), with the
    // same database and policy.
    let now = match reaudit(ctx) {
        Ok(r) => pairs(&r),
        Err(e) => return rollback(format!("the result could not be audited: {e}"), false),
    };
    let targeted = &p.targets;
    let removed = targeted
        .iter()
        .filter(|k| state.contains_key(*k) && !now.contains_key(*k))
        .count();
    if removed == 0 {
        let still: Vec<String> = targeted
            .iter()
            .filter_map(|k| {
                now.get(k)
                    .map(|(_, v, _)| format!("{} {} {}", k.0, k.1, join(v)))
            })
            .collect();
        return rollback(
            format!("it left what it was for in place ({})", still.join(", ")),
            true,
        );
    }
    let introduced = |now: &Pairs| -> Vec<(String, String, BTreeSet<String>)> {
        now.iter()
            .filter(|(k, (_, _, denied))| {
                *denied && !state.contains_key(*k) && !before_fix.contains_key(*k)
            })
            .map(|((id, pkg), (_, v, _))| (id.clone(), pkg.clone(), v.clone()))
            .collect()
    };
    let mut now = now;
    let mut commands = commands;
    let mut new = introduced(&now);
    // A package the plan brought in (cargo picks the newest release that fits what is
    // locked, which may be an affected one) gets one chance: cargo's own update of it,
    // then with its dependencies, kept only if the plan still removes what it was for.
    let mut repaired: BTreeSet<String> = BTreeSet::new();
    while let Some((_, pkg, versions)) = new.iter().find(|(_, p, _)| !repaired.contains(p)).cloned()
    {
        repaired.insert(pkg.clone());
        for v in &versions {
            for extra in [None, Some("--recursive")] {
                if !is_locked(&ctx.lockfile, &pkg, v) {
                    break;
                }
                let spec = format!("{pkg}@{v}");
                let mut args = vec!["update", "-p", spec.as_str()];
                args.extend(extra);
                if cargo(ctx, &args).is_err() {
                    continue;
                }
                let Ok(r) = reaudit(ctx) else { continue };
                let after = pairs(&r);
                let keeps_fix = targeted
                    .iter()
                    .any(|k| state.contains_key(k) && !after.contains_key(k));
                let gone = !introduced(&after).iter().any(|(_, p, _)| *p == pkg);
                if keeps_fix && gone {
                    commands.push(format!("cargo {}", args.join(" ")));
                    now = after;
                    break;
                }
            }
        }
        new = introduced(&now);
    }
    if !new.is_empty() {
        let list: Vec<String> = new
            .iter()
            .map(|(id, pkg, v)| format!("{id} {pkg} {}", join(v)))
            .collect();
        return rollback(format!("it would introduce {}", list.join(", ")), true);
    }
    let mut build_checked = false;
    if !p.compatible || ctx.check_all {
        let built_before = match ctx.built_before {
            Some(b) => b,
            None => {
                // Judged on the files as they were before this plan.
                let after_files = Backup::take(&files).map_err(AppError::Usage)?;
                backup.restore().map_err(AppError::Usage)?;
                ctx.out
                    .status("Checking that the workspace builds before fix (cargo check)");
                let b = cargo_check(ctx).is_ok();
                after_files.restore().map_err(AppError::Usage)?;
                ctx.built_before = Some(b);
                b
            }
        };
        if built_before {
            ctx.out.status("Checking the build (cargo check)");
            if let Err(e) = cargo_check(ctx) {
                return rollback(format!("the workspace no longer builds: {e}"), false);
            }
            build_checked = true;
        }
    }
    Ok(Ok(Kept {
        commands,
        build_checked,
        now,
    }))
}

/// The lockfile as it is now, audited with the run's database and policy.
fn reaudit(ctx: &mut Ctx<'_>) -> Result<AuditReport, String> {
    let lock = crate::input::lockfile::load(&ctx.lockfile).map_err(|e| e.to_string())?;
    Ok(crate::audit::audit(
        ctx.db,
        &lock,
        &ctx.lockfile,
        &ctx.opts,
        Vec::new(),
    ))
}

/// Runs a plan's steps: manifest edits all together, then one `cargo update
/// --workspace`; then the lockfile updates in order, each skipped once an earlier one
/// has moved its package. A refused `--precise` falls back to unlocking the plan's
/// packages together, then to `--recursive`. Errors carry cargo's line and the target
/// to exclude from later plans.
fn run_steps(p: &Planned, ctx: &mut Ctx<'_>) -> Result<Vec<String>, Refusal> {
    let mut ran = Vec::new();
    let edits: Vec<&Step> = p
        .steps
        .iter()
        .filter(|s| matches!(s, Step::ManifestEdit { .. }))
        .collect();
    if !edits.is_empty() {
        for s in &edits {
            let Step::ManifestEdit {
                manifest: Some(m),
                key,
                to_req,
                table_path,
                ..
            } = s
            else {
                return Err((format!("no manifest known for: {}", s.command()), None));
            };
            if table_path.is_empty() {
                return Err((format!("the entry was not found: {}", s.command()), None));
            }
            let loc = manifest::Location {
                file: PathBuf::from(m),
                line: 0,
                workspace: false,
                path: table_path.clone(),
            };
            manifest::set_requirement(&loc, to_req).map_err(|e| (format!("{key}: {e}"), None))?;
            ran.push(s.command());
        }
        cargo(ctx, &["update", "--workspace"]).map_err(|e| (e, None))?;
        ran.push("cargo update --workspace".into());
    }
    let updates: Vec<(&str, &str, &str)> = p
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Update {
                package, from, to, ..
            } => Some((package.as_str(), from.as_str(), to.as_str())),
            _ => None,
        })
        .collect();
    let mut first_refusal: Option<Refusal> = None;
    for &(package, from, to) in &updates {
        if !is_locked(&ctx.lockfile, package, from) {
            continue;
        }
        let spec = format!("{package}@{from}");
        match cargo(ctx, &["update", "-p", &spec, "--precise", to]) {
            Ok(()) => ran.push(format!("cargo update -p {spec} --precise {to}")),
            Err(e) => {
                first_refusal = Some((
                    format!("cargo update -p {spec} --precise {to}: {e}"),
                    semver::Version::parse(to)
                        .ok()
                        .map(|v| (package.to_string(), v)),
                ));
                break;
            }
        }
    }
    let Some((reason, target)) = first_refusal else {
        return Ok(ran);
    };
    // Unlock together what the plan moves (each to the newest version its dependents
    // allow), then pin each back to its planned version where cargo lets it.
    let still: Vec<(&str, &str, &str)> = updates
        .iter()
        .copied()
        .filter(|(package, from, _)| is_locked(&ctx.lockfile, package, from))
        .collect();
    let mut joint: Vec<String> = vec!["update".into()];
    for (package, from, _) in &still {
        joint.push("-p".into());
        joint.push(format!("{package}@{from}"));
    }
    let joint_refs: Vec<&str> = joint.iter().map(String::as_str).collect();
    let unlocked = match cargo(ctx, &joint_refs) {
        Ok(()) => {
            ran.push(format!("cargo {}", joint.join(" ")));
            true
        }
        Err(_) => {
            // Last: the plan's final package with its own dependencies.
            let Some((package, from, _)) = still.last() else {
                return Err((reason, target));
            };
            let spec = format!("{package}@{from}");
            match cargo(ctx, &["update", "-p", &spec, "--recursive"]) {
                Ok(()) => {
                    ran.push(format!("cargo update -p {spec} --recursive"));
                    true
                }
                Err(_) => false,
            }
        }
    };
    if !unlocked {
        return Err((reason, target));
    }
    for (package, _, to) in &still {
        let locked_now = locked_versions(&ctx.lockfile, package);
        // The version it moved to, when exactly one new one appeared in its series.
        if let Some(now) = locked_now.iter().find(|v| {
            semver::Version::parse(to).is_ok_and(|t| crate::audit::remediation::same_series(v, &t))
        }) && now.to_string() != *to
        {
            let spec = format!("{package}@{now}");
            if cargo(ctx, &["update", "-p", &spec, "--precise", to]).is_ok() {
                ran.push(format!("cargo update -p {spec} --precise {to}"));
            }
        }
    }
    Ok(ran)
}

/// cargo's reason for refusing a plan, and the target to exclude from later plans.
type Refusal = (String, Option<(String, semver::Version)>);

fn join(v: &BTreeSet<String>) -> String {
    v.iter().cloned().collect::<Vec<_>>().join("/")
}

/// Does every `Update` step's `package@from` still exist in the lockfile?
fn still_locked(lockfile: &Path, steps: &[Step]) -> bool {
    steps.iter().all(|s| match s {
        Step::Update { package, from, .. } => is_locked(lockfile, package, from),
        _ => true,
    })
}

/// Is `package from` still in the lockfile?
fn is_locked(lockfile: &Path, package: &str, from: &str) -> bool {
    locked_versions(lockfile, package)
        .iter()
        .any(|v| v.to_string() == from)
}

fn locked_versions(lockfile: &Path, package: &str) -> Vec<semver::Version> {
    crate::input::lockfile::load(lockfile)
        .map(|l| {
            l.packages
                .iter()
                .filter(|p| p.name == package)
                .map(|p| p.version.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// `cargo metadata --locked` over the whole graph with every feature: the manifests
/// parse, the lockfile is current and the registry can be read — else an error, and
/// nothing has been changed. Returns the features each locked package is asked for by
/// its dependents.
fn preflight(
    manifest: &Path,
    offline: bool,
) -> Result<crate::audit::remediation::EnabledFeatures, AppError> {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.args([
        "metadata",
        "--format-version",
        "1",
        "--locked",
        "--all-features",
    ])
    .arg("--manifest-path")
    .arg(manifest)
    .stdin(std::process::Stdio::null());
    if offline {
        cmd.arg("--offline");
    }
    let output = cmd
        .output()
        .map_err(|e| AppError::Usage(format!("could not run cargo: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(AppError::Usage(format!(
            "{}: cargo metadata --locked failed, so fix changes nothing: {}",
            manifest.display(),
            cargo_reason(&stderr)
        )));
    }
    let meta = cargo_metadata::MetadataCommand::parse(String::from_utf8_lossy(&output.stdout))
        .map_err(|e| {
            AppError::Usage(format!(
                "{}: cargo metadata gave output that could not be read: {e}",
                manifest.display()
            ))
        })?;
    // What a dependent asks of a package is what a newer version must still offer: the
    // features named in its dependency declaration (not those the package's own
    // defaults turn on, which a newer version may drop).
    let mut out: crate::audit::remediation::EnabledFeatures = hashbrown::HashMap::new();
    for p in &meta.packages {
        for d in p.dependencies.iter().filter(|d| !d.features.is_empty()) {
            for target in meta.packages.iter().filter(|t| t.name.as_str() == d.name) {
                if d.req.matches(&target.version) {
                    let list = out
                        .entry((target.name.to_string(), target.version.to_string()))
                        .or_default();
                    for f in &d.features {
                        if !list.contains(f) {
                            list.push(f.clone());
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Every vulnerability advisory (not informational, not withdrawn), by crate.
fn avoid_list(
    db: &advisories_cache::Database,
) -> hashbrown::HashMap<String, Vec<std::sync::Arc<advisories_cache::AdvisoryRecord>>> {
    let mut out: hashbrown::HashMap<String, Vec<_>> = hashbrown::HashMap::new();
    for a in db.all() {
        if a.informational.is_none() && !a.is_withdrawn() {
            out.entry(a.package.clone())
                .or_default()
                .push(std::sync::Arc::new(a.clone()));
        }
    }
    out
}

/// A file without write permission in a folder with it (see where it is called).
fn protected(file: &Path) -> bool {
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::metadata(file).is_ok_and(|m| m.permissions().readonly())
        && std::fs::metadata(folder).is_ok_and(|m| !m.permissions().readonly())
}

/// Files git says have uncommitted changes among the lockfile and manifests of the
/// work tree at `root` (`None`: clean, or not a git work tree, or no git).
fn dirty_files(root: &Path) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            "Cargo.lock",
            "*Cargo.toml",
        ])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let files: Vec<&str> = text
        .lines()
        .filter_map(|l| l.get(3..))
        .map(str::trim)
        .collect();
    (!files.is_empty()).then(|| files.join(", "))
}

fn cargo_check(ctx: &mut Ctx<'_>) -> Result<(), String> {
    cargo(
        ctx,
        &[
            "check",
            "--workspace",
            "--all-targets",
            "--locked",
            "--quiet",
        ],
    )
}

fn cargo(ctx: &mut Ctx<'_>, args: &[&str]) -> Result<(), String> {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.args(args)
        .arg("--manifest-path")
        .arg(ctx.root.join("Cargo.toml"))
        .stdin(std::process::Stdio::null());
    if ctx.offline {
        cmd.arg("--offline");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(cargo_reason(&String::from_utf8_lossy(&out.stderr)))
}

/// cargo's reason, in one line: its `error` line and what follows it up to the first
/// blank line (where cargo says which package failed to select).
fn cargo_reason(stderr: &str) -> String {
    let mut lines = stderr.lines().skip_while(|l| !l.starts_with("error"));
    let mut parts: Vec<&str> = Vec::new();
    for l in lines.by_ref() {
        let t = l.trim();
        if t.is_empty() && !parts.is_empty() {
            break;
        }
        if !t.is_empty() && parts.len() < 4 {
            parts.push(t);
        }
    }
    if parts.is_empty() {
        return stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("cargo failed")
            .trim()
            .to_string();
    }
    parts.join(" ")
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
    let n = r.plan.len();
    t.push_str(&format!(
        "{} ({n} plan{}, grouped by crate; run each block's commands in order):\n",
        if r.dry_run { "Plan, dry run" } else { "Plan" },
        if n == 1 { "" } else { "s" }
    ));
    for p in &r.plan {
        t.push_str(&format!(
            "  {} {} — fixes {}{}\n",
            p.package,
            p.versions.join(", "),
            p.fixes.join(", "),
            if p.compatible {
                ""
            } else {
                " (semver-incompatible)"
            }
        ));
        for c in &p.commands {
            t.push_str(&format!("    {c}\n"));
        }
        for a in &p.alternatives {
            t.push_str(&format!("    alternative: {}\n", a.join(" ; ")));
        }
    }
    for s in &r.skipped {
        t.push_str(&format!(
            "  skipped: {} ({}): {}\n",
            s.package,
            s.commands.join(" ; "),
            s.reason
        ));
    }
    for s in &r.no_fix {
        t.push_str(&format!(
            "  no fix: {} ({}): {}\n",
            s.package,
            s.fixes.join(", "),
            s.reason
        ));
    }
    if !r.dry_run {
        for a in &r.applied {
            t.push_str(&format!(
                "applied: {} ({}){}\n",
                a.commands.join(" ; "),
                a.fixes.join(", "),
                if a.build_checked {
                    ", build checked"
                } else {
                    ""
                }
            ));
        }
        for f in &r.refused {
            t.push_str(&format!(
                "refused by cargo (restored; next candidate tried): {}: {}\n",
                f.commands.join(" ; "),
                f.reason
            ));
        }
        for f in &r.rolled_back {
            t.push_str(&format!(
                "rolled back: {}: {}\n",
                f.commands.join(" ; "),
                f.reason
            ));
        }
        for f in &r.fixed {
            t.push_str(&format!(
                "fixed: {} ({} {})\n",
                f.id,
                f.package,
                f.before.join(", ")
            ));
        }
        for f in &r.open {
            let moved = if f.before == f.after {
                String::new()
            } else {
                format!(" (was {}; still affected)", f.before.join(", "))
            };
            t.push_str(&format!(
                "open: {} ({} {}){moved}{}\n",
                f.id,
                f.package,
                f.after.join(", "),
                f.outcome.map(|o| format!(": {o}")).unwrap_or_default()
            ));
        }
        for f in &r.introduced {
            t.push_str(&format!(
                "introduced: {} ({} {})\n",
                f.id,
                f.package,
                f.after.join(", ")
            ));
        }
        t.push_str(&format!(
            "{} fixed, {} open, {} introduced, {} rolled back, {} packages changed{}\n",
            r.fixed.len(),
            r.open.len(),
            r.introduced.len(),
            r.rolled_back.len(),
            r.packages_changed,
            if r.fixable_left > 0 {
                format!("; {} still fixable", r.fixable_left)
            } else {
                String::new()
            }
        ));
    }
    out.stdout(&t);
}

/// Files read into memory before a plan, written back if it fails.
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
