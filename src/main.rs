//! The `cargo-depaudit` binary: the body in `entry.rs`, without the network code (see
//! `cargo_depaudit::net`).
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

#[macro_use]
mod entry;

entry_point!(|| {});
