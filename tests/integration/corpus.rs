//! The real corpus: for every lockfile in `../shared/corpus`, our findings equal what the
//! `rustsec` library's own report (the engine inside `cargo audit`) finds with the same
//! database. `scripts/parity.py` runs the same comparison against the `cargo audit`
//! binary itself.

use crate::common::*;
use std::collections::BTreeSet;

type Key = (String, String, String, String);

fn reference(db: &rustsec::Database, path: &std::path::Path) -> BTreeSet<Key> {
    let lock = rustsec::Lockfile::load(path).unwrap();
    let settings = rustsec::report::Settings {
        informational_warnings: vec![
            rustsec::advisory::Informational::Unmaintained,
            rustsec::advisory::Informational::Unsound,
            rustsec::advisory::Informational::Notice,
        ],
        ..Default::default()
    };
    let report = rustsec::Report::generate(db, &lock, &settings);
    let mut set: BTreeSet<Key> = report
        .vulnerabilities
        .list
        .iter()
        .map(|v| {
            (
                "vulnerability".to_string(),
                v.advisory.id.to_string(),
                v.package.name.to_string(),
                v.package.version.to_string(),
            )
        })
        .collect();
    for (kind, warnings) in &report.warnings {
        for w in warnings {
            set.insert((
                kind.as_str().to_string(),
                w.advisory
                    .as_ref()
                    .map_or("yanked".into(), |a| a.id.to_string()),
                w.package.name.to_string(),
                w.package.version.to_string(),
            ));
        }
    }
    set
}

#[test]
fn corpus_findings_equal_rustsec_reference() {
    let Some(shared) = shared() else { return };
    let db_dir = shared.join("advisory-db");
    let db = rustsec::Database::open(&db_dir).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut lockfiles: Vec<_> = std::fs::read_dir(shared.join("corpus/lockfiles"))
        .unwrap()
        .map(|e| e.unwrap().path().join("Cargo.lock"))
        .collect();
    lockfiles.sort();
    assert_eq!(lockfiles.len(), 55);
    let mut total = 0;
    for lock in &lockfiles {
        let want = reference(&db, lock);
        let r = run_in(
            cache.path(),
            &[
                "--db",
                s(&db_dir),
                "-n",
                "--no-yanked",
                "-f",
                s(lock),
                "--json",
            ],
        );
        let expected_code = i32::from(want.iter().any(|k| k.0 == "vulnerability"));
        assert_eq!(r.code, expected_code, "{}: {}", lock.display(), r.stderr);
        let got = finding_set(&r.json());
        assert_eq!(got, want, "{}", lock.display());
        // cargo-lock keeps a v1 `[root]` apart from its packages; we count it as one
        let parsed = rustsec::Lockfile::load(lock).unwrap();
        let packages = parsed.packages.len() + usize::from(parsed.root.is_some());
        assert_eq!(
            r.json()["lockfile"]["packages"],
            packages,
            "{}",
            lock.display()
        );
        total += got.len();
    }
    // cargo audit reports 1,712 findings over this corpus with this database
    assert_eq!(total, 1712);
}
