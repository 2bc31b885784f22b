//! The expressions of a plan, as the engine evaluates them.
//!
//! A `when`, a `stop_if` and a value that is one whole `{{ … }}` are bare
//! expressions. Each is rewritten once per plan (see `Plan::expressions`), so
//! that its comparisons go through the engine's guard
//! ([`crate::guard_comparisons`]); the engine compiles the rewritten text
//! once and evaluates it as often as the run needs.

use indexmap::IndexMap;

use crate::{Guards, Runbook, TemplateKind, guard_comparisons, guard_template, guard_when, template_sites};

/// The names a guarded expression calls its guards by; the engine
/// registers its functions under them.
pub const GUARDS: Guards<'static> = Guards {
    compare: "__runbook_compare",
    require: "__runbook_require",
    truth: "__runbook_truth",
    truths: "__runbook_truths",
    arithmetic: "__runbook_arithmetic",
    text: "__runbook_text",
    present: "__runbook_present",
};

/// The expression inside a string that is exactly one `{{ … }}`: such a
/// value keeps the type of what it gives (a list, a number) instead of
/// being rendered as text.
pub fn whole_expression(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}") && !inner.contains("{%")).then(|| inner.trim())
}

/// A `{{ … }}` block of a template: what it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintedBlock<'t> {
    /// Where its `{{` starts in the template.
    pub start: usize,
    /// Where the text after its `}}` starts.
    pub end: usize,
    /// The expression inside, without the whitespace control (`{{-`, `-}}`).
    pub expression: &'t str,
}

/// The `{{ … }}` blocks of a template, in order.
pub fn printed_blocks(text: &str) -> Vec<PrintedBlock<'_>> {
    let mut blocks = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|open| from + open) {
        let Some(close) = text[open + 2..].find("}}").map(|close| open + 2 + close) else { break };
        let expression = text[open + 2..close].trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        blocks.push(PrintedBlock { start: open, end: close + 2, expression });
        from = close + 2;
    }
    blocks
}

/// Every expression of `runbook`, as written, with the text the engine
/// evaluates for it: the guarded rewrite when it compares anything, else
/// the same text.
pub(crate) fn planned_expressions(runbook: &Runbook) -> IndexMap<String, String> {
    let mut expressions = IndexMap::new();
    for site in template_sites(runbook) {
        let written = match site.kind {
            TemplateKind::Expression => site.text,
            TemplateKind::Template => match whole_expression(site.text) {
                Some(inner) => inner,
                None => continue,
            },
            TemplateKind::Shell => continue,
        };
        if !expressions.contains_key(written) {
            // A `when` or `stop_if` is a condition; a whole value's `and`
            // and `or` give a value.
            let guarded = match site.kind {
                TemplateKind::Expression => guard_when(written, &GUARDS),
                _ => guard_comparisons(written, &GUARDS),
            };
            let evaluated = guarded.unwrap_or_else(|| written.to_owned());
            expressions.insert(written.to_owned(), evaluated);
        }
    }
    expressions
}

/// Every template of `runbook` (text and `sh:`) whose blocks compare or
/// take a truth, as written, with the text the engine renders for it: the
/// same guards as an expression (see [`guard_template`]).
pub(crate) fn planned_templates(runbook: &Runbook) -> IndexMap<String, String> {
    let mut templates = IndexMap::new();
    for site in template_sites(runbook) {
        if site.kind == TemplateKind::Expression || templates.contains_key(site.text) {
            continue;
        }
        if let Some(guarded) = guard_template(site.text, &GUARDS) {
            templates.insert(site.text.to_owned(), guarded);
        }
    }
    templates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_expression_is_planned_once_with_its_comparisons_guarded() {
        let yaml = r#"
id: t
title: T
inputs:
  services: { type: list, default: [a] }
steps:
  - id: a
    check:
      foreach: "{{ inputs.services }}"
      http: { url: "http://x/{{ item }}" }
    retry: { attempts: 2, interval: 1s, stop_if: "result.status == 200" }
    on:
      fail:
        - when: result.status >= 500
          goto: b
        - when: vars.ready
          goto: b
        - when: result.status >= 500
          goto: b
  - id: b
    conclude: { status: diagnosed, severity: info, diagnosis: "x {{ vars.ready }}" }
"#;
        let runbook = crate::load(&crate::Source::new("t.yaml", yaml)).unwrap();
        let planned = planned_expressions(&runbook);
        let written: Vec<&str> = planned.keys().map(String::as_str).collect();
        assert_eq!(written, ["inputs.services", "result.status >= 500", "vars.ready", "result.status == 200"]);
        assert_eq!(
            planned["result.status >= 500"],
            format!(r#"{}(result.status, ">=", 500, "result.status", "500")"#, GUARDS.compare)
        );
        assert_eq!(planned["vars.ready"], "vars.ready", "nothing to guard: evaluated as written");
        assert_eq!(planned["inputs.services"], "inputs.services");
    }

    #[test]
    fn only_a_string_that_is_one_whole_block_is_an_expression() {
        assert_eq!(whole_expression(" {{ inputs.port }} "), Some("inputs.port"));
        assert_eq!(whole_expression("p{{ inputs.port }}"), None);
        assert_eq!(whole_expression("{{ a }}-{{ b }}"), None);
        assert_eq!(whole_expression("{{ a }}{% if b %}{% endif %}"), None);
    }
}
