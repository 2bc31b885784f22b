//! `action` steps (remediations) and `call` steps (sub-runbooks).

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::{Capture, CmdProbe, DeclaredProbe, Expectation, HttpProbe, Spanned};

/// A remediation that changes the system: a restart, a scale-up, a rollback.
/// It runs only after the operator confirms it (or with `--yes`), and never
/// in `--dry-run` or `--read-only` runs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// What the operator confirms: what will change and how to undo it.
    #[serde(default)]
    pub confirm: Option<Spanned<String>>,
    /// The command to run.
    #[serde(default)]
    pub cmd: Option<Spanned<CmdProbe>>,
    /// The HTTP request to send.
    #[serde(default)]
    pub http: Option<Spanned<HttpProbe>>,
    /// Expectations that tell whether the action worked.
    #[serde(default)]
    pub expect: Vec<Spanned<Expectation>>,
    /// Values to keep as `vars.NAME`.
    #[serde(default)]
    pub capture: IndexMap<Spanned<String>, Spanned<Capture>>,
}

impl Action {
    /// The probes it declares, in the order `check` names them: a valid
    /// action has exactly one.
    pub fn declared_probes(&self) -> Vec<DeclaredProbe<'_>> {
        [self.cmd.as_ref().map(DeclaredProbe::Cmd), self.http.as_ref().map(DeclaredProbe::Http)]
            .into_iter()
            .flatten()
            .collect()
    }
}

/// Runs another runbook; its conclusion and vars come back as
/// `steps.ID.conclusion` and `steps.ID.vars`, and its conclusion status
/// (`diagnosed`, `resolved`, `escalated`, `inconclusive`) is the outcome key
/// for `on:`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// Path of the runbook file, relative to this one.
    pub runbook: Spanned<String>,
    /// Inputs passed to it; string values are templates.
    #[serde(default)]
    pub inputs: IndexMap<Spanned<String>, Spanned<serde_json::Value>>,
}
