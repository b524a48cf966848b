//! Every format renders the same findings: one run writes table, JSON, JSON Lines, SARIF
//! and Markdown (several `--format X --output F` pairs) and each must carry the same set
//! of (id, crate, version) findings and the same ignored ones. Then format specifics:
//! SARIF's rules, levels, locations, fingerprints and suppressions; Markdown's sections;
//! JSON Lines' summary line; and the pairing rules of --format/--output.

use crate::fixture::{Ws, key};
use serde_json::Value;
use std::collections::BTreeSet;

type Keys = BTreeSet<(String, String, String)>;

const POLICY: &str = "[[ignore]]\nid = \"RUSTSEC-2023-9002\"\nreason = \"beta: timing leak is local only\"\nuntil = \"2999-01-01\"\n";

fn k(id: &str, name: &str, version: &str) -> (String, String, String) {
    (id.into(), name.into(), version.into())
}

/// A workspace with one ignored finding, audited into every format at once.
fn all_formats() -> (Ws, crate::fixture::Run) {
    let ws = Ws::new();
    ws.write("depaudit.toml", POLICY);
    let run = ws.audit(&[
        "--format", "json", "--output", "r.json", "--format", "jsonl", "--output", "r.jsonl",
        "--format", "sarif", "--output", "r.sarif", "--output", "r.md", "--format", "markdown",
        "--format", "table",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    (ws, run)
}

fn from_json(v: &Value) -> (Keys, Keys) {
    let mut all = Keys::new();
    let mut ignored = Keys::new();
    for f in v["findings"].as_array().unwrap() {
        all.insert(key(f));
        if f["ignored"] == true {
            ignored.insert(key(f));
        }
    }
    (all, ignored)
}

fn from_jsonl(text: &str) -> (Keys, Keys, Value) {
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    let (last, findings) = lines.split_last().unwrap();
    assert_eq!(last["type"], "summary");
    let mut all = Keys::new();
    let mut ignored = Keys::new();
    for f in findings {
        assert_eq!(f["type"], "finding");
        all.insert(key(f));
        if f["ignored"] == true {
            ignored.insert(key(f));
        }
    }
    (all, ignored, last.clone())
}

fn from_sarif(v: &Value) -> (Keys, Keys) {
    let mut all = Keys::new();
    let mut ignored = Keys::new();
    for r in v["runs"][0]["results"].as_array().unwrap() {
        let rule_id = r["ruleId"].as_str().unwrap();
        let id = if rule_id.starts_with("yanked/") {
            "yanked"
        } else {
            rule_id
        };
        let key = (
            id.to_string(),
            r["properties"]["crate"].as_str().unwrap().to_string(),
            r["properties"]["version"].as_str().unwrap().to_string(),
        );
        if r.get("suppressions").is_some() {
            ignored.insert(key.clone());
        }
        all.insert(key);
    }
    (all, ignored)
}

fn from_markdown(text: &str) -> (Keys, Keys) {
    let mut all = Keys::new();
    let mut ignored = Keys::new();
    let strip_link = |s: &str| {
        let s = s.trim();
        match s.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap().to_string(),
            None => s.to_string(),
        }
    };
    let mut section = "";
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("#### ") {
            section = title;
        } else if line.starts_with("| ☐ |") {
            let cells: Vec<&str> = line.split(" | ").collect();
            all.insert((
                strip_link(cells[1]),
                cells[2].trim_matches('`').to_string(),
                cells[3].to_string(),
            ));
        } else if let Some(rest) = line.strip_prefix("- ")
            && section == "Ignored"
        {
            // `- ID in `crate version` (kind): reason …` in the Ignored section.
            if let Some((id, rest)) = rest.split_once(" in `") {
                let (pkg, _) = rest.split_once('`').unwrap();
                let (name, version) = pkg.split_once(' ').unwrap();
                let key = k(id, name, version);
                ignored.insert(key.clone());
                all.insert(key);
            }
        }
    }
    (all, ignored)
}

fn from_table(text: &str) -> (Keys, Keys) {
    let mut all = Keys::new();
    let mut ignored = Keys::new();
    for line in text.lines().filter(|l| l.contains('┆')) {
        let cells: Vec<&str> = line
            .trim_matches('│')
            .split('┆')
            .map(|c| c.trim())
            .collect();
        if cells[0] == "ID" {
            continue;
        }
        let key = k(cells[0], cells[1], cells[2]);
        if cells[3].contains("(ignored)") {
            ignored.insert(key.clone());
        }
        all.insert(key);
    }
    (all, ignored)
}

#[test]
fn every_format_carries_the_same_findings() {
    let (ws, run) = all_formats();
    let json: Value = serde_json::from_str(&ws.read("r.json")).unwrap();
    let expected = from_json(&json);
    assert_eq!(expected.0.len(), 6);
    assert_eq!(
        expected.1,
        Keys::from([k("RUSTSEC-2023-9002", "beta", "0.5.0")])
    );
    let (jl_all, jl_ignored, summary) = from_jsonl(&ws.read("r.jsonl"));
    assert_eq!((jl_all, jl_ignored), expected, "jsonl");
    assert_eq!(summary["summary"], json["summary"]);
    assert_eq!(summary["fail"], true);
    let sarif: Value = serde_json::from_str(&ws.read("r.sarif")).unwrap();
    assert_eq!(from_sarif(&sarif), expected, "sarif");
    assert_eq!(from_markdown(&ws.read("r.md")), expected, "markdown");
    assert_eq!(from_table(&run.stdout), expected, "table on stdout");
}

/// The 1-based line of `[[package]]` for `name` in a lockfile text.
fn package_line(lock: &str, name: &str) -> u64 {
    let lines: Vec<&str> = lock.lines().collect();
    let i = lines
        .iter()
        .position(|l| *l == format!("name = \"{name}\""))
        .unwrap();
    assert_eq!(lines[i - 1], "[[package]]");
    i as u64 // (i - 1) + 1
}

fn result<'a>(sarif: &'a Value, id: &str) -> &'a Value {
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == id)
        .unwrap()
}

fn rule<'a>(sarif: &'a Value, id: &str) -> &'a Value {
    sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

#[test]
fn sarif_rules_results_locations_and_suppressions() {
    let (ws, _) = all_formats();
    let s: Value = serde_json::from_str(&ws.read("r.sarif")).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert_eq!(
        s["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let driver = &s["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "cargo-depaudit");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert_eq!(
        driver["rules"].as_array().unwrap().len(),
        6,
        "one rule per advisory"
    );

    let alpha = rule(&s, "RUSTSEC-2023-9001");
    assert_eq!(
        alpha["shortDescription"]["text"],
        "Alpha parser overflows on long input."
    );
    assert_eq!(alpha["properties"]["security-severity"], "7.5");
    assert_eq!(
        alpha["properties"]["tags"],
        serde_json::json!(["security", "vulnerability"])
    );
    assert_eq!(
        alpha["helpUri"],
        "https://rustsec.org/advisories/RUSTSEC-2023-9001"
    );
    assert!(
        alpha["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains(">=1.1.0")
    );
    // security-severity is the CVSS base score of the advisory's vector, and absent
    // without one (gamma's vulnerability and delta's unmaintained notice have none).
    for (id, score) in [("RUSTSEC-2023-9002", "1.8"), ("RUSTSEC-2023-9006", "9.8")] {
        assert_eq!(
            rule(&s, id)["properties"]["security-severity"],
            score,
            "{id}"
        );
    }
    for id in ["RUSTSEC-2023-9003", "RUSTSEC-2023-9004"] {
        let props = &rule(&s, id)["properties"];
        assert!(props.get("security-severity").is_none(), "{id}: {props}");
    }
    assert_eq!(
        rule(&s, "RUSTSEC-2023-9004")["properties"]["tags"][1],
        "unmaintained"
    );

    let lock = ws.read("Cargo.lock");
    let r = result(&s, "RUSTSEC-2023-9001");
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "Cargo.lock");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], package_line(&lock, "alpha"));
    assert_eq!(
        result(&s, "RUSTSEC-2023-9006")["locations"][0]["physicalLocation"]["region"]["startLine"],
        package_line(&lock, "winonly")
    );
    assert_eq!(
        result(&s, "RUSTSEC-2023-9004")["level"],
        "note",
        "warnings are notes"
    );
    let beta = result(&s, "RUSTSEC-2023-9002");
    assert_eq!(
        beta["level"], "warning",
        "ignored vulnerability is not an error"
    );
    assert_eq!(beta["suppressions"][0]["kind"], "external");
    let why = beta["suppressions"][0]["justification"].as_str().unwrap();
    assert!(why.starts_with("beta: timing leak is local only"), "{why}");
    assert!(why.contains("until 2999-01-01"), "{why}");
    assert!(
        result(&s, "RUSTSEC-2023-9001")
            .get("suppressions")
            .is_none()
    );
}

/// The SARIF of auditing `lockfile` (as passed to `--file`) from the folder `cwd`.
fn sarif_from(ws: &Ws, cwd: &std::path::Path, lockfile: &str) -> Value {
    let db = crate::fixture::fixtures().join("policy-db");
    let run = ws.run_from(
        cwd,
        &[
            "audit",
            "--db",
            db.to_str().unwrap(),
            "--offline",
            "--file",
            lockfile,
            "--format",
            "sarif",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

/// Every `artifactLocation` of a SARIF log (results and the artifacts list).
fn artifact_locations(s: &Value) -> Vec<&Value> {
    let run = &s["runs"][0];
    let mut out: Vec<&Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"]["artifactLocation"])
        .collect();
    out.push(&run["artifacts"][0]["location"]);
    out
}

#[test]
fn sarif_uri_is_relative_to_the_repository_root_wherever_it_runs() {
    let ws = Ws::new();
    let lock = ws.read("Cargo.lock");
    // repo/.git (a folder) above a nested workspace repo/sub/ws; audited from elsewhere/.
    ws.write("repo/sub/ws/Cargo.lock", &lock);
    std::fs::create_dir_all(ws.path("repo/.git")).unwrap();
    std::fs::create_dir_all(ws.path("elsewhere/deeper")).unwrap();
    let top = ws.dir.path().to_str().unwrap().to_string();
    let absolute = ws.path("repo/sub/ws/Cargo.lock");
    for (cwd, file) in [
        ("elsewhere", absolute.to_str().unwrap()),
        ("elsewhere/deeper", "../../repo/sub/ws/Cargo.lock"),
        ("repo/sub", "ws/Cargo.lock"),
    ] {
        let s = sarif_from(&ws, &ws.path(cwd), file);
        for loc in artifact_locations(&s) {
            assert_eq!(loc["uri"], "sub/ws/Cargo.lock", "from {cwd}: {loc}");
            assert_eq!(loc["uriBaseId"], "%SRCROOT%", "from {cwd}: {loc}");
        }
        let base = &s["runs"][0]["originalUriBaseIds"]["%SRCROOT%"];
        assert!(base.is_object(), "{s:#}");
        assert!(base.get("uri").is_none(), "no machine path: {base}");
        let text = serde_json::to_string(&s).unwrap();
        assert!(
            !text.contains(&top),
            "a machine path in the SARIF log: {text}"
        );
    }

    // A work tree's `.git` is a file; the nearest one wins (repo/sub is a submodule).
    ws.write("repo/sub/.git", "gitdir: ../.git/modules/sub\n");
    let s = sarif_from(&ws, &ws.path("elsewhere"), absolute.to_str().unwrap());
    for loc in artifact_locations(&s) {
        assert_eq!(loc["uri"], "ws/Cargo.lock", "{loc}");
    }

    // No repository above it: the workspace root.
    ws.write("alone/ws/Cargo.lock", &lock);
    let s = sarif_from(&ws, &ws.path("elsewhere"), "../alone/ws/Cargo.lock");
    for loc in artifact_locations(&s) {
        assert_eq!(loc["uri"], "Cargo.lock", "{loc}");
    }
}

#[test]
fn each_yanked_package_has_its_own_sarif_rule() {
    use super::localreg::Scenario;
    let s = Scenario::new();
    s.publish("oldlib", "1.0.0", &[]);
    s.publish("otherlib", "2.0.0", &[]);
    s.publish("vulnlib", "0.3.1", &[]);
    s.app("oldlib = \"1\"\notherlib = \"2\"\nvulnlib = \"0.3\"\n");
    s.lock();
    s.advisory("RUSTSEC-2099-0301", "vulnlib", &[">=0.3.2"], &[]);
    // Yank two of them after the lockfile was made.
    for (idx, version) in [("ol/dl/oldlib", "1.0.0"), ("ot/he/otherlib", "2.0.0")] {
        let idx = s.registry().join("index").join(idx);
        let text = std::fs::read_to_string(&idx).unwrap();
        assert!(text.contains(version));
        std::fs::write(&idx, text.replace("\"yanked\":false", "\"yanked\":true")).unwrap();
    }
    let run = s.depaudit(&["audit", "-n", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "rule ids are unique: {ids:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let mut yanked = BTreeSet::new();
    for r in results {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"], "ruleIndex points to its own rule");
        let (name, version) = (
            r["properties"]["crate"].as_str().unwrap(),
            r["properties"]["version"].as_str().unwrap(),
        );
        if r["properties"]["kind"] == "yanked" {
            assert_eq!(r["ruleId"], format!("yanked/{name}@{version}"));
            let text = rule["shortDescription"]["text"].as_str().unwrap();
            assert!(text.contains(&format!("{name} {version}")), "{text}");
            yanked.insert(name.to_string());
        } else {
            assert_eq!(r["ruleId"], "RUSTSEC-2099-0301");
        }
    }
    assert_eq!(yanked, BTreeSet::from(["oldlib".into(), "otherlib".into()]));
    assert_eq!(rules.len(), 3, "{ids:?}");
}

#[test]
fn sarif_fingerprints_survive_lockfile_line_shifts() {
    let fingerprints = |ws: &Ws| {
        let run = ws.audit(&["--format", "sarif"]);
        let s = run.json();
        let r = result(&s, "RUSTSEC-2023-9001");
        (
            r["partialFingerprints"]["depaudit/v1"]
                .as_str()
                .unwrap()
                .to_string(),
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap(),
        )
    };
    let ws = Ws::new();
    let before = fingerprints(&ws);
    let lock = ws.read("Cargo.lock").replacen(
        "version = 3\n",
        "version = 3\n\n[[package]]\nname = \"aaa-first\"\nversion = \"0.1.0\"\n",
        1,
    );
    ws.write("Cargo.lock", &lock);
    let after = fingerprints(&ws);
    assert_eq!(
        before.0, after.0,
        "same id, crate and version: same fingerprint"
    );
    assert_eq!(after.1, before.1 + 4, "the location did move");
    let other = result(
        &ws.audit(&["--format", "sarif"]).json(),
        "RUSTSEC-2023-9002",
    )["partialFingerprints"]["depaudit/v1"]
        .clone();
    assert_ne!(other.as_str().unwrap(), before.0);
}

#[test]
fn markdown_has_a_verdict_a_checklist_and_ignored_reasons() {
    let (ws, _) = all_formats();
    let md = ws.read("r.md");
    let first = md.lines().next().unwrap();
    assert!(
        first.contains("FAIL") && first.contains("3 failing the policy"),
        "{first}"
    );
    assert!(md.contains("advisory database 2023-03-01"), "{md}");
    assert!(
        md.contains("| Done | ID | Crate | Version | Kind | Severity | Title | Patched | Fails |")
    );
    assert!(md.contains("| `alpha` | 1.0.0 | vulnerability | high | Alpha parser overflows on long input | >=1.1.0 | **yes** |"), "{md}");
    assert!(
        md.contains(
            "| `delta` | 0.1.0 | unmaintained | - | delta is unmaintained | no fix published | no |"
        ),
        "{md}"
    );
    assert!(md.contains("#### Ignored\n\n- RUSTSEC-2023-9002 in `beta 0.5.0` (vulnerability): beta: timing leak is local only (from `depaudit.toml`, until 2999-01-01)"), "{md}");
    assert!(
        md.contains("<details><summary>alpha 1.0.0: RUSTSEC-2023-9001</summary>\n\n- **[RUSTSEC-2023-9001](https://rustsec.org/advisories/RUSTSEC-2023-9001)** (vulnerability, severity high, fails the policy): Alpha parser overflows on long input. Patched: >=1.1.0. Fix: `cargo update -p alpha@1.0.0 --precise "),
        "{md}"
    );
    assert!(
        md.contains("How it is reached:\n\n- app 0.1.0 → alpha 1.0.0\n\n</details>"),
        "{md}"
    );
    assert!(md.contains("#### Fixes\n\n- `cargo update -p "), "{md}");
    // The summary and the fixes first, then the checklist, then the details; nothing cut.
    let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("no {s}: {md}"));
    assert!(at("#### Fixes") < at("#### Findings"), "{md}");
    assert!(at("#### Findings") < at("#### Details"), "{md}");
    assert!(at("#### Details") < at("#### Ignored"), "{md}");
    assert!(!md.contains("… "), "{md}");
}

#[test]
fn jsonl_summary_matches_a_passing_run() {
    let ws = Ws::new();
    ws.write("depaudit.toml", "target = [\"x86_64-unknown-linux-gnu\"]\n");
    let run = ws.audit(&[
        "--format",
        "jsonl",
        "--ignore",
        "RUSTSEC-2023-9001",
        "--ignore",
        "RUSTSEC-2023-9002",
        "--ignore",
        "CVE-2023-90001",
        "--ignore",
        "RUSTSEC-2023-9003",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (all, ignored, summary) = from_jsonl(&run.stdout);
    assert_eq!(all.len(), 5, "winonly is filtered by the linux target");
    assert_eq!(ignored.len(), 3);
    assert_eq!(summary["fail"], false);
    assert_eq!(summary["summary"]["ignored"], 3);
    assert_eq!(summary["summary"]["denied"], 0);
}

#[test]
fn format_and_output_pairing() {
    let ws = Ws::new();
    let run = ws.audit(&["--format", "json", "--format", "markdown"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("only one report can go to standard output"),
        "{}",
        run.stderr
    );
    let run = ws.audit(&[
        "--format", "json", "--output", "a.json", "--output", "b.json",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--output b.json has no --format"),
        "{}",
        run.stderr
    );
    // A lone --output gets the table; the verdict then goes to stderr.
    let run = ws.audit(&["--output", "t.txt"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(ws.read("t.txt").contains("RUSTSEC-2023-9001"));
    assert!(
        run.stderr
            .contains("FAIL (4 denied vulnerabilities): 4 vulnerabilities"),
        "{}",
        run.stderr
    );
    // --json still works and can be paired.
    let run = ws.audit(&["--json", "--output", "j.json", "--format", "table"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("RUSTSEC-2023-9001"));
    let j: Value = serde_json::from_str(&ws.read("j.json")).unwrap();
    assert_eq!(j["summary"]["vulnerabilities"], 4);
    // Not to a terminal (a file, a pipe), the JSON report is one line, as cargo audit's.
    assert_eq!(ws.read("j.json").lines().count(), 1);
    let piped = ws.audit(&["--json"]);
    assert_eq!(piped.stdout.lines().count(), 1, "{}", piped.stdout);
    assert_eq!(piped.json()["summary"]["vulnerabilities"], 4);
}

#[test]
fn several_patched_ranges_read_as_alternatives() {
    use super::localreg::Scenario;
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.app("vulnlib = \"0.3\"\n");
    s.lock();
    s.advisory(
        "RUSTSEC-2099-0201",
        "vulnlib",
        &[">=0.3.2, <0.4.0", ">=0.4.1"],
        &[],
    );
    let table = s.depaudit(&["audit", "-n"]);
    assert!(
        table.stdout.contains(">=0.3.2, <0.4.0 OR >=0.4.1"),
        "{}",
        table.stdout
    );
    let md = s.depaudit(&["audit", "-n", "--format", "markdown"]);
    assert!(
        md.stdout.contains(">=0.3.2, <0.4.0 OR >=0.4.1"),
        "{}",
        md.stdout
    );
}

/// A synthetic workspace: a lockfile of `app` and 999 registry crates in ten layers
/// (each crate depends on two of the next layer, `app` on the whole first), and an
/// advisory database with `advisories` advisories on the deepest layer's crates, two for
/// each of the first ones. Returns the lockfile and the database folder.
fn big_case(dir: &std::path::Path, advisories: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    const LAYER: usize = 100;
    const N: usize = 999;
    let name = |i: usize| format!("p{i:04}");
    let layer_of = |l: usize| (l * LAYER..((l + 1) * LAYER).min(N)).collect::<Vec<_>>();
    let mut lock = String::from(
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n",
    );
    for i in layer_of(0) {
        lock.push_str(&format!(" \"{}\",\n", name(i)));
    }
    lock.push_str("]\n");
    for i in 0..N {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{}\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            name(i)
        ));
        let next = layer_of(i / LAYER + 1);
        if !next.is_empty() {
            let mut deps = [next[(i * 7) % next.len()], next[(i * 13 + 1) % next.len()]];
            deps.sort();
            lock.push_str("dependencies = [\n");
            for d in deps.iter().collect::<BTreeSet<_>>() {
                lock.push_str(&format!(" \"{}\",\n", name(*d)));
            }
            lock.push_str("]\n");
        }
    }
    let lockfile = dir.join("ws/Cargo.lock");
    std::fs::create_dir_all(lockfile.parent().unwrap()).unwrap();
    std::fs::write(&lockfile, lock).unwrap();

    let db = dir.join("db");
    let deepest = layer_of(9);
    let doubled = advisories - advisories * 6 / 10; // crates with two advisories
    let mut k = 0;
    for (j, &i) in deepest.iter().enumerate() {
        let count = if j < doubled { 2 } else { 1 };
        for _ in 0..count {
            if k == advisories {
                break;
            }
            let id = format!("RUSTSEC-2099-{:04}", 5000 + k);
            let crate_dir = db.join("crates").join(name(i));
            std::fs::create_dir_all(&crate_dir).unwrap();
            std::fs::write(
                crate_dir.join(format!("{id}.md")),
                format!(
                    "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{}\"\ndate = \"2099-01-01\"\n\n[versions]\npatched = [\">= 2.0.0\"]\n```\n\n# Synthetic flaw {k} in {}: a long title that takes room in every row and block of the report\n\nA flaw.\n",
                    name(i),
                    name(i)
                ),
            )
            .unwrap();
            k += 1;
        }
    }
    assert_eq!(k, advisories);
    (lockfile, db)
}

#[test]
fn markdown_fits_a_github_comment_and_says_how_many_packages_it_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let (lock, db) = big_case(tmp.path(), 100);
    let args = |format: &'static str| {
        vec![
            "audit".to_string(),
            "--db".into(),
            db.to_str().unwrap().into(),
            "--offline".into(),
            "--file".into(),
            lock.to_str().unwrap().into(),
            "--format".into(),
            format.into(),
        ]
    };
    let cache = tempfile::tempdir().unwrap();
    let run = |format| {
        let a = args(format);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let r = crate::common::run_in(cache.path(), &a);
        assert_eq!(r.code, 1, "{}", r.stderr);
        r
    };
    // What the report holds, from JSON: 100 findings on 60 packages.
    let json = run("json").json();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 100);
    assert_eq!(json["lockfile"]["packages"], 1000);
    let packages: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| {
            let k = key(f);
            (k.1, k.2)
        })
        .collect();
    assert_eq!(packages.len(), 60);

    let md = run("markdown").stdout;
    assert!(md.len() <= 65_536, "{} bytes", md.len());
    assert!(md.chars().count() <= 65_536);
    assert!(
        md.len() + md.matches('\n').count() <= 65_536,
        "even with \\r\\n line ends"
    );
    let top = tmp.path().to_str().unwrap();
    assert!(!md.contains(top), "a machine path in the comment");
    assert!(md.starts_with("### cargo-depaudit: ❌ **FAIL** (100 denied vulnerabilities)"));
    assert!(
        md.contains("\n`Cargo.lock` (1000 packages)"),
        "{}",
        &md[..400]
    );

    // One block per package, never two for one; the blocks that did not fit are counted.
    let summaries: Vec<&str> = md
        .lines()
        .filter_map(|l| l.strip_prefix("<details><summary>"))
        .collect();
    let shown: BTreeSet<&str> = summaries
        .iter()
        .map(|s| s.split(':').next().unwrap())
        .collect();
    assert_eq!(shown.len(), summaries.len(), "one block per package");
    assert!(
        !shown.is_empty() && shown.len() < 60,
        "{} blocks",
        shown.len()
    );
    let more = |noun: &str| -> Option<usize> {
        md.lines()
            .find_map(|l| {
                l.strip_prefix("… ")?
                    .strip_suffix("")?
                    .split_once(&format!(" more {noun} "))
            })
            .map(|(n, _)| n.parse().unwrap())
    };
    assert_eq!(more("packages"), Some(60 - shown.len()), "the cut line");
    // The checklist has a row per finding, or says how many it left out.
    let rows = md.lines().filter(|l| l.starts_with("| ☐ |")).count();
    assert_eq!(rows + more("findings").unwrap_or(0), 100);

    // A package with two advisories lists both in its block, and its paths once.
    let first = md.split("<details>").nth(1).unwrap();
    let first = first.split("</details>").next().unwrap();
    assert_eq!(first.matches("- **[RUSTSEC-2099-").count(), 2, "{first}");
    let paths: Vec<&str> = first
        .lines()
        .filter(|l| l.starts_with("- app 0.1.0 → "))
        .collect();
    assert!(!paths.is_empty(), "{first}");
    assert_eq!(
        paths.iter().collect::<BTreeSet<_>>().len(),
        paths.len(),
        "{first}"
    );

    // A smaller report is whole: no cut line.
    let tmp = tempfile::tempdir().unwrap();
    let (lock, db) = big_case(tmp.path(), 5);
    let r = crate::common::run_in(
        cache.path(),
        &[
            "audit",
            "--db",
            db.to_str().unwrap(),
            "--offline",
            "--file",
            lock.to_str().unwrap(),
            "--format",
            "markdown",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stdout.contains("\n… "), "{}", r.stdout);
    assert_eq!(r.stdout.matches("<details>").count(), 3, "{}", r.stdout);
}

/// The Fixes section of a Markdown report: the command lines in its code spans (each
/// `a && b` split into its commands) and its lines.
fn markdown_fixes(md: &str) -> (Vec<String>, Vec<String>) {
    let section = md
        .split("#### Fixes\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no fixes: {md}"))
        .split("\n#### ")
        .next()
        .unwrap();
    let lines: Vec<String> = section
        .lines()
        .filter(|l| l.starts_with("- "))
        .map(str::to_string)
        .collect();
    let mut commands = Vec::new();
    for l in &lines {
        for (i, span) in l.split('`').enumerate() {
            if i % 2 == 1 && span.starts_with("cargo ") {
                commands.extend(span.split(" && ").map(str::to_string));
            }
        }
    }
    (commands, lines)
}

#[test]
fn markdown_fixes_are_commands_that_run_and_no_path_is_a_machine_path() {
    use super::localreg::{Dep, Scenario};
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "^0.3", "normal")]);
    s.publish("pinned", "0.3.1", &[]);
    s.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/app\"]\nresolver = \"2\"\n\n[workspace.dependencies]\npinned = { version = \"0.3\" }\n",
    );
    s.write(
        "crates/app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nmid = \"1\"\npinned.workspace = true\n",
    );
    s.write("crates/app/src/lib.rs", "");
    s.lock();
    s.publish("vulnlib", "0.3.2", &[]);
    s.publish("pinned", "0.4.1", &[]);
    s.advisory("RUSTSEC-2099-0401", "vulnlib", &[">=0.3.2"], &[]);
    s.advisory("RUSTSEC-2099-0402", "pinned", &[">=0.4.1"], &[]);
    // An expired ignore: its note names the policy file.
    s.write(
        "depaudit.toml",
        "[[ignore]]\nid = \"RUSTSEC-2099-0402\"\nreason = \"old\"\nuntil = \"2001-01-01\"\n",
    );
    // Audited from another folder, through an absolute manifest path.
    let elsewhere = s.tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let manifest = s.ws().join("Cargo.toml");
    let run = s.depaudit_from(
        &elsewhere,
        &[
            "audit",
            "-n",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--format",
            "markdown",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let md = run.stdout;
    let top = s.tmp.path().to_str().unwrap();
    assert!(!md.contains(top), "a machine path in the comment:\n{md}");
    assert!(md.contains("\n`Cargo.lock` ("), "{md}");
    assert!(
        md.contains("- ignore for RUSTSEC-2099-0402 expired on 2001-01-01 (depaudit.toml)"),
        "{md}"
    );

    let (commands, lines) = markdown_fixes(&md);
    assert_eq!(
        commands,
        ["cargo update -p vulnlib@0.3.1 --precise 0.3.2"],
        "{md}"
    );
    // The edit cargo cannot make is said as an edit of the workspace's file, not a command.
    assert!(
        lines.iter().any(|l| l.starts_with(
            "- Set `pinned = \"0.4.1\"` in `Cargo.toml` line 6 (`[workspace.dependencies]`) (fixes RUSTSEC-2099-0402"
        )),
        "{md}"
    );
    // The commands run as written, in the workspace, and remove what they say they fix.
    for c in &commands {
        let words: Vec<&str> = c.split(' ').skip(1).collect();
        let r = s.cargo(&words);
        assert_eq!(r.code, 0, "{c}: {}", r.stderr);
    }
    let after = s.audit();
    let ids: Vec<&str> = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["advisory"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["RUSTSEC-2099-0402"], "{after:#}");
}
