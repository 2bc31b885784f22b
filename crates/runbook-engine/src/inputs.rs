//! Resolving a run's inputs: from the command line, an inputs file, the
//! environment, the declared default, or the operator, in that order;
//! converted to the declared type and checked before the first step.

use indexmap::IndexMap;
use runbook_model::{Input, InputType, Runbook, did_you_mean};
use serde_json::Value;

use crate::operator::{InputRequest, Operator, OperatorError};

/// Values given for the inputs.
#[derive(Debug, Clone, Default)]
pub struct GivenInputs {
    /// `--input NAME=VALUE`, as text, converted to the input's type.
    pub text: Vec<(String, String)>,
    /// `--inputs FILE` or a `call` step's `inputs:`, typed already.
    pub typed: IndexMap<String, Value>,
    /// Where `typed` comes from, as a message names it.
    pub typed_from: TypedFrom,
}

/// Where typed input values come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TypedFrom {
    /// `--inputs FILE`.
    #[default]
    InputsFile,
    /// A `call` step's `inputs:`.
    Call,
    /// A test case's `inputs:` (and its file's).
    Case,
}

impl TypedFrom {
    /// How a message names it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::InputsFile => "--inputs",
            Self::Call => "the call's `inputs:`",
            Self::Case => "the case's `inputs:`",
        }
    }
}

/// The inputs of a run.
#[derive(Debug, Clone, Default)]
pub struct ResolvedInputs {
    /// Every declared input's value (`null` for an optional one without).
    pub values: IndexMap<String, Value>,
    /// Names of the secret inputs.
    pub secrets: Vec<String>,
}

/// Why the inputs cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A value was given for an input the runbook does not declare.
    #[error("the runbook has no input `{name}`{}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    Unknown {
        /// The name given.
        name: String,
        /// A declared input with a close name.
        suggestion: Option<String>,
    },
    /// A value does not convert to the input's type or match its pattern.
    #[error("input `{name}` (from {origin}): {message}")]
    Invalid {
        /// The input.
        name: String,
        /// Where the value came from: `--input`, `--inputs`, `$VAR`, `default`.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A required input has no value and nobody to ask.
    #[error("input `{name}` is required and has no value{}", description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Missing {
        /// The input.
        name: String,
        /// Its description.
        description: Option<String>,
        /// The environment variable it reads, if any.
        env: Option<String>,
    },
    /// The operator interrupted the prompt.
    #[error("interrupted while asking for input `{0}`")]
    Interrupted(String),
    /// The terminal went away (an SSH session dropped, the window closed)
    /// while asking: a stop, as by SIGHUP, not an input left out.
    #[error("stopped while asking for input `{name}`: the terminal went away ({error})")]
    TerminalGone {
        /// The input asked for.
        name: String,
        /// What reading the terminal said.
        error: String,
    },
}

/// Resolves every declared input. `env` reads an environment variable;
/// `operator`, when given, is asked for required inputs with no value.
pub fn resolve(
    runbook: &Runbook,
    given: &GivenInputs,
    env: &dyn Fn(&str) -> Option<String>,
    mut operator: Option<&mut dyn Operator>,
) -> Result<ResolvedInputs, InputError> {
    let declared: Vec<&str> = runbook.inputs.keys().map(|k| k.as_str()).collect();
    let given_names = given.text.iter().map(|(name, _)| name.as_str()).chain(given.typed.keys().map(String::as_str));
    for name in given_names {
        if !declared.contains(&name) {
            let suggestion = did_you_mean(name, declared.iter().copied()).map(str::to_owned);
            return Err(InputError::Unknown { name: name.to_owned(), suggestion });
        }
    }
    let mut resolved = ResolvedInputs::default();
    for (name, input) in &runbook.inputs {
        let name = name.as_str();
        if input.secret {
            resolved.secrets.push(name.to_owned());
        }
        // A secret's value never goes into a message.
        let invalid = |origin: &str, message: String, raw: &str| InputError::Invalid {
            name: name.to_owned(),
            origin: origin.to_owned(),
            message: if input.secret && !raw.is_empty() {
                message.replace(raw, &format!("[redacted:{name}]"))
            } else {
                message
            },
        };
        let json_text = |value: &Value| value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        let value = if let Some((_, text)) = given.text.iter().rev().find(|(given, _)| given == name) {
            Some(convert(input, text).map_err(|m| invalid("--input", m, text))?)
        } else if let Some(value) = given.typed.get(name) {
            Some(check_type(input, value.clone()).map_err(|m| invalid(given.typed_from.name(), m, &json_text(value)))?)
        } else if let Some(text) = input.env.as_ref().and_then(|var| env(var)) {
            let origin = format!("${}", input.env.as_ref().map_or("", |v| v.as_str()));
            Some(convert(input, &text).map_err(|m| invalid(&origin, m, &text))?)
        } else if let Some(default) = &input.default {
            Some(
                check_type(input, default.value.clone())
                    .map_err(|m| invalid("default", m, &json_text(&default.value)))?,
            )
        } else {
            None
        };
        let value = match value {
            Some(value) => value,
            None if !input.is_required() => Value::Null,
            None => {
                let missing = || InputError::Missing {
                    name: name.to_owned(),
                    description: input.description.clone(),
                    env: input.env.as_ref().map(|e| e.value.clone()),
                };
                let Some(operator) = operator.as_deref_mut() else {
                    return Err(missing());
                };
                let request = InputRequest { name, description: input.description.as_deref(), secret: input.secret };
                let text = match operator.input(&request) {
                    Ok(text) => text,
                    Err(OperatorError::Interrupted) => return Err(InputError::Interrupted(name.to_owned())),
                    Err(OperatorError::Io(error)) => {
                        return Err(InputError::TerminalGone { name: name.to_owned(), error });
                    }
                    Err(OperatorError::Unanswered) => return Err(missing()),
                };
                convert(input, &text).map_err(|m| invalid("the prompt", m, &text))?
            }
        };
        resolved.values.insert(name.to_owned(), value);
    }
    Ok(resolved)
}

/// Converts text to the input's type.
pub fn convert(input: &Input, text: &str) -> Result<Value, String> {
    let value = match input.input_type() {
        InputType::String => Value::from(text),
        InputType::Number => {
            let number: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number"))?;
            serde_json::from_str(text.trim())
                .ok()
                .filter(Value::is_number)
                .or_else(|| serde_json::Number::from_f64(number).map(Value::Number))
                .ok_or_else(|| format!("`{text}` is not a finite number"))?
        }
        InputType::Bool => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(format!("`{text}` is not a bool: use true or false")),
        },
        InputType::List => match serde_json::from_str::<Value>(text) {
            Ok(list @ Value::Array(_)) => list,
            _ => Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| list_item(input, item))
                    .collect(),
            ),
        },
    };
    check_type(input, value)
}

/// Whether a value is of one kind (`Value::is_number`).
type IsKind = fn(&Value) -> bool;

/// What the items of a `list` input's default all are, when they are all
/// numbers or all booleans: a list given otherwise holds the same.
fn default_items(input: &Input) -> Option<(&'static str, IsKind)> {
    let items = input.default.as_ref()?.value.as_array().filter(|items| !items.is_empty())?;
    [("numbers", Value::is_number as IsKind), ("booleans", Value::is_boolean)]
        .into_iter()
        .find(|(_, is)| items.iter().all(is))
}

/// An item of a `list` input given as text (`500,503`): a number or a
/// boolean when the default's items all are one (its text read as JSON),
/// else the text. `when: result.status in inputs.codes` then compares
/// numbers whether the list came from the default or the command line.
fn list_item(input: &Input, item: &str) -> Value {
    default_items(input)
        .and_then(|(_, is)| serde_json::from_str::<Value>(item).ok().filter(is))
        .unwrap_or_else(|| Value::from(item))
}

/// Checks a typed value against the input's type and pattern.
pub fn check_type(input: &Input, value: Value) -> Result<Value, String> {
    let kind = input.input_type();
    let matches = match kind {
        InputType::String => value.is_string(),
        InputType::Number => value.is_number(),
        InputType::Bool => value.is_boolean(),
        InputType::List => value.is_array(),
    };
    if !matches {
        let hint = if kind == InputType::String { " (quote it in YAML to make it a string)" } else { "" };
        return Err(format!("{value} is not a {}{hint}", kind.name()));
    }
    if let (Some((items, is)), Some(given)) = (default_items(input), value.as_array())
        && let Some(odd) = given.iter().find(|item| !is(item))
    {
        let default = input.default.as_ref().map(|default| default.value.to_string()).unwrap_or_default();
        return Err(format!(
            "{odd} is not like the items of the default {default}: the list holds {items}, which the runbook compares \
             as such"
        ));
    }
    if let (Some(pattern), Some(text)) = (&input.pattern, value.as_str()) {
        crate::operator::matches_whole(&pattern.value, text, "input", &format!("`{text}`"))?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runbook() -> Runbook {
        let yaml = r#"
id: t
title: t
inputs:
  base_url: { default: "http://127.0.0.1", pattern: "https?://.+" }
  max_lag: { type: number, default: 30 }
  verbose: { type: bool, default: false }
  services: { type: list, default: [api] }
  token: { env: T_TOKEN, secret: true }
  tenant: { required: false }
steps:
  - id: end
    conclude: { status: resolved }
"#;
        runbook_model::load(&runbook_model::Source::new("t.yaml", yaml)).unwrap()
    }

    #[test]
    fn sources_in_order_and_types_converted() {
        let given = GivenInputs {
            text: vec![("max_lag".into(), "60".into()), ("services".into(), "api, worker".into())],
            typed: [("verbose".to_owned(), Value::Bool(true))].into_iter().collect(),
            ..GivenInputs::default()
        };
        let env = |name: &str| (name == "T_TOKEN").then(|| "s3cret".to_owned());
        let resolved = resolve(&runbook(), &given, &env, None).unwrap();
        assert_eq!(resolved.values["max_lag"], Value::from(60));
        assert_eq!(resolved.values["services"], serde_json::json!(["api", "worker"]));
        assert_eq!(resolved.values["verbose"], Value::Bool(true));
        assert_eq!(resolved.values["token"], Value::from("s3cret"));
        assert_eq!(resolved.values["tenant"], Value::Null);
        assert_eq!(resolved.secrets, ["token"]);
    }

    /// review-10-attack5 L17: `-i codes=500,503` gave strings where the
    /// default `[500, 502]` gives numbers, and `result.status in
    /// inputs.codes` stopped the run mid-incident.
    #[test]
    fn a_list_given_as_text_holds_items_of_its_defaults_type() {
        let yaml = r"
id: t
title: t
inputs:
  codes: { type: list, default: [500, 502] }
  flags: { type: list, default: [true] }
  names: { type: list, default: [api] }
steps:
  - id: end
    conclude: { status: resolved }
";
        let runbook = runbook_model::load(&runbook_model::Source::new("t.yaml", yaml)).unwrap();
        let input = |name: &str| &runbook.inputs[name];
        assert_eq!(convert(input("codes"), "500, 503"), Ok(serde_json::json!([500, 503])));
        assert_eq!(convert(input("codes"), "[500]"), Ok(serde_json::json!([500])));
        assert_eq!(convert(input("flags"), "true,false"), Ok(serde_json::json!([true, false])));
        assert_eq!(convert(input("names"), "api,1"), Ok(serde_json::json!(["api", "1"])));
        let refused = convert(input("codes"), "500,5xx").unwrap_err();
        assert_eq!(
            refused,
            "\"5xx\" is not like the items of the default [500,502]: the list holds numbers, which the runbook \
             compares as such"
        );
        assert!(convert(input("codes"), r#"["500"]"#).is_err(), "a JSON list is held to it too");
    }

    #[test]
    fn bad_values_missing_and_unknown_inputs_are_refused() {
        let no_env = |_: &str| None;
        let given =
            |name: &str, text: &str| GivenInputs { text: vec![(name.into(), text.into())], ..Default::default() };
        let error = resolve(&runbook(), &given("max_lag", "soon"), &no_env, None).unwrap_err();
        assert!(error.to_string().contains("not a number"), "{error}");
        let error = resolve(&runbook(), &given("base_url", "ftp://x"), &no_env, None).unwrap_err();
        assert!(error.to_string().contains("pattern"), "{error}");
        let error = resolve(&runbook(), &given("max_lagg", "1"), &no_env, None).unwrap_err();
        assert_eq!(error.to_string(), "the runbook has no input `max_lagg` (did you mean `max_lag`?)");
        let error = resolve(&runbook(), &GivenInputs::default(), &no_env, None).unwrap_err();
        assert!(matches!(error, InputError::Missing { ref name, .. } if name == "token"), "{error}");
    }

    /// A terminal that goes away at the prompt for an input stops the run
    /// as SIGHUP does; it does not read as an input left out (s7 L7).
    #[test]
    fn a_terminal_gone_at_an_input_prompt_is_a_stop() {
        struct Gone;
        impl Operator for Gone {
            fn ask(
                &mut self,
                _: &crate::operator::Question<'_>,
            ) -> Result<crate::operator::Reply<String>, OperatorError> {
                Err(OperatorError::Unanswered)
            }
            fn instruct(
                &mut self,
                _: &crate::operator::Instruction<'_>,
            ) -> Result<crate::operator::Reply<crate::operator::InstructReply>, OperatorError> {
                Err(OperatorError::Unanswered)
            }
            fn confirm(
                &mut self,
                _: &crate::operator::ActionRequest<'_>,
            ) -> Result<crate::operator::Reply<bool>, OperatorError> {
                Err(OperatorError::Unanswered)
            }
            fn input(&mut self, _: &InputRequest<'_>) -> Result<String, OperatorError> {
                Err(OperatorError::Io("Input/output error (os error 5)".to_owned()))
            }
        }
        let no_env = |_: &str| None;
        let mut gone = Gone;
        let error = resolve(&runbook(), &GivenInputs::default(), &no_env, Some(&mut gone)).unwrap_err();
        assert!(matches!(error, InputError::TerminalGone { ref name, .. } if name == "token"), "{error}");
    }
}
