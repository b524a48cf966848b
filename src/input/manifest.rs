//! Finding and raising a dependency requirement in a workspace member's `Cargo.toml`,
//! with `toml_edit` so comments and layout survive. A requirement inherited with
//! `workspace = true` lives in the root manifest's `[workspace.dependencies]`; that is
//! the line named and edited.

use crate::input::depkind::DepKind;
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item, TableLike, Value};

/// Where a requirement is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The manifest holding it.
    pub file: PathBuf,
    /// 1-based line of the dependency's key.
    pub line: u32,
    /// Found in `[workspace.dependencies]` (inherited).
    pub workspace: bool,
    /// Table path to the dependency's entry, ending with its key.
    pub path: Vec<String>,
}

fn table_name(kind: DepKind) -> &'static str {
    match kind {
        DepKind::Normal => "dependencies",
        DepKind::Build => "build-dependencies",
        DepKind::Dev => "dev-dependencies",
    }
}

/// Manifests larger than this are not read.
const MAX_MANIFEST: u64 = 4 * 1024 * 1024;

fn read(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_MANIFEST {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// Finds the entry `key` of a member's dependency table of `kind` (under `target` when
/// target-specific), following `workspace = true` to the root manifest.
pub fn locate(
    manifest: &Path,
    root: &Path,
    key: &str,
    kind: DepKind,
    target: Option<&str>,
) -> Option<Location> {
    let mut path: Vec<String> = Vec::new();
    if let Some(t) = target {
        path.push("target".into());
        path.push(t.to_string());
    }
    path.push(table_name(kind).into());
    path.push(key.to_string());
    let text = read(manifest)?;
    let (line, item_is_inherited) = find(&text, &path)?;
    if !item_is_inherited {
        return Some(Location {
            file: manifest.to_path_buf(),
            line,
            workspace: false,
            path,
        });
    }
    let root_manifest = root.join("Cargo.toml");
    let path = vec!["workspace".into(), "dependencies".into(), key.to_string()];
    let text = read(&root_manifest)?;
    let (line, _) = find(&text, &path)?;
    Some(Location {
        file: root_manifest,
        line,
        workspace: true,
        path,
    })
}

/// The line of the entry at `path` and whether it says `workspace = true`.
fn find(text: &str, path: &[String]) -> Option<(u32, bool)> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let (last, tables) = path.split_last()?;
    let mut table: &dyn TableLike = doc.as_table();
    for name in tables {
        table = table.get(name)?.as_table_like()?;
    }
    let (k, item) = table.get_key_value(last)?;
    let offset = k.span().or_else(|| item.span())?.start;
    let line = text[..offset.min(text.len())].matches('\n').count() as u32 + 1;
    let inherited = item
        .as_table_like()
        .and_then(|t| t.get("workspace"))
        .and_then(Item::as_bool)
        .unwrap_or(false);
    Some((line, inherited))
}

/// Rewrites the requirement at `loc` to `req`, keeping everything else of the file.
pub fn set_requirement(loc: &Location, req: &str) -> Result<(), String> {
    let text = read(&loc.file).ok_or_else(|| format!("cannot read {}", loc.file.display()))?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| format!("{}: {}", loc.file.display(), one_line(&e)))?;
    let (last, tables) = loc.path.split_last().ok_or("empty path")?;
    let mut table: &mut dyn TableLike = doc.as_table_mut();
    for name in tables {
        table = table
            .get_mut(name)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| format!("{}: no table {name}", loc.file.display()))?;
    }
    let item = table
        .get_mut(last)
        .ok_or_else(|| format!("{}: no entry {last}", loc.file.display()))?;
    match item {
        Item::Value(Value::String(s)) => {
            let decor = s.decor().clone();
            let mut v = toml_edit::Formatted::new(req.to_string());
            *v.decor_mut() = decor;
            *s = v;
        }
        other => {
            let t = other
                .as_table_like_mut()
                .ok_or_else(|| format!("{}: {last} is not a table", loc.file.display()))?;
            match t.get_mut("version") {
                Some(Item::Value(Value::String(s))) => {
                    let decor = s.decor().clone();
                    let mut v = toml_edit::Formatted::new(req.to_string());
                    *v.decor_mut() = decor;
                    *s = v;
                }
                _ => {
                    t.insert("version", toml_edit::value(req));
                }
            }
        }
    }
    std::fs::write(&loc.file, doc.to_string())
        .map_err(|e| format!("failed to write {}: {e}", loc.file.display()))
}

fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_plain_table_inline_target_and_inherited_entries() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"app\"]\n\n[workspace.dependencies]\n# pinned\nfoo = { version = \"=0.3.4\" }\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("app")).unwrap();
        let m = root.join("app/Cargo.toml");
        std::fs::write(
            &m,
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\nbar = \"0.1\" # keep\nfoo.workspace = true\n\n[target.'cfg(unix)'.dependencies]\nbaz = { version = \"1\", optional = true }\n",
        )
        .unwrap();
        let bar = locate(&m, root, "bar", DepKind::Normal, None).unwrap();
        assert_eq!((bar.line, bar.workspace), (6, false));
        let baz = locate(&m, root, "baz", DepKind::Normal, Some("cfg(unix)")).unwrap();
        assert_eq!(baz.line, 10);
        let foo = locate(&m, root, "foo", DepKind::Normal, None).unwrap();
        assert_eq!((foo.line, foo.workspace), (6, true));
        assert_eq!(foo.file, root.join("Cargo.toml"));
        assert!(locate(&m, root, "nope", DepKind::Normal, None).is_none());

        set_requirement(&bar, "0.2.1").unwrap();
        set_requirement(&foo, "0.4.1").unwrap();
        set_requirement(&baz, "1.5").unwrap();
        let member = std::fs::read_to_string(&m).unwrap();
        assert!(member.contains("bar = \"0.2.1\" # keep"), "{member}");
        assert!(
            member.contains("baz = { version = \"1.5\", optional = true }"),
            "{member}"
        );
        let rootm = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(
            rootm.contains("# pinned\nfoo = { version = \"0.4.1\" }"),
            "{rootm}"
        );
    }
}
