//! A reader for the exact layout cargo writes into `Cargo.lock`, several times faster than
//! a general TOML deserializer. It accepts only what it fully understands — bare keys,
//! escape-free basic strings, integers, string arrays, the known tables — and returns
//! `None` on anything else (comments after values, escapes, inline tables, unknown keys,
//! duplicate keys), so the caller falls back to the `toml` crate. When it returns
//! `Some`, the result equals the `toml` crate's; a property test checks that.
//!
//! It walks the bytes once, line by line, and borrows every string from the text: no
//! allocation per field or per dependency.

use super::{Borrowed, Pkg};
use hashbrown::HashSet;

#[derive(Clone, Copy, PartialEq)]
enum Table {
    Top,
    Package,
    Root,
    Metadata,
    PatchUnused,
}

/// Bits of the keys seen in the current table.
const NAME: u8 = 1;
const VERSION: u8 = 2;
const SOURCE: u8 = 4;
const CHECKSUM: u8 = 8;
const REPLACE: u8 = 16;
const DEPENDENCIES: u8 = 32;

/// Lines of the text: `(0-based index, line without "\n" and one trailing "\r")`, like
/// `text.split('\n')`. A line holding any other `\r` is `Err(())`.
struct Lines<'a> {
    text: &'a str,
    pos: usize,
    index: u32,
    /// Whether the text holds a `\r` at all (usually not: then no line is searched).
    any_cr: bool,
}

impl<'a> Lines<'a> {
    /// Lines of `text`; a `simple` text (see [`simple_text`]) holds no `\r`.
    fn new(text: &'a str, simple: bool) -> Self {
        Lines {
            text,
            pos: 0,
            index: 0,
            any_cr: !simple && memchr::memchr(b'\r', text.as_bytes()).is_some(),
        }
    }

    fn next_line(&mut self) -> Option<Result<(u32, &'a str), ()>> {
        let bytes = self.text.as_bytes();
        if self.pos > bytes.len() {
            return None; // like `split('\n')`, a text ending in "\n" ends with an empty line
        }
        let start = self.pos;
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        self.pos = end + 1;
        let index = self.index;
        self.index += 1;
        let mut line = &self.text[start..end];
        if self.any_cr {
            line = line.strip_suffix('\r').unwrap_or(line);
            if memchr::memchr(b'\r', line.as_bytes()).is_some() {
                return Some(Err(()));
            }
        }
        Some(Ok((index, line)))
    }
}

/// One line of the exact form cargo writes, read without the general line logic.
enum Canonical<'a> {
    /// An empty line.
    Blank,
    /// `key = "value"` for one of the string keys (its bit).
    Field(u8, &'a str),
    /// `dependencies = [`, its ` "item",` lines and `]`, the items appended.
    Dependencies,
}

impl<'a> Lines<'a> {
    /// Reads the next line when it is exactly as cargo writes it (a blank line, a string
    /// field, a whole multi-line dependency array) and the text is `simple` (see
    /// [`Strings`]): the common case, at a few instructions a byte. Anything else is left
    /// for [`Lines::next_line`] and the general reading, which gives the same result for
    /// these lines; nothing is consumed then.
    fn canonical(&mut self, deps: &mut Vec<&'a str>) -> Option<Canonical<'a>> {
        let bytes = self.text.as_bytes();
        let rest = bytes.get(self.pos..)?;
        let (prefix, bit): (&[u8], u8) = match rest.first()? {
            b'\n' => {
                self.pos += 1;
                self.index += 1;
                return Some(Canonical::Blank);
            }
            b'n' => (b"name = \"", NAME),
            b'v' => (b"version = \"", VERSION),
            b's' => (b"source = \"", SOURCE),
            b'c' => (b"checksum = \"", CHECKSUM),
            b'd' => (b"dependencies = [\n", DEPENDENCIES),
            _ => return None,
        };
        if !rest.starts_with(prefix) {
            return None;
        }
        if bit == DEPENDENCIES {
            let (pos, index, count) = (self.pos, self.index, deps.len());
            self.pos += prefix.len();
            self.index += 1;
            if self.canonical_items(deps).is_some() {
                return Some(Canonical::Dependencies);
            }
            (self.pos, self.index) = (pos, index);
            deps.truncate(count);
            return None;
        }
        let start = self.pos + prefix.len();
        let value = self.string_then(start, b"\n")?;
        Some(Canonical::Field(bit, value))
    }

    /// ` "item",` lines up to `]`.
    fn canonical_items(&mut self, deps: &mut Vec<&'a str>) -> Option<()> {
        let bytes = self.text.as_bytes();
        loop {
            let rest = bytes.get(self.pos..)?;
            if rest.starts_with(b"]\n") {
                self.pos += 2;
                self.index += 1;
                return Some(());
            }
            if !rest.starts_with(b" \"") {
                return None;
            }
            let item = self.string_then(self.pos + 2, b",\n")?;
            deps.push(item);
        }
    }

    /// The string from `start` to the next quote, when `after` follows that quote and no
    /// line break comes before it; the line is then consumed.
    #[inline]
    fn string_then(&mut self, start: usize, after: &[u8]) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let len = memchr::memchr2(b'"', b'\n', bytes.get(start..)?)?;
        let end = start + len;
        if bytes[end] != b'"' || !bytes[end + 1..].starts_with(after) {
            return None;
        }
        self.pos = end + 1 + after.len();
        self.index += 1;
        Some(&self.text[start..end])
    }
}

/// The first `byte` in `hay`. For keys and names (~10 bytes) a plain loop beats
/// `memchr`'s set-up (~75 instructions a call); lines are found with `memchr`.
#[inline]
pub(super) fn find_byte(hay: &[u8], byte: u8) -> Option<usize> {
    hay.iter().position(|&b| b == byte)
}

/// Trims spaces and tabs (the only whitespace TOML allows inside a line).
#[inline(always)]
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    if b.first().is_some_and(|c| !blank(c)) && b.last().is_some_and(|c| !blank(c)) {
        return s; // the usual case, without the loops
    }
    let (mut i, mut j) = (0, b.len());
    while i < j && blank(&b[i]) {
        i += 1;
    }
    while j > i && blank(&b[j - 1]) {
        j -= 1;
    }
    &s[i..j]
}

/// Splits at the first `byte` (ASCII).
fn split_at_byte(s: &str, byte: u8) -> Option<(&str, &str)> {
    let i = find_byte(s.as_bytes(), byte)?;
    Some((&s[..i], &s[i + 1..]))
}

/// Parses canonical lockfile text, or `None` when the text is outside the subset. Also
/// returns the 1-based lines of the `[root]` header (first, when present) and of each
/// `[[package]]` header, in order, found in the same pass.
#[cfg(test)]
pub fn parse_with_lines(text: &str) -> Option<(Borrowed<'_>, Vec<u32>)> {
    parse_text(text, simple_text(text.as_bytes()))
}

/// [`parse_with_lines`], told whether the text is [`simple_text`] (the caller has
/// already looked).
pub fn parse_text(text: &str, simple: bool) -> Option<(Borrowed<'_>, Vec<u32>)> {
    // Sized up front from the text's length (a package takes at least ~100 bytes, a
    // dependency line ~10), so the vectors rarely grow by copying; capacity that is never
    // written is never touched, so it costs no memory.
    let packages = text.len() / 96 + 1;
    let mut raw = Borrowed {
        packages: Vec::with_capacity(packages),
        deps: Vec::with_capacity(text.len() / 16 + 1),
        ..Borrowed::default()
    };
    let mut root_line = None;
    let mut package_lines = Vec::with_capacity(packages);
    let mut table = Table::Top;
    let (mut seen_root, mut seen_metadata) = (false, false);
    let mut metadata_keys: HashSet<&str> = HashSet::new();
    let mut keys = 0u8;
    let mut cur = Pkg::default();
    let mut lines = Lines::new(text, simple);
    let strings = Strings { simple };

    loop {
        // The lines cargo writes inside a package, read the short way (same result).
        let in_package = matches!(table, Table::Package | Table::Root | Table::PatchUnused);
        if strings.simple && in_package {
            let start = raw.deps.len();
            match lines.canonical(&mut raw.deps) {
                Some(Canonical::Blank) => continue,
                Some(Canonical::Field(bit, value)) => {
                    claim(&mut keys, bit)?;
                    set_field(&mut cur, bit, value);
                    continue;
                }
                Some(Canonical::Dependencies) => {
                    claim(&mut keys, DEPENDENCIES)?;
                    cur.deps = (start as u32, raw.deps.len() as u32);
                    continue;
                }
                None => {}
            }
        }
        let Some(next) = lines.next_line() else { break };
        let (index, line) = next.ok()?;
        let t = trim(line);
        if t.is_empty() {
            continue;
        }
        let first = t.as_bytes()[0];
        if first == b'#' {
            if !strings.simple && !plain_comment(&t[1..]) {
                return None; // control characters in comments are a TOML error
            }
            continue;
        }
        if first == b'[' {
            finish(&mut raw, table, &mut cur, keys)?;
            keys = 0;
            table = match t {
                "[[package]]" => {
                    package_lines.push(index + 1);
                    Table::Package
                }
                "[[patch.unused]]" => Table::PatchUnused,
                "[root]" => {
                    if std::mem::replace(&mut seen_root, true) {
                        return None; // a table defined twice is a TOML error
                    }
                    root_line = Some(index + 1);
                    Table::Root
                }
                "[metadata]" => {
                    if std::mem::replace(&mut seen_metadata, true) {
                        return None;
                    }
                    Table::Metadata
                }
                _ => return None,
            };
            continue;
        }
        if table == Table::Metadata {
            // `"checksum name version (source)" = "hash"`
            let (key, rest) = split_at_byte(t.strip_prefix('"')?, b'"')?;
            if !strings.plain(key) {
                return None;
            }
            let value = trim(rest).strip_prefix('=')?;
            strings.value(trim(value))?;
            if !metadata_keys.insert(key) {
                return None;
            }
            raw.metadata += 1;
            continue;
        }
        let (key, value) = split_at_byte(t, b'=')?;
        // Only a few exact keys are accepted below, so no other key needs checking.
        let key = trim(key);
        let value = trim(value);
        if table == Table::Top {
            if key != "version" || raw.version.is_some() {
                return None;
            }
            if value.is_empty() || value.len() > 9 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            if value.len() > 1 && value.starts_with('0') {
                return None; // leading zeros are invalid TOML
            }
            raw.version = Some(value.parse().ok()?);
            continue;
        }
        // [[package]], [root] or [[patch.unused]]: only the keys cargo writes, once each.
        let bit = match key {
            "name" => NAME,
            "version" => VERSION,
            "source" => SOURCE,
            "checksum" => CHECKSUM,
            "replace" => REPLACE,
            "dependencies" => DEPENDENCIES,
            _ => return None,
        };
        claim(&mut keys, bit)?;
        if bit == DEPENDENCIES {
            let start = raw.deps.len();
            string_array(value, &mut lines, &mut raw.deps, strings)?;
            cur.deps = (start as u32, raw.deps.len() as u32);
            continue;
        }
        set_field(&mut cur, bit, strings.value(value)?);
    }
    finish(&mut raw, table, &mut cur, keys)?;
    Some((raw, root_line.into_iter().chain(package_lines).collect()))
}

/// Marks key `bit` as seen in the current table; `None` if it already was (a key
/// defined twice is a TOML error).
fn claim(keys: &mut u8, bit: u8) -> Option<()> {
    if *keys & bit != 0 {
        return None;
    }
    *keys |= bit;
    Some(())
}

/// Stores the string value of key `bit` (any string key but `dependencies`).
fn set_field<'a>(cur: &mut Pkg<'a>, bit: u8, value: &'a str) {
    match bit {
        NAME => cur.name = value,
        VERSION => cur.version = value,
        SOURCE => cur.source = Some(value),
        CHECKSUM => cur.checksum = Some(value),
        _ => cur.replace = Some(value),
    }
}

fn finish<'a>(raw: &mut Borrowed<'a>, table: Table, cur: &mut Pkg<'a>, keys: u8) -> Option<()> {
    let pkg = std::mem::take(cur);
    let complete = keys & (NAME | VERSION) == NAME | VERSION;
    match table {
        Table::Package => {
            if !complete {
                return None; // let the toml path report the missing field
            }
            raw.packages.push(pkg);
        }
        Table::Root => {
            if !complete {
                return None;
            }
            raw.root = Some(pkg);
        }
        Table::PatchUnused => {
            if !complete {
                return None;
            }
        }
        Table::Top | Table::Metadata => {}
    }
    Some(())
}

/// Whether a text has no backslash and no control character but tabs and newlines (so
/// no NUL and no `\r` either): one pass over the bytes, written as a fold without early
/// exit, which the compiler turns into vector code.
pub fn simple_text(bytes: &[u8]) -> bool {
    !bytes.iter().fold(false, |bad, &b| {
        bad | (b == b'\\') | ((b < 0x20) & (b != b'\t') & (b != b'\n')) | (b == 0x7f)
    })
}

/// How strings of one text are checked.
#[derive(Clone, Copy)]
struct Strings {
    /// The whole text has no backslash, no `\r` and no control character but tabs and
    /// newlines: then a string is plain when it holds no quote (one check of the whole
    /// text instead of one of every byte of every string).
    simple: bool,
}

impl Strings {
    /// Is this the inside of a basic string with nothing that needs unescaping?
    #[inline]
    fn plain(self, s: &str) -> bool {
        if self.simple {
            // Strings here are short (names, versions, checksums): a loop without early
            // exit (vector code) beats `memchr`'s set-up.
            !s.bytes().fold(false, |quote, b| quote | (b == b'"'))
        } else {
            plain_string(s)
        }
    }

    /// `"text"` → `text`, for escape-free basic strings.
    #[inline]
    fn value(self, v: &str) -> Option<&str> {
        let inner = v.strip_prefix('"')?.strip_suffix('"')?;
        if !self.plain(inner) {
            return None;
        }
        Some(inner)
    }
}

/// Is this the inside of a basic string with nothing that needs unescaping? (Written
/// as a fold without early exit, which the compiler turns into vector code.)
fn plain_string(s: &str) -> bool {
    !s.bytes().fold(false, |bad, b| {
        bad | (b == b'\\') | (b == b'"') | ((b < 0x20) & (b != b'\t')) | (b == 0x7f)
    })
}

fn plain_comment(s: &str) -> bool {
    !s.bytes().fold(false, |bad, b| {
        bad | ((b < 0x20) & (b != b'\t')) | (b == 0x7f)
    })
}

/// A string array, on one line (`[]`, `["a", "b"]`) or cargo's multi-line form; the
/// items are appended to `out`.
fn string_array<'a>(
    value: &'a str,
    lines: &mut Lines<'a>,
    out: &mut Vec<&'a str>,
    strings: Strings,
) -> Option<()> {
    let inner = value.strip_prefix('[')?;
    if let Some(body) = inner.strip_suffix(']') {
        return items(body, out, strings);
    }
    if !trim(inner).is_empty() {
        return None;
    }
    let mut expect_more = true;
    while let Some(next) = lines.next_line() {
        let (_, line) = next.ok()?;
        let t = trim(line);
        if t == "]" {
            return Some(());
        }
        if t.is_empty() || !expect_more {
            return None;
        }
        let (item, comma) = match t.strip_suffix(',') {
            Some(item) => (trim(item), true),
            None => (t, false),
        };
        out.push(strings.value(item)?);
        expect_more = comma;
    }
    None
}

fn items<'a>(body: &'a str, out: &mut Vec<&'a str>, strings: Strings) -> Option<()> {
    let body = trim(body);
    if body.is_empty() {
        return Some(());
    }
    let body = body.strip_suffix(',').unwrap_or(body);
    for item in body.split(',') {
        out.push(strings.value(trim(item))?);
    }
    Some(())
}
