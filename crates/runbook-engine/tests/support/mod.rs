//! What the http probe tests share: a plain spec and running it.
#![allow(dead_code)]

use std::time::Duration;

use runbook_engine::probe::{
    ErrorKind, HttpClient, HttpObservation, HttpSpec, Limits, Observation, Probe, ProxySetting, SecretParts,
};
use tokio_util::sync::CancellationToken;

/// A `GET` with the defaults, going direct whatever the environment says.
pub(crate) fn get(url: &str) -> HttpSpec {
    HttpSpec {
        method: "GET".into(),
        url: url.into(),
        headers: Vec::new(),
        body: None,
        json_body: false,
        timeout: Duration::from_secs(10),
        connect_timeout: None,
        follow_redirects: true,
        insecure: false,
        ca_file: None,
        proxy: ProxySetting::Direct,
        secret_parts: SecretParts::default(),
        fresh_connection: false,
        at: std::time::SystemTime::now(),
        client: HttpClient::new(),
    }
}

pub(crate) async fn observe_with(spec: &HttpSpec, limits: &Limits, cancel: &CancellationToken) -> HttpObservation {
    match spec.observe(limits, cancel).await {
        Observation::Http(observation) => observation,
        other => panic!("not an http observation: {other:?}"),
    }
}

pub(crate) async fn observe(spec: &HttpSpec) -> HttpObservation {
    observe_with(spec, &Limits::default(), &CancellationToken::new()).await
}

pub(crate) fn error_kind(observation: &HttpObservation) -> Option<ErrorKind> {
    observation.error.as_ref().map(|e| e.kind)
}

/// Error messages are for people: one line, no Debug dumps.
pub(crate) fn assert_human(observation: &HttpObservation) {
    let message = &observation.error.as_ref().expect("an error").message;
    assert!(!message.contains('\n'), "{message}");
    assert!(!message.contains("Custom {") && !message.contains("kind:"), "{message}");
}
