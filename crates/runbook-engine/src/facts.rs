//! What templates and expressions can read: `inputs`, `vars`, `steps`,
//! `run`, and per evaluation `result` and the `foreach` item.
//!
//! Values are kept as template values, converted once when they are set, so
//! that rendering a template never copies a large captured output again.
//! The context is built only when a template or expression needs it, and
//! reused until a fact changes.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use minijinja::value::{Serde, Value, merge_maps};
use serde_json::Value as Json;

use crate::lazy_json::{deferred_value, lazy_value};
use crate::no_answer::{Carried, NoAnswer, NoAnswers};
use crate::step_facts::CallFacts;

/// The facts of one run.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    inputs: Value,
    run: Value,
    vars: BTreeMap<String, Value>,
    vars_json: IndexMap<String, Json>,
    steps: BTreeMap<String, Value>,
    context: OnceCell<Value>,
    /// Where a value read back from the journal holds a `[redacted:NAME]`
    /// placeholder (`vars.seen`, `steps.echo.json.auth`): what a template
    /// makes of it, through any filter, is never sent.
    redacted: BTreeSet<String>,
    /// The placeholders (`[redacted:key]`) in the values that came back
    /// from the journal: a sent text holding one of them may hold a value
    /// that came back, however it was read; one the run made since (the
    /// conclusion of a `call` run after the resume) is its own.
    came_back: BTreeSet<String>,
    /// The names that hold a secret (`inputs.key`, `vars.token`): what a
    /// template sends of one, through any filter, is a secret too.
    secret: BTreeSet<String>,
    /// What templates sent of a secret since the run last took them
    /// ([`Self::take_derived_secrets`]), with the secret's name.
    derived: RefCell<Vec<(String, String)>>,
    /// The vars and step facts a probe without an answer left, which a
    /// condition must not route on.
    no_answers: NoAnswers,
}

impl Facts {
    /// Facts at the start of a run.
    pub(crate) fn new(inputs: &IndexMap<String, Json>, run: &Json) -> Self {
        Self {
            inputs: to_value(&Json::Object(inputs.clone().into_iter().collect())),
            run: to_value(run),
            ..Self::default()
        }
    }

    /// Sets `vars.NAME`.
    pub(crate) fn set_var(&mut self, name: &str, value: Json) {
        self.forget_redacted(&format!("vars.{name}"));
        self.no_answers.forget_var(name);
        self.vars.insert(name.to_owned(), to_value(&value));
        self.vars_json.insert(name.to_owned(), value);
        self.context = OnceCell::new();
    }

    /// Unsets `vars.NAME`: a capture that found nothing this time leaves no
    /// older value behind.
    pub(crate) fn unset_var(&mut self, name: &str) {
        self.forget_redacted(&format!("vars.{name}"));
        self.no_answers.forget_var(name);
        self.vars.remove(name);
        self.vars_json.shift_remove(name);
        self.context = OnceCell::new();
    }

    /// Sets `steps.ID` to what the step showed, and returns it as a
    /// template value (`result` for the step's routing). Templates read
    /// the facts in place: a `foreach` of thousands of items is not
    /// converted for the one field a `when` reads.
    pub(crate) fn set_step(&mut self, id: &str, facts: Json) -> Value {
        self.set_step_value(id, lazy_value(facts))
    }

    /// Sets `steps.ID` to the facts `build` makes, built where a template
    /// first reads them, and returns them as a template value.
    pub(crate) fn set_step_deferred(&mut self, id: &str, build: impl FnOnce() -> Json + Send + 'static) -> Value {
        self.set_step_value(id, deferred_value(build))
    }

    fn set_step_value(&mut self, id: &str, value: Value) -> Value {
        self.forget_redacted(&format!("steps.{id}"));
        self.no_answers.forget_step(id);
        self.steps.insert(id.to_owned(), value.clone());
        self.context = OnceCell::new();
        value
    }

    /// Notes that `vars.NAME`, as just set or unset, holds no answer:
    /// `defaulted` when it holds its capture's `default:`.
    pub(crate) fn note_no_answer_var(&mut self, name: &str, why: NoAnswer, defaulted: bool) {
        self.no_answers.note_var(name, why, defaulted);
    }

    /// Notes that `vars.NAME`, as just captured by step `by`, was made
    /// from what a probe without an answer left (`carried`).
    pub(crate) fn note_carried_var(&mut self, name: &str, by: &str, carried: &Carried) {
        self.no_answers.note_carried_var(name, by, carried);
    }

    /// Notes that `inputs.NAME`, as the calling runbook's step `by` gave
    /// it, was made from what a probe without an answer left (`carried`).
    pub(crate) fn note_no_answer_input(&mut self, name: &str, by: &str, carried: &Carried) {
        self.no_answers.note_input(name, by, carried);
    }

    /// Notes that `steps.ID`, as just set, observed no answer.
    pub(crate) fn note_no_answer_step(&mut self, id: &str, why: NoAnswer) {
        self.no_answers.note_step(id, why);
    }

    /// Notes that `steps.ID`, as just set, are the facts of a call whose
    /// called runbook handed back vars left by a probe without an answer.
    pub(crate) fn note_no_answer_call(&mut self, id: &str, call: &CallFacts) {
        let concluded = call.conclusion.as_ref().map(|conclusion| conclusion.status.name());
        self.no_answers.note_call(id, &call.no_answer, concluded);
    }

    /// What holds no answer and must not be routed on.
    pub(crate) fn no_answers(&self) -> &NoAnswers {
        &self.no_answers
    }

    /// Sets `vars.NAME` to a value read back from the journal, noting where
    /// it holds a placeholder.
    pub(crate) fn restore_var(&mut self, name: &str, value: &Json) {
        self.set_var(name, value.clone());
        let mut redacted = Vec::new();
        redacted_paths(format!("vars.{name}"), value, &mut redacted);
        self.redacted.extend(redacted);
        self.note_came_back(value);
    }

    /// Notes the placeholders in `value`, which came back from the journal.
    pub(crate) fn note_came_back(&mut self, value: &Json) {
        let text = value.to_string();
        self.came_back.extend(placeholders(&text).map(str::to_owned));
    }

    /// Whether the placeholder `[redacted:NAME]` is in a value that came
    /// back from the journal ([`Self::note_came_back`]).
    pub(crate) fn came_back(&self, placeholder: &str) -> bool {
        self.came_back.contains(placeholder)
    }

    /// Sets `steps.ID` to facts read back from the journal, noting where
    /// they hold a placeholder.
    pub(crate) fn restore_step(&mut self, id: &str, facts: Json) {
        let mut redacted = Vec::new();
        redacted_paths(format!("steps.{id}"), &facts, &mut redacted);
        self.note_came_back(&facts);
        self.set_step(id, facts);
        self.redacted.extend(redacted);
    }

    /// The same facts, noting that each of the `inputs` given (the `token`
    /// input of a called runbook, made from a redacted value), with its
    /// value, came back redacted.
    pub(crate) fn with_redacted<'v>(
        mut self,
        inputs: impl IntoIterator<Item = (&'v String, Option<&'v Json>)>,
    ) -> Self {
        for (input, value) in inputs {
            self.redacted.insert(format!("inputs.{input}"));
            if let Some(value) = value {
                self.note_came_back(value);
            }
        }
        self
    }

    /// The same facts, `names` (dotted: `inputs.key`, `vars.token`) holding
    /// secrets.
    pub(crate) fn with_secrets(mut self, names: impl IntoIterator<Item = String>) -> Self {
        self.secret.extend(names);
        self
    }

    /// Whether any name holds a secret.
    pub(crate) fn has_secrets(&self) -> bool {
        !self.secret.is_empty()
    }

    /// Of the dotted `names` a template reads, the first that holds or is
    /// held by a secret.
    pub(crate) fn reads_secret<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> Option<&'n str> {
        if self.secret.is_empty() {
            return None;
        }
        names.into_iter().find(|name| self.secret.iter().any(|path| within(name, path) || within(path, name)))
    }

    /// Notes `value`, what a template sent of the secret `name`.
    pub(crate) fn note_derived_secret(&self, name: &str, value: String) {
        let name = name.rsplit('.').next().unwrap_or(name).to_owned();
        self.derived.borrow_mut().push((name, value));
    }

    /// What templates sent of secrets since the last call, for the
    /// redactor.
    pub(crate) fn take_derived_secrets(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.derived.borrow_mut())
    }

    /// Whether any value came back redacted.
    pub(crate) fn has_redacted(&self) -> bool {
        !self.redacted.is_empty()
    }

    /// Of the dotted `names` a template reads, the first that holds or is
    /// held by a value that came back redacted (`vars.seen`, or `vars`
    /// when the template reads them all).
    pub(crate) fn reads_redacted<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> Option<&'n str> {
        names.into_iter().find(|name| self.redacted.iter().any(|path| within(name, path) || within(path, name)))
    }

    fn forget_redacted(&mut self, path: &str) {
        if !self.redacted.is_empty() {
            self.redacted.retain(|noted| !within(noted, path));
        }
    }

    /// The captured vars, in capture order.
    pub(crate) fn vars(&self) -> &IndexMap<String, Json> {
        &self.vars_json
    }

    /// The context of templates outside any step result.
    pub(crate) fn context(&self) -> Value {
        self.context
            .get_or_init(|| {
                let mut context = BTreeMap::new();
                context.insert("inputs", self.inputs.clone());
                context.insert("run", self.run.clone());
                context.insert("vars", Value::from(self.vars.clone()));
                context.insert("steps", Value::from(self.steps.clone()));
                Value::from(context)
            })
            .clone()
    }

    /// The context with extra names on top (`result`, a `foreach` item).
    pub(crate) fn context_with(&self, extra: &[(&str, Value)]) -> Value {
        if extra.is_empty() {
            return self.context();
        }
        let extra: BTreeMap<String, Value> = extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        merge_maps([Value::from(extra), self.context()])
    }
}

/// Each `[redacted:NAME]` in `text`.
pub(crate) fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices(crate::prepare::PLACEHOLDER)
        .filter_map(|(at, _)| text[at..].find(']').map(|end| &text[at..=at + end]))
}

/// The dotted paths under `path` (itself included) where `value` holds a
/// placeholder: each string holding one, each list holding one anywhere.
fn redacted_paths(path: String, value: &Json, out: &mut Vec<String>) {
    match value {
        Json::String(text) if text.contains(crate::prepare::PLACEHOLDER) => out.push(path),
        Json::Object(map) => {
            for (key, item) in map {
                redacted_paths(format!("{path}.{key}"), item, out);
            }
        }
        Json::Array(_) if value.to_string().contains(crate::prepare::PLACEHOLDER) => out.push(path),
        _ => {}
    }
}

/// Whether the dotted `path` is `outer` or inside it.
fn within(path: &str, outer: &str) -> bool {
    path.strip_prefix(outer).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// A template value holding this JSON.
pub(crate) fn to_value(json: &Json) -> Value {
    Value::from(Serde(json))
}

/// A value's type and a short excerpt, for messages: `a string ("abc")`.
pub(crate) fn describe(value: &Json) -> String {
    let mut shown = value.to_string();
    if shown.len() > 60 {
        let cut = (0..=57).rev().find(|&i| shown.is_char_boundary(i)).unwrap_or(0);
        shown.truncate(cut);
        shown.push('…');
    }
    let kind = match value {
        Json::Null => return "none".to_owned(),
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a map",
    };
    format!("{kind} ({shown})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fixtures;

    #[test]
    fn context_reads_inputs_vars_and_steps_and_is_rebuilt_on_change() {
        let inputs: IndexMap<String, Json> = [("base".to_owned(), Json::from("http://x"))].into_iter().collect();
        let mut facts = Facts::new(&inputs, &serde_json::json!({ "mode": "live" }));
        let templates = crate::template::Templates::new();
        assert!(templates.is_true("inputs.base == 'http://x' and run.mode == 'live'", &facts.context()).unwrap());
        facts.set_var("build", Json::from("abc"));
        let observation = fixtures::http(503, r#"{"ok":false}"#, std::time::Duration::ZERO);
        let step = crate::step_facts::StepFacts {
            kind: crate::step_facts::KindFacts::Probed(crate::step_facts::ProbedFacts::One(Box::new(
                crate::step_facts::OneProbe { observed: Some(observation.step_facts()), probe_duration: 0 },
            ))),
            outcome: Some(runbook_model::Outcome::Fail),
            error: None,
            duration: 0,
        };
        facts.set_step("readyz", step.to_json());
        let context = facts.context_with(&[("item", Value::from("api"))]);
        let expression = "vars.build == 'abc' and steps.readyz.json.ok == false and steps.readyz.status == 503";
        assert!(templates.is_true(expression, &context).unwrap());
        assert!(templates.is_true("item == 'api'", &context).unwrap());
    }

    #[test]
    fn values_read_back_redacted_are_known_by_where_they_are_until_set_again() {
        let mut facts = Facts::new(&IndexMap::new(), &serde_json::json!({}));
        facts.restore_var("seen", &Json::from("QmVhcmVyIH[redacted:token]"));
        facts.restore_var("plain", &Json::from("ok"));
        let step = serde_json::json!({ "status": 200, "json": { "auth": "[redacted:token]", "user": "ops" } });
        facts.restore_step("echo", step);
        for read in ["vars.seen", "vars", "steps.echo.json.auth", "steps.echo.json", "steps"] {
            assert_eq!(facts.reads_redacted([read]), Some(read), "{read}");
        }
        for read in ["vars.plain", "steps.echo.status", "steps.echo.json.user", "vars.seen_too", "inputs"] {
            assert_eq!(facts.reads_redacted([read]), None, "{read}");
        }
        facts.set_var("seen", Json::from("fresh"));
        facts.set_step("echo", serde_json::json!({ "status": 200 }));
        assert!(!facts.has_redacted(), "captured again, a value is the run's own");
    }
}
