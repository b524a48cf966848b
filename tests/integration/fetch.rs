//! `fetch` against a local git source made from `../shared/advisory-db.bundle` (no
//! network): a first fetch, an update that lists the advisories added and changed
//! between the two bundle commits (id, crate and title), an up-to-date fetch, a failing fetch that leaves the database intact,
//! and refusing to overwrite a folder we did not create.

use crate::common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const OLD: &str = "6d1a2a9";
const NEW: &str = "c962fb9";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Advisory ids in a commit, from its file names.
fn ids_at(repo: &Path, commit: &str) -> BTreeSet<String> {
    git(repo, &["ls-tree", "-r", "--name-only", commit])
        .lines()
        .filter(|p| p.starts_with("crates/") || p.starts_with("rust/"))
        .filter_map(|p| {
            p.rsplit('/')
                .next()?
                .strip_suffix(".md")
                .map(str::to_string)
        })
        .filter(|id| id.starts_with("RUSTSEC-") && id != "RUSTSEC-0000-0000")
        .collect()
}

/// `(id, crate, title)` of the advisory files that `git diff --diff-filter=FILTER` shows
/// between OLD and `commit`: the crate is the file's folder and the title its first
/// `# ` heading below the front matter.
fn described(repo: &Path, commit: &str, filter: &str) -> BTreeSet<(String, String, String)> {
    let filter = format!("--diff-filter={filter}");
    git(repo, &["diff", "--name-only", &filter, OLD, commit])
        .lines()
        .filter(|p| p.starts_with("crates/") || p.starts_with("rust/"))
        .filter_map(|p| {
            let mut parts = p.rsplit('/');
            let id = parts.next()?.strip_suffix(".md")?.to_string();
            let krate = parts.next()?.to_string();
            let text = git(repo, &["show", &format!("{commit}:{p}")]);
            // The first heading after the front matter's ```toml block (which may hold
            // `# ` comments of its own).
            let body = text.splitn(3, "```").nth(2).unwrap_or(&text);
            let title = body
                .lines()
                .find_map(|l| l.strip_prefix("# "))
                .unwrap_or_else(|| panic!("no title in {p}"))
                .trim()
                .to_string();
            Some((id, krate, title))
        })
        .collect()
}

/// The database commit an audit from `db` reports.
fn audited_commit(cache: &Path, db: &Path) -> String {
    let lock = lockfile("basic.lock");
    let r = run_in(cache, &["--db", s(db), "-n", "-f", s(&lock), "--json"]);
    r.json()["database"]["commit"].as_str().unwrap().to_string()
}

fn source_repo() -> Option<(tempfile::TempDir, std::path::PathBuf)> {
    let shared = shared()?;
    let bundle = shared.join("advisory-db.bundle");
    if Command::new("git").arg("--version").output().is_err() || !bundle.is_file() {
        eprintln!("skipping: git or the bundle is missing");
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let out = Command::new("git")
        .args(["clone", "-q"])
        .arg(&bundle)
        .arg(&src)
        .output()
        .unwrap();
    assert!(out.status.success());
    Some((tmp, src))
}

#[test]
fn fetch_then_update_lists_new_advisories() {
    let Some((tmp, src)) = source_repo() else {
        return;
    };
    git(&src, &["checkout", "-q", OLD]);
    let url = format!("file://{}", src.display());
    let db = tmp.path().join("cache/advisory-db");
    let cache = tmp.path().join("cache");

    let first = run_in(&cache, &["fetch", "--db-url", &url, "--db", s(&db)]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stdout.contains("Fetched commit"), "{}", first.stdout);
    assert!(db.join("crates").is_dir());

    // Audit from it: the report names the commit.
    let commit = audited_commit(&cache, &db);
    assert!(commit.starts_with(OLD), "{commit}");

    git(&src, &["checkout", "-q", NEW]);
    let second = run_in(&cache, &["fetch", "--db-url", &url, "--db", s(&db)]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    // Each new and each changed advisory is listed as `ID crate: title`, as the newer
    // commit's file names it.
    let listed = |what: &str| -> BTreeSet<(String, String, String)> {
        let prefix = format!("  {what}: ");
        second
            .stdout
            .lines()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .map(|l| {
                let (head, title) = l.split_once(": ").unwrap_or_else(|| panic!("{l}"));
                let (id, krate) = head.split_once(' ').unwrap_or_else(|| panic!("{l}"));
                (id.to_string(), krate.to_string(), title.to_string())
            })
            .collect()
    };
    let new_ids: BTreeSet<String> = ids_at(&src, NEW)
        .difference(&ids_at(&src, OLD))
        .cloned()
        .collect();
    let expected_new = described(&src, NEW, "A");
    assert!(!expected_new.is_empty());
    assert_eq!(
        expected_new
            .iter()
            .map(|e| e.0.clone())
            .collect::<BTreeSet<_>>(),
        new_ids
    );
    assert_eq!(listed("new"), expected_new);
    let expected_changed = described(&src, NEW, "M");
    assert!(!expected_changed.is_empty());
    assert_eq!(listed("changed"), expected_changed);
    assert!(
        second.stdout.contains(&format!(
            ": {} new, {} changed, 0 removed",
            expected_new.len(),
            expected_changed.len()
        )),
        "{}",
        second.stdout
    );
    let commit = audited_commit(&cache, &db);
    assert!(commit.starts_with(NEW), "{commit}");
    let lock = lockfile("basic.lock");
    let r = run_in(&cache, &["--db", s(&db), "-n", "-f", s(&lock), "--json"]);
    assert_eq!(r.json()["database"]["advisory_count"], 1225);

    let third = run_in(&cache, &["fetch", "--db-url", &url, "--db", s(&db)]);
    assert_eq!(third.code, 0);
    assert!(third.stdout.contains("Up to date"), "{}", third.stdout);

    // A failing fetch leaves the database as it was, and no temporary folders behind.
    let bad = run_in(
        &cache,
        &[
            "fetch",
            "-q",
            "--db-url",
            "file:///nonexistent/advisory-db",
            "--db",
            s(&db),
        ],
    );
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("nonexistent"), "{}", bad.stderr);
    let commit = audited_commit(&cache, &db);
    assert!(commit.starts_with(NEW), "{commit}");
    let leftovers: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            [".new-", ".clone-", ".old-", ".trash-"]
                .iter()
                .any(|t| n.contains(t))
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn audit_fetches_when_no_database_and_online() {
    let Some((tmp, src)) = source_repo() else {
        return;
    };
    let db = tmp.path().join("db");
    let lock = lockfile("basic.lock");
    let out = Command::new(bin())
        .args(["--db", s(&db), "-f", s(&lock), "--json"])
        .env("DEPAUDIT_CACHE_DIR", tmp.path().join("cache"))
        .env("DEPAUDIT_DB_URL", format!("file://{}", src.display()))
        .output()
        .unwrap();
    let r = finish(out);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(db.join("crates").is_dir());
}

#[test]
fn fetch_refuses_to_replace_a_foreign_folder() {
    let Some((tmp, src)) = source_repo() else {
        return;
    };
    let foreign = tmp.path().join("mine");
    std::fs::create_dir_all(foreign.join("notes")).unwrap();
    let url = format!("file://{}", src.display());
    let r = run_in(
        &tmp.path().join("cache"),
        &["fetch", "--db-url", &url, "--db", s(&foreign)],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("refusing"), "{}", r.stderr);
    assert!(foreign.join("notes").is_dir());
}

/// A git work tree passed as `--db` (cargo audit's own clone, say) reports its HEAD
/// commit and time. Only the network build reads git: the everyday binary hands the
/// run over to it, and the report is the same as when it is run directly.
#[test]
fn a_git_work_tree_as_the_database_reports_its_head_commit() {
    let Some((tmp, src)) = source_repo() else {
        return;
    };
    git(&src, &["checkout", "-q", NEW]);
    let head = git(&src, &["rev-parse", "HEAD"]).trim().to_string();
    let time = Command::new("git")
        .arg("-C")
        .arg(&src)
        .args([
            "log",
            "-1",
            "--date=format-local:%Y-%m-%dT%H:%M:%SZ",
            "--format=%cd",
        ])
        .env("TZ", "UTC")
        .output()
        .unwrap();
    let time = String::from_utf8_lossy(&time.stdout).trim().to_string();
    let lock = lockfile("basic.lock");
    let args = ["--db", s(&src), "-n", "-f", s(&lock), "--json"];
    let cache = tmp.path().join("cache");
    let everyday = run_in(&cache, &args);
    assert!(
        everyday.code == 0 || everyday.code == 1,
        "{}",
        everyday.stderr
    );
    let db = &everyday.json()["database"];
    assert_eq!(db["commit"].as_str(), Some(head.as_str()), "{db}");
    assert_eq!(db["last_updated"].as_str(), Some(time.as_str()), "{db}");
    let direct = finish(
        Command::new(network_build())
            .args(args)
            .env("DEPAUDIT_CACHE_DIR", &cache)
            .env("CARGO_HOME", cache.join("cargo-home"))
            .output()
            .unwrap(),
    );
    assert_eq!(direct.stdout, everyday.stdout);
    // A snapshot marker that does not read says nothing: git is still asked.
    std::fs::write(src.join(".depaudit-snapshot.toml"), "not = [toml").unwrap();
    let marked = run_in(&cache, &args);
    assert_eq!(
        marked.json()["database"]["commit"].as_str(),
        Some(head.as_str())
    );
}

/// Without the network build beside it, `cargo-depaudit` still audits offline, and a
/// run that needs the network fails with one line that names what is missing.
#[test]
fn without_the_network_build_offline_audits_work_and_fetch_says_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let alone = tmp.path().join("cargo-depaudit");
    std::fs::copy(bin(), &alone).unwrap();
    let lock = lockfile("basic.lock");
    let run_alone = |args: &[&str]| {
        finish(
            Command::new(&alone)
                .args(args)
                .env("DEPAUDIT_CACHE_DIR", tmp.path().join("cache"))
                .env("CARGO_HOME", tmp.path().join("cargo-home"))
                .output()
                .unwrap(),
        )
    };
    let audit = run_alone(&["--db", s(&fixture_db()), "-n", "-f", s(&lock), "--json"]);
    assert!(audit.code == 0 || audit.code == 1, "{}", audit.stderr);
    assert!(!audit.json()["findings"].as_array().unwrap().is_empty());

    let url = format!("file://{}", tmp.path().join("nowhere").display());
    let db = tmp.path().join("db");
    for args in [
        vec!["fetch", "--db-url", url.as_str(), "--db", s(&db)],
        vec!["--db", s(&db), "-f", s(&lock)],
    ] {
        let r = run_alone(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
        assert!(r.stderr.contains("depaudit-net"), "{}", r.stderr);
        assert!(!db.exists());
    }
}
