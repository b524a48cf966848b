//! The kind of a dependency edge (normal, build, dev): what manifests, the registry
//! index and paths all speak of, so it lives below all of them.

/// A dependency kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepKind {
    /// `[dependencies]`.
    Normal,
    /// `[build-dependencies]`.
    Build,
    /// `[dev-dependencies]`.
    Dev,
}

impl DepKind {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Normal => "normal",
            DepKind::Build => "build",
            DepKind::Dev => "dev",
        }
    }

    /// From cargo's spelling (`None`/`normal`, `build`, `dev`).
    pub fn parse(s: Option<&str>) -> DepKind {
        match s {
            Some("dev") => DepKind::Dev,
            Some("build") => DepKind::Build,
            _ => DepKind::Normal,
        }
    }
}
