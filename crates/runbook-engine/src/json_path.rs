//! Selecting from JSON with an RFC 9535 path, the one way expectations,
//! captures and the `jsonpath` filter all read it.

use serde_json::Value;
use serde_json_path::JsonPath;

/// The nodes `path` selects. A singular path (names and indexes only)
/// gives its value; a path that can select several nodes (wildcards,
/// slices, filters, `..`) always gives a list, even when one node matched,
/// so that `all:` and `any:` do not change meaning with the data. No node
/// gives `None`.
pub(crate) fn select(path: &JsonPath, document: &Value) -> Option<Value> {
    let nodes = path.query(document).all();
    match nodes.as_slice() {
        [] => None,
        [one] if is_singular(path) => Some((*one).clone()),
        many => Some(Value::Array(many.iter().map(|node| (*node).clone()).collect())),
    }
}

/// Whether `path` is a singular query in RFC 9535's sense. The crate keeps
/// that test private, but its grammar allows only singular queries as
/// comparison operands, so a comparison with the path parses exactly when
/// the path is singular.
fn is_singular(path: &JsonPath) -> bool {
    JsonPath::parse(&format!("$[?@ == {path}]")).is_ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn selected(path: &str, document: &Value) -> Option<Value> {
        select(&JsonPath::parse(path).expect("a valid path"), document)
    }

    #[test]
    fn a_path_that_can_select_several_nodes_gives_a_list_even_for_one_match() {
        let document = json!({ "targets": [{ "health": "up" }], "name": "api", "list": [1, 2] });
        assert_eq!(selected("$.targets[*].health", &document), Some(json!(["up"])));
        assert_eq!(selected("$..name", &document), Some(json!(["api"])));
        assert_eq!(selected("$.list[0:1]", &document), Some(json!([1])));
        assert_eq!(selected("$.targets[?@.health == 'up'].health", &document), Some(json!(["up"])));
        assert_eq!(selected("$.targets[*].missing", &document), None);
    }

    #[test]
    fn a_singular_path_gives_its_value() {
        let document = json!({ "targets": [{ "health": "up" }], "list": [1, 2] });
        assert_eq!(selected("$.targets[0].health", &document), Some(json!("up")));
        assert_eq!(selected("$['list']", &document), Some(json!([1, 2])));
        assert_eq!(selected("$.list[-1]", &document), Some(json!(2)));
        assert_eq!(selected("$", &document), Some(document.clone()));
        assert_eq!(selected("$.nothing", &document), None);
    }
}
