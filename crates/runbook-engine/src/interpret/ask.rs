//! Running an `ask` step: the question, rendered and asked; the answer
//! picks the branch.

use std::fmt::Write as _;

use runbook_model::{Ask, Step, StepPath};
use serde_json::Value as Json;

use super::{Interpreter, RunErrorKind, StepDone, Stop};
use crate::event::Event;
use crate::operator::{OperatorError, Question, default_answer, validate_answer};
use crate::prepare::Renderer;
use crate::step_facts::{AskFacts, KindFacts};

impl<'a> Interpreter<'a> {
    /// Asks the question; the answer is the key that routes.
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
                let id = StepPath::join(self.caller.as_deref(), &id.value);
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
        let question = Question { step: &name, title: self.title.as_deref(), text: &shown_text, ask, evidence };
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
        let facts = KindFacts::Ask(AskFacts { answer });
        Ok(StepDone { key: Some(key), facts, ..StepDone::default() })
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
