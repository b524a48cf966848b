//! Command-line arguments (clap derive). `cargo depaudit …` and `cargo-depaudit …` both
//! parse: cargo passes the subcommand word as the first argument, which is dropped.
//! Common `cargo audit` flags keep their meaning so users keep their habits.

use crate::report::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Audit Cargo.lock against a locally cached RustSec advisory database.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-depaudit",
    bin_name = "cargo depaudit",
    version,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do (default: audit).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Audit options, when no subcommand is given.
    #[command(flatten)]
    pub audit: AuditArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit a workspace's Cargo.lock (the default).
    Audit(AuditArgs),
    /// Clone or update the advisory database.
    Fetch(FetchArgs),
    /// Print the effective policy and where each setting comes from.
    Policy(PolicyArgs),
    /// Audit every Cargo.lock under some folders (lockfile-only, in parallel), or with
    /// --binaries every compiled binary.
    Scan(ScanArgs),
    /// Audit compiled binaries (ELF, Mach-O, PE, WebAssembly): the dependency list
    /// cargo auditable embeds, else the crate versions the binary reveals (incomplete).
    Bin(BinArgs),
    /// Print the dependency paths to any crate, vulnerable or not.
    Why(WhyArgs),
    /// Apply the remediations: `cargo update --precise`, and with
    /// --allow-manifest-edits the members' requirement bumps; then re-audit.
    Fix(FixArgs),
    /// Exposure windows from a git repository's history: when each vulnerable version
    /// came in, when it left, and the time to remediate (read from the object database,
    /// no checkout).
    History(HistoryArgs),
}

/// `scan` subcommands.
#[derive(Debug, Subcommand, Clone)]
pub enum ScanCommand {
    /// Combine the JSON Lines of `scan --shard K/N` runs into the report one unsharded
    /// run gives.
    Merge(MergeArgs),
}

/// `scan merge` options.
#[derive(Debug, Args, Clone)]
pub struct MergeArgs {
    /// The shards' JSON Lines.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: ScanFormat,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Group the report by lockfile or by advisory.
    #[arg(long, value_enum, default_value = "lockfile")]
    pub by: ScanBy,
}

/// How `scan` groups its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanBy {
    /// One entry per lockfile.
    Lockfile,
    /// One entry per advisory.
    Advisory,
}

/// `history` output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HistoryFormat {
    /// A table and a summary.
    Table,
    /// One JSON document.
    Json,
    /// One JSON object per window, then the summary.
    Jsonl,
    /// Markdown.
    Markdown,
}

/// `history` options.
#[derive(Debug, Args, Clone)]
pub struct HistoryArgs {
    /// The repository: a work tree or a bare mirror.
    #[arg(value_name = "REPO")]
    pub repo: PathBuf,
    /// The ref to walk (first parents), as git names it (default: HEAD).
    #[arg(long = "ref", value_name = "REF")]
    pub refname: Option<String>,
    /// Only commits from this day on (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Count open windows to this day (YYYY-MM-DD; default: today).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: HistoryFormat,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Database options.
    #[command(flatten)]
    pub db: DbArgs,
    /// Never fetch the database.
    #[arg(long, short = 'n', alias = "no-fetch")]
    pub offline: bool,
    /// Also read lockfiles in hidden folders, `target/` and `vendor/`.
    #[arg(long)]
    pub all_dirs: bool,
}

/// `why` options.
#[derive(Debug, Args, Clone)]
pub struct WhyArgs {
    /// The crate, as NAME or NAME@VERSION.
    #[arg(value_name = "CRATE[@VERSION]")]
    pub spec: String,
    /// Path to the workspace's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Read this Cargo.lock (implies --lockfile-only).
    #[arg(
        short = 'f',
        long,
        value_name = "FILE",
        conflicts_with = "manifest_path"
    )]
    pub file: Option<PathBuf>,
    /// Read only Cargo.lock: never run `cargo metadata` or any other process.
    #[arg(long)]
    pub lockfile_only: bool,
    /// Paths per version: a number, or `all`.
    #[arg(long, value_name = "N|all", default_value = "10")]
    pub paths: String,
    /// Print JSON instead of a tree.
    #[arg(long)]
    pub json: bool,
}

/// `fix` options.
#[derive(Debug, Args, Clone, Default)]
pub struct FixArgs {
    /// Path to the workspace's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Database options.
    #[command(flatten)]
    pub db: DbArgs,
    /// Never fetch the database; also passes --offline to cargo.
    #[arg(long, short = 'n', alias = "no-fetch")]
    pub offline: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Ask the crates.io sparse index over the network about crates cargo's local cache
    /// lacks (never done otherwise).
    #[arg(long, conflicts_with = "offline")]
    pub online_index: bool,
    /// Also raise workspace members' requirements in their Cargo.toml (or in
    /// `[workspace.dependencies]`), within semver compatibility.
    #[arg(long)]
    pub allow_manifest_edits: bool,
    /// Also apply semver-incompatible steps (implies manifest edits). Each is followed by
    /// `cargo check --workspace --all-targets`, which runs the project's build scripts
    /// and proc-macros, and is rolled back when the workspace built before and no
    /// longer does.
    #[arg(long)]
    pub allow_breaking: bool,
    /// Build-check every applied plan as --allow-breaking does (runs the project's build
    /// scripts and proc-macros).
    #[arg(long)]
    pub check: bool,
    /// Consider pre-release versions as targets even where the locked version is a
    /// release.
    #[arg(long)]
    pub allow_prerelease: bool,
    /// Fix every advisory with a fix, not only those the policy denies.
    #[arg(long)]
    pub all: bool,
    /// Edit a git work tree whose Cargo.lock or manifests have uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Policy options.
    #[command(flatten)]
    pub policy: PolicyFlags,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print nothing on standard error but errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Scan output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    /// One JSON object per lockfile, then a summary object (the default).
    Jsonl,
    /// One JSON document.
    Json,
    /// A table, one row per lockfile.
    Table,
    /// Markdown: a verdict, a table per lockfile, the findings, top fixes and errors.
    Markdown,
}

/// `scan` options.
#[derive(Debug, Args, Clone)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ScanArgs {
    /// `scan merge`: combine shards.
    #[command(subcommand)]
    pub merge: Option<ScanCommand>,
    /// Folders (or lockfiles, or with --binaries binaries) to scan (a folder named `merge`:
    /// `./merge`).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Scan only shard K of N (0 <= K < N): the repositories whose name hashes to K, so
    /// N runs cover every repository exactly once; `scan merge` combines their JSON Lines.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Database options.
    #[command(flatten)]
    pub db: DbArgs,
    /// Never fetch the database.
    #[arg(long, short = 'n', alias = "no-fetch")]
    pub offline: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: ScanFormat,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A previous scan's JSON Lines: mark findings new / unchanged / fixed.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// What fails the scan: `any` denied finding or unreadable lockfile; `new`: only
    /// new ones against --baseline (an unreadable lockfile is new when it was readable
    /// there); `errors`: unreadable lockfiles alone; `new,errors`: new findings and any
    /// unreadable lockfile.
    #[arg(long, value_name = "WHEN", default_value = "any")]
    pub fail_on: String,
    /// Parallel audits (default: the number of CPUs).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Ignore an advisory (id or alias); repeatable.
    #[arg(long, value_name = "ID")]
    pub ignore: Vec<String>,
    /// Also fail on: warnings, unmaintained, unsound, notice, yanked.
    #[arg(short = 'D', long, value_name = "KIND", value_delimiter = ',')]
    pub deny: Vec<String>,
    /// A fleet-wide policy file (depaudit.toml format), merged with each repository's
    /// own policy toward the stricter gate.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only these advisories (ids or aliases; repeatable): "are we affected?". The exit
    /// code is 1 when any of their findings fails the policy.
    #[arg(long, value_name = "ID")]
    pub advisory: Vec<String>,
    /// Group the report by lockfile (one line per lockfile, the default) or by advisory
    /// (one entry per advisory with every lockfile, crate, version and fix it hits).
    #[arg(long, value_enum, default_value = "lockfile")]
    pub by: ScanBy,
    /// The paths are git repositories (work trees or bare mirrors): read every
    /// Cargo.lock in the tree of HEAD (or of each ref matching --refs) straight from the
    /// object database, with no checkout.
    #[arg(long)]
    pub git: bool,
    /// With --git: the refs to read, as a pattern on full ref names (`refs/heads/*`);
    /// default HEAD.
    #[arg(long, value_name = "PATTERN", requires = "git")]
    pub refs: Option<String>,
    /// With --git: each repository's exposure history (as `history` gives it) instead of
    /// the lockfiles of today, for the whole fleet.
    #[arg(long, requires = "git")]
    pub history: bool,
    /// With --history: only commits from this day on (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", requires = "history")]
    pub since: Option<String>,
    /// With --history: count open windows to this day (YYYY-MM-DD; default: today).
    #[arg(long, value_name = "DATE", requires = "history")]
    pub as_of: Option<String>,
    /// Do not read the scanned repositories' own policy files (depaudit.toml,
    /// .cargo/audit.toml, deny.toml): only --config and the flags apply.
    #[arg(long)]
    pub no_repo_policy: bool,
    /// Dependency paths per finding: a number, or `all` (`--paths`, as for audit).
    #[arg(long, alias = "paths", value_name = "N|all", default_value = "3")]
    pub paths_per_finding: String,
    /// Also descend into hidden folders, `target/` and `vendor/`.
    #[arg(long)]
    pub all_dirs: bool,
    /// Audit the compiled binaries under the folders instead of lockfiles: files told
    /// by their first bytes (ELF, Mach-O, PE, WebAssembly), whatever their name, in
    /// every folder; one line per binary. Symbolic links and special files are skipped.
    #[arg(long)]
    pub binaries: bool,
    /// Do not check for yanked crates (read from cargo's local index cache).
    #[arg(long)]
    pub no_yanked: bool,
    /// No progress bar or status lines.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// `bin` options.
#[derive(Debug, Args, Clone, Default)]
pub struct BinArgs {
    /// The binaries to audit.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The workspace the binaries were built from (its folder, Cargo.toml, or a
    /// Cargo.lock read alone): its lockfile's remediation and its policy files are used.
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,
    /// Findings on build-time-only dependencies (build scripts, proc-macros: not in the
    /// shipped code) fail the run too; they are reported either way.
    #[arg(long)]
    pub deny_build_deps: bool,
    /// The options `audit` has too.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Where the advisory database is.
#[derive(Debug, Args, Clone, Default)]
pub struct DbArgs {
    /// Advisory database folder (default: $DEPAUDIT_DB, else the user cache dir).
    #[arg(short = 'd', long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Fail when the database is older than DAYS.
    #[arg(long, value_name = "DAYS")]
    pub max_db_age: Option<u32>,
    /// Accepted for `cargo audit` compatibility: a stale database is only an error with
    /// --max-db-age.
    #[arg(long, hide = true)]
    pub stale: bool,
}

/// `audit` options.
#[derive(Debug, Args, Clone, Default)]
pub struct AuditArgs {
    /// Path to the workspace's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Audit this Cargo.lock (implies --lockfile-only).
    #[arg(
        short = 'f',
        long,
        value_name = "FILE",
        conflicts_with = "manifest_path"
    )]
    pub file: Option<PathBuf>,
    /// Read only Cargo.lock: never run `cargo metadata` or any other process.
    #[arg(long)]
    pub lockfile_only: bool,
    /// Do not read dependents' sources for reachability verdicts.
    #[arg(long)]
    pub no_reachability: bool,
    /// Drop findings reachable only through the members' dev-dependencies (needs
    /// `cargo metadata`; says how many were dropped).
    #[arg(long)]
    pub exclude_dev: bool,
    /// For remediation and the yanked check, ask the crates.io sparse index over the
    /// network about crates cargo's local cache lacks (never done otherwise).
    #[arg(long, conflicts_with = "offline")]
    pub online_index: bool,
    /// The options `bin` has too.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// The options of every run that audits and reports (`audit`, the bare command, `bin`):
/// the database, which reports go where, the policy flags and how findings are shown.
#[derive(Debug, Args, Clone, Default)]
pub struct CommonArgs {
    /// Database options.
    #[command(flatten)]
    pub db: DbArgs,
    /// Never fetch the database, even when there is none (alias: --no-fetch).
    #[arg(long, short = 'n', alias = "no-fetch")]
    pub offline: bool,
    /// Output format; repeat it with --output to write several reports in one run
    /// (`--format sarif --output a.sarif --format table`). Each --output goes with the
    /// --format before it.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Vec<Format>,
    /// Same as --format json.
    #[arg(long)]
    pub json: bool,
    /// Write the report of the preceding --format to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// The reports to write, (format, file or standard output), in command-line order.
    /// Filled in by [`parse`]; when empty, formats and outputs pair up by position.
    #[arg(skip)]
    pub reports: Vec<(Format, Option<PathBuf>)>,
    /// Policy options.
    #[command(flatten)]
    pub policy: PolicyFlags,
    /// Do not check for yanked crates.
    #[arg(long)]
    pub no_yanked: bool,
    /// Dependency paths per finding: a number, or `all`.
    #[arg(long, value_name = "N|all", default_value = "3")]
    pub paths: String,
    /// Do not print the dependency trees under the table.
    #[arg(long)]
    pub no_tree: bool,
    /// Print nothing on standard error but errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: String,
}

impl CommonArgs {
    /// The reports to write: (format, file or standard output), as [`parse`] paired
    /// them, or by order for options built in code.
    pub fn report_targets(&self) -> Result<Vec<(Format, Option<PathBuf>)>, String> {
        if !self.reports.is_empty() {
            return Ok(self.reports.clone());
        }
        reports_by_order(&self.format, self.json, &self.output)
    }
}

/// Policy flags; they override `depaudit.toml`.
#[derive(Debug, Args, Clone, Default)]
pub struct PolicyFlags {
    /// Policy file (default: depaudit.toml beside the audited Cargo.lock).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore an advisory (id or alias such as a CVE); repeatable; added to the file's.
    #[arg(long, value_name = "ID")]
    pub ignore: Vec<String>,
    /// Only report advisories that affect this target triple (repeatable).
    #[arg(long, value_name = "TRIPLE")]
    pub target: Vec<String>,
    /// Only report advisories that affect this OS (repeatable).
    #[arg(long, value_name = "OS")]
    pub target_os: Vec<String>,
    /// Only report advisories that affect this CPU architecture (repeatable).
    #[arg(long, value_name = "ARCH")]
    pub target_arch: Vec<String>,
    /// Also fail on: warnings (all of them), unmaintained, unsound, notice, yanked,
    /// stale-ignores. Added to the policy file's `deny`: a flag only ever tightens it.
    #[arg(short = 'D', long, value_name = "KIND", value_delimiter = ',')]
    pub deny: Vec<String>,
    /// Findings below this severity (low, medium, high, critical) do not fail the run.
    #[arg(long, value_name = "LEVEL")]
    pub severity_threshold: Option<String>,
    /// An OpenVEX or CycloneDX VEX file (repeatable): each explicit not_affected
    /// statement for a crate suppresses that finding as an ignore does; nothing else does.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
}

/// `policy` options.
#[derive(Debug, Args, Clone, Default)]
pub struct PolicyArgs {
    /// Path to the workspace's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// The Cargo.lock whose folder holds the policy files.
    #[arg(
        short = 'f',
        long,
        value_name = "FILE",
        conflicts_with = "manifest_path"
    )]
    pub file: Option<PathBuf>,
    /// Fail when the database is older than DAYS.
    #[arg(long, value_name = "DAYS")]
    pub max_db_age: Option<u32>,
    /// Policy options.
    #[command(flatten)]
    pub policy: PolicyFlags,
}

/// `fetch` options.
#[derive(Debug, Args, Clone, Default)]
pub struct FetchArgs {
    /// Database folder to create or update (default: $DEPAUDIT_DB, else the user cache dir).
    #[arg(short = 'd', long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Git URL or local path of the database (default: $DEPAUDIT_DB_URL, else RustSec's).
    #[arg(long, value_name = "URL", alias = "url")]
    pub db_url: Option<String>,
    /// Print nothing but errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Drops the `depaudit` word that cargo inserts when run as `cargo depaudit`.
pub fn normalize_args(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.get(1).is_some_and(|a| a == "depaudit") {
        args.remove(1);
    }
    args
}

/// Parses the command line with clap, pairing each `--output` with its `--format` by
/// position (for `audit`, the bare command and `bin`).
pub fn parse(args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    let (sub, common) = match &mut cli.command {
        Some(Command::Audit(a)) => (matches.subcommand_matches("audit"), &mut a.common),
        Some(Command::Bin(a)) => (matches.subcommand_matches("bin"), &mut a.common),
        Some(_) => return Ok(cli),
        None => (Some(&matches), &mut cli.audit.common),
    };
    let Some(m) = sub else { return Ok(cli) };
    common.reports = reports_in_order(m, common)
        .map_err(|msg| Cli::command().error(clap::error::ErrorKind::ArgumentConflict, msg))?;
    Ok(cli)
}

/// The reports asked for, paired by the positions of their arguments in `m`.
fn reports_in_order(
    m: &clap::ArgMatches,
    args: &CommonArgs,
) -> Result<Vec<(Format, Option<PathBuf>)>, String> {
    let mut formats: Vec<(usize, Format)> = match m.indices_of("format") {
        Some(idx) => idx.zip(args.format.iter().copied()).collect(),
        None => Vec::new(),
    };
    if args.json
        && let Some(i) = m.index_of("json")
    {
        formats.push((i, Format::Json));
    }
    let outputs: Vec<(usize, PathBuf)> = match m.indices_of("output") {
        Some(idx) => idx.zip(args.output.iter().cloned()).collect(),
        None => Vec::new(),
    };
    pair_reports(formats, outputs)
}

/// Pairs `--format`s (and `--json`) with `--output`s by their order alone, for argument
/// values built without their command-line positions.
pub fn reports_by_order(
    formats: &[Format],
    json: bool,
    outputs: &[PathBuf],
) -> Result<Vec<(Format, Option<PathBuf>)>, String> {
    let mut formats = formats.to_vec();
    if json {
        formats.push(Format::Json);
    }
    let f = formats.into_iter().enumerate().map(|(i, f)| (2 * i, f));
    let o = outputs
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, o)| (2 * i + 1, o));
    pair_reports(f.collect(), o.collect())
}

/// Pairs formats and output files given as (argument index, value): an `--output` goes
/// with the latest `--format` before it that has none, else with the next `--format`.
/// With no format at all, outputs get the table. At most one report goes to stdout.
pub fn pair_reports(
    formats: Vec<(usize, Format)>,
    outputs: Vec<(usize, PathBuf)>,
) -> Result<Vec<(Format, Option<PathBuf>)>, String> {
    enum Ev {
        F(Format),
        O(PathBuf),
    }
    let mut events: Vec<(usize, Ev)> = formats
        .into_iter()
        .map(|(i, f)| (i, Ev::F(f)))
        .chain(outputs.into_iter().map(|(i, o)| (i, Ev::O(o))))
        .collect();
    events.sort_by_key(|(i, _)| *i);
    let any_format = events.iter().any(|(_, e)| matches!(e, Ev::F(_)));
    let mut reports: Vec<(Format, Option<PathBuf>)> = Vec::new();
    let mut waiting: Vec<PathBuf> = Vec::new();
    for (_, ev) in events {
        match ev {
            Ev::F(f) => {
                let out = (!waiting.is_empty()).then(|| waiting.remove(0));
                reports.push((f, out));
            }
            Ev::O(o) => match reports.last_mut() {
                Some((_, slot @ None)) => *slot = Some(o),
                _ if !any_format => reports.push((Format::Table, Some(o))),
                _ => waiting.push(o),
            },
        }
    }
    if let Some(o) = waiting.first() {
        return Err(format!(
            "--output {} has no --format of its own (write `--format F --output FILE` pairs)",
            o.display()
        ));
    }
    if reports.is_empty() {
        reports.push((Format::Table, None));
    }
    if reports.iter().filter(|(_, o)| o.is_none()).count() > 1 {
        return Err(
            "only one report can go to standard output: give the others --output FILE".into(),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (_, o) in &reports {
        if let Some(o) = o
            && !seen.insert(o.clone())
        {
            return Err(format!("--output {} is given twice", o.display()));
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_reports(args: &[&str]) -> Result<Vec<(Format, Option<PathBuf>)>, String> {
        let mut argv = vec!["cargo-depaudit"];
        argv.extend_from_slice(args);
        let cli = parse(argv.into_iter().map(Into::into).collect()).map_err(|e| e.to_string())?;
        Ok(match cli.command {
            Some(Command::Audit(a)) => a.common.reports,
            Some(Command::Bin(b)) => b.common.reports,
            _ => cli.audit.common.reports,
        })
    }

    #[test]
    fn outputs_pair_with_their_formats() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(parse_reports(&[]).unwrap(), vec![(Format::Table, None)]);
        assert_eq!(
            parse_reports(&[
                "--format", "sarif", "--output", "a.sarif", "--format", "table"
            ])
            .unwrap(),
            vec![(Format::Sarif, p("a.sarif")), (Format::Table, None)]
        );
        assert_eq!(
            parse_reports(&[
                "audit", "--output", "r.md", "--format", "markdown", "--json"
            ])
            .unwrap(),
            vec![(Format::Markdown, p("r.md")), (Format::Json, None)]
        );
        assert_eq!(
            parse_reports(&["-o", "t.txt"]).unwrap(),
            vec![(Format::Table, p("t.txt"))]
        );
        let e = parse_reports(&["--format", "json", "--format", "jsonl"]).unwrap_err();
        assert!(e.contains("only one report"), "{e}");
        let e = parse_reports(&[
            "--format", "json", "-o", "a", "--format", "sarif", "-o", "a",
        ])
        .unwrap_err();
        assert!(e.contains("given twice"), "{e}");
        // `bin` pairs by position as `audit` does: the output follows the second format.
        assert_eq!(
            parse_reports(&[
                "bin", "app", "--format", "json", "--format", "sarif", "-o", "b.sarif"
            ])
            .unwrap(),
            vec![(Format::Json, None), (Format::Sarif, p("b.sarif"))]
        );
    }
}
