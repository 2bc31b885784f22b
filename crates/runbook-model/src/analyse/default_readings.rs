//! A capture's `default` that a branch takes for a reading. The default
//! stands in when the capture finds nothing, and a `when` or `stop_if`
//! cannot tell it from a value that was read: `"unknown"` counts as true,
//! `0` is below every threshold. "Could not read" then takes the branch of
//! a real reading, with no message. (`false` and `""` read as "no", which
//! is what a missing flag or message usually means: not reported.)

use std::collections::BTreeMap;

use serde_json::Value;

use crate::analyse::TemplateSite;
use crate::analyse::templates::{TemplateKind, earlier_whens};
use crate::analyse::unmatched_captures::single_captures;
use crate::comparison::truth_paths;
use crate::{Code, Comparator, Diagnostic, OperandForm, Runbook, Span, comparisons};

/// A capture with a default: where it is and what it gives.
struct Defaulted<'a> {
    step: &'a str,
    default: Value,
}

/// How a branch reads a var.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Its truth is taken: `vars.maint`, `not vars.up`.
    Truth,
    /// It is ordered: `vars.pct > 90`.
    Order,
}

pub(crate) fn check(runbook: &Runbook, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    let mut defaulted: BTreeMap<&str, Defaulted<'_>> = BTreeMap::new();
    for step in runbook.steps.iter() {
        for (name, capture) in single_captures(step) {
            let Some(written) = &capture.default else { continue };
            // The value the var gets: a typed capture converts its default.
            let kind = capture.kind.as_ref().map(|kind| kind.value);
            let default =
                kind.and_then(|kind| kind.convert(&written.value).ok()).unwrap_or_else(|| written.value.clone());
            defaulted.entry(name).or_insert(Defaulted { step: &step.id, default });
        }
    }
    if defaulted.is_empty() {
        return;
    }
    for site in sites.iter().filter(|site| site.kind == TemplateKind::Expression) {
        let earlier = site.step.map(|step| earlier_whens(&runbook.steps[step], site.span)).unwrap_or_default();
        for (var, reading) in readings(site.text) {
            let Some(capture) = defaulted.get(var.as_str()) else { continue };
            // `false`, `""` and `0` read as "no": what a missing flag or
            // message usually means, and what the author wrote. A word is
            // always true, and a number is ordered like a reading.
            let taken = match reading {
                Reading::Truth => capture.default.as_str().is_some_and(|text| !text.is_empty()),
                Reading::Order => capture.default.is_number(),
            };
            let told_apart =
                std::iter::once(site.text).chain(earlier.iter().copied()).any(|when| tells_apart(when, &var, capture));
            if taken && !told_apart {
                out.push(warning(site.span, &var, reading, capture));
            }
        }
    }
}

/// The vars an expression reads as a truth value or in an order, each once.
fn readings(expression: &str) -> Vec<(String, Reading)> {
    let var = |parts: &[String]| match parts {
        [root, name] if root == "vars" => Some(name.clone()),
        _ => None,
    };
    let mut found: Vec<(String, Reading)> = Vec::new();
    for parts in truth_paths(expression) {
        found.extend(var(&parts).map(|name| (name, Reading::Truth)));
    }
    for comparison in comparisons(expression) {
        if !matches!(comparison.comparator, Comparator::Lt | Comparator::Le | Comparator::Gt | Comparator::Ge) {
            continue;
        }
        for side in [&comparison.left, &comparison.right] {
            if let OperandForm::Path(parts) = &side.form {
                found.extend(var(parts).map(|name| (name, Reading::Order)));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|(name, reading)| seen.insert((name.clone(), *reading == Reading::Truth)));
    found
}

/// Whether `when` compares `vars.VAR` with its default (`vars.maint ==
/// "unknown"`, `vars.pct != 0`), and so tells "could not read" apart.
fn tells_apart(when: &str, var: &str, capture: &Defaulted<'_>) -> bool {
    let named = |form: &OperandForm| matches!(form, OperandForm::Path(parts) if parts.len() == 2 && parts[0] == "vars" && parts[1] == var);
    let equal = |text: &str| {
        serde_json::from_str::<Value>(text).is_ok_and(|written| match (written.as_f64(), capture.default.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() < f64::EPSILON,
            _ => written == capture.default,
        })
    };
    comparisons(when).into_iter().any(|comparison| {
        matches!(comparison.comparator, Comparator::Eq | Comparator::Ne)
            && ((named(&comparison.left.form) && equal(&comparison.right.text))
                || (named(&comparison.right.form) && equal(&comparison.left.text)))
    })
}

fn warning(span: Span, var: &str, reading: Reading, capture: &Defaulted<'_>) -> Diagnostic {
    let default = &capture.default;
    let written = default.to_string();
    let meaning = match reading {
        Reading::Truth => format!("{written} counts as true, like every non-empty string"),
        Reading::Order => format!("`{written}` is ordered like a value that was read"),
    };
    Diagnostic::new(
        Code::DefaultReadAsValue,
        span,
        format!("`vars.{var}` is its default {written} when its capture in `{}` finds nothing, and this branch takes that for a reading", capture.step),
    )
    .with_label(format!("{meaning}: \"could not read\" takes this branch silently"))
    .with_help(format!(
        "drop the `default` and route the unset case first (`- when: vars.{var} is not defined` to a step that says it could not be read), or compare with the default before this branch (`- when: vars.{var} == {written}`)"
    ))
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse, load};

    /// How many RB320 and RB312 a `next:` chain of `whens` (tried in order)
    /// gets over the capture `v: { CAPTURE }`.
    fn reported(capture: &str, whens: &[&str]) -> (usize, usize) {
        let chain = whens
            .iter()
            .fold(String::new(), |chain, when| chain + &format!("      - when: '{when}'\n        goto: b\n"));
        let yaml = format!(
            "id: t\ntitle: T\nsteps:\n  - id: a\n    collect:\n      cmd: {{ argv: [echo] }}\n      capture:\n        \
             v: {{ {capture} }}\n    next:\n{chain}      - goto: b\n  - id: b\n    conclude: {{ status: inconclusive }}\n"
        );
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        let diagnostics = analyse(&runbook);
        let count = |code| diagnostics.iter().filter(|d| d.code == code).count();
        (count(Code::DefaultReadAsValue), count(Code::CaptureMayNotMatch))
    }

    #[test]
    fn a_default_read_as_a_truth_or_in_an_order_is_reported() {
        assert_eq!(reported("json: $.m, default: unknown", &["vars.v"]), (1, 0));
        assert_eq!(reported("json: $.m, default: unknown", &["not vars.v and true"]), (1, 0));
        assert_eq!(reported("regex: '(\\d+)', type: int, default: 0", &["vars.v > 90"]), (1, 0));
        assert_eq!(reported("regex: '(\\d+)', type: int, default: '0'", &["90 <= vars.v"]), (1, 0));
    }

    #[test]
    fn a_default_told_apart_or_only_compared_is_not_reported() {
        assert_eq!(reported("json: $.m, default: unknown", &["vars.v == \"unknown\"", "vars.v"]), (0, 0));
        assert_eq!(reported("json: $.m, default: unknown", &["vars.v != \"unknown\" and vars.v"]), (0, 0));
        assert_eq!(reported("regex: '(\\d+)', type: int, default: 0", &["vars.v == 0", "vars.v > 90"]), (0, 0));
        assert_eq!(reported("json: $.m, default: unknown", &["vars.v == \"up\""]), (0, 0));
        assert_eq!(reported("json: $.m, default: false", &["vars.v"]), (0, 0));
        assert_eq!(reported("json: $.m, default: \"\"", &["(vars.v or \"\") != \"\""]), (0, 0));
        assert_eq!(reported("regex: '(\\d+)', default: \"n/a\"", &["vars.v > \"5\""]), (0, 0));
        // Told apart after the branch that reads it is too late.
        assert_eq!(reported("json: $.m, default: unknown", &["vars.v", "vars.v == \"unknown\""]), (1, 0));
    }

    #[test]
    fn a_branch_that_routes_the_unset_case_first_needs_no_default() {
        assert_eq!(reported("json: $.m", &["vars.v"]), (0, 1));
        assert_eq!(reported("json: $.m", &["vars.v is not defined", "vars.v", "vars.v > 3"]), (0, 0));
        assert_eq!(reported("json: $.m", &["vars.v is undefined or vars.v == 1", "vars.v"]), (0, 0));
        assert_eq!(reported("json: $.m", &["vars.v is defined", "vars.v"]), (0, 1));
    }
}
