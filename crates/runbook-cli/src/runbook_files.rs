//! Finding runbook files under the paths given on the command line.

use std::io;
use std::path::{Path, PathBuf};

/// Expands directories into the runbook files below them, sorted; files are
/// kept as given. Test files (`*.test.yaml`) and hidden or `target`
/// directories are skipped.
pub fn expand(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
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
        } else if is_runbook_name(&name) {
            found.push(path);
        }
    }
    Ok(())
}

fn is_runbook_name(name: &str) -> bool {
    let path = Path::new(name);
    let is_yaml =
        path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"));
    let is_test = path
        .file_stem()
        .and_then(|stem| Path::new(stem).extension())
        .is_some_and(|ext| ext.eq_ignore_ascii_case("test"));
    is_yaml && !is_test
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runbook_names() {
        assert!(is_runbook_name("a.yaml"));
        assert!(is_runbook_name("a.yml"));
        assert!(!is_runbook_name("a.test.yaml"));
        assert!(!is_runbook_name("a.test.yml"));
        assert!(!is_runbook_name("a.json"));
        assert!(is_runbook_name("A.YAML"));
        assert!(!is_runbook_name("a.Test.Yaml"));
    }
}
