//! `fix` against the failure patterns seen on real workspaces, each rebuilt as a local
//! registry scenario: a target that needs its own dependencies moved, a third package
//! pinning one of them, features the target must offer, one crate required by several
//! members, plans that must be atomic, per-advisory plans, pre-releases, requirement
//! floors, semver-incompatible steps and the build check, dirty trees and bad input.

use super::localreg::{Dep, Extra, Scenario, remediation};

/// `fix -n --json` with `extra`, the exit code and the result.
fn fix(s: &Scenario, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["fix", "-n", "--json"];
    args.extend_from_slice(extra);
    let r = s.depaudit(&args);
    assert!(
        r.code == 0 || r.code == 1,
        "fix failed: {}{}",
        r.stdout,
        r.stderr
    );
    (r.code, r.json())
}

/// `fix --dry-run --json`: the plans, changing nothing.
fn plan(s: &Scenario) -> serde_json::Value {
    let r = s.depaudit(&["fix", "-n", "--dry-run", "--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r.json()
}

/// cargo accepts the lockfile as it is.
fn resolves(s: &Scenario) {
    let meta = s.cargo(&["metadata", "--locked", "--format-version", "1"]);
    assert_eq!(meta.code, 0, "cargo metadata --locked: {}", meta.stderr);
}

fn ids(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn lockfile(s: &Scenario) -> Vec<u8> {
    std::fs::read(s.ws().join("Cargo.lock")).unwrap()
}

#[test]
fn the_targets_own_requirements_move_along_with_it() {
    // url 2.5.1 needs a newer small (directly) and idna 1 (new to the graph), whose own
    // requirement on small is newer still: `--precise` alone would be refused.
    let s = Scenario::new();
    s.publish("small", "1.10.0", &[]);
    s.publish("idna", "0.2.3", &[Dep("small", "^1", "normal")]);
    s.publish(
        "url",
        "2.2.2",
        &[Dep("idna", "^0.2", "normal"), Dep("small", "^1", "normal")],
    );
    s.app("url = \"2\"\nsmall = \"1\"\n");
    s.lock();
    s.publish("small", "1.13.1", &[]);
    s.publish("small", "1.14.0", &[]);
    s.publish("idna", "1.0.0", &[Dep("small", "^1.13.1", "normal")]);
    s.publish(
        "url",
        "2.5.1",
        &[
            Dep("idna", "^1.0", "normal"),
            Dep("small", "^1.11", "normal"),
        ],
    );
    s.advisory("RUSTSEC-2099-0101", "url", &[">=2.5.1"], &[]);
    // fix's plan (an audit's suggestion leaves this to cargo).
    let r = &plan(&s)["plan"][0];
    assert_eq!(r["outcome"], "lockfile-update", "{r:#}");
    assert_eq!(
        r["commands"],
        serde_json::json!([
            "cargo update -p small@1.10.0 --precise 1.13.1",
            "cargo update -p url@2.2.2 --precise 2.5.1"
        ]),
        "{r:#}"
    );
    assert!(
        r["explanation"]
            .as_str()
            .unwrap()
            .contains("so small moves along: 1.10.0 → 1.13.1"),
        "{r:#}"
    );
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(ids(&out["fixed"]), ["RUSTSEC-2099-0101"], "{out:#}");
    assert!(out["refused"].as_array().unwrap().is_empty(), "{out:#}");
    assert_eq!(s.locked("url"), ["2.5.1"]);
    assert_eq!(s.locked("small"), ["1.13.1"]);
    resolves(&s);
}

#[test]
fn a_third_package_pinning_a_blocker_is_bumped_not_called_a_lockfile_update() {
    let s = Scenario::new();
    s.publish("memchr", "2.3.4", &[]);
    s.publish("regex", "1.4.6", &[Dep("memchr", "^2.2", "normal")]);
    s.publish("libproc", "1.0.0", &[Dep("memchr", "~2.3", "normal")]);
    s.app("regex = \"1\"\nlibproc = \"1\"\n");
    s.lock();
    s.publish("memchr", "2.4.1", &[]);
    s.publish("regex", "1.5.5", &[Dep("memchr", "^2.4", "normal")]);
    s.publish("libproc", "1.0.1", &[Dep("memchr", "~2.3", "normal")]);
    s.publish("libproc", "1.1.0", &[Dep("memchr", "^2.4", "normal")]);
    s.advisory("RUSTSEC-2099-0102", "regex", &[">=1.5.5"], &[]);
    let r = &plan(&s)["plan"][0];
    assert_eq!(r["outcome"], "bump-parent", "{r:#}");
    let cmd = r["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" && ");
    assert!(
        cmd.contains("cargo update -p libproc@1.0.0 --precise 1.1.0"),
        "{r:#}"
    );
    assert!(
        cmd.ends_with("cargo update -p regex@1.4.6 --precise 1.5.5"),
        "{r:#}"
    );
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(ids(&out["fixed"]), ["RUSTSEC-2099-0102"]);
    assert_eq!(s.locked("regex"), ["1.5.5"]);
    assert_eq!(s.locked("libproc"), ["1.1.0"]);
    resolves(&s);
}

#[test]
fn a_target_must_offer_every_feature_the_graph_enables() {
    let s = Scenario::new();
    let socks: &[(&str, &[&str])] = &[("socks", &[])];
    s.publish_crate(
        "ureq",
        "2.8.0",
        &[],
        &Extra {
            features: socks,
            ..Extra::default()
        },
    );
    s.app("ureq = { version = \"2\", features = [\"socks\"] }\n");
    s.lock();
    s.publish("ureq", "2.10.0", &[]); // patched, but without `socks`
    s.publish_crate(
        "ureq",
        "2.10.1",
        &[],
        &Extra {
            features: socks,
            ..Extra::default()
        },
    );
    s.advisory("RUSTSEC-2099-0103", "ureq", &[">=2.10.0"], &[]);
    let dry = s.depaudit(&["fix", "-n", "--dry-run", "--json"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let plan = dry.json();
    assert_eq!(
        plan["plan"][0]["commands"],
        serde_json::json!(["cargo update -p ureq@2.8.0 --precise 2.10.1"]),
        "{plan:#}"
    );
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 0, "{out:#}");
    assert!(out["refused"].as_array().unwrap().is_empty(), "{out:#}");
    assert_eq!(s.locked("ureq"), ["2.10.1"]);
    resolves(&s);
}

#[test]
fn one_crate_required_by_several_members_is_one_plan() {
    // Two members require git2 0.13, whose native library (links = "git2") may be in the
    // graph once: raising one member alone is refused, both together works.
    let s = Scenario::new();
    let links = |l| Extra {
        links: Some(l),
        ..Extra::default()
    };
    s.publish_crate("libgit2-sys", "0.12.26", &[], &links("git2"));
    s.publish(
        "git2",
        "0.13.25",
        &[Dep("libgit2-sys", "^0.12.26", "normal")],
    );
    s.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
    );
    for m in ["a", "b"] {
        s.write(
            &format!("{m}/Cargo.toml"),
            &format!("[package]\nname = \"{m}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ngit2 = \"0.13\"\n"),
        );
        s.write(&format!("{m}/src/lib.rs"), "");
    }
    s.lock();
    s.publish_crate("libgit2-sys", "0.13.5", &[], &links("git2"));
    s.publish("git2", "0.14.4", &[Dep("libgit2-sys", "^0.13.5", "normal")]);
    s.advisory("RUSTSEC-2099-0104", "libgit2-sys", &[">=0.13.5"], &[]);
    let report = s.audit();
    let r = remediation(&report, "RUSTSEC-2099-0104");
    let edits: Vec<&serde_json::Value> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "manifest-edit")
        .collect();
    assert_eq!(edits.len(), 2, "both members in one plan: {r:#}");
    assert_eq!(r["compatible"], false, "{r:#}");
    let (code, out) = fix(&s, &["--allow-breaking"]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["applied"].as_array().unwrap().len(), 1, "{out:#}");
    assert!(out["rolled_back"].as_array().unwrap().is_empty(), "{out:#}");
    assert_eq!(s.locked("libgit2-sys"), ["0.13.5"]);
    for m in ["a", "b"] {
        let text = std::fs::read_to_string(s.ws().join(m).join("Cargo.toml")).unwrap();
        assert!(text.contains("git2 = \"0.14.4\""), "{text}");
    }
    resolves(&s);
}

#[test]
fn a_plan_that_fails_part_way_is_rolled_back_whole() {
    // The plan moves small first, then url; url 2.5.1 needs a crate the registry does
    // not have, so its step fails and small must be back where it was.
    let s = Scenario::new();
    s.publish("small", "1.10.0", &[]);
    s.publish("url", "2.2.2", &[Dep("small", "^1", "normal")]);
    s.app("url = \"2\"\nsmall = \"1\"\n");
    s.lock();
    s.publish("small", "1.13.1", &[]);
    s.publish(
        "url",
        "2.5.1",
        &[
            Dep("small", "^1.13", "normal"),
            Dep("ghost", "^1", "normal"),
        ],
    );
    s.advisory("RUSTSEC-2099-0105", "url", &[">=2.5.1"], &[]);
    let r = &plan(&s)["plan"][0];
    assert_eq!(r["steps"].as_array().unwrap().len(), 2, "{r:#}");
    let before = lockfile(&s);
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 1, "{out:#}");
    let undone =
        out["refused"].as_array().unwrap().len() + out["rolled_back"].as_array().unwrap().len();
    assert!(undone >= 1, "{out:#}");
    assert!(out["fixed"].as_array().unwrap().is_empty(), "{out:#}");
    assert_eq!(lockfile(&s), before, "no partial plan is left behind");
    assert_eq!(s.locked("small"), ["1.10.0"]);
}

#[test]
fn each_advisory_gets_its_own_plan_when_no_version_clears_them_all() {
    let s = Scenario::new();
    s.publish("h2", "0.3.15", &[]);
    s.publish("hyper", "0.14.20", &[Dep("h2", "^0.3.9", "normal")]);
    s.app("hyper = \"0.14\"\n");
    s.lock();
    for v in ["0.3.17", "0.3.18", "0.3.20", "0.4.16"] {
        s.publish("h2", v, &[]);
    }
    s.publish("hyper", "0.14.21", &[Dep("h2", "^0.3.9", "normal")]);
    s.advisory("RUSTSEC-2099-0111", "h2", &[">=0.3.17"], &[]);
    s.advisory("RUSTSEC-2099-0112", "h2", &[">=0.3.18"], &[]);
    s.advisory("RUSTSEC-2099-0113", "h2", &[">=0.3.20"], &[]);
    s.advisory("RUSTSEC-2099-0114", "h2", &[">=0.4.16"], &[]);
    let report = s.audit();
    for id in [
        "RUSTSEC-2099-0111",
        "RUSTSEC-2099-0112",
        "RUSTSEC-2099-0113",
    ] {
        let r = remediation(&report, id);
        assert_eq!(r["outcome"], "lockfile-update", "{id}: {r:#}");
        assert_eq!(
            r["command"], "cargo update -p h2@0.3.15 --precise 0.3.20",
            "one target for the three: {r:#}"
        );
    }
    let r = remediation(&report, "RUSTSEC-2099-0114");
    assert_eq!(r["outcome"], "no-fix", "{r:#}");
    assert!(
        r["explanation"].as_str().unwrap().contains("hyper"),
        "{r:#}"
    );
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 1, "one stays open: {out:#}");
    assert_eq!(
        ids(&out["fixed"]),
        [
            "RUSTSEC-2099-0111",
            "RUSTSEC-2099-0112",
            "RUSTSEC-2099-0113"
        ]
    );
    assert_eq!(ids(&out["open"]), ["RUSTSEC-2099-0114"]);
    assert_eq!(out["open"][0]["outcome"], "no-fix");
    assert_eq!(s.locked("h2"), ["0.3.20"]);
}

#[test]
fn pre_releases_are_never_targets_unless_asked_for() {
    let s = Scenario::new();
    s.publish("vulnlib", "1.0.1", &[]);
    s.app("vulnlib = \"1\"\n");
    s.lock();
    s.publish("vulnlib", "1.0.2-rc.1", &[]);
    s.advisory("RUSTSEC-2099-0106", "vulnlib", &[">=1.0.2-rc.1"], &[]);
    let r = remediation(&s.audit(), "RUSTSEC-2099-0106").clone();
    assert_eq!(r["outcome"], "no-fix", "{r:#}");
    assert!(
        r["explanation"]
            .as_str()
            .unwrap()
            .contains("--allow-prerelease"),
        "{r:#}"
    );
    let dry = s
        .depaudit(&["fix", "-n", "--dry-run", "--json", "--allow-prerelease"])
        .json();
    // Planned (`"1"` admits no pre-release, so the member's requirement is raised),
    // and applied only with --allow-breaking: a pre-release promises no compatibility.
    let text = dry.to_string();
    assert!(
        text.contains("cargo add vulnlib@1.0.2-rc.1 -p app"),
        "{dry:#}"
    );
    assert!(text.contains("--allow-breaking"), "{dry:#}");
    // Once a release exists, it is chosen over the pre-release.
    s.publish("vulnlib", "1.0.2", &[]);
    let r = remediation(&s.audit(), "RUSTSEC-2099-0106").clone();
    assert_eq!(
        r["command"], "cargo update -p vulnlib@1.0.1 --precise 1.0.2",
        "{r:#}"
    );
}

#[test]
fn a_raised_requirement_excludes_every_vulnerable_version() {
    let s = Scenario::new();
    s.publish("time", "0.1.44", &[]);
    s.app("time = \"=0.1.44\"\n");
    s.lock();
    for v in ["0.2.0", "0.2.6", "0.2.7", "0.2.22", "0.2.23", "0.2.24"] {
        s.publish("time", v, &[]);
    }
    // Affected: below 0.2.23 except 0.2.0–0.2.6, as in RUSTSEC-2020-0071.
    s.advisory(
        "RUSTSEC-2099-0107",
        "time",
        &[">=0.2.23"],
        &[
            "=0.2.0", "=0.2.1", "=0.2.2", "=0.2.3", "=0.2.4", "=0.2.5", "=0.2.6",
        ],
    );
    let r = remediation(&s.audit(), "RUSTSEC-2099-0107").clone();
    assert_eq!(r["steps"][0]["action"], "manifest-edit", "{r:#}");
    assert_eq!(r["steps"][0]["to_req"], "0.2.23", "{r:#}");
    assert_eq!(r["steps"][0]["compatible"], false, "{r:#}");
    assert_eq!(r["command"], "cargo add time@0.2.23 -p app", "{r:#}");
}

#[test]
fn a_breaking_step_that_breaks_the_build_is_rolled_back() {
    let s = Scenario::new();
    let lib_v1 = Extra {
        lib: "pub fn now() -> u32 { 1 }\n",
        ..Extra::default()
    };
    s.publish_crate("clock", "0.1.44", &[], &lib_v1);
    s.app("clock = \"=0.1.44\"\n");
    s.write("src/lib.rs", "pub fn t() -> u32 { clock::now() }\n");
    s.lock();
    s.publish_crate(
        "clock",
        "0.2.23",
        &[],
        &Extra {
            lib: "pub fn now_utc() -> u32 { 2 }\n",
            ..Extra::default()
        },
    );
    s.advisory("RUSTSEC-2099-0108", "clock", &[">=0.2.23"], &[]);
    let manifest = std::fs::read(s.ws().join("Cargo.toml")).unwrap();
    let before = lockfile(&s);
    // Compatible mode leaves it, says why, and exits non-zero: a fix remains.
    let (code, out) = fix(&s, &["--allow-manifest-edits"]);
    assert_eq!(code, 1, "{out:#}");
    assert!(
        out["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("--allow-breaking"),
        "{out:#}"
    );
    // --allow-breaking applies it, cargo check fails, and everything is restored.
    let (code, out) = fix(&s, &["--allow-breaking"]);
    assert_eq!(code, 1, "{out:#}");
    assert_eq!(out["built_before"], true, "{out:#}");
    let rb = &out["rolled_back"][0];
    assert!(
        rb["reason"].as_str().unwrap().contains("no longer builds"),
        "{out:#}"
    );
    assert_eq!(lockfile(&s), before);
    assert_eq!(std::fs::read(s.ws().join("Cargo.toml")).unwrap(), manifest);
}

#[test]
fn a_plan_that_would_bring_in_an_advisory_is_not_made() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.4", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "=0.3.4", "normal")]);
    s.app("mid = \"1\"\n");
    s.lock();
    s.publish("vulnlib", "0.3.5", &[]);
    s.publish("newbad", "1.0.0", &[]);
    s.publish(
        "mid",
        "1.1.0",
        &[
            Dep("vulnlib", "^0.3.5", "normal"),
            Dep("newbad", "1", "normal"),
        ],
    );
    s.advisory("RUSTSEC-2099-0109", "vulnlib", &[">=0.3.5"], &[]);
    s.advisory("RUSTSEC-2099-0110", "newbad", &[], &[]);
    let before = lockfile(&s);
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 1, "{out:#}");
    // The only way out (mid 1.1.0) would bring in newbad and its advisory: fix says so
    // instead of trading one vulnerability for another.
    let why = out["no_fix"][0]["reason"].as_str().unwrap();
    assert!(
        why.contains("would bring in newbad 1.0.0, which RUSTSEC-2099-0110 affects"),
        "{out:#}"
    );
    assert!(out["applied"].as_array().unwrap().is_empty(), "{out:#}");
    assert_eq!(lockfile(&s), before);
    assert!(out["introduced"].as_array().unwrap().is_empty());
    assert_eq!(ids(&out["open"]), ["RUSTSEC-2099-0109"]);
}

#[test]
fn a_parent_release_that_drops_the_dependency_is_explained_as_such() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.4", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "=0.3.4", "normal")]);
    s.app("mid = \"1\"\n");
    s.lock();
    s.publish("vulnlib", "0.4.0", &[]);
    s.publish("mid", "1.1.0", &[]);
    s.advisory("RUSTSEC-2099-0115", "vulnlib", &[">=0.4.0"], &[]);
    let r = remediation(&s.audit(), "RUSTSEC-2099-0115").clone();
    let why = r["explanation"].as_str().unwrap();
    assert!(
        why.contains("bump mid 1.0.0 → 1.1.0 (which no longer depends on vulnlib)"),
        "{r:#}"
    );
    assert!(!why.contains("requirement then allows"), "{r:#}");
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 0, "{out:#}");
    assert!(s.locked("vulnlib").is_empty());
}

#[test]
fn informational_advisories_are_fixed_only_with_all() {
    let s = Scenario::new();
    s.publish("oldlib", "1.0.0", &[]);
    s.app("oldlib = \"1\"\n");
    s.lock();
    s.publish("oldlib", "1.0.1", &[]);
    s.advisory_with(
        "RUSTSEC-2099-0116",
        "oldlib",
        &[">=1.0.1"],
        &[],
        "informational = \"unsound\"\n",
    );
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 0, "{out:#}");
    assert!(out["applied"].as_array().unwrap().is_empty(), "{out:#}");
    assert_eq!(s.locked("oldlib"), ["1.0.0"]);
    let (_, out) = fix(&s, &["--all"]);
    assert_eq!(ids(&out["fixed"]), ["RUSTSEC-2099-0116"], "{out:#}");
    assert_eq!(s.locked("oldlib"), ["1.0.1"]);
}

#[test]
fn a_dirty_work_tree_is_not_edited_without_allow_dirty() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.app("vulnlib = \"0.3\"\n");
    s.lock();
    s.publish("vulnlib", "0.3.2", &[]);
    s.advisory("RUSTSEC-2099-0117", "vulnlib", &[">=0.3.2"], &[]);
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(s.ws())
            .output();
        o.is_ok_and(|o| o.status.success())
    };
    if !git(&["init", "-q"]) {
        eprintln!("skipping: no git");
        return;
    }
    assert!(git(&["add", "-A"]) && git(&["commit", "-q", "-m", "init"]));
    let manifest = s.ws().join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("# a change of the user's own\n");
    std::fs::write(&manifest, &text).unwrap();
    let before = lockfile(&s);
    let r = s.depaudit(&["fix", "-n"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("Cargo.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("--allow-dirty"), "{}", r.stderr);
    assert_eq!(lockfile(&s), before);
    let (code, _) = fix(&s, &["--allow-dirty"]);
    assert_eq!(code, 0);
    assert_eq!(s.locked("vulnlib"), ["0.3.2"]);
}

#[test]
fn bad_workspaces_get_one_line_exit_2_and_no_change() {
    let setup = || {
        let s = Scenario::new();
        s.publish("vulnlib", "0.3.1", &[]);
        s.publish("other", "1.0.0", &[]);
        s.app("vulnlib = \"0.3\"\n");
        s.lock();
        s.publish("vulnlib", "0.3.2", &[]);
        s.advisory("RUSTSEC-2099-0118", "vulnlib", &[">=0.3.2"], &[]);
        s
    };
    let check = |s: &Scenario, what: &str, needle: &str| {
        let before = lockfile(s);
        let manifest = std::fs::read(s.ws().join("Cargo.toml")).unwrap();
        let r = s.depaudit(&["fix", "-n"]);
        assert_eq!(r.code, 2, "{what}: {}{}", r.stdout, r.stderr);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{what}: {}", r.stderr);
        assert!(lines[0].contains(needle), "{what}: {}", r.stderr);
        assert_eq!(lockfile(s), before, "{what}");
        assert_eq!(
            std::fs::read(s.ws().join("Cargo.toml")).unwrap(),
            manifest,
            "{what}"
        );
    };
    // A lockfile out of date with its manifest.
    let s = setup();
    s.app("vulnlib = \"0.3\"\nother = \"1\"\n");
    check(&s, "stale lockfile", "Cargo.toml");
    // A manifest that is not TOML.
    let s = setup();
    s.write("Cargo.toml", "[package\nname = ");
    check(&s, "invalid manifest", "Cargo.toml");
    // A read-only lockfile (refused even for root).
    let s = setup();
    let lock = s.ws().join("Cargo.lock");
    let mut perm = std::fs::metadata(&lock).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&lock, perm).unwrap();
    check(&s, "read-only lockfile", "Cargo.lock");
    // An unreachable registry: the index is gone and cargo may not go online.
    let s = setup();
    std::fs::remove_dir_all(s.registry()).unwrap();
    check(&s, "no registry", "Cargo.toml");
}

#[test]
fn one_manifest_line_gets_one_target_for_every_advisory_it_fixes() {
    // git2's own advisory wants 0.15, libgit2-sys's wants git2 0.14: one edit to 0.15.
    let s = Scenario::new();
    s.publish("libgit2-sys", "0.12.26", &[]);
    s.publish(
        "git2",
        "0.13.25",
        &[Dep("libgit2-sys", "^0.12.26", "normal")],
    );
    s.app("git2 = \"0.13\"\n");
    s.lock();
    s.publish("libgit2-sys", "0.13.5", &[]);
    s.publish("git2", "0.14.4", &[Dep("libgit2-sys", "^0.13.5", "normal")]);
    s.publish("git2", "0.15.0", &[Dep("libgit2-sys", "^0.13.5", "normal")]);
    s.advisory("RUSTSEC-2099-0119", "libgit2-sys", &[">=0.13.5"], &[]);
    s.advisory("RUSTSEC-2099-0120", "git2", &[">=0.15.0"], &[]);
    let dry = s
        .depaudit(&["fix", "-n", "--dry-run", "--json", "--allow-breaking"])
        .json();
    assert_eq!(dry["plan"].as_array().unwrap().len(), 1, "{dry:#}");
    assert_eq!(
        dry["plan"][0]["commands"],
        serde_json::json!(["cargo add git2@0.15.0 -p app"]),
        "{dry:#}"
    );
    let (code, out) = fix(&s, &["--allow-breaking"]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        ids(&out["fixed"]),
        ["RUSTSEC-2099-0119", "RUSTSEC-2099-0120"],
        "{out:#}"
    );
    assert_eq!(out["applied"].as_array().unwrap().len(), 1, "{out:#}");
}

#[test]
fn a_no_fix_from_a_search_that_stopped_is_not_called_verified() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "=0.3.1", "normal")]);
    s.app("mid = \"1\"\n");
    s.lock();
    s.publish("vulnlib", "0.3.2", &[]);
    let report = |s: &Scenario| {
        s.advisory("RUSTSEC-2099-0121", "vulnlib", &[">=0.3.2"], &[]);
        remediation(&s.audit(), "RUSTSEC-2099-0121").clone()
    };
    // Every candidate tried, none reachable: a verified no-fix.
    let r = report(&s);
    assert_eq!(r["outcome"], "no-fix", "{r:#}");
    assert_eq!(r["verified"], true, "{r:#}");
    // More candidates than the search tries: it says where it stopped.
    for p in 3..=20 {
        s.publish("vulnlib", &format!("0.3.{p}"), &[]);
    }
    let r = report(&s);
    assert_eq!(r["outcome"], "no-fix", "{r:#}");
    assert_eq!(r["verified"], false, "{r:#}");
    assert!(
        r["explanation"].as_str().unwrap().contains("stopped at"),
        "{r:#}"
    );
}

#[test]
fn an_introduced_warning_is_listed_but_does_not_undo_a_fix() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.4", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "=0.3.4", "normal")]);
    s.app("mid = \"1\"\n");
    s.lock();
    s.publish("vulnlib", "0.3.5", &[]);
    s.publish("oldhelper", "1.0.0", &[]);
    s.publish(
        "mid",
        "1.1.0",
        &[
            Dep("vulnlib", "^0.3.5", "normal"),
            Dep("oldhelper", "1", "normal"),
        ],
    );
    s.advisory("RUSTSEC-2099-0122", "vulnlib", &[">=0.3.5"], &[]);
    s.advisory_with(
        "RUSTSEC-2099-0123",
        "oldhelper",
        &[],
        &[],
        "informational = \"unmaintained\"\n",
    );
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(ids(&out["fixed"]), ["RUSTSEC-2099-0122"], "{out:#}");
    assert_eq!(ids(&out["introduced"]), ["RUSTSEC-2099-0123"], "{out:#}");
    assert_eq!(out["introduced"][0]["kind"], "unmaintained");
    // Denied by the policy, the same introduction undoes the plan.
    s.write("depaudit.toml", "deny = [\"unmaintained\"]\n");
    // The same workspace with the fix undone by hand.
    let s2 = s;
    let r = s2.cargo(&["update", "-p", "mid", "--precise", "1.0.0"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (code, out) = fix(&s2, &[]);
    assert_eq!(code, 1, "{out:#}");
    assert!(
        out["rolled_back"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("RUSTSEC-2099-0123"),
        "{out:#}"
    );
}

#[test]
fn a_refused_target_is_not_the_end_while_another_candidate_exists() {
    let s = Scenario::new();
    s.publish("vulnlib", "0.3.1", &[]);
    s.publish("mid", "1.0.0", &[Dep("vulnlib", "^0.3", "normal")]);
    s.app("mid = \"1\"\n");
    s.lock();
    // 0.3.2 needs a crate the registry does not have: cargo refuses it.
    s.publish("vulnlib", "0.3.2", &[Dep("ghost", "^1", "normal")]);
    s.publish("vulnlib", "0.3.3", &[]);
    s.advisory("RUSTSEC-2099-0124", "vulnlib", &[">=0.3.2"], &[]);
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(ids(&out["fixed"]), ["RUSTSEC-2099-0124"], "{out:#}");
    assert_eq!(s.locked("vulnlib"), ["0.3.3"]);
    resolves(&s);
}

#[test]
fn a_crate_without_any_fix_is_left_behind_when_its_parent_moves_on() {
    let s = Scenario::new();
    s.publish("oldcrypto", "0.1.0", &[]);
    s.publish("mid", "1.0.0", &[Dep("oldcrypto", "0.1", "normal")]);
    s.app("mid = \"1\"\n");
    s.lock();
    s.publish("mid", "1.1.0", &[]); // no longer uses it
    s.advisory("RUSTSEC-2099-0125", "oldcrypto", &[], &[]);
    // The audit says what the advisory says: nothing patched.
    let r = remediation(&s.audit(), "RUSTSEC-2099-0125").clone();
    assert_eq!(r["outcome"], "no-fix", "{r:#}");
    // fix looks further: mid 1.1.0 takes it out of the graph.
    let dry = s.depaudit(&["fix", "-n", "--dry-run", "--json"]).json();
    assert_eq!(
        dry["plan"][0]["commands"],
        serde_json::json!(["cargo update -p mid@1.0.0 --precise 1.1.0"]),
        "{dry:#}"
    );
    let (code, out) = fix(&s, &[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(ids(&out["fixed"]), ["RUSTSEC-2099-0125"]);
    assert!(s.locked("oldcrypto").is_empty());
    resolves(&s);
}
