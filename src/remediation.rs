//! Remediation: which change removes a vulnerable version from the lockfile.
//!
//! For a vulnerable package `X` at version `cur`, the candidates are the published,
//! unyanked versions newer than `cur` that no advisory of the group affects (from the
//! registry index; without index data, the lowest versions the advisories' `patched`
//! ranges name, and the result is marked unverified). Then:
//! 1. `lockfile-update` when one candidate satisfies every dependent's requirement: the
//!    smallest such, as `cargo update -p X@cur --precise V`.
//! 2. `bump-parent` when some dependent's requirement excludes every candidate: that
//!    dependent moves to its oldest newer release whose requirement allows one (found the
//!    same way, recursively up the graph), or — for a workspace member — its manifest
//!    requirement is raised.
//! 3. `no-fix` when nothing is published, or nothing up the chain allows it.
//!
//! Requirements come from [`Requirements`]; an unknown one is assumed to be the caret
//! requirement of the locked version (what `cargo add` writes), and the plan is then
//! marked `verified: false`.

use crate::findings::{Finding, FindingKind};
use crate::manifest;
use crate::registry::DepKind;
use crate::requirements::{Declarer, Requirements};
use crate::version_text::{Shown, version_text};
use advisories_cache::AdvisoryRecord;
use hashbrown::HashMap;
use semver::{Version, VersionReq};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How deep up the graph parent bumps are searched.
const MAX_DEPTH: usize = 6;
/// How many candidate versions are tried at each level.
const MAX_TRIES: usize = 8;
/// How many packages one plan may try to move in all.
const MAX_SEARCHES: usize = 200;

/// The kind of fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// `cargo update --precise` alone fixes it.
    LockfileUpdate,
    /// A dependent must move first (or a member's manifest be edited).
    BumpParent,
    /// No fix is published, or none is compatible anywhere up the chain.
    NoFix,
}

impl Outcome {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::LockfileUpdate => "lockfile-update",
            Outcome::BumpParent => "bump-parent",
            Outcome::NoFix => "no-fix",
        }
    }
}

/// One action of a plan (each variant's fields in sorted order, as [`Remediation`]'s).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    /// `cargo update -p package@from --precise to`.
    Update {
        /// Locked version now.
        from: String,
        /// Crate.
        package: String,
        /// Version to lock.
        to: String,
    },
    /// Raise a workspace member's requirement on a dependency.
    ManifestEdit {
        /// The requirement now.
        from_req: Option<String>,
        /// The key it is written under.
        key: String,
        /// The line of the requirement, when known.
        line: Option<u32>,
        /// The file to edit, when known (the workspace root's for `workspace = true`).
        manifest: Option<String>,
        /// The member.
        member: String,
        /// The dependency's package name.
        package: String,
        /// The requirement to write.
        to_req: String,
        /// Inherited from `[workspace.dependencies]`.
        workspace_dependency: bool,
        /// Table path to the entry in `manifest` (empty when not found).
        #[serde(skip)]
        table_path: Vec<String>,
    },
    /// Something only a person can do (a git or path dependent, a crate without index data).
    Manual {
        /// What to do and why.
        instruction: String,
        /// Crate.
        package: String,
        /// Its locked version.
        version: String,
    },
}

impl Step {
    /// The step as one line a user can act on.
    pub fn command(&self) -> String {
        match self {
            Step::Update { package, from, to } => {
                format!("cargo update -p {package}@{from} --precise {to}")
            }
            Step::ManifestEdit {
                key,
                manifest,
                line,
                to_req,
                member,
                workspace_dependency,
                ..
            } => {
                let place = match (manifest, line) {
                    (Some(m), Some(l)) => format!("{m}:{l}"),
                    (Some(m), None) => m.clone(),
                    (None, _) => format!("the manifest of {member}"),
                };
                let table = if *workspace_dependency {
                    " [workspace.dependencies]"
                } else {
                    ""
                };
                format!("set {key} = \"{to_req}\" in {place}{table}, then cargo update --workspace")
            }
            Step::Manual { instruction, .. } => instruction.clone(),
        }
    }
}

/// What to do about one finding. Fields are in sorted order: reports serialize it
/// directly and must match the sorted keys of a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remediation {
    /// Alternatives the advisory suggests (for `no-fix`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
    /// The steps as one line (`&&`-joined), none for `no-fix`.
    pub command: Option<String>,
    /// Why, in a sentence or two.
    pub explanation: String,
    /// Advisory ids this command fixes (across the whole report).
    pub fixes: Vec<String>,
    /// A newer patched version every dependent also allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newer_compatible: Option<String>,
    /// The kind of fix.
    pub outcome: Outcome,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// `name version` the vulnerable crate ends at.
    pub target: Option<String>,
    /// Every version and requirement used came from index or manifest data.
    pub verified: bool,
}

/// A successful plan for moving one package.
struct Plan {
    steps: Vec<Step>,
    chosen: Version,
    verified: bool,
    newer: Option<Version>,
    why: Vec<String>,
}

/// Computes remediations for every advisory finding, then fills each one's `fixes` with
/// all the advisory ids the same command fixes.
pub fn remediate(findings: &mut [Finding], reqs: &Requirements) {
    let planner = Planner {
        reqs,
        budget: std::cell::Cell::new(0),
        stack: std::cell::RefCell::new(Vec::new()),
    };
    // Group the advisories by package: one plan must clear all the fixable ones at once.
    let mut by_package: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.kind != FindingKind::Yanked && f.advisory.is_some() {
            by_package.entry(f.package_index).or_default().push(i);
        }
    }
    for (pkg, idxs) in by_package {
        let (fixable, unfixable): (Vec<usize>, Vec<usize>) = idxs
            .into_iter()
            .partition(|&i| has_fix(findings[i].advisory.as_ref().expect("advisory")));
        let advisories: Vec<&AdvisoryRecord> = fixable
            .iter()
            .filter_map(|&i| findings[i].advisory.as_deref())
            .collect();
        let plan = (!advisories.is_empty()).then(|| planner.plan(pkg as u32, &advisories));
        for i in fixable {
            findings[i].remediation = plan.clone();
        }
        for i in unfixable {
            let adv = findings[i].advisory.as_ref().expect("advisory");
            findings[i].remediation = Some(no_fix(
                format!(
                    "no patched version of {} is published for {}",
                    findings[i].package.name, adv.id
                ),
                alternatives(&adv.description),
                true,
            ));
        }
    }
    // Group: the same command fixes every finding that carries it.
    let mut fixed_by: HashMap<String, BTreeSet<String>> = HashMap::new();
    for f in findings.iter() {
        if let (Some(r), Some(a)) = (&f.remediation, &f.advisory)
            && let Some(c) = &r.command
        {
            fixed_by.entry(c.clone()).or_default().insert(a.id.clone());
        }
    }
    for f in findings.iter_mut() {
        if let Some(r) = &mut f.remediation
            && let Some(c) = &r.command
        {
            r.fixes = fixed_by[c].iter().cloned().collect();
        }
    }
}

/// Does the advisory name any version that is not affected?
fn has_fix(a: &AdvisoryRecord) -> bool {
    !a.patched.is_empty() || a.ranges.iter().any(|r| r.fixed.is_some())
}

fn no_fix(explanation: String, alternatives: Vec<String>, verified: bool) -> Remediation {
    Remediation {
        outcome: Outcome::NoFix,
        command: None,
        target: None,
        verified,
        fixes: Vec::new(),
        explanation,
        steps: Vec::new(),
        newer_compatible: None,
        alternatives,
    }
}

struct Planner<'a, 'b> {
    reqs: &'b Requirements<'a>,
    /// Searches left for the current plan: a hostile or huge graph cannot make the
    /// parent search explode.
    budget: std::cell::Cell<usize>,
    /// Packages being moved further down the recursion (a cycle is never re-entered).
    stack: std::cell::RefCell<Vec<u32>>,
}

impl Planner<'_, '_> {
    fn plan(&self, pkg: u32, advisories: &[&AdvisoryRecord]) -> Remediation {
        let lock = self.reqs.lock();
        let p = &lock.packages[pkg as usize];
        let safe = |v: &Version| advisories.iter().all(|a| !a.affects(v));
        let index = self.reqs.registry().and_then(|r| r.published(&p.name));
        let ids: Vec<&str> = advisories.iter().map(|a| a.id.as_str()).collect();
        let (candidates, from_index) = match &index {
            Some(vs) => (
                vs.iter()
                    .filter(|(v, yanked)| !yanked && *v > p.version && safe(v))
                    .map(|(v, _)| v.clone())
                    .collect::<Vec<_>>(),
                true,
            ),
            None => (
                patched_lower_bounds(advisories)
                    .into_iter()
                    .filter(|v| *v > p.version && safe(v))
                    .collect(),
                false,
            ),
        };
        let alts = || {
            advisories
                .iter()
                .flat_map(|a| alternatives(&a.description))
                .collect()
        };
        if candidates.is_empty() {
            let why = if from_index {
                format!(
                    "no published version of {} newer than {} is free of {}",
                    p.name,
                    Shown(&p.version),
                    ids.join(", ")
                )
            } else {
                format!(
                    "the advisories name no patched version of {} newer than {}",
                    p.name,
                    Shown(&p.version)
                )
            };
            return no_fix(why, alts(), from_index);
        }
        self.budget.set(MAX_SEARCHES);
        self.stack.borrow_mut().clear();
        match self.move_package(pkg, &candidates, 0) {
            Ok(plan) => {
                let lockfile_only = matches!(plan.steps.as_slice(),
                    [Step::Update { package, .. }] if *package == p.name);
                let mut explanation = plan.why.join("; ");
                let verified = plan.verified && from_index;
                if !from_index {
                    explanation.push_str(&format!(
                        " (not verified: no index data for {}, so the version comes from the advisory's patched ranges)",
                        p.name
                    ));
                } else if !plan.verified {
                    explanation.push_str(
                        " (not verified: some requirement was not known and was taken as the caret requirement of the locked version)",
                    );
                }
                let command = plan
                    .steps
                    .iter()
                    .map(Step::command)
                    .collect::<Vec<_>>()
                    .join(" && ");
                Remediation {
                    outcome: if lockfile_only {
                        Outcome::LockfileUpdate
                    } else {
                        Outcome::BumpParent
                    },
                    command: Some(command),
                    target: Some(format!("{} {}", p.name, Shown(&plan.chosen))),
                    verified,
                    fixes: Vec::new(),
                    explanation,
                    steps: plan.steps,
                    newer_compatible: plan.newer.as_ref().map(version_text),
                    alternatives: Vec::new(),
                }
            }
            Err(why) => no_fix(why, alts(), from_index),
        }
    }

    /// Moves package `x` to one of `candidates` (ascending): directly if every dependent
    /// allows one, else by moving the dependents that block it.
    fn move_package(&self, x: u32, candidates: &[Version], depth: usize) -> Result<Plan, String> {
        let lock = self.reqs.lock();
        if self.stack.borrow().contains(&x) {
            return Err(format!(
                "{} depends on itself through a cycle",
                lock.packages[x as usize].name
            ));
        }
        let left = self.budget.get();
        if left == 0 {
            return Err("the search for a parent bump gave up (graph too large)".into());
        }
        self.budget.set(left - 1);
        self.stack.borrow_mut().push(x);
        let result = self.move_package_inner(x, candidates, depth);
        self.stack.borrow_mut().pop();
        result
    }

    fn move_package_inner(
        &self,
        x: u32,
        candidates: &[Version],
        depth: usize,
    ) -> Result<Plan, String> {
        let lock = self.reqs.lock();
        let xp = &lock.packages[x as usize];
        let assumed = caret(&xp.version);
        // Each dependent's requirements on this very package (None: unknown).
        let dependents: Vec<(u32, Option<Vec<VersionReq>>)> = lock.graph.rdeps[x as usize]
            .iter()
            .map(|&d| {
                // Only members' dev-dependencies are resolved into a lockfile.
                let is_member = self.reqs.declarer(d) == Declarer::Member;
                let reqs = self
                    .reqs
                    .edge(d, x, |ds| {
                        ds.iter()
                            .filter(|decl| decl.kind != DepKind::Dev || is_member)
                            .map(|decl| decl.req.clone())
                            .collect::<Vec<_>>()
                    })
                    .filter(|r| !r.is_empty());
                (d, reqs)
            })
            .collect();
        let allows = |reqs: &Option<Vec<VersionReq>>, v: &Version| match reqs {
            Some(rs) => rs.iter().all(|r| r.matches(v)),
            None => assumed.matches(v),
        };
        let all_known = dependents.iter().all(|(_, r)| r.is_some());
        let update = |to: &Version| Step::Update {
            package: xp.name.clone(),
            from: version_text(&xp.version),
            to: version_text(to),
        };
        // 1. A candidate every dependent allows.
        let allowed: Vec<&Version> = candidates
            .iter()
            .filter(|c| dependents.iter().all(|(_, r)| allows(r, c)))
            .collect();
        if let Some(&first) = allowed.first() {
            let newest = allowed
                .last()
                .filter(|n| **n != first)
                .map(|n| (*n).clone());
            let firstv = Shown(first);
            let mut why = vec![format!(
                "{} {firstv} is the oldest patched version every dependent's requirement allows",
                xp.name
            )];
            if let Some(n) = &newest {
                let nv = Shown(n);
                why.push(format!("{nv} is the newest compatible one"));
            }
            for (d, _) in dependents.iter().filter(|(_, r)| r.is_none()) {
                if self.reqs.declarer(*d) == Declarer::Other {
                    let dp = &lock.packages[*d as usize];
                    why.push(format!(
                        "{} {} comes from a git or path source: its requirement is unknown and it cannot be bumped via the registry",
                        dp.name, Shown(&dp.version)
                    ));
                }
            }
            return Ok(Plan {
                steps: vec![update(first)],
                chosen: first.clone(),
                verified: all_known,
                newer: newest,
                why,
            });
        }
        if depth >= MAX_DEPTH {
            return Err(format!(
                "no fix within {MAX_DEPTH} levels of dependents of {}",
                xp.name
            ));
        }
        // 2. Move the dependents that block a candidate, trying the oldest first.
        let mut last_err = String::new();
        'candidate: for c in candidates.iter().take(MAX_TRIES) {
            let cv = Shown(c);
            let mut steps = Vec::new();
            let mut why = Vec::new();
            let mut verified = all_known;
            let mut keeps = false; // some dependent already allows c
            for (d, reqs) in &dependents {
                if allows(reqs, c) {
                    keeps = true;
                    continue;
                }
                let dp = &lock.packages[*d as usize];
                let req_text = reqs
                    .as_ref()
                    .map(|r| join_reqs(r))
                    .unwrap_or_else(|| format!("{assumed} (assumed)"));
                match self.reqs.declarer(*d) {
                    Declarer::Member => {
                        let edits = self.member_edits(*d, x, c);
                        why.push(format!(
                            "workspace member {} requires {} {req_text}, which excludes every patched version: raise it to {cv}",
                            dp.name, xp.name
                        ));
                        if edits.is_empty() {
                            verified = false;
                            steps.push(Step::ManifestEdit {
                                member: dp.name.clone(),
                                package: xp.name.clone(),
                                key: xp.name.clone(),
                                manifest: None,
                                line: None,
                                workspace_dependency: false,
                                from_req: None,
                                to_req: version_text(c),
                                table_path: Vec::new(),
                            });
                        }
                        for (s, known) in edits {
                            verified &= known;
                            steps.push(s);
                        }
                    }
                    Declarer::Registry => {
                        let Some((registry, dv)) = self
                            .reqs
                            .registry()
                            .and_then(|r| Some((r, r.published(&dp.name)?)))
                        else {
                            verified = false;
                            why.push(format!(
                                "{} {} requires {} {req_text}; no index data for {} to name a release that allows {cv}",
                                dp.name, Shown(&dp.version), xp.name, dp.name
                            ));
                            steps.push(Step::Manual {
                                package: dp.name.clone(),
                                version: version_text(&dp.version),
                                instruction: format!(
                                    "upgrade {} (now {}) to a release whose {} requirement allows {cv}",
                                    dp.name, Shown(&dp.version), xp.name
                                ),
                            });
                            continue;
                        };
                        // Only newer, unyanked releases are decoded, one entry each.
                        let d_cands: Vec<Version> = dv
                            .iter()
                            .filter(|(v, yanked)| !yanked && *v > dp.version)
                            .filter(|(v, _)| {
                                registry.allows(&dp.name, v, &xp.name, c) == Some(true)
                            })
                            .map(|(v, _)| v.clone())
                            // The oldest few are enough: the search tries MAX_TRIES per level.
                            .take(2 * MAX_TRIES)
                            .collect();
                        if d_cands.is_empty() {
                            last_err = format!(
                                "{} {} requires {} {req_text} and no newer release of {} allows a patched version",
                                dp.name,
                                Shown(&dp.version),
                                xp.name,
                                dp.name
                            );
                            continue 'candidate;
                        }
                        match self.move_package(*d, &d_cands, depth + 1) {
                            Ok(sub) => {
                                why.push(format!(
                                    "bump {} {} → {} (its {} requirement then allows {cv})",
                                    dp.name,
                                    Shown(&dp.version),
                                    Shown(&sub.chosen),
                                    xp.name
                                ));
                                verified &= sub.verified;
                                steps.extend(sub.steps);
                            }
                            Err(e) => {
                                last_err = e;
                                continue 'candidate;
                            }
                        }
                    }
                    Declarer::Other => {
                        verified = false;
                        why.push(format!(
                            "{} {} comes from a git or path source and cannot be bumped via the registry",
                            dp.name, Shown(&dp.version)
                        ));
                        steps.push(Step::Manual {
                            package: dp.name.clone(),
                            version: version_text(&dp.version),
                            instruction: format!(
                                "update the git/path dependency {} so it allows {} {cv}",
                                dp.name, xp.name
                            ),
                        });
                    }
                }
            }
            if keeps || steps.is_empty() {
                steps.push(update(c));
            }
            dedup_steps(&mut steps);
            return Ok(Plan {
                steps,
                chosen: c.clone(),
                verified,
                newer: None,
                why,
            });
        }
        Err(if last_err.is_empty() {
            format!("no patched version of {} is reachable", xp.name)
        } else {
            last_err
        })
    }

    /// Manifest edits raising member `m`'s requirement on package `x` to `c`, each with
    /// whether its place in the manifest was found.
    fn member_edits(&self, m: u32, x: u32, c: &Version) -> Vec<(Step, bool)> {
        let lock = self.reqs.lock();
        let mp = &lock.packages[m as usize];
        let xp = &lock.packages[x as usize];
        let Some(ws) = self.reqs.workspace() else {
            return Vec::new();
        };
        let Some(member) = ws.member(&mp.name, &mp.version.to_string()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for d in member
            .deps
            .iter()
            .filter(|d| d.package == xp.name && d.req.matches(&xp.version))
        {
            let loc = manifest::locate(
                &member.manifest,
                &ws.root,
                &d.key,
                d.kind,
                d.target.as_deref(),
            );
            let known = loc.is_some();
            out.push((
                Step::ManifestEdit {
                    member: mp.name.clone(),
                    package: xp.name.clone(),
                    key: d.key.clone(),
                    manifest: Some(
                        loc.as_ref()
                            .map_or(member.manifest.clone(), |l| l.file.clone())
                            .display()
                            .to_string(),
                    ),
                    line: loc.as_ref().map(|l| l.line),
                    workspace_dependency: loc.as_ref().is_some_and(|l| l.workspace),
                    from_req: Some(d.req.to_string()),
                    to_req: version_text(c),
                    table_path: loc.as_ref().map(|l| l.path.clone()).unwrap_or_default(),
                },
                known,
            ));
        }
        out
    }
}

fn dedup_steps(steps: &mut Vec<Step>) {
    let mut seen = hashbrown::HashSet::new();
    steps.retain(|s| seen.insert(s.clone()));
}

fn join_reqs(reqs: &[VersionReq]) -> String {
    reqs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// `^cur`: what an unknown requirement is assumed to be.
fn caret(v: &Version) -> VersionReq {
    VersionReq::parse(&format!("^{v}")).unwrap_or(VersionReq::STAR)
}

/// The lowest version each `patched` requirement (and each OSV `fixed` bound) allows.
pub fn patched_lower_bounds(advisories: &[&AdvisoryRecord]) -> Vec<Version> {
    use semver::Op;
    let mut out: BTreeSet<Version> = BTreeSet::new();
    for a in advisories {
        for p in &a.patched {
            let Ok(req) = VersionReq::parse(p) else {
                continue;
            };
            for c in &req.comparators {
                let v = Version::new(c.major, c.minor.unwrap_or(0), c.patch.unwrap_or(0));
                match c.op {
                    Op::GreaterEq | Op::Caret | Op::Tilde | Op::Exact | Op::Wildcard => {
                        out.insert(Version {
                            pre: c.pre.clone(),
                            ..v
                        });
                    }
                    Op::Greater => {
                        out.insert(Version::new(v.major, v.minor, v.patch + 1));
                    }
                    _ => {}
                }
            }
        }
        for r in &a.ranges {
            if let Some(v) = r.fixed.as_deref().and_then(|f| Version::parse(f).ok()) {
                out.insert(v);
            }
        }
    }
    out.into_iter().collect()
}

/// Crate names an advisory's description suggests as alternatives: list items after the
/// first line that mentions "alternative".
pub fn alternatives(description: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_section = false;
    for line in description.lines() {
        let t = line.trim();
        if !in_section {
            in_section = t.to_ascii_lowercase().contains("alternative");
            continue;
        }
        let item = t
            .strip_prefix("- ")
            .or_else(|| t.strip_prefix("* "))
            .map(str::trim);
        match item {
            Some(item) => {
                let name = item
                    .trim_start_matches('[')
                    .split([']', ' ', '(', ':'])
                    .next()
                    .unwrap_or("")
                    .trim_matches('`');
                if !name.is_empty() && out.len() < 10 {
                    out.push(name.to_string());
                }
            }
            None if t.is_empty() && !out.is_empty() => break,
            None if t.is_empty() => {}
            None if !out.is_empty() => break,
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::parse_bytes;
    use crate::registry::{IndexSource, Registry};
    use advisories_cache::record::AdvisoryRecord as Rec;
    use advisories_cache::record::AffectedRange;

    fn advisory(krate: &str, patched: &str, fixed: &str) -> Rec {
        Rec {
            id: "RUSTSEC-2099-0100".into(),
            package: krate.into(),
            description: "Use another crate.\n\n## Alternatives\n\n- [`good`](https://x) is maintained\n- `better`\n\nMore text.\n".into(),
            patched: vec![patched.into()],
            ranges: vec![AffectedRange {
                introduced: None,
                fixed: Some(fixed.into()),
            }],
            ..Rec::default()
        }
    }

    /// A local registry with the given index lines per crate.
    fn registry(dir: &std::path::Path, crates: &[(&str, &[&str])]) -> Registry {
        for (name, lines) in crates {
            let path = dir
                .join("index")
                .join(crate::registry::files_index_path(name));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, lines.join("\n")).unwrap();
        }
        Registry::new(IndexSource::LocalRegistry(dir.to_path_buf()))
    }

    const SRC: &str = "registry+https://github.com/rust-lang/crates.io-index";

    #[test]
    fn a_cycle_in_a_hostile_lockfile_ends_in_no_fix() {
        let text = format!(
            "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"xx\",\n]\n\n[[package]]\nname = \"xx\"\nversion = \"1.0.0\"\nsource = \"{SRC}\"\ndependencies = [\n \"yy\",\n]\n\n[[package]]\nname = \"yy\"\nversion = \"1.0.0\"\nsource = \"{SRC}\"\ndependencies = [\n \"xx\",\n]\n"
        );
        let lock = parse_bytes(text.as_bytes()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let reg = registry(
            tmp.path(),
            &[
                (
                    "yy",
                    &[
                        r#"{"name":"yy","vers":"1.0.0","deps":[{"name":"xx","req":"=1.0.0","kind":"normal"}]}"#,
                        r#"{"name":"yy","vers":"2.0.0","deps":[{"name":"xx","req":"^1","kind":"normal"}]}"#,
                    ],
                ),
                (
                    "xx",
                    &[
                        r#"{"name":"xx","vers":"1.0.0","deps":[{"name":"yy","req":"=1.0.0","kind":"normal"}]}"#,
                        r#"{"name":"xx","vers":"1.1.0","deps":[{"name":"yy","req":"^2","kind":"normal"}]}"#,
                    ],
                ),
            ],
        );
        let reqs = Requirements::new(&lock, None, Some(&reg));
        let adv = advisory("yy", ">=2.0.0", "2.0.0");
        let mut findings = vec![Finding {
            advisory: Some(adv.into()),
            package_index: 2,
            ..Finding::default()
        }];
        remediate(&mut findings, &reqs);
        let r = findings[0].remediation.as_ref().unwrap();
        // xx 1.1.0 allows yy 2, but moving xx needs yy (its dependent in the cycle) to
        // move first: the search stops at the cycle instead of looping.
        assert_eq!(r.outcome, Outcome::NoFix, "{r:?}");
        assert!(r.explanation.contains("cycle"), "{r:?}");
        assert_eq!(r.alternatives, ["good", "better"]);
    }

    #[test]
    fn without_index_data_the_patched_floor_is_used_unverified() {
        let text = format!(
            "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"yy\",\n]\n\n[[package]]\nname = \"yy\"\nversion = \"1.2.0\"\nsource = \"{SRC}\"\n"
        );
        let lock = parse_bytes(text.as_bytes()).unwrap();
        let reqs = Requirements::new(&lock, None, None);
        let mut findings = vec![Finding {
            advisory: Some(advisory("yy", ">=1.2.7, <2.0.0", "1.2.7").into()),
            package_index: 1,
            ..Finding::default()
        }];
        remediate(&mut findings, &reqs);
        let r = findings[0].remediation.as_ref().unwrap();
        assert_eq!(r.outcome, Outcome::LockfileUpdate);
        assert_eq!(
            r.command.as_deref(),
            Some("cargo update -p yy@1.2.0 --precise 1.2.7")
        );
        assert!(!r.verified);
        // A patched floor outside the caret range of the locked version needs the member
        // (here: the root, whose manifest is unknown) to move.
        let mut findings = vec![Finding {
            advisory: Some(advisory("yy", ">=2.0.1", "2.0.1").into()),
            package_index: 1,
            ..Finding::default()
        }];
        remediate(&mut findings, &reqs);
        let r = findings[0].remediation.as_ref().unwrap();
        assert_eq!(r.outcome, Outcome::BumpParent, "{r:?}");
        assert!(!r.verified);
    }

    #[test]
    fn patched_floors_follow_each_operator() {
        let mut a = advisory("yy", ">=1.2.3", "1.2.3");
        a.patched = vec![
            ">=1.2.3".into(),
            "^0.4.1".into(),
            "~0.3.9".into(),
            ">0.2.0, <0.3.0".into(),
        ];
        let got: Vec<String> = patched_lower_bounds(&[&a])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, ["0.2.1", "0.3.9", "0.4.1", "1.2.3"]);
    }
}
