//! The progress line `scan` draws on standard error: `\r[#####.....] 120/1000 lockfiles`.
//!
//! It is drawn only when standard error is a terminal and `--quiet` is off, and only once
//! the work has run longer than a moment ([`DELAY`]), so a quick scan, a pipe, a log file
//! or CI output never gets one. Redraws are throttled and never block a worker (a
//! worker that finds the line busy just skips its update); the line is wiped when the
//! work ends so the status lines that follow start clean.
//!
//! Hand-written rather than `indicatif`: one line with a bar and a count is all `scan`
//! needs, and every dependency adds build time and start-up work to a binary whose start
//! is part of its speed target.
//!
//! `DEPAUDIT_PROGRESS_DELAY_MS` overrides the delay (tests set it to 0 to show that a
//! non-terminal never gets the line, however long the scan).

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long the work runs before the line appears.
pub const DELAY: Duration = Duration::from_millis(300);
/// The shortest time between two redraws.
const REDRAW: Duration = Duration::from_millis(80);
const WIDTH: usize = 30;

/// A progress line over `total` steps, written to `W`.
#[derive(Debug)]
pub struct Progress<W: Write> {
    state: Option<Mutex<State<W>>>,
    total: usize,
    started: Instant,
    delay: Duration,
}

#[derive(Debug)]
struct State<W> {
    out: W,
    last_draw: Option<Instant>,
    drawn_len: usize,
}

impl Progress<std::io::Stderr> {
    /// The line on standard error, when it is a terminal and `quiet` is off.
    pub fn stderr(total: usize, quiet: bool) -> Self {
        use std::io::IsTerminal;
        let delay = std::env::var("DEPAUDIT_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(DELAY, Duration::from_millis);
        let enabled = !quiet && std::io::stderr().is_terminal();
        Progress::new(std::io::stderr(), total, delay, enabled)
    }
}

impl<W: Write> Progress<W> {
    /// A line to `out`; nothing is ever written when `enabled` is false.
    pub fn new(out: W, total: usize, delay: Duration, enabled: bool) -> Self {
        Progress {
            state: enabled.then(|| {
                Mutex::new(State {
                    out,
                    last_draw: None,
                    drawn_len: 0,
                })
            }),
            total,
            started: Instant::now(),
            delay,
        }
    }

    /// Reports that `done` steps are finished.
    pub fn tick(&self, done: usize) {
        let Some(state) = &self.state else { return };
        if self.started.elapsed() < self.delay {
            return;
        }
        let Ok(mut s) = state.try_lock() else { return };
        let now = Instant::now();
        if s.last_draw.is_some_and(|t| now - t < REDRAW) && done < self.total {
            return;
        }
        let done = done.min(self.total);
        let filled = done * WIDTH / self.total.max(1);
        let line = format!(
            "[{}{}] {done}/{} lockfiles",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            self.total
        );
        let pad = s.drawn_len.saturating_sub(line.len());
        let _ = write!(s.out, "\r{line}{:pad$}", "").and_then(|_| s.out.flush());
        s.drawn_len = line.len();
        s.last_draw = Some(now);
    }

    /// Wipes the line, if one was drawn.
    pub fn finish(&self) {
        let Some(state) = &self.state else { return };
        let Ok(mut s) = state.lock() else { return };
        if s.drawn_len > 0 {
            let n = s.drawn_len;
            let _ = write!(s.out, "\r{:n$}\r", "").and_then(|_| s.out.flush());
            s.drawn_len = 0;
        }
    }

    /// The writer back (tests).
    pub fn into_inner(self) -> Option<W> {
        self.state.and_then(|m| m.into_inner().ok()).map(|s| s.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(p: Progress<Vec<u8>>) -> String {
        String::from_utf8(p.into_inner().unwrap_or_default()).unwrap()
    }

    #[test]
    fn disabled_writes_nothing_however_long_the_work() {
        let p = Progress::new(Vec::new(), 10, Duration::ZERO, false);
        for i in 1..=10 {
            p.tick(i);
        }
        p.finish();
        assert_eq!(text(p), "");
    }

    #[test]
    fn nothing_before_the_delay() {
        let p = Progress::new(Vec::new(), 10, Duration::from_secs(3600), true);
        for i in 1..=10 {
            p.tick(i);
        }
        p.finish();
        assert_eq!(text(p), "");
    }

    #[test]
    fn draws_a_bar_and_wipes_it_at_the_end() {
        let p = Progress::new(Vec::new(), 4, Duration::ZERO, true);
        p.tick(1);
        p.tick(2); // throttled: too soon after the first draw
        p.tick(4); // the last step is always drawn
        p.finish();
        let out = text(p);
        let first = format!("\r[{}{}] 1/4 lockfiles", "#".repeat(7), ".".repeat(23));
        let last = format!("\r[{}] 4/4 lockfiles", "#".repeat(30));
        let wipe = format!("\r{}\r", " ".repeat(last.len() - 1));
        assert_eq!(out, format!("{first}{last}{wipe}"));
        assert!(!out.contains("2/4"));
    }
}
