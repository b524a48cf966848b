//! `semver::Version` as text without the formatting machinery: a run writes a version
//! for every step of every path and every registry lookup, and `Display` costs several
//! hundred instructions each. The text is exactly `Display`'s (tested below).

/// Appends `v` as `Display` writes it: `major.minor.patch[-pre][+build]`.
pub fn push_version(out: &mut String, v: &semver::Version) {
    push_u64(out, v.major);
    out.push('.');
    push_u64(out, v.minor);
    out.push('.');
    push_u64(out, v.patch);
    if !v.pre.is_empty() {
        out.push('-');
        out.push_str(v.pre.as_str());
    }
    if !v.build.is_empty() {
        out.push('+');
        out.push_str(v.build.as_str());
    }
}

/// `v` as `Display` writes it.
pub fn version_text(v: &semver::Version) -> String {
    let mut s = String::with_capacity(16 + v.pre.as_str().len() + v.build.as_str().len());
    push_version(&mut s, v);
    s
}

/// `v` for `format!` and `to_string`: `Display`'s text, written by [`push_version`].
/// Padding and width flags are not applied.
pub struct Shown<'a>(pub &'a semver::Version);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&version_text(self.0))
    }
}

fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_display_writes() {
        let mut texts = vec![
            "0.0.0".to_string(),
            "1.2.3".into(),
            "18446744073709551615.0.10".into(),
            "1.0.0-alpha.1".into(),
            "1.0.0+build.5".into(),
            "2.10.100-rc.1+sha.deadbeef".into(),
            "0.3.0-0".into(),
        ];
        // And every version of every corpus lockfile, when the corpus is there.
        let corpus =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/lockfiles");
        for dir in std::fs::read_dir(corpus).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap_or_default();
            texts.extend(
                text.lines()
                    .filter_map(|l| l.strip_prefix("version = \""))
                    .map(|v| v.trim_end_matches('"').to_string()),
            );
        }
        let mut checked = 0;
        for t in &texts {
            if let Ok(v) = semver::Version::parse(t) {
                assert_eq!(version_text(&v), v.to_string(), "{t}");
                checked += 1;
            }
        }
        assert!(checked >= 7);
    }
}
