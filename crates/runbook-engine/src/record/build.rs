//! `record.json`: the run as one document, folded from the journal, so that
//! a record written at the end of a run and one rebuilt from the journal
//! after a crash are the same thing.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::journal::Entry;
use crate::event::Event;

/// Version of the record format.
pub const RECORD_FORMAT: u32 = 1;

/// The incident record of one run.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Record {
    /// Version of this format.
    pub format: u32,
    /// The run: id, runbook (id, title, version, path, sha256), engine,
    /// operator, host, mode, interactive, inputs (secrets redacted), graph.
    pub run: Map<String, Value>,
    /// How the run ended: `concluded`, `ended`, `failed`, `waiting`,
    /// `aborted`, `timed_out`, or `interrupted` when the journal stops
    /// without an ending (the process was killed).
    pub status: String,
    /// Why, for endings other than a conclusion.
    pub message: Option<String>,
    /// When the run started (RFC 3339, UTC).
    pub started_at: Option<String>,
    /// When it ended; absent for an interrupted run.
    pub finished_at: Option<String>,
    /// Wall time of the run.
    pub duration_ms: Option<u64>,
    /// The conclusion: status, severity, diagnosis, remediation,
    /// escalation, follow-ups.
    pub conclusion: Option<Map<String, Value>>,
    /// Step ids in the order they ran (a step visited twice appears twice).
    pub path: Vec<String>,
    /// Each step visit, in order.
    pub steps: Vec<StepRecord>,
    /// Runbooks run by `call` steps, with the hash of their files.
    pub calls: Vec<Map<String, Value>>,
    /// Each `runbook resume` of the run: when, by whom, at which step.
    pub resumptions: Vec<Map<String, Value>>,
    /// Each time the run stopped before it was resumed: when, how, why.
    pub stops: Vec<Map<String, Value>>,
}

/// One visit of one step.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct StepRecord {
    /// Step id (`call-step/inner` inside a called runbook).
    pub id: String,
    /// `check`, `collect`, `ask`, `instruct`, `action`, `call`, `conclude`.
    pub kind: String,
    /// The step's title.
    pub title: Option<String>,
    /// Which visit of the step this is, from 1.
    pub visit: u64,
    /// When it started.
    pub started_at: String,
    /// When it finished; absent when the run stopped inside it.
    pub finished_at: Option<String>,
    /// Wall time of the step.
    pub duration_ms: Option<u64>,
    /// `pass`, `warn`, `fail`, `error` or `skipped`, for steps that have one.
    pub outcome: Option<String>,
    /// Why the outcome is `error`: `kind` and `message`.
    pub error: Option<Map<String, Value>>,
    /// Every attempt, with what each probe ran and observed and each
    /// expectation's expected and actual values.
    pub attempts: Vec<AttemptRecord>,
    /// The question, the evidence shown with it, and the answer.
    pub question: Option<QuestionRecord>,
    /// An `instruct` step: the text, ticked items, notes, who.
    pub instruction: Option<Map<String, Value>>,
    /// An `action` step: what it does, what ran, the decision and who made it.
    pub action: Option<Map<String, Value>>,
    /// Values captured into `vars`.
    pub captures: Map<String, Value>,
    /// Where the run went next, and why.
    pub next: Option<Map<String, Value>>,
    /// A `conclude` step's conclusion.
    pub conclusion: Option<Map<String, Value>>,
}

/// One attempt of a probing step.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct AttemptRecord {
    /// From 1.
    pub number: u64,
    /// The attempt's outcome.
    pub outcome: Option<String>,
    /// Each probe: `target` (what ran), `observation` (status, timings, exit
    /// code, excerpts with byte counts), `expectations`, `outcome`, `error`.
    pub probes: Vec<Map<String, Value>>,
}

/// A question and its answer.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct QuestionRecord {
    /// The question as asked.
    pub question: String,
    /// `choice`, `confirm`, `text`, `number`.
    pub kind: String,
    /// The allowed answers.
    pub choices: Vec<String>,
    /// Steps whose evidence was shown with the question.
    pub evidence: Vec<String>,
    /// When it was asked.
    pub asked_at: String,
    /// The answer; absent when the run stopped waiting for one.
    pub answer: Option<Value>,
    /// Who answered: `operator`, `script`, `default`, `mode`.
    pub by: Option<String>,
    /// When.
    pub answered_at: Option<String>,
}

impl Record {
    /// Folds journal entries into a record.
    pub fn from_journal(entries: &[Entry]) -> Self {
        let mut record = Self { format: RECORD_FORMAT, status: "interrupted".into(), ..Self::default() };
        let mut finished = false;
        for Entry { at, event } in entries {
            let at = at.clone();
            match event {
                Event::RunStarted(info) => {
                    record.run = object(info);
                    record.started_at = Some(at);
                }
                Event::Called { .. } => record.calls.push(stamped(&at, event, &["event"])),
                Event::Resumed { .. } => {
                    if finished {
                        let mut stop = Map::new();
                        stop.insert("at".into(), Value::from(record.finished_at.clone()));
                        stop.insert("status".into(), Value::from(record.status.clone()));
                        stop.insert("message".into(), Value::from(record.message.clone()));
                        record.stops.push(stop);
                    }
                    finished = false;
                    record.status = "interrupted".into();
                    record.finished_at = None;
                    record.message = None;
                    record.resumptions.push(stamped(&at, event, &["event"]));
                }
                Event::StepStarted { step, kind, title, visit, .. } => {
                    record.path.push(step.clone());
                    record.steps.push(StepRecord {
                        id: step.clone(),
                        kind: kind.name().to_owned(),
                        title: title.clone(),
                        visit: u64::from(*visit),
                        started_at: at,
                        ..StepRecord::default()
                    });
                }
                Event::Probe { step, attempt, part } => {
                    if let Some(step) = record.step(step) {
                        step.attempt(u64::from(*attempt)).probes.push(object(part));
                    }
                }
                Event::AttemptFinished { step, attempt, outcome } => {
                    if let Some(step) = record.step(step) {
                        step.attempt(u64::from(*attempt)).outcome = Some(outcome.name().to_owned());
                    }
                }
                Event::Question { step, question, kind, choices, evidence, .. } => {
                    if let Some(step) = record.step(step) {
                        step.question = Some(QuestionRecord {
                            question: question.clone(),
                            kind: kind.name().to_owned(),
                            choices: choices.clone(),
                            evidence: evidence.clone(),
                            asked_at: at,
                            ..QuestionRecord::default()
                        });
                    }
                }
                Event::Answered { step, answer, by } => {
                    if let Some(question) = record.step(step).and_then(|step| step.question.as_mut()) {
                        question.answer = Some(answer.clone());
                        question.by = Some(by.name().to_owned());
                        question.answered_at = Some(at);
                    }
                }
                Event::Instructed { step, .. } => {
                    if let Some(step) = record.step(step) {
                        step.instruction = Some(stamped(&at, event, &["event", "step"]));
                    }
                }
                Event::ActionDecided { step, .. } => {
                    if let Some(step) = record.step(step) {
                        step.action = Some(stamped(&at, event, &["event", "step"]));
                    }
                }
                Event::StepFinished { step, outcome, error, duration_ms, captures, .. } => {
                    if let Some(step) = record.step(step) {
                        step.finished_at = Some(at);
                        step.outcome = outcome.map(|outcome| outcome.name().to_owned());
                        step.error = error.as_ref().map(object);
                        step.duration_ms = Some(*duration_ms);
                        step.captures = captures.iter().map(|(name, value)| (name.clone(), value.clone())).collect();
                    }
                }
                Event::Transition { from, .. } => {
                    if let Some(step) = record.step(from) {
                        step.next = Some(stamped(&at, event, &["event", "from"]));
                    }
                }
                Event::Concluded { step, conclusion } => {
                    let conclusion = Some(object(conclusion));
                    if !step.contains('/') {
                        record.conclusion.clone_from(&conclusion);
                    }
                    if let Some(step) = record.step(step) {
                        step.conclusion = conclusion;
                    }
                }
                Event::RunFinished { status, message, duration_ms } => {
                    finished = true;
                    status.name().clone_into(&mut record.status);
                    record.message.clone_from(message);
                    // Across resumptions: the time spent running, not the
                    // time the run waited.
                    record.duration_ms = Some(record.duration_ms.unwrap_or(0) + duration_ms);
                    record.finished_at = Some(at);
                }
                Event::Waiting { .. } => {}
            }
        }
        if !finished {
            let last = record.steps.last().map(|step| format!(" during step `{}`", step.id)).unwrap_or_default();
            record.message = Some(format!(
                "the journal ends{last} without the run finishing: the process was killed or the machine stopped"
            ));
        }
        record
    }

    /// The latest visit of the step `id`.
    fn step(&mut self, id: &str) -> Option<&mut StepRecord> {
        self.steps.iter_mut().rev().find(|step| step.id == id)
    }
}

impl StepRecord {
    /// Attempt `number`, created if the journal had not shown it yet.
    fn attempt(&mut self, number: u64) -> &mut AttemptRecord {
        if let Some(index) = self.attempts.iter().position(|a| a.number == number) {
            return &mut self.attempts[index];
        }
        self.attempts.push(AttemptRecord { number, ..AttemptRecord::default() });
        let last = self.attempts.len() - 1;
        &mut self.attempts[last]
    }
}

/// An event's fields as the record shows them: its time first, without
/// the named keys.
fn stamped(at: &str, event: &Event, without: &[&str]) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("at".into(), Value::from(at));
    fields.extend(object(event).into_iter().filter(|(key, _)| !without.contains(&key.as_str())));
    fields
}

/// A typed part of an event as the JSON object `record.json` shows.
fn object(value: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    }
}

/// The `$id` of the record schema.
pub const RECORD_SCHEMA_ID: &str = "https://runbook.dev/schemas/record.schema.json";

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
