//! Helpers: run the binary with an isolated cache, find fixtures and `../shared`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cargo-depaudit")
}

/// The network build, beside `cargo-depaudit` (see `src/net.rs`).
pub fn network_build() -> &'static str {
    env!("CARGO_BIN_EXE_depaudit-net")
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture_db() -> PathBuf {
    fixtures().join("db")
}

pub fn lockfile(name: &str) -> PathBuf {
    fixtures().join("lockfiles").join(name)
}

/// `../shared`, or `None` (and a message) when this checkout has none.
pub fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("advisory-db").is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: ../shared is absent");
        None
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }
}

/// Runs the binary with `DEPAUDIT_CACHE_DIR` in `cache` and no inherited DB settings.
pub fn run_in(cache: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("DEPAUDIT_CACHE_DIR", cache)
        // No cargo index cache: yanked checks and remediation see no index data, so
        // results do not depend on what this machine has downloaded.
        .env("CARGO_HOME", cache.join("cargo-home"))
        .env_remove("DEPAUDIT_DB")
        .env_remove("DEPAUDIT_DB_URL")
        .env("NO_COLOR", "1");
    finish(cmd.output().expect("run cargo-depaudit"))
}

pub fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs with a fresh temporary cache.
pub fn run(args: &[&str]) -> Run {
    let cache = tempfile::tempdir().unwrap();
    run_in(cache.path(), args)
}

/// `(kind, id, crate, version)` of every non-ignored finding in a JSON report.
pub fn finding_set(
    report: &serde_json::Value,
) -> std::collections::BTreeSet<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["ignored"].as_bool().unwrap())
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["advisory"]["id"].as_str().unwrap_or("yanked").to_string(),
                f["package"]["name"].as_str().unwrap().to_string(),
                f["package"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes cargo's sparse-index cache file for crate `name` under the fake `$CARGO_HOME`
/// `home`: each (version, yanked) as an entry with no dependencies.
pub fn fake_index_cache(home: &Path, name: &str, versions: &[(&str, bool)]) {
    let dir = home.join(format!(
        "registry/index/index.crates.io-1949cf8c6b5b557f/.cache/{}",
        match name.len() {
            1 => "1".to_string(),
            2 => "2".to_string(),
            3 => format!("3/{}", &name[..1]),
            _ => format!("{}/{}", &name[..2], &name[2..4]),
        }
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = vec![3u8];
    bytes.extend_from_slice(&2u32.to_le_bytes());
    bytes.extend_from_slice(b"etag: \"x\"\0");
    for (v, y) in versions {
        bytes.extend_from_slice(format!("{v}\0{{\"name\":\"{name}\",\"vers\":\"{v}\",\"deps\":[],\"cksum\":\"0\",\"features\":{{}},\"yanked\":{y}}}\0").as_bytes());
    }
    std::fs::write(dir.join(name), bytes).unwrap();
}
