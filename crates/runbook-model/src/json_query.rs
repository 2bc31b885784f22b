//! A JSONPath (RFC 9535) written in a runbook, parsed once when the runbook
//! is loaded: `check` reports the parse error kept here (RB307), and a run
//! selects with the parsed path however often a step is polled.

use std::sync::OnceLock;

use serde_json::Value;
use serde_json_path::JsonPath;

/// A JSONPath: its text as written, and its parsed form or why it does not
/// parse.
#[derive(Debug, Clone)]
pub struct JsonQuery {
    text: String,
    parsed: Result<JsonPath, String>,
    /// Whether it is a singular query, worked out on the first selection.
    singular: OnceLock<bool>,
}

impl JsonQuery {
    /// `text`, parsed.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let parsed = JsonPath::parse(&text).map_err(|error| error.to_string());
        Self { text, parsed, singular: OnceLock::new() }
    }

    /// Why the text is not a JSONPath; `None` when it is one.
    pub fn error(&self) -> Option<&str> {
        self.parsed.as_ref().err().map(String::as_str)
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The nodes the path selects in `document`. A singular path (names and
    /// indexes only) gives its value; a path that can select several nodes
    /// (wildcards, slices, filters, `..`) always gives a list, even when one
    /// node matched, so that `all:` and `any:` do not change meaning with
    /// the data. No node, or a text that is no path, gives `None`.
    pub fn select(&self, document: &Value) -> Option<Value> {
        let path = self.parsed.as_ref().ok()?;
        let nodes = path.query(document).all();
        match nodes.as_slice() {
            [] => None,
            [one] if self.is_singular(path) => Some((*one).clone()),
            many => Some(Value::Array(many.iter().map(|node| (*node).clone()).collect())),
        }
    }

    /// Why the nodes this path selects from `document` depend on numbers
    /// written as text: RFC 9535 never finds a string equal to, or ordered
    /// against, a number, so `$.pods[?@.restarts > 5]` selects nothing from
    /// an exporter that writes `"restarts": "7"`, with nothing said. Looked
    /// at only for a filter that compares with a number literal; `None`
    /// when the same path over the document with its numeric strings read
    /// as numbers selects the same nodes.
    pub fn numbers_written_as_text(&self, document: &Value) -> Option<String> {
        let path = self.parsed.as_ref().ok()?;
        if let Some(quoted) = self.quoted_number_ordered() {
            let number = quoted[1..quoted.len() - 1].trim();
            return Some(format!(
                "the filter of `{}` orders against the text {quoted}: a JSONPath filter orders strings as text \
                 (\"1200\" comes before \"500\") and never orders a string against a number, so it selects the \
                 wrong nodes; write the number without quotes (`{number}`) if the document writes numbers, or capture \
                 the values (a path without the filter, `[*]`) and order them in a `when` after `| map('int')`",
                self.text
            ));
        }
        if !compares_with_number(&self.text) {
            return None;
        }
        let mut numbers = document.clone();
        let mut written = None;
        read_numbers(&mut numbers, &mut written);
        let written = written?;
        let locations = |document: &Value| -> Vec<String> {
            path.query_located(document).locations().map(ToString::to_string).collect()
        };
        (locations(document) != locations(&numbers)).then(|| {
            format!(
                "the filter of `{}` compares with a number, and the document writes numbers as text ({}): a \
                 string never equals or orders against a number in a JSONPath filter, so the nodes selected are \
                 not those the numbers would give; for `==`, compare with the text (`@.n == \"7\"`); an order \
                 (`<`, `>`) cannot be fixed in the filter: capture the values (`$.pods[*].restarts`, a list) and \
                 order them in a `when` after `| map('int')`, or fix the source",
                self.text,
                Value::from(written)
            )
        })
    }

    /// The quoted number this path's filter orders against
    /// (`"500"` in `[?@.lag > "500"]`), with its quotes: RFC 9535 orders
    /// two strings as text, where "1200" comes before "500", and a number
    /// against a string never, so the filter selects the wrong nodes
    /// whatever the document writes. `check` reports it (RB310), and a run
    /// refuses it ([`Self::numbers_written_as_text`]).
    pub fn quoted_number_ordered(&self) -> Option<&str> {
        if !self.text.contains('?') {
            return None;
        }
        STRINGS.find_iter(&self.text).map(|literal| (literal.start(), literal.as_str(), literal.end())).find_map(
            |(start, quoted, end)| {
                quoted[1..quoted.len() - 1].trim().parse::<f64>().ok()?;
                let before = self.text[..start].trim_end();
                let after = self.text[end..].trim_start();
                let ordered = before.ends_with(['<', '>'])
                    || before.ends_with("<=")
                    || before.ends_with(">=")
                    || after.starts_with(['<', '>']);
                ordered.then_some(quoted)
            },
        )
    }

    /// Whether `path` is a singular query in RFC 9535's sense. The crate
    /// keeps that test private, but its grammar allows only singular
    /// queries as comparison operands, so a comparison with the path parses
    /// exactly when the path is singular.
    /// Whether the path can select several nodes (wildcards, slices,
    /// filters, `..`), so that it always gives a list.
    pub fn selects_several(&self) -> bool {
        self.parsed.as_ref().is_ok_and(|path| !self.is_singular(path))
    }

    fn is_singular(&self, path: &JsonPath) -> bool {
        *self.singular.get_or_init(|| JsonPath::parse(&format!("$[?@ == {path}]")).is_ok())
    }
}

/// The string literals of a JSONPath, in single or double quotes.
static STRINGS: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r#"'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*""#).expect("valid regex"));

/// Whether a JSONPath's filter compares with a number literal
/// (`[?@.restarts > 5]`, `[?5 <= @.n]`), strings left out.
fn compares_with_number(path: &str) -> bool {
    static NUMBER_COMPARED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?:[=!<>]=|[<>])\s*-?[0-9]|[0-9]\s*(?:[=!<>]=|[<>])").expect("valid regex")
    });
    path.contains('?') && NUMBER_COMPARED.is_match(&STRINGS.replace_all(path, "''"))
}

/// `document` with every string that reads as a number made that number;
/// `first` is the first such string.
fn read_numbers(document: &mut Value, first: &mut Option<String>) {
    match document {
        Value::String(text) => {
            let number = text
                .trim()
                .parse::<i64>()
                .map(serde_json::Number::from)
                .ok()
                .or_else(|| text.trim().parse::<f64>().ok().and_then(serde_json::Number::from_f64));
            if let Some(number) = number {
                first.get_or_insert_with(|| text.clone());
                *document = Value::Number(number);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| read_numbers(item, first)),
        Value::Object(fields) => fields.values_mut().for_each(|field| read_numbers(field, first)),
        _ => {}
    }
}

crate::written_as_text::written_as_text!(JsonQuery);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn selected(path: &str, document: &Value) -> Option<Value> {
        let query = JsonQuery::new(path);
        assert_eq!(query.error(), None, "{path} parses");
        query.select(document)
    }

    #[test]
    fn a_filter_that_selects_differently_over_numbers_written_as_text_says_so() {
        let quoted = json!({ "pods": [{ "name": "api-1", "restarts": "7" }, { "name": "api-2", "restarts": "0" }] });
        let numbers = json!({ "pods": [{ "name": "api-1", "restarts": 7 }, { "name": "api-2", "restarts": 0 }] });
        let query = JsonQuery::new("$.pods[?@.restarts > 5].name");
        let why = query.numbers_written_as_text(&quoted).expect("refused");
        assert!(why.contains(r#"writes numbers as text ("7")"#), "{why}");
        assert_eq!(query.numbers_written_as_text(&numbers), None);
        assert_eq!(JsonQuery::new("$.pods[?@.name == '5']").numbers_written_as_text(&quoted), None);
        assert_eq!(JsonQuery::new("$.pods[?@.restarts == '7'].name").numbers_written_as_text(&quoted), None);
        assert_eq!(JsonQuery::new("$.pods[0].restarts").numbers_written_as_text(&quoted), None);
        assert!(JsonQuery::new("$.pods[?5 <= @.restarts]").numbers_written_as_text(&quoted).is_some());
    }

    #[test]
    fn a_filter_that_orders_against_a_quoted_number_is_refused_whatever_the_document() {
        let lags = json!({ "replicas": [{ "name": "r1", "lag": "1200" }, { "name": "r2", "lag": 12 }] });
        for path in ["$.replicas[?@.lag > \"500\"].name", "$.replicas[?@.lag>='500']", "$.r[?'500' < @.lag]"] {
            let query = JsonQuery::new(path);
            assert!(query.quoted_number_ordered().is_some_and(|quoted| quoted.contains("500")), "{path}");
            let why = query.numbers_written_as_text(&lags).unwrap_or_default();
            assert!(why.contains("orders strings as text (\"1200\" comes before \"500\")"), "{why}");
            assert!(why.contains("write the number without quotes (`500`)"), "{why}");
        }
        for path in ["$.r[?@.lag == '500']", "$.r[?@.name > 'db-']", "$.r[?@.lag > 500]", "$.r['5']"] {
            assert_eq!(JsonQuery::new(path).quoted_number_ordered(), None, "{path}");
        }
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

    #[test]
    fn a_text_that_is_no_path_keeps_its_text_and_why_and_selects_nothing() {
        let query = JsonQuery::new("status");
        assert_eq!(query.as_str(), "status");
        assert!(query.error().is_some_and(|error| !error.is_empty()), "{query:?}");
        assert_eq!(query.select(&json!({ "status": 1 })), None);
    }
}
