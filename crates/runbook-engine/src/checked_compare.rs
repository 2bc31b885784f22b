//! Comparisons that refuse a string against a number.
//!
//! minijinja orders values of different kinds by kind: `"20" > 90` is true
//! and `"200" == 200` false, without a word. Expressions are evaluated with
//! every comparison routed through [`compare`] (see
//! [`runbook_model::guard_comparisons`]), which stops the run with both
//! operands, their values and their types instead.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};
use runbook_model::Comparator;

/// The name the guarded expressions call [`compare`] by.
pub(crate) const FUNCTION: &str = "__runbook_compare";

/// `left OP right` as minijinja computes it, or an error when one side is
/// a string and the other a number.
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
    let text = match (left.kind(), right.kind()) {
        (ValueKind::String, ValueKind::Number) => Some((left_text, right)),
        (ValueKind::Number, ValueKind::String) => Some((right_text, left)),
        _ => None,
    };
    if let Some((text_side, number)) = text {
        let target = if number.as_i64().is_some() { "int" } else { "float" };
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`{left_text} {operator} {right_text}` compares a string with a number: `{left_text}` is {}, \
                 `{right_text}` is {}; convert the string with `{text_side} | {target}` (or give its capture \
                 `type: {target}`), or compare it with a quoted string",
                described(left),
                described(right)
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
    })
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
        assert!(!yes(Value::from(true), ">=", Value::from(2)));
        assert!(yes(Value::from(vec![1, 2]), "==", Value::from(vec![1, 2])));
    }
}
