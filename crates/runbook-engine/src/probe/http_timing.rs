//! Where an HTTP request's time went: resolving the name, connecting (TCP,
//! the proxy's tunnel and the TLS handshake, which reqwest performs as one
//! step and exposes no hook inside), and waiting for the first byte of the
//! answer. The clients' resolver and connector are wrapped so that each
//! records into the phases of the request being sent, a task-local value:
//! the clients are shared by all the probes of a run.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::{Deserialize, Serialize};

tokio::task_local! {
    /// The phases of the request this task is sending.
    static PHASES: Arc<Mutex<Phases>>;
}

/// The phases of one request, in the order they happen. A phase is absent
/// when it did not happen: no name to resolve (an IP address, or a
/// connection kept alive from an earlier request), no new connection, no
/// answer yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HttpTiming {
    /// Resolving the host's name (the proxy's through a proxy), in
    /// milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_ms: Option<u64>,
    /// Opening the connection after the name was resolved: TCP, a proxy's
    /// tunnel and, over https, the TLS handshake; in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u64>,
    /// From the connection being ready to the answer's first byte (its
    /// status line): the server's own time plus one round trip; in
    /// milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_byte_ms: Option<u64>,
}

/// What was measured of one request.
#[derive(Debug, Default)]
struct Phases {
    dns: Option<Duration>,
    /// Resolving included: the connector resolves before it connects.
    connect: Option<Duration>,
    /// From sending to the answer's status line, connecting included.
    answer: Option<Duration>,
}

/// The phases of one probe's request (its last hop after redirects),
/// recorded by the clients' resolver and connector while
/// [`Recorder::measure`] sends it, and read afterwards, so that a timeout
/// keeps what was measured before it.
#[derive(Debug, Clone, Default)]
pub(super) struct Recorder {
    phases: Arc<Mutex<Phases>>,
}

impl Recorder {
    fn phases(&self) -> std::sync::MutexGuard<'_, Phases> {
        self.phases.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends one request (`send` gives the answer once its status line
    /// came), forgetting an earlier hop's phases.
    pub(super) async fn measure<T, E>(&self, send: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        *self.phases() = Phases::default();
        let started = Instant::now();
        let answer = PHASES.scope(Arc::clone(&self.phases), send).await;
        if answer.is_ok() {
            self.phases().answer = Some(started.elapsed());
        }
        answer
    }

    /// What was measured, once the request is over or cut short.
    pub(super) fn timing(&self) -> HttpTiming {
        let phases = self.phases();
        let dns = phases.dns.unwrap_or_default();
        let connect = phases.connect.unwrap_or_default();
        HttpTiming {
            dns_ms: phases.dns.map(super::millis),
            connect_ms: phases.connect.map(|connect| super::millis(connect.saturating_sub(dns))),
            first_byte_ms: phases.answer.map(|answer| super::millis(answer.saturating_sub(connect))),
        }
    }
}

/// Updates the phases of the request this task is measuring, if any (a
/// connection hyper finishes in the background belongs to none).
fn record(set: impl FnOnce(&mut Phases)) {
    let _ = PHASES.try_with(|phases| set(&mut phases.lock().unwrap_or_else(PoisonError::into_inner)));
}

/// The system resolver (`getaddrinfo`, as reqwest's default), timed.
#[derive(Debug, Clone, Copy)]
pub(super) struct TimedResolver;

impl Resolve for TimedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let started = Instant::now();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await;
            let elapsed = started.elapsed();
            record(|phases| phases.dns = Some(elapsed));
            let addrs: Vec<SocketAddr> = resolved?.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Wraps reqwest's connector so that opening a connection is timed.
#[derive(Debug, Clone, Copy)]
pub(super) struct TimedConnectLayer;

impl<S> tower_layer::Layer<S> for TimedConnectLayer {
    type Service = TimedConnect<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TimedConnect { inner }
    }
}

/// reqwest's connector, timed (see [`TimedConnectLayer`]).
#[derive(Debug, Clone)]
pub(super) struct TimedConnect<S> {
    inner: S,
}

impl<S, R> tower_service::Service<R> for TimedConnect<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let started = Instant::now();
        let connecting = self.inner.call(request);
        Box::pin(async move {
            let connected = connecting.await;
            let elapsed = started.elapsed();
            // A refused or failed connection never opened: it has no phase.
            if connected.is_ok() {
                record(|phases| phases.connect = Some(elapsed));
            }
            connected
        })
    }
}

impl HttpTiming {
    /// One phase, in milliseconds, if it happened.
    pub fn phase(&self, phase: runbook_model::TimingPhase) -> Option<u64> {
        match phase {
            runbook_model::TimingPhase::Dns => self.dns_ms,
            runbook_model::TimingPhase::Connect => self.connect_ms,
            runbook_model::TimingPhase::FirstByte => self.first_byte_ms,
        }
    }

    /// The phases measured, as the view and `record.md` show them: `dns
    /// 3ms, connect 41ms, first byte 1.2s`; `None` when none was.
    pub fn text(&self) -> Option<String> {
        let phases: Vec<String> =
            [("dns", self.dns_ms), ("connect", self.connect_ms), ("first byte", self.first_byte_ms)]
                .into_iter()
                .filter_map(|(name, ms)| Some(format!("{name} {}", super::elapsed_text(ms?))))
                .collect();
        (!phases.is_empty()).then(|| phases.join(", "))
    }
}
