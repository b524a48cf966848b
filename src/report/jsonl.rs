//! JSON Lines: one object per finding (the same object as in the JSON report, with
//! `"type": "finding"`), then one `"type": "summary"` object. Made for streaming into
//! log pipelines and `jq -c` without holding a whole document.

use crate::audit::findings::AuditReport;
use crate::report::json::finding_value;
use serde_json::json;

/// Renders one line per finding and a final summary line.
pub fn render(r: &AuditReport) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let mut v = finding_value(f);
        v["type"] = json!("finding");
        v["denied"] = json!(r.is_denied(f));
        out.push_str(&v.to_string());
        out.push('\n');
    }
    let mut summary = json!({
        "type": "summary",
        "database": r.database,
        "lockfile": r.lockfile,
        "summary": r.summary,
        "stale_ignores": r.stale_ignores,
        "notes": r.notes,
        "fail": r.fails(),
    });
    if let Some(b) = &r.binary {
        summary["binary"] = b.to_json();
    }
    out.push_str(&summary.to_string());
    out.push('\n');
    out
}
