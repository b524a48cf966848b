//! Renderers: each turns an [`AuditReport`](crate::audit::findings::AuditReport) into one output
//! format and does nothing else. One module per format, so adding a format never touches
//! another.

pub mod cyclonedx;
pub mod json;
pub mod jsonl;
pub mod markdown;
pub mod openvex;
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
    /// CycloneDX 1.6 JSON: every locked package, its dependencies, and the findings as
    /// vulnerabilities (ignored ones with their analysis).
    Cyclonedx,
    /// OpenVEX 0.2.0: one statement per advisory finding (ignored ones not_affected).
    Openvex,
}

/// What the SBOM and VEX formats describe besides the findings: every locked package
/// and edge, the roots, and the document time.
pub struct Inventory<'a> {
    /// The audited lockfile.
    pub lock: &'a crate::input::lockfile::Lockfile,
    /// Indices of the root packages (the workspace members, else the packages nothing
    /// depends on).
    pub roots: Vec<u32>,
    /// The document time, seconds since the epoch (see [`document_time`]).
    pub time: i64,
}

/// A document's time: `SOURCE_DATE_EPOCH` when it is set to a number (reproducible
/// builds' convention, and what tests use), else now.
pub fn document_time() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|&t| (0..=253_402_300_799).contains(&t))
        .unwrap_or_else(advisories_cache::info::now_unix)
}

/// A `urn:uuid:` made from a hash of `parts` (a version-4-shaped UUID: the formats want
/// a UUID, and the same inputs give the same document identity).
pub fn document_uuid(parts: &[&[u8]]) -> String {
    let mut a = advisories_cache::fingerprint::Fnv::default();
    let mut b = advisories_cache::fingerprint::Fnv::default();
    b.write(b"cargo-depaudit");
    for p in parts {
        a.write_u64(p.len() as u64);
        a.write(p);
        b.write(p);
        b.write_u64(p.len() as u64);
    }
    let (x, y) = (a.finish(), b.finish());
    let hex = format!("{x:016x}{y:016x}");
    let variant = ["8", "9", "a", "b"][(y & 3) as usize];
    format!(
        "urn:uuid:{}-{}-4{}-{variant}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// Renders `report` in `format`; `color` adds ANSI colour and `tree` the dependency
/// trees (table only); `terminal` says the text goes to a terminal, where JSON is
/// indented for reading (elsewhere it is one line, like `cargo audit --json`);
/// `inventory` is what the SBOM and VEX formats list besides the findings.
pub fn render(
    report: &crate::audit::findings::AuditReport,
    format: Format,
    color: bool,
    tree: bool,
    terminal: bool,
    inventory: &Inventory<'_>,
) -> String {
    match format {
        Format::Table => table::render(report, color, tree),
        Format::Json => json::render(report, terminal),
        Format::Sarif => sarif::render(report),
        Format::Markdown => markdown::render(report),
        Format::Jsonl => jsonl::render(report),
        Format::Cyclonedx => cyclonedx::render(report, inventory),
        Format::Openvex => openvex::render(report, inventory),
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

/// Where the audited lockfile sits: its workspace root and the repository that holds it,
/// both absolute. Reports name files relative to these, never by a machine path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roots {
    /// The lockfile's folder (the workspace root).
    pub workspace: std::path::PathBuf,
    /// The nearest folder at or above the workspace that holds `.git` (a folder, or a file
    /// in a git work tree or submodule); the workspace root when there is none.
    pub repository: std::path::PathBuf,
    /// The lockfile's file name.
    pub file_name: std::ffi::OsString,
}

impl Roots {
    /// Finds the roots of `lockfile` (as given: relative to the current directory or
    /// absolute). Symlinks in the folder are resolved when the folder exists, so the
    /// repository found is the one that really holds the file.
    pub fn of(lockfile: &std::path::Path) -> Roots {
        let file_name = lockfile
            .file_name()
            .map_or_else(|| "Cargo.lock".into(), |n| n.to_os_string());
        let parent = match lockfile.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let workspace = std::fs::canonicalize(&parent)
            .unwrap_or_else(|_| normalize(&std::path::absolute(&parent).unwrap_or(parent.clone())));
        let repository = workspace
            .ancestors()
            .find(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
            .unwrap_or(&workspace)
            .to_path_buf();
        Roots {
            workspace,
            repository,
            file_name,
        }
    }

    /// The workspace folder relative to the repository root (empty when they are one).
    pub fn workspace_in_repository(&self) -> std::path::PathBuf {
        self.workspace
            .strip_prefix(&self.repository)
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The lockfile relative to the repository root.
    pub fn lockfile_in_repository(&self) -> std::path::PathBuf {
        self.workspace_in_repository().join(&self.file_name)
    }
}

/// Drops `.` and folds `..` lexically.
pub fn normalize(p: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A reachability verdict in one line: the state and the first piece of evidence, or why
/// it is unknown.
pub fn reachability_line(r: &crate::audit::findings::Reachability) -> String {
    let mut line = format!("reachability: {}", r.state);
    if let Some(only) = r.only_in {
        line.push_str(&format!(" ({only} only)"));
    }
    match (r.evidence.first(), &r.unknown_because) {
        (Some(e), _) => line.push_str(&format!(
            " — {} {}:{}: {}",
            e.krate,
            crate::pathtext::for_text(&e.file),
            e.line,
            crate::pathtext::for_text(&e.text)
        )),
        (None, Some(why)) => line.push_str(&format!(" — {}", crate::pathtext::for_text(why))),
        (None, None) => line.push_str(&format!(
            " — {} named by none of {}",
            r.functions.join(", "),
            r.crates_read.join(", ")
        )),
    }
    line
}

/// Rows under a header, as a terminal table or a Markdown table (cells with `|` escaped).
pub fn grid(header: &[&str], rows: Vec<Vec<String>>, markdown: bool) -> String {
    if markdown {
        let mut out = format!(
            "| {} |\n|{}\n",
            header.join(" | "),
            "---|".repeat(header.len())
        );
        for r in rows {
            let cells: Vec<String> = r.iter().map(|c| c.replace('|', "\\|")).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        return out;
    }
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    for r in rows {
        table.add_row(r);
    }
    let mut out = table.to_string();
    out.push('\n');
    out
}

/// The median of sorted numbers, `None` for none.
pub fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// Writes a rendered report to `path`, or to standard output.
pub fn write(
    path: Option<&std::path::Path>,
    text: &str,
    out: &mut crate::output::Output,
) -> Result<(), crate::error::AppError> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|source| crate::error::AppError::Write {
            path: p.display().to_string(),
            source,
        }),
        None => {
            out.stdout(text);
            Ok(())
        }
    }
}
