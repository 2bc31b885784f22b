//! The keys a step can leave by: outcomes, answers, a called runbook's
//! conclusion status. One notion for `check` (RB207, RB210), the flow
//! graph's edges (which `graph`, `render`, the record and `runbook test`'s
//! coverage draw and count) and `--assume`.

use crate::{Check, Destination, ExpectationSeverity, Flow, Outcome, Runbook, Step};

/// The keys a step of this kind can produce for `on:`, or `None` when any
/// key may occur (answers of free-text questions). Empty for kinds with a
/// single exit (`collect`, `instruct`, `conclude`).
pub fn possible_keys(step: &Step) -> Option<Vec<String>> {
    let [declared] = step.declared()[..] else { return None };
    declared.possible_keys()
}

/// The keys this step can actually produce: [`possible_keys`] less what
/// its expectations rule out (each kind's `drop_unproducible` says what).
/// `None` when any key may occur (free-text answers).
pub fn producible_keys(step: &Step) -> Option<Vec<String>> {
    let [declared] = step.declared()[..] else { return None };
    let mut keys = declared.possible_keys()?;
    declared.drop_unproducible(step, &mut keys);
    Some(keys)
}

/// The keys a `call` step can end in, knowing its callee: the statuses
/// the callee's `conclude` steps give, and `error` when the call can end
/// without a conclusion: the step or the callee has a `timeout`, or the
/// callee can run past its last step.
pub fn call_keys(step: &Step, callee: &Runbook, callee_flow: &Flow) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for conclusion in callee.steps.iter().filter_map(|step| step.conclude.as_ref()) {
        let status = conclusion.status.value.name().to_owned();
        if !keys.contains(&status) {
            keys.push(status);
        }
    }
    let unfinished = step.timeout.is_some()
        || callee.timeout.is_some()
        || callee_flow.possible_edges().any(|edge| edge.to == Destination::End);
    if unfinished {
        keys.push(Outcome::Error.name().to_owned());
    }
    keys
}

/// Whether some run can produce `key` at `step`. A key the step's kind
/// never produces (a typo `check` reports as RB207) counts as producible,
/// so that what the author wrote is still drawn.
pub fn can_produce(step: &Step, key: &str) -> bool {
    let by_kind = possible_keys(step).is_some_and(|keys| keys.iter().any(|k| k == key));
    !by_kind || producible_keys(step).is_none_or(|keys| keys.iter().any(|k| k == key))
}

/// Why `step` never produces `key`, in words for a diagnostic's help;
/// `None` when it can ([`can_produce`]).
pub(crate) fn why_never_produced(step: &Step, key: &str) -> Option<String> {
    if can_produce(step, key) {
        return None;
    }
    let why = match key {
        "error" => {
            let check = step.check.as_ref().map(|check| &check.value);
            let judged = check.and_then(|check| {
                check.declared_probes().into_iter().find(|probe| probe.kind().judges_failure(&check.expect))
            });
            match judged {
                Some(probe) => format!(
                    "its `{}` probe is judged on the connection itself, so a refused, unresolvable or timed-out \
                     connection is a `fail`",
                    probe.kind().name()
                ),
                None => "its probes read the runbook's own environment, which always answers".to_owned(),
            }
        }
        "warn" => "no expectation of it has `severity: warn`".to_owned(),
        _ => "it has no expectation that can be false".to_owned(),
    };
    Some(format!("`{}` never ends in `{key}`: {why}", step.id.value))
}

/// Whether no probe of `check` can give an `error`: each judges itself
/// (`env`, which only looks at the process's environment) or is judged by
/// its expectations (`tcp` under `connected`: a refused or timed-out
/// connection is a `fail`).
pub(crate) fn never_errs(check: &Check) -> bool {
    if let Some(group) = &check.probes {
        return group.value.values().all(|member| never_errs(&member.value));
    }
    check
        .declared_probes()
        .iter()
        .any(|probe| probe.kind().judges_itself() || probe.kind().judges_failure(&check.expect))
}

/// The severities a step's expectations judge with.
#[derive(Default)]
pub(crate) struct Severities {
    fail: bool,
    warn: bool,
}

impl Severities {
    /// Notes one expectation's severity (`fail` unless it says).
    pub(crate) fn note(&mut self, severity: Option<ExpectationSeverity>) {
        match severity.unwrap_or_default() {
            ExpectationSeverity::Fail => self.fail = true,
            ExpectationSeverity::Warn => self.warn = true,
        }
    }

    /// Those of a check's expectations, its group members' included; a
    /// probe that judges itself fails.
    pub(crate) fn of_check(check: &Check) -> Self {
        let judges_itself = check.declared_probes().iter().any(|probe| probe.kind().judges_itself());
        let mut found = Self { fail: judges_itself, warn: false };
        for expectation in &check.expect {
            found.note(expectation.severity.as_ref().map(|s| s.value));
        }
        for member in check.probes.iter().flat_map(|probes| probes.value.values()) {
            let nested = Self::of_check(member);
            found.fail |= nested.fail;
            found.warn |= nested.warn;
        }
        found
    }

    /// Drops `warn` and `fail` from `keys` unless some expectation judges
    /// with them.
    pub(crate) fn drop_unjudged(&self, keys: &mut Vec<String>) {
        keys.retain(|key| (key != Outcome::Warn.name() || self.warn) && (key != Outcome::Fail.name() || self.fail));
    }
}
