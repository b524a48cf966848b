//! Package URLs (`pkg:cargo/name@version`) for locked packages, as the SBOM and VEX
//! formats write them, and the reading of a purl a VEX file names.
//!
//! A crates.io package is `pkg:cargo/name@version`; a package from another registry
//! carries `?repository_url=` (the index URL), one from git `?vcs_url=` (`git+URL@commit`),
//! so the same name and version from two sources never share a purl. Path packages have
//! no source to name and get the plain form.

/// Lockfile sources that are crates.io.
const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// Is this lockfile source crates.io (or absent, for path packages)?
pub fn is_crates_io(source: Option<&str>) -> bool {
    source.is_none_or(|s| CRATES_IO.contains(&s))
}

/// Is this registry index URL (a purl's `repository_url`) crates.io's?
pub fn is_crates_io_index(url: &str) -> bool {
    let url = url.trim_end_matches('/');
    CRATES_IO.iter().any(|s| {
        s.split_once('+')
            .is_some_and(|(_, u)| u.trim_end_matches('/') == url)
    })
}

/// The qualifier naming a package's source, when it is not crates.io or a path:
/// (`repository_url`, index URL) or (`vcs_url`, `git+URL@commit`).
pub fn source_qualifier(source: Option<&str>) -> Option<(&'static str, String)> {
    let s = source?;
    if is_crates_io(Some(s)) {
        return None;
    }
    if let Some(rest) = s.strip_prefix("git+") {
        let (url, commit) = match rest.split_once('#') {
            Some((u, c)) => (u, Some(c)),
            None => (rest, None),
        };
        let url = url.split('?').next().unwrap_or(url);
        return Some((
            "vcs_url",
            match commit {
                Some(c) => format!("git+{url}@{c}"),
                None => format!("git+{url}"),
            },
        ));
    }
    let url = s
        .strip_prefix("registry+")
        .or_else(|| s.strip_prefix("sparse+"))
        .unwrap_or(s);
    Some(("repository_url", url.to_string()))
}

/// The purl of a locked package.
pub fn of(name: &str, version: &str, source: Option<&str>) -> String {
    let mut s = String::with_capacity(12 + name.len() + version.len());
    s.push_str("pkg:cargo/");
    encode_into(&mut s, name, b"");
    s.push('@');
    encode_into(&mut s, version, b"");
    if let Some((key, value)) = source_qualifier(source) {
        s.push('?');
        s.push_str(key);
        s.push('=');
        encode_into(&mut s, &value, b":/");
    }
    s
}

/// Percent-encodes everything but purl's unreserved characters and `keep`.
fn encode_into(out: &mut String, text: &str, keep: &[u8]) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A cargo purl as a VEX file names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CargoPurl {
    /// Crate name.
    pub name: String,
    /// Version, when the purl names one.
    pub version: Option<String>,
    /// Qualifiers (`key`, decoded value), sorted by key.
    pub qualifiers: Vec<(String, String)>,
}

impl CargoPurl {
    /// Reads `pkg:cargo/name[@version][?qualifiers]`. `None` for another package type,
    /// a namespace, a subpath or a malformed purl: such a purl names no crate we match.
    pub fn parse(purl: &str) -> Option<CargoPurl> {
        let rest = purl.trim().strip_prefix("pkg:")?;
        let rest = rest.trim_start_matches('/');
        let (ty, rest) = rest.split_once('/')?;
        if !ty.eq_ignore_ascii_case("cargo") || rest.contains('#') {
            return None;
        }
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        if path.contains('/') {
            return None;
        }
        let (name, version) = match path.split_once('@') {
            Some((n, v)) => (n, Some(decode(v)?)),
            None => (path, None),
        };
        let name = decode(name)?;
        if name.is_empty() || version.as_deref() == Some("") {
            return None;
        }
        let mut qualifiers = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=')?;
            qualifiers.push((k.to_ascii_lowercase(), decode(v)?));
        }
        qualifiers.sort();
        Some(CargoPurl {
            name,
            version,
            qualifiers,
        })
    }

    /// Does this purl name the locked package (name, version text, lockfile source)? The
    /// version must be equal when given; every qualifier must be one the package's own
    /// purl carries, so a purl for another registry's or a git crate names neither the
    /// crates.io one nor a different source.
    pub fn names(&self, name: &str, version: &str, source: Option<&str>) -> bool {
        if self.name != name || self.version.as_deref().is_some_and(|v| v != version) {
            return false;
        }
        let own = source_qualifier(source);
        self.qualifiers.iter().all(|(k, v)| {
            own.as_ref().is_some_and(|(ok, ov)| {
                ok == k && ov.trim_end_matches('/') == v.trim_end_matches('/')
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

    #[test]
    fn purls_of_each_source() {
        assert_eq!(of("serde", "1.0.0", Some(IO)), "pkg:cargo/serde@1.0.0");
        assert_eq!(
            of("serde", "1.0.0", Some("sparse+https://index.crates.io/")),
            "pkg:cargo/serde@1.0.0"
        );
        assert_eq!(of("app", "0.1.0", None), "pkg:cargo/app@0.1.0");
        assert_eq!(
            of("x", "1.0.0+build.5", Some(IO)),
            "pkg:cargo/x@1.0.0%2Bbuild.5"
        );
        assert_eq!(
            of(
                "x",
                "0.1.0",
                Some("git+https://github.com/o/x?branch=main#0123abc")
            ),
            "pkg:cargo/x@0.1.0?vcs_url=git%2Bhttps://github.com/o/x%400123abc"
        );
        assert_eq!(
            of("x", "0.1.0", Some("sparse+https://my.reg/index/")),
            "pkg:cargo/x@0.1.0?repository_url=https://my.reg/index/"
        );
    }

    #[test]
    fn parse_and_match() {
        let p = CargoPurl::parse("pkg:cargo/serde@1.0.0").unwrap();
        assert!(p.names("serde", "1.0.0", Some(IO)));
        assert!(!p.names("serde", "1.0.1", Some(IO)));
        assert!(!p.names("serde_json", "1.0.0", Some(IO)));
        let any = CargoPurl::parse("pkg:cargo/serde").unwrap();
        assert!(any.names("serde", "9.9.9", Some(IO)));
        let build = CargoPurl::parse(&of("x", "1.0.0+b", Some(IO))).unwrap();
        assert!(build.names("x", "1.0.0+b", Some(IO)));
        // A qualifier must be the package's own.
        let git = of("x", "0.1.0", Some("git+https://github.com/o/x#abc"));
        let parsed = CargoPurl::parse(&git).unwrap();
        assert!(parsed.names("x", "0.1.0", Some("git+https://github.com/o/x#abc")));
        assert!(!parsed.names("x", "0.1.0", Some(IO)));
        let other = CargoPurl::parse("pkg:cargo/x@0.1.0?repository_url=https://evil/").unwrap();
        assert!(!other.names("x", "0.1.0", Some(IO)));
        for bad in [
            "pkg:npm/serde@1.0.0",
            "pkg:cargo/ns/serde@1.0.0",
            "pkg:cargo/serde@1.0.0#src",
            "pkg:cargo/@1.0.0",
            "pkg:cargo/serde@",
            "pkg:cargo/serde@1%ZZ",
            "cargo/serde@1.0.0",
            "",
        ] {
            assert_eq!(CargoPurl::parse(bad), None, "{bad}");
        }
    }
}
