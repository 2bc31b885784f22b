//! Runbook test files (`NAME.test.yaml`): cases that run a runbook on
//! mocked observations and scripted answers, and what each must end with.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::{ConclusionStatus, Outcome, Severity, Spanned, StepMock};

/// The cases of one runbook.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// The runbook under test, relative to this file (default: `NAME.yaml`
    /// beside `NAME.test.yaml`).
    #[serde(default)]
    pub runbook: Option<Spanned<String>>,
    /// Inputs every case starts from; a case's own `inputs` win.
    #[serde(default)]
    pub inputs: IndexMap<Spanned<String>, Spanned<serde_json::Value>>,
    /// The cases, run in order, each from a fresh start.
    pub cases: Spanned<Vec<Spanned<Case>>>,
}

/// One scenario: inputs, what the probes observe, what the operator
/// answers, and how the run must end.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case describes, e.g. "readiness hangs: worker blamed". Unique
    /// in the file; the JUnit test name.
    pub name: Spanned<String>,
    /// Why the case matters.
    #[serde(default)]
    pub description: Option<String>,
    /// Input values by name, as `--inputs FILE` takes them.
    #[serde(default)]
    pub inputs: IndexMap<Spanned<String>, Spanned<serde_json::Value>>,
    /// Answers by step id, as `--answers FILE` takes them: a choice, `yes`
    /// or `no` for a confirm question or an action, a number or text; `yes`
    /// or `no` (not done: the run waits) or its notes as a map for an
    /// `instruct` step. Steps of a called runbook are
    /// `CALL-STEP/STEP`.
    #[serde(default)]
    pub answers: IndexMap<Spanned<String>, Spanned<serde_json::Value>>,
    /// What each probing step observes, by step id (`CALL-STEP/STEP` inside
    /// a called runbook). A probe that runs without one fails the case.
    #[serde(default)]
    pub observations: IndexMap<Spanned<String>, Spanned<StepMock>>,
    /// Runs the case as `run --read-only` would: actions are skipped, and
    /// so is a `check` or `collect` that sends an http `POST`, `PUT`,
    /// `PATCH` or `DELETE`.
    #[serde(default)]
    pub read_only: bool,
    /// How the run must end.
    pub expect: Spanned<CaseExpectations>,
}

/// What a case checks about the run. Every given field must hold.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseExpectations {
    /// The exact sequence of steps run (a step run twice appears twice).
    #[serde(default)]
    pub path: Option<Spanned<Vec<Spanned<String>>>>,
    /// Steps the path must go through, in this order, others allowed
    /// between them.
    #[serde(default)]
    pub through: Option<Spanned<Vec<Spanned<String>>>>,
    /// The `conclude` step the run must end at.
    #[serde(default)]
    pub conclusion: Option<Spanned<String>>,
    /// How the run must end: a conclusion status, or `ended` (past the
    /// last step), `failed` (a run-time error, `max_visits`), `timed_out`
    /// or `waiting` (an `instruct` step answered `no`).
    #[serde(default)]
    pub status: Option<Spanned<EndStatus>>,
    /// The conclusion's severity.
    #[serde(default)]
    pub severity: Option<Spanned<Severity>>,
    /// Text the rendered diagnosis must contain.
    #[serde(default)]
    pub diagnosis: Option<Spanned<String>>,
    /// Values `vars` must hold at the end, by name.
    #[serde(default)]
    pub vars: IndexMap<Spanned<String>, Spanned<serde_json::Value>>,
    /// Outcomes steps must have had (their last visit), by step id.
    #[serde(default)]
    pub outcomes: IndexMap<Spanned<String>, Spanned<Outcome>>,
    /// The actions that ran, in order; `[]` means none did.
    #[serde(default)]
    pub actions: Option<Spanned<Vec<Spanned<String>>>>,
}

/// How a case's run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndStatus {
    /// Concluded: the cause is known.
    Diagnosed,
    /// Concluded: the problem is fixed.
    Resolved,
    /// Concluded: handed over.
    Escalated,
    /// Concluded: the runbook could not tell.
    Inconclusive,
    /// Went past the last step without a conclusion.
    Ended,
    /// Stopped by a run-time error (a template error, `max_visits`).
    Failed,
    /// The runbook's `timeout` passed.
    TimedOut,
    /// Stopped at an `instruct` step the case answers `no` (not done), as
    /// `runbook run` stops with exit 5.
    Waiting,
}

impl From<ConclusionStatus> for EndStatus {
    fn from(status: ConclusionStatus) -> Self {
        match status {
            ConclusionStatus::Diagnosed => Self::Diagnosed,
            ConclusionStatus::Resolved => Self::Resolved,
            ConclusionStatus::Escalated => Self::Escalated,
            ConclusionStatus::Inconclusive => Self::Inconclusive,
        }
    }
}

impl EndStatus {
    /// The name as written in YAML: a conclusion's as `conclude` names it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Diagnosed => ConclusionStatus::Diagnosed.name(),
            Self::Resolved => ConclusionStatus::Resolved.name(),
            Self::Escalated => ConclusionStatus::Escalated.name(),
            Self::Inconclusive => ConclusionStatus::Inconclusive.name(),
            Self::Ended => "ended",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::Waiting => "waiting",
        }
    }
}
