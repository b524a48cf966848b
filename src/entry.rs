//! The body of both binaries (`src/main.rs`, `src/bin/depaudit-net.rs`; see
//! `cargo_depaudit::net`): parse arguments, run, map the result to an exit code.

use cargo_depaudit::{app, cli, net, output::Output};

/// mimalloc rather than glibc's malloc: see its entry in Cargo.toml.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// mimalloc as Rust's allocator. Layouts aligned to at most 8 bytes (nearly all: text,
/// vectors of numbers, pointers and structs of them) go to plain `mi_malloc`, whose
/// blocks are always 8-aligned; the `mimalloc` crate sends every layout through
/// `mi_malloc_aligned`, whose fast path misses all blocks over 1 KiB and costs ~50
/// instructions more a call (~5% of a warm audit's instructions).
struct MiMalloc;

/// The largest alignment every mimalloc block has: block sizes are multiples of a word
/// and blocks start word-aligned.
const MI_WORD_ALIGN: usize = 8;

// SAFETY: each method hands the layout to mimalloc's matching C function: the plain
// ones only when the layout needs no more than the word alignment every mimalloc block
// has, else the aligned ones, which honour any power-of-two alignment. Pointers given
// back (dealloc, realloc) come from these same functions, as `GlobalAlloc` promises.
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys::{mi_malloc, mi_malloc_aligned};
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= MI_WORD_ALIGN {
                mi_malloc(layout.size()).cast()
            } else {
                mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys::{mi_zalloc, mi_zalloc_aligned};
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= MI_WORD_ALIGN {
                mi_zalloc(layout.size()).cast()
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: see the impl.
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        use libmimalloc_sys::{mi_realloc, mi_realloc_aligned};
        // SAFETY: see the impl.
        unsafe {
            if layout.align() <= MI_WORD_ALIGN {
                mi_realloc(ptr.cast(), size).cast()
            } else {
                mi_realloc_aligned(ptr.cast(), size, layout.align()).cast()
            }
        }
    }
}

/// The whole program. The network build calls it after [`net::enable`]; without that,
/// a run that needs the network is handed over to it.
pub fn run() -> ! {
    let given: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let args = cli::normalize_args(given.clone());
    let mut out = Output::default();
    let code = match cli::parse(args) {
        Ok(cli) if !net::enabled() && net::needs_network_build(&cli) => {
            out.error(&net::hand_over(given).to_string());
            app::exit::ERROR
        }
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
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
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
