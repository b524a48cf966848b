//! Database drift: advisories in shapes the database may take later. Each is loaded or
//! skipped with a warning naming it, and the run always goes on with the rest. Whether
//! a file loads is `rustsec`'s reading of it (what `cargo audit` uses): we load what it
//! parses and skip what it rejects — where `cargo audit` stops with an error for the
//! whole database. Loaded advisories are reported as `cargo audit` reports them
//! (withdrawn ones and unknown informational kinds are not).

use crate::common::*;
use std::collections::BTreeSet;

struct Case {
    what: &'static str,
    id: &'static str,
    krate: &'static str,
    /// Extra `[advisory]` lines.
    advisory: &'static str,
    /// The `[versions]` table and anything after it.
    rest: &'static str,
    /// `None`: skipped with a warning; `Some(reported)`: loaded, reported or not.
    expect: Option<bool>,
}

const PATCHED: &str = "[versions]\npatched = [\">= 2.0.0\"]\n";

const CASES: &[Case] = &[
    Case {
        what: "unknown fields and tables",
        id: "RUSTSEC-2099-0101",
        krate: "unknownfields",
        advisory: "severity_v9 = \"x\"\n[advisory.future]\nk = 1\n",
        rest: "[versions]\npatched = [\">= 2.0.0\"]\nfixed_in = [\"2.0.0\"]\n\n[future_table]\na = 1\n",
        expect: Some(true),
    },
    Case {
        what: "CVSS 4.0 vector",
        id: "RUSTSEC-2099-0102",
        krate: "cvssfour",
        advisory: "cvss = \"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N\"\n",
        rest: PATCHED,
        expect: Some(true),
    },
    Case {
        what: "CVSS version from the future",
        id: "RUSTSEC-2099-0103",
        krate: "cvssfive",
        advisory: "cvss = \"CVSS:5.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H\"\n",
        rest: PATCHED,
        expect: None,
    },
    Case {
        what: "missing `patched` key",
        id: "RUSTSEC-2099-0104",
        krate: "nopatched",
        advisory: "",
        rest: "[versions]\nunaffected = [\"< 0.1.0\"]\n",
        expect: None,
    },
    Case {
        what: "no [versions] table",
        id: "RUSTSEC-2099-0105",
        krate: "noversions",
        advisory: "",
        rest: "",
        expect: None,
    },
    Case {
        what: "withdrawn advisory",
        id: "RUSTSEC-2099-0106",
        krate: "withdrawncrate",
        advisory: "withdrawn = \"2099-02-01\"\n",
        rest: PATCHED,
        expect: Some(false),
    },
    Case {
        what: "informational kind from the future",
        id: "RUSTSEC-2099-0107",
        krate: "futurekind",
        advisory: "informational = \"future-kind\"\n",
        rest: PATCHED,
        expect: Some(false),
    },
    Case {
        what: "crate name with capitals, digits, `_` and `-`",
        id: "RUSTSEC-2099-0108",
        krate: "Weird_Name-2",
        advisory: "",
        rest: PATCHED,
        expect: Some(true),
    },
    Case {
        what: "crate name with a leading `-`",
        id: "RUSTSEC-2099-0109",
        krate: "-dash",
        advisory: "",
        rest: PATCHED,
        expect: Some(true),
    },
    Case {
        what: "crate name that is not ASCII",
        id: "RUSTSEC-2099-0110",
        krate: "café",
        advisory: "",
        rest: PATCHED,
        expect: Some(true),
    },
    Case {
        what: "crate name with a dot",
        id: "RUSTSEC-2099-0111",
        krate: "a.b",
        advisory: "",
        rest: PATCHED,
        expect: Some(true),
    },
    Case {
        what: "an operating system we do not know",
        id: "RUSTSEC-2099-0112",
        krate: "futureos",
        advisory: "",
        rest: "[affected]\nos = [\"plan10\"]\n\n[versions]\npatched = [\">= 2.0.0\"]\n",
        expect: None,
    },
    Case {
        what: "a date with a time",
        id: "RUSTSEC-2099-0113",
        krate: "datetime",
        advisory: "",
        rest: PATCHED,
        expect: None,
    },
];

fn text(c: &Case) -> String {
    let date = if c.krate == "datetime" {
        "2099-01-01T00:00:00Z"
    } else {
        "2099-01-01"
    };
    format!(
        "```toml\n[advisory]\nid = \"{}\"\npackage = \"{}\"\ndate = \"{date}\"\n{}\n{}```\n\n# {}\n\nSynthetic drift case.\n",
        c.id, c.krate, c.advisory, c.rest, c.what
    )
}

#[test]
fn drifted_advisories_load_or_are_skipped_like_rustsec_and_never_end_the_run() {
    let db = tempfile::tempdir().unwrap();
    crate::bad_input::copy_dir(&fixture_db(), db.path());
    let mut lock = String::from(
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n",
    );
    for c in CASES {
        lock.push_str(&format!(" \"{}\",\n", c.krate));
    }
    lock.push_str(" \"vulncrate\",\n]\n");
    for name in CASES.iter().map(|c| c.krate).chain(["vulncrate"]) {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ));
    }
    let lockfile = db.path().join("drift.lock");
    std::fs::write(&lockfile, lock).unwrap();
    for c in CASES {
        let dir = db.path().join("crates").join(c.krate);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{}.md", c.id)), text(c)).unwrap();
    }

    let r = run(&["--db", s(db.path()), "-n", "-f", s(&lockfile), "--json"]);
    assert_eq!(r.code, 1, "the run goes on: {}", r.stderr);
    let v = r.json();
    let reported: BTreeSet<String> = finding_set(&v).into_iter().map(|f| f.1).collect();
    let skipped: Vec<String> = v["database"]["skipped_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let fixture_only = run(&["--db", s(&fixture_db()), "-n", "-f", s(&lockfile), "--json"]);
    let fixture_count = fixture_only.json()["database"]["advisory_count"]
        .as_u64()
        .unwrap();
    let mut loaded = 0u64;
    for c in CASES {
        let rustsec_reads = text(c).parse::<rustsec::Advisory>().is_ok();
        let rel = format!("crates/{}/{}.md", c.krate, c.id);
        let was_skipped = skipped.iter().any(|s| s.starts_with(&rel));
        assert_eq!(
            !was_skipped, rustsec_reads,
            "{}: we and rustsec disagree on loading it",
            c.what
        );
        match c.expect {
            None => {
                assert!(was_skipped, "{}: should be skipped", c.what);
                assert!(
                    r.stderr.contains(&rel),
                    "{}: the warning names it: {}",
                    c.what,
                    r.stderr
                );
            }
            Some(report) => {
                assert!(!was_skipped, "{}: should load: {skipped:?}", c.what);
                assert_eq!(reported.contains(c.id), report, "{}: reported?", c.what);
                loaded += 1;
            }
        }
    }
    assert!(
        reported.contains("RUSTSEC-2099-0001"),
        "the rest of the database still applies"
    );
    assert_eq!(v["database"]["advisory_count"], fixture_count + loaded);
    let cvss4 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory"]["id"] == "RUSTSEC-2099-0102")
        .unwrap();
    assert_eq!(cvss4["advisory"]["severity"], "critical");
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "one warning line: {}",
        r.stderr
    );
    eprintln!(
        "drift: {} cases, {loaded} loaded, {} skipped with a warning, as rustsec reads them",
        CASES.len(),
        CASES.len() - loaded as usize
    );
}
