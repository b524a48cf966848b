//! OpenVEX 0.2.0: one statement per advisory finding, its product the crate's purl.
//! An ignored finding is `not_affected`: a VEX claim keeps its justification (with the
//! reason in `status_notes`), any other ignore has its reason as the `impact_statement`
//! and where it came from and until when in `status_notes`; any other is `affected` with the remediation as its
//! `action_statement`. Yanked crates have no vulnerability and no statement. The
//! document's `@id` is a `urn:uuid:` made from its content and time; its `timestamp` is
//! `SOURCE_DATE_EPOCH` when set. Mapping: docs/SBOM.md.

use super::Inventory;
use super::cyclonedx::{ignore_text, recommendation, rustsec_url};
use crate::audit::findings::{AuditReport, Finding};
use crate::input::purl;
use serde_json::{Value, json};

/// The OpenVEX 0.2.0 context.
pub const CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// Renders the document, indented, with a trailing newline.
pub fn render(r: &AuditReport, inv: &Inventory<'_>) -> String {
    let mut s = serde_json::to_string_pretty(&document(r, inv)).unwrap_or_default();
    s.push('\n');
    s
}

/// The document as a JSON value.
pub fn document(r: &AuditReport, inv: &Inventory<'_>) -> Value {
    let statements: Vec<Value> = r
        .findings
        .iter()
        .filter(|f| f.advisory.is_some())
        .map(statement)
        .collect();
    let time = advisories_cache::info::format_rfc3339(inv.time);
    let body = serde_json::to_string(&statements).unwrap_or_default();
    let id = super::document_uuid(&[time.as_bytes(), r.lockfile.path.as_bytes(), body.as_bytes()]);
    json!({
        "@context": CONTEXT,
        "@id": id,
        "author": "cargo-depaudit",
        "role": "tool",
        "timestamp": time,
        "version": 1,
        "tooling": format!("cargo-depaudit {}", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    })
}

fn statement(f: &Finding) -> Value {
    let Some(a) = f.advisory.as_ref() else {
        return Value::Null;
    };
    let purl = purl::of(
        &f.package.name,
        &f.package.version,
        f.package.source.as_deref(),
    );
    let mut vulnerability = json!({ "name": a.id, "description": a.title });
    if let Some(url) = rustsec_url(f) {
        vulnerability["@id"] = json!(url);
    }
    if !a.aliases.is_empty() {
        vulnerability["aliases"] = json!(a.aliases);
    }
    let mut s = json!({
        "vulnerability": vulnerability,
        "products": [{ "@id": purl, "identifiers": { "purl": purl } }],
    });
    if f.ignored {
        s["status"] = json!("not_affected");
        // The published schema takes exactly one of a justification and an impact
        // statement: a VEX claim's justification when it had one (its text goes to the
        // notes), else the reason as the impact statement.
        let claim = f.ignore_vex.as_ref();
        let reason = f.ignore_reason.clone().unwrap_or_else(|| ignore_text(f));
        match claim.and_then(|c| c.openvex_justification) {
            Some(j) => {
                s["justification"] = json!(j);
                s["status_notes"] = json!(format!(
                    "{reason} (suppressed by {})",
                    f.ignore_origin.as_deref().unwrap_or("a VEX statement")
                ));
            }
            None => {
                s["impact_statement"] = json!(reason);
                s["status_notes"] = json!(match claim {
                    Some(_) => format!(
                        "Suppressed by {}",
                        f.ignore_origin.as_deref().unwrap_or("a VEX statement")
                    ),
                    None => format!("Risk accepted: {}", ignore_text(f)),
                });
            }
        }
    } else {
        s["status"] = json!("affected");
        s["action_statement"] = json!(recommendation(f));
    }
    s
}
