//! What a run reads, before anything is matched: the lockfile and its resolved graph
//! ([`lockfile`]), a compiled binary's embedded dependency list as such a lockfile
//! ([`binary`]), the workspace's members and manifests ([`workspace`], [`manifest`]),
//! the registry index cargo would use ([`registry`]), dependency and finding kinds
//! ([`depkind`], [`findingkind`]) and
//! the policy files ([`policy`]) with VEX files ([`vex`]) and package URLs ([`purl`]). Nothing here knows about advisories' findings beyond
//! the types it is handed.

pub mod binary;
pub mod depkind;
pub mod findingkind;
pub mod git;
pub mod lockfile;
pub mod manifest;
pub mod policy;
pub mod policy_import;
pub mod policy_rules;
pub mod purl;
pub mod registry;
pub mod sources;
pub mod vex;
pub mod workspace;
