//! Dependency edges of a lockfile. A `dependencies` entry names a package as `name`,
//! `name version` or `name version (source)` — only as much as cargo needs to make it
//! unambiguous — so each is resolved against the package list. Git sources are compared
//! without their `?query`/`#fragment`, because cargo writes the two sides differently.

use super::Package;
use std::collections::HashMap;

/// Resolved edges: `deps[i]` are the packages package `i` depends on; `rdeps` the reverse.
#[derive(Debug, Clone, Default)]
pub struct DepGraph {
    /// Forward edges.
    pub deps: Vec<Vec<u32>>,
    /// Reverse edges (who depends on package `i`).
    pub rdeps: Vec<Vec<u32>>,
    /// References that matched no package: `(package index, reference)`.
    pub unresolved: Vec<(u32, String)>,
}

impl DepGraph {
    /// Resolves every package's dependency references.
    pub fn resolve(packages: &[Package]) -> DepGraph {
        let mut by_name: HashMap<&str, Vec<u32>> = HashMap::with_capacity(packages.len());
        for (i, p) in packages.iter().enumerate() {
            by_name.entry(p.name.as_str()).or_default().push(i as u32);
        }
        let mut deps = vec![Vec::new(); packages.len()];
        let mut rdeps = vec![Vec::new(); packages.len()];
        let mut unresolved = Vec::new();
        let mut version_text: HashMap<u32, String> = HashMap::new();
        for (i, p) in packages.iter().enumerate() {
            for dep in &p.dependencies {
                match resolve_one(packages, &by_name, &mut version_text, dep) {
                    Some(j) => {
                        if !deps[i].contains(&j) {
                            deps[i].push(j);
                            rdeps[j as usize].push(i as u32);
                        }
                    }
                    None => unresolved.push((i as u32, dep.clone())),
                }
            }
        }
        DepGraph {
            deps,
            rdeps,
            unresolved,
        }
    }
}

fn resolve_one(
    packages: &[Package],
    by_name: &HashMap<&str, Vec<u32>>,
    version_text: &mut HashMap<u32, String>,
    dep: &str,
) -> Option<u32> {
    let mut parts = dep.splitn(3, ' ');
    let name = parts.next()?;
    let version = parts.next();
    let source = parts
        .next()
        .map(|s| s.trim().trim_start_matches('(').trim_end_matches(')'));
    let candidates = by_name.get(name)?;
    let mut matching = candidates.iter().copied().filter(|&c| {
        version.is_none_or(|v| {
            version_text
                .entry(c)
                .or_insert_with(|| packages[c as usize].version.to_string())
                == v
        })
    });
    let first = matching.next()?;
    let Some(source) = source else {
        return Some(first);
    };
    let rest: Vec<u32> = std::iter::once(first).chain(matching).collect();
    rest.iter()
        .copied()
        .find(|&c| packages[c as usize].source.as_deref() == Some(source))
        .or_else(|| {
            rest.iter().copied().find(|&c| {
                packages[c as usize]
                    .source
                    .as_deref()
                    .is_some_and(|s| strip_git(s) == strip_git(source))
            })
        })
        .or(Some(first))
}

fn strip_git(s: &str) -> &str {
    let s = s.split('#').next().unwrap_or(s);
    s.split('?').next().unwrap_or(s)
}
