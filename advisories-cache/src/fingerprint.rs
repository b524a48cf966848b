//! A cheap content fingerprint of a database folder, so a compiled index is reused only
//! while the folder is unchanged. Our own snapshots are immutable and say their commit;
//! any other folder is fingerprinted from every advisory file's name, size, inode and
//! change times (no file is read), which catches edits, additions and removals.

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

/// Fingerprint of the database folder `dir`.
pub fn fingerprint(dir: &Path) -> Result<String> {
    if let Some(marker) = SnapshotMarker::read(dir) {
        return Ok(format!(
            "snapshot:{}:{}:{}",
            marker.commit, marker.commit_time, marker.fetched_at
        ));
    }
    let mut h = Fnv::default();
    for (_, rel, path) in crate::load::advisory_files(dir)? {
        h.write(rel.as_bytes());
        h.write(&[0]);
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            h.write_u64(meta.len());
            stamp(&mut h, &meta);
        }
    }
    Ok(format!("walk:{:016x}", h.finish()))
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
