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

/// `value`, whose truth is about to be taken, or an error when it is a
/// string that reads as false: every non-empty string is true, so `not
/// vars.maintenance` with the text "false" would be false; or a map, true
/// whenever it has a key (`steps.drain.checklist` with nothing ticked).
pub(crate) fn truth(value: &Value, text: &str) -> Result<Value, Error> {
    if value.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, format!("`{text}`")));
    }
    if value.kind() == ValueKind::Map {
        let keys: Vec<String> = value.try_iter().map(|keys| keys.take(4).map(|key| key.to_string()).collect())?;
        let fields = keys.iter().map(|key| format!("`{text}.{key}`")).collect::<Vec<_>>().join(", ");
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("`{text}` is a map, which counts as true whatever it holds; test one of its fields ({fields})"),
        ));
    }
    match value.as_str().filter(|found| reads_false(found)) {
        Some(found) => Err(Error::new(ErrorKind::InvalidOperation, false_text(text, found))),
        None => Ok(value.clone()),
    }
}

/// The truth guard as guarded expressions call it: [`condition`] where the
/// truth is a condition's (`truth(x, "x", true)`, an operand of the `not`,
/// `and` and `or` that make a `when`: [`runbook_model::guard_when`]),
/// else [`truth`].
pub(crate) fn truth_guard(value: &Value, text: &str, as_condition: Option<bool>) -> Result<Value, Error> {
    if as_condition == Some(true) { condition(value, text) } else { truth(value, text) }
}

/// [`truth`] of a whole `when` or `stop_if`, and of each operand of the
/// `not`, `and` and `or` that make it: text that came with an answer (a
/// capture, a fact, `result.*`) is no condition at all, since every
/// non-empty string is true, "disabled" and "stopped" as much as "enabled"
/// (review-10-attack7 H15; `vars.enabled and vars.ready`, fx10b's gap). An
/// input's text, which the operator gave, keeps reading "was something
/// given"; so does an `and`/`or` whose value is used ([`truth`]), where
/// `(vars.error or "") != ""` is a fallback.
pub(crate) fn condition(value: &Value, text: &str) -> Result<Value, Error> {
    let value = truth(value, text)?;
    match value.as_str().filter(|_| !text.starts_with("inputs.")) {
        Some(found) => Err(Error::new(ErrorKind::InvalidOperation, text_condition(text, found))),
        None => Ok(value),
    }
}

/// The error for `expression`, text whose truth was taken as a condition.
fn text_condition(expression: &str, found: &str) -> String {
    if reads_false(found) {
        return false_text(expression, found);
    }
    format!(
        "`{expression}` gave the string {}, and text is no condition: every non-empty string counts as true, \
         \"disabled\" and \"stopped\" as much as \"enabled\"; compare the text (`{expression} == \"true\"`, \
         `{expression} != \"\"` for \"printed something\"), or give its capture `type: bool`",
        serde_json::Value::from(found)
    )
}

/// `value`, which `written` (`| lower`, `| join`, `~`) is about to print
/// as text, or an error when it is none or a list holding none: `none |
/// lower` is the text "none", which `is none` and the none guards no
/// longer see, so `(owner | lower) != "sre"` over a JSON null held
/// (review-10-attack7 H11). An unset value is left to the filter, and a
/// text only shown (a diagnosis, a title) prints as Jinja prints it.
pub(crate) fn printed_as_text(
    state: &minijinja::State<'_, '_>,
    value: &Value,
    text: &str,
    written: &str,
) -> Result<Value, Error> {
    if crate::template::only_shown(state.name()) {
        return Ok(value.clone());
    }
    if value.is_none() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`{text}` is none (a JSON null, an input without a value, or a fact of a step that got no answer), \
                 and `{written}` would make it the text \"none\", which no none test sees; test it first \
                 (`{text} is not none and …`), or name what none stands for: `{text} | default(\"unknown\", true)`"
            ),
        ));
    }
    if value.kind() == ValueKind::Seq
        && let Some(position) = value.try_iter()?.position(|item| item.is_none())
    {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`{text}` holds none (item {} of `{text}`: a JSON null, nothing captured, or a probe without an answer), and \
                 `{written}` would make it the text \"none\", which may stand for anything; route it first: \
                 `none in {text}`",
                position + 1
            ),
        ));
    }
    Ok(value.clone())
}

/// `values`, whose items' truths `select` or `reject` is about to take,
/// or an error naming the first item that is a string reading as false
/// (`[vars.m][0]`).
pub(crate) fn truths(values: &Value, text: &str) -> Result<Value, Error> {
    let values = truth(values, text)?;
    if matches!(values.kind(), ValueKind::Seq | ValueKind::Iterable) {
        for (index, item) in values.try_iter()?.enumerate() {
            truth(&item, &format!("{text}[{index}]"))?;
        }
    }
    Ok(values)
}

/// Whether `text` is one of the ways programs write "false" or "nothing":
/// `false`, `no`, `off`, `null`, `none`, `nil` (any case) or zero in any
/// spelling (`0`, `00`, `0.0`, `-0`).
pub(crate) fn reads_false(text: &str) -> bool {
    let text = text.trim().to_ascii_lowercase();
    ["false", "no", "off", "null", "none", "nil"].contains(&text.as_str())
        || text.parse::<f64>().is_ok_and(|number| number == 0.0)
}

/// The error for `expression`, a string that reads as false, whose truth
/// was taken.
pub(crate) fn false_text(expression: &str, found: &str) -> String {
    format!(
        "`{expression}` gave the string {}, which counts as true (every non-empty string does); compare the text \
         (`{expression} == \"true\"`) or give its capture `type: bool` (`type: int` for a count)",
        serde_json::Value::from(found)
    )
}

/// `value | bool`: a boolean as written in text (`true`/`false`, `yes`/`no`,
/// `on`/`off`, `1`/`0`, any case), refusing other text; other values by
/// their truth. minijinja's own filter makes every non-empty string true,
/// "false" included.
pub(crate) fn bool_filter(value: &Value) -> Result<bool, Error> {
    let Some(text) = value.as_str() else { return Ok(value.is_true()) };
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`| bool` reads true/false, yes/no, on/off or 1/0, and got the string {}",
                serde_json::Value::from(text)
            ),
        )),
    }
}

/// `value`, the subject of a test such as `is none`, or an error when it is
/// unset: only `is defined` and `is undefined` ask about that.
pub(crate) fn require(value: &Value, text: &str) -> Result<Value, Error> {
    if value.is_undefined() {
        // The caller names the unset value (`missing_name`).
        return Err(Error::new(ErrorKind::UndefinedError, format!("`{text}`")));
    }
    Ok(value.clone())
}

/// Whether `value` and each of `keys` read in turn from it are set: the
/// guard before a name read through two links or more (`steps.p.error.kind`)
/// that `| default(…)`, `is defined` or `is undefined` is given, so that they
/// ask of the whole name, as `docs/dsl.md` says, where strict minijinja would
/// refuse to read `kind` of an unset `error`. A link of none has no fields.
pub(crate) fn present(value: &Value, minijinja::value::Rest(keys): minijinja::value::Rest<Value>) -> bool {
    keys.into_iter()
        .try_fold(value.clone(), |value, key| value.get_item(&key).ok().filter(|next| !next.is_undefined()))
        .is_some_and(|value| !value.is_undefined())
}

/// `left OP right` as minijinja computes it, or an error when one side is
/// unset; when the two are of different kinds among strings, numbers,
/// booleans, lists and maps (for `in`: the value and an item of the list,
/// or a number and a string to search); when one is none and the other a
/// value, unless the expression writes `none`, or an order is asked of
/// none; and when two strings that read as numbers are ordered as text.
/// A number and a duration with units (`"5s"`) compare as milliseconds.
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
    if !member && let Some(refusal) = duration_beside_bare_number(comparator, left, right, left_text, right_text) {
        return Err(Error::new(ErrorKind::InvalidOperation, refusal));
    }
    // `steps.p.duration > "5s"`: durations are numbers of milliseconds, and
    // a duration written with units compares with them as such.
    let converted = if member { None } else { as_milliseconds(left, right) };
    let (left, right) = converted.as_ref().map_or((left, right), |(left, right)| (left, right));
    if let Some(refusal) = refusal(comparator, left, right, left_text, right_text)? {
        return Err(Error::new(ErrorKind::InvalidOperation, refusal));
    }
    // `steps.sub.conclusion.severity >= "high"`: severities order by rank
    // (info < low < medium < high < critical), as `--fail-on` orders them.
    let ranked = if ordering(comparator) { as_ranks(comparator, left, right, left_text, right_text)? } else { None };
    let (left, right) = ranked.as_ref().map_or((left, right), |(left, right)| (left, right));
    unchecked(comparator, left, right)
}

/// `left`, the left operand of `left + right` or `left * right`, once
/// neither operand is text: minijinja joins two strings with `+` (`"3" +
/// "4"` is `"34"`) and repeats one with `*` (`"3" * 2` is `"33"`), where a
/// runbook means the numbers its captures read. The guarded expression
/// then computes `left OP right` itself.
pub(crate) fn arithmetic(
    left: &Value,
    operator: &str,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Result<Value, Error> {
    if left.is_undefined() || right.is_undefined() {
        // The caller names the unset operand (`missing_name`).
        return Err(Error::new(ErrorKind::UndefinedError, format!("`{left_text} {operator} {right_text}`")));
    }
    let texts: Vec<&str> = [(left, left_text), (right, right_text)]
        .into_iter()
        .filter(|(value, _)| value.kind() == ValueKind::String)
        .map(|(_, text)| text)
        .collect();
    if texts.is_empty() {
        return Ok(left.clone());
    }
    let does = if operator == "+" { "would join them as text, not add them" } else { "would repeat the text" };
    let fix = texts.iter().map(|text| format!("`{text} | int`")).collect::<Vec<_>>().join(" and ");
    let join = if operator == "+" { "; to join text, write `~`" } else { "" };
    Err(Error::new(
        ErrorKind::InvalidOperation,
        format!(
            "`{left_text} {operator} {right_text}` does arithmetic on text: `{left_text}` is {}, `{right_text}` is \
             {}, and `{operator}` {does}; convert with {fix} (`| float` for decimals), or give the capture a \
             `type: int`{join}",
            described(left),
            described(right),
        ),
    ))
}

/// `value is TEST other` for a test that compares (`eq`, `gt`, `in`, …),
/// as [`compare`] judges the operator it amounts to. Expressions and
/// templates write `x is gt 90` as the guarded `x > 90` with both texts;
/// this catches the tests applied by name (`select("gt", 90)`), whose
/// operands have no text: the item and the argument's value are named. An
/// unset operand (a lenient dry run) compares as minijinja compares it.
pub(crate) fn tested(value: &Value, comparator: Comparator, other: &Value) -> Result<bool, Error> {
    if value.is_undefined() || other.is_undefined() {
        return unchecked(comparator, value, other);
    }
    let other_text = if other.is_none() {
        "none".to_owned()
    } else {
        serde_json::to_string(other).unwrap_or_else(|_| other.to_string())
    };
    compare(value, comparator.symbol(), other, "item", &other_text)
}

/// `left OP right` as minijinja computes it, unguarded.
fn unchecked(comparator: Comparator, left: &Value, right: &Value) -> Result<bool, Error> {
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

/// Why `left OP right` is refused, when it is: see [`compare`].
fn refusal(
    comparator: Comparator,
    left: &Value,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Result<Option<String>, Error> {
    let member = matches!(comparator, Comparator::In | Comparator::NotIn);
    let operator = comparator.symbol();
    if let Some(refusal) = none_refusal(comparator, left, right, left_text, right_text) {
        return Ok(Some(refusal));
    }
    if let Some(refusal) = looked_for_beside_none(comparator, left, right, left_text, right_text)? {
        return Ok(Some(refusal));
    }
    if let Some(refusal) = header_with_capitals(comparator, left, right, left_text, right_text) {
        return Ok(Some(refusal));
    }
    if let Some(refusal) = value_looked_for_among_keys(comparator, left, right, left_text, right_text) {
        return Ok(Some(refusal));
    }
    if member && left.as_str() == Some("") && right.kind() == ValueKind::String {
        return Ok(Some(format!(
            "`{left_text} {} {right_text}` looks for the empty string, which is in every string: `{left_text}` is \
             the string \"\" (a command that printed nothing?); test it first (`{left_text} != \"\" and …`), or \
             look among words with a list (`{left_text} in [\"a\", \"b\"]`, a `list` input)",
            comparator.symbol()
        )));
    }
    // `x in list` looks at each item; `x in map` at its keys; `x in text`
    // for a substring.
    let item = if member && right.kind() == ValueKind::Seq {
        right.try_iter()?.find(|item| mixed(left, item).is_some())
    } else {
        None
    };
    let other = item.as_ref().unwrap_or(right);
    let looked_in = member && matches!(right.kind(), ValueKind::Seq | ValueKind::Map) && item.is_none();
    if !looked_in && let Some((left_kind, other_kind)) = mixed(left, other) {
        let convert = |text: &str, number: &Value| {
            let target = if number.as_i64().is_some() { "int" } else { "float" };
            format!("convert the string with `{text} | {target}` (or give its capture `type: {target}`)")
        };
        let quoted = if ordering(comparator) { "" } else { ", or compare it with a quoted string" };
        let fix = match (left_kind, other_kind, &item) {
            (Kind::Text, Kind::Number, Some(_)) => format!("{}, or quote the list's items", convert(left_text, other)),
            (Kind::Text, Kind::Number, None) => format!("{}{quoted}", convert(left_text, other)),
            (Kind::Number, Kind::Text, Some(_)) => {
                format!("write the list's items as numbers, or compare `{left_text} | string`")
            }
            (Kind::Number, Kind::Text, None) => format!("{}{quoted}", convert(right_text, left)),
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
            (Kind::List | Kind::Map, _, _) | (_, Kind::List | Kind::Map, _) => {
                let (whole, _) = if matches!(left_kind, Kind::List | Kind::Map) {
                    (left_text, right_text)
                } else {
                    (right_text, left_text)
                };
                format!(
                    "`{whole}` is one value holding others: test an item (`… in {whole}`, `{whole}[0]`), or \
                     compare it with a value of its kind"
                )
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
        return Ok(Some(format!(
            "`{left_text} {operator} {right_text}` compares {} with {}: `{left_text}` is {}, `{right_text}` is \
             {what}; {fix}",
            kinds[0].name(),
            kinds[1].name(),
            described(left),
        )));
    }
    if let Some(refusal) = text_ordered_as_numbers(comparator, left, right, left_text, right_text) {
        return Ok(Some(refusal));
    }
    Ok([VERSIONS, DURATIONS, NUMBERS_WITH_UNITS]
        .iter()
        .find_map(|reading| text_ordered_as(reading, comparator, left, right, left_text, right_text)))
}

/// `inputs.header in result.headers` with the text "X-Role": the map's
/// names are lower-case, so a name with capitals is never in it (`check`
/// reports a literal one, RB313).
fn header_with_capitals(
    comparator: Comparator,
    left: &Value,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Option<String> {
    let member = matches!(comparator, Comparator::In | Comparator::NotIn);
    let name = left.as_str().filter(|name| name.chars().any(|c| c.is_ascii_uppercase()))?;
    (member && right.kind() == ValueKind::Map && right_text.ends_with(".headers")).then(|| {
        format!(
            "`{left_text} {} {right_text}` looks for the header name {} in a map whose names are lower-case, where \
             it never is; write `{left_text} | lower`",
            comparator.symbol(),
            serde_json::Value::from(name)
        )
    })
}

/// `"degraded" in vars.health` over `{"status": "degraded"}`: `in` looks
/// among a map's keys, so a value that is no key but is one of its values
/// (attack3 N16) was never found, and the "healthy" branch was taken.
fn value_looked_for_among_keys(
    comparator: Comparator,
    left: &Value,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Option<String> {
    let member = matches!(comparator, Comparator::In | Comparator::NotIn);
    if !member || right.kind() != ValueKind::Map || !right.get_item(left).ok()?.is_undefined() {
        return None;
    }
    let key = right.try_iter().ok()?.find(|key| right.get_item(key).is_ok_and(|value| &value == left))?;
    Some(format!(
        "`{left_text} {} {right_text}` looks among the keys of a map, and {} is not a key but the value of `{key}`; \
         test that field: `{right_text}.{key} == {}`",
        comparator.symbol(),
        described(left),
        left.as_str().map_or_else(|| left.to_string(), |text| serde_json::Value::from(text).to_string())
    ))
}

/// `none` (a JSON null, an input given no value, a fact of a step that got
/// no answer) is ordered against nothing, and equals or differs from a
/// value only where the expression says `none`: `result.status != 503` on
/// a refused connection must not read as "not 503".
fn none_refusal(
    comparator: Comparator,
    left: &Value,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Option<String> {
    let operator = comparator.symbol();
    let (none_text, other) = match (left.is_none(), right.is_none()) {
        (true, false) => (left_text, right),
        (false, true) => (right_text, left),
        _ => return None,
    };
    let written_none = |text: &str| matches!(text, "none" | "None");
    let equality = matches!(comparator, Comparator::Eq | Comparator::Ne)
        && !written_none(left_text)
        && !written_none(right_text)
        && Kind::of(other).is_some();
    (ordering(comparator) || equality).then(|| {
        format!(
            "`{left_text} {operator} {right_text}` compares none with {}: `{none_text}` is none (a JSON null, an \
             input without a value, or a fact of a step that got no answer); test it first: `{none_text} is not \
             none and …`",
            described(other)
        )
    })
}

/// `"down" in vars.states` over `["up", none, "up"]` (a `foreach`
/// capture where one item's output did not match): false, while the item
/// that holds none may be the one that is down (attack6 H4). A value not
/// found in a list holding none is refused, as `| max` refuses such a list;
/// found, it is there whatever the none stands for.
fn looked_for_beside_none(
    comparator: Comparator,
    left: &Value,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Result<Option<String>, Error> {
    let member = matches!(comparator, Comparator::In | Comparator::NotIn);
    if !member || left.is_none() || right.kind() != ValueKind::Seq || contains(right, left)? {
        return Ok(None);
    }
    let Some(position) = right.try_iter()?.position(|item| item.is_none()) else { return Ok(None) };
    Ok(Some(format!(
        "`{left_text} {} {right_text}` looks for {} in a list holding none (item {} of `{right_text}`: nothing \
         captured, or a probe without an answer), which may stand for it; route it first: `none in {right_text}`",
        comparator.symbol(),
        described(left),
        position + 1,
    )))
}

/// `vars.pct > "90"` with `pct` the string "100": text orders "100" before
/// "90". Two strings that both read as numbers are refused an order.
fn text_ordered_as_numbers(
    comparator: Comparator,
    left: &Value,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Option<String> {
    if !ordering(comparator) {
        return None;
    }
    let number = |value: &Value| value.as_str().and_then(|text| text.trim().parse::<f64>().ok());
    let (Some(_), Some(_)) = (number(left), number(right)) else { return None };
    let operator = comparator.symbol();
    // `"2.9" < "2.10"`: decimals as numbers, or versions whose minor
    // number passed 9; only the author knows which.
    let dotted = [left, right].iter().any(|value| value.as_str().is_some_and(|text| text.contains('.')));
    let fix = if dotted {
        format!(
            "compare numbers: `{left_text} | float` (or give its capture `type: float`) against a number without \
             quotes; or, for versions (2.9 before 2.10), `{} {operator} {}`",
            as_version(left_text),
            as_version(right_text)
        )
    } else {
        format!(
            "compare numbers: `{left_text} | int` (or give its capture `type: int`) against a number without quotes"
        )
    };
    Some(format!(
        "`{left_text} {operator} {right_text}` orders two strings that read as numbers, as text (\"100\" comes \
         before \"90\"): `{left_text}` is {}, `{right_text}` is {}; {fix}",
        described(left),
        described(right)
    ))
}

/// `text | version`, the operand of a comparison read as a version.
fn as_version(text: &str) -> String {
    format!("{text} | version")
}

/// Strings that read as something text orders the wrong way round, and
/// how to compare them instead: what differs between durations and
/// versions for [`text_ordered_as`].
struct TextReading {
    /// What they are, plural: "durations".
    what: &'static str,
    /// Two of them that text orders the wrong way round, smaller last.
    example: (&'static str, &'static str),
    /// Whether a string reads as one.
    reads: fn(&str) -> bool,
    /// How to compare them instead.
    instead: Instead,
}

/// How [`TextReading`]'s strings compare as what they are.
enum Instead {
    /// Each operand, as written, converted by a filter; with the capture
    /// `type:` that reads a var as one, if any.
    Converted { converted: fn(&str) -> String, capture_type: Option<&'static str> },
    /// No filter reads them: what to do, said.
    Said(&'static str),
}

/// `vars.up < "5m"` with `up` the string "10m": `| milliseconds` (or a
/// capture's `type: duration`) makes the text a number of milliseconds,
/// which orders against `"5m"`, a quoted literal left as it is.
const DURATIONS: TextReading = TextReading {
    what: "durations",
    example: ("10m", "5m"),
    reads: reads_as_duration,
    instead: Instead::Converted { converted: with_milliseconds_filter, capture_type: Some("duration") },
};

/// `vars.ver < "1.10.0"` with `ver` the string "1.9.3": `| version`
/// compares them.
const VERSIONS: TextReading = TextReading {
    what: "versions",
    example: ("1.10.0", "1.9.3"),
    reads: runbook_model::reads_as_version,
    instead: Instead::Converted { converted: as_version, capture_type: None },
};

/// `vars.used > "512M"` with `used` redis-cli's `"941.29K"`, `vars.use >=
/// "90%"` with `use` df's `"100%"` (review-10-attack6 H1): no filter reads
/// every unit, so the number is captured alone.
const NUMBERS_WITH_UNITS: TextReading = TextReading {
    what: "numbers with a unit",
    example: ("100%", "90%"),
    reads: runbook_model::reads_as_number_with_unit,
    instead: Instead::Said(
        "capture the number alone in one unit, with `type: float` (`used_memory:(\\d+)` in bytes, `(\\d+)%` for a \
         percentage), and compare it with a number without quotes (`vars.use >= 90`)",
    ),
};

fn reads_as_duration(text: &str) -> bool {
    runbook_model::Duration::parse(text).is_ok()
}

/// `text | milliseconds`, unless `text` is a quoted literal, which orders
/// against the milliseconds as it is.
fn with_milliseconds_filter(text: &str) -> String {
    if text.starts_with(['"', '\'']) { text.to_owned() } else { format!("{text} | milliseconds") }
}

/// Two strings ordered where either reads as `reading` says are refused,
/// with the comparison that orders them as such.
fn text_ordered_as(
    reading: &TextReading,
    comparator: Comparator,
    left: &Value,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Option<String> {
    let (Some(left_string), Some(right_string)) = (left.as_str(), right.as_str()) else { return None };
    if !ordering(comparator) || !((reading.reads)(left_string) || (reading.reads)(right_string)) {
        return None;
    }
    let operator = comparator.symbol();
    let TextReading { what, example: (first, second), instead, .. } = reading;
    let instead = match instead {
        Instead::Converted { converted, capture_type } => {
            let capture = capture_type
                .and_then(|kind| {
                    let var = [left_text, right_text].into_iter().find(|text| text.starts_with("vars."))?;
                    Some(format!("give the capture of `{var}` `type: {kind}`, or write "))
                })
                .unwrap_or_default();
            format!("compare them as {what}: {capture}`{} {operator} {}`", converted(left_text), converted(right_text))
        }
        Instead::Said(said) => (*said).to_owned(),
    };
    Some(format!(
        "`{left_text} {operator} {right_text}` orders {what} as text (\"{first}\" comes before \"{second}\"): \
         `{left_text}` is {}, `{right_text}` is {}; {instead}",
        described(left),
        described(right),
    ))
}

/// `value | version`: a version string (`"v1.10.0"`) as the list of its
/// numbers (`[1, 10]`, trailing zeros dropped), which orders as versions
/// do; an error naming the value for text that is not one.
pub(crate) fn version_filter(value: &Value) -> Result<Value, Error> {
    let text = if value.kind() == ValueKind::Number {
        // JSON keeps no trailing zero: `{"v": 1.10}` is the number 1.1,
        // which would order before 1.9 (attack4 L11).
        if !value.is_integer() {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "`| version` got the number {value}, and a number with a fraction is not a version: JSON keeps no \
                     trailing zero (1.10 is the number 1.1); capture the version as text (a `regex` capture, or a \
                     JSON string)"
                ),
            ));
        }
        value.to_string()
    } else {
        value.as_str().unwrap_or_default().to_owned()
    };
    runbook_model::version_parts(&text).map(Value::from).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`| version` reads dotted numbers (`1.10.0`, `v2.3`, `1.2.3+build`), not a pre-release or other text, \
                 and got {}",
                described(value)
            ),
        )
    })
}

const fn ordering(comparator: Comparator) -> bool {
    matches!(comparator, Comparator::Lt | Comparator::Le | Comparator::Gt | Comparator::Ge)
}

/// Two severities as their ranks; an error when only one side is a
/// severity and the other is text (`"critical" >= "hgh"` would order as
/// text); `None` for any other pair.
fn as_ranks(
    comparator: Comparator,
    left: &Value,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Result<Option<(Value, Value)>, Error> {
    let rank = |value: &Value| {
        let text = value.as_str()?;
        runbook_model::Severity::ALL.iter().position(|severity| severity.name() == text).map(Value::from)
    };
    match (rank(left), rank(right)) {
        (Some(left), Some(right)) => Ok(Some((left, right))),
        (Some(_), None) | (None, Some(_)) if left.kind() == ValueKind::String && right.kind() == ValueKind::String => {
            let names: Vec<&str> = runbook_model::Severity::ALL.iter().map(|severity| severity.name()).collect();
            Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "`{left_text} {} {right_text}` orders a severity against text that is not one: `{left_text}` is \
                     {}, `{right_text}` is {}; severities order by rank ({}), and only against one another",
                    comparator.symbol(),
                    described(left),
                    described(right),
                    names.join(" < ")
                ),
            ))
        }
        _ => Ok(None),
    }
}

/// `vars.uptime < 10` with `uptime` the JSON string "5m": a duration with
/// units compares with a number as its milliseconds only where the number
/// is one (`steps.api.duration`, `| milliseconds`, a `type: duration`
/// capture against `"5m"` written by the author). Text that came with the
/// answer beside a bare number is refused: 10 meant minutes, and 300000 <
/// 10 took the "not a restart loop" branch (review-10-attack7 H6).
fn duration_beside_bare_number(
    comparator: Comparator,
    left: &Value,
    right: &Value,
    left_text: &str,
    right_text: &str,
) -> Option<String> {
    let (text, text_side, number, number_side) = match (left.kind(), right.kind()) {
        (ValueKind::String, ValueKind::Number) => (left, left_text, right, right_text),
        (ValueKind::Number, ValueKind::String) => (right, right_text, left, left_text),
        _ => return None,
    };
    let duration = text.as_str().filter(|text| text.trim().parse::<f64>().is_err() && reads_as_duration(text))?;
    let written = |side: &str| side.starts_with(['"', '\'']);
    let milliseconds = |side: &str| {
        let side = side.trim_end();
        ["duration", "probe_duration", "| milliseconds", "|milliseconds"].iter().any(|end| side.ends_with(end))
            || side.contains(".timing.")
    };
    if written(text_side) || milliseconds(number_side) {
        return None;
    }
    let operator = comparator.symbol();
    let fixed = |unit: &str| {
        let converted = format!("{text_side} | milliseconds");
        let number = format!("\"{number}{unit}\"");
        if text_side == left_text {
            format!("`{converted} {operator} {number}`")
        } else {
            format!("`{number} {operator} {converted}`")
        }
    };
    Some(format!(
        "`{left_text} {operator} {right_text}` compares a string with a number: `{text_side}` is the string {}, a \
         duration with units, and `{number_side}` is {}, a bare number that says no unit; give the unit: {} (or \
         {}), or give its capture `type: duration` and compare with a duration written with units",
        serde_json::Value::from(duration),
        described(number),
        fixed("m"),
        fixed("s"),
    ))
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
    List,
    Map,
}

impl Kind {
    fn of(value: &Value) -> Option<Self> {
        match value.kind() {
            ValueKind::String => Some(Self::Text),
            ValueKind::Number => Some(Self::Number),
            ValueKind::Bool => Some(Self::Bool),
            ValueKind::Seq | ValueKind::Iterable => Some(Self::List),
            ValueKind::Map => Some(Self::Map),
            _ => None,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::Text => "a string",
            Self::Number => "a number",
            Self::Bool => "a boolean",
            Self::List => "a list",
            Self::Map => "a map",
        }
    }
}

/// The kinds of `left` and `right` when they are two different ones of a
/// string, a number, a boolean, a list and a map.
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
        kind => {
            let shown = serde_json::to_string(value).unwrap_or_else(|_| value.to_string());
            let cut = shown.char_indices().nth(MAX).map_or(shown.as_str(), |(end, _)| &shown[..end]);
            let more = if cut.len() < shown.len() { "…" } else { "" };
            let kind = match kind {
                ValueKind::Seq | ValueKind::Iterable => "the list".to_owned(),
                ValueKind::Map => "the map".to_owned(),
                kind => kind.to_string(),
            };
            format!("{kind} {cut}{more}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::ValueExt;

    #[test]
    fn arithmetic_gives_its_left_operand_unless_one_is_text() {
        let list = Value::from(vec![1, 2]);
        assert_eq!(arithmetic(&Value::from(3), "+", &Value::from(4), "a", "b").unwrap(), Value::from(3));
        assert_eq!(arithmetic(&list, "+", &list, "a", "b").unwrap(), list);
        let error = arithmetic(&Value::from(3), "*", &Value::from("4"), "vars.n", "vars.m").unwrap_err();
        let message = error.detail().unwrap_or_default();
        assert!(message.contains(r#"`vars.m` is the string "4""#) && message.contains("`vars.m | int`"), "{message}");
        assert!(!message.contains("`vars.n | int`") && !message.contains('~'), "{message}");
        let unset = arithmetic(&Value::UNDEFINED, "+", &Value::from(1), "vars.x", "1").unwrap_err();
        assert_eq!(unset.kind(), ErrorKind::UndefinedError);
    }

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
        assert!(yes(Value::from(()), "==", Value::from(())));
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
        assert!(compare(&Value::from("1m30s"), "==", &Value::from(90_000), "\"1m30s\"", "vars.took").unwrap());
        assert!(yes(Value::from(499), "<", Value::from("500ms")));
        let with_timing = compare(&Value::from(804), ">", &Value::from("300ms"), "result.timing.tls", "inputs.slow");
        assert!(with_timing.unwrap(), "a duration fact against a duration input");
        assert!(compare(&Value::from(5), ">", &Value::from("5"), "a", "b").is_err(), "no unit, no duration");
        assert!(compare(&Value::from(5), "in", &Value::from("5s"), "a", "b").is_err());
    }

    #[test]
    fn none_lists_maps_and_numeric_text_are_refused_where_they_would_mislead() {
        let refused = |l: Value, op: &str, r: Value, l_text: &str, r_text: &str| {
            compare(&l, op, &r, l_text, r_text).map_err(|e| e.detail().unwrap_or_default().to_owned())
        };
        let none = refused(Value::from(()), "!=", Value::from(503), "result.status", "503").unwrap_err();
        assert!(none.starts_with("`result.status != 503` compares none with the number 503"), "{none}");
        assert!(none.contains("`result.status is not none and …`"), "{none}");
        assert!(refused(Value::from(()), "<", Value::from(100), "vars.lag", "100").is_err());
        assert!(refused(Value::from(500), ">", Value::from(()), "vars.lag", "inputs.max").is_err());
        assert_eq!(refused(Value::from("x"), "!=", Value::from(()), "vars.v", "none"), Ok(true));
        assert_eq!(refused(Value::from(()), "==", Value::from(()), "vars.a", "vars.b"), Ok(true));
        let list = refused(Value::from(vec!["Running"]), "==", Value::from("Running"), "vars.phase", "\"Running\"")
            .unwrap_err();
        assert!(list.starts_with("`vars.phase == \"Running\"` compares a string with a list"), "{list}");
        assert!(list.contains(r#"`vars.phase` is the list ["Running"]"#), "{list}");
        assert!(refused(Value::from(vec![1]), ">", Value::from(0), "vars.l", "0").is_err());
        let map = Value::from_pairs([("a", 1)]);
        assert!(refused(map.clone(), ">", Value::from(0), "vars.o", "0").is_err());
        assert_eq!(refused(Value::from("a"), "in", map, "\"a\"", "vars.o"), Ok(true));
        assert_eq!(refused(Value::from("x"), "in", Value::from(vec!["x"]), "\"x\"", "vars.l"), Ok(true));
        let text = refused(Value::from("100"), ">", Value::from("90"), "vars.pct", "\"90\"").unwrap_err();
        assert!(text.starts_with("`vars.pct > \"90\"` orders two strings that read as numbers, as text"), "{text}");
        assert_eq!(refused(Value::from("100"), "==", Value::from("100"), "vars.pct", "\"100\""), Ok(true));
        assert_eq!(refused(Value::from("b"), ">", Value::from("a"), "vars.x", "\"a\""), Ok(true));
        let hint = refused(Value::from("20"), ">", Value::from(90), "vars.pct", "90").unwrap_err();
        assert!(!hint.contains("quoted string"), "an order is not fixed by quoting: {hint}");
    }

    #[test]
    fn tests_applied_by_name_are_guarded_as_their_operators() {
        let message = |value: Value, comparator: Comparator, other: Value| {
            tested(&value, comparator, &other).unwrap_err().detail().unwrap_or_default().to_owned()
        };
        let text = message(Value::from("5"), Comparator::Gt, Value::from(90));
        assert!(text.starts_with("`item > 90` compares a string with a number: `item` is the string \"5\""), "{text}");
        let none = message(Value::from(()), Comparator::Lt, Value::from(100));
        assert!(none.starts_with("`item < 100` compares none with the number 100"), "{none}");
        assert!(tested(&Value::from(95), Comparator::Ge, &Value::from(90)).unwrap());
        assert!(tested(&Value::from(()), Comparator::Eq, &Value::from(())).unwrap(), "`is sameas none`");
        assert!(!tested(&Value::UNDEFINED, Comparator::Eq, &Value::from(1)).unwrap(), "a lenient dry run");
    }

    #[test]
    fn the_empty_string_looked_for_in_a_string_is_refused() {
        let error =
            compare(&Value::from(""), "in", &Value::from("active,reloading"), "vars.state", "inputs.ok").unwrap_err();
        let message = error.detail().unwrap_or_default();
        assert!(
            message.starts_with("`vars.state in inputs.ok` looks for the empty string, which is in every string"),
            "{message}"
        );
        assert!(compare(&Value::from(""), "not in", &Value::from("x"), "vars.s", "inputs.ok").is_err());
        assert!(!compare(&Value::from(""), "in", &Value::from(vec!["a"]), "vars.s", "[\"a\"]").unwrap());
        assert!(compare(&Value::from("act"), "in", &Value::from("active"), "vars.s", "inputs.ok").unwrap());
    }

    /// attack3 N16: a value that is no key of the map but one of its values.
    #[test]
    fn a_value_looked_for_among_a_maps_keys_is_refused() {
        let health = Value::from_pairs([("status", "degraded"), ("version", "1.2")]);
        let error = compare(&Value::from("degraded"), "in", &health, "\"degraded\"", "vars.health").unwrap_err();
        assert!(
            error.detail().unwrap_or_default().ends_with(
                r#"and the string "degraded" is not a key but the value of `status`; test that field: `vars.health.status == "degraded"`"#
            ),
            "{error}"
        );
        assert!(compare(&Value::from("status"), "in", &health, "k", "vars.health").unwrap());
        assert!(!compare(&Value::from("down"), "in", &health, "k", "vars.health").unwrap());
    }

    /// attack4 L11: a JSON number with a fraction is not a version.
    #[test]
    fn a_number_with_a_fraction_is_not_a_version() {
        let error = version_filter(&Value::from(1.1)).unwrap_err();
        assert!(error.detail().unwrap_or_default().contains("1.10 is the number 1.1"), "{error}");
        assert_eq!(version_filter(&Value::from(7)).unwrap(), Value::from(vec![7]));
    }

    #[test]
    fn a_header_name_with_capitals_is_refused_in_the_lower_case_map() {
        let headers = Value::from_pairs([("x-role", "Primary")]);
        let error = compare(&Value::from("X-Role"), "in", &headers, "inputs.h", "result.headers").unwrap_err();
        assert!(
            error.detail().unwrap_or_default().contains(
                r#"looks for the header name "X-Role" in a map whose names are lower-case, where it never is; write `inputs.h | lower`"#
            ),
            "{error}"
        );
        assert!(compare(&Value::from("x-role"), "in", &headers, "inputs.h", "result.headers").unwrap());
        assert!(compare(&Value::from("X"), "in", &Value::from_pairs([("X", 1)]), "k", "vars.map").unwrap());
    }

    #[test]
    fn versions_are_refused_an_order_as_text_and_order_through_the_filter() {
        let error = compare(&Value::from("1.9.3"), "<", &Value::from("1.10.0"), "vars.ver", "\"1.10.0\"").unwrap_err();
        let message = error.detail().unwrap_or_default();
        assert!(message.starts_with("`vars.ver < \"1.10.0\"` orders versions as text"), "{message}");
        assert!(message.contains("`vars.ver | version < \"1.10.0\" | version`"), "{message}");
        assert!(compare(&Value::from("1.10"), ">", &Value::from("v1.9.3"), "a", "b").is_err());
        let version = |text: &str| version_filter(&Value::from(text)).unwrap();
        assert!(compare(&version("1.9.3"), "<", &version("1.10.0"), "a", "b").unwrap());
        assert!(compare(&version("v1.10"), "==", &version("1.10.0"), "a", "b").unwrap());
        assert!(compare(&version("2.0.0"), ">", &version("1.99.99"), "a", "b").unwrap());
        assert!(compare(&version("1.10.0.1"), ">", &version("1.10"), "a", "b").unwrap());
        let refused = version_filter(&Value::from("1.0.0-rc1")).unwrap_err();
        assert!(refused.detail().unwrap_or_default().ends_with(r#"and got the string "1.0.0-rc1""#), "{refused}");
        assert!(compare(&Value::from("b"), ">", &Value::from("a"), "x", "y").unwrap(), "other text orders as text");
    }

    #[test]
    fn durations_written_as_text_are_refused_an_order_and_order_as_milliseconds() {
        let error = compare(&Value::from("10m"), "<", &Value::from("5m"), "vars.up", "\"5m\"").unwrap_err();
        let message = error.detail().unwrap_or_default();
        assert!(message.starts_with("`vars.up < \"5m\"` orders durations as text (\"10m\" comes before \"5m\")"));
        assert!(
            message.ends_with(
                "give the capture of `vars.up` `type: duration`, or write `vars.up | milliseconds < \"5m\"`"
            ),
            "{message}"
        );
        let both = compare(&Value::from("45s"), ">=", &Value::from("up"), "steps.a.json.age", "steps.b.stdout");
        let both = both.unwrap_err();
        assert!(
            both.detail()
                .unwrap_or_default()
                .ends_with("`steps.a.json.age | milliseconds >= steps.b.stdout | milliseconds`"),
            "{both}"
        );
        assert!(compare(&Value::from("10m"), "==", &Value::from("5m"), "a", "b").is_ok(), "equality is not an order");
        let millis = |text: &str| crate::number_filters::milliseconds(&Value::from(text)).unwrap();
        let converted = "vars.up | milliseconds";
        assert!(!compare(&millis("10m"), "<", &Value::from("5m"), converted, "\"5m\"").unwrap());
        assert!(compare(&millis("45s"), "<", &Value::from("5m"), converted, "\"5m\"").unwrap());
    }

    #[test]
    fn a_duration_that_came_with_the_answer_is_refused_beside_a_bare_number() {
        let refused = |l: Value, op: &str, r: Value, l_text: &str, r_text: &str| {
            compare(&l, op, &r, l_text, r_text).unwrap_err().detail().unwrap_or_default().to_owned()
        };
        let message = refused(Value::from("5m"), "<", Value::from(10), "vars.uptime", "10");
        assert!(
            message.starts_with(
                "`vars.uptime < 10` compares a string with a number: `vars.uptime` is the string \"5m\", a duration \
                 with units, and `10` is the number 10, a bare number that says no unit"
            ),
            "{message}"
        );
        assert!(message.contains("`vars.uptime | milliseconds < \"10m\"`"), "{message}");
        let message = refused(Value::from(250), "==", Value::from("250ms"), "250", "result.json.lat");
        assert!(message.contains("`\"250m\" == result.json.lat | milliseconds`"), "the order is kept: {message}");
        let message = refused(Value::from(200), "<", Value::from("250ms"), "inputs.limit", "vars.lat");
        assert!(message.contains("`inputs.limit` is the number 200"), "{message}");
    }

    #[test]
    fn decimals_ordered_as_text_offer_float_and_version() {
        let error = compare(&Value::from("2.9"), "<", &Value::from("2.10"), "vars.ver", "\"2.10\"").unwrap_err();
        let message = error.detail().unwrap_or_default();
        assert!(message.contains("compare numbers: `vars.ver | float`"), "{message}");
        assert!(message.ends_with("for versions (2.9 before 2.10), `vars.ver | version < \"2.10\" | version`"));
        let whole = compare(&Value::from("100"), ">", &Value::from("90"), "vars.pct", "\"90\"").unwrap_err();
        assert!(!whole.detail().unwrap_or_default().contains("version"), "{whole}");
    }

    #[test]
    fn severities_order_by_rank_and_only_against_one_another() {
        let yes = |l: &str, op: &str, r: &str| compare(&Value::from(l), op, &Value::from(r), "s", "\"x\"");
        assert!(yes("critical", ">=", "high").unwrap(), "critical is above high, though it sorts before it as text");
        assert!(!yes("info", ">=", "high").unwrap());
        assert!(yes("low", "<", "medium").unwrap());
        assert!(yes("high", "==", "high").unwrap());
        let error = yes("critical", ">=", "hgh").unwrap_err();
        assert!(
            error.detail().unwrap_or_default().contains("orders a severity against text that is not one"),
            "{error}"
        );
        assert!(yes("b", ">", "a").unwrap(), "other text orders as text");
    }

    #[test]
    fn strings_that_read_as_false_are_refused_their_truth_and_bool_reads_them() {
        for text in ["false", "No", " OFF ", "null", "None", "nil", "0", "00", "0.0", "-0"] {
            assert!(reads_false(text), "{text}");
            assert!(truth(&Value::from(text), "vars.m").is_err(), "{text}");
        }
        for text in ["true", "db-1", "10", ""] {
            assert!(!reads_false(text), "{text}");
        }
        assert_eq!(truth(&Value::from(0), "n").unwrap(), Value::from(0));
        assert!(!bool_filter(&Value::from("False")).unwrap());
        assert!(bool_filter(&Value::from(" yes")).unwrap());
        assert!(bool_filter(&Value::from("maybe")).is_err());
        assert!(!bool_filter(&Value::from(0)).unwrap());
    }

    #[test]
    fn a_map_is_refused_its_truth() {
        let checklist = Value::from_serialize_json(&serde_json::json!({"complete": false, "ticked": []}));
        let error = truth(&checklist, "steps.drain.checklist").unwrap_err();
        assert!(
            error.to_string().contains(
                "`steps.drain.checklist` is a map, which counts as true whatever it holds; test one of its fields \
                 (`steps.drain.checklist.complete`, `steps.drain.checklist.ticked`)"
            ),
            "{error}"
        );
        assert!(truth(&Value::from(vec![1]), "vars.pods").is_ok(), "a list's truth is whether it has items");
    }

    #[test]
    fn an_unset_operand_is_an_undefined_error() {
        let error = compare(&Value::UNDEFINED, "!=", &Value::from("5"), "vars.pct", "\"5\"").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UndefinedError);
        let error = compare(&Value::from(5), "in", &Value::UNDEFINED, "5", "vars.list").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UndefinedError);
    }
}
