//! The step kinds: what a step does. Each kind is one module (`check`,
//! `collect`, `ask`, `instruct`, `action`, `call`, `conclude`) holding its
//! YAML type and what `check` and the plan know of it, as an
//! implementation of [`StepRules`]: the keys it leaves by, the facts
//! `steps.ID` holds, its templated fields, its shape in a diagram, how it
//! reads in words, and what the plan runs. This module is the one
//! registration: the kinds' enums, and each `match` that hands a question
//! to the kind's module.

mod action;
mod ask;
mod call;
mod check;
mod collect;
mod conclude;
mod instruct;

pub use action::{Action, ActionPlan};
pub use ask::{Ask, AskType, Choice};
pub use call::Call;
pub use conclude::{Conclusion, ConclusionStatus, Escalation, Severity};
pub use instruct::Instruct;

use crate::analyse::TemplateCollector;
use crate::{Check, Diagnostic, ProbeEntry, Probing, Prose, Span, Spanned, Step};

/// What `check`, the plan and the diagrams know of one step kind. Each
/// kind's module implements it on a marker type; the `match`es of this
/// module hand each question to it, so a new kind answers every one.
pub(crate) trait StepRules {
    /// What a step declares under the kind's key.
    type Yaml;
    /// How the diagrams draw it.
    const SHAPE: Shape;
    /// Whether it ends with an outcome, and whether that outcome routes.
    const OUTCOME: OutcomeUse;
    /// Whether `retry:` may repeat it until the outcome is the one wanted.
    const RETRIED: bool;
    /// Whether it ends the run, so that nothing may follow it.
    const ENDS_RUN: bool;
    /// Whether, once started, it works on its own for a while with nobody
    /// to answer (its probes run), so that a terminal shows it busy.
    const WORKS_ALONE: bool;
    /// The keys it can leave by, for `on:`; `None` when any key may occur
    /// (answers of free-text questions), empty for a single exit.
    fn possible_keys(yaml: &Self::Yaml) -> Option<Vec<String>>;
    /// Drops from `keys` (its possible keys) those `step` can never
    /// produce: an outcome its expectations rule out.
    fn drop_unproducible(yaml: &Self::Yaml, step: &Step, keys: &mut Vec<String>);
    /// What `steps.ID` holds once it ran, besides `duration` and `error`.
    fn facts(yaml: &Self::Yaml) -> Vec<&'static str>;
    /// Hands its templates and expressions to `sites`, in the order
    /// written.
    fn template_sites<'a>(yaml: &'a Self::Yaml, sites: &mut TemplateCollector<'_, 'a>);
    /// Its own `check` rules (RB1xx), beyond those every step follows.
    fn shape(yaml: &Spanned<Self::Yaml>, out: &mut Vec<Diagnostic>);
    /// What the plan runs; an error only for a runbook planned unchecked.
    fn planned(yaml: &Spanned<Self::Yaml>) -> Result<StepBody, Diagnostic>;
    /// How `runbook render` writes it for a person without the tool.
    fn prose(yaml: &Self::Yaml) -> Vec<Prose<'_>>;
}

/// The kind of a step, named as its key in YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// `check`
    Check,
    /// `collect`
    Collect,
    /// `ask`
    Ask,
    /// `instruct`
    Instruct,
    /// `action`
    Action,
    /// `call`
    Call,
    /// `conclude`
    Conclude,
}

impl StepKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [Self; 7] =
        [Self::Check, Self::Collect, Self::Ask, Self::Instruct, Self::Action, Self::Call, Self::Conclude];

    /// The YAML key.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::Collect => "collect",
            Self::Ask => "ask",
            Self::Instruct => "instruct",
            Self::Action => "action",
            Self::Call => "call",
            Self::Conclude => "conclude",
        }
    }

    /// Whether a step of this kind ends with an outcome (`pass`, `warn`,
    /// `fail`, `error`, `skipped`), which `steps.ID.outcome` holds and a
    /// `runbook test` case may expect.
    pub const fn has_outcome(self) -> bool {
        !matches!(self.outcome(), OutcomeUse::None)
    }

    /// Whether a step of this kind routes by its outcome (`on: { fail: … }`),
    /// so that `--assume` may pick one in a dry run.
    pub const fn routes_by_outcome(self) -> bool {
        matches!(self.outcome(), OutcomeUse::Routes)
    }

    /// Whether a step of this kind, once started, works on its own for a
    /// while with nobody to answer (its probes run).
    pub const fn works_alone(self) -> bool {
        match self {
            Self::Check => check::CheckStep::WORKS_ALONE,
            Self::Collect => collect::CollectStep::WORKS_ALONE,
            Self::Ask => ask::AskStep::WORKS_ALONE,
            Self::Instruct => instruct::InstructStep::WORKS_ALONE,
            Self::Action => action::ActionStep::WORKS_ALONE,
            Self::Call => call::CallStep::WORKS_ALONE,
            Self::Conclude => conclude::ConcludeStep::WORKS_ALONE,
        }
    }

    /// "a `check`", "an `ask`": the kind's name with its article.
    pub fn with_article(self) -> String {
        crate::analyse::article(self.name())
    }

    /// See [`StepRules::OUTCOME`].
    const fn outcome(self) -> OutcomeUse {
        match self {
            Self::Check => check::CheckStep::OUTCOME,
            Self::Collect => collect::CollectStep::OUTCOME,
            Self::Ask => ask::AskStep::OUTCOME,
            Self::Instruct => instruct::InstructStep::OUTCOME,
            Self::Action => action::ActionStep::OUTCOME,
            Self::Call => call::CallStep::OUTCOME,
            Self::Conclude => conclude::ConcludeStep::OUTCOME,
        }
    }

    /// See [`StepRules::RETRIED`].
    pub(crate) const fn retried(self) -> bool {
        match self {
            Self::Check => check::CheckStep::RETRIED,
            Self::Collect => collect::CollectStep::RETRIED,
            Self::Ask => ask::AskStep::RETRIED,
            Self::Instruct => instruct::InstructStep::RETRIED,
            Self::Action => action::ActionStep::RETRIED,
            Self::Call => call::CallStep::RETRIED,
            Self::Conclude => conclude::ConcludeStep::RETRIED,
        }
    }

    /// Whether a step of this kind ends the run.
    pub(crate) const fn ends_run(self) -> bool {
        match self {
            Self::Check => check::CheckStep::ENDS_RUN,
            Self::Collect => collect::CollectStep::ENDS_RUN,
            Self::Ask => ask::AskStep::ENDS_RUN,
            Self::Instruct => instruct::InstructStep::ENDS_RUN,
            Self::Action => action::ActionStep::ENDS_RUN,
            Self::Call => call::CallStep::ENDS_RUN,
            Self::Conclude => conclude::ConcludeStep::ENDS_RUN,
        }
    }

    /// The kinds `which` says yes to, as a list for messages, the last
    /// after `last`: `` `check` and `collect` ``.
    pub fn listed(which: fn(Self) -> bool, last: &str) -> String {
        let names: Vec<String> =
            Self::ALL.into_iter().filter(|kind| which(*kind)).map(|kind| format!("`{}`", kind.name())).collect();
        match names.split_last() {
            Some((only, [])) => only.clone(),
            Some((final_kind, rest)) => format!("{} {last} {final_kind}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// How the diagrams (`runbook graph`, `runbook render`, the record's
    /// graph) draw a step of this kind.
    pub const fn shape(self) -> Shape {
        match self {
            Self::Check => check::CheckStep::SHAPE,
            Self::Collect => collect::CollectStep::SHAPE,
            Self::Ask => ask::AskStep::SHAPE,
            Self::Instruct => instruct::InstructStep::SHAPE,
            Self::Action => action::ActionStep::SHAPE,
            Self::Call => call::CallStep::SHAPE,
            Self::Conclude => conclude::ConcludeStep::SHAPE,
        }
    }
}

/// What a step kind's outcome (`pass`, `warn`, `fail`, `error`,
/// `skipped`) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeUse {
    /// It has none: it ends with an answer, notes, a called runbook's
    /// conclusion, or the run.
    None,
    /// Kept in the record and `steps.ID.outcome`, never routing (`collect`).
    Kept,
    /// It picks the way on (`check`, `action`).
    Routes,
}

/// How a diagram draws a step: each kind has its own shape, so that the
/// diagram writers map shapes, not kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A plain box (`check`, and a step with no kind).
    Box,
    /// A slanted box (`collect`).
    Parallelogram,
    /// A diamond (`ask`).
    Diamond,
    /// A box with a flag (`instruct`).
    Note,
    /// A hexagon (`action`).
    Hexagon,
    /// A box with doubled sides (`call`).
    Subroutine,
    /// A rounded box, filled by the severity (`conclude`).
    Ending,
}

/// What a step declares under one kind's key, borrowed: every place that
/// reads a step's kind matches on it, so the compiler names each place a
/// new kind must reach.
#[derive(Debug, Clone, Copy)]
pub enum DeclaredStep<'a> {
    /// `check`
    Check(&'a Spanned<Check>),
    /// `collect`
    Collect(&'a Spanned<Check>),
    /// `ask`
    Ask(&'a Spanned<Ask>),
    /// `instruct`
    Instruct(&'a Spanned<Instruct>),
    /// `action`
    Action(&'a Spanned<Action>),
    /// `call`
    Call(&'a Spanned<Call>),
    /// `conclude`
    Conclude(&'a Spanned<Conclusion>),
}

impl<'a> DeclaredStep<'a> {
    /// Its kind.
    pub const fn kind(self) -> StepKind {
        match self {
            Self::Check(_) => StepKind::Check,
            Self::Collect(_) => StepKind::Collect,
            Self::Ask(_) => StepKind::Ask,
            Self::Instruct(_) => StepKind::Instruct,
            Self::Action(_) => StepKind::Action,
            Self::Call(_) => StepKind::Call,
            Self::Conclude(_) => StepKind::Conclude,
        }
    }

    /// Where its key is written.
    pub const fn span(self) -> Span {
        match self {
            Self::Check(value) | Self::Collect(value) => value.span,
            Self::Ask(value) => value.span,
            Self::Instruct(value) => value.span,
            Self::Action(value) => value.span,
            Self::Call(value) => value.span,
            Self::Conclude(value) => value.span,
        }
    }

    /// See [`StepRules::possible_keys`].
    pub(crate) fn possible_keys(self) -> Option<Vec<String>> {
        match self {
            Self::Check(check) => check::CheckStep::possible_keys(check),
            Self::Collect(collect) => collect::CollectStep::possible_keys(collect),
            Self::Ask(ask) => ask::AskStep::possible_keys(ask),
            Self::Instruct(instruct) => instruct::InstructStep::possible_keys(instruct),
            Self::Action(action) => action::ActionStep::possible_keys(action),
            Self::Call(call) => call::CallStep::possible_keys(call),
            Self::Conclude(conclude) => conclude::ConcludeStep::possible_keys(conclude),
        }
    }

    /// See [`StepRules::drop_unproducible`].
    pub(crate) fn drop_unproducible(self, step: &Step, keys: &mut Vec<String>) {
        match self {
            Self::Check(check) => check::CheckStep::drop_unproducible(check, step, keys),
            Self::Collect(collect) => collect::CollectStep::drop_unproducible(collect, step, keys),
            Self::Ask(ask) => ask::AskStep::drop_unproducible(ask, step, keys),
            Self::Instruct(instruct) => instruct::InstructStep::drop_unproducible(instruct, step, keys),
            Self::Action(action) => action::ActionStep::drop_unproducible(action, step, keys),
            Self::Call(call) => call::CallStep::drop_unproducible(call, step, keys),
            Self::Conclude(conclude) => conclude::ConcludeStep::drop_unproducible(conclude, step, keys),
        }
    }

    /// See [`StepRules::facts`].
    pub(crate) fn facts(self) -> Vec<&'static str> {
        match self {
            Self::Check(check) => check::CheckStep::facts(check),
            Self::Collect(collect) => collect::CollectStep::facts(collect),
            Self::Ask(ask) => ask::AskStep::facts(ask),
            Self::Instruct(instruct) => instruct::InstructStep::facts(instruct),
            Self::Action(action) => action::ActionStep::facts(action),
            Self::Call(call) => call::CallStep::facts(call),
            Self::Conclude(conclude) => conclude::ConcludeStep::facts(conclude),
        }
    }

    /// See [`StepRules::template_sites`].
    pub(crate) fn template_sites(self, sites: &mut TemplateCollector<'_, 'a>) {
        match self {
            Self::Check(check) => check::CheckStep::template_sites(check, sites),
            Self::Collect(collect) => collect::CollectStep::template_sites(collect, sites),
            Self::Ask(ask) => ask::AskStep::template_sites(ask, sites),
            Self::Instruct(instruct) => instruct::InstructStep::template_sites(instruct, sites),
            Self::Action(action) => action::ActionStep::template_sites(action, sites),
            Self::Call(call) => call::CallStep::template_sites(call, sites),
            Self::Conclude(conclude) => conclude::ConcludeStep::template_sites(conclude, sites),
        }
    }

    /// See [`StepRules::shape`].
    pub(crate) fn shape(self, out: &mut Vec<Diagnostic>) {
        match self {
            Self::Check(check) => check::CheckStep::shape(check, out),
            Self::Collect(collect) => collect::CollectStep::shape(collect, out),
            Self::Ask(ask) => ask::AskStep::shape(ask, out),
            Self::Instruct(instruct) => instruct::InstructStep::shape(instruct, out),
            Self::Action(action) => action::ActionStep::shape(action, out),
            Self::Call(call) => call::CallStep::shape(call, out),
            Self::Conclude(conclude) => conclude::ConcludeStep::shape(conclude, out),
        }
    }

    /// How `runbook render` writes the step for a person following the
    /// runbook without the tool.
    pub fn prose(self) -> Vec<Prose<'a>> {
        match self {
            Self::Check(check) => check::CheckStep::prose(check),
            Self::Collect(collect) => collect::CollectStep::prose(collect),
            Self::Ask(ask) => ask::AskStep::prose(ask),
            Self::Instruct(instruct) => instruct::InstructStep::prose(instruct),
            Self::Action(action) => action::ActionStep::prose(action),
            Self::Call(call) => call::CallStep::prose(call),
            Self::Conclude(conclude) => conclude::ConcludeStep::prose(conclude),
        }
    }

    /// See [`StepRules::planned`].
    pub(crate) fn planned(self) -> Result<StepBody, Diagnostic> {
        match self {
            Self::Check(check) => check::CheckStep::planned(check),
            Self::Collect(collect) => collect::CollectStep::planned(collect),
            Self::Ask(ask) => ask::AskStep::planned(ask),
            Self::Instruct(instruct) => instruct::InstructStep::planned(instruct),
            Self::Action(action) => action::ActionStep::planned(action),
            Self::Call(call) => call::CallStep::planned(call),
            Self::Conclude(conclude) => conclude::ConcludeStep::planned(conclude),
        }
    }
}

/// What a step does in a [`crate::Plan`]: exactly one of the seven kinds.
#[derive(Debug, Clone)]
pub enum StepBody {
    /// Probes judged by expectations: `pass`, `warn`, `fail` or `error`.
    Check(Probing),
    /// Probes for evidence only; never routes by outcome.
    Collect(Probing),
    /// A question whose answer picks the branch.
    Ask(Ask),
    /// Manual work for the operator.
    Instruct(Instruct),
    /// A remediation that runs once confirmed.
    Action(ActionPlan),
    /// Another runbook, run to its conclusion.
    Call(Call),
    /// The end of the run.
    Conclude(Conclusion),
}

impl StepBody {
    /// The kind, named as its YAML key.
    pub const fn kind(&self) -> StepKind {
        match self {
            Self::Check(_) => StepKind::Check,
            Self::Collect(_) => StepKind::Collect,
            Self::Ask(_) => StepKind::Ask,
            Self::Instruct(_) => StepKind::Instruct,
            Self::Action(_) => StepKind::Action,
            Self::Call(_) => StepKind::Call,
            Self::Conclude(_) => StepKind::Conclude,
        }
    }

    /// The probes a step runs (`check`, `collect`, `action`), each once.
    pub fn probes(&self) -> Vec<&ProbeEntry> {
        match self {
            Self::Check(probing) | Self::Collect(probing) => probing.entries(),
            Self::Action(action) => vec![&action.entry],
            Self::Ask(_) | Self::Instruct(_) | Self::Call(_) | Self::Conclude(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_asks_for_exactly_one_key_of_every_kind() {
        let schema = crate::runbook_schema();
        let required: Vec<&str> = schema["$defs"]["Step"]["oneOf"]
            .as_array()
            .expect("a step is one of its kinds")
            .iter()
            .filter_map(|option| option["required"][0].as_str())
            .collect();
        let names: Vec<&str> = StepKind::ALL.iter().map(|kind| kind.name()).collect();
        assert_eq!(required, names, "the `oneOf` of `Step` in step.rs lists each kind of `StepKind::ALL`");
    }
}
