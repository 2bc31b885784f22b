//! The `tcp` probe: can a connection be opened, and how fast.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use runbook_model::{Capture, Expectation, Port, ProbeKind, Spanned, Subject, TcpMock, TcpProbe};
use serde_json::Value;

use super::observed::{Observed, mocked_duration, took};
use super::seconds;
use super::{
    Captured, ErrorKind, Limits, Observation, Probe, ProbeError, ProbeFuture, deserialize_millis, millis,
    serialize_millis,
};
use crate::prepare::{Prepared, RenderError, Renderer};
use crate::redact::{Redact, Redactor};
use crate::template::shell_word;

/// Where to connect.
#[derive(Debug, Clone)]
pub(crate) struct TcpSpec {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Limit on resolving and connecting.
    pub timeout: Duration,
}

/// The connection attempt. A refused or timed-out connection is an
/// observation (`connected: false`) with the reason in `error`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TcpObservation {
    /// Whether the connection was established.
    pub connected: bool,
    /// The address connected to, when resolved.
    pub address: Option<String>,
    /// Time to connect (or to fail).
    #[serde(serialize_with = "serialize_millis", deserialize_with = "deserialize_millis", rename = "duration_ms")]
    #[schemars(with = "u64")]
    pub duration: Duration,
    /// Why it did not connect.
    pub error: Option<ProbeError>,
}

impl TcpSpec {
    async fn connect(&self, cancel: &CancellationToken) -> TcpObservation {
        let started = Instant::now();
        let target = format!("{}:{}", self.host, self.port);
        let attempt = tokio::time::timeout(self.timeout, TcpStream::connect(target.as_str()));
        let (address, error) = tokio::select! {
            biased;
            () = cancel.cancelled() => (None, Some(ProbeError::new(ErrorKind::Interrupted, "interrupted"))),
            result = attempt => match result {
                Ok(Ok(stream)) => (stream.peer_addr().ok().map(|a| a.to_string()), None),
                Ok(Err(error)) => (None, Some(classify(&error, &self.host, &target))),
                Err(_) => (None, Some(ProbeError::new(ErrorKind::Timeout, format!("no connection to {target} within {:?}", self.timeout)))),
            },
        };
        TcpObservation { connected: error.is_none(), address, duration: started.elapsed(), error }
    }
}

/// Why a connection to `target` (`host:port`) failed, worded as the
/// `http` probe words it: `connection refused by 127.0.0.1:9`.
fn classify(error: &std::io::Error, host: &str, target: &str) -> ProbeError {
    use std::io::ErrorKind as Io;
    let kind = match error.kind() {
        Io::ConnectionRefused => ErrorKind::Refused,
        Io::ConnectionReset | Io::ConnectionAborted => ErrorKind::Reset,
        Io::TimedOut => ErrorKind::Timeout,
        Io::InvalidInput => ErrorKind::InvalidTarget,
        _ if error.to_string().contains("failed to lookup") || error.to_string().contains("Name or service") => {
            ErrorKind::Dns
        }
        _ => ErrorKind::Io,
    };
    let message = match kind {
        ErrorKind::Dns => format!("cannot resolve `{host}`"),
        ErrorKind::Refused => format!("connection refused by {target}"),
        ErrorKind::Reset => format!("connection reset by {target}"),
        _ => error.to_string(),
    };
    ProbeError::new(kind, message)
}

/// Limit on a TCP connection attempt when the runbook gives none.
const DEFAULT_TCP_TIMEOUT: Duration = Duration::from_secs(5);

/// Renders a `tcp` probe into an address to connect to.
pub(crate) fn prepare(tcp: &TcpProbe, renderer: &Renderer<'_>) -> Result<Prepared, RenderError> {
    let host = renderer.text("tcp.host", &tcp.host)?;
    let port = match &tcp.port.value {
        Port::Number(port) => *port,
        Port::Template(template) => {
            let written = Spanned::new(Value::from(template.as_str()), tcp.port.span);
            let port = renderer.value("tcp.port", &written)?;
            let text = match &port {
                Value::String(text) => text.trim().to_owned(),
                other => other.to_string(),
            };
            text.parse::<u16>().ok().filter(|port| *port > 0).ok_or_else(|| RenderError {
                field: "tcp.port".into(),
                message: format!("`{text}` is not a port number from 1 to 65535"),
                span: Some(tcp.port.span),
            })?
        }
    };
    let timeout = tcp.timeout.as_ref().map_or(DEFAULT_TCP_TIMEOUT, |t| t.0);
    let spec = TcpSpec { host, port, timeout };
    let target = format!("tcp {}:{}", spec.host, spec.port);
    Ok(Prepared { kind: ProbeKind::Tcp, target, probe: Arc::new(spec), timeout: Some(timeout) })
}

/// What a person calls the parts of a connection attempt (it reads no text).
pub(crate) const PARTS: super::Parts = super::Parts { text: "nothing", took: "connecting" };

/// How a person tries the same connection by hand (`runbook render`);
/// `timed` when an expectation judges how long it takes: the shell's `time`
/// prints it.
pub(crate) fn by_hand(tcp: &TcpProbe, timed: bool) -> String {
    let port = match &tcp.port.value {
        Port::Number(port) => port.to_string(),
        Port::Template(template) => template.clone(),
    };
    let wait = tcp.timeout.as_ref().map_or_else(|| "5".to_owned(), |t| seconds(t.value));
    let code = crate::record::markdown::code;
    let time = if timed { "time " } else { "" };
    let script = format!("{time}nc -vz -w {wait} {} {}", shell_word(&tcp.host.value), shell_word(&port));
    let fence = super::fence_for(&script);
    format!(
        "Open a TCP connection to {} port {}:\n\n{fence}sh\n{script}\n{fence}\n\n",
        code(&tcp.host.value),
        code(&port)
    )
}

impl TcpObservation {
    /// A connection not made: `connected: false`, which expectations on
    /// `connected` judge (`runbook test`).
    pub(crate) const fn failed(error: ProbeError, took: Duration) -> Self {
        Self { connected: false, address: None, duration: took, error: Some(error) }
    }

    /// The attempt a case mocks: refused when it says `connected: false`.
    pub(crate) fn mocked(tcp: &TcpMock) -> Self {
        let took = mocked_duration(tcp.duration.as_ref());
        if tcp.connected.as_ref().is_some_and(|connected| !connected.value) {
            return Self::failed(ProbeError::new(ErrorKind::Refused, "connection refused (mocked)"), took);
        }
        Self { connected: true, address: None, duration: took, error: None }
    }
}

/// What `steps.ID` holds of a `tcp` probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpFacts {
    /// Whether the connection was established.
    pub connected: bool,
    /// The address connected to, when resolved.
    pub address: Option<String>,
}

impl TcpObservation {
    /// What `steps.ID` holds of it.
    pub(crate) fn step_facts(&self) -> TcpFacts {
        TcpFacts { connected: self.connected, address: self.address.clone() }
    }
}

impl Redact for TcpFacts {
    fn redact(&mut self, redactor: &Redactor) {
        let Self { connected: _, address } = self;
        address.redact(redactor);
    }
}

impl Observed for TcpObservation {
    fn duration(&self) -> Duration {
        self.duration
    }

    fn take_no_time(&mut self) {
        self.duration = Duration::ZERO;
    }

    fn error(&self) -> Option<&ProbeError> {
        self.error.as_ref()
    }

    fn redact(&mut self, redactor: &Redactor) -> Vec<(String, String)> {
        if let Some(error) = &mut self.error {
            redactor.in_place(&mut error.message);
        }
        Vec::new()
    }

    fn outputs(&self) -> Vec<(&'static str, &Captured)> {
        Vec::new()
    }

    fn subject(&self, subject: Subject, _: &Expectation) -> Option<(String, Option<Value>)> {
        (subject == Subject::Connected).then(|| (subject.name().to_owned(), Some(Value::from(self.connected))))
    }

    fn capture(&self, _: &Capture) -> Option<Value> {
        None
    }

    fn facts(&self) -> Vec<String> {
        vec![format!("connected {}", self.connected), format!("in {}", took(self.duration))]
    }

    fn headline(&self) -> Option<String> {
        self.connected.then(|| format!("connected in {}", took(self.duration)))
    }

    /// `not connected: cannot resolve `db.internal` (dns)`: a misspelt
    /// name, a closed port and a timeout are different diagnoses.
    fn judged_failure(&self) -> Option<String> {
        let error = self.error.as_ref().filter(|_| !self.connected)?;
        Some(format!("not connected: {} ({})", error.message, error.kind.name()))
    }

    fn as_mock(&self, _: &str) -> Value {
        serde_json::json!({ "tcp": { "connected": self.connected, "duration": format!("{}ms", millis(self.duration)) } })
    }

    /// A refused connection is what expectations on `connected` judge.
    fn judges_failure(&self, expect: &[Spanned<Expectation>]) -> bool {
        expect.iter().any(|e| e.subjects().iter().any(|(subject, _)| *subject == Subject::Connected))
    }
}

impl Probe for TcpSpec {
    fn observe<'a>(&'a self, _: &'a Limits, cancel: &'a CancellationToken) -> ProbeFuture<'a> {
        Box::pin(async move { Observation::Tcp(self.connect(cancel).await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observe(spec: &TcpSpec) -> TcpObservation {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(spec.connect(&CancellationToken::new()))
    }

    #[test]
    fn connects_to_a_listening_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let observation = observe(&TcpSpec { host: "127.0.0.1".into(), port, timeout: Duration::from_secs(2) });
        assert!(observation.connected, "{observation:?}");
        assert_eq!(observation.address.as_deref(), Some(format!("127.0.0.1:{port}").as_str()));
    }

    #[test]
    fn a_closed_port_is_refused() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let observation = observe(&TcpSpec { host: "127.0.0.1".into(), port, timeout: Duration::from_secs(2) });
        assert!(!observation.connected);
        let error = observation.error.expect("an error");
        assert_eq!(
            (error.kind, error.message),
            (ErrorKind::Refused, format!("connection refused by 127.0.0.1:{port}"))
        );
    }

    #[test]
    fn an_unresolvable_host_is_a_dns_error() {
        let observation =
            observe(&TcpSpec { host: "no-such-host.invalid".into(), port: 80, timeout: Duration::from_secs(5) });
        assert_eq!(observation.error.map(|e| e.kind), Some(ErrorKind::Dns));
    }
}
