//! `vars.lags | max` (or `| min`, `| sort`) over a `regex` capture of
//! digits without a number `type:`: the values are strings, which order as
//! text ("150" before "95"), so the worst replica lag reads 95. The run
//! stops on it; `check` says so first where the capture tells.

use std::sync::LazyLock;

use regex::Regex;

use crate::analyse::{TemplateKind, TemplateSite};
use crate::comparison::{OperandForm, ordering_filters};
use crate::{Capture, CaptureType, Check, Code, Diagnostic, Runbook};

/// A regex group that matches digits only (`(\d+)`, `([0-9.]+)`,
/// `(\d+\.\d+)`): what it captures always reads as a number.
static DIGIT_GROUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\\d|\[0-9\]|\[0-9\.\]|\[\\d\.\]|\\\.|[+*?]|\{\d+(?:,\d*)?\})+$").expect("valid regex")
});

pub(crate) fn check(runbook: &Runbook, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    for site in sites.iter().filter(|site| ["max", "min", "sort"].iter().any(|name| site.text.contains(name))) {
        for (filter, ordered) in ordering_filters(site.text, site.kind != TemplateKind::Expression) {
            let OperandForm::Path(path) = &ordered.form else { continue };
            let [root, name] = path.as_slice() else { continue };
            if root != "vars" {
                continue;
            }
            let Some(groups) = digit_groups_kept_as_text(runbook, name) else { continue };
            let text = &ordered.text;
            // `(\d+\.\d+\.\d+)` captures versions: "1.10.2" comes before
            // "1.9.8", and `type: int` would refuse them.
            let versions = groups.iter().any(|group| group.matches(r"\.").count() >= 2);
            let diagnostic = if versions {
                Diagnostic::new(
                    Code::ComparedTypes,
                    site.span,
                    format!(
                        "`{text} | {filter}` orders versions captured as text, where \"1.10.2\" comes before \"1.9.8\""
                    ),
                )
                .with_label(format!("capture `{name}` is a `regex` capture of dotted numbers, which gives strings"))
                .with_help(format!("order them as versions: `{text} | map('version') | {filter}`"))
            } else {
                Diagnostic::new(
                    Code::ComparedTypes,
                    site.span,
                    format!("`{text} | {filter}` orders numbers captured as text, where \"150\" comes before \"95\""),
                )
                .with_label(format!("capture `{name}` is a `regex` capture of digits, which gives strings"))
                .with_help(format!(
                    "give the capture `{name}` a `type: int` (or `float`), or convert first: `{text} | map('int') | \
                     {filter}`"
                ))
            };
            out.push(diagnostic);
        }
    }
}

/// The groups of the captures of `name`, when every one is a `regex`
/// capture whose group matches digits only (and dots) and that keeps them
/// as text (no `type:`, or `type: string`).
fn digit_groups_kept_as_text<'r>(runbook: &'r Runbook, name: &str) -> Option<Vec<&'r str>> {
    fn walk<'a>(check: &'a Check, name: &str, found: &mut Vec<&'a Capture>) {
        found.extend(check.capture.iter().filter(|(key, _)| key.as_str() == name).map(|(_, capture)| &capture.value));
        for member in check.probes.iter().flat_map(|probes| probes.values()) {
            walk(member, name, found);
        }
    }
    let mut found = Vec::new();
    for step in runbook.steps.iter() {
        if let Some(check) = step.probing() {
            walk(check, name, &mut found);
        }
        if let Some(action) = &step.action {
            found.extend(
                action.capture.iter().filter(|(key, _)| key.as_str() == name).map(|(_, capture)| &capture.value),
            );
        }
    }
    let groups = found.iter().map(|capture| {
        let text = capture.kind.as_ref().is_none_or(|kind| kind.value == CaptureType::String);
        let group = capture.regex.as_ref().and_then(|regex| first_group(regex));
        group.filter(|group| text && DIGIT_GROUP.is_match(group))
    });
    let groups: Option<Vec<&str>> = groups.collect();
    groups.filter(|groups| !groups.is_empty())
}

/// The text of the first capturing group of `regex`, when it holds no
/// group of its own.
fn first_group(regex: &str) -> Option<&str> {
    let mut escaped = false;
    let mut in_class = false;
    let mut start = None;
    for (at, char) in regex.char_indices() {
        match (escaped, char) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '[') => in_class = true,
            (false, ']') => in_class = false,
            (false, '(') if !in_class => {
                if start.is_some() {
                    return None;
                }
                if !regex[at + 1..].starts_with('?') {
                    start = Some(at + 1);
                }
            }
            (false, ')') if !in_class => {
                if let Some(start) = start {
                    return Some(&regex[start..at]);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse, load};

    fn reported(capture: &str, when: &str) -> usize {
        let yaml = format!(
            "id: t\ntitle: T\nsteps:\n  - id: a\n    collect:\n      cmd: {{ argv: [echo] }}\n      capture:\n        \
             lags: {{ {capture} }}\n    next:\n      - when: \"{when}\"\n        goto: b\n  - id: b\n    \
             conclude: {{ status: inconclusive, diagnosis: \"{{{{ vars.lags | sort | join(',') }}}}\" }}\n"
        );
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        analyse(&runbook).iter().filter(|d| d.code == Code::ComparedTypes).count()
    }

    #[test]
    fn digits_captured_as_text_are_reported_where_a_filter_orders_them() {
        assert_eq!(reported(r"regex: 'lag (\d+)'", "(vars.lags | max | int) > 100"), 2);
        assert_eq!(reported(r"regex: 'lag ([0-9.]+)', type: string", "vars.lags | min"), 2);
        assert_eq!(reported(r"regex: 'lag (\d+)', type: int", "vars.lags | max > 100"), 0);
        assert_eq!(reported(r"regex: 'pod (\S+)'", "vars.lags | max"), 0);
        assert_eq!(reported(r"regex: 'lag (\d+)'", "vars.lags | map('int') | max > 100"), 1);
        assert_eq!(reported("stdout: true", "vars.lags | max"), 0);
    }

    #[test]
    fn versions_captured_as_text_are_reported_with_the_version_filter() {
        let yaml = "id: t\ntitle: T\nsteps:\n  - id: a\n    collect:\n      cmd: { argv: [echo] }\n      capture:\n        \
                    v: { regex: 'v(\\d+\\.\\d+\\.\\d+)' }\n  - id: b\n    conclude: { status: inconclusive, diagnosis: \
                    \"{{ vars.v | max }}\" }\n";
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        let found = analyse(&runbook);
        let found = found.iter().find(|d| d.code == Code::ComparedTypes).expect("reported");
        assert_eq!(
            found.message,
            r#"`vars.v | max` orders versions captured as text, where "1.10.2" comes before "1.9.8""#
        );
        assert_eq!(found.help.as_deref(), Some("order them as versions: `vars.v | map('version') | max`"));
    }
}
