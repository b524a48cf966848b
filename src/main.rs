//! The `cargo-depaudit` binary: parse arguments, run, map the result to an exit code.

use cargo_depaudit::{app, cli, output::Output};

/// mimalloc rather than glibc's malloc: see its entry in Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args = cli::normalize_args(std::env::args_os().collect());
    let mut out = Output::default();
    let code = match cli::parse(args) {
        Ok(cli) => match app::run(cli, &mut out) {
            Ok(code) => code,
            Err(e) => {
                out.error(&advisories_cache::load::one_line(&e));
                app::exit::ERROR
            }
        },
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                out.stdout(&e.to_string());
                app::exit::OK
            }
            _ => {
                out.error(&clap_one_line(&e));
                app::exit::ERROR
            }
        },
    };
    finish(code);
}

/// Ends the process with `code` at once. Everything is written and flushed by now, so
/// the C exit handlers are skipped: mimalloc's (which hands its pages back to the OS one
/// range at a time) and the TLS library's, ~0.1 ms of a 5 ms audit.
#[cfg(unix)]
#[allow(unsafe_code)]
fn finish(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` ends the process without running exit handlers, and nothing of
    // ours relies on one: reports and caches are written, files closed and locks
    // released before `app::run` returns.
    unsafe { libc::_exit(code) }
}

#[cfg(not(unix))]
fn finish(code: i32) -> ! {
    std::process::exit(code)
}

/// clap's message folded to one line (its usage and tips dropped).
fn clap_one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let first = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    match lines.find(|l| l.trim_start().starts_with("[possible values")) {
        Some(values) => format!("{first} {}", values.trim()),
        None => first,
    }
}
