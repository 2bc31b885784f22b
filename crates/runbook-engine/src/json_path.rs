//! Selecting from JSON with an RFC 9535 path, the one way expectations,
//! captures and the `jsonpath` filter all read it.

use serde_json::Value;
use serde_json_path::JsonPath;

/// The nodes `path` selects: one node gives its value, several give a list,
/// none gives `None`.
pub(crate) fn select(path: &JsonPath, document: &Value) -> Option<Value> {
    let nodes = path.query(document).all();
    match nodes.as_slice() {
        [] => None,
        [one] => Some((*one).clone()),
        many => Some(Value::Array(many.iter().map(|node| (*node).clone()).collect())),
    }
}
