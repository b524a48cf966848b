//! Finding the lockfile (and, when allowed, the workspace members) for an audit.
//! Lockfile-only mode walks up from the manifest's folder to the nearest `Cargo.lock` and
//! spawns nothing. Otherwise `cargo metadata --no-deps` names the workspace root and
//! members; note that cargo honours the project's `.cargo/config.toml`, which can name
//! programs it runs, which is why `--lockfile-only` exists.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the audit reads from.
#[derive(Debug, Clone)]
pub struct Target {
    /// The lockfile.
    pub lockfile: PathBuf,
    /// The members' manifests and declared dependencies, when `cargo metadata` ran.
    pub workspace: Option<WorkspaceInfo>,
}

impl Target {
    /// Workspace member `(name, version)`s, when `cargo metadata` ran (the path roots).
    pub fn members(&self) -> Option<Vec<(String, String)>> {
        self.workspace.as_ref().map(|w| {
            w.members
                .iter()
                .map(|m| (m.name.clone(), m.version.clone()))
                .collect()
        })
    }

    /// The folder whose cargo configuration applies: the workspace root, else the
    /// lockfile's folder.
    pub fn config_dir(&self) -> PathBuf {
        match &self.workspace {
            Some(w) => w.root.clone(),
            None => self
                .lockfile
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        }
    }
}

/// What `cargo metadata --no-deps` says about the workspace: enough to know each
/// member's own dependency kinds and requirements, and where they are written.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceInfo {
    /// The workspace root folder.
    pub root: PathBuf,
    /// The members.
    pub members: Vec<Member>,
}

/// A workspace member.
#[derive(Debug, Clone)]
pub struct Member {
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Its `Cargo.toml`.
    pub manifest: PathBuf,
    /// Its declared dependencies.
    pub deps: Vec<MemberDep>,
}

/// A dependency as a member declares it.
#[derive(Debug, Clone)]
pub struct MemberDep {
    /// The package name.
    pub package: String,
    /// The key it is written under (the rename, else the package name).
    pub key: String,
    /// The requirement.
    pub req: semver::VersionReq,
    /// normal / build / dev.
    pub kind: crate::input::depkind::DepKind,
    /// Optional (behind a feature).
    pub optional: bool,
    /// Target-specific (`cfg(...)` or a triple).
    pub target: Option<String>,
    /// A registry dependency (not path or git).
    pub registry: bool,
}

impl WorkspaceInfo {
    /// The member named `name` at `version`.
    pub fn member(&self, name: &str, version: &str) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.name == name && m.version == version)
    }
}

/// Locating failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// No manifest at the given path.
    #[error("no Cargo.toml at {0}")]
    NoManifest(PathBuf),
    /// No lockfile anywhere up the tree.
    #[error(
        "no Cargo.lock found for {0} (searched it and its parent folders): run `cargo generate-lockfile` first, or pass --file"
    )]
    NoLockfile(PathBuf),
}

/// `--file FILE` (read as it is, nothing run), else the lockfile of the manifest's
/// workspace (see [`locate`]).
pub fn resolve(
    file: Option<&Path>,
    manifest_path: Option<&Path>,
    lockfile_only: bool,
) -> Result<Target, WorkspaceError> {
    match file {
        Some(f) => Ok(Target {
            lockfile: f.to_path_buf(),
            workspace: None,
        }),
        None => locate(manifest_path, lockfile_only),
    }
}

/// Resolves the lockfile to audit.
pub fn locate(manifest_path: Option<&Path>, lockfile_only: bool) -> Result<Target, WorkspaceError> {
    let manifest = manifest_path
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("Cargo.toml"));
    let manifest_given = manifest_path.is_some();
    if manifest_given && !manifest.is_file() {
        return Err(WorkspaceError::NoManifest(manifest));
    }
    if !lockfile_only
        && manifest.is_file()
        && let Some(info) = cargo_metadata(&manifest)
    {
        let lockfile = info.root.join("Cargo.lock");
        if lockfile.is_file() {
            return Ok(Target {
                lockfile,
                workspace: Some(info),
            });
        }
        return Err(WorkspaceError::NoLockfile(info.root));
    }
    let start = manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let start_abs = std::fs::canonicalize(&start).unwrap_or(start.clone());
    let mut dir = Some(start_abs.as_path());
    while let Some(d) = dir {
        let candidate = d.join("Cargo.lock");
        if candidate.is_file() {
            return Ok(Target {
                lockfile: if d == start_abs {
                    start.join("Cargo.lock")
                } else {
                    candidate
                },
                workspace: None,
            });
        }
        dir = d.parent();
    }
    Err(WorkspaceError::NoLockfile(start))
}

/// Runs `cargo metadata --no-deps --offline` for the root and members; `None` on failure.
pub fn cargo_metadata(manifest: &Path) -> Option<WorkspaceInfo> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = cargo_metadata::MetadataCommand::new();
    cmd.cargo_path(PathBuf::from(cargo))
        .manifest_path(manifest)
        .no_deps()
        .other_options(vec!["--offline".to_string()]);
    let mut command: Command = cmd.cargo_command();
    command.stderr(std::process::Stdio::null());
    let output = command.output().ok()?;
    if !output.status.success() {
        return None;
    }
    let meta =
        cargo_metadata::MetadataCommand::parse(String::from_utf8_lossy(&output.stdout)).ok()?;
    let members = meta
        .workspace_packages()
        .iter()
        .map(|p| Member {
            name: p.name.to_string(),
            version: p.version.to_string(),
            manifest: p.manifest_path.clone().into_std_path_buf(),
            deps: p.dependencies.iter().map(member_dep).collect(),
        })
        .collect();
    Some(WorkspaceInfo {
        root: meta.workspace_root.into_std_path_buf(),
        members,
    })
}

fn member_dep(d: &cargo_metadata::Dependency) -> MemberDep {
    use crate::input::depkind::DepKind;
    MemberDep {
        package: d.name.clone(),
        key: d.rename.clone().unwrap_or_else(|| d.name.clone()),
        req: d.req.clone(),
        kind: match d.kind {
            cargo_metadata::DependencyKind::Development => DepKind::Dev,
            cargo_metadata::DependencyKind::Build => DepKind::Build,
            _ => DepKind::Normal,
        },
        optional: d.optional,
        target: d.target.as_ref().map(|t| t.to_string()),
        registry: d.path.is_none()
            && d.source
                .as_ref()
                .is_none_or(|s| s.repr.starts_with("registry+") || s.repr.starts_with("sparse+")),
    }
}
