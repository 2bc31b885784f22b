//! A capture that may find nothing, read without a fallback where the run
//! has no way back: in a conclusion, a question, a `when` or a `stop_if`,
//! and anywhere in an action (its `confirm`, command or request), which
//! would stop just as the operator is about to remediate.
//! A `regex` that does not match, a JSON path that selects nothing or a
//! missing header leaves the var unset, and the run stops at the worst
//! moment, when it concludes or branches.

use std::collections::BTreeMap;

use crate::analyse::expressions::{is_guarded, names};
use crate::analyse::templates::earlier_whens;
use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Capture, CaptureType, Check, Code, Diagnostic, Runbook, Spanned, Step};

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
        for (name, capture) in single_captures(step) {
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
            report(&site, &[], false, &unmatched, out);
        }
    }
    let in_action = |site: &TemplateSite<'_>| {
        site.step.and_then(|index| runbook.steps.get(index)).is_some_and(|step| step.action.is_some())
    };
    for site in sites.iter().filter(|site| site.kind == TemplateKind::Expression || in_action(site)) {
        let earlier = site.step.map(|step| earlier_whens(&runbook.steps[step], site.span)).unwrap_or_default();
        report(site, &earlier, in_action(site), &unmatched, out);
    }
}

/// A warning for each var of `unmatched` that `site` (in an action, or
/// not) reads unguarded, where `earlier` are the `when`s tried before it in
/// its chain.
fn report(
    site: &TemplateSite<'_>,
    earlier: &[&str],
    in_action: bool,
    unmatched: &BTreeMap<&str, Unmatched<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    let mut read: Vec<String> = names(site).into_iter().collect();
    read.sort();
    for var in read.iter().filter_map(|name| name.strip_prefix("vars.")) {
        let var = var.split('.').next().unwrap_or(var);
        let Some(capture) = unmatched.get(var) else { continue };
        if is_guarded(site.text, "vars", var) || earlier.iter().any(|when| routes_unset(when, var)) {
            continue;
        }
        out.push(warning(site, var, capture, in_action));
    }
}

/// Whether a `when` takes every run where `vars.VAR` is unset
/// (`vars.VAR is not defined`, `vars.VAR is undefined`, or either `or` more),
/// so that the `when`s after it never see it unset.
fn routes_unset(when: &str, var: &str) -> bool {
    let when = when.split_whitespace().collect::<Vec<_>>().join(" ");
    [format!("vars.{var} is not defined"), format!("vars.{var} is undefined")]
        .iter()
        .any(|test| when == *test || when.starts_with(&format!("{test} or ")))
}

fn warning(site: &TemplateSite<'_>, var: &str, capture: &Unmatched<'_>, in_action: bool) -> Diagnostic {
    let source = capture.source;
    let nothing = match source {
        "regex" => "a regex that does not match",
        "json" => "a JSON path that selects nothing",
        _ => "a header that is missing",
    };
    // A branch cannot tell a default from a reading: `"unknown"` counts as
    // true and `0` as healthy (RB320), so a branch routes the unset case,
    // and so does the step before an action, which must not act on a
    // placeholder; a text can show one.
    let help = if in_action {
        format!(
            "route the unset case away from the action: a branch `- when: vars.{var} is not defined` in the step before it, to a step that says the value could not be read"
        )
    } else if site.kind == TemplateKind::Expression {
        format!(
            "route the unset case first: a branch `- when: vars.{var} is not defined` before this one, to a step that says it could not be read; or test it here: `vars.{var} is defined and …`"
        )
    } else {
        format!(
            "write `{{{{ vars.{var} | default(\"unknown\") }}}}`, or give the capture a default (`{var}: {{ {source}: …, default: {} }}`)",
            capture.default
        )
    };
    Diagnostic::new(
        Code::CaptureMayNotMatch,
        site.span,
        format!("`vars.{var}` may be unset here: its `{source}` capture in `{}` has no `default`", capture.step),
    )
    .with_label(format!("reads `vars.{var}`; {nothing} leaves it unset and the run stops here"))
    .with_help(help)
}

/// The captures of a step that give one value each: its check's, its
/// `probes:` members' and its action's. A `foreach` check keeps a list
/// with an entry per item, never an unset var nor a default.
pub(crate) fn single_captures(step: &Step) -> Vec<(&str, &Capture)> {
    let mut captures: Vec<(&str, &Capture)> = Vec::new();
    if let Some(check) = step.probing() {
        walk(check, &mut captures);
    }
    if let Some(action) = &step.action {
        captures.extend(action.capture.iter().map(|(name, capture)| (name.as_str(), &capture.value)));
    }
    captures
}

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
