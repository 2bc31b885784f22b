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

/// Where `key` is a key in files described by `schema`, for a key written
/// at the wrong level: the keys whose mapping takes it, each as `cmd:`, or
/// `an entry of steps:` when the mapping is an item of a list or a map.
/// Empty when no mapping of the schema has `key`.
pub(crate) fn key_places(schema: &serde_json::Value, key: &str) -> Vec<String> {
    let defs = schema.get("$defs").and_then(serde_json::Value::as_object);
    let has_key = |node: &serde_json::Value| node.get("properties").and_then(|p| p.get(key)).is_some();
    let owners: Vec<String> =
        defs.into_iter().flatten().filter(|(_, def)| has_key(def)).map(|(name, _)| format!("#/$defs/{name}")).collect();
    let mut places = Vec::new();
    if has_key(schema) {
        places.push("the top level of the file".to_owned());
    }
    let mappings = std::iter::once(schema).chain(defs.into_iter().flat_map(|defs| defs.values()));
    for mapping in mappings {
        let Some(properties) = mapping.get("properties").and_then(serde_json::Value::as_object) else { continue };
        for (name, value) in properties {
            if let Some(entry) = refers_to(value, &owners, false) {
                let place = if entry { format!("an entry of `{name}:`") } else { format!("`{name}:`") };
                if !places.contains(&place) {
                    places.push(place);
                }
            }
        }
    }
    places
}

/// Whether `node` refers to one of `targets`, through options and
/// alternatives, and if so whether as an entry of a list or map.
fn refers_to(node: &serde_json::Value, targets: &[String], entry: bool) -> Option<bool> {
    if node.get("$ref").and_then(serde_json::Value::as_str).is_some_and(|target| targets.iter().any(|t| t == target)) {
        return Some(entry);
    }
    let alternatives = ["anyOf", "oneOf", "allOf"]
        .iter()
        .filter_map(|key| node.get(*key).and_then(serde_json::Value::as_array))
        .flatten()
        .find_map(|option| refers_to(option, targets, entry));
    alternatives.or_else(|| {
        ["items", "additionalProperties"]
            .iter()
            .filter_map(|key| node.get(*key))
            .find_map(|inner| refers_to(inner, targets, true))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_of_another_level_is_found_where_it_belongs() {
        let schema = runbook_schema();
        assert_eq!(key_places(&schema, "sh"), ["`cmd:`"]);
        assert_eq!(key_places(&schema, "retry"), ["an entry of `steps:`"]);
        assert_eq!(key_places(&schema, "summary"), ["the top level of the file"]);
        assert!(key_places(&schema, "no-such-key").is_empty());
    }
}
