//! RB312 through calls: a caller reading `steps.CALL.vars.NAME` where the
//! called runbook may have concluded with `NAME` unset (its `regex`, `json`
//! or `header` capture found nothing and a guard routed that case to a
//! conclusion, `inconclusive` say). The read stops the caller's run at the
//! worst moment, as the same read does inside the callee
//! (review-10-attack3 N10).

use crate::analyse::expressions::is_guarded;
use crate::analyse::unmatched_captures::{earlier_entries, entered_set, may_find_nothing, single_captures};
use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Code, Destination, Diagnostic, Edge, Flow, Runbook, Trigger};

/// A var of a called runbook that may be unset when it concludes.
pub(crate) struct UnsetAtEnd {
    var: String,
    /// The callee's step that captures it, and the capture's source.
    step: String,
    source: &'static str,
    /// The statuses of the conclusions the run may reach with it unset.
    statuses: Vec<String>,
}

/// The vars of `callee` that a conclusion may be reached without.
pub(crate) fn unset_at_end(callee: &Runbook, flow: &Flow) -> Vec<UnsetAtEnd> {
    let reachable = flow.reachable();
    let mut found: Vec<UnsetAtEnd> = Vec::new();
    for step in callee.steps.iter() {
        for (var, capture) in single_captures(step) {
            let Some(source) = may_find_nothing(capture) else { continue };
            if found.iter().any(|known| known.var == var) {
                continue;
            }
            let set = entered_set(callee, flow, var);
            let mut statuses: Vec<String> = Vec::new();
            for (index, conclusion) in
                callee.steps.iter().enumerate().filter_map(|(i, s)| Some((i, s.conclude.as_ref()?)))
            {
                let status = conclusion.status.value.name().to_owned();
                if reachable[index] && !set[index] && !statuses.contains(&status) {
                    statuses.push(status);
                }
            }
            if !statuses.is_empty() {
                found.push(UnsetAtEnd { var: var.to_owned(), step: step.id.value.clone(), source, statuses });
            }
        }
    }
    found
}

/// RB312 for each read of `steps.ID.vars.NAME` (the call step at `index`,
/// calling `file`) without a fallback, in a conclusion, a question, a
/// `when` or an action the run may reach after the callee concluded with
/// `NAME` unset. A `when` after an earlier entry of the same chain that
/// reads `steps.ID.conclusion` is not reported: that entry routes the
/// ending first.
pub(crate) fn check(
    runbook: &Runbook,
    flow: &Flow,
    sites: &[TemplateSite<'_>],
    index: usize,
    file: &str,
    unset: &[UnsetAtEnd],
) -> Vec<Diagnostic> {
    let id = runbook.steps[index].id.as_str();
    let exits = flow.edges.get(index).map_or(&[][..], Vec::as_slice);
    let routed: Vec<&str> = exits
        .iter()
        .filter_map(|edge| match &edge.trigger {
            Trigger::Key(key) => Some(key.as_str()),
            Trigger::Unrouted => None,
        })
        .collect();
    let root = format!("steps.{id}.vars");
    let mut out = Vec::new();
    for end in unset {
        let taken: Vec<&Edge> = exits
            .iter()
            .filter(|edge| edge.possible)
            .filter(|edge| match &edge.trigger {
                Trigger::Key(key) => end.statuses.contains(key),
                Trigger::Unrouted => end.statuses.iter().any(|status| !routed.contains(&status.as_str())),
            })
            .filter(|edge| !earlier_entries(exits, edge).any(|other| reads_conclusion(other, id)))
            .collect();
        let mut reached = vec![false; runbook.steps.len()];
        let mut stack: Vec<usize> = taken.iter().filter_map(|edge| destination(edge)).collect();
        while let Some(at) = stack.pop() {
            if reached[at] || at == index {
                continue;
            }
            reached[at] = true;
            stack.extend(flow.edges[at].iter().filter(|edge| edge.possible).filter_map(destination));
        }
        let whens: Vec<crate::Span> =
            taken.iter().filter_map(|edge| edge.when.as_ref().map(|when| when.span)).collect();
        for site in sites {
            let Some(step) = site.step.and_then(|at| runbook.steps.get(at).map(|step| (at, step))) else { continue };
            let decisive = site.kind == TemplateKind::Expression
                || step.1.conclude.is_some()
                || step.1.action.is_some()
                || step.1.ask.is_some();
            let here = reached[step.0] || whens.contains(&site.span);
            let read = format!("{root}.{}", end.var);
            if !decisive || !here || !reads(site.text, &read) || is_guarded(site.text, &root, &end.var) {
                continue;
            }
            out.push(warning(site, id, file, end, &read));
        }
    }
    out
}

fn warning(site: &TemplateSite<'_>, id: &str, file: &str, end: &UnsetAtEnd, read: &str) -> Diagnostic {
    let statuses = end.statuses.iter().map(|status| format!("`{status}`")).collect::<Vec<_>>().join(", ");
    let help = if site.kind == TemplateKind::Expression {
        format!(
            "route the callee's ending first: `on: {{ {}: STEP, … }}` on `{id}`, or a `when: steps.{id}.conclusion.status == \"{}\"` before this one",
            end.statuses[0], end.statuses[0]
        )
    } else {
        format!(
            "write `{{{{ {read} | default(\"unknown\") }}}}`, or route `{}` of `{id}` to a step that does not read it",
            end.statuses[0]
        )
    };
    Diagnostic::new(
        Code::CaptureMayNotMatch,
        site.span,
        format!(
            "`{read}` may be unset here: `{file}` may conclude {statuses} without it (its `{}` capture in `{}` has no `default`)",
            end.source, end.step
        ),
    )
    .with_label(format!("reads `{read}`; the run stops here when the callee left it unset"))
    .with_help(help)
}

/// Whether `text` reads `name` itself or a field of it, not a longer name.
fn reads(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        !text[at + name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

/// Whether an edge's `when` reads the call's conclusion.
fn reads_conclusion(edge: &Edge, id: &str) -> bool {
    edge.when
        .as_ref()
        .is_some_and(|when| when.contains(&format!("steps.{id}.conclusion")) || when.contains("result.conclusion"))
}

const fn destination(edge: &Edge) -> Option<usize> {
    match edge.to {
        Destination::Step(to) => Some(to),
        _ => None,
    }
}
