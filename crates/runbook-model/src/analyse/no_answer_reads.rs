//! A `when` that reads what a probe without an answer leaves, where that
//! missing answer reaches it unrouted. The run stops there (a condition
//! never routes on a missing answer as if it were one: `vars.errors |
//! default(0) > 10` would read a timed-out grep as "0 errors"), so the
//! author learns at `check` what `run` would stop on mid-incident: route
//! the step's `error` first (review-10-attack5 H6, check half).
//!
//! Each `when` is judged against the steps it can concern only (its own,
//! those that capture a var it reads, those whose `steps.ID` it reads), not
//! against every step: the rule stays linear in the runbook's size.

use std::collections::{HashMap, HashSet};

use crate::analyse::expressions::{is_guarded, names};
use crate::analyse::templates::earlier_whens;
use crate::analyse::unmatched_captures::{NoAnswer, no_answers, reads_outcome, single_captures, whole_output};
use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Code, Diagnostic, Flow, ProbeKind, Runbook, Span, Step, Trigger};

/// A step whose probe may give no answer, as this rule reads it.
struct Answerless<'a> {
    step: &'a Step,
    /// Its single captures, each with whether a read of it looks safe
    /// (a `default`, or a whole output).
    captured: Vec<(&'a str, bool)>,
    /// The `when`s of its own `on: { error: … }` chain, which route it.
    on_error: Vec<Span>,
}

pub(crate) fn check(runbook: &Runbook, flow: &Flow, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    // `stop_if` is not judged on an attempt without an answer.
    let stop_ifs: HashSet<Span> = runbook
        .steps
        .iter()
        .filter_map(|step| step.retry.as_ref()?.stop_if.as_ref().map(|stop_if| stop_if.span))
        .collect();
    let whens: Vec<(usize, &TemplateSite<'_>, HashSet<String>)> = sites
        .iter()
        .filter(|site| site.kind == TemplateKind::Expression && !stop_ifs.contains(&site.span))
        .enumerate()
        .map(|(position, site)| (position, site, names(site)))
        .collect();
    if whens.is_empty() {
        return;
    }
    let answerless: Vec<Option<Answerless<'_>>> =
        runbook.steps.iter().enumerate().map(|(index, step)| answerless(flow, index, step)).collect();
    let mut capturing: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut with_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, step) in answerless.iter().enumerate() {
        let Some(step) = step else { continue };
        with_id.entry(step.step.id.as_str()).or_default().push(index);
        for (name, _) in &step.captured {
            capturing.entry(name).or_default().push(index);
        }
    }
    let mut reach: HashMap<(usize, &str), Option<NoAnswer<'_>>> = HashMap::new();
    // Found per (step, `when`), so that they come out in the order of a
    // walk over every step and, in each, every `when`.
    let mut found: Vec<(usize, usize, Diagnostic)> = Vec::new();
    for (position, site, read) in &whens {
        let mut concerned: Vec<usize> =
            site.step.filter(|at| answerless.get(*at).is_some_and(Option::is_some)).into_iter().collect();
        for name in read {
            let mut parts = name.split('.');
            let steps = match (parts.next(), parts.next()) {
                (Some("vars"), Some(var)) => capturing.get(var),
                (Some("steps"), Some(id)) => with_id.get(id),
                _ => None,
            };
            concerned.extend(steps.into_iter().flatten());
        }
        concerned.sort_unstable();
        concerned.dedup();
        for index in concerned {
            let Some(step) = &answerless[index] else { continue };
            if let Some(warning) = judge(runbook, flow, index, step, site, read, &mut reach) {
                found.push((index, *position, warning));
            }
        }
    }
    found.sort_by_key(|(index, position, _)| (*index, *position));
    out.extend(found.into_iter().map(|(_, _, warning)| warning));
}

/// The step at `index` as this rule reads it, if its probe may give no
/// answer.
fn answerless<'a>(flow: &Flow, index: usize, step: &'a Step) -> Option<Answerless<'a>> {
    if !may_give_no_answer(step) {
        return None;
    }
    // A capture read bare, without default, stops the run whenever it is
    // unset, which RB312 reports; only a read that looks safe is this
    // rule's: through a default or an `is defined` test, of a capture
    // with a `default`, or of a whole output (always set when answered).
    let captured = single_captures(step)
        .into_iter()
        .map(|(name, capture)| (name, capture.default.is_some() || whole_output(capture).is_some()))
        .collect();
    let on_error = flow.edges[index]
        .iter()
        .filter(|edge| edge.trigger == Trigger::Key("error".to_owned()))
        .filter_map(|edge| edge.when.as_ref().map(|when| when.span))
        .collect();
    Some(Answerless { step, captured, on_error })
}

/// The warning for `site`, which reads `read`, if the missing answer of
/// the step at `index` reaches it unrouted and it reads what that leaves.
/// `reach` keeps where each (step, var) missing answer goes (`""` for the
/// step's own facts).
fn judge<'a>(
    runbook: &'a Runbook,
    flow: &'a Flow,
    index: usize,
    step: &Answerless<'a>,
    site: &TemplateSite<'_>,
    read: &HashSet<String>,
    reach: &mut HashMap<(usize, &'a str), Option<NoAnswer<'a>>>,
) -> Option<Diagnostic> {
    if step.on_error.contains(&site.span) {
        return None;
    }
    let id = step.step.id.as_str();
    let own = site.step == Some(index);
    let mut read: Vec<String> = read.iter().map(|name| as_step(name, own, id)).collect();
    read.sort();
    let earlier = site.step.map(|at| earlier_whens(&runbook.steps[at], site.span)).unwrap_or_default();
    let routed = read.iter().any(|name| routes(name, id)) || earlier.iter().any(|when| reads_outcome(when, id, own));
    if routed {
        return None;
    }
    let name = read.iter().find(|name| {
        let mut parts = name.split('.');
        let key: &str = match (parts.next(), parts.next(), parts.next()) {
            (Some("vars"), Some(var), _) => {
                let Some((name, looks_set)) = step.captured.iter().find(|(name, _)| *name == var) else {
                    return false;
                };
                if !looks_set && !is_guarded(site.text, "vars", var) {
                    return false;
                }
                name
            }
            (Some("steps"), Some(of), field) if of == id && field.is_none_or(is_observation) => "",
            _ => return false,
        };
        let no_answer = reach.entry((index, key)).or_insert_with(|| {
            no_answers(runbook, flow, index, key).into_iter().find(|no_answer| no_answer.outcome == "error")
        });
        no_answer.as_ref().is_some_and(|no_answer| no_answer.covers(site))
    })?;
    Some(warning(site, name, id, step.step.collect.is_some()))
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

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse, load};

    /// The RB324 warnings of `yaml`: each as the step whose missing answer
    /// it names, what it says the `when` reads, and the `when`'s line (from 1).
    fn warned(yaml: &str) -> Vec<(String, String, usize)> {
        let source = Source::new("t.yaml", yaml.to_owned());
        let runbook = load(&source).expect("loads");
        analyse(&runbook)
            .into_iter()
            .filter(|d| d.code == Code::UnroutedNoAnswer)
            .map(|d| {
                let quoted = |at: usize| d.message.split('`').nth(at).unwrap_or_default().to_owned();
                (quoted(5), quoted(3), yaml[..d.span.start].lines().count())
            })
            .collect()
    }

    #[test]
    fn a_when_of_a_later_step_is_judged_against_each_step_whose_missing_answer_reaches_it() {
        // `late`'s `when` reads `steps.first.stdout` and the vars `first`,
        // `second` and `third` capture with a default: the missing answers
        // of `first` and `second` reach it unrouted, one warning each, in
        // step order; `third` routes its `error` elsewhere.
        let yaml = "id: t\ntitle: T\nsteps:\n  - id: first\n    collect:\n      cmd: { argv: [echo, '1'] }\n      \
                    capture: { n: { regex: '(\\d+)', default: '0' } }\n    next: second\n  - id: second\n    \
                    collect:\n      cmd: { argv: [echo, '2'] }\n      capture: { m: { regex: '(\\d+)', default: '0' } }\n    \
                    next: third\n  - id: third\n    check:\n      cmd: { argv: [echo, '3'] }\n      expect: [ { exit_code: 0 } ]\n      \
                    capture: { k: { regex: '(\\d+)', default: '0' } }\n    on: { pass: late, fail: late, error: gone }\n  \
                    - id: late\n    collect:\n      cmd: { argv: [echo, '4'] }\n    next:\n      \
                    - when: vars.k | int > vars.m | int and steps.first.stdout != vars.n\n        goto: gone\n      \
                    - goto: gone\n  - id: gone\n    conclude: { status: inconclusive }\n";
        let found = warned(yaml);
        let expected = [("first", "steps.first.stdout", 24), ("second", "vars.m", 24)];
        let expected: Vec<(String, String, usize)> =
            expected.iter().map(|(step, read, line)| ((*step).to_owned(), (*read).to_owned(), *line)).collect();
        assert_eq!(found, expected);
    }
}
