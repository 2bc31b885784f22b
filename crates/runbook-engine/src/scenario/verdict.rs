//! Judging a case's run against its `expect:`: each expectation that does
//! not hold is one [`Failure`], all of them reported, never only the first.

use runbook_model::{Case, EndStatus, Span};
use serde_json::Value as Json;

use super::CaseRun;
use crate::event::RunStatus;

/// One expectation of a case that did not hold, or something the case
/// lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The `expect` key (`path`, `status`, …), or `observations`/`answers`/
    /// `inputs` for what the case lacks.
    pub key: &'static str,
    /// What was expected and what happened, for people.
    pub message: String,
    /// Where the expectation is written in the test file.
    pub span: Span,
}

/// Every way `run` fails `case`; empty when the case passes. A case that
/// lacks an observation, an answer or an input fails with that alone: the
/// run stopped there, so the other expectations say nothing. Secret inputs
/// are redacted in every message.
pub fn verdict(case: &Case, run: &CaseRun) -> Vec<Failure> {
    let mut failures = unredacted(case, run);
    for failure in &mut failures {
        failure.message = run.redactor.text(&failure.message).into_owned();
    }
    failures
}

fn unredacted(case: &Case, run: &CaseRun) -> Vec<Failure> {
    if !run.missing.is_empty() {
        return run
            .missing
            .iter()
            .map(|message| Failure { key: lacking(message), message: message.clone(), span: case.name.span })
            .collect();
    }
    let Some(report) = &run.report else { return Vec::new() };
    let expect = &case.expect;
    let mut failures = Vec::new();
    let mut fail = |key, span, message| failures.push(Failure { key, message, span });
    let path = &run.trace.path;
    if let Some(expected) = &expect.path {
        let ids: Vec<&str> = expected.iter().map(|id| id.as_str()).collect();
        if ids != path.iter().map(String::as_str).collect::<Vec<_>>() {
            fail("path", expected.span, "the path differs from `expect.path`".to_owned());
        }
    }
    if let Some(through) = &expect.through {
        let mut rest = path.iter();
        let mut after: Option<&str> = None;
        for id in through.iter() {
            if !rest.any(|step| step == id.as_str()) {
                let place = after.map_or_else(String::new, |after| format!(" after `{after}`"));
                fail("through", id.span, format!("the path does not go through `{}`{place}", id.value));
                break;
            }
            after = Some(id.as_str());
        }
    }
    if let Some(expected) = &expect.conclusion {
        let actual = run.trace.concluded_at.as_deref();
        if actual != Some(expected.as_str()) {
            fail(
                "conclusion",
                expected.span,
                format!("expected the run to conclude at `{}`, {}", expected.value, ending(report, actual)),
            );
        }
    }
    if let Some(expected) = &expect.status {
        let actual = end_status(report);
        if actual != Some(expected.value) {
            let actual = actual.map_or_else(|| report.status.name().to_owned(), |status| status.name().to_owned());
            let why = report.message.as_ref().map(|message| format!(" ({message})")).unwrap_or_default();
            fail("status", expected.span, format!("expected status `{}`, got `{actual}`{why}", expected.value.name()));
        }
    }
    let conclusion = report.conclusion.as_ref();
    if let Some(expected) = &expect.severity {
        let actual = conclusion.and_then(|c| c.severity);
        if actual != Some(expected.value) {
            let actual = actual.map_or_else(|| "none".to_owned(), |s| format!("`{}`", name_of(&s)));
            fail("severity", expected.span, format!("expected severity `{}`, got {actual}", name_of(&expected.value)));
        }
    }
    if let Some(expected) = &expect.diagnosis {
        let actual = conclusion.and_then(|c| c.diagnosis.as_deref());
        if !actual.is_some_and(|actual| actual.contains(expected.as_str())) {
            let actual = actual.map_or_else(|| "no diagnosis".to_owned(), |actual| format!("`{actual}`"));
            fail(
                "diagnosis",
                expected.span,
                format!("expected the diagnosis to contain `{}`, got {actual}", expected.value),
            );
        }
    }
    for (name, expected) in &expect.vars {
        let actual = report.vars.get(name.as_str());
        if actual != Some(&expected.value) {
            let actual =
                actual.map_or_else(|| "unset".to_owned(), |value| format!("`{}`", shown(value, &run.redactor)));
            let expected_text = shown(&expected.value, &run.redactor);
            fail("vars", expected.span, format!("expected `vars.{}` = `{expected_text}`, got {actual}", name.value));
        }
    }
    for (step, expected) in &expect.outcomes {
        let actual = run.trace.outcomes.get(step.as_str());
        if actual != Some(&expected.value) {
            let ran = run.trace.path.iter().any(|id| id == step.as_str());
            let actual = match actual {
                Some(outcome) => format!("got `{}`", outcome.name()),
                None if ran => "it ran but has no outcome (only probing steps and actions have one)".to_owned(),
                None => "it did not run".to_owned(),
            };
            fail(
                "outcomes",
                expected.span,
                format!("expected step `{}` to end `{}`, {actual}", step.value, expected.value.name()),
            );
        }
    }
    if let Some(expected) = &expect.actions {
        let ids: Vec<&str> = expected.iter().map(|id| id.as_str()).collect();
        let ran: Vec<&str> = run.trace.actions.iter().map(String::as_str).collect();
        if ids != ran {
            fail(
                "actions",
                expected.span,
                format!("expected actions [{}] to run, got [{}]", ids.join(", "), ran.join(", ")),
            );
        }
    }
    failures
}

/// Which part of the case a missing thing belongs to.
fn lacking(message: &str) -> &'static str {
    if message.contains("answer") {
        "answers"
    } else if message.contains("input") {
        "inputs"
    } else {
        "observations"
    }
}

/// How the run ended, for a conclusion that was not the expected one,
/// with why when it did not conclude (the run's error, say).
fn ending(report: &crate::interpret::RunReport, concluded_at: Option<&str>) -> String {
    match (concluded_at, &report.message) {
        (Some(step), _) => format!("but it concluded at `{step}`"),
        // The run's own words say which flags to pass; a case gives its
        // answers in the test file instead.
        (None, Some(why)) if report.status == RunStatus::Waiting => format!(
            "but it ended `waiting` without a conclusion: {}; give the case that answer under `answers:` (for an \
             `instruct` step whose checklist a branch reads: `STEP: {{ checklist: all }}`, `none` or item numbers)",
            why.lines().next().unwrap_or_default().trim_end_matches(':')
        ),
        (None, Some(why)) => format!("but it ended `{}` without a conclusion: {why}", report.status.name()),
        (None, None) => format!("but it ended `{}` without a conclusion", report.status.name()),
    }
}

/// The run's ending as a test file writes it.
fn end_status(report: &crate::interpret::RunReport) -> Option<EndStatus> {
    match report.status {
        RunStatus::Concluded => report.conclusion.as_ref().map(|conclusion| EndStatus::from(conclusion.status)),
        RunStatus::Ended => Some(EndStatus::Ended),
        RunStatus::Failed => Some(EndStatus::Failed),
        RunStatus::TimedOut => Some(EndStatus::TimedOut),
        RunStatus::Waiting => Some(EndStatus::Waiting),
        RunStatus::Aborted => None,
    }
}

/// A serde enum's name as written in YAML.
fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Json::String(name)) => name,
        _ => String::new(),
    }
}

/// A value as compact JSON, its secrets redacted before it is encoded:
/// once inside JSON text, a secret is escaped a second time.
fn shown(value: &Json, redactor: &crate::redact::Redactor) -> String {
    let mut value = value.clone();
    redactor.json(&mut value);
    value.to_string()
}
