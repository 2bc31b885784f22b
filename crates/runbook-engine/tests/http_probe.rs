//! The `http` probe against real servers on loopback: a small HTTP/1.1
//! server on std threads, written here so that each test controls exactly
//! what goes on the wire (slow bodies, resets, silence). No assertion
//! depends on how long anything takes.

#[path = "../../../tests/support/http_server.rs"]
mod http_server;
mod support;

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Duration;

use http_server::{Server, Then, respond, stay_silent};
use support::{assert_human, error_kind, get, observe, observe_with};

use runbook_engine::probe::{ErrorKind, HttpClient, HttpSpec, Limits, ProxySetting, SecretParts};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn ok_with_json_body_and_headers() {
    let server = Server::start(|_, stream| {
        respond(stream, "200 OK", &[("Content-Type", "application/json"), ("X-Served-By", "a")], br#"{"ok":true}"#)
    });
    let observation = observe(&get(&server.url("/healthz"))).await;
    assert_eq!(observation.error, None);
    assert_eq!(observation.status, Some(200));
    assert_eq!(observation.body.text(), r#"{"ok":true}"#);
    assert!(observation.body.is_complete());
    assert_eq!(observation.final_url, Some(server.url("/healthz")));
    assert!(!observation.insecure);
    let names: Vec<&str> = observation.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["content-length", "content-type", "x-served-by"]);
    assert!(observation.headers.contains(&("x-served-by".into(), "a".into())));
}

#[tokio::test]
async fn an_error_status_is_an_observation_not_an_error() {
    let server =
        Server::start(|_, stream| respond(stream, "503 Service Unavailable", &[], br#"{"status":"unavailable"}"#));
    let observation = observe(&get(&server.url("/readyz"))).await;
    assert_eq!(observation.error, None);
    assert_eq!(observation.status, Some(503));
    assert_eq!(observation.body.text(), r#"{"status":"unavailable"}"#);
}

fn redirecting_server() -> Server {
    Server::start(|request, stream| match request.path.as_str() {
        "/old" => respond(stream, "302 Found", &[("Location", "/new")], b""),
        "/loop" => respond(stream, "302 Found", &[("Location", "/loop")], b""),
        _ => respond(stream, "200 OK", &[], b"new"),
    })
}

#[tokio::test]
async fn redirects_are_followed_to_the_final_url() {
    let server = redirecting_server();
    let observation = observe(&get(&server.url("/old"))).await;
    assert_eq!(observation.error, None);
    assert_eq!(observation.status, Some(200));
    assert_eq!(observation.final_url, Some(server.url("/new")));
    assert_eq!(observation.body.text(), "new");
}

#[tokio::test]
async fn redirects_are_reported_when_not_followed() {
    let server = redirecting_server();
    let observation = observe(&HttpSpec { follow_redirects: false, ..get(&server.url("/old")) }).await;
    assert_eq!(observation.error, None);
    assert_eq!(observation.status, Some(302));
    assert_eq!(observation.final_url, Some(server.url("/old")));
    assert!(observation.headers.contains(&("location".into(), "/new".into())));
}

#[tokio::test]
async fn a_redirect_to_another_origin_carries_no_credentials() {
    let elsewhere = Server::start(|_, stream| respond(stream, "200 OK", &[], b"elsewhere"));
    let target = elsewhere.url("/landing");
    let origin = Server::start(move |request, stream| match request.path.as_str() {
        "/same" => respond(stream, "307 Temporary Redirect", &[("Location", "/away")], b""),
        _ => respond(stream, "302 Found", &[("Location", target.as_str())], b""),
    });
    let headers = [("X-Api-Key", "key-canary"), ("Authorization", "Token t-canary"), ("Cookie", "s=c-canary")];
    let spec = HttpSpec {
        headers: headers
            .iter()
            .chain(&[("Accept", "application/json")])
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect(),
        ..get(&origin.url("/same"))
    };
    let observation = observe(&spec).await;
    assert_eq!((observation.status, observation.body.text()), (Some(200), "elsewhere".to_owned()));
    let at_origin = origin.requests();
    assert_eq!(at_origin.len(), 2, "the same-origin hop keeps everything");
    assert!(at_origin.iter().all(|r| r.header("x-api-key") == Some("key-canary")), "{at_origin:?}");
    let away = &elsewhere.requests()[0];
    for (name, _) in headers {
        assert_eq!(away.header(&name.to_ascii_lowercase()), None, "{name} crossed to another origin: {away:?}");
    }
    assert_eq!(away.header("accept"), Some("application/json"));
}

/// A header holding a secret never crosses to another origin, whatever its
/// name (`User-Agent` is otherwise kept); a body holding one is not sent
/// there again by a 307: that redirect is the answer.
#[tokio::test]
async fn a_secret_in_a_kept_header_or_the_body_never_crosses_to_another_origin() {
    let elsewhere = Server::start(|_, stream| respond(stream, "200 OK", &[], b"elsewhere"));
    let target = elsewhere.url("/landing");
    let origin = Server::start(move |request, stream| {
        let status = if request.method == "POST" { "307 Temporary Redirect" } else { "302 Found" };
        respond(stream, status, &[("Location", target.as_str())], b"")
    });
    let headers = vec![("User-Agent".into(), "app/ua-canary".into()), ("Accept".into(), "text/plain".into())];
    let secret_parts = SecretParts { headers: vec!["user-agent".into()], body: false };
    let spec = HttpSpec { headers, secret_parts, ..get(&origin.url("/hop")) };
    assert_eq!(observe(&spec).await.status, Some(200));
    let away = &elsewhere.requests()[0];
    assert_ne!(away.header("user-agent"), Some("app/ua-canary"), "{away:?}");
    assert_eq!(away.header("accept"), Some("text/plain"));
    let post = HttpSpec {
        method: "POST".into(),
        body: Some(br#"{"password":"body-canary"}"#.to_vec()),
        secret_parts: SecretParts { headers: Vec::new(), body: true },
        ..get(&origin.url("/post"))
    };
    let observation = observe(&post).await;
    assert_eq!(observation.status, Some(307), "{observation:?}");
    assert_eq!(elsewhere.requests().len(), 1, "the body was sent to another origin");
    let plain = HttpSpec { body: Some(b"{}".to_vec()), secret_parts: SecretParts::default(), ..post };
    assert_eq!(observe(&plain).await.status, Some(200));
}

#[tokio::test]
async fn a_failure_after_a_redirect_names_the_host_that_failed() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let location = format!("http://127.0.0.1:{closed}/gone");
    let server =
        Server::start(move |_, stream| respond(stream, "301 Moved Permanently", &[("Location", &location)], b""));
    let observation = observe(&get(&server.url("/"))).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Refused), "{observation:?}");
    assert_eq!(observation.error.unwrap().message, format!("connection refused by 127.0.0.1:{closed}"));
}

#[tokio::test]
async fn a_redirect_loop_is_too_many_redirects() {
    let server = redirecting_server();
    let observation = observe(&get(&server.url("/loop"))).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::TooManyRedirects), "{observation:?}");
    assert_eq!(observation.status, None);
    assert_human(&observation);
    // The first request and ten redirects.
    assert_eq!(server.requests().len(), 11);
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let observation = observe(&get(&format!("http://127.0.0.1:{port}/"))).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Refused), "{observation:?}");
    assert_eq!(observation.error.as_ref().unwrap().message, format!("connection refused by 127.0.0.1:{port}"));
    // Nothing opened: no `connect 0ms` beside the refusal.
    assert_eq!(observation.timing.and_then(|timing| timing.connect_ms), None);
}

#[tokio::test]
async fn an_unresolvable_host_is_a_dns_error() {
    let observation = observe(&get("http://no-such-host.invalid/")).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Dns), "{observation:?}");
    assert_eq!(observation.error.as_ref().unwrap().message, "cannot resolve `no-such-host.invalid`");
}

#[tokio::test]
async fn bad_urls_are_invalid_targets() {
    for url in ["not a url", "ftp://127.0.0.1/file", "http://"] {
        let observation = observe(&get(url)).await;
        assert_eq!(error_kind(&observation), Some(ErrorKind::InvalidTarget), "{url}: {observation:?}");
        assert_human(&observation);
    }
    let observation = observe(&HttpSpec { method: "GE T".into(), ..get("http://127.0.0.1:9/") }).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::InvalidTarget), "{observation:?}");
}

#[tokio::test]
async fn tls_to_a_plain_http_server_is_a_tls_error() {
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b"plain"));
    let url = format!("https://127.0.0.1:{}/", server.port);
    let observation = observe(&HttpSpec { insecure: true, ..get(&url) }).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert!(observation.insecure);
    assert_human(&observation);
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let server = Server::start(|_, stream| stay_silent(stream));
    let spec = HttpSpec { timeout: Duration::from_millis(300), ..get(&server.url("/")) };
    let observation = observe(&spec).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Timeout), "{observation:?}");
    assert_eq!(observation.status, None);
    assert_eq!(observation.error.unwrap().message, format!("no response from 127.0.0.1:{} within 300ms", server.port));
}

#[tokio::test]
async fn a_slow_body_is_cut_by_the_timeout() {
    let server = Server::start(|_, stream| {
        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\nfirst bytes;")?;
        // A byte every 50ms: the 100 000 promised would take over an hour.
        for _ in 0..2000 {
            thread::sleep(Duration::from_millis(50));
            stream.write_all(b".")?;
        }
        Ok(Then::Close)
    });
    let spec = HttpSpec { timeout: Duration::from_millis(300), ..get(&server.url("/slow")) };
    let observation = observe(&spec).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Timeout), "{observation:?}");
    assert_eq!(observation.status, Some(200));
    assert!(observation.body.text().starts_with("first bytes;"), "{:?}", observation.body.text());
    assert!(observation.body.total_bytes < 100_000);
    assert!(observation.error.unwrap().message.contains("not complete within 300ms"));
}

#[tokio::test]
async fn a_connection_closed_mid_body_is_a_reset() {
    let server = Server::start(|_, stream| {
        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nonly ten b")?;
        Ok(Then::Close)
    });
    let observation = observe(&get(&server.url("/"))).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Reset), "{observation:?}");
    assert_eq!(observation.status, Some(200));
    assert_eq!(observation.body.text(), "only ten b");
    assert_human(&observation);
}

/// 1 GiB through loopback: the full size the probe must survive (about a
/// second in a debug build on two slow cores).
const HUGE_BODY: u64 = 1 << 30;

#[tokio::test]
async fn a_huge_body_is_captured_within_the_cap_and_counted() {
    // Byte i of the body is i % 251; a chunk a multiple of 251 long repeats
    // the pattern seamlessly, so the body is never held whole.
    let chunk: Arc<Vec<u8>> = Arc::new((0..251 * 256).map(|i| u8::try_from(i % 251).unwrap()).collect());
    let pattern = Arc::clone(&chunk);
    let server = Server::start(move |_, stream| {
        stream.write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: {HUGE_BODY}\r\n\r\n").as_bytes())?;
        let mut left = HUGE_BODY;
        while left > 0 {
            let n = usize::try_from(left.min(pattern.len() as u64)).unwrap();
            stream.write_all(&pattern[..n])?;
            left -= n as u64;
        }
        Ok(Then::Close)
    });
    let limits = Limits { max_capture_bytes: 64 * 1024, ..Limits::default() };
    let spec = HttpSpec { timeout: Duration::from_secs(600), ..get(&server.url("/huge")) };
    let observation = observe_with(&spec, &limits, &CancellationToken::new()).await;
    assert_eq!(observation.error, None);
    let body = &observation.body;
    assert_eq!(body.total_bytes, HUGE_BODY);
    assert_eq!((body.head.len(), body.tail.len()), (32 * 1024, 32 * 1024));
    assert_eq!(body.dropped_bytes, HUGE_BODY - 64 * 1024);
    assert_eq!(body.head, chunk[..32 * 1024]);
    let tail_start = HUGE_BODY - 32 * 1024;
    let expected_tail: Vec<u8> = (tail_start..HUGE_BODY).map(|i| u8::try_from(i % 251).unwrap()).collect();
    assert_eq!(body.tail, expected_tail);
}

#[tokio::test]
async fn request_headers_and_json_body_reach_the_server() {
    let server = Server::start(|_, stream| respond(stream, "201 Created", &[], b""));
    let spec = HttpSpec {
        method: "POST".into(),
        headers: vec![("X-Trace".into(), "abc".into()), ("x-multi".into(), "1".into()), ("X-Multi".into(), "2".into())],
        body: Some(br#"{"restart":true}"#.to_vec()),
        json_body: true,
        ..get(&server.url("/actions"))
    };
    let observation = observe(&spec).await;
    assert_eq!(observation.status, Some(201), "{observation:?}");
    let request = &server.requests()[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/actions"));
    assert_eq!(request.header("x-trace"), Some("abc"));
    let multi: Vec<&str> = request.headers.iter().filter(|(n, _)| n == "x-multi").map(|(_, v)| v.as_str()).collect();
    assert_eq!(multi, ["1", "2"]);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body, br#"{"restart":true}"#);
}

#[tokio::test]
async fn an_explicit_content_type_is_kept() {
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b""));
    let spec = HttpSpec {
        method: "PUT".into(),
        headers: vec![("Content-Type".into(), "application/merge-patch+json".into())],
        body: Some(b"{}".to_vec()),
        json_body: true,
        ..get(&server.url("/"))
    };
    observe(&spec).await;
    let request = &server.requests()[0];
    let types: Vec<&str> =
        request.headers.iter().filter(|(n, _)| n == "content-type").map(|(_, v)| v.as_str()).collect();
    assert_eq!(types, ["application/merge-patch+json"]);
}

#[tokio::test]
async fn cancelling_interrupts_the_probe() {
    let server = Server::start(|_, stream| stay_silent(stream));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        trigger.cancel();
    });
    let spec = HttpSpec { timeout: Duration::from_secs(600), ..get(&server.url("/")) };
    let observation = observe_with(&spec, &Limits::default(), &cancel).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Interrupted), "{observation:?}");
}

#[tokio::test]
async fn one_client_reuses_its_connection() {
    let server = Server::start(|request, stream| respond(stream, "200 OK", &[], request.path.as_bytes()));
    let client = HttpClient::new();
    let first = HttpSpec { client: client.clone(), ..get(&server.url("/one")) };
    let second = HttpSpec { client: client.clone(), ..get(&server.url("/two")) };
    assert_eq!(observe(&first).await.body.text(), "/one");
    assert_eq!(observe(&second).await.body.text(), "/two");
    assert_eq!(server.requests().len(), 2);
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn different_client_settings_use_different_connections() {
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b"ok"));
    let client = HttpClient::new();
    observe(&HttpSpec { client: client.clone(), ..get(&server.url("/")) }).await;
    observe(&HttpSpec { client: client.clone(), follow_redirects: false, ..get(&server.url("/")) }).await;
    assert_eq!(server.connections.load(Ordering::SeqCst), 1, "redirects are followed by the probe, not the client");
    let connect_timeout = Some(Duration::from_secs(3));
    observe(&HttpSpec { client: client.clone(), connect_timeout, ..get(&server.url("/")) }).await;
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
    assert_eq!(format!("{client:?}"), "HttpClient { built: 2, .. }");
}

/// A forwarding proxy on loopback: it answers every request itself with
/// the request line it was sent (`GET http://host/path`), as a proxy in
/// front of a real service would relay that service's answer.
fn forwarding_proxy() -> Server {
    Server::start(|request, stream| {
        let line = format!("{} {}", request.method, request.path);
        respond(stream, "200 OK", &[("x-via", "test-proxy")], line.as_bytes())
    })
}

fn through(proxy: &str, url: &str) -> HttpSpec {
    HttpSpec { proxy: ProxySetting::Url(proxy.to_owned()), ..get(url) }
}

#[tokio::test]
async fn a_request_through_a_proxy_says_which_proxy() {
    let proxy = forwarding_proxy();
    let observation = observe(&through(&proxy.url(""), "http://service.invalid/healthz?x=1")).await;
    assert_eq!(observation.error, None);
    assert_eq!(observation.status, Some(200));
    assert_eq!(observation.body.text(), "GET http://service.invalid/healthz?x=1");
    assert_eq!(observation.proxy, Some(format!("http://127.0.0.1:{}", proxy.port)));
    // Going direct says nothing about a proxy.
    let direct = observe(&get(&proxy.url("/"))).await;
    assert_eq!((direct.status, direct.proxy), (Some(200), None));
}

#[tokio::test]
async fn proxy_credentials_go_to_the_proxy_and_nowhere_else() {
    let proxy = forwarding_proxy();
    let url = format!("http://runbook:Pr0xyS3cret@127.0.0.1:{}", proxy.port);
    let observation = observe(&through(&url, "http://service.invalid/")).await;
    assert_eq!(observation.status, Some(200));
    let requests = proxy.requests();
    // base64 of `runbook:Pr0xyS3cret`.
    assert_eq!(requests[0].header("proxy-authorization"), Some("Basic cnVuYm9vazpQcjB4eVMzY3JldA=="));
    let shown = format!("{observation:?}");
    assert!(!shown.contains("Pr0xyS3cret") && !shown.contains("cnVuYm9vazpQcjB4eVMzY3JldA"), "{shown}");
    assert_eq!(observation.proxy, Some(format!("http://127.0.0.1:{}", proxy.port)));
}

#[tokio::test]
async fn a_refused_proxy_is_blamed_not_the_target() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let observation = observe(&through(&format!("http://127.0.0.1:{port}"), "http://service.invalid:8080/")).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Refused), "{observation:?}");
    assert_eq!(
        observation.error.as_ref().unwrap().message,
        format!("connection refused by proxy 127.0.0.1:{port} (for service.invalid:8080)")
    );
    assert_eq!(observation.proxy, Some(format!("http://127.0.0.1:{port}")));
}

#[tokio::test]
async fn a_silent_proxy_is_named_in_the_timeout() {
    let proxy = Server::start(|_, stream| stay_silent(stream));
    let spec = HttpSpec { timeout: Duration::from_millis(300), ..through(&proxy.url(""), "http://service.invalid/") };
    let observation = observe(&spec).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Timeout), "{observation:?}");
    assert_eq!(
        observation.error.as_ref().unwrap().message,
        format!("no response from service.invalid:80 through proxy 127.0.0.1:{} within 300ms", proxy.port)
    );
}

#[tokio::test]
async fn a_proxy_refusing_a_tunnel_is_blamed() {
    let proxy = Server::start(|_, stream| {
        respond(stream, "403 Forbidden", &[], b"")?;
        Ok(Then::Close)
    });
    let observation = observe(&through(&proxy.url(""), "https://service.invalid/")).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Io), "{observation:?}");
    assert_eq!(
        observation.error.as_ref().unwrap().message,
        format!(
            "proxy 127.0.0.1:{} refused CONNECT service.invalid:443; asked again, it answered 403 Forbidden: it does \
             not allow a tunnel there",
            proxy.port
        )
    );
    let requests = proxy.requests();
    assert_eq!((requests[0].method.as_str(), requests[0].path.as_str()), ("CONNECT", "service.invalid:443"));
}

/// The client keeps no status of a refused `CONNECT`: the proxy is asked
/// again, and the message says the status is that second answer's. A
/// proxy that gives none the second time (it stalls) is given the
/// `connect_timeout`, and the probe's duration is its own request's
/// (review-12-attack4 M3).
#[tokio::test]
async fn a_refused_tunnel_is_said_as_refused_when_asking_again_gives_no_status() {
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = Arc::clone(&asked);
    let proxy = Server::start(move |_, stream| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            respond(stream, "502 Bad Gateway", &[], b"")?;
            return Ok(Then::Close);
        }
        stay_silent(stream)
    });
    let spec = HttpSpec {
        timeout: Duration::from_secs(4),
        connect_timeout: Some(Duration::from_secs(2)),
        ..through(&proxy.url(""), "https://service.invalid/")
    };
    let observation = observe(&spec).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Io), "{observation:?}");
    assert_eq!(
        observation.error.as_ref().unwrap().message,
        format!(
            "proxy 127.0.0.1:{} refused to open a tunnel to service.invalid:443 (its answer to CONNECT was not 200; \
             asked again, it gave no status within 2s)",
            proxy.port
        )
    );
    // The 2s given to the second ask are not the request's.
    assert!(observation.duration < Duration::from_secs(2), "{:?}", observation.duration);
    assert_eq!(asked.load(Ordering::SeqCst), 2, "the probe's CONNECT and the one asked again");
}

/// A proxy that takes the connection and never answers `CONNECT`: the
/// client cannot tell that from a connection the proxy never took, and
/// the message names both, never only "no connection" (review-12-attack4
/// M1); with or without a `connect_timeout`.
#[tokio::test]
async fn a_proxy_silent_after_connect_is_named_as_no_tunnel() {
    let proxy = Server::start(|_, stream| stay_silent(stream));
    let within = |limit: &str| {
        format!(
            "no tunnel to service.invalid:443 through proxy 127.0.0.1:{} within {limit}: the proxy did not take the \
             connection, or took it and did not answer CONNECT",
            proxy.port
        )
    };
    let spec = HttpSpec {
        timeout: Duration::from_secs(4),
        connect_timeout: Some(Duration::from_millis(300)),
        ..through(&proxy.url(""), "https://service.invalid/")
    };
    let observation = observe(&spec).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Timeout), "{observation:?}");
    assert_eq!(observation.error.as_ref().unwrap().message, within("the connect_timeout 300ms"));
    let spec = HttpSpec { timeout: Duration::from_millis(300), ..through(&proxy.url(""), "https://service.invalid/") };
    let observation = observe(&spec).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Timeout), "{observation:?}");
    assert_eq!(observation.error.as_ref().unwrap().message, within("300ms"));
}

/// A proxy's other answers to `CONNECT` are given with their status, or
/// said not to be HTTP; a 407 after credentials were sent says they were
/// refused.
#[tokio::test]
async fn a_proxy_answer_to_connect_is_given_with_its_status() {
    let gateway = Server::start(|_, stream| {
        respond(stream, "502 Bad Gateway", &[], b"upstream down")?;
        Ok(Then::Close)
    });
    let observation = observe(&through(&gateway.url(""), "https://service.invalid:8443/")).await;
    assert_eq!(
        observation.error.as_ref().map(|e| e.message.as_str()),
        Some(
            format!(
                "proxy 127.0.0.1:{} refused CONNECT service.invalid:8443; asked again, it answered 502 Bad Gateway: \
                 it could not reach the service, or gave up waiting for it",
                gateway.port
            )
            .as_str()
        )
    );
    let garbage = Server::start(|_, stream| {
        stream.write_all(b"\x00\xffGARBAGE\r\n\r\n")?;
        Ok(Then::Close)
    });
    let observation = observe(&through(&garbage.url(""), "https://service.invalid/")).await;
    assert_eq!(
        observation.error.as_ref().map(|e| e.message.clone()),
        Some(format!(
            "proxy 127.0.0.1:{} refused CONNECT service.invalid:443; asked again, it did not answer in HTTP",
            garbage.port
        ))
    );
    let strict = Server::start(|_, stream| {
        respond(stream, "407 Proxy Authentication Required", &[("proxy-authenticate", "Basic")], b"")?;
        Ok(Then::Close)
    });
    let observation = observe(&through(&strict.url(""), "http://service.invalid/")).await;
    assert_eq!(observation.status, None, "a proxy's 407 is not the service's status");
    assert_eq!(
        observation.error.as_ref().map(|e| e.message.clone()),
        Some(format!(
            "proxy 127.0.0.1:{} asks for credentials (407) to forward the request to service.invalid:80: give them \
             in the proxy URL, http://USER:PASSWORD@HOST:PORT",
            strict.port
        ))
    );
    let with_credentials = format!("http://ops:wrong@127.0.0.1:{}", strict.port);
    let observation = observe(&through(&with_credentials, "https://service.invalid/")).await;
    assert_eq!(
        observation.error.as_ref().map(|e| e.message.clone()),
        Some(format!(
            "proxy 127.0.0.1:{} refused the credentials in the proxy URL (407) to open a tunnel to service.invalid:443",
            strict.port
        ))
    );
}

#[tokio::test]
async fn an_unusable_proxy_setting_stops_the_probe_instead_of_going_direct() {
    let server = forwarding_proxy();
    let observation = observe(&through("socks5://127.0.0.1:1080", &server.url("/"))).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::InvalidTarget), "{observation:?}");
    assert_eq!(server.connection_count(), 0);
}

#[tokio::test]
async fn a_proxy_asking_for_credentials_says_so() {
    let proxy = Server::start(|_, stream| {
        respond(stream, "407 Proxy Authentication Required", &[("proxy-authenticate", "Basic")], b"")?;
        Ok(Then::Close)
    });
    let observation = observe(&through(&proxy.url(""), "https://service.invalid/")).await;
    let message = &observation.error.as_ref().expect("an error").message;
    assert!(
        message.starts_with(&format!(
            "proxy 127.0.0.1:{} asks for credentials (407) to open a tunnel to service.invalid:443",
            proxy.port
        )),
        "{message}"
    );
}

/// `user:password@` in a URL is sent as curl sends it: an `Authorization:
/// Basic` header (percent-decoded), never in the request line, not even to
/// a proxy; a header the runbook gives wins.
#[tokio::test]
async fn credentials_in_the_url_are_sent_as_basic_auth_and_not_in_the_request_line() {
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b"ok"));
    let url = format!("http://svc:p%40ss%20w@127.0.0.1:{}/lit?x=1", server.port);
    let observation = observe(&get(&url)).await;
    assert_eq!(observation.status, Some(200), "{observation:?}");
    let requests = server.requests();
    // base64 of `svc:p@ss w`.
    assert_eq!(requests[0].header("authorization"), Some("Basic c3ZjOnBAc3Mgdw=="));
    assert_eq!(requests[0].path, "/lit?x=1");
    assert_eq!(observation.final_url.as_deref(), Some(format!("http://127.0.0.1:{}/lit?x=1", server.port).as_str()));
    let own = HttpSpec { headers: vec![("Authorization".into(), "Bearer mine".into())], ..get(&url) };
    observe(&own).await;
    assert_eq!(server.requests()[1].header("authorization"), Some("Bearer mine"));
    let proxy = forwarding_proxy();
    let observation = observe(&through(&proxy.url(""), "http://svc:secretpw@service.invalid/x")).await;
    assert_eq!(observation.body.text(), "GET http://service.invalid/x");
    assert_eq!(proxy.requests()[0].header("authorization"), Some("Basic c3ZjOnNlY3JldHB3"));
}

/// The phases are lower bounds here, never upper ones: a server that waits
/// 300ms before answering cannot be seen answering sooner.
#[tokio::test]
async fn the_time_is_split_into_resolving_connecting_and_the_first_byte() {
    let server = Server::start(|_, stream| {
        thread::sleep(Duration::from_millis(300));
        respond(stream, "200 OK", &[], b"late")
    });
    let client = HttpClient::new();
    let by_name = server.url("/slow").replace("127.0.0.1", "localhost");
    let first = observe(&HttpSpec { client: client.clone(), ..get(&by_name) }).await;
    assert_eq!(first.status, Some(200), "{first:?}");
    let timing = first.timing.expect("timed");
    assert!(timing.dns_ms.is_some() && timing.connect_ms.is_some(), "a new connection by name: {timing:?}");
    assert_eq!(timing.tls_ms, None, "plain http has no handshake");
    assert!(timing.first_byte_ms.expect("answered") >= 300, "{timing:?}");
    // The connection kept alive: nothing to resolve or open.
    let again = observe(&HttpSpec { client, ..get(&by_name) }).await;
    let timing = again.timing.expect("timed");
    assert_eq!((timing.dns_ms, timing.connect_ms), (None, None), "{timing:?}");
    assert!(timing.first_byte_ms.expect("answered") >= 300, "{timing:?}");
    assert_eq!(server.connection_count(), 1);
    // An address is not resolved.
    let timing = observe(&get(&server.url("/slow"))).await.timing.expect("timed");
    assert!(timing.dns_ms.is_none() && timing.connect_ms.is_some(), "{timing:?}");
    assert_eq!(timing.text().as_deref().map(|t| t.starts_with("connect ")), Some(true), "{timing:?}");
}

#[tokio::test]
async fn a_timeout_keeps_the_phases_that_ended_and_has_no_first_byte() {
    let server = Server::start(|_, stream| stay_silent(stream));
    let spec = HttpSpec { timeout: Duration::from_millis(400), ..get(&server.url("/silent")) };
    let observation = observe(&spec).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Timeout));
    let timing = observation.timing.expect("timed");
    assert!(timing.connect_ms.is_some() && timing.first_byte_ms.is_none(), "{timing:?}");
}

/// A proxy that opens a tunnel and closes it: the end of file inside the
/// tunnel is not blamed on the service alone.
#[tokio::test]
async fn a_tunnel_closed_during_the_handshake_names_the_proxy() {
    let proxy = Server::start(|_, stream| {
        respond(stream, "200 Connection established", &[], b"")?;
        Ok(Then::Close)
    });
    let observation = observe(&through(&proxy.url(""), "https://service.invalid/")).await;
    assert_eq!(error_kind(&observation), Some(ErrorKind::Tls), "{observation:?}");
    assert_eq!(
        observation.error.as_ref().unwrap().message,
        format!(
            "the connection through proxy 127.0.0.1:{} closed during the tls handshake with service.invalid:443 \
             (the proxy or the server closed it)",
            proxy.port
        )
    );
}

/// After a redirect the phases are summed over the chain's requests, as
/// the probe's `duration` is: a first hop whose server takes 300ms before
/// its 302 counts in `first_byte`, though the last hop answers at once, and
/// the last hop's name, resolved, gives `dns` though the first hop's
/// address did not (review-12-attack5 N-M2: they were the last hop's alone).
#[tokio::test]
async fn after_a_redirect_the_phases_are_summed_over_the_requests() {
    let landing = Server::start(|_, stream| respond(stream, "200 OK", &[], b"landed"));
    let location = landing.url("/landed").replace("127.0.0.1", "localhost");
    let first = Server::start(move |_, stream| {
        thread::sleep(Duration::from_millis(300));
        respond(stream, "302 Found", &[("Location", location.as_str())], b"")
    });
    let observation = observe(&get(&first.url("/moved"))).await;
    assert_eq!((observation.status, observation.redirects.len()), (Some(200), 1), "{observation:?}");
    let timing = observation.timing.expect("timed");
    assert!(timing.first_byte_ms.expect("answered") >= 300, "the first hop's wait is counted: {timing:?}");
    assert!(timing.dns_ms.is_some() && timing.connect_ms.is_some(), "{timing:?}");
    assert_eq!(landing.connection_count(), 1);
}
