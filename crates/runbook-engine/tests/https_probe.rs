//! The `http` probe against real TLS servers on loopback, with
//! certificates made here (rcgen): trusting a CA file, turning checks off,
//! the certificate facts, and every handshake failure said in words.

mod support;

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, date_time_ymd};
use runbook_engine::probe::{Certificate, ErrorKind, HttpClient, HttpSpec, ProxySetting};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use support::{assert_human, error_kind, get, observe};
use tempfile::NamedTempFile;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A CA made for one test.
struct Authority {
    params: CertificateParams,
    key: KeyPair,
}

impl Authority {
    fn new() -> Self {
        Self::named("Runbook Test CA")
    }

    fn named(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.distinguished_name.push(DnType::OrganizationName, "Runbook");
        Self { params, key: KeyPair::generate().unwrap() }
    }

    /// The CA's own certificate, as PEM in a file (for `tls.ca_file`).
    fn pem_file(&self) -> NamedTempFile {
        let mut file = NamedTempFile::new().unwrap();
        file.write_all(self.params.self_signed(&self.key).unwrap().pem().as_bytes()).unwrap();
        file
    }

    /// A server certificate for `names`, valid between the two dates.
    fn issue(&self, names: &[&str], valid: ((i32, u8, u8), (i32, u8, u8))) -> (CertificateDer<'static>, KeyPair) {
        let mut params = CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        let ((y1, m1, d1), (y2, m2, d2)) = valid;
        params.not_before = date_time_ymd(y1, m1, d1);
        params.not_after = date_time_ymd(y2, m2, d2);
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&self.params, &self.key);
        (params.signed_by(&key, &issuer).unwrap().der().clone(), key)
    }
}

const CURRENT: ((i32, u8, u8), (i32, u8, u8)) = ((2020, 1, 1), (2099, 1, 1));

/// An https server on 127.0.0.1 presenting `certificate`; it answers every
/// request `200 ok`. Returns its port.
async fn serve(certificate: CertificateDer<'static>, key: &KeyPair) -> u16 {
    serve_with(presenting(certificate, key)).await
}

/// A server's settings: no client certificate asked, `certificate` shown.
fn presenting(certificate: CertificateDer<'static>, key: &KeyPair) -> rustls::ServerConfig {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(vec![certificate], key).unwrap()
}

/// An https server on 127.0.0.1 with `config`; it answers every request
/// `200 ok`. Returns its port.
async fn serve_with(config: rustls::ServerConfig) -> u16 {
    serve_after(Duration::ZERO, config).await
}

/// An https server on 127.0.0.1 with `config` that lets `delay` pass after
/// each connection opened before it takes part in the handshake; it answers
/// every request `200 ok`. Returns its port.
async fn serve_after(delay: Duration, config: rustls::ServerConfig) -> u16 {
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let mut request = Vec::new();
                let mut buffer = [0; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn trusting(ca: &NamedTempFile, port: u16) -> HttpSpec {
    HttpSpec { ca_file: Some(ca.path().to_owned()), ..get(&format!("https://127.0.0.1:{port}/")) }
}

fn days_until(unix: u64) -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    (i64::try_from(unix).unwrap() - i64::try_from(now).unwrap()).div_euclid(86_400)
}

fn message(observation: &runbook_engine::probe::HttpObservation) -> &str {
    &observation.error.as_ref().expect("an error").message
}

#[tokio::test]
async fn a_trusted_ca_file_gives_the_certificate_facts() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1", "api.test"], CURRENT);
    let port = serve(certificate, &key).await;
    let before = days_until(4_070_908_800); // 2099-01-01T00:00:00Z
    let observation = observe(&trusting(&ca.pem_file(), port)).await;
    let after = days_until(4_070_908_800);
    assert_eq!(observation.error, None);
    assert_eq!(observation.status, Some(200));
    let tls = observation.tls.expect("certificate facts");
    assert_eq!(tls.issuer, "CN=Runbook Test CA, O=Runbook");
    assert_eq!(tls.subject, "CN=127.0.0.1");
    assert_eq!(tls.not_before, "2020-01-01T00:00:00Z");
    assert_eq!(tls.not_after, "2099-01-01T00:00:00Z");
    assert!(tls.days_left == before || tls.days_left == after, "{tls:?}");
    assert!(!observation.insecure);
}

/// A server slow to take part in the handshake: the wait is the TLS
/// phase's, not the connection's (TCP opened at once), and the first byte
/// is timed from the end of the handshake. Phases are lower bounds here,
/// but TCP on loopback is never half a second.
#[tokio::test]
async fn a_slow_handshake_is_timed_apart_from_opening_the_connection() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let port = serve_after(Duration::from_millis(500), presenting(certificate, &key)).await;
    let observation = observe(&trusting(&ca.pem_file(), port)).await;
    assert_eq!(observation.status, Some(200), "{observation:?}");
    let timing = observation.timing.expect("timed");
    assert!(timing.tls_ms.expect("a handshake") >= 500, "{timing:?}");
    assert!(timing.connect_ms.expect("a new connection") < 500, "{timing:?}");
    assert!(timing.first_byte_ms.is_some() && timing.dns_ms.is_none(), "{timing:?}");
    let text = timing.text().expect("phases");
    assert!(text.starts_with("connect ") && text.contains(", tls ") && text.contains(", first byte "), "{text}");
}

/// A timeout inside the handshake keeps the connection's phase and has no
/// handshake time (it never ended), and the error says where it stuck.
#[tokio::test]
async fn a_timeout_in_the_handshake_has_a_connection_but_no_tls_phase() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let port = serve_after(Duration::from_secs(30), presenting(certificate, &key)).await;
    let ca_file = ca.pem_file();
    let spec = HttpSpec { timeout: Duration::from_millis(400), ..trusting(&ca_file, port) };
    let observation = observe(&spec).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Timeout), "{observation:?}");
    let timing = observation.timing.expect("timed");
    assert!(timing.connect_ms.is_some(), "{timing:?}");
    assert_eq!((timing.tls_ms, timing.first_byte_ms), (None, None), "{timing:?}");
    let said = format!("no response from 127.0.0.1:{port} within 400ms: the tls handshake did not finish");
    assert_eq!(message(&observation), said);
}

/// `connect_timeout` covers the handshake (as curl's): when it runs out
/// there, with the connection open, the handshake is blamed, not "no
/// connection"; directly and through a proxy's tunnel.
#[tokio::test]
async fn a_connect_timeout_running_out_in_the_handshake_blames_the_handshake() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let port = serve_after(Duration::from_secs(30), presenting(certificate, &key)).await;
    let ca_file = ca.pem_file();
    let direct = HttpSpec {
        timeout: Duration::from_secs(20),
        connect_timeout: Some(Duration::from_millis(400)),
        ..trusting(&ca_file, port)
    };
    let observation = observe(&direct).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Timeout), "{observation:?}");
    let timing = observation.timing.expect("timed");
    assert_eq!((timing.connect_ms.is_some(), timing.tls_ms), (true, None), "{timing:?}");
    let said = format!("tls handshake with 127.0.0.1:{port} did not finish within the connect_timeout 400ms");
    assert_eq!(message(&observation), said);

    let (proxy, _) = tunnelling_proxy(usize::MAX).await;
    let tunnelled = HttpSpec { proxy: ProxySetting::Url(format!("http://127.0.0.1:{proxy}")), ..direct };
    let observation = observe(&tunnelled).await;
    let said = format!(
        "tls handshake with 127.0.0.1:{port} through proxy 127.0.0.1:{proxy} did not finish within the \
         connect_timeout 400ms"
    );
    assert_eq!(message(&observation), said, "{observation:?}");
}

#[tokio::test]
async fn a_private_ca_without_its_file_is_an_unknown_issuer() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let port = serve(certificate, &key).await;
    let observation = observe(&get(&format!("https://127.0.0.1:{port}/"))).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert_eq!(
        message(&observation),
        format!(
            "tls handshake with 127.0.0.1:{port} failed: the certificate is signed by an unknown authority \
             (self-signed, or a private CA: trust it with tls.ca_file)"
        )
    );
    assert_eq!(observation.tls, None);
}

#[tokio::test]
async fn an_expired_certificate_says_since_when() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], ((2000, 1, 1), (2001, 1, 1)));
    let port = serve(certificate, &key).await;
    let observation = observe(&trusting(&ca.pem_file(), port)).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert_eq!(
        message(&observation),
        format!(
            "tls handshake with 127.0.0.1:{port} failed: the certificate has expired \
             (it was valid until 2001-01-01T00:00:00Z)"
        )
    );
}

#[tokio::test]
async fn insecure_accepts_an_expired_certificate_and_counts_negative_days() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], ((2000, 1, 1), (2001, 1, 1)));
    let port = serve(certificate, &key).await;
    let observation = observe(&HttpSpec { insecure: true, ..get(&format!("https://127.0.0.1:{port}/")) }).await;
    assert_eq!(observation.error, None);
    assert_eq!(observation.status, Some(200));
    assert!(observation.insecure);
    let tls = observation.tls.expect("certificate facts");
    assert_eq!(tls.not_after, "2001-01-01T00:00:00Z");
    assert!(tls.days_left < -9000, "{tls:?}");
}

#[tokio::test]
async fn a_certificate_for_another_name_says_which_names_it_has() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["api.test"], CURRENT);
    let port = serve(certificate, &key).await;
    let observation = observe(&trusting(&ca.pem_file(), port)).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert_eq!(
        message(&observation),
        format!(
            "tls handshake with 127.0.0.1:{port} failed: the certificate is not valid for the host name `127.0.0.1` \
             (it is only valid for api.test)"
        )
    );
    assert_human(&observation);
}

#[tokio::test]
async fn a_ca_certificate_served_as_the_server_certificate_is_named() {
    let ca = Authority::new();
    let mut params = ca.params.clone();
    params.subject_alt_names = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().subject_alt_names;
    let certificate = params.self_signed(&ca.key).unwrap().der().clone();
    let ca_file = {
        let mut file = NamedTempFile::new().unwrap();
        file.write_all(params.self_signed(&ca.key).unwrap().pem().as_bytes()).unwrap();
        file
    };
    let port = serve(certificate, &ca.key).await;
    let observation = observe(&trusting(&ca_file, port)).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert_eq!(
        message(&observation),
        format!(
            "tls handshake with 127.0.0.1:{port} failed: the server presented a CA certificate (CA:TRUE, as \
             `openssl req -x509` makes by default) as its own certificate, which is refused even when tls.ca_file \
             holds it: give the server a certificate signed by that CA, or set tls.insecure"
        )
    );
}

#[tokio::test]
async fn a_ca_file_without_certificates_is_a_tls_error() {
    let mut file = NamedTempFile::new().unwrap();
    file.write_all(b"not a certificate\n").unwrap();
    let observation = observe(&trusting(&file, 9)).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert!(message(&observation).starts_with("no PEM certificate in CA file"), "{observation:?}");
}

#[test]
fn certificate_facts_are_plain_json() {
    let facts = Certificate {
        issuer: "CN=CA".into(),
        subject: "CN=api".into(),
        not_before: "2020-01-01T00:00:00Z".into(),
        not_after: "2099-01-01T00:00:00Z".into(),
        days_left: 3,
    };
    assert_eq!(
        serde_json::to_value(&facts).unwrap(),
        serde_json::json!({
            "issuer": "CN=CA", "subject": "CN=api", "not_before": "2020-01-01T00:00:00Z",
            "not_after": "2099-01-01T00:00:00Z", "days_left": 3
        })
    );
}

/// A `tls.ca_file` that is a FIFO (or a device, `/dev/stdin`) would block
/// the probe forever, past its timeout and Ctrl-C: it is refused at once.
#[test]
fn a_ca_file_that_is_a_fifo_is_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("ca.pem");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (sender, receiver) = std::sync::mpsc::channel();
    let spec = HttpSpec { ca_file: Some(fifo), ..get("https://127.0.0.1:9/") };
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        sender.send(runtime.block_on(observe(&spec))).unwrap();
    });
    let observation = receiver.recv_timeout(std::time::Duration::from_secs(20)).expect("the probe hung on the FIFO");
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert!(message(&observation).ends_with("is a FIFO or socket, not a regular file"), "{observation:?}");
}

/// An http URL through an https proxy: the certificate on the connection is
/// the proxy's, so it is no fact of the target; when it fails the check,
/// the proxy is blamed.
#[tokio::test]
async fn an_https_proxy_certificate_is_never_the_targets() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let proxy = serve(certificate, &key).await;
    let through = |ca_file: Option<&NamedTempFile>| HttpSpec {
        proxy: ProxySetting::Url(format!("https://127.0.0.1:{proxy}")),
        ca_file: ca_file.map(|file| file.path().to_owned()),
        ..get("http://127.0.0.1:9/")
    };
    let ca_file = ca.pem_file();
    let observation = observe(&through(Some(&ca_file))).await;
    assert_eq!(observation.status, Some(200), "{observation:?}");
    assert_eq!(observation.tls, None, "the proxy's certificate taken for the target's");

    let observation = observe(&through(None)).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    let blame = format!("tls handshake with proxy 127.0.0.1:{proxy} (for 127.0.0.1:9) failed: ");
    assert!(message(&observation).starts_with(&blame), "{observation:?}");
}

/// An https server on 127.0.0.1 that asks every client for a certificate
/// signed by `ca` and refuses one without. Returns its port.
async fn serve_requiring_a_client_certificate(
    ca: &Authority,
    certificate: CertificateDer<'static>,
    key: &KeyPair,
) -> u16 {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.params.self_signed(&ca.key).unwrap().der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots)).build().unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    serve_with(
        rustls::ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![certificate], key)
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_server_requiring_a_client_certificate_says_so() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let port = serve_requiring_a_client_certificate(&ca, certificate, &key).await;
    let observation = observe(&trusting(&ca.pem_file(), port)).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert!(
        message(&observation).ends_with("the server requires a client certificate, which runbook does not send"),
        "{observation:?}"
    );
}

#[tokio::test]
async fn a_server_closing_during_the_handshake_says_so() {
    let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            // Reads the client's hello, then closes without a word.
            let _ = stream.read(&mut [0; 4096]).await;
            let _ = stream.shutdown().await;
        }
    });
    let observation = observe(&get(&format!("https://127.0.0.1:{port}/"))).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert_eq!(
        message(&observation),
        format!("tls handshake with 127.0.0.1:{port} failed: the server closed the connection during the handshake")
    );
}

#[tokio::test]
async fn a_self_signed_server_certificate_says_so_with_or_without_a_ca_file() {
    // As dsl.md advises making one: `basicConstraints=critical,CA:FALSE`.
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    params.is_ca = IsCa::ExplicitNoCa;
    let key = KeyPair::generate().unwrap();
    let certificate = params.self_signed(&key).unwrap().der().clone();
    let port = serve(certificate, &key).await;
    let said = format!(
        "tls handshake with 127.0.0.1:{port} failed: the certificate is self-signed and not trusted: give that \
         certificate as tls.ca_file"
    );
    let observation = observe(&get(&format!("https://127.0.0.1:{port}/"))).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert_eq!(message(&observation), said);
    let unrelated = Authority::new().pem_file();
    let observation = observe(&trusting(&unrelated, port)).await;
    assert_eq!(message(&observation), said);
}

#[tokio::test]
async fn a_certificate_with_many_names_lists_a_few_and_counts_the_rest() {
    let ca = Authority::new();
    let names: Vec<String> = (0..40).map(|n| format!("n{n}.test")).collect();
    let (certificate, key) = ca.issue(&names.iter().map(String::as_str).collect::<Vec<_>>(), CURRENT);
    let port = serve(certificate, &key).await;
    let observation = observe(&trusting(&ca.pem_file(), port)).await;
    assert_eq!(
        message(&observation),
        format!(
            "tls handshake with 127.0.0.1:{port} failed: the certificate is not valid for the host name `127.0.0.1` \
             (it is only valid for n0.test, n1.test, n2.test, n3.test, n4.test and 35 more)"
        )
    );
}

#[tokio::test]
async fn an_unknown_authority_with_a_ca_file_points_at_a_missing_intermediate() {
    let (ca, other) = (Authority::new(), Authority::named("Another CA"));
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let port = serve(certificate, &key).await;
    let observation = observe(&trusting(&other.pem_file(), port)).await;
    assert_eq!(
        message(&observation),
        format!(
            "tls handshake with 127.0.0.1:{port} failed: the certificate is signed by an authority that is neither \
             in tls.ca_file nor sent by the server (is the server missing its intermediate certificate?)"
        )
    );
}

/// A CA file holding a CA of the same name as the issuer, but another key
/// (a CA made again): the signature does not verify, and the words say why.
#[tokio::test]
async fn a_ca_file_with_another_ca_of_the_same_name_says_so() {
    let (ca, again) = (Authority::new(), Authority::new());
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let port = serve(certificate, &key).await;
    let observation = observe(&trusting(&again.pem_file(), port)).await;
    assert_eq!(
        message(&observation),
        format!(
            "tls handshake with 127.0.0.1:{port} failed: the certificate's signature does not verify with the CA \
             of that name in tls.ca_file (was the CA made again with a new key?)"
        )
    );
}

/// A forward proxy on 127.0.0.1 that opens real `CONNECT` tunnels (to
/// 127.0.0.1 only) and counts them; a tunnel after the first `open` ones is
/// answered 200 but carries nothing (a proxy or service that stalls it).
/// Returns its port and the count.
async fn tunnelling_proxy(open: usize) -> (u16, Arc<AtomicUsize>) {
    tunnelling_proxy_over(None, open).await
}

/// Either side of a proxy's client connection: TCP, or TLS over it.
trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Stream for S {}

/// [`tunnelling_proxy`], speaking TLS with its clients when `tls` is given
/// (an `https://` proxy).
async fn tunnelling_proxy_over(tls: Option<TlsAcceptor>, open: usize) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let tunnels = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&tunnels);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (counted, tls) = (Arc::clone(&counted), tls.clone());
            tokio::spawn(async move {
                let mut client: Box<dyn Stream> = match tls {
                    None => Box::new(client),
                    Some(tls) => match tls.accept(client).await {
                        Ok(client) => Box::new(client),
                        Err(_) => return,
                    },
                };
                let mut head = Vec::new();
                let mut byte = [0; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let Some(authority) = head.strip_prefix("CONNECT ").and_then(|rest| rest.split(' ').next()) else {
                    return;
                };
                let Some(port) = authority.rsplit_once(':').and_then(|(_, port)| port.parse::<u16>().ok()) else {
                    return;
                };
                let Ok(mut service) = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await else { return };
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
                if counted.fetch_add(1, Ordering::SeqCst) >= open {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut service).await;
            });
        }
    });
    (port, tunnels)
}

/// Through a `CONNECT` tunnel the HTTP client keeps no certificate on the
/// connection: the facts are those the client's own handshake checked, in
/// the one tunnel the probe opens. A second tunnel would stall here and turn
/// the complete answer into a timeout.
#[tokio::test]
async fn a_probe_through_a_connect_proxy_opens_one_tunnel_and_has_its_certificate() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let port = serve(certificate, &key).await;
    let (proxy, tunnels) = tunnelling_proxy(1).await;
    let ca_file = ca.pem_file();
    let spec = HttpSpec {
        proxy: ProxySetting::Url(format!("http://127.0.0.1:{proxy}")),
        timeout: Duration::from_secs(3),
        ..trusting(&ca_file, port)
    };
    let observation = observe(&spec).await;
    assert_eq!((observation.status, &observation.error), (Some(200), &None), "{observation:?}");
    assert_eq!(observation.proxy, Some(format!("http://127.0.0.1:{proxy}")));
    let tls = observation.tls.expect("certificate facts through the tunnel");
    assert_eq!((tls.issuer.as_str(), tls.subject.as_str()), ("CN=Runbook Test CA, O=Runbook", "CN=127.0.0.1"));
    assert_eq!(tls.not_after, "2099-01-01T00:00:00Z");
    assert_eq!(tunnels.load(Ordering::SeqCst), 1, "tunnels opened");
}

/// Picks the next of its certificates for each handshake.
#[derive(Debug)]
struct InTurn {
    keys: Vec<Arc<rustls::sign::CertifiedKey>>,
    next: AtomicUsize,
}

impl rustls::server::ResolvesServerCert for InTurn {
    fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(Arc::clone(&self.keys[self.next.fetch_add(1, Ordering::SeqCst) % self.keys.len()]))
    }
}

/// Two probes of a run through a proxy, to a service that presents another
/// certificate on its second connection (and resumes no session): each
/// probe has the certificate of its own connection, one tunnel each.
#[tokio::test]
async fn each_probe_through_a_proxy_has_the_certificate_its_own_connection_presented() {
    let ca = Authority::new();
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let keys = [CURRENT, ((2020, 1, 1), (2098, 6, 1))]
        .into_iter()
        .map(|valid| {
            let (certificate, key) = ca.issue(&["127.0.0.1"], valid);
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
            Arc::new(rustls::sign::CertifiedKey::from_der(vec![certificate], key, &provider).unwrap())
        })
        .collect();
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(InTurn { keys, next: AtomicUsize::new(0) }));
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    let port = serve_with(config).await;
    let (proxy, tunnels) = tunnelling_proxy(usize::MAX).await;
    let ca_file = ca.pem_file();
    let spec = HttpSpec { proxy: ProxySetting::Url(format!("http://127.0.0.1:{proxy}")), ..trusting(&ca_file, port) };
    let mut not_after = Vec::new();
    for _ in 0..2 {
        let observation = observe(&spec).await;
        assert_eq!(observation.status, Some(200), "{observation:?}");
        not_after.push(observation.tls.expect("certificate facts through the tunnel").not_after);
    }
    assert_eq!(not_after, ["2099-01-01T00:00:00Z", "2098-06-01T00:00:00Z"]);
    assert_eq!(tunnels.load(Ordering::SeqCst), 2, "tunnels opened");
}

/// Through an `https://` proxy the request's tunnel runs inside TLS to the
/// proxy: the facts are the service's certificate, not the proxy's.
#[tokio::test]
async fn through_an_https_proxy_the_facts_are_the_services_certificate() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["localhost"], CURRENT);
    let port = serve(certificate, &key).await;
    let (certificate, key) = ca.issue(&["127.0.0.1"], ((2020, 1, 1), (2097, 1, 1)));
    let acceptor = TlsAcceptor::from(Arc::new(presenting(certificate, &key)));
    let (proxy, tunnels) = tunnelling_proxy_over(Some(acceptor), 1).await;
    let ca_file = ca.pem_file();
    let spec = HttpSpec {
        proxy: ProxySetting::Url(format!("https://127.0.0.1:{proxy}")),
        ca_file: Some(ca_file.path().to_owned()),
        timeout: Duration::from_secs(3),
        ..get(&format!("https://localhost:{port}/"))
    };
    let observation = observe(&spec).await;
    assert_eq!((observation.status, &observation.error), (Some(200), &None), "{observation:?}");
    let tls = observation.tls.expect("the service's certificate facts");
    assert_eq!((tls.subject.as_str(), tls.not_after.as_str()), ("CN=localhost", "2099-01-01T00:00:00Z"));
    assert_eq!(tunnels.load(Ordering::SeqCst), 1, "tunnels opened");
}

/// An https server on 127.0.0.1 with `config` that keeps each connection
/// open for more requests, answering each `200 ok`. Returns its port.
async fn serve_kept_alive(config: rustls::ServerConfig) -> u16 {
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let mut request = Vec::new();
                let mut buffer = [0; 1024];
                loop {
                    while !request.ends_with(b"\r\n\r\n") {
                        match tls.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    request.clear();
                    if tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// An https server on 127.0.0.1 with `config` that closes each connection
/// after one answer and counts the handshakes that resumed a session.
/// Returns its port and the count.
async fn serve_counting_resumptions(config: rustls::ServerConfig) -> (u16, Arc<AtomicUsize>) {
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let resumed = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&resumed);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, counted) = (acceptor.clone(), Arc::clone(&counted));
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                if tls.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                let mut request = Vec::new();
                let mut buffer = [0; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, resumed)
}

/// The `not_after` of each of `urls` probed in turn through `proxy` with one
/// client, as a run's probes share it; a pause after each answer lets the
/// connection go back to the client's pool.
async fn not_after_in_turn(proxy: &ProxySetting, ca_file: &NamedTempFile, urls: &[String]) -> Vec<String> {
    let client = HttpClient::new();
    let mut not_after = Vec::new();
    for url in urls {
        let spec = HttpSpec {
            proxy: proxy.clone(),
            ca_file: Some(ca_file.path().to_owned()),
            timeout: Duration::from_secs(5),
            client: client.clone(),
            ..get(url)
        };
        let observation = observe(&spec).await;
        assert_eq!((observation.status, &observation.error), (Some(200), &None), "{url}: {observation:?}");
        not_after.push(observation.tls.expect("certificate facts").not_after);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    not_after
}

/// Two services on two ports of one host name, each with its certificate:
/// a probe of the first, one of the second, the first again (attack4 H1).
/// The third goes over the first's kept-alive connection (through a proxy,
/// its tunnel: two tunnels for three probes) and has the certificate that
/// connection began with, not the one the second port presented last under
/// the same name; direct too.
#[tokio::test]
async fn a_kept_alive_connection_has_its_own_certificate_not_another_ports_of_the_same_host() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["localhost"], CURRENT);
    let first = serve_kept_alive(presenting(certificate, &key)).await;
    let (certificate, key) = ca.issue(&["localhost"], ((2020, 1, 1), (2097, 1, 1)));
    let second = serve_kept_alive(presenting(certificate, &key)).await;
    let urls = [first, second, first].map(|port| format!("https://localhost:{port}/health"));
    let ca_file = ca.pem_file();
    let expected = ["2099-01-01T00:00:00Z", "2097-01-01T00:00:00Z", "2099-01-01T00:00:00Z"];

    let (proxy, tunnels) = tunnelling_proxy(usize::MAX).await;
    let through = ProxySetting::Url(format!("http://127.0.0.1:{proxy}"));
    assert_eq!(not_after_in_turn(&through, &ca_file, &urls).await, expected, "through a proxy");
    assert_eq!(tunnels.load(Ordering::SeqCst), 2, "the third probe reuses the first one's tunnel");

    assert_eq!(not_after_in_turn(&ProxySetting::Direct, &ca_file, &urls).await, expected, "direct");
}

/// The same through an `https://` proxy at the first service's address: the
/// second probe's handshake with the proxy shows the proxy's certificate for
/// that address, which is never the first service's on its kept-alive
/// tunnel.
#[tokio::test]
async fn a_kept_alive_tunnel_through_an_https_proxy_never_has_the_proxys_certificate() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let first = serve_kept_alive(presenting(certificate, &key)).await;
    let (certificate, key) = ca.issue(&["localhost"], ((2020, 1, 1), (2097, 1, 1)));
    let second = serve_kept_alive(presenting(certificate, &key)).await;
    let (certificate, key) = ca.issue(&["127.0.0.1"], ((2020, 1, 1), (2096, 1, 1)));
    let acceptor = TlsAcceptor::from(Arc::new(presenting(certificate, &key)));
    let (proxy, tunnels) = tunnelling_proxy_over(Some(acceptor), usize::MAX).await;
    let urls = [
        format!("https://127.0.0.1:{first}/health"),
        format!("https://localhost:{second}/health"),
        format!("https://127.0.0.1:{first}/health"),
    ];
    let through = ProxySetting::Url(format!("https://127.0.0.1:{proxy}"));
    let not_after = not_after_in_turn(&through, &ca.pem_file(), &urls).await;
    assert_eq!(not_after, ["2099-01-01T00:00:00Z", "2097-01-01T00:00:00Z", "2099-01-01T00:00:00Z"]);
    assert_eq!(tunnels.load(Ordering::SeqCst), 2, "the third probe reuses the first one's tunnel");
}

/// Services that close each connection: the first issues session tickets,
/// the second none. No session is resumed, directly or through a proxy:
/// each handshake is a full one and shows the certificate its own port
/// presents now, never one a session began with elsewhere or earlier
/// (review-12-attack4 H1, attack5 N-H1).
#[tokio::test]
async fn no_session_is_resumed_so_no_probe_has_another_ports_certificate() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["localhost"], CURRENT);
    let (first, resumed) = serve_counting_resumptions(presenting(certificate, &key)).await;
    let (certificate, key) = ca.issue(&["localhost"], ((2020, 1, 1), (2097, 1, 1)));
    let mut config = presenting(certificate, &key);
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    let second = serve_with(config).await;
    let urls = [first, second, first].map(|port| format!("https://localhost:{port}/health"));
    let ca_file = ca.pem_file();
    let expected = ["2099-01-01T00:00:00Z", "2097-01-01T00:00:00Z", "2099-01-01T00:00:00Z"];

    assert_eq!(not_after_in_turn(&ProxySetting::Direct, &ca_file, &urls).await, expected, "direct");
    assert_eq!(resumed.load(Ordering::SeqCst), 0, "directly, no session is resumed");

    let (proxy, tunnels) = tunnelling_proxy(usize::MAX).await;
    let through = ProxySetting::Url(format!("http://127.0.0.1:{proxy}"));
    assert_eq!(not_after_in_turn(&through, &ca_file, &urls).await, expected, "through a proxy");
    assert_eq!(resumed.load(Ordering::SeqCst), 0, "through a proxy, no session is resumed");
    assert_eq!(tunnels.load(Ordering::SeqCst), 3, "one tunnel each");
}

/// A listener on 127.0.0.1 that speaks plain HTTP on every connection: it
/// reads what the client sends and answers `400 Bad Request` (an http
/// proxy's port given as `https://`). Returns its port.
async fn plain_http_listener() -> u16 {
    let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0; 1024];
                let _ = stream.read(&mut buffer).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}

/// An https service through an `https://` proxy whose own handshake fails
/// (its certificate not trusted, or no TLS on its port): the proxy is
/// blamed, at its address and with why, never the service behind it
/// (review-12-attack5 N-M1). The service is real and trusted, and is never
/// reached.
#[tokio::test]
async fn a_failed_handshake_with_an_https_proxy_blames_the_proxy_not_the_service() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let service = serve(certificate, &key).await;
    let ca_file = ca.pem_file();
    let (certificate, key) = Authority::named("Another CA").issue(&["127.0.0.1"], CURRENT);
    let acceptor = TlsAcceptor::from(Arc::new(presenting(certificate, &key)));
    let (untrusted, tunnels) = tunnelling_proxy_over(Some(acceptor), usize::MAX).await;
    let plain = plain_http_listener().await;
    // One that closes each connection as it takes it: a reset or an end
    // of file, whichever comes first.
    let closing = TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await.unwrap();
    let closed = closing.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = closing.accept().await {
            drop(stream);
        }
    });
    for (proxy, why) in [
        (untrusted, "the certificate is signed by an authority that is neither in tls.ca_file nor sent by the server"),
        (plain, "the server did not answer in TLS (is it plain http on this port?)"),
        (closed, ""),
    ] {
        let spec = HttpSpec {
            proxy: ProxySetting::Url(format!("https://127.0.0.1:{proxy}")),
            timeout: Duration::from_secs(5),
            ..trusting(&ca_file, service)
        };
        let observation = observe(&spec).await;
        assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
        assert_human(&observation);
        let blame = format!("tls handshake with proxy 127.0.0.1:{proxy} (for 127.0.0.1:{service}) failed: {why}");
        assert!(message(&observation).starts_with(&blame), "{blame}\n{observation:?}");
        assert_eq!(observation.proxy, Some(format!("https://127.0.0.1:{proxy}")));
    }
    assert_eq!(tunnels.load(Ordering::SeqCst), 0, "a tunnel was opened through an untrusted proxy");
}

/// The same with an `https://` proxy that takes the connection and never
/// begins its handshake: the proxy's handshake is what did not finish,
/// within the `connect_timeout` or the probe's `timeout`.
#[tokio::test]
async fn a_stalled_handshake_with_an_https_proxy_blames_the_proxy_not_the_service() {
    let ca = Authority::new();
    let (certificate, key) = ca.issue(&["127.0.0.1"], CURRENT);
    let service = serve(certificate, &key).await;
    let ca_file = ca.pem_file();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = listener.local_addr().unwrap().port();
    let through = HttpSpec {
        proxy: ProxySetting::Url(format!("https://127.0.0.1:{proxy}")),
        timeout: Duration::from_millis(600),
        ..trusting(&ca_file, service)
    };
    let observation = observe(&HttpSpec { connect_timeout: Some(Duration::from_millis(300)), ..through.clone() }).await;
    let said = format!(
        "tls handshake with proxy 127.0.0.1:{proxy} (for 127.0.0.1:{service}) did not finish within the \
         connect_timeout 300ms"
    );
    assert_eq!(message(&observation), said, "{observation:?}");
    let observation = observe(&through).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Timeout), "{observation:?}");
    let said = format!(
        "no response from 127.0.0.1:{service} through proxy 127.0.0.1:{proxy} within 600ms: the tls handshake \
         with proxy 127.0.0.1:{proxy} did not finish"
    );
    assert_eq!(message(&observation), said, "{observation:?}");
    drop(listener);
}
