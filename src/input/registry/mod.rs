//! Published versions of crates and what each requires, read offline from the index cargo
//! itself would use (see [`config`]): cargo's crates.io index cache, or a `local-registry`
//! / `directory` source that replaces crates.io. Used by the yanked check and by
//! remediation. Nothing here touches the network or runs a program.
//!
//! Crate names come from untrusted lockfiles, so only names cargo could publish are looked
//! up (no `/`, `..` or other characters that could leave the index folder), and every file
//! is read with a size limit.

pub mod config;
mod digest;
mod files;
pub mod online;
mod packed;

pub use config::IndexSource;

use advisories_cache::fingerprint::{Folder, Stat};
use hashbrown::{Equivalent, HashMap};
use std::sync::{Arc, Mutex};

/// Index files larger than this are ignored (the largest crates.io entries are ~2 MiB).
const MAX_INDEX_FILE: u64 = 32 * 1024 * 1024;

/// One published version.
#[derive(Clone)]
pub struct IndexVersion {
    /// The version.
    pub version: semver::Version,
    /// Yanked from the registry.
    pub yanked: bool,
    /// Its dependencies.
    deps: Deps,
}

/// A version's dependencies: decoded, or still in the digest's compact form (checked
/// when read), decoded per question. A warm audit's remediation search asks hundreds of
/// releases what they require of one crate; building every dependency of each to answer
/// was most of its allocations.
#[derive(Debug, Clone)]
enum Deps {
    Decoded(Vec<IndexDep>),
    Packed(Box<[u8]>, Box<[packed::DepAt]>),
}

impl IndexVersion {
    /// A version with its decoded dependencies.
    pub fn new(version: semver::Version, yanked: bool, deps: Vec<IndexDep>) -> IndexVersion {
        IndexVersion {
            version,
            yanked,
            deps: Deps::Decoded(deps),
        }
    }

    /// A version whose dependencies are in [`packed`] form, when that form is whole.
    fn packed(version: semver::Version, bytes: &[u8]) -> Option<IndexVersion> {
        // Checked in full once, so a damaged entry is refused here, not when asked.
        let (yanked, at) = packed::index_entry(bytes)?;
        Some(IndexVersion {
            version,
            yanked,
            deps: Deps::Packed(bytes.into(), at.into()),
        })
    }

    /// Every dependency.
    pub fn deps(&self) -> std::borrow::Cow<'_, [IndexDep]> {
        match &self.deps {
            Deps::Decoded(d) => std::borrow::Cow::Borrowed(d),
            Deps::Packed(b, at) => {
                std::borrow::Cow::Owned(at.iter().filter_map(|d| packed::dep_at(b, d)).collect())
            }
        }
    }

    /// The requirements this version places on crate `name` (by package name), with
    /// their kinds; a crate can be required more than once (per target, per kind).
    pub fn requirements_on(&self, name: &str) -> Vec<IndexDep> {
        match &self.deps {
            Deps::Decoded(d) => d.iter().filter(|d| d.package == name).cloned().collect(),
            Deps::Packed(b, at) => at
                .iter()
                .filter(|d| d.name(b) == name.as_bytes())
                .filter_map(|d| packed::dep_at(b, d))
                .collect(),
        }
    }

    /// The compact form of its yanked flag and dependencies.
    fn encoded(&self) -> Vec<u8> {
        match &self.deps {
            Deps::Packed(b, _) => b.to_vec(),
            Deps::Decoded(d) => packed::encode_entry(self.yanked, d),
        }
    }
}

impl PartialEq for IndexVersion {
    fn eq(&self, other: &IndexVersion) -> bool {
        self.version == other.version && self.yanked == other.yanked && self.deps() == other.deps()
    }
}

impl Eq for IndexVersion {}

/// Shown with its dependencies decoded, whatever form holds them.
impl std::fmt::Debug for IndexVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexVersion")
            .field("version", &self.version)
            .field("yanked", &self.yanked)
            .field("deps", &self.deps())
            .finish()
    }
}

/// One dependency of a published version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDep {
    /// The crate's real (package) name.
    pub package: String,
    /// The version requirement.
    pub req: semver::VersionReq,
    /// `normal`, `build` or `dev`.
    pub kind: DepKind,
    /// Optional (behind a feature).
    pub optional: bool,
    /// `cfg(...)` or triple, when target-specific.
    pub target: Option<String>,
}

pub use crate::input::depkind::DepKind;

/// A crate's published versions, oldest first.
pub type Versions = Arc<Vec<IndexVersion>>;

/// A crate's published versions with their yanked flags, oldest first.
pub type Published = Arc<Vec<(semver::Version, bool)>>;

/// Reads index data on demand and remembers it (scans share one across lockfiles).
#[derive(Debug)]
pub struct Registry {
    source: IndexSource,
    cache: Mutex<HashMap<String, Option<Versions>>>,
    /// Yanked flags by `name@version`, for the yanked check (cheaper than full entries).
    yanked: Mutex<HashMap<VersionKey, Option<bool>>>,
    /// Whole cache files read so far, by crate name (`None`: no usable file).
    files: Mutex<HashMap<String, Option<Arc<files::CacheFile>>>>,
    /// How often a crate's file tail was read for one version (see `cache_json`).
    tail_reads: Mutex<HashMap<String, u32>>,
    /// Answers of [`Registry::allows`], by `name@version dep c`.
    allows_memo: Mutex<HashMap<AllowsKey, Option<bool>>>,
    /// Published versions and yanked flags by crate name.
    published: Mutex<HashMap<String, Option<Published>>>,
    /// Single entries by `name@version`, for what a locked package declares.
    entries: Mutex<HashMap<VersionKey, Option<Arc<IndexVersion>>>>,
    /// For a `directory` source: every crate found, read once.
    directory: Mutex<Option<std::collections::HashMap<String, Vec<IndexVersion>>>>,
    /// Asked for crates.io crates the local cache lacks (`--online-index` only).
    online: Option<Box<dyn online::OnlineIndex>>,
    /// What earlier runs read from cargo's cache, proved fresh per crate by a `stat`.
    digest: Option<digest::Digest>,
    /// cargo's crates.io cache folders, looked for once.
    cache_roots: std::sync::OnceLock<Vec<std::path::PathBuf>>,
    /// The only one of them, opened (see [`Registry::cache_stat`]).
    cache_folder: std::sync::OnceLock<Option<Folder>>,
}

impl Registry {
    /// The registry for a source.
    pub fn new(source: IndexSource) -> Registry {
        Registry {
            source,
            cache: Mutex::new(HashMap::new()),
            yanked: Mutex::new(HashMap::new()),
            entries: Mutex::new(HashMap::new()),
            published: Mutex::new(HashMap::new()),
            allows_memo: Mutex::new(HashMap::new()),
            files: Mutex::new(HashMap::new()),
            tail_reads: Mutex::new(HashMap::new()),
            directory: Mutex::new(None),
            online: None,
            digest: None,
            cache_roots: std::sync::OnceLock::new(),
            cache_folder: std::sync::OnceLock::new(),
        }
    }

    /// cargo's crates.io cache folders (`None` for other sources).
    fn cache_roots(&self) -> Option<&[std::path::PathBuf]> {
        let IndexSource::CratesIoCache { cargo_home, git } = &self.source else {
            return None;
        };
        Some(
            self.cache_roots
                .get_or_init(|| files::cache_roots(cargo_home, *git)),
        )
    }

    /// The cache file of `name` in cargo's crates.io cache (`None` for other sources).
    fn cache_path(&self, name: &str) -> Option<std::path::PathBuf> {
        files::cache_path(self.cache_roots()?, name)
    }

    /// The `stat` of `name`'s file in cargo's crates.io cache: `None` when there is no
    /// place for one, `Some(None)` when there is no such file. With the usual single
    /// cache folder, open once, the file is looked at by its short name inside it (a
    /// warm audit does this for every crate it asks about).
    fn cache_stat(&self, name: &str) -> Option<Option<Stat>> {
        let roots = self.cache_roots()?;
        if !valid_name(name) {
            return None;
        }
        if let [only] = roots
            && let Some(folder) = self.cache_folder.get_or_init(|| Folder::open(only))
        {
            return Some(folder.stat(&files::index_rel_text(name)));
        }
        // The folder could not be opened, or there are several: a path, if there is a
        // place for one.
        let path = files::cache_path(roots, name)?;
        Some(std::fs::symlink_metadata(path).ok().map(|m| Stat::of(&m)))
    }

    /// The cache file of `name` to read: not one the digest has just seen missing.
    fn file_to_read(&self, name: &str) -> Option<std::path::PathBuf> {
        match &self.digest {
            Some(d) if d.saw_no_file(name) => None,
            _ => self.cache_path(name),
        }
    }

    /// Keeps a digest of what is read from cargo's crates.io cache in the cache folder
    /// (`None`: none), so later runs skip reading files that have not changed.
    pub fn with_digest(mut self, dir: Option<&std::path::Path>) -> Registry {
        if let (IndexSource::CratesIoCache { cargo_home, git }, Some(dir)) = (&self.source, dir) {
            let mut h = advisories_cache::fingerprint::Fnv::default();
            h.write(cargo_home.as_os_str().as_encoded_bytes());
            h.write(&[u8::from(*git)]);
            let file = dir.join(format!("crates-io-{:016x}.digest", h.finish()));
            self.digest = Some(digest::Digest::at(file));
        }
        self
    }

    /// Writes what this run read to the digest (see [`Registry::with_digest`]); a
    /// failure only costs the next run some speed.
    pub fn save_digest(&self) {
        if let Some(d) = &self.digest {
            d.save();
        }
    }

    /// A memo table's answer for `key`, else the digest's (when its record of `name` is
    /// true to cargo's file now), which is then remembered.
    fn remembered<
        K: Eq + std::hash::Hash,
        Q: std::hash::Hash + Equivalent<K> + ?Sized,
        T: Clone,
    >(
        &self,
        memo: &Mutex<HashMap<K, T>>,
        key: &Q,
        name: &str,
        owned: impl FnOnce() -> K,
        from_digest: impl FnOnce(&digest::Digest) -> Option<T>,
    ) -> Option<T> {
        if let Some(hit) = lock(memo).get(key) {
            return Some(hit.clone());
        }
        let d = self.digest.as_ref()?;
        if !d.seed(name, || self.cache_stat(name)) {
            return None;
        }
        let found = from_digest(d)?;
        lock(memo).insert(owned(), found.clone());
        Some(found)
    }

    /// Passes an answer read from cargo's cache to the digest (never one the online
    /// index may have given: an offline run must not see it).
    fn note(&self, f: impl FnOnce(&digest::Digest)) {
        if let (Some(d), IndexSource::CratesIoCache { .. }, None) =
            (&self.digest, &self.source, &self.online)
        {
            f(d);
        }
    }

    /// Also asks `online` (the crates.io sparse index, see `crate::net`, which the
    /// caller hands in) for crates cargo's cache lacks: only for a crates.io source; a
    /// local registry is never bypassed.
    pub fn with_online_index(mut self, online: Option<Box<dyn online::OnlineIndex>>) -> Registry {
        if matches!(self.source, IndexSource::CratesIoCache { .. }) {
            self.online = online;
        }
        self
    }

    /// The registry cargo would use for crates.io in `dir` (see [`config::crates_io_source`]).
    /// The digest of what it reads lives in the cache folder.
    pub fn for_workspace(dir: Option<&std::path::Path>) -> Registry {
        Registry::new(config::crates_io_source(dir))
            .with_digest(Some(&advisories_cache::location::registry_dir()))
    }

    /// Where the data comes from.
    pub fn source(&self) -> &IndexSource {
        &self.source
    }

    /// Whether this source can give any data at all.
    pub fn is_readable(&self) -> bool {
        !matches!(self.source, IndexSource::Unsupported(_))
    }

    /// Every published version of `name` the index knows, oldest first; `None` when the
    /// index has no entry (not cached, not in the local registry, or an invalid name).
    pub fn versions(&self, name: &str) -> Option<Versions> {
        if !valid_name(name) {
            return None;
        }
        if let Some(hit) = lock(&self.cache).get(name) {
            return hit.clone();
        }
        let found = self.read(name).map(|mut v| {
            v.sort_by(|a, b| a.version.cmp(&b.version));
            Arc::new(v)
        });
        lock(&self.cache).insert(name.to_string(), found.clone());
        found
    }

    /// Whether `name version` is yanked: `None` when the index cannot say. For cargo's
    /// cache only the tail of the file holding that version's entry is read (locked
    /// versions are usually recent, and entries are oldest first).
    pub fn is_yanked(&self, name: &str, version: &semver::Version) -> Option<bool> {
        if !valid_name(name) {
            return None;
        }
        let key = VersionKeyRef(name, version);
        if let Some(hit) = self.known_yanked(name, version) {
            return hit;
        }
        // A decoded entry may already say.
        if let Some(Some(e)) = lock(&self.entries).get(&key) {
            return Some(e.yanked);
        }
        let found = match &self.source {
            IndexSource::CratesIoCache { .. } => self
                .cache_json(name, version)
                .map(|json| files::entry_yanked(&json))
                .or_else(|| {
                    self.online.as_ref()?;
                    let all = self.versions(name)?;
                    all.iter().find(|v| v.version == *version).map(|v| v.yanked)
                }),
            _ => self
                .versions(name)?
                .iter()
                .find(|v| v.version == *version)
                .map(|v| v.yanked),
        };
        self.note(|d| d.note_yanked(name, &crate::version_text::version_text(version), found));
        lock(&self.yanked).insert(key.owned(), found);
        found
    }

    /// Every published version of `name` and whether it is yanked, oldest first — what
    /// candidate selection needs, without decoding any entry's dependencies.
    pub fn published(&self, name: &str) -> Option<Published> {
        if !valid_name(name) {
            return None;
        }
        if let Some(hit) = self.known_published(name) {
            return hit;
        }
        let from_versions = || -> Option<Vec<(semver::Version, bool)>> {
            Some(
                self.versions(name)?
                    .iter()
                    .map(|v| (v.version.clone(), v.yanked))
                    .collect(),
            )
        };
        let found = match &self.source {
            IndexSource::CratesIoCache { .. } => self
                .whole_cache_file(name)
                .map(|file| file.published())
                .or_else(|| {
                    self.online.as_ref()?;
                    from_versions()
                }),
            _ => from_versions(),
        }
        .map(|mut v| {
            v.sort_by(|a, b| a.0.cmp(&b.0));
            Arc::new(v)
        });
        if let Some(p) = &found {
            self.note(|d| d.note_published(name, p));
        }
        lock(&self.published).insert(name.to_string(), found.clone());
        found
    }

    /// The whole cache file of `name` (kept for later lookups).
    fn whole_cache_file(&self, name: &str) -> Option<Arc<files::CacheFile>> {
        if !matches!(self.source, IndexSource::CratesIoCache { .. }) {
            return None;
        }
        if let Some(whole) = lock(&self.files).get(name).cloned() {
            return whole;
        }
        let bytes = self
            .file_to_read(name)
            .and_then(|p| files::read_limited(&p))
            .and_then(files::CacheFile::new)
            .map(Arc::new);
        lock(&self.files).insert(name.to_string(), bytes.clone());
        bytes
    }

    /// Does published `name version` require `dep` (normal or build) in a way that allows
    /// `c`? A version that does not depend on `dep` allows it. `None`: no data.
    pub fn allows(
        &self,
        name: &str,
        version: &semver::Version,
        dep: &str,
        c: &semver::Version,
    ) -> Option<bool> {
        let key = AllowsKeyRef(VersionKeyRef(name, version), VersionKeyRef(dep, c));
        if let Some(hit) = lock(&self.allows_memo).get(&key) {
            return *hit;
        }
        // The decoded entry is kept (several candidates are checked against it).
        let answer = self.version_entry(name, version).map(|e| {
            e.requirements_on(dep)
                .iter()
                .filter(|d| d.kind != DepKind::Dev)
                .all(|d| d.req.matches(c))
        });
        lock(&self.allows_memo).insert(AllowsKey(key.0.owned(), key.1.owned()), answer);
        answer
    }

    /// Reads, on every CPU, the yanked flags, entries and published lists a run is
    /// about to ask for one by one, when more than a few of them are neither remembered
    /// nor in the digest (a first run reads several MiB of cargo's files; a warm one
    /// reads none and starts no thread).
    pub fn prefetch(
        &self,
        yanked: &[(&str, &semver::Version)],
        entries: &[(&str, &semver::Version)],
        published: &[&str],
    ) {
        enum Ask<'a> {
            Yanked(&'a str, &'a semver::Version),
            Entry(&'a str, &'a semver::Version),
            Published(&'a str),
        }
        // Only what neither the memo nor the digest knows costs a read; a name that
        // is never looked up, or that cargo's cache has no file for, costs nothing.
        let missing_yanked = |&&(n, v): &&(&str, &semver::Version)| {
            valid_name(n) && self.known_yanked(n, v).is_none() && self.worth_reading(n)
        };
        let missing_entry = |&&(n, v): &&(&str, &semver::Version)| {
            valid_name(n) && self.known_entry(n, v).is_none() && self.worth_reading(n)
        };
        let missing_published = |&&n: &&&str| {
            valid_name(n) && self.known_published(n).is_none() && self.worth_reading(n)
        };
        let asks: Vec<Ask<'_>> = yanked
            .iter()
            .filter(missing_yanked)
            .map(|&(n, v)| Ask::Yanked(n, v))
            .chain(
                entries
                    .iter()
                    .filter(missing_entry)
                    .map(|&(n, v)| Ask::Entry(n, v)),
            )
            .chain(
                published
                    .iter()
                    .filter(missing_published)
                    .map(|&n| Ask::Published(n)),
            )
            .collect();
        if asks.len() < 8 {
            return; // asked for later, one by one, at no loss
        }
        advisories_cache::load::parallel_map_chunked(&asks, 1, |ask| match *ask {
            Ask::Yanked(n, v) => drop(self.is_yanked(n, v)),
            Ask::Entry(n, v) => drop(self.version_entry(n, v)),
            Ask::Published(n) => drop(self.published(n)),
        });
    }

    /// The remembered (or digested) yanked flag of `name version`, if any.
    fn known_yanked(&self, name: &str, version: &semver::Version) -> Option<Option<bool>> {
        let key = VersionKeyRef(name, version);
        self.remembered(
            &self.yanked,
            &key,
            name,
            || key.owned(),
            |d| d.yanked(name, &crate::version_text::version_text(version)),
        )
    }

    /// The remembered (or digested) entry of `name version`, if any.
    fn known_entry(
        &self,
        name: &str,
        version: &semver::Version,
    ) -> Option<Option<Arc<IndexVersion>>> {
        let key = VersionKeyRef(name, version);
        self.remembered(
            &self.entries,
            &key,
            name,
            || key.owned(),
            |d| Some(d.entry(name, version)?.map(Arc::new)),
        )
    }

    /// The remembered (or digested) published versions of `name`, if any.
    fn known_published(&self, name: &str) -> Option<Option<Published>> {
        self.remembered(
            &self.published,
            name,
            name,
            || name.to_string(),
            |d| d.published(name).map(Some),
        )
    }

    /// Whether asking about `name` may read something: not for a crate cargo's cache
    /// has no file for (unless the online index may be asked).
    fn worth_reading(&self, name: &str) -> bool {
        match (&self.source, &self.digest) {
            (IndexSource::CratesIoCache { .. }, Some(d)) => {
                self.online.is_some() || d.has_file(name)
            }
            _ => true,
        }
    }

    /// The entry of one published version (what a locked package declares). For cargo's
    /// cache only that entry is decoded; other sources read the crate's whole file once.
    pub fn version_entry(
        &self,
        name: &str,
        version: &semver::Version,
    ) -> Option<Arc<IndexVersion>> {
        if !valid_name(name) {
            return None;
        }
        let key = VersionKeyRef(name, version);
        if let Some(hit) = self.known_entry(name, version) {
            return hit;
        }
        let from_all = |all: Versions| all.iter().find(|v| v.version == *version).cloned();
        let found = match &self.source {
            IndexSource::CratesIoCache { .. } => self
                .cache_json(name, version)
                .and_then(|json| files::parse_entry(&json))
                .or_else(|| {
                    self.online.as_ref()?;
                    self.versions(name).and_then(from_all)
                }),
            _ => self.versions(name).and_then(from_all),
        }
        .map(Arc::new);
        self.note(|d| {
            d.note_entry(
                name,
                &crate::version_text::version_text(version),
                found.as_deref(),
            )
        });
        lock(&self.entries).insert(key.owned(), found.clone());
        found
    }

    /// The features published `name version` offers (see [`files::entry_features`]);
    /// `None` when the index cannot say. Read only by `fix`'s planning, never by audits.
    pub fn features(
        &self,
        name: &str,
        version: &semver::Version,
    ) -> Option<std::collections::BTreeSet<String>> {
        if !valid_name(name) {
            return None;
        }
        let v = crate::version_text::version_text(version);
        match &self.source {
            IndexSource::CratesIoCache { .. } => {
                files::entry_features(&self.cache_json(name, version)?)
            }
            IndexSource::LocalRegistry(root) => {
                let path = root.join("index").join(files::index_rel_path(name));
                let bytes = files::read_limited(&path)?;
                files::entry_features(files::json_line(&bytes, &v)?)
            }
            IndexSource::Directory(_) | IndexSource::Unsupported(_) => None,
        }
    }

    /// The JSON of one version's entry in cargo's cache: the file's tail first, then the
    /// whole file, which is kept for the next version of the same crate (scans).
    fn cache_json(&self, name: &str, version: &semver::Version) -> Option<Vec<u8>> {
        if !matches!(self.source, IndexSource::CratesIoCache { .. }) {
            return None;
        }
        let v = crate::version_text::version_text(version);
        if let Some(whole) = lock(&self.files).get(name).cloned() {
            return whole?.entry(&v).map(<[u8]>::to_vec);
        }
        // A crate asked about more than twice (remediation walks its releases) is read
        // whole once, rather than its file's tail again for every version.
        let asked = {
            let mut counts = lock(&self.tail_reads);
            let n = counts.entry(name.to_string()).or_insert(0);
            *n += 1;
            *n
        };
        if asked > 2 {
            return self
                .whole_cache_file(name)
                .and_then(|f| f.entry(&v).map(<[u8]>::to_vec));
        }
        let Some(path) = self.file_to_read(name) else {
            lock(&self.files).insert(name.to_string(), None);
            return None;
        };
        match files::read_tail(&path, &v) {
            files::Tail::Entry(json) => Some(json),
            files::Tail::Whole(bytes) => {
                let file = files::CacheFile::new(bytes).map(Arc::new);
                let found = file.as_ref().and_then(|f| f.entry(&v)).map(<[u8]>::to_vec);
                lock(&self.files).insert(name.to_string(), file);
                found
            }
            files::Tail::Absent => None,
            files::Tail::Invalid => {
                lock(&self.files).insert(name.to_string(), None);
                None
            }
        }
    }

    fn read(&self, name: &str) -> Option<Vec<IndexVersion>> {
        match &self.source {
            // The same kept file the other lookups read.
            IndexSource::CratesIoCache { .. } => self
                .whole_cache_file(name)
                .map(|f| f.versions())
                .or_else(|| self.online.as_ref()?.versions(name)),
            IndexSource::LocalRegistry(root) => {
                let path = root.join("index").join(files::index_rel_path(name));
                let bytes = files::read_limited(&path)?;
                Some(files::parse_json_lines(&bytes))
            }
            IndexSource::Directory(root) => {
                let mut dir = lock(&self.directory);
                let all = dir.get_or_insert_with(|| files::read_directory_source(root));
                all.get(name).cloned()
            }
            IndexSource::Unsupported(_) => None,
        }
    }
}

/// A `name@version` memo key, looked up through [`VersionKeyRef`] without building one.
#[derive(Debug, PartialEq, Eq)]
struct VersionKey(Box<str>, semver::Version);

/// A borrowed [`VersionKey`]: hashes the same way.
struct VersionKeyRef<'a>(&'a str, &'a semver::Version);

/// The hash of a `name@version` key: the name and the version's numbers. Pre-release
/// and build are left to the equality check (hashing them cost ~2% of a warm audit,
/// and crates rarely publish two pre-releases of one `x.y.z`).
fn hash_key<H: std::hash::Hasher>(name: &str, v: &semver::Version, h: &mut H) {
    use std::hash::Hash;
    name.hash(h);
    h.write_u64(v.major);
    h.write_u64(v.minor);
    h.write_u64(v.patch);
}

impl std::hash::Hash for VersionKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        hash_key(&self.0, &self.1, h);
    }
}

impl std::hash::Hash for VersionKeyRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        hash_key(self.0, self.1, h);
    }
}

impl VersionKeyRef<'_> {
    fn owned(&self) -> VersionKey {
        VersionKey(self.0.into(), self.1.clone())
    }
}

impl Equivalent<VersionKey> for VersionKeyRef<'_> {
    fn equivalent(&self, key: &VersionKey) -> bool {
        *self.0 == *key.0 && *self.1 == key.1
    }
}

/// `name@version` and a dependency's candidate version, for [`Registry::allows`].
#[derive(Debug, Hash, PartialEq, Eq)]
struct AllowsKey(VersionKey, VersionKey);

#[derive(Hash)]
struct AllowsKeyRef<'a>(VersionKeyRef<'a>, VersionKeyRef<'a>);

impl Equivalent<AllowsKey> for AllowsKeyRef<'_> {
    fn equivalent(&self, key: &AllowsKey) -> bool {
        self.0.equivalent(&key.0) && self.1.equivalent(&key.1)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The index path of a crate (`3/a/abc`, `ab/cd/abcd…`).
pub fn files_index_path(name: &str) -> std::path::PathBuf {
    files::index_rel_path(name)
}

/// Names cargo can publish: ASCII letters, digits, `-` and `_`, at most 64 long.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests;
