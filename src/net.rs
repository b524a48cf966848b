//! Everything that needs the network or git: fetching the advisory database, the
//! `--online-index` client, and reading the HEAD commit of a `--db` that is a git work
//! tree. It is reached only through hooks that [`enable`] sets, so a program that never
//! calls it links none of that code.
//!
//! The package builds two binaries from one `main`: `cargo-depaudit`, the everyday one,
//! which never calls [`enable`], and [`NETWORK_BUILD`], which does. The git, HTTP and TLS
//! stack is about half of the code; leaving it out of the everyday binary gives a
//! warm audit a quarter of the pointers to relocate at start (62 vs 248 KiB) and ~0.15 ms
//! less start-up, and keeps code that speaks to servers out of the process that reads
//! untrusted lockfiles. When a run needs any of it ([`needs_network_build`]), the
//! everyday binary hands the whole command line over to the network build installed
//! beside it, before it has printed anything ([`hand_over`]).

use crate::cli::{Cli, Command, DbArgs};
use crate::error::AppError;
use crate::input::registry::online::OnlineIndex;
use advisories_cache::{FetchOptions, FetchOutcome, location};
use std::ffi::OsString;
use std::sync::OnceLock;

/// The file name of the network build, installed beside `cargo-depaudit`.
pub const NETWORK_BUILD: &str = "depaudit-net";

/// The network-facing functions, once [`enable`]d.
struct Hooks {
    fetch: fn(&FetchOptions) -> advisories_cache::Result<FetchOutcome>,
    online_index: fn() -> Option<Box<dyn OnlineIndex>>,
}

static HOOKS: OnceLock<Hooks> = OnceLock::new();

/// Makes this process able to fetch, ask the online index and read git work trees
/// (what the network build calls first).
pub fn enable() {
    advisories_cache::info::read_git_work_trees();
    let _ = HOOKS.set(Hooks {
        fetch: advisories_cache::fetch,
        online_index: || {
            crate::input::registry::online::SparseIndex::crates_io()
                .map(|c| Box::new(c) as Box<dyn OnlineIndex>)
        },
    });
}

/// Whether [`enable`] was called.
pub fn enabled() -> bool {
    HOOKS.get().is_some()
}

/// Fetches or updates the database (see [`advisories_cache::fetch`]).
pub fn fetch(opts: &FetchOptions) -> Result<FetchOutcome, AppError> {
    match HOOKS.get() {
        Some(h) => Ok((h.fetch)(opts)?),
        None => Err(not_here("fetching the advisory database")),
    }
}

/// A client for the crates.io sparse index; `None` without the network.
pub fn online_index() -> Option<Box<dyn OnlineIndex>> {
    (HOOKS.get()?.online_index)()
}

/// The error for network work asked of a process without it: only reached when a
/// database folder appears or goes between [`needs_network_build`] and its use.
fn not_here(what: &str) -> AppError {
    AppError::Usage(format!(
        "{what} needs the network build ({NETWORK_BUILD}); run the command again"
    ))
}

/// Whether `cli` may need the network or git: a fetch, `--online-index`, a database
/// that is missing where fetching is allowed, or one that is a git work tree (whose
/// commit only git can read).
pub fn needs_network_build(cli: &Cli) -> bool {
    let (db, offline, online_index) = match &cli.command {
        Some(Command::Fetch(_)) => return true,
        None => (
            &cli.audit.common.db,
            cli.audit.common.offline,
            cli.audit.online_index,
        ),
        Some(Command::Audit(a)) => (&a.common.db, a.common.offline, a.online_index),
        Some(Command::Fix(a)) => (&a.db, a.offline, a.online_index),
        Some(Command::Scan(a)) => (&a.db, a.offline, false),
        Some(Command::History(a)) => (&a.db, a.offline, false),
        Some(Command::Bin(a)) => (&a.common.db, a.common.offline, false),
        Some(Command::Policy(_) | Command::Why(_)) => return false,
    };
    online_index && !offline || db_needs_network(db, offline)
}

fn db_needs_network(db: &DbArgs, offline: bool) -> bool {
    let (dir, _) = location::resolve_db_dir(db.db.as_deref());
    match std::fs::symlink_metadata(&dir) {
        Err(_) => !offline,
        Ok(_) => advisories_cache::info::is_git_work_tree(&dir),
    }
}

/// Runs `args` (the whole command line as given, program name first) with the network
/// build beside this program instead, and ends with its exit code. Returns only on
/// failure to start it.
pub fn hand_over(args: Vec<OsString>) -> AppError {
    let program = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name(format!("{NETWORK_BUILD}{}", std::env::consts::EXE_SUFFIX)),
        Err(e) => return AppError::Usage(format!("cannot find this program's folder: {e}")),
    };
    let mut cmd = std::process::Command::new(&program);
    cmd.args(args.into_iter().skip(1));
    let failed = |e: std::io::Error| {
        AppError::Usage(format!(
            "this run needs the network build {} (fetching, --online-index, or a git work tree as the database), which could not be started: {e}; install it beside cargo-depaudit (`cargo install` installs both)",
            program.display()
        ))
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        failed(cmd.exec())
    }
    #[cfg(not(unix))]
    match cmd.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(crate::error::exit::ERROR)),
        Err(e) => failed(e),
    }
}
