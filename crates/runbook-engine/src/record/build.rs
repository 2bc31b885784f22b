//! `record.json`: the run as one document, folded from the journal, so that
//! a record written at the end of a run and one rebuilt from the journal
//! after a crash are the same thing.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

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
    /// Folds journal entries into a record. Entries it does not know are
    /// skipped, so that a newer journal still gives a record.
    pub fn from_journal(entries: &[Value]) -> Self {
        let mut record = Self { format: RECORD_FORMAT, status: "interrupted".into(), ..Self::default() };
        let mut finished = false;
        for entry in entries {
            let Some(fields) = entry.as_object() else { continue };
            let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
            let at = text("at").unwrap_or_default();
            let step_id = text("step").unwrap_or_default();
            match fields.get("event").and_then(Value::as_str).unwrap_or_default() {
                "run_started" => {
                    record.run = without(fields, &["event", "at"]);
                    record.started_at = Some(at);
                }
                "called" => record.calls.push(without(fields, &["event"])),
                "resumed" => {
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
                    record.resumptions.push(without(fields, &["event"]));
                }
                "step_started" => {
                    record.path.push(step_id.clone());
                    record.steps.push(StepRecord {
                        id: step_id,
                        kind: text("kind").unwrap_or_default(),
                        title: text("title"),
                        visit: fields.get("visit").and_then(Value::as_u64).unwrap_or(1),
                        started_at: at,
                        ..StepRecord::default()
                    });
                }
                "probe" => {
                    if let Some(step) = record.step(&step_id) {
                        let number = fields.get("attempt").and_then(Value::as_u64).unwrap_or(1);
                        let part = fields.get("part").and_then(Value::as_object).cloned().unwrap_or_default();
                        step.attempt(number).probes.push(part);
                    }
                }
                "attempt_finished" => {
                    if let Some(step) = record.step(&step_id) {
                        let number = fields.get("attempt").and_then(Value::as_u64).unwrap_or(1);
                        step.attempt(number).outcome = text("outcome");
                    }
                }
                "question" => {
                    if let Some(step) = record.step(&step_id) {
                        let strings = |name: &str| {
                            fields
                                .get(name)
                                .and_then(Value::as_array)
                                .map(|list| list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                                .unwrap_or_default()
                        };
                        step.question = Some(QuestionRecord {
                            question: text("question").unwrap_or_default(),
                            kind: text("kind").unwrap_or_default(),
                            choices: strings("choices"),
                            evidence: strings("evidence"),
                            asked_at: at,
                            ..QuestionRecord::default()
                        });
                    }
                }
                "answered" => {
                    if let Some(question) = record.step(&step_id).and_then(|step| step.question.as_mut()) {
                        question.answer = fields.get("answer").cloned();
                        question.by = text("by");
                        question.answered_at = Some(at);
                    }
                }
                "instructed" => {
                    if let Some(step) = record.step(&step_id) {
                        step.instruction = Some(without(fields, &["event", "step"]));
                    }
                }
                "action_decided" => {
                    if let Some(step) = record.step(&step_id) {
                        step.action = Some(without(fields, &["event", "step"]));
                    }
                }
                "step_finished" => {
                    if let Some(step) = record.step(&step_id) {
                        step.finished_at = Some(at);
                        step.outcome = text("outcome");
                        step.error = fields.get("error").and_then(Value::as_object).cloned();
                        step.duration_ms = fields.get("duration_ms").and_then(Value::as_u64);
                        step.captures = fields.get("captures").and_then(Value::as_object).cloned().unwrap_or_default();
                    }
                }
                "transition" => {
                    let from = text("from").unwrap_or_default();
                    if let Some(step) = record.step(&from) {
                        step.next = Some(without(fields, &["event", "from"]));
                    }
                }
                "concluded" => {
                    let conclusion = fields.get("conclusion").and_then(Value::as_object).cloned();
                    if !step_id.contains('/') {
                        record.conclusion.clone_from(&conclusion);
                    }
                    if let Some(step) = record.step(&step_id) {
                        step.conclusion = conclusion;
                    }
                }
                "run_finished" => {
                    finished = true;
                    record.status = text("status").unwrap_or_default();
                    record.message = text("message");
                    // Across resumptions: the time spent running, not the
                    // time the run waited.
                    let session = fields.get("duration_ms").and_then(Value::as_u64).unwrap_or(0);
                    record.duration_ms = Some(record.duration_ms.unwrap_or(0) + session);
                    record.finished_at = Some(at);
                }
                _ => {}
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

/// `fields` without the named keys.
fn without(fields: &Map<String, Value>, names: &[&str]) -> Map<String, Value> {
    fields.iter().filter(|(key, _)| !names.contains(&key.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
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
