//! `instruct` steps: manual work for the operator.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{OutcomeUse, Shape, StepBody, StepRules};
use crate::analyse::TemplateCollector;
use crate::{Diagnostic, Link, Prose, Spanned, Step, Words};

/// The `instruct` kind.
pub(crate) struct InstructStep;

impl StepRules for InstructStep {
    type Yaml = Instruct;
    const SHAPE: Shape = Shape::Note;
    const OUTCOME: OutcomeUse = OutcomeUse::None;
    const RETRIED: bool = false;
    const ENDS_RUN: bool = false;
    const WORKS_ALONE: bool = false;

    fn possible_keys(_: &Instruct) -> Option<Vec<String>> {
        Some(Vec::new())
    }

    fn drop_unproducible(_: &Instruct, _: &Step, _: &mut Vec<String>) {}

    fn facts(instruct: &Instruct) -> Vec<&'static str> {
        if instruct.checklist.is_empty() { vec!["notes"] } else { vec!["notes", "checklist"] }
    }

    fn template_sites<'a>(instruct: &'a Instruct, sites: &mut TemplateCollector<'_, 'a>) {
        sites.template(&instruct.text);
    }

    fn shape(_: &Spanned<Instruct>, _: &mut Vec<Diagnostic>) {}

    fn planned(instruct: &Spanned<Instruct>) -> Result<StepBody, Diagnostic> {
        Ok(StepBody::Instruct(instruct.value.clone()))
    }

    /// The work, the checklist, the notes to write down, the links.
    fn prose(instruct: &Instruct) -> Vec<Prose<'_>> {
        let mut prose = vec![
            Prose::Paragraph(vec![Words::Strong("Do this"), Words::text(":")]),
            Prose::Paragraph(vec![Words::Markdown(instruct.text.trim())]),
            Prose::Checklist(&instruct.checklist),
        ];
        if !instruct.notes.is_empty() {
            prose.push(Prose::Paragraph(vec![Words::text("Write down:")]));
            let notes = instruct
                .notes
                .iter()
                .map(|(name, prompt)| {
                    vec![Words::Code(name.as_str()), Words::text(": "), Words::Markdown(prompt.trim())]
                })
                .collect();
            prose.push(Prose::List(notes));
        }
        let links = instruct.links.iter().map(|link| vec![Words::Link(&link.title.value, &link.url.value)]).collect();
        prose.push(Prose::List(links));
        prose
    }
}

/// Manual work for the operator: text, a checklist, notes to type in.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Instruct {
    /// What to do; a template.
    pub text: Spanned<String>,
    /// Items the operator ticks off; each is recorded.
    #[serde(default)]
    pub checklist: Vec<String>,
    /// Notes the operator types in, by name, with the prompt for each;
    /// readable as `steps.ID.notes.NAME`.
    #[serde(default)]
    pub notes: IndexMap<Spanned<String>, String>,
    /// Dashboards or documents to open.
    #[serde(default)]
    pub links: Vec<Link>,
}
