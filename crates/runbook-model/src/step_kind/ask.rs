//! `ask` steps: a question whose answer picks the branch.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{OutcomeUse, Shape, StepBody, StepRules};
use crate::analyse::TemplateCollector;
use crate::{Code, Diagnostic, Prose, Spanned, Step, Words};

/// The `ask` kind.
pub(crate) struct AskStep;

impl StepRules for AskStep {
    type Yaml = Ask;
    const SHAPE: Shape = Shape::Diamond;
    const OUTCOME: OutcomeUse = OutcomeUse::None;
    const RETRIED: bool = false;
    const ENDS_RUN: bool = false;
    const WORKS_ALONE: bool = false;

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

    /// Its choices fit its type, its pattern compiles, its bounds and default fit.
    fn shape(ask: &Spanned<Ask>, out: &mut Vec<Diagnostic>) {
        let kind = ask.ask_type();
        if kind == AskType::Choice && ask.choices.is_empty() {
            out.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    ask.kind.as_ref().map_or(ask.span, |k| k.span),
                    "a choice question with no `choices`",
                )
                .with_help("list the answers under `choices:`, or use `type: confirm`, `text` or `number`"),
            );
        }
        if kind != AskType::Choice
            && let Some(choice) = ask.choices.first()
        {
            out.push(
                Diagnostic::new(Code::InvalidValue, choice.span, format!("`choices` on a `{}` question", kind.name()))
                    .with_help("remove `type` (choices make it a choice question) or remove `choices`"),
            );
        }
        if let Some(pattern) = &ask.pattern {
            crate::analyse::shape::regex(pattern, pattern.span, out);
        }
        if let (Some(min), Some(max)) = (ask.min, ask.max)
            && min > max
        {
            out.push(
                Diagnostic::new(Code::InvalidValue, ask.span, format!("`min` {min} is above `max` {max}"))
                    .with_help("swap them"),
            );
        }
        if let (Some(default), Some(answers)) = (&ask.default, ask.closed_answers()) {
            let text = match &default.value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            if !answers.contains(&text.as_str()) {
                let list: Vec<String> = answers.iter().map(|a| format!("`{a}`")).collect();
                out.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        default.span,
                        format!("default `{text}` is not one of the answers"),
                    )
                    .with_optional_help(
                        crate::did_you_mean(&text, answers.iter().copied())
                            .map(|s| format!("did you mean `{s}`? answers: {}", list.join(", ")))
                            .or_else(|| Some(format!("answers: {}", list.join(", ")))),
                    ),
                );
            }
        }
    }

    fn planned(ask: &Spanned<Ask>) -> Result<StepBody, Diagnostic> {
        Ok(StepBody::Ask(ask.value.clone()))
    }

    /// The question, the evidence to look at again, the answers it takes.
    fn prose(ask: &Ask) -> Vec<Prose<'_>> {
        let mut prose =
            vec![Prose::Paragraph(vec![Words::Strong("Ask"), Words::text(": "), Words::Markdown(ask.question.trim())])];
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
                        vec![Words::Code(choice.value.answer.as_str()), Words::Markdown(label)]
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
