//! `bin` and `scan --binaries`: compiled binaries built here, in every format the
//! readers know (ELF, Mach-O and PE written with the `object` crate, a WebAssembly module
//! by hand), with cargo auditable's `.dep-v0` section, without it (panic-message paths
//! only), stripped of both, truncated, with a decompression bomb, with JSON of another
//! shape; and a hostile tree for a scan.

use crate::common::*;
use crate::robustness::support::{RawRun, assert_clean, capped, run_bounded};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The section cargo auditable writes.
const SECTION: &[u8] = b".dep-v0";

/// One package of the embedded list: (name, version, source, kind, dependencies, root).
type Pkg<'a> = (&'a str, &'a str, &'a str, &'a str, &'a [usize], bool);

/// The embedded JSON for `packages`.
pub fn dep_json(packages: &[Pkg]) -> Vec<u8> {
    let list: Vec<Value> = packages
        .iter()
        .map(|(name, version, source, kind, deps, root)| {
            json!({"name": name, "version": version, "source": source, "kind": kind,
                   "dependencies": deps, "root": root})
        })
        .collect();
    serde_json::to_vec(&json!({ "packages": list })).unwrap()
}

pub fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The demo binary's list: `app` → vulncrate 1.1.0 (two advisories), wincrate (a
/// Windows-only advisory), unsoundcrate, and a build tool whose dependency precrate is
/// vulnerable but build-time only.
pub fn demo_packages() -> Vec<u8> {
    dep_json(&[
        ("app", "0.1.0", "local", "runtime", &[1, 2, 3, 4], true),
        ("vulncrate", "1.1.0", "crates.io", "runtime", &[], false),
        ("wincrate", "1.0.0", "crates.io", "runtime", &[], false),
        ("unsoundcrate", "0.2.0", "crates.io", "runtime", &[], false),
        ("buildtool", "1.0.0", "local", "build", &[5], false),
        ("precrate", "2.0.0-beta.1", "crates.io", "build", &[], false),
    ])
}

/// Text that panic messages of a binary built from crates.io sources hold.
pub fn panic_paths(crates: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in crates {
        out.extend_from_slice(
            format!("/home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/{c}/src/lib.rs\0attempt to add with overflow\0").as_bytes(),
        );
    }
    out
}

/// An object file in `format` holding `section` (if any) as `.dep-v0` and `rodata`.
fn object_file(
    format: object::BinaryFormat,
    arch: object::Architecture,
    section: Option<&[u8]>,
    rodata: &[u8],
) -> Vec<u8> {
    use object::write::Object;
    let mut obj = Object::new(format, arch, object::Endianness::Little);
    let segment = match format {
        object::BinaryFormat::MachO => b"__DATA".to_vec(),
        _ => Vec::new(),
    };
    if let Some(data) = section {
        let id = obj.add_section(
            segment.clone(),
            SECTION.to_vec(),
            object::SectionKind::ReadOnlyData,
        );
        obj.append_section_data(id, data, 1);
    }
    if !rodata.is_empty() {
        let name = match format {
            object::BinaryFormat::MachO => b"__const".to_vec(),
            _ => b".rodata".to_vec(),
        };
        let seg = match format {
            object::BinaryFormat::MachO => b"__TEXT".to_vec(),
            _ => Vec::new(),
        };
        let id = obj.add_section(seg, name, object::SectionKind::ReadOnlyData);
        obj.append_section_data(id, rodata, 1);
    }
    obj.write().unwrap()
}

pub fn elf(section: Option<&[u8]>, rodata: &[u8]) -> Vec<u8> {
    object_file(
        object::BinaryFormat::Elf,
        object::Architecture::X86_64,
        section,
        rodata,
    )
}

pub fn macho(section: Option<&[u8]>) -> Vec<u8> {
    object_file(
        object::BinaryFormat::MachO,
        object::Architecture::Aarch64,
        section,
        b"",
    )
}

/// A PE image (64-bit, x86_64) with one `.dep-v0` section.
pub fn pe(section: &[u8]) -> Vec<u8> {
    use object::pe;
    use object::write::pe::{NtHeaders, Writer};
    let mut buf = Vec::new();
    let mut w = Writer::new(true, 0x1000, 0x200, &mut buf);
    w.reserve_dos_header_and_stub();
    w.reserve_nt_headers(16);
    w.reserve_section_headers(1);
    let len = section.len() as u32;
    let range = w.reserve_section(
        *b".dep-v0\0",
        pe::IMAGE_SCN_CNT_INITIALIZED_DATA | pe::IMAGE_SCN_MEM_READ,
        len,
        len,
    );
    w.write_dos_header_and_stub().unwrap();
    w.write_nt_headers(NtHeaders {
        machine: pe::IMAGE_FILE_MACHINE_AMD64,
        time_date_stamp: 0,
        characteristics: pe::IMAGE_FILE_EXECUTABLE_IMAGE | pe::IMAGE_FILE_LARGE_ADDRESS_AWARE,
        major_linker_version: 14,
        minor_linker_version: 0,
        address_of_entry_point: 0,
        image_base: 0x1_4000_0000,
        major_operating_system_version: 6,
        minor_operating_system_version: 0,
        major_image_version: 0,
        minor_image_version: 0,
        major_subsystem_version: 6,
        minor_subsystem_version: 0,
        subsystem: pe::IMAGE_SUBSYSTEM_WINDOWS_CUI,
        dll_characteristics: 0,
        size_of_stack_reserve: 0x10_0000,
        size_of_stack_commit: 0x1000,
        size_of_heap_reserve: 0x10_0000,
        size_of_heap_commit: 0x1000,
    });
    w.write_section_headers();
    w.write_section(range.file_offset, section);
    buf
}

fn leb(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A WebAssembly module with one custom section `.dep-v0`.
pub fn wasm(section: &[u8]) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    let mut body = Vec::new();
    leb(SECTION.len(), &mut body);
    body.extend_from_slice(SECTION);
    body.extend_from_slice(section);
    out.push(0);
    leb(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}

/// A zlib stream that inflates to `mib` MiB of zeros, made without compressing them all:
/// after a sync flush every further MiB of zeros compresses to the same bytes.
pub fn zlib_bomb(mib: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let zeros = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), true);
    let chunk = |c: &mut Compress| {
        let mut out = Vec::with_capacity(1 << 16);
        let before = c.total_in();
        let mut fed = 0;
        while fed < zeros.len() {
            out.reserve(1 << 16);
            c.compress_vec(&zeros[fed..], &mut out, FlushCompress::None)
                .unwrap();
            fed = (c.total_in() - before) as usize;
        }
        loop {
            out.reserve(1 << 16);
            let n = out.len();
            c.compress_vec(&[], &mut out, FlushCompress::Sync).unwrap();
            if out.len() == n || out.len() < out.capacity() {
                break;
            }
        }
        out
    };
    let first = chunk(&mut c);
    let second = chunk(&mut c);
    let third = chunk(&mut c);
    assert_eq!(second, third, "a steady chunk");
    let mut out = first;
    for _ in 1..mib {
        out.extend_from_slice(&second);
    }
    // A final empty fixed-Huffman block, then the Adler-32 of `mib` MiB of zeros.
    out.extend_from_slice(&[0x03, 0x00]);
    let b = ((mib as u64) << 20) % 65521;
    out.extend_from_slice(&(((b << 16) | 1) as u32).to_be_bytes());
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

fn bin_json(file: &Path, extra: &[&str]) -> Run {
    let db = fixture_db();
    let mut args = vec!["bin", s(file), "--db", s(&db), "-n", "--json"];
    args.extend_from_slice(extra);
    run(&args)
}

fn ids(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["advisory"]["id"].as_str().unwrap_or("yanked"),
                f["package"]["name"].as_str().unwrap()
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn embedded_data_in_every_format_is_audited_like_a_lockfile() {
    let tmp = tempfile::tempdir().unwrap();
    let data = zlib(&demo_packages());
    let common = [
        "RUSTSEC-2099-0001 vulncrate",
        "RUSTSEC-2099-0002 vulncrate",
        "RUSTSEC-2099-0004 unsoundcrate",
        "RUSTSEC-2099-0007 precrate",
    ];
    let cases: [(&str, Vec<u8>, &str, &str, bool); 4] = [
        ("app-elf", elf(Some(&data), b""), "elf", "x86_64", false),
        ("app-macho", macho(Some(&data)), "macho", "aarch64", false),
        ("app.exe", pe(&data), "pe", "x86_64", true),
        ("app.wasm", wasm(&data), "wasm", "wasm32", false),
    ];
    for (name, bytes, format, arch, windows) in cases {
        let file = write(tmp.path(), name, &bytes);
        let r = bin_json(&file, &[]);
        assert_eq!(r.code, 1, "{name}: {}", r.stderr);
        let v = r.json();
        assert_eq!(v["binary"]["format"], format, "{name}");
        assert_eq!(v["binary"]["arch"], arch, "{name}");
        assert_eq!(v["binary"]["complete"], true, "{name}");
        assert_eq!(v["binary"]["data"], "embedded", "{name}");
        assert_eq!(v["binary"]["root"], "app 0.1.0", "{name}");
        // The Windows-only advisory only for the PE.
        let mut want: Vec<String> = common.iter().map(|s| s.to_string()).collect();
        if windows {
            want.push("RUSTSEC-2099-0006 wincrate".into());
            want.sort();
        }
        assert_eq!(ids(&v), want, "{name}");
        // Paths from the embedded graph, with the build step marked.
        let f = |id: &str| {
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["advisory"]["id"] == id)
                .unwrap()
                .clone()
        };
        let vuln = f("RUSTSEC-2099-0001");
        assert_eq!(vuln["paths"], json!([["app 0.1.0", "vulncrate 1.1.0"]]));
        assert_eq!(vuln["remediation"]["outcome"], "rebuild");
        assert_eq!(
            vuln["remediation"]["command"],
            "rebuild with vulncrate >= 1.2.0"
        );
        assert_eq!(
            f("RUSTSEC-2099-0002")["remediation"]["command"],
            "rebuild with vulncrate >= 1.1.5"
        );
        let build = f("RUSTSEC-2099-0007");
        assert_eq!(build["build_only"], true);
        assert_eq!(
            build["paths"],
            json!([["app 0.1.0", "buildtool 1.0.0", "precrate 2.0.0-beta.1"]])
        );
        assert_eq!(build["path_kinds"][0][0]["kinds"], json!(["build"]));
        assert!(vuln.get("build_only").is_none());
        // The build-only vulnerability is reported, not denied.
        assert_eq!(
            v["summary"]["denied"],
            if windows { 3 } else { 2 },
            "{name}"
        );
    }
}

#[test]
fn build_only_findings_fail_only_when_asked_and_every_format_says_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let data = zlib(&dep_json(&[
        ("tool", "1.0.0", "local", "runtime", &[1], true),
        ("macro", "1.0.0", "crates.io", "build", &[2], false),
        ("vulncrate", "1.1.0", "crates.io", "build", &[], false),
    ]));
    let file = write(tmp.path(), "tool", &elf(Some(&data), b""));
    let r = bin_json(&file, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["summary"]["vulnerabilities"], 2);
    let r = bin_json(&file, &["--deny-build-deps"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let db = fixture_db();
    for (format, needle) in [
        ("table", "embedded dependency list of 3 packages"),
        ("markdown", "Binary: ELF x86_64 binary"),
        ("sarif", "\"complete\": true"),
        ("jsonl", "\"binary\":{"),
    ] {
        let r = run(&["bin", s(&file), "--db", s(&db), "-n", "--format", format]);
        assert_eq!(r.code, 0, "{format}: {}", r.stderr);
        assert!(r.stdout.contains(needle), "{format}: {}", r.stdout);
    }
}

#[test]
fn without_embedded_data_panic_messages_give_an_incomplete_list_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let db = fixture_db();
    // Two crates named in panic messages, one of them vulnerable.
    let rodata = panic_paths(&["vulncrate-1.1.0", "safecrate-3.0.0"]);
    let file = write(tmp.path(), "plain", &elf(None, &rodata));
    let r = bin_json(&file, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["binary"]["complete"], false);
    assert_eq!(v["binary"]["data"], "panic-messages");
    assert_eq!(v["lockfile"]["packages"], 2);
    assert_eq!(
        ids(&v),
        ["RUSTSEC-2099-0001 vulncrate", "RUSTSEC-2099-0002 vulncrate"]
    );
    assert!(v["notes"][0].as_str().unwrap().contains("INCOMPLETE"));

    // A distribution's build (Debian's layout of the unpacked crates) reveals them too.
    let debian = write(
        tmp.path(),
        "debian",
        &elf(
            None,
            b"/usr/share/cargo/registry/vulncrate-1.1.0/src/lib.rs\0",
        ),
    );
    let r = bin_json(&debian, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.json()["binary"]["complete"], false);
    assert_eq!(r.json()["lockfile"]["packages"], 1);

    // Nothing vulnerable among what it reveals: exit 0, but never a clean bill.
    let safe = write(
        tmp.path(),
        "safe",
        &elf(None, &panic_paths(&["safecrate-3.0.0"])),
    );
    let r = bin_json(&safe, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["binary"]["complete"], false);
    for (format, needle) in [
        ("table", "INCOMPLETE"),
        ("markdown", "incomplete"),
        ("sarif", "\"complete\": false"),
        ("jsonl", "\"complete\":false"),
    ] {
        let r = run(&["bin", s(&safe), "--db", s(&db), "-n", "--format", format]);
        assert_eq!(r.code, 0, "{format}: {}", r.stderr);
        assert!(r.stdout.contains(needle), "{format}: {}", r.stdout);
        assert!(!r.stdout.contains("✅"), "{format}: {}", r.stdout);
    }
    let r = run(&["bin", s(&safe), "--db", s(&db), "-n"]);
    assert!(!r.stdout.contains("ok:"), "{}", r.stdout);
}

/// One `error:` line naming the file, exit 2.
fn assert_one_error(r: &Run, file: &Path, needle: &str) {
    assert_eq!(r.code, 2, "{}: {}", file.display(), r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {}", r.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    assert!(lines[0].contains(s(file)), "{}", lines[0]);
    assert!(lines[0].contains(needle), "{needle}: {}", lines[0]);
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn bad_binaries_get_one_error_line_naming_the_file_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let one = |file: &Path| run(&["bin", s(file), "--db", s(&db), "-n"]);
    // Stripped of both the section and the panic paths: nothing to audit.
    let stripped = write(tmp.path(), "stripped", &elf(None, b"no paths here"));
    assert_one_error(&one(&stripped), &stripped, "no dependency information");
    // Truncated, in its headers and in its section.
    let full = elf(Some(&zlib(&demo_packages())), b"");
    for (name, len) in [("cut-10", 10), ("cut-80", 80), ("cut-half", full.len() / 2)] {
        let f = write(tmp.path(), name, &full[..len]);
        let r = one(&f);
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert_one_error(&r, &f, "");
    }
    // JSON that is not cargo auditable's schema, or whose graph does not hold together.
    for (name, json) in [
        ("not-object", b"[1, 2, 3]".to_vec()),
        ("no-packages", b"{\"packages\": 5}".to_vec()),
        (
            "bad-version",
            dep_json(&[("a", "one", "local", "runtime", &[], true)]),
        ),
        (
            "out-of-range",
            dep_json(&[("a", "1.0.0", "local", "runtime", &[7], true)]),
        ),
        (
            "cycle",
            dep_json(&[
                ("a", "1.0.0", "local", "runtime", &[1], true),
                ("b", "1.0.0", "crates.io", "runtime", &[0], false),
            ]),
        ),
        (
            "two-roots",
            dep_json(&[
                ("a", "1.0.0", "local", "runtime", &[], true),
                ("b", "1.0.0", "local", "runtime", &[], true),
            ]),
        ),
        (
            "control",
            dep_json(&[("a\u{1b}[2J", "1.0.0", "local", "runtime", &[], true)]),
        ),
        ("empty", b"{\"packages\": []}".to_vec()),
    ] {
        let f = write(tmp.path(), name, &elf(Some(&zlib(&json)), b""));
        let r = one(&f);
        assert_one_error(&r, &f, "embedded dependency list");
    }
    // Not zlib at all.
    let f = write(tmp.path(), "not-zlib", &elf(Some(b"plain text"), b""));
    assert_one_error(&one(&f), &f, "damaged");
    // A script with an executable bit is not a binary.
    let script = write(tmp.path(), "run.sh", b"#!/bin/sh\necho hi\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert_one_error(&one(&script), &script, "not an executable");
    // A folder, and a missing file.
    assert_one_error(&one(tmp.path()), tmp.path(), "folder");
    let missing = tmp.path().join("missing");
    assert_one_error(&one(&missing), &missing, "");
    // One good, one bad: the good one is reported, the bad one has its line, exit 2.
    let good = write(tmp.path(), "good", &elf(Some(&zlib(&demo_packages())), b""));
    let r = run(&["bin", s(&good), s(&script), "--db", s(&db), "-n", "--json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert_eq!(r.json()["binary"]["root"], "app 0.1.0");
}

fn capped_bin(file: &Path) -> RawRun {
    let db = fixture_db();
    let mut c = capped(256 * 1024 * 1024);
    c.args(["bin", s(file), "--db", s(&db), "-n"]);
    let cache = tempfile::tempdir().unwrap();
    run_bounded(c, cache.path(), Duration::from_secs(60))
}

#[test]
fn a_section_that_inflates_to_1_gib_is_refused_quickly_within_256_mib() {
    let tmp = tempfile::tempdir().unwrap();
    let bomb = zlib_bomb(1024);
    assert!(bomb.len() < 4 << 20, "{} bytes", bomb.len());
    for (name, bytes) in [
        ("bomb-elf", elf(Some(&bomb), b"")),
        ("bomb.wasm", wasm(&bomb)),
        ("bomb.exe", pe(&bomb)),
    ] {
        let file = write(tmp.path(), name, &bytes);
        let r = capped_bin(&file);
        assert_clean(&r, s(&file), name);
        assert_eq!(r.code, Some(2), "{name}: {}", r.stderr);
        assert!(r.stderr.contains("decompression bomb"), "{}", r.stderr);
        assert!(
            r.elapsed < Duration::from_secs(10),
            "{name}: {:?}",
            r.elapsed
        );
        eprintln!("binaries: {name} refused in {:?}", r.elapsed);
    }
}

#[test]
fn the_source_workspace_gives_its_remediation() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::copy(lockfile("basic.lock"), ws.join("Cargo.lock")).unwrap();
    std::fs::write(
        ws.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    let data = zlib(&demo_packages());
    let file = write(tmp.path(), "app", &elf(Some(&data), b""));
    let db = fixture_db();
    // Lockfile-only remediation of the source: its Cargo.lock, no cargo run.
    let r = run(&[
        "bin",
        s(&file),
        "--source",
        s(&ws.join("Cargo.lock")),
        "--db",
        s(&db),
        "-n",
        "--json",
    ]);
    assert!(r.code == 1, "{}", r.stderr);
    let v = r.json();
    let vuln = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory"]["id"] == "RUSTSEC-2099-0001")
        .unwrap();
    assert_ne!(vuln["remediation"]["outcome"], "rebuild", "{vuln}");
}

/// A tree like an unpacked image: binaries of every kind among ordinary files, in
/// hidden folders too; links and special files that a scan must not follow or read.
#[test]
fn scan_binaries_finds_them_by_their_bytes_and_keys_baselines_by_relative_path() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("image");
    let data = zlib(&demo_packages());
    write(&root, "usr/bin/app", &elf(Some(&data), b""));
    write(&root, "usr/bin/.hidden/tool.wasm", &wasm(&data));
    write(&root, "opt/win/app.exe", &pe(&data));
    write(
        &root,
        "usr/bin/plain",
        &elf(None, &panic_paths(&["safecrate-3.0.0"])),
    );
    write(&root, "usr/bin/c-tool", &elf(None, b"compiled from C"));
    write(&root, "usr/bin/cut", &elf(Some(&data), b"")[..100]);
    write(&root, "usr/bin/bomb", &elf(Some(&zlib_bomb(64)), b""));
    write(&root, "usr/bin/script", b"#!/bin/sh\nexit 0\n");
    write(&root, "usr/share/doc/README", b"text");
    write(
        &root,
        "usr/lib/Main.class",
        b"\xca\xfe\xba\xbe\0\0\0\x34rest",
    );
    for i in 0..50 {
        write(&root, &format!("usr/share/data/{i}.txt"), b"data");
    }
    #[cfg(unix)]
    {
        let bin = root.join("usr/bin");
        std::os::unix::fs::symlink(bin.join("app"), bin.join("link-to-app")).unwrap();
        std::os::unix::fs::symlink("/usr/bin", bin.join("link-out")).unwrap();
        std::os::unix::fs::symlink("loop", bin.join("loop")).unwrap();
        let fifo = bin.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()));
    }
    let db = fixture_db();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "--binaries", s(&root), "--db", s(&db), "-n"];
        args.extend_from_slice(extra);
        let mut c = capped(512 * 1024 * 1024);
        c.args(&args);
        let cache = tempfile::tempdir().unwrap();
        run_bounded(c, cache.path(), Duration::from_secs(60))
    };
    let r = scan(&[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let text = r.stdout_text();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_key = |k: &str| lines.iter().find(|l| l["key"] == k).cloned();
    let keys: Vec<&str> = lines.iter().filter_map(|l| l["key"].as_str()).collect();
    assert_eq!(
        keys,
        [
            "opt/win/app.exe",
            "usr/bin/.hidden/tool.wasm",
            "usr/bin/app",
            "usr/bin/bomb",
            "usr/bin/c-tool",
            "usr/bin/cut",
            "usr/bin/plain",
        ],
        "{text}"
    );
    assert!(
        lines
            .iter()
            .filter(|l| l["key"].is_string())
            .all(|l| l["type"] == "binary")
    );
    assert_eq!(by_key("usr/bin/app").unwrap()["binary"]["complete"], true);
    assert_eq!(
        by_key("usr/bin/plain").unwrap()["binary"]["complete"],
        false
    );
    assert_eq!(by_key("usr/bin/c-tool").unwrap()["binary"]["data"], "none");
    assert!(by_key("usr/bin/cut").unwrap()["error"].is_string());
    assert!(
        by_key("usr/bin/bomb").unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("decompression bomb")
    );
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["binaries"], 7);
    assert_eq!(summary["errors"], 2);
    assert_eq!(summary["incomplete"], 2);

    // A baseline keyed by relative path: the same tree elsewhere is unchanged.
    let baseline = tmp.path().join("base.jsonl");
    std::fs::write(&baseline, text.as_bytes()).unwrap();
    let r = scan(&["--baseline", s(&baseline), "--fail-on", "new"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // A new vulnerable binary is new.
    let more = zlib(&dep_json(&[
        ("new", "0.1.0", "local", "runtime", &[1], true),
        ("vulncrate", "1.2.0", "crates.io", "runtime", &[], false),
    ]));
    write(&root, "usr/bin/new", &elf(Some(&more), b""));
    let r = scan(&["--baseline", s(&baseline), "--fail-on", "new"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let text = r.stdout_text();
    let new: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["key"] == "usr/bin/new")
        .unwrap();
    assert_eq!(new["findings"][0]["status"], "new");
}
