//! Benchmark: how long dependency paths (and remediation) take next to the audit itself,
//! in process, on the corpus lockfile closest to 1,000 packages.
//!
//! `cargo run --release --example paths_bench [-- RUNS]` — prints medians and ratios.
#![allow(clippy::print_stdout)]

use cargo_depaudit::audit::{AuditOptions, audit};
use cargo_depaudit::input::lockfile;
use std::path::Path;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(50);
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let Ok(dirs) = std::fs::read_dir(shared.join("corpus/lockfiles")) else {
        println!("skip: ../shared is absent");
        return;
    };
    // The lockfile closest to 1,000 packages.
    let (path, lock) = dirs
        .flatten()
        .map(|d| d.path().join("Cargo.lock"))
        .filter_map(|p| lockfile::load(&p).ok().map(|l| (p, l)))
        .min_by_key(|(_, l)| l.packages.len().abs_diff(1000))
        .expect("corpus lockfiles");
    let opts = advisories_cache::OpenOptions {
        index_dir: None,
        ..Default::default()
    };
    let db = advisories_cache::Database::open(&shared.join("advisory-db"), &opts).expect("db");
    let time = |o: &AuditOptions| {
        median(
            (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    let r = audit(&db, &lock, &path, o, Vec::new());
                    std::hint::black_box(r);
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        )
    };
    let bare = AuditOptions {
        paths_limit: Some(0),
        remediate: false,
        ..Default::default()
    };
    let with_paths = AuditOptions {
        remediate: false,
        ..Default::default()
    };
    let all_paths = AuditOptions {
        paths_limit: None,
        remediate: false,
        ..Default::default()
    };
    let full = AuditOptions::default();
    let t_bare = time(&bare);
    let t_paths = time(&with_paths);
    let t_all = time(&all_paths);
    let t_full = time(&full);
    let findings = audit(&db, &lock, &path, &full, Vec::new()).findings.len();
    println!(
        "{} packages, {findings} findings ({})",
        lock.packages.len(),
        path.display()
    );
    println!("audit without paths:        {t_bare:.3} ms (median of {runs})");
    println!(
        "paths (3 per finding):      +{:.3} ms  = {:.0}% of the audit",
        t_paths - t_bare,
        100.0 * (t_paths - t_bare) / t_bare
    );
    println!(
        "paths (all, up to 1000):    +{:.3} ms  = {:.0}% of the audit",
        t_all - t_bare,
        100.0 * (t_all - t_bare) / t_bare
    );
    println!(
        "paths + remediation:        +{:.3} ms  = {:.0}% of the audit",
        t_full - t_bare,
        100.0 * (t_full - t_bare) / t_bare
    );
    // The audit as a user runs it: the release binary, warm index, same lockfile. It sits
    // one folder above this example's own binary (…/release/examples/paths_bench).
    let exe = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("cargo-depaudit")));
    if let Some(exe) = exe.filter(|e| e.is_file()) {
        let cache = std::env::temp_dir().join("depaudit-paths-bench-cache");
        let db = shared.join("advisory-db");
        let run = || {
            let t = Instant::now();
            let _ = std::process::Command::new(&exe)
                .args(["-n", "--no-yanked", "--json", "--db"])
                .arg(&db)
                .arg("--file")
                .arg(&path)
                .env("DEPAUDIT_CACHE_DIR", &cache)
                .output();
            t.elapsed().as_secs_f64() * 1e3
        };
        run(); // warm the compiled index
        let wall = median((0..15).map(|_| run()).collect());
        println!(
            "whole audit run (release binary, warm): {wall:.1} ms; paths + remediation are {:.0}% of it",
            100.0 * (t_full - t_bare) / wall
        );
    }
}
