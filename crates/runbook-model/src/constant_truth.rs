//! Literals whose truth an expression takes. `inputs.env == "prod" or
//! "staging"` reads as `(inputs.env == "prod") or "staging"`, and a
//! non-empty string is true, so the condition always holds;
//! `inputs.env == ("prod" or "staging")` compares with `"prod"` alone.

use minijinja::machinery::{ast, parse, parse_expr};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::ValueKind;

use crate::comparison::{Unwritable, children, statement_expressions, text_of};

/// A literal whose truth never changes, where an expression takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstantTruth {
    /// The literal, written out (`"staging"`).
    pub literal: String,
    /// The expression that takes its truth (`inputs.env == "prod" or "staging"`).
    pub within: String,
    /// `inputs.env in ["prod", "staging"]`, when the expression compares one
    /// value with each literal in turn.
    pub membership: Option<String>,
}

/// The constant truths of a `when` or `stop_if`, whose own truth is taken.
pub fn constant_truths(expression: &str) -> Vec<ConstantTruth> {
    let Ok(parsed) = parse_expr(expression) else { return Vec::new() };
    let mut found = Vec::new();
    whole(&parsed, true, &mut found);
    found
}

/// The constant truths in the blocks of a template: `{% if %}` conditions
/// and the `and`/`or`/`not`/inline `if` inside any block.
pub fn template_constant_truths(template: &str) -> Vec<ConstantTruth> {
    let Ok(parsed) = parse(template, "<template>", SyntaxConfig::default()) else { return Vec::new() };
    let mut expressions = Vec::new();
    statement_expressions(&parsed, &mut expressions);
    let mut found = Vec::new();
    for (expression, truth) in expressions {
        whole(expression, truth, &mut found);
    }
    found
}

/// `expr`'s constant truths; `truth` when its own truth is taken. An
/// expression that cannot be written back is left out.
fn whole(expr: &ast::Expr<'_>, truth: bool, found: &mut Vec<ConstantTruth>) {
    let mut own = Vec::new();
    let walked = if truth && literal(expr) { at(expr, expr, None).map(|one| own.push(one)) } else { Ok(()) };
    if walked.and_then(|()| walk(expr, truth, &mut own)).is_ok() {
        found.extend(own);
    }
}

/// A literal whose truth means nothing: a string, a number, a list or a
/// map written out. `true`, `false` and `none` say what they mean.
fn literal(expr: &ast::Expr<'_>) -> bool {
    match expr {
        ast::Expr::Const(constant) => !matches!(constant.value.kind(), ValueKind::Bool | ValueKind::None),
        ast::Expr::List(_) | ast::Expr::Map(_) | ast::Expr::Tuple(_) => true,
        _ => false,
    }
}

fn at(
    literal: &ast::Expr<'_>,
    within: &ast::Expr<'_>,
    membership: Option<String>,
) -> Result<ConstantTruth, Unwritable> {
    Ok(ConstantTruth { literal: text_of(literal)?, within: text_of(within)?, membership })
}

/// `(a, b)` of `a == b`.
fn equality<'e, 'a>(expr: &'e ast::Expr<'a>) -> Option<(&'e ast::Expr<'a>, &'e ast::Expr<'a>)> {
    match expr {
        ast::Expr::BinOp(binary) if matches!(binary.op, ast::BinOpKind::Eq) => Some((&binary.left, &binary.right)),
        ast::Expr::Compare(compare) => match compare.ops.as_slice() {
            [only] if matches!(only.op, ast::CompareOpKind::Eq) => Some((&compare.expr, &only.expr)),
            _ => None,
        },
        _ => None,
    }
}

/// `subject in [first, second]`.
fn membership(subject: &ast::Expr<'_>, first: &ast::Expr<'_>, second: &ast::Expr<'_>) -> Result<String, Unwritable> {
    Ok(format!("{} in [{}, {}]", text_of(subject)?, text_of(first)?, text_of(second)?))
}

/// The `or` of two literals, as `(first, second)`.
fn literal_or<'e, 'a>(expr: &'e ast::Expr<'a>) -> Option<(&'e ast::Expr<'a>, &'e ast::Expr<'a>)> {
    match expr {
        ast::Expr::BinOp(binary)
            if matches!(binary.op, ast::BinOpKind::ScOr) && literal(&binary.left) && literal(&binary.right) =>
        {
            Some((&binary.left, &binary.right))
        }
        _ => None,
    }
}

fn walk(expr: &ast::Expr<'_>, truth: bool, found: &mut Vec<ConstantTruth>) -> Result<(), Unwritable> {
    match expr {
        ast::Expr::BinOp(binary) if matches!(binary.op, ast::BinOpKind::ScAnd | ast::BinOpKind::ScOr) => {
            // The left operand's truth is always taken; the right one's
            // only where the whole one's is.
            if literal(&binary.left) {
                found.push(at(&binary.left, expr, None)?);
            }
            if truth && literal(&binary.right) {
                let compared = equality(&binary.left).filter(|(_, value)| literal(value));
                let suggested = match compared {
                    Some((subject, value)) if matches!(binary.op, ast::BinOpKind::ScOr) => {
                        Some(membership(subject, value, &binary.right)?)
                    }
                    _ => None,
                };
                found.push(at(&binary.right, expr, suggested)?);
            }
            walk(&binary.left, true, found)?;
            walk(&binary.right, truth, found)
        }
        ast::Expr::UnaryOp(unary) if matches!(unary.op, ast::UnaryOpKind::Not) => {
            if literal(&unary.expr) {
                found.push(at(&unary.expr, expr, None)?);
            }
            walk(&unary.expr, true, found)
        }
        ast::Expr::IfExpr(branch) => {
            if literal(&branch.test_expr) {
                found.push(at(&branch.test_expr, expr, None)?);
            }
            walk(&branch.test_expr, true, found)?;
            walk(&branch.true_expr, truth, found)?;
            branch.false_expr.as_ref().map_or(Ok(()), |otherwise| walk(otherwise, truth, found))
        }
        _ => {
            // `x == ("a" or "b")` compares with "a" alone.
            if let Some((subject, either)) = equality(expr)
                && let Some((first, second)) = literal_or(either)
            {
                found.push(at(first, either, Some(membership(subject, first, second)?))?);
                return walk(subject, false, found);
            }
            children(expr).into_iter().try_for_each(|child| walk(child, false, found))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(expression: &str) -> Vec<(String, String, Option<String>)> {
        constant_truths(expression).into_iter().map(|c| (c.literal, c.within, c.membership)).collect()
    }

    #[test]
    fn a_literal_whose_truth_is_taken_is_found() {
        assert_eq!(
            found(r#"inputs.env == "prod" or "staging""#),
            [(
                r#""staging""#.to_owned(),
                r#"(inputs.env == "prod") or "staging""#.to_owned(),
                Some(r#"inputs.env in ["prod", "staging"]"#.to_owned())
            )]
        );
        assert_eq!(
            found(r#"inputs.env == ("prod" or "staging")"#),
            [(
                r#""prod""#.to_owned(),
                r#""prod" or "staging""#.to_owned(),
                Some(r#"inputs.env in ["prod", "staging"]"#.to_owned())
            )]
        );
        assert_eq!(found("not 'x' and vars.a")[0].0, r#""x""#);
        assert_eq!(found("vars.a and 5").len(), 1);
        assert_eq!(found("'yes'").len(), 1);
        assert_eq!(found("(1 if 'a' else 2) == 1").len(), 1);
    }

    #[test]
    fn literals_taken_as_values_are_fine() {
        for fine in [
            "vars.a == 'b' or vars.c in ['x', 'y']",
            "(vars.name or 'unknown') == 'db'",
            "vars.a and true",
            "vars.x is defined or false",
            "('a' if vars.b else 'c') == 'a'",
            "vars.a ==",
        ] {
            assert_eq!(found(fine), [], "{fine}");
        }
        assert_eq!(template_constant_truths("{{ vars.name or 'unknown' }} {{ 'x' if vars.b else 'y' }}").len(), 0);
        let in_if = template_constant_truths("{% if vars.env == 'prod' or 'qa' %}P{% endif %}{{ 'a' if 'b' }}");
        assert_eq!(in_if.len(), 2, "{in_if:?}");
    }
}
