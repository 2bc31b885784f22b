//! Secrets in the forms the engine itself makes of them (shell quoting,
//! JSON bodies escaped again by an echo, a URL parser's rewrites, escapes a
//! command interprets, JSON re-serialized, wrapped base64): every byte the
//! run writes is searched for them.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::Test;
use crate::http_server::{Server, respond};

/// Every byte a run wrote: stdout, stderr and each file of `dir`.
fn sinks(stdout: &str, stderr: &str, dir: &Path) -> Vec<(String, String)> {
    let mut found = vec![("stdout".to_owned(), stdout.to_owned()), ("stderr".to_owned(), stderr.to_owned())];
    for entry in std::fs::read_dir(dir).expect("record directory") {
        let path = entry.expect("entry").path();
        found.push((path.display().to_string(), String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()));
    }
    assert!(found.len() >= 5, "journal, record.json and record.md: {found:?}");
    found
}

/// `text` JSON-escaped, without its quotes.
fn json_escaped(text: &str) -> String {
    serde_json::to_string(text).unwrap().trim_matches('"').to_owned()
}

#[track_caller]
fn assert_nowhere(sinks: &[(String, String)], canaries: &[String]) {
    for (sink, text) in sinks {
        for canary in canaries {
            assert!(!text.contains(canary.as_str()), "`{canary}` reached {sink}:\n{text}");
        }
    }
}

#[test]
fn secrets_are_redacted_in_the_forms_the_engine_makes_of_them() {
    // Answers with the raw request body inside JSON, as echo services and
    // error pages do: what the engine JSON-escaped is escaped once more.
    let server = Server::start(|request, stream| {
        let echo = serde_json::json!({ "path": request.path, "data": String::from_utf8_lossy(&request.body) });
        respond(
            stream,
            "500 Internal Server Error",
            &[("content-type", "application/json")],
            echo.to_string().as_bytes(),
        )
    });
    let quote = "it's-Ar9 x";
    let escaped = r#"pa"ss\Zk7"#;
    let interpreted = r"Hunter\r2Secret\tTab9";
    let document = r#"["Cmp7secret-leaf", 3]"#;
    let long = format!("WrapSecret-{}", "abcdefghij".repeat(8));
    let short = "Xk9#m";
    let host = "Zq9Canary77";
    let path = "Bk1\\Sl2\tTb3";
    let yaml = format!(
        r#"
id: forms
title: Forms
inputs:
  quote: {{ secret: true, env: RB_QUOTE }}
  escaped: {{ secret: true, env: RB_ESCAPED }}
  interpreted: {{ secret: true, env: RB_INTERPRETED }}
  document: {{ secret: true, env: RB_DOCUMENT }}
  long: {{ secret: true, env: RB_LONG }}
  short: {{ secret: true, env: RB_SHORT }}
  host: {{ secret: true, env: RB_HOST }}
  path: {{ secret: true, env: RB_PATH }}
steps:
  - id: argv
    check:
      cmd: {{ argv: ["false", "--password={{{{ inputs.quote }}}}"] }}
      expect: [ {{ exit_code: 0 }} ]
    next: sh
  - id: sh
    check:
      cmd: {{ sh: "echo hi {{{{ inputs.quote }}}} >/dev/null; false" }}
      expect: [ {{ exit_code: 0 }} ]
    next: body
  - id: body
    check:
      http: {{ method: POST, url: "http://127.0.0.1:{port}/echo", json: {{ token: "{{{{ inputs.escaped }}}}" }} }}
      expect: [ {{ status: 200 }} ]
    next: printed
  - id: printed
    check:
      cmd:
        sh: 'printf "$T\n"; printf "%s\n" "$D"; printf %s "$L" | base64; printf "u:%s" "$L" | base64 -w0 | fold -w 64; echo; printf "bob:%s" "$S" | base64; printf %s "$S" | base64'
        env: {{ T: "{{{{ inputs.interpreted }}}}", D: "{{{{ inputs.document }}}}", L: "{{{{ inputs.long }}}}", S: "{{{{ inputs.short }}}}" }}
      expect: [ {{ exit_code: 1 }} ]
    next: parsed
  - id: parsed
    collect:
      cmd: {{ argv: [printf, "%s", "{{{{ inputs.document }}}}"] }}
      capture: {{ out: {{ stdout: true, type: json }}, leaf: {{ json: "$[0]" }} }}
    next: dns
  - id: dns
    check:
      http: {{ url: "http://{{{{ inputs.host }}}}.invalid/x", timeout: 2s }}
      expect: [ {{ status: 200 }} ]
    next: parser
  - id: parser
    check:
      http: {{ url: "http://127.0.0.1:{port}/x/{{{{ inputs.path }}}}" }}
      expect: [ {{ status: 200 }} ]
    next: end
  - id: end
    conclude: {{ status: inconclusive, diagnosis: "leaf {{{{ vars.leaf }}}}" }}
"#,
        port = server.port
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env("RB_QUOTE", quote)
        .env("RB_ESCAPED", escaped)
        .env("RB_INTERPRETED", interpreted)
        .env("RB_DOCUMENT", document)
        .env("RB_LONG", &long)
        .env("RB_SHORT", short)
        .env("RB_HOST", host)
        .env("RB_PATH", path)
        .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"])
        .status(0);
    let all = sinks(&output.stdout, &output.stderr, &output.path("rec"));
    let mut canaries = vec![
        // F1: the shell-quoted form, in argv and in `sh:`.
        "it'\\''s-Ar9".to_owned(),
        // F5: JSON-escaped once, and once more by the echo.
        json_escaped(escaped),
        json_escaped(&json_escaped(escaped)),
        // The escapes a command interpreted, shown as escapes again.
        interpreted.to_owned(),
        json_escaped(&interpreted.replace("\\r", "\r").replace("\\t", "\t")),
        // F23: the document re-serialized and its leaf.
        r#"["Cmp7secret-leaf",3]"#.to_owned(),
        "Cmp7secret-leaf".to_owned(),
        // F2: the host as the URL parser lower-cases it.
        host.to_lowercase(),
        // F21: the path as the URL parser rewrites it.
        "Bk1/Sl2Tb3".to_owned(),
        // F16: a short password inside base64.
        STANDARD.encode(format!("bob:{short}")).trim_end_matches('=').to_owned(),
        STANDARD.encode(short).trim_end_matches('=').to_owned(),
    ];
    // F30: each line of the wrapped base64, as `base64` (76) and `fold -w 64` wrap it.
    let wrapped = STANDARD.encode(&long);
    canaries.extend(wrapped.as_bytes().chunks(76).map(|line| String::from_utf8_lossy(line).into_owned()));
    let basic = STANDARD.encode(format!("u:{long}"));
    canaries.extend(basic.as_bytes().chunks(64).map(|line| String::from_utf8_lossy(line).into_owned()));
    for secret in [quote, escaped, &long, short, host, path] {
        canaries.push(secret.to_owned());
        canaries.push(json_escaped(secret));
    }
    canaries.retain(|canary| canary.len() >= 5);
    assert_nowhere(&all, &canaries);
    let journal = &all.iter().find(|(name, _)| name.ends_with("journal.jsonl")).unwrap().1;
    for name in ["quote", "escaped", "interpreted", "document", "long", "short", "host", "path"] {
        assert!(journal.contains(&format!("[redacted:{name}]")), "no `[redacted:{name}]` in the journal:\n{journal}");
    }
}

#[test]
fn render_shows_a_secret_default_redacted() {
    let runbook = r#"
id: rend
title: Render
inputs:
  tok: { secret: true, default: "RendDefault77" }
  region: { default: "eu-west-1" }
steps:
  - id: done
    conclude: { status: inconclusive }
"#;
    let output = Test::new().files(&[("rend.yaml", runbook.as_bytes())]).args(["render", "rend.yaml"]).status(0);
    assert!(!output.stdout.contains("RendDefault77"), "{}", output.stdout);
    assert!(output.stdout.contains("`[redacted:tok]`") && output.stdout.contains("eu-west-1"), "{}", output.stdout);
}

#[test]
fn a_called_runbooks_secrets_are_redacted_before_the_call() {
    let inner = r#"
id: envce
title: Callee
inputs:
  k: { env: CALLEE_KEY, secret: true, required: false }
steps:
  - id: e
    check:
      env: { set: [CALLEEPW] }
    next: done
  - id: done
    conclude: { status: inconclusive, diagnosis: "callee" }
"#;
    let outer = r#"
id: envcr
title: Caller
steps:
  - id: first
    check:
      cmd: { sh: 'echo "pw is $CALLEEPW key $CALLEE_KEY"' }
      expect: [ { exit_code: 1 } ]
    next: c
  - id: c
    call: { runbook: nested/envce.yaml }
    next: done
  - id: done
    conclude: { status: inconclusive, diagnosis: "x" }
"#;
    let output = Test::new()
        .files(&[("envcr.yaml", outer.as_bytes()), ("nested/envce.yaml", inner.as_bytes())])
        .env("CALLEEPW", "CalleeEnvSecret9")
        .env("CALLEE_KEY", "CalleeKeySecret8")
        .args(["run", "envcr.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"])
        .status(0);
    let all = sinks(&output.stdout, &output.stderr, &output.path("rec"));
    assert_nowhere(&all, &["CalleeEnvSecret9".to_owned(), "CalleeKeySecret8".to_owned()]);
    assert!(output.stdout.contains("pw is [redacted:CALLEEPW] key [redacted:k]"), "{}", output.stdout);
}

/// A run that captures a value holding a secret, then waits at a question
/// before a step that sends that value.
const CAPTURE_THEN_WAIT: &str = r#"
id: resumable
title: Resumable
inputs:
  tok: { env: RB_TOK, secret: true, required: false }
steps:
  - id: login
    collect:
      cmd: { sh: 'printf %s "Bearer $T"', env: { T: "{{ inputs.tok }}" } }
      capture: { auth: { stdout: true } }
  - id: q
    ask: { question: "Go on?", choices: [ { answer: go } ] }
    on: { go: use }
  - id: use
    collect:
      cmd: { sh: 'printf %s "$A" > sent.txt', env: { A: "{{ vars.auth }}" } }
    next: done
  - id: done
    conclude: { status: inconclusive, diagnosis: "done" }
"#;

#[test]
fn resume_refuses_to_go_on_without_a_secret_the_run_had() {
    let output = Test::new()
        .files(&[("runbook.yaml", CAPTURE_THEN_WAIT.as_bytes())])
        .env("RB_TOK", "ResumeCanary4")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let rec = output.path("rec");
    let rec = rec.to_str().unwrap();
    Test::new()
        .env_remove("RB_TOK")
        .args(["resume", rec, "--non-interactive", "--answer", "q=go"])
        .status(2)
        .stderr_contains("secret input `tok` had a value in the run")
        .stderr_contains("$RB_TOK or --input tok=");
    assert!(!output.path("sent.txt").exists(), "nothing ran after the refusal");
}

/// Runs FILES with the canary token until the run waits at its question
/// (exit 5), then resumes it answering `q=go`, which must stop (exit 4);
/// gives the run's directory and what the resume printed.
fn stop_then_resume(files: &[(&str, &[u8])]) -> (std::path::PathBuf, String) {
    let output = Test::new()
        .files(files)
        .env("RB_TOK", "ResumeCanary4")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let dir = output.path("rec").parent().unwrap().to_path_buf();
    let resumed = Test::new()
        .in_dir(&dir)
        .env("RB_TOK", "ResumeCanary4")
        .args(["resume", "rec", "--non-interactive", "--answer", "q=go"])
        .status(4);
    let said = format!("{}{}", resumed.stdout, resumed.stderr);
    (dir, said)
}

/// Whatever a template makes of a value that came back redacted (encoded,
/// upper-cased, reversed, …), it is never sent: the guard follows where the
/// value came from, not what the placeholder looks like once filtered.
#[test]
fn a_resumed_run_never_sends_a_redacted_placeholder() {
    for filter in ["", " | urlencode", " | upper", " | replace('[', '(')", " | reverse", " | tojson", " | trim"] {
        let runbook = CAPTURE_THEN_WAIT.replace("{{ vars.auth }}", &format!("{{{{ vars.auth{filter} }}}}"));
        let (dir, said) = stop_then_resume(&[("runbook.yaml", runbook.as_bytes())]);
        assert!(said.contains("would send a value made from `vars.auth`"), "{filter}: {said}");
        assert!(
            !dir.join("sent.txt").exists(),
            "{filter}: the placeholder was sent: {:?}",
            std::fs::read_to_string(dir.join("sent.txt"))
        );
    }
    // Uninterrupted, the same runbook sends the value itself.
    let whole = Test::new()
        .files(&[("runbook.yaml", CAPTURE_THEN_WAIT.as_bytes())])
        .env("RB_TOK", "ResumeCanary4")
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record", "--answer", "q=go"])
        .status(0);
    assert!(!whole.stdout.contains("ResumeCanary4"), "{}", whole.stdout);
    assert_eq!(std::fs::read_to_string(whole.path("sent.txt")).unwrap(), "Bearer ResumeCanary4");
}

/// A `call` input made from a value that came back redacted is one in the
/// called runbook too: what the callee makes of it is not sent either.
#[test]
fn a_resumed_call_never_sends_what_it_was_given_from_a_redacted_value() {
    let outer = CAPTURE_THEN_WAIT.replace(
        "    collect:\n      cmd: { sh: 'printf %s \"$A\" > sent.txt', env: { A: \"{{ vars.auth }}\" } }",
        "    call: { runbook: callee.yaml, inputs: { a: \"{{ vars.auth }}\" } }",
    );
    assert!(outer.contains("callee.yaml"), "{outer}");
    let inner = r#"
id: callee
title: Callee
inputs:
  a: { required: true }
steps:
  - id: send
    collect:
      cmd: { sh: 'printf %s "$A" > sent.txt', env: { A: "{{ inputs.a | upper }}" } }
    next: done
  - id: done
    conclude: { status: inconclusive, diagnosis: "sent" }
"#;
    let (dir, said) = stop_then_resume(&[("runbook.yaml", outer.as_bytes()), ("callee.yaml", inner.as_bytes())]);
    assert!(said.contains("would send a value made from `inputs.a`"), "{said}");
    assert!(!dir.join("sent.txt").exists(), "sent: {:?}", std::fs::read_to_string(dir.join("sent.txt")));
}

#[test]
fn short_settings_checked_by_an_env_probe_are_not_redacted_as_substrings() {
    let runbook = r#"
id: envp
title: Env
steps:
  - id: e
    check:
      env: { non_empty: [REGION, KUBE_NAMESPACE, DB_PASSWORD, LONG_SETTING] }
    next: c
  - id: c
    check:
      cmd: { sh: 'echo "status $REGION $KUBE_NAMESPACE pw=$DB_PASSWORD long=$LONG_SETTING"' }
      expect: [ { exit_code: 1 } ]
    next: done
  - id: done
    conclude: { status: inconclusive, diagnosis: "status from the default namespace" }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", runbook.as_bytes())])
        .env("REGION", "us")
        .env("KUBE_NAMESPACE", "default")
        .env("DB_PASSWORD", "hunt3r")
        .env("LONG_SETTING", "Lng7settingvalue")
        .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"])
        .status(0);
    let all = sinks(&output.stdout, &output.stderr, &output.path("rec"));
    assert_nowhere(&all, &["hunt3r".to_owned(), "Lng7settingvalue".to_owned()]);
    assert!(
        output.stdout.contains("status us default pw=[redacted:DB_PASSWORD] long=[redacted:LONG_SETTING]"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("status from the default namespace"), "{}", output.stdout);
}

#[test]
fn a_secret_cut_by_the_dropped_middle_of_a_long_output_is_redacted_in_its_captures_too() {
    // The first 512 KiB end 8 bytes into the secret; the rest of it is in
    // the dropped middle.
    let runbook = r#"
id: big
title: Big
inputs:
  tok: { env: RB_TOK, secret: true }
steps:
  - id: big
    collect:
      cmd:
        sh: 'head -c 524280 /dev/zero | tr "\0" x; printf %s "$T"; head -c 3000000 /dev/zero | tr "\0" y'
        env: { T: "{{ inputs.tok }}" }
      capture: { whole: { stdout: true } }
    next: done
  - id: done
    conclude: { status: inconclusive, diagnosis: "tail {{ vars.whole | length }}" }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", runbook.as_bytes())])
        .env("RB_TOK", "BoundaryCanary12345")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0);
    let all = sinks(&output.stdout, &output.stderr, &output.path("rec"));
    assert_nowhere(&all, &["xBoundary".to_owned(), "xBounda".to_owned()]);
    let journal = &all.iter().find(|(name, _)| name.ends_with("journal.jsonl")).unwrap().1;
    assert!(journal.matches("x[redacted:tok]").count() >= 2, "the output and the capture");
}

/// A called runbook's inputs read from the environment are settled before
/// the first step (a required one unset stops nothing half-way), and its
/// secrets that had a value must be there again on resume, optional ones
/// included: the call never goes on without them.
#[test]
fn a_called_runbooks_secrets_from_the_environment_are_settled_before_the_run_and_on_resume() {
    let outer = r#"
id: caller
title: Caller
steps:
  - id: pre
    collect:
      cmd: { sh: 'echo ran >> pre.txt' }
  - id: q
    ask: { question: "Call?", choices: [ { answer: go } ] }
    on: { go: c }
  - id: c
    call: { runbook: callee.yaml }
    next: done
  - id: done
    conclude: { status: inconclusive, diagnosis: "{{ steps.c.conclusion.diagnosis }}" }
"#;
    let inner = r#"
id: callee
title: Callee
inputs:
  pw: { env: CALLEE_PW, secret: true }
  opt: { env: CALLEE_OPT, secret: true, required: false }
steps:
  - id: done
    conclude: { status: diagnosed, diagnosis: "pw {{ inputs.pw }} opt {{ inputs.opt }}" }
"#;
    let files: &[(&str, &[u8])] = &[("runbook.yaml", outer.as_bytes()), ("callee.yaml", inner.as_bytes())];
    let refused = Test::new()
        .files(files)
        .env_remove("CALLEE_PW")
        .env("CALLEE_OPT", "OptCanary77")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(2)
        .stderr_contains("step `c` calls")
        .stderr_contains("input `pw` is required and has no value: set $CALLEE_PW");
    assert!(!refused.path("pre.txt").exists() && !refused.path("rec").exists(), "nothing ran, nothing recorded");
    let waiting = Test::new()
        .files(files)
        .env("CALLEE_PW", "PwCanary55")
        .env("CALLEE_OPT", "OptCanary77")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let journal = std::fs::read_to_string(waiting.path("rec/journal.jsonl")).unwrap();
    assert!(journal.contains(r#""env_secrets":["pw","opt"]"#), "{journal}");
    let dir = waiting.path("rec").parent().unwrap().to_path_buf();
    Test::new()
        .in_dir(&dir)
        .env("CALLEE_PW", "PwCanary55")
        .env_remove("CALLEE_OPT")
        .args(["resume", "rec", "--non-interactive", "--answer", "q=go"])
        .status(2)
        .stderr_contains("secret input `opt` of the called runbook")
        .stderr_contains("set $CALLEE_OPT again");
    let resumed = Test::new()
        .in_dir(&dir)
        .env("CALLEE_PW", "PwCanary55")
        .env("CALLEE_OPT", "OptCanary77")
        .args(["resume", "rec", "--non-interactive", "--answer", "q=go"])
        .status(0);
    assert!(resumed.stdout.contains("pw [redacted:pw] opt [redacted:opt]"), "{}", resumed.stdout);
    assert_eq!(std::fs::read_to_string(dir.join("pre.txt")).unwrap(), "ran\n", "the refused resume ran nothing");
}
