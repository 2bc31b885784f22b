//! Judging observations: each expectation's subject is read from the
//! observation and tested with its predicates. Types are kept: `"200"` is
//! not `200`.

use runbook_model::{Duration, Expectation, ExpectationSeverity, Expected, Subject};
use serde::Serialize;
use serde_json::Value;

use crate::probe::{Captured, ErrorKind, Observation, ProbeError};

/// One predicate applied to one subject.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ExpectationResult {
    /// What was judged: `status`, `json $.a`, `header content-type`.
    pub subject: String,
    /// The predicate: `eq`, `in`, `all.eq`, …
    pub predicate: String,
    /// The value it was compared with.
    pub expected: Value,
    /// What was observed; `None` when the subject is absent.
    pub actual: Option<Value>,
    /// Whether the predicate held.
    pub passed: bool,
    /// Whether a false result fails or only warns.
    pub severity: ExpectationSeverity,
    /// The author's reason the expectation matters.
    pub message: Option<String>,
    /// Why it could not be judged (a body that is not JSON), when the
    /// probe's outcome is `fail` for another expectation: it is listed as
    /// not passed, with this reason instead of a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unjudged: Option<String>,
}

impl ExpectationResult {
    /// Whether its values are milliseconds (`duration`, `timing …`), shown
    /// with units.
    pub fn is_duration(&self) -> bool {
        self.subject == "duration" || self.subject.starts_with("timing ")
    }
}

/// Judges `expectation` against `observation`. A `json` subject over output
/// that is not JSON is an error: there is nothing to judge.
pub(crate) fn evaluate(
    expectation: &Expectation,
    observation: &Observation,
) -> Result<Vec<ExpectationResult>, ProbeError> {
    let Some((subject, _)) = expectation.subjects().first().copied() else {
        return Ok(Vec::new());
    };
    let (name, actual) = read_subject(expectation, subject, observation)?;
    let reading = Reading::of(subject);
    let parts = text_of(subject, observation).and_then(|output| match reading {
        Reading::Output => output.parts_as_read(),
        _ => output.parts(),
    });
    let parts = parts.as_ref();
    // A pattern written for the bytes as printed (`\r\n`) matches them too.
    let printed = match reading {
        Reading::Output => text_of(subject, observation).and_then(Captured::as_printed),
        _ => None,
    };
    let text = Text { parts, printed: printed.as_deref() };
    let judged = if let Some(expected) = expectation.expected() {
        match &expected.value {
            Expected::Value(value) => judge_eq_predicate(&name, actual.as_ref(), &reading.expected(value)),
            Expected::Predicates(map) => judge_all(map, actual.as_ref(), reading, &name, text),
        }
    } else {
        judge_all(expectation, actual.as_ref(), reading, &name, text).map(|judged| {
            if judged.is_empty() { vec![("exists".into(), Value::Bool(true), actual.is_some())] } else { judged }
        })
    };
    let predicates = judged.map_err(|message| ProbeError::new(ErrorKind::TypeMismatch, message))?;
    Ok(predicates
        .into_iter()
        .map(|(predicate, expected, passed)| ExpectationResult {
            subject: name.clone(),
            predicate,
            expected,
            actual: actual.clone(),
            passed,
            severity: expectation.severity.as_ref().map_or(ExpectationSeverity::Fail, |s| s.value),
            message: expectation.message.clone(),
            unjudged: None,
        })
        .collect())
}

/// `expectation` listed as not judged, for `why`: each of its predicates
/// with the value it was given, not passed, and no value observed.
pub(crate) fn not_judged(expectation: &Expectation, why: &str) -> Vec<ExpectationResult> {
    let Some((subject, _)) = expectation.subjects().first().copied() else {
        return Vec::new();
    };
    let name = match &expectation.json {
        Some(query) => format!("json {}", query.value.as_str()),
        None => subject.name().to_owned(),
    };
    let predicates = match expectation.expected().map(|expected| &expected.value) {
        Some(Expected::Value(value)) => Ok(vec![("eq".to_owned(), (**value).clone(), false)]),
        Some(Expected::Predicates(map)) => judge_all(map, None, Reading::Plain, &name, Text::default()),
        None => judge_all(expectation, None, Reading::Plain, &name, Text::default()),
    };
    let predicates = predicates.unwrap_or_default();
    let predicates =
        if predicates.is_empty() { vec![("exists".to_owned(), Value::Bool(true), false)] } else { predicates };
    predicates
        .into_iter()
        .map(|(predicate, expected, _)| ExpectationResult {
            subject: name.clone(),
            predicate,
            expected,
            actual: None,
            passed: false,
            severity: expectation.severity.as_ref().map_or(ExpectationSeverity::Fail, |s| s.value),
            message: expectation.message.clone(),
            unjudged: Some(why.to_owned()),
        })
        .collect()
}

/// How a subject's expected values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// As written.
    Plain,
    /// Durations are compared in milliseconds with expected values written
    /// with units (`500ms`): a string against a number by design.
    Durations,
    /// A command's `stdout` or `stderr`, or an HTTP `body`, read without
    /// its final newline (as `$(…)` reads a command's) and with each
    /// `\r\n` read as `\n`; an expected text is read so too, so
    /// `eq: "active\n"` and `eq: active` both hold for `echo active`, and
    /// `contains: "role:master\n"` for redis-cli's `role:master\r\n`.
    Output,
}

impl Reading {
    const fn of(subject: Subject) -> Self {
        match subject {
            Subject::Duration | Subject::Timing => Self::Durations,
            Subject::Stdout | Subject::Stderr | Subject::Body => Self::Output,
            _ => Self::Plain,
        }
    }

    /// Text looked for inside the subject's: an output's `\r\n` is read
    /// as `\n` there too.
    fn text(self, text: &str) -> std::borrow::Cow<'_, str> {
        if self == Self::Output && text.contains("\r\n") { text.replace("\r\n", "\n").into() } else { text.into() }
    }

    /// `value` as the subject's values are compared with it.
    fn expected(self, value: &Value) -> Value {
        match (self, value) {
            (Self::Durations, _) => as_millis(value).map_or_else(|| value.clone(), Value::from),
            (Self::Output, Value::String(text)) => {
                let text = text.replace("\r\n", "\n");
                Value::from(text.strip_suffix('\n').unwrap_or(&text))
            }
            _ => value.clone(),
        }
    }
}

/// A predicate judged: its name, the value it was given, whether it held.
type Judged = (String, Value, bool);

/// The shorthand `status: 200`: `eq`, refused across types.
fn judge_eq_predicate(subject: &str, actual: Option<&Value>, expected: &Value) -> Result<Vec<Judged>, String> {
    if let Some(actual) = actual
        && let Some((why, _)) = mismatch("eq", actual, expected)
    {
        return Err(conflict(subject, "eq", actual, expected, &why));
    }
    Ok(vec![("eq".into(), expected.clone(), judge_eq(actual, expected))])
}

/// The output a text subject reads.
fn text_of(subject: Subject, observation: &Observation) -> Option<&Captured> {
    observation.output(subject.name())
}

fn read_subject(
    expectation: &Expectation,
    subject: Subject,
    observation: &Observation,
) -> Result<(String, Option<Value>), ProbeError> {
    let observed = observation.observed();
    let actual = match subject {
        Subject::Duration => Some(Value::from(crate::probe::millis(observation.duration()))),
        Subject::Json => {
            let query = expectation.json.as_ref().map(|query| &query.value);
            let path = query.map_or("$", |query| query.as_str());
            let text = match observed.outputs().first() {
                Some((_, output)) => whole(output)?,
                // No text: the empty string is not JSON, and says so.
                None => String::new(),
            };
            let document: Value = serde_json::from_str(&text).map_err(|_| {
                let encoded = encoding(observation).map_or_else(String::new, |encoding| {
                    let decoded = if crate::probe::decodes_encoding(encoding) {
                        "which runbook decodes only when the whole body fits the capture limit and is valid"
                    } else {
                        "which runbook does not decode (it decodes gzip and deflate)"
                    };
                    format!("; the body was sent {encoding}-encoded (content-encoding: {encoding}), {decoded}")
                });
                let output = if matches!(observation, Observation::Http(_)) { "the body" } else { "the output" };
                ProbeError::new(ErrorKind::InvalidJson, format!("{output} is not JSON ({}){encoded}", starts(&text)))
            })?;
            let selected = match query {
                Some(query) => match query.error() {
                    Some(error) => {
                        let message = format!("invalid JSONPath `{path}`: {error}");
                        return Err(ProbeError::new(ErrorKind::InvalidJson, message));
                    }
                    None => match query.numbers_written_as_text(&document) {
                        Some(why) => return Err(ProbeError::new(ErrorKind::TypeMismatch, why)),
                        None => query.select(&document),
                    },
                },
                // No path: the whole document.
                None => Some(document),
            };
            return Ok((format!("json {path}"), selected));
        }
        _ => match text_of(subject, observation) {
            Some(output) if Reading::of(subject) == Reading::Output => Some(Value::from(output.as_read())),
            Some(output) => Some(Value::from(output.kept())),
            None => {
                return Ok(observed.subject(subject, expectation).unwrap_or_else(|| (subject.name().to_owned(), None)));
            }
        },
    };
    Ok((subject.name().to_owned(), actual))
}

/// How a text that is not JSON starts, to say what it is instead: "it is
/// empty", "it starts with `<!DOCTYPE html>`" (its first line, cut after
/// 40 characters, control characters as escapes).
fn starts(text: &str) -> String {
    let first = text.trim_start().lines().next().unwrap_or("");
    if first.is_empty() {
        return "it is empty".to_owned();
    }
    let cut: String = first.chars().take(40).collect();
    let more = if cut.len() < first.len() { "…" } else { "" };
    let shown = crate::printable::printable_line(&cut);
    format!("it starts with {}{more}", crate::record::markdown::code(&shown))
}

/// The `content-encoding` of an http answer, when it says the body is
/// compressed (`gzip`, `br`, …): such a body is not JSON as sent.
fn encoding(observation: &Observation) -> Option<&str> {
    let Observation::Http(http) = observation else { return None };
    http.headers
        .iter()
        .find(|(name, _)| name == "content-encoding")
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty() && !value.eq_ignore_ascii_case("identity"))
}

/// The kept text of an output read as one document, which a dropped
/// middle makes impossible: parsing the head and tail glued together would
/// judge a document the service never printed.
fn whole(captured: &Captured) -> Result<String, ProbeError> {
    match captured.cut() {
        Some(why) => Err(ProbeError::new(ErrorKind::InvalidJson, why)),
        None => Ok(captured.document()),
    }
}

/// What text predicates read of an output besides its value.
#[derive(Clone, Copy, Default)]
struct Text<'a> {
    /// The head and tail of an output whose middle was dropped: text
    /// predicates look inside each, never across the gap.
    parts: Option<&'a [String; 2]>,
    /// The output as printed, when its `\r\n` make it another text than
    /// the one read: `matches` tries it too.
    printed: Option<&'a str>,
}

/// Every predicate given in `map`, judged against `actual`, or why one of
/// them compares values of types that can never match (a `type_mismatch`).
fn judge_all(
    map: &Expectation,
    actual: Option<&Value>,
    reading: Reading,
    subject: &str,
    Text { parts, printed }: Text<'_>,
) -> Result<Vec<Judged>, String> {
    let durations = reading == Reading::Durations;
    let expected = |value: &Value| reading.expected(value);
    let mut out = Vec::new();
    let mut push = |name: &str, value: Value, passed: bool| -> Result<(), String> {
        if let Some(actual) = actual.filter(|_| !durations)
            && let Some((why, at_fault)) = mismatch(name, actual, &value)
        {
            return Err(conflict(subject, name, actual, at_fault, &why));
        }
        out.push((name.to_owned(), value, passed));
        Ok(())
    };
    if let Some(v) = &map.eq {
        push("eq", (*v.value).clone(), judge_eq(actual, &expected(v)))?;
    }
    if let Some(v) = &map.ne {
        push("ne", (*v.value).clone(), actual.is_some() && !judge_eq(actual, &expected(v)))?;
    }
    for (name, bound, test) in [
        ("lt", &map.lt, f64::lt as fn(&f64, &f64) -> bool),
        ("le", &map.le, f64::le),
        ("gt", &map.gt, f64::gt),
        ("ge", &map.ge, f64::ge),
    ] {
        if let Some(v) = bound {
            let passed = match (actual.and_then(Value::as_f64), expected(v).as_f64()) {
                (Some(a), Some(b)) => test(&a, &b),
                _ => false,
            };
            push(name, (*v.value).clone(), passed)?;
        }
    }
    if let Some(list) = &map.in_ {
        push("in", Value::Array(list.value.clone()), list.iter().any(|item| judge_eq(actual, &expected(item))))?;
    }
    if let Some(list) = &map.not_in {
        let passed = actual.is_some() && !list.iter().any(|i| judge_eq(actual, &expected(i)));
        push("not_in", Value::Array(list.value.clone()), passed)?;
    }
    if let Some(v) = &map.contains {
        let passed = match (actual, &*v.value) {
            (Some(Value::String(_)), Value::String(part)) if let Some(parts) = parts => {
                let part = reading.text(part);
                parts.iter().any(|text| text.contains(&*part))
            }
            (Some(Value::String(text)), Value::String(part)) => text.contains(&*reading.text(part)),
            (Some(Value::Array(items)), item) => items.iter().any(|i| judge_eq(Some(i), item)),
            _ => false,
        };
        push("contains", (*v.value).clone(), passed)?;
    }
    let text = actual.and_then(Value::as_str);
    let (first, last) = match parts {
        Some([first, last]) => (Some(first.as_str()), Some(last.as_str())),
        None => (text, text),
    };
    if let Some(v) = &map.starts_with {
        let start = reading.text(v.as_str());
        push("starts_with", Value::from(v.as_str()), first.is_some_and(|t| t.starts_with(&*start)))?;
    }
    if let Some(v) = &map.ends_with {
        let end = expected(&Value::from(v.as_str()));
        let passed = last.is_some_and(|t| t.ends_with(end.as_str().unwrap_or_default()));
        push("ends_with", Value::from(v.as_str()), passed)?;
    }
    if let Some(v) = &map.matches {
        let within = |regex: &regex::Regex| {
            let read = match parts {
                Some(parts) => parts.iter().any(|t| regex.is_match(t)),
                None => text.is_some_and(|t| regex.is_match(t)),
            };
            read || printed.is_some_and(|t| regex.is_match(t))
        };
        let passed = v.regex().is_some_and(within);
        push("matches", Value::from(v.as_str()), passed)?;
    }
    for (name, flag, present) in [("exists", &map.exists, true), ("absent", &map.absent, false)] {
        if let Some(v) = flag {
            push(name, Value::Bool(v.value), actual.is_some() == (present == v.value))?;
        }
    }
    for (name, flag, want_empty) in [("empty", &map.empty, true), ("non_empty", &map.non_empty, false)] {
        if let Some(v) = flag {
            let is_empty = match actual {
                Some(Value::String(s)) => Some(s.is_empty()),
                Some(Value::Array(a)) => Some(a.is_empty()),
                Some(Value::Object(o)) => Some(o.is_empty()),
                Some(Value::Null) | None => Some(true),
                _ => None,
            };
            push(name, Value::Bool(v.value), is_empty.is_some_and(|e| e == (want_empty == v.value)))?;
        }
    }
    for (name, nested, every) in [("all", &map.all, true), ("any", &map.any, false)] {
        if let Some(nested) = nested {
            let items = actual.and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            let mut held = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let judged = judge_all(nested, Some(item), reading, &format!("{subject}[{i}]"), Text::default())?;
                held.push(judged.iter().all(|(_, _, passed)| *passed));
            }
            let passed = actual.is_some_and(Value::is_array)
                && if every { held.iter().all(|h| *h) } else { held.iter().any(|h| *h) };
            push(name, Value::String(format!("{name} of {} predicates", nested.predicates().len())), passed)?;
        }
    }
    Ok(out)
}

/// Why `predicate` can never hold, or only hold, for `actual` whatever
/// the values: a string against a number or a boolean (`eq: "true"` over
/// `true`), an order between things that are not numbers, text predicates
/// over a number, `contains` over a number, `all`/`any` over a non-list.
/// The value named is the expected one, or for `in` the item at fault.
fn mismatch<'v>(predicate: &str, actual: &Value, expected: &'v Value) -> Option<(String, &'v Value)> {
    if let Some(why) = null_differs(predicate, actual, expected) {
        return Some((why, expected));
    }
    // A list may hold several types (`in: [0, "none"]`): the value is
    // judged against the items of its own type. It is refused when there
    // are none, or when an item of another type writes the same value
    // (`"7"` for the number 7), which only a type mix-up puts there.
    if let ("in" | "not_in", Some(items)) = (predicate, expected.as_array()) {
        if let Some(why) = items.iter().find_map(|item| several_against_one(actual, item)) {
            return Some((why, expected));
        }
        let written = |value: &Value| value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        let conflicts = |item: &&Value| scalar_conflict(actual, item).is_some();
        let same_kind = items.iter().any(|item| !conflicts(&item));
        let look_alike = items.iter().filter(conflicts).find(|item| written(item) == written(actual));
        return match look_alike {
            Some(item) => scalar_conflict(actual, item).map(|why| (why, item)),
            None if same_kind => None,
            None => items.iter().find_map(|item| scalar_conflict(actual, item).map(|why| (why, item))),
        };
    }
    let why = match predicate {
        "eq" | "ne" => several_against_one(actual, expected).or_else(|| scalar_conflict(actual, expected)),
        "lt" | "le" | "gt" | "ge" if !actual.is_number() || !expected.is_number() => {
            Some(format!("`{predicate}` orders numbers only"))
        }
        "contains" => match actual {
            Value::String(_) if !expected.is_string() => Some("`contains` looks for text in text".to_owned()),
            Value::Array(items) => {
                let same = items.iter().any(|item| scalar_conflict(item, expected).is_none());
                if same { None } else { items.iter().find_map(|item| scalar_conflict(item, expected)) }
            }
            Value::String(_) => None,
            _ => Some("`contains` looks in text or in a list".to_owned()),
        },
        "starts_with" | "ends_with" | "matches" if !actual.is_string() => Some(format!("`{predicate}` reads text")),
        "all" | "any" if !actual.is_array() => Some(format!("`{predicate}` reads a list")),
        _ => None,
    };
    why.map(|why| (why, expected))
}

/// Why a list or an object never equals a single string, number or
/// boolean: a JSONPath with a wildcard, slice, filter or `..` gives a list
/// even when one node matched, so `ne: Running` would always hold and
/// `eq: Running` never.
fn several_against_one(actual: &Value, expected: &Value) -> Option<String> {
    let container = match actual {
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
        _ => return None,
    };
    let single = matches!(expected, Value::String(_) | Value::Number(_) | Value::Bool(_));
    single.then(|| format!("{container} never equals a single value"))
}

/// Why `ne` or `not_in` would hold over a JSON `null` only because null is
/// no value of the expected type: `{ json: $.owner, ne: "" }` says "filled
/// in", and an API writes an owner that is not as `null`. An expectation
/// about null (`ne: null`, `not_in: [null, ""]`) is judged as written.
fn null_differs(predicate: &str, actual: &Value, expected: &Value) -> Option<String> {
    if !actual.is_null() {
        return None;
    }
    let about_null = match (predicate, expected) {
        ("ne", value) => value.is_null(),
        ("not_in", Value::Array(items)) => items.iter().any(Value::is_null),
        _ => return None,
    };
    (!about_null).then(|| {
        format!("null differs from every text, number and boolean, so `{predicate}` would hold for a value that is not there")
    })
}

/// Why a string, a number and a boolean never equal one another.
fn scalar_conflict(a: &Value, b: &Value) -> Option<String> {
    let kind = |value: &Value| match value {
        Value::String(_) => Some("a string"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
        _ => None,
    };
    let (a, b) = (kind(a)?, kind(b)?);
    (a != b).then(|| format!("{a} never equals {b}"))
}

/// The `type_mismatch` message: the subject, both values and the fix.
fn conflict(subject: &str, predicate: &str, actual: &Value, expected: &Value, why: &str) -> String {
    let quoted_number = expected.as_str().filter(|text| text.trim().parse::<f64>().is_ok());
    let fix = match (actual, expected) {
        (Value::Null, Value::Array(items)) => {
            let listed: Vec<String> = items.iter().map(ToString::to_string).collect();
            format!(
                "say what null means: `not_in: [null, {}]` when it means \"not filled in\", or test it in an entry of \
                 its own (`eq: null`)",
                listed.join(", ")
            )
        }
        (Value::Null, _) => format!(
            "say what null means: `not_in: [null, {expected}]` when it means \"not filled in\", or test it in an \
             entry of its own (`eq: null`)"
        ),
        (Value::Number(_), Value::String(_)) if quoted_number.is_some() => {
            format!("remove the quotes: `{}`", quoted_number.unwrap_or_default().trim())
        }
        (Value::Bool(_), Value::String(text)) if text == "true" || text == "false" => {
            format!("remove the quotes: `{text}`")
        }
        (Value::Bool(_), Value::String(text)) if yaml11_boolean(text).is_some() => format!(
            "`{text}` is text in YAML 1.2, not a boolean as in YAML 1.1 or Ansible: write `{}`",
            yaml11_boolean(text).unwrap_or_default()
        ),
        (Value::String(_), Value::Number(_) | Value::Bool(_)) if matches!(predicate, "lt" | "le" | "gt" | "ge") => {
            "read the number with a capture of `type: int` (or `float`) and compare it in a `when`".to_owned()
        }
        (_, Value::String(_)) if matches!(predicate, "lt" | "le" | "gt" | "ge") => {
            "compare with a number, or test text with `matches`".to_owned()
        }
        (Value::String(_), Value::Number(_)) => {
            "expect a value of the same type (or read the number with a capture of `type: int`)".to_owned()
        }
        (Value::Array(_), _) if matches!(predicate, "eq" | "ne" | "in" | "not_in") => {
            let value = serde_json::to_string(expected).unwrap_or_default();
            let several = if subject.starts_with("json ") {
                " (a path with a wildcard, slice, filter or `..` gives a list even when one node matched)"
            } else {
                ""
            };
            format!(
                "judge its items{several}: `all: {{ {predicate}: {value} }}` for every item, \
                 `any: {{ {predicate}: {value} }}` for at least one"
            )
        }
        _ => "expect a value of the same type".to_owned(),
    };
    format!(
        "`{subject}` is {}, and `{predicate}` compares it with {}: {why}; {fix}",
        described(actual),
        described(expected)
    )
}

/// The boolean a YAML 1.1 word (`yes`, `off`) meant, which YAML 1.2 reads
/// as text.
fn yaml11_boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "on" | "y" => Some(true),
        "no" | "off" | "n" => Some(false),
        _ => None,
    }
}

/// A value with its type, for an error: `the string "7"`, `the number 5`.
fn described(value: &Value) -> String {
    match value {
        Value::String(text) => {
            let cut: String = text.chars().take(80).collect();
            let more = if cut.len() < text.len() { "…" } else { "" };
            format!("the string {}{more}", Value::from(cut))
        }
        Value::Number(_) => format!("the number {value}"),
        Value::Bool(_) => format!("the boolean {value}"),
        Value::Null => "null".to_owned(),
        Value::Array(_) => {
            let text = value.to_string();
            let cut: String = text.chars().take(120).collect();
            let more = if cut.len() < text.len() { "…" } else { "" };
            format!("the list {cut}{more}")
        }
        Value::Object(_) => "an object".to_owned(),
    }
}

/// Equality with types kept; numbers compare by value (`200 == 200.0`).
fn judge_eq(actual: Option<&Value>, expected: &Value) -> bool {
    match (actual, expected) {
        (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(a), b) => a == b,
        (None, _) => false,
    }
}

fn as_millis(value: &Value) -> Option<u64> {
    let text = value.as_str()?;
    Duration::parse(text).ok().and_then(|d| u64::try_from(d.as_millis()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fixtures;

    fn http(status: u16, body: &str) -> Observation {
        fixtures::http(status, body, std::time::Duration::from_millis(120))
    }

    fn expectation(yaml: &str) -> Expectation {
        serde_saphyr::from_str(yaml).expect("valid expectation")
    }

    fn passed(yaml: &str, observation: &Observation) -> Vec<bool> {
        evaluate(&expectation(yaml), observation).unwrap().iter().map(|r| r.passed).collect()
    }

    #[test]
    fn timing_phases_are_durations_and_absent_when_they_did_not_happen() {
        let mut http = fixtures::http(200, "{}", std::time::Duration::from_millis(900));
        if let Observation::Http(o) = &mut http {
            o.timing = Some(crate::probe::HttpTiming {
                dns_ms: None,
                connect_ms: Some(40),
                tls_ms: Some(120),
                first_byte_ms: Some(800),
            });
        }
        assert_eq!(passed("{ timing: first_byte, lt: 500ms }", &http), [false]);
        assert_eq!(passed("{ timing: first_byte, lt: 1s }", &http), [true]);
        assert_eq!(passed("{ timing: connect, le: 40ms }", &http), [true]);
        assert_eq!(passed("{ timing: tls, lt: 100ms }", &http), [false]);
        assert_eq!(passed("{ timing: dns, lt: 1s }", &http), [false], "no lookup: nothing under a second");
        assert_eq!(passed("{ timing: dns, exists: false }", &http), [true]);
        let result = &evaluate(&expectation("{ timing: first_byte, lt: 500ms }"), &http).unwrap()[0];
        assert!(result.is_duration() && result.subject == "timing first_byte", "{result:?}");
    }

    #[test]
    fn certificate_facts_are_subjects_and_absent_over_plain_http() {
        let https = fixtures::https(10);
        assert_eq!(passed("{ tls: days_left, ge: 14 }", &https), [false]);
        assert_eq!(passed("{ tls: days_left, ge: 7 }", &https), [true]);
        assert_eq!(passed("{ tls: issuer, contains: Internal CA }", &https), [true]);
        assert_eq!(passed("{ tls: not_after, eq: '2027-01-01T00:00:00Z' }", &https), [true]);
        let result = &evaluate(&expectation("{ tls: subject, eq: CN=other }"), &https).unwrap()[0];
        assert_eq!(
            (result.subject.as_str(), result.actual.clone()),
            ("tls subject", Some(Value::from("CN=api.example")))
        );
        let plain = http(200, "{}");
        assert_eq!(passed("{ tls: days_left, ge: 0 }", &plain), [false]);
        assert_eq!(passed("{ tls: issuer, exists: false }", &plain), [true]);
    }

    #[test]
    fn shorthand_and_predicate_maps_keep_types() {
        let ok = http(200, "{}");
        assert_eq!(passed("status: 200", &ok), [true]);
        assert_eq!(passed("status: { in: [200, 204] }", &ok), [true]);
        assert_eq!(passed("status: { ge: 200, lt: 300 }", &ok), [true, true]);
        assert_eq!(passed("status: { ne: 200 }", &http(503, "{}")), [true]);
    }

    #[test]
    fn json_paths_headers_and_lists() {
        let body = r#"{"checks": [{"name": "db", "ok": true}, {"name": "queue", "ok": false}], "v": "1.2"}"#;
        let observation = http(200, body);
        assert_eq!(passed("json: $.v\neq: \"1.2\"", &observation), [true]);
        assert_eq!(passed("json: $.missing", &observation), [false]);
        assert_eq!(passed("json: $.checks[*].ok\nall: { eq: true }", &observation), [false]);
        assert_eq!(passed("json: $.checks[*].ok\nany: { eq: false }", &observation), [true]);
        assert_eq!(passed("json: $.checks[*].name\ncontains: queue", &observation), [true]);
        assert_eq!(passed("header: Content-Type\ncontains: json", &observation), [true]);
        assert_eq!(passed("body: { matches: \"\\\"ok\\\": (true|false)\" }", &observation), [true]);
    }

    #[test]
    fn durations_compare_with_units_and_warn_severity_is_kept() {
        let observation = http(429, "slow down");
        assert_eq!(passed("duration: { lt: 500ms }", &observation), [true]);
        assert_eq!(passed("duration: { lt: 100ms }", &observation), [false]);
        let results = evaluate(&expectation("status: 200\nseverity: warn"), &observation).unwrap();
        assert_eq!(results[0].severity, ExpectationSeverity::Warn);
        assert_eq!(results[0].actual, Some(Value::from(429)));
    }

    #[test]
    fn a_string_expected_of_a_number_or_the_reverse_is_a_type_mismatch_error() {
        let observation = http(200, r#"{"count": "7", "n": 7}"#);
        let error = evaluate(&expectation("json: $.count\ngt: 5"), &observation).unwrap_err();
        assert_eq!(error.kind, ErrorKind::TypeMismatch);
        assert!(
            error.message.starts_with(r#"`json $.count` is the string "7", and `gt` compares it with the number 5"#),
            "{}",
            error.message
        );
        let error = evaluate(&expectation("json: $.n\nin: [1, \"7\"]"), &observation).unwrap_err();
        assert!(error.message.contains("`in` compares it with the string \"7\""), "{}", error.message);
        assert_eq!(evaluate(&expectation("status: \"200\""), &observation).unwrap_err().kind, ErrorKind::TypeMismatch);
        assert_eq!(passed("json: $.count\neq: \"7\"", &observation), [true]);
        assert_eq!(passed("json: $.n\nge: 7", &observation), [true]);
        assert_eq!(passed("json: $.count\ncontains: \"7\"", &observation), [true]);
        assert_eq!(passed("json: $.n\nin: [7, \"none\"]", &observation), [true], "a list of several types");
        assert_eq!(passed("json: $.count\nin: [0, \"none\"]", &observation), [false]);
    }

    /// `ne: ""` says "filled in": over a JSON null it would hold for an
    /// owner that is not there, so it is a `type_mismatch` unless the
    /// expectation says what null means.
    #[test]
    fn ne_and_not_in_over_null_are_a_type_mismatch_unless_they_name_null() {
        let observation = http(200, r#"{"owner": null, "healthy": null}"#);
        for yaml in
            ["json: $.owner\nne: \"\"", "json: $.owner\nnot_in: [\"\", unassigned]", "json: $.healthy\nne: false"]
        {
            let error = evaluate(&expectation(yaml), &observation).unwrap_err();
            assert_eq!(error.kind, ErrorKind::TypeMismatch, "{yaml}");
            assert!(error.message.contains("null differs from every text, number and boolean"), "{}", error.message);
            assert!(error.message.contains("`not_in: [null, "), "{}", error.message);
        }
        let error = evaluate(&expectation("json: $.owner\nne: \"\""), &observation).unwrap_err();
        assert!(
            error.message.starts_with(r#"`json $.owner` is null, and `ne` compares it with the string """#),
            "{}",
            error.message
        );
        assert_eq!(passed("json: $.owner\nnot_in: [null, \"\"]", &observation), [false]);
        assert_eq!(passed("json: $.owner\nne: null", &observation), [false]);
        assert_eq!(passed("json: $.owner\neq: \"\"", &observation), [false], "eq over null is false, as written");
        assert_eq!(passed("json: $.owner\nin: [\"\", x]", &observation), [false]);
        assert_eq!(passed("json: $.owner\neq: null", &observation), [true]);
        let filled = http(200, r#"{"owner": "alice"}"#);
        assert_eq!(passed("json: $.owner\nne: \"\"", &filled), [true]);
    }

    /// A command's output is judged without its final newline, as `$(…)`
    /// reads it, and so is an expected text's own: `echo active` and a
    /// mocked `active` give the same verdicts.
    #[test]
    fn command_output_is_judged_without_its_final_newline() {
        for printed in ["active\n", "active"] {
            let observation = fixtures::cmd(printed);
            for yaml in [
                "stdout: active",
                "stdout: { eq: active }",
                "stdout: { eq: \"active\\n\" }",
                "stdout: { matches: '^active$' }",
                "stdout: { in: [inactive, active] }",
                "stdout: { ends_with: \"ve\\n\" }",
                "stdout: { ne: inactive }",
            ] {
                assert_eq!(passed(yaml, &observation), [true], "{yaml} over {printed:?}");
            }
            assert_eq!(passed("stdout: { not_in: [\"active\\n\"] }", &observation), [false], "{printed:?}");
        }
        let lines = fixtures::cmd("active\nmore\n");
        assert_eq!(passed("stdout: { matches: '^active$' }", &lines), [false], "only the last newline goes");
        assert_eq!(passed("stdout: { matches: '(?m)^active$' }", &lines), [true]);
        assert_eq!(passed("stdout: { eq: \"active\\nmore\" }", &lines), [true]);
        let body = http(200, "ok\n");
        assert_eq!(passed("body: { matches: '^ok$' }", &body), [true], "an HTTP body too");
    }

    /// Each predicate that could only fail (or only hold) because of the
    /// types is an error naming both values, nested ones included.
    #[test]
    fn predicates_that_cannot_hold_for_their_types_are_type_mismatch_errors() {
        let observation = http(200, r#"{"arr": ["1", "2"], "n": 2, "b": true, "len": "23", "mixed": ["a", 1]}"#);
        let message = |yaml: &str| {
            let error = evaluate(&expectation(yaml), &observation).expect_err(yaml);
            assert_eq!(error.kind, ErrorKind::TypeMismatch, "{yaml}");
            error.message
        };
        let ordered = message("json: $.len\ngt: \"100\"");
        assert!(ordered.starts_with(r#"`json $.len` is the string "23", and `gt` compares it with the string "100": `gt` orders numbers only"#), "{ordered}");
        assert!(ordered.contains("`matches`"), "{ordered}");
        assert!(message("json: $.n\nle: \"3\"").contains("remove the quotes: `3`"));
        let boolean = message("json: $.b\neq: \"true\"");
        assert!(boolean.contains("a boolean never equals a string; remove the quotes: `true`"), "{boolean}");
        assert!(message("json: $.n\nne: true").contains("a number never equals a boolean"));
        let word = message("json: $.b\neq: 'yes'");
        assert!(
            word.ends_with("`yes` is text in YAML 1.2, not a boolean as in YAML 1.1 or Ansible: write `true`"),
            "{word}"
        );
        let every = message("json: $.arr[*]\nall: { gt: 0 }");
        assert!(every.starts_with(r#"`json $.arr[*][0]` is the string "1", and `gt`"#), "{every}");
        assert!(message("json: $.arr[*]\nany: { eq: 1 }").contains("a string never equals a number"));
        assert!(
            message("json: $.arr\ncontains: 1")
                .contains(r#"`json $.arr` is the list ["1","2"], and `contains` compares it with the number 1"#)
        );
        assert!(message("json: $.n\ncontains: \"2\"").contains("`contains` looks in text or in a list"));
        assert!(message("json: $.n\nmatches: \"^2\"").contains("`matches` reads text"));
        assert!(message("json: $.n\nall: { gt: 1 }").contains("`all` reads a list"));
        assert!(message("header: content-type\ngt: 10").contains("`gt` orders numbers only"));
        assert_eq!(passed("json: $.mixed\ncontains: 1", &observation), [true]);
        assert_eq!(passed("json: $.arr[*]\nall: { matches: \"^[0-9]$\" }", &observation), [true]);
        assert_eq!(passed("json: $.missing\ngt: 1", &observation), [false]);
    }

    #[test]
    fn a_path_that_selects_several_nodes_against_a_single_value_is_a_type_mismatch() {
        let observation = http(200, r#"{"items": [{"phase": "Running"}], "labels": {"app": "web"}}"#);
        let message = |yaml: &str| {
            let error = evaluate(&expectation(yaml), &observation).expect_err(yaml);
            assert_eq!(error.kind, ErrorKind::TypeMismatch, "{yaml}");
            error.message
        };
        let ne = message("json: $.items[*].phase\nne: Running");
        assert_eq!(
            ne,
            "`json $.items[*].phase` is the list [\"Running\"], and `ne` compares it with the string \"Running\": a \
             list never equals a single value; judge its items (a path with a wildcard, slice, filter or `..` gives a \
             list even when one node matched): `all: { ne: \"Running\" }` for every item, `any: { ne: \"Running\" }` \
             for at least one"
        );
        assert!(message("json: $.items[*].phase\neq: Running").contains("`any: { eq: \"Running\" }`"));
        let not_in = message("json: $..phase\nnot_in: [Running, Pending]");
        assert!(not_in.contains(r#"compares it with the list ["Running","Pending"]: a list never equals"#), "{not_in}");
        assert!(not_in.contains(r#"`all: { not_in: ["Running","Pending"] }`"#), "{not_in}");
        assert!(message("json: $.items[?@.phase]\nin: [Running]").contains("a list never equals a single value"));
        assert!(message("json: $.labels\neq: web").contains("an object never equals a single value"));
        assert_eq!(passed("json: $.items[*].phase\nall: { ne: Running }", &observation), [false]);
        assert_eq!(passed("json: $.items[*].phase\neq: [Running]", &observation), [true], "a list against a list");
        assert_eq!(passed("json: $.items[*].phase\ncontains: Running", &observation), [true]);
        assert_eq!(passed("json: $.items[*].none\nne: Running", &observation), [false], "nothing selected");
    }

    /// review-10-attack5 M6: a compressed body left as sent (one that did
    /// not decode, or an encoding not decoded) says so.
    #[test]
    fn json_over_a_compressed_body_names_its_encoding() {
        let sent = |encoding: &str| {
            let mut observation = http(200, "\u{1f}\u{8b}\u{8}garbage");
            if let Observation::Http(o) = &mut observation {
                o.headers.push(("content-encoding".into(), encoding.into()));
            }
            evaluate(&expectation("json: $.ok\neq: true"), &observation).expect_err("not JSON")
        };
        let gzip = sent("gzip");
        assert_eq!(gzip.kind, ErrorKind::InvalidJson);
        assert!(
            gzip.message
                .contains("the body was sent gzip-encoded (content-encoding: gzip), which runbook decodes only"),
            "{}",
            gzip.message
        );
        assert!(sent("br").message.contains("which runbook does not decode (it decodes gzip and deflate)"));
    }

    #[test]
    fn json_over_text_is_an_invalid_json_error() {
        let error = evaluate(&expectation("json: $.a"), &http(200, "<html>")).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidJson);
    }

    #[test]
    fn command_subjects() {
        let observation = fixtures::cmd(
            "PONG
",
        );
        assert_eq!(passed("exit_code: 0", &observation), [true]);
        assert_eq!(passed("stdout: { starts_with: PONG }", &observation), [true]);
        assert_eq!(passed("stderr: { empty: true }", &observation), [true]);
    }

    #[test]
    fn a_truncated_output_is_judged_on_its_kept_bytes_not_the_marker() {
        let mut stdout = crate::probe::Captured::new();
        stdout.push(&vec![b'x'; 3_000_000], 1 << 20);
        let Observation::Cmd(mut cmd) = fixtures::cmd("") else { unreachable!() };
        cmd.stdout = stdout;
        let observation = Observation::Cmd(cmd);
        assert_eq!(passed("stdout: { contains: dropped }", &observation), [false]);
        assert_eq!(passed("stdout: { matches: \"^x+$\" }", &observation), [true]);
        assert_eq!(passed("stdout: { ends_with: xxx }", &observation), [true]);
        assert_eq!(passed("body: { contains: \"…\" }", &http(200, "plain")), [false]);
    }

    /// A command's stdout, with 1 MiB kept of it.
    fn truncated(bytes: &[u8]) -> Observation {
        let mut stdout = crate::probe::Captured::new();
        stdout.push(bytes, 1 << 20);
        let Observation::Cmd(mut cmd) = fixtures::cmd("") else { unreachable!() };
        cmd.stdout = stdout;
        Observation::Cmd(cmd)
    }

    #[test]
    fn text_predicates_never_match_across_the_dropped_middle() {
        let half = (1 << 19) - 1;
        let output = [vec![b'x'; half], b"A".to_vec(), vec![b'-'; 3_000_000], b"B".to_vec(), vec![b'y'; half]].concat();
        let observation = truncated(&output);
        assert_eq!(passed("stdout: { contains: AB }", &observation), [false]);
        assert_eq!(passed("stdout: { matches: \"A.?B\" }", &observation), [false]);
        assert_eq!(passed("stdout: { contains: xA }", &observation), [true]);
        assert_eq!(passed("stdout: { contains: By }", &observation), [true]);
        assert_eq!(passed("stdout: { matches: \"x+A$\" }", &observation), [true]);
        assert_eq!(passed("stdout: { starts_with: xxx, ends_with: yyy }", &observation), [true, true]);
        assert_eq!(passed("stdout: { starts_with: yyy, ends_with: xxx }", &observation), [false, false]);
    }

    #[test]
    fn json_over_an_output_whose_middle_was_dropped_is_an_error() {
        let p = "p".repeat(700_000);
        let q = "q".repeat(700_000);
        let output = format!(r#"{{"a":"{p}","error":"disk full","b":"{q}","healthy":true}}"#);
        let error = evaluate(&expectation("json: $.error\nexists: false"), &truncated(output.as_bytes())).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidJson);
        assert!(error.message.contains("bytes were dropped from the middle"), "{}", error.message);
    }
}
