//! Flow rules: unreachable steps, runs that end without a conclusion, and
//! `when` chains without a default.

use crate::flow::{Destination, Trigger};
use crate::step_keys::why_never_produced;
use crate::{Code, Diagnostic, Flow, Runbook, Target};

pub(crate) fn check(runbook: &Runbook, flow: &Flow, references_broken: bool, out: &mut Vec<Diagnostic>) {
    let reachable = flow.reachable();
    super::exhaustive::check(runbook, &reachable, out);
    let can_end = flow.can_end(runbook);
    let mut enters_trap = vec![false; reachable.len()];
    if let Some(start) = flow.start {
        enters_trap[start] = !can_end[start];
    }
    for edge in flow.possible_edges() {
        if let Destination::Step(to) = edge.to
            && reachable[edge.from]
            && can_end[edge.from]
            && !can_end[to]
        {
            enters_trap[to] = true;
        }
    }
    for (index, step) in runbook.steps.iter().enumerate() {
        if !reachable[index] {
            if references_broken {
                continue;
            }
            let impossible = impossible_routes(runbook, flow, &reachable, index);
            let (label, help) = if impossible.is_empty() {
                (
                    "no path from the start leads here".to_owned(),
                    "route an outcome or an answer to it with `on:` or `next:`, or remove it".to_owned(),
                )
            } else {
                (
                    "only outcomes that never happen lead here".to_owned(),
                    format!(
                        "{}; route an outcome that can happen to it, or remove it and those routes",
                        impossible.join("; ")
                    ),
                )
            };
            out.push(
                Diagnostic::new(
                    Code::UnreachableStep,
                    step.id.span,
                    format!("step `{}` is unreachable", step.id.value),
                )
                .with_label(label)
                .with_help(help),
            );
            continue;
        }
        let ends: Vec<&str> = flow.edges[index]
            .iter()
            .filter(|edge| edge.possible && edge.to == Destination::End)
            .map(|edge| edge.label.as_str())
            .collect();
        if !ends.is_empty() {
            let what = if ends == ["then"] {
                "it is the last step".to_owned()
            } else {
                format!("`{}` lead past the last step", ends.join("`, `"))
            };
            out.push(
                Diagnostic::new(
                    Code::MissingConclusion,
                    step.id.span,
                    format!("the run can end after `{}` without a conclusion", step.id.value),
                )
                .with_label(what)
                .with_help("route these outcomes to a `conclude` step, so the record says what was found"),
            );
        } else if enters_trap[index] && !references_broken {
            out.push(
                Diagnostic::new(
                    Code::MissingConclusion,
                    step.id.span,
                    format!("no path from `{}` reaches a conclusion", step.id.value),
                )
                .with_label("every path from here loops until `max_visits` stops the run")
                .with_help("give the loop an exit: route an outcome or an answer to a `conclude` step"),
            );
        }
        let next = step.next.iter().map(|next| ("next", next));
        let on = step.on.iter().flat_map(|on| on.value.iter().map(|(key, target)| (key.as_str(), target)));
        {
            for (key, target) in next.chain(on) {
                if let Target::Branches(branches) = &target.value {
                    if let Some(position) = branches.iter().position(|branch| branch.when.is_none()) {
                        if let Some(dead) = branches.get(position + 1) {
                            out.push(
                                Diagnostic::new(Code::ConflictingFlow, dead.span, "this branch never applies")
                                    .with_label("after the default entry")
                                    .with_help(
                                        "the entry without `when` always matches: move it to the end of the list",
                                    ),
                            );
                        }
                    } else {
                        out.push(
                            Diagnostic::new(
                                Code::NoDefaultBranch,
                                target.span,
                                format!("no default for `{key}` when every `when` is false"),
                            )
                            .with_label(super::exhaustive::landing(runbook, index, key == "next"))
                            .with_help("end the list with an entry without `when`: `- goto: STEP`"),
                        );
                    }
                }
            }
        }
    }
}

/// Why each route to step `to` from a reachable step is never taken: the
/// outcome it names never happens there (`a` never ends in `error`: …).
fn impossible_routes(runbook: &Runbook, flow: &Flow, reachable: &[bool], to: usize) -> Vec<String> {
    let mut reasons: Vec<String> = flow
        .all_edges()
        .filter(|edge| !edge.possible && edge.to == Destination::Step(to) && reachable[edge.from])
        .filter_map(|edge| match &edge.trigger {
            Trigger::Key(key) => why_never_produced(&runbook.steps[edge.from], key),
            Trigger::Unrouted => None,
        })
        .collect();
    reasons.dedup();
    reasons
}
