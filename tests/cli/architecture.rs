//! `docs/ARCHITECTURE.md` says which files to touch to add a probe kind, a
//! step kind, a diagnostic: every file it names must exist, and each count
//! in a heading must be the length of the numbered list under it.

use std::fs;

use crate::workspace;

/// The example names of a new kind or diagnostic, whose files do not
/// exist yet.
const NEW_FILES: [&str; 3] = ["dns.rs", "wait.rs", "NNN-name.yaml"];

/// The repository paths the document names in backticks.
fn named_paths(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| ["crates/", "docs/", "schemas/", "tests/"].iter().any(|root| word.starts_with(root)))
        .collect()
}

#[test]
fn every_file_the_architecture_names_exists() {
    let text = fs::read_to_string(workspace().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md");
    let paths = named_paths(&text);
    assert!(paths.len() > 20, "the lists name files by their path from the repository root: {paths:?}");
    let missing: Vec<&&str> = paths
        .iter()
        .filter(|path| !NEW_FILES.iter().any(|new| path.ends_with(new)))
        .filter(|path| !workspace().join(path).exists())
        .collect();
    assert!(missing.is_empty(), "docs/ARCHITECTURE.md names files that do not exist: {missing:?}");
}

#[test]
fn each_count_of_files_to_touch_is_the_length_of_its_list() {
    let text = fs::read_to_string(workspace().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md");
    let mut counted = 0;
    for section in text.split("\n### ").skip(1) {
        let heading = section.lines().next().unwrap_or_default();
        let Some(count) = heading
            .split_once("): ")
            .or_else(|| heading.split_once(": "))
            .and_then(|(_, rest)| rest.split(' ').next())
            .and_then(|count| count.parse::<usize>().ok())
        else {
            continue;
        };
        let items = section
            .lines()
            .filter(|line| line.split_once(". ").is_some_and(|(number, _)| number.parse::<usize>().is_ok()))
            .count();
        assert_eq!(items, count, "`### {heading}` lists {items} files");
        counted += 1;
    }
    assert!(counted >= 3, "the probe kind, step kind and diagnostic sections each give a count");
}
