//! `scan`: one line per lockfile equal to single audits, a summary with top fixes, bad
//! lockfiles reported without ending the scan, hostile trees, and baselines across two
//! database commits.

use crate::common::*;
use std::collections::BTreeSet;

fn lines(r: &Run) -> Vec<serde_json::Value> {
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn scan_of_corpus_equals_single_audits() {
    let Some(shared) = shared() else { return };
    let db = shared.join("advisory-db");
    let cache = tempfile::tempdir().unwrap();
    let corpus = shared.join("corpus");
    let r = run_in(
        cache.path(),
        &["scan", s(&corpus), "--db", s(&db), "-n", "--jobs", "2"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = lines(&r);
    assert_eq!(out.len(), 56, "55 lockfiles and a summary");
    let summary = out.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["lockfiles"], 55);
    assert_eq!(summary["errors"], 0);
    assert!(!summary["top_fixes"].as_array().unwrap().is_empty());
    let mut total = 0;
    for line in &out[..55] {
        let path = line["path"].as_str().unwrap();
        let single = run_in(cache.path(), &["--db", s(&db), "-n", "-f", path, "--json"]);
        let want = finding_set(&single.json());
        let got = finding_set(&serde_json::json!({"findings": line["findings"]}));
        assert_eq!(got, want, "{path}");
        assert_eq!(line["packages"], single.json()["lockfile"]["packages"]);
        total += got.len();
    }
    let by_kind: usize = summary["findings"]["by_kind"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap() as usize)
        .sum();
    assert_eq!(by_kind, total);
}

#[test]
fn bad_lockfiles_and_hostile_entries_do_not_end_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("good")).unwrap();
    std::fs::copy(lockfile("basic.lock"), root.join("good/Cargo.lock")).unwrap();
    std::fs::create_dir_all(root.join("bad")).unwrap();
    std::fs::write(root.join("bad/Cargo.lock"), b"\x00\x01binary").unwrap();
    std::fs::create_dir_all(root.join("target/debug")).unwrap();
    std::fs::copy(lockfile("basic.lock"), root.join("target/debug/Cargo.lock")).unwrap();
    std::fs::create_dir_all(root.join(".hidden")).unwrap();
    std::fs::copy(lockfile("basic.lock"), root.join(".hidden/Cargo.lock")).unwrap();
    #[cfg(unix)]
    {
        // a link loop, a link out of the root, a FIFO named Cargo.lock, a newline in a name
        std::os::unix::fs::symlink(root, root.join("good/loop")).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::copy(lockfile("basic.lock"), outside.path().join("Cargo.lock")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        std::fs::create_dir_all(root.join("fifo")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("fifo/Cargo.lock"))
            .status();
        assert!(status.is_ok_and(|s| s.success()));
        std::fs::create_dir_all(root.join("new\nline")).unwrap();
        std::fs::copy(lockfile("basic.lock"), root.join("new\nline/Cargo.lock")).unwrap();
    }
    let db = fixture_db();
    let r = run(&["scan", s(root), "--db", s(&db), "-n"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = lines(&r);
    let paths: BTreeSet<String> = out[..out.len() - 1]
        .iter()
        .map(|l| l["path"].as_str().unwrap().to_string())
        .collect();
    let mut want: BTreeSet<String> = [root.join("bad/Cargo.lock"), root.join("good/Cargo.lock")]
        .iter()
        .map(|p| s(p).to_string())
        .collect();
    #[cfg(unix)]
    want.insert(s(&root.join("new\nline/Cargo.lock")).to_string());
    assert_eq!(paths, want);
    let bad = out
        .iter()
        .find(|l| l["path"].as_str().unwrap().ends_with("bad/Cargo.lock"))
        .unwrap();
    assert!(bad["error"].as_str().unwrap().contains("binary"), "{bad}");
    assert_eq!(out.last().unwrap()["errors"], 1);
    // every line is one line: the newline in the name is escaped by JSON
    assert_eq!(r.stdout.lines().count(), out.len());
}

#[test]
fn baseline_marks_exactly_the_advisories_added_between_commits_as_new() {
    let Some(shared) = shared() else { return };
    let bundle = shared.join("advisory-db.bundle");
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .args(args)
            .output()
            .expect("git");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    git(&["clone", "-q", s(&bundle), s(&src)]);
    git(&["-C", s(&src), "checkout", "-q", "6d1a2a9"]);
    let url = format!("file://{}", src.display());
    let cache = tmp.path().join("cache");
    let db = cache.join("db");
    assert_eq!(
        run_in(&cache, &["fetch", "-q", "--db-url", &url, "--db", s(&db)]).code,
        0
    );
    let corpus = shared.join("corpus");
    let first = run_in(&cache, &["scan", s(&corpus), "--db", s(&db), "-n"]);
    let base = tmp.path().join("base.jsonl");
    std::fs::write(&base, &first.stdout).unwrap();

    git(&["-C", s(&src), "checkout", "-q", "c962fb9"]);
    assert_eq!(
        run_in(&cache, &["fetch", "-q", "--db-url", &url, "--db", s(&db)]).code,
        0
    );
    let second = run_in(
        &cache,
        &[
            "scan",
            s(&corpus),
            "--db",
            s(&db),
            "-n",
            "--baseline",
            s(&base),
            "--fail-on",
            "new",
        ],
    );
    let ids = |c: &str| -> BTreeSet<String> {
        git(&["-C", s(&src), "ls-tree", "-r", "--name-only", c])
            .lines()
            .filter_map(|p| {
                p.rsplit('/')
                    .next()?
                    .strip_suffix(".md")
                    .map(str::to_string)
            })
            .collect()
    };
    let added: BTreeSet<String> = ids("c962fb9")
        .difference(&ids("6d1a2a9"))
        .cloned()
        .collect();
    let mut new_ids = BTreeSet::new();
    let mut new_count = 0;
    for line in lines(&second).iter().filter(|l| l["type"] == "lockfile") {
        for f in line["findings"].as_array().unwrap() {
            let id = f["advisory"]["id"].as_str().unwrap().to_string();
            match f["status"].as_str().unwrap() {
                "new" => {
                    assert!(added.contains(&id), "{id} is new but was not added");
                    new_ids.insert(id);
                    new_count += 1;
                }
                "unchanged" => assert!(!added.contains(&id), "{id} was added but not new"),
                other => panic!("status {other}"),
            }
        }
    }
    assert!(new_count > 0);
    let summary = lines(&second).pop().unwrap();
    assert_eq!(summary["baseline"]["new"], new_count);
    // new vulnerabilities exist, so --fail-on new fails
    assert_eq!(second.code, 1);
    // a scan against its own baseline has nothing new and passes with --fail-on new
    let again = tmp.path().join("again.jsonl");
    std::fs::write(&again, &second.stdout).unwrap();
    let third = run_in(
        &cache,
        &[
            "scan",
            s(&corpus),
            "--db",
            s(&db),
            "-n",
            "--baseline",
            s(&again),
            "--fail-on",
            "new",
        ],
    );
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(lines(&third).pop().unwrap()["baseline"]["new"], 0);
}
