//! The only place that writes to the terminal. A closed pipe (`| head`) ends output
//! quietly instead of panicking.

use std::io::{IsTerminal, Write};

/// Terminal output with a quiet switch.
#[derive(Debug, Default)]
pub struct Output {
    /// Suppress status and warning lines.
    pub quiet: bool,
}

impl Output {
    /// Writes report text to standard output; a broken pipe is ignored.
    pub fn stdout(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    }

    /// A status line on standard error (suppressed by --quiet).
    pub fn status(&mut self, line: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }

    /// A warning line on standard error (suppressed by --quiet).
    pub fn warn(&mut self, line: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "warning: {line}");
        }
    }

    /// An error line on standard error (never suppressed).
    pub fn error(&mut self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "error: {line}");
    }

    /// Resolves `--color` against the terminal and `NO_COLOR`.
    pub fn color_for(&self, when: &str) -> Result<bool, String> {
        match when {
            "always" => Ok(true),
            "never" => Ok(false),
            "auto" => Ok(std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()),
            other => Err(format!(
                "unknown --color value `{other}` (expected auto, always, never)"
            )),
        }
    }
}
