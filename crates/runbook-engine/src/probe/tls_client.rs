//! The TLS settings of the run's https clients: those reqwest would build
//! (the system's trusted roots through the platform verifier, `tls.ca_file`
//! added to them, or no check at all with `tls.insecure`; HTTP/1.1 as the
//! only protocol offered), built here so that the session cache is the
//! timed one that marks where each handshake begins ([`TimedSessions`]).

use std::sync::Arc;

use rustls::client::Resumption;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use super::http_timing::TimedSessions;

/// How a client checks the certificates servers present.
pub(super) enum Trust {
    /// The system's roots, and these too (from `tls.ca_file`).
    System(Vec<CertificateDer<'static>>),
    /// Nothing is checked (`tls.insecure`).
    Anything,
}

/// The settings of one https client.
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
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.resumption = Resumption::store(Arc::new(TimedSessions::new()));
    Ok(config)
}

/// Accepts any certificate, its signatures still checked as the handshake
/// needs: for `tls.insecure`, and for a handshake that only reads the
/// certificate (see `tunnel_certificate`).
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
