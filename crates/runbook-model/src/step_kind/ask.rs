//! `ask` steps: a question whose answer picks the branch.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{OutcomeUse, Shape, StepBody, StepRules};
use crate::analyse::TemplateCollector;
use crate::{Diagnostic, Prose, Spanned, Step, Words};

/// The `ask` kind.
pub(crate) struct AskStep;

impl StepRules for AskStep {
    type Yaml = Ask;
    const SHAPE: Shape = Shape::Diamond;
    const OUTCOME: OutcomeUse = OutcomeUse::None;
    const RETRIED: bool = false;
    const ENDS_RUN: bool = false;

    fn possible_keys(ask: &Ask) -> Option<Vec<String>> {
        ask.closed_answers().map(|answers| answers.into_iter().map(str::to_owned).collect())
    }

    fn drop_unproducible(_: &Ask, _: &Step, _: &mut Vec<String>) {}

    fn facts(_: &Ask) -> Vec<&'static str> {
        vec!["answer"]
    }

    fn template_sites<'a>(ask: &'a Ask, sites: &mut TemplateCollector<'_, 'a>) {
        sites.template(&ask.question);
    }

    fn planned(ask: &Spanned<Ask>) -> Result<StepBody, Diagnostic> {
        Ok(StepBody::Ask(ask.value.clone()))
    }

    /// The question, the evidence to look at again, the answers it takes.
    fn prose(ask: &Ask) -> Vec<Prose<'_>> {
        let mut prose =
            vec![Prose::Paragraph(vec![Words::Strong("Ask"), Words::text(": "), Words::text(ask.question.trim())])];
        if let Some((last, rest)) = ask.evidence.split_last() {
            let mut words = vec![Words::text("Look again at what these steps showed: ")];
            for id in rest {
                words.extend([Words::Step(id.as_str()), Words::text(", ")]);
            }
            words.extend([Words::Step(last.as_str()), Words::text(".")]);
            prose.push(Prose::Paragraph(words));
        }
        let answers = match ask.ask_type() {
            AskType::Choice if !ask.choices.is_empty() => {
                let rows = ask
                    .choices
                    .iter()
                    .map(|choice| {
                        let label = choice.value.label.as_deref().unwrap_or("");
                        vec![Words::Code(choice.value.answer.as_str()), Words::text(label)]
                    })
                    .collect();
                Prose::Table(&["Answer", "Meaning"], rows)
            }
            AskType::Confirm => Prose::Paragraph(vec![
                Words::text("Answer "),
                Words::Code("yes"),
                Words::text(" or "),
                Words::Code("no"),
                Words::text("."),
            ]),
            AskType::Number => {
                let range = match (ask.min, ask.max) {
                    (Some(min), Some(max)) => format!(" from {min} to {max}"),
                    (Some(min), None) => format!(" of at least {min}"),
                    (None, Some(max)) => format!(" of at most {max}"),
                    (None, None) => String::new(),
                };
                Prose::Paragraph(vec![Words::text(format!("Answer with a number{range}."))])
            }
            AskType::Choice | AskType::Text => Prose::Paragraph(vec![Words::text("Answer in words.")]),
        };
        prose.push(answers);
        if let Some(default) = &ask.default {
            prose.push(Prose::Paragraph(vec![
                Words::text("If unsure: "),
                Words::Written(default.span),
                Words::text("."),
            ]));
        }
        prose
    }
}

/// A question for the operator; the answer picks the branch.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ask {
    /// The question; a template.
    pub question: Spanned<String>,
    /// `choice` (default when `choices` is given), `confirm` (yes/no, answers
    /// `yes` and `no`), `text` or `number`.
    #[serde(default, rename = "type")]
    pub kind: Option<Spanned<AskType>>,
    /// The allowed answers of a `choice` question.
    #[serde(default)]
    pub choices: Vec<Spanned<Choice>>,
    /// Steps whose evidence is shown again right before the question.
    #[serde(default)]
    pub evidence: Vec<Spanned<String>>,
    /// Answer used with `--accept-defaults` or when the operator just
    /// presses Enter.
    #[serde(default)]
    pub default: Option<Spanned<serde_json::Value>>,
    /// Regular expression a `text` answer must match in full.
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
    /// Smallest accepted `number` answer.
    #[serde(default, deserialize_with = "crate::strict::optional")]
    pub min: Option<f64>,
    /// Largest accepted `number` answer.
    #[serde(default, deserialize_with = "crate::strict::optional")]
    pub max: Option<f64>,
}

/// The form of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AskType {
    /// One of `choices`.
    Choice,
    /// `yes` or `no`.
    Confirm,
    /// Free text.
    Text,
    /// A number.
    Number,
}

impl AskType {
    /// The name as written in YAML.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Choice => "choice",
            Self::Confirm => "confirm",
            Self::Text => "text",
            Self::Number => "number",
        }
    }
}

impl Ask {
    /// The declared type, or the one implied by `choices`.
    pub fn ask_type(&self) -> AskType {
        match &self.kind {
            Some(kind) => kind.value,
            None if self.choices.is_empty() => AskType::Text,
            None => AskType::Choice,
        }
    }

    /// The answers a question can produce, when they form a closed set.
    pub fn closed_answers(&self) -> Option<Vec<&str>> {
        match self.ask_type() {
            AskType::Choice => Some(self.choices.iter().map(|c| c.answer.as_str()).collect()),
            AskType::Confirm => Some(vec!["yes", "no"]),
            AskType::Text | AskType::Number => None,
        }
    }
}

/// One allowed answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The answer's value: what `--answer STEP=VALUE` and `steps.ID.answer`
    /// use.
    pub answer: Spanned<String>,
    /// What the operator sees (default: the answer).
    #[serde(default)]
    pub label: Option<String>,
    /// Step to go to when this answer is chosen.
    #[serde(default)]
    pub goto: Option<Spanned<String>>,
}
