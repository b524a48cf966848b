//! The compiled index: every advisory of a database folder, pre-parsed, in one file, so a
//! warm run never parses advisory TOML. Layout:
//!
//! ```text
//! magic "DPAIDX\0\x01" | format u32 | crc32 of the rest u32 | body length u64 | body | records
//! ```
//!
//! The body (postcard) holds the fingerprint it was built from, load warnings, a sorted
//! crate-name table and record spans; records are postcard blobs decoded only when a
//! lockfile names their crate. Any mismatch (magic, version, checksum, length,
//! fingerprint) means "rebuild", never "trust".

use crate::load::SkippedFile;
use crate::record::AdvisoryRecord;
use serde::{Deserialize, Serialize};
use std::path::Path;

const MAGIC: &[u8; 8] = b"DPAIDX\0\x01";
/// Bumped whenever the record layout changes, so old indexes are rebuilt.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 4 + 8;
/// Indexes larger than this are not trusted (the real database compiles to ~2 MiB).
pub const MAX_INDEX_BYTES: u64 = 256 * 1024 * 1024;

/// The eagerly decoded part of an index.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexBody {
    /// Fingerprint of the folder it was compiled from.
    pub fingerprint: String,
    /// Files skipped while compiling.
    pub skipped: Vec<SkippedFile>,
    /// Newest advisory date, `YYYY-MM-DD`.
    pub newest_advisory: Option<String>,
    /// `(crate name, record numbers)`, sorted by name; `crates/` collection only.
    pub names: Vec<(String, Vec<u32>)>,
    /// `(advisory id, record number)`, sorted by id.
    pub ids: Vec<(String, u32)>,
    /// Byte span of each record inside the records area.
    pub spans: Vec<(u32, u32)>,
    /// For plain folders: stamp of the folder, `crates/` and `rust/` when compiled.
    pub root_stamp: u64,
    /// For plain folders: `(crate folder, stamp)` of every `crates/<name>/`, sorted.
    pub crate_stamps: Vec<(String, u64)>,
}

/// Why an index file was not used.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    /// There is none yet.
    Missing,
    /// It was built from another state of the folder (or by another format version).
    Stale,
    /// It is damaged: wrong magic, checksum, or undecodable.
    Corrupt(String),
}

/// Serializes records into index bytes.
pub fn encode(
    fingerprint: &str,
    records: &[AdvisoryRecord],
    skipped: &[SkippedFile],
    root_stamp: u64,
    crate_stamps: Vec<(String, u64)>,
) -> Vec<u8> {
    let mut blob = Vec::new();
    let mut spans = Vec::with_capacity(records.len());
    let mut names: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
    let mut ids = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let bytes = postcard::to_stdvec(r).unwrap_or_default();
        spans.push((blob.len() as u32, bytes.len() as u32));
        blob.extend_from_slice(&bytes);
        if r.collection == crate::record::Collection::Crates {
            names.entry(&r.package).or_default().push(i as u32);
        }
        ids.push((r.id.clone(), i as u32));
    }
    ids.sort();
    let body = IndexBody {
        fingerprint: fingerprint.to_string(),
        skipped: skipped.to_vec(),
        newest_advisory: records.iter().map(|r| r.date.clone()).max(),
        names: names.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ids,
        spans,
        root_stamp,
        crate_stamps,
    };
    let body_bytes = postcard::to_stdvec(&body).unwrap_or_default();
    let mut rest = Vec::with_capacity(8 + body_bytes.len() + blob.len());
    rest.extend_from_slice(&(body_bytes.len() as u64).to_le_bytes());
    rest.extend_from_slice(&body_bytes);
    rest.extend_from_slice(&blob);
    let mut out = Vec::with_capacity(16 + rest.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&rest).to_le_bytes());
    out.extend_from_slice(&rest);
    out
}

/// A validated index in memory: body decoded, records still encoded.
#[derive(Debug)]
pub struct LoadedIndex {
    /// The decoded body.
    pub body: IndexBody,
    /// All bytes of the file (records are slices of it).
    bytes: Vec<u8>,
    records_start: usize,
}

impl LoadedIndex {
    /// Decodes record `n`.
    pub fn record(&self, n: u32) -> Option<AdvisoryRecord> {
        let (off, len) = *self.body.spans.get(n as usize)?;
        let start = self.records_start.checked_add(off as usize)?;
        let end = start.checked_add(len as usize)?;
        postcard::from_bytes(self.bytes.get(start..end)?).ok()
    }
}

/// Validates and decodes index bytes built for `fingerprint`.
pub fn decode(bytes: Vec<u8>, fingerprint: &str) -> Result<LoadedIndex, Rejected> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(Rejected::Corrupt("bad header".into()));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    if version != FORMAT_VERSION {
        return Err(Rejected::Stale);
    }
    let crc = u32::from_le_bytes(bytes[12..16].try_into().unwrap_or_default());
    if crc32fast::hash(&bytes[16..]) != crc {
        return Err(Rejected::Corrupt("checksum mismatch".into()));
    }
    let body_len = u64::from_le_bytes(bytes[16..24].try_into().unwrap_or_default());
    let body_end = usize::try_from(body_len)
        .ok()
        .and_then(|l| l.checked_add(HEADER_LEN))
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| Rejected::Corrupt("body length out of range".into()))?;
    let body: IndexBody = postcard::from_bytes(&bytes[HEADER_LEN..body_end])
        .map_err(|e| Rejected::Corrupt(format!("undecodable body: {e}")))?;
    if body.fingerprint != fingerprint {
        return Err(Rejected::Stale);
    }
    let records_len = bytes.len() - body_end;
    if body
        .spans
        .iter()
        .any(|&(o, l)| (o as usize).saturating_add(l as usize) > records_len)
    {
        return Err(Rejected::Corrupt("record span out of range".into()));
    }
    Ok(LoadedIndex {
        body,
        bytes,
        records_start: body_end,
    })
}

/// Reads the index file at `path` (no symlinks, bounded size) and validates it.
pub fn read(path: &Path, fingerprint: &str) -> Result<LoadedIndex, Rejected> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(_) => return Err(Rejected::Missing),
    };
    if !meta.is_file() {
        return Err(Rejected::Corrupt("not a regular file".into()));
    }
    if meta.len() > MAX_INDEX_BYTES {
        return Err(Rejected::Corrupt("too large".into()));
    }
    let bytes = std::fs::read(path).map_err(|e| Rejected::Corrupt(e.to_string()))?;
    decode(bytes, fingerprint)
}

/// Temporary files of index writes start with this.
const TMP_PREFIX: &str = ".tmp-";
/// An unlocked temporary file at least this old was left by a writer that was killed
/// (a live writer locks its file the moment it creates it).
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// Writes index bytes atomically: a unique temporary file in the same folder, then rename.
/// Temporary files left by killed writers are removed first, so kills cannot fill the disk.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    sweep_abandoned(dir);
    let tmp = dir.join(format!(
        "{TMP_PREFIX}{}-{}-{}",
        std::process::id(),
        crate::info::now_unix(),
        unique()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.lock()?; // held until closed: tells a sweeper this writer is alive
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes temporary index files whose writer is gone: old enough and not locked.
fn sweep_abandoned(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let age = meta.modified().ok().and_then(|m| m.elapsed().ok());
        if !meta.is_file() || age.is_none_or(|a| a < ABANDONED_AFTER) {
            continue;
        }
        let Ok(f) = std::fs::OpenOptions::new().write(true).open(entry.path()) else {
            continue;
        };
        if f.try_lock().is_ok() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A process-unique counter for temporary names.
pub fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn aged(path: &Path) -> std::fs::File {
        let f = std::fs::File::create(path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(60))
            .unwrap();
        f
    }

    #[test]
    fn writes_sweep_temporary_files_of_dead_writers_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dead = tmp.path().join(".tmp-1-1-1");
        drop(aged(&dead));
        let live = tmp.path().join(".tmp-2-2-2");
        let held = aged(&live);
        held.lock().unwrap();
        let young = tmp.path().join(".tmp-3-3-3");
        std::fs::write(&young, b"").unwrap();
        write_atomic(&tmp.path().join("x.idx"), b"index").unwrap();
        assert!(!dead.exists(), "a dead writer's file is removed");
        assert!(live.exists(), "a locked file belongs to a live writer");
        assert!(young.exists(), "a new file may not be locked yet");
        assert_eq!(std::fs::read(tmp.path().join("x.idx")).unwrap(), b"index");
    }
}
