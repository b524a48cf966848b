//! Reachability against known answers: a vulnerable crate with affected `vuln::bad` and
//! `vuln::Parser::parse`, unpacked in a fake `$CARGO_HOME/registry/src`, reached (or not)
//! in each of the ways a dependent can. No verdict may be a false `not-referenced`.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

const ADVISORY: &str = r#"```toml
[advisory]
id = "RUSTSEC-2099-0100"
package = "vuln"
date = "2099-01-01"

[affected.functions]
"vuln::bad" = ["< 1.1.0"]
"vuln::Parser::parse" = ["< 1.1.0"]

[versions]
patched = [">= 1.1.0"]
```

# vuln's bad and Parser::parse are unsafe

Synthetic.
"#;

const VULN_LIB: &str = r#"
pub fn bad() {}
pub fn good() {}
pub struct Parser;
impl Parser {
    pub fn new() -> Parser { Parser }
    pub fn parse(&self) {}
}
#[macro_export]
macro_rules! call_bad { () => { $crate::bad() }; }
#[macro_export]
macro_rules! harmless { () => { $crate::good() }; }
"#;

/// (name, its dependencies, its lib.rs) of the registry crates besides vuln.
const REGISTRY: &[(&str, &[&str], &str)] = &[
    ("inter", &["vuln"], "pub fn go() { vuln::bad() }\n"),
    ("quiet", &["vuln"], "pub fn go() { vuln::good() }\n"),
    ("reexp1", &["vuln"], "pub use vuln::bad;\n"),
    ("reexp2", &["reexp1"], "pub use reexp1::bad;\n"),
    (
        "maker",
        &["vuln"],
        "pub fn make() -> vuln::Parser { vuln::Parser::new() }\n",
    ),
    ("other", &[], "pub fn bad() {}\n"),
];

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let src = dir
            .path()
            .join("home/registry/src/index.crates.io-1949cf8c6b5b557f");
        write(
            &src.join("vuln-1.0.0/Cargo.toml"),
            "[package]\nname = \"vuln\"\nversion = \"1.0.0\"\n",
        );
        write(&src.join("vuln-1.0.0/src/lib.rs"), VULN_LIB);
        for (name, deps, lib) in REGISTRY {
            let d = src.join(format!("{name}-1.0.0"));
            let mut manifest =
                format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\n\n[dependencies]\n");
            for dep in *deps {
                manifest.push_str(&format!("{dep} = \"1\"\n"));
            }
            write(&d.join("Cargo.toml"), &manifest);
            write(&d.join("src/lib.rs"), lib);
        }
        write(
            &dir.path().join("db/crates/vuln/RUSTSEC-2099-0100.md"),
            ADVISORY,
        );
        World { dir }
    }

    /// Audits an app whose code is `files` and which depends on `deps`.
    fn case(&self, deps: &[&str], files: &[(&str, &str)], extra: &[&str]) -> (Run, Value) {
        let app = tempfile::tempdir_in(self.dir.path()).unwrap();
        let mut manifest =
            String::from("[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\n");
        for d in deps {
            manifest.push_str(&format!("{d} = \"1\"\n"));
        }
        write(&app.path().join("Cargo.toml"), &manifest);
        for (rel, text) in files {
            write(&app.path().join(rel), text);
        }
        // The lockfile: app, its dependencies and theirs.
        let mut all: Vec<&str> = Vec::new();
        let mut stack: Vec<&str> = deps.to_vec();
        while let Some(d) = stack.pop() {
            if all.contains(&d) {
                continue;
            }
            all.push(d);
            if let Some((_, ds, _)) = REGISTRY.iter().find(|(n, _, _)| *n == d) {
                stack.extend(ds.iter().copied());
            }
        }
        all.sort();
        let mut lock = String::from(
            "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n",
        );
        for d in deps {
            lock.push_str(&format!(" \"{d}\",\n"));
        }
        lock.push_str("]\n");
        for p in &all {
            lock.push_str(&format!("\n[[package]]\nname = \"{p}\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"));
            let ds = REGISTRY
                .iter()
                .find(|(n, _, _)| n == p)
                .map_or(&[][..], |(_, d, _)| *d);
            if !ds.is_empty() {
                lock.push_str("dependencies = [\n");
                for d in ds {
                    lock.push_str(&format!(" \"{d}\",\n"));
                }
                lock.push_str("]\n");
            }
        }
        write(&app.path().join("Cargo.lock"), &lock);
        let out = std::process::Command::new(bin())
            .args(["-n", "--json", "--db"])
            .arg(self.dir.path().join("db"))
            .arg("-f")
            .arg(app.path().join("Cargo.lock"))
            .args(extra)
            .env("CARGO_HOME", self.dir.path().join("home"))
            .env("DEPAUDIT_CACHE_DIR", self.dir.path().join("cache"))
            .output()
            .unwrap();
        let run = finish(out);
        assert!(run.code < 2, "{}", run.stderr);
        let v = run.json();
        let _ = app.keep();
        (run, v)
    }
}

fn verdict(v: &Value) -> (String, Option<String>) {
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory"]["id"] == "RUSTSEC-2099-0100")
        .expect("the finding");
    let r = &f["reachability"];
    (
        r["state"].as_str().unwrap_or("none").to_string(),
        r["only_in"].as_str().map(String::from),
    )
}

/// (what, dependencies, files, expected state, expected only_in).
type Case<'a> = (
    &'a str,
    Vec<&'a str>,
    Vec<(&'a str, String)>,
    &'a str,
    Option<&'a str>,
);

#[test]
fn every_way_to_reach_an_affected_function_has_its_known_answer() {
    let w = World::new();
    let main = |body: &str| format!("fn main() {{ {body} }}\n");
    // (what, dependencies, files, expected state, expected only_in)
    let cases: Vec<Case> = vec![
        ("direct call", vec!["vuln"], vec![("src/main.rs", main("vuln::bad();"))], "referenced", None),
        ("through an intermediate crate", vec!["inter"], vec![("src/main.rs", main("inter::go();"))], "referenced", None),
        ("re-export chain two deep", vec!["reexp2"], vec![("src/main.rs", main("reexp2::bad();"))], "referenced", None),
        ("alias import", vec!["vuln"], vec![("src/main.rs", format!("use vuln::bad as b;\n{}", main("b();")))], "referenced", None),
        ("glob import", vec!["vuln"], vec![("src/main.rs", format!("use vuln::*;\n{}", main("bad();")))], "referenced", None),
        ("method call", vec!["vuln"], vec![("src/main.rs", main("let p = vuln::Parser::new(); p.parse();"))], "referenced", None),
        ("method on a value another crate made", vec!["maker"], vec![("src/main.rs", main("maker::make().parse();"))], "referenced", None),
        ("trait method", vec!["vuln"], vec![("src/main.rs", "trait P { fn parse(&self); }\nimpl P for u8 { fn parse(&self) {} }\nfn run<T: P>(t: T) { t.parse() }\nfn main() { run(vuln::Parser::new as u8); }\n".to_string())], "referenced", None),
        ("the vulnerable crate's macro", vec!["vuln"], vec![("src/main.rs", main("vuln::call_bad!();"))], "referenced", None),
        ("a macro_rules! of the app", vec!["vuln"], vec![("src/main.rs", format!("macro_rules! m {{ () => {{ vuln::bad() }} }}\n{}", main("m!();")))], "referenced", None),
        ("only in tests", vec!["vuln"], vec![("src/main.rs", format!("{}#[cfg(test)]\nmod tests {{ #[test] fn t() {{ vuln::bad(); }} }}\n", main("vuln::good();")))], "referenced", Some("test")),
        ("only in a build script", vec!["vuln"], vec![("src/main.rs", main("")), ("build.rs", main("vuln::bad();"))], "referenced", Some("build-script")),
        ("same-named function of another crate", vec!["vuln", "other"], vec![("src/main.rs", format!("use other::bad;\n{}", main("bad(); other::bad(); vuln::good();")))], "not-referenced", None),
        ("an unrelated function only", vec!["vuln"], vec![("src/main.rs", main("vuln::good(); vuln::harmless!();"))], "not-referenced", None),
        ("through an intermediate that never calls it", vec!["quiet"], vec![("src/main.rs", main("quiet::go();"))], "not-referenced", None),
        ("a re-export chain nobody calls", vec!["reexp2"], vec![("src/main.rs", main(""))], "not-referenced", None),
        ("nothing at all", vec!["vuln"], vec![("src/main.rs", main(""))], "not-referenced", None),
    ];
    let mut unused = 0;
    let mut classified = 0;
    for (what, deps, files, state, only) in &cases {
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let (_, v) = w.case(deps, &files, &[]);
        let (got, got_only) = verdict(&v);
        assert!(
            !(got == "not-referenced" && *state != "not-referenced"),
            "{what}: a false not-referenced: {v:#}"
        );
        assert_eq!(
            (got.as_str(), got_only.as_deref()),
            (*state, *only),
            "{what}: {v:#}"
        );
        if *state == "not-referenced" {
            unused += 1;
            classified += usize::from(got == "not-referenced");
        }
    }
    assert_eq!(classified, unused);
}

#[test]
fn missing_sources_make_it_unknown_and_the_gate_relaxes_only_not_referenced() {
    let w = World::new();
    // A dependent whose source is not on this machine.
    std::fs::remove_dir_all(
        w.dir
            .path()
            .join("home/registry/src/index.crates.io-1949cf8c6b5b557f/quiet-1.0.0"),
    )
    .unwrap();
    let (_, v) = w.case(
        &["quiet"],
        &[("src/main.rs", "fn main() { quiet::go(); }\n")],
        &[],
    );
    let f = &v["findings"][0]["reachability"];
    assert_eq!(f["state"], "unknown", "{v:#}");
    assert!(
        f["unknown_because"]
            .as_str()
            .unwrap()
            .contains("quiet 1.0.0"),
        "{v:#}"
    );
    // The gate: not-referenced passes (recorded as not affected), referenced and
    // unknown still fail.
    let gate = [("depaudit.toml", "reachability = \"gate\"\n")];
    let mut files = vec![("src/main.rs", "fn main() { vuln::good(); }\n")];
    files.extend(gate);
    let (run, v) = w.case(&["vuln"], &files, &[]);
    assert_eq!(run.code, 0, "{v:#}");
    assert_eq!(v["findings"][0]["ignored"], true);
    assert!(
        v["findings"][0]["ignore_origin"]
            .as_str()
            .unwrap()
            .contains("reachability")
    );
    let mut files = vec![("src/main.rs", "fn main() { vuln::bad(); }\n")];
    files.extend(gate);
    assert_eq!(w.case(&["vuln"], &files, &[]).0.code, 1);
    let mut files = vec![("src/main.rs", "fn main() { quiet::go(); }\n")];
    files.extend(gate);
    assert_eq!(
        w.case(&["quiet"], &files, &[]).0.code,
        1,
        "unknown relaxes nothing"
    );
    // Without the gate, not-referenced is only reported.
    let (run, _) = w.case(
        &["vuln"],
        &[("src/main.rs", "fn main() { vuln::good(); }\n")],
        &[],
    );
    assert_eq!(run.code, 1);
}

#[test]
fn hostile_sources_are_unknown_never_a_panic_and_links_are_not_followed() {
    let w = World::new();
    let (_, v) = w.case(
        &["vuln"],
        &[("src/main.rs", "fn main() { vuln::bad( }\n")],
        &[],
    );
    assert_eq!(verdict(&v).0, "unknown", "an unlexable file: {v:#}");
    let big = format!("fn main() {{}}\n//{}\n", "x".repeat(5 * 1024 * 1024));
    let (_, v) = w.case(&["vuln"], &[("src/main.rs", big.as_str())], &[]);
    assert_eq!(verdict(&v).0, "unknown", "a 5 MiB file: {v:#}");
    let (_, v) = w.case(
        &["vuln"],
        &[("src/main.rs", "fn main() {}\n\0\u{1b}[2J\n")],
        &[],
    );
    assert_ne!(verdict(&v).0, "none");
    // A link out of the crate is not read: its call does not count, and it is not an
    // error either.
    let outside = w.dir.path().join("outside.rs");
    std::fs::write(&outside, "pub fn f() { vuln::bad() }\n").unwrap();
    let app = tempfile::tempdir_in(w.dir.path()).unwrap();
    let link = app.path().join("link.rs");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let sources = cargo_depaudit::input::sources::read_rust_files(app.path()).unwrap();
    assert!(sources.is_empty(), "{sources:?}");
}

#[test]
fn sarif_points_at_the_calling_line_in_the_repository() {
    let w = World::new();
    let (_, v) = w.case(
        &["vuln", "inter"],
        &[(
            "src/main.rs",
            "fn main() {\n    inter::go();\n    vuln::bad();\n}\n",
        )],
        &[],
    );
    assert_eq!(verdict(&v).0, "referenced");
    let lock = v["lockfile"]["path"].as_str().unwrap().to_string();
    let out = std::process::Command::new(bin())
        .args(["-n", "--format", "sarif", "--db"])
        .arg(w.dir.path().join("db"))
        .args(["-f", &lock])
        .env("CARGO_HOME", w.dir.path().join("home"))
        .env("DEPAUDIT_CACHE_DIR", w.dir.path().join("cache"))
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    let related = result["relatedLocations"]
        .as_array()
        .expect("relatedLocations");
    // The app's own call, in the repository; inter's (in cargo's registry) is evidence
    // in the properties only.
    assert_eq!(related.len(), 1, "{result:#}");
    let loc = &related[0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "src/main.rs");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 3);
    let evidence = result["properties"]["reachability"]["evidence"]
        .as_array()
        .unwrap();
    assert!(
        evidence.iter().any(|e| e["crate"] == "inter 1.0.0"),
        "{result:#}"
    );
}

/// An ELF with the embedded list (app → vuln 1.0.0) and these function symbols.
fn elf_with_symbols(symbols: &[&str]) -> Vec<u8> {
    use object::write::{Object, Symbol, SymbolSection};
    let list = crate::binaries::dep_json(&[
        ("app", "0.1.0", "local", "runtime", &[1], true),
        ("vuln", "1.0.0", "crates.io", "runtime", &[], false),
    ]);
    let mut obj = Object::new(
        object::BinaryFormat::Elf,
        object::Architecture::X86_64,
        object::Endianness::Little,
    );
    let dep = obj.add_section(
        Vec::new(),
        b".dep-v0".to_vec(),
        object::SectionKind::ReadOnlyData,
    );
    obj.append_section_data(dep, &crate::binaries::zlib(&list), 1);
    let text = obj.add_section(Vec::new(), b".text".to_vec(), object::SectionKind::Text);
    let at = obj.append_section_data(text, &[0xc3; 16], 1);
    for (i, name) in symbols.iter().enumerate() {
        obj.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value: at + i as u64,
            size: 1,
            kind: object::SymbolKind::Text,
            scope: object::SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Section(text),
            flags: object::SymbolFlags::None,
        });
    }
    obj.write().unwrap()
}

#[test]
fn a_binary_says_whether_the_affected_symbols_are_in_it_and_relaxes_nothing() {
    let w = World::new();
    let state = |symbols: &[&str]| {
        let file = w.dir.path().join(format!("app-{}", symbols.len()));
        std::fs::write(&file, elf_with_symbols(symbols)).unwrap();
        let out = std::process::Command::new(bin())
            .args(["bin", "-n", "--json", "--db"])
            .arg(w.dir.path().join("db"))
            .arg(&file)
            .env("CARGO_HOME", w.dir.path().join("empty-home"))
            .env("DEPAUDIT_CACHE_DIR", w.dir.path().join("cache"))
            .output()
            .unwrap();
        let run = finish(out);
        assert_eq!(
            run.code, 1,
            "a vulnerability fails whatever the symbols: {}",
            run.stderr
        );
        let v = run.json();
        let r = &v["findings"][0]["reachability"];
        (
            r["binary"].as_str().unwrap_or("none").to_string(),
            r["state"].as_str().unwrap_or("none").to_string(),
        )
    };
    let (b, s) = state(&["_ZN4vuln3bad17h0123456789abcdefE", "main"]);
    assert_eq!((b.as_str(), s.as_str()), ("present-in-binary", "unknown"));
    let (b, _) = state(&["_RNvMs_NtCs1234_4vuln6Parser5parse", "main"]);
    assert_eq!(b, "present-in-binary", "v0 mangling of a method");
    let (b, _) = state(&[
        "_ZN4vuln4good17h0123456789abcdefE",
        "_ZN5other3bad17h0123456789abcdefE",
    ]);
    assert_eq!(b, "absent-from-binary", "another crate's bad is not vuln's");
    let (b, _) = state(&[]);
    assert_eq!(b, "no-symbols", "stripped: nothing to tell");
}
