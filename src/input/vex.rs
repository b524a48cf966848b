//! VEX input (`--vex FILE`): OpenVEX documents and CycloneDX BOMs with vulnerability
//! analyses, read into ignore rules the policy applies like any other.
//!
//! Only an explicit "not affected" claim suppresses a finding: an OpenVEX statement with
//! status `not_affected`, or a CycloneDX vulnerability whose `analysis.state` is
//! `not_affected` or `false_positive`, about a product whose purl is
//! `pkg:cargo/NAME[@VERSION]` (a purl naming another registry or a git source, another
//! package type, or a product's subcomponents suppresses nothing). Every other status
//! (`affected`, `under_investigation`, `fixed`; `exploitable`, `in_triage`, `resolved`, …)
//! suppresses nothing, and more: a not-affected claim is dropped (with a warning) when
//! any `--vex` file also says something else about the same vulnerability and crate, unless
//! that other statement is strictly older. A file that cannot be read as either format
//! is an error naming the file and the problem.
//!
//! Each claim becomes one [`IgnoreRule`] per product: the vulnerability id (a RustSec id
//! when the statement names one, else its name or first alias that is a CVE or GHSA id),
//! the crate and the exact version, the reason (status, justification and the statement's
//! text), no expiry, and the origin `FILE, statement N` (OpenVEX) or `FILE, vulnerability
//! N` (CycloneDX), which the `policy` command and every report's ignored findings show.

pub use crate::input::policy_rules::VexClaim;
use crate::input::policy_rules::{IgnoreRule, PolicyError, valid_id};
use crate::input::purl::{self, CargoPurl};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// VEX files larger than this are refused.
pub const MAX_VEX_BYTES: u64 = 64 * 1024 * 1024;

/// The OpenVEX justifications.
pub const OPENVEX_JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// The CycloneDX 1.6 analysis justifications.
pub const CYCLONEDX_JUSTIFICATIONS: [&str; 9] = [
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];

/// OpenVEX justification → CycloneDX justification.
pub fn cyclonedx_of(openvex: &str) -> Option<&'static str> {
    Some(match openvex {
        "component_not_present" | "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" => "requires_environment",
        "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        _ => return None,
    })
}

/// CycloneDX justification → OpenVEX justification.
pub fn openvex_of(cyclonedx: &str) -> Option<&'static str> {
    Some(match cyclonedx {
        "code_not_present" => "vulnerable_code_not_present",
        "code_not_reachable" => "vulnerable_code_not_in_execute_path",
        "requires_configuration" | "requires_dependency" | "requires_environment" => {
            "vulnerable_code_cannot_be_controlled_by_adversary"
        }
        "protected_by_compiler"
        | "protected_at_runtime"
        | "protected_at_perimeter"
        | "protected_by_mitigating_control" => "inline_mitigations_already_exist",
        _ => return None,
    })
}

/// What one statement says about which crates.
#[derive(Debug)]
struct Statement {
    /// Vulnerability name and aliases.
    names: Vec<String>,
    /// The cargo products it is about.
    products: Vec<CargoPurl>,
    /// `Some` when it claims "not affected"; `None` for any other status.
    claim: Option<VexClaim>,
    /// Does it say anything at all (a CycloneDX vulnerability without an analysis only
    /// lists a detection: it neither suppresses nor contradicts)?
    assessed: bool,
    /// Its text for the reason.
    reason: String,
    /// When it was made (seconds since the epoch), when known.
    time: Option<i64>,
    /// `FILE, statement N`.
    origin: String,
}

/// Reads every `--vex` file into ignore rules; returns them and warnings (claims dropped
/// because another statement contradicts them, vulnerabilities without a usable id).
pub fn load(paths: &[PathBuf]) -> Result<(Vec<IgnoreRule>, Vec<String>), PolicyError> {
    let mut statements = Vec::new();
    let mut warnings = Vec::new();
    for path in paths {
        let text = read(path)?;
        statements.extend(parse(&text, path, &mut warnings)?);
    }
    Ok((rules_of(&statements, &mut warnings), warnings))
}

fn unusable(path: &Path, reason: String) -> PolicyError {
    PolicyError::Unusable {
        path: path.to_path_buf(),
        reason: format!("not a usable VEX file: {reason}"),
    }
}

/// Reads a VEX file: a regular file, at most [`MAX_VEX_BYTES`], UTF-8.
fn read(path: &Path) -> Result<String, PolicyError> {
    use std::io::Read;
    let io = |source| PolicyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(unusable(path, "not a regular file".into()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_VEX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_VEX_BYTES {
        return Err(unusable(path, format!("larger than {MAX_VEX_BYTES} bytes")));
    }
    String::from_utf8(bytes).map_err(|e| {
        unusable(
            path,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Parses one VEX file's text into its statements.
fn parse(
    text: &str,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<Vec<Statement>, PolicyError> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| unusable(path, format!("not JSON ({e})")))?;
    let bad = |m: String| unusable(path, m);
    let Some(obj) = doc.as_object() else {
        return Err(bad("the document is not a JSON object".into()));
    };
    let is_openvex = match obj.get("@context") {
        Some(Value::String(c)) => c.starts_with("https://openvex.dev/ns"),
        _ => false,
    };
    if is_openvex {
        openvex(obj, path, warnings).map_err(bad)
    } else if obj.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        cyclonedx(obj, path).map_err(bad)
    } else {
        Err(bad(
            "neither an OpenVEX document (`@context` https://openvex.dev/ns/…) nor a CycloneDX BOM (`bomFormat` \"CycloneDX\")".into(),
        ))
    }
}

type Obj = serde_json::Map<String, Value>;

fn opt_str<'a>(o: &'a Obj, key: &str, at: &str) -> Result<Option<&'a str>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("{at}: `{key}` is not a string")),
    }
}

fn openvex(doc: &Obj, path: &Path, warnings: &mut Vec<String>) -> Result<Vec<Statement>, String> {
    let doc_time = opt_str(doc, "timestamp", "the document")?.and_then(parse_rfc3339);
    let list = match doc.get("statements") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err("`statements` is not a list".into()),
        None => return Err("an OpenVEX document without `statements`".into()),
    };
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let at = format!("statement {}", i + 1);
        let Some(s) = s.as_object() else {
            return Err(format!("{at} is not an object"));
        };
        let names = match s.get("vulnerability") {
            Some(Value::String(name)) => vec![name.trim().to_string()],
            Some(Value::Object(v)) => {
                let mut names = match opt_str(v, "name", &at)? {
                    Some(n) => vec![n.trim().to_string()],
                    None => return Err(format!("{at}: the vulnerability has no `name`")),
                };
                names.extend(strings(
                    v.get("aliases"),
                    &format!("{at}: vulnerability aliases"),
                )?);
                names
            }
            _ => return Err(format!("{at}: no `vulnerability`")),
        };
        let status = opt_str(s, "status", &at)?.ok_or_else(|| format!("{at}: no `status`"))?;
        let justification = match opt_str(s, "justification", &at)? {
            None => None,
            Some(j) => Some(
                *OPENVEX_JUSTIFICATIONS
                    .iter()
                    .find(|k| **k == j)
                    .ok_or_else(|| format!("{at}: unknown justification `{j}`"))?,
            ),
        };
        let impact = opt_str(s, "impact_statement", &at)?
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let claim = match status {
            "not_affected" => {
                if justification.is_none() && impact.is_none() {
                    return Err(format!(
                        "{at}: `not_affected` needs a `justification` or an `impact_statement`"
                    ));
                }
                Some(VexClaim {
                    state: "not_affected",
                    cyclonedx_justification: justification.and_then(cyclonedx_of),
                    openvex_justification: justification,
                })
            }
            "affected" | "under_investigation" | "fixed" => None,
            other => return Err(format!("{at}: unknown status `{other}`")),
        };
        let mut products = Vec::new();
        match s.get("products") {
            None | Some(Value::Null) => {}
            Some(Value::Array(ps)) => {
                for p in ps {
                    if let Value::Object(p) = p
                        && p.get("subcomponents")
                            .and_then(Value::as_array)
                            .is_some_and(|a| !a.is_empty())
                    {
                        if claim.is_some() {
                            warnings.push(format!(
                                "{}, {at}: a product with subcomponents suppresses nothing (name the crate itself as the product)",
                                path.display()
                            ));
                        }
                        continue;
                    }
                    for purl in product_purls(p, &at)? {
                        if !products.contains(&purl) {
                            products.push(purl);
                        }
                    }
                }
            }
            Some(_) => return Err(format!("{at}: `products` is not a list")),
        }
        let time = opt_str(s, "timestamp", &at)?
            .and_then(parse_rfc3339)
            .or(doc_time);
        let mut reason = status.to_string();
        if let Some(j) = justification {
            reason.push_str(&format!(" ({j})"));
        }
        if let Some(t) = impact.or(opt_str(s, "status_notes", &at)?) {
            reason.push_str(": ");
            reason.push_str(t.trim());
        }
        out.push(Statement {
            names,
            products,
            claim,
            assessed: true,
            reason,
            time,
            origin: format!("{}, {at}", path.display()),
        });
    }
    Ok(out)
}

/// A list of strings (absent: empty).
fn strings(v: Option<&Value>, at: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(|s| s.trim().to_string())
                    .ok_or_else(|| format!("{at}: not a list of strings"))
            })
            .collect(),
        Some(_) => Err(format!("{at}: not a list")),
    }
}

/// The cargo purls an OpenVEX product names (`@id` and `identifiers.purl`).
fn product_purls(p: &Value, at: &str) -> Result<Vec<CargoPurl>, String> {
    let mut texts = Vec::new();
    match p {
        Value::String(s) => texts.push(s.as_str()),
        Value::Object(o) => {
            if let Some(id) = opt_str(o, "@id", at)? {
                texts.push(id);
            }
            if let Some(Value::Object(ids)) = o.get("identifiers")
                && let Some(purl) = opt_str(ids, "purl", at)?
            {
                texts.push(purl);
            }
        }
        _ => return Err(format!("{at}: a product is not an object")),
    }
    Ok(texts.into_iter().filter_map(CargoPurl::parse).collect())
}

fn cyclonedx(doc: &Obj, path: &Path) -> Result<Vec<Statement>, String> {
    let doc_time = doc
        .get("metadata")
        .and_then(|m| m.get("timestamp"))
        .and_then(Value::as_str)
        .and_then(parse_rfc3339);
    // bom-ref → purl, over every component, nested ones and the metadata component.
    let mut refs: Vec<(String, String)> = Vec::new();
    fn collect(v: &Value, refs: &mut Vec<(String, String)>) {
        if let Some(list) = v.as_array() {
            for c in list {
                collect_one(c, refs);
            }
        }
    }
    fn collect_one(c: &Value, refs: &mut Vec<(String, String)>) {
        if let (Some(r), Some(p)) = (
            c.get("bom-ref").and_then(Value::as_str),
            c.get("purl").and_then(Value::as_str),
        ) {
            refs.push((r.to_string(), p.to_string()));
        }
        if let Some(sub) = c.get("components") {
            collect(sub, refs);
        }
    }
    if let Some(c) = doc.get("components") {
        collect(c, &mut refs);
    }
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        collect_one(c, &mut refs);
    }
    let list = match doc.get("vulnerabilities") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err("`vulnerabilities` is not a list".into()),
    };
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let at = format!("vulnerability {}", i + 1);
        let Some(v) = v.as_object() else {
            return Err(format!("{at} is not an object"));
        };
        let Some(id) = opt_str(v, "id", &at)? else {
            return Err(format!("{at}: no `id`"));
        };
        let mut names = vec![id.trim().to_string()];
        if let Some(Value::Array(rs)) = v.get("references") {
            for r in rs {
                if let Some(rid) = r.get("id").and_then(Value::as_str) {
                    names.push(rid.trim().to_string());
                }
            }
        }
        let analysis = match v.get("analysis") {
            None | Some(Value::Null) => None,
            Some(Value::Object(a)) => Some(a),
            Some(_) => return Err(format!("{at}: `analysis` is not an object")),
        };
        let (claim, assessed, reason, time) = match analysis {
            None => (None, false, String::new(), doc_time),
            Some(a) => {
                let state = opt_str(a, "state", &at)?;
                let justification = match opt_str(a, "justification", &at)? {
                    None => None,
                    Some(j) => Some(
                        *CYCLONEDX_JUSTIFICATIONS
                            .iter()
                            .find(|k| **k == j)
                            .ok_or_else(|| format!("{at}: unknown analysis justification `{j}`"))?,
                    ),
                };
                let claim = match state {
                    Some(s @ ("not_affected" | "false_positive")) => Some(VexClaim {
                        state: if s == "not_affected" {
                            "not_affected"
                        } else {
                            "false_positive"
                        },
                        cyclonedx_justification: justification,
                        openvex_justification: justification.and_then(openvex_of),
                    }),
                    Some("resolved" | "resolved_with_pedigree" | "exploitable" | "in_triage") => {
                        None
                    }
                    None => None,
                    Some(other) => return Err(format!("{at}: unknown analysis state `{other}`")),
                };
                let mut reason = state.unwrap_or("no state").to_string();
                if let Some(j) = justification {
                    reason.push_str(&format!(" ({j})"));
                }
                if let Some(d) = opt_str(a, "detail", &at)?.filter(|d| !d.trim().is_empty()) {
                    reason.push_str(": ");
                    reason.push_str(d.trim());
                }
                let time = opt_str(a, "lastUpdated", &at)?
                    .or(opt_str(a, "firstIssued", &at)?)
                    .and_then(parse_rfc3339)
                    .or(doc_time);
                (claim, state.is_some(), reason, time)
            }
        };
        let mut products = Vec::new();
        match v.get("affects") {
            None | Some(Value::Null) => {}
            Some(Value::Array(affects)) => {
                for a in affects {
                    let Some(r) = a.get("ref").and_then(Value::as_str) else {
                        return Err(format!("{at}: an `affects` entry has no `ref`"));
                    };
                    if let Some(p) = resolve_ref(r, &refs)
                        && !products.contains(&p)
                    {
                        products.push(p);
                    }
                }
            }
            Some(_) => return Err(format!("{at}: `affects` is not a list")),
        }
        out.push(Statement {
            names,
            products,
            claim,
            assessed,
            reason,
            time,
            origin: format!("{}, {at}", path.display()),
        });
    }
    Ok(out)
}

/// The cargo purl an `affects` ref names: a purl itself, a BOM link whose fragment is a
/// bom-ref, or a component's bom-ref in this BOM.
fn resolve_ref(r: &str, refs: &[(String, String)]) -> Option<CargoPurl> {
    let r = match r.strip_prefix("urn:cdx:") {
        Some(link) => link.split_once('#')?.1,
        None => r,
    };
    let decoded;
    let r = if r.contains('%') && !r.starts_with("pkg:") {
        decoded = percent_decode(r)?;
        decoded.as_str()
    } else {
        r
    };
    match refs.iter().find(|(b, _)| b == r) {
        Some((_, purl)) => CargoPurl::parse(purl),
        None => CargoPurl::parse(r),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(s.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The id a rule is keyed on: a RustSec id among the names, else the first CVE or GHSA.
fn rule_id(names: &[String]) -> Option<&str> {
    names
        .iter()
        .find(|n| n.starts_with("RUSTSEC-") && valid_id(n))
        .or_else(|| names.iter().find(|n| valid_id(n)))
        .map(String::as_str)
}

/// Could two product purls name the same locked package?
fn overlap(a: &CargoPurl, b: &CargoPurl) -> bool {
    a.name == b.name
        && match (&a.version, &b.version) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        }
}

/// One rule per product of each not-affected claim that nothing contradicts.
fn rules_of(statements: &[Statement], warnings: &mut Vec<String>) -> Vec<IgnoreRule> {
    let mut rules = Vec::new();
    for s in statements {
        let Some(claim) = &s.claim else { continue };
        let Some(id) = rule_id(&s.names) else {
            warnings.push(format!(
                "{}: `{}` is not a RustSec, CVE or GHSA id: it suppresses nothing",
                s.origin, s.names[0]
            ));
            continue;
        };
        for p in &s.products {
            // Only a crates.io crate: qualifiers naming another source never match one.
            if !p
                .qualifiers
                .iter()
                .all(|(k, v)| k == "repository_url" && purl::is_crates_io_index(v))
            {
                continue;
            }
            let contradiction = statements.iter().find(|o| {
                o.claim.is_none()
                    && o.assessed
                    && o.names.iter().any(|n| s.names.contains(n))
                    && o.products.iter().any(|q| overlap(p, q))
                    && match (o.time, s.time) {
                        (Some(ot), Some(st)) => ot >= st,
                        _ => true,
                    }
            });
            if let Some(o) = contradiction {
                warnings.push(format!(
                    "{} says {} is not_affected for {}, but {} says {}: it suppresses nothing",
                    s.origin,
                    id,
                    p.name,
                    o.origin,
                    o.reason.split(':').next().unwrap_or(&o.reason)
                ));
                continue;
            }
            let version = match &p.version {
                None => None,
                Some(v) => match semver::Version::parse(v) {
                    Ok(_) => semver::VersionReq::parse(&format!("={v}")).ok(),
                    Err(_) => continue,
                },
            };
            if p.version.is_some() && version.is_none() {
                continue;
            }
            rules.push(IgnoreRule {
                id: id.to_string(),
                reason: Some(s.reason.clone()),
                krate: Some(p.name.clone()),
                version,
                origin: s.origin.clone(),
                vex: Some(claim.clone()),
                ..IgnoreRule::default()
            });
        }
    }
    rules
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` → seconds since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let s = s.trim();
    let days = advisories_cache::info::parse_date_days(s.get(..10)?)?;
    let rest = s.get(10..)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let num = |t: &str| t.parse::<i64>().ok().filter(|_| t.len() == 2);
    let (h, m, sec) = (
        num(rest.get(0..2)?)?,
        num(rest.get(3..5)?)?,
        num(rest.get(6..8)?)?,
    );
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut zone = &rest[8..];
    if let Some(frac) = zone.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        zone = &frac[digits..];
    }
    let offset = match zone {
        "Z" | "z" => 0,
        z if z.len() == 6
            && (z.starts_with('+') || z.starts_with('-'))
            && z.get(3..4) == Some(":") =>
        {
            let v = num(z.get(1..3)?)? * 3600 + num(z.get(4..6)?)? * 60;
            if z.starts_with('-') { -v } else { v }
        }
        _ => return None,
    };
    Some(days * 86_400 + h * 3600 + m * 60 + sec - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Result<(Vec<IgnoreRule>, Vec<String>), String> {
        let mut warnings = Vec::new();
        let st = parse(text, Path::new("v.json"), &mut warnings).map_err(|e| e.to_string())?;
        let r = rules_of(&st, &mut warnings);
        Ok((r, warnings))
    }

    fn doc(statements: &str) -> String {
        format!(
            r#"{{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:x","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[{statements}]}}"#
        )
    }

    #[test]
    fn only_not_affected_for_a_cargo_product_makes_rules() {
        let (r, w) = rules(&doc(
            r#"{"vulnerability":{"name":"CVE-2023-90001","aliases":["RUSTSEC-2023-9001"]},"products":[{"@id":"pkg:cargo/alpha@1.0.0"},{"@id":"pkg:npm/alpha@1.0.0"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path","impact_statement":"never called"},
               {"vulnerability":{"name":"RUSTSEC-2023-9002"},"products":[{"@id":"pkg:cargo/beta@0.5.0"}],"status":"affected","action_statement":"update"},
               {"vulnerability":{"name":"RUSTSEC-2023-9003"},"products":[{"identifiers":{"purl":"pkg:cargo/gamma"}}],"status":"under_investigation"},
               {"vulnerability":{"name":"RUSTSEC-2023-9004"},"products":[{"@id":"pkg:cargo/delta@0.1.0?repository_url=https://example.invalid/index"}],"status":"not_affected","justification":"component_not_present"}"#,
        ))
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].id, "RUSTSEC-2023-9001", "the RustSec alias is the key");
        assert_eq!(r[0].krate.as_deref(), Some("alpha"));
        assert!(
            r[0].version
                .as_ref()
                .unwrap()
                .matches(&semver::Version::new(1, 0, 0))
        );
        assert!(
            !r[0]
                .version
                .as_ref()
                .unwrap()
                .matches(&semver::Version::new(1, 0, 1))
        );
        assert_eq!(r[0].origin, "v.json, statement 1");
        assert_eq!(
            r[0].reason.as_deref(),
            Some("not_affected (vulnerable_code_not_in_execute_path): never called")
        );
        let claim = r[0].vex.as_ref().unwrap();
        assert_eq!(claim.cyclonedx_justification, Some("code_not_reachable"));
    }

    #[test]
    fn a_later_or_undated_contradiction_drops_the_claim() {
        let na = r#"{"vulnerability":{"name":"RUSTSEC-2023-9001"},"products":[{"@id":"pkg:cargo/alpha@1.0.0"}],"status":"not_affected","justification":"component_not_present","timestamp":"2026-01-02T00:00:00Z"}"#;
        let later = r#"{"vulnerability":{"name":"RUSTSEC-2023-9001"},"products":[{"@id":"pkg:cargo/alpha"}],"status":"affected","timestamp":"2026-01-03T00:00:00+05:00"}"#;
        let earlier = r#"{"vulnerability":{"name":"RUSTSEC-2023-9001"},"products":[{"@id":"pkg:cargo/alpha@1.0.0"}],"status":"under_investigation","timestamp":"2026-01-01T12:00:00Z"}"#;
        let (r, w) = rules(&doc(&format!("{na},{later}"))).unwrap();
        assert!(r.is_empty());
        assert!(w[0].contains("statement 2 says affected"), "{w:?}");
        let (r, w) = rules(&doc(&format!("{na},{earlier}"))).unwrap();
        assert_eq!(r.len(), 1, "an older investigation is superseded: {w:?}");
    }

    #[test]
    fn bad_documents_are_errors() {
        for (text, want) in [
            ("not json", "not JSON"),
            ("[]", "not a JSON object"),
            ("{}", "neither an OpenVEX"),
            (
                r#"{"@context":"https://openvex.dev/ns/v0.2.0"}"#,
                "without `statements`",
            ),
            (
                &doc(
                    r#"{"vulnerability":{"name":"CVE-2023-1"},"products":[],"status":"not_affected"}"#,
                ),
                "needs a `justification`",
            ),
            (
                &doc(r#"{"vulnerability":{"name":"CVE-2023-1"},"status":"maybe"}"#),
                "unknown status `maybe`",
            ),
            (
                &doc(
                    r#"{"vulnerability":{"name":"CVE-2023-1"},"status":"not_affected","justification":"trust_me"}"#,
                ),
                "unknown justification",
            ),
            (
                &doc(r#"{"status":"affected"}"#),
                "statement 1: no `vulnerability`",
            ),
            (
                r#"{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"X","analysis":{"state":"fine"}}]}"#,
                "unknown analysis state",
            ),
            (
                r#"{"bomFormat":"CycloneDX","vulnerabilities":{}}"#,
                "not a list",
            ),
        ] {
            let e = rules(text).unwrap_err();
            assert!(e.starts_with("v.json: not a usable VEX file: "), "{e}");
            assert!(e.contains(want), "{want}: {e}");
        }
    }

    #[test]
    fn cyclonedx_analyses() {
        let bom = r#"{"bomFormat":"CycloneDX","specVersion":"1.6",
          "components":[{"bom-ref":"c1","name":"alpha","version":"1.0.0","purl":"pkg:cargo/alpha@1.0.0"}],
          "vulnerabilities":[
            {"id":"RUSTSEC-2023-9001","analysis":{"state":"not_affected","justification":"code_not_reachable","detail":"never called"},"affects":[{"ref":"c1"}]},
            {"id":"RUSTSEC-2023-9002","analysis":{"state":"false_positive"},"affects":[{"ref":"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:cargo/beta@0.5.0"}]},
            {"id":"RUSTSEC-2023-9003","analysis":{"state":"resolved"},"affects":[{"ref":"pkg:cargo/gamma@2.0.0"}]},
            {"id":"RUSTSEC-2023-9005","affects":[{"ref":"pkg:cargo/epsilon@3.0.0"}]}
          ]}"#;
        let (r, w) = rules(bom).unwrap();
        assert!(w.is_empty(), "{w:?}");
        let got: Vec<(&str, &str, &str)> = r
            .iter()
            .map(|r| {
                (
                    r.id.as_str(),
                    r.krate.as_deref().unwrap(),
                    r.vex.as_ref().unwrap().state,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("RUSTSEC-2023-9001", "alpha", "not_affected"),
                ("RUSTSEC-2023-9002", "beta", "false_positive")
            ]
        );
        assert_eq!(r[0].origin, "v.json, vulnerability 1");
        assert_eq!(
            r[0].vex.as_ref().unwrap().openvex_justification,
            Some("vulnerable_code_not_in_execute_path")
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:01.5-00:00"), Some(1));
        for bad in [
            "",
            "1970-01-01",
            "1970-01-01T00:00:00",
            "1970-01-01T24:00:00Z",
            "x",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
