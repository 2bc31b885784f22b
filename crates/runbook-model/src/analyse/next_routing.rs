//! RB210 where `next:` takes outcomes its author did not mean for it: a
//! `next:` chain that tests the step's own outcome for some outcomes and
//! sends the rest to its default (`when: steps.api.outcome == "fail"`,
//! then `goto: healthy`: a refused connection is "healthy"), and an `on:`
//! that routes `fail` but leaves `error` (or the reverse) to `next:`,
//! which is meant for `pass`.

use indexmap::IndexMap;

use crate::{Code, Comparator, Diagnostic, OperandForm, Spanned, Step, Target, producible_keys};

/// The finding for `step`, which has a `next:`, if it has one.
pub(crate) fn check(step: &Step) -> Option<Diagnostic> {
    if step.check.is_none() && step.action.is_none() {
        return None;
    }
    let next = step.next.as_ref()?;
    let producible = producible_keys(step)?;
    match &step.on {
        Some(on) => on_beside_next(step, on, next, &producible),
        None => chain_over_outcome(step, next, &producible),
    }
}

/// An `on:` that routes `fail` or `error` and leaves the other to `next:`.
fn on_beside_next(
    step: &Step,
    on: &Spanned<IndexMap<Spanned<String>, Spanned<Target>>>,
    next: &Spanned<Target>,
    producible: &[String],
) -> Option<Diagnostic> {
    let routed: Vec<&str> = on.value.keys().map(|key| key.as_str()).collect();
    if !routed.iter().any(|key| matches!(*key, "fail" | "error")) {
        return None;
    }
    let unrouted = failures(producible, |key| routed.contains(&key))?;
    let names = backticked(&unrouted);
    let target = match &next.value {
        Target::Goto(id) => format!("`next: {id}`"),
        Target::Branches(_) => "`next:`".to_owned(),
    };
    Some(
        Diagnostic::new(
            Code::UnroutedOutcome,
            on.span,
            format!("{names} of `{}` {} to {target} with `pass`", step.id.value, verb(&unrouted, "goes", "go")),
        )
        .with_label(format!("routes {}", backticked(&routed)))
        .with_help(format!(
            "route it beside the others: `{}: STEP` under `on:` (`next:` is for what `on:` leaves, `pass` and \
             `warn`)",
            unrouted[0]
        )),
    )
}

/// A `next:` chain, without `on:`, that tests the step's own outcome for
/// some outcomes and has a default that takes the others.
fn chain_over_outcome(step: &Step, next: &Spanned<Target>, producible: &[String]) -> Option<Diagnostic> {
    let Target::Branches(branches) = &next.value else { return None };
    let default = branches.iter().find(|branch| branch.when.is_none())?;
    let mut tested = Vec::new();
    for when in branches.iter().filter_map(|branch| branch.when.as_ref()) {
        if !own_outcomes(&step.id.value, when, &mut tested) {
            return None;
        }
    }
    // A value no outcome has (`"passed"`) is RB313's finding.
    tested.retain(|value| producible.contains(value));
    if tested.is_empty() {
        return None;
    }
    let unrouted = failures(producible, |key| tested.iter().any(|t| t == key))?;
    let names = backticked(&unrouted);
    Some(
        Diagnostic::new(
            Code::UnroutedOutcome,
            default.value.goto.span,
            format!(
                "{names} of `{}` {} to `{}`, the default of a `next:` chain that tests {}",
                step.id.value,
                verb(&unrouted, "goes", "go"),
                default.value.goto.value,
                backticked(&tested)
            ),
        )
        .with_label("takes every outcome the chain does not test")
        .with_help(format!(
            "route outcomes with `on:` (`on: {{ {}: STEP }}`), or test `steps.{}.outcome == \"{}\"` in the chain",
            unrouted[0], step.id.value, unrouted[0]
        )),
    )
}

/// The failing outcomes (`fail`, `error`, an action's `skipped`) among
/// `producible` that `routed` leaves out; `None` when there are none.
fn failures(producible: &[String], routed: impl Fn(&str) -> bool) -> Option<Vec<String>> {
    let left: Vec<String> = producible
        .iter()
        .filter(|key| matches!(key.as_str(), "fail" | "error" | "skipped") && !routed(key))
        .cloned()
        .collect();
    (!left.is_empty()).then_some(left)
}

/// Adds to `tested` the outcomes `when` compares the step's own outcome
/// with (`steps.ID.outcome == "fail"`, `result.outcome in ["fail",
/// "error"]`); `false` when it compares it otherwise (`!=`, `not in`,
/// with something not written out), so that what the default takes is
/// not known.
fn own_outcomes(id: &str, when: &str, tested: &mut Vec<String>) -> bool {
    let own = |form: &OperandForm| {
        matches!(form, OperandForm::Path(path)
            if matches!(path.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
                ["steps", step, "outcome"] if *step == id)
            || matches!(path.iter().map(String::as_str).collect::<Vec<_>>().as_slice(), ["result", "outcome"]))
    };
    for comparison in crate::comparisons(when) {
        let other = if own(&comparison.left.form) {
            &comparison.right
        } else if own(&comparison.right.form) {
            &comparison.left
        } else {
            continue;
        };
        let written: Option<Vec<String>> = match (comparison.comparator, &other.form) {
            (Comparator::Eq, OperandForm::Literal(_)) => {
                serde_json::from_str::<String>(&other.text).ok().map(|v| vec![v])
            }
            (Comparator::In, OperandForm::Items(_)) => serde_json::from_str::<Vec<String>>(&other.text).ok(),
            _ => None,
        };
        let Some(written) = written else { return false };
        for value in written {
            if !tested.contains(&value) {
                tested.push(value);
            }
        }
    }
    true
}

fn verb(keys: &[String], one: &'static str, many: &'static str) -> &'static str {
    if keys.len() == 1 { one } else { many }
}

fn backticked(keys: &[impl AsRef<str>]) -> String {
    keys.iter().map(|key| format!("`{}`", key.as_ref())).collect::<Vec<_>>().join(", ")
}
