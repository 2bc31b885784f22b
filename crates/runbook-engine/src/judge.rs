//! Judging one probe: its observation and expectations give an outcome.

use runbook_model::{Expectation, ExpectationSeverity, Outcome, Spanned, Subject};
use serde_json::Value;

use crate::expect::{ExpectationResult, evaluate};
use crate::probe::{Observation, ProbeError};

/// A probe's outcome, with each expectation's result.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// `pass`, `warn`, `fail` or `error`.
    pub outcome: Outcome,
    /// Each predicate's result, in the order written.
    pub expectations: Vec<ExpectationResult>,
    /// Why the outcome is `error`.
    pub error: Option<ProbeError>,
}

/// Judges `observation` with `expect`.
///
/// A probe error (timeout, refused, …) leaves nothing to judge and gives
/// `error`, except for a `tcp` probe whose expectations read `connected`:
/// a refused connection is then exactly what they judge. An `env` probe
/// judges itself: every variable must meet its condition.
pub fn judge(observation: &Observation, expect: &[Spanned<Expectation>]) -> Verdict {
    // An interrupted attempt saw nothing, whatever the expectations read.
    let interrupted = observation.error().is_some_and(|error| error.kind == crate::probe::ErrorKind::Interrupted);
    let judges_connection = matches!(observation, Observation::Tcp(_))
        && !interrupted
        && expect.iter().any(|e| e.subjects().iter().any(|(subject, _)| *subject == Subject::Connected));
    if let Some(error) = observation.error().filter(|_| !judges_connection) {
        return Verdict { outcome: Outcome::Error, expectations: Vec::new(), error: Some(error.clone()) };
    }
    let mut expectations = Vec::new();
    if let Observation::Env(env) = observation {
        for var in &env.vars {
            let predicate = if var.required_non_empty { "non_empty" } else { "set" };
            expectations.push(ExpectationResult {
                subject: format!("env {}", var.name),
                predicate: predicate.to_owned(),
                expected: Value::Bool(true),
                actual: Some(Value::Bool(if var.required_non_empty { var.non_empty } else { var.set })),
                passed: var.ok(),
                severity: ExpectationSeverity::Fail,
                message: None,
            });
        }
    }
    for expectation in expect {
        match evaluate(expectation, observation) {
            Ok(results) => expectations.extend(results),
            Err(error) => return Verdict { outcome: Outcome::Error, expectations, error: Some(error) },
        }
    }
    // Kept with the probe's evidence for the rest of the run: no spare room
    // per probe (a `foreach` holds thousands).
    expectations.shrink_to_fit();
    let failed = |severity| expectations.iter().any(|e| !e.passed && e.severity == severity);
    let outcome = if failed(ExpectationSeverity::Fail) {
        Outcome::Fail
    } else if failed(ExpectationSeverity::Warn) {
        Outcome::Warn
    } else {
        Outcome::Pass
    };
    Verdict { outcome, expectations, error: None }
}

/// The worst of several outcomes (`pass` < `warn` < `fail` < `error`);
/// `pass` for none. Skipped parts do not count.
pub fn worst(outcomes: impl IntoIterator<Item = Outcome>) -> Outcome {
    outcomes.into_iter().filter(|o| *o != Outcome::Skipped).max().unwrap_or(Outcome::Pass)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::probe::{ErrorKind, TcpObservation, fixtures};

    fn expect(yaml: &str) -> Vec<Spanned<Expectation>> {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn outcomes_follow_the_failed_severities() {
        let observation = fixtures::http(429, "{}", Duration::from_millis(5));
        assert_eq!(judge(&observation, &expect("[{status: 429}]")).outcome, Outcome::Pass);
        assert_eq!(judge(&observation, &expect("[{status: 200}]")).outcome, Outcome::Fail);
        let soft = expect("[{status: 200, severity: warn}]");
        assert_eq!(judge(&observation, &soft).outcome, Outcome::Warn);
        let invalid = judge(&fixtures::cmd("not json"), &expect("[{json: $.a, eq: 1}]"));
        assert_eq!((invalid.outcome, invalid.error.map(|e| e.kind)), (Outcome::Error, Some(ErrorKind::InvalidJson)));
    }

    #[test]
    fn a_refused_connection_is_judged_when_expectations_read_connected() {
        let refused = Observation::Tcp(TcpObservation {
            connected: false,
            address: None,
            duration: Duration::ZERO,
            error: Some(ProbeError::new(ErrorKind::Refused, "refused")),
        });
        assert_eq!(judge(&refused, &expect("[{connected: false}]")).outcome, Outcome::Pass);
        assert_eq!(judge(&refused, &[]).outcome, Outcome::Error);
        assert_eq!(worst([Outcome::Pass, Outcome::Skipped, Outcome::Warn]), Outcome::Warn);
        assert_eq!(worst([Outcome::Fail, Outcome::Error]), Outcome::Error);
    }
}
