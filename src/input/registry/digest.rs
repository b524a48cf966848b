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
//! header     magic "DPREGD\0\x01" | format u32 | crc32 of the directory u32 | directory length u32
//! directory  rows sorted by crate name: name length u16 | name | record offset u32 |
//!            record length u32 | record crc32 u32 (all little-endian)
//! records    postcard [`Record`]s
//! ```
//!
//! The directory is searched in place (a run looks at a few dozen of its thousands of
//! crates) and records borrow their strings and blobs from the file's bytes.
//!
//! A record's published list and each entry are nested blobs in the compact forms of
//! [`super::packed`] (numbers, not text to parse): a run decodes only the answers it
//! asks for, however many versions earlier runs (scans) recorded.

use super::{IndexVersion, Published, packed};
use advisories_cache::fingerprint::{RACY, Stamp, Stat, stat_stamp};
use advisories_cache::mapped::FileBytes;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

const MAGIC: &[u8; 8] = b"DPREGD\0\x01";
/// Bumped when the layout changes; a digest of another version is not read.
const FORMAT: u32 = 4;
const HEADER: usize = 8 + 4 + 4 + 4;
/// A digest larger than this is not read, and one that would grow past it starts over.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What earlier runs learnt about one crate.
/// Strings borrow from the digest when decoded (a warm run allocates only what it keeps).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Record<'a> {
    /// The stamp of the cache file the answers came from.
    stamp: Stamp,
    /// Every published version and its yanked flag, oldest first (see
    /// [`packed::encode_published`]), when a run needed them.
    #[serde(borrow)]
    published: Option<Blob<'a>>,
    /// Yanked flags by version (`None`: the file has no such version).
    #[serde(borrow)]
    yanked: Vec<(Text<'a>, Option<bool>)>,
    /// Entries by version, each in [`packed`] form (`None`: the file has no usable
    /// entry).
    #[serde(borrow)]
    entries: Vec<(Text<'a>, Option<Blob<'a>>)>,
}

/// A string borrowed from the digest when decoded. (serde's own `Cow` is borrowed only
/// as a struct's direct field; inside a tuple or a list it would be copied.)
#[derive(Debug, Clone, Default, PartialEq)]
struct Text<'a>(Cow<'a, str>);

/// Bytes borrowed from the digest when decoded (a `Cow<[u8]>` would be copied byte by
/// byte, as a list).
#[derive(Debug, Clone, Default)]
struct Blob<'a>(Cow<'a, [u8]>);

impl Text<'_> {
    fn owned(&self) -> Text<'static> {
        Text(Cow::Owned(self.0.to_string()))
    }
}

impl Blob<'_> {
    fn owned(&self) -> Blob<'static> {
        Blob(Cow::Owned(self.0.to_vec()))
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de str>::deserialize(d).map(|s| Text(Cow::Borrowed(s)))
    }
}

impl Serialize for Blob<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Blob<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de [u8]>::deserialize(d).map(|b| Blob(Cow::Borrowed(b)))
    }
}

impl Record<'_> {
    fn is_empty(&self) -> bool {
        self.published.is_none() && self.yanked.is_empty() && self.entries.is_empty()
    }

    /// Adds `newer`'s answers (this run's) to these (an earlier run's, same stamp).
    fn merge(&mut self, newer: Record<'_>) {
        self.stamp = newer.stamp;
        if let Some(p) = newer.published {
            self.published = Some(p.owned());
        }
        self.yanked
            .extend(newer.yanked.iter().map(|(v, y)| (v.owned(), *y)));
        self.entries.extend(
            newer
                .entries
                .iter()
                .map(|(v, e)| (v.owned(), e.as_ref().map(Blob::owned))),
        );
    }
}

/// A crate looked at in this run.
#[derive(Debug)]
struct Touched {
    /// Where the answers of the loaded record are, when it is still fresh (the record
    /// itself is kept as it is in the file).
    fresh: Option<Fresh>,
    /// Cargo's cache has a file for the crate.
    file: bool,
    /// What this run read from the file, stamped with the file's state now ([`RACY`]:
    /// too fresh, or no file: not recorded).
    added: Record<'static>,
}

/// A fresh record's answers, found once per run: flags as they are; versions, the
/// published list and the entries as places in the loaded digest (nothing copied), the
/// blobs decoded only when asked for.
#[derive(Debug)]
struct Fresh {
    published: Option<Place>,
    yanked: Vec<(Place, Option<bool>)>,
    entries: Vec<(Place, Option<Place>)>,
}

/// Start and end of a blob in the loaded digest's bytes.
type Place = (usize, usize);

impl Fresh {
    fn of(r: &Record<'_>, base: &[u8]) -> Fresh {
        // Decoded records borrow their blobs from `base`: their place is found from
        // the addresses.
        let place = |b: &[u8]| {
            let start = (b.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
            (start, start + b.len())
        };
        Fresh {
            published: r.published.as_ref().map(|b| place(&b.0)),
            yanked: r
                .yanked
                .iter()
                .map(|(v, y)| (place(v.0.as_bytes()), *y))
                .collect(),
            entries: r
                .entries
                .iter()
                .map(|(v, e)| (place(v.0.as_bytes()), e.as_ref().map(|b| place(&b.0))))
                .collect(),
        }
    }

    /// The answer recorded for `version` in `list` (the last one: a later run's), whose
    /// versions are places in `base`.
    fn find<T: Copy>(list: &[(Place, T)], base: &[u8], version: &str) -> Option<T> {
        list.iter()
            .rev()
            .find(|((start, end), _)| base.get(*start..*end) == Some(version.as_bytes()))
            .map(|(_, t)| *t)
    }
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
    /// The file, mapped (see [`advisories_cache::mapped`]).
    bytes: FileBytes,
    /// The directory's rows, sorted by crate name.
    rows: Vec<Row>,
}

/// Where a crate's name and record are in [`Loaded::bytes`].
#[derive(Debug, Clone, Copy)]
struct Row {
    name: (usize, usize),
    record: (usize, usize),
    crc: u32,
}

impl Loaded {
    fn read(path: &Path) -> Loaded {
        // Not a symlink; the size is checked on the file opened.
        std::fs::symlink_metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .and_then(|_| std::fs::File::open(path).ok())
            .and_then(|f| {
                let len = f.metadata().ok()?.len();
                (len <= MAX_BYTES as u64).then_some((f, len))
            })
            .and_then(|(f, len)| FileBytes::of(f, len).ok())
            .and_then(Loaded::parse)
            .unwrap_or_default()
    }

    fn parse(bytes: FileBytes) -> Option<Loaded> {
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return None;
        }
        let u32_at = |b: &[u8], at: usize| -> Option<u32> {
            Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
        };
        if u32_at(&bytes, 8)? != FORMAT {
            return None;
        }
        let (crc, dir_len) = (u32_at(&bytes, 12)?, u32_at(&bytes, 16)? as usize);
        let dir = bytes.get(HEADER..HEADER.checked_add(dir_len)?)?;
        if crc32fast::hash(dir) != crc {
            return None;
        }
        let base = HEADER + dir_len;
        let mut rows = Vec::new();
        let mut at = 0;
        while at < dir.len() {
            let len = u16::from_le_bytes(dir.get(at..at + 2)?.try_into().ok()?) as usize;
            let name = (HEADER + at + 2, len);
            at += 2 + len;
            let (offset, size, crc) =
                (u32_at(dir, at)?, u32_at(dir, at + 4)?, u32_at(dir, at + 8)?);
            at += 12;
            let start = base.checked_add(offset as usize)?;
            let end = start.checked_add(size as usize)?;
            if end > bytes.len() {
                return None;
            }
            rows.push(Row {
                name,
                record: (start, end),
                crc,
            });
        }
        let loaded = Loaded { bytes, rows };
        // Sorted, or the search below would miss crates.
        let sorted = loaded
            .rows
            .windows(2)
            .all(|w| loaded.name(&w[0]) < loaded.name(&w[1]));
        sorted.then_some(loaded)
    }

    fn name(&self, row: &Row) -> &[u8] {
        &self.bytes[row.name.0..row.name.0 + row.name.1]
    }

    /// The record of `name`, if present and intact.
    fn record(&self, name: &str) -> Option<Record<'_>> {
        postcard::from_bytes(self.blob(name)?).ok()
    }

    /// The encoded record of `name`, if its checksum holds.
    fn blob(&self, name: &str) -> Option<&[u8]> {
        let i = self
            .rows
            .binary_search_by(|r| self.name(r).cmp(name.as_bytes()))
            .ok()?;
        let row = &self.rows[i];
        let blob = &self.bytes[row.record.0..row.record.1];
        (crc32fast::hash(blob) == row.crc).then_some(blob)
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

    /// Whether the digest holds a record of crate `name` true to its cache file as it
    /// is now; the first call of a run `look`s at the file (`None`: there is no place
    /// for it, which is false; `Some(None)`: no regular file there), stamps it and
    /// checks the record.
    pub fn seed(&self, name: &str, look: impl FnOnce() -> Option<Option<Stat>>) -> bool {
        if let Some(t) = lock(&self.touched).get(name) {
            return t.fresh.is_some();
        }
        let Some(meta) = look() else {
            return false;
        };
        let now = advisories_cache::info::now_unix();
        let meta = meta.filter(Stat::is_file);
        let stamp = meta.as_ref().map_or(RACY, |m| stat_stamp(m, Some(now)));
        let fresh = (stamp != RACY)
            .then(|| self.loaded.get_or_init(|| Loaded::read(&self.path)))
            .and_then(|l| {
                let r = l.record(name)?;
                (r.stamp == stamp).then(|| Fresh::of(&r, &l.bytes))
            });
        let is_fresh = fresh.is_some();
        let added = Record {
            stamp,
            ..Record::default()
        };
        let file = meta.is_some();
        lock(&self.touched).insert(name.to_string(), Touched { fresh, file, added });
        is_fresh
    }

    /// Whether cargo's cache had a file for `name` when [`Digest::seed`] looked.
    pub fn has_file(&self, name: &str) -> bool {
        lock(&self.touched).get(name).is_some_and(|t| t.file)
    }

    /// Whether [`Digest::seed`] looked for `name`'s file and found none.
    pub fn saw_no_file(&self, name: &str) -> bool {
        lock(&self.touched).get(name).is_some_and(|t| !t.file)
    }

    /// Looks at the fresh record of `name` (found by [`Digest::seed`]).
    fn with_fresh<T>(&self, name: &str, f: impl FnOnce(&Fresh, &[u8]) -> Option<T>) -> Option<T> {
        let base = &self.loaded.get()?.bytes;
        f(lock(&self.touched).get(name)?.fresh.as_ref()?, base)
    }

    /// The blob at `place` in the loaded digest.
    fn blob_at(&self, (start, end): Place) -> Option<&[u8]> {
        self.loaded.get()?.bytes.get(start..end)
    }

    /// The published versions recorded for `name` (sorted), if fresh.
    pub fn published(&self, name: &str) -> Option<Published> {
        let blob = self.blob_at(self.with_fresh(name, |f, _| f.published)?)?;
        let mut v = packed::decode_published(blob)?;
        // Stored sorted; a damaged order is mended, never trusted.
        if !v.is_sorted_by(|a, b| a.0 <= b.0) {
            v.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Some(Arc::new(v))
    }

    /// The yanked flag recorded for `name version` (`Some(None)`: the file has no such
    /// version), from the yanked answers or from a recorded entry; if fresh.
    pub fn yanked(&self, name: &str, version: &str) -> Option<Option<bool>> {
        let (flag, entry) = self.with_fresh(name, |f, base| {
            Some((
                Fresh::find(&f.yanked, base, version),
                Fresh::find(&f.entries, base, version),
            ))
        })?;
        if let Some(y) = flag {
            return Some(y);
        }
        Some(Some(packed::entry_yanked(self.blob_at(entry??)?)?))
    }

    /// The entry recorded for `name version` (`Some(None)`: the file has no usable
    /// entry), if fresh; an entry that does not decode is left for the file to answer.
    pub fn entry(&self, name: &str, version: &semver::Version) -> Option<Option<IndexVersion>> {
        let text = crate::version_text::version_text(version);
        match self.with_fresh(name, |f, base| Fresh::find(&f.entries, base, &text))? {
            None => Some(None),
            Some(place) => Some(Some(IndexVersion::packed(
                version.clone(),
                self.blob_at(place)?,
            )?)),
        }
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
            r.yanked
                .push((Text(Cow::Owned(version.to_string())), yanked))
        });
    }

    /// Records an entry read from the file.
    pub fn note_entry(&self, name: &str, version: &str, entry: Option<&IndexVersion>) {
        self.note(name, |r| {
            r.entries.push((
                Text(Cow::Owned(version.to_string())),
                entry.map(|e| Blob(Cow::Owned(e.encoded()))),
            ))
        });
    }

    /// Records the published versions read from the file.
    pub fn note_published(&self, name: &str, published: &[(semver::Version, bool)]) {
        self.note(name, |r| {
            r.published = Some(Blob(Cow::Owned(packed::encode_published(published))));
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
            let kept = t.fresh.is_some().then(|| loaded.blob(name)).flatten();
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
        for row in &loaded.rows {
            let Ok(name) = std::str::from_utf8(loaded.name(row)) else {
                continue;
            };
            if touched.contains_key(name) {
                continue;
            }
            let (start, end) = row.record;
            if size + (end - start) + name.len() + 16 > MAX_BYTES / 2 {
                break;
            }
            size += end - start + name.len() + 16;
            blobs.push((name.to_string(), loaded.bytes[start..end].to_vec()));
        }
        drop(touched);
        blobs.retain(|(name, _)| name.len() <= usize::from(u16::MAX));
        blobs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut dir = Vec::new();
        let mut offset = 0u32;
        for (name, blob) in &blobs {
            let len = blob.len() as u32;
            dir.extend_from_slice(&(name.len() as u16).to_le_bytes());
            dir.extend_from_slice(name.as_bytes());
            dir.extend_from_slice(&offset.to_le_bytes());
            dir.extend_from_slice(&len.to_le_bytes());
            dir.extend_from_slice(&crc32fast::hash(blob).to_le_bytes());
            offset = offset.saturating_add(len);
        }
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_lists_come_back_sorted_even_when_stored_out_of_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = Digest::at(dir.path().join("d.digest"));
        let v = |s: &str| semver::Version::parse(s).unwrap();
        let versions = [v("1.0.0"), v("0.10.0"), v("0.9.0-rc.1"), v("0.9.0")];
        let list: Vec<(semver::Version, bool)> =
            versions.iter().map(|x| (x.clone(), false)).collect();
        // A digest made by hand whose list is out of order.
        let blob = packed::encode_published(&list);
        let bytes = FileBytes::Owned(blob.clone());
        let place = (0, blob.len());
        d.loaded.get_or_init(|| Loaded {
            bytes,
            rows: Vec::new(),
        });
        lock(&d.touched).insert(
            "x".into(),
            Touched {
                fresh: Some(Fresh {
                    published: Some(place),
                    yanked: Vec::new(),
                    entries: Vec::new(),
                }),
                file: true,
                added: Record::default(),
            },
        );
        let got: Vec<String> = d
            .published("x")
            .unwrap()
            .iter()
            .map(|(v, _)| v.to_string())
            .collect();
        assert_eq!(got, ["0.9.0-rc.1", "0.9.0", "0.10.0", "1.0.0"]);
    }
}
