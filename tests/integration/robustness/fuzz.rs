//! Mutation fuzzing of every input the tool reads: advisory files, policy files
//! (`depaudit.toml`, `.cargo/audit.toml`, `deny.toml`), scan baselines (JSON Lines),
//! compiled index files, lockfiles and compiled binaries. Seeds are real files (`../shared/advisory-db`,
//! the corpus, files the binary wrote); mutations are truncation, bit flips, duplicated
//! chunks and tables, huge strings, deep nesting, invalid UTF-8, control characters,
//! dropped or swapped lines and stray tokens (see `support::mutate`).
//!
//! Most cases run in process (fast, with a hang watchdog); a fiftieth of them also run
//! through the binary under a 512 MiB heap cap, where each must end in exit 0/1, or exit
//! 2 with one `error:` line naming the file. Counts print on stderr (`--nocapture`).

use super::support::*;
use crate::common::*;
use advisories_cache::Collection;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const HEAP_CAP: u64 = 512 * 1024 * 1024;

/// One seed file: where it lives relative to its root, and its bytes.
#[derive(Clone)]
struct Seed {
    rel: String,
    bytes: Vec<u8>,
}

type Tally = BTreeMap<&'static str, usize>;

/// Runs `cases` mutations of `seeds` through `check` in process (which returns an
/// outcome label); a panic saves the input and fails naming the case and operators.
fn in_process<F>(
    name: &'static str,
    seeds: Vec<Seed>,
    rng_seed: u64,
    cases: usize,
    check: F,
) -> Tally
where
    F: Fn(&Seed, &[u8]) -> &'static str + Send + 'static,
{
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let tally = Arc::new(Mutex::new(Tally::new()));
    let t = tally.clone();
    let mut rng = Rng::new(rng_seed);
    watchdog(name, cases, Duration::from_secs(30), move |i| {
        let seed = rng.pick(&seeds).clone();
        let (bytes, ops) = mutate(&seed.bytes, &mut rng);
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&seed, &bytes)));
        match outcome {
            Ok(label) => *t.lock().unwrap().entry(label).or_default() += 1,
            Err(_) => {
                let saved = save_failure(name, i, &bytes);
                panic!(
                    "{name}: case {i} ({} with {ops:?}) panicked; input saved to {}",
                    seed.rel,
                    saved.display()
                );
            }
        }
    });
    let tally = tally.lock().unwrap().clone();
    eprintln!("fuzz {name}: {cases} cases in process: {tally:?}");
    tally
}

fn files_under(root: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else if keep(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every 8th real advisory (~150) when `../shared` is there, and the fixture advisories
/// renamed to a crate no lockfile names, so end-to-end findings stay comparable.
fn advisory_seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (i, p) in files_under(&fixture_db().join("crates"), |p| {
        p.extension().is_some_and(|e| e == "md")
    })
    .iter()
    .enumerate()
    {
        let id = format!("RUSTSEC-2099-09{i:02}");
        let text = std::fs::read_to_string(p).unwrap();
        let old_id = p.file_stem().unwrap().to_str().unwrap();
        let old_pkg = p.parent().unwrap().file_name().unwrap().to_str().unwrap();
        let text = text.replace(old_id, &id).replace(
            &format!("package = \"{old_pkg}\""),
            "package = \"fuzzcrate\"",
        );
        seeds.push(Seed {
            rel: format!("crates/fuzzcrate/{id}.md"),
            bytes: text.into_bytes(),
        });
    }
    if let Some(shared) = shared() {
        let root = shared.join("advisory-db");
        let real = files_under(&root.join("crates"), |p| {
            p.extension().is_some_and(|e| e == "md")
        });
        for p in real.iter().step_by(8) {
            seeds.push(Seed {
                rel: p.strip_prefix(&root).unwrap().to_str().unwrap().to_string(),
                bytes: std::fs::read(p).unwrap(),
            });
        }
    }
    seeds
}

#[test]
fn fuzz_advisory_files() {
    let (cases, e2e) = fuzz_cases();
    let seeds = advisory_seeds();
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().to_path_buf();
    let tally = in_process(
        "advisory",
        seeds.clone(),
        0xad5,
        cases,
        move |seed, bytes| {
            let path = root.join(&seed.rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
            match advisories_cache::load::load_one(&path, &seed.rel, Collection::Crates) {
                Ok(Some(record)) => {
                    // What loads must also survive the compiled index unchanged.
                    let idx = advisories_cache::index::encode(
                        "fp",
                        std::slice::from_ref(&record),
                        &[],
                        0,
                        &[],
                    );
                    let back = advisories_cache::index::decode(idx, "fp").unwrap();
                    assert_eq!(back.read_records(0..1).unwrap(), [record]);
                    "loaded"
                }
                Ok(None) => "placeholder",
                Err(reason) => {
                    assert!(!reason.contains('\n'), "one-line reason: {reason}");
                    "skipped"
                }
            }
        },
    );
    assert!(
        tally.contains_key("loaded") && tally.contains_key("skipped"),
        "{tally:?}"
    );

    // Through the binary: the fixture database plus one mutated advisory. The audit of
    // basic.lock must report exactly what it reports without it, and name a skipped file.
    let base = run(&[
        "--db",
        s(&fixture_db()),
        "-n",
        "-f",
        s(&lockfile("basic.lock")),
        "--json",
    ]);
    let want = finding_set(&base.json());
    let mut rng = Rng::new(0xad5e2e);
    let mut warned = 0;
    for i in 0..e2e {
        let seed = rng.pick(&seeds).clone();
        let (bytes, ops) = mutate(&seed.bytes, &mut rng);
        let db = tempfile::tempdir().unwrap();
        crate::bad_input::copy_dir(&fixture_db(), db.path());
        let path = db.path().join(&seed.rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let mut cmd = capped(HEAP_CAP);
        cmd.args([
            "--db",
            s(db.path()),
            "-n",
            "-f",
            s(&lockfile("basic.lock")),
            "--json",
        ]);
        let cache = tempfile::tempdir().unwrap();
        let r = run_bounded(cmd, cache.path(), Duration::from_secs(60));
        let context = format!("advisory e2e case {i} ({} with {ops:?})", seed.rel);
        assert_clean(&r, &seed.rel, &context);
        assert_eq!(r.code, Some(1), "{context}: {}", r.stderr);
        assert_eq!(finding_set(&r.json()), want, "{context}");
        if !r.stderr.is_empty() {
            assert!(
                r.stderr.starts_with("warning: skipped 1 ") && r.stderr.contains(&seed.rel),
                "{context}: {}",
                r.stderr
            );
            assert_eq!(r.stderr.lines().count(), 1, "{context}: {}", r.stderr);
            warned += 1;
        }
    }
    eprintln!("fuzz advisory: {e2e} cases through the binary, {warned} skipped with a warning");
}

const DEPAUDIT_TOML: &str = r#"deny = ["vulnerability", "unsound", "yanked", "stale-ignores"]
severity-threshold = "medium"
fail-without-severity = true
exclude-dev = false
max-db-age-days = 100000
target = ["x86_64-unknown-linux-gnu", "aarch64-apple-darwin"]

[scope]
unmaintained = "direct"

[[ignore]]
crate = "gonecrate@1.0.0"
kind = "yanked"
reason = "pinned"

[[ignore]]
id = "RUSTSEC-2099-0001"
reason = "never called"
until = "2099-12-31"
crate = "vulncrate"
version = "<1.2.0"

[[ignore]]
id = "CVE-2099-0002"
reason = "aliases work too"
until = 2099-06-30
"#;

const AUDIT_TOML: &str = r#"[advisories]
ignore = ["RUSTSEC-2099-0003"]
informational_warnings = ["unmaintained"]
severity_threshold = "low"

[database]
path = "~/.cargo/advisory-db"
url = "https://github.com/RustSec/advisory-db.git"
fetch = true
stale = false

[output]
deny = ["unmaintained"]
format = "terminal"
quiet = false

[target]
arch = ["x86_64"]
os = ["linux", "windows"]

[yanked]
enabled = true
update_index = true
"#;

const DENY_TOML: &str = r#"[graph]
targets = ["x86_64-unknown-linux-gnu"]

[advisories]
version = 2
yanked = "deny"
unmaintained = "workspace"
maximum-db-staleness = "P90D"
db-path = "$CARGO_HOME/advisory-dbs"
ignore = [
    "RUSTSEC-2099-0005",
    { id = "RUSTSEC-2099-0004", reason = "no fix yet" },
    { crate = "oldcrate" },
]

[licenses]
allow = ["MIT", "Apache-2.0"]

[bans]
multiple-versions = "warn"
"#;

fn policy_seeds() -> Vec<Seed> {
    [
        ("depaudit.toml", DEPAUDIT_TOML),
        (".cargo/audit.toml", AUDIT_TOML),
        ("deny.toml", DENY_TOML),
    ]
    .iter()
    .map(|(rel, text)| Seed {
        rel: rel.to_string(),
        bytes: text.as_bytes().to_vec(),
    })
    .collect()
}

/// A workspace folder holding basic.lock as `Cargo.lock` and one policy file.
fn policy_workspace(seed: &Seed, bytes: &[u8]) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    std::fs::copy(lockfile("basic.lock"), ws.path().join("Cargo.lock")).unwrap();
    let p = ws.path().join(&seed.rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
    ws
}

#[test]
fn fuzz_policy_files() {
    let (cases, e2e) = fuzz_cases();
    let seeds = policy_seeds();
    let today = advisories_cache::info::today_days();
    // Unmutated, every seed is a valid policy (so the mutations start from real files).
    for seed in &seeds {
        let ws = policy_workspace(seed, &seed.bytes);
        let r = cargo_depaudit::input::policy::load(ws.path(), &Default::default(), today);
        assert!(r.is_ok(), "{}: {:?}", seed.rel, r.err());
    }
    let tally = in_process(
        "policy",
        seeds.clone(),
        0x9011c7,
        cases,
        move |seed, bytes| {
            let ws = policy_workspace(seed, bytes);
            match cargo_depaudit::input::policy::load(ws.path(), &Default::default(), today) {
                Ok(_) => "accepted",
                Err(e) => {
                    let msg = advisories_cache::load::one_line(&e);
                    let name = Path::new(&seed.rel).file_name().unwrap().to_str().unwrap();
                    assert!(msg.contains(name), "names the file: {msg}");
                    "rejected"
                }
            }
        },
    );
    assert!(
        tally.contains_key("accepted") && tally.contains_key("rejected"),
        "{tally:?}"
    );

    let mut rng = Rng::new(0x9011c7e2e);
    for i in 0..e2e {
        let seed = rng.pick(&seeds).clone();
        let (bytes, ops) = mutate(&seed.bytes, &mut rng);
        let ws = policy_workspace(&seed, &bytes);
        let mut cmd = capped(HEAP_CAP);
        cmd.args([
            "--db",
            s(&fixture_db()),
            "-n",
            "-f",
            s(&ws.path().join("Cargo.lock")),
        ]);
        let cache = tempfile::tempdir().unwrap();
        let r = run_bounded(cmd, cache.path(), Duration::from_secs(60));
        let name = Path::new(&seed.rel).file_name().unwrap().to_str().unwrap();
        assert_clean(
            &r,
            name,
            &format!("policy e2e case {i} ({} with {ops:?})", seed.rel),
        );
    }
    eprintln!("fuzz policy: {e2e} cases through the binary");
}

/// A scan root with two lockfiles, and a baseline the binary wrote for it.
fn scan_root() -> (tempfile::TempDir, Vec<u8>) {
    let root = tempfile::tempdir().unwrap();
    for (dir, lock) in [("a", "basic.lock"), ("b", "lookalikes.lock")] {
        std::fs::create_dir_all(root.path().join(dir)).unwrap();
        std::fs::copy(lockfile(lock), root.path().join(dir).join("Cargo.lock")).unwrap();
    }
    let r = run(&["scan", s(root.path()), "--db", s(&fixture_db()), "-n"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    (root, r.stdout.into_bytes())
}

#[test]
fn fuzz_scan_baselines() {
    let (cases, e2e) = fuzz_cases();
    let (root, baseline) = scan_root();
    let seeds = vec![Seed {
        rel: "baseline.jsonl".into(),
        bytes: baseline,
    }];
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("baseline.jsonl");
    let tally = in_process("baseline", seeds.clone(), 0xba5e, cases, move |_, bytes| {
        std::fs::write(&file, bytes).unwrap();
        match cargo_depaudit::commands::scan::read_baseline(&file) {
            Ok(_) => "accepted",
            Err(msg) => {
                assert!(
                    !msg.contains('\n') && msg.contains("baseline.jsonl"),
                    "{msg}"
                );
                "rejected"
            }
        }
    });
    assert!(
        tally.contains_key("accepted") && tally.contains_key("rejected"),
        "{tally:?}"
    );

    let mut rng = Rng::new(0xba5ee2e);
    for i in 0..e2e {
        let (bytes, ops) = mutate(&seeds[0].bytes, &mut rng);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("baseline.jsonl");
        std::fs::write(&file, &bytes).unwrap();
        let mut cmd = capped(HEAP_CAP);
        cmd.args([
            "scan",
            s(root.path()),
            "--db",
            s(&fixture_db()),
            "-n",
            "--baseline",
            s(&file),
        ]);
        let cache = tempfile::tempdir().unwrap();
        let r = run_bounded(cmd, cache.path(), Duration::from_secs(60));
        assert_clean(
            &r,
            "baseline.jsonl",
            &format!("baseline e2e case {i} ({ops:?})"),
        );
    }
    eprintln!("fuzz baseline: {e2e} cases through the binary");
}

/// Index files the binary compiled: for the fixture database and, when present, the
/// real one. Returns (database, cache, index file, bytes).
fn index_seeds() -> Vec<(PathBuf, tempfile::TempDir, PathBuf, Vec<u8>)> {
    let mut dbs = vec![fixture_db()];
    dbs.extend(shared().map(|s| s.join("advisory-db")));
    dbs.into_iter()
        .map(|db| {
            let cache = tempfile::tempdir().unwrap();
            let r = run_in(
                cache.path(),
                &["--db", s(&db), "-n", "-f", s(&lockfile("basic.lock"))],
            );
            assert_ne!(r.code, 2, "{}", r.stderr);
            let file = cache
                .path()
                .join("index")
                .join(advisories_cache::database::index_file_name(&db));
            let bytes = std::fs::read(&file).unwrap();
            (db, cache, file, bytes)
        })
        .collect()
}

/// Sets the checksum field to the checksum of the rest, so the decoder sees the bytes.
/// Rewrites the header's directory checksum (the header is 32 bytes; the directory's
/// length is the u64 at 16), so the mutated directory itself reaches the decoder.
fn fix_checksum(b: &mut [u8]) {
    if b.len() >= 32 {
        let dir_len = u64::from_le_bytes(b[16..24].try_into().unwrap());
        let end = 32usize
            .saturating_add(dir_len.min(b.len() as u64) as usize)
            .min(b.len());
        let crc = crc32fast_hash(&b[32..end]);
        b[12..16].copy_from_slice(&crc.to_le_bytes());
    }
}

/// CRC-32 (IEEE), as the index uses, written out to need no extra dev-dependency.
fn crc32fast_hash(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, v) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *v = c;
        }
        t
    });
    !data.iter().fold(!0u32, |c, &b| {
        table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8)
    })
}

#[test]
fn fuzz_index_files() {
    let (cases, e2e) = fuzz_cases();
    let indexes = index_seeds();
    // The real index is ~2 MiB: it gets a thirtieth of the cases.
    let mut tally = Tally::new();
    for (n, (_, _, file, bytes)) in indexes.iter().enumerate() {
        let mut fixed = bytes.clone();
        fix_checksum(&mut fixed);
        assert_eq!(&fixed, bytes, "the test's CRC-32 is the index's");
        let seeds = vec![Seed {
            rel: file.display().to_string(),
            bytes: bytes.clone(),
        }];
        let count = if n == 0 { cases } else { cases / 30 };
        let t = in_process("index", seeds, 0x1de + n as u64, count, |_, bytes| {
            if advisories_cache::index::decode(bytes.to_vec(), "plain").is_ok() {
                return "accepted as is";
            }
            // Past the checksum, the decoder itself must reject or decode cleanly.
            let mut b = bytes.to_vec();
            fix_checksum(&mut b);
            match advisories_cache::index::decode(b, "plain") {
                Ok(idx) => {
                    for i in 0..idx.len() as u32 {
                        let _ = idx.read_records(i..i + 1);
                    }
                    "decoded after checksum fix-up"
                }
                Err(_) => "rejected",
            }
        });
        for (k, v) in t {
            *tally.entry(k).or_default() += v;
        }
    }
    assert!(tally.contains_key("rejected"), "{tally:?}");

    // Through the binary: a damaged index is rebuilt and the findings do not change; one
    // whose checksum was forged may say other things but must not crash.
    let audit = |db: &Path, cache: &Path| {
        run_in(
            cache,
            &[
                "--db",
                s(db),
                "-n",
                "-f",
                s(&lockfile("basic.lock")),
                "--json",
            ],
        )
    };
    let wants: Vec<_> = indexes
        .iter()
        .map(|(db, cache, _, _)| finding_set(&audit(db, cache.path()).json()))
        .collect();
    let mut rng = Rng::new(0x1dee2e);
    let mut rebuilt = 0;
    for i in 0..e2e {
        let n = rng.below(indexes.len());
        let ((db, cache, file, bytes), want) = (&indexes[n], &wants[n]);
        let (mut mutated, ops) = mutate(bytes, &mut rng);
        let forged = i % 4 == 3;
        if forged {
            fix_checksum(&mut mutated);
        }
        std::fs::write(file, &mutated).unwrap();
        let mut cmd = capped(HEAP_CAP);
        cmd.args([
            "--db",
            s(db),
            "-n",
            "-f",
            s(&lockfile("basic.lock")),
            "--json",
        ]);
        let r = run_bounded(cmd, cache.path(), Duration::from_secs(60));
        let context = format!("index e2e case {i} ({ops:?}, forged checksum: {forged})");
        assert_clean(&r, "index", &context);
        assert!(matches!(r.code, Some(0 | 1)), "{context}: {}", r.stderr);
        if !forged && mutated != *bytes {
            assert_eq!(&finding_set(&r.json()), want, "{context}");
            rebuilt += usize::from(r.stderr.contains("damaged"));
        }
        std::fs::write(file, bytes).unwrap();
    }
    eprintln!("fuzz index: {e2e} cases through the binary, {rebuilt} rebuilt with a warning");
}

fn lockfile_seeds() -> Vec<Seed> {
    let mut seeds: Vec<Seed> = ["basic.lock", "lookalikes.lock"]
        .iter()
        .map(|n| Seed {
            rel: n.to_string(),
            bytes: std::fs::read(lockfile(n)).unwrap(),
        })
        .collect();
    if let Some(shared) = shared() {
        // The small ones: the corpus at large is fuzzed by the fast reader's own test.
        let small = files_under(&shared.join("corpus/lockfiles"), |p| {
            p.ends_with("Cargo.lock") && p.metadata().is_ok_and(|m| m.len() < 40_000)
        });
        for p in small.iter().step_by(3) {
            seeds.push(Seed {
                rel: p.display().to_string(),
                bytes: std::fs::read(p).unwrap(),
            });
        }
    }
    seeds
}

#[test]
fn fuzz_lockfiles() {
    // The fast reader's agreement with `toml` is fuzzed in src/input/lockfile/tests.rs; this adds
    // the operators that test leaves out and the binary's contract.
    let (cases, e2e) = fuzz_cases();
    let seeds = lockfile_seeds();
    let tally = in_process("lockfile", seeds.clone(), 0x10c4, cases, |_, bytes| {
        match cargo_depaudit::input::lockfile::parse_bytes(bytes) {
            Ok(_) => "parsed",
            Err(reason) => {
                assert!(!reason.contains('\n'), "one line: {reason}");
                "rejected"
            }
        }
    });
    assert!(
        tally.contains_key("parsed") && tally.contains_key("rejected"),
        "{tally:?}"
    );

    let mut rng = Rng::new(0x10c4e2e);
    for i in 0..e2e {
        let seed = rng.pick(&seeds).clone();
        let (bytes, ops) = mutate(&seed.bytes, &mut rng);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("fuzzcase-{i}.lock"));
        std::fs::write(&file, &bytes).unwrap();
        let mut cmd: Command = capped(HEAP_CAP);
        cmd.args(["--db", s(&fixture_db()), "-n", "-f", s(&file)]);
        let cache = tempfile::tempdir().unwrap();
        let r = run_bounded(cmd, cache.path(), Duration::from_secs(60));
        assert_clean(
            &r,
            &format!("fuzzcase-{i}.lock"),
            &format!("lockfile e2e case {i} ({} with {ops:?})", seed.rel),
        );
    }
    eprintln!("fuzz lockfile: {e2e} cases through the binary");
}

/// Copies a folder tree (files and folders only).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

/// Git objects (commits, trees, lockfile blobs) of a small repository, mutated after
/// inflating and stored again: opening the repository, resolving HEAD, listing its
/// lockfiles, walking the history and reading every lockfile revision never panic or
/// hang, whatever the objects hold.
#[test]
fn fuzz_git_objects() {
    use flate2::{Compression, read::ZlibDecoder, write::ZlibEncoder};
    use std::io::{Read, Write};
    let (cases, _) = fuzz_cases();
    let (repo, _) = crate::history::story();
    let git_dir = repo.path().join(".git");
    let seeds: Vec<Seed> = files_under(&git_dir.join("objects"), |p| {
        p.parent()
            .and_then(|d| d.file_name())
            .is_some_and(|n| n.len() == 2)
    })
    .into_iter()
    .map(|p| {
        let mut bytes = Vec::new();
        ZlibDecoder::new(std::fs::File::open(&p).unwrap())
            .read_to_end(&mut bytes)
            .unwrap();
        Seed {
            rel: p.strip_prefix(&git_dir).unwrap().display().to_string(),
            bytes,
        }
    })
    .collect();
    assert!(seeds.len() > 20, "{} objects", seeds.len());
    // One copy of the repository; each case writes its mutated object over the original
    // and puts the original back afterwards.
    let work = tempfile::tempdir().unwrap();
    copy_tree(&git_dir, &work.path().join(".git"));
    let work_path = work.path().to_path_buf();
    let tally = in_process("git", seeds, 0x617, cases, move |seed, bytes| {
        let target = work_path.join(".git").join(&seed.rel);
        let original = std::fs::read(&target).unwrap();
        let mut z = ZlibEncoder::new(Vec::new(), Compression::fast());
        z.write_all(bytes).unwrap();
        let mut perms = std::fs::metadata(&target).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&target, perms).unwrap();
        std::fs::write(&target, z.finish().unwrap()).unwrap();
        let outcome = walk_git(&work_path);
        std::fs::write(&target, original).unwrap();
        outcome
    });
    assert!(tally.contains_key("walked"), "{tally:?}");
    assert!(tally.len() > 1, "some mutations must be noticed: {tally:?}");
}

/// Everything `history` and `scan --git` read from a repository, for the fuzzer.
fn walk_git(dir: &Path) -> &'static str {
    {
        use cargo_depaudit::input::git::{Repo, Skip};
        let Ok(repo) = Repo::open(dir) else {
            return "not opened";
        };
        let Ok((_, head)) = repo.resolve(None) else {
            return "no head";
        };
        let _ = repo.lockfiles_at(head, Skip::default());
        let history = repo.history(head, None, Skip::default());
        let mut read = 0;
        for rev in &history.revisions {
            for (_, blob) in &rev.changes {
                if let Some(b) = blob
                    && let Ok(bytes) = repo.read_lockfile(*b)
                {
                    let _ = cargo_depaudit::input::lockfile::parse_bytes(&bytes);
                    read += 1;
                }
            }
        }
        match (history.stopped.is_some(), read) {
            (true, _) => "history cut",
            (false, 0) => "nothing read",
            _ => "walked",
        }
    }
}

/// Binaries of every format, with the embedded list, with panic-message paths only, and
/// with both; built here (see `binaries.rs`).
fn binary_seeds() -> Vec<Seed> {
    use crate::binaries::{demo_packages, elf, macho, panic_paths, pe, wasm, zlib};
    let data = zlib(&demo_packages());
    let paths = panic_paths(&["vulncrate-1.1.0", "safecrate-3.0.0"]);
    [
        ("app-elf", elf(Some(&data), &paths)),
        ("app-macho", macho(Some(&data))),
        ("app.exe", pe(&data)),
        ("app.wasm", wasm(&data)),
        ("plain-elf", elf(None, &paths)),
        ("json-elf", elf(Some(&demo_packages()), b"")),
    ]
    .into_iter()
    .map(|(rel, bytes)| Seed {
        rel: rel.to_string(),
        bytes,
    })
    .collect()
}

#[test]
fn fuzz_binaries() {
    let (cases, e2e) = fuzz_cases();
    let seeds = binary_seeds();
    let tally = in_process("binary", seeds.clone(), 0xb1a7, cases, |_, bytes| {
        match cargo_depaudit::input::binary::parse_bytes(bytes) {
            Ok(b) if b.info.complete => "embedded",
            Ok(_) => "partial",
            Err(reason) => {
                assert!(!reason.contains('\n'), "one line: {reason}");
                "rejected"
            }
        }
    });
    assert!(
        tally.contains_key("embedded") && tally.contains_key("rejected"),
        "{tally:?}"
    );

    let mut rng = Rng::new(0xb1a7e2e);
    for i in 0..e2e {
        let seed = rng.pick(&seeds).clone();
        let (bytes, ops) = mutate(&seed.bytes, &mut rng);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("fuzzcase-{i}.bin"));
        std::fs::write(&file, &bytes).unwrap();
        let mut cmd: Command = capped(HEAP_CAP);
        cmd.args(["bin", s(&file), "--db", s(&fixture_db()), "-n"]);
        let cache = tempfile::tempdir().unwrap();
        let r = run_bounded(cmd, cache.path(), Duration::from_secs(60));
        assert_clean(
            &r,
            &format!("fuzzcase-{i}.bin"),
            &format!("binary e2e case {i} ({} with {ops:?})", seed.rel),
        );
    }
    eprintln!("fuzz binary: {e2e} cases through the binary");
}

/// Rust sources as a dependent's files: mutated, they are read for the affected names
/// without a panic, a hang or a stack overflow (a file that cannot be lexed is an error,
/// which makes a verdict `unknown`). The unmutated seeds name the function.
#[test]
fn fuzz_dependent_sources() {
    let (cases, _) = fuzz_cases();
    let seeds: Vec<Seed> = [
        ("src/main.rs", "use vuln::bad as b;\nfn main() {\n    b();\n    vuln::bad();\n}\n"),
        ("src/lib.rs", "pub use vuln::*;\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { super::bad(); }\n}\n"),
        ("src/m.rs", "macro_rules! m { () => { vuln::bad() } }\nfn f(p: vuln::Parser) { p.bad(); m!(); }\n"),
        ("build.rs", "fn main() { let x = r#\"bad\"#; vuln::bad(); /* bad */ }\n"),
    ]
    .iter()
    .map(|(rel, text)| Seed {
        rel: rel.to_string(),
        bytes: text.as_bytes().to_vec(),
    })
    .collect();
    for s in &seeds {
        let text = std::str::from_utf8(&s.bytes).unwrap();
        let found =
            cargo_depaudit::audit::reachability::occurrences(&s.rel, text, &["bad"], "vuln");
        assert!(found.is_ok_and(|l| !l.is_empty()), "{}", s.rel);
    }
    let deep = format!(
        "fn main() {{ vuln::bad{}{} }}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert!(
        cargo_depaudit::audit::reachability::occurrences("deep.rs", &deep, &["bad"], "vuln")
            .is_err()
    );
    let tally = in_process("sources", seeds, 0x50ce, cases, |seed, bytes| {
        let text = String::from_utf8_lossy(bytes);
        match cargo_depaudit::audit::reachability::occurrences(&seed.rel, &text, &["bad"], "vuln") {
            Ok(lines) if lines.is_empty() => "none",
            Ok(_) => "named",
            Err(_) => "unreadable",
        }
    });
    assert!(
        tally.contains_key("named") && tally.contains_key("unreadable"),
        "{tally:?}"
    );
}
