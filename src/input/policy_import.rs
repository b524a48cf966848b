//! What other tools' configuration says that has a meaning here: `cargo audit`'s
//! `.cargo/audit.toml` and `cargo deny`'s `deny.toml`, read beside the audited lockfile.
//!
//! A migration is complete or loudly partial:
//! - every setting with a meaning here is honoured, and `policy` shows it with its file;
//! - every other key is a warning naming the file, the line and the key (misspellings
//!   such as `ignorre` included);
//! - a value that cannot be read the way its tool defines it (an `ignore` that is not a
//!   list, a threshold that is not a severity) is an error, as in `depaudit.toml`: a gate
//!   must never pass because its configuration could not be read.
//!
//! cargo deny's other checks (`[bans]`, `[licenses]`, `[sources]`) and its `[output]` are
//! not advisories and are left alone without a word.

use crate::input::findingkind::FindingKind;
use crate::input::policy_rules::{
    FilePolicy, IgnoreRule, PolicyError, Scope, Targets, add_triple, deny_list, line_of,
    parse_threshold, parse_version_scope, push_unique, split_crate_spec, valid_id,
};
use std::ops::Range;
use std::path::Path;
use toml_edit::{Item, TableLike, Value};

/// Reads `.cargo/audit.toml` (cargo audit's configuration).
pub fn cargo_audit(
    text: &str,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<FilePolicy, PolicyError> {
    let mut r = Reader::new(text, path, warnings)?;
    let mut out = FilePolicy::default();
    let doc = r.doc.clone();
    for (table, item, span) in entries(doc.as_table()) {
        let Some(t) = item.as_table_like() else {
            r.warn(span, table, "not a cargo audit setting (misspelled?)");
            continue;
        };
        for (key, item, span) in entries(t) {
            let name = format!("{table}.{key}");
            match (table, key) {
                ("advisories", "ignore") => {
                    for entry in r.list(item, span.clone(), &name)? {
                        r.audit_ignore(entry, &mut out.ignores);
                    }
                }
                ("advisories", "informational_warnings") => r.warn(
                    span,
                    &name,
                    "not applied: every informational kind is reported here, and `deny` decides which fail",
                ),
                ("advisories", "severity_threshold") => {
                    out.severity_threshold = r.threshold(item, span, &name)?;
                }
                ("output", "deny") => {
                    let mut values = Vec::new();
                    for v in r.list(item, span.clone(), &name)? {
                        match v.as_str() {
                            Some(s @ ("warnings" | "unmaintained" | "unsound" | "yanked" | "notice")) => {
                                values.push(s.to_string())
                            }
                            _ => r.warn(
                                v.span(),
                                &name,
                                &format!("`{}` is not a kind cargo audit denies; skipped", v.to_string().trim()),
                            ),
                        }
                    }
                    out.deny = Some(deny_list(&values).map_err(|m| r.error(span, &name, m))?);
                }
                ("output", "format" | "quiet" | "show_tree" | "show_stats") => r.warn(
                    span,
                    &name,
                    "not applied: output is chosen on the command line (--format, --quiet)",
                ),
                ("target", "arch" | "os") => {
                    let t = out.targets.get_or_insert_with(Targets::default);
                    for v in r.strings(item, span.clone(), &name)? {
                        let ok = if key == "os" {
                            v.0.parse::<rustsec::platforms::target::OS>().is_ok()
                        } else {
                            v.0.parse::<rustsec::platforms::target::Arch>().is_ok()
                        };
                        if !ok {
                            return Err(r.error(v.1, &name, format!("unknown target {key} `{}`", v.0)));
                        }
                        push_unique(if key == "os" { &mut t.os } else { &mut t.arch }, &v.0);
                    }
                }
                ("yanked", "enabled") => {
                    out.check_yanked = Some(r.boolean(item, span, &name)?);
                }
                ("yanked", "update_index") => r.warn(
                    span,
                    &name,
                    "not applied: the yanked check reads cargo's index cache; --online-index asks crates.io",
                ),
                ("database", _) => r.warn(
                    span,
                    &name,
                    "not applied: the database is chosen with --db and updated by `cargo depaudit fetch`",
                ),
                _ => r.warn(span, &name, "not a cargo audit setting (misspelled?)"),
            }
        }
    }
    Ok(out)
}

/// Reads `deny.toml` (cargo deny's configuration): `[advisories]`, `[graph]` and the
/// top-level `targets` of older versions.
pub fn cargo_deny(
    text: &str,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<FilePolicy, PolicyError> {
    let mut r = Reader::new(text, path, warnings)?;
    let mut out = FilePolicy::default();
    let doc = r.doc.clone();
    let mut deny: Vec<String> = Vec::new();
    // Version 2 of `[advisories]` fails on unmaintained and unsound crates unless told
    // otherwise, as cargo deny does.
    let mut version2 = false;
    let mut scoped: Vec<FindingKind> = Vec::new();
    for (table, item, span) in entries(doc.as_table()) {
        match table {
            "bans" | "licenses" | "sources" | "output" => continue,
            "targets" => {
                r.deny_targets(item, span, "targets", &mut out)?;
                continue;
            }
            "advisories" | "graph" => {}
            _ => {
                r.warn(span, table, "not a cargo deny setting (misspelled?)");
                continue;
            }
        }
        let Some(t) = item.as_table_like() else {
            return Err(r.error(span, table, "expected a table".into()));
        };
        for (key, item, span) in entries(t) {
            let name = format!("{table}.{key}");
            match (table, key) {
                ("advisories", "version") => version2 = item.as_integer() == Some(2),
                ("advisories", "ignore") => {
                    for entry in r.list(item, span.clone(), &name)? {
                        r.deny_ignore(entry, &mut out.ignores);
                    }
                }
                ("advisories", "yanked") => match r.string(item, span.clone(), &name)?.as_str() {
                    "deny" => deny.push("yanked".into()),
                    "warn" => {}
                    "allow" => out.check_yanked = Some(false),
                    other => {
                        return Err(r.error(span, &name, format!("`{other}` is not deny, warn or allow")));
                    }
                },
                ("advisories", "unmaintained" | "unsound") => {
                    let kind = FindingKind::parse(key).unwrap_or(FindingKind::Unmaintained);
                    scoped.push(kind);
                    match r.string(item, span.clone(), &name)?.as_str() {
                        "all" | "deny" => {
                            deny.push(key.into());
                            out.scope.push((kind, Scope::All));
                        }
                        "workspace" => {
                            deny.push(key.into());
                            out.scope.push((kind, Scope::Direct));
                        }
                        "transitive" => {
                            r.warn(
                                span,
                                &name,
                                "`transitive` is read as `all` (stricter): only `all` and `direct` scopes exist here",
                            );
                            deny.push(key.into());
                            out.scope.push((kind, Scope::All));
                        }
                        "none" | "warn" | "allow" => {}
                        other => {
                            return Err(r.error(
                                span,
                                &name,
                                format!("`{other}` is not all, workspace, transitive, none (or deny, warn, allow)"),
                            ));
                        }
                    }
                }
                ("advisories", "notice") => {
                    if r.string(item, span, &name)? == "deny" {
                        deny.push("notice".into());
                    }
                }
                ("advisories", "vulnerability") => {
                    if r.string(item, span.clone(), &name)? != "deny" {
                        r.warn(span, &name, "not applied: vulnerabilities always fail here (ignore them one by one)");
                    }
                }
                ("advisories", "severity-threshold") => {
                    out.severity_threshold = r.threshold(item, span, &name)?;
                }
                ("advisories", "maximum-db-staleness") => {
                    let text = r.string(item, span.clone(), &name)?;
                    match iso_days(&text) {
                        Some(d) => out.max_db_age_days = Some(d),
                        None => r.warn(
                            span,
                            &name,
                            &format!("`{text}` not applied: only day and week durations (P90D, P2W) are read"),
                        ),
                    }
                }
                ("advisories", "db-path" | "db-urls" | "git-fetch-with-cli" | "disable-yanked-checking") => r.warn(
                    span,
                    &name,
                    "not applied: the database is chosen with --db and updated by `cargo depaudit fetch`",
                ),
                ("graph", "targets") => r.deny_targets(item, span, &name, &mut out)?,
                ("graph", "exclude-dev") => out.exclude_dev = Some(r.boolean(item, span, &name)?),
                ("graph", "all-features" | "no-default-features" | "features" | "exclude" | "exclude-unpublished") => r.warn(
                    span,
                    &name,
                    "not applied: Cargo.lock already holds the dependencies of every feature",
                ),
                _ => r.warn(span, &name, "not a cargo deny setting (misspelled?)"),
            }
        }
    }
    if version2 {
        for kind in [FindingKind::Unmaintained, FindingKind::Unsound] {
            if !scoped.contains(&kind) {
                deny.push(kind.as_str().into());
                out.scope.push((kind, Scope::All));
            }
        }
    }
    if !deny.is_empty() {
        out.deny = Some(deny_list(&deny).map_err(|m| r.error(None, "advisories", m))?);
    }
    Ok(out)
}

/// `P90D` or `P2W` as days.
fn iso_days(s: &str) -> Option<u32> {
    let body = s.trim().strip_prefix('P')?;
    let (n, unit) = body.split_at(body.len().checked_sub(1)?);
    let n: u32 = n.parse().ok()?;
    match unit {
        "D" => Some(n),
        "W" => n.checked_mul(7),
        _ => None,
    }
}

/// A table's entries with the span of each key.
fn entries(t: &dyn TableLike) -> Vec<(&str, &Item, Option<Range<usize>>)> {
    t.iter()
        .map(|(k, item)| (k, item, t.key(k).and_then(|k| k.span())))
        .collect()
}

/// Where a key or value is in the file, when the parser knows.
type Span = Option<Range<usize>>;

struct Reader<'a> {
    text: &'a str,
    path: &'a Path,
    origin: String,
    doc: toml_edit::Document<String>,
    warnings: &'a mut Vec<String>,
}

impl<'a> Reader<'a> {
    fn new(
        text: &'a str,
        path: &'a Path,
        warnings: &'a mut Vec<String>,
    ) -> Result<Reader<'a>, PolicyError> {
        let doc = toml_edit::Document::parse(text.to_string()).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            PolicyError::Invalid {
                path: path.to_path_buf(),
                line: line_of(text, span.start),
                key: crate::input::policy_rules::key_at(text, span.start)
                    .unwrap_or_else(|| "(document)".into()),
                message: e.message().trim().replace('\n', " "),
            }
        })?;
        Ok(Reader {
            text,
            path,
            origin: path.display().to_string(),
            doc,
            warnings,
        })
    }

    fn line(&self, span: Option<Range<usize>>) -> usize {
        span.map_or(1, |s| line_of(self.text, s.start))
    }

    fn warn(&mut self, span: Option<Range<usize>>, key: &str, message: &str) {
        let line = self.line(span);
        self.warnings
            .push(format!("{}:{line}: {key}: {message}", self.origin));
    }

    fn error(&self, span: Option<Range<usize>>, key: &str, message: String) -> PolicyError {
        PolicyError::Invalid {
            path: self.path.to_path_buf(),
            line: self.line(span),
            key: key.to_string(),
            message,
        }
    }

    /// The items of a list; anything else (`ignore = "RUSTSEC-…"`) is an error.
    fn list<'i>(
        &self,
        item: &'i Item,
        span: Option<Range<usize>>,
        key: &str,
    ) -> Result<Vec<&'i Value>, PolicyError> {
        match item.as_array() {
            Some(a) => Ok(a.iter().collect()),
            None => Err(self.error(
                span,
                key,
                format!("expected a list, found {}", item.type_name()),
            )),
        }
    }

    /// A string, or a list of strings (cargo audit's `[target]` takes both).
    fn strings(
        &self,
        item: &Item,
        span: Option<Range<usize>>,
        key: &str,
    ) -> Result<Vec<(String, Span)>, PolicyError> {
        if let Some(s) = item.as_str() {
            return Ok(vec![(s.to_string(), span)]);
        }
        self.list(item, span.clone(), key)?
            .into_iter()
            .map(|v| match v.as_str() {
                Some(s) => Ok((s.to_string(), v.span())),
                None => Err(self.error(v.span().or(span.clone()), key, "expected a string".into())),
            })
            .collect()
    }

    fn string(
        &self,
        item: &Item,
        span: Option<Range<usize>>,
        key: &str,
    ) -> Result<String, PolicyError> {
        item.as_str().map(|s| s.trim().to_string()).ok_or_else(|| {
            self.error(
                span,
                key,
                format!("expected a string, found {}", item.type_name()),
            )
        })
    }

    fn boolean(
        &self,
        item: &Item,
        span: Option<Range<usize>>,
        key: &str,
    ) -> Result<bool, PolicyError> {
        item.as_bool().ok_or_else(|| {
            self.error(
                span,
                key,
                format!("expected true or false, found {}", item.type_name()),
            )
        })
    }

    /// A severity threshold; `none` sets none.
    fn threshold(
        &self,
        item: &Item,
        span: Option<Range<usize>>,
        key: &str,
    ) -> Result<Option<advisories_cache::Severity>, PolicyError> {
        let s = self.string(item, span.clone(), key)?;
        if s.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        parse_threshold(&s.to_ascii_lowercase())
            .map(Some)
            .map_err(|m| self.error(span, key, m))
    }

    /// One entry of cargo audit's `[advisories] ignore`: an id (or `{ id, reason }`).
    fn audit_ignore(&mut self, v: &Value, rules: &mut Vec<IgnoreRule>) {
        let (id, reason) = match v {
            Value::String(s) => (s.value().trim().to_string(), None),
            Value::InlineTable(t) => match t.get("id").and_then(|v| v.as_str()) {
                Some(id) => (
                    id.trim().to_string(),
                    t.get("reason")
                        .and_then(|v| v.as_str())
                        .map(|r| r.trim().to_string()),
                ),
                None => {
                    self.warn(
                        v.span(),
                        "advisories.ignore",
                        "an entry without an advisory `id`; skipped",
                    );
                    return;
                }
            },
            other => {
                self.warn(
                    v.span(),
                    "advisories.ignore",
                    &format!(
                        "`{}` is not an advisory id; skipped",
                        other.to_string().trim()
                    ),
                );
                return;
            }
        };
        if !valid_id(&id) {
            self.warn(
                v.span(),
                "advisories.ignore",
                &format!("`{id}` is not an advisory id; skipped"),
            );
            return;
        }
        rules.push(IgnoreRule {
            id,
            reason,
            origin: self.origin.clone(),
            ..IgnoreRule::default()
        });
    }

    /// One entry of cargo deny's `[advisories] ignore`: an advisory id, a crate spec
    /// (`"smallvec@0.6.9"`, accepting that yanked crate), or either as a table with a
    /// `reason`.
    fn deny_ignore(&mut self, v: &Value, rules: &mut Vec<IgnoreRule>) {
        let key = "advisories.ignore";
        let (text, is_crate, reason) = match v {
            Value::String(s) => (s.value().trim().to_string(), false, None),
            Value::InlineTable(t) => {
                let reason = t
                    .get("reason")
                    .and_then(|v| v.as_str())
                    .map(|r| r.trim().to_string());
                match (
                    t.get("id").and_then(|v| v.as_str()),
                    t.get("crate").and_then(|v| v.as_str()),
                ) {
                    (Some(id), _) => (id.trim().to_string(), false, reason),
                    (None, Some(c)) => (c.trim().to_string(), true, reason),
                    (None, None) => {
                        self.warn(
                            v.span(),
                            key,
                            "an entry with neither `id` nor `crate`; skipped",
                        );
                        return;
                    }
                }
            }
            other => {
                self.warn(
                    v.span(),
                    key,
                    &format!(
                        "`{}` is not an id or a crate; skipped",
                        other.to_string().trim()
                    ),
                );
                return;
            }
        };
        if !is_crate && valid_id(&text) {
            rules.push(IgnoreRule {
                id: text,
                reason,
                origin: self.origin.clone(),
                ..IgnoreRule::default()
            });
            return;
        }
        let (name, version) = split_crate_spec(&text);
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let version = match version {
            None => Some(None),
            Some(v) => parse_version_scope(v).map(Some),
        };
        match (name_ok, version) {
            (true, Some(version)) => rules.push(IgnoreRule {
                kind: Some(FindingKind::Yanked),
                krate: Some(name.to_string()),
                version,
                reason,
                origin: self.origin.clone(),
                ..IgnoreRule::default()
            }),
            _ => self.warn(
                v.span(),
                key,
                &format!("`{text}` is neither an advisory id nor a crate (name@version); skipped"),
            ),
        }
    }

    /// `targets`: triples as strings or `{ triple = "…" }`. A triple unknown here (a
    /// custom target) is a warning: it adds nothing.
    fn deny_targets(
        &mut self,
        item: &Item,
        span: Option<Range<usize>>,
        key: &str,
        out: &mut FilePolicy,
    ) -> Result<(), PolicyError> {
        let mut t = out.targets.take().unwrap_or_default();
        for v in self.list(item, span, key)? {
            let triple = match v {
                Value::String(s) => Some(s.value().to_string()),
                Value::InlineTable(t) => {
                    t.get("triple").and_then(|v| v.as_str()).map(str::to_string)
                }
                _ => None,
            };
            match triple {
                Some(triple) => {
                    if let Err(m) = add_triple(&mut t, triple.trim()) {
                        self.warn(v.span(), key, &format!("{m}; skipped"));
                    }
                }
                None => self.warn(v.span(), key, "an entry without a target triple; skipped"),
            }
        }
        out.targets = Some(t);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use advisories_cache::Severity;

    /// Each warning starts with one of `want`, and there are no others.
    fn assert_warnings(w: &[String], want: &[&str]) {
        for want in want {
            assert!(
                w.iter().any(|x| x.starts_with(want)),
                "{want} not in {w:#?}"
            );
        }
        assert_eq!(w.len(), want.len(), "{w:#?}");
    }

    #[test]
    fn cargo_audit_settings_are_honoured_or_warned_about_with_lines() {
        let text = "[advisories]\nignore = [\"RUSTSEC-2020-0159\", \"CVE-2021-1234\", \"nope\"]\ninformational_warnings = [\"unmaintained\"]\nseverity_threshold = \"high\"\nignorre = [\"RUSTSEC-2021-0139\"]\n\n[output]\ndeny = [\"unsound\", \"yanked\"]\nquiet = true\n\n[target]\nos = \"linux\"\narch = [\"x86_64\"]\n\n[yanked]\nenabled = false\nupdate_index = true\n\n[database]\nfetch = false\n";
        let mut w = Vec::new();
        let f = cargo_audit(text, Path::new(".cargo/audit.toml"), &mut w).unwrap();
        let ids: Vec<&str> = f.ignores.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["RUSTSEC-2020-0159", "CVE-2021-1234"]);
        assert_eq!(f.severity_threshold, Some(Severity::High));
        assert_eq!(
            f.deny.unwrap().kinds,
            [
                FindingKind::Vulnerability,
                FindingKind::Unsound,
                FindingKind::Yanked
            ]
        );
        let t = f.targets.unwrap();
        assert_eq!(
            (t.os, t.arch),
            (vec!["linux".to_string()], vec!["x86_64".to_string()])
        );
        assert_eq!(f.check_yanked, Some(false));
        assert_warnings(
            &w,
            &[
                ".cargo/audit.toml:2: advisories.ignore: `nope`",
                ".cargo/audit.toml:3: advisories.informational_warnings: not applied",
                ".cargo/audit.toml:5: advisories.ignorre: not a cargo audit setting",
                ".cargo/audit.toml:9: output.quiet: not applied",
                ".cargo/audit.toml:17: yanked.update_index: not applied",
                ".cargo/audit.toml:20: database.fetch: not applied",
            ],
        );
    }

    #[test]
    fn an_ignore_that_is_not_a_list_is_an_error_naming_file_line_and_key() {
        for (text, read) in [
            (
                "\n[advisories]\nignore = \"RUSTSEC-2020-0159\"\n",
                cargo_audit as fn(&str, &Path, &mut Vec<String>) -> _,
            ),
            (
                "\n[advisories]\nignore = \"RUSTSEC-2020-0159\"\n",
                cargo_deny,
            ),
        ] {
            let e = read(text, Path::new("x.toml"), &mut Vec::new())
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("x.toml:3: advisories.ignore: expected a list"),
                "{e}"
            );
        }
        let e = cargo_audit(
            "[advisories]\nseverity_threshold = \"severe\"\n",
            Path::new("a.toml"),
            &mut Vec::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("a.toml:2: advisories.severity_threshold:"),
            "{e}"
        );
        let e = cargo_deny("[advisories\n", Path::new("deny.toml"), &mut Vec::new()).unwrap_err();
        assert!(e.to_string().starts_with("deny.toml:1:"), "{e}");
    }

    #[test]
    fn cargo_deny_settings_are_honoured_or_warned_about_with_lines() {
        let text = r#"
[graph]
targets = ["x86_64-unknown-linux-gnu", { triple = "aarch64-apple-darwin" }, "riscv-custom-none"]
exclude-dev = true
all-features = true

[advisories]
version = 2
yanked = "deny"
unmaintained = "workspace"
maximum-db-staleness = "P30D"
db-path = "~/.cargo/advisory-dbs"
ignore = [
    "RUSTSEC-2021-0139",
    { id = "RUSTSEC-2024-0375", reason = "atty: only used in tests" },
    { crate = "openssl@0.10.0", reason = "yanked, pinned by vendor" },
    "smallvec@0.6.9",
    "not an id",
]
ignorre = []

[bans]
multiple-versions = "warn"
"#;
        let mut w = Vec::new();
        let f = cargo_deny(text, Path::new("deny.toml"), &mut w).unwrap();
        let t = f.targets.unwrap();
        assert_eq!(
            t.triples,
            ["x86_64-unknown-linux-gnu", "aarch64-apple-darwin"]
        );
        assert_eq!(f.exclude_dev, Some(true));
        assert_eq!(f.max_db_age_days, Some(30));
        // version 2: unsound fails too (cargo deny's default), unmaintained only on
        // direct dependencies, and yanked crates fail.
        assert_eq!(
            f.deny.unwrap().kinds,
            [
                FindingKind::Vulnerability,
                FindingKind::Unsound,
                FindingKind::Unmaintained,
                FindingKind::Yanked
            ]
        );
        assert!(
            f.scope
                .contains(&(FindingKind::Unmaintained, Scope::Direct))
        );
        assert!(f.scope.contains(&(FindingKind::Unsound, Scope::All)));
        assert_eq!(f.ignores.len(), 4);
        assert_eq!(
            f.ignores[1].reason.as_deref(),
            Some("atty: only used in tests")
        );
        let openssl = &f.ignores[2];
        assert_eq!(
            (openssl.kind, openssl.krate.as_deref()),
            (Some(FindingKind::Yanked), Some("openssl"))
        );
        assert!(
            openssl
                .version
                .as_ref()
                .unwrap()
                .matches(&semver::Version::new(0, 10, 0))
        );
        assert!(
            !openssl
                .version
                .as_ref()
                .unwrap()
                .matches(&semver::Version::new(0, 10, 1))
        );
        assert_eq!(f.ignores[3].label(), "yanked smallvec =0.6.9");
        assert_warnings(
            &w,
            &[
                "deny.toml:3: graph.targets: unknown target triple `riscv-custom-none`",
                "deny.toml:5: graph.all-features: not applied",
                "deny.toml:12: advisories.db-path: not applied",
                "deny.toml:18: advisories.ignore: `not an id`",
                "deny.toml:20: advisories.ignorre: not a cargo deny setting",
            ],
        );
    }

    #[test]
    fn durations() {
        assert_eq!(iso_days("P90D"), Some(90));
        assert_eq!(iso_days("P2W"), Some(14));
        assert_eq!(iso_days("PT1H"), None);
        assert_eq!(iso_days("P"), None);
        assert_eq!(iso_days(""), None);
    }
}
