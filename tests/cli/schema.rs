//! The committed JSON Schema matches the code, and every shipped runbook
//! validates against it.

use crate::examples::yaml_files;
use crate::{Test, workspace};

#[test]
fn committed_schema_matches_the_code() {
    let generated = Test::new().args(["schema"]).status(0).stdout;
    let committed = std::fs::read_to_string(workspace().join("schemas/runbook.schema.json")).expect("schema committed");
    assert!(
        generated == committed,
        "schemas/runbook.schema.json is stale: run `cargo run -q -p runbook-cli -- schema > schemas/runbook.schema.json`"
    );
}

#[test]
fn shipped_runbooks_validate_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("schemas/runbook.schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for path in yaml_files() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let instance: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML parses");
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{}:\n{}", path.display(), errors.join("\n"));
    }
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let schema: serde_json::Value = serde_json::from_str(&Test::new().args(["schema"]).status(0).stdout).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let cases = [
        r#"{"id": "x", "title": "t", "steps": [], "colour": 1}"#,
        r#"{"id": "x", "title": "t", "steps": [{"id": "a"}]}"#,
        r#"{"id": "x", "title": "t", "steps": [{"id": "a", "conclude": {"status": "resolved"}, "ask": {"question": "q"}}]}"#,
        r#"{"id": "x", "title": "t", "timeout": "30", "steps": []}"#,
    ];
    for case in cases {
        let instance: serde_json::Value = serde_json::from_str(case).expect("JSON");
        assert!(!validator.is_valid(&instance), "the schema accepts {case}");
    }
}

#[test]
fn committed_test_schema_matches_the_code() {
    let generated = Test::new().args(["schema", "test"]).status(0).stdout;
    let committed = std::fs::read_to_string(workspace().join("schemas/test.schema.json")).expect("schema committed");
    assert!(
        generated == committed,
        "schemas/test.schema.json is stale: run `cargo run -q -p runbook-cli -- schema test > schemas/test.schema.json`"
    );
}

#[test]
fn the_test_schema_accepts_cases_and_rejects_what_the_loader_rejects() {
    let schema: serde_json::Value =
        serde_json::from_str(&Test::new().args(["schema", "test"]).status(0).stdout).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let valid = r#"{"cases": [{"name": "n", "observations": {"a": {"http": {"status": 503}}, "b": [{"error": "timeout"}, {"cmd": {"exit_code": 0}}], "c": {"items": {"x": {"tcp": {"connected": false}}}, "default": {"error": {"kind": "refused"}}}}, "answers": {"q": "yes"}, "expect": {"path": ["a"], "status": "diagnosed", "actions": []}}]}"#;
    let instance: serde_json::Value = serde_json::from_str(valid).expect("JSON");
    let errors: Vec<String> = validator.iter_errors(&instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let cases = [
        r#"{"cases": [{"name": "n", "expect": {}, "colour": 1}]}"#,
        r#"{"cases": [{"name": "n"}]}"#,
        r#"{"cases": [{"name": "n", "expect": {}, "observations": {"a": {"error": "timout"}}}]}"#,
        r#"{"cases": [{"name": "n", "expect": {"status": "passed"}}]}"#,
    ];
    for case in cases {
        let instance: serde_json::Value = serde_json::from_str(case).expect("JSON");
        assert!(!validator.is_valid(&instance), "the schema accepts {case}");
    }
}
