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
    std::process::exit(code);
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
