//! Where a package's Rust source is on this machine, and reading it, for reachability:
//! a workspace member's folder, cargo's unpacked registry sources
//! (`$CARGO_HOME/registry/src/*/NAME-VERSION`), or a `vendor/` folder beside the
//! lockfile. Nothing is downloaded, built or run; links are never followed; reading is
//! bounded in files and bytes.

use crate::input::lockfile::Package;
use crate::input::workspace::WorkspaceInfo;
use std::path::{Path, PathBuf};

/// Files larger than this are not read (the crate is then `unknown`).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// At most this many `.rs` files per crate.
const MAX_FILES: usize = 5_000;
/// At most this many bytes per crate.
const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;

/// Where sources may be found for one lockfile.
#[derive(Debug, Clone, Default)]
pub struct SourceRoots {
    /// `$CARGO_HOME/registry/src/*` folders.
    pub registry: Vec<PathBuf>,
    /// `vendor/` beside the lockfile, when present.
    pub vendor: Option<PathBuf>,
    /// The lockfile's folder (a single-package workspace's member is there).
    pub lock_dir: PathBuf,
    /// Members' folders by (name, version), when `cargo metadata` ran.
    pub members: Vec<(String, String, PathBuf)>,
}

impl SourceRoots {
    /// The places to look for a lockfile at `lockfile`.
    pub fn for_lockfile(lockfile: &Path, ws: Option<&WorkspaceInfo>) -> SourceRoots {
        let lock_dir = lockfile.parent().map(Path::to_path_buf).unwrap_or_default();
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
        let mut registry = Vec::new();
        if let Some(home) = cargo_home
            && let Ok(dirs) = std::fs::read_dir(home.join("registry").join("src"))
        {
            for d in dirs.flatten() {
                if d.file_type().is_ok_and(|t| t.is_dir()) {
                    registry.push(d.path());
                }
            }
        }
        registry.sort();
        let vendor = Some(lock_dir.join("vendor")).filter(|v| v.is_dir());
        let members = ws
            .map(|w| {
                w.members
                    .iter()
                    .filter_map(|m| {
                        Some((
                            m.name.clone(),
                            m.version.clone(),
                            m.manifest.parent()?.to_path_buf(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        SourceRoots {
            registry,
            vendor,
            lock_dir,
            members,
        }
    }

    /// The folder holding `p`'s `Cargo.toml`, when this machine has it.
    pub fn locate(&self, p: &Package) -> Option<PathBuf> {
        let version = crate::version_text::version_text(&p.version);
        if p.source.is_none() {
            if let Some((_, _, dir)) = self
                .members
                .iter()
                .find(|(n, v, _)| *n == p.name && *v == version)
            {
                return Some(dir.clone());
            }
            // Lockfile-only: the package at the lockfile's folder, when its manifest
            // names it.
            let manifest = self.lock_dir.join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest).ok()?;
            let doc: toml::Table = toml::from_str(&text).ok()?;
            let name = doc.get("package")?.get("name")?.as_str()?;
            return (name == p.name).then(|| self.lock_dir.clone());
        }
        let dir_name = format!("{}-{version}", p.name);
        for r in &self.registry {
            let d = r.join(&dir_name);
            if is_real_dir(&d) {
                return Some(d);
            }
        }
        if let Some(v) = &self.vendor {
            for d in [v.join(&dir_name), v.join(&p.name)] {
                if is_real_dir(&d) && manifest_version(&d).as_deref() == Some(version.as_str()) {
                    return Some(d);
                }
            }
        }
        None
    }
}

fn is_real_dir(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir())
}

fn manifest_version(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    Some(doc.get("package")?.get("version")?.as_str()?.to_string())
}

/// A crate's Rust files: (path relative to its folder, text). Skips `target/`, hidden
/// folders and links; stops with an error past the file and byte limits.
pub fn read_rust_files(root: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let Ok(ft) = e.file_type() else { continue };
            let name = e.file_name();
            let name = name.to_string_lossy();
            if ft.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    stack.push(e.path());
                }
            } else if ft.is_file() && name.ends_with(".rs") {
                let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                if len > MAX_FILE_BYTES {
                    return Err(format!("{} is larger than 4 MiB", e.path().display()));
                }
                total += len;
                if total > MAX_TOTAL_BYTES || out.len() >= MAX_FILES {
                    return Err(format!("{} holds too much source to read", root.display()));
                }
                let text = std::fs::read_to_string(e.path())
                    .map_err(|err| format!("{}: {err}", e.path().display()))?;
                let rel = e
                    .path()
                    .strip_prefix(root)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                out.push((rel, text));
            }
        }
    }
    Ok(out)
}

/// The names a crate's manifest gives its dependency on `package` (`foo = { package =
/// "vuln" }` makes `foo`), underscored as code writes them, besides the package's own.
pub fn dependency_aliases(dir: &Path, package: &str) -> Vec<String> {
    let mut out = vec![package.replace('-', "_")];
    let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
        return out;
    };
    let Ok(doc) = toml::from_str::<toml::Table>(&text) else {
        return out;
    };
    let mut tables: Vec<&toml::Table> = Vec::new();
    for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = doc.get(key).and_then(|t| t.as_table()) {
            tables.push(t);
        }
    }
    if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
        for t in targets.values() {
            for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                if let Some(t) = t.get(key).and_then(|t| t.as_table()) {
                    tables.push(t);
                }
            }
        }
    }
    for t in tables {
        for (k, v) in t {
            if v.get("package").and_then(|p| p.as_str()) == Some(package) {
                let alias = k.replace('-', "_");
                if !out.contains(&alias) {
                    out.push(alias);
                }
            }
        }
    }
    out
}
