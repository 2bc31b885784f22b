//! The interpreter: walks a runbook's steps, runs each one, and follows
//! the transitions its outcome or answer selects, until a conclusion, the
//! end of the steps, or a stop (an error, a missing answer, Ctrl-C, the
//! run's timeout).

mod action;
mod ask;
mod call;
mod check;
mod collect;
mod conclude;
mod instruct;
mod probing;
mod routing;
mod run_error;

pub use call::{CalledConclusion, UnsetCalleeInput, called_files, unset_callee_inputs};
pub use run_error::{CallFailure, RunError, RunErrorKind, VisitLimit};

pub use crate::prepare::RenderError;
pub use runbook_model::sha256_hex;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime};

use indexmap::IndexMap;
use runbook_model::{DEFAULT_MAX_VISITS, EdgeKind, Outcome, Plan, Span, Spanned, Step, StepBody};
use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, compact};
use crate::event::{ConclusionView, Event, EventSink, Part, RunInfo, RunStatus, RunbookText, Unrouted};
use crate::facts::Facts;
use crate::inputs::ResolvedInputs;
use crate::no_answer::NoAnswer;
use crate::operator::Operator;
use crate::prepare::Renderer;
use crate::probe::{ErrorKind, HttpClient, Limits, ProbeError, ProbeRunner, millis};
use crate::redact::{LearnedSecret, Redactor, RestoreError, Salt};
use crate::step_facts::{CallFacts, KindFacts, StepFacts};
use crate::template::Templates;
use crate::timestamp::Timestamp;
use runbook_model::StepPath;

/// What a run may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Probes and confirmed actions run.
    #[default]
    Live,
    /// Probes run; actions never do.
    ReadOnly,
    /// Nothing runs: commands and URLs are rendered and shown, outcomes are
    /// assumed.
    DryRun,
}

impl Mode {
    /// The name in `run.mode` and the record.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::ReadOnly => "read-only",
            Self::DryRun => "dry-run",
        }
    }
}

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// What may run.
    pub mode: Mode,
    /// Outcomes assumed for check steps in a dry run, by step id (default
    /// `pass`).
    pub assume: HashMap<String, Outcome>,
    /// The run's `--fail-on` terms, as given: journaled so that `resume`
    /// keeps the verdict the run was started with.
    pub fail_on: Vec<String>,
    /// Whether a person answers (recorded as `run.interactive`).
    pub interactive: bool,
    /// Who runs it.
    pub operator: String,
    /// On which machine.
    pub host: String,
    /// SHA-256 of the runbook file, hex (see [`sha256_hex`]).
    pub sha256: String,
    /// Bounds on every probe.
    pub limits: Limits,
    /// Most probes of one step running at once; default 4 per core, at most
    /// 64.
    pub concurrency: Option<usize>,
    /// Endings of `call` steps given instead of running the called runbook,
    /// by step name, one per visit of the step, the last repeating
    /// (`runbook test`'s mocked conclusions).
    pub called: HashMap<String, Vec<CalledConclusion>>,
    /// The instant the run starts, when the caller names something after
    /// the run (its record directory) and took it already, so that both
    /// read the same second; `None`: the clock's time when the run starts.
    pub started: Option<SystemTime>,
    /// Whether the machine's environment stays unread (`runbook test`): a
    /// called runbook's inputs come only from its `call`, so a case passes
    /// or fails the same on every machine.
    pub hermetic: bool,
    /// Why [`Services::cancel`] fired, set before it fires by whoever
    /// cancels the run (the signal that stopped it); unset, an aborted run
    /// was "interrupted by the operator".
    pub stopped_by: Arc<OnceLock<String>>,
}

/// What the run talks to.
pub struct Services<'a> {
    /// Who answers questions.
    pub operator: &'a mut dyn Operator,
    /// Where events go.
    pub sink: &'a mut dyn EventSink,
    /// The time: retry waits, timeouts, durations and `run.started_at`
    /// read it ([`crate::clock::SystemClock`], or a
    /// [`crate::clock::VirtualClock`] in tests).
    pub clock: &'a dyn Clock,
    /// Runs every probe of the run ([`crate::probe::SystemProbes`], or
    /// mocked observations in tests).
    pub probes: Arc<dyn ProbeRunner>,
    /// Fires on Ctrl-C: running probes stop, the run ends as aborted.
    pub cancel: CancellationToken,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Who, where, when, how.
    pub info: RunInfo,
    /// How it ended.
    pub status: RunStatus,
    /// The conclusion, when one was reached.
    pub conclusion: Option<ConclusionView>,
    /// Why it ended, for endings other than a conclusion.
    pub message: Option<String>,
    /// The failure behind a `failed` or `timed-out` ending, located in the
    /// runbook, for rendering like a `check` diagnostic.
    pub error: Option<RunError>,
    /// The captured vars.
    pub vars: IndexMap<String, Json>,
    /// Every secret the run knew when it ended (its secret inputs, the
    /// secrets it captured or derived), for output made after it.
    pub(crate) redactor: Redactor,
}

/// Where an interrupted or waiting run continues, read from its journal
/// (see [`crate::record::resume_point`]).
#[derive(Debug, Clone, Default)]
pub struct Resume {
    /// The run's id, kept across resumptions.
    pub run_id: String,
    /// When the run first started.
    pub started_at: Timestamp,
    /// The step to continue with; `None`: nothing ran yet, the run begins
    /// at the runbook's start.
    pub step: Option<String>,
    /// How often each step has run.
    pub visits: HashMap<String, u32>,
    /// `vars` as they were.
    pub vars: IndexMap<String, Json>,
    /// `steps.ID` as they were.
    pub steps: IndexMap<String, StepFacts>,
    /// Whether `step` is an action that was running when the run stopped
    /// (it may have run): it is not run again without an explicit yes.
    pub action_in_flight: bool,
    /// Actions inside a `call` step that is run again (`call/inner`), which
    /// ran before the stop: not run again without an explicit yes either.
    pub actions_ran: Vec<String>,
    /// Actions that ran and finished before the stop, their step not routed
    /// yet (`step`, or `call/inner` inside a `call` step run again), by
    /// name: they are not run or asked about again; the journaled ending
    /// stands.
    pub actions_done: HashMap<String, FinishedAction>,
    /// The evidence of the steps that ran, for questions that show it.
    pub evidence: HashMap<String, Vec<Arc<Part>>>,
    /// Whether the runbook file changed since the run started.
    pub runbook_changed: bool,
    /// The salt of the journal's fingerprints (`run_started`), hex.
    pub secret_salt: Option<String>,
    /// The secret inputs whose values key that salt, by name
    /// (`run_started`): given again, they make the same fingerprints.
    pub secret_keyed_by: Vec<String>,
    /// What the run learned of secrets before the stop, as journaled, each
    /// with the number of the journal line that gave it.
    pub learned_secrets: Vec<(usize, LearnedSecret)>,
    /// The vars a probe without an answer left unset or at their capture's
    /// `default:`, by name: a condition does not route on them after the
    /// resume either.
    pub no_answer_vars: IndexMap<String, crate::step_facts::NoAnswerVar>,
}

/// How an action that ran before the stop finished, as journaled.
#[derive(Debug, Clone, Default)]
pub struct FinishedAction {
    /// Its outcome.
    pub outcome: Option<Outcome>,
    /// Why the outcome is `error`.
    pub error: Option<ProbeError>,
    /// What it captured (secrets redacted, as journaled).
    pub captures: IndexMap<String, Json>,
    /// The vars its captures found nothing for, unset.
    pub uncaptured: Vec<String>,
    /// Its `steps.ID` facts (secrets redacted, as journaled).
    pub facts: Option<StepFacts>,
}

/// Runs the planned runbook (loaded from `path`) with resolved inputs and
/// its templates compiled by [`compile_templates`].
pub async fn run(
    plan: &Plan,
    templates: &PlanTemplates<'_>,
    path: &Path,
    inputs: &ResolvedInputs,
    options: &Options,
    services: Services<'_>,
) -> RunReport {
    let mut redactor = given_secrets(plan, path, inputs, options);
    // The secret inputs with a value key the fingerprints with the salt.
    let mut material: Vec<(&str, String)> = inputs
        .secrets
        .iter()
        .filter_map(|name| Some((name.as_str(), input_text(inputs.values.get(name.as_str())?)?)))
        .collect();
    material.sort();
    material.dedup();
    redactor.salt_with(Salt::random().keyed_with(material.iter().map(|(name, value)| (*name, value.as_str()))));
    let keyed_by = material.into_iter().map(|(name, _)| name.to_owned()).collect();
    start(plan, templates, path, inputs, options, services, Begin { resume: None, redactor, keyed_by }).await
}

/// Continues a run from its journal's [`Resume`] point. Refused before
/// anything is emitted when what the run learned of secrets before the
/// stop cannot be redacted by this process ([`RestoreError`]).
pub async fn resume(
    plan: &Plan,
    templates: &PlanTemplates<'_>,
    path: &Path,
    inputs: &ResolvedInputs,
    options: &Options,
    services: Services<'_>,
    resume: &Resume,
) -> Result<RunReport, RestoreError> {
    // What an earlier process of the run learned of secrets comes back
    // from the journal (pieces, fingerprints) under the run's salt.
    let mut redactor = given_secrets(plan, path, inputs, options);
    let salt = resume.secret_salt.as_deref().and_then(Salt::from_hex).ok_or(RestoreError::Salt)?;
    let keyed_by = resume.secret_keyed_by.clone();
    let material = keyed_by
        .iter()
        .map(|name| {
            let value = inputs.values.get(name.as_str()).and_then(input_text);
            value.map(|value| (name.as_str(), value)).ok_or_else(|| RestoreError::KeyInput { name: name.clone() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    redactor.salt_with(salt.keyed_with(material.iter().map(|(name, value)| (*name, value.as_str()))));
    for (line, learned) in &resume.learned_secrets {
        redactor.restore(*line, learned)?;
    }
    Ok(start(plan, templates, path, inputs, options, services, Begin { resume: Some(resume), redactor, keyed_by })
        .await)
}

/// A secret input's value as it keys the run's fingerprints: a text as it
/// is, any other value as JSON; `None` for none.
fn input_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text.clone()),
        value => Some(value.to_string()),
    }
}

/// A redactor of the secrets a run is given (again, when it resumes): its
/// secret inputs, the variables its `env` probes read, proxy credentials,
/// its called runbooks' secrets.
fn given_secrets(plan: &Plan, path: &Path, inputs: &ResolvedInputs, options: &Options) -> Redactor {
    let mut redactor = Redactor::new();
    for name in &inputs.secrets {
        if let Some(value) = inputs.values.get(name) {
            redactor.add_input(name, value);
        }
    }
    if !options.hermetic {
        redact_env_probe_values(plan, &mut redactor);
        for (name, secret) in crate::probe::proxy::environment_proxy_secrets() {
            redactor.add(name, &secret);
        }
    }
    redact_literal_proxy_secrets(plan, &mut redactor);
    call::redact_callee_secrets(plan, path, options.hermetic, &mut redactor);
    redactor
}

/// How a run begins: afresh or from its journal, and the secrets it knows
/// then (with the salt it fingerprints what it learns under).
struct Begin<'r> {
    resume: Option<&'r Resume>,
    redactor: Redactor,
    /// The secret inputs that key the salt, by name.
    keyed_by: Vec<String>,
}

async fn start(
    plan: &Plan,
    templates: &PlanTemplates<'_>,
    path: &Path,
    inputs: &ResolvedInputs,
    options: &Options,
    services: Services<'_>,
    Begin { resume, redactor, keyed_by }: Begin<'_>,
) -> RunReport {
    let wall = options.started.unwrap_or_else(|| services.clock.wall());
    let runbook = &plan.runbook;
    let flow = &plan.flow;
    let info = RunInfo {
        id: resume.map_or_else(|| run_id(wall, &runbook.id.value), |r| r.run_id.clone()),
        runbook: runbook.id.value.clone(),
        title: runbook.title.value.clone(),
        version: runbook.version.as_ref().map(|v| match &v.value {
            runbook_model::Version::Number(n) => n.to_string(),
            runbook_model::Version::Text(t) => t.clone(),
        }),
        path: path.display().to_string(),
        started_at: resume.map_or_else(|| Timestamp::new(wall), |r| r.started_at.clone()),
        operator: redactor.text(&options.operator).into_owned(),
        host: options.host.clone(),
        mode: options.mode,
        interactive: options.interactive,
        inputs: redacted_inputs(inputs),
        sha256: options.sha256.clone(),
        callees: call::callee_files(plan, path, options.hermetic),
        engine: env!("CARGO_PKG_VERSION").to_owned(),
        graph: crate::diagram::graph(&plan.runbook, &plan.flow),
        assume: options.assume.iter().map(|(step, outcome)| (step.clone(), *outcome)).collect(),
        fail_on: options.fail_on.clone(),
        record_template: runbook.record.as_ref().map(|t| t.value.clone()),
        virtual_time: services.clock.is_virtual(),
        secret_salt: redactor.salt().map(Salt::hex),
        secret_keyed_by: keyed_by,
    };
    crate::probe::mark_commands_of(&info.id);
    let run_facts = serde_json::json!({
        "id": info.id, "started_at": info.started_at, "operator": info.operator, "host": info.host,
        "mode": info.mode.name(), "interactive": info.interactive, "runbook": info.runbook,
    });
    match resume {
        Some(resume) => services.sink.emit(&Event::Resumed {
            step: resume
                .step
                .clone()
                .or_else(|| flow.start.map(|start| runbook.steps[start].id.value.clone()))
                .unwrap_or_default(),
            operator: redactor.text(&options.operator).into_owned(),
            runbook_changed: resume.runbook_changed,
            text: resume.runbook_changed.then(|| {
                Box::new(RunbookText {
                    sha256: info.sha256.clone(),
                    callees: info.callees.clone(),
                    graph: info.graph.clone(),
                })
            }),
        }),
        None => services.sink.emit(&Event::RunStarted(info.clone())),
    }
    let started = services.clock.now();
    let mut facts = Facts::new(&inputs.values, &run_facts).with_secrets(secret_names(plan, &inputs.secrets));
    let mut visits = vec![0; runbook.steps.len()];
    let mut start_at = flow.start;
    if let Some(resume) = resume {
        for (name, value) in &resume.vars {
            facts.restore_var(name, value);
        }
        for (name, var) in &resume.no_answer_vars {
            facts.note_no_answer_var(
                name,
                NoAnswer { step: var.step.clone(), error: var.error.clone() },
                var.defaulted,
            );
        }
        for (id, step) in &resume.steps {
            facts.restore_step(id, step.to_json());
            if let Some(error) = step.error.as_ref().filter(|error| step.outcome.is_some() && !error.kind.answered()) {
                facts.note_no_answer_step(id, NoAnswer { step: id.clone(), error: error.clone() });
            }
            if let KindFacts::Call(call) = &step.kind {
                facts.note_no_answer_call(id, call);
            }
        }
        for (id, count) in &resume.visits {
            if let Some(index) = flow.position(id) {
                visits[index] = *count;
            }
        }
        if let Some(step) = &resume.step {
            start_at = flow.position(step);
        }
    }
    let mut interpreter = Interpreter {
        plan,
        path,
        options,
        operator: services.operator,
        sink: services.sink,
        clock: services.clock,
        probes: services.probes,
        cancel: services.cancel,
        templates: &templates.own,
        callees: &templates.callees,
        client: HttpClient::new(),
        redactor,
        facts,
        visits,
        start_at,
        action_in_flight: resume.filter(|r| r.action_in_flight).and_then(|r| r.step.clone()),
        resumed: resume.is_some(),
        actions_ran: resume.map(|r| r.actions_ran.clone()).unwrap_or_default(),
        actions_done: resume.map(|r| r.actions_done.clone()).unwrap_or_default(),
        evidence: resume.map(|r| r.evidence.clone()).unwrap_or_default(),
        caller: None,
        call_stack: vec![path.to_path_buf()],
        run_deadline: runbook.timeout.as_ref().map(|t| started + t.0),
        run_facts,
        title: None,
    };
    let mut ending = match resume {
        Some(Resume { step: Some(step), .. }) if interpreter.start_at.is_none() => {
            let kind = RunErrorKind::ResumedStepGone { step: step.clone() };
            Stop::Error(Box::new(RunError { kind, text: plan.source.clone(), span: runbook.id.span })).into()
        }
        _ => interpreter.walk().await,
    };
    if ending.status == RunStatus::Aborted
        && let Some(reason) = options.stopped_by.get()
    {
        ending.message = Some(reason.clone());
    }
    ending.message = ending.message.map(|message| interpreter.redactor.text(&message).into_owned());
    ending.error = ending.error.map(|error| error.redacted(&interpreter.redactor));
    let duration = interpreter.clock.now().duration_since(started);
    interpreter.sink.emit(&Event::RunFinished {
        status: ending.status,
        message: ending.message.clone(),
        duration_ms: millis(duration),
    });
    RunReport {
        info,
        status: ending.status,
        conclusion: ending.conclusion,
        message: ending.message,
        error: ending.error,
        vars: interpreter.facts.vars().clone(),
        redactor: interpreter.redactor,
    }
}

/// Shortest value of a variable an `env` probe names that is redacted
/// whatever the variable's name: shorter ones are mostly settings (`us`,
/// `default`, `1`), and redacting them would cut them out of every word
/// they occur in ("stat[redacted:REGION]").
const MIN_ENV_PROBE_SECRET: usize = 8;

/// Shortest value of a credential-named variable an `env` probe names that
/// is a secret: a flag such as `AUTH_ENABLED=1` or `TOKEN_TTL=60` protects
/// nothing, and redacting it would take every `1` out of the evidence
/// (review-8-attack3 L11).
const MIN_ENV_PROBE_CREDENTIAL: usize = 4;

/// Adds the values of the variables `env` probes look at: the probe never
/// shows them, and neither may a command that prints its environment. A
/// value shorter than [`MIN_ENV_PROBE_SECRET`] is added only when the
/// variable's name says it is a credential ([`runbook_model::names_credential`])
/// and it has [`MIN_ENV_PROBE_CREDENTIAL`] characters or more.
fn redact_env_probe_values(plan: &Plan, redactor: &mut Redactor) {
    let found = plan.bodies.iter().flat_map(StepBody::probes).flat_map(|entry| entry.probe.secret_variables());
    for name in found {
        let Ok(value) = std::env::var(name) else { continue };
        let length = value.chars().count();
        if length >= MIN_ENV_PROBE_SECRET
            || (length >= MIN_ENV_PROBE_CREDENTIAL && runbook_model::names_credential(name))
        {
            redactor.add(name, &value);
        }
    }
}

/// Adds the passwords written into literal `proxy` URLs (and the Basic
/// credentials made of them): the engine sends them to the proxy, which
/// may echo them back.
fn redact_literal_proxy_secrets(plan: &Plan, redactor: &mut Redactor) {
    for entry in plan.bodies.iter().flat_map(StepBody::probes) {
        if let runbook_model::Probe::Http(http) = &entry.probe
            && let Some(proxy) = http.proxy.as_ref().filter(|proxy| !proxy.contains("{{"))
        {
            for secret in crate::probe::proxy::proxy_secrets(proxy) {
                redactor.add("proxy", &secret);
            }
        }
    }
}

/// The dotted names that hold a secret in a run of `plan` whose secret
/// inputs are `secret_inputs`: those inputs, those the plan sends where
/// credentials go, and its secret vars ([`runbook_model::SecretFlow`]).
fn secret_names(plan: &Plan, secret_inputs: &[String]) -> impl Iterator<Item = String> {
    let flow = plan.secret_flow();
    let inputs = secret_inputs.iter().chain(&flow.inputs).map(|name| format!("inputs.{name}"));
    inputs.chain(flow.vars.iter().map(|name| format!("vars.{name}"))).collect::<Vec<_>>().into_iter()
}

/// A run's id: its start time (UTC, to the second) and the runbook's id,
/// `20261123T113640Z-api-health`. `runbook run` names the record directory
/// the same way.
pub fn run_id(started: SystemTime, runbook: &str) -> String {
    format!("{}-{runbook}", compact(started))
}

/// Secret inputs' values replaced by `[redacted:NAME]`.
fn redacted_inputs(inputs: &ResolvedInputs) -> IndexMap<String, Json> {
    inputs
        .values
        .iter()
        .map(|(name, value)| {
            let shown = if inputs.secrets.contains(name) && !value.is_null() {
                Json::from(format!("[redacted:{name}]"))
            } else {
                value.clone()
            };
            (name.clone(), shown)
        })
        .collect()
}

/// The templates a run of a plan evaluates, those of every runbook it can
/// call included, each compiled once ([`compile_templates`]): runs of one
/// plan share them, such as all the cases of a `runbook test` file.
pub struct PlanTemplates<'p> {
    own: Templates<'p>,
    callees: call::CalleeTemplates<'p>,
}

/// The templates a run of `plan` in `mode` evaluates: strict, or lenient
/// for a dry run (no observations), with every template and expression of
/// the plan and of the runbooks it calls compiled once.
pub fn compile_templates(plan: &Plan, mode: Mode) -> PlanTemplates<'_> {
    PlanTemplates { own: own_templates(plan, mode), callees: call::CalleeTemplates::compile(plan, mode) }
}

/// The templates of `plan` itself, compiled.
fn own_templates(plan: &Plan, mode: Mode) -> Templates<'_> {
    let mut templates = if mode == Mode::DryRun { Templates::lenient() } else { Templates::new() };
    templates.compile(plan);
    templates
}

/// How the walk ended.
struct Ending {
    status: RunStatus,
    conclusion: Option<ConclusionView>,
    message: Option<String>,
    error: Option<RunError>,
}

/// Why a run stops before a conclusion.
#[derive(Debug, Clone)]
enum Stop {
    /// The run cannot go on, for a reason located at a step of the
    /// runbook (a template error, visits exceeded, a bad call, the journal
    /// or the terminal failing, an invalid answer).
    Error(Box<RunError>),
    /// A question needs an answer nobody can give here.
    Waiting(String),
    /// Ctrl-C.
    Aborted,
}

impl From<Stop> for Ending {
    fn from(stop: Stop) -> Self {
        let (status, message) = match stop {
            Stop::Error(error) => {
                return Self {
                    status: RunStatus::Failed,
                    conclusion: None,
                    message: Some(error.located()),
                    error: Some(*error),
                };
            }
            Stop::Waiting(message) => (RunStatus::Waiting, message),
            Stop::Aborted => (RunStatus::Aborted, "interrupted by the operator".to_owned()),
        };
        Self { status, conclusion: None, message: Some(message), error: None }
    }
}

/// What a step did, for the facts, the events and the transition.
#[derive(Debug, Default)]
struct StepDone {
    /// The outcome, for steps that have one.
    outcome: Option<Outcome>,
    /// Why the outcome is `error`.
    error: Option<ProbeError>,
    /// The `on:` key: outcome, answer or conclusion status.
    key: Option<String>,
    /// What `steps.ID` shows of the step's kind (for a step with
    /// `observed`, all but what its probes observed).
    facts: KindFacts,
    /// The probes its facts are made from where a template reads them,
    /// when no sink reads them.
    observed: Option<probing::Observed>,
    /// Values captured into `vars` (unredacted).
    captures: IndexMap<String, Json>,
    /// Vars whose capture found nothing: unset.
    uncaptured: Vec<String>,
    /// The conclusion of a `conclude` step.
    conclusion: Option<ConclusionView>,
    /// How long the operator took to confirm an action: not the action's
    /// time, so not in its `duration`.
    deciding: std::time::Duration,
}

/// One run (or one `call`ed runbook) in progress.
struct Interpreter<'a> {
    plan: &'a Plan,
    path: &'a Path,
    options: &'a Options,
    operator: &'a mut dyn Operator,
    sink: &'a mut dyn EventSink,
    clock: &'a dyn Clock,
    probes: Arc<dyn ProbeRunner>,
    cancel: CancellationToken,
    templates: &'a Templates<'a>,
    /// The templates of the runbooks the run can call.
    callees: &'a call::CalleeTemplates<'a>,
    client: HttpClient,
    redactor: Redactor,
    facts: Facts,
    visits: Vec<u32>,
    /// The step the walk begins with.
    start_at: Option<usize>,
    /// An action that was running when the run stopped, on resume.
    action_in_flight: Option<String>,
    /// Whether this is `runbook resume`, whose hints name only its flags.
    resumed: bool,
    /// Actions of called runbooks that ran before the stop, by name.
    actions_ran: Vec<String>,
    /// Actions that ran and finished before the stop, by name.
    actions_done: HashMap<String, FinishedAction>,
    /// The last attempt's probes of each step, for `ask.evidence`.
    evidence: HashMap<String, Vec<Arc<Part>>>,
    /// Inside a called runbook, the name of the `call` step that runs it,
    /// so that events name steps uniquely ([`StepPath`]).
    caller: Option<String>,
    /// Files of the runbooks being run, outermost first: the chain a
    /// failure inside a called runbook names (`check` refuses cycles).
    call_stack: Vec<PathBuf>,
    run_deadline: Option<Instant>,
    /// `run.*` in templates, shared with called runbooks.
    run_facts: Json,
    /// The current step's title, rendered: what the prompts show.
    title: Option<String>,
}

impl<'a> Interpreter<'a> {
    /// The name of a step in events and for scripted answers.
    fn name(&self, id: &str) -> String {
        StepPath::join(self.caller.as_deref(), id)
    }

    fn emit(&mut self, event: &Event) {
        self.sink.emit(event);
    }

    /// Stops the run once its events can no longer be recorded: nothing
    /// more runs that the journal would not show (and a resume would run
    /// again).
    fn recording(&mut self, step: &Step) -> Result<(), Stop> {
        self.sink.commit();
        match self.sink.failure() {
            Some(failure) => {
                let kind = RunErrorKind::Journal { step: self.name(&step.id), failure };
                Err(Stop::Error(self.error_at(step, kind)))
            }
            None => Ok(()),
        }
    }

    async fn walk(&mut self) -> Ending {
        let plan: &'a Plan = self.plan;
        let mut current = self.start_at;
        // The YAML of the transition that led to the current step.
        let mut arrived_by: Option<Span> = None;
        loop {
            let Some(index) = current else {
                return Ending {
                    status: RunStatus::Ended,
                    conclusion: None,
                    message: Some("the run went past the last step without reaching a conclusion".into()),
                    error: None,
                };
            };
            let (step, body) = plan.step(index);
            self.visits[index] += 1;
            if let Some(error) = self.visits_exceeded(index, step, arrived_by) {
                return Stop::Error(error).into();
            }
            if let Err(stop) = self.recording(step) {
                return stop.into();
            }
            let name = self.name(&step.id);
            let shown = self
                .shown(step, "title", step.title.as_ref())
                .and_then(|title| Ok((title, self.shown(step, "description", step.description.as_ref())?)));
            let (title, description) = match shown {
                Ok(shown) => shown,
                Err(reason) => return reason.into(),
            };
            self.title.clone_from(&title);
            self.emit(&Event::StepStarted {
                step: name.clone(),
                kind: body.kind(),
                title,
                description,
                visit: self.visits[index],
            });
            let started = self.clock.now();
            let mut done = match self.execute_bounded(step, body).await {
                Ok(done) => done,
                Err(reason) => return reason.into(),
            };
            let duration = self.clock.now().duration_since(started).saturating_sub(done.deciding);
            let duration_ms = millis(duration);
            // Facts no sink reads are sent as none, and built from the
            // observations where a template reads them.
            let kind = std::mem::take(&mut done.facts);
            // What a called runbook's probes without an answer left in
            // the vars it hands back.
            let call = match &kind {
                KindFacts::Call(call) if !call.no_answer.is_empty() => Some(CallFacts {
                    vars: IndexMap::new(),
                    conclusion: call.conclusion.clone(),
                    message: None,
                    no_answer: call.no_answer.clone(),
                }),
                _ => None,
            };
            let (facts, deferred) = if let Some(observed) = done.observed.take() {
                (None, Some((observed, kind)))
            } else {
                let facts = StepFacts { kind, outcome: done.outcome, error: done.error.clone(), duration: duration_ms };
                (Some(facts), None)
            };
            // The event's copy is redacted; the facts are copied only where
            // a secret was found, else lent to the event and taken back for
            // the templates.
            let redacted = facts.as_ref().and_then(|facts| match self.redactor.redacted_json(facts) {
                Cow::Owned(redacted) => Some(redacted),
                Cow::Borrowed(_) => None,
            });
            let facts_unredacted = redacted.is_none();
            let (shown_facts, kept) = match redacted {
                Some(redacted) => (Some(redacted), facts),
                None => (facts, None),
            };
            let mut captures = Json::Object(done.captures.into_iter().collect());
            self.redactor.json(&mut captures);
            let captures = match captures {
                Json::Object(map) => map.into_iter().collect(),
                _ => IndexMap::new(),
            };
            let error = done.error.clone().map(|error| error.redacted(&self.redactor));
            let finished = Event::StepFinished {
                step: name.clone(),
                outcome: done.outcome,
                error,
                duration_ms,
                captures,
                uncaptured: done.uncaptured,
                facts: shown_facts,
                facts_unredacted,
            };
            self.emit(&finished);
            // Templates read the facts as JSON, made where one first does.
            let result = if let Some((observed, kind)) = deferred {
                let (outcome, error) = (done.outcome, done.error.clone());
                self.facts.set_step_deferred(&step.id, move || {
                    StepFacts { kind: kind.with_probed(observed.facts()), outcome, error, duration: duration_ms }
                        .to_json()
                })
            } else {
                let facts = match (kept, finished) {
                    (Some(facts), _) | (None, Event::StepFinished { facts: Some(facts), .. }) => Some(facts),
                    (None, _) => None,
                };
                self.facts.set_step_deferred(&step.id, move || facts.map(|facts| facts.to_json()).unwrap_or_default())
            };
            // What a probe without an answer printed stays in its facts for
            // a diagnosis, never for a condition.
            let runs_probes = step.probing().is_some() || step.action.is_some();
            if let Some(error) = done.error.as_ref().filter(|error| runs_probes && !error.kind.answered()) {
                let why = NoAnswer { step: step.id.value.clone(), error: error.clone().redacted(&self.redactor) };
                self.facts.note_no_answer_step(&step.id, why);
            }
            if let Some(call) = call {
                self.facts.note_no_answer_call(&step.id, &call);
            }
            if let Some(conclusion) = done.conclusion {
                self.emit(&Event::Concluded { step: name, conclusion: conclusion.clone() });
                return Ending {
                    status: RunStatus::Concluded,
                    conclusion: Some(conclusion),
                    message: None,
                    error: None,
                };
            }
            if self.cancel.is_cancelled() {
                return Stop::Aborted.into();
            }
            if self.run_deadline.is_some_and(|deadline| self.clock.now() >= deadline) {
                let limit = plan.runbook.timeout.as_ref().map(|t| t.value).unwrap_or_default();
                let mut error = self.error_at(step, RunErrorKind::Timeout { step: name, limit });
                if let Some(timeout) = &plan.runbook.timeout {
                    error.span = timeout.span;
                }
                return Ending {
                    status: RunStatus::TimedOut,
                    conclusion: None,
                    message: Some(error.kind.to_string()),
                    error: Some(*error),
                };
            }
            if let Some(kind) = unreadable_answer(step, &plan.flow.edges[index], done.outcome, done.error.as_ref()) {
                return Stop::Error(self.error_at(step, kind)).into();
            }
            let (next, edge) = match self.route(index, step, done.key.as_deref(), result) {
                Ok(route) => route,
                Err(reason) => return reason.into(),
            };
            let edge_span = edge.span;
            let to = next.map(|next| self.name(&plan.runbook.steps[next].id));
            let routes = || plan.flow.edges[index].iter().any(|e| e.possible && e.kind != EdgeKind::FallThrough);
            let transition = Event::Transition {
                from: name,
                to,
                edge: self.name(&edge.id),
                via: edge.label.clone(),
                kind: edge.kind,
                unrouted: (edge.kind == EdgeKind::FallThrough && routes()).then_some(if edge.fallback {
                    Unrouted::NoWhenMatched
                } else {
                    Unrouted::NotRouted
                }),
            };
            self.emit(&transition);
            arrived_by = Some(edge_span);
            current = next;
        }
    }

    /// Runs a step within its `timeout` and the run's. When a limit passes,
    /// running probes are stopped and the step's outcome is `error`
    /// (`timeout`).
    async fn execute_bounded(&mut self, step: &'a Step, body: &'a StepBody) -> Result<StepDone, Stop> {
        let now = self.clock.now();
        let step_limit = step.timeout.as_ref().map(|t| t.0);
        let deadline = [step_limit.map(|limit| now + limit), self.run_deadline].into_iter().flatten().min();
        let token = self.cancel.child_token();
        let Some(deadline) = deadline else {
            return self.execute(step, body, &token).await;
        };
        let sleep = self.clock.sleep(deadline.saturating_duration_since(now));
        let run_limit = self.plan.runbook.timeout.as_ref().map(|t| t.0);
        let execution = self.execute(step, body, &token);
        tokio::pin!(execution);
        let result = tokio::select! {
            result = &mut execution => return result,
            () = sleep => {
                token.cancel();
                execution.await
            }
        };
        let which = if step_limit.is_some_and(|limit| now + limit <= deadline) {
            format!("the step's timeout of {} passed", runbook_model::Duration(step_limit.unwrap_or_default()))
        } else {
            format!("the runbook's timeout of {} passed", runbook_model::Duration(run_limit.unwrap_or_default()))
        };
        result.map(|mut done| {
            if done.outcome.is_some() {
                done.outcome = Some(Outcome::Error);
            }
            done.key = Some(Outcome::Error.name().to_owned());
            done.error = Some(ProbeError::new(ErrorKind::Timeout, which));
            done
        })
    }

    /// Runs the step's body: the one registration of the step kinds in the
    /// engine, each arm handing the step to its kind's module.
    async fn execute(
        &mut self,
        step: &'a Step,
        body: &'a StepBody,
        token: &CancellationToken,
    ) -> Result<StepDone, Stop> {
        match body {
            StepBody::Check(probing) => self.check_step(step, probing, token).await,
            StepBody::Collect(probing) => self.collect_step(step, probing, token).await,
            StepBody::Ask(ask) => self.ask_step(step, ask),
            StepBody::Instruct(instruct) => self.instruct_step(step, instruct),
            StepBody::Action(action) => self.action_step(step, action, token).await,
            StepBody::Call(call) => self.call_step(step, call, token).await,
            StepBody::Conclude(conclude) => self.conclude_step(step, conclude),
        }
    }

    /// The stop when whoever answers could not be asked at `step`: the
    /// terminal went away (an SSH session dropped) or cannot be read. The
    /// run is aborted, as by SIGHUP, so that `runbook resume` continues it
    /// where someone can answer; a signal that came first names the stop.
    fn operator_failed(&self, step: &Step, error: &str) -> Stop {
        let _ = self.options.stopped_by.set(format!(
            "stopped at step `{}`: {error}; resume it where the question can be answered",
            self.name(&step.id)
        ));
        Stop::Aborted
    }

    /// Adds to the redactor what templates of `step` just sent of a secret.
    fn learn_derived_secrets(&mut self, step: &Step) {
        let learned = self
            .facts
            .take_derived_secrets()
            .into_iter()
            .flat_map(|(name, value)| self.redactor.learn(&name, &value))
            .collect();
        self.journal_learned(step, learned);
    }

    /// Journals what the run just learned of secrets ([`Event::SecretsLearned`]).
    fn journal_learned(&mut self, step: &Step, secrets: Vec<LearnedSecret>) {
        if !secrets.is_empty() {
            let step = self.name(&step.id);
            self.emit(&Event::SecretsLearned { step, secrets });
        }
    }

    /// A step's `title` or `description` as the operator sees it:
    /// rendered, secrets redacted.
    fn shown(&self, step: &Step, field: &str, text: Option<&Spanned<String>>) -> Result<Option<String>, Stop> {
        let Some(text) = text else { return Ok(None) };
        let rendered = Renderer::new(self.templates, &self.facts, Vec::new())
            .text(field, text)
            .map_err(|error| self.render_failed(step, &error))?;
        Ok(Some(self.redactor.text(&rendered).into_owned()))
    }

    /// A template failure as a stop naming the step, located at the
    /// templated field when the template is one.
    fn render_failed(&self, step: &Step, error: &crate::prepare::RenderError) -> Stop {
        let mut failure =
            self.error_at(step, RunErrorKind::Template { step: self.name(&step.id), error: error.clone() });
        failure.span = error.span.unwrap_or(failure.span);
        Stop::Error(failure)
    }

    /// The error when the step at `index` has now run more often than its
    /// `max_visits`: located at the `max_visits` that set the limit, or, for
    /// the default, at the transition (`arrived_by`) that came back once
    /// more.
    fn visits_exceeded(&self, index: usize, step: &Step, arrived_by: Option<Span>) -> Option<Box<RunError>> {
        let visits = self.visits[index];
        let (limit, set_by, span) = match (&step.max_visits, &self.plan.runbook.max_visits) {
            (Some(own), _) => (own.value, VisitLimit::Step, own.span),
            (None, Some(runbook)) => (runbook.value, VisitLimit::Runbook, runbook.span),
            (None, None) => (DEFAULT_MAX_VISITS, VisitLimit::Default, arrived_by.unwrap_or(step.id.span)),
        };
        if visits <= limit {
            return None;
        }
        let mut error =
            self.error_at(step, RunErrorKind::MaxVisits { step: self.name(&step.id), visits, limit, set_by });
        error.span = span;
        Some(error)
    }

    /// A run-time error located at `step`, in the text the plan was loaded
    /// from.
    fn error_at(&self, step: &Step, kind: RunErrorKind) -> Box<RunError> {
        Box::new(RunError { kind, text: self.plan.source.clone(), span: step.id.span })
    }
}

/// Why a `check` must stop instead of taking its `error` route: its probe
/// answered, but what it said could not be read as the runbook reads it
/// (`type_mismatch`, `invalid_capture`). Routing that as "no answer" would
/// send a service that answered `"used": "95"` down the "it is down"
/// branch. A step whose routing reads `error.kind` tells the two apart
/// itself, and is routed as written.
fn unreadable_answer(
    step: &Step,
    edges: &[runbook_model::Edge],
    outcome: Option<Outcome>,
    error: Option<&ProbeError>,
) -> Option<RunErrorKind> {
    let error = error.filter(|error| matches!(error.kind, ErrorKind::TypeMismatch | ErrorKind::InvalidCapture))?;
    let reads_kind = edges.iter().filter_map(|edge| edge.when.as_ref()).any(|when| when.contains("error.kind"));
    (step.check.is_some() && outcome == Some(Outcome::Error) && !reads_kind).then(|| RunErrorKind::Unreadable {
        step: step.id.value.clone(),
        kind: error.kind.name().to_owned(),
        message: error.message.clone(),
    })
}
