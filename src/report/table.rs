//! The terminal table: one row per finding (vulnerabilities first), then a one-line
//! summary that includes the database's age.

use crate::audit::findings::{AuditReport, FindingKind};
use crate::words::plural;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

/// Renders the table, the dependency trees (unless `tree` is off) and the summary.
pub fn render(r: &AuditReport, color: bool, tree: bool) -> String {
    let mut out = String::new();
    if !r.findings.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(terminal_width())
            .set_header(vec![
                "ID", "Crate", "Version", "Kind", "Severity", "Title", "Patched",
            ]);
        for f in &r.findings {
            let kind = match (&f.ignore_expired, f.ignored) {
                (Some(d), _) => format!("{} (ignore expired {d})", f.kind.as_str()),
                (None, true) => format!("{} (ignored)", f.kind.as_str()),
                (None, false) if !r.meets_threshold(f) => {
                    format!("{} (below threshold)", f.kind.as_str())
                }
                (None, false) => f.kind.as_str().to_string(),
            };
            let patched = match f.patched() {
                [] if f.kind == FindingKind::Yanked => "-".to_string(),
                [] => "no fix published".to_string(),
                p => p.join(" OR "),
            };
            table.add_row(vec![
                f.id().to_string(),
                f.package.name.clone(),
                f.package.version.clone(),
                kind,
                f.severity().map_or("-", |s| s.as_str()).to_string(),
                f.title(),
                patched,
            ]);
        }
        out.push_str(&table.to_string());
        out.push('\n');
        if tree {
            out.push_str(&trees(r));
        }
    }
    for f in r
        .findings
        .iter()
        .filter(|f| f.ignored && f.ignore_vex.is_some())
    {
        out.push_str(&format!(
            "note: {} in {} {} is suppressed by {}: {}\n",
            f.id(),
            f.package.name,
            f.package.version,
            f.ignore_origin.as_deref().unwrap_or("a VEX statement"),
            f.ignore_reason.as_deref().unwrap_or("not affected"),
        ));
    }
    // An incomplete list's line is the first note.
    if let Some(b) = r.binary.as_ref().filter(|b| b.complete) {
        out.push_str(&format!("binary: {}\n", b.describe(r.lockfile.packages)));
    }
    for n in r.notes.iter().chain(&r.yanked_unknown) {
        out.push_str(&format!("note: {n}\n"));
    }
    for s in &r.stale_ignores {
        out.push_str(&format!(
            "note: ignore for {s} matched no finding (stale)\n"
        ));
    }
    out.push_str(&summary_line(r, color));
    out.push('\n');
    out
}

/// Each finding's paths as an indented tree, the vulnerable crate at the root, each step
/// with its kind when it is not plain normal, then the fix.
pub fn trees(r: &AuditReport) -> String {
    let mut out = String::new();
    for f in r
        .findings
        .iter()
        .filter(|f| !f.paths.is_empty() || f.remediation.is_some())
    {
        out.push_str(&format!(
            "\n{} {} {} ({})\n",
            f.id(),
            f.package.name,
            f.package.version,
            f.kind.as_str()
        ));
        for (p, path) in f.paths.iter().enumerate() {
            let kinds = f.path_kinds.get(p);
            // Printed from the crate up: the step below `path[i]` is edge i.
            for (depth, (i, step)) in path.iter().enumerate().rev().skip(1).enumerate() {
                let kind = kinds
                    .and_then(|k| k.get(i))
                    .and_then(Option::as_ref)
                    .filter(|k| !k.is_plain())
                    .map(|k| format!(" ({})", crate::report::describe_edge(k)))
                    .unwrap_or_default();
                out.push_str(&format!("{}└── {step}{kind}\n", "    ".repeat(depth)));
            }
        }
        if let Some(r) = &f.reachability {
            out.push_str(&format!("  {}\n", crate::report::reachability_line(r)));
        }
        if let Some(rem) = &f.remediation {
            out.push_str(&format!("  fix ({}", rem.outcome.as_str()));
            if !rem.verified {
                out.push_str(", unverified");
            }
            out.push_str("): ");
            match &rem.command {
                Some(c) => out.push_str(c),
                None => out.push_str(&rem.explanation),
            }
            out.push('\n');
            if rem.command.is_some() {
                out.push_str(&format!("    {}\n", rem.explanation));
            } else if !rem.alternatives.is_empty() {
                out.push_str(&format!(
                    "    alternatives: {}\n",
                    rem.alternatives.join(", ")
                ));
            }
        }
    }
    let fixes = crate::report::grouped_fixes(r);
    if !fixes.is_empty() {
        out.push_str("\nFixes:\n");
        for (cmd, ids, verified) in fixes {
            out.push_str(&format!(
                "  {cmd}\n    fixes {}{}\n",
                ids.join(", "),
                if verified { "" } else { " (unverified)" }
            ));
        }
    }
    out
}

/// `N vulnerabilities, M warnings … · database …`.
pub fn summary_line(r: &AuditReport, color: bool) -> String {
    let s = &r.summary;
    let incomplete = r.binary.as_ref().is_some_and(|b| !b.complete);
    let verdict = if r.fails() {
        format!("FAIL ({})", r.failure_causes().join(", "))
    } else if incomplete {
        "INCOMPLETE (a partial crate list: no finding is not a clean bill)".to_string()
    } else {
        "ok".to_string()
    };
    let paint = |text: &str, code: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let verdict = paint(
        &verdict,
        match (r.fails(), incomplete) {
            (true, _) => "1;31",
            (false, true) => "1;33",
            (false, false) => "1;32",
        },
    );
    let db = &r.database;
    let age = match db.age_days {
        Some(d) => format!("{d} days old"),
        None => "age unknown".into(),
    };
    let commit = db
        .commit
        .as_deref()
        .map(|c| format!(", commit {}", &c[..c.len().min(10)]))
        .unwrap_or_default();
    format!(
        "{verdict}: {} {}, {} {}, {} ignored in {} packages of {} · database {} ({age}, {} advisories{commit})",
        s.vulnerabilities,
        plural(s.vulnerabilities, "vulnerability", "vulnerabilities"),
        s.warnings,
        plural(s.warnings, "warning", "warnings"),
        s.ignored,
        r.lockfile.packages,
        crate::pathtext::for_text(&r.lockfile.path),
        db.last_updated
            .as_deref()
            .map(|d| &d[..d.len().min(10)])
            .unwrap_or("undated"),
        db.advisory_count,
    )
}

fn terminal_width() -> u16 {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w: &u16| w >= 40)
        .unwrap_or(140)
}
