//! Lockfiles read straight from a git repository's object database, bare or not, with
//! gix: no checkout, no git binary, nothing written into the repository, and none of its
//! configuration read (it is opened isolated), so nothing in it can run.
//!
//! Trees are walked with the same skip rules as a folder scan (`target/`, `vendor/`,
//! hidden folders), a `Cargo.lock` that is a symlink or a submodule is not read, and a
//! blob larger than [`MAX_LOCKFILE_BYTES`] is refused from its header, before it is
//! inflated. History follows first parents and diffs trees by object id, descending only
//! into subtrees that changed, so its cost grows with the lockfile changes rather than
//! with the size of each tree.

use crate::input::lockfile::MAX_LOCKFILE_BYTES;
use gix::ObjectId;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Trees nested deeper than this are not descended into.
const MAX_DEPTH: usize = 64;

/// An open repository.
pub struct Repo {
    repo: gix::Repository,
    /// The path it was opened from.
    pub path: PathBuf,
}

/// Which folders a tree walk skips.
#[derive(Clone, Copy, Debug, Default)]
pub struct Skip {
    /// Also descend into hidden folders, `target/` and `vendor/`.
    pub all_dirs: bool,
}

impl Skip {
    fn skips(&self, name: &[u8]) -> bool {
        !self.all_dirs && (name.starts_with(b".") || name == b"target" || name == b"vendor")
    }
}

/// A first-parent commit that changed lockfiles, and how.
#[derive(Clone, Debug)]
pub struct Revision {
    /// Commit id (hex).
    pub commit: String,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// Lockfile paths (`/`-separated) and their new blob, or `None` where deleted.
    pub changes: Vec<(String, Option<ObjectId>)>,
}

/// The lockfile changes along a ref's first-parent history, oldest first.
#[derive(Debug, Default)]
pub struct History {
    /// Revisions that changed a lockfile; the first lists every lockfile of the oldest
    /// commit walked.
    pub revisions: Vec<Revision>,
    /// First-parent commits walked.
    pub commits: usize,
    /// Why the history stops before the root commit (a shallow clone, an unreadable
    /// commit), when it does.
    pub stopped: Option<String>,
}

/// A tree entry: (name, is a folder, is a plain file, id).
type TreeEntry = (Vec<u8>, bool, bool, ObjectId);

/// One line for a gix error.
fn line(e: &dyn std::error::Error) -> String {
    advisories_cache::load::one_line(e)
}

impl Repo {
    /// Opens the repository at `path` (a work tree or a bare repository), isolated from
    /// its configuration and the user's.
    pub fn open(path: &Path) -> Result<Repo, String> {
        let shown = crate::pathtext::display(path);
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(format!("{shown}: not a git repository (not a folder)")),
            Err(e) => return Err(format!("{shown}: {e}")),
        }
        let repo = gix::open_opts(path, gix::open::Options::isolated())
            .map_err(|e| format!("{shown}: not a git repository ({})", line(&e)))?;
        Ok(Repo {
            repo,
            path: path.to_path_buf(),
        })
    }

    /// Is it a shallow clone?
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// The commit a ref names (`HEAD` when `None`; short names resolve as git resolves
    /// them), with the ref's full name.
    pub fn resolve(&self, name: Option<&str>) -> Result<(String, ObjectId), String> {
        let shown = crate::pathtext::display(&self.path);
        let Some(name) = name.filter(|n| *n != "HEAD") else {
            let id = self
                .repo
                .head_id()
                .map_err(|e| format!("{shown}: HEAD does not name a commit ({})", line(&e)))?;
            return Ok(("HEAD".into(), id.detach()));
        };
        let mut r = self
            .repo
            .find_reference(name)
            .map_err(|e| format!("{shown}: no ref {name} ({})", line(&e)))?;
        let full = r.name().as_bstr().to_string();
        let commit = r
            .peel_to_commit()
            .map_err(|e| format!("{shown}: {name} does not name a commit ({})", line(&e)))?;
        Ok((full, commit.id))
    }

    /// The refs whose full name matches `pattern` (`*` matches within one path segment,
    /// as in `refs/heads/*`), each with its commit, sorted by name. Refs that name no
    /// commit (a tag of a tree) are left out.
    pub fn refs_matching(&self, pattern: &str) -> Result<Vec<(String, ObjectId)>, String> {
        let shown = crate::pathtext::display(&self.path);
        let platform = self
            .repo
            .references()
            .map_err(|e| format!("{shown}: cannot list refs ({})", line(&e)))?;
        let all = platform
            .all()
            .map_err(|e| format!("{shown}: cannot list refs ({})", line(&e)))?;
        let mut out = Vec::new();
        for r in all {
            let Ok(mut r) = r else { continue };
            let name = r.name().as_bstr().to_string();
            if !glob(pattern, &name) {
                continue;
            }
            if let Ok(c) = r.peel_to_commit() {
                out.push((name, c.id));
            }
        }
        out.sort();
        Ok(out)
    }

    fn tree_of(&self, commit: ObjectId) -> Result<ObjectId, String> {
        let c = self
            .repo
            .find_commit(commit)
            .map_err(|e| format!("commit {commit}: {}", line(&e)))?;
        c.tree_id()
            .map(|t| t.detach())
            .map_err(|e| format!("commit {commit}: {}", line(&e)))
    }

    /// A tree's entries: (name, is a folder, is a plain file, id).
    fn entries(&self, tree: ObjectId) -> Result<Vec<TreeEntry>, String> {
        let t = self
            .repo
            .find_tree(tree)
            .map_err(|e| format!("tree {tree}: {}", line(&e)))?;
        let mut out = Vec::new();
        for e in t.iter() {
            let e = e.map_err(|e| format!("tree {tree}: {}", line(&e)))?;
            let mode = e.mode();
            out.push((
                e.filename().to_vec(),
                mode.is_tree(),
                mode.is_blob() && !mode.is_link(),
                e.oid().to_owned(),
            ));
        }
        Ok(out)
    }

    /// Every `Cargo.lock` in the commit's tree: (path, blob).
    pub fn lockfiles_at(
        &self,
        commit: ObjectId,
        skip: Skip,
    ) -> Result<Vec<(String, ObjectId)>, String> {
        let tree = self.tree_of(commit)?;
        let mut out = Vec::new();
        self.collect(tree, "", skip, 0, &mut out)?;
        out.sort();
        Ok(out)
    }

    fn collect(
        &self,
        tree: ObjectId,
        prefix: &str,
        skip: Skip,
        depth: usize,
        out: &mut Vec<(String, ObjectId)>,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        for (name, is_tree, is_file, id) in self.entries(tree)? {
            if is_tree && !skip.skips(&name) {
                let sub = join(prefix, &name);
                self.collect(id, &sub, skip, depth + 1, out)?;
            } else if is_file && name == b"Cargo.lock" {
                out.push((join(prefix, &name), id));
            }
        }
        Ok(())
    }

    /// The lockfile changes between two trees, descending only where ids differ.
    fn diff(
        &self,
        old: ObjectId,
        new: ObjectId,
        prefix: &str,
        skip: Skip,
        depth: usize,
        out: &mut Vec<(String, Option<ObjectId>)>,
    ) -> Result<(), String> {
        if old == new || depth > MAX_DEPTH {
            return Ok(());
        }
        let before: HashMap<Vec<u8>, (bool, bool, ObjectId)> = self
            .entries(old)?
            .into_iter()
            .map(|(n, t, f, id)| (n, (t, f, id)))
            .collect();
        let mut seen = Vec::new();
        for (name, is_tree, is_file, id) in self.entries(new)? {
            let was = before.get(&name).copied();
            seen.push(name.clone());
            if was.is_some_and(|w| w.2 == id && w.0 == is_tree && w.1 == is_file) {
                continue;
            }
            let path = join(prefix, &name);
            if is_tree && !skip.skips(&name) {
                match was {
                    Some((true, _, old_id)) => {
                        self.diff(old_id, id, &path, skip, depth + 1, out)?
                    }
                    _ => {
                        let mut added = Vec::new();
                        self.collect(id, &path, skip, depth + 1, &mut added)?;
                        out.extend(added.into_iter().map(|(p, b)| (p, Some(b))));
                    }
                }
            }
            if is_file && name == b"Cargo.lock" {
                out.push((path.clone(), Some(id)));
            }
            // What the name was before and is no longer: a folder became a file, or a
            // lockfile became something else.
            match was {
                Some((true, _, old_id)) if !is_tree && !skip.skips(&name) => {
                    self.removed(old_id, &path, skip, depth + 1, out)?
                }
                Some((false, true, _)) if !is_file && name == b"Cargo.lock" => {
                    out.push((path, None))
                }
                _ => {}
            }
        }
        for (name, (was_tree, was_file, id)) in before {
            if seen.contains(&name) {
                continue;
            }
            let path = join(prefix, &name);
            if was_tree && !skip.skips(&name) {
                self.removed(id, &path, skip, depth + 1, out)?;
            } else if was_file && name == b"Cargo.lock" {
                out.push((path, None));
            }
        }
        Ok(())
    }

    fn removed(
        &self,
        tree: ObjectId,
        prefix: &str,
        skip: Skip,
        depth: usize,
        out: &mut Vec<(String, Option<ObjectId>)>,
    ) -> Result<(), String> {
        let mut gone = Vec::new();
        self.collect(tree, prefix, skip, depth, &mut gone)?;
        out.extend(gone.into_iter().map(|(p, _)| (p, None)));
        Ok(())
    }

    /// A lockfile blob's bytes ([`read_blob`]).
    pub fn read_lockfile(&self, blob: ObjectId) -> Result<Vec<u8>, String> {
        read_blob(&self.repo, blob)
    }

    /// A handle other threads can read blobs through ([`Shared::read_lockfile`]).
    pub fn shared(&self) -> Shared {
        Shared(self.repo.clone().into_sync())
    }

    /// The lockfile changes along the first-parent history of `tip`, oldest first,
    /// from the root commit or the first commit at or after `since` (seconds since the
    /// epoch).
    pub fn history(&self, tip: ObjectId, since: Option<i64>, skip: Skip) -> History {
        let mut chain: Vec<(ObjectId, i64, ObjectId)> = Vec::new();
        let mut stopped = None;
        let mut next = Some(tip);
        while let Some(id) = next.take() {
            let commit = match self.repo.find_commit(id) {
                Ok(c) => c,
                Err(e) => {
                    stopped = Some(if self.is_shallow() {
                        format!("shallow clone: history stops at {id}, which it does not have")
                    } else {
                        format!("history stops at {id}: {}", line(&e))
                    });
                    break;
                }
            };
            let time = commit.time().map(|t| t.seconds).unwrap_or(0);
            if since.is_some_and(|s| time < s) {
                break;
            }
            let tree = match commit.tree_id() {
                Ok(t) => t.detach(),
                Err(e) => {
                    stopped = Some(format!("history stops at {id}: {}", line(&e)));
                    break;
                }
            };
            chain.push((id, time, tree));
            next = commit.parent_ids().next().map(|p| p.detach());
            if next.is_none() && self.is_shallow() && chain.len() > 1 {
                // A grafted boundary commit looks like a root in a shallow clone.
                let boundary = self
                    .repo
                    .shallow_commits()
                    .ok()
                    .flatten()
                    .is_some_and(|b| b.contains(&id));
                if boundary {
                    stopped = Some(format!("shallow clone: history stops at {id}"));
                }
            }
        }
        let commits = chain.len();
        let mut revisions = Vec::new();
        let mut prev: Option<ObjectId> = None;
        for (id, time, tree) in chain.into_iter().rev() {
            let mut changes = Vec::new();
            let result = match prev {
                None => {
                    let mut all = Vec::new();
                    self.collect(tree, "", skip, 0, &mut all).map(|_| {
                        changes.extend(all.into_iter().map(|(p, b)| (p, Some(b))));
                    })
                }
                Some(p) => self.diff(p, tree, "", skip, 0, &mut changes),
            };
            if let Err(e) = result {
                stopped.get_or_insert(format!("history stops at {id}: {e}"));
                break;
            }
            prev = Some(tree);
            if !changes.is_empty() {
                changes.sort();
                changes.dedup();
                revisions.push(Revision {
                    commit: id.to_string(),
                    time,
                    changes,
                });
            }
        }
        History {
            revisions,
            commits,
            stopped,
        }
    }
}

/// A repository shared by a scan's threads.
pub struct Shared(gix::ThreadSafeRepository);

impl Shared {
    /// A lockfile blob's bytes ([`read_blob`]).
    pub fn read_lockfile(&self, blob: ObjectId) -> Result<Vec<u8>, String> {
        read_blob(&self.0.to_thread_local(), blob)
    }
}

/// A blob's bytes; one larger than [`MAX_LOCKFILE_BYTES`] is refused from its header,
/// before it is inflated.
fn read_blob(repo: &gix::Repository, blob: ObjectId) -> Result<Vec<u8>, String> {
    let header = repo
        .find_header(blob)
        .map_err(|e| format!("object {blob}: {}", line(&e)))?;
    if header.size() > MAX_LOCKFILE_BYTES {
        return Err(format!(
            "larger than {} MiB",
            MAX_LOCKFILE_BYTES / (1024 * 1024)
        ));
    }
    let mut b = repo
        .find_blob(blob)
        .map_err(|e| format!("object {blob}: {}", line(&e)))?;
    Ok(b.take_data())
}

fn join(prefix: &str, name: &[u8]) -> String {
    #[cfg(unix)]
    let name = {
        use std::os::unix::ffi::OsStrExt;
        crate::pathtext::display(Path::new(std::ffi::OsStr::from_bytes(name)))
    };
    #[cfg(not(unix))]
    let name = String::from_utf8_lossy(name).into_owned();
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

/// Does `name` match `pattern`, where `*` matches any run of characters but `/`?
pub fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => {
                let mut i = 0;
                loop {
                    if go(rest, &n[i..]) {
                        return true;
                    }
                    if i == n.len() || n[i] == b'/' {
                        return false;
                    }
                    i += 1;
                }
            }
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("refs/heads/*", "refs/heads/main"));
        assert!(!glob("refs/heads/*", "refs/heads/feature/x"));
        assert!(glob("refs/heads/*/*", "refs/heads/feature/x"));
        assert!(glob("refs/tags/v*", "refs/tags/v1.0"));
        assert!(!glob("refs/tags/v*", "refs/heads/v1"));
        assert!(glob("HEAD", "HEAD"));
    }
}
