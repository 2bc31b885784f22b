//! Running a `conclude` step: its texts rendered into the conclusion that
//! ends the run.

use runbook_model::{Conclusion, Spanned, Step};

use super::{Interpreter, StepDone, Stop};
use crate::event::{ConclusionView, EscalationView};
use crate::prepare::Renderer;

impl<'a> Interpreter<'a> {
    /// Renders the conclusion.
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
