//! The one integration-test binary: it drives the built `cargo-depaudit` on synthetic
//! fixtures under `tests/fixtures/` and, when present, the real data in `../shared`.

#![allow(clippy::print_stderr)] // tests say on stderr why they skip

mod architecture;
mod audit;
mod bad_input;
mod binaries;
mod common;
mod corpus;
mod fetch;
mod fix_patterns;
mod fixture;
mod history;
mod index;
mod localreg;
mod policy;
mod reachability;
mod remediation;
mod reports;
mod robustness;
mod sbom;
mod scan;
