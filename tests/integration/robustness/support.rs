//! Shared by the robustness tests: a seeded PRNG and input mutations, running the binary
//! under a time and memory limit, taking write or read permission away in a way that
//! holds even for root, and a git source made from `../shared/advisory-db.bundle`.

use crate::common::*;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A count from the environment (for longer runs), else `default`.
pub fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Fuzz cases per input kind run in process; a fiftieth of them (at least 12) also go
/// through the binary.
pub fn fuzz_cases() -> (usize, usize) {
    let n = env_count("DEPAUDIT_FUZZ_CASES", 1000);
    (n, (n / 50).max(12))
}

/// The mutation operators, by name (the names are reported with a failing case).
pub const OPERATORS: &[&str] = &[
    "truncate",
    "bit-flip",
    "byte-overwrite",
    "duplicate-chunk",
    "duplicate-table",
    "huge-string",
    "deep-nesting",
    "invalid-utf8",
    "control-chars",
    "delete-line",
    "swap-lines",
    "token",
];

/// Applies 1–3 random operators to `seed`; returns the bytes and the operators used.
pub fn mutate(seed: &[u8], rng: &mut Rng) -> (Vec<u8>, Vec<&'static str>) {
    let mut b = seed.to_vec();
    let mut used = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let op = *rng.pick(OPERATORS);
        apply(op, &mut b, rng);
        used.push(op);
    }
    (b, used)
}

fn line_starts(b: &[u8], first: Option<u8>) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            b.iter()
                .enumerate()
                .filter(|(_, c)| **c == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&i| i < b.len() && first.is_none_or(|f| b[i] == f))
        .collect()
}

fn apply(op: &str, b: &mut Vec<u8>, rng: &mut Rng) {
    let at = rng.below(b.len() + 1);
    let insert = |b: &mut Vec<u8>, at: usize, bytes: &[u8]| {
        b.splice(at..at, bytes.iter().copied());
    };
    match op {
        "truncate" => b.truncate(at),
        "bit-flip" if !b.is_empty() => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
        }
        "byte-overwrite" if !b.is_empty() => {
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
        }
        "duplicate-chunk" => {
            let end = (at + rng.below(4096)).min(b.len());
            let chunk = b[at..end].to_vec();
            let to = rng.below(b.len() + 1);
            insert(b, to, &chunk);
        }
        "duplicate-table" => {
            // A whole `[table]` (or a JSON line) again, right after itself.
            let starts = [line_starts(b, Some(b'[')), line_starts(b, Some(b'{'))].concat();
            if starts.is_empty() {
                return;
            }
            let from = *rng.pick(&starts);
            let end = starts
                .iter()
                .copied()
                .filter(|&s| s > from)
                .min()
                .unwrap_or(b.len());
            let table = b[from..end].to_vec();
            insert(b, end, &table);
        }
        "huge-string" => {
            // Inside an existing string when there is one, so it stays a string.
            // Up to just past the largest limit on a file parsed whole (1 MiB).
            let n = *rng.pick(&[4 * 1024, 64 * 1024, 1024 * 1024 + 1]);
            let quotes: Vec<usize> = (0..b.len()).filter(|&i| b[i] == b'"').collect();
            let to = if quotes.is_empty() {
                at
            } else {
                *rng.pick(&quotes) + 1
            };
            insert(b, to, &vec![b'A'; n]);
        }
        "deep-nesting" => {
            let d = *rng.pick(&[64, 1_000, 100_000]);
            let nested = match rng.below(4) {
                0 => format!("x = {}{}\n", "[".repeat(d), "]".repeat(d)),
                1 => format!("x = {}1{}\n", "{a=".repeat(d), "}".repeat(d)),
                2 => format!("{}1{}\n", "{\"a\":".repeat(d), "}".repeat(d)),
                _ => "[".repeat(d),
            };
            let starts = line_starts(b, None);
            let to = if starts.is_empty() {
                0
            } else {
                *rng.pick(&starts)
            };
            insert(b, to, nested.as_bytes());
        }
        "invalid-utf8" => {
            let bad: &[&[u8]] = &[
                b"\xff",
                b"\xc3\x28",
                b"\xed\xa0\x80",
                b"\xf0\x9f\x98",
                b"\xc0\xaf",
            ];
            insert(b, at, bad[rng.below(bad.len())]);
        }
        "control-chars" => {
            let ctl: &[&[u8]] = &[b"\0", b"\x1b[2J", b"\r", b"\x7f", b"\x0c", b"\x08"];
            insert(b, at, ctl[rng.below(ctl.len())]);
        }
        "delete-line" | "swap-lines" => {
            let starts = line_starts(b, None);
            if starts.len() < 2 {
                return;
            }
            let line = |i: usize| starts[i]..starts.get(i + 1).copied().unwrap_or(b.len());
            let i = rng.below(starts.len());
            if op == "delete-line" {
                b.drain(line(i));
            } else {
                let j = rng.below(starts.len());
                let (lo, hi) = (i.min(j), i.max(j));
                if lo == hi {
                    return;
                }
                let (a, c) = (line(lo), line(hi));
                let mut out = b[..a.start].to_vec();
                out.extend_from_slice(&b[c.clone()]);
                out.extend_from_slice(&b[a.end..c.start]);
                out.extend_from_slice(&b[a.clone()]);
                out.extend_from_slice(&b[c.end..]);
                *b = out;
            }
        }
        "token" => {
            let tokens: &[&[u8]] = &[
                b"=",
                b"[[",
                b"]]",
                b"\"\"\"",
                b"'''",
                b"\\u",
                b"#",
                b"{",
                b"}",
                b",",
                b"\n[advisory]\n",
                b"\n[[package]]\n",
                b"\n[[ignore]]\n",
                b"null",
                b"-1e999",
                b"18446744073709551616",
                b"1979-05-27T07:32:00Z",
            ];
            insert(b, at, tokens[rng.below(tokens.len())]);
        }
        _ => {}
    }
}

/// Where a failing fuzz input is saved for reproduction.
pub fn save_failure(name: &str, case: usize, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(format!("{name}-{case}.bin"));
    let _ = std::fs::write(&p, bytes);
    p
}

/// Runs `cases` calls of `case(i)` on a worker thread; fails when one panics or does not
/// finish within `per_case` (a hang), naming the case.
pub fn watchdog<F>(name: &'static str, cases: usize, per_case: Duration, mut case: F)
where
    F: FnMut(usize) + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        for i in 0..cases {
            case(i);
            if tx.send(i).is_err() {
                return;
            }
        }
    });
    let mut done = 0;
    while done < cases {
        match rx.recv_timeout(per_case) {
            Ok(i) => done = i + 1,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("{name}: case {done} did not finish within {per_case:?} (hang)")
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if let Err(e) = worker.join() {
        std::panic::resume_unwind(e);
    }
}

/// One run of a child process, raw.
pub struct RawRun {
    /// Exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl RawRun {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\n{}",
                self.stdout_text(),
                self.stderr
            )
        })
    }
}

fn has_program(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A command for the binary whose data segment (heap) is capped at `memory` bytes when
/// `prlimit` exists, so a runaway allocation aborts instead of swapping.
pub fn capped(memory: u64) -> Command {
    static PRLIMIT: OnceLock<bool> = OnceLock::new();
    if *PRLIMIT.get_or_init(|| has_program("prlimit")) {
        let mut c = Command::new("prlimit");
        c.arg(format!("--data={memory}")).arg("--").arg(bin());
        c
    } else {
        Command::new(bin())
    }
}

/// A started child whose output goes to files, so a large report cannot block it on a
/// full pipe.
pub struct Pending {
    child: std::process::Child,
    desc: String,
    out: tempfile::TempDir,
    start: Instant,
}

/// Starts `cmd` with an isolated cache (`DEPAUDIT_DB*` not inherited unless set on `cmd`).
pub fn start(mut cmd: Command, cache: &Path) -> Pending {
    let out = tempfile::tempdir().unwrap();
    let set: Vec<_> = cmd.get_envs().map(|(k, _)| k.to_owned()).collect();
    for key in ["DEPAUDIT_DB", "DEPAUDIT_DB_URL"] {
        if !set.iter().any(|k| k == key) {
            cmd.env_remove(key);
        }
    }
    if !set.iter().any(|k| k == "CARGO_HOME") {
        // No cargo index cache: yanked checks see nothing machine-specific.
        cmd.env("CARGO_HOME", cache.join("cargo-home"));
    }
    cmd.env("DEPAUDIT_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(out.path().join("out")).unwrap())
        .stderr(std::fs::File::create(out.path().join("err")).unwrap());
    Pending {
        child: cmd.spawn().expect("spawn"),
        desc: format!("{cmd:?}"),
        out,
        start: Instant::now(),
    }
}

impl Pending {
    /// Waits for the child; kills it and fails after `timeout` (a hang).
    pub fn finish(mut self, timeout: Duration) -> RawRun {
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if self.start.elapsed() > timeout {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{} did not finish within {timeout:?} (hang)", self.desc);
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        RawRun {
            code: status.code(),
            stdout: std::fs::read(self.out.path().join("out")).unwrap(),
            stderr: std::fs::read_to_string(self.out.path().join("err")).unwrap_or_default(),
            elapsed: self.start.elapsed(),
        }
    }
}

/// Runs `cmd` to the end with an isolated cache; a run longer than `timeout` fails.
pub fn run_bounded(cmd: Command, cache: &Path, timeout: Duration) -> RawRun {
    start(cmd, cache).finish(timeout)
}

/// The binary's contract on bad input: exit 0, 1 or 2 (never a signal or a panic), and
/// on 2 exactly one line `error: …` that names `file`.
pub fn assert_clean(r: &RawRun, file: &str, context: &str) {
    let code = r.code.unwrap_or_else(|| {
        panic!(
            "{context}: ended by a signal (memory cap or crash): {}",
            r.stderr
        )
    });
    assert!(
        !r.stderr.contains("panicked"),
        "{context}: panic: {}",
        r.stderr
    );
    assert!(
        (0..=2).contains(&code),
        "{context}: exit {code}: {}",
        r.stderr
    );
    if code == 2 {
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{context}: one error line: {}", r.stderr);
        assert!(lines[0].starts_with("error: "), "{context}: {}", lines[0]);
        assert!(
            lines[0].contains(file),
            "{context}: `{file}` not named in: {}",
            lines[0]
        );
    }
}

/// Is this process root (so permission bits alone do not stop it)?
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let uid = s.lines().find(|l| l.starts_with("Uid:"))?;
            uid.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

/// A way to run a program so that permission bits bind it: as is for a normal user; for
/// root, through `setpriv` with the capabilities that override them dropped.
pub fn without_override() -> Option<Vec<OsString>> {
    if !is_root() {
        return Some(Vec::new());
    }
    has_program("setpriv").then(|| {
        vec![
            "setpriv".into(),
            "--bounding-set=-dac_override,-dac_read_search".into(),
            "--".into(),
        ]
    })
}

/// A command that runs `program` through `prefix` (see [`without_override`]).
pub fn wrapped(prefix: &[OsString], program: impl AsRef<std::ffi::OsStr>) -> Command {
    match prefix.split_first() {
        None => Command::new(program),
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(program);
            c
        }
    }
}

/// Does `sh -c script` fail under `prefix`? (Proves a restriction really holds.)
pub fn denied(prefix: &[OsString], script: &str) -> bool {
    wrapped(prefix, "sh")
        .args(["-c", script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| !s.success())
}

/// A temporary folder, on a tmpfs when there is one: the fault tests write the whole
/// database dozens of times, and a page-cache-only file system keeps that fast. Killing
/// a process behaves the same on any file system.
pub fn fast_tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(t) = tempfile::Builder::new().prefix("depaudit-").tempdir_in(shm)
    {
        return t;
    }
    tempfile::tempdir().unwrap()
}

pub const OLD: &str = "6d1a2a9";
pub const NEW: &str = "c962fb9";

/// What an audit of `lock` must report against one database commit.
#[derive(Clone, Debug)]
pub struct Expected {
    pub commit: String,
    pub advisory_count: u64,
    pub findings: BTreeSet<(String, String, String, String)>,
}

/// Two git sources made from the bundle (one at each commit), and the lockfile whose
/// findings differ most between them, with what an audit reports against each.
pub struct Sources {
    pub tmp: tempfile::TempDir,
    pub old_url: String,
    pub new_url: String,
    pub lock: PathBuf,
    pub expected: [Expected; 2],
}

fn git(args: &[&str]) {
    let o = Command::new("git").args(args).output().expect("git");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

impl Sources {
    pub fn new() -> Option<Sources> {
        let shared = shared()?;
        let bundle = shared.join("advisory-db.bundle");
        if !has_program("git") || !bundle.is_file() {
            eprintln!("skipping: git or the bundle is missing");
            return None;
        }
        let tmp = fast_tempdir();
        let mut urls = Vec::new();
        for commit in [OLD, NEW] {
            let src = tmp.path().join(format!("src-{commit}"));
            git(&["clone", "-q", s(&bundle), s(&src)]);
            git(&["-C", s(&src), "checkout", "-q", commit]);
            urls.push((src.clone(), format!("file://{}", src.display())));
        }
        // The source work trees are plain database folders too: what an audit against
        // each reports is the reference for every state a fetch may leave.
        let cache = tmp.path().join("ref-cache");
        let corpus = shared.join("corpus");
        let scans: Vec<Vec<serde_json::Value>> = urls
            .iter()
            .map(|(src, _)| {
                let r = run_in(&cache, &["scan", s(&corpus), "--db", s(src), "-n"]);
                r.stdout
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect()
            })
            .collect();
        let findings = |line: &serde_json::Value| {
            finding_set(&serde_json::json!({ "findings": line["findings"] }))
        };
        let lock = scans[0]
            .iter()
            .zip(&scans[1])
            .filter(|(a, _)| a["type"] == "lockfile")
            .max_by_key(|(a, b)| findings(a).symmetric_difference(&findings(b)).count())
            .map(|(a, _)| PathBuf::from(a["path"].as_str().unwrap()))
            .unwrap();
        let expected = [0, 1].map(|i| {
            let r = run_in(
                &cache,
                &["--db", s(&urls[i].0), "-n", "-f", s(&lock), "--json"],
            );
            let v = r.json();
            Expected {
                commit: v["database"]["commit"].as_str().unwrap().to_string(),
                advisory_count: v["database"]["advisory_count"].as_u64().unwrap(),
                findings: finding_set(&v),
            }
        });
        assert_ne!(expected[0].findings, expected[1].findings);
        Some(Sources {
            old_url: urls[0].1.clone(),
            new_url: urls[1].1.clone(),
            tmp,
            lock,
            expected,
        })
    }

    /// Checks an audit's JSON report against the commit it names: exactly the findings
    /// and advisory count of that commit, nothing skipped, the index never damaged.
    pub fn check_audit(&self, r: &RawRun, context: &str) -> usize {
        assert!(
            matches!(r.code, Some(0 | 1)),
            "{context}: audit exit {:?}: {}",
            r.code,
            r.stderr
        );
        assert!(
            !r.stderr.contains("damaged") && !r.stderr.contains("skipped"),
            "{context}: {}",
            r.stderr
        );
        let v = r.json();
        let commit = v["database"]["commit"].as_str().unwrap_or("none");
        let i = self
            .expected
            .iter()
            .position(|e| e.commit == commit)
            .unwrap_or_else(|| panic!("{context}: unknown commit {commit}"));
        let e = &self.expected[i];
        assert_eq!(
            v["database"]["advisory_count"], e.advisory_count,
            "{context}: half-written database?"
        );
        assert_eq!(finding_set(&v), e.findings, "{context}: findings differ");
        i
    }

    /// `audit --db db -n -f lock --json` with `cache`.
    pub fn audit(&self, cache: &Path, db: &Path) -> RawRun {
        let mut c = Command::new(bin());
        c.args(["--db", s(db), "-n", "-f", s(&self.lock), "--json"]);
        run_bounded(c, cache, Duration::from_secs(120))
    }

    /// `fetch --db db --db-url url` with `cache`, to completion.
    pub fn fetch(&self, cache: &Path, db: &Path, url: &str) -> RawRun {
        let mut c = Command::new(bin());
        c.args(["fetch", "-q", "--db", s(db), "--db-url", url]);
        run_bounded(c, cache, Duration::from_secs(300))
    }
}

/// Leftover temporary folders of fetches next to `db`.
pub fn fetch_leftovers(db: &Path) -> Vec<String> {
    let parent = db.parent().unwrap();
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            [".new-", ".clone-", ".old-", ".trash-"]
                .iter()
                .any(|t| n.contains(t))
        })
        .collect()
}
