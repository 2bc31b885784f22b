//! The certificate of an https service reached through a proxy's `CONNECT`
//! tunnel. The HTTP client keeps none on that path, so a second tunnel is
//! opened by hand and a TLS handshake made in it only to read the
//! certificate the service presents; nothing is sent after the handshake.
//! The request itself, on the client's own connection, has already checked
//! that certificate (unless `tls.insecure`): this handshake checks nothing.

use std::sync::Arc;
use std::time::SystemTime;

use rustls::pki_types::ServerName;

use super::connect_answer;
use super::proxy::Via;
use super::tls::Certificate;
use super::tls_client::{self, Trust};

/// The facts of the certificate `host` presents on `port`, through `via`;
/// `None` when the tunnel or the handshake fails.
pub(super) async fn through(via: &Via, host: &str, port: u16) -> Option<Certificate> {
    let stream = connect_answer::open(via, &format!("{host}:{port}")).await?;
    let config = tls_client::config(Trust::Anything).ok()?;
    let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned()).ok()?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, stream).await.ok()?;
    let der = tls.get_ref().1.peer_certificates()?.first()?.clone();
    Certificate::of(&der, SystemTime::now())
}
