//! Static analysis: the rules behind `runbook check`. Every rule reads the
//! loaded runbook and its [`Flow`]; findings are collected, never
//! stop-at-first.

mod bidi;
mod blank_texts;
mod callee_unset;
mod compared_types;
mod cut_texts;
mod default_readings;
mod empty_foreach;
mod env_arithmetic;
mod escaping_off;
mod exhaustive;
mod expressions;
mod flow_rules;
mod joined_words;
mod literal_conditions;
mod literal_templates;
mod negated_missing;
mod next_routing;
mod no_answer_reads;
mod ordered_text;
mod query_values;
mod references;
mod safety;
mod self_matching;
pub(crate) mod shape;
mod shell_expansions;
mod shell_quotes;
mod shell_script;
mod step_facts;
mod subject_types;
mod templates;
mod test_cases;
mod text_length;
mod timing_never_holds;
mod unmatched_captures;
mod unquoted_env;
mod unreal_mocks;

use crate::{Diagnostic, Flow, Runbook};

pub(crate) use callee_unset::{check as unset_callee_reads, unset_at_end};
pub(crate) use compared_types::{Callee, KnownTypes, check_callee_vars, template_input_mismatch};
pub(crate) use exhaustive::unrouted_keys;
pub(crate) use expressions::{captures_of as captured_names, names as template_names};
pub(crate) use literal_templates::holds_template;
pub(crate) use next_routing::call_chain_without_conclusion;
pub(crate) use references::article;
pub(crate) use shape::zero_limit;
pub use step_facts::{CHECKLIST_FACTS, ERROR_FACTS, ERROR_KINDS, TIMING_FACTS, known_facts};
pub(crate) use step_facts::{PROBE_DURATION, probing_facts};
pub(crate) use templates::TemplateCollector;
pub use templates::{TemplateKind, TemplateSite, template_sites};
pub use test_cases::analyse_test_file;
pub(crate) use text_length::check_callee as counted_callee_texts;

/// Runs every rule and returns the findings in source order.
pub fn analyse(runbook: &Runbook) -> Vec<Diagnostic> {
    rules(runbook, None)
}

/// [`analyse`], with the text the runbook was loaded from, so findings
/// inside a template point at the `{{ }}` itself rather than the whole
/// value.
pub fn analyse_source(runbook: &Runbook, source: &crate::Source) -> Vec<Diagnostic> {
    rules(runbook, Some(source.text()))
}

fn rules(runbook: &Runbook, source: Option<&str>) -> Vec<Diagnostic> {
    analyse_with_flow(runbook, &Flow::new(runbook), source)
}

/// The rules over a runbook whose [`Flow`] the caller built (and keeps for
/// the plan).
pub(crate) fn analyse_with_flow(runbook: &Runbook, flow: &Flow, source: Option<&str>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    shape::check(runbook, &mut diagnostics);
    references::check(runbook, &mut diagnostics);
    // A broken reference or a duplicate id makes steps look unreachable:
    // report the cause, not its echo.
    let references_broken =
        diagnostics.iter().any(|d| matches!(d.code, crate::Code::UnknownStep | crate::Code::DuplicateStep));
    flow_rules::check(runbook, flow, references_broken, &mut diagnostics);
    let sites = template_sites(runbook);
    expressions::check(runbook, flow, &sites, &mut diagnostics);
    compared_types::check(runbook, &sites, &mut diagnostics);
    ordered_text::check(runbook, &sites, &mut diagnostics);
    literal_conditions::check(runbook, &sites, &mut diagnostics);
    unmatched_captures::check(runbook, flow, &sites, &mut diagnostics);
    no_answer_reads::check(runbook, flow, &sites, &mut diagnostics);
    default_readings::check(runbook, &sites, &mut diagnostics);
    text_length::check(runbook, &sites, &mut diagnostics);
    empty_foreach::check(runbook, &mut diagnostics);
    timing_never_holds::check(runbook, &mut diagnostics);
    step_facts::check(runbook, &sites, &mut diagnostics);
    safety::check(runbook, &sites, &mut diagnostics);
    shell_quotes::check(source, &sites, &mut diagnostics);
    escaping_off::check(source, &sites, &mut diagnostics);
    joined_words::check(source, &sites, &mut diagnostics);
    shell_script::check(runbook, &mut diagnostics);
    unquoted_env::check(runbook, &mut diagnostics);
    env_arithmetic::check(runbook, &mut diagnostics);
    query_values::check(runbook, &mut diagnostics);
    self_matching::check(runbook, &mut diagnostics);
    bidi::check(source, &mut diagnostics);
    cut_texts::check(runbook, source, &mut diagnostics);
    blank_texts::check(runbook, &mut diagnostics);
    diagnostics.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.code));
    diagnostics.dedup();
    diagnostics
}

/// Whether `id` is a valid step or runbook id.
pub(crate) fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}
