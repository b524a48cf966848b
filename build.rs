//! Two link options for release builds on x86_64 Linux with glibc, each to make a run
//! touch fewer pages:
//!
//! - Packed relative relocations (DT_RELR): the dynamic loader then reads a few KiB
//!   instead of 620 KiB of relocation records at every start, which saves ~1 MiB of peak
//!   RSS on a warm audit (7.3 vs 8.3 MiB). The static-pie build of `.cargo/config.toml`
//!   applies them itself; a dynamically linked one (RUSTFLAGS set) needs glibc 2.36 or
//!   later where it runs (older ones refuse to start it, naming GLIBC_ABI_DT_RELR); set
//!   DEPAUDIT_NO_RELR=1 to build without.
//! - Function order (`link-order.txt`, made by `scripts/link-order.py`): the functions a
//!   typical run executes are placed together at the start of the code, instead of
//!   scattered over 4 MB (11 MB in the network build), so the kernel's 64 KiB read-around maps ~1 MiB of code rather
//!   than ~3.7 MiB (peak RSS of a warm audit of 383 packages: 7.6 -> 5.1 MiB). Only lld
//!   knows the option: it is passed when rustc links with its own lld, which rustc 1.90
//!   and later do by default for x86_64-unknown-linux-gnu, and no other linker is set
//!   through RUSTFLAGS or CARGO_TARGET_*_LINKER; DEPAUDIT_NO_LINK_ORDER=1 turns it off
//!   (a linker set in a `.cargo/config.toml` needs it).

use std::env;
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=DEPAUDIT_NO_RELR");
    println!("cargo:rerun-if-env-changed=DEPAUDIT_NO_LINK_ORDER");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER");
    println!("cargo:rerun-if-changed=link-order.txt");
    let linux_gnu = env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let release = env::var("PROFILE").as_deref() == Ok("release");
    if !(linux_gnu && release) {
        return;
    }
    if env::var_os("DEPAUDIT_NO_RELR").is_none() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    let order =
        Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("link-order.txt");
    if env::var_os("DEPAUDIT_NO_LINK_ORDER").is_none() && order.is_file() && links_with_own_lld() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // Names the file lists that this build lacks are expected after any change.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// Whether rustc will link with its self-contained lld: the default on this target since
/// rustc 1.90, unless a linker or linker flavour is chosen some other way.
fn links_with_own_lld() -> bool {
    if env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu")
        || env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
    {
        return false;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if ["linker", "link-self-contained", "fuse-ld"]
        .iter()
        .any(|f| flags.contains(f))
    {
        return false;
    }
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("-vV").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let minor = text
        .lines()
        .find_map(|l| l.strip_prefix("release: 1."))
        .and_then(|rest| rest.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    minor.is_some_and(|m| m >= 90)
}
