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

use crate::audit::findings::{Finding, FindingKind};
use crate::audit::requirements::{Declarer, Requirements};
use crate::input::manifest;
use crate::input::registry::DepKind;
use crate::version_text::{Shown, version_text};
use advisories_cache::AdvisoryRecord;
use hashbrown::HashMap;
use semver::{Version, VersionReq};
use std::collections::{BTreeMap, BTreeSet};

/// How deep up the graph parent bumps are searched.
const MAX_DEPTH: usize = 6;
/// How many candidate versions are tried at each level.
const MAX_TRIES: usize = 8;
/// How many of a dependent's releases an audit's suggestion reads to find ones that
/// allow a patched version (`fix` reads them all).
const MAX_LOOKS: usize = 32;
/// How many packages one plan may try to move in all: an audit's remediation is a
/// suggestion made for every finding on every run, `fix` searches further.
const MAX_SEARCHES: usize = 200;
/// The same for `fix` ([`Settings::thorough`]).
const MAX_SEARCHES_THOROUGH: usize = 400;
/// How many releases' own requirements one plan may hold against the lockfile (an
/// audit), and in `fix`.
const MAX_FIT_CHECKS: usize = 8;
/// The same for `fix`.
const MAX_FIT_CHECKS_THOROUGH: usize = 200;

/// The features asked of each locked package, by `(name, version)`.
pub type EnabledFeatures = HashMap<(String, String), Vec<String>>;

/// Choices that shape plans beyond what the lockfile and the index say. The audit uses
/// the defaults; `fix` fills in what it learns from cargo.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Pre-release candidates even when the locked version is a release
    /// (`--allow-prerelease`).
    pub allow_prerelease: bool,
    /// The features dependents ask of each locked package, by `(name, version)`, when
    /// `cargo metadata` said: a candidate must offer every one.
    pub enabled_features: Option<std::sync::Arc<EnabledFeatures>>,
    /// `(name, version)` targets cargo refused earlier in this run: never chosen again.
    pub refused: Vec<(String, Version)>,
    /// Vulnerability advisories of any crate, by crate name: no target (nor a package
    /// moved along with one) is a version one of them affects, so a plan never trades
    /// one advisory for another.
    pub avoid: Option<std::sync::Arc<HashMap<String, Vec<std::sync::Arc<AdvisoryRecord>>>>>,
    /// For an advisory with no patched version at all, look for parent bumps that take
    /// the crate out of the graph (`fix` does; an audit leaves it at "no fix published").
    pub try_removal: bool,
    /// Search as far as `fix` does (see [`MAX_SEARCHES_THOROUGH`]).
    pub thorough: bool,
    /// Plan only for findings of these kinds (`fix` plans what the gate denies, unless
    /// `--all`); `None`: every advisory finding.
    pub kinds: Option<Vec<FindingKind>>,
}

pub use crate::audit::findings::{Outcome, Remediation, Step};

/// A successful plan for moving one package.
struct Plan {
    steps: Vec<Step>,
    chosen: Version,
    verified: bool,
    newer: Option<Version>,
    why: Vec<String>,
    /// Some dependent of the package (or of a package it drags along) moves too.
    parent_moved: bool,
}

/// Computes remediations for every advisory finding, then fills each one's `fixes` with
/// all the advisory ids the same command fixes.
pub fn remediate(findings: &mut [Finding], reqs: &Requirements, settings: &Settings) {
    let planner = Planner {
        reqs,
        settings,
        budget: std::cell::Cell::new(0),
        fits_left: std::cell::Cell::new(0),
        truncated: std::cell::Cell::new(None),
        stack: std::cell::RefCell::new(Vec::new()),
        settled: std::cell::RefCell::new(Vec::new()),
        locked_by_name: std::cell::RefCell::new(HashMap::new()),
        advisories: std::cell::RefCell::new(Vec::new()),
    };
    // Group the advisories by package: one plan should clear all the fixable ones at once.
    let mut by_package: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        let wanted = settings.kinds.as_ref().is_none_or(|k| k.contains(&f.kind));
        if f.kind != FindingKind::Yanked && f.advisory.is_some() && wanted {
            by_package.entry(f.package_index).or_default().push(i);
        }
    }
    for (pkg, idxs) in by_package {
        let (fixable, unfixable): (Vec<usize>, Vec<usize>) = idxs
            .into_iter()
            .partition(|&i| has_fix(findings[i].advisory.as_ref().expect("advisory")));
        let advisory = |i: usize| findings[i].advisory.clone().expect("advisory");
        if !fixable.is_empty() {
            let all: Vec<_> = fixable.iter().map(|&i| advisory(i)).collect();
            let joint = planner.plan(pkg as u32, &all);
            if joint.outcome != Outcome::NoFix || fixable.len() == 1 {
                for &i in &fixable {
                    findings[i].remediation = Some(joint.clone());
                }
            } else {
                // No one version clears them all: plan each advisory alone, then the
                // ones that have a plan together again (one target for one crate).
                let alone: Vec<Remediation> = fixable
                    .iter()
                    .map(|&i| planner.plan(pkg as u32, &[advisory(i)]))
                    .collect();
                let some: Vec<usize> = (0..fixable.len())
                    .filter(|&k| alone[k].outcome != Outcome::NoFix)
                    .collect();
                let together = (some.len() > 1).then(|| {
                    let group: Vec<_> = some.iter().map(|&k| advisory(fixable[k])).collect();
                    planner.plan(pkg as u32, &group)
                });
                for (k, &i) in fixable.iter().enumerate() {
                    let mut r = match &together {
                        Some(t) if some.contains(&k) && t.outcome != Outcome::NoFix => t.clone(),
                        _ => alone[k].clone(),
                    };
                    if r.outcome != Outcome::NoFix {
                        r.explanation.push_str(&format!(
                            "; no single version is free of all {} advisories of {}: this plan fixes the ones named in `fixes`",
                            fixable.len(),
                            findings[i].package.name
                        ));
                    }
                    findings[i].remediation = Some(r);
                }
            }
        }
        for i in unfixable {
            if settings.try_removal {
                let adv = findings[i].advisory.clone().expect("advisory");
                let r = planner.plan(pkg as u32, &[adv]);
                if r.outcome != Outcome::NoFix {
                    findings[i].remediation = Some(r);
                    continue;
                }
            }
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
pub fn has_fix(a: &AdvisoryRecord) -> bool {
    !a.patched.is_empty() || a.ranges.iter().any(|r| r.fixed.is_some())
}

/// Said of a plan that took an unknown requirement as the locked version's caret one.
const ASSUMED_REQUIREMENT: &str = " (not verified: some requirement was not known and was taken as the caret requirement of the locked version)";

/// A found plan as a remediation: its steps, as one command line, and whether every
/// step stays compatible.
fn remediation_from(
    plan: Plan,
    outcome: Outcome,
    target: Option<String>,
    explanation: String,
    verified: bool,
) -> Remediation {
    let command = plan
        .steps
        .iter()
        .map(Step::command)
        .collect::<Vec<_>>()
        .join(" && ");
    Remediation {
        outcome,
        command: Some(command),
        compatible: plan.steps.iter().all(Step::compatible),
        target,
        verified,
        fixes: Vec::new(),
        explanation,
        steps: plan.steps,
        newer_compatible: plan.newer.as_ref().map(version_text),
        alternatives: Vec::new(),
    }
}

fn no_fix(explanation: String, alternatives: Vec<String>, verified: bool) -> Remediation {
    Remediation {
        outcome: Outcome::NoFix,
        command: None,
        compatible: true,
        target: None,
        verified,
        fixes: Vec::new(),
        explanation,
        steps: Vec::new(),
        newer_compatible: None,
        alternatives,
    }
}

/// Same semver-compatible series (`^a` would accept `b`, or the reverse): cargo keeps at
/// most one version of a crate per series in a graph.
pub fn same_series(a: &Version, b: &Version) -> bool {
    if a.major != b.major {
        return false;
    }
    if a.major > 0 {
        return true;
    }
    if a.minor != b.minor {
        return false;
    }
    a.minor > 0 || a.patch == b.patch
}

/// Moving `from → to` keeps semver compatibility: the same series, and no pre-release
/// on either side unless nothing moves (between pre-releases semver promises nothing).
pub fn compatible_move(from: &Version, to: &Version) -> bool {
    if from == to {
        return true;
    }
    same_series(from, to) && from.pre.is_empty() && to.pre.is_empty()
}

struct Planner<'a, 'b> {
    reqs: &'b Requirements<'a>,
    settings: &'b Settings,
    /// Searches left for the current plan: a hostile or huge graph cannot make the
    /// parent search explode.
    budget: std::cell::Cell<usize>,
    /// Requirement checks left for the current plan (see [`MAX_FIT_CHECKS`]).
    fits_left: std::cell::Cell<usize>,
    /// Why the current search was cut short, when a limit cut it.
    truncated: std::cell::Cell<Option<&'static str>>,
    /// Packages being moved further down the recursion (a cycle is never re-entered).
    stack: std::cell::RefCell<Vec<u32>>,
    /// Packages whose new version is already chosen and whose requirement on the
    /// package being moved now is known to allow it (they move with it).
    settled: std::cell::RefCell<Vec<u32>>,
    /// Locked versions by crate name, looked up once.
    locked_by_name: std::cell::RefCell<HashMap<String, Vec<Version>>>,
    /// The advisories being planned for (to keep requirement floors clear of them).
    advisories: std::cell::RefCell<Vec<std::sync::Arc<AdvisoryRecord>>>,
}

impl Planner<'_, '_> {
    fn plan(&self, pkg: u32, advisories: &[std::sync::Arc<AdvisoryRecord>]) -> Remediation {
        let lock = self.reqs.lock();
        let p = &lock.packages[pkg as usize];
        *self.advisories.borrow_mut() = advisories.to_vec();
        let safe = |v: &Version| advisories.iter().all(|a| !a.affects(v));
        let index = self.reqs.registry().and_then(|r| r.published(&p.name));
        let ids: Vec<&str> = advisories.iter().map(|a| a.id.as_str()).collect();
        let (candidates, from_index) = match &index {
            Some(vs) => (
                vs.iter()
                    .filter(|(v, yanked)| self.eligible(&p.name, &p.version, v, *yanked) && safe(v))
                    .map(|(v, _)| v.clone())
                    .collect::<Vec<_>>(),
                true,
            ),
            None => (
                patched_lower_bounds(&advisories.iter().map(|a| &**a).collect::<Vec<_>>())
                    .into_iter()
                    .filter(|v| self.eligible(&p.name, &p.version, v, false) && safe(v))
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
            let pre = if self.settings.allow_prerelease || !p.version.pre.is_empty() {
                ""
            } else {
                " (pre-releases are not considered: --allow-prerelease)"
            };
            let why = if from_index {
                format!(
                    "no published version of {} newer than {} is free of {}{pre}",
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
            // No version of it will do: the fix may be to leave it behind, when every
            // dependent has a newer release that no longer depends on it.
            if from_index {
                self.start_search();
                if let Ok(plan) = self.drop_package(pkg) {
                    let mut explanation = format!("{why}; {}", plan.why.join("; "));
                    if !plan.verified {
                        explanation.push_str(ASSUMED_REQUIREMENT);
                    }
                    let verified = plan.verified;
                    return remediation_from(
                        plan,
                        Outcome::BumpParent,
                        None,
                        explanation,
                        verified,
                    );
                }
            }
            return no_fix(why, alts(), from_index);
        }
        self.start_search();
        match self.move_package(pkg, &candidates, 0) {
            Ok(plan) => {
                let lockfile_only = !plan.parent_moved
                    && plan.steps.iter().all(|s| matches!(s, Step::Update { .. }));
                let mut explanation = plan.why.join("; ");
                let verified = plan.verified && from_index;
                if !from_index {
                    explanation.push_str(&format!(
                        " (not verified: no index data for {}, so the version comes from the advisory's patched ranges)",
                        p.name
                    ));
                } else if !plan.verified {
                    explanation.push_str(ASSUMED_REQUIREMENT);
                }
                let outcome = if lockfile_only {
                    Outcome::LockfileUpdate
                } else {
                    Outcome::BumpParent
                };
                let target = Some(format!("{} {}", p.name, Shown(&plan.chosen)));
                remediation_from(plan, outcome, target, explanation, verified)
            }
            Err(mut why) => {
                let exhaustive = self.truncated.get();
                if let Some(limit) = exhaustive {
                    why.push_str(&format!(
                        " (not verified: the search stopped at {limit}, so a fix further on may exist)"
                    ));
                }
                no_fix(why, alts(), from_index && exhaustive.is_none())
            }
        }
    }

    /// Resets the search state for a new plan: its limits, and nothing on the stack.
    fn start_search(&self) {
        let (searches, fits) = if self.settings.thorough {
            (MAX_SEARCHES_THOROUGH, MAX_FIT_CHECKS_THOROUGH)
        } else {
            (MAX_SEARCHES, MAX_FIT_CHECKS)
        };
        self.budget.set(searches);
        self.fits_left.set(fits);
        self.truncated.set(None);
        self.stack.borrow_mut().clear();
        self.settled.borrow_mut().clear();
    }

    /// May `v` be a target for `name`, locked at `locked`? Newer, not yanked, not a
    /// pre-release unless the locked version is one or they are allowed, not refused by
    /// cargo already, and offering every feature the graph enables on the locked one.
    fn eligible(&self, name: &str, locked: &Version, v: &Version, yanked: bool) -> bool {
        if yanked || v <= locked {
            return false;
        }
        if !v.pre.is_empty() && locked.pre.is_empty() && !self.settings.allow_prerelease {
            return false;
        }
        if self
            .settings
            .refused
            .iter()
            .any(|(n, r)| n == name && r == v)
        {
            return false;
        }
        // Other packages never move to an affected version; the package being planned
        // for is judged by its own advisories (its others have plans of their own).
        let planned = self.advisories.borrow().iter().any(|a| a.package == name);
        if !planned && self.newly_affected(name, v).is_some() {
            return false;
        }
        self.offers_features(name, locked, v)
    }

    /// A vulnerability advisory (of the `avoid` list) that affects `name v` and no locked
    /// version of `name`: what moving there would bring in that is not there already.
    fn newly_affected(&self, name: &str, v: &Version) -> Option<std::sync::Arc<AdvisoryRecord>> {
        let list = self.settings.avoid.as_ref()?.get(name)?;
        let locked = self.locked_versions(name);
        list.iter()
            .find(|a| a.affects(v) && !locked.iter().any(|l| a.affects(l)))
            .cloned()
    }

    /// The locked versions of `name` (remembered per plan run).
    fn locked_versions(&self, name: &str) -> Vec<Version> {
        if let Some(v) = self.locked_by_name.borrow().get(name) {
            return v.clone();
        }
        let found: Vec<Version> = self
            .reqs
            .lock()
            .packages
            .iter()
            .filter(|p| p.name == name)
            .map(|p| p.version.clone())
            .collect();
        self.locked_by_name
            .borrow_mut()
            .insert(name.to_string(), found.clone());
        found
    }

    /// Does `name v` offer every feature the locked graph enables on `name locked`?
    /// Unknown (no data on either side) counts as yes.
    fn offers_features(&self, name: &str, locked: &Version, v: &Version) -> bool {
        let Some(enabled) = &self.settings.enabled_features else {
            return true;
        };
        let Some(wanted) = enabled.get(&(name.to_string(), version_text(locked))) else {
            return true;
        };
        if wanted.iter().all(|f| f == "default") {
            return true;
        }
        let Some(offered) = self.reqs.registry().and_then(|r| r.features(name, v)) else {
            return true;
        };
        wanted
            .iter()
            .filter(|f| *f != "default")
            .all(|f| offered.contains(f))
    }

    /// Is `name v` affected by an advisory being planned for?
    fn vulnerable(&self, name: &str, v: &Version) -> bool {
        self.advisories
            .borrow()
            .iter()
            .any(|a| a.package == name && a.affects(v))
    }

    /// The requirement to write for `name` so that it admits no vulnerable version: the
    /// candidate `c` itself, or a later one when versions between `c` and the next
    /// incompatible release are affected (`time = "0.2.0"` would admit 0.2.7–0.2.22).
    fn floor(&self, name: &str, c: &Version) -> Version {
        let Some(published) = self.reqs.registry().and_then(|r| r.published(name)) else {
            return c.clone();
        };
        let series: Vec<&Version> = published
            .iter()
            .map(|(v, _)| v)
            .filter(|v| *v >= c && same_series(c, v) && v.pre.is_empty() == c.pre.is_empty())
            .collect();
        let Some(last_bad) = series.iter().rposition(|v| self.vulnerable(name, v)) else {
            return c.clone();
        };
        series
            .get(last_bad + 1)
            .map_or_else(|| c.clone(), |v| (*v).clone())
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
            self.truncated
                .set(Some("the limit of packages one plan may move"));
            return Err("the search for a parent bump gave up (graph too large)".into());
        }
        self.budget.set(left - 1);
        self.stack.borrow_mut().push(x);
        let result = self.move_package_inner(x, candidates, depth);
        self.stack.borrow_mut().pop();
        result
    }

    /// Takes package `x` out of the graph: every dependent moves to its oldest newer
    /// release that does not depend on `x` at all (a member or a git/path dependent
    /// cannot, and then neither can the plan).
    fn drop_package(&self, x: u32) -> Result<Plan, String> {
        let lock = self.reqs.lock();
        let xp = &lock.packages[x as usize];
        let mut steps = Vec::new();
        let mut why = Vec::new();
        let mut verified = true;
        self.stack.borrow_mut().push(x);
        let result = (|| {
            for &d in &lock.graph.rdeps[x as usize] {
                let dp = &lock.packages[d as usize];
                if self.reqs.declarer(d) != Declarer::Registry {
                    return Err(format!(
                        "{} {} depends on {} and is not a registry package",
                        dp.name,
                        Shown(&dp.version),
                        xp.name
                    ));
                }
                let registry = self.reqs.registry().ok_or("no index data")?;
                let published = registry
                    .published(&dp.name)
                    .ok_or_else(|| format!("no index data for {}", dp.name))?;
                let cands: Vec<Version> = published
                    .iter()
                    .filter(|(v, yanked)| self.eligible(&dp.name, &dp.version, v, *yanked))
                    .filter(|(v, _)| {
                        registry.version_entry(&dp.name, v).is_some_and(|e| {
                            e.requirements_on(&xp.name)
                                .iter()
                                .all(|r| r.kind == DepKind::Dev)
                        })
                    })
                    .map(|(v, _)| v.clone())
                    .take(2 * MAX_TRIES)
                    .collect();
                if cands.is_empty() {
                    return Err(format!(
                        "every newer release of {} still depends on {}",
                        dp.name, xp.name
                    ));
                }
                let sub = self.move_package(d, &cands, 1)?;
                why.push(no_longer_depends(dp, &sub.chosen, &xp.name));
                why.extend(sub.why);
                verified &= sub.verified;
                steps.extend(sub.steps);
            }
            Ok(())
        })();
        self.stack.borrow_mut().pop();
        result?;
        if steps.is_empty() {
            return Err(format!("nothing depends on {}", xp.name));
        }
        dedup_steps(&mut steps);
        Ok(Plan {
            steps,
            chosen: xp.version.clone(),
            verified,
            newer: None,
            why,
            parent_moved: true,
        })
    }

    /// What `name c` requires of its own dependencies, held against the lockfile: the
    /// packages that must move along with it (each as its own plan: a third package
    /// pinning one of them means bumping that one), or why none can. `x` is the locked
    /// package being moved, when it is one (its optional dependencies count only where
    /// the locked graph has the edge); `None` for a package cargo would add.
    fn requirements_fit(
        &self,
        x: Option<u32>,
        name: &str,
        c: &Version,
        depth: usize,
    ) -> Result<Fit, String> {
        let lock = self.reqs.lock();
        let mut fit = Fit {
            steps: Vec::new(),
            why: Vec::new(),
            verified: true,
            parent_moved: false,
        };
        // An audit's suggestion leaves the target's own requirements to cargo (as
        // `cargo update --precise` does); `fix` checks them, since it must not be refused.
        if !self.settings.thorough {
            return Ok(fit);
        }
        let Some(registry) = self.reqs.registry() else {
            fit.verified = false;
            return Ok(fit);
        };
        let left = self.fits_left.get();
        if left == 0 {
            // Not checked: cargo has the last word, and `fix` falls back when it refuses.
            self.truncated
                .set(Some("the limit of requirement checks one plan may make"));
            fit.verified = false;
            return Ok(fit);
        }
        self.fits_left.set(left - 1);
        let Some(entry) = registry.version_entry(name, c) else {
            fit.verified = false;
            return Ok(fit);
        };
        let cv = Shown(c);
        for dep in entry.deps().iter().filter(|d| d.kind != DepKind::Dev) {
            let locked: Vec<u32> = (0..lock.packages.len() as u32)
                .filter(|&i| lock.packages[i as usize].name == dep.package)
                .collect();
            if dep.optional {
                // Enabled only where the locked graph already has the edge.
                let has_edge = x.is_some_and(|x| {
                    lock.graph.deps[x as usize]
                        .iter()
                        .any(|&d| lock.packages[d as usize].name == dep.package)
                });
                if !has_edge {
                    continue;
                }
            }
            // Satisfied already, or moving in this very plan (to a version the mover's
            // chosen release allows).
            let stack = self.stack.borrow();
            if locked
                .iter()
                .any(|&i| dep.req.matches(&lock.packages[i as usize].version) || stack.contains(&i))
            {
                continue;
            }
            drop(stack);
            let Some(published) = registry.published(&dep.package) else {
                fit.verified = false;
                continue;
            };
            // cargo takes the newest release the requirement allows.
            let newest = published
                .iter()
                .filter(|(v, yanked)| {
                    !yanked
                        && dep.req.matches(v)
                        && (v.pre.is_empty()
                            || !dep.req.comparators.iter().all(|c| c.pre.is_empty()))
                })
                .map(|(v, _)| v)
                .next_back();
            let Some(newest) = newest else {
                return Err(format!(
                    "{name} {cv} requires {} {}, which no published release satisfies",
                    dep.package, dep.req
                ));
            };
            let clash = locked
                .iter()
                .copied()
                .find(|&i| same_series(&lock.packages[i as usize].version, newest));
            match clash {
                Some(d) => {
                    let dp = &lock.packages[d as usize];
                    let cands: Vec<Version> = published
                        .iter()
                        .filter(|(v, yanked)| {
                            dep.req.matches(v) && self.eligible(&dp.name, &dp.version, v, *yanked)
                        })
                        .map(|(v, _)| v.clone())
                        .collect();
                    if cands.is_empty() {
                        return Err(format!(
                            "{name} {cv} requires {} {}, and no release of it newer than {} qualifies",
                            dep.package,
                            dep.req,
                            Shown(&dp.version)
                        ));
                    }
                    if let Some(x) = x {
                        self.settled.borrow_mut().push(x);
                    }
                    let moved = self.move_package(d, &cands, depth + 1);
                    if x.is_some() {
                        self.settled.borrow_mut().pop();
                    }
                    let sub = moved.map_err(|e| {
                        format!(
                            "{name} {cv} requires {} {}, so {} {} must move too, and cannot: {e}",
                            dep.package,
                            dep.req,
                            dp.name,
                            Shown(&dp.version)
                        )
                    })?;
                    fit.why.push(format!(
                        "{name} {cv} requires {} {}, so {} moves along: {} → {}",
                        dep.package,
                        dep.req,
                        dp.name,
                        Shown(&dp.version),
                        Shown(&sub.chosen)
                    ));
                    fit.verified &= sub.verified;
                    fit.parent_moved |= sub.parent_moved;
                    fit.steps.extend(sub.steps);
                }
                None if depth < MAX_DEPTH => {
                    // cargo adds a new package (its newest release the requirement
                    // allows): not one an advisory affects, and what it requires must
                    // fit in turn.
                    if let Some(a) = self.newly_affected(&dep.package, newest) {
                        return Err(format!(
                            "{name} {cv} would bring in {} {}, which {} affects",
                            dep.package,
                            Shown(newest),
                            a.id
                        ));
                    }
                    let sub = self.requirements_fit(None, &dep.package, newest, depth + 1)?;
                    fit.why.extend(sub.why);
                    fit.verified &= sub.verified;
                    fit.parent_moved |= sub.parent_moved;
                    fit.steps.extend(sub.steps);
                }
                None => {
                    self.truncated.set(Some("the depth limit"));
                    fit.verified = false;
                }
            }
        }
        Ok(fit)
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
        // Each dependent's requirements on this very package (None: unknown). Dependents
        // that move along with it to a version that allows the target are left out.
        let settled = self.settled.borrow().clone();
        let dependents: Vec<(u32, Option<Vec<VersionReq>>)> = lock.graph.rdeps[x as usize]
            .iter()
            .filter(|d| !settled.contains(d))
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
            compatible: compatible_move(&xp.version, to),
            package: xp.name.clone(),
            from: version_text(&xp.version),
            to: version_text(to),
        };
        let mut last_err = String::new();
        // 1. A candidate every dependent allows, whose own requirements fit.
        let allowed: Vec<&Version> = candidates
            .iter()
            .filter(|c| dependents.iter().all(|(_, r)| allows(r, c)))
            .collect();
        for (k, &first) in allowed.iter().enumerate() {
            if k == MAX_TRIES {
                self.truncated
                    .set(Some("the limit of candidates tried per crate"));
                break;
            }
            let fit = match self.requirements_fit(Some(x), &xp.name, first, depth) {
                Ok(f) => f,
                Err(e) => {
                    last_err = e;
                    continue;
                }
            };
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
            why.extend(fit.why);
            for (d, _) in dependents.iter().filter(|(_, r)| r.is_none()) {
                if self.reqs.declarer(*d) == Declarer::Other {
                    let dp = &lock.packages[*d as usize];
                    why.push(format!(
                        "{} {} comes from a git or path source: its requirement is unknown and it cannot be bumped via the registry",
                        dp.name, Shown(&dp.version)
                    ));
                }
            }
            let mut steps = fit.steps;
            steps.push(update(first));
            dedup_steps(&mut steps);
            return Ok(Plan {
                steps,
                chosen: first.clone(),
                verified: all_known && fit.verified,
                newer: newest,
                why,
                parent_moved: fit.parent_moved,
            });
        }
        if depth >= MAX_DEPTH {
            self.truncated.set(Some("the depth limit"));
            return Err(if last_err.is_empty() {
                format!(
                    "no fix within {MAX_DEPTH} levels of dependents of {}",
                    xp.name
                )
            } else {
                last_err
            });
        }
        // 2. Move the dependents that block a candidate, trying the oldest first.
        if candidates.len() > MAX_TRIES {
            // Candidates past the limit are not tried: a no-fix then is not exhaustive.
            self.truncated
                .set(Some("the limit of candidates tried per crate"));
        }
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
                        let to = self.floor(&xp.name, c);
                        let tv = Shown(&to);
                        let edits = self.member_edits(*d, x, &to);
                        why.push(format!(
                            "workspace member {} requires {} {req_text}, which excludes every patched version: raise it to {tv}",
                            dp.name, xp.name
                        ));
                        if edits.is_empty() {
                            verified = false;
                            steps.push(Step::ManifestEdit {
                                compatible: compatible_move(&xp.version, &to),
                                member: dp.name.clone(),
                                package: xp.name.clone(),
                                key: xp.name.clone(),
                                kind: "normal",
                                manifest: None,
                                line: None,
                                workspace_dependency: false,
                                from_req: None,
                                to_req: version_text(&to),
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
                                compatible: false,
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
                        // The oldest few that allow it are enough (the search tries
                        // MAX_TRIES per level); each look decodes a release's entry, so
                        // an audit's suggestion looks at a bounded number of them.
                        let look_limit = if self.settings.thorough {
                            usize::MAX
                        } else {
                            MAX_LOOKS
                        };
                        let eligible = dv
                            .iter()
                            .filter(|(v, yanked)| self.eligible(&dp.name, &dp.version, v, *yanked));
                        let mut d_cands: Vec<Version> = Vec::new();
                        let mut more = false; // releases left unlooked at
                        for (looked, (v, _)) in eligible.enumerate() {
                            if d_cands.len() == 2 * MAX_TRIES || looked == look_limit {
                                more = true;
                                break;
                            }
                            if registry.allows(&dp.name, v, &xp.name, c) == Some(true) {
                                d_cands.push(v.clone());
                            }
                        }
                        // A no-fix is then not exhaustive.
                        if more {
                            self.truncated
                                .set(Some("the limit of candidates tried per crate"));
                        }
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
                                // Said from the same data the plan used: the chosen
                                // release's own entry.
                                let still_depends = registry
                                    .version_entry(&dp.name, &sub.chosen)
                                    .is_none_or(|e| {
                                        e.requirements_on(&xp.name)
                                            .iter()
                                            .any(|r| r.kind != DepKind::Dev)
                                    });
                                why.push(if still_depends {
                                    format!(
                                        "bump {} {} → {} (its {} requirement then allows {cv})",
                                        dp.name,
                                        Shown(&dp.version),
                                        Shown(&sub.chosen),
                                        xp.name
                                    )
                                } else {
                                    no_longer_depends(dp, &sub.chosen, &xp.name)
                                });
                                why.extend(sub.why);
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
                            compatible: false,
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
            // Whatever moves, c's own requirements must fit what stays.
            let fit = match self.requirements_fit(Some(x), &xp.name, c, depth) {
                Ok(f) => f,
                Err(e) => {
                    last_err = e;
                    continue 'candidate;
                }
            };
            why.extend(fit.why);
            verified &= fit.verified;
            let push_x = keeps || steps.is_empty();
            let mut all_steps = fit.steps;
            all_steps.append(&mut steps);
            if push_x {
                all_steps.push(update(c));
            }
            dedup_steps(&mut all_steps);
            return Ok(Plan {
                steps: all_steps,
                chosen: c.clone(),
                verified,
                newer: None,
                why,
                parent_moved: true,
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
                    compatible: compatible_move(&xp.version, c),
                    member: mp.name.clone(),
                    package: xp.name.clone(),
                    key: d.key.clone(),
                    kind: d.kind.as_str(),
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

/// `bump mid 1.0.0 → 1.1.0 (which no longer depends on vulnlib)`.
fn no_longer_depends(dp: &crate::input::lockfile::Package, to: &Version, dep: &str) -> String {
    format!(
        "bump {} {} → {} (which no longer depends on {dep})",
        dp.name,
        Shown(&dp.version),
        Shown(to)
    )
}

/// What moves along with a target because of its own requirements.
struct Fit {
    steps: Vec<Step>,
    why: Vec<String>,
    verified: bool,
    parent_moved: bool,
}

/// Drops repeated steps, and makes several moves of one locked package (or raises of one
/// manifest entry) asked for by different requirements of the same plan one move, to
/// the highest of their targets, at the place of the first: a plan never holds two
/// commands for one `package@from` or one manifest line.
fn dedup_steps(steps: &mut Vec<Step>) {
    let key = |s: &Step| -> Option<String> {
        match s {
            Step::Update { package, from, .. } => Some(format!("{package}@{from}")),
            Step::ManifestEdit {
                manifest,
                member,
                key,
                table_path,
                ..
            } => Some(format!("{manifest:?}|{member}|{key}|{table_path:?}")),
            Step::Manual { .. } => None,
        }
    };
    let target = |s: &Step| -> Option<Version> {
        match s {
            Step::Update { to, .. } => Version::parse(to).ok(),
            Step::ManifestEdit { to_req, .. } => Version::parse(to_req).ok(),
            Step::Manual { .. } => None,
        }
    };
    let mut highest: hashbrown::HashMap<String, Step> = hashbrown::HashMap::new();
    for s in steps.iter() {
        let Some(k) = key(s) else { continue };
        let higher = match highest.get(&k) {
            Some(have) => target(s) > target(have),
            None => true,
        };
        if higher {
            highest.insert(k, s.clone());
        }
    }
    let mut seen = hashbrown::HashSet::new();
    let mut out = Vec::with_capacity(steps.len());
    for s in steps.drain(..) {
        let s = match key(&s) {
            Some(k) => highest[&k].clone(),
            None => s,
        };
        if seen.insert(s.clone()) {
            out.push(s);
        }
    }
    *steps = out;
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
    use crate::input::lockfile::parse_bytes;
    use crate::input::registry::{IndexSource, Registry};
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
                .join(crate::input::registry::files_index_path(name));
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
        remediate(&mut findings, &reqs, &Settings::default());
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
        remediate(&mut findings, &reqs, &Settings::default());
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
        remediate(&mut findings, &reqs, &Settings::default());
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
