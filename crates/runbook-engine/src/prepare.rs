//! Preparing probes: a runbook's probe, with its templates rendered against
//! the run's facts, becomes a spec ready to run and a one-line description
//! of what will run (shown in the evidence, the dry run and the record).

use std::cell::OnceCell;
use std::sync::Arc;
use std::time::Duration;

use minijinja::value::Value;
use runbook_model::{CmdProbe, HttpProbe, Port, Probe, ProbeKind, TcpProbe, whole_expression};
use serde_json::Value as Json;

use crate::facts::Facts;
use crate::probe::{CmdProgram, CmdSpec, EnvSpec, HttpClient, HttpSpec, ProxySetting, SecretParts, TcpSpec};
use crate::redact::Redactor;
use crate::template::{RenderMode, Templates, shell_word};

/// Limit on an HTTP exchange when the runbook gives none.
pub(crate) const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Limit on a command when the runbook gives none.
pub(crate) const DEFAULT_CMD_TIMEOUT: Duration = Duration::from_secs(30);
/// Limit on a TCP connection attempt when the runbook gives none.
pub(crate) const DEFAULT_TCP_TIMEOUT: Duration = Duration::from_secs(5);

/// A template that failed while preparing a step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot render `{field}`: {message}")]
pub struct RenderError {
    /// Which field: `http.url`, `cmd.argv[2]`, `foreach`, …
    pub field: String,
    /// minijinja's explanation.
    pub message: String,
}

/// Renders the templates of one step against the run's facts. The context
/// is built on the first template, so plain strings cost nothing.
pub(crate) struct Renderer<'a> {
    templates: &'a Templates<'a>,
    facts: &'a Facts,
    extra: Vec<(&'a str, Value)>,
    context: OnceCell<Value>,
    refuse_placeholders: bool,
}

/// What a redacted secret looks like in a value read back from a journal.
const PLACEHOLDER: &str = "[redacted:";

impl<'a> Renderer<'a> {
    /// A renderer over the facts, with extra names (`result`, the
    /// `foreach` item) on top.
    pub(crate) fn new(templates: &'a Templates<'a>, facts: &'a Facts, extra: Vec<(&'a str, Value)>) -> Self {
        Self { templates, facts, extra, context: OnceCell::new(), refuse_placeholders: false }
    }

    /// The same renderer for what is sent to a service or a command: in a
    /// resumed run it refuses a value holding a `[redacted:NAME]`
    /// placeholder (a captured value that held a secret comes back from the
    /// journal so), which would be sent in place of the secret.
    pub(crate) fn sending(mut self, resumed: bool) -> Self {
        self.refuse_placeholders = resumed;
        self
    }

    /// `rendered` unless it holds a placeholder its template did not write.
    fn without_placeholder(&self, field: &str, template: &str, rendered: String) -> Result<String, RenderError> {
        let Some(at) =
            rendered.find(PLACEHOLDER).filter(|_| self.refuse_placeholders && !template.contains(PLACEHOLDER))
        else {
            return Ok(rendered);
        };
        let placeholder = rendered[at..].split_inclusive(']').next().unwrap_or(PLACEHOLDER);
        Err(RenderError {
            field: field.to_owned(),
            message: format!(
                "it would send `{placeholder}`: a value that held a secret came back redacted from the journal when \
                 the run resumed (secrets are never written there), and a placeholder is never sent in place of a \
                 secret; start a new run to get the value again"
            ),
        })
    }

    fn context(&self) -> &Value {
        self.context.get_or_init(|| self.facts.context_with(&self.extra))
    }

    /// Renders a text template.
    pub(crate) fn text(&self, field: &str, text: &str) -> Result<String, RenderError> {
        self.render(field, text, RenderMode::Text)
    }

    /// Renders a `sh -c` command line, shell-quoting every value.
    pub(crate) fn shell(&self, field: &str, text: &str) -> Result<String, RenderError> {
        self.render(field, text, RenderMode::Shell)
    }

    fn render(&self, field: &str, text: &str, mode: RenderMode) -> Result<String, RenderError> {
        if !text.contains("{{") && !text.contains("{%") {
            return Ok(text.to_owned());
        }
        let rendered = self
            .templates
            .render(text, self.context(), mode)
            .map_err(|error| RenderError { field: field.to_owned(), message: error.message })?;
        self.without_placeholder(field, text, rendered)
    }

    /// Evaluates a condition (`when`, `stop_if`).
    pub(crate) fn condition(&self, field: &str, expression: &str) -> Result<bool, RenderError> {
        self.templates
            .is_true(expression, self.context())
            .map_err(|error| RenderError { field: field.to_owned(), message: error.message })
    }

    /// Renders a JSON value: strings are templates, and a string that is one
    /// whole `{{ … }}` keeps the type of what it gives (a list, a number).
    pub(crate) fn value(&self, field: &str, value: &Json) -> Result<Json, RenderError> {
        match value {
            Json::String(text) => match whole_expression(text) {
                Some(expression) => {
                    let value = self
                        .templates
                        .eval(expression, self.context())
                        .map_err(|error| RenderError { field: field.to_owned(), message: error.message })?;
                    let value = serde_json::to_value(&value)
                        .map_err(|error| RenderError { field: field.to_owned(), message: error.to_string() })?;
                    self.without_placeholder(field, text, value.to_string())?;
                    Ok(value)
                }
                None => self.text(field, text).map(Json::from),
            },
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| self.value(&format!("{field}[{i}]"), item))
                .collect::<Result<_, _>>()
                .map(Json::Array),
            Json::Object(map) => map
                .iter()
                .map(|(key, item)| Ok((key.clone(), self.value(&format!("{field}.{key}"), item)?)))
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

/// Renders `probe` into a spec.
/// `redactor` knows the run's secrets: a request says which of its parts
/// hold one, so that a redirect never carries them to another origin.
pub(crate) fn prepare(
    probe: &Probe,
    renderer: &Renderer<'_>,
    client: &HttpClient,
    redactor: &Redactor,
) -> Result<Prepared, RenderError> {
    match probe {
        Probe::Http(http) => prepare_http(http, renderer, client, redactor),
        Probe::Cmd(cmd) => prepare_cmd(cmd, renderer),
        Probe::Tcp(tcp) => prepare_tcp(tcp, renderer),
        Probe::Env(env) => {
            let names = |list: &[runbook_model::Spanned<String>]| list.iter().map(|n| n.value.clone()).collect();
            let spec = EnvSpec { set: names(&env.set), non_empty: names(&env.non_empty) };
            let mut target = Vec::new();
            if !spec.set.is_empty() {
                target.push(format!("set: {}", spec.set.join(", ")));
            }
            if !spec.non_empty.is_empty() {
                target.push(format!("non-empty: {}", spec.non_empty.join(", ")));
            }
            Ok(Prepared {
                kind: ProbeKind::Env,
                target: format!("env {}", target.join("; ")),
                probe: Arc::new(spec),
                timeout: None,
            })
        }
    }
}

fn prepare_http(
    http: &HttpProbe,
    renderer: &Renderer<'_>,
    client: &HttpClient,
    redactor: &Redactor,
) -> Result<Prepared, RenderError> {
    let method = http.method.as_ref().map_or(runbook_model::Method::Get, |m| m.value);
    let method = format!("{method:?}").to_uppercase();
    let url = renderer.text("http.url", &http.url)?;
    let headers = http
        .headers
        .iter()
        .map(|(name, value)| Ok((name.value.clone(), renderer.text(&format!("http.headers.{}", name.value), value)?)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    let (body, json_body) = match (&http.json, &http.body) {
        (Some(json), _) => {
            let document = renderer.value("http.json", json)?;
            (Some(serde_json::to_vec(&document).unwrap_or_default()), true)
        }
        (None, Some(body)) => (Some(renderer.text("http.body", body)?.into_bytes()), false),
        (None, None) => (None, false),
    };
    let tls = http.tls.as_ref();
    let target = format!("{method} {url}");
    let timeout = http.timeout.as_ref().map_or(DEFAULT_HTTP_TIMEOUT, |t| t.0);
    let holds_secret = |text: &str| redactor.text(text) != text;
    let secret_parts = SecretParts {
        headers: headers.iter().filter(|(_, value)| holds_secret(value)).map(|(name, _)| name.to_lowercase()).collect(),
        body: body.as_ref().is_some_and(|body| holds_secret(&String::from_utf8_lossy(body))),
    };
    let spec = HttpSpec {
        method,
        url,
        headers,
        body,
        json_body,
        timeout,
        connect_timeout: http.connect_timeout.as_ref().map(|t| t.0),
        follow_redirects: http.follow_redirects.unwrap_or(true),
        insecure: tls.and_then(|t| t.insecure.as_ref()).is_some_and(|i| i.value),
        ca_file: match tls.and_then(|t| t.ca_file.as_ref()) {
            Some(path) => Some(renderer.text("http.tls.ca_file", path)?.into()),
            None => None,
        },
        proxy: match &http.proxy {
            None => ProxySetting::Environment,
            Some(proxy) => match renderer.text("http.proxy", proxy)? {
                text if text.trim() == "none" => ProxySetting::Direct,
                text => ProxySetting::Url(text),
            },
        },
        secret_parts,
        client: client.clone(),
    };
    Ok(Prepared { kind: ProbeKind::Http, target, probe: Arc::new(spec), timeout: Some(timeout) })
}

fn prepare_cmd(cmd: &CmdProbe, renderer: &Renderer<'_>) -> Result<Prepared, RenderError> {
    let (program, mut target) = match (&cmd.argv, &cmd.sh) {
        (Some(argv), _) => {
            let argv = argv
                .iter()
                .enumerate()
                .map(|(i, arg)| renderer.text(&format!("cmd.argv[{i}]"), arg))
                .collect::<Result<Vec<_>, _>>()?;
            let line = argv.iter().map(|arg| shell_word(arg)).collect::<Vec<_>>().join(" ");
            (CmdProgram::Argv(argv), line)
        }
        (None, Some(sh)) => {
            let line = renderer.shell("cmd.sh", sh)?;
            // Shown as written, values substituted: what the operator would type.
            (CmdProgram::Shell(line.clone()), line)
        }
        (None, None) => (CmdProgram::Argv(Vec::new()), String::new()),
    };
    let env = cmd
        .env
        .iter()
        .map(|(name, value)| Ok((name.value.clone(), renderer.text(&format!("cmd.env.{}", name.value), value)?)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    let cwd = match &cmd.cwd {
        Some(cwd) => Some(renderer.text("cmd.cwd", cwd)?),
        None => None,
    };
    if let Some(cwd) = &cwd {
        target = format!("(cd {} && {target})", shell_word(cwd));
    }
    let stdin = match &cmd.stdin {
        Some(stdin) => Some(renderer.text("cmd.stdin", stdin)?),
        None => None,
    };
    let timeout = cmd.timeout.as_ref().map_or(DEFAULT_CMD_TIMEOUT, |t| t.0);
    let spec = CmdSpec { program, env, cwd: cwd.map(Into::into), stdin, timeout };
    Ok(Prepared { kind: ProbeKind::Cmd, target, probe: Arc::new(spec), timeout: Some(timeout) })
}

fn prepare_tcp(tcp: &TcpProbe, renderer: &Renderer<'_>) -> Result<Prepared, RenderError> {
    let host = renderer.text("tcp.host", &tcp.host)?;
    let port = match &tcp.port.value {
        Port::Number(port) => *port,
        Port::Template(template) => {
            let port = renderer.value("tcp.port", &Json::from(template.as_str()))?;
            let text = match &port {
                Json::String(text) => text.trim().to_owned(),
                other => other.to_string(),
            };
            text.parse::<u16>().ok().filter(|port| *port > 0).ok_or_else(|| RenderError {
                field: "tcp.port".into(),
                message: format!("`{text}` is not a port number from 1 to 65535"),
            })?
        }
    };
    let timeout = tcp.timeout.as_ref().map_or(DEFAULT_TCP_TIMEOUT, |t| t.0);
    let spec = TcpSpec { host, port, timeout };
    let target = format!("tcp {}:{}", spec.host, spec.port);
    Ok(Prepared { kind: ProbeKind::Tcp, target, probe: Arc::new(spec), timeout: Some(timeout) })
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
