//! `--online-index`: the crates.io sparse index over HTTPS, asked only for crates cargo's
//! local cache lacks, and only when the user passed the flag (never with `--offline`).
//! A failed request means "no data", never an error: remediation then says unverified.

use super::files::{index_rel_path, parse_json_lines};
use super::{IndexVersion, MAX_INDEX_FILE};
use std::time::Duration;

/// The crates.io sparse index (`DEPAUDIT_SPARSE_INDEX_URL` overrides it, for tests and
/// mirrors).
pub const CRATES_IO_SPARSE: &str = "https://index.crates.io/";

/// An index asked over the network, crate by crate (a trait object, so that code which
/// never makes one links no HTTP client: see the `net` module).
pub trait OnlineIndex: std::fmt::Debug + Send + Sync {
    /// Every published version of `name`, or `None` on any failure.
    fn versions(&self, name: &str) -> Option<Vec<IndexVersion>>;
}

/// A sparse index client.
#[derive(Debug)]
pub struct SparseIndex {
    base: String,
    #[cfg(feature = "online-index")]
    client: reqwest::blocking::Client,
}

impl SparseIndex {
    /// A client for the crates.io sparse index (or its override); `None` when this build
    /// has no HTTP client.
    pub fn crates_io() -> Option<SparseIndex> {
        let base = std::env::var("DEPAUDIT_SPARSE_INDEX_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| CRATES_IO_SPARSE.to_string());
        let base = if base.ends_with('/') {
            base
        } else {
            format!("{base}/")
        };
        #[cfg(feature = "online-index")]
        {
            let client = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .user_agent(concat!("cargo-depaudit/", env!("CARGO_PKG_VERSION")))
                .build()
                .ok()?;
            Some(SparseIndex { base, client })
        }
        #[cfg(not(feature = "online-index"))]
        {
            let _ = (base, Duration::ZERO);
            None
        }
    }
}

impl OnlineIndex for SparseIndex {
    fn versions(&self, name: &str) -> Option<Vec<IndexVersion>> {
        let rel = index_rel_path(name);
        let url = format!("{}{}", self.base, rel.to_string_lossy().replace('\\', "/"));
        #[cfg(feature = "online-index")]
        {
            use std::io::Read;
            let resp = self.client.get(&url).send().ok()?;
            if !resp.status().is_success() {
                return None;
            }
            let mut body = Vec::new();
            resp.take(MAX_INDEX_FILE + 1).read_to_end(&mut body).ok()?;
            if body.len() as u64 > MAX_INDEX_FILE {
                return None;
            }
            Some(parse_json_lines(&body))
        }
        #[cfg(not(feature = "online-index"))]
        {
            let _ = (url, MAX_INDEX_FILE, parse_json_lines as fn(&[u8]) -> _);
            None
        }
    }
}
