//! Why a run stopped before a conclusion, typed and located: the span is
//! the plan's, captured when the runbook was loaded, and the text it points
//! into is the plan's too, so a file edited during the run is never read
//! again to report an error. The CLI renders it like a `check` diagnostic.

use std::path::PathBuf;

use runbook_model::{Source, Span};

use crate::prepare::RenderError;

/// A run-time failure, located in the runbook it happened in.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}")]
pub struct RunError {
    /// What went wrong.
    pub kind: RunErrorKind,
    /// The text of the runbook it happened in, as the plan loaded it.
    pub text: Source,
    /// Where in that text: the field that failed (a templated value, a
    /// call's input, the `max_visits` that set the limit), else the step's
    /// id.
    pub span: Span,
}

/// What stopped a run.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RunErrorKind {
    /// A template could not be rendered with the run's facts.
    #[error("step `{step}`: {error}")]
    Template {
        /// The step (`call-step/inner` inside a called runbook).
        step: String,
        /// Which field and why.
        error: RenderError,
    },
    /// A step would run more often than its `max_visits`.
    #[error(
        "step `{step}` would run {visits} times, more than its max_visits of {limit}: the loop through it did not \
         converge"
    )]
    MaxVisits {
        /// The step.
        step: String,
        /// The visit that was refused.
        visits: u32,
        /// The limit.
        limit: u32,
        /// Who set it; the error points at that `max_visits`, or for the
        /// default at the transition that went back to the step once more.
        set_by: VisitLimit,
    },
    /// A `call` step's runbook could not be loaded or run.
    #[error("step `{step}` cannot call `{}`: {failure}", path.display())]
    Call {
        /// The `call` step.
        step: String,
        /// The called file.
        path: PathBuf,
        /// The files running when it was called, outermost first.
        chain: Vec<PathBuf>,
        /// Why.
        failure: CallFailure,
    },
    /// `foreach` rendered to something other than a list.
    #[error("step `{step}`: `foreach` must give a list, but gave {gave}")]
    Foreach {
        /// The step.
        step: String,
        /// What it gave, described.
        gave: String,
    },
    /// The step produced a key that no transition takes: only possible
    /// with `--assume` on a step that routes every outcome.
    #[error("step `{step}` gave `{key}`, which no transition routes")]
    Unrouted {
        /// The step.
        step: String,
        /// The outcome, answer or conclusion status.
        key: String,
    },
    /// The runbook's `timeout` passed.
    #[error("the runbook's timeout of {limit} passed during step `{step}`")]
    Timeout {
        /// The step that was running.
        step: String,
        /// The runbook's `timeout`.
        limit: runbook_model::Duration,
    },
    /// The journal could not be written: nothing more runs that it would
    /// not show (and that a resume would run again).
    #[error("{failure}; the run stopped there, before running anything else")]
    Journal {
        /// The step about to start, or the action about to run.
        step: String,
        /// Why the journal failed.
        failure: String,
    },
    /// An answer the question does not allow.
    #[error("the answer to step `{step}` is invalid: {message}")]
    InvalidAnswer {
        /// The step that asked.
        step: String,
        /// Why it is refused.
        message: String,
    },
    /// A run is resumed at a step the runbook no longer has: it changed
    /// since the run stopped. Located at the runbook's id.
    #[error("step `{step}`, where the run stopped, is no longer in the runbook: it cannot continue")]
    ResumedStepGone {
        /// The step the journal stopped at.
        step: String,
    },
    /// A check's probe answered, but the runbook could not read the answer
    /// (`type_mismatch`, `invalid_capture`), and the step's routing does
    /// not tell that apart from "no answer" by reading `error.kind`: the
    /// `error:` branch usually means "down", which this is not.
    #[error("step `{step}` got an answer it cannot read ({kind}): {message}")]
    Unreadable {
        /// The check.
        step: String,
        /// `type_mismatch` or `invalid_capture`.
        kind: String,
        /// The probe's message: the subject, both values and the fix.
        message: String,
    },
    /// A transition leads to a step that is not there (`check` refuses
    /// that, RB201; only a plan built without checking gets here).
    #[error("step `{step}` goes to `{to}`, which is not a step")]
    UnknownStep {
        /// The step the transition leaves.
        step: String,
        /// Where it leads.
        to: String,
    },
}

/// Where a step's `max_visits` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitLimit {
    /// The step's own `max_visits`.
    Step,
    /// The runbook's `max_visits`, for every step.
    Runbook,
    /// Neither: [`runbook_model::DEFAULT_MAX_VISITS`].
    Default,
}

/// Why a called runbook could not run.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallFailure {
    /// The plan was built without the runbooks it calls
    /// ([`runbook_model::Plan::new`]); [`runbook_model::Plan::load`] loads
    /// them, and refuses one that does not check clean before the run.
    #[error("it was not loaded with the runbook that calls it")]
    NotLoaded,
    /// Its inputs could not be resolved; located at the value given.
    #[error("{0}")]
    Inputs(crate::inputs::InputError),
    /// It stopped with a run-time error of its own (a type error, an unset
    /// var, visits exceeded, …): the caller stops too, since its `error`
    /// branch means "no conclusion", not "the callee is broken".
    #[error("it stopped: {}", .0.located())]
    Stopped(Box<RunError>),
}

impl RunError {
    /// How to fix it, shown under the snippet.
    pub fn help(&self) -> Option<String> {
        match &self.kind {
            RunErrorKind::Template { .. } => Some(format!(
                "`runbook check {}` reports names that may be unset on some path, and a string compared with a \
                     number where both types are known",
                self.text.name()
            )),
            RunErrorKind::MaxVisits { set_by: VisitLimit::Runbook, .. } => Some(
                "raise the runbook's `max_visits`, or give the step its own, if more rounds are expected".to_owned(),
            ),
            RunErrorKind::MaxVisits { set_by: VisitLimit::Step | VisitLimit::Default, .. } => {
                Some("raise `max_visits` on the step if more rounds are expected".to_owned())
            }
            RunErrorKind::Call { chain, path, .. } => {
                let files: Vec<String> =
                    chain.iter().chain(std::iter::once(path)).map(|file| format!("`{}`", file.display())).collect();
                Some(format!("called as {}", files.join(" → ")))
            }
            RunErrorKind::Timeout { .. } => {
                Some("raise the runbook's `timeout`, or bound the slow step with its own".to_owned())
            }
            RunErrorKind::Foreach { .. } => {
                Some("give `foreach` a list, or a template that renders to one: `\"{{ inputs.services }}\"`".to_owned())
            }
            RunErrorKind::Unrouted { .. } => Some("route it under `on:`, or give the step a `next`".to_owned()),
            RunErrorKind::Journal { .. } => Some(
                "free space on the record directory's disk (or make it writable), then `runbook resume` it: the \
                 journal holds the run up to this step"
                    .to_owned(),
            ),
            RunErrorKind::InvalidAnswer { step, .. } => Some(format!(
                "give one of the answers the step allows (`--answer {step}=…`); `runbook resume` asks it again"
            )),
            RunErrorKind::ResumedStepGone { .. } => Some(
                "the runbook changed since the run stopped: put the step back to resume, or start a new run".to_owned(),
            ),
            RunErrorKind::UnknownStep { .. } => Some("`runbook check` reports a transition to no step".to_owned()),
            RunErrorKind::Unreadable { kind, .. } => Some(format!(
                "the service answered, so its `error:` branch (\"no answer\") would be wrong: fix the expectation or \
                 capture as the message says, or route this apart under `on: error:` with \
                 `when: result.error.kind == \"{kind}\"`"
            )),
        }
    }

    /// What the snippet's marker says.
    pub fn label(&self) -> String {
        match &self.kind {
            RunErrorKind::ResumedStepGone { step } => format!("this runbook has no step `{step}` now"),
            RunErrorKind::MaxVisits { limit, set_by: VisitLimit::Step | VisitLimit::Runbook, .. } => {
                format!("the limit of {limit} visits")
            }
            RunErrorKind::MaxVisits { step, limit, set_by: VisitLimit::Default, .. } => {
                format!("goes back to `{step}` once more than the default {limit} visits")
            }
            _ => "the run stopped here".to_owned(),
        }
    }

    /// `file:line:col: message`, the one line the run's events and the
    /// journal keep.
    pub fn located(&self) -> String {
        let (line, column) = self.text.line_col(self.span.start);
        format!("{}:{line}:{column}: {}", self.text.name(), self.kind)
    }

    /// The same error with every value the run knows as secret replaced:
    /// a template's error or a command's message may quote one.
    pub(crate) fn redacted(mut self, redactor: &crate::redact::Redactor) -> Self {
        let text = |text: &mut String| *text = redactor.text(text).into_owned();
        match &mut self.kind {
            RunErrorKind::Template { error, .. } => text(&mut error.message),
            RunErrorKind::Call { failure: CallFailure::Stopped(inner), .. } => {
                **inner = (**inner).clone().redacted(redactor);
            }
            RunErrorKind::Call { failure: CallFailure::Inputs(error), .. } => {
                if let crate::inputs::InputError::Invalid { message, .. } = error {
                    text(message);
                }
            }
            RunErrorKind::Journal { failure: message, .. }
            | RunErrorKind::InvalidAnswer { message, .. }
            | RunErrorKind::Unreadable { message, .. } => {
                text(message);
            }
            RunErrorKind::Call { failure: CallFailure::NotLoaded, .. }
            | RunErrorKind::MaxVisits { .. }
            | RunErrorKind::Timeout { .. }
            | RunErrorKind::Unrouted { .. }
            | RunErrorKind::ResumedStepGone { .. }
            | RunErrorKind::UnknownStep { .. } => {}
            RunErrorKind::Foreach { gave, .. } => text(gave),
        }
        self
    }
}
