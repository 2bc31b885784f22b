//! Exhaustive routing: a step whose `on:` routes some outcomes sends the
//! others, silently, to whatever step happens to be below it, often an
//! unrelated conclusion; so does a check or action without `on:` right
//! above a conclusion, and a check that can fail with neither `on:` nor
//! `next:` above any step. Each such outcome is named with where it lands.

use crate::{Code, Diagnostic, Runbook, Step, Target, producible_keys};

pub(crate) fn check(runbook: &Runbook, reachable: &[bool], out: &mut Vec<Diagnostic>) {
    let steps = &runbook.steps.value;
    for (index, step) in steps.iter().enumerate() {
        if !reachable.get(index).copied().unwrap_or(false) {
            continue;
        }
        if step.next.is_some() {
            out.extend(super::next_routing::check(step));
            continue;
        }
        // Past the last step is RB205's finding.
        let Some(below) = steps.get(index + 1) else { continue };
        let routed = routed_keys(step);
        if routed.is_empty() {
            out.extend(unrouted_fall_through(step, below));
            continue;
        }
        let Some(producible) = producible_keys(step) else {
            out.push(open_answers(step, &routed, below));
            continue;
        };
        out.extend(unrouted_keys(step, &producible, below));
    }
}

/// RB210 for the keys of `producible` that `step` (which routes some and
/// has no `next:`) leaves to fall through to `below`; `None` when it routes
/// them all. A `call` step is judged again with its callee's statuses,
/// which only the call checks can read.
pub(crate) fn unrouted_keys(step: &Step, producible: &[String], below: &Step) -> Option<Diagnostic> {
    let routed = routed_keys(step);
    let unrouted: Vec<&String> = producible.iter().filter(|key| !routed.contains(&key.as_str())).collect();
    if unrouted.is_empty() {
        return None;
    }
    let names = backticked(&unrouted);
    let span = step.on.as_ref().map_or(step.id.span, |on| on.span);
    let example = unrouted.first().map_or("KEY", |key| key.as_str());
    Some(
        Diagnostic::new(
            Code::UnroutedOutcome,
            span,
            format!(
                "{names} of `{}` {} not routed and fall{} through to `{}`",
                step.id.value,
                if unrouted.len() == 1 { "is" } else { "are" },
                if unrouted.len() == 1 { "s" } else { "" },
                below.id.value
            ),
        )
        .with_label(format!("routes only {}", backticked(&routed)))
        .with_help(format!(
            "route it: `{example}: STEP` under `on:`, or add `next: {}` if the step below is meant",
            below.id.value
        )),
    )
}

/// RB210 for a `check` or an `action` with neither `on:` nor `next:`
/// right above a `conclude` step: every outcome but `pass` lands on that
/// verdict, so a 503 "concludes" the service is healthy; and for a check
/// that can fail (it has expectations) above any other step: its failure
/// lands on the step below as its pass does, with nothing saying it was
/// meant (H12, the lead's decision). `next:` says that the step below is
/// meant for every outcome (the failure is only evidence); a check that
/// cannot fail is not reported.
fn unrouted_fall_through(step: &Step, below: &Step) -> Option<Diagnostic> {
    if step.on.is_some() || (step.check.is_none() && step.action.is_none()) {
        return None;
    }
    let producible = producible_keys(step)?;
    let conclusion = below.conclude.as_ref();
    if conclusion.is_none() && (step.check.is_none() || !producible.iter().any(|key| key == "fail")) {
        return None;
    }
    let unrouted: Vec<String> = producible.into_iter().filter(|key| key != "pass").collect();
    let example = unrouted.first()?;
    let names = backticked(&unrouted);
    let (is, falls) = if unrouted.len() == 1 { ("is", "falls") } else { ("are", "fall") };
    let (id, below_id) = (&step.id.value, &below.id.value);
    let diagnostic = Diagnostic::new(
        Code::UnroutedOutcome,
        step.id.span,
        match conclusion {
            Some(conclusion) => format!(
                "{names} of `{id}` {is} not routed and {falls} through to `{below_id}`, which concludes `{}`",
                conclusion.status.value.name()
            ),
            None => format!("{names} of `{id}` {is} not routed and {falls} through to `{below_id}` as a pass does"),
        },
    );
    Some(match conclusion {
        Some(_) => diagnostic.with_label("no `on:`").with_help(format!(
            "route it: `on: {{ pass: {below_id}, {example}: STEP }}`, or add `next: {below_id}` if this conclusion \
             is meant whatever `{id}` finds"
        )),
        None => diagnostic.with_label("no `on:` or `next:`").with_help(format!(
            "add `next: {below_id}` to say the failure is only evidence, or route `on: {{ fail: STEP }}`"
        )),
    })
}

/// A `number` or `text` question whose `on:` routes some answers: every
/// other answer falls through to the step below.
fn open_answers(step: &Step, routed: &[&str], below: &Step) -> Diagnostic {
    let span = step.on.as_ref().map_or(step.id.span, |on| on.span);
    Diagnostic::new(
        Code::UnroutedOutcome,
        span,
        format!(
            "answers to `{}` other than {} are not routed and fall through to `{}`",
            step.id.value,
            backticked(routed),
            below.id.value
        ),
    )
    .with_label(format!("routes only {}", backticked(routed)))
    .with_help(format!(
        "add `next: STEP` for every other answer (the `on:` keys still win), or `next: {}` if the step below is \
         meant",
        below.id.value
    ))
}

/// What the step's `on:` and choice `goto`s route.
fn routed_keys(step: &Step) -> Vec<&str> {
    let mut keys: Vec<&str> = step.on.iter().flat_map(|on| on.value.keys().map(|key| key.as_str())).collect();
    if let Some(ask) = &step.ask {
        keys.extend(ask.choices.iter().filter(|choice| choice.goto.is_some()).map(|choice| choice.answer.as_str()));
    }
    keys
}

fn backticked(keys: &[impl AsRef<str>]) -> String {
    keys.iter().map(|key| format!("`{}`", key.as_ref())).collect::<Vec<_>>().join(", ")
}

/// Where a `when` chain that matches nothing lands, for RB206's label.
pub(crate) fn landing(runbook: &Runbook, index: usize, from_next: bool) -> String {
    let step = &runbook.steps.value[index];
    match (&step.next, from_next) {
        (Some(next), false) => match &next.value {
            Target::Goto(id) => format!("the run goes to `next`: `{id}`"),
            Target::Branches(_) => "the run goes to `next`".to_owned(),
        },
        _ => runbook.steps.value.get(index + 1).map_or_else(
            || "the run ends without a conclusion".to_owned(),
            |below| format!("the run falls through to `{}`, the step below", below.id.value),
        ),
    }
}
