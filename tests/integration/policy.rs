//! The policy decides the exit code: ignores (with reasons, scope and expiry), stale
//! ignores, denied kinds, the severity threshold, targets, database age, scopes, crate
//! acceptances, what is imported from `cargo audit`'s and `cargo deny`'s files, and
//! configuration errors (always exit 2).

use crate::fixture::{Ws, finding, ids};

const ALL_VULNS: [&str; 4] = [
    "RUSTSEC-2023-9001",
    "RUSTSEC-2023-9002",
    "RUSTSEC-2023-9003",
    "RUSTSEC-2023-9006",
];

fn ignore_entry(id: &str, until: Option<&str>) -> String {
    let until = until
        .map(|u| format!("until = \"{u}\"\n"))
        .unwrap_or_default();
    format!("[[ignore]]\nid = \"{id}\"\nreason = \"reviewed: {id} is not reachable\"\n{until}\n")
}

fn ignoring_all_vulns(extra_top: &str) -> String {
    let mut s = format!("{extra_top}\n");
    for id in ALL_VULNS {
        s.push_str(&ignore_entry(id, Some("2999-01-01")));
    }
    s
}

#[test]
fn without_a_policy_vulnerabilities_fail_and_warnings_do_not() {
    let ws = Ws::new();
    let (run, v) = ws.audit_json(&[]);
    assert_eq!(run.code, 1);
    let (reported, ignored) = ids(&v);
    assert_eq!(reported.len(), 6);
    assert!(ignored.is_empty());
    assert_eq!(v["summary"]["denied"], 4);
}

#[test]
fn ignores_from_the_policy_file_pass_the_run_and_are_explained() {
    let ws = Ws::new();
    ws.write("depaudit.toml", &ignoring_all_vulns(""));
    let (run, v) = ws.audit_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (_, ignored) = ids(&v);
    assert_eq!(ignored.len(), 4);
    let f = finding(&v, "RUSTSEC-2023-9001");
    assert_eq!(
        f["ignore_reason"],
        "reviewed: RUSTSEC-2023-9001 is not reachable"
    );
    assert_eq!(f["ignore_until"], "2999-01-01");
    assert!(
        f["ignore_origin"]
            .as_str()
            .unwrap()
            .ends_with("depaudit.toml")
    );
    assert_eq!(v["summary"]["ignored"], 4);
    assert_eq!(v["summary"]["denied"], 0);
}

#[test]
fn an_alias_ignores_its_advisory_and_scope_limits_it() {
    let ws = Ws::new();
    ws.write(
        "depaudit.toml",
        "[[ignore]]\nid = \"GHSA-2222-3333-4444\"\nreason = \"alias\"\n\n[[ignore]]\nid = \"RUSTSEC-2023-9002\"\nreason = \"only beta 0.4\"\ncrate = \"beta\"\nversion = \"<0.5\"\n",
    );
    let (_, v) = ws.audit_json(&[]);
    let (reported, ignored) = ids(&v);
    assert!(ignored.contains("RUSTSEC-2023-9001"));
    assert!(
        reported.contains("RUSTSEC-2023-9002"),
        "scope excludes beta 0.5.0"
    );
}

#[test]
fn an_expired_ignore_stops_ignoring_and_says_so() {
    let ws = Ws::new();
    let mut text = ignoring_all_vulns("");
    text = text.replacen("2999-01-01", "2020-01-31", 1); // the alpha entry
    ws.write("depaudit.toml", &text);
    let (run, v) = ws.audit_json(&[]);
    assert_eq!(run.code, 1, "alpha is no longer ignored");
    let f = finding(&v, "RUSTSEC-2023-9001");
    assert_eq!(f["ignored"], false);
    assert_eq!(f["ignore_expired"], "2020-01-31");
    assert!(
        run.stderr.contains("ignore for RUSTSEC-2023-9001 (")
            && run.stderr.contains("expired on 2020-01-31"),
        "{}",
        run.stderr
    );
    let notes = v["notes"].as_array().unwrap();
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .starts_with("ignore for RUSTSEC-2023-9001 expired on 2020-01-31")
    );
    let table = ws.audit(&[]);
    assert!(
        table
            .stdout
            .contains("vulnerability (ignore expired 2020-01-31)"),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains("note: ignore for RUSTSEC-2023-9001 expired on 2020-01-31")
    );
}

#[test]
fn stale_ignores_warn_and_fail_only_when_denied() {
    let ws = Ws::new();
    let mut text = ignoring_all_vulns("");
    text.push_str(&ignore_entry("RUSTSEC-2023-9001", None).replace("2023-9001", "2016-0001"));
    ws.write("depaudit.toml", &text);
    let (run, v) = ws.audit_json(&[]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("ignore for RUSTSEC-2016-0001 ("),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("matched no finding (stale)"));
    assert!(
        run.stderr.contains("names no advisory in the database"),
        "{}",
        run.stderr
    );
    assert_eq!(v["summary"]["stale_ignores"], 1);

    let run = ws.audit(&["--deny", "stale-ignores"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.starts_with("┌") || run.stdout.contains("FAIL"));

    ws.write(
        "depaudit.toml",
        &format!("deny = [\"stale-ignores\"]\n{text}"),
    );
    assert_eq!(ws.audit(&[]).code, 1);
}

#[test]
fn denied_kinds_from_the_file_and_flags() {
    let ws = Ws::new();
    ws.write(
        "depaudit.toml",
        &ignoring_all_vulns("deny = [\"unmaintained\"]"),
    );
    let run = ws.audit(&[]);
    assert_eq!(run.code, 1, "delta is unmaintained and denied");
    // --deny adds to the file's list: unmaintained stays denied.
    assert_eq!(ws.audit(&["--deny", "notice"]).code, 1);
    assert_eq!(ws.audit(&["--deny", "unsound"]).code, 1);
    ws.write("depaudit.toml", &ignoring_all_vulns(""));
    assert_eq!(ws.audit(&[]).code, 0);
    assert_eq!(ws.audit(&["--deny", "warnings"]).code, 1);
}

#[test]
fn severity_threshold_softens_low_findings_but_not_unscored_ones() {
    let ws = Ws::new();
    // Left: alpha (high), beta (low), gamma (no score); winonly ignored.
    let base = ignore_entry("RUSTSEC-2023-9006", None);
    ws.write(
        "depaudit.toml",
        &format!("severity-threshold = \"critical\"\n{base}"),
    );
    let (run, v) = ws.audit_json(&[]);
    assert_eq!(run.code, 1, "gamma has no severity, so it still fails");
    assert_eq!(v["summary"]["denied"], 1);
    assert_eq!(v["summary"]["vulnerabilities"], 3, "all still reported");

    ws.write(
        "depaudit.toml",
        &format!("severity-threshold = \"critical\"\nfail-without-severity = false\n{base}"),
    );
    assert_eq!(ws.audit(&[]).code, 0);
    // A flag overrides the file's threshold.
    assert_eq!(ws.audit(&["--severity-threshold", "high"]).code, 1);
    assert_eq!(ws.audit(&["--severity-threshold", "low"]).code, 1);
}

#[test]
fn targets_narrow_platform_specific_advisories() {
    let ws = Ws::new();
    ws.write("depaudit.toml", "target = [\"x86_64-unknown-linux-gnu\"]\n");
    let (_, v) = ws.audit_json(&[]);
    let (reported, _) = ids(&v);
    assert!(
        !reported.contains("RUSTSEC-2023-9006"),
        "windows-only advisory dropped"
    );
    assert!(reported.contains("RUSTSEC-2023-9001"));
    let (_, v) = ws.audit_json(&["--target", "x86_64-pc-windows-msvc"]);
    assert!(
        ids(&v).0.contains("RUSTSEC-2023-9006"),
        "the flag overrides the file"
    );
}

#[test]
fn max_db_age_from_file_and_flag() {
    let ws = Ws::new();
    // The fixture database's newest advisory is from 2023-03-01.
    ws.write("depaudit.toml", "max-db-age-days = 30\n");
    let run = ws.audit(&[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("more than the allowed 30 days"),
        "{}",
        run.stderr
    );
    // A flag never loosens the file's limit; a stricter flag applies.
    assert_eq!(ws.audit(&["--max-db-age", "1000000"]).code, 2);
    ws.write("depaudit.toml", "max-db-age-days = 1000000\n");
    assert_eq!(ws.audit(&[]).code, 1);
    assert_eq!(ws.audit(&["--max-db-age", "30"]).code, 2);
}

#[test]
fn cargo_audit_and_cargo_deny_ignores_are_imported() {
    let ws = Ws::new();
    ws.write(
        ".cargo/audit.toml",
        "[advisories]\nignore = [\"RUSTSEC-2023-9001\", \"CVE-2023-90001\"]\n[output]\nquiet = false\n",
    );
    ws.write(
        "deny.toml",
        "[advisories]\nversion = 2\nignore = [\"RUSTSEC-2023-9002\", { id = \"RUSTSEC-2023-9003\", reason = \"gamma: test only\" }]\n[licenses]\nallow = [\"MIT\"]\n",
    );
    // `version = 2` means what it means to cargo deny: unmaintained and unsound crates
    // (delta, epsilon) fail too.
    let (run, v) = ws.audit_json(&["--ignore", "RUSTSEC-2023-9006"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(v["summary"]["denied"], 2, "{v:#}");
    ws.write(
        "deny.toml",
        "[advisories]\nversion = 2\nunmaintained = \"none\"\nunsound = \"none\"\nignore = [\"RUSTSEC-2023-9002\", { id = \"RUSTSEC-2023-9003\", reason = \"gamma: test only\" }]\n[licenses]\nallow = [\"MIT\"]\n",
    );
    let (run, v) = ws.audit_json(&["--ignore", "RUSTSEC-2023-9006"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let origin = |id| {
        finding(&v, id)["ignore_origin"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(origin("RUSTSEC-2023-9001").ends_with("audit.toml"));
    assert!(origin("RUSTSEC-2023-9002").ends_with("deny.toml"));
    assert_eq!(
        finding(&v, "RUSTSEC-2023-9003")["ignore_reason"],
        "gamma: test only"
    );
    assert_eq!(origin("RUSTSEC-2023-9006"), "--ignore");
    // The alias entry in audit.toml covers the same finding as the id entry: not stale.
    assert!(!run.stderr.contains("stale"), "{}", run.stderr);
}

/// Runs with a broken depaudit.toml: exit 2 and one error line naming file, line, key.
fn config_error(text: &str) -> String {
    let ws = Ws::new();
    ws.write("depaudit.toml", text);
    let run = ws.audit(&[]);
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.is_empty(), "no report on a config error");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    lines[0].to_string()
}

#[test]
fn configuration_errors_exit_2_with_file_line_and_key() {
    let e = config_error("deny = []\nfail-on = [\"x\"]\n");
    assert!(
        e.starts_with("error: ") && e.contains("depaudit.toml:2: fail-on: unknown field"),
        "{e}"
    );
    let e = config_error(
        "[[ignore]]\nid = \"RUSTSEC-2023-9001\"\nreason = \"r\"\nuntil = \"2024-13-01\"\n",
    );
    assert!(
        e.contains("depaudit.toml:4: ignore.until: `2024-13-01` is not a date"),
        "{e}"
    );
    let e = config_error("\n[[ignore]]\nid = \"RUSTSEC-9001\"\nreason = \"r\"\n");
    assert!(
        e.contains("depaudit.toml:3: ignore.id: `RUSTSEC-9001` is not an advisory id"),
        "{e}"
    );
    let e = config_error("max-db-age-days = \"ten\"\n");
    assert!(e.contains("depaudit.toml:1: max-db-age-days:"), "{e}");
    let e = config_error("deny = [\"vulnerability\"\n");
    assert!(e.contains("depaudit.toml:"), "{e}");
    let e = config_error("[[ignore]]\nid = \"RUSTSEC-2023-9001\"\n");
    assert!(
        e.contains("ignore.reason: ignoring RUSTSEC-2023-9001 needs a `reason`"),
        "{e}"
    );
}

#[test]
fn a_missing_config_file_is_an_error_not_a_pass() {
    let ws = Ws::new();
    ws.write("depaudit.toml", &ignoring_all_vulns(""));
    let run = ws.audit(&["--config", "nope.toml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("failed to read nope.toml"),
        "{}",
        run.stderr
    );
    // An explicit --config replaces depaudit.toml.
    ws.write("other.toml", "deny = [\"unsound\"]\n");
    let (_, v) = ws.audit_json(&["--config", "other.toml"]);
    assert!(
        ids(&v).1.is_empty(),
        "depaudit.toml's ignores were not read"
    );
}

#[test]
fn policy_command_prints_the_effective_policy_with_sources() {
    let ws = Ws::new();
    ws.write(
        "depaudit.toml",
        &ignoring_all_vulns("severity-threshold = \"high\"\nexclude-dev = true"),
    );
    ws.write(
        "deny.toml",
        "[advisories]\nignore = [\"RUSTSEC-2023-9004\"]\n",
    );
    let run = ws.run_raw(&["policy", "--file", "Cargo.lock", "--deny", "yanked"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("deny = [\"vulnerability\", \"yanked\"]  # flag --deny"),
        "{out}"
    );
    assert!(
        out.contains("severity-threshold = \"high\"  # depaudit.toml"),
        "{out}"
    );
    assert!(
        out.contains("fail-without-severity = true  # default"),
        "{out}"
    );
    assert!(out.contains("exclude-dev = true  # depaudit.toml"), "{out}");
    assert!(
        out.contains("[[ignore]]  # deny.toml\nid = \"RUSTSEC-2023-9004\""),
        "{out}"
    );
    assert_eq!(out.matches("[[ignore]]").count(), 5);
    assert!(
        !run.stderr.contains("not applied"),
        "exclude-dev is applied now: {}",
        run.stderr
    );
    // The printed policy is itself a valid policy file (minus the imported ignore,
    // which has no reason).
    let own: String = out
        .split("\n\n[[ignore]]  # deny.toml")
        .next()
        .unwrap()
        .to_string();
    ws.write("again.toml", &own);
    let again = ws.run_raw(&["policy", "--file", "Cargo.lock", "--config", "again.toml"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
}

#[test]
fn a_flag_only_ever_tightens_the_files_gate() {
    let ws = Ws::new();
    // Every vulnerability ignored, plus one ignore that matches nothing (stale).
    let mut text = ignoring_all_vulns(
        "deny = [\"vulnerability\", \"unsound\", \"yanked\", \"stale-ignores\"]",
    );
    text.push_str(&ignore_entry("RUSTSEC-2023-9999", Some("2999-01-01")));
    ws.write("depaudit.toml", &text);
    let run = ws.audit(&[]);
    assert_eq!(run.code, 1, "unsound epsilon and the stale ignore fail");
    // Adding a kind keeps unsound and stale-ignores denied.
    for flags in [
        &["-D", "unmaintained"][..],
        &["-D", "warnings"],
        &["--deny", "notice"],
    ] {
        let run = ws.audit(flags);
        assert_eq!(run.code, 1, "{flags:?}: {}", run.stdout);
        let policy = ws.run_raw(&[&["policy", "--file", "Cargo.lock"][..], flags].concat());
        let out = &policy.stdout;
        for kind in ["\"unsound\"", "\"yanked\"", "\"stale-ignores\""] {
            let deny_line = out.lines().find(|l| l.starts_with("deny = ")).unwrap();
            assert!(deny_line.contains(kind), "{flags:?}: {out}");
            assert!(deny_line.contains("+ flag --deny"), "{flags:?}: {out}");
        }
    }
    // Only the stale ignore is left failing: the verdict names it.
    text = ignoring_all_vulns("deny = [\"vulnerability\", \"stale-ignores\"]");
    text.push_str(&ignore_entry("RUSTSEC-2023-9999", Some("2999-01-01")));
    ws.write("depaudit.toml", &text);
    let run = ws.audit(&["-D", "warnings"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let verdict = run.stdout.lines().find(|l| l.starts_with("FAIL")).unwrap();
    assert!(verdict.contains("1 stale ignore"), "{verdict}");
    let run = ws.audit(&[]);
    let verdict = run.stdout.lines().find(|l| l.starts_with("FAIL")).unwrap();
    assert!(
        verdict.starts_with("FAIL (1 stale ignore (stale-ignores is denied))"),
        "{verdict}"
    );
}

#[test]
fn an_ignore_that_expired_in_one_file_is_not_revived_by_another() {
    let ws = Ws::new();
    let mut text = String::new();
    for id in &ALL_VULNS[1..] {
        text.push_str(&ignore_entry(id, Some("2999-01-01")));
    }
    text.push_str(&ignore_entry("RUSTSEC-2023-9001", Some("2020-01-31")));
    ws.write("depaudit.toml", &text);
    ws.write(
        "deny.toml",
        "[advisories]\nignore = [{ id = \"RUSTSEC-2023-9001\", reason = \"accepted\" }]\n",
    );
    let (run, v) = ws.audit_json(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (reported, ignored) = ids(&v);
    assert!(reported.contains("RUSTSEC-2023-9001"), "{v:#}");
    assert!(!ignored.contains("RUSTSEC-2023-9001"), "{v:#}");
    let policy = ws.run_raw(&["policy", "--file", "Cargo.lock"]);
    assert!(
        policy
            .stdout
            .contains("conflicting ignores for RUSTSEC-2023-9001"),
        "{}",
        policy.stdout
    );
    // The stricter of two future dates bounds both.
    ws.write("depaudit.toml", &text.replace("2020-01-31", "2998-06-30"));
    let (run, v) = ws.audit_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        finding(&v, "RUSTSEC-2023-9001")["ignore_until"],
        "2998-06-30"
    );
}

/// The fixture lockfile with delta (unmaintained) moved under alpha: a transitive
/// dependency, while epsilon (unsound) stays direct.
fn delta_transitive(ws: &Ws) {
    let lock = ws.read("Cargo.lock");
    let lock = lock
        .replacen(" \"delta\",\n", "", 1)
        .replace(
            "name = \"alpha\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            "name = \"alpha\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\n \"delta\",\n]\n",
        );
    ws.write("Cargo.lock", &lock);
}

#[test]
fn scope_direct_limits_a_warning_kind_to_direct_dependencies() {
    let ws = Ws::new();
    let direct = ws.read("Cargo.lock");
    delta_transitive(&ws);
    let top = "deny = [\"unmaintained\", \"unsound\"]\n[scope]\nunmaintained = \"direct\"\nunsound = \"direct\"\n";
    ws.write("depaudit.toml", &ignoring_all_vulns(top));
    let (run, v) = ws.audit_json(&[]);
    // delta is two steps down: out of scope. epsilon is direct: in scope, and denied.
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (reported, _) = ids(&v);
    assert!(!reported.contains("RUSTSEC-2023-9004"), "{v:#}");
    assert!(reported.contains("RUSTSEC-2023-9005"), "{v:#}");
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("1 unmaintained finding(s)")),
        "{v:#}"
    );
    // Without the scope the transitive one counts again.
    ws.write(
        "depaudit.toml",
        &ignoring_all_vulns("deny = [\"unmaintained\"]\n"),
    );
    let (_, v) = ws.audit_json(&[]);
    assert!(ids(&v).0.contains("RUSTSEC-2023-9004"), "{v:#}");
    // A file that says `all` wins over one that says `direct`: the wider gate applies.
    ws.write("depaudit.toml", &ignoring_all_vulns(top));
    ws.write("deny.toml", "[advisories]\nunmaintained = \"all\"\n");
    let (_, v) = ws.audit_json(&[]);
    assert!(ids(&v).0.contains("RUSTSEC-2023-9004"), "{v:#}");
    let policy = ws.run_raw(&["policy", "--file", "Cargo.lock"]);
    assert!(
        policy.stdout.contains("scope of unmaintained"),
        "{}",
        policy.stdout
    );
    assert!(
        policy.stdout.contains("unsound = \"direct\""),
        "{}",
        policy.stdout
    );
    // cargo deny's `workspace` scope is read as `direct`.
    ws.write("depaudit.toml", &ignoring_all_vulns(""));
    ws.write("deny.toml", "[advisories]\nunmaintained = \"workspace\"\n");
    let (run, v) = ws.audit_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!ids(&v).0.contains("RUSTSEC-2023-9004"), "{v:#}");
    assert_eq!(
        ws.audit(&["--deny", "unmaintained"]).code,
        0,
        "the flag adds the kind, the scope stays"
    );
    ws.write("Cargo.lock", &direct);
    assert_eq!(ws.audit(&[]).code, 1, "delta is direct again: it fails");
}

#[test]
fn migration_honours_what_has_a_meaning_and_warns_about_the_rest() {
    let ws = Ws::new();
    ws.write(
        ".cargo/audit.toml",
        "[advisories]\nignorre = [\"RUSTSEC-2023-9001\"]\nseverity_threshold = \"high\"\n\n[output]\ndeny = [\"unsound\"]\nformat = \"json\"\n\n[target]\nos = [\"linux\"]\n",
    );
    let (run, v) = ws.audit_json(&[]);
    // The misspelled ignore ignores nothing, [target] drops winonly.
    let (reported, ignored) = ids(&v);
    assert!(ignored.is_empty(), "{v:#}");
    assert!(
        !reported.contains("RUSTSEC-2023-9006"),
        "windows-only, target os linux: {v:#}"
    );
    assert_eq!(run.code, 1);
    for want in [
        ".cargo/audit.toml:2: advisories.ignorre: not a cargo audit setting",
        ".cargo/audit.toml:7: output.format: not applied",
    ] {
        assert!(run.stderr.contains(want), "{want} not in {}", run.stderr);
    }
    // Denied: alpha (high), gamma (no score: still fails) and epsilon (unsound, from
    // [output] deny); not beta (low, under the threshold).
    assert_eq!(v["summary"]["denied"], 3, "{v:#}");
    let policy = ws.run_raw(&["policy", "--file", "Cargo.lock"]);
    assert_eq!(policy.code, 0, "{}", policy.stderr);
    for want in [
        "severity-threshold = \"high\"  # .cargo/audit.toml",
        "\"unsound\"]  # .cargo/audit.toml",
        "target_os [\"linux\"]",
        "# warning: .cargo/audit.toml:2: advisories.ignorre",
    ] {
        assert!(
            policy.stdout.contains(want),
            "{want} not in {}",
            policy.stdout
        );
    }
    // Written as a string instead of a list, an ignore is an error, not dropped.
    ws.write(
        ".cargo/audit.toml",
        "[advisories]\nignore = \"RUSTSEC-2023-9001\"\n",
    );
    let run = ws.audit(&[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("audit.toml:2: advisories.ignore: expected a list"),
        "{}",
        run.stderr
    );
}

/// A workspace whose lockfile has `sym` 1.0.0, yanked in a fake cargo index cache.
fn yanked_sym() -> (tempfile::TempDir, impl Fn(&[&str]) -> crate::common::Run) {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::fake_index_cache(
        &tmp.path().join("home"),
        "sym",
        &[("1.0.0", true), ("1.0.1", false)],
    );
    std::fs::create_dir(tmp.path().join("ws")).unwrap();
    std::fs::write(
        tmp.path().join("ws/Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"sym\",\n]\n\n[[package]]\nname = \"sym\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    let root = tmp.path().to_path_buf();
    let run = move |args: &[&str]| {
        crate::common::finish(
            std::process::Command::new(crate::common::bin())
                .args(["-n", "--json", "--db"])
                .arg(crate::common::fixture_db())
                .arg("--file")
                .arg(root.join("ws/Cargo.lock"))
                .args(args)
                .env("CARGO_HOME", root.join("home"))
                .env("DEPAUDIT_CACHE_DIR", root.join("cache"))
                .output()
                .unwrap(),
        )
    };
    (tmp, run)
}

#[test]
fn one_yanked_crate_can_be_accepted_in_each_file() {
    let (tmp, run) = yanked_sym();
    let ws = tmp.path().join("ws");
    let yanked = |v: &serde_json::Value| -> Vec<(String, bool)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "yanked")
            .map(|f| {
                (
                    f["package"]["name"].as_str().unwrap().to_string(),
                    f["ignored"] == true,
                )
            })
            .collect()
    };
    std::fs::write(ws.join("depaudit.toml"), "deny = [\"yanked\"]\n").unwrap();
    let out = run(&[]);
    assert_eq!(out.code, 1);
    assert_eq!(yanked(&out.json()), [("sym".to_string(), false)]);
    // depaudit.toml: a crate acceptance, `crate = "name@version"` (kind defaults to yanked).
    std::fs::write(
        ws.join("depaudit.toml"),
        "deny = [\"yanked\", \"stale-ignores\"]\n[[ignore]]\ncrate = \"sym@1.0.0\"\nreason = \"pinned until the vendor's fix\"\n",
    )
    .unwrap();
    let out = run(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(yanked(&out.json()), [("sym".to_string(), true)]);
    // Another version is not covered, and a stale acceptance fails like a stale ignore.
    std::fs::write(
        ws.join("depaudit.toml"),
        "deny = [\"yanked\", \"stale-ignores\"]\n[[ignore]]\ncrate = \"sym\"\nversion = \"1.0.1\"\nkind = \"yanked\"\nreason = \"x\"\n",
    )
    .unwrap();
    let out = run(&[]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("yanked sym =1.0.1"), "{}", out.stdout);
    // deny.toml's spelling, as cargo deny writes it.
    std::fs::write(ws.join("depaudit.toml"), "deny = [\"yanked\"]\n").unwrap();
    std::fs::write(
        ws.join("deny.toml"),
        "[advisories]\nignore = [\"sym@1.0.0\"]\n",
    )
    .unwrap();
    let out = run(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // An acceptance without a crate, or of a vulnerability by crate, is an error.
    std::fs::write(
        ws.join("depaudit.toml"),
        "[[ignore]]\ncrate = \"sym\"\nkind = \"vulnerability\"\nreason = \"x\"\n",
    )
    .unwrap();
    let out = run(&[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("depaudit.toml:3: ignore.kind"),
        "{}",
        out.stderr
    );
}

#[test]
fn three_files_and_flags_merge_toward_the_stricter_gate() {
    let ws = Ws::new();
    ws.write(
        "depaudit.toml",
        &ignoring_all_vulns(
            "deny = [\"unsound\"]\nseverity-threshold = \"critical\"\nmax-db-age-days = 99999\n",
        ),
    );
    ws.write(
        ".cargo/audit.toml",
        "[advisories]\nseverity_threshold = \"low\"\n[output]\ndeny = [\"unmaintained\"]\n",
    );
    ws.write(
        "deny.toml",
        "[advisories]\nyanked = \"deny\"\nmaximum-db-staleness = \"P99998D\"\n",
    );
    let policy = ws.run_raw(&[
        "policy",
        "--file",
        "Cargo.lock",
        "-D",
        "notice",
        "--severity-threshold",
        "high",
    ]);
    assert_eq!(policy.code, 0, "{}", policy.stderr);
    let out = &policy.stdout;
    let line = |key: &str| {
        out.lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("{key} in {out}"))
            .to_string()
    };
    let deny = line("deny = ");
    for k in ["unsound", "unmaintained", "yanked", "notice"] {
        assert!(deny.contains(k), "{deny}");
    }
    assert!(
        deny.contains("depaudit.toml + ")
            && deny.contains("audit.toml")
            && deny.contains("deny.toml")
            && deny.contains("flag --deny"),
        "{deny}"
    );
    // low (audit.toml) is stricter than critical (depaudit.toml) and the flag's high.
    let threshold = line("severity-threshold = ");
    assert!(
        threshold.starts_with("severity-threshold = \"low\"  # ")
            && threshold.ends_with("audit.toml"),
        "{threshold}"
    );
    assert!(
        line("max-db-age-days = ").starts_with("max-db-age-days = 99998  # "),
        "{out}"
    );
    assert!(out.contains("looser"), "{out}");
    // Delta (unmaintained) fails because audit.toml denies it, whatever depaudit.toml says.
    let (run, _) = ws.audit_json(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}
