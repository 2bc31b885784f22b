//! Secrets in the forms a service or a command echoes them: every byte the
//! run writes (stdout, stderr, each record file) is searched for them.

use std::path::Path;

use base64::Engine as _;

use crate::Test;
use crate::http_server::{Server, respond};

/// Every file under `dir`, with its bytes as text.
pub(crate) fn files(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("record directory") {
        let path = entry.expect("entry").path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("record file")).into_owned();
        found.push((path.display().to_string(), text));
    }
    assert!(found.len() >= 3, "journal, record.json and record.md: {found:?}");
    found
}

/// The forms of a secret that must appear nowhere.
fn forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    vec![secret.to_owned(), json.trim_matches('"').to_owned()]
}

#[test]
fn echoed_secrets_are_redacted_in_every_encoding_and_every_sink() {
    // The server answers with what it received, as JSON: the path (query
    // partly percent-encoded) and the headers (Basic credentials included).
    let server = Server::start(|request, stream| {
        let echo = serde_json::json!({ "path": request.path, "headers": request.headers });
        respond(
            stream,
            "500 Internal Server Error",
            &[("content-type", "application/json")],
            echo.to_string().as_bytes(),
        )
    });
    let password = "hunter2-canary";
    let token = r#"tok"en\ <canary>"#;
    let yaml = format!(
        r#"
id: echo
title: Echo
inputs:
  password: {{ secret: true, env: RB_PW }}
  token: {{ secret: true, env: RB_TOKEN }}
steps:
  - id: echo
    check:
      http:
        url: "http://ops:{{{{ inputs.password }}}}@127.0.0.1:{port}/echo?key={{{{ inputs.token }}}}"
        headers: {{ X-Api-Key: "{{{{ inputs.token }}}}" }}
      expect: [ {{ status: 200 }} ]
    on: {{ fail: boundary }}
  - id: boundary
    check:
      cmd:
        sh: "head -c 524280 /dev/zero | tr '\\0' x; printf %s \"$SECRET\"; head -c 100000 /dev/zero | tr '\\0' y"
        env: {{ SECRET: "{{{{ inputs.password }}}}" }}
      expect: [ {{ exit_code: 1 }} ]
  - id: end
    conclude: {{ status: diagnosed }}
"#,
        port = server.port
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("ops:{password}"));
    let mut canaries = forms(password);
    canaries.extend(forms(token));
    canaries.extend([basic, "tok%22en%5C%20%3Ccanary%3E".to_owned(), "tok%22en\\%20%3Ccanary%3E".to_owned()]);
    for format in ["human", "json"] {
        let output = Test::new()
            .files(&[("runbook.yaml", yaml.as_bytes())])
            .env("RB_PW", password)
            .env("RB_TOKEN", token)
            .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec", "--format", format])
            .status(0);
        let mut sinks =
            vec![("stdout".to_owned(), output.stdout.clone()), ("stderr".to_owned(), output.stderr.clone())];
        sinks.extend(files(&output.path("rec")));
        for (sink, text) in &sinks {
            for canary in &canaries {
                assert!(!text.contains(canary.as_str()), "{format}: `{canary}` reached {sink}");
            }
        }
        let record = &sinks.iter().find(|(name, _)| name.ends_with("record.json")).unwrap().1;
        assert!(record.contains("[redacted:password]") && record.contains("[redacted:token]"), "{record}");
    }
}

/// The engine JSON-escapes a secret into a request body; a service echoing
/// that body inside JSON escapes it again. A command's `echo` turns the
/// `\r` typed in a secret into a carriage return, which the view shows as
/// `\r` again. Neither form reaches any output.
#[test]
fn a_secret_escaped_twice_or_with_its_escapes_interpreted_is_redacted() {
    let server = Server::start(|request, stream| {
        let echo = serde_json::json!({ "data": String::from_utf8_lossy(&request.body) });
        respond(
            stream,
            "500 Internal Server Error",
            &[("content-type", "application/json")],
            echo.to_string().as_bytes(),
        )
    });
    let token = r#"pa"ss\Zk7-canary"#;
    let typed = r"Hunter\r2Sec\tret-canary";
    let yaml = format!(
        r#"
id: twice
title: Twice
inputs:
  token: {{ secret: true, env: RB_TOKEN }}
  typed: {{ secret: true, env: RB_TYPED }}
steps:
  - id: body
    check:
      http: {{ method: POST, url: "http://127.0.0.1:{port}/echo", json: {{ token: "{{{{ inputs.token }}}}" }} }}
      expect: [ {{ status: 200 }} ]
    on: {{ fail: shell }}
  - id: shell
    check:
      cmd:
        sh: 'printf "%s\n" "$TYPED"; echo "$TYPED"'
        env: {{ TYPED: "{{{{ inputs.typed }}}}" }}
      expect: [ {{ exit_code: 1 }} ]
  - id: end
    conclude: {{ status: diagnosed }}
"#,
        port = server.port
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env("RB_TOKEN", token)
        .env("RB_TYPED", typed)
        .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--color", "never", "--record-dir", "rec"])
        .status(0);
    assert!(server.requests()[0].body.windows(5).any(|w| w == b"Zk7-c"), "the body carried the token");
    let mut sinks = vec![("stdout".to_owned(), output.stdout.clone()), ("stderr".to_owned(), output.stderr.clone())];
    sinks.extend(files(&output.path("rec")));
    for (sink, text) in &sinks {
        for canary in ["Zk7-canary", "2Sec"] {
            assert!(!text.contains(canary), "`{canary}` reached {sink}:\n{text}");
        }
    }
    assert!(
        output.stdout.contains("[redacted:typed]") && output.stdout.contains("[redacted:token]"),
        "{}",
        output.stdout
    );
}

/// The engine knows which rendered headers hold a secret: after a redirect
/// to another origin, none of them is sent there, whatever its name.
#[test]
fn a_header_holding_a_secret_input_stays_with_its_origin() {
    let elsewhere = Server::start(|_, stream| respond(stream, "200 OK", &[], b"elsewhere"));
    let target = elsewhere.url("/echo");
    let origin = Server::start(move |_, stream| respond(stream, "302 Found", &[("Location", target.as_str())], b""));
    let yaml = format!(
        r#"
id: hop
title: Hop
inputs:
  token: {{ secret: true, env: RB_TOKEN }}
steps:
  - id: hop
    check:
      http:
        url: "http://127.0.0.1:{port}/hop"
        headers: {{ User-Agent: "app/{{{{ inputs.token }}}}", Accept: text/plain }}
  - id: end
    conclude: {{ status: resolved }}
"#,
        port = origin.port
    );
    Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env("RB_TOKEN", "HopSecret99")
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record"])
        .status(0);
    assert_eq!(origin.requests()[0].header("user-agent"), Some("app/HopSecret99"));
    let away = &elsewhere.requests()[0];
    assert!(away.header("user-agent").is_none_or(|agent| !agent.contains("HopSecret99")), "{away:?}");
    assert_eq!(away.header("accept"), Some("text/plain"));
}

/// An `--inputs` file that does not parse is reported by place, never by
/// its lines: they hold the incident's values, secrets included.
#[test]
fn a_broken_inputs_file_is_reported_without_its_lines() {
    let yaml = "id: p\ntitle: P\ninputs:\n  tok: { env: TOK, secret: true }\nsteps:\n  - id: end\n    conclude: { status: resolved }\n";
    for (file, canary) in [
        ("tok: \"Sek5ret-canary\nnum: [\n", "Sek5ret"),
        ("{\"tok\": \"Sek2ret-canary\", \"num\": 1,, }", "Sek2ret"),
        ("tok: abc\ntok: Sek9dup-canary\n", "Sek9dup"),
    ] {
        let output = Test::new()
            .files(&[("runbook.yaml", yaml.as_bytes()), ("in.yaml", file.as_bytes())])
            .args(["run", "runbook.yaml", "--non-interactive", "--no-record", "--inputs", "in.yaml"])
            .status(2);
        assert!(output.stderr.contains("`in.yaml` is not a map of names to values: "), "{}", output.stderr);
        assert!(!output.stderr.contains(canary) && !output.stdout.contains(canary), "{}", output.stderr);
        assert!(!output.stderr.contains("DuplicateKeyPolicy"), "{}", output.stderr);
    }
}

/// A bearer token a login answer gives, captured and then sent in an
/// `Authorization` header, is a secret from the moment it is captured: the
/// login answer, the capture, the echo of the header (as sent, URL-encoded,
/// base64) show it nowhere, nor does a value captured `secret: true`; a
/// value captured without either stays readable.
#[test]
fn a_token_captured_and_sent_as_a_credential_is_redacted_from_its_capture_on() {
    let server = Server::start(|request, stream| {
        if request.path.starts_with("/login") {
            let body = r#"{"access_token":"tokABCdef0123456789xyz","session":"sess-canary-42","user":"ops-visible"}"#;
            return respond(stream, "200 OK", &[("content-type", "application/json")], body.as_bytes());
        }
        let authorization =
            request.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("authorization")).map(|(_, v)| v.clone());
        let authorization = authorization.unwrap_or_default();
        let echo = serde_json::json!({
            "path": request.path,
            "authorization": authorization,
            "auth_b64": base64::engine::general_purpose::STANDARD.encode(&authorization),
            "auth_urlenc": authorization.replace(' ', "%20"),
            "auth_json": serde_json::to_string(&authorization).unwrap(),
        });
        respond(stream, "200 OK", &[("content-type", "application/json")], echo.to_string().as_bytes())
    });
    let yaml = format!(
        r#"
id: login
title: Login
steps:
  - id: login
    check:
      http: {{ url: "http://127.0.0.1:{port}/login", method: POST }}
      expect: [ {{ status: 200 }} ]
      capture:
        token: {{ json: $.access_token }}
        session: {{ json: $.session, secret: true }}
        user: {{ json: $.user }}
  - id: use
    check:
      http:
        url: "http://127.0.0.1:{port}/echo?who={{{{ vars.user }}}}"
        headers: {{ Authorization: "Bearer {{{{ vars.token }}}}" }}
      expect: [ {{ status: 200 }} ]
  - id: end
    conclude: {{ status: resolved, diagnosis: "as {{{{ vars.user }}}} in {{{{ vars.session }}}}" }}
"#,
        port = server.port
    );
    let token = "tokABCdef0123456789xyz";
    let mut canaries = forms(token);
    canaries.extend(forms("sess-canary-42"));
    canaries.push(base64::engine::general_purpose::STANDARD.encode(format!("Bearer {token}")));
    canaries.push(format!("Bearer%20{token}"));
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"])
        .status(0);
    let mut sinks = vec![("stdout".to_owned(), output.stdout.clone()), ("stderr".to_owned(), output.stderr.clone())];
    sinks.extend(files(&output.path("rec")));
    for (sink, text) in &sinks {
        for canary in &canaries {
            assert!(!text.contains(canary.as_str()), "`{canary}` reached {sink}:\n{text}");
        }
    }
    let record = &sinks.iter().find(|(name, _)| name.ends_with("record.json")).unwrap().1;
    for shown in ["[redacted:token]", "[redacted:session]", "ops-visible"] {
        assert!(record.contains(shown), "{shown}: {record}");
    }
    let sent = server.requests.lock().unwrap();
    let header = sent.iter().flat_map(|request| &request.headers).find(|(name, _)| name == "authorization");
    assert_eq!(header.map(|(_, value)| value.as_str()), Some(format!("Bearer {token}").as_str()), "the token is sent");
}

/// What a runbook sends of a secret through a filter (`| upper`,
/// `| replace`, a slice, `| reverse`, `| urlencode | urlencode`) is a secret
/// too: the request line, the command line and the service's echo show it
/// nowhere.
#[test]
fn what_a_filter_makes_of_a_secret_and_sends_is_redacted() {
    let server = Server::start(|request, stream| {
        let echo = serde_json::json!({ "path": request.path, "headers": request.headers });
        respond(stream, "200 OK", &[("content-type", "application/json")], echo.to_string().as_bytes())
    });
    let key = "Ab/cd+EF=gh9xyzQ";
    let yaml = format!(
        r#"
id: filtered
title: Filtered
inputs:
  key: {{ env: RB_KEY, secret: true }}
steps:
  - id: upper
    check:
      http:
        url: "http://127.0.0.1:{port}/echo?k={{{{ inputs.key | urlencode | urlencode }}}}"
        headers:
          X-Api-Key: "{{{{ inputs.key | upper }}}}"
          X-Other: "{{{{ inputs.key | replace('/', '_') | replace('+', '-') }}}}"
          X-Tail: "{{{{ inputs.key[2:] }}}}"
          X-Back: "{{{{ inputs.key | reverse }}}}"
          X-Set: "{{{{ 'present' if inputs.key else 'absent' }}}}"
  - id: said
    collect:
      cmd: {{ argv: [echo, "{{{{ inputs.key | upper }}}}"] }}
  - id: end
    conclude: {{ status: resolved }}
"#,
        port = server.port
    );
    let derived = [
        key.to_owned(),
        key.to_uppercase(),
        key.replace('/', "_").replace('+', "-"),
        key[2..].to_owned(),
        key.chars().rev().collect(),
        "Ab/cd%252BEF%253Dgh9xyzQ".to_owned(),
    ];
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env("RB_KEY", key)
        .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec", "--operator", key])
        .status(0);
    let mut sinks = vec![("stdout".to_owned(), output.stdout.clone()), ("stderr".to_owned(), output.stderr.clone())];
    sinks.extend(files(&output.path("rec")));
    for (sink, text) in &sinks {
        for canary in &derived {
            assert!(!text.contains(canary.as_str()), "`{canary}` reached {sink}:\n{text}");
        }
    }
    let record = &sinks.iter().find(|(name, _)| name.ends_with("record.json")).unwrap().1;
    assert!(record.contains("present"), "a text the template writes itself stays: {record}");
    let sent = server.requests.lock().unwrap();
    let header = sent.iter().flat_map(|request| &request.headers).find(|(name, _)| name == "x-api-key");
    assert_eq!(header.map(|(_, value)| value.clone()), Some(key.to_uppercase()), "the value itself is sent");
}

/// A service that puts a secret in a response header's name: the name is
/// redacted in the `probe` event as in the step's facts, so that neither
/// the journal nor the record holds it, as typed or lower-cased as HTTP
/// carries names (review-8-attack3 M9).
#[test]
fn a_secret_in_a_response_header_name_is_redacted_everywhere() {
    let token = "S3cr3tTok-xy9Q";
    let server = Server::start(move |_, stream| {
        respond(stream, "200 OK", &[("content-type", "text/plain"), (&format!("x-{token}"), "v")], b"fine")
    });
    let yaml = format!(
        "id: h\ntitle: H\ninputs:\n  tok: {{ secret: true, env: RB_TOK }}\nsteps:\n  - id: h\n    check:\n      \
         http: {{ url: \"http://127.0.0.1:{}/\" }}\n      expect: [ {{ status: 200 }} ]\n  - id: end\n    \
         conclude: {{ status: resolved }}\n",
        server.port
    );
    for format in ["human", "json"] {
        let output = Test::new()
            .files(&[("runbook.yaml", yaml.as_bytes())])
            .env("RB_TOK", token)
            .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec", "--format", format])
            .status(0);
        let mut sinks = vec![("stdout".to_owned(), output.stdout.clone())];
        sinks.extend(files(&output.path("rec")));
        for (sink, text) in &sinks {
            for canary in [token.to_owned(), token.to_lowercase()] {
                assert!(!text.contains(&canary), "{format}: `{canary}` reached {sink}");
            }
        }
        let journal = &sinks.iter().find(|(name, _)| name.ends_with("journal.jsonl")).unwrap().1;
        assert!(journal.contains("x-[redacted:tok]"), "{journal}");
    }
}

/// A secret that is part of a proxy's host name (a tenant's proxy) is
/// lower-cased by the URL parser: the "via proxy" line, the error, the
/// journal and the record show it redacted, in that form too.
#[test]
fn a_secret_in_a_proxy_host_is_redacted_as_the_url_parser_writes_it() {
    let secret = "Sup3rS3cretXYZ";
    let yaml = r#"
id: tenant
title: Tenant
inputs:
  tenant: { secret: true, env: RB_TENANT }
steps:
  - id: health
    check:
      http: { url: "http://127.0.0.1:9/health", proxy: "http://{{ inputs.tenant }}.invalid:3128", timeout: 5s }
      expect: [ { status: 200 } ]
    on: { pass: end, fail: end, error: end }
  - id: end
    conclude: { status: inconclusive }
"#;
    let output = Test::new()
        .files(&[("tenant.yaml", yaml.as_bytes())])
        .env("RB_TENANT", secret)
        .args(["run", "tenant.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .status(0);
    assert!(output.stdout.contains("via proxy http://[redacted:tenant].invalid:3128"), "{}", output.stdout);
    let mut seen = vec![("stdout".to_owned(), output.stdout.clone()), ("stderr".to_owned(), output.stderr.clone())];
    seen.extend(files(&output.path("rec")));
    for (place, text) in seen {
        assert!(!text.to_lowercase().contains(&secret.to_lowercase()), "{place}: {text}");
    }
}

/// A credential-named variable holding a flag (`AUTH_ENABLED=1`) is no
/// secret: the evidence keeps its numbers (review-8-attack3 L11).
#[test]
fn a_flag_in_a_credential_named_variable_is_no_secret() {
    let yaml = r#"
id: short
title: Short
steps:
  - id: e
    check: { env: { non_empty: [AUTH_ENABLED] } }
  - id: c
    check:
      cmd: { sh: 'echo "items: 100, year 2021, status 1"; exit 1' }
      expect: [ { exit_code: 1 } ]
  - id: end
    conclude: { status: resolved, diagnosis: "done in 1 step" }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env("AUTH_ENABLED", "1")
        .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"])
        .status(0);
    let shown = "items: 100, year 2021, status 1";
    assert!(output.stdout.contains(shown), "{}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec/record.json")).unwrap();
    assert!(record.contains(shown) && record.contains("done in 1 step"), "{record}");
}
