//! Secrets the run itself writes in a message or an excerpt it makes of a
//! value (a failing expectation's `actual`, a capture that does not
//! convert, a value cut short): redacted before they are shown, in every
//! sink (review-8-attack5).

use std::path::Path;

use crate::Test;
use crate::http_server::{Server, respond};

const TOKEN: &str = "RunTok-QWERTY789-LongEnoughToBeCut-abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij";

/// A service whose login answer holds [`TOKEN`] and a 4-digit pin.
fn login_server() -> Server {
    Server::start(|_, stream| {
        let body = format!(r#"{{"access_token": "{TOKEN}", "pin": 4821, "user": "ops-visible"}}"#);
        respond(stream, "200 OK", &[("content-type", "application/json")], body.as_bytes())
    })
}

/// stdout, stderr and every file of the record directory, with their text.
fn sinks(output: &crate::Output, dir: &Path) -> Vec<(String, String)> {
    let mut found = vec![("stdout".to_owned(), output.stdout.clone()), ("stderr".to_owned(), output.stderr.clone())];
    found.extend(crate::secrets::files(dir));
    found
}

/// Asserts that no sink holds any of `canaries`.
fn nowhere(sinks: &[(String, String)], canaries: &[&str]) {
    for (sink, text) in sinks {
        for canary in canaries {
            assert!(!text.contains(canary), "`{canary}` reached {sink}:\n{text}");
        }
    }
}

/// The first 12 characters of the token: what a cut leaves of it.
fn head() -> &'static str {
    &TOKEN[..12]
}

/// H8: the expectations of the step that captures a secret are shown by
/// the redactor that has learned it.
#[test]
fn a_failing_expectation_of_the_step_that_captures_a_secret_shows_it_redacted() {
    let server = login_server();
    let yaml = format!(
        r#"
id: login
title: Login
steps:
  - id: login
    check:
      http: {{ url: "http://127.0.0.1:{port}/login" }}
      expect:
        - body: {{ contains: "expires_in" }}
        - json: $.access_token
          eq: "other"
      capture:
        token: {{ json: $.access_token, secret: true }}
    next: end
  - id: end
    conclude: {{ status: resolved, diagnosis: "done" }}
"#,
        port = server.port
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"])
        .status(0);
    let sinks = sinks(&output, &output.path("rec"));
    nowhere(&sinks, &[head()]);
    let record = &sinks.iter().find(|(name, _)| name.ends_with("record.json")).unwrap().1;
    assert!(record.contains("[redacted:token]"), "{record}");
    assert!(record.contains("ops-visible"), "what is no secret stays: {record}");
}

/// H4: a secret capture whose `type:` does not convert is learned all the
/// same; the error names the capture, not its value.
#[test]
fn a_secret_capture_that_does_not_convert_is_learned_and_not_quoted() {
    let server = login_server();
    let yaml = format!(
        r#"
id: login
title: Login
steps:
  - id: login
    check:
      http: {{ url: "http://127.0.0.1:{port}/login" }}
      capture:
        token: {{ json: $.access_token, secret: true, type: int }}
    on: {{ pass: end, error: end }}
  - id: end
    conclude: {{ status: resolved, diagnosis: "done" }}
"#,
        port = server.port
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"])
        .status(4);
    let sinks = sinks(&output, &output.path("rec"));
    nowhere(&sinks, &[head()]);
    let journal = &sinks.iter().find(|(name, _)| name.ends_with("journal.jsonl")).unwrap().1;
    assert!(journal.contains("capture `token`: \\\"[redacted:token]… is not a whole number"), "{journal}");
}

/// H7: a message that quotes a value cut short (a comparison, a `foreach`
/// list that is not one) shows nothing of a secret it cut.
#[test]
fn a_message_that_cuts_a_secret_short_shows_nothing_of_it() {
    let server = login_server();
    let compared = format!(
        r#"
id: compared
title: Compared
steps:
  - id: login
    check:
      http: {{ url: "http://127.0.0.1:{port}/login" }}
      capture:
        tok: {{ json: $.access_token, secret: true }}
    on:
      pass:
        - when: vars.tok > 5
          goto: end
        - goto: end
  - id: end
    conclude: {{ status: resolved, diagnosis: "done" }}
"#,
        port = server.port
    );
    let listed = compared.replace(
        "    on:\n      pass:\n        - when: vars.tok > 5\n          goto: end\n        - goto: end\n",
        "    next: each\n  - id: each\n    check:\n      foreach: \"{{ vars.tok }}\"\n      cmd: { argv: [echo, \"{{ item }}\"] }\n    next: end\n",
    );
    for yaml in [compared, listed] {
        let output = Test::new()
            .files(&[("runbook.yaml", yaml.as_bytes())])
            .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"])
            .status(4);
        let sinks = sinks(&output, &output.path("rec"));
        nowhere(&sinks, &[head()]);
        assert!(output.stderr.contains("[redacted:tok]"), "the value is named: {}", output.stderr);
    }
}

/// H6: an action's request shown for approval, cut after 4 KiB through a
/// secret, shows nothing of it.
#[test]
fn a_request_cut_through_a_secret_shows_nothing_of_it() {
    let server = login_server();
    let password = "Hunter2-Pass9";
    for before in [4084, 4090] {
        let yaml = format!(
            r#"
id: act
title: Act
inputs:
  pw: {{ env: RB_PW, secret: true }}
steps:
  - id: act
    action:
      confirm: "Send it"
      http:
        url: "http://127.0.0.1:{port}/store"
        method: POST
        body: "{filler}{{{{ inputs.pw }}}}BBBB"
    on: {{ pass: end, error: end, skipped: end }}
  - id: end
    conclude: {{ status: resolved, diagnosis: "done" }}
"#,
            port = server.port,
            filler = "A".repeat(before),
        );
        for mode in ["--yes", "--read-only"] {
            let output = Test::new()
                .files(&[("runbook.yaml", yaml.as_bytes())])
                .env("RB_PW", password)
                .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec", mode])
                .status(0);
            let sinks = sinks(&output, &output.path("rec"));
            nowhere(&sinks, &[&password[..3]]);
            let journal = &sinks.iter().find(|(name, _)| name.ends_with("journal.jsonl")).unwrap().1;
            assert!(journal.contains("A[redacted:pw]…"), "{journal}");
        }
    }
}
