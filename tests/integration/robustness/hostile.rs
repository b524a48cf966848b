//! Hostile repositories beyond `scan.rs`'s tree (symlink loops, links out of the root,
//! FIFOs, `target/`, hidden folders, a newline in a name): names that are not UTF-8 or
//! hold control characters, escaped in every output format; unreadable folders and
//! files; devices, FIFOs and links to devices where a lockfile, policy file or baseline
//! is expected — each a clean error, never a hang.

use super::support::*;
use crate::common::*;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

fn bounded(args: &[&OsStr]) -> RawRun {
    let mut c = Command::new(bin());
    c.args(args);
    let cache = tempfile::tempdir().unwrap();
    run_bounded(c, cache.path(), LIMIT)
}

/// The folder names of the odd-name test, raw, and as every report must show them.
const ODD: &[(&[u8], &str)] = &[
    (b"latin1 caf\xe9", "latin1 caf\\xe9"),
    (b"bytes \xff\xfe", "bytes \\xff\\xfe"),
    (b"esc \x1b[31mred", "esc \x1b[31mred"),
    (b"tab\tand\nnewline", "tab\tand\nnewline"),
];

/// As text formats must show them: control characters escaped too.
fn as_text(shown: &str) -> String {
    cargo_depaudit::pathtext::for_text(shown)
}

/// A repository (`.git` at the top, which `scan` skips as hidden) with a lockfile in each
/// odd folder: reports that name files relative to the repository show the odd names.
fn odd_tree() -> (tempfile::TempDir, Vec<PathBuf>) {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join(".git")).unwrap();
    let locks = ODD
        .iter()
        .map(|(raw, _)| {
            let dir = root.path().join(OsStr::from_bytes(raw));
            std::fs::create_dir_all(&dir).unwrap();
            let lock = dir.join("Cargo.lock");
            std::fs::copy(lockfile("basic.lock"), &lock).unwrap();
            lock
        })
        .collect();
    (root, locks)
}

/// Output bytes must be UTF-8, hold no raw escape character and no U+FFFD (a name
/// replaced rather than escaped).
fn assert_safe_text(out: &[u8], context: &str) -> String {
    let text = std::str::from_utf8(out).unwrap_or_else(|e| panic!("{context}: not UTF-8: {e}"));
    assert!(!text.contains('\x1b'), "{context}: raw escape character");
    assert!(
        !text.contains('\u{fffd}'),
        "{context}: a name was replaced, not escaped"
    );
    text.to_string()
}

#[test]
fn odd_file_names_are_escaped_in_every_scan_format() {
    let (root, _) = odd_tree();
    let root_shown = s(root.path());
    for format in ["jsonl", "json", "table"] {
        let r = bounded(&[
            "scan".as_ref(),
            root.path().as_os_str(),
            "--db".as_ref(),
            fixture_db().as_os_str(),
            "-n".as_ref(),
            "--format".as_ref(),
            format.as_ref(),
        ]);
        assert_eq!(r.code, Some(1), "{format}: {}", r.stderr);
        let text = assert_safe_text(&r.stdout, format);
        for (_, shown) in ODD {
            let full = format!("{root_shown}/{shown}/Cargo.lock");
            match format {
                "table" => {
                    assert!(
                        text.contains(&as_text(&full)),
                        "table lacks {}:\n{text}",
                        as_text(&full)
                    );
                }
                _ => {
                    let paths: Vec<String> = if format == "jsonl" {
                        text.lines()
                            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                            .filter_map(|v| v["path"].as_str().map(str::to_string))
                            .collect()
                    } else {
                        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                        v["lockfiles"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|l| l["path"].as_str().unwrap().to_string())
                            .collect()
                    };
                    assert!(paths.contains(&full), "{format} lacks {full:?}: {paths:?}");
                }
            }
        }
        if format == "table" {
            // One row per lockfile: the newline in a name did not start a row of its own.
            assert_eq!(
                text.lines().filter(|l| l.contains("Cargo.lock")).count(),
                ODD.len(),
                "{text}"
            );
        }
    }
}

#[test]
fn odd_file_names_are_escaped_in_every_audit_format() {
    let (root, locks) = odd_tree();
    let db = fixture_db();
    for (lock, (raw, shown)) in locks.iter().zip(ODD) {
        for format in ["json", "jsonl", "sarif", "table", "markdown"] {
            let context = format!("{format} for {shown:?}");
            let r = bounded(&[
                "--db".as_ref(),
                db.as_os_str(),
                "-n".as_ref(),
                "-f".as_ref(),
                lock.as_os_str(),
                "--format".as_ref(),
                format.as_ref(),
            ]);
            assert_eq!(r.code, Some(1), "{context}: {}", r.stderr);
            let text = assert_safe_text(&r.stdout, &context);
            let full = format!("{}/{shown}/Cargo.lock", s(root.path()));
            match format {
                "json" => assert_eq!(r.json()["lockfile"]["path"], full.as_str(), "{context}"),
                "jsonl" => {
                    let summary: serde_json::Value =
                        serde_json::from_str(text.lines().last().unwrap()).unwrap();
                    assert_eq!(summary["lockfile"]["path"], full.as_str(), "{context}");
                }
                "sarif" => {
                    // The URI (relative to the repository) percent-encodes the name's bytes.
                    let mut want = cargo_depaudit::pathtext::uri_segment(raw);
                    want.push_str("/Cargo.lock");
                    let v = r.json();
                    let uri = v["runs"][0]["artifacts"][0]["location"]["uri"]
                        .as_str()
                        .unwrap();
                    assert_eq!(uri, want, "{context}");
                    for res in v["runs"][0]["results"].as_array().unwrap() {
                        let loc =
                            &res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
                        assert_eq!(loc, uri, "{context}");
                    }
                }
                // Markdown names the lockfile relative to its repository.
                "markdown" => {
                    let rel = as_text(&format!("{shown}/Cargo.lock"));
                    assert!(
                        text.contains(&format!("`{rel}`")),
                        "{context}: lacks {rel}:\n{text}"
                    );
                    assert!(!text.contains(s(root.path())), "{context}: a machine path");
                }
                _ => assert!(
                    text.contains(&as_text(&full)),
                    "{context}: lacks {}:\n{text}",
                    as_text(&full)
                ),
            }
        }
    }
}

#[test]
fn unreadable_folders_and_files_are_clean_errors() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    for d in ["ok", "locked/inner"] {
        std::fs::create_dir_all(root.path().join(d)).unwrap();
        std::fs::copy(
            lockfile("basic.lock"),
            root.path().join(d).join("Cargo.lock"),
        )
        .unwrap();
    }
    std::fs::create_dir_all(root.path().join("file")).unwrap();
    let unreadable = root.path().join("file/Cargo.lock");
    std::fs::copy(lockfile("basic.lock"), &unreadable).unwrap();
    let locked = root.path().join("locked");
    let set = |p: &Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    set(&locked, 0o000);
    set(&unreadable, 0o000);
    let probe = format!(
        "ls '{}' || cat '{}'",
        locked.display(),
        unreadable.display()
    );
    let prefix = without_override().filter(|p| {
        denied(p, &format!("ls '{}'", locked.display()))
            && denied(p, &format!("cat '{}'", unreadable.display()))
    });
    let Some(prefix) = prefix else {
        set(&locked, 0o755);
        eprintln!(
            "skipping: permission bits do not stop this process ({probe}) and setpriv is missing"
        );
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let mut c = wrapped(&prefix, bin());
    c.args(["scan", s(root.path()), "--db", s(&fixture_db()), "-n"]);
    let r = run_bounded(c, cache.path(), LIMIT);
    let mut c = wrapped(&prefix, bin());
    c.args(["--db", s(&fixture_db()), "-n", "-f", s(&unreadable)]);
    let single = run_bounded(c, cache.path(), LIMIT);
    set(&locked, 0o755);
    set(&unreadable, 0o644);

    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let lines: Vec<serde_json::Value> = r
        .stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let entry = |p: &Path| {
        lines
            .iter()
            .find(|l| l["path"] == s(p))
            .unwrap_or_else(|| panic!("no line for {}", p.display()))
    };
    assert!(entry(&root.path().join("ok/Cargo.lock"))["error"].is_null());
    assert!(
        entry(&locked)["error"]
            .as_str()
            .unwrap()
            .contains("Permission denied")
    );
    assert!(
        entry(&unreadable)["error"]
            .as_str()
            .unwrap()
            .contains("Permission denied")
    );
    assert_eq!(lines.last().unwrap()["errors"], 2);
    assert_clean(&single, "file/Cargo.lock", "unreadable lockfile");
    assert_eq!(single.code, Some(2));
    assert!(
        single.stderr.contains("Permission denied"),
        "{}",
        single.stderr
    );
}

/// A character device named `name` in `dir`: a real one (`/dev/zero`'s numbers) when
/// `mknod` is allowed, else a symlink to `/dev/zero`.
fn device(dir: &Path, name: &str) -> (PathBuf, &'static str) {
    let p = dir.join(name);
    let made = Command::new("mknod")
        .arg(&p)
        .args(["c", "1", "5"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if made {
        return (p, "character device");
    }
    std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
    (p, "symlink to /dev/zero (mknod not permitted)")
}

fn fifo(p: &Path) {
    let ok = Command::new("mkfifo")
        .arg(p)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo");
}

#[test]
fn devices_and_fifos_where_inputs_are_expected_never_hang() {
    let root = tempfile::tempdir().unwrap();
    let ws = root.path().join("ws");
    std::fs::create_dir_all(ws.join("dev")).unwrap();
    std::fs::copy(lockfile("basic.lock"), ws.join("Cargo.lock")).unwrap();
    let (dev_lock, kind) = device(&ws.join("dev"), "Cargo.lock");
    let db = fixture_db();
    let audit = |lock: &Path, extra: &[&str]| {
        let mut args: Vec<&OsStr> = vec![
            "--db".as_ref(),
            db.as_os_str(),
            "-n".as_ref(),
            "-f".as_ref(),
            lock.as_os_str(),
        ];
        args.extend(extra.iter().map(|a| OsStr::new(*a)));
        bounded(&args)
    };

    // scan lists only regular files; the device is neither read nor reported.
    let r = bounded(&[
        "scan".as_ref(),
        ws.as_os_str(),
        "--db".as_ref(),
        db.as_os_str(),
        "-n".as_ref(),
    ]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        !r.stdout_text().contains("dev/Cargo.lock"),
        "{kind} was listed"
    );
    // As the audited lockfile: refused without reading.
    for lock in [
        dev_lock.as_path(),
        Path::new("/dev/zero"),
        Path::new("/dev/urandom"),
    ] {
        let r = audit(lock, &[]);
        assert_clean(&r, s(lock), &format!("lockfile {}", lock.display()));
        assert_eq!(r.code, Some(2));
        assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    }

    // Policy files: --config, depaudit.toml, .cargo/audit.toml and deny.toml.
    let lock = ws.join("Cargo.lock");
    let r = audit(&lock, &["--config", "/dev/zero"]);
    assert_clean(&r, "/dev/zero", "--config /dev/zero");
    assert_eq!(r.code, Some(2));
    for (name, make) in [
        ("depaudit.toml", "fifo"),
        (".cargo/audit.toml", "device"),
        ("deny.toml", "folder"),
    ] {
        let p = ws.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        match make {
            "fifo" => fifo(&p),
            "device" => {
                device(p.parent().unwrap(), "audit.toml");
            }
            _ => std::fs::create_dir(&p).unwrap(),
        }
        let r = audit(&lock, &[]);
        let file = Path::new(name).file_name().unwrap().to_str().unwrap();
        assert_clean(&r, file, &format!("{name} as a {make}"));
        assert_eq!(r.code, Some(2), "{name} as a {make}");
        assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
        if make == "folder" {
            std::fs::remove_dir(&p).unwrap();
        } else {
            std::fs::remove_file(&p).unwrap();
        }
    }

    // Baselines.
    let base_fifo = root.path().join("base.jsonl");
    fifo(&base_fifo);
    for base in [Path::new("/dev/zero"), base_fifo.as_path()] {
        let r = bounded(&[
            "scan".as_ref(),
            ws.as_os_str(),
            "--db".as_ref(),
            db.as_os_str(),
            "-n".as_ref(),
            "--baseline".as_ref(),
            base.as_os_str(),
        ]);
        assert_clean(&r, s(base), &format!("baseline {}", base.display()));
        assert_eq!(r.code, Some(2));
    }
    eprintln!("hostile: device files made as a {kind}");
}
