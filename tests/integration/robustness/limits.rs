//! Size limits, each a quick one-line error naming the file, under a heap cap that the
//! run would blow if it read the input whole: a 200 MB lockfile (sparse, so refusing it
//! must not read it), 200 MB policy, baseline and advisory files, a 300 MB index file,
//! and a lockfile with a million packages (48 MB, under the size limit: refused by
//! count before it is parsed). The largest lockfile accepted (200,000 packages) audits.
//! Deep chains and cycles in the dependency graph are tested in `src/audit/paths.rs`.

use super::support::*;
use crate::common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const MB: u64 = 1_000_000;

/// A sparse file of `len` bytes: no disk used, and nothing to read unless read.
fn sparse(path: &Path, len: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

fn audit_capped(cap: u64, args: &[&str], cache: &Path) -> RawRun {
    let mut c = capped(cap);
    c.args(args);
    run_bounded(c, cache, Duration::from_secs(120))
}

#[test]
fn files_of_200_mb_are_refused_without_being_read() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let db = fixture_db();
    // 64 MiB of heap is plenty for these audits and far too little for 200 MB.
    let cap = 64 * 1024 * 1024;
    let huge = tmp.path().join("huge/Cargo.lock");
    sparse(&huge, 200 * MB);

    let r = audit_capped(cap, &["--db", s(&db), "-n", "-f", s(&huge)], &cache);
    assert_clean(&r, s(&huge), "200 MB lockfile");
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("larger than 64 MiB"), "{}", r.stderr);
    eprintln!("limits: 200 MB lockfile refused in {:?}", r.elapsed);

    // In a scan it is one error line; the other lockfile is audited.
    std::fs::create_dir_all(tmp.path().join("ok")).unwrap();
    std::fs::copy(lockfile("basic.lock"), tmp.path().join("ok/Cargo.lock")).unwrap();
    let r = audit_capped(cap, &["scan", s(tmp.path()), "--db", s(&db), "-n"], &cache);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let text = r.stdout_text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bad = lines.iter().find(|l| l["path"] == s(&huge)).unwrap();
    assert!(
        bad["error"]
            .as_str()
            .unwrap()
            .contains("larger than 64 MiB")
    );
    assert!(
        lines
            .iter()
            .any(|l| l["path"] == s(&tmp.path().join("ok/Cargo.lock")) && l["error"].is_null())
    );

    // A policy file beside the lockfile, and a baseline.
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::copy(lockfile("basic.lock"), ws.join("Cargo.lock")).unwrap();
    sparse(&ws.join("depaudit.toml"), 200 * MB);
    let r = audit_capped(
        cap,
        &["--db", s(&db), "-n", "-f", s(&ws.join("Cargo.lock"))],
        &cache,
    );
    assert_clean(&r, "depaudit.toml", "200 MB policy file");
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("larger than"), "{}", r.stderr);
    let base = tmp.path().join("base.jsonl");
    sparse(&base, 200 * MB);
    let r = audit_capped(
        cap,
        &[
            "scan",
            s(&tmp.path().join("ok")),
            "--db",
            s(&db),
            "-n",
            "--baseline",
            s(&base),
        ],
        &cache,
    );
    assert_clean(&r, "base.jsonl", "200 MB baseline");
    assert_eq!(r.code, Some(2));

    // An advisory file is skipped; an index file is rebuilt. Findings do not change.
    let want = finding_set(
        &run(&[
            "--db",
            s(&db),
            "-n",
            "-f",
            s(&lockfile("basic.lock")),
            "--json",
        ])
        .json(),
    );
    let big_db = tmp.path().join("db");
    crate::bad_input::copy_dir(&db, &big_db);
    let adv = big_db.join("crates/bigcrate/RUSTSEC-2099-0999.md");
    sparse(&adv, 200 * MB);
    let basic = lockfile("basic.lock");
    let args = ["--db", s(&big_db), "-n", "-f", s(&basic), "--json"];
    let r = audit_capped(cap, &args, &cache);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(finding_set(&r.json()), want);
    assert!(
        r.stderr
            .contains("RUSTSEC-2099-0999.md (larger than 1048576 bytes)"),
        "{}",
        r.stderr
    );
    let index = cache
        .join("index")
        .join(advisories_cache::database::index_file_name(&big_db));
    std::fs::remove_file(&index).unwrap();
    sparse(&index, 300 * MB);
    let r = audit_capped(cap, &args, &cache);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(finding_set(&r.json()), want);
    assert!(r.stderr.contains("damaged (too large)"), "{}", r.stderr);
    assert!(std::fs::metadata(&index).unwrap().len() < MB, "rebuilt");
}

/// A lockfile of `n` packages: `app` depends on 1,000 roots, each a chain; `vulncrate`
/// 1.1.0 (vulnerable in the fixture database) ends the last chain.
fn wide_lockfile(n: usize, compact: bool) -> String {
    let mut t = String::with_capacity(n * 120);
    t.push_str("version = 3\n");
    if compact {
        for i in 0..n {
            t.push_str(&format!(
                "\n[[package]]\nname = \"p{i}\"\nversion = \"1.0.0\"\n"
            ));
        }
        return t;
    }
    let reg = "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    t.push_str("\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n");
    for i in 0..1000.min(n) {
        t.push_str(&format!(" \"p{i}\",\n"));
    }
    t.push_str("]\n");
    for i in 0..n - 2 {
        t.push_str(&format!(
            "\n[[package]]\nname = \"p{i}\"\nversion = \"1.0.0\"\n{reg}"
        ));
        let next = i + 1000;
        if next < n - 2 {
            t.push_str(&format!("dependencies = [\n \"p{next}\",\n]\n"));
        } else if i == n - 3 {
            t.push_str("dependencies = [\n \"vulncrate\",\n]\n");
        }
    }
    t.push_str(&format!(
        "\n[[package]]\nname = \"vulncrate\"\nversion = \"1.1.0\"\n{reg}"
    ));
    t
}

#[test]
fn a_million_packages_is_refused_and_the_largest_accepted_lockfile_audits() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let db = fixture_db();
    let million = tmp.path().join("million.lock");
    std::fs::write(&million, wide_lockfile(1_000_000, true)).unwrap();
    let size = std::fs::metadata(&million).unwrap().len();
    assert!(
        size < 64 * 1024 * 1024,
        "under the size limit: refused by count"
    );
    let r = audit_capped(
        256 * 1024 * 1024,
        &["--db", s(&db), "-n", "-f", s(&million)],
        &cache,
    );
    assert_clean(&r, "million.lock", "a million packages");
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr
            .contains("1000000 packages, more than the 200000 allowed"),
        "{}",
        r.stderr
    );
    eprintln!(
        "limits: 1,000,000 packages ({size} bytes) refused in {:?}",
        r.elapsed
    );

    let max = cargo_depaudit::input::lockfile::MAX_PACKAGES;
    let largest = tmp.path().join("largest.lock");
    std::fs::write(&largest, wide_lockfile(max, false)).unwrap();
    let mut c: Command = capped(512 * 1024 * 1024);
    c.args(["--db", s(&db), "-n", "-f", s(&largest), "--json"]);
    let r = run_bounded(c, &cache, Duration::from_secs(300));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["lockfile"]["packages"], max);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == "vulncrate")
        .unwrap();
    // app → p(N-3-1000k)… → p(N-3) → vulncrate: the path walks a chain of 200 packages.
    let path = f["paths"][0].as_array().unwrap();
    assert_eq!(path.len(), 2 + (max - 3) / 1000 + 1, "{path:?}");
    eprintln!(
        "limits: {max} packages ({} bytes) audited in {:?}",
        std::fs::metadata(&largest).unwrap().len(),
        r.elapsed
    );
}
