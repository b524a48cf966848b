//! Is the vulnerable function used? For a finding whose advisory lists affected
//! functions, the crates that depend directly on the vulnerable crate are read from
//! source (never built, never run) and their tokens searched for those functions.
//!
//! The verdict is sound by construction: every uncertain case resolves toward
//! `referenced` or `unknown`, never toward `not-referenced`.
//! - Any occurrence of the function's name (or of a macro of the vulnerable crate whose
//!   body names it) counts: in calls, paths, method calls (`.parse(` for
//!   `vuln::Parser::parse`), trait methods and macro bodies, and in `#[cfg]`-gated code.
//!   Only three occurrences are left out: a definition (`fn bad`), one qualified by
//!   another crate that cannot reach the vulnerable one (`other::bad`), and an
//!   unqualified one in a file that imports that name from such a crate.
//! - A dependent that re-exports from the vulnerable crate (`pub use vuln::…`), or that
//!   names the type of an affected method, has its own dependents read in turn.
//! - A dependent whose source is not on this machine, or cannot be read or lexed, makes
//!   the verdict `unknown`, with the reason.
//! - Occurrences only in tests, benches, examples or `#[cfg(test)]` code are `referenced`
//!   with `only_in: "test"`; only in a build script, `only_in: "build-script"`.

use crate::audit::findings::{Evidence, Finding, Reachability};
use crate::input::lockfile::Lockfile;
use crate::input::sources::{SourceRoots, dependency_aliases, read_rust_files};
use std::collections::{BTreeSet, HashMap};

/// A lexed token with its line and whether it sits in `#[cfg(test)]` code. Only
/// identifiers need their line.
#[derive(Debug, Clone, Copy)]
struct Tok<'t> {
    text: &'t str,
    ident: bool,
    line: usize,
    test: bool,
}

/// Groups nested deeper than this make a file unreadable (`unknown`).
const MAX_NESTING: usize = 256;

/// One open group while lexing: its closing delimiter, whether its tokens are test code,
/// and its own state (a `#[cfg(test)]` attribute seen and waiting for its item's braces,
/// whether the previous token was `#`, where an attribute's text starts).
struct Group {
    close: &'static str,
    test: bool,
    pending_test: bool,
    prev_hash: bool,
    attribute_from: Option<usize>,
}

/// The tokens of one file as the analysis reads them: identifiers, punctuation (one
/// character each), delimiters and literals; whitespace and comments (doc comments
/// too) dropped. The tokens inside the braces of an item under `#[cfg(test)]` (or any
/// `cfg` naming `test` without `not`) are marked `test`. An unterminated literal or
/// comment, a character that is no token, unbalanced delimiters or nesting deeper than
/// [`MAX_NESTING`] make the file unreadable.
fn lex(text: &str) -> Result<Vec<Tok<'_>>, String> {
    use ra_ap_rustc_lexer::{Cursor, FrontmatterAllowed, LiteralKind as L, TokenKind as K};
    let mut out = Vec::with_capacity(text.len() / 6);
    let mut stack = vec![Group {
        close: "",
        test: false,
        pending_test: false,
        prev_hash: false,
        attribute_from: None,
    }];
    let (mut at, mut line) = (0usize, 1usize);
    let mut cursor = Cursor::new(text, FrontmatterAllowed::No);
    loop {
        let token = cursor.advance_token();
        let start = at;
        at += token.len as usize;
        if token.kind == K::GuardedStrPrefix {
            // `#"` or `##`: before the 2024 edition a `#` and then what follows (a string
            // literal in `m!(#"x")`), so one `#` is taken and lexing goes on after it.
            at = start + 1;
            cursor = Cursor::new(&text[at..], FrontmatterAllowed::No);
        }
        let t = &text[start..at];
        let here = line;
        line += memchr::memchr_iter(b'\n', t.as_bytes()).count();
        let bad = |what: &str| Err(format!("cannot be lexed ({what} at line {here})"));
        let ident = match token.kind {
            K::Whitespace | K::LineComment { .. } => continue,
            K::BlockComment { terminated, .. } => {
                if !terminated {
                    return bad("an unterminated comment");
                }
                continue;
            }
            K::Literal { kind, .. } => {
                let terminated = match kind {
                    L::Char { terminated }
                    | L::Byte { terminated }
                    | L::Str { terminated }
                    | L::ByteStr { terminated }
                    | L::CStr { terminated } => terminated,
                    L::RawStr { n_hashes }
                    | L::RawByteStr { n_hashes }
                    | L::RawCStr { n_hashes } => n_hashes.is_some(),
                    L::Int { .. } | L::Float { .. } => true,
                };
                if !terminated {
                    return bad("an unterminated literal");
                }
                false
            }
            K::Ident | K::RawIdent | K::UnknownPrefix | K::ForcedKeywordIdent => true,
            K::Lifetime { .. } | K::RawLifetime | K::UnknownPrefixLifetime => false,
            K::OpenParen | K::OpenBrace | K::OpenBracket => {
                let top = stack
                    .last_mut()
                    .expect("the file's own level is never popped");
                let attribute = top.prev_hash && t == "[";
                let test = top.test || (top.pending_test && t == "{");
                if t == "{" {
                    top.pending_test = false;
                }
                top.prev_hash = false;
                out.push(Tok {
                    text: t,
                    ident: false,
                    line: here,
                    test: top.test,
                });
                stack.push(Group {
                    close: match t {
                        "(" => ")",
                        "[" => "]",
                        _ => "}",
                    },
                    test,
                    pending_test: false,
                    prev_hash: false,
                    attribute_from: attribute.then_some(at),
                });
                if stack.len() > MAX_NESTING + 1 {
                    return Err(format!("nests deeper than {MAX_NESTING} groups"));
                }
                continue;
            }
            K::CloseParen | K::CloseBrace | K::CloseBracket => {
                let group = stack.pop().filter(|g| g.close == t);
                let (Some(group), Some(top)) = (group, stack.last_mut()) else {
                    return bad(&format!("an unbalanced `{t}`"));
                };
                if let Some(from) = group.attribute_from {
                    let attr = text[from..start].trim_start();
                    top.pending_test |=
                        attr.starts_with("cfg") && attr.contains("test") && !attr.contains("not");
                }
                out.push(Tok {
                    text: t,
                    ident: false,
                    line: here,
                    test: top.test,
                });
                continue;
            }
            K::Unknown | K::InvalidIdent | K::Frontmatter { .. } => {
                return bad("a character that is no Rust token");
            }
            K::Eof => break,
            // Punctuation, one character each (`::` is two `:`).
            _ => {
                let top = stack
                    .last_mut()
                    .expect("the file's own level is never popped");
                for (k, c) in t.char_indices() {
                    if c == ';' {
                        top.pending_test = false;
                    }
                    top.prev_hash = c == '#';
                    out.push(Tok {
                        text: &t[k..k + c.len_utf8()],
                        ident: false,
                        line: here,
                        test: top.test,
                    });
                }
                continue;
            }
        };
        let top = stack
            .last_mut()
            .expect("the file's own level is never popped");
        top.prev_hash = false;
        out.push(Tok {
            text: t,
            ident,
            line: here,
            test: top.test,
        });
    }
    if let Some(open) = stack.get(1) {
        return Err(format!(
            "cannot be lexed (a group is not closed: `{}` expected at the end)",
            open.close
        ));
    }
    Ok(out)
}

/// What reading one crate found.
#[derive(Default)]
struct Outcome {
    evidence: Vec<Evidence>,
    /// It re-exports from the vulnerable crate (or its re-exporter).
    reexports: bool,
    /// It names the type of an affected method.
    names_type: bool,
    /// Names the function is re-exported under (`pub use vuln::bad as good`).
    renamed: Vec<String>,
}

/// What to look for.
struct Target<'a> {
    names: &'a BTreeSet<String>,
    macros: &'a BTreeSet<String>,
    types: &'a BTreeSet<String>,
}

/// Reads one crate's files for the target, where `aliases` are the names its code gives
/// the crate it depends on (the vulnerable one or a re-exporter) and `others` the crates
/// it depends on that cannot reach the vulnerable one.
fn read_crate(
    label: &str,
    dir: &std::path::Path,
    files: &[(String, String)],
    target: &Target,
    aliases: &[String],
    others: &BTreeSet<String>,
) -> Result<Outcome, String> {
    let mut out = Outcome::default();
    // First every file's `use` statements (a rename in one file names the function in
    // all of them), then the occurrences.
    struct File<'t> {
        rel: &'t str,
        text: &'t str,
        toks: Vec<Tok<'t>>,
        in_use: Vec<bool>,
        shadowed: BTreeSet<String>,
        from_target_side: bool,
    }
    let mut lexed = Vec::with_capacity(files.len());
    for (rel, text) in files {
        if !worth_lexing(text, target, aliases) {
            continue;
        }
        let toks = lex(text).map_err(|e| format!("{label}: {rel} {e}"))?;
        // Names imported from crates that cannot reach the vulnerable one, and whether
        // this file imports anything of the target's from the vulnerable side.
        let mut shadowed = BTreeSet::new();
        let mut from_target_side = false;
        let mut in_use: Vec<bool> = vec![false; toks.len()];
        let mut i = 0;
        while i < toks.len() {
            let t = &toks[i];
            let after_path = i > 0 && matches!(toks[i - 1].text, "." | ":");
            let is_use = t.ident
                && (t.text == "use"
                    || (t.text == "extern" && toks.get(i + 1).is_some_and(|n| n.text == "crate")))
                && !after_path;
            if !is_use {
                i += 1;
                continue;
            }
            let public = i > 0 && toks[i - 1].text == "pub";
            let end = (i..toks.len())
                .find(|&j| toks[j].text == ";")
                .unwrap_or(toks.len() - 1);
            for f in in_use.iter_mut().take(end + 1).skip(i) {
                *f = true;
            }
            let stmt = &toks[i..=end];
            let idents: Vec<&str> = stmt.iter().filter(|t| t.ident).map(|t| t.text).collect();
            let first = idents.iter().copied().find(|s| {
                !matches!(
                    *s,
                    "use" | "extern" | "crate" | "pub" | "self" | "super" | "as"
                )
            });
            let from_side = idents.iter().any(|s| aliases.iter().any(|a| a == s));
            if from_side {
                let names_it = idents
                    .iter()
                    .any(|s| target.names.contains(*s) || target.types.contains(*s));
                let glob = stmt.iter().any(|t| t.text == "*");
                from_target_side |= names_it || glob;
                // `use vuln::bad as b`: `b` names it too, here and (when public) in the
                // crates that read this one.
                for w in stmt.windows(3) {
                    if target.names.contains(w[0].text) && w[1].text == "as" && w[2].ident {
                        out.renamed.push(w[2].text.to_string());
                    }
                }
                if public {
                    out.reexports = true;
                }
            } else if first.is_some_and(|f| others.contains(f)) {
                for s in &idents {
                    if target.names.contains(*s) {
                        shadowed.insert(s.to_string());
                    }
                }
            }
            i = end + 1;
        }
        lexed.push(File {
            rel,
            text,
            toks,
            in_use,
            shadowed,
            from_target_side,
        });
    }
    let mut names: BTreeSet<&str> = target.names.iter().map(String::as_str).collect();
    let renamed = out.renamed.clone();
    names.extend(renamed.iter().map(String::as_str));
    for f in &lexed {
        let base = if f.rel == "build.rs" {
            "build-script"
        } else if ["tests/", "benches/", "examples/"]
            .iter()
            .any(|p| f.rel.starts_with(p))
        {
            "test"
        } else {
            "runtime"
        };
        let toks = &f.toks;
        for (i, t) in toks.iter().enumerate() {
            if !t.ident || f.in_use[i] {
                continue;
            }
            if target.types.contains(t.text) {
                out.names_type = true;
            }
            let is_macro_call =
                target.macros.contains(t.text) && toks.get(i + 1).is_some_and(|n| n.text == "!");
            if !names.contains(t.text) && !is_macro_call {
                continue;
            }
            if i > 0 && toks[i - 1].text == "fn" {
                continue; // a definition of its own
            }
            // The first segment of a qualified path: `other::bad` is another crate's.
            let mut j = i;
            while j >= 3 && toks[j - 1].text == ":" && toks[j - 2].text == ":" && toks[j - 3].ident
            {
                j -= 3;
            }
            if j != i {
                if others.contains(toks[j].text) {
                    continue;
                }
            } else if f.shadowed.contains(t.text) && !f.from_target_side {
                continue;
            }
            let context = if t.test && base == "runtime" {
                "test"
            } else {
                base
            };
            let line_text = line_of(f.text, t.text);
            out.evidence.push(Evidence {
                context,
                krate: label.to_string(),
                file: f.rel.to_string(),
                line: t.line,
                text: line_text.chars().take(160).collect(),
                path: dir.join(f.rel),
            });
        }
    }
    Ok(out)
}

/// Whether a file can matter, by a plain text search before any lexing: it must hold a
/// target name (function, its type or a macro naming it: every occurrence and rename
/// needs one), or a public `use` / `extern crate` statement naming the crate (a
/// re-export). A file with neither can add no evidence and lead nowhere, so skipping it
/// changes no verdict.
fn worth_lexing(text: &str, target: &Target, aliases: &[String]) -> bool {
    let names = target.names.iter().chain(target.macros).chain(target.types);
    if names.into_iter().any(|n| has_word(text, n)) {
        return true;
    }
    ["use", "extern"].iter().any(|kw| {
        memchr::memmem::find_iter(text.as_bytes(), kw).any(|at| {
            let before = text[..at].trim_end();
            let public = before.ends_with("pub") || before.ends_with(')');
            let stmt = &text[at..];
            let stmt = &stmt[..stmt.find(';').unwrap_or(stmt.len())];
            public && aliases.iter().any(|a| stmt.contains(a.as_str()))
        })
    })
}

/// The line of `text` that holds `token` (a slice of it), trimmed.
fn line_of<'t>(text: &'t str, token: &str) -> &'t str {
    let at = (token.as_ptr() as usize)
        .saturating_sub(text.as_ptr() as usize)
        .min(text.len());
    let start = memchr::memrchr(b'\n', &text.as_bytes()[..at]).map_or(0, |n| n + 1);
    let end = memchr::memchr(b'\n', &text.as_bytes()[at..]).map_or(text.len(), |n| at + n);
    text[start..end].trim()
}

/// Does `text` hold `word` as a whole identifier (not inside a longer one)?
fn has_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    memchr::memmem::find_iter(text.as_bytes(), word).any(|at| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// The macros of the vulnerable crate whose bodies name a target function, directly or
/// through another of its macros.
fn macros_naming(
    files: &[(String, String)],
    names: &BTreeSet<String>,
) -> Result<BTreeSet<String>, String> {
    // Only files that define macros and name a function (or, in a later round, a macro
    // found to name one) can hold such a macro.
    let mut bodies: Vec<(String, BTreeSet<String>)> = Vec::new();
    let mut lexed = vec![false; files.len()];
    let mut wanted: BTreeSet<String> = names.clone();
    loop {
        let before = bodies.len();
        for (k, (rel, text)) in files.iter().enumerate() {
            if lexed[k]
                || !text.contains("macro_rules")
                || !wanted.iter().any(|n| has_word(text, n))
            {
                continue;
            }
            lexed[k] = true;
            bodies.extend(macro_bodies(rel, text)?);
        }
        if bodies.len() == before {
            break;
        }
        wanted.extend(bodies.iter().map(|(n, _)| n.clone()));
    }
    let mut found: BTreeSet<String> = BTreeSet::new();
    loop {
        let before = found.len();
        for (name, idents) in &bodies {
            if idents
                .iter()
                .any(|s| names.contains(s) || found.contains(s))
            {
                found.insert(name.clone());
            }
        }
        if found.len() == before {
            return Ok(found);
        }
    }
}

/// The `macro_rules!` definitions of one file: (name, identifiers of its body).
fn macro_bodies(rel: &str, text: &str) -> Result<Vec<(String, BTreeSet<String>)>, String> {
    let toks = lex(text).map_err(|e| format!("{rel} {e}"))?;
    let mut bodies = Vec::new();
    let mut i = 0;
    while i + 3 < toks.len() {
        if toks[i].text == "macro_rules" && toks[i + 1].text == "!" && toks[i + 2].ident {
            let name = toks[i + 2].text.to_string();
            // The body: the group that follows, to its matching close.
            let mut depth = 0i32;
            let mut j = i + 3;
            let mut idents = BTreeSet::new();
            while j < toks.len() {
                match toks[j].text {
                    "{" | "(" | "[" => depth += 1,
                    "}" | ")" | "]" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ if toks[j].ident => {
                        idents.insert(toks[j].text.to_string());
                    }
                    _ => {}
                }
                j += 1;
            }
            bodies.push((name, idents));
            i = j;
        }
        i += 1;
    }
    Ok(bodies)
}

/// What one file of a dependent contributes when `names` are the affected functions and
/// `krate` the vulnerable crate's name in code: the lines that name them, or why the
/// file cannot be read. (The unit the analysis is built from; fuzzed on its own.)
pub fn occurrences(
    rel: &str,
    text: &str,
    names: &[&str],
    krate: &str,
) -> Result<Vec<usize>, String> {
    let names: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
    let none = BTreeSet::new();
    let target = Target {
        names: &names,
        macros: &none,
        types: &none,
    };
    let files = [(rel.to_string(), text.to_string())];
    let o = read_crate(
        "fuzzed 0.0.0",
        std::path::Path::new(""),
        &files,
        &target,
        &[krate.to_string()],
        &BTreeSet::new(),
    )?;
    Ok(o.evidence.iter().map(|e| e.line).collect())
}

/// Annotates every finding whose advisory lists affected functions (for its locked
/// version) with a reachability verdict. Findings without function data get nothing.
/// Where sources are looked for is worked out only when some finding needs them.
pub fn annotate(
    findings: &mut [Finding],
    lock: &Lockfile,
    lockfile: &std::path::Path,
    ws: Option<&crate::input::workspace::WorkspaceInfo>,
) {
    let wanted: Vec<(usize, Vec<String>)> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| (i, functions_of(f)))
        .filter(|(_, functions)| !functions.is_empty())
        .collect();
    if wanted.is_empty() {
        return;
    }
    let roots = &SourceRoots::for_lockfile(lockfile, ws);
    let mut files: SourceCache = HashMap::new();
    for (i, functions) in wanted {
        let f = &findings[i];
        let r = verdict(f, functions, lock, roots, &mut files);
        findings[i].reachability = Some(r);
    }
}

/// The affected functions that apply to the finding's locked version.
pub fn functions_of(f: &Finding) -> Vec<String> {
    let Some(a) = &f.advisory else {
        return Vec::new();
    };
    let version = semver::Version::parse(&f.package.version).ok();
    a.affected_functions
        .iter()
        .filter(|(_, reqs)| {
            reqs.is_empty()
                || version.as_ref().is_none_or(|v| {
                    reqs.iter()
                        .any(|r| semver::VersionReq::parse(r).is_ok_and(|r| r.matches(v)))
                })
        })
        .map(|(p, _)| p.clone())
        .collect()
}

/// A crate's folder and files, read once per audit.
type Source = (std::path::PathBuf, std::sync::Arc<Vec<(String, String)>>);

type SourceCache = HashMap<u32, Result<Source, String>>;

fn source_of(
    lock: &Lockfile,
    roots: &SourceRoots,
    i: u32,
    cache: &mut SourceCache,
) -> Result<Source, String> {
    cache
        .entry(i)
        .or_insert_with(|| {
            let p = &lock.packages[i as usize];
            let label = format!(
                "{} {}",
                p.name,
                crate::version_text::version_text(&p.version)
            );
            let dir = roots
                .locate(p)
                .ok_or_else(|| format!("the source of {label} is not on this machine"))?;
            let files = read_rust_files(&dir).map_err(|e| format!("{label}: {e}"))?;
            Ok((dir, std::sync::Arc::new(files)))
        })
        .clone()
}

/// The verdict on finding `f`, whose advisory lists `functions` for its version.
fn verdict(
    f: &Finding,
    functions: Vec<String>,
    lock: &Lockfile,
    roots: &SourceRoots,
    cache: &mut SourceCache,
) -> Reachability {
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut types: BTreeSet<String> = BTreeSet::new();
    for p in &functions {
        let segs: Vec<&str> = p.split("::").collect();
        if let Some(last) = segs.last() {
            names.insert(last.to_string());
        }
        if segs.len() >= 3 {
            let ty = segs[segs.len() - 2];
            if ty.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                types.insert(ty.to_string());
            }
        }
    }
    let v = f.package_index as u32;
    let mut unknown: Vec<String> = Vec::new();
    // The vulnerable crate's macros are read when a dependent's source is there to be
    // checked against them, not before.
    let mut macros: Option<BTreeSet<String>> = None;
    // The packages from which the vulnerable one can be reached (its ancestors).
    let mut reaches = vec![false; lock.packages.len()];
    let mut stack = vec![v];
    reaches[v as usize] = true;
    while let Some(x) = stack.pop() {
        for &d in &lock.graph.rdeps[x as usize] {
            if !reaches[d as usize] {
                reaches[d as usize] = true;
                stack.push(d);
            }
        }
    }
    let mut evidence = Vec::new();
    let mut crates_read = Vec::new();
    if lock.graph.rdeps[v as usize].is_empty() {
        // Nothing to read is not evidence of anything: a root package, or a graph that
        // does not say who depends on the crate.
        let p = &lock.packages[v as usize];
        unknown.push(format!(
            "nothing depends on {} {} in the graph, so no dependent could be read",
            p.name,
            crate::version_text::version_text(&p.version)
        ));
    }
    let mut queue: Vec<(u32, u32)> = lock.graph.rdeps[v as usize]
        .iter()
        .map(|&d| (d, v))
        .collect();
    let mut seen: BTreeSet<(u32, u32)> = BTreeSet::new();
    while let Some((d, parent)) = queue.pop() {
        if !seen.insert((d, parent)) || d == v {
            continue;
        }
        let dp = &lock.packages[d as usize];
        let label = format!(
            "{} {}",
            dp.name,
            crate::version_text::version_text(&dp.version)
        );
        let (dir, files) = match source_of(lock, roots, d, cache) {
            Ok(x) => x,
            Err(e) => {
                unknown.push(e);
                continue;
            }
        };
        let parent_name = &lock.packages[parent as usize].name;
        let aliases = dependency_aliases(&dir, parent_name);
        let others: BTreeSet<String> = lock.graph.deps[d as usize]
            .iter()
            .filter(|&&x| !reaches[x as usize])
            .map(|&x| lock.packages[x as usize].name.replace('-', "_"))
            .filter(|n| !aliases.contains(n))
            .collect();
        let macros = macros.get_or_insert_with(|| match source_of(lock, roots, v, cache) {
            Ok((_, files)) => macros_naming(&files, &names).unwrap_or_else(|e| {
                unknown.push(format!("the vulnerable crate's macros cannot be read: {e}"));
                BTreeSet::new()
            }),
            Err(e) => {
                unknown.push(format!("{e}, so its macros cannot be checked"));
                BTreeSet::new()
            }
        });
        let target = Target {
            names: &names,
            macros,
            types: &types,
        };
        match read_crate(&label, &dir, &files, &target, &aliases, &others) {
            Ok(o) => {
                crates_read.push(label);
                evidence.extend(o.evidence);
                names.extend(o.renamed);
                if o.reexports || (o.names_type && !types.is_empty()) {
                    for &next in &lock.graph.rdeps[d as usize] {
                        queue.push((next, d));
                    }
                }
            }
            Err(e) => unknown.push(e),
        }
    }
    crates_read.sort();
    crates_read.dedup();
    let runtime = evidence.iter().any(|e| e.context == "runtime");
    let (state, only_in, unknown_because) = if runtime {
        ("referenced", None, None)
    } else if !evidence.is_empty() {
        let only = if evidence.iter().all(|e| e.context == "build-script") {
            "build-script"
        } else {
            "test"
        };
        ("referenced", Some(only), None)
    } else if !unknown.is_empty() {
        unknown.sort();
        unknown.dedup();
        ("unknown", None, Some(unknown.join("; ")))
    } else {
        ("not-referenced", None, None)
    };
    // Runtime evidence first.
    evidence.sort_by_key(|e| {
        (
            e.context != "runtime",
            e.krate.clone(),
            e.file.clone(),
            e.line,
        )
    });
    evidence.truncate(20);
    Reachability {
        binary: None,
        state,
        only_in,
        functions,
        evidence,
        crates_read,
        unknown_because,
    }
}

#[cfg(test)]
mod tests {
    use super::{lex, occurrences};

    #[test]
    fn comments_are_not_code_and_lines_are_counted_across_them() {
        let text =
            "/// calls bad()\n/* bad() in a\n block */ fn f() {\n    vuln::bad(r\"bad\");\n}\n";
        assert_eq!(occurrences("lib.rs", text, &["bad"], "vuln"), Ok(vec![4]));
    }

    #[test]
    fn a_hash_before_a_string_is_punctuation_then_the_string() {
        let text = "fn f() {\n    m!(#\"x\" bad(), ##y);\n}";
        assert_eq!(occurrences("lib.rs", text, &["bad"], "vuln"), Ok(vec![2]));
    }

    #[test]
    fn only_the_braces_after_a_test_cfg_are_test_code() {
        let text = "#[cfg(test)]\nmod t { fn a() { bad(); } }\n#[cfg(not(test))]\nfn b() { bad(); }\nfn c() { bad(); }";
        let toks = lex(text).unwrap();
        let flags: Vec<(usize, bool)> = toks
            .iter()
            .filter(|t| t.text == "bad")
            .map(|t| (t.line, t.test))
            .collect();
        assert_eq!(flags, [(2, true), (4, false), (5, false)]);
    }

    #[test]
    fn what_is_not_rust_tokens_is_refused_with_its_line() {
        for (text, what) in [
            ("fn f() {\n bad( }", "unbalanced `}` at line 2"),
            (
                "fn f() {\n let s = \"open;\n}",
                "unterminated literal at line 2",
            ),
            ("fn f() { /* open", "unterminated comment at line 1"),
            ("fn f() {", "a group is not closed"),
        ] {
            let e = lex(text).unwrap_err();
            assert!(e.contains(what), "{text:?}: {e}");
        }
        let deep = format!("{}{}", "(".repeat(300), ")".repeat(300));
        assert!(lex(&deep).unwrap_err().contains("nests deeper than 256"));
        let within = format!("{}{}", "(".repeat(256), ")".repeat(256));
        assert!(lex(&within).is_ok());
    }
}
