//! Mocked observations that no real run gives (RB507) or that real probes
//! rarely give in the form a step's expectations depend on (RB508): a case
//! that passes on them proves a branch the real run cannot take.

use indexmap::IndexMap;
use serde_json::Value;

use super::captured_names;
use super::compared_types::mocked_var_mismatch;
use crate::{
    Code, Conclusion, Diagnostic, Duration, Expectation, Expected, MockConclusion, MockErrorKind, MockSpec, ProbeKind,
    Runbook, Severity, Span, Spanned, did_you_mean,
};

/// What a mocked observation is judged against: the probing step's
/// expectations and, for `http`, the URL as written.
#[derive(Clone)]
pub(super) struct Judged<'a> {
    /// The step's id, for messages.
    pub step: &'a str,
    /// The kinds of probe the observation may stand for.
    pub kinds: &'a [ProbeKind],
    /// The expectations that judge it.
    pub expect: &'a [Spanned<Expectation>],
    /// Whether the step reads the output as JSON (a `json:` expectation or
    /// capture), so `invalid_json` can happen.
    pub reads_json: bool,
    /// The `http` probe's URL, its leading `{{ inputs.NAME }}` replaced by
    /// the case's value when that is known.
    pub url: Option<String>,
    /// Its proxy, as the case makes it (`None` without a `proxy:` key).
    pub proxy: Option<String>,
}

/// The findings about one observation (not a selector: `items`, `probes`).
pub(super) fn observation(judged: &Judged<'_>, spec: &MockSpec, out: &mut Vec<Diagnostic>) {
    if let Some(error) = &spec.error {
        error_kind(judged, error.value.kind, error.span, out);
    }
    if let Some(http) = &spec.http {
        if let (Some(_), Some(url)) = (&http.value.tls, &judged.url)
            && url.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
        {
            out.push(
                Diagnostic::new(
                    Code::TestImpossibleObservation,
                    http.span,
                    format!(
                        "step `{}` requests `{url}` over plain http, which has no certificate, but the observation \
                         mocks `tls:`",
                        judged.step
                    ),
                )
                .with_label("no certificate over http://")
                .with_help("drop `tls:` from the observation, or make the probe's URL https://"),
            );
        }
        if let (Some(timing), Some(url)) = (&http.value.timing, &judged.url) {
            impossible_phases(judged, url, timing, out);
        }
        if let Some(timing) = &http.value.timing {
            phases_past_duration(judged.step, &http.value, timing, out);
        }
        if let Some(json) = &http.value.json {
            compact_json(judged, "body", json, out);
        }
    }
    // A mocked stdout with or without its final newline reads as the real
    // output does: the engine reads a command's output without it.
    if let Some(json) = spec.cmd.as_ref().and_then(|cmd| cmd.value.json.as_ref()) {
        compact_json(judged, "stdout", json, out);
    }
}

/// Phases a real request to `url` through `proxy` never has (see
/// [`crate::TimingPhase::never_for`]). A case mocking them proves a branch
/// on `timing: tls` or `timing: dns` that the real run never takes.
fn impossible_phases(judged: &Judged<'_>, url: &str, timing: &crate::TimingMock, out: &mut Vec<Diagnostic>) {
    let proxy = judged.proxy.as_deref();
    for (phase, mocked) in [(crate::TimingPhase::Tls, &timing.tls), (crate::TimingPhase::Dns, &timing.dns)] {
        let (Some(mocked), Some(why)) = (mocked, phase.never_for(url, proxy)) else { continue };
        let name = phase.name();
        let through =
            proxy.filter(|proxy| *proxy != "none").map(|proxy| format!(" through `{proxy}`")).unwrap_or_default();
        out.push(
            Diagnostic::new(
                Code::TestImpossibleObservation,
                mocked.span,
                format!(
                    "step `{}` requests `{url}`{through}, which has no `{name}` phase ({why}), but the observation \
                     mocks `timing.{name}`",
                    judged.step
                ),
            )
            .with_label(format!("no `{name}` phase for this request"))
            .with_help(format!("drop `timing.{name}` from the observation")),
        );
    }
}

/// Phases no real request has: ones adding up to more than the exchange's
/// `duration` (they are parts of it), or a `timing.connect` other than the
/// `connect` beside it (one connection, one time).
fn phases_past_duration(step: &str, http: &crate::HttpMock, timing: &crate::TimingMock, out: &mut Vec<Diagnostic>) {
    if let (Some(connect), Some(phase)) = (&http.connect, &timing.connect)
        && connect.value != phase.value
    {
        out.push(
            Diagnostic::new(
                Code::TestImpossibleObservation,
                phase.span,
                format!(
                    "the observation of step `{step}` connects in {} and in {}: a request opens one connection",
                    connect.value, phase.value
                ),
            )
            .with_label("another connect time")
            .with_help("keep one of `connect` and `timing.connect`"),
        );
    }
    let Some(duration) = &http.duration else { return };
    let phases = [&timing.dns, &timing.connect, &timing.tls, &timing.first_byte];
    let sum: std::time::Duration = phases.iter().filter_map(|phase| phase.as_ref()).map(|phase| phase.value.0).sum();
    if sum > duration.value.0 {
        out.push(
            Diagnostic::new(
                Code::TestImpossibleObservation,
                duration.span,
                format!(
                    "the phases the observation of step `{step}` mocks add up to {}, more than its duration {}",
                    Duration(sum).spoken(),
                    duration.value.spoken()
                ),
            )
            .with_label("shorter than its phases")
            .with_help(format!(
                "the phases are parts of the duration: make `duration` at least `{}ms`, or the phases shorter",
                sum.as_millis()
            )),
        );
    }
}

/// A mocked `call` ending must be one the called runbook gives: a status
/// one of its `conclude` steps has, and vars it captures, of the types its
/// captures give.
pub(super) fn call(step: &str, file: &str, callee: &Runbook, spec: &MockSpec, out: &mut Vec<Diagnostic>) {
    if let Some(conclusion) = &spec.conclusion {
        let mut statuses: Vec<&str> =
            callee.steps.iter().filter_map(|step| step.conclude.as_ref()).map(|c| c.status.value.name()).collect();
        statuses.sort_unstable();
        statuses.dedup();
        let status = conclusion.status.value.name();
        if statuses.contains(&status) {
            called_conclusion_facts(file, callee, conclusion, out);
        } else {
            out.push(
                Diagnostic::new(
                    Code::TestImpossibleObservation,
                    conclusion.status.span,
                    format!("`{file}` never concludes `{status}`, so step `{step}` never ends so"),
                )
                .with_label("no conclusion of the called runbook")
                .with_help(if statuses.is_empty() {
                    format!("`{file}` has no `conclude` step")
                } else {
                    format!("its `conclude` steps end {}", backticked(&statuses))
                }),
            );
        }
    }
    let mut names: Vec<&str> = callee.steps.iter().flat_map(captured_names).collect();
    names.sort_unstable();
    names.dedup();
    for (name, value) in &spec.vars {
        if !names.contains(&name.as_str()) {
            let help = match did_you_mean(name, names.iter().copied()) {
                Some(close) => format!("did you mean `{close}`? `{file}` captures {}", backticked(&names)),
                None if names.is_empty() => format!("`{file}` captures no vars"),
                None => format!("`{file}` captures {}", backticked(&names)),
            };
            out.push(
                Diagnostic::new(
                    Code::TestImpossibleObservation,
                    name.span,
                    format!("`{file}` never sets `vars.{}`", name.value),
                )
                .with_label("no step of the called runbook captures it")
                .with_help(help),
            );
        } else if let Some(problem) = mocked_var_mismatch(callee, name, &value.value) {
            out.push(
                Diagnostic::new(
                    Code::TestImpossibleObservation,
                    value.span,
                    format!("`{file}` never gives `vars.{}` this type: {problem}", name.value),
                )
                .with_label("a type the called runbook never gives")
                .with_help(
                    "mock the value as the called runbook captures it: a `regex` capture gives text (`\"5\"`), \
                     a capture inside `foreach` a list, one value per item (`[5, 1]`)",
                ),
            );
        }
    }
}

/// A mocked call conclusion of a status the callee has must also have a
/// severity one of the callee's `conclude` steps of that status gives
/// (none included), and a `diagnosis`/`remediation` only where one of
/// them writes it: `severity: critical` from a callee that concludes
/// `diagnosed` only as `low` proves a "page" branch no real run takes.
fn called_conclusion_facts(
    file: &str,
    callee: &Runbook,
    conclusion: &Spanned<MockConclusion>,
    out: &mut Vec<Diagnostic>,
) {
    let status = conclusion.status.value;
    let concluding: Vec<&Conclusion> = callee
        .steps
        .iter()
        .filter_map(|step| step.conclude.as_deref())
        .map(|c| &c.value)
        .filter(|c| c.status.value == status)
        .collect();
    let mut severities: Vec<Option<Severity>> =
        concluding.iter().map(|c| c.severity.as_ref().map(|severity| severity.value)).collect();
    severities.sort_by_key(|severity| severity.map(|s| Severity::ALL.iter().position(|one| *one == s)));
    severities.dedup();
    let shown = |severity: Option<Severity>| severity.map_or("no severity".to_owned(), |s| format!("`{}`", s.name()));
    // A mock without `severity:` gives none, which a severity comparison
    // refuses at run time: loud, so only a written one is checked.
    if let Some(mocked) = &conclusion.severity
        && !severities.contains(&Some(mocked.value))
    {
        let given: Vec<String> = severities.iter().map(|severity| shown(*severity)).collect();
        out.push(
            Diagnostic::new(
                Code::TestImpossibleObservation,
                mocked.span,
                format!("`{file}` never concludes `{}` with {}", status.name(), shown(Some(mocked.value))),
            )
            .with_label("a severity the called runbook never gives")
            .with_help(format!("its `{}` conclusions give {}", status.name(), given.join(", "))),
        );
    }
    for (field, mocked, written) in [
        ("diagnosis", conclusion.diagnosis.is_some(), concluding.iter().any(|c| c.diagnosis.is_some())),
        ("remediation", conclusion.remediation.is_some(), concluding.iter().any(|c| c.remediation.is_some())),
    ] {
        if mocked && !written {
            out.push(
                Diagnostic::new(
                    Code::TestImpossibleObservation,
                    conclusion.span,
                    format!("`{file}` never gives a `{field}` when it concludes `{}`", status.name()),
                )
                .with_label(format!("a `{field}` the called runbook never writes"))
                .with_help(format!("remove `{field}:`, or write one in the called runbook's conclusion")),
            );
        }
    }
}

fn error_kind(judged: &Judged<'_>, kind: MockErrorKind, span: Span, out: &mut Vec<Diagnostic>) {
    let possible = judged.kinds.is_empty()
        || judged.kinds.iter().any(|probe| probe.reported_errors().contains(&kind)) && read_by_step(judged, kind);
    if possible {
        return;
    }
    let name = kind.name();
    let probes: Vec<&str> = judged.kinds.iter().map(|kind| kind.name()).collect();
    let reported = judged.kinds.iter().any(|p| p.reported_errors().contains(&kind));
    let message = if reported {
        format!(
            "step `{}` reads no JSON (no `json:` expectation or capture), so it never errs `invalid_json`",
            judged.step
        )
    } else {
        let article = if matches!(probes.as_slice(), ["http" | "env"]) { "an" } else { "a" };
        format!("{article} `{}` probe never errs `{name}`, and step `{}` runs one", probes.join("`/`"), judged.step)
    };
    let mut kinds: Vec<&str> = judged
        .kinds
        .iter()
        .flat_map(|probe| probe.reported_errors())
        .filter(|kind| read_by_step(judged, **kind))
        .map(|kind| kind.name())
        .collect();
    kinds.dedup();
    let help = match did_you_mean(name, kinds.iter().copied()) {
        Some(close) => format!("did you mean `{close}`? it errs {}", backticked(&kinds)),
        None => format!("mock an error it can give: {}", backticked(&kinds)),
    };
    out.push(
        Diagnostic::new(Code::TestImpossibleObservation, span, message)
            .with_label("no real run gives this")
            .with_help(help),
    );
}

/// Whether the step reads what an error of this kind needs: `invalid_json`
/// needs JSON read.
fn read_by_step(judged: &Judged<'_>, kind: MockErrorKind) -> bool {
    kind != MockErrorKind::InvalidJson || judged.reads_json
}

/// The `items:` keys of a `foreach` mock that are not items of the list.
pub(super) fn foreach_items(
    step: &str,
    items: &[Value],
    mocked: &IndexMap<Spanned<String>, Spanned<crate::StepMock>>,
    out: &mut Vec<Diagnostic>,
) {
    let keys: Vec<String> = items.iter().map(item_key).collect();
    for name in mocked.keys() {
        if keys.iter().any(|key| key == name.as_str()) {
            continue;
        }
        let help = match did_you_mean(name, keys.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`? the items are: {}", backticked(&keys)),
            None => format!("the items are: {}", backticked(&keys)),
        };
        out.push(
            Diagnostic::new(
                Code::TestImpossibleObservation,
                name.span,
                format!("step `{step}`'s `foreach` has no item `{}`", name.value),
            )
            .with_label("not an item of the list")
            .with_help(help),
        );
    }
}

/// How a `foreach` item is named under `items:`: strings as written,
/// other values as JSON (as `runbook test` looks them up).
fn item_key(item: &Value) -> String {
    match item {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Text predicates on `subject` whose value holds JSON punctuation, over a
/// `json:` mock, which is written compactly (`{"ok":true}`): a real server
/// may put spaces there.
fn compact_json(judged: &Judged<'_>, subject: &str, json: &Spanned<Value>, out: &mut Vec<Diagnostic>) {
    if !json.value.is_object() && !json.value.is_array() {
        return;
    }
    for (predicate, text) in exact_text(judged.expect, subject) {
        if !["\":", "\",", ",\"", "{\"", "[\""].iter().any(|punctuation| text.contains(punctuation)) {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::TestUnlikelyObservation,
                json.span,
                format!(
                    "`{subject}: {{ {predicate}: {} }}` of step `{}` reads the JSON's spacing, which this mock \
                     writes compactly and a real server need not",
                    quoted(&text),
                    judged.step
                ),
            )
            .with_label("written as compact JSON")
            .with_help(format!(
                "judge the JSON, not its text: `{{ json: $.FIELD, eq: VALUE }}`; or mock the exact text with \
                 `{}: '…'`",
                if subject == "body" { "body" } else { "stdout" }
            )),
        );
    }
}

/// The text values of the predicates on `subject` (`stdout`, `body`, …):
/// `(predicate, text)`, a shorthand value counting as `eq`.
fn exact_text(expect: &[Spanned<Expectation>], subject: &str) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    for expectation in expect {
        let expected = match subject {
            "stdout" => &expectation.stdout,
            "stderr" => &expectation.stderr,
            "body" => &expectation.body,
            _ => continue,
        };
        match expected.as_ref().map(|expected| &expected.value) {
            Some(Expected::Value(value)) => found.extend(value.as_str().map(|text| ("eq", text.to_owned()))),
            Some(Expected::Predicates(predicates)) => texts_of(predicates, &mut found),
            _ => {}
        }
    }
    found
}

fn texts_of(predicates: &Expectation, found: &mut Vec<(&'static str, String)>) {
    let string = |value: &Spanned<Box<Value>>| value.value.as_str().map(str::to_owned);
    for (name, value) in [("eq", &predicates.eq), ("ne", &predicates.ne), ("contains", &predicates.contains)] {
        if let Some(text) = value.as_ref().and_then(string) {
            found.push((name, text));
        }
    }
    for (name, list) in [("in", &predicates.in_), ("not_in", &predicates.not_in)] {
        for text in list.iter().flat_map(|list| list.value.iter()).filter_map(Value::as_str) {
            found.push((name, text.to_owned()));
        }
    }
    for (name, text) in [("starts_with", &predicates.starts_with), ("ends_with", &predicates.ends_with)] {
        if let Some(text) = text {
            found.push((name, text.value.clone()));
        }
    }
}

/// `text` as YAML would write it: single quotes around one with `"`.
fn quoted(text: &str) -> String {
    if text.contains('"') && !text.contains(['\'', '\n']) {
        format!("'{text}'")
    } else {
        format!("\"{}\"", text.escape_default())
    }
}

fn backticked(names: &[impl AsRef<str>]) -> String {
    names.iter().map(|name| format!("`{}`", name.as_ref())).collect::<Vec<_>>().join(", ")
}
