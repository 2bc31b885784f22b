//! `runbook test`: runs a runbook's test case through the real interpreter
//! with mocked probes, scripted answers and a virtual clock, and judges how
//! the run ended against the case's expectations.
//!
//! The interpreter is the one `runbook run` uses; only its two injection
//! points differ: [`crate::probe::ProbeRunner`] (the case's observations)
//! and [`crate::clock::Clock`] (virtual time, so retries and timeouts
//! resolve at once).

mod mock_probes;
mod trace;
mod verdict;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use runbook_model::{Case, MockSpec, Plan, TestFile};
use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use crate::clock::VirtualClock;
use crate::event::{ConclusionView, Event, EventSink, RunStatus};
use crate::inputs::{GivenInputs, TypedFrom, resolve};
use crate::interpret::{CalledConclusion, Mode, Options, PlanTemplates, RunReport, Services, run};
use crate::operator::{Scripted, scripted_answers};
use crate::probe::ProbeRunner;
use crate::redact::Redactor;

pub use trace::Trace;
pub use verdict::{Failure, verdict};

/// How many probes of a step without `concurrency` run at once in a case:
/// fixed, not 4 per core as in a real run, so that mocked durations give
/// the same result on every machine.
pub const CASE_CONCURRENCY: usize = 8;

thread_local! {
    /// The runtime every case on this thread runs on: building one per case
    /// cost more than running most cases. No `enable_io`, no `enable_time`:
    /// a real probe or a real sleep could not run here even by mistake.
    static RUNTIME: Result<tokio::runtime::Runtime, String> =
        tokio::runtime::Builder::new_current_thread().build().map_err(|error| error.to_string());
}

/// How one case ran.
#[derive(Debug)]
pub struct CaseRun {
    /// The interpreter's report; `None` when the run could not start (an
    /// input missing).
    pub report: Option<RunReport>,
    /// What the events showed: path, outcomes, actions, edges.
    pub trace: Trace,
    /// What the case lacks (an observation, an answer, an input): the run
    /// stopped there and the case fails, whatever it expects.
    pub missing: Vec<String>,
    /// The case's secret inputs, hidden in every failure message as the run
    /// hides them in its events.
    pub(crate) redactor: Redactor,
}

/// The inputs and answers of `case`, over the file's shared inputs.
fn case_inputs(test: &TestFile, case: &Case) -> IndexMap<String, Json> {
    test.inputs.iter().chain(&case.inputs).map(|(name, value)| (name.value.clone(), value.value.clone())).collect()
}

/// Runs `case` of `test` against the planned runbook (read from `path`),
/// its templates compiled once for all cases by
/// [`crate::interpret::compile_templates`] in [`crate::interpret::Mode::Live`], sending every
/// event to `sink` as well. Nothing is spawned and no socket is opened: the
/// runtime has no I/O driver and no timer, and every probe goes to the
/// case's observations.
pub fn run_case(
    plan: &Plan,
    templates: &PlanTemplates<'_>,
    path: &Path,
    test: &TestFile,
    case: &Case,
    sink: &mut dyn EventSink,
) -> CaseRun {
    let given = GivenInputs { text: Vec::new(), typed: case_inputs(test, case), typed_from: TypedFrom::Case };
    // The machine's environment is not read: a case says every value.
    let inputs = match resolve(&plan.runbook, &given, &|_| None, None) {
        Ok(inputs) => inputs,
        Err(error) => {
            let missing = vec![format!("{error}: give it under the case's `inputs:`")];
            return CaseRun { report: None, trace: Trace::default(), missing, redactor: Redactor::new() };
        }
    };
    let mut redactor = Redactor::new();
    for name in &inputs.secrets {
        if let Some(value) = inputs.values.get(name) {
            redactor.add_input(name, value);
        }
    }
    let answers: IndexMap<String, Json> =
        case.answers.iter().map(|(step, value)| (step.value.clone(), value.value.clone())).collect();
    let mut operator = Scripted { answers: scripted_answers(&answers), accept_defaults: false, yes: false };
    let clock = VirtualClock::from_fixed_start();
    let cancel = CancellationToken::new();
    let observations = case.observations.iter().map(|(step, mock)| (step.value.clone(), mock.clone())).collect();
    let probes = Arc::new(mock_probes::MockProbes::new(observations, clock.clone(), cancel.clone()));
    let options = Options {
        mode: if case.read_only { Mode::ReadOnly } else { Mode::Live },
        operator: "runbook test".to_owned(),
        host: "test".to_owned(),
        called: mocked_calls(case),
        concurrency: Some(CASE_CONCURRENCY),
        hermetic: true,
        ..Options::default()
    };
    let mut trace = Trace::default();
    let mut both = Both { first: &mut trace, second: sink, probes: &probes, redactor: &redactor };
    let services = Services {
        operator: &mut operator,
        sink: &mut both,
        clock: &clock,
        probes: Arc::clone(&probes) as Arc<dyn ProbeRunner>,
        cancel,
    };
    let report = RUNTIME.with(|runtime| match runtime {
        Ok(runtime) => Ok(runtime.block_on(run(plan, templates, path, &inputs, &options, services))),
        Err(error) => Err(format!("cannot start the runtime: {error}")),
    });
    let report = match report {
        Ok(report) => report,
        Err(message) => return CaseRun { report: None, trace, missing: vec![message], redactor },
    };
    let mut missing = probes.missing();
    // A step the case answers `no` (an instruct not done) waits by design.
    let waits_by_design = trace.path.last().is_some_and(|step| case.answers.keys().any(|a| a.as_str() == step));
    if report.status == RunStatus::Waiting && !waits_by_design {
        missing.push(unanswered(&trace));
    }
    // The secrets the run captured or derived too, not only the inputs'.
    let redactor = report.redactor.clone();
    CaseRun { report: Some(report), trace, missing, redactor }
}

/// What a run waiting for an answer lacks: the answer of its last step.
fn unanswered(trace: &Trace) -> String {
    let step = trace.path.last().map_or("", String::as_str);
    format!("step `{step}` waits for an answer the case does not give: add `answers: {{ {step}: … }}`")
}

/// The `call` steps whose conclusion the case mocks, by step name: one
/// ending per visit, as a list of observations gives them.
fn mocked_calls(case: &Case) -> HashMap<String, Vec<CalledConclusion>> {
    case.observations
        .iter()
        .filter_map(|(step, mock)| {
            let endings: Vec<CalledConclusion> = mock.specs().into_iter().filter_map(called_conclusion).collect();
            (!endings.is_empty()).then(|| (step.value.clone(), endings))
        })
        .collect()
}

/// The ending a mocked `conclusion` (and its `vars`) gives a `call` step.
fn called_conclusion(spec: &MockSpec) -> Option<CalledConclusion> {
    let conclusion = spec.conclusion.as_ref()?;
    let view = ConclusionView {
        status: conclusion.status.value,
        severity: conclusion.severity.as_ref().map(|severity| severity.value),
        diagnosis: conclusion.diagnosis.clone(),
        remediation: conclusion.remediation.clone(),
        escalation: None,
        followups: Vec::new(),
    };
    let vars = spec.vars.iter().map(|(name, value)| (name.value.clone(), value.value.clone())).collect();
    Some(CalledConclusion { conclusion: view, vars })
}

/// Feeds two sinks the same events.
struct Both<'a> {
    first: &'a mut Trace,
    second: &'a mut dyn EventSink,
    /// A run that stopped because the case lacks an observation or an
    /// answer ends saying which, not "interrupted by the operator" or
    /// "pass --answer".
    probes: &'a mock_probes::MockProbes,
    redactor: &'a Redactor,
}

impl EventSink for Both<'_> {
    fn emit(&mut self, event: &Event) {
        let stopped = match event {
            Event::RunFinished { status: RunStatus::Waiting, duration_ms, .. } => Some(Event::RunFinished {
                status: RunStatus::Waiting,
                message: Some(unanswered(self.first)),
                duration_ms: *duration_ms,
            }),
            Event::RunFinished { status: RunStatus::Aborted, duration_ms, .. } => {
                let missing = self.probes.missing();
                (!missing.is_empty()).then(|| Event::RunFinished {
                    status: RunStatus::Aborted,
                    message: Some(self.redactor.text(&missing.join("; ")).into_owned()),
                    duration_ms: *duration_ms,
                })
            }
            _ => None,
        };
        let event = stopped.as_ref().unwrap_or(event);
        self.first.emit(event);
        self.second.emit(event);
    }

    fn commit(&mut self) {
        self.second.commit();
    }
}
