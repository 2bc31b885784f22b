//! Comparisons that refuse a string against a number, and an unset operand.
//!
//! minijinja orders values of different kinds by kind: `"20" > 90` is true,
//! `"200" == 200` and `"20" in [20]` false, and an unset var is unequal to
//! everything and `none` to no test, without a word. Expressions are
//! evaluated with every comparison routed through [`compare`] and every
//! tested value through [`require`] (see
//! [`runbook_model::guard_comparisons`]), which stop the run instead: with
//! both operands, their values and their types, or with the unset name.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};
use runbook_model::Comparator;

/// `value`, the subject of a test such as `is none`, or an error when it is
/// unset: only `is defined` and `is undefined` ask about that.
pub(crate) fn require(value: &Value, text: &str) -> Result<Value, Error> {
    if value.is_undefined() {
        // The caller names the unset value (`missing_name`).
        return Err(Error::new(ErrorKind::UndefinedError, format!("`{text}`")));
    }
    Ok(value.clone())
}

/// `left OP right` as minijinja computes it, or an error when one side is
/// unset, or a string and the other a number (for `in`: a string and an
/// item of the list, or a number and a string to search).
pub(crate) fn compare(
    left: &Value,
    operator: &str,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Result<bool, Error> {
    let Some(comparator) = Comparator::from_symbol(operator) else {
        return Err(Error::new(ErrorKind::InvalidOperation, format!("unknown comparison `{operator}`")));
    };
    if left.is_undefined() || right.is_undefined() {
        // The caller names the unset operand (`missing_name`).
        return Err(Error::new(ErrorKind::UndefinedError, format!("`{left_text} {operator} {right_text}`")));
    }
    let member = matches!(comparator, Comparator::In | Comparator::NotIn);
    // `steps.p.duration > "5s"`: durations are numbers of milliseconds, and
    // a duration written with units compares with them as such.
    let converted = if member { None } else { as_milliseconds(left, right) };
    let (left, right) = converted.as_ref().map_or((left, right), |(left, right)| (left, right));
    let item = if member && right.kind() == ValueKind::Seq {
        right.try_iter()?.find(|item| mixed(left, item).is_some())
    } else {
        None
    };
    let other = item.as_ref().unwrap_or(right);
    if let Some((left_kind, other_kind)) = mixed(left, other) {
        let convert = |text: &str, number: &Value| {
            let target = if number.as_i64().is_some() { "int" } else { "float" };
            format!("convert the string with `{text} | {target}` (or give its capture `type: {target}`)")
        };
        let fix = match (left_kind, other_kind, &item) {
            (Kind::Text, Kind::Number, Some(_)) => format!("{}, or quote the list's items", convert(left_text, other)),
            (Kind::Text, Kind::Number, None) => {
                format!("{}, or compare it with a quoted string", convert(left_text, other))
            }
            (Kind::Number, Kind::Text, Some(_)) => {
                format!("write the list's items as numbers, or compare `{left_text} | string`")
            }
            (Kind::Number, Kind::Text, None) => {
                format!("{}, or compare it with a quoted string", convert(right_text, left))
            }
            (Kind::Bool, Kind::Text, _) | (Kind::Text, Kind::Bool, _) => {
                let (flag, text) =
                    if left_kind == Kind::Bool { (left_text, right_text) } else { (right_text, left_text) };
                match text.strip_prefix(['"', '\'']).and_then(|t| t.strip_suffix(['"', '\''])) {
                    Some(word @ ("true" | "false")) if item.is_none() => format!("remove the quotes: `{word}`"),
                    _ => format!(
                        "give the capture of `{text}` a `type: bool`, or compare `{flag}` with `true` or `false`"
                    ),
                }
            }
            _ => {
                let flag = if left_kind == Kind::Bool { left_text } else { right_text };
                format!("`{flag}` is a boolean: compare it with `true` or `false`")
            }
        };
        let what = item.as_ref().map_or_else(|| described(right), |item| format!("a list holding {}", described(item)));
        // Named in one order whichever side is which: "a string with a number".
        let mut kinds = [left_kind, other_kind];
        kinds.sort();
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`{left_text} {operator} {right_text}` compares {} with {}: `{left_text}` is {}, \
                 `{right_text}` is {what}; {fix}",
                kinds[0].name(),
                kinds[1].name(),
                described(left),
            ),
        ));
    }
    Ok(match comparator {
        Comparator::Eq => left == right,
        Comparator::Ne => left != right,
        Comparator::Lt => left < right,
        Comparator::Le => left <= right,
        Comparator::Gt => left > right,
        Comparator::Ge => left >= right,
        Comparator::In => contains(right, left)?,
        Comparator::NotIn => !contains(right, left)?,
    })
}

/// A number and a duration written with units (`"500ms"`, `"1m30s"`), as
/// two numbers of milliseconds; `None` for any other pair.
fn as_milliseconds(left: &Value, right: &Value) -> Option<(Value, Value)> {
    let millis = |text: &Value| {
        let duration = runbook_model::Duration::parse(text.as_str()?).ok()?;
        u64::try_from(duration.as_millis()).ok().map(Value::from)
    };
    match (left.kind(), right.kind()) {
        (ValueKind::Number, ValueKind::String) => Some((left.clone(), millis(right)?)),
        (ValueKind::String, ValueKind::Number) => Some((millis(left)?, right.clone())),
        _ => None,
    }
}

/// The kinds of value that never compare with one another, in the order
/// messages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Bool,
    Text,
    Number,
}

impl Kind {
    fn of(value: &Value) -> Option<Self> {
        match value.kind() {
            ValueKind::String => Some(Self::Text),
            ValueKind::Number => Some(Self::Number),
            ValueKind::Bool => Some(Self::Bool),
            _ => None,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::Text => "a string",
            Self::Number => "a number",
            Self::Bool => "a boolean",
        }
    }
}

/// The kinds of `left` and `right` when they are two different ones of a
/// string, a number and a boolean.
fn mixed(left: &Value, right: &Value) -> Option<(Kind, Kind)> {
    let (left, right) = (Kind::of(left)?, Kind::of(right)?);
    (left != right).then_some((left, right))
}

/// `value in container` as minijinja runs it: a substring of a string, a
/// key of a map, an item of a list.
fn contains(container: &Value, value: &Value) -> Result<bool, Error> {
    match container.kind() {
        ValueKind::String => {
            let needle = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            Ok(container.as_str().unwrap_or_default().contains(&needle))
        }
        ValueKind::Map => Ok(!container.get_item(value)?.is_undefined()),
        ValueKind::Seq | ValueKind::Iterable => Ok(container.try_iter()?.any(|item| &item == value)),
        kind => Err(Error::new(ErrorKind::InvalidOperation, format!("cannot look for a value in {kind} {container}"))),
    }
}

/// A value with its type, for the error: `the string "20"`, `the number 90`.
fn described(value: &Value) -> String {
    const MAX: usize = 80;
    match value.kind() {
        ValueKind::String => {
            let text = value.as_str().unwrap_or_default();
            let cut = text.char_indices().nth(MAX).map_or(text, |(end, _)| &text[..end]);
            let more = if cut.len() < text.len() { "…" } else { "" };
            format!("the string {}{more}", serde_json::Value::from(cut))
        }
        ValueKind::Number => format!("the number {value}"),
        ValueKind::Bool => format!("the boolean {}", value.is_true()),
        kind => format!("{kind} {value}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_against_a_number_is_refused_with_both_operands() {
        let error = compare(&Value::from("20"), ">", &Value::from(90), "vars.pct", "inputs.threshold").unwrap_err();
        let message = error.detail().unwrap_or_default();
        assert!(message.starts_with("`vars.pct > inputs.threshold` compares a string with a number"), "{message}");
        assert!(message.contains(r#"`vars.pct` is the string "20", `inputs.threshold` is the number 90"#), "{message}");
        assert!(message.contains("`vars.pct | int`"), "{message}");
        let error = compare(&Value::from(0.5), "==", &Value::from("0.5"), "vars.ratio", "'0.5'").unwrap_err();
        assert!(error.detail().unwrap_or_default().contains("`'0.5' | float`"), "{error}");
    }

    #[test]
    fn values_of_one_kind_compare_as_minijinja_compares_them() {
        let yes = |l: Value, op: &str, r: Value| compare(&l, op, &r, "l", "r").unwrap();
        assert!(yes(Value::from(20), "<", Value::from(90.5)));
        assert!(yes(Value::from("b"), ">", Value::from("a")));
        assert!(yes(Value::from(200), "==", Value::from(200.0)));
        assert!(yes(Value::from(()), "!=", Value::from(3)));
        assert!(yes(Value::from(vec![1, 2]), "==", Value::from(vec![1, 2])));
        assert!(yes(Value::from(20), "in", Value::from(vec![20, 30])));
        assert!(yes(Value::from("b-"), "in", Value::from("db-1")));
        assert!(yes(Value::from("x"), "not in", Value::from(vec!["a", "b"])));
        assert!(!yes(Value::from(21.5), "in", Value::from(vec![20, 30])));
    }

    #[test]
    fn membership_of_a_string_among_numbers_is_refused() {
        let message = |l: Value, op: &str, r: Value| {
            compare(&l, op, &r, "vars.pct", "[20, 30]").unwrap_err().detail().unwrap_or_default().to_owned()
        };
        let text_in_numbers = message(Value::from("20"), "in", Value::from(vec![20, 30]));
        assert!(
            text_in_numbers.starts_with("`vars.pct in [20, 30]` compares a string with a number"),
            "{text_in_numbers}"
        );
        assert!(
            text_in_numbers.contains(r#"`vars.pct` is the string "20", `[20, 30]` is a list holding the number 20"#)
        );
        assert!(text_in_numbers.contains("`vars.pct | int`"), "{text_in_numbers}");
        let number_in_texts = message(Value::from(20), "not in", Value::from(vec!["20"]));
        assert!(number_in_texts.contains(r#"is the number 20, `[20, 30]` is a list holding the string "20""#));
        let number_in_text = message(Value::from(20), "in", Value::from("a20"));
        assert!(number_in_text.contains("compares a string with a number"), "{number_in_text}");
    }

    #[test]
    fn a_boolean_against_a_string_or_a_number_is_refused() {
        let message = |l: Value, op: &str, r: Value, l_text: &str, r_text: &str| {
            compare(&l, op, &r, l_text, r_text).unwrap_err().detail().unwrap_or_default().to_owned()
        };
        let quoted = message(Value::from(true), "==", Value::from("true"), "steps.t.checklist.complete", "\"true\"");
        assert!(
            quoted.starts_with(
                r#"`steps.t.checklist.complete == "true"` compares a boolean with a string: `steps.t.checklist.complete` is the boolean true, `"true"` is the string "true"; remove the quotes: `true`"#
            ),
            "{quoted}"
        );
        let number = message(Value::from(20), "==", Value::from(true), "vars.n", "true");
        assert!(number.starts_with("`vars.n == true` compares a boolean with a number"), "{number}");
        assert!(number.contains("`true` is a boolean: compare it with `true` or `false`"), "{number}");
        let captured = message(Value::from("yes"), "!=", Value::from(false), "vars.flag", "false");
        assert!(captured.contains("give the capture of `vars.flag` a `type: bool`"), "{captured}");
        assert!(compare(&Value::from(false), "in", &Value::from(vec![0, 1]), "vars.b", "[0, 1]").is_err());
        assert!(compare(&Value::from(true), "==", &Value::from(true), "a", "b").unwrap());
        assert!(compare(&Value::from(true), "!=", &Value::from(()), "a", "none").unwrap());
    }

    #[test]
    fn a_number_compares_with_a_duration_written_with_units_as_milliseconds() {
        let yes = |l: Value, op: &str, r: Value| compare(&l, op, &r, "steps.p.duration", "\"5s\"").unwrap();
        assert!(!yes(Value::from(1010), ">", Value::from("5s")));
        assert!(yes(Value::from(1010), ">", Value::from("1s")));
        assert!(yes(Value::from("1m30s"), "==", Value::from(90_000)));
        assert!(yes(Value::from(499), "<", Value::from("500ms")));
        assert!(compare(&Value::from(5), ">", &Value::from("5"), "a", "b").is_err(), "no unit, no duration");
        assert!(compare(&Value::from(5), "in", &Value::from("5s"), "a", "b").is_err());
    }

    #[test]
    fn an_unset_operand_is_an_undefined_error() {
        let error = compare(&Value::UNDEFINED, "!=", &Value::from("5"), "vars.pct", "\"5\"").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UndefinedError);
        let error = compare(&Value::from(5), "in", &Value::UNDEFINED, "5", "vars.list").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UndefinedError);
    }
}
