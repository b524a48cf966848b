use super::config::{IndexSource, crates_io_source};
use super::files::{
    Tail, entry_json, entry_yanked, index_rel_path, parse_cache_file, parse_json_lines, read_tail,
};
use super::*;
use std::path::PathBuf;

fn cache_bytes(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut b = vec![3u8];
    b.extend_from_slice(&2u32.to_le_bytes());
    b.extend_from_slice(b"etag: \"abc\"\0");
    for (v, json) in entries {
        b.extend_from_slice(v.as_bytes());
        b.push(0);
        b.extend_from_slice(json.as_bytes());
        b.push(0);
    }
    b
}

#[test]
fn large_cache_files_are_searched_piece_by_piece_like_whole_ones() {
    // Entries of uneven sizes (some longer than a piece), so matches and entries fall
    // across piece boundaries; one version is written twice (the last one wins).
    let mut entries: Vec<(String, String)> = Vec::new();
    for i in 0..900 {
        let v = format!("0.3.{i}");
        let pad = "f".repeat(if i % 97 == 0 {
            300_000
        } else {
            1_000 + (i * 37) % 3_000
        });
        entries.push((
            v.clone(),
            format!(r#"{{"vers":"{v}","deps":[],"features":"{pad}"}}"#),
        ));
    }
    entries.push(("0.3.5".into(), r#"{"vers":"0.3.5","yanked":true}"#.into()));
    let refs: Vec<(&str, &str)> = entries
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let bytes = cache_bytes(&refs);
    assert!(bytes.len() > 4 * 1024 * 1024);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("web-sys");
    std::fs::write(&file, &bytes).unwrap();
    let mut versions: Vec<String> = (0..900).step_by(7).map(|i| format!("0.3.{i}")).collect();
    versions.extend(
        [
            "0.3.0", "0.3.5", "0.3.97", "0.3.194", "0.3.899", "0.3.900", "0.3", "3.5",
        ]
        .map(String::from),
    );
    for v in &versions {
        let pieces = match read_tail(&file, v) {
            Tail::Entry(json) => Some(json),
            Tail::Absent => None,
            Tail::Whole(_) => panic!("a large file is not read whole"),
            Tail::Invalid => panic!("a valid file"),
        };
        assert_eq!(pieces.as_deref(), entry_json(&bytes, v), "version {v}");
    }
}

#[test]
fn index_paths_follow_cargo_layout() {
    assert_eq!(index_rel_path("a"), PathBuf::from("1/a"));
    assert_eq!(index_rel_path("ab"), PathBuf::from("2/ab"));
    assert_eq!(index_rel_path("Abc"), PathBuf::from("3/a/abc"));
    assert_eq!(
        index_rel_path("Serde_json"),
        PathBuf::from("se/rd/serde_json")
    );
}

#[test]
fn hostile_names_are_never_looked_up() {
    for name in ["../etc", "a/b", "", "x\0y", &"a".repeat(65)] {
        assert!(!valid_name(name), "{name:?}");
    }
    assert!(valid_name("serde_json-2"));
}

#[test]
fn cache_file_versions_deps_and_yanked() {
    let bytes = cache_bytes(&[
        (
            "0.1.0",
            r#"{"name":"h2","vers":"0.1.0","deps":[{"name":"bytes","req":"^0.4","kind":"normal","optional":false,"target":null},{"name":"tk","package":"tokio","req":"^1","kind":"dev","optional":false,"target":"cfg(unix)"}],"cksum":"x","features":{},"yanked":false}"#,
        ),
        (
            "0.1.1",
            r#"{"name":"h2","vers":"0.1.1","deps":[],"cksum":"x","features":{},"yanked":true}"#,
        ),
        ("0.1.2", "not json"),
    ]);
    let v = parse_cache_file(&bytes).unwrap();
    assert_eq!(v.len(), 2, "the malformed entry is skipped");
    assert_eq!(v[0].deps().len(), 2);
    assert_eq!(
        v[0].deps()[1].package,
        "tokio",
        "renamed deps use the real name"
    );
    assert_eq!(v[0].deps()[1].kind, DepKind::Dev);
    assert_eq!(v[0].deps()[1].target.as_deref(), Some("cfg(unix)"));
    assert!(v[1].yanked);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("h2");
    let cached_version_yanked = |path: &std::path::Path, v: &str| match read_tail(path, v) {
        Tail::Entry(json) => Some(entry_yanked(&json)),
        Tail::Whole(all) => entry_json(&all, v).map(entry_yanked),
        Tail::Absent | Tail::Invalid => None,
    };
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(cached_version_yanked(&file, "0.1.1"), Some(true));
    assert_eq!(cached_version_yanked(&file, "0.1.0"), Some(false));
    assert_eq!(
        cached_version_yanked(&file, "0.1"),
        None,
        "whole fields only"
    );
    assert_eq!(cached_version_yanked(&file, "9.9.9"), None);
    // Spaced JSON (another writer) is decoded properly.
    std::fs::write(
        &file,
        cache_bytes(&[("1.0.0", r#"{"vers": "1.0.0", "yanked" : true}"#)]),
    )
    .unwrap();
    assert_eq!(cached_version_yanked(&file, "1.0.0"), Some(true));
    // An entry far from the end is found by growing the chunk.
    let mut many: Vec<(String, String)> =
        vec![("0.0.1".into(), r#"{"vers":"0.0.1","yanked":true}"#.into())];
    for i in 0..5000 {
        let v = format!("1.0.{i}");
        let json = format!(
            r#"{{"vers":"{v}","deps":[],"yanked":false,"pad":"{}"}}"#,
            "x".repeat(40)
        );
        many.push((v, json));
    }
    let refs: Vec<(&str, &str)> = many.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    std::fs::write(&file, cache_bytes(&refs)).unwrap();
    assert!(std::fs::metadata(&file).unwrap().len() > 256 * 1024);
    assert_eq!(cached_version_yanked(&file, "0.0.1"), Some(true));
    assert_eq!(cached_version_yanked(&file, "1.0.4999"), Some(false));
    let mut old = bytes.clone();
    old[0] = 2;
    assert!(
        parse_cache_file(&old).is_none(),
        "another cache version is not trusted"
    );
    assert!(parse_cache_file(&bytes[..3]).is_none());
}

#[test]
fn json_lines_skip_blank_and_bad_lines() {
    let text = "{\"name\":\"a\",\"vers\":\"1.0.0\",\"deps\":[]}\n\n{bad\n{\"name\":\"a\",\"vers\":\"1.0.1\",\"deps\":[],\"yanked\":true}\n";
    let v = parse_json_lines(text.as_bytes());
    assert_eq!(v.len(), 2);
    assert!(v[1].yanked);
}

#[test]
fn source_replacement_is_followed_from_the_workspace_config() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(ws.join(".cargo")).unwrap();
    std::fs::create_dir_all(ws.join("sub")).unwrap();
    std::fs::write(
        ws.join(".cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"mirror\"\n[source.mirror]\nreplace-with = \"local\"\n[source.local]\nlocal-registry = \"reg\"\n",
    )
    .unwrap();
    let got = crates_io_source(Some(&ws.join("sub")));
    let ws_abs = std::fs::canonicalize(&ws).unwrap();
    assert_eq!(got, IndexSource::LocalRegistry(ws_abs.join("reg")));
    // A deeper file's `replace-with` wins over the outer one.
    std::fs::create_dir_all(ws.join("sub/.cargo")).unwrap();
    std::fs::write(
        ws.join("sub/.cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"vendored\"\n[source.vendored]\ndirectory = \"vendor\"\n",
    )
    .unwrap();
    assert_eq!(
        crates_io_source(Some(&ws.join("sub"))),
        IndexSource::Directory(ws_abs.join("sub/vendor"))
    );
}

#[test]
fn local_registry_index_is_read_and_memoised() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("index/3/f");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("foo"),
        "{\"name\":\"foo\",\"vers\":\"0.2.0\",\"deps\":[]}\n{\"name\":\"foo\",\"vers\":\"0.1.0\",\"deps\":[]}\n",
    )
    .unwrap();
    let reg = Registry::new(IndexSource::LocalRegistry(tmp.path().to_path_buf()));
    let v = reg.versions("foo").unwrap();
    let names: Vec<String> = v.iter().map(|v| v.version.to_string()).collect();
    assert_eq!(names, ["0.1.0", "0.2.0"], "sorted oldest first");
    assert!(reg.versions("bar").is_none());
    assert_eq!(
        reg.is_yanked("foo", &semver::Version::new(0, 2, 0)),
        Some(false)
    );
}

/// Mutated cache files, index lines, cargo configs and manifests: every reader ends in
/// an answer or "no data", never a panic. `DEPAUDIT_FUZZ_CASES` raises the count.
#[test]
fn mutated_registry_inputs_never_panic() {
    let cases: usize = std::env::var("DEPAUDIT_FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(400);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let base = cache_bytes(&[
        (
            "0.1.0",
            r#"{"name":"h2","vers":"0.1.0","deps":[{"name":"bytes","req":"^0.4","kind":"normal","optional":false,"target":"cfg(unix)"}],"yanked":false}"#,
        ),
        (
            "0.1.1",
            r#"{"name":"h2","vers":"0.1.1","deps":[],"yanked":true}"#,
        ),
    ]);
    let config = b"[source.crates-io]\nreplace-with = \"x\"\n[source.x]\nlocal-registry = \"r\"\n[registries.crates-io]\nprotocol = \"git\"\n".to_vec();
    let manifest = b"[package]\nname = \"a\"\nversion = \"0.1.0\"\n[dependencies]\nfoo = { version = \"1\", workspace = true }\n[target.'cfg(unix)'.dev-dependencies]\nbar = \"2\"\n".to_vec();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("cachefile");
    std::fs::create_dir_all(tmp.path().join("ws/.cargo")).unwrap();
    for _ in 0..cases {
        for (which, original) in [&base, &config, &manifest].into_iter().enumerate() {
            let mut b = original.clone();
            match next() % 5 {
                0 => b.truncate((next() as usize) % (b.len() + 1)),
                1 => {
                    for _ in 0..1 + next() % 8 {
                        let at = (next() as usize) % b.len().max(1);
                        if let Some(x) = b.get_mut(at) {
                            *x ^= 1 << (next() % 8);
                        }
                    }
                }
                2 => {
                    let at = (next() as usize) % (b.len() + 1);
                    b.splice(
                        at..at,
                        std::iter::repeat_n(b'[', 1 + (next() % 2000) as usize),
                    );
                }
                3 => {
                    let at = (next() as usize) % (b.len() + 1);
                    b.splice(at..at, [0u8, b'1', b'.', b'0', 0, 0xff, 0xfe]);
                }
                _ => {
                    let copy = b.clone();
                    b.extend_from_slice(&copy);
                }
            }
            match which {
                0 => {
                    std::fs::write(&file, &b).unwrap();
                    for v in ["0.1.0", "0.1.1", "1.0", ""] {
                        let _ = super::files::read_tail(&file, v);
                        let _ = entry_json(&b, v);
                    }
                    let _ = parse_cache_file(&b);
                    let _ = parse_json_lines(&b);
                }
                1 => {
                    std::fs::write(tmp.path().join("ws/.cargo/config.toml"), &b).unwrap();
                    let _ = crates_io_source(Some(&tmp.path().join("ws")));
                }
                _ => {
                    let m = tmp.path().join("ws/Cargo.toml");
                    std::fs::write(&m, &b).unwrap();
                    for (key, target) in [("foo", None), ("bar", Some("cfg(unix)"))] {
                        let kind = if target.is_some() {
                            DepKind::Dev
                        } else {
                            DepKind::Normal
                        };
                        if let Some(loc) =
                            crate::input::manifest::locate(&m, tmp.path(), key, kind, target)
                        {
                            let _ = crate::input::manifest::set_requirement(&loc, "9.9.9");
                        }
                    }
                }
            }
        }
    }
}

/// A cargo home whose crates.io cache holds one file for `h2`.
fn cargo_home_with(dir: &std::path::Path, yanked: bool) {
    let cache = dir.join("registry/index/index.crates.io-1949cf8c6b5b557f/.cache/2/h2");
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    let entry = format!(
        r#"{{"name":"h2","vers":"0.1.0","deps":[{{"name":"bytes","req":"^0.4","kind":"build","optional":true,"target":"cfg(unix)"}}],"cksum":"x","features":{{}},"yanked":{yanked}}}"#
    );
    std::fs::write(&cache, cache_bytes(&[("0.1.0", &entry)])).unwrap();
}

/// A registry over the crates.io cache of cargo home `home`, keeping its digest in
/// `digests`.
fn digesting_registry(home: &std::path::Path, digests: &std::path::Path) -> Registry {
    Registry::new(IndexSource::CratesIoCache {
        cargo_home: home.to_path_buf(),
        git: false,
    })
    .with_digest(Some(digests))
}

#[test]
fn digest_answers_like_the_files_and_never_outlives_a_change() {
    let home = tempfile::tempdir().unwrap();
    let digests = tempfile::tempdir().unwrap();
    let registry = || digesting_registry(home.path(), digests.path());
    let v = semver::Version::new(0, 1, 0);
    let missing = semver::Version::new(9, 9, 9);
    cargo_home_with(home.path(), false);
    // A file changed in the last seconds is not recorded (its stamp could still change
    // unseen): wait until it is old enough to be trusted.
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let first = registry();
    let entry = first.version_entry("h2", &v).unwrap();
    assert_eq!(first.is_yanked("h2", &v), Some(false));
    assert_eq!(first.is_yanked("h2", &missing), None);
    let published = first.published("h2").unwrap();
    first.save_digest();
    let files: Vec<_> = std::fs::read_dir(digests.path())
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(files.len(), 1, "one digest file is written");

    // A later run answers the same from the digest.
    let second = registry();
    assert_eq!(second.version_entry("h2", &v).unwrap(), entry);
    assert_eq!(second.is_yanked("h2", &v), Some(false));
    assert_eq!(second.is_yanked("h2", &missing), None);
    assert_eq!(second.published("h2").unwrap(), published);

    // The file changes (the version is yanked): the stale record is not used.
    cargo_home_with(home.path(), true);
    let third = registry();
    assert_eq!(third.is_yanked("h2", &v), Some(true));
    assert!(third.version_entry("h2", &v).unwrap().yanked);
    third.save_digest();

    // A damaged digest is ignored, never trusted.
    let path = files[0].path();
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let fourth = registry();
    assert_eq!(fourth.is_yanked("h2", &v), Some(true));
    assert_eq!(fourth.version_entry("h2", &v).unwrap().deps(), entry.deps());
}

/// Every crate's answers, as one value to compare.
fn answers(r: &Registry) -> String {
    let v = semver::Version::new(0, 1, 0);
    format!(
        "{:?} {:?} {:?} {:?}",
        r.version_entry("h2", &v),
        r.is_yanked("h2", &v),
        r.is_yanked("h2", &semver::Version::new(9, 9, 9)),
        r.published("h2"),
    )
}

/// The digest's checksums recomputed after a mutation (directory, then each record), so
/// the mutation reaches the decoders instead of being refused at the door.
fn fix_digest_checksums(b: &mut [u8]) {
    let u32_at = |b: &[u8], at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    let Some(dir_len) = u32_at(b, 16) else { return };
    let Some(dir_end) = 20usize.checked_add(dir_len).filter(|&e| e <= b.len()) else {
        return;
    };
    let mut at = 20;
    while at + 2 <= dir_end {
        let len = u16::from_le_bytes([b[at], b[at + 1]]) as usize;
        at += 2 + len;
        let (Some(off), Some(size)) = (u32_at(b, at), u32_at(b, at + 4)) else {
            return;
        };
        if let Some(record) = b.get(dir_end + off..(dir_end + off).saturating_add(size))
            && at + 12 <= dir_end
        {
            let crc = crc32fast::hash(record).to_le_bytes();
            b[at + 8..at + 12].copy_from_slice(&crc);
        }
        at += 12;
    }
    let crc = crc32fast::hash(&b[20..dir_end]).to_le_bytes();
    b[12..16].copy_from_slice(&crc);
}

#[test]
fn damaged_digests_are_ignored_and_forged_ones_never_panic() {
    let home = tempfile::tempdir().unwrap();
    let digests = tempfile::tempdir().unwrap();
    let registry = || digesting_registry(home.path(), digests.path());
    cargo_home_with(home.path(), false);
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let first = registry();
    let truth = answers(&first);
    first.save_digest();
    let path = std::fs::read_dir(digests.path())
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let good = std::fs::read(&path).unwrap();
    assert_eq!(
        answers(&registry()),
        truth,
        "the digest answers like the file"
    );
    let mut cases: Vec<Vec<u8>> = (0..good.len()).map(|n| good[..n].to_vec()).collect();
    for i in 0..good.len() {
        for x in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut b = good.clone();
            if b[i] != x {
                b[i] = x;
                cases.push(b);
            }
        }
    }
    for (n, bytes) in cases.iter().enumerate() {
        // As damaged: refused, so the answers come from cargo's file.
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(answers(&registry()), truth, "damaged case {n}");
        // As forged (checksums right): whatever it answers, it does not panic.
        let mut forged = bytes.clone();
        fix_digest_checksums(&mut forged);
        std::fs::write(&path, &forged).unwrap();
        let _ = answers(&registry());
    }
}
