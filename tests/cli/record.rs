//! The incident record: `journal.jsonl`, `record.json` and `record.md`,
//! written for every ending, rebuilt from the journal after SIGKILL, valid
//! against the committed schema, and free of secrets.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Test, workspace};

/// `record.json` in `dir`, validated against `schemas/record.schema.json`.
#[track_caller]
fn valid_record(dir: &Path) -> Value {
    crate::valid_record(&dir.join("record.json"))
}

/// `record.md` with what differs between machines replaced (the host, the
/// engine's version, the temporary directory), so that it can be compared
/// with a snapshot. Times need no replacing: the run is on virtual time.
fn normalised(markdown: &str) -> String {
    let rules = [
        (r"on \S+ \|", "on <host> |"),
        (r"runbook \d+\.\d+\.\d+", "runbook <version>"),
        (r"\(/[^)]*/runbook\.yaml\)", "(<dir>/runbook.yaml)"),
    ];
    rules.iter().fold(markdown.to_owned(), |text, (pattern, replacement)| {
        regex::Regex::new(pattern).unwrap().replace_all(&text, *replacement).into_owned()
    })
}

const TRIAGE: &str = r#"
id: record-demo
title: Record demo
version: 2
record: |
  **{{ conclusion.status | upper }}** ({{ run.runbook }}): the service was {{ vars.state }};
  path {{ path | join(" → ") }}; {{ vars.missing | default("no missing var") }}.
inputs:
  token: { secret: true, env: RB_TOKEN }
steps:
  - id: probe
    title: Does the command succeed?
    check:
      cmd: { sh: "echo 'state: degraded'; echo token={{ inputs.token }}; exit 1" }
      expect: [ { exit_code: 0, message: the service script exits 0 when healthy } ]
      capture: { state: { regex: "state: (\\w+)" } }
    on: { fail: ask }
  - id: ask
    ask:
      question: "The service is {{ vars.state }}. Restart it?"
      type: confirm
      evidence: [probe]
    on: { "yes": restart, "no": escalate }
  - id: restart
    action:
      confirm: Restarts the demo service.
      cmd: { argv: [echo, restarted] }
    on: { pass: fixed, skipped: escalate }
  - id: fixed
    conclude:
      status: resolved
      severity: medium
      diagnosis: "The service was {{ vars.state }}; a restart fixed it."
      followups: [Find out why it degraded]
  - id: escalate
    conclude:
      status: escalated
      severity: high
      diagnosis: "The service is {{ vars.state }}."
      escalation: { to: [platform-oncall], message: "Degraded since {{ run.started_at }}", evidence: [probe] }
"#;

fn record_run(args: &[&str], status: i32) -> crate::Output {
    record_test(args).status(status)
}

fn record_test(args: &[&str]) -> Test {
    Test::new()
        .files(&[("runbook.yaml", TRIAGE.as_bytes())])
        .env("RB_TOKEN", "canary-token-0451")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec", "--operator", "alice"])
        .args(args)
}

/// On virtual time (`RUNBOOK_VIRTUAL_CLOCK`), the record is the same on
/// every run: the golden holds its times as they are.
#[test]
fn a_concluded_run_writes_a_complete_record() {
    let output = record_test(&["--answer", "ask=yes", "--yes"]).env("RUNBOOK_VIRTUAL_CLOCK", "1").status(0);
    let dir = output.path("rec");
    let record = valid_record(&dir);
    assert_eq!(record["status"], "concluded");
    assert_eq!(record["conclusion"]["status"], "resolved");
    assert_eq!(record["path"], serde_json::json!(["probe", "ask", "restart", "fixed"]));
    assert_eq!(record["run"]["operator"], "alice");
    assert_eq!(record["run"]["version"], "2");
    assert_eq!(record["run"]["sha256"].as_str().unwrap().len(), 64);
    let probe = &record["steps"][0];
    assert_eq!(probe["outcome"], "fail");
    assert_eq!(probe["captures"]["state"], "degraded");
    let expectation = &probe["attempts"][0]["probes"][0]["expectations"][0];
    assert_eq!((expectation["expected"].clone(), expectation["actual"].clone()), (Value::from(0), Value::from(1)));
    let question = &record["steps"][1]["question"];
    assert_eq!(question["question"], "The service is degraded. Restart it?");
    assert_eq!(question["evidence"], serde_json::json!(["probe"]));
    assert_eq!((question["answer"].clone(), question["by"].clone()), ("yes".into(), "script".into()));
    assert_eq!(record["steps"][2]["action"]["decision"], "run");
    // Compact, one line: a file for programs (`jq .` indents it).
    let json = std::fs::read_to_string(dir.join("record.json")).unwrap();
    assert_eq!(json.lines().count(), 1, "{json}");
    assert!(json.ends_with("}\n") && !json.contains("\n  "), "{json}");
    insta::assert_snapshot!(
        "record_concluded_md",
        normalised(&std::fs::read_to_string(dir.join("record.md")).unwrap())
    );
}

/// `RUNBOOK_VIRTUAL_CLOCK`: a real command polled every ten minutes takes
/// no real time; the interpreter, the journal and the record read one
/// virtual clock, which moves only with the waits, and the record says so.
#[test]
fn on_virtual_time_waits_pass_at_once_and_the_record_says_its_times_are_not_real() {
    let yaml = r#"
id: polled
title: Polled
steps:
  - id: poll
    check:
      cmd: { sh: "exit 1" }
      expect: [ { exit_code: 0 } ]
    retry: { attempts: 3, interval: 10m, until: pass }
  - id: end
    conclude: { status: diagnosed }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env("RUNBOOK_VIRTUAL_CLOCK", "1")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0);
    let journal = std::fs::read_to_string(output.path("rec/journal.jsonl")).unwrap();
    let stamps: Vec<(String, u64)> = journal
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|entry| entry["event"] == "attempt_finished")
        .map(|entry| (entry["at"].as_str().unwrap().to_owned(), entry["elapsed_ms"].as_u64().unwrap()))
        .collect();
    let expected = [
        ("2026-01-01T00:00:00.000Z", 0),
        ("2026-01-01T00:10:00.000Z", 600_000),
        ("2026-01-01T00:20:00.000Z", 1_200_000),
    ];
    assert_eq!(stamps, expected.map(|(at, elapsed)| (at.to_owned(), elapsed)));
    let record = valid_record(&output.path("rec"));
    assert_eq!(
        (record["run"]["virtual_time"].clone(), record["duration_ms"].clone()),
        (Value::Bool(true), Value::from(1_200_000))
    );
    assert_eq!(record["run"]["id"], "20260101T000000Z-polled");
    let markdown = std::fs::read_to_string(output.path("rec/record.md")).unwrap();
    assert!(markdown.contains("**Virtual time**: the run's clock was virtual"), "{markdown}");
    // Only `1` turns it on: `0`, written to be sure it is off, leaves the
    // machine's clock (review-8-attack3 L7).
    let real = Test::new()
        .files(&[("runbook.yaml", yaml.replace("10m", "1ms").as_bytes())])
        .env("RUNBOOK_VIRTUAL_CLOCK", "0")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0);
    let record = valid_record(&real.path("rec"));
    assert!(record["run"].get("virtual_time").is_none(), "{}", record["run"]);
    assert!(!std::fs::read_to_string(real.path("rec/record.md")).unwrap().contains("Virtual time"));
}

#[test]
fn a_run_waiting_for_an_answer_writes_its_record() {
    let output = record_run(&[], 5);
    let record = valid_record(&output.path("rec"));
    assert_eq!(record["status"], "waiting");
    assert!(record["message"].as_str().unwrap().contains("step `ask` needs an answer"));
    assert_eq!(record["steps"][1]["question"]["answer"], Value::Null);
    let markdown = std::fs::read_to_string(output.path("rec/record.md")).unwrap();
    // As the terminal shows it: the backticks are text, not code marks.
    assert!(markdown.contains(r"**Run waiting**: step \`ask\` needs an answer"), "{markdown}");
    assert!(markdown.contains("**Answer**: none (the run stopped waiting for one)"), "{markdown}");
}

#[test]
fn no_secret_reaches_any_file_or_output() {
    let output = record_run(&["--answer", "ask=no", "--verbose"], 0);
    assert!(!output.stdout.contains("canary-token-0451") && !output.stderr.contains("canary-token-0451"));
    for entry in std::fs::read_dir(output.path("rec")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("canary-token-0451"), "{} holds the secret", path.display());
        if path.ends_with("journal.jsonl") {
            assert!(text.contains("[redacted:token]"), "the journal should show where the secret was");
        }
    }
}

#[test]
fn an_unwritable_record_directory_is_reported_before_anything_runs() {
    let yaml = "id: x\ntitle: x\nsteps:\n  - id: a\n    check: { cmd: { argv: [touch, ran] } }\n  - id: b\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes()), ("blocker", b"a file, not a directory")])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "blocker/rec"])
        .status(1);
    assert!(output.stderr.contains("cannot write the incident record in `blocker/rec`"), "{}", output.stderr);
    assert!(!output.path("ran").exists(), "a probe ran before the record directory was checked");
}

const SLOW: &str = r#"
id: slow
title: Slow
steps:
  - id: first
    check: { cmd: { argv: ["true"] } }
  - id: second
    check: { cmd: { argv: [sleep, "30"] } }
  - id: end
    conclude: { status: resolved }
"#;

/// Starts `runbook run` on SLOW in `dir` and waits until the journal shows
/// the step `second` started.
fn start_slow(dir: &Path) -> std::process::Child {
    std::fs::write(dir.join("runbook.yaml"), SLOW).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(dir)
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let journal = dir.join("rec/journal.jsonl");
    let started = Instant::now();
    while !std::fs::read_to_string(&journal).unwrap_or_default().contains(r#""step":"second""#) {
        assert!(started.elapsed() < Duration::from_secs(20), "the run never reached `second`");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn sigterm_aborts_the_run_and_the_record_says_so() {
    let dir = crate::Scratch::new();
    let mut child = start_slow(dir.path());
    send_signal(i32::try_from(child.id()).unwrap(), "TERM");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let record = valid_record(&dir.path().join("rec"));
    assert_eq!(record["status"], "aborted");
    assert_eq!(record["path"], serde_json::json!(["first", "second"]));
    assert_eq!(record["steps"][1]["outcome"], "error");
}

/// A SIGTERM or SIGHUP sent again while the run stops (GNU `timeout`
/// signals the run, then its process group; a supervisor retries) is the
/// same stop, not the operator's second Ctrl-C: the record is written.
#[test]
fn a_sigterm_or_sighup_sent_again_is_the_same_stop_and_the_record_is_written() {
    let stubborn = r#"
id: stubborn
title: Stubborn
steps:
  - id: wait
    check: { cmd: { sh: 'trap "" TERM INT HUP; echo begun > begun.txt; sleep 10' } }
  - id: end
    conclude: { status: resolved }
"#;
    for (first, again) in [("TERM", "TERM"), ("HUP", "TERM"), ("TERM", "HUP")] {
        let dir = crate::Scratch::new();
        std::fs::write(dir.path().join("runbook.yaml"), stubborn).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_runbook"))
            .current_dir(dir.path())
            .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !dir.path().join("begun.txt").exists() {
            assert!(started.elapsed() < Duration::from_secs(20), "the probe never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        let pid = i32::try_from(child.id()).unwrap();
        send_signal(pid, first);
        // The probe ignores SIGTERM: the run waits 2 s before killing it.
        std::thread::sleep(Duration::from_millis(500));
        send_signal(pid, again);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{first} then {again}");
        let record = valid_record(&dir.path().join("rec"));
        assert_eq!(record["status"], "aborted", "{first} then {again}");
    }
}

#[test]
fn after_sigkill_the_journal_alone_rebuilds_the_record() {
    let dir = crate::Scratch::new();
    let mut child = start_slow(dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
    let rec = dir.path().join("rec");
    assert!(!rec.join("record.json").exists());
    Test::new().args(["record", rec.to_str().unwrap()]).status(0).stderr_contains("run interrupted");
    let record = valid_record(&rec);
    assert_eq!(record["status"], "interrupted");
    assert!(record["message"].as_str().unwrap().contains("during step `second`"), "{}", record["message"]);
    assert_eq!(record["steps"][0]["outcome"], "pass");
    let markdown = std::fs::read_to_string(rec.join("record.md")).unwrap();
    assert!(markdown.contains("(interrupted)"), "{markdown}");
}

#[test]
fn the_committed_record_schema_matches_the_code() {
    let generated = Test::new().args(["schema", "record"]).status(0).stdout;
    let committed = std::fs::read_to_string(workspace().join("schemas/record.schema.json")).expect("committed");
    assert!(
        generated == committed,
        "schemas/record.schema.json is stale: run `cargo run -q -p runbook-cli -- schema record > schemas/record.schema.json`"
    );
}

/// What a change breaks, and the change.
type Breakage = (&'static str, fn(&mut Value));

/// The schema describes every field: a record with a field it does not
/// know, or a value outside a field's type or enum, is refused.
#[test]
fn the_record_schema_refuses_what_a_record_cannot_hold() {
    let output = record_run(&["--answer", "ask=yes", "--yes"], 0);
    let record = valid_record(&output.path("rec"));
    let schema: Value = serde_json::from_str(&Test::new().args(["schema", "record"]).status(0).stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let breakages: [Breakage; 11] = [
        ("an unknown top-level field", |r| r["colour"] = Value::from(1)),
        ("an unknown probe kind", |r| r["steps"][0]["attempts"][0]["probes"][0]["probe"] = Value::from("dns")),
        ("an unknown observation field", |r| {
            r["steps"][0]["attempts"][0]["probes"][0]["observation"]["colour"] = Value::from(1);
        }),
        ("an unknown expectation field", |r| {
            r["steps"][0]["attempts"][0]["probes"][0]["expectations"][0]["colour"] = Value::from(1);
        }),
        ("an observation of another probe's kind", |r| {
            r["steps"][0]["attempts"][0]["probes"][0]["observation"]["probe"] = Value::from("tcp");
        }),
        ("an unknown status", |r| r["status"] = Value::from("passed")),
        ("an unknown run field", |r| r["run"]["colour"] = Value::from(1)),
        ("an unknown mode", |r| r["run"]["mode"] = Value::from("turbo")),
        ("an unknown step kind", |r| r["steps"][0]["kind"] = Value::from("probe")),
        ("an outcome that is not one", |r| r["steps"][0]["attempts"][0]["probes"][0]["outcome"] = Value::from("ok")),
        ("a byte count that is text", |r| {
            r["steps"][0]["attempts"][0]["probes"][0]["observation"]["stdout"]["total_bytes"] = Value::from("12");
        }),
    ];
    for (what, breaking) in breakages {
        let mut broken = record.clone();
        breaking(&mut broken);
        assert!(!validator.is_valid(&broken), "the schema accepts {what}");
    }
    // Every object the schema describes is closed, so a field added to a
    // type without regenerating the schema fails this suite's records.
    let mut open = Vec::new();
    open_objects(&schema, "#", &mut open);
    assert!(open.is_empty(), "objects that take any field: {open:?}");
}

/// Where `schema` describes an object with `properties` that allows other
/// fields too.
fn open_objects(schema: &Value, at: &str, open: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && map.get("additionalProperties") != Some(&Value::Bool(false)) {
                open.push(at.to_owned());
            }
            for (key, value) in map {
                open_objects(value, &format!("{at}/{key}"), open);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                open_objects(item, &format!("{at}/{index}"), open);
            }
        }
        _ => {}
    }
}

/// Sends `signal` (`TERM`, `INT`, `HUP`, `KILL`) to the process `pid`, or to the
/// process group `-pid`.
fn send_signal(pid: i32, signal: &str) {
    use nix::sys::signal::{Signal, kill};
    let signal = match signal {
        "TERM" => Signal::SIGTERM,
        "INT" => Signal::SIGINT,
        "HUP" => Signal::SIGHUP,
        _ => Signal::SIGKILL,
    };
    let _ = kill(nix::unistd::Pid::from_raw(pid), signal);
}

const WAITING: &str = r#"
id: waiting
title: Waiting
steps:
  - id: probe
    check: { cmd: { argv: [echo, hi] }, capture: { said: { stdout: true } } }
  - id: symptom
    ask:
      question: "What is wrong ({{ vars.said }})?"
      choices: [ { answer: down }, { answer: slow } ]
    on: { down: down, slow: slow }
  - id: down
    conclude: { status: diagnosed, diagnosis: "down after {{ vars.said }} / {{ steps.probe.stdout }}" }
  - id: slow
    conclude: { status: diagnosed, diagnosis: slow }
"#;

#[test]
fn a_waiting_run_resumes_with_its_vars_and_answers_the_question() {
    let output = Test::new()
        .files(&[("runbook.yaml", WAITING.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let rec = output.path("rec");
    let resumed = Test::new()
        .args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "symptom=down", "--format", "json"])
        .status(0);
    let events = resumed.events();
    assert_eq!(events[0]["event"], "resumed");
    assert_eq!(events[0]["step"], "symptom");
    let record = valid_record(&rec);
    assert_eq!(record["status"], "concluded");
    assert_eq!(
        record["conclusion"]["diagnosis"], "down after hi / hi",
        "steps.probe.stdout is read without its final newline, after a resume too"
    );
    assert_eq!(record["path"], serde_json::json!(["probe", "symptom", "symptom", "down"]));
    assert_eq!(record["resumptions"].as_array().map(Vec::len), Some(1));
    Test::new().args(["resume", rec.to_str().unwrap()]).status(2).stderr_contains("the run already ended (concluded)");
}

#[test]
fn resume_refuses_a_changed_runbook_unless_allowed() {
    let output = Test::new()
        .files(&[("runbook.yaml", WAITING.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let runbook = output.path("runbook.yaml");
    std::fs::write(&runbook, WAITING.replace("What is wrong", "What broke")).unwrap();
    let rec = output.path("rec");
    let dir = rec.to_str().unwrap();
    Test::new()
        .args(["resume", dir, "--non-interactive", "--answer", "symptom=slow"])
        .status(2)
        .stderr_contains("changed since the run started")
        .stderr_contains("--allow-changed");
    Test::new().args(["resume", dir, "--non-interactive", "--answer", "symptom=slow", "--allow-changed"]).status(0);
    assert_eq!(valid_record(&rec)["resumptions"][0]["runbook_changed"], true);
}

/// A run resumed with a changed text journals that text (hash, graph), so
/// the record says which text each part of the run ran under: the edges
/// of the transitions after the change are edges of the new graph, and
/// record.md draws both graphs. A later resume compares with the new text.
#[test]
fn a_run_resumed_with_a_changed_runbook_records_the_text_it_went_on_with() {
    let before = r#"
id: changing
title: Changing
steps:
  - id: q
    ask: { question: "Go?", choices: [ { answer: go } ] }
    on: { go: done }
  - id: done
    conclude: { status: resolved }
"#;
    let after = before.replace(
        "    on: { go: done }\n",
        "    on: { go: extra }\n  - id: extra\n    ask: { question: \"Sure?\", choices: [ { answer: sure } ] }\n    on: { sure: done }\n",
    );
    let output = Test::new()
        .files(&[("runbook.yaml", before.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    std::fs::write(output.path("runbook.yaml"), &after).unwrap();
    let rec = output.path("rec");
    let dir = rec.to_str().unwrap();
    Test::new().args(["resume", dir, "--non-interactive", "--answer", "q=go", "--allow-changed"]).status(5);
    // The change was allowed once: the next resume compares with it.
    Test::new().args(["resume", dir, "--non-interactive", "--answer", "extra=sure"]).status(0);
    let record = valid_record(&rec);
    let new_sha = crate::sha256_hex(after.as_bytes());
    assert_eq!(record["run"]["sha256"], crate::sha256_hex(before.as_bytes()));
    let text = &record["resumptions"][0]["text"];
    assert_eq!(text["sha256"], new_sha.as_str());
    assert!(record["resumptions"][1].get("text").is_none(), "{record}");
    let edges: Vec<&str> =
        text["graph"]["edges"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    let steps = record["steps"].as_array().unwrap();
    let before_change = usize::try_from(text["steps_before"].as_u64().unwrap()).unwrap();
    let taken: Vec<&str> = steps[before_change..].iter().filter_map(|step| step["next"]["edge"].as_str()).collect();
    assert!(taken.len() >= 2 && taken.iter().all(|edge| edges.contains(edge)), "{taken:?} not all in {edges:?}");
    let markdown = std::fs::read_to_string(rec.join("record.md")).unwrap();
    assert!(markdown.contains(&format!("runbook changed: SHA-256 `{new_sha}` from then on")), "{markdown}");
    assert_eq!(markdown.matches("```mermaid").count(), 2, "{markdown}");
    let resumed = &markdown[markdown.find("As resumed at").expect("the changed text's graph")..];
    assert!(resumed.contains("s_extra"), "{resumed}");
}

#[test]
fn a_resume_at_a_step_the_runbook_no_longer_has_is_refused_and_the_run_stays_resumable() {
    let output = Test::new()
        .files(&[("runbook.yaml", WAITING.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    std::fs::write(output.path("runbook.yaml"), WAITING.replace("symptom", "cause")).unwrap();
    let rec = output.path("rec");
    let journal = std::fs::read_to_string(rec.join("journal.jsonl")).unwrap();
    Test::new()
        .args(["resume", rec.to_str().unwrap(), "--non-interactive", "--allow-changed"])
        .status(2)
        .stderr_contains("step `symptom`, where the run stopped, is no longer in `")
        .stderr_contains("put it back to resume the run, or start a new one");
    assert_eq!(std::fs::read_to_string(rec.join("journal.jsonl")).unwrap(), journal, "nothing was journaled");
    // Put back, as told, the run goes on.
    std::fs::write(output.path("runbook.yaml"), WAITING).unwrap();
    Test::new().args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "symptom=down"]).status(0);
    assert_eq!(valid_record(&rec)["status"], "concluded");
}

#[test]
fn on_virtual_time_a_resume_goes_on_from_the_journals_last_time() {
    let yaml = r#"
id: polled
title: Polled
steps:
  - id: poll
    check:
      cmd: { sh: "exit 1" }
      expect: [ { exit_code: 0 } ]
    retry: { attempts: 3, interval: 10m, until: pass }
    next: symptom
  - id: symptom
    ask:
      question: "What is wrong?"
      choices: [ { answer: down }, { answer: slow } ]
    on: { down: end, slow: end }
  - id: end
    conclude: { status: diagnosed }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env("RUNBOOK_VIRTUAL_CLOCK", "1")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let rec = output.path("rec");
    Test::new()
        .env("RUNBOOK_VIRTUAL_CLOCK", "1")
        .args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "symptom=down"])
        .status(0);
    let journal = std::fs::read_to_string(rec.join("journal.jsonl")).unwrap();
    let stamps: Vec<(String, String)> = journal
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|entry| ["run_started", "run_finished", "resumed"].contains(&entry["event"].as_str().unwrap()))
        .map(|entry| (entry["event"].as_str().unwrap().to_owned(), entry["at"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [
        ("run_started", "2026-01-01T00:00:00.000Z"),
        ("run_finished", "2026-01-01T00:20:00.000Z"),
        ("resumed", "2026-01-01T00:20:00.000Z"),
        ("run_finished", "2026-01-01T00:20:00.000Z"),
    ];
    assert_eq!(stamps, expected.map(|(event, at)| (event.to_owned(), at.to_owned())));
    assert_eq!(valid_record(&rec)["status"], "concluded");
}

const STEADY: &str = r#"
id: steady
title: Steady
steps:
  - id: a
    check: { cmd: { sh: "sleep 0.1; echo alpha" }, capture: { a: { stdout: true } } }
  - id: b
    check: { cmd: { sh: "sleep 0.1; echo bravo" }, capture: { b: { stdout: true } } }
  - id: c
    collect: { cmd: { sh: "sleep 0.1; echo charlie" }, capture: { c: { stdout: true } } }
  - id: d
    check: { cmd: { sh: "sleep 0.1; exit 1" }, expect: [ { exit_code: 0 } ] }
    on: { fail: e }
  - id: e
    check: { cmd: { sh: "sleep 0.1; echo echo" }, capture: { e: { stdout: true } } }
  - id: end
    conclude:
      status: diagnosed
      diagnosis: "{{ vars.a }}-{{ vars.b }}-{{ vars.c }}-{{ steps.d.outcome }}-{{ vars.e }}"
"#;

/// 50 kill points across a run: SIGINT, SIGTERM or SIGKILL at spread-out
/// moments (0 to 450 ms after the journal appears; the run's five steps
/// take at least 500 ms, so on an idle machine too most points land inside
/// it). After each, the journal parses, `runbook record` rebuilds a
/// valid record, and `runbook resume` ends with the conclusion of an
/// uninterrupted run.
#[test]
fn killed_anywhere_a_run_is_recorded_and_resumes_to_the_same_conclusion() {
    let dir = crate::Scratch::new();
    std::fs::write(dir.path().join("runbook.yaml"), STEADY).unwrap();
    let whole = Test::new()
        .files(&[("runbook.yaml", STEADY.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record", "--format", "json"])
        .status(0);
    let expected = whole.events().iter().find(|e| e["event"] == "concluded").unwrap()["conclusion"].clone();
    let mut resumed_runs = 0;
    for point in 0..50u64 {
        let rec = dir.path().join(format!("rec{point}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_runbook"))
            .current_dir(dir.path())
            .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", rec.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let journal = rec.join("journal.jsonl");
        let started = Instant::now();
        while !journal.exists() {
            assert!(started.elapsed() < Duration::from_secs(20), "no journal");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(point * 97 % 450));
        let signal = ["KILL", "INT", "TERM"][usize::try_from(point % 3).unwrap()];
        send_signal(i32::try_from(child.id()).unwrap(), signal);
        child.wait().unwrap();
        for line in std::fs::read_to_string(&journal).unwrap().lines().filter(|l| !l.is_empty()) {
            // Only a SIGKILL can cut the last line short, and `record` copes.
            if serde_json::from_str::<Value>(line).is_err() {
                assert_eq!(signal, "KILL", "point {point}: a journal line is not JSON: {line}");
            }
        }
        if !std::fs::read_to_string(&journal).unwrap().contains(r#""event":"run_started""#) {
            // Killed before the first event: there is no run to record or resume.
            Test::new().args(["record", rec.to_str().unwrap()]).status(1).stderr_contains("holds no run");
            Test::new().args(["resume", rec.to_str().unwrap()]).status(2).stderr_contains("start it again");
            continue;
        }
        Test::new().args(["record", rec.to_str().unwrap()]).status(0);
        let record = valid_record(&rec);
        if record["status"] == "concluded" {
            assert_eq!(record["conclusion"], expected, "point {point}");
            continue;
        }
        let resumed = Test::new().args(["resume", rec.to_str().unwrap(), "--non-interactive"]).status(0);
        let record = valid_record(&rec);
        assert_eq!(record["status"], "concluded", "point {point} ({signal}): {}", resumed.stdout);
        assert_eq!(record["conclusion"], expected, "point {point} ({signal})");
        resumed_runs += 1;
    }
    assert!(resumed_runs >= 30, "only {resumed_runs} of 50 kill points landed inside the run");
}

#[test]
fn env_probe_values_and_secrets_split_across_writes_are_redacted() {
    let yaml = r#"
id: env-secret
title: Env secret
inputs:
  token: { secret: true, env: RB_SPLIT_TOKEN }
steps:
  - id: env
    check: { env: { non_empty: [RB_API_KEY] } }
  - id: printenv
    collect: { cmd: { sh: "env | grep RB_API_KEY; printf 'split-'; sleep 0.2; printf 'canary-7731\n'" } }
  - id: end
    conclude: { status: resolved }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env("RB_API_KEY", "env-canary-5512")
        .env("RB_SPLIT_TOKEN", "split-canary-7731")
        .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"])
        .status(0);
    let mut searched = vec![("stdout".to_owned(), output.stdout.clone()), ("stderr".to_owned(), output.stderr.clone())];
    for entry in std::fs::read_dir(output.path("rec")).unwrap() {
        let path = entry.unwrap().path();
        searched
            .push((path.display().to_string(), String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()));
    }
    for (place, text) in &searched {
        for canary in ["env-canary-5512", "split-canary-7731"] {
            assert!(!text.contains(canary), "{canary} in {place}");
        }
    }
    assert!(output.stdout.contains("RB_API_KEY=[redacted:RB_API_KEY]"), "{}", output.stdout);
    assert!(output.stdout.contains("[redacted:token]"), "{}", output.stdout);
}

const IN_FLIGHT: &str = r#"
id: inflight
title: In flight
steps:
  - id: restart
    action:
      confirm: Restarts.
      cmd: { sh: "echo $$ > group.pid; echo ran >> runs.txt; sleep 30" }
    on: { pass: done, skipped: skipped, error: done }
  - id: done
    conclude: { status: resolved }
  - id: skipped
    conclude: { status: escalated }
"#;

/// Starts IN_FLIGHT with `--yes` in `dir` and waits until its action has
/// written its process group and its line in `runs.txt`.
fn start_action(dir: &Path) -> std::process::Child {
    std::fs::write(dir.join("runbook.yaml"), IN_FLIGHT).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(dir)
        .args(["run", "runbook.yaml", "--non-interactive", "--yes", "--record-dir", "rec"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // `runs.txt` is written after `group.pid`, and a file that merely exists
    // may still be empty: wait for the whole line, or a signal sent now can
    // stop the shell between creating the file and writing to it.
    let started = Instant::now();
    while std::fs::read_to_string(dir.join("runs.txt")).ok().as_deref() != Some("ran\n") {
        assert!(started.elapsed() < Duration::from_secs(20), "the action never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

#[test]
fn an_action_in_flight_is_not_run_again_without_an_explicit_yes() {
    let dir = crate::Scratch::new();
    let mut child = start_action(dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
    // SIGKILL gave runbook no chance to stop the action's process group.
    let group = std::fs::read_to_string(dir.path().join("group.pid")).unwrap();
    send_signal(-group.trim().parse::<i32>().unwrap(), "KILL");
    let rec = dir.path().join("rec");
    let rec = rec.to_str().unwrap();
    // However many resumes stop to ask, the mark holds until a yes or a no.
    for _ in 0..2 {
        Test::new()
            .args(["resume", rec, "--non-interactive", "--yes"])
            .status(5)
            .stdout_contains("so it may have run already");
    }
    Test::new().args(["resume", rec, "--non-interactive", "--answer", "restart=no"]).status(0);
    assert_eq!(std::fs::read_to_string(dir.path().join("runs.txt")).unwrap(), "ran\n", "the action ran again");
    assert_eq!(valid_record(Path::new(rec))["conclusion"]["status"], "escalated");
}

/// After a SIGKILL, which leaves a running action's processes be, `resume`
/// says they are still running and how to stop them.
#[test]
fn resume_says_which_commands_of_the_killed_run_still_run() {
    let dir = crate::Scratch::new();
    let mut child = start_action(dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
    let group = std::fs::read_to_string(dir.path().join("group.pid")).unwrap().trim().parse::<i32>().unwrap();
    let rec = dir.path().join("rec");
    let output = Test::new().args(["resume", rec.to_str().unwrap(), "--non-interactive", "--yes"]).status(5);
    send_signal(-group, "KILL");
    let stderr = &output.stderr;
    assert!(stderr.contains("commands this run started before it stopped are still running"), "{stderr}");
    assert!(stderr.contains(&format!("`sleep` (group {group})")), "{stderr}");
    assert!(!stderr.contains("sleep 30"), "arguments, which may hold a secret, are shown: {stderr}");
    assert!(stderr.contains(&format!("kill -- -{group}")) && stderr.contains(&format!("ps -o pid,args -g {group}")));
    assert!(output.stdout.contains("may have run already"), "{}", output.stdout);
    // Once they are gone, nothing is said.
    let started = Instant::now();
    while !crate::run::process_gone(u32::try_from(group).unwrap()) {
        assert!(started.elapsed() < Duration::from_secs(10), "the group did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
    let quiet = Test::new().args(["resume", rec.to_str().unwrap(), "--non-interactive", "--yes"]).status(5);
    assert!(!quiet.stderr.contains("still running"), "{}", quiet.stderr);
}

/// Every command of a run carries the run's id, the one its record names,
/// before and after a resume, also when `runbook` itself runs in a command
/// of another run (which holds that run's id). `runbook` puts the id in its
/// own environment before the run starts, so the `env` probe sees it and
/// commands inherit it without a copy of the environment each.
#[test]
fn commands_carry_the_id_of_their_own_run_before_and_after_a_resume() {
    const MARKED: &str = r#"
id: marked
title: Marked
steps:
  - id: first
    check: { cmd: { sh: 'printf %s "$RUNBOOK_RUN_ID" > first.txt' }, expect: [ { exit_code: 0 } ] }
  - id: held
    check: { env: { set: [RUNBOOK_RUN_ID] } }
  - id: symptom
    ask: { question: "Go on?", choices: [ { answer: go } ] }
    on: { go: held-again }
  - id: held-again
    check: { env: { set: [RUNBOOK_RUN_ID] } }
  - id: after
    check: { cmd: { sh: 'printf %s "$RUNBOOK_RUN_ID" > after.txt' }, expect: [ { exit_code: 0 } ] }
  - id: done
    conclude: { status: diagnosed, diagnosis: "{{ steps.held.outcome }} {{ steps['held-again'].outcome }}" }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", MARKED.as_bytes())])
        .env_remove("RUNBOOK_RUN_ID")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let rec = output.path("rec");
    Test::new()
        .in_dir(&output.path(""))
        .env_remove("RUNBOOK_RUN_ID")
        .args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "symptom=go"])
        .status(0);
    let record = valid_record(&rec);
    let id = record["run"]["id"].as_str().expect("run id");
    assert!(id.ends_with("-marked"), "{id}");
    for file in ["first.txt", "after.txt"] {
        assert_eq!(std::fs::read_to_string(output.path(file)).unwrap(), id, "{file}");
    }
    assert_eq!(record["conclusion"]["diagnosis"], "pass pass", "runbook's own environment holds the id");
    // Inside a command of another run.
    Test::new()
        .in_dir(&output.path(""))
        .env("RUNBOOK_RUN_ID", "an-outer-run")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "nested"])
        .status(5);
    let nested = valid_record(&output.path("nested"));
    let id = nested["run"]["id"].as_str().expect("run id");
    assert!(id.ends_with("-marked"), "{id}");
    assert_eq!(std::fs::read_to_string(output.path("first.txt")).unwrap(), id);
}

/// A run killed during an action stays visible once it has been resumed:
/// the record lists the kill among its stops and in its timeline, says the
/// action may have run, and counts the killed process's running time.
#[test]
fn a_kill_during_an_action_is_a_stop_of_the_record_saying_the_action_may_have_run() {
    let dir = crate::Scratch::new();
    let mut child = start_action(dir.path());
    child.kill().unwrap();
    child.wait().unwrap();
    let group = std::fs::read_to_string(dir.path().join("group.pid")).unwrap();
    send_signal(-group.trim().parse::<i32>().unwrap(), "KILL");
    let rec = dir.path().join("rec");
    Test::new().args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "restart=no"]).status(0);
    let record = valid_record(&rec);
    let stops = record["stops"].as_array().unwrap();
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert_eq!(stops[0]["status"], "interrupted");
    let message = stops[0]["message"].as_str().unwrap();
    assert!(
        message.contains("action `restart` was running")
            && message.contains("echo ran >> runs.txt")
            && message.contains("may have run"),
        "{message}"
    );
    // The stop is placed at the last entry the killed process wrote.
    let journal = std::fs::read_to_string(rec.join("journal.jsonl")).unwrap();
    let entries: Vec<Value> = journal.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let resumed = entries.iter().position(|entry| entry["event"] == "resumed").unwrap();
    let killed_last = &entries[resumed - 1];
    assert_eq!(killed_last["event"], "action_decided");
    assert_eq!(stops[0]["at"], killed_last["at"]);
    let finished = entries.iter().find(|entry| entry["event"] == "run_finished").unwrap();
    assert_eq!(
        record["duration_ms"].as_u64(),
        Some(killed_last["elapsed_ms"].as_u64().unwrap() + finished["duration_ms"].as_u64().unwrap())
    );
    let markdown = std::fs::read_to_string(rec.join("record.md")).unwrap();
    let stop = "run interrupted: the journal ends while action `restart` was running";
    assert!(rendered_cells(&markdown).iter().any(|row| row.get(2).is_some_and(|c| c.starts_with(stop))), "{markdown}");
    assert!(
        markdown.contains("action · started ") && markdown.contains("did not finish: the run stopped in it"),
        "{markdown}"
    );
    assert!(
        markdown.contains("**run** (by mode), and the run stopped while it was running: it may have run"),
        "{markdown}"
    );
}

/// The hint of a run waiting at an action names the flags of the command
/// that stopped: `run` has `--read-only`, `resume` (which keeps the run's
/// mode) has not, and each flag named is one the command takes.
#[test]
fn the_waiting_hint_at_an_action_names_only_flags_the_command_takes() {
    let yaml = "id: w\ntitle: W\nsteps:\n  - id: restart\n    action:\n      confirm: Restarts.\n      cmd: { argv: [\"true\"] }\n  - id: done\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5)
        .stdout_contains(
            "pass --yes to run actions or --answer restart=no to decline this one, or --read-only to skip every action",
        );
    let rec = output.path("rec");
    let rec = rec.to_str().unwrap();
    let resumed = Test::new().args(["resume", rec, "--non-interactive"]).status(5);
    assert!(
        resumed.stdout.contains("pass --yes to run actions or --answer restart=no to decline this one"),
        "{}",
        resumed.stdout
    );
    assert!(!resumed.stdout.contains("--read-only"), "{}", resumed.stdout);
    Test::new().args(["resume", rec, "--non-interactive", "--read-only"]).status(2);
    Test::new().args(["resume", rec, "--non-interactive", "--yes"]).status(0);
}

#[test]
fn a_run_timeout_writes_a_record_saying_so() {
    let yaml = "id: t\ntitle: T\ntimeout: 300ms\nsteps:\n  - id: slow\n    check: { cmd: { argv: [sleep, \"30\"] } }\n  - id: end\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(4);
    let record = valid_record(&output.path("rec"));
    assert_eq!(record["status"], "timed_out");
    assert_eq!(record["steps"][0]["error"]["kind"], "timeout");
    let markdown = std::fs::read_to_string(output.path("rec/record.md")).unwrap();
    assert!(
        markdown.contains(r"**Run timed_out**: the runbook's timeout of 300ms passed during step \`slow\`"),
        "{markdown}"
    );
}

#[test]
fn an_action_stopped_by_sigterm_is_not_run_again_on_resume_without_a_yes() {
    let dir = crate::Scratch::new();
    let mut child = start_action(dir.path());
    send_signal(i32::try_from(child.id()).unwrap(), "TERM");
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let rec = dir.path().join("rec");
    let rec = rec.to_str().unwrap();
    for _ in 0..2 {
        Test::new()
            .args(["resume", rec, "--non-interactive", "--yes"])
            .status(5)
            .stdout_contains("may have run already");
    }
    Test::new().args(["resume", rec, "--non-interactive", "--answer", "restart=no"]).status(0);
    assert_eq!(std::fs::read_to_string(dir.path().join("runs.txt")).unwrap(), "ran\n");
}

#[test]
fn resuming_again_and_again_does_not_use_up_visits() {
    let output = Test::new()
        .files(&[("runbook.yaml", WAITING.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let rec = output.path("rec");
    for _ in 0..4 {
        Test::new().args(["resume", rec.to_str().unwrap(), "--non-interactive"]).status(5);
    }
    Test::new().args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "symptom=slow"]).status(0);
    let record = valid_record(&rec);
    assert_eq!(record["status"], "concluded");
    let visits: Vec<&Value> = record["steps"].as_array().unwrap().iter().map(|s| &s["visit"]).collect();
    assert!(visits.iter().all(|v| **v == 1), "a resume counted as a visit: {visits:?}");
    assert_eq!(record["stops"].as_array().map(Vec::len), Some(5));
}

#[test]
fn a_torn_last_line_does_not_stop_a_resume() {
    let output = Test::new()
        .files(&[("runbook.yaml", WAITING.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let rec = output.path("rec");
    let journal = rec.join("journal.jsonl");
    let mut text = std::fs::read(&journal).unwrap();
    text.extend_from_slice(
        "{\"at\":\"2026-01-01T00:00:00.000Z\",\"event\":\"que\u{e9}".as_bytes().split_last().unwrap().1,
    );
    std::fs::write(&journal, text).unwrap();
    Test::new().args(["record", rec.to_str().unwrap()]).status(0);
    Test::new().args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "symptom=down"]).status(0);
    assert_eq!(valid_record(&rec)["status"], "concluded");
}

/// A runbook that calls `inner.yaml` and concludes with its diagnosis.
const CALLS_INNER: &str = r#"
id: outer
title: Outer
steps:
  - id: sub
    call: { runbook: inner.yaml }
  - id: end
    conclude: { status: resolved, diagnosis: "{{ steps.sub.conclusion.diagnosis }}" }
"#;

/// An action of a called runbook that ran to its end before the run
/// stopped (here, to wait for the question after it) is neither asked
/// about nor run again when the `call` step runs again: its journaled
/// outcome stands, and the called runbook goes on along its `pass` edge.
#[test]
fn an_action_inside_a_call_that_finished_is_not_run_or_asked_again_on_resume() {
    let inner = r#"
id: inner
title: Inner
steps:
  - id: fix
    action:
      confirm: Fixes.
      cmd: { sh: "echo ran >> inner-runs.txt" }
      expect: [ { exit_code: 0 } ]
    on: { pass: q, skipped: declined, fail: declined, error: declined }
  - id: q
    ask: { question: Did it work?, type: confirm }
  - id: done
    conclude: { status: resolved, diagnosis: "answer {{ steps.q.answer }}" }
  - id: declined
    conclude: { status: inconclusive, diagnosis: "the operator declined the fix" }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", CALLS_INNER.as_bytes()), ("inner.yaml", inner.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--yes", "--record-dir", "rec"])
        .status(5);
    let rec = output.path("rec");
    let rec = rec.to_str().unwrap();
    Test::new().args(["resume", rec, "--non-interactive", "--answer", "sub/q=yes"]).status(0);
    assert_eq!(std::fs::read_to_string(output.path("inner-runs.txt")).unwrap(), "ran\n", "the inner action ran again");
    let record = valid_record(Path::new(rec));
    assert_eq!(record["conclusion"]["diagnosis"], "answer yes");
    let fixes: Vec<&Value> =
        record["steps"].as_array().unwrap().iter().filter(|step| step["id"] == "sub/fix").collect();
    assert!(fixes.iter().all(|fix| fix["outcome"] == "pass"), "{fixes:?}");
}

/// An action of a called runbook that ran before the stop and is gone
/// from the new text (`--allow-changed`, renamed) is refused before
/// anything is journaled: under its new name it would run again unasked.
#[test]
fn a_resume_without_a_called_action_that_ran_is_refused_and_the_run_stays_resumable() {
    let inner = r#"
id: inner
title: Inner
steps:
  - id: fix
    action:
      confirm: Fixes.
      cmd: { sh: "echo ran >> inner-runs.txt" }
      expect: [ { exit_code: 0 } ]
    on: { pass: q, skipped: q, fail: q, error: q }
  - id: q
    ask: { question: Did it work?, type: confirm }
  - id: done
    conclude: { status: resolved, diagnosis: "answer {{ steps.q.answer }}" }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", CALLS_INNER.as_bytes()), ("inner.yaml", inner.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--yes", "--record-dir", "rec"])
        .status(5);
    std::fs::write(output.path("inner.yaml"), inner.replace("  - id: fix\n", "  - id: fix2\n")).unwrap();
    let rec = output.path("rec");
    let rec = rec.to_str().unwrap();
    let journal = std::fs::read_to_string(output.path("rec/journal.jsonl")).unwrap();
    Test::new()
        .args(["resume", rec, "--non-interactive", "--yes", "--allow-changed", "--answer", "sub/q=yes"])
        .status(2)
        .stderr_contains("step `sub/fix`, an action that ran or may have run");
    assert_eq!(std::fs::read_to_string(output.path("rec/journal.jsonl")).unwrap(), journal, "journal untouched");
    std::fs::write(output.path("inner.yaml"), inner).unwrap();
    Test::new().args(["resume", rec, "--non-interactive", "--yes", "--answer", "sub/q=yes"]).status(0);
    assert_eq!(std::fs::read_to_string(output.path("inner-runs.txt")).unwrap(), "ran\n", "the action ran again");
}

/// An action whose end is journaled ran, even when the journal stops
/// before its step was routed (a full disk cut the `transition` line): the
/// resume takes its outcome and goes on, asking nothing about it.
#[test]
fn an_action_whose_end_is_journaled_is_not_asked_about_again() {
    let yaml = r#"
id: done-action
title: Done action
steps:
  - id: restart
    action:
      confirm: Restarts.
      cmd: { sh: "echo ran >> runs.txt" }
      expect: [ { exit_code: 0 } ]
    on: { pass: q, skipped: declined, fail: declined, error: declined }
  - id: q
    ask: { question: Better?, type: confirm }
  - id: fixed
    conclude: { status: resolved }
  - id: declined
    conclude: { status: escalated }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--yes", "--record-dir", "rec"])
        .status(5);
    let rec = output.path("rec");
    let journal = std::fs::read_to_string(rec.join("journal.jsonl")).unwrap();
    let lines: Vec<&str> = journal.lines().collect();
    let finished = lines.iter().position(|line| line.contains(r#""event":"step_finished","step":"restart""#)).unwrap();
    let mut cut = lines[..=finished].join("\n");
    cut.push('\n');
    std::fs::write(rec.join("journal.jsonl"), cut).unwrap();
    Test::new()
        .args(["resume".as_ref(), rec.as_os_str(), "--non-interactive".as_ref(), "--answer".as_ref(), "q=yes".as_ref()])
        .status(0);
    assert_eq!(std::fs::read_to_string(output.path("runs.txt")).unwrap(), "ran\n");
    let record = valid_record(&rec);
    assert_eq!(record["conclusion"]["status"], "resolved");
}

/// The answers file that confirmed an action before a kill, given again to
/// the resume (an unattended job run again as it was), does not run the
/// action again: only `again` does.
#[test]
fn the_same_scripted_yes_does_not_run_an_action_in_flight_again() {
    let dir = crate::Scratch::new();
    std::fs::write(dir.path().join("runbook.yaml"), IN_FLIGHT).unwrap();
    std::fs::write(dir.path().join("answers.yaml"), "restart: yes\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(dir.path())
        .args(["run", "runbook.yaml", "--non-interactive", "--answers", "answers.yaml", "--record-dir", "rec"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::fs::read_to_string(dir.path().join("runs.txt")).ok().as_deref() != Some("ran\n") {
        assert!(started.elapsed() < Duration::from_secs(20), "the action never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let group = std::fs::read_to_string(dir.path().join("group.pid")).unwrap();
    send_signal(-group.trim().parse::<i32>().unwrap(), "KILL");
    let resume = |answers: &[&str]| {
        Test::new().in_dir(dir.path()).args(["resume", "rec", "--non-interactive"]).args(answers.iter().copied())
    };
    resume(&["--answers", "answers.yaml"]).status(5).stdout_contains("pass --answer restart=again to run it again");
    resume(&["--answer", "restart=yes"]).status(5).stdout_contains("may have run already");
    assert_eq!(std::fs::read_to_string(dir.path().join("runs.txt")).unwrap(), "ran\n", "the action ran again");
    let again = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(dir.path())
        .args(["resume", "rec", "--non-interactive", "--answer", "restart=again"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::fs::read_to_string(dir.path().join("runs.txt")).ok().as_deref() != Some("ran\nran\n") {
        assert!(started.elapsed() < Duration::from_secs(20), "`again` did not run the action");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut again = again;
    again.kill().unwrap();
    again.wait().unwrap();
    let group = std::fs::read_to_string(dir.path().join("group.pid")).unwrap();
    send_signal(-group.trim().parse::<i32>().unwrap(), "KILL");
}

/// SIGTERM and SIGHUP are not the operator: the record names the signal
/// that stopped the run.
#[test]
fn the_record_names_the_signal_that_stopped_the_run() {
    let yaml = "id: s\ntitle: S\nsteps:\n  - id: slow\n    check: { cmd: { sh: \"echo up > up.txt; sleep 30\", timeout: 1m } }\n  - id: end\n    conclude: { status: resolved }\n";
    for (signal, says) in [
        ("TERM", "stopped by SIGTERM"),
        ("HUP", "stopped by SIGHUP (the terminal went away)"),
        ("INT", "interrupted by the operator"),
    ] {
        let dir = crate::Scratch::new();
        std::fs::write(dir.path().join("runbook.yaml"), yaml).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_runbook"))
            .current_dir(dir.path())
            .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::fs::read_to_string(dir.path().join("up.txt")).ok().as_deref() != Some("up\n") {
            assert!(started.elapsed() < Duration::from_secs(20), "the probe never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        send_signal(i32::try_from(child.id()).unwrap(), signal);
        assert_eq!(child.wait().unwrap().code(), Some(130), "{signal}");
        let record = valid_record(&dir.path().join("rec"));
        assert_eq!(record["status"], "aborted", "{signal}");
        assert!(record["message"].as_str().unwrap().starts_with(says), "{signal}: {}", record["message"]);
        let markdown = std::fs::read_to_string(dir.path().join("rec/record.md")).unwrap();
        assert!(markdown.contains(says), "{signal}: {markdown}");
    }
}

/// A run loads every runbook it can call before its first step, and the
/// journal keeps each one's hash: a called runbook changed after its call
/// ran, or before the run reached its `call`, is refused on resume unless
/// allowed, and an allowed resume runs the new text.
#[test]
fn resume_refuses_a_changed_called_runbook_unless_allowed() {
    let call = "  - id: sub\n    call: { runbook: inner.yaml }\n";
    let question = "  - id: q\n    ask: { question: Go on?, type: confirm }\n";
    let inner = "id: inner\ntitle: Inner\nsteps:\n  - id: done\n    conclude: { status: resolved }\n";
    let changed = inner.replace("Inner", "Changed");
    for call_ran_first in [true, false] {
        let steps = if call_ran_first { [call, question] } else { [question, call] };
        let outer = format!(
            "id: outer\ntitle: Outer\nsteps:\n{}{}  - id: end\n    conclude: {{ status: resolved }}\n",
            steps[0], steps[1]
        );
        let output = Test::new()
            .files(&[("runbook.yaml", outer.as_bytes()), ("inner.yaml", inner.as_bytes())])
            .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
            .status(5);
        std::fs::write(output.path("inner.yaml"), &changed).unwrap();
        let rec = output.path("rec");
        let rec = rec.to_str().unwrap();
        Test::new()
            .args(["resume", rec, "--answer", "q=yes"])
            .status(2)
            .stderr_contains("the called runbook `")
            .stderr_contains("inner.yaml` changed since the run started (SHA-256 ")
            .stderr_contains("Pass --allow-changed to resume with the new text.");
        Test::new().args(["resume", rec, "--answer", "q=yes", "--allow-changed", "--format", "json"]).status(0);
        let record = valid_record(&output.path("rec"));
        assert_eq!(record["resumptions"][0]["runbook_changed"], true, "call ran first: {call_ran_first}");
        if !call_ran_first {
            // Allowed, it runs the new text, loaded once when the resume starts.
            assert_eq!(record["calls"][0]["sha256"], crate::sha256_hex(changed.as_bytes()));
        }
    }
}

#[test]
fn a_resumed_question_shows_the_evidence_again() {
    let yaml = r#"
id: evidence
title: Evidence
steps:
  - id: probe
    check: { cmd: { argv: [echo, "disk 97% full"] }, expect: [ { exit_code: 1 } ] }
  - id: q
    ask: { question: Clean up?, type: confirm, evidence: [probe] }
  - id: end
    conclude: { status: resolved }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let rec = output.path("rec");
    let resumed = Test::new()
        .args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "q=yes", "--format", "json"])
        .status(0);
    let question = resumed.events().into_iter().find(|e| e["event"] == "question").unwrap();
    assert_eq!(question["evidence"], serde_json::json!(["probe"]));
    let record = valid_record(&rec);
    let asked: Vec<&Value> =
        record["steps"].as_array().unwrap().iter().map(|s| &s["question"]).filter(|q| !q.is_null()).collect();
    assert_eq!(asked.len(), 2, "asked before the stop and after the resume");
    assert!(asked.iter().all(|q| q["evidence"] == serde_json::json!(["probe"])), "{asked:?}");
}

/// The text of every table cell of `markdown` as a GitHub-like renderer
/// shows it (tables, strikethrough, math), row by row. Markup a value
/// turned into (emphasis, a link, HTML, math) shows as a tag, so that a
/// comparison with the plain text fails.
pub(crate) fn rendered_cells(markdown: &str) -> Vec<Vec<String>> {
    use std::fmt::Write as _;

    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_MATH;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut cell: Option<String> = None;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::TableRow | Tag::TableHead) => rows.push(Vec::new()),
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => rows.last_mut().expect("a row").extend(cell.take()),
            Event::Text(text) | Event::Code(text) => cell.iter_mut().for_each(|c| c.push_str(&text)),
            Event::InlineHtml(html) if &*html == "<br>" => cell.iter_mut().for_each(|c| c.push('\n')),
            Event::Start(tag) => {
                if let Some(c) = &mut cell {
                    let _ = write!(c, "<{tag:?}>");
                }
            }
            other => {
                if let Some(c) = &mut cell {
                    let _ = write!(c, "<{other:?}>");
                }
            }
        }
    }
    rows
}

#[test]
fn the_summary_shows_the_run_message_as_text() {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let yaml = "id: waits\ntitle: Waits\nsteps:\n  - id: act\n    action:\n      cmd: { argv: [echo, \"*x* _u_ [a](b)\"] }\n      \
                confirm: Echo it?\n    next: done\n  - id: done\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let markdown = std::fs::read_to_string(output.path("rec/record.md")).expect("record.md");
    let mut quoted = String::new();
    let mut depth = 0;
    let mut markup = Vec::new();
    for event in Parser::new(&markdown) {
        match event {
            Event::Start(Tag::BlockQuote(_)) => depth += 1,
            Event::End(TagEnd::BlockQuote(_)) => depth -= 1,
            Event::Text(text) if depth > 0 => quoted.push_str(&text),
            Event::Start(tag @ (Tag::Emphasis | Tag::Link { .. })) if depth > 0 => markup.push(format!("{tag:?}")),
            _ => {}
        }
    }
    assert!(quoted.contains("echo '*x* _u_ [a](b)'"), "{quoted}\n{markdown}");
    assert!(markup.is_empty(), "{markup:?}\n{markdown}");
}

#[test]
fn record_md_shows_values_exactly_as_the_view_does() {
    let text = r"v1.2 *x* [a](b) _u_ ~~s~~ $m$ <b>h</b> a|b \. &amp; `c`";
    let yaml = r#"
id: marks
title: Marks
inputs:
  raw: { description: A value full of Markdown }
steps:
  - id: out
    check:
      cmd: { argv: [printf, "%s", "{{ inputs.raw }}"] }
      expect: [ { stdout: { matches: '^v\d\.\d \*x\*$' } } ]
      capture: { said: { stdout: true } }
    on: { pass: note, fail: note }
  - id: note
    ask: { question: "Say *it*", type: text }
  - id: done
    conclude: { status: resolved, severity: low }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .args(["--input", &format!("raw={text}"), "--answer", &format!("note={text}")])
        .status(0);
    let view = format!(r"✗ stdout matches ^v\d\.\d \*x\*$, got {text}");
    assert!(output.stdout.contains(&view), "{}", output.stdout);
    let markdown = std::fs::read_to_string(output.path("rec/record.md")).expect("record.md");
    let rows = rendered_cells(&markdown);
    let row = |first: &str| rows.iter().find(|row| row.first().is_some_and(|c| c == first)).cloned();
    assert_eq!(row("✗").expect("the expectation row")[2..], [r"^v\d\.\d \*x\*$", text], "{markdown}");
    assert_eq!(row("vars.said").expect("the capture row")[1], text, "{markdown}");
    assert_eq!(row("raw").expect("the input row")[1], text, "{markdown}");
    let asked = rows.iter().find(|row| row.get(1).is_some_and(|c| c == "note")).expect("the timeline row");
    assert_eq!(
        asked[2],
        format!("ask · asked “Say *it*” · answer <Strong>{text}<End(Strong)> (script) · → done (then)")
    );
}

#[test]
fn the_record_directory_is_named_after_the_run_id_from_the_same_instant() {
    let yaml = "id: named\ntitle: Named\nsteps:\n  - id: done\n    conclude: { status: resolved }\n";
    // On virtual time the run starts at 2026-01-01T00:00:00Z: a directory
    // named from the machine's clock instead would show at once. Two runs
    // in that same second get `-2` after the id.
    for (virtual_time, runs) in [("1", 2), ("", 1)] {
        let dir = crate::Scratch::new();
        std::fs::write(dir.path().join("runbook.yaml"), yaml).expect("write");
        for _ in 0..runs {
            Test::new()
                .in_dir(dir.path())
                .env("RUNBOOK_VIRTUAL_CLOCK", virtual_time)
                .args(["run", "runbook.yaml", "--non-interactive"])
                .status(0);
        }
        let incidents = dir.path().join("incidents");
        let mut names: Vec<String> = std::fs::read_dir(&incidents)
            .expect("incidents/")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), runs, "{names:?}");
        for (n, name) in names.iter().enumerate() {
            let record = valid_record(&incidents.join(name));
            let id = record["run"]["id"].as_str().expect("run id").to_owned();
            let expected = if n == 0 { id.clone() } else { format!("{id}-{}", n + 1) };
            assert_eq!(*name, expected, "the directory and the run id differ");
            if virtual_time == "1" {
                assert_eq!(id, "20260101T000000Z-named");
            }
        }
    }
}

/// What a service printed, inserted by the `record:` summary, an
/// `instruct` text or a question, stays text in record.md: no link, image
/// or HTML, no heading or fence of its own (the record's sections are all
/// there), and the observed `final_url` draws nothing either. `| safe`
/// inserts Markdown on purpose.
#[test]
fn probe_output_in_templates_cannot_change_record_md() {
    use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
    // The fence would swallow every heading after it, were it live.
    let hostile =
        "<img src=x onerror=alert(1)> [link](http://evil) ![px](http://evil.example/p.png)\n# Heading\n```\nfence";
    let yaml = r#"
id: hostile-md
title: Hostile Markdown
record: |
  Build {{ vars.bd }} / {{ "**bold on purpose**" | safe }}
steps:
  - id: esc
    check:
      cmd: { argv: [printf, "%s", "{{ inputs.body }}"] }
      capture: { bd: { stdout: true } }
  - id: look
    instruct: { text: "Look at {{ vars.bd }}" }
  - id: q
    ask: { question: "Is {{ vars.bd }} ok?", type: confirm }
  - id: end
    conclude: { status: resolved }
inputs:
  body: { description: what the service prints }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec", "--answer", "look=yes"])
        .args(["--answer", "q=yes", "--input", &format!("body={hostile}")])
        .status(0);
    let markdown = std::fs::read_to_string(output.path("rec/record.md")).unwrap();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut headings = Vec::new();
    let mut heading: Option<String> = None;
    let mut markup = Vec::new();
    let mut strong = 0;
    for event in Parser::new_ext(&markdown, options) {
        match event {
            Event::Start(Tag::Heading { level, .. }) if level <= HeadingLevel::H3 => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => headings.extend(heading.take()),
            Event::Text(text) | Event::Code(text) => heading.iter_mut().for_each(|h| h.push_str(&text)),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => markup.push(dest_url.to_string()),
            Event::Html(html) | Event::InlineHtml(html) if html.contains("img") => markup.push(html.to_string()),
            Event::Start(Tag::Strong) => strong += 1,
            _ => {}
        }
    }
    assert!(markup.iter().all(|m| !m.contains("evil") && !m.contains("img")), "{markup:?}\n{markdown}");
    assert!(!headings.iter().any(|h| h == "Heading"), "an injected heading: {headings:?}");
    for section in ["Summary", "Timeline", "Steps"] {
        assert!(headings.iter().any(|h| h == section), "section {section} is gone: {headings:?}\n{markdown}");
    }
    assert!(headings.iter().any(|h| h.ends_with(". q")), "the question's step heading is gone: {headings:?}");
    assert!(strong >= 1, "`| safe` inserted no Markdown");
}

/// 8 MB of NUL bytes, then `end`: 1 MiB is kept. The question stops the run
/// so that a resume must read the output back from the journal.
const ZEROS: &str = r#"
id: zeros
title: Zeros
steps:
  - id: zeros
    check: { cmd: { argv: [sh, -c, "head -c 8000000 /dev/zero; printf end"] } }
  - id: go
    ask: { question: "Go on?", choices: [ { answer: yes } ] }
    on: { yes: count }
  - id: count
    check:
      cmd: { argv: [echo, "{{ steps.zeros.stdout | length }} {{ steps.zeros.stdout[-3:] }} {{ steps.zeros.stdout_dropped_bytes }}"] }
      capture: { counted: { stdout: true } }
  - id: end
    conclude: { status: resolved, diagnosis: "{{ vars.counted }}" }
"#;

/// NUL bytes take six bytes each as JSON escapes (`\u0000`): 1 MiB of them
/// kept, written in the `probe` event and again in the step's facts, made a
/// 12 MB journal. The journal now holds them once, as base64, and a resume
/// and `runbook record` read them back whole; record.md counts them.
#[test]
fn nul_heavy_output_takes_about_its_kept_bytes_in_the_journal() {
    use base64::Engine as _;
    let output = Test::new()
        .files(&[("runbook.yaml", ZEROS.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let rec = output.path("rec");
    let journal = std::fs::metadata(rec.join("journal.jsonl")).unwrap().len();
    let kept: usize = 1024 * 1024;
    assert!(journal < (kept * 3 / 2) as u64, "the journal takes {journal} bytes for {kept} kept");
    let record = valid_record(&rec);
    let stdout = &record["steps"][0]["attempts"][0]["probes"][0]["observation"]["stdout"];
    assert_eq!(
        (&stdout["total_bytes"], &stdout["dropped_bytes"], &stdout["head_bytes"]),
        (&Value::from(8_000_003), &Value::from(8_000_003 - kept), &Value::from(kept / 2))
    );
    let bytes = base64::engine::general_purpose::STANDARD.decode(stdout["base64"].as_str().unwrap()).unwrap();
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    assert_eq!((bytes.len(), zeros, &bytes[zeros..]), (kept, kept - 3, b"end".as_slice()));
    Test::new().args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "go=yes"]).status(0);
    let record = valid_record(&rec);
    assert_eq!(record["conclusion"]["diagnosis"], format!("{kept} end {}", 8_000_003 - kept));
    // record.md shows the runs of NULs as their counts, not 4 MB of `\x00`.
    let markdown = std::fs::read_to_string(rec.join("record.md")).unwrap();
    let dropped = 8_000_003 - kept;
    let shown = format!("```text\n[524,288 NUL bytes]\n[… {dropped} bytes dropped …]\n[524,285 NUL bytes]end\n```");
    assert!(markdown.contains(&shown), "{markdown}");
    assert!(markdown.len() < 16 * 1024, "record.md takes {} bytes", markdown.len());
    let json = std::fs::read(rec.join("record.json")).unwrap();
    Test::new().args(["record", rec.to_str().unwrap()]).status(0);
    assert_eq!(
        std::fs::read(rec.join("record.json")).unwrap(),
        json,
        "rebuilt from the journal, the record is the same"
    );
}

/// A step's title and description are templates: the view, the events and
/// record.md show them filled in (a secret redacted), and `check` reads
/// their names like any template's.
#[test]
fn a_step_title_is_shown_rendered() {
    let yaml = r#"
id: titled
title: Titled steps
inputs:
  host: { default: db.internal }
  token: { env: TITLED_TOKEN, secret: true }
steps:
  - id: probe
    title: "Connect to {{ inputs.host }}"
    description: "Token {{ inputs.token }}"
    check: { cmd: { argv: ["printf", "up"] }, capture: { state: { regex: "(.*)" } } }
    next: after
  - id: after
    title: "{{ inputs.host }} is {{ vars.state }}"
    conclude: { status: resolved }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"])
        .env("TITLED_TOKEN", "s3cr3t-value")
        .status(0)
        .stdout_contains("▶ probe  Connect to db.internal\n  Token [redacted:token]\n")
        .stdout_contains("▶ after  db.internal is up\n");
    assert!(!output.stdout.contains("s3cr3t") && !output.stdout.contains("{{"), "{}", output.stdout);
    let markdown = std::fs::read_to_string(output.path("rec/record.md")).unwrap();
    assert!(markdown.contains("### 1. `probe`: Connect to db.internal\n"), "{markdown}");
    assert!(markdown.contains("### 2. `after`: db.internal is up\n"), "{markdown}");
    let journal = std::fs::read_to_string(output.path("rec/journal.jsonl")).unwrap();
    assert!(!journal.contains("s3cr3t"), "{journal}");
    let mistyped = yaml.replace("{{ inputs.host }}\"", "{{ inputs.hots }}\"");
    Test::new()
        .files(&[("runbook.yaml", mistyped.as_bytes())])
        .args(["check", "runbook.yaml"])
        .status(3)
        .stderr_contains("undeclared input `hots`")
        .stderr_contains("runbook.yaml:9:12");
}

/// An empty output that an expectation compared reads `""` in record.md,
/// as the view's `got ""`, not an empty cell that looks like nothing seen.
#[test]
fn an_empty_actual_value_reads_as_an_empty_string() {
    let yaml = "id: quiet\ntitle: Quiet\nsteps:\n  - id: say\n    check:\n      cmd: { argv: [\"true\"] }\n      \
                expect: [ { stdout: { eq: hello } } ]\n    on: { pass: done, fail: done }\n  - id: done\n    \
                conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .status(0)
        .stdout_contains("✗ stdout eq hello, got \"\"");
    let record = std::fs::read_to_string(output.path("rec/record.md")).unwrap();
    let rows = rendered_cells(&record);
    let row = rows.iter().find(|row| row[0] == "✗").expect("the expectation row");
    assert_eq!(row[1..], ["stdout eq", "hello", "\"\""], "{record}");
}

/// `record.json` and `record.md` of `dir`, as bytes.
fn record_files(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (std::fs::read(dir.join("record.json")).unwrap(), std::fs::read(dir.join("record.md")).unwrap())
}

/// The end of a run writes its record from the events as the journal wrote
/// them, without reading the journal back: `runbook record` rebuilding it
/// from the file must give the same bytes, for a run with a question, an
/// action and captures, for a resumed run, and for a `foreach` of HTTP
/// probes capturing numbers that JSON text does not hold loosely.
#[test]
fn the_record_a_run_writes_is_the_one_its_journal_rebuilds() {
    let same_after_rebuild = |dir: &Path| {
        let written = record_files(dir);
        Test::new().args(["record", dir.to_str().unwrap()]).status(0);
        let rebuilt = record_files(dir);
        assert!(written.0 == rebuilt.0, "record.json differs from the journal's in {}", dir.display());
        assert!(written.1 == rebuilt.1, "record.md differs from the journal's in {}", dir.display());
    };
    same_after_rebuild(&record_run(&["--answer", "ask=yes", "--yes"], 0).path("rec"));

    let waiting = Test::new()
        .files(&[("runbook.yaml", WAITING.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let rec = waiting.path("rec");
    same_after_rebuild(&rec);
    Test::new().args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "symptom=down"]).status(0);
    same_after_rebuild(&rec);

    let server = crate::http_server::Server::start(|request, stream| {
        let body =
            format!(r#"{{"ratio": 0.30000000000000004, "big": 1.7976931348623157e308, "path": "{}"}}"#, request.path);
        crate::http_server::respond(stream, "200 OK", &[("content-type", "application/json")], body.as_bytes())
    });
    let runbook = format!(
        "id: items\ntitle: Items\nsteps:\n  - id: items\n    check:\n      foreach: [1, 2, 3]\n      \
         http: {{ url: \"{}/item/{{{{ item }}}}\" }}\n      expect: [ {{ status: 200 }} ]\n      \
         capture: {{ ratio: {{ json: $.ratio }}, big: {{ json: $.big }} }}\n  - id: done\n    \
         conclude: {{ status: resolved, diagnosis: \"{{{{ vars.ratio }}}}\" }}\n",
        server.url("")
    );
    let output = Test::new()
        .files(&[("runbook.yaml", runbook.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0);
    let record = valid_record(&output.path("rec"));
    assert_eq!(record["steps"][0]["attempts"][0]["probes"].as_array().map(Vec::len), Some(3), "{record}");
    assert_eq!(
        record["steps"][0]["captures"]["ratio"],
        serde_json::json!([0.300_000_000_000_000_04, 0.300_000_000_000_000_04, 0.300_000_000_000_000_04]),
        "{record}"
    );
    same_after_rebuild(&output.path("rec"));
}

/// An https server on 127.0.0.1 answering `200` to every request, over a
/// certificate for `127.0.0.1` valid from 2020-01-01 to 2030-01-01 (PEM,
/// returned with the port).
pub(crate) fn https_server_until_2030() -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2030, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let certificate = params.self_signed(&key).unwrap();
    let der = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![certificate.der().clone()], der.into())
        .unwrap();
    let config = std::sync::Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let config = std::sync::Arc::clone(&config);
            std::thread::spawn(move || {
                let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), tcp);
                let mut request = Vec::new();
                let mut buffer = [0; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (port, certificate.pem())
}

/// On virtual time an https probe judges its certificate at the run's
/// virtual date (2026-01-01, 1461 days before the certificate's end; the
/// machine's date would give fewer), and its measured phases, like its
/// duration, take no time: two runs write the same `record.json`, byte for
/// byte (review-8-judge point 4).
#[test]
fn on_virtual_time_an_https_probe_counts_days_left_from_the_virtual_date_and_its_record_is_the_same_every_run() {
    let (port, certificate) = https_server_until_2030();
    let yaml = format!(
        "id: cert\ntitle: Certificate\nsteps:\n  - id: health\n    check:\n      http: {{ url: \"https://127.0.0.1:{port}/\", \
         proxy: none, tls: {{ ca_file: ca.pem }} }}\n      expect:\n        - {{ status: 200 }}\n        - {{ tls: days_left, eq: \
         1461 }}\n        - {{ timing: tls, lt: 5s }}\n      capture:\n        left: {{ tls: days_left }}\n    on: {{ pass: fine, fail: \
         bad, error: bad }}\n  - id: fine\n    conclude: {{ status: resolved, diagnosis: \"{{{{ vars.left }}}} days left\" }}\n  - id: bad\n    \
         conclude: {{ status: inconclusive, diagnosis: judged }}\n"
    );
    let run = |test: Test, record: &str| {
        test.env("RUNBOOK_VIRTUAL_CLOCK", "1")
            .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--record-dir", record])
            .status(0)
    };
    let first = run(Test::new().files(&[("runbook.yaml", yaml.as_bytes()), ("ca.pem", certificate.as_bytes())]), "one");
    assert!(first.stdout.contains("→ fine (pass)"), "{}", first.stdout);
    let record = valid_record(&first.path("one"));
    let observation = &record["steps"][0]["attempts"][0]["probes"][0]["observation"];
    assert_eq!(observation["tls"]["days_left"], 1461, "{observation}");
    assert_eq!(observation["timing"]["tls_ms"], 0, "{observation}");
    assert_eq!(observation["timing"]["first_byte_ms"], 0, "{observation}");
    assert_eq!(record["conclusion"]["diagnosis"], "1461 days left");
    let dir = first.path("");
    run(Test::new().in_dir(&dir), "two");
    let one = std::fs::read(first.path("one/record.json")).unwrap();
    let two = std::fs::read(first.path("two/record.json")).unwrap();
    assert_eq!(String::from_utf8_lossy(&one), String::from_utf8_lossy(&two));
}
