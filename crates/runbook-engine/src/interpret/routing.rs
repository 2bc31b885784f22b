//! Transitions at run time: `on:` for the step's key, a choice's `goto`,
//! `next`, then the step below. The same order `Flow` draws for `check`.

use minijinja::value::Value;
use runbook_model::{Spanned, Step, Target};

use super::{Interpreter, Stop};
use crate::prepare::Renderer;

impl Interpreter<'_> {
    /// Where the run goes after `step`, given its `key` (outcome, answer or
    /// conclusion status) and its facts as `result`; with a label saying
    /// why.
    pub(super) fn route(
        &self,
        index: usize,
        step: &Step,
        key: Option<&str>,
        result: Value,
    ) -> Result<(Option<usize>, String), Stop> {
        let renderer = Renderer::new(&self.templates, &self.facts, vec![("result", result)]);
        if let (Some(key), Some(ask)) = (key, &step.ask)
            && let Some(goto) = ask.choices.iter().find(|c| c.answer.as_str() == key).and_then(|c| c.goto.as_ref())
        {
            return Ok((Some(self.position(step, goto)?), format!("answer {key}")));
        }
        if let (Some(key), Some(on)) = (key, &step.on)
            && let Some((_, target)) = on.iter().find(|(name, _)| name.as_str() == key)
            && let Some(route) = self.follow(step, target, &label_for(step, key), &renderer)?
        {
            return Ok(route);
        }
        if let Some(next) = &step.next
            && let Some(route) = self.follow(step, next, "next", &renderer)?
        {
            return Ok(route);
        }
        let below = (index + 1 < self.runbook.steps.len()).then_some(index + 1);
        Ok((below, "fall-through".to_owned()))
    }

    /// The destination of a target, or `None` when no branch of a `when`
    /// chain holds.
    fn follow(
        &self,
        step: &Step,
        target: &Spanned<Target>,
        label: &str,
        renderer: &Renderer<'_>,
    ) -> Result<Option<(Option<usize>, String)>, Stop> {
        match &target.value {
            Target::Goto(id) => Ok(Some((Some(self.position_of(step, id)?), label.to_owned()))),
            Target::Branches(branches) => {
                for branch in branches {
                    let holds = match &branch.when {
                        // A dry run has no observations to compare: a
                        // condition that cannot be evaluated is false.
                        Some(when) if self.options.mode == super::Mode::DryRun => {
                            renderer.condition("when", when).unwrap_or(false)
                        }
                        Some(when) => {
                            renderer.condition("when", when).map_err(|error| self.render_failed(step, &error))?
                        }
                        None => true,
                    };
                    if holds {
                        let label = match &branch.when {
                            Some(when) => format!("{label} when {}", when.value),
                            None => label.to_owned(),
                        };
                        return Ok(Some((Some(self.position(step, &branch.goto)?), label)));
                    }
                }
                Ok(None)
            }
        }
    }

    fn position(&self, step: &Step, id: &Spanned<String>) -> Result<usize, Stop> {
        self.position_of(step, &id.value)
    }

    fn position_of(&self, step: &Step, id: &str) -> Result<usize, Stop> {
        self.flow
            .position(id)
            .ok_or_else(|| Stop::Failed(format!("step `{}` goes to `{id}`, which is not a step", self.name(&step.id))))
    }
}

/// How an `on:` key reads in a transition: `answer yes` for questions.
fn label_for(step: &Step, key: &str) -> String {
    if step.ask.is_some() { format!("answer {key}") } else { key.to_owned() }
}
