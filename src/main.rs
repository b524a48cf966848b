//! The `cargo-depaudit` binary: the body in `entry.rs`, without the network code (see
//! `cargo_depaudit::net`).

mod entry;

fn main() {
    entry::run()
}
