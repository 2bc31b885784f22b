//! Expected values of the type their subject observes: `status: "200"`
//! compares a number with a string and can never hold, so it is a
//! `type-mismatch` at `check`, not a check that silently fails.

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
            Subject::Duration | Subject::Json => None,
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
/// what `subject` observes.
pub(crate) fn check(subject: Subject, expectation: &Expectation, out: &mut Vec<Diagnostic>) {
    let Some(observed) = Observed::of(subject, expectation) else { return };
    // The name as written, with the certificate fact: `tls: days_left`.
    let name = match &expectation.tls {
        Some(fact) if subject == Subject::Tls => format!("tls: {}", fact.value.name()),
        _ => subject.name().to_owned(),
    };
    let subject = name.as_str();
    match expectation.expected() {
        Some(Spanned { value: Expected::Value(value), span }) => compare(subject, observed, value, *span, out),
        Some(Spanned { value: Expected::Predicates(predicates), .. }) => {
            predicates_of(subject, observed, predicates, out);
        }
        None => predicates_of(subject, observed, expectation, out),
    }
}

fn predicates_of(subject: &str, observed: Observed, predicates: &Expectation, out: &mut Vec<Diagnostic>) {
    let single = [&predicates.eq, &predicates.ne, &predicates.lt, &predicates.le, &predicates.gt, &predicates.ge];
    for value in single.into_iter().flatten() {
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
