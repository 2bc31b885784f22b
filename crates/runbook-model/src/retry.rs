//! `retry`: polling a step until its outcome is the one wanted.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::{Duration, Outcome, Spanned};

/// Polls a step. Every attempt goes to the record.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Most attempts, the first included.
    #[serde(deserialize_with = "crate::strict::spanned")]
    pub attempts: Spanned<u32>,
    /// Wait between attempts (default 1s).
    #[serde(default)]
    pub interval: Option<Spanned<Duration>>,
    /// Factor applied to the wait after each attempt (default 1: constant).
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub backoff: Option<Spanned<f64>>,
    /// Longest wait between attempts once backoff has grown it.
    #[serde(default)]
    pub max_interval: Option<Spanned<Duration>>,
    /// Stop polling after this long, whatever the attempt count.
    #[serde(default)]
    pub deadline: Option<Spanned<Duration>>,
    /// Outcome that ends the polling (default `pass`).
    #[serde(default)]
    pub until: Option<Spanned<Outcome>>,
    /// Expression that ends the polling early, e.g. on an error retrying
    /// cannot fix.
    #[serde(default)]
    pub stop_if: Option<Spanned<String>>,
}
