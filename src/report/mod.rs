//! Renderers: each turns an [`AuditReport`](crate::audit::findings::AuditReport) into one output
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
    report: &crate::audit::findings::AuditReport,
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
pub fn grouped_fixes(r: &crate::audit::findings::AuditReport) -> Vec<(String, Vec<String>, bool)> {
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

/// `a 1.0 → b 2.0 (build) → c 3.0`: a step's kind is shown when it is not plain normal.
pub fn render_path(
    labels: &[String],
    kinds: &[Option<crate::audit::findings::EdgeKind>],
) -> String {
    let mut s = labels.first().cloned().unwrap_or_default();
    for (i, label) in labels.iter().enumerate().skip(1) {
        s.push_str(" → ");
        s.push_str(label);
        if let Some(Some(k)) = kinds.get(i - 1)
            && !k.is_plain()
        {
            s.push_str(&format!(" ({})", describe_edge(k)));
        }
    }
    s
}

/// `dev`, `normal+build, optional, cfg(unix)`.
pub fn describe_edge(k: &crate::audit::findings::EdgeKind) -> String {
    let mut parts = vec![k.kinds.join("+")];
    if k.optional {
        parts.push("optional".into());
    }
    if let Some(t) = &k.target {
        parts.push(t.clone());
    }
    parts.join(", ")
}

/// `one` for 1, else `many`: counts in every text format read as written.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
