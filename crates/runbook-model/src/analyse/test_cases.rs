//! Checks a test file against the runbook it tests: every step, input,
//! answer and mocked observation a case names must exist and fit
//! (RB501–RB505), so a typo fails `runbook check`, not a CI run.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;
use serde_json::Value;

use super::unreal_mocks::{self, Judged};
use crate::{
    AskType, Case, Check, Code, Diagnostic, Expectation, MockSpec, ProbeKind, Runbook, Span, Spanned, Step, StepKind,
    StepMock, TestFile, did_you_mean,
};

/// Every finding of a test file, in source order. `callees` are the
/// runbooks the `call` steps call, by step id ([`crate::Plan::called_runbooks`]):
/// a mocked call conclusion must be one the callee gives.
pub fn analyse_test_file(test: &TestFile, runbook: &Runbook, callees: &BTreeMap<String, &Runbook>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let steps: HashMap<&str, &Step> = runbook.steps.iter().map(|step| (step.id.as_str(), step)).collect();
    let ids: Vec<&str> = runbook.steps.iter().map(|step| step.id.as_str()).collect();
    let known = Known { runbook, steps, ids, inputs: &test.inputs, callees };
    inputs(&known, &test.inputs, &mut out);
    let mut names: HashMap<&str, Span> = HashMap::new();
    for case in test.cases.iter() {
        if names.insert(case.name.as_str(), case.name.span).is_some() {
            out.push(
                Diagnostic::new(
                    Code::TestDuplicateCase,
                    case.name.span,
                    format!("two cases are named `{}`", case.name.value),
                )
                .with_label("name used by an earlier case")
                .with_help("give each case its own name: it names the case in the output and in JUnit"),
            );
        }
        check_case(&known, case, &mut out);
    }
    out.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.code));
    out.dedup();
    out
}

struct Known<'a> {
    runbook: &'a Runbook,
    steps: HashMap<&'a str, &'a Step>,
    ids: Vec<&'a str>,
    /// The test file's own inputs, under every case's.
    inputs: &'a IndexMap<Spanned<String>, Spanned<Value>>,
    /// The called runbooks, by `call` step id.
    callees: &'a BTreeMap<String, &'a Runbook>,
}

impl Known<'_> {
    /// The value of input `name` in `case`: the case's, the file's, or the
    /// runbook's default.
    fn input<'v>(&'v self, case: &'v Case, name: &str) -> Option<&'v Value> {
        let given = |inputs: &'v IndexMap<Spanned<String>, Spanned<Value>>| {
            inputs.iter().find(|(key, _)| key.as_str() == name).map(|(_, value)| &value.value)
        };
        given(&case.inputs)
            .or_else(|| given(self.inputs))
            .or_else(|| self.runbook.inputs.get(name)?.default.as_ref().map(|value| &value.value))
    }

    /// A template's value when it is one whole `{{ inputs.NAME }}`, or a
    /// text with one at its start replaced (`{{ inputs.base }}/healthz`).
    fn rendered(&self, case: &Case, template: &str) -> Option<Value> {
        let rest = template.trim_start().strip_prefix("{{")?;
        let (inner, after) = rest.split_once("}}")?;
        let name = inner.trim().strip_prefix("inputs.")?;
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let value = self.input(case, name)?;
        if after.trim().is_empty() {
            return Some(value.clone());
        }
        Some(Value::String(format!("{}{after}", value.as_str()?)))
    }
    /// The step `name` refers to; `call-step/inner` resolves to the call step.
    /// An unknown id or a prefix that is not a `call` step is reported.
    fn step(&self, name: &Spanned<String>, out: &mut Vec<Diagnostic>) -> Option<Resolved<'_>> {
        let (id, inner) = crate::StepPath::new(name).outermost();
        let Some(step) = self.steps.get(id).copied() else {
            let help = match did_you_mean(id, self.ids.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the runbook's steps are: {}", list(&self.ids)),
            };
            out.push(
                Diagnostic::new(Code::TestUnknownStep, name.span, format!("the runbook has no step `{id}`"))
                    .with_label("no step has this id")
                    .with_help(help),
            );
            return None;
        };
        if inner.is_some() && step.call.is_none() {
            out.push(
                Diagnostic::new(
                    Code::TestUnknownStep,
                    name.span,
                    format!("`{}` names a step inside `{id}`, which is not a `call` step", name.value),
                )
                .with_label("not a call step")
                .with_help("only the steps of a called runbook are named `CALL-STEP/STEP`"),
            );
            return None;
        }
        Some(Resolved { step, inner: inner.is_some() })
    }
}

struct Resolved<'a> {
    step: &'a Step,
    /// Whether the name is of a step inside the called runbook.
    inner: bool,
}

fn list(items: &[&str]) -> String {
    items.iter().map(|item| format!("`{item}`")).collect::<Vec<_>>().join(", ")
}

fn inputs(known: &Known<'_>, given: &IndexMap<Spanned<String>, Spanned<Value>>, out: &mut Vec<Diagnostic>) {
    let declared: Vec<&str> = known.runbook.inputs.keys().map(|name| name.as_str()).collect();
    for name in given.keys() {
        if declared.contains(&name.as_str()) {
            continue;
        }
        let help = match did_you_mean(name, declared.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None if declared.is_empty() => "the runbook declares no inputs".to_owned(),
            None => format!("the runbook's inputs are: {}", list(&declared)),
        };
        out.push(
            Diagnostic::new(Code::TestUnknownInput, name.span, format!("the runbook has no input `{}`", name.value))
                .with_label("not an input of the runbook")
                .with_help(help),
        );
    }
}

fn check_case(known: &Known<'_>, case: &Case, out: &mut Vec<Diagnostic>) {
    inputs(known, &case.inputs, out);
    for (name, value) in &case.answers {
        if let Some(resolved) = known.step(name, out)
            && !resolved.inner
        {
            answer(resolved.step, name, value, out);
        }
    }
    for (name, mock) in &case.observations {
        if let Some(resolved) = known.step(name, out)
            && !resolved.inner
        {
            observation(&Site { known, case }, resolved.step, mock, out);
        }
    }
    let expect = &case.expect;
    for id in expect.path.iter().chain(&expect.through).flat_map(|ids| ids.iter()) {
        known.step(id, out);
    }
    for id in expect.outcomes.keys() {
        with_outcome(known, id, out);
    }
    if let Some(id) = &expect.conclusion {
        wanted_kind(known, id, StepKind::Conclude, out);
    }
    for id in expect.actions.iter().flat_map(|ids| ids.iter()) {
        wanted_kind(known, id, StepKind::Action, out);
    }
}

/// A step named where only one kind makes sense (`expect.conclusion`,
/// `expect.actions`).
fn wanted_kind(known: &Known<'_>, id: &Spanned<String>, kind: StepKind, out: &mut Vec<Diagnostic>) {
    let Some(resolved) = known.step(id, out) else { return };
    if resolved.inner && kind == StepKind::Conclude {
        out.push(
            Diagnostic::new(
                Code::TestUnknownStep,
                id.span,
                format!("`{}` is a conclusion of the called runbook, not of this run", id.value),
            )
            .with_label("inside a call")
            .with_help(format!(
                "a called runbook's conclusion only routes the `call` step: expect this run's own `conclude` step, \
                 and `through: [{}]` to check the callee got there",
                id.value
            )),
        );
        return;
    }
    if resolved.inner || resolved.step.kind() == Some(kind) {
        return;
    }
    let candidates: Vec<&str> =
        known.runbook.steps.iter().filter(|s| s.kind() == Some(kind)).map(|s| s.id.as_str()).collect();
    out.push(
        Diagnostic::new(Code::TestUnknownStep, id.span, format!("step `{}` is not a `{}` step", id.value, kind.name()))
            .with_label(format!(
                "{} step",
                super::references::article(resolved.step.kind().map_or("step", StepKind::name))
            ))
            .with_help(format!("name one of the `{}` steps: {}", kind.name(), list(&candidates))),
    );
}

/// A step named under `expect.outcomes`: only probing steps and actions
/// end with an outcome.
fn with_outcome(known: &Known<'_>, id: &Spanned<String>, out: &mut Vec<Diagnostic>) {
    let Some(resolved) = known.step(id, out) else { return };
    let Some(kind) = resolved.step.kind() else { return };
    if resolved.inner || kind.has_outcome() {
        return;
    }
    let candidates: Vec<&str> = known
        .runbook
        .steps
        .iter()
        .filter(|s| s.kind().is_some_and(StepKind::has_outcome))
        .map(|s| s.id.as_str())
        .collect();
    out.push(
        Diagnostic::new(
            Code::TestUnknownStep,
            id.span,
            format!("step `{}` has no outcome: it is {} step", id.value, super::references::article(kind.name())),
        )
        .with_label("no outcome to expect")
        .with_help(format!(
            "expect outcomes of {} steps ({}); expect a question's effect with `path`",
            StepKind::listed(StepKind::has_outcome, "and"),
            list(&candidates)
        )),
    );
}

/// An answer must be one the step accepts.
fn answer(step: &Step, name: &Spanned<String>, value: &Spanned<Value>, out: &mut Vec<Diagnostic>) {
    let invalid = |message: String, help: String| {
        Diagnostic::new(Code::TestInvalidAnswer, value.span, message).with_label("not accepted here").with_help(help)
    };
    if let Some(ask) = &step.ask {
        let text = answer_text(&value.value);
        match ask.ask_type() {
            AskType::Choice | AskType::Confirm => {
                let answers = ask.closed_answers().unwrap_or_default();
                let normalised = if ask.ask_type() == AskType::Confirm { yes_no(&value.value) } else { text.clone() };
                if !answers.contains(&normalised.as_str()) {
                    let help = match did_you_mean(&text, answers.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`? the answers are: {}", list(&answers)),
                        None => format!("the answers are: {}", list(&answers)),
                    };
                    out.push(invalid(format!("`{text}` is not an answer to step `{}`", name.value), help));
                }
            }
            AskType::Number => {
                if !value.value.is_number() && text.parse::<f64>().is_err() {
                    out.push(invalid(
                        format!("`{text}` is not a number, and step `{}` asks for one", name.value),
                        "write a number".to_owned(),
                    ));
                }
            }
            AskType::Text => {}
        }
        return;
    }
    if step.action.is_some() {
        if yes_no(&value.value).is_empty() {
            out.push(invalid(
                format!("`{}` is not an answer to action `{}`", answer_text(&value.value), name.value),
                "answer an action `yes` (it runs) or `no` (it is declined)".to_owned(),
            ));
        }
        return;
    }
    if let Some(instruct) = &step.instruct {
        let notes: Vec<&str> = instruct.notes.keys().map(|n| n.as_str()).collect();
        if !yes_no(&value.value).is_empty() {
            // Done or not done, as `--answer STEP=no` leaves the run waiting.
            return;
        }
        let Value::Object(given) = &value.value else {
            out.push(invalid(
                format!("step `{}` is an `instruct` step: answer its notes as a map", name.value),
                format!(
                    "write `{0}: yes` (done), `{0}: no` (not done: the run waits) or `{0}: {{ NOTE: text }}`; its \
                     notes are: {1}",
                    name.value,
                    list(&notes)
                ),
            ));
            return;
        };
        for (note, ticks) in given {
            if note == "checklist" && !instruct.checklist.is_empty() && !notes.contains(&"checklist") {
                if let Some(problem) = checklist_answer(ticks, &instruct.checklist) {
                    out.push(invalid(
                        format!("`{}` does not tick the checklist of `{}`: {problem}", answer_text(ticks), name.value),
                        "tick items by number from 1 or by text (`checklist: [1, \"Evict the pods\"]`), or write \
                         `all` or `none`"
                            .to_owned(),
                    ));
                }
                continue;
            }
            if !notes.contains(&note.as_str()) {
                let help = match did_you_mean(note, notes.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("its notes are: {}", list(&notes)),
                };
                out.push(invalid(format!("step `{}` has no note `{note}`", name.value), help));
            }
        }
        return;
    }
    out.push(invalid(
        format!(
            "step `{}` asks nothing: it is {} step",
            name.value,
            super::references::article(step.kind().map_or("step", StepKind::name))
        ),
        "answers are for `ask`, `action` and `instruct` steps; a check's result is mocked under `observations`"
            .to_owned(),
    ));
}

/// An answer as the text the operator would type: `true` is `yes`.
fn answer_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        other => other.to_string(),
    }
}

/// `yes` or `no` for the answers a confirmation accepts, else empty.
fn yes_no(value: &Value) -> String {
    match answer_text(value).trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" => "yes".to_owned(),
        "no" | "n" | "false" => "no".to_owned(),
        _ => String::new(),
    }
}

/// Where an observation is checked: the runbook, and the case whose
/// inputs decide a `foreach` list or a URL.
#[derive(Clone, Copy)]
struct Site<'a> {
    known: &'a Known<'a>,
    case: &'a Case,
}

impl Site<'_> {
    /// What a mock for `step`'s probe is judged against.
    fn judged<'j>(
        &self,
        step: &'j Step,
        kinds: &'j [ProbeKind],
        expect: &'j [Spanned<Expectation>],
        reads_json: bool,
        probe: (Option<&crate::HttpProbe>, Option<&crate::CmdProbe>),
    ) -> Judged<'j> {
        let (http, _) = probe;
        let url = http.map(|http| http.url.as_str());
        let rendered = |text: &str| match self.known.rendered(self.case, text) {
            Some(Value::String(rendered)) => rendered,
            _ => text.to_owned(),
        };
        let url = url.map(rendered);
        let proxy = http.and_then(|http| http.proxy.as_ref()).map(|proxy| rendered(proxy.as_str()));
        Judged { step: step.id.as_str(), kinds, expect, reads_json, url, proxy }
    }
}

/// Whether a probe's expectations or captures read its output as JSON.
fn reads_json<'c>(
    expect: &[Spanned<Expectation>],
    captures: impl IntoIterator<Item = &'c Spanned<crate::Capture>>,
) -> bool {
    expect.iter().any(|expectation| expectation.json.is_some())
        || captures.into_iter().any(|capture| capture.json.is_some())
}

/// A mocked observation must fit what the step runs.
fn observation(site: &Site<'_>, step: &Step, mock: &Spanned<StepMock>, out: &mut Vec<Diagnostic>) {
    let wrong = |span: Span, message: String, help: &str| {
        Diagnostic::new(Code::TestObservationKind, span, message).with_label("does not fit this step").with_help(help)
    };
    let specs = mock.specs();
    if let Some(call) = &step.call {
        let callee = site.known.callees.get(step.id.as_str()).copied();
        for spec in specs.iter().filter(|spec| spec.conclusion.is_some()) {
            if let Some(callee) = callee {
                unreal_mocks::call(step.id.as_str(), &call.runbook.value, callee, spec, out);
            }
        }
        for spec in specs {
            if spec.conclusion.is_none() || spec.is_observation() || spec.items.is_some() || spec.probes.is_some() {
                out.push(wrong(
                    mock.span,
                    format!("step `{}` is a `call` step: mock the called runbook's `conclusion`", step.id.value),
                    "write `conclusion: { status: … }` (and `vars:`), or mock the called runbook's own steps as `CALL-STEP/STEP`",
                ));
            }
        }
        return;
    }
    let probe = step.probing().map(|check| Probed::Check(&check.value)).or_else(|| {
        let action = step.action.as_ref()?;
        let kind = action.declared_probes().first().map_or(ProbeKind::Http, |probe| probe.kind());
        Some(Probed::Action(&action.value, kind))
    });
    let Some(probe) = probe else {
        out.push(wrong(
            mock.span,
            format!(
                "step `{}` runs no probe: it is {} step",
                step.id.value,
                super::references::article(step.kind().map_or("step", StepKind::name))
            ),
            "observations are for `check`, `collect` and `action` steps; a question is answered under `answers`",
        ));
        return;
    };
    for spec in specs {
        match probe {
            Probed::Check(check) => against_check(site, step, check, spec, mock.span, out),
            Probed::Action(action, kind) => {
                let kinds = [kind];
                let probe = (action.http.as_deref(), action.cmd.as_deref());
                let judged = site.judged(
                    step,
                    &kinds,
                    &action.expect,
                    reads_json(&action.expect, action.capture.values()),
                    probe,
                );
                against_kind(step, &judged, spec, mock.span, out);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Probed<'a> {
    Check(&'a Check),
    Action(&'a crate::Action, ProbeKind),
}

fn against_check(site: &Site<'_>, step: &Step, check: &Check, spec: &MockSpec, span: Span, out: &mut Vec<Diagnostic>) {
    let probe = (check.http.as_deref(), check.cmd.as_deref());
    let reads = reads_json(&check.expect, check.capture.values());
    if let Some(group) = &check.probes {
        let kinds: Vec<ProbeKind> = group.values().filter_map(|probe| probe.probe_kind()).collect();
        if let Some(probes) = &spec.probes {
            let names: Vec<&str> = group.keys().map(|name| name.as_str()).collect();
            for (name, mock) in probes.iter() {
                let Some(sub) = group.iter().find(|(declared, _)| declared.as_str() == name.as_str()) else {
                    let help = match did_you_mean(name, names.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`? the group's probes are: {}", list(&names)),
                        None => format!("the group's probes are: {}", list(&names)),
                    };
                    out.push(
                        Diagnostic::new(
                            Code::TestObservationKind,
                            name.span,
                            format!("step `{}` has no probe `{}`", step.id.value, name.value),
                        )
                        .with_label("not a probe of this group")
                        .with_help(help),
                    );
                    continue;
                };
                for sub_spec in mock.specs() {
                    against_check(site, step, &sub.1.value, sub_spec, mock.span, out);
                }
            }
            return;
        }
        selector_misplaced(step, spec, span, out, Selector::Probes);
        // One observation for every probe: judged by none in particular.
        against_kind(step, &site.judged(step, &kinds, &[], true, (None, None)), spec, span, out);
        return;
    }
    let kinds: Vec<ProbeKind> = check.probe_kind().into_iter().collect();
    let judged = site.judged(step, &kinds, &check.expect, reads, probe);
    if let Some(foreach) = &check.foreach {
        if let (Some(items), Some(list)) = (&spec.items, foreach_list(site, &foreach.value)) {
            unreal_mocks::foreach_items(step.id.as_str(), &list, &items.value, out);
        }
        for mock in spec.items.iter().flat_map(|items| items.values()).chain(spec.default.as_deref()) {
            for sub_spec in mock.specs() {
                against_kind(step, &judged, sub_spec, mock.span, out);
            }
        }
        if spec.items.is_some() || spec.default.is_some() {
            return;
        }
        selector_misplaced(step, spec, span, out, Selector::Items);
        against_kind(step, &judged, spec, span, out);
        return;
    }
    selector_misplaced(step, spec, span, out, Selector::None);
    against_kind(step, &judged, spec, span, out);
}

/// The items of a `foreach` when the case decides them: a literal list, or
/// one whole `{{ inputs.NAME }}` whose value is a list.
fn foreach_list(site: &Site<'_>, foreach: &Value) -> Option<Vec<Value>> {
    match foreach {
        Value::Array(items) => Some(items.clone()),
        Value::String(template) => match site.known.rendered(site.case, template)? {
            Value::Array(items) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Selector {
    None,
    Items,
    Probes,
}

/// `items:`, `probes:` or `conclusion:` where the step has no such thing.
fn selector_misplaced(step: &Step, spec: &MockSpec, span: Span, out: &mut Vec<Diagnostic>, allowed: Selector) {
    let misplaced = [
        (spec.items.as_ref().map(|s| s.span), "items", "a `foreach` check", Selector::Items),
        (spec.default.as_ref().map(|s| s.span), "default", "a `foreach` check", Selector::Items),
        (spec.probes.as_ref().map(|s| s.span), "probes", "a `probes:` group", Selector::Probes),
        (spec.conclusion.as_ref().map(|s| s.span), "conclusion", "a `call` step", Selector::None),
    ];
    for (found, key, owner, selector) in misplaced {
        let Some(found) = found else { continue };
        if selector == allowed && key != "conclusion" {
            continue;
        }
        let found = if found.is_empty() { span } else { found };
        out.push(
            Diagnostic::new(
                Code::TestObservationKind,
                found,
                format!("`{key}:` is for {owner}, and step `{}` is not one", step.id.value),
            )
            .with_label("does not fit this step")
            .with_help(format!("mock the step's probe directly: {}", kinds_hint(step))),
        );
    }
}

fn kinds_hint(step: &Step) -> String {
    let kinds: Vec<&str> = step
        .probing()
        .map(|check| check.probe_kinds().into_iter().map(|(kind, _)| kind.name()).collect())
        .unwrap_or_default();
    if kinds.is_empty() {
        "an observation or `error:`".to_owned()
    } else {
        format!("`{}: {{ … }}` or `error: KIND`", kinds.join("`, `"))
    }
}

/// The observation's kind must be the probe's (an `error` fits any), and
/// one a real probe can give.
fn against_kind(step: &Step, judged: &Judged<'_>, spec: &MockSpec, span: Span, out: &mut Vec<Diagnostic>) {
    let kinds = judged.kinds;
    let observed = spec.observed_kinds();
    let given = observed.len() + usize::from(spec.error.is_some());
    if given == 0 {
        if spec.items.is_none() && spec.probes.is_none() && spec.conclusion.is_none() && spec.default.is_none() {
            out.push(
                Diagnostic::new(
                    Code::TestObservationKind,
                    span,
                    format!("the observation of step `{}` is empty", step.id.value),
                )
                .with_label("nothing observed")
                .with_help(format!("write what the probe saw: {}", kinds_hint(step))),
            );
        }
        return;
    }
    if given > 1 {
        out.push(
            Diagnostic::new(
                Code::TestObservationKind,
                span,
                format!("the observation of step `{}` gives more than one result", step.id.value),
            )
            .with_label(format!("one of {} or `error` here", ProbeKind::listed()))
            .with_help("a probe sees one thing per attempt: keep one key, or make a list with one entry per attempt"),
        );
        return;
    }
    let mut fits = true;
    for (kind, found) in observed {
        if !kinds.contains(&kind) {
            fits = false;
            let expected: Vec<&str> = kinds.iter().map(|kind| kind.name()).collect();
            out.push(
                Diagnostic::new(
                    Code::TestObservationKind,
                    found,
                    format!(
                        "step `{}` runs {} probe, but this observation is of `{}`",
                        step.id.value,
                        match expected.as_slice() {
                            [one @ ("http" | "env")] => format!("an `{one}`"),
                            [one] => format!("a `{one}`"),
                            _ => format!("`{}`", expected.join("`/`")),
                        },
                        kind.name()
                    ),
                )
                .with_label("wrong kind of observation")
                .with_help(format!(
                    "write `{}: {{ … }}`, or `error: KIND`",
                    expected.first().copied().unwrap_or("http")
                )),
            );
        }
    }
    if fits {
        unreal_mocks::observation(judged, spec, out);
    }
}

/// Why a test case's `checklist:` answer ticks nothing valid, if it does
/// not: `all`, `none`, or a list of item numbers from 1 or item texts.
fn checklist_answer(ticks: &Value, checklist: &[String]) -> Option<String> {
    let items = match ticks {
        Value::String(word) if word == "all" || word == "none" => return None,
        Value::Array(items) => items,
        _ => return Some("not a list".to_owned()),
    };
    items.iter().find_map(|item| match item {
        Value::Number(n) if n.as_u64().is_some_and(|n| (1..=checklist.len() as u64).contains(&n)) => None,
        Value::String(text) if checklist.contains(text) => None,
        other => Some(format!("`{}` is not one of its {} items", answer_text(other), checklist.len())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Source, load, load_test_file};

    const RUNBOOK: &str = "id: demo
title: Demo
inputs:
  base_url: { default: 'http://127.0.0.1:1' }
steps:
  - id: healthz
    check:
      http: { url: '{{ inputs.base_url }}/healthz' }
      expect: [ { status: 200 } ]
    on: { pass: ask-symptom, fail: down, error: down }
  - id: ask-symptom
    ask:
      question: What is wrong?
      choices: [ { answer: slow, goto: down }, { answer: fine, goto: up } ]
  - id: down
    conclude: { status: diagnosed, severity: high }
  - id: up
    conclude: { status: resolved }
";

    /// The findings of a test file as `code line:col message`.
    fn findings(test: &str) -> Vec<String> {
        findings_against(RUNBOOK, test)
    }

    fn findings_against(runbook: &str, test: &str) -> Vec<String> {
        let runbook = load(&Source::new("demo.yaml", runbook)).unwrap();
        let callees = BTreeMap::new();
        let source = Source::new("demo.test.yaml", test);
        let test = match load_test_file(&source) {
            Ok(test) => test,
            Err(diagnostic) => {
                let (line, column) = source.line_col(diagnostic.span.start);
                return vec![format!("{} {line}:{column} {}", diagnostic.code, diagnostic.message)];
            }
        };
        analyse_test_file(&test, &runbook, &callees)
            .iter()
            .map(|d| {
                let (line, column) = source.line_col(d.span.start);
                format!("{} {line}:{column} {}", d.code, d.message)
            })
            .collect()
    }

    #[test]
    fn a_valid_file_has_no_findings() {
        let test = "cases:
  - name: healthy
    observations:
      healthz: { http: { status: 200 } }
    answers: { ask-symptom: fine }
    expect: { path: [healthz, ask-symptom, up], status: resolved }
  - name: retried
    observations:
      healthz:
        - error: timeout
        - { error: { kind: refused, message: nope } }
    expect: { conclusion: down }
";
        assert_eq!(findings(test), Vec::<String>::new());
    }

    #[test]
    fn unknown_steps_wrong_answers_and_wrong_kinds_are_located() {
        let test = "inputs: { base_ur: x }
cases:
  - name: one
    observations:
      healthzz: { http: { status: 200 } }
      healthz: { cmd: { exit_code: 0 } }
      ask-symptom: { http: {} }
    answers: { ask-symptom: slo }
    expect: { conclusion: healthz, path: [healthz, upp], outcomes: { ask-symptom: pass } }
  - name: one
    expect: {}
";
        assert_eq!(
            findings(test),
            [
                "RB504 1:11 the runbook has no input `base_ur`",
                "RB501 5:7 the runbook has no step `healthzz`",
                "RB503 6:23 step `healthz` runs an `http` probe, but this observation is of `cmd`",
                "RB503 7:20 step `ask-symptom` runs no probe: it is an `ask` step",
                "RB502 8:29 `slo` is not an answer to step `ask-symptom`",
                "RB501 9:27 step `healthz` is not a `conclude` step",
                "RB501 9:52 the runbook has no step `upp`",
                "RB501 9:70 step `ask-symptom` has no outcome: it is an `ask` step",
                "RB505 10:11 two cases are named `one`",
            ]
        );
    }

    #[test]
    fn shape_errors_in_mocks_are_located() {
        let test =
            "cases:\n  - name: one\n    observations:\n      healthz: { http: { staus: 200 } }\n    expect: {}\n";
        assert_eq!(findings(test), ["RB101 4:26 unknown key `staus`"]);
        let test =
            "cases:\n  - name: one\n    observations:\n      healthz: { http: { status: \"503\" } }\n    expect: {}\n";
        let found = findings(test);
        assert!(
            found[0].starts_with("RB102 4:34 expected a whole number from 0 to 65535, found the string"),
            "{found:?}"
        );
        let test = "cases:\n  - name: one\n    observations:\n      healthz: { error: timout }\n    expect: {}\n";
        assert_eq!(findings(test), ["RB102 4:18 unknown value `timout`"]);
    }

    const PROBES: &str = "id: probes
title: Probes
inputs:
  base: { default: 'http://127.0.0.1:1' }
  services: { type: list, default: [api, worker] }
steps:
  - id: active
    check:
      cmd: { sh: systemctl is-active foo }
      expect: [ { stdout: active }, { stderr: { in: [ok] } } ]
    on: { pass: each, fail: each, error: each }
  - id: health
    check:
      http: { url: '{{ inputs.base }}/health' }
      expect: [ { body: { contains: '\"ok\":true' } } ]
  - id: each
    check:
      foreach: '{{ inputs.services }}'
      tcp: { host: '{{ item }}', port: 80 }
  - id: literal
    check:
      foreach: [1, two]
      tcp: { host: x, port: 80 }
  - id: done
    conclude: { status: resolved }
";

    #[test]
    fn mocks_no_real_probe_gives_are_refused() {
        let test = "cases:
  - name: one
    observations:
      active: { error: refused }
      health: { http: { tls: { days_left: 3 } } }
      each: { items: { wrker: { error: dns } }, default: { error: invalid_json } }
      literal: { items: { '1': { tcp: {} }, '2': { tcp: {} } } }
    expect: {}
  - name: https
    inputs: { base: 'https://127.0.0.1:1', services: [a] }
    observations:
      active: { error: spawn_failed }
      health: { http: { tls: { days_left: 3 } } }
      each: { items: { a: { tcp: {} }, worker: { tcp: {} } } }
    expect: {}
";
        assert_eq!(
            findings_against(PROBES, test),
            [
                "RB507 4:24 a `cmd` probe never errs `refused`, and step `active` runs one",
                "RB507 5:23 step `health` requests `http://127.0.0.1:1/health` over plain http, which has no \
                 certificate, but the observation mocks `tls:`",
                "RB507 6:24 step `each`'s `foreach` has no item `wrker`",
                "RB507 6:67 a `tcp` probe never errs `invalid_json`, and step `each` runs one",
                "RB507 7:45 step `literal`'s `foreach` has no item `2`",
                "RB507 14:40 step `each`'s `foreach` has no item `worker`",
            ]
        );
    }

    #[test]
    fn phases_a_real_request_never_has_are_refused() {
        let test = "cases:
  - name: plain
    observations:
      health: { http: { timing: { tls: 5ms, dns: 3ms, connect: 1ms } } }
    expect: {}
  - name: by name over https
    inputs: { base: 'https://api.internal' }
    observations:
      health: { http: { timing: { tls: 5ms, dns: 3ms } } }
    expect: {}
";
        assert_eq!(
            findings_against(PROBES, test),
            [
                "RB507 4:40 step `health` requests `http://127.0.0.1:1/health`, which has no `tls` phase (plain http \
                 has no TLS handshake), but the observation mocks `timing.tls`",
                "RB507 4:50 step `health` requests `http://127.0.0.1:1/health`, which has no `dns` phase (an IP \
                 address is not looked up), but the observation mocks `timing.dns`",
            ]
        );
        let proxied = "id: t\ntitle: T\nsteps:\n  - id: health\n    check:\n      http: { url: 'https://api.internal/', \
                       proxy: 'http://10.0.0.1:3128' }\n    next: done\n  - id: done\n    conclude: { status: resolved }\n";
        let test = "cases:\n  - name: dns\n    observations:\n      health: { http: { timing: { dns: 3ms } } }\n    \
                    expect: {}\n";
        assert_eq!(
            findings_against(proxied, test),
            ["RB507 4:40 step `health` requests `https://api.internal/` through `http://10.0.0.1:3128`, which has \
                 no `dns` phase (the proxy resolves the service's name, and its own address is not looked up), but \
                 the observation mocks `timing.dns`"]
        );
    }

    #[test]
    fn phases_past_the_duration_or_a_second_connect_time_are_refused() {
        let test = "cases:
  - name: phases past the duration
    inputs: { base: 'https://api.internal' }
    observations:
      health: { http: { duration: 100ms, timing: { dns: 50ms, connect: 60ms, tls: 400ms, first_byte: 200ms } } }
    expect: {}
  - name: two connect times
    inputs: { base: 'https://api.internal' }
    observations:
      health: { http: { duration: 1s, connect: 80ms, timing: { connect: 5ms } } }
    expect: {}
  - name: phases within the duration
    inputs: { base: 'https://api.internal' }
    observations:
      health: { http: { duration: 710ms, connect: 60ms, timing: { dns: 50ms, connect: 60ms, tls: 400ms } } }
    expect: {}
";
        assert_eq!(
            findings_against(PROBES, test),
            [
                "RB507 5:35 the phases the observation of step `health` mocks add up to 710ms, more than its \
                 duration 100ms",
                "RB507 10:73 the observation of step `health` connects in 80ms and in 5ms: a request opens one \
                 connection",
            ]
        );
    }

    #[test]
    fn mocked_text_a_real_probe_rarely_prints_is_a_warning_where_an_expectation_depends_on_it() {
        // A command's output is read without its final newline, so a mock
        // without one is not reported: it reads as the real output does.
        let test = "cases:
  - name: bare
    observations:
      active: { cmd: { stdout: active, stderr: ok } }
      health: { http: { json: { ok: true } } }
    expect: {}
  - name: as printed
    observations:
      active: { cmd: { stdout: \"active\\n\", stderr: \"ok\\n\" } }
      health: { http: { body: '{\"ok\": true}' } }
    expect: {}
";
        assert_eq!(
            findings_against(PROBES, test),
            ["RB508 5:31 `body: { contains: '\"ok\":true' }` of step `health` reads the JSON's spacing, \
                 which this mock writes compactly and a real server need not",]
        );
    }
}
