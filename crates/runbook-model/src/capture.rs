//! Captures: values kept from a probe's observations as `vars.NAME`.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::Spanned;

/// Where a captured value comes from. Exactly one source.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// RFC 9535 `JSONPath` into the JSON body (HTTP) or stdout (command). One
    /// node gives its value, several give a list.
    #[serde(default)]
    pub json: Option<Spanned<String>>,
    /// Regular expression over the body (HTTP) or stdout (command); the
    /// first capture group, or the whole match without groups.
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    /// An HTTP response header, by case-insensitive name.
    #[serde(default)]
    pub header: Option<Spanned<String>>,
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
}

impl Capture {
    /// Names of the sources given; a valid capture has exactly one.
    pub fn sources(&self) -> Vec<(&'static str, crate::Span)> {
        let text = |name, v: &Option<Spanned<String>>| v.as_ref().map(|v| (name, v.span));
        let flag = |name, v: &Option<Spanned<bool>>| v.as_ref().map(|v| (name, v.span));
        [
            text("json", &self.json),
            text("regex", &self.regex),
            text("header", &self.header),
            flag("stdout", &self.stdout),
            flag("stderr", &self.stderr),
            flag("body", &self.body),
            flag("status", &self.status),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
