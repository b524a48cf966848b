//! `depaudit-net`: `cargo-depaudit` with the network and git code (see
//! `cargo_depaudit::net`). The everyday binary hands it the runs that fetch, ask the
//! online index or read a git work tree; it can also be run directly, like
//! `cargo-depaudit`.

#[path = "../entry.rs"]
mod entry;

fn main() {
    cargo_depaudit::net::enable();
    entry::run()
}
