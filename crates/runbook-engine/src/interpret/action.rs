//! Running an `action` step: the remediation, confirmed by the operator
//! (never in a dry or read-only run), then run once and judged.

use runbook_model::{ActionPlan, Outcome, Step};
use tokio_util::sync::CancellationToken;

use super::{Interpreter, Mode, StepDone, Stop};
use crate::event::{ActionDecision, AnsweredBy, Event};
use crate::operator::{ActionRequest, OperatorError};
use crate::prepare::Renderer;
use crate::probe::{HttpSpec, prepare};
use crate::step_facts::{ActionFacts, KindFacts};

impl<'a> Interpreter<'a> {
    /// Asks for confirmation, then runs and judges the action; a declined
    /// one (or one outside a live run) is `skipped`, or what `--assume`
    /// says in a dry run.
    pub(super) async fn action_step(
        &mut self,
        step: &'a Step,
        action: &'a ActionPlan,
        token: &CancellationToken,
    ) -> Result<StepDone, Stop> {
        let name = self.name(&step.id);
        let sending = Renderer::new(self.templates, &self.facts, Vec::new()).sending(self.resumed);
        // Only a live run runs it: `--read-only` and `--dry-run` show it.
        let sending = if self.options.mode == Mode::Live { sending.acting() } else { sending };
        let prepared = prepare(
            &action.entry.probe,
            &action.entry.expect,
            self.plan.reads_phases(&step.id.value),
            &sending,
            &self.client.for_one_attempt(),
            &self.redactor,
            self.clock.wall(),
        )
        .map_err(|e| self.render_failed(step, &e))?;
        drop(sending);
        self.learn_derived_secrets(step);
        let renderer = Renderer::new(self.templates, &self.facts, Vec::new());
        let confirm = match &action.confirm {
            Some(confirm) => Some(renderer.text("action.confirm", confirm).map_err(|e| self.render_failed(step, &e))?),
            None => None,
        };
        drop(renderer);
        let confirm = confirm.map(|c| self.redactor.text(&c).into_owned());
        // An http request is approved with its headers and body, as a
        // command is with its whole line.
        let shown = prepared.probe.http().map_or_else(|| prepared.target.clone(), HttpSpec::request_text);
        let target = self.redactor.text(&shown).into_owned();
        // What a stop names: the command, or the request's method and URL.
        let named = self.redactor.text(&prepared.target).into_owned();
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
                title: self.title.as_deref(),
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
                         already: {named}\npass --answer {name}=again to run it again (a yes given for the first \
                         time, by --yes, --answer or --answers, does not count), or --answer {name}=no to skip it"
                    )));
                }
                Err(OperatorError::Unanswered) => {
                    // `resume` keeps the run's mode: it has no `--read-only`.
                    let every = if self.resumed { "" } else { ", or --read-only to skip every action" };
                    return Err(Stop::Waiting(format!(
                        "step `{name}` is an action and needs confirmation: {named}\n\
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
            // A dry run never runs the action; `--assume` says which way
            // it would have gone, so the branch after it can be walked.
            let assumed = (self.options.mode == Mode::DryRun).then(|| self.options.assume.get(&name)).flatten();
            let facts = KindFacts::Action(ActionFacts { decision, assumed: assumed.is_some(), probe: None });
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
        done.facts = KindFacts::Action(ActionFacts { decision, assumed: false, probe: None })
            .with_probed(done.facts.probed_facts());
        done.deciding = deciding;
        Ok(done)
    }

    /// The ending of an action that ran and finished before the run
    /// stopped, as journaled: its captures are `vars` again, and it is
    /// neither asked about nor run again.
    fn finished_before(&mut self, finished: super::FinishedAction) -> StepDone {
        for name in &finished.uncaptured {
            self.facts.unset_var(name);
        }
        for (name, value) in &finished.captures {
            self.facts.restore_var(name, value);
        }
        if let Some(facts) = &finished.facts {
            self.facts.note_came_back(&facts.to_json());
        }
        StepDone {
            outcome: finished.outcome,
            error: finished.error,
            key: finished.outcome.map(|outcome| outcome.name().to_owned()),
            facts: finished.facts.map(|facts| facts.kind).unwrap_or_default(),
            observed: None,
            captures: finished.captures,
            uncaptured: finished.uncaptured,
            conclusion: None,
            deciding: std::time::Duration::ZERO,
        }
    }
}
