//! `check` steps: probes judged by their expectations. The probes, their
//! expectations and captures are a [`Check`] (`check.rs`), which `collect`
//! steps and the members of a `probes:` group share.

use super::{OutcomeUse, Shape, StepBody, StepRules};
use crate::analyse::TemplateCollector;
use crate::step_keys::{Severities, never_errs};
use crate::{Check, Diagnostic, Outcome, Prose, Spanned, Step, Words};

/// The `check` kind.
pub(crate) struct CheckStep;

impl StepRules for CheckStep {
    type Yaml = Check;
    const SHAPE: Shape = Shape::Box;
    const OUTCOME: OutcomeUse = OutcomeUse::Routes;
    const RETRIED: bool = true;
    const ENDS_RUN: bool = false;
    const WORKS_ALONE: bool = true;

    /// `skipped` too for a check that sends a request that may change
    /// things: a `--read-only` run does not send it.
    fn possible_keys(check: &Check) -> Option<Vec<String>> {
        let mut keys: Vec<String> =
            [Outcome::Pass, Outcome::Warn, Outcome::Fail, Outcome::Error].iter().map(|o| o.name().to_owned()).collect();
        if !check.changing_methods().is_empty() {
            keys.push(Outcome::Skipped.name().to_owned());
        }
        Some(keys)
    }

    /// A check without `warn` expectations never warns, one without
    /// expectations never fails, one whose probes all read the environment
    /// or judge a TCP connection (and that has no `timeout` of its own)
    /// never errs.
    fn drop_unproducible(check: &Check, step: &Step, keys: &mut Vec<String>) {
        if step.timeout.is_none() && never_errs(check) {
            keys.retain(|key| key != Outcome::Error.name());
        }
        Severities::of_check(check).drop_unjudged(keys);
    }

    fn facts(check: &Check) -> Vec<&'static str> {
        crate::analyse::probing_facts(check)
    }

    fn template_sites<'a>(check: &'a Check, sites: &mut TemplateCollector<'_, 'a>) {
        sites.check(check);
    }

    fn shape(check: &Spanned<Check>, out: &mut Vec<Diagnostic>) {
        crate::analyse::shape::check_shape(check, false, out);
    }

    fn planned(check: &Spanned<Check>) -> Result<StepBody, Diagnostic> {
        Ok(StepBody::Check(crate::plan::probing(check)?))
    }

    fn prose(check: &Check) -> Vec<Prose<'_>> {
        let mut prose =
            vec![Prose::Paragraph(vec![Words::Strong("Check"), Words::text(format!(" ({}):", check.reach()))])];
        prose.extend(check.prose());
        prose
    }
}
