//! A reader for the exact layout cargo writes into `Cargo.lock`, several times faster than
//! a general TOML deserializer. It accepts only what it fully understands — bare keys,
//! escape-free basic strings, integers, string arrays, the known tables — and returns
//! `None` on anything else (comments after values, escapes, inline tables, unknown keys,
//! duplicate keys), so the caller falls back to the `toml` crate. When it returns
//! `Some`, the result equals the `toml` crate's; a property test checks that.

use super::{RawLockfile, RawPackage};
use std::collections::HashSet;

#[derive(Clone, Copy, PartialEq)]
enum Table {
    Top,
    Package,
    Root,
    Metadata,
    PatchUnused,
}

/// Parses canonical lockfile text, or `None` when the text is outside the subset. Also
/// returns the 1-based lines of the `[root]` header (first, when present) and of each
/// `[[package]]` header, in order, found in the same pass.
pub fn parse_with_lines(text: &str) -> Option<(RawLockfile, Vec<u32>)> {
    let mut raw = RawLockfile::default();
    let mut root_line = None;
    let mut package_lines = Vec::new();
    let mut table = Table::Top;
    let mut seen_tables: HashSet<&str> = HashSet::new();
    let mut keys: HashSet<&str> = HashSet::new();
    let mut cur = RawPackage::default();
    let mut has = Has::default();
    let mut lines = text.split('\n').enumerate();

    while let Some((index, line)) = lines.next() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.contains('\r') {
            return None;
        }
        let t = line.trim_matches([' ', '\t']);
        if t.is_empty() {
            continue;
        }
        if let Some(comment) = t.strip_prefix('#') {
            if !plain_comment(comment) {
                return None; // control characters in comments are a TOML error
            }
            continue;
        }
        if t.starts_with('[') {
            finish(&mut raw, table, &mut cur, &mut has)?;
            keys.clear();
            table = match t {
                "[[package]]" => {
                    package_lines.push(index as u32 + 1);
                    Table::Package
                }
                "[[patch.unused]]" => Table::PatchUnused,
                "[root]" | "[metadata]" => {
                    if !seen_tables.insert(t) {
                        return None; // a table defined twice is a TOML error
                    }
                    if t == "[root]" {
                        root_line = Some(index as u32 + 1);
                        Table::Root
                    } else {
                        Table::Metadata
                    }
                }
                _ => return None,
            };
            continue;
        }
        if table == Table::Metadata {
            // `"checksum name version (source)" = "hash"`
            let rest = t.strip_prefix('"')?;
            let end = rest.find('"')?;
            let key = &rest[..end];
            if !plain_string(key) {
                return None;
            }
            let value = rest[end + 1..]
                .trim_start_matches([' ', '\t'])
                .strip_prefix('=')?;
            string_value(value.trim_matches([' ', '\t']))?;
            if !keys.insert(key) {
                return None;
            }
            raw.metadata += 1;
            continue;
        }
        let (key, value) = t.split_once('=')?;
        let key = key.trim_matches([' ', '\t']);
        let value = value.trim_matches([' ', '\t']);
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        if !keys.insert(key) {
            return None;
        }
        match table {
            Table::Top => {
                if key != "version" || raw.version.is_some() {
                    return None;
                }
                if value.is_empty() || value.len() > 9 || !value.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                if value.len() > 1 && value.starts_with('0') {
                    return None; // leading zeros are invalid TOML
                }
                raw.version = Some(value.parse().ok()?);
            }
            Table::Package | Table::Root | Table::PatchUnused => {
                if key == "dependencies" {
                    cur.dependencies = string_array(value, &mut (&mut lines).map(|(_, l)| l))?;
                    continue;
                }
                let s = string_value(value)?.to_string();
                match key {
                    "name" => cur.name = s,
                    "version" => cur.version = s,
                    "source" => cur.source = Some(s),
                    "checksum" => cur.checksum = Some(s),
                    "replace" => cur.replace = Some(s),
                    _ => return None,
                }
                match key {
                    "name" => has.name = true,
                    "version" => has.version = true,
                    _ => {}
                }
            }
            Table::Metadata => unreachable!("handled above"),
        }
    }
    finish(&mut raw, table, &mut cur, &mut has)?;
    Some((raw, root_line.into_iter().chain(package_lines).collect()))
}

#[derive(Default)]
struct Has {
    name: bool,
    version: bool,
}

fn finish(raw: &mut RawLockfile, table: Table, cur: &mut RawPackage, has: &mut Has) -> Option<()> {
    let pkg = std::mem::take(cur);
    let complete = has.name && has.version;
    *has = Has::default();
    match table {
        Table::Package => {
            if !complete {
                return None; // let the toml path report the missing field
            }
            raw.package.push(pkg);
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

/// Is this the inside of a basic string with nothing that needs unescaping?
fn plain_string(s: &str) -> bool {
    !s.bytes()
        .any(|b| b == b'\\' || b == b'"' || (b < 0x20 && b != b'\t') || b == 0x7f)
}

fn plain_comment(s: &str) -> bool {
    !s.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

/// `"text"` → `text`, for escape-free basic strings.
fn string_value(v: &str) -> Option<&str> {
    let inner = v.strip_prefix('"')?.strip_suffix('"')?;
    if inner.starts_with("\"") || !plain_string(inner) {
        return None;
    }
    Some(inner)
}

/// A string array, on one line (`[]`, `["a", "b"]`) or cargo's multi-line form.
fn string_array<'a>(value: &str, lines: &mut impl Iterator<Item = &'a str>) -> Option<Vec<String>> {
    let inner = value.strip_prefix('[')?;
    if let Some(body) = inner.strip_suffix(']') {
        return items(body);
    }
    if !inner.trim_matches([' ', '\t']).is_empty() {
        return None;
    }
    let mut out = Vec::new();
    let mut expect_more = true;
    for line in lines.by_ref() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let t = line.trim_matches([' ', '\t']);
        if t == "]" {
            return Some(out);
        }
        if t.is_empty() || !expect_more {
            return None;
        }
        let (item, comma) = match t.strip_suffix(',') {
            Some(item) => (item.trim_end_matches([' ', '\t']), true),
            None => (t, false),
        };
        out.push(string_value(item)?.to_string());
        expect_more = comma;
    }
    None
}

fn items(body: &str) -> Option<Vec<String>> {
    let body = body.trim_matches([' ', '\t']);
    if body.is_empty() {
        return Some(Vec::new());
    }
    let body = body.strip_suffix(',').unwrap_or(body);
    body.split(',')
        .map(|item| string_value(item.trim_matches([' ', '\t'])).map(str::to_string))
        .collect()
}
