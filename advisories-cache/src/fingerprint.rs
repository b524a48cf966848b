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

/// A stamp taken while compiling an index: the hash, or [`RACY`] when something it
/// covers changed too recently to be told apart from a later change (see [`Stamper`]).
pub type Stamp = u64;

/// The stamp stored for a folder that changed less than [`RACY_SECS`] before it was
/// stamped. It never equals a computed stamp, so the next run compiles again — by then
/// the times are old enough to be trusted.
pub const RACY: Stamp = 0;

/// File times this close (seconds) to the moment of stamping are "racy": a change made
/// in the same clock tick (file systems keep times in ticks of a few milliseconds up to
/// 2 s) would leave every stamped field as it was, so such a stamp is not stored.
pub const RACY_SECS: i64 = 2;

/// Hashes the stat fields of files and folders; notes when any of them is racy.
#[derive(Debug)]
pub struct Stamper {
    h: Fnv,
    racy_after: Option<i64>,
    racy: bool,
}

impl Stamper {
    /// A stamper for compiling (`now` = seconds since the epoch: racy times are noted),
    /// or for checking (`None`).
    pub fn new(now: Option<i64>) -> Self {
        Stamper {
            h: Fnv::default(),
            racy_after: now.map(|n| n - RACY_SECS),
            racy: false,
        }
    }

    /// Feeds one entry's metadata (or its absence).
    pub fn add(&mut self, meta: Option<&Stat>) {
        let Some(meta) = meta else {
            self.h.write(b"-");
            return;
        };
        let times = stamp(&mut self.h, meta);
        if let Some(after) = self.racy_after {
            self.racy |= times.iter().any(|&t| t >= after);
        }
    }

    /// Feeds a name.
    pub fn name(&mut self, name: &[u8]) {
        self.h.write(name);
        self.h.write(&[0]);
    }

    /// The stamp: [`RACY`] when compiling and something was too recent.
    pub fn finish(self) -> Stamp {
        if self.racy { RACY } else { self.h.finish() }
    }
}

/// The stamp of one regular file from its metadata: size, inode and change times.
/// `now` as for [`Stamper::new`] ([`RACY`] when it changed too recently to trust).
pub fn file_stamp(meta: &std::fs::Metadata, now: Option<i64>) -> Stamp {
    stat_stamp(&Stat::of(meta), now)
}

/// [`file_stamp`] from a [`Stat`] (as [`Folder::stat`] gives it).
pub fn stat_stamp(meta: &Stat, now: Option<i64>) -> Stamp {
    let mut s = Stamper::new(now);
    s.h.write_u64(meta.len);
    s.add(Some(meta));
    s.finish()
}

/// What a stamp hashes of a file or folder: from `std`'s metadata, or from a `stat` by
/// name inside an open [`Folder`] (the two agree; a test holds them together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    len: u64,
    ino: u64,
    mode: u32,
    mtime: i64,
    mtime_nsec: i64,
    ctime: i64,
    ctime_nsec: i64,
    /// A folder, and a regular file (elsewhere than Unix, where the mode says them).
    #[cfg(not(unix))]
    dir: bool,
    #[cfg(not(unix))]
    file: bool,
}

impl Stat {
    /// A folder (not a symlink to one).
    pub fn is_dir(&self) -> bool {
        #[cfg(unix)]
        {
            self.mode & 0o170000 == 0o040000
        }
        #[cfg(not(unix))]
        {
            self.dir
        }
    }

    /// A regular file (not a folder, symlink, FIFO or device).
    pub fn is_file(&self) -> bool {
        #[cfg(unix)]
        {
            self.mode & 0o170000 == 0o100000
        }
        #[cfg(not(unix))]
        {
            self.file
        }
    }

    /// From `std`'s metadata.
    #[cfg(unix)]
    pub fn of(m: &std::fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        Stat {
            len: m.len(),
            ino: m.ino(),
            mode: m.mode(),
            mtime: m.mtime(),
            mtime_nsec: m.mtime_nsec(),
            ctime: m.ctime(),
            ctime_nsec: m.ctime_nsec(),
        }
    }

    /// From `std`'s metadata: the modification time stands for both times.
    #[cfg(not(unix))]
    pub fn of(m: &std::fs::Metadata) -> Stat {
        let t = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        let (secs, nanos) = t.map_or((i64::MAX, 0), |d| {
            (d.as_secs() as i64, i64::from(d.subsec_nanos()))
        });
        Stat {
            len: m.len(),
            ino: 0,
            mode: u32::from(m.is_dir()),
            mtime: secs,
            mtime_nsec: nanos,
            ctime: secs,
            ctime_nsec: nanos,
            dir: m.is_dir(),
            file: m.is_file(),
        }
    }
}

/// A folder opened once, whose entries are then looked at by relative name: the kernel
/// walks two path components instead of every one from the root (~0.4 µs less a
/// `stat`; a warm audit makes a few hundred).
#[derive(Debug)]
pub struct Folder {
    #[cfg(unix)]
    fd: std::fs::File,
    #[cfg(not(unix))]
    path: std::path::PathBuf,
}

impl Folder {
    /// Opens `path` (a folder).
    pub fn open(path: &Path) -> Option<Folder> {
        #[cfg(unix)]
        {
            let fd = std::fs::File::open(path).ok()?;
            fd.metadata().ok()?.is_dir().then_some(Folder { fd })
        }
        #[cfg(not(unix))]
        {
            Some(Folder {
                path: path.to_path_buf(),
            })
        }
    }

    /// The metadata of `rel` inside this folder, not following a symlink at its end.
    pub fn stat(&self, rel: &str) -> Option<Stat> {
        #[cfg(unix)]
        {
            use rustix::fs::{AtFlags, statat};
            let st = statat(&self.fd, rel, AtFlags::SYMLINK_NOFOLLOW).ok()?;
            Some(Stat {
                len: st.st_size as u64,
                ino: st.st_ino as u64,
                mode: st.st_mode as u32,
                mtime: st.st_mtime as i64,
                mtime_nsec: st.st_mtime_nsec as i64,
                ctime: st.st_ctime as i64,
                ctime_nsec: st.st_ctime_nsec as i64,
            })
        }
        #[cfg(not(unix))]
        {
            std::fs::symlink_metadata(self.path.join(rel))
                .ok()
                .map(|m| Stat::of(&m))
        }
    }
}

/// Stamp of the folder itself and of `crates/` and `rust/`: it changes whenever a crate
/// folder is added, removed or renamed. `now` as for [`Stamper::new`].
pub fn root_stamp(dir: &Path, now: Option<i64>) -> Stamp {
    let mut s = Stamper::new(now);
    for p in [dir.to_path_buf(), dir.join("crates"), dir.join("rust")] {
        s.add(
            std::fs::symlink_metadata(&p)
                .ok()
                .map(|m| Stat::of(&m))
                .as_ref(),
        );
    }
    s.finish()
}

/// The stamp of a `crates/<name>/` folder and the names of the entries in it, taken
/// when compiling (`now` as for [`Stamper::new`]). `None` when there is no such folder.
pub fn scan_crate(dir: &Path, name: &str, now: i64) -> Option<(Stamp, Vec<String>)> {
    let crate_dir = dir.join("crates").join(name);
    let meta = std::fs::symlink_metadata(&crate_dir).ok()?;
    if !meta.is_dir() {
        return None;
    }
    let mut files: Vec<String> = std::fs::read_dir(&crate_dir)
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let stamp = crate_stamp_of(
        &crate_dir,
        &meta,
        files.iter().map(String::as_str),
        Some(now),
    );
    Some((stamp, files))
}

/// [`crate_stamp`] with the `crates/` folder open: each entry is looked at by a short
/// relative name (what a warm run does for every crate of its lockfile).
pub fn crate_stamp_in<'a>(
    crates: &Folder,
    name: &str,
    files: impl Iterator<Item = &'a str>,
) -> Option<Stamp> {
    if name.contains(['/', '\\']) || name == ".." || name == "." {
        return None;
    }
    let meta = crates.stat(name)?;
    if !meta.is_dir() {
        return None;
    }
    let mut rel = String::with_capacity(name.len() + 24);
    Some(folder_stamp(&meta, files, None, |file| {
        if file.contains(['/', '\\']) {
            return None;
        }
        rel.clear();
        rel.push_str(name);
        rel.push('/');
        rel.push_str(file);
        crates.stat(&rel)
    }))
}

/// The stamp of `crates/<name>/` now, given the entry names recorded when it was
/// compiled: the folder itself (whose times change when an entry is added, removed or
/// renamed) and each entry (changed in place). No folder listing is needed.
pub fn crate_stamp<'a>(
    dir: &Path,
    name: &str,
    files: impl Iterator<Item = &'a str>,
) -> Option<Stamp> {
    let crate_dir = dir.join("crates").join(name);
    let meta = std::fs::symlink_metadata(&crate_dir).ok()?;
    if !meta.is_dir() {
        return None;
    }
    Some(crate_stamp_of(&crate_dir, &meta, files, None))
}

/// The stamp of the crate folder `crate_dir` from its metadata (taken before it was
/// listed) and its entry names; `now` as for [`Stamper::new`].
pub fn crate_stamp_of<'a>(
    crate_dir: &Path,
    meta: &std::fs::Metadata,
    files: impl Iterator<Item = &'a str>,
    now: Option<i64>,
) -> Stamp {
    let mut path = crate_dir.to_path_buf();
    folder_stamp(&Stat::of(meta), files, now, |file| {
        path.push(file);
        let m = std::fs::symlink_metadata(&path).ok().map(|m| Stat::of(&m));
        path.pop();
        m
    })
}

/// The stamp of a folder from its metadata and, for each entry name in `files`, the
/// name and `stat_entry`'s metadata of it (`None`: gone); `now` as for [`Stamper::new`].
fn folder_stamp<'a>(
    meta: &Stat,
    files: impl Iterator<Item = &'a str>,
    now: Option<i64>,
    mut stat_entry: impl FnMut(&str) -> Option<Stat>,
) -> Stamp {
    let mut s = Stamper::new(now);
    s.add(Some(meta));
    for file in files {
        s.name(file.as_bytes());
        let m = stat_entry(file);
        if let Some(m) = &m {
            s.h.write_u64(m.len);
        }
        s.add(m.as_ref());
    }
    s.finish()
}

/// Hashes inode, file type and change times; returns the times (seconds) for the racy check.
fn stamp(h: &mut Fnv, meta: &Stat) -> [i64; 2] {
    h.write_u64(meta.ino);
    h.write_u64(u64::from(meta.mode));
    h.write_u64(meta.mtime as u64);
    h.write_u64(meta.mtime_nsec as u64);
    h.write_u64(meta.ctime as u64);
    h.write_u64(meta.ctime_nsec as u64);
    [meta.mtime, meta.ctime]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn now() -> i64 {
        crate::info::now_unix()
    }

    /// Moves a file's or folder's modification time an hour back, so a change made
    /// right after it cannot fall in the same clock tick.
    fn age(p: &Path) {
        let f = std::fs::File::open(p).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
    }

    #[test]
    fn stamps_by_name_inside_an_open_folder_equal_stamps_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let crates = dir.path().join("crates");
        std::fs::create_dir_all(crates.join("demo")).unwrap();
        std::fs::write(crates.join("demo/RUSTSEC-2099-0001.md"), "one").unwrap();
        std::fs::write(crates.join("demo/RUSTSEC-2099-0002.md"), "two two").unwrap();
        std::fs::write(crates.join("plain-file"), "not a folder").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(crates.join("demo"), crates.join("linked")).unwrap();
        let folder = Folder::open(&crates).unwrap();
        for rel in ["demo", "demo/RUSTSEC-2099-0001.md", "plain-file"] {
            let by_path = Stat::of(&std::fs::symlink_metadata(crates.join(rel)).unwrap());
            assert_eq!(folder.stat(rel), Some(by_path), "{rel}");
        }
        assert_eq!(folder.stat("absent"), None);
        // Regular files only: not a folder, not a symlink (which is not followed).
        let mut kinds = vec![("demo", false), ("plain-file", true)];
        if cfg!(unix) {
            kinds.push(("linked", false));
        }
        for (rel, file) in kinds {
            let by_path = std::fs::symlink_metadata(crates.join(rel)).unwrap();
            assert_eq!(by_path.is_file(), file, "{rel}");
            assert_eq!(Stat::of(&by_path).is_file(), file, "{rel}");
            assert_eq!(folder.stat(rel).map(|s| s.is_file()), Some(file), "{rel}");
            let dir = by_path.is_dir();
            assert_eq!(Stat::of(&by_path).is_dir(), dir, "{rel}");
            assert_eq!(folder.stat(rel).map(|s| s.is_dir()), Some(dir), "{rel}");
        }
        let files = ["RUSTSEC-2099-0001.md", "RUSTSEC-2099-0002.md", "gone.md"];
        let by_path = crate_stamp(dir.path(), "demo", files.into_iter()).unwrap();
        assert_eq!(
            crate_stamp_in(&folder, "demo", files.into_iter()),
            Some(by_path)
        );
        // Not folders (a symlink is not followed): no stamp, either way.
        for name in ["plain-file", "absent", "linked"] {
            assert_eq!(
                crate_stamp_in(&folder, name, files.into_iter()),
                None,
                "{name}"
            );
            assert_eq!(
                crate_stamp(dir.path(), name, files.into_iter()),
                None,
                "{name}"
            );
        }
        // Names that would leave `crates/` (never a crate's; the index holds folder
        // names as listed) are refused outright.
        for name in ["..", "demo/..", "."] {
            assert_eq!(
                crate_stamp_in(&folder, name, files.into_iter()),
                None,
                "{name}"
            );
        }
    }

    #[test]
    fn crate_stamp_sees_edits_additions_and_removals_and_racy_stamps_are_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("crates/demo");
        std::fs::create_dir_all(&c).unwrap();
        std::fs::write(c.join("A.md"), "one").unwrap();
        let check = |files: &[String]| {
            crate_stamp(dir.path(), "demo", files.iter().map(String::as_str)).unwrap()
        };
        // Just written: a change in the same tick could go unseen, so it is not stored.
        let (stamp, files) = scan_crate(dir.path(), "demo", now()).unwrap();
        assert_eq!(stamp, RACY);
        assert_eq!(files, ["A.md"]);
        // Stamped later, the same folder gets the hash a check computes.
        let (later, _) = scan_crate(dir.path(), "demo", now() + 3600).unwrap();
        assert_ne!(later, RACY);
        assert_eq!(later, check(&files));
        assert_eq!(root_stamp(dir.path(), Some(now())), RACY);
        assert_ne!(root_stamp(dir.path(), Some(now() + 3600)), RACY);

        age(&c.join("A.md"));
        age(&c);
        let base = check(&files);
        assert_eq!(check(&files), base, "stable");
        std::fs::write(c.join("A.md"), "two").unwrap(); // in place, same size
        let edited = check(&files);
        assert_ne!(edited, base);
        age(&c);
        let aged = check(&files);
        std::fs::write(c.join("B.md"), "new").unwrap();
        assert_ne!(
            check(&files),
            aged,
            "adding a file changes the folder's times"
        );
        let (_, both) = scan_crate(dir.path(), "demo", now()).unwrap();
        assert_eq!(both, ["A.md", "B.md"]);
        age(&c);
        let with_b = check(&both);
        std::fs::remove_file(c.join("B.md")).unwrap();
        assert_ne!(check(&both), with_b);
        assert!(crate_stamp(dir.path(), "nope", std::iter::empty()).is_none());
    }
}
