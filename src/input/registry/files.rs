//! The on-disk formats: cargo's index cache files, registry index JSON lines, and the
//! manifests of a `directory` source.

use super::{DepKind, IndexDep, IndexVersion, MAX_INDEX_FILE};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// cargo's index cache format version (`CURRENT_CACHE_VERSION` in cargo).
const CACHE_VERSION: u8 = 3;
/// The sparse crates.io cache folder: cargo ≥ 1.85 hashes the URL with a stable hash; older
/// cargo used the second name.
const SPARSE_DIRS: [&str; 2] = [
    "index.crates.io-1949cf8c6b5b557f",
    "index.crates.io-6f17d22bba15001f",
];
/// The git crates.io index folder.
const GIT_DIR: &str = "github.com-1ecc6299db9ec823";

/// The index path of a crate: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…` (lower-case).
pub fn index_rel_path(name: &str) -> PathBuf {
    PathBuf::from(index_rel_text(name))
}

/// [`index_rel_path`] as text, its parts joined by `/` (which every platform reads as a
/// separator; [`Folder::stat`] takes it as it is).
///
/// [`Folder::stat`]: advisories_cache::fingerprint::Folder::stat
pub fn index_rel_text(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let mut out = String::with_capacity(2 * lower.len() + 4);
    for part in index_folders(&lower) {
        out.push_str(part);
        out.push('/');
    }
    out.push_str(&lower);
    out
}

/// The folders of a lower-case crate name's index path, in order.
fn index_folders(lower: &str) -> Vec<&str> {
    match lower.len() {
        1 => vec!["1"],
        2 => vec!["2"],
        3 => vec!["3", &lower[..1]],
        _ => vec![&lower[..2], &lower[2..4]],
    }
}

/// Reads a regular file (not a symlink, FIFO or device) of bounded size.
pub fn read_limited(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_INDEX_FILE {
        return None;
    }
    std::fs::read(path).ok()
}

/// The cache file for `name` under the crates.io cache folders `roots` (see
/// [`cache_roots`]), if one exists.
pub fn cache_path(roots: &[PathBuf], name: &str) -> Option<PathBuf> {
    match roots {
        // The usual case: one cache folder, so no probing (the reader checks the file).
        [only] => Some(join_index_path(only, name)),
        many => many
            .iter()
            .map(|r| join_index_path(r, name))
            .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file())),
    }
}

/// `root` joined with [`index_rel_path`] of `name`, built in one buffer (this runs for
/// every crate of a lockfile).
fn join_index_path(root: &Path, name: &str) -> PathBuf {
    let lower = name.to_ascii_lowercase();
    let mut p = std::ffi::OsString::with_capacity(root.as_os_str().len() + 2 * lower.len() + 8);
    p.push(root.as_os_str());
    for part in index_folders(&lower).into_iter().chain([lower.as_str()]) {
        p.push(std::path::MAIN_SEPARATOR_STR);
        p.push(part);
    }
    PathBuf::from(p)
}

/// The `.cache` folders that exist for crates.io under `cargo_home` (the sparse one of
/// current or older cargo, or the git one).
pub fn cache_roots(cargo_home: &Path, git: bool) -> Vec<PathBuf> {
    let index = cargo_home.join("registry").join("index");
    let dirs: &[&str] = if git { &[GIT_DIR] } else { &SPARSE_DIRS };
    dirs.iter()
        .map(|d| index.join(d).join(".cache"))
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()))
        .collect()
}

/// What reading the end of a cache file found.
pub enum Tail {
    /// The JSON of the version's entry.
    Entry(Vec<u8>),
    /// The whole file (its header checked) — the entry was not near the end, or the
    /// file is small; search it with [`entry_json`].
    Whole(Vec<u8>),
    /// A large file searched piece by piece: the version has no entry in it.
    Absent,
    /// Not a cache file cargo writes.
    Invalid,
}

/// The size of the tail read first: most locked versions are recent, and entries are
/// written oldest first.
const TAIL: u64 = 8 * 1024;

/// The largest tail read.
const MAX_TAIL: u64 = 128 * 1024;

/// Reads the end of a cache file looking for `version`'s entry, else the whole file.
pub fn read_tail(path: &Path, version: &str) -> Tail {
    read_tail_inner(path, version).unwrap_or(Tail::Invalid)
}

fn read_tail_inner(path: &Path, version: &str) -> Option<Tail> {
    use std::io::{Read, Seek, SeekFrom};
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if !(6..=MAX_INDEX_FILE).contains(&len) {
        return None;
    }
    let mut head = [0u8; 5];
    file.read_exact(&mut head).ok()?;
    if head[0] != CACHE_VERSION || u32::from_le_bytes(head[1..5].try_into().ok()?) < 2 {
        return None;
    }
    // Growing tails (8, 32, 128 KiB): a recent version costs one small read, an old one
    // at most a third more than reading the file once (larger files are then searched
    // piece by piece, below, rather than through ever larger tails).
    let mut chunk = TAIL;
    let mut buf = Vec::new();
    while len > chunk * 2 && chunk <= MAX_TAIL {
        buf.clear();
        buf.reserve(chunk as usize + 1); // one read, not a probe and several growing ones
        file.seek(SeekFrom::Start(len - chunk)).ok()?;
        (&mut file).take(chunk).read_to_end(&mut buf).ok()?;
        if let Some(json) = entry_json(&buf, version) {
            return Some(Tail::Entry(json.to_vec()));
        }
        chunk *= 4;
    }
    file.seek(SeekFrom::Start(0)).ok()?;
    if len > STREAM_FROM {
        return Some(match search_pieces(file, version)? {
            Some(json) => Tail::Entry(json),
            None => Tail::Absent,
        });
    }
    let mut all = Vec::with_capacity(len as usize);
    file.take(MAX_INDEX_FILE).read_to_end(&mut all).ok()?;
    Some(Tail::Whole(all))
}

/// Files larger than this are searched piece by piece rather than read whole: some
/// crates (`web-sys`, `windows-sys`, `clap`) have cache files of one to several MiB,
/// and reading one into fresh memory costs more (a page fault per 4 KiB) than the
/// search.
const STREAM_FROM: u64 = 256 * 1024;

/// The size of one piece.
const PIECE: usize = 256 * 1024;

/// Searches a cache file (positioned at its start) for `version`'s entry through one
/// buffer: `Some(None)` when it has none; the last match wins, as in [`entry_json`].
fn search_pieces(file: std::fs::File, version: &str) -> Option<Option<Vec<u8>>> {
    use std::io::Read;
    let mut pattern = Vec::with_capacity(version.len() + 2);
    pattern.push(0);
    pattern.extend_from_slice(version.as_bytes());
    pattern.push(0);
    let finder = memchr::memmem::Finder::new(&pattern);
    let mut file = file.take(MAX_INDEX_FILE);
    let mut window: Vec<u8> = Vec::with_capacity(2 * PIECE);
    let mut found = None;
    loop {
        let before = window.len();
        window.resize(before + PIECE, 0);
        let n = file.read(&mut window[before..]).ok()?;
        window.truncate(before + n);
        let at_end = n == 0;
        // Complete entries are taken; what may still be cut (after the last NUL, or a
        // match whose entry has not ended) is kept for the next piece.
        let mut keep_from = memchr::memrchr(0, &window).unwrap_or(0);
        for at in finder.find_iter(&window) {
            let json = &window[at + pattern.len()..];
            match memchr::memchr(0, json) {
                Some(end) => found = Some(json[..end].to_vec()),
                None => {
                    keep_from = keep_from.min(at);
                    break;
                }
            }
        }
        if at_end {
            return Some(found);
        }
        window.drain(..keep_from);
    }
}

/// The JSON of `version`'s entry in (part of) a cache file: `\0version\0json\0` — JSON
/// has no NUL, so the pattern only matches a version field; the last match wins.
pub fn entry_json<'a>(bytes: &'a [u8], version: &str) -> Option<&'a [u8]> {
    let mut pattern = Vec::with_capacity(version.len() + 2);
    pattern.push(0);
    pattern.extend_from_slice(version.as_bytes());
    pattern.push(0);
    let at = memchr::memmem::rfind(bytes, &pattern)?;
    let json = &bytes[at + pattern.len()..];
    let end = memchr::memchr(0, json)?;
    Some(&json[..end])
}

/// The yanked flag of one entry without decoding it: in valid JSON, `"yanked"` followed
/// by a colon can only be that key (a quote inside a string is escaped); anything else
/// is decoded properly.
pub fn entry_yanked(json: &[u8]) -> bool {
    // crates.io writes `yanked` near the end of each entry: search from there, and
    // allow the spaces its JSON has around the colon.
    if let Some(at) = memchr::memmem::rfind(json, b"\"yanked\"") {
        let rest = json[at + 8..].trim_ascii_start();
        if let Some(value) = rest.strip_prefix(b":").map(<[u8]>::trim_ascii_start) {
            if value.starts_with(b"true") {
                return true;
            }
            if value.starts_with(b"false") {
                return false;
            }
        }
    }
    if memchr::memmem::find(json, b"\"yanked\"").is_none() {
        return false;
    }
    #[derive(Deserialize)]
    struct Yanked {
        #[serde(default)]
        yanked: Option<bool>,
    }
    serde_json::from_slice::<Yanked>(json)
        .ok()
        .and_then(|y| y.yanked)
        .unwrap_or(false)
}

/// A whole cache file with the place of each version's entry, so a lookup is a hash
/// probe rather than a search of the file.
pub struct CacheFile {
    bytes: Vec<u8>,
    entries: HashMap<Box<str>, (usize, usize)>,
}

impl std::fmt::Debug for CacheFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CacheFile({} bytes, {} versions)",
            self.bytes.len(),
            self.entries.len()
        )
    }
}

impl CacheFile {
    /// Indexes a cache file; `None` if its header is not one cargo writes.
    pub fn new(bytes: Vec<u8>) -> Option<CacheFile> {
        let base = bytes.as_ptr() as usize;
        let entries = cache_entries(&bytes)?
            .filter_map(|(v, json)| {
                let start = json.as_ptr() as usize - base;
                Some((
                    Box::from(std::str::from_utf8(v).ok()?),
                    (start, start + json.len()),
                ))
            })
            .collect();
        Some(CacheFile { bytes, entries })
    }

    /// The JSON of `version`'s entry.
    pub fn entry(&self, version: &str) -> Option<&[u8]> {
        let &(start, end) = self.entries.get(version)?;
        self.bytes.get(start..end)
    }

    /// Every version, decoded.
    pub fn versions(&self) -> Vec<IndexVersion> {
        parse_cache_file(&self.bytes).unwrap_or_default()
    }

    /// Every version with its yanked flag.
    pub fn published(&self) -> Vec<(semver::Version, bool)> {
        self.entries
            .iter()
            .filter_map(|(v, &(start, end))| {
                let v = semver::Version::parse(v).ok()?;
                Some((v, entry_yanked(self.bytes.get(start..end)?)))
            })
            .collect()
    }
}

/// The `(version, json)` entries of a cache file, after checking its header.
fn cache_entries(bytes: &[u8]) -> Option<impl Iterator<Item = (&[u8], &[u8])>> {
    let (&version, rest) = bytes.split_first()?;
    if version != CACHE_VERSION || rest.len() < 4 {
        return None;
    }
    let index_v = u32::from_le_bytes(rest[..4].try_into().ok()?);
    if index_v < 2 {
        return None;
    }
    let body = &rest[4..];
    let mut nuls = memchr::memchr_iter(0, body);
    let mut start = nuls.next()? + 1; // after the revision (etag or commit)
    Some(std::iter::from_fn(move || {
        let v_end = nuls.next()?;
        let json_end = nuls.next()?;
        let v = &body[start..v_end];
        let json = &body[v_end + 1..json_end];
        start = json_end + 1;
        Some((v, json))
    }))
}

/// Every version in a cache file; `None` if the header is not one cargo writes.
pub fn parse_cache_file(bytes: &[u8]) -> Option<Vec<IndexVersion>> {
    Some(
        cache_entries(bytes)?
            .filter_map(|(_, json)| parse_entry(json))
            .collect(),
    )
}

/// A registry index file: one JSON object per line.
pub fn parse_json_lines(bytes: &[u8]) -> Vec<IndexVersion> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .filter_map(parse_entry)
        .collect()
}

#[derive(Deserialize)]
struct RawEntry {
    vers: String,
    #[serde(default)]
    deps: Vec<RawDep>,
    #[serde(default)]
    yanked: Option<bool>,
}

#[derive(Deserialize)]
struct RawDep {
    name: String,
    req: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    target: Option<String>,
    /// The real name when the dependency is renamed.
    #[serde(default)]
    package: Option<String>,
}

pub fn parse_entry(json: &[u8]) -> Option<IndexVersion> {
    let raw: RawEntry = serde_json::from_slice(json).ok()?;
    Some(IndexVersion::new(
        semver::Version::parse(&raw.vers).ok()?,
        raw.yanked.unwrap_or(false),
        raw.deps
            .into_iter()
            .filter_map(|d| {
                Some(IndexDep {
                    package: d.package.unwrap_or(d.name),
                    req: semver::VersionReq::parse(&d.req).ok()?,
                    kind: DepKind::parse(d.kind.as_deref()),
                    optional: d.optional,
                    target: d.target,
                })
            })
            .collect(),
    ))
}

/// The features one entry offers: its `features` and `features2` tables, and the
/// optional dependencies no feature names as `dep:NAME` (those are features too).
pub fn entry_features(json: &[u8]) -> Option<std::collections::BTreeSet<String>> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default)]
        deps: Vec<OptDep>,
        #[serde(default)]
        features: std::collections::BTreeMap<String, Vec<String>>,
        #[serde(default)]
        features2: Option<std::collections::BTreeMap<String, Vec<String>>>,
    }
    #[derive(Deserialize)]
    struct OptDep {
        name: String,
        #[serde(default)]
        optional: bool,
    }
    let raw: Raw = serde_json::from_slice(json).ok()?;
    let tables = || raw.features.iter().chain(raw.features2.iter().flatten());
    let mut out: std::collections::BTreeSet<String> = tables().map(|(k, _)| k.clone()).collect();
    let explicit: std::collections::BTreeSet<&str> = tables()
        .flat_map(|(_, v)| v.iter())
        .filter_map(|f| f.strip_prefix("dep:"))
        .collect();
    for d in raw.deps.iter().filter(|d| d.optional) {
        if !explicit.contains(d.name.as_str()) {
            out.insert(d.name.clone());
        }
    }
    Some(out)
}

/// The JSON line of `version` in a registry index file (one JSON object per line).
pub fn json_line<'a>(bytes: &'a [u8], version: &str) -> Option<&'a [u8]> {
    #[derive(Deserialize)]
    struct Vers<'s> {
        #[serde(borrow)]
        vers: std::borrow::Cow<'s, str>,
    }
    bytes
        .split(|&b| b == b'\n')
        .rev()
        .find(|l| serde_json::from_slice::<Vers>(l).is_ok_and(|v| v.vers == version))
}

/// Every crate of a `directory` source (`cargo vendor` output), by name.
pub fn read_directory_source(root: &Path) -> HashMap<String, Vec<IndexVersion>> {
    let mut out: HashMap<String, Vec<IndexVersion>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return out;
    };
    for entry in entries.flatten().take(100_000) {
        let Ok(ft) = entry.file_type() else { continue };
        if !ft.is_dir() {
            continue;
        }
        let Some(bytes) = read_limited(&entry.path().join("Cargo.toml")) else {
            continue;
        };
        let Some((name, v)) = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok())
            .and_then(|t| manifest_version(&t))
        else {
            continue;
        };
        out.entry(name).or_default().push(v);
    }
    out
}

/// A vendored manifest as an index entry: its name, version and dependency tables.
pub fn manifest_version(t: &toml::Table) -> Option<(String, IndexVersion)> {
    let pkg = t.get("package")?.as_table()?;
    let name = pkg.get("name")?.as_str()?.to_string();
    let version = semver::Version::parse(pkg.get("version")?.as_str()?).ok()?;
    let mut deps = Vec::new();
    collect_dep_tables(t, None, &mut deps);
    if let Some(targets) = t.get("target").and_then(|v| v.as_table()) {
        for (cfg, table) in targets {
            if let Some(table) = table.as_table() {
                collect_dep_tables(table, Some(cfg), &mut deps);
            }
        }
    }
    Some((name, IndexVersion::new(version, false, deps)))
}

fn collect_dep_tables(t: &toml::Table, target: Option<&str>, out: &mut Vec<IndexDep>) {
    let kinds = [
        ("dependencies", DepKind::Normal),
        ("build-dependencies", DepKind::Build),
        ("build_dependencies", DepKind::Build),
        ("dev-dependencies", DepKind::Dev),
        ("dev_dependencies", DepKind::Dev),
    ];
    for (key, kind) in kinds {
        let Some(table) = t.get(key).and_then(|v| v.as_table()) else {
            continue;
        };
        for (dep_name, spec) in table {
            let (req, package, optional) = match spec {
                toml::Value::String(s) => (s.as_str(), dep_name.as_str(), false),
                toml::Value::Table(d) => (
                    d.get("version").and_then(|v| v.as_str()).unwrap_or("*"),
                    d.get("package")
                        .and_then(|v| v.as_str())
                        .unwrap_or(dep_name),
                    d.get("optional").and_then(|v| v.as_bool()).unwrap_or(false),
                ),
                _ => continue,
            };
            let Ok(req) = semver::VersionReq::parse(req) else {
                continue;
            };
            out.push(IndexDep {
                package: package.to_string(),
                req,
                kind,
                optional,
                target: target.map(str::to_string),
            });
        }
    }
}
