//! Every runbook shipped in examples/ and runbooks/ checks clean, and
//! starts with the schema comment editors complete from.

use crate::{Test, workspace};

fn shipped_runbooks() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in ["examples", "runbooks"] {
        for entry in std::fs::read_dir(workspace().join(dir)).expect("folder exists") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if path.extension().is_some_and(|ext| ext == "yaml") && !name.contains(".test.") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn examples_and_runbooks_check_clean() {
    let output = Test::new().args(["check", "--deny-warnings", "--format", "json", "examples", "runbooks"]).status(0);
    let report: serde_json::Value = output.json();
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0, "{}", output.stdout);
    assert!(report["summary"]["files"].as_u64().unwrap_or(0) >= 20);
}

#[test]
fn the_five_seed_runbooks_exist() {
    let names: Vec<String> = shipped_runbooks()
        .iter()
        .filter(|path| path.parent().is_some_and(|p| p.ends_with("runbooks")))
        .filter_map(|path| path.file_name()?.to_str().map(str::to_owned))
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
}

#[test]
fn every_runbook_names_the_schema() {
    for path in shipped_runbooks() {
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/runbook.schema.json\n"),
            "{} lacks the schema comment on its first line",
            path.display()
        );
    }
}

#[test]
fn quickstart_uses_every_kind_of_probe_and_interaction() {
    let text = std::fs::read_to_string(workspace().join("examples/quickstart.yaml")).expect("quickstart exists");
    for key in ["env:", "cmd:", "tcp:", "http:", "ask:", "instruct:", "action:", "conclude:"] {
        assert!(text.contains(key), "quickstart lacks `{key}`");
    }
}

pub(crate) fn yaml_files() -> Vec<std::path::PathBuf> {
    shipped_runbooks()
}
