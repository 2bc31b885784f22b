//! A capture that may find nothing, read without a fallback where the run
//! has no way back: in a conclusion, a question, a `when` or a `stop_if`,
//! and anywhere in an action (its `confirm`, command or request), which
//! would stop just as the operator is about to remediate.
//! A `regex` that does not match, a JSON path that selects nothing or a
//! missing header leaves the var unset, and the run stops at the worst
//! moment, when it concludes or branches.

use std::collections::BTreeMap;

use crate::analyse::expressions::{is_guarded, names};
use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Capture, CaptureType, Check, Code, Diagnostic, Runbook, Spanned};

/// Where a var may be left unset: the step and the capture's source.
struct Unmatched<'a> {
    step: &'a str,
    source: &'static str,
    /// A default of the capture's type, for the help: `0`, `"unknown"`.
    default: &'static str,
}

pub(crate) fn check(runbook: &Runbook, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    let mut unmatched: BTreeMap<&str, Unmatched<'_>> = BTreeMap::new();
    for step in runbook.steps.iter() {
        let mut captures: Vec<(&str, &Capture)> = Vec::new();
        if let Some(check) = step.probing() {
            walk(check, &mut captures);
        }
        if let Some(action) = &step.action {
            captures.extend(action.capture.iter().map(|(name, capture)| (name.as_str(), &capture.value)));
        }
        for (name, capture) in captures {
            if let Some(source) = may_find_nothing(capture) {
                let default = match capture.kind.as_ref().map(|kind| kind.value) {
                    Some(CaptureType::Int | CaptureType::Float) => "0",
                    Some(CaptureType::Bool) => "false",
                    Some(CaptureType::Duration) => "\"0ms\"",
                    Some(CaptureType::String | CaptureType::Json) | None => "\"unknown\"",
                };
                unmatched.entry(name).or_insert(Unmatched { step: &step.id, source, default });
            }
        }
    }
    if unmatched.is_empty() {
        return;
    }
    for (index, step) in runbook.steps.iter().enumerate() {
        let mut texts: Vec<&Spanned<String>> = Vec::new();
        if let Some(conclusion) = &step.conclude {
            texts.extend([&conclusion.diagnosis, &conclusion.remediation].into_iter().flatten());
            texts.extend(conclusion.escalation.as_ref().and_then(|escalation| escalation.message.as_ref()));
        }
        texts.extend(step.ask.as_ref().map(|ask| &ask.question));
        for text in texts {
            let site = TemplateSite {
                text,
                span: text.span,
                kind: TemplateKind::Template,
                step: Some(index),
                after_probe: false,
                item: None,
            };
            report(&site, &unmatched, out);
        }
    }
    let in_action = |site: &TemplateSite<'_>| {
        site.step.and_then(|index| runbook.steps.get(index)).is_some_and(|step| step.action.is_some())
    };
    for site in sites.iter().filter(|site| site.kind == TemplateKind::Expression || in_action(site)) {
        report(site, &unmatched, out);
    }
}

/// A warning for each var of `unmatched` that `site` reads unguarded.
fn report(site: &TemplateSite<'_>, unmatched: &BTreeMap<&str, Unmatched<'_>>, out: &mut Vec<Diagnostic>) {
    let mut read: Vec<String> = names(site).into_iter().collect();
    read.sort();
    for var in read.iter().filter_map(|name| name.strip_prefix("vars.")) {
        let var = var.split('.').next().unwrap_or(var);
        let Some(capture) = unmatched.get(var) else { continue };
        if is_guarded(site.text, "vars", var) {
            continue;
        }
        out.push(warning(site, var, capture));
    }
}

fn warning(site: &TemplateSite<'_>, var: &str, capture: &Unmatched<'_>) -> Diagnostic {
    let source = capture.source;
    let nothing = match source {
        "regex" => "a regex that does not match",
        "json" => "a JSON path that selects nothing",
        _ => "a header that is missing",
    };
    let fallback = if site.kind == TemplateKind::Expression {
        format!("test it first: `vars.{var} is defined and …`")
    } else {
        format!("write `{{{{ vars.{var} | default(\"unknown\") }}}}`")
    };
    Diagnostic::new(
        Code::CaptureMayNotMatch,
        site.span,
        format!("`vars.{var}` may be unset here: its `{source}` capture in `{}` has no `default`", capture.step),
    )
    .with_label(format!("reads `vars.{var}`; {nothing} leaves it unset and the run stops here"))
    .with_help(format!(
        "give the capture a default (`{var}: {{ {source}: …, default: {} }}`), or {fallback}",
        capture.default
    ))
}

/// Captures of a check and its `probes:` members; a `foreach` check
/// keeps a list with an entry per item, never an unset var.
fn walk<'a>(check: &'a Check, captures: &mut Vec<(&'a str, &'a Capture)>) {
    if check.foreach.is_some() {
        return;
    }
    captures.extend(check.capture.iter().map(|(name, capture)| (name.as_str(), &capture.value)));
    for member in check.probes.iter().flat_map(|probes| probes.values()) {
        walk(member, captures);
    }
}

/// The source of a capture that may find nothing and has no default.
fn may_find_nothing(capture: &Capture) -> Option<&'static str> {
    if capture.default.is_some() {
        return None;
    }
    if capture.regex.is_some() {
        Some("regex")
    } else if capture.json.is_some() {
        Some("json")
    } else if capture.header.is_some() {
        Some("header")
    } else {
        None
    }
}
