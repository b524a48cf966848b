//! The fast reader must agree with the `toml` crate whenever it answers: checked on every
//! corpus lockfile and on thousands of mutations of them (truncation, byte flips,
//! duplicated tables, inserted comments, escapes, CRLF), and parsing must never panic.

use super::*;

/// A tiny deterministic PRNG (xorshift) so the mutations are reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corpus() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/lockfiles");
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("Cargo.lock")).ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    if out.is_empty() {
        eprintln!("../shared/corpus absent: using the synthetic fixtures only");
    }
    for name in ["basic.lock", "lookalikes.lock"] {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/lockfiles")
            .join(name);
        out.push(std::fs::read_to_string(p).unwrap());
    }
    out
}

fn mutate(text: &str, rng: &mut Rng) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    let at = rng.below(b.len());
    match rng.below(9) {
        0 => b.truncate(at),
        1 => b[at] ^= 1 << rng.below(8),
        2 => {
            let chunk: Vec<u8> = b[at..(at + rng.below(400)).min(b.len())].to_vec();
            let to = rng.below(b.len());
            b.splice(to..to, chunk);
        }
        3 => b
            .splice(at..at, b"\n# comment \x01\n".iter().copied())
            .for_each(drop),
        4 => b.splice(at..at, b"\\\"".iter().copied()).for_each(drop),
        5 => {
            let s = String::from_utf8_lossy(&b).replace('\n', "\r\n");
            b = s.into_bytes();
        }
        6 => b
            .splice(at..at, b"\n[metadata]\n\"k\" = \"v\"\n".iter().copied())
            .for_each(drop),
        7 => b
            .splice(at..at, b" = [\n \"x\",\n]\n".iter().copied())
            .for_each(drop),
        _ => b
            .splice(
                at..at,
                b"\n[[package]]\nname = \"z\"\nversion = \"1.0.0\"\n"
                    .iter()
                    .copied(),
            )
            .for_each(drop),
    }
    b
}

#[test]
fn fast_reader_accepts_every_corpus_lockfile_and_agrees_with_toml() {
    for text in corpus() {
        let (fast, lines) =
            fast::parse_with_lines(&text).expect("canonical cargo output is in the fast subset");
        assert_eq!(Ok(fast.to_raw()), parse_raw_toml(&text));
        assert_eq!(lines, header_lines(&text));
        // Dependencies are resolved by comparing version texts, which is exact because a
        // valid semver version has one way to be written.
        for p in fast.root.iter().chain(&fast.packages) {
            assert_eq!(
                semver::Version::parse(p.version).unwrap().to_string(),
                p.version
            );
        }
    }
}

#[test]
fn fast_reader_agrees_with_toml_on_mutations_and_never_panics() {
    let cases = std::env::var("DEPAUDIT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400usize);
    let texts = corpus();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut agreed, mut fell_back) = (0, 0);
    for _ in 0..cases {
        let text = &texts[rng.below(texts.len())];
        let bytes = mutate(text, &mut rng);
        let _ = parse_bytes(&bytes); // must not panic
        let Ok(s) = std::str::from_utf8(&bytes) else {
            continue;
        };
        match fast::parse_with_lines(s) {
            Some((fast, lines)) => {
                assert_eq!(
                    Ok(fast.to_raw()),
                    parse_raw_toml(s),
                    "fast reader disagrees on:\n{s}"
                );
                assert_eq!(lines, header_lines(s), "header lines differ on:\n{s}");
                agreed += 1;
            }
            None => fell_back += 1,
        }
    }
    assert!(
        agreed > 0 && fell_back > 0,
        "both paths exercised ({agreed}/{fell_back})"
    );
}

#[test]
fn every_format_parses_with_roots_and_edges() {
    let v1_root = "[root]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"dep 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)\",\n]\n\n[[package]]\nname = \"dep\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[metadata]\n\"checksum dep 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)\" = \"abc\"\n";
    let l = parse_bytes(v1_root.as_bytes()).unwrap();
    assert_eq!(l.packages.len(), 2);
    assert_eq!(l.packages[0].name, "app");
    assert_eq!(l.packages[0].line, 1);
    assert_eq!(l.packages[1].line, 8);
    assert_eq!(l.graph.deps[0], vec![1]);
    assert_eq!(l.graph.rdeps[1], vec![0]);
    assert!(l.graph.unresolved.is_empty());
}

#[test]
fn ambiguous_names_resolve_by_version_and_source() {
    let text = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\ndependencies = [\n \"b 1.0.0\",\n \"b 2.0.0 (git+https://x/b?rev=1#1)\",\n]\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"git+https://x/b?rev=1#1\"\n";
    let l = parse_bytes(text.as_bytes()).unwrap();
    assert_eq!(l.graph.deps[0], vec![1, 2]);
}
