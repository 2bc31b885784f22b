//! Where an interrupted or waiting run continues, read from its journal:
//! the step it stopped in (or the one its last transition chose), with
//! vars, step facts and visit counts as they were.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use runbook_model::Outcome;
use serde_json::Value;

use super::journal::Entry;
use crate::event::{ActionDecision, CalleeFile, Event, Part, RunInfo, RunStatus};
use crate::interpret::{FinishedAction, Mode, Resume};
use crate::probe::{ErrorKind, ProbeError};
use crate::step_facts::{KindFacts, NoAnswerVar, ProbedFacts, StepFacts};
use runbook_model::StepPath;

/// What `runbook resume` needs from a journal.
#[derive(Debug, Clone)]
pub struct ResumePoint {
    /// The runbook file the run started from.
    pub path: String,
    /// Its SHA-256 when the run started, or when a resume last went on with
    /// a changed text (`--allow-changed`).
    pub sha256: String,
    /// The mode the run started in, which it keeps.
    pub mode: Mode,
    /// The inputs as journaled (secrets redacted: they must be given again).
    pub inputs: IndexMap<String, Value>,
    /// A dry run's assumed outcomes, by step.
    pub assume: IndexMap<String, Outcome>,
    /// The run's `--fail-on` terms, which a resume keeps unless given its
    /// own.
    pub fail_on: Vec<String>,
    /// The runbooks its `call` steps can run, each once, as loaded when it
    /// started or last resumed with a changed text (a journal written before
    /// runs loaded them at the start names those its `call` steps ran).
    pub calls: Vec<CalleeFile>,
    /// Where and how to continue.
    pub resume: Resume,
}

/// Why a journal gives no place to continue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// The journal holds no line at all.
    #[error("the run was stopped before it started (its journal is empty): start it again with `runbook run`")]
    Empty,
    /// The journal holds lines but no `run_started`.
    #[error("the journal has no `run_started` line: it is not the journal of a run")]
    NotARun,
    /// The run concluded, ended, failed or timed out.
    #[error("the run already ended ({}): there is nothing to resume", .0.name())]
    Ended(RunStatus),
    /// The last transition went past the last step.
    #[error("the run went past its last step: there is nothing to resume")]
    PastLastStep,
}

/// Finds where the run in `entries` continues. Refuses a run that already
/// ended (concluded, ended, failed, timed out).
pub fn resume_point(entries: &[Entry]) -> Result<ResumePoint, ResumeError> {
    let header: &RunInfo = entries
        .iter()
        .find_map(|entry| match &entry.event {
            Event::RunStarted(info) => Some(info),
            _ => None,
        })
        .ok_or(if entries.is_empty() { ResumeError::Empty } else { ResumeError::NotARun })?;
    let mut ended: Option<RunStatus> = None;
    // The highest visit journaled per step: a step started again by a
    // resume repeats its visit number rather than adding one.
    let mut visits: HashMap<String, u32> = HashMap::new();
    let mut vars = IndexMap::new();
    let mut steps = IndexMap::new();
    // The text the run last went on with: as it started, or as a resume
    // with `--allow-changed` found it.
    let mut sha256 = header.sha256.clone();
    let mut calls = header.callees.clone();
    // A journal written before runs loaded their callees at the start names
    // only those its `call` steps ran.
    let from_calls = calls.is_empty();
    // The step running when the journal stops.
    let mut open: Option<String> = None;
    // The last step that finished, and where its transition went (`None`
    // until one is journaled: an aborted step has none).
    let mut last: Option<(String, Option<Option<String>>)> = None;
    // The step whose action was confirmed to run and that has not been
    // routed since: the action may have run. Starting the step again (a
    // resume that stopped to ask) does not clear it; only the step's
    // routing does, after an explicit yes ran it or a no declined it.
    let mut in_flight: Option<String> = None;
    // Actions of called runbooks confirmed since the latest top-level step
    // was routed: re-running that `call` step must not run them again
    // unasked, however many resumes stop on the way.
    let mut inner_actions: Vec<String> = Vec::new();
    // Actions (the in-flight one, and those of called runbooks since the
    // latest top-level step was routed) whose ending is journaled: they
    // ran to the end, and resume takes that ending instead of asking.
    let mut finished: HashMap<String, FinishedAction> = HashMap::new();
    // The last attempt's probes of each step, to show again with a question.
    let mut evidence: HashMap<String, (u32, Vec<Arc<Part>>)> = HashMap::new();
    // What the run learned of secrets, in every process before this one.
    let mut learned_secrets = Vec::new();
    // The vars a probe without an answer left, as the run had them.
    let mut no_answer_vars = IndexMap::new();
    let top = |step: &str| StepPath::new(step).is_top_level();
    for entry in entries {
        match &entry.event {
            Event::SecretsLearned { secrets, .. } => {
                learned_secrets.extend(secrets.iter().map(|secret| (entry.line, secret.clone())));
            }
            Event::RunFinished { status, .. } => ended = Some(*status),
            Event::Resumed { text, .. } => {
                ended = None;
                if let Some(text) = text {
                    sha256.clone_from(&text.sha256);
                    calls.clone_from(&text.callees);
                }
            }
            Event::Called { path, runbook, sha256, .. } => {
                if from_calls && !calls.iter().any(|called| called.path == *path) {
                    calls.push(CalleeFile {
                        path: path.clone(),
                        runbook: runbook.clone(),
                        sha256: sha256.clone(),
                        env_secrets: Vec::new(),
                    });
                }
            }
            Event::StepStarted { step, visit, .. } if top(step) => {
                let count = visits.entry(step.clone()).or_default();
                *count = (*count).max(*visit);
                open = Some(step.clone());
            }
            Event::ActionDecided { step, decision: ActionDecision::Run, .. } if !top(step) => {
                inner_actions.push(step.clone());
            }
            Event::ActionDecided { step, decision: ActionDecision::Run, .. } => {
                in_flight = Some(step.clone());
            }
            Event::Probe { step, attempt, part } => {
                let shown = evidence.entry(step.clone()).or_default();
                if shown.0 != *attempt {
                    *shown = (*attempt, Vec::new());
                }
                shown.1.push(part.clone());
            }
            // An action cut by a signal did not finish: it may have run in
            // part, and stays in flight.
            Event::StepFinished { step, outcome, error, captures, uncaptured, facts, .. }
                if (in_flight.as_ref() == Some(step) || inner_actions.contains(step))
                    && error.as_ref().is_none_or(|error| error.kind != ErrorKind::Interrupted) =>
            {
                let action = FinishedAction {
                    outcome: *outcome,
                    error: error.clone(),
                    captures: captures.clone(),
                    uncaptured: uncaptured.clone(),
                    facts: facts.clone(),
                };
                finished.insert(step.clone(), action);
                if top(step) {
                    let left = Left { step, outcome: *outcome, error: error.as_ref(), captures, uncaptured };
                    left.note(facts.as_ref(), &mut no_answer_vars);
                    for name in uncaptured {
                        vars.shift_remove(name);
                    }
                    vars.extend(captures.iter().map(|(k, v)| (k.clone(), v.clone())));
                    steps.extend(facts.clone().map(|facts| (step.clone(), facts)));
                    open = None;
                    last = Some((step.clone(), None));
                }
            }
            Event::StepFinished { step, outcome, error, captures, uncaptured, facts, .. } if top(step) => {
                let left = Left { step, outcome: *outcome, error: error.as_ref(), captures, uncaptured };
                left.note(facts.as_ref(), &mut no_answer_vars);
                for name in uncaptured {
                    vars.shift_remove(name);
                }
                vars.extend(captures.iter().map(|(k, v)| (k.clone(), v.clone())));
                steps.extend(facts.clone().map(|facts| (step.clone(), facts)));
                open = None;
                last = Some((step.clone(), None));
            }
            Event::Transition { from, to: next, .. } => {
                if top(from) {
                    in_flight.take_if(|id| id == from);
                    inner_actions.clear();
                    finished.clear();
                }
                if let Some((id, to)) = &mut last
                    && id == from
                {
                    *to = Some(next.clone());
                }
            }
            Event::RunStarted(_)
            | Event::StepStarted { .. }
            | Event::ActionDecided { .. }
            | Event::StepFinished { .. }
            | Event::AttemptFinished { .. }
            | Event::Waiting { .. }
            | Event::Question { .. }
            | Event::Answered { .. }
            | Event::Instructed { .. }
            | Event::Concluded { .. } => {}
        }
    }
    if let Some(status) = ended.filter(|status| !matches!(status, RunStatus::Waiting | RunStatus::Aborted)) {
        return Err(ResumeError::Ended(status));
    }
    let open_step = open.clone().or_else(|| last.as_ref().map(|(step, _)| step.clone()));
    let step = match (open, last) {
        (Some(step), _) => Some(step),
        (None, Some((_, Some(Some(next))))) => Some(next),
        // Finished but not routed: the step was interrupted; run it again
        // (an action only with an explicit yes).
        (None, Some((step, None))) => {
            steps.shift_remove(&step);
            Some(step)
        }
        (None, Some((_, Some(None)))) => return Err(ResumeError::PastLastStep),
        // Nothing ran yet: from the runbook's start.
        (None, None) => None,
    };
    let step_name = step.as_deref().unwrap_or_default();
    // Only the actions of the step the run continues with count.
    finished.retain(|name, _| step.is_some() && StepPath::new(name).is_within(step_name));
    let action_in_flight =
        step.is_some() && in_flight.as_deref() == step.as_deref() && !finished.contains_key(step_name);
    // The step will run again and count this visit again.
    if let Some(count) = visits.get_mut(step_name) {
        *count = count.saturating_sub(1);
    }
    let actions_ran = if step.is_some() && open_step == step { inner_actions } else { Vec::new() };
    Ok(ResumePoint {
        path: header.path.clone(),
        sha256,
        mode: header.mode,
        inputs: header.inputs.clone(),
        assume: header.assume.clone(),
        fail_on: header.fail_on.clone(),
        calls,
        resume: Resume {
            run_id: header.id.clone(),
            started_at: header.started_at.clone(),
            step,
            visits,
            vars,
            steps,
            action_in_flight,
            actions_ran,
            actions_done: finished,
            evidence: evidence.into_iter().map(|(step, (_, parts))| (step, parts)).collect(),
            runbook_changed: false,
            secret_salt: header.secret_salt.clone(),
            secret_keyed_by: header.secret_keyed_by.clone(),
            learned_secrets,
            no_answer_vars,
        },
    })
}

/// What a top-level step's finish left in the vars.
struct Left<'a> {
    step: &'a str,
    outcome: Option<Outcome>,
    error: Option<&'a ProbeError>,
    captures: &'a IndexMap<String, Value>,
    uncaptured: &'a [String],
}

impl Left<'_> {
    /// Notes in `marks` the vars it left without an answer, as the run
    /// marked them: a probe that gave no answer leaves each of its captures
    /// unset or at its `default:` (not those of a `foreach` or a `probes:`
    /// group, which the run does not mark); the others are answered now.
    fn note(&self, facts: Option<&StepFacts>, marks: &mut IndexMap<String, NoAnswerVar>) {
        for name in self.uncaptured.iter().chain(self.captures.keys()) {
            marks.shift_remove(name);
        }
        let Some(error) = self.error.filter(|error| self.outcome.is_some() && !error.kind.answered()) else { return };
        if facts.is_some_and(|facts| matches!(facts.kind, KindFacts::Probed(ProbedFacts::Many(_)))) {
            return;
        }
        let left = |defaulted| NoAnswerVar { step: self.step.to_owned(), error: error.clone(), defaulted };
        for name in self.uncaptured {
            marks.insert(name.clone(), left(false));
        }
        for name in self.captures.keys() {
            marks.insert(name.clone(), left(true));
        }
    }
}
