//! What a journal's lines must agree on beyond each line's own shape, so
//! that an edited journal is refused with the line named rather than read
//! into a record that contradicts itself (review-8-attack3 L10): a step of
//! the runbook starts as the kind the run's graph gives it, one visit after
//! its last (the same visit again only when a resume runs it again), and
//! as the step the transition before it chose; a probe is of the kind it
//! observed and of the attempt its step finishes next; a step finishes once
//! for each start. What the journal keeps of secrets must read too: the
//! run's salt, and each piece and fingerprint a `secrets_learned` line
//! gives (review-8-attack4 M3): a resumed run would otherwise redact
//! nothing with it, and write the secret in clear.

use std::collections::{HashMap, HashSet};

use runbook_model::{StepKind, StepPath};

use super::repeated::Probes;
use crate::event::{Event, Graph, RunInfo};
use crate::redact::{LearnedSecret, Salt};

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
            Event::RunStarted(info) => {
                salt(info)?;
                self.graph(&info.graph);
            }
            Event::SecretsLearned { step, secrets } => secrets.iter().try_for_each(|secret| learned(step, secret))?,
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

/// Why the salt `run_started` gives for the journal's fingerprints does
/// not read, if it does not: a run always writes one.
fn salt(info: &RunInfo) -> Result<(), String> {
    match &info.secret_salt {
        None => Err("its `run_started` has no `secret_salt`, the salt of the fingerprints a resumed run redacts the \
                     secrets the run obtained by: without it they would be written in clear"
            .to_owned()),
        Some(hex) if Salt::from_hex(hex).is_none() => Err(format!(
            "its `secret_salt` `{hex}` is not the 32 hex digits a run writes: a resumed run could not redact the \
             secrets the run obtained with it"
        )),
        Some(_) => Ok(()),
    }
}

/// Why a secret a `secrets_learned` line of `step` gives cannot stand for
/// what the run learned, if it cannot.
fn learned(step: &str, secret: &LearnedSecret) -> Result<(), String> {
    match secret {
        LearnedSecret::Piece { name, from, to, .. } if from >= to => Err(format!(
            "step `{step}` learned a piece of secret `{name}` from byte {from} to byte {to}, which holds no byte: a \
             resumed run would redact nothing with it"
        )),
        LearnedSecret::Fingerprint { name, print } => match print.unreadable() {
            Some(why) => Err(format!(
                "step `{step}` learned a fingerprint of `{name}`, but {why}: a resumed run would redact nothing with it"
            )),
            None => Ok(()),
        },
        LearnedSecret::Piece { .. } => Ok(()),
    }
}
