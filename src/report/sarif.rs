//! SARIF 2.1.0, for code-scanning services (GitHub code scanning and other SARIF
//! viewers). One rule per advisory (and one per yanked package), one result per finding,
//! located at the package's `[[package]]` line in the lockfile, which is named relative
//! to the repository root (`%SRCROOT%`). Fingerprints hash the advisory id, crate and
//! version (never the line) so a finding keeps its identity when the lockfile shifts.
//! Ignored findings are kept as results with an external suppression and its reason, so
//! the viewer shows them as dismissed rather than hiding them.

use super::Roots;
use crate::audit::findings::{AuditReport, Finding, FindingKind};
use advisories_cache::fingerprint::Fnv;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// The schema URI written into `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where the tool is documented.
pub const INFORMATION_URI: &str = "https://github.com/cargo-depaudit/cargo-depaudit";
/// The base every artifact URI is relative to: the repository root.
pub const SRCROOT: &str = "%SRCROOT%";

/// Renders SARIF, the lockfile named relative to its repository root.
pub fn render(r: &AuditReport) -> String {
    render_with(r, &Roots::of(&r.lockfile.location))
}

/// Renders SARIF with the lockfile's roots already found.
pub fn render_with(r: &AuditReport, roots: &Roots) -> String {
    let mut s = serde_json::to_string_pretty(&sarif_value(r, roots)).unwrap_or_default();
    s.push('\n');
    s
}

/// The SARIF log as a JSON value.
pub fn sarif_value(r: &AuditReport, roots: &Roots) -> Value {
    let uri = artifact_uri(&roots.lockfile_in_repository());
    // One rule per advisory and per yanked package, in first-seen order.
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    for f in &r.findings {
        if let std::collections::btree_map::Entry::Vacant(e) = rule_index.entry(rule_id(f)) {
            e.insert(rules.len());
            rules.push(rule(f));
        }
    }
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| result(r, f, rule_index[&rule_id(f)], &uri, roots))
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
            "originalUriBaseIds": {
                SRCROOT: {
                    "description": {
                        "text": "The repository root: the nearest folder at or above the lockfile that holds .git, else the lockfile's workspace.",
                    },
                },
            },
            "artifacts": [{
                "location": { "uri": uri, "uriBaseId": SRCROOT },
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

/// The rule of a finding: its advisory id, or `yanked/NAME@VERSION` for a yanked package
/// (each yanked package is its own problem, with its own rule).
pub fn rule_id(f: &Finding) -> String {
    match &f.advisory {
        Some(a) => a.id.clone(),
        None => format!("yanked/{}@{}", f.package.name, f.package.version),
    }
}

/// `security-severity` for GitHub: the CVSS base score of the advisory's vector (as the
/// `cvss` crate computes it for CVSS 3.x and 4.0), one decimal. None without a vector:
/// a made-up score would rank the alert as if someone had rated it.
fn security_severity(f: &Finding) -> Option<String> {
    let score = f.advisory.as_ref()?.cvss_score?;
    (score.is_finite() && (0.0..=10.0).contains(&score)).then(|| format!("{score:.1}"))
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
        "id": rule_id(f),
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
        },
    });
    if let Some(score) = security_severity(f) {
        rule["properties"]["security-severity"] = json!(score);
    }
    if let Some(uri) = help_uri {
        rule["helpUri"] = json!(uri);
    }
    rule
}

fn result(r: &AuditReport, f: &Finding, rule_index: usize, uri: &str, roots: &Roots) -> Value {
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
        "ruleId": rule_id(f),
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
                "artifactLocation": { "uri": uri, "uriBaseId": SRCROOT, "index": 0 },
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
    if let Some(reach) = &f.reachability {
        v["properties"]["reachability"] = json!(reach);
        // The calling lines that are in this repository (registry sources are not).
        let related: Vec<Value> = reach
            .evidence
            .iter()
            .filter_map(|e| {
                let abs = std::fs::canonicalize(&e.path).ok()?;
                let rel = abs.strip_prefix(&roots.repository).ok()?;
                Some((e, artifact_uri(rel)))
            })
            .enumerate()
            .map(|(i, (e, uri))| {
                json!({
                    "id": i,
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri, "uriBaseId": SRCROOT },
                        "region": { "startLine": e.line.max(1) },
                    },
                    "message": { "text": format!("{} names {} ({})", e.krate, reach.functions.join(", "), e.context) },
                })
            })
            .collect();
        if !related.is_empty() {
            v["relatedLocations"] = json!(related);
        }
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

/// A relative path as a relative URI: forward slashes, each segment percent-encoded
/// from the name's bytes.
pub fn artifact_uri(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .map(|c| crate::pathtext::uri_segment(c.as_os_str().as_encoded_bytes()))
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uri_has_forward_slashes_and_encoded_segments() {
        assert_eq!(artifact_uri(Path::new("Cargo.lock")), "Cargo.lock");
        assert_eq!(
            artifact_uri(Path::new("sub/a b/Cargo.lock")),
            "sub/a%20b/Cargo.lock"
        );
    }
}
