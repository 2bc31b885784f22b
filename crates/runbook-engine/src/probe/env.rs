//! The `env` probe: whether environment variables are set and non-empty.
//! Values are never read into the observation, so they cannot leak.

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::{Limits, Observation, Probe, ProbeFuture};

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
pub struct EnvObservation {
    /// One entry per variable named in the spec.
    pub vars: Vec<EnvVar>,
}

/// Presence of one variable; never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
