//! What a case's run did, folded from its events: the path, each step's
//! outcome, the actions that ran, the edges taken.

use std::collections::HashMap;

use runbook_model::Outcome;

use crate::event::{ActionDecision, Event, EventSink};
use runbook_model::StepPath;

/// The events of one run, folded.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    /// Steps in the order they started (`call-step/step` inside a call).
    pub path: Vec<String>,
    /// Each step's last outcome.
    pub outcomes: HashMap<String, Outcome>,
    /// Why each step that ended in `error` did (`timeout: …`), its last
    /// visit's: what a failed case's report shows beside the path.
    pub errors: HashMap<String, String>,
    /// Actions that ran, in order.
    pub actions: Vec<String>,
    /// Edge ids taken, in order (`call-step/` prefixed inside a call).
    pub edges: Vec<String>,
    /// The file of each called runbook, by the `call` step's name.
    pub called: HashMap<String, String>,
    /// The run's own `conclude` step reached. A called runbook's conclusion
    /// (`call-step/step`) is the call step's outcome, not the run's ending.
    pub concluded_at: Option<String>,
}

impl EventSink for Trace {
    fn emit(&mut self, event: &Event) {
        match event {
            Event::StepStarted { step, .. } => self.path.push(step.clone()),
            Event::StepFinished { step, outcome: Some(outcome), error, .. } => {
                self.outcomes.insert(step.clone(), *outcome);
                match error {
                    Some(error) => {
                        self.errors.insert(step.clone(), format!("{}: {}", error.kind.name(), error.message))
                    }
                    None => self.errors.remove(step),
                };
            }
            Event::ActionDecided { step, decision: ActionDecision::Run, .. } => self.actions.push(step.clone()),
            Event::Transition { edge, .. } => self.edges.push(edge.clone()),
            Event::Called { step, path, .. } => {
                self.called.insert(step.clone(), path.clone());
            }
            Event::Concluded { step, .. } if StepPath::new(step).is_top_level() => {
                self.concluded_at = Some(step.clone());
            }
            _ => {}
        }
    }
}
