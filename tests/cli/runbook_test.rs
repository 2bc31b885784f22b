//! `runbook test`: cases run by the real engine on mocked observations,
//! reported like a test runner, with coverage and JUnit.

use crate::Test;
use crate::http_server::{Server, respond};

/// A runbook with a retried check, a `when` chain, a question and an
/// action: most of what a case can drive.
const SERVICE: &str = r#"
id: service
title: Is the service healthy?
inputs:
  base_url: { default: "http://127.0.0.1:9" }
steps:
  - id: healthz
    check:
      http: { url: "{{ inputs.base_url }}/healthz" }
      expect: [ { status: 200 } ]
      capture:
        state: { json: "$.state", default: none }
    retry: { attempts: 4, interval: 32s, backoff: 2 }
    on:
      pass: ask-symptom
      fail:
        - when: result.status >= 500
          goto: crashed
        - goto: down
      error: down
  - id: ask-symptom
    ask:
      question: What do users see?
      choices:
        - { answer: slow, goto: restart }
        - { answer: fine, goto: healthy }
  - id: restart
    action:
      confirm: Restarts the service.
      cmd: { argv: [touch, canary-action] }
    on: { pass: healthy, skipped: healthy, error: down }
  - id: healthy
    conclude: { status: resolved, diagnosis: "state {{ vars.state }}" }
  - id: crashed
    conclude: { status: diagnosed, severity: high, diagnosis: "crashed with {{ steps.healthz.status }}" }
  - id: down
    conclude: { status: diagnosed, severity: critical, diagnosis: down }
"#;

fn files<'a>(runbook: &'a str, test: &'a str) -> [(&'a str, &'a [u8]); 2] {
    [("service.yaml", runbook.as_bytes()), ("service.test.yaml", test.as_bytes())]
}

/// `caller.yaml` calling `called.yaml`, and the caller's test file.
fn with_callee<'a>(runbook: &'a str, callee: &'a str, test: &'a str) -> [(&'a str, &'a [u8]); 3] {
    [("caller.yaml", runbook.as_bytes()), ("called.yaml", callee.as_bytes()), ("caller.test.yaml", test.as_bytes())]
}

#[test]
fn each_case_is_reported_with_the_path_diff_and_every_failed_expectation() {
    let test = r"
cases:
  - name: a slow service gets a restart
    observations:
      healthz: { http: { status: 200, json: { state: busy } } }
      restart: { cmd: { exit_code: 0 } }
    answers: { ask-symptom: slow, restart: yes }
    expect:
      path: [healthz, ask-symptom, restart, healthy]
      status: resolved
      diagnosis: state busy
      vars: { state: busy }
      actions: [restart]
  - name: a 503 is blamed on a crash
    observations:
      healthz: { http: { status: 503 } }
    expect:
      path: [healthz, down]
      severity: critical
      outcomes: { healthz: error }
  - name: no answer is a crash
    observations:
      healthz: { error: timeout }
    expect: { path: [healthz, crashed] }
";
    let output = Test::new().files(&files(SERVICE, test)).args(["test", "."]).status(6);
    let stderr = &output.stderr;
    assert!(stderr.contains("  ok    a slow service gets a restart\n"), "{stderr}");
    assert!(stderr.contains("  FAIL  a 503 is blamed on a crash\n"), "{stderr}");
    // Each step of the actual path says how it ended, and why for an error.
    assert!(stderr.contains("            healthz   (fail)\n          - down\n          + crashed\n"), "{stderr}");
    assert!(stderr.contains("            healthz   (error: timeout: "), "{stderr}");
    assert!(
        stderr.contains(
            "replay it step by step: runbook run --dry-run --case './service.test.yaml:no answer is a crash'"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("service.test.yaml:18:13: path: the path differs"), "{stderr}");
    assert!(stderr.contains("severity: expected severity `critical`, got `high`"), "{stderr}");
    assert!(stderr.contains("outcomes: expected step `healthz` to end `error`, got `fail`"), "{stderr}");
    assert!(stderr.ends_with("1 passed, 2 failed\n"), "{stderr}");
}

#[test]
fn nothing_is_spawned_and_no_socket_is_opened() {
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b"{}"));
    let runbook = format!(
        r#"
id: canary
title: Canary
inputs:
  url: {{ default: "{url}" }}
steps:
  - id: shell
    check: {{ cmd: {{ sh: "touch canary-sh" }}, expect: [ {{ exit_code: 0 }} ] }}
  - id: web
    check: {{ http: {{ url: "{{{{ inputs.url }}}}" }}, expect: [ {{ status: 200 }} ] }}
  - id: port
    check: {{ tcp: {{ host: 127.0.0.1, port: {port} }} }}
  - id: fix
    action:
      confirm: Creates a canary.
      cmd: {{ argv: [touch, canary-action] }}
  - id: done
    conclude: {{ status: resolved }}
"#,
        url = server.url("/health"),
        port = server.port
    );
    let test = r"
cases:
  - name: everything mocked
    observations:
      shell: { cmd: { exit_code: 0 } }
      web: { http: { status: 200 } }
      port: { tcp: { connected: true } }
      fix: { cmd: { exit_code: 0 } }
    answers: { fix: yes }
    expect: { path: [shell, web, port, fix, done], actions: [fix], status: resolved }
";
    let output = Test::new()
        .files(&[("canary.yaml", runbook.as_bytes()), ("canary.test.yaml", test.as_bytes())])
        .args(["test", "canary.yaml"])
        .status(0);
    assert!(output.stderr.contains("1 passed, 0 failed"), "{}", output.stderr);
    for canary in ["canary-sh", "canary-action"] {
        assert!(!output.path(canary).exists(), "{canary} was created by `runbook test`");
    }
    assert_eq!(server.connection_count(), 0, "`runbook test` connected to the server");
}

#[test]
fn a_probe_without_an_observation_or_a_question_without_an_answer_fails_the_case() {
    let test = r"
cases:
  - name: no observation
    expect: { status: resolved }
  - name: no answer
    observations:
      healthz: { http: { status: 200 } }
    expect: { status: resolved }
  - name: action not answered
    observations:
      healthz: { http: { status: 200 } }
    answers: { ask-symptom: slow }
    expect: { status: resolved }
";
    let output = Test::new().files(&files(SERVICE, test)).args(["test", "."]).status(6);
    output
        .stderr_contains("step `healthz` ran its `http` probe (GET http://127.0.0.1:9/healthz), but the case has no observation for it")
        .stderr_contains("step `ask-symptom` waits for an answer the case does not give")
        .stderr_contains("step `restart` waits for an answer the case does not give")
        .stderr_contains("0 passed, 3 failed");
}

#[test]
fn retries_and_timeouts_run_on_virtual_time() {
    let runbook = r#"
id: polling
title: Polls
steps:
  - id: wait
    check:
      http: { url: "http://127.0.0.1:9/ready" }
      expect: [ { status: 200 } ]
    retry: { attempts: 6, interval: 32s, backoff: 2, max_interval: 10m }
    timeout: 1h
    on: { pass: slow, fail: down, error: down }
  - id: slow
    check: { cmd: { argv: ["true"] } }
    timeout: 5s
    on: { pass: up, error: hung }
  - id: up
    conclude: { status: resolved }
  - id: down
    conclude: { status: diagnosed }
  - id: hung
    conclude: { status: diagnosed, diagnosis: "{{ steps.slow.error.kind }}" }
"#;
    let test = r"
cases:
  - name: ready at the fourth attempt, after 32+64+128 s of backoff
    observations:
      wait:
        - http: { status: 503 }
        - http: { status: 503 }
        - http: { status: 503 }
        - http: { status: 200 }
      slow: { cmd: { exit_code: 0 } }
    expect: { path: [wait, slow, up] }
  - name: never ready
    observations:
      wait: { http: { status: 503 } }
    expect: { path: [wait, down] }
  - name: a 12 s command against a 5 s step timeout
    observations:
      wait: { http: { status: 200 } }
      slow: { cmd: { exit_code: 0, duration: 12s } }
    expect: { path: [wait, slow, hung], diagnosis: timeout, outcomes: { slow: error } }
";
    Test::new()
        .files(&[("polling.yaml", runbook.as_bytes()), ("polling.test.yaml", test.as_bytes())])
        .args(["test", "polling.test.yaml"])
        .status(0)
        .stderr_contains("3 passed, 0 failed");
}

#[test]
fn junit_holds_one_testcase_per_case_with_every_failed_expectation() {
    let test = r"
cases:
  - name: healthy <fine>
    observations:
      healthz: { http: { status: 200 } }
    answers: { ask-symptom: fine }
    expect: { conclusion: healthy }
  - name: wrong on two counts
    observations:
      healthz: { error: refused }
    expect: { conclusion: crashed, severity: high }
";
    let output = Test::new().files(&files(SERVICE, test)).args(["test", "--junit", "junit.xml", "."]).status(6);
    let xml = std::fs::read_to_string(output.path("junit.xml")).expect("junit written");
    let document = roxmltree::Document::parse(&xml).expect("JUnit is well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!((root.attribute("tests"), root.attribute("failures")), (Some("2"), Some("1")));
    let cases: Vec<_> = root.descendants().filter(|node| node.has_tag_name("testcase")).collect();
    let names: Vec<_> = cases.iter().filter_map(|case| case.attribute("name")).collect();
    assert_eq!(names, ["healthy <fine>", "wrong on two counts"]);
    assert!(cases.iter().all(|case| case.attribute("classname") == Some("service")));
    assert!(cases[0].children().all(|child| !child.has_tag_name("failure")));
    let failure = cases[1].children().find(|child| child.has_tag_name("failure")).expect("a failure");
    assert_eq!(failure.attribute("message"), Some("2 expectations failed"));
    let body = failure.text().unwrap_or_default();
    assert!(
        body.contains("conclusion: expected the run to conclude at `crashed`, but it concluded at `down`"),
        "{body}"
    );
    assert!(body.contains("severity: expected severity `high`, got `critical`"), "{body}");
}

#[test]
fn coverage_names_untaken_edges_and_gates_the_run() {
    let test = r"
cases:
  - name: refused
    observations:
      healthz: { error: refused }
    expect: { conclusion: down }
";
    let output = Test::new().files(&files(SERVICE, test)).args(["test", "--min-coverage", "50", "."]).status(6);
    output
        .stderr_contains("coverage: ./service.yaml 1/9 edges (11.1%)")
        .stderr_contains("  not covered: ./service.yaml:18:17 healthz -[fail when result.status >= 500]-> crashed")
        .stderr_contains("coverage of ./service.yaml is 11.1%, below --min-coverage 50%")
        .stderr_contains("1 passed, 0 failed");
    let output = Test::new().files(&files(SERVICE, test)).args(["test", "--coverage-format", "json", "."]).status(0);
    let report: serde_json::Value = output.json();
    let file = &report["files"][0];
    assert_eq!(
        (file["covered"].as_u64(), file["total"].as_u64(), file["percent"].as_f64()),
        (Some(1), Some(9), Some(11.1))
    );
    assert_eq!(file["covered_edges"][0]["id"], "healthz:on.error");
    assert_eq!(file["not_covered"].as_array().map(Vec::len), Some(8));
    let lcov =
        Test::new().files(&files(SERVICE, test)).args(["test", "--coverage-format", "lcov", "."]).status(0).stdout;
    assert!(lcov.starts_with("TN:runbook\nSF:./service.yaml\n"), "{lcov}");
    assert!(lcov.contains("BRDA:18,0,0,0\n") && lcov.contains("BRF:9\nBRH:1\n"), "{lcov}");
    assert!(lcov.contains("DA:7,1\n") && lcov.ends_with("end_of_record\n"), "{lcov}");
}

#[test]
fn a_runbook_without_a_test_file_is_named() {
    Test::new()
        .files(&[("service.yaml", SERVICE.as_bytes())])
        .args(["test", "service.yaml"])
        .status(0)
        .stderr_contains("service.yaml: no test file (service.test.yaml)")
        .stderr_contains("coverage: service.yaml 0/9 edges (0%)")
        .stderr_contains("0 passed, 0 failed; 1 runbook without tests");
}

#[test]
fn a_test_file_with_errors_does_not_run() {
    let test = "cases:\n  - name: typo\n    observations: { helthz: { error: refused } }\n    expect: {}\n";
    Test::new()
        .files(&files(SERVICE, test))
        .args(["test", "."])
        .status(3)
        .stderr_contains("cannot run, the test file has errors")
        .stderr_contains("did you mean `healthz`?");
    // A runbook under test that does not pass `check`: its first error is
    // shown, located in the runbook.
    let broken = SERVICE.replace("goto: crashed", "goto: crashd");
    let test = "cases:\n  - name: ok\n    observations: { healthz: { error: refused } }\n    expect: {}\n";
    Test::new().files(&files(&broken, test)).args(["test", "."]).status(3).stderr_contains(
        "the runbook under test `./service.yaml` has errors: ./service.yaml:18:17: RB201 unknown step `crashd`",
    );
}

#[test]
fn an_incident_record_becomes_a_case_that_passes() {
    let server = Server::start(|request, stream| match request.path.as_str() {
        "/readyz" => respond(
            stream,
            "503 Service Unavailable",
            &[("content-type", "application/json")],
            br#"{"checks": {"db": {"ok": false, "message": "connection refused"}}}"#,
        ),
        "/healthz" => respond(stream, "302 Found", &[("location", "/live")], b""),
        _ => respond(stream, "200 OK", &[], b"ok"),
    });
    let runbook = format!(
        r#"
id: incident
title: Why is the service not ready?
inputs:
  base_url: {{ default: "{base}" }}
steps:
  - id: healthz
    check: {{ http: {{ url: "{{{{ inputs.base_url }}}}/healthz" }}, expect: [ {{ status: 200 }} ] }}
    on:
      pass:
        - when: '"/live" in result.final_url'
          goto: readyz
        - goto: down
      fail: down
      error: down
  - id: readyz
    check:
      http: {{ url: "{{{{ inputs.base_url }}}}/readyz" }}
      expect: [ {{ status: 200 }} ]
      capture:
        db_message: {{ json: "$.checks.db.message" }}
    retry: {{ attempts: 2, interval: 10ms }}
    on:
      pass: ready
      fail:
        - when: vars.db_message is defined
          goto: ask-db
        - goto: down
  - id: ask-db
    ask:
      question: "The database says {{{{ vars.db_message }}}}. Is a migration running?"
      type: confirm
    on: {{ "yes": wait-migration, "no": db-down }}
  - id: uptime
    check: {{ cmd: {{ argv: [echo, "up 3 days"] }}, expect: [ {{ exit_code: 0 }} ] }}
  - id: ready
    conclude: {{ status: resolved }}
  - id: down
    conclude: {{ status: diagnosed, severity: critical }}
  - id: wait-migration
    conclude: {{ status: inconclusive }}
  - id: db-down
    conclude: {{ status: diagnosed, severity: high, diagnosis: "database: {{{{ vars.db_message }}}}" }}
"#,
        base = server.url("")
    );
    let existing = "# yaml-language-server: $schema=../schemas/test.schema.json\n# Cases written by hand.\ncases:\n    # the healthy path\n    - name: ready\n      observations:\n        healthz: { http: { status: 200, final_url: http://127.0.0.1:9/live } }\n        readyz: { http: { status: 200 } }\n      expect: { conclusion: ready }\n";
    let ran = Test::new()
        .files(&[("incident.yaml", runbook.as_bytes()), ("incident.test.yaml", existing.as_bytes())])
        .args(["run", "incident.yaml", "--non-interactive", "--answer", "ask-db=no", "--record-dir", "rec"])
        .status(0);
    let dir = ran.path("");
    let output = Test::new().in_dir(&dir).args(["test", "--from-record", "rec"]).status(0);
    output.stderr_contains("added case `incident ").stderr_contains("2 passed, 0 failed");
    let text = std::fs::read_to_string(dir.join("incident.test.yaml")).expect("test file");
    assert!(text.starts_with(existing), "the existing text changed:\n{text}");
    assert!(text.contains("\n    - name: \"incident "), "the new case is indented like the others:\n{text}");
    assert!(text.contains(r#"path: ["healthz","readyz","ask-db","db-down"]"#), "{text}");
    assert!(text.contains(r#"answers: {"ask-db":"no"}"#), "{text}");
    assert!(text.contains(r#""status":503"#), "{text}");
    // /healthz redirected: where it ended is part of the observation.
    assert!(text.contains(&format!(r#""final_url":"{}""#, server.url("/live"))), "{text}");
    // The case reproduces the incident: the same observations lead the engine
    // to the same conclusion, which the new case expects.
    assert!(text.contains("conclusion: \"db-down\"") && text.contains("severity: \"high\""), "{text}");
}

/// A run that waited twice and was resumed twice becomes a case that
/// passes: each step once in its path (a resumed step repeats its visit),
/// and the checklist ticks a branch reads among the answers, with the note.
#[test]
fn a_resumed_run_with_checklist_ticks_becomes_a_passing_case() {
    let runbook = r#"
id: ticks
title: Ticks
steps:
  - id: ask
    ask: { question: "Go on?", choices: [ { answer: go } ] }
    on: { go: read }
  - id: read
    instruct:
      text: Read the log.
      checklist: [ "Read the first error", "Noted the time" ]
      notes: { first: "The first error line" }
    next:
      - when: "steps.read.checklist.complete"
        goto: found
      - goto: unsure
  - id: found
    conclude: { status: diagnosed, diagnosis: "found {{ steps.read.notes.first }}" }
  - id: unsure
    conclude: { status: inconclusive, diagnosis: unsure }
"#;
    let ran = Test::new()
        .files(&[("ticks.yaml", runbook.as_bytes())])
        .args(["run", "ticks.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let dir = ran.path("");
    let resume = ["resume", "rec", "--non-interactive"];
    Test::new().in_dir(&dir).args(resume).args(["--answer", "ask=go"]).status(5);
    let last = ["--answer", "read.checklist=1,2", "--answer", "read.first=db timeout"];
    Test::new().in_dir(&dir).args(resume).args(last).status(0);
    let output = Test::new().in_dir(&dir).args(["test", "--from-record", "rec"]).status(0);
    output.stderr_contains("1 passed, 0 failed");
    let text = std::fs::read_to_string(dir.join("ticks.test.yaml")).expect("test file");
    assert!(text.contains(r#"path: ["ask","read","found"]"#), "{text}");
    let answers =
        r#"answers: {"ask":"go","read":{"first":"db timeout","checklist":["Read the first error","Noted the time"]}}"#;
    assert!(text.contains(answers), "{text}");
}

/// A record adds a case only when it can: a dry run observed nothing, a
/// runbook no longer there gets no test file, and a name already taken
/// gets a suffix so the test file stays valid.
#[test]
fn from_record_refuses_what_it_cannot_reproduce_and_keeps_names_unique() {
    let runbook = "id: local\ntitle: Local\nsteps:\n  - id: echo\n    check: { cmd: { argv: [echo, hi] }, expect: [ { exit_code: 0 } ] }\n    on: { pass: ok, fail: ok, error: ok }\n  - id: ok\n    conclude: { status: resolved }\n";
    let test = Test::new()
        .files(&[("local.yaml", runbook.as_bytes())])
        .args(["run", "--dry-run", "local.yaml", "--non-interactive", "--record-dir", "dry"])
        .status(0);
    let dir = test.path("");
    Test::new()
        .in_dir(&dir)
        .args(["test", "--from-record", "dry"])
        .status(2)
        .stderr_contains("it is a dry run: its outcomes were assumed");
    assert!(!dir.join("local.test.yaml").exists(), "a dry run wrote a test file");

    Test::new().in_dir(&dir).args(["run", "local.yaml", "--non-interactive", "--record-dir", "rec"]).status(0);
    Test::new().in_dir(&dir).args(["test", "--from-record", "rec"]).status(0).stderr_contains("1 passed, 0 failed");
    Test::new()
        .in_dir(&dir)
        .args(["test", "--from-record", "rec"])
        .status(0)
        .stderr_contains("-2` to")
        .stderr_contains("2 passed, 0 failed");

    std::fs::rename(dir.join("local.yaml"), dir.join("moved.yaml")).unwrap();
    std::fs::remove_file(dir.join("local.test.yaml")).unwrap();
    Test::new()
        .in_dir(&dir)
        .args(["test", "--from-record", "rec"])
        .status(2)
        .stderr_contains("local.yaml`, is not a file here");
    assert!(!dir.join("local.test.yaml").exists(), "an orphan test file was written");
}

#[test]
fn one_case_plays_through_the_evidence_view() {
    let test = r"
cases:
  - name: crash
    observations:
      healthz: { http: { status: 500, json: { state: dying } } }
    expect: { conclusion: crashed }
";
    let output = Test::new()
        .files(&files(SERVICE, test))
        .args(["run", "--dry-run", "--case", "service.test.yaml:crash"])
        .status(0);
    assert!(output.stdout.contains("→ 500"), "{}", output.stdout);
    assert!(output.stdout.contains("crashed with 500"), "{}", output.stdout);
    output.stderr_contains("case `crash`: ok");
    Test::new()
        .files(&files(SERVICE, test))
        .args(["run", "--dry-run", "--case", "service.test.yaml:crsh"])
        .status(2)
        .stderr_contains("has no case `crsh`; did you mean `crash`?");
}

/// A TCP check judged on `connected`, an HTTP check with a captured status
/// and a short timeout: what a refused port and a slow server become.
const DIFFERENTIAL: &str = r#"
id: differential
title: Real and mocked runs agree
inputs:
  url: { default: "http://127.0.0.1:9/" }
  port: { type: number, default: 9 }
steps:
  - id: port
    check:
      tcp: { host: 127.0.0.1, port: "{{ inputs.port }}", timeout: 2s }
      expect: [ { connected: true } ]
    on: { pass: web, fail: web, error: web }
  - id: web
    check:
      http: { url: "{{ inputs.url }}", timeout: 300ms }
      expect: [ { status: 200 } ]
      capture:
        code: { status: true, default: 0 }
    on: { pass: up, fail: up, error: down }
  - id: up
    conclude: { status: resolved, diagnosis: "port {{ steps.port.outcome }}, web {{ vars.code }}" }
  - id: down
    conclude: { status: diagnosed, diagnosis: "port {{ steps.port.outcome }}, web {{ vars.code }}" }
"#;

/// The diagnosis and ending step a real run reaches, from its events.
fn real_conclusion(output: &crate::Output) -> (String, String) {
    let events = output.events();
    let concluded = events.iter().find(|event| event["event"] == "concluded").expect("a conclusion");
    (
        concluded["step"].as_str().unwrap_or_default().to_owned(),
        concluded["conclusion"]["diagnosis"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn a_refused_connection_and_a_slow_server_end_as_in_a_real_run() {
    let closed = crate::services::free_port();
    let slow = Server::start(|_, stream| {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        respond(stream, "200 OK", &[], b"late")
    });
    let real = Test::new()
        .files(&[("differential.yaml", DIFFERENTIAL.as_bytes())])
        .args(["run", "differential.yaml", "--non-interactive", "--no-record", "--format", "json"])
        .args(["-i", &format!("port={closed}"), "-i", &format!("url={}", slow.url("/"))])
        .status(0);
    // Refused: `connected: false` is judged, so the check fails; too slow:
    // the HTTP probe times out, its capture falls back to its default.
    assert_eq!(real_conclusion(&real), ("down".to_owned(), "port fail, web 0".to_owned()));
    let test = r#"
cases:
  - name: refused port, slow server
    observations:
      port: { error: refused }
      web: { http: { status: 200, duration: 2s } }
    expect: { path: [port, web, down], diagnosis: "port fail, web 0", outcomes: { port: fail, web: error } }
  - name: a closed port and a refused URL
    observations:
      port: { tcp: { connected: false } }
      web: { error: refused }
    expect: { conclusion: down, diagnosis: "port fail, web 0" }
"#;
    Test::new()
        .files(&[("differential.yaml", DIFFERENTIAL.as_bytes()), ("differential.test.yaml", test.as_bytes())])
        .args(["test", "differential.yaml"])
        .status(0)
        .stderr_contains("2 passed, 0 failed");
}

#[test]
fn a_secret_input_stays_hidden_in_failures_and_junit() {
    let runbook = r#"
id: secretive
title: Secretive
inputs:
  token: { secret: true }
steps:
  - id: api
    check:
      http: { url: "http://127.0.0.1:9/v1?token={{ inputs.token }}" }
      expect: [ { status: 200 } ]
      capture:
        echoed: { json: $.value, default: none }
  - id: done
    conclude: { status: resolved }
"#;
    let test = r"
inputs: { token: hunter2-secret }
cases:
  - name: no observation for the probe
    expect: {}
  - name: the service echoes the token
    observations:
      api: { http: { json: { value: hunter2-secret } } }
    expect: { vars: { echoed: something else } }
";
    let output = Test::new()
        .files(&[("secretive.yaml", runbook.as_bytes()), ("secretive.test.yaml", test.as_bytes())])
        .args(["test", "secretive.yaml", "--junit", "junit.xml"])
        .status(6);
    let junit = std::fs::read_to_string(output.path("junit.xml")).expect("junit.xml written");
    for (what, text) in [("stderr", &output.stderr), ("stdout", &output.stdout), ("junit", &junit)] {
        assert!(!text.contains("hunter2"), "the secret reached {what}:\n{text}");
    }
    assert!(output.stderr.contains("GET http://127.0.0.1:9/v1?token=[redacted:token]"), "{}", output.stderr);
    assert!(output.stderr.contains("got `\"[redacted:token]\"`"), "{}", output.stderr);
}

#[test]
fn a_secret_with_quotes_stays_hidden_once_its_value_is_encoded_for_a_message() {
    // The failure message JSON-encodes the captured value: a secret already
    // JSON-escaped inside it is escaped a second time there.
    let runbook = r#"
id: tsec
title: Echoes
inputs:
  tok: { secret: true }
steps:
  - id: c
    check:
      cmd: { sh: 'echo "$T"', env: { T: "{{ inputs.tok }}" } }
      expect: [ { exit_code: 0 } ]
      capture: { out: { stdout: true } }
  - id: done
    conclude: { status: resolved }
"#;
    let test = r#"
inputs: { tok: 'Cn4ry"Q\x' }
cases:
  - name: leaks
    observations:
      c: { cmd: { exit_code: 0, stdout: 'Cn4ry"Q\x and {"t":"Cn4ry\"Q\\x"}' } }
    expect: { vars: { out: "other" }, path: [c, done] }
"#;
    let output = Test::new()
        .files(&[("tsec.yaml", runbook.as_bytes()), ("tsec.test.yaml", test.as_bytes())])
        .args(["test", "tsec.yaml", "--junit", "junit.xml"])
        .status(6);
    let junit = std::fs::read_to_string(output.path("junit.xml")).expect("junit.xml written");
    for (what, text) in [("stderr", &output.stderr), ("stdout", &output.stdout), ("junit", &junit)] {
        assert!(!text.contains("Cn4ry"), "the secret reached {what}:\n{text}");
    }
    assert!(output.stderr.contains(r#"got `"[redacted:tok] and {\"t\":\"[redacted:tok]\"}"#), "{}", output.stderr);
}

/// A call step ends only in what its callee concludes: the edges of the
/// statuses it never gives (and of `error`, for a callee that always
/// concludes and no timeout) are not counted, so a caller whose cases
/// cover every status the callee gives reaches 100 %, and `check` does not
/// ask to route the others (review-10-user2 M1).
#[test]
fn coverage_of_a_call_step_counts_only_what_its_callee_can_give() {
    let calling = r"
id: caller
title: Checks the replica
steps:
  - id: sub
    call: { runbook: called.yaml }
    on: { resolved: ok, diagnosed: broken, inconclusive: broken, error: broken }
  - id: broken
    conclude: { status: diagnosed, diagnosis: replica broken }
  - id: ok
    conclude: { status: resolved }
";
    let called = r"
id: called
title: Replica
steps:
  - id: probe
    check:
      cmd: { argv: ['true'] }
      expect: [ { exit_code: 0 } ]
    on: { pass: done, fail: broken, error: broken }
  - id: done
    conclude: { status: resolved, diagnosis: fine }
  - id: broken
    conclude: { status: diagnosed, diagnosis: broken }
";
    let test = r"
cases:
  - name: resolved
    observations:
      sub: { conclusion: { status: resolved } }
    expect: { path: [sub, ok] }
  - name: diagnosed
    observations:
      sub: { conclusion: { status: diagnosed, diagnosis: broken } }
    expect: { path: [sub, broken] }
";
    let output = Test::new()
        .files(&with_callee(calling, called, test))
        .args(["test", "caller.test.yaml", "--min-coverage", "100", "--coverage-format", "json"])
        .status(0);
    let report: serde_json::Value = output.json();
    let file = report["files"].as_array().and_then(|files| files.iter().find(|f| f["path"] == "caller.yaml"));
    let file = file.unwrap_or_else(|| panic!("caller.yaml in {report}"));
    let labels: Vec<&str> =
        file["covered_edges"].as_array().into_iter().flatten().filter_map(|edge| edge["label"].as_str()).collect();
    assert_eq!(labels, ["resolved", "diagnosed"], "{report}");
    assert_eq!(file["not_covered"], serde_json::json!([]), "{report}");
    let checked = Test::new().files(&with_callee(calling, called, test)).args(["check", "caller.yaml"]).status(0);
    assert!(!checked.stderr.contains("RB210"), "{}", checked.stderr);
}

#[test]
fn a_list_of_mocked_call_conclusions_gives_one_per_visit() {
    let polling = r#"
id: caller
title: Polls a sub-check until it resolves
steps:
  - id: sub
    call: { runbook: called.yaml }
    max_visits: 3
    on: { resolved: ok, diagnosed: sub, escalated: stuck, inconclusive: stuck, error: stuck }
  - id: ok
    conclude: { status: resolved, diagnosis: "{{ steps.sub.conclusion.diagnosis }}" }
  - id: stuck
    conclude: { status: diagnosed }
"#;
    let called = r"
id: called
title: A sub-check
steps:
  - id: probe
    check:
      cmd: { argv: ['true'] }
      expect: [ { exit_code: 0 } ]
    on: { pass: done, fail: broken, error: broken }
  - id: done
    conclude: { status: resolved, diagnosis: fine }
  - id: broken
    conclude: { status: diagnosed, diagnosis: broken }
";
    let test = r"
cases:
  - name: the second visit resolves
    observations:
      sub:
        - conclusion: { status: diagnosed, diagnosis: first }
        - conclusion: { status: resolved, diagnosis: second }
    expect: { path: [sub, sub, ok], diagnosis: second }
";
    Test::new()
        .files(&with_callee(polling, called, test))
        .args(["test", "caller.test.yaml"])
        .status(0)
        .stderr_contains("1 passed, 0 failed");
}

#[test]
fn an_outcome_expected_of_a_step_without_one_says_so() {
    // `check` knows a question has no outcome.
    let test = r"
cases:
  - name: a question has no outcome
    observations:
      healthz: { http: { status: 200 } }
    answers: { ask-symptom: fine }
    expect: { outcomes: { ask-symptom: pass } }
";
    Test::new()
        .files(&files(SERVICE, test))
        .args(["test", "."])
        .status(3)
        .stderr_contains("step `ask-symptom` has no outcome: it is an `ask` step");
    // A called runbook's steps are not checked against the test file; the
    // run says it.
    let calling = r"
id: caller
title: Calls a runbook that asks
steps:
  - id: sub
    call: { runbook: called.yaml }
    on: { resolved: ok, diagnosed: ok, escalated: ok, inconclusive: ok, error: ok }
  - id: ok
    conclude: { status: resolved }
";
    let called = r"
id: called
title: Asks what users see
steps:
  - id: symptom
    ask:
      question: What do users see?
      choices:
        - { answer: slow, goto: done }
        - { answer: fine, goto: done }
  - id: done
    conclude: { status: resolved }
";
    let test = r"
cases:
  - name: a called question has no outcome
    answers: { sub/symptom: fine }
    expect: { outcomes: { sub/symptom: pass } }
";
    Test::new()
        .files(&with_callee(calling, called, test))
        .args(["test", "caller.test.yaml"])
        .status(6)
        .stderr_contains("expected step `sub/symptom` to end `pass`, it ran but has no outcome");
}

#[test]
fn a_called_runbook_reads_its_inputs_from_the_call_not_the_machine() {
    let calling = r"
id: caller
title: Calls a sub-check
steps:
  - id: sub
    call: { runbook: called.yaml }
    on: { resolved: ok, diagnosed: ok, escalated: ok, inconclusive: ok, error: ok }
  - id: ok
    conclude: { status: resolved, diagnosis: '{{ steps.sub.conclusion.diagnosis }}' }
";
    let called = r"
id: called
title: A sub-check whose region falls back to the environment
inputs:
  region: { env: CALLED_REGION }
steps:
  - id: done
    conclude: { status: resolved, diagnosis: 'region {{ inputs.region }}' }
";
    // Nothing gives the region, so the run stops at the call, whatever the
    // machine running the test has in CALLED_REGION.
    let test = r"
cases:
  - name: the callee's input is missing
    expect: { path: [sub], status: failed }
";
    let output = Test::new()
        .files(&with_callee(calling, called, test))
        .env("CALLED_REGION", "eu-west-1")
        .args(["test", "caller.test.yaml"])
        .status(0)
        .stderr_contains("1 passed, 0 failed");
    assert!(!output.stderr.contains("eu-west-1"), "{}", output.stderr);
}

#[test]
fn a_played_case_without_an_observation_says_which_is_missing() {
    let test = r"
cases:
  - name: no observation
    expect: { conclusion: crashed }
";
    let output = Test::new()
        .files(&files(SERVICE, test))
        .args(["run", "--dry-run", "--case", "service.test.yaml:no observation"])
        .status(6);
    let both = format!("{}{}", output.stdout, output.stderr);
    assert!(
        both.contains("run aborted: step `healthz` ran its `http` probe (GET http://127.0.0.1:9/healthz), but the case has no observation for it"),
        "{both}"
    );
    assert!(!both.contains("interrupted by the operator"), "{both}");
}

#[test]
fn a_played_case_names_its_answers_not_the_flags() {
    let test = r"
cases:
  - name: unanswered
    observations:
      healthz: { http: { status: 200 } }
    expect: { conclusion: healthy }
  - name: restarted
    observations:
      healthz: { http: { status: 200 } }
      restart: { cmd: { exit_code: 0 } }
    answers: { ask-symptom: slow, restart: yes }
    expect: { conclusion: healthy }
";
    let output = Test::new()
        .files(&files(SERVICE, test))
        .args(["run", "--dry-run", "--case", "service.test.yaml:unanswered"])
        .status(6);
    let both = format!("{}{}", output.stdout, output.stderr);
    assert!(
        both.contains(
            "run waiting: step `ask-symptom` waits for an answer the case does not give: add `answers: { ask-symptom: … }`"
        ),
        "{both}"
    );
    assert!(!both.contains("--answer"), "{both}");
    let output = Test::new()
        .files(&files(SERVICE, test))
        .args(["run", "--dry-run", "--case", "service.test.yaml:restarted"])
        .status(0);
    assert!(
        output.stdout.contains("action confirmed by the case's answers: Restarts the service."),
        "{}",
        output.stdout
    );
    assert!(!output.stdout.contains("--answer"), "{}", output.stdout);
}

#[test]
fn equal_foreach_items_each_read_the_list_from_its_start() {
    let runbook = r#"
id: pages
title: Are the pages up?
steps:
  - id: pages
    check:
      foreach: ["/a", "/a"]
      http: { url: "http://127.0.0.1:9{{ item }}" }
      expect: [ { status: 200 } ]
    on: { pass: up, fail: down, error: down }
  - id: up
    conclude: { status: resolved }
  - id: down
    conclude: { status: diagnosed }
"#;
    // One run of the step: both copies of `/a` get the first entry.
    let test = r"
cases:
  - name: both copies answer 200
    observations:
      pages:
        - http: { status: 200 }
        - http: { status: 500 }
    expect: { path: [pages, up] }
";
    Test::new()
        .files(&[("pages.yaml", runbook.as_bytes()), ("pages.test.yaml", test.as_bytes())])
        .args(["test", "pages.test.yaml"])
        .status(0)
        .stderr_contains("1 passed, 0 failed");
}

#[test]
fn a_mocked_response_has_a_final_url_and_a_connect_time() {
    let runbook = r#"
id: login
title: Where does the login page land?
steps:
  - id: login
    check:
      http: { url: "http://127.0.0.1:9/login", timeout: 5s, connect_timeout: 1s }
      expect: [ { status: 200 } ]
    on:
      pass:
        - when: result.final_url == "http://127.0.0.1:9/sso"
          goto: sso
        - goto: direct
      fail: direct
      error:
        - when: result.error.kind == "timeout"
          goto: slow
        - goto: direct
  - id: sso
    conclude: { status: resolved, diagnosis: "single sign-on" }
  - id: direct
    conclude: { status: resolved, diagnosis: "landed on {{ steps.login.final_url }}" }
  - id: slow
    conclude: { status: diagnosed, diagnosis: "{{ steps.login.error.message }}" }
"#;
    let test = r"
cases:
  - name: a redirect to the SSO page
    observations:
      login: { http: { final_url: 'http://127.0.0.1:9/sso' } }
    expect: { conclusion: sso }
  - name: no redirect lands on the probe's URL
    observations:
      login: { http: { connect: 900ms } }
    expect: { conclusion: direct, diagnosis: 'landed on http://127.0.0.1:9/login' }
  - name: connecting longer than connect_timeout is a timeout
    observations:
      login: { http: { connect: 2s, duration: 2s } }
    expect: { conclusion: slow, diagnosis: 'no connection within 1s' }
";
    Test::new()
        .files(&[("login.yaml", runbook.as_bytes()), ("login.test.yaml", test.as_bytes())])
        .args(["test", "login.test.yaml"])
        .status(0)
        .stderr_contains("3 passed, 0 failed");
}

/// A command killed at its timeout gave no answer: its captures take their
/// defaults, and what it printed before stays in its facts, for real and
/// when mocked: the same case, both ways.
#[test]
fn a_command_that_times_out_captures_its_defaults_mocked_as_for_real() {
    let runbook = r#"
id: k
title: k
steps:
  - id: c
    check:
      cmd: { argv: [sh, -c, "echo partial; echo oops >&2; sleep 5"], timeout: 1s }
      expect: [ { exit_code: 0 } ]
      capture:
        out: { stdout: true, default: none }
        err: { stderr: true, default: none }
    on: { pass: p, fail: p, error: e }
  - id: p
    conclude: { status: resolved, diagnosis: "p {{ vars.out }}" }
  - id: e
    conclude: { status: diagnosed, diagnosis: "e {{ vars.out }} {{ vars.err }} {{ steps.c.stdout }} {{ steps.c.stderr }} {{ steps.c.timed_out }}" }
"#;
    let test = r#"
cases:
  - name: times out
    observations: { c: { cmd: { stdout: "partial\n", stderr: "oops\n", duration: 5s } } }
    expect: { conclusion: e, diagnosis: "e none none partial oops true" }
"#;
    let real = Test::new()
        .files(&files(runbook, test))
        .args(["run", "service.yaml", "--non-interactive", "--no-record", "--format", "json"])
        .status(0);
    let events = real.events();
    let concluded = events.iter().rev().find(|e| e["event"] == "concluded").expect("a conclusion");
    assert_eq!(concluded["conclusion"]["diagnosis"], "e none none partial oops true");
    Test::new().files(&files(runbook, test)).args(["test", "."]).status(0).stderr_contains("1 passed, 0 failed");
}

/// A command that never started has no output: its `stdout` capture takes
/// its default, for real and when mocked with `error: spawn_failed`; a
/// command that ran and wrote nothing captures `""`.
#[test]
fn a_command_that_did_not_start_captures_its_default_mocked_as_for_real() {
    let runbook = r#"
id: s
title: s
steps:
  - id: c
    check:
      cmd: { argv: [/nonexistent/runbook-probe] }
      expect: [ { exit_code: 0 } ]
      capture:
        out: { stdout: true, default: none }
    on: { pass: p, fail: p, error: e }
  - id: p
    conclude: { status: resolved, diagnosis: "p [{{ vars.out }}]" }
  - id: e
    conclude: { status: diagnosed, diagnosis: "e [{{ vars.out }}]" }
"#;
    let test = r"
cases:
  - name: never started
    observations: { c: { error: spawn_failed } }
    expect: { conclusion: e, diagnosis: 'e [none]' }
  - name: ran and wrote nothing
    observations: { c: { cmd: { exit_code: 1 } } }
    expect: { conclusion: p, diagnosis: 'p []' }
";
    let real = Test::new()
        .files(&files(runbook, test))
        .args(["run", "service.yaml", "--non-interactive", "--no-record", "--format", "json"])
        .status(0);
    let events = real.events();
    let concluded = events.iter().rev().find(|e| e["event"] == "concluded").expect("a conclusion");
    assert_eq!(concluded["conclusion"]["diagnosis"], "e [none]");
    Test::new().files(&files(runbook, test)).args(["test", "."]).status(0).stderr_contains("2 passed, 0 failed");
}

/// A case ticks an `instruct` checklist by number or text, and a branch
/// reads the ticks; a tick that names no item is refused before any case runs.
#[test]
fn a_case_ticks_a_checklist_and_the_branch_follows() {
    let runbook = r#"
id: service
title: Drain
steps:
  - id: drain
    instruct:
      text: Drain the node.
      checklist: [Cordon the node, Evict the pods]
    next:
      - when: steps.drain.checklist.complete
        goto: drained
      - goto: half-done
  - id: drained
    conclude: { status: resolved }
  - id: half-done
    conclude: { status: escalated, diagnosis: "{{ steps.drain.checklist.unticked | join(', ') }}" }
"#;
    let test = r"
cases:
  - name: all ticked
    answers: { drain: { checklist: [1, Evict the pods] } }
    expect: { path: [drain, drained] }
  - name: one left
    answers: { drain: { checklist: [Cordon the node] } }
    expect: { path: [drain, half-done], diagnosis: Evict the pods }
";
    Test::new().files(&files(runbook, test)).args(["test", "."]).status(0);
    let wrong = "cases:\n  - name: wrong\n    answers: { drain: { checklist: [3] } }\n    expect: { path: [drain] }\n";
    Test::new()
        .files(&files(runbook, wrong))
        .args(["test", "."])
        .status(3)
        .stderr_contains("`[3]` does not tick the checklist of `drain`: `3` is not one of its 2 items");
}

/// A certificate about to expire, played from a mocked `tls:` observation:
/// the `tls: days_left` expectation warns and the capture reads the date.
#[test]
fn a_mocked_certificate_drives_tls_expectations_and_captures() {
    let runbook = r#"
id: cert
title: Certificate
steps:
  - id: https
    check:
      http: { url: "https://api.internal/healthz" }
      expect:
        - status: 200
        - tls: days_left
          ge: 14
          severity: warn
      capture:
        expires: { tls: not_after }
    on: { pass: fine, warn: renew, fail: renew, error: renew }
  - id: fine
    conclude: { status: resolved }
  - id: renew
    conclude: { status: diagnosed, severity: medium, diagnosis: "renew before {{ vars.expires }}" }
"#;
    let test = r"
cases:
  - name: three days left is a renewal
    observations:
      https: { http: { status: 200, tls: { days_left: 3, not_after: '2026-12-03T00:00:00Z' } } }
    expect: { path: [https, renew], diagnosis: renew before 2026-12-03T00:00:00Z, outcomes: { https: warn } }
  - name: a year left is fine
    observations:
      https: { http: { status: 200, tls: { days_left: 365 } } }
    expect: { path: [https, fine] }
";
    let output = Test::new()
        .files(&[("cert.yaml", runbook.as_bytes()), ("cert.test.yaml", test.as_bytes())])
        .args(["test", "."])
        .status(0);
    assert!(output.stderr.ends_with("2 passed, 0 failed\n"), "{}", output.stderr);
}

/// A mocked answer has a first byte, as every real answer has, and one
/// with a certificate had a handshake: latency warnings on `timing:
/// first_byte` and `timing: tls` do not fire in a case that mocks no
/// timing, and fire on the `duration` or the `tls` a slow case gives.
#[test]
fn a_mocked_answer_has_a_first_byte_and_an_https_one_a_handshake() {
    let runbook = r#"
id: latency
title: Latency
steps:
  - id: health
    check:
      http: { url: "https://api.internal/healthz", timeout: 5s }
      expect:
        - status: 200
        - { timing: first_byte, lt: 400ms, severity: warn }
        - { timing: tls, lt: 300ms, severity: warn }
    on: { pass: healthy, warn: slow, fail: slow, error: slow }
  - id: healthy
    conclude: { status: resolved }
  - id: slow
    conclude: { status: diagnosed, diagnosis: slow }
"#;
    let test = r"
cases:
  - name: healthy without timing
    observations:
      health: { http: { status: 200, tls: { days_left: 30 } } }
    expect: { path: [health, healthy] }
  - name: slow from the duration
    observations:
      health: { http: { status: 200, tls: { days_left: 30 }, duration: 900ms, connect: 100ms } }
    expect: { path: [health, slow], outcomes: { health: warn } }
  - name: fast once connected
    observations:
      health: { http: { status: 200, tls: { days_left: 30 }, duration: 900ms, timing: { connect: 600ms } } }
    expect: { path: [health, healthy] }
  - name: a slow handshake
    observations:
      health: { http: { status: 200, tls: { days_left: 30 }, timing: { tls: 900ms } } }
    expect: { path: [health, slow], outcomes: { health: warn } }
";
    let output = Test::new()
        .files(&[("latency.yaml", runbook.as_bytes()), ("latency.test.yaml", test.as_bytes())])
        .args(["test", "."])
        .status(0);
    assert!(output.stderr.ends_with("4 passed, 0 failed\n"), "{}", output.stderr);
}

/// Mocked phases a real probe cannot give back play as it would: a
/// handshake past `connect_timeout` (which covers it) or phases past
/// `timeout` end the probe there, `error (timeout)`, not a judged `fail`.
#[test]
fn mocked_phases_past_the_probes_limits_are_its_timeout() {
    let runbook = r#"
id: limits
title: Limits
steps:
  - id: c
    check:
      http: { url: "https://svc.example/", timeout: 2s, connect_timeout: 1s }
      expect: [ { status: 200 }, { timing: tls, lt: 500ms }, { timing: first_byte, lt: 300ms } ]
    on: { pass: ok, fail: bad, error: err }
  - { id: ok, conclude: { status: resolved } }
  - { id: bad, conclude: { status: diagnosed, diagnosis: slow } }
  - { id: err, conclude: { status: diagnosed, diagnosis: "{{ steps.c.error.message }}" } }
"#;
    let test = r"
cases:
  - name: handshake past connect_timeout
    observations: { c: { http: { duration: 1900ms, timing: { connect: 10ms, tls: 1500ms } } } }
    expect: { path: [c, err], outcomes: { c: error } }
  - name: phases past timeout
    observations: { c: { http: { timing: { connect: 10ms, tls: 100ms, first_byte: 3s } } } }
    expect: { path: [c, err], outcomes: { c: error } }
  - name: slow within the limits
    observations: { c: { http: { timing: { connect: 10ms, tls: 900ms, first_byte: 20ms } } } }
    expect: { path: [c, bad], outcomes: { c: fail } }
";
    let files = [("limits.yaml", runbook.as_bytes()), ("limits.test.yaml", test.as_bytes())];
    let output = Test::new().files(&files).args(["test", "."]).status(0);
    assert!(output.stderr.ends_with("3 passed, 0 failed\n"), "{}", output.stderr);
    let output = Test::new()
        .files(&files)
        .args(["run", "--dry-run", "--color", "never", "--case", "limits.test.yaml:handshake past connect_timeout"])
        .status(0);
    let said = "error (timeout): tls handshake did not finish within the connect_timeout 1s (mocked tls)";
    assert!(output.stdout.contains(said), "{}", output.stdout);
}

/// A case that leaves a step waiting says so on one line and points at the
/// test file's `answers:`, not at the run's flags.
#[test]
fn a_case_left_waiting_points_at_its_answers() {
    let runbook = r#"
id: wt
title: Waits
steps:
  - id: do
    instruct:
      text: |
        Clean up:
          du -xh / | sort -h
      checklist: [ "Logs removed" ]
    next:
      - when: "steps.do.checklist.complete"
        goto: done
      - goto: done
  - id: done
    conclude: { status: resolved }
"#;
    let test = "cases:\n  - name: waits\n    answers: { do: \"yes\" }\n    expect: { conclusion: done }\n";
    let output = Test::new()
        .files(&[("wt.yaml", runbook.as_bytes()), ("wt.test.yaml", test.as_bytes())])
        .args(["test", "."])
        .status(6);
    let said = "but it ended `waiting` without a conclusion: step `do` waits for the operator to do: Clean up; give \
                the case that answer under `answers:`";
    assert!(output.stdout.contains(said) || output.stderr.contains(said), "{}{}", output.stdout, output.stderr);
    assert!(!output.stdout.contains("\\n") && !output.stdout.contains("--answer"), "{}", output.stdout);
}

/// `systemctl is-active` as a real command prints it: with a newline.
const ACTIVE: &str = r#"
id: active
title: Is the service running?
steps:
  - id: state
    check:
      cmd: { sh: "echo active" }
      expect: [ { stdout: { eq: active } } ]
    on: { pass: running, fail: stopped, error: stopped }
  - id: running
    conclude: { status: resolved, diagnosis: running }
  - id: stopped
    conclude: { status: diagnosed, diagnosis: stopped }
"#;

/// A command's output is read without its final newline in the real run
/// and in a case alike: a mock written with or without it takes the
/// branch the real `echo active` takes, through `eq`, `matches` and
/// `result.stdout`, and nothing needs a warning.
#[test]
fn a_mocked_stdout_with_or_without_the_newline_takes_the_branch_the_real_command_takes() {
    for expect in ["stdout: { eq: active }", "stdout: { matches: '^active$' }", "exit_code: 0"] {
        let runbook = ACTIVE.replace("stdout: { eq: active }", expect).replace(
            "on: { pass: running, fail: stopped, error: stopped }",
            "on:\n      pass:\n        - when: result.stdout == \"active\"\n          goto: running\n        - goto: stopped\n      fail: stopped\n      error: stopped",
        );
        for mocked in ["stdout: active", "stdout: \"active\\n\""] {
            let test = format!(
                "cases:\n  - name: runs\n    observations: {{ state: {{ cmd: {{ {mocked} }} }} }}\n    expect: {{ conclusion: running }}\n"
            );
            let case = files(&runbook, &test);
            Test::new()
                .files(&case)
                .args(["test", "service.test.yaml"])
                .status(0)
                .stderr_contains("1 passed, 0 failed");
            Test::new().files(&case).args(["check", "--deny-warnings", "service.test.yaml"]).status(0);
        }
        Test::new()
            .files(&files(&runbook, "cases: []\n"))
            .args(["run", "service.yaml", "--non-interactive", "--no-record"])
            .status(0)
            .stdout_contains("running");
    }
}

#[test]
fn a_mocked_error_the_probe_never_reports_is_refused_and_the_case_does_not_run() {
    let test = "cases:\n  - name: refused\n    observations: { state: { error: refused } }\n    expect: { conclusion: stopped }\n";
    Test::new()
        .files(&files(ACTIVE, test))
        .args(["test", "service.test.yaml"])
        .status(3)
        .stderr_contains("error[RB507]")
        .stderr_contains("a `cmd` probe never errs `refused`")
        .stderr_contains("`spawn_failed`");
}

/// A mocked `killed` takes the `error` branch a real `kill -9` takes,
/// whatever the step's expectations read (attack6 H3: a killed command
/// gave no answer).
#[test]
fn a_mocked_killed_command_errs_as_a_real_kill_does() {
    let test =
        "cases:\n  - name: oom\n    observations: { state: { error: killed } }\n    expect: { conclusion: stopped }\n";
    let killed = ACTIVE.replace("echo active", "echo active; kill -9 $$");
    Test::new().files(&files(&killed, test)).args(["test", "service.test.yaml"]).status(0);
    Test::new()
        .files(&files(&killed, "cases: []\n"))
        .args(["run", "service.yaml", "--non-interactive", "--no-record"])
        .status(0)
        .stdout_contains("error (killed)")
        .stdout_contains("stopped");
}

/// A called runbook that captures `errors` as text and only ever
/// concludes `resolved`.
const COUNTING: &str = r"
id: counting
title: Count errors
steps:
  - id: count
    collect:
      cmd: { sh: 'echo errors: 5' }
      capture:
        errors: { regex: 'errors: (\d+)', default: '0' }
  - id: done
    conclude: { status: resolved, diagnosis: counted }
";

/// A called runbook that counts each pod's errors: `errs` is a list of
/// numbers, one per pod.
const PER_POD: &str = r"
id: per-pod
title: Count each pod's errors
steps:
  - id: count
    collect:
      foreach: [api-1, api-2]
      as: pod
      cmd: { argv: [sh, -c, 'echo 2'] }
      capture:
        errs: { stdout: true, type: int }
  - id: done
    conclude: { status: resolved, diagnosis: counted }
";

#[test]
fn a_mocked_call_var_has_the_shape_of_its_captures_a_list_per_foreach_item() {
    let caller = r"
id: caller
title: Caller
steps:
  - id: sub
    call: { runbook: called.yaml }
    on:
      resolved:
        - when: steps.sub.vars.errs | reject('none') | max > 3
          goto: many
        - goto: few
      error: few
  - id: many
    conclude: { status: diagnosed, diagnosis: many }
  - id: few
    conclude: { status: resolved, diagnosis: few }
";
    let case = |errs: &str| {
        format!(
            "cases:\n  - name: a noisy pod\n    observations:\n      sub:\n        conclusion: {{ status: resolved }}\n        vars: {{ errs: {errs} }}\n    expect: {{ conclusion: many }}\n"
        )
    };
    for (errs, why) in [
        (
            "5",
            "capture `errs` is inside a `foreach`, which gives a list (one value per item), and the mock gives a number",
        ),
        (
            r#"["5", "1"]"#,
            "capture `errs` has `type: int`, and the mock's list holds a string (one per `foreach` item)",
        ),
    ] {
        Test::new()
            .files(&with_callee(caller, PER_POD, &case(errs)))
            .args(["test", "caller.test.yaml"])
            .status(3)
            .stderr_contains("error[RB507]")
            .stderr_contains(&format!("`called.yaml` never gives `vars.errs` this type: {why}"));
    }
    Test::new()
        .files(&with_callee(caller, PER_POD, &case("[5, null]")))
        .args(["test", "caller.test.yaml"])
        .status(0)
        .stderr_contains("1 passed, 0 failed");
}

#[test]
fn a_case_whose_run_fails_says_why_it_ended_without_a_conclusion() {
    let runbook = r#"
id: service
title: Service
steps:
  - id: stats
    collect:
      cmd: { argv: [sh, -c, 'echo "{}"'] }
      capture:
        stats: { json: $ }
    next:
      - when: vars.stats.depth > 100
        goto: backlog
      - goto: fine
  - id: backlog
    conclude: { status: diagnosed, diagnosis: backlog }
  - id: fine
    conclude: { status: resolved, diagnosis: fine }
"#;
    let test = "cases:\n  - name: a backlog\n    observations:\n      stats: { cmd: { stdout: '{\"depth\": \"1200\"}' } }\n    expect: { conclusion: backlog }\n";
    Test::new()
        .files(&files(runbook, test))
        .args(["test", "service.test.yaml"])
        .status(6)
        .stderr_contains("expected the run to conclude at `backlog`, but it ended `failed` without a conclusion: ")
        .stderr_contains("compares a string with a number");
}

/// A mocked call conclusion must have a severity the callee gives for that
/// status (and a remediation only where the callee writes one): a case
/// cannot prove a "page on critical" branch a `low`-only callee never
/// reaches.
#[test]
fn a_mocked_call_severity_must_be_one_the_called_runbook_gives() {
    let disk = r#"
id: disk
title: Disk check that never goes above low
steps:
  - id: a
    check:
      cmd: { sh: "df -P /" }
      expect: [ { exit_code: 0 } ]
    on: { pass: ok, fail: warn, error: warn }
  - id: ok
    conclude: { status: resolved, severity: info, diagnosis: fine }
  - id: warn
    conclude: { status: diagnosed, severity: low, diagnosis: "disk check failed" }
"#;
    let caller = r#"
id: caller
title: Caller
steps:
  - id: sub
    call: { runbook: called.yaml }
    on:
      diagnosed:
        - when: steps.sub.conclusion.severity >= "high"
          goto: page
        - goto: ticket
      resolved: ticket
      error: page
  - id: page
    conclude: { status: escalated, severity: critical, diagnosis: paged }
  - id: ticket
    conclude: { status: diagnosed, severity: low, diagnosis: ticket }
"#;
    let unreal = r#"cases:
  - name: critical disk pages
    observations:
      sub:
        conclusion: { status: diagnosed, severity: critical, diagnosis: "disk check failed" }
    expect: { conclusion: page }
  - name: fine with a remediation
    observations:
      sub:
        conclusion: { status: resolved, severity: info, remediation: "nothing" }
    expect: { conclusion: ticket }
"#;
    Test::new()
        .files(&with_callee(caller, disk, unreal))
        .args(["test", "caller.test.yaml"])
        .status(3)
        .stderr_contains("`called.yaml` never concludes `diagnosed` with `critical`")
        .stderr_contains("its `diagnosed` conclusions give `low`")
        .stderr_contains("`called.yaml` never gives a `remediation` when it concludes `resolved`");
    let real = "cases:\n  - name: low disk files a ticket\n    observations:\n      sub:\n        conclusion: { status: diagnosed, severity: low }\n    expect: { conclusion: ticket }\n";
    Test::new()
        .files(&with_callee(caller, disk, real))
        .args(["test", "caller.test.yaml"])
        .status(0)
        .stderr_contains("1 passed, 0 failed");
}

#[test]
fn a_mocked_call_must_end_as_the_called_runbook_can_with_the_vars_and_types_it_captures() {
    let caller = r"
id: caller
title: Caller
steps:
  - id: sub
    call: { runbook: called.yaml }
    on:
      resolved:
        - when: steps.sub.vars.errors | int > 3
          goto: many
        - goto: few
      error: few
  - id: many
    conclude: { status: diagnosed, diagnosis: many }
  - id: few
    conclude: { status: resolved, diagnosis: few }
";
    let unreal = r#"cases:
  - name: many errors
    observations:
      sub:
        conclusion: { status: resolved }
        vars: { errors: 5, eror: "1" }
    expect: { conclusion: many }
  - name: escalated
    observations:
      sub: { conclusion: { status: escalated } }
    expect: { conclusion: few }
"#;
    Test::new()
        .files(&with_callee(caller, COUNTING, unreal))
        .args(["test", "caller.test.yaml"])
        .status(3)
        .stderr_contains("`called.yaml` never gives `vars.errors` this type")
        .stderr_contains("`called.yaml` never sets `vars.eror`")
        .stderr_contains("did you mean `errors`?")
        .stderr_contains("`called.yaml` never concludes `escalated`");
    let real = "cases:\n  - name: many errors\n    observations:\n      sub:\n        conclusion: { status: resolved }\n        vars: { errors: \"5\" }\n    expect: { conclusion: many }\n";
    Test::new()
        .files(&with_callee(caller, COUNTING, real))
        .args(["test", "caller.test.yaml"])
        .status(0)
        .stderr_contains("1 passed, 0 failed");
}

/// The steps and edges a case takes inside a called runbook count for
/// that runbook, as planned with the caller: the text the case ran.
#[test]
fn coverage_counts_a_called_runbooks_edges_for_that_runbook() {
    let outer = r"
id: caller
title: Calls a sub-check
steps:
  - id: sub
    call: { runbook: called.yaml }
    on: { resolved: ok, diagnosed: ok, escalated: ok, inconclusive: ok, error: ok }
  - id: ok
    conclude: { status: resolved }
";
    let inner = r"
id: called
title: A sub-check
steps:
  - id: probe
    check:
      cmd: { argv: ['true'] }
      expect: [ { exit_code: 0 } ]
    on: { pass: done, fail: broken, error: broken }
  - id: done
    conclude: { status: resolved, diagnosis: fine }
  - id: broken
    conclude: { status: diagnosed, diagnosis: broken }
";
    let test = r"
cases:
  - name: the sub-check passes
    observations:
      sub/probe: { cmd: { exit_code: 0 } }
    expect: { path: [sub, sub/probe, sub/done, ok] }
";
    let output = Test::new()
        .files(&with_callee(outer, inner, test))
        .args(["test", "--coverage-format", "json", "caller.test.yaml"])
        .status(0);
    let report: serde_json::Value = output.json();
    let files = report["files"].as_array().unwrap();
    let found = files.iter().find(|file| file["path"] == "called.yaml");
    let found = found.unwrap_or_else(|| panic!("no coverage of called.yaml: {report}"));
    let covered: Vec<&str> =
        found["covered_edges"].as_array().unwrap().iter().map(|edge| edge["id"].as_str().unwrap()).collect();
    assert_eq!(covered, ["probe:on.pass"], "{report}");
}

/// A token a case's login answer gives, which the runbook sends as a
/// bearer token, is a secret in `runbook test` output as in a run: a
/// failed expectation on it shows it redacted.
#[test]
fn a_captured_token_is_redacted_in_test_output() {
    let runbook = r#"
id: login
title: Login
steps:
  - id: login
    check:
      http: { url: "http://127.0.0.1:1/login", method: POST }
      capture:
        token: { json: $.access_token }
  - id: use
    check:
      http:
        url: "http://127.0.0.1:1/admin"
        headers: { Authorization: "Bearer {{ vars.token }}" }
  - id: end
    conclude: { status: resolved }
"#;
    let test = r#"
cases:
  - name: the token is not what the case says
    observations:
      login: { http: { status: 200, body: '{"access_token":"mockTOKEN-abcdef123456"}' } }
      use: { http: { status: 200 } }
    expect: { vars: { token: "mockTOKEN-abcdef123456-x" } }
"#;
    let output = Test::new()
        .files(&[("login.yaml", runbook.as_bytes()), ("login.test.yaml", test.as_bytes())])
        .args(["test", "--junit", "junit.xml", "login.test.yaml"])
        .status(6);
    let junit = std::fs::read_to_string(output.path("junit.xml")).unwrap();
    for (what, text) in [("stdout", &output.stdout), ("stderr", &output.stderr), ("junit", &junit)] {
        assert!(!text.contains("mockTOKEN-abcdef123456\""), "the token reached {what}:\n{text}");
    }
    assert!(output.stderr.contains("[redacted:token]"), "{}", output.stderr);
}

/// A mocked https answer of a step that judges the handshake, without
/// `tls:` or `timing:`: the request opened its own connection, so it had a
/// handshake (`0ms`), as a real run's has, and the step passes
/// (review-12-user7 L7, answered as attack4 M2).
#[test]
fn a_mocked_https_answer_judged_on_its_handshake_had_one() {
    let runbook = r#"
id: hs
title: Handshake
steps:
  - id: h
    check:
      http: { url: "https://svc.example/", proxy: none }
      expect: [ { status: 200 }, { timing: tls, lt: 300ms, severity: warn } ]
    on: { pass: ok, warn: slow, fail: slow, error: slow }
  - { id: ok, conclude: { status: resolved } }
  - { id: slow, conclude: { status: diagnosed, diagnosis: slow } }
"#;
    let test = "cases:\n  - name: plain answer\n    observations: { h: { http: { status: 200 } } }\n    expect: { outcomes: \
                { h: pass } }\n";
    let files = [("hs.yaml", runbook.as_bytes()), ("hs.test.yaml", test.as_bytes())];
    let output = Test::new().files(&files).args(["test", "."]).status(0);
    assert!(output.stderr.ends_with("1 passed, 0 failed\n"), "{}", output.stderr);
}

/// review-12-user7 L10: a path given with `--from-record` is refused with
/// usage lines that show the path optional and the `--from-record` form.
#[test]
fn from_record_with_a_path_shows_both_usages() {
    let output = Test::new().args(["test", "t.yaml", "--from-record", "rec"]).status(2);
    assert!(output.stderr.contains("cannot be used with"), "{}", output.stderr);
    assert!(
        output.stderr.contains("Usage: runbook test [OPTIONS] [PATH]...\n       runbook test --from-record <DIR>"),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains("<PATH>"), "{}", output.stderr);
}
