//! Reference rules: ids that must exist, be unique, and `on:` keys a step
//! can produce.

use std::collections::HashMap;

use crate::possible_keys;
use crate::{Code, Diagnostic, Runbook, Spanned, Step, StepKind, Target, did_you_mean};

pub(crate) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, &Spanned<String>> = HashMap::new();
    for step in runbook.steps.iter() {
        if seen.insert(&step.id, &step.id).is_some() {
            out.push(
                Diagnostic::new(Code::DuplicateStep, step.id.span, format!("duplicate step id `{}`", step.id.value))
                    .with_label("an earlier step has this id")
                    .with_help("step ids must be unique: rename one of them"),
            );
        }
    }
    let ids: Vec<&str> = runbook.steps.iter().map(|step| step.id.as_str()).collect();
    let reference = |id: &Spanned<String>, what: &str, out: &mut Vec<Diagnostic>| {
        if !seen.contains_key(id.as_str()) {
            out.push(unknown_step(id, what, &ids));
        }
    };
    if let Some(start) = &runbook.start {
        reference(start, "start", out);
    }
    for step in runbook.steps.iter() {
        let targets = step
            .next
            .iter()
            .map(|next| ("next", next))
            .chain(step.on.iter().flat_map(|on| on.values().map(|t| ("goto", t))));
        for (what, target) in targets {
            match &target.value {
                Target::Goto(id) => reference(&Spanned::new(id.clone(), target.span), what, out),
                Target::Branches(branches) => {
                    for branch in branches {
                        reference(&branch.goto, "goto", out);
                    }
                }
            }
        }
        if let Some(ask) = &step.ask {
            for id in &ask.evidence {
                reference(id, "evidence", out);
            }
            let mut answers: Vec<&str> = Vec::new();
            for choice in &ask.choices {
                if answers.contains(&choice.answer.as_str()) {
                    out.push(
                        Diagnostic::new(
                            Code::DuplicateAnswer,
                            choice.answer.span,
                            format!("duplicate answer `{}`", choice.answer.value),
                        )
                        .with_label("an earlier choice has this answer")
                        .with_help("answers pick the branch, so each must be unique"),
                    );
                }
                answers.push(&choice.answer);
                if let Some(goto) = &choice.goto {
                    reference(goto, "goto", out);
                }
            }
        }
        if let Some(instruct) = &step.instruct {
            // `"Error rate normal" in steps.ID.checklist.ticked` cannot tell
            // two items of one text apart (review-10-attack5 L4).
            for (at, item) in instruct.checklist.iter().enumerate() {
                if instruct.checklist[..at].contains(item) {
                    out.push(
                        Diagnostic::new(
                            Code::DuplicateAnswer,
                            instruct.span,
                            format!("checklist item `{item}` is written twice in `{}`", step.id.value),
                        )
                        .with_label("a checklist with a repeated item")
                        .with_help(
                            "an item is read by its text (`steps.ID.checklist.ticked`), so each must be unique: \
                             remove the copy or say what differs",
                        ),
                    );
                }
            }
        }
        if let Some(escalation) = step.conclude.as_ref().and_then(|c| c.escalation.as_ref()) {
            for id in &escalation.evidence {
                reference(id, "evidence", out);
            }
        }
        transitions(step, out);
    }
}

fn unknown_step(id: &Spanned<String>, what: &str, ids: &[&str]) -> Diagnostic {
    let help = match did_you_mean(id, ids.iter().copied()) {
        Some(suggestion) => format!("did you mean `{suggestion}`?"),
        None if ids.is_empty() => "the runbook has no steps yet".to_owned(),
        None => format!("`{what}` takes the id of a step of this runbook"),
    };
    Diagnostic::new(Code::UnknownStep, id.span, format!("unknown step `{}`", id.value))
        .with_label("no step has this id")
        .with_help(help)
}

fn transitions(step: &Step, out: &mut Vec<Diagnostic>) {
    if let Some(kind) = step.kind().filter(|kind| kind.ends_run()) {
        for span in [step.next.as_ref().map(|n| n.span), step.on.as_ref().map(|o| o.span)].into_iter().flatten() {
            out.push(
                Diagnostic::new(Code::ConflictingFlow, span, format!("{} step ends the run", article(kind.name())))
                    .with_label("never followed")
                    .with_help("remove the transition; to continue, use another kind of step"),
            );
        }
        return;
    }
    let Some(on) = &step.on else { return };
    let Some(keys) = possible_keys(step) else {
        number_keys(step, on.keys(), out);
        return;
    };
    let choice_gotos: Vec<&str> = step
        .ask
        .iter()
        .flat_map(|ask| ask.choices.iter())
        .filter(|choice| choice.goto.is_some())
        .map(|choice| choice.answer.as_str())
        .collect();
    for key in on.keys() {
        if choice_gotos.contains(&key.as_str()) {
            out.push(
                Diagnostic::new(
                    Code::ConflictingFlow,
                    key.span,
                    format!("answer `{}` has a `goto` in its choice and an `on:` entry", key.value),
                )
                .with_help("keep one of the two"),
            );
        } else if !keys.iter().any(|k| k == key.as_str()) {
            let kind = step.kind().map_or("this", StepKind::name);
            let list: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
            let help = if keys.is_empty() {
                format!("{} step has a single exit: use `next:` instead of `on:`", article(kind))
            } else {
                match did_you_mean(key, keys.iter().map(String::as_str)) {
                    Some(suggestion) => {
                        format!("did you mean `{suggestion}`? {} step produces {}", article(kind), list.join(", "))
                    }
                    None => format!("{} step produces {}", article(kind), list.join(", ")),
                }
            };
            out.push(
                Diagnostic::new(
                    Code::ImpossibleOutcome,
                    key.span,
                    format!("{} step never produces `{}`", article(kind), key.value),
                )
                .with_label("cannot occur")
                .with_help(help),
            );
        } else if let Some(why) =
            (key.as_str() == "fail").then(|| crate::step_keys::why_never_produced(step, key)).flatten()
        {
            // A check or action without an expectation that can be false
            // passes whatever its command did (`pgrep` exiting 1): the
            // author's `fail:` branch is dead.
            out.push(Diagnostic::new(Code::ImpossibleOutcome, key.span, why).with_label("never taken").with_help(
                "say what passing means: `expect: [ { exit_code: 0 } ]` (or another expectation), or drop `fail:`",
            ));
        }
    }
}

/// The `on:` keys of a `number` question: the answer routes as the number
/// it reads as (`1.0` as `1`), so a key written otherwise, or not a number,
/// is never taken.
fn number_keys<'k>(step: &Step, keys: impl Iterator<Item = &'k Spanned<String>>, out: &mut Vec<Diagnostic>) {
    if step.ask.as_ref().is_none_or(|ask| ask.ask_type() != crate::AskType::Number) {
        return;
    }
    for key in keys {
        let routed = key.trim().parse::<f64>().ok().filter(|number| number.is_finite()).map(|number| {
            if number.fract() == 0.0 && number.abs() < 9.0e15 {
                format!("{number:.0}")
            } else {
                serde_json::Number::from_f64(number).map_or_else(String::new, |number| number.to_string())
            }
        });
        if routed.as_deref() == Some(key.as_str()) {
            continue;
        }
        let help = match &routed {
            Some(routed) => format!("an answer of {} routes as `{routed}`: write the key `{routed}`", key.value),
            None => {
                "key the answers by number (`0: STEP`); any other answer goes to `next:` or the step below".to_owned()
            }
        };
        out.push(
            Diagnostic::new(
                Code::ImpossibleOutcome,
                key.span,
                format!("a `number` question never produces `{}`", key.value),
            )
            .with_label("never taken")
            .with_help(help),
        );
    }
}

/// "a `check`", "an `ask`".
pub(crate) fn article(kind: &str) -> String {
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} `{kind}`")
}
