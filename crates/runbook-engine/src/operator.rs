//! The operator interface: how the engine asks a person (or a script)
//! for answers, confirmations, notes and missing inputs.
//!
//! The terminal implementation lives in the CLI; [`Scripted`] answers from
//! `--answer`/`--answers` and flags, for runs without a terminal.

use std::collections::HashMap;
use std::sync::Arc;

use runbook_model::{Ask, AskType};
use serde_json::Value;

use crate::event::{AnsweredBy, Part};

/// A question, rendered, with what the operator needs to answer it.
#[derive(Debug, Clone)]
pub struct Question<'a> {
    /// Step id.
    pub step: &'a str,
    /// The step's title.
    pub title: Option<&'a str>,
    /// The rendered question.
    pub text: &'a str,
    /// The question as declared: type, choices, default, bounds.
    pub ask: &'a Ask,
    /// Evidence of earlier steps to show first, by step id.
    pub evidence: Vec<(&'a str, &'a [Arc<Part>])>,
}

/// Manual work, rendered.
#[derive(Debug, Clone)]
pub struct Instruction<'a> {
    /// Step id.
    pub step: &'a str,
    /// The step's title.
    pub title: Option<&'a str>,
    /// What to do.
    pub text: &'a str,
    /// Items to tick off.
    pub checklist: &'a [String],
    /// Whether a `when` or `stop_if` reads the ticks, so that they decide a
    /// branch: an unattended run without a tick answer then waits, as for
    /// a question, rather than take "nothing ticked" for one.
    pub ticks_decide: bool,
    /// Notes to type in: name and prompt.
    pub notes: Vec<(&'a str, &'a str)>,
    /// Links to open: title and URL.
    pub links: Vec<(&'a str, &'a str)>,
}

/// An action awaiting confirmation.
#[derive(Debug, Clone)]
pub struct ActionRequest<'a> {
    /// Step id.
    pub step: &'a str,
    /// The step's title.
    pub title: Option<&'a str>,
    /// What will change and how to undo it, rendered.
    pub confirm: Option<&'a str>,
    /// The command or request that will run.
    pub target: &'a str,
    /// Whether the action was running when the run stopped, and may have
    /// run already (on resume). It then needs an explicit yes: `--yes`
    /// alone does not run it again.
    pub again: bool,
}

/// A required input with no value.
#[derive(Debug, Clone)]
pub struct InputRequest<'a> {
    /// The input's name.
    pub name: &'a str,
    /// What the value is.
    pub description: Option<&'a str>,
    /// Whether to hide what is typed.
    pub secret: bool,
}

/// An answer and who gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<T> {
    /// The answer.
    pub value: T,
    /// Who gave it.
    pub by: AnsweredBy,
}

/// What the operator did at an `instruct` step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstructReply {
    /// Indices of the checklist items ticked.
    pub ticked: Vec<usize>,
    /// Notes typed in, by name.
    pub notes: Vec<(String, String)>,
    /// Whether the operator says the work is done; "no" stops the run as
    /// waiting, to be resumed once it is.
    pub done: bool,
}

/// Why the operator gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperatorError {
    /// The operator pressed Ctrl-C.
    #[error("interrupted by the operator")]
    Interrupted,
    /// Nobody can answer: no terminal and no scripted answer.
    #[error("no answer was given")]
    Unanswered,
    /// The terminal failed.
    #[error("terminal error: {0}")]
    Io(String),
}

/// Someone who answers. The engine waits while a method runs.
pub trait Operator {
    /// Answers a question with text that [`validate_answer`] accepts.
    fn ask(&mut self, question: &Question<'_>) -> Result<Reply<String>, OperatorError>;
    /// Does manual work and says so.
    fn instruct(&mut self, instruction: &Instruction<'_>) -> Result<Reply<InstructReply>, OperatorError>;
    /// Confirms (`true`) or declines an action.
    fn confirm(&mut self, action: &ActionRequest<'_>) -> Result<Reply<bool>, OperatorError>;
    /// Gives a missing required input, as text.
    fn input(&mut self, request: &InputRequest<'_>) -> Result<String, OperatorError>;
}

/// Checks an answer against the question and gives its value: the text for
/// `choice`, `confirm` and `text`, a number for `number`. Confirm answers
/// are normalised to `yes`/`no`.
pub fn validate_answer(ask: &Ask, text: &str) -> Result<Value, String> {
    let text = text.trim();
    match ask.ask_type() {
        AskType::Choice => {
            let answers = ask.closed_answers().unwrap_or_default();
            if answers.contains(&text) {
                Ok(Value::from(text))
            } else {
                Err(format!("the answer is not one of the answers: {}", answers.join(", ")))
            }
        }
        AskType::Confirm => match yes_or_no(text) {
            Some(true) => Ok(Value::from("yes")),
            Some(false) => Ok(Value::from("no")),
            None => Err("the answer is not an answer to a yes/no question: use yes or no".to_owned()),
        },
        AskType::Text => match &ask.pattern {
            Some(pattern) => matches_whole(&pattern.value, text, "question", "the answer").map(|()| Value::from(text)),
            None => Ok(Value::from(text)),
        },
        AskType::Number => {
            let number: f64 = text.parse().map_err(|_| "the answer is not a number".to_owned())?;
            if !number.is_finite() {
                return Err("the answer is not a finite number".to_owned());
            }
            if let Some(min) = ask.min.filter(|min| number < *min) {
                return Err(format!("the answer is below the minimum of {min}"));
            }
            if let Some(max) = ask.max.filter(|max| number > *max) {
                return Err(format!("the answer is above the maximum of {max}"));
            }
            Ok(number_value(number))
        }
    }
}

/// A number as JSON: an integer when it has no fraction.
fn number_value(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation)]
        return Value::from(number as i64);
    }
    serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
}

/// `yes`/`y`/`true` or `no`/`n`/`false`, any case; `None` for anything else.
pub fn yes_or_no(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" => Some(true),
        "no" | "n" | "false" => Some(false),
        _ => None,
    }
}

/// A scripted answer to an action's confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionAnswer {
    /// Run it (not again, when it may have run before the run stopped).
    Yes,
    /// Decline it.
    No,
    /// Run it, even again: the only answer that runs an action that was
    /// running when the run stopped.
    Again,
}

/// Reads an action's answer: yes, no or again.
pub fn action_answer(text: &str) -> Option<ActionAnswer> {
    match yes_or_no(text) {
        Some(true) => Some(ActionAnswer::Yes),
        Some(false) => Some(ActionAnswer::No),
        None => text.trim().eq_ignore_ascii_case("again").then_some(ActionAnswer::Again),
    }
}

/// The answer key, after `STEP.`, that ticks an `instruct` checklist.
pub const CHECKLIST: &str = "checklist";

/// The checklist items an answer ticks (indices into `checklist`): `all`,
/// `none`, item numbers from 1 (`1,3`), or a JSON list of numbers or item
/// texts (`[1, "Dequeue rate noted"]`, as `--answers` files give them).
pub fn ticked_items(answer: &str, checklist: &[String]) -> Result<Vec<usize>, String> {
    let answer = answer.trim();
    match answer {
        "all" => return Ok((0..checklist.len()).collect()),
        "none" | "" => return Ok(Vec::new()),
        _ => {}
    }
    // One item's whole text, which may hold a comma.
    if let Some(index) = checklist.iter().position(|item| item == answer) {
        return Ok(vec![index]);
    }
    let items: Vec<Value> = if answer.starts_with('[') {
        serde_json::from_str(answer).map_err(|_| format!("`{answer}` is not a list of item numbers or texts"))?
    } else {
        answer.split(',').map(|part| Value::from(part.trim())).collect()
    };
    let mut ticked = Vec::new();
    for item in &items {
        let number = match item {
            Value::Number(n) => n.as_u64(),
            Value::String(text) => text.parse::<u64>().ok(),
            _ => None,
        };
        let index = match (number, item) {
            (Some(number), _) => usize::try_from(number)
                .ok()
                .filter(|n| (1..=checklist.len()).contains(n))
                .map(|n| n - 1)
                .ok_or_else(|| format!("there is no item {number}: the checklist has {} items", checklist.len()))?,
            (None, Value::String(text)) => checklist.iter().position(|i| i == text).ok_or_else(|| {
                match runbook_model::did_you_mean(text, checklist.iter().map(String::as_str)) {
                    Some(item) if item.contains(',') => format!(
                        "`{text}` is not an item: did you mean `{item}`? Its text holds a comma, so give it alone or \
                         by its number, `{}`",
                        checklist.iter().position(|i| i == item).map_or(0, |i| i + 1)
                    ),
                    Some(item) => format!("`{text}` is not an item: did you mean `{item}`?"),
                    None => format!(
                        "`{text}` is not an item; answer `all`, `none`, item numbers from 1 (`1,3`) or item texts"
                    ),
                }
            })?,
            (None, other) => return Err(format!("`{other}` is not an item number or text")),
        };
        if !ticked.contains(&index) {
            ticked.push(index);
        }
    }
    ticked.sort_unstable();
    Ok(ticked)
}

/// Checks that `pattern` (of a question or an input, for messages)
/// matches all of `text`, which a mismatch names as `shown` (an answer is
/// not repeated: it may be a secret pasted into the wrong place).
pub fn matches_whole(pattern: &str, text: &str, owner: &str, shown: &str) -> Result<(), String> {
    let whole = regex::Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|error| format!("the {owner}'s pattern is invalid: {error}"))?;
    if whole.is_match(text) { Ok(()) } else { Err(format!("{shown} does not match the pattern `{pattern}`")) }
}

/// A scripted or declared answer as text: booleans (YAML `true`) read as
/// `yes`/`no`.
pub fn answer_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        other => other.to_string(),
    }
}

/// Answers in the `--answers FILE` shape (by step id; an `instruct`
/// step's notes as a map) as [`Scripted::answers`]: notes become
/// `STEP.NOTE`.
pub fn scripted_answers(by_step: &indexmap::IndexMap<String, Value>) -> HashMap<String, String> {
    let mut answers = HashMap::new();
    for (step, value) in by_step {
        match value {
            Value::Object(notes) => {
                for (note, text) in notes {
                    answers.insert(format!("{step}.{note}"), answer_text(text));
                }
            }
            other => {
                answers.insert(step.clone(), answer_text(other));
            }
        }
    }
    answers
}

/// The default of a question, as answer text.
pub fn default_answer(ask: &Ask) -> Option<String> {
    ask.default.as_ref().map(|default| answer_text(&default.value))
}

/// Answers from the command line, for runs without a person.
#[derive(Debug, Clone, Default)]
pub struct Scripted {
    /// Answers by step id; notes of `instruct` steps by `STEP.NOTE`.
    pub answers: HashMap<String, String>,
    /// Use declared defaults for questions without an answer.
    pub accept_defaults: bool,
    /// Run actions without asking.
    pub yes: bool,
}

impl Operator for Scripted {
    fn ask(&mut self, question: &Question<'_>) -> Result<Reply<String>, OperatorError> {
        if let Some(answer) = self.answers.get(question.step) {
            return Ok(Reply { value: answer.clone(), by: AnsweredBy::Script });
        }
        match default_answer(question.ask) {
            Some(default) if self.accept_defaults => Ok(Reply { value: default, by: AnsweredBy::Default }),
            _ => Err(OperatorError::Unanswered),
        }
    }

    fn instruct(&mut self, instruction: &Instruction<'_>) -> Result<Reply<InstructReply>, OperatorError> {
        let notes = instruction
            .notes
            .iter()
            .filter_map(|(name, _)| {
                self.answers.get(&format!("{}.{name}", instruction.step)).map(|note| ((*name).to_owned(), note.clone()))
            })
            .collect();
        let done = self.answers.get(instruction.step).is_none_or(|answer| yes_or_no(answer) != Some(false));
        let ticked = match self.answers.get(&format!("{}.{CHECKLIST}", instruction.step)) {
            Some(answer) => ticked_items(answer, instruction.checklist)
                .map_err(|message| OperatorError::Io(format!("checklist of `{}`: {message}", instruction.step)))?,
            None if instruction.ticks_decide && done => return Err(OperatorError::Unanswered),
            None => Vec::new(),
        };
        // Nothing scripted touched it: acknowledged because the run is
        // unattended, which the record says, not "by script".
        let prefix = format!("{}.", instruction.step);
        let scripted = self.answers.keys().any(|key| key == instruction.step || key.starts_with(&prefix));
        let by = if scripted { AnsweredBy::Script } else { AnsweredBy::Mode };
        Ok(Reply { value: InstructReply { ticked, notes, done }, by })
    }

    fn confirm(&mut self, action: &ActionRequest<'_>) -> Result<Reply<bool>, OperatorError> {
        if let Some(answer) = self.answers.get(action.step) {
            // Checked before the run; a called runbook's answer only now.
            return match action_answer(answer) {
                // A yes may be the one that confirmed the action before the
                // stop (the same answers file, given again): only `again`
                // runs an action that may have run already.
                Some(ActionAnswer::Yes) if action.again => Err(OperatorError::Unanswered),
                Some(ActionAnswer::Yes | ActionAnswer::Again) => Ok(Reply { value: true, by: AnsweredBy::Script }),
                Some(ActionAnswer::No) => Ok(Reply { value: false, by: AnsweredBy::Script }),
                None => Err(OperatorError::Io(format!("`{answer}` is not yes, no or again"))),
            };
        }
        if self.yes && !action.again {
            return Ok(Reply { value: true, by: AnsweredBy::Mode });
        }
        Err(OperatorError::Unanswered)
    }

    fn input(&mut self, _: &InputRequest<'_>) -> Result<String, OperatorError> {
        Err(OperatorError::Unanswered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(yaml: &str) -> Ask {
        serde_saphyr::from_str(yaml).unwrap()
    }

    /// review-10-attack5 L5: an item whose text holds a comma is ticked by
    /// its whole text, or named by its number when a part of it is given.
    #[test]
    fn a_checklist_item_with_a_comma_is_ticked_by_its_whole_text() {
        let items = ["Health Check Path = /health".to_owned(), "Dockerfile Path = Dockerfile, not .dev".to_owned()];
        assert_eq!(ticked_items("Dockerfile Path = Dockerfile, not .dev", &items), Ok(vec![1]));
        assert_eq!(ticked_items("1,2", &items), Ok(vec![0, 1]));
        let part = ticked_items("Dockerfile Path = Dockerfile", &items).unwrap_err();
        assert!(part.ends_with("Its text holds a comma, so give it alone or by its number, `2`"), "{part}");
    }

    #[test]
    fn answers_are_checked_against_the_question() {
        let choice = ask("question: q\nchoices: [{answer: a}, {answer: b}]");
        assert_eq!(validate_answer(&choice, "b"), Ok(Value::from("b")));
        assert!(validate_answer(&choice, "c").unwrap_err().contains("a, b"));
        let confirm = ask("question: q\ntype: confirm");
        assert_eq!(validate_answer(&confirm, "Y"), Ok(Value::from("yes")));
        assert!(validate_answer(&confirm, "maybe").is_err());
        let text = ask("question: q\ntype: text\npattern: '[0-9a-f]{4}'");
        assert_eq!(validate_answer(&text, "beef"), Ok(Value::from("beef")));
        assert!(validate_answer(&text, "beef1").is_err());
        let number = ask("question: q\ntype: number\nmin: 0\nmax: 100");
        assert_eq!(validate_answer(&number, "42"), Ok(Value::from(42)));
        assert_eq!(validate_answer(&number, "2.5"), Ok(Value::from(2.5)));
        assert!(validate_answer(&number, "101").unwrap_err().contains("maximum"));
        assert!(validate_answer(&number, "NaN").is_err());
    }
}
