//! A temp workspace holding a copy of `tests/fixtures/policy-lock/Cargo.lock`, audited against
//! the synthetic database in `tests/fixtures/policy-db` with its own index cache.
//!
//! The fixture database: alpha 1.0.0 (RUSTSEC-2023-9001, high, aliases CVE-2023-90001 and
//! GHSA-2222-3333-4444), beta 0.5.0 (9002, low), gamma 2.0.0 (9003, no CVSS), delta
//! 0.1.0 (9004, unmaintained), epsilon 3.0.0 (9005, unsound), winonly 1.0.0 (9006,
//! critical, Windows only). `safe` 1.0.0 has no advisory.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// A temp workspace.
pub struct Ws {
    pub dir: tempfile::TempDir,
    cache: tempfile::TempDir,
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

impl Ws {
    pub fn new() -> Ws {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            fixtures().join("policy-lock/Cargo.lock"),
            dir.path().join("Cargo.lock"),
        )
        .unwrap();
        Ws {
            dir,
            cache: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> &Self {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Runs the binary with exactly `args`, in the workspace.
    pub fn run_raw(&self, args: &[&str]) -> Run {
        self.run_in_env(self.dir.path(), args, &[])
    }

    /// Runs the binary with exactly `args`, in the folder `cwd`.
    pub fn run_from(&self, cwd: &Path, args: &[&str]) -> Run {
        self.run_in_env(cwd, args, &[])
    }

    /// Runs the binary with exactly `args` and these environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_in_env(self.dir.path(), args, env)
    }

    fn run_in_env(&self, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_cargo-depaudit"))
            .args(args)
            .envs(env.iter().copied())
            .current_dir(cwd)
            .env("DEPAUDIT_CACHE_DIR", self.cache.path())
            .env("NO_COLOR", "1")
            .env("COLUMNS", "400")
            .env_remove("DEPAUDIT_DB")
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Audits the workspace's Cargo.lock against the fixture database, plus `args`.
    pub fn audit(&self, args: &[&str]) -> Run {
        self.audit_env(args, &[])
    }

    /// [`Ws::audit`] with these environment variables.
    pub fn audit_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let db = fixtures().join("policy-db");
        let mut all = vec![
            "audit",
            "--db",
            db.to_str().unwrap(),
            "--offline",
            "--file",
            "Cargo.lock",
        ];
        all.extend_from_slice(args);
        self.run_env(&all, env)
    }

    /// Audits with `--format json`.
    pub fn audit_json(&self, args: &[&str]) -> (Run, Value) {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let run = self.audit(&all);
        assert!(run.code < 2, "audit failed: {}", run.stderr);
        let v = run.json();
        (run, v)
    }
}

/// (id, crate, version) of a JSON finding.
pub fn key(f: &Value) -> (String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        f["advisory"]["id"].as_str().unwrap_or("yanked").to_string(),
        s(&f["package"]["name"]),
        s(&f["package"]["version"]),
    )
}

/// The advisory ids of the findings, split into (reported, ignored).
pub fn ids(report: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut reported = BTreeSet::new();
    let mut ignored = BTreeSet::new();
    for f in report["findings"].as_array().unwrap() {
        let id = key(f).0;
        if f["ignored"].as_bool().unwrap() {
            ignored.insert(id);
        } else {
            reported.insert(id);
        }
    }
    (reported, ignored)
}

/// The finding for advisory `id`.
pub fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory"]["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}
