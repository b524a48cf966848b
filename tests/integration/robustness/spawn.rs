//! No code from the audited project runs unless the user asked. Only the default audit
//! mode runs one program: `cargo metadata --no-deps --offline` (cargo from `$CARGO`, else
//! `PATH`), which reads the project's `.cargo/config.toml`. `--lockfile-only`, `--file`,
//! `scan` and `policy` start no process at all; `fetch` replaces itself (`exec`) with the
//! network build of this program installed beside it, `depaudit-net`, and nothing else.
//!
//! Two checks: fake `cargo`, `git`, `rustc` and `sh` programs first on `PATH` (and in
//! `$CARGO`) that leave a marker when run, and, where `strace` works, a count of every
//! `execve` the binary makes. The default audit mode is the control that shows both
//! checks can see a spawn.

use super::support::*;
use crate::common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn fake_programs(dir: &Path, marker: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for name in ["cargo", "git", "rustc", "sh", "ssh", "git-upload-pack"] {
        let p = dir.join(name);
        std::fs::write(
            &p,
            format!("#!/bin/sh\necho {name} >> '{}'\nexit 1\n", marker.display()),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A local git repository holding the fixture database, for `fetch` (made with the real
/// git before the fake one is on `PATH`).
fn fixture_repo(dir: &Path) -> Option<String> {
    let repo = dir.join("repo");
    crate::bad_input::copy_dir(&fixture_db(), &repo);
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    (git(&["init", "-q"]) && git(&["add", "."]) && git(&["commit", "-qm", "db"]))
        .then(|| format!("file://{}", repo.display()))
}

/// The programs `args` executes beyond itself, by `strace -f`; `None` when strace
/// cannot trace here.
fn execs_under_strace(
    args: &[&str],
    env: &[(&str, &Path)],
    cache: &Path,
    log: &Path,
) -> Option<Vec<String>> {
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-e", "trace=execve", "-o"])
        .arg(log)
        .arg(bin())
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let r = run_bounded(c, cache, Duration::from_secs(120));
    let text = std::fs::read_to_string(log).ok()?;
    let execs: Vec<String> = text
        .lines()
        .filter(|l| l.contains("execve(") && !l.contains("ENOENT"))
        .filter_map(|l| Some(l.split('"').nth(1)?.to_string()))
        .collect();
    (r.code.is_some() && !execs.is_empty()).then(|| execs[1..].to_vec())
}

#[test]
fn lockfile_only_modes_start_no_process() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(ws.join("member/src")).unwrap();
    std::fs::create_dir_all(ws.join(".cargo")).unwrap();
    std::fs::write(
        ws.join("member/Cargo.toml"),
        "[package]\nname='m'\nversion='0.1.0'\nbuild='build.rs'\n",
    )
    .unwrap();
    std::fs::write(ws.join("member/build.rs"), "fn main() {}\n").unwrap();
    // A project config that would run a program if cargo were asked anything.
    std::fs::write(
        ws.join(".cargo/config.toml"),
        "[build]\nrustc-wrapper = \"/bin/false\"\n",
    )
    .unwrap();
    std::fs::copy(lockfile("basic.lock"), ws.join("Cargo.lock")).unwrap();
    let url = fixture_repo(tmp.path());
    let bin_dir = tmp.path().join("fake-bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let marker = tmp.path().join("spawned");
    fake_programs(&bin_dir, &marker);
    let path = std::env::join_paths(
        std::iter::once(bin_dir.clone()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap();
    let cargo = bin_dir.join("cargo");
    let db = fixture_db();
    let manifest = ws.join("member/Cargo.toml");
    let fetched = tmp.path().join("fetched-db");
    let lock = ws.join("Cargo.lock");

    let mut runs: Vec<(&str, Vec<&str>)> = vec![
        (
            "audit --lockfile-only",
            vec![
                "--db",
                s(&db),
                "-n",
                "--lockfile-only",
                "--manifest-path",
                s(&manifest),
            ],
        ),
        ("audit --file", vec!["--db", s(&db), "-n", "-f", s(&lock)]),
        ("scan", vec!["scan", s(&ws), "--db", s(&db), "-n"]),
        ("policy", vec!["policy", "--manifest-path", s(&manifest)]),
        (
            "why --lockfile-only",
            vec![
                "why",
                "gonecrate",
                "--lockfile-only",
                "--manifest-path",
                s(&manifest),
            ],
        ),
        ("why --file", vec!["why", "gonecrate", "-f", s(&lock)]),
    ];
    // Git repositories are read in process: no git binary, no hook, no configured
    // program (a repository config that would run one if git were asked anything).
    let (story, _) = crate::history::story();
    let story_path = story.path().to_path_buf();
    std::fs::write(
        story_path.join(".git/config"),
        "[core]\n\tfsmonitor = /bin/false\n\thooksPath = /bin\n",
    )
    .unwrap();
    runs.push((
        "history",
        vec!["history", s(&story_path), "--db", s(&db), "-n"],
    ));
    runs.push((
        "scan --git",
        vec!["scan", "--git", s(&story_path), "--db", s(&db), "-n"],
    ));
    // A binary is read, never run (`bin` without --source starts nothing).
    let binary = tmp.path().join("app-bin");
    std::fs::write(
        &binary,
        crate::binaries::elf(
            Some(&crate::binaries::zlib(&crate::binaries::demo_packages())),
            b"",
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    runs.push(("bin", vec!["bin", s(&binary), "--db", s(&db), "-n"]));
    runs.push((
        "scan --binaries",
        vec!["scan", "--binaries", s(tmp.path()), "--db", s(&db), "-n"],
    ));
    if let Some(url) = &url {
        runs.push((
            "fetch",
            vec!["fetch", "-q", "--db", s(&fetched), "--db-url", url],
        ));
    } else {
        eprintln!("spawn: git is missing, fetch not checked");
    }
    let control = (
        "audit (default mode)",
        vec!["--db", s(&db), "-n", "--manifest-path", s(&manifest)],
    );
    let cache = tmp.path().join("cache");
    let mut traced = 0;
    for (what, args) in runs.iter().chain(std::iter::once(&control)) {
        let _ = std::fs::remove_file(&marker);
        let mut c = Command::new(bin());
        c.args(args).env("PATH", &path).env("CARGO", &cargo);
        let r = run_bounded(c, &cache, Duration::from_secs(120));
        assert!(
            matches!(r.code, Some(0 | 1)),
            "{what}: {:?} {}",
            r.code,
            r.stderr
        );
        let spawned = std::fs::read_to_string(&marker).unwrap_or_default();
        let log = tmp.path().join("strace.log");
        let _ = std::fs::remove_file(&marker);
        let execs = execs_under_strace(
            args,
            &[("PATH", Path::new(&path)), ("CARGO", &cargo)],
            &cache,
            &log,
        );
        if *what == control.0 {
            assert!(
                spawned.contains("cargo"),
                "control: the default mode runs cargo metadata"
            );
            if let Some(execs) = execs {
                assert!(!execs.is_empty(), "control: strace sees the spawn");
            }
        } else {
            assert_eq!(spawned, "", "{what} ran a program");
            if let Some(execs) = execs {
                // Only `fetch` needs the network build, and nothing else runs.
                let allowed: Vec<String> = match *what {
                    "fetch" => vec![network_build().to_string()],
                    _ => Vec::new(),
                };
                assert_eq!(
                    execs,
                    allowed,
                    "{what}: strace saw: {}",
                    std::fs::read_to_string(&log).unwrap()
                );
                traced += 1;
            }
        }
    }
    eprintln!(
        "spawn: {} lockfile-only runs started nothing ({traced} also checked with strace)",
        runs.len()
    );
}
