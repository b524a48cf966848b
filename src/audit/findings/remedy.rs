//! What to do about a finding, as plain data: the kind of fix, its steps and the
//! remediation a finding carries. The planner (`crate::audit::remediation`) makes these; every
//! report renders them. They live with the findings because findings carry them.

use serde::Serialize;

/// The kind of fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// `cargo update` alone fixes it, moving no dependent of the crate.
    LockfileUpdate,
    /// A dependent must move first (or a member's manifest be edited).
    BumpParent,
    /// No fix is published, or none is compatible anywhere up the chain.
    NoFix,
    /// A binary: rebuild it with a patched version of the crate.
    Rebuild,
}

impl Outcome {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::LockfileUpdate => "lockfile-update",
            Outcome::BumpParent => "bump-parent",
            Outcome::NoFix => "no-fix",
            Outcome::Rebuild => "rebuild",
        }
    }
}

/// One action of a plan (each variant's fields in sorted order, as [`Remediation`]'s).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    /// `cargo update -p package@from --precise to`.
    Update {
        /// Within semver compatibility of the locked version (a move between
        /// pre-releases never is).
        compatible: bool,
        /// Locked version now.
        from: String,
        /// Crate.
        package: String,
        /// Version to lock.
        to: String,
    },
    /// Raise a workspace member's requirement on a dependency.
    ManifestEdit {
        /// The new requirement stays within semver compatibility of the locked version.
        compatible: bool,
        /// The requirement now.
        from_req: Option<String>,
        /// The key it is written under.
        key: String,
        /// `normal`, `build` or `dev`.
        kind: &'static str,
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
        /// Never known to be compatible.
        compatible: bool,
        /// What to do and why.
        instruction: String,
        /// Crate.
        package: String,
        /// Its locked version.
        version: String,
    },
}

impl Step {
    /// The step as one line a user can act on: a command, or for a manifest edit the
    /// line to write (a `cargo add` command where one does exactly that).
    pub fn command(&self) -> String {
        match self {
            Step::Update {
                package, from, to, ..
            } => {
                format!("cargo update -p {package}@{from} --precise {to}")
            }
            Step::ManifestEdit {
                key,
                manifest,
                line,
                from_req,
                to_req,
                member,
                package,
                kind,
                workspace_dependency,
                table_path,
                ..
            } => {
                // `cargo add` rewrites a plain entry of a member's own table in place,
                // keeping its features; anything else is shown as the edit itself.
                let plain_table = matches!(
                    table_path.first().map(String::as_str),
                    Some("dependencies" | "dev-dependencies" | "build-dependencies")
                );
                if !*workspace_dependency && key == package && plain_table {
                    let flag = match *kind {
                        "dev" => " --dev",
                        "build" => " --build",
                        _ => "",
                    };
                    return format!("cargo add {package}@{to_req} -p {member}{flag}");
                }
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
                let from = from_req
                    .as_deref()
                    .map(|f| format!("{key} = \"{f}\" → "))
                    .unwrap_or_default();
                format!("edit {place}{table}: {from}{key} = \"{to_req}\"")
            }
            Step::Manual { instruction, .. } => instruction.clone(),
        }
    }

    /// Within semver compatibility of what is locked or required now.
    pub fn compatible(&self) -> bool {
        match self {
            Step::Update { compatible, .. }
            | Step::ManifestEdit { compatible, .. }
            | Step::Manual { compatible, .. } => *compatible,
        }
    }

    /// The crate the step moves.
    pub fn package(&self) -> &str {
        match self {
            Step::Update { package, .. }
            | Step::ManifestEdit { package, .. }
            | Step::Manual { package, .. } => package,
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
    /// Every step stays within semver compatibility (`fix` needs `--allow-breaking`
    /// otherwise).
    pub compatible: bool,
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
    /// Every version and requirement used came from index or manifest data, and for
    /// `no-fix`, the search was exhaustive (no limit cut it short).
    pub verified: bool,
}
