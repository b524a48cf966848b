//! Advisory locks on sibling lock files. A fetch holds `.<db>.fetch.lock` for its whole
//! run (one fetch at a time); readers hold `.<db>.lock` shared while they load, and the
//! fetch takes it exclusively only for the moment it swaps folders, so nobody ever loads
//! a half-replaced database and audits are not blocked by a slow download.

use crate::error::{CacheError, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A held lock; released on drop.
#[derive(Debug)]
pub struct LockGuard {
    _file: Option<File>,
}

/// The database folder's own name, which its lock files and temporary siblings carry.
pub fn db_name(db_dir: &Path) -> String {
    db_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "advisory-db".into())
}

/// The folder holding the database folder (`.` for a bare relative name).
pub fn db_parent(db_dir: &Path) -> &Path {
    db_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The lock file guarding `db_dir` for `purpose` (`"fetch"` or `""` for the swap lock).
pub fn lock_path(db_dir: &Path, purpose: &str) -> PathBuf {
    let name = db_name(db_dir);
    let parent = db_parent(db_dir);
    if purpose.is_empty() {
        parent.join(format!(".{name}.lock"))
    } else {
        parent.join(format!(".{name}.{purpose}.lock"))
    }
}

/// Takes an exclusive lock, waiting up to `timeout`.
pub fn exclusive(path: &Path, timeout: Duration) -> Result<LockGuard> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| CacheError::io("failed to create lock file", path, e))?;
    wait_for(path, timeout, || file.try_lock())?;
    Ok(LockGuard { _file: Some(file) })
}

/// Takes a shared lock for reading. Where the lock file cannot be created (a read-only
/// cache), nobody can be swapping the folder either, so reading goes ahead unlocked.
pub fn shared(path: &Path, timeout: Duration) -> Result<LockGuard> {
    let file = match OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .or_else(|_| File::open(path))
    {
        Ok(f) => f,
        Err(_) => return Ok(LockGuard { _file: None }),
    };
    wait_for(path, timeout, || file.try_lock_shared())?;
    Ok(LockGuard { _file: Some(file) })
}

fn wait_for(
    path: &Path,
    timeout: Duration,
    mut attempt: impl FnMut() -> std::result::Result<(), TryLockError>,
) -> Result<()> {
    let start = Instant::now();
    loop {
        match attempt() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {
                if start.elapsed() >= timeout {
                    return Err(CacheError::LockTimeout {
                        path: path.to_path_buf(),
                        seconds: timeout.as_secs(),
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(TryLockError::Error(e)) => {
                return Err(CacheError::io("failed to lock", path, e));
            }
        }
    }
}

/// The name prefix of the database folder's temporary siblings tagged `tag`.
pub(crate) fn sibling_prefix(dir: &Path, tag: &str) -> String {
    format!(".{}.{tag}-", db_name(dir))
}

/// If a fetch was killed between moving the old folder aside and moving the new one in,
/// puts the old folder back (it is complete; the new one may not be).
pub fn recover_interrupted_swap(dir: &Path, timeout: Duration) -> Result<()> {
    if std::fs::symlink_metadata(dir).is_ok() {
        return Ok(());
    }
    if siblings(dir, &["old"]).is_empty() {
        return Ok(());
    }
    let _guard = exclusive(&lock_path(dir, ""), timeout)?;
    if std::fs::symlink_metadata(dir).is_ok() {
        return Ok(()); // another process restored it while we waited
    }
    // Listed again under the lock. Only a complete folder is ever named `old` (deletions
    // go through `trash`); if several are left, the most recently fetched one was live.
    let newest = siblings(dir, &["old"])
        .into_iter()
        .filter_map(|o| crate::info::SnapshotMarker::read(&o).map(|m| (m.fetched_at, o)))
        .max_by_key(|(fetched_at, _)| *fetched_at);
    if let Some((_, old)) = newest {
        std::fs::rename(&old, dir).map_err(|e| CacheError::io("failed to restore", &old, e))?;
    }
    Ok(())
}

/// Temporary sibling folders of the database with one of `tags` (links are not followed).
pub(crate) fn siblings(dir: &Path, tags: &[&str]) -> Vec<PathBuf> {
    let prefixes: Vec<String> = tags.iter().map(|t| sibling_prefix(dir, t)).collect();
    let Ok(entries) = std::fs::read_dir(db_parent(dir)) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            prefixes.iter().any(|p| name.starts_with(p))
        })
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect()
}
