//! `history` on small repositories built here with git: exposure windows (a version that
//! leaves and comes back opens a second window, a deleted lockfile closes its windows, an
//! unreadable revision is reported and the windows go on), days after disclosure, and bad
//! input: not a repository, a missing ref, a shallow clone, a corrupt object, a blob too
//! large, a symlink named `Cargo.lock` — and nothing written into the repository.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs git in `dir` with a fixed identity and dates; panics when it fails.
pub fn git(dir: &Path, args: &[&str], date: &str) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A lockfile with `app` depending on the given (name, version) registry packages.
pub fn lock_with(pkgs: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n",
    );
    for (n, _) in pkgs {
        s.push_str(&format!(" \"{n}\",\n"));
    }
    s.push_str("]\n");
    for (n, v) in pkgs {
        s.push_str(&format!(
            "\n[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ));
    }
    s
}

/// Writes `files` (path, Some(text) or None to delete) and commits them on `date`.
pub fn commit(dir: &Path, date: &str, files: &[(&str, Option<&str>)]) -> String {
    for (p, text) in files {
        let path = dir.join(p);
        match text {
            Some(t) => {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, t).unwrap();
            }
            None => {
                let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
            }
        }
    }
    git(dir, &["add", "-A"], date);
    git(dir, &["commit", "-q", "--allow-empty", "-m", date], date);
    git(dir, &["rev-parse", "HEAD"], date)
}

/// The story of the windows test; returns the repository and its commits in order.
pub fn story() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"], "2098-12-01T00:00:00Z");
    let v = |x| lock_with(&[("vulncrate", x)]);
    let old = lock_with(&[("oldcrate", "0.1.0")]);
    let c = vec![
        commit(
            d,
            "2098-12-01T12:00:00Z",
            &[("Cargo.lock", Some(&v("1.1.0")))],
        ),
        commit(
            d,
            "2098-12-15T12:00:00Z",
            &[("README", Some("no lockfile change"))],
        ),
        commit(
            d,
            "2099-01-20T12:00:00Z",
            &[("Cargo.lock", Some(&v("1.2.0")))],
        ),
        commit(
            d,
            "2099-02-01T12:00:00Z",
            &[
                ("sub/Cargo.lock", Some(&old)),
                ("target/Cargo.lock", Some(&old)),
                (".hidden/Cargo.lock", Some(&old)),
            ],
        ),
        commit(
            d,
            "2099-02-10T12:00:00Z",
            &[("Cargo.lock", Some("[[package]]\nname = 1\n"))],
        ),
        commit(
            d,
            "2099-02-20T12:00:00Z",
            &[("Cargo.lock", Some(&v("1.2.3")))],
        ),
        commit(
            d,
            "2099-03-01T12:00:00Z",
            &[("Cargo.lock", Some(&v("1.1.0")))],
        ),
        commit(d, "2099-03-10T12:00:00Z", &[("sub", None)]),
    ];
    (dir, c)
}

fn history(repo: &Path, extra: &[&str]) -> Run {
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let mut args = vec!["history", s(repo), "--db", s(&db), "-n"];
    args.extend_from_slice(extra);
    run_in(cache.path(), &args)
}

fn json(repo: &Path, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["--format", "json", "--as-of", "2099-04-01"];
    args.extend_from_slice(extra);
    let r = history(repo, &args);
    assert!(r.code < 2, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    (r, v)
}

/// Every file under `dir` with its size and contents' length: what "nothing written"
/// compares.
fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path(), m.len()));
            }
        }
    }
    out.sort();
    out
}

/// (lockfile, advisory, introduced, fixed, fixed version, days, days after disclosure).
type WindowRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

#[test]
fn windows_follow_the_first_parent_history() {
    let (dir, c) = story();
    let before = listing(dir.path());
    let (run, v) = json(dir.path(), &[]);
    assert_eq!(
        run.code, 1,
        "open vulnerability windows fail: {}",
        run.stderr
    );
    assert_eq!(
        listing(dir.path()),
        before,
        "nothing is written into the repository"
    );
    assert_eq!(v["commits"], 8);
    assert_eq!(v["lockfile_revisions"], 6, "{v:#}");
    let got: Vec<WindowRow> = v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["lockfile"].as_str().unwrap().to_string(),
                w["advisory"].as_str().unwrap().to_string(),
                w["introduced"]["commit"].as_str().unwrap().to_string(),
                w["fixed"]["commit"].as_str().map(String::from),
                w["fixed"]["version"].as_str().map(String::from),
                w["days_exposed"].as_i64().unwrap(),
                w["days_after_disclosure"].as_i64().unwrap(),
            )
        })
        .collect();
    let w = |l: &str, a: &str, i: usize, f: Option<usize>, fv: Option<&str>, days, after| {
        (
            l.to_string(),
            a.to_string(),
            c[i].clone(),
            f.map(|f| c[f].clone()),
            fv.map(String::from),
            days,
            after,
        )
    };
    let want = vec![
        // 1.1.0 → 1.2.0 on 2099-01-20: 50 days, 19 after the advisory's 2099-01-01.
        w(
            "Cargo.lock",
            "RUSTSEC-2099-0001",
            0,
            Some(2),
            Some("1.2.0"),
            50,
            19,
        ),
        // Back to 1.1.0 on 2099-03-01: a second window, open at 2099-04-01.
        w("Cargo.lock", "RUSTSEC-2099-0001", 6, None, None, 31, 31),
        // 0002 lasts through 1.2.0 (the unreadable revision changes nothing) to 1.2.3.
        w(
            "Cargo.lock",
            "RUSTSEC-2099-0002",
            0,
            Some(5),
            Some("1.2.3"),
            81,
            49,
        ),
        w("Cargo.lock", "RUSTSEC-2099-0002", 6, None, None, 31, 31),
        // sub/ deleted: the window closes with no version. target/ and .hidden/ skipped.
        w(
            "sub/Cargo.lock",
            "RUSTSEC-2099-0003",
            3,
            Some(7),
            None,
            37,
            37,
        ),
    ];
    assert_eq!(got, want, "{v:#}");
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v:#}");
    assert_eq!(errors[0]["commit"], c[4].as_str());
    assert_eq!(v["summary"]["open"], 2);
    assert_eq!(v["summary"]["fixed"], 2);
    assert_eq!(v["summary"]["time_to_remediate_days"]["median"], 34.0);
    assert_eq!(v["summary"]["time_to_remediate_days"]["worst"], 49);
    // Other formats carry the same windows.
    let jsonl = history(dir.path(), &["--format", "jsonl", "--as-of", "2099-04-01"]);
    let lines: Vec<Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.iter().filter(|l| l["type"] == "window").count(), 5);
    assert_eq!(lines.last().unwrap()["type"], "summary");
    for format in ["table", "markdown"] {
        let t = history(dir.path(), &["--format", format, "--as-of", "2099-04-01"]);
        assert_eq!(t.code, 1, "{}", t.stderr);
        assert_eq!(
            t.stdout.matches("RUSTSEC-2099-0001").count(),
            2,
            "{}",
            t.stdout
        );
        assert!(t.stdout.contains("open"), "{}", t.stdout);
    }
    // --since keeps the later commits only; the first one walked lists its lockfiles.
    let (_, v) = json(dir.path(), &["--since", "2099-02-15"]);
    assert_eq!(v["commits"], 3);
    let intro: Vec<&str> = v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["introduced"]["commit"].as_str().unwrap())
        .collect();
    assert!(intro.iter().all(|i| *i == c[5] || *i == c[6]), "{v:#}");
    // A ref by short name, and a bare mirror, give the same windows.
    let mirror = tempfile::tempdir().unwrap();
    git(
        mirror.path(),
        &["clone", "-q", "--mirror", s(dir.path()), "m.git"],
        "2099-04-01T00:00:00Z",
    );
    let (_, m) = json(&mirror.path().join("m.git"), &["--ref", "main"]);
    assert_eq!(m["windows"], json(dir.path(), &[]).1["windows"]);
    assert_eq!(m["ref"], "refs/heads/main");
}

#[test]
fn bad_repositories_are_one_line_and_exit_2() {
    let plain = tempfile::tempdir().unwrap();
    let r = history(plain.path(), &[]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("not a git repository"), "{}", r.stderr);
    let r = history(&plain.path().join("missing"), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let (dir, _) = story();
    let r = history(dir.path(), &["--ref", "nosuchbranch"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no ref nosuchbranch"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[test]
fn a_shallow_clone_stops_where_the_clone_does_and_says_so() {
    let (dir, c) = story();
    let shallow = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    git(
        shallow.path(),
        &["clone", "-q", "--depth", "3", &url, "s"],
        "2099-04-01T00:00:00Z",
    );
    let (run, v) = json(&shallow.path().join("s"), &[]);
    assert_eq!(v["commits"], 3, "{v:#}");
    assert!(v["stopped"].as_str().unwrap().contains("shallow"), "{v:#}");
    assert!(run.stderr.contains("shallow"), "{}", run.stderr);
    let intro: Vec<&str> = v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["introduced"]["commit"].as_str().unwrap())
        .collect();
    assert!(
        intro.iter().all(|i| c[5..].contains(&i.to_string())),
        "{v:#}"
    );
}

#[test]
fn hostile_objects_are_revision_errors_and_the_walk_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"], "2099-01-05T00:00:00Z");
    let v110 = lock_with(&[("vulncrate", "1.1.0")]);
    let first = commit(d, "2099-01-05T00:00:00Z", &[("Cargo.lock", Some(&v110))]);
    // A symlink named Cargo.lock is never read.
    std::fs::create_dir_all(d.join("link")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", d.join("link/Cargo.lock")).unwrap();
    commit(d, "2099-01-06T00:00:00Z", &[]);
    // A lockfile larger than the limit is refused from its object header.
    let big = d.join("big/Cargo.lock");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(65 * 1024 * 1024).unwrap();
    let big_commit = commit(d, "2099-01-07T00:00:00Z", &[]);
    // A lockfile whose object is corrupt.
    let v120 = lock_with(&[("vulncrate", "1.2.0")]);
    let corrupt_commit = commit(d, "2099-01-08T00:00:00Z", &[("c/Cargo.lock", Some(&v120))]);
    let blob = git(
        d,
        &["rev-parse", "HEAD:c/Cargo.lock"],
        "2099-01-08T00:00:00Z",
    );
    let obj = d.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"not zlib at all").unwrap();
    let (run, v) = json(d, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let errors: Vec<(String, String, String)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["commit"].as_str().unwrap().to_string(),
                e["lockfile"].as_str().unwrap().to_string(),
                e["error"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 2, "{v:#}");
    assert_eq!(
        (errors[0].0.as_str(), errors[0].1.as_str()),
        (big_commit.as_str(), "big/Cargo.lock")
    );
    assert!(errors[0].2.contains("larger than"), "{errors:?}");
    assert_eq!(
        (errors[1].0.as_str(), errors[1].1.as_str()),
        (corrupt_commit.as_str(), "c/Cargo.lock")
    );
    assert!(
        v["windows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["lockfile"] == "Cargo.lock"),
        "{v:#}"
    );
    assert_eq!(v["windows"][0]["introduced"]["commit"], first.as_str());
}

fn scan_git(args: &[&str]) -> Run {
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let mut all = vec!["scan", "--git", "--db", s(&db), "-n"];
    all.extend_from_slice(args);
    run_in(cache.path(), &all)
}

fn scan_lines(r: &Run) -> Vec<Value> {
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn scan_git_reads_the_lockfiles_of_head_or_each_ref_without_a_checkout() {
    let (dir, c) = story();
    let d = dir.path();
    // A second branch where the lockfile is fixed.
    git(
        d,
        &["checkout", "-q", "-b", "fixed"],
        "2099-03-20T00:00:00Z",
    );
    let fixed = commit(
        d,
        "2099-03-20T00:00:00Z",
        &[("Cargo.lock", Some(&lock_with(&[("vulncrate", "1.2.3")])))],
    );
    git(d, &["checkout", "-q", "main"], "2099-03-20T00:00:00Z");
    let mirror_dir = tempfile::tempdir().unwrap();
    git(
        mirror_dir.path(),
        &["clone", "-q", "--mirror", s(d), "m.git"],
        "2099-04-01T00:00:00Z",
    );
    let mirror = mirror_dir.path().join("m.git");
    let before = listing(&mirror);
    let r = scan_git(&[s(&mirror)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        listing(&mirror),
        before,
        "nothing is written into the repository"
    );
    let out = scan_lines(&r);
    let locks: Vec<&Value> = out.iter().filter(|l| l["type"] == "lockfile").collect();
    // HEAD (main, at c[7]) has only the root lockfile: sub/ was deleted, and target/
    // and .hidden/ were never read.
    assert_eq!(locks.len(), 1, "{out:#?}");
    assert_eq!(locks[0]["git"]["commit"], c[7].as_str());
    assert_eq!(locks[0]["git"]["ref"], "HEAD");
    assert_eq!(locks[0]["git"]["lockfile"], "Cargo.lock");
    assert_eq!(locks[0]["key"], "m.git@HEAD:Cargo.lock");
    // The same findings as a scan of a checkout of that commit.
    let ids = |l: &Value| -> Vec<String> {
        let mut v: Vec<String> = l["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["advisory"]["id"], f["package"]["version"]))
            .collect();
        v.sort();
        v
    };
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let disk = run_in(
        cache.path(),
        &["scan", s(&d.join("Cargo.lock")), "--db", s(&db), "-n"],
    );
    assert_eq!(ids(locks[0]), ids(&scan_lines(&disk)[0]));
    assert!(!ids(locks[0]).is_empty());
    // Each branch, by pattern.
    let r = scan_git(&[s(&mirror), "--refs", "refs/heads/*"]);
    let refs: Vec<(String, String, usize)> = scan_lines(&r)
        .iter()
        .filter(|l| l["type"] == "lockfile")
        .map(|l| {
            (
                l["git"]["ref"].as_str().unwrap().to_string(),
                l["git"]["commit"].as_str().unwrap().to_string(),
                l["findings"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        refs,
        vec![
            ("refs/heads/fixed".to_string(), fixed.clone(), 0),
            (
                "refs/heads/main".to_string(),
                c[7].clone(),
                ids(locks[0]).len()
            ),
        ]
    );
    // A baseline of the mirror matches the next night's scan of it.
    let base = cache.path().join("base.jsonl");
    std::fs::write(&base, &r.stdout).unwrap();
    let again = scan_git(&[
        s(&mirror),
        "--refs",
        "refs/heads/*",
        "--baseline",
        s(&base),
        "--fail-on",
        "new",
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(scan_lines(&again).pop().unwrap()["baseline"]["new"], 0);
    // A path that is not a repository is an error line and the scan goes on; nothing at
    // all to scan is exit 2.
    let plain = tempfile::tempdir().unwrap();
    let r = scan_git(&[s(plain.path()), s(&mirror)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let errors: Vec<Value> = scan_lines(&r)
        .into_iter()
        .filter(|l| l["type"] == "lockfile" && !l["error"].is_null())
        .collect();
    assert_eq!(errors.len(), 1, "{}", r.stdout);
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains("not a git repository")
    );
    let r = scan_git(&[s(plain.path())]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let r = scan_git(&[s(&mirror), "--refs", "refs/heads/nothing-*"]);
    assert_eq!(
        r.code, 0,
        "no ref matched: nothing found, nothing failing: {}",
        r.stderr
    );
}

#[test]
fn a_window_names_the_affected_version_not_every_version_of_the_crate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"], "2099-01-05T00:00:00Z");
    let two = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"vulncrate 1.1.0\",\n \"vulncrate 1.2.3\",\n]\n\n[[package]]\nname = \"vulncrate\"\nversion = \"1.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"vulncrate\"\nversion = \"1.2.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let opened = commit(d, "2099-01-05T00:00:00Z", &[("Cargo.lock", Some(two))]);
    let closed = commit(
        d,
        "2099-01-09T00:00:00Z",
        &[("Cargo.lock", Some(&lock_with(&[("vulncrate", "1.2.3")])))],
    );
    let (_, v) = json(d, &[]);
    let w: Vec<&Value> = v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["advisory"] == "RUSTSEC-2099-0001")
        .collect();
    assert_eq!(w.len(), 1, "{v:#}");
    assert_eq!(w[0]["introduced"]["commit"], opened.as_str());
    assert_eq!(
        w[0]["introduced"]["version"], "1.1.0",
        "only the affected version"
    );
    assert_eq!(w[0]["fixed"]["commit"], closed.as_str());
    assert_eq!(w[0]["fixed"]["version"], "1.2.3");
}

#[test]
fn scan_git_history_gives_each_repository_its_own_history() {
    let (a, _) = story();
    let b = tempfile::tempdir().unwrap();
    git(
        b.path(),
        &["init", "-q", "-b", "main"],
        "2099-01-05T00:00:00Z",
    );
    commit(
        b.path(),
        "2099-01-05T00:00:00Z",
        &[("Cargo.lock", Some(&lock_with(&[("vulncrate", "1.1.0")])))],
    );
    commit(
        b.path(),
        "2099-02-05T00:00:00Z",
        &[("Cargo.lock", Some(&lock_with(&[("vulncrate", "1.2.3")])))],
    );
    let plain = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let r = run_in(
        cache.path(),
        &[
            "scan",
            "--git",
            "--history",
            s(a.path()),
            s(b.path()),
            s(plain.path()),
            "--db",
            s(&db),
            "-n",
            "--as-of",
            "2099-04-01",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = scan_lines(&r);
    for repo in [a.path(), b.path()] {
        let (_, single) = json(repo, &[]);
        let windows: Vec<Value> = out
            .iter()
            .filter(|l| l["type"] == "window" && l["repository"] == s(repo))
            .map(|l| {
                let mut w = l.clone();
                let o = w.as_object_mut().unwrap();
                for k in ["type", "repository", "ref"] {
                    o.remove(k);
                }
                w
            })
            .collect();
        assert_eq!(
            Value::from(windows),
            single["windows"],
            "{}",
            repo.display()
        );
        let summary = out
            .iter()
            .find(|l| l["type"] == "repository" && l["repository"] == s(repo))
            .unwrap();
        assert_eq!(summary["open"], single["summary"]["open"]);
    }
    let errors: Vec<&Value> = out.iter().filter(|l| !l["error"].is_null()).collect();
    assert_eq!(
        errors.len(),
        1,
        "the plain folder is an error line: {out:#?}"
    );
    let fleet = out.last().unwrap();
    assert_eq!(fleet["repositories"], 2);
    assert_eq!(fleet["errors"], 1);
    let r = run_in(
        cache.path(),
        &[
            "scan",
            "--git",
            "--history",
            s(plain.path()),
            "--db",
            s(&db),
            "-n",
        ],
    );
    assert_eq!(r.code, 2, "nothing readable: {}", r.stderr);
}
