//! Preparing probes: a runbook's probe, with its templates rendered against
//! the run's facts, becomes a spec ready to run and a one-line description
//! of what will run (shown in the evidence, the dry run and the record).
//! The [`Renderer`] is shared; each kind's module (`probe/`) renders its own
//! fields into its spec.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use minijinja::value::Value;
use runbook_model::{ProbeKind, Span, Spanned, whole_expression};
use serde_json::Value as Json;

use crate::facts::Facts;
use crate::no_answer::{Carried, ResultOf};
use crate::template::{RenderMode, Templates};

/// A template that failed while preparing a step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot render `{field}`: {message}")]
pub struct RenderError {
    /// Which field: `http.url`, `cmd.argv[2]`, `foreach`, …
    pub field: String,
    /// minijinja's explanation.
    pub message: String,
    /// Where the template is written, when it is a field of the runbook
    /// (else the error points at its step).
    pub span: Option<Span>,
}

/// A template as the runbook wrote it, with where when it is a field of
/// the YAML: an error rendering it points there.
pub(crate) trait Written<T: ?Sized> {
    /// The template and its place.
    fn written(&self) -> (&T, Option<Span>);
}

impl Written<str> for str {
    fn written(&self) -> (&str, Option<Span>) {
        (self, None)
    }
}

impl Written<str> for String {
    fn written(&self) -> (&str, Option<Span>) {
        (self, None)
    }
}

impl Written<str> for Spanned<String> {
    fn written(&self) -> (&str, Option<Span>) {
        (&self.value, Some(self.span))
    }
}

impl Written<str> for (&str, Option<Span>) {
    fn written(&self) -> (&str, Option<Span>) {
        *self
    }
}

impl Written<Json> for Json {
    fn written(&self) -> (&Json, Option<Span>) {
        (self, None)
    }
}

impl Written<Json> for Spanned<Json> {
    fn written(&self) -> (&Json, Option<Span>) {
        (&self.value, Some(self.span))
    }
}

/// Renders the templates of one step against the run's facts. The context
/// is built on the first template, so plain strings cost nothing.
pub(crate) struct Renderer<'a> {
    templates: &'a Templates<'a>,
    facts: &'a Facts,
    extra: Vec<(&'a str, Value)>,
    context: OnceCell<Value>,
    sends: bool,
    /// Whether it renders an action's command or request, which never
    /// runs on what a probe without an answer left.
    acts: bool,
    refuse_placeholders: bool,
    /// The step whose facts `result` is, in a condition.
    result_of: Option<ResultOf<'a>>,
}

/// Shortest text a template sends of a secret that becomes a secret too:
/// a shorter one (`{{ inputs.key | length }}`) would be cut out of every
/// word that holds it.
const MIN_DERIVED_SECRET: usize = 6;

/// What a redacted secret looks like in a value read back from a journal.
pub(crate) const PLACEHOLDER: &str = "[redacted:";

impl<'a> Renderer<'a> {
    /// A renderer over the facts, with extra names (`result`, the
    /// `foreach` item) on top.
    pub(crate) fn new(templates: &'a Templates<'a>, facts: &'a Facts, extra: Vec<(&'a str, Value)>) -> Self {
        Self {
            templates,
            facts,
            extra,
            context: OnceCell::new(),
            sends: false,
            acts: false,
            refuse_placeholders: false,
            result_of: None,
        }
    }

    /// The same renderer for a condition on a step's facts as `result`:
    /// its own routing, or its `stop_if`.
    pub(crate) fn result_of(mut self, result: ResultOf<'a>) -> Self {
        self.result_of = Some(result);
        self
    }

    /// The same renderer for what is sent to a service or a command: in a
    /// resumed run it refuses a template that reads a value which came back
    /// from the journal with a `[redacted:NAME]` placeholder in it (a
    /// captured value that held a secret), whatever filters it goes
    /// through, and a rendered value holding a placeholder its template did
    /// not write: either would be sent in place of the secret.
    pub(crate) fn sending(mut self, resumed: bool) -> Self {
        self.sends = true;
        self.refuse_placeholders = resumed;
        self
    }

    /// The same renderer for an action's command or request: a value that
    /// a probe without an answer left (a capture at its `default:`, an
    /// observation of its step) stops the run there, as in a `when`:
    /// `rm -rf cache/{{ vars.tenant }}` never runs on a timed-out probe's
    /// `default: ""`.
    pub(crate) fn acting(mut self) -> Self {
        self.acts = true;
        self
    }

    /// What an action's template reads that a probe without an answer
    /// left, as the message that says so.
    fn acts_on_no_answer(&self, field: &str, names: impl FnOnce() -> HashSet<String>) -> Option<String> {
        if !self.acts || self.facts.no_answers().is_empty() {
            return None;
        }
        self.facts.no_answers().acted_on(field, &names())
    }

    /// Notes, for the redactor, what each block of the template `text` sends
    /// of a secret (`{{ inputs.key | upper }}`, `{{ vars.token[3:] }}`),
    /// unless the template writes that text itself (`'set' if inputs.key`).
    fn note_derived_secrets(&self, text: &str, names: impl FnOnce() -> HashSet<String>) {
        // The parser reports nothing for an expression that slices
        // (`inputs.key[2:]`): the names as written count too.
        let read = |mut names: HashSet<String>, text: &str| {
            names.extend(runbook_model::written_reads(text));
            self.facts.reads_secret(names.iter().map(String::as_str)).map(str::to_owned)
        };
        if !self.sends || !self.facts.has_secrets() || read(names(), text).is_none() {
            return;
        }
        for block in runbook_model::printed_blocks(text) {
            let Some(secret) = read(self.templates.expression_names(block.expression), block.expression) else {
                continue;
            };
            let Ok(value) = self.templates.eval(block.expression, self.context()) else { continue };
            let value = value.to_string();
            if value.chars().count() >= MIN_DERIVED_SECRET && !text.contains(&value) {
                self.facts.note_derived_secret(&secret, value);
            }
        }
    }

    /// What the JSON `value`'s templates read that a probe without an
    /// answer left, unrouted, to carry into what is made of it (a called
    /// runbook's input).
    pub(crate) fn reads_no_answer_in(&self, value: &Json) -> Option<Carried> {
        if self.facts.no_answers().is_empty() {
            return None;
        }
        match value {
            Json::String(text) => {
                let names = match whole_expression(text) {
                    Some(expression) => self.templates.expression_names(expression),
                    None => self.templates.names(text, RenderMode::Text),
                };
                self.facts.no_answers().carried(&names)
            }
            Json::Array(items) => items.iter().find_map(|item| self.reads_no_answer_in(item)),
            Json::Object(map) => map.values().find_map(|item| self.reads_no_answer_in(item)),
            Json::Bool(_) | Json::Number(_) | Json::Null => None,
        }
    }

    /// The name of a value that came back redacted which the templates of
    /// `value` read: a `call` passes what it makes of it on as an input
    /// that came back redacted too.
    pub(crate) fn reads_redacted(&self, value: &Json) -> Option<String> {
        match value {
            Json::String(text) => match whole_expression(text) {
                Some(expression) => self.redacted_read(|| self.templates.expression_names(expression)),
                None => self.redacted_read(|| self.templates.names(text, RenderMode::Text)),
            },
            Json::Array(items) => items.iter().find_map(|item| self.reads_redacted(item)),
            Json::Object(map) => map.values().find_map(|item| self.reads_redacted(item)),
            Json::Bool(_) | Json::Number(_) | Json::Null => None,
        }
    }

    /// The name of a value that came back redacted which the template
    /// `names` come from reads.
    fn redacted_read(&self, names: impl FnOnce() -> HashSet<String>) -> Option<String> {
        let tainted_extra = |name: &str| {
            self.extra
                .iter()
                .any(|(extra, value)| name.split('.').next() == Some(*extra) && value.to_string().contains(PLACEHOLDER))
        };
        if !self.facts.has_redacted() && !self.extra.iter().any(|(extra, _)| tainted_extra(extra)) {
            return None;
        }
        let names = names();
        let names = names.iter().map(String::as_str);
        let read = names.clone().find(|name| tainted_extra(name)).or_else(|| self.facts.reads_redacted(names));
        read.map(str::to_owned)
    }

    /// `rendered` unless its template reads a value that came back redacted
    /// (`read`), or it holds a placeholder its template did not write.
    fn without_placeholder(
        &self,
        field: &str,
        (template, span): (&str, Option<Span>),
        read: Option<String>,
        rendered: String,
    ) -> Result<String, RenderError> {
        let refused = |what: String| RenderError {
            field: field.to_owned(),
            message: format!(
                "it would send {what}: a value that held a secret came back redacted from the journal when the run \
                 resumed (secrets are never written there), and a placeholder is never sent in place of a secret, \
                 in any form; start a new run to get the value again"
            ),
            span,
        };
        if let Some(name) = read {
            return Err(refused(format!("a value made from `{name}`")));
        }
        if !self.refuse_placeholders || template.contains(PLACEHOLDER) {
            return Ok(rendered);
        }
        let came_back = crate::facts::placeholders(&rendered).find(|placeholder| self.facts.came_back(placeholder));
        match came_back.map(|placeholder| refused(format!("`{placeholder}`"))) {
            Some(refusal) => Err(refusal),
            None => Ok(rendered),
        }
    }

    fn context(&self) -> &Value {
        self.context.get_or_init(|| self.facts.context_with(&self.extra))
    }

    /// Renders a text template.
    pub(crate) fn text(&self, field: &str, text: &(impl Written<str> + ?Sized)) -> Result<String, RenderError> {
        let mode = self.text_mode();
        self.render(field, text.written(), mode, |text, context| self.templates.render(text, context, mode))
    }

    /// Text as this renderer renders it: sent, or shown.
    fn text_mode(&self) -> RenderMode {
        if self.sends { RenderMode::Sent } else { RenderMode::Text }
    }

    /// Renders a URL: sent, each value encoded for where it lands in it,
    /// or refused where it would change the path requested
    /// ([`crate::url_values`]); shown, as text.
    pub(crate) fn url(&self, field: &str, text: &(impl Written<str> + ?Sized)) -> Result<String, RenderError> {
        if !self.sends {
            return self.text(field, text);
        }
        let marked = self.render(field, text.written(), RenderMode::Sent, |text, context| {
            self.templates.render_marked_url(text, context)
        })?;
        crate::url_values::encode(&marked).map_err(|message| RenderError {
            field: field.to_owned(),
            message,
            span: text.written().1,
        })
    }

    /// Renders a `sh -c` command line, shell-quoting every value.
    pub(crate) fn shell(&self, field: &str, text: &(impl Written<str> + ?Sized)) -> Result<String, RenderError> {
        self.render(field, text.written(), RenderMode::Shell, |text, context| {
            self.templates.render(text, context, RenderMode::Shell)
        })
    }

    /// Renders `written` with `render`, refusing what a resumed run must not
    /// send and noting what it sends of a secret; `mode` is how the names
    /// it reads are found.
    fn render(
        &self,
        field: &str,
        written: (&str, Option<Span>),
        mode: RenderMode,
        render: impl FnOnce(&str, &Value) -> Result<String, crate::template::TemplateError>,
    ) -> Result<String, RenderError> {
        let (text, span) = written;
        if !text.contains("{{") && !text.contains("{%") {
            return Ok(text.to_owned());
        }
        if let Some(message) = self.acts_on_no_answer(field, || self.templates.names(text, mode)) {
            return Err(RenderError { field: field.to_owned(), message, span });
        }
        let rendered = render(text, self.context()).map_err(|error| RenderError {
            field: field.to_owned(),
            message: error.message,
            span,
        })?;
        let read = self.refuse_placeholders.then(|| self.redacted_read(|| self.templates.names(text, mode))).flatten();
        self.note_derived_secrets(text, || self.templates.names(text, mode));
        self.without_placeholder(field, written, read, rendered)
    }

    /// Evaluates a condition (`when`, `stop_if`). One that reads what a
    /// probe without an answer left ([`crate::no_answer`]) is an error
    /// naming it, whatever filter or test it goes through.
    pub(crate) fn condition(
        &self,
        field: &str,
        expression: &(impl Written<str> + ?Sized),
    ) -> Result<bool, RenderError> {
        let (text, span) = expression.written();
        let failed = |message| RenderError { field: field.to_owned(), message, span };
        if let Some(message) = self.reads_no_answer(field, expression) {
            return Err(failed(message));
        }
        self.templates.is_true(text, self.context()).map_err(|error| failed(error.message))
    }

    /// What a condition reads that a probe without an answer left, as the
    /// message that says so.
    pub(crate) fn reads_no_answer(&self, field: &str, expression: &(impl Written<str> + ?Sized)) -> Option<String> {
        let result = self.result_of.as_ref();
        if self.facts.no_answers().is_empty() && result.is_none_or(|result| result.attempt.is_none()) {
            return None;
        }
        let names = self.templates.expression_names(expression.written().0);
        self.facts.no_answers().read_by(field, &names, result)
    }

    /// Renders a JSON value: strings are templates, and a string that is one
    /// whole `{{ … }}` keeps the type of what it gives (a list, a number).
    pub(crate) fn value(&self, field: &str, value: &(impl Written<Json> + ?Sized)) -> Result<Json, RenderError> {
        let (value, span) = value.written();
        self.json(field, value, span)
    }

    fn json(&self, field: &str, value: &Json, span: Option<Span>) -> Result<Json, RenderError> {
        let failed = |message: String| RenderError { field: field.to_owned(), message, span };
        match value {
            Json::String(text) => match whole_expression(text) {
                Some(expression) => {
                    if let Some(message) = self.acts_on_no_answer(field, || self.templates.expression_names(expression))
                    {
                        return Err(failed(message));
                    }
                    let value =
                        self.templates.eval(expression, self.context()).map_err(|error| failed(error.message))?;
                    let value = serde_json::to_value(&value).map_err(|error| failed(error.to_string()))?;
                    let read = self
                        .refuse_placeholders
                        .then(|| self.redacted_read(|| self.templates.expression_names(expression)))
                        .flatten();
                    self.note_derived_secrets(text, || self.templates.expression_names(expression));
                    self.without_placeholder(field, (text, span), read, value.to_string())?;
                    Ok(value)
                }
                None => self.text(field, &(text.as_str(), span)).map(Json::from),
            },
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| self.json(&format!("{field}[{i}]"), item, span))
                .collect::<Result<_, _>>()
                .map(Json::Array),
            Json::Object(map) => map
                .iter()
                .map(|(key, item)| Ok((key.clone(), self.json(&format!("{field}.{key}"), item, span)?)))
                .collect::<Result<_, _>>()
                .map(Json::Object),
            other => Ok(other.clone()),
        }
    }
}

/// A probe ready to run.
#[derive(Clone)]
pub(crate) struct Prepared {
    /// Its kind.
    pub kind: ProbeKind,
    /// What will run, for people: `GET http://…`, the command line.
    pub target: String,
    /// The spec.
    pub probe: Arc<dyn crate::probe::Probe>,
    /// How long the probe may take before it gives up with a timeout
    /// (`None` for an `env` probe, which does not wait).
    pub timeout: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_templates_keep_their_type() {
        let templates = Templates::new();
        let inputs = serde_json::json!({ "services": ["api", "worker"], "port": 8080 });
        let facts = Facts::new(&serde_json::from_value(inputs).unwrap(), &serde_json::json!({}));
        let renderer = Renderer::new(&templates, &facts, Vec::new());
        let list = renderer.value("foreach", &Json::from("{{ inputs.services }}")).unwrap();
        assert_eq!(list, serde_json::json!(["api", "worker"]));
        let port = renderer.value("port", &Json::from(" {{ inputs.port }} ")).unwrap();
        assert_eq!(port, Json::from(8080));
        let text = renderer.value("url", &Json::from("p{{ inputs.port }}")).unwrap();
        assert_eq!(text, Json::from("p8080"));
    }
}
