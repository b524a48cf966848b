//! The reachability verdict a finding carries (computed by `audit::reachability`, or
//! from a binary's symbols by `bin`), as plain data.

use serde::Serialize;

/// A reachability verdict with its evidence. Fields are declared in sorted order, as
/// every JSON object of the reports is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reachability {
    /// For a binary: `present-in-binary`, `absent-from-binary` (evidence, not proof:
    /// functions get inlined) or `no-symbols` (stripped: nothing to tell).
    pub binary: Option<&'static str>,
    /// The crates read (`name version`).
    pub crates_read: Vec<String>,
    /// Where the functions are named (at most 20; runtime ones first).
    pub evidence: Vec<Evidence>,
    /// The affected functions looked for.
    pub functions: Vec<String>,
    /// For `referenced` with no runtime occurrence: `test` or `build-script`.
    pub only_in: Option<&'static str>,
    /// `referenced`, `not-referenced` or `unknown`.
    pub state: &'static str,
    /// Why the verdict is `unknown`.
    pub unknown_because: Option<String>,
}

/// One place a crate names an affected function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// `runtime`, `test` or `build-script`.
    pub context: &'static str,
    /// `name version` of the crate.
    #[serde(rename = "crate")]
    pub krate: String,
    /// File, relative to the crate's folder.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// The line's text, trimmed.
    pub text: String,
    /// The file on this machine (for SARIF locations inside the repository).
    #[serde(skip)]
    pub path: std::path::PathBuf,
}
