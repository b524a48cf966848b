//! Reading advisory files from a database folder, tolerantly: one malformed file is
//! skipped and reported, never the end of the run (a new CVSS version or an unknown field
//! in one advisory must not break every audit). Symlinks are never followed, so a
//! hostile database cannot make us read outside its folder.

use crate::error::{CacheError, Result};
use crate::record::{AdvisoryRecord, Collection};
use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Advisory files larger than this are rejected (the largest real one is ~20 KiB).
pub const MAX_ADVISORY_BYTES: u64 = 1024 * 1024;

/// The buffer an advisory is read into first (almost all are smaller).
const READ_AHEAD: usize = 32 * 1024;

pub use crate::error::SkippedFile;

/// What reading a database folder produced.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The usable advisories (placeholders and duplicates dropped).
    pub records: Vec<AdvisoryRecord>,
    /// Files skipped with the reason.
    pub skipped: Vec<SkippedFile>,
}

/// Checks that `dir` looks like an advisory database: a folder with a `crates/` folder.
pub fn check_layout(dir: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CacheError::Missing {
                path: dir.to_path_buf(),
            });
        }
        Err(e) => return Err(CacheError::io("failed to read", dir, e)),
    };
    // The database root itself may be a symlink the user chose (e.g. --db link); only
    // what is inside it is held to the no-symlink rule.
    let is_dir = meta.is_dir() || (meta.file_type().is_symlink() && dir.is_dir());
    if !is_dir {
        return Err(CacheError::NotADatabase {
            path: dir.to_path_buf(),
            reason: "not a folder".into(),
        });
    }
    match fs::symlink_metadata(dir.join("crates")) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(CacheError::NotADatabase {
            path: dir.to_path_buf(),
            reason: "`crates` is not a folder".into(),
        }),
        Err(_) => Err(CacheError::NotADatabase {
            path: dir.to_path_buf(),
            reason: "it has no `crates/` folder".into(),
        }),
    }
}

/// Every advisory file of the database: `(collection, relative path, absolute path)`,
/// sorted for a deterministic result. Symlinks and non-files are left out.
pub fn advisory_files(dir: &Path) -> Result<Vec<(Collection, String, PathBuf)>> {
    Ok(walk(dir, false)?.files)
}

/// What one walk of the database folder found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Advisory files, as [`advisory_files`] lists them.
    pub files: Vec<(Collection, String, PathBuf)>,
    /// With stamps asked for: every `crates/<name>/` folder, its metadata taken before it
    /// was listed, and the names of all its entries, sorted.
    pub crate_dirs: Vec<(String, fs::Metadata, Vec<String>)>,
}

/// Lists the database's advisory files; with `stamps`, also records each crate folder
/// (stat first, then list: a file added after the stat changes the folder's times, so
/// it can never be missed by a stamp made of the two).
pub fn walk(dir: &Path, stamps: bool) -> Result<Walk> {
    let mut folders = Vec::new();
    for (collection, sub) in [(Collection::Crates, "crates"), (Collection::Rust, "rust")] {
        let coll_dir = dir.join(sub);
        let entries = match fs::read_dir(&coll_dir) {
            Ok(e) => e,
            Err(_) if collection == Collection::Rust => continue,
            Err(e) => return Err(CacheError::io("failed to read", &coll_dir, e)),
        };
        for pkg in entries {
            let pkg = pkg.map_err(|e| CacheError::io("failed to read", &coll_dir, e))?;
            let Ok(ft) = pkg.file_type() else { continue };
            if !ft.is_dir() {
                continue; // files and symlinks at this level are not advisories
            }
            let name = pkg.file_name().to_string_lossy().into_owned();
            folders.push((collection, sub, name, pkg.path()));
        }
    }
    // The folders are listed on every CPU (~900 of them in the real database).
    let listed = parallel_map(&folders, |(collection, sub, name, path)| {
        list_folder(
            *collection,
            sub,
            name,
            path,
            stamps && *collection == Collection::Crates,
        )
    });
    let mut out = Walk::default();
    for folder in listed {
        let Some((files, stamp)) = folder? else {
            continue;
        };
        out.files.extend(files);
        out.crate_dirs.extend(stamp);
    }
    out.files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

type Listed = (
    Vec<(Collection, String, PathBuf)>,
    Option<(String, fs::Metadata, Vec<String>)>,
);

/// The advisory files of one crate folder and, with `stamp`, its metadata (taken before
/// listing it) and entry names. `None` when the folder went away since it was listed.
fn list_folder(
    collection: Collection,
    sub: &str,
    pkg_name: &str,
    pkg_dir: &Path,
    stamp: bool,
) -> Result<Option<Listed>> {
    let meta = match stamp.then(|| fs::symlink_metadata(pkg_dir)) {
        Some(Ok(m)) => Some(m),
        Some(Err(_)) => return Ok(None),
        None => None,
    };
    let entries =
        fs::read_dir(pkg_dir).map_err(|e| CacheError::io("failed to read", pkg_dir, e))?;
    let mut names = Vec::new();
    let mut files = Vec::new();
    for file in entries {
        let file = file.map_err(|e| CacheError::io("failed to read", pkg_dir, e))?;
        let name = file.file_name().to_string_lossy().into_owned();
        if meta.is_some() {
            names.push(name.clone());
        }
        if name.starts_with('.') {
            continue; // dotfiles like .DS_Store, as rustsec does
        }
        let Ok(ft) = file.file_type() else { continue };
        if !ft.is_file() {
            continue;
        }
        files.push((collection, format!("{sub}/{pkg_name}/{name}"), file.path()));
    }
    let stamp = meta.map(|meta| {
        names.sort();
        (pkg_name.to_string(), meta, names)
    });
    Ok(Some((files, stamp)))
}

/// Reads and parses every advisory of the database folder.
pub fn load_dir(dir: &Path) -> Result<Loaded> {
    check_layout(dir)?;
    Ok(load_files(&advisory_files(dir)?))
}

/// Reads and parses advisory files (in parallel; the result is in the order given):
/// duplicates of an id and unreadable files become skipped files.
pub fn load_files(files: &[(Collection, String, PathBuf)]) -> Loaded {
    let parsed = parallel_map(files, |(collection, rel, path)| {
        load_one(path, rel, *collection)
    });
    let (records, skipped) = dedupe(files, parsed, |r| &r.id);
    Loaded { records, skipped }
}

/// Reads, parses and encodes advisory files for the index, in parallel; each record is
/// encoded and dropped in the thread that parsed it. Same order and skips as
/// [`load_files`].
pub fn compile_files(
    files: &[(Collection, String, PathBuf)],
) -> (Vec<crate::index::Compiled>, Vec<SkippedFile>) {
    let parsed = parallel_map(files, |(collection, rel, path)| {
        load_one(path, rel, *collection).map(|r| r.as_ref().map(crate::index::Compiled::of))
    });
    dedupe(files, parsed, |c| &c.id)
}

/// Keeps the first record of each id; later ones and errors become skipped files.
fn dedupe<R>(
    files: &[(Collection, String, PathBuf)],
    parsed: Vec<std::result::Result<Option<R>, String>>,
    id: impl Fn(&R) -> &String,
) -> (Vec<R>, Vec<SkippedFile>) {
    let mut records = Vec::with_capacity(parsed.len());
    let mut skipped = Vec::new();
    let mut seen = HashSet::new();
    for ((_, rel, _), result) in files.iter().zip(parsed) {
        match result {
            Ok(None) => {}
            Ok(Some(record)) => {
                if seen.insert(id(&record).clone()) {
                    records.push(record);
                } else {
                    skipped.push(SkippedFile {
                        path: rel.clone(),
                        reason: format!("duplicate advisory id {}", id(&record)),
                    });
                }
            }
            Err(reason) => skipped.push(SkippedFile {
                path: rel.clone(),
                reason,
            }),
        }
    }
    (records, skipped)
}

/// `f` over `items` on every CPU (the results in the order of the items). Few items are
/// done on the calling thread.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    parallel_map_chunked(items, 32, f)
}

/// [`parallel_map`] handing out `chunk` items at a time (1 for few, uneven items).
pub fn parallel_map_chunked<T: Sync, R: Send>(
    items: &[T],
    chunk: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let chunk = chunk.max(1);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(items.len().div_ceil(chunk));
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let chunks: Mutex<Vec<(usize, Vec<R>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let start = next.fetch_add(chunk, Ordering::Relaxed);
                    let Some(part) = items.get(start..(start + chunk).min(items.len())) else {
                        break;
                    };
                    if part.is_empty() {
                        break;
                    }
                    let done: Vec<R> = part.iter().map(&f).collect();
                    if let Ok(mut c) = chunks.lock() {
                        c.push((start, done));
                    }
                }
            });
        }
    });
    let mut chunks = chunks.into_inner().unwrap_or_default();
    chunks.sort_by_key(|(start, _)| *start);
    chunks.into_iter().flat_map(|(_, r)| r).collect()
}

/// Parses one advisory file with the same checks `rustsec`'s `Database::open` applies
/// (file name matches the id, folder matches the crate). `Ok(None)` for placeholders.
pub fn load_one(
    path: &Path,
    rel: &str,
    collection: Collection,
) -> std::result::Result<Option<AdvisoryRecord>, String> {
    let text = read_limited(path)?;
    let advisory: rustsec::Advisory = text
        .parse()
        .map_err(|e: rustsec::Error| without_snippet(&one_line_keeping_lines(&e)))?;
    record_from_parsed(&advisory, rel, collection)
}

/// Validates a parsed advisory against where it was found and compiles it.
pub fn record_from_parsed(
    advisory: &rustsec::Advisory,
    rel: &str,
    collection: Collection,
) -> std::result::Result<Option<AdvisoryRecord>, String> {
    let id = advisory.metadata.id.as_str();
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    if !file_name.ends_with(".md") {
        return Err("unexpected file extension (advisories are .md files)".into());
    }
    let is_draft = file_name.starts_with("RUSTSEC-0000-0000.");
    if file_name != format!("{id}.md") && !is_draft {
        return Err(format!("file is named {file_name} but holds advisory {id}"));
    }
    let dir_name = rel.rsplit('/').nth(1).unwrap_or("");
    if dir_name != advisory.metadata.package.as_str() {
        return Err(format!(
            "advisory for crate `{}` is in folder `{dir_name}`",
            advisory.metadata.package
        ));
    }
    let declared = advisory.metadata.collection.map(|c| match c {
        rustsec::Collection::Crates => Collection::Crates,
        rustsec::Collection::Rust => Collection::Rust,
    });
    if declared.is_some_and(|d| d != collection) {
        return Err("collection mismatch".into());
    }
    if advisory.metadata.id.is_placeholder() {
        return Ok(None);
    }
    Ok(Some(AdvisoryRecord::from_advisory(advisory, collection)))
}

fn read_limited(path: &Path) -> std::result::Result<String, String> {
    let file = fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    // Room for a whole advisory up front: one read and one at the end of the file,
    // instead of a small probe and several growing reads (~7 system calls a file).
    let mut bytes = Vec::with_capacity(READ_AHEAD);
    file.take(MAX_ADVISORY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_ADVISORY_BYTES {
        return Err(format!("larger than {MAX_ADVISORY_BYTES} bytes"));
    }
    String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_string())
}

/// Folds an error and its sources into one line.
pub fn one_line(err: &dyn std::error::Error) -> String {
    one_line_keeping_lines(err).replace('\n', " ")
}

/// A TOML error's text without its source excerpt (the `5 | cvss = …` and `^^^` lines),
/// folded into one line: `…at line 5, column 8: unsupported CVSS version: 5.0`.
fn without_snippet(text: &str) -> String {
    let is_excerpt = |l: &str| {
        let rest = l
            .trim_start()
            .trim_start_matches(|c: char| c.is_ascii_digit());
        rest.trim_start().starts_with('|')
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !is_excerpt(l))
        .collect::<Vec<_>>()
        .join(": ")
}

fn one_line_keeping_lines(err: &dyn std::error::Error) -> String {
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let s = s.to_string();
        if !msg.contains(&s) {
            msg.push_str(": ");
            msg.push_str(&s);
        }
        source = s_source(source);
    }
    msg
}

fn s_source<'a>(
    e: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a (dyn std::error::Error + 'static)> {
    e.and_then(|e| e.source())
}
