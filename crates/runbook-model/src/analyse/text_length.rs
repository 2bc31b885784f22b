//! `| length` (or `| count`) of a text capture counts its characters:
//! `vars.pods | length` over `kubectl get pods -o name`'s two lines is 19,
//! not 2, and `> 5` then says "scale down" (review-10-attack4 M6,
//! attack6 H9). A capture known to give text (a `stdout`, `stderr` or
//! `body` capture, or a `regex`, without a `type:` that reads JSON) is
//! reported wherever a template or condition counts it.

use std::sync::LazyLock;

use regex::Regex;

use crate::analyse::TemplateSite;
use crate::analyse::unmatched_captures::single_captures;
use crate::{Capture, CaptureType, Code, Diagnostic, Runbook};

/// `vars.NAME | length` or `| count`.
static COUNTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"vars\.([A-Za-z_][A-Za-z0-9_]*)\s*\|\s*(length|count)\b").expect("valid regex"));

pub(crate) fn check(runbook: &Runbook, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    counted(&COUNTED, "vars", runbook, sites, None, out);
}

/// The same for `steps.ID.vars.NAME | length`, where step `ID` calls
/// `file` (`callee`): its captures say which vars are text
/// (review-10-attack7 H13).
pub(crate) fn check_callee(
    callee: &Runbook,
    id: &str,
    file: &str,
    sites: &[TemplateSite<'_>],
    out: &mut Vec<Diagnostic>,
) {
    let read = format!("steps.{id}.vars");
    let Ok(pattern) =
        Regex::new(&format!(r"{}\.([A-Za-z_][A-Za-z0-9_]*)\s*\|\s*(length|count)\b", regex::escape(&read)))
    else {
        return;
    };
    counted(&pattern, &read, callee, sites, Some(file), out);
}

/// RB325 for each `ROOT.NAME | length` (`pattern`'s two groups) in
/// `sites` where `captured` captures NAME as text; `file` names a called
/// runbook that does.
fn counted(
    pattern: &Regex,
    root: &str,
    captured: &Runbook,
    sites: &[TemplateSite<'_>],
    file: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    for site in sites {
        for found in pattern.captures_iter(site.text) {
            let (Some(var), Some(filter)) = (found.get(1), found.get(2)) else { continue };
            let (var, filter) = (var.as_str(), filter.as_str());
            let Some(source) = captured.steps.iter().find_map(|step| {
                single_captures(step)
                    .into_iter()
                    .find(|(name, _)| *name == var)
                    .and_then(|(_, capture)| text_source(capture))
            }) else {
                continue;
            };
            let whose = file.map_or_else(String::new, |file| format!(" of `{file}`"));
            out.push(
                Diagnostic::new(
                    Code::LengthOfText,
                    site.span,
                    format!(
                        "`{root}.{var} | {filter}` counts the characters of a text, not its lines: `{var}` is a `{source}` capture{whose}"
                    ),
                )
                .with_label("a count of characters")
                .with_help(format!(
                    "count its lines with `{root}.{var} | trim | split('\\n') | length`, or capture a list (`json:` over JSON output)"
                )),
            );
        }
    }
}

/// The source of a capture that always gives text: a whole output or a
/// `regex`, without a `type:` that makes it something else.
fn text_source(capture: &Capture) -> Option<&'static str> {
    if capture.kind.as_ref().is_some_and(|kind| kind.value != CaptureType::String) {
        return None;
    }
    capture
        .sources()
        .first()
        .map(|(source, _)| *source)
        .filter(|source| matches!(*source, "stdout" | "stderr" | "body" | "regex"))
}
