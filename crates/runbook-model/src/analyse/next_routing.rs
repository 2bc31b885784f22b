//! RB210 where `next:` takes outcomes its author did not mean for it: a
//! `next:` chain that tests the step's own outcome for some outcomes and
//! sends the rest to its default (`when: steps.api.outcome == "fail"`,
//! then `goto: healthy`: a refused connection is "healthy"), and an `on:`
//! that routes `fail` but leaves `error` (or the reverse) to `next:`,
//! which is meant for `pass`. A chain that reads only what a failure has
//! too (the step's `duration`, one `error.kind`) sends every failure to its
//! default; and a `call`'s chain that never reads the callee's conclusion
//! sends an `inconclusive` callee there.

use indexmap::IndexMap;

use crate::analyse::expressions::{captures_of, names};
use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Branch, Code, Comparator, Diagnostic, OperandForm, Spanned, Step, Target, producible_keys};

/// The step's own facts that a failure has as well as a pass: how long it
/// took, its phases, why it had no answer. A chain reading only these
/// cannot tell a refused connection from a quick answer.
const FAILURE_BLIND_FACTS: &[&str] = &["duration", "probe_duration", "timing", "error"];
/// A callee's statuses that are no finding: it could not tell, handed the
/// incident on, or ended without a conclusion (`error`).
const NO_FINDING: &[&str] = &["inconclusive", "escalated", "error"];

/// The finding for `step`, which has a `next:`, if it has one.
pub(crate) fn check(step: &Step) -> Option<Diagnostic> {
    if step.check.is_none() && step.action.is_none() {
        return None;
    }
    let next = step.next.as_ref()?;
    let producible = producible_keys(step)?;
    match &step.on {
        Some(on) => on_beside_next(step, on, next, &producible),
        None => chain_over_outcome(step, next, &producible)
            .or_else(|| chain_over_failure_blind_facts(step, next, &producible)),
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

/// A `next:` chain, without `on:`, whose `when`s read of the step only
/// facts a failure has too (`steps.api.duration > "1s"`, `steps.api.error.kind
/// == "timeout"`) and has a default: that default takes every `fail` and
/// `error` (review-10-attack6 H7), a refused connection being quick. A
/// chain that reads the step's answer (a capture, `status`, `stdout`) is
/// not counted: a missing answer stops it (RB312, RB324).
fn chain_over_failure_blind_facts(step: &Step, next: &Spanned<Target>, producible: &[String]) -> Option<Diagnostic> {
    let (branches, _) = chain_with_default(next)?;
    let id = step.id.as_str();
    let own = format!("steps.{id}.");
    let captured = captures_of(step);
    let mut read: Vec<&str> = Vec::new();
    let mut every_error = false;
    for when in branches.iter().filter_map(|branch| branch.when.as_ref()) {
        for name in read_names(when) {
            if let Some(fact) = name.strip_prefix(&own).or_else(|| name.strip_prefix("result.")) {
                let head = fact.split('.').next().unwrap_or(fact);
                let blind = FAILURE_BLIND_FACTS.iter().find(|known| **known == head)?;
                if !read.contains(blind) {
                    read.push(blind);
                }
            } else if name == format!("steps.{id}") || name == "result" {
                return None;
            } else if let Some(var) = name.strip_prefix("vars.")
                && captured.contains(&var.split('.').next().unwrap_or(var))
            {
                return None;
            }
        }
        every_error |= tests_every_error(when, id);
    }
    if read.is_empty() {
        return None;
    }
    let unrouted = failures(producible, |key| key == "error" && every_error)?;
    let mut targets: Vec<&str> = Vec::new();
    for branch in branches {
        if !targets.contains(&branch.goto.as_str()) {
            targets.push(branch.goto.as_str());
        }
    }
    Some(
        Diagnostic::new(
            Code::UnroutedOutcome,
            next.span,
            format!(
                "{} of `{id}` {} this `next:` chain as a pass would: it reads only {} of `{id}`, which a failure \
                 has too, so {} {} on {}",
                backticked(&unrouted),
                verb(&unrouted, "takes", "take"),
                backticked(&read),
                if unrouted.len() == 1 { "it" } else { "they" },
                verb(&unrouted, "lands", "land"),
                or_list(&targets)
            ),
        )
        .with_label("routes failures like a pass")
        .with_help(format!(
            "route outcomes with `on:` and keep the chain under `pass:` (`on: {{ pass: [ … ], {}: STEP }}`), or \
             test `steps.{id}.outcome == \"{}\"` first in the chain",
            unrouted[0], unrouted[0]
        )),
    )
}

/// `` `a`, `b` or `c` ``.
fn or_list(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or `{last}`", backticked(rest)),
        _ => backticked(names),
    }
}

/// RB210 for a `call` step without `on:` whose `next:` chain has a default
/// and never reads the callee's conclusion, while `statuses` (what the
/// callee may end in, [`crate::call_keys`]) holds one that is no finding:
/// an `inconclusive` callee takes the chain's default (review-10-attack6
/// H8), often the reassuring one, and a `| default(…)` of its vars reads
/// as a value.
pub(crate) fn call_chain_without_conclusion(step: &Step, file: &str, statuses: &[String]) -> Option<Diagnostic> {
    if step.call.is_none() || step.on.is_some() {
        return None;
    }
    let (branches, default) = chain_with_default(step.next.as_ref()?)?;
    let id = step.id.as_str();
    let whens: Vec<&Spanned<String>> = branches.iter().filter_map(|branch| branch.when.as_ref()).collect();
    let reads_conclusion = whens.iter().any(|when| {
        read_names(when).iter().any(|name| {
            let fact = name.strip_prefix(&format!("steps.{id}")).or_else(|| name.strip_prefix("result"));
            fact.is_some_and(|fact| fact.is_empty() || fact.starts_with(".conclusion") || fact.starts_with(".message"))
        })
    });
    // The statuses the chain compares `conclusion.status` with; a read of
    // it written otherwise (`!=`, `not in`) leaves what it routes unknown
    // (review-10-attack7 H3).
    let status_path = |path: &[&str]| {
        matches!(path, ["steps", step, "conclusion", "status"] if *step == id)
            || matches!(path, ["result", "conclusion", "status"])
    };
    let mut tested = Vec::new();
    for when in &whens {
        if !compared_values(when, &status_path, &mut tested) {
            return None;
        }
    }
    let unrouted: Vec<&String> =
        statuses.iter().filter(|status| NO_FINDING.contains(&status.as_str()) && !tested.contains(*status)).collect();
    let first = unrouted.first()?;
    let chain = if tested.is_empty() && reads_conclusion {
        format!("a `next:` chain that never tests the status `{file}` concludes")
    } else if tested.is_empty() {
        format!("a `next:` chain that never reads the conclusion of `{file}`")
    } else {
        format!("a `next:` chain that tests only {} of `{file}`'s statuses", backticked(&tested))
    };
    Some(
        Diagnostic::new(
            Code::UnroutedOutcome,
            default.goto.span,
            format!(
                "{} of `{id}` {} to `{}`, the default of {chain}",
                backticked(&unrouted),
                if unrouted.len() == 1 { "goes" } else { "go" },
                default.goto.value,
            ),
        )
        .with_label("takes every status the chain does not test")
        .with_help(format!(
            "route the callee's statuses with `on:` (`on: {{ {first}: STEP, … }}`, a chain under a status), or test \
             `steps.{id}.conclusion.status == \"{first}\"` first in the chain"
        )),
    )
}

/// A `when` chain's entries and its default (the entry without `when`).
fn chain_with_default(next: &Spanned<Target>) -> Option<(&[Spanned<Branch>], &Branch)> {
    let Target::Branches(branches) = &next.value else { return None };
    let default = branches.iter().find(|branch| branch.when.is_none())?;
    Some((branches, &default.value))
}

/// The dotted names a `when` reads (`steps.api.error.kind`).
fn read_names(when: &Spanned<String>) -> std::collections::HashSet<String> {
    let site = TemplateSite {
        text: when,
        span: when.span,
        kind: TemplateKind::Expression,
        step: None,
        after_probe: true,
        item: None,
    };
    names(&site)
}

/// Whether one of the terms a `when` joins with `or` is `steps.ID.error is
/// defined` (or `result.error is defined`), which holds for every `error`.
fn tests_every_error(when: &str, id: &str) -> bool {
    let when = when.split_whitespace().collect::<Vec<_>>().join(" ");
    let tests = [format!("steps.{id}.error is defined"), "result.error is defined".to_owned()];
    when.split(" or ").any(|term| {
        let term = term.trim().trim_start_matches('(').trim_end_matches(')').trim();
        tests.iter().any(|test| term == test)
    })
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
    let own =
        |path: &[&str]| matches!(path, ["steps", step, "outcome"] if *step == id) || path == ["result", "outcome"];
    compared_values(when, &own, tested)
}

/// Adds to `tested` the values `when` compares a path `at` accepts with
/// (`== "fail"`, `in ["fail", "error"]`); `false` when it compares it
/// otherwise (`!=`, `not in`, with something not written out).
fn compared_values(when: &str, at: &dyn Fn(&[&str]) -> bool, tested: &mut Vec<String>) -> bool {
    let own = |form: &OperandForm| matches!(form, OperandForm::Path(path) if at(&path.iter().map(String::as_str).collect::<Vec<_>>()));
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
