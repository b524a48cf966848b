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
    /// Workspace member `(name, version)`s from `cargo metadata`, when it was run.
    pub members: Option<Vec<(String, String)>>,
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
        && let Some((root, members)) = cargo_metadata(&manifest)
    {
        let lockfile = root.join("Cargo.lock");
        if lockfile.is_file() {
            return Ok(Target {
                lockfile,
                members: Some(members),
            });
        }
        return Err(WorkspaceError::NoLockfile(root));
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
                members: None,
            });
        }
        dir = d.parent();
    }
    Err(WorkspaceError::NoLockfile(start))
}

/// Runs `cargo metadata --no-deps --offline` for the root and members; `None` on failure.
fn cargo_metadata(manifest: &Path) -> Option<(PathBuf, Vec<(String, String)>)> {
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
        .map(|p| (p.name.to_string(), p.version.to_string()))
        .collect();
    Some((meta.workspace_root.into_std_path_buf(), members))
}
