//! The TLS settings of the run's https clients: those reqwest would build
//! (the system's trusted roots through the platform verifier, `tls.ca_file`
//! added to them, or no check at all with `tls.insecure`; HTTP/1.1 as the
//! only protocol offered), built here so that the session cache is the
//! timed one that marks where each handshake begins ([`TimedSessions`]),
//! and the verifier one that keeps the certificate each server presented
//! ([`Presented`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::Resumption;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use super::http_timing::{self, TimedSessions};

/// How a client checks the certificates servers present.
pub(super) enum Trust {
    /// The system's roots, and these too (from `tls.ca_file`).
    System(Vec<CertificateDer<'static>>),
    /// Nothing is checked (`tls.insecure`).
    Anything,
}

/// The settings of one https client, and where its verifier keeps the
/// certificates servers presented to it.
pub(super) fn config(trust: Trust) -> Result<(ClientConfig, Presented), rustls::Error> {
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
    let presented = Presented::default();
    let verifier = Arc::new(Witness { inner: verifier, presented: presented.clone() });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.resumption = Resumption::store(Arc::new(TimedSessions::new()));
    Ok((config, presented))
}

/// The certificate each server last presented to one client and that passed
/// its checks, by the name the client asked for. Through a proxy's `CONNECT`
/// tunnel the HTTP client keeps no certificate on the connection, so the
/// probe reads it here: the one of the request's own handshake (see
/// [`http_timing::presented`]), or, when the request went over a kept-alive
/// connection or resumed a TLS session (no certificate is sent then), the
/// one the server presented when that connection or session began, which
/// this client checked.
#[derive(Debug, Clone, Default)]
pub(super) struct Presented(Arc<Mutex<HashMap<String, CertificateDer<'static>>>>);

impl Presented {
    fn keep(&self, name: &ServerName<'_>, certificate: &CertificateDer<'_>) {
        let name = name.to_str().into_owned();
        let certificate = certificate.clone().into_owned();
        http_timing::presented(name.clone(), certificate.clone());
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(name, certificate);
    }

    /// The certificate the server named `name` (an IP address without
    /// brackets) last presented.
    pub(super) fn last(&self, name: &str) -> Option<CertificateDer<'static>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(name).cloned()
    }
}

/// A client's verifier, which keeps the certificate it accepted
/// ([`Presented`]).
#[derive(Debug)]
struct Witness {
    inner: Arc<dyn ServerCertVerifier>,
    presented: Presented,
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
        self.presented.keep(server_name, end_entity);
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
