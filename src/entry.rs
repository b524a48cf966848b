//! The body of both binaries (`src/main.rs`, `src/bin/depaudit-net.rs`; see
//! `cargo_depaudit::net`): parse arguments, run, map the result to an exit code.
//!
//! On Linux with glibc they start at C's `main` ([`entry_point!`]), not through Rust's
//! runtime start-up, which reads `/proc/self/maps` and maps a signal stack to report a
//! stack overflow by name: ~0.15 ms of a 4.4 ms warm audit here (interleaved runs). [`run`]
//! does the two things of it that matter: broken pipes become write errors (SIGPIPE ignored), and closed
//! standard streams are reopened on `/dev/null`, so no file this run opens can become
//! its standard output. A stack overflow still ends the run, by the signal.

use cargo_depaudit::{app, cli, net, output::Output};

/// Defines the binary's entry point: `setup` runs first, then [`run`].
macro_rules! entry_point {
    ($setup:expr) => {
        #[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
        #[unsafe(no_mangle)]
        #[allow(unsafe_code)] // C's `main`, named so the C runtime calls it (see entry.rs)
        extern "C" fn main(
            _argc: std::ffi::c_int,
            _argv: *const *const std::ffi::c_char,
        ) -> std::ffi::c_int {
            ($setup)();
            crate::entry::run()
        }

        #[cfg(not(all(target_os = "linux", target_env = "gnu", not(test))))]
        fn main() {
            ($setup)();
            crate::entry::run()
        }
    };
}

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
    #[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
    c_start();
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
    finish(code);
}

/// What Rust's runtime start-up would have done that this program relies on: ignore
/// SIGPIPE, and open `/dev/null` in place of any of the three standard streams that is
/// closed (as `std` does, aborting if it cannot).
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[allow(unsafe_code)]
fn c_start() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `signal` with SIG_IGN installs no handler of ours; `poll` is given a valid
    // array of three entries and a zero timeout; `open` is given a NUL-terminated path.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        while libc::poll(fds.as_mut_ptr(), 3, 0) == -1 {
            if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                return;
            }
        }
        for pfd in fds {
            if pfd.revents & libc::POLLNVAL != 0
                && libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0) == -1
            {
                libc::abort();
            }
        }
    }
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
