//! The top of a runbook file: metadata, inputs and the list of steps.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::{Duration, Spanned, Step};

/// An executable runbook: a triage tree of steps that probe, ask and
/// conclude.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// Stable identifier, used in incident records and by `call` steps.
    /// Lowercase letters, digits, `-` and `_`.
    pub id: Spanned<String>,
    /// One-line human title.
    pub title: Spanned<String>,
    /// The question this runbook answers, in the operator's words.
    #[serde(default)]
    pub summary: Option<String>,
    /// Version of this runbook; bump it when the tree changes.
    #[serde(default)]
    pub version: Option<Spanned<Version>>,
    /// Teams or people who maintain the runbook.
    #[serde(default)]
    pub owners: Vec<String>,
    /// Free-form tags for search and grouping.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Documents worth opening during the incident.
    #[serde(default)]
    pub links: Vec<Link>,
    /// Named inputs, readable as `inputs.NAME` in templates.
    #[serde(default)]
    pub inputs: IndexMap<Spanned<String>, Input>,
    /// Id of the first step; the first step in the file when absent.
    #[serde(default)]
    pub start: Option<Spanned<String>>,
    /// Limit on the whole run.
    #[serde(default)]
    pub timeout: Option<Spanned<Duration>>,
    /// How often any step may run in one run, unless the step says otherwise
    /// (default 3). Bounds loops such as "re-check after a fix".
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub max_visits: Option<Spanned<u32>>,
    /// A team's own summary for the incident record: a Markdown template
    /// (minijinja) rendered at the top of `record.md`, reading `run`,
    /// `status`, `conclusion`, `vars`, `steps` and `path`.
    #[serde(default)]
    pub record: Option<Spanned<String>>,
    /// The steps, in reading order. Without `next` or `on`, a step continues
    /// with the one below it.
    pub steps: Spanned<Vec<Step>>,
}

/// A runbook version: a number (`3`) or a string (`"2024.1"`).
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[serde(untagged)]
pub enum Version {
    /// A plain counter.
    Number(u64),
    /// Any other scheme.
    Text(String),
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VersionVisitor;

        impl serde::de::Visitor<'_> for VersionVisitor {
            type Value = Version;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a whole number (`3`) or text (`\"2024.1\"`)")
            }

            fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Version, E> {
                Ok(Version::Number(number))
            }

            fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Version, E> {
                u64::try_from(number)
                    .map(Version::Number)
                    .map_err(|_| E::custom(format!("version {number} is negative: write a whole number from 0")))
            }

            fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<Version, E> {
                Err(E::custom(format!(
                    "YAML reads this version as the decimal number {number} (and `1.10` as 1.1): quote it as \
                     written, `version: \"…\"`"
                )))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Version, E> {
                Ok(Version::Text(text.to_owned()))
            }
        }

        deserializer.deserialize_any(VersionVisitor)
    }
}

/// A titled link to a document, a dashboard or a ticket.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// What the link is.
    pub title: Spanned<String>,
    /// Where it points.
    pub url: Spanned<String>,
}

/// A value the runbook needs from the operator or the environment.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// What the value is, shown when the operator is asked for it.
    #[serde(default)]
    pub description: Option<String>,
    /// The value's type (default `string`).
    #[serde(default, rename = "type")]
    pub kind: Option<Spanned<InputType>>,
    /// Value used when none is given.
    #[serde(default)]
    pub default: Option<Spanned<serde_json::Value>>,
    /// Environment variable to read the value from.
    #[serde(default)]
    pub env: Option<Spanned<String>>,
    /// Redact the value in every output: terminal, journal, record, reports.
    #[serde(default, deserialize_with = "crate::strict::plain")]
    pub secret: bool,
    /// Whether the run stops without a value. Defaults to `true` unless a
    /// `default` is declared.
    #[serde(default, deserialize_with = "crate::strict::optional")]
    pub required: Option<bool>,
    /// Regular expression a string value must match in full.
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
}

impl Input {
    /// Whether the run needs a value for this input.
    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(self.default.is_none())
    }

    /// The declared type, `string` when absent.
    pub fn input_type(&self) -> InputType {
        self.kind.as_ref().map_or(InputType::String, |kind| kind.value)
    }
}

/// The type of an input value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputType {
    /// Text (the default).
    #[default]
    String,
    /// An integer or a decimal number.
    Number,
    /// `true` or `false`.
    Bool,
    /// A list of values, e.g. services to check one by one with `foreach`.
    List,
}

impl InputType {
    /// The name as written in YAML.
    pub const fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Bool => "bool",
            Self::List => "list",
        }
    }
}

/// Where the default limit on visits per step comes from.
pub const DEFAULT_MAX_VISITS: u32 = 3;
