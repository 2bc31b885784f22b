//! The JSON Schema of runbook files, generated from the model types so it
//! cannot drift from what the loader accepts.

use crate::{Runbook, TestFile};

/// The `$id` editors and `yaml-language-server` see.
pub const RUNBOOK_SCHEMA_ID: &str = "https://runbook.dev/schemas/runbook.schema.json";

/// The JSON Schema (draft 2020-12) of a runbook file, with descriptions
/// taken from the types' doc comments.
pub fn runbook_schema() -> serde_json::Value {
    let mut schema =
        schemars::generate::SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<Runbook>();
    schema.insert("$id".into(), RUNBOOK_SCHEMA_ID.into());
    schema.to_value()
}

/// The schema as pretty JSON with a final newline, as committed in
/// `schemas/runbook.schema.json`.
pub fn runbook_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&runbook_schema()).expect("a schema always serializes");
    text.push('\n');
    text
}

/// The `$id` of the test file schema.
pub const TEST_SCHEMA_ID: &str = "https://runbook.dev/schemas/test.schema.json";

/// The JSON Schema (draft 2020-12) of a runbook test file (`NAME.test.yaml`).
pub fn test_schema() -> serde_json::Value {
    let mut schema =
        schemars::generate::SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<TestFile>();
    schema.insert("$id".into(), TEST_SCHEMA_ID.into());
    schema.to_value()
}

/// The test file schema as committed in `schemas/test.schema.json`.
pub fn test_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&test_schema()).expect("a schema always serializes");
    text.push('\n');
    text
}
