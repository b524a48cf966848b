//! `kill -9` at random points of `fetch` and of index builds. After every kill the
//! database must audit exactly as one of the two commits does (same commit, advisory
//! count and findings; no skipped file, no damaged index), and the next run must repair
//! or rebuild. The fetches alternate between the bundle's two commits, so every one of
//! them replaces the folder and rebuilds the index.

use super::support::*;
use crate::common::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// Spawns `cmd`, kills it with SIGKILL after `delay` unless it finished; true if killed.
fn kill_after(mut cmd: Command, cache: &std::path::Path, delay: Duration) -> bool {
    let mut child = cmd
        .env("DEPAUDIT_CACHE_DIR", cache)
        .env_remove("DEPAUDIT_DB")
        .env_remove("DEPAUDIT_DB_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < delay {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let killed = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
    killed
}

/// A delay uniform in `[0, span)`.
fn random_delay(rng: &mut Rng, span: Duration) -> Duration {
    span.mul_f64(rng.below(10_000) as f64 / 10_000.0)
}

#[test]
fn kill_9_during_fetch_and_index_build_leaves_a_usable_database() {
    let Some(src) = Sources::new() else { return };
    let kills_wanted = env_count("DEPAUDIT_KILL_RUNS", 50);
    let cache = src.tmp.path().join("cache");
    let db = cache.join("advisory-db");
    let urls = [src.old_url.as_str(), src.new_url.as_str()];

    // Complete fetches first: the database at the old commit, then timed updates.
    let r = src.fetch(&cache, &db, urls[0]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let mut state = src.check_audit(&src.audit(&cache, &db), "first fetch");
    assert_eq!(state, 0);
    let mut full = Duration::ZERO;
    for i in [1, 0] {
        let r = src.fetch(&cache, &db, urls[i]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        full = full.max(r.elapsed);
        state = src.check_audit(&src.audit(&cache, &db), "update");
        assert_eq!(state, i);
    }

    let mut rng = Rng::new(0xdead_beef);
    let (mut kills, mut runs, mut swapped) = (0, 0, 0);
    while kills < kills_wanted {
        assert!(
            runs < 4 * kills_wanted,
            "fetches keep finishing before the kill"
        );
        runs += 1;
        // Fetch the other commit and kill it somewhere between start and finish.
        let target = 1 - state;
        let mut cmd = Command::new(bin());
        cmd.args(["fetch", "-q", "--db", s(&db), "--db-url", urls[target]]);
        let delay = random_delay(&mut rng, full);
        let killed = kill_after(cmd, &cache, delay);
        kills += usize::from(killed);
        let context = format!("fetch run {runs} killed after {delay:?} (killed: {killed})");
        // The database is the previous one or the new one, complete either way.
        let now = src.check_audit(&src.audit(&cache, &db), &context);
        if !killed {
            assert_eq!(now, target, "{context}: a fetch that finished");
            // It took less than `delay`: later kills aim within that. (`full` was timed
            // while other tests may have loaded the machine; a span much longer than a
            // fetch lets most runs finish first.)
            full = full.min(delay);
        }
        swapped += usize::from(killed && now == target);
        state = now;
    }

    // Killing audits while they compile the index: the next audit rebuilds it.
    let index_dir = cache.join("index");
    let audit_cmd = || {
        let mut c = Command::new(bin());
        c.args(["--db", s(&db), "-n", "-f", s(&src.lock), "--json"]);
        c
    };
    let _ = std::fs::remove_dir_all(&index_dir);
    let mut build = src.audit(&cache, &db).elapsed;
    // Fetches above already die inside index builds (after their swap); these add kills
    // of an audit's build from scratch.
    let index_kills_wanted = (kills_wanted / 5).max(10);
    let (mut index_kills, mut index_runs) = (0, 0);
    while index_kills < index_kills_wanted {
        assert!(
            index_runs < 4 * index_kills_wanted,
            "audits keep finishing before the kill"
        );
        index_runs += 1;
        let _ = std::fs::remove_dir_all(&index_dir);
        let delay = random_delay(&mut rng, build);
        let killed = kill_after(audit_cmd(), &cache, delay);
        index_kills += usize::from(killed);
        if !killed {
            build = build.min(delay); // as for the fetches above
        }
        let context = format!("index build {index_runs} killed after {delay:?}");
        src.check_audit(&src.audit(&cache, &db), &context);
    }

    // The next fetch repairs everything: complete, and no temporary folders left.
    let r = src.fetch(&cache, &db, urls[1 - state]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        src.check_audit(&src.audit(&cache, &db), "final fetch"),
        1 - state
    );
    assert_eq!(fetch_leftovers(&db), Vec::<String>::new());
    // Temporary index files of killed builds are swept once they are 2 s old.
    std::thread::sleep(Duration::from_millis(2100));
    let _ = std::fs::remove_file(index_dir.join(advisories_cache::database::index_file_name(&db)));
    src.check_audit(&src.audit(&cache, &db), "index rebuilt after the kills");
    let tmp: Vec<_> = std::fs::read_dir(&index_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".tmp-"))
        .collect();
    assert!(tmp.is_empty(), "abandoned temporary index files: {tmp:?}");
    eprintln!(
        "faults: {kills} fetches killed in {runs} runs ({swapped} killed after the swap), \
         {index_kills} index builds killed in {index_runs} runs; full fetch {full:?}, index build {build:?}"
    );
}
