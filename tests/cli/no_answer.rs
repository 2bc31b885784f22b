//! A probe that gave no answer (a command not found, a timeout) is never
//! routed on as if it had answered: a `when` reading what it left (its
//! step's `stdout`, a capture it left unset or at its `default:`) stops the
//! run naming the step and the error, through `| default` and `is defined`
//! too, unless the step's error is routed first. Real commands throughout.

use crate::run::{of, path, run};

/// attack5 H5: `(steps.probe.stdout | int) == 0` after `pgrepp … | wc -l`
/// read `wc -l`'s `0` as "no daemon running".
#[test]
fn a_when_reading_the_output_of_a_probe_without_an_answer_stops_the_run() {
    let yaml = r#"
id: e02
title: daemon count read from the step's stdout fact
steps:
  - id: probe
    collect:
      cmd: { sh: "no-such-tool-xyz -x old-daemon | wc -l" }
    next:
      - when: (steps.probe.stdout | int) == 0
        goto: gone
      - goto: still
  - id: gone
    conclude: { status: resolved, diagnosis: "old daemon is gone, safe to start the new one" }
  - id: still
    conclude: { status: diagnosed, diagnosis: still running }
"#;
    let stopped = run(yaml, &[])
        .status(4)
        .stderr_contains(
            "`when` reads `steps.probe.stdout`, which is what was left when step `probe` gave no answer (spawn_failed: ",
        )
        .stderr_contains("route the step's error first");
    assert_eq!(path(&stopped.events()), ["probe"]);
    let through_result = yaml.replace("(steps.probe.stdout | int)", "(result.stdout | int)");
    run(&through_result, &[]).status(4).stderr_contains("`when` reads `result.stdout`, which is what was left");
    // Routed first, the missing answer goes where the author sends it.
    let routed = yaml.replace(
        "      - when: (steps.probe.stdout | int) == 0",
        "      - when: steps.probe.outcome == \"error\"\n        goto: still\n      - when: (steps.probe.stdout | int) == 0",
    );
    assert_eq!(path(&run(&routed, &[]).status(0).events()), ["probe", "still"]);
    // On a check's `error` route, what it printed is read on purpose.
    let on_error = yaml.replace("    collect:\n", "    check:\n").replace(
        "    next:\n      - when: (steps.probe.stdout | int) == 0\n        goto: gone\n      - goto: still\n",
        "    on:\n      pass: gone\n      error:\n        - when: '\"not found\" in result.stderr'\n          goto: still\n        - goto: gone\n",
    );
    assert_eq!(path(&run(&on_error, &[]).status(0).events()), ["probe", "still"]);
    // A command that answered is read as before.
    let answered = yaml.replace("no-such-tool-xyz -x old-daemon", "printf ''");
    assert_eq!(path(&run(&answered, &[]).status(0).events()), ["probe", "gone"]);
}

/// attack5 H6: `vars.errors | default(0) > 10`, dsl.md's own advice, read a
/// timed-out grep as "0 errors"; `is not defined` and a capture's
/// `default:` did the same.
#[test]
fn a_when_reading_a_capture_a_probe_without_an_answer_left_stops_whatever_the_filter() {
    let yaml = r#"
id: e01
title: errors in the log
steps:
  - id: errs
    collect:
      cmd: { sh: "echo '42 errors'; sleep 5", timeout: 300ms }
      capture:
        errors: { regex: '(\d+) errors', type: int }
    next:
      - when: vars.errors | default(0) > 10
        goto: noisy
      - goto: quiet
  - id: noisy
    conclude: { status: diagnosed, severity: high, diagnosis: "{{ vars.errors }} errors: roll back" }
  - id: quiet
    conclude: { status: resolved, diagnosis: "no error burst in the log: not the app" }
"#;
    let stopped = run(yaml, &[])
        .status(4)
        .stderr_contains("`when` reads `vars.errors`, which is unset because step `errs` gave no answer (timeout: ");
    assert_eq!(path(&stopped.events()), ["errs"]);
    let undefined = yaml.replace("vars.errors | default(0) > 10", "vars.errors is not defined");
    run(&undefined, &[]).status(4).stderr_contains("`when` reads `vars.errors`, which is unset because");
    let defaulted = yaml.replace("type: int }", "type: int, default: 0 }").replace("| default(0) ", "");
    run(&defaulted, &[]).status(4).stderr_contains("which holds its capture's `default:` because step `errs`");
    // The same step's error routed in an edge before: no stop.
    let routed = yaml.replace(
        "      - when: vars.errors | default(0) > 10",
        "      - when: steps.errs.error.kind == \"timeout\"\n        goto: unknown\n      - when: vars.errors | default(0) > 10",
    ) + "  - id: unknown\n    conclude: { status: inconclusive, diagnosis: \"the log could not be read\" }\n";
    assert_eq!(path(&run(&routed, &[]).status(0).events()), ["errs", "unknown"]);
    // Nothing matched in an answer: the default stands in, as the author meant.
    let answered = yaml.replace("echo '42 errors'; sleep 5", "echo 'all quiet'");
    let events = run(&answered, &[]).status(0).events();
    assert_eq!(path(&events), ["errs", "quiet"]);
    // A later capture that answers clears the mark.
    let recaptured = yaml.replace(
        "    next:\n      - when: vars.errors",
        "  - id: again\n    collect:\n      cmd: { sh: \"echo '3 errors'\" }\n      capture:\n        errors: { regex: '(\\d+) errors', type: int }\n    next:\n      - when: vars.errors",
    );
    let events = run(&recaptured, &[]).status(0).events();
    assert_eq!(path(&events), ["errs", "again", "quiet"]);
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["status"], "resolved");
}

/// A `stop_if` does not give up on what an attempt without an answer
/// printed: the attempts go on, and the one that answers decides.
#[test]
fn a_stop_if_is_not_judged_on_an_attempt_without_an_answer() {
    let yaml = r#"
id: poll
title: poll the deploy
steps:
  - id: deploy
    check:
      cmd: { sh: "if [ -f tried ]; then echo done; else touch tried; echo FATAL; sleep 5; fi", timeout: 300ms }
      expect:
        - stdout: { contains: done }
    retry: { attempts: 3, interval: 10ms, stop_if: '"FATAL" in result.stdout' }
    on: { pass: up, fail: down, error: down }
  - id: up
    conclude: { status: resolved, diagnosis: deployed }
  - id: down
    conclude: { status: escalated, diagnosis: the deploy failed }
"#;
    let events = run(yaml, &[]).status(0).events();
    assert_eq!(of(&events, "attempt_finished").len(), 2);
    assert_eq!(path(&events), ["deploy", "up"]);
}

/// attack4 M9: `jqq … || python3 …` on a host without `jqq` answered
/// through its fallback, yet the shell's "not found" line made it
/// `spawn_failed` ("service down"). On the left of `||` the missing tool
/// has its fallback; in a pipeline it does not. `runbook test` agrees.
#[test]
fn a_missing_tool_with_a_fallback_after_an_or_is_answered_by_the_fallback() {
    let yaml = r#"
id: fb
title: status through a fallback
steps:
  - id: status
    check:
      cmd: { sh: "no-such-tool-xyz -r .status x.json || echo ok" }
      expect: [ { stdout: ok } ]
    on: { pass: up, fail: down, error: down }
  - id: up
    conclude: { status: resolved, diagnosis: up }
  - id: down
    conclude: { status: diagnosed, severity: critical, diagnosis: service down }
"#;
    let events = run(yaml, &[]).status(0).events();
    assert_eq!(path(&events), ["status", "up"]);
    let piped = yaml.replace(
        "no-such-tool-xyz -r .status x.json || echo ok",
        "no-such-tool-xyz -r .status x.json | cat || echo ok",
    );
    let events = run(&piped, &[]).status(0).events();
    assert_eq!(path(&events), ["status", "down"]);
    assert_eq!(of(&events, "step_finished")[0]["error"]["kind"], "spawn_failed");
    let both_missing = yaml.replace("|| echo ok", "|| no-such-fallback-xyz");
    let events = run(&both_missing, &[]).status(0).events();
    assert_eq!(of(&events, "step_finished")[0]["error"]["kind"], "spawn_failed");
    let cases = r#"
cases:
  - name: jq missing, the fallback answered
    observations:
      status: { cmd: { stdout: "ok\n", stderr: "sh: 1: no-such-tool-xyz: not found\n" } }
    expect: { conclusion: up }
"#;
    crate::Test::new()
        .files(&[("fb.yaml", yaml.as_bytes()), ("fb.test.yaml", cases.as_bytes())])
        .args(["test", "fb.test.yaml"])
        .status(0);
}

/// review-10-attack6 H11 and H10: a JSON `null` printed into a command ran
/// `rm -rf …/cache/''` (every tenant's cache); a map printed into an
/// argument ran `redis-cli -p "{'name': …}"` ("a redis is down"). Either
/// stops the run before anything is sent, naming the value; a value that
/// prints as itself is sent as before.
#[test]
fn none_a_map_or_a_list_printed_into_a_command_stops_the_run() {
    let server = crate::http_server::Server::start(|_, stream| {
        crate::http_server::respond(stream, "200 OK", &[("content-type", "application/json")], br#"{"owner": null}"#)
    });
    let yaml = format!(
        r#"
id: nn2
title: clear the cache of the tenant that owns the incident
steps:
  - id: inc
    check:
      http: {{ url: "{}" }}
      expect: [ {{ status: 200 }} ]
    on: {{ pass: clear, fail: cant, error: cant }}
  - id: clear
    action:
      confirm: "Deletes the cache directory of the incident's tenant."
      cmd: {{ sh: "rm -rf cache/{{{{ steps.inc.json.owner }}}}" }}
      expect: [ {{ exit_code: 0 }} ]
    on: {{ pass: done, fail: cant, error: cant, skipped: cant }}
  - id: done
    conclude: {{ status: resolved, diagnosis: "tenant cache cleared" }}
  - id: cant
    conclude: {{ status: inconclusive, diagnosis: "?" }}
"#,
        server.url("/nulls")
    );
    let stopped = run(&yaml, &["--yes"])
        .prepare(|dir| std::fs::create_dir_all(dir.join("cache/tenant-a")).unwrap())
        .status(4)
        .stderr_contains("`steps.inc.json.owner`: a command or request would print none")
        .stderr_contains("route it first");
    assert!(stopped.path("cache/tenant-a").is_dir(), "nothing was deleted");
    assert_eq!(path(&stopped.events()), ["inc", "clear"]);
    let fallback = yaml.replace("{{ steps.inc.json.owner }}", "{{ steps.inc.json.owner | default('nobody', true) }}");
    let ran = run(&fallback, &["--yes"])
        .prepare(|dir| std::fs::create_dir_all(dir.join("cache/tenant-a")).unwrap())
        .status(0);
    assert!(ran.path("cache/tenant-a").is_dir(), "only cache/nobody was removed");
    let maps = r#"
id: fm2
title: ping each service
steps:
  - id: each
    check:
      foreach:
        - { name: cache, port: 6379 }
      cmd: { argv: [echo, "{{ item }}"] }
      expect: [ { exit_code: 0 } ]
    on: { pass: up, fail: down, error: down }
  - id: up
    conclude: { status: resolved, diagnosis: "all up" }
  - id: down
    conclude: { status: diagnosed, severity: critical, diagnosis: "a service is down" }
"#;
    run(maps, &[]).status(4).stderr_contains("`item`: a command or request would print a map as Python's repr");
    let field = maps.replace("\"{{ item }}\"", "\"{{ item.port }}\"");
    assert_eq!(path(&run(&field, &[]).status(0).events()), ["each", "up"]);
}

/// attack6 H8: a called runbook whose scan timed out concluded "could not
/// scan the log"; the caller's `steps.e.vars.n | default(0) > 10` read the
/// unset count as 0: "no error burst: not the app". The var comes back
/// with its mark, and the caller stops as the callee would.
#[test]
fn a_var_a_called_runbook_s_probe_left_without_an_answer_stops_the_caller_s_when() {
    let scan_log = r#"
id: errs
title: count errors
steps:
  - id: scan
    check:
      cmd: { sh: "sleep 5; echo '42 errors'", timeout: 300ms }
      expect: [ { exit_code: 0 } ]
      capture:
        n: { regex: '(\d+) errors', type: int }
    on: { pass: done, fail: done, error: cant }
  - id: done
    conclude: { status: diagnosed, diagnosis: "scan finished" }
  - id: cant
    conclude: { status: inconclusive, diagnosis: "could not scan the log" }
"#;
    let caller = r#"
id: ce1
title: caller reads a callee var with a default
steps:
  - id: e
    call: { runbook: errs.yaml }
    next:
      - when: steps.e.vars.n | default(0) > 10
        goto: noisy
      - goto: quiet
  - id: noisy
    conclude: { status: diagnosed, severity: high, diagnosis: "error burst: roll back" }
  - id: quiet
    conclude: { status: resolved, diagnosis: "no error burst: not the app" }
  - id: cant
    conclude: { status: inconclusive, diagnosis: "the log could not be scanned" }
"#;
    let run_both = |caller: &str, scan_log: &str| run_calling(caller, ("errs.yaml", scan_log));
    let stopped = run_both(caller, scan_log)
        .status(4)
        .stderr_contains(
            "`when` reads `steps.e.vars.n`, which is unset because step `e/scan` gave no answer (timeout: ",
        )
        .stderr_contains("`- when: steps.e.conclusion.status == \"inconclusive\"` (it concluded `inconclusive`)");
    assert_eq!(path(&stopped.events()), ["e", "e/scan", "e/cant"]);
    // A capture `default:` in the callee stands in for no answer there too.
    let defaulted = scan_log.replace("type: int }", "type: int, default: 0 }");
    let through_default = caller.replace(" | default(0)", "");
    run_both(&through_default, &defaulted)
        .status(4)
        .stderr_contains("`steps.e.vars.n`, which holds its capture's `default:` because step `e/scan`");
    // The caller routes the callee's ending first, in `next:` or `on:`.
    let routed = caller.replace(
        "      - when: steps.e.vars.n",
        "      - when: steps.e.conclusion.status == \"inconclusive\"\n        goto: cant\n      - when: steps.e.vars.n",
    );
    assert_eq!(path(&run_both(&routed, scan_log).status(0).events()), ["e", "e/scan", "e/cant", "cant"]);
    let on = caller.replace(
        "    next:\n      - when: steps.e.vars.n | default(0) > 10\n        goto: noisy\n      - goto: quiet\n",
        "    on:\n      inconclusive: cant\n      diagnosed:\n        - when: result.vars.n | default(0) > 10\n          goto: noisy\n        - goto: quiet\n",
    );
    assert_eq!(path(&run_both(&on, scan_log).status(0).events()), ["e", "e/scan", "e/cant", "cant"]);
    // A scan that answers is read as before.
    let answered = scan_log.replace("sleep 5; echo '42 errors'", "echo '42 errors'");
    assert_eq!(path(&run_both(caller, &answered).status(0).events()), ["e", "e/scan", "e/done", "noisy"]);
}

/// review-10-attack7 H4: a run that stops at a question and is resumed
/// forgot that a var was left by a probe without an answer: straight
/// through the `when` stopped, after `resume` it read the timed-out scan's
/// `default: 0` as "0 errors: not the app". The marks are read back from
/// the journal, a call's too.
#[test]
fn a_resumed_run_does_not_route_on_what_a_probe_without_an_answer_left() {
    let yaml = r#"
id: rs1
title: scan times out, ask, then route on the count
steps:
  - id: scan
    collect:
      cmd: { sh: "sleep 5; echo '42 errors'", timeout: 300ms }
      capture:
        n: { regex: '(\d+) errors', type: int, default: 0 }
    next: q
  - id: q
    ask:
      question: "Is the error page visible to customers?"
      type: confirm
    on:
      "yes":
        - when: vars.n > 10
          goto: noisy
        - goto: quiet
      "no": quiet
  - id: noisy
    conclude: { status: diagnosed, severity: high, diagnosis: "error burst ({{ vars.n }}): roll back" }
  - id: quiet
    conclude: { status: resolved, diagnosis: "{{ vars.n }} errors: not the app" }
"#;
    let stop =
        "`when` reads `vars.n`, which holds its capture's `default:` because step `scan` gave no answer (timeout";
    run(yaml, &["-a", "q=yes"]).status(4).stderr_contains(stop);
    // Run until the question waits, then resume with the answer.
    let resumed = |files: &[(&str, &[u8])], runbook: &str, status: i32| {
        let waiting = crate::Test::new()
            .files(files)
            .args(["run", runbook, "--non-interactive", "--record-dir", "rec"])
            .status(5);
        let rec = waiting.path("rec");
        crate::Test::new()
            .args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "q=yes"])
            .status(status)
    };
    resumed(&[("runbook.yaml", yaml.as_bytes())], "runbook.yaml", 4).stderr_contains(stop);
    let unset = yaml.replace(", default: 0 }", " }").replace("vars.n > 10", "vars.n | default(0) > 10");
    resumed(&[("runbook.yaml", unset.as_bytes())], "runbook.yaml", 4)
        .stderr_contains("`when` reads `vars.n`, which is unset because step `scan` gave no answer (timeout");
    // A later capture that answered before the stop is read as before.
    let answered = yaml.replace("sleep 5; echo '42 errors'", "echo '42 errors'");
    resumed(&[("runbook.yaml", answered.as_bytes())], "runbook.yaml", 0);
    // Through a call, the callee's marks come back from the journal too.
    let errs = "id: errs\ntitle: count errors\nsteps:\n  - id: scan\n    collect:\n      cmd: { sh: \"sleep 5; echo '42 errors'\", timeout: 300ms }\n      capture:\n        n: { regex: '(\\d+) errors', type: int }\n    next: done\n  - id: done\n    conclude: { status: diagnosed, diagnosis: scanned }\n";
    let caller = yaml
        .replace(
            "    collect:\n      cmd: { sh: \"sleep 5; echo '42 errors'\", timeout: 300ms }\n      capture:\n        n: { regex: '(\\d+) errors', type: int, default: 0 }\n",
            "    call: { runbook: errs.yaml }\n",
        )
        .replace("vars.n > 10", "steps.scan.vars.n | default(0) > 10")
        .replace("{{ vars.n }}", "{{ steps.scan.conclusion.status }}");
    assert!(caller.contains("call: { runbook: errs.yaml }"), "{caller}");
    resumed(&[("caller.yaml", caller.as_bytes()), ("errs.yaml", errs.as_bytes())], "caller.yaml", 4)
        .stderr_contains("`when` reads `steps.scan.vars.n`, which is unset because step `scan/scan` gave no answer");
}

/// review-10-attack7 H19: an action ran on a capture `default:` a timed-out
/// probe left: `rm -rf cache/{{ vars.tenant }}` with `default: ""` deleted
/// every tenant's cache. An action never runs on what a probe without an
/// answer left: the run stops before it, naming the var.
#[test]
fn an_action_never_runs_on_what_a_probe_without_an_answer_left() {
    let yaml = r#"
id: na1
title: action reads a var a timed-out probe defaulted
steps:
  - id: who
    collect:
      cmd: { sh: "sleep 5; echo tenant=tenant-a", timeout: 300ms }
      capture:
        tenant: { regex: 'tenant=(\S+)', default: "" }
    next: clear
  - id: clear
    action:
      confirm: "Deletes the cache directory of the incident's tenant."
      cmd: { sh: "rm -rf cache/{{ vars.tenant }}" }
      expect: [ { exit_code: 0 } ]
    on: { pass: done, fail: cant, error: cant, skipped: cant }
  - id: done
    conclude: { status: resolved, diagnosis: "tenant cache cleared" }
  - id: cant
    conclude: { status: inconclusive, diagnosis: "?" }
"#;
    let files: &[(&str, &[u8])] =
        &[("runbook.yaml", yaml.as_bytes()), ("cache/tenant-a/x", b"a"), ("cache/tenant-b/x", b"b")];
    let stopped = crate::Test::new()
        .files(files)
        .args(["run", "runbook.yaml", "--non-interactive", "--yes", "--format", "json"])
        .status(4)
        .stderr_contains("`cmd.sh` reads `vars.tenant`, which holds its capture's `default:` because step `who` gave no answer (timeout")
        .stderr_contains("an action does not run on a missing answer");
    assert!(stopped.path("cache/tenant-b/x").exists(), "nothing was deleted");
    let answered = yaml.replace("sleep 5; echo tenant=tenant-a", "echo tenant=tenant-a");
    let ran = crate::Test::new()
        .files(&[("runbook.yaml", answered.as_bytes()), ("cache/tenant-a/x", b"a"), ("cache/tenant-b/x", b"b")])
        .args(["run", "runbook.yaml", "--non-interactive", "--yes", "--format", "json"])
        .status(0);
    assert!(!ran.path("cache/tenant-a").exists() && ran.path("cache/tenant-b/x").exists());
}

/// A collect that times out, leaving `vars.errors` at its `default: 0`
/// (the steps of a runbook, before its `next:`).
const TIMED_OUT_SCAN: &str = r#"  - id: errs
    collect:
      cmd: { sh: "sleep 5; echo '42 errors'", timeout: 300ms }
      capture:
        errors: { regex: '(\d+) errors', type: int, default: 0 }
"#;

/// A run of `caller.yaml` (`caller`) beside the runbook it calls,
/// `(file name, text)`, non-interactive, JSON events on stdout.
fn run_calling(caller: &str, (name, text): (&str, &str)) -> crate::Test {
    crate::Test::new().files(&[("caller.yaml", caller.as_bytes()), (name, text.as_bytes())]).args([
        "run",
        "caller.yaml",
        "--non-interactive",
        "--format",
        "json",
    ])
}

/// attack7 H20: the mark was laundered. A check whose `sh:` read a
/// timed-out scan's `default: 0` captured `0` as if it had answered, and
/// a called runbook given it as an input saw a plain `0`: both routed on
/// "no errors". The mark is carried through, so the later `when` stops as
/// it does reading the var itself, naming the way it came.
#[test]
fn a_missing_answer_carried_through_a_command_or_a_call_input_still_stops_the_when() {
    let yaml = r#"
id: launder
title: errors counted again by a command
steps:
SCAN    next: recount
  - id: recount
    check:
      cmd: { sh: "echo {{ vars.errors }}" }
      expect: [ { exit_code: 0 } ]
      capture:
        total: { stdout: true, type: int }
    next:
      - when: vars.total > 10
        goto: noisy
      - goto: quiet
  - id: noisy
    conclude: { status: diagnosed, severity: high, diagnosis: "error burst: roll back" }
  - id: quiet
    conclude: { status: resolved, diagnosis: "no error burst: not the app" }
  - id: unknown
    conclude: { status: inconclusive, diagnosis: "the log could not be read" }
"#
    .replace("SCAN", TIMED_OUT_SCAN);
    let stopped = run(&yaml, &[]).status(4).stderr_contains(
        "`when` reads `vars.total`, which was captured by step `recount` from `vars.errors`, which holds its \
         capture's `default:` because step `errs` gave no answer (timeout: ",
    );
    assert_eq!(path(&stopped.events()), ["errs", "recount"]);
    // Routed first, in the when or before the command: no stop.
    let routed = yaml.replace(
        "      - when: vars.total > 10",
        "      - when: steps.errs.outcome == \"error\"\n        goto: unknown\n      - when: vars.total > 10",
    );
    assert_eq!(path(&run(&routed, &[]).status(0).events()), ["errs", "recount", "unknown"]);
    // A scan that answers is read as before.
    let answered = yaml.replace("sleep 5; echo '42 errors'", "echo '42 errors'");
    assert_eq!(path(&run(&answered, &[]).status(0).events()), ["errs", "recount", "noisy"]);

    let judge = r#"
id: judge
title: judge an error count
inputs:
  errors: { type: number }
steps:
  - id: route
    collect:
      cmd: { argv: ["true"] }
    next:
      - when: inputs.errors > 10
        goto: noisy
      - goto: verdict
  - id: noisy
    conclude: { status: diagnosed, severity: high, diagnosis: "error burst" }
  - id: verdict
    conclude: { status: diagnosed, diagnosis: "counted" }
"#;
    let caller = r#"
id: caller
title: a call given a missing answer
steps:
SCAN    next: judge
  - id: judge
    call: { runbook: judge.yaml, inputs: { errors: "{{ vars.errors }}" } }
    next: done
  - id: done
    conclude: { status: inconclusive, diagnosis: "judged" }
"#
    .replace("SCAN", TIMED_OUT_SCAN);
    let run_both = |caller: &str| run_calling(caller, ("judge.yaml", judge));
    run_both(&caller)
        .status(4)
        .stderr_contains(
            "`when` reads `inputs.errors`, which was given by the calling runbook's step `judge` from `vars.errors`, \
             which holds its capture's `default:` because step `errs` gave no answer (timeout: ",
        )
        .stderr_contains("route the step's error in the calling runbook, before the call");
    let answered = caller.replace("sleep 5; echo '42 errors'", "echo '42 errors'");
    assert_eq!(path(&run_both(&answered).status(0).events()), ["errs", "judge", "judge/route", "judge/noisy", "done"]);
}
