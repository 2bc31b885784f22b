//! `| int` and `| float`, the conversions `check` recommends for a text
//! capture, with errors that say what they could not read. minijinja's own
//! say only `invalid float literal`, even for `| int`; the run's error
//! also names the var that held the text ([`explain`]).

use std::collections::HashSet;

use minijinja::value::{Kwargs, Value};
use minijinja::{Error, ErrorKind, State};

/// `value | int`, as minijinja's, or an error naming the text it could not read.
pub(crate) fn int(
    state: &State,
    value: &Value,
    default: Option<Value>,
    base: Option<u32>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    refuse_none(value, "int")?;
    refuse_unreadable(value, "int")?;
    minijinja::filters::int(state, value, default, base, kwargs).map_err(|error| named(error, value, "int"))
}

/// `value | float`, as minijinja's, or an error naming the text it could not read.
pub(crate) fn float(state: &State, value: &Value, default: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    refuse_none(value, "float")?;
    refuse_unreadable(value, "float")?;
    minijinja::filters::float(state, value, default, kwargs).map_err(|error| named(error, value, "float"))
}

/// An error for none, which minijinja reads as 0: a `foreach` item whose
/// capture found nothing is not a lag of 0.
fn refuse_none(value: &Value, filter: &str) -> Result<(), Error> {
    if value.is_none() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`| {filter}` got none (nothing was captured, or the probe gave no answer), which is no number; \
                 route it first (`is none`, or the step's `on: error`) to a step that says it could not be read; a \
                 capture `default:` stands in only when that is what no answer means"
            ),
        ));
    }
    Ok(())
}

/// An error for text that is not a finite number (`"NaN"`, as Prometheus
/// writes a ratio over no traffic, `"inf"`), which minijinja reads as NaN,
/// or as 0 and a huge number through `| int`, as a capture's `type: float`
/// refuses it; and, for `| int`, a decimal (`"10.9"`), which it would cut
/// to 10 where `type: int` refuses it.
fn refuse_unreadable(value: &Value, filter: &str) -> Result<(), Error> {
    let (number, written) = match value.as_str() {
        Some(text) => (text.trim().parse::<f64>().ok(), serde_json::Value::from(text).to_string()),
        None if value.kind() == minijinja::value::ValueKind::Number => {
            (f64::try_from(value.clone()).ok(), value.to_string())
        }
        None => return Ok(()),
    };
    let Some(number) = number else { return Ok(()) };
    let why = if !number.is_finite() {
        format!(
            "`| {filter}` got {written}, which is not a finite number (Prometheus writes a ratio over no traffic as \
             NaN); route it first (`… == \"NaN\"`) to a step that says there is no data, or give the capture \
             `type: float`, which refuses it"
        )
    } else if filter == "int" && value.kind() == minijinja::value::ValueKind::String && number.fract() != 0.0 {
        format!(
            "`| int` would cut {written} to {}; read it with `| float` (or `| float | round | int`), or give the \
             capture `type: float`",
            number.trunc()
        )
    } else {
        return Ok(());
    };
    Err(Error::new(ErrorKind::InvalidOperation, why))
}

/// `value | duration`: a number of milliseconds (`steps.ID.duration`, a
/// `type: duration` capture) or a duration with units, as people read it:
/// `4035` is `4s`, `1502` is `1.5s`, `250` is `250ms`.
pub(crate) fn duration(value: &Value) -> Result<String, Error> {
    let millis = match value.as_str() {
        Some(text) => runbook_model::Duration::parse(text).ok().map(|parsed| crate::probe::millis(parsed.0)),
        None => u64::try_from(value.clone()).ok().or_else(|| {
            let number = f64::try_from(value.clone()).ok()?;
            std::time::Duration::try_from_secs_f64(number / 1000.0).ok().map(crate::probe::millis)
        }),
    };
    millis.map(crate::probe::elapsed_text).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`| duration` reads a number of milliseconds or a duration with units (`1m30s`), and got {}",
                serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
            ),
        )
    })
}

/// `value | milliseconds`: a duration with units (`"10m"`, `"1m30s"`) as
/// its number of milliseconds, as a capture's `type: duration` keeps it, so
/// that it orders against another (`vars.up | milliseconds < "5m"`); text
/// orders `"10m"` before `"5m"`. A number already is one and is kept.
pub(crate) fn milliseconds(value: &Value) -> Result<Value, Error> {
    refuse_none(value, "milliseconds")?;
    if value.kind() == minijinja::value::ValueKind::Number {
        return Ok(value.clone());
    }
    let millis = value
        .as_str()
        .and_then(|text| runbook_model::Duration::parse(text).ok())
        .and_then(|duration| u64::try_from(duration.as_millis()).ok());
    millis.map(Value::from).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`| milliseconds` reads a duration with units (`10m`, `1m30s`, `500ms`), and got {}",
                serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
            ),
        )
    })
}

fn named(error: Error, value: &Value, filter: &str) -> Error {
    match value.as_str() {
        Some(text) if error.kind() == ErrorKind::InvalidOperation => {
            Error::new(ErrorKind::InvalidOperation, message(filter, text))
        }
        _ => error,
    }
}

/// "`| int` cannot read "N/A" as a number".
fn message(filter: &str, text: &str) -> String {
    let written =
        if text.is_empty() { "the empty string".to_owned() } else { serde_json::Value::from(text).to_string() };
    format!("`| {filter}` cannot read {written} as a number")
}

/// The error of a failed `| int` or `| float` (`message`), naming the
/// first of `names` (the dotted names the template reads) whose value in
/// `context` is the text it could not read. `None` for any other error,
/// or when no name holds that text.
pub(crate) fn explain(message: &str, names: &HashSet<String>, context: &Value) -> Option<String> {
    let filter = ["int", "float"].into_iter().find(|filter| message.starts_with(&format!("`| {filter}` ")))?;
    let mut holding: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| lookup(context, name).as_str().is_some_and(|text| self::message(filter, text) == message))
        .collect();
    holding.sort_unstable();
    let name = holding.first()?;
    let fix = match name.strip_prefix("inputs.") {
        Some(input) => format!(
            "declare the input `{input}` with `type: number`, so that a value that is not a number is refused when \
             the run starts"
        ),
        None => format!(
            "give the capture of `{name}` `type: {filter}`, so that a value that does not convert is an `error` \
             outcome its step can route"
        ),
    };
    Some(format!("`{name} | {filter}`: {message}; {fix}"))
}

/// The value of the dotted `name` in `context`; undefined when it is not there.
pub(crate) fn lookup(context: &Value, name: &str) -> Value {
    name.split('.').try_fold(context.clone(), |value, part| value.get_attr(part).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use minijinja::Environment;
    use minijinja::value::Value;

    fn converted(template: &str, value: &str) -> Result<String, String> {
        let mut environment = Environment::new();
        environment.add_filter("int", super::int);
        environment.add_filter("float", super::float);
        environment.add_filter("milliseconds", super::milliseconds);
        environment.render_str(template, minijinja::context! { v => value }).map_err(|error| error.to_string())
    }

    #[test]
    fn text_that_is_no_finite_number_is_refused_and_int_does_not_cut_decimals() {
        for text in ["NaN", "nan", "inf", "-Infinity"] {
            for filter in ["int", "float"] {
                let error = converted(&format!("{{{{ v | {filter} }}}}"), text).unwrap_err();
                assert!(
                    error.contains(&format!("`| {filter}` got \"{text}\", which is not a finite number")),
                    "{error}"
                );
            }
        }
        let cut = converted("{{ v | int }}", "10.9").unwrap_err();
        assert!(cut.contains("`| int` would cut \"10.9\" to 10; read it with `| float`"), "{cut}");
        assert_eq!(converted("{{ v | int }}", "42.0").as_deref(), Ok("42"));
        assert_eq!(converted("{{ v | float }}", "0.05").as_deref(), Ok("0.05"));
        assert_eq!(converted("{{ 10.9 | int }}", "").as_deref(), Ok("10"), "a number is cut as asked");
    }

    #[test]
    fn a_duration_with_units_reads_as_milliseconds() {
        assert_eq!(converted("{{ v | milliseconds }}", "1m30s").as_deref(), Ok("90000"));
        assert_eq!(converted("{{ 250 | milliseconds }}", "").as_deref(), Ok("250"));
        let error = converted("{{ v | milliseconds }}", "soon").unwrap_err();
        assert!(error.contains("`| milliseconds` reads a duration with units"), "{error}");
        assert!(converted("{{ v | milliseconds }}", "5").is_err(), "no unit, no duration");
    }

    #[test]
    fn a_duration_prints_with_its_unit() {
        let shown =
            |value: Value| super::duration(&value).map_err(|error| error.detail().unwrap_or_default().to_owned());
        assert_eq!(shown(Value::from(4035)).as_deref(), Ok("4s"));
        assert_eq!(shown(Value::from(1502)).as_deref(), Ok("1.5s"));
        assert_eq!(shown(Value::from(250)).as_deref(), Ok("250ms"));
        assert_eq!(shown(Value::from(90_000)).as_deref(), Ok("1m30s"));
        assert_eq!(shown(Value::from(1502.4)).as_deref(), Ok("1.5s"));
        assert_eq!(shown(Value::from("1m30s")).as_deref(), Ok("1m30s"));
        assert_eq!(
            shown(Value::from("soon")),
            Err("`| duration` reads a number of milliseconds or a duration with units (`1m30s`), and got \"soon\""
                .into())
        );
        assert!(shown(Value::from(-5)).is_err());
    }
}
