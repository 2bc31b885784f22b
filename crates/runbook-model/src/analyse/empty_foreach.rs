//! A check's `foreach` list that is or may be empty: the literal `[]`, or
//! one whole `{{ inputs.NAME }}` or `{{ vars.NAME }}` whose default is
//! `[]`. The step then runs no probe and errs `empty_foreach` ("no pods
//! found" is not "all pods healthy"), which an `error:` route written for
//! "could not check" takes unless it asks for that kind.

use serde_json::Value;

use crate::{Code, Diagnostic, Runbook, Step, Target, whole_expression};

pub(crate) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for step in runbook.steps.iter() {
        let Some(foreach) = step.check.as_ref().and_then(|check| check.foreach.as_ref()) else { continue };
        let why = match &foreach.value {
            Value::Array(items) if items.is_empty() => "the list is empty".to_owned(),
            Value::String(text) => match whole_expression(text).and_then(|inner| empty_default(runbook, inner)) {
                Some(why) => why,
                None => continue,
            },
            _ => continue,
        };
        if routes_empty(step) {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::EmptyForeach,
                foreach.span,
                format!("step `{}` may check nothing: {why}, and then it errs `empty_foreach`", step.id.value),
            )
            .with_label("an empty list runs no probe")
            .with_help(format!(
                "route that case first, under `error:` (`- when: result.error.kind == \"empty_foreach\"`, to a \
                 step that says nothing was found){}",
                if foreach.value.is_array() { ", or list the items" } else { ", or drop the `default: []`" }
            )),
        );
    }
}

/// Why `inputs.NAME` or `vars.NAME` may be `[]`: its default is.
fn empty_default(runbook: &Runbook, expression: &str) -> Option<String> {
    let empty = |default: Option<&Value>| default.is_some_and(|value| value.as_array().is_some_and(Vec::is_empty));
    if let Some(name) = expression.strip_prefix("inputs.") {
        let input = runbook.inputs.get(name)?;
        return empty(input.default.as_ref().map(|d| &d.value)).then(|| format!("the input `{name}` defaults to `[]`"));
    }
    let name = expression.strip_prefix("vars.")?;
    let defaulted = runbook.steps.iter().filter_map(|step| step.probing()).any(|check| {
        check
            .capture
            .iter()
            .any(|(key, capture)| key.as_str() == name && empty(capture.default.as_ref().map(|d| &d.value)))
    });
    defaulted.then(|| format!("the capture `{name}` defaults to `[]` when it finds nothing"))
}

/// Whether a `when` of the step already asks for `empty_foreach`.
fn routes_empty(step: &Step) -> bool {
    let on = step.on.iter().flat_map(|on| on.value.values());
    let next = step.next.iter();
    on.chain(next).any(|target| match &target.value {
        Target::Goto(_) => false,
        Target::Branches(branches) => {
            branches.iter().filter_map(|branch| branch.when.as_ref()).any(|when| when.contains("empty_foreach"))
        }
    })
}
