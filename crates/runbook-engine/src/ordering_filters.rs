//! `| max`, `| min` and `| sort` as minijinja's, except where the order
//! would be wrong without a word: over strings that read as numbers (text
//! orders "150" before "95", so the worst of two replica lags captured by a
//! `regex` would be "95"), as versions ("1.10.2" before "1.9.8") or as
//! durations ("10m" before "5m"), and over a list holding none. Such a
//! list is refused with the fix (`| map('int')`, `| map('version')`,
//! `| map('milliseconds')`, a capture's `type:`), as a comparison of two
//! such strings is.

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

/// `value | max`, refusing what text would misorder.
pub(crate) fn max(state: &State, value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    refuse_misordered("max", &value, &kwargs)?;
    minijinja::filters::max(state, value, kwargs)
}

/// `value | min`, refusing what text would misorder.
pub(crate) fn min(state: &State, value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    refuse_misordered("min", &value, &kwargs)?;
    minijinja::filters::min(state, value, kwargs)
}

/// `value | sort`, refusing what text would misorder.
pub(crate) fn sort(state: &State, value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    refuse_misordered("sort", &value, &kwargs)?;
    minijinja::filters::sort(state, value, kwargs)
}

/// What strings that read as something else order as: text puts the
/// second example before the first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    Number,
    Version,
    Duration,
}

impl Reading {
    /// How `text` reads, when it reads as anything but text.
    fn of(text: &str) -> Option<Self> {
        if text.trim().parse::<f64>().is_ok() {
            Some(Self::Number)
        } else if runbook_model::reads_as_version(text) {
            Some(Self::Version)
        } else if runbook_model::Duration::parse(text).is_ok() {
            Some(Self::Duration)
        } else {
            None
        }
    }

    /// What the strings read as, and how text misorders them.
    const fn misordered(self) -> (&'static str, &'static str) {
        match self {
            Self::Number => ("numbers", "\"150\" comes before \"95\""),
            Self::Version => ("versions", "\"1.10.2\" comes before \"1.9.8\""),
            Self::Duration => ("durations", "\"10m\" comes before \"5m\""),
        }
    }

    /// The fix, for `| filter` over the items themselves, or by an attribute.
    fn fix(self, filter: &str, by_attribute: bool) -> String {
        match (self, by_attribute) {
            (Self::Number, false) => {
                format!("convert them first: `| map('int') | {filter}`, or give their capture `type: int` (or `float`)")
            }
            (Self::Number, true) => "give their capture `type: int` (or `float`)".to_owned(),
            (Self::Version, _) => format!(
                "order them as versions: `| map('version') | {filter}` (each a list of numbers: compare it with \
                 `… | version`)"
            ),
            (Self::Duration, false) => format!(
                "convert them first: `| map('milliseconds') | {filter}`, or give their capture `type: duration`"
            ),
            (Self::Duration, true) => "give their capture `type: duration`".to_owned(),
        }
    }
}

/// An error when the keys `filter` would order (the items, or each
/// `attribute` of them) hold none, or two values of which at least one is
/// a string that reads as a number, a version or a duration: text (or
/// minijinja's order of mixed kinds) misplaces them.
fn refuse_misordered(filter: &str, value: &Value, kwargs: &Kwargs) -> Result<(), Error> {
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
        if keys.len() < 2 {
            continue;
        }
        let what = attribute.map_or_else(String::new, |path| format!(" by `{path}`"));
        if let Some(index) = keys.iter().position(Value::is_none) {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "`| {filter}`{what} over a list holding none (item {}: nothing was captured, or its probe gave no \
                     answer) cannot order what is unknown; route those items first (`on: error` of the step, or a \
                     `when` that tests `none in …`, to a step that says which one did not answer); a capture \
                     `default:` stands in for them only when that is what no answer means; `| reject('none')` \
                     would order the others as if those did not exist",
                    index + 1
                ),
            ));
        }
        let read: Vec<(&Value, Reading)> =
            keys.iter().filter_map(|key| Some((key, Reading::of(key.as_str()?)?))).collect();
        let Some(reading) = strongest(&read) else { continue };
        let numbers = keys.iter().filter(|key| key.kind() == ValueKind::Number).count();
        let strings = keys.iter().filter(|key| key.kind() == ValueKind::String).count();
        let misordered = match reading {
            Reading::Number => read.iter().filter(|(_, r)| matches!(r, Reading::Number)).count() + numbers >= 2,
            Reading::Version | Reading::Duration => strings + numbers >= 2,
        };
        if !misordered {
            continue;
        }
        let shown: Vec<String> = read
            .iter()
            .take(3)
            .map(|(key, _)| serde_json::Value::from(key.as_str().unwrap_or_default()).to_string())
            .collect();
        let (read_as, example) = reading.misordered();
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`| {filter}`{what} orders strings that read as {read_as} ({}) as text, where {example}; {}",
                shown.join(", "),
                reading.fix(filter, attribute.is_some())
            ),
        ));
    }
    Ok(())
}

/// The reading that decides the fix: versions and durations over numbers
/// (`"1.10"` reads as a number, and as a version among `"1.9.8"`).
fn strongest(read: &[(&Value, Reading)]) -> Option<Reading> {
    let has = |wanted: Reading| read.iter().any(|(_, reading)| *reading == wanted).then_some(wanted);
    has(Reading::Version).or_else(|| has(Reading::Duration)).or_else(|| has(Reading::Number))
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

#[cfg(test)]
mod tests {
    use minijinja::Environment;
    use serde_json::json;

    fn rendered(template: &str, lags: &serde_json::Value) -> Result<String, String> {
        let mut environment = Environment::new();
        environment.add_filter("max", super::max);
        environment.add_filter("min", super::min);
        environment.add_filter("sort", super::sort);
        environment.add_filter("version", crate::checked_compare::version_filter);
        environment.add_filter("milliseconds", crate::number_filters::milliseconds);
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
    fn versions_and_durations_written_as_text_are_refused_an_order() {
        for filter in ["max", "min", "sort"] {
            let error = rendered(&format!("{{{{ lags | {filter} }}}}"), &json!(["1.10.2", "1.9.8"])).unwrap_err();
            assert!(
                error.contains(&format!(
                    "`| {filter}` orders strings that read as versions (\"1.10.2\", \"1.9.8\") as text, where \"1.10.2\" \
                     comes before \"1.9.8\"; order them as versions: `| map('version') | {filter}`"
                )),
                "{error}"
            );
            let error = rendered(&format!("{{{{ lags | {filter} }}}}"), &json!(["10m", "5m", "45s"])).unwrap_err();
            assert!(error.contains("read as durations (\"10m\", \"5m\", \"45s\")"), "{error}");
            assert!(error.contains(&format!("`| map('milliseconds') | {filter}`")), "{error}");
        }
        assert!(rendered("{{ lags | max }}", &json!(["1.9.8", "1.10"])).unwrap_err().contains("as versions"));
        assert_eq!(rendered("{{ lags | map('version') | max }}", &json!(["1.10.2", "1.9.8"])), Ok("[1, 10, 2]".into()));
        assert_eq!(
            rendered("{{ lags | map('milliseconds') | max }}", &json!(["10m", "5m", "45s"])),
            Ok("600000".into())
        );
    }

    #[test]
    fn a_list_holding_none_is_refused_an_order() {
        for filter in ["max", "min", "sort"] {
            let error = rendered(&format!("{{{{ lags | {filter} }}}}"), &json!([95, null, 5])).unwrap_err();
            assert!(error.contains(&format!("`| {filter}` over a list holding none (item 2")), "{error}");
            assert!(error.contains("route those items first (`on: error` of the step"), "{error}");
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
