//! The compiled advisory index kept under the cache folder: a damaged index is rebuilt
//! with a warning naming the file and the findings do not change; an index built before
//! the database changed (an advisory edited or added in a plain folder, or a fetch to a
//! newer commit) is never trusted; several processes compiling it at once all succeed
//! and leave exactly one valid index and no temporary file.

use crate::bad_input::copy_dir;
use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The files in `<cache>/index`: (index files, anything else).
fn index_files(cache: &Path) -> (Vec<PathBuf>, Vec<String>) {
    let mut idx = Vec::new();
    let mut other = Vec::new();
    for e in std::fs::read_dir(cache.join("index")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".idx") && !name.starts_with('.') {
            idx.push(e.path());
        } else {
            other.push(name);
        }
    }
    (idx, other)
}

/// The one index file of `cache`, asserting there is nothing else in its folder.
fn the_index(cache: &Path) -> PathBuf {
    let (idx, other) = index_files(cache);
    assert!(other.is_empty(), "leftovers in the index folder: {other:?}");
    assert_eq!(idx.len(), 1, "{idx:?}");
    idx.into_iter().next().unwrap()
}

/// The index file is a valid index of the database folder `db` as it is now.
fn assert_valid(index: &Path, db: &Path) {
    let fp = advisories_cache::fingerprint::fingerprint(db).unwrap();
    if let Err(e) = advisories_cache::index::read(index, &fp) {
        panic!(
            "{} is not a valid index of {}: {e:?}",
            index.display(),
            db.display()
        );
    }
}

fn audit_json(cache: &Path, db: &Path, lock: &Path) -> Run {
    let r = run_in(cache, &["--db", s(db), "-n", "-f", s(lock), "--json"]);
    assert!(r.code < 2, "{}", r.stderr);
    r
}

#[test]
fn damaged_index_is_rebuilt_with_a_warning_naming_it_and_same_findings() {
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let lock = lockfile("basic.lock");
    let first = audit_json(cache.path(), &db, &lock);
    assert!(!first.stderr.contains("warning"), "{}", first.stderr);
    let index = the_index(cache.path());
    let good = std::fs::read(&index).unwrap();
    assert!(good.len() > 64);

    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    let mut header = good.clone();
    header[0] = b'X';
    let damages: Vec<(&str, Vec<u8>)> = vec![
        ("a flipped byte", flipped),
        ("cut in half", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("a wrong magic", header),
        ("not an index at all", b"hello, world\n".repeat(100)),
    ];
    for (what, bytes) in damages {
        std::fs::write(&index, &bytes).unwrap();
        let r = audit_json(cache.path(), &db, &lock);
        assert_eq!(r.code, first.code, "{what}: {}", r.stderr);
        assert_eq!(r.stdout, first.stdout, "{what}: findings changed");
        let warning = r
            .stderr
            .lines()
            .find(|l| l.starts_with("warning:") && l.contains("index"))
            .unwrap_or_else(|| panic!("{what}: no warning: {}", r.stderr));
        assert!(
            warning.contains(s(&index)),
            "{what}: the warning names the file: {warning}"
        );
        assert!(warning.contains("rebuilt"), "{what}: {warning}");
        // Rebuilt in place: valid again, and the next run is quiet with the same result.
        assert_eq!(the_index(cache.path()), index);
        assert_eq!(std::fs::read(&index).unwrap(), good, "{what}");
        let again = audit_json(cache.path(), &db, &lock);
        assert!(
            !again.stderr.contains("warning"),
            "{what}: {}",
            again.stderr
        );
        assert_eq!(again.stdout, first.stdout);
    }

    // --quiet silences the warning but still rebuilds.
    std::fs::write(&index, b"junk").unwrap();
    let r = run_in(
        cache.path(),
        &["--db", s(&db), "-n", "-f", s(&lock), "--json", "-q"],
    );
    assert_eq!(r.stdout, first.stdout);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(std::fs::read(&index).unwrap(), good);
}

/// An advisory file in the fixture format.
fn advisory(id: &str, krate: &str, patched: &str) -> String {
    format!(
        "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{krate}\"\ndate = \"2099-03-01\"\n\n[versions]\npatched = [\"{patched}\"]\n```\n\n# Added issue in {krate}\n\nAdded by the index test.\n"
    )
}

fn ids(r: &Run) -> std::collections::BTreeSet<(String, String)> {
    finding_set(&r.json())
        .into_iter()
        .map(|(_, id, krate, version)| (id, format!("{krate} {version}")))
        .collect()
}

#[test]
fn edited_and_added_advisories_in_a_plain_folder_are_seen() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    copy_dir(&fixture_db(), &db);
    let cache = tmp.path().join("cache");
    // basic.lock plus a crate the database knows nothing about yet.
    let lock = tmp.path().join("Cargo.lock");
    let mut text = std::fs::read_to_string(lockfile("basic.lock")).unwrap();
    text.push_str("\n[[package]]\nname = \"freshcrate\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"00000000000000000000000000000000000000000000000000000000000000aa\"\n");
    std::fs::write(&lock, text).unwrap();
    let pair = |id: &str, pkg: &str| (id.to_string(), pkg.to_string());

    let before = audit_json(&cache, &db, &lock);
    let count = |r: &Run| r.json()["database"]["advisory_count"].as_u64().unwrap();
    assert_eq!(count(&before), 8);
    assert!(ids(&before).contains(&pair("RUSTSEC-2099-0001", "vulncrate 1.1.0")));
    let index = the_index(&cache);
    let stale = std::fs::read(&index).unwrap();

    // 1. An advisory edited in place, same size: 0001 is now patched in 1.1.0.
    let edited = db.join("crates/vulncrate/RUSTSEC-2099-0001.md");
    let old = std::fs::read_to_string(&edited).unwrap();
    let new = old.replace(">= 1.2.0", ">= 1.1.0");
    assert_eq!(old.len(), new.len());
    std::fs::write(&edited, new).unwrap();
    let r = audit_json(&cache, &db, &lock);
    assert!(!ids(&r).contains(&pair("RUSTSEC-2099-0001", "vulncrate 1.1.0")));
    assert_ne!(std::fs::read(&index).unwrap(), stale, "index rebuilt");

    // 2. A new advisory beside existing ones.
    std::fs::write(
        db.join("crates/oldcrate/RUSTSEC-2099-0100.md"),
        advisory("RUSTSEC-2099-0100", "oldcrate", ">= 9.0.0"),
    )
    .unwrap();
    let r = audit_json(&cache, &db, &lock);
    assert!(ids(&r).contains(&pair("RUSTSEC-2099-0100", "oldcrate 0.1.0")));
    assert_eq!(count(&r), 9);

    // 3. A new crate folder.
    std::fs::create_dir_all(db.join("crates/freshcrate")).unwrap();
    std::fs::write(
        db.join("crates/freshcrate/RUSTSEC-2099-0101.md"),
        advisory("RUSTSEC-2099-0101", "freshcrate", ">= 2.0.0"),
    )
    .unwrap();
    let r = audit_json(&cache, &db, &lock);
    assert!(ids(&r).contains(&pair("RUSTSEC-2099-0101", "freshcrate 1.0.0")));
    assert_eq!(count(&r), 10);

    // 4. An advisory removed.
    std::fs::remove_file(db.join("crates/vulncrate/RUSTSEC-2099-0002.md")).unwrap();
    let warm = audit_json(&cache, &db, &lock);
    assert!(!ids(&warm).iter().any(|(id, _)| id == "RUSTSEC-2099-0002"));

    // The warm result equals a compile from scratch, and the index is valid and alone.
    let fresh = tempfile::tempdir().unwrap();
    let cold = audit_json(fresh.path(), &db, &lock);
    assert_eq!(warm.stdout, cold.stdout);
    assert_valid(&the_index(&cache), &db);
}

#[test]
fn fetch_to_a_newer_commit_rebuilds_the_index_and_an_old_index_is_not_trusted() {
    let Some(shared) = shared() else { return };
    let bundle = shared.join("advisory-db.bundle");
    if Command::new("git").arg("--version").output().is_err() || !bundle.is_file() {
        eprintln!("skipping: git or the bundle is missing");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let git = |args: &[&str]| {
        let o = Command::new("git").args(args).output().expect("git");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    git(&["clone", "-q", s(&bundle), s(&src)]);
    git(&["-C", s(&src), "checkout", "-q", "6d1a2a9"]);
    let url = format!("file://{}", src.display());
    let cache = tmp.path().join("cache");
    let db = cache.join("db");
    let fetch = || {
        let r = run_in(&cache, &["fetch", "-q", "--db-url", &url, "--db", s(&db)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    fetch();
    let corpus = shared.join("corpus");
    let scan = |cache: &Path| {
        let r = run_in(cache, &["scan", s(&corpus), "--db", s(&db), "-n"]);
        assert!(r.code < 2, "{}", r.stderr);
        let mut found = std::collections::BTreeSet::new();
        for line in r.stdout.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            for f in v["findings"].as_array().into_iter().flatten() {
                found.insert((
                    v["path"].as_str().unwrap().to_string(),
                    f["advisory"]["id"].as_str().unwrap().to_string(),
                    f["package"]["version"].as_str().unwrap().to_string(),
                ));
            }
        }
        (r, found)
    };
    let (old_run, old_found) = scan(&cache);
    assert!(
        old_run.stdout.contains("6d1a2a9"),
        "scan reports the old commit"
    );
    let index = the_index(&cache);
    let old_index = std::fs::read(&index).unwrap();

    git(&["-C", s(&src), "checkout", "-q", "c962fb9"]);
    fetch();
    let (new_run, new_found) = scan(&cache);
    assert!(
        new_run.stdout.contains("c962fb9"),
        "scan reports the new commit"
    );
    assert_eq!(the_index(&cache), index, "one index per database folder");
    assert_ne!(std::fs::read(&index).unwrap(), old_index, "rebuilt");
    let ids_at = |c: &str| -> std::collections::BTreeSet<String> {
        git(&["-C", s(&src), "ls-tree", "-r", "--name-only", c])
            .lines()
            .filter_map(|p| p.rsplit('/').next()?.strip_suffix(".md").map(String::from))
            .collect()
    };
    let added: std::collections::BTreeSet<String> = ids_at("c962fb9")
        .difference(&ids_at("6d1a2a9"))
        .cloned()
        .collect();
    let appeared: Vec<_> = new_found.difference(&old_found).collect();
    assert!(!appeared.is_empty(), "the new commit adds findings");
    for (_, id, _) in &appeared {
        assert!(added.contains(id), "{id} appeared but was not added");
    }

    // An index compiled from the old commit (say, by a reader that finished after the
    // fetch swapped folders) is never trusted for the new one.
    std::fs::write(&index, &old_index).unwrap();
    let (r, found) = scan(&cache);
    assert_eq!(found, new_found);
    assert!(
        !r.stderr.contains("damaged"),
        "stale is not damage: {}",
        r.stderr
    );
    assert_ne!(std::fs::read(&index).unwrap(), old_index);
    // And the warm result equals one from a fresh cache.
    let fresh = tempfile::tempdir().unwrap();
    let (_, cold) = scan(fresh.path());
    assert_eq!(cold, new_found);
    assert_valid(&the_index(&cache), &db);
}

#[test]
fn processes_compiling_the_index_at_once_all_succeed_and_leave_one_valid_index() {
    // The real database takes long enough to compile that the processes overlap.
    let db = match shared() {
        Some(sh) => sh.join("advisory-db"),
        None => fixture_db(),
    };
    let lock = match shared() {
        Some(sh) => sh.join("corpus/lockfiles/nushell-nushell-2019-12-29-0615adac/Cargo.lock"),
        None => lockfile("basic.lock"),
    };
    let cache = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(bin())
                .args(["--db", s(&db), "-n", "-f", s(&lock), "--json"])
                .env("DEPAUDIT_CACHE_DIR", cache.path())
                // As `run_in`: no cargo index cache, so yanked checks match the warm run.
                .env("CARGO_HOME", cache.path().join("cargo-home"))
                .env_remove("DEPAUDIT_DB")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| finish(c.wait_with_output().unwrap()))
        .collect();
    for r in &runs {
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(!r.stderr.contains("warning"), "{}", r.stderr);
        assert_eq!(r.stdout, runs[0].stdout);
    }
    assert!(!finding_set(&runs[0].json()).is_empty());
    let index = the_index(cache.path());
    assert_valid(&index, &db);
    let warm = audit_json(cache.path(), &db, &lock);
    assert_eq!(warm.stdout, runs[0].stdout);
    assert!(warm.stderr.is_empty(), "{}", warm.stderr);
}
