//! A read-only cache: audits still read the database (and compile the index in memory
//! when the stored one is missing, with a warning); `fetch` fails with one line saying
//! the folder is not writable, and leaves the database as it was.
//!
//! Permission bits do not bind root, so the cache is made read-only in the first way
//! that really stops a write here: a read-only bind mount in a user and mount namespace
//! (`unshare -rm`), else `chmod a-w` (for root, with the override capabilities dropped
//! through `setpriv`). The test says why it skips when neither holds.

use super::support::*;
use crate::common::*;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// How the cache is made read-only for the commands run through `prefix`.
struct ReadOnly {
    prefix: Vec<OsString>,
    /// Folders chmod-ed read-only (restored on drop); empty for the mount.
    chmod: Vec<PathBuf>,
    how: &'static str,
}

fn set_mode(dirs: &[PathBuf], writable: bool) {
    use std::os::unix::fs::PermissionsExt;
    for d in dirs {
        let mode = if writable { 0o755 } else { 0o555 };
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        set_mode(&self.chmod, true);
    }
}

fn folders(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        for e in std::fs::read_dir(&out[i]).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                out.push(e.path());
            }
        }
        i += 1;
    }
    out
}

fn make_read_only(cache: &Path) -> Option<ReadOnly> {
    let probe = format!("touch '{}/probe'", cache.display());
    let mount = vec![
        "unshare".into(),
        "-rm".into(),
        "sh".into(),
        "-c".into(),
        "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"".into(),
        cache.as_os_str().to_owned(),
    ];
    if denied(&mount, &probe) && !denied(&mount, "true") {
        return Some(ReadOnly {
            prefix: mount,
            chmod: vec![],
            how: "read-only bind mount (unshare -rm)",
        });
    }
    let prefix = without_override()?;
    let chmod = folders(cache);
    set_mode(&chmod, false);
    let ro = ReadOnly {
        prefix,
        chmod,
        how: "chmod a-w (capabilities that override it dropped)",
    };
    denied(&ro.prefix, &probe).then_some(ro)
}

#[test]
fn read_only_cache_audits_and_fetch_fails_cleanly() {
    let Some(src) = Sources::new() else { return };
    let cache = src.tmp.path().join("cache");
    let db = cache.join("advisory-db");
    assert_eq!(src.fetch(&cache, &db, &src.old_url).code, Some(0));
    assert_eq!(src.check_audit(&src.audit(&cache, &db), "writable"), 0);
    let index = cache
        .join("index")
        .join(advisories_cache::database::index_file_name(&db));
    assert!(index.is_file());

    let audit = |ro: &ReadOnly| {
        let mut c = wrapped(&ro.prefix, bin());
        c.args(["--db", s(&db), "-n", "-f", s(&src.lock), "--json"]);
        run_bounded(c, &cache, std::time::Duration::from_secs(120))
    };
    let Some(ro) = make_read_only(&cache) else {
        eprintln!(
            "skipping: no way to make a folder read-only here (no user namespaces, no setpriv)"
        );
        return;
    };
    // The stored index is used as is: same findings, nothing to warn about.
    let r = audit(&ro);
    assert_eq!(src.check_audit(&r, ro.how), 0);
    assert_eq!(r.stderr, "", "{}", ro.how);

    let mut c = wrapped(&ro.prefix, bin());
    c.args(["fetch", "-q", "--db", s(&db), "--db-url", &src.new_url]);
    let r = run_bounded(c, &cache, std::time::Duration::from_secs(120));
    assert_eq!(r.code, Some(2), "{}: {}", ro.how, r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("error: "),
        "{}",
        r.stderr
    );
    assert!(
        lines[0].contains("not writable") && lines[0].contains(s(&cache)),
        "{}",
        lines[0]
    );
    assert_eq!(src.check_audit(&audit(&ro), "after the failed fetch"), 0);
    drop(ro);

    // Without a stored index, the audit compiles one in memory and says it could not
    // store it.
    std::fs::remove_file(&index).unwrap();
    let ro = make_read_only(&cache).unwrap();
    let r = audit(&ro);
    assert_eq!(src.check_audit(&r, "no stored index"), 0);
    assert!(r.stderr.contains("could not be stored"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(!index.exists());
    eprintln!("readonly: cache made read-only by {}", ro.how);
}
