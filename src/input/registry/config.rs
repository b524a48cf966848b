//! Which index cargo would use for crates.io in a workspace, read the way cargo reads its
//! configuration: `.cargo/config.toml` (or `.cargo/config`) in the workspace folder and
//! every parent, then `$CARGO_HOME/config.toml`; the deepest file wins per key. Only
//! files are read — nothing is run. Source replacement chains (`replace-with`) are
//! followed to a `local-registry` or `directory` source; a replacement by another remote
//! registry is reported as unsupported rather than guessed.

use std::path::{Path, PathBuf};

/// Where crates.io's index data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexSource {
    /// cargo's own cache of the crates.io index (sparse or git protocol).
    CratesIoCache {
        /// `$CARGO_HOME`.
        cargo_home: PathBuf,
        /// The git protocol was configured (`registries.crates-io.protocol = "git"`).
        git: bool,
    },
    /// A `local-registry` source: `index/` plus `.crate` files.
    LocalRegistry(PathBuf),
    /// A `directory` source: one unpacked crate per folder.
    Directory(PathBuf),
    /// A replacement we cannot read offline (another remote registry).
    Unsupported(String),
}

impl IndexSource {
    /// What kind of source it is, without paths.
    pub fn kind(&self) -> &'static str {
        match self {
            IndexSource::CratesIoCache { .. } => "cargo's crates.io index cache",
            IndexSource::LocalRegistry(_) => "the local registry",
            IndexSource::Directory(_) => "the directory source",
            IndexSource::Unsupported(_) => "an index that is not read",
        }
    }

    /// A short description for notes and reports.
    pub fn describe(&self) -> String {
        match self {
            IndexSource::CratesIoCache { cargo_home, git } => format!(
                "cargo's crates.io index cache ({}) under {}",
                if *git { "git" } else { "sparse" },
                cargo_home.join("registry").join("index").display()
            ),
            IndexSource::LocalRegistry(p) => format!("local-registry {}", p.display()),
            IndexSource::Directory(p) => format!("directory source {}", p.display()),
            IndexSource::Unsupported(why) => why.clone(),
        }
    }
}

/// `$CARGO_HOME`, or `~/.cargo`.
pub fn cargo_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CARGO_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cargo")
}

/// One configuration file's `[source]` and protocol settings, with the folder its
/// relative paths are resolved against.
struct ConfigFile {
    base: PathBuf,
    value: toml::Table,
}

/// Config files that apply to `dir`, deepest first, then `$CARGO_HOME`'s.
fn config_files(dir: Option<&Path>, home: &Path) -> Vec<ConfigFile> {
    let mut out = Vec::new();
    let mut seen_home = false;
    let push = |cargo_dir: &Path, out: &mut Vec<ConfigFile>| {
        // cargo prefers the extension-less `config` when both exist.
        for name in ["config", "config.toml"] {
            let file = cargo_dir.join(name);
            if let Some(value) = read_table(&file) {
                let base = cargo_dir.parent().unwrap_or(cargo_dir).to_path_buf();
                out.push(ConfigFile { base, value });
                return;
            }
        }
    };
    if let Some(dir) = dir {
        let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        for d in abs.ancestors() {
            let cargo_dir = d.join(".cargo");
            if cargo_dir == home {
                seen_home = true;
            }
            push(&cargo_dir, &mut out);
        }
    }
    if !seen_home {
        push(home, &mut out);
    }
    out
}

/// Reads a small TOML file; unreadable or malformed files are skipped (cargo itself
/// would refuse to run, and the audit should not fail for that).
fn read_table(path: &Path) -> Option<toml::Table> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 1024 * 1024 {
        return None;
    }
    std::fs::read_to_string(path).ok()?.parse().ok()
}

/// The string at `table.key1.key2.key3` in the first (deepest) file that has it, with
/// that file's base folder.
fn lookup<'a>(files: &'a [ConfigFile], keys: &[&str]) -> Option<(&'a str, &'a Path)> {
    files.iter().find_map(|f| {
        let mut v: &toml::Value = f.value.get(keys[0])?;
        for k in &keys[1..] {
            v = v.get(*k)?;
        }
        Some((v.as_str()?, f.base.as_path()))
    })
}

/// The index source cargo would use for crates.io when run in `dir` (`None`: only
/// `$CARGO_HOME`'s configuration, as for scans of other people's repositories).
pub fn crates_io_source(dir: Option<&Path>) -> IndexSource {
    let home = cargo_home();
    let files = config_files(dir, &home);
    let mut name = "crates-io".to_string();
    for _ in 0..16 {
        let Some((next, _)) = lookup(&files, &["source", &name, "replace-with"]) else {
            break;
        };
        name = next.to_string();
        if let Some((path, base)) = lookup(&files, &["source", &name, "local-registry"]) {
            return IndexSource::LocalRegistry(base.join(path));
        }
        if let Some((path, base)) = lookup(&files, &["source", &name, "directory"]) {
            return IndexSource::Directory(base.join(path));
        }
        if let Some((url, _)) = lookup(&files, &["source", &name, "registry"]) {
            return IndexSource::Unsupported(format!(
                "crates.io is replaced by the remote registry {url}, whose index is not read"
            ));
        }
    }
    let protocol = std::env::var("CARGO_REGISTRIES_CRATES_IO_PROTOCOL")
        .ok()
        .or_else(|| {
            lookup(&files, &["registries", "crates-io", "protocol"]).map(|(p, _)| p.to_string())
        });
    IndexSource::CratesIoCache {
        cargo_home: home,
        git: protocol.as_deref() == Some("git"),
    }
}
