//! `call` steps: another runbook file, run with its own inputs and facts;
//! its conclusion status is the caller's `on:` key. The called runbooks
//! are the plan's, loaded once with it: a file edited during the run is
//! not read again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use runbook_model::{Call, CalledPlan, Plan, Step};
use serde_json::Value as Json;

use super::{CallFailure, Ending, Interpreter, Mode, RunErrorKind, StepDone, Stop};
use crate::event::{CalleeFile, RunStatus};
use crate::facts::Facts;
use crate::inputs::{GivenInputs, InputError, TypedFrom, resolve};
use crate::no_answer::Carried;
use crate::prepare::Renderer;
use crate::step_facts::{CallFacts, KindFacts};
use crate::template::Templates;

impl<'a> Interpreter<'a> {
    pub(super) async fn call_step(
        &mut self,
        step: &'a Step,
        call: &'a Call,
        token: &tokio_util::sync::CancellationToken,
    ) -> Result<StepDone, Stop> {
        let name = self.name(&step.id);
        let index = self.plan.flow.position(&step.id.value);
        if let Some(mocked) = self.options.called.get(&name) {
            // One ending per visit of the step; the last repeats.
            let visit = index.map_or(1, |i| self.visits[i]);
            let position = usize::try_from(visit.saturating_sub(1)).unwrap_or(usize::MAX);
            if let Some(ending) = mocked.get(position).or_else(|| mocked.last()) {
                return Ok(ending.done());
            }
        }
        let path = callee_path(self.path, call);
        let failed = |this: &Self, failure| {
            let chain = this.call_stack.clone();
            Stop::Error(
                this.error_at(step, RunErrorKind::Call { step: name.clone(), path: path.clone(), chain, failure }),
            )
        };
        let plan: &'a Plan = self.plan;
        let loaded = index.and_then(|index| plan.callees.of_step(index));
        let Some((planned, templates)) = loaded.and_then(|called| Some((called, self.callees.of(called)?))) else {
            return Err(failed(self, CallFailure::NotLoaded));
        };
        let callee = &planned.plan;
        self.emit(&crate::event::Event::Called {
            step: name.clone(),
            runbook: callee.runbook.id.value.clone(),
            path: path.display().to_string(),
            sha256: planned.sha256.clone(),
        });
        let renderer = Renderer::new(self.templates, &self.facts, Vec::new());
        let typed = call
            .inputs
            .iter()
            .map(|(input, value)| {
                let field = format!("call.inputs.{}", input.value);
                let value = renderer.value(&field, value).map_err(|e| self.render_failed(step, &e))?;
                Ok((input.value.clone(), value))
            })
            .collect::<Result<IndexMap<_, _>, _>>()?;
        // An input made from a value that came back redacted is redacted
        // in the callee too: it is never sent there either.
        let redacted_inputs: Vec<String> = call
            .inputs
            .iter()
            .filter(|(_, value)| renderer.reads_redacted(&value.value).is_some())
            .map(|(input, _)| input.value.clone())
            .collect();
        // An input made from what a probe without an answer left holds no
        // answer in the callee either (attack7 H20).
        let carried_inputs: Vec<(String, Carried)> = call
            .inputs
            .iter()
            .filter_map(|(input, value)| Some((input.value.clone(), renderer.reads_no_answer_in(&value.value)?)))
            .collect();
        drop(renderer);
        let given = GivenInputs { text: Vec::new(), typed, typed_from: TypedFrom::Call };
        let environment = |var: &str| if self.options.hermetic { None } else { std::env::var(var).ok() };
        let inputs = resolve(&callee.runbook, &given, &environment, None).map_err(|error| {
            let span = input_span(call, &error);
            let mut refused = failed(self, CallFailure::Inputs(error));
            if let Stop::Error(failure) = &mut refused {
                failure.span = span;
            }
            refused
        })?;
        let mut redactor = self.redactor.clone();
        let sent_as_credentials = &callee.secret_flow().inputs;
        let mut learned = Vec::new();
        for secret in inputs.secrets.iter().chain(sent_as_credentials) {
            if let Some(value) = inputs.values.get(secret) {
                learned.extend(redactor.learn_json(secret, value));
            }
        }
        self.journal_learned(step, learned);
        if !self.options.hermetic {
            super::redact_env_probe_values(callee, &mut redactor);
        }
        let mut call_stack = self.call_stack.clone();
        call_stack.push(path.clone());
        let mut callee_facts = Facts::new(&inputs.values, &self.run_facts)
            .with_redacted(redacted_inputs.iter().map(|input| (input, inputs.values.get(input))))
            .with_secrets(super::secret_names(callee, &inputs.secrets));
        for (input, carried) in &carried_inputs {
            callee_facts.note_no_answer_input(input, &name, carried);
        }
        let mut callee_run = Interpreter {
            plan: callee,
            start_at: callee.flow.start,
            path: &path,
            options: self.options,
            operator: &mut *self.operator,
            sink: &mut *self.sink,
            clock: self.clock,
            probes: Arc::clone(&self.probes),
            // The step's token: its timeout stops the callee too.
            cancel: token.clone(),
            templates,
            callees: self.callees,
            client: self.client.clone(),
            redactor,
            facts: callee_facts,
            visits: vec![0; callee.runbook.steps.len()],
            action_in_flight: None,
            resumed: self.resumed,
            actions_ran: self.actions_ran.clone(),
            actions_done: self.actions_done.clone(),
            evidence: HashMap::new(),
            caller: Some(name.clone()),
            call_stack,
            run_deadline: [self.run_deadline, callee.runbook.timeout.as_ref().map(|t| self.clock.now() + t.0)]
                .into_iter()
                .flatten()
                .min(),
            run_facts: self.run_facts.clone(),
            title: None,
        };
        let ending: Ending = Box::pin(callee_run.walk()).await;
        let vars = callee_run.facts.vars().clone();
        let no_answer = callee_run.facts.no_answers().vars();
        let callee_evidence = std::mem::take(&mut callee_run.evidence);
        let callee_redactor = std::mem::take(&mut callee_run.redactor);
        drop(callee_run);
        // The callee's secrets come back with its vars and conclusion.
        self.redactor.extend(&callee_redactor);
        self.evidence.extend(callee_evidence);
        let mut facts = CallFacts { vars, conclusion: None, message: None, no_answer };
        // A run-time error in the callee (a type error, an unset var, …)
        // stops the caller too, with the chain; a failed call deeper down
        // carries its chain already.
        if ending.status == RunStatus::Failed
            && let Some(inner) = ending.error
        {
            return Err(match inner.kind {
                RunErrorKind::Call { .. } => Stop::Error(Box::new(inner)),
                _ => failed(self, CallFailure::Stopped(Box::new(inner))),
            });
        }
        let key = match ending.status {
            RunStatus::Concluded => {
                facts.conclusion.clone_from(&ending.conclusion);
                ending.conclusion.map_or_else(|| "error".to_owned(), |c| c.status.name().to_owned())
            }
            RunStatus::Waiting => return Err(Stop::Waiting(ending.message.unwrap_or_default())),
            // Stopped by this step's timeout (its token, not the run's). A
            // stop at one of the callee's prompts (Ctrl-C, a terminal gone)
            // cancels neither: it is the run's stop, never the call's `error`.
            RunStatus::Aborted if token.is_cancelled() && !self.cancel.is_cancelled() => {
                facts.message = Some(ending.message.unwrap_or_default());
                "error".to_owned()
            }
            RunStatus::Aborted => return Err(Stop::Aborted),
            RunStatus::Ended | RunStatus::Failed | RunStatus::TimedOut => {
                facts.message = Some(ending.message.unwrap_or_default());
                "error".to_owned()
            }
        };
        Ok(StepDone { key: Some(key), facts: KindFacts::Call(Box::new(facts)), ..StepDone::default() })
    }
}

/// A called runbook's ending given instead of running it: `runbook test`
/// mocks a `call` step's conclusion with it.
#[derive(Debug, Clone)]
pub struct CalledConclusion {
    /// The conclusion; its status is the `call` step's `on:` key.
    pub conclusion: crate::event::ConclusionView,
    /// The vars it hands back (`steps.ID.vars`).
    pub vars: IndexMap<String, Json>,
}

impl CalledConclusion {
    fn done(&self) -> StepDone {
        let facts = CallFacts {
            vars: self.vars.clone(),
            conclusion: Some(self.conclusion.clone()),
            message: None,
            no_answer: IndexMap::new(),
        };
        StepDone {
            key: Some(self.conclusion.status.name().to_owned()),
            facts: KindFacts::Call(Box::new(facts)),
            ..StepDone::default()
        }
    }
}

/// Where a call's inputs went wrong: the value given for the input (or its
/// name, for one the callee does not declare), else the called runbook's
/// name, for a required input the call does not give.
fn input_span(call: &Call, error: &InputError) -> runbook_model::Span {
    let given = |name: &str| call.inputs.iter().find(|(input, _)| input.value == name);
    match error {
        InputError::Invalid { name, .. } => given(name).map(|(_, value)| value.span),
        InputError::Unknown { name, .. } => given(name).map(|(input, _)| input.span),
        InputError::Missing { .. } | InputError::Interrupted(_) | InputError::TerminalGone { .. } => None,
    }
    .unwrap_or(call.runbook.span)
}

/// The file a `call` step of the runbook at `caller` runs: relative to
/// the caller's directory.
fn callee_path(caller: &Path, call: &Call) -> PathBuf {
    caller.parent().unwrap_or_else(|| Path::new(".")).join(&call.runbook.value)
}

/// Every runbook `plan` (loaded from `path`) can call, at any depth, each
/// file once (however many calls name it, however they spell its path),
/// with the path the first call names it by; callers first.
pub fn called_files<'p>(plan: &'p Plan, path: &Path) -> Vec<(PathBuf, &'p Arc<CalledPlan>)> {
    let mut found: Vec<(PathBuf, &'p Arc<CalledPlan>)> = Vec::new();
    let mut pending = vec![(plan, path.to_path_buf())];
    while let Some((plan, path)) = pending.pop() {
        let mut next = Vec::new();
        for (index, called) in plan.callees.iter() {
            let Some(call) = plan.runbook.steps.get(index).and_then(|step| step.call.as_ref()) else { continue };
            let file = callee_path(&path, call);
            if found.iter().any(|(_, seen)| Arc::ptr_eq(seen, called)) {
                continue;
            }
            found.push((file.clone(), called));
            next.push((&called.plan, file));
        }
        pending.extend(next.into_iter().rev());
    }
    found
}

/// The files `plan` (loaded from `path`) can call, for the journal, with
/// the secret inputs each reads from the environment that have a value
/// now (none when the run is `hermetic`).
pub(super) fn callee_files(plan: &Plan, path: &Path, hermetic: bool) -> Vec<CalleeFile> {
    called_files(plan, path)
        .into_iter()
        .map(|(file, called)| CalleeFile {
            path: file.display().to_string(),
            runbook: called.plan.runbook.id.value.clone(),
            sha256: called.sha256.clone(),
            env_secrets: called
                .plan
                .runbook
                .inputs
                .iter()
                .filter(|(_, input)| input.secret && !hermetic)
                .filter(|(_, input)| input.env.as_ref().is_some_and(|var| std::env::var_os(&var.value).is_some()))
                .map(|(name, _)| name.value.clone())
                .collect(),
        })
        .collect()
}

/// A required input of a called runbook that will have no value when the
/// call runs: the call does not give it, it has no default, and the
/// environment variable it is read from is not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsetCalleeInput {
    /// The `call` step, as events name it (`outer/inner` for a call inside
    /// a called runbook).
    pub step: String,
    /// The called file.
    pub file: PathBuf,
    /// The input.
    pub input: String,
    /// The variable it is read from.
    pub env: String,
}

/// The required inputs of every runbook `plan` (loaded from `path`) can
/// call, at any depth, that will have no value when their call runs: the
/// run would stop there, in the middle of the incident, rather than before
/// its first step.
pub fn unset_callee_inputs(plan: &Plan, path: &Path) -> Vec<UnsetCalleeInput> {
    let mut unset = Vec::new();
    let mut pending = vec![(plan, path.to_path_buf(), None::<String>)];
    while let Some((plan, path, caller)) = pending.pop() {
        for (index, called) in plan.callees.iter() {
            let Some(step) = plan.runbook.steps.get(index) else { continue };
            let Some(call) = step.call.as_ref() else { continue };
            let name = runbook_model::StepPath::join(caller.as_deref(), &step.id.value);
            let file = callee_path(&path, call);
            for (input, declared) in &called.plan.runbook.inputs {
                let Some(var) = declared.env.as_ref() else { continue };
                if declared.is_required()
                    && declared.default.is_none()
                    && !call.inputs.contains_key(input.as_str())
                    && std::env::var_os(&var.value).is_none()
                {
                    unset.push(UnsetCalleeInput {
                        step: name.clone(),
                        file: file.clone(),
                        input: input.value.clone(),
                        env: var.value.clone(),
                    });
                }
            }
            pending.push((&called.plan, file, Some(name)));
        }
    }
    unset
}

/// The templates of every runbook a plan can call, at any depth, each
/// compiled once with the plan's ([`super::compile_templates`]).
pub(super) struct CalleeTemplates<'p>(Vec<(&'p CalledPlan, Templates<'p>)>);

impl<'p> CalleeTemplates<'p> {
    pub(super) fn compile(plan: &'p Plan, mode: Mode) -> Self {
        let mut compiled: Vec<(&'p CalledPlan, Templates<'p>)> = Vec::new();
        let mut pending = vec![plan];
        while let Some(plan) = pending.pop() {
            for (_, called) in plan.callees.iter() {
                let called: &'p CalledPlan = called;
                if !compiled.iter().any(|(seen, _)| std::ptr::eq(*seen, called)) {
                    compiled.push((called, super::own_templates(&called.plan, mode)));
                    pending.push(&called.plan);
                }
            }
        }
        Self(compiled)
    }

    fn of(&self, called: &CalledPlan) -> Option<&Templates<'p>> {
        self.0.iter().find(|(planned, _)| std::ptr::eq(*planned, called)).map(|(_, templates)| templates)
    }
}

/// Adds the secrets of every runbook `plan` can call, at any depth, that are
/// known before the run: the environment values and defaults of their
/// secret inputs, the variables their `env` probes name, literal proxy
/// passwords. Output before a call must not show in clear what the callee
/// declares secret.
pub(super) fn redact_callee_secrets(plan: &Plan, path: &Path, hermetic: bool, redactor: &mut crate::redact::Redactor) {
    for (_, called) in called_files(plan, path) {
        let callee = &called.plan;
        for (name, input) in callee.runbook.inputs.iter().filter(|(_, input)| input.secret) {
            let from_env = input.env.as_ref().filter(|_| !hermetic).and_then(|var| std::env::var(&var.value).ok());
            if let Some(value) = from_env {
                redactor.add(&name.value, &value);
            }
            if let Some(default) = &input.default {
                redactor.add_input(&name.value, &default.value);
            }
        }
        if !hermetic {
            super::redact_env_probe_values(callee, redactor);
        }
        super::redact_literal_proxy_secrets(callee, redactor);
    }
}
