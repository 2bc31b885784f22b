//! The certificate of an https service reached through a proxy's `CONNECT`
//! tunnel. The HTTP client keeps none on that path, so a second tunnel is
//! opened by hand and a TLS handshake made in it only to read the
//! certificate the service presents; nothing is sent after the handshake.
//! The request itself, on the client's own connection, has already checked
//! that certificate (unless `tls.insecure`): this handshake checks nothing.

use std::sync::Arc;
use std::time::SystemTime;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::connect_answer;
use super::proxy::Via;
use super::tls::Certificate;

/// The facts of the certificate `host` presents on `port`, through `via`;
/// `None` when the tunnel or the handshake fails.
pub(super) async fn through(via: &Via, host: &str, port: u16) -> Option<Certificate> {
    let stream = connect_answer::open(via, &format!("{host}:{port}")).await?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ReadOnly(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned()).ok()?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, stream).await.ok()?;
    let der = tls.get_ref().1.peer_certificates()?.first()?.clone();
    Certificate::of(&der, SystemTime::now())
}

/// Accepts any certificate: this handshake only reads it.
#[derive(Debug)]
struct ReadOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for ReadOnly {
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
