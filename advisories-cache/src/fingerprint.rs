//! Proving a compiled index is still fresh without reading advisories. Our own snapshots
//! are immutable and say their commit. Any other folder is checked by stamps (name, size,
//! inode and change times; nothing is read): the folders `crates/` and `rust/`, which
//! change when a crate folder appears or goes, and each `crates/<name>/` folder with its
//! files — checked only for the crates the audited lockfile names, so a warm run makes a
//! few dozen `stat` calls instead of thousands, and an advisory the audit relies on can
//! never be stale.

use crate::error::Result;
use crate::info::SnapshotMarker;
use std::path::Path;

/// FNV-1a, 64 bit: a stable hash (unlike `std`'s) for fingerprints and file names.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Feeds bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    /// Feeds a number.
    pub fn write_u64(&mut self, n: u64) {
        self.write(&n.to_le_bytes());
    }
    /// The hash so far.
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// The index key of a database folder. Our own snapshots are immutable: the key is their
/// commit and fetch time. Any other folder gets the key `plain`, and its freshness is
/// proved by stamps instead (see [`root_stamp`] and [`crate_stamp`]).
pub fn fingerprint(dir: &Path) -> Result<String> {
    if let Some(marker) = SnapshotMarker::read(dir) {
        return Ok(format!(
            "snapshot:{}:{}:{}",
            marker.commit, marker.commit_time, marker.fetched_at
        ));
    }
    Ok("plain".to_string())
}

/// Stamp of the folder itself and of `crates/` and `rust/`: it changes whenever a crate
/// folder is added, removed or renamed.
pub fn root_stamp(dir: &Path) -> u64 {
    let mut h = Fnv::default();
    for p in [dir.to_path_buf(), dir.join("crates"), dir.join("rust")] {
        match std::fs::symlink_metadata(&p) {
            Ok(meta) => stamp(&mut h, &meta),
            Err(_) => h.write(b"-"),
        }
    }
    h.finish()
}

/// Stamp of `crates/<name>/`: the folder and every file in it (name, size, inode, change
/// times). It changes when an advisory of that crate is added, removed or edited in place.
/// `None` when there is no such folder.
pub fn crate_stamp(dir: &Path, name: &str) -> Option<u64> {
    let crate_dir = dir.join("crates").join(name);
    let meta = std::fs::symlink_metadata(&crate_dir).ok()?;
    if !meta.is_dir() {
        return None;
    }
    let mut h = Fnv::default();
    stamp(&mut h, &meta);
    let mut files: Vec<(std::ffi::OsString, Option<std::fs::Metadata>)> =
        std::fs::read_dir(&crate_dir)
            .ok()?
            .flatten()
            .map(|e| (e.file_name(), std::fs::symlink_metadata(e.path()).ok()))
            .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, meta) in files {
        h.write(name.as_encoded_bytes());
        h.write(&[0]);
        if let Some(meta) = meta {
            h.write_u64(meta.len());
            stamp(&mut h, &meta);
        }
    }
    Some(h.finish())
}
#[cfg(unix)]
fn stamp(h: &mut Fnv, meta: &std::fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    h.write_u64(meta.ino());
    h.write_u64(meta.mtime() as u64);
    h.write_u64(meta.mtime_nsec() as u64);
    h.write_u64(meta.ctime() as u64);
    h.write_u64(meta.ctime_nsec() as u64);
}

#[cfg(not(unix))]
fn stamp(h: &mut Fnv, meta: &std::fs::Metadata) {
    if let Ok(t) = meta.modified() {
        if let Ok(d) = t.duration_since(std::time::UNIX_EPOCH) {
            h.write_u64(d.as_nanos() as u64);
        }
    }
}
