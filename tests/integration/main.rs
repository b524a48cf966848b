//! The one integration-test binary: each module drives the built `cargo-depaudit` on
//! fixtures under `tests/fixtures/`.

mod fixture;
mod policy;
mod reports;
