//! What a locked package declares about a dependency: the requirement, the kind (normal,
//! build, dev), whether it is optional or target-specific. A lockfile records none of
//! this, so it comes from the members' manifests (via `cargo metadata --no-deps`) and, for
//! registry packages, from the index entry of the exact locked version. When neither
//! source knows, the answer is "unknown" — never a guess.

use crate::audit::matching::is_crates_io;
use crate::input::lockfile::Lockfile;
use crate::input::registry::{DepKind, Registry};
use crate::input::workspace::WorkspaceInfo;

/// One declaration of a dependency, borrowed from a manifest or an index entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared<'x> {
    /// The version requirement.
    pub req: &'x semver::VersionReq,
    /// normal / build / dev.
    pub kind: DepKind,
    /// Optional (behind a feature).
    pub optional: bool,
    /// `cfg(...)` or triple, when target-specific.
    pub target: Option<&'x str>,
}

impl<'x> From<&'x crate::input::workspace::MemberDep> for Declared<'x> {
    fn from(d: &'x crate::input::workspace::MemberDep) -> Self {
        Declared {
            req: &d.req,
            kind: d.kind,
            optional: d.optional,
            target: d.target.as_deref(),
        }
    }
}

impl<'x> From<&'x crate::input::registry::IndexDep> for Declared<'x> {
    fn from(d: &'x crate::input::registry::IndexDep) -> Self {
        Declared {
            req: &d.req,
            kind: d.kind,
            optional: d.optional,
            target: d.target.as_deref(),
        }
    }
}

/// What kind of package declares the dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declarer {
    /// A workspace member (its manifest can be edited).
    Member,
    /// A crates.io package (it can be moved to another published version).
    Registry,
    /// A path or git package outside the workspace, or a registry we cannot read.
    Other,
}

/// Answers "what does package `i` declare about package `j`?".
pub struct Requirements<'a> {
    lock: &'a Lockfile,
    workspace: Option<&'a WorkspaceInfo>,
    registry: Option<&'a Registry>,
    /// Per package: from crates.io (decided once per distinct source URL).
    crates_io: Vec<bool>,
}

impl<'a> Requirements<'a> {
    /// Over a lockfile, with whatever sources are available.
    pub fn new(
        lock: &'a Lockfile,
        workspace: Option<&'a WorkspaceInfo>,
        registry: Option<&'a Registry>,
    ) -> Self {
        let mut by_source: hashbrown::HashMap<&str, bool> = Default::default();
        let crates_io = lock
            .packages
            .iter()
            .map(|p| match p.source.as_deref() {
                Some(src) => *by_source
                    .entry(src)
                    .or_insert_with(|| is_crates_io(Some(src))),
                None => false,
            })
            .collect();
        Requirements {
            lock,
            workspace,
            registry,
            crates_io,
        }
    }

    /// The registry, when there is one.
    pub fn registry(&self) -> Option<&'a Registry> {
        self.registry
    }

    /// The workspace, when `cargo metadata` ran.
    pub fn workspace(&self) -> Option<&'a WorkspaceInfo> {
        self.workspace
    }

    /// The lockfile.
    pub fn lock(&self) -> &'a Lockfile {
        self.lock
    }

    /// Whether package `i` comes from the crates.io registry.
    pub fn is_crates_io(&self, i: u32) -> bool {
        self.crates_io[i as usize]
    }

    /// Whether package `i` is a workspace member / a crates.io package / other.
    pub fn declarer(&self, i: u32) -> Declarer {
        let p = &self.lock.packages[i as usize];
        if p.source.is_none() {
            let is_member = self.workspace.is_some_and(|w| {
                w.member(&p.name, &crate::version_text::version_text(&p.version))
                    .is_some()
            });
            // Without `cargo metadata`, a path package is most likely a member, but its
            // manifest is unknown: it is still the place a manifest edit would go.
            return if is_member || self.workspace.is_none() {
                Declarer::Member
            } else {
                Declarer::Other
            };
        }
        if self.is_crates_io(i) {
            Declarer::Registry
        } else {
            Declarer::Other
        }
    }

    /// Calls `f` with the declarations that resolved `from → to`: those package `to`'s
    /// version satisfies, or all of `from`'s declarations on that crate if none does (only
    /// a stale lockfile does that). `None` when nothing says. The declarations are
    /// borrowed from the manifest or the index entry's requirements on `to`.
    pub fn edge<R>(&self, from: u32, to: u32, f: impl FnOnce(&[Declared<'_>]) -> R) -> Option<R> {
        let p = &self.lock.packages[from as usize];
        let target = &self.lock.packages[to as usize];
        let name = target.name.as_str();
        let on; // keeps the index entry's requirements the declarations borrow from
        let mut all: Vec<Declared<'_>> = if p.source.is_none() {
            let ws = self.workspace?;
            let m = ws.member(&p.name, &crate::version_text::version_text(&p.version))?;
            m.deps
                .iter()
                .filter(|d| d.package == name)
                .map(Declared::from)
                .collect()
        } else if self.is_crates_io(from) {
            on = self
                .registry?
                .version_entry(&p.name, &p.version)?
                .requirements_on(name);
            on.iter().map(Declared::from).collect()
        } else {
            return None;
        };
        if all.iter().any(|d| d.req.matches(&target.version)) {
            all.retain(|d| d.req.matches(&target.version));
        }
        Some(f(&all))
    }
}
