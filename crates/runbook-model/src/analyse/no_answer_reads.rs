//! A `when` that reads what a probe without an answer leaves, where that
//! missing answer reaches it unrouted. The run stops there (a condition
//! never routes on a missing answer as if it were one: `vars.errors |
//! default(0) > 10` would read a timed-out grep as "0 errors"), so the
//! author learns at `check` what `run` would stop on mid-incident: route
//! the step's `error` first (review-10-attack5 H6, check half).

use std::collections::{HashMap, HashSet};

use crate::analyse::expressions::{is_guarded, names};
use crate::analyse::templates::earlier_whens;
use crate::analyse::unmatched_captures::{NoAnswer, no_answers, reads_outcome, single_captures, whole_output};
use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Code, Diagnostic, Flow, ProbeKind, Runbook, Span, Step, Trigger};

pub(crate) fn check(runbook: &Runbook, flow: &Flow, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    // `stop_if` is not judged on an attempt without an answer.
    let stop_ifs: Vec<Span> = runbook
        .steps
        .iter()
        .filter_map(|step| step.retry.as_ref()?.stop_if.as_ref().map(|stop_if| stop_if.span))
        .collect();
    let whens: Vec<(&TemplateSite<'_>, HashSet<String>)> = sites
        .iter()
        .filter(|site| site.kind == TemplateKind::Expression && !stop_ifs.contains(&site.span))
        .map(|site| (site, names(site)))
        .collect();
    if whens.is_empty() {
        return;
    }
    for (index, step) in runbook.steps.iter().enumerate() {
        if !may_give_no_answer(step) {
            continue;
        }
        let id = step.id.as_str();
        // A capture read bare, without default, stops the run whenever it is
        // unset, which RB312 reports; only a read that looks safe is this
        // rule's: through a default or an `is defined` test, of a capture
        // with a `default`, or of a whole output (always set when answered).
        let captured: Vec<(&str, bool)> = single_captures(step)
            .into_iter()
            .map(|(name, capture)| (name, capture.default.is_some() || whole_output(capture).is_some()))
            .collect();
        let on_error: Vec<Span> = flow.edges[index]
            .iter()
            .filter(|edge| edge.trigger == Trigger::Key("error".to_owned()))
            .filter_map(|edge| edge.when.as_ref().map(|when| when.span))
            .collect();
        let mut reach: HashMap<&str, Option<NoAnswer>> = HashMap::new();
        for (site, read) in &whens {
            if on_error.contains(&site.span) {
                continue;
            }
            let own = site.step == Some(index);
            let mut read: Vec<String> = read.iter().map(|name| as_step(name, own, id)).collect();
            read.sort();
            let earlier = site.step.map(|at| earlier_whens(&runbook.steps[at], site.span)).unwrap_or_default();
            let routed =
                read.iter().any(|name| routes(name, id)) || earlier.iter().any(|when| reads_outcome(when, id, own));
            if routed {
                continue;
            }
            let found = read.iter().find_map(|name| {
                let mut parts = name.split('.');
                let key: &str = match (parts.next()?, parts.next()?, parts.next()) {
                    ("vars", var, _) => {
                        let (name, looks_set) = captured.iter().find(|(name, _)| *name == var)?;
                        if !looks_set && !is_guarded(site.text, "vars", var) {
                            return None;
                        }
                        name
                    }
                    ("steps", of, field) if of == id && field.is_none_or(is_observation) => "",
                    _ => return None,
                };
                let no_answer = reach.entry(key).or_insert_with(|| {
                    no_answers(runbook, flow, index, key).into_iter().find(|no_answer| no_answer.outcome == "error")
                });
                no_answer.as_ref().filter(|no_answer| no_answer.covers(site)).map(|_| name.clone())
            });
            if let Some(name) = found {
                out.push(warning(site, &name, id, step.collect.is_some()));
            }
        }
    }
}

/// Whether the step runs a probe that may give no answer
/// ([`ProbeKind::may_give_no_answer`]).
fn may_give_no_answer(step: &Step) -> bool {
    let answering = ProbeKind::may_give_no_answer;
    let check = step.probing().is_some_and(|check| {
        check.declared_probes().iter().any(|probe| answering(probe.kind()))
            || check
                .probes
                .iter()
                .flat_map(|probes| probes.values())
                .any(|member| member.declared_probes().iter().any(|probe| answering(probe.kind())))
    });
    let action =
        step.action.as_ref().is_some_and(|action| action.declared_probes().iter().any(|probe| answering(probe.kind())));
    check || action
}

/// `result.FIELD` read in a `when` of step `id` itself, as `steps.ID.FIELD`.
fn as_step(name: &str, own: bool, id: &str) -> String {
    match name.strip_prefix("result") {
        Some(rest) if own && (rest.is_empty() || rest.starts_with('.')) => format!("steps.{id}{rest}"),
        _ => name.to_owned(),
    }
}

/// Whether reading `name` routes the missing answer of step `id`: its
/// `outcome` or `error`.
fn routes(name: &str, id: &str) -> bool {
    name.strip_prefix("steps.")
        .and_then(|rest| rest.strip_prefix(id))
        .is_some_and(|rest| rest == ".outcome" || rest == ".error" || rest.starts_with(".error."))
}

/// Whether a step fact is an observation of a probe (`stdout`, `json`,
/// `status`, …), which a probe without an answer leaves broken.
fn is_observation(field: &str) -> bool {
    ProbeKind::ALL.iter().any(|kind| kind.facts().iter().any(|fact| fact.name == field))
}

fn warning(site: &TemplateSite<'_>, name: &str, id: &str, collect: bool) -> Diagnostic {
    let left = if name.starts_with("vars.") {
        "leaves unset (or at its capture's `default`)"
    } else {
        "leaves as it was when it failed"
    };
    let route = if collect {
        format!(
            "route the missing answer first: an earlier entry `- when: steps.{id}.outcome == \"error\"` in this chain, to a step that says `{id}` got no answer (a `collect` has no `on:`)"
        )
    } else {
        format!(
            "route the missing answer first: `on: {{ error: … }}` on `{id}`, or an earlier entry `- when: steps.{id}.outcome == \"error\"` in this chain"
        )
    };
    Diagnostic::new(
        Code::UnroutedNoAnswer,
        site.span,
        format!(
            "this `when` reads `{name}`, which `{id}` {left} when its probe gives no answer, and that missing answer reaches here unrouted: the run stops here then"
        ),
    )
    .with_label(format!("a timeout, a command not found or a refused connection in `{id}` stops the run here"))
    .with_help(format!("{route}; a `| default(…)` or `is defined` does not stand in for a missing answer"))
}
