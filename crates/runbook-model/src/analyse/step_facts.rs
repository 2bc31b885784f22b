//! `steps.ID.FIELD` and `result.FIELD` where that step never has FIELD
//! (`steps.p.outcom`, `steps.tick.checklist.compelte`, a note it does not
//! ask for), and an `outcome`, `decision` or closed `answer` compared with
//! a value it never takes (`steps.p.outcome == "passed"`). Each reads as
//! unset or as never equal at run time: a branch that is dead, or a run
//! that stops, found here with "did you mean".

use std::collections::HashMap;

use minijinja::value::ValueKind;

use crate::analyse::{TemplateKind, TemplateSite};
use crate::comparison::read_paths;
use crate::{
    Check, Code, Comparator, Comparison, ConclusionStatus, Diagnostic, Operand, OperandForm, Outcome, Runbook,
    Severity, Step, StepKind, did_you_mean,
};

/// What every step that ran has.
const COMMON: &[&str] = &["duration"];
/// Why a step's outcome is `error`, or that its `timeout:` cut it: a step
/// that runs probes may have it, any other only with a `timeout:`.
const ERROR_FACT: &str = "error";
/// What a step with one probe has besides its observation: the probe's
/// own time, where `duration` is the step's.
pub(crate) const PROBE_DURATION: &str = "probe_duration";
/// What a step that runs probes has.
const JUDGED: &[&str] = &["outcome", ERROR_FACT];
/// The facts of `foreach` and `probes:`, instead of one observation's.
const MANY: &[&str] = &["items", "failed"];
/// `steps.ID.checklist` of an `instruct` step.
pub const CHECKLIST_FACTS: &[&str] = &["ticked", "unticked", "complete"];
/// `steps.ID.error`.
pub const ERROR_FACTS: &[&str] = &["kind", "message"];
/// `steps.ID.timing` of an http probe: its phases, in milliseconds.
pub const TIMING_FACTS: &[&str] = &["dns", "connect", "tls", "first_byte"];
const DECISIONS: &[&str] = &["run", "declined", "not_in_this_mode"];
/// `run.mode`.
const MODES: &[&str] = &["live", "read-only", "dry-run"];
/// `error.kind`, as the engine names its probe errors (docs/dsl.md lists
/// them); the engine's tests keep it equal to its `ErrorKind`.
pub const ERROR_KINDS: &[&str] = &[
    "timeout",
    "refused",
    "dns",
    "tls",
    "reset",
    "too_many_redirects",
    "invalid_target",
    "invalid_json",
    "invalid_capture",
    "type_mismatch",
    "spawn_failed",
    "empty_foreach",
    "interrupted",
    "killed",
    "io",
];

pub(crate) fn check(runbook: &Runbook, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    let steps: HashMap<&str, &Step> = runbook.steps.iter().map(|step| (step.id.as_str(), step)).collect();
    for site in sites {
        if !["steps", "result", "run"].iter().any(|name| site.text.contains(name)) {
            continue;
        }
        let template = site.kind != TemplateKind::Expression;
        for parts in read_paths(site.text, template) {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let found = match parts.as_slice() {
                ["steps", id, field, rest @ ..] => {
                    steps.get(id).map(|step| (format!("steps.{id}"), *step, *field, rest))
                }
                ["result", field, rest @ ..] if site.after_probe => site
                    .step
                    .and_then(|index| runbook.steps.get(index))
                    .map(|step| ("result".to_owned(), step, *field, rest)),
                _ => None,
            };
            if let Some((read, _, "headers", [name, ..])) = &found
                && name.chars().any(|c| c.is_ascii_uppercase())
            {
                out.push(header_case(site, read, name));
            }
            if let Some((read, step, field, rest)) = found
                && let Some(diagnostic) = unknown_fact(site, &read, step, field, rest)
            {
                out.push(diagnostic);
            }
        }
        let comparisons = if template { crate::template_comparisons(site.text) } else { crate::comparisons(site.text) };
        for comparison in comparisons {
            if let Some(diagnostic) = header_member(site, &comparison) {
                out.push(diagnostic);
            }
            for (fact, value) in [(&comparison.left, &comparison.right), (&comparison.right, &comparison.left)] {
                if let Some(diagnostic) = impossible_value(runbook, &steps, site, comparison.comparator, fact, value) {
                    out.push(diagnostic);
                }
            }
        }
    }
}

/// `result.headers["Content-Type"]`: the map's keys are lower-case, so
/// the read finds nothing and stops the run.
fn header_case(site: &TemplateSite<'_>, read: &str, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownStepFact,
        site.span,
        format!("`{read}.headers[\"{name}\"]` is never set: header names are lower-case there"),
    )
    .with_label(format!("reads header `{name}`"))
    .with_help(format!(
        "write `{read}.headers[\"{}\"]` (the `header:` subject and capture take any case)",
        name.to_ascii_lowercase()
    ))
}

/// `"X-Role" in result.headers`: the map's keys are lower-case, so a name
/// with capitals is never in it, and the branch is silently dead.
fn header_member(site: &TemplateSite<'_>, comparison: &Comparison) -> Option<Diagnostic> {
    if !matches!(comparison.comparator, Comparator::In | Comparator::NotIn) {
        return None;
    }
    let OperandForm::Path(path) = &comparison.right.form else { return None };
    if !matches!(
        path.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["result", "headers"] | ["steps", _, "headers"]
    ) {
        return None;
    }
    let (OperandForm::Literal(ValueKind::String), Ok(name)) =
        (&comparison.left.form, serde_json::from_str::<String>(&comparison.left.text))
    else {
        return None;
    };
    let map = &comparison.right.text;
    name.chars().any(|c| c.is_ascii_uppercase()).then(|| {
        Diagnostic::new(
            Code::UnknownStepFact,
            site.span,
            format!("`{map}` never holds \"{name}\": header names are lower-case there"),
        )
        .with_label(format!("looks for header `{name}`"))
        .with_help(format!(
            "write `\"{}\" {} {map}` (the `header:` subject and capture take any case)",
            name.to_ascii_lowercase(),
            comparison.comparator.symbol()
        ))
    })
}

/// The facts `steps.ID` holds once `step` ran (`runbook check` reports a
/// read of any other, RB313). The engine's types of these facts
/// (`runbook_engine::step_facts`) are held to the same names by its tests.
pub fn known_facts(step: &Step) -> Vec<&'static str> {
    let mut facts = COMMON.to_vec();
    if let [declared] = step.declared()[..] {
        facts.extend(declared.facts());
    }
    if step.timeout.is_some() && !facts.contains(&ERROR_FACT) {
        facts.push(ERROR_FACT);
    }
    facts
}

/// What `steps.ID` holds of a `check` or `collect` step's probes, besides
/// `duration` and `error`.
pub(crate) fn probing_facts(check: &Check) -> Vec<&'static str> {
    let mut facts = JUDGED.to_vec();
    if check.foreach.is_some() || check.probes.is_some() {
        facts.extend(MANY);
    } else {
        for (kind, _) in check.probe_kinds() {
            facts.extend(kind.facts().iter().map(|fact| fact.name));
        }
        facts.push(PROBE_DURATION);
    }
    facts
}

/// The fields of `field` that can be checked: a closed set of names.
fn subfields<'s>(step: &'s Step, field: &str) -> Option<Vec<&'s str>> {
    match field {
        "checklist" => Some(CHECKLIST_FACTS.to_vec()),
        "error" => Some(ERROR_FACTS.to_vec()),
        "timing" => Some(TIMING_FACTS.to_vec()),
        "notes" => Some(step.instruct.as_ref()?.notes.keys().map(|note| note.as_str()).collect()),
        "items" => Some(step.probing()?.probes.as_ref()?.keys().map(|name| name.as_str()).collect()),
        _ => None,
    }
}

/// The names `steps.ID.failed` can hold: a group's probe names, or the
/// items of a literal `foreach` list of strings.
fn members(step: &Step) -> Option<Vec<String>> {
    let check = step.probing()?;
    if let Some(group) = &check.probes {
        return Some(group.keys().map(|name| name.value.clone()).collect());
    }
    let items = check.foreach.as_ref()?.value.as_array()?;
    items.iter().map(|item| item.as_str().map(str::to_owned)).collect()
}

fn unknown_fact(site: &TemplateSite<'_>, read: &str, step: &Step, field: &str, rest: &[&str]) -> Option<Diagnostic> {
    let kind = step.kind()?;
    let facts = known_facts(step);
    let has_checklist = facts.contains(&"checklist");
    let (wrong, known, prefix) = if facts.contains(&field) {
        let sub = rest.first()?;
        let known = subfields(step, field)?;
        if known.contains(sub) {
            return None;
        }
        (format!("{field}.{sub}"), known, format!("{read}.{field}"))
    } else {
        (field.to_owned(), facts, read.to_owned())
    };
    let typo = wrong.rsplit('.').next().unwrap_or(&wrong);
    let suggestion = did_you_mean(typo, known.iter().copied()).map(|s| format!("did you mean `{prefix}.{s}`? "));
    let listed = known.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
    let has = match (wrong.contains('.'), known.is_empty()) {
        (true, true) => format!("`{prefix}` has no fields"),
        (true, false) => format!("`{prefix}` has {listed}"),
        (false, _) if field == "checklist" && kind == StepKind::Instruct && !has_checklist => {
            format!("an `instruct` step without a `checklist:` has {listed}")
        }
        (false, _) if field == ERROR_FACT => format!(
            "{} step has {listed}; `error` only with a `timeout:`, when that cuts it",
            super::references::article(kind.name())
        ),
        (false, _) => format!("{} step has {listed}", super::references::article(kind.name())),
    };
    Some(
        Diagnostic::new(
            Code::UnknownStepFact,
            site.span,
            format!("`{read}.{wrong}` is never set: step `{}` has no `{wrong}`", step.id.as_str()),
        )
        .with_label(format!("reads `{read}.{wrong}`"))
        .with_help(format!("{}{has}", suggestion.unwrap_or_default())),
    )
}

/// `steps.ID.outcome == "passed"`: a string literal (or a list of them, for
/// `in`) that a closed fact never takes.
fn impossible_value(
    runbook: &Runbook,
    steps: &HashMap<&str, &Step>,
    site: &TemplateSite<'_>,
    comparator: Comparator,
    fact: &Operand,
    value: &Operand,
) -> Option<Diagnostic> {
    let (field, values) = closed_fact(runbook, steps, site, fact)?;
    if ordering(comparator) && field != "conclusion.severity" {
        return Some(unordered(site, comparator, fact, value, field, &values));
    }
    // Literals are written back as JSON strings, a list of them as a JSON list.
    let literals: Vec<String> = match (&value.form, comparator) {
        (OperandForm::Literal(ValueKind::String), _) => vec![serde_json::from_str(&value.text).ok()?],
        (OperandForm::Items(ValueKind::String), Comparator::In | Comparator::NotIn) => {
            serde_json::from_str(&value.text).ok()?
        }
        _ => return None,
    };
    let wrong = literals.into_iter().find(|literal| !values.contains(literal))?;
    let suggestion = did_you_mean(&wrong, values.iter().map(String::as_str)).map(|s| format!("did you mean `{s}`? "));
    let message = if matches!(field, "failed" | "checklist item") {
        format!("`{}` never holds \"{wrong}\"", fact.text)
    } else {
        format!("`{}` is never \"{wrong}\"", fact.text)
    };
    let one_of = if field == "failed" { "names one of" } else { "is one of" };
    Some(
        Diagnostic::new(Code::UnknownStepFact, site.span, message)
            .with_label(format!("compares `{}` with a value it never takes", fact.text))
            .with_help(format!(
                "{}`{field}` {one_of} {}",
                suggestion.unwrap_or_default(),
                values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
            )),
    )
}

/// The field of a closed fact (`conclusion.status`) and the values it takes.
fn closed_fact<'f>(
    runbook: &Runbook,
    steps: &HashMap<&str, &Step>,
    site: &TemplateSite<'_>,
    fact: &'f Operand,
) -> Option<(&'f str, Vec<String>)> {
    let OperandForm::Path(path) = &fact.form else { return None };
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    let names = |list: &[&str]| list.iter().map(|&name| name.to_owned()).collect::<Vec<_>>();
    Some(match parts.as_slice() {
        ["run", "mode"] => ("mode", names(MODES)),
        ["steps", _, "error", "kind"] | ["result", "error", "kind"] => ("error.kind", names(ERROR_KINDS)),
        ["steps", _, "conclusion", "status"] => {
            ("conclusion.status", ConclusionStatus::ALL.iter().map(|status| status.name().to_owned()).collect())
        }
        ["steps", _, "conclusion", "severity"] => {
            ("conclusion.severity", Severity::ALL.iter().map(|severity| severity.name().to_owned()).collect())
        }
        ["steps", id, "failed"] => ("failed", members(steps.get(id)?)?),
        ["result", "failed"] if site.after_probe => ("failed", members(runbook.steps.get(site.step?)?)?),
        ["steps", _, "items", "outcome"] => ("outcome", Outcome::ALL.iter().map(|o| o.name().to_owned()).collect()),
        ["steps", id, "checklist", "ticked" | "unticked"] => {
            let checklist = &steps.get(id)?.instruct.as_ref()?.checklist;
            ("checklist item", checklist.clone())
        }
        ["steps", id, _] => closed_values(steps.get(id)?, path.last()?)?,
        ["result", _] if site.after_probe => closed_values(runbook.steps.get(site.step?)?, path.last()?)?,
        _ => return None,
    })
}

const fn ordering(comparator: Comparator) -> bool {
    matches!(comparator, Comparator::Lt | Comparator::Le | Comparator::Gt | Comparator::Ge)
}

/// `steps.p.outcome > "fail"`: a closed fact without an order (only
/// severities have one), which Jinja would order as text.
fn unordered(
    site: &TemplateSite<'_>,
    comparator: Comparator,
    fact: &Operand,
    value: &Operand,
    field: &str,
    values: &[String],
) -> Diagnostic {
    let op = comparator.symbol();
    let (fact_text, value_text) = (&fact.text, &value.text);
    let listed = values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ");
    Diagnostic::new(
        Code::UnorderedValue,
        site.span,
        format!("`{fact_text} {op} {value_text}` orders `{field}`, whose values have no order"),
    )
    .with_label("compared as text, alphabetically")
    .with_help(format!("list the values meant: `{fact_text} in [{listed}]` (keep the ones that apply)"))
}

/// The values a closed fact of `step` takes.
fn closed_values<'f>(step: &Step, field: &'f str) -> Option<(&'f str, Vec<String>)> {
    let values = match field {
        "outcome" => Outcome::ALL.iter().map(|outcome| outcome.name().to_owned()).collect(),
        "decision" => DECISIONS.iter().map(|&decision| decision.to_owned()).collect(),
        "answer" => step.ask.as_ref()?.closed_answers()?.into_iter().map(str::to_owned).collect(),
        _ => return None,
    };
    Some((field, values))
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse, load};

    fn reported(when: &str) -> Vec<String> {
        let yaml = format!(
            "id: t\ntitle: T\nsteps:\n  - id: p\n    check:\n      cmd: {{ argv: [echo] }}\n      expect: [ {{ exit_code: 0 }} ]\n    \
             next: tick\n  - id: tick\n    instruct:\n      text: Do\n      checklist: [a, b]\n      notes: {{ age: How old? }}\n  \
             - id: q\n    ask: {{ question: Q?, type: confirm }}\n    next:\n      - when: \"{when}\"\n        goto: done\n      \
             - goto: done\n  - id: done\n    conclude: {{ status: inconclusive }}\n"
        );
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        analyse(&runbook)
            .into_iter()
            .filter(|d| d.code == Code::UnknownStepFact)
            .map(|d| format!("{} | {}", d.message, d.help.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn facts_a_step_never_has_are_reported_with_a_suggestion() {
        let found = reported("steps.p.outcom == 'pass'");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "`steps.p.outcom` is never set: step `p` has no `outcom` | did you mean `steps.p.outcome`?"
            ),
            "{found:?}"
        );
        let found = reported("steps.tick.checklist.compelte");
        assert!(found[0].contains("did you mean `steps.tick.checklist.complete`?"), "{found:?}");
        let found = reported("steps.tick.notes.ag == 'x'");
        assert!(found[0].contains("did you mean `steps.tick.notes.age`?"), "{found:?}");
        let found = reported("steps.p.stdot != '' or steps.q.outcome == 'pass'");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("did you mean `steps.p.stdout`?"), "{found:?}");
        assert!(found[1].ends_with("an `ask` step has `duration`, `answer`"), "{found:?}");
    }

    /// A step that runs no probe has `error` only when its `timeout:` may
    /// cut it: a `call` reports its callee's failure in `message`.
    #[test]
    fn the_error_of_a_step_without_probes_is_known_only_with_a_timeout() {
        let yaml = "id: t\ntitle: T\nsteps:\n  - id: sub\n    call: { runbook: t.yaml }\n    TIMEOUT\n    next:\n      \
                    - when: steps.sub.error.kind == 'timeout'\n        goto: done\n      - goto: done\n  - id: done\n    \
                    conclude: { status: inconclusive }\n";
        let found = |timeout: &str| -> Vec<String> {
            let runbook = load(&Source::new("t.yaml", yaml.replace("TIMEOUT", timeout))).expect("loads");
            analyse(&runbook).into_iter().filter(|d| d.code == Code::UnknownStepFact).map(|d| d.message).collect()
        };
        assert_eq!(found("title: no timeout"), ["`steps.sub.error` is never set: step `sub` has no `error`"]);
        assert!(found("timeout: 5s").is_empty());
    }

    #[test]
    fn values_a_closed_fact_never_takes_are_reported() {
        let found = reported("steps.p.outcome == 'passed'");
        assert!(found[0].starts_with("`steps.p.outcome` is never \"passed\" | did you mean `pass`?"), "{found:?}");
        let found = reported("steps.q.answer in ['yes', 'yse']");
        assert!(found[0].contains("is never \"yse\""), "{found:?}");
        let found = reported("steps.p.error.kind == 'connection_refused' or run.mode == 'dryrun'");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("`error.kind` is one of `timeout`, `refused`"), "{found:?}");
        assert!(found[1].contains("did you mean `dry-run`?"), "{found:?}");
    }

    #[test]
    fn a_run_mode_alone_is_checked_too() {
        let found = reported("run.mode == 'dryrun'");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("did you mean `dry-run`?"), "{found:?}");
    }

    #[test]
    fn closed_facts_other_than_severity_are_not_ordered() {
        let yaml = "id: t\ntitle: T\nsteps:\n  - id: p\n    check:\n      cmd: { argv: [echo] }\n      expect: [ { exit_code: 0 } ]\n    \
                    next:\n      - when: steps.p.outcome > 'fail' or run.mode >= 'live'\n        goto: sub\n      - goto: sub\n  \
                    - id: sub\n    call: { runbook: t.yaml }\n    next:\n      - when: steps.sub.conclusion.severity >= 'high'\n        \
                    goto: done\n      - goto: done\n  - id: done\n    conclude: { status: inconclusive }\n";
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        let found: Vec<String> =
            analyse(&runbook).into_iter().filter(|d| d.code == Code::UnorderedValue).map(|d| d.message).collect();
        assert_eq!(
            found,
            [
                r#"`steps.p.outcome > "fail"` orders `outcome`, whose values have no order"#,
                r#"`run.mode >= "live"` orders `mode`, whose values have no order"#
            ]
        );
    }

    #[test]
    fn a_probe_name_or_item_a_group_or_literal_foreach_never_has_is_reported() {
        let yaml = "id: t\ntitle: T\nsteps:\n  - id: deps\n    check:\n      probes:\n        postgres: { tcp: { host: h, port: 1 } }\n        \
                    redis: { tcp: { host: h, port: 2 } }\n    on:\n      fail:\n        - when: \"WHEN\"\n          goto: done\n        \
                    - goto: done\n  - id: each\n    check:\n      foreach: [api, worker]\n      tcp: { host: '{{ item }}', port: 1 }\n  \
                    - id: done\n    conclude: { status: inconclusive }\n";
        let found = |when: &str| -> Vec<String> {
            let runbook = load(&Source::new("t.yaml", yaml.replace("WHEN", when))).expect("loads");
            analyse(&runbook)
                .into_iter()
                .filter(|d| d.code == Code::UnknownStepFact)
                .map(|d| format!("{} | {}", d.message, d.help.unwrap_or_default()))
                .collect()
        };
        assert_eq!(
            found("'postgress' in steps.deps.failed or 'wrker' in steps.each.failed"),
            [
                "`steps.deps.failed` never holds \"postgress\" | did you mean `postgres`? `failed` names one of \
                 `postgres`, `redis`",
                "`steps.each.failed` never holds \"wrker\" | did you mean `worker`? `failed` names one of `api`, \
                 `worker`"
            ]
        );
        let found_items = found("'redis' not in result.failed and result.items.postgress.outcome == 'fail'");
        assert_eq!(found_items.len(), 1, "{found_items:?}");
        assert!(found_items[0].contains("did you mean `result.items.postgres`?"), "{found_items:?}");
        let fine = "'postgres' in steps.deps.failed and steps.deps.items.redis.outcome == 'pass' and 'api' in steps.each.failed";
        assert_eq!(found(fine), Vec::<String>::new());
    }

    #[test]
    fn a_header_read_with_capitals_is_reported_and_header_values_are_text() {
        let yaml = "id: t\ntitle: T\nsteps:\n  - id: h\n    check:\n      http: { url: 'http://127.0.0.1:1/' }\n    \
                    next:\n      - when: \"WHEN\"\n        goto: done\n      - goto: done\n  - id: done\n    \
                    conclude: { status: inconclusive }\n";
        let found = |when: &str| -> Vec<String> {
            let runbook = load(&Source::new("t.yaml", yaml.replace("WHEN", when))).expect("loads");
            analyse(&runbook)
                .into_iter()
                .filter(|d| matches!(d.code, Code::UnknownStepFact | Code::ComparedTypes))
                .map(|d| format!("{} {}", d.code, d.message))
                .collect()
        };
        assert_eq!(
            found("steps.h.headers['Content-Type'] == 'application/json'"),
            [r#"RB313 `steps.h.headers["Content-Type"]` is never set: header names are lower-case there"#]
        );
        let numeric = found("steps.h.headers['content-length'] > 5");
        assert!(numeric.len() == 1 && numeric[0].starts_with("RB311 "), "{numeric:?}");
        assert_eq!(found("steps.h.headers['content-type'] == 'application/json'"), Vec::<String>::new());
    }

    #[test]
    fn checklist_items_and_outcomes_through_filters_and_tests_are_closed_values() {
        let found = reported("'c' in steps.tick.checklist.ticked or 'a' not in steps.tick.checklist.unticked");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("`steps.tick.checklist.ticked` never holds \"c\""), "{found:?}");
        assert!(found[0].contains("`checklist item` is one of `a`, `b`"), "{found:?}");
        // (`p` runs no `foreach`, so its `items` are reported as well.)
        let never = |when: &str| -> Vec<String> {
            reported(when).into_iter().filter(|found| found.contains("is never \"")).collect()
        };
        let found = never("steps.p.items | selectattr('outcome', 'equalto', 'failed') | list | length > 0");
        assert!(
            found[0].starts_with("`steps.p.items.outcome` is never \"failed\" | did you mean `fail`?"),
            "{found:?}"
        );
        let found = never("steps.p.outcome is equalto 'passed' or steps.p.items | rejectattr('outcome', 'eq', 'pass')");
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn facts_a_step_has_are_fine() {
        let fine = "steps.p.outcome in ['pass', 'warn'] and steps.p.error.kind == 'timeout' and steps.p.stdout \
                    and steps.p.json.a.b and steps.tick.checklist.complete and steps.tick.notes.age \
                    and steps.q.answer == 'no' and steps.p.duration > 5 and steps['p'].exit_code == 0";
        assert_eq!(reported(fine), Vec::<String>::new());
    }
}
