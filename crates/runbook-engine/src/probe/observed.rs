//! What the rest of the engine and the CLI read of one kind's observation:
//! judging, captures, `steps.ID`, the record and the terminal evidence.
//! Each kind implements [`Observed`] in its own module; [`super::Observation`]
//! hands every call to its kind, so a new kind is its module, its variant,
//! and whatever the compiler then names in `probe/mod.rs`.

use std::time::Duration;

use runbook_model::{Capture, Expectation, Spanned, Subject};
use serde_json::Value;

use super::{Captured, ProbeError};
use crate::expect::ExpectationResult;
use crate::redact::Redactor;

/// One kind's observation, as everything outside its module reads it.
pub trait Observed {
    /// How long the probe took.
    fn duration(&self) -> Duration;

    /// Makes it take no time, as everything does on virtual time: its
    /// duration, and every phase of it measured, zero.
    fn take_no_time(&mut self);

    /// The failure that left nothing to judge, if any.
    fn error(&self) -> Option<&ProbeError>;

    /// Replaces secrets in everything it kept; returns the pieces of
    /// secrets that a dropped middle cut in two (`Captured::redact`).
    fn redact(&mut self, redactor: &Redactor) -> Vec<(String, String)>;

    /// Its text outputs by name, in order. The first is the one `json`
    /// subjects and `regex`/`json` captures read (`body`, `stdout`); each
    /// is also the text subject of its name, a record excerpt and a
    /// terminal excerpt.
    fn outputs(&self) -> Vec<(&'static str, &Captured)>;

    /// The value of a subject only this kind observes (`status`,
    /// `header NAME`, `exit_code`, `connected`, …), named as reported;
    /// `None` when it has no such subject (`check` refuses those, RB103).
    /// `duration`, `json` and the outputs are read for every kind.
    fn subject(&self, subject: Subject, expectation: &Expectation) -> Option<(String, Option<Value>)>;

    /// The value a capture from one of its own sources takes (`status`,
    /// `header`, `stdout`, …); `None` when it has none (RB108).
    fn capture(&self, capture: &Capture) -> Option<Value>;

    /// The facts `record.md` shows in one line (`status 503`, `in 12ms`).
    fn facts(&self) -> Vec<String>;

    /// The terminal's headline after the target (`503 in 12ms`), if any.
    fn headline(&self) -> Option<String>;

    /// The observation as a `runbook test` case mocks it (`{"http": …}`);
    /// `target` is the probe's one-line description.
    fn as_mock(&self, target: &str) -> Value;

    /// Whether `expect` judges the failure itself instead of it being an
    /// `error` (a refused `tcp` connection under `connected: false`).
    fn judges_failure(&self, expect: &[Spanned<Expectation>]) -> bool {
        let _ = expect;
        false
    }

    /// Why the probe failed, in words, when its expectations judge the
    /// failure themselves (a `tcp` connection not made, under `connected`):
    /// the outcome is then no `error`, so the view and the record say it
    /// beside the observation.
    fn judged_failure(&self) -> Option<String> {
        None
    }

    /// The error the observation stands for although the probe ran and
    /// answered (a command the shell could not find), unless `expect`
    /// judges that answer itself; `ran` is what ran, as shown.
    fn not_run(&self, expect: &[Spanned<Expectation>], ran: &str) -> Option<ProbeError> {
        let _ = (expect, ran);
        None
    }

    /// The results the probe judges by itself, before any expectation
    /// (each variable of an `env` probe).
    fn own_results(&self) -> Vec<ExpectationResult> {
        Vec::new()
    }
}

/// Whether an output was heard: a failed probe's empty output is no value.
pub(crate) fn heard(text: &Captured, error: Option<&ProbeError>) -> bool {
    error.is_none() || text.total_bytes > 0
}

/// A duration in milliseconds, as a JSON value.
/// `503 in 12ms`: how long, as people read it.
pub(crate) fn took(duration: Duration) -> String {
    super::elapsed_text(super::millis(duration))
}

/// Mocked text, kept within the default limits as a real probe keeps it.
pub(crate) fn mocked_text(text: &str) -> Captured {
    let mut captured = Captured::new();
    captured.push(text.as_bytes(), super::Limits::default().max_capture_bytes);
    captured
}

/// A mocked duration (none is no time).
pub(crate) fn mocked_duration(value: Option<&Spanned<runbook_model::Duration>>) -> Duration {
    value.map_or(Duration::ZERO, |d| d.value.0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::probe::{Captured, Observation, fixtures};

    /// `record/repeated.rs` leaves a step's facts out of the journal where
    /// its probe's event makes them again: an observation that reads back
    /// exactly makes the same facts once read back, and one that does not
    /// (output holding the "bytes dropped" marker) says so.
    #[test]
    fn an_observation_read_back_makes_the_same_step_facts() {
        let mut nul = fixtures::cmd("");
        let mut marked = fixtures::cmd("");
        if let (Observation::Cmd(nul), Observation::Cmd(marked)) = (&mut nul, &mut marked) {
            nul.stdout = Captured::new();
            nul.stdout.push(&vec![0; 5000], 1000);
            let mut stream = "x".repeat(600).into_bytes();
            stream.extend_from_slice("\n[… 2630 bytes dropped …]\n".as_bytes());
            stream.extend(std::iter::repeat_n(b'z', 4000));
            marked.stdout = Captured::new();
            marked.stdout.push(&stream, 2000);
        }
        for observation in [
            fixtures::http(200, r#"{"a":1}"#, Duration::from_millis(3)),
            fixtures::https(30),
            fixtures::cmd("out\n"),
            nul,
            marked,
        ] {
            let read: Observation = serde_json::from_str(&serde_json::to_string(&observation).unwrap()).unwrap();
            let same = read.step_facts() == observation.step_facts();
            assert_eq!(same, observation.reads_back_exactly(), "{observation:?}");
        }
    }
}
