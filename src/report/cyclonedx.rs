//! CycloneDX 1.6 JSON: a software bill of materials of the lockfile with the findings as
//! vulnerabilities. The mapping is documented in docs/SBOM.md; in short:
//!
//! - every locked package is a component (`library`) whose `bom-ref` is its purl
//!   (`pkg:cargo/name@version`, with `repository_url`/`vcs_url` for other sources), made
//!   unique with `#N` in the rare lockfile that locks one purl twice; the roots (workspace
//!   members, else the packages nothing depends on) are `metadata.component` — the one
//!   root itself, or a `workspace` application holding them as its `components`;
//! - `dependencies` has every component's edges, and the workspace's to its members;
//! - each advisory finding is a vulnerability: `id`, `source` RustSec, aliases as
//!   `references`, CVSS `ratings`, `affects` the component, the remediation command as
//!   `recommendation`; an ignored finding has an `analysis`: a VEX not-affected claim keeps
//!   its state and justification, a policy ignore (a risk accepted, not a proof) is
//!   `exploitable` with response `will_not_fix`, the reason as `detail` and the expiry as
//!   a property. Yanked crates are a component property, not vulnerabilities.

use super::Inventory;
use crate::audit::findings::{AuditReport, Finding, FindingKind};
use crate::input::purl;
use serde_json::{Value, json};

/// The schema URI written into `$schema`.
pub const SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// Renders the BOM, indented, with a trailing newline.
pub fn render(r: &AuditReport, inv: &Inventory<'_>) -> String {
    let mut s = serde_json::to_string_pretty(&bom(r, inv)).unwrap_or_default();
    s.push('\n');
    s
}

/// Each package's bom-ref: its purl, with `#N` added to the second and later packages
/// that share one.
pub fn bom_refs(inv: &Inventory<'_>) -> Vec<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    inv.lock
        .packages
        .iter()
        .map(|p| {
            let purl = purl::of(
                &p.name,
                &crate::version_text::version_text(&p.version),
                p.source.as_deref(),
            );
            let n = seen.entry(purl.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { purl } else { format!("{purl}#{n}") }
        })
        .collect()
}

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

/// The BOM as a JSON value.
pub fn bom(r: &AuditReport, inv: &Inventory<'_>) -> Value {
    let refs = bom_refs(inv);
    let yanked: std::collections::HashSet<usize> = r
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Yanked)
        .map(|f| f.package_index)
        .collect();
    let component = |i: usize| {
        let p = &inv.lock.packages[i];
        let version = crate::version_text::version_text(&p.version);
        let mut c = json!({
            "type": "library",
            "bom-ref": refs[i],
            "name": p.name,
            "version": version,
            "purl": purl::of(&p.name, &version, p.source.as_deref()),
        });
        let mut props = Vec::new();
        if let Some(s) = &p.source {
            props.push(prop("depaudit:source", s.as_ref()));
        }
        if yanked.contains(&i) {
            props.push(prop("depaudit:yanked", "true"));
        }
        if !props.is_empty() {
            c["properties"] = Value::Array(props);
        }
        c
    };
    let roots: Vec<usize> = inv.roots.iter().map(|&i| i as usize).collect();
    let mut dependencies = Vec::new();
    let subject = match roots.as_slice() {
        [one] => {
            let mut c = component(*one);
            c["type"] = json!("application");
            c
        }
        many => {
            let name = r
                .lockfile
                .location
                .canonicalize()
                .ok()
                .and_then(|p| p.parent()?.file_name()?.to_str().map(String::from))
                .unwrap_or_else(|| "workspace".into());
            dependencies.push(json!({
                "ref": "workspace",
                "dependsOn": many.iter().map(|&i| refs[i].clone()).collect::<Vec<_>>(),
            }));
            json!({
                "type": "application",
                "bom-ref": "workspace",
                "name": name,
                "components": many.iter().map(|&i| component(i)).collect::<Vec<_>>(),
            })
        }
    };
    let components: Vec<Value> = (0..inv.lock.packages.len())
        .filter(|i| !roots.contains(i))
        .map(component)
        .collect();
    for (i, deps) in inv.lock.graph.deps.iter().enumerate() {
        let mut on: Vec<&str> = deps.iter().map(|&j| refs[j as usize].as_str()).collect();
        on.sort_unstable();
        on.dedup();
        dependencies.push(json!({ "ref": refs[i], "dependsOn": on }));
    }
    let vulnerabilities: Vec<Value> = r
        .findings
        .iter()
        .filter(|f| f.advisory.is_some())
        .map(|f| vulnerability(r, f, &refs))
        .collect();
    let time = advisories_cache::info::format_rfc3339(inv.time);
    let mut metadata_props = vec![prop("depaudit:lockfile", r.lockfile.path.clone())];
    if let Some(c) = &r.database.commit {
        metadata_props.push(prop("depaudit:advisory-db-commit", c.clone()));
    }
    let serial = super::document_uuid(&[
        time.as_bytes(),
        r.lockfile.path.as_bytes(),
        refs.join("\n").as_bytes(),
        r.database.commit.as_deref().unwrap_or("").as_bytes(),
    ]);
    json!({
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial,
        "version": 1,
        "metadata": {
            "timestamp": time,
            "tools": { "components": [{
                "type": "application",
                "name": "cargo-depaudit",
                "version": env!("CARGO_PKG_VERSION"),
                "externalReferences": [{ "type": "website", "url": super::sarif::INFORMATION_URI }],
            }]},
            "component": subject,
            "properties": metadata_props,
        },
        "components": components,
        "dependencies": dependencies,
        "vulnerabilities": vulnerabilities,
    })
}

/// The source of an alias: NVD for CVEs, GitHub for GHSAs.
pub fn alias_source(id: &str) -> Value {
    if id.starts_with("CVE-") {
        json!({ "name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{id}") })
    } else if id.starts_with("GHSA-") {
        json!({ "name": "GitHub", "url": format!("https://github.com/advisories/{id}") })
    } else {
        json!({ "name": "unknown" })
    }
}

/// RustSec's page of an advisory.
pub fn rustsec_url(f: &Finding) -> Option<String> {
    let a = f.advisory.as_ref()?;
    Some(
        a.rustsec_url
            .clone()
            .unwrap_or_else(|| format!("https://rustsec.org/advisories/{}.html", a.id)),
    )
}

/// `CVSSv31`, `CVSSv3` or `CVSSv4` from a vector's prefix.
fn cvss_method(vector: &str) -> &'static str {
    if vector.starts_with("CVSS:4") {
        "CVSSv4"
    } else if vector.starts_with("CVSS:3.1") {
        "CVSSv31"
    } else if vector.starts_with("CVSS:3") {
        "CVSSv3"
    } else if vector.starts_with("CVSS:2") || vector.starts_with("AV:") {
        "CVSSv2"
    } else {
        "other"
    }
}

/// What to do, in one line: the remediation's command, else its explanation.
pub fn recommendation(f: &Finding) -> String {
    match &f.remediation {
        Some(rem) => rem
            .command
            .clone()
            .unwrap_or_else(|| rem.explanation.clone()),
        None => match f.patched() {
            [] => "No fixed version is published.".into(),
            p => format!("Update to a patched version: {}.", p.join(" or ")),
        },
    }
}

/// Why a policy ignore suppresses a finding, as text: its reason, origin and expiry.
pub fn ignore_text(f: &Finding) -> String {
    let origin = f.ignore_origin.as_deref().unwrap_or("the policy");
    let mut s = match &f.ignore_reason {
        Some(reason) => format!("{reason} (ignored by {origin}"),
        None => format!("Ignored by {origin}"),
    };
    if let Some(u) = &f.ignore_until {
        s.push_str(&format!(" until {u}"));
    }
    if f.ignore_reason.is_some() {
        s.push(')');
    }
    s
}

fn vulnerability(r: &AuditReport, f: &Finding, refs: &[String]) -> Value {
    let Some(a) = f.advisory.as_ref() else {
        return Value::Null;
    };
    let source = json!({ "name": "RustSec", "url": rustsec_url(f) });
    let component_ref = refs.get(f.package_index).cloned().unwrap_or_else(|| {
        purl::of(
            &f.package.name,
            &f.package.version,
            f.package.source.as_deref(),
        )
    });
    let mut v = json!({
        "id": a.id,
        "source": source,
        "description": a.title,
        "recommendation": recommendation(f),
        "affects": [{
            "ref": component_ref,
            "versions": [{ "version": f.package.version, "status": "affected" }],
        }],
    });
    if !a.aliases.is_empty() {
        v["references"] = a
            .aliases
            .iter()
            .map(|id| json!({ "id": id, "source": alias_source(id) }))
            .collect();
    }
    if let (Some(vector), Some(score)) = (&a.cvss, a.cvss_score) {
        let mut rating = json!({
            "source": source,
            "score": score,
            "method": cvss_method(vector),
            "vector": vector,
        });
        if let Some(s) = a.severity {
            rating["severity"] = json!(s.as_str());
        }
        v["ratings"] = json!([rating]);
    }
    if !a.description.trim().is_empty() {
        v["detail"] = json!(a.description.trim());
    }
    if let Some(url) = &a.url {
        v["advisories"] = json!([{ "url": url }]);
    }
    if a.date.len() == 10 && advisories_cache::info::parse_date_days(&a.date).is_some() {
        v["published"] = json!(format!("{}T00:00:00Z", a.date));
    }
    let mut props = vec![
        prop("depaudit:kind", f.kind.as_str()),
        prop("depaudit:denied", r.is_denied(f).to_string()),
    ];
    if f.ignored {
        v["analysis"] = match &f.ignore_vex {
            Some(claim) => {
                let mut an = json!({ "state": claim.state });
                if let Some(j) = claim.cyclonedx_justification {
                    an["justification"] = json!(j);
                }
                if let Some(reason) = &f.ignore_reason {
                    an["detail"] = json!(reason);
                }
                an
            }
            None => json!({
                "state": "exploitable",
                "response": ["will_not_fix"],
                "detail": ignore_text(f),
            }),
        };
        if let Some(o) = &f.ignore_origin {
            props.push(prop("depaudit:ignore-origin", o.clone()));
        }
        if let Some(u) = &f.ignore_until {
            props.push(prop("depaudit:ignore-until", u.clone()));
        }
    } else if let Some(expired) = &f.ignore_expired {
        props.push(prop("depaudit:ignore-expired", expired.clone()));
    }
    v["properties"] = Value::Array(props);
    v
}
