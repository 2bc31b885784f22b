//! What a template may not print into what is sent (a command, a URL, an
//! argument, a header): none prints as nothing, so
//! `rm -rf /cache/{{ steps.inc.json.owner }}` over `"owner": null` would
//! delete every tenant's cache; a map or a list prints as Python's repr
//! (`{'name': 'cache', 'port': 6379}`), which no program means. Either
//! stops the run, naming the value, as a comparison with none does.

use std::collections::HashSet;

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

/// The start of the refusals, which [`explain`] recognises.
const REFUSED: &str = "a command or request would print ";

/// Why `value` may not be printed into what is sent; `None` for a value
/// that prints as itself.
pub(crate) fn refused(value: &Value) -> Option<Error> {
    let what = match value.kind() {
        ValueKind::None => "none (a JSON null, or a fact the probe could not observe) as nothing",
        ValueKind::Map => "a map as Python's repr",
        ValueKind::Seq => "a list as Python's repr",
        _ => return None,
    };
    Some(Error::new(ErrorKind::InvalidOperation, format!("{REFUSED}{what}")))
}

/// The refusal `message`, naming which of the dotted `names` the template
/// reads holds the value, and the fix; `None` for another message.
pub(crate) fn explain(message: &str, names: &HashSet<String>, context: &Value) -> Option<String> {
    let rest = message.strip_prefix(REFUSED)?;
    let mut held: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| refused(&crate::number_filters::lookup(context, name)).is_some())
        .collect();
    held.sort_unstable();
    let holder = held.first().map_or_else(String::new, |name| format!("`{name}`: "));
    let fix = if rest.starts_with("none") {
        "route it first (`when: … is none`), or print a fallback where one is meant (`| default('unknown', true)`)"
    } else {
        "print the field meant (`item.port`), or join it (`| join(' ')`) or write it as JSON (`| tojson`)"
    };
    Some(format!("{holder}{message}; {fix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_maps_and_lists_are_refused_and_named() {
        for value in [Value::from(()), crate::facts::to_value(&serde_json::json!({"a": 1})), Value::from(vec![1, 2])] {
            assert!(refused(&value).is_some(), "{value:?}");
        }
        for value in [Value::from("x"), Value::from(0), Value::from(false), Value::from("")] {
            assert!(refused(&value).is_none(), "{value:?}");
        }
        let context =
            crate::facts::to_value(&serde_json::json!({"steps": {"inc": {"json": {"owner": null, "id": 7}}}}));
        let names = ["steps.inc.json.owner".to_owned(), "steps.inc.json.id".to_owned()].into_iter().collect();
        let message = refused(&Value::from(())).unwrap().detail().unwrap().to_owned();
        let explained = explain(&message, &names, &context).unwrap();
        assert!(explained.starts_with("`steps.inc.json.owner`: a command or request would print none"), "{explained}");
        assert!(explained.contains("| default('unknown', true)"), "{explained}");
        assert_eq!(explain("something else", &names, &context), None);
    }
}
