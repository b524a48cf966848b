//! SARIF 2.1.0, for code-scanning services (GitHub code scanning and other SARIF
//! viewers). One rule per advisory, one result per finding, located at the package's
//! `[[package]]` line in the lockfile. Fingerprints hash the advisory id, crate and
//! version (never the line) so a finding keeps its identity when the lockfile shifts.
//! Ignored findings are kept as results with an external suppression and its reason, so
//! the viewer shows them as dismissed rather than hiding them.

use crate::audit::findings::{AuditReport, Finding, FindingKind};
use advisories_cache::fingerprint::Fnv;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// The schema URI written into `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where the tool is documented.
pub const INFORMATION_URI: &str = "https://github.com/cargo-depaudit/cargo-depaudit";

/// Renders SARIF with the lockfile path made relative to the current directory.
pub fn render(r: &AuditReport) -> String {
    let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    render_relative_to(r, &base)
}

/// Renders SARIF with the lockfile path made relative to `base`.
pub fn render_relative_to(r: &AuditReport, base: &Path) -> String {
    let mut s = serde_json::to_string_pretty(&sarif_value(r, base)).unwrap_or_default();
    s.push('\n');
    s
}

/// The SARIF log as a JSON value.
pub fn sarif_value(r: &AuditReport, base: &Path) -> Value {
    let uri = artifact_uri(&r.lockfile.location, base);
    // One rule per advisory (and one for yanked crates), in first-seen order.
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    for f in &r.findings {
        let id = f.id().to_string();
        if let std::collections::btree_map::Entry::Vacant(e) = rule_index.entry(id) {
            e.insert(rules.len());
            rules.push(rule(f));
        }
    }
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| result(r, f, rule_index[f.id()], &uri))
        .collect();
    let mut log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cargo-depaudit",
                    "informationUri": INFORMATION_URI,
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "artifacts": [{
                "location": { "uri": uri },
                "mimeType": "text/x-toml",
            }],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }]
    });
    if let Some(b) = &r.binary {
        let run = &mut log["runs"][0];
        run["artifacts"][0]["mimeType"] = json!("application/octet-stream");
        run["properties"] = json!({ "binary": b.to_json(), "complete": b.complete });
        if !b.complete {
            run["invocations"] = json!([{
                "executionSuccessful": true,
                "toolExecutionNotifications": [{
                    "level": "warning",
                    "message": { "text": b.describe(r.lockfile.packages) },
                }],
            }]);
        }
    }
    log
}

/// `security-severity` for GitHub: the CVSS score, else a default by kind.
fn security_severity(f: &Finding) -> String {
    match f.advisory.as_ref().and_then(|a| a.cvss_score) {
        Some(score) => format!("{score:.1}"),
        None => match f.kind {
            FindingKind::Vulnerability => "5.0",
            FindingKind::Unsound => "4.0",
            _ => "2.0",
        }
        .to_string(),
    }
}

/// A PascalCase rule name: the kind, then the crate (`VulnerabilityInTime`).
fn rule_name(f: &Finding) -> String {
    let mut name = String::new();
    let mut up = true;
    for c in format!("{}-in-{}", f.kind.as_str(), f.package.name).chars() {
        if c.is_ascii_alphanumeric() {
            if up {
                name.extend(c.to_uppercase());
            } else {
                name.push(c);
            }
            up = false;
        } else {
            up = true;
        }
    }
    name
}

fn ensure_period(s: &str) -> String {
    let t = s.trim();
    if t.ends_with(['.', '!', '?']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

fn rule(f: &Finding) -> Value {
    let title = ensure_period(&f.title());
    let patched = match f.patched() {
        [] if f.kind == FindingKind::Yanked => "Update to a version that was not yanked.".into(),
        [] => "No fixed version is published.".to_string(),
        p => format!("Patched versions: {}.", p.join(" OR ")),
    };
    let description = f
        .advisory
        .as_ref()
        .map(|a| a.description.trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| title.clone());
    let help_uri = f
        .advisory
        .as_ref()
        .and_then(|a| a.rustsec_url.clone().or_else(|| a.url.clone()));
    let mut rule = json!({
        "id": f.id(),
        "name": rule_name(f),
        "shortDescription": { "text": title },
        "fullDescription": { "text": ensure_period(&description) },
        "help": {
            "text": format!("{description}\n\n{patched}"),
            "markdown": format!("{description}\n\n**{patched}**"),
        },
        "defaultConfiguration": {
            "level": if f.kind == FindingKind::Vulnerability { "error" } else { "warning" },
        },
        "properties": {
            "tags": ["security", f.kind.as_str()],
            "security-severity": security_severity(f),
        },
    });
    if let Some(uri) = help_uri {
        rule["helpUri"] = json!(uri);
    }
    rule
}

fn result(r: &AuditReport, f: &Finding, rule_index: usize, uri: &str) -> Value {
    let level = if r.is_denied(f) {
        "error"
    } else if f.kind == FindingKind::Vulnerability {
        "warning"
    } else {
        "note"
    };
    let mut fp = Fnv::default();
    for part in [f.id(), &f.package.name, &f.package.version] {
        fp.write(part.as_bytes());
        fp.write(&[0]);
    }
    // The remediation's exact command when there is one, else the patched ranges.
    let fix = match (
        f.remediation.as_ref().and_then(|r| r.command.as_deref()),
        f.patched(),
    ) {
        (Some(cmd), _) => format!(" Fix: {cmd}."),
        (None, []) => String::new(),
        (None, p) => format!(" Upgrade to {}.", p.join(" OR ")),
    };
    let mut v = json!({
        "ruleId": f.id(),
        "ruleIndex": rule_index,
        "level": level,
        "kind": "fail",
        "message": {
            "text": format!(
                "{} {} ({}): {}{fix}",
                f.package.name,
                f.package.version,
                f.kind.as_str(),
                ensure_period(&f.title())
            ),
        },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri, "index": 0 },
                "region": { "startLine": f.package_line.max(1) },
            }
        }],
        "partialFingerprints": {
            "depaudit/v1": format!("{:016x}", fp.finish()),
        },
        "properties": {
            "crate": f.package.name,
            "version": f.package.version,
            "kind": f.kind.as_str(),
            "denied": r.is_denied(f),
        },
    });
    if let Some(rem) = &f.remediation {
        v["properties"]["remediation"] = json!(rem);
    }
    if f.ignored {
        let mut justification = f
            .ignore_reason
            .clone()
            .unwrap_or_else(|| "ignored by policy".into());
        if let Some(origin) = &f.ignore_origin {
            justification.push_str(&format!(" (ignored in {origin}"));
            if let Some(until) = &f.ignore_until {
                justification.push_str(&format!(" until {until}"));
            }
            justification.push(')');
        }
        v["suppressions"] = json!([{ "kind": "external", "justification": justification }]);
    }
    v
}

/// The lockfile path relative to `base`, with forward slashes, as a relative URI (each
/// segment percent-encoded from the name's bytes).
pub fn artifact_uri(path: &Path, base: &Path) -> String {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let rel = relative(&normalize(&abs), &normalize(base)).unwrap_or(abs);
    let parts: Vec<String> = rel
        .components()
        .map(|c| crate::pathtext::uri_segment(c.as_os_str().as_encoded_bytes()))
        .collect();
    parts.join("/")
}

/// Drops `.` and folds `..` lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
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

fn relative(path: &Path, base: &Path) -> Option<PathBuf> {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    if p.first() != b.first() {
        return None;
    }
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uri_is_relative_with_forward_slashes() {
        let base = Path::new("/work/wt5");
        assert_eq!(artifact_uri(Path::new("Cargo.lock"), base), "Cargo.lock");
        assert_eq!(
            artifact_uri(Path::new("/work/shared/corpus/x/Cargo.lock"), base),
            "../shared/corpus/x/Cargo.lock"
        );
        assert_eq!(
            artifact_uri(Path::new("./sub/../a b/Cargo.lock"), base),
            "a%20b/Cargo.lock"
        );
    }
}
