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

/// An edit of a journal's lines.
type Edit<'a> = Box<dyn Fn(&mut Vec<serde_json::Value>) + 'a>;

/// Lines that each read as an entry but contradict the lines before them
/// (a hand-edited journal) are refused with the line named, never read
/// into a record that contradicts itself (review-8-attack3 L10); a line
/// cut in the middle says where it stops.
#[test]
fn lines_that_contradict_the_lines_before_them_are_refused_with_the_line() {
    let run = waiting_run();
    let dir = run.path("rec");
    let journal = dir.join("journal.jsonl");
    let (good, started) = lines(&journal, "step_started");
    let (_, probe) = lines(&journal, "probe");
    let (_, attempt) = lines(&journal, "attempt_finished");
    let (_, finished) = lines(&journal, "step_finished");
    let (_, transition) = lines(&journal, "transition");
    let edits: [(&str, Edit, usize, &str); 9] = [
        (
            "step",
            Box::new(|lines| lines[started - 1]["step"] = "nosuch".into()),
            started,
            "step `nosuch` starts, but the run's runbook has no such step",
        ),
        (
            "kind",
            Box::new(|lines| lines[started - 1]["kind"] = "action".into()),
            started,
            "step `out` starts as kind `action`, but the run's runbook has it as kind `check`",
        ),
        (
            "probe kind",
            Box::new(|lines| lines[probe - 1]["part"]["probe"] = "http".into()),
            probe,
            "the probe of step `out` is a `http` probe, but what it observed is a `cmd` probe's",
        ),
        (
            "attempt",
            Box::new(|lines| lines[probe - 1]["attempt"] = 2.into()),
            attempt,
            "attempt 1 of step `out` finishes, but the probe lines before it are of attempt 2",
        ),
        (
            "visit",
            Box::new(|lines| lines[started - 1]["visit"] = 2.into()),
            started,
            "step `out` starts its visit 2, but it has not run before",
        ),
        (
            "transition",
            Box::new(|lines| lines[transition - 1]["to"] = "end".into()),
            transition + 1,
            "step `go` starts, but the transition before it goes to `end`",
        ),
        (
            "a visit twice",
            Box::new(|lines| {
                let visit: Vec<serde_json::Value> = lines[started - 1..finished].to_vec();
                lines.splice(finished..finished, visit);
            }),
            finished + 1,
            "step `out` starts its visit 1, but its last visit was 1",
        ),
        (
            "probe twice",
            Box::new(|lines| lines.insert(probe, lines[probe - 1].clone())),
            finished + 1,
            "the facts of step `out` leave out what its probe observed, and 2 `probe` lines of its last attempt show it",
        ),
        (
            "finished twice",
            Box::new(|lines| lines.insert(finished, lines[finished - 1].clone())),
            finished + 1,
            "step `out` finishes, but no `step_started` line since it last finished starts it",
        ),
    ];
    for (what, edit, line, expected) in edits {
        let mut edited = good.clone();
        edit(&mut edited);
        write(&journal, &edited);
        let expected = format!("journal.jsonl: line {line} is not a journal entry: {expected}");
        let refused = Test::new().args(["record".as_ref(), dir.as_os_str()]).status(1);
        assert!(refused.stderr.contains(&expected), "{what}: {}", refused.stderr);
    }
    // Cut in the middle of a string: it ends early, at its own column.
    let text = good.iter().map(ToString::to_string).collect::<Vec<_>>();
    let cut = text.iter().enumerate().map(|(at, line)| if at == 2 { &line[..30] } else { line.as_str() });
    std::fs::write(&journal, cut.collect::<Vec<_>>().join("\n") + "\n").unwrap();
    both_refuse(&dir, "journal.jsonl: line 3 is not a journal entry: it ends before its entry does (cut at column 30)");
    write(&journal, &good);
    Test::new().args(["record".as_ref(), dir.as_os_str()]).status(0);
}
