//! `collect` steps: probes run for evidence only, never judged, so the run
//! always goes on with `next` or the step below. Their probes are a
//! [`Check`], as a `check` step's.

use super::{OutcomeUse, Shape, StepBody, StepRules};
use crate::analyse::TemplateCollector;
use crate::{Check, Diagnostic, Prose, Spanned, Step, Words};

/// The `collect` kind.
pub(crate) struct CollectStep;

impl StepRules for CollectStep {
    type Yaml = Check;
    const SHAPE: Shape = Shape::Parallelogram;
    const OUTCOME: OutcomeUse = OutcomeUse::Kept;
    const RETRIED: bool = true;
    const ENDS_RUN: bool = false;
    const WORKS_ALONE: bool = true;

    fn possible_keys(_: &Check) -> Option<Vec<String>> {
        Some(Vec::new())
    }

    fn drop_unproducible(_: &Check, _: &Step, _: &mut Vec<String>) {}

    fn facts(collect: &Check) -> Vec<&'static str> {
        crate::analyse::probing_facts(collect)
    }

    fn template_sites<'a>(collect: &'a Check, sites: &mut TemplateCollector<'_, 'a>) {
        sites.check(collect);
    }

    fn shape(collect: &Spanned<Check>, out: &mut Vec<Diagnostic>) {
        crate::analyse::shape::check_shape(collect, false, out);
    }

    fn planned(collect: &Spanned<Check>) -> Result<StepBody, Diagnostic> {
        Ok(StepBody::Collect(crate::plan::probing(collect)?))
    }

    fn prose(collect: &Check) -> Vec<Prose<'_>> {
        let lead = vec![
            Words::Strong("Collect"),
            Words::text(format!(" evidence ({}; never fails the run):", collect.reach())),
        ];
        let mut prose = vec![Prose::Paragraph(lead)];
        prose.extend(collect.prose());
        prose
    }
}
