//! The `tcp` probe: can a connection be opened, and how fast.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::{ErrorKind, Limits, Observation, Probe, ProbeError, ProbeFuture, deserialize_millis, serialize_millis};

/// Where to connect.
#[derive(Debug, Clone)]
pub struct TcpSpec {
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
                Ok(Err(error)) => (None, Some(classify(&error, &self.host))),
                Err(_) => (None, Some(ProbeError::new(ErrorKind::Timeout, format!("no connection to {target} within {:?}", self.timeout)))),
            },
        };
        TcpObservation { connected: error.is_none(), address, duration: started.elapsed(), error }
    }
}

fn classify(error: &std::io::Error, host: &str) -> ProbeError {
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
        _ => error.to_string(),
    };
    ProbeError::new(kind, message)
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
        assert_eq!(observation.error.map(|e| e.kind), Some(ErrorKind::Refused));
    }

    #[test]
    fn an_unresolvable_host_is_a_dns_error() {
        let observation =
            observe(&TcpSpec { host: "no-such-host.invalid".into(), port: 80, timeout: Duration::from_secs(5) });
        assert_eq!(observation.error.map(|e| e.kind), Some(ErrorKind::Dns));
    }
}
