//! The kinds of finding (vulnerability, unsound, unmaintained, notice, yanked): what the
//! findings model, the policy files and every report speak of, so it lives below all of
//! them.

use serde::Serialize;

/// What kind of problem a finding is. The order is the report order: vulnerabilities
/// first, then the warning kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// A security vulnerability.
    #[default]
    Vulnerability,
    /// Unsound API (informational).
    Unsound,
    /// Unmaintained crate (informational).
    Unmaintained,
    /// Other notice (informational).
    Notice,
    /// The locked version was yanked from the registry.
    Yanked,
}

impl FindingKind {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Unsound => "unsound",
            FindingKind::Unmaintained => "unmaintained",
            FindingKind::Notice => "notice",
            FindingKind::Yanked => "yanked",
        }
    }

    /// All kinds, in report order.
    pub const ALL: [FindingKind; 5] = [
        FindingKind::Vulnerability,
        FindingKind::Unsound,
        FindingKind::Unmaintained,
        FindingKind::Notice,
        FindingKind::Yanked,
    ];

    /// Parses a stable name.
    pub fn parse(s: &str) -> Option<Self> {
        FindingKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Is this one of the warning (non-vulnerability) kinds?
    pub fn is_warning(self) -> bool {
        self != FindingKind::Vulnerability
    }
}
