//! The typed events a run emits. The engine never prints: the terminal
//! view, the JSON-lines output and the journal all consume this stream.

use std::sync::Arc;

use indexmap::IndexMap;
use runbook_model::{AskType, ConclusionStatus, EdgeKind, Outcome, Severity, StepKind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::expect::ExpectationResult;
use crate::probe::{ErrorKind, Observation, ProbeError};
use crate::redact::LearnedSecret;
use crate::step_facts::StepFacts;
use crate::timestamp::Timestamp;

/// One thing that happened in a run. Secrets are already redacted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // one `run_started` a run; events are passed by reference, not stored
pub enum Event {
    /// The run begins.
    RunStarted(RunInfo),
    /// An interrupted or waiting run continues (`runbook resume`).
    Resumed {
        /// The step it continues with.
        step: String,
        /// Who resumes it.
        operator: String,
        /// Whether the runbook file changed since the run started
        /// (`--allow-changed`).
        runbook_changed: bool,
        /// The text it goes on with, when the runbook or a runbook it calls
        /// changed: the edges of the transitions from here on are ids of
        /// this graph. Written only then.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<Box<RunbookText>>,
    },
    /// A `call` step loaded the runbook it runs.
    Called {
        /// Step id.
        step: String,
        /// The called runbook's id.
        runbook: String,
        /// Its file.
        path: String,
        /// SHA-256 of its file, hex.
        sha256: String,
    },
    /// A step begins (again, when `visit` > 1).
    StepStarted {
        /// Step id (`call-step/inner-step` inside a called runbook).
        step: String,
        /// `check`, `ask`, …
        kind: StepKind,
        /// The step's title.
        title: Option<String>,
        /// The step's description.
        description: Option<String>,
        /// How many times the step has started in this run, this one included.
        visit: u32,
    },
    /// One probe of a step finished (a `foreach` item, a named probe, or
    /// the step's single probe).
    Probe {
        /// Step id.
        step: String,
        /// Attempt number, from 1.
        attempt: u32,
        /// What ran and what it showed (shared with the sinks that keep it).
        part: Arc<Part>,
    },
    /// The run learned a secret while it ran (a captured token, the pieces
    /// of one an output's dropped middle cut): what the journal keeps of it
    /// (never the value), so that a resumed run redacts it too. Only the
    /// journal writes it.
    SecretsLearned {
        /// Step id.
        step: String,
        /// Each secret, as the journal keeps it.
        secrets: Vec<LearnedSecret>,
    },
    /// An attempt of a probing step finished.
    AttemptFinished {
        /// Step id.
        step: String,
        /// Attempt number, from 1.
        attempt: u32,
        /// The attempt's outcome: the worst of its probes'.
        outcome: Outcome,
    },
    /// A retried step waits before its next attempt.
    Waiting {
        /// Step id.
        step: String,
        /// The attempt that just finished.
        attempt: u32,
        /// The wait, in milliseconds.
        wait_ms: u64,
    },
    /// A question is put to the operator.
    Question {
        /// Step id.
        step: String,
        /// The rendered question.
        question: String,
        /// The form of the answer.
        kind: AskType,
        /// The allowed answers, for `choice` and `confirm`.
        choices: Vec<String>,
        /// The declared default.
        default: Option<Value>,
        /// Steps whose evidence is shown again with the question.
        evidence: Vec<String>,
    },
    /// The operator (or a script) answered.
    Answered {
        /// Step id.
        step: String,
        /// The answer: a string, or a number for `number` questions.
        answer: Value,
        /// Who answered.
        by: AnsweredBy,
    },
    /// Manual work was shown and acknowledged.
    Instructed {
        /// Step id.
        step: String,
        /// The rendered instruction.
        text: String,
        /// The checklist items the operator ticked.
        ticked: Vec<String>,
        /// The checklist items left unticked.
        unticked: Vec<String>,
        /// Notes typed in, by name.
        notes: IndexMap<String, Value>,
        /// Who acknowledged.
        by: AnsweredBy,
    },
    /// An action was put to the operator, and what they decided.
    ActionDecided {
        /// Step id.
        step: String,
        /// What the action does, as the runbook describes it.
        confirm: Option<String>,
        /// The rendered command or request.
        target: String,
        /// What happens to it.
        decision: ActionDecision,
        /// Who decided.
        by: AnsweredBy,
    },
    /// A step finished.
    StepFinished {
        /// Step id.
        step: String,
        /// Its outcome, for steps that have one.
        outcome: Option<Outcome>,
        /// For `error` outcomes, why.
        error: Option<ProbeError>,
        /// Wall time of the step, attempts and prompts included.
        duration_ms: u64,
        /// Values captured into `vars`.
        captures: IndexMap<String, Value>,
        /// Vars whose capture found nothing (and has no `default`) this
        /// time: unset, so that no value of an earlier attempt or visit
        /// stays behind.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        uncaptured: Vec<String>,
        /// What `steps.ID` shows to later templates (redacted), so that a
        /// resumed run reads what the first one saw; none when no sink
        /// reads them ([`EventSink::reads_step_facts`]).
        facts: Option<StepFacts>,
        /// Whether nothing was redacted from `facts`: what they hold of
        /// each probe's observation is then what that probe's `probe` event
        /// shows, and the journal does not write it a second time. Known
        /// only to the run that made them: not written, false when read.
        #[serde(skip)]
        facts_unredacted: bool,
    },
    /// The run moves on.
    Transition {
        /// The step left.
        from: String,
        /// The step entered; `None` when the run ran past the last step.
        to: Option<String>,
        /// The edge taken: its id in `run.graph.edges` (prefixed with
        /// `call-step/` inside a called runbook), see
        /// [`runbook_model::Edge::id`].
        edge: String,
        /// The edge's label: what chose it (`pass`, `answer yes`,
        /// `fail when …`, `pass / warn / error`, `then`).
        via: String,
        /// Which declaration routed it: `choice`, `on`, `next` or
        /// `fall-through`.
        kind: EdgeKind,
        /// For a fall-through of a step that routes other outcomes or
        /// answers itself, why nothing routed this one, which the view and
        /// the record say. Known from the step's own runbook, a called
        /// one's included.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unrouted: Option<Unrouted>,
    },
    /// A `conclude` step was reached.
    Concluded {
        /// Step id.
        step: String,
        /// The rendered conclusion.
        conclusion: ConclusionView,
    },
    /// The run is over.
    RunFinished {
        /// How it ended.
        status: RunStatus,
        /// Why, for endings other than a conclusion.
        message: Option<String>,
        /// Wall time of the whole run.
        duration_ms: u64,
    },
}

/// Who a run is, where and how it runs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RunInfo {
    /// Run id: start time and runbook id.
    pub id: String,
    /// The runbook's id.
    pub runbook: String,
    /// The runbook's title.
    pub title: String,
    /// The runbook's version.
    pub version: Option<String>,
    /// The runbook file.
    pub path: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: Timestamp,
    /// Who runs it.
    pub operator: String,
    /// On which machine.
    pub host: String,
    /// `live`, `read-only` or `dry-run`.
    pub mode: crate::interpret::Mode,
    /// Whether questions go to a person.
    pub interactive: bool,
    /// The inputs' values, secrets redacted.
    pub inputs: IndexMap<String, Value>,
    /// SHA-256 of the runbook file, hex: which text ran.
    pub sha256: String,
    /// Every runbook its `call` steps can run, at any depth, each loaded
    /// once before the first step: which text each `call` runs. Written
    /// only when there is one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callees: Vec<CalleeFile>,
    /// Version of the engine.
    pub engine: String,
    /// The runbook's steps and transitions, for the record's graph.
    pub graph: Graph,
    /// A dry run's assumed outcomes, by step.
    pub assume: IndexMap<String, Outcome>,
    /// The run's `--fail-on` terms, which `resume` keeps. Written only
    /// when there are some.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fail_on: Vec<String>,
    /// The runbook's `record:` template, rendered into `record.md`.
    pub record_template: Option<String>,
    /// Whether the run's clock was virtual (`runbook test`,
    /// `RUNBOOK_VIRTUAL_CLOCK`): its times and durations are not the real
    /// ones. Written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub virtual_time: bool,
    /// The random salt of the fingerprints the journal keeps of secrets the
    /// run obtained ([`Event::SecretsLearned`]), hex. In the journal only,
    /// by type: serde never writes it, so no sink (the JSON output,
    /// `record.json`) can; the journal writes it beside the event and reads
    /// it back into this field (`record/journal.rs`).
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) secret_salt: Option<String>,
    /// The secret inputs whose values key that salt, by name: a resume
    /// given them again makes the same fingerprints. In the journal only,
    /// as the salt (`secret_keyed_by`, only when there are some).
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) secret_keyed_by: Vec<String>,
}

/// The text a run went on with after `runbook resume --allow-changed`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RunbookText {
    /// SHA-256 of the runbook file, hex.
    pub sha256: String,
    /// Every runbook it can call, as loaded then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callees: Vec<CalleeFile>,
    /// Its triage tree.
    pub graph: Graph,
}

/// A runbook a run can call, as loaded when the run started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CalleeFile {
    /// Its file: the calling runbook's directory joined with the `call`'s
    /// `runbook`.
    pub path: String,
    /// Its id.
    pub runbook: String,
    /// SHA-256 of the file, hex: `runbook resume` refuses to go on when it
    /// changed, as for the runbook itself.
    pub sha256: String,
    /// Its secret inputs read from the environment that had a value when
    /// the run started: secrets are not journaled, so `runbook resume`
    /// demands them again rather than calling it without them. Written
    /// only when there are some.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_secrets: Vec<String>,
}

/// The triage tree as the record draws it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Graph {
    /// Every step, in file order.
    pub nodes: Vec<GraphNode>,
    /// Every transition.
    pub edges: Vec<GraphEdge>,
}

/// Why a step went on to the step below although it routes other
/// outcomes or answers itself (`on:`, `next:`, a choice's `goto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unrouted {
    /// Nothing routes this outcome or answer.
    NotRouted,
    /// The `when` chain for it matched nothing.
    NoWhenMatched,
}

/// How the view and the record show an unrouted fall-through (see
/// [`Event::Transition`]): `error: not routed, went on to the step below`,
/// `what` being the outcome or answer.
pub fn unrouted_words(what: &str, why: Unrouted, to: Option<&str>) -> String {
    let why = match why {
        Unrouted::NotRouted => "not routed",
        Unrouted::NoWhenMatched => "no `when` matched",
    };
    match to {
        Some(_) => format!("{what}: {why}, went on to the step below"),
        None => format!("{what}: {why}, and no step is below: the run ends"),
    }
}

/// How the view and the record say why `vars.NAME` is unset after a step:
/// its capture found nothing, or what it found did not convert to its
/// `type:` (the step's `invalid_capture` error names each such capture), or
/// the probe erred without an answer (timeout, command not found), or the
/// step was skipped (a request not sent in a `--read-only` run).
pub fn unset_words(name: &str, outcome: Option<Outcome>, error: Option<&ProbeError>) -> &'static str {
    let named = format!("capture `{name}`:");
    if outcome == Some(Outcome::Skipped) {
        "unset: the step was skipped, nothing was sent"
    } else if error.is_some_and(|error| error.kind == ErrorKind::InvalidCapture && error.message.contains(&named)) {
        "unset: what it captured did not convert (see the error)"
    } else if error.is_some_and(|error| !error.kind.answered()) {
        "unset: the probe gave no answer (see the error)"
    } else {
        "unset: nothing captured"
    }
}

/// A step of the graph.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct GraphNode {
    /// Step id.
    pub id: String,
    /// Step kind (absent only for a step `check` refuses).
    pub kind: Option<StepKind>,
    /// Step title.
    pub title: Option<String>,
    /// An `ask` step's question, which names it in the picture when it has
    /// no title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// A `conclude` step's status and severity, which colour it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<GraphConclusion>,
    /// Whether no run can reach it, as `check` (RB204) and `runbook test`'s
    /// coverage judge it (`Flow::reachable`): the pictures leave it out.
    /// Written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreachable: bool,
}

/// How a `conclude` step of the graph ends the run.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct GraphConclusion {
    /// Its status.
    pub status: ConclusionStatus,
    /// Its severity, when it gives one.
    pub severity: Option<Severity>,
}

/// A transition of the graph.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct GraphEdge {
    /// Its id, which `transition` events name (see
    /// [`runbook_model::Edge::id`]).
    pub id: String,
    /// Which declaration routes it.
    pub kind: EdgeKind,
    /// From this step.
    pub from: String,
    /// To this step; `None` past the last step.
    pub to: Option<String>,
    /// What takes it: `pass`, `answer yes`, `fail when …`, `then`.
    pub label: String,
    /// Whether it takes what a `when` chain left unmatched (see
    /// [`runbook_model::Edge::fallback`]). Written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
}

/// What one probe ran and observed, and how it was judged.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Part {
    /// Name of the probe in a `probes:` group.
    pub name: Option<String>,
    /// The `foreach` item.
    pub item: Option<Value>,
    /// The probe's kind.
    pub probe: runbook_model::ProbeKind,
    /// The rendered request or command, for people.
    pub target: String,
    /// What the probe saw; absent in a dry run.
    pub observation: Option<Observation>,
    /// Each expectation's verdict.
    pub expectations: Vec<ExpectationResult>,
    /// The probe's outcome.
    pub outcome: Outcome,
    /// Why the outcome is `error`.
    pub error: Option<ProbeError>,
    /// Whether the outcome was assumed (dry run) rather than observed.
    pub assumed: bool,
    /// Why the probe was not sent (its outcome is `skipped`): a request
    /// that may change things in a `--read-only` run. Written only then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_sent: Option<String>,
}

impl Part {
    /// Whether its lines say `error` already: as its own error, or as the
    /// reason of a failure its expectations judged (a `tcp` check's
    /// `connected: false`), which is its step's error too.
    #[must_use]
    pub fn says(&self, error: &ProbeError) -> bool {
        self.error.as_ref() == Some(error) || self.observation.as_ref().and_then(Observation::error) == Some(error)
    }
}

/// Who gave an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnsweredBy {
    /// The operator, at a prompt.
    Operator,
    /// `--answer` or `--answers`.
    Script,
    /// The declared default, with `--accept-defaults`.
    Default,
    /// Nobody needed to: a dry run, `--read-only`, `--yes`, or an
    /// instruction acknowledged by an unattended run without an answer.
    Mode,
}

impl AnsweredBy {
    /// The name used in output.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Script => "script",
            Self::Default => "default",
            Self::Mode => "mode",
        }
    }
}

/// What happened to an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionDecision {
    /// Confirmed: it runs.
    Run,
    /// Declined by the operator.
    Declined,
    /// Not run because of the mode (`--dry-run`, `--read-only`).
    NotInThisMode,
}

impl ActionDecision {
    /// The decision in words, as `record.md` shows it.
    pub const fn words(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Declined => "declined",
            Self::NotInThisMode => "not in this mode",
        }
    }
}

/// A conclusion with its templates rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConclusionView {
    /// How the run ended.
    pub status: ConclusionStatus,
    /// How bad the finding is.
    pub severity: Option<Severity>,
    /// What is wrong.
    pub diagnosis: Option<String>,
    /// What to do about it.
    pub remediation: Option<String>,
    /// Who to hand over to.
    pub escalation: Option<EscalationView>,
    /// Work after the incident.
    pub followups: Vec<String>,
}

/// An escalation with its message rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EscalationView {
    /// Who to page.
    pub to: Vec<String>,
    /// What to tell them.
    pub message: Option<String>,
    /// Steps whose evidence goes with the hand-over.
    pub evidence: Vec<String>,
    /// What to gather first.
    pub checklist: Vec<String>,
}

impl crate::redact::Redact for ConclusionView {
    fn redact(&mut self, redactor: &crate::redact::Redactor) {
        let Self { status: _, severity: _, diagnosis, remediation, escalation, followups } = self;
        diagnosis.redact(redactor);
        remediation.redact(redactor);
        if let Some(EscalationView { to, message, evidence, checklist }) = escalation {
            to.redact(redactor);
            message.redact(redactor);
            evidence.redact(redactor);
            checklist.redact(redactor);
        }
        followups.redact(redactor);
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// A `conclude` step was reached.
    Concluded,
    /// The run went past the last step without a conclusion.
    Ended,
    /// The runbook could not go on: a template error, a loop over
    /// `max_visits`, a `call` that could not load.
    Failed,
    /// A question had no answer in a non-interactive run.
    Waiting,
    /// The operator interrupted the run.
    Aborted,
    /// The runbook's `timeout` passed.
    TimedOut,
}

impl RunStatus {
    /// The name used in output.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Concluded => "concluded",
            Self::Ended => "ended",
            Self::Failed => "failed",
            Self::Waiting => "waiting",
            Self::Aborted => "aborted",
            Self::TimedOut => "timed_out",
        }
    }
}

/// Where events go.
pub trait EventSink {
    /// Receives one event, in order.
    fn emit(&mut self, event: &Event);

    /// Writes the events it holds back, if any: the run is about to start
    /// a step or an action, and asks [`EventSink::failure`] next.
    fn commit(&mut self) {}

    /// Why events can no longer be kept (a journal write failed), saying
    /// what was kept. The run stops before anything else runs: an action
    /// it could not record could run twice.
    fn failure(&self) -> Option<String> {
        None
    }

    /// Whether it reads the `facts` of [`Event::StepFinished`]. When it
    /// does not (a terminal view), a `check` or `collect` step's facts are
    /// sent as `null` and built from its observations only where a
    /// template reads `steps.ID` or `result`: a `foreach` of thousands of
    /// probes does not build, scan for secrets and drop facts nobody reads.
    fn reads_step_facts(&self) -> bool {
        true
    }
}

impl<F: FnMut(&Event)> EventSink for F {
    fn emit(&mut self, event: &Event) {
        self(event);
    }
}
