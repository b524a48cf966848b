//! The compiled index: every advisory of a database folder, pre-parsed, in one file, so a
//! warm run never parses advisory TOML. A warm run reads only the header and the
//! directory (a few tens of KiB) and then the records of the crates its lockfile names;
//! nothing is decoded into owned strings until it is asked for.
//!
//! ```text
//! header    magic "DPAIDX\0\x01" | format u32 | crc32 of the directory u32
//!           | directory length u64 | records length u64
//! directory head length u32 | head (postcard: fingerprint, newest date, skipped files,
//!           root stamp)
//!           | records:  n u32, n × (offset u32, length u32, crc32 u32)
//!           | crates:   n u32, n × (name offset u32, name length u32, first record u32,
//!           |           record count u32, stamp u64, files offset u32, files length u32,
//!           |           has stamp u32): one row per crate with advisories or a folder,
//!           |           sorted by name; a crate's records are adjacent; files are the
//!           |           folder's entry names joined by NUL
//!           | ids:      n u32, n × (id offset u32, id length u32, record u32), sorted by id
//!           | slots:    n u32 (a power of two), n × (hash tag u32, row + 1 u32): an
//!           |           open-addressing hash table over the crate names (FNV-1a; 0 =
//!           |           empty), so a lookup is one probe or two
//!           | strings length u32 | strings (UTF-8)
//! records   postcard blobs of [`AdvisoryRecord`]
//! ```
//!
//! All numbers are little-endian. The directory carries a checksum, and so does every
//! record, so what is read is checked without reading the rest. Any mismatch (magic,
//! version, length, checksum, a table pointing outside its area, fingerprint) means
//! "rebuild", never "trust".

use crate::error::SkippedFile;
use crate::mapped::FileBytes;
use crate::record::{AdvisoryRecord, Collection};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Read;
use std::path::Path;

const MAGIC: &[u8; 8] = b"DPAIDX\0\x01";
/// Bumped whenever the layout changes, so old indexes are rebuilt (silently: an index of
/// an older version is out of date, not damaged).
pub const FORMAT_VERSION: u32 = 3;
const HEADER_LEN: usize = 8 + 4 + 4 + 8 + 8;
/// Indexes larger than this are not trusted (the real database compiles to ~1.3 MiB).
pub const MAX_INDEX_BYTES: u64 = 256 * 1024 * 1024;

const RECORD_ROW: usize = 12;
const CRATE_ROW: usize = 36;
const ID_ROW: usize = 12;
const SLOT_ROW: usize = 8;

fn hash(name: &[u8]) -> u64 {
    let mut h = crate::fingerprint::Fnv::default();
    h.write(name);
    h.finish()
}

/// An open-addressing table for `names` (in row order): `(tag, row + 1)` per slot.
fn slots<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> Vec<(u32, u32)> {
    let size = (names.len() * 2).next_power_of_two();
    let mut slots = vec![(0u32, 0u32); size];
    for (row, name) in names.enumerate() {
        let h = hash(name.as_bytes());
        let mut i = h as usize & (size - 1);
        while slots[i].1 != 0 {
            i = (i + 1) & (size - 1);
        }
        slots[i] = ((h >> 32) as u32, row as u32 + 1);
    }
    slots
}

/// The small, eagerly decoded part of the directory.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Head {
    /// Fingerprint of the folder it was compiled from.
    pub fingerprint: String,
    /// Newest advisory date, `YYYY-MM-DD`.
    pub newest_advisory: Option<String>,
    /// Files skipped while compiling.
    pub skipped: Vec<SkippedFile>,
    /// For plain folders: stamp of the folder, `crates/` and `rust/` when compiled.
    pub root_stamp: u64,
}

/// A `crates/<name>/` folder's stamp when the index was compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateStamp {
    /// The folder name.
    pub name: String,
    /// Its stamp ([`crate::fingerprint::RACY`] when it was too fresh to trust).
    pub stamp: u64,
    /// The names of its entries then.
    pub files: Vec<String>,
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

fn corrupt(why: &str) -> Rejected {
    Rejected::Corrupt(why.to_string())
}

struct Writer {
    table: Vec<u8>,
    strings: Vec<u8>,
}

impl Writer {
    fn u32(&mut self, n: usize) {
        self.table
            .extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
    }
    fn u64(&mut self, n: u64) {
        self.table.extend_from_slice(&n.to_le_bytes());
    }
    fn string(&mut self, s: &str) {
        self.u32(self.strings.len());
        self.u32(s.len());
        self.strings.extend_from_slice(s.as_bytes());
    }
}

/// A record ready for the index: what the directory needs, and its encoded bytes.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Advisory id.
    pub id: String,
    /// Crate (or toolchain component).
    pub package: String,
    /// `crates/` or `rust/`.
    pub collection: Collection,
    /// Date, `YYYY-MM-DD`.
    pub date: String,
    /// The postcard encoding of the [`AdvisoryRecord`].
    pub bytes: Vec<u8>,
}

impl Compiled {
    /// Encodes a record.
    pub fn of(r: &AdvisoryRecord) -> Self {
        Compiled {
            id: r.id.clone(),
            package: r.package.clone(),
            collection: r.collection,
            date: r.date.clone(),
            bytes: postcard::to_stdvec(r).unwrap_or_default(),
        }
    }
}

/// Serializes records into index bytes. `records` may come in any order.
pub fn encode(
    fingerprint: &str,
    records: &[AdvisoryRecord],
    skipped: &[SkippedFile],
    root_stamp: u64,
    stamps: &[CrateStamp],
) -> Vec<u8> {
    let compiled: Vec<Compiled> = records.iter().map(Compiled::of).collect();
    encode_compiled(fingerprint, &compiled, skipped, root_stamp, stamps)
}

/// Serializes encoded records into index bytes. `records` may come in any order.
pub fn encode_compiled(
    fingerprint: &str,
    records: &[Compiled],
    skipped: &[SkippedFile],
    root_stamp: u64,
    stamps: &[CrateStamp],
) -> Vec<u8> {
    // Crate advisories grouped by crate name, then the `rust/` ones.
    let mut order: Vec<&Compiled> = records.iter().collect();
    order.sort_by(|a, b| {
        (a.collection != Collection::Crates, &a.package, &a.id).cmp(&(
            b.collection != Collection::Crates,
            &b.package,
            &b.id,
        ))
    });
    let mut w = Writer {
        table: Vec::new(),
        strings: Vec::new(),
    };
    let head = Head {
        fingerprint: fingerprint.to_string(),
        newest_advisory: records.iter().map(|r| r.date.clone()).max(),
        skipped: skipped.to_vec(),
        root_stamp,
    };
    let head = postcard::to_stdvec(&head).unwrap_or_default();
    w.u32(head.len());
    w.table.extend_from_slice(&head);

    w.u32(order.len());
    let mut blob_len = 0;
    for r in &order {
        w.u32(blob_len);
        w.u32(r.bytes.len());
        w.table
            .extend_from_slice(&crc32fast::hash(&r.bytes).to_le_bytes());
        blob_len += r.bytes.len();
    }

    // One row per crate name: its records (if any) and its folder's stamp (if any).
    let mut crates: std::collections::BTreeMap<&str, (usize, usize, Option<&CrateStamp>)> =
        Default::default();
    for (i, r) in order.iter().enumerate() {
        if r.collection == Collection::Crates {
            let row = crates.entry(&r.package).or_insert((i, 0, None));
            row.1 += 1;
        }
    }
    for s in stamps {
        crates.entry(&s.name).or_insert((0, 0, None)).2 = Some(s);
    }
    w.u32(crates.len());
    for (name, (first, count, stamp)) in &crates {
        w.string(name);
        w.u32(*first);
        w.u32(*count);
        w.u64(stamp.map_or(0, |s| s.stamp));
        w.string(&stamp.map(|s| s.files.join("\0")).unwrap_or_default());
        w.u32(usize::from(stamp.is_some()));
    }

    let mut ids: Vec<(&str, usize)> = order
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    ids.sort();
    w.u32(ids.len());
    for (id, i) in ids {
        w.string(id);
        w.u32(i);
    }

    let table = slots(crates.keys().copied());
    w.u32(table.len());
    for (tag, row) in table {
        w.u32(tag as usize);
        w.u32(row as usize);
    }

    let strings = std::mem::take(&mut w.strings);
    w.u32(strings.len());
    w.table.extend_from_slice(&strings);
    let dir = w.table;

    // The records are copied once, straight into the output.
    let mut out = Vec::with_capacity(HEADER_LEN + dir.len() + blob_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&dir).to_le_bytes());
    out.extend_from_slice(&(dir.len() as u64).to_le_bytes());
    out.extend_from_slice(&(blob_len as u64).to_le_bytes());
    out.extend_from_slice(&dir);
    for r in &order {
        out.extend_from_slice(&r.bytes);
    }
    out
}

/// Where the records are: in memory, or still in the file (read when asked for).
#[derive(Debug)]
enum Records {
    Memory(Vec<u8>),
    File { file: File, start: u64 },
}

/// A table of fixed-size rows inside the directory.
#[derive(Debug, Clone, Copy, Default)]
struct Table {
    start: usize,
    len: usize,
    row: usize,
}

/// The directory's bytes: in the index file's head (header, then directory), mapped or
/// read, from `start`; or built in memory, from 0.
#[derive(Debug)]
struct Directory {
    bytes: FileBytes,
    start: usize,
}

impl std::ops::Deref for Directory {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.bytes.get(self.start..).unwrap_or_default()
    }
}

/// A validated index: the directory mapped or in memory, records read and checked on
/// demand.
#[derive(Debug)]
pub struct LoadedIndex {
    /// The decoded head.
    pub head: Head,
    dir: Directory,
    records: Records,
    records_len: u64,
    spans: Table,
    crates: Table,
    ids: Table,
    slots: Table,
    strings: usize,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

impl LoadedIndex {
    fn field(&self, t: Table, i: usize, col: usize) -> Option<u32> {
        if i >= t.len {
            return None;
        }
        u32_at(&self.dir, t.start + i * t.row + col)
    }

    /// A string of the strings area named by (offset, length) at column `col` of row `i`.
    fn str_bytes(&self, t: Table, i: usize, col: usize) -> Option<&[u8]> {
        let off = self.field(t, i, col)? as usize;
        let len = self.field(t, i, col + 4)? as usize;
        let start = self.strings.checked_add(off)?;
        self.dir.get(start..start.checked_add(len)?)
    }

    /// Finds `key` in table `t` through its hash slots.
    fn lookup(&self, t: Table, slots: Table, key: &str) -> Option<usize> {
        if slots.len == 0 {
            return None;
        }
        let h = hash(key.as_bytes());
        let mask = slots.len - 1;
        let mut i = h as usize & mask;
        for _ in 0..slots.len {
            let row = self.field(slots, i, 4)? as usize;
            if row == 0 {
                return None;
            }
            if self.field(slots, i, 0)? == (h >> 32) as u32
                && self.str_bytes(t, row - 1, 0)? == key.as_bytes()
            {
                return Some(row - 1);
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Finds `key` in a table sorted by its string column 0.
    fn find(&self, t: Table, key: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, t.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.str_bytes(t, mid, 0)?.cmp(key.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.spans.len
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.spans.len == 0
    }

    /// Record numbers of the `crates/` advisories for crate `name`.
    pub fn records_of(&self, name: &str) -> std::ops::Range<u32> {
        let Some(i) = self.lookup(self.crates, self.slots, name) else {
            return 0..0;
        };
        let first = self.field(self.crates, i, 8).unwrap_or(0);
        let count = self.field(self.crates, i, 12).unwrap_or(0);
        first..first.saturating_add(count)
    }

    /// The record number of advisory `id`.
    pub fn record_of_id(&self, id: &str) -> Option<u32> {
        let i = self.find(self.ids, id)?;
        self.field(self.ids, i, 8)
    }

    /// Every advisory id, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        (0..self.ids.len).filter_map(|i| std::str::from_utf8(self.str_bytes(self.ids, i, 0)?).ok())
    }

    /// The stamp and entry names recorded for crate folder `name`, if it had a folder.
    pub fn crate_stamp(&self, name: &str) -> Option<(u64, impl Iterator<Item = &str>)> {
        let i = self.lookup(self.crates, self.slots, name)?;
        self.stamp_row(i)
    }

    /// Every recorded crate folder: (name, stamp, entry names).
    pub fn crate_stamps(&self) -> impl Iterator<Item = (&str, u64, impl Iterator<Item = &str>)> {
        (0..self.crates.len).filter_map(|i| {
            let name = std::str::from_utf8(self.str_bytes(self.crates, i, 0)?).ok()?;
            let (stamp, files) = self.stamp_row(i)?;
            Some((name, stamp, files))
        })
    }

    fn stamp_row(&self, i: usize) -> Option<(u64, impl Iterator<Item = &str> + use<'_>)> {
        if self.field(self.crates, i, 32)? == 0 {
            return None; // a crate with advisories but no folder of its own
        }
        let stamp = u64_at(&self.dir, self.crates.start + i * self.crates.row + 16)?;
        let files = std::str::from_utf8(self.str_bytes(self.crates, i, 24)?).ok()?;
        Some((stamp, files.split('\0').filter(|f| !f.is_empty())))
    }

    /// The span (offset, length, crc) of record `n`.
    fn span(&self, n: u32) -> Option<(u64, usize, u32)> {
        let n = n as usize;
        Some((
            u64::from(self.field(self.spans, n, 0)?),
            self.field(self.spans, n, 4)? as usize,
            self.field(self.spans, n, 8)?,
        ))
    }

    /// Reads, checks and decodes records `range` (adjacent in the file, so one read).
    /// `Err` when one is damaged.
    pub fn read_records(&self, range: std::ops::Range<u32>) -> Result<Vec<AdvisoryRecord>, String> {
        let (area, spans) = self.checked_area(range.clone())?;
        spans
            .into_iter()
            .zip(range)
            .map(|((at, len), n)| postcard::from_bytes(&area[at..at + len]).map_err(|_| damaged(n)))
            .collect()
    }

    /// Reads and checks records `range` (adjacent in the file, so one read), leaving
    /// them encoded: their bytes in one piece, and where each record is in it. `Err`
    /// when one is damaged.
    pub fn read_raw(&self, range: std::ops::Range<u32>) -> Result<(Box<[u8]>, Spans), String> {
        let (area, spans) = self.checked_area(range)?;
        Ok((area.into_owned().into_boxed_slice(), spans))
    }

    /// The bytes of records `range`, read at once, with where each record is in them
    /// (offset, length), every one checked against its CRC.
    fn checked_area(
        &self,
        range: std::ops::Range<u32>,
    ) -> Result<(std::borrow::Cow<'_, [u8]>, Spans), String> {
        if range.is_empty() {
            return Ok((std::borrow::Cow::Borrowed(&[]), Vec::new()));
        }
        let (start, _, _) = self.span(range.start).ok_or_else(|| damaged(range.start))?;
        let (last_off, last_len, _) = self
            .span(range.end - 1)
            .ok_or_else(|| damaged(range.end - 1))?;
        let end = last_off + last_len as u64;
        let area = match &self.records {
            Records::Memory(all) => std::borrow::Cow::Borrowed(
                all.get(start as usize..end as usize)
                    .ok_or_else(|| damaged(range.start))?,
            ),
            Records::File { file, start: base } => {
                let mut buf = vec![0; end.saturating_sub(start) as usize];
                read_at(file, &mut buf, base + start).map_err(|e| e.to_string())?;
                std::borrow::Cow::Owned(buf)
            }
        };
        let spans = range
            .map(|n| {
                let (off, len, crc) = self.span(n).ok_or_else(|| damaged(n))?;
                let at = off.checked_sub(start).ok_or_else(|| damaged(n))? as usize;
                let bytes = area.get(at..at + len).ok_or_else(|| damaged(n))?;
                if crc32fast::hash(bytes) != crc {
                    return Err(damaged(n));
                }
                Ok((at, len))
            })
            .collect::<Result<_, _>>()?;
        Ok((area, spans))
    }

    /// Reads and checks every record now, keeping them in memory (for callers that will
    /// use most of them). `Err` when one is damaged.
    pub fn load_all(&mut self) -> Result<(), String> {
        if let Records::File { file, start } = &self.records {
            let mut buf = vec![0; self.records_len as usize];
            read_at(file, &mut buf, *start).map_err(|e| e.to_string())?;
            self.records = Records::Memory(buf);
        }
        let Records::Memory(all) = &self.records else {
            return Ok(());
        };
        for n in 0..self.spans.len as u32 {
            let (off, len, crc) = self.span(n).ok_or("record table is damaged")?;
            let bytes = all
                .get(off as usize..off as usize + len)
                .ok_or("record span out of range")?;
            if crc32fast::hash(bytes) != crc {
                return Err(format!("record {n} is damaged"));
            }
        }
        Ok(())
    }
}

/// Where each of a run of records is in their bytes: (offset, length).
pub type Spans = Vec<(usize, usize)>;

/// The error for record `n`.
fn damaged(n: u32) -> String {
    format!("record {n} is damaged")
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, at)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

/// Splits a validated directory into its tables, checking every bound.
fn parse_directory(dir: &[u8]) -> Result<(Head, [Table; 4], usize), Rejected> {
    let bad = || corrupt("directory out of range");
    let mut at = 0usize;
    let head_len = u32_at(dir, at).ok_or_else(bad)? as usize;
    at += 4;
    let head: Head = postcard::from_bytes(dir.get(at..at + head_len).ok_or_else(bad)?)
        .map_err(|e| Rejected::Corrupt(format!("undecodable head: {e}")))?;
    at += head_len;
    let mut tables = [Table::default(); 4];
    for (t, row) in tables
        .iter_mut()
        .zip([RECORD_ROW, CRATE_ROW, ID_ROW, SLOT_ROW])
    {
        let len = u32_at(dir, at).ok_or_else(bad)? as usize;
        at += 4;
        let bytes = len.checked_mul(row).ok_or_else(bad)?;
        if dir.len() < at + bytes {
            return Err(bad());
        }
        *t = Table {
            start: at,
            len,
            row,
        };
        at += bytes;
    }
    let strings_len = u32_at(dir, at).ok_or_else(bad)? as usize;
    at += 4;
    if dir.len() != at + strings_len {
        return Err(bad());
    }
    Ok((head, tables, at))
}

/// Validates an index read as `header`, `directory` and the records source.
fn validate(
    header: &[u8],
    dir: Directory,
    records: Records,
    total_len: u64,
    fingerprint: &str,
) -> Result<LoadedIndex, Rejected> {
    let (dir_len, records_len) = check_header(header)?;
    if total_len != HEADER_LEN as u64 + dir_len + records_len {
        return Err(corrupt("length does not match the header"));
    }
    let crc = u32_at(header, 12).ok_or_else(|| corrupt("bad header"))?;
    if crc32fast::hash(&dir) != crc {
        return Err(corrupt("checksum mismatch"));
    }
    let (head, [spans, crates, ids, slots], strings) = parse_directory(&dir)?;
    if head.fingerprint != fingerprint {
        return Err(Rejected::Stale);
    }
    let idx = LoadedIndex {
        head,
        dir,
        records,
        records_len,
        spans,
        crates,
        ids,
        slots,
        strings,
    };
    // Every reference must stay inside its area, so later reads cannot go astray. The
    // rows are read straight from the directory (every table lies inside it, as
    // parse_directory checked): this looks at a few thousand rows on every run.
    let n = spans.len as u64;
    let col = |row: &[u8], c: usize| u64::from(u32_at(row, c).unwrap_or(u32::MAX));
    let all = |t: Table, ok: &dyn Fn(&[u8]) -> bool| {
        let bytes = idx.dir.get(t.start..t.start + t.len * t.row);
        bytes.is_some_and(|b| t.len == 0 || b.chunks_exact(t.row).all(ok))
    };
    if !all(spans, &|r| col(r, 0) + col(r, 4) <= records_len) {
        return Err(corrupt("record span out of range"));
    }
    let strings_area = (idx.dir.len() - idx.strings) as u64;
    let in_strings = |r: &[u8], c: usize| col(r, c) + col(r, c + 4) <= strings_area;
    if !all(crates, &|r| in_strings(r, 0) && in_strings(r, 24)) || !all(ids, &|r| in_strings(r, 0))
    {
        return Err(corrupt("string out of range"));
    }
    if !all(crates, &|r| col(r, 8) + col(r, 12) <= n) || !all(ids, &|r| col(r, 8) < n) {
        return Err(corrupt("record number out of range"));
    }
    let slots_in = |of: Table| move |r: &[u8]| col(r, 4) <= of.len as u64;
    if !((slots.len == 0 || slots.len.is_power_of_two()) && all(slots, &slots_in(crates))) {
        return Err(corrupt("hash slot out of range"));
    }
    Ok(idx)
}

/// Checks magic and version; returns (directory length, records length).
fn check_header(header: &[u8]) -> Result<(u64, u64), Rejected> {
    if header.len() < 12 || &header[..8] != MAGIC {
        return Err(corrupt("bad header"));
    }
    if u32_at(header, 8) != Some(FORMAT_VERSION) {
        return Err(Rejected::Stale);
    }
    let dir_len = u64_at(header, 16).ok_or_else(|| corrupt("bad header"))?;
    let records_len = u64_at(header, 24).ok_or_else(|| corrupt("bad header"))?;
    if dir_len > MAX_INDEX_BYTES || records_len > MAX_INDEX_BYTES {
        return Err(corrupt("too large"));
    }
    Ok((dir_len, records_len))
}

/// Validates and decodes index bytes built for `fingerprint` (all records in memory and
/// checked).
pub fn decode(bytes: Vec<u8>, fingerprint: &str) -> Result<LoadedIndex, Rejected> {
    let mut idx = from_bytes(bytes, fingerprint)?;
    idx.load_all().map_err(Rejected::Corrupt)?;
    Ok(idx)
}

/// The index of bytes [`encode`] just made: validated like a file, but the record
/// checksums it just computed are not checked again.
pub fn from_encoded(bytes: Vec<u8>, fingerprint: &str) -> Result<LoadedIndex, Rejected> {
    from_bytes(bytes, fingerprint)
}

fn from_bytes(mut bytes: Vec<u8>, fingerprint: &str) -> Result<LoadedIndex, Rejected> {
    let total = bytes.len() as u64;
    let header = bytes
        .get(..HEADER_LEN)
        .ok_or_else(|| corrupt("bad header"))?;
    let (dir_len, _) = check_header(header)?;
    let dir_end = HEADER_LEN
        .checked_add(usize::try_from(dir_len).map_err(|_| corrupt("too large"))?)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| corrupt("length does not match the header"))?;
    let header = bytes[..HEADER_LEN].to_vec();
    let dir = Directory {
        bytes: FileBytes::Owned(bytes[HEADER_LEN..dir_end].to_vec()),
        start: 0,
    };
    bytes.drain(..dir_end);
    validate(&header, dir, Records::Memory(bytes), total, fingerprint)
}

/// Opens the index file at `path` (no symlinks, bounded size) and validates its header
/// and directory. Records stay in the file and are checked as they are read.
pub fn read(path: &Path, fingerprint: &str) -> Result<LoadedIndex, Rejected> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(_) => return Err(Rejected::Missing),
    };
    if !meta.is_file() {
        return Err(corrupt("not a regular file"));
    }
    if meta.len() > MAX_INDEX_BYTES {
        return Err(corrupt("too large"));
    }
    let mut file = File::open(path).map_err(|e| Rejected::Corrupt(e.to_string()))?;
    let total = file
        .metadata()
        .map_err(|e| Rejected::Corrupt(e.to_string()))?
        .len();
    let mut header = [0u8; HEADER_LEN];
    let got = read_up_to(&mut file, &mut header).map_err(|e| Rejected::Corrupt(e.to_string()))?;
    let (dir_len, _) = check_header(&header[..got])?;
    if got < HEADER_LEN || HEADER_LEN as u64 + dir_len > total {
        return Err(corrupt("length does not match the header"));
    }
    let dir = Directory {
        bytes: FileBytes::head(&file, HEADER_LEN as u64 + dir_len)
            .map_err(|e| Rejected::Corrupt(e.to_string()))?,
        start: HEADER_LEN,
    };
    let records = Records::File {
        file,
        start: HEADER_LEN as u64 + dir_len,
    };
    validate(&header, dir, records, total, fingerprint)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
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
        // No fsync: a torn file after a crash fails its checksums and is rebuilt.
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

    fn record(id: &str, package: &str, collection: Collection) -> AdvisoryRecord {
        AdvisoryRecord {
            id: id.into(),
            package: package.into(),
            collection,
            aliases: vec![format!("CVE-{id}")],
            title: format!("title of {id}"),
            description: "d".repeat(100),
            date: "2020-01-01".into(),
            url: None,
            rustsec_url: None,
            references: vec![],
            categories: vec![],
            keywords: vec![],
            cvss: None,
            cvss_score: None,
            severity: None,
            informational: None,
            withdrawn: None,
            source: None,
            affected_os: vec![],
            affected_arch: vec![],
            affected_functions: vec![],
            patched: vec![">= 1.0.0".into()],
            unaffected: vec![],
            ranges: vec![],
            ..AdvisoryRecord::default()
        }
    }

    fn sample() -> (Vec<AdvisoryRecord>, Vec<u8>) {
        let records = vec![
            record("RUSTSEC-2020-0003", "zeta", Collection::Crates),
            record("RUSTSEC-2020-0001", "alpha", Collection::Crates),
            record("RUSTSEC-2020-0009", "std", Collection::Rust),
            record("RUSTSEC-2020-0002", "alpha", Collection::Crates),
        ];
        let stamps = vec![CrateStamp {
            name: "alpha".into(),
            stamp: 42,
            files: vec!["RUSTSEC-2020-0001.md".into(), "RUSTSEC-2020-0002.md".into()],
        }];
        let bytes = encode("plain", &records, &[], 7, &stamps);
        (records, bytes)
    }

    #[test]
    fn round_trip_from_memory_and_from_a_file() {
        let (records, bytes) = sample();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.idx");
        write_atomic(&path, &bytes).unwrap();
        for idx in [
            decode(bytes.clone(), "plain").unwrap(),
            read(&path, "plain").unwrap(),
        ] {
            assert_eq!(idx.len(), 4);
            assert_eq!(idx.head.root_stamp, 7);
            let alpha = idx.read_records(idx.records_of("alpha")).unwrap();
            assert_eq!(alpha, [records[1].clone(), records[3].clone()]);
            assert_eq!(
                idx.read_records(idx.records_of("zeta")).unwrap(),
                [records[0].clone()]
            );
            assert!(idx.records_of("std").is_empty(), "rust/ is not a crate");
            assert!(idx.records_of("beta").is_empty());
            let n = idx.record_of_id("RUSTSEC-2020-0009").unwrap();
            assert_eq!(idx.read_records(n..n + 1).unwrap()[0], records[2]);
            assert_eq!(
                idx.ids().collect::<Vec<_>>(),
                [
                    "RUSTSEC-2020-0001",
                    "RUSTSEC-2020-0002",
                    "RUSTSEC-2020-0003",
                    "RUSTSEC-2020-0009"
                ]
            );
            let (stamp, files) = idx.crate_stamp("alpha").unwrap();
            assert_eq!(stamp, 42);
            assert_eq!(
                files.collect::<Vec<_>>(),
                ["RUSTSEC-2020-0001.md", "RUSTSEC-2020-0002.md"]
            );
            assert!(idx.crate_stamp("zeta").is_none());
        }
        assert!(matches!(decode(bytes, "snapshot:x"), Err(Rejected::Stale)));
    }

    #[test]
    fn any_damage_is_rejected_never_trusted() {
        let (_, bytes) = sample();
        // Every single-byte change anywhere is caught, when the index is opened or when the
        // damaged record is read.
        for at in 0..bytes.len() {
            let mut b = bytes.clone();
            b[at] ^= 0x01;
            let caught = match decode(b, "plain") {
                Err(_) => true,
                Ok(idx) => (0..idx.len() as u32).any(|n| idx.read_records(n..n + 1).is_err()),
            };
            assert!(caught, "a flipped bit at byte {at} went unnoticed");
        }
        for len in 0..bytes.len() {
            assert!(
                decode(bytes[..len].to_vec(), "plain").is_err(),
                "cut at {len}"
            );
        }
        let mut v1 = bytes.clone();
        v1[8] = 1;
        assert!(matches!(decode(v1, "plain"), Err(Rejected::Stale)));
    }

    #[test]
    fn old_temporaries_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(".tmp-1-2-3");
        let fresh = dir.path().join(".tmp-4-5-6");
        std::fs::write(&old, "x").unwrap();
        std::fs::write(&fresh, "x").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
            .unwrap();
        write_atomic(&dir.path().join("a.idx"), b"bytes").unwrap();
        assert!(!old.exists());
        assert!(fresh.exists(), "a running writer's file is left alone");
        assert!(dir.path().join("a.idx").exists());
    }
}
