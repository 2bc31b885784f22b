//! The `env` probe: environment variables that must be set, and what
//! `check` knows of it.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Fact, FactType};
use crate::{Code, Diagnostic, Expectation, MockErrorKind, Span, Spanned};

/// Environment variables that must be present. Values are secrets: only
/// whether each is set and non-empty is observed.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvProbe {
    /// Variables that must be set (possibly empty).
    #[serde(default)]
    pub set: Vec<Spanned<String>>,
    /// Variables that must be set and not empty.
    #[serde(default)]
    pub non_empty: Vec<Spanned<String>>,
}

/// The errors it reports for real (RB507): none of its own; a step
/// `timeout:` ends any probe.
pub(super) const ERRORS: &[MockErrorKind] = &[MockErrorKind::Timeout];

/// What `steps.ID` holds of its observation, besides `duration` and `error`.
pub(super) const FACTS: &[Fact] =
    &[Fact::new("vars", FactType::Structured), Fact::new("missing", FactType::Structured)];

impl EnvProbe {
    /// Its own rules: it names a variable, and judges them itself.
    pub(super) fn shape(&self, span: Span, expect: &[Spanned<Expectation>], out: &mut Vec<Diagnostic>) {
        if self.set.is_empty() && self.non_empty.is_empty() {
            out.push(
                Diagnostic::new(Code::ProbeShape, span, "the env probe names no variable")
                    .with_help("list names under `set:` or `non_empty:`"),
            );
        }
        if let Some(expectation) = expect.first() {
            out.push(
                Diagnostic::new(Code::ExpectationShape, expectation.span, "env probes take no `expect`")
                    .with_help("list the variables under `set:` or `non_empty:`; the check fails when one is missing"),
            );
        }
    }

    /// The variables it looks at, whose values are secrets.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.set.iter().chain(&self.non_empty).map(|name| name.value.as_str())
    }
}
