//! `runbook check`: exit codes, directory search, and the JSON contract.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Test;

/// The `--format json` document, re-declared with `deny_unknown_fields` so
/// that any change to the machine output breaks this test first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    version: u32,
    files: Vec<File>,
    summary: Summary,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    path: String,
    ok: bool,
    #[serde(default)]
    read_error: Option<String>,
    diagnostics: Vec<Diagnostic>,
    #[serde(default)]
    invalid_callees: Vec<Callee>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Callee {
    path: String,
    chain: Vec<String>,
    diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Diagnostic {
    code: String,
    name: String,
    level: String,
    message: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    label: Option<String>,
    help: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Summary {
    files: usize,
    errors: usize,
    warnings: usize,
}

const VALID: &str = "id: ok\ntitle: OK\nsteps:\n  - id: done\n    conclude: { status: resolved }\n";
const TYPO: &str = "id: typo\ntitle: Typo\nsteps:\n  - id: first\n    next: secnd\n    instruct: { text: look }\n  - id: second\n    conclude: { status: resolved }\n";
const WARNING: &str = "id: warn\ntitle: Warn\nsteps:\n  - id: only\n    instruct: { text: look }\n";

#[test]
fn a_valid_runbook_passes_quietly() {
    Test::new()
        .files(&[("ok.yaml", VALID.as_bytes())])
        .args(["check", "ok.yaml"])
        .status(0)
        .stderr_contains("checked 1 runbook: ok");
}

#[test]
fn an_error_exits_3_with_the_location_and_a_suggestion() {
    let output = Test::new().files(&[("typo.yaml", TYPO.as_bytes())]).args(["check", "typo.yaml"]).status(3);
    let output = output
        .stderr_contains("error[RB201]")
        .stderr_contains("unknown step `secnd`")
        .stderr_contains("typo.yaml:5:11")
        .stderr_contains("did you mean `second`?");
    assert!(output.stderr.contains("1 error"), "{}", output.stderr);
}

#[test]
fn a_key_written_at_the_wrong_level_is_told_where_it_belongs() {
    let check = |key: &str| {
        let yaml = format!(
            "id: t\ntitle: T\nsteps:\n  - id: a\n    check:\n      {key}\n      cmd: {{ sh: \"true\" }}\n  - id: b\n    \
             conclude: {{ status: resolved }}\n"
        );
        Test::new().files(&[("t.yaml", yaml.as_bytes())]).args(["check", "t.yaml"]).status(3)
    };
    check("sh: \"true\"")
        .stderr_contains("unknown key `sh`")
        .stderr_contains("`sh` is a key of `cmd:`, not of this mapping: `cmd: { sh: … }`");
    check("retry: { attempts: 2 }")
        .stderr_contains("unknown key `retry`")
        .stderr_contains("`retry` is a key of an entry of `steps:`, not of this mapping");
    // A likely typo keeps its suggestion.
    check("expekt: []").stderr_contains("did you mean `expect`?");
}

#[test]
fn warnings_pass_unless_denied() {
    Test::new()
        .files(&[("w.yaml", WARNING.as_bytes())])
        .args(["check", "w.yaml"])
        .status(0)
        .stderr_contains("warning[RB205]");
    Test::new().files(&[("w.yaml", WARNING.as_bytes())]).args(["check", "--deny-warnings", "w.yaml"]).status(3);
}

#[test]
fn json_output_is_stable_and_located() {
    let output = Test::new()
        .files(&[("ok.yaml", VALID.as_bytes()), ("typo.yaml", TYPO.as_bytes())])
        .args(["check", "--format", "json", "ok.yaml", "typo.yaml"])
        .status(3);
    let report: Report = output.json();
    assert_eq!(report.version, 1);
    // `second` is unreachable only because of the typo: that echo is not reported.
    assert_eq!((report.summary.files, report.summary.errors, report.summary.warnings), (2, 1, 0));
    assert!(report.files[0].ok && report.files[0].diagnostics.is_empty());
    let typo = &report.files[1];
    assert_eq!(typo.path, "typo.yaml");
    assert!(!typo.ok);
    let diagnostic = &typo.diagnostics[0];
    assert_eq!(
        (diagnostic.code.as_str(), diagnostic.name.as_str(), diagnostic.level.as_str()),
        ("RB201", "unknown-step", "error")
    );
    assert_eq!((diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column), (5, 11, 5, 16));
    assert_eq!(diagnostic.help.as_deref(), Some("did you mean `second`?"));
    assert!(output.stderr.is_empty(), "json mode keeps stderr clean: {}", output.stderr);
}

/// A runbook calling one, which calls one with four errors: more than
/// RB211 quotes on its line.
const CALLER: &str = "id: caller\ntitle: Caller\nsteps:\n  - id: database\n    call: { runbook: lib/db.yaml }\n";
const MIDDLE: &str = "id: db\ntitle: Db\nsteps:\n  - id: deeper\n    call: { runbook: deep.yaml }\n";
const DEEP: &str = "id: deep\ntitle: Deep\nsteps:\n  - id: one\n    instruct: { text: a }\n    next: nowhere\n  \
                    - id: two\n    instruct: { text: b }\n    next: nowhere2\n  \
                    - id: three\n    instruct: { text: c }\n    next: nowhere3\n  \
                    - id: four\n    instruct: { text: d }\n    next: nowhere4\n  \
                    - id: end\n    conclude: { status: resolved }\n";

#[test]
fn every_error_of_a_called_runbook_is_shown_in_full_with_the_chain_of_calls() {
    let files: [(&str, &[u8]); 3] =
        [("runbook.yaml", CALLER.as_bytes()), ("lib/db.yaml", MIDDLE.as_bytes()), ("lib/deep.yaml", DEEP.as_bytes())];
    let output = Test::new().files(&files).args(["check", "runbook.yaml"]).status(3);
    let stderr = &output.stderr;
    assert!(stderr.contains("error[RB211]"), "{stderr}");
    assert!(
        stderr.contains("`lib/deep.yaml`, called as `runbook.yaml` → `lib/db.yaml` → `lib/deep.yaml`:"),
        "{stderr}"
    );
    for target in ["nowhere", "nowhere2", "nowhere3", "nowhere4"] {
        assert!(stderr.contains(&format!("next: {target}\n")), "{target} is shown in its snippet: {stderr}");
    }
    assert_eq!(stderr.matches("error[RB201]").count(), 4, "{stderr}");
    // Once each: the RB211 says they follow instead of quoting them too.
    assert_eq!(stderr.matches("unknown step `nowhere2`").count(), 1, "{stderr}");
    assert!(stderr.contains("its errors are shown in full below"), "{stderr}");

    let output = Test::new().files(&files).args(["check", "--format", "json", "runbook.yaml"]).status(3);
    let report: Report = output.json();
    let [callee] = report.files[0].invalid_callees.as_slice() else { panic!("{report:?}") };
    assert_eq!(callee.path, "lib/deep.yaml");
    assert_eq!(callee.chain, ["runbook.yaml", "lib/db.yaml", "lib/deep.yaml"]);
    let lines: Vec<(&str, usize)> = callee.diagnostics.iter().map(|d| (d.code.as_str(), d.line)).collect();
    assert_eq!(lines, [("RB201", 6), ("RB201", 9), ("RB201", 12), ("RB201", 15)]);
}

#[test]
fn directories_are_searched_with_their_test_files() {
    let output = Test::new()
        .files(&[
            ("books/a.yaml", VALID.as_bytes()),
            ("books/nested/b.yml", VALID.as_bytes()),
            ("books/a.test.yaml", b"cases: []\n"),
            ("books/.hidden/c.yaml", b"not: [a runbook"),
            ("books/notes.txt", b"not yaml"),
        ])
        .args(["check", "--format", "json", "books"])
        .status(0);
    let report: Report = output.json();
    let paths: Vec<&str> = report.files.iter().map(|file| file.path.as_str()).collect();
    assert_eq!(paths, ["books/a.test.yaml", "books/a.yaml", "books/nested/b.yml"]);
}

#[test]
fn a_missing_file_is_an_io_error() {
    let output = Test::new().files(&[]).args(["check", "--format", "json", "missing.yaml"]).status(1);
    let report: Report = output.json();
    assert!(report.files[0].read_error.as_deref().is_some_and(|e| e.contains("No such file")));
    Test::new().files(&[]).args(["check", "missing.yaml"]).status(1).stderr_contains("cannot read `missing.yaml`");
}

#[test]
fn usage_errors_exit_2_and_teach() {
    Test::new().args(["check"]).status(2).stderr_contains("<PATH>");
    Test::new().args(["check", "--format", "xml", "x.yaml"]).status(2).stderr_contains("possible values: human, json");
    Test::new().args(["check", "--help"]).status(0).stdout_contains("*.test.yaml");
}

#[test]
fn directories_check_test_files_against_their_runbook() {
    let runbook = b"id: demo\ntitle: Demo\nsteps:\n  - id: healthz\n    check:\n      http: { url: 'http://127.0.0.1:9/' }\n      expect: [ { status: 200 } ]\n    on: { pass: up, fail: down, warn: down, error: down }\n  - id: up\n    conclude: { status: resolved }\n  - id: down\n    conclude: { status: diagnosed }\n";
    let good = b"cases:\n  - name: up\n    observations: { healthz: { http: { status: 200 } } }\n    expect: { conclusion: up }\n";
    Test::new()
        .files(&[("demo.yaml", runbook), ("demo.test.yaml", good)])
        .args(["check", "--deny-warnings", "."])
        .status(0)
        .stderr_contains("checked 1 runbook and 1 test file: ok");
    let typo = b"cases:\n  - name: up\n    observations: { healthz: { tcp: { connected: true } } }\n    expect: { conclusion: upp }\n";
    let output = Test::new().files(&[("demo.yaml", runbook), ("demo.test.yaml", typo)]).args(["check", "."]).status(3);
    output.stderr_contains("error[RB503]").stderr_contains("error[RB501]").stderr_contains("did you mean `up`?");
}

/// A check with the cache on, kept in `cache`.
fn cached(cache: &Path) -> Test {
    cached_with(Path::new(env!("CARGO_BIN_EXE_runbook")), cache)
}

fn cached_with(binary: &Path, cache: &Path) -> Test {
    Test::with_binary(binary).env("RUNBOOK_NO_CACHE", "").env("RUNBOOK_CACHE_DIR", &cache.display().to_string())
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(cache.join("check")) else { return Vec::new() };
    dir.map(|entry| entry.expect("cache entry").path()).collect()
}

/// Replaces the findings of the cache's only entry with a planted one, so
/// that a later run shows whether it read that entry.
fn plant(cache: &Path) {
    let [entry] = entries(cache).try_into().expect("one cache entry");
    let mut stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&entry).expect("entry")).expect("json");
    stored["diagnostics"] = serde_json::json!([{
        "code": "RB201", "message": "planted finding", "start": 0, "end": 2, "label": null, "help": null
    }]);
    std::fs::write(&entry, stored.to_string()).expect("plant");
}

#[test]
fn the_cache_gives_the_same_findings_as_a_fresh_check_for_the_whole_corpus() {
    let cache = tempfile::tempdir().expect("cache dir");
    let args = ["check", "--format", "json", "tests/check/broken"];
    let fresh = Test::new().args(args).status(3).stdout;
    let missed = cached(cache.path()).args(args).status(3).stdout;
    let stored = entries(cache.path()).len();
    let hit = cached(cache.path()).args(args).status(3).stdout;
    assert_eq!(missed, fresh);
    assert_eq!(hit, fresh);
    let report: Report = serde_json::from_str(&fresh).expect("report");
    // Every file is stored but the ones with `call` steps.
    assert!(stored > 100 && stored <= report.files.len(), "{stored} entries for {} files", report.files.len());
    assert_eq!(entries(cache.path()).len(), stored, "a second run stores nothing new");
}

#[test]
fn concurrent_checks_share_the_cache_safely() {
    let cache = tempfile::tempdir().expect("cache dir");
    let args = ["check", "--format", "json", "tests/check/broken"];
    let fresh = Test::new().args(args).status(3).stdout;
    let outputs: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4).map(|_| scope.spawn(|| cached(cache.path()).args(args).status(3).stdout)).collect();
        runs.into_iter().map(|run| run.join().expect("check thread")).collect()
    });
    assert!(outputs.iter().all(|output| *output == fresh));
    assert_eq!(cached(cache.path()).args(args).status(3).stdout, fresh);
    let leftovers: Vec<_> = entries(cache.path()).into_iter().filter(|path| !is_key(path)).collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

fn is_key(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.len() == 64 && name.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

#[test]
fn a_cached_result_follows_the_file_and_the_engine() {
    let cache = tempfile::tempdir().expect("cache dir");
    let work = tempfile::tempdir().expect("work dir");
    let file = work.path().join("book.yaml");
    let check = |binary: &Path| cached_with(binary, cache.path()).args([OsStr::new("check"), file.as_os_str()]);
    let binary = Path::new(env!("CARGO_BIN_EXE_runbook"));
    std::fs::write(&file, VALID).expect("write");
    check(binary).status(0);
    plant(cache.path());
    // The planted finding is read back: the entry is what answers.
    check(binary).status(3).stderr_contains("planted finding");
    // Another engine (a copy of the binary: another file, another time).
    let copy = work.path().join("runbook-copy");
    std::fs::copy(binary, &copy).expect("copy the binary");
    wait_until_executable(&copy);
    let output = check(&copy).status(0);
    assert!(!output.stderr.contains("planted"), "{}", output.stderr);
    // Other content: checked afresh, and the old entry comes back with it.
    std::fs::write(&file, TYPO).expect("edit");
    let output = check(binary).status(3).stderr_contains("unknown step `secnd`");
    assert!(!output.stderr.contains("planted"), "{}", output.stderr);
    std::fs::write(&file, VALID).expect("restore");
    check(binary).status(3).stderr_contains("planted finding");
    // Off: `--no-cache`, and a cache that cannot be written is no error.
    check(binary).args(["--no-cache"]).status(0);
    std::fs::write(cache.path().join("check-blocked"), "").expect("file");
    cached_with(binary, &cache.path().join("check-blocked")).args([OsStr::new("check"), file.as_os_str()]).status(0);
}

/// A file just written may not be executable at once: a child another test
/// forked meanwhile holds it open for writing until it execs (ETXTBSY).
fn wait_until_executable(program: &Path) {
    for _ in 0..100 {
        match std::process::Command::new(program).arg("--version").output() {
            Err(error) if error.raw_os_error() == Some(nix::errno::Errno::ETXTBSY as i32) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            result => {
                result.expect("the copied binary runs");
                return;
            }
        }
    }
    panic!("{} stayed busy", program.display());
}

/// A literal `tls.ca_file` is looked for where the run would read it (a
/// relative path from the current directory): missing, or not a regular
/// file (a FIFO is reported, never opened), it is RB215; present, nothing.
/// The findings depend on that file, so they are never taken from the
/// cache.
#[test]
fn a_literal_ca_file_that_names_no_regular_file_is_rb215_and_never_cached() {
    let yaml = "id: ca\ntitle: CA\nsteps:\n  - id: api\n    check:\n      http: { url: \"https://api.internal/\", tls: { ca_file: certs/ca.pem } }\n    next: end\n  - id: end\n    conclude: { status: resolved }\n";
    let cache = tempfile::tempdir().expect("cache dir");
    let check = |dir: &Path| cached(cache.path()).args(["check", "--deny-warnings", "ca.yaml"]).in_dir(dir);
    let missing = Test::new().files(&[("ca.yaml", yaml.as_bytes())]).args(["check", "ca.yaml"]).status(0);
    let missing = missing.stderr_contains("warning[RB215]").stderr_contains(
        "CA file `certs/ca.pem` does not exist here (a relative path is read from the directory the run starts in)",
    );
    let dir = missing.path("");
    check(&dir).status(3).stderr_contains("warning[RB215]");
    std::fs::create_dir(dir.join("certs")).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(dir.join("certs/ca.pem")).status().unwrap().success());
    check(&dir).status(3).stderr_contains("CA file `certs/ca.pem` is not a regular file");
    std::fs::remove_file(dir.join("certs/ca.pem")).unwrap();
    std::fs::write(dir.join("certs/ca.pem"), "-----BEGIN CERTIFICATE-----\n").unwrap();
    let clean = check(&dir).status(0);
    assert!(!clean.stderr.contains("RB215"), "{}", clean.stderr);
    assert!(entries(cache.path()).is_empty(), "findings that depend on another file were cached");
}

#[test]
fn a_called_runbooks_capture_types_its_var_in_the_caller_and_a_call_input_template_is_typed() {
    let called = b"id: counting\ntitle: Count\ninputs:\n  port: { type: number, default: 80 }\nsteps:\n  - id: count\n    collect:\n      cmd: { sh: 'echo errors: 5' }\n      capture:\n        errors: { regex: 'errors: (\\d+)', default: '0' }\n  - id: done\n    conclude: { status: resolved }\n";
    let calling = b"id: caller\ntitle: Caller\nsteps:\n  - id: get\n    collect:\n      cmd: { sh: echo 5432 }\n      capture:\n        port: { regex: '(\\d+)', default: '1' }\n  - id: sub\n    call:\n      runbook: called.yaml\n      inputs: { port: '{{ vars.port }}' }\n    on:\n      resolved:\n        - when: steps.sub.vars.errors > 3\n          goto: many\n        - goto: few\n      error: few\n      diagnosed: few\n      escalated: few\n      inconclusive: few\n  - id: many\n    conclude: { status: diagnosed }\n  - id: few\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("caller.yaml", calling), ("called.yaml", called)])
        .args(["check", "--format", "json", "caller.yaml"])
        .status(3);
    let report: serde_json::Value = output.json();
    let found: Vec<String> = report["files"][0]["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| format!("{} {}", d["code"].as_str().unwrap_or_default(), d["message"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        found,
        [
            "RB310 input `port` of `called.yaml` is a number, and `vars.port` is a string: capture `port` is a `regex` \
             capture, which gives a string; give the capture `port` a `type: int` (or `float`)",
            "RB311 `steps.sub.vars.errors > 3` compares a string with a number",
        ],
        "{found:?}"
    );
    let fixed = String::from_utf8_lossy(calling)
        .replace("'{{ vars.port }}'", "'{{ vars.port | int }}'")
        .replace("steps.sub.vars.errors > 3", "steps.sub.vars.errors | int > 3");
    Test::new()
        .files(&[("caller.yaml", fixed.as_bytes()), ("called.yaml", called)])
        .args(["check", "--deny-warnings", "caller.yaml"])
        .status(0);
}

/// A var read only after its `when` chain routed `vars.X is not defined`
/// elsewhere is set there: the chain's later entries and its default take
/// no unset value, so RB312 stays quiet (review-10-attack5 M2), and only a
/// step the unset case can reach is reported.
#[test]
fn a_var_routed_unset_earlier_in_the_chain_is_set_after_it() {
    let yaml = r#"
id: up
title: Restarted recently?
steps:
  - id: up
    collect:
      cmd: { sh: "echo 'worker up 10m'" }
      capture:
        up: { regex: 'up (\S+)', type: duration }
    next:
      - when: steps.up.outcome == "error"
        goto: cannot
      - when: vars.up is not defined
        goto: unknown
      - when: vars.up < "5m"
        goto: fresh
      - goto: old
  - id: fresh
    conclude: { status: diagnosed, severity: high, diagnosis: "restarted {{ vars.up | duration }} ago" }
  - id: old
    conclude: { status: resolved, diagnosis: "up {{ vars.up | duration }}: stable" }
  - id: unknown
    conclude: { status: inconclusive, diagnosis: "cannot read the uptime" }
  - id: cannot
    conclude: { status: inconclusive, diagnosis: "the uptime command gave no answer" }
"#;
    Test::new().files(&[("up.yaml", yaml.as_bytes())]).args(["check", "--deny-warnings", "up.yaml"]).status(0);
    let unguarded = yaml.replace("        goto: unknown\n", "        goto: old\n");
    Test::new()
        .files(&[("up.yaml", unguarded.as_bytes())])
        .args(["check", "up.yaml"])
        .status(0)
        .stderr_contains("warning[RB312]")
        .stderr_contains("`vars.up` may be unset here");
    // A typed `stdout` capture is unset only where the step's `error` leads
    // (no answer, or text that does not convert: `invalid_capture`); routed
    // first, it is set in the rest of the chain (review-12-user4 M1,
    // review-10-attack6 M6), and unrouted, the first `when` stops (RB324).
    let typed = yaml.replace(r"up: { regex: 'up (\S+)', type: duration }", "up: { stdout: true, type: duration }");
    Test::new().files(&[("up.yaml", typed.as_bytes())]).args(["check", "--deny-warnings", "up.yaml"]).status(0);
    let error_unrouted = typed.replace("      - when: steps.up.outcome == \"error\"\n        goto: cannot\n", "");
    Test::new()
        .files(&[("up.yaml", error_unrouted.as_bytes())])
        .args(["check", "up.yaml"])
        .status(0)
        .stderr_contains("warning[RB324]")
        .stderr_contains("this `when` reads `vars.up`, which `up` leaves unset");
}

/// A whole-output capture (`stdout: true`, `body: true`, `status: true`) is
/// unset only when its probe gave no answer: RB312 reports a read where the
/// step's `error` leads (a `collect`'s every exit, an `on: error` route),
/// never where only an answer leads (review-10-attack5 M7). The real run
/// stops where the warning points.
#[test]
fn a_whole_output_capture_is_unset_only_where_no_answer_leads() {
    let routed = r#"
id: pods
title: Pods at the time of the incident
steps:
  - id: pods
    check:
      cmd: { sh: "kubectll get pods -n kneo", timeout: 5s }
      expect: [ { exit_code: 0 } ]
      capture:
        pods: { stdout: true }
    on: { pass: listed, fail: listed, error: cannot }
  - id: listed
    conclude: { status: diagnosed, diagnosis: "pods: {{ vars.pods }}" }
  - id: cannot
    conclude: { status: inconclusive, diagnosis: "cannot list the pods" }
"#;
    Test::new().files(&[("pods.yaml", routed.as_bytes())]).args(["check", "--deny-warnings", "pods.yaml"]).status(0);
    let into_the_read = routed.replace("error: cannot }", "error: listed }");
    Test::new()
        .files(&[("pods.yaml", into_the_read.as_bytes())])
        .args(["check", "pods.yaml"])
        .status(0)
        .stderr_contains("pods.yaml:13:")
        .stderr_contains(
            "`vars.pods` may be unset here: when `pods` gets no answer (`error`), its `stdout` capture is unset",
        )
        .stderr_contains("help: write `{{ vars.pods | default(\"no answer\") }}`");
    let collect = routed
        .replace("    check:\n", "    collect:\n")
        .replace("      expect: [ { exit_code: 0 } ]\n", "")
        .replace("    on: { pass: listed, fail: listed, error: cannot }\n", "");
    let report: serde_json::Value = Test::new()
        .files(&[("pods.yaml", collect.as_bytes())])
        .args(["check", "--format", "json", "pods.yaml"])
        .status(0)
        .json();
    let warning = &report["files"][0]["diagnostics"][0];
    assert_eq!(
        (warning["code"].as_str(), warning["line"].as_u64(), warning["column"].as_u64()),
        (Some("RB312"), Some(11), Some(47))
    );
    let help = warning["help"].as_str().unwrap_or_default();
    assert!(help.contains("make `pods` a `check` and route its `error` to a step that does not read it"), "{help}");
    Test::new()
        .files(&[("pods.yaml", collect.as_bytes())])
        .args(["run", "pods.yaml", "--non-interactive", "--no-record"])
        .status(4)
        .stderr_contains("pods.yaml:11:47")
        .stderr_contains("`vars.pods` is not set");
    let defaulted = collect.replace("pods: { stdout: true }", "pods: { stdout: true, default: \"(no answer)\" }");
    let report: serde_json::Value = Test::new()
        .files(&[("pods.yaml", defaulted.as_bytes())])
        .args(["check", "--format", "json", "pods.yaml"])
        .status(0)
        .json();
    let codes: Vec<&str> =
        report["files"][0]["diagnostics"].as_array().into_iter().flatten().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, ["RB204"], "only `cannot`, which nothing reaches now");
}

/// A `when` that reads a capture through `| default(0)` where the step's
/// missing answer reaches it unrouted is RB324: a real timeout stops the
/// run at that `when` (a default does not stand in for a missing answer),
/// and routing `steps.ID.outcome == "error"` first silences it
/// (review-10-attack5 H6, check half).
#[test]
fn a_default_read_where_a_missing_answer_reaches_is_reported_where_the_run_stops() {
    let yaml = r#"
id: errs
title: Error burst?
steps:
  - id: errs
    collect:
      cmd: { sh: "sleep 5; echo '42 errors'", timeout: 1s }
      capture:
        errors: { regex: '(\d+) errors', type: int }
    next:
      - when: vars.errors | default(0) > 10
        goto: noisy
      - goto: quiet
  - id: noisy
    conclude: { status: diagnosed, severity: high, diagnosis: error burst }
  - id: quiet
    conclude: { status: resolved, diagnosis: no error burst }
  - id: unknown
    conclude: { status: inconclusive, diagnosis: the log could not be read }
"#;
    let report: serde_json::Value = Test::new()
        .files(&[("errs.yaml", yaml.as_bytes())])
        .args(["check", "--format", "json", "errs.yaml"])
        .status(0)
        .json();
    let found: Vec<(String, u64)> = report["files"][0]["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| (d["code"].as_str().unwrap_or_default().to_owned(), d["line"].as_u64().unwrap_or_default()))
        .collect();
    assert!(found.contains(&("RB324".to_owned(), 11)), "{found:?}");
    Test::new()
        .files(&[("errs.yaml", yaml.as_bytes())])
        .args(["run", "errs.yaml", "--non-interactive", "--no-record"])
        .status(4)
        .stderr_contains("errs.yaml:11:");
    let routed = yaml.replace(
        "    next:\n      - when: vars.errors",
        "    next:\n      - when: steps.errs.outcome == \"error\"\n        goto: unknown\n      - when: vars.errors",
    );
    Test::new().files(&[("errs.yaml", routed.as_bytes())]).args(["check", "--deny-warnings", "errs.yaml"]).status(0);
}

/// A typed whole-output capture read where only `pass` leads is set: text
/// that does not convert makes the step `error` (`invalid_capture`), which
/// goes elsewhere, so `check --deny-warnings` passes a correct runbook
/// (review-10-attack6 M6); the real run shows the count.
#[test]
fn a_typed_whole_output_read_where_only_pass_leads_is_not_reported() {
    let yaml = r#"
id: count
title: Count ERROR lines
steps:
  - id: count
    check:
      cmd: { sh: "printf 'ERROR a\nok\nERROR b\n' | grep -c ERROR || true" }
      expect: [ { exit_code: 0 } ]
      capture:
        n: { stdout: true, type: int }
    on: { pass: show, fail: cant, error: cant }
  - id: show
    conclude: { status: diagnosed, diagnosis: "{{ vars.n }} ERROR lines in the log" }
  - id: cant
    conclude: { status: inconclusive, diagnosis: could not count }
"#;
    Test::new().files(&[("count.yaml", yaml.as_bytes())]).args(["check", "--deny-warnings", "count.yaml"]).status(0);
    Test::new()
        .files(&[("count.yaml", yaml.as_bytes())])
        .args(["run", "count.yaml", "--non-interactive", "--no-record"])
        .status(0)
        .stdout_contains("2 ERROR lines in the log");
}

/// A `next:`-only chain that reads of its check only what a failure has
/// too (`duration`) takes a failure as a quick pass: `check` names it at
/// the chain (RB210), the real run shows the failure "healthy", and the
/// same chain under `on: pass` beside routed failures is clean
/// (review-10-attack6 H7).
#[test]
fn a_next_chain_that_reads_only_the_duration_routes_failures_like_a_pass() {
    let yaml = r#"
id: slow
title: Is the worker slow?
steps:
  - id: worker
    check:
      cmd: { sh: "exit 3" }
      expect: [ { exit_code: 0 } ]
    next:
      - when: steps.worker.duration > "5s"
        goto: slow
      - goto: healthy
  - id: slow
    conclude: { status: diagnosed, diagnosis: the worker is slow }
  - id: healthy
    conclude: { status: resolved, diagnosis: the worker is healthy }
  - id: down
    conclude: { status: diagnosed, severity: high, diagnosis: the worker is down }
"#;
    let report: serde_json::Value = Test::new()
        .files(&[("slow.yaml", yaml.as_bytes())])
        .args(["check", "--format", "json", "slow.yaml"])
        .status(0)
        .json();
    let found: Vec<(String, u64, String)> = report["files"][0]["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let field = |name: &str| d[name].as_str().unwrap_or_default().to_owned();
            (field("code"), d["line"].as_u64().unwrap_or_default(), field("message"))
        })
        .collect();
    let rb210 = found.iter().find(|(code, ..)| code == "RB210").expect("RB210");
    assert_eq!(rb210.1, 10, "{found:?}");
    assert!(rb210.2.starts_with("`fail`, `error` of `worker` take this `next:` chain as a pass would"), "{found:?}");
    Test::new()
        .files(&[("slow.yaml", yaml.as_bytes())])
        .args(["run", "slow.yaml", "--non-interactive", "--no-record"])
        .status(0)
        .stdout_contains("the worker is healthy");
    let routed = yaml.replace("    next:\n", "    on:\n      fail: down\n      error: down\n      pass:\n").replace(
        "      - when: steps.worker.duration > \"5s\"\n        goto: slow\n      - goto: healthy\n",
        "        - when: steps.worker.duration > \"5s\"\n          goto: slow\n        - goto: healthy\n",
    );
    Test::new().files(&[("slow.yaml", routed.as_bytes())]).args(["check", "--deny-warnings", "slow.yaml"]).status(0);
}

/// A caller reading `steps.CALL.vars.X` where the callee may conclude with
/// X unset (its regex found nothing, routed to `inconclusive`) is RB312 at
/// the read, and the real run stops right there; routing `inconclusive`
/// elsewhere silences it (review-10-attack3 N10).
#[test]
fn a_callee_var_a_conclusion_may_leave_unset_is_reported_where_the_caller_reads_it() {
    let disk = r#"
id: disk
title: Disk use
steps:
  - id: usage
    check:
      cmd: { sh: "echo 'no percentage here'" }
      expect: [ { exit_code: 0 } ]
      capture:
        pct: { regex: '(\d+)%', type: int }
    on:
      pass:
        - when: vars.pct is not defined
          goto: unknown
        - goto: measured
      fail: unknown
      error: unknown
  - id: measured
    conclude: { status: resolved, diagnosis: "{{ vars.pct }}% used" }
  - id: unknown
    conclude: { status: inconclusive, diagnosis: could not read the use }
"#;
    let triage = r#"
id: triage
title: Disk triage
steps:
  - id: d
    call: { runbook: disk.yaml }
    on: { resolved: report, inconclusive: report }
  - id: report
    conclude: { status: resolved, diagnosis: "the disk is at {{ steps.d.vars.pct }}%" }
  - id: unknown
    conclude: { status: inconclusive, diagnosis: the disk use is unknown }
"#;
    let files = [("disk.yaml", disk.as_bytes()), ("triage.yaml", triage.as_bytes())];
    Test::new().files(&files).args(["check", "--deny-warnings", "disk.yaml"]).status(0);
    Test::new()
        .files(&files)
        .args(["check", "triage.yaml"])
        .status(0)
        .stderr_contains("warning[RB312]")
        .stderr_contains("triage.yaml:9:")
        .stderr_contains("`steps.d.vars.pct` may be unset here: `disk.yaml` may conclude `inconclusive` without it");
    Test::new()
        .files(&files)
        .args(["run", "triage.yaml", "--non-interactive", "--no-record"])
        .status(4)
        .stderr_contains("triage.yaml:9:");
    let routed = triage.replace("inconclusive: report", "inconclusive: unknown");
    let files = [("disk.yaml", disk.as_bytes()), ("triage.yaml", routed.as_bytes())];
    Test::new().files(&files).args(["check", "--deny-warnings", "triage.yaml"]).status(0);
}
