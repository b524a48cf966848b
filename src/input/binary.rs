//! Compiled binaries as the audit sees them: the dependency list `cargo auditable`
//! embeds (zlib-compressed JSON in a `.dep-v0` section of an ELF, Mach-O or PE file, or
//! a custom section of a WebAssembly module) becomes the same [`Lockfile`] a
//! `Cargo.lock` does — packages, the resolved graph, and which packages are only
//! build-time dependencies — so findings, policy, paths, formats and exit codes are the
//! lockfile's. The section is found and inflated by cargo auditable's own readers
//! (`auditable-info`, with its size limit against decompression bombs) and the JSON
//! checked by `auditable-serde`; nothing here parses a binary format by hand.
//!
//! Without embedded data, the crate versions the binary itself reveals (paths of
//! registry sources in panic messages, read by `quitters`, or the paths a distribution's
//! build leaves under `/usr/share/cargo/registry`) stand in, and the result is
//! marked incomplete: a subset of what was built in, never a clean bill.
//!
//! The platform (format, OS family, architecture) comes from the header, so advisories
//! for other platforms can be dropped. Nothing in an audited file is ever run.

use super::lockfile::{DepGraph, Lockfile, MAX_PACKAGES, Package};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Binaries larger than this are refused (a release binary is rarely over 100 MB; the
/// whole file is read, as the fallback scans all of it).
pub const MAX_BINARY_BYTES: u64 = 512 * 1024 * 1024;
/// The embedded dependency list may not inflate to more than this (cargo auditable's
/// own default): a section that does is refused as soon as the limit is reached.
pub const MAX_AUDIT_DATA_BYTES: usize = 8 * 1024 * 1024;
/// How many leading bytes tell a binary from any other file.
pub const SNIFF_BYTES: usize = 64;

/// The source cargo writes for crates.io, given to the packages the data says come
/// from there (others have none: only crates.io packages are matched, as for lockfiles).
const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// A binary's container format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryFormat {
    /// ELF (Linux and the other Unix-likes).
    Elf,
    /// Mach-O (Apple's systems), thin or universal.
    MachO,
    /// PE (Windows).
    Pe,
    /// A WebAssembly module.
    Wasm,
}

impl BinaryFormat {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryFormat::Elf => "elf",
            BinaryFormat::MachO => "macho",
            BinaryFormat::Pe => "pe",
            BinaryFormat::Wasm => "wasm",
        }
    }

    /// The OS family the format runs on, as reports name it.
    pub fn os_family(self) -> &'static str {
        match self {
            BinaryFormat::Elf => "unix",
            BinaryFormat::MachO => "apple",
            BinaryFormat::Pe => "windows",
            BinaryFormat::Wasm => "none",
        }
    }
}

/// Where the package list came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// `cargo auditable`'s embedded dependency list: every package and edge.
    Embedded,
    /// Crate versions named in the binary's panic messages: a subset, without edges.
    PanicMessages,
    /// Neither: nothing to audit (`bin` says so as an error; a scan lists it).
    None,
}

impl DataSource {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            DataSource::Embedded => "embedded",
            DataSource::PanicMessages => "panic-messages",
            DataSource::None => "none",
        }
    }
}

/// What a binary says about itself, as reports show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinaryInfo {
    /// Container format.
    pub format: BinaryFormat,
    /// The OS family the format means (`unix`, `apple`, `windows`, `none`).
    pub os: &'static str,
    /// Architecture from the header, in Rust's `target_arch` names, when known.
    pub arch: Option<&'static str>,
    /// Where the package list came from.
    pub data: DataSource,
    /// Is the package list the whole dependency graph (embedded data)?
    pub complete: bool,
    /// The root package (`name version`), when the data names one.
    pub root: Option<String>,
    /// The embedded data's format revision (0, 1 or 8), when embedded.
    pub format_revision: Option<u32>,
}

impl BinaryInfo {
    /// As reports write it (keys sorted).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "format": self.format.as_str(),
            "os": self.os,
            "arch": self.arch,
            "data": self.data.as_str(),
            "complete": self.complete,
            "root": self.root,
            "format_revision": self.format_revision,
        })
    }

    /// One line for people: what the binary is and how complete its list is.
    pub fn describe(&self, packages: usize) -> String {
        let arch = self.arch.map(|a| format!(" {a}")).unwrap_or_default();
        let head = format!(
            "{}{arch} binary ({})",
            self.format
                .as_str()
                .to_uppercase()
                .replace("MACHO", "Mach-O"),
            self.os
        );
        match self.data {
            DataSource::Embedded => format!(
                "{head}: embedded dependency list of {packages} {}",
                crate::words::plural(packages, "package", "packages")
            ),
            DataSource::PanicMessages => format!(
                "{head}: INCOMPLETE: no embedded dependency list (not built with cargo auditable); the {packages} crate {} recovered from its panic messages are a subset of what it contains, so no finding here does not mean none there",
                crate::words::plural(packages, "version", "versions")
            ),
            DataSource::None => format!("{head}: {NO_DATA}"),
        }
    }
}

/// What a binary without any dependency information is said to be.
pub const NO_DATA: &str = "no dependency information: no embedded dependency list (not built with cargo auditable) and no crate versions in its panic messages (stripped, or not a Rust binary?), so nothing could be checked";

/// A binary read as a lockfile.
#[derive(Debug, Clone)]
pub struct Binary {
    /// Its packages and graph, as a lockfile's.
    pub lock: Lockfile,
    /// What it says about itself.
    pub info: BinaryInfo,
}

/// Why a binary could not be audited.
#[derive(Debug, thiserror::Error)]
pub enum BinaryError {
    /// The file could not be read.
    #[error("failed to read {}: {source}", crate::pathtext::display(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not an auditable binary.
    #[error("{}: {reason}", crate::pathtext::display(path))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Tells a binary from other files by its first bytes ([`SNIFF_BYTES`] are enough):
/// ELF, Mach-O (thin or universal, not a Java class file), PE (`MZ` with a plausible
/// header offset) or WebAssembly.
pub fn sniff(prefix: &[u8]) -> Option<BinaryFormat> {
    let at = |i: usize| prefix.get(i..i + 4).map(|b| [b[0], b[1], b[2], b[3]]);
    let magic = at(0)?;
    match magic {
        [0x7f, b'E', b'L', b'F'] => Some(BinaryFormat::Elf),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe] => {
            Some(BinaryFormat::MachO)
        }
        // Universal binaries share their magic with Java class files, whose next word
        // is a version (45 and up); a universal binary's is its count of architectures.
        [0xca, 0xfe, 0xba, 0xbe] => at(4)
            .filter(|n| u32::from_be_bytes(*n) < 45 && u32::from_be_bytes(*n) > 0)
            .map(|_| BinaryFormat::MachO),
        [0, b'a', b's', b'm'] => Some(BinaryFormat::Wasm),
        [b'M', b'Z', _, _] => {
            // The PE header's offset, past the DOS header and inside a sane file.
            let offset = u32::from_le_bytes(at(0x3c)?);
            (0x40..64 * 1024 * 1024)
                .contains(&offset)
                .then_some(BinaryFormat::Pe)
        }
        _ => None,
    }
}

/// Reads the first bytes of the regular file at `path` (without following it into a
/// FIFO or device: the caller has checked the type).
pub fn sniff_file(path: &Path) -> std::io::Result<Option<BinaryFormat>> {
    use std::io::Read;
    let mut buf = [0u8; SNIFF_BYTES];
    let mut f = std::fs::File::open(path)?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(sniff(&buf[..n]))
}

/// Reads and parses the binary at `path`.
pub fn load(path: &Path) -> Result<Binary, BinaryError> {
    let bytes = read_bounded(path)?;
    parse_bytes(&bytes).map_err(|reason| BinaryError::Invalid {
        path: path.to_path_buf(),
        reason,
    })
}

/// Whether each Rust path (`vuln::bad`, `vuln::Parser::parse`) has a symbol in the
/// binary, matched on its last two segments as both manglings write them (`4vuln3bad`,
/// `6Parser5parse`); `None` when the binary has no symbol table to tell (stripped, or
/// not an object file). Absence is evidence, not proof: a function may be inlined.
pub fn symbols_present(path: &Path, paths: &[String]) -> Option<Vec<bool>> {
    use object::{Object, ObjectSymbol};
    let bytes = read_bounded(path).ok()?;
    let file = object::File::parse(&*bytes).ok()?;
    let patterns: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| {
            let segs: Vec<String> = p.split("::").map(|s| s.replace('-', "_")).collect();
            segs[segs.len().saturating_sub(2)..]
                .iter()
                .map(|s| format!("{}{s}", s.len()))
                .collect::<String>()
                .into_bytes()
        })
        .collect();
    // A symbol table says something only when it names what the binary defines (a
    // stripped binary keeps only its dynamic imports, which are not its own code).
    let any = file
        .symbols()
        .any(|s| s.is_definition() && s.name_bytes().is_ok_and(|n| !n.is_empty()));
    if !any {
        return None;
    }
    // The names sit together in the string tables: one search each over the bytes of
    // every symbol name is the same as searching the names one by one, only faster.
    let finders: Vec<memchr::memmem::Finder> =
        patterns.iter().map(memchr::memmem::Finder::new).collect();
    // ELF keeps every name in `.strtab` / `.dynstr`: search those bytes whole.
    let tables: Vec<&[u8]> = [".strtab", ".dynstr"]
        .iter()
        .filter_map(|n| {
            use object::ObjectSection;
            file.section_by_name(n)?.data().ok()
        })
        .collect();
    if !tables.is_empty() {
        return Some(
            finders
                .iter()
                .map(|f| tables.iter().any(|t| f.find(t).is_some()))
                .collect(),
        );
    }
    let mut found = vec![false; paths.len()];
    for sym in file.symbols().chain(file.dynamic_symbols()) {
        let Ok(name) = sym.name_bytes() else { continue };
        if name.len() < 4 {
            continue;
        }
        for (i, f) in finders.iter().enumerate() {
            if !found[i] && f.find(name).is_some() {
                found[i] = true;
            }
        }
        if found.iter().all(|&f| f) {
            break;
        }
    }
    Some(found)
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, BinaryError> {
    use std::io::Read;
    let io = |source| BinaryError::Io {
        path: path.to_path_buf(),
        source,
    };
    let invalid = |reason: &str| BinaryError::Invalid {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(invalid("it is a folder, not a binary"));
    }
    if !meta.is_file() {
        return Err(invalid("not a regular file"));
    }
    let too_large = || {
        invalid(&format!(
            "larger than {} MiB, not read",
            MAX_BINARY_BYTES / (1024 * 1024)
        ))
    };
    if meta.len() > MAX_BINARY_BYTES {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_BINARY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_BINARY_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Parses a binary's bytes; the error is a one-line reason.
pub fn parse_bytes(bytes: &[u8]) -> Result<Binary, String> {
    let Some(format) = sniff(bytes) else {
        return Err("not an executable (no ELF, Mach-O, PE or WebAssembly header)".into());
    };
    let arch = architecture(bytes, format);
    let base = |data, complete| BinaryInfo {
        format,
        os: format.os_family(),
        arch,
        data,
        complete,
        root: None,
        format_revision: None,
    };
    use auditable_info::Error as E;
    match auditable_info::audit_info_from_slice(bytes, MAX_AUDIT_DATA_BYTES) {
        Ok(info) => {
            let (lock, root) = from_version_info(&info)?;
            Ok(Binary {
                lock,
                info: BinaryInfo {
                    root,
                    format_revision: Some(info.format),
                    ..base(DataSource::Embedded, true)
                },
            })
        }
        Err(E::NoAuditData) => Ok(match from_panic_messages(bytes) {
            Some(lock) => Binary {
                lock,
                info: base(DataSource::PanicMessages, false),
            },
            None => Binary {
                lock: Lockfile {
                    version: 0,
                    packages: Vec::new(),
                    graph: DepGraph::default(),
                    build_only: Vec::new(),
                },
                info: base(DataSource::None, false),
            },
        }),
        Err(E::OutputLimitExceeded) => Err(format!(
            "the embedded dependency list inflates to more than {} MiB; refused (a decompression bomb?)",
            MAX_AUDIT_DATA_BYTES / (1024 * 1024)
        )),
        Err(E::BinaryParsing(e)) => Err(match e {
            auditable_extract::Error::UnexpectedEof => {
                "truncated: the file ends before its headers or sections do".to_string()
            }
            auditable_extract::Error::NotAnExecutable => {
                "not an executable (no ELF, Mach-O, PE or WebAssembly header)".to_string()
            }
            other => format!("malformed {} file: {other}", format.as_str()),
        }),
        Err(E::Decompression(e)) => Err(format!(
            "the embedded dependency list is damaged (zlib: {e})"
        )),
        Err(E::Json(e)) => Err(format!(
            "the embedded dependency list is not cargo auditable's format: {}",
            one_line(&e.to_string())
        )),
        Err(E::Utf8(_)) => Err("the embedded dependency list is not UTF-8 text".into()),
        Err(other) => Err(one_line(&other.to_string())),
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// The architecture the header names, in Rust's `target_arch` names.
fn architecture(bytes: &[u8], format: BinaryFormat) -> Option<&'static str> {
    use object::{Architecture as A, Object};
    if format == BinaryFormat::Wasm {
        return Some("wasm32");
    }
    let arch = match object::File::parse(bytes) {
        Ok(f) => f.architecture(),
        // A universal Mach-O holds several; none is "the" architecture.
        Err(_) => return None,
    };
    Some(match arch {
        A::X86_64 | A::X86_64_X32 => "x86_64",
        A::I386 => "x86",
        A::Aarch64 | A::Aarch64_Ilp32 => "aarch64",
        A::Arm => "arm",
        A::Mips => "mips",
        A::Mips64 => "mips64",
        A::PowerPc => "powerpc",
        A::PowerPc64 => "powerpc64",
        A::Riscv32 => "riscv32",
        A::Riscv64 => "riscv64",
        A::S390x => "s390x",
        A::Sparc64 => "sparc64",
        A::LoongArch64 => "loongarch64",
        A::Wasm32 => "wasm32",
        A::Wasm64 => "wasm64",
        _ => return None,
    })
}

/// The embedded list as a lockfile: every package (crates.io ones with crates.io's
/// source), the edges by index, and which packages are build-time only.
fn from_version_info(
    info: &auditable_serde::VersionInfo,
) -> Result<(Lockfile, Option<String>), String> {
    let n = info.packages.len();
    if n == 0 {
        return Err("the embedded dependency list names no packages".into());
    }
    if n > MAX_PACKAGES {
        return Err(format!(
            "the embedded dependency list names {n} packages, more than the {MAX_PACKAGES} allowed"
        ));
    }
    let crates_io: Arc<str> = Arc::from(CRATES_IO);
    let mut packages = Vec::with_capacity(n);
    let mut deps: Vec<Vec<u32>> = Vec::with_capacity(n);
    let mut build_only = Vec::with_capacity(n);
    let mut root = None;
    for p in &info.packages {
        check_name(&p.name)?;
        let mut ds: Vec<u32> = Vec::with_capacity(p.dependencies.len());
        for &d in &p.dependencies {
            if d >= n {
                return Err(format!(
                    "the embedded dependency list is inconsistent: `{}` depends on package #{d} of {n}",
                    p.name
                ));
            }
            if !ds.contains(&(d as u32)) {
                ds.push(d as u32);
            }
        }
        let package = Package {
            name: p.name.clone(),
            version: p.version.clone(),
            source: matches!(p.source, auditable_serde::Source::CratesIo)
                .then(|| crates_io.clone()),
            line: 0,
        };
        if p.root {
            root = Some(package.label());
        }
        packages.push(package);
        deps.push(ds);
        build_only.push(p.kind == auditable_serde::DependencyKind::Build);
    }
    let mut rdeps: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for &j in ds {
            rdeps[j as usize].push(i as u32);
        }
    }
    let lock = Lockfile {
        version: 0,
        packages,
        graph: DepGraph {
            deps,
            rdeps,
            unresolved: Vec::new(),
        },
        build_only,
    };
    Ok((lock, root))
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the embedded dependency list has a package with an empty name".into());
    }
    if name.chars().any(char::is_control) || name.len() > 256 {
        return Err(format!(
            "the embedded dependency list has an invalid package name `{}`",
            name.chars().take(64).collect::<String>().escape_debug()
        ));
    }
    Ok(())
}

/// The crate versions named in panic messages, as a lockfile without edges (every one
/// from crates.io: only registry sources leave such paths).
fn from_panic_messages(bytes: &[u8]) -> Option<Lockfile> {
    let mut found: std::collections::BTreeSet<(&str, semver::Version)> = quitters::versions(bytes);
    if found.is_empty() {
        found = distribution_paths(bytes);
    }
    if found.is_empty() {
        return None;
    }
    let crates_io: Arc<str> = Arc::from(CRATES_IO);
    let packages: Vec<Package> = found
        .into_iter()
        .take(MAX_PACKAGES)
        .map(|(name, version)| Package {
            name: name.to_string(),
            version,
            source: Some(crates_io.clone()),
            line: 0,
        })
        .collect();
    let n = packages.len();
    Some(Lockfile {
        version: 0,
        packages,
        graph: DepGraph {
            deps: vec![Vec::new(); n],
            rdeps: vec![Vec::new(); n],
            unresolved: Vec::new(),
        },
        build_only: Vec::new(),
    })
}

/// Where Debian (and distributions that follow it) unpack crates.io sources to build
/// their packages: panic messages name `/usr/share/cargo/registry/NAME-VERSION/…`, a
/// layout the panic-message reader above does not know.
const DISTRIBUTION_REGISTRY: &[u8] = b"/usr/share/cargo/registry/";

/// The crate versions named by paths under [`DISTRIBUTION_REGISTRY`].
fn distribution_paths(bytes: &[u8]) -> std::collections::BTreeSet<(&str, semver::Version)> {
    let mut out = std::collections::BTreeSet::new();
    for at in memchr::memmem::find_iter(bytes, DISTRIBUTION_REGISTRY) {
        let rest = &bytes[at + DISTRIBUTION_REGISTRY.len()..];
        let rest = &rest[..rest.len().min(128)];
        let Some(end) = memchr::memchr(b'/', rest) else {
            continue;
        };
        let Ok(segment) = std::str::from_utf8(&rest[..end]) else {
            continue;
        };
        // NAME-VERSION: the version starts after the first `-` that a digit follows and
        // from which the rest is a version (crate names hold no `.`).
        let split = segment.char_indices().find_map(|(i, c)| {
            let version = segment.get(i + 1..)?;
            (c == '-' && version.starts_with(|d: char| d.is_ascii_digit()))
                .then(|| {
                    semver::Version::parse(version)
                        .ok()
                        .map(|v| (&segment[..i], v))
                })
                .flatten()
        });
        if let Some((name, version)) = split
            && !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            out.insert((name, version));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_tell_binaries_from_other_files() {
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01"), Some(BinaryFormat::Elf));
        assert_eq!(sniff(b"\xcf\xfa\xed\xfe...."), Some(BinaryFormat::MachO));
        assert_eq!(sniff(b"\0asm\x01\0\0\0"), Some(BinaryFormat::Wasm));
        // A Java class file (version 52) is not a universal binary; 2 architectures are.
        assert_eq!(sniff(b"\xca\xfe\xba\xbe\0\0\0\x34"), None);
        assert_eq!(
            sniff(b"\xca\xfe\xba\xbe\0\0\0\x02"),
            Some(BinaryFormat::MachO)
        );
        let mut pe = vec![0u8; 64];
        pe[..2].copy_from_slice(b"MZ");
        assert_eq!(sniff(&pe), None, "no PE header offset");
        pe[0x3c] = 0x80;
        assert_eq!(sniff(&pe), Some(BinaryFormat::Pe));
        assert_eq!(sniff(b"#!/bin/sh\nexec rm -rf /\n"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"\x7fEL"), None);
    }

    #[test]
    fn panic_message_paths_are_a_partial_list() {
        let mut bytes = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
        bytes.extend_from_slice(b"/home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/smallvec-1.6.0/src/lib.rs\0");
        let lock = from_panic_messages(&bytes).unwrap();
        assert_eq!(lock.packages.len(), 1);
        assert_eq!(lock.packages[0].label(), "smallvec 1.6.0");
        // A distribution's build: its own path to the unpacked crates.
        let debian = b"\x7fELF/usr/share/cargo/registry/grep-searcher-0.1.10/src/lines.rs\0/usr/share/cargo/registry/regex-1.5.4/src/re.rs /usr/share/cargo/registry/bad-x.y/";
        let lock = from_panic_messages(debian).unwrap();
        let labels: Vec<String> = lock.packages.iter().map(|p| p.label()).collect();
        assert_eq!(labels, ["grep-searcher 0.1.10", "regex 1.5.4"]);
    }
}
