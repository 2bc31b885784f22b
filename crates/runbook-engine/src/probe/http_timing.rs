//! Where an HTTP request's time went: resolving the name, connecting (TCP
//! and a proxy's tunnel), the TLS handshake, and waiting for the first byte
//! of the answer. The clients' resolver, connector and TLS session cache are
//! wrapped so that each records into the phases of the request being sent,
//! a task-local value: the clients are shared by all the probes of a run.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use rustls::NamedGroup;
use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::pki_types::ServerName;
use serde::{Deserialize, Serialize};

tokio::task_local! {
    /// The phases of the request this task is sending.
    static PHASES: Arc<Mutex<Phases>>;
}

/// The phases of a probe's request, in the order they happen; after
/// redirects, each is the sum over the chain's requests, as the probe's
/// `duration` is. A phase is absent when it did not happen or did not end
/// in any of them: no name to resolve (an IP address, or a connection kept
/// alive from an earlier request), no new connection, plain http (no
/// handshake), no answer yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HttpTiming {
    /// Resolving the host's name (the proxy's through a proxy), in
    /// milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_ms: Option<u64>,
    /// Opening the connection after the name was resolved: TCP and, through
    /// a proxy, its tunnel (after the handshake with an https proxy); in
    /// milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u64>,
    /// The TLS handshake, once the connection was open: over https, the
    /// one with the service (in a proxy's tunnel through a proxy); for an
    /// http URL through an https proxy, the one with the proxy; in
    /// milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ms: Option<u64>,
    /// From the connection being ready to the answer's first byte (its
    /// status line): the server's own time plus one round trip; in
    /// milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_byte_ms: Option<u64>,
}

/// What was measured of one request.
#[derive(Debug, Default)]
struct Phases {
    /// When the request was sent.
    sent: Option<Instant>,
    dns: Option<Duration>,
    /// When the connector began opening a connection (resolving first).
    connecting: Option<Instant>,
    /// When the last TLS handshake of the connection began: the TCP
    /// connection (and a proxy's tunnel) was open.
    handshaking: Option<Instant>,
    /// How many TLS handshakes began on the connection: through an https
    /// proxy the first is the proxy's, the second the service's.
    handshakes: usize,
    /// When the connection was ready to carry the request.
    connected: Option<Instant>,
    /// When the answer's status line came.
    answered: Option<Instant>,
    /// When the request failed, without an answer.
    failed: Option<Instant>,
}

/// The phases of one probe's requests (each hop after redirects),
/// recorded by the clients' resolver, connector and session cache while
/// [`Recorder::measure`] sends each, and read afterwards, so that a timeout
/// keeps what was measured before it.
#[derive(Debug, Clone, Default)]
pub(super) struct Recorder {
    /// The request being sent, or the last one sent.
    phases: Arc<Mutex<Phases>>,
    /// The phases of the requests sent before it, summed.
    earlier: Arc<Mutex<HttpTiming>>,
}

impl Recorder {
    fn phases(&self) -> std::sync::MutexGuard<'_, Phases> {
        self.phases.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends one request (`send` gives the answer once its status line
    /// came), adding an earlier hop's phases to those before it.
    pub(super) async fn measure<T, E>(&self, send: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        let hop = std::mem::replace(&mut *self.phases(), Phases { sent: Some(Instant::now()), ..Phases::default() });
        if hop.sent.is_some() {
            let mut earlier = self.earlier.lock().unwrap_or_else(PoisonError::into_inner);
            *earlier = earlier.plus(hop.timing());
        }
        let answer = PHASES.scope(Arc::clone(&self.phases), send).await;
        let now = Some(Instant::now());
        match answer {
            Ok(_) => self.phases().answered = now,
            Err(_) => self.phases().failed = now,
        }
        answer
    }

    /// When the request failed without an answer: its end, though the
    /// probe may then ask a proxy again why.
    pub(super) fn failed_at(&self) -> Option<Instant> {
        self.phases().failed
    }

    /// Which TLS handshake of the connection (1 for the first) began, its
    /// connection open, and had not finished while the connection was not
    /// ready: a failure now came during it.
    pub(super) fn unfinished_handshake(&self) -> Option<usize> {
        let phases = self.phases();
        (phases.handshaking.is_some() && phases.connected.is_none()).then_some(phases.handshakes)
    }

    /// What was measured of all the requests, once the last is over or cut
    /// short: each phase summed over them.
    pub(super) fn timing(&self) -> HttpTiming {
        self.earlier.lock().unwrap_or_else(PoisonError::into_inner).plus(self.last_request())
    }

    /// What was measured of the last request sent (the one that failed or
    /// timed out, if one did).
    pub(super) fn last_request(&self) -> HttpTiming {
        self.phases().timing()
    }
}

impl Phases {
    fn timing(&self) -> HttpTiming {
        let between = |from: Option<Instant>, to: Option<Instant>| Some(to?.saturating_duration_since(from?));
        // TCP (and a tunnel) ended where the handshake began, or, without
        // one, where the connection was ready.
        let opened = self.handshaking.or(self.connected);
        HttpTiming {
            dns_ms: self.dns.map(super::millis),
            connect_ms: between(self.connecting, opened)
                .map(|connect| super::millis(connect.saturating_sub(self.dns.unwrap_or_default()))),
            tls_ms: between(self.handshaking, self.connected).map(super::millis),
            first_byte_ms: between(self.connected.or(self.sent), self.answered).map(super::millis),
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

/// The session cache a TLS client asks for a session to resume as it
/// starts each handshake, just after its connection opened: that moment is
/// the handshake's start. It keeps no session, so that none is resumed
/// (see [`super::tls_client::config`]); the key exchange group a server
/// chose is remembered, as rustls' own cache does, which spares a round
/// trip and changes no certificate.
#[derive(Debug)]
pub(super) struct TimedSessions(ClientSessionMemoryCache);

impl TimedSessions {
    /// An empty cache.
    pub(super) fn new() -> Self {
        Self(ClientSessionMemoryCache::new(256))
    }
}

impl ClientSessionStore for TimedSessions {
    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        record(|phases| {
            phases.handshaking = Some(Instant::now());
            phases.handshakes += 1;
        });
        None
    }

    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.0.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.0.kx_hint(server_name)
    }

    fn set_tls12_session(&self, _: ServerName<'static>, _: Tls12ClientSessionValue) {}

    fn tls12_session(&self, _: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        None
    }

    fn remove_tls12_session(&self, _: &ServerName<'static>) {}

    fn insert_tls13_ticket(&self, _: ServerName<'static>, _: Tls13ClientSessionValue) {}
}

/// Opens a connection through `opening`, which began at `started`, timing
/// it: a connection that opened is ready now; a refused or failed one never
/// opened and has no phase.
pub(super) async fn timed_opening<T, E>(started: Instant, opening: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    record(|phases| phases.connecting = Some(started));
    let connected = opening.await;
    if connected.is_ok() {
        record(|phases| phases.connected = Some(Instant::now()));
    }
    connected
}

impl HttpTiming {
    /// One phase, in milliseconds, if it happened.
    pub fn phase(&self, phase: runbook_model::TimingPhase) -> Option<u64> {
        match phase {
            runbook_model::TimingPhase::Dns => self.dns_ms,
            runbook_model::TimingPhase::Connect => self.connect_ms,
            runbook_model::TimingPhase::Tls => self.tls_ms,
            runbook_model::TimingPhase::FirstByte => self.first_byte_ms,
        }
    }

    /// Each phase of `self` and `other` added: present when it is in
    /// either.
    fn plus(self, other: Self) -> Self {
        let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
        Self {
            dns_ms: add(self.dns_ms, other.dns_ms),
            connect_ms: add(self.connect_ms, other.connect_ms),
            tls_ms: add(self.tls_ms, other.tls_ms),
            first_byte_ms: add(self.first_byte_ms, other.first_byte_ms),
        }
    }

    /// The same phases, each taking no time (on virtual time, see
    /// [`super::Observation::take_no_time`]); a phase that did not happen
    /// stays absent.
    pub(crate) fn none_taken(self) -> Self {
        let zero = |phase: Option<u64>| phase.map(|_| 0);
        Self {
            dns_ms: zero(self.dns_ms),
            connect_ms: zero(self.connect_ms),
            tls_ms: zero(self.tls_ms),
            first_byte_ms: zero(self.first_byte_ms),
        }
    }

    /// Each phase by its name in `timing:` expectations and observations,
    /// in the order they happen.
    pub fn phases(&self) -> [(runbook_model::TimingPhase, Option<u64>); 4] {
        use runbook_model::TimingPhase::{Connect, Dns, FirstByte, Tls};
        [(Dns, self.dns_ms), (Connect, self.connect_ms), (Tls, self.tls_ms), (FirstByte, self.first_byte_ms)]
    }

    /// The phases measured, as the view and `record.md` show them: `dns
    /// 3ms, connect 1ms, tls 41ms, first byte 1.2s`; `None` when none was.
    pub fn text(&self) -> Option<String> {
        let phases: Vec<String> = self
            .phases()
            .into_iter()
            .map(|(phase, ms)| (phase.name().replace('_', " "), ms))
            .filter_map(|(name, ms)| Some(format!("{name} {}", super::elapsed_text(ms?))))
            .collect();
        (!phases.is_empty()).then(|| phases.join(", "))
    }
}
