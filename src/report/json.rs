//! The JSON report. Its shape is documented in the README and pinned by a test:
//! `database`, `lockfile`, `findings[]` (`kind`, `advisory`, `package`, `patched`,
//! `unaffected`, `ignored`, `paths`, `path_kinds`, `remediation` (advisory findings), and for findings an ignore rule touched `ignore_reason`,
//! `ignore_origin`, `ignore_until`, `ignore_expired`), `summary`, `stale_ignores`, `notes`.

use crate::findings::{AuditReport, Finding};
use serde_json::{Value, json};

/// One finding as a JSON value.
pub fn finding_value(f: &Finding) -> Value {
    let advisory = f.advisory.as_ref().map(|a| {
        json!({
            "id": a.id,
            "aliases": a.aliases,
            "title": a.title,
            "date": a.date,
            "url": a.url.clone().or_else(|| a.rustsec_url.clone()),
            "cvss": a.cvss,
            "severity": a.severity.map(|s| s.as_str()),
        })
    });
    let (patched, unaffected) = match &f.advisory {
        Some(a) => (a.patched.clone(), a.unaffected.clone()),
        None => (vec![], vec![]),
    };
    let mut v = json!({
        "kind": f.kind.as_str(),
        "advisory": advisory,
        "package": f.package,
        "patched": patched,
        "unaffected": unaffected,
        "ignored": f.ignored,
        "paths": f.paths,
        "path_kinds": f.path_kinds,
    });
    if let Some(r) = &f.remediation {
        v["remediation"] = json!(r);
    }
    if let Some(reason) = &f.ignore_reason {
        v["ignore_reason"] = json!(reason);
    }
    if let Some(origin) = &f.ignore_origin {
        v["ignore_origin"] = json!(origin);
    }
    if let Some(until) = &f.ignore_until {
        v["ignore_until"] = json!(until);
    }
    if let Some(expired) = &f.ignore_expired {
        v["ignore_expired"] = json!(expired);
    }
    v
}

/// The whole report as a JSON value.
pub fn report_value(r: &AuditReport) -> Value {
    json!({
        "database": r.database,
        "lockfile": r.lockfile,
        "findings": r.findings.iter().map(finding_value).collect::<Vec<_>>(),
        "summary": r.summary,
        "paths_note": r.paths_note,
        "stale_ignores": r.stale_ignores,
        "notes": r.notes,
        "yanked_unknown": r.yanked_unknown,
    })
}

/// Pretty-printed JSON with a trailing newline.
pub fn render(r: &AuditReport) -> String {
    let mut s = serde_json::to_string_pretty(&report_value(r)).unwrap_or_default();
    s.push('\n');
    s
}
