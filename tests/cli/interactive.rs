//! `runbook run` at a real terminal: the binary runs on a pseudo-terminal
//! (rexpect), and the tests type what an operator would: arrow keys,
//! Enter, y/n, Ctrl-C. rexpect reads bytes as Latin-1, so the needles are
//! ASCII.

use std::path::Path;
use std::process::Command;

use rexpect::process::wait::WaitStatus;
use rexpect::session::PtySession;

use crate::Test;
use crate::run::QUESTIONS;

/// Seconds any one expectation may wait before the test fails.
const PATIENCE_MS: u64 = 20_000;

/// `runbook run runbook.yaml ARGS` on a pseudo-terminal, in `dir`.
fn spawn(dir: &Path, yaml: &str, args: &[&str]) -> PtySession {
    std::fs::write(dir.join("runbook.yaml"), yaml).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_runbook"));
    command.current_dir(dir).env("NO_COLOR", "1").env("TERM", "xterm").args(["run", "runbook.yaml"]).args(args);
    rexpect::session::spawn_command(command, Some(PATIENCE_MS)).expect("runbook starts on a pty")
}

/// Waits for the end of the output and the exit code.
fn exit_code(mut session: PtySession) -> (i32, String) {
    let rest = session.exp_eof().unwrap_or_default();
    match session.process().wait() {
        Ok(WaitStatus::Exited(_, code)) => (code, rest),
        other => panic!("runbook did not exit normally: {other:?}\n{rest}"),
    }
}

/// Types `keys` and sends them at once.
fn press(session: &mut PtySession, keys: &str) {
    session.send(keys).unwrap();
    session.flush().unwrap();
}

const UP: &str = "\x1b[A";

#[test]
fn the_quickstart_runs_unattended_at_a_terminal_with_accept_defaults_and_yes() {
    let dir = crate::Scratch::new();
    let quickstart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart.yaml");
    let mut command = Command::new(env!("CARGO_BIN_EXE_runbook"));
    command.current_dir(dir.path()).env("NO_COLOR", "1").env("TERM", "xterm");
    command.arg("run").arg(&quickstart).args(["--accept-defaults", "--yes", "--record-dir", "record"]);
    let session = rexpect::session::spawn_command(command, Some(PATIENCE_MS)).expect("runbook starts on a pty");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{rest}");
    let record = crate::valid_record(&dir.path().join("record/record.json"));
    assert_eq!(record["status"], "concluded", "{rest}");
    // No prompt showed them, so the view does, as it does when piped.
    for shown in [
        "As expected, nothing listens on port 9",
        "? This is Linux",
        "Pretend to open a dashboard.",
        "action confirmed by --yes: Run `echo hello from runbook`?",
    ] {
        assert!(rest.contains(shown), "{shown:?} not shown at the terminal:\n{rest}");
    }
}

#[test]
fn choosing_an_answer_at_the_prompt() {
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), QUESTIONS, &[]);
    session.exp_string("What is wrong? (arrow keys to choose, enter to answer)").unwrap();
    press(&mut session, "\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("diagnosed\r\n"), "{rest}");
    assert!(rest.contains("answer: slow (operator)"), "{rest}");
}

/// A question without a default starts with its cursor on the first
/// choice, shown as chosen: Enter answers it.
#[test]
fn a_choice_without_a_default_starts_on_the_first() {
    let dir = crate::Scratch::new();
    let yaml = "id: pick\ntitle: Pick\nsteps:\n  - id: which\n    ask:\n      question: Which one?\n      choices:\n        \
                - { answer: first, goto: one }\n        - { answer: second, goto: two }\n  - id: one\n    conclude: { \
                status: resolved, diagnosis: first }\n  - id: two\n    conclude: { status: resolved, diagnosis: second }\n";
    let mut session = spawn(dir.path(), yaml, &["--no-record"]);
    session.exp_string("Which one? (arrow keys to choose, enter to answer)").unwrap();
    session.exp_string("> first").unwrap();
    press(&mut session, "\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("answer: first (operator)"), "{rest}");
}

#[test]
fn confirming_an_action_runs_it() {
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), QUESTIONS, &[]);
    session.exp_string("What is wrong?").unwrap();
    press(&mut session, UP);
    press(&mut session, "\r");
    session.exp_string("This action changes the system:").unwrap();
    session.exp_string("Restarts the service.").unwrap();
    session.exp_string("Run it? [y/N]").unwrap();
    press(&mut session, "y\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("resolved"), "{rest}");
    assert_eq!(std::fs::read_to_string(dir.path().join("restarted.txt")).unwrap(), "restarted\n");
}

/// At the prompt, an http action shows the request it sends: the method
/// and URL, the headers the runbook sets and the body, under `runs:`.
#[test]
fn an_http_action_prompt_shows_the_headers_and_body() {
    let dir = crate::Scratch::new();
    let yaml = "id: scale\ntitle: Scale\nsteps:\n  - id: scale\n    action:\n      confirm: Scales the worker.\n      \
                http: { method: PUT, url: \"http://127.0.0.1:9/scale\", headers: { X-Env: prod }, json: { replicas: 2 }, \
                timeout: 1s }\n    on: { pass: done, error: done, skipped: done }\n  - id: done\n    \
                conclude: { status: resolved }\n";
    let mut session = spawn(dir.path(), yaml, &["--no-record"]);
    session.exp_string("runs: PUT http://127.0.0.1:9/scale").unwrap();
    session.exp_string("X-Env: prod").unwrap();
    session.exp_string("Content-Type: application/json").unwrap();
    session.exp_string(r#"{"replicas":2}"#).unwrap();
    session.exp_string("Run it? [y/N]").unwrap();
    press(&mut session, "n\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{rest}");
}

/// Ctrl-C during a slow probe leaves no spinner line behind: the spinner
/// stops short of the last column, so the `^C` the terminal echoes stays on
/// its line (instead of wrapping onto the next) and is cleared with it.
#[test]
fn ctrl_c_during_a_slow_probe_leaves_no_spinner_line_behind() {
    use crate::http_server::{Server, respond};
    let server = Server::start(|_, stream| {
        std::thread::sleep(std::time::Duration::from_secs(5));
        respond(stream, "200 OK", &[], b"ok")
    });
    let dir = crate::Scratch::new();
    let yaml = format!(
        "id: slow\ntitle: Slow\nsteps:\n  - id: health\n    title: Does the service answer?\n    check:\n      http: \
         {{ url: \"{}\", timeout: 10s }}\n      expect: [ {{ status: 200 }} ]\n    on: {{ pass: done, fail: done, error: \
         done }}\n  - id: done\n    conclude: {{ status: resolved }}\n",
        server.url("/health")
    );
    std::fs::write(dir.path().join("runbook.yaml"), yaml).unwrap();
    let mut command = Command::new("sh");
    let script = format!("stty cols 60 rows 20; exec {} run runbook.yaml --no-record", env!("CARGO_BIN_EXE_runbook"));
    command.current_dir(dir.path()).env("NO_COLOR", "1").env("TERM", "xterm").args(["-c", &script]);
    let mut session = rexpect::session::spawn_command(command, Some(PATIENCE_MS)).expect("runbook starts on a pty");
    let before = session.exp_string("Does the service answer? 1s").unwrap();
    press(&mut session, "\x03");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 130, "{rest}");
    // rexpect hands over each byte as a char: decode the UTF-8 again.
    let bytes: Vec<u8> =
        format!("{before}Does the service answer? 1s{rest}").chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect();
    let spinner_lines: Vec<usize> = String::from_utf8_lossy(&bytes)
        .split('\r')
        .filter_map(|segment| segment.strip_prefix("\x1b[2K"))
        .filter(|line| line.starts_with(|c: char| ('\u{2800}'..='\u{28ff}').contains(&c)))
        .map(|line| line.trim_end_matches('\n').chars().count())
        .collect();
    assert!(!spinner_lines.is_empty(), "no spinner drawn: {before:?}");
    assert!(spinner_lines.iter().all(|width| *width <= 58), "{spinner_lines:?}");
}

#[test]
fn declining_an_action_skips_it() {
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), QUESTIONS, &[]);
    session.exp_string("What is wrong?").unwrap();
    press(&mut session, UP);
    press(&mut session, "\r");
    session.exp_string("Run it?").unwrap();
    press(&mut session, "n\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("escalated"), "{rest}");
    assert!(!dir.path().join("restarted.txt").exists(), "a declined action ran");
}

/// Waits long enough for a prompt that acted on a key alone to have acted,
/// then reads what the journal holds.
fn journal_after_a_pause(dir: &Path) -> String {
    std::thread::sleep(std::time::Duration::from_millis(700));
    std::fs::read_to_string(dir.join("rec/journal.jsonl")).unwrap()
}

#[test]
fn every_yes_no_prompt_waits_for_enter() {
    let yaml = r#"
id: prompts
title: Prompts
steps:
  - id: sure
    ask: { question: Is it down?, type: confirm }
  - id: look
    instruct: { text: Look at the dashboard. }
  - id: restart
    action:
      confirm: Writes restarted.txt.
      cmd: { sh: "echo restarted > restarted.txt" }
  - id: end
    conclude: { status: resolved }
"#;
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), yaml, &["--record-dir", "rec"]);
    session.exp_string("Is it down? [y/n]").unwrap();
    press(&mut session, "y");
    assert!(!journal_after_a_pause(dir.path()).contains(r#""event":"answered""#), "`y` alone answered");
    press(&mut session, "\r");
    session.exp_string("Done? [Y/n]").unwrap();
    press(&mut session, "n");
    press(&mut session, "y");
    assert!(!journal_after_a_pause(dir.path()).contains(r#""event":"instructed""#), "a key alone acknowledged");
    press(&mut session, "\r");
    session.exp_string("Run it? [y/N]").unwrap();
    press(&mut session, "y");
    assert!(!journal_after_a_pause(dir.path()).contains(r#""event":"action_decided""#), "`y` alone decided");
    assert!(!dir.path().join("restarted.txt").exists(), "`y` alone ran the action");
    press(&mut session, "\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{rest}");
    assert_eq!(std::fs::read_to_string(dir.path().join("restarted.txt")).unwrap(), "restarted\n");
    let record = crate::valid_record(&dir.path().join("rec/record.json"));
    let steps = record["steps"].as_array().unwrap();
    assert_eq!(steps[0]["question"]["answer"], "yes", "{record}");
    assert_eq!(steps[2]["action"]["decision"], "run", "{record}");
    // The action's time is the command's, not the 700ms the operator took
    // to press Enter.
    assert!(steps[2]["duration_ms"].as_u64().is_some_and(|ms| ms < 700), "{record}");
}

#[test]
fn a_note_left_empty_reads_as_one_not_given() {
    let yaml = "id: notes\ntitle: Notes\nsteps:\n  - id: look\n    instruct:\n      text: Look.\n      \
                notes: { seen: What did you see? }\n  - id: end\n    conclude: { status: resolved }\n";
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), yaml, &["--record-dir", "rec"]);
    session.exp_string("What did you see?").unwrap();
    press(&mut session, "\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("seen: (not given)"), "{rest}");
    let record = crate::valid_record(&dir.path().join("rec/record.json"));
    assert_eq!(record["steps"][0]["instruction"]["notes"]["seen"], serde_json::Value::Null, "{record}");
}

/// `resume` at a terminal: the view knows the run is interactive, as a
/// fresh run's does. The instruction is shown once (by the prompt), and the
/// action is not said to be confirmed by `--answer`.
#[test]
fn a_resumed_run_at_a_terminal_shows_its_prompts_once() {
    let yaml = r#"
id: restart
title: Restart
steps:
  - id: drain
    instruct: { text: Drain the worker node. }
  - id: restart
    action:
      confirm: Writes restarted.txt.
      cmd: { sh: "echo restarted > restarted.txt" }
  - id: end
    conclude: { status: resolved }
"#;
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), yaml, &["--record-dir", "rec"]);
    session.exp_string("Done?").unwrap();
    press(&mut session, "n\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 5, "{rest}");
    assert!(rest.contains("continue it with: runbook resume rec"), "{rest}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_runbook"));
    command.current_dir(dir.path()).env("NO_COLOR", "1").env("TERM", "xterm").args(["resume", "rec"]);
    let mut session = rexpect::session::spawn_command(command, Some(PATIENCE_MS)).expect("runbook starts on a pty");
    let shown = session.exp_string("Done? [Y/n]").unwrap();
    press(&mut session, "y\r");
    session.exp_string("Run it? [y/N]").unwrap();
    press(&mut session, "y\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{shown}{rest}");
    let output = format!("{shown}{rest}");
    assert_eq!(output.matches("Drain the worker node.").count(), 1, "{output}");
    assert!(!output.contains("--answer"), "{output}");
    assert_eq!(std::fs::read_to_string(dir.path().join("restarted.txt")).unwrap(), "restarted\n");
}

#[test]
fn enter_alone_takes_the_default_and_an_action_defaults_to_no() {
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), QUESTIONS, &[]);
    session.exp_string("What is wrong?").unwrap();
    press(&mut session, UP);
    press(&mut session, "\r");
    session.exp_string("Run it? [y/N]").unwrap();
    press(&mut session, "\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("escalated"), "{rest}");
    assert!(!dir.path().join("restarted.txt").exists(), "Enter alone ran the action");
}

#[test]
fn ctrl_c_at_a_prompt_aborts_and_gives_the_cursor_back() {
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), QUESTIONS, &[]);
    session.exp_string("What is wrong?").unwrap();
    // The operator reads the question first: a key typed in the instant
    // before the prompt takes the terminal is a signal, not a key press
    // (that case is covered by the signal handlers, not by this test).
    std::thread::sleep(std::time::Duration::from_millis(300));
    session.send_control('c').unwrap();
    let (code, rest) = exit_code(session);
    assert_eq!(code, 130, "{rest}");
    assert!(rest.contains("run aborted: interrupted by the operator"), "{rest}");
    assert!(rest.contains("\x1b[?25h"), "the cursor was not shown again: {rest:?}");
}

#[test]
fn ctrl_c_during_a_probe_kills_its_processes_and_aborts() {
    let yaml = r#"
id: slow
title: Slow probe
steps:
  - id: sleepy
    check:
      cmd: { sh: "sleep 300 & echo $! > grandchild.pid; echo started; wait", timeout: 5m }
  - id: end
    conclude: { status: resolved }
"#;
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), yaml, &[]);
    session.exp_string("sleepy").unwrap();
    let pid_file = dir.path().join("grandchild.pid");
    let started = std::time::Instant::now();
    while !pid_file.exists() || std::fs::read_to_string(&pid_file).unwrap().trim().is_empty() {
        assert!(started.elapsed().as_millis() < u128::from(PATIENCE_MS), "the probe never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    session.send_control('c').unwrap();
    let (code, rest) = exit_code(session);
    assert_eq!(code, 130, "{rest}");
    assert!(rest.contains("interrupted"), "{rest}");
    let pid: u32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    assert!(crate::run::process_gone(pid), "the grandchild {pid} survived Ctrl-C");
}

const SECRET_INPUT: &str = r#"
id: secret-input
title: Secret input
inputs:
  tok: { description: API token, secret: true }
steps:
  - id: given
    check:
      cmd: { argv: [test, "{{ inputs.tok }}", "=", "abc"] }
  - id: end
    conclude: { status: resolved }
"#;

/// The hidden prompt of a secret input takes what is typed without
/// showing it (Backspace included), and shows `[hidden]` once answered.
#[test]
fn a_secret_input_is_typed_hidden() {
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), SECRET_INPUT, &["--record-dir", "rec"]);
    session.exp_string("tok (API token)").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    press(&mut session, "abx\x7fc\r");
    let (code, rest) = exit_code(session);
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("[hidden]"), "{rest}");
    assert!(!rest.contains("abc") && !rest.contains("abx"), "the secret was echoed: {rest}");
    assert_eq!(crate::valid_record(&dir.path().join("rec/record.json"))["status"], "concluded");
}

/// Ctrl-C, and SIGTERM, at the hidden prompt end `runbook` at once
/// (exit 130), with no record: nothing ran.
#[test]
fn ctrl_c_and_sigterm_at_the_hidden_prompt_end_the_run() {
    for how in ["ctrl-c", "sigterm"] {
        let dir = crate::Scratch::new();
        let mut session = spawn(dir.path(), SECRET_INPUT, &["--record-dir", "rec"]);
        session.exp_string("tok (API token)").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        if how == "ctrl-c" {
            session.send_control('c').unwrap();
        } else {
            let pid = nix::unistd::Pid::from_raw(session.process().child_pid.as_raw());
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        }
        let (code, rest) = exit_code(session);
        assert_eq!(code, 130, "{how}: {rest}");
        assert!(!dir.path().join("rec").exists(), "{how}: a record of a run that never started");
        assert!(rest.contains("\x1b[?25h"), "{how}: the cursor was not shown again: {rest:?}");
    }
}

/// A second Ctrl-C exits at once, and says so: what may have been cut,
/// and how to rebuild the record it did not write.
#[test]
fn a_second_ctrl_c_says_the_record_was_not_written_and_how_to_rebuild_it() {
    let yaml = r#"
id: stubborn
title: Stubborn action
steps:
  - id: restart
    action:
      confirm: Ignores signals for a while.
      cmd: { sh: 'trap "" TERM INT; echo begin > begun.txt; sleep 10' }
  - id: end
    conclude: { status: resolved }
"#;
    let dir = crate::Scratch::new();
    let mut session = spawn(dir.path(), yaml, &["--yes", "--record-dir", "rec"]);
    let started = std::time::Instant::now();
    while !dir.path().join("begun.txt").exists() {
        assert!(started.elapsed().as_millis() < u128::from(PATIENCE_MS), "the action never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    session.send_control('c').unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    session.send_control('c').unwrap();
    let (code, rest) = exit_code(session);
    assert_eq!(code, 130, "{rest}");
    assert!(rest.contains("stopped at once by a second signal"), "{rest}");
    assert!(rest.contains("`runbook record rec` rebuilds it"), "{rest}");
    assert!(!dir.path().join("rec/record.md").exists());
}

/// Ctrl-C at a question of a called runbook stops the run (aborted, exit
/// 130, resumable at that question), as at the runbook's own questions: it
/// is never the `call` step's `error` outcome, which would route on and
/// conclude what nobody reached.
#[test]
fn ctrl_c_at_a_called_runbooks_question_aborts_the_run_and_it_resumes_there() {
    let outer = r#"
id: caller
title: Caller
steps:
  - id: c
    call: { runbook: callee.yaml }
    on: { resolved: ok, diagnosed: ok, error: broken }
  - id: ok
    conclude: { status: resolved, diagnosis: "callee said {{ steps.c.conclusion.diagnosis }}" }
  - id: broken
    conclude: { status: escalated, diagnosis: "the callee is broken" }
"#;
    let inner = r#"
id: callee
title: Callee
steps:
  - id: q
    ask: { question: "Restart the primary?", type: confirm }
    on: { yes: r, no: n }
  - id: r
    conclude: { status: resolved, diagnosis: restarted }
  - id: n
    conclude: { status: diagnosed, diagnosis: left alone }
"#;
    let dir = crate::Scratch::new();
    std::fs::write(dir.path().join("callee.yaml"), inner).unwrap();
    let mut session = spawn(dir.path(), outer, &["--record-dir", "rec"]);
    session.exp_string("Restart the primary?").unwrap();
    session.send_control('c').unwrap();
    let (code, rest) = exit_code(session);
    assert_eq!(code, 130, "{rest}");
    let journal = std::fs::read_to_string(dir.path().join("rec/journal.jsonl")).unwrap();
    assert!(journal.contains(r#""status":"aborted""#), "{journal}");
    let routed = journal.lines().filter(|line| line.contains(r#""event":"transition""#));
    assert!(routed.clone().all(|line| !line.contains("broken")), "the call's error route was taken: {journal}");
    Test::new()
        .in_dir(dir.path())
        .args(["resume", "rec", "--non-interactive", "--answer", "c/q=no"])
        .status(0)
        .stdout_contains("callee said left alone");
}
