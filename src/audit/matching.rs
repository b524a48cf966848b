//! Matching locked packages against advisories, with exactly `cargo audit`'s rules:
//! only packages from the crates.io registry are matched (a path or git crate that shares
//! a name with an advisory crate is not that crate), an advisory naming another `source`
//! only matches that source, withdrawn advisories never match, the version must fall in
//! an affected range, and `affected.os`/`affected.arch` narrow it only when targets are
//! given. Informational advisories become warnings of their kind.

use crate::audit::findings::{Finding, FindingKind, PackageRef};
use crate::input::lockfile::Lockfile;
use advisories_cache::record::{RecordHead, SourceKey, default_source_key, source_key};
use advisories_cache::{AdvisoryRecord, Database, Severity};
use hashbrown::HashMap;

/// What narrows the match.
#[derive(Clone, Debug, Default)]
pub struct MatchSettings {
    /// Target operating systems (`linux`, `windows`, …); empty = all.
    pub target_os: Vec<String>,
    /// Target architectures (`x86_64`, …); empty = all.
    pub target_arch: Vec<String>,
    /// Drop advisories whose CVSS severity is below this (advisories without CVSS stay).
    pub min_severity: Option<Severity>,
}

/// Finds every advisory finding for the lockfile (yanked crates are checked elsewhere).
pub fn find(db: &Database, lock: &Lockfile, settings: &MatchSettings) -> Vec<Finding> {
    let default_key = default_source_key();
    let mut registry_of: HashMap<&str, Option<SourceKey>> = HashMap::new();
    // Matches are listed first and made into findings at the end, at their exact count:
    // a finding is ~400 bytes, and a vector of them grown by doubling copies each into
    // fresh memory (about 15 page faults on a 383-package lockfile).
    let mut hits: Vec<(usize, u32, FindingKind)> = Vec::new();
    for (i, pkg) in lock.packages.iter().enumerate() {
        let Some(source) = pkg.source.as_deref() else {
            continue; // path packages are never matched
        };
        let key = registry_of
            .entry(source)
            .or_insert_with(|| crates_io_key(source))
            .as_ref();
        let Some(key) = key else { continue };
        // Each advisory is tested on its head; only a match is decoded whole.
        for (n, adv) in db.heads_for(&pkg.name) {
            let same_source = match adv.source {
                Some((kind, url)) => kind == key.kind && url == key.url,
                None => default_key == *key,
            };
            if !same_source {
                continue;
            }
            if adv.is_withdrawn() || !adv.affects(&pkg.version) {
                continue;
            }
            if !applies_to_targets(&adv, settings) {
                continue;
            }
            if let (Some(min), Some(sev)) = (settings.min_severity, adv.severity)
                && sev < min
            {
                continue;
            }
            let Some(kind) = kind_of_informational(adv.informational) else {
                continue;
            };
            hits.push((i, n, kind));
        }
    }
    let mut out = Vec::with_capacity(hits.len());
    for (i, n, kind) in hits {
        let Some(full) = db.advisory(n) else { continue };
        let pkg = &lock.packages[i];
        out.push(Finding {
            kind,
            advisory: Some(full.clone()),
            package: PackageRef::of(pkg),
            package_index: i,
            package_line: pkg.line,
            ..Finding::default()
        });
    }
    out
}

/// The finding kind of an advisory; `None` for informational kinds no report shows
/// (`cargo audit` drops them too).
pub fn kind_of(adv: &AdvisoryRecord) -> Option<FindingKind> {
    kind_of_informational(adv.informational.as_deref())
}

/// [`kind_of`] from the advisory's `informational` value.
fn kind_of_informational(informational: Option<&str>) -> Option<FindingKind> {
    match informational {
        None => Some(FindingKind::Vulnerability),
        Some("unsound") => Some(FindingKind::Unsound),
        Some("unmaintained") => Some(FindingKind::Unmaintained),
        Some("notice") => Some(FindingKind::Notice),
        Some(_) => None,
    }
}

fn applies_to_targets(adv: &RecordHead<'_>, s: &MatchSettings) -> bool {
    let os_ok = adv.affected_os.is_empty()
        || s.target_os.is_empty()
        || s.target_os
            .iter()
            .any(|o| adv.affected_os.contains(&o.as_str()));
    let arch_ok = adv.affected_arch.is_empty()
        || s.target_arch.is_empty()
        || s.target_arch
            .iter()
            .any(|a| adv.affected_arch.contains(&a.as_str()));
    os_ok && arch_ok
}

/// The (kind, url) of a lockfile source when it is the crates.io registry, else `None`.
pub fn crates_io_key(source: &str) -> Option<SourceKey> {
    let id = rustsec::SourceId::from_url(source).ok()?;
    id.is_default_registry().then(|| source_key(&id))
}

/// Whether a lockfile source is the crates.io registry.
pub fn is_crates_io(source: Option<&str>) -> bool {
    source.and_then(crates_io_key).is_some()
}
