//! Transitions at run time: the step's key and facts pick one of the edges
//! [`runbook_model::Flow`] draws, in the order it draws them, so that
//! `check`, the record and the run cannot disagree.

use minijinja::value::Value;
use runbook_model::{Destination, Edge, Outcome, Step, Trigger};

use super::{Interpreter, RunErrorKind, Stop};
use crate::no_answer::ResultOf;
use crate::prepare::Renderer;

impl Interpreter<'_> {
    /// The edge the run leaves `step` by, given its `key` (outcome, answer
    /// or conclusion status) and its facts as `result`, and the index of
    /// the step it leads to (`None` past the last step).
    pub(super) fn route(
        &self,
        index: usize,
        step: &Step,
        key: Option<&str>,
        result: Value,
    ) -> Result<(Option<usize>, &Edge), Stop> {
        // Conditions on an `on: { error: … }` route read what the step
        // printed on purpose: the author routes the missing answer. A
        // call's `on:` keys are the called runbook's ending, which routed
        // its own missing answers.
        let routed =
            |key: &str| self.plan.flow.edges[index].iter().any(|edge| edge.trigger == Trigger::Key(key.to_owned()));
        let error_routed = match key {
            Some(key) if step.call.is_some() => routed(key),
            Some(key) => key == Outcome::Error.name() && routed(key),
            None => false,
        };
        let renderer = Renderer::new(self.templates, &self.facts, vec![("result", result)]).result_of(ResultOf {
            step: &step.id,
            attempt: None,
            error_routed,
        });
        let holds = |when: &runbook_model::Spanned<String>| match self.options.mode {
            // A dry run has no observations to compare: a condition that
            // cannot be evaluated is false.
            super::Mode::DryRun => Ok(renderer.condition("when", when).unwrap_or(false)),
            super::Mode::Live | super::Mode::ReadOnly => {
                renderer.condition("when", when).map_err(|error| self.render_failed(step, &error))
            }
        };
        let Some(edge) = self.plan.flow.route(index, key, holds)? else {
            let kind = RunErrorKind::Unrouted { step: self.name(&step.id), key: key.unwrap_or_default().to_owned() };
            return Err(Stop::Error(self.error_at(step, kind)));
        };
        match &edge.to {
            Destination::Step(next) => Ok((Some(*next), edge)),
            Destination::End => Ok((None, edge)),
            Destination::Unknown(id) => {
                let kind = RunErrorKind::UnknownStep { step: self.name(&step.id), to: id.clone() };
                Err(Stop::Error(self.error_at(step, kind)))
            }
        }
    }
}
