//! Markdown for a pull-request comment or a release checklist. It fits in one GitHub
//! comment (at most 65,536 bytes, counting each line end as the two bytes of `\r\n`):
//! the verdict with counts and the database's age, the fixes as commands that run, a
//! checklist table of the findings to act on, then one collapsed `<details>` block per
//! package (its advisories and how it is reached), the ignored findings with their
//! reasons, and notes. A section that would pass the limit ends with a `… N more` line.
//! Files are named relative to the workspace (the lockfile relative to its repository),
//! never by a machine path.

use super::Roots;
use crate::audit::findings::{AuditReport, Finding, FindingKind, Remediation, Step};
use crate::words::plural;
use std::path::Path;

/// GitHub's limit on a comment's body.
pub const LIMIT: usize = 65_536;

/// Renders the Markdown report, files named from the lockfile's roots.
pub fn render(r: &AuditReport) -> String {
    render_with(r, &Roots::of(&r.lockfile.location))
}

/// Renders the Markdown report with the lockfile's roots already found, within `LIMIT`.
pub fn render_with(r: &AuditReport, roots: &Roots) -> String {
    render_within(r, roots, LIMIT)
}

/// Renders within `limit` (see [`cost`]).
pub fn render_within(r: &AuditReport, roots: &Roots, limit: usize) -> String {
    let shown = Shown::new(&r.lockfile.location, roots);
    let sections = [
        fixes(r, roots, &shown),
        findings(r),
        details(r, &shown),
        ignored(r, &shown),
        notes(r, &shown),
    ];
    fit(&head(r, roots), &sections, limit)
}

/// What a text costs against the limit: its bytes (never fewer than GitHub's
/// characters), plus one for each line end, which a browser may send as `\r\n`.
pub fn cost(s: &str) -> usize {
    s.len() + s.bytes().filter(|&b| b == b'\n').count()
}

/// A section: its title (and anything before its items) and its items, each a whole
/// piece of Markdown, shown in order until the limit would be passed.
struct Section {
    title: String,
    items: Vec<String>,
    /// What an item is, for the cut line: one, many.
    noun: (&'static str, &'static str),
}

/// The line that says how many items of a section were left out.
fn cut_line(n: usize, noun: (&str, &str)) -> String {
    format!(
        "\n… {n} more {} (left out to fit GitHub's 65,536-character comment limit; `--format json` has every finding)\n",
        plural(n, noun.0, noun.1)
    )
}

/// Lays out the head and the sections within `limit`: every section that has items gets
/// its title, and room for its cut line is kept from the start, so a long section never
/// crowds out the ones after it.
fn fit(head: &str, sections: &[Section], limit: usize) -> String {
    let sections: Vec<&Section> = sections.iter().filter(|s| !s.items.is_empty()).collect();
    let least = |s: &Section| cost(&s.title) + cost(&cut_line(s.items.len(), s.noun));
    let mut out = String::new();
    let reserved: usize = sections.iter().map(|s| least(s)).sum();
    out.push_str(&clip(head, limit.saturating_sub(reserved)));
    let mut used = cost(&out);
    for (i, s) in sections.iter().enumerate() {
        let later: usize = sections[i + 1..].iter().map(|s| least(s)).sum();
        out.push_str(&s.title);
        used += cost(&s.title);
        for (k, item) in s.items.iter().enumerate() {
            let left_after = s.items.len() - k - 1;
            let room_for_cut = match left_after {
                0 => 0,
                n => cost(&cut_line(n, s.noun)),
            };
            if used + cost(item) + room_for_cut + later <= limit {
                out.push_str(item);
                used += cost(item);
            } else {
                let cut = cut_line(s.items.len() - k, s.noun);
                used += cost(&cut);
                out.push_str(&cut);
                break;
            }
        }
    }
    out
}

/// `s`, cut at a character boundary so that it costs at most `room`.
fn clip(s: &str, room: usize) -> String {
    if cost(s) <= room {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let c_cost = c.len_utf8() + usize::from(c == '\n');
        if used + c_cost + cost("…\n") > room {
            break;
        }
        out.push(c);
        used += c_cost;
    }
    out.push_str("…\n");
    out
}

fn head(r: &AuditReport, roots: &Roots) -> String {
    let s = &r.summary;
    let verdict = if r.fails() {
        format!("❌ **FAIL** ({})", r.failure_causes().join(", "))
    } else if r.binary.as_ref().is_some_and(|b| !b.complete) {
        "⚠️ **incomplete** (a partial crate list: no finding is not a clean bill)".to_string()
    } else {
        "✅ **pass**".to_string()
    };
    let db = &r.database;
    let binary = r
        .binary
        .as_ref()
        .map(|b| format!("\nBinary: {}\n", b.describe(r.lockfile.packages)))
        .unwrap_or_default();
    format!(
        "### cargo-depaudit: {verdict}: {} {}, {} {}, {} ignored, {} failing the policy\n\n`{}` ({} packages) · advisory database {} ({}, {} advisories{})\n",
        s.vulnerabilities,
        plural(s.vulnerabilities, "vulnerability", "vulnerabilities"),
        s.warnings,
        plural(s.warnings, "warning", "warnings"),
        s.ignored,
        s.denied,
        code(&crate::pathtext::display(&roots.lockfile_in_repository())),
        r.lockfile.packages,
        db.last_updated
            .as_deref()
            .map(|d| &d[..d.len().min(10)])
            .unwrap_or("undated"),
        db.age_days
            .map_or("age unknown".to_string(), |d| format!("{d} days old")),
        db.advisory_count,
        db.commit
            .as_deref()
            .map(|c| format!(", commit `{}`", &c[..c.len().min(10)]))
            .unwrap_or_default(),
    ) + &binary
}

/// The distinct fixes, most findings fixed first: each a command line to run (or, for a
/// step only a person can do, what to do), the advisories it fixes, and caveats.
fn fixes(r: &AuditReport, roots: &Roots, shown: &Shown) -> Section {
    let mut groups: Vec<&Remediation> = Vec::new();
    for f in r.findings.iter().filter(|f| !f.ignored) {
        let Some(rem) = &f.remediation else { continue };
        if rem.command.is_some() && !groups.iter().any(|g| g.command == rem.command) {
            groups.push(rem);
        }
    }
    groups.sort_by(|a, b| {
        b.fixes
            .len()
            .cmp(&a.fixes.len())
            .then_with(|| a.command.cmp(&b.command))
    });
    let items = groups
        .iter()
        .map(|rem| {
            let mut caveats = Vec::new();
            if !rem.verified {
                caveats.push("unverified");
            }
            if !rem.compatible {
                caveats.push("not semver-compatible");
            }
            let caveats = match caveats.is_empty() {
                true => String::new(),
                false => format!("; {}", caveats.join(", ")),
            };
            format!(
                "- {} (fixes {}{caveats})\n",
                capitalized(&how_to_fix(&rem.steps, shown)),
                rem.fixes.join(", ")
            )
        })
        .collect();
    let place = roots.workspace_in_repository();
    let run_in = match place.as_os_str().is_empty() {
        true => String::new(),
        false => format!("Run in `{}/`:\n\n", code(&crate::pathtext::display(&place))),
    };
    Section {
        title: format!("\n#### Fixes\n\n{run_in}"),
        items,
        noun: ("fix", "fixes"),
    }
}

/// A plan's steps as a user runs them: consecutive commands as one `a && b` command
/// line, and a manifest edit `cargo add` cannot make (or a step only a person can do)
/// as the edit to make, in words.
fn how_to_fix(steps: &[Step], shown: &Shown) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut commands: Vec<String> = Vec::new();
    let flush = |commands: &mut Vec<String>, parts: &mut Vec<String>| {
        if !commands.is_empty() {
            parts.push(format!("`{}`", code(&commands.join(" && "))));
            commands.clear();
        }
    };
    for step in steps {
        let command = step.command();
        let runs = matches!(step, Step::Update { .. })
            || (matches!(step, Step::ManifestEdit { .. }) && command.starts_with("cargo add "));
        if runs {
            commands.push(command);
            continue;
        }
        flush(&mut commands, &mut parts);
        parts.push(match step {
            Step::ManifestEdit {
                key,
                manifest,
                line,
                member,
                to_req,
                workspace_dependency,
                ..
            } => {
                let file = match manifest {
                    Some(m) => format!("`{}`", code(&shown.path(m))),
                    None => format!("the manifest of `{}`", code(member)),
                };
                let at = line.map(|l| format!(" line {l}")).unwrap_or_default();
                let table = match workspace_dependency {
                    true => " (`[workspace.dependencies]`)",
                    false => "",
                };
                format!(
                    "set `{}` in {file}{at}{table}",
                    code(&format!("{key} = \"{to_req}\""))
                )
            }
            _ => cell(&shown.text(&command)),
        });
    }
    flush(&mut commands, &mut parts);
    parts.join(", then ")
}

fn findings(r: &AuditReport) -> Section {
    let items = r
        .findings
        .iter()
        .filter(|f| !f.ignored)
        .map(|f| {
            let id = match f.advisory.as_ref().and_then(|a| a.rustsec_url.as_deref()) {
                Some(url) => format!("[{}]({url})", f.id()),
                None => f.id().to_string(),
            };
            let mut kind = f.kind.as_str().to_string();
            if let Some(d) = &f.ignore_expired {
                kind.push_str(&format!(" (ignore expired {d})"));
            }
            format!(
                "| ☐ | {id} | `{}` | {} | {kind} | {} | {} | {} | {} |\n",
                cell(&f.package.name),
                cell(&f.package.version),
                f.severity().map_or("-", |s| s.as_str()),
                cell(&f.title()),
                cell(&patched(f)),
                if r.is_denied(f) { "**yes**" } else { "no" },
            )
        })
        .collect();
    Section {
        title: "\n#### Findings\n\n| Done | ID | Crate | Version | Kind | Severity | Title | Patched | Fails |\n|---|---|---|---|---|---|---|---|---|\n".into(),
        items,
        noun: ("finding", "findings"),
    }
}

/// One collapsed block per package (crate and version): its advisories, then the
/// dependency paths to it, once.
fn details(r: &AuditReport, shown: &Shown) -> Section {
    let mut packages: Vec<(&str, &str, Vec<&Finding>)> = Vec::new();
    for f in r.findings.iter().filter(|f| !f.ignored) {
        let (name, version) = (f.package.name.as_str(), f.package.version.as_str());
        match packages
            .iter_mut()
            .find(|(n, v, _)| *n == name && *v == version)
        {
            Some((_, _, list)) => list.push(f),
            None => packages.push((name, version, vec![f])),
        }
    }
    let items = packages
        .iter()
        .map(|(name, version, list)| {
            let ids: Vec<&str> = list.iter().map(|f| f.id()).collect();
            let mut block = format!(
                "\n<details><summary>{} {}: {}</summary>\n\n",
                html(name),
                html(version),
                html(&ids.join(", "))
            );
            for f in list {
                block.push_str(&advisory_line(r, f, shown));
            }
            let mut paths: Vec<String> = Vec::new();
            for f in list {
                for p in dependency_paths(f) {
                    if !paths.contains(&p) {
                        paths.push(p);
                    }
                }
            }
            if !paths.is_empty() {
                block.push_str("\nHow it is reached:\n\n");
                for p in paths {
                    block.push_str(&format!("- {}\n", cell(&p)));
                }
            }
            block.push_str("\n</details>\n");
            block
        })
        .collect();
    Section {
        title: "\n#### Details\n".into(),
        items,
        noun: ("package", "packages"),
    }
}

/// `- ID (kind, severity): title. Patched: …. Fix: …` for one finding of a package.
fn advisory_line(r: &AuditReport, f: &Finding, shown: &Shown) -> String {
    let id = match f.advisory.as_ref().and_then(|a| a.rustsec_url.as_deref()) {
        Some(url) => format!("[{}]({url})", f.id()),
        None => f.id().to_string(),
    };
    let mut about = vec![f.kind.as_str().to_string()];
    if let Some(s) = f.severity() {
        about.push(format!("severity {}", s.as_str()));
    }
    if r.is_denied(f) {
        about.push("fails the policy".into());
    }
    let mut line = format!(
        "- **{id}** ({}): {}",
        about.join(", "),
        ensure_period(&cell(&f.title()))
    );
    if f.kind != FindingKind::Yanked {
        line.push_str(&format!(" Patched: {}.", cell(&patched(f))));
    }
    match &f.remediation {
        Some(rem) if !rem.steps.is_empty() && rem.command.is_some() => {
            line.push_str(&format!(" Fix: {}.", how_to_fix(&rem.steps, shown)));
        }
        Some(rem) => line.push_str(&format!(
            " {}",
            ensure_period(&capitalized(&cell(&shown.text(&rem.explanation))))
        )),
        None => {}
    }
    if let Some(reach) = &f.reachability {
        line.push_str(&format!(
            " {}.",
            cell(&capitalized(&crate::report::reachability_line(reach)))
        ));
    }
    line.push('\n');
    line
}

fn ignored(r: &AuditReport, shown: &Shown) -> Section {
    let items = r
        .findings
        .iter()
        .filter(|f| f.ignored)
        .map(|f| {
            let mut line = format!(
                "- {} in `{} {}` ({}): {}",
                f.id(),
                f.package.name,
                f.package.version,
                f.kind.as_str(),
                cell(f.ignore_reason.as_deref().unwrap_or("no reason given")),
            );
            if let Some(origin) = &f.ignore_origin {
                line.push_str(&format!(" (from `{}`", code(&shown.path(origin))));
                match &f.ignore_until {
                    Some(u) => line.push_str(&format!(", until {u})")),
                    None => line.push_str(", no expiry)"),
                }
            }
            line.push('\n');
            line
        })
        .collect();
    Section {
        title: "\n#### Ignored\n\n".into(),
        items,
        noun: ("ignored finding", "ignored findings"),
    }
}

fn notes(r: &AuditReport, shown: &Shown) -> Section {
    let mut items: Vec<String> = r
        .notes
        .iter()
        .map(|n| format!("- {}\n", cell(&shown.text(n))))
        .collect();
    for s in &r.stale_ignores {
        let fails = if r.deny_stale_ignores {
            " (fails: stale ignores are denied)"
        } else {
            ""
        };
        items.push(format!(
            "- ignore for {} matched no finding{fails}\n",
            cell(&shown.text(s))
        ));
    }
    Section {
        title: "\n#### Notes\n\n".into(),
        items,
        noun: ("note", "notes"),
    }
}

/// Dependency paths as `root → … → crate` lines, with step kinds when known.
pub fn dependency_paths(f: &Finding) -> Vec<String> {
    f.paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let kinds = f.path_kinds.get(i).map(Vec::as_slice).unwrap_or(&[]);
            crate::report::render_path(p, kinds)
        })
        .collect()
}

/// Files named relative to the workspace: the ways a run may have spelled the workspace
/// folder (absolute, with symlinks resolved or not, or relative to the current
/// directory), each taken off the front of a path, and the repository's folders above
/// it written as `../`.
struct Shown {
    /// (prefix, what it becomes), longest prefix first.
    prefixes: Vec<(String, String)>,
}

impl Shown {
    fn new(lockfile: &Path, roots: &Roots) -> Shown {
        let mut prefixes: Vec<(String, String)> = Vec::new();
        let mut add = |p: &Path, to: String| {
            let text = crate::pathtext::display(p);
            if !text.is_empty() && text != "." && !prefixes.iter().any(|(t, _)| *t == text) {
                prefixes.push((text, to));
            }
        };
        let given = lockfile.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = given {
            add(dir, String::new());
            if let Ok(abs) = std::path::absolute(dir) {
                add(&super::normalize(&abs), String::new());
            }
        }
        add(&roots.workspace, String::new());
        let depth = roots.workspace_in_repository().components().count();
        if depth > 0 {
            add(&roots.repository, "../".repeat(depth));
        }
        prefixes.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
        Shown { prefixes }
    }

    /// A path as shown: relative to the workspace when it is inside it.
    fn path(&self, p: &str) -> String {
        self.text(p)
    }

    /// Text with every path inside the workspace (or its repository) made relative: a
    /// known prefix followed by `/` is replaced where a path can start (the start of
    /// the text, or after a space, quote, bracket or similar).
    fn text(&self, s: &str) -> String {
        let path_char =
            |c: char| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '~' | '\\');
        let mut out = s.to_string();
        for (prefix, to) in &self.prefixes {
            let needle = format!("{}/", prefix.trim_end_matches('/'));
            let mut result = String::with_capacity(out.len());
            let mut last = 0;
            for (i, _) in out.match_indices(&needle) {
                if out[..i].chars().last().is_none_or(|c| !path_char(c)) {
                    result.push_str(&out[last..i]);
                    result.push_str(to);
                    last = i + needle.len();
                }
            }
            result.push_str(&out[last..]);
            out = result;
        }
        out
    }
}

fn patched(f: &Finding) -> String {
    match f.patched() {
        [] if f.kind == FindingKind::Yanked => "-".to_string(),
        [] => "no fix published".to_string(),
        p => p.join(" OR "),
    }
}

fn ensure_period(s: &str) -> String {
    let t = s.trim();
    if t.ends_with(['.', '!', '?']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Escapes text for a table cell or a list item (one line, no cell break).
fn cell(s: &str) -> String {
    crate::pathtext::for_text(&s.replace('|', "\\|"))
}

/// Text inside a code span: one line, no backtick to end it early.
fn code(s: &str) -> String {
    crate::pathtext::for_text(&s.replace('`', "'"))
}

/// Text inside an HTML element (`<summary>`): one line, markup escaped.
fn html(s: &str) -> String {
    crate::pathtext::for_text(
        &s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(n: usize, len: usize) -> Section {
        Section {
            title: "\n#### T\n\n".into(),
            items: (0..n)
                .map(|i| format!("- {i} {}\n", "x".repeat(len)))
                .collect(),
            noun: ("item", "items"),
        }
    }

    #[test]
    fn sections_are_cut_with_the_number_left_out_and_later_ones_keep_room() {
        let out = fit("# head\n", &[section(100, 50), section(3, 10)], 2_000);
        assert!(cost(&out) <= 2_000, "{}", cost(&out));
        let shown = out.lines().filter(|l| l.starts_with("- ")).count();
        let first_shown = shown - 3;
        assert!(
            out.contains(&format!("… {} more items", 100 - first_shown)),
            "{out}"
        );
        assert!(
            out.ends_with("- 2 xxxxxxxxxx\n"),
            "the last section fits whole: {out}"
        );
        let whole = fit("# head\n", &[section(10, 10)], 2_000);
        assert!(!whole.contains("more items"), "{whole}");
        assert_eq!(whole.lines().filter(|l| l.starts_with("- ")).count(), 10);
    }

    #[test]
    fn the_cost_counts_bytes_and_line_ends_twice() {
        assert_eq!(cost("é\n"), 4);
        assert_eq!(clip("abcdef\n", 7), "ab…\n");
        assert_eq!(cost(&clip(&"é".repeat(100), 50)), 49);
    }

    #[test]
    fn machine_paths_become_workspace_relative() {
        let roots = Roots {
            workspace: "/home/me/repo/sub/ws".into(),
            repository: "/home/me/repo".into(),
            file_name: "Cargo.lock".into(),
        };
        let shown = Shown::new(Path::new("../repo/sub/ws/Cargo.lock"), &roots);
        assert_eq!(
            shown.path("/home/me/repo/sub/ws/depaudit.toml"),
            "depaudit.toml"
        );
        assert_eq!(
            shown.text(
                "ignore for X (../repo/sub/ws/deny.toml) and /home/me/repo/.cargo/audit.toml"
            ),
            "ignore for X (deny.toml) and ../../.cargo/audit.toml"
        );
        assert_eq!(shown.text("/x/home/me/repo/a"), "/x/home/me/repo/a");
    }
}
