//! `depaudit-net`: `cargo-depaudit` with the network and git code (see
//! `cargo_depaudit::net`). The everyday binary hands it the runs that fetch, ask the
//! online index or read a git work tree; it can also be run directly, like
//! `cargo-depaudit`.
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

#[macro_use]
#[path = "../entry.rs"]
mod entry;

entry_point!(cargo_depaudit::net::enable);
