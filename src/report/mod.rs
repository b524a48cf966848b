//! Renderers: each turns an [`AuditReport`](crate::findings::AuditReport) into one output
//! format and does nothing else. One module per format, so adding a format never touches
//! another.

pub mod json;
pub mod jsonl;
pub mod markdown;
pub mod sarif;
pub mod table;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable table (the default).
    Table,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0, for code scanning (GitHub and others).
    Sarif,
    /// Markdown, for a pull-request comment or a release checklist.
    Markdown,
    /// JSON Lines: one object per finding, then a summary object.
    Jsonl,
}

/// Renders `report` in `format`; `color` adds ANSI colour and `tree` the dependency
/// trees (table only); `terminal` says the text goes to a terminal, where JSON is
/// indented for reading (elsewhere it is one line, like `cargo audit --json`).
pub fn render(
    report: &crate::findings::AuditReport,
    format: Format,
    color: bool,
    tree: bool,
    terminal: bool,
) -> String {
    match format {
        Format::Table => table::render(report, color, tree),
        Format::Json => json::render(report, terminal),
        Format::Sarif => sarif::render(report),
        Format::Markdown => markdown::render(report),
        Format::Jsonl => jsonl::render(report),
    }
}

/// The report's distinct fix commands, each with the advisory ids it fixes, most first.
pub fn grouped_fixes(r: &crate::findings::AuditReport) -> Vec<(String, Vec<String>, bool)> {
    let mut out: Vec<(String, Vec<String>, bool)> = Vec::new();
    for f in r.findings.iter().filter(|f| !f.ignored) {
        let Some(rem) = &f.remediation else { continue };
        let Some(cmd) = &rem.command else { continue };
        if !out.iter().any(|(c, _, _)| c == cmd) {
            out.push((cmd.clone(), rem.fixes.clone(), rem.verified));
        }
    }
    out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    out
}
