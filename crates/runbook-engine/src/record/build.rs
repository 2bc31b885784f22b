//! `record.json`: the run as one document, folded from the journal, so that
//! a record written at the end of a run and one rebuilt from the journal
//! after a crash are the same thing.

use std::sync::Arc;

use indexmap::IndexMap;
use runbook_model::{AskType, EdgeKind, Outcome, StepKind};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::journal::Entry;
use crate::event::{
    ActionDecision, AnsweredBy, CalleeFile, ConclusionView, Event, Graph, Part, RunInfo, RunStatus, Unrouted,
};
use crate::probe::ProbeError;
use crate::timestamp::Timestamp;
use runbook_model::StepPath;

/// Version of the record format.
pub(crate) const RECORD_FORMAT: u32 = 1;

/// The incident record of one run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Record {
    /// Version of this format.
    pub format: u32,
    /// The run as it started: id, runbook (id, title, version, path,
    /// sha256), engine, operator, host, mode, interactive, inputs (secrets
    /// redacted), graph; `null` when the journal stops before the run
    /// started.
    pub run: Option<RunInfo>,
    /// How the run ended.
    pub status: RecordStatus,
    /// Why, for endings other than a conclusion.
    pub message: Option<String>,
    /// When the run started (RFC 3339, UTC).
    #[schemars(with = "Option<Timestamp>")]
    pub started_at: Option<String>,
    /// When it ended; absent for an interrupted run.
    #[schemars(with = "Option<Timestamp>")]
    pub finished_at: Option<String>,
    /// Wall time of the run.
    pub duration_ms: Option<u64>,
    /// The conclusion the run reached.
    pub conclusion: Option<ConclusionView>,
    /// Step ids in the order they ran (a step visited twice appears twice).
    pub path: Vec<String>,
    /// Each step visit, in order.
    pub steps: Vec<StepRecord>,
    /// Runbooks run by `call` steps, with the hash of their files.
    pub calls: Vec<CallRecord>,
    /// Each `runbook resume` of the run: when, by whom, at which step.
    pub resumptions: Vec<Resumption>,
    /// Each time the run stopped before it was resumed: when, how, why.
    pub stops: Vec<StopRecord>,
}

/// How a recorded run ended: as it finished, or `interrupted` when the
/// journal stops without an ending (the process was killed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// A `conclude` step was reached.
    Concluded,
    /// The run went past the last step without a conclusion.
    Ended,
    /// The runbook could not go on.
    Failed,
    /// A question had no answer in a non-interactive run.
    Waiting,
    /// The operator interrupted the run.
    Aborted,
    /// The runbook's `timeout` passed.
    TimedOut,
    /// The journal stops without the run finishing.
    Interrupted,
}

impl RecordStatus {
    /// The name used in output.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Concluded => "concluded",
            Self::Ended => "ended",
            Self::Failed => "failed",
            Self::Waiting => "waiting",
            Self::Aborted => "aborted",
            Self::TimedOut => "timed_out",
            Self::Interrupted => "interrupted",
        }
    }
}

impl From<RunStatus> for RecordStatus {
    fn from(status: RunStatus) -> Self {
        match status {
            RunStatus::Concluded => Self::Concluded,
            RunStatus::Ended => Self::Ended,
            RunStatus::Failed => Self::Failed,
            RunStatus::Waiting => Self::Waiting,
            RunStatus::Aborted => Self::Aborted,
            RunStatus::TimedOut => Self::TimedOut,
        }
    }
}

/// A runbook run by a `call` step.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CallRecord {
    /// When it was loaded.
    #[schemars(with = "Timestamp")]
    pub at: String,
    /// The `call` step.
    pub step: String,
    /// The called runbook's id.
    pub runbook: String,
    /// Its file.
    pub path: String,
    /// SHA-256 of its file, hex.
    pub sha256: String,
}

/// A `runbook resume` of the run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Resumption {
    /// When.
    #[schemars(with = "Timestamp")]
    pub at: String,
    /// The step the run continued with.
    pub step: String,
    /// Who resumed it.
    pub operator: String,
    /// Whether the runbook file had changed (`--allow-changed`).
    pub runbook_changed: bool,
    /// The text the run went on with, when it had changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<ResumedText>,
}

/// The changed text a resumed run went on with.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ResumedText {
    /// SHA-256 of the runbook file, hex.
    pub sha256: String,
    /// Every runbook it can call, as loaded then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callees: Vec<CalleeFile>,
    /// Its triage tree: the `edge` of each step's `next` from `steps_before`
    /// on is an id in it.
    pub graph: Graph,
    /// How many entries of `steps` ran under the earlier text.
    pub steps_before: usize,
}

/// A stop of the run that a resumption followed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StopRecord {
    /// When it stopped: for a process that was killed (`interrupted`), the
    /// last entry it journaled.
    #[schemars(with = "Timestamp")]
    pub at: String,
    /// How.
    pub status: RecordStatus,
    /// Why.
    pub message: Option<String>,
}

/// One visit of one step.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StepRecord {
    /// Step id (`call-step/inner` inside a called runbook).
    pub id: String,
    /// What kind of step it is.
    pub kind: StepKind,
    /// The step's title.
    pub title: Option<String>,
    /// Which visit of the step this is, from 1.
    pub visit: u32,
    /// When it started.
    #[schemars(with = "Timestamp")]
    pub started_at: String,
    /// When it finished; absent when the run stopped inside it.
    #[schemars(with = "Option<Timestamp>")]
    pub finished_at: Option<String>,
    /// Wall time of the step.
    pub duration_ms: Option<u64>,
    /// The outcome, for steps that have one.
    pub outcome: Option<Outcome>,
    /// Why the outcome is `error`.
    pub error: Option<ProbeError>,
    /// Every attempt, with what each probe ran and observed and each
    /// expectation's expected and actual values.
    pub attempts: Vec<AttemptRecord>,
    /// The question, the evidence shown with it, and the answer.
    pub question: Option<QuestionRecord>,
    /// An `instruct` step: the text, ticked items, notes, who.
    pub instruction: Option<InstructionRecord>,
    /// An `action` step: what it does, what ran, the decision and who made it.
    pub action: Option<ActionRecord>,
    /// Values captured into `vars`.
    pub captures: IndexMap<String, Value>,
    /// Vars whose capture found nothing, and were unset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncaptured: Vec<String>,
    /// Where the run went next, and why.
    pub next: Option<NextRecord>,
    /// A `conclude` step's conclusion.
    pub conclusion: Option<ConclusionView>,
}

/// One attempt of a probing step.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AttemptRecord {
    /// From 1.
    pub number: u32,
    /// The attempt's outcome; absent when the run stopped inside it.
    pub outcome: Option<Outcome>,
    /// Each probe: what ran, what it observed, each expectation's verdict.
    #[schemars(with = "Vec<Part>")]
    pub probes: Vec<ProbeRecord>,
}

/// One probe of an attempt, as its `probe` event showed it; with the JSON
/// its journal line holds of it when the journal folds the record as it
/// writes: `record.json` repeats those bytes instead of serialising the
/// probe a second time (about a sixth of a recorded HTTP item's work).
/// Only `serde_json` writes that JSON as it is; the record is written
/// with nothing else.
#[derive(Debug, Clone)]
pub struct ProbeRecord {
    part: Arc<Part>,
    written: Option<Box<RawValue>>,
}

impl ProbeRecord {
    /// The probe's part, shared with the event that showed it.
    pub fn part(&self) -> &Part {
        &self.part
    }
}

impl std::ops::Deref for ProbeRecord {
    type Target = Part;

    fn deref(&self) -> &Part {
        &self.part
    }
}

impl Serialize for ProbeRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.written {
            Some(json) => json.serialize(serializer),
            None => self.part.serialize(serializer),
        }
    }
}

/// A question and its answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct QuestionRecord {
    /// The question as asked.
    pub question: String,
    /// The form of the answer.
    pub kind: AskType,
    /// The allowed answers.
    pub choices: Vec<String>,
    /// Steps whose evidence was shown with the question.
    pub evidence: Vec<String>,
    /// When it was asked.
    #[schemars(with = "Timestamp")]
    pub asked_at: String,
    /// The answer; absent when the run stopped waiting for one.
    pub answer: Option<Value>,
    /// Who answered.
    pub by: Option<AnsweredBy>,
    /// When.
    #[schemars(with = "Option<Timestamp>")]
    pub answered_at: Option<String>,
}

/// Manual work shown and acknowledged.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct InstructionRecord {
    /// When it was acknowledged.
    #[schemars(with = "Timestamp")]
    pub at: String,
    /// The rendered instruction.
    pub text: String,
    /// The checklist items ticked.
    pub ticked: Vec<String>,
    /// The checklist items left unticked.
    pub unticked: Vec<String>,
    /// Notes typed in, by name.
    pub notes: IndexMap<String, Value>,
    /// Who acknowledged.
    pub by: AnsweredBy,
}

/// An action and what was decided.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ActionRecord {
    /// When it was decided.
    #[schemars(with = "Timestamp")]
    pub at: String,
    /// What the action does, as the runbook describes it.
    pub confirm: Option<String>,
    /// The rendered command or request.
    pub target: String,
    /// What happened to it.
    pub decision: ActionDecision,
    /// Who decided.
    pub by: AnsweredBy,
}

/// Where the run went after a step.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NextRecord {
    /// When.
    #[schemars(with = "Timestamp")]
    pub at: String,
    /// The step entered; `null` when the run ran past the last step.
    pub to: Option<String>,
    /// The edge taken: its id in `run.graph.edges`.
    pub edge: String,
    /// The edge's label: what chose it.
    pub via: String,
    /// Which declaration routed it.
    pub kind: EdgeKind,
    /// For a fall-through of a step that routes other outcomes or
    /// answers: why nothing routed this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unrouted: Option<Unrouted>,
}

impl Record {
    /// Folds journal entries into a record.
    pub fn from_journal(entries: impl IntoIterator<Item = Entry>) -> Self {
        let mut fold = Fold::new();
        entries.into_iter().for_each(|entry| fold.add(entry.at.into(), entry.elapsed_ms, &entry.event));
        fold.finish()
    }

    /// Why the journal, so far, ends without the run finishing: where it
    /// stopped, and an action that was running then, which may have run.
    fn interruption(&self) -> String {
        let killed = "the process was killed or the machine stopped";
        match self.steps.last() {
            Some(StepRecord { id, finished_at: None, action: Some(action), .. })
                if action.decision == ActionDecision::Run =>
            {
                format!(
                    "the journal ends while action `{id}` was running ({}): {killed}, so the action may have run, \
                     in part or in whole",
                    action.target
                )
            }
            Some(step) => format!("the journal ends during step `{}` without the run finishing: {killed}", step.id),
            None => format!("the journal ends without the run finishing: {killed}"),
        }
    }

    /// The latest visit of the step `id`.
    fn step(&mut self, id: &str) -> Option<&mut StepRecord> {
        self.steps.iter_mut().rev().find(|step| step.id == id)
    }
}

impl StepRecord {
    /// Attempt `number`, created if the journal had not shown it yet.
    fn attempt(&mut self, number: u32) -> &mut AttemptRecord {
        if let Some(index) = self.attempts.iter().position(|a| a.number == number) {
            return &mut self.attempts[index];
        }
        self.attempts.push(AttemptRecord { number, outcome: None, probes: Vec::new() });
        let last = self.attempts.len() - 1;
        &mut self.attempts[last]
    }
}

/// A record being folded from journal entries, one at a time: read back
/// from a journal, or as the journal writes them.
pub(super) struct Fold {
    record: Record,
    /// The last entry so far, and its `elapsed_ms`: where and how long
    /// into its process a run that was killed got.
    last: Option<(String, Option<u64>)>,
    /// Whether the first entry began a run; `None` before any.
    begins_with_run: Option<bool>,
}

impl Fold {
    pub(super) fn new() -> Self {
        let record = Record {
            format: RECORD_FORMAT,
            run: None,
            status: RecordStatus::Interrupted,
            message: None,
            started_at: None,
            finished_at: None,
            duration_ms: None,
            conclusion: None,
            path: Vec::new(),
            steps: Vec::new(),
            calls: Vec::new(),
            resumptions: Vec::new(),
            stops: Vec::new(),
        };
        Self { record, last: None, begins_with_run: None }
    }

    /// Whether the entries hold a run: the first one is `run_started`.
    pub(super) fn holds_run(&self) -> bool {
        self.begins_with_run == Some(true)
    }

    /// Adds one entry: the event written `at`, `elapsed_ms` into its
    /// process. What the record keeps of it is copied (a probe's part is
    /// shared); a step's facts are not kept.
    pub(super) fn add(&mut self, at: String, elapsed_ms: Option<u64>, event: &Event) {
        self.add_written(at, elapsed_ms, event, None);
    }

    /// [`Fold::add`], for the journal as it writes: `part_json` is the JSON
    /// its line holds of a `probe` event's part, which `record.json`
    /// repeats.
    pub(super) fn add_written(
        &mut self,
        at: String,
        elapsed_ms: Option<u64>,
        event: &Event,
        part_json: Option<Box<RawValue>>,
    ) {
        self.begins_with_run.get_or_insert(matches!(event, Event::RunStarted(_)));
        let previous = self.last.replace((at.clone(), elapsed_ms));
        let record = &mut self.record;
        match event {
            Event::RunStarted(info) => {
                record.run = Some(info.clone());
                record.started_at = Some(at);
            }
            Event::Called { step, runbook, path, sha256 } => {
                let (step, runbook, path, sha256) = (step.clone(), runbook.clone(), path.clone(), sha256.clone());
                record.calls.push(CallRecord { at, step, runbook, path, sha256 });
            }
            Event::Resumed { step, operator, runbook_changed, text } => {
                if let Some(stopped) = record.finished_at.take() {
                    let message = record.message.take();
                    record.stops.push(StopRecord { at: stopped, status: record.status, message });
                } else if let Some((stopped, elapsed)) = previous {
                    // The process before this resume was killed: its last
                    // entry is as far as it is known to have got.
                    let message = Some(record.interruption());
                    record.stops.push(StopRecord { at: stopped, status: RecordStatus::Interrupted, message });
                    record.duration_ms = Some(record.duration_ms.unwrap_or(0) + elapsed.unwrap_or(0));
                }
                record.status = RecordStatus::Interrupted;
                record.message = None;
                let text = text.as_deref().map(|text| {
                    let crate::event::RunbookText { sha256, callees, graph } = text.clone();
                    ResumedText { sha256, callees, graph, steps_before: record.steps.len() }
                });
                let (step, operator, runbook_changed) = (step.clone(), operator.clone(), *runbook_changed);
                record.resumptions.push(Resumption { at, step, operator, runbook_changed, text });
            }
            Event::StepStarted { step, kind, title, visit, .. } => {
                record.path.push(step.clone());
                record.steps.push(StepRecord {
                    id: step.clone(),
                    kind: *kind,
                    title: title.clone(),
                    visit: *visit,
                    started_at: at,
                    finished_at: None,
                    duration_ms: None,
                    outcome: None,
                    error: None,
                    attempts: Vec::new(),
                    question: None,
                    instruction: None,
                    action: None,
                    captures: IndexMap::new(),
                    uncaptured: Vec::new(),
                    next: None,
                    conclusion: None,
                });
            }
            Event::Probe { step, attempt, part } => {
                if let Some(step) = record.step(step) {
                    let probe = ProbeRecord { part: Arc::clone(part), written: part_json };
                    step.attempt(*attempt).probes.push(probe);
                }
            }
            Event::AttemptFinished { step, attempt, outcome } => {
                if let Some(step) = record.step(step) {
                    step.attempt(*attempt).outcome = Some(*outcome);
                }
            }
            Event::Question { step, question, kind, choices, evidence, .. } => {
                if let Some(step) = record.step(step) {
                    step.question = Some(QuestionRecord {
                        question: question.clone(),
                        kind: *kind,
                        choices: choices.clone(),
                        evidence: evidence.clone(),
                        asked_at: at,
                        answer: None,
                        by: None,
                        answered_at: None,
                    });
                }
            }
            Event::Answered { step, answer, by } => {
                if let Some(question) = record.step(step).and_then(|step| step.question.as_mut()) {
                    question.answer = Some(answer.clone());
                    question.by = Some(*by);
                    question.answered_at = Some(at);
                }
            }
            Event::Instructed { step, text, ticked, unticked, notes, by } => {
                if let Some(step) = record.step(step) {
                    let (text, ticked, unticked) = (text.clone(), ticked.clone(), unticked.clone());
                    let (notes, by) = (notes.clone(), *by);
                    step.instruction = Some(InstructionRecord { at, text, ticked, unticked, notes, by });
                }
            }
            Event::ActionDecided { step, confirm, target, decision, by } => {
                if let Some(step) = record.step(step) {
                    let (confirm, target, decision, by) = (confirm.clone(), target.clone(), *decision, *by);
                    step.action = Some(ActionRecord { at, confirm, target, decision, by });
                }
            }
            Event::StepFinished { step, outcome, error, duration_ms, captures, uncaptured, .. } => {
                if let Some(step) = record.step(step) {
                    step.finished_at = Some(at);
                    step.outcome = *outcome;
                    step.error.clone_from(error);
                    step.duration_ms = Some(*duration_ms);
                    step.captures.clone_from(captures);
                    step.uncaptured.clone_from(uncaptured);
                }
            }
            Event::Transition { from, to, edge, via, kind, unrouted } => {
                if let Some(step) = record.step(from) {
                    let (to, edge, via, kind, unrouted) = (to.clone(), edge.clone(), via.clone(), *kind, *unrouted);
                    step.next = Some(NextRecord { at, to, edge, via, kind, unrouted });
                }
            }
            Event::Concluded { step, conclusion } => {
                if StepPath::new(step).is_top_level() {
                    record.conclusion = Some(conclusion.clone());
                }
                if let Some(step) = record.step(step) {
                    step.conclusion = Some(conclusion.clone());
                }
            }
            Event::RunFinished { status, message, duration_ms } => {
                record.status = (*status).into();
                record.message.clone_from(message);
                // Across resumptions: the time spent running, not the
                // time the run waited.
                record.duration_ms = Some(record.duration_ms.unwrap_or(0) + duration_ms);
                record.finished_at = Some(at);
            }
            Event::Waiting { .. } | Event::SecretsLearned { .. } => {}
        }
    }

    /// The record, with the reason an unfinished run stopped.
    pub(super) fn finish(self) -> Record {
        let mut record = self.record;
        if record.status == RecordStatus::Interrupted {
            record.message = Some(record.interruption());
        }
        record
    }
}

/// The `$id` of the record schema.
pub(crate) const RECORD_SCHEMA_ID: &str = "https://runbook.dev/schemas/record.schema.json";

/// The JSON Schema (draft 2020-12) of `record.json`, as pretty JSON with a
/// final newline, as committed in `schemas/record.schema.json`.
pub fn record_schema_text() -> String {
    let mut schema =
        schemars::generate::SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<Record>();
    schema.insert("$id".into(), RECORD_SCHEMA_ID.into());
    let mut text = serde_json::to_string_pretty(&schema.to_value()).expect("a schema always serializes");
    text.push('\n');
    text
}
