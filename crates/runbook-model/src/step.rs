//! A step as written: its id, its one kind's key, and where it goes next.
//! The kinds themselves are `step_kind/`.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::{
    Action, Ask, Call, Check, Conclusion, DeclaredStep, Duration, Instruct, Retry, Span, Spanned, StepKind, Target,
};

/// One node of the triage tree. It has exactly one kind: `check`,
/// `collect`, `ask`, `instruct`, `action`, `call` or `conclude`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    { "required": ["check"] },
    { "required": ["collect"] },
    { "required": ["ask"] },
    { "required": ["instruct"] },
    { "required": ["action"] },
    { "required": ["call"] },
    { "required": ["conclude"] },
]))]
pub struct Step {
    /// Unique id, used by `next`, `goto`, `evidence` and `steps.ID` in
    /// expressions.
    pub id: Spanned<String>,
    /// Short human title, shown while the step runs: a template, rendered
    /// when the step starts.
    #[serde(default)]
    pub title: Option<Spanned<String>>,
    /// Longer explanation: why this step matters, what to look for. A
    /// template, like `title`.
    #[serde(default)]
    pub description: Option<Spanned<String>>,
    /// Run probes and judge the observations: the step's outcome is `pass`,
    /// `warn`, `fail` or `error`.
    #[serde(default)]
    pub check: Option<Box<Spanned<Check>>>,
    /// Run probes for evidence only (logs, listings). Never fails the tree:
    /// the run always continues with `next` or the following step.
    #[serde(default)]
    pub collect: Option<Box<Spanned<Check>>>,
    /// Ask the operator a question; the answer picks the branch.
    #[serde(default)]
    pub ask: Option<Box<Spanned<Ask>>>,
    /// Manual work for the operator; the answers go to the record.
    #[serde(default)]
    pub instruct: Option<Box<Spanned<Instruct>>>,
    /// A remediation that changes the system; needs confirmation.
    #[serde(default)]
    pub action: Option<Box<Spanned<Action>>>,
    /// Run another runbook file and continue with its conclusion and vars.
    #[serde(default)]
    pub call: Option<Box<Spanned<Call>>>,
    /// End the run with a conclusion.
    #[serde(default)]
    pub conclude: Option<Box<Spanned<Conclusion>>>,
    /// Where to go after this step when `on:` does not say: a step id, or a
    /// list of `{ when, goto }` branches (first true wins). Without it, the
    /// run continues with the step below.
    #[serde(default)]
    pub next: Option<Spanned<Target>>,
    /// Where to go for each outcome (`pass`, `warn`, `fail`, `error`; an
    /// action also `skipped`), for `ask` each answer, for `call` each
    /// conclusion status. What it does not route goes to `next`.
    #[serde(default)]
    pub on: Option<Spanned<IndexMap<Spanned<String>, Spanned<Target>>>>,
    /// Poll the step until its outcome is the one wanted.
    #[serde(default)]
    pub retry: Option<Spanned<Retry>>,
    /// Limit on the step, attempts included.
    #[serde(default)]
    pub timeout: Option<Spanned<Duration>>,
    /// How often this step may run in one run (default: the runbook's
    /// `max_visits`, else 3).
    #[serde(default, deserialize_with = "crate::strict::optional_spanned")]
    pub max_visits: Option<Spanned<u32>>,
}

impl Step {
    /// What the step declares, in the order of [`StepKind::ALL`]; a valid
    /// step declares exactly one kind. The one place that lists `Step`'s
    /// kind keys.
    pub fn declared(&self) -> Vec<DeclaredStep<'_>> {
        // Every field named: a new key fails to compile here until it is
        // sorted into kinds or not.
        let Self {
            id: _,
            title: _,
            description: _,
            check,
            collect,
            ask,
            instruct,
            action,
            call,
            conclude,
            next: _,
            on: _,
            retry: _,
            timeout: _,
            max_visits: _,
        } = self;
        [
            check.as_deref().map(DeclaredStep::Check),
            collect.as_deref().map(DeclaredStep::Collect),
            ask.as_deref().map(DeclaredStep::Ask),
            instruct.as_deref().map(DeclaredStep::Instruct),
            action.as_deref().map(DeclaredStep::Action),
            call.as_deref().map(DeclaredStep::Call),
            conclude.as_deref().map(DeclaredStep::Conclude),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The kinds this step declares, with their spans. A valid step has
    /// exactly one.
    pub fn kinds(&self) -> Vec<(StepKind, Span)> {
        self.declared().into_iter().map(|declared| (declared.kind(), declared.span())).collect()
    }

    /// The step's kind, if it declares exactly one.
    pub fn kind(&self) -> Option<StepKind> {
        match self.kinds().as_slice() {
            [(kind, _)] => Some(*kind),
            _ => None,
        }
    }

    /// The probes this step runs (`check`, `collect`), if any.
    pub fn probing(&self) -> Option<&Spanned<Check>> {
        self.check.as_deref().or(self.collect.as_deref())
    }
}
