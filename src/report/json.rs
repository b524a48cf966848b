//! The JSON report. Its shape is documented in the README and pinned by a test:
//! `database`, `lockfile`, `findings[]` (`kind`, `advisory`, `package`, `patched`,
//! `unaffected`, `ignored`, `paths`, `path_kinds`, `remediation` (advisory findings), and for findings an ignore rule touched `ignore_reason`,
//! `ignore_origin`, `ignore_until`, `ignore_expired`), `summary`, `stale_ignores`, `notes`.

use crate::audit::findings::{AuditReport, Finding};
use serde::Serialize;
use serde::ser::SerializeMap;
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
    if let Some(r) = &f.reachability {
        v["reachability"] = json!(r);
    }
    if f.build_only {
        v["build_only"] = json!(true);
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
    let mut v = json!({
        "database": r.database,
        "lockfile": r.lockfile,
        "findings": r.findings.iter().map(finding_value).collect::<Vec<_>>(),
        "summary": r.summary,
        "paths_note": r.paths_note,
        "stale_ignores": r.stale_ignores,
        "notes": r.notes,
        "yanked_unknown": r.yanked_unknown,
    });
    if let Some(b) = &r.binary {
        v["binary"] = b.to_json();
    }
    v
}

/// JSON with a trailing newline, indented when `pretty` (for a terminal), else on one
/// line (for programs): the text of [`report_value`] (a test holds the two equal).
pub fn render(r: &AuditReport, pretty: bool) -> String {
    let mut out = Vec::with_capacity(1024 + 2048 * r.findings.len());
    let _ = if pretty {
        serde_json::to_writer_pretty(&mut out, &Report(r))
    } else {
        serde_json::to_writer(&mut out, &Report(r))
    };
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}

/// A scan's JSON Lines written by hand — kept for scan lines only, where serde_json's
/// cost on the thousands of short strings of a fleet's findings weighs on the scan
/// target (a test holds the text equal to serde_json's).
mod compact {
    use super::Finding;
    use crate::audit::findings::EdgeKind;
    use crate::audit::findings::{Remediation, Step};

    /// A scan's line for an audited lockfile, as [`super::scan_line`] describes it.
    pub fn scan_line(out: &mut Vec<u8>, line: &super::ScanLine) {
        out.push(b'{');
        if let Some(b) = line.binary {
            out.extend_from_slice(b"\"binary\":");
            let _ = serde_json::to_writer(&mut *out, &b.to_json());
            out.push(b',');
        }
        out.extend_from_slice(b"\"error\":null,\"findings\":");
        let with_status = line.findings.iter().zip(line.statuses);
        list(out, with_status, |out, (f, status)| {
            finding(out, f, *status)
        });
        if let Some(fixed) = line.fixed {
            key_of(out, "fixed");
            let _ = serde_json::to_writer(&mut *out, fixed);
        }
        if let Some(git) = &line.git {
            key_of(out, "git");
            let _ = serde_json::to_writer(&mut *out, git);
        }
        text_field(out, "key", line.key);
        key_of(out, "packages");
        out.extend_from_slice(line.packages.to_string().as_bytes());
        text_field(out, "path", line.path);
        let kind = if line.binary.is_some() {
            "binary"
        } else {
            "lockfile"
        };
        text_field(out, "type", kind);
        out.push(b'}');
    }

    /// One finding, as [`super::FindingJson`] serializes it (with a scan's `status`).
    fn finding(out: &mut Vec<u8>, f: &Finding, status: Option<&str>) {
        let a = f.advisory.as_deref();
        out.extend_from_slice(b"{\"advisory\":");
        match a {
            None => out.extend_from_slice(b"null"),
            Some(a) => {
                out.extend_from_slice(b"{\"aliases\":");
                strs(out, &a.aliases);
                opt_field(out, "cvss", a.cvss.as_deref());
                text_field(out, "date", &a.date);
                text_field(out, "id", &a.id);
                opt_field(out, "severity", a.severity.map(|s| s.as_str()));
                text_field(out, "title", &a.title);
                opt_field(out, "url", a.url.as_deref().or(a.rustsec_url.as_deref()));
                out.push(b'}');
            }
        }
        if f.build_only {
            out.extend_from_slice(b",\"build_only\":true");
        }
        let optional = [
            ("ignore_expired", &f.ignore_expired),
            ("ignore_origin", &f.ignore_origin),
            ("ignore_reason", &f.ignore_reason),
            ("ignore_until", &f.ignore_until),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                text_field(out, name, v);
            }
        }
        key_of(out, "ignored");
        boolean(out, f.ignored);
        text_field(out, "kind", f.kind.as_str());
        out.extend_from_slice(b",\"package\":{\"name\":");
        text(out, &f.package.name);
        opt_field(out, "source", f.package.source.as_deref());
        text_field(out, "version", &f.package.version);
        out.extend_from_slice(b"},\"patched\":");
        strs(out, a.map_or(&[], |a| &a.patched));
        key_of(out, "path_kinds");
        list(out, &f.path_kinds, |out, kinds| {
            list(out, kinds, |out, k| edge(out, k.as_ref()))
        });
        key_of(out, "paths");
        list(out, &f.paths, |out, p| strs(out, p));
        if let Some(r) = &f.reachability {
            key_of(out, "reachability");
            let _ = serde_json::to_writer(&mut *out, r);
        }
        if let Some(r) = &f.remediation {
            key_of(out, "remediation");
            remediation(out, r);
        }
        if let Some(s) = status {
            text_field(out, "status", s);
        }
        key_of(out, "unaffected");
        strs(out, a.map_or(&[], |a| &a.unaffected));
        out.push(b'}');
    }

    fn edge(out: &mut Vec<u8>, k: Option<&EdgeKind>) {
        let Some(k) = k else {
            out.extend_from_slice(b"null");
            return;
        };
        out.extend_from_slice(b"{\"kinds\":");
        list(out, &k.kinds, |out, kind| text(out, kind));
        key_of(out, "optional");
        boolean(out, k.optional);
        opt_field(out, "target", k.target.as_deref());
        out.push(b'}');
    }

    /// As `Remediation`'s derived `Serialize` writes it (fields in declared order).
    fn remediation(out: &mut Vec<u8>, r: &Remediation) {
        out.push(b'{');
        if !r.alternatives.is_empty() {
            out.extend_from_slice(b"\"alternatives\":");
            strs(out, &r.alternatives);
            out.push(b',');
        }
        out.extend_from_slice(b"\"command\":");
        opt_text(out, r.command.as_deref());
        key_of(out, "compatible");
        boolean(out, r.compatible);
        text_field(out, "explanation", &r.explanation);
        key_of(out, "fixes");
        strs(out, &r.fixes);
        if let Some(n) = &r.newer_compatible {
            text_field(out, "newer_compatible", n);
        }
        text_field(out, "outcome", r.outcome.as_str());
        key_of(out, "steps");
        list(out, &r.steps, step);
        opt_field(out, "target", r.target.as_deref());
        key_of(out, "verified");
        boolean(out, r.verified);
        out.push(b'}');
    }

    /// As `Step`'s derived `Serialize` writes it: the `action` tag first.
    fn step(out: &mut Vec<u8>, s: &Step) {
        match s {
            Step::Update {
                compatible,
                from,
                package,
                to,
            } => {
                out.extend_from_slice(b"{\"action\":\"update\",\"compatible\":");
                boolean(out, *compatible);
                text_field(out, "from", from);
                text_field(out, "package", package);
                text_field(out, "to", to);
            }
            Step::ManifestEdit {
                compatible,
                from_req,
                key,
                kind,
                line,
                manifest,
                member,
                package,
                to_req,
                workspace_dependency,
                table_path: _,
            } => {
                out.extend_from_slice(b"{\"action\":\"manifest-edit\",\"compatible\":");
                boolean(out, *compatible);
                opt_field(out, "from_req", from_req.as_deref());
                text_field(out, "key", key);
                text_field(out, "kind", kind);
                key_of(out, "line");
                match line {
                    Some(l) => out.extend_from_slice(l.to_string().as_bytes()),
                    None => out.extend_from_slice(b"null"),
                }
                opt_field(out, "manifest", manifest.as_deref());
                text_field(out, "member", member);
                text_field(out, "package", package);
                text_field(out, "to_req", to_req);
                key_of(out, "workspace_dependency");
                boolean(out, *workspace_dependency);
            }
            Step::Manual {
                compatible,
                instruction,
                package,
                version,
            } => {
                out.extend_from_slice(b"{\"action\":\"manual\",\"compatible\":");
                boolean(out, *compatible);
                text_field(out, "instruction", instruction);
                text_field(out, "package", package);
                text_field(out, "version", version);
            }
        }
        out.push(b'}');
    }

    /// `,"name":` and `value` as a JSON string.
    fn text_field(out: &mut Vec<u8>, name: &str, value: &str) {
        key_of(out, name);
        text(out, value);
    }

    /// `,"name":` and `value` as a JSON string or `null`.
    fn opt_field(out: &mut Vec<u8>, name: &str, value: Option<&str>) {
        key_of(out, name);
        opt_text(out, value);
    }

    /// `,"name":` (keys need no escaping).
    fn key_of(out: &mut Vec<u8>, name: &str) {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    }

    fn boolean(out: &mut Vec<u8>, b: bool) {
        out.extend_from_slice(if b { b"true" } else { b"false" });
    }

    fn opt_text(out: &mut Vec<u8>, s: Option<&str>) {
        match s {
            Some(s) => text(out, s),
            None => out.extend_from_slice(b"null"),
        }
    }

    fn strs(out: &mut Vec<u8>, items: &[String]) {
        list(out, items, |out, s| text(out, s));
    }

    /// A JSON array of `items`, each written by `each`.
    fn list<I: IntoIterator>(
        out: &mut Vec<u8>,
        items: I,
        mut each: impl FnMut(&mut Vec<u8>, I::Item),
    ) {
        out.push(b'[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            each(out, item);
        }
        out.push(b']');
    }

    /// A JSON string escaped as serde_json escapes it: `"` and `\\`, the short escapes
    /// of backspace, form feed, newline, carriage return and tab, `\\u00xx` for the other
    /// control characters; everything else (DEL, non-ASCII) as it is.
    pub(super) fn text(out: &mut Vec<u8>, s: &str) {
        let needs = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
        let bytes = s.as_bytes();
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        // Nearly every string needs no escape: a pass with no early exit, which the
        // compiler turns into vector code, says so at a fraction of a byte-by-byte walk.
        if !bytes.iter().fold(false, |any, &b| any | needs(b)) {
            out.extend_from_slice(bytes);
            out.push(b'"');
            return;
        }
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if !needs(b) {
                continue;
            }
            out.extend_from_slice(&bytes[start..i]);
            start = i + 1;
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 15)]);
                }
            }
        }
        out.extend_from_slice(&bytes[start..]);
        out.push(b'"');
    }
}

/// What a scan's line for an audited lockfile holds.
pub struct ScanLine<'a> {
    /// The lockfile, as reports show it.
    pub path: &'a str,
    /// Its key in baselines: the path relative to the scan root.
    pub key: &'a str,
    /// Where it is in git (repository, ref, commit, lockfile), when read from there.
    pub git: Option<Value>,
    /// Its package count.
    pub packages: usize,
    /// Its findings.
    pub findings: &'a [Finding],
    /// Each finding's baseline status (`new`, `unchanged`), one per finding.
    pub statuses: &'a [Option<&'a str>],
    /// The baseline's findings no longer found (only against a baseline).
    pub fixed: Option<&'a [&'a Value]>,
    /// The binary, in a scan of binaries.
    pub binary: Option<&'a crate::input::binary::BinaryInfo>,
}

/// A scan's JSON Lines line for an audited lockfile, written by hand like [`render`]'s
/// one-line report: the text serde_json writes for `{"error": null, "findings": [...],
/// "fixed": [...], "packages": N, "path": ..., "type": "lockfile"}` (keys sorted; `fixed`
/// only against a baseline; a test holds the two equal), at a third of the cost.
pub fn scan_line(line: &ScanLine) -> String {
    let mut out = Vec::with_capacity(256 + 1024 * line.findings.len());
    compact::scan_line(&mut out, line);
    String::from_utf8(out).unwrap_or_default()
}

/// The value a scan's line for an audited lockfile stands for: [`scan_line`]'s text is
/// this value's, written without building it.
pub fn scan_line_value(line: &ScanLine) -> Value {
    let findings: Vec<Value> = line
        .findings
        .iter()
        .zip(line.statuses)
        .map(|(f, s)| {
            let mut v = finding_value(f);
            if let Some(s) = s {
                v["status"] = json!(s);
            }
            v
        })
        .collect();
    let mut value = json!({
        "type": "lockfile",
        "path": line.path,
        "key": line.key,
        "packages": line.packages,
        "findings": findings,
        "error": null,
    });
    if let Some(fixed) = line.fixed {
        value["fixed"] = json!(fixed);
    }
    if let Some(git) = &line.git {
        value["git"] = git.clone();
    }
    if let Some(b) = line.binary {
        value["binary"] = b.to_json();
        value["type"] = json!("binary");
    }
    value
}

/// The report with its keys in the order a [`Value`] map keeps them (sorted).
struct Report<'a>(&'a AuditReport);

impl Serialize for Report<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = s.serialize_map(Some(8 + usize::from(r.binary.is_some())))?;
        // The small parts go through a Value, which sorts their keys.
        let sorted = |v: &dyn erased::Ser| v.value();
        if let Some(b) = &r.binary {
            m.serialize_entry("binary", &b.to_json())?;
        }
        m.serialize_entry("database", &sorted(&r.database))?;
        m.serialize_entry("findings", &Findings(&r.findings))?;
        m.serialize_entry("lockfile", &sorted(&r.lockfile))?;
        m.serialize_entry("notes", &r.notes)?;
        m.serialize_entry("paths_note", &r.paths_note)?;
        m.serialize_entry("stale_ignores", &r.stale_ignores)?;
        m.serialize_entry("summary", &sorted(&r.summary))?;
        m.serialize_entry("yanked_unknown", &r.yanked_unknown)?;
        m.end()
    }
}

mod erased {
    /// Anything serializable, as a [`serde_json::Value`].
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    }
}

struct Findings<'a>(&'a [Finding]);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(FindingJson::of))
    }
}

/// [`finding_value`] as a struct, fields in sorted key order.
#[derive(Serialize)]
struct FindingJson<'a> {
    advisory: Option<AdvisoryJson<'a>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    build_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    ignore_expired: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ignore_origin: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ignore_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ignore_until: Option<&'a str>,
    ignored: bool,
    kind: &'a str,
    package: PackageJson<'a>,
    patched: &'a [String],
    path_kinds: &'a [Vec<Option<crate::audit::findings::EdgeKind>>],
    paths: &'a [Vec<String>],
    #[serde(skip_serializing_if = "Option::is_none")]
    reachability: Option<&'a crate::audit::findings::Reachability>,
    /// Its fields are declared in sorted order, as [`finding_value`]'s keys are.
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<&'a crate::audit::remediation::Remediation>,
    unaffected: &'a [String],
}

#[derive(Serialize)]
struct AdvisoryJson<'a> {
    aliases: &'a [String],
    cvss: Option<&'a str>,
    date: &'a str,
    id: &'a str,
    severity: Option<&'a str>,
    title: &'a str,
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct PackageJson<'a> {
    name: &'a str,
    source: Option<&'a str>,
    version: &'a str,
}

impl<'a> FindingJson<'a> {
    fn of(f: &'a Finding) -> Self {
        let a = f.advisory.as_ref();
        FindingJson {
            advisory: a.map(|a| AdvisoryJson {
                aliases: &a.aliases,
                cvss: a.cvss.as_deref(),
                date: &a.date,
                id: &a.id,
                severity: a.severity.map(|s| s.as_str()),
                title: &a.title,
                url: a.url.as_deref().or(a.rustsec_url.as_deref()),
            }),
            build_only: f.build_only,
            ignore_expired: f.ignore_expired.as_deref(),
            ignore_origin: f.ignore_origin.as_deref(),
            ignore_reason: f.ignore_reason.as_deref(),
            ignore_until: f.ignore_until.as_deref(),
            ignored: f.ignored,
            kind: f.kind.as_str(),
            package: PackageJson {
                name: &f.package.name,
                source: f.package.source.as_deref(),
                version: &f.package.version,
            },
            patched: a.map_or(&[], |a| &a.patched),
            path_kinds: &f.path_kinds,
            paths: &f.paths,
            reachability: f.reachability.as_ref(),
            remediation: f.remediation.as_ref(),
            unaffected: a.map_or(&[], |a| &a.unaffected),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::findings::{
        DatabaseSummary, FindingKind, LockfileSummary, PackageRef, Summary,
    };
    use advisories_cache::{AdvisoryRecord, Collection, Severity};

    fn advisory(id: &str, url: Option<&str>) -> AdvisoryRecord {
        AdvisoryRecord {
            id: id.into(),
            package: "demo".into(),
            collection: Collection::Crates,
            aliases: vec!["CVE-2020-1".into(), "GHSA-x".into()],
            title: "A \"quoted\" title\nwith a newline".into(),
            description: "d".into(),
            date: "2020-01-01".into(),
            url: url.map(String::from),
            rustsec_url: Some(format!("https://rustsec.org/advisories/{id}.html")),
            references: vec![],
            categories: vec![],
            keywords: vec![],
            cvss: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
            cvss_score: Some(9.8),
            severity: Some(Severity::Critical),
            informational: None,
            withdrawn: None,
            source: None,
            affected_os: vec![],
            affected_arch: vec![],
            affected_functions: vec![],
            patched: vec![">= 1.2.0".into()],
            unaffected: vec!["< 0.1.0".into()],
            ranges: vec![],
            ..AdvisoryRecord::default()
        }
    }

    fn finding(kind: FindingKind, adv: Option<AdvisoryRecord>) -> Finding {
        Finding {
            kind,
            advisory: adv.map(std::sync::Arc::new),
            package: PackageRef {
                name: "demo".into(),
                version: "1.0.0".into(),
                source: Some("registry+https://github.com/rust-lang/crates.io-index".into()),
            },
            package_index: 1,
            ignored: false,
            ignore_reason: None,
            ignore_origin: None,
            ignore_until: None,
            ignore_expired: None,
            ignore_vex: None,
            package_line: 3,
            paths: vec![vec!["app 0.1.0".into(), "demo 1.0.0".into()], vec![]],
            path_kinds: vec![vec![None], vec![]],
            remediation: None,
            reachability: None,
            build_only: false,
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let every_ascii: String = (0u8..=0x7f).map(char::from).collect();
        for s in [
            every_ascii.as_str(),
            "",
            "plain",
            "é ü → 𝄞 \u{2028}",
            "\\\"\u{1}x\u{1f}",
        ] {
            let mut out = Vec::new();
            compact::text(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn rendered_text_equals_the_value_tree() {
        let mut ignored = finding(
            FindingKind::Vulnerability,
            Some(advisory("RUSTSEC-2020-0002", None)),
        );
        ignored.ignored = true;
        ignored.ignore_reason = Some("not reachable".into());
        ignored.ignore_origin = Some("depaudit.toml".into());
        ignored.ignore_until = Some("2999-01-01".into());
        ignored.remediation = Some(crate::audit::remediation::Remediation {
            outcome: crate::audit::remediation::Outcome::LockfileUpdate,
            command: Some("cargo update -p demo@1.0.0 --precise 1.2.0".into()),
            target: Some("demo 1.2.0".into()),
            verified: true,
            fixes: vec!["RUSTSEC-2020-0002".into()],
            explanation: "e".into(),
            compatible: true,
            steps: vec![crate::audit::remediation::Step::Update {
                compatible: true,
                package: "demo".into(),
                from: "1.0.0".into(),
                to: "1.2.0".into(),
            }],
            newer_compatible: None,
            alternatives: vec![],
        });
        ignored.path_kinds = vec![vec![Some(crate::audit::findings::EdgeKind {
            kinds: vec!["normal"],
            optional: true,
            target: Some("cfg(unix)".into()),
        })]];
        let mut expired = finding(
            FindingKind::Unsound,
            Some(advisory("RUSTSEC-2020-0003", Some("https://x"))),
        );
        expired.ignore_expired = Some("2020-01-01".into());
        expired.ignore_origin = Some("--ignore".into());
        expired.package.source = None;
        expired.build_only = true;
        // Every step kind and every optional field, so the typed path is checked on all.
        expired.remediation = Some(crate::audit::remediation::Remediation {
            outcome: crate::audit::remediation::Outcome::BumpParent,
            command: Some("set a = \"2\" in Cargo.toml:3 && manual".into()),
            target: Some("demo 2.0.0".into()),
            verified: false,
            compatible: false,
            fixes: vec!["RUSTSEC-2020-0003".into()],
            explanation: "e".into(),
            steps: vec![
                crate::audit::remediation::Step::ManifestEdit {
                    compatible: false,
                    kind: "build",
                    member: "m".into(),
                    package: "a".into(),
                    key: "a".into(),
                    manifest: Some("Cargo.toml".into()),
                    line: Some(3),
                    workspace_dependency: true,
                    from_req: Some("1".into()),
                    to_req: "2".into(),
                    table_path: vec!["dependencies".into()],
                },
                crate::audit::remediation::Step::Manual {
                    compatible: false,
                    package: "b".into(),
                    version: "1.0.0".into(),
                    instruction: "move b".into(),
                },
            ],
            newer_compatible: Some("2.1.0".into()),
            alternatives: vec!["use c".into()],
        });
        let mut report = AuditReport {
            database: DatabaseSummary {
                path: "db".into(),
                commit: Some("abc".into()),
                last_updated: Some("2020-01-01T00:00:00Z".into()),
                advisory_count: 3,
                age_days: Some(5),
                newest_advisory: Some("2020-01-01".into()),
                skipped_files: vec!["crates/x/y.md: bad".into()],
            },
            lockfile: LockfileSummary {
                path: "Cargo.lock".into(),
                location: "Cargo.lock".into(),
                packages: 2,
                version: 3,
            },
            findings: vec![
                finding(
                    FindingKind::Vulnerability,
                    Some(advisory(
                        "RUSTSEC-2020-0001",
                        Some("https://example.invalid/a"),
                    )),
                ),
                ignored,
                expired,
                finding(FindingKind::Yanked, None),
            ],
            summary: Summary::default(),
            denied_kinds: vec![FindingKind::Vulnerability],
            paths_note: "note".into(),
            severity_threshold: None,
            fail_without_severity: true,
            stale_ignores: vec!["RUSTSEC-2020-0009 (depaudit.toml)".into()],
            deny_stale_ignores: false,
            notes: vec!["a note".into()],
            yanked_unknown: Some("yanked status unknown for 1 crate".into()),
            binary: None,
            deny_build_only: false,
        };
        let want = serde_json::to_string_pretty(&report_value(&report)).unwrap() + "\n";
        assert_eq!(render(&report, true), want);
        let want = serde_json::to_string(&report_value(&report)).unwrap() + "\n";
        assert_eq!(render(&report, false), want);
        // A binary's report has its `binary` object.
        report.binary = Some(crate::input::binary::BinaryInfo {
            format: crate::input::binary::BinaryFormat::MachO,
            os: "apple",
            arch: None,
            data: crate::input::binary::DataSource::Embedded,
            complete: true,
            root: Some("app 0.1.0".into()),
            format_revision: Some(1),
        });
        let want = serde_json::to_string(&report_value(&report)).unwrap() + "\n";
        assert_eq!(render(&report, false), want);
        assert_eq!(report_value(&report)["binary"]["complete"], json!(true));
        report.binary = None;
        // A scan's line, with and without a baseline's statuses and fixed findings.
        let gone = json!({"id": "RUSTSEC-2019-0001", "path": "a\"b/Cargo.lock"});
        let statuses = [Some("new"), None, Some("unchanged"), Some("new")];
        let bin = crate::input::binary::BinaryInfo {
            format: crate::input::binary::BinaryFormat::Elf,
            os: "unix",
            arch: Some("x86_64"),
            data: crate::input::binary::DataSource::PanicMessages,
            complete: false,
            root: Some("app 0.1.0".into()),
            format_revision: None,
        };
        let cases = [
            (&[None; 4], None, None),
            (&statuses, Some(&[&gone][..]), None),
            (&statuses, Some(&[&gone][..]), Some(&bin)),
        ];
        for (statuses, fixed, binary) in cases {
            let line = ScanLine {
                path: "repo/\u{1}\"x/Cargo.lock",
                key: "x/\u{1}\"/Cargo.lock",
                git: None,
                packages: 123,
                findings: &report.findings,
                statuses,
                fixed,
                binary,
            };
            let want = scan_line_value(&line);
            assert_eq!(
                want["fixed"].as_array().map(Vec::len),
                fixed.map(<[_]>::len)
            );
            assert_eq!(want["findings"][0]["status"], json!(statuses[0]));
            assert_eq!(scan_line(&line), want.to_string());
        }
    }
}
