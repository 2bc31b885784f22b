//! A journal that cannot be written (a full disk, a file size limit) stops
//! the run before anything else runs, so that no action runs unrecorded and
//! a resume cannot run it twice.

use std::process::Command;

const RUNBOOK: &str = r#"
id: full
title: Full disk
steps:
  - id: child
    collect:
      cmd: { sh: "head -c 300000 /dev/zero > big.bin; echo status=$?" }
  - id: big
    check:
      cmd: { sh: "head -c 300000 /dev/zero | tr '\\0' x" }
  - id: restart
    action:
      confirm: Restarts the service.
      cmd: { sh: "echo ran >> ran.txt" }
  - id: end
    conclude: { status: resolved }
"#;

#[test]
fn a_journal_write_failure_stops_the_run_before_the_next_action() {
    let dir = crate::Scratch::new();
    std::fs::write(dir.path().join("runbook.yaml"), RUNBOOK).unwrap();
    // A file size limit of 100-200 KiB (512- or 1024-byte blocks): the
    // journal is created, and its write of the 300 kB probe output fails
    // with EFBIG, as it would with ENOSPC on a full disk. SIGXFSZ keeps its
    // default action, which kills: runbook must survive it, and give it
    // back to the commands it runs.
    let script = "trap - XFSZ; ulimit -f 200; exec \"$0\" run runbook.yaml --non-interactive --yes --record-dir rec";
    let output = Command::new("sh")
        .args(["-c", script, env!("CARGO_BIN_EXE_runbook")])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.path().join("ran.txt").exists(), "the action ran without being recorded");
    assert!(stderr.contains("cannot write the journal"), "{stderr}");
    assert!(stderr.contains("records the run up to step `big`"), "{stderr}");
    // Located at the step that was about to start, with the fix.
    assert!(stderr.contains("the run stopped here"), "{stderr}");
    assert!(stderr.contains("- id: restart"), "{stderr}");
    assert!(stderr.contains("help: free space on the record directory's disk"), "{stderr}");
    let journal = std::fs::read_to_string(dir.path().join("rec/journal.jsonl")).unwrap();
    assert!(!journal.contains("action_decided"), "{journal}");
    // 128 + SIGXFSZ (25): the command was killed by the limit, as outside runbook.
    assert!(journal.contains("status=153"), "{journal}");

    // Room again: the resume runs the probe again and the action once.
    let resumed = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(["resume", "rec", "--non-interactive", "--yes"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stderr));
    assert_eq!(std::fs::read_to_string(dir.path().join("ran.txt")).unwrap(), "ran\n");
}

/// A file size limit below the room the journal takes at the start stops
/// the run before anything runs, with a message instead of SIGXFSZ.
#[test]
fn a_file_size_limit_below_the_journals_start_is_a_message_not_a_kill() {
    let dir = crate::Scratch::new();
    std::fs::write(dir.path().join("runbook.yaml"), RUNBOOK).unwrap();
    let script = "ulimit -f 16; exec \"$0\" run runbook.yaml --non-interactive --yes --record-dir rec";
    let output = Command::new("sh")
        .args(["-c", script, env!("CARGO_BIN_EXE_runbook")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write the incident record"), "{stderr}");
    assert!(!dir.path().join("ran.txt").exists());
}

/// When a resume cannot write the journal, the count of events it gives is
/// the journal's, not only the resume's own.
#[test]
fn a_resumes_journal_failure_counts_the_whole_journal() {
    let yaml = RUNBOOK.replace("steps:\n", "steps:\n  - id: q\n    ask: { question: Go on?, type: confirm }\n");
    let dir = crate::Scratch::new();
    std::fs::write(dir.path().join("runbook.yaml"), yaml).unwrap();
    let waiting = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(waiting.status.code(), Some(5), "{}", String::from_utf8_lossy(&waiting.stderr));
    let before = std::fs::read_to_string(dir.path().join("rec/journal.jsonl")).unwrap().lines().count();
    let script = "ulimit -f 200; exec \"$0\" resume rec --non-interactive --yes --answer q=yes";
    let output = Command::new("sh")
        .args(["-c", script, env!("CARGO_BIN_EXE_runbook")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let counted = regex::Regex::new(r"\((\d+) events, (\d+) of them written by this resume\)").unwrap();
    let numbers = counted.captures(&stderr).unwrap_or_else(|| panic!("no count: {stderr}"));
    let (total, own): (usize, usize) = (numbers[1].parse().unwrap(), numbers[2].parse().unwrap());
    assert_eq!(total - own, before, "{stderr}");
    assert!(!dir.path().join("ran.txt").exists());
}
