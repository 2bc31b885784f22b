//! Shape rules: what serde cannot say about a well-typed runbook (exactly
//! one kind per step, subjects that fit the probe, values in range).

use crate::analyse::is_valid_id;
use crate::analyse::literal_templates::holds_template;
use crate::analyse::references::article;
use crate::{
    Capture, Check, Code, Diagnostic, Duration, Expectation, Expected, JsonQuery, ProbeKind, Runbook, Span, Spanned,
    Step, StepKind, Subject,
};

/// Upper bound on `max_visits` and retry attempts: beyond it a loop is a
/// mistake, not a plan.
pub(crate) const MAX_REPEATS: u32 = 1_000;

pub(crate) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    if !is_valid_id(&runbook.id) {
        out.push(invalid_id("runbook", &runbook.id));
    }
    if runbook.steps.is_empty() {
        out.push(
            Diagnostic::new(Code::NoSteps, runbook.steps.span, "the runbook has no steps")
                .with_help("add at least one step, e.g. `- id: done` with `conclude: { status: inconclusive }`"),
        );
    }
    if let Some(max_visits) = &runbook.max_visits {
        visit_bound(max_visits, "max_visits", out);
    }
    zero_limit(runbook.timeout.as_ref(), "timeout", out);
    for (name, input) in &runbook.inputs {
        if !is_identifier(name) {
            out.push(
                Diagnostic::new(
                    Code::InvalidId,
                    name.span,
                    format!("input name `{}` cannot be used in templates", name.value),
                )
                .with_label("not an identifier")
                .with_help("use letters, digits and `_`, starting with a letter, so that `inputs.NAME` works"),
            );
        }
        if let Some(pattern) = &input.pattern {
            regex(pattern, pattern.span, out);
        }
        if let Some(default) = &input.default {
            let kind = input.input_type();
            let fits = match kind {
                crate::InputType::String => default.is_string(),
                crate::InputType::Number => default.is_number(),
                crate::InputType::Bool => default.is_boolean(),
                crate::InputType::List => default.is_array(),
            };
            if !fits {
                out.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        default.span,
                        format!("default does not match the input's type `{}`", kind.name()),
                    )
                    .with_label(format!("not a {}", kind.name()))
                    .with_help("change the default or the input's `type`; quote numbers meant as strings"),
                );
            }
        }
    }
    for step in runbook.steps.iter() {
        step_shape(step, out);
    }
}

fn step_shape(step: &Step, out: &mut Vec<Diagnostic>) {
    if !is_valid_id(&step.id) {
        out.push(invalid_id("step", &step.id));
    }
    if let Some(call) = &step.call {
        super::literal_templates::call_target(&call.runbook, out);
    }
    match step.kinds().as_slice() {
        [] => out.push(
            Diagnostic::new(Code::StepKind, step.id.span, format!("step `{}` does nothing", step.id.value))
                .with_label("no kind")
                .with_help(format!("give the step one of {}", StepKind::listed(|_| true, "or"))),
        ),
        [_] => {}
        [(first, _), (second, span), ..] => out.push(
            Diagnostic::new(
                Code::StepKind,
                *span,
                format!("step `{}` has two kinds, `{}` and `{}`", step.id.value, first.name(), second.name()),
            )
            .with_label("second kind")
            .with_help("split it into two steps and link them with `next`"),
        ),
    }
    for declared in step.declared() {
        declared.shape(out);
    }
    if let Some(max_visits) = &step.max_visits {
        visit_bound(max_visits, "max_visits", out);
    }
    zero_limit(step.timeout.as_ref(), "timeout", out);
    if let Some(retry) = &step.retry {
        visit_bound(&retry.attempts, "attempts", out);
        zero_limit(retry.deadline.as_ref(), "deadline", out);
        if let Some(backoff) = &retry.backoff
            && !(1.0..=10.0).contains(&backoff.value)
        {
            out.push(
                Diagnostic::new(Code::InvalidValue, backoff.span, format!("backoff {} is out of range", backoff.value))
                    .with_label("must be from 1 to 10")
                    .with_help(
                        "`backoff` multiplies the interval after each attempt: 1 keeps it constant, 2 doubles it",
                    ),
            );
        }
        if !step.kind().is_none_or(StepKind::retried) {
            out.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    retry.span,
                    format!("only {} steps can be retried", StepKind::listed(StepKind::retried, "and")),
                )
                .with_help("to repeat an action, go back to it from a later check, bounded by `max_visits`"),
            );
        }
    }
}

/// The rules of a check's probes (of a `check` or `collect` step, or of a
/// `probes:` member).
pub(crate) fn check_shape(check: &Spanned<Check>, member: bool, out: &mut Vec<Diagnostic>) {
    let probes = check.probe_kinds();
    if let Some(group) = &check.probes {
        if member {
            out.push(
                Diagnostic::new(Code::ProbeShape, group.span, "a probe of a `probes:` group cannot hold another group")
                    .with_help("list every probe in the outer `probes:`"),
            );
        }
        if let Some((kind, span)) = probes.first() {
            out.push(
                Diagnostic::new(Code::ProbeShape, *span, format!("`{}` beside `probes:`", kind.name()))
                    .with_label("move this into the group")
                    .with_help("a check runs one probe or a `probes:` group, not both"),
            );
        }
        if group.is_empty() {
            out.push(
                Diagnostic::new(Code::ProbeShape, group.span, "the `probes:` group is empty")
                    .with_help("add named probes, e.g. `db: { tcp: { host: …, port: 5432 } }`"),
            );
        }
        if let Some(expectation) = check.expect.first() {
            out.push(
                Diagnostic::new(Code::ProbeShape, expectation.span, "`expect` beside `probes:` has no probe to judge")
                    .with_help("put `expect` inside each named probe of the group"),
            );
        }
        if let Some((name, _)) = check.capture.first() {
            out.push(
                Diagnostic::new(Code::ProbeShape, name.span, "`capture` beside `probes:` has no probe to read")
                    .with_help("put `capture` inside the named probe it reads from"),
            );
        }
        if let Some(foreach) = &check.foreach {
            out.push(
                Diagnostic::new(Code::ProbeShape, foreach.span, "`foreach` cannot run a `probes:` group")
                    .with_help("use `foreach` with a single probe"),
            );
        }
        for (name, probe) in &group.value {
            if !is_identifier(name) {
                out.push(
                    Diagnostic::new(
                        Code::InvalidId,
                        name.span,
                        format!("probe name `{}` cannot be used in expressions", name.value),
                    )
                    .with_help("use letters, digits and `_`, starting with a letter"),
                );
            }
            check_shape(probe, true, out);
        }
        shared_captures(group, out);
        return;
    }
    let kind = match probes.as_slice() {
        [] => {
            out.push(
                Diagnostic::new(Code::ProbeShape, check.span, "the check runs no probe")
                    .with_help(format!("add one of {}, or a `probes:` group", ProbeKind::listed())),
            );
            None
        }
        [(kind, _)] => Some(*kind),
        [(first, _), (second, span), ..] => {
            out.push(
                Diagnostic::new(
                    Code::ProbeShape,
                    *span,
                    format!("the check has two probes, `{}` and `{}`", first.name(), second.name()),
                )
                .with_label("second probe")
                .with_help("name them in a `probes:` group to run both, or split the step"),
            );
            None
        }
    };
    if member && check.foreach.is_some() {
        out.push(
            Diagnostic::new(Code::ProbeShape, check.span, "a probe of a `probes:` group cannot use `foreach`")
                .with_help("make it its own step"),
        );
    }
    if let Some(foreach) = &check.foreach
        && !(foreach.is_array() || foreach.is_string())
    {
        out.push(
            Diagnostic::new(
                Code::InvalidValue,
                foreach.span,
                "`foreach` takes a list or a template that renders to one",
            )
            .with_help("e.g. `foreach: [a, b]` or `foreach: \"{{ inputs.services }}\"`"),
        );
    }
    // A string without a template renders to itself: never a list
    // (review-10-attack5 L10).
    if let Some(text) = check.foreach.as_ref().and_then(|foreach| foreach.as_str())
        && !super::holds_template(text)
    {
        let span = check.foreach.as_ref().map_or(check.span, |foreach| foreach.span);
        out.push(
            Diagnostic::new(
                Code::InvalidValue,
                span,
                format!("`foreach` is the string \"{text}\", which holds no template: it can never give a list"),
            )
            .with_label("a string, not a list")
            .with_help("write the list without quotes (`foreach: [a, b]`), or a template that renders to one"),
        );
    }
    if let Some(name) = &check.item_name
        && !is_identifier(name)
    {
        out.push(
            Diagnostic::new(Code::InvalidId, name.span, format!("`{}` cannot be a loop variable", name.value))
                .with_help("use letters, digits and `_`"),
        );
    }
    if let Some(concurrency) = &check.concurrency
        && concurrency.value == 0
    {
        out.push(
            Diagnostic::new(Code::InvalidValue, concurrency.span, "concurrency 0 would run nothing")
                .with_help("use 1 to run one at a time"),
        );
    }
    for probe in check.declared_probes() {
        probe.shape(&check.expect, out);
    }
    expectations(&check.expect, kind, out);
    captures(&check.capture, kind, out);
}

/// Two probes of one group capturing the same name: they run at once, and
/// whichever finishes last would silently set `vars.NAME`.
fn shared_captures(group: &indexmap::IndexMap<Spanned<String>, Spanned<Check>>, out: &mut Vec<Diagnostic>) {
    let mut first: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for (probe, check) in group {
        for name in check.capture.keys() {
            match first.get(name.as_str()) {
                Some(earlier) if *earlier != probe.as_str() => out.push(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        name.span,
                        format!("probes `{earlier}` and `{}` both capture `{}`", probe.value, name.value),
                    )
                    .with_label("captured by an earlier probe of the group too")
                    .with_help(format!(
                        "the group's probes run at once, so one value would be lost: name them apart \
                         (`{}_{earlier}`, `{}_{}`)",
                        name.value, name.value, probe.value
                    )),
                ),
                Some(_) => {}
                None => {
                    first.insert(name.as_str(), probe.as_str());
                }
            }
        }
    }
}

/// The fix for a path RFC 9535 refuses: a member name with a `-` after a
/// dot (`$.x-role`) must be bracketed (review-10-attack5 L2), a path
/// starts with `$` (not jq's `.status`).
fn jsonpath_help(path: &str) -> String {
    let dashed = path
        .split(['.', '[', ']'])
        .find(|part| part.contains('-') && !part.starts_with(['\'', '"', '?', '-']) && !part.contains(['(', ' ', ':']));
    match dashed {
        Some(name) if path.starts_with('$') => format!(
            "a name with `-` (or another character that is not a letter, digit or `_`) goes in brackets: `['{name}']`, \
             as in `{}`",
            path.replacen(&format!(".{name}"), &format!("['{name}']"), 1)
        ),
        _ if !path.starts_with('$') => format!(
            "paths start with `$`: `${}`",
            if path.starts_with('.') { path.to_owned() } else { format!(".{path}") }
        ),
        _ => "paths start with `$`, e.g. `$.status`, `$.checks[0].ok`, `$['key with space']`".to_owned(),
    }
}

/// A zero `timeout`, `connect_timeout` or `deadline`: the limit is over
/// before the work starts, so the step always errs `timeout`.
pub(crate) fn zero_limit(limit: Option<&Spanned<crate::Duration>>, key: &str, out: &mut Vec<Diagnostic>) {
    let Some(limit) = limit.filter(|limit| limit.value.0.is_zero()) else { return };
    out.push(
        Diagnostic::new(Code::InvalidValue, limit.span, format!("`{key}: 0s` ends the work before it starts"))
            .with_label("a zero limit")
            .with_help(format!(
                "give `{key}` the time the work may take (`{key}: 5s`), or leave it out for the default"
            )),
    );
}

/// The rules of expectations on a probe of `kind`.
pub(crate) fn expectations(list: &[Spanned<Expectation>], kind: Option<ProbeKind>, out: &mut Vec<Diagnostic>) {
    super::negated_missing::check(list, out);
    for expectation in list {
        let subjects = expectation.subjects();
        let subject = match subjects.as_slice() {
            [] => {
                out.push(
                    Diagnostic::new(Code::ExpectationShape, expectation.span, "the expectation has no subject")
                        .with_help("name what to judge: `status`, `body`, `json`, `header`, `tls`, `timing`, `duration`, `exit_code`, `stdout`, `stderr` or `connected`"),
                );
                continue;
            }
            [(subject, span)] => (*subject, *span),
            [(first, _), (second, span), ..] => {
                out.push(
                    Diagnostic::new(
                        Code::ExpectationShape,
                        *span,
                        format!("the expectation has two subjects, `{}` and `{}`", first.name(), second.name()),
                    )
                    .with_label("second subject")
                    .with_help("write one list entry per subject"),
                );
                continue;
            }
        };
        if let Some((kind, allowed)) = kind.and_then(|kind| Some((kind, kind.subjects()?)))
            && !allowed.contains(&subject.0)
        {
            let names: Vec<String> = allowed.iter().map(|s| format!("`{}`", s.name())).collect();
            out.push(
                Diagnostic::new(
                    Code::ExpectationShape,
                    subject.1,
                    format!("{} probe does not observe `{}`", article(kind.name()), subject.0.name()),
                )
                .with_label("not observed by this probe")
                .with_help(format!("`{}` probes observe {}", kind.name(), names.join(", "))),
            );
        }
        super::subject_types::check(subject.0, expectation, out);
        super::literal_templates::expectation(expectation, out);
        let is_duration = matches!(subject.0, Subject::Duration | Subject::Timing);
        if let Some(expected) = expectation.expected() {
            if let Some((name, span)) = expectation.predicates().first() {
                out.push(
                    Diagnostic::new(Code::ExpectationShape, *span, format!("`{name}` beside `{}`", subject.0.name()))
                        .with_help(format!(
                            "put predicates inside the subject: `{}: {{ {name}: … }}`",
                            subject.0.name()
                        )),
                );
            }
            match &expected.value {
                Expected::Predicates(predicates) => predicate_map(predicates, expected.span, is_duration, out),
                Expected::Value(value) if is_duration => duration_value(value, expected.span, out),
                Expected::Value(_) => {}
            }
        } else {
            predicate_values(expectation, is_duration, out);
        }
        if let Some(path) = &expectation.json {
            jsonpath(path, out);
        }
    }
}

fn predicate_map(predicates: &Expectation, span: Span, is_duration: bool, out: &mut Vec<Diagnostic>) {
    if let Some((subject, span)) = predicates.subjects().first() {
        out.push(
            Diagnostic::new(
                Code::ExpectationShape,
                *span,
                format!("subject `{}` inside a predicate map", subject.name()),
            )
            .with_help("start a new list entry for another subject"),
        );
    }
    if predicates.predicates().is_empty() {
        out.push(
            Diagnostic::new(Code::ExpectationShape, span, "the predicate map is empty")
                .with_help("add a predicate such as `eq`, `in`, `lt` or `contains`"),
        );
    }
    if let Some(severity) = &predicates.severity {
        out.push(
            Diagnostic::new(Code::ExpectationShape, severity.span, "`severity` inside a predicate map")
                .with_help("put `severity` beside the subject, in the list entry"),
        );
    }
    predicate_values(predicates, is_duration, out);
}

fn predicate_values(expectation: &Expectation, is_duration: bool, out: &mut Vec<Diagnostic>) {
    // A `{{ }}` in a pattern is RB321's finding, not a bad quantifier.
    if let Some(pattern) = expectation.matches.as_ref().filter(|pattern| !holds_template(pattern.as_str())) {
        regex(pattern, pattern.span, out);
    }
    if is_duration {
        for value in
            [&expectation.eq, &expectation.ne, &expectation.lt, &expectation.le, &expectation.gt, &expectation.ge]
                .into_iter()
                .flatten()
        {
            duration_value(value, value.span, out);
        }
    }
    for nested in [&expectation.all, &expectation.any].into_iter().flatten() {
        predicate_map(nested, nested.span, false, out);
    }
}

fn duration_value(value: &serde_json::Value, span: Span, out: &mut Vec<Diagnostic>) {
    let problem = match value {
        serde_json::Value::String(text) => Duration::parse(text).err(),
        _ => Some(format!("`{value}` is not a duration: write it with a unit, such as `500ms` or `2s`")),
    };
    if let Some(problem) = problem {
        out.push(Diagnostic::new(Code::InvalidValue, span, problem).with_label("compared with `duration`"));
    }
}

/// The rules of captures from a probe of `kind`.
pub(crate) fn captures(
    map: &indexmap::IndexMap<Spanned<String>, Spanned<Capture>>,
    kind: Option<ProbeKind>,
    out: &mut Vec<Diagnostic>,
) {
    for (name, capture) in map {
        if !is_identifier(name) {
            out.push(
                Diagnostic::new(Code::InvalidId, name.span, format!("`{}` cannot be a variable name", name.value))
                    .with_label("not an identifier")
                    .with_help("use letters, digits and `_`, starting with a letter, so that `vars.NAME` works"),
            );
        }
        let sources = capture.sources();
        match sources.as_slice() {
            [] => out.push(
                Diagnostic::new(Code::CaptureShape, capture.span, format!("capture `{}` has no source", name.value))
                    .with_help("add one of `json`, `regex`, `header`, `tls`, `stdout`, `stderr`, `body`, `status`"),
            ),
            [(source, span)] => {
                if let Some(kind) = kind {
                    let allowed = kind.capture_sources();
                    if !allowed.contains(source) {
                        let help = if allowed.is_empty() {
                            format!("`{}` probes have nothing to capture; read `steps.ID.outcome` instead", kind.name())
                        } else {
                            format!(
                                "`{}` probes offer {}",
                                kind.name(),
                                allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                            )
                        };
                        out.push(
                            Diagnostic::new(
                                Code::CaptureShape,
                                *span,
                                format!("{} probe has no `{source}` to capture", article(kind.name())),
                            )
                            .with_help(help),
                        );
                    }
                }
            }
            [(first, _), (second, span), ..] => out.push(
                Diagnostic::new(
                    Code::CaptureShape,
                    *span,
                    format!("capture `{}` has two sources, `{first}` and `{second}`", name.value),
                )
                .with_help("capture each into its own variable"),
            ),
        }
        if let (Some(kind), Some(default)) = (&capture.kind, &capture.default)
            && let Err(problem) = kind.value.convert(&default.value)
        {
            out.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    default.span,
                    format!("the default of `{}`: {problem}", name.value),
                )
                .with_label(format!("captured as `{}`", kind.value.name()))
                .with_help(format!("write a default that converts to `{}`, or change `type`", kind.value.name())),
            );
        }
        if let Some(default) = &capture.default {
            super::literal_templates::capture_default(&name.value, default, out);
        }
        if let Some(path) = &capture.json {
            jsonpath(path, out);
        }
        if let Some(pattern) = &capture.regex {
            regex(pattern, pattern.span, out);
        }
    }
}

fn visit_bound(value: &Spanned<u32>, key: &str, out: &mut Vec<Diagnostic>) {
    if value.value == 0 || value.value > MAX_REPEATS {
        out.push(
            Diagnostic::new(Code::VisitLimit, value.span, format!("`{key}: {}` is out of range", value.value))
                .with_label(format!("must be from 1 to {MAX_REPEATS}"))
                .with_help(if value.value == 0 {
                    "0 would stop the run the first time this is reached; the default is 3".to_owned()
                } else {
                    "a bound this large never stops a loop in practice; a few visits are enough to re-check after a fix"
                        .to_owned()
                }),
        );
    }
}

/// Validates a regular expression's syntax without compiling it: parsing
/// is cheap, compiling fifty patterns would dominate `check`'s run time.
pub(crate) fn regex(pattern: &str, span: Span, out: &mut Vec<Diagnostic>) {
    let problem = match regex_syntax::Parser::new().parse(pattern) {
        Ok(_) => return,
        Err(regex_syntax::Error::Parse(error)) => error.kind().to_string(),
        Err(regex_syntax::Error::Translate(error)) => error.kind().to_string(),
        Err(error) => error.to_string(),
    };
    out.push(
        Diagnostic::new(Code::InvalidRegex, span, format!("invalid regular expression: {problem}"))
            .with_label("does not compile")
            .with_help(
                "the syntax is Rust's `regex` crate (no look-around, no back-references); escape `\\` as `\\\\` inside double quotes",
            ),
    );
}

fn jsonpath(path: &Spanned<JsonQuery>, out: &mut Vec<Diagnostic>) {
    if let Some(error) = path.error() {
        out.push(
            Diagnostic::new(Code::InvalidJsonPath, path.span, format!("invalid JSONPath: {error}"))
                .with_label("not RFC 9535")
                .with_help(jsonpath_help(path.as_str())),
        );
    }

    if let Some(quoted) = path.quoted_number_ordered() {
        let number = quoted[1..quoted.len() - 1].trim();
        out.push(
            Diagnostic::new(
                Code::TypeMismatch,
                path.span,
                format!("a JSONPath filter orders against the text {quoted}"),
            )
            .with_label("ordered as text: \"1200\" comes before \"500\"; a number is never ordered against text")
            .with_help(format!(
                "write the number without quotes (`{number}`) if the document writes numbers; if it writes them \
                     as text, capture the values (a path without the filter, `[*]`) and order them in a `when` after \
                     `| map('int')`"
            )),
        );
    }
}

fn invalid_id(what: &str, id: &Spanned<String>) -> Diagnostic {
    let suggestion: String =
        id.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect();
    Diagnostic::new(Code::InvalidId, id.span, format!("invalid {what} id `{}`", id.value))
        .with_label("lowercase letters, digits, `-` and `_`")
        .with_help(format!(
            "ids start with a letter and use lowercase letters, digits, `-` and `_`, e.g. `{}`",
            suggestion.trim_end_matches('-')
        ))
}

/// Whether a name works after a dot in a template (`vars.NAME`).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
