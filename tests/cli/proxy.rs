//! HTTP proxies end to end: the proxy the environment names is used and
//! shown (JSON events, the human view, record.md), `proxy: none` goes
//! direct, and a dead proxy is blamed, not the service behind it.

use crate::Test;
use crate::http_server::{Server, respond};

/// A forwarding proxy on loopback that answers every request itself, as the
/// service behind it would: 200 with the request line it was sent.
fn proxy() -> Server {
    Server::start(|request, stream| {
        respond(stream, "200 OK", &[], format!("{} {}", request.method, request.path).as_bytes())
    })
}

fn runbook(extra: &str) -> String {
    format!(
        "id: via\ntitle: Via a proxy\nsteps:\n  - id: health\n    check:\n      http: {{ url: \"http://service.invalid/healthz\"{extra} }}\n      expect: [ {{ status: 200 }} ]\n    on: {{ pass: up, fail: down, error: down }}\n  - id: up\n    conclude: {{ status: resolved, severity: low }}\n  - id: down\n    conclude: {{ status: escalated, severity: high }}\n"
    )
}

fn run(yaml: &str, format: &str) -> Test {
    Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("http_proxy")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec", "--format", format])
}

#[test]
fn the_proxy_from_the_environment_is_used_and_shown_everywhere() {
    let proxy = proxy();
    let shown = format!("http://127.0.0.1:{}", proxy.port);
    let with_password = format!("http://ops:Pr0xyCanary@127.0.0.1:{}", proxy.port);
    let yaml = runbook("");
    let output = run(&yaml, "json").env("HTTP_PROXY", &with_password).status(0);
    let events = output.events();
    let part = events.iter().find(|e| e["event"] == "probe").map(|e| &e["part"]).expect("a probe event");
    assert_eq!(part["observation"]["status"], 200);
    assert_eq!(part["observation"]["proxy"], shown.as_str());
    assert_eq!(proxy.requests()[0].path, "http://service.invalid/healthz");
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).unwrap();
    assert!(record.contains(&format!("via proxy {shown}")), "{record}");

    let human = run(&yaml, "human").env("HTTP_PROXY", &with_password).status(0);
    assert!(
        human.stdout.contains(&format!("GET http://service.invalid/healthz  via proxy {shown}")),
        "{}",
        human.stdout
    );
    for text in [&output.stdout, &output.stderr, &human.stdout, &human.stderr, &record] {
        assert!(!text.contains("Pr0xyCanary"), "the proxy password was shown: {text}");
    }
}

#[test]
fn proxy_none_and_no_proxy_go_direct() {
    let proxy = proxy();
    let service = Server::start(|_, stream| respond(stream, "200 OK", &[], b"direct"));
    let yaml = runbook("").replace("service.invalid", &format!("127.0.0.1:{}", service.port));
    let none = runbook(", proxy: none").replace("service.invalid", &format!("127.0.0.1:{}", service.port));
    let env = format!("http://127.0.0.1:{}", proxy.port);
    for (yaml, no_proxy) in [(&none, None), (&yaml, Some("127.0.0.1"))] {
        let mut test = run(yaml, "json").env("HTTP_PROXY", &env);
        if let Some(hosts) = no_proxy {
            test = test.env("NO_PROXY", hosts);
        }
        let events = test.status(0).events();
        let part = events.iter().find(|e| e["event"] == "probe").map(|e| &e["part"]).expect("a probe event");
        assert_eq!(part["observation"]["status"], 200);
        assert!(part["observation"]["proxy"].is_null(), "{part}");
    }
    assert_eq!(proxy.connection_count(), 0);
    assert_eq!(service.connection_count(), 2);
}

#[test]
fn a_dead_proxy_is_blamed_in_the_view_and_the_record() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let yaml = runbook(&format!(", proxy: \"http://127.0.0.1:{port}\""));
    let output = run(&yaml, "human").env("HTTP_PROXY", "http://127.0.0.1:9").status(0);
    let blame = format!("connection refused by proxy 127.0.0.1:{port} (for service.invalid:80)");
    assert!(output.stdout.contains(&blame), "{}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).unwrap();
    assert!(record.contains(&blame) && record.contains(&format!("via proxy http://127.0.0.1:{port}")), "{record}");
}

#[test]
fn the_rendered_curl_command_uses_the_same_proxy() {
    for (extra, flag) in [
        (", proxy: none", "curl -sS -L --max-time 10 --noproxy '*' -w"),
        (", proxy: \"http://10.0.0.1:3128\"", "curl -sS -L --max-time 10 --proxy http://10.0.0.1:3128 -w"),
    ] {
        let text = Test::new()
            .files(&[("runbook.yaml", runbook(extra).as_bytes())])
            .args(["render", "runbook.yaml"])
            .status(0)
            .stdout;
        assert!(text.contains(flag), "missing {flag:?} in\n{text}");
    }
}

/// A proxy (or the service behind it) that echoes the `Proxy-Authorization`
/// header it was sent, with a status the runbook does not expect so that
/// the body is shown.
fn echoing_proxy() -> Server {
    Server::start(|request, stream| {
        let echoed = format!("proxy-authorization: {}", request.header("proxy-authorization").unwrap_or("none"));
        respond(stream, "201 Created", &[], echoed.as_bytes())
    })
}

#[test]
fn a_proxy_password_from_the_environment_is_a_secret_everywhere() {
    use base64::Engine as _;
    let proxy = echoing_proxy();
    let basic = base64::engine::general_purpose::STANDARD.encode("bob:EnvPr0xyPW");
    let with_password = format!("http://bob:EnvPr0xyPW@127.0.0.1:{}", proxy.port);
    let yaml = runbook("");
    let json = run(&yaml, "json").env("HTTP_PROXY", &with_password).status(0);
    assert_eq!(proxy.requests()[0].header("proxy-authorization"), Some(format!("Basic {basic}").as_str()));
    let human = run(&yaml, "human").env("HTTP_PROXY", &with_password).status(0);
    assert!(human.stdout.contains("proxy-authorization: Basic [redacted:HTTP_PROXY]"), "{}", human.stdout);
    let mut texts = vec![json.stdout.clone(), json.stderr.clone(), human.stdout.clone(), human.stderr.clone()];
    for output in [&json, &human] {
        for name in ["journal.jsonl", "record.json", "record.md"] {
            texts.push(std::fs::read_to_string(output.path("rec").join(name)).unwrap());
        }
    }
    for text in &texts {
        assert!(!text.contains("EnvPr0xyPW") && !text.contains(&basic), "the proxy password was shown: {text}");
    }
}

/// Each hop of a redirect chooses its proxy, and the evidence says which:
/// the first request went through the proxy (which answered a redirect),
/// the second went direct, as `NO_PROXY` says, in the view, the events and
/// record.md.
#[test]
fn each_redirect_shows_the_proxy_its_request_went_through() {
    let service = Server::start(|_, stream| respond(stream, "200 OK", &[], b"landed"));
    let landing = format!("http://localhost:{}/landing", service.port);
    let location = landing.clone();
    let proxy = Server::start(move |_, stream| respond(stream, "302 Found", &[("Location", location.as_str())], b""));
    let shown = format!("http://127.0.0.1:{}", proxy.port);
    let yaml = runbook("");
    let events = run(&yaml, "json").env("HTTP_PROXY", &shown).env("NO_PROXY", "localhost").status(0).events();
    let part = events.iter().find(|e| e["event"] == "probe").map(|e| &e["part"]).expect("a probe event");
    assert_eq!(part["observation"]["proxy"], shown.as_str());
    assert_eq!(part["observation"]["redirects"], serde_json::json!([{ "status": 302, "to": landing, "proxy": null }]));
    assert_eq!(service.connection_count(), 1);
    let human = run(&yaml, "human").env("HTTP_PROXY", &shown).env("NO_PROXY", "localhost").status(0);
    assert!(
        human.stdout.contains(&format!("GET http://service.invalid/healthz  via proxy {shown}"))
            && human.stdout.contains(&format!("↪ 302 to {landing}  direct")),
        "{}",
        human.stdout
    );
    let record = std::fs::read_to_string(human.path("rec").join("record.md")).unwrap();
    assert!(record.contains(&format!("via proxy {shown}")), "{record}");
    assert!(record.contains(&format!("redirected (302) to `{landing}` direct")), "{record}");
}

/// A listener on loopback that speaks plain HTTP whatever it is sent: an
/// http proxy's port named in an `https://` proxy URL. Returns its port.
fn plain_http_port() -> u16 {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buffer = [0; 1024];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    port
}

/// An https service behind an `https://` proxy (from `HTTPS_PROXY`) whose
/// handshake fails: the view, `record.md` and `record.json` blame the proxy
/// at its address and say why, not the service (review-12-attack5 N-M1).
#[test]
fn a_failed_handshake_with_an_https_proxy_is_the_proxys_in_the_view_and_the_record() {
    let (service, certificate) = crate::record::https_server_until_2030();
    let proxy = plain_http_port();
    let yaml = format!(
        "id: via\ntitle: Via a proxy\nsteps:\n  - id: health\n    check:\n      http: {{ url: \"https://127.0.0.1:{service}/\", \
         tls: {{ ca_file: ca.pem }} }}\n      expect: [ {{ status: 200 }} ]\n    on: {{ pass: up, fail: down, error: down }}\n  - id: \
         up\n    conclude: {{ status: resolved, severity: low }}\n  - id: down\n    conclude: {{ status: escalated, severity: high }}\n"
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes()), ("ca.pem", certificate.as_bytes())])
        .env("HTTPS_PROXY", &format!("https://127.0.0.1:{proxy}"))
        .env_remove("https_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0);
    let blame = format!(
        "tls handshake with proxy 127.0.0.1:{proxy} (for 127.0.0.1:{service}) failed: the server did not answer in TLS"
    );
    assert!(output.stdout.contains(&blame), "{}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).unwrap();
    assert!(record.contains(&blame), "{record}");
    let json = crate::valid_record(&output.path("rec/record.json"));
    let error = &json["steps"][0]["attempts"][0]["probes"][0]["observation"]["error"]["message"];
    assert!(error.as_str().is_some_and(|message| message.starts_with(&blame)), "{error}");
}

/// attack7 H10, for `proxy:`: its values are encoded where they land, as
/// a `url`'s are. A password holding `@HOST/#` in the proxy's user info
/// reaches the proxy as that password (not a proxy at HOST), and a tenant
/// holding `HOST/#` in the proxy's host stops the run before anything is
/// sent.
#[test]
fn a_value_in_a_proxy_url_never_moves_the_request_to_another_proxy() {
    use base64::Engine as _;
    let proxy = echoing_proxy();
    let elsewhere = echoing_proxy();
    let password = format!("x@127.0.0.1:{}/#", elsewhere.port);
    let inputs = "inputs:\n  pw: { secret: true, env: RB_PW }\n  tenant: { default: \"127.0.0.1\" }\nsteps:\n";
    let yaml = runbook(&format!(", proxy: \"http://bob:{{{{ inputs.pw }}}}@{{{{ inputs.tenant }}}}:{}\"", proxy.port))
        .replace("steps:\n", inputs);
    run(&yaml, "json").env("RB_PW", &password).status(0);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("bob:{password}"));
    assert_eq!(proxy.requests()[0].header("proxy-authorization"), Some(format!("Basic {basic}").as_str()));
    let moved = format!("tenant=127.0.0.1:{}/#", elsewhere.port);
    run(&yaml, "json")
        .env("RB_PW", &password)
        .args(["--input", &moved])
        .status(4)
        .stderr_contains("into the URL's host or port holds `/`");
    assert!(elsewhere.requests().is_empty(), "{:?}", elsewhere.requests());
    assert_eq!(proxy.requests().len(), 1);
}
