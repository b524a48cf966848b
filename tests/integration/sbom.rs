//! CycloneDX and OpenVEX output, and VEX input.
//!
//! Every CycloneDX document these tests write is checked against the official CycloneDX
//! 1.6 JSON schema by cyclonedx-python-lib's strict validator, and every OpenVEX document
//! against `tests/schemas/openvex-0.2.0.schema.json` (`scripts/validate-sbom.py`). The
//! validator's Python is `$DEPAUDIT_PYTHON` (`.ci/run` installs it), else `python3`; when
//! it cannot import the validators the checks are skipped with a message, except in CI
//! (`CI=true`), where that is a failure.

use crate::common;
use crate::fixture::{Run, Ws, key};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const EPOCH: &str = "1700000000";

/// The Python that has the validators, or `None` (skipped, with a message) outside CI.
fn validator() -> Option<String> {
    let python = std::env::var("DEPAUDIT_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/validate-sbom.py");
    let ok = Command::new(&python)
        .arg(&script)
        .arg("--check")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but {python} cannot run the SBOM validators: install them with \
             `pip install 'cyclonedx-python-lib[json-validation]'` (.ci/run does) and set DEPAUDIT_PYTHON"
        );
    }
    eprintln!(
        "skipping schema validation: {python} lacks cyclonedx-python-lib[json-validation] (set DEPAUDIT_PYTHON)"
    );
    None
}

/// Validates `files` (`kind`: cyclonedx or openvex); returns the invalid ones' lines.
fn validate(python: &str, kind: &str, files: &[PathBuf]) -> Vec<String> {
    if files.is_empty() {
        return Vec::new();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/validate-sbom.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(kind)
        .args(files)
        .output()
        .expect("run the validator");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let oks = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    let bad: Vec<String> = stdout
        .lines()
        .filter(|l| !l.starts_with("ok "))
        .map(String::from)
        .collect();
    assert!(
        oks + bad.len() == files.len() && (out.status.success() == bad.is_empty()),
        "validator output does not account for every file: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bad
}

/// Validates and asserts every file is valid.
fn assert_valid(kind: &str, files: &[PathBuf]) {
    if let Some(python) = validator() {
        let bad = validate(&python, kind, files);
        assert!(bad.is_empty(), "{kind} documents fail the schema: {bad:#?}");
    }
}

/// Every component of a BOM, the metadata component and nested ones included.
fn all_components(bom: &Value) -> Vec<&Value> {
    fn walk<'a>(c: &'a Value, out: &mut Vec<&'a Value>) {
        out.push(c);
        for sub in c["components"].as_array().into_iter().flatten() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    let subject = &bom["metadata"]["component"];
    if subject["bom-ref"] == "workspace" {
        // The synthetic workspace is not a package: only its members are.
        for sub in subject["components"].as_array().into_iter().flatten() {
            walk(sub, &mut out);
        }
    } else {
        walk(subject, &mut out);
    }
    for c in bom["components"].as_array().into_iter().flatten() {
        walk(c, &mut out);
    }
    out
}

/// (name, version, source) of every `[[package]]` of a lockfile, read with `toml`.
fn locked_packages(path: &Path) -> Vec<(String, String, Option<String>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let mut out = Vec::new();
    let tables = doc
        .get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .chain(doc.get("root"));
    for p in tables {
        let s = |k: &str| p.get(k).and_then(|v| v.as_str()).map(String::from);
        out.push((s("name").unwrap(), s("version").unwrap(), s("source")));
    }
    out
}

/// Checks a BOM against its lockfile and JSON report: every package a component with a
/// `pkg:cargo/name@version` purl and a unique bom-ref, every edge to a component, one
/// vulnerability per advisory finding affecting its package's component, each ignored
/// one with an analysis.
fn check_bom(bom: &Value, lockfile: &Path, report: &Value) {
    let what = lockfile.display();
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    let comps = all_components(bom);
    let locked = locked_packages(lockfile);
    assert_eq!(
        comps.len(),
        locked.len(),
        "{what}: one component per package"
    );
    let refs: BTreeSet<&str> = comps
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), comps.len(), "{what}: bom-refs are unique");
    let mut by_name_version: BTreeMap<(String, String), usize> = BTreeMap::new();
    for c in &comps {
        let (name, version) = (c["name"].as_str().unwrap(), c["version"].as_str().unwrap());
        let purl = c["purl"].as_str().unwrap();
        let plain = format!("pkg:cargo/{name}@{}", version.replace('+', "%2B"));
        assert!(
            purl == plain || purl.starts_with(&format!("{plain}?")),
            "{what}: purl {purl} for {name} {version}"
        );
        *by_name_version
            .entry((name.to_string(), version.to_string()))
            .or_default() += 1;
    }
    let mut want: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (n, v, _) in &locked {
        *want.entry((n.clone(), v.clone())).or_default() += 1;
    }
    assert_eq!(by_name_version, want, "{what}: components are the packages");
    let mut dep_refs = BTreeSet::new();
    for d in bom["dependencies"].as_array().unwrap() {
        let r = d["ref"].as_str().unwrap();
        assert!(dep_refs.insert(r), "{what}: one dependency entry per ref");
        assert!(refs.contains(r) || r == "workspace", "{what}: {r}");
        for on in d["dependsOn"].as_array().unwrap() {
            assert!(refs.contains(on.as_str().unwrap()), "{what}: edge to {on}");
        }
    }
    let advisory_findings: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["advisory"].is_null())
        .collect();
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    assert_eq!(
        vulns.len(),
        advisory_findings.len(),
        "{what}: one per finding"
    );
    let from_bom: BTreeSet<(String, String, bool)> = vulns
        .iter()
        .map(|v| {
            let r = v["affects"][0]["ref"].as_str().unwrap();
            let c = comps.iter().find(|c| c["bom-ref"] == r).unwrap();
            let ignored = !v["analysis"].is_null();
            (
                v["id"].as_str().unwrap().to_string(),
                format!(
                    "{} {}",
                    c["name"].as_str().unwrap(),
                    c["version"].as_str().unwrap()
                ),
                ignored,
            )
        })
        .collect();
    let from_json: BTreeSet<(String, String, bool)> = advisory_findings
        .iter()
        .map(|f| {
            let (id, name, version) = key(f);
            (id, format!("{name} {version}"), f["ignored"] == true)
        })
        .collect();
    assert_eq!(
        from_bom, from_json,
        "{what}: the BOM's findings are the report's"
    );
}

#[test]
fn corpus_boms_list_every_package_and_pass_the_official_schema() {
    let Some(shared) = common::shared() else {
        return;
    };
    let db = shared.join("advisory-db");
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut lockfiles: Vec<PathBuf> = std::fs::read_dir(shared.join("corpus/lockfiles"))
        .unwrap()
        .map(|e| e.unwrap().path().join("Cargo.lock"))
        .filter(|p| p.is_file())
        .collect();
    lockfiles.sort();
    assert!(!lockfiles.is_empty());
    let (mut boms, mut vexes) = (Vec::new(), Vec::new());
    let mut with_findings = 0;
    for (i, lock) in lockfiles.iter().enumerate() {
        let bom_path = out.path().join(format!("{i}.cdx.json"));
        let vex_path = out.path().join(format!("{i}.vex.json"));
        let json_path = out.path().join(format!("{i}.json"));
        let args = [
            "audit",
            "--db",
            common::s(&db),
            "--offline",
            "--no-yanked",
            "--file",
            common::s(lock),
            "--format",
            "cyclonedx",
            "--output",
            common::s(&bom_path),
            "--format",
            "openvex",
            "--output",
            common::s(&vex_path),
            "--format",
            "json",
            "--output",
            common::s(&json_path),
        ];
        let run = common::run_in(cache.path(), &args);
        assert!(run.code < 2, "{}: {}", lock.display(), run.stderr);
        let read = |p: &Path| -> Value {
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
        };
        let (bom, vex, report) = (read(&bom_path), read(&vex_path), read(&json_path));
        check_bom(&bom, lock, &report);
        let statements = vex["statements"].as_array().unwrap();
        assert_eq!(
            statements.len(),
            bom["vulnerabilities"].as_array().unwrap().len(),
            "{}: one statement per advisory finding",
            lock.display()
        );
        boms.push(bom_path);
        // The published OpenVEX schema wants at least one statement.
        if !statements.is_empty() {
            with_findings += 1;
            vexes.push(vex_path);
        }
    }
    assert!(with_findings > 0, "the corpus has findings to check");
    assert_valid("cyclonedx", &boms);
    assert_valid("openvex", &vexes);
}

#[test]
fn the_validators_reject_broken_documents() {
    // The schema checks can fail: a wrong analysis state, a missing purl shape or a
    // not_affected statement without a reason are refused.
    let Some(python) = validator() else { return };
    let ws = Ws::new();
    ws.write("depaudit.toml", POLICY);
    let bom = audit_doc(&ws, "cyclonedx", &[]);
    let vex = audit_doc(&ws, "openvex", &[]);
    let mut bad_bom = bom.clone();
    bad_bom["vulnerabilities"][0]["analysis"] = json!({ "state": "fine" });
    let mut bad_ref = bom.clone();
    bad_ref["components"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let mut bad_vex = vex.clone();
    let na = bad_vex["statements"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["status"] == "not_affected")
        .unwrap();
    na.as_object_mut().unwrap().remove("impact_statement");
    let mut bad_status = vex.clone();
    bad_status["statements"][0]["status"] = json!("maybe");
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: &Value| {
        let p = dir.path().join(name);
        std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
        p
    };
    let good = [write("bom.json", &bom), write("vex.json", &vex)];
    assert!(validate(&python, "cyclonedx", &good[..1]).is_empty());
    assert!(validate(&python, "openvex", &good[1..]).is_empty());
    let bad = validate(
        &python,
        "cyclonedx",
        &[write("b1.json", &bad_bom), write("b2.json", &bad_ref)],
    );
    assert_eq!(bad.len(), 2, "{bad:?}");
    let bad = validate(
        &python,
        "openvex",
        &[write("v1.json", &bad_vex), write("v2.json", &bad_status)],
    );
    assert_eq!(bad.len(), 2, "{bad:?}");
}

const POLICY: &str = "[[ignore]]\nid = \"RUSTSEC-2023-9002\"\nreason = \"beta: timing leak is local only\"\nuntil = \"2999-01-01\"\n";

/// Audits the fixture workspace into `format` (time fixed), returns the document.
fn audit_doc(ws: &Ws, format: &str, args: &[&str]) -> Value {
    let run = audit_with_epoch(ws, format, args);
    assert!(run.code < 2, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

fn audit_with_epoch(ws: &Ws, format: &str, args: &[&str]) -> Run {
    let mut all = vec!["--format", format];
    all.extend_from_slice(args);
    // SOURCE_DATE_EPOCH fixes the document time (set on the child, never on the tests'
    // own process, where parallel tests would race).
    ws.audit_env(&all, &[("SOURCE_DATE_EPOCH", EPOCH)])
}

type Keys = BTreeSet<(String, String, String)>;

/// (id, crate, version) of the JSON report's ignored findings, and of the others.
fn split(v: &Value) -> (Keys, Keys) {
    let mut ignored = BTreeSet::new();
    let mut open = BTreeSet::new();
    for f in v["findings"].as_array().unwrap() {
        if f["ignored"] == true {
            ignored.insert(key(f));
        } else {
            open.insert(key(f));
        }
    }
    (ignored, open)
}

fn k(id: &str, name: &str, version: &str) -> (String, String, String) {
    (id.into(), name.into(), version.into())
}

fn openvex(statements: Value) -> String {
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "urn:uuid:00000000-0000-4000-8000-000000000000",
        "author": "test",
        "timestamp": "2026-01-01T00:00:00Z",
        "version": 1,
        "statements": statements,
    })
    .to_string()
}

#[test]
fn a_vex_file_suppresses_exactly_its_not_affected_statements() {
    let ws = Ws::new();
    let (_, before) = ws.audit_json(&[]);
    let (none_ignored, all_open) = split(&before);
    assert!(none_ignored.is_empty());
    ws.write(
        "vex.json",
        &openvex(json!([
            // Suppresses alpha 1.0.0, named by its CVE alias.
            { "vulnerability": { "name": "CVE-2023-90001" },
              "products": [{ "@id": "pkg:cargo/alpha@1.0.0" }],
              "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path" },
            // Another version of gamma: nothing.
            { "vulnerability": { "name": "RUSTSEC-2023-9003" },
              "products": [{ "@id": "pkg:cargo/gamma@9.9.9" }],
              "status": "not_affected", "justification": "component_not_present" },
            // Affected and under investigation: nothing.
            { "vulnerability": { "name": "RUSTSEC-2023-9002" },
              "products": [{ "@id": "pkg:cargo/beta@0.5.0" }],
              "status": "affected", "action_statement": "upgrade" },
            { "vulnerability": { "name": "RUSTSEC-2023-9005" },
              "products": [{ "@id": "pkg:cargo/epsilon@3.0.0" }],
              "status": "under_investigation" },
            // Another ecosystem, and another registry: nothing.
            { "vulnerability": { "name": "RUSTSEC-2023-9006" },
              "products": [{ "@id": "pkg:npm/winonly@1.0.0" },
                           { "@id": "pkg:cargo/winonly@1.0.0?repository_url=https://example.invalid/index" }],
              "status": "not_affected", "justification": "component_not_present" },
            // A not_affected contradicted by a later affected statement: nothing.
            { "vulnerability": { "name": "RUSTSEC-2023-9004" },
              "products": [{ "@id": "pkg:cargo/delta@0.1.0" }],
              "status": "not_affected", "impact_statement": "unused",
              "timestamp": "2026-01-02T00:00:00Z" },
            { "vulnerability": { "name": "RUSTSEC-2023-9004" },
              "products": [{ "@id": "pkg:cargo/delta" }],
              "status": "affected", "action_statement": "replace delta",
              "timestamp": "2026-01-03T00:00:00Z" },
        ])),
    );
    let (run, after) = ws.audit_json(&["--vex", "vex.json"]);
    let (ignored, open) = split(&after);
    assert_eq!(
        ignored,
        BTreeSet::from([k("RUSTSEC-2023-9001", "alpha", "1.0.0")])
    );
    let mut expected_open = all_open.clone();
    expected_open.remove(&k("RUSTSEC-2023-9001", "alpha", "1.0.0"));
    assert_eq!(open, expected_open, "nothing else changed");
    let alpha = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ignored"] == true)
        .unwrap();
    assert_eq!(alpha["ignore_origin"], "vex.json, statement 1");
    assert_eq!(
        alpha["ignore_reason"],
        "not_affected (vulnerable_code_not_in_execute_path)"
    );
    assert!(
        run.stderr.contains("vex.json, statement 6 says RUSTSEC-2023-9004 is not_affected for delta, but vex.json, statement 7 says affected"),
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 1, "the other vulnerabilities still fail the run");

    // Shown with its origin by `policy` and in the reports' ignored sections.
    let policy = ws.run_raw(&["policy", "--file", "Cargo.lock", "--vex", "vex.json"]);
    assert_eq!(policy.code, 0, "{}", policy.stderr);
    assert!(
        policy.stdout.contains(
            "[[ignore]]  # vex.json, statement 1\nid = \"CVE-2023-90001\"\nreason = \"not_affected (vulnerable_code_not_in_execute_path)\"\ncrate = \"alpha\"\nversion = \"=1.0.0\"\n"
        ),
        "{}",
        policy.stdout
    );
    let md = ws
        .audit(&["--vex", "vex.json", "--format", "markdown"])
        .stdout;
    assert!(
        md.contains("- RUSTSEC-2023-9001 in `alpha 1.0.0` (vulnerability): not_affected (vulnerable_code_not_in_execute_path) (from `vex.json, statement 1`, no expiry)"),
        "{md}"
    );
    let table = ws.audit(&["--vex", "vex.json"]).stdout;
    assert!(
        table.contains(
            "note: RUSTSEC-2023-9001 in alpha 1.0.0 is suppressed by vex.json, statement 1"
        ),
        "{table}"
    );
    let sarif: Value =
        serde_json::from_str(&ws.audit(&["--vex", "vex.json", "--format", "sarif"]).stdout)
            .unwrap();
    let suppressed: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "RUSTSEC-2023-9001");

    // The BOM says what the VEX said: not_affected, the justification mapped.
    let bom = audit_doc(&ws, "cyclonedx", &["--vex", "vex.json"]);
    let v = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "RUSTSEC-2023-9001")
        .unwrap();
    assert_eq!(v["analysis"]["state"], "not_affected");
    assert_eq!(v["analysis"]["justification"], "code_not_reachable");
    assert_eq!(
        bom["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| !v["analysis"].is_null())
            .count(),
        1
    );
    let vex = audit_doc(&ws, "openvex", &["--vex", "vex.json"]);
    let dir = tempfile::tempdir().unwrap();
    let (b, x) = (dir.path().join("b.json"), dir.path().join("x.json"));
    std::fs::write(&b, bom.to_string()).unwrap();
    std::fs::write(&x, vex.to_string()).unwrap();
    assert_valid("cyclonedx", &[b]);
    assert_valid("openvex", &[x]);
}

#[test]
fn a_cyclonedx_vex_suppresses_only_not_affected_and_false_positive() {
    let ws = Ws::new();
    let (_, before) = ws.audit_json(&[]);
    let (_, all_open) = split(&before);
    ws.write(
        "bom.vex.json",
        &json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "components": [
                { "type": "library", "bom-ref": "b", "name": "beta", "version": "0.5.0", "purl": "pkg:cargo/beta@0.5.0" },
                { "type": "library", "bom-ref": "g", "name": "gamma", "version": "2.0.0", "purl": "pkg:cargo/gamma@2.0.0" }
            ],
            "vulnerabilities": [
                { "id": "RUSTSEC-2023-9002", "analysis": { "state": "not_affected", "justification": "requires_environment", "detail": "local only" }, "affects": [{ "ref": "b" }] },
                { "id": "GHSA-2222-3333-4444", "analysis": { "state": "false_positive" }, "affects": [{ "ref": "pkg:cargo/alpha@1.0.0" }] },
                { "id": "RUSTSEC-2023-9003", "analysis": { "state": "resolved" }, "affects": [{ "ref": "g" }] },
                { "id": "RUSTSEC-2023-9005", "analysis": { "state": "in_triage" }, "affects": [{ "ref": "pkg:cargo/epsilon@3.0.0" }] },
                { "id": "RUSTSEC-2023-9006", "analysis": { "state": "exploitable" }, "affects": [{ "ref": "pkg:cargo/winonly@1.0.0" }] },
                { "id": "RUSTSEC-2023-9004", "affects": [{ "ref": "pkg:cargo/delta@0.1.0" }] }
            ]
        })
        .to_string(),
    );
    let (_, after) = ws.audit_json(&["--vex", "bom.vex.json"]);
    let (ignored, open) = split(&after);
    let want = BTreeSet::from([
        k("RUSTSEC-2023-9002", "beta", "0.5.0"),
        k("RUSTSEC-2023-9001", "alpha", "1.0.0"),
    ]);
    assert_eq!(ignored, want);
    assert_eq!(open, all_open.difference(&want).cloned().collect());
    let origins: BTreeSet<&str> = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["ignore_origin"].as_str())
        .collect();
    assert_eq!(
        origins,
        BTreeSet::from([
            "bom.vex.json, vulnerability 1",
            "bom.vex.json, vulnerability 2"
        ])
    );
    let bom = audit_doc(&ws, "cyclonedx", &["--vex", "bom.vex.json"]);
    let states: BTreeMap<&str, &str> = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| Some((v["id"].as_str()?, v["analysis"]["state"].as_str()?)))
        .collect();
    assert_eq!(
        states,
        BTreeMap::from([
            ("RUSTSEC-2023-9001", "false_positive"),
            ("RUSTSEC-2023-9002", "not_affected")
        ])
    );
}

/// An OpenVEX document's status per vulnerability name.
fn statuses_of(vex: &Value) -> BTreeMap<String, String> {
    vex["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["vulnerability"]["name"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn our_openvex_round_trips_as_vex_input() {
    // Ignores from the policy file and a flag, exported as OpenVEX, then read back by a
    // run with no policy: the same findings are suppressed, and no other.
    let ws = Ws::new();
    ws.write("depaudit.toml", POLICY);
    let (_, with_policy) = ws.audit_json(&["--ignore", "GHSA-2222-3333-4444"]);
    let (ignored, open) = split(&with_policy);
    assert_eq!(
        ignored,
        BTreeSet::from([
            k("RUSTSEC-2023-9001", "alpha", "1.0.0"),
            k("RUSTSEC-2023-9002", "beta", "0.5.0")
        ])
    );
    let vex = audit_doc(&ws, "openvex", &["--ignore", "GHSA-2222-3333-4444"]);
    let statuses = statuses_of(&vex);
    assert_eq!(statuses["RUSTSEC-2023-9001"], "not_affected");
    assert_eq!(statuses["RUSTSEC-2023-9003"], "affected");
    assert_eq!(statuses.len(), open.len() + ignored.len());
    let text = vex.to_string();
    std::fs::remove_file(ws.path("depaudit.toml")).unwrap();
    ws.write("ours.vex.json", &text);
    let (_, round) = ws.audit_json(&["--vex", "ours.vex.json"]);
    let (ignored2, open2) = split(&round);
    assert_eq!(ignored2, ignored, "exactly the not_affected ones");
    assert_eq!(open2, open);
    // And that second run's OpenVEX says the same.
    let vex2 = audit_doc(&ws, "openvex", &["--vex", "ours.vex.json"]);
    let statuses2 = statuses_of(&vex2);
    assert_eq!(statuses2, statuses);
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = [&vex, &vex2]
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let p = dir.path().join(format!("{i}.json"));
            std::fs::write(&p, v.to_string()).unwrap();
            p
        })
        .collect();
    assert_valid("openvex", &files);
}

#[test]
fn documents_are_deterministic_with_source_date_epoch() {
    let ws = Ws::new();
    ws.write("depaudit.toml", POLICY);
    for format in ["cyclonedx", "openvex"] {
        let a = audit_with_epoch(&ws, format, &[]).stdout;
        let b = audit_with_epoch(&ws, format, &[]).stdout;
        assert_eq!(a, b, "{format}");
        assert!(a.contains("2023-11-14T22:13:20Z"), "{format}: {a}");
    }
    let bom = audit_doc(&ws, "cyclonedx", &[]);
    assert_eq!(bom["metadata"]["component"]["purl"], "pkg:cargo/app@0.1.0");
    assert!(
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "app"),
        "the root is the metadata component, listed once"
    );
    let beta = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "RUSTSEC-2023-9002")
        .unwrap();
    assert_eq!(beta["analysis"]["state"], "exploitable");
    assert_eq!(beta["analysis"]["response"], json!(["will_not_fix"]));
    assert_eq!(
        beta["analysis"]["detail"],
        "beta: timing leak is local only (ignored by depaudit.toml until 2999-01-01)"
    );
    let alpha = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "RUSTSEC-2023-9001")
        .unwrap();
    assert_eq!(alpha["ratings"][0]["method"], "CVSSv31");
    assert_eq!(alpha["ratings"][0]["severity"], "high");
    assert_eq!(alpha["references"][0]["id"], "CVE-2023-90001");
    assert_eq!(
        alpha["recommendation"],
        "cargo update -p alpha@1.0.0 --precise 1.1.0"
    );
    assert_eq!(alpha["affects"][0]["ref"], "pkg:cargo/alpha@1.0.0");
}

#[test]
fn bad_vex_files_get_one_line_and_exit_2() {
    let ws = Ws::new();
    let cases: &[(&str, &str)] = &[
        ("not json at all", "not JSON"),
        ("{\"hello\": 1}", "neither an OpenVEX document"),
        (
            "{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"statements\":[{\"vulnerability\":{\"name\":\"CVE-2023-90001\"},\"status\":\"not_affected\",\"products\":[{\"@id\":\"pkg:cargo/alpha@1.0.0\"}]}]}",
            "statement 1: `not_affected` needs a `justification` or an `impact_statement`",
        ),
        (
            "{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"statements\":[{\"vulnerability\":{\"name\":\"CVE-2023-90001\"},\"status\":\"fine\"}]}",
            "statement 1: unknown status `fine`",
        ),
        (
            "{\"bomFormat\":\"CycloneDX\",\"vulnerabilities\":[{\"id\":\"RUSTSEC-2023-9001\",\"analysis\":{\"state\":\"not_affected\",\"justification\":\"trust_me\"}}]}",
            "vulnerability 1: unknown analysis justification `trust_me`",
        ),
        ("\u{feff}[1,2", "not JSON"),
    ];
    for (text, want) in cases {
        ws.write("bad.json", text);
        for args in [
            &["--vex", "bad.json"][..],
            &["--vex", "bad.json", "--format", "cyclonedx"][..],
        ] {
            let run = ws.audit(args);
            assert_eq!(run.code, 2, "{text}: {}", run.stderr);
            let lines: Vec<&str> = run.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{text}: {}", run.stderr);
            assert!(
                lines[0].starts_with("error: bad.json: not a usable VEX file: ")
                    && lines[0].contains(want),
                "{text}: {}",
                run.stderr
            );
            assert!(run.stdout.is_empty());
        }
    }
    let run = ws.audit(&["--vex", "missing.json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.json"), "{}", run.stderr);
    let run = ws.audit(&["--vex", "."]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    std::fs::write(ws.path("bin.json"), [0xff, 0xfe, 0x00]).unwrap();
    let run = ws.audit(&["--vex", "bin.json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not UTF-8"), "{}", run.stderr);
}
