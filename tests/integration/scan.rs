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

/// `scan ROOT --db <fixture db> -n` plus the arguments given, with this cache.
fn scanner<'a>(
    root: &'a std::path::Path,
    cache: &'a std::path::Path,
) -> impl Fn(&[&str]) -> Run + 'a {
    move |extra: &[&str]| {
        let db = fixture_db();
        let mut args = vec!["scan", s(root), "--db", s(&db), "-n"];
        args.extend_from_slice(extra);
        run_in(cache, &args)
    }
}

/// A tree of `n` copies of the fixture lockfile and one unreadable lockfile.
fn fixture_tree(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let d = dir.path().join(format!("repo{i:02}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(lockfile("basic.lock"), d.join("Cargo.lock")).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("broken")).unwrap();
    std::fs::write(
        dir.path().join("broken/Cargo.lock"),
        "[[package]]\nname = 1\n",
    )
    .unwrap();
    dir
}

/// (lockfile, id, crate, version) of the live findings of a JSON Lines scan.
fn jsonl_findings(r: &Run) -> BTreeSet<(String, String, String, String)> {
    let mut out = BTreeSet::new();
    for l in lines(r).iter().filter(|l| l["type"] == "lockfile") {
        for f in l["findings"].as_array().unwrap() {
            if f["ignored"] == false {
                out.insert((
                    l["path"].as_str().unwrap().to_string(),
                    f["advisory"]["id"].as_str().unwrap().to_string(),
                    f["package"]["name"].as_str().unwrap().to_string(),
                    f["package"]["version"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

/// The rows of the Markdown table under `heading`, split into trimmed cells.
fn md_rows(md: &str, heading: &str) -> Vec<Vec<String>> {
    md.split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("no {heading} in:\n{md}"))
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and rule
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect()
}

#[test]
fn markdown_scan_has_every_lockfile_the_same_findings_and_baseline_status() {
    let tree = fixture_tree(3);
    let cache = tempfile::tempdir().unwrap();
    let scan = scanner(tree.path(), cache.path());
    let jsonl = scan(&[]);
    assert_eq!(jsonl.code, 1, "{}", jsonl.stderr);
    let md = scan(&["--format", "markdown"]);
    assert_eq!(md.code, 1, "{}", md.stderr);
    let text = &md.stdout;
    assert!(
        text.starts_with("### cargo-depaudit scan: ❌ **FAIL**: 4 lockfiles"),
        "{text}"
    );

    let per_lockfile = md_rows(text, "#### Lockfiles");
    assert_eq!(per_lockfile.len(), 4, "{text}");
    for l in lines(&jsonl).iter().filter(|l| l["type"] == "lockfile") {
        let path = l["path"].as_str().unwrap();
        let row = per_lockfile.iter().find(|r| r[0] == path).unwrap();
        match l["packages"].as_u64() {
            Some(n) => assert_eq!(row[1], n.to_string()),
            None => assert!(!row[4].is_empty(), "the error is in the row: {row:?}"),
        }
    }
    let rows: BTreeSet<_> = md_rows(text, "#### Findings")
        .into_iter()
        .map(|r| {
            let id = r[1]
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap()
                .to_string();
            (r[0].clone(), id, r[2].clone(), r[3].clone())
        })
        .collect();
    assert_eq!(rows, jsonl_findings(&jsonl));
    assert!(
        text.contains("#### Top fixes\n\n1. vulncrate → 1.2.3 (")
            && text.contains("   - `cargo update -p vulncrate@1.1.0 --precise 1.2.3`\n"),
        "{text}"
    );
    let errors = text.split("#### Errors").nth(1).expect("an Errors section");
    assert!(errors.contains("broken/Cargo.lock"), "{errors}");

    // Against a baseline that lacks one finding and has one that is gone.
    let mut base: Vec<serde_json::Value> = lines(&jsonl);
    let first = base
        .iter_mut()
        .find(|l| l["findings"].as_array().is_some_and(|f| !f.is_empty()))
        .unwrap();
    let dropped = first["findings"].as_array_mut().unwrap().remove(0);
    let mut gone = dropped.clone();
    gone["advisory"]["id"] = "RUSTSEC-2099-0999".into();
    first["findings"].as_array_mut().unwrap().push(gone);
    let base_file = cache.path().join("base.jsonl");
    let base_text: String = base.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(&base_file, base_text).unwrap();
    let md = scan(&["--format", "markdown", "--baseline", s(&base_file)]);
    let text = &md.stdout;
    assert!(
        text.contains("Against the baseline: 1 new, 1 fixed"),
        "{text}"
    );
    let rows = md_rows(text, "#### Findings");
    let new: Vec<_> = rows.iter().filter(|r| r.last().unwrap() == "new").collect();
    assert_eq!(new.len(), 1, "{text}");
    assert_eq!(
        new[0][1].split(']').next().unwrap().trim_start_matches('['),
        dropped["advisory"]["id"].as_str().unwrap()
    );
    let fixed = text
        .split("#### Fixed since the baseline")
        .nth(1)
        .expect("a Fixed section");
    assert!(fixed.contains("RUSTSEC-2099-0999"), "{fixed}");
}

#[test]
fn progress_line_only_on_a_terminal_and_not_with_quiet() {
    let tree = fixture_tree(30);
    let db = fixture_db();
    let cache = tempfile::tempdir().unwrap();
    let args = [
        "scan",
        s(tree.path()),
        "--db",
        s(&db),
        "-n",
        "--jobs",
        "1",
        "-o",
    ];
    let sink = cache.path().join("out.jsonl");
    // Standard error is a pipe here: no progress, even with no delay before it appears.
    let out = std::process::Command::new(bin())
        .args(args)
        .arg(&sink)
        .env("DEPAUDIT_CACHE_DIR", cache.path())
        .env("DEPAUDIT_PROGRESS_DELAY_MS", "0")
        .output()
        .unwrap();
    let r = finish(out);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("scanned 31 lockfiles"), "{}", r.stderr);
    assert!(!r.stderr.contains('\r'), "{:?}", r.stderr);
    assert!(
        !r.stderr.contains("lockfiles]") && !r.stderr.contains("/31"),
        "{:?}",
        r.stderr
    );

    // The same run on a terminal (a pseudo-terminal from `script`) draws the line,
    // and --quiet silences it.
    let on_tty = |quiet: bool| -> Option<String> {
        let cmd = format!(
            "'{}' {} '{}'{}",
            bin(),
            args.iter()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(" "),
            s(&sink),
            if quiet { " -q" } else { "" }
        );
        let out = std::process::Command::new("script")
            .args(["-q", "-e", "-c", &cmd, "/dev/null"])
            .env("DEPAUDIT_CACHE_DIR", cache.path())
            .env("DEPAUDIT_PROGRESS_DELAY_MS", "0")
            .output()
            .ok()
            .filter(|o| o.status.code() == Some(1))?;
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    match on_tty(false) {
        Some(tty) => {
            assert!(tty.contains("\r["), "{tty:?}");
            assert!(tty.contains("] 31/31 lockfiles"), "{tty:?}");
            let quiet = on_tty(true).unwrap();
            assert!(!quiet.contains("lockfiles"), "{quiet:?}");
        }
        None => eprintln!("skipping the terminal half: no working `script`"),
    }
}

#[test]
fn a_lockfile_that_stays_unreadable_does_not_fail_fail_on_new_forever() {
    let dir = fixture_tree(2); // two readable lockfiles and broken/Cargo.lock
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", s(dir.path()), "--db", s(&db), "-n", "-q"];
        args.extend_from_slice(extra);
        run_in(cache.path(), &args)
    };
    let first = scan(&[]);
    assert_eq!(
        first.code, 1,
        "findings and an unreadable lockfile fail `any`"
    );
    let base = cache.path().join("base.jsonl");
    std::fs::write(&base, &first.stdout).unwrap();
    // Nothing new: the same unreadable lockfile is not a new error.
    let again = scan(&["--baseline", s(&base), "--fail-on", "new"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let summary = lines(&again).pop().unwrap();
    assert_eq!(summary["baseline"]["new_errors"], 0, "{summary:#}");
    assert_eq!(summary["errors"], 1);
    // `errors` counts every unreadable lockfile, with or without `new`.
    assert_eq!(
        scan(&["--baseline", s(&base), "--fail-on", "new,errors"]).code,
        1
    );
    assert_eq!(scan(&["--fail-on", "errors"]).code, 1);
    // A lockfile readable in the baseline and unreadable now is a new error.
    std::fs::write(
        dir.path().join("repo00/Cargo.lock"),
        "[[package]]\nname = 2\n",
    )
    .unwrap();
    let worse = scan(&["--baseline", s(&base), "--fail-on", "new"]);
    assert_eq!(worse.code, 1, "{}", worse.stdout);
    assert_eq!(lines(&worse).pop().unwrap()["baseline"]["new_errors"], 1);
    // A path that does not exist is a usage error.
    let missing = run_in(
        cache.path(),
        &["scan", s(&dir.path().join("nope")), "--db", s(&db), "-n"],
    );
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert_eq!(missing.stderr.lines().count(), 1, "{}", missing.stderr);
    assert!(missing.stderr.contains("nope"), "{}", missing.stderr);
}

#[test]
fn a_missing_baseline_is_a_first_run_and_a_file_that_is_not_one_is_an_error() {
    let dir = fixture_tree(1);
    std::fs::remove_dir_all(dir.path().join("broken")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let scan = |base: &std::path::Path| {
        run_in(
            cache.path(),
            &[
                "scan",
                s(dir.path()),
                "--db",
                s(&db),
                "-n",
                "--baseline",
                s(base),
                "--fail-on",
                "new",
            ],
        )
    };
    // The first night: no baseline yet. Every finding is new, and the run says so.
    let first = scan(&cache.path().join("yesterday.jsonl"));
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(first.stderr.contains("first run"), "{}", first.stderr);
    let summary = lines(&first).pop().unwrap();
    assert!(
        summary["baseline"]["new"].as_u64().unwrap() > 0,
        "{summary:#}"
    );
    // An audit report or `{}` is not an empty baseline.
    for (name, text) in [
        (
            "audit.json",
            run_in(
                cache.path(),
                &[
                    "--db",
                    s(&db),
                    "-n",
                    "--json",
                    "-f",
                    s(&lockfile("basic.lock")),
                ],
            )
            .stdout,
        ),
        ("empty.json", "{}\n".to_string()),
    ] {
        let p = cache.path().join(name);
        std::fs::write(&p, text).unwrap();
        let r = scan(&p);
        assert_eq!(r.code, 2, "{name}: {}{}", r.stdout, r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains("not a scan baseline"), "{}", r.stderr);
        assert!(r.stderr.contains(name), "{}", r.stderr);
    }
}

#[test]
fn the_scan_table_shows_no_null_and_scan_takes_paths_like_audit() {
    let dir = fixture_tree(1);
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let r = run_in(
        cache.path(),
        &[
            "scan",
            s(dir.path()),
            "--db",
            s(&db),
            "-n",
            "-q",
            "--format",
            "table",
            "--paths",
            "1",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stdout.contains("null"), "{}", r.stdout);
    let broken = r
        .stdout
        .lines()
        .find(|l| l.contains("broken/Cargo.lock"))
        .unwrap();
    assert!(broken.contains(" - "), "{broken}");
}

/// Runs a scan in `cwd` with the fixture database.
/// The keys of a scan's lockfile lines.
fn lockfile_keys(lines: &[serde_json::Value]) -> BTreeSet<String> {
    lines
        .iter()
        .filter(|v| v["type"] == "lockfile")
        .map(|v| v["key"].as_str().unwrap().to_string())
        .collect()
}

fn scan_in(cwd: &std::path::Path, cache: &std::path::Path, args: &[&str]) -> Run {
    let db = fixture_db();
    let mut cmd = std::process::Command::new(bin());
    cmd.arg("scan")
        .args(args)
        .args(["--db", s(&db), "-n"])
        .current_dir(cwd)
        .env("DEPAUDIT_CACHE_DIR", cache)
        .env("CARGO_HOME", cache.join("cargo-home"))
        .env_remove("DEPAUDIT_DB")
        .env("NO_COLOR", "1");
    finish(cmd.output().unwrap())
}

#[test]
fn a_baseline_is_keyed_by_path_in_the_root_however_the_root_is_spelled() {
    let top = tempfile::tempdir().unwrap();
    let fleet = top.path().join("fleet");
    for r in ["a", "b/c"] {
        std::fs::create_dir_all(fleet.join(r)).unwrap();
        std::fs::copy(lockfile("basic.lock"), fleet.join(r).join("Cargo.lock")).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let base = cache.path().join("base.jsonl");
    let first = scan_in(top.path(), cache.path(), &["fleet", "-o", s(&base)]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let written = std::fs::read_to_string(&base).unwrap();
    let keys = lockfile_keys(
        &written
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        keys,
        BTreeSet::from(["a/Cargo.lock".to_string(), "b/c/Cargo.lock".to_string()])
    );
    assert!(written.contains("RUSTSEC-2099-0001"), "{written}");
    // The same fleet, spelled three ways: nothing is new, nothing fixed.
    for (cwd, root) in [
        (top.path().to_path_buf(), s(&fleet).to_string()),
        (fleet.clone(), ".".to_string()),
        (fleet.join("a"), "..".to_string()),
        (top.path().to_path_buf(), "./fleet/".to_string()),
    ] {
        let r = scan_in(
            &cwd,
            cache.path(),
            &[&root, "--baseline", s(&base), "--fail-on", "new"],
        );
        assert_eq!(r.code, 0, "{root} in {}: {}", cwd.display(), r.stderr);
        let summary = lines(&r).pop().unwrap();
        assert_eq!(summary["baseline"]["new"], 0, "{root}: {summary:#}");
        assert_eq!(summary["baseline"]["fixed"], 0, "{root}: {summary:#}");
    }
    // A baseline of another root is an error, not a night where everything is new.
    let r = scan_in(
        top.path(),
        cache.path(),
        &["fleet/b", "--baseline", s(&base), "--fail-on", "new"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("a baseline for a scan of"),
        "{}",
        r.stderr
    );
    // Several roots: each key starts with its root's folder name.
    let r = scan_in(top.path(), cache.path(), &["fleet/a", "fleet/b"]);
    let keys = lockfile_keys(&lines(&r));
    assert_eq!(
        keys,
        BTreeSet::from(["a/Cargo.lock".to_string(), "b/c/Cargo.lock".to_string()])
    );
}

#[test]
fn each_repository_policy_applies_merged_with_the_fleet_config() {
    let top = tempfile::tempdir().unwrap();
    for r in ["plain", "reviewed"] {
        std::fs::create_dir_all(top.path().join(r)).unwrap();
        std::fs::copy(
            lockfile("basic.lock"),
            top.path().join(r).join("Cargo.lock"),
        )
        .unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let live = |r: &Run, repo: &str| -> BTreeSet<String> {
        lines(r)
            .iter()
            .filter(|v| v["type"] == "lockfile" && v["key"] == format!("{repo}/Cargo.lock"))
            .flat_map(|v| v["findings"].as_array().unwrap().clone())
            .filter(|f| f["ignored"] == false)
            .map(|f| f["advisory"]["id"].as_str().unwrap_or("yanked").to_string())
            .collect()
    };
    let before = scan_in(top.path(), cache.path(), &["."]);
    let all = live(&before, "plain");
    assert!(all.contains("RUSTSEC-2099-0001"), "{all:?}");
    // The reviewed repository ignores one advisory in its own depaudit.toml.
    std::fs::write(
        top.path().join("reviewed/depaudit.toml"),
        "[[ignore]]\nid = \"RUSTSEC-2099-0001\"\nreason = \"reviewed\"\n",
    )
    .unwrap();
    let r = scan_in(top.path(), cache.path(), &["."]);
    assert!(!live(&r, "reviewed").contains("RUSTSEC-2099-0001"));
    assert!(live(&r, "plain").contains("RUSTSEC-2099-0001"));
    // --no-repo-policy: only the fleet's view.
    let r = scan_in(top.path(), cache.path(), &[".", "--no-repo-policy"]);
    assert!(live(&r, "reviewed").contains("RUSTSEC-2099-0001"));
    // A fleet config adds its denied kinds to every repository, and its ignores; the
    // repository's own ignore still applies.
    let fleet = cache.path().join("fleet.toml");
    std::fs::write(
        &fleet,
        "deny = [\"unmaintained\"]\n[[ignore]]\nid = \"RUSTSEC-2099-0002\"\nreason = \"fleet-wide\"\n",
    )
    .unwrap();
    let r = scan_in(top.path(), cache.path(), &[".", "--config", s(&fleet)]);
    let reviewed = live(&r, "reviewed");
    let plain = live(&r, "plain");
    assert!(!reviewed.contains("RUSTSEC-2099-0001") && !reviewed.contains("RUSTSEC-2099-0002"));
    assert!(plain.contains("RUSTSEC-2099-0001") && !plain.contains("RUSTSEC-2099-0002"));
    let json = scan_in(
        top.path(),
        cache.path(),
        &[".", "--config", s(&fleet), "--format", "json"],
    );
    let unmaintained_only = scan_in(
        top.path(),
        cache.path(),
        &[
            ".",
            "--config",
            s(&fleet),
            "--ignore",
            "RUSTSEC-2099-0001",
            "--no-repo-policy",
        ],
    );
    assert_eq!(json.code, 1);
    assert!(
        unmaintained_only.code == 1,
        "the fleet's unmaintained deny fails: {}",
        unmaintained_only.stdout
    );
    // A broken or linked policy file is that repository's error line; the scan goes on.
    std::fs::write(
        top.path().join("reviewed/depaudit.toml"),
        "deny = [\"typo\"]\n",
    )
    .unwrap();
    let r = scan_in(top.path(), cache.path(), &["."]);
    let errors: Vec<String> = lines(&r)
        .iter()
        .filter(|v| v["type"] == "lockfile" && !v["error"].is_null())
        .map(|v| v["error"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("depaudit.toml:1: deny"), "{errors:?}");
    assert!(live(&r, "plain").contains("RUSTSEC-2099-0001"));
    std::fs::remove_file(top.path().join("reviewed/depaudit.toml")).unwrap();
    std::os::unix::fs::symlink(&fleet, top.path().join("reviewed/depaudit.toml")).unwrap();
    let r = scan_in(top.path(), cache.path(), &["."]);
    let errors: Vec<String> = lines(&r)
        .iter()
        .filter(|v| !v["error"].is_null() && v["type"] == "lockfile")
        .map(|v| v["error"].as_str().unwrap().to_string())
        .collect();
    assert!(
        errors.len() == 1 && errors[0].contains("symbolic link"),
        "{errors:?}"
    );
}

#[test]
fn top_fixes_group_one_upgrade_across_starting_versions() {
    let dir = fixture_tree(3);
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let r = run_in(cache.path(), &["scan", s(dir.path()), "--db", s(&db), "-n"]);
    let summary = lines(&r).pop().unwrap();
    let top = summary["top_fixes"].as_array().unwrap();
    let vuln: Vec<&serde_json::Value> = top
        .iter()
        .filter(|f| f["fix"].as_str().unwrap().starts_with("vulncrate"))
        .collect();
    // vulncrate 1.1.0 and 1.2.0 both end at 1.2.3: one upgrade, two starting points,
    // every finding of the three lockfiles.
    assert_eq!(vuln.len(), 1, "{top:#?}");
    assert_eq!(vuln[0]["fix"], "vulncrate → 1.2.3");
    assert_eq!(vuln[0]["from"], serde_json::json!(["1.1.0", "1.2.0"]));
    assert_eq!(vuln[0]["lockfiles"], 3);
    let per_lockfile: usize = lines(&r)
        .iter()
        .filter(|l| l["type"] == "lockfile" && l["error"].is_null())
        .map(|l| {
            l["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["package"]["name"] == "vulncrate" && f["kind"] == "vulnerability")
                .count()
        })
        .sum();
    assert_eq!(vuln[0]["findings"], per_lockfile);
    assert_eq!(vuln[0]["commands"].as_array().unwrap().len(), 2);
}

#[test]
fn by_advisory_regroups_the_same_findings_and_advisory_answers_are_we_affected() {
    let dir = fixture_tree(3);
    let cache = tempfile::tempdir().unwrap();
    let scan = scanner(dir.path(), cache.path());
    let per_lockfile = scan(&[]);
    let mut want: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    for l in lines(&per_lockfile)
        .iter()
        .filter(|l| l["type"] == "lockfile")
    {
        for f in l["findings"].as_array().unwrap() {
            if let Some(id) = f["advisory"]["id"].as_str() {
                want.insert((
                    id.to_string(),
                    l["key"].as_str().unwrap().to_string(),
                    f["package"]["name"].as_str().unwrap().to_string(),
                    f["package"]["version"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    let grouped = scan(&["--by", "advisory"]);
    assert_eq!(grouped.code, per_lockfile.code);
    let mut got = BTreeSet::new();
    let out = lines(&grouped);
    for g in out.iter().filter(|g| g["type"] == "advisory") {
        for h in g["found_in"].as_array().unwrap() {
            got.insert((
                g["advisory"]["id"].as_str().unwrap().to_string(),
                h["key"].as_str().unwrap().to_string(),
                h["crate"].as_str().unwrap().to_string(),
                h["version"].as_str().unwrap().to_string(),
            ));
        }
    }
    assert_eq!(got, want);
    assert_eq!(out.last().unwrap()["type"], "summary");
    // "Are we affected?": one advisory, by id or by alias.
    let one = scan(&["--by", "advisory", "--advisory", "RUSTSEC-2099-0001"]);
    assert_eq!(one.code, 1, "{}", one.stderr);
    let ids: Vec<String> = lines(&one)
        .iter()
        .filter(|g| g["type"] == "advisory")
        .map(|g| g["advisory"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["RUSTSEC-2099-0001"]);
    assert_eq!(lines(&one).last().unwrap()["failing"], 3);
    let alias = scan(&["--by", "advisory", "--advisory", "CVE-2099-0001"]);
    let ids: Vec<String> = lines(&alias)
        .iter()
        .filter(|g| g["type"] == "advisory")
        .map(|g| g["advisory"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["RUSTSEC-2099-0001"], "an alias names its advisory");
    // An informational advisory does not fail the gate.
    let warning = scan(&["--advisory", "RUSTSEC-2099-0003"]);
    assert_eq!(
        warning.code, 1,
        "the broken lockfile still fails: {}",
        warning.stderr
    );
    assert_eq!(lines(&warning).last().unwrap()["failing"], 0);
    let ignored = scan(&[
        "--advisory",
        "RUSTSEC-2099-0001",
        "--ignore",
        "RUSTSEC-2099-0001",
        "--fail-on",
        "new",
    ]);
    assert_eq!(ignored.code, 2, "--fail-on new needs a baseline");
    let table = scan(&[
        "--by",
        "advisory",
        "--format",
        "table",
        "--advisory",
        "RUSTSEC-2099-0001",
    ]);
    assert_eq!(
        table.stdout.matches("RUSTSEC-2099-0001").count(),
        3,
        "{}",
        table.stdout
    );
    let bad = scan(&["--advisory", "nope"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn merged_shards_equal_one_run_byte_for_byte() {
    let dir = fixture_tree(9);
    // Lockfiles nested in repositories, one unreadable folder.
    for i in 0..3 {
        let d = dir.path().join(format!("repo{i:02}/tools/sub"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(lockfile("basic.lock"), d.join("Cargo.lock")).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let db = fixture_db();
    let base = cache.path().join("base.jsonl");
    let scan = scanner(dir.path(), cache.path());
    // A baseline missing one repository's findings, so new and fixed are counted too.
    let first = scan(&[]);
    let trimmed: String = first
        .stdout
        .lines()
        .filter(|l| !l.contains("repo03/Cargo.lock"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&base, trimmed).unwrap();
    for extra in [vec![], vec!["--baseline", s(&base)]] {
        let single = scan(&extra);
        let by_advisory = {
            let mut e = extra.clone();
            e.extend(["--by", "advisory", "--format", "table"]);
            scan(&e).stdout
        };
        for n in [1u32, 3, 7] {
            let mut files = Vec::new();
            let mut seen = 0;
            for k in 0..n {
                let shard = format!("{k}/{n}");
                let mut e = extra.clone();
                e.extend(["--shard", &shard]);
                let r = scan(&e);
                assert!(r.code < 2, "{}", r.stderr);
                seen += lines(&r).iter().filter(|l| l["type"] == "lockfile").count();
                let f = cache.path().join(format!("shard-{k}-of-{n}.jsonl"));
                std::fs::write(&f, &r.stdout).unwrap();
                files.push(f);
            }
            let total = lines(&single)
                .iter()
                .filter(|l| l["type"] == "lockfile")
                .count();
            assert_eq!(seen, total, "N={n}: every lockfile in exactly one shard");
            let mut args = vec!["scan", "merge"];
            args.extend(files.iter().map(|f| s(f)));
            let merged = run_in(cache.path(), &args);
            assert_eq!(merged.code, single.code, "{}", merged.stderr);
            assert!(
                merged.stdout == single.stdout,
                "N={n} {extra:?}:\n{}\n---\n{}",
                merged.stdout,
                single.stdout
            );
            args.extend(["--by", "advisory", "--format", "table"]);
            assert_eq!(run_in(cache.path(), &args).stdout, by_advisory, "N={n}");
        }
    }
    // Shards of different scans do not merge; a file that is not a scan is an error.
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join("x")).unwrap();
    std::fs::copy(lockfile("basic.lock"), other.path().join("x/Cargo.lock")).unwrap();
    let a = cache.path().join("a.jsonl");
    let b = cache.path().join("b.jsonl");
    std::fs::write(&a, scan(&["--shard", "0/2"]).stdout).unwrap();
    std::fs::write(
        &b,
        run_in(
            cache.path(),
            &["scan", s(other.path()), "--db", s(&db), "-n"],
        )
        .stdout,
    )
    .unwrap();
    let r = run_in(cache.path(), &["scan", "merge", s(&a), s(&b)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("another scan"), "{}", r.stderr);
    std::fs::write(&b, "{}\n").unwrap();
    assert_eq!(
        run_in(cache.path(), &["scan", "merge", s(&a), s(&b)]).code,
        2
    );
    assert_eq!(scan(&["--shard", "3/3"]).code, 2);
}
