//! Dependency paths: the chains from a root of the lockfile graph to a package, shortest
//! first. Roots are the workspace members when `cargo metadata` named them, else the
//! packages nothing depends on (in lockfile-only mode the dependency kinds — normal,
//! build, dev — are unknown, and reports say so rather than guess).
//!
//! The search is iterative (breadth-first distances, then an explicit-stack walk of the
//! shortest-path graph) so 10,000-deep chains and cycles cannot blow the stack, and it
//! stops after `limit` paths so a diamond-heavy graph cannot explode.

use crate::input::lockfile::Lockfile;
use std::collections::VecDeque;

/// A chain of package indices from a root to the target (inclusive).
pub type IndexPath = Vec<u32>;

/// The roots of the graph: the named members if any are found, else packages with no
/// dependents, else (all in cycles) the path packages, else the first package.
pub fn roots(lock: &Lockfile, members: Option<&[(String, String)]>) -> Vec<u32> {
    if let Some(members) = members {
        let named: Vec<u32> = (0..lock.packages.len() as u32)
            .filter(|&i| {
                let p = &lock.packages[i as usize];
                if p.source.is_some() {
                    return false;
                }
                let version = crate::version_text::version_text(&p.version);
                members.iter().any(|(n, v)| *n == p.name && *v == version)
            })
            .collect();
        if !named.is_empty() {
            return named;
        }
    }
    let free: Vec<u32> = (0..lock.packages.len() as u32)
        .filter(|&i| lock.graph.rdeps[i as usize].is_empty())
        .collect();
    if !free.is_empty() {
        return free;
    }
    let local: Vec<u32> = (0..lock.packages.len() as u32)
        .filter(|&i| lock.packages[i as usize].source.is_none())
        .collect();
    if !local.is_empty() {
        return local;
    }
    vec![0]
}

/// Up to `limit` shortest paths from any root to `target`, shortest first.
pub fn paths_to(lock: &Lockfile, roots: &[u32], target: u32, limit: usize) -> Vec<IndexPath> {
    let n = lock.packages.len();
    if target as usize >= n || limit == 0 {
        return Vec::new();
    }
    // Distance from every package to the target, walking dependents backwards.
    let mut dist = vec![u32::MAX; n];
    dist[target as usize] = 0;
    let mut queue = VecDeque::from([target]);
    while let Some(v) = queue.pop_front() {
        for &u in &lock.graph.rdeps[v as usize] {
            if dist[u as usize] == u32::MAX {
                dist[u as usize] = dist[v as usize] + 1;
                queue.push_back(u);
            }
        }
    }
    let mut starts: Vec<u32> = roots
        .iter()
        .copied()
        .filter(|&r| dist[r as usize] != u32::MAX)
        .collect();
    starts.sort_by_key(|&r| (dist[r as usize], r));
    starts.dedup();
    let mut out: Vec<IndexPath> = Vec::new();
    for root in starts {
        // Walk only edges that step one closer to the target: every path is shortest.
        let mut stack: Vec<(u32, usize)> = vec![(root, 0)];
        let mut path: Vec<u32> = vec![root];
        while let Some((v, next_child)) = stack.pop() {
            if v == target {
                out.push(path.clone());
                if out.len() >= limit {
                    out.sort_by_key(Vec::len);
                    return out;
                }
                path.pop();
                continue;
            }
            let children = &lock.graph.deps[v as usize];
            let d = dist[v as usize];
            let mut i = next_child;
            while i < children.len() && dist[children[i] as usize] != d.wrapping_sub(1) {
                i += 1;
            }
            if i < children.len() {
                stack.push((v, i + 1));
                stack.push((children[i], 0));
                path.push(children[i]);
            } else {
                path.pop();
            }
        }
    }
    out.sort_by_key(Vec::len);
    out
}

/// A path as `name version` labels.
pub fn labels(lock: &Lockfile, path: &[u32]) -> Vec<String> {
    path.iter()
        .map(|&i| lock.packages[i as usize].label())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::lockfile::parse_bytes;

    fn chain(n: usize) -> Lockfile {
        let mut text = String::from("version = 3\n");
        for i in 0..n {
            text.push_str(&format!(
                "\n[[package]]\nname = \"c{i}\"\nversion = \"1.0.0\"\n"
            ));
            if i + 1 < n {
                text.push_str(&format!("dependencies = [\n \"c{}\",\n]\n", i + 1));
            }
        }
        parse_bytes(text.as_bytes()).unwrap()
    }

    #[test]
    fn ten_thousand_deep_chain_does_not_overflow() {
        let lock = chain(10_000);
        let r = roots(&lock, None);
        assert_eq!(r, vec![0]);
        let p = paths_to(&lock, &r, 9_999, 3);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].len(), 10_000);
    }

    #[test]
    fn diamond_gives_both_shortest_paths_and_cycles_terminate() {
        let text = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"a\",\n \"b\",\n]\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"t\",\n]\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\ndependencies = [\n \"t\",\n]\n\n[[package]]\nname = \"t\"\nversion = \"1.0.0\"\ndependencies = [\n \"a\",\n]\n";
        let lock = parse_bytes(text.as_bytes()).unwrap();
        let r = roots(&lock, None);
        assert_eq!(r, vec![0]);
        let p = paths_to(&lock, &r, 3, 10);
        let labelled: Vec<_> = p.iter().map(|p| labels(&lock, p).join(" > ")).collect();
        assert_eq!(
            labelled,
            [
                "app 0.1.0 > a 1.0.0 > t 1.0.0",
                "app 0.1.0 > b 1.0.0 > t 1.0.0"
            ]
        );
        assert_eq!(paths_to(&lock, &r, 3, 1).len(), 1);
    }
}
