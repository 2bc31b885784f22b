//! Templates and expressions: one strict minijinja environment per
//! process, and each plan's templates and expressions compiled once.
//!
//! Strict means an undefined name is an error, never an empty string: a
//! typo in `{{ inputs.base_ur }}` must not probe `http:///healthz`. In `sh:`
//! commands every interpolated value is shell-quoted, so a probe's output
//! or an input containing `$(…)` is passed as data and never executed;
//! `|safe` opts out for values the author vouches for.

use std::collections::HashMap;
use std::sync::LazyLock;

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, Expression, Template, UndefinedBehavior};
use runbook_model::{GUARDS, Plan, TemplateKind, guard_comparisons, guard_template, template_sites};

use crate::compiled_arguments::CompiledArguments;

/// The name suffix that turns on shell quoting for a template.
const SHELL_SUFFIX: &str = ".sh";
/// The name of a `sh:` template.
const SHELL_NAME: &str = "command.sh";
/// The name of any other template.
const TEXT_NAME: &str = "template";
/// The name suffix of a template whose text is sent (a URL, an argument, a
/// header): none, a map or a list printed in it stops the run.
const SENT_SUFFIX: &str = ".sent";
/// The name of a template sent as it renders.
const SENT_NAME: &str = "request.sent";
/// The name suffix that turns on Markdown escaping for a template.
const MARKDOWN_SUFFIX: &str = ".md";
/// The name of the `record:` template.
const MARKDOWN_NAME: &str = "record.md";

/// The strict environment: filters, functions and formatting, built once
/// per process and shared by every run.
static STRICT: LazyLock<Environment<'static>> = LazyLock::new(|| environment(UndefinedBehavior::Strict));
/// The lenient environment of dry runs.
static LENIENT: LazyLock<Environment<'static>> = LazyLock::new(|| environment(UndefinedBehavior::Chainable));

/// Whether a template of this name is only shown (a diagnosis, a title,
/// the record's summary), never sent nor routed on.
pub(crate) fn only_shown(template_name: &str) -> bool {
    template_name == TEXT_NAME || template_name == MARKDOWN_NAME
}

/// Whether `text` holds a template block at all.
fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// How a rendered string is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenderMode {
    /// Plain text: messages, titles, diagnoses.
    Text,
    /// Text sent to a service or a command as it renders (a URL, an
    /// argument, a header): a value that prints as nothing or as Python's
    /// repr (none, a map, a list) stops the run instead.
    Sent,
    /// A `sh -c` command line: values are shell-quoted.
    Shell,
    /// Markdown (the `record:` summary): values are escaped, so that what a
    /// service printed shows as text, never as a link, an image, a heading
    /// or a fence; `| safe` inserts one as Markdown.
    Markdown,
}

impl RenderMode {
    /// The name a template is compiled under: the shell's turns on quoting,
    /// so a URL ending in `.sh` is never taken for a command.
    const fn template_name(self) -> &'static str {
        match self {
            Self::Text => TEXT_NAME,
            Self::Sent => SENT_NAME,
            Self::Shell => SHELL_NAME,
            Self::Markdown => MARKDOWN_NAME,
        }
    }
}

/// A template or expression that failed, with minijinja's explanation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct TemplateError {
    /// What went wrong, one line (e.g. "undefined value: `inputs.x`").
    pub message: String,
}

impl From<minijinja::Error> for TemplateError {
    fn from(error: minijinja::Error) -> Self {
        let detail = error.detail().map_or_else(|| error.kind().to_string(), str::to_owned);
        Self { message: detail }
    }
}

/// The template engine of a run: a shared environment, and the templates
/// and expressions of a plan compiled once against it, borrowed from the
/// plan (`'p`), so that every run of the plan evaluates them without
/// parsing anything again.
pub struct Templates<'p> {
    environment: &'static Environment<'static>,
    /// Text templates by their text.
    text: HashMap<&'p str, Template<'p, 'p>>,
    /// The same, compiled to be sent.
    sent: HashMap<&'p str, Template<'p, 'p>>,
    /// `sh:` templates by their text.
    shell: HashMap<&'p str, Template<'p, 'p>>,
    /// Expressions by their text as written; compiled from the plan's
    /// guarded rewrite.
    expressions: HashMap<&'p str, Expression<'p, 'p>>,
}

impl Default for Templates<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// An environment with shell quoting, the runbook filters and the
/// comparison guard.
fn environment(behavior: UndefinedBehavior) -> Environment<'static> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(behavior);
    environment.set_auto_escape_callback(|name| {
        if name.ends_with(SHELL_SUFFIX) {
            AutoEscape::Custom("shell".into())
        } else if name.ends_with(SENT_SUFFIX) {
            AutoEscape::Custom("sent".into())
        } else if name.ends_with(MARKDOWN_SUFFIX) {
            AutoEscape::Custom("markdown".into())
        } else {
            AutoEscape::None
        }
    });
    // Booleans print as `true`/`false` and none as nothing: what URLs,
    // arguments and shells expect, not Python's `True` and `None`.
    let strict = behavior == UndefinedBehavior::Strict;
    environment.set_formatter(move |out, state, value| {
        if strict
            && matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "shell" || name == "sent")
            && let Some(refused) = crate::sent_value::refused(value)
        {
            return Err(refused);
        }
        let escape = match state.auto_escape() {
            AutoEscape::Custom(name) if name == "sent" && marks_url_values(state) => {
                Some(crate::url_values::mark as fn(&str) -> String)
            }
            AutoEscape::Custom(name) if name == "sent" => Some(str::to_owned as fn(&str) -> String),
            AutoEscape::Custom(name) if name == "markdown" => Some(crate::record::markdown_text as fn(&str) -> String),
            _ => None,
        };
        let text = match value.as_bool_like() {
            _ if value.is_none() => Some(String::new()),
            Some(flag) => Some(flag.to_string()),
            None => None,
        };
        let write = |out: &mut minijinja::Output, text: &str| {
            out.write_str(text).map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "cannot write"))
        };
        if let Some(trusted) = value.downcast_object_ref::<Trusted>() {
            return write(out, &trusted.0);
        }
        if let Some(encoded) = crate::url_values::written(value) {
            return write(out, &encoded);
        }
        if let Some(words) = value.downcast_object_ref::<Words>() {
            return write(out, &words.written(state, strict)?);
        }
        if matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "shell") {
            let (written, raw, held) = shell_written(value, text);
            return write(out, &if strict { crate::shell_values::mark(&written, &raw, held) } else { written });
        }
        match (escape, text) {
            (Some(escape), text) => write(out, &escape(&text.unwrap_or_else(|| value.to_string()))),
            (None, Some(text)) => write(out, &text),
            (None, None) => minijinja::escape_formatter(out, state, value),
        }
    });
    environment.add_filter("safe", safe_filter);
    environment.add_filter("dash_ok", dash_ok_filter);
    environment.add_filter("words", words_filter);
    environment.add_filter("urlencode", urlencode_filter);
    environment.add_filter("jsonpath", jsonpath_filter);
    environment.add_filter("regex", regex_filter);
    environment.add_function(GUARDS.compare, crate::checked_compare::compare);
    environment.add_function(GUARDS.require, crate::checked_compare::require);
    environment.add_function(GUARDS.truth, crate::checked_compare::truth_guard);
    environment.add_function(GUARDS.text, crate::checked_compare::printed_as_text);
    environment.add_function(GUARDS.truths, crate::checked_compare::truths);
    environment.add_function(GUARDS.arithmetic, crate::checked_compare::arithmetic);
    environment.add_function(GUARDS.present, crate::checked_compare::present);
    for (name, comparator) in runbook_model::COMPARISON_TESTS {
        environment.add_test(name, move |value: &Value, other: &Value| {
            crate::checked_compare::tested(value, comparator, other)
        });
    }
    environment.add_filter("bool", crate::checked_compare::bool_filter);
    environment.add_filter("version", crate::checked_compare::version_filter);
    environment.add_filter("int", crate::number_filters::int);
    environment.add_filter("float", crate::number_filters::float);
    environment.add_filter("duration", crate::number_filters::duration);
    environment.add_filter("milliseconds", crate::number_filters::milliseconds);
    environment.add_filter("max", crate::ordering_filters::max);
    environment.add_filter("min", crate::ordering_filters::min);
    environment.add_filter("sort", crate::ordering_filters::sort);
    environment.add_filter("first", crate::text_items::first);
    environment.add_filter("last", crate::text_items::last);
    environment.add_filter("length", crate::text_items::length);
    environment.add_filter("count", crate::text_items::length);
    environment
}

impl<'p> Templates<'p> {
    /// Strict templates: an undefined name is an error.
    pub fn new() -> Self {
        Self::on(&STRICT)
    }

    /// For dry runs, where assumed outcomes come without observations: an
    /// undefined name (`result.status`, a var never captured) renders as
    /// nothing instead of stopping the run.
    pub fn lenient() -> Self {
        Self::on(&LENIENT)
    }

    fn on(environment: &'static Environment<'static>) -> Self {
        Self {
            environment,
            text: HashMap::new(),
            sent: HashMap::new(),
            shell: HashMap::new(),
            expressions: HashMap::new(),
        }
    }

    /// Compiles every template and expression of `plan` once: `render`
    /// and `eval` then find them compiled, however often a step is
    /// polled or visited and however many runs share them.
    pub fn compile(&mut self, plan: &'p Plan) {
        for site in template_sites(&plan.runbook) {
            // A text template may be shown or sent: compiled for both.
            let modes: &[RenderMode] = match site.kind {
                TemplateKind::Template => &[RenderMode::Text, RenderMode::Sent],
                TemplateKind::Shell => &[RenderMode::Shell],
                TemplateKind::Expression => continue,
            };
            // One that does not parse is left out: `check` reports it, and
            // `render` reports it again at run time.
            let guarded = plan.templates().get(site.text).filter(|_| self.guarded());
            for &mode in modes {
                if is_template(site.text)
                    && let Ok(template) = self
                        .environment
                        .template_from_named_str(mode.template_name(), guarded.map_or(site.text, String::as_str))
                    && let Some(compiled) = self.compiled_mut(mode)
                {
                    compiled.insert(site.text, template);
                }
            }
        }
        for (written, evaluated) in plan.expressions() {
            if let Ok(expression) = self.environment.compile_expression(evaluated) {
                self.expressions.insert(written, expression);
            }
        }
    }

    /// Whether templates render through the guards: in strict runs, as
    /// expressions do. A dry run renders them as written, an unset value
    /// as nothing, since its assumed outcomes come without observations.
    fn guarded(&self) -> bool {
        self.environment.undefined_behavior() == UndefinedBehavior::Strict
    }

    /// The templates compiled for `mode`; none for the `record:` summary,
    /// rendered once per record.
    fn compiled(&self, mode: RenderMode) -> Option<&HashMap<&'p str, Template<'p, 'p>>> {
        match mode {
            RenderMode::Text => Some(&self.text),
            RenderMode::Sent => Some(&self.sent),
            RenderMode::Shell => Some(&self.shell),
            RenderMode::Markdown => None,
        }
    }

    fn compiled_mut(&mut self, mode: RenderMode) -> Option<&mut HashMap<&'p str, Template<'p, 'p>>> {
        match mode {
            RenderMode::Text => Some(&mut self.text),
            RenderMode::Sent => Some(&mut self.sent),
            RenderMode::Shell => Some(&mut self.shell),
            RenderMode::Markdown => None,
        }
    }

    /// Renders `text` with `context`. Text without `{{`/`{%` is returned as
    /// is, without compiling anything; a template [`Self::compile`] saw is
    /// not compiled again. Its blocks' comparisons and truths go through
    /// the guards a `when` goes through (`{% if vars.replica %}` with the
    /// text "false" stops the run, naming it), except in a dry run.
    pub(crate) fn render(&self, text: &str, context: &Value, mode: RenderMode) -> Result<String, TemplateError> {
        if !is_template(text) {
            return Ok(text.to_owned());
        }
        let render = |template: &Template<'_, '_>| {
            template
                .render(context)
                .map_err(|error| self.undefined(error, || template.undeclared_variables(true), context))
        };
        let rendered = if let Some(template) = self.compiled(mode).and_then(|compiled| compiled.get(text)) {
            render(template)?
        } else {
            let guarded = if self.guarded() { guard_template(text, &GUARDS) } else { None };
            render(
                &self.environment.template_from_named_str(mode.template_name(), guarded.as_deref().unwrap_or(text))?,
            )?
        };
        if mode != RenderMode::Shell || !self.guarded() {
            return Ok(rendered);
        }
        crate::shell_values::settle(&rendered).map_err(|refused| {
            let holder = self.names(text, mode).into_iter().filter(|name| {
                let value = crate::number_filters::lookup(context, name);
                !value.is_undefined() && shell_written(&value, None).1 == refused.value
            });
            let mut holders: Vec<String> = holder.collect();
            holders.sort_unstable();
            let named = holders.first().map_or_else(String::new, |name| format!("`{name}`: "));
            TemplateError { message: format!("{named}{}", refused.reason) }
        })
    }

    /// Renders a URL to be sent with each value between the marks
    /// [`crate::url_values::encode`] reads to encode it for where it lands.
    pub(crate) fn render_marked_url(&self, text: &str, context: &Value) -> Result<String, TemplateError> {
        let marking = Value::from(std::collections::BTreeMap::from([(crate::url_values::MARKING, true)]));
        self.render(text, &minijinja::value::merge_maps([marking, context.clone()]), RenderMode::Sent)
    }

    /// The dotted names (`vars.token`) a template reads; none when it does
    /// not parse, which rendering reports.
    pub(crate) fn names(&self, text: &str, mode: RenderMode) -> std::collections::HashSet<String> {
        if let Some(template) = self.compiled(mode).and_then(|compiled| compiled.get(text)) {
            return template.undeclared_variables(true);
        }
        self.environment.template_from_str(text).map(|template| template.undeclared_variables(true)).unwrap_or_default()
    }

    /// The dotted names an expression reads; none when it does not parse.
    pub(crate) fn expression_names(&self, expression: &str) -> std::collections::HashSet<String> {
        if let Some(compiled) = self.expressions.get(expression) {
            return compiled.undeclared_variables(true);
        }
        self.environment
            .compile_expression(expression)
            .map(|compiled| compiled.undeclared_variables(true))
            .unwrap_or_default()
    }

    /// Evaluates a bare expression (`when`, `stop_if`). A comparison of a
    /// string with a number is an error, not a silent true or false; so is
    /// an unset value tested (`vars.pct is none`) or given as the result
    /// (`vars.pct`, `true and vars.pct`), unless the environment is lenient.
    /// An expression of the plan is evaluated as compiled, its guards
    /// written in when it was planned; another one is guarded and compiled
    /// on the spot.
    pub(crate) fn eval(&self, expression: &str, context: &Value) -> Result<Value, TemplateError> {
        self.evaluate(expression, context, guard_comparisons)
    }

    /// [`Self::eval`], an expression the plan did not compile guarded on
    /// the spot by `guard`.
    fn evaluate(
        &self,
        expression: &str,
        context: &Value,
        guard: fn(&str, &runbook_model::Guards<'_>) -> Option<String>,
    ) -> Result<Value, TemplateError> {
        let guarded;
        let on_the_spot;
        let compiled = if let Some(compiled) = self.expressions.get(expression) {
            compiled
        } else {
            guarded = guard(expression, &GUARDS);
            on_the_spot = self.environment.compile_expression(guarded.as_deref().unwrap_or(expression))?;
            &on_the_spot
        };
        let names = || compiled.undeclared_variables(true);
        let value = compiled.eval(context).map_err(|error| self.undefined(error, names, context))?;
        if value.is_undefined() && self.environment.undefined_behavior() == UndefinedBehavior::Strict {
            let error = minijinja::Error::new(minijinja::ErrorKind::UndefinedError, format!("`{expression}`"));
            return Err(self.undefined(error, names, context));
        }
        Ok(value)
    }

    /// An "undefined value" error, with the missing name in its message; a
    /// failed `| int`, with the name that held the text.
    fn undefined(
        &self,
        error: minijinja::Error,
        names: impl FnOnce() -> std::collections::HashSet<String>,
        context: &Value,
    ) -> TemplateError {
        if error.kind() != minijinja::ErrorKind::UndefinedError {
            let error = TemplateError::from(error);
            let names = names();
            return crate::number_filters::explain(&error.message, &names, context)
                .or_else(|| crate::sent_value::explain(&error.message, &names, context))
                .map_or(error, |message| TemplateError { message });
        }
        crate::missing_name::explain(self.environment, &names(), context)
            .map_or_else(|| error.into(), |message| TemplateError { message })
    }

    /// Evaluates a condition: its truth in Jinja's sense, where every
    /// non-empty string is true. A string that reads as false (`"false"`,
    /// `"no"`, `"null"`, `"0.0"`, …, as a text capture gives them) is an
    /// error rather than a branch taken on the opposite of what it says,
    /// here and wherever the expression takes a truth (`not`, `and`, `or`);
    /// so is a map, true whatever it holds. Text that came with an answer
    /// is no condition, as the whole and as an operand of the `not`, `and`
    /// and `or` that make it ([`runbook_model::guard_when`]).
    pub(crate) fn is_true(&self, expression: &str, context: &Value) -> Result<bool, TemplateError> {
        let value = self.evaluate(expression, context, runbook_model::guard_when)?;
        if !value.is_undefined() {
            crate::checked_compare::condition(&value, expression)
                .map_err(|error| TemplateError { message: error.detail().unwrap_or_default().to_owned() })?;
        }
        Ok(value.is_true())
    }
}

/// Quotes `text` for POSIX `sh`: single quotes, with each `'` written as
/// `'\''`. The result is always one word, whatever the text holds.
pub fn shell_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

/// A value the author passed through `| safe`: written as is, even in
/// `sh:`. minijinja's own "safe" strings are not trusted: `tojson` and
/// `escape` mark their output safe for HTML, which says nothing about a
/// shell, so a JSON string holding `$(…)` would run.
#[derive(Debug)]
struct Trusted(String);

impl minijinja::value::Object for Trusted {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Plain
    }

    fn render(self: &std::sync::Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether values are rendered into a URL ([`Templates::render_url`]).
fn marks_url_values(state: &minijinja::State<'_, '_>) -> bool {
    state.lookup(crate::url_values::MARKING).is_some_and(|marking| marking.is_true())
}

/// `value | urlencode`, minijinja's, written into a URL as encoded
/// already, but still kept from changing the host or the path
/// ([`crate::url_values`]; elsewhere, a `sh:` quotes it as any value).
fn urlencode_filter(state: &minijinja::State<'_, '_>, value: &Value) -> Result<Value, minijinja::Error> {
    let encoded = minijinja::filters::urlencode(value)?;
    Ok(if marks_url_values(state) {
        Value::from_object(crate::url_values::Encoded(encoded))
    } else {
        Value::from(encoded)
    })
}

/// `value | safe`: the one opt-out of shell quoting.
fn safe_filter(value: &Value) -> Value {
    let text = match value.as_bool_like() {
        Some(flag) => flag.to_string(),
        None if value.is_none() => String::new(),
        None => value.to_string(),
    };
    Value::from_object(Trusted(text))
}

/// How `value` is written into `sh:`: quoted, or bare for a typed number
/// (`$(( {{ n }} + 1 ))` needs `5`, not `'5'`, and a number holds no shell
/// character); with the text it stands for and what it holds. `text` is
/// the formatter's reading of a boolean or none, if it made one.
fn shell_written(value: &Value, text: Option<String>) -> (String, String, crate::shell_values::Held) {
    use crate::shell_values::Held;
    if let Some(dashed) = value.downcast_object_ref::<DashOk>() {
        return (shell_quote(&dashed.0), dashed.0.clone(), Held::DashOk);
    }
    let raw = text.unwrap_or_else(|| value.to_string());
    if value.kind() == minijinja::value::ValueKind::Number && is_plain_number(&raw) {
        return (raw.clone(), raw, Held::Number);
    }
    (shell_quote(&raw), raw, Held::Text)
}

/// Whether `text` is a number as a shell reads one: digits, a sign, a
/// point, an exponent; never `inf` or `NaN`.
fn is_plain_number(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    unsigned.starts_with(|c: char| c.is_ascii_digit())
        && unsigned.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
}

/// A value the author passed through `| dash_ok`: quoted in `sh:` like any
/// other, but it may begin with `-` and be read as an option there.
#[derive(Debug)]
struct DashOk(String);

impl minijinja::value::Object for DashOk {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Plain
    }

    fn render(self: &std::sync::Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `value | dash_ok`: the author's word that a value in `sh:` may begin
/// with `-` and be an option (`ls {{ inputs.flags | dash_ok }}`).
fn dash_ok_filter(value: &Value) -> Result<Value, minijinja::Error> {
    if let Some(refused) = crate::sent_value::refused(value) {
        return Err(refused);
    }
    Ok(Value::from_object(DashOk(value.to_string())))
}

/// A list the author passed through `| words`: in `sh:`, each item one
/// quoted word (`kubectl get pods {{ vars.pods | words }}` runs
/// `kubectl get pods 'api-1' 'api-2'`), where `| join(' ')` makes them one.
#[derive(Debug)]
struct Words(Vec<Value>);

impl minijinja::value::Object for Words {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Plain
    }

    fn render(self: &std::sync::Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let texts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&texts.join(" "))
    }
}

impl Words {
    /// The items as written where they land: in `sh:` each quoted (and
    /// marked, so that where each lands is checked like any value); in a
    /// text only shown, joined by spaces; in what is sent otherwise (an
    /// `argv` element, a URL), refused, since one argument cannot be
    /// several words.
    fn written(&self, state: &minijinja::State<'_, '_>, strict: bool) -> Result<String, minijinja::Error> {
        match state.auto_escape() {
            AutoEscape::Custom(name) if name == "shell" => Ok(self
                .0
                .iter()
                .map(|item| {
                    let (written, raw, held) = shell_written(item, None);
                    if strict { crate::shell_values::mark(&written, &raw, held) } else { written }
                })
                .collect::<Vec<_>>()
                .join(" ")),
            AutoEscape::Custom(name) if name == "sent" => Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                "`| words` makes several words of a list in `sh:` only: an `argv` element or a URL is one \
                 argument; give each item its own `argv` element, or run the step once per item (`foreach:`)",
            )),
            _ => Ok(self.0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")),
        }
    }
}

/// `list | words`: each item of a list its own quoted word in `sh:`.
fn words_filter(value: &Value) -> Result<Value, minijinja::Error> {
    if let Some(refused) = crate::sent_value::refused(value).filter(|_| value.kind() != ValueKind::Seq) {
        return Err(refused);
    }
    let items: Vec<Value> =
        if value.kind() == ValueKind::Seq { value.try_iter()?.collect() } else { vec![value.clone()] };
    for item in &items {
        if let Some(refused) = crate::sent_value::refused(item) {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("`| words` got an item that is not text or a number: {}", refused.detail().unwrap_or_default()),
            ));
        }
    }
    Ok(Value::from_object(Words(items)))
}

/// An argument as a person would type it at a shell: quoted only when it
/// has to be, so displayed command lines stay readable.
pub(crate) fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | ',' | '@' | '+' | '%')
        });
    if plain { arg.to_owned() } else { shell_quote(arg) }
}

/// The `jsonpath` filter's parsed paths.
static QUERIES: LazyLock<CompiledArguments<runbook_model::JsonQuery>> = LazyLock::new(CompiledArguments::new);
/// The `regex` filter's compiled patterns, or why one does not compile.
static PATTERNS: LazyLock<CompiledArguments<Result<regex::Regex, String>>> = LazyLock::new(CompiledArguments::new);

/// `value | jsonpath("$.a.b")`: the nodes an RFC 9535 path selects; one
/// node gives its value, several give a list, none gives `none`. A filter
/// whose nodes depend on numbers written as text (`[?@.lag > "500"]`, or
/// `[?@.n > 5]` over `"n": "7"`) is refused, as in an expectation.
fn jsonpath_filter(value: &Value, path: &str) -> Result<Value, minijinja::Error> {
    let json: serde_json::Value = serde_json::to_value(value)
        .map_err(|error| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, error.to_string()))?;
    let query = QUERIES.get(path, |path| runbook_model::JsonQuery::new(path));
    if let Some(error) = query.error() {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("invalid JSONPath: {error}"),
        ));
    }
    if let Some(why) = query.numbers_written_as_text(&json) {
        return Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, why));
    }
    Ok(query.select(&json).map_or_else(|| Value::from(()), |node| Value::from_serialize_json(&node)))
}

/// `text | regex("pattern")`: the first capture group that took part in the
/// first match, or the whole match without groups, or `none`.
fn regex_filter(text: &str, pattern: &str) -> Result<Value, minijinja::Error> {
    let compiled =
        PATTERNS.get(pattern, |pattern| runbook_model::compile_regex(pattern).map_err(|error| error.to_string()));
    let regex = compiled.as_ref().as_ref().map_err(|error| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("invalid regex: {error}"))
    })?;
    Ok(regex
        .captures(text)
        .and_then(|captures| runbook_model::captured_group(&captures))
        .map_or_else(|| Value::from(()), |found| Value::from(found.as_str())))
}

/// Conversions between JSON and template values.
pub(crate) trait ValueExt {
    /// A template value holding this JSON.
    fn from_serialize_json(json: &serde_json::Value) -> Value;
}

impl ValueExt for Value {
    fn from_serialize_json(json: &serde_json::Value) -> Value {
        Value::from(minijinja::value::Serde(json))
    }
}

/// A boolean's value, for formatting.
trait BoolLike {
    fn as_bool_like(&self) -> Option<bool>;
}

impl BoolLike for Value {
    fn as_bool_like(&self) -> Option<bool> {
        (self.kind() == minijinja::value::ValueKind::Bool).then(|| self.is_true())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_shown_quoted_only_when_needed() {
        assert_eq!(shell_word("kubectl"), "kubectl");
        assert_eq!(shell_word("--timeout=10s"), "--timeout=10s");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word(""), "''");
    }

    fn context() -> Value {
        Value::from(minijinja::value::Serde(serde_json::json!({
            "inputs": { "base_url": "http://127.0.0.1:8080", "name": "it's $(touch /tmp/pwned)" },
            "vars": { "checks": { "db": { "ok": false } } },
            "result": { "status": 503 },
        })))
    }

    #[test]
    fn renders_text_and_leaves_plain_strings_alone() {
        let templates = Templates::new();
        let url = templates.render("{{ inputs.base_url }}/healthz", &context(), RenderMode::Text).unwrap();
        assert_eq!(url, "http://127.0.0.1:8080/healthz");
        assert_eq!(templates.render("no braces", &context(), RenderMode::Text).unwrap(), "no braces");
    }

    fn plan(yaml: &str) -> Plan {
        let checked = runbook_model::check_bytes("t.yaml", yaml.as_bytes());
        Plan::new(checked).unwrap_or_else(|checked| panic!("{:?}", checked.diagnostics))
    }

    #[test]
    fn compiled_templates_render_as_compiled_on_the_spot_and_keep_their_mode() {
        let plan = plan(
            r#"
id: t
title: T
inputs:
  name: {}
  port: {}
steps:
  - id: a
    check: { http: { url: "{{ inputs.name }}/run.sh" } }
  - id: b
    check: { cmd: { sh: "echo {{ inputs.name }}" } }
  - id: c
    check: { cmd: { argv: ["echo {{ inputs.name }}"] } }
  - id: d
    check: { http: { url: "{{ inputs.port }}/x" } }
"#,
        );
        let mut compiled = Templates::new();
        compiled.compile(&plan);
        let fresh = Templates::new();
        for (text, mode) in [
            ("{{ inputs.name }}/run.sh", RenderMode::Text),
            ("echo {{ inputs.name }}", RenderMode::Shell),
            ("echo {{ inputs.name }}", RenderMode::Text),
        ] {
            assert!(
                compiled.compiled(mode).is_some_and(|map| map.contains_key(text)),
                "{text} was compiled for {mode:?}"
            );
            assert_eq!(
                compiled.render(text, &context(), mode).unwrap(),
                fresh.render(text, &context(), mode).unwrap(),
                "{text} in {mode:?}"
            );
        }
        assert!(!compiled.shell.contains_key("{{ inputs.name }}/run.sh"));
        let url = compiled.render("{{ inputs.name }}/run.sh", &context(), RenderMode::Text).unwrap();
        assert_eq!(url, "it's $(touch /tmp/pwned)/run.sh", "a URL ending in .sh is not shell-quoted");
        assert!(compiled.text.contains_key("{{ inputs.port }}/x"));
        let error = compiled.render("{{ inputs.port }}/x", &context(), RenderMode::Text).unwrap_err();
        assert!(
            error.message.starts_with("`inputs.port` is not set"),
            "a compiled template names the missing name: {error}"
        );
    }

    #[test]
    fn compiled_expressions_evaluate_their_guarded_rewrite_as_compiled_on_the_spot() {
        let plan = plan(
            r#"
id: t
title: T
inputs:
  limit: { type: number, default: 500 }
steps:
  - id: a
    check:
      http: { url: "http://127.0.0.1:1/" }
      expect: [ { status: 200 } ]
      capture: { checks: { json: "$.checks" } }
    retry: { attempts: 2, interval: 1s, stop_if: "result.status == 200" }
    on:
      pass: b
      error: b
      fail:
        - when: result.status >= inputs.limit
          goto: b
        - when: vars.checks.db.ok
          goto: b
        - goto: b
  - id: b
    conclude: { status: diagnosed, severity: info, diagnosis: x }
"#,
        );
        let mut compiled = Templates::new();
        compiled.compile(&plan);
        let fresh = Templates::new();
        let written = ["result.status == 200", "result.status >= inputs.limit", "vars.checks.db.ok"];
        let mut keys: Vec<&str> = compiled.expressions.keys().copied().collect();
        keys.sort_unstable();
        let mut expected = written.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected, "each expression of the plan is compiled once");
        let numbers = Value::from(minijinja::value::Serde(serde_json::json!({
            "inputs": { "limit": 500 }, "result": { "status": 503 }, "vars": { "checks": { "db": { "ok": true } } },
        })));
        let texts = Value::from(minijinja::value::Serde(serde_json::json!({
            "inputs": { "limit": 500 }, "result": { "status": "503" }, "vars": {},
        })));
        for expression in written {
            for context in [&numbers, &texts] {
                assert_eq!(
                    compiled.is_true(expression, context),
                    fresh.is_true(expression, context),
                    "{expression} with {context}"
                );
            }
        }
        let error = compiled.is_true("result.status >= inputs.limit", &texts).unwrap_err();
        assert!(error.message.contains("compares a string with a number"), "the guard is compiled in: {error}");
        let error = compiled.is_true("vars.checks.db.ok", &texts).unwrap_err();
        assert!(
            error.message.starts_with("`vars.checks` is not set"),
            "a compiled expression names the missing name: {error}"
        );
    }

    #[test]
    fn template_blocks_go_through_the_guards_compiled_or_not_except_in_dry_runs() {
        let plan = plan(
            r#"
id: t
title: T
steps:
  - id: a
    collect:
      cmd: { argv: [echo] }
      capture: { m: { stdout: true } }
  - id: b
    conclude: { status: diagnosed, severity: info, diagnosis: "{% if vars.m %}in maintenance{% else %}live{% endif %}" }
"#,
        );
        let text = "{% if vars.m %}in maintenance{% else %}live{% endif %}";
        let mut compiled = Templates::new();
        compiled.compile(&plan);
        let said = |m: &str| Value::from(minijinja::value::Serde(serde_json::json!({ "vars": { "m": m } })));
        for templates in [&compiled, &Templates::new()] {
            let error = templates.render(text, &said("false"), RenderMode::Text).unwrap_err();
            assert!(error.message.starts_with(r#"`vars.m` gave the string "false""#), "{error}");
            assert_eq!(templates.render(text, &said("yes"), RenderMode::Text).unwrap(), "in maintenance");
        }
        let mut lenient = Templates::lenient();
        lenient.compile(&plan);
        assert_eq!(lenient.render(text, &said("false"), RenderMode::Text).unwrap(), "in maintenance");
        let shell = Templates::new().render("echo {% if vars.m %}on{% endif %}", &said("no"), RenderMode::Shell);
        assert!(shell.is_err(), "sh: templates are guarded too");
    }

    #[test]
    fn text_filters_over_none_stop_naming_the_value() {
        let templates = Templates::new();
        let context = Value::from(minijinja::value::Serde(serde_json::json!({
            "vars": { "owner": null, "states": ["up", null, "UP"], "team": "SRE" },
        })));
        for (expression, starts) in [
            ("(vars.owner | lower) != 'sre'", "`vars.owner` is none"),
            ("(vars.owner | upper | trim) != 'SRE'", "`vars.owner` is none"),
            ("'sre' not in (vars.owner | string)", "`vars.owner` is none"),
            ("(vars.owner ~ '') != 'sre'", "`vars.owner` is none"),
            ("'down' in (vars.states | map('lower') | list)", "`vars.states` holds none (item 2 of `vars.states`"),
            ("'down' in (vars.states | join(','))", "`vars.states` holds none"),
        ] {
            let error = templates.is_true(expression, &context).unwrap_err();
            assert!(error.message.starts_with(starts), "{expression}: {error}");
        }
        let error = templates.is_true("(vars.owner | lower) != 'sre'", &context).unwrap_err();
        assert!(error.message.contains("`| lower` would make it the text \"none\""), "{error}");
        assert!(templates.is_true("(vars.team | lower) == 'sre'", &context).unwrap());
        assert!(templates.is_true("(vars.owner | default('nobody', true) | lower) == 'nobody'", &context).unwrap());
        assert!(templates.is_true("vars.owner is none or (vars.owner | lower) != 'sre'", &context).unwrap());
        let sent = templates.render("rm -rf cache/{{ vars.owner | lower }}", &context, RenderMode::Shell);
        assert!(sent.unwrap_err().message.starts_with("`vars.owner` is none"));
        let shown = templates.render("owner: {{ vars.owner | lower }}", &context, RenderMode::Text);
        assert_eq!(shown.unwrap(), "owner: none", "a text only shown prints as Jinja prints it");
    }

    #[test]
    fn undefined_names_are_errors() {
        let templates = Templates::new();
        let error = templates.render("{{ inputs.base_ur }}/x", &context(), RenderMode::Text).unwrap_err();
        assert!(error.message.starts_with("`inputs.base_ur` is not set"), "{error}");
        let error = templates.is_true("vars.nope.ok", &context()).unwrap_err();
        assert!(error.message.starts_with("`vars.nope` is not set: no capture gave `nope` a value"), "{error}");
        for unset in ["vars.nope", "vars.checks.db.nope", "true and vars.nope", "vars.nope is none"] {
            assert!(templates.is_true(unset, &context()).is_err(), "{unset}");
            assert!(!Templates::lenient().is_true(unset, &context()).unwrap_or(false), "{unset}");
        }
        assert!(templates.is_true("vars.nope is undefined and vars.checks.db is not none", &context()).unwrap());
    }

    #[test]
    fn shell_values_are_quoted_unless_safe() {
        let templates = Templates::new();
        let command = templates.render("echo {{ inputs.name }}", &context(), RenderMode::Shell).unwrap();
        assert_eq!(command, r"echo 'it'\''s $(touch /tmp/pwned)'");
        let raw = templates.render("echo {{ inputs.base_url | safe }}", &context(), RenderMode::Shell).unwrap();
        assert_eq!(raw, "echo http://127.0.0.1:8080");
    }

    #[test]
    fn shell_values_that_would_be_options_paths_cut_short_or_arithmetic_code_stop_the_render() {
        let templates = Templates::new();
        let context = Value::from(minijinja::value::Serde(serde_json::json!({
            "inputs": { "dir": "-delete", "n": 5, "neg": -1, "text_n": "7", "hostile": "a[$(touch /tmp/x)]", "x": "" },
        })));
        let shell = |text: &str| templates.render(text, &context, RenderMode::Shell);
        let error = shell("find {{ inputs.dir }} -name '*.tmp'").unwrap_err();
        assert!(error.message.starts_with("`inputs.dir`: the value `-delete` begins with `-`"), "{error}");
        assert_eq!(shell("find -- {{ inputs.dir }}").unwrap(), "find -- '-delete'");
        assert_eq!(shell("ls {{ inputs.dir | dash_ok }}").unwrap(), "ls '-delete'");
        let error = shell("rm -rf /var/cache/{{ inputs.x }}").unwrap_err();
        assert!(error.message.starts_with("`inputs.x`: the value is empty and forms a path segment"), "{error}");
        assert_eq!(
            shell("echo $(( {{ inputs.n }} + 1 )) {{ inputs.n }} {{ inputs.neg }}").unwrap(),
            "echo $(( 5 + 1 )) 5 -1"
        );
        assert_eq!(shell("echo $(( {{ inputs.text_n }} + 1 ))").unwrap(), "echo $(( 7 + 1 ))");
        let error = shell("echo $(( {{ inputs.hostile }} + 1 ))").unwrap_err();
        assert!(
            error.message.starts_with("`inputs.hostile`: the value `a[$(touch /tmp/x)]` lands in shell arithmetic"),
            "{error}"
        );
        assert_eq!(shell("echo {{ inputs.text_n }}").unwrap(), "echo '7'", "text stays quoted outside arithmetic");
        let dry = Templates::lenient().render("find {{ inputs.dir }}", &context, RenderMode::Shell).unwrap();
        assert_eq!(dry, "find '-delete'", "a dry run shows the command");
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(shell("echo $(( {{ inputs.n }} * 2 ))").unwrap())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stdout), "10\n", "a typed number is arithmetic");
    }

    #[test]
    fn a_list_through_words_is_one_quoted_word_per_item_in_shell_only() {
        let templates = Templates::new();
        let context = Value::from(minijinja::value::Serde(serde_json::json!({
            "vars": { "hosts": ["api-1", "a b; touch /tmp/x", 7], "flags": ["-rf"], "none": [null] },
        })));
        let shell = |text: &str| templates.render(text, &context, RenderMode::Shell);
        assert_eq!(shell("ping -c1 {{ vars.hosts | words }}").unwrap(), r"ping -c1 'api-1' 'a b; touch /tmp/x' 7");
        assert_eq!(shell("ping {{ vars.hosts | join(' ') }}").unwrap(), r"ping 'api-1 a b; touch /tmp/x 7'");
        let error = shell("rm {{ vars.flags | words }}").unwrap_err();
        assert!(error.message.contains("the value `-rf` begins with `-`"), "each item is checked: {error}");
        assert_eq!(shell("rm -- {{ vars.flags | words }}").unwrap(), "rm -- '-rf'");
        assert!(shell("echo {{ vars.none | words }}").is_err(), "none in a list is refused");
        let sent = templates.render("{{ vars.hosts | words }}", &context, RenderMode::Sent).unwrap_err();
        assert!(sent.message.contains("in `sh:` only"), "{sent}");
        let shown = templates.render("{{ vars.hosts | words }}", &context, RenderMode::Text).unwrap();
        assert_eq!(shown, "api-1 a b; touch /tmp/x 7");
    }

    #[test]
    fn html_safe_filters_are_still_quoted_in_shell() {
        let templates = Templates::new();
        let context = Value::from(minijinja::value::Serde(serde_json::json!({
            "vars": { "payload": { "cmd": "$(touch /tmp/pwned)" }, "name": "<a & b>" },
        })));
        let json = templates.render("echo {{ vars.payload | tojson }}", &context, RenderMode::Shell).unwrap();
        assert_eq!(json, r#"echo '{"cmd": "$(touch /tmp/pwned)"}'"#);
        let escaped = templates.render("printf %s {{ vars.name | escape }}", &context, RenderMode::Shell).unwrap();
        let output = std::process::Command::new("sh").arg("-c").arg(&escaped).output().unwrap();
        assert!(String::from_utf8_lossy(&output.stdout).contains("<a & b>"), "{escaped}");
        let text = templates.render("{{ vars.name | safe }} {{ true | safe }}", &context, RenderMode::Text).unwrap();
        assert_eq!(text, "<a & b> true");
    }

    #[test]
    fn quoted_values_reach_the_shell_as_data() {
        let canary = std::env::temp_dir().join(format!("runbook-canary-{}", std::process::id()));
        let hostile = format!("x'; touch {} #", canary.display());
        let context = Value::from(minijinja::value::Serde(serde_json::json!({ "inputs": { "v": hostile } })));
        let command = Templates::new().render("printf %s {{ inputs.v }}", &context, RenderMode::Shell).unwrap();
        let output = std::process::Command::new("sh").arg("-c").arg(&command).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stdout), hostile);
        assert!(!canary.exists(), "the hostile value ran as a command");
    }

    #[test]
    fn lenient_templates_render_undefined_names_as_nothing() {
        let templates = Templates::lenient();
        assert_eq!(templates.render("[{{ vars.nope.deeper }}]", &context(), RenderMode::Text).unwrap(), "[]");
        assert!(!templates.is_true("vars.nope.ok", &context()).unwrap());
    }

    #[test]
    fn expressions_branch_on_context() {
        let templates = Templates::new();
        assert!(templates.is_true("vars.checks.db.ok == false and result.status >= 500", &context()).unwrap());
        assert!(!templates.is_true("result.status < 500", &context()).unwrap());
    }

    #[test]
    fn a_string_compared_with_a_number_stops_the_expression() {
        let templates = Templates::new();
        let context = Value::from(minijinja::value::Serde(serde_json::json!({
            "vars": { "pct": "20", "used": 20 }, "inputs": { "threshold": 90 },
        })));
        let error = templates.is_true("vars.pct > inputs.threshold", &context).unwrap_err();
        assert!(
            error.message.contains(r#"`vars.pct` is the string "20", `inputs.threshold` is the number 90"#),
            "{error}"
        );
        assert!(templates.is_true("vars.pct | int < inputs.threshold and vars.used < 90", &context).unwrap());
        assert!(templates.is_true("vars.pct == '20' and vars.pct is string and vars.used != none", &context).unwrap());
        let error = templates.is_true("vars.used > 10 and '20' == vars.used", &context).unwrap_err();
        assert!(error.message.contains(r#"`"20"` is the string "20", `vars.used` is the number 20"#), "{error}");
    }

    #[test]
    fn a_string_that_reads_as_false_is_not_taken_as_true() {
        let templates = Templates::new();
        let context = Value::from(minijinja::value::Serde(serde_json::json!({
            "vars": { "enabled": "false", "count": " 0 ", "name": "db-1", "flag": false },
        })));
        let error = templates.is_true("vars.enabled", &context).unwrap_err();
        assert!(
            error.message.starts_with(r#"`vars.enabled` gave the string "false", which counts as true"#),
            "{error}"
        );
        assert!(templates.is_true("vars.flag or vars.count", &context).is_err());
        let error = templates.is_true("vars.name", &context).unwrap_err();
        assert!(
            error.message.starts_with(r#"`vars.name` gave the string "db-1", and text is no condition"#),
            "{error}"
        );
        let error = templates.is_true("vars.flag or vars.name", &context).unwrap_err();
        assert!(error.message.starts_with(r#"`vars.name` gave the string "db-1""#), "the operand named: {error}");
        assert!(templates.is_true("not vars.name", &context).is_err(), "an operand of `not` is a condition too");
        assert!(templates.is_true("(vars.name or '') != ''", &context).unwrap(), "`or` as a fallback");
        assert!(templates.is_true("vars.name != ''", &context).unwrap());
        let given = Value::from(minijinja::value::Serde(serde_json::json!({ "inputs": { "api_key": "k" } })));
        assert!(templates.is_true("inputs.api_key", &given).unwrap(), "an input's text says it was given");
        assert!(templates.is_true("inputs.api_key and true", &given).unwrap(), "as an operand too");
        let shown = templates.render("{% if vars.name %}on {{ vars.name }}{% endif %}", &context, RenderMode::Text);
        assert_eq!(shown.unwrap(), "on db-1", "a template's `if` still reads \"something was given\"");
        assert!(!templates.is_true("vars.enabled == 'true'", &context).unwrap());
        assert!(!templates.is_true("vars.flag", &context).unwrap());
    }

    #[test]
    fn urlencode_and_tojson_are_available() {
        let templates = Templates::new();
        let url = templates.render("/runs?q={{ 'a b&c' | urlencode }}", &context(), RenderMode::Text).unwrap();
        assert_eq!(url, "/runs?q=a%20b%26c");
        let json = templates.render("{{ vars.checks | tojson }}", &context(), RenderMode::Text).unwrap();
        assert_eq!(json, r#"{"db": {"ok": false}}"#);
    }

    #[test]
    fn jsonpath_and_regex_filters() {
        let templates = Templates::new();
        let ok = templates.render("{{ vars | jsonpath('$.checks.db.ok') }}", &context(), RenderMode::Text).unwrap();
        assert_eq!(ok, "false");
        let version =
            templates.render("{{ 'v1.2.3 ok' | regex('v([0-9.]+)') }}", &context(), RenderMode::Text).unwrap();
        assert_eq!(version, "1.2.3");
        let ordered = r#"{{ [{"lag": "1200"}] | jsonpath('$[?@.lag > "500"]') }}"#;
        let error = templates.render(ordered, &context(), RenderMode::Text).unwrap_err();
        assert!(error.to_string().contains(r#"orders against the text "500""#), "{error}");
    }
}
