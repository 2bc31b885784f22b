//! `{{ }}` and `{% %}` in a value that is not a template: an expectation's
//! value (`stdout: { ne: "{{ inputs.bad }}" }`), a capture's `default`, a
//! `call`'s `runbook:`.
//! Only the fields dsl.md lists are rendered; these are used as written,
//! so the run compares the output with the braces themselves and `ne`
//! always holds, `contains` never does.

use serde_json::Value;

use crate::{Code, Diagnostic, Expectation, Expected, Span, Spanned};

/// Reports every value of `expectation` (its shorthand, its predicates,
/// those inside `all`/`any` and a predicate map) that holds a template.
pub(crate) fn expectation(expectation: &Expectation, out: &mut Vec<Diagnostic>) {
    match expectation.expected() {
        Some(Spanned { value: Expected::Value(value), span }) => {
            let subject = expectation.subjects().first().map_or("the subject", |(subject, _)| subject.name());
            value_of(&format!("the value of `{subject}`"), value, *span, out);
        }
        Some(Spanned { value: Expected::Predicates(predicates), .. }) => self::expectation(predicates, out),
        None => {}
    }
    let values = [
        ("eq", &expectation.eq),
        ("ne", &expectation.ne),
        ("lt", &expectation.lt),
        ("le", &expectation.le),
        ("gt", &expectation.gt),
        ("ge", &expectation.ge),
        ("contains", &expectation.contains),
    ];
    for (name, value) in values.into_iter().filter_map(|(name, value)| Some((name, value.as_ref()?))) {
        value_of(&format!("`{name}`"), &value.value, value.span, out);
    }
    for (name, list) in [("in", &expectation.in_), ("not_in", &expectation.not_in)] {
        if let Some(list) = list {
            for item in &list.value {
                value_of(&format!("`{name}`"), item, list.span, out);
            }
        }
    }
    for (name, text) in [("starts_with", &expectation.starts_with), ("ends_with", &expectation.ends_with)] {
        if let Some(text) = text.as_ref().filter(|text| holds_template(&text.value)) {
            out.push(expectation_value(&format!("`{name}`"), text.span));
        }
    }
    if let Some(pattern) = expectation.matches.as_ref().filter(|pattern| holds_template(pattern.as_str())) {
        out.push(expectation_value("`matches`", pattern.span));
    }
    for nested in [&expectation.all, &expectation.any].into_iter().flatten() {
        self::expectation(nested, out);
    }
}

/// Reports a capture's `default` that holds a template.
pub(crate) fn capture_default(name: &str, default: &Spanned<Value>, out: &mut Vec<Diagnostic>) {
    if !any_template(&default.value) {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::LiteralTemplate,
            default.span,
            format!("the default of `{name}` holds `{{{{ }}}}`, which is kept as written, braces and all"),
        )
        .with_label("not a template")
        .with_help(format!(
            "a capture's `default` is not a template; leave it out and read `vars.{name} | default(…)` where the \
             value is used, or route `vars.{name} is not defined` in a `when`"
        )),
    );
}

/// Reports a `call`'s `runbook:` that holds a template: the file to call
/// is fixed when the runbook is checked, so it is read as written.
pub(crate) fn call_target(runbook: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    if holds_template(&runbook.value) {
        out.push(
            Diagnostic::new(
                Code::LiteralTemplate,
                runbook.span,
                "`runbook:` holds `{{ }}`, which is read as written: it is a file name, not a template",
            )
            .with_label("not a template")
            .with_help(
                "name the called file (`runbook: checks/redis.yaml`); to choose between runbooks, branch with \
                 `when` to one `call` step each",
            ),
        );
    }
}

/// Whether `text` holds the start of a template block, which the run
/// would take for text.
pub(crate) fn holds_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

fn value_of(what: &str, value: &Value, span: Span, out: &mut Vec<Diagnostic>) {
    if any_template(value) {
        out.push(expectation_value(what, span));
    }
}

fn expectation_value(what: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::LiteralTemplate,
        span,
        format!("{what} holds `{{{{ }}}}`, which an expectation compares as written, braces and all"),
    )
    .with_label("not a template")
    .with_help("expectation values are not templates; capture the value and compare it in a `when`")
}

/// Whether some string inside `value` holds a template.
fn any_template(value: &Value) -> bool {
    match value {
        Value::String(text) => holds_template(text),
        Value::Array(items) => items.iter().any(any_template),
        Value::Object(fields) => fields.iter().any(|(key, item)| holds_template(key) || any_template(item)),
        _ => false,
    }
}
