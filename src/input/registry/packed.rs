//! The registry digest's compact forms of an index entry and of a published-version
//! list: plain bytes (LEB128 numbers, length-prefixed texts, a flag byte per item) with
//! versions and requirements as numbers, so decoding one is a walk over its bytes — no
//! text to parse, no serde layer. A warm audit decodes hundreds of entries (the
//! remediation search looks at every newer release of a dependent); through postcard
//! and `semver`'s parser each cost ~6,000 instructions, this way ~1,500.
//!
//! ```text
//! entry      yanked u8 | deps n | n × dep
//! dep        flags u8 (bits 0-1 kind: 0 normal, 1 build, 2 dev; 2 optional;
//!            3 has target; 4 requirement as text) | package text | [target text]
//!            | requirement: text, or comparators n | n × comparator
//! comparator flags u8 (bits 0-3 operator, see OPS; 4 has minor; 5 has patch;
//!            6 has pre-release) | major n | [minor n] | [patch n] | [pre-release text]
//! published  versions n | n × (flags u8 (0 yanked; 1 has pre-release; 2 has build)
//!            | major n | minor n | patch n | [pre-release text] | [build text])
//! n          an unsigned LEB128 number; text: its length n, then UTF-8
//! ```
//!
//! Decoding checks every length and reads the bytes exactly; anything else is `None`
//! (the caller then reads cargo's file again).

use super::{DepKind, IndexDep};
use semver::{BuildMetadata, Comparator, Op, Prerelease, Version, VersionReq};

/// The operators in the order the comparator flags number them.
const OPS: [Op; 8] = [
    Op::Exact,
    Op::Greater,
    Op::GreaterEq,
    Op::Less,
    Op::LessEq,
    Op::Tilde,
    Op::Caret,
    Op::Wildcard,
];

struct Writer(Vec<u8>);

impl Writer {
    fn num(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    fn text(&mut self, s: &str) {
        self.num(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn num(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn text(&mut self) -> Option<&'a str> {
        let len = usize::try_from(self.num()?).ok()?;
        if len > self.0.len() {
            return None;
        }
        let (s, rest) = self.0.split_at(len);
        self.0 = rest;
        std::str::from_utf8(s).ok()
    }

    /// A count of items of at least `min` bytes each, bounded by what is left (a damaged
    /// count never reserves more than the bytes could hold).
    fn count(&mut self, min: usize) -> Option<usize> {
        let n = usize::try_from(self.num()?).ok()?;
        (n <= self.0.len() / min).then_some(n)
    }
}

fn prerelease(text: &str) -> Option<Prerelease> {
    if text.is_empty() {
        Some(Prerelease::EMPTY)
    } else {
        Prerelease::new(text).ok()
    }
}

/// The compact form of an entry's yanked flag and dependencies.
pub fn encode_entry(yanked: bool, deps: &[IndexDep]) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(8 + 24 * deps.len()));
    w.0.push(u8::from(yanked));
    w.num(deps.len() as u64);
    for d in deps {
        let comparators: Option<Vec<(u8, &Comparator)>> = d
            .req
            .comparators
            .iter()
            .map(|c| Some((OPS.iter().position(|o| *o == c.op)? as u8, c)))
            .collect();
        let kind = match d.kind {
            DepKind::Normal => 0,
            DepKind::Build => 1,
            DepKind::Dev => 2,
        };
        w.0.push(
            kind | u8::from(d.optional) << 2
                | u8::from(d.target.is_some()) << 3
                | u8::from(comparators.is_none()) << 4,
        );
        w.text(&d.package);
        if let Some(t) = &d.target {
            w.text(t);
        }
        match comparators {
            // An operator this build does not number: kept as text.
            None => w.text(&d.req.to_string()),
            Some(list) => {
                w.num(list.len() as u64);
                for (op, c) in list {
                    w.0.push(
                        op | u8::from(c.minor.is_some()) << 4
                            | u8::from(c.patch.is_some()) << 5
                            | u8::from(!c.pre.is_empty()) << 6,
                    );
                    w.num(c.major);
                    if let Some(m) = c.minor {
                        w.num(m);
                    }
                    if let Some(p) = c.patch {
                        w.num(p);
                    }
                    if !c.pre.is_empty() {
                        w.text(c.pre.as_str());
                    }
                }
            }
        }
    }
    w.0
}

/// The yanked flag of an encoded entry, without decoding the rest.
pub fn entry_yanked(bytes: &[u8]) -> Option<bool> {
    match bytes.first()? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

/// An encoded entry's yanked flag and dependencies, all built.
#[cfg(test)]
fn decode_entry(bytes: &[u8]) -> Option<(bool, Vec<IndexDep>)> {
    let (yanked, at) = index_entry(bytes)?;
    let deps = at.iter().map(|d| dep_at(bytes, d)).collect::<Option<_>>()?;
    Some((yanked, deps))
}

/// Where one dependency of an encoded entry starts, and its package name's bytes.
#[derive(Debug, Clone, Copy)]
pub struct DepAt {
    start: u32,
    name: (u32, u32),
}

impl DepAt {
    /// Its package name's bytes within the entry.
    pub fn name<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        bytes
            .get(self.name.0 as usize..self.name.1 as usize)
            .unwrap_or_default()
    }
}

/// Checks a whole encoded entry without building anything: its yanked flag and where
/// each dependency starts. One dependency is then built with [`dep_at`], so asking a
/// release what it requires of one crate allocates nothing for the others.
pub fn index_entry(bytes: &[u8]) -> Option<(bool, Vec<DepAt>)> {
    let mut r = Reader(bytes);
    let yanked = entry_yanked(bytes)?;
    r.byte()?;
    let n = r.count(3)?;
    let mut at = Vec::with_capacity(n);
    for _ in 0..n {
        let start = u32::try_from(bytes.len() - r.0.len()).ok()?;
        let (name, _) = dep(&mut r, bytes.len(), false)?;
        at.push(DepAt { start, name });
    }
    r.0.is_empty().then_some((yanked, at))
}

/// The dependency that starts at `at` (from [`index_entry`] of the same bytes).
pub fn dep_at(bytes: &[u8], at: &DepAt) -> Option<IndexDep> {
    let mut r = Reader(bytes.get(at.start as usize..)?);
    dep(&mut r, bytes.len(), true)?.1
}

/// Reads one dependency of a `total`-byte entry, checking every part; builds it only
/// when `build`. Also gives where its package name lies in the entry.
fn dep(r: &mut Reader<'_>, total: usize, build: bool) -> Option<((u32, u32), Option<IndexDep>)> {
    let flags = r.byte()?;
    let kind = match flags & 3 {
        0 => DepKind::Normal,
        1 => DepKind::Build,
        2 => DepKind::Dev,
        _ => return None,
    };
    let package = r.text()?;
    let end = u32::try_from(total - r.0.len()).ok()?;
    let name = (end - package.len() as u32, end);
    let target = if flags & 8 != 0 {
        Some(r.text()?)
    } else {
        None
    };
    let req = if flags & 16 != 0 {
        VersionReq::parse(r.text()?).ok()?
    } else {
        let m = r.count(2)?;
        let mut comparators = Vec::with_capacity(if build { m } else { 0 });
        for _ in 0..m {
            let f = r.byte()?;
            let op = *OPS.get(usize::from(f & 15))?;
            let major = r.num()?;
            let minor = if f & 16 != 0 { Some(r.num()?) } else { None };
            let patch = if f & 32 != 0 { Some(r.num()?) } else { None };
            let pre = if f & 64 != 0 {
                prerelease(r.text()?).filter(|p| !p.is_empty())?
            } else {
                Prerelease::EMPTY
            };
            if build {
                comparators.push(Comparator {
                    op,
                    major,
                    minor,
                    patch,
                    pre,
                });
            }
        }
        VersionReq { comparators }
    };
    let built = build.then(|| IndexDep {
        package: package.to_string(),
        req,
        kind,
        optional: flags & 4 != 0,
        target: target.map(str::to_string),
    });
    Some((name, built))
}

/// The compact form of a published list.
pub fn encode_published(list: &[(Version, bool)]) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(4 + 5 * list.len()));
    w.num(list.len() as u64);
    for (v, yanked) in list {
        w.0.push(
            u8::from(*yanked)
                | u8::from(!v.pre.is_empty()) << 1
                | u8::from(!v.build.is_empty()) << 2,
        );
        w.num(v.major);
        w.num(v.minor);
        w.num(v.patch);
        if !v.pre.is_empty() {
            w.text(v.pre.as_str());
        }
        if !v.build.is_empty() {
            w.text(v.build.as_str());
        }
    }
    w.0
}

/// An encoded published list, in stored order.
pub fn decode_published(bytes: &[u8]) -> Option<Vec<(Version, bool)>> {
    let mut r = Reader(bytes);
    let n = r.count(4)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let f = r.byte()?;
        if f > 7 {
            return None;
        }
        let (major, minor, patch) = (r.num()?, r.num()?, r.num()?);
        let pre = if f & 2 != 0 {
            prerelease(r.text()?).filter(|p| !p.is_empty())?
        } else {
            Prerelease::EMPTY
        };
        let build = if f & 4 != 0 {
            BuildMetadata::new(r.text()?)
                .ok()
                .filter(|b| !b.is_empty())?
        } else {
            BuildMetadata::EMPTY
        };
        out.push((
            Version {
                major,
                minor,
                patch,
                pre,
                build,
            },
            f & 1 != 0,
        ));
    }
    r.0.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(
        package: &str,
        req: &str,
        kind: DepKind,
        optional: bool,
        target: Option<&str>,
    ) -> IndexDep {
        IndexDep {
            package: package.into(),
            req: VersionReq::parse(req).unwrap(),
            kind,
            optional,
            target: target.map(str::to_string),
        }
    }

    #[test]
    fn entries_survive_their_compact_form() {
        let reqs = [
            "^1.2.3",
            "=0.4",
            ">1",
            ">=1.2, <2.0.0",
            "<=0.3.1",
            "~1.2",
            "1.*",
            "*",
            "^1.0.0-beta.2",
            ">=0.1.0-alpha, <0.2",
            "^300000000000.1",
        ];
        let deps: Vec<IndexDep> = reqs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let kind = [DepKind::Normal, DepKind::Build, DepKind::Dev][i % 3];
                let target = (i % 2 == 0).then_some("cfg(unix)");
                dep(&format!("crate-{i}"), r, kind, i % 4 == 1, target)
            })
            .collect();
        for yanked in [false, true] {
            let bytes = encode_entry(yanked, &deps);
            assert_eq!(entry_yanked(&bytes), Some(yanked));
            assert_eq!(decode_entry(&bytes), Some((yanked, deps.clone())));
            // One crate's requirements: exactly those the whole decoding holds for it.
            for name in ["crate-0", "crate-7", "crate-10", "absent"] {
                let on: Vec<IndexDep> =
                    deps.iter().filter(|d| d.package == name).cloned().collect();
                let (y, at) = index_entry(&bytes).unwrap();
                assert_eq!(y, yanked);
                let built: Vec<IndexDep> = at
                    .iter()
                    .filter(|d| d.name(&bytes) == name.as_bytes())
                    .map(|d| dep_at(&bytes, d).unwrap())
                    .collect();
                assert_eq!(built, on);
            }
        }
        assert_eq!(
            decode_entry(&encode_entry(false, &[])),
            Some((false, Vec::new()))
        );
    }

    #[test]
    fn published_lists_survive_their_compact_form() {
        let list: Vec<(Version, bool)> = [
            "0.0.0",
            "1.2.3",
            "1.0.0-alpha.1",
            "2.0.0+build.5",
            "3.1.4-rc.2+meta",
        ]
        .iter()
        .enumerate()
        .map(|(i, v)| (Version::parse(v).unwrap(), i % 2 == 1))
        .collect();
        assert_eq!(decode_published(&encode_published(&list)), Some(list));
    }

    #[test]
    fn every_damaged_form_is_refused_and_none_panics() {
        let deps = vec![dep(
            "serde",
            "^1.0.100-rc.1",
            DepKind::Build,
            true,
            Some("cfg(x)"),
        )];
        let entry = encode_entry(false, &deps);
        let list = encode_published(&[(Version::parse("1.0.0-pre+b").unwrap(), true)]);
        for (bytes, decode) in [
            (
                &entry,
                (|b: &[u8]| decode_entry(b).is_some()) as fn(&[u8]) -> bool,
            ),
            // Only indexed, a damaged entry is refused just the same.
            (&entry, |b: &[u8]| index_entry(b).is_some()),
            (&list, |b: &[u8]| decode_published(b).is_some()),
        ] {
            assert!(decode(bytes));
            // Cut short or with a byte too many: refused.
            for end in 0..bytes.len() {
                assert!(!decode(&bytes[..end]), "prefix of {end} bytes");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(!decode(&longer));
            // Any single byte changed: refused or decoded, never a panic.
            for i in 0..bytes.len() {
                for x in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                    let mut b = bytes.clone();
                    b[i] = x;
                    let _ = decode(&b);
                }
            }
        }
        // An operator number this build does not know, a count beyond the bytes.
        let mut bad_op = encode_entry(false, &[dep("a", "^1", DepKind::Normal, false, None)]);
        let at = bad_op.len() - 2; // comparator flags, then major
        bad_op[at] = 15;
        assert_eq!(decode_entry(&bad_op), None);
        assert_eq!(decode_published(&[0xff, 0xff, 0x03]), None);
    }
}
