//! Expected values of the type their subject observes: `status: "200"`
//! compares a number with a string and can never hold, so it is a
//! `type-mismatch` at `check`, not a check that silently fails. So are an
//! order against text (`gt: "100"`: `lt`, `le`, `gt` and `ge` order numbers
//! only, whatever the subject, inside `all`/`any` too) and a text predicate
//! (`matches`, `contains`, …) over a number.

use serde_json::Value;

use crate::{CertificateFact, Code, Diagnostic, Expectation, Expected, Span, Spanned, Subject};

/// The type a subject's observation has, when it is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Observed {
    Number,
    Bool,
    Text,
}

impl Observed {
    fn of(subject: Subject, expectation: &Expectation) -> Option<Self> {
        match subject {
            Subject::Status | Subject::ExitCode => Some(Self::Number),
            Subject::Connected => Some(Self::Bool),
            Subject::Body | Subject::Stdout | Subject::Stderr | Subject::Header => Some(Self::Text),
            Subject::Tls => match expectation.tls.as_ref()?.value {
                CertificateFact::DaysLeft => Some(Self::Number),
                _ => Some(Self::Text),
            },
            Subject::Duration | Subject::Timing | Subject::Json => None,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::Number => "a number",
            Self::Bool => "a boolean",
            Self::Text => "text",
        }
    }

    fn admits(self, value: &Value) -> bool {
        match self {
            Self::Number => value.is_number(),
            Self::Bool => value.is_boolean(),
            Self::Text => value.is_string(),
        }
    }
}

/// Reports every expected value of `expectation` whose type differs from
/// what `subject` observes, and every order against text.
pub(crate) fn check(subject: Subject, expectation: &Expectation, out: &mut Vec<Diagnostic>) {
    // A duration's expected values are written as text with units (RB102).
    if matches!(subject, Subject::Duration | Subject::Timing) {
        return;
    }
    if let Some(path) = expectation.json.as_ref().filter(|path| path.value.selects_several()) {
        list_against_values(path.value.as_str(), expectation, out);
    }
    let observed = Observed::of(subject, expectation);
    // The name as written, with the certificate fact: `tls: days_left`.
    let name = match &expectation.tls {
        Some(fact) if subject == Subject::Tls => format!("tls: {}", fact.value.name()),
        _ => subject.name().to_owned(),
    };
    let subject = name.as_str();
    match expectation.expected() {
        Some(Spanned { value: Expected::Value(value), span }) => {
            if let Some(observed) = observed {
                compare(subject, observed, value, *span, out);
            }
        }
        Some(Spanned { value: Expected::Predicates(predicates), .. }) => {
            predicates_of(subject, observed, predicates, out);
        }
        None => predicates_of(subject, observed, expectation, out),
    }
}

fn predicates_of(subject: &str, observed: Option<Observed>, predicates: &Expectation, out: &mut Vec<Diagnostic>) {
    let orders = [("lt", &predicates.lt), ("le", &predicates.le), ("gt", &predicates.gt), ("ge", &predicates.ge)];
    for (name, value) in orders.into_iter().filter_map(|(name, value)| Some((name, value.as_ref()?))) {
        match (&*value.value, observed) {
            (Value::Number(_), Some(Observed::Text)) => {
                out.push(text_ordered(subject, name, &value.value, value.span));
            }
            (Value::String(text), None | Some(Observed::Text)) => {
                out.push(order_against_text(subject, observed, name, text, value.span));
            }
            (_, Some(observed)) => compare(subject, observed, value, value.span, out),
            (_, None) => {}
        }
    }
    let Some(observed) = observed else {
        // The items of a list: their type is not known, but an order
        // against text is wrong whatever they are.
        for nested in [&predicates.all, &predicates.any].into_iter().flatten() {
            predicates_of(subject, None, nested, out);
        }
        return;
    };
    for value in [&predicates.eq, &predicates.ne].into_iter().flatten() {
        compare(subject, observed, value, value.span, out);
    }
    for list in [&predicates.in_, &predicates.not_in].into_iter().flatten() {
        for value in &list.value {
            compare(subject, observed, value, list.span, out);
        }
    }
    if observed == Observed::Text
        && let Some(value) = &predicates.contains
    {
        compare(subject, observed, value, value.span, out);
    }
    if observed != Observed::Text {
        let contains = predicates.contains.as_ref().map(|value| ("contains", value.span));
        let text = [("starts_with", &predicates.starts_with), ("ends_with", &predicates.ends_with)]
            .into_iter()
            .filter_map(|(name, value)| value.as_ref().map(|value| (name, value.span)));
        let matches = predicates.matches.as_ref().map(|value| ("matches", value.span));
        for (name, span) in contains.into_iter().chain(text).chain(matches) {
            out.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    span,
                    format!("`{name}` reads text, and `{subject}` is {}", observed.name()),
                )
                .with_label("a text predicate over a value that is not text")
                .with_help(format!("compare `{subject}` with `eq`, `in` or an order (`ge`, `lt`)")),
            );
        }
    }
}

/// RB310 for each predicate that compares the list a JSONPath selecting
/// several nodes gives (`$.items[*].phase`) with one value: `ne: Running`
/// always holds and `eq: Running` never does (review-10-attack4 H6; a run
/// stops on it, `type_mismatch`). `contains` looks for an element, and a
/// list value is compared with the list: both are fine.
fn list_against_values(path: &str, predicates: &Expectation, out: &mut Vec<Diagnostic>) {
    let scalar = |value: &Value| !matches!(value, Value::Array(_) | Value::Object(_));
    let mut found: Vec<(&str, Span, String, &str)> = Vec::new();
    let single = [("eq", &predicates.eq, "any"), ("ne", &predicates.ne, "all")]
        .into_iter()
        .chain([("lt", &predicates.lt, "all"), ("le", &predicates.le, "all")])
        .chain([("gt", &predicates.gt, "all"), ("ge", &predicates.ge, "all")]);
    for (name, value, each) in single {
        if let Some(value) = value.as_ref().filter(|value| scalar(&value.value)) {
            found.push((name, value.span, value.value.to_string(), each));
        }
    }
    for (name, list, each) in [("in", &predicates.in_, "any"), ("not_in", &predicates.not_in, "all")] {
        if let Some(list) = list.as_ref().filter(|list| list.value.iter().all(scalar)) {
            found.push((name, list.span, Value::Array(list.value.clone()).to_string(), each));
        }
    }
    let text = [("starts_with", &predicates.starts_with), ("ends_with", &predicates.ends_with)];
    for (name, value) in text {
        if let Some(value) = value {
            found.push((name, value.span, Value::String(value.value.clone()).to_string(), "any"));
        }
    }
    if let Some(pattern) = &predicates.matches {
        found.push(("matches", pattern.span, format!("'{}'", pattern.value.as_str()), "any"));
    }
    for (name, span, value, each) in found {
        let other = if each == "any" { "all" } else { "any" };
        out.push(
            Diagnostic::new(
                Code::TypeMismatch,
                span,
                format!("`{path}` can select several nodes, so it gives a list, and `{name}` compares it with {value}"),
            )
            .with_label("a list compared with one value")
            .with_help(format!(
                "say which of its items: `{each}: {{ {name}: {value} }}` ({}), or `{other}: {{ {name}: … }}`; or \
                 select one node (an index such as `[0]` for the wildcard)",
                if each == "any" { "one of them" } else { "every one of them" }
            )),
        );
    }
}

/// `gt: "100"`: an order against text, which never holds.
fn order_against_text(subject: &str, observed: Option<Observed>, name: &str, text: &str, span: Span) -> Diagnostic {
    let number = text.trim().parse::<f64>().is_ok();
    let help = match observed {
        Some(Observed::Text) => text_help(subject),
        _ if number => format!("remove the quotes: `{name}: {}`", text.trim()),
        _ => format!("`{name}` needs a number; test text with `matches` or `eq`"),
    };
    Diagnostic::new(Code::TypeMismatch, span, format!("`{name}` orders numbers, and it is given the string \"{text}\""))
        .with_label("an order against text never holds")
        .with_help(help)
}

/// `header: …, gt: 10`: an order over a subject that is text.
fn text_ordered(subject: &str, name: &str, value: &Value, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::TypeMismatch,
        span,
        format!("`{subject}` is text, and `{name}` orders numbers: `{name}: {value}`"),
    )
    .with_label("an order over text never holds")
    .with_help(text_help(subject))
}

fn text_help(subject: &str) -> String {
    format!(
        "read the number from `{subject}` with a capture of `type: int` and compare it in a `when` \
         (`vars.n > 10`), or test the text with `matches`"
    )
}

fn compare(subject: &str, observed: Observed, value: &Value, span: Span, out: &mut Vec<Diagnostic>) {
    if observed.admits(value) {
        return;
    }
    let found = match value {
        Value::String(text) => format!("the string \"{text}\""),
        Value::Number(_) => format!("the number {value}"),
        Value::Bool(_) => format!("the boolean {value}"),
        Value::Null => "null".to_owned(),
        Value::Array(_) | Value::Object(_) => format!("`{value}`"),
    };
    let help = match (observed, value) {
        (Observed::Number, Value::String(text)) if text.trim().parse::<f64>().is_ok() => {
            format!("remove the quotes: `{}`", text.trim())
        }
        (Observed::Bool, Value::String(text)) if text == "true" || text == "false" => {
            format!("remove the quotes: `{text}`")
        }
        (Observed::Text, Value::Number(_) | Value::Bool(_)) => format!("quote it to compare text: `\"{value}\"`"),
        _ => format!("compare `{subject}` with {}", observed.name()),
    };
    out.push(
        Diagnostic::new(Code::TypeMismatch, span, format!("`{subject}` is {}, compared with {found}", observed.name()))
            .with_label("a value of another type")
            .with_help(help),
    );
}
