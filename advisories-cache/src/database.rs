//! Opening a database folder: validate it, reuse its compiled index when the fingerprint
//! still matches (else compile and store one), and hand out advisory records by crate
//! name, decoding each only when first asked for.

use crate::error::{CacheError, Result};
use crate::fingerprint::{
    Fnv, Folder, crate_stamp, crate_stamp_in, crate_stamp_of, fingerprint, root_stamp,
};
use crate::index::{self, CrateStamp, LoadedIndex, Rejected};
use crate::info::{self, CommitInfo};
use crate::load::{self, SkippedFile};
use crate::lock;
use crate::record::{AdvisoryRecord, RecordHead};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How to open a database.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Where compiled indexes are kept; `None` compiles in memory only.
    pub index_dir: Option<PathBuf>,
    /// How long to wait for a running fetch to finish swapping the folder.
    pub lock_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            index_dir: Some(crate::location::index_dir()),
            lock_timeout: Duration::from_secs(60),
        }
    }
}

/// What happened to the compiled index on open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexStatus {
    /// A valid index was reused: no advisory was parsed.
    Reused,
    /// There was none (or it was out of date); one was compiled.
    Built,
    /// The stored one was damaged; it was compiled again (and stored, unless `reason`
    /// says it could not be).
    RebuiltCorrupt {
        /// The damaged index file.
        index: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// Compiled, but could not be stored (read-only cache); the reason is kept.
    NotStored(String),
}

/// Facts about the database for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbInfo {
    /// The folder.
    pub path: PathBuf,
    /// Git commit, when known.
    pub commit: Option<CommitInfo>,
    /// Number of advisories loaded.
    pub advisory_count: usize,
    /// Newest advisory date, `YYYY-MM-DD`.
    pub newest_advisory: Option<String>,
    /// Last update, seconds since the epoch: the commit time, else the newest advisory date.
    pub last_updated: Option<i64>,
    /// Whole days since `last_updated`.
    pub age_days: Option<i64>,
}

/// An opened advisory database.
#[derive(Debug)]
pub struct Database {
    /// Facts for reports.
    pub info: DbInfo,
    /// Advisory files that were skipped, with the reason.
    pub skipped: Vec<SkippedFile>,
    /// What happened to the compiled index.
    pub index_status: IndexStatus,
    index: LoadedIndex,
    index_path: Option<PathBuf>,
    /// Each preloaded crate's records, read in one piece (see [`Database::preload`]).
    chunks: Vec<Box<[u8]>>,
    /// The records read and checked on open, by number: where each is in `chunks`, and
    /// its decoded form once asked for. A run reads a hundred-odd of ~1,200 records, so
    /// slots for every record are made only if one outside these is asked for.
    preloaded: HashMap<u32, Preloaded>,
    /// Decoded records that were not preloaded, by number.
    others: OnceLock<Vec<Decoded>>,
}

/// A record decoded on first use (`None`: damaged).
type Decoded = OnceLock<Option<Arc<AdvisoryRecord>>>;

/// Where a preloaded record's bytes are, and the record once decoded.
#[derive(Debug)]
struct Preloaded {
    chunk: usize,
    at: usize,
    len: usize,
    decoded: Decoded,
}

impl Database {
    /// Opens the database at `dir`, proving the whole compiled index fresh.
    pub fn open(dir: &Path, opts: &OpenOptions) -> Result<Database> {
        Self::open_for(dir, opts, None)
    }

    /// Opens the database at `dir` for auditing crates named in `crates`: the compiled
    /// index is reused when it is proved fresh for those crates (`None`: for all), and
    /// their records are read and checked now.
    pub fn open_for(dir: &Path, opts: &OpenOptions, crates: Option<&[&str]>) -> Result<Database> {
        if std::fs::symlink_metadata(dir).is_err() {
            crate::lock::recover_interrupted_swap(dir, opts.lock_timeout)?;
        }
        // Only folders that `fetch` manages have a swap lock; others are never swapped.
        let swap_lock = lock::lock_path(dir, "");
        let _guard = if swap_lock.exists() {
            Some(lock::shared(&swap_lock, opts.lock_timeout)?)
        } else {
            None
        };
        load::check_layout(dir)?;
        let fp = fingerprint(dir)?;
        let index_path = opts
            .index_dir
            .as_ref()
            .map(|d| d.join(index_file_name(dir)));
        let rejected = match &index_path {
            Some(p) => match index::read(p, &fp) {
                Ok(idx) if is_fresh(dir, &idx, &fp, crates) => {
                    let mut db =
                        Self::from_index(dir, idx, IndexStatus::Reused, index_path.clone());
                    match db.preload(crates) {
                        Ok(()) => return Ok(db),
                        Err(why) => Rejected::Corrupt(why),
                    }
                }
                Ok(_) => Rejected::Stale,
                Err(r) => r,
            },
            None => Rejected::Missing,
        };
        // Stamps are taken before reading, so an edit made while we read shows as stale
        // next time rather than being missed.
        let plain = fp == "plain";
        let now = info::now_unix();
        let root = if plain { root_stamp(dir, Some(now)) } else { 0 };
        let walk = load::walk(dir, plain)?;
        let stamps = load::parallel_map(&walk.crate_dirs, |(name, meta, files)| CrateStamp {
            name: name.clone(),
            stamp: crate_stamp_of(
                &dir.join("crates").join(name),
                meta,
                files.iter().map(String::as_str),
                Some(now),
            ),
            files: files.clone(),
        });
        let (records, skipped) = load::compile_files(&walk.files);
        let bytes = index::encode_compiled(&fp, &records, &skipped, root, &stamps);
        let stored = match &index_path {
            Some(p) => index::write_atomic(p, &bytes).map_err(|e| format!("{}: {e}", p.display())),
            None => Ok(()),
        };
        let status = match (rejected, stored, &index_path) {
            (Rejected::Corrupt(reason), stored, Some(p)) => IndexStatus::RebuiltCorrupt {
                index: p.clone(),
                reason: match stored {
                    Ok(()) => reason,
                    Err(e) => format!("{reason}; it could not be replaced: {e}"),
                },
            },
            (_, Err(e), _) => IndexStatus::NotStored(e),
            _ => IndexStatus::Built,
        };
        let idx = index::from_encoded(bytes, &fp).map_err(|r| CacheError::NotADatabase {
            path: dir.to_path_buf(),
            reason: format!("could not compile its index: {r:?}"),
        })?;
        Ok(Self::from_index(dir, idx, status, None))
    }

    fn from_index(
        dir: &Path,
        index: LoadedIndex,
        index_status: IndexStatus,
        index_path: Option<PathBuf>,
    ) -> Database {
        let commit = info::commit_of(dir);
        let newest = index.head.newest_advisory.clone();
        let last_updated = commit.as_ref().map(|c| c.time).or_else(|| {
            newest
                .as_deref()
                .and_then(info::parse_date_days)
                .map(|d| d * 86_400)
        });
        let age_days = last_updated.map(|t| (info::now_unix() - t).div_euclid(86_400).max(0));
        Database {
            info: DbInfo {
                path: dir.to_path_buf(),
                commit,
                advisory_count: index.len(),
                newest_advisory: newest,
                last_updated,
                age_days,
            },
            skipped: index.head.skipped.clone(),
            index_status,
            index,
            index_path,
            chunks: Vec::new(),
            preloaded: HashMap::new(),
            others: OnceLock::new(),
        }
    }

    /// Reads and checks the records an audit of `crates` will use (`None`: all of them),
    /// so a damaged index is found while it can still be rebuilt. They are decoded when
    /// first asked for: most are only looked at by [`Database::heads_for`].
    fn preload(&mut self, crates: Option<&[&str]>) -> std::result::Result<(), String> {
        let Some(names) = crates else {
            return self.index.load_all();
        };
        for name in names {
            let range = self.index.records_of(name);
            if range.is_empty() || self.preloaded.contains_key(&range.start) {
                continue; // a crate named twice (several versions)
            }
            let (bytes, spans) = self
                .index
                .read_raw(range.clone())
                .map_err(|e| format!("crate `{name}`: {e}"))?;
            let chunk = self.chunks.len();
            self.chunks.push(bytes);
            for (n, (at, len)) in range.zip(spans) {
                let decoded = OnceLock::new();
                self.preloaded.insert(
                    n,
                    Preloaded {
                        chunk,
                        at,
                        len,
                        decoded,
                    },
                );
            }
        }
        Ok(())
    }

    /// The bytes of record `n` when it was preloaded.
    fn raw(&self, n: u32) -> Option<&[u8]> {
        let p = self.preloaded.get(&n)?;
        self.chunks.get(p.chunk)?.get(p.at..p.at + p.len)
    }

    /// The place of record `n`'s decoded form.
    fn slot(&self, n: u32) -> Option<&Decoded> {
        if let Some(p) = self.preloaded.get(&n) {
            return Some(&p.decoded);
        }
        self.others
            .get_or_init(|| (0..self.index.len()).map(|_| OnceLock::new()).collect())
            .get(n as usize)
    }

    /// Advisory `n`, decoded (from the bytes read on open, or read now).
    pub fn advisory(&self, n: u32) -> Option<&Arc<AdvisoryRecord>> {
        self.slot(n)?
            .get_or_init(|| {
                let decoded = match self.raw(n) {
                    Some(bytes) => postcard::from_bytes(bytes).map_err(|_| ()),
                    None => self
                        .index
                        .read_records(n..n + 1)
                        .map_err(|_| ())
                        .and_then(|mut r| r.pop().ok_or(())),
                };
                match decoded {
                    Ok(r) => Some(Arc::new(r)),
                    Err(()) => {
                        // Damage outside what was checked on open: leave the record out and
                        // remove the index, so the next run compiles a sound one.
                        if let Some(p) = &self.index_path {
                            let _ = std::fs::remove_file(p);
                        }
                        None
                    }
                }
            })
            .as_ref()
    }

    /// What matching needs of each `crates/` advisory for crate `name`, with its record
    /// number for [`Database::advisory`]: read from the bytes checked on open without
    /// decoding the rest (or taken from the decoded record).
    pub fn heads_for(&self, name: &str) -> Vec<(u32, RecordHead<'_>)> {
        self.index
            .records_of(name)
            .filter_map(|n| match self.raw(n).and_then(RecordHead::decode) {
                Some(head) => Some((n, head)),
                None => self.advisory(n).map(|r| (n, RecordHead::of(r))),
            })
            .collect()
    }

    /// Looks an advisory up by its id.
    pub fn get(&self, id: &str) -> Option<&AdvisoryRecord> {
        self.advisory(self.index.record_of_id(id)?).map(|r| &**r)
    }

    /// Every advisory (decodes all of them).
    pub fn all(&self) -> Vec<&AdvisoryRecord> {
        (0..self.index.len() as u32)
            .filter_map(|n| self.advisory(n).map(|r| &**r))
            .collect()
    }

    /// Every advisory id, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.index.ids()
    }

    /// Fails when the database is older than `max_days`.
    pub fn check_age(&self, max_days: i64) -> Result<()> {
        match self.info.age_days {
            Some(age) if age > max_days => Err(CacheError::Stale {
                path: self.info.path.clone(),
                age_days: age,
                max_days,
            }),
            _ => Ok(()),
        }
    }
}

/// Is a decoded index still true to a plain folder, for the crates the caller needs?
fn is_fresh(dir: &Path, idx: &LoadedIndex, fp: &str, crates: Option<&[&str]>) -> bool {
    if fp != "plain" {
        return true; // snapshots are immutable; the key already names the commit
    }
    if root_stamp(dir, None) != idx.head.root_stamp {
        return false; // a crate folder appeared or went
    }
    // `crates/` is opened once; each crate's folder and files are looked at inside it
    // (by full path only if it cannot be opened).
    let crates_dir = Folder::open(&dir.join("crates"));
    let c = crates_dir.as_ref();
    match crates {
        Some(names) => names.iter().all(|n| match idx.crate_stamp(n) {
            Some((stamp, files)) => stamp_now(dir, c, n, files) == Some(stamp),
            None => true, // no folder then, and `crates/` is unchanged, so none now
        }),
        None => idx
            .crate_stamps()
            .all(|(name, stamp, files)| stamp_now(dir, c, name, files) == Some(stamp)),
    }
}

/// The stamp of crate folder `name` now: inside `crates_dir` when it is open, else by path.
fn stamp_now<'a>(
    dir: &Path,
    crates_dir: Option<&Folder>,
    name: &str,
    files: impl Iterator<Item = &'a str>,
) -> Option<u64> {
    match crates_dir {
        Some(c) => crate_stamp_in(c, name, files),
        None => crate_stamp(dir, name, files),
    }
}

/// The index file name for a database folder: a hash of its absolute path.
pub fn index_file_name(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut h = Fnv::default();
    h.write(abs.as_os_str().as_encoded_bytes());
    format!("{:016x}.idx", h.finish())
}
