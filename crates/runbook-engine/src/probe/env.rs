//! The `env` probe: whether environment variables are set and non-empty.
//! Values are never read into the observation, so they cannot leak.

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use std::time::Duration;

use indexmap::IndexMap;
use std::fmt::Write as _;
use std::sync::Arc;

use runbook_model::{Capture, EnvProbe, Expectation, ExpectationSeverity, ProbeKind, Spanned, Subject};
use serde_json::{Map, Value};

use super::observed::Observed;
use super::{Captured, Limits, Observation, Probe, ProbeError, ProbeFuture};
use crate::expect::ExpectationResult;
use crate::prepare::Prepared;
use crate::redact::{Redact, Redactor};

/// Variables to look for.
#[derive(Debug, Clone, Default)]
pub struct EnvSpec {
    /// Must be set (possibly empty).
    pub set: Vec<String>,
    /// Must be set and not empty.
    pub non_empty: Vec<String>,
}

/// What was found, per variable, in the order declared.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EnvObservation {
    /// One entry per variable named in the spec.
    pub vars: Vec<EnvVar>,
}

/// Presence of one variable; never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EnvVar {
    /// The variable's name.
    pub name: String,
    /// Whether it is set.
    pub set: bool,
    /// Whether it is set to a non-empty value.
    pub non_empty: bool,
    /// Whether the spec required it to be non-empty (else only set).
    pub required_non_empty: bool,
}

impl EnvVar {
    /// Whether the variable meets what the spec required.
    pub fn ok(&self) -> bool {
        if self.required_non_empty { self.non_empty } else { self.set }
    }
}

impl EnvSpec {
    /// Reads the process environment.
    pub fn observe_now(&self) -> EnvObservation {
        let look = |name: &String, required_non_empty| {
            let value = std::env::var_os(name);
            EnvVar {
                name: name.clone(),
                set: value.is_some(),
                non_empty: value.is_some_and(|v| !v.is_empty()),
                required_non_empty,
            }
        };
        let vars = self
            .set
            .iter()
            .map(|name| look(name, false))
            .chain(self.non_empty.iter().map(|name| look(name, true)))
            .collect();
        EnvObservation { vars }
    }
}

/// An `env` probe as a spec: it has no templates.
pub(crate) fn prepare(env: &EnvProbe) -> Prepared {
    let names = |list: &[Spanned<String>]| list.iter().map(|n| n.value.clone()).collect();
    let spec = EnvSpec { set: names(&env.set), non_empty: names(&env.non_empty) };
    let mut target = Vec::new();
    if !spec.set.is_empty() {
        target.push(format!("set: {}", spec.set.join(", ")));
    }
    if !spec.non_empty.is_empty() {
        target.push(format!("non-empty: {}", spec.non_empty.join(", ")));
    }
    Prepared {
        kind: ProbeKind::Env,
        target: format!("env {}", target.join("; ")),
        probe: Arc::new(spec),
        timeout: None,
    }
}

/// What a person calls the parts of reading the environment.
pub(crate) const PARTS: super::Parts = super::Parts { text: "the variables", took: "reading them" };

/// How a person checks the same variables by hand (`runbook render`),
/// without printing their values.
pub(crate) fn by_hand(env: &EnvProbe) -> String {
    let names =
        |list: &[Spanned<String>]| list.iter().map(|n| crate::record::markdown::code(&n.value)).collect::<Vec<_>>();
    let mut out = "Check these environment variables (their values are secrets: do not print them):\n\n".to_owned();
    if !env.set.is_empty() {
        let _ = writeln!(out, "- set: {}", names(&env.set).join(", "));
    }
    if !env.non_empty.is_empty() {
        let _ = writeln!(out, "- set and not empty: {}", names(&env.non_empty).join(", "));
    }
    out.push('\n');
    out
}

impl EnvObservation {
    /// The variables the probe looks at, in the order the real probe
    /// reports them, with the values a case mocks (`runbook test`); `Err`
    /// names a variable the case does not list.
    pub(crate) fn mocked(spec: &EnvSpec, mocked: &IndexMap<Spanned<String>, Option<String>>) -> Result<Self, String> {
        let named = spec.set.iter().map(|name| (name, false)).chain(spec.non_empty.iter().map(|name| (name, true)));
        let vars = named
            .map(|(name, required_non_empty)| {
                let Some((_, value)) = mocked.iter().find(|(mocked, _)| mocked.as_str() == name) else {
                    return Err(format!("its observation does not list `{name}`: give a value, or `null` for unset"));
                };
                let value = value.as_ref();
                Ok(EnvVar {
                    name: name.clone(),
                    set: value.is_some(),
                    non_empty: value.is_some_and(|value| !value.is_empty()),
                    required_non_empty,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Self { vars })
    }
}

/// What `steps.ID` holds of an `env` probe: never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvFacts {
    /// Each variable named, by name.
    pub vars: IndexMap<String, EnvVarFacts>,
    /// The variables that are not as the spec requires.
    pub missing: Vec<String>,
}

/// What `steps.ID.vars.NAME` holds of one variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVarFacts {
    /// Whether it is set.
    pub set: bool,
    /// Whether it is set to a non-empty value.
    pub non_empty: bool,
}

impl EnvObservation {
    /// What `steps.ID` holds of it.
    pub(crate) fn step_facts(&self) -> EnvFacts {
        EnvFacts {
            vars: self
                .vars
                .iter()
                .map(|var| (var.name.clone(), EnvVarFacts { set: var.set, non_empty: var.non_empty }))
                .collect(),
            missing: self.vars.iter().filter(|var| !var.ok()).map(|var| var.name.clone()).collect(),
        }
    }
}

/// The names are the runbook's, redacted as the keys of any map are; a
/// variable's facts are two booleans, never its value.
impl Redact for EnvFacts {
    fn redact(&mut self, redactor: &Redactor) {
        let Self { vars, missing } = self;
        *vars =
            std::mem::take(vars).into_iter().map(|(name, facts)| (redactor.text(&name).into_owned(), facts)).collect();
        missing.redact(redactor);
    }
}

impl Observed for EnvObservation {
    /// Reading the environment takes no time worth reporting.
    fn duration(&self) -> Duration {
        Duration::ZERO
    }

    fn take_no_time(&mut self) {}

    /// Reading the environment cannot fail.
    fn error(&self) -> Option<&ProbeError> {
        None
    }

    /// It keeps no value to redact.
    fn redact(&mut self, _: &Redactor) -> Vec<(String, String)> {
        Vec::new()
    }

    fn outputs(&self) -> Vec<(&'static str, &Captured)> {
        Vec::new()
    }

    fn subject(&self, _: Subject, _: &Expectation) -> Option<(String, Option<Value>)> {
        None
    }

    fn capture(&self, _: &Capture) -> Option<Value> {
        None
    }

    /// Its results say it all.
    fn facts(&self) -> Vec<String> {
        Vec::new()
    }

    fn headline(&self) -> Option<String> {
        None
    }

    /// Values are never recorded: a set variable gets a stand-in.
    fn as_mock(&self, _: &str) -> Value {
        let vars: Map<String, Value> = self
            .vars
            .iter()
            .map(|var| {
                let value = match (var.set, var.non_empty) {
                    (true, true) => Value::from("(set)"),
                    (true, false) => Value::from(""),
                    (false, _) => Value::Null,
                };
                (var.name.clone(), value)
            })
            .collect();
        serde_json::json!({ "env": vars })
    }

    /// Every variable must meet its condition.
    fn own_results(&self) -> Vec<ExpectationResult> {
        self.vars
            .iter()
            .map(|var| {
                let predicate = if var.required_non_empty { "non_empty" } else { "set" };
                ExpectationResult {
                    subject: format!("env {}", var.name),
                    predicate: predicate.to_owned(),
                    expected: Value::Bool(true),
                    actual: Some(Value::Bool(if var.required_non_empty { var.non_empty } else { var.set })),
                    passed: var.ok(),
                    severity: ExpectationSeverity::Fail,
                    message: None,
                    unjudged: None,
                }
            })
            .collect()
    }
}

impl Probe for EnvSpec {
    fn observe<'a>(&'a self, _: &'a Limits, _: &'a CancellationToken) -> ProbeFuture<'a> {
        Box::pin(async move { Observation::Env(self.observe_now()) })
    }

    fn env(&self) -> Option<&EnvSpec> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_env_observation_answers_each_variable_of_the_probe_from_the_case() {
        let spec = EnvSpec { set: vec!["A".into()], non_empty: vec!["B".into()] };
        let named = |pairs: &[(&str, Option<&str>)]| -> IndexMap<Spanned<String>, Option<String>> {
            pairs
                .iter()
                .map(|(name, value)| {
                    (Spanned::new((*name).to_owned(), runbook_model::Span::default()), value.map(str::to_owned))
                })
                .collect()
        };
        let observed = EnvObservation::mocked(&spec, &named(&[("B", Some("")), ("A", None)])).unwrap();
        let found: Vec<(&str, bool, bool, bool)> =
            observed.vars.iter().map(|v| (v.name.as_str(), v.set, v.non_empty, v.required_non_empty)).collect();
        assert_eq!(found, [("A", false, false, false), ("B", true, false, true)]);
        let missing = EnvObservation::mocked(&spec, &named(&[("A", Some("x"))])).unwrap_err();
        assert_eq!(missing, "its observation does not list `B`: give a value, or `null` for unset");
    }

    #[test]
    fn reports_presence_without_values() {
        // PATH is set in every test environment; this name is not.
        let spec = EnvSpec { set: vec!["PATH".into()], non_empty: vec!["RUNBOOK_TEST_SURELY_UNSET_9F3A".into()] };
        let observation = spec.observe_now();
        assert!(observation.vars[0].set && observation.vars[0].ok());
        assert!(!observation.vars[1].set && !observation.vars[1].ok());
        let json = serde_json::to_string(&observation).unwrap();
        assert!(!json.contains(&std::env::var("PATH").unwrap()), "values never appear");
    }
}
