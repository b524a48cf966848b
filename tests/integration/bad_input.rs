//! Bad input: every case is one line on stderr naming the file and the problem, exit 2,
//! and no panic.

use crate::common::*;
use std::path::Path;

fn assert_clean_error(r: &Run, needle: &str) {
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    let lines: Vec<_> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line, got: {}", r.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    assert!(
        lines[0].contains(needle),
        "expected `{needle}` in: {}",
        lines[0]
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

fn audit_file(path: &Path) -> Run {
    let db = fixture_db();
    run(&["--db", s(&db), "-n", "-f", s(path)])
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn missing_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nope.lock");
    assert_clean_error(&audit_file(&p), "nope.lock");
}

#[test]
fn lockfile_is_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    assert_clean_error(&audit_file(dir.path()), "folder");
}

#[test]
fn binary_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bin.lock",
        &[0x7f, b'E', b'L', b'F', 0, 1, 2, 3],
    );
    assert_clean_error(&audit_file(&p), "bin.lock");
}

#[test]
fn non_utf8_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "latin1.lock",
        b"[[package]]\nname = \"caf\xe9\"\n",
    );
    assert_clean_error(&audit_file(&p), "UTF-8");
}

#[test]
fn truncated_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(lockfile("basic.lock")).unwrap();
    let cut = text.find("source = \"registry").unwrap() + 12;
    let p = write(dir.path(), "cut.lock", &text.as_bytes()[..cut]);
    let r = audit_file(&p);
    assert_clean_error(&r, "cut.lock");
    assert!(r.stderr.contains("line "), "{}", r.stderr);
}

#[test]
fn valid_toml_but_not_a_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "Cargo.lock",
        b"[package]\nname = \"x\"\nversion = \"0.1.0\"\n",
    );
    assert_clean_error(&audit_file(&p), "Cargo.lock");
    let p = write(dir.path(), "empty.lock", b"");
    assert_clean_error(&audit_file(&p), "no [[package]]");
}

#[test]
fn invalid_version_in_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "v.lock",
        b"[[package]]\nname = \"a\"\nversion = \"one\"\n",
    );
    assert_clean_error(&audit_file(&p), "invalid version");
}

#[test]
fn manifest_without_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let m = write(
        dir.path(),
        "Cargo.toml",
        b"[package]\nname='x'\nversion='0.1.0'\n",
    );
    let db = fixture_db();
    let r = run(&[
        "--db",
        s(&db),
        "-n",
        "--lockfile-only",
        "--manifest-path",
        s(&m),
    ]);
    assert_clean_error(&r, "no Cargo.lock");
    let r = run(&[
        "--db",
        s(&db),
        "-n",
        "--manifest-path",
        s(&dir.path().join("nope.toml")),
    ]);
    assert_clean_error(&r, "nope.toml");
}

#[test]
fn database_without_crates_folder() {
    let dir = tempfile::tempdir().unwrap();
    let lock = lockfile("basic.lock");
    let r = run(&["--db", s(dir.path()), "-n", "-f", s(&lock)]);
    assert_clean_error(&r, "crates/");
}

#[test]
fn no_database_and_offline() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-db-here");
    let lock = lockfile("basic.lock");
    let r = run(&["--db", s(&missing), "--offline", "-f", s(&lock)]);
    assert_clean_error(&r, "no-db-here");
    assert!(
        r.stderr.contains("cargo depaudit fetch"),
        "says how to fix: {}",
        r.stderr
    );
}

#[test]
fn unknown_format_and_flags() {
    let lock = lockfile("basic.lock");
    let r = run(&["-f", s(&lock), "--format", "xml"]);
    assert_clean_error(&r, "xml");
    let r = run(&["--frobnicate"]);
    assert_clean_error(&r, "frobnicate");
}

#[test]
fn corrupt_advisory_is_skipped_with_a_warning_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture_db(), dir.path());
    let bad = dir.path().join("crates/vulncrate/RUSTSEC-2099-0002.md");
    std::fs::write(&bad, "```toml\n[advisory]\nid = \"RUSTSEC-2099-0002\"\npackage = \"vulncrate\"\ncvss = \"CVSS:9.9/AV:N\"\ndate = \"2099-01-02\"\n[versions]\npatched = []\n```\n# t\n").unwrap();
    let lock = lockfile("basic.lock");
    let r = run(&["--db", s(dir.path()), "-n", "-f", s(&lock), "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("RUSTSEC-2099-0002.md"),
        "warning names the file: {}",
        r.stderr
    );
    let set = finding_set(&r.json());
    assert!(set.iter().any(|f| f.1 == "RUSTSEC-2099-0001"));
    assert!(!set.iter().any(|f| f.1 == "RUSTSEC-2099-0002"));
    assert_eq!(
        r.json()["database"]["skipped_files"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn symlinked_advisory_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture_db(), dir.path());
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("RUSTSEC-2099-0099.md");
    std::fs::write(
        &target,
        std::fs::read_to_string(fixture_db().join("crates/vulncrate/RUSTSEC-2099-0001.md"))
            .unwrap()
            .replace("0001", "0099"),
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        &target,
        dir.path().join("crates/vulncrate/RUSTSEC-2099-0099.md"),
    )
    .unwrap();
    let lock = lockfile("basic.lock");
    let r = run(&["--db", s(dir.path()), "-n", "-f", s(&lock), "--json"]);
    assert!(
        !finding_set(&r.json())
            .iter()
            .any(|f| f.1 == "RUSTSEC-2099-0099")
    );
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    // `cargo depaudit --paths all | head -0`: the reader is gone before the report is
    // written. The run ends without a panic message.
    let db = fixture_db();
    let lock = lockfile("basic.lock");
    let mut child = std::process::Command::new(bin())
        .args(["--db", s(&db), "-n", "-f", s(&lock), "--paths", "all"])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // close the read end at once
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
    assert!(
        out.status.code().is_some(),
        "ended by a signal: {:?}",
        out.status
    );
}
