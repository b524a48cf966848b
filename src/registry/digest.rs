//! A digest of what earlier runs read from cargo's crates.io index cache: per crate, the
//! answers they needed (yanked flags, published versions, the entries of locked versions),
//! stamped with the cache file they came from. A warm run proves a crate's answers fresh
//! with one `stat` of that file instead of reading and searching it: the yanked check
//! alone reads a file per locked crate, some of several MiB.
//!
//! It is a cache of cargo's files, never a source of truth: a crate whose file changed
//! (size, inode or change times), one stamped too recently to trust, a damaged digest or
//! one of another format is read from cargo's files again.
//!
//! ```text
//! header   magic "DPREGD\0\x01" | format u32 | crc32 of the directory u32 | directory length u32
//! directory  postcard list of (crate name, record offset u32, record length u32, crc32 u32)
//! records    postcard [`Record`]s
//! ```

use super::{DepKind, IndexDep, IndexVersion, Published};
use advisories_cache::fingerprint::{RACY, Stamp, file_stamp};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

const MAGIC: &[u8; 8] = b"DPREGD\0\x01";
/// Bumped when the layout changes; a digest of another version is not read.
const FORMAT: u32 = 1;
const HEADER: usize = 8 + 4 + 4 + 4;
/// A digest larger than this is not read, and one that would grow past it starts over.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What earlier runs learnt about one crate.
/// Strings borrow from the digest when decoded (a warm run allocates only what it keeps).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Record<'a> {
    /// The stamp of the cache file the answers came from.
    stamp: Stamp,
    /// Every published version and its yanked flag, when a run needed them.
    #[serde(borrow)]
    published: Option<Vec<(Cow<'a, str>, bool)>>,
    /// Yanked flags by version (`None`: the file has no such version).
    #[serde(borrow)]
    yanked: Vec<(Cow<'a, str>, Option<bool>)>,
    /// Entries by version (`None`: the file has no usable entry).
    #[serde(borrow)]
    entries: Vec<(Cow<'a, str>, Option<StoredEntry<'a>>)>,
}

impl Record<'_> {
    fn is_empty(&self) -> bool {
        self.published.is_none() && self.yanked.is_empty() && self.entries.is_empty()
    }

    /// Adds `newer`'s answers (this run's) to these (an earlier run's, same stamp).
    fn merge(&mut self, newer: Record<'_>) {
        let own = |s: Cow<'_, str>| Cow::Owned(s.into_owned());
        self.stamp = newer.stamp;
        if let Some(p) = newer.published {
            self.published = Some(p.into_iter().map(|(v, y)| (own(v), y)).collect());
        }
        self.yanked
            .extend(newer.yanked.into_iter().map(|(v, y)| (own(v), y)));
        self.entries.extend(
            newer
                .entries
                .into_iter()
                .map(|(v, e)| (own(v), e.map(StoredEntry::into_owned))),
        );
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredEntry<'a> {
    yanked: bool,
    #[serde(borrow)]
    deps: Vec<StoredDep<'a>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredDep<'a> {
    #[serde(borrow)]
    package: Cow<'a, str>,
    #[serde(borrow)]
    req: Cow<'a, str>,
    kind: u8,
    optional: bool,
    #[serde(borrow)]
    target: Option<Cow<'a, str>>,
}

impl StoredEntry<'_> {
    fn of(v: &IndexVersion) -> StoredEntry<'static> {
        StoredEntry {
            yanked: v.yanked,
            deps: v
                .deps
                .iter()
                .map(|d| StoredDep {
                    package: Cow::Owned(d.package.clone()),
                    req: Cow::Owned(d.req.to_string()),
                    kind: d.kind as u8,
                    optional: d.optional,
                    target: d.target.clone().map(Cow::Owned),
                })
                .collect(),
        }
    }

    fn into_owned(self) -> StoredEntry<'static> {
        let own = |s: Cow<'_, str>| Cow::Owned(s.into_owned());
        StoredEntry {
            yanked: self.yanked,
            deps: self
                .deps
                .into_iter()
                .map(|d| StoredDep {
                    package: own(d.package),
                    req: own(d.req),
                    kind: d.kind,
                    optional: d.optional,
                    target: d.target.map(own),
                })
                .collect(),
        }
    }

    /// Back to an entry; `None` if anything does not parse (then the file is read).
    fn decode(&self, version: &str) -> Option<IndexVersion> {
        let deps = self
            .deps
            .iter()
            .map(|d| {
                Some(IndexDep {
                    package: d.package.to_string(),
                    req: semver::VersionReq::parse(&d.req).ok()?,
                    kind: match d.kind {
                        0 => DepKind::Normal,
                        1 => DepKind::Build,
                        2 => DepKind::Dev,
                        _ => return None,
                    },
                    optional: d.optional,
                    target: d.target.as_deref().map(str::to_string),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(IndexVersion {
            version: semver::Version::parse(version).ok()?,
            yanked: self.yanked,
            deps,
        })
    }
}

/// The answers a fresh record holds, decoded, for the registry's memo tables.
#[derive(Debug, Default)]
pub struct Known {
    /// Published versions (sorted), when recorded.
    pub published: Option<Published>,
    /// Yanked flags by version.
    pub yanked: Vec<(semver::Version, Option<bool>)>,
    /// Entries by version.
    pub entries: Vec<(semver::Version, Option<Arc<IndexVersion>>)>,
}

/// A crate looked at in this run.
#[derive(Debug)]
struct Touched {
    /// The loaded record that is still fresh, kept as it is in the file.
    fresh: bool,
    /// What this run read from the file, stamped with the file's state now ([`RACY`]:
    /// too fresh, or no file: not recorded).
    added: Record<'static>,
}

/// The digest file of one index cache: what it held when first needed, and what this
/// run adds.
#[derive(Debug)]
pub struct Digest {
    path: PathBuf,
    loaded: OnceLock<Loaded>,
    touched: Mutex<HashMap<String, Touched>>,
    dirty: Mutex<bool>,
}

#[derive(Debug, Default)]
struct Loaded {
    bytes: Vec<u8>,
    /// Crate name → (offset, length, crc32) of its record in `bytes`.
    rows: HashMap<String, (usize, usize, u32)>,
}

impl Loaded {
    fn read(path: &Path) -> Loaded {
        std::fs::symlink_metadata(path)
            .ok()
            .filter(|m| m.is_file() && m.len() <= MAX_BYTES as u64)
            .and_then(|_| std::fs::read(path).ok())
            .and_then(Loaded::parse)
            .unwrap_or_default()
    }

    fn parse(bytes: Vec<u8>) -> Option<Loaded> {
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return None;
        }
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        if u32_at(8) != FORMAT {
            return None;
        }
        let (crc, dir_len) = (u32_at(12), u32_at(16) as usize);
        let dir = bytes.get(HEADER..HEADER.checked_add(dir_len)?)?;
        if crc32fast::hash(dir) != crc {
            return None;
        }
        let table: Vec<(String, u32, u32, u32)> = postcard::from_bytes(dir).ok()?;
        let base = HEADER + dir_len;
        let mut rows = HashMap::with_capacity(table.len());
        for (name, offset, len, crc) in table {
            let start = base.checked_add(offset as usize)?;
            let end = start.checked_add(len as usize)?;
            if end > bytes.len() {
                return None;
            }
            rows.insert(name, (start, end, crc));
        }
        Some(Loaded { bytes, rows })
    }

    /// The record of `name`, if present and intact.
    fn record(&self, name: &str) -> Option<Record<'_>> {
        postcard::from_bytes(self.blob(name)?).ok()
    }

    /// The encoded record of `name`, if its checksum holds.
    fn blob(&self, name: &str) -> Option<&[u8]> {
        let &(start, end, crc) = self.rows.get(name)?;
        let blob = &self.bytes[start..end];
        (crc32fast::hash(blob) == crc).then_some(blob)
    }
}

impl Digest {
    /// The digest at `path` (read when first needed).
    pub fn at(path: PathBuf) -> Digest {
        Digest {
            path,
            loaded: OnceLock::new(),
            touched: Mutex::new(HashMap::new()),
            dirty: Mutex::new(false),
        }
    }

    /// The first look at crate `name` in this run: stamps its cache `file` and returns
    /// what the digest knows for that exact state. `None` on later calls, and when the
    /// digest has nothing fresh.
    pub fn seed(&self, name: &str, file: &Path) -> Option<Known> {
        if lock(&self.touched).contains_key(name) {
            return None;
        }
        let now = advisories_cache::info::now_unix();
        let stamp = std::fs::symlink_metadata(file)
            .ok()
            .filter(|m| m.is_file())
            .map_or(RACY, |m| file_stamp(&m, Some(now)));
        let record = (stamp != RACY)
            .then(|| self.loaded.get_or_init(|| Loaded::read(&self.path)))
            .and_then(|l| l.record(name))
            .filter(|r| r.stamp == stamp);
        let known = record.as_ref().map(decode);
        let added = Record {
            stamp,
            ..Record::default()
        };
        lock(&self.touched).insert(
            name.to_string(),
            Touched {
                fresh: known.is_some(),
                added,
            },
        );
        known
    }

    fn note(&self, name: &str, add: impl FnOnce(&mut Record<'static>)) {
        let mut touched = lock(&self.touched);
        let Some(t) = touched.get_mut(name) else {
            return;
        };
        if t.added.stamp != RACY {
            add(&mut t.added);
            *lock(&self.dirty) = true;
        }
    }

    /// Records a yanked answer read from the file.
    pub fn note_yanked(&self, name: &str, version: &str, yanked: Option<bool>) {
        self.note(name, |r| {
            r.yanked.push((Cow::Owned(version.to_string()), yanked))
        });
    }

    /// Records an entry read from the file.
    pub fn note_entry(&self, name: &str, version: &str, entry: Option<&IndexVersion>) {
        self.note(name, |r| {
            r.entries
                .push((Cow::Owned(version.to_string()), entry.map(StoredEntry::of)))
        });
    }

    /// Records the published versions read from the file.
    pub fn note_published(&self, name: &str, published: &[(semver::Version, bool)]) {
        self.note(name, |r| {
            r.published = Some(
                published
                    .iter()
                    .map(|(v, y)| (Cow::Owned(v.to_string()), *y))
                    .collect(),
            )
        });
    }

    /// Writes the digest if this run learnt anything: this run's records, then the
    /// earlier ones of crates it did not look at (while the file stays under its size
    /// limit). Atomic (a temporary file, then rename); a failure only costs speed.
    pub fn save(&self) {
        if !*lock(&self.dirty) {
            return;
        }
        let touched = lock(&self.touched);
        let loaded = self.loaded.get_or_init(|| Loaded::read(&self.path));
        let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
        let mut size = 0usize;
        for (name, t) in touched.iter() {
            if t.added.stamp == RACY {
                continue;
            }
            let kept = t.fresh.then(|| loaded.blob(name)).flatten();
            let blob = match (kept, t.added.is_empty()) {
                (Some(blob), true) => blob.to_vec(),
                (_, true) => continue,
                (kept, false) => {
                    let mut record = kept
                        .and_then(|b| postcard::from_bytes::<Record<'_>>(b).ok())
                        .unwrap_or_default();
                    record.merge(t.added.clone());
                    let Ok(blob) = postcard::to_stdvec(&record) else {
                        continue;
                    };
                    blob
                }
            };
            size += blob.len() + name.len() + 16;
            blobs.push((name.clone(), blob));
        }
        for (name, &(start, end, _)) in &loaded.rows {
            if touched.contains_key(name) {
                continue;
            }
            if size + (end - start) + name.len() + 16 > MAX_BYTES / 2 {
                break;
            }
            size += end - start + name.len() + 16;
            blobs.push((name.clone(), loaded.bytes[start..end].to_vec()));
        }
        drop(touched);
        let mut table = Vec::with_capacity(blobs.len());
        let mut offset = 0u32;
        for (name, blob) in &blobs {
            let len = blob.len() as u32;
            table.push((name.as_str(), offset, len, crc32fast::hash(blob)));
            offset = offset.saturating_add(len);
        }
        let Ok(dir) = postcard::to_stdvec(&table) else {
            return;
        };
        let mut bytes = Vec::with_capacity(HEADER + dir.len() + offset as usize);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT.to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&dir).to_le_bytes());
        bytes.extend_from_slice(&(dir.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&dir);
        for (_, blob) in &blobs {
            bytes.extend_from_slice(blob);
        }
        if bytes.len() <= MAX_BYTES
            && advisories_cache::index::write_atomic(&self.path, &bytes).is_ok()
        {
            *lock(&self.dirty) = false;
        }
    }
}

fn decode(r: &Record<'_>) -> Known {
    Known {
        published: r.published.as_ref().and_then(|p| {
            let mut v = p
                .iter()
                .map(|(v, y)| Some((semver::Version::parse(v).ok()?, *y)))
                .collect::<Option<Vec<_>>>()?;
            v.sort_by(|a, b| a.0.cmp(&b.0));
            Some(Arc::new(v))
        }),
        yanked: r
            .yanked
            .iter()
            .filter_map(|(v, y)| Some((semver::Version::parse(v).ok()?, *y)))
            .collect(),
        entries: r
            .entries
            .iter()
            .filter_map(|(v, e)| match e {
                None => Some((semver::Version::parse(v).ok()?, None)),
                // An entry that does not decode is left for the file to answer.
                Some(e) => {
                    let entry = e.decode(v)?;
                    Some((entry.version.clone(), Some(Arc::new(entry))))
                }
            })
            .collect(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
