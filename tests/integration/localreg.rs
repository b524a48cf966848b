//! A real cargo `local-registry` in a temp dir (index files plus `.crate` archives), a
//! workspace whose `.cargo/config.toml` puts it in place of crates.io, and a synthetic
//! advisory database. Crates can be published after the lockfile is made, as fixes are
//! in real life. Everything runs offline with its own `CARGO_HOME`.

use super::common::{Run, bin, finish};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A dependency of a published crate: (name, requirement, kind).
pub struct Dep<'a>(pub &'a str, pub &'a str, pub &'a str);

/// What a published crate has besides its dependencies.
#[derive(Default)]
pub struct Extra<'a> {
    /// Yanked from the index.
    pub yanked: bool,
    /// `[features]`: name and what it enables.
    pub features: &'a [(&'a str, &'a [&'a str])],
    /// `links = "…"` (with an empty build script).
    pub links: Option<&'a str>,
    /// The text of `src/lib.rs`.
    pub lib: &'a str,
}

pub struct Scenario {
    pub tmp: tempfile::TempDir,
}

impl Scenario {
    pub fn new() -> Scenario {
        let s = Scenario {
            tmp: tempfile::tempdir().unwrap(),
        };
        for d in ["registry/index", "ws/.cargo", "db/crates", "home", "cache"] {
            std::fs::create_dir_all(s.tmp.path().join(d)).unwrap();
        }
        std::fs::write(
            s.ws().join(".cargo/config.toml"),
            format!(
                "[source.crates-io]\nreplace-with = \"test-local\"\n\n[source.test-local]\nlocal-registry = \"{}\"\n",
                s.registry().display()
            ),
        )
        .unwrap();
        s
    }

    pub fn registry(&self) -> PathBuf {
        self.tmp.path().join("registry")
    }

    pub fn ws(&self) -> PathBuf {
        self.tmp.path().join("ws")
    }

    pub fn db(&self) -> PathBuf {
        self.tmp.path().join("db")
    }

    /// Publishes `name version` with `deps` (and `yanked`).
    pub fn publish_with(&self, name: &str, version: &str, deps: &[Dep], yanked: bool) {
        self.publish_crate(
            name,
            version,
            deps,
            &Extra {
                yanked,
                ..Extra::default()
            },
        );
    }

    /// Publishes `name version` with `deps` and what `extra` adds.
    pub fn publish_crate(&self, name: &str, version: &str, deps: &[Dep], extra: &Extra) {
        let mut manifest =
            format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n");
        if let Some(l) = extra.links {
            manifest.push_str(&format!("links = \"{l}\"\nbuild = \"build.rs\"\n"));
        }
        for kind in ["normal", "build", "dev"] {
            let table = match kind {
                "normal" => "dependencies",
                "build" => "build-dependencies",
                _ => "dev-dependencies",
            };
            let of_kind: Vec<&Dep> = deps.iter().filter(|d| d.2 == kind).collect();
            if !of_kind.is_empty() {
                manifest.push_str(&format!("\n[{table}]\n"));
                for d in of_kind {
                    manifest.push_str(&format!("{} = \"{}\"\n", d.0, d.1));
                }
            }
        }
        if !extra.features.is_empty() {
            manifest.push_str("\n[features]\n");
            for (f, list) in extra.features {
                let items: Vec<String> = list.iter().map(|i| format!("\"{i}\"")).collect();
                manifest.push_str(&format!("{f} = [{}]\n", items.join(", ")));
            }
        }
        let mut files = vec![
            (format!("{name}-{version}/Cargo.toml"), manifest),
            (
                format!("{name}-{version}/src/lib.rs"),
                extra.lib.to_string(),
            ),
        ];
        if extra.links.is_some() {
            files.push((
                format!("{name}-{version}/build.rs"),
                "fn main() {}\n".to_string(),
            ));
        }
        let crate_bytes = tar_gz(&files);
        std::fs::write(
            self.registry().join(format!("{name}-{version}.crate")),
            &crate_bytes,
        )
        .unwrap();
        let cksum = format!("{:x}", Sha256::digest(&crate_bytes));
        let deps_json: Vec<serde_json::Value> = deps
            .iter()
            .map(|d| {
                serde_json::json!({
                    "name": d.0, "req": d.1, "features": [], "optional": false,
                    "default_features": true, "target": null, "kind": d.2,
                    "registry": null, "package": null,
                })
            })
            .collect();
        let features: serde_json::Map<String, serde_json::Value> = extra
            .features
            .iter()
            .map(|(f, list)| (f.to_string(), serde_json::json!(list)))
            .collect();
        let line = serde_json::json!({
            "name": name, "vers": version, "deps": deps_json, "cksum": cksum,
            "features": features, "yanked": extra.yanked, "links": extra.links,
        });
        let path = self.registry().join("index").join(index_path(name));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(&line.to_string());
        text.push('\n');
        std::fs::write(path, text).unwrap();
    }

    pub fn publish(&self, name: &str, version: &str, deps: &[Dep]) {
        self.publish_with(name, version, deps, false);
    }

    /// Writes a workspace file (relative to the workspace root).
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.ws().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// A single-package workspace `app` with these `[dependencies]` lines.
    pub fn app(&self, deps: &str) {
        self.write(
            "Cargo.toml",
            &format!(
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}"
            ),
        );
        self.write("src/lib.rs", "");
    }

    /// An advisory for `krate`: `patched` requirements, optional `unaffected`.
    pub fn advisory(&self, id: &str, krate: &str, patched: &[&str], unaffected: &[&str]) {
        self.advisory_with(id, krate, patched, unaffected, "");
    }

    /// An advisory with extra `[advisory]` lines (e.g. `informational = "unmaintained"`).
    pub fn advisory_with(
        &self,
        id: &str,
        krate: &str,
        patched: &[&str],
        unaffected: &[&str],
        extra: &str,
    ) {
        let dir = self.db().join("crates").join(krate);
        std::fs::create_dir_all(&dir).unwrap();
        let list = |v: &[&str]| {
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        std::fs::write(
            dir.join(format!("{id}.md")),
            format!(
                "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{krate}\"\ndate = \"2024-01-01\"\n{extra}\n[versions]\npatched = [{}]\nunaffected = [{}]\n```\n\n# Flaw in {krate}\n\nA flaw.\n",
                list(patched),
                list(unaffected)
            ),
        )
        .unwrap();
    }

    /// Runs real cargo in the workspace, offline, with this scenario's `CARGO_HOME`.
    pub fn cargo(&self, args: &[&str]) -> Run {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        finish(
            Command::new(cargo)
                .args(args)
                .arg("--offline")
                .current_dir(self.ws())
                .env("CARGO_HOME", self.tmp.path().join("home"))
                .output()
                .unwrap(),
        )
    }

    pub fn lock(&self) {
        let r = self.cargo(&["generate-lockfile"]);
        assert_eq!(r.code, 0, "generate-lockfile: {}", r.stderr);
    }

    /// Runs cargo-depaudit in the workspace.
    pub fn depaudit(&self, args: &[&str]) -> Run {
        self.depaudit_from(&self.ws(), args)
    }

    /// Runs cargo-depaudit in the folder `cwd`.
    pub fn depaudit_from(&self, cwd: &Path, args: &[&str]) -> Run {
        finish(
            Command::new(bin())
                .args(args)
                .current_dir(cwd)
                .env("CARGO_HOME", self.tmp.path().join("home"))
                .env("DEPAUDIT_CACHE_DIR", self.tmp.path().join("cache"))
                .env("DEPAUDIT_DB", self.db())
                .env_remove("DEPAUDIT_DB_URL")
                .env("NO_COLOR", "1")
                .output()
                .unwrap(),
        )
    }

    /// `audit --json`: the report.
    pub fn audit(&self) -> serde_json::Value {
        let r = self.depaudit(&["audit", "-n", "--json"]);
        assert!(
            r.code == 0 || r.code == 1,
            "audit: {}{}",
            r.stdout,
            r.stderr
        );
        r.json()
    }

    /// The locked versions of `name`.
    pub fn locked(&self, name: &str) -> Vec<String> {
        let text = std::fs::read_to_string(self.ws().join("Cargo.lock")).unwrap();
        let mut out = Vec::new();
        let mut lines = text.lines();
        while let Some(l) = lines.next() {
            if l == format!("name = \"{name}\"") {
                let v = lines.next().unwrap();
                out.push(
                    v.trim_start_matches("version = \"")
                        .trim_end_matches('"')
                        .to_string(),
                );
            }
        }
        out
    }
}

fn index_path(name: &str) -> PathBuf {
    let n = name.to_lowercase();
    match n.len() {
        1 => Path::new("1").join(&n),
        2 => Path::new("2").join(&n),
        3 => Path::new("3").join(&n[..1]).join(&n),
        _ => Path::new(&n[..2]).join(&n[2..4]).join(&n),
    }
}

fn tar_gz(files: &[(String, String)]) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(enc);
    for (path, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_cksum();
        tar.append_data(&mut h, path, text.as_bytes()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// The vulnerable findings of a report, as (id, crate, version).
pub fn vulns(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "vulnerability")
        .map(|f| {
            (
                f["advisory"]["id"].as_str().unwrap().to_string(),
                f["package"]["name"].as_str().unwrap().to_string(),
                f["package"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The remediation of the finding for `id`.
pub fn remediation<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory"]["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}: {report:#}"))
        .get("remediation")
        .unwrap_or_else(|| panic!("no remediation for {id}"))
}
