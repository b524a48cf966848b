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

/// `(name, version)` → the `(name, version)`s it depends on, read with the `toml` crate
/// (independently of the tool's own reader), and the set of packages something depends on.
type Graph = (
    std::collections::HashMap<(String, String), Vec<(String, Option<String>)>>,
    BTreeSet<(String, String)>,
);

fn toml_graph(path: &std::path::Path) -> Graph {
    let t: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let mut pkgs = Vec::new();
    for key in ["root", "package"] {
        let list = match t.get(key) {
            Some(toml::Value::Array(a)) => a.clone(),
            Some(v @ toml::Value::Table(_)) => vec![v.clone()],
            _ => vec![],
        };
        pkgs.extend(list);
    }
    let mut edges = std::collections::HashMap::new();
    let mut depended: BTreeSet<(String, String)> = BTreeSet::new();
    let all: Vec<(String, String)> = pkgs
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (p, id) in pkgs.iter().zip(&all) {
        let deps: Vec<(String, Option<String>)> = p
            .get("dependencies")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
            .map(|d| {
                let mut parts = d.as_str().unwrap().split(' ');
                (
                    parts.next().unwrap().to_string(),
                    parts.next().map(str::to_string),
                )
            })
            .collect();
        for (n, v) in &deps {
            for cand in all
                .iter()
                .filter(|c| c.0 == *n && v.as_ref().is_none_or(|v| *v == c.1))
            {
                depended.insert(cand.clone());
            }
        }
        edges.insert(id.clone(), deps);
    }
    (edges, depended)
}

#[test]
fn corpus_vulnerabilities_have_valid_paths_and_a_remediation() {
    let Some(shared) = shared() else { return };
    let db = shared.join("advisory-db");
    let corpus = shared.join("corpus/lockfiles");
    let run = run(&[
        "scan",
        s(&corpus),
        "--db",
        s(&db),
        "-n",
        "--format",
        "json",
        "--no-yanked",
    ]);
    let v = run.json();
    let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
    let mut checked = 0;
    for lf in v["lockfiles"].as_array().unwrap() {
        let path = std::path::PathBuf::from(lf["path"].as_str().unwrap());
        let (edges, depended) = toml_graph(&path);
        for f in lf["findings"].as_array().unwrap() {
            if f["kind"] != "vulnerability" {
                continue;
            }
            checked += 1;
            let paths = f["paths"].as_array().unwrap();
            assert!(!paths.is_empty(), "no path: {f:#}");
            for p in paths {
                let steps: Vec<(String, String)> = p
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| {
                        let (n, v) = l.as_str().unwrap().split_once(' ').unwrap();
                        (n.to_string(), v.to_string())
                    })
                    .collect();
                assert!(
                    !depended.contains(&steps[0]),
                    "path must start at a root: {p}"
                );
                let last = steps.last().unwrap();
                assert_eq!(last.0, f["package"]["name"].as_str().unwrap());
                assert_eq!(last.1, f["package"]["version"].as_str().unwrap());
                for w in steps.windows(2) {
                    let deps = &edges[&w[0]];
                    assert!(
                        deps.iter()
                            .any(|(n, v)| *n == w[1].0 && v.as_ref().is_none_or(|v| *v == w[1].1)),
                        "{} does not depend on {} in {}",
                        w[0].0,
                        w[1].0,
                        path.display()
                    );
                }
            }
            let outcome = f["remediation"]["outcome"].as_str().unwrap_or("missing");
            assert!(
                ["lockfile-update", "bump-parent", "no-fix"].contains(&outcome),
                "{f:#}"
            );
            *outcomes.entry(outcome.to_string()).or_default() += 1;
        }
    }
    assert!(
        checked > 100,
        "the corpus has hundreds of vulnerable findings"
    );
    eprintln!("corpus remediation outcomes over {checked} vulnerabilities: {outcomes:?}");
}
