//! Captures: values kept from a probe's observations as `vars.NAME`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CertificateFact, Duration, JsonQuery, Pattern, Spanned};

/// Where a captured value comes from. Exactly one source.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// RFC 9535 `JSONPath` into the JSON body (HTTP) or stdout (command). One
    /// node gives its value, several give a list.
    #[serde(default)]
    pub json: Option<Spanned<JsonQuery>>,
    /// Regular expression over the body (HTTP) or stdout (command); the
    /// first capture group, or the whole match without groups.
    #[serde(default)]
    pub regex: Option<Spanned<Pattern>>,
    /// An HTTP response header, by case-insensitive name.
    #[serde(default)]
    pub header: Option<Spanned<String>>,
    /// A fact of the certificate an https server presented (`issuer`,
    /// `subject`, `not_before`, `not_after`, `days_left`).
    #[serde(default)]
    pub tls: Option<Spanned<CertificateFact>>,
    /// The whole standard output of a command, trailing newline removed.
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub stdout: Option<Spanned<bool>>,
    /// The whole standard error of a command, trailing newline removed.
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub stderr: Option<Spanned<bool>>,
    /// The whole HTTP response body.
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub body: Option<Spanned<bool>>,
    /// The HTTP status code.
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub status: Option<Spanned<bool>>,
    /// Value used when the source has nothing (no match, no such node).
    /// Without it, the variable is left unset.
    #[serde(default)]
    pub default: Option<Spanned<serde_json::Value>>,
    /// The type the value is converted to when it is captured, so that
    /// `when: vars.pct > 90` compares numbers. Without it, text sources give
    /// a string and `json` gives the value's own JSON type.
    #[serde(default, rename = "type")]
    pub kind: Option<Spanned<CaptureType>>,
    /// Whether the value is a secret, redacted from the moment it is
    /// captured in every output. Without it, a value sent where credentials
    /// go (an `Authorization` header, a `--password` argument, …) is one;
    /// `false` says it is not.
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub secret: Option<Spanned<bool>>,
}

/// The type a captured value is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaptureType {
    /// Text; numbers and booleans are written out.
    String,
    /// A whole number, from text such as `42` or ` 42 `.
    Int,
    /// A number, from text such as `0.5` or `3`.
    Float,
    /// `true` or `false`, from text such as `true`, `yes`, `on` or `1`
    /// (any case), as `| bool` reads it.
    Bool,
    /// Text parsed as JSON.
    Json,
    /// A duration with units (`1m30s`), as whole milliseconds like the
    /// probes' own `duration` facts.
    Duration,
}

impl CaptureType {
    /// The name as written in YAML.
    pub const fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Int => "int",
            Self::Float => "float",
            Self::Bool => "bool",
            Self::Json => "json",
            Self::Duration => "duration",
        }
    }

    /// `value` converted to this type, or why it cannot be.
    pub fn convert(self, value: &Value) -> Result<Value, String> {
        let converted = match (self, value) {
            (Self::String, Value::Number(_) | Value::Bool(_)) => Some(Value::from(value.to_string())),
            (Self::Int, Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().and_then(whole)).map(Value::from),
            (Self::Int, Value::String(text)) => {
                let text = text.trim();
                text.parse::<i64>().ok().or_else(|| text.parse::<f64>().ok().and_then(whole)).map(Value::from)
            }
            (Self::Float, Value::Number(n)) => n.as_f64().map(Value::from),
            (Self::Float, Value::String(text)) => {
                text.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::from)
            }
            // The words `| bool` reads, so that the two readers of a
            // boolean agree (`systemctl is-enabled` prints `yes`).
            (Self::Bool, Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Some(Value::Bool(true)),
                "false" | "no" | "off" | "0" => Some(Value::Bool(false)),
                _ => None,
            },
            (Self::Bool, Value::Number(n)) => match n.as_u64() {
                Some(1) => Some(Value::Bool(true)),
                Some(0) => Some(Value::Bool(false)),
                _ => None,
            },
            (Self::Json, Value::String(text)) => {
                return serde_json::from_str(text).map_err(|error| format!("{} is not JSON: {error}", shown(value)));
            }
            (Self::String, Value::String(_)) | (Self::Bool, Value::Bool(_)) | (Self::Json, _) => Some(value.clone()),
            (Self::Duration, Value::String(text)) => {
                return Duration::parse(text)
                    .map(|d| Value::from(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
                    .map_err(|error| format!("{} is not a duration: {error}", shown(value)));
            }
            _ => None,
        };
        converted.ok_or_else(|| format!("{} is not {}", shown(value), self.article()))
    }

    const fn article(self) -> &'static str {
        match self {
            Self::String => "a string",
            Self::Int => "a whole number",
            Self::Float => "a number",
            Self::Bool => "true/false, yes/no, on/off or 1/0",
            Self::Json => "JSON",
            Self::Duration => "a duration",
        }
    }
}

/// A float with no fractional part as a whole number (`42.0` is 42):
/// JSON producers and `printf` often write whole numbers that way.
fn whole(number: f64) -> Option<i64> {
    // 2^63: the first float past `i64::MAX`; every float below it with no
    // fraction converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    #[allow(clippy::cast_possible_truncation)]
    (number.fract() == 0.0 && (-LIMIT..LIMIT).contains(&number)).then_some(number as i64)
}

/// A value as quoted in an error, cut short when long.
fn shown(value: &Value) -> String {
    const MAX: usize = 80;
    let text = value.to_string();
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

impl Capture {
    /// Names of the sources given; a valid capture has exactly one.
    /// Every field is destructured, so a new source does not compile until
    /// it is listed here.
    pub fn sources(&self) -> Vec<(&'static str, crate::Span)> {
        let Self { json, regex, header, tls, stdout, stderr, body, status, default: _, kind: _, secret: _ } = self;
        let text = |name, v: &Option<Spanned<String>>| v.as_ref().map(|v| (name, v.span));
        let pattern = |name, v: &Option<Spanned<Pattern>>| v.as_ref().map(|v| (name, v.span));
        let flag = |name, v: &Option<Spanned<bool>>| v.as_ref().map(|v| (name, v.span));
        [
            json.as_ref().map(|v| ("json", v.span)),
            pattern("regex", regex),
            text("header", header),
            tls.as_ref().map(|v| ("tls", v.span)),
            flag("stdout", stdout),
            flag("stderr", stderr),
            flag("body", body),
            flag("status", status),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
