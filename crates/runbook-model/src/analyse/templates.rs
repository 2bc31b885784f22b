//! Every place in a runbook that holds a template or an expression.

use crate::{Check, DeclaredProbe, Runbook, Span, Spanned, Target};

/// How a string is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    /// Text with `{{ … }}` blocks.
    Template,
    /// A `sh:` command: a template whose values are shell-quoted.
    Shell,
    /// A bare expression (`when`, `stop_if`).
    Expression,
}

/// Where a template sits, and what its context holds there.
#[derive(Debug, Clone)]
pub struct TemplateSite<'a> {
    /// The text as written.
    pub text: &'a str,
    /// Where it was written.
    pub span: Span,
    /// How it is evaluated.
    pub kind: TemplateKind,
    /// Index of the step it belongs to; `None` for runbook-level fields.
    pub step: Option<usize>,
    /// Whether `result` and the step's own captures are in scope: `when` of
    /// its `on:` chains and retry's `stop_if` run after the probe.
    pub after_probe: bool,
    /// The `foreach` loop variable in scope, if any.
    pub item: Option<&'a str>,
}

/// Collects every template and expression of the runbook.
pub fn template_sites(runbook: &Runbook) -> Vec<TemplateSite<'_>> {
    let mut sites = Vec::new();
    for (index, step) in runbook.steps.iter().enumerate() {
        let mut collector = TemplateCollector { sites: &mut sites, step: Some(index), after_probe: false, item: None };
        for shown in [&step.title, &step.description].into_iter().flatten() {
            collector.template(shown);
        }
        for declared in step.declared() {
            declared.template_sites(&mut collector);
        }
        collector.after_probe = true;
        for target in step.next.iter().chain(step.on.iter().flat_map(|on| on.values())) {
            {
                if let Target::Branches(branches) = &target.value {
                    for when in branches.iter().filter_map(|branch| branch.when.as_ref()) {
                        collector.push(when, when.span, TemplateKind::Expression);
                    }
                }
            }
        }
        if let Some(stop_if) = step.retry.as_ref().and_then(|retry| retry.stop_if.as_ref()) {
            collector.push(stop_if, stop_if.span, TemplateKind::Expression);
        }
    }
    sites
}

/// Gathers the template sites of one step; each step kind hands it its
/// templated fields.
pub(crate) struct TemplateCollector<'s, 'a> {
    sites: &'s mut Vec<TemplateSite<'a>>,
    step: Option<usize>,
    after_probe: bool,
    item: Option<&'a str>,
}

impl<'a> TemplateCollector<'_, 'a> {
    /// A site of `kind` at `span`.
    pub(crate) fn push(&mut self, text: &'a str, span: Span, kind: TemplateKind) {
        self.sites.push(TemplateSite {
            text,
            span,
            kind,
            step: self.step,
            after_probe: self.after_probe,
            item: self.item,
        });
    }

    /// A text field that is a template.
    pub(crate) fn template(&mut self, text: &'a Spanned<String>) {
        self.push(text, text.span, TemplateKind::Template);
    }

    /// The templates of a check's probes, with its `foreach` item in scope.
    pub(crate) fn check(&mut self, check: &'a Check) {
        let outer_item = self.item;
        if check.foreach.is_some() {
            self.item = Some(check.item_name());
        }
        if let Some(foreach) = &check.foreach
            && let serde_json::Value::String(text) = &foreach.value
        {
            let saved = self.item.take();
            self.push(text, foreach.span, TemplateKind::Template);
            self.item = saved;
        }
        for probe in check.declared_probes() {
            self.probe(probe);
        }
        if let Some(probes) = &check.probes {
            for member in probes.values() {
                self.check(member);
            }
        }
        self.item = outer_item;
    }

    /// A probe's templated fields.
    pub(crate) fn probe(&mut self, probe: DeclaredProbe<'a>) {
        for (text, span, kind) in probe.template_fields() {
            self.push(text, span, kind);
        }
    }
}

/// The `when`s tried before the one written at `span` in the same chain of
/// `step` (its `next:` or one `on:` key); none for a `stop_if` or a `when`
/// first in its chain.
pub(crate) fn earlier_whens(step: &crate::Step, span: Span) -> Vec<&str> {
    let chains = step.next.iter().chain(step.on.iter().flat_map(|on| on.values()));
    for target in chains {
        let Target::Branches(branches) = &target.value else { continue };
        let whens: Vec<&Spanned<String>> = branches.iter().filter_map(|branch| branch.when.as_ref()).collect();
        if let Some(at) = whens.iter().position(|when| when.span == span) {
            return whens[..at].iter().map(|when| when.value.as_str()).collect();
        }
    }
    Vec::new()
}
