//! `call` steps: another runbook, run to its conclusion.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{OutcomeUse, Shape, StepBody, StepRules};
use crate::analyse::{TemplateCollector, TemplateKind};
use crate::{ConclusionStatus, Diagnostic, Prose, Spanned, Step, Words};

/// The `call` kind.
pub(crate) struct CallStep;

impl StepRules for CallStep {
    type Yaml = Call;
    const SHAPE: Shape = Shape::Subroutine;
    const OUTCOME: OutcomeUse = OutcomeUse::None;
    const RETRIED: bool = false;
    const ENDS_RUN: bool = false;
    const WORKS_ALONE: bool = false;

    /// Each conclusion status of the called runbook, and `error` when it
    /// could not run to one.
    fn possible_keys(_: &Call) -> Option<Vec<String>> {
        Some(ConclusionStatus::ALL.iter().map(|status| status.name().to_owned()).chain(["error".to_owned()]).collect())
    }

    fn drop_unproducible(_: &Call, _: &Step, _: &mut Vec<String>) {}

    fn facts(_: &Call) -> Vec<&'static str> {
        vec!["vars", "conclusion", "message", "no_answer"]
    }

    fn template_sites<'a>(call: &'a Call, sites: &mut TemplateCollector<'_, 'a>) {
        for value in call.inputs.values() {
            if let serde_json::Value::String(text) = &value.value {
                sites.push(text, value.span, TemplateKind::Template);
            }
        }
    }

    fn shape(_: &Spanned<Call>, _: &mut Vec<Diagnostic>) {}

    fn planned(call: &Spanned<Call>) -> Result<StepBody, Diagnostic> {
        Ok(StepBody::Call(call.value.clone()))
    }

    /// The runbook to follow, with its inputs, and what picks the way on.
    fn prose(call: &Call) -> Vec<Prose<'_>> {
        let mut follow =
            vec![Words::Strong("Follow the runbook"), Words::text(" "), Words::Runbook(call.runbook.as_str())];
        if !call.inputs.is_empty() {
            follow.push(Words::text(" with these inputs:"));
        }
        let inputs = call
            .inputs
            .iter()
            .map(|(name, value)| {
                // A string as its text (`{{ inputs.db_host }}`), not in the
                // JSON quotes a YAML reader would not write either.
                let given = match &value.value {
                    serde_json::Value::String(text) => Words::Code(text.as_str()),
                    _ => Words::Written(value.span),
                };
                vec![Words::Code(name.as_str()), Words::text(": "), given]
            })
            .collect();
        let statuses = vec![
            Words::text("Its conclusion's status ("),
            Words::Code(ConclusionStatus::Diagnosed.name()),
            Words::text(", "),
            Words::Code(ConclusionStatus::Resolved.name()),
            Words::text(", …) picks the way on."),
        ];
        vec![Prose::Paragraph(follow), Prose::List(inputs), Prose::Paragraph(statuses)]
    }
}

/// Runs another runbook; its conclusion and vars come back as
/// `steps.ID.conclusion` and `steps.ID.vars`, and its conclusion status
/// (`diagnosed`, `resolved`, `escalated`, `inconclusive`) is the outcome key
/// for `on:`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// Path of the runbook file, relative to this one.
    pub runbook: Spanned<String>,
    /// Inputs passed to it; string values are templates.
    #[serde(default)]
    pub inputs: IndexMap<Spanned<String>, Spanned<serde_json::Value>>,
}
