//! reqwest's connector, wrapped once: each connection it opens is timed
//! (where the request's `connect` phase ends, [`super::http_timing`]) and,
//! for a client that speaks TLS, kept with the certificate it began with
//! ([`Presented`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use hyper_util::client::legacy::connect::Connection;

use super::http_timing::timed_opening;
use super::tls_client::Presented;

/// Wraps a client's connector (see the module's documentation); `presented`
/// is where a TLS client keeps its connections' certificates.
#[derive(Debug, Clone)]
pub(super) struct ConnectorLayer {
    pub(super) presented: Option<Presented>,
}

impl<S> tower_layer::Layer<S> for ConnectorLayer {
    type Service = Connector<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Connector { inner, presented: self.presented.clone() }
    }
}

/// reqwest's connector, wrapped (see [`ConnectorLayer`]).
#[derive(Debug, Clone)]
pub(super) struct Connector<S> {
    inner: S,
    presented: Option<Presented>,
}

impl<S, R> tower_service::Service<R> for Connector<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
    S::Response: Connection + Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let started = Instant::now();
        let opening = timed_opening(started, self.inner.call(request));
        match self.presented.clone() {
            Some(presented) => Box::pin(presented.witness(opening)),
            None => Box::pin(opening),
        }
    }
}
