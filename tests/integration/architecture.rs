//! The layering of `src/` (docs/ARCHITECTURE.md), checked on the code itself: every
//! `crate::` path a file names is an import, a module only imports modules of lower
//! layers (or its own), and the files' imports form no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers from the bottom up; a top-level module may import only modules of a
/// lower layer, and its own submodules.
const LAYERS: &[&[&str]] = &[
    &["words", "version_text", "pathtext", "output", "progress"],
    &["input"],
    &["audit", "error"],
    &["report"],
    &["cli"],
    &["net"],
    &["prepare"],
    &["commands"],
    &["app"],
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its module path (`input::policy_rules`), leaving
/// out unit-test files and the binaries' bodies (which sit above every layer).
fn modules(dir: &Path, prefix: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if prefix.is_empty() && name == "bin" {
                continue;
            }
            let mut p = prefix.to_vec();
            p.push(name);
            modules(&path, &p, out);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            if stem == "tests" || (prefix.is_empty() && ["main", "entry", "lib"].contains(&stem)) {
                continue;
            }
            let mut p = prefix.to_vec();
            if stem != "mod" {
                p.push(stem.to_string());
            }
            out.push((p, path));
        }
    }
}

/// The code of a file without its `#[cfg(test)]` module (tests may reach anywhere)
/// and without comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file names with `crate::`, including grouped imports
/// (`use crate::a::{b, c::d}`), each as far as its segments are lower-case names.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
        {
            continue; // `advisories_cache::…`, `$crate::`
        }
        let rest = &code[at + "crate::".len()..];
        let mut path = Vec::new();
        let mut r = rest;
        loop {
            let end = r
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            let seg = &r[..end];
            if seg.is_empty() {
                // `{a, b::c}`: each member of the group is a path of its own.
                if let Some(group) = r.strip_prefix('{') {
                    let close = group.find('}').unwrap_or(group.len());
                    for member in group[..close].split(',') {
                        let member = member.trim();
                        let mut p = path.clone();
                        p.extend(
                            member
                                .split("::")
                                .map(str::trim)
                                .take_while(|s| {
                                    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                                })
                                .map(str::to_string),
                        );
                        out.push(p);
                    }
                    path.clear();
                }
                break;
            }
            if !seg.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                break;
            }
            path.push(seg.to_string());
            match r[end..].strip_prefix("::") {
                Some(next) => r = next,
                None => break,
            }
        }
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

#[test]
fn no_module_imports_a_higher_layer_and_imports_form_no_cycle() {
    let mut files = Vec::new();
    modules(&src(), &[], &mut files);
    let known: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut upward = Vec::new();
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, path) in &files {
        let top = &module[0];
        let Some(mine) = layer_of(top) else {
            panic!(
                "{}: module `{top}` has no layer in this test",
                path.display()
            );
        };
        let edges = graph.entry(module.clone()).or_default();
        for p in crate_paths(&code(path)) {
            // The longest prefix that is a file of ours is what the path imports from.
            let Some(target) = (1..=p.len())
                .rev()
                .map(|n| p[..n].to_vec())
                .find(|m| known.contains(m))
            else {
                continue;
            };
            if &target[0] != top {
                match layer_of(&target[0]) {
                    Some(theirs) if theirs < mine => {}
                    _ => upward.push(format!("{} -> {}", module.join("::"), target.join("::"))),
                }
            }
            if &target != module {
                edges.insert(target);
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "imports that run up the layers: {upward:#?}"
    );

    // A cycle among files: depth-first search with the path on a stack.
    fn visit(
        m: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<String>> {
        state.insert(m.clone(), 1);
        stack.push(m.clone());
        for next in graph.get(m).into_iter().flatten() {
            match state.get(next) {
                Some(1) => {
                    let from = stack.iter().position(|s| s == next).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        stack[from..].iter().map(|s| s.join("::")).collect();
                    cycle.push(next.join("::"));
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(m.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in graph.keys() {
        if !state.contains_key(m) {
            let cycle = visit(m, &graph, &mut state, &mut Vec::new());
            assert!(
                cycle.is_none(),
                "imports in a cycle: {}",
                cycle.unwrap().join(" -> ")
            );
        }
    }
    // The check sees the layers it should: a real import of each kind is found.
    assert!(
        graph[&vec!["audit".to_string(), "remediation".to_string()]]
            .contains(&vec!["audit".to_string(), "findings".to_string()])
    );
}

#[test]
fn the_path_reader_sees_grouped_and_nested_imports() {
    let paths = crate_paths(
        "use crate::input::{lockfile::Lockfile, policy};\nlet x = crate::words::plural(1, \"a\", \"b\");\nadvisories_cache::crate::x;",
    );
    let want: Vec<Vec<String>> = [
        vec!["input", "lockfile"],
        vec!["input", "policy"],
        vec!["words", "plural"],
    ]
    .iter()
    .map(|p| p.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(paths, want);
}
