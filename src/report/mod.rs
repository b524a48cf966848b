//! Renderers: each turns an [`AuditReport`](crate::findings::AuditReport) into one output
//! format and does nothing else.

pub mod json;
pub mod table;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable table (the default).
    Table,
    /// One JSON document.
    Json,
}

/// Renders `report` in `format`; `color` adds ANSI colour and `tree` the dependency
/// trees (table only).
pub fn render(
    report: &crate::findings::AuditReport,
    format: Format,
    color: bool,
    tree: bool,
) -> String {
    match format {
        Format::Table => table::render(report, color, tree),
        Format::Json => json::render(report),
    }
}
