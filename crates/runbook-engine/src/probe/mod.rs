//! Probes: the side effects that observe a system. Each kind is one module
//! that turns a rendered spec (templates already applied) into an
//! observation; nothing here judges expectations or prints.

mod body_encoding;
mod captured;
mod cmd;
mod connect_answer;
mod connector;
mod env;
mod http;
mod http_kind;
mod http_timing;
mod observed;
pub(crate) mod proxy;
mod run_mark;
mod runner;
mod shell_fallback;
mod tcp;
mod tls;
mod tls_client;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use runbook_model::{DeclaredProbe, MockedObservation, ProbeKind};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::prepare::{Prepared, RenderError, Renderer};

pub(crate) use body_encoding::decodes as decodes_encoding;
pub use captured::Captured;
pub use cmd::{CmdFacts, CmdObservation, CmdProgram, CmdSpec, kill_running_commands};
pub use env::{EnvFacts, EnvObservation, EnvSpec, EnvVar, EnvVarFacts};
pub use http::{HttpClient, HttpObservation, HttpSpec, Redirect, SecretParts};
pub use http_kind::{HttpFacts, TimingFacts, timing_by_hand};
pub use http_timing::HttpTiming;
pub use observed::Observed;
pub use proxy::ProxySetting;
pub use run_mark::{Leftover, RUN_ID_VARIABLE, mark_commands_of, still_running};
pub(crate) use runner::ProbeResult;
pub use runner::{ProbeCall, ProbeRunFuture, ProbeRunner, SystemProbes};
pub use tcp::{TcpFacts, TcpObservation};
pub use tls::Certificate;

/// Bounds every probe obeys, whatever the runbook says.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most bytes kept of one output stream or body: half from its start,
    /// half from its end; the middle is counted, not kept.
    pub max_capture_bytes: usize,
    /// Time between SIGTERM and SIGKILL when a command's process group is
    /// stopped.
    pub kill_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_capture_bytes: 1024 * 1024, kill_grace: Duration::from_secs(2) }
    }
}

/// Why a probe produced no observation to judge. Branches match on the
/// kind (`result.error.kind == "timeout"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The probe's time limit passed.
    Timeout,
    /// The connection was refused.
    Refused,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The connection was reset or closed mid-exchange.
    Reset,
    /// More redirects than allowed.
    TooManyRedirects,
    /// The rendered URL, host or port is not valid.
    InvalidTarget,
    /// A body or output expected to be JSON is not.
    InvalidJson,
    /// A capture's value does not convert to its `type:`.
    InvalidCapture,
    /// An expectation compares a string with a number.
    TypeMismatch,
    /// The command could not be started (not found, not executable).
    SpawnFailed,
    /// A check's `foreach` list was empty: no probe ran, nothing was
    /// judged.
    EmptyForeach,
    /// The run was interrupted (Ctrl-C) while the probe ran.
    Interrupted,
    /// The command was killed by a signal (the OOM killer, a watchdog), so
    /// it has no exit code for an expectation to judge.
    Killed,
    /// Any other I/O failure.
    Io,
}

impl ErrorKind {
    /// Whether a probe with this error still answered, so that what it
    /// printed or sent is a value to capture: a body that is not JSON, a
    /// value of the wrong type. A probe that timed out, could not start or
    /// connect, or was interrupted gave no answer: its captures take their
    /// defaults (what it printed before, `0` from `wc -l` after a missing
    /// `pgrep`, is not an answer).
    pub const fn answered(self) -> bool {
        matches!(self, Self::InvalidJson | Self::InvalidCapture | Self::TypeMismatch)
    }

    /// The name expressions compare with.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Refused => "refused",
            Self::Dns => "dns",
            Self::Tls => "tls",
            Self::Reset => "reset",
            Self::TooManyRedirects => "too_many_redirects",
            Self::InvalidTarget => "invalid_target",
            Self::InvalidJson => "invalid_json",
            Self::InvalidCapture => "invalid_capture",
            Self::TypeMismatch => "type_mismatch",
            Self::SpawnFailed => "spawn_failed",
            Self::EmptyForeach => "empty_foreach",
            Self::Interrupted => "interrupted",
            Self::Killed => "killed",
            Self::Io => "io",
        }
    }
}

/// A probe failure: its kind and a one-line message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ProbeError {
    /// What went wrong, for branching.
    pub kind: ErrorKind,
    /// What went wrong, for people (no secrets: built from rendered specs,
    /// which are redacted before display).
    pub message: String,
}

impl ProbeError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    /// The error with secrets replaced in its message.
    pub(crate) fn redacted(mut self, redactor: &crate::redact::Redactor) -> Self {
        redactor.in_place(&mut self.message);
        self
    }
}

/// What one probe saw.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "probe", rename_all = "snake_case")]
pub enum Observation {
    /// From an `http` probe.
    Http(HttpObservation),
    /// From a `cmd` probe.
    Cmd(CmdObservation),
    /// From a `tcp` probe.
    Tcp(TcpObservation),
    /// From an `env` probe.
    Env(EnvObservation),
}

/// What `steps.ID` holds of one probe's observation. Read back untagged:
/// each kind has fields the others lack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ObservedFacts {
    /// Of an `http` probe (boxed: the largest by far).
    Http(Box<HttpFacts>),
    /// Of a `cmd` probe.
    Cmd(CmdFacts),
    /// Of a `tcp` probe.
    Tcp(TcpFacts),
    /// Of an `env` probe.
    Env(EnvFacts),
}

impl crate::redact::Redact for ObservedFacts {
    fn redact(&mut self, redactor: &crate::redact::Redactor) {
        match self {
            Self::Http(facts) => facts.redact(redactor),
            Self::Cmd(facts) => facts.redact(redactor),
            Self::Tcp(facts) => facts.redact(redactor),
            Self::Env(facts) => facts.redact(redactor),
        }
    }
}

impl crate::redact::Redact for ProbeError {
    fn redact(&mut self, redactor: &crate::redact::Redactor) {
        let Self { kind: _, message } = self;
        redactor.in_place(message);
    }
}

impl Observation {
    /// What every reader asks of it, answered by its kind's module: the
    /// one place that lists the kinds of observation.
    pub fn observed(&self) -> &dyn Observed {
        match self {
            Self::Http(o) => o,
            Self::Cmd(o) => o,
            Self::Tcp(o) => o,
            Self::Env(o) => o,
        }
    }

    /// The kind of probe that observed it.
    pub fn kind(&self) -> runbook_model::ProbeKind {
        match self {
            Self::Http(_) => runbook_model::ProbeKind::Http,
            Self::Cmd(_) => runbook_model::ProbeKind::Cmd,
            Self::Tcp(_) => runbook_model::ProbeKind::Tcp,
            Self::Env(_) => runbook_model::ProbeKind::Env,
        }
    }

    fn observed_mut(&mut self) -> &mut dyn Observed {
        match self {
            Self::Http(o) => o,
            Self::Cmd(o) => o,
            Self::Tcp(o) => o,
            Self::Env(o) => o,
        }
    }

    /// How long the probe took.
    pub fn duration(&self) -> Duration {
        self.observed().duration()
    }

    /// Makes it take no time, as everything does on virtual time (the
    /// machine's time a real probe measured is not the run's): its
    /// duration, and every phase of it measured, zero.
    pub fn take_no_time(&mut self) {
        self.observed_mut().take_no_time();
    }

    /// The failure that left nothing to judge, if any.
    pub fn error(&self) -> Option<&ProbeError> {
        self.observed().error()
    }

    /// Replaces secrets in everything the observation kept: bodies, output,
    /// headers, URLs, error messages. Returns the pieces of secrets that a
    /// dropped middle cut in two ([`Captured::redact`]).
    pub(crate) fn redact(&mut self, redactor: &crate::redact::Redactor) -> Vec<(String, String)> {
        self.observed_mut().redact(redactor)
    }

    /// What `steps.ID` holds of it, named like its subjects, by its kind's
    /// module.
    pub fn step_facts(&self) -> ObservedFacts {
        match self {
            Self::Http(o) => ObservedFacts::Http(Box::new(o.step_facts())),
            Self::Cmd(o) => ObservedFacts::Cmd(o.step_facts()),
            Self::Tcp(o) => ObservedFacts::Tcp(o.step_facts()),
            Self::Env(o) => ObservedFacts::Env(o.step_facts()),
        }
    }

    /// Its output named `name` (`body`, `stdout`, `stderr`), if it has one.
    pub fn output(&self, name: &str) -> Option<&Captured> {
        self.observed().outputs().into_iter().find_map(|(output, captured)| (output == name).then_some(captured))
    }

    /// Whether it reads back from the journal as it is, so that its
    /// [`Observation::step_facts`] are made again the same from it: every
    /// output does ([`Captured::reads_back_exactly`]).
    pub(crate) fn reads_back_exactly(&self) -> bool {
        self.observed().outputs().into_iter().all(|(_, output)| output.reads_back_exactly())
    }
}

/// Renders `probe` into a spec ready to run, by its kind's module.
/// `redactor` knows the run's secrets: a request says which of its parts
/// hold one, so that a redirect never carries them to another origin.
/// `expect` judges it: an http request whose expectations read the `dns`,
/// `connect` or `tls` phase, or whose step's phases a template reads
/// (`reads_phases`, see [`runbook_model::Plan::reads_phases`]), opens its
/// own connection, since a kept-alive one has none of them. `at` is the
/// run's wall time (its clock's, virtual on virtual time), which an https
/// request judges its certificate at.
pub(crate) fn prepare(
    probe: &runbook_model::Probe,
    expect: &[runbook_model::Spanned<runbook_model::Expectation>],
    reads_phases: bool,
    renderer: &Renderer<'_>,
    client: &HttpClient,
    redactor: &crate::redact::Redactor,
    at: SystemTime,
) -> Result<Prepared, RenderError> {
    match probe {
        runbook_model::Probe::Http(http) => {
            use runbook_model::TimingPhase::{Connect, Dns, Tls};
            let fresh = reads_phases
                || expect
                    .iter()
                    .any(|e| e.value.timing.as_ref().is_some_and(|t| matches!(t.value, Dns | Connect | Tls)));
            http_kind::prepare(http, fresh, renderer, client, redactor, at)
        }
        runbook_model::Probe::Cmd(cmd) => cmd::prepare(cmd, renderer),
        runbook_model::Probe::Tcp(tcp) => tcp::prepare(tcp, renderer),
        runbook_model::Probe::Env(env) => Ok(env::prepare(env)),
    }
}

/// How a person does what `probe` does, by hand, in Markdown
/// (`runbook render`); `expect` judges it (an http request whose phases
/// are judged prints them, one whose certificate is judged shows it, a
/// connection whose time is judged is timed).
pub fn by_hand(probe: DeclaredProbe<'_>, expect: &[runbook_model::Spanned<runbook_model::Expectation>]) -> String {
    match probe {
        DeclaredProbe::Http(http) => http_kind::by_hand(
            http,
            expect.iter().any(|e| e.value.timing.is_some()),
            expect.iter().any(|e| e.value.tls.is_some()),
        ),
        DeclaredProbe::Cmd(cmd) => cmd::by_hand(cmd),
        DeclaredProbe::Tcp(tcp) => tcp::by_hand(tcp, expect.iter().any(|e| e.value.duration.is_some())),
        DeclaredProbe::Env(env) => env::by_hand(env),
    }
}

/// What a person calls the parts of a probe of one kind, for `runbook
/// render`'s sentences about its expectations and captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// The text `json` and `regex` read: "the body".
    pub text: &'static str,
    /// What `duration` times: "the response".
    pub took: &'static str,
}

/// The [`Parts`] of a probe of `kind`.
pub fn parts(kind: ProbeKind) -> Parts {
    match kind {
        ProbeKind::Http => http_kind::PARTS,
        ProbeKind::Cmd => cmd::PARTS,
        ProbeKind::Tcp => tcp::PARTS,
        ProbeKind::Env => env::PARTS,
    }
}

/// A Markdown code fence that `text` cannot close: backticks, one more
/// than the longest run of backticks or tildes in it (CommonMark closes a
/// fence only with at least as many of its own character).
fn fence_for(text: &str) -> String {
    let longest = |mark: char| text.split(|c| c != mark).map(str::len).max().unwrap_or(0);
    "`".repeat(longest('`').max(longest('~')).max(2) + 1)
}

/// A duration in seconds, as curl and nc take it (`0.5`, `3`).
fn seconds(duration: runbook_model::Duration) -> String {
    let millis = duration.as_millis();
    if millis.is_multiple_of(1000) {
        (millis / 1000).to_string()
    } else {
        format!("{}.{:03}", millis / 1000, millis % 1000)
    }
}

/// A probe that got no answer, shaped as its kind reports one: an
/// observation carrying the error, so captures fall back to their defaults
/// and outcomes match a real run (`runbook test`).
pub(crate) fn failed(call: &ProbeCall, error: ProbeError, took: Duration) -> ProbeResult {
    match call.kind {
        ProbeKind::Http => Ok(Observation::Http(HttpObservation::failed(call, error, took))),
        ProbeKind::Cmd => Ok(Observation::Cmd(CmdObservation::failed(error, took))),
        ProbeKind::Tcp => Ok(Observation::Tcp(TcpObservation::failed(error, took))),
        // An `env` probe reads the environment and cannot fail for real.
        ProbeKind::Env => Err(error),
    }
}

/// The observation a case mocks for `call` (`runbook test`); `Err` says
/// what does not fit the probe.
pub(crate) fn mocked(mock: MockedObservation<'_>, call: &ProbeCall) -> Result<ProbeResult, String> {
    match mock {
        MockedObservation::Http(http) => Ok(Ok(Observation::Http(http_kind::mocked(http, call)))),
        MockedObservation::Cmd(cmd) => Ok(Ok(Observation::Cmd(CmdObservation::mocked(cmd)))),
        MockedObservation::Tcp(tcp) => Ok(Ok(Observation::Tcp(TcpObservation::mocked(tcp)))),
        MockedObservation::Env(env) => match call.spec.env() {
            Some(spec) => EnvObservation::mocked(spec, env).map(|o| Ok(Observation::Env(o))),
            None => Err("it names no variables".to_owned()),
        },
    }
}

/// A duration as runbooks write it (`300ms`, `5s`, `1m30s`), for messages.
pub(crate) fn human(duration: Duration) -> String {
    runbook_model::Duration(duration).to_string()
}

/// A duration in whole milliseconds, the unit events and records use.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A measured time for people to read: `250ms`, `16.1s`, `2m05s`, `1h02m`,
/// rounded to the unit shown (never the DSL's exact `16s108ms`).
pub fn elapsed_text(millis: u64) -> String {
    runbook_model::Duration(Duration::from_millis(millis)).spoken()
}

/// Serializes a duration as whole milliseconds (see [`millis`]).
pub(crate) fn serialize_millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(millis(*duration))
}

/// Reads a duration written by [`serialize_millis`].
pub(crate) fn deserialize_millis<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_millis)
}

/// A future a probe returns; boxed so that probes can be trait objects.
pub type ProbeFuture<'a> = Pin<Box<dyn Future<Output = Observation> + Send + 'a>>;

/// One kind of probe, ready to run: a spec whose templates are rendered.
/// A new kind (dns, file, sql) is one module implementing this. The
/// interpreter reaches it only through the run's [`ProbeRunner`].
pub trait Probe: Send + Sync {
    /// Runs the probe within `limits`. When `cancel` fires (Ctrl-C) the probe
    /// stops promptly, kills anything it started, and reports
    /// [`ErrorKind::Interrupted`].
    fn observe<'a>(&'a self, limits: &'a Limits, cancel: &'a CancellationToken) -> ProbeFuture<'a>;

    /// The rendered request, when this is an HTTP probe: `runbook test`
    /// reads its URL and limits to answer as the real probe would.
    fn http(&self) -> Option<&HttpSpec> {
        None
    }

    /// The variables, when this is an `env` probe: `runbook test` answers
    /// for each from the case.
    fn env(&self) -> Option<&EnvSpec> {
        None
    }
}

/// Observations built by hand for unit tests of what judges them.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::time::Duration;

    use super::{Captured, CmdObservation, HttpObservation, Observation};

    fn captured(bytes: &[u8]) -> Captured {
        let mut captured = Captured::new();
        captured.push(bytes, 1 << 20);
        captured
    }

    /// An HTTP response with a JSON content type.
    pub(crate) fn http(status: u16, body: &str, duration: Duration) -> Observation {
        Observation::Http(HttpObservation {
            status: Some(status),
            headers: vec![("content-type".into(), "application/json".into()), ("x-request-id".into(), "abc".into())],
            body: captured(body.as_bytes()),
            final_url: None,
            duration,
            error: None,
            insecure: false,
            proxy: None,
            redirects: Vec::new(),
            tls: None,
            timing: None,
        })
    }

    /// An https response whose certificate has `days_left` days left.
    pub(crate) fn https(days_left: i64) -> Observation {
        let Observation::Http(mut observation) = http(200, "{}", Duration::ZERO) else { unreachable!() };
        observation.tls = Some(super::Certificate {
            issuer: "CN=Internal CA, O=Example".into(),
            subject: "CN=api.example".into(),
            not_before: "2026-01-01T00:00:00Z".into(),
            not_after: "2027-01-01T00:00:00Z".into(),
            days_left,
        });
        Observation::Http(observation)
    }

    /// A command that exited 0 and printed `stdout`.
    pub(crate) fn cmd(stdout: &str) -> Observation {
        Observation::Cmd(CmdObservation {
            exit_code: Some(0),
            signal: None,
            timed_out: false,
            stdout: captured(stdout.as_bytes()),
            stderr: Captured::new(),
            duration: Duration::from_millis(5),
            error: None,
            pid: Some(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    /// `check` (RB313) knows `error.kind` values from the model's own list:
    /// it must name exactly the kinds this enum can produce.
    #[test]
    fn the_models_error_kinds_are_exactly_the_engines() {
        fn names(value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(name)) = map.get("const") {
                        out.push(name.clone());
                    }
                    if let Some(serde_json::Value::Array(list)) = map.get("enum") {
                        out.extend(list.iter().filter_map(|v| v.as_str().map(str::to_owned)));
                    }
                    map.values().for_each(|v| names(v, out));
                }
                serde_json::Value::Array(list) => list.iter().for_each(|v| names(v, out)),
                _ => {}
            }
        }
        let schema = serde_json::to_value(schemars::schema_for!(ErrorKind)).expect("schema");
        let mut engine = Vec::new();
        names(&schema, &mut engine);
        engine.sort();
        engine.dedup();
        let mut model: Vec<String> = runbook_model::ERROR_KINDS.iter().map(|&name| name.to_owned()).collect();
        model.sort();
        assert_eq!(engine, model);
        for name in runbook_model::ERROR_KINDS {
            let kind: ErrorKind = serde_json::from_value(serde_json::Value::from(*name)).expect(name);
            assert_eq!(kind.name(), *name);
        }
    }

    #[test]
    fn a_fence_outlasts_what_it_holds() {
        assert_eq!(super::fence_for("echo hi"), "```");
        assert_eq!(super::fence_for("a\n```\nb"), "````");
        assert_eq!(super::fence_for("a\n~~~~\n```\nb"), "`````");
    }

    #[test]
    fn seconds_for_curl() {
        assert_eq!(super::seconds(runbook_model::Duration(std::time::Duration::from_secs(3))), "3");
        assert_eq!(super::seconds(runbook_model::Duration(std::time::Duration::from_millis(1500))), "1.500");
    }
}
