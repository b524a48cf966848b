//! `Cargo.lock` as the audit sees it: packages (name, version, source, the line of their
//! `[[package]]` header) and the resolved dependency edges between them. Every format is
//! read: v1 with `[root]`, v1 with `[metadata]` checksums, v2, v3, v4.
//!
//! Parsing is two-tier for speed without losing exactness: a hand-written reader for the
//! canonical layout cargo writes (`fast.rs`), which bails out on anything it does not
//! fully understand, and the `toml` crate for everything else. Both produce the same
//! [`RawLockfile`]; a property test holds them equal.

mod fast;
mod graph;

pub use graph::DepGraph;

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Lockfiles larger than this are refused (the largest real ones are ~300 KiB).
pub const MAX_LOCKFILE_BYTES: u64 = 64 * 1024 * 1024;
/// More packages than this are refused.
pub const MAX_PACKAGES: usize = 200_000;

/// The lockfile as written, before versions are parsed and dependencies resolved.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
pub struct RawLockfile {
    /// The `version = N` line (absent in v1).
    pub version: Option<i64>,
    /// `[[package]]` tables.
    #[serde(default)]
    pub package: Vec<RawPackage>,
    /// The v1 `[root]` table.
    pub root: Option<RawPackage>,
    /// The `[metadata]` table's presence (v1 checksums), as a count of entries.
    #[serde(default, deserialize_with = "count_table")]
    pub metadata: usize,
}

fn count_table<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let t: std::collections::BTreeMap<String, toml::Value> = Deserialize::deserialize(d)?;
    Ok(t.len())
}

/// One `[[package]]` (or `[root]`) table as written.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
pub struct RawPackage {
    /// Crate name.
    pub name: String,
    /// Version text.
    pub version: String,
    /// Source URL with kind prefix; absent for path packages.
    pub source: Option<String>,
    /// Checksum (v2+).
    pub checksum: Option<String>,
    /// Dependency references: `name`, `name version` or `name version (source)`.
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// `[replace]` target (old lockfiles).
    pub replace: Option<String>,
}

/// The lockfile as written, borrowing every string from the text (or from a
/// [`RawLockfile`]): what the fast reader produces, and what [`from_raw`] reads.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Borrowed<'a> {
    /// The `version = N` line (absent in v1).
    pub version: Option<i64>,
    /// `[[package]]` tables.
    pub packages: Vec<Pkg<'a>>,
    /// The v1 `[root]` table.
    pub root: Option<Pkg<'a>>,
    /// Entries of the `[metadata]` table.
    pub metadata: usize,
    /// Every package's dependency references, one after the other (see [`Pkg::deps`]).
    pub deps: Vec<&'a str>,
}

/// One `[[package]]` (or `[root]`) table as written, borrowed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pkg<'a> {
    /// Crate name.
    pub name: &'a str,
    /// Version text.
    pub version: &'a str,
    /// Source URL with kind prefix; absent for path packages.
    pub source: Option<&'a str>,
    /// Checksum (v2+).
    pub checksum: Option<&'a str>,
    /// `[replace]` target (old lockfiles).
    pub replace: Option<&'a str>,
    /// Its dependency references: `Borrowed::deps[start..end]`.
    pub deps: (u32, u32),
}

impl<'a> Borrowed<'a> {
    /// A borrowed view of an owned lockfile.
    pub fn of(raw: &'a RawLockfile) -> Self {
        let mut deps = Vec::new();
        let mut pkg = |p: &'a RawPackage| {
            let start = deps.len() as u32;
            deps.extend(p.dependencies.iter().map(String::as_str));
            Pkg {
                name: &p.name,
                version: &p.version,
                source: p.source.as_deref(),
                checksum: p.checksum.as_deref(),
                replace: p.replace.as_deref(),
                deps: (start, deps.len() as u32),
            }
        };
        let root = raw.root.as_ref().map(&mut pkg);
        let packages = raw.package.iter().map(&mut pkg).collect();
        Borrowed {
            version: raw.version,
            packages,
            root,
            metadata: raw.metadata,
            deps,
        }
    }

    /// The dependency references of `p`.
    pub fn deps_of(&self, p: &Pkg<'a>) -> &[&'a str] {
        self.deps
            .get(p.deps.0 as usize..p.deps.1 as usize)
            .unwrap_or_default()
    }

    /// An owned copy (to compare with the `toml` crate's reading).
    pub fn to_raw(&self) -> RawLockfile {
        let owned = |p: &Pkg<'a>| RawPackage {
            name: p.name.to_string(),
            version: p.version.to_string(),
            source: p.source.map(str::to_string),
            checksum: p.checksum.map(str::to_string),
            dependencies: self.deps_of(p).iter().map(|d| d.to_string()).collect(),
            replace: p.replace.map(str::to_string),
        };
        RawLockfile {
            version: self.version,
            package: self.packages.iter().map(owned).collect(),
            root: self.root.as_ref().map(owned),
            metadata: self.metadata,
        }
    }
}

/// One locked package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Crate name.
    pub name: String,
    /// Parsed version.
    pub version: semver::Version,
    /// Source (`registry+https://…`, `git+https://…`), absent for path packages.
    pub source: Option<std::sync::Arc<str>>,
    /// 1-based line of its `[[package]]` (or `[root]`) header.
    pub line: u32,
}

impl Package {
    /// `name version`, the way paths print a step.
    pub fn label(&self) -> String {
        let mut s = String::with_capacity(self.name.len() + 17);
        s.push_str(&self.name);
        s.push(' ');
        crate::version_text::push_version(&mut s, &self.version);
        s
    }
}

/// A parsed lockfile.
#[derive(Debug, Clone)]
pub struct Lockfile {
    /// Format version (1 when absent).
    pub version: i64,
    /// All packages, `[root]` first when present.
    pub packages: Vec<Package>,
    /// Resolved dependency edges.
    pub graph: DepGraph,
    /// Per package, whether it is only a build-time dependency (build scripts,
    /// proc-macros and what they use). Known for a binary's embedded dependency list
    /// ([`crate::input::binary`]); empty for a `Cargo.lock`, which does not say.
    pub build_only: Vec<bool>,
}

/// Why a lockfile could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    /// The file could not be read.
    #[error("failed to read {}: {source}", crate::pathtext::display(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not a readable lockfile.
    #[error(
        "{} is not a valid Cargo.lock: {reason}",
        crate::pathtext::display(path)
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Reads and parses the lockfile at `path`.
pub fn load(path: &Path) -> Result<Lockfile, LockfileError> {
    let bytes = read_bounded(path)?;
    parse_bytes(&bytes).map_err(|reason| LockfileError::Invalid {
        path: path.to_path_buf(),
        reason,
    })
}

/// Reads a regular file of at most [`MAX_LOCKFILE_BYTES`] without following it into
/// FIFOs or devices.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, LockfileError> {
    use std::io::Read;
    let io = |source| LockfileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(LockfileError::Invalid {
            path: path.to_path_buf(),
            reason: "it is a folder, not a file".into(),
        });
    }
    if !meta.is_file() {
        return Err(LockfileError::Invalid {
            path: path.to_path_buf(),
            reason: "not a regular file".into(),
        });
    }
    if meta.len() > MAX_LOCKFILE_BYTES {
        return Err(too_large(path));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_LOCKFILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_LOCKFILE_BYTES {
        return Err(too_large(path));
    }
    Ok(bytes)
}

fn too_large(path: &Path) -> LockfileError {
    LockfileError::Invalid {
        path: path.to_path_buf(),
        reason: format!("larger than {} MiB", MAX_LOCKFILE_BYTES / (1024 * 1024)),
    }
}

/// Parses lockfile bytes; the error is a one-line reason.
pub fn parse_bytes(bytes: &[u8]) -> Result<Lockfile, String> {
    // A simple text (the usual) has no control characters, NUL among them.
    let simple = fast::simple_text(bytes);
    if !simple && memchr::memchr(0, bytes).is_some() {
        return Err("binary data (NUL bytes)".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        )
    })?;
    // Counted before parsing: a million packages would cost far more memory parsed than
    // the text itself takes. A text too short to hold more headers than allowed (each
    // takes at least the 11 bytes of `[[package]]`) needs no count.
    if text.len() / "[[package]]".len() > MAX_PACKAGES {
        let headers = count_package_headers(text);
        if headers > MAX_PACKAGES {
            return Err(too_many_packages(headers));
        }
    }
    if let Some((raw, lines)) = fast::parse_text(text, simple) {
        return from_raw(&raw, &lines);
    }
    let owned = parse_raw_toml(text)?;
    from_raw(&Borrowed::of(&owned), &header_lines(text))
}

/// The `toml` crate's reading of the text (the reference for the fast reader).
pub fn parse_raw_toml(text: &str) -> Result<RawLockfile, String> {
    toml::from_str::<RawLockfile>(text).map_err(|e| {
        let msg = e.message().replace('\n', " ");
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: {msg}")
            }
            None => msg,
        }
    })
}

/// How many lines are `[[package]]` headers (spaces inside the brackets allowed). Only
/// the places of `[[` are looked at: this runs on every lockfile before parsing.
fn count_package_headers(text: &str) -> usize {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, b"[[")
        .filter(|&at| {
            // At the start of a line, after blanks only.
            let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
            let before_blank = bytes[line_start..at]
                .iter()
                .all(|b| b.is_ascii_whitespace());
            let mut compact = text[at..]
                .chars()
                .take_while(|&c| c != '\n')
                .filter(|c| !c.is_whitespace());
            before_blank
                && "[[package]]"
                    .chars()
                    .all(|want| compact.next() == Some(want))
        })
        .count()
}

fn too_many_packages(count: usize) -> String {
    format!("{count} packages, more than the {MAX_PACKAGES} allowed")
}

/// Lines of `[root]` and `[[package]]` headers, in order, for the `toml` fallback.
fn header_lines(text: &str) -> Vec<u32> {
    let mut root = None;
    let mut pkgs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.starts_with("[[package]]") {
            pkgs.push(i as u32 + 1);
        } else if compact.starts_with("[root]") {
            root = Some(i as u32 + 1);
        }
    }
    root.into_iter().chain(pkgs).collect()
}

/// Checks and types a lockfile as written: parses versions, resolves dependencies.
pub fn from_raw(raw: &Borrowed<'_>, lines: &[u32]) -> Result<Lockfile, String> {
    if raw.packages.is_empty() && raw.root.is_none() {
        return Err(if raw.version.is_none() && raw.metadata == 0 {
            "no [[package]] entries (is this a Cargo.lock?)".into()
        } else {
            "it lists no packages".into()
        });
    }
    // v2 has no `version` key either; it is told from v1 by per-package checksums.
    let format = raw.version.unwrap_or_else(|| {
        if raw.root.is_none()
            && raw.metadata == 0
            && raw.packages.iter().any(|p| p.checksum.is_some())
        {
            2
        } else {
            1
        }
    });
    let count = raw.packages.len() + usize::from(raw.root.is_some());
    if count > MAX_PACKAGES {
        return Err(too_many_packages(count));
    }
    let all: Vec<&Pkg<'_>> = raw.root.iter().chain(&raw.packages).collect();
    let mut packages = Vec::with_capacity(count);
    // Most packages share one source (crates.io): it is stored once.
    let mut last_source: Option<std::sync::Arc<str>> = None;
    for (i, p) in all.iter().enumerate() {
        let version = semver::Version::parse(p.version).map_err(|e| {
            format!(
                "package `{}` has an invalid version `{}`: {e}",
                p.name, p.version
            )
        })?;
        if p.name.is_empty() {
            return Err("a package has an empty name".into());
        }
        // Names end up in terminal tables; cargo never writes control characters in one.
        if p.name.chars().any(char::is_control) {
            return Err(format!(
                "package name `{}` contains a control character",
                p.name.escape_debug()
            ));
        }
        packages.push(Package {
            name: p.name.to_string(),
            version,
            source: p.source.map(|s| match &last_source {
                Some(last) if **last == *s => last.clone(),
                _ => last_source.insert(std::sync::Arc::from(s)).clone(),
            }),
            line: lines.get(i).copied().unwrap_or(0),
        });
    }
    let graph = DepGraph::resolve(&all, |p| raw.deps_of(p));
    Ok(Lockfile {
        version: format,
        packages,
        graph,
        build_only: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
