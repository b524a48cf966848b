//! Audit behaviour on the synthetic database: kinds, withdrawn advisories, pre-releases,
//! target filters, look-alike crates, ignores, `--deny`, the JSON contract, argv forms.

use crate::common::*;

fn tuple(kind: &str, id: &str, krate: &str, version: &str) -> (String, String, String, String) {
    (kind.into(), id.into(), krate.into(), version.into())
}

fn audit_basic(extra: &[&str]) -> Run {
    let db = fixture_db();
    let lock = lockfile("basic.lock");
    let mut args = vec![
        "--db",
        s(&db),
        "--offline",
        "--file",
        s(&lock),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn finds_each_kind_and_skips_withdrawn_and_patched() {
    let r = audit_basic(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let got = finding_set(&r.json());
    let want = [
        tuple("vulnerability", "RUSTSEC-2099-0001", "vulncrate", "1.1.0"),
        tuple("vulnerability", "RUSTSEC-2099-0002", "vulncrate", "1.1.0"),
        tuple("vulnerability", "RUSTSEC-2099-0002", "vulncrate", "1.2.0"),
        // 2.0.0-beta.1 < 2.0.0-beta.2 (patched) under semver pre-release ordering
        tuple(
            "vulnerability",
            "RUSTSEC-2099-0007",
            "precrate",
            "2.0.0-beta.1",
        ),
        // no targets given: an OS-limited advisory applies
        tuple("vulnerability", "RUSTSEC-2099-0006", "wincrate", "1.0.0"),
        tuple("unsound", "RUSTSEC-2099-0004", "unsoundcrate", "0.2.0"),
        tuple("unmaintained", "RUSTSEC-2099-0003", "oldcrate", "0.1.0"),
        tuple("notice", "RUSTSEC-2099-0005", "noticecrate", "1.0.0"),
    ];
    assert_eq!(got, want.into_iter().collect());
}

#[test]
fn target_os_filter_drops_other_os_advisories() {
    let linux = audit_basic(&["--target-os", "linux"]);
    assert!(!finding_set(&linux.json()).iter().any(|f| f.2 == "wincrate"));
    let windows = audit_basic(&["--target-os", "windows"]);
    assert!(
        finding_set(&windows.json())
            .iter()
            .any(|f| f.2 == "wincrate")
    );
    let bad = audit_basic(&["--target-os", "plan10"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn path_git_and_other_registry_lookalikes_are_not_matched() {
    let db = fixture_db();
    let lock = lockfile("lookalikes.lock");
    let r = run(&["--db", s(&db), "--offline", "--file", s(&lock), "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(finding_set(&r.json()).is_empty());
}

#[test]
fn ignore_by_id_or_alias_keeps_finding_marked_and_not_failing() {
    let r = audit_basic(&[
        "--ignore",
        "CVE-2099-0001",
        "--ignore",
        "RUSTSEC-2099-0002",
        "--ignore",
        "RUSTSEC-2099-0007",
        "--ignore",
        "RUSTSEC-2099-0006",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    let ignored: Vec<_> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ignored"] == true)
        .map(|f| f["advisory"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ignored.len(), 5);
    assert_eq!(j["summary"]["ignored"], 5);
    assert_eq!(j["summary"]["vulnerabilities"], 0);
    assert_eq!(j["summary"]["warnings"], 3);
}

#[test]
fn deny_makes_warnings_fail() {
    let all_vulns_ignored = [
        "--ignore",
        "RUSTSEC-2099-0001",
        "--ignore",
        "RUSTSEC-2099-0002",
        "--ignore",
        "RUSTSEC-2099-0007",
        "--ignore",
        "RUSTSEC-2099-0006",
    ];
    let mut args = all_vulns_ignored.to_vec();
    assert_eq!(audit_basic(&args).code, 0);
    args.extend(["--deny", "unmaintained"]);
    assert_eq!(audit_basic(&args).code, 1);
    let mut args = all_vulns_ignored.to_vec();
    args.extend(["-D", "warnings"]);
    assert_eq!(audit_basic(&args).code, 1);
    let mut args = all_vulns_ignored.to_vec();
    args.extend(["--deny", "sometimes"]);
    assert_eq!(audit_basic(&args).code, 2);
}

#[test]
fn json_contract_fields_are_stable() {
    let j = audit_basic(&[]).json();
    for key in [
        "path",
        "commit",
        "last_updated",
        "advisory_count",
        "age_days",
    ] {
        assert!(j["database"].get(key).is_some(), "database.{key}");
    }
    assert_eq!(j["database"]["advisory_count"], 8);
    assert_eq!(j["lockfile"]["packages"], 10);
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory"]["id"] == "RUSTSEC-2099-0001")
        .unwrap();
    assert_eq!(f["kind"], "vulnerability");
    for key in ["id", "aliases", "title", "date", "url", "cvss", "severity"] {
        assert!(f["advisory"].get(key).is_some(), "advisory.{key}");
    }
    assert_eq!(f["advisory"]["severity"], "critical");
    assert_eq!(f["advisory"]["aliases"][0], "CVE-2099-0001");
    assert_eq!(f["package"]["name"], "vulncrate");
    assert_eq!(f["package"]["version"], "1.1.0");
    assert_eq!(
        f["package"]["source"],
        "registry+https://github.com/rust-lang/crates.io-index"
    );
    assert_eq!(f["patched"][0], ">=1.2.0");
    assert_eq!(f["ignored"], false);
    assert_eq!(j["summary"]["vulnerabilities"], 5);
    assert_eq!(j["summary"]["warnings"], 3);
    // report order: vulnerabilities first
    let kinds: Vec<_> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect();
    let first_warning = kinds.iter().position(|k| k != "vulnerability").unwrap();
    assert!(kinds[first_warning..].iter().all(|k| k != "vulnerability"));
}

#[test]
fn cargo_subcommand_and_explicit_audit_forms_parse() {
    let db = fixture_db();
    let lock = lockfile("basic.lock");
    let direct = run(&["--db", s(&db), "-n", "-f", s(&lock), "--json"]);
    let via_cargo = run(&["depaudit", "--db", s(&db), "-n", "-f", s(&lock), "--json"]);
    let explicit = run(&[
        "depaudit",
        "audit",
        "--db",
        s(&db),
        "--no-fetch",
        "-f",
        s(&lock),
        "--json",
    ]);
    assert_eq!(direct.code, 1);
    assert_eq!(finding_set(&direct.json()), finding_set(&via_cargo.json()));
    assert_eq!(finding_set(&direct.json()), finding_set(&explicit.json()));
}

#[test]
fn table_shows_rows_and_summary_with_database_age() {
    let db = fixture_db();
    let lock = lockfile("basic.lock");
    let r = run(&["--db", s(&db), "-n", "-f", s(&lock)]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("RUSTSEC-2099-0001"));
    assert!(r.stdout.contains("no fix published"));
    let summary = r.stdout.lines().last().unwrap();
    assert!(
        summary.starts_with("FAIL (5 denied vulnerabilities): 5 vulnerabilities, 3 warnings"),
        "{summary}"
    );
    assert!(summary.contains("8 advisories"), "{summary}");
    assert!(!r.stdout.contains('\x1b'), "no colour off a terminal");
}

#[test]
fn output_file_receives_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let db = fixture_db();
    let lock = lockfile("basic.lock");
    let r = run(&[
        "--db",
        s(&db),
        "-n",
        "-f",
        s(&lock),
        "--json",
        "--output",
        s(&out),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(j["summary"]["vulnerabilities"], 5);
}

#[test]
fn warm_run_reuses_the_compiled_index_with_identical_findings() {
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let lock = lockfile("basic.lock");
    let args = ["--db", s(&db), "-n", "-f", s(&lock), "--json"];
    let cold = run_in(cache.path(), &args);
    let index_files: Vec<_> = std::fs::read_dir(cache.path().join("index"))
        .unwrap()
        .collect();
    assert_eq!(index_files.len(), 1, "one index stored");
    let warm = run_in(cache.path(), &args);
    assert_eq!(cold.stdout, warm.stdout);
}

#[test]
fn max_db_age_rejects_an_old_database() {
    let Some(shared) = shared() else { return };
    let db = shared.join("advisory-db");
    let lock = lockfile("basic.lock");
    let r = run(&["--db", s(&db), "-n", "-f", s(&lock), "--max-db-age", "1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("days old"), "{}", r.stderr);
    let ok = run(&[
        "--db",
        s(&db),
        "-n",
        "-f",
        s(&lock),
        "--max-db-age",
        "100000",
    ]);
    assert_ne!(ok.code, 2, "{}", ok.stderr);
}

#[test]
fn lockfile_only_discovers_the_lockfile_without_spawning_cargo() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("member/src")).unwrap();
    std::fs::write(
        dir.path().join("member/Cargo.toml"),
        "[package]\nname='m'\nversion='0.1.0'\n",
    )
    .unwrap();
    std::fs::copy(lockfile("basic.lock"), dir.path().join("Cargo.lock")).unwrap();
    let db = fixture_db();
    let manifest = dir.path().join("member/Cargo.toml");
    // CARGO points at a program that leaves a marker: lockfile-only must not run it.
    let marker = dir.path().join("spawned");
    let fake_cargo = dir.path().join("fake-cargo");
    std::fs::write(
        &fake_cargo,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake_cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let base = [
        "--db",
        s(&db),
        "-n",
        "--manifest-path",
        s(&manifest),
        "--json",
    ];
    let with = |extra: &[&str]| {
        let out = std::process::Command::new(bin())
            .args(base)
            .args(extra)
            .env("DEPAUDIT_CACHE_DIR", cache.path())
            .env("CARGO", &fake_cargo)
            .output()
            .unwrap();
        finish(out)
    };
    let r = with(&["--lockfile-only"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.json()["lockfile"]["packages"], 10);
    assert!(!marker.exists(), "--lockfile-only ran cargo");
    // Without it, the audit asks cargo metadata (here it fails, and the walk-up takes over).
    let r = with(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(marker.exists(), "the default mode asks cargo metadata");
}
