//! Fetching and updating the database with git, without a `git` binary.
//!
//! A fetch never edits the live folder. It takes `.<db>.fetch.lock`, gets the source's
//! commit (a local repository is read directly; a remote one is shallow-cloned with `gix`
//! into a temporary folder), writes that commit's files into a new sibling folder with the
//! snapshot marker written last, checks the new folder loads, and only then swaps it in
//! under the exclusive swap lock. A run killed at any point leaves the old folder usable;
//! the leftovers are swept by the next fetch.

use crate::database::{Database, OpenOptions};
use crate::error::{CacheError, Result};
use crate::info::{SNAPSHOT_MARKER, SnapshotMarker, now_unix};
use crate::lock::{self, recover_interrupted_swap, sibling_prefix, siblings};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Limits on what a source tree may hold, so a hostile source cannot fill the disk.
const MAX_FILES: usize = 100_000;
const MAX_TOTAL_BYTES: u64 = 512 * 1024 * 1024;

/// What to fetch and where.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// Source: an `https://` URL, a `file://` URL, or a local path to a git repository.
    pub url: String,
    /// The database folder to create or update.
    pub dir: PathBuf,
    /// How long to wait for another fetch.
    pub lock_timeout: Duration,
    /// How the new database is opened (where its index goes).
    pub open: OpenOptions,
}

/// What a fetch did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchOutcome {
    /// The database folder.
    pub dir: PathBuf,
    /// Commit before the fetch, if there was a database.
    pub previous_commit: Option<String>,
    /// Commit now.
    pub commit: String,
    /// Commit time, seconds since the epoch.
    pub commit_time: i64,
    /// Whether the folder was replaced (false: already at that commit).
    pub updated: bool,
    /// Advisories present now but not before (empty on a first fetch), by id.
    pub added: Vec<AdvisoryChange>,
    /// Advisories whose content changed, as they are now, by id.
    pub modified: Vec<AdvisoryChange>,
    /// Advisories gone since before, as they were, by id.
    pub removed: Vec<AdvisoryChange>,
    /// Advisory count now.
    pub advisory_count: usize,
    /// Whether this was the first fetch into an empty place.
    pub first_fetch: bool,
}

/// An advisory a fetch added, changed or removed: what a person needs to tell it apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvisoryChange {
    /// The advisory id.
    pub id: String,
    /// The crate it is about (empty when its record could not be read).
    pub package: String,
    /// Its title (empty when its record could not be read).
    pub title: String,
}

impl AdvisoryChange {
    /// Advisory `id` as `db` holds it.
    fn of(db: &Database, id: &str) -> AdvisoryChange {
        let (package, title) = db
            .get(id)
            .map(|r| (r.package.clone(), r.title.clone()))
            .unwrap_or_default();
        AdvisoryChange {
            id: id.to_string(),
            package,
            title,
        }
    }
}

/// A new temporary sibling of the database folder: `.<name>.<tag>-<pid>-<n>`.
fn sibling(dir: &Path, tag: &str) -> PathBuf {
    lock::db_parent(dir).join(format!(
        "{}{}-{}",
        sibling_prefix(dir, tag),
        std::process::id(),
        crate::index::unique()
    ))
}

/// Fetches or updates the database at `opts.dir` from `opts.url`.
pub fn fetch(opts: &FetchOptions) -> Result<FetchOutcome> {
    let dir = &opts.dir;
    let parent = lock::db_parent(dir);
    // A read-only cache shows first here; say so rather than name a lock file.
    let not_writable = |e: std::io::Error| CacheError::ReadOnly {
        path: parent.to_path_buf(),
        source: e,
    };
    std::fs::create_dir_all(parent).map_err(|e| match is_read_only(&e) {
        true => not_writable(e),
        false => CacheError::io("failed to create folder", parent, e),
    })?;
    let _fetch_guard = lock::exclusive(&lock::lock_path(dir, "fetch"), opts.lock_timeout).map_err(
        |e| match e {
            CacheError::Io { source, .. } if is_read_only(&source) => not_writable(source),
            other => other,
        },
    )?;
    recover_interrupted_swap(dir, opts.lock_timeout)?;
    sweep_leftovers(dir);

    let exists = std::fs::symlink_metadata(dir).is_ok();
    let previous_marker = SnapshotMarker::read(dir);
    if exists && previous_marker.is_none() && !is_empty_dir(dir) {
        return Err(CacheError::Fetch {
            url: opts.url.clone(),
            reason: format!(
                "{} exists and was not created by `cargo depaudit fetch`; refusing to replace it (choose another --db folder)",
                dir.display()
            ),
        });
    }
    let previous = match &previous_marker {
        Some(_) => Database::open(dir, &opts.open).ok(),
        None => None,
    };

    let new_dir = sibling(dir, "new");
    std::fs::create_dir(&new_dir).map_err(|e| match is_read_only(&e) {
        true => not_writable(e),
        false => CacheError::io("failed to create", &new_dir, e),
    })?;
    let clone_dir = sibling(dir, "clone");
    let result = export_source(&opts.url, &clone_dir, &new_dir);
    let _ = std::fs::remove_dir_all(&clone_dir);
    let (commit, commit_time) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&new_dir);
            return Err(e);
        }
    };

    if previous_marker.as_ref().is_some_and(|m| m.commit == commit) {
        let _ = std::fs::remove_dir_all(&new_dir);
        let db = Database::open(dir, &opts.open)?;
        return Ok(FetchOutcome {
            dir: dir.clone(),
            previous_commit: Some(commit.clone()),
            commit,
            commit_time,
            updated: false,
            added: vec![],
            modified: vec![],
            removed: vec![],
            advisory_count: db.info.advisory_count,
            first_fetch: false,
        });
    }

    let marker = SnapshotMarker {
        url: redact_url(&opts.url),
        commit: commit.clone(),
        commit_time,
        fetched_at: now_unix(),
    };
    let finish = (|| {
        write_file(&new_dir.join(SNAPSHOT_MARKER), marker.to_toml().as_bytes())?;
        // Refuse to swap in something that is not a database.
        crate::load::check_layout(&new_dir).map_err(|e| CacheError::Fetch {
            url: opts.url.clone(),
            reason: format!("the fetched tree is not an advisory database ({e})"),
        })
    })();
    if let Err(e) = finish {
        let _ = std::fs::remove_dir_all(&new_dir);
        return Err(e);
    }
    swap_in(dir, &new_dir, opts.lock_timeout)?;

    let db = Database::open(dir, &opts.open)?;
    let (added, modified, removed) = match &previous {
        Some(prev) => diff(prev, &db),
        None => (vec![], vec![], vec![]),
    };
    Ok(FetchOutcome {
        dir: dir.clone(),
        previous_commit: previous_marker.map(|m| m.commit),
        commit,
        commit_time,
        updated: true,
        added,
        modified,
        removed,
        advisory_count: db.info.advisory_count,
        first_fetch: previous.is_none(),
    })
}

type Changes = Vec<AdvisoryChange>;

fn diff(prev: &Database, now: &Database) -> (Changes, Changes, Changes) {
    let before: BTreeSet<&str> = prev.ids().collect();
    let after: BTreeSet<&str> = now.ids().collect();
    let added = after
        .difference(&before)
        .map(|id| AdvisoryChange::of(now, id))
        .collect();
    let removed = before
        .difference(&after)
        .map(|id| AdvisoryChange::of(prev, id))
        .collect();
    let modified = after
        .intersection(&before)
        .filter(|id| prev.get(id) != now.get(id))
        .map(|id| AdvisoryChange::of(now, id))
        .collect();
    (added, modified, removed)
}

/// Hides credentials in a URL before it is written anywhere.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

fn is_read_only(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
    )
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| CacheError::io("failed to write", path, e))
}

/// Replaces `dir` with the complete folder `new_dir`, under the exclusive swap lock.
fn swap_in(dir: &Path, new_dir: &Path, timeout: Duration) -> Result<()> {
    let _guard = lock::exclusive(&lock::lock_path(dir, ""), timeout)?;
    let old = sibling(dir, "old");
    let had_old = std::fs::symlink_metadata(dir).is_ok();
    if had_old {
        std::fs::rename(dir, &old).map_err(|e| CacheError::io("failed to move aside", dir, e))?;
    }
    if let Err(e) = std::fs::rename(new_dir, dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        let _ = std::fs::remove_dir_all(new_dir);
        return Err(CacheError::io("failed to move into place", dir, e));
    }
    if had_old {
        discard(dir, &old);
    }
    Ok(())
}

/// Deletes a temporary folder of `dir`. It is first renamed to a `trash` sibling (one
/// atomic step), so a deletion cut short by a kill never leaves a half-emptied folder
/// under a name that [`recover_interrupted_swap`] would restore.
fn discard(dir: &Path, folder: &Path) {
    let trash = sibling(dir, "trash");
    let doomed = match std::fs::rename(folder, &trash) {
        Ok(()) => trash,
        Err(_) => folder.to_path_buf(),
    };
    let _ = std::fs::remove_dir_all(doomed);
}

/// Removes temporary folders left by killed fetches. Called under the fetch lock, after
/// [`recover_interrupted_swap`], so no `old` folder is still needed.
fn sweep_leftovers(dir: &Path) {
    for leftover in siblings(dir, &["new", "clone", "old"]) {
        discard(dir, &leftover);
    }
    for trash in siblings(dir, &["trash"]) {
        let _ = std::fs::remove_dir_all(trash);
    }
}

/// A local source: `file://` URL or an existing path.
fn local_path(url: &str) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("file://") {
        return Some(PathBuf::from(percent_decode(rest)));
    }
    if url.contains("://") || url.starts_with("git@") {
        return None;
    }
    Some(PathBuf::from(url))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match decoded {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the source's HEAD tree into the empty folder `new_dir`; returns (commit id,
/// commit time).
fn export_source(url: &str, clone_dir: &Path, new_dir: &Path) -> Result<(String, i64)> {
    let fetch_err = |reason: String| CacheError::Fetch {
        url: redact_url(url),
        reason,
    };
    let repo = match local_path(url) {
        Some(path) => {
            if !path.exists() {
                return Err(fetch_err(format!("{} does not exist", path.display())));
            }
            gix::open_opts(&path, gix::open::Options::isolated())
                .map_err(|e| fetch_err(format!("not a git repository: {}", one_line(&e))))?
        }
        None => remote_clone(url, clone_dir).map_err(fetch_err)?,
    };
    let commit = repo
        .head_commit()
        .map_err(|e| fetch_err(format!("cannot read HEAD: {}", one_line(&e))))?;
    let time = commit
        .time()
        .map_err(|e| fetch_err(format!("bad commit time: {}", one_line(&e))))?
        .seconds;
    let tree = commit
        .tree()
        .map_err(|e| fetch_err(format!("cannot read the commit's tree: {}", one_line(&e))))?;
    let mut budget = (MAX_FILES, MAX_TOTAL_BYTES);
    write_tree(&repo, &tree, new_dir, 0, &mut budget).map_err(fetch_err)?;
    Ok((commit.id.to_string(), time))
}

fn write_tree(
    repo: &gix::Repository,
    tree: &gix::Tree<'_>,
    dir: &Path,
    depth: usize,
    budget: &mut (usize, u64),
) -> std::result::Result<(), String> {
    if depth > 16 {
        return Err("tree nested too deeply".into());
    }
    for entry in tree.iter() {
        let entry = entry.map_err(|e| format!("bad tree entry: {}", one_line(&e)))?;
        let name = entry.filename().to_string();
        if !safe_name(&name) {
            continue; // never write outside the snapshot or into odd names
        }
        let mode = entry.mode();
        let path = dir.join(&name);
        if mode.is_tree() {
            let sub = repo
                .find_tree(entry.oid())
                .map_err(|e| format!("missing tree {name}: {}", one_line(&e)))?;
            std::fs::create_dir(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            write_tree(repo, &sub, &path, depth + 1, budget)?;
        } else if mode.is_blob() {
            let blob = repo
                .find_blob(entry.oid())
                .map_err(|e| format!("missing file {name}: {}", one_line(&e)))?;
            budget.0 = budget
                .0
                .checked_sub(1)
                .ok_or("too many files in the source tree")?;
            budget.1 = budget
                .1
                .checked_sub(blob.data.len() as u64)
                .ok_or("source tree too large")?;
            std::fs::write(&path, &blob.data).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        // Symlinks and submodules are skipped: a database holds only plain files.
    }
    Ok(())
}

fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name != ".git"
        && name != SNAPSHOT_MARKER
        && !name.contains(['/', '\\', '\0'])
}

fn one_line(e: &dyn std::error::Error) -> String {
    crate::load::one_line(e)
}

#[cfg(feature = "remote-fetch")]
fn remote_clone(url: &str, clone_dir: &Path) -> std::result::Result<gix::Repository, String> {
    use std::num::NonZeroU32;
    let interrupt = std::sync::atomic::AtomicBool::new(false);
    let depth = NonZeroU32::new(1).expect("1 is not zero");
    let mut prepare = gix::prepare_clone_bare(url, clone_dir)
        .map_err(|e| one_line(&e))?
        .with_shallow(gix::remote::fetch::Shallow::DepthAtRemote(depth));
    let (repo, _) = prepare
        .fetch_only(gix::progress::Discard, &interrupt)
        .map_err(|e| one_line(&e))?;
    Ok(repo)
}

#[cfg(not(feature = "remote-fetch"))]
fn remote_clone(_url: &str, _clone_dir: &Path) -> std::result::Result<gix::Repository, String> {
    Err("this build has no remote fetch support (feature `remote-fetch`); use a file:// URL".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(dir: &Path, fetched_at: i64, complete: bool) {
        std::fs::create_dir_all(dir.join("crates")).unwrap();
        let marker = SnapshotMarker {
            url: "file:///src".into(),
            commit: format!("{fetched_at:040}"),
            commit_time: 0,
            fetched_at,
        };
        std::fs::write(dir.join(SNAPSHOT_MARKER), marker.to_toml()).unwrap();
        if complete {
            std::fs::write(dir.join("crates/complete"), "").unwrap();
        }
    }

    #[test]
    fn an_interrupted_swap_restores_the_newest_complete_old_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("advisory-db");
        // Killed between the renames: the live folder is gone, an older leftover and a
        // half-deleted one (renamed to trash first, marker still in it) lie around.
        snapshot(&sibling(&db, "old"), 1, true);
        snapshot(&sibling(&db, "old"), 3, true);
        snapshot(&sibling(&db, "trash"), 5, false);
        recover_interrupted_swap(&db, Duration::from_secs(5)).unwrap();
        assert_eq!(SnapshotMarker::read(&db).unwrap().fetched_at, 3);
        assert!(db.join("crates/complete").exists());
        // The next fetch sweeps the rest.
        sweep_leftovers(&db);
        assert!(siblings(&db, &["new", "clone", "old", "trash"]).is_empty());
    }

    #[test]
    fn discarding_renames_first_so_a_cut_deletion_is_never_restored() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("advisory-db");
        let old = sibling(&db, "old");
        snapshot(&old, 1, true);
        discard(&db, &old);
        assert!(!old.exists());
        assert!(siblings(&db, &["old", "trash"]).is_empty());
    }
}
