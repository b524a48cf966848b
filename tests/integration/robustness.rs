//! Robustness (issue 7): the guarantees listed under "Guarantees" in the README, each
//! tested against the built binary (and, for speed, the parsers in process):
//!
//! - `fuzz`: mutated advisory files, policy files, baselines, index files and lockfiles
//!   end in success or one clean error line, never a panic, hang or runaway memory.
//! - `limits`: a 200 MB lockfile, a million packages and other oversized inputs are
//!   refused quickly, within a memory cap, with one line naming the file.
//! - `hostile`: names that are not UTF-8 or hold control characters are escaped in every
//!   format; unreadable folders and devices named like our inputs never hang a run.
//! - `faults`: `kill -9` at random points of `fetch` and of index builds never leaves a
//!   half-written database or index; the next run repairs.
//! - `concurrency`: 8 `fetch`/`audit` processes on one cache.
//! - `readonly`: a read-only cache still audits; `fetch` says it cannot write.
//! - `drift`: advisories in shapes the database may take later are loaded or skipped with
//!   a warning, the way `rustsec` reads them, never ending the run.
//! - `spawn`: lockfile-only runs start no process at all.
//!
//! Case counts: `DEPAUDIT_FUZZ_CASES` (fuzz cases per input kind) and
//! `DEPAUDIT_KILL_RUNS` (kills per fault test) raise them for a longer run.

mod concurrency;
mod drift;
mod faults;
mod fuzz;
#[cfg(unix)]
mod hostile;
mod limits;
#[cfg(unix)]
mod readonly;
#[cfg(unix)]
mod spawn;
pub mod support;
