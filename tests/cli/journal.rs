//! The journal read back by `resume` and `record`: exactly as strict as
//! cli.md says. A line that is not an entry this engine writes is refused,
//! naming the journal and the line, and the journal is left as it was.

use std::path::Path;

use crate::Test;

/// A check whose facts a later step reads, then a question nobody answers
/// here: the run waits, resumable.
const RUNBOOK: &str = "id: j\ntitle: J\nversion: 1\nowners: [me]\nsteps:\n  - id: out\n    check: { cmd: { argv: [echo, hello] } }\n    \
                       next: go\n  - id: go\n    ask: { question: Go on?, type: confirm }\n    next: end\n  - id: end\n    \
                       conclude: { status: resolved, diagnosis: \"it said {{ steps.out.stdout }}\" }\n";

/// A waiting run's record directory, `rec`, beside its runbook.
fn waiting_run() -> crate::Output {
    Test::new()
        .files(&[("runbook.yaml", RUNBOOK.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5)
}

/// The journal's lines as JSON, and the number (from 1) of the first line
/// holding `event`.
fn lines(journal: &Path, event: &str) -> (Vec<serde_json::Value>, usize) {
    let text = std::fs::read_to_string(journal).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let at = lines.iter().position(|line| line["event"] == event).expect("the event is journaled");
    (lines, at + 1)
}

fn write(journal: &Path, lines: &[serde_json::Value]) {
    let text = lines.iter().fold(String::new(), |text, line| text + &line.to_string() + "\n");
    std::fs::write(journal, text).unwrap();
}

/// `resume` and `record` of `dir` both refuse its journal with `expected`,
/// and leave it byte for byte.
#[track_caller]
fn both_refuse(dir: &Path, expected: &str) {
    let journal = dir.join("journal.jsonl");
    let before = std::fs::read(&journal).unwrap();
    Test::new()
        .args(["resume".as_ref(), dir.as_os_str(), "--answer".as_ref(), "go=yes".as_ref()])
        .status(1)
        .stderr_contains(expected);
    Test::new().args(["record".as_ref(), dir.as_os_str()]).status(1).stderr_contains(expected);
    assert_eq!(std::fs::read(&journal).unwrap(), before, "the journal was changed");
}

#[test]
fn a_step_s_facts_are_read_back_as_a_step_s_facts_or_refused_with_the_line() {
    let run = waiting_run();
    let dir = run.path("rec");
    let journal = dir.join("journal.jsonl");
    let (good, line) = lines(&journal, "step_finished");
    // What the step observed is its `probe` line's, written once.
    let (_, probe) = lines(&journal, "probe");
    assert_eq!(good[probe - 1]["part"]["observation"]["stdout"]["text"], "hello\n");
    assert!(good[line - 1]["facts"].get("stdout").is_none(), "{}", good[line - 1]);
    for (field, wrong) in [
        ("probe_duration", serde_json::json!("long")),
        ("duration", serde_json::json!("soon")),
        ("outcome", serde_json::json!("passed")),
        ("error", serde_json::json!({ "kind": "bad", "message": "x" })),
    ] {
        let mut edited = good.clone();
        edited[line - 1]["facts"][field] = wrong;
        write(&journal, &edited);
        both_refuse(&dir, &format!("journal.jsonl: line {line} is not a journal entry: the facts of step `out`"));
    }
    // Without its `probe` line, what the step observed is nowhere.
    let mut edited = good.clone();
    edited.remove(probe - 1);
    write(&journal, &edited);
    both_refuse(
        &dir,
        &format!(
            "journal.jsonl: line {} is not a journal entry: the facts of step `out` leave out what its probe observed, \
             and no `probe` line before them shows it",
            line - 1
        ),
    );
    // A probe line that is not one is refused as such.
    let mut edited = good.clone();
    edited[probe - 1]["part"]["observation"]["exit_code"] = serde_json::json!("zero");
    write(&journal, &edited);
    both_refuse(&dir, &format!("journal.jsonl: line {probe} is not a journal entry"));
    write(&journal, &good);
    Test::new()
        .args(["resume".as_ref(), dir.as_os_str(), "--answer".as_ref(), "go=yes".as_ref()])
        .status(0)
        .stdout_contains("it said hello");
}

#[test]
fn a_time_that_is_not_one_the_journal_writes_is_refused_with_the_line() {
    let run = waiting_run();
    let dir = run.path("rec");
    let journal = dir.join("journal.jsonl");
    let (good, line) = lines(&journal, "step_finished");
    for (at, field, wrong) in [
        (1, "at", "yesterday"),
        (line, "at", "2026-11-30 14:36:51"),
        (1, "started_at", "yesterday"),
        (1, "started_at", "2026-02-30T10:00:00.000Z"),
    ] {
        let mut edited = good.clone();
        edited[at - 1][field] = serde_json::json!(wrong);
        write(&journal, &edited);
        both_refuse(
            &dir,
            &format!(
                "journal.jsonl: line {at} is not a journal entry: `{wrong}` is not a time as the journal writes it \
                 (RFC 3339 in UTC: `2026-11-23T11:36:40.123Z`) (at column"
            ),
        );
    }
    write(&journal, &good);
    Test::new().args(["record".as_ref(), dir.as_os_str()]).status(0);
}

#[test]
fn another_run_s_lines_added_to_a_journal_are_refused() {
    let first = waiting_run();
    let second = waiting_run();
    let journal = first.path("rec/journal.jsonl");
    let (mine, _) = lines(&journal, "run_started");
    let (theirs, _) = lines(&second.path("rec/journal.jsonl"), "run_started");
    let both: Vec<serde_json::Value> = mine.iter().chain(&theirs).cloned().collect();
    write(&journal, &both);
    both_refuse(
        &first.path("rec"),
        &format!(
            "line {} is not a journal entry: a second `run_started` (run `{}`, after run `{}`)",
            mine.len() + 1,
            theirs[0]["id"].as_str().unwrap(),
            mine[0]["id"].as_str().unwrap()
        ),
    );
}

/// What cli.md says is read past: blank lines and lines of NUL bytes (what
/// a crash can leave, also between lines once a resume wrote after them),
/// and fields this engine does not know.
#[test]
fn blank_and_nul_lines_and_unknown_fields_are_read_past() {
    let run = waiting_run();
    let dir = run.path("rec");
    let journal = dir.join("journal.jsonl");
    let (mut good, line) = lines(&journal, "step_finished");
    good[line - 1]["written_by"] = serde_json::json!("a later engine");
    write(&journal, &good);
    let text = std::fs::read_to_string(&journal).unwrap();
    let (head, tail) = text.split_at(text.find('\n').unwrap() + 1);
    std::fs::write(&journal, format!("{head}\n   \n{}\n{tail}", "\0".repeat(100))).unwrap();
    Test::new()
        .args(["resume".as_ref(), dir.as_os_str(), "--answer".as_ref(), "go=yes".as_ref()])
        .status(0)
        .stdout_contains("it said hello");
}

/// What a step's commands find in the journal when they start: every line
/// of the steps before it and the step's own `step_started` (the lines
/// are gathered and written together, at the latest as a step starts), and
/// after a retry's pause the attempt before it.
#[test]
fn a_step_starts_with_every_line_before_it_written() {
    let yaml = r#"
id: written
title: Written
steps:
  - id: first
    check: { cmd: { argv: [echo, one] } }
  - id: copy
    check:
      cmd: { sh: "n=$(ls seen-* 2>/dev/null | wc -l); cp rec/journal.jsonl seen-$n.jsonl; [ $n -ge 1 ]" }
      expect: [ { exit_code: 0 } ]
    retry: { attempts: 2, interval: 10ms }
  - id: end
    conclude: { status: resolved }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0);
    let events = |name: &str| -> Vec<String> {
        let text = std::fs::read_to_string(output.path(name)).unwrap();
        text.lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .map(|line| format!("{} {}", line["event"].as_str().unwrap(), line["step"].as_str().unwrap_or("")))
            .collect()
    };
    let first = ["run_started ", "step_started first", "probe first", "attempt_finished first"];
    let before_copy = [&first[..], &["step_finished first", "transition ", "step_started copy"]].concat();
    assert_eq!(events("seen-0.jsonl"), before_copy);
    let retried = [&before_copy[..], &["probe copy", "attempt_finished copy", "waiting copy"]].concat();
    assert_eq!(events("seen-1.jsonl"), retried);
}
