//! The broken-runbook corpus: every file under tests/check/broken/ is
//! checked and its diagnostics (code, place, message, help) snapshotted.
//! Each file's first line says what it checks.

use crate::Test;

#[test]
fn broken_runbooks() {
    insta::glob!("../check/broken", "*.yaml", |path| {
        let first_line = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| text.lines().next().map(str::to_owned))
            .unwrap_or_default();
        let output = Test::new().args(["check", "--deny-warnings", "--format", "json"]).args([path]).status(3);
        let report: serde_json::Value = output.json();
        let diagnostics = report["files"][0]["diagnostics"].as_array().cloned().unwrap_or_default();
        assert!(!diagnostics.is_empty(), "{} reports nothing", path.display());
        let lines: Vec<String> = diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{} {} {}:{}-{}:{} {}\n  help: {}",
                    d["code"].as_str().unwrap_or_default(),
                    d["level"].as_str().unwrap_or_default(),
                    d["line"],
                    d["column"],
                    d["end_line"],
                    d["end_column"],
                    d["message"].as_str().unwrap_or_default(),
                    d["help"].as_str().unwrap_or("-"),
                )
            })
            .collect();
        insta::assert_snapshot!(format!("{first_line}\n{}", lines.join("\n")));
    });
}

/// Runbooks a false positive once refused (tests/check/clean/, each file's
/// first line says which): they check clean under `--deny-warnings`,
/// called runbooks included, so that CI can deny warnings.
#[test]
fn runbooks_a_false_positive_once_refused_check_clean() {
    let output = Test::new().args(["check", "--deny-warnings", "--format", "json", "tests/check/clean"]).status(0);
    let report: serde_json::Value = output.json();
    assert_eq!(report["summary"]["warnings"], 0, "{}", output.stdout);
    assert!(report["summary"]["files"].as_u64() >= Some(4), "{}", output.stdout);
}
