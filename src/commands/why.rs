//! `cargo depaudit why CRATE[@VERSION]`: the dependency paths from the roots to every
//! locked version of a crate, vulnerable or not, with each step's kind when known. No
//! database is needed.

use crate::audit::MAX_PATHS;
use crate::audit::findings::EdgeKind;
use crate::audit::paths;
use crate::audit::requirements::Requirements;
use crate::cli::WhyArgs;
use crate::error::{AppError, exit};
use crate::input::lockfile;
use crate::input::registry::Registry;
use crate::output::Output;
use crate::prepare::parse_paths_limit;
use serde::Serialize;

/// One locked version and how it is reached.
#[derive(Debug, Serialize)]
pub struct Reached {
    /// Version.
    pub version: String,
    /// Source (absent for path packages).
    pub source: Option<String>,
    /// Paths as `name version` labels, shortest first.
    pub paths: Vec<Vec<String>>,
    /// Step kinds per path (`None` where unknown).
    pub path_kinds: Vec<Vec<Option<EdgeKind>>>,
}

/// Runs `why`.
pub fn run(args: &WhyArgs, out: &mut Output) -> Result<i32, AppError> {
    let (name, version) = match args.spec.split_once('@') {
        Some((n, v)) => {
            let v = semver::Version::parse(v)
                .map_err(|e| AppError::Usage(format!("`{v}` is not a version: {e}")))?;
            (n, Some(v))
        }
        None => (args.spec.as_str(), None),
    };
    let limit = parse_paths_limit(&args.paths)?
        .unwrap_or(MAX_PATHS)
        .min(MAX_PATHS);
    let target = crate::input::workspace::resolve(
        args.file.as_deref(),
        args.manifest_path.as_deref(),
        args.lockfile_only,
    )?;
    let members = target.members();
    let lockfile_path = target.lockfile.clone();
    let workspace = target.workspace.as_ref();
    let lock = lockfile::load(&lockfile_path)?;
    let registry = Registry::for_workspace(Some(&target.config_dir()));
    let reqs = Requirements::new(&lock, workspace, Some(&registry));
    let roots = paths::roots(&lock, members.as_deref());
    let mut reached = Vec::new();
    for (i, p) in lock.packages.iter().enumerate() {
        if p.name != name || version.as_ref().is_some_and(|v| *v != p.version) {
            continue;
        }
        let index_paths = paths::paths_to(&lock, &roots, i as u32, limit);
        reached.push(Reached {
            version: p.version.to_string(),
            source: p.source.as_deref().map(String::from),
            paths: index_paths
                .iter()
                .map(|ip| paths::labels(&lock, ip))
                .collect(),
            path_kinds: index_paths
                .iter()
                .map(|ip| {
                    ip.windows(2)
                        .map(|w| crate::audit::edge_kind(&reqs, w[0], w[1]))
                        .collect()
                })
                .collect(),
        });
    }
    registry.save_digest();
    if reached.is_empty() {
        return Err(AppError::Usage(format!(
            "{} is not in {}",
            args.spec,
            lockfile_path.display()
        )));
    }
    if args.json {
        let v = serde_json::json!({
            "crate": name,
            "lockfile": lockfile_path.display().to_string(),
            "kinds_known": workspace.is_some(),
            "versions": reached,
        });
        out.stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ));
        return Ok(exit::OK);
    }
    let mut text = String::new();
    for r in &reached {
        text.push_str(&format!(
            "{name} {} ({} path{})\n",
            r.version,
            r.paths.len(),
            if r.paths.len() == 1 { "" } else { "s" }
        ));
        for (labels, kinds) in r.paths.iter().zip(&r.path_kinds) {
            text.push_str(&format!(
                "  {}\n",
                crate::report::render_path(labels, kinds)
            ));
        }
    }
    if workspace.is_none() {
        text.push_str(
            "note: read from Cargo.lock only: the members' dependency kinds are unknown\n",
        );
    }
    out.stdout(&text);
    Ok(exit::OK)
}
