//! `ne` or `not_in` over a `json` path or a `header` that may be missing:
//! a subject that is not there satisfies only `exists: false` and
//! `absent: true`, so `{ json: $.error, ne: fatal }` is false for a job
//! that reported no error at all, and the author's `message:` ("the job
//! reported a fatal error") is shown as if it had (review-10-attack5 M5).
//! Reported unless another entry for the same subject says whether it must
//! be there (`exists`, `absent`, or a predicate that already needs it).

use crate::{Code, Diagnostic, Expectation, Spanned};

pub(crate) fn check(list: &[Spanned<Expectation>], out: &mut Vec<Diagnostic>) {
    for expectation in list {
        let Some((subject, written)) = subject(expectation) else { continue };
        let Some((predicate, span)) = negation(expectation) else { continue };
        let settled = list.iter().any(|other| {
            subject_matches(other, subject, written)
                && other.predicates().iter().any(|(name, _)| !matches!(*name, "ne" | "not_in"))
        });
        if settled {
            continue;
        }
        let entry = if subject == "json" { format!("json: {written}") } else { format!("header: {written}") };
        let thing = if subject == "json" { "field" } else { "header" };
        out.push(
            Diagnostic::new(
                Code::NegationOfMissing,
                span,
                format!(
                    "`{predicate}` over `{entry}` is false when the {thing} is missing, as if it held a value it excludes"
                ),
            )
            .with_label(format!("fails when the {thing} is not there at all"))
            .with_help(format!(
                "say what a missing {thing} means: if it must be there, add `- {{ {entry}, exists: true }}` so a miss reads as \
                 that; if missing is fine, capture it with a default and decide in a `when` (`capture: {{ v: {{ {entry}, \
                 default: \"\" }} }}`, then `vars.v {op} …`)",
                op = if predicate == "ne" { "!=" } else { "not in" },
            )),
        );
    }
}

/// The subject kind (`json` or `header`) and the path or name as written.
fn subject(expectation: &Expectation) -> Option<(&'static str, &str)> {
    if let Some(path) = &expectation.json {
        return Some(("json", path.value.as_str()));
    }
    expectation.header.as_ref().map(|name| ("header", name.value.as_str()))
}

fn subject_matches(expectation: &Expectation, kind: &str, written: &str) -> bool {
    subject(expectation).is_some_and(|(other_kind, other)| {
        other_kind == kind && if kind == "header" { other.eq_ignore_ascii_case(written) } else { other == written }
    })
}

/// The `ne` or `not_in` written at the top of the entry (inside `all` or
/// `any` a missing path is an empty list, judged as such).
fn negation(expectation: &Expectation) -> Option<(&'static str, crate::Span)> {
    expectation.predicates().into_iter().find(|(name, _)| matches!(*name, "ne" | "not_in"))
}
