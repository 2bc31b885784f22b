//! The `http` probe: one request, its response bounded in time (the whole
//! exchange, body included) and in bytes (the body is streamed into a
//! [`Captured`], so a 1 GiB answer keeps memory flat).

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt::{self, Write as _};
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode, Url, redirect};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::connect_answer::{self, ConnectAnswer};
use super::connector::ConnectorLayer;
use super::http_timing::{HttpTiming, Recorder, TimedResolver};
use super::proxy::{ProxySetting, Via};
use super::tls::{Certificate, failure_in_words};
use super::tls_client::{self, Presented, Trust};
use super::{
    Captured, ErrorKind, Limits, Observation, Probe, ProbeError, ProbeFuture, deserialize_millis, human,
    serialize_millis,
};

/// Most redirects followed before the probe gives up with
/// [`ErrorKind::TooManyRedirects`] (curl's `--max-redirs` is 50; browsers
/// stop near 20; a health endpoint needing more than 10 is broken anyway).
const MAX_REDIRECTS: usize = 10;

/// How long a proxy that refused a tunnel is given to say its status again
/// when the probe has no `connect_timeout`.
const ASK_AGAIN_LIMIT: Duration = Duration::from_secs(2);

/// Why no tunnel through an http proxy was opened in time, as far as the
/// client can tell.
const NO_TUNNEL: &str = "the proxy did not take the connection, or took it and did not answer CONNECT";

/// Largest `tls.ca_file` read (the system's whole CA bundle is about 220 KB).
const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A rendered HTTP request.
// Independent switches of one request, as the runbook writes them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone)]
pub struct HttpSpec {
    /// Method, uppercase (`GET`).
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Request headers, in order.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Option<Vec<u8>>,
    /// Whether the body is JSON (sets `Content-Type: application/json` unless a header does).
    pub json_body: bool,
    /// Limit on the whole exchange, body included.
    pub timeout: Duration,
    /// Limit on connecting.
    pub connect_timeout: Option<Duration>,
    /// Follow redirects (at most 10).
    pub follow_redirects: bool,
    /// Accept any certificate.
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM).
    pub ca_file: Option<PathBuf>,
    /// Which proxy, if any, requests go through.
    pub proxy: ProxySetting,
    /// The parts of the request that hold a secret.
    pub secret_parts: SecretParts,
    /// Open a connection of its own rather than reuse a kept-alive one:
    /// an expectation reads the `dns`, `connect` or `tls` phase, which a
    /// reused connection does not have.
    pub fresh_connection: bool,
    /// When the run asked for the request, on the run's clock: the
    /// certificate's `days_left` counts from it, so that a run on virtual
    /// time judges a certificate at its virtual date, the same every run.
    pub at: SystemTime,
    /// The run's clients. The spec carries a handle (cheap to clone) so that
    /// it alone is the [`Probe`]; every spec of a run gets a clone of the
    /// same handle, so requests with the same client settings share one
    /// keep-alive pool.
    pub client: HttpClient,
}

/// The response, or why there is none.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HttpObservation {
    /// Status code.
    pub status: Option<u16>,
    /// Response headers, names lowercase, in order.
    pub headers: Vec<(String, String)>,
    /// Response body, bounded.
    pub body: Captured,
    /// The URL that answered, after redirects.
    pub final_url: Option<String>,
    /// Time from sending to the end of the body.
    #[serde(serialize_with = "serialize_millis", deserialize_with = "deserialize_millis", rename = "duration_ms")]
    #[schemars(with = "u64")]
    pub duration: Duration,
    /// Why there is no response.
    pub error: Option<ProbeError>,
    /// Whether certificate checks were off.
    pub insecure: bool,
    /// The proxy the request to the probe's URL went through
    /// (`http://host:port`, never its credentials); `None` when it went
    /// direct. Each redirect followed has its own, in `redirects`.
    #[serde(default)]
    pub proxy: Option<String>,
    /// Each redirect followed, in order: the status that asked for it, the
    /// URL requested next, and the proxy that request went through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<Redirect>,
    /// The certificate the server presented, over https.
    #[serde(default)]
    pub tls: Option<Certificate>,
    /// Where the time went: resolving, connecting, waiting for the first
    /// byte (summed over the requests, after redirects, as `duration_ms`
    /// is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<HttpTiming>,
}

impl HttpObservation {
    /// How a redirect's request went, for people: `via proxy URL`, or
    /// `direct` once any request of the chain used a proxy; `None` when
    /// none did.
    pub fn route(&self, hop: &Redirect) -> Option<String> {
        match &hop.proxy {
            Some(proxy) => Some(format!("via proxy {proxy}")),
            None if self.proxy.is_some() || self.redirects.iter().any(|hop| hop.proxy.is_some()) => {
                Some("direct".to_owned())
            }
            None => None,
        }
    }

    /// The phases measured, as the view and `record.md` show them (`dns
    /// 3ms, connect 1ms, first byte 1.2s`), saying when they are summed over
    /// several requests (`…, summed over 2 requests`); `None` when none was.
    pub fn timing_text(&self) -> Option<String> {
        let phases = self.timing.as_ref().and_then(HttpTiming::text)?;
        Some(match self.redirects.len() {
            0 => phases,
            hops => format!("{phases}, summed over {} requests", hops + 1),
        })
    }
}

/// A redirect followed by an http probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Redirect {
    /// The status that asked for it (301, 302, 303, 307, 308).
    pub status: u16,
    /// The URL requested next.
    pub to: String,
    /// The proxy that request went through; `None` when it went direct.
    pub proxy: Option<String>,
}

/// The HTTP clients of one probe attempt (keep-alive pools), one per
/// distinct client setting (redirects, TLS, connect timeout), and the TLS
/// settings of the whole run's https clients.
///
/// Clients are built on first use: creating an `HttpClient` costs two
/// allocations, so commands that never send a request stay fast. Clones
/// share the clients; [`HttpClient::for_one_attempt`] gives new pools with
/// the same TLS settings, so that no connection outlives the attempt that
/// opened it (each step's look at a service is a new one, as a curl
/// command's is), while the verifier loads the system's roots once a run.
#[derive(Clone, Default)]
pub struct HttpClient {
    clients: Arc<Mutex<HashMap<ClientKey, Client>>>,
    tls: Arc<Mutex<HashMap<TrustKey, rustls::ClientConfig>>>,
}

/// What an https client's TLS settings depend on: `tls.insecure` and
/// `tls.ca_file`.
type TrustKey = (bool, Option<PathBuf>);

/// One client and the certificate each of its connections began with.
#[derive(Clone)]
struct Client {
    client: reqwest::Client,
    presented: Presented,
}

/// Request headers kept when a redirect leads to another origin (scheme,
/// host or port): they describe what the client accepts, never who it is.
/// Every other header the runbook set (`Authorization`, `Cookie`, an API
/// key header, anything carrying a token) stays with the origin it was
/// written for.
const HEADERS_KEPT_ACROSS_ORIGINS: [&str; 6] =
    ["accept", "accept-encoding", "accept-language", "cache-control", "content-type", "user-agent"];

/// The settings that live in a `reqwest::Client` rather than in a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    /// Whether the hop speaks TLS (an https URL, or an https proxy): a
    /// client for plain http loads no trusted roots, which costs the
    /// system's whole certificate store at the first request of a run.
    tls: bool,
    insecure: bool,
    connect_timeout: Option<Duration>,
    ca_file: Option<PathBuf>,
    proxy: Option<Via>,
    /// Keep no idle connection, so that each request opens its own.
    fresh_connection: bool,
}

impl HttpClient {
    /// A handle with no client built yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Clients with pools of their own (none built yet) and the run's TLS
    /// settings: for one attempt of a step's probes, which share its
    /// connections (a `foreach`'s items, a `probes:` group), never a
    /// later step's or attempt's.
    #[must_use]
    pub fn for_one_attempt(&self) -> Self {
        Self { clients: Arc::default(), tls: Arc::clone(&self.tls) }
    }

    /// The client for `key`, built on first use.
    fn get(&self, key: &ClientKey) -> Result<Client, ProbeError> {
        // A panic elsewhere while the lock was held cannot leave the map
        // half-updated (insert is the only write), so poison is ignored.
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = clients.get(key) {
            return Ok(client.clone());
        }
        let tls = if key.tls { Some(self.tls_config(key)?) } else { None };
        let client = build_client(key, tls)?;
        clients.insert(key.clone(), client.clone());
        Ok(client)
    }

    /// The TLS settings of an https client with `key`'s trust, made once a
    /// run.
    fn tls_config(&self, key: &ClientKey) -> Result<rustls::ClientConfig, ProbeError> {
        let mut configs = self.tls.lock().unwrap_or_else(PoisonError::into_inner);
        let trust_key = (key.insecure, key.ca_file.clone());
        if let Some(config) = configs.get(&trust_key) {
            return Ok(config.clone());
        }
        let config = tls_client::config(trust(key)?)
            .map_err(|e| ProbeError::new(ErrorKind::Tls, format!("cannot set up the http client: {}", one_line(&e))))?;
        configs.insert(trust_key, config.clone());
        Ok(config)
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let built = self.clients.lock().map_or(0, |clients| clients.len());
        f.debug_struct("HttpClient").field("built", &built).finish_non_exhaustive()
    }
}

/// A client for `key`, with `tls` its TLS settings when it speaks TLS.
fn build_client(key: &ClientKey, tls: Option<rustls::ClientConfig>) -> Result<Client, ProbeError> {
    // Redirects are followed by the probe itself (see `HttpSpec::send`),
    // which decides what each hop may carry.
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("runbook/", env!("CARGO_PKG_VERSION")))
        .redirect(redirect::Policy::none())
        .tls_info(true)
        .dns_resolver(Arc::new(TimedResolver));
    // The proxy was chosen for this hop (see `ProxySetting::via`): the
    // client must not choose again from the environment.
    builder = match &key.proxy {
        None => builder.no_proxy(),
        Some(via) => {
            let mut proxy = reqwest::Proxy::all(via.url.as_str()).map_err(|e| {
                ProbeError::new(ErrorKind::InvalidTarget, format!("invalid proxy {}: {}", via.url, causes(&e)))
            })?;
            if let Some(auth) = &via.auth {
                proxy = proxy.custom_http_auth(auth.clone());
            }
            builder.proxy(proxy)
        }
    };
    if let Some(connect_timeout) = key.connect_timeout {
        builder = builder.connect_timeout(connect_timeout);
    }
    if key.fresh_connection {
        builder = builder.pool_max_idle_per_host(0);
    }
    let presented = Presented::default();
    builder = match tls {
        Some(tls) => builder
            .tls_backend_preconfigured(tls)
            .connector_layer(ConnectorLayer { presented: Some(presented.clone()) }),
        None => builder.tls_certs_only(Vec::new()).connector_layer(ConnectorLayer { presented: None }),
    };
    let client = builder
        .build()
        .map_err(|e| ProbeError::new(ErrorKind::Io, format!("cannot set up the http client: {}", causes(&e))))?;
    Ok(Client { client, presented })
}

/// Which certificates a TLS client trusts: with `tls.ca_file`, its
/// certificates besides the system's.
fn trust(key: &ClientKey) -> Result<Trust, ProbeError> {
    if key.insecure {
        return Ok(Trust::Anything);
    }
    let Some(path) = &key.ca_file else {
        return Ok(Trust::System(Vec::new()));
    };
    // Read synchronously, once per run: only a regular file of at most
    // MAX_CA_FILE_BYTES is read, so this cannot block (a FIFO would).
    let pem = crate::regular_file::read_capped(path, MAX_CA_FILE_BYTES)
        .map_err(|e| ProbeError::new(ErrorKind::Tls, format!("cannot read CA file `{}`: {}", path.display(), e)))?;
    CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .ok()
        .filter(|certs| !certs.is_empty())
        .map(Trust::System)
        .ok_or_else(|| ProbeError::new(ErrorKind::Tls, format!("no PEM certificate in CA file `{}`", path.display())))
}

/// The parts of a request holding a secret, which a redirect never
/// carries to another origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretParts {
    /// Headers (lowercase names) whose value holds one: not sent there,
    /// whatever their name.
    pub headers: Vec<String>,
    /// Whether the body holds one: a redirect there that would send the
    /// body again (307, 308) is not followed.
    pub body: bool,
}

/// How far a failed exchange had gone, for the words of its error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Connecting, sending, or waiting for the answer.
    BeforeAnswer,
    /// In a TLS handshake: the connection (and a proxy's tunnel) was open.
    Handshaking,
    /// In the TLS handshake with an `https://` proxy, the first on the
    /// connection: no tunnel was asked for yet, the service not reached.
    ProxyHandshaking,
    /// Reading the answer's body.
    ReadingBody,
}

impl Stage {
    /// How far a request that ended without an answer had gone, from what
    /// `recorder` measured: a handshake that did not finish is the proxy's
    /// when it is the first on a connection to an `https://` proxy.
    fn reached(target: &Target, recorder: &Recorder) -> Self {
        let https_proxy = target.via.as_ref().is_some_and(|via| via.url.starts_with("https:"));
        match recorder.unfinished_handshake() {
            Some(1) if https_proxy => Self::ProxyHandshaking,
            Some(_) => Self::Handshaking,
            None => Self::BeforeAnswer,
        }
    }
}

/// How the exchange ended, decided inside the `select!` and applied after
/// it, once the request future (which borrows the observation) is dropped.
enum End {
    Done(Result<(), ProbeError>),
    TimedOut,
    Interrupted,
}

impl HttpSpec {
    fn client_key(&self, url: &Url, proxy: Option<Via>) -> ClientKey {
        ClientKey {
            tls: url.scheme() == "https" || proxy.as_ref().is_some_and(|via| via.url.starts_with("https:")),
            insecure: self.insecure,
            connect_timeout: self.connect_timeout,
            ca_file: self.ca_file.clone(),
            proxy,
            fresh_connection: self.fresh_connection,
        }
    }

    async fn exchange(&self, limits: &Limits, cancel: &CancellationToken) -> HttpObservation {
        let mut observation = HttpObservation {
            status: None,
            headers: Vec::new(),
            body: Captured::new(),
            final_url: None,
            duration: Duration::ZERO,
            error: None,
            insecure: self.insecure,
            proxy: None,
            redirects: Vec::new(),
            tls: None,
            timing: None,
        };
        let (request, mut target) = match self.prepare() {
            Ok(prepared) => prepared,
            Err(error) => {
                observation.error = Some(error);
                return observation;
            }
        };
        let started = Instant::now();
        let recorder = Recorder::default();
        let end = tokio::select! {
            biased;
            () = cancel.cancelled() => End::Interrupted,
            () = tokio::time::sleep(self.timeout) => End::TimedOut,
            result = self.fetch(request, &mut target, limits, &recorder, &mut observation) => End::Done(result),
        };
        // A failed request ended when it failed: asking a proxy again why
        // is no part of it.
        observation.duration =
            recorder.failed_at().map_or_else(|| started.elapsed(), |failed| failed.saturating_duration_since(started));
        observation.timing = Some(recorder.timing());
        observation.error = match end {
            End::Done(result) => result.err(),
            End::Interrupted => Some(ProbeError::new(ErrorKind::Interrupted, "interrupted")),
            End::TimedOut => Some(self.timed_out(&target, &observation, &recorder)),
        };
        observation
    }

    /// The request, checked before anything is sent.
    fn prepare(&self) -> Result<(reqwest::Request, Target), ProbeError> {
        let mut url = Url::parse(&self.url)
            .map_err(|e| ProbeError::new(ErrorKind::InvalidTarget, format!("invalid url `{}`: {e}", self.url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            let message = format!("unsupported scheme `{}` in `{}`: use http or https", url.scheme(), self.url);
            return Err(ProbeError::new(ErrorKind::InvalidTarget, message));
        }
        // `user:password@` is sent as curl sends it, `Authorization: Basic`,
        // and never in the request line (a proxy would read it there).
        let credential = (!url.username().is_empty() || url.password().is_some()).then(|| {
            super::proxy::basic_credential(url.username(), &super::proxy::percent_decoded(url.password().unwrap_or("")))
        });
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let target = Target::of(&url);
        let method = Method::from_bytes(self.method.as_bytes())
            .map_err(|_| ProbeError::new(ErrorKind::InvalidTarget, format!("invalid http method `{}`", self.method)))?;
        let mut request = reqwest::Request::new(method, url);
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ProbeError::new(ErrorKind::InvalidTarget, format!("invalid header name `{name}`")))?;
            // The value is not shown: headers carry tokens.
            let value = HeaderValue::from_str(value)
                .map_err(|_| ProbeError::new(ErrorKind::InvalidTarget, format!("invalid value for header `{name}`")))?;
            headers.append(header, value);
        }
        if let Some(credential) = credential
            && !headers.contains_key(AUTHORIZATION)
        {
            let mut value = HeaderValue::from_str(&format!("Basic {credential}"))
                .map_err(|_| ProbeError::new(ErrorKind::InvalidTarget, "invalid user or password in the url"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        if self.json_body && !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(body) = &self.body {
            *request.body_mut() = Some(body.clone().into());
        }
        Ok((request, target))
    }

    /// Sends the request and reads the whole body, filling `observation` as
    /// it goes so that a timeout keeps what had arrived.
    async fn fetch(
        &self,
        request: reqwest::Request,
        target: &mut Target,
        limits: &Limits,
        recorder: &Recorder,
        observation: &mut HttpObservation,
    ) -> Result<(), ProbeError> {
        let (mut response, presented) = self.send(request, target, recorder, observation).await?;
        observation.status = Some(response.status().as_u16());
        observation.final_url = Some(response.url().to_string());
        // The connection's certificate is the target's only over https: an
        // http URL through an https proxy has the proxy's. Through a CONNECT
        // tunnel reqwest keeps none: the client kept it by connection.
        observation.tls = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .filter(|_| response.url().scheme() == "https")
            .and_then(reqwest::tls::TlsInfo::peer_certificate)
            .map(|der| CertificateDer::from(der.to_vec()))
            .or_else(|| target.https.then(|| presented.on(response.extensions())).flatten())
            .and_then(|der| Certificate::of(&der, self.at));
        observation.headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        // Read to the end even past the cap: `total_bytes` must be true, and
        // a fully read body returns the connection to the pool.
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(&e, target, Stage::ReadingBody))? {
            observation.body.push(&chunk, limits.max_capture_bytes);
        }
        let encoding = observation.headers.iter().find(|(name, _)| name == "content-encoding").map(|(_, value)| value);
        if let Some(decoded) = encoding.and_then(|encoding| {
            super::body_encoding::decoded(encoding.trim(), &observation.body, limits.max_capture_bytes)
        }) {
            observation.body = decoded;
        }
        Ok(())
    }

    /// Sends the request, following redirects when asked (at most
    /// [`MAX_REDIRECTS`]). `target` follows the hops, so that a failure
    /// names the host that failed, and each hop goes through the proxy its
    /// own URL calls for.
    /// Each hop's proxy is written into `observation` before it is sent.
    /// Returns the answer and the certificates of the connections of the
    /// client that got it.
    async fn send(
        &self,
        mut request: reqwest::Request,
        target: &mut Target,
        recorder: &Recorder,
        observation: &mut HttpObservation,
    ) -> Result<(reqwest::Response, Presented), ProbeError> {
        loop {
            target.via = self.proxy.via(request.url())?;
            let proxy = target.via.as_ref().map(|via| via.url.clone());
            match observation.redirects.last_mut() {
                Some(hop) => hop.proxy = proxy,
                None => observation.proxy = proxy,
            }
            let Client { client, presented } = self.client.get(&self.client_key(request.url(), target.via.clone()))?;
            let retry = request.try_clone();
            let response = match recorder.measure(client.execute(request)).await {
                Ok(response) => response,
                Err(error) => return Err(self.failed(&error, target, recorder).await),
            };
            // Only a proxy answers 407: it is not the service's status.
            if let Some(via) =
                target.via.as_ref().filter(|_| response.status() == StatusCode::PROXY_AUTHENTICATION_REQUIRED)
            {
                let message = credentials_wanted(via, "to forward the request to", target);
                return Err(ProbeError::new(ErrorKind::Io, message));
            }
            let next = retry.filter(|_| self.follow_redirects).and_then(|retry| self.redirected(retry, &response));
            let Some(next) = next else {
                return Ok((response, presented));
            };
            if observation.redirects.len() == MAX_REDIRECTS {
                let message = format!("more than {MAX_REDIRECTS} redirects from `{}`", self.url);
                return Err(ProbeError::new(ErrorKind::TooManyRedirects, message));
            }
            observation.redirects.push(Redirect {
                status: response.status().as_u16(),
                to: next.url().to_string(),
                proxy: None,
            });
            *target = Target::of(next.url());
            request = next;
        }
    }

    /// Why a request failed ([`Self::classify`]). A proxy that would not
    /// open a tunnel is asked again by hand for its status, which the
    /// client does not keep, for at most the `connect_timeout` (else
    /// [`ASK_AGAIN_LIMIT`]); the message says the status is that second
    /// answer's.
    async fn failed(&self, error: &reqwest::Error, target: &Target, recorder: &Recorder) -> ProbeError {
        if let Some(via) = &target.via
            && error.is_connect()
            && causes(error).contains("tunnel error: unsuccessful")
        {
            let limit = self.connect_timeout.unwrap_or(ASK_AGAIN_LIMIT);
            let message = match tokio::time::timeout(limit, connect_answer::ask(via, &target.to_string())).await {
                Ok(Some(answer)) => refused_tunnel(via, target, &answer),
                _ => format!(
                    "{via} refused to open a tunnel to {target} (its answer to CONNECT was not 200; asked again, it \
                     gave no status within {})",
                    human(limit)
                ),
            };
            return ProbeError::new(ErrorKind::Io, message);
        }
        self.classify(error, target, Stage::reached(target, recorder))
    }

    /// Why the probe's `timeout` ran out, from how far its last request
    /// had gone.
    fn timed_out(&self, target: &Target, observation: &HttpObservation, recorder: &Recorder) -> ProbeError {
        let limit = human(self.timeout);
        let route = target.route();
        let last = recorder.last_request();
        let message = if observation.status.is_some() {
            format!(
                "response body from {route} not complete within {limit} ({} bytes read)",
                observation.body.total_bytes
            )
        } else if let Some(via) =
            target.via.as_ref().filter(|_| Stage::reached(target, recorder) == Stage::ProxyHandshaking)
        {
            format!("no response from {route} within {limit}: the tls handshake with {via} did not finish")
        } else if target.https && last.connect_ms.is_some() && last.tls_ms.is_none() {
            format!("no response from {route} within {limit}: the tls handshake did not finish")
        } else if let Some(via) = target.via.as_ref().filter(|via| target.https && via.url.starts_with("http://"))
            && last.connect_ms.is_none()
        {
            format!("no tunnel to {target} through {via} within {limit}: {NO_TUNNEL}")
        } else {
            format!("no response from {route} within {limit}")
        };
        ProbeError::new(ErrorKind::Timeout, message)
    }

    /// Names what failed. Through a proxy, the connection (its refusal,
    /// its timeout, the name to resolve, a reset) is the proxy's, not the
    /// target's: the target is named as where the request was going.
    fn classify(&self, error: &reqwest::Error, target: &Target, stage: Stage) -> ProbeError {
        let detail = causes(error);
        // The host the connection was made to.
        let peer = target.via.as_ref().map_or_else(|| target.to_string(), |via| format!("{via} (for {target})"));
        let (kind, message) = if error.is_builder() {
            (ErrorKind::InvalidTarget, format!("invalid request to `{}`: {detail}", self.url))
        } else if error.is_timeout() {
            // The connect timeout covers the handshake too (as curl's):
            // once the connection is open, the handshake is to blame.
            let message = match self.connect_timeout {
                Some(limit) if error.is_connect() && matches!(stage, Stage::Handshaking | Stage::ProxyHandshaking) => {
                    let with = if target.https && stage == Stage::Handshaking { target.route() } else { peer };
                    format!("tls handshake with {with} did not finish within the connect_timeout {}", human(limit))
                }
                // Opening a tunnel through an http proxy, the client cannot
                // tell the proxy's connection from its answer to CONNECT.
                Some(limit)
                    if error.is_connect()
                        && let Some(via) =
                            target.via.as_ref().filter(|via| target.https && via.url.starts_with("http://")) =>
                {
                    format!(
                        "no tunnel to {target} through {via} within the connect_timeout {}: {NO_TUNNEL}",
                        human(limit)
                    )
                }
                Some(limit) if error.is_connect() => format!("no connection to {peer} within {}", human(limit)),
                _ => format!("no response from {} within {}", target.route(), human(self.timeout)),
            };
            (ErrorKind::Timeout, message)
        } else if error.is_dns() {
            let message = match &target.via {
                Some(via) => format!("cannot resolve `{}`, the host of {via} (for {target})", via.host),
                None => format!("cannot resolve `{}`", target.host),
            };
            (ErrorKind::Dns, message)
        } else if io_kind(error) == Some(io::ErrorKind::ConnectionRefused) {
            (ErrorKind::Refused, format!("connection refused by {peer}"))
        } else if let Some(via) =
            target.via.as_ref().filter(|_| stage == Stage::ProxyHandshaking && !looks_like_tls(&detail))
        {
            // No tunnel was asked for yet: the proxy closed or reset the
            // connection in its own handshake.
            (ErrorKind::Tls, format!("tls handshake with {via} (for {target}) failed: {}", innermost(error)))
        } else if let Some(message) =
            target.via.as_ref().filter(|_| error.is_connect()).and_then(|via| tunnel(via, target, &detail))
        {
            (ErrorKind::Io, message)
        } else if (error.is_connect() && looks_like_tls(&detail)) || detail.contains("received fatal alert") {
            // A TLS 1.3 server refuses a client without a certificate by
            // an alert after the handshake, once the request is sent.
            // An http URL has no handshake of its own: the proxy's failed.
            // An https one through an https proxy fails in the proxy's
            // handshake before its own, and the proxy is blamed then.
            let words = failure_in_words(&innermost(error), self.ca_file.is_some());
            let message = match &target.via {
                Some(via) if !target.https || stage == Stage::ProxyHandshaking => {
                    format!("tls handshake with {via} (for {target}) failed: {words}")
                }
                // Inside a tunnel, an end of file may be the proxy's doing.
                Some(via) if detail.contains("handshake eof") => {
                    format!(
                        "the connection through {via} closed during the tls handshake with {target} (the proxy or the server closed it)"
                    )
                }
                _ => format!("tls handshake with {target} failed: {words}"),
            };
            (ErrorKind::Tls, message)
        } else if is_reset(error, &detail) {
            let when = if stage == Stage::ReadingBody { "mid-body" } else { "before a response" };
            (ErrorKind::Reset, format!("{peer} closed the connection {when}: {}", innermost(error)))
        } else if error.is_connect() {
            (ErrorKind::Io, format!("cannot connect to {peer}: {detail}"))
        } else {
            (ErrorKind::Io, format!("request to {} failed: {detail}", target.route()))
        };
        ProbeError::new(kind, message)
    }
}

impl Probe for HttpSpec {
    fn observe<'a>(&'a self, limits: &'a Limits, cancel: &'a CancellationToken) -> ProbeFuture<'a> {
        Box::pin(async move { Observation::Http(self.exchange(limits, cancel).await) })
    }

    fn http(&self) -> Option<&HttpSpec> {
        Some(self)
    }
}

/// Most bytes of a body shown where an action is approved; the rest is
/// counted.
const SHOWN_BODY_BYTES: usize = 4096;

impl HttpSpec {
    /// The request as the operator approves it: the method and URL, the
    /// headers the runbook sets (and the JSON content type the probe adds),
    /// then the body, laid out as an HTTP message. A body past
    /// `SHOWN_BODY_BYTES` (4 KiB) is cut, marked with `redact::CUT`,
    /// and its size said.
    pub fn request_text(&self) -> String {
        let mut text = format!("{} {}", self.method, self.url);
        for (name, value) in &self.headers {
            let _ = write!(text, "\n{name}: {value}");
        }
        let typed = self.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        if self.json_body && !typed {
            text.push_str("\nContent-Type: application/json");
        }
        if let Some(body) = self.body.as_deref().filter(|body| !body.is_empty()) {
            let shown = String::from_utf8_lossy(&body[..body.len().min(SHOWN_BODY_BYTES)]);
            let _ = write!(text, "\n\n{}", shown.trim_end_matches('\u{fffd}'));
            // The cut mark right after the cut, where the redactor looks
            // for what it left of a secret.
            if body.len() > SHOWN_BODY_BYTES {
                let _ = write!(text, "{}\n({} bytes in all)", crate::redact::CUT, body.len());
            }
        }
        text
    }

    /// The request a redirect response asks for, if it is one the probe
    /// follows: 301, 302, 303 (becoming a `GET` without a body, as browsers
    /// do, except that 301 and 302 keep a method other than `POST`), 307 and
    /// 308 (unchanged), to an http or https URL. Crossing to another origin
    /// drops the headers that may identify the client and every header holding
    /// a secret; a body holding one is never sent there (that redirect is
    /// not followed: its response is the answer).
    fn redirected(&self, mut request: reqwest::Request, response: &reqwest::Response) -> Option<reqwest::Request> {
        let status = response.status();
        let to_get = match status {
            StatusCode::SEE_OTHER => true,
            StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => request.method() == Method::POST,
            StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => false,
            _ => return None,
        };
        let location = response.headers().get(LOCATION)?.to_str().ok()?;
        let next = response.url().join(location).ok().filter(|url| matches!(url.scheme(), "http" | "https"))?;
        let same_origin = next.scheme() == response.url().scheme()
            && next.host_str() == response.url().host_str()
            && next.port_or_known_default() == response.url().port_or_known_default();
        if !same_origin && !to_get && self.secret_parts.body && request.body().is_some() {
            return None;
        }
        if to_get {
            *request.method_mut() = Method::GET;
            *request.body_mut() = None;
            request.headers_mut().remove(CONTENT_TYPE);
            request.headers_mut().remove(CONTENT_LENGTH);
        }
        if !same_origin {
            let mut kept = HeaderMap::new();
            for (name, value) in request.headers() {
                if HEADERS_KEPT_ACROSS_ORIGINS.contains(&name.as_str())
                    && !self.secret_parts.headers.contains(&name.to_string())
                {
                    kept.append(name.clone(), value.clone());
                }
            }
            *request.headers_mut() = kept;
        }
        *request.url_mut() = next;
        Some(request)
    }
}

/// Host and port, for messages: the full URL may carry tokens in its query.
/// With the proxy the request goes through, if any.
struct Target {
    host: String,
    port: Option<u16>,
    https: bool,
    via: Option<Via>,
}

impl Target {
    fn of(url: &Url) -> Self {
        Self {
            host: url.host_str().unwrap_or_default().to_owned(),
            port: url.port_or_known_default(),
            https: url.scheme() == "https",
            via: None,
        }
    }

    /// `host:port`, and `through proxy host:port` when there is one.
    fn route(&self) -> String {
        match &self.via {
            Some(via) => format!("{self} through {via}"),
            None => self.to_string(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// The causes below reqwest's own message (which repeats the whole URL),
/// joined on one line. Dropped: consecutive repeats (libraries often include
/// their source's text in their own) and hyper-util's `client error
/// (Connect)`, which says nothing the message around it does not.
fn causes(error: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = one_line(cause);
        if !text.is_empty()
            && !text.starts_with("client error (")
            && !parts.last().is_some_and(|last| last.contains(&text))
        {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() { one_line(error) } else { parts.join(": ") }
}

/// The deepest cause: for TLS and resets, the only part worth reading
/// (`invalid peer certificate: UnknownIssuer`).
fn innermost(error: &reqwest::Error) -> String {
    let mut deepest: &dyn StdError = error;
    while let Some(cause) = deepest.source() {
        deepest = cause;
    }
    one_line(deepest)
}

fn one_line(error: &dyn StdError) -> String {
    error.to_string().replace(['\n', '\r'], " ")
}

/// The kind of the first I/O error in the chain.
fn io_kind(error: &reqwest::Error) -> Option<io::ErrorKind> {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        source = cause.source();
    }
    None
}

/// rustls errors reach us wrapped in `io::Error`s, and this crate does not
/// depend on rustls to downcast them: their messages are stable enough.
fn looks_like_tls(detail: &str) -> bool {
    let detail = detail.to_ascii_lowercase();
    ["certificate", "tls", "handshake", "alert", "corrupt message", "peer is incompatible", "peer misbehaved"]
        .iter()
        .any(|word| detail.contains(word))
}

/// A proxy's answer to `CONNECT` other than 200, in words.
fn refused_tunnel(via: &Via, target: &Target, answer: &ConnectAnswer) -> String {
    match answer {
        ConnectAnswer::Status(407, _) => credentials_wanted(via, "to open a tunnel to", target),
        ConnectAnswer::Status(status, reason) => {
            let reason = if reason.is_empty() { String::new() } else { format!(" {reason}") };
            let why = match status {
                403 => "it does not allow a tunnel there",
                502..=504 => "it could not reach the service, or gave up waiting for it",
                _ => "it opened no tunnel",
            };
            format!("{via} refused CONNECT {target}; asked again, it answered {status}{reason}: {why}")
        }
        ConnectAnswer::NotHttp => format!("{via} refused CONNECT {target}; asked again, it did not answer in HTTP"),
    }
}

/// A 407 from the proxy, in words: the credentials are missing, or were
/// sent and refused. `what` is what it would not do, `to open a tunnel to`.
fn credentials_wanted(via: &Via, what: &str, target: &Target) -> String {
    if via.auth.is_some() {
        format!("{via} refused the credentials in the proxy URL (407) {what} {target}")
    } else {
        format!(
            "{via} asks for credentials (407) {what} {target}: give them in the proxy URL, http://USER:PASSWORD@HOST:PORT"
        )
    }
}

/// What a proxy said when asked for a tunnel (`CONNECT`) to an https
/// target, in words; `None` when `detail` is not about the tunnel.
fn tunnel(via: &Via, target: &Target, detail: &str) -> Option<String> {
    if detail.contains("proxy authorization required") {
        Some(credentials_wanted(via, "to open a tunnel to", target))
    } else if detail.contains("unsuccessful") {
        Some(format!("{via} refused to open a tunnel to {target} (its answer to CONNECT was not 200)"))
    } else if detail.contains("unexpected end of file") || detail.contains("io error establishing tunnel") {
        Some(format!("{via} closed the connection while opening a tunnel to {target}"))
    } else {
        None
    }
}

fn is_reset(error: &reqwest::Error, detail: &str) -> bool {
    use io::ErrorKind as Io;
    matches!(io_kind(error), Some(Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof))
        || ["connection closed before message completed", "end of file before message length reached"]
            .iter()
            .any(|text| detail.contains(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_are_recognised_by_message() {
        for (detail, tls) in [
            ("invalid peer certificate: UnknownIssuer", true),
            ("received corrupt message of type InvalidContentType", true),
            ("received fatal alert: HandshakeFailure", true),
            ("tcp connect error: Connection refused (os error 111)", false),
        ] {
            assert_eq!(looks_like_tls(detail), tls, "{detail}");
        }
    }

    #[test]
    fn targets_name_host_and_port_only() {
        let url = Url::parse("https://user:secret@example.com/path?token=abc").unwrap();
        assert_eq!(Target::of(&url).to_string(), "example.com:443");
    }

    #[test]
    fn creating_a_client_builds_nothing() {
        let client = HttpClient::new();
        assert_eq!(format!("{client:?}"), "HttpClient { built: 0, .. }");
    }
}
