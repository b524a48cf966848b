//! What a report says about the database: where it is, which commit, when it was last
//! updated, how many advisories, and how old it is. A folder we fetched carries a small
//! marker file with its commit; a user's own git clone is asked for its HEAD; a plain
//! folder is dated by its newest advisory.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Marker file written last into every snapshot that `fetch` creates.
pub const SNAPSHOT_MARKER: &str = ".depaudit-snapshot.toml";

/// Contents of [`SNAPSHOT_MARKER`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotMarker {
    /// The URL it was fetched from.
    pub url: String,
    /// Full commit id.
    pub commit: String,
    /// Commit time, seconds since the Unix epoch.
    pub commit_time: i64,
    /// When it was fetched, seconds since the Unix epoch.
    pub fetched_at: i64,
}

impl SnapshotMarker {
    /// Reads the marker of `dir`, if it has a valid one.
    pub fn read(dir: &Path) -> Option<Self> {
        let path = dir.join(SNAPSHOT_MARKER);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > 64 * 1024 {
            return None;
        }
        toml::from_str(&std::fs::read_to_string(path).ok()?).ok()
    }

    /// Serializes the marker.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

/// Git facts about the database, when it has them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Full commit id.
    pub id: String,
    /// Commit time, seconds since the Unix epoch.
    pub time: i64,
}

/// Reads the commit of `dir`: our snapshot marker, else the HEAD of a git work tree
/// (only once [`read_git_work_trees`] was called).
pub fn commit_of(dir: &Path) -> Option<CommitInfo> {
    if let Some(m) = SnapshotMarker::read(dir) {
        return Some(CommitInfo {
            id: m.commit,
            time: m.commit_time,
        });
    }
    if !has_git_dir(dir) {
        return None;
    }
    GIT_HEAD.get().and_then(|head| head(dir))
}

/// Whether `dir` is a git work tree whose commit no snapshot marker of ours says, so
/// that only git can say it (see [`read_git_work_trees`]): exactly when [`commit_of`]
/// asks git. `.git` is looked for first, so a plain folder costs one `stat`.
pub fn is_git_work_tree(dir: &Path) -> bool {
    has_git_dir(dir) && SnapshotMarker::read(dir).is_none()
}

/// Whether `dir` has a `.git` (a folder, or a file naming one elsewhere).
fn has_git_dir(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join(".git")).is_ok()
}

/// How the HEAD commit of a git work tree is read, once set by [`read_git_work_trees`].
/// A hook rather than a call, so that a program that never sets it links no git code
/// (the everyday `cargo-depaudit` binary hands such folders to its network build).
static GIT_HEAD: std::sync::OnceLock<fn(&Path) -> Option<CommitInfo>> = std::sync::OnceLock::new();

/// Lets [`commit_of`] read the HEAD commit of git work trees (with gix).
pub fn read_git_work_trees() {
    let _ = GIT_HEAD.set(git_head);
}

/// The HEAD commit of the git work tree `dir`.
fn git_head(dir: &Path) -> Option<CommitInfo> {
    let repo = gix::open_opts(dir, gix::open::Options::isolated()).ok()?;
    let commit = repo.head_commit().ok()?;
    Some(CommitInfo {
        id: commit.id.to_string(),
        time: commit.time().ok()?.seconds,
    })
}

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 for a `YYYY-MM-DD` date.
pub fn parse_date_days(date: &str) -> Option<i64> {
    let d: jiff::civil::Date = date.get(..10)?.parse().ok()?;
    let since = d - jiff::civil::date(1970, 1, 1);
    Some(since.get_days() as i64)
}

/// `YYYY-MM-DD` for days since 1970-01-01.
pub fn format_days(days: i64) -> String {
    let d = jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(jiff::civil::date(1970, 1, 1));
    d.to_string()
}

/// RFC 3339 UTC time for seconds since the epoch.
pub fn format_rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Today as days since 1970-01-01 (UTC).
pub fn today_days() -> i64 {
    now_unix().div_euclid(86_400)
}
