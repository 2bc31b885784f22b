//! `conclude` steps: how a run ends.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{OutcomeUse, Shape, StepBody, StepRules};
use crate::analyse::TemplateCollector;
use crate::{Code, Diagnostic, Prose, Spanned, Step};

/// The `conclude` kind.
pub(crate) struct ConcludeStep;

impl StepRules for ConcludeStep {
    type Yaml = Conclusion;
    const SHAPE: Shape = Shape::Ending;
    const OUTCOME: OutcomeUse = OutcomeUse::None;
    const RETRIED: bool = false;
    const ENDS_RUN: bool = true;
    const WORKS_ALONE: bool = false;

    /// None: it ends the run.
    fn possible_keys(_: &Conclusion) -> Option<Vec<String>> {
        Some(Vec::new())
    }

    fn drop_unproducible(_: &Conclusion, _: &Step, _: &mut Vec<String>) {}

    fn facts(_: &Conclusion) -> Vec<&'static str> {
        Vec::new()
    }

    fn template_sites<'a>(conclusion: &'a Conclusion, sites: &mut TemplateCollector<'_, 'a>) {
        for text in [&conclusion.diagnosis, &conclusion.remediation].into_iter().flatten() {
            sites.template(text);
        }
        if let Some(message) = conclusion.escalation.as_ref().and_then(|e| e.message.as_ref()) {
            sites.template(message);
        }
    }

    /// An escalation names someone to page.
    fn shape(conclusion: &Spanned<Conclusion>, out: &mut Vec<Diagnostic>) {
        if let Some(escalation) = &conclusion.escalation
            && escalation.to.is_empty()
        {
            out.push(
                Diagnostic::new(Code::InvalidValue, escalation.span, "the escalation names nobody")
                    .with_help("list the teams or rotations to page in `to:`"),
            );
        }
    }

    fn planned(conclusion: &Spanned<Conclusion>) -> Result<StepBody, Diagnostic> {
        Ok(StepBody::Conclude(conclusion.value.clone()))
    }

    /// None among the steps: `runbook render` lists the conclusions in
    /// their own section.
    fn prose(_: &Conclusion) -> Vec<Prose<'_>> {
        Vec::new()
    }
}

/// The end of a run: what was found and what to do next.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Conclusion {
    /// How the run ended.
    pub status: Spanned<ConclusionStatus>,
    /// How bad the finding is.
    #[serde(default)]
    pub severity: Option<Spanned<Severity>>,
    /// What is wrong; a template.
    #[serde(default)]
    pub diagnosis: Option<Spanned<String>>,
    /// What to do about it; a template.
    #[serde(default)]
    pub remediation: Option<Spanned<String>>,
    /// Who to hand over to, and what to give them.
    #[serde(default)]
    pub escalation: Option<Spanned<Escalation>>,
    /// Work after the incident: postmortem, tickets, fixes to this runbook.
    #[serde(default)]
    pub followups: Vec<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConclusionStatus {
    /// The cause is known.
    Diagnosed,
    /// The problem is fixed.
    Resolved,
    /// Handed over to someone else.
    Escalated,
    /// The runbook could not tell.
    Inconclusive,
}

impl ConclusionStatus {
    /// Every status, as `on:` keys of a `call` step.
    pub const ALL: [Self; 4] = [Self::Diagnosed, Self::Resolved, Self::Escalated, Self::Inconclusive];

    /// The name as written in YAML.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Diagnosed => "diagnosed",
            Self::Resolved => "resolved",
            Self::Escalated => "escalated",
            Self::Inconclusive => "inconclusive",
        }
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Self; 5] = [Self::Info, Self::Low, Self::Medium, Self::High, Self::Critical];

    /// The name as written in YAML.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// A hand-over to another team.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Teams, rotations or people to page.
    pub to: Vec<String>,
    /// What to tell them; a template.
    #[serde(default)]
    pub message: Option<Spanned<String>>,
    /// Steps whose evidence goes with the hand-over.
    #[serde(default)]
    pub evidence: Vec<Spanned<String>>,
    /// What to gather before escalating (logs, timestamps, request ids).
    #[serde(default)]
    pub checklist: Vec<String>,
}
