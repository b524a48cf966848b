//! `depaudit-net`: `cargo-depaudit` with the network and git code (see
//! `cargo_depaudit::net`). The everyday binary hands it the runs that fetch, ask the
//! online index or read a git work tree; it can also be run directly, like
//! `cargo-depaudit`.

#[path = "../main.rs"]
mod everyday;

fn main() {
    cargo_depaudit::net::enable();
    everyday::main();
}
