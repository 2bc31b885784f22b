//! `| max`, `| min` and `| sort` as minijinja's, except over strings that
//! read as numbers: text orders "150" before "95", so the worst of two
//! replica lags captured by a `regex` would be "95". Such a list is
//! refused with the fix (`| map('int')`, or `type: int` on the capture),
//! as a comparison of two such strings is.

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

/// `value | max`, refusing strings that read as numbers.
pub(crate) fn max(state: &State, value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    refuse_numbers_as_text("max", &value, &kwargs)?;
    minijinja::filters::max(state, value, kwargs)
}

/// `value | min`, refusing strings that read as numbers.
pub(crate) fn min(state: &State, value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    refuse_numbers_as_text("min", &value, &kwargs)?;
    minijinja::filters::min(state, value, kwargs)
}

/// `value | sort`, refusing strings that read as numbers.
pub(crate) fn sort(state: &State, value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    refuse_numbers_as_text("sort", &value, &kwargs)?;
    minijinja::filters::sort(state, value, kwargs)
}

/// An error when the keys `filter` would order (the items, or each
/// `attribute` of them) hold two values that read as numbers and at least
/// one is a string: text (or minijinja's order of mixed kinds) misplaces
/// them.
fn refuse_numbers_as_text(filter: &str, value: &Value, kwargs: &Kwargs) -> Result<(), Error> {
    if !matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable) {
        return Ok(());
    }
    let attributes: Option<String> = kwargs.peek::<Option<String>>("attribute").ok().flatten();
    let attributes: Vec<Option<&str>> = match &attributes {
        Some(written) => written.split(',').map(|attribute| Some(attribute.trim())).collect(),
        None => vec![None],
    };
    let items: Vec<Value> = value.try_iter()?.collect();
    for attribute in attributes {
        let keys: Vec<Value> =
            items.iter().map(|item| attribute.map_or_else(|| item.clone(), |path| attribute_of(item, path))).collect();
        if keys.len() > 1
            && let Some(index) = keys.iter().position(Value::is_none)
        {
            let what = attribute.map_or_else(String::new, |path| format!(" by `{path}`"));
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "`| {filter}`{what} over a list holding none (item {}: nothing was captured) would leave it out \
                     or put it first; route such items first, or drop them with `| reject('none')`",
                    index + 1
                ),
            ));
        }
        let text_numbers: Vec<&Value> = keys.iter().filter(|key| reads_as_number(key)).collect();
        let numbers = keys.iter().filter(|key| key.kind() == ValueKind::Number).count();
        if text_numbers.is_empty() || text_numbers.len() + numbers < 2 {
            continue;
        }
        let shown: Vec<String> = text_numbers
            .iter()
            .take(3)
            .map(|key| serde_json::Value::from(key.as_str().unwrap_or_default()).to_string())
            .collect();
        let what = attribute.map_or_else(String::new, |path| format!(" by `{path}`"));
        let fix = match attribute {
            None => {
                format!("convert them first: `| map('int') | {filter}`, or give their capture `type: int` (or `float`)")
            }
            Some(_) => "give their capture `type: int` (or `float`)".to_owned(),
        };
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`| {filter}`{what} orders strings that read as numbers ({}) as text, where \"150\" comes before \"95\"; {fix}",
                shown.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The value at the dotted `path` of `item` (`"lag"`, `"1.name"`), as the
/// filters read an `attribute`; undefined when there is none.
fn attribute_of(item: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(item.clone(), |value, part| {
            let key = part.parse::<usize>().map_or_else(|_| Value::from(part), Value::from);
            value.get_item(&key).ok()
        })
        .unwrap_or(Value::UNDEFINED)
}

fn reads_as_number(value: &Value) -> bool {
    value.as_str().is_some_and(|text| text.trim().parse::<f64>().is_ok())
}

#[cfg(test)]
mod tests {
    use minijinja::Environment;
    use serde_json::json;

    fn rendered(template: &str, lags: &serde_json::Value) -> Result<String, String> {
        let mut environment = Environment::new();
        environment.add_filter("max", super::max);
        environment.add_filter("min", super::min);
        environment.add_filter("sort", super::sort);
        environment
            .render_str(template, crate::lazy_json::lazy_value(json!({ "lags": lags })))
            .map_err(|error| error.to_string())
    }

    #[test]
    fn strings_that_read_as_numbers_are_refused_an_order_as_text() {
        for filter in ["max", "min", "sort"] {
            let error = rendered(&format!("{{{{ lags | {filter} }}}}"), &json!(["95", "150"])).unwrap_err();
            assert!(
                error.contains(&format!("`| {filter}` orders strings that read as numbers (\"95\", \"150\")")),
                "{error}"
            );
            assert!(error.contains(&format!("`| map('int') | {filter}`")), "{error}");
        }
        assert!(rendered("{{ lags | max }}", &json!([95, "150"])).is_err());
        let by_lag = rendered(
            "{{ (lags | max(attribute='lag')).name }}",
            &json!([{"name": "r1", "lag": "95"}, {"name": "r2", "lag": "150"}]),
        );
        assert!(by_lag.unwrap_err().contains("`| max` by `lag`"));
    }

    #[test]
    fn a_list_holding_none_is_refused_an_order() {
        for filter in ["max", "min", "sort"] {
            let error = rendered(&format!("{{{{ lags | {filter} }}}}"), &json!([95, null, 5])).unwrap_err();
            assert!(error.contains(&format!("`| {filter}` over a list holding none (item 2")), "{error}");
        }
        assert_eq!(rendered("{{ lags | reject('none') | max }}", &json!([95, null, 5])), Ok("95".to_owned()));
    }

    #[test]
    fn numbers_words_and_a_single_string_order_as_before() {
        assert_eq!(rendered("{{ lags | map('int') | max }}", &json!(["95", "150"])), Ok("150".to_owned()));
        assert_eq!(rendered("{{ lags | max }}", &json!([95, 150])), Ok("150".to_owned()));
        assert_eq!(
            rendered("{{ lags | sort | join(',') }}", &json!(["web-2", "web-10", "db"])),
            Ok("db,web-10,web-2".to_owned())
        );
        assert_eq!(rendered("{{ lags | min }}", &json!(["95"])), Ok("95".to_owned()));
        assert_eq!(
            rendered("{{ (lags | max(attribute='lag')).lag }}", &json!([{"lag": 1}, {"lag": 3}])),
            Ok("3".to_owned())
        );
    }
}
