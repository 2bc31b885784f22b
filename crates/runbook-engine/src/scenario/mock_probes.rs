//! The probe runner of `runbook test`: every probe execution is answered
//! from the case's mocked observations. Nothing is spawned, no socket is
//! opened. A probe the case does not mock stops the run and is reported,
//! so a case can never pass on an observation nobody wrote.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indexmap::IndexMap;
use runbook_model::{
    CmdMock, HttpMock, MockErrorKind, MockSpec, MockedObservation, ProbeKind, Spanned, StepMock, TcpMock,
};
use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, VirtualClock};
use crate::probe::{
    Captured, Certificate, CmdObservation, EnvObservation, EnvVar, ErrorKind, HttpObservation, HttpTiming, Limits,
    Observation, ProbeCall, ProbeError, ProbeResult, ProbeRunFuture, ProbeRunner, TcpObservation,
};

/// A probe of a run: step, probe name in a group, `foreach` item and how
/// many equal items come before it.
type ProbeKey = (String, Option<String>, Option<String>, u32);

/// Answers probes from one case's `observations`.
pub(crate) struct MockProbes {
    observations: IndexMap<String, Spanned<StepMock>>,
    clock: VirtualClock,
    /// Cancelled when a probe has no observation: the run stops there.
    stop: CancellationToken,
    /// What the case lacks, in the order found.
    missing: Mutex<Vec<String>>,
    /// How often each probe (step, probe name, item) has run: a list of
    /// observations is read in this order, across attempts and visits.
    runs: Mutex<HashMap<ProbeKey, u32>>,
}

impl MockProbes {
    /// A runner for `observations`, waiting mocked durations on `clock`;
    /// it cancels `stop` at the first probe it cannot answer.
    pub(crate) fn new(
        observations: IndexMap<String, Spanned<StepMock>>,
        clock: VirtualClock,
        stop: CancellationToken,
    ) -> Self {
        Self { observations, clock, stop, missing: Mutex::new(Vec::new()), runs: Mutex::new(HashMap::new()) }
    }

    /// The probes that ran without an observation, as messages.
    pub(crate) fn missing(&self) -> Vec<String> {
        self.missing.lock().map(|list| list.clone()).unwrap_or_default()
    }

    fn lacks(&self, message: String) -> ProbeResult {
        if let Ok(mut list) = self.missing.lock() {
            list.push(message);
        }
        self.stop.cancel();
        Err(ProbeError::new(ErrorKind::Interrupted, "the case has no observation for this probe"))
    }

    /// Which run of its probe `call` is, from 1.
    fn run_number(&self, call: &ProbeCall) -> u32 {
        let key = (call.step.clone(), call.name.clone(), call.item.as_ref().map(item_key), call.repeat);
        let Ok(mut runs) = self.runs.lock() else { return call.attempt };
        let count = runs.entry(key).or_default();
        *count += 1;
        *count
    }

    /// The observation for `call`, or what is missing.
    fn answer(&self, call: &ProbeCall) -> Result<ProbeResult, String> {
        let probe = describe(call);
        let number = self.run_number(call);
        let mock = self.observations.get(&call.step).ok_or_else(|| {
            format!(
                "step `{}` ran {probe}, but the case has no observation for it: add `observations: {{ {}: … }}`",
                call.step, call.step
            )
        })?;
        let spec = select(&mock.value, call, number).ok_or_else(|| {
            let which = match (&call.name, &call.item) {
                (Some(name), _) => format!(" for probe `{name}` (under `probes:`)"),
                (None, Some(item)) => format!(" for item `{}` (under `items:` or `default:`)", item_key(item)),
                (None, None) => String::new(),
            };
            format!("step `{}` ran {probe}, but its observation has nothing{which}", call.step)
        })?;
        observation(spec, call).map_err(|what| format!("step `{}` ran {probe}, but {what}", call.step))
    }
}

impl ProbeRunner for MockProbes {
    fn run<'a>(&'a self, call: &'a ProbeCall, _: &'a Limits, cancel: &'a CancellationToken) -> ProbeRunFuture<'a> {
        Box::pin(async move {
            let result = match self.answer(call) {
                Ok(result) => result,
                Err(message) => return self.lacks(message),
            };
            let took = match &result {
                Ok(observation) => observation.duration(),
                Err(_) => Duration::ZERO,
            };
            // A probe slower than its own timeout gives up at the timeout,
            // as the real one does.
            let (result, took) = match call.timeout {
                Some(limit) if took > limit => (timed_out(call, limit, result), limit),
                _ => (result, took),
            };
            if took.is_zero() {
                return result;
            }
            // The probe "takes" its duration on the virtual clock, so a step
            // timeout shorter than it wins, as it would for real.
            tokio::select! {
                () = self.clock.sleep(took) => result,
                () = cancel.cancelled() => Err(ProbeError::new(ErrorKind::Interrupted, "stopped while the probe ran")),
            }
        })
    }
}

/// What `call`'s probe reports when it gives up after `limit`, instead of
/// the `mocked` result: a command keeps the output the mock gives it, as
/// the real probe keeps what the command wrote before it was killed.
fn timed_out(call: &ProbeCall, limit: Duration, mocked: ProbeResult) -> ProbeResult {
    let message = format!("no answer within {} (mocked duration)", crate::probe::human(limit));
    let stopped = failed(call, ProbeError::new(ErrorKind::Timeout, message), limit);
    match (stopped, mocked) {
        (Ok(Observation::Cmd(stopped)), Ok(Observation::Cmd(written))) => {
            Ok(Observation::Cmd(CmdObservation { stdout: written.stdout, stderr: written.stderr, ..stopped }))
        }
        (stopped, _) => stopped,
    }
}

/// A probe that got no answer, shaped as the real probe reports it: an
/// observation carrying the error (a `tcp` probe's is `connected: false`,
/// which expectations on `connected` judge), so captures fall back to their
/// defaults and outcomes match a real run.
fn failed(call: &ProbeCall, error: ProbeError, took: Duration) -> ProbeResult {
    match call.kind {
        ProbeKind::Http => Ok(Observation::Http(HttpObservation {
            status: None,
            headers: Vec::new(),
            body: Captured::new(),
            final_url: None,
            duration: took,
            error: Some(error),
            insecure: call.spec.http().is_some_and(|request| request.insecure),
            proxy: None,
            redirects: Vec::new(),
            tls: None,
            timing: None,
        })),
        ProbeKind::Cmd => Ok(Observation::Cmd(CmdObservation {
            exit_code: None,
            signal: None,
            timed_out: error.kind == ErrorKind::Timeout,
            stdout: Captured::new(),
            stderr: Captured::new(),
            duration: took,
            error: Some(error),
            pid: None,
        })),
        ProbeKind::Tcp => {
            Ok(Observation::Tcp(TcpObservation { connected: false, address: None, duration: took, error: Some(error) }))
        }
        // An `env` probe reads the environment and cannot fail for real.
        ProbeKind::Env => Err(error),
    }
}

/// `the http probe (GET http://…)`.
fn describe(call: &ProbeCall) -> String {
    format!("its `{}` probe ({})", call.kind.name(), call.target)
}

/// How a `foreach` item is named under `items:`: strings as written,
/// other values as JSON.
fn item_key(item: &Json) -> String {
    match item {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The spec that answers the `number`-th run of `call`'s probe: by run,
/// then by probe name or item.
fn select<'m>(mock: &'m StepMock, call: &ProbeCall, number: u32) -> Option<&'m MockSpec> {
    let spec = mock.attempt(number)?;
    if let (Some(name), Some(probes)) = (&call.name, &spec.probes) {
        let sub = probes.iter().find(|(declared, _)| declared.as_str() == name.as_str())?;
        return select(&sub.1.value, call, number);
    }
    if let Some(item) = &call.item
        && (spec.items.is_some() || spec.default.is_some())
    {
        let key = item_key(item);
        let by_item = spec.items.iter().flat_map(|items| items.iter()).find(|(name, _)| name.as_str() == key);
        let sub = by_item.map(|(_, mock)| mock).or(spec.default.as_deref())?;
        return select(&sub.value, call, number);
    }
    spec.is_observation().then_some(spec)
}

/// The engine's observation for a mocked one; `Err` says what does not fit
/// the probe.
fn observation(spec: &MockSpec, call: &ProbeCall) -> Result<ProbeResult, String> {
    if let Some(error) = &spec.error {
        let kind = error_kind(error.kind);
        let message = error.message.clone().unwrap_or_else(|| format!("{} (mocked)", kind.name()));
        return Ok(failed(call, ProbeError::new(kind, message), Duration::ZERO));
    }
    let mocked = spec.mocked();
    let Some(fitting) = mocked.iter().find(|mock| mock.kind() == call.kind) else {
        return Err(format!(
            "the case mocks {} observation for it",
            mocked.first().map_or("an empty", |mock| match mock.kind() {
                ProbeKind::Http => "an `http`",
                ProbeKind::Cmd => "a `cmd`",
                ProbeKind::Tcp => "a `tcp`",
                ProbeKind::Env => "an `env`",
            })
        ));
    };
    match *fitting {
        MockedObservation::Http(http) => Ok(http_result(http, call)),
        MockedObservation::Cmd(cmd) => Ok(Ok(Observation::Cmd(cmd_observation(cmd)))),
        MockedObservation::Tcp(tcp) => Ok(tcp_result(tcp, call)),
        MockedObservation::Env(env) => env_observation(call, env).map(|o| Ok(Observation::Env(o))),
    }
}

fn error_kind(kind: MockErrorKind) -> ErrorKind {
    match kind {
        MockErrorKind::Timeout => ErrorKind::Timeout,
        MockErrorKind::Refused => ErrorKind::Refused,
        MockErrorKind::Dns => ErrorKind::Dns,
        MockErrorKind::Tls => ErrorKind::Tls,
        MockErrorKind::Reset => ErrorKind::Reset,
        MockErrorKind::TooManyRedirects => ErrorKind::TooManyRedirects,
        MockErrorKind::InvalidTarget => ErrorKind::InvalidTarget,
        MockErrorKind::InvalidJson => ErrorKind::InvalidJson,
        MockErrorKind::SpawnFailed => ErrorKind::SpawnFailed,
        MockErrorKind::Io => ErrorKind::Io,
    }
}

fn captured(text: &str) -> Captured {
    let mut captured = Captured::new();
    captured.push(text.as_bytes(), Limits::default().max_capture_bytes);
    captured
}

fn duration(value: Option<&Spanned<runbook_model::Duration>>) -> Duration {
    value.map_or(Duration::ZERO, |d| d.value.0)
}

/// The response a mocked exchange gives, as the real probe would report
/// it: a timeout at the probe's `connect_timeout` when connecting takes
/// longer; else the mocked response, from the probe's own URL unless the
/// case names a `final_url`.
fn http_result(http: &HttpMock, call: &ProbeCall) -> ProbeResult {
    let request = call.spec.http();
    let connect = duration(http.connect.as_ref());
    if let Some(limit) = request.and_then(|request| request.connect_timeout).filter(|limit| connect > *limit) {
        let message = format!("no connection within {} (mocked connect)", crate::probe::human(limit));
        return failed(call, ProbeError::new(ErrorKind::Timeout, message), limit);
    }
    let mut observation = http_observation(http);
    observation.duration = observation.duration.max(connect);
    observation.insecure = request.is_some_and(|request| request.insecure);
    observation.final_url = match (&http.final_url, request) {
        (Some(url), _) => Some(url.value.clone()),
        // The real probe reports the URL as parsed, normalized.
        (None, Some(request)) => {
            Some(reqwest::Url::parse(&request.url).map_or_else(|_| request.url.clone(), |url| url.to_string()))
        }
        (None, None) => None,
    };
    Ok(Observation::Http(observation))
}

fn http_observation(http: &HttpMock) -> HttpObservation {
    let mut headers: Vec<(String, String)> =
        http.headers.iter().map(|(name, value)| (name.to_ascii_lowercase(), value.clone())).collect();
    let body = match (&http.json, &http.body) {
        (Some(json), _) => {
            if !headers.iter().any(|(name, _)| name == "content-type") {
                headers.push(("content-type".into(), "application/json".into()));
            }
            json.value.to_string()
        }
        (None, Some(body)) => body.value.clone(),
        (None, None) => String::new(),
    };
    HttpObservation {
        status: Some(http.status.as_ref().map_or(200, |status| status.value)),
        headers,
        body: captured(&body),
        final_url: None,
        duration: duration(http.duration.as_ref()),
        error: None,
        insecure: false,
        proxy: None,
        redirects: Vec::new(),
        tls: http.tls.as_ref().map(|tls| Certificate {
            issuer: tls.issuer.clone(),
            subject: tls.subject.clone(),
            not_before: tls.not_before.clone(),
            not_after: tls.not_after.clone(),
            days_left: tls.days_left,
        }),
        timing: http.timing.as_ref().map(|timing| {
            let ms = |value: Option<&Spanned<runbook_model::Duration>>| value.map(|d| crate::probe::millis(d.value.0));
            HttpTiming {
                dns_ms: ms(timing.dns.as_ref()),
                connect_ms: ms(timing.connect.as_ref().or(http.connect.as_ref())),
                first_byte_ms: ms(timing.first_byte.as_ref()),
            }
        }),
    }
}

fn cmd_observation(cmd: &CmdMock) -> CmdObservation {
    let stdout = match (&cmd.json, &cmd.stdout) {
        (Some(json), _) => json.value.to_string(),
        (None, Some(stdout)) => stdout.value.clone(),
        (None, None) => String::new(),
    };
    CmdObservation {
        exit_code: Some(cmd.exit_code.as_ref().map_or(0, |code| code.value)),
        signal: None,
        timed_out: false,
        stdout: captured(&stdout),
        stderr: captured(cmd.stderr.as_ref().map_or("", |stderr| stderr.value.as_str())),
        duration: duration(cmd.duration.as_ref()),
        error: None,
        pid: None,
    }
}

fn tcp_result(tcp: &TcpMock, call: &ProbeCall) -> ProbeResult {
    let took = duration(tcp.duration.as_ref());
    if tcp.connected.as_ref().is_some_and(|connected| !connected.value) {
        return failed(call, ProbeError::new(ErrorKind::Refused, "connection refused (mocked)"), took);
    }
    Ok(Observation::Tcp(TcpObservation { connected: true, address: None, duration: took, error: None }))
}

/// The variables the probe looks at, in the order the real probe reports
/// them, with their mocked values; `Err` names a variable the case does not
/// list.
fn env_observation(
    call: &ProbeCall,
    mocked: &IndexMap<Spanned<String>, Option<String>>,
) -> Result<EnvObservation, String> {
    let Some(spec) = call.spec.env() else { return Err("it names no variables".to_owned()) };
    let named = spec.set.iter().map(|name| (name, false)).chain(spec.non_empty.iter().map(|name| (name, true)));
    let vars = named
        .map(|(name, required_non_empty)| {
            let Some((_, value)) = mocked.iter().find(|(mocked, _)| mocked.as_str() == name) else {
                return Err(format!("its observation does not list `{name}`: give a value, or `null` for unset"));
            };
            let value = value.as_ref();
            Ok(EnvVar {
                name: name.clone(),
                set: value.is_some(),
                non_empty: value.is_some_and(|value| !value.is_empty()),
                required_non_empty,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(EnvObservation { vars })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::probe::{HttpClient, HttpSpec, ProxySetting, SecretParts};

    fn call(insecure: bool) -> ProbeCall {
        let spec = HttpSpec {
            method: "GET".into(),
            url: "http://127.0.0.1:9".into(),
            headers: Vec::new(),
            body: None,
            json_body: false,
            timeout: Duration::from_secs(5),
            connect_timeout: Some(Duration::from_secs(1)),
            follow_redirects: true,
            insecure,
            ca_file: None,
            proxy: ProxySetting::Direct,
            secret_parts: SecretParts::default(),
            client: HttpClient::new(),
        };
        ProbeCall {
            step: "login".into(),
            name: None,
            item: None,
            repeat: 0,
            attempt: 1,
            kind: ProbeKind::Http,
            target: "GET http://127.0.0.1:9".into(),
            spec: Arc::new(spec),
            timeout: Some(Duration::from_secs(5)),
        }
    }

    fn http(result: &ProbeResult) -> &HttpObservation {
        match result {
            Ok(Observation::Http(observation)) => observation,
            other => panic!("not an http observation: {other:?}"),
        }
    }

    #[test]
    fn a_mocked_response_reports_the_probes_url_and_tls_setting() {
        let mock = HttpMock::default();
        for insecure in [false, true] {
            let result = http_result(&mock, &call(insecure));
            let observation = http(&result);
            assert_eq!(observation.insecure, insecure);
            // Normalized as the real probe reports it.
            assert_eq!(observation.final_url.as_deref(), Some("http://127.0.0.1:9/"));
            let error = failed(&call(insecure), ProbeError::new(ErrorKind::Refused, "refused"), Duration::ZERO);
            assert_eq!(http(&error).insecure, insecure);
        }
    }

    #[test]
    fn an_env_observation_answers_each_variable_of_the_probe_from_the_case() {
        let spec = crate::probe::EnvSpec { set: vec!["A".into()], non_empty: vec!["B".into()] };
        let call = ProbeCall {
            kind: ProbeKind::Env,
            target: "env set: A; non-empty: B".into(),
            spec: Arc::new(spec),
            timeout: None,
            ..call(false)
        };
        let named = |pairs: &[(&str, Option<&str>)]| -> IndexMap<Spanned<String>, Option<String>> {
            pairs
                .iter()
                .map(|(name, value)| {
                    (Spanned::new((*name).to_owned(), runbook_model::Span::default()), value.map(str::to_owned))
                })
                .collect()
        };
        let observed = env_observation(&call, &named(&[("B", Some("")), ("A", None)])).unwrap();
        let found: Vec<(&str, bool, bool, bool)> =
            observed.vars.iter().map(|v| (v.name.as_str(), v.set, v.non_empty, v.required_non_empty)).collect();
        assert_eq!(found, [("A", false, false, false), ("B", true, false, true)]);
        let missing = env_observation(&call, &named(&[("A", Some("x"))])).unwrap_err();
        assert_eq!(missing, "its observation does not list `B`: give a value, or `null` for unset");
    }

    #[test]
    fn a_mocked_certificate_is_read_by_tls_expectations() {
        let mock: HttpMock = serde_saphyr::from_str("tls: { days_left: 3, issuer: CN=Internal CA }").unwrap();
        let observation = http_result(&mock, &call(false)).unwrap();
        let judged = |yaml: &str| {
            let expectation: runbook_model::Expectation = serde_saphyr::from_str(yaml).unwrap();
            crate::expect::evaluate(&expectation, &observation).unwrap()[0].passed
        };
        assert!(!judged("{ tls: days_left, ge: 14 }"));
        assert!(judged("{ tls: issuer, eq: CN=Internal CA }"));
        let plain = http_result(&HttpMock::default(), &call(false)).unwrap();
        let expectation: runbook_model::Expectation =
            serde_saphyr::from_str("{ tls: days_left, exists: false }").unwrap();
        assert!(crate::expect::evaluate(&expectation, &plain).unwrap()[0].passed);
    }

    #[test]
    fn connecting_past_connect_timeout_times_out_at_it() {
        let mock = HttpMock {
            connect: Some(Spanned::new(
                runbook_model::Duration(Duration::from_millis(1500)),
                runbook_model::Span::default(),
            )),
            ..HttpMock::default()
        };
        let result = http_result(&mock, &call(false));
        let observation = http(&result);
        assert_eq!(observation.error.as_ref().map(|e| e.kind), Some(ErrorKind::Timeout));
        assert_eq!(observation.duration, Duration::from_secs(1));
        assert_eq!(observation.status, None);
    }
}
