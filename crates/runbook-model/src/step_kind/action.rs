//! `action` steps: remediations, run once the operator confirms them.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{OutcomeUse, Shape, StepBody, StepRules};
use crate::analyse::TemplateCollector;
use crate::step_keys::Severities;
use crate::{
    Capture, CmdProbe, Code, DeclaredProbe, Diagnostic, Expectation, HttpProbe, Outcome, ProbeEntry, Prose, Spanned,
    Step, Words,
};

/// The `action` kind.
pub(crate) struct ActionStep;

impl StepRules for ActionStep {
    type Yaml = Action;
    const SHAPE: Shape = Shape::Hexagon;
    const OUTCOME: OutcomeUse = OutcomeUse::Routes;
    const RETRIED: bool = false;
    const ENDS_RUN: bool = false;
    const WORKS_ALONE: bool = false;

    /// Every outcome: `skipped` when it does not run.
    fn possible_keys(_: &Action) -> Option<Vec<String>> {
        Some(Outcome::ALL.iter().map(|o| o.name().to_owned()).collect())
    }

    fn drop_unproducible(action: &Action, _: &Step, keys: &mut Vec<String>) {
        let mut judged = Severities::default();
        for expectation in &action.expect {
            judged.note(expectation.severity.as_ref().map(|s| s.value));
        }
        judged.drop_unjudged(keys);
    }

    fn facts(action: &Action) -> Vec<&'static str> {
        let mut facts = vec!["outcome", "error", "decision", "assumed"];
        for probe in action.declared_probes() {
            facts.extend(probe.kind().facts().iter().map(|fact| fact.name));
            facts.push(crate::analyse::PROBE_DURATION);
        }
        facts
    }

    fn template_sites<'a>(action: &'a Action, sites: &mut TemplateCollector<'_, 'a>) {
        for probe in action.declared_probes() {
            sites.probe(probe);
        }
        if let Some(confirm) = &action.confirm {
            sites.template(confirm);
        }
    }

    /// It runs exactly one probe, which follows its kind's rules, as its
    /// expectations and captures do.
    fn shape(action: &Spanned<Action>, out: &mut Vec<Diagnostic>) {
        match action.declared_probes().as_slice() {
            [] => out.push(
                Diagnostic::new(Code::ProbeShape, action.span, "the action runs nothing")
                    .with_help("give it a `cmd` or an `http` request; manual work belongs in an `instruct` step"),
            ),
            [probe] => {
                probe.shape(&action.expect, out);
                crate::analyse::shape::expectations(&action.expect, Some(probe.kind()), out);
                crate::analyse::shape::captures(&action.capture, Some(probe.kind()), out);
            }
            [_, second, ..] => out.push(
                Diagnostic::new(Code::ProbeShape, second.span(), "the action has both `cmd` and `http`")
                    .with_help("split it into two action steps"),
            ),
        }
    }

    fn planned(action: &Spanned<Action>) -> Result<StepBody, Diagnostic> {
        let entry = crate::plan::entry(action.span, &action.declared_probes(), &action.expect, &action.capture)?;
        Ok(StepBody::Action(ActionPlan { confirm: action.confirm.clone(), entry }))
    }

    /// A warning, what the operator agrees to, then the command or request
    /// and what tells it worked.
    fn prose(action: &Action) -> Vec<Prose<'_>> {
        let warning =
            [Words::Strong("Action"), Words::text(": this changes things. Do it only once you have agreed to:")];
        let mut prose = vec![Prose::Paragraph(warning.into())];
        prose.extend(action.confirm.as_ref().map(|confirm| Prose::Quote(confirm.as_str())));
        prose.push(Prose::Judged {
            probes: action.declared_probes(),
            expect: &action.expect,
            capture: &action.capture,
            lead: "It worked when",
        });
        prose
    }
}

/// A remediation that changes the system: a restart, a scale-up, a rollback.
/// It runs only after the operator confirms it (or with `--yes`), and never
/// in `--dry-run` or `--read-only` runs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// What the operator confirms: what will change and how to undo it.
    #[serde(default)]
    pub confirm: Option<Spanned<String>>,
    /// The command to run.
    #[serde(default)]
    pub cmd: Option<Spanned<CmdProbe>>,
    /// The HTTP request to send.
    #[serde(default)]
    pub http: Option<Spanned<HttpProbe>>,
    /// Expectations that tell whether the action worked.
    #[serde(default)]
    pub expect: Vec<Spanned<Expectation>>,
    /// Values to keep as `vars.NAME`.
    #[serde(default)]
    pub capture: IndexMap<Spanned<String>, Spanned<Capture>>,
}

impl Action {
    /// The probes it declares, in the order `check` names them: a valid
    /// action has exactly one.
    pub fn declared_probes(&self) -> Vec<DeclaredProbe<'_>> {
        [self.cmd.as_ref().map(DeclaredProbe::Cmd), self.http.as_ref().map(DeclaredProbe::Http)]
            .into_iter()
            .flatten()
            .collect()
    }
}

/// An `action` step as the plan runs it: what the operator confirms, and
/// the one probe that runs.
#[derive(Debug, Clone)]
pub struct ActionPlan {
    /// What the operator confirms; a template.
    pub confirm: Option<Spanned<String>>,
    /// The command or request, judged by its expectations.
    pub entry: ProbeEntry,
}
