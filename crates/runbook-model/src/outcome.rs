//! The outcome of a step.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a check ended; the Nagios OK / WARNING / CRITICAL / UNKNOWN, plus
/// `skipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every expectation held.
    Pass,
    /// Only expectations marked `severity: warn` were false.
    Warn,
    /// The probe answered and an expectation was false.
    Fail,
    /// No observation to judge: timeout, refused, DNS, invalid JSON.
    Error,
    /// The step did not run (dry run, declined action).
    Skipped,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Self; 5] = [Self::Pass, Self::Warn, Self::Fail, Self::Error, Self::Skipped];

    /// The name as written in YAML.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Error => "error",
            Self::Skipped => "skipped",
        }
    }
}
