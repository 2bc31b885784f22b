//! `runbook test` as a CI gate: it never passes on nothing, judges a case
//! as `runbook run` would end, and refuses what `run` refuses.

use crate::Test;

/// A runbook with two edges, and a test file covering one of them.
const HALF: &str = "id: half
title: Half covered
steps:
  - id: probe
    check:
      cmd: { argv: [\"true\"] }
      expect: [ { exit_code: 0 } ]
    on: { pass: up, fail: up }
  - id: up
    conclude: { status: resolved, severity: info }
";
const HALF_TEST: &str = "cases:
  - name: passes
    observations: { probe: { cmd: { exit_code: 0 } } }
    expect: { conclusion: up }
";

#[test]
fn a_path_that_does_not_exist_or_holds_nothing_fails_the_gate() {
    Test::new()
        .files(&[("empty/.keep", b"")])
        .args(["test", "--min-coverage", "100", "runbookz/", "nosuch.yaml", "empty"])
        .status(1)
        .stderr_contains("error: cannot read `runbookz/`: No such file or directory")
        .stderr_contains("error: cannot read `nosuch.yaml`")
        .stderr_contains("error: `empty` holds no runbook and no test file")
        .stderr_contains("0 passed, 0 failed; 3 unreadable");
}

#[test]
fn a_broken_runbook_or_other_yaml_fails_and_counts_as_zero_percent() {
    let output = Test::new()
        .files(&[
            ("half.yaml", HALF.as_bytes()),
            ("half.test.yaml", HALF_TEST.as_bytes()),
            ("bad.yaml", b"garbage: ["),
            ("docker-compose.yaml", b"services: { web: { image: nginx } }\n"),
        ])
        .args(["test", "--min-coverage", "50", "."])
        .status(3);
    output
        .stderr_contains("./bad.yaml: no test file (./bad.test.yaml)")
        .stderr_contains("./bad.yaml: not a runbook without errors (`runbook check ./bad.yaml` says why)")
        .stderr_contains("./docker-compose.yaml: not a runbook without errors")
        .stderr_contains("coverage: ./bad.yaml has errors (0%)")
        .stderr_contains("coverage of ./bad.yaml is 0%, below --min-coverage 50%")
        .stderr_contains("coverage of ./docker-compose.yaml is 0%")
        .stderr_contains("1 passed, 0 failed; 2 runbooks with errors; 2 runbooks without tests");
    let json = Test::new()
        .files(&[("bad.yaml", b"garbage: [")])
        .args(["test", "--coverage-format", "json", "bad.yaml"])
        .status(3);
    let report: serde_json::Value = json.json();
    assert_eq!(report["files"][0]["has_errors"], true);
    assert_eq!(report["files"][0]["percent"], 0.0);
}

#[test]
fn a_runbook_without_tests_and_without_edges_counts_as_zero_percent() {
    let lone = "id: lone\ntitle: Lone\nsteps:\n  - id: up\n    conclude: { status: resolved }\n";
    Test::new()
        .files(&[("lone.yaml", lone.as_bytes())])
        .args(["test", "--min-coverage", "1", "lone.yaml"])
        .status(6)
        .stderr_contains("coverage of lone.yaml is 0%, below --min-coverage 1%");
}

const CALLED: &str = "id: called
title: Called
steps:
  - id: up
    conclude: { status: resolved, severity: info, diagnosis: callee up }
";

#[test]
fn a_called_runbooks_conclusion_is_not_the_runs() {
    let main = "id: main
title: Main
steps:
  - id: sub
    call: { runbook: called.yaml }
    on: { resolved: after, diagnosed: after, escalated: after, inconclusive: after, error: after }
  - id: done
    conclude: { status: diagnosed, severity: high }
  - id: after
    check:
      cmd: { argv: [\"true\"] }
      expect: [ { exit_code: 0 } ]
    on: { fail: done }
";
    let runs_on = "cases:
  - name: the caller runs past its last step
    observations: { after: { cmd: {} } }
    expect: { status: ended, through: [sub/up, after] }
  - name: no conclusion
    observations: { after: { cmd: {} } }
    expect: { severity: info, conclusion: done }
";
    let files =
        [("called.yaml", CALLED.as_bytes()), ("main.yaml", main.as_bytes()), ("main.test.yaml", runs_on.as_bytes())];
    Test::new()
        .files(&files)
        .args(["test", "main.test.yaml"])
        .status(6)
        .stderr_contains("  ok    the caller runs past its last step\n")
        .stderr_contains("  FAIL  no conclusion\n")
        .stderr_contains("severity: expected severity `info`, got none")
        .stderr_contains("expected the run to conclude at `done`, but it ended `ended` without a conclusion");
    let test = "cases:
  - name: concludes at the callee's step
    observations: { after: { cmd: {} } }
    expect: { conclusion: sub/up }
";
    let files =
        [("called.yaml", CALLED.as_bytes()), ("main.yaml", main.as_bytes()), ("main.test.yaml", test.as_bytes())];
    Test::new()
        .files(&files)
        .args(["test", "main.test.yaml"])
        .status(3)
        .stderr_contains("`sub/up` is a conclusion of the called runbook, not of this run");
}

#[test]
fn a_missing_callee_or_a_call_cycle_is_refused_as_run_refuses_it() {
    let test = "cases:
  - name: mocked
    observations: { sub: { conclusion: { status: resolved } } }
    expect: { conclusion: ok }
";
    for callee in ["missing.yaml", "main.yaml"] {
        let main = format!(
            "id: main
title: Main
steps:
  - id: sub
    call: {{ runbook: {callee} }}
    on: {{ resolved: ok, diagnosed: ok, escalated: ok, inconclusive: ok, error: ok }}
  - id: ok
    conclude: {{ status: resolved }}
"
        );
        Test::new()
            .files(&[("main.yaml", main.as_bytes()), ("main.test.yaml", test.as_bytes())])
            .args(["test", "."])
            .status(3)
            .stderr_contains("the runbook under test `./main.yaml` has errors")
            .stderr_contains("coverage: ./main.yaml has errors (0%)");
    }
}

#[test]
fn control_characters_in_names_and_failures_are_shown_escaped() {
    let test = "cases:
  - name: \"\\e]0;PWNED\\a\\e[2J\\rok    fake\"
    observations: { probe: { cmd: { exit_code: 0 } } }
    expect: { diagnosis: \"\\e[8m\" }
";
    let output = Test::new()
        .files(&[("half.yaml", HALF.as_bytes()), ("half.test.yaml", test.as_bytes())])
        .args(["test", "."])
        .status(6);
    assert!(!output.stderr.contains('\u{1b}') && !output.stderr.contains('\u{7}'), "{}", output.stderr);
    output
        .stderr_contains("  FAIL  \\x1b]0;PWNED\\x07\\x1b[2J\\rok    fake\n")
        .stderr_contains("expected the diagnosis to contain `\\x1b[8m`");
    let played = Test::new()
        .files(&[("half.yaml", HALF.as_bytes()), ("half.test.yaml", test.as_bytes())])
        .args(["run", "--dry-run", "--case", "half.test.yaml:\u{1b}]0;PWNED\u{7}\u{1b}[2J\rok    fake"])
        .status(6);
    assert!(!played.stderr.contains('\u{1b}'), "{}", played.stderr);
    played.stderr_contains("case `\\x1b]0;PWNED\\x07\\x1b[2J\\rok    fake`: FAIL");
}

#[test]
fn a_case_runs_the_same_probes_at_once_on_any_number_of_cores() {
    let runbook = "id: cc
title: cc
inputs:
  items: { description: i, type: list, default: [a, b, c, d, e, f, g, h] }
steps:
  - id: each
    timeout: 5s
    check:
      foreach: \"{{ inputs.items }}\"
      as: it
      http: { url: \"http://127.0.0.1:9/{{ it }}\", timeout: 4s }
      expect: [ { status: 200 } ]
    on: { pass: up, fail: down, error: down }
  - id: up
    conclude: { status: resolved }
  - id: down
    conclude: { status: diagnosed, severity: high }
";
    let test = "cases:
  - name: eight slow items at once
    observations: { each: { default: { http: { status: 200, duration: 3s } } } }
    expect: { conclusion: up }
";
    // One core would give 4 probes at once in a real run: two batches of
    // 3 s pass the step's 5 s timeout. A case runs 8 at once everywhere.
    Test::with_binary(std::path::Path::new("taskset"))
        .files(&[("cc.yaml", runbook.as_bytes()), ("cc.test.yaml", test.as_bytes())])
        .args(["-c", "0", env!("CARGO_BIN_EXE_runbook"), "test", "."])
        .status(0)
        .stderr_contains("  ok    eight slow items at once");
}

#[test]
fn reports_never_overwrite_a_test_file_or_a_runbook() {
    let files = [("half.yaml", HALF.as_bytes()), ("half.test.yaml", HALF_TEST.as_bytes())];
    for args in [
        vec!["test", "half.test.yaml", "--junit", "half.test.yaml"],
        vec!["test", "half.test.yaml", "--coverage-format", "lcov", "--coverage-file", "half.yaml"],
        vec!["test", "half.test.yaml", "--junit", "elsewhere.yml"],
    ] {
        let output = Test::new().files(&files).args(&args).status(2);
        let flag = args[args.len() - 2];
        let output =
            output.stderr_contains(&format!("`{flag} ")).stderr_contains("would overwrite a runbook or a test file");
        assert_eq!(std::fs::read_to_string(output.path("half.yaml")).unwrap(), HALF);
        assert_eq!(std::fs::read_to_string(output.path("half.test.yaml")).unwrap(), HALF_TEST);
    }
    let output = Test::new()
        .files(&files)
        .args(["test", "--coverage-format", "human", "--coverage-file", "h.txt", "."])
        .status(2)
        .stderr_contains("`--coverage-file` takes the `json` or `lcov` report");
    assert!(!output.path("h.txt").exists());
}

#[test]
fn a_case_whose_name_holds_a_colon_plays() {
    let test = "cases:
  - name: \"readyz: up\"
    observations: { probe: { cmd: { exit_code: 0 } } }
    expect: { conclusion: up }
";
    Test::new()
        .files(&[("half.yaml", HALF.as_bytes()), ("half.test.yaml", test.as_bytes())])
        .args(["run", "--dry-run", "--case", "half.test.yaml:readyz: up"])
        .status(0)
        .stderr_contains("case `readyz: up`: ok");
}

#[test]
fn coverage_reads_the_same_everywhere_and_junit_shows_the_paths() {
    let three = "id: three
title: Three edges
steps:
  - id: probe
    check:
      cmd: { argv: [\"true\"] }
      expect: [ { exit_code: 0 } ]
    on: { pass: up, fail: down, error: down }
  - id: up
    conclude: { status: resolved }
  - id: down
    conclude: { status: diagnosed, severity: high }
";
    let test = "cases:
  - name: passes
    observations: { probe: { cmd: { exit_code: 0 } } }
    expect: { path: [probe, up] }
  - name: fails
    observations: { probe: { cmd: { exit_code: 1 } } }
    expect: { path: [probe, up] }
";
    let files = [("three.yaml", three.as_bytes()), ("three.test.yaml", test.as_bytes())];
    let output = Test::new()
        .files(&files)
        .args(["test", "--min-coverage", "66.67", "--junit", "junit.xml", "three.yaml"])
        .status(6)
        .stderr_contains("coverage: three.yaml 2/3 edges (66.6%)")
        .stderr_contains("coverage of three.yaml is 66.6%, below --min-coverage 66.67%");
    let junit = std::fs::read_to_string(output.path("junit.xml")).unwrap();
    assert!(
        junit.contains("path: the path differs from `expect.path`\n  expected: probe → up\n  actual:   probe → down"),
        "{junit}"
    );
    let json = Test::new().files(&files).args(["test", "--coverage-format", "json", "three.yaml"]).status(6);
    let report: serde_json::Value = json.json();
    assert_eq!(report["files"][0]["percent"], 66.6);
}

#[test]
fn a_fifo_or_an_endless_file_is_refused_without_reading_it_whole() {
    let output = Test::new()
        .files(&[("half.yaml", HALF.as_bytes())])
        .prepare(|dir| {
            std::os::unix::fs::symlink("/dev/zero", dir.join("half.test.yaml")).unwrap();
            let fifo = std::process::Command::new("mkfifo").arg(dir.join("pipe.test.yaml")).status().unwrap();
            assert!(fifo.success());
        })
        .args(["test", "half.test.yaml", "pipe.test.yaml"])
        .status(1);
    output
        .stderr_contains("error: cannot read `half.test.yaml`: not a regular file")
        .stderr_contains("error: cannot read `pipe.test.yaml`: not a regular file");
    // Past the loader's 16 MiB limit (linking runbook_model here would
    // make other tests' `assert_eq!(…, [])` ambiguous).
    let big = "#".repeat(16 * 1024 * 1024 + 10);
    Test::new()
        .files(&[("half.yaml", HALF.as_bytes()), ("half.test.yaml", big.as_bytes())])
        .args(["test", "half.test.yaml"])
        .status(3)
        .stderr_contains("the file is over 16777216 bytes, the limit for a test file");
}

#[test]
fn a_played_case_refuses_flags_it_would_ignore_and_says_it_is_mocked() {
    let test = "cases:
  - name: up
    observations: { probe: { cmd: { exit_code: 0 } } }
    expect: { conclusion: up }
";
    let files = [("half.yaml", HALF.as_bytes()), ("half.test.yaml", test.as_bytes())];
    Test::new()
        .files(&files)
        .args(["run", "--dry-run", "--case", "half.test.yaml:up", "-a", "probe=yes", "-i", "x=1", "--format", "json"])
        .status(2)
        .stderr_contains("`--input`, `--answer`, `--format json` would be ignored");
    Test::new()
        .files(&files)
        .args(["run", "--dry-run", "--case", "half.test.yaml:up"])
        .status(0)
        .stdout_contains("[case] `up` of half.test.yaml: mocked observations on a virtual clock; nothing runs");
}

#[test]
fn an_instruct_step_answered_no_leaves_the_case_waiting() {
    let runbook = "id: i
title: Instruct
steps:
  - id: do
    instruct: { text: Restart the pod. }
    next: up
  - id: up
    conclude: { status: resolved }
";
    let test = "cases:
  - name: not done
    answers: { do: no }
    expect: { status: waiting, path: [do] }
  - name: done
    answers: { do: yes }
    expect: { conclusion: up }
";
    Test::new()
        .files(&[("i.yaml", runbook.as_bytes()), ("i.test.yaml", test.as_bytes())])
        .args(["test", "."])
        .status(0)
        .stderr_contains("  ok    not done\n")
        .stderr_contains("2 passed, 0 failed");
}
