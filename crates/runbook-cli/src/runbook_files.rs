//! Finding runbook and test files under the paths given on the command
//! line.

use std::io;
use std::path::{Path, PathBuf};

/// Expands directories into the runbook and test files below them, sorted;
/// files are kept as given. Hidden and `target` directories are skipped,
/// and so is what is not a regular file (a FIFO named `x.yaml` would block
/// the reader).
pub(crate) fn expand(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            if !name.starts_with('.') && name != "target" {
                walk(&path, found)?;
            }
        } else if is_yaml(&name) && std::fs::metadata(&path).is_ok_and(|metadata| metadata.is_file()) {
            found.push(path);
        }
    }
    Ok(())
}

fn is_yaml(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"))
}

/// Whether the file's name ends in `.yaml` or `.yml`.
pub(crate) fn is_yaml_file(path: &Path) -> bool {
    path.file_name().is_some_and(|name| is_yaml(&name.to_string_lossy()))
}

/// Whether the file is a runbook test file (`NAME.test.yaml`).
pub(crate) fn is_test_file(path: &Path) -> bool {
    path.file_stem().and_then(|stem| Path::new(stem).extension()).is_some_and(|ext| ext.eq_ignore_ascii_case("test"))
        && path.file_name().is_some_and(|name| is_yaml(&name.to_string_lossy()))
}

/// `NAME.test.yaml` beside `NAME.yaml` (or `.yml`).
pub(crate) fn test_file_of(runbook: &Path) -> PathBuf {
    let stem = runbook.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    let extension = runbook.extension().map_or_else(|| "yaml".to_owned(), |ext| ext.to_string_lossy().into_owned());
    runbook.with_file_name(format!("{stem}.test.{extension}"))
}

/// `NAME.yaml` for `NAME.test.yaml`.
pub(crate) fn runbook_of(test: &Path) -> PathBuf {
    let name = test.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let (stem, extension) = name.rsplit_once('.').unwrap_or((&name, "yaml"));
    let stem = stem.strip_suffix(".test").or_else(|| stem.strip_suffix(".TEST")).unwrap_or(stem);
    test.with_file_name(format!("{stem}.{extension}"))
}

/// A path as printed to the terminal or into a report: a file name may hold
/// control characters (a repository can add one), shown as escapes so that
/// it cannot rewrite the terminal or the CI log.
pub(crate) fn shown(path: impl AsRef<Path>) -> String {
    runbook_engine::printable::printable_line(&path.as_ref().display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runbook_and_test_names() {
        assert!(is_yaml("a.yaml") && is_yaml("a.yml") && is_yaml("A.YAML"));
        assert!(!is_yaml("a.json"));
        for test in ["a.test.yaml", "a.test.yml", "d/a.Test.Yaml"] {
            assert!(is_test_file(Path::new(test)), "{test}");
        }
        for runbook in ["a.yaml", "test.yaml", "a.test.json"] {
            assert!(!is_test_file(Path::new(runbook)), "{runbook}");
        }
        assert_eq!(test_file_of(Path::new("d/kneo.yaml")), Path::new("d/kneo.test.yaml"));
        assert_eq!(test_file_of(Path::new("d/kneo.yml")), Path::new("d/kneo.test.yml"));
        assert_eq!(runbook_of(Path::new("d/kneo.test.yaml")), Path::new("d/kneo.yaml"));
        assert_eq!(runbook_of(Path::new("kneo.test.yml")), Path::new("kneo.yml"));
    }
}
