//! Running an `instruct` step: manual work shown to the operator, whose
//! ticks and notes go to the record.

use indexmap::IndexMap;
use runbook_model::{Instruct, Step};
use serde_json::Value as Json;

use super::{Interpreter, StepDone, Stop};
use crate::event::Event;
use crate::operator::{Instruction, OperatorError};
use crate::prepare::Renderer;
use crate::step_facts::{Checklist, InstructFacts, KindFacts};

impl<'a> Interpreter<'a> {
    /// Shows the work and waits until the operator says it is done.
    pub(super) fn instruct_step(&mut self, step: &'a Step, instruct: &'a Instruct) -> Result<StepDone, Stop> {
        let name = self.name(&step.id);
        let text = Renderer::new(self.templates, &self.facts, Vec::new())
            .text("instruct.text", &instruct.text)
            .map_err(|e| self.render_failed(step, &e))?;
        let shown_text = self.redactor.text(&text).into_owned();
        let instruction = Instruction {
            step: &name,
            title: self.title.as_deref(),
            text: &shown_text,
            checklist: &instruct.checklist,
            ticks_decide: !instruct.checklist.is_empty() && self.plan.checklist_decides(&step.id),
            notes: instruct.notes.iter().map(|(note, prompt)| (note.as_str(), prompt.as_str())).collect(),
            links: instruct.links.iter().map(|link| (link.title.as_str(), link.url.as_str())).collect(),
        };
        let reply = match self.operator.instruct(&instruction) {
            Ok(reply) => reply,
            Err(OperatorError::Interrupted) => return Err(Stop::Aborted),
            Err(OperatorError::Unanswered) if instruction.ticks_decide => {
                return Err(Stop::Waiting(format!(
                    "step `{name}` waits for the operator to do: {text}\na branch reads its checklist, so nobody's \
                     ticks are not \"nothing ticked\": pass --answer {name}.checklist=ITEMS (item numbers or texts, \
                     `all` or `none`) or --answers FILE"
                )));
            }
            Err(OperatorError::Unanswered) => {
                return Err(Stop::Waiting(format!("step `{name}` waits for the operator to do: {text}")));
            }
            Err(OperatorError::Io(error)) => return Err(self.operator_failed(step, &error)),
        };
        let notes: IndexMap<String, Option<String>> = instruct
            .notes
            .keys()
            .map(|note| {
                let typed = reply.value.notes.iter().find(|(n, _)| n == note.as_str()).map(|(_, text)| text.clone());
                (note.value.clone(), typed)
            })
            .collect();
        let (ticked, unticked): (Vec<_>, Vec<_>) =
            instruct.checklist.iter().enumerate().partition(|(index, _)| reply.value.ticked.contains(index));
        let ticked: Vec<String> = ticked.into_iter().map(|(_, item)| item.clone()).collect();
        let unticked: Vec<String> = unticked.into_iter().map(|(_, item)| item.clone()).collect();
        let mut shown_notes: IndexMap<String, Json> =
            notes.iter().map(|(note, text)| (note.clone(), text.as_deref().map_or(Json::Null, Json::from))).collect();
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
        let checklist =
            (!instruct.checklist.is_empty()).then_some(Checklist { complete: unticked.is_empty(), ticked, unticked });
        Ok(StepDone { facts: KindFacts::Instruct(InstructFacts { notes, checklist }), ..StepDone::default() })
    }
}
