//! The comparisons inside a bare expression (`when`, `stop_if`).
//!
//! minijinja orders values of different kinds by kind, so `"20" > 90` is
//! silently true and `"200" == 200` silently false. minijinja has no hook
//! on its operators, so the expression is read with its parser: `check`
//! looks at each comparison's operands ([`comparisons`]) and the engine
//! evaluates a copy of the expression in which every comparison (`in` and
//! `not in` too) goes through a function that refuses operands of different
//! types and an unset operand, and the subject of every test but `defined`
//! and `undefined` through one that refuses an unset value
//! ([`guard_comparisons`]): `vars.pct is none` on a capture that matched
//! nothing is a stop naming it, not a silent false. The left operand of
//! `+` and `*` goes through one that refuses text, which those operators
//! would join or repeat (`"3" + "4"` is `"34"`).

use minijinja::machinery::{Span, Token, ast, parse, parse_expr, tokenize};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Value, ValueKind};

/// An operator whose operands must be of comparable types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`: membership in a list, a key of a map, a substring of a string.
    In,
    /// `not in`
    NotIn,
}

impl Comparator {
    /// Every comparator.
    pub const ALL: [Self; 8] = [Self::Eq, Self::Ne, Self::Lt, Self::Le, Self::Gt, Self::Ge, Self::In, Self::NotIn];

    /// The operator as written.
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::In => "in",
            Self::NotIn => "not in",
        }
    }

    /// The comparator written `symbol`.
    pub fn from_symbol(symbol: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|comparator| comparator.symbol() == symbol)
    }

    const fn of_compare(kind: ast::CompareOpKind) -> Self {
        match kind {
            ast::CompareOpKind::Eq => Self::Eq,
            ast::CompareOpKind::Ne => Self::Ne,
            ast::CompareOpKind::Lt => Self::Lt,
            ast::CompareOpKind::Lte => Self::Le,
            ast::CompareOpKind::Gt => Self::Gt,
            ast::CompareOpKind::Gte => Self::Ge,
            ast::CompareOpKind::In => Self::In,
            ast::CompareOpKind::NotIn => Self::NotIn,
        }
    }

    /// The comparator a Jinja test makes between its subject and its one
    /// argument (`x is gt 90` is `x > 90`, `x is sameas none` is `x ==
    /// none`); `None` for a test that does not compare.
    pub fn of_test(name: &str) -> Option<Self> {
        COMPARISON_TESTS.iter().find(|(test, _)| *test == name).map(|(_, comparator)| *comparator)
    }

    const fn of_binary(kind: ast::BinOpKind) -> Option<Self> {
        match kind {
            ast::BinOpKind::Eq => Some(Self::Eq),
            ast::BinOpKind::Ne => Some(Self::Ne),
            ast::BinOpKind::Lt => Some(Self::Lt),
            ast::BinOpKind::Lte => Some(Self::Le),
            ast::BinOpKind::Gt => Some(Self::Gt),
            ast::BinOpKind::Gte => Some(Self::Ge),
            ast::BinOpKind::In => Some(Self::In),
            _ => None,
        }
    }
}

/// Every Jinja test that compares its subject with its argument, and the
/// operator it amounts to: each is guarded as that operator is.
pub const COMPARISON_TESTS: [(&str, Comparator); 17] = [
    ("eq", Comparator::Eq),
    ("equalto", Comparator::Eq),
    ("==", Comparator::Eq),
    ("sameas", Comparator::Eq),
    ("ne", Comparator::Ne),
    ("!=", Comparator::Ne),
    ("lt", Comparator::Lt),
    ("lessthan", Comparator::Lt),
    ("<", Comparator::Lt),
    ("le", Comparator::Le),
    ("<=", Comparator::Le),
    ("gt", Comparator::Gt),
    ("greaterthan", Comparator::Gt),
    (">", Comparator::Gt),
    ("ge", Comparator::Ge),
    (">=", Comparator::Ge),
    ("in", Comparator::In),
];

/// What an operand is, as far as can be told without evaluating it.
#[derive(Debug, Clone, PartialEq)]
pub enum OperandForm {
    /// A dotted name: `vars.pct`, `steps['db-up'].status` (as
    /// `["steps", "db-up", "status"]`).
    Path(Vec<String>),
    /// A literal of this kind.
    Literal(ValueKind),
    /// A list literal whose items are all literals of this kind (`[20, 30]`).
    Items(ValueKind),
    /// A value passed through this filter last (`vars.pct | int`).
    Filtered(String),
    /// Anything else: arithmetic, calls, conditionals.
    Other,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Operand {
    /// The operand written out (`vars.pct`, `vars.pct | int`).
    pub text: String,
    /// What it is.
    pub form: OperandForm,
}

/// A comparison between two operands, chained ones (`a < b < c`) giving
/// one per operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The operator.
    pub comparator: Comparator,
    /// The left operand.
    pub left: Operand,
    /// The right operand.
    pub right: Operand,
}

/// Every comparison in `expression`, in order; none when it does not parse
/// (RB301 reports that) or holds something that cannot be written back.
pub fn comparisons(expression: &str) -> Vec<Comparison> {
    let Ok(parsed) = parse_expr(expression) else { return Vec::new() };
    let mut found = Vec::new();
    if collect(&parsed, &mut found).is_err() {
        return Vec::new();
    }
    found
}

/// Every comparison in the blocks of a template (`{% if a > b %}`,
/// `{{ x if a > b }}`); none when it does not parse. An expression that
/// cannot be written back is left out.
pub fn template_comparisons(template: &str) -> Vec<Comparison> {
    let Ok(parsed) = parse(template, "<template>", SyntaxConfig::default()) else { return Vec::new() };
    let mut expressions = Vec::new();
    statement_expressions(&parsed, &mut expressions);
    let mut found = Vec::new();
    for (expression, _) in expressions {
        let mut own = Vec::new();
        if collect(expression, &mut own).is_ok() {
            found.extend(own);
        }
    }
    found
}

/// The one expression of a template that is a single `{{ … }}` and
/// nothing else (`"{{ vars.port }}"`), as an operand; `None` otherwise.
pub(crate) fn whole_template(template: &str) -> Option<Operand> {
    let inner = template.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") {
        return None;
    }
    operand(&parse_expr(inner).ok()?).ok()
}

/// Every dotted name an expression (or, with `template`, the blocks of a
/// template) reads, longest first in each chain, bracketed keys included:
/// `steps['db-up'].outcome` is `["steps", "db-up", "outcome"]`. None when
/// it does not parse.
pub(crate) fn read_paths(text: &str, template: bool) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    each_expression(text, template, |expression| collect_paths(expression, &mut found));
    found
}

/// Calls `visit` with the expression `text` is (or, with `template`, each
/// expression of its blocks); nothing when it does not parse.
fn each_expression(text: &str, template: bool, mut visit: impl FnMut(&ast::Expr<'_>)) {
    if template {
        let Ok(parsed) = parse(text, "<template>", SyntaxConfig::default()) else { return };
        let mut expressions = Vec::new();
        statement_expressions(&parsed, &mut expressions);
        for (expression, _) in expressions {
            visit(expression);
        }
    } else if let Ok(parsed) = parse_expr(text) {
        visit(&parsed);
    }
}

/// The names of the tests an expression (or, with `template`, the blocks
/// of a template) applies (`defined` in `x is defined`), in order; none
/// when it does not parse.
pub(crate) fn applied_tests(text: &str, template: bool) -> Vec<String> {
    fn walk(expr: &ast::Expr<'_>, found: &mut Vec<String>) {
        if let ast::Expr::Test(test) = expr {
            found.push(test.name.to_owned());
        }
        for child in children(expr) {
            walk(child, found);
        }
    }
    let mut found = Vec::new();
    each_expression(text, template, |expression| walk(expression, &mut found));
    found
}

/// The filters that order their input (`max`, `min`, `sort`) in an
/// expression (or, with `template`, the blocks of a template), each with
/// the operand it orders: `vars.lags | max` gives `("max", vars.lags)`.
pub(crate) fn ordering_filters(text: &str, template: bool) -> Vec<(&'static str, Operand)> {
    fn walk(expr: &ast::Expr<'_>, found: &mut Vec<(&'static str, Operand)>) {
        if let ast::Expr::Filter(filter) = expr
            && let Some(name) = ["max", "min", "sort"].into_iter().find(|name| *name == filter.name)
            && let Some(ordered) = &filter.expr
        {
            found.extend(operand(ordered).ok().map(|operand| (name, operand)));
        }
        for child in children(expr) {
            walk(child, found);
        }
    }
    let mut found = Vec::new();
    each_expression(text, template, |expression| walk(expression, &mut found));
    found
}

/// The operands of every `+` and `*` in an expression (or, with
/// `template`, the blocks of a template), with the operator:
/// `vars.a + vars.b` gives `("+", vars.a, vars.b)`.
pub(crate) fn arithmetic_operands(text: &str, template: bool) -> Vec<(&'static str, Operand, Operand)> {
    fn walk(expr: &ast::Expr<'_>, found: &mut Vec<(&'static str, Operand, Operand)>) {
        if let ast::Expr::BinOp(binary) = expr
            && let Some(symbol) = match binary.op {
                ast::BinOpKind::Add => Some("+"),
                ast::BinOpKind::Mul => Some("*"),
                _ => None,
            }
            && let (Ok(left), Ok(right)) = (operand(&binary.left), operand(&binary.right))
        {
            found.push((symbol, left, right));
        }
        for child in children(expr) {
            walk(child, found);
        }
    }
    let mut found = Vec::new();
    each_expression(text, template, |expression| walk(expression, &mut found));
    found
}

/// What an expression (or, with `template`, the blocks of a template)
/// asks to be none, as written: the subject of `x is none` (or `is not
/// none`) and the side of `x == none` (or `!=`) that is not the literal.
pub(crate) fn none_subjects(text: &str, template: bool) -> Vec<Operand> {
    fn is_none(expr: &ast::Expr<'_>) -> bool {
        matches!(expr, ast::Expr::Const(constant) if constant.value.is_none())
    }
    fn equal_to_none(equality: bool, left: &ast::Expr<'_>, right: &ast::Expr<'_>, found: &mut Vec<Operand>) {
        if equality && is_none(right) {
            found.extend(operand(left).ok());
        } else if equality && is_none(left) {
            found.extend(operand(right).ok());
        }
    }
    fn walk(expr: &ast::Expr<'_>, found: &mut Vec<Operand>) {
        match expr {
            ast::Expr::Test(test) if test.name == "none" => found.extend(operand(&test.expr).ok()),
            ast::Expr::Compare(compare) if compare.ops.len() == 1 => {
                let equality = matches!(Comparator::of_compare(compare.ops[0].op), Comparator::Eq | Comparator::Ne);
                equal_to_none(equality, &compare.expr, &compare.ops[0].expr, found);
            }
            ast::Expr::BinOp(binary) => {
                let equality = matches!(Comparator::of_binary(binary.op), Some(Comparator::Eq | Comparator::Ne));
                equal_to_none(equality, &binary.left, &binary.right, found);
            }
            _ => {}
        }
        for child in children(expr) {
            walk(child, found);
        }
    }
    let mut found = Vec::new();
    each_expression(text, template, |expression| walk(expression, &mut found));
    found
}

/// The dotted names whose truth an expression takes: the whole expression,
/// an operand of `not`, `and` or `or`, an inline `if`'s condition
/// (`vars.maintenance`, `not vars.up and vars.ready`). None when it does
/// not parse.
pub(crate) fn truth_paths(expression: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    if let Ok(parsed) = parse_expr(expression) {
        truth_of(&parsed, &mut found);
        nested_truths(&parsed, &mut found);
    }
    found.sort();
    found.dedup();
    found
}

/// `expr`'s own path, or those inside it when it combines truths.
fn truth_of(expr: &ast::Expr<'_>, found: &mut Vec<Vec<String>>) {
    match expr {
        ast::Expr::UnaryOp(unary) if matches!(unary.op, ast::UnaryOpKind::Not) => truth_of(&unary.expr, found),
        ast::Expr::BinOp(binary) if matches!(binary.op, ast::BinOpKind::ScAnd | ast::BinOpKind::ScOr) => {
            truth_of(&binary.left, found);
            truth_of(&binary.right, found);
        }
        _ => found.extend(path(expr)),
    }
}

/// The truths taken inside `expr`: inline `if` conditions and the
/// operands of `not`, `and`, `or`, wherever they are nested.
fn nested_truths(expr: &ast::Expr<'_>, found: &mut Vec<Vec<String>>) {
    match expr {
        ast::Expr::IfExpr(branch) => truth_of(&branch.test_expr, found),
        ast::Expr::UnaryOp(unary) if matches!(unary.op, ast::UnaryOpKind::Not) => truth_of(&unary.expr, found),
        ast::Expr::BinOp(binary) if matches!(binary.op, ast::BinOpKind::ScAnd | ast::BinOpKind::ScOr) => {
            truth_of(expr, found);
        }
        _ => {}
    }
    for child in children(expr) {
        nested_truths(child, found);
    }
}

fn collect_paths(expr: &ast::Expr<'_>, found: &mut Vec<Vec<String>>) {
    if let Some(parts) = path(expr).filter(|parts| parts.len() > 1) {
        found.push(parts);
        return;
    }
    for child in children(expr) {
        collect_paths(child, found);
    }
}

/// Every expression in the blocks of `statement`, each with whether the
/// block takes its truth (an `if`/`elif` condition, a loop's `if`).
pub(crate) fn statement_expressions<'s, 'a>(statement: &'s ast::Stmt<'a>, out: &mut Vec<(&'s ast::Expr<'a>, bool)>) {
    let body = |statements: &'s [ast::Stmt<'a>], out: &mut Vec<(&'s ast::Expr<'a>, bool)>| {
        for statement in statements {
            statement_expressions(statement, out);
        }
    };
    match statement {
        ast::Stmt::Template(template) => body(&template.children, out),
        ast::Stmt::EmitExpr(emit) => out.push((&emit.expr, false)),
        ast::Stmt::IfCond(branch) => {
            out.push((&branch.expr, true));
            body(&branch.true_body, out);
            body(&branch.false_body, out);
        }
        ast::Stmt::ForLoop(loop_) => {
            out.push((&loop_.iter, false));
            out.extend(loop_.filter_expr.iter().map(|filter| (filter, true)));
            body(&loop_.body, out);
            body(&loop_.else_body, out);
        }
        ast::Stmt::WithBlock(with) => {
            out.extend(with.assignments.iter().map(|(_, value)| (value, false)));
            body(&with.body, out);
        }
        ast::Stmt::Set(set) => out.push((&set.expr, false)),
        ast::Stmt::SetBlock(set) => body(&set.body, out),
        ast::Stmt::AutoEscape(block) => body(&block.body, out),
        ast::Stmt::FilterBlock(block) => body(&block.body, out),
        _ => {}
    }
}

/// The functions a guarded expression calls (the engine defines them).
#[derive(Debug, Clone, Copy)]
pub struct Guards<'g> {
    /// Called as `compare(a, "OP", b, "a", "b")` for every `a OP b`.
    pub compare: &'g str,
    /// Called as `require(x, "x")` for the subject of `x is TEST` (but
    /// `defined` and `undefined`): gives `x` back, or refuses it unset.
    pub require: &'g str,
    /// Called as `truth(x, "x")` wherever a value's truth is taken (`not
    /// x`, `x and y`, `a if x else b`): gives `x` back, or refuses a string
    /// that reads as false; as `truth(x, "x", true)` where the truth is a
    /// condition's ([`guard_when`]), refusing text that came with an answer.
    pub truth: &'g str,
    /// Called as `truths(xs, "xs")` for the items of `xs | select` and
    /// `xs | reject` without a test, whose truths those filters take:
    /// gives `xs` back, or refuses an item as `truth` does.
    pub truths: &'g str,
    /// Called as `arithmetic(a, "+", b, "a", "b")` for every `a + b` and
    /// `a * b`, which is then written `(arithmetic(…) + b)`: gives `a`
    /// back, or refuses a string operand, which `+` would join ("3" + "4"
    /// is "34") and `*` repeat ("3" * 2 is "33").
    pub arithmetic: &'g str,
    /// Called as `text(x, "x", "| lower")` for the value of a filter that
    /// prints it as text (`lower`, `join`, `map("lower")`, …) and for each
    /// operand of `~`: gives `x` back, or refuses none (or a list holding
    /// none), which the filter would turn into the text "none" that no
    /// none test sees.
    pub text: &'g str,
    /// Called as `present(a.b, "c", "d")` for a name read through two
    /// links or more (`a.b.c.d`) that `| default(…)` is given or `is
    /// defined`/`is undefined` tests, which is then written `(a.b.c.d if
    /// present(…))`: whether each link is set. Strict minijinja refuses to
    /// read a name of an unset value (`steps.p.error` of a step that
    /// passed) even there, so the fallback and the test would not cover
    /// the whole name as written.
    pub present: &'g str,
}

/// Filters that print their value as text: over none they give "none" (or
/// "None"), text that `is none` and the none guards no longer see.
const TEXT_FILTERS: [&str; 8] = ["lower", "upper", "title", "capitalize", "trim", "replace", "string", "join"];

/// The text filter `filter` applies to each item, as written after `|`
/// (`| lower`, `| map("lower")`), when it is one.
fn text_filter(filter: &ast::Filter<'_>) -> Option<String> {
    if TEXT_FILTERS.contains(&filter.name) {
        return Some(format!("| {}", filter.name));
    }
    let [ast::CallArg::Pos(ast::Expr::Const(name)), ..] = filter.args.as_slice() else { return None };
    let name = name.value.as_str().filter(|name| filter.name == "map" && TEXT_FILTERS.contains(name))?;
    Some(format!("| map(\"{name}\")"))
}

/// Tests that ask whether a value is set, and so take an unset one.
const PRESENCE_TESTS: [&str; 2] = ["defined", "undefined"];

/// `expression` with every `a OP b` written as
/// `compare(a, "OP", b, "a", "b")`, so that a function can refuse
/// operands of different types before comparing them, every `x is
/// TEST` as `require(x, "x") is TEST`, every operand of `not`, `and`,
/// `or` and an inline `if`'s condition as `truth(x, "x")`, and every
/// `a + b` (`a * b`) as `(arithmetic(a, "+", b, "a", "b") + b)`. `None` when the expression has
/// nothing to guard, does not parse or holds something that cannot be
/// written back: the expression is then evaluated as written.
pub fn guard_comparisons(expression: &str, guards: &Guards<'_>) -> Option<String> {
    let parsed = parse_expr(expression).ok()?;
    let mut writer = Writer { out: String::with_capacity(expression.len() * 2), guards: Some(*guards), guarded: 0 };
    writer.expr(&parsed).ok()?;
    (writer.guarded > 0).then_some(writer.out)
}

/// `expression`, a `when` or a `stop_if`, guarded as [`guard_comparisons`]
/// guards it, and each truth it takes as a condition (the whole
/// expression, and the operands of its `not`, `and` and `or` that make
/// it) called as `truth(x, "x", true)`: text that came with an answer is
/// no condition there, as it is none as the whole `when` (fx10b's H15
/// gap: `vars.enabled and vars.ready` read the text "true" of a capture
/// as true, and "disabled" as much). An `and`/`or` whose value is used
/// (`(vars.error or "") != ""`) keeps reading truths as `truth(x, "x")`.
/// `None` when the expression does not parse or cannot be written back.
pub fn guard_when(expression: &str, guards: &Guards<'_>) -> Option<String> {
    let parsed = parse_expr(expression).ok()?;
    let mut writer = Writer { out: String::with_capacity(expression.len() * 2), guards: Some(*guards), guarded: 0 };
    // The whole expression's truth the engine takes itself.
    let combined = match &parsed {
        ast::Expr::UnaryOp(unary) => matches!(unary.op, ast::UnaryOpKind::Not),
        ast::Expr::BinOp(binary) => matches!(binary.op, ast::BinOpKind::ScAnd | ast::BinOpKind::ScOr),
        _ => false,
    };
    if combined { writer.condition(&parsed) } else { writer.expr(&parsed) }.ok()?;
    (writer.guarded > 0).then_some(writer.out)
}

/// `expression`, whose truth a block takes (`{% if … %}`), guarded as
/// [`guard_comparisons`] guards it and its whole value through the truth
/// guard as well: `{% if vars.maintenance %}` with the text "false" is a
/// stop, not the true branch. `None` when there is nothing to guard or it
/// cannot be written back.
pub fn guard_condition(expression: &str, guards: &Guards<'_>) -> Option<String> {
    let parsed = parse_expr(expression).ok()?;
    let mut writer = Writer { out: String::with_capacity(expression.len() * 2), guards: Some(*guards), guarded: 0 };
    writer.truth(&parsed).ok()?;
    (writer.guarded > 0).then_some(writer.out)
}

/// `template` with the expression of every `{% if %}`/`{% elif %}` block
/// rewritten by [`guard_condition`] and of every `{{ … }}` by
/// [`guard_comparisons`] (its inline `if`s included), everything else
/// kept byte for byte: the text a conclusion, a question or a confirm
/// shows goes through the guards `when` goes through. `None` when nothing
/// is guarded or the template does not lex (RB301 reports that).
pub fn guard_template(template: &str, guards: &Guards<'_>) -> Option<String> {
    if !template.contains("{{") && !template.contains("{%") {
        return None;
    }
    let tokens: Vec<(Token<'_>, Span)> =
        tokenize(template, false, SyntaxConfig::default()).collect::<Result<_, _>>().ok()?;
    let mut out = String::with_capacity(template.len() * 2);
    let mut copied = 0;
    let mut at = 0;
    while at < tokens.len() {
        let opens_block = matches!(tokens[at].0, Token::BlockStart);
        if !opens_block && !matches!(tokens[at].0, Token::VariableStart) {
            at += 1;
            continue;
        }
        at += 1;
        let first = at;
        while at < tokens.len() && !matches!(tokens[at].0, Token::BlockEnd | Token::VariableEnd) {
            at += 1;
        }
        let inside = &tokens[first..at];
        let parts = if opens_block { block_expressions(inside) } else { vec![(inside, false)] };
        for (part, condition) in parts {
            let (Some((_, start)), Some((_, end))) = (part.first(), part.last()) else { continue };
            let (from, to) = (start.start_offset as usize, end.end_offset as usize);
            let Some(expression) = template.get(from..to) else { continue };
            let guarded =
                if condition { guard_condition(expression, guards) } else { guard_comparisons(expression, guards) };
            if let Some(guarded) = guarded {
                out.push_str(&template[copied..from]);
                out.push_str(&guarded);
                copied = to;
            }
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&template[copied..]);
    Some(out)
}

/// The expressions of a block's tokens (what is between `{%` and `%}`),
/// each with whether the block takes its truth: the condition of `if` and
/// `elif`; the list of `for` and its `if` filter; the value of `set x =`;
/// each value of `with a = …, b = …`.
fn block_expressions<'t, 'a>(tokens: &'t [(Token<'a>, Span)]) -> Vec<(&'t [(Token<'a>, Span)], bool)> {
    let Some((Token::Ident(keyword), _)) = tokens.first() else { return Vec::new() };
    let rest = &tokens[1..];
    match *keyword {
        "if" | "elif" => vec![(rest, true)],
        "for" => {
            let Some(start) = top_level(rest, |token| matches!(token, Token::Ident("in"))) else { return Vec::new() };
            let list = &rest[start + 1..];
            let end = top_level(list, |token| matches!(token, Token::Ident("recursive"))).unwrap_or(list.len());
            let list = &list[..end];
            match top_level(list, |token| matches!(token, Token::Ident("if"))) {
                Some(filter) => vec![(&list[..filter], false), (&list[filter + 1..], true)],
                None => vec![(list, false)],
            }
        }
        "set" => top_level(rest, |token| matches!(token, Token::Assign))
            .map(|assign| vec![(&rest[assign + 1..], false)])
            .unwrap_or_default(),
        "with" => {
            let mut values = Vec::new();
            let mut assignment = rest;
            loop {
                let end = top_level(assignment, |token| matches!(token, Token::Comma)).unwrap_or(assignment.len());
                if let Some(assign) = top_level(&assignment[..end], |token| matches!(token, Token::Assign)) {
                    values.push((&assignment[assign + 1..end], false));
                }
                if end >= assignment.len() {
                    return values;
                }
                assignment = &assignment[end + 1..];
            }
        }
        _ => Vec::new(),
    }
}

/// Where the first token that `wanted` accepts is, outside brackets.
fn top_level(tokens: &[(Token<'_>, Span)], wanted: impl Fn(&Token<'_>) -> bool) -> Option<usize> {
    let mut depth = 0_usize;
    for (index, (token, _)) in tokens.iter().enumerate() {
        match token {
            Token::ParenOpen | Token::BracketOpen | Token::BraceOpen => depth += 1,
            Token::ParenClose | Token::BracketClose | Token::BraceClose => depth = depth.saturating_sub(1),
            token if depth == 0 && wanted(token) => return Some(index),
            _ => {}
        }
    }
    None
}

/// A node the writer cannot write back as source.
#[derive(Debug)]
pub(crate) struct Unwritable;

fn collect(expr: &ast::Expr<'_>, found: &mut Vec<Comparison>) -> Result<(), Unwritable> {
    let mut pair = |comparator: Option<Comparator>, left: &ast::Expr<'_>, right: &ast::Expr<'_>| {
        if let Some(comparator) = comparator {
            found.push(Comparison { comparator, left: operand(left)?, right: operand(right)? });
        }
        Ok(())
    };
    match expr {
        ast::Expr::BinOp(binary) => pair(Comparator::of_binary(binary.op), &binary.left, &binary.right)?,
        ast::Expr::Compare(compare) => {
            let mut left = &compare.expr;
            for op in &compare.ops {
                pair(Some(Comparator::of_compare(op.op)), left, &op.expr)?;
                left = &op.expr;
            }
        }
        // `x is equalto "failed"` compares like `x == "failed"`, `x is gt
        // 90` like `x > 90`.
        ast::Expr::Test(test) => {
            if let [ast::CallArg::Pos(value)] = test.args.as_slice() {
                pair(Comparator::of_test(test.name), &test.expr, value)?;
            }
        }
        _ => {}
    }
    if let Some(comparison) = selected_attribute(expr)? {
        found.push(comparison);
    }
    for child in children(expr) {
        collect(child, found)?;
    }
    Ok(())
}

/// `steps.each.items | selectattr("outcome", "equalto", "failed")` as the
/// comparison it makes of each item: `steps.each.items.outcome == "failed"`
/// (`"gt"` gives `>`, and so on).
fn selected_attribute(expr: &ast::Expr<'_>) -> Result<Option<Comparison>, Unwritable> {
    let ast::Expr::Filter(filter) = expr else { return Ok(None) };
    let (Some(items), true) = (&filter.expr, matches!(filter.name, "selectattr" | "rejectattr")) else {
        return Ok(None);
    };
    let [
        ast::CallArg::Pos(ast::Expr::Const(attribute)),
        ast::CallArg::Pos(ast::Expr::Const(test)),
        ast::CallArg::Pos(value),
    ] = filter.args.as_slice()
    else {
        return Ok(None);
    };
    let (Some(attribute), Some(test)) = (attribute.value.as_str(), test.value.as_str()) else { return Ok(None) };
    let Some(comparator) = Comparator::of_test(test) else { return Ok(None) };
    let Some(mut parts) = path(items) else { return Ok(None) };
    parts.push(attribute.to_owned());
    let left = Operand { text: format!("{}.{attribute}", text_of(items)?), form: OperandForm::Path(parts) };
    Ok(Some(Comparison { comparator, left, right: operand(value)? }))
}

fn operand(expr: &ast::Expr<'_>) -> Result<Operand, Unwritable> {
    let form = match expr {
        ast::Expr::Const(constant) if constant.value.kind() == ValueKind::Seq => constant
            .value
            .try_iter()
            .ok()
            .and_then(|items| same_kind(items.map(|item| Some(item.kind()))))
            .map_or(OperandForm::Other, OperandForm::Items),
        ast::Expr::Const(constant) => OperandForm::Literal(constant.value.kind()),
        ast::Expr::List(list) => same_kind(list.items.iter().map(|item| match item {
            ast::Expr::Const(constant) => Some(constant.value.kind()),
            _ => None,
        }))
        .map_or(OperandForm::Other, OperandForm::Items),
        ast::Expr::Filter(filter) => OperandForm::Filtered(filter.name.to_owned()),
        _ => path(expr).map_or(OperandForm::Other, OperandForm::Path),
    };
    Ok(Operand { text: text_of(expr)?, form })
}

/// The kind every one of `kinds` has; `None` when there are none, they
/// differ, or one is not known.
fn same_kind(mut kinds: impl Iterator<Item = Option<ValueKind>>) -> Option<ValueKind> {
    let first = kinds.next()??;
    kinds.all(|kind| kind == Some(first)).then_some(first)
}

/// `a.b['c']` as `["a", "b", "c"]`.
fn path(expr: &ast::Expr<'_>) -> Option<Vec<String>> {
    match expr {
        ast::Expr::Var(var) => Some(vec![var.id.to_owned()]),
        ast::Expr::GetAttr(attr) => {
            let mut parts = path(&attr.expr)?;
            parts.push(attr.name.to_owned());
            Some(parts)
        }
        ast::Expr::GetItem(item) => {
            let ast::Expr::Const(key) = &item.subscript_expr else { return None };
            let mut parts = path(&item.expr)?;
            parts.push(key.value.as_str().map_or_else(|| key.value.to_string(), str::to_owned));
            Some(parts)
        }
        _ => None,
    }
}

/// The lookups of a name read from a variable (`a.b['c'].d`: `a.b['c'].d`,
/// `a.b['c']`, `a.b`), the outermost first; none when `expr` is not such a
/// name.
fn links<'e, 'a>(expr: &'e ast::Expr<'a>) -> Vec<&'e ast::Expr<'a>> {
    let mut links = Vec::new();
    let mut link = expr;
    loop {
        match link {
            ast::Expr::GetAttr(attr) => {
                links.push(link);
                link = &attr.expr;
            }
            ast::Expr::GetItem(item) => {
                links.push(link);
                link = &item.expr;
            }
            ast::Expr::Var(_) => return links,
            _ => return Vec::new(),
        }
    }
}

/// The source of `expr`, without guards and without outer parentheses.
pub(crate) fn text_of(expr: &ast::Expr<'_>) -> Result<String, Unwritable> {
    let mut writer = Writer { out: String::new(), guards: None, guarded: 0 };
    writer.expr(expr)?;
    let text = writer.out;
    Ok(match text.strip_prefix('(').and_then(|inner| inner.strip_suffix(')')) {
        Some(inner) if balanced(inner) => inner.to_owned(),
        _ => text,
    })
}

/// Whether no `)` in `text` closes a parenthesis opened before it.
fn balanced(text: &str) -> bool {
    let mut depth = 0_i32;
    let mut quote = None;
    let mut escaped = false;
    for c in text.chars() {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

pub(crate) fn children<'e, 'a>(expr: &'e ast::Expr<'a>) -> Vec<&'e ast::Expr<'a>> {
    let args = |args: &'e [ast::CallArg<'a>]| -> Vec<&'e ast::Expr<'a>> {
        args.iter()
            .map(|arg| match arg {
                ast::CallArg::Pos(e)
                | ast::CallArg::Kwarg(_, e)
                | ast::CallArg::PosSplat(e)
                | ast::CallArg::KwargSplat(e) => e,
            })
            .collect()
    };
    match expr {
        ast::Expr::Var(_) | ast::Expr::Const(_) => Vec::new(),
        ast::Expr::Slice(slice) => {
            let mut all = vec![&slice.expr];
            all.extend([&slice.start, &slice.stop, &slice.step].into_iter().flatten());
            all
        }
        ast::Expr::UnaryOp(unary) => vec![&unary.expr],
        ast::Expr::BinOp(binary) => vec![&binary.left, &binary.right],
        ast::Expr::Compare(compare) => {
            std::iter::once(&compare.expr).chain(compare.ops.iter().map(|op| &op.expr)).collect()
        }
        ast::Expr::IfExpr(branch) => {
            let mut all = vec![&branch.test_expr, &branch.true_expr];
            all.extend(&branch.false_expr);
            all
        }
        ast::Expr::Filter(filter) => filter.expr.iter().chain(args(&filter.args)).collect(),
        ast::Expr::Test(test) => std::iter::once(&test.expr).chain(args(&test.args)).collect(),
        ast::Expr::GetAttr(attr) => vec![&attr.expr],
        ast::Expr::GetItem(item) => vec![&item.expr, &item.subscript_expr],
        ast::Expr::Call(call) => std::iter::once(&call.expr).chain(args(&call.args)).collect(),
        ast::Expr::List(list) => list.items.iter().collect(),
        ast::Expr::Tuple(tuple) => tuple.items.iter().collect(),
        ast::Expr::Map(map) => map.keys.iter().chain(&map.values).collect(),
    }
}

/// Writes an expression back as source, every compound node in
/// parentheses so that precedence never depends on the writer.
struct Writer<'g> {
    out: String,
    /// The functions comparisons and tests go through, if any.
    guards: Option<Guards<'g>>,
    /// How many comparisons and tests went through them.
    guarded: usize,
}

impl Writer<'_> {
    fn expr(&mut self, expr: &ast::Expr<'_>) -> Result<(), Unwritable> {
        match expr {
            ast::Expr::Var(var) => self.out.push_str(var.id),
            ast::Expr::Const(constant) => self.constant(&constant.value)?,
            ast::Expr::Slice(slice) => {
                self.expr(&slice.expr)?;
                self.out.push('[');
                for (i, part) in [&slice.start, &slice.stop, &slice.step].into_iter().enumerate() {
                    if i > 0 {
                        self.out.push(':');
                    }
                    if let Some(part) = part {
                        self.expr(part)?;
                    }
                }
                self.out.push(']');
            }
            ast::Expr::UnaryOp(unary) => {
                self.out.push_str(match unary.op {
                    ast::UnaryOpKind::Not => "(not ",
                    ast::UnaryOpKind::Neg => "(-",
                });
                if matches!(unary.op, ast::UnaryOpKind::Not) {
                    self.truth(&unary.expr)?;
                } else {
                    self.expr(&unary.expr)?;
                }
                self.out.push(')');
            }
            ast::Expr::BinOp(binary) => {
                if let Some(comparator) = Comparator::of_binary(binary.op) {
                    self.comparison(comparator, &binary.left, &binary.right)?;
                } else if let (Some(guards), ast::BinOpKind::Concat) = (self.guards, binary.op) {
                    self.out.push('(');
                    self.text(guards, &binary.left, "~")?;
                    self.out.push_str(binary_symbol(binary.op));
                    self.text(guards, &binary.right, "~")?;
                    self.out.push(')');
                } else if matches!(binary.op, ast::BinOpKind::ScAnd | ast::BinOpKind::ScOr) {
                    self.out.push('(');
                    self.truth(&binary.left)?;
                    self.out.push_str(binary_symbol(binary.op));
                    self.truth(&binary.right)?;
                    self.out.push(')');
                } else {
                    self.out.push('(');
                    match self.guards {
                        Some(guards) if matches!(binary.op, ast::BinOpKind::Add | ast::BinOpKind::Mul) => {
                            self.arithmetic(guards, binary)?;
                        }
                        _ => self.expr(&binary.left)?,
                    }
                    self.out.push_str(binary_symbol(binary.op));
                    self.expr(&binary.right)?;
                    self.out.push(')');
                }
            }
            ast::Expr::Compare(compare) => {
                // `a < b < c` is `a < b and b < c`, as minijinja runs it.
                self.out.push('(');
                let mut left = &compare.expr;
                for (i, op) in compare.ops.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(" and ");
                    }
                    self.comparison(Comparator::of_compare(op.op), left, &op.expr)?;
                    left = &op.expr;
                }
                self.out.push(')');
            }
            ast::Expr::IfExpr(branch) => {
                self.out.push('(');
                self.expr(&branch.true_expr)?;
                self.out.push_str(" if ");
                self.truth(&branch.test_expr)?;
                if let Some(otherwise) = &branch.false_expr {
                    self.out.push_str(" else ");
                    self.expr(otherwise)?;
                }
                self.out.push(')');
            }
            ast::Expr::Filter(filter) => {
                let Some(value) = &filter.expr else { return Err(Unwritable) };
                self.out.push('(');
                match self.guards {
                    // Without a test, `select` keeps the items that are true.
                    Some(guards) if matches!(filter.name, "select" | "reject") && filter.args.is_empty() => {
                        self.guarded += 1;
                        self.out.push_str(guards.truths);
                        self.out.push('(');
                        self.expr(value)?;
                        self.out.push_str(", ");
                        self.string(&text_of(value)?);
                        self.out.push(')');
                    }
                    // `a | f | g` is shown as written, not as `(a | f) | g`.
                    Some(guards) if let Some(written) = text_filter(filter) => self.text(guards, value, &written)?,
                    Some(guards) if filter.name == "default" && links(value).len() > 1 => {
                        self.present(guards, value)?;
                    }
                    None if matches!(value, ast::Expr::Filter(_)) => self.out.push_str(&text_of(value)?),
                    _ => self.expr(value)?,
                }
                self.out.push_str(" | ");
                self.out.push_str(filter.name);
                self.args(&filter.args, false)?;
                self.out.push(')');
            }
            // `x is gt 90` is guarded as `x > 90` is.
            ast::Expr::Test(test)
                if let (Some(comparator), Some(_), [ast::CallArg::Pos(value)]) =
                    (Comparator::of_test(test.name), self.guards, test.args.as_slice()) =>
            {
                self.comparison(comparator, &test.expr, value)?;
            }
            ast::Expr::Test(test) => {
                self.out.push('(');
                match self.guards {
                    Some(guards) if PRESENCE_TESTS.contains(&test.name) && links(&test.expr).len() > 1 => {
                        self.present(guards, &test.expr)?;
                    }
                    Some(guards) if !PRESENCE_TESTS.contains(&test.name) => {
                        self.guarded += 1;
                        self.out.push_str(guards.require);
                        self.out.push('(');
                        self.expr(&test.expr)?;
                        self.out.push_str(", ");
                        self.string(&text_of(&test.expr)?);
                        self.out.push(')');
                    }
                    _ => self.expr(&test.expr)?,
                }
                self.out.push_str(" is ");
                self.out.push_str(test.name);
                self.args(&test.args, false)?;
                self.out.push(')');
            }
            ast::Expr::GetAttr(attr) => {
                self.expr(&attr.expr)?;
                self.out.push('.');
                self.out.push_str(attr.name);
            }
            ast::Expr::GetItem(item) => {
                self.expr(&item.expr)?;
                self.out.push('[');
                self.expr(&item.subscript_expr)?;
                self.out.push(']');
            }
            ast::Expr::Call(call) => {
                self.expr(&call.expr)?;
                self.args(&call.args, true)?;
            }
            ast::Expr::List(list) => self.items('[', &list.items, ']', false)?,
            ast::Expr::Tuple(tuple) => self.items('(', &tuple.items, ')', tuple.items.len() == 1)?,
            ast::Expr::Map(map) => {
                self.out.push('{');
                for (i, (key, value)) in map.keys.iter().zip(&map.values).enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.expr(key)?;
                    self.out.push_str(": ");
                    self.expr(value)?;
                }
                self.out.push('}');
            }
        }
        Ok(())
    }

    /// `expr`, a condition: its `not`, `and` and `or` written with their
    /// operands as conditions, anything else whose truth is taken through
    /// the truth guard told so (`truth(x, "x", true)`).
    fn condition(&mut self, expr: &ast::Expr<'_>) -> Result<(), Unwritable> {
        match expr {
            ast::Expr::UnaryOp(unary) if matches!(unary.op, ast::UnaryOpKind::Not) => {
                self.out.push_str("(not ");
                self.condition(&unary.expr)?;
                self.out.push(')');
            }
            ast::Expr::BinOp(binary) if matches!(binary.op, ast::BinOpKind::ScAnd | ast::BinOpKind::ScOr) => {
                self.out.push('(');
                self.condition(&binary.left)?;
                self.out.push_str(binary_symbol(binary.op));
                self.condition(&binary.right)?;
                self.out.push(')');
            }
            _ => return self.guarded_truth(expr, true),
        }
        Ok(())
    }

    /// `expr`, whose truth is taken, through the truth guard.
    fn truth(&mut self, expr: &ast::Expr<'_>) -> Result<(), Unwritable> {
        self.guarded_truth(expr, false)
    }

    /// `expr` through the truth guard, told whether it is a condition.
    fn guarded_truth(&mut self, expr: &ast::Expr<'_>, condition: bool) -> Result<(), Unwritable> {
        // Tests, comparisons, `not` and literals give what they say, and
        // the operands of a nested `and`/`or` are guarded already.
        let checked = match expr {
            ast::Expr::Test(_) | ast::Expr::Compare(_) | ast::Expr::Const(_) | ast::Expr::UnaryOp(_) => true,
            ast::Expr::BinOp(binary) => {
                Comparator::of_binary(binary.op).is_some()
                    || matches!(binary.op, ast::BinOpKind::ScAnd | ast::BinOpKind::ScOr)
            }
            _ => false,
        };
        let Some(guards) = self.guards.filter(|_| !checked) else { return self.expr(expr) };
        self.guarded += 1;
        self.out.push_str(guards.truth);
        self.out.push('(');
        self.expr(expr)?;
        self.out.push_str(", ");
        self.string(&text_of(expr)?);
        if condition {
            self.out.push_str(", true");
        }
        self.out.push(')');
        Ok(())
    }

    /// `expr`, which `written` (`| lower`, `~`) prints as text, through the
    /// text guard.
    fn text(&mut self, guards: Guards<'_>, expr: &ast::Expr<'_>, written: &str) -> Result<(), Unwritable> {
        if matches!(expr, ast::Expr::Const(_)) {
            return self.expr(expr);
        }
        self.guarded += 1;
        self.out.push_str(guards.text);
        self.out.push('(');
        self.expr(expr)?;
        self.out.push_str(", ");
        self.string(&text_of(expr)?);
        self.out.push_str(", ");
        self.string(written);
        self.out.push(')');
        Ok(())
    }

    /// `expr`, a name read through two links or more, read only once each
    /// link is set: `(a.b.c if present(a.b, "c"))`, which is otherwise
    /// undefined, as an unset name is.
    fn present(&mut self, guards: Guards<'_>, expr: &ast::Expr<'_>) -> Result<(), Unwritable> {
        let links = links(expr);
        let Some((first, rest)) = links.split_last() else { return self.expr(expr) };
        self.guarded += 1;
        self.out.push('(');
        self.expr(expr)?;
        self.out.push_str(" if ");
        self.out.push_str(guards.present);
        self.out.push('(');
        self.expr(first)?;
        for link in rest.iter().rev() {
            self.out.push_str(", ");
            match link {
                ast::Expr::GetAttr(attr) => self.string(attr.name),
                ast::Expr::GetItem(item) => self.expr(&item.subscript_expr)?,
                _ => return Err(Unwritable),
            }
        }
        self.out.push_str("))");
        Ok(())
    }

    /// The left operand of `a + b` or `a * b` through the arithmetic
    /// guard, which sees both operands and gives `a` back.
    fn arithmetic(&mut self, guards: Guards<'_>, binary: &ast::BinOp<'_>) -> Result<(), Unwritable> {
        self.guarded += 1;
        self.out.push_str(guards.arithmetic);
        self.out.push('(');
        self.expr(&binary.left)?;
        self.out.push_str(", \"");
        self.out.push_str(binary_symbol(binary.op).trim());
        self.out.push_str("\", ");
        self.expr(&binary.right)?;
        for side in [&binary.left, &binary.right] {
            self.out.push_str(", ");
            self.string(&text_of(side)?);
        }
        self.out.push(')');
        Ok(())
    }

    fn comparison(
        &mut self,
        comparator: Comparator,
        left: &ast::Expr<'_>,
        right: &ast::Expr<'_>,
    ) -> Result<(), Unwritable> {
        let Some(guards) = self.guards else {
            self.out.push('(');
            self.expr(left)?;
            self.out.push(' ');
            self.out.push_str(comparator.symbol());
            self.out.push(' ');
            self.expr(right)?;
            self.out.push(')');
            return Ok(());
        };
        self.guarded += 1;
        self.out.push_str(guards.compare);
        self.out.push('(');
        self.expr(left)?;
        self.out.push_str(", \"");
        self.out.push_str(comparator.symbol());
        self.out.push_str("\", ");
        self.expr(right)?;
        for side in [left, right] {
            self.out.push_str(", ");
            self.string(&text_of(side)?);
        }
        self.out.push(')');
        Ok(())
    }

    fn args(&mut self, args: &[ast::CallArg<'_>], always: bool) -> Result<(), Unwritable> {
        if args.is_empty() && !always {
            return Ok(());
        }
        self.out.push('(');
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            match arg {
                ast::CallArg::Pos(value) => self.expr(value)?,
                ast::CallArg::Kwarg(name, value) => {
                    self.out.push_str(name);
                    self.out.push('=');
                    self.expr(value)?;
                }
                ast::CallArg::PosSplat(value) => {
                    self.out.push('*');
                    self.expr(value)?;
                }
                ast::CallArg::KwargSplat(value) => {
                    self.out.push_str("**");
                    self.expr(value)?;
                }
            }
        }
        self.out.push(')');
        Ok(())
    }

    fn items(&mut self, open: char, items: &[ast::Expr<'_>], close: char, trailing: bool) -> Result<(), Unwritable> {
        self.out.push(open);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.expr(item)?;
        }
        if trailing {
            self.out.push(',');
        }
        self.out.push(close);
        Ok(())
    }

    fn constant(&mut self, value: &Value) -> Result<(), Unwritable> {
        match value.kind() {
            ValueKind::None => self.out.push_str("none"),
            ValueKind::Bool => self.out.push_str(if value.is_true() { "true" } else { "false" }),
            ValueKind::Number => {
                // Only a negative number needs parentheses (`(-1) ** 2`);
                // others read as written in messages (`[20, 30]`).
                let number = value.to_string();
                if number.starts_with('-') {
                    self.out.push('(');
                    self.out.push_str(&number);
                    self.out.push(')');
                } else {
                    self.out.push_str(&number);
                }
            }
            ValueKind::String => self.string(value.as_str().ok_or(Unwritable)?),
            ValueKind::Seq => {
                self.out.push('[');
                for (i, item) in value.try_iter().map_err(|_| Unwritable)?.enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.constant(&item)?;
                }
                self.out.push(']');
            }
            ValueKind::Map => {
                self.out.push('{');
                for (i, key) in value.try_iter().map_err(|_| Unwritable)?.enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    let item = value.get_item(&key).map_err(|_| Unwritable)?;
                    self.constant(&key)?;
                    self.out.push_str(": ");
                    self.constant(&item)?;
                }
                self.out.push('}');
            }
            _ => return Err(Unwritable),
        }
        Ok(())
    }

    fn string(&mut self, text: &str) {
        self.out.push_str(&serde_json::Value::from(text).to_string());
    }
}

const fn binary_symbol(kind: ast::BinOpKind) -> &'static str {
    match kind {
        ast::BinOpKind::Eq => " == ",
        ast::BinOpKind::Ne => " != ",
        ast::BinOpKind::Lt => " < ",
        ast::BinOpKind::Lte => " <= ",
        ast::BinOpKind::Gt => " > ",
        ast::BinOpKind::Gte => " >= ",
        ast::BinOpKind::ScAnd => " and ",
        ast::BinOpKind::ScOr => " or ",
        ast::BinOpKind::Add => " + ",
        ast::BinOpKind::Sub => " - ",
        ast::BinOpKind::Mul => " * ",
        ast::BinOpKind::Div => " / ",
        ast::BinOpKind::FloorDiv => " // ",
        ast::BinOpKind::Rem => " % ",
        ast::BinOpKind::Pow => " ** ",
        ast::BinOpKind::Concat => " ~ ",
        ast::BinOpKind::In => " in ",
    }
}

#[cfg(test)]
mod tests {
    use minijinja::Environment;

    use super::*;

    /// The guards used in tests: the comparison itself and the value
    /// itself, so a guarded expression must give exactly what the original
    /// gives.
    const GUARDS: Guards<'static> = Guards {
        compare: "cmp",
        require: "req",
        truth: "truth",
        truths: "truths",
        arithmetic: "arith",
        text: "text",
        present: "present",
    };

    fn environment() -> Environment<'static> {
        let mut environment = Environment::new();
        environment.add_function("req", |value: Value, _: &str| value);
        environment.add_function("truth", |value: Value, _: &str| value);
        environment.add_function("truths", |value: Value, _: &str| value);
        environment.add_function("text", |value: Value, _: &str, _: &str| value);
        environment.add_function("arith", |left: Value, _: &str, _: Value, _: &str, _: &str| left);
        environment.add_function("present", |value: &Value, keys: minijinja::value::Rest<Value>| {
            let mut value = value.clone();
            for key in keys.iter() {
                value = value.get_item(key).unwrap_or(Value::UNDEFINED);
            }
            !value.is_undefined()
        });
        environment.add_function(
            "cmp",
            |left: Value, op: &str, right: Value, _: &str, _: &str| -> Result<bool, minijinja::Error> {
                let member = || {
                    let context = minijinja::context! { left => left.clone(), right => right.clone() };
                    Environment::new().compile_expression("left in right")?.eval(context).map(|found| found.is_true())
                };
                Ok(match Comparator::from_symbol(op) {
                    Some(Comparator::In) => member()?,
                    Some(Comparator::NotIn) => !member()?,
                    Some(Comparator::Eq) => left == right,
                    Some(Comparator::Ne) => left != right,
                    Some(Comparator::Lt) => left < right,
                    Some(Comparator::Le) => left <= right,
                    Some(Comparator::Gt) => left > right,
                    Some(Comparator::Ge) => left >= right,
                    None => return Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, "bad op")),
                })
            },
        );
        environment
    }

    #[test]
    fn guarded_expressions_give_what_the_originals_give() {
        let context = minijinja::context! {
            vars => minijinja::context! { pct => 20, name => "db-1", list => vec![1, 2, 3], flag => true },
            inputs => minijinja::context! { threshold => 90 },
        };
        let environment = environment();
        let expressions = [
            "vars.pct > inputs.threshold",
            "vars.pct < inputs.threshold and vars.name == 'db-1'",
            "not vars.pct >= 20",
            "1 < vars.pct < 30",
            "1 < vars.pct < 10",
            "vars.pct in vars.list or 2 in vars.list",
            "3 not in vars.list",
            "'b-' in vars.name and 'x' not in vars.name and 'pct' in vars and (2 in vars.list) == true",
            "(vars.pct + 1) * 2 == 42",
            "vars.pct // 3 == 6 and vars.pct % 3 == 2 and 2 ** 3 == 8",
            "vars.name ~ '!' == \"db-1!\"",
            "vars.list[0] == 1 and vars.list[1:] == [2, 3] and vars.list[::2] == [1, 3]",
            "(vars.name | upper) == 'DB-1' and vars.name is string",
            "vars.name is not number and vars.name is startingwith('db')",
            "(vars.pct if vars.flag else 0) > 10",
            "(vars.pct if not vars.flag) is undefined",
            "vars.pct is divisibleby(5) and vars.list is not none and vars.nope is not defined",
            "vars.list | select('gt', 1) | list == [2, 3]",
            "range(3) | list == [0, 1, 2] and dict(a=1).a == 1",
            "{'a': -1.5, 'b': [true, none]} == {'a': -1.5, 'b': [true, none]}",
            "(1, 2) == (1, 2) and (1,) != (2,)",
            "'it\\'s \"quoted\"\\n' | length == 13",
            "vars.pct == 20.0 and 7 / 2 == 3.5",
            "vars['pct'] >= -5",
            "-2 ** 2 == 4 and 2 - -1 == 3 and [-1, 2.5] == [-1, 2.5]",
            "vars.pct is gt 10 and vars.pct is not lessthan 5 and vars.name is eq 'db-1' and 2 is in vars.list",
            "vars.list is not sameas none and vars.pct is ge(20) and vars.pct is not greaterthan 20",
        ];
        for expression in expressions {
            let original = environment.compile_expression(expression).unwrap().eval(&context).unwrap();
            let guarded = guard_comparisons(expression, &GUARDS);
            let Some(guarded) = guarded else {
                assert!(comparisons(expression).is_empty(), "{expression} was not rewritten");
                continue;
            };
            let rewritten = environment.compile_expression(&guarded).unwrap().eval(&context).unwrap();
            assert_eq!(original, rewritten, "{expression} → {guarded}");
        }
    }

    #[test]
    fn guarded_templates_render_what_the_originals_render() {
        let context = minijinja::context! {
            vars => minijinja::context! { pct => 20, name => "db-1", list => vec![1, 2, 3], flag => true },
        };
        let environment = environment();
        let templates = [
            "{% if vars.pct > 90 %}full{% elif vars.pct == 20 %}twenty{% else %}fine{% endif %}",
            "{%- if vars.flag -%}\n  on {{ vars.name }}\n{%- endif %} and {{ 'x' if vars.pct < 30 else 'y' }}",
            "{{ vars.name ~ \"}}\" }} {% raw %}{% if x > 1 %}{{ y }}{% endraw %} {{ {'a': 1}['a'] >= 1 }}",
            "{% for i in vars.list if i != 2 %}{% if loop.first and i == 1 %}[{{ i }}]{% endif %}{% endfor %}",
            "{% if not vars.flag or vars.name is string %}yes{% endif %} {{ vars.list | select('gt', 1) | list }}",
            "{% if 'db' in vars.name %}db{% endif %}{# {% if a > b %} #} {{ \"it's\" == 'it\\'s' }}",
            "{% for i in vars.list if i %}{{ i }}{% else %}none{% endfor %} {{ vars.list | select | list }}",
            "{% for i in (vars.list if vars.flag else []) | reject if i > 1 recursive %}{{ i }}{% endfor %}",
            "{% set big = vars.pct > 10 %}{% set n %}{{ vars.pct }}{% endset %}{{ big }} {{ n }}",
            "{% with a = vars.pct >= 20, b = [1, 2] | select, c = (1, vars.flag) %}{{ a }}{{ b | list }}{% endwith %}",
            "plain text, {{ vars.pct }}%",
        ];
        for template in templates {
            let original = environment.render_str(template, &context).unwrap();
            let Some(guarded) = guard_template(template, &GUARDS) else {
                assert_eq!(template, "plain text, {{ vars.pct }}%", "{template} was not rewritten");
                continue;
            };
            assert_eq!(environment.render_str(&guarded, &context).unwrap(), original, "{template} → {guarded}");
        }
        assert_eq!(
            guard_template("a {% if vars.m %}M{% elif vars.p > 9 %}P{% endif %} {{ 'x' if vars.q }}", &GUARDS)
                .as_deref(),
            Some(
                r#"a {% if truth(vars.m, "vars.m") %}M{% elif cmp(vars.p, ">", 9, "vars.p", "9") %}P{% endif %} {{ ("x" if truth(vars.q, "vars.q")) }}"#
            )
        );
        assert_eq!(
            guard_template("{% for x in [vars.m] if x %}M{% endfor %}{% set y = vars.p > 9 %}", &GUARDS).as_deref(),
            Some(
                r#"{% for x in [vars.m] if truth(x, "x") %}M{% endfor %}{% set y = cmp(vars.p, ">", 9, "vars.p", "9") %}"#
            )
        );
        assert_eq!(
            guard_template("{% if [vars.m] | select | list %}M{% endif %}", &GUARDS).as_deref(),
            Some(
                r#"{% if truth(((truths([vars.m], "[vars.m]") | select) | list), "[vars.m] | select | list") %}M{% endif %}"#
            )
        );
        assert_eq!(guard_template("{% if %}", &GUARDS), None);
        assert_eq!(guard_template("{{ a > }}", &GUARDS), None);
    }

    /// In strict minijinja, reading a name of an unset value is an error,
    /// even under `| default(…)` or `is defined`: guarded, the fallback and
    /// the test apply to the whole name as written (review-12 N-M4).
    #[test]
    fn a_fallback_or_a_presence_test_covers_the_whole_name() {
        let mut environment = environment();
        environment.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let unset =
            minijinja::context! { steps => minijinja::context! { p => minijinja::context! { outcome => "pass" } } };
        let set = minijinja::context! { steps => minijinja::context! { p => minijinja::context! {
            outcome => "error", error => minijinja::context! { kind => "dns", message => "cannot resolve" },
        } } };
        let cases = [
            ("steps.p.error.message | default('none')", "none", "cannot resolve"),
            ("steps['p'].error['kind'] | default('') == 'dns'", "False", "True"),
            ("steps.p.error.kind is defined", "False", "True"),
            ("steps.p.error.kind is not undefined", "False", "True"),
            ("steps.q.error.kind | default('no q')", "no q", "no q"),
        ];
        for (expression, without, with) in cases {
            let original = environment.compile_expression(expression).unwrap();
            assert!(original.eval(&unset).is_err(), "{expression} read an unset name's field");
            let guarded = guard_comparisons(expression, &GUARDS).expect("rewritten");
            let guarded = environment.compile_expression(&guarded).unwrap();
            assert_eq!(guarded.eval(&unset).unwrap().to_string(), without, "{expression}");
            assert_eq!(guarded.eval(&set).unwrap().to_string(), with, "{expression}");
            let (read, seen) = (original.undeclared_variables(true), guarded.undeclared_variables(true));
            assert!(read.is_subset(&seen), "{expression}: the names read are still seen: {read:?}, {seen:?}");
        }
        assert_eq!(
            guard_comparisons("steps.p.error.message | default('none')", &GUARDS).as_deref(),
            Some(r#"((steps.p.error.message if present(steps.p, "error", "message")) | default("none"))"#)
        );
        assert_eq!(guard_comparisons("vars.x | default(1)", &GUARDS), None, "one link: nothing to guard");
    }

    #[test]
    fn comparisons_name_their_operands() {
        let found = comparisons("vars.pct > inputs.threshold and steps['db-up'].status == '200'");
        let pairs: Vec<(&str, &str, &str)> =
            found.iter().map(|c| (c.left.text.as_str(), c.comparator.symbol(), c.right.text.as_str())).collect();
        assert_eq!(pairs, [("vars.pct", ">", "inputs.threshold"), ("steps[\"db-up\"].status", "==", "\"200\"")]);
        assert_eq!(found[0].left.form, OperandForm::Path(vec!["vars".into(), "pct".into()]));
        assert_eq!(found[1].left.form, OperandForm::Path(vec!["steps".into(), "db-up".into(), "status".into()]));
        assert_eq!(found[1].right.form, OperandForm::Literal(ValueKind::String));
        let filtered = comparisons("vars.pct | int > 3 < vars.max");
        assert_eq!(filtered.len(), 2);
        assert_eq!(filtered[0].left.text, "vars.pct | int");
        assert_eq!(filtered[0].left.form, OperandForm::Filtered("int".into()));
        let chained = comparisons("vars.running == (vars.versions | map('version') | max)");
        assert_eq!(chained[0].right.text, r#"vars.versions | map("version") | max"#, "a chain as written");
        assert_eq!(filtered[1].left.form, OperandForm::Literal(ValueKind::Number));
        let tests = comparisons(
            "vars.a is greaterthan 9 and vars.b is not in [1] and steps.e.items | selectattr('n', 'le', 3)",
        );
        let tests: Vec<(&str, &str, &str)> =
            tests.iter().map(|c| (c.left.text.as_str(), c.comparator.symbol(), c.right.text.as_str())).collect();
        assert_eq!(tests, [("vars.a", ">", "9"), ("vars.b", "in", "[1]"), ("steps.e.items.n", "<=", "3")]);
        let member = comparisons("vars.x in [1, 2] and vars.y");
        assert_eq!((member[0].comparator, member[0].right.text.as_str()), (Comparator::In, "[1, 2]"));
        assert_eq!(member[0].right.form, OperandForm::Items(ValueKind::Number));
        assert_eq!(comparisons("x in ['a', 'b']")[0].right.form, OperandForm::Items(ValueKind::String));
        assert_eq!(comparisons("x in ['a', 2]")[0].right.form, OperandForm::Other);
        assert_eq!(comparisons("x in [y, 2]")[0].right.form, OperandForm::Other);
        assert!(comparisons("vars.x >").is_empty());
    }

    #[test]
    fn truth_paths_are_the_values_whose_truth_is_taken() {
        let paths = |text| super::truth_paths(text).into_iter().map(|parts| parts.join(".")).collect::<Vec<_>>();
        assert_eq!(paths("vars.maint"), ["vars.maint"]);
        assert_eq!(paths("not vars.up and (vars.ready or vars.x > 1)"), ["vars.ready", "vars.up"]);
        assert_eq!(paths("1 if vars.flag else vars.other"), ["vars.flag"]);
        assert_eq!(paths("vars.n > 3 and (vars.a | length) == 2"), Vec::<String>::new());
        assert_eq!(paths("[vars.a and vars.b] | length"), ["vars.a", "vars.b"]);
        assert!(paths("vars.").is_empty());
    }

    #[test]
    fn read_paths_follow_attributes_and_bracketed_keys() {
        let paths = read_paths("steps['db-up'].outcom == 'pass' and (vars.n | int) > steps.a.checklist.done", false);
        let dotted: Vec<String> = paths.iter().map(|parts| parts.join(".")).collect();
        assert_eq!(dotted, ["steps.db-up.outcom", "vars.n", "steps.a.checklist.done"]);
        let paths = read_paths("{% if steps.t.notes.ag %}{{ result.status }}{% endif %}", true);
        assert_eq!(paths, [vec!["steps", "t", "notes", "ag"], vec!["result", "status"]]);
        assert!(read_paths("steps.", false).is_empty());
    }

    #[test]
    fn comparisons_in_template_blocks_are_found() {
        let found = template_comparisons(
            "{% if vars.pct > 90 %}full{% elif vars.pct == '50' %}half{% endif %} {{ 'x' if steps.a.status < 500 }}\
             {% for i in vars.list if i != 0 %}{% set n = i >= 2 %}{% endfor %}",
        );
        let texts: Vec<String> =
            found.iter().map(|c| format!("{} {} {}", c.left.text, c.comparator.symbol(), c.right.text)).collect();
        assert_eq!(texts, ["vars.pct > 90", "vars.pct == \"50\"", "steps.a.status < 500", "i != 0", "i >= 2"]);
        assert!(template_comparisons("{% if %}").is_empty());
    }

    #[test]
    fn an_expression_without_comparisons_is_not_rewritten() {
        assert_eq!(
            guard_comparisons("vars.ok is defined or vars.b", &GUARDS).as_deref(),
            Some(r#"((vars.ok is defined) or truth(vars.b, "vars.b"))"#)
        );
        assert_eq!(guard_comparisons("vars.ok | length", &GUARDS), None);
        assert_eq!(
            guard_comparisons("not vars.failed", &GUARDS).as_deref(),
            Some(r#"(not truth(vars.failed, "vars.failed"))"#)
        );
        assert_eq!(guard_comparisons("vars. >", &GUARDS), None);
        assert_eq!(guard_comparisons("vars.a > 1", &GUARDS).as_deref(), Some(r#"cmp(vars.a, ">", 1, "vars.a", "1")"#));
        assert_eq!(
            guard_comparisons("vars.a is gt 90 or vars.b is not sameas none", &GUARDS).as_deref(),
            Some(r#"(cmp(vars.a, ">", 90, "vars.a", "90") or (not cmp(vars.b, "==", none, "vars.b", "none")))"#),
            "the tests that compare are guarded as their operators"
        );
        assert_eq!(
            guard_comparisons("vars.a is not none", &GUARDS).as_deref(),
            Some(r#"(not (req(vars.a, "vars.a") is none))"#)
        );
    }

    /// fx10b's H15 gap: the operands of a `when`'s `not`, `and` and `or`
    /// are conditions (`truth(x, "x", true)`), not those of an `and`/`or`
    /// whose value is compared, nor the whole (the engine takes its truth).
    #[test]
    fn the_operands_that_make_a_when_are_conditions() {
        assert_eq!(
            guard_when("vars.enabled and not (vars.ready or vars.a > 1)", &GUARDS).as_deref(),
            Some(
                r#"(truth(vars.enabled, "vars.enabled", true) and (not (truth(vars.ready, "vars.ready", true) or cmp(vars.a, ">", 1, "vars.a", "1"))))"#
            )
        );
        assert_eq!(
            guard_when(r#"(vars.error or "") != "" and vars.up"#, &GUARDS).as_deref(),
            Some(
                r#"(cmp((truth(vars.error, "vars.error") or ""), "!=", "", "vars.error or \"\"", "\"\"") and truth(vars.up, "vars.up", true))"#
            ),
            "an `or` giving a value to compare keeps its reading"
        );
        assert_eq!(guard_when("vars.ready", &GUARDS), None, "the whole's truth is the engine's");
        assert_eq!(
            guard_when("vars.ready if vars.a else vars.b", &GUARDS),
            guard_comparisons("vars.ready if vars.a else vars.b", &GUARDS)
        );
    }

    #[test]
    fn addition_and_multiplication_go_through_the_arithmetic_guard() {
        assert_eq!(
            guard_comparisons("(vars.e + vars.w) * 2", &GUARDS).as_deref(),
            Some(
                r#"(arith((arith(vars.e, "+", vars.w, "vars.e", "vars.w") + vars.w), "*", 2, "vars.e + vars.w", "2") * 2)"#
            )
        );
        assert_eq!(guard_comparisons("vars.e - vars.w", &GUARDS), None, "`-` over text stops by itself");
        assert_eq!(
            guard_comparisons("vars.e ~ '!'", &GUARDS).as_deref(),
            Some(r#"(text(vars.e, "vars.e", "~") ~ "!")"#),
            "`~` joins text on purpose, but none stops"
        );
    }

    #[test]
    fn text_filters_go_through_the_text_guard() {
        assert_eq!(
            guard_comparisons("vars.o | lower | trim", &GUARDS).as_deref(),
            Some(r#"(text((text(vars.o, "vars.o", "| lower") | lower), "vars.o | lower", "| trim") | trim)"#)
        );
        assert_eq!(
            guard_comparisons("vars.s | map('upper') | list", &GUARDS).as_deref(),
            Some(r#"((text(vars.s, "vars.s", "| map(\"upper\")") | map("upper")) | list)"#)
        );
        assert_eq!(guard_comparisons("vars.s | map('int') | list", &GUARDS), None, "`int` refuses none itself");
        assert_eq!(guard_comparisons("'a' | upper", &GUARDS), None, "a literal is never none");
    }
}
