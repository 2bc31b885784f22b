//! Steps that involve the operator: `ask`, `instruct`, `action`, and the
//! `conclude` step that ends the run.

use std::fmt::Write as _;

use runbook_model::{ActionPlan, Ask, Conclusion, Instruct, Outcome, Spanned, Step};
use serde_json::{Map, Value as Json};
use tokio_util::sync::CancellationToken;

use super::{Interpreter, Mode, RunErrorKind, StepDone, Stop};
use crate::event::{ActionDecision, AnsweredBy, ConclusionView, EscalationView, Event};
use crate::operator::{ActionRequest, Instruction, OperatorError, Question, default_answer, validate_answer};
use crate::prepare::Renderer;
use crate::probe::prepare;

impl<'a> Interpreter<'a> {
    /// The stop when whoever answers could not be asked at `step`.
    fn operator_failed(&self, step: &Step, error: &str) -> Stop {
        Stop::Error(self.error_at(step, RunErrorKind::Operator { step: self.name(&step.id), error: error.to_owned() }))
    }

    pub(super) fn ask_step(&mut self, step: &'a Step, ask: &'a Ask) -> Result<StepDone, Stop> {
        let name = self.name(&step.id);
        let text = Renderer::new(self.templates, &self.facts, Vec::new())
            .text("ask.question", &ask.question)
            .map_err(|e| self.render_failed(step, &e))?;
        let choices: Vec<String> = ask.closed_answers().unwrap_or_default().into_iter().map(str::to_owned).collect();
        let evidence: Vec<(&str, &[std::sync::Arc<crate::event::Part>])> = ask
            .evidence
            .iter()
            .filter_map(|id| {
                let id = format!("{}{}", self.prefix, id.value);
                self.evidence.get_key_value(&id).map(|(id, parts)| (id.as_str(), parts.as_slice()))
            })
            .collect();
        let shown = evidence.iter().map(|(id, _)| (*id).to_owned()).collect();
        self.sink.emit(&Event::Question {
            step: name.clone(),
            question: self.redactor.text(&text).into_owned(),
            kind: ask.ask_type(),
            choices: choices.clone(),
            default: ask.default.as_ref().map(|d| d.value.clone()),
            evidence: shown,
        });
        let shown_text = self.redactor.text(&text).into_owned();
        let question = Question { step: &name, title: step.title.as_deref(), text: &shown_text, ask, evidence };
        let reply = match self.operator.ask(&question) {
            Ok(reply) => reply,
            Err(OperatorError::Interrupted) => return Err(Stop::Aborted),
            Err(OperatorError::Unanswered) => return Err(Stop::Waiting(unanswered(&name, &text, &choices, ask))),
            Err(OperatorError::Io(error)) => return Err(self.operator_failed(step, &error)),
        };
        let answer = validate_answer(ask, &reply.value).map_err(|message| {
            Stop::Error(self.error_at(step, RunErrorKind::InvalidAnswer { step: name.clone(), message }))
        })?;
        let mut shown = answer.clone();
        self.redactor.json(&mut shown);
        self.emit(&Event::Answered { step: name, answer: shown, by: reply.by });
        let key = match &answer {
            Json::String(text) => text.clone(),
            other => other.to_string(),
        };
        let mut facts = Map::new();
        facts.insert("answer".into(), answer);
        Ok(StepDone { key: Some(key), facts, ..StepDone::default() })
    }

    pub(super) fn instruct_step(&mut self, step: &'a Step, instruct: &'a Instruct) -> Result<StepDone, Stop> {
        let name = self.name(&step.id);
        let text = Renderer::new(self.templates, &self.facts, Vec::new())
            .text("instruct.text", &instruct.text)
            .map_err(|e| self.render_failed(step, &e))?;
        let shown_text = self.redactor.text(&text).into_owned();
        let instruction = Instruction {
            step: &name,
            title: step.title.as_deref(),
            text: &shown_text,
            checklist: &instruct.checklist,
            notes: instruct.notes.iter().map(|(note, prompt)| (note.as_str(), prompt.as_str())).collect(),
            links: instruct.links.iter().map(|link| (link.title.as_str(), link.url.as_str())).collect(),
        };
        let reply = match self.operator.instruct(&instruction) {
            Ok(reply) => reply,
            Err(OperatorError::Interrupted) => return Err(Stop::Aborted),
            Err(OperatorError::Unanswered) => {
                return Err(Stop::Waiting(format!("step `{name}` waits for the operator to do: {text}")));
            }
            Err(OperatorError::Io(error)) => return Err(self.operator_failed(step, &error)),
        };
        let notes: Map<String, Json> = instruct
            .notes
            .keys()
            .map(|note| {
                let typed = reply.value.notes.iter().find(|(n, _)| n == note.as_str()).map(|(_, text)| text.clone());
                (note.value.clone(), typed.map_or(Json::Null, Json::from))
            })
            .collect();
        let (ticked, unticked): (Vec<_>, Vec<_>) =
            instruct.checklist.iter().enumerate().partition(|(index, _)| reply.value.ticked.contains(index));
        let ticked: Vec<String> = ticked.into_iter().map(|(_, item)| item.clone()).collect();
        let unticked: Vec<String> = unticked.into_iter().map(|(_, item)| item.clone()).collect();
        let mut shown_notes: indexmap::IndexMap<String, Json> = notes.clone().into_iter().collect();
        shown_notes.values_mut().for_each(|note| self.redactor.json(note));
        self.emit(&Event::Instructed {
            step: name.clone(),
            text: self.redactor.text(&text).into_owned(),
            ticked: ticked.clone(),
            unticked: unticked.clone(),
            notes: shown_notes,
            by: reply.by,
        });
        if !reply.value.done {
            return Err(Stop::Waiting(format!(
                "step `{name}`: the operator answered that this is not done yet\nresume the run once it is; \
                 it asks again"
            )));
        }
        let mut facts = Map::new();
        facts.insert("notes".into(), Json::Object(notes));
        if !instruct.checklist.is_empty() {
            let complete = unticked.is_empty();
            facts.insert(
                "checklist".into(),
                serde_json::json!({ "ticked": ticked, "unticked": unticked, "complete": complete }),
            );
        }
        Ok(StepDone { facts, ..StepDone::default() })
    }

    pub(super) async fn action_step(
        &mut self,
        step: &'a Step,
        action: &'a ActionPlan,
        token: &CancellationToken,
    ) -> Result<StepDone, Stop> {
        let name = self.name(&step.id);
        let sending = Renderer::new(self.templates, &self.facts, Vec::new()).sending(self.resumed);
        let prepared = prepare(&action.entry.probe, &sending, &self.client, &self.redactor)
            .map_err(|e| self.render_failed(step, &e))?;
        drop(sending);
        let renderer = Renderer::new(self.templates, &self.facts, Vec::new());
        let confirm = match &action.confirm {
            Some(confirm) => Some(renderer.text("action.confirm", confirm).map_err(|e| self.render_failed(step, &e))?),
            None => None,
        };
        drop(renderer);
        let confirm = confirm.map(|c| self.redactor.text(&c).into_owned());
        let target = self.redactor.text(&prepared.target).into_owned();
        if self.options.mode == Mode::Live
            && let Some(finished) = self.actions_done.remove(&name)
        {
            return Ok(self.finished_before(finished));
        }
        let asked = self.clock.now();
        let (decision, by) = if self.options.mode == Mode::Live {
            let again =
                self.action_in_flight.take().is_some_and(|id| id == step.id.value) || self.actions_ran.contains(&name);
            let request = ActionRequest {
                step: &name,
                title: step.title.as_deref(),
                confirm: confirm.as_deref(),
                target: &target,
                again,
            };
            match self.operator.confirm(&request) {
                Ok(reply) => (if reply.value { ActionDecision::Run } else { ActionDecision::Declined }, reply.by),
                Err(OperatorError::Interrupted) => return Err(Stop::Aborted),
                Err(OperatorError::Unanswered) if again => {
                    return Err(Stop::Waiting(format!(
                        "step `{name}` is an action that was running when the run stopped, so it may have run \
                         already: {target}\npass --answer {name}=again to run it again (a yes given for the first \
                         time, by --yes, --answer or --answers, does not count), or --answer {name}=no to skip it"
                    )));
                }
                Err(OperatorError::Unanswered) => {
                    // `resume` keeps the run's mode: it has no `--read-only`.
                    let every = if self.resumed { "" } else { ", or --read-only to skip every action" };
                    return Err(Stop::Waiting(format!(
                        "step `{name}` is an action and needs confirmation: {target}\n\
                         pass --yes to run actions or --answer {name}=no to decline this one{every}"
                    )));
                }
                Err(OperatorError::Io(error)) => return Err(self.operator_failed(step, &error)),
            }
        } else {
            (ActionDecision::NotInThisMode, AnsweredBy::Mode)
        };
        let deciding = self.clock.now().duration_since(asked);
        self.emit(&Event::ActionDecided { step: name.clone(), confirm, target, decision, by });
        if decision != ActionDecision::Run {
            let mut facts = Map::new();
            facts.insert("decision".into(), serde_json::to_value(decision).unwrap_or_default());
            // A dry run never runs the action; `--assume` says which way
            // it would have gone, so the branch after it can be walked.
            let assumed = (self.options.mode == Mode::DryRun).then(|| self.options.assume.get(&name)).flatten();
            if assumed.is_some() {
                facts.insert("assumed".into(), true.into());
            }
            let outcome = assumed.copied().unwrap_or(Outcome::Skipped);
            return Ok(StepDone {
                outcome: Some(outcome),
                key: Some(outcome.name().into()),
                facts,
                deciding,
                ..StepDone::default()
            });
        }
        // The decision to run must be on disk before the action runs.
        self.recording(step)?;
        let unit = super::probing::Unit::new(prepared, &action.entry.expect, &action.entry.capture);
        let judged = self.run_units(step, 1, vec![unit], None, token).await;
        let mut done = self.settle(step, 1, super::probing::Shape::Single, judged).into_done();
        done.facts.insert("decision".into(), serde_json::to_value(decision).unwrap_or_default());
        done.deciding = deciding;
        Ok(done)
    }

    /// The ending of an action that ran and finished before the run
    /// stopped, as journaled: its captures are `vars` again, and it is
    /// neither asked about nor run again.
    fn finished_before(&mut self, finished: super::FinishedAction) -> StepDone {
        let mut facts = match finished.facts {
            Json::Object(facts) => facts,
            _ => Map::new(),
        };
        for fact in ["outcome", "error", "duration"] {
            facts.remove(fact);
        }
        for name in &finished.uncaptured {
            self.facts.unset_var(name);
        }
        for (name, value) in &finished.captures {
            self.facts.set_var(name, value.clone());
        }
        StepDone {
            outcome: finished.outcome,
            error: finished.error,
            key: finished.outcome.map(|outcome| outcome.name().to_owned()),
            facts,
            captures: finished.captures,
            uncaptured: finished.uncaptured,
            conclusion: None,
            deciding: std::time::Duration::ZERO,
        }
    }

    pub(super) fn conclude_step(&mut self, step: &'a Step, conclude: &'a Conclusion) -> Result<StepDone, Stop> {
        let renderer = Renderer::new(self.templates, &self.facts, Vec::new());
        let render = |field: &str, text: Option<&Spanned<String>>| match text {
            Some(text) => renderer.text(field, text).map(|t| Some(self.redactor.text(&t).into_owned())),
            None => Ok(None),
        };
        let failed = |e| self.render_failed(step, &e);
        let escalation = match &conclude.escalation {
            Some(escalation) => Some(EscalationView {
                to: escalation.to.clone(),
                message: render("escalation.message", escalation.message.as_ref()).map_err(failed)?,
                evidence: escalation.evidence.iter().map(|id| id.value.clone()).collect(),
                checklist: escalation.checklist.clone(),
            }),
            None => None,
        };
        let conclusion = ConclusionView {
            status: conclude.status.value,
            severity: conclude.severity.as_ref().map(|s| s.value),
            diagnosis: render("diagnosis", conclude.diagnosis.as_ref()).map_err(failed)?,
            remediation: render("remediation", conclude.remediation.as_ref()).map_err(failed)?,
            escalation,
            followups: conclude.followups.clone(),
        };
        Ok(StepDone { conclusion: Some(conclusion), ..StepDone::default() })
    }
}

/// The message of a question nobody could answer: the step, the answers
/// and the flags that give one.
fn unanswered(step: &str, question: &str, choices: &[String], ask: &Ask) -> String {
    let mut message = format!("step `{step}` needs an answer: {question}");
    if !choices.is_empty() {
        let _ = write!(message, "\nanswers: {}", choices.join(", "));
    }
    let _ = write!(message, "\npass --answer {step}=VALUE or --answers FILE");
    if let Some(default) = default_answer(ask) {
        let _ = write!(message, ", or --accept-defaults to answer `{default}`");
    }
    message
}
