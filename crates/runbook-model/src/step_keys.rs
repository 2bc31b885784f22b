//! The keys a step can leave by: outcomes, answers, a called runbook's
//! conclusion status. One notion for `check` (RB207, RB210), the flow
//! graph's edges (which `graph`, `render`, the record and `runbook test`'s
//! coverage draw and count) and `--assume`.

use crate::{Check, ConclusionStatus, ExpectationSeverity, Outcome, Step, StepKind};

/// The keys a step of this kind can produce for `on:`, or `None` when any
/// key may occur (answers of free-text questions). Empty for kinds with a
/// single exit (`collect`, `instruct`, `conclude`).
pub fn possible_keys(step: &Step) -> Option<Vec<String>> {
    let outcomes = |list: &[Outcome]| Some(list.iter().map(|o| o.name().to_owned()).collect());
    match step.kind()? {
        StepKind::Check => outcomes(&[Outcome::Pass, Outcome::Warn, Outcome::Fail, Outcome::Error]),
        StepKind::Action => outcomes(&Outcome::ALL),
        StepKind::Ask => step
            .ask
            .as_ref()
            .and_then(|ask| ask.closed_answers())
            .map(|answers| answers.into_iter().map(str::to_owned).collect()),
        StepKind::Call => Some(
            ConclusionStatus::ALL.iter().map(|status| status.name().to_owned()).chain(["error".to_owned()]).collect(),
        ),
        StepKind::Collect | StepKind::Instruct | StepKind::Conclude => Some(Vec::new()),
    }
}

/// The keys this step can actually produce: [`possible_keys`] less what
/// its expectations rule out. A check without `warn` expectations never
/// warns, one without expectations never fails, one whose probes all read
/// the environment or judge a TCP connection (and that has no `timeout` of
/// its own) never errs.
/// `None` when any key may occur (free-text answers).
pub fn producible_keys(step: &Step) -> Option<Vec<String>> {
    let mut keys = possible_keys(step)?;
    if step.timeout.is_none() && step.check.as_ref().is_some_and(|check| never_errs(&check.value)) {
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
    let Some(judged) = judged else { return Some(keys) };
    keys.retain(|key| (key != Outcome::Warn.name() || judged.warn) && (key != Outcome::Fail.name() || judged.fail));
    Some(keys)
}

/// Whether some run can produce `key` at `step`. A key the step's kind
/// never produces (a typo `check` reports as RB207) counts as producible,
/// so that what the author wrote is still drawn.
pub fn can_produce(step: &Step, key: &str) -> bool {
    let by_kind = possible_keys(step).is_some_and(|keys| keys.iter().any(|k| k == key));
    !by_kind || producible_keys(step).is_none_or(|keys| keys.iter().any(|k| k == key))
}

/// Whether no probe of `check` can give an `error`: each judges itself
/// (`env`, which only looks at the process's environment) or is judged by
/// its expectations (`tcp` under `connected`: a refused or timed-out
/// connection is a `fail`).
fn never_errs(check: &Check) -> bool {
    if let Some(group) = &check.probes {
        return group.value.values().all(|member| never_errs(&member.value));
    }
    check
        .declared_probes()
        .iter()
        .any(|probe| probe.kind().judges_itself() || probe.kind().judges_failure(&check.expect))
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
