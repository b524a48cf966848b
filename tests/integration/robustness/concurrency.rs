//! Eight processes on one cache at once: four fetches of alternating commits, and four
//! audit slots that start a new audit as soon as the last one ends, for as long as the
//! fetches run, so audits land on every moment of every swap. Every fetch must succeed
//! (they queue on the fetch lock) and every audit must report exactly what one of the
//! two commits holds: never a half-swapped folder or a half-written index. The first
//! round starts from an empty cache, where the audits fetch the database themselves.

use super::support::*;
use crate::common::*;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

const FETCHES: usize = 4;
const AUDIT_SLOTS: usize = 4;
const ROUNDS: usize = 2;

#[test]
fn eight_concurrent_fetches_and_audits_on_one_cache() {
    let Some(src) = Sources::new() else { return };
    let cache = src.tmp.path().join("cache");
    let db = cache.join("advisory-db");
    let urls = [src.old_url.as_str(), src.new_url.as_str()];
    let audits = AtomicUsize::new(0);
    let seen = [AtomicUsize::new(0), AtomicUsize::new(0)];
    for round in 0..ROUNDS {
        let fetches: Vec<Pending> = (0..FETCHES)
            .map(|i| {
                let mut cmd = Command::new(bin());
                cmd.args([
                    "fetch",
                    "-q",
                    "--db",
                    s(&db),
                    "--db-url",
                    urls[(round + i) % 2],
                ]);
                start(cmd, &cache)
            })
            .collect();
        let fetching = AtomicBool::new(true);
        std::thread::scope(|scope| {
            for slot in 0..AUDIT_SLOTS {
                let (src, db, cache, fetching) = (&src, &db, &cache, &fetching);
                let (audits, seen) = (&audits, &seen);
                scope.spawn(move || {
                    let mut n = 0;
                    while n == 0 || fetching.load(Ordering::Relaxed) {
                        let mut cmd = Command::new(bin());
                        cmd.args(["--db", s(db), "-f", s(&src.lock), "--json"]);
                        if round == 0 {
                            // No database yet: the audit fetches it (DEPAUDIT_DB_URL).
                            cmd.env("DEPAUDIT_DB_URL", urls[1]);
                        } else {
                            cmd.arg("-n");
                        }
                        let r = start(cmd, cache).finish(Duration::from_secs(300));
                        let state =
                            src.check_audit(&r, &format!("round {round} slot {slot} audit {n}"));
                        seen[state].fetch_add(1, Ordering::Relaxed);
                        audits.fetch_add(1, Ordering::Relaxed);
                        n += 1;
                    }
                });
            }
            for (i, f) in fetches.into_iter().enumerate() {
                let r = f.finish(Duration::from_secs(300));
                assert_eq!(r.code, Some(0), "round {round} fetch {i}: {}", r.stderr);
            }
            fetching.store(false, Ordering::Relaxed);
        });
    }
    assert_eq!(fetch_leftovers(&db), Vec::<String>::new());
    src.check_audit(&src.audit(&cache, &db), "after the rounds");
    let seen = seen.map(|n| n.into_inner());
    assert!(
        seen[0] > 0 && seen[1] > 0,
        "audits saw both commits: {seen:?}"
    );
    eprintln!(
        "concurrency: {ROUNDS} rounds of {FETCHES} fetches and {AUDIT_SLOTS} audit slots ({} processes at once): {} fetches, {} audits, all consistent (old/new seen {seen:?})",
        FETCHES + AUDIT_SLOTS,
        ROUNDS * FETCHES,
        audits.into_inner()
    );
}
