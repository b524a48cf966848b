//! File names as reports show them. Names come from scanned repositories and may hold
//! any byte, so every format shows them escaped, never raw: bytes that are not UTF-8 are
//! written `\xNN` (distinct names stay distinct, and JSON stays valid), text formats also
//! escape control characters (a name must not start a new table row or send terminal
//! escape sequences), and SARIF gets a percent-encoded URI of the original bytes.

use std::path::Path;

/// A path as report text: UTF-8 as is, any other byte as `\xNN`. JSON escapes control
/// characters itself; text formats pass the result through [`for_text`].
pub fn display(p: &Path) -> String {
    let mut out = String::new();
    for chunk in p.as_os_str().as_encoded_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Text for a table, Markdown or a terminal line: control characters (newlines, tabs,
/// escape sequences) written as `\n`, `\t`, `\xNN` or `\u{NN}`.
pub fn for_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// One path segment for a URI: RFC 3986 unreserved characters and most sub-delimiters
/// as is, every other byte (spaces, `%`, `:`, non-ASCII, invalid UTF-8) as `%XX`.
pub fn uri_segment(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_per_format() {
        assert_eq!(display(Path::new("a b/Cargo.lock")), "a b/Cargo.lock");
        assert_eq!(
            for_text("a\nb\tc\u{1b}[2J\u{85}é"),
            "a\\nb\\tc\\x1b[2J\\u{85}é"
        );
        assert_eq!(uri_segment("a b%é:".as_bytes()), "a%20b%25%C3%A9%3A");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let p = Path::new(std::ffi::OsStr::from_bytes(b"x\xff\xfe/Cargo.lock"));
            assert_eq!(display(p), "x\\xff\\xfe/Cargo.lock");
            assert_eq!(uri_segment(b"x\xff"), "x%FF");
        }
    }
}
