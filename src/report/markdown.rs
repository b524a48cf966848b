//! Markdown for a pull-request comment or a release checklist: a verdict line with counts
//! and the database's age, a table of the findings to act on, the ignored findings with
//! their reasons and expiry dates, and notes. Dependency paths go in collapsed
//! `<details>` blocks, and the fixes in a list of commands with the advisories each fixes.

use super::plural;
use crate::audit::findings::{AuditReport, Finding, FindingKind};

/// Renders the Markdown report.
pub fn render(r: &AuditReport) -> String {
    let s = &r.summary;
    let mut out = String::new();
    let verdict = if r.fails() {
        format!("❌ **FAIL** ({})", r.failure_causes().join(", "))
    } else if r.binary.as_ref().is_some_and(|b| !b.complete) {
        "⚠️ **incomplete** (a partial crate list: no finding is not a clean bill)".to_string()
    } else {
        "✅ **pass**".to_string()
    };
    out.push_str(&format!(
        "### cargo-depaudit: {verdict}: {} {}, {} {}, {} ignored, {} failing the policy\n\n",
        s.vulnerabilities,
        plural(s.vulnerabilities, "vulnerability", "vulnerabilities"),
        s.warnings,
        plural(s.warnings, "warning", "warnings"),
        s.ignored,
        s.denied,
    ));
    let db = &r.database;
    out.push_str(&format!(
        "`{}` ({} packages) · advisory database {} ({}, {} advisories{})\n",
        crate::pathtext::for_text(&r.lockfile.path),
        r.lockfile.packages,
        db.last_updated
            .as_deref()
            .map(|d| &d[..d.len().min(10)])
            .unwrap_or("undated"),
        db.age_days
            .map_or("age unknown".to_string(), |d| format!("{d} days old")),
        db.advisory_count,
        db.commit
            .as_deref()
            .map(|c| format!(", commit `{}`", &c[..c.len().min(10)]))
            .unwrap_or_default(),
    ));

    if let Some(b) = &r.binary {
        out.push_str(&format!("\nBinary: {}\n", b.describe(r.lockfile.packages)));
    }

    let active: Vec<&Finding> = r.findings.iter().filter(|f| !f.ignored).collect();
    if !active.is_empty() {
        out.push_str("\n#### Findings\n\n");
        out.push_str(
            "| Done | ID | Crate | Version | Kind | Severity | Title | Patched | Fails |\n",
        );
        out.push_str("|---|---|---|---|---|---|---|---|---|\n");
        for f in &active {
            let id = match f.advisory.as_ref().and_then(|a| a.rustsec_url.as_deref()) {
                Some(url) => format!("[{}]({url})", f.id()),
                None => f.id().to_string(),
            };
            let mut kind = f.kind.as_str().to_string();
            if let Some(d) = &f.ignore_expired {
                kind.push_str(&format!(" (ignore expired {d})"));
            }
            out.push_str(&format!(
                "| ☐ | {id} | `{}` | {} | {kind} | {} | {} | {} | {} |\n",
                cell(&f.package.name),
                cell(&f.package.version),
                f.severity().map_or("-", |s| s.as_str()),
                cell(&f.title()),
                cell(&patched(f)),
                if r.is_denied(f) { "**yes**" } else { "no" },
            ));
        }
        for f in &active {
            let paths = dependency_paths(f);
            if !paths.is_empty() {
                out.push_str(&format!(
                    "\n<details><summary>How {} {} is reached ({})</summary>\n\n",
                    f.package.name,
                    f.package.version,
                    f.id()
                ));
                for p in paths {
                    out.push_str(&format!("- {p}\n"));
                }
                out.push_str("\n</details>\n");
            }
        }
    }

    let fixes = crate::report::grouped_fixes(r);
    if !fixes.is_empty() {
        out.push_str("\n#### Fixes\n\n");
        for (cmd, ids, verified) in fixes {
            out.push_str(&format!(
                "- `{}` fixes {}{}\n",
                cmd.replace('`', "'"),
                ids.join(", "),
                if verified { "" } else { " (unverified)" }
            ));
        }
    }

    let ignored: Vec<&Finding> = r.findings.iter().filter(|f| f.ignored).collect();
    if !ignored.is_empty() {
        out.push_str("\n#### Ignored\n\n");
        for f in ignored {
            out.push_str(&format!(
                "- {} in `{} {}` ({}): {}",
                f.id(),
                f.package.name,
                f.package.version,
                f.kind.as_str(),
                f.ignore_reason.as_deref().unwrap_or("no reason given"),
            ));
            if let Some(origin) = &f.ignore_origin {
                out.push_str(&format!(" (from `{origin}`"));
                match &f.ignore_until {
                    Some(u) => out.push_str(&format!(", until {u})")),
                    None => out.push_str(", no expiry)"),
                }
            }
            out.push('\n');
        }
    }

    if !r.notes.is_empty() || !r.stale_ignores.is_empty() {
        out.push_str("\n#### Notes\n\n");
        for n in &r.notes {
            out.push_str(&format!("- {}\n", cell(n)));
        }
        for s in &r.stale_ignores {
            let fails = if r.deny_stale_ignores {
                " (fails: stale ignores are denied)"
            } else {
                ""
            };
            out.push_str(&format!("- ignore for {s} matched no finding{fails}\n"));
        }
    }
    out
}

/// Dependency paths as `root → … → crate` lines, with step kinds when known.
pub fn dependency_paths(f: &Finding) -> Vec<String> {
    f.paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let kinds = f.path_kinds.get(i).map(Vec::as_slice).unwrap_or(&[]);
            crate::report::render_path(p, kinds)
        })
        .collect()
}

fn patched(f: &Finding) -> String {
    match f.patched() {
        [] if f.kind == FindingKind::Yanked => "-".to_string(),
        [] => "no fix published".to_string(),
        p => p.join(" OR "),
    }
}

/// Escapes text for a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
