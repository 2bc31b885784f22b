//! A string, a number and a boolean compared with one another in `when`,
//! `stop_if` or a template's blocks (`{% if vars.pct > 90 %}`), found where
//! both types are known before the run: typed inputs, captures (text
//! sources, `type:`), `steps.ID` facts, answers and literals. The engine stops such a
//! comparison at run time (in `when`, `stop_if` and templates' blocks);
//! `check` says so before the incident.

use std::cell::OnceCell;
use std::collections::HashMap;

use minijinja::value::ValueKind;

use crate::analyse::{TemplateKind, TemplateSite, shape};
use crate::{
    AskType, Capture, CaptureType, CertificateFact, Check, Code, Comparator, Comparison, Diagnostic, FactType,
    InputType, Operand, OperandForm, ProbeKind, Runbook, Step,
};

/// The kinds of value that never compare with one another, in the order
/// messages name them. A duration is a number of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Bool,
    Text,
    Number,
    Duration,
}

impl Kind {
    const fn name(self) -> &'static str {
        match self {
            Self::Bool => "a boolean",
            Self::Text => "a string",
            Self::Number => "a number",
            Self::Duration => "a number of milliseconds",
        }
    }

    const fn numeric(self) -> bool {
        matches!(self, Self::Number | Self::Duration)
    }

    /// The kind a message names: a duration is a number.
    const fn named(self) -> Self {
        if matches!(self, Self::Duration) { Self::Number } else { self }
    }
}

/// A type known at `check`, with what makes it known.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    kind: Kind,
    /// Why: "input `threshold` has `type: number`".
    why: String,
    /// How to make a string operand a number, when it is one.
    fix: Option<String>,
}

/// A `call` step and the runbook it calls, whose captures type
/// `steps.ID.vars.NAME`.
#[derive(Clone, Copy)]
pub(crate) struct Callee<'a> {
    /// The `call` step's id.
    pub step: &'a str,
    /// The called file, as written.
    pub file: &'a str,
    /// The types of the called runbook's names.
    pub types: &'a KnownTypes<'a>,
}

/// The types `check` can tell of one runbook's vars and answers, each
/// found once, on the first lookup, in one pass over the steps: looking
/// through every step for each comparison made `check` quadratic.
pub(crate) struct KnownTypes<'a> {
    runbook: &'a Runbook,
    /// Each captured var's type, `None` when its captures do not agree
    /// on one (or one of them cannot tell).
    vars: OnceCell<HashMap<&'a str, Option<Known>>>,
    /// The kind of question of the first step with each id, `None` when
    /// that step does not ask.
    answers: OnceCell<HashMap<&'a str, Option<AskType>>>,
}

impl<'a> KnownTypes<'a> {
    pub(crate) fn new(runbook: &'a Runbook) -> Self {
        Self { runbook, vars: OnceCell::new(), answers: OnceCell::new() }
    }

    /// The type of a var when every capture of it gives the same one (a
    /// capture inside `foreach`, which gives a list, has none).
    fn var(&self, name: &str) -> Option<Known> {
        let vars = self.vars.get_or_init(|| {
            let mut vars: HashMap<&str, Option<Known>> = HashMap::new();
            for (name, capture) in self.runbook.steps.iter().flat_map(captures) {
                let known = if capture.per_item { None } else { capture.known };
                vars.entry(name)
                    .and_modify(|first| {
                        if known.as_ref().zip(first.as_ref()).is_none_or(|(known, first)| known.kind != first.kind) {
                            *first = None;
                        }
                    })
                    .or_insert(known);
            }
            vars
        });
        vars.get(name)?.clone()
    }

    /// An `ask` step's answer: a number for `type: number`, text otherwise
    /// (a choice's `answer`, `yes`/`no`, free text).
    fn answer(&self, id: &str) -> Option<Known> {
        let answers = self.answers.get_or_init(|| {
            let mut answers = HashMap::new();
            for step in self.runbook.steps.iter() {
                answers.entry(step.id.as_str()).or_insert_with(|| step.ask.as_ref().map(|ask| ask.ask_type()));
            }
            answers
        });
        let ask_type = (*answers.get(id)?)?;
        let number = ask_type == AskType::Number;
        Some(Known {
            kind: if number { Kind::Number } else { Kind::Text },
            why: format!(
                "the answer to `{id}` ({}) is {}",
                ask_type.name(),
                if number { "a number" } else { "a string" }
            ),
            fix: (!number).then(|| format!("ask with `type: number` if `{id}` asks for a number")),
        })
    }
}

pub(crate) fn check(runbook: &Runbook, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    let types = KnownTypes::new(runbook);
    compare(&types, sites, None, out);
    for site in sites.iter().filter(|site| site.kind == TemplateKind::Template) {
        out.extend(printed_milliseconds(&types, site));
    }
    never_none(&types, sites, out);
    text_arithmetic(&types, sites, out);
}

/// `vars.errors + vars.warnings` over two text captures: `+` joins them
/// ("3" + "4" is "34") and `*` repeats one ("3" * 2 is "33"). The engine
/// stops such arithmetic; `check` says so where an operand is known to be
/// text and the other's type is known too.
fn text_arithmetic(types: &KnownTypes<'_>, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    for site in sites.iter().filter(|site| site.text.contains(['+', '*'])) {
        let template = site.kind != TemplateKind::Expression;
        for (operator, left, right) in crate::comparison::arithmetic_operands(site.text, template) {
            let (Some(left_type), Some(right_type)) =
                (type_of(types, &left.form, None), type_of(types, &right.form, None))
            else {
                continue;
            };
            let texts: Vec<(&Operand, &Known)> = [(&left, &left_type), (&right, &right_type)]
                .into_iter()
                .filter(|(_, known)| known.kind == Kind::Text)
                .collect();
            let Some((first, first_type)) = texts.first() else { continue };
            let does = if operator == "+" {
                "joins text (\"3\" + \"4\" is \"34\")"
            } else {
                "repeats text (\"3\" * 2 is \"33\")"
            };
            let fix = match &first_type.fix {
                Some(fix) => format!("{fix}, or convert it here: `{} | int`", first.text),
                None => format!("convert it: `{} | int` (`| float` for decimals)", first.text),
            };
            let join = if operator == "+" && texts.len() == 2 { "; to join text on purpose, write `~`" } else { "" };
            out.push(
                Diagnostic::new(
                    Code::TextArithmetic,
                    site.span,
                    format!("`{} {operator} {}` {does}", left.text, right.text),
                )
                .with_label(format!("{}; {}", left_type.why, right_type.why))
                .with_help(format!("{fix}{join}")),
            );
        }
    }
}

/// `{{ steps.api.duration }}` in a text: it prints `4035`, a number of
/// milliseconds a reader takes for seconds, or for nothing at all.
fn printed_milliseconds(types: &KnownTypes<'_>, site: &TemplateSite<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut rest = site.text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else { break };
        let block = &rest[start..start + end + 2];
        rest = &rest[start + end + 2..];
        let Some(operand) = crate::comparison::whole_template(block) else { continue };
        if type_of(types, &operand.form, None).is_some_and(|known| known.kind == Kind::Duration) {
            let path = &operand.text;
            found.push(
                Diagnostic::new(
                    Code::DurationWithoutUnit,
                    site.span,
                    format!("`{block}` prints a duration as a bare number of milliseconds"),
                )
                .with_label(format!("`{path}` is in milliseconds: 4 seconds print as `4000`"))
                .with_help(format!("print it with its unit: `{{{{ {path} | duration }}}}` gives `4s`")),
            );
        }
    }
    found
}

/// `vars.x is none` (or `== none`) over a capture of a known type: a
/// capture gives a value or leaves the var unset, never none, so the test
/// never holds. `jq -r` prints a missing field as the text "null".
fn never_none(types: &KnownTypes<'_>, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    for site in sites.iter().filter(|site| site.text.contains("none")) {
        let template = site.kind != TemplateKind::Expression;
        for subject in crate::comparison::none_subjects(site.text, template) {
            let OperandForm::Path(path) = &subject.form else { continue };
            let [root, name] = path.as_slice() else { continue };
            let Some(known) = (root == "vars").then(|| types.var(name)).flatten() else { continue };
            let text = &subject.text;
            let help = if known.kind == Kind::Text {
                format!(
                    "a capture that finds nothing leaves `{text}` unset: test `{text} is not defined`; a command that \
                     prints \"null\" (`jq -r`) gives that text: compare `{text} == \"null\"`, or capture with `json:`"
                )
            } else {
                format!("a capture that finds nothing leaves `{text}` unset: test `{text} is not defined`")
            };
            out.push(
                Diagnostic::new(
                    Code::ConstantCondition,
                    site.span,
                    format!("`{text}` is never none: it is {} ({})", known.kind.named().name(), known.why),
                )
                .with_label("a test of none that never holds")
                .with_help(help),
            );
        }
    }
}

/// The comparisons that read `steps.ID.vars.NAME` of `callee`'s step,
/// typed by the called runbook's captures (the single-file rules cannot
/// see them).
pub(crate) fn check_callee_vars(
    types: &KnownTypes<'_>,
    sites: &[TemplateSite<'_>],
    callee: Callee<'_>,
    out: &mut Vec<Diagnostic>,
) {
    compare(types, sites, Some(callee), out);
}

/// Why a whole-template value (`"{{ vars.port }}"`) given for an input of
/// type `wanted` has another type, when its type is known before the run.
pub(crate) fn template_input_mismatch(types: &KnownTypes<'_>, template: &str, wanted: InputType) -> Option<String> {
    let operand = crate::comparison::whole_template(template)?;
    let known = type_of(types, &operand.form, None)?;
    let fits = match wanted {
        InputType::Number => known.kind.numeric(),
        InputType::String => known.kind == Kind::Text,
        InputType::Bool => known.kind == Kind::Bool,
        InputType::List => return None,
    };
    (!fits).then(|| {
        // `Known::fix` makes a number; a boolean comes from `type: bool`.
        let fix = match (wanted, &operand.form) {
            (InputType::Number, _) => known.fix,
            (InputType::Bool, OperandForm::Path(path)) => match path.as_slice() {
                [root, name] if root == "vars" => Some(format!("give the capture `{name}` a `type: bool`")),
                [root, name] if root == "inputs" => Some(format!("declare the input `{name}` with `type: bool`")),
                _ => None,
            },
            _ => None,
        };
        let fix = fix.map(|fix| format!("; {fix}")).unwrap_or_default();
        format!("`{}` is {}: {}{fix}", operand.text, known.kind.named().name(), known.why)
    })
}

/// Why `value`, mocked as the var `name` a called runbook hands back, has
/// another type or shape than the captures of `name` in `callee` give: a
/// capture inside `foreach` gives a list, one value (or `none`) per item;
/// `None` when it fits or that type is not known.
pub(crate) fn mocked_var_mismatch(callee: &Runbook, name: &str, value: &serde_json::Value) -> Option<String> {
    let captured: Vec<Captured> =
        callee.steps.iter().flat_map(captures).filter(|(var, _)| *var == name).map(|(_, capture)| capture).collect();
    let per_item = captured.iter().filter(|capture| capture.per_item).count();
    if per_item > 0 && per_item < captured.len() {
        return None;
    }
    let mut types = captured.into_iter().map(|capture| capture.known);
    let known = types.next()?.filter(|first| types.all(|other| other.is_some_and(|other| other.kind == first.kind)));
    if per_item == 0 {
        return known.and_then(|known| value_mismatch(&known, value, "the mock gives"));
    }
    let serde_json::Value::Array(items) = value else {
        let kind = if value.is_object() { "a map" } else { value_kind(value)?.name() };
        return Some(format!(
            "capture `{name}` is inside a `foreach`, which gives a list (one value per item), and the mock gives {kind}"
        ));
    };
    let known = known?;
    items.iter().filter(|item| !item.is_null()).find_map(|item| {
        value_mismatch(&known, item, "the mock's list holds")
            .map(|problem| format!("{problem} (one per `foreach` item)"))
    })
}

/// Why a mocked scalar does not fit `known`: "capture `n` has `type:
/// int`, and the mock gives a string".
fn value_mismatch(known: &Known, value: &serde_json::Value, gives: &str) -> Option<String> {
    let kind = match value {
        serde_json::Value::Array(_) => return Some(format!("{}, and {gives} a list", known.why)),
        other => value_kind(other)?,
    };
    let fits = kind == known.kind || known.kind == Kind::Duration || (kind.numeric() && known.kind.numeric());
    (!fits).then(|| format!("{}, and {gives} {}", known.why, kind.name()))
}

/// The kind of a JSON scalar; `None` for `null` and maps.
const fn value_kind(value: &serde_json::Value) -> Option<Kind> {
    match value {
        serde_json::Value::String(_) => Some(Kind::Text),
        serde_json::Value::Number(_) => Some(Kind::Number),
        serde_json::Value::Bool(_) => Some(Kind::Bool),
        _ => None,
    }
}

fn compare(types: &KnownTypes<'_>, sites: &[TemplateSite<'_>], callee: Option<Callee<'_>>, out: &mut Vec<Diagnostic>) {
    let reads_callee = |operand: &Operand| {
        callee.is_some_and(|callee| {
            matches!(&operand.form, OperandForm::Path(path)
                if path.len() == 4 && path[0] == "steps" && path[1] == callee.step && path[2] == "vars")
        })
    };
    for site in sites {
        let found = match site.kind {
            TemplateKind::Expression => crate::comparisons(site.text),
            TemplateKind::Template | TemplateKind::Shell
                if site.text.contains('{') && (site.text.contains(['<', '>', '=']) || site.text.contains(" is ")) =>
            {
                crate::template_comparisons(site.text)
            }
            TemplateKind::Template | TemplateKind::Shell => continue,
        };
        for comparison in found {
            if callee.is_some() && !reads_callee(&comparison.left) && !reads_callee(&comparison.right) {
                continue;
            }
            let right = match (comparison.comparator, &comparison.right.form) {
                (Comparator::In | Comparator::NotIn, OperandForm::Items(kind)) => items_type(*kind),
                (_, form) => type_of(types, form, callee),
            };
            let (Some(left), Some(right)) = (type_of(types, &comparison.left.form, callee), right) else {
                continue;
            };
            // A duration against `"5s"` compares milliseconds (the
            // engine's guard converts it, in expressions and templates
            // alike), and against a bare number the unit is implied.
            let unconverted = matches!(comparison.comparator, Comparator::In | Comparator::NotIn);
            let (l, r) = (&comparison.left, &comparison.right);
            let written = |side: &Operand| written_duration(side).is_some();
            if !unconverted
                && ((left.kind == Kind::Duration && written(r)) || (right.kind == Kind::Duration && written(l)))
            {
                continue;
            }
            let bare = |side: &Operand| side.form == OperandForm::Literal(ValueKind::Number);
            match (left.kind.numeric(), right.kind.numeric()) {
                (true, true) if !unconverted && left.kind == Kind::Duration && bare(r) => {
                    out.push(bare_milliseconds(site, &comparison, l, r));
                }
                (true, true) if !unconverted && right.kind == Kind::Duration && bare(l) => {
                    out.push(bare_milliseconds(site, &comparison, r, l));
                }
                (true, true) => {}
                _ if left.kind != right.kind => out.push(mismatch(site, &comparison, &left, &right)),
                _ if left.kind == Kind::Text && ordering(comparison.comparator) && (numeric(l) || numeric(r)) => {
                    out.push(text_ordered(site, &comparison, &left, &right));
                }
                _ if left.kind == Kind::Text && ordering(comparison.comparator) && (version(l) || version(r)) => {
                    out.push(version_ordered(site, &comparison, &left, &right));
                }
                _ if left.kind == Kind::Text && ordering(comparison.comparator) && (written(l) || written(r)) => {
                    out.push(duration_ordered(site, &comparison, &left, &right));
                }
                _ if left.kind == Kind::Text && ordering(comparison.comparator) && (with_unit(l) || with_unit(r)) => {
                    out.push(unit_ordered(site, &comparison, &left, &right));
                }
                _ => {}
            }
        }
    }
}

const fn ordering(comparator: Comparator) -> bool {
    matches!(comparator, Comparator::Lt | Comparator::Le | Comparator::Gt | Comparator::Ge)
}

/// A quoted literal that reads as a number (`"90"`).
fn numeric(side: &Operand) -> bool {
    side.form == OperandForm::Literal(ValueKind::String)
        && serde_json::from_str::<String>(&side.text).is_ok_and(|text| text.trim().parse::<f64>().is_ok())
}

/// `vars.pct > "90"`: text ordered against a number in quotes, which
/// orders "100" before "90".
fn text_ordered(site: &TemplateSite<'_>, comparison: &Comparison, left: &Known, right: &Known) -> Diagnostic {
    let (l, op, r) = (&comparison.left.text, comparison.comparator.symbol(), &comparison.right.text);
    let (text, known) = if numeric(&comparison.left) { (r, right) } else { (l, left) };
    let fix = known.fix.clone().unwrap_or_else(|| format!("convert it: `{text} | int`"));
    // `"2.10"` reads as a number and as a version: `type: float` makes it
    // 2.1, below 2.9, so a version gets the other reading too
    // (review-10-attack6 L10).
    let dotted = [&comparison.left, &comparison.right].into_iter().any(|side| {
        numeric(side) && serde_json::from_str::<String>(&side.text).is_ok_and(|text| text.trim().contains('.'))
    });
    let versions = if dotted {
        format!("; if these are versions (\"2.10\" after \"2.9\"), compare `{l} | version {op} {r} | version`")
    } else {
        String::new()
    };
    Diagnostic::new(Code::ComparedTypes, site.span, format!("`{l} {op} {r}` orders text, not numbers"))
        .with_label(format!("{}; \"100\" comes before \"90\" as text", known.why))
        .with_help(format!("{fix}, and compare with a number without quotes{versions}"))
}

/// A quoted literal that reads as a version (`"1.10.0"`).
fn version(side: &Operand) -> bool {
    side.form == OperandForm::Literal(ValueKind::String)
        && serde_json::from_str::<String>(&side.text).is_ok_and(|text| crate::reads_as_version(&text))
}

/// `vars.ver < "1.10.0"`: text ordered against a version, which orders
/// "1.10.0" before "1.9.3".
fn version_ordered(site: &TemplateSite<'_>, comparison: &Comparison, left: &Known, right: &Known) -> Diagnostic {
    let (l, op, r) = (&comparison.left.text, comparison.comparator.symbol(), &comparison.right.text);
    let known = if version(&comparison.left) { right } else { left };
    Diagnostic::new(Code::ComparedTypes, site.span, format!("`{l} {op} {r}` orders versions as text"))
        .with_label(format!("{}; \"1.10.0\" comes before \"1.9.3\" as text", known.why))
        .with_help(format!("compare them as versions: `{l} | version {op} {r} | version`"))
}

/// `vars.up < "5m"` with a text capture: text ordered against a duration,
/// which orders "10m" before "5m".
fn duration_ordered(site: &TemplateSite<'_>, comparison: &Comparison, left: &Known, right: &Known) -> Diagnostic {
    let (l, op, r) = (&comparison.left.text, comparison.comparator.symbol(), &comparison.right.text);
    let (text, known) = if written_duration(&comparison.left).is_some() { (r, right) } else { (l, left) };
    let capture = match text.strip_prefix("vars.") {
        Some(name) if shape::is_identifier(name) => format!("give the capture `{name}` a `type: duration`, or write "),
        _ => "write ".to_owned(),
    };
    let converted = |side: &Operand| {
        if written_duration(side).is_some() { side.text.clone() } else { format!("{} | milliseconds", side.text) }
    };
    Diagnostic::new(Code::ComparedTypes, site.span, format!("`{l} {op} {r}` orders durations as text"))
        .with_label(format!("{}; \"10m\" comes before \"5m\" as text", known.why))
        .with_help(format!(
            "{capture}`{} {op} {}`: a number of milliseconds orders against a duration with units",
            converted(&comparison.left),
            converted(&comparison.right)
        ))
}

/// A quoted literal that is a number with a size or percent unit
/// (`"512M"`, `"1.5Gi"`, `"90%"`), as `redis-cli INFO`, `df -h` and
/// `kubectl top` print them.
fn with_unit(side: &Operand) -> bool {
    side.form == OperandForm::Literal(ValueKind::String)
        && serde_json::from_str::<String>(&side.text).is_ok_and(|text| crate::reads_as_number_with_unit(&text))
}

/// `vars.used > "512M"`, `vars.use >= "90%"` with a text capture: numbers
/// with a unit ordered as text, which puts "941.29K" after "512M" and
/// "100%" before "90%" (review-10-attack6 H1).
fn unit_ordered(site: &TemplateSite<'_>, comparison: &Comparison, left: &Known, right: &Known) -> Diagnostic {
    let (l, op, r) = (&comparison.left.text, comparison.comparator.symbol(), &comparison.right.text);
    let known = if with_unit(&comparison.left) { right } else { left };
    Diagnostic::new(Code::ComparedTypes, site.span, format!("`{l} {op} {r}` orders numbers with a unit as text"))
        .with_label(format!("{}; \"941.29K\" comes after \"512M\" and \"100%\" before \"90%\" as text", known.why))
        .with_help(
            "capture the number alone in one unit, with `type: float` (`used_memory:(\\d+)` in bytes, `(\\d+)%` for a \
             percentage), and compare it with a number without quotes: `vars.use >= 90`",
        )
}

/// The duration a string literal writes with units (`"500ms"`).
fn written_duration(side: &Operand) -> Option<crate::Duration> {
    if side.form != OperandForm::Literal(ValueKind::String) {
        return None;
    }
    let text: String = serde_json::from_str(&side.text).ok()?;
    crate::Duration::parse(&text).ok()
}

/// A duration compared with a bare number, which counts milliseconds.
fn bare_milliseconds(
    site: &TemplateSite<'_>,
    comparison: &Comparison,
    duration: &Operand,
    number: &Operand,
) -> Diagnostic {
    let (l, op, r) = (&comparison.left.text, comparison.comparator.symbol(), &comparison.right.text);
    let n = &number.text;
    Diagnostic::new(
        Code::DurationWithoutUnit,
        site.span,
        format!("`{l} {op} {r}` compares a duration with a bare number, which counts milliseconds"),
    )
    .with_label(format!("`{}` is a duration; `{n}` is {n} ms", duration.text))
    .with_help(format!("write the unit: `\"{n}s\"` for seconds, or `\"{n}ms\"` if milliseconds are meant"))
}

fn mismatch(site: &TemplateSite<'_>, comparison: &Comparison, left: &Known, right: &Known) -> Diagnostic {
    let (l, op, r) = (&comparison.left.text, comparison.comparator.symbol(), &comparison.right.text);
    let mut kinds = [left.kind.named(), right.kind.named()];
    kinds.sort();
    let message = format!("`{l} {op} {r}` compares {} with {}", kinds[0].name(), kinds[1].name());
    let help = if kinds == [Kind::Text, Kind::Number] {
        text_number_help(comparison, left, right)
    } else {
        let (flag, other, other_type) =
            if left.kind == Kind::Bool { (l, &comparison.right, right) } else { (r, &comparison.left, left) };
        let unquoted = other.text.trim_matches(['"', '\'']);
        match (other_type.kind, &other.form) {
            (Kind::Text, OperandForm::Literal(ValueKind::String)) if matches!(unquoted, "true" | "false") => {
                format!("remove the quotes: `{unquoted}`")
            }
            // A confirm's answer is `"yes"` or `"no"` (review-10-attack5 L1).
            (Kind::Text, _) if other_type.why.contains("(confirm)") => {
                let answer = if flag.as_str() == "false" { "no" } else { "yes" };
                format!("a confirm's answer is the string \"yes\" or \"no\": write `{} == \"{answer}\"`", other.text)
            }
            (Kind::Text, _) => format!("compare `{flag}` with `true` or `false`, or `{}` with a string", other.text),
            _ => format!("`{flag}` is a boolean: compare it with `true` or `false`"),
        }
    };
    Diagnostic::new(Code::ComparedTypes, site.span, message)
        .with_label(format!("{}; {}", left.why, right.why))
        .with_help(help)
}

/// The fix for a string compared with a number.
fn text_number_help(comparison: &Comparison, left: &Known, right: &Known) -> String {
    let (text, text_type, number) = if left.kind.numeric() {
        (&comparison.right, right, &comparison.left)
    } else {
        (&comparison.left, left, &comparison.right)
    };
    let unquoted = text.text.trim_matches('"');
    match &text_type.fix {
        _ if text.form == OperandForm::Items(ValueKind::String) => {
            format!("write the list's items as numbers, or compare `{} | string`", number.text)
        }
        _ if text.form == OperandForm::Literal(ValueKind::String) => match unquoted.trim().parse::<f64>() {
            Ok(_) => format!("remove the quotes: `{}`", unquoted.trim()),
            Err(_) => format!("`{}` is a number: compare it with a number", number.text),
        },
        Some(fix) => format!("{fix}, or convert it here: `{} | int` (`| float` for decimals)", text.text),
        None => format!("convert it here: `{} | int` (`| float` for decimals)", text.text),
    }
}

fn type_of(types: &KnownTypes<'_>, form: &OperandForm, callee: Option<Callee<'_>>) -> Option<Known> {
    let known = |kind: Kind, why: String| Some(Known { kind, why, fix: None });
    match form {
        OperandForm::Literal(ValueKind::Number) => known(Kind::Number, "a number literal".to_owned()),
        OperandForm::Literal(ValueKind::String) => known(Kind::Text, "a quoted literal is a string".to_owned()),
        OperandForm::Literal(ValueKind::Bool) => known(Kind::Bool, "`true` and `false` are booleans".to_owned()),
        OperandForm::Filtered(name) => match name.as_str() {
            "int" | "float" | "length" | "count" | "abs" | "round" => {
                known(Kind::Number, format!("`| {name}` gives a number"))
            }
            "string" | "lower" | "upper" | "trim" | "title" | "capitalize" | "tojson" | "duration" => {
                known(Kind::Text, format!("`| {name}` gives a string"))
            }
            "bool" => known(Kind::Bool, "`| bool` gives a boolean".to_owned()),
            "milliseconds" => known(Kind::Duration, "`| milliseconds` gives a number of milliseconds".to_owned()),
            _ => None,
        },
        OperandForm::Path(path) => {
            let parts: Vec<&str> = path.iter().map(String::as_str).collect();
            match parts.as_slice() {
                ["inputs", name] => input_type(types.runbook, name),
                ["vars", name] => types.var(name),
                ["steps", id, "answer"] => types.answer(id),
                ["steps", id, "vars", name] => {
                    let callee = callee.filter(|callee| callee.step == *id)?;
                    let known = callee.types.var(name)?;
                    let file = callee.file;
                    Some(Known {
                        kind: known.kind,
                        why: format!("in `{file}`, {}", known.why),
                        fix: known.fix.map(|fix| format!("in `{file}`, {fix}")),
                    })
                }
                ["steps", _, "checklist", "complete"] => {
                    known(Kind::Bool, "`checklist.complete` is a boolean".to_owned())
                }
                ["steps", _, "notes", name] => known(Kind::Text, format!("note `{name}` is text, as typed in")),
                ["steps", _, "headers", name] | ["result", "headers", name] => Some(Known {
                    kind: Kind::Text,
                    why: format!("header `{name}` is text"),
                    fix: Some(format!("convert it: `… | int`, or capture `header: {name}` with `type: int`")),
                }),
                ["steps", _, "timing", phase] | ["result", "timing", phase] => {
                    known(Kind::Duration, format!("`timing.{phase}` is a duration in milliseconds"))
                }
                ["steps", _, fact] | ["result", fact] => fact_type(fact),
                _ => None,
            }
        }
        OperandForm::Literal(_) | OperandForm::Items(_) | OperandForm::Other => None,
    }
}

/// The type of the items of a list literal `in` looks among.
fn items_type(kind: ValueKind) -> Option<Known> {
    let (kind, items) = match kind {
        ValueKind::Number => (Kind::Number, "numbers"),
        ValueKind::String => (Kind::Text, "strings"),
        ValueKind::Bool => (Kind::Bool, "booleans"),
        _ => return None,
    };
    Some(Known { kind, why: format!("a list of {items}"), fix: None })
}

fn input_type(runbook: &Runbook, name: &str) -> Option<Known> {
    let input = runbook.inputs.get(name)?;
    match input.input_type() {
        InputType::Number => {
            Some(Known { kind: Kind::Number, why: format!("input `{name}` has `type: number`"), fix: None })
        }
        InputType::Bool => Some(Known { kind: Kind::Bool, why: format!("input `{name}` has `type: bool`"), fix: None }),
        InputType::String => Some(Known {
            kind: Kind::Text,
            why: format!("input `{name}` is a string"),
            fix: Some(format!("declare the input `{name}` with `type: number`")),
        }),
        InputType::List => None,
    }
}

/// One capture of a var: the type it gives, when that can be told (not
/// for a `json` capture), and whether it sits inside a `foreach`, which
/// makes the var a list of such values.
struct Captured {
    known: Option<Known>,
    per_item: bool,
}

/// The captures in `step`, each with the var it sets, in file order.
fn captures(step: &Step) -> Vec<(&str, Captured)> {
    let mut found = Vec::new();
    if let Some(check) = step.probing() {
        walk(check, false, &mut found);
    }
    if let Some(action) = &step.action {
        found.extend(
            action.capture.iter().map(|(name, capture)| {
                (name.as_str(), Captured { known: capture_type(name, capture), per_item: false })
            }),
        );
    }
    found
}

fn walk<'a>(check: &'a Check, in_foreach: bool, found: &mut Vec<(&'a str, Captured)>) {
    let in_foreach = in_foreach || check.foreach.is_some();
    for (name, capture) in &check.capture {
        found.push((name.as_str(), Captured { known: capture_type(name, capture), per_item: in_foreach }));
    }
    for member in check.probes.iter().flat_map(|probes| probes.values()) {
        walk(member, in_foreach, found);
    }
}

fn capture_type(name: &str, capture: &Capture) -> Option<Known> {
    let typed = |kind: Kind, capture_type: CaptureType| {
        Some(Known { kind, why: format!("capture `{name}` has `type: {}`", capture_type.name()), fix: None })
    };
    match capture.kind.as_ref().map(|kind| kind.value) {
        Some(kind @ (CaptureType::Int | CaptureType::Float)) => typed(Kind::Number, kind),
        Some(kind @ CaptureType::Duration) => typed(Kind::Duration, kind),
        Some(kind @ CaptureType::String) => typed(Kind::Text, kind),
        Some(kind @ CaptureType::Bool) => typed(Kind::Bool, kind),
        Some(CaptureType::Json) => None,
        None if capture.status.is_some() => {
            Some(Known { kind: Kind::Number, why: format!("capture `{name}` reads the status"), fix: None })
        }
        None if capture.tls.as_ref().is_some_and(|fact| fact.value == CertificateFact::DaysLeft) => Some(Known {
            kind: Kind::Number,
            why: format!("capture `{name}` reads the certificate's `days_left`"),
            fix: None,
        }),
        None if capture.json.is_some() => None,
        None => {
            let source = capture.sources().first().map_or("text", |(source, _)| *source);
            Some(Known {
                kind: Kind::Text,
                why: format!("capture `{name}` is a `{source}` capture, which gives a string"),
                fix: Some(format!("give the capture `{name}` a `type: int` (or `float`)")),
            })
        }
    }
}

/// The type of a step's fact: its own (`duration`, `outcome`), or what its
/// probe kind says the fact holds (`ProbeKind::facts`, typed by each kind).
fn fact_type(fact: &str) -> Option<Known> {
    let kind = match fact {
        "duration" | "probe_duration" => Kind::Duration,
        "outcome" => Kind::Text,
        _ => match ProbeKind::ALL.iter().flat_map(|kind| kind.facts()).find(|known| known.name == fact)?.holds {
            FactType::Number => Kind::Number,
            FactType::Text => Kind::Text,
            FactType::Bool => Kind::Bool,
            FactType::Structured => return None,
        },
    };
    Some(Known {
        kind,
        why: format!("`{fact}` is {}", kind.name()),
        fix: (kind == Kind::Text)
            .then(|| format!("compare `{fact}` with a string, or read a number from it with a capture")),
    })
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse, load};

    fn compared(captures: &str, when: &str) -> usize {
        reported(captures, when, Code::ComparedTypes)
    }

    fn reported(captures: &str, when: &str, code: Code) -> usize {
        let yaml = format!(
            "id: t\ntitle: T\ninputs:\n  n: {{ type: number, default: 1 }}\nsteps:\n  - id: a\n    collect:\n      \
             cmd: {{ argv: [echo] }}\n{captures}\n    next:\n      - when: \"{when}\"\n        goto: b\n  - id: b\n    \
             conclude: {{ status: inconclusive }}\n  - id: ask\n    ask: {{ question: Q?, type: text }}\n  - id: count\n    \
             ask: {{ question: N?, type: number }}\n"
        );
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        analyse(&runbook).iter().filter(|d| d.code == code).count()
    }

    #[test]
    fn a_test_of_none_over_a_typed_capture_never_holds() {
        let capture = |source: &str| format!("      capture:\n        v: {{ {source} }}");
        let constant = |source: &str, when: &str| reported(&capture(source), when, Code::ConstantCondition);
        assert_eq!(constant("stdout: true", "vars.v is none"), 1);
        assert_eq!(constant("regex: '(x)'", "not (vars.v is not none)"), 1);
        assert_eq!(constant("regex: '(x)', type: int", "vars.v == none"), 1);
        assert_eq!(constant("header: x-role", "none != vars.v"), 1);
        assert_eq!(constant("json: $.v", "vars.v is none"), 0);
        assert_eq!(constant("stdout: true", "vars.v is defined and vars.v == 'null'"), 0);
    }

    #[test]
    fn only_types_known_before_the_run_are_reported() {
        let capture = |source: &str| format!("      capture:\n        v: {{ {source} }}");
        assert_eq!(compared(&capture("regex: '(x)'"), "vars.v > inputs.n"), 1);
        assert_eq!(compared(&capture("stdout: true"), "inputs.n <= vars.v"), 1);
        assert_eq!(compared(&capture("regex: '(x)', type: float"), "vars.v > inputs.n"), 0);
        assert_eq!(compared(&capture("regex: '(x)'"), "vars.v | int > inputs.n"), 0);
        assert_eq!(compared(&capture("regex: '(x)'"), "vars.v == 'x' and steps.a.exit_code == 0"), 0);
        assert_eq!(compared(&capture("json: $.v"), "vars.v > inputs.n"), 0);
        assert_eq!(compared(&capture("tls: days_left"), "vars.v > inputs.n"), 0);
        assert_eq!(compared(&capture("tls: not_after"), "vars.v > inputs.n"), 1);
        let foreach = "      foreach: [1, 2]\n      capture:\n        v: { regex: '(x)' }";
        assert_eq!(compared(foreach, "vars.v > inputs.n"), 0);
        assert_eq!(compared(&capture("regex: '(x)'"), "steps.a.exit_code != '0' or 1 < vars.v"), 2);
        assert_eq!(compared("", "steps.ask.answer > 3 or steps.count.answer > 3 or steps.count.answer == '3'"), 2);
        assert_eq!(compared(&capture("regex: '(x)'"), "vars.v in [20, 30] or inputs.n not in ['1']"), 2);
        assert_eq!(compared(&capture("regex: '(x)'"), "vars.v in ['20'] or inputs.n in [1, 2] or 'x' in vars.v"), 0);
        assert_eq!(compared(&capture("regex: '(x)'"), "vars.v == [20] or vars.v in [1, vars.v]"), 0);
    }

    #[test]
    fn durations_compare_with_units_and_warn_against_bare_numbers() {
        let bare = |captures: &str, when: &str| reported(captures, when, Code::DurationWithoutUnit);
        let capture = "      capture:\n        d: { regex: '(\\S+)', type: duration }";
        assert_eq!(bare("", "steps.a.duration > 5 or 1000 <= steps.a.duration"), 2);
        assert_eq!(bare(capture, "vars.d >= 500"), 1);
        assert_eq!(bare("", "steps.a.duration > '5s' or steps.a.duration < inputs.n"), 0);
        assert_eq!(compared(capture, "vars.d > '1m30s' or steps.a.duration == '500ms'"), 0);
        assert_eq!(compared("", "steps.a.exit_code > '5s' or steps.a.duration > 'soon'"), 2);
        let template = |condition: &str| {
            let yaml = format!(
                "id: t\ntitle: T\nsteps:\n  - id: a\n    collect: {{ cmd: {{ argv: [echo] }} }}\n  - id: b\n    \
                 conclude: {{ status: resolved, diagnosis: \"{{% if {condition} %}}slow{{% endif %}}\" }}\n"
            );
            let runbook = load(&Source::new("t.yaml", &yaml)).expect("loads");
            analyse(&runbook).iter().map(|d| d.code).collect::<Vec<Code>>()
        };
        assert!(!template("steps.a.duration > '5s'").contains(&Code::ComparedTypes), "templates convert durations too");
        assert!(template("steps.a.duration > 5").contains(&Code::DurationWithoutUnit));
    }

    #[test]
    fn a_duration_printed_without_its_unit_is_reported() {
        let printed = |diagnosis: &str| {
            let yaml = format!(
                "id: t\ntitle: T\nsteps:\n  - id: a\n    check:\n      cmd: {{ argv: [echo] }}\n      \
                 capture: {{ d: {{ regex: '(\\S+)', type: duration }} }}\n    next: b\n  - id: b\n    \
                 conclude: {{ status: resolved, diagnosis: \"{diagnosis}\" }}\n"
            );
            let runbook = load(&Source::new("t.yaml", &yaml)).expect("loads");
            analyse(&runbook)
                .into_iter()
                .filter(|d| d.code == Code::DurationWithoutUnit)
                .map(|d| d.message)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            printed("took {{ steps.a.duration }}, the probe {{steps['a'].probe_duration}}, then {{ vars.d }}"),
            [
                "`{{ steps.a.duration }}` prints a duration as a bare number of milliseconds",
                "`{{steps['a'].probe_duration}}` prints a duration as a bare number of milliseconds",
                "`{{ vars.d }}` prints a duration as a bare number of milliseconds",
            ]
        );
        assert!(
            printed(
                "took {{ steps.a.duration | duration }} ({{ steps.a.duration | int }} ms), {{ steps.a.exit_code }}"
            )
            .is_empty()
        );
    }

    #[test]
    fn text_ordered_against_a_quoted_number_is_reported() {
        let capture = "      capture:\n        v: { regex: '(x)' }";
        assert_eq!(compared(capture, "vars.v > '90' or '5' <= vars.v"), 2);
        assert_eq!(compared(capture, "vars.v == '90' or vars.v > 'a'"), 0);
    }

    #[test]
    fn booleans_compared_with_strings_or_numbers_are_reported() {
        let capture = |source: &str| format!("      capture:\n        v: {{ {source} }}");
        assert_eq!(compared(&capture("regex: '(x)', type: bool"), "vars.v == 'true' or vars.v == 1"), 2);
        assert_eq!(compared(&capture("regex: '(x)'"), "vars.v == true or steps.a.timed_out != 0"), 2);
        assert_eq!(compared("", "steps.a.checklist.complete == 'true' or steps.a.checklist.complete in [1]"), 2);
        assert_eq!(compared(&capture("regex: '(x)', type: bool"), "vars.v == true or vars.v in [false]"), 0);
        assert_eq!(compared(&capture("json: $.v"), "vars.v == 'true'"), 0);
    }

    /// Every fact a probe kind lists has its type there (`ProbeKind::facts`):
    /// the dropped-byte counts and the signal are numbers, the address and
    /// the final URL text, with no list of names kept by hand here.
    #[test]
    fn each_probe_fact_is_compared_as_its_kind_types_it() {
        assert_eq!(compared("", "steps.a.stdout_dropped_bytes > '0' or steps.a.signal == 'TERM'"), 2);
        assert_eq!(compared("", "steps.a.final_url > 3 or steps.a.address == 80"), 2);
        assert_eq!(compared("", "steps.a.stdout_dropped_bytes > 0 or steps.a.json == '1' or steps.a.tls == 3"), 0);
    }
}
