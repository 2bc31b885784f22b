//! Literals that decide or mislead a condition: `x == "a" or "b"` is
//! always true (RB315), and `x in "a,b"` looks for `x` inside the text, so
//! an empty value is "in" it (RB316). Both pass Jinja without a word and
//! branch the same way whatever the run observed. So does a map fact taken
//! for a truth (`when: steps.drain.checklist`, RB315).

use minijinja::value::ValueKind;

use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Code, Comparator, Comparison, ConstantTruth, Diagnostic, InputType, OperandForm, Runbook};

pub(crate) fn check(runbook: &Runbook, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    for site in sites {
        let template = site.kind != TemplateKind::Expression;
        if template && !site.text.contains("{{") && !site.text.contains("{%") {
            continue;
        }
        let truths =
            if template { crate::template_constant_truths(site.text) } else { crate::constant_truths(site.text) };
        out.extend(truths.into_iter().map(|truth| constant(site, truth)));
        if !template {
            out.extend(map_truth(runbook, site));
        }
        let comparisons = if template { crate::template_comparisons(site.text) } else { crate::comparisons(site.text) };
        for comparison in comparisons {
            let member = matches!(comparison.comparator, Comparator::In | Comparator::NotIn);
            let searched_literal = comparison.right.form == OperandForm::Literal(ValueKind::String);
            let searched_for_value = !matches!(comparison.left.form, OperandForm::Literal(_));
            if member && searched_literal && searched_for_value {
                out.push(substring(site, &comparison.left.text, comparison.comparator, &comparison.right.text, None));
            }
            if member
                && searched_for_value
                && let Some(default) = string_input(runbook, &comparison.right.form)
            {
                let text = serde_json::Value::from(default).to_string();
                let input = Some(comparison.right.text.as_str());
                out.push(substring(site, &comparison.left.text, comparison.comparator, &text, input));
            }
            if let Some(diagnostic) = whole_output(site, &comparison) {
                out.push(diagnostic);
            }
        }
    }
}

/// RB315 for a map fact whose truth a `when` or `stop_if` takes:
/// `steps.drain.checklist` (or `.notes`) is a map with its fields whatever
/// was ticked or typed, so it is always true (the run stops on it).
fn map_truth(runbook: &Runbook, site: &TemplateSite<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for path in crate::comparison::truth_paths(site.text) {
        let [root, id, fact] = path.as_slice() else { continue };
        let instruct = runbook.steps.iter().any(|step| step.id.as_str() == id && step.instruct.is_some());
        if root != "steps" || !instruct || !matches!(fact.as_str(), "checklist" | "notes") {
            continue;
        }
        let text = format!("steps.{id}.{fact}");
        let fix = if fact == "checklist" {
            format!("did you mean `{text}.complete` (every item ticked)? Or test an item: `\"…\" in {text}.ticked`")
        } else {
            format!("test one note: `{text}.NAME is not none` (a note left empty is none)")
        };
        found.push(
            Diagnostic::new(
                Code::ConstantCondition,
                site.span,
                format!("`{text}` is a map, which counts as true whatever it holds"),
            )
            .with_label("the truth of a map never changes")
            .with_help(fix),
        );
    }
    found
}

fn constant(site: &TemplateSite<'_>, truth: ConstantTruth) -> Diagnostic {
    let ConstantTruth { literal, within, membership } = truth;
    let help = membership.map_or_else(
        || {
            format!(
                "compare a value with it (`vars.x == {literal}`), or test one of several: `vars.x in [\"a\", \"b\"]`"
            )
        },
        |membership| format!("to test one of several values, write `{membership}`"),
    );
    Diagnostic::new(
        Code::ConstantCondition,
        site.span,
        format!("`{within}` does not depend on the run: `{literal}` is a literal"),
    )
    .with_label(format!(
        "the truth of `{literal}` never changes (a non-empty string, a number other than 0 or a list is always true)"
    ))
    .with_help(help)
}

/// `inputs.NAME` of a `string` input (declared, or by its string
/// default), with its default (`""` without one).
fn string_input<'r>(runbook: &'r Runbook, form: &OperandForm) -> Option<&'r str> {
    let OperandForm::Path(path) = form else { return None };
    let [root, name] = path.as_slice() else { return None };
    let input = runbook.inputs.iter().find(|(input, _)| root == "inputs" && input.value == *name).map(|(_, i)| i)?;
    let default = input.default.as_ref().map(|default| &default.value);
    match (input.kind.as_ref().map(|kind| kind.value), default) {
        (None | Some(InputType::String), Some(serde_json::Value::String(text))) => Some(text),
        (Some(InputType::String), None) => Some(""),
        _ => None,
    }
}

/// `value in text`, `text` written as a JSON string: the literal, or the
/// default of `input` (`inputs.states`).
fn substring(
    site: &TemplateSite<'_>,
    value: &str,
    comparator: Comparator,
    text: &str,
    input: Option<&str>,
) -> Diagnostic {
    let words: Option<Vec<String>> = serde_json::from_str::<String>(text).ok().map(|unquoted| {
        unquoted
            .split([',', '|', ' '])
            .map(str::trim)
            .filter(|word| !word.is_empty())
            .map(|word| serde_json::Value::from(word).to_string())
            .collect()
    });
    let op = comparator.symbol();
    if let Some(input) = input {
        let list = words
            .as_deref()
            .filter(|words| !words.is_empty())
            .map_or_else(|| "[\"…\", \"…\"]".to_owned(), |words| format!("[{}]", words.join(", ")));
        return Diagnostic::new(
            Code::SubstringOfLiteral,
            site.span,
            format!("`{value} {} {input}` looks for `{value}` inside the text of a `string` input, not among its words", comparator.symbol()),
        )
        .with_label(if text == "\"\"" {
            format!("`{input}` is text: an empty value, or any piece of a word, is in it")
        } else {
            format!("`{input}` is text (its default is {text}): an empty value, or any piece of a word, is in it")
        })
        .with_help(format!(
            "declare the input `type: list` with `default: {list}` (given as `-i NAME=a,b`), or compare one value with `==`"
        ));
    }
    let fix = match words.as_deref() {
        Some([word]) => {
            let equal = if comparator == Comparator::NotIn { "!=" } else { "==" };
            format!("to test for that one value, compare: `{value} {equal} {word}`")
        }
        Some(words) if !words.is_empty() => {
            format!("to test one of several values, write a list: `{value} {op} [{}]`", words.join(", "))
        }
        _ => format!("to test one of several values, write a list: `{value} {op} [\"…\", \"…\"]`"),
    };
    Diagnostic::new(
        Code::SubstringOfLiteral,
        site.span,
        format!("`{value} {op} {text}` looks for `{value}` inside the text {text}, not among its words"),
    )
    .with_label("an empty value, or any piece of a word, is in the text")
    .with_help(fix)
}

/// `result.stdout == "active\n"`: a command's output is read without its
/// final newline, so it never equals a text written with one.
fn whole_output(site: &TemplateSite<'_>, comparison: &Comparison) -> Option<Diagnostic> {
    let equality = matches!(comparison.comparator, Comparator::Eq | Comparator::Ne);
    let member = matches!(comparison.comparator, Comparator::In | Comparator::NotIn);
    let (output, literal) = [(&comparison.left, &comparison.right), (&comparison.right, &comparison.left)]
        .into_iter()
        .find(|(output, _)| {
            let OperandForm::Path(path) = &output.form else { return false };
            let parts: Vec<&str> = path.iter().map(String::as_str).collect();
            matches!(parts.as_slice(), ["result" | "steps", .., "stdout" | "stderr" | "body"] if parts.len() <= 3)
        })?;
    let texts: Vec<String> = match &literal.form {
        OperandForm::Literal(ValueKind::String) if equality => vec![serde_json::from_str(&literal.text).ok()?],
        OperandForm::Items(ValueKind::String) if member => serde_json::from_str(&literal.text).ok()?,
        _ => return None,
    };
    let line = texts.into_iter().find(|text| text.ends_with('\n'))?;
    let (l, op, r) = (&comparison.left.text, comparison.comparator.symbol(), &comparison.right.text);
    let shown = serde_json::Value::from(line.as_str());
    let without = serde_json::Value::from(line.strip_suffix('\n').unwrap_or(&line));
    Some(
        Diagnostic::new(
            Code::WholeOutputCompared,
            site.span,
            format!(
                "`{l} {op} {r}` compares `{}` with text ending in a newline, which it never ends with",
                output.text
            ),
        )
        .with_label(format!("`{}` is read without its final newline, so it is never {shown}", output.text))
        .with_help(format!("write the text without it: {without}")),
    )
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse, load};

    fn reported(when: &str, code: Code) -> Vec<String> {
        let yaml = format!(
            "id: t\ntitle: T\ninputs:\n  env: {{ default: dev }}\nsteps:\n  - id: q\n    instruct: {{ text: go }}\n    next:\n      \
             - when: '{when}'\n        goto: done\n      - goto: done\n  - id: done\n    conclude: {{ status: inconclusive }}\n"
        );
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        analyse(&runbook)
            .into_iter()
            .filter(|d| d.code == code)
            .map(|d| format!("{} | {}", d.message, d.help.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_condition_a_literal_decides_is_an_error_with_the_list_to_write() {
        let found = reported(r#"inputs.env == "prod" or "staging""#, Code::ConstantCondition);
        assert_eq!(
            found,
            [
                r#"`(inputs.env == "prod") or "staging"` does not depend on the run: `"staging"` is a literal | to test one of several values, write `inputs.env in ["prod", "staging"]`"#
            ]
        );
        assert_eq!(reported(r#"inputs.env == ("prod" or "staging")"#, Code::ConstantCondition).len(), 1);
        assert_eq!(reported(r#"inputs.env in ["prod", "staging"]"#, Code::ConstantCondition), Vec::<String>::new());
    }

    #[test]
    fn an_output_compared_with_a_text_ending_in_a_newline_is_a_warning() {
        let found =
            reported(r#"steps.q.stdout == "active" or "failed\n" == steps.q.stderr"#, Code::WholeOutputCompared);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].ends_with(r#"write the text without it: "failed""#), "{found:?}");
        assert_eq!(reported(r#"steps.q.stdout in ["active\n", "activating"]"#, Code::WholeOutputCompared).len(), 1);
        assert_eq!(
            reported(r#"steps.q.stdout in ["active", "activating"]"#, Code::WholeOutputCompared),
            Vec::<String>::new()
        );
        assert_eq!(reported(r#"steps.q.stdout == "active""#, Code::WholeOutputCompared), Vec::<String>::new());
        assert_eq!(reported(r#""active" in steps.q.stdout"#, Code::WholeOutputCompared), Vec::<String>::new());
    }

    #[test]
    fn a_value_looked_for_inside_a_string_literal_is_a_warning() {
        let found = reported(r#"inputs.env in "prod,staging""#, Code::SubstringOfLiteral);
        assert_eq!(found.len(), 1);
        assert!(found[0].ends_with(r#"write a list: `inputs.env in ["prod", "staging"]`"#), "{found:?}");
        assert_eq!(reported(r#""prod" in inputs.env"#, Code::SubstringOfLiteral), Vec::<String>::new());
        assert_eq!(reported(r#"inputs.env not in ("prod")"#, Code::SubstringOfLiteral).len(), 1);
    }
}
