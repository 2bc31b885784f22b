//! Exhaustive routing: a step whose `on:` routes some outcomes sends the
//! others, silently, to whatever step happens to be below it, often an
//! unrelated conclusion. Each such outcome is named with where it lands.

use crate::{Check, Code, Diagnostic, ExpectationSeverity, Outcome, Runbook, Step, StepKind, Target, possible_keys};

pub(crate) fn check(runbook: &Runbook, reachable: &[bool], out: &mut Vec<Diagnostic>) {
    let steps = &runbook.steps.value;
    for (index, step) in steps.iter().enumerate() {
        if !reachable.get(index).copied().unwrap_or(false) || step.next.is_some() {
            continue;
        }
        // Past the last step is RB205's finding.
        let Some(below) = steps.get(index + 1) else { continue };
        let routed = routed_keys(step);
        if routed.is_empty() {
            continue;
        }
        let unrouted: Vec<String> =
            producible_keys(step).into_iter().filter(|key| !routed.contains(&key.as_str())).collect();
        if unrouted.is_empty() {
            continue;
        }
        let names = backticked(&unrouted);
        let span = step.on.as_ref().map_or(step.id.span, |on| on.span);
        let example = unrouted.first().map_or("KEY", String::as_str);
        out.push(
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
        );
    }
}

/// What the step's `on:` and choice `goto`s route.
fn routed_keys(step: &Step) -> Vec<&str> {
    let mut keys: Vec<&str> = step.on.iter().flat_map(|on| on.value.keys().map(|key| key.as_str())).collect();
    if let Some(ask) = &step.ask {
        keys.extend(ask.choices.iter().filter(|choice| choice.goto.is_some()).map(|choice| choice.answer.as_str()));
    }
    keys
}

/// The keys this step can actually produce: a check without `warn`
/// expectations never warns, one without expectations never fails, one
/// whose probes all judge a TCP connection (and that has no `timeout` of
/// its own) never errs. Empty when any key may occur (free-text answers).
/// `runbook test` counts only the edges these keys can take.
pub fn producible_keys(step: &Step) -> Vec<String> {
    let Some(mut keys) = possible_keys(step) else { return Vec::new() };
    if step.timeout.is_none() && step.check.as_ref().is_some_and(|check| judges_every_connection(&check.value)) {
        keys.retain(|key| key != Outcome::Error.name());
    }
    let judged = match step.kind() {
        Some(StepKind::Check) => step.check.as_ref().map(|check| severities(check)),
        Some(StepKind::Action) => step.action.as_ref().map(|action| {
            let mut found = Severities::default();
            for expectation in &action.expect {
                found.note(expectation.severity.as_ref().map(|s| s.value));
            }
            found
        }),
        // No expectations judge these: every key of `possible_keys` stays.
        Some(StepKind::Collect | StepKind::Ask | StepKind::Instruct | StepKind::Call | StepKind::Conclude) | None => {
            None
        }
    };
    let Some(judged) = judged else { return keys };
    keys.into_iter()
        .filter(|key| (key != Outcome::Warn.name() || judged.warn) && (key != Outcome::Fail.name() || judged.fail))
        .collect()
}

/// Whether every probe of `check` is a `tcp` probe whose expectations read
/// `connected`: a refused or timed-out connection is then judged (`fail`),
/// never an `error`.
fn judges_every_connection(check: &Check) -> bool {
    if let Some(group) = &check.probes {
        return group.value.values().all(|member| judges_every_connection(&member.value));
    }
    check.declared_probes().iter().any(|probe| probe.kind().judges_failure(&check.expect))
}

#[derive(Default)]
struct Severities {
    fail: bool,
    warn: bool,
}

impl Severities {
    fn note(&mut self, severity: Option<ExpectationSeverity>) {
        match severity.unwrap_or_default() {
            ExpectationSeverity::Fail => self.fail = true,
            ExpectationSeverity::Warn => self.warn = true,
        }
    }
}

fn severities(check: &Check) -> Severities {
    let judges_itself = check.declared_probes().iter().any(|probe| probe.kind().judges_itself());
    let mut found = Severities { fail: judges_itself, warn: false };
    for expectation in &check.expect {
        found.note(expectation.severity.as_ref().map(|s| s.value));
    }
    for member in check.probes.iter().flat_map(|probes| probes.value.values()) {
        let nested = severities(member);
        found.fail |= nested.fail;
        found.warn |= nested.warn;
    }
    found
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
