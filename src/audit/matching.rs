//! Matching locked packages against advisories, with exactly `cargo audit`'s rules:
//! only packages from the crates.io registry are matched (a path or git crate that shares
//! a name with an advisory crate is not that crate), an advisory naming another `source`
//! only matches that source, withdrawn advisories never match, the version must fall in
//! an affected range, and `affected.os`/`affected.arch` narrow it only when targets are
//! given. Informational advisories become warnings of their kind.

use crate::audit::findings::{Finding, FindingKind, PackageRef};
use crate::input::binary::BinaryFormat;
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
    /// The platform of an audited binary, from its header: advisories for other OS
    /// families or architectures are dropped.
    pub binary: Option<BinaryTarget>,
}

/// An audited binary's platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BinaryTarget {
    /// Its format, which decides the OS family.
    pub format: BinaryFormat,
    /// Its architecture (Rust's `target_arch` names), when the header names one.
    pub arch: Option<&'static str>,
}

/// The OSes of Apple's targets (what `*apple*` triples name).
const APPLE_OS: [&str; 5] = ["macos", "ios", "tvos", "watchos", "visionos"];

impl BinaryTarget {
    /// Does an advisory limited to `os` (empty: every OS) and `arch` (empty: every
    /// architecture) apply to this binary? The OS rule is `cargo audit bin`'s: a PE runs
    /// on Windows, a Mach-O on an Apple OS, an ELF on any other OS, and a WebAssembly
    /// module only where the advisory names no OS (`unknown` or `none`). The
    /// architecture must be one the advisory lists, when both are known.
    pub fn applies(&self, os: &[&str], arch: &[&str]) -> bool {
        let os_ok = os.is_empty()
            || match self.format {
                BinaryFormat::Pe => os.contains(&"windows"),
                BinaryFormat::MachO => os.iter().any(|o| APPLE_OS.contains(o)),
                BinaryFormat::Elf => os.iter().any(|o| *o != "windows" && !APPLE_OS.contains(o)),
                BinaryFormat::Wasm => os.iter().any(|o| *o == "unknown" || *o == "none"),
            };
        let arch_ok = match self.arch {
            Some(a) => arch.is_empty() || arch.contains(&a),
            None => true,
        };
        os_ok && arch_ok
    }
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
    let binary_ok = s
        .binary
        .is_none_or(|b| b.applies(&adv.affected_os, &adv.affected_arch));
    os_ok && arch_ok && binary_ok
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
