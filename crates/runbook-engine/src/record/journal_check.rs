//! What a journal's lines must agree on beyond each line's own shape, so
//! that an edited journal is refused with the line named rather than read
//! into a record that contradicts itself (review-8-attack3 L10): a step of
//! the runbook starts as the kind the run's graph gives it, one visit after
//! its last (the same visit again only when a resume runs it again), and
//! as the step the transition before it chose; a probe is of the kind it
//! observed and of the attempt its step finishes next; a step finishes once
//! for each start.

use std::collections::{HashMap, HashSet};

use runbook_model::{StepKind, StepPath};

use super::repeated::Probes;
use crate::event::{Event, Graph};

/// What the lines read so far say the next ones must agree with.
#[derive(Default)]
pub(super) struct Consistency {
    /// Each top-level step and its kind (`None` for one `check` refuses),
    /// from the graph the run goes on with.
    kinds: HashMap<String, Option<StepKind>>,
    /// Each top-level step's last visit, and whether a resume came since.
    visits: HashMap<String, (u32, bool)>,
    /// The step the last top-level transition chose, until it starts.
    next: Option<String>,
    /// The steps started and not finished yet.
    open: HashSet<String>,
}

impl Consistency {
    /// Why `event`, the next line, contradicts the lines before it, if it
    /// does; `probes` are the probe lines of the steps not finished yet.
    pub(super) fn check(&mut self, event: &Event, probes: &Probes) -> Result<(), String> {
        let top = |step: &str| StepPath::new(step).is_top_level();
        match event {
            Event::RunStarted(info) => self.graph(&info.graph),
            Event::Resumed { text, .. } => {
                if let Some(text) = text {
                    self.graph(&text.graph);
                }
                self.visits.values_mut().for_each(|(_, resumed)| *resumed = true);
                self.next = None;
                self.open.clear();
            }
            Event::StepStarted { step, kind, visit, .. } => {
                self.open.insert(step.clone());
                if top(step) {
                    self.top_level_start(step, *kind, *visit)?;
                }
            }
            Event::Probe { step, part, .. } => {
                if let Some(observation) = &part.observation
                    && observation.kind() != part.probe
                {
                    return Err(format!(
                        "the probe of step `{step}` is a `{}` probe, but what it observed is a `{}` probe's",
                        part.probe.name(),
                        observation.kind().name()
                    ));
                }
            }
            Event::AttemptFinished { step, attempt, .. } => {
                if let Some(probed) = probes.attempt(step).filter(|probed| probed != attempt) {
                    return Err(format!(
                        "attempt {attempt} of step `{step}` finishes, but the probe lines before it are of attempt \
                         {probed}"
                    ));
                }
            }
            Event::StepFinished { step, .. } if !self.open.remove(step) => {
                return Err(format!(
                    "step `{step}` finishes, but no `step_started` line since it last finished starts it"
                ));
            }
            Event::Transition { from, to, .. } if top(from) => self.next.clone_from(to),
            _ => {}
        }
        Ok(())
    }

    fn graph(&mut self, graph: &Graph) {
        self.kinds = graph.nodes.iter().map(|node| (node.id.clone(), node.kind)).collect();
    }

    fn top_level_start(&mut self, step: &str, kind: StepKind, visit: u32) -> Result<(), String> {
        let planned = match self.kinds.get(step) {
            Some(planned) => *planned,
            // A journal whose `run_started` draws no graph says nothing.
            None if self.kinds.is_empty() => None,
            None => return Err(format!("step `{step}` starts, but the run's runbook has no such step")),
        };
        if let Some(planned) = planned.filter(|planned| *planned != kind) {
            return Err(format!(
                "step `{step}` starts as kind `{}`, but the run's runbook has it as kind `{}`",
                kind.name(),
                planned.name()
            ));
        }
        if let Some(next) = self.next.take().filter(|next| next != step) {
            return Err(format!("step `{step}` starts, but the transition before it goes to `{next}`"));
        }
        let (last, resumed) = self.visits.get(step).copied().unwrap_or_default();
        if visit != last + 1 && !(resumed && visit == last && last > 0) {
            let before =
                if last == 0 { "it has not run before".to_owned() } else { format!("its last visit was {last}") };
            return Err(format!("step `{step}` starts its visit {visit}, but {before}"));
        }
        self.visits.insert(step.to_owned(), (visit, false));
        Ok(())
    }
}
