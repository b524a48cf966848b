//! Dependency edges of a lockfile. A `dependencies` entry names a package as `name`,
//! `name version` or `name version (source)` — only as much as cargo needs to make it
//! unambiguous — so each is resolved against the package list. Git sources are compared
//! without their `?query`/`#fragment`, because cargo writes the two sides differently.

use super::Pkg;
use super::fast::find_byte;
// hashbrown's default hasher (foldhash) is seeded at random per process, like std's
// SipHash, so a hostile lockfile cannot precompute collisions; it hashes a name ~5x
// faster (SipHash was 1.4M of the 15.7M instructions of a 1,128-package audit).
use hashbrown::HashMap;

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
    /// Resolves every package's dependency references (`deps_of`) against the packages
    /// as written. Versions are compared as written: a valid semver text is the one way
    /// to write its version, so this is the same as comparing parsed versions.
    pub fn resolve<'a, 'p>(
        packages: &[&'p Pkg<'a>],
        deps_of: impl Fn(&Pkg<'a>) -> &'p [&'a str],
    ) -> DepGraph {
        // Package indices sorted by name (cargo writes them so: the sort only checks),
        // and for each name the run of its candidates.
        let mut by_name: Vec<u32> = (0..packages.len() as u32).collect();
        by_name.sort_by(|&a, &b| packages[a as usize].name.cmp(packages[b as usize].name));
        let mut runs: HashMap<&str, (u32, u32)> =
            HashMap::with_capacity_and_hasher(packages.len(), Default::default());
        for (k, &i) in by_name.iter().enumerate() {
            runs.entry(packages[i as usize].name)
                .and_modify(|r| r.1 = k as u32 + 1)
                .or_insert((k as u32, k as u32 + 1));
        }
        let mut deps: Vec<Vec<u32>> = packages
            .iter()
            .map(|p| Vec::with_capacity(deps_of(p).len()))
            .collect();
        let mut unresolved = Vec::new();
        let mut in_degree = vec![0u32; packages.len()];
        // A reference is written the same way by every package that depends on that
        // package: each distinct one is resolved once.
        let mut resolved: HashMap<&str, Option<u32>> =
            HashMap::with_capacity_and_hasher(packages.len(), Default::default());
        for (i, p) in packages.iter().enumerate() {
            for &dep in deps_of(p) {
                let found = *resolved
                    .entry(dep)
                    .or_insert_with(|| resolve_one(packages, &by_name, &runs, dep));
                match found {
                    Some(j) => {
                        if !deps[i].contains(&j) {
                            deps[i].push(j);
                            in_degree[j as usize] += 1;
                        }
                    }
                    None => unresolved.push((i as u32, dep.to_string())),
                }
            }
        }
        let mut rdeps: Vec<Vec<u32>> = in_degree
            .iter()
            .map(|&n| Vec::with_capacity(n as usize))
            .collect();
        for (i, ds) in deps.iter().enumerate() {
            for &j in ds {
                rdeps[j as usize].push(i as u32);
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
    packages: &[&Pkg<'_>],
    by_name: &[u32],
    runs: &HashMap<&str, (u32, u32)>,
    dep: &str,
) -> Option<u32> {
    // `name`, `name version` or `name version (source)`
    let (name, rest) = match find_byte(dep.as_bytes(), b' ') {
        Some(i) => (&dep[..i], Some(&dep[i + 1..])),
        None => (dep, None),
    };
    let (version, source) = match rest.map(|r| (r, find_byte(r.as_bytes(), b' '))) {
        Some((r, Some(i))) => (Some(&r[..i]), Some(&r[i + 1..])),
        Some((r, None)) => (Some(r), None),
        None => (None, None),
    };
    let source = source.map(|s| s.trim().trim_start_matches('(').trim_end_matches(')'));
    let &(lo, hi) = runs.get(name)?;
    let candidates = by_name.get(lo as usize..hi as usize)?;
    let mut matching = candidates
        .iter()
        .copied()
        .filter(|&c| version.is_none_or(|v| packages[c as usize].version == v));
    let first = matching.next()?;
    let Some(source) = source else {
        return Some(first);
    };
    let rest: Vec<u32> = std::iter::once(first).chain(matching).collect();
    rest.iter()
        .copied()
        .find(|&c| packages[c as usize].source == Some(source))
        .or_else(|| {
            rest.iter().copied().find(|&c| {
                packages[c as usize]
                    .source
                    .is_some_and(|s| strip_git(s) == strip_git(source))
            })
        })
        .or(Some(first))
}

fn strip_git(s: &str) -> &str {
    let s = s.split('#').next().unwrap_or(s);
    s.split('?').next().unwrap_or(s)
}
