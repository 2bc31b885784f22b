//! The TLS settings of the run's https clients: those reqwest would build
//! (the system's trusted roots through the platform verifier, `tls.ca_file`
//! added to them, or no check at all with `tls.insecure`; HTTP/1.1 as the
//! only protocol offered), built here so that the session cache is the
//! timed one that marks where each handshake begins ([`TimedSessions`]),
//! and the verifier one that tells which certificate each connection began
//! with ([`Presented`]).

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use hyper_util::client::legacy::connect::{Connected, Connection, HttpInfo};
use rustls::client::Resumption;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use super::http_timing::TimedSessions;

tokio::task_local! {
    /// The last certificate that passed the checks in the handshakes of the
    /// connection this task is opening.
    static SHOWN: Arc<Mutex<Option<CertificateDer<'static>>>>;
}

/// How a client checks the certificates servers present.
pub(super) enum Trust {
    /// The system's roots, and these too (from `tls.ca_file`).
    System(Vec<CertificateDer<'static>>),
    /// Nothing is checked (`tls.insecure`).
    Anything,
}

/// The settings of the run's https clients that trust the same: they
/// resume no TLS session, so that every connection's handshake is a full
/// one, made for it, and shows the certificate the server presents now
/// (a session another port of the same name issued, or one begun before
/// the certificate was renewed, would show another).
pub(super) fn config(trust: Trust) -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match trust {
        Trust::System(extra) if extra.is_empty() => {
            Arc::new(rustls_platform_verifier::Verifier::new(Arc::clone(&provider))?)
        }
        Trust::System(extra) => {
            Arc::new(rustls_platform_verifier::Verifier::new_with_extra_roots(extra, Arc::clone(&provider))?)
        }
        Trust::Anything => Arc::new(AnyCertificate(Arc::clone(&provider))),
    };
    let verifier = Arc::new(Witness { inner: verifier });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.resumption = Resumption::store(Arc::new(TimedSessions::new()));
    Ok(config)
}

/// The connections a client opened and the certificate each began with,
/// the last that passed the checks in its handshakes (a proxy's first,
/// then the service's in its tunnel). Through a proxy's `CONNECT` tunnel
/// the HTTP client keeps no certificate on the connection, so the probe
/// reads it here by the connection that carried the answer (its two
/// addresses): a request that went over a kept-alive connection has the
/// certificate that connection began with, never another's. The newest
/// [`Presented::KEPT`] connections are kept.
#[derive(Debug, Clone, Default)]
pub(super) struct Presented(Arc<Mutex<VecDeque<Began>>>);

/// A TCP connection: its local and remote addresses.
type Ends = (SocketAddr, SocketAddr);

/// A connection and the certificate it began with, if any.
type Began = (Ends, Option<CertificateDer<'static>>);

impl Presented {
    /// How many connections are remembered: far more than a client keeps
    /// open at once.
    const KEPT: usize = 256;

    fn ends(extensions: &http::Extensions) -> Option<Ends> {
        extensions.get::<HttpInfo>().map(|info| (info.local_addr(), info.remote_addr()))
    }

    fn keep(&self, connected: &Connected, certificate: Option<CertificateDer<'static>>) {
        let mut extensions = http::Extensions::new();
        connected.get_extras(&mut extensions);
        let Some(ends) = Self::ends(&extensions) else { return };
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.retain(|(known, _)| *known != ends);
        kept.push_back((ends, certificate));
        if kept.len() > Self::KEPT {
            kept.pop_front();
        }
    }

    /// Opens a connection through `opening`, and keeps it with the
    /// certificate that last passed the checks in its handshakes.
    pub(super) async fn witness<C: Connection, E>(self, opening: impl Future<Output = Result<C, E>>) -> Result<C, E> {
        let shown = Arc::new(Mutex::new(None));
        let opened = SHOWN.scope(Arc::clone(&shown), opening).await;
        if let Ok(connection) = &opened {
            let certificate = shown.lock().unwrap_or_else(PoisonError::into_inner).take();
            self.keep(&connection.connected(), certificate);
        }
        opened
    }

    /// The certificate the connection that carried an answer (`extensions`
    /// are the answer's) began with.
    pub(super) fn on(&self, extensions: &http::Extensions) -> Option<CertificateDer<'static>> {
        let ends = Self::ends(extensions)?;
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.iter().find(|(known, _)| *known == ends).and_then(|(_, certificate)| certificate.clone())
    }
}

/// A client's verifier, which notes the certificate it accepted for the
/// connection being opened ([`Presented`]).
#[derive(Debug)]
struct Witness {
    inner: Arc<dyn ServerCertVerifier>,
}

impl ServerCertVerifier for Witness {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|error| self_signed(end_entity, error))?;
        let certificate = end_entity.clone().into_owned();
        let _ = SHOWN.try_with(|shown| *shown.lock().unwrap_or_else(PoisonError::into_inner) = Some(certificate));
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, signature)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, signature)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

/// A certificate its own subject signed, refused for want of a trusted
/// issuer: said as self-signed. The verifier says the issuer is unknown,
/// or, when a `tls.ca_file` is given, that the signature does not verify,
/// which sends the operator after a missing intermediate or a CA made again.
fn self_signed(end_entity: &CertificateDer<'_>, error: rustls::Error) -> rustls::Error {
    use rustls::CertificateError::{BadSignature, UnknownIssuer};
    let untrusted = matches!(error, rustls::Error::InvalidCertificate(UnknownIssuer | BadSignature));
    if untrusted && super::tls::self_issued(end_entity) {
        return rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(Arc::new(
            SelfSigned,
        ))));
    }
    error
}

/// A self-signed certificate not trusted (see [`self_signed`]).
#[derive(Debug)]
struct SelfSigned;

impl std::fmt::Display for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("self-signed certificate")
    }
}

impl std::error::Error for SelfSigned {}

/// Accepts any certificate, its signatures still checked as the handshake
/// needs: for `tls.insecure`.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, signature, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, signature, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
