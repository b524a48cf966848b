//! Remediation and `fix` against a real local registry: each scenario makes a lockfile
//! with real cargo, publishes the fixes afterwards, checks the JSON outcome, runs
//! `cargo depaudit fix`, and checks that real cargo accepts the result and a re-audit no
//! longer finds what was fixable.

use super::localreg::{Dep, Scenario, remediation, vulns};

/// After `fix`: cargo accepts the lockfile as it is, and the advisory is gone.
fn assert_fixed(s: &Scenario, id: &str) {
    let meta = s.cargo(&["metadata", "--locked", "--format-version", "1"]);
    assert_eq!(meta.code, 0, "cargo metadata --locked: {}", meta.stderr);
    let after = s.audit();
    assert!(
        !vulns(&after).iter().any(|v| v.0 == id),
        "{id} still found: {after:#}"
    );
}

fn fix(s: &Scenario, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["fix", "-n", "--json"];
    args.extend_from_slice(extra);
    let r = s.depaudit(&args);
    assert!(
        r.code == 0 || r.code == 1,
        "fix failed: {}{}",
        r.stdout,
        r.stderr
    );
    r.json()
}

#[test]
fn a_precise_update_fixes_a_transitive_crate() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "^0.3", "normal")]);
    s.app("mid = \"1\"\n");
    s.lock();
    s.publish("vulnlib", "0.3.2", &[]);
    s.publish("vulnlib", "0.3.5", &[]);
    s.publish("vulnlib", "0.4.0", &[]);
    s.advisory("RUSTSEC-2099-0001", "vulnlib", &[">=0.3.2"], &[]);
    let report = s.audit();
    let r = remediation(&report, "RUSTSEC-2099-0001");
    assert_eq!(r["outcome"], "lockfile-update", "{r:#}");
    assert_eq!(
        r["command"],
        "cargo update -p vulnlib@0.3.1 --precise 0.3.2"
    );
    assert_eq!(r["newer_compatible"], "0.3.5");
    assert_eq!(r["verified"], true);
    assert_eq!(r["fixes"], serde_json::json!(["RUSTSEC-2099-0001"]));
    // Paths start at the member and carry kinds from the manifest and the index.
    let f = &report["findings"][0];
    assert_eq!(
        f["paths"][0],
        serde_json::json!(["app 0.1.0", "mid 1.0.0", "vulnlib 0.3.1"])
    );
    assert_eq!(
        f["path_kinds"][0][0]["kinds"],
        serde_json::json!(["normal"])
    );
    assert_eq!(
        f["path_kinds"][0][1]["kinds"],
        serde_json::json!(["normal"])
    );

    let dry = s.depaudit(&["fix", "-n", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout
            .contains("cargo update -p vulnlib@0.3.1 --precise 0.3.2")
    );
    assert_eq!(s.locked("vulnlib"), ["0.3.1"], "--dry-run changes nothing");

    let out = fix(&s, &[]);
    assert_eq!(out["fixed"][0]["id"], "RUSTSEC-2099-0001", "{out:#}");
    assert_eq!(s.locked("vulnlib"), ["0.3.2"]);
    assert_fixed(&s, "RUSTSEC-2099-0001");
}

#[test]
fn b_only_a_parent_bump_fixes_it() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.4", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "=0.3.4", "normal")]);
    s.app("mid = \"1\"\n");
    s.lock();
    s.publish("vulnlib", "0.4.1", &[]);
    s.publish("mid", "1.0.1", &[Dep("vulnlib", "^0.3", "normal")]); // still excludes 0.4
    s.publish("mid", "1.1.0", &[Dep("vulnlib", "^0.4.1", "normal")]);
    s.advisory("RUSTSEC-2099-0002", "vulnlib", &[">=0.4.1"], &[]);
    let report = s.audit();
    let r = remediation(&report, "RUSTSEC-2099-0002");
    assert_eq!(r["outcome"], "bump-parent", "{r:#}");
    assert_eq!(r["command"], "cargo update -p mid@1.0.0 --precise 1.1.0");
    assert_eq!(r["target"], "vulnlib 0.4.1");
    assert_eq!(r["verified"], true);
    assert!(
        r["explanation"]
            .as_str()
            .unwrap()
            .contains("bump mid 1.0.0 → 1.1.0"),
        "{r:#}"
    );
    fix(&s, &[]);
    assert_eq!(s.locked("mid"), ["1.1.0"]);
    assert_eq!(s.locked("vulnlib"), ["0.4.1"]);
    assert_fixed(&s, "RUSTSEC-2099-0002");
}

#[test]
fn c_no_fix_is_said_and_fix_changes_nothing() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("gone", "1.0.0", &[]);
    s.publish("mid", "1.0.0", &[Dep("gone", "=1.0.0", "normal")]);
    s.app("vulnlib = \"0.3\"\nmid = \"1\"\n");
    s.lock();
    s.publish("gone", "2.0.0", &[]); // patched, but no mid release allows it
    s.advisory("RUSTSEC-2099-0003", "vulnlib", &[], &[]);
    s.advisory("RUSTSEC-2099-0004", "gone", &[">=2.0.0"], &[]);
    let report = s.audit();
    let r = remediation(&report, "RUSTSEC-2099-0003");
    assert_eq!(r["outcome"], "no-fix", "{r:#}");
    assert!(r["command"].is_null());
    let r = remediation(&report, "RUSTSEC-2099-0004");
    assert_eq!(
        r["outcome"], "no-fix",
        "nothing up the chain allows 2.0.0: {r:#}"
    );
    assert!(r["explanation"].as_str().unwrap().contains("mid"), "{r:#}");
    let before = std::fs::read(s.ws().join("Cargo.lock")).unwrap();
    let out = fix(&s, &["--allow-manifest-edits"]);
    assert_eq!(out["applied"], serde_json::json!([]), "{out:#}");
    assert_eq!(std::fs::read(s.ws().join("Cargo.lock")).unwrap(), before);
    assert_eq!(out["open"].as_array().unwrap().len(), 2, "{out:#}");
    assert!(out["fixed"].as_array().unwrap().is_empty(), "{out:#}");
}

#[test]
fn d_one_command_fixes_two_findings() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "^0.3", "normal")]);
    s.app("mid = \"1\"\n");
    s.lock();
    s.publish("vulnlib", "0.3.2", &[]);
    s.publish("vulnlib", "0.3.3", &[]);
    s.advisory("RUSTSEC-2099-0005", "vulnlib", &[">=0.3.2"], &[]);
    s.advisory("RUSTSEC-2099-0006", "vulnlib", &[">=0.3.3"], &[]);
    let report = s.audit();
    let a = remediation(&report, "RUSTSEC-2099-0005");
    let b = remediation(&report, "RUSTSEC-2099-0006");
    assert_eq!(
        a["command"], "cargo update -p vulnlib@0.3.1 --precise 0.3.3",
        "{a:#}"
    );
    assert_eq!(a, b, "one plan for the package clears both");
    assert_eq!(
        a["fixes"],
        serde_json::json!(["RUSTSEC-2099-0005", "RUSTSEC-2099-0006"])
    );
    let table = s.depaudit(&["audit", "-n"]);
    assert_eq!(
        table
            .stdout
            .matches("cargo update -p vulnlib@0.3.1 --precise 0.3.3\n    fixes RUSTSEC-2099-0005, RUSTSEC-2099-0006")
            .count(),
        1,
        "{}",
        table.stdout
    );
    let out = fix(&s, &[]);
    assert_eq!(out["applied"].as_array().unwrap().len(), 1, "{out:#}");
    assert_fixed(&s, "RUSTSEC-2099-0005");
    assert_fixed(&s, "RUSTSEC-2099-0006");
}

#[test]
fn e_two_locked_versions_only_one_vulnerable() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.2.9", &[]);
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "^0.3", "normal")]);
    s.app("vulnlib = \"0.2\"\nmid = \"1\"\n");
    s.lock();
    assert_eq!(s.locked("vulnlib"), ["0.2.9", "0.3.1"]);
    s.publish("vulnlib", "0.3.2", &[]);
    s.advisory("RUSTSEC-2099-0007", "vulnlib", &[">=0.3.2"], &["<0.3.0"]);
    let report = s.audit();
    assert_eq!(vulns(&report).len(), 1, "{report:#}");
    let r = remediation(&report, "RUSTSEC-2099-0007");
    assert_eq!(
        r["command"],
        "cargo update -p vulnlib@0.3.1 --precise 0.3.2"
    );
    fix(&s, &[]);
    assert_eq!(s.locked("vulnlib"), ["0.2.9", "0.3.2"]);
    assert_fixed(&s, "RUSTSEC-2099-0007");
}

#[test]
fn f_member_requirement_is_edited_in_its_manifest() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.app("vulnlib = \"=0.3.1\" # pinned\n");
    s.lock();
    s.publish("vulnlib", "0.3.2", &[]);
    s.advisory("RUSTSEC-2099-0008", "vulnlib", &[">=0.3.2"], &[]);
    let report = s.audit();
    let r = remediation(&report, "RUSTSEC-2099-0008");
    assert_eq!(r["outcome"], "bump-parent", "{r:#}");
    let step = &r["steps"][0];
    assert_eq!(step["action"], "manifest-edit");
    assert_eq!(step["line"], 7);
    assert_eq!(step["to_req"], "0.3.2");
    assert!(step["manifest"].as_str().unwrap().ends_with("Cargo.toml"));
    // Without the flag, fix leaves manifests alone and says why.
    let out = fix(&s, &[]);
    assert!(
        out["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("--allow-manifest-edits")
    );
    assert_eq!(s.locked("vulnlib"), ["0.3.1"]);
    fix(&s, &["--allow-manifest-edits"]);
    let manifest = std::fs::read_to_string(s.ws().join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("vulnlib = \"0.3.2\" # pinned"),
        "{manifest}"
    );
    assert_fixed(&s, "RUSTSEC-2099-0008");
}

#[test]
fn f_workspace_dependency_is_edited_in_the_root_manifest() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("vulnlib", "0.4.0", &[]);
    s.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/app\"]\nresolver = \"2\"\n\n[workspace.dependencies]\nvulnlib = { version = \"0.3\" }\n",
    );
    s.write(
        "crates/app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nvulnlib.workspace = true\n",
    );
    s.write("crates/app/src/lib.rs", "");
    s.lock();
    s.publish("vulnlib", "0.4.1", &[]);
    s.advisory("RUSTSEC-2099-0009", "vulnlib", &[">=0.4.1"], &[]);
    let report = s.audit();
    let r = remediation(&report, "RUSTSEC-2099-0009");
    assert_eq!(r["outcome"], "bump-parent", "{r:#}");
    let step = &r["steps"][0];
    assert_eq!(step["workspace_dependency"], true, "{r:#}");
    assert_eq!(step["line"], 6);
    assert_eq!(step["to_req"], "0.4.1");
    // 0.3 → 0.4.1 is semver-incompatible: a manifest edit alone is not enough.
    assert_eq!(step["compatible"], false, "{r:#}");
    let out = fix(&s, &["--allow-manifest-edits"]);
    assert!(
        out["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("--allow-breaking"),
        "{out:#}"
    );
    assert_eq!(s.locked("vulnlib"), ["0.3.1"]);
    let out = fix(&s, &["--allow-breaking"]);
    assert_eq!(out["applied"][0]["build_checked"], true, "{out:#}");
    let root = std::fs::read_to_string(s.ws().join("Cargo.toml")).unwrap();
    assert!(root.contains("vulnlib = { version = \"0.4.1\" }"), "{root}");
    assert_eq!(s.locked("vulnlib"), ["0.4.1"]);
    assert_fixed(&s, "RUSTSEC-2099-0009");
}

#[test]
fn git_or_path_dependent_cannot_be_bumped_via_the_registry() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    // A path dependency outside the workspace folder is not a member.
    s.write(
        "../localdep/Cargo.toml",
        "[package]\nname = \"localdep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nvulnlib = \"=0.3.1\"\n",
    );
    s.write("../localdep/src/lib.rs", "");
    s.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\nlocaldep = { path = \"../localdep\" }\n",
    );
    s.write("src/lib.rs", "");
    s.lock();
    s.publish("vulnlib", "0.3.2", &[]);
    s.advisory("RUSTSEC-2099-0010", "vulnlib", &[">=0.3.2"], &[]);
    let report = s.audit();
    let r = remediation(&report, "RUSTSEC-2099-0010");
    assert_eq!(r["verified"], false, "{r:#}");
    assert!(
        r["explanation"]
            .as_str()
            .unwrap()
            .contains("cannot be bumped via the registry"),
        "{r:#}"
    );
    // The precise update is tried, cargo refuses it (localdep pins =0.3.1), and the
    // step is rolled back: the lockfile is byte for byte what it was.
    let before = std::fs::read(s.ws().join("Cargo.lock")).unwrap();
    let r = s.depaudit(&["fix", "-n", "--json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let out = r.json();
    let undone =
        out["refused"].as_array().unwrap().len() + out["rolled_back"].as_array().unwrap().len();
    assert!(undone >= 1, "{out:#}");
    assert_eq!(out["fixed"], serde_json::json!([]), "{out:#}");
    assert_eq!(std::fs::read(s.ws().join("Cargo.lock")).unwrap(), before);
}

#[test]
fn g_the_bump_is_found_two_levels_up() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "^0.3", "normal")]);
    s.publish("top", "1.0.0", &[Dep("mid", "=1.0.0", "normal")]);
    s.app("top = \"1\"\n");
    s.lock();
    s.publish("vulnlib", "0.4.1", &[]);
    s.publish("mid", "1.1.0", &[Dep("vulnlib", "^0.4.1", "normal")]);
    s.publish("top", "1.0.1", &[Dep("mid", "=1.0.0", "normal")]);
    s.publish("top", "1.1.0", &[Dep("mid", "^1.1", "normal")]);
    s.advisory("RUSTSEC-2099-0012", "vulnlib", &[">=0.4.1"], &[]);
    let report = s.audit();
    let r = remediation(&report, "RUSTSEC-2099-0012");
    assert_eq!(r["outcome"], "bump-parent", "{r:#}");
    assert_eq!(
        r["command"], "cargo update -p top@1.0.0 --precise 1.1.0",
        "{r:#}"
    );
    assert_eq!(r["verified"], true);
    fix(&s, &[]);
    assert_eq!(s.locked("vulnlib"), ["0.4.1"]);
    assert_fixed(&s, "RUSTSEC-2099-0012");
}

#[test]
fn h_two_members_one_pinned_one_flexible() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
    );
    for (m, req) in [("a", "=0.3.1"), ("b", "0.3")] {
        s.write(
            &format!("{m}/Cargo.toml"),
            &format!("[package]\nname = \"{m}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nvulnlib = \"{req}\"\n"),
        );
        s.write(&format!("{m}/src/lib.rs"), "");
    }
    s.lock();
    s.publish("vulnlib", "0.3.2", &[]);
    s.publish("vulnlib", "0.3.3", &[]);
    s.advisory("RUSTSEC-2099-0013", "vulnlib", &[">=0.3.2"], &[]);
    let report = s.audit();
    let r = remediation(&report, "RUSTSEC-2099-0013");
    assert_eq!(r["outcome"], "bump-parent", "{r:#}");
    assert_eq!(r["steps"].as_array().unwrap().len(), 2, "{r:#}");
    assert!(
        r["steps"][0]["manifest"]
            .as_str()
            .unwrap()
            .ends_with("a/Cargo.toml")
    );
    let r = s.depaudit(&["fix", "-n", "--json", "--allow-manifest-edits"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let out = r.json();
    assert!(out["rolled_back"].as_array().unwrap().is_empty(), "{out:#}");
    assert!(out["refused"].as_array().unwrap().is_empty(), "{out:#}");
    assert_fixed(&s, "RUSTSEC-2099-0013");
}

#[test]
fn dev_only_findings_are_dropped_with_exclude_dev_and_kinds_are_shown() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("testhelper", "1.0.0", &[Dep("vulnlib", "^0.3", "normal")]);
    s.app("\n[dev-dependencies]\ntesthelper = \"1\"\n");
    s.lock();
    s.advisory("RUSTSEC-2099-0011", "vulnlib", &[">=0.3.2"], &[]);
    let report = s.audit();
    let f = &report["findings"][0];
    assert_eq!(
        f["path_kinds"][0][0]["kinds"],
        serde_json::json!(["dev"]),
        "{f:#}"
    );
    let r = s.depaudit(&["audit", "-n", "--json", "--exclude-dev"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(vulns(&v).len(), 0);
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("dropped 1 finding")),
        "{v:#}"
    );
    // Lockfile-only mode has no member kinds: it says so and drops nothing.
    let r = s.depaudit(&["audit", "-n", "--json", "--exclude-dev", "--lockfile-only"]);
    assert_eq!(r.code, 1);
    let v = r.json();
    assert_eq!(vulns(&v).len(), 1);
    assert!(v["findings"][0]["path_kinds"][0][0].is_null(), "{v:#}");
    // `why` shows the same path and its dev step.
    let why = s.depaudit(&["why", "vulnlib"]);
    assert_eq!(why.code, 0, "{}", why.stderr);
    assert!(
        why.stdout
            .contains("app 0.1.0 → testhelper 1.0.0 (dev) → vulnlib 0.3.1"),
        "{}",
        why.stdout
    );
    let none = s.depaudit(&["why", "nosuchcrate"]);
    assert_eq!(none.code, 2);
}

#[test]
fn yanked_versions_in_the_replacing_registry_are_reported() {
    let s = Scenario::new();
    s.publish("oldlib", "1.0.0", &[]);
    s.app("oldlib = \"1\"\n");
    s.lock();
    // Yank it after the lockfile was made (rewrite its index line).
    let idx = s.registry().join("index/ol/dl/oldlib");
    let text = std::fs::read_to_string(&idx).unwrap();
    std::fs::write(&idx, text.replace("\"yanked\":false", "\"yanked\":true")).unwrap();
    let v = s.audit();
    let yanked: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "yanked")
        .map(|f| f["package"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(yanked, ["oldlib"], "{v:#}");
    let r = s.depaudit(&["audit", "-n", "--json", "--no-yanked"]);
    assert!(r.json()["findings"].as_array().unwrap().is_empty());
}

#[test]
fn crates_io_cache_yanked_flags_are_read_offline() {
    // A fake $CARGO_HOME with cargo's sparse cache file for one crate.
    let tmp = tempfile::tempdir().unwrap();
    crate::common::fake_index_cache(
        &tmp.path().join("home"),
        "sym",
        &[("1.0.0", true), ("1.0.1", false)],
    );
    let lock = tmp.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"sym\",\n \"other\",\n]\n\n[[package]]\nname = \"sym\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"other\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    let out = super::common::finish(
        std::process::Command::new(super::common::bin())
            .args(["-n", "--json", "--db"])
            .arg(super::common::fixture_db())
            .arg("--file")
            .arg(&lock)
            .env("CARGO_HOME", tmp.path().join("home"))
            .env("DEPAUDIT_CACHE_DIR", tmp.path().join("cache"))
            .output()
            .unwrap(),
    );
    let v = out.json();
    let yanked: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "yanked")
        .map(|f| f["package"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(yanked, ["sym"], "{v:#}");
    assert!(
        v["yanked_unknown"]
            .as_str()
            .unwrap()
            .contains("yanked status unknown for 1 crate"),
        "{v:#}"
    );
    assert!(
        !out.stderr.contains("yanked"),
        "not a warning: {}",
        out.stderr
    );
}

#[test]
fn a_dependent_missing_from_the_index_makes_the_plan_unverified() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "^0.3", "normal")]);
    s.app("mid = \"1\"\n");
    s.lock();
    s.publish("vulnlib", "0.3.2", &[]);
    std::fs::remove_file(s.registry().join("index/3/m/mid")).unwrap();
    s.advisory("RUSTSEC-2099-0014", "vulnlib", &[">=0.3.2"], &[]);
    let report = s.audit();
    let r = remediation(&report, "RUSTSEC-2099-0014");
    assert_eq!(r["outcome"], "lockfile-update", "{r:#}");
    assert_eq!(
        r["command"],
        "cargo update -p vulnlib@0.3.1 --precise 0.3.2"
    );
    assert_eq!(r["verified"], false, "mid's requirement was assumed: {r:#}");
    // The step from mid to vulnlib has no known kind without mid's index entry.
    let f = &report["findings"][0];
    assert!(f["path_kinds"][0][1].is_null(), "{f:#}");
}

/// A one-file-per-path HTTP server on 127.0.0.1 (a sparse index), counting requests.
fn serve(root: std::path::PathBuf) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let path = request
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let reply = match std::fs::read(root.join(path)) {
                Ok(body) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(&body);
                    r
                }
                Err(_) => {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_vec()
                }
            };
            let _ = stream.write_all(&reply);
        }
    });
    (format!("http://{addr}/"), hits)
}

#[test]
fn the_sparse_index_is_asked_only_with_online_index() {
    let s = Scenario::new();
    let index = s.tmp.path().join("sparse");
    let line = |name: &str, v: &str, deps: &str, yanked: bool| {
        format!(
            r#"{{"name":"{name}","vers":"{v}","deps":[{deps}],"cksum":"0","features":{{}},"yanked":{yanked}}}"#
        )
    };
    std::fs::create_dir_all(index.join("3/m")).unwrap();
    std::fs::create_dir_all(index.join("vu/ln")).unwrap();
    std::fs::write(
        index.join("3/m/mid"),
        line(
            "mid",
            "1.0.0",
            r#"{"name":"vulnlib","req":"^1","kind":"normal"}"#,
            false,
        ),
    )
    .unwrap();
    std::fs::write(
        index.join("vu/ln/vulnlib"),
        [
            line("vulnlib", "1.0.0", "", false),
            line("vulnlib", "1.0.1", "", true),
            line("vulnlib", "1.0.2", "", false),
        ]
        .join("\n"),
    )
    .unwrap();
    let (url, hits) = serve(index);
    // crates.io itself, not the scenario's local registry.
    std::fs::remove_file(s.ws().join(".cargo/config.toml")).unwrap();
    s.advisory("RUSTSEC-2099-0015", "vulnlib", &[">=1.0.1"], &[]);
    let src = "registry+https://github.com/rust-lang/crates.io-index";
    s.write(
        "Cargo.lock",
        &format!("version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"mid\",\n]\n\n[[package]]\nname = \"mid\"\nversion = \"1.0.0\"\nsource = \"{src}\"\ndependencies = [\n \"vulnlib\",\n]\n\n[[package]]\nname = \"vulnlib\"\nversion = \"1.0.0\"\nsource = \"{src}\"\n"),
    );
    let run = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(super::common::bin());
        cmd.args(["audit", "--json", "--no-yanked", "--file", "Cargo.lock"])
            .args(extra)
            .current_dir(s.ws())
            .env("CARGO_HOME", s.tmp.path().join("home"))
            .env("DEPAUDIT_CACHE_DIR", s.tmp.path().join("cache"))
            .env("DEPAUDIT_DB", s.db())
            .env("DEPAUDIT_SPARSE_INDEX_URL", &url);
        super::common::finish(cmd.output().unwrap())
    };
    let offline = run(&["-n"]);
    let r = remediation(&offline.json(), "RUSTSEC-2099-0015").clone();
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no request without the flag"
    );
    assert_eq!(
        r["command"],
        "cargo update -p vulnlib@1.0.0 --precise 1.0.1"
    );
    assert_eq!(r["verified"], false);

    let online = run(&["--online-index"]);
    let r = remediation(&online.json(), "RUSTSEC-2099-0015").clone();
    assert!(
        hits.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "mid and vulnlib asked"
    );
    assert_eq!(
        r["command"], "cargo update -p vulnlib@1.0.0 --precise 1.0.2",
        "the yanked 1.0.1 is skipped: {r:#}"
    );
    assert_eq!(r["verified"], true, "{r:#}");

    let both = run(&["--online-index", "--offline"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
}
