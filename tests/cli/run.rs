//! `runbook run` end to end: the built binary against real servers on
//! 127.0.0.1, real commands and real files. Runs use `--format json` so that
//! assertions read the typed events rather than the human view, and
//! `--non-interactive` since tests have no terminal.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::Test;
use crate::http_server::{Server, Then, respond, stay_silent};

/// A run of `runbook` on `yaml` (written as `runbook.yaml` in a fresh
/// directory) with `args`, non-interactive, JSON events on stdout.
pub(crate) fn run(yaml: &str, args: &[&str]) -> Test {
    Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json"])
        .args(args)
}

/// The events of one kind.
pub(crate) fn of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// The ids of the steps started, in order.
pub(crate) fn path(events: &[Value]) -> Vec<String> {
    of(events, "step_started").iter().map(|e| e["step"].as_str().unwrap_or_default().to_owned()).collect()
}

/// The probe parts reported for `step`.
fn parts<'a>(events: &'a [Value], step: &str) -> Vec<&'a Value> {
    of(events, "probe").into_iter().filter(|e| e["step"] == step).map(|e| &e["part"]).collect()
}

fn finished(events: &[Value]) -> &Value {
    events.last().filter(|e| e["event"] == "run_finished").expect("the last event is run_finished")
}

/// A service in the state the kneo-serv seed runbook describes: alive, but
/// not ready because its database is down.
fn degraded_service() -> Server {
    Server::start(|request, stream| {
        match request.path.as_str() {
        "/healthz" => respond(stream, "200 OK", &[("content-type", "application/json")], br#"{"status":"ok"}"#),
        "/readyz" => respond(
            stream,
            "503 Service Unavailable",
            &[("content-type", "application/json")],
            br#"{"status":"degraded","metadata":{"checks":{"db":{"ok":false,"message":"connection refused (db:5432)"}}}}"#,
        ),
        _ => respond(stream, "404 Not Found", &[], b""),
    }
    })
}

const TRIAGE: &str = r#"
id: triage
title: Service triage
inputs:
  base_url: { default: "http://127.0.0.1:1" }
steps:
  - id: healthz
    check:
      http: { url: "{{ inputs.base_url }}/healthz", timeout: 5s }
      expect: [ { status: 200 } ]
    on: { fail: down, error: down }
  - id: readyz
    check:
      http: { url: "{{ inputs.base_url }}/readyz", timeout: 5s }
      expect: [ { status: 200 }, { json: $.status, eq: ok } ]
      capture:
        checks: { json: $.metadata.checks, default: {} }
    on:
      pass: healthy
      fail:
        - when: vars.checks.db is defined and vars.checks.db.ok == false
          goto: db-down
        - goto: not-ready
  - id: healthy
    conclude: { status: resolved, diagnosis: all green }
  - id: db-down
    conclude:
      status: diagnosed
      severity: critical
      diagnosis: "Database unreachable: {{ vars.checks.db.message }} (readyz said {{ steps.readyz.status }})"
  - id: not-ready
    conclude: { status: diagnosed, diagnosis: not ready }
  - id: down
    conclude: { status: escalated, diagnosis: "process down: {{ steps.healthz.error.kind | default('status ' ~ steps.healthz.status) }}" }
"#;

#[test]
fn a_triage_follows_the_evidence_to_the_diagnosis() {
    let server = degraded_service();
    let output = run(TRIAGE, &["--input", &format!("base_url={}", server.url(""))]).status(0);
    let events = output.events();
    assert_eq!(path(&events), ["healthz", "readyz", "db-down"]);
    let concluded = &of(&events, "concluded")[0]["conclusion"];
    assert_eq!(concluded["status"], "diagnosed");
    assert_eq!(concluded["severity"], "critical");
    assert_eq!(concluded["diagnosis"], "Database unreachable: connection refused (db:5432) (readyz said 503)");
    let readyz = parts(&events, "readyz");
    let failed: Vec<&Value> =
        readyz[0]["expectations"].as_array().unwrap().iter().filter(|e| e["passed"] == false).collect();
    assert_eq!(failed.len(), 2, "status and $.status both fail: {failed:?}");
    assert_eq!((failed[0]["expected"].clone(), failed[0]["actual"].clone()), (Value::from(200), Value::from(503)));
    let transition = of(&events, "transition").into_iter().find(|t| t["from"] == "readyz").unwrap();
    assert_eq!(transition["via"], "fail when vars.checks.db is defined and vars.checks.db.ok == false");
    assert_eq!((transition["edge"].as_str(), transition["kind"].as_str()), (Some("readyz:on.fail[0]"), Some("on")));
    // The edge taken is one the run's graph draws, with the same label.
    let started = &of(&events, "run_started")[0];
    let drawn = started["graph"]["edges"].as_array().unwrap().iter().find(|e| e["id"] == transition["edge"]).unwrap();
    assert_eq!(
        (&drawn["from"], &drawn["to"], &drawn["label"]),
        (&transition["from"], &transition["to"], &transition["via"])
    );
    assert_eq!(finished(&events)["status"], "concluded");
}

#[test]
fn the_human_view_shows_expected_against_actual_and_the_conclusion() {
    let server = degraded_service();
    Test::new()
        .files(&[("runbook.yaml", TRIAGE.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--input", &format!("base_url={}", server.url(""))])
        .status(0)
        .stdout_contains(&format!("GET {}  → 503 in", server.url("/readyz")))
        .stdout_contains("✗ status eq 200, got 503")
        .stdout_contains(r#"│ {"status":"degraded""#)
        .stdout_contains("→ db-down (fail when vars.checks.db is defined")
        .stdout_contains("■ diagnosed · severity critical")
        .stdout_contains("Database unreachable: connection refused (db:5432)");
}

/// The view shows a captured string in quotes and a number or a boolean
/// bare, so that the operator sees the type a later error complains about.
#[test]
fn the_human_view_quotes_captured_strings() {
    let yaml = r#"
id: typed
title: Typed captures
steps:
  - id: stats
    collect:
      cmd: { argv: [echo, "depth=3 maint=false"] }
      capture:
        depth: { regex: 'depth=(\d+)' }
        count: { regex: 'depth=(\d+)', type: int }
        maint: { regex: 'maint=(\w+)' }
        flag: { regex: 'maint=(\w+)', type: bool }
    next: done
  - id: done
    conclude: { status: diagnosed, diagnosis: "read" }
"#;
    Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive"])
        .status(0)
        .stdout_contains("vars.depth = \"3\"\n")
        .stdout_contains("vars.count = 3\n")
        .stdout_contains("vars.maint = \"false\"\n")
        .stdout_contains("vars.flag = false\n");
}

/// An outcome the step's `on:` leaves unrouted goes on to the step below:
/// the view and record.md say so, where a step that routes nothing goes on
/// without a word.
#[test]
fn an_unrouted_outcome_is_shown_as_such() {
    let yaml = "id: partial\ntitle: Partial\nsteps:\n  - id: plain\n    check: { cmd: { argv: [\"true\"] } }\n  - id: probe\n    check:\n      cmd: { argv: [\"false\"] }\n      expect: [ { exit_code: 0 } ]\n    on: { pass: fine }\n  - id: below\n    conclude: { status: diagnosed, diagnosis: below }\n  - id: fine\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0)
        .stdout_contains("→ below (fail: not routed, went on to the step below)\n");
    assert!(!output.stdout.contains("→ probe"), "a step that routes nothing goes on silently: {}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).expect("record.md written");
    assert!(record.contains("→ `below` (fail: not routed, went on to the step below)"), "{record}");
    assert!(record.contains("→ `probe` (then)") || record.contains("→ `probe` (pass"), "{record}");

    // A `when` chain that matches nothing says so; an answer whose text
    // ends in "otherwise" is still only an unrouted answer.
    let chain = "id: c\ntitle: C\nsteps:\n  - id: probe\n    check:\n      cmd: { argv: [\"false\"] }\n      expect: [ { exit_code: 0 } ]\n    on:\n      fail:\n        - { when: \"result.exit_code == 7\", goto: fine }\n  - id: below\n    conclude: { status: diagnosed, diagnosis: below }\n  - id: fine\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", chain.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0)
        .stdout_contains("→ below (fail: no `when` matched, went on to the step below)\n");
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).expect("record.md written");
    assert!(record.contains("→ `below` (fail: no `when` matched, went on to the step below)"), "{record}");
    let ask = "id: a\ntitle: A\nsteps:\n  - id: q\n    ask:\n      question: Which?\n      choices: [ { answer: a, goto: x }, { answer: try otherwise } ]\n  - id: y\n    conclude: { status: diagnosed, diagnosis: y }\n  - id: x\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", ask.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec", "--answer", "q=try otherwise"])
        .status(0)
        .stdout_contains("(answer try otherwise: not routed, went on to the step below)\n");
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).expect("record.md written");
    assert!(record.contains("(answer try otherwise: not routed, went on to the step below)"), "{record}");
}

/// Inside a called runbook too, an unrouted outcome is shown as such; a
/// `when` holding `|` stays inside its record.md table cell.
#[test]
fn an_unrouted_outcome_in_a_called_runbook_is_shown_and_a_when_stays_in_its_cell() {
    let inner = "id: called\ntitle: Called\nsteps:\n  - id: probe\n    check:\n      cmd: { argv: [\"false\"] }\n      expect: [ { exit_code: 0 } ]\n    on: { pass: fine }\n  - id: below\n    conclude: { status: diagnosed, diagnosis: below }\n  - id: fine\n    conclude: { status: resolved }\n";
    let caller = "id: caller\ntitle: Caller\nsteps:\n  - id: sub\n    call: { runbook: called.yaml }\n    next:\n      - when: 'steps.sub.conclusion.status | length > 3'\n        goto: done\n      - goto: done\n  - id: done\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("caller.yaml", caller.as_bytes()), ("called.yaml", inner.as_bytes())])
        .args(["run", "caller.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0)
        .stdout_contains("→ sub/below (fail: not routed, went on to the step below)\n");
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).expect("record.md written");
    assert!(record.contains("→ `sub/below` (fail: not routed, went on to the step below)"), "{record}");
    let row = record.lines().find(|line| line.contains("| `sub` |")).expect("the call step's row");
    assert!(row.contains(r"steps.sub.conclusion.status \| length \> 3"), "{row}");
    assert_eq!(row.matches(" | ").count(), 2, "three cells: {row}");
}

/// A check over an empty `foreach` list ran no probe: it errs
/// `empty_foreach` (in the view and the record), never passes; a `collect`
/// over one gathers nothing and goes on.
#[test]
fn a_check_over_an_empty_foreach_list_errs_empty_foreach_and_never_passes() {
    let yaml = r#"
id: pods
title: Pods
steps:
  - id: list
    collect:
      cmd: { argv: [echo, '{"items": []}'] }
      capture:
        pods: { json: "$.items[*].name", default: [] }
  - id: logs
    collect:
      foreach: "{{ vars.pods }}"
      cmd: { argv: [echo, "{{ item }}"] }
  - id: each
    check:
      foreach: "{{ vars.pods }}"
      as: pod
      cmd: { argv: [sh, -c, 'exit 1', sh, "{{ pod }}"] }
      expect: [ { exit_code: 0 } ]
    on:
      pass: healthy
      fail: broken
      error:
        - when: result.error.kind == "empty_foreach"
          goto: no-pods
        - goto: broken
  - id: healthy
    conclude: { status: resolved, diagnosis: all pods healthy }
  - id: broken
    conclude: { status: diagnosed, diagnosis: broken }
  - id: no-pods
    conclude: { status: inconclusive, diagnosis: no pods found }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0)
        .stdout_contains("(empty_foreach: the `foreach` list is empty: no probe ran, so nothing was checked)")
        .stdout_contains("no pods found");
    let text = std::fs::read_to_string(output.path("rec").join("record.json")).expect("record.json written");
    let json: Value = serde_json::from_str(&text).expect("record.json is JSON");
    let steps = json["steps"].as_array().expect("steps");
    let step = |id: &str| steps.iter().find(|step| step["id"] == id).unwrap_or_else(|| panic!("{id} ran: {text}"));
    assert_ne!(step("logs")["outcome"], "error", "a collect over nothing goes on");
    let each = step("each");
    assert_eq!((each["outcome"].as_str(), each["error"]["kind"].as_str()), (Some("error"), Some("empty_foreach")));
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).expect("record.md written");
    assert!(record.contains(r"Error (empty_foreach): the \`foreach\` list is empty"), "{record}");
}

/// A failed `duration` expectation reads with units, in the view and in
/// record.md: `duration lt 1ms, got 52ms`.
#[test]
fn a_failed_duration_expectation_shows_its_units() {
    let yaml = "id: slow\ntitle: Slow\nsteps:\n  - id: nap\n    check:\n      cmd: { argv: [sleep, \"0.05\"] }\n      expect: [ { duration: { lt: 1ms } } ]\n    on: { pass: fine, fail: slow }\n  - id: fine\n    conclude: { status: resolved, severity: low }\n  - id: slow\n    conclude: { status: escalated, severity: high }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0);
    let shown = regex::Regex::new(r"✗ duration lt 1ms, got \d+ms\n").unwrap();
    assert!(shown.is_match(&output.stdout), "{}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).expect("record.md written");
    let row = regex::Regex::new(r"\| ✗ \| duration lt \| 1ms \| \d+ms \|").unwrap();
    assert!(row.is_match(&record), "{record}");
}

#[test]
fn measured_times_read_as_people_say_them() {
    let yaml = "id: nap\ntitle: Nap\nsteps:\n  - id: nap\n    check:\n      cmd: { argv: [sleep, \"1.1\"] }\n    on: { pass: done }\n  - id: done\n    conclude: { status: resolved, severity: low }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0);
    let exact = regex::Regex::new(r"\d+s\d+ms").unwrap();
    let seconds = regex::Regex::new(r"→ exit 0 in 1\.\ds\n[^\n]*pass[^\n]*in 1\.\ds\n").unwrap();
    assert!(seconds.is_match(&output.stdout) && !exact.is_match(&output.stdout), "{}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).expect("record.md written");
    let took =
        regex::Regex::new(r"outcome \*\*pass\*\* · took 1\.\ds\n(?s:.*)Observed: exit_code 0, in 1\.\ds\n").unwrap();
    assert!(took.is_match(&record) && !exact.is_match(&record), "{record}");
}

#[test]
fn a_retry_wait_reads_as_people_say_it() {
    let yaml = "id: poll\ntitle: Poll\nsteps:\n  - id: poll\n    check:\n      cmd: { argv: [\"false\"] }\n      expect: [ { exit_code: 0 } ]\n    retry: { \
                attempts: 3, interval: 1s, backoff: 1.5 }\n    on: { pass: done, fail: done }\n  - id: done\n    \
                conclude: { status: resolved, severity: low }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env("RUNBOOK_VIRTUAL_CLOCK", "1")
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never"])
        .status(0);
    assert!(output.stdout.contains("attempt 1: fail, next in 1s\n"), "{}", output.stdout);
    assert!(output.stdout.contains("attempt 2: fail, next in 1.5s\n"), "{}", output.stdout);
}

/// `steps.ID.duration` is the step's time, tries and waits included;
/// `probe_duration` the last probe's; `| duration` prints either with its
/// unit, where the number alone would read `60012`.
#[test]
fn a_step_duration_prints_with_its_unit_and_the_probe_time_is_apart() {
    let yaml = "id: poll\ntitle: Poll\nsteps:\n  - id: poll\n    check:\n      cmd: { argv: [\"false\"] }\n      \
                expect: [ { exit_code: 0 } ]\n    retry: { attempts: 2, interval: 1m }\n    on: { pass: done, fail: done }\n  \
                - id: done\n    conclude:\n      status: resolved\n      diagnosis: \"took {{ steps.poll.duration | duration \
                }}, the command {{ steps.poll.probe_duration | duration }}, {{ steps.poll.duration }}\"\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .env("RUNBOOK_VIRTUAL_CLOCK", "1")
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--no-record"])
        .status(0);
    let events = output.events();
    let diagnosis = of(&events, "concluded")[0]["conclusion"]["diagnosis"].as_str().unwrap_or_default().to_owned();
    let probe = of(&events, "step_finished")[0]["facts"]["probe_duration"].as_u64().expect("probe_duration");
    assert_eq!(diagnosis, format!("took 1m00s, the command {probe}ms, 60000"));
    Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["check", "runbook.yaml"])
        .status(0)
        .stderr_contains("`{{ steps.poll.duration }}` prints a duration as a bare number of milliseconds")
        .stderr_contains("`{{ steps.poll.duration | duration }}` gives `4s`");
}

#[test]
fn a_regex_is_shown_as_written_and_hostile_output_as_escapes() {
    let yaml = r#"
id: regex
title: Regex
steps:
  - id: id
    check:
      cmd: { argv: [printf, 'id 7\033[31m "x"'] }
      expect: [ { stdout: { matches: '^id \d+$' } } ]
    on: { pass: done, fail: done }
  - id: done
    conclude: { status: resolved, severity: low }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .status(0);
    assert!(output.stdout.contains(r#"✗ stdout matches ^id \d+$, got id 7\x1b[31m "x""#), "{}", output.stdout);
    assert!(!output.stdout.contains('\x1b'), "{:?}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).expect("record.md written");
    let rows = crate::record::rendered_cells(&record);
    let row = rows.iter().find(|row| row[0] == "✗").expect("the expectation row");
    assert_eq!(row[1..], ["stdout matches", r"^id \d+$", r#"id 7\x1b[31m "x""#], "{record}");
    assert!(!record.contains('\x1b'), "{record:?}");
}

#[test]
fn a_closed_port_is_an_error_outcome_with_its_kind() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let output = run(TRIAGE, &["--input", &format!("base_url=http://127.0.0.1:{closed}")]).status(0);
    let events = output.events();
    assert_eq!(path(&events), ["healthz", "down"]);
    assert_eq!(parts(&events, "healthz")[0]["error"]["kind"], "refused");
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "process down: refused");
}

/// A terminal run without a record reads no step's facts at its end, so a
/// `foreach` step's facts are built only when a template reads them: the
/// branch, the items, the failed ones and the unredacted values read the
/// same there as in a run whose sinks read them (`--format json`).
#[test]
fn step_facts_read_by_templates_are_the_same_whether_or_not_a_sink_reads_them() {
    let server = Server::start(|request, stream| {
        let n: u32 = request.path.trim_start_matches("/item/").parse().unwrap_or(0);
        let status = if n == 2 { "503 Service Unavailable" } else { "200 OK" };
        respond(
            stream,
            status,
            &[("content-type", "application/json")],
            format!(r#"{{"n":{n},"t":"tok-s3cr3t-9f"}}"#).as_bytes(),
        )
    });
    let yaml = format!(
        r#"
id: deferred
title: Facts read where a template reads them
inputs:
  tok: {{ secret: true }}
steps:
  - id: items
    check:
      foreach: [1, 2, 3]
      http: {{ url: "{base}/item/{{{{ item }}}}" }}
      expect: [ {{ status: 200 }} ]
    on:
      pass: other
      error: other
      fail:
        - when: "result.failed | length == 1"
          goto: done
        - goto: other
  - id: other
    conclude: {{ status: diagnosed, diagnosis: "wrong branch" }}
  - id: done
    conclude:
      status: diagnosed
      diagnosis: "failed {{{{ steps.items.failed | join(',') }}}}; n {{{{ steps.items.items | map(attribute='json') | map(attribute='n') | join(',') }}}}; status {{{{ steps.items.items[1].status }}}}; unredacted {{{{ steps.items.items[0].json.t == inputs.tok }}}}; outcome {{{{ steps.items.outcome }}}}"
"#,
        base = server.url("")
    );
    let expected = "failed 2; n 1,2,3; status 503; unredacted true; outcome fail";
    let json = run(&yaml, &["--no-record", "--input", "tok=tok-s3cr3t-9f"]).status(0);
    let events = json.events();
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], expected);
    let finished = of(&events, "step_finished");
    assert_eq!(finished[0]["facts"]["failed"], serde_json::json!([2]), "a sink that reads the facts gets them");
    assert!(!json.stdout.contains("tok-s3cr3t-9f"), "{}", json.stdout);
    let human = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record", "--input", "tok=tok-s3cr3t-9f"])
        .status(0);
    assert!(human.stdout.contains(expected), "{}", human.stdout);
    assert!(!format!("{}{}", human.stdout, human.stderr).contains("tok-s3cr3t-9f"), "{}", human.stdout);
}

/// attack6 M9: a value spliced into a URL path was sent as it was: a user
/// id pasted as `../../admin/reset?confirm=1#` into
/// `/users/{{ inputs.user }}/status` requested `GET /admin/reset?confirm=1`,
/// judged as the user's status. A value in the path is one segment, in the
/// query one value; `.`, `..` or nothing as a whole segment stops the run;
/// a base URL, `| urlencode` and `| safe` are written as they are.
#[test]
fn a_value_in_a_url_path_or_query_never_changes_which_path_is_requested() {
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b"ok"));
    let yaml = r#"
id: ui
title: user lookup
inputs:
  user: { description: "user id" }
  base: { description: "base URL", default: "BASE" }
  route: { description: "a path", default: "/api/v1/health?deep=1" }
steps:
  - id: u
    check:
      http: { url: "BASE/users/{{ inputs.user }}/status?tag={{ inputs.user }}&q={{ inputs.user | urlencode }}" }
      expect: [ { status: 200 } ]
    on: { pass: whole, fail: b, error: b }
  - id: whole
    check:
      http: { url: "{{ inputs.base }}{{ inputs.route }}" }
      expect: [ { status: 200 } ]
    on: { pass: a, fail: b, error: b }
  - id: a
    conclude: { status: resolved, diagnosis: "user ok" }
  - id: b
    conclude: { status: diagnosed, diagnosis: "user broken" }
"#
    .replace("BASE", &server.url(""));
    let events = run(&yaml, &["-i", "user=../../admin/reset?confirm=1#"]).status(0).events();
    assert_eq!(path(&events), ["u", "whole", "a"]);
    let paths: Vec<String> = server.requests().iter().map(|request| request.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/users/..%2F..%2Fadmin%2Freset%3Fconfirm%3D1%23/status?tag=../../admin/reset%3Fconfirm%3D1%23&q=../..\
             /admin/reset%3Fconfirm%3D1%23",
            "/api/v1/health?deep=1",
        ]
    );
    for segment in ["..", "."] {
        run(&yaml, &["-i", &format!("user={segment}")])
            .status(4)
            .stderr_contains(&format!("would make the segment `{segment}`"));
    }
    assert_eq!(server.requests().len(), 2, "nothing was sent for `..` or `.`");
    run(&yaml, &["-i", "user=ann+1@x.org"]).status(0);
    assert_eq!(server.requests()[2].path, "/users/ann+1@x.org/status?tag=ann%2B1@x.org&q=ann%2B1%40x.org");
    let opted_out = yaml.replace("/users/{{ inputs.user }}/", "/users/{{ inputs.user | safe }}/");
    run(&opted_out, &["-i", "user=a/b"]).status(0);
    assert!(server.requests()[4].path.starts_with("/users/a/b/status?"), "{:?}", server.requests()[4]);
}

/// attack7 H10: a password holding `@HOST/#` templated into a URL's user
/// info sent the request, and the credentials, to HOST. A value in the
/// user info is encoded as user info; in the host a value that would end
/// or split it is refused (code review M1), as is a `.` or `..` segment two
/// values make together; `| urlencode` (which leaves `/` and `.`) never
/// changes the path either (code review H3).
#[test]
fn a_value_never_moves_a_request_to_another_host_or_path() {
    let intended = Server::start(|_, stream| respond(stream, "200 OK", &[], b"ok"));
    let elsewhere = Server::start(|_, stream| respond(stream, "200 OK", &[], b"elsewhere"));
    let yaml = r#"
id: creds
title: credentials in the URL
inputs:
  password: { secret: true, env: RB_PASSWORD }
  host: { default: "127.0.0.1" }
  a: { default: "a" }
  b: { default: "b" }
  name: { default: "report" }
steps:
  - id: info
    check:
      http: { url: "http://ops:{{ inputs.password }}@{{ inputs.host }}:PORT/status" }
      expect: [ { status: 200 } ]
    next: parts
  - id: parts
    check:
      http: { url: "http://127.0.0.1:PORT/f/{{ inputs.a }}{{ inputs.b }}/{{ inputs.name | urlencode }}/x" }
      expect: [ { status: 200 } ]
    next: end
  - id: end
    conclude: { status: resolved, diagnosis: "reached" }
"#
    .replace("PORT", &intended.port.to_string());
    let password = format!("x@127.0.0.1:{}/#", elsewhere.port);
    let moved = |args: &[&str]| run(&yaml, args).env("RB_PASSWORD", &password);
    let events = moved(&["-i", "name=../admin"]).status(0).events();
    assert_eq!(path(&events), ["info", "parts", "end"]);
    assert!(elsewhere.requests().is_empty(), "{:?}", elsewhere.requests());
    let requests = intended.requests();
    assert_eq!(requests[0].path, "/status");
    let basic = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("ops:{password}"));
    assert_eq!(requests[0].header("authorization"), Some(format!("Basic {basic}").as_str()));
    assert_eq!(requests[1].path, "/f/ab/..%2Fadmin/x");
    let host = format!("host=127.0.0.1:{}/#", elsewhere.port);
    for (args, refused) in [
        (&["-i", host.as_str()][..], "into the URL's host or port holds `/`"),
        (&["-i", "name=.."], "would make the segment `..`"),
        (&["-i", "a=.", "-i", "b=."], "would make the segment `..`"),
    ] {
        moved(args).status(4).stderr_contains(refused);
    }
    assert!(elsewhere.requests().is_empty(), "{:?}", elsewhere.requests());
    assert_eq!(intended.requests().len(), 4, "each refused run stops before the request it refuses");
}

#[test]
fn http_failure_modes_are_told_apart() {
    let server = Server::start(|request, stream| match request.path.as_str() {
        "/slow" => {
            std::thread::sleep(Duration::from_secs(5));
            respond(stream, "200 OK", &[], b"late")
        }
        "/hung" => stay_silent(stream),
        "/loop" => respond(stream, "302 Found", &[("location", "/loop")], b""),
        "/huge" => {
            const SIZE: u64 = 1 << 30;
            stream.write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: {SIZE}\r\n\r\n").as_bytes())?;
            let chunk = vec![b'x'; 1 << 16];
            let mut left = SIZE;
            while left > 0 {
                let n = usize::try_from(left.min(chunk.len() as u64)).unwrap();
                stream.write_all(&chunk[..n])?;
                left -= n as u64;
            }
            Ok(Then::Close)
        }
        _ => respond(stream, "200 OK", &[], b"ok"),
    });
    let yaml = format!(
        r#"
id: modes
title: HTTP failure modes
steps:
  - id: probes
    check:
      probes:
        slow: {{ http: {{ url: "{base}/slow", timeout: 300ms }} }}
        hung: {{ http: {{ url: "{base}/hung", timeout: 300ms }} }}
        redirect_loop: {{ http: {{ url: "{base}/loop" }} }}
        huge:
          http: {{ url: "{base}/huge", timeout: 10m }}
          expect: [ {{ status: 200 }} ]
  - id: end
    conclude: {{ status: diagnosed, diagnosis: "{{{{ steps.probes.failed | join(',') }}}}" }}
"#,
        base = server.url("")
    );
    let output = run(&yaml, &[]).status(0);
    let events = output.events();
    let parts = parts(&events, "probes");
    let by_name = |name: &str| *parts.iter().find(|p| p["name"] == name).unwrap();
    assert_eq!(by_name("slow")["error"]["kind"], "timeout");
    assert_eq!(by_name("hung")["error"]["kind"], "timeout");
    assert_eq!(by_name("redirect_loop")["error"]["kind"], "too_many_redirects");
    let huge = by_name("huge");
    assert_eq!(huge["outcome"], "pass");
    let body = &huge["observation"]["body"];
    assert_eq!(body["total_bytes"], 1u64 << 30);
    assert_eq!(body["dropped_bytes"], (1u64 << 30) - (1 << 20), "1 MiB kept of 1 GiB");
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "slow,hung,redirect_loop");
}

/// A missing tool is `spawn_failed` by its exit code (127), whatever
/// stderr holds: redirected to /dev/null, folded into stdout, or said by
/// `env`/`timeout` in front. `exit_code: { ne: 0 }` ("not running") must
/// not pass for "not installed"; an expectation naming 127 judges it.
/// review-10-attack4 H6: `ne: Running` over `$.items[*].phase` held
/// while the only pod was Running, and the run said the deployment was
/// down.
#[test]
fn a_wildcard_path_against_a_single_value_is_a_type_mismatch_not_a_branch() {
    let server = Server::start(|_, stream| {
        respond(stream, "200 OK", &[("content-type", "application/json")], br#"{"items":[{"phase":"Running"}]}"#)
    });
    let runbook = |expect: &str| {
        format!(
            r#"
id: pods
title: No pod running?
steps:
  - id: pods
    check:
      http: {{ url: "{url}" }}
      expect:
        - {{ json: "$.items[*].phase", {expect} }}
    on: {{ pass: none-running, fail: some-running, error: [ {{ when: 'result.error.kind in ["type_mismatch", "invalid_capture"]', goto: cant }}, {{ goto: cant }} ] }}
  - id: none-running
    conclude: {{ status: diagnosed, severity: critical, diagnosis: "no pod is Running" }}
  - id: some-running
    conclude: {{ status: resolved, diagnosis: "pods are running" }}
  - id: cant
    conclude: {{ status: inconclusive, diagnosis: "{{{{ steps.pods.error.kind }}}}: {{{{ steps.pods.error.message }}}}" }}
"#,
            url = server.url("/pods")
        )
    };
    // A literal path that can select several nodes against one value is
    // refused before anything runs (RB310); the engine's own guard stays
    // for a list the check cannot see (below).
    for expect in ["ne: Running", "eq: Running", "not_in: [Running, Pending]", "in: [Running]"] {
        run(&runbook(expect), &[])
            .status(3)
            .stderr_contains("error[RB310]")
            .stderr_contains("`$.items[*].phase` can select several nodes, so it gives a list");
    }
    let each = run(&runbook("all: { ne: Running }"), &[]).status(0);
    assert_eq!(of(&each.events(), "concluded")[0]["conclusion"]["diagnosis"], "pods are running");
    // A singular path that selects a list: only the run can see it is one.
    let singular = |expect: &str| runbook(expect).replace("$.items[*].phase", "$.items");
    let output = run(&singular("eq: Running"), &[]).status(0);
    let diagnosis =
        of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"].as_str().unwrap_or_default().to_owned();
    assert!(
        diagnosis.starts_with("type_mismatch: `json $.items` is the list") && diagnosis.contains("`all: {"),
        "{diagnosis}"
    );
    // attack3 N7: routed without reading `error.kind`, the answer it cannot
    // read stops the run instead of taking the "no answer" branch.
    let unrouted = singular("eq: Running").replace(&format!("error: [ {} ]", kind_route("cant")), "error: cant");
    let stopped = run(&unrouted, &[]).status(4);
    assert!(of(&stopped.events(), "concluded").is_empty(), "{}", stopped.stdout);
    stopped
        .stderr_contains("step `pods` got an answer it cannot read (type_mismatch): `json $.items` is the list")
        .stderr_contains("result.error.kind");
}

/// An `on: error:` chain that tells an answer the runbook cannot read
/// apart from no answer, both to `to`.
fn kind_route(to: &str) -> String {
    format!(r#"{{ when: 'result.error.kind in ["type_mismatch", "invalid_capture"]', goto: {to} }}, {{ goto: {to} }}"#)
}

#[test]
fn a_missing_command_is_spawn_failed_whatever_its_stderr_says() {
    let runbook = |cmd: &str, expect: &str| {
        format!(
            r#"
id: gone
title: Is the old daemon gone?
steps:
  - id: probe
    check:
      cmd: {cmd}
      expect: [ {{ exit_code: {expect} }} ]
    on: {{ pass: gone, fail: still, error: cant }}
  - id: gone
    conclude: {{ status: resolved, diagnosis: "gone" }}
  - id: still
    conclude: {{ status: diagnosed, diagnosis: "still running" }}
  - id: cant
    conclude: {{ status: inconclusive, diagnosis: "could not check: {{{{ steps.probe.error.message }}}}" }}
"#
        )
    };
    let missing = "runbook-no-such-tool-1c9e";
    let commands = [
        format!(r#"{{ sh: "{missing} -x old-daemon 2>/dev/null" }}"#),
        format!(r#"{{ sh: "{missing} -x old-daemon 2>&1" }}"#),
        format!(r#"{{ sh: "timeout 5 {missing} -x old-daemon" }}"#),
        format!("{{ argv: [env, {missing}, -x, old-daemon] }}"),
        format!("{{ argv: [timeout, '5', {missing}] }}"),
        format!(r#"{{ sh: "if {missing} -x old-daemon; then exit 0; else exit 1; fi" }}"#),
        format!(r#"{{ sh: "{missing} -x old-daemon | wc -l" }}"#),
    ];
    for cmd in &commands {
        let output = run(&runbook(cmd, "{ ne: 0 }"), &[]).status(0);
        let events = output.events();
        let step = of(&events, "step_finished")[0];
        assert_eq!(
            (step["outcome"].as_str(), step["error"]["kind"].as_str()),
            (Some("error"), Some("spawn_failed")),
            "{cmd}"
        );
        let diagnosis = of(&events, "concluded")[0]["conclusion"]["diagnosis"].as_str().unwrap_or_default().to_owned();
        assert!(
            diagnosis.starts_with("could not check: the command was not found (exit 127)")
                || diagnosis.starts_with("could not check: a command was not found (the shell said `sh: 1: runbook-no-such-tool-1c9e: not found`"),
            "{cmd}: {diagnosis}"
        );
    }
    let quiet = run(&runbook(&commands[0], "{ ne: 0 }"), &[]).status(0);
    let events = quiet.events();
    let diagnosis = &of(&events, "concluded")[0]["conclusion"]["diagnosis"];
    assert_eq!(
        diagnosis,
        "could not check: the command was not found (exit 127): stderr is empty (redirected?), and the exit code says so"
    );
    let named = run(&runbook(&commands[0], "{ in: [1, 127] }"), &[]).status(0);
    assert_eq!(of(&named.events(), "concluded")[0]["conclusion"]["diagnosis"], "gone");
}

/// attack6 H3: a log scan killed half-way (the OOM killer, `kill -9`) was
/// judged on what it printed: `contains: FATAL` over half the log was
/// false, "no FATAL in the log: not the app". A command killed by a signal
/// gave no answer (`error`, kind `killed`), whatever its expectations read;
/// its captures are unset and its `error` route may read the signal.
#[test]
fn a_command_killed_by_a_signal_gave_no_answer_whatever_its_expectations_read() {
    let runbook = |expect: &str| {
        format!(
            r#"
id: k01
title: log scan killed half-way
steps:
  - id: scan
    check:
      cmd: {{ sh: "echo 'line 1 ok 3 errors'; kill -9 $$; echo 'FATAL: out of disk'" }}
      expect: [ {expect} ]
      capture:
        errors: {{ regex: '(\d+) errors', type: int }}
    on:
      pass: fatal
      fail: clean
      error:
        - when: result.error.kind == "killed"
          goto: cant
        - goto: fatal
  - id: fatal
    conclude: {{ status: diagnosed, severity: high, diagnosis: "FATAL in the log" }}
  - id: clean
    conclude: {{ status: resolved, diagnosis: "no FATAL in the log: not the app" }}
  - id: cant
    conclude: {{ status: inconclusive, diagnosis: "scan did not finish: {{{{ steps.scan.error.message }}}}" }}
"#
        )
    };
    for expect in ["{ stdout: { contains: FATAL } }", "{ exit_code: { ne: 1 } }", "{ stdout: { contains: ok } }"] {
        let events = run(&runbook(expect), &[]).status(0).events();
        let step = of(&events, "step_finished")[0];
        assert_eq!(
            (step["outcome"].as_str(), step["error"]["kind"].as_str()),
            (Some("error"), Some("killed")),
            "{expect}"
        );
        assert!(step["captures"]["errors"].is_null(), "{expect}: {step}");
        assert_eq!(
            of(&events, "concluded")[0]["conclusion"]["diagnosis"],
            "scan did not finish: the command was killed by signal 9 (SIGKILL) before it exited: what it printed is \
             not its whole answer, and it has no exit code",
            "{expect}"
        );
    }
    let human = Test::new()
        .files(&[("runbook.yaml", runbook("{ stdout: { contains: FATAL } }").as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record"])
        .status(0)
        .stdout;
    assert!(human.contains("killed by signal 9") && human.contains("error (killed)"), "{human}");
    assert!(human.contains("line 1 ok"), "what it printed is shown: {human}");
    // review-10-attack7 H5: under `sh:` the killed program is the shell's
    // child, and the shell exits 137 (128 + 9): a kill too, unless an
    // expectation names that exit code.
    let child = runbook("{ stdout: { contains: FATAL } }").replace(
        "echo 'line 1 ok 3 errors'; kill -9 $$; echo 'FATAL: out of disk'",
        "sh -c 'echo line 1 ok 3 errors; kill -9 $$; echo FATAL'; exit $?",
    );
    assert!(child.contains("sh -c 'echo line"), "{child}");
    let events = run(&child, &[]).status(0).events();
    let step = of(&events, "step_finished")[0];
    assert_eq!((step["outcome"].as_str(), step["error"]["kind"].as_str()), (Some("error"), Some("killed")), "{step}");
    assert!(
        step["error"]["message"].as_str().is_some_and(|message| message.starts_with(
            "a program the command ran was killed by signal 9 (SIGKILL): it exited 137, 128 + the signal"
        )),
        "{step}"
    );
    let named = child.replace("{ stdout: { contains: FATAL } }", "{ exit_code: 137 }");
    assert_eq!(path(&run(&named, &[]).status(0).events()), ["scan", "fatal"], "an exit code named is judged");
    // A command that exits is judged as before.
    let finished = runbook("{ stdout: { contains: FATAL } }").replace("kill -9 $$; ", "");
    assert_eq!(path(&run(&finished, &[]).status(0).events()), ["scan", "fatal"]);
}

#[test]
fn commands_exit_codes_and_stderr_are_judged() {
    let yaml = r#"
id: cmds
title: Commands
steps:
  - id: failing
    check:
      cmd: { sh: "echo 'disk full' >&2; exit 3" }
      expect: [ { exit_code: 0 }, { stderr: { contains: "disk" } } ]
      capture: { why: { stderr: true } }
  - id: missing
    check:
      cmd: { argv: [/nonexistent/program] }
  - id: end
    conclude: { status: diagnosed, diagnosis: "{{ vars.why }} / {{ steps.failing.exit_code }} / {{ steps.missing.error.kind }}" }
"#;
    let output = run(yaml, &[]).status(0);
    let events = output.events();
    let failing = of(&events, "step_finished").into_iter().find(|e| e["step"] == "failing").unwrap();
    assert_eq!(failing["outcome"], "fail");
    assert_eq!(failing["captures"]["why"], "disk full");
    let missing = of(&events, "step_finished").into_iter().find(|e| e["step"] == "missing").unwrap();
    assert_eq!((missing["outcome"].clone(), missing["error"]["kind"].clone()), ("error".into(), "spawn_failed".into()));
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "disk full / 3 / spawn_failed");
}

/// Whether a process is gone (or a zombie waiting for its parent).
pub(crate) fn process_gone(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_or(true, |stat| stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
}

#[test]
fn a_timeout_kills_the_grandchildren_too() {
    let yaml = r#"
id: hang
title: A command that forks and hangs
steps:
  - id: hang
    check:
      cmd: { sh: "sleep 300 & echo $! > grandchild.pid; echo $$ > child.pid; wait", timeout: 1s }
  - id: end
    conclude: { status: diagnosed, diagnosis: "{{ steps.hang.error.kind }}" }
"#;
    let output = run(yaml, &[]).status(0);
    let events = output.events();
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "timeout");
    for file in ["child.pid", "grandchild.pid"] {
        let pid: u32 = std::fs::read_to_string(output.path(file)).unwrap().trim().parse().unwrap();
        assert!(process_gone(pid), "{file}: process {pid} survived the timeout");
    }
}

#[test]
fn tcp_and_env_probes() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let yaml = format!(
        r#"
id: net
title: TCP and env
steps:
  - id: open
    check: {{ tcp: {{ host: 127.0.0.1, port: {open} }}, expect: [ {{ connected: true }} ] }}
  - id: closed
    check: {{ tcp: {{ host: 127.0.0.1, port: {closed} }}, expect: [ {{ connected: false }} ] }}
  - id: env
    check: {{ env: {{ set: [RB_TEST_SET], non_empty: [RB_TEST_EMPTY, RB_TEST_MISSING] }} }}
  - id: end
    conclude: {{ status: diagnosed, diagnosis: "{{{{ steps.open.outcome }}}} {{{{ steps.closed.outcome }}}} {{{{ steps.env.missing | join(',') }}}}" }}
"#
    );
    let output = run(&yaml, &[]).env("RB_TEST_SET", "").env("RB_TEST_EMPTY", "").status(0);
    let events = output.events();
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "pass pass RB_TEST_EMPTY,RB_TEST_MISSING");
    drop(listener);
}

/// A connection not made under a `connected` expectation is a `fail`, not
/// an `error`, and still says why: the view and record.md name the refusal
/// (a misspelt host would say `cannot resolve`, a timeout `no connection`),
/// and `steps.ID.error` / `result.error` hold it, for a route and the
/// diagnosis.
#[test]
fn a_tcp_check_that_fails_on_connected_says_why_the_connection_was_not_made() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let yaml = format!(
        r#"
id: port
title: Port
steps:
  - id: open
    check:
      tcp: {{ host: 127.0.0.1, port: {closed}, timeout: 2s }}
      expect: [ {{ connected: true }} ]
    on:
      pass: up
      fail:
        - when: result.error.kind == "dns"
          goto: misspelt
        - goto: down
  - id: up
    conclude: {{ status: resolved }}
  - id: misspelt
    conclude: {{ status: diagnosed, diagnosis: "no such host" }}
  - id: down
    conclude: {{ status: diagnosed, diagnosis: "down ({{{{ steps.open.error.kind }}}}): {{{{ steps.open.error.message }}}}" }}
"#
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .status(0);
    let why = format!("not connected: connection refused by 127.0.0.1:{closed} (refused)");
    let shown = format!("  tcp 127.0.0.1:{closed}\n    {why}\n    ✗ connected eq true, got false\n  ✗ fail in ");
    assert!(output.stdout.contains(&shown), "{}", output.stdout);
    // The step's error is the reason, said once.
    assert!(!output.stdout.contains("(refused: "), "{}", output.stdout);
    let diagnosis = format!("down (refused): connection refused by 127.0.0.1:{closed}");
    assert!(output.stdout.contains(&diagnosis), "{}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec/record.md")).expect("record.md");
    assert!(record.contains(&format!("Why: {why}")), "{record}");
    assert!(record.contains(&diagnosis) && !record.contains("Error (refused)"), "{record}");
}

/// An http action is approved with what it sends: its headers (a secret
/// one redacted) and its body, in the dry run and in record.md, the body
/// exactly as the server then receives it.
#[test]
fn an_http_action_shows_its_headers_and_body_in_the_dry_run_and_the_record() {
    use crate::http_server::{Server, respond};
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b"scaled"));
    let yaml = format!(
        r#"
id: scale
title: Scale
inputs:
  replicas: {{ type: number, default: 0 }}
  token: {{ secret: true, env: RB_TEST_SCALE_TOKEN }}
steps:
  - id: scale
    action:
      confirm: "Scales the worker to {{{{ inputs.replicas }}}} replicas."
      http:
        method: PUT
        url: "{url}"
        headers: {{ X-Env: prod, Authorization: "Bearer {{{{ inputs.token }}}}" }}
        json: {{ replicas: "{{{{ inputs.replicas }}}}", drain: true }}
        timeout: 3s
      expect: [ {{ status: 200 }} ]
    on: {{ pass: done, fail: done, error: done, skipped: done }}
  - id: done
    conclude: {{ status: resolved }}
"#,
        url = server.url("/scale")
    );
    let files = [("runbook.yaml", yaml.as_bytes())];
    let request = |replicas: &str| {
        format!(
            "PUT {}\n{pad}X-Env: prod\n{pad}Authorization: Bearer [redacted:token]\n{pad}Content-Type: \
             application/json\n\n{pad}{{\"replicas\":{replicas},\"drain\":true}}\n",
            server.url("/scale"),
            pad = " ".repeat(24)
        )
    };
    let dry = Test::new()
        .files(&files)
        .env("RB_TEST_SCALE_TOKEN", "tok-s3cr3t")
        .args(["run", "runbook.yaml", "--dry-run", "--color", "never"])
        .status(0);
    assert!(dry.stdout.contains(&format!("  not run in this mode: {}", request("0"))), "{}", dry.stdout);
    assert!(!dry.stdout.contains("tok-s3cr3t"), "{}", dry.stdout);
    let run = Test::new()
        .files(&files)
        .env("RB_TEST_SCALE_TOKEN", "tok-s3cr3t")
        .args(["run", "runbook.yaml", "--yes", "-i", "replicas=3", "--color", "never", "--record-dir", "rec"])
        .status(0);
    let sent = server.requests();
    assert_eq!(String::from_utf8_lossy(&sent[0].body), r#"{"replicas":3,"drain":true}"#);
    let record = std::fs::read_to_string(run.path("rec/record.md")).expect("record.md");
    let block = format!(
        "Action (the request below): **run** (by mode)\n\n```http\nPUT {}\nX-Env: prod\nAuthorization: Bearer \
         [redacted:token]\nContent-Type: application/json\n\n{{\"replicas\":3,\"drain\":true}}\n```\n",
        server.url("/scale")
    );
    assert!(record.contains(&block), "{record}");
    assert!(!record.contains("tok-s3cr3t"), "{record}");
}

/// The reason a connection was not made quotes the host, which often comes
/// from an input: its control characters are shown as escapes, so a
/// hostile name cannot retitle the terminal or erase the reason's line.
#[test]
fn a_tcp_reason_shows_a_hostile_host_names_control_characters_as_escapes() {
    let yaml = "id: port\ntitle: Port\ninputs:\n  host: { description: host }\nsteps:\n  - id: open\n    check:\n      \
                tcp: { host: \"{{ inputs.host }}\", port: 9, timeout: 2s }\n      expect: [ { connected: true } ]\n    \
                on: { pass: up, fail: down }\n  - id: up\n    conclude: { status: resolved }\n  - id: down\n    \
                conclude: { status: diagnosed, diagnosis: down }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--no-record"])
        .args(["--input", "host=evil\u{1b}]0;PWNED\u{7}\u{1b}[2K.invalid"])
        .status(0);
    assert!(!output.stdout.contains('\u{1b}') && !output.stdout.contains('\u{7}'), "{:?}", output.stdout);
    assert!(
        output.stdout.contains("not connected: cannot resolve `evil\\x1b]0;PWNED\\x07\\x1b[2K.invalid`"),
        "{}",
        output.stdout
    );
}

/// Response header names are lower-case in `result.headers`: a name with
/// capitals that arrives through an input is never in the map, so the run
/// stops naming it rather than taking the "no such header" branch; the
/// lower-cased name finds it.
#[test]
fn a_header_name_with_capitals_looked_for_in_the_headers_stops_the_run() {
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[("X-Role", "Primary")], b"{}"));
    let yaml = format!(
        r#"
id: role
title: Is this node the primary?
inputs:
  header: {{ default: X-Role }}
steps:
  - id: api
    check: {{ http: {{ url: "{url}" }}, expect: [ {{ status: 200 }} ] }}
    on:
      pass:
        - when: inputs.header in result.headers
          goto: primary
        - goto: replica
      fail: replica
      error: replica
  - id: primary
    conclude: {{ status: diagnosed, diagnosis: "primary: do not restart" }}
  - id: replica
    conclude: {{ status: resolved, diagnosis: "replica: safe to restart" }}
"#,
        url = server.url("/h")
    );
    let output = run(&yaml, &[]).status(4);
    assert!(of(&output.events(), "concluded").is_empty());
    output.stderr_contains(
        r#"`inputs.header in result.headers` looks for the header name "X-Role" in a map whose names are lower-case"#,
    );
    let output = run(&yaml, &["-i", "header=x-role"]).status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "primary: do not restart");
}

#[test]
fn a_dry_run_spawns_nothing_and_connects_nowhere() {
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b"ok"));
    let yaml = format!(
        r#"
id: dry
title: Dry run
steps:
  - id: argv
    check: {{ cmd: {{ argv: [touch, canary-argv] }} }}
  - id: shell
    collect: {{ cmd: {{ sh: "touch canary-sh" }} }}
  - id: web
    check: {{ http: {{ url: "{url}" }}, expect: [ {{ status: 200 }} ] }}
    on: {{ fail: fix }}
  - id: tcp
    check: {{ tcp: {{ host: 127.0.0.1, port: {port} }} }}
  - id: fix
    action:
      confirm: Creates a canary.
      cmd: {{ argv: [touch, canary-action] }}
    on: {{ skipped: done }}
  - id: done
    conclude: {{ status: inconclusive }}
"#,
        url = server.url("/health"),
        port = server.port
    );
    let output = run(&yaml, &["--dry-run", "--assume", "web=fail", "--yes"]).status(0);
    let events = output.events();
    assert_eq!(path(&events), ["argv", "shell", "web", "fix", "done"]);
    for canary in ["canary-argv", "canary-sh", "canary-action"] {
        assert!(!output.path(canary).exists(), "{canary} was created by a dry run");
    }
    assert_eq!(server.connection_count(), 0, "a dry run connected to the server");
    assert_eq!(parts(&events, "argv")[0]["target"], "touch canary-argv");
    assert_eq!(parts(&events, "shell")[0]["target"], "touch canary-sh");
    assert_eq!(parts(&events, "web")[0]["target"], format!("GET {}", server.url("/health")));
    assert_eq!(parts(&events, "web")[0]["assumed"], true);
    let decided = &of(&events, "action_decided")[0];
    assert_eq!(
        (decided["decision"].clone(), decided["target"].clone()),
        ("not_in_this_mode".into(), "touch canary-action".into())
    );
    assert_eq!(of(&events, "run_started")[0]["mode"], "dry-run");
}

#[test]
fn hostile_probe_output_and_inputs_reach_commands_as_data() {
    let hostile_json = r#"{"name":"$(touch canary-json); `touch canary-tick`; ' ; touch canary-quote #"}"#;
    let server = Server::start(move |_, stream| respond(stream, "200 OK", &[], hostile_json.as_bytes()));
    let yaml = format!(
        r#"
id: injection
title: Injection
inputs:
  who: {{ default: "" }}
steps:
  - id: fetch
    check:
      http: {{ url: "{url}" }}
      capture: {{ name: {{ json: $.name }} }}
  - id: echo
    check:
      cmd: {{ sh: "printf '%s|%s' {{{{ vars.name }}}} {{{{ inputs.who }}}}" }}
      capture: {{ echoed: {{ stdout: true }} }}
  - id: end
    conclude: {{ status: diagnosed, diagnosis: "{{{{ vars.echoed }}}}" }}
"#,
        url = server.url("/")
    );
    let who = "x'; touch canary-input; echo '";
    let output = run(&yaml, &["--input", &format!("who={who}")]).status(0);
    for canary in ["canary-json", "canary-tick", "canary-quote", "canary-input"] {
        assert!(!output.path(canary).exists(), "{canary}: hostile text ran as a command");
    }
    let events = output.events();
    let expected = format!("$(touch canary-json); `touch canary-tick`; ' ; touch canary-quote #|{who}");
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], expected.as_str());
}

#[test]
fn retry_polls_until_the_outcome_and_keeps_every_attempt() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let server = Server::start(move |_, stream| {
        if counter.fetch_add(1, Ordering::SeqCst) < 2 {
            respond(stream, "503 Service Unavailable", &[], b"starting")
        } else {
            respond(stream, "200 OK", &[], b"ready")
        }
    });
    let yaml = format!(
        r#"
id: retry
title: Retry
steps:
  - id: wait
    check: {{ http: {{ url: "{url}" }}, expect: [ {{ status: 200 }} ] }}
    retry: {{ attempts: 5, interval: 10ms, backoff: 2 }}
  - id: end
    conclude: {{ status: resolved }}
"#,
        url = server.url("/readyz")
    );
    let output = run(&yaml, &[]).status(0);
    let events = output.events();
    let outcomes: Vec<&Value> = of(&events, "attempt_finished").iter().map(|e| &e["outcome"]).collect();
    assert_eq!(outcomes, ["fail", "fail", "pass"]);
    let waits: Vec<&Value> = of(&events, "waiting").iter().map(|e| &e["wait_ms"]).collect();
    assert_eq!(waits, [10, 20]);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[test]
fn a_loop_over_max_visits_fails_the_run_at_the_limit_it_passed() {
    let yaml = r#"
id: loop
title: Loop
max_visits: 2
steps:
  - id: probe
    check: { cmd: { argv: ["false"] }, expect: [ { exit_code: 0 } ] }
    on: { fail: again }
  - id: again
    collect: { cmd: { argv: ["true"] } }
    next: probe
  - id: end
    conclude: { status: resolved }
"#;
    let output = run(yaml, &[]).status(4);
    let events = output.events();
    assert_eq!(path(&events), ["probe", "again", "probe", "again"]);
    let ending = finished(&events);
    assert_eq!(ending["status"], "failed");
    let message = ending["message"].as_str().unwrap();
    assert!(message.contains("step `probe` would run 3 times, more than its max_visits of 2"), "{message}");
    assert!(message.contains("runbook.yaml:4:13: "), "the message locates the runbook's max_visits: {message}");
    assert!(output.stderr.contains("the limit of 2 visits"), "{}", output.stderr);
    assert!(output.stderr.contains("help: raise the runbook's `max_visits`"), "{}", output.stderr);

    // The step's own limit is the one it names.
    let own = yaml
        .replace("max_visits: 2\n", "")
        .replace("    on: { fail: again }", "    max_visits: 1\n    on: { fail: again }");
    let message = finished(&run(&own, &[]).status(4).events())["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("runbook.yaml:7:17: step `probe` would run 2 times, more than its max_visits of 1"),
        "{message}"
    );

    // With no `max_visits` at all, the transition that went round once
    // more is where to look.
    let default = yaml.replace("max_visits: 2\n", "");
    let output = run(&default, &[]).status(4);
    let message = finished(&output.events())["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("runbook.yaml:10:11: step `probe` would run 4 times, more than its max_visits of 3"),
        "{message}"
    );
    assert!(output.stderr.contains("next: probe"), "{}", output.stderr);
    assert!(output.stderr.contains("goes back to `probe` once more than the default 3 visits"), "{}", output.stderr);
}

pub(crate) const QUESTIONS: &str = r#"
id: questions
title: Questions
steps:
  - id: symptom
    ask:
      question: What is wrong?
      default: slow
      choices:
        - { answer: down, goto: restart }
        - { answer: slow, goto: slow }
  - id: restart
    action:
      confirm: Restarts the service.
      cmd: { sh: "echo restarted > restarted.txt" }
      expect: [ { exit_code: 0 } ]
    on: { pass: fixed, skipped: not-fixed }
  - id: slow
    conclude: { status: diagnosed, diagnosis: slow }
  - id: fixed
    conclude: { status: resolved }
  - id: not-fixed
    conclude: { status: escalated, escalation: { to: [oncall] } }
"#;

#[test]
fn an_unanswered_question_stops_with_its_own_exit_code_and_says_how_to_answer() {
    let output = Test::new()
        .files(&[("runbook.yaml", QUESTIONS.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive"])
        .status(5);
    assert!(output.stdout.contains("step `symptom` needs an answer: What is wrong?"), "{}", output.stdout);
    assert!(output.stdout.contains("answers: down, slow"));
    assert!(output.stdout.contains("--answer symptom=VALUE"));
    assert!(output.stdout.contains("--accept-defaults to answer `slow`"));
}

#[test]
fn scripted_answers_defaults_and_action_confirmation() {
    let output = run(QUESTIONS, &["--accept-defaults"]).status(0);
    let events = output.events();
    assert_eq!(path(&events), ["symptom", "slow"]);
    assert_eq!(of(&events, "answered")[0]["by"], "default");

    let output = run(QUESTIONS, &["--answer", "symptom=down"]).status(5);
    assert!(finished(&output.events())["message"].as_str().unwrap().contains("pass --yes to run actions"));
    assert!(!output.path("restarted.txt").exists());

    let output = run(QUESTIONS, &["--answer", "symptom=down", "--yes"]).status(0);
    assert_eq!(path(&output.events()), ["symptom", "restart", "fixed"]);
    assert_eq!(std::fs::read_to_string(output.path("restarted.txt")).unwrap(), "restarted\n");

    let output = run(QUESTIONS, &["--answer", "symptom=down", "--answer", "restart=no"]).status(0);
    assert_eq!(path(&output.events()), ["symptom", "restart", "not-fixed"]);
    assert!(!output.path("restarted.txt").exists());

    let output = run(QUESTIONS, &["--answer", "symptom=down", "--read-only", "--yes"]).status(0);
    assert_eq!(path(&output.events()), ["symptom", "restart", "not-fixed"]);
    assert!(!output.path("restarted.txt").exists(), "--read-only ran an action");
}

/// `--read-only` sends nothing that may change things: an http check or
/// collect whose method is POST, PUT, PATCH or DELETE is `skipped` as an
/// action is, and routed by `skipped:`; a group holding one sends none of
/// its reads either. The server sees only the GET of the plain check.
#[test]
fn a_read_only_run_sends_no_request_that_may_change_things() {
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b"ok"));
    let yaml = format!(
        r#"
id: ro
title: Flush and look
steps:
  - id: flush
    check:
      http: {{ url: "{flush}", method: POST }}
      expect: [ {{ status: 200 }} ]
      capture: {{ said: {{ body: true }} }}
    on: {{ pass: gather, fail: gather, error: gather, skipped: gather }}
  - id: gather
    collect:
      probes:
        queue: {{ http: {{ url: "{queue}", method: DELETE }} }}
        health: {{ http: {{ url: "{health}" }} }}
  - id: look
    check:
      http: {{ url: "{health}" }}
      expect: [ {{ status: 200 }} ]
    on: {{ pass: done, fail: done, error: done }}
  - id: done
    conclude: {{ status: resolved, diagnosis: "flush {{{{ steps.flush.outcome }}}}, gather {{{{ steps.gather.outcome }}}}" }}
"#,
        flush = server.url("/flush"),
        queue = server.url("/queue"),
        health = server.url("/health"),
    );
    let output = run(&yaml, &["--read-only", "--record-dir", "rec"]).status(0);
    let events = output.events();
    let seen: Vec<(String, String)> = server.requests().into_iter().map(|r| (r.method, r.path)).collect();
    assert_eq!(seen, [("GET".to_owned(), "/health".to_owned())], "only the plain GET is sent");
    assert_eq!(path(&events), ["flush", "gather", "look", "done"]);
    let flush = of(&events, "step_finished")[0];
    assert_eq!((flush["outcome"].as_str(), flush["uncaptured"][0].as_str()), (Some("skipped"), Some("said")));
    assert_eq!(of(&events, "transition")[0]["edge"], "flush:on.skipped", "routed by its own `skipped:`");
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "flush skipped, gather skipped");
    let not_sent: Vec<&str> =
        parts(&events, "gather").iter().map(|p| p["not_sent"].as_str().unwrap_or("sent")).collect();
    assert_eq!(not_sent, ["a read-only run sends no DELETE, which may change things"; 2]);
    let record = std::fs::read_to_string(output.path("rec").join("record.md")).expect("record.md written");
    assert!(
        record.contains("→ **skipped** (not sent: a read-only run sends no POST, which may change things)"),
        "{record}"
    );
    assert!(record.contains("`vars.said` unset: the step was skipped, nothing was sent."), "{record}");
    let human = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record", "--read-only"])
        .status(0)
        .stdout;
    assert!(
        human.contains(&format!("POST {}  (not sent: a read-only run sends no POST", server.url("/flush"))),
        "{human}"
    );
    assert_eq!(server.requests().len(), 2, "the second read-only run sent its GET only");
    run(&yaml, &[]).status(0);
    let mut live: Vec<String> = server.requests().into_iter().skip(2).map(|r| r.method).collect();
    live.sort();
    assert_eq!(live, ["DELETE", "GET", "GET", "POST"], "a live run sends them all");
}

#[test]
fn answers_files_work_and_bad_answers_are_refused_before_anything_runs() {
    let output = Test::new()
        .files(&[("runbook.yaml", QUESTIONS.as_bytes()), ("answers.yaml", b"symptom: down\nrestart: yes\n")])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--answers", "answers.yaml"])
        .status(0);
    assert_eq!(path(&output.events()), ["symptom", "restart", "fixed"]);
    run(QUESTIONS, &["--answer", "symptom=sideways"])
        .status(2)
        .stderr_contains("`--answer symptom=…`: the answer is not one of the answers: down, slow");
    // A rejected answer is not repeated: it may be a secret pasted into the
    // wrong flag (review-8-attack3 L12).
    let pasted = run(QUESTIONS, &["--answer", "symptom=S3cr3tTok-xy9Q"]).status(2);
    assert!(!pasted.stderr.contains("S3cr3tTok"), "{}", pasted.stderr);
    run(QUESTIONS, &["--answer", "symptm=down"]).status(2).stderr_contains("did you mean `symptom`?");
    run(QUESTIONS, &["--answer", "restart=maybe"]).status(2).stderr_contains("answer yes or no");
    run(QUESTIONS, &["--assume", "symptom=great"]).status(2).stderr_contains("--dry-run");
}

#[test]
fn inputs_are_typed_checked_and_required() {
    let yaml = r#"
id: inputs
title: Inputs
inputs:
  lag: { type: number }
  services: { type: list, default: [api] }
steps:
  - id: end
    conclude: { status: diagnosed, diagnosis: "{{ inputs.lag + 1 }} {{ inputs.services | join('+') }}" }
"#;
    let output = run(yaml, &["--input", "lag=41", "--input", "services=api,worker"]).status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "42 api+worker");
    run(yaml, &[])
        .status(2)
        .stderr_contains("input `lag` is required and has no value")
        .stderr_contains("--input lag=VALUE");
    run(yaml, &["--input", "lag=soon"]).status(2).stderr_contains("input `lag` (from --input): `soon` is not a number");
    run(yaml, &["--input", "lagg=1"]).status(2).stderr_contains("did you mean `lag`?");
}

#[test]
fn an_invalid_runbook_is_refused_with_its_diagnostics() {
    run("id: x\ntitle: x\nsteps:\n  - id: a\n    check: { cmd: { argv: [true] } }\n    next: nowhere\n", &[])
        .status(3)
        .stderr_contains("RB201")
        .stderr_contains("fix them before running it");
}

#[test]
fn a_call_returns_the_callee_conclusion_and_vars() {
    let main = r#"
id: caller
title: Caller
steps:
  - id: database
    call:
      runbook: lib/db.yaml
      inputs: { port: 1 }
    on: { diagnosed: broken, resolved: fine }
  - id: fine
    conclude: { status: resolved }
  - id: broken
    conclude:
      status: diagnosed
      diagnosis: "db: {{ steps.database.conclusion.diagnosis }} ({{ steps.database.vars.seen }})"
"#;
    let callee = r#"
id: db
title: Database
inputs:
  port: { type: number }
steps:
  - id: connect
    check:
      cmd: { argv: [echo, "port {{ inputs.port }}"] }
      capture: { seen: { stdout: true } }
  - id: verdict
    conclude: { status: diagnosed, diagnosis: "refused on {{ inputs.port }}" }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", main.as_bytes()), ("lib/db.yaml", callee.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json"])
        .status(0);
    let events = output.events();
    assert_eq!(path(&events), ["database", "database/connect", "database/verdict", "broken"]);
    let conclusions = of(&events, "concluded");
    assert_eq!(conclusions.last().unwrap()["conclusion"]["diagnosis"], "db: refused on 1 (port 1)");
}

#[test]
fn a_call_input_of_the_wrong_type_names_the_calls_inputs_as_its_source() {
    // A json capture's type is known only at run time, so `check` passes it.
    let main = r#"
id: caller
title: Caller
steps:
  - id: read
    collect:
      cmd: { sh: "echo '{\"port\": \"5432\"}'" }
      capture: { port: { json: $.port } }
  - id: database
    call:
      runbook: lib/db.yaml
      inputs: { port: "{{ vars.port }}" }
    next: end
  - id: end
    conclude: { status: resolved }
"#;
    let callee = "id: db\ntitle: Database\ninputs:\n  port: { type: number }\nsteps:\n  - id: verdict\n    conclude: { status: resolved }\n";
    Test::new()
        .files(&[("runbook.yaml", main.as_bytes()), ("lib/db.yaml", callee.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record"])
        .status(4)
        .stderr_contains("input `port` (from the call's `inputs:`): \"5432\" is not a number")
        .stderr_contains("runbook.yaml:12:23");
}

/// The runbooks a run calls are loaded once, before its first step: one
/// broken before the run stops it before anything runs, with each of its
/// errors and the call chain; one edited during the run changes nothing.
#[test]
fn a_called_runbook_is_loaded_once_before_the_first_step() {
    let main = r"
id: caller
title: Caller
steps:
  - id: edit
    collect: { cmd: { argv: [cp, lib/broken.yaml, lib/db.yaml] } }
  - id: database
    call: { runbook: lib/db.yaml }
    on: { resolved: fine, diagnosed: broken }
  - id: fine
    conclude: { status: resolved }
  - id: broken
    conclude: { status: diagnosed, diagnosis: the callee changed }
";
    let callee = "id: db\ntitle: Database\nsteps:\n  - id: verdict\n    conclude: { status: resolved }\n";
    let broken = "id: db\ntitle: Database\nsteps:\n  - id: verdict\n    next: nowhere\n    conclude: { status: resolved }\n  - id: verdict\n    conclude: { status: diagnosed }\n";

    // Broken before the run: nothing runs (the `cp` would leave a mark).
    let output = Test::new()
        .env("NO_COLOR", "1")
        .files(&[
            ("runbook.yaml", main.as_bytes()),
            ("lib/db.yaml", broken.as_bytes()),
            ("lib/broken.yaml", callee.as_bytes()),
        ])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--no-record"])
        .status(3);
    assert!(output.events().is_empty(), "a step ran: {:?}", output.events());
    assert_eq!(std::fs::read_to_string(output.path("lib/db.yaml")).unwrap(), broken, "the `cp` ran");
    let stderr = &output.stderr;
    assert!(stderr.contains("error[RB211]"), "{stderr}");
    assert!(stderr.contains("`lib/db.yaml`, called as `runbook.yaml` → `lib/db.yaml`:"), "{stderr}");
    assert!(stderr.contains("error[RB201]"), "{stderr}");
    assert!(stderr.contains("next: nowhere"), "{stderr}");
    assert!(stderr.contains("error[RB202]"), "{stderr}");

    // Broken during the run: the call runs the text loaded at the start,
    // and the record names that text by its hash.
    let output = Test::new()
        .files(&[
            ("runbook.yaml", main.as_bytes()),
            ("lib/db.yaml", callee.as_bytes()),
            ("lib/broken.yaml", broken.as_bytes()),
        ])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--record-dir", "rec"])
        .status(0);
    assert_eq!(std::fs::read_to_string(output.path("lib/db.yaml")).unwrap(), broken, "the `cp` did not run");
    let events = output.events();
    assert_eq!(path(&events), ["edit", "database", "database/verdict", "fine"]);
    let loaded = crate::sha256_hex(callee.as_bytes());
    assert_eq!(of(&events, "called")[0]["sha256"], loaded.as_str());
    let callees = &of(&events, "run_started")[0]["callees"];
    assert_eq!(callees.as_array().map(Vec::len), Some(1), "{callees}");
    assert_eq!(callees[0]["sha256"], loaded.as_str());
    assert!(callees[0]["path"].as_str().unwrap().ends_with("lib/db.yaml"), "{callees}");
    let record = crate::valid_record(&output.path("rec/record.json"));
    assert_eq!(record["run"]["callees"], *callees);
}

/// A runbook called from two places, by two spellings of its path, is
/// one callee: journaled once, compiled once.
#[test]
fn a_callee_reached_by_two_paths_is_journaled_once() {
    let call = |id: &str, file: &str| {
        format!(
            "id: {id}\ntitle: T\nsteps:\n  - id: go\n    call: {{ runbook: {file} }}\n  - id: end\n    conclude: {{ status: resolved }}\n"
        )
    };
    let root = "id: root\ntitle: Root\nsteps:\n  - id: a\n    call: { runbook: mid.yaml }\n  - id: b\n    call: { runbook: sub/other.yaml }\n  - id: end\n    conclude: { status: resolved }\n";
    let leaf = "id: leaf\ntitle: Leaf\nsteps:\n  - id: end\n    conclude: { status: resolved }\n";
    let (mid, other) = (call("mid", "leaf.yaml"), call("other", "../leaf.yaml"));
    let output = Test::new()
        .files(&[
            ("runbook.yaml", root.as_bytes()),
            ("mid.yaml", mid.as_bytes()),
            ("sub/other.yaml", other.as_bytes()),
            ("leaf.yaml", leaf.as_bytes()),
        ])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--no-record"])
        .status(0);
    let events = output.events();
    let callees: Vec<&str> = of(&events, "run_started")[0]["callees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|callee| callee["runbook"].as_str().unwrap())
        .collect();
    assert_eq!(callees, ["mid", "other", "leaf"]);
    let called: Vec<&str> = of(&events, "called").iter().map(|called| called["step"].as_str().unwrap()).collect();
    assert_eq!(called, ["a", "a/go", "b", "b/go"]);
}

#[test]
fn a_run_time_error_inside_a_called_runbook_stops_the_caller_with_the_call_chain() {
    let main = r"
id: caller
title: Caller
steps:
  - id: disk
    call: { runbook: lib/disk.yaml }
    on: { diagnosed: full, resolved: fine, escalated: full, inconclusive: fine, error: db-down }
  - id: full
    conclude: { status: diagnosed, diagnosis: disk full }
  - id: fine
    conclude: { status: resolved, diagnosis: disk fine }
  - id: db-down
    conclude: { status: escalated, diagnosis: database unreachable }
";
    let callee = r#"
id: disk
title: Disk
steps:
  - id: p
    check:
      cmd: { sh: "echo '{\"pct\":\"95\"}'" }
      capture:
        o: { json: $, default: {} }
    next:
      - when: vars.o.pct > 90
        goto: full
      - goto: fine
  - id: full
    conclude: { status: diagnosed, diagnosis: full }
  - id: fine
    conclude: { status: resolved, diagnosis: fine }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", main.as_bytes()), ("lib/disk.yaml", callee.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--no-record"])
        .status(4);
    let events = output.events();
    assert_eq!(path(&events), ["disk", "disk/p"], "the caller's error branch is not taken");
    assert!(of(&events, "concluded").is_empty());
    let message = finished(&events)["message"].as_str().unwrap().to_owned();
    assert!(message.contains("step `disk` cannot call `"), "{message}");
    assert!(message.contains("it stopped: "), "{message}");
    assert!(message.contains("compares a string with a number"), "{message}");
    let stderr = &output.stderr;
    assert!(stderr.contains("runbook.yaml` → `"), "{stderr}");
    assert!(stderr.contains("lib/disk.yaml:11:15]"), "the callee's own `when`: {stderr}");
}

#[test]
fn a_capture_that_finds_nothing_on_a_revisit_unsets_the_earlier_value() {
    // The first visit reports db failing; after the restart nothing is
    // reported failing, so the loop must not conclude "still failing".
    let yaml = r#"
id: stale
title: Stale capture
steps:
  - id: health
    check:
      cmd: { sh: "n=$(cat count); echo $((n+1)) > count; if [ $n = 0 ]; then echo '{\"ok\":false,\"failing\":\"db\"}'; else echo '{\"ok\":false}'; fi" }
      expect: [ { json: $.ok, eq: true } ]
      capture:
        failing: { json: $.failing }
    on:
      pass: ok
      fail:
        - when: vars.failing is defined and steps.restart is defined
          goto: still-down
        - when: vars.failing is defined
          goto: restart
        - goto: other
      error: other
  - id: restart
    collect: { cmd: { argv: ["true"] } }
    next: health
  - id: still-down
    conclude: { status: escalated, diagnosis: "{{ vars.failing }} still failing after restart" }
  - id: other
    conclude: { status: inconclusive, diagnosis: other }
  - id: ok
    conclude: { status: resolved, diagnosis: ok }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes()), ("count", b"0")])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--no-record"])
        .status(0);
    let events = output.events();
    assert_eq!(path(&events), ["health", "restart", "health", "other"]);
    let finished_health: Vec<_> = of(&events, "step_finished").into_iter().filter(|e| e["step"] == "health").collect();
    assert_eq!(finished_health[0]["captures"]["failing"], "db");
    assert_eq!(finished_health[1]["uncaptured"], serde_json::json!(["failing"]));
}

#[test]
fn a_capture_that_finds_nothing_on_a_later_attempt_unsets_the_first_attempts_value() {
    let yaml = r#"
id: poll
title: Poll
steps:
  - id: poll
    check:
      cmd: { sh: "n=$(cat count); echo $((n+1)) > count; if [ $n = 0 ]; then echo 'state=degraded errors=42'; else echo 'state unknown'; fi" }
      expect: [ { stdout: { contains: "state=healthy" } } ]
      capture:
        errors: { regex: 'errors=(\d+)', type: int }
    retry: { attempts: 2, interval: 0s }
    on:
      fail:
        - when: vars.errors is defined and vars.errors > 10
          goto: many
        - goto: unknown
      pass: unknown
      error: unknown
  - id: many
    conclude: { status: diagnosed, diagnosis: "{{ vars.errors }} errors right now" }
  - id: unknown
    conclude: { status: inconclusive, diagnosis: unknown }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes()), ("count", b"0")])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--no-record"])
        .status(0);
    let events = output.events();
    assert_eq!(path(&events), ["poll", "unknown"]);
    assert_eq!(of(&events, "attempt_finished").len(), 2);
}

#[test]
fn a_typed_capture_that_does_not_convert_says_why_in_the_view_and_the_record() {
    let server = Server::start(|_, stream| {
        respond(stream, "200 OK", &[("content-type", "application/json")], br#"{"status":"ok","queue_depth":"n/a"}"#)
    });
    let yaml = format!(
        r#"
id: te
title: Typed capture
steps:
  - id: health
    check:
      http: {{ url: "{}" }}
      expect: [ {{ status: 200 }} ]
      capture:
        depth: {{ json: $.queue_depth, type: int, default: 0 }}
        state: {{ json: $.status, type: int }}
    on: {{ pass: fine, fail: fine, error: down }}
  - id: fine
    conclude: {{ status: resolved }}
  - id: down
    conclude: {{ status: diagnosed, diagnosis: down }}
"#,
        server.url("/q")
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(4)
        .stderr_contains("step `health` got an answer it cannot read (invalid_capture)");
    let why = r#"(invalid_capture: capture `depth`: "n/a" is not a whole number"#;
    assert!(output.stdout.contains(why), "{}", output.stdout);
    // Every capture that did not convert is named, and none reads as
    // "nothing captured", which would contradict the error.
    assert!(output.stdout.contains(r#"; capture `state`: "ok" is not a whole number"#), "{}", output.stdout);
    for name in ["depth", "state"] {
        let line = format!("vars.{name} unset: what it captured did not convert (see the error)\n");
        assert!(output.stdout.contains(&line), "{}", output.stdout);
    }
    assert!(!output.stdout.contains("nothing captured"), "{}", output.stdout);
    assert!(output.stdout.contains("`default` stands in only when nothing is found"), "{}", output.stdout);
    let markdown = std::fs::read_to_string(output.path("rec").join("record.md")).expect("record.md written");
    assert!(
        markdown.contains(r#"Error (invalid_capture): capture \`depth\`: "n/a" is not a whole number"#),
        "{markdown}"
    );
    assert!(markdown.contains("`vars.depth` unset: what it captured did not convert (see the error)."), "{markdown}");
}

/// A 503 whose body has a field that does not convert answered: the step
/// fails (its expectation was false), it is not "down" (`error`).
#[test]
fn a_capture_that_does_not_convert_leaves_a_failed_step_failed() {
    let server = Server::start(|_, stream| {
        respond(stream, "503 Service Unavailable", &[("content-type", "application/json")], br#"{"queue_depth":"n/a"}"#)
    });
    let yaml = format!(
        r#"
id: te
title: Typed capture on a 503
steps:
  - id: health
    check:
      http: {{ url: "{}" }}
      expect: [ {{ status: 200 }} ]
      capture:
        depth: {{ json: $.queue_depth, type: int }}
    on: {{ pass: fine, fail: app-down, error: process-down }}
  - id: fine
    conclude: {{ status: resolved }}
  - id: app-down
    conclude: {{ status: escalated, diagnosis: app failing }}
  - id: process-down
    conclude: {{ status: escalated, diagnosis: does not answer }}
"#,
        server.url("/healthz")
    );
    let events = run(&yaml, &[]).status(0).events();
    assert_eq!(path(&events), ["health", "app-down"]);
    let finished = of(&events, "step_finished");
    assert_eq!(finished[0]["outcome"], "fail");
    assert_eq!(finished[0]["error"]["kind"], "invalid_capture");
}

/// A value spliced into the quoted script of a nested `sh -c` (as RB405's
/// old help led to) would run as code in the inner shell: the run refuses
/// the runbook. Passed as an argument after the script, the same hostile
/// value is only data: it is grepped for, and nothing runs.
#[test]
fn a_value_spliced_into_a_nested_shell_script_is_refused_and_an_argument_is_data() {
    let yaml = |script: &str| {
        format!(
            r#"
id: nested
title: Errors per log
inputs:
  pattern: {{ default: ERROR }}
steps:
  - id: count
    collect:
      cmd: {{ sh: "printf 'ERROR x\\n' > a.log; ls *.log | xargs -n1 sh -c {script}" }}
      capture:
        n: {{ stdout: true, type: int }}
  - id: done
    conclude: {{ status: resolved, diagnosis: "{{{{ vars.n }}}} errors" }}
"#
        )
    };
    let hostile = "pattern=x; touch pwned; #";
    let spliced = run(&yaml(r"'grep -c '{{ inputs.pattern }}' $0'"), &["-i", hostile]).status(3);
    assert!(!spliced.path("pwned").exists());
    spliced.stderr_contains("RB406");
    let argument = yaml(r#"'grep -c \"$0\" \"$1\"' {{ inputs.pattern }}"#);
    let events = run(&argument, &[]).status(0).events();
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "1 errors");
    let output = run(&argument, &["-i", hostile]).status(0);
    assert!(!output.path("pwned").exists(), "the value ran as code");
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "0 errors");
}

/// `| max` over numbers a service sent as strings orders them as text
/// ("95" is the worst of "95" and "150"): the run stops and names the fix,
/// which then takes the right branch.
#[test]
fn max_min_and_sort_over_strings_that_read_as_numbers_stop_the_run() {
    let yaml = r#"
id: lags
title: Replica lag
steps:
  - id: lag
    check:
      cmd: { sh: "echo '{\"lags\": [\"95\", \"150\"]}'" }
      expect: [ { exit_code: 0 } ]
      capture:
        lags: { json: $.lags }
    next:
      - when: (vars.lags | max | int) > 100
        goto: behind
      - goto: fine
  - id: behind
    conclude: { status: diagnosed, severity: high, diagnosis: "a replica is behind" }
  - id: fine
    conclude: { status: resolved, diagnosis: "replicas keep up" }
"#;
    run(yaml, &[]).status(4).stderr_contains(
        r#"`| max` orders strings that read as numbers ("95", "150") as text, where "150" comes before "95"; convert them first: `| map('int') | max`"#,
    );
    for filter in ["min", "sort | last"] {
        let written = yaml.replace("vars.lags | max | int", &format!("vars.lags | {filter} | int"));
        run(&written, &[]).status(4).stderr_contains("orders strings that read as numbers");
    }
    let converted = yaml.replace("vars.lags | max | int", "vars.lags | map('int') | max");
    assert_eq!(path(&run(&converted, &[]).status(0).events()), ["lag", "behind"]);
}

/// A `foreach` item whose capture found nothing is none: `| int` does not
/// read it as 0 and `| max` does not leave it out; a map's truth (a
/// checklist with nothing ticked) is not taken.
#[test]
fn none_in_a_list_and_a_map_as_a_condition_stop_the_run() {
    let yaml = r#"
id: fmi
title: replica lag
steps:
  - id: lag
    check:
      foreach: ["r1 lag 950", "r2 unreachable"]
      cmd: { argv: [echo, "{{ item }}"] }
      expect: [ { exit_code: 0 } ]
      capture:
        lags: { regex: 'lag (\d+)' }
    next:
      - when: (vars.lags | map('int') | min) < 100
        goto: one-ok
      - goto: all-behind
  - id: one-ok
    conclude: { status: resolved, diagnosis: "a replica is in sync" }
  - id: all-behind
    conclude: { status: diagnosed, severity: critical, diagnosis: "every replica is behind" }
"#;
    run(yaml, &[]).status(4).stderr_contains("`| int` got none (nothing was captured, or the probe gave no answer)");
    let typed = yaml.replace(r"regex: 'lag (\d+)' }", r"regex: 'lag (\d+)', type: int }");
    let max = typed.replace("(vars.lags | map('int') | min) < 100", "(vars.lags | max) < 100");
    run(&max, &[])
        .status(4)
        .stderr_contains("`| max` over a list holding none (item 2")
        .stderr_contains("route those items first");
    let dropped = typed.replace("(vars.lags | map('int') | min) < 100", "(vars.lags | reject('none') | max) < 100");
    assert_eq!(path(&run(&dropped, &[]).status(0).events()), ["lag", "all-behind"]);
    let checklist = r"
id: ck
title: checklist routing
steps:
  - id: drain
    instruct:
      text: Drain the node.
      checklist: [Cordon the node, Evict the pods]
    next:
      - when: steps.drain.checklist
        goto: done
      - goto: help
  - id: done
    conclude: { status: resolved, diagnosis: drained }
  - id: help
    conclude: { status: escalated, diagnosis: not drained }
";
    // `check` refuses the plain form (RB315); a form it cannot read the
    // map through stops the run.
    run(checklist, &[]).status(3).stderr_contains("error[RB315]");
    let hidden = checklist.replace("when: steps.drain.checklist", "when: (steps.drain.checklist if true else false)");
    run(&hidden, &["-a", "drain.checklist=none", "-a", "drain=yes"])
        .status(4)
        .stderr_contains("is a map, which counts as true whatever it holds");
}

/// redis-cli and Windows hosts end lines with `\r\n`: the `\r` is no part
/// of a captured value or of the text an expectation judges, so a primary
/// reads "master", not "master\r" (which takes the replica's branch), and
/// `(?m)^role:master$` matches its line. A regex capture takes the first
/// group that took part, not the whole match.
#[test]
fn a_crlf_line_end_is_not_part_of_what_a_runbook_reads() {
    let yaml = r#"
id: crlf
title: Redis role before a restart
steps:
  - id: role
    check:
      cmd: { sh: "printf '# Replication\r\nrole:master\r\nconnected_slaves:0\r\n'" }
      expect:
        - exit_code: 0
        - stdout: { matches: '(?m)^role:master$' }
      capture:
        role: { regex: 'role:(.+)' }
        line: { regex: '(?m)^role:(\w+)$' }
        either: { regex: 'Role: (\w+)|role:(\w+)' }
        info: { stdout: true }
        slaves: { regex: 'connected_slaves:(.*)', type: int }
    next:
      - when: >-
          vars.role == "master" and vars.slaves == 0 and vars.line == "master" and vars.either == "master"
          and (vars.info | regex('(?m)^role:(\w+)$')) == "master"
        goto: state
      - goto: replica
  - id: state
    check:
      cmd: { sh: "printf 'active\r\n'" }
      expect: [ { stdout: { eq: active } } ]
      capture:
        state: { stdout: true }
    on: { pass: primary, fail: replica, error: replica }
  - id: primary
    conclude: { status: diagnosed, severity: high, diagnosis: "{{ vars.role }} / {{ vars.state }}: fail over first" }
  - id: replica
    conclude: { status: resolved, diagnosis: safe to restart }
"#;
    let events = run(yaml, &[]).status(0).events();
    assert_eq!(path(&events), ["role", "state", "primary"]);
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "master / active: fail over first");
}

/// attack6 H5: the captures read redis-cli's `\r\n` as `\n`, but
/// `result.stdout`, `steps.ID.stdout` and a `stdout` expectation kept the
/// `\r`: `"role:master" in (result.stdout | split("\n"))` was false on a
/// real primary ("a replica: safe to restart now"), while a case mocking
/// the output with `\n` passed. One reading everywhere, against a real
/// redis-server; the record keeps the bytes.
#[test]
fn redis_cli_s_crlf_is_read_as_newlines_in_facts_and_expectations_as_in_captures() {
    let redis = crate::services::Redis::start();
    let yaml = r#"
id: rx2
title: role line via result.stdout in a when
steps:
  - id: r
    check:
      cmd: { argv: [redis-cli, -p, "PORT", info, replication] }
      expect: [ { exit_code: 0 } ]
    on:
      pass:
        - when: '"role:master" in (result.stdout | split("\n"))'
          goto: primary
        - goto: replica
      fail: replica
      error: replica
  - id: primary
    conclude: { status: diagnosed, severity: high, diagnosis: "PRIMARY: fail over first" }
  - id: replica
    conclude: { status: resolved, diagnosis: "a replica: safe to restart now" }
"#
    .replace("PORT", &redis.port.to_string());
    let through_facts = yaml.replace("(result.stdout | split", "(steps.r.stdout | split");
    let expected = yaml.replace(
        "expect: [ { exit_code: 0 } ]",
        "expect: [ { exit_code: 0 }, { stdout: { contains: \"role:master\\r\\n\" } }, { stdout: { contains: \"# Replication\\nrole:master\\n\" } }, { stdout: { starts_with: \"# Replication\\r\\n\" } } ]",
    );
    // review-10-attack7 H9: a pattern written for the bytes as printed
    // still matches them.
    let for_the_bytes = yaml
        .replace("expect: [ { exit_code: 0 } ]", "expect: [ { exit_code: 0 }, { stdout: { matches: \"role:master\\r\\n\" } } ]\n      capture:\n        role: { regex: 'role:(\\w+)\\r\\n' }")
        .replace("'\"role:master\" in (result.stdout | split(\"\\n\"))'", "vars.role == \"master\"");
    assert!(for_the_bytes.contains("when: vars.role == \"master\"") && for_the_bytes.contains("\\r\\n' }"));
    for yaml in [&yaml, &through_facts, &expected, &for_the_bytes] {
        let events = run(yaml, &[]).status(0).events();
        assert_eq!(path(&events), ["r", "primary"], "{yaml}");
    }
    let recorded = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(0);
    let record = std::fs::read_to_string(recorded.path("rec").join("record.json")).expect("record.json written");
    assert!(record.contains("# Replication\\r\\nrole:master\\r\\n"), "the record keeps the bytes: {record}");
    // A case mocking the primary's output as YAML writes it takes the
    // branch the real primary takes.
    let test = "cases:\n  - name: primary\n    observations: { r: { cmd: { stdout: \"# Replication\\nrole:master\\nconnected_slaves:0\\n\" } } }\n    expect: { conclusion: primary }\n";
    Test::new()
        .files(&[("runbook.yaml", expected.as_bytes()), ("runbook.test.yaml", test.as_bytes())])
        .args(["test", "runbook.test.yaml"])
        .status(0);
}

/// A probe that gave no answer (a command not found inside a pipeline, a
/// timeout) captures nothing from what it printed: `wc -l`'s `0` after the
/// shell's "not found" is not "no daemon running". The `when` that reads
/// the capture stops the run, also when it holds its `default`.
#[test]
fn an_errored_probe_leaves_its_captures_unset() {
    let yaml = r#"
id: gone
title: count daemons
steps:
  - id: probe
    collect:
      cmd: { sh: "no-such-tool-xyz -x old-daemon | wc -l" }
      capture:
        n: { stdout: true, type: int }
    next:
      - when: vars.n == 0
        goto: gone
      - goto: still
  - id: gone
    conclude: { status: resolved, diagnosis: "old daemon is gone" }
  - id: still
    conclude: { status: diagnosed, diagnosis: still running }
"#;
    let events = run(yaml, &[])
        .status(4)
        .stderr_contains("`when` reads `vars.n`, which is unset because step `probe` gave no answer (spawn_failed")
        .events();
    let finished = &of(&events, "step_finished")[0];
    assert_eq!((&finished["captures"], &finished["uncaptured"]), (&serde_json::json!({}), &serde_json::json!(["n"])));
    let view = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record"])
        .status(4);
    assert!(view.stdout.contains("vars.n unset: the probe gave no answer (see the error)"), "{}", view.stdout);
    let timed_out = yaml.replace(
        r#"cmd: { sh: "no-such-tool-xyz -x old-daemon | wc -l" }"#,
        r#"cmd: { sh: "echo 0; sleep 5", timeout: 300ms }"#,
    );
    run(&timed_out, &[]).status(4).stderr_contains("`vars.n`");
    let defaulted = yaml.replace("type: int }", "type: int, default: 5 }");
    run(&defaulted, &[])
        .status(4)
        .stderr_contains("`vars.n`, which holds its capture's `default:` because step `probe`");
    let answered = yaml.replace("no-such-tool-xyz -x old-daemon", "printf ''");
    assert_eq!(path(&run(&answered, &[]).status(0).events()), ["probe", "gone"]);
}

#[test]
fn a_5xx_html_page_under_status_and_json_expectations_is_a_fail_not_an_error() {
    let server = Server::start(|_, stream| {
        respond(
            stream,
            "502 Bad Gateway",
            &[("content-type", "text/html")],
            b"<html><body>502 Bad Gateway</body></html>",
        )
    });
    let yaml = format!(
        r#"
id: gw
title: Gateway
steps:
  - id: health
    check:
      http: {{ url: "{}" }}
      expect:
        - status: 200
        - json: $.ok
          eq: true
    on:
      pass: up
      fail:
        - when: result.status >= 500
          goto: app-crashed
        - goto: other
      error: process-down
  - id: up
    conclude: {{ status: resolved }}
  - id: app-crashed
    conclude: {{ status: diagnosed, diagnosis: "answered {{{{ steps.health.status }}}} ({{{{ steps.health.error.kind }}}})" }}
  - id: other
    conclude: {{ status: diagnosed, diagnosis: other }}
  - id: process-down
    conclude: {{ status: diagnosed, diagnosis: no answer }}
"#,
        server.url("/x")
    );
    let output = run(&yaml, &["--no-record"]).status(0);
    let events = output.events();
    assert_eq!(path(&events), ["health", "app-crashed"]);
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "answered 502 (invalid_json)");
}

/// review-12-user8 M3: an HTML page where JSON was expected, on a step
/// that fails its status: the json expectation is listed as not judged,
/// saying what the body is, in the view and record.md, and no `error`
/// line stands on a step whose outcome is `fail`; `steps.ID.error` keeps
/// the kind for routing.
#[test]
fn a_json_expectation_over_an_html_page_is_listed_as_not_judged_on_a_failed_step() {
    let server = Server::start(|_, stream| {
        crate::http_server::respond(
            stream,
            "404 Not Found",
            &[("content-type", "text/html")],
            b"<!DOCTYPE HTML>\n<html>nope</html>",
        )
    });
    let yaml = format!(
        "id: page\ntitle: Page\nsteps:\n  - id: health\n    check:\n      http: {{ url: \"{}\" }}\n      expect:\n        - \
         status: 200\n        - json: $.status\n          eq: healthy\n    on: {{ pass: up, fail: bad, error: bad }}\n  - id: up\n    \
         conclude: {{ status: resolved }}\n  - id: bad\n    conclude: {{ status: diagnosed, diagnosis: bad }}\n",
        server.url("/health")
    );
    let output = Test::new()
        .files(&[("page.yaml", yaml.as_bytes())])
        .args(["run", "page.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .status(0);
    let said = "✗ json $.status eq healthy, not judged: the body is not JSON (it starts with `<!DOCTYPE HTML>`)";
    assert!(output.stdout.contains(said), "{}", output.stdout);
    assert!(output.stdout.contains("✗ status eq 200, got 404"), "{}", output.stdout);
    assert!(!output.stdout.contains("error (invalid_json)"), "{}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec/record.md")).expect("record.md");
    assert!(record.contains("not judged: the body is not JSON"), "{record}");
    assert!(!record.contains("Error (invalid_json)"), "{record}");
}

#[test]
fn eq_null_and_ne_null_compare_with_json_null_instead_of_meaning_exists() {
    let server = Server::start(|request, stream| {
        let body: &[u8] = if request.path == "/broken" { br#"{"error":"disk failure"}"# } else { br#"{"error":null}"# };
        respond(stream, "200 OK", &[("content-type", "application/json")], body)
    });
    let conclusion = |path: &str, predicate: &str| {
        let yaml = format!(
            "id: n\ntitle: n\nsteps:\n  - id: p\n    check:\n      http: {{ url: \"{}\" }}\n      expect:\n        - {{ json: $.error, {predicate} }}\n    on: {{ pass: ok, fail: bad, error: bad }}\n  - id: ok\n    conclude: {{ status: resolved, diagnosis: ok }}\n  - id: bad\n    conclude: {{ status: diagnosed, diagnosis: bad }}\n",
            server.url(path)
        );
        let events = run(&yaml, &["--no-record"]).status(0).events();
        of(&events, "concluded")[0]["conclusion"]["diagnosis"].as_str().unwrap().to_owned()
    };
    assert_eq!(conclusion("/broken", "eq: null"), "bad");
    assert_eq!(conclusion("/broken", "eq: ~"), "bad");
    assert_eq!(conclusion("/fine", "eq: null"), "ok");
    assert_eq!(conclusion("/fine", "ne: null"), "bad");
    assert_eq!(conclusion("/broken", "ne: null"), "ok");
}

#[test]
fn a_runbook_calling_an_invalid_one_is_not_run_and_the_callee_errors_are_shown_in_full() {
    let main = "id: caller\ntitle: Caller\nsteps:\n  - id: database\n    call: { runbook: lib/db.yaml }\n";
    let middle = "id: db\ntitle: Db\nsteps:\n  - id: deeper\n    call: { runbook: deep.yaml }\n";
    let deep = "id: deep\ntitle: Deep\nsteps:\n  - id: verdict\n    next: nowhere\n  - id: end\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[
            ("runbook.yaml", main.as_bytes()),
            ("lib/db.yaml", middle.as_bytes()),
            ("lib/deep.yaml", deep.as_bytes()),
        ])
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record"])
        .status(3);
    let stderr = &output.stderr;
    // The caller's RB211, then the file with the error, named by the chain
    // of calls, and its error with its own snippet.
    assert!(stderr.contains("error[RB211]"), "{stderr}");
    assert!(
        stderr.contains("`lib/deep.yaml`, called as `runbook.yaml` → `lib/db.yaml` → `lib/deep.yaml`:"),
        "{stderr}"
    );
    assert!(stderr.contains("error[RB201]"), "{stderr}");
    assert!(stderr.contains("next: nowhere"), "{stderr}");
    assert!(stderr.contains("no step has this id"), "{stderr}");
}

#[test]
fn a_foreach_that_gives_no_list_stops_the_run_at_its_line() {
    let yaml = "id: x\ntitle: x\ninputs:\n  n: { type: number, default: 3 }\nsteps:\n  - id: each\n    check: { tcp: { host: \"{{ item }}\", port: 1 }, foreach: \"{{ inputs.n }}\" }\n  - id: end\n    conclude: { status: resolved }\n";
    let output = run(yaml, &["--no-record"]).status(4);
    let events = output.events();
    let message = finished(&events)["message"].as_str().unwrap().to_owned();
    assert!(message.contains("runbook.yaml:7:61: step `each`: `foreach` must give a list, but gave"), "{message}");
    assert!(of(&events, "probe").is_empty(), "nothing ran");
    assert!(output.stderr.contains("help: give `foreach` a list"), "{}", output.stderr);
}

#[test]
fn step_and_run_timeouts() {
    let yaml = r#"
id: slow
title: Slow
steps:
  - id: sleepy
    check: { cmd: { argv: [sleep, "30"] } }
    timeout: 300ms
    on: { error: next-one }
  - id: next-one
    check: { cmd: { argv: [sleep, "30"] } }
  - id: end
    conclude: { status: resolved }
"#;
    let output = run(&format!("timeout: 1s\n{yaml}"), &[]).status(4);
    let events = output.events();
    let sleepy = of(&events, "step_finished").into_iter().find(|e| e["step"] == "sleepy").unwrap();
    assert_eq!(sleepy["error"]["kind"], "timeout");
    assert_eq!(sleepy["error"]["message"], "the step's timeout of 300ms passed");
    let finished = finished(&events);
    assert_eq!(finished["status"], "timed_out");
    assert!(finished["message"].as_str().unwrap().contains("timeout of 1s passed during step `next-one`"));
}

#[test]
fn foreach_runs_items_concurrently_and_exposes_the_failures() {
    let server = Server::start(|request, stream| {
        if request.path.ends_with("/worker") {
            respond(stream, "500 Internal Server Error", &[], b"boom")
        } else {
            respond(stream, "200 OK", &[], b"ok")
        }
    });
    let yaml = format!(
        r#"
id: each
title: Each
inputs:
  services: {{ type: list, default: [api, worker, scheduler] }}
steps:
  - id: services
    check:
      foreach: "{{{{ inputs.services }}}}"
      as: service
      concurrency: 2
      http: {{ url: "{base}/{{{{ service }}}}" }}
      expect: [ {{ status: 200 }} ]
  - id: end
    conclude: {{ status: diagnosed, diagnosis: "{{{{ steps.services.failed | join(',') }}}} of {{{{ steps.services['items'] | length }}}}" }}
"#,
        base = server.url("")
    );
    let output = run(&yaml, &[]).status(0);
    let events = output.events();
    let items: Vec<&Value> = parts(&events, "services").iter().map(|p| &p["item"]).collect();
    assert_eq!(items, ["api", "worker", "scheduler"], "results keep the items' order");
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "worker of 3");
}

#[test]
fn secret_inputs_never_reach_the_output() {
    let yaml = r#"
id: secret
title: Secret
inputs:
  token: { secret: true, env: RB_TEST_TOKEN }
steps:
  - id: echo
    check:
      cmd: { sh: "echo Authorization: Bearer {{ inputs.token }}; echo {{ inputs.token }} >&2; exit 1" }
      expect: [ { stdout: { contains: "never printed" } } ]
  - id: end
    conclude: { status: diagnosed, diagnosis: "token {{ inputs.token }}" }
"#;
    let canary = "canary-s3cret-4242";
    for format in ["json", "human"] {
        let output = Test::new()
            .files(&[("runbook.yaml", yaml.as_bytes())])
            .env("RB_TEST_TOKEN", canary)
            .args(["run", "runbook.yaml", "--non-interactive", "--verbose", "--format", format])
            .status(0);
        assert!(!output.stdout.contains(canary) && !output.stderr.contains(canary), "{format}: {}", output.stdout);
        assert!(output.stdout.contains("[redacted:token]"), "{format}: {}", output.stdout);
    }
}

#[test]
fn the_quickstart_runs_every_kind_of_step_on_a_bare_machine() {
    let output = Test::new()
        .args([
            "run",
            "examples/quickstart.yaml",
            "--accept-defaults",
            "--yes",
            "--non-interactive",
            "--format",
            "json",
        ])
        .status(0);
    let events = output.events();
    let kinds: std::collections::BTreeSet<&str> =
        of(&events, "step_started").iter().filter_map(|e| e["kind"].as_str()).collect();
    let all = ["action", "ask", "call", "check", "collect", "conclude", "instruct"];
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), all);
    let conclusion = &of(&events, "concluded").last().unwrap()["conclusion"];
    assert_eq!(conclusion["status"], "resolved");
    assert!(conclusion["diagnosis"].as_str().unwrap().contains("127.0.0.1:9 is unreachable"), "{conclusion}");
}

#[test]
fn secrets_of_every_shape_are_redacted_even_from_called_runbooks() {
    let main = r#"
id: shapes
title: Secret shapes
inputs:
  keys: { type: list, secret: true, default: [alpha-key-1, beta-key-2] }
  pin: { type: number, secret: true, default: 987654 }
steps:
  - id: each
    check:
      foreach: "{{ inputs.keys }}"
      cmd: { argv: [echo, "{{ item }} {{ inputs.pin }}"] }
      expect: [ { stdout: { contains: nothing-like-this } } ]
  - id: sub
    call: { runbook: callee.yaml }
  - id: end
    conclude: { status: diagnosed, diagnosis: "callee said {{ steps.sub.vars.echoed }}" }
"#;
    let callee = r#"
id: callee
title: Callee
inputs:
  password: { secret: true, default: callee-pw-31337 }
steps:
  - id: echo
    check:
      cmd: { argv: [echo, "{{ inputs.password }}"] }
      capture: { echoed: { stdout: true } }
  - id: done
    conclude: { status: resolved }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", main.as_bytes()), ("callee.yaml", callee.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--no-record"])
        .status(0);
    for canary in ["alpha-key-1", "beta-key-2", "987654", "callee-pw-31337"] {
        assert!(!output.stdout.contains(canary), "{canary} leaked:\n{}", output.stdout);
    }
    let events = output.events();
    assert_eq!(parts(&events, "each")[0]["item"], "[redacted:keys]");
    assert_eq!(of(&events, "concluded").last().unwrap()["conclusion"]["diagnosis"], "callee said [redacted:password]");
}

#[test]
fn a_bad_secret_input_is_refused_without_showing_it() {
    let yaml = "id: x\ntitle: x\ninputs:\n  pin: { secret: true, pattern: '[0-9]{4}' }\nsteps:\n  - id: end\n    conclude: { status: resolved }\n";
    let output = run(yaml, &["--input", "pin=hunter2-secret"]).status(2);
    assert!(output.stderr.contains("does not match the pattern"), "{}", output.stderr);
    assert!(!output.stderr.contains("hunter2-secret"), "{}", output.stderr);
}

#[test]
fn a_call_step_timeout_stops_the_callee_and_routes_as_error() {
    let main = r#"
id: caller
title: Caller
steps:
  - id: sub
    call: { runbook: slow.yaml }
    timeout: 300ms
    on: { resolved: fine, error: too-slow }
  - id: fine
    conclude: { status: resolved }
  - id: too-slow
    conclude: { status: escalated, diagnosis: "{{ steps.sub.error.kind }}" }
"#;
    let slow = "id: slow\ntitle: Slow\nsteps:\n  - id: wait\n    check: { cmd: { argv: [sleep, \"30\"] } }\n  - id: done\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .files(&[("runbook.yaml", main.as_bytes()), ("slow.yaml", slow.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--no-record"])
        .status(0);
    let events = output.events();
    assert_eq!(path(&events).last().unwrap(), "too-slow");
    assert_eq!(of(&events, "concluded").last().unwrap()["conclusion"]["diagnosis"], "timeout");
}

#[test]
fn a_dry_run_follows_when_chains_without_observations() {
    let yaml = r#"
id: dry-when
title: Dry when
steps:
  - id: web
    check:
      http: { url: "http://127.0.0.1:1/" }
      expect: [ { status: 200 } ]
      capture: { build: { json: $.build } }
    retry: { attempts: 5, interval: 1h }
    on:
      fail:
        - when: result.status >= 500
          goto: crashed
        - goto: other
  - id: crashed
    conclude: { status: diagnosed, diagnosis: "crashed {{ vars.build }}" }
  - id: other
    conclude: { status: diagnosed, diagnosis: "other [{{ vars.build }}]" }
"#;
    let output = run(yaml, &["--dry-run", "--assume", "web=fail", "--no-record"]).status(0);
    let events = output.events();
    assert_eq!(path(&events), ["web", "other"]);
    assert!(of(&events, "waiting").is_empty(), "a dry run does not wait between attempts");
    assert_eq!(of(&events, "attempt_finished").len(), 5);
}

#[test]
fn the_largest_backoff_check_accepts_saturates_instead_of_overflowing() {
    // 1s × 10^999 overflows a `Duration`; a dry run grows the wait without
    // sleeping, so it reached the overflow at once.
    let yaml = r#"
id: huge-backoff
title: Huge backoff
steps:
  - id: web
    check: { http: { url: "http://127.0.0.1:1/" }, expect: [ { status: 200 } ] }
    retry: { attempts: 1000, interval: 1s, backoff: 10 }
    on: { fail: down }
  - id: down
    conclude: { status: diagnosed, diagnosis: down }
"#;
    let output = run(yaml, &["--dry-run", "--assume", "web=fail", "--no-record"]).status(0);
    let events = output.events();
    assert_eq!(path(&events), ["web", "down"]);
    assert_eq!(of(&events, "attempt_finished").len(), 1000);
}

#[test]
fn a_template_that_fails_at_run_time_stops_the_run_at_its_field() {
    let yaml = "id: x\ntitle: x\ninputs:\n  u: { required: false }\nsteps:\n  - id: a\n    check: { http: { url: \"{{ inputs.u.host }}/x\" } }\n  - id: end\n    conclude: { status: resolved }\n";
    let output = run(yaml, &["--no-record"]).status(4);
    let events = output.events();
    let message = finished(&events)["message"].as_str().unwrap().to_owned();
    assert!(message.contains("runbook.yaml:7:27: step `a`: cannot render `http.url`: `inputs.u` is none, so `inputs.u.host` cannot be read"), "{message}");
    assert!(!message.contains("help:"), "the fix is not inside the message: {message}");
    // On stderr, as `check` renders a diagnostic: the snippet under the
    // templated field, not the step's id, and the fix.
    assert!(output.stderr.contains(r#"check: { http: { url: "{{ inputs.u.host }}/x" } }"#), "{}", output.stderr);
    assert!(output.stderr.contains("[runbook.yaml:7:27]"), "{}", output.stderr);
    assert!(output.stderr.contains("the run stopped here"), "{}", output.stderr);
    assert!(output.stderr.contains("help: `runbook check runbook.yaml` reports names"), "{}", output.stderr);
    assert!(of(&events, "probe").is_empty(), "nothing ran");
}

const VERDICT: &str = r"
id: verdict
title: A verdict for CI
steps:
  - id: restart
    action:
      confirm: Restarts nothing; prints a word.
      cmd: { argv: [echo, restarted] }
      expect: [ { exit_code: 0 } ]
    on: { pass: fixed, fail: escalate, skipped: escalate, error: escalate }
  - id: fixed
    conclude: { status: resolved, severity: low }
  - id: escalate
    conclude: { status: escalated, severity: high }
";

#[test]
fn the_operator_is_the_uids_user_name_when_user_is_unset() {
    let operator = |output: &crate::Output| of(&output.events(), "run_started")[0]["operator"].clone();
    let unset = run(VERDICT, &["--yes", "--no-record"]).env_remove("USER").status(0);
    let uid = nix::unistd::getuid();
    let name = nix::unistd::User::from_uid(uid).expect("the user database reads").expect("the uid has a name").name;
    assert_eq!(operator(&unset), name.as_str());
    let set = run(VERDICT, &["--yes", "--no-record"]).env("USER", "alice").status(0);
    assert_eq!(operator(&set), "alice");
}

#[test]
fn fail_on_exits_7_when_the_conclusion_matches() {
    run(VERDICT, &["--yes", "--no-record", "--fail-on", "escalated"]).status(0);
    run(VERDICT, &["--yes", "--no-record", "--fail-on", "resolved"]).status(7);
    run(VERDICT, &["--yes", "--no-record", "--fail-on", "escalated,severity=low"]).status(7);
    run(VERDICT, &["--answer", "restart=no", "--no-record", "--fail-on", "severity>=high"]).status(7);
    run(VERDICT, &["--answer", "restart=no", "--no-record", "--fail-on", "severity>=critical"]).status(0);
    run(VERDICT, &["--yes", "--no-record", "--fail-on", "escalatd"])
        .status(2)
        .stderr_contains("did you mean `escalated`?");
    // `--fail-on "$FAIL_ON"` with the variable unset: refused, not ignored.
    run(VERDICT, &["--yes", "--no-record", "--fail-on", ""]).status(2).stderr_contains("has an empty value");
    run(VERDICT, &["--yes", "--no-record", "--fail-on", "resolved,"]).status(2).stderr_contains("has an empty term");
    // Exit 7 says which term matched; a term no conclusion can match is
    // named before the run, as is a conclusion without a severity.
    run(VERDICT, &["--answer", "restart=no", "--no-record", "--fail-on", "severity>=high"])
        .status(7)
        .stderr_contains("--fail-on: the conclusion `escalated` · severity high matches `severity>=high` (exit 7)");
    let output = run(VERDICT, &["--yes", "--no-record", "--fail-on", "inconclusive,severity>=critical"]).status(0);
    output
        .stderr_contains(
            "warning: `--fail-on inconclusive` can never match: no conclusion of `verdict` is `inconclusive`",
        )
        .stderr_contains("warning: `--fail-on severity>=critical` can never match");
    let vague = VERDICT.replace("{ status: escalated, severity: high }", "{ status: escalated }");
    run(&vague, &["--answer", "restart=no", "--no-record", "--fail-on", "severity>=info"])
        .status(0)
        .stderr_contains("`--fail-on severity>=info` never matches a conclusion without a severity: `escalate`");
}

#[test]
fn a_run_without_a_conclusion_exits_8() {
    let yaml = "id: open\ntitle: No conclusion\nsteps:\n  - id: only\n    check: { cmd: { argv: [\"true\"] }, expect: [ { exit_code: 0 } ] }\n";
    let output = run(yaml, &["--no-record"]).status(8);
    assert_eq!(finished(&output.events())["status"], "ended");
}

#[test]
fn a_dry_run_honours_assume_on_an_action_and_refuses_it_elsewhere() {
    let output = run(VERDICT, &["--dry-run", "--assume", "restart=fail", "--no-record"]).status(0);
    assert_eq!(path(&output.events()), ["restart", "escalate"]);
    let output = run(VERDICT, &["--dry-run", "--assume", "restart=pass", "--no-record"]).status(0);
    assert_eq!(path(&output.events()), ["restart", "fixed"]);
    run(VERDICT, &["--dry-run", "--assume", "fixed=pass", "--no-record"])
        .status(2)
        .stderr_contains("`fixed` is a `conclude` step, which has no outcome to assume");
    // A read-only run observes its checks: an assumption would be ignored.
    run(VERDICT, &["--read-only", "--assume", "restart=fail", "--no-record"])
        .status(2)
        .stderr_contains("`--assume` is for `--dry-run`");
}

/// An outcome the step never gives (no `severity: warn` expectation, a
/// check is never `skipped`) and a second `--assume` for one step are
/// refused, not routed by fall-through or silently overridden.
#[test]
fn a_dry_run_refuses_an_outcome_the_step_never_gives_and_a_repeated_assume() {
    let yaml = r"
id: assumed
title: Outcomes a check can give
steps:
  - id: chk
    check:
      cmd: { argv: [false] }
      expect: [ { exit_code: 0 } ]
    on: { pass: good, fail: broken, error: broken }
  - id: unrelated
    conclude: { status: escalated, severity: critical }
  - id: broken
    conclude: { status: diagnosed, severity: high }
  - id: good
    conclude: { status: resolved, severity: info }
";
    for outcome in ["warn", "skipped"] {
        run(yaml, &["--dry-run", "--assume", &format!("chk={outcome}"), "--no-record"])
            .status(2)
            .stderr_contains(&format!("step `chk` never gives `{outcome}`"))
            .stderr_contains("it gives `pass`, `fail`, `error`");
    }
    run(VERDICT, &["--dry-run", "--assume", "restart=warn", "--no-record"])
        .status(2)
        .stderr_contains("step `restart` never gives `warn`");
    run(yaml, &["--dry-run", "--assume", "chk=fail", "--assume", "chk=pass", "--no-record"])
        .status(2)
        .stderr_contains("`--assume chk=pass`: `chk` is already assumed `fail` by `--assume chk=fail`");
    let output = run(yaml, &["--dry-run", "--assume", "chk=error", "--no-record"]).status(0);
    assert_eq!(path(&output.events()), ["chk", "broken"]);
}

#[test]
fn an_instruction_answered_not_done_waits_and_asks_again_on_resume() {
    let yaml = "id: manual\ntitle: Manual work\nsteps:\n  - id: drain\n    instruct: { text: Drain the node. }\n  - id: end\n    conclude: { status: resolved }\n";
    let output = run(yaml, &["--answer", "drain=no", "--record-dir", "rec"]).status(5);
    assert_eq!(finished(&output.events())["status"], "waiting");
    assert_eq!(of(&output.events(), "instructed").len(), 1);
    let output = output.stderr_contains("not done yet").stderr_contains("continue it with: runbook resume rec\n");
    let rec = output.path("rec");
    let resumed = Test::new()
        .args(["resume", rec.to_str().unwrap(), "--non-interactive", "--format", "json", "--answer", "drain=yes"])
        .status(0);
    assert_eq!(path(&resumed.events()), ["drain", "end"]);
    run(yaml, &["--answer", "drain=maybe", "--no-record"]).status(2).stderr_contains("answer yes (done) or no");
    run(yaml, &["--answer", "drain=no", "--no-record"])
        .status(5)
        .stderr_contains("this run keeps no record (--no-record), so it cannot be resumed");
}

/// attack3 N16: `"degraded" in vars.health` over `{"status":"degraded"}`
/// looked among the keys and concluded "healthy"; it stops and names the
/// field to test.
#[test]
fn a_value_looked_for_among_the_keys_of_a_map_stops_the_run() {
    let yaml = r#"
id: health
title: Degraded?
steps:
  - id: probe
    collect:
      cmd: { argv: [echo, '{"status":"degraded","version":"1.2"}'] }
      capture: { health: { json: $ } }
    next:
      - when: '"degraded" in vars.health'
        goto: degraded
      - goto: healthy
  - id: degraded
    conclude: { status: diagnosed, diagnosis: degraded }
  - id: healthy
    conclude: { status: resolved, diagnosis: healthy }
"#;
    let output = run(yaml, &["--no-record"]).status(4);
    assert!(of(&output.events(), "concluded").is_empty(), "{}", output.stdout);
    output.stderr_contains("is not a key but the value of `status`").stderr_contains("vars.health.status");
}

/// attack3 N12: a run started with `--fail-on escalated` that waits and is
/// resumed keeps its verdict: exit 7 when it escalates, without giving the
/// flag again; a `--fail-on` given to `resume` replaces it.
#[test]
fn a_resumed_run_keeps_its_fail_on() {
    let yaml = "id: manual\ntitle: Manual work\nsteps:\n  - id: drain\n    instruct: { text: Drain the node. }\n  - id: page\n    conclude: { status: escalated, severity: high }\n";
    let start = || {
        let started = run(yaml, &["--answer", "drain=no", "--record-dir", "rec", "--fail-on", "escalated"]).status(5);
        let rec = started.path("rec");
        let journal = std::fs::read_to_string(rec.join("journal.jsonl")).expect("journal written");
        assert!(journal.lines().next().is_some_and(|first| first.contains(r#""fail_on":["escalated"]"#)), "{journal}");
        (started, rec)
    };
    let (_kept, rec) = start();
    Test::new()
        .args(["resume", rec.to_str().unwrap(), "--non-interactive", "--answer", "drain=yes"])
        .status(7)
        .stderr_contains("matches `escalated` (exit 7)");
    let (_replaced, rec) = start();
    Test::new()
        .args([
            "resume",
            rec.to_str().unwrap(),
            "--non-interactive",
            "--answer",
            "drain=yes",
            "--fail-on",
            "severity>=critical",
        ])
        .status(0);
}

/// An instruct checklist's ticks are data: answered by `--answer
/// STEP.checklist` or `--answers`, read as `steps.ID.checklist` in `when`
/// and templates, and kept in the step's facts.
#[test]
fn checklist_ticks_are_answered_read_by_a_branch_and_recorded() {
    let yaml = r#"
id: manual
title: Manual work
steps:
  - id: drain
    instruct:
      text: Drain the node.
      checklist: [Cordon the node, Evict the pods, Check the load balancer]
    next:
      - when: steps.drain.checklist.complete
        goto: drained
      - goto: half-done
  - id: drained
    conclude: { status: resolved }
  - id: half-done
    conclude: { status: escalated, diagnosis: "left undone: {{ steps.drain.checklist.unticked | join(', ') }}" }
"#;
    let events = run(yaml, &["--answer", "drain.checklist=1,3"]).status(0).events();
    assert_eq!(path(&events), ["drain", "half-done"]);
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "left undone: Evict the pods");
    let drain = of(&events, "step_finished").into_iter().find(|e| e["step"] == "drain").unwrap();
    assert_eq!(
        drain["facts"]["checklist"]["ticked"],
        serde_json::json!(["Cordon the node", "Check the load balancer"])
    );
    assert_eq!(of(&events, "instructed")[0]["unticked"], serde_json::json!(["Evict the pods"]));
    let events = run(yaml, &["--answer", "drain.checklist=all"]).status(0).events();
    assert_eq!(path(&events), ["drain", "drained"]);
    let answers = b"drain:\n  checklist: [Cordon the node, 2, Check the load balancer]\n";
    let events = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes()), ("answers.yaml", answers)])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--answers", "answers.yaml"])
        .status(0)
        .events();
    assert_eq!(path(&events), ["drain", "drained"]);
    run(yaml, &["--answer", "drain.checklist=4", "--no-record"])
        .status(2)
        .stderr_contains("there is no item 4: the checklist has 3 items");
    // An error in the answers file names the file; a near-miss text gets a
    // "did you mean".
    let near_miss = b"drain:\n  checklist: [Cordon the nodes]\n";
    Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes()), ("answers.yaml", near_miss)])
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record", "--answers", "answers.yaml"])
        .status(2)
        .stderr_contains(
            "`--answers answers.yaml`, `drain.checklist`: `Cordon the nodes` is not an item: did you mean `Cordon the node`?",
        );
    // Unattended, ticks nobody gave are not "nothing ticked" for a branch
    // that reads them: the run waits for them, as for a question.
    run(yaml, &["--no-record"])
        .status(5)
        .stderr_contains("pass --answer drain.checklist=ITEMS (item numbers or texts, `all` or `none`)");
    let events = run(yaml, &["--answer", "drain.checklist=none"]).status(0).events();
    assert_eq!(path(&events), ["drain", "half-done"]);
    assert_eq!(of(&events, "instructed")[0]["by"], "script");
    // A checklist no branch reads is acknowledged by the unattended run,
    // which the record says: nobody scripted it.
    let unread = yaml.replace("      - when: steps.drain.checklist.complete\n        goto: drained\n", "");
    let events = run(&unread, &[]).status(0).events();
    assert_eq!(path(&events), ["drain", "half-done"]);
    assert_eq!(of(&events, "instructed")[0]["by"], "mode");
}

/// A typed capture compares as a number: "20" captured as `int` is below a
/// threshold of 90, where the string "20" would not be.
#[test]
fn a_capture_typed_int_takes_the_numeric_branch() {
    let yaml = r#"
id: typed
title: Typed captures
inputs:
  threshold: { type: number, default: 90 }
steps:
  - id: disk
    collect:
      cmd: { argv: [echo, "/ is at 20% of 50G"] }
      capture:
        pct: { regex: '(\d+)%', type: int }
    next:
      - when: vars.pct > inputs.threshold
        goto: full
      - goto: fine
  - id: full
    conclude: { status: diagnosed, diagnosis: "disk full at {{ vars.pct }}" }
  - id: fine
    conclude: { status: inconclusive, diagnosis: "disk at {{ vars.pct }}" }
"#;
    let events = run(yaml, &[]).status(0).events();
    assert_eq!(path(&events), ["disk", "fine"]);
    let disk = of(&events, "step_finished").into_iter().find(|e| e["step"] == "disk").unwrap();
    assert_eq!(disk["captures"]["pct"], 20);
    let events = run(yaml, &["--input", "threshold=10"]).status(0).events();
    assert_eq!(path(&events), ["disk", "full"]);
}

/// A text capture reading "false", used as a condition, stops the run
/// instead of counting as true like any non-empty string.
#[test]
fn a_condition_that_reads_false_as_text_stops_the_run() {
    let yaml = r#"
id: flag
title: A flag captured as text
steps:
  - id: config
    collect:
      cmd: { argv: [echo, "maintenance=false"] }
      capture:
        maintenance: { regex: 'maintenance=(\w+)' }
    next:
      - when: vars.maintenance
        goto: in-maintenance
      - goto: live
  - id: in-maintenance
    conclude: { status: inconclusive, diagnosis: "in maintenance" }
  - id: live
    conclude: { status: diagnosed, diagnosis: "live" }
"#;
    let output = run(yaml, &[]).status(4);
    assert!(of(&output.events(), "concluded").is_empty());
    output.stderr_contains(r#"`vars.maintenance` gave the string "false", which counts as true"#);
    let typed = yaml.replace(r"'maintenance=(\w+)' }", r"'maintenance=(\w+)', type: bool }");
    assert_eq!(path(&run(&typed, &[]).status(0).events()), ["config", "live"]);
    // Wherever a truth is taken, not only of the whole condition.
    for condition in ["not vars.maintenance", "vars.maintenance and true", "(1 if vars.maintenance else 0) == 1"] {
        let written = yaml.replace("when: vars.maintenance", &format!("when: '{condition}'"));
        run(&written, &[])
            .status(4)
            .stderr_contains(r#"`vars.maintenance` gave the string "false", which counts as true"#);
    }
    // `| bool` reads the text; other false spellings (`jq -r` prints null) stop too.
    let filtered = yaml.replace("when: vars.maintenance", "when: vars.maintenance | bool");
    assert_eq!(path(&run(&filtered, &[]).status(0).events()), ["config", "live"]);
    let null = yaml.replace("maintenance=false", "maintenance=null");
    run(&null, &[]).status(4).stderr_contains(r#"gave the string "null", which counts as true"#);
}

/// `| int` on text that is not a number names the var and the text, in a
/// condition and in a template, not minijinja's "invalid float literal".
#[test]
fn a_number_filter_that_cannot_read_its_text_names_the_var() {
    let yaml = r#"
id: count
title: A count read as text
steps:
  - id: c
    check:
      cmd: { argv: [echo, "N/A"] }
      capture:
        n: { stdout: true }
    next:
      - when: vars.n | int > 10
        goto: big
      - goto: small
  - id: big
    conclude: { status: diagnosed, diagnosis: "big" }
  - id: small
    conclude: { status: diagnosed, diagnosis: "small" }
"#;
    run(yaml, &[]).status(4).stderr_contains(
        r#"`vars.n | int`: `| int` cannot read "N/A" as a number; give the capture of `vars.n` `type: int`"#,
    );
    let empty = yaml.replace(r#"argv: [echo, "N/A"]"#, r#"argv: [printf, ""]"#).replace("| int", "| float");
    run(&empty, &[]).status(4).stderr_contains("`vars.n | float`: `| float` cannot read the empty string as a number");
    let in_text = yaml
        .replace("      - when: vars.n | int > 10\n        goto: big\n", "")
        .replace(r#"diagnosis: "small""#, r#"diagnosis: "{{ vars.n | int }} jobs""#);
    run(&in_text, &[]).status(4).stderr_contains(r#"`vars.n | int`: `| int` cannot read "N/A" as a number"#);
    let number = yaml.replace("N/A", "42");
    assert_eq!(path(&run(&number, &[]).status(0).events()), ["c", "big"]);
    // An input has no capture: the fix is its declared type.
    let input = number
        .replace(
            "title: A count read as text\n",
            "title: A count read as text\ninputs:\n  threshold: { default: \"10\" }\n",
        )
        .replace("vars.n | int > 10", "vars.n | int > inputs.threshold | int");
    assert_eq!(path(&run(&input, &[]).status(0).events()), ["c", "big"]);
    run(&input, &["-i", "threshold=90%"]).status(4).stderr_contains(
        r#"`inputs.threshold | int`: `| int` cannot read "90%" as a number; declare the input `threshold` with `type: number`"#,
    );
}

/// A capture that matched nothing, read in a conclusion: the run stops with
/// an error that names the var, not minijinja's "undefined value".
#[test]
fn an_unset_capture_read_in_a_conclusion_is_named() {
    let yaml = r#"
id: unset
title: A capture that found nothing
steps:
  - id: disk
    collect:
      cmd: { argv: [echo, "no percentage here"] }
      capture:
        pct: { regex: '(\d+)%' }
  - id: full
    conclude: { status: diagnosed, diagnosis: "disk at {{ vars.pct }}%" }
"#;
    let output = run(yaml, &[]).status(4);
    assert!(of(&output.events(), "concluded").is_empty());
    output.stderr_contains("cannot render `diagnosis`: `vars.pct` is not set: no capture gave `pct` a value");
}

/// A JSON value that is a string, compared with a number in `when`, stops
/// the run with both operands, their values and their types: never a
/// silent branch.
#[test]
fn a_string_compared_with_a_number_stops_the_run() {
    let yaml = r#"
id: untyped
title: A string where a number was meant
inputs:
  threshold: { type: number, default: 90 }
steps:
  - id: disk
    collect:
      cmd: { argv: [echo, '{"pct": "20"}'] }
      capture:
        pct: { json: $.pct }
    next:
      - when: vars.pct > inputs.threshold
        goto: full
      - goto: fine
  - id: full
    conclude: { status: diagnosed, diagnosis: "disk full" }
  - id: fine
    conclude: { status: inconclusive, diagnosis: "disk fine" }
"#;
    let output = run(yaml, &[]).status(4);
    let events = output.events();
    assert!(of(&events, "concluded").is_empty(), "no branch may be taken: {events:?}");
    output.stderr_contains(
        r#"`vars.pct > inputs.threshold` compares a string with a number: `vars.pct` is the string "20", `inputs.threshold` is the number 90"#,
    );
}

/// `+` over two text captures joins them ("3" + "4" is "34", so 7 problems
/// read as 34 and took the "noisy" branch) and `*` repeats one: both stop
/// the run naming the operands, in a `when` and in a conclusion's text;
/// the same sums over typed captures add up (review-10-user3 H2).
#[test]
fn arithmetic_on_text_captures_stops_the_run() {
    let runbook = |kind: &str, when: &str| {
        format!(
            r#"
id: sum
title: Errors and warnings
inputs: {{ max_errors: {{ type: number, default: 20 }} }}
steps:
  - id: count
    collect:
      cmd: {{ sh: "printf 'errors=3\nwarnings=4\n'" }}
      capture:
        errors: {{ regex: 'errors=(\d+)'{kind} }}
        warnings: {{ regex: 'warnings=(\d+)'{kind} }}
    next:
      - when: {when}
        goto: noisy
      - goto: quiet
  - id: noisy
    conclude: {{ status: diagnosed, diagnosis: "noisy" }}
  - id: quiet
    conclude: {{ status: resolved, diagnosis: "{{{{ vars.errors * 2 }}}} doubled" }}
"#
        )
    };
    let sum = "(vars.errors + vars.warnings) | int > inputs.max_errors";
    let output = run(&runbook("", sum), &["--no-record"]).status(4);
    assert!(of(&output.events(), "concluded").is_empty(), "no branch may be taken");
    output.stderr_contains(
        r#"`vars.errors + vars.warnings` does arithmetic on text: `vars.errors` is the string "3", `vars.warnings` is the string "4", and `+` would join them as text"#,
    );
    let output = run(&runbook("", "vars.errors | int > 10"), &["--no-record"]).status(4);
    output.stderr_contains(r#"`vars.errors * 2` does arithmetic on text: `vars.errors` is the string "3", `2` is the number 2, and `*` would repeat the text"#);
    let output = run(&runbook(", type: int", sum), &["--no-record"]).status(0);
    let events = output.events();
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "6 doubled", "3 + 4 is 7, under 20");
    Test::new()
        .files(&[("runbook.yaml", runbook("", sum).as_bytes())])
        .args(["check", "runbook.yaml"])
        .status(0)
        .stderr_contains("warning[RB322]")
        .stderr_contains(r#"`vars.errors + vars.warnings` joins text ("3" + "4" is "34")"#);
}

/// A boolean compared with its text or with a number stops the run like a
/// string against a number, both ways round; booleans compare as ever.
#[test]
fn a_boolean_compared_with_a_string_or_a_number_stops_the_run() {
    let runbook = |condition: &str| {
        format!(
            r#"
id: flags
title: A boolean where text was meant
steps:
  - id: probe
    collect:
      cmd: {{ argv: [echo, '{{"enabled": true, "n": 20}}'] }}
      capture:
        enabled: {{ json: $.enabled }}
        n: {{ json: $.n }}
    next:
      - when: '{condition}'
        goto: on
      - goto: off
  - id: on
    conclude: {{ status: diagnosed, diagnosis: "on" }}
  - id: off
    conclude: {{ status: inconclusive, diagnosis: "off" }}
"#
        )
    };
    let cases = [
        (
            r#"vars.enabled == "true""#,
            r#"`vars.enabled == "true"` compares a boolean with a string: `vars.enabled` is the boolean true, `"true"` is the string "true"; remove the quotes: `true`"#,
        ),
        (
            "vars.n == true",
            "`vars.n == true` compares a boolean with a number: `vars.n` is the number 20, `true` is the boolean true",
        ),
        ("vars.enabled in [1, 0]", "compares a boolean with a number"),
    ];
    for (condition, message) in cases {
        let output = run(&runbook(condition), &[]).status(4);
        assert!(of(&output.events(), "concluded").is_empty(), "{condition}");
        output.stderr_contains(message);
    }
    let output = run(&runbook("vars.enabled == true and vars.n != false"), &[]).status(4);
    output.stderr_contains("`vars.n != false` compares a boolean with a number");
    let output = run(&runbook("vars.enabled == true and vars.n == 20"), &[]).status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "on");
}

/// The Jinja tests that compare (`is gt`, `is lt`, `is ne`, …) are the
/// operators under other names: a string against a number, or none
/// ordered, stops the run through them as through `>`, in a `when`, a
/// template's block and a filter that applies a test by name.
#[test]
fn comparison_tests_stop_the_run_like_their_operators() {
    let runbook = |condition: &str, diagnosis: &str| {
        format!(
            r#"
id: tests
title: Comparison tests
steps:
  - id: disk
    collect:
      cmd: {{ argv: [echo, '{{"used": "5", "lag": null, "n": 95}}'] }}
      capture:
        o: {{ json: $ }}
    next:
      - when: '{condition}'
        goto: full
      - goto: fine
  - id: full
    conclude: {{ status: diagnosed, diagnosis: "disk full" }}
  - id: fine
    conclude: {{ status: inconclusive, diagnosis: '{diagnosis}' }}
"#
        )
    };
    let cases = [
        (
            "vars.o.used is gt 90",
            "fine",
            r#"`vars.o.used > 90` compares a string with a number: `vars.o.used` is the string "5""#,
        ),
        ("vars.o.used is not greaterthan 90", "fine", "`vars.o.used > 90` compares a string with a number"),
        ("vars.o.used is ne 5", "fine", "`vars.o.used != 5` compares a string with a number"),
        ("vars.o.lag is lt 100", "fine", "`vars.o.lag < 100` compares none with the number 100"),
        ("[vars.o.used] | select(\"ge\", 90) | list", "fine", "`item >= 90` compares a string with a number"),
        ("false", "{% if vars.o.used is gt 90 %}FULL{% endif %}", "cannot render `diagnosis`: `vars.o.used > 90`"),
    ];
    for (condition, diagnosis, message) in cases {
        let output = run(&runbook(condition, diagnosis), &[]).status(4);
        assert!(of(&output.events(), "concluded").is_empty(), "{condition}");
        output.stderr_contains(message);
    }
    let output = run(&runbook("vars.o.n is ge 90 and vars.o.used is eq \"5\"", "fine"), &[]).status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "disk full");
}

/// An empty capture looked for `in` a string (a `string` input holding
/// "active,reloading") is in it: the run stops instead of calling an
/// unreadable service healthy; a `list` input looks among the words.
#[test]
fn the_empty_string_looked_for_in_a_string_stops_the_run() {
    let runbook = |input: &str| {
        format!(
            r#"
id: states
title: Is the service in a healthy state?
inputs:
  healthy_states: {input}
steps:
  - id: state
    collect:
      cmd: {{ sh: "printf '%s' \"$STATE\"" }}
      capture:
        state: {{ stdout: true }}
    next:
      - when: vars.state in inputs.healthy_states
        goto: ok
      - goto: down
  - id: ok
    conclude: {{ status: resolved, diagnosis: "healthy" }}
  - id: down
    conclude: {{ status: diagnosed, diagnosis: "down" }}
"#
        )
    };
    let text = runbook(r#"{ default: "active,reloading" }"#);
    let output = run(&text, &[]).env("STATE", "").status(4);
    assert!(of(&output.events(), "concluded").is_empty());
    output
        .stderr_contains("`vars.state in inputs.healthy_states` looks for the empty string, which is in every string");
    let list = runbook("{ type: list, default: [active, reloading] }");
    let output = run(&list, &[]).env("STATE", "").status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "down");
    let output = run(&list, &[]).env("STATE", "active").status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "healthy");
}

/// A version ordered as text ("1.10.0" before "1.9.3") stops the run
/// naming `| version`, which orders it as a version.
#[test]
fn versions_ordered_as_text_stop_the_run_and_order_through_the_version_filter() {
    let runbook = |condition: &str| {
        format!(
            r#"
id: versions
title: Is the running version older than the fix?
steps:
  - id: ver
    collect:
      cmd: {{ argv: [echo, '{{"ver": "1.9.3"}}'] }}
      capture:
        ver: {{ json: $.ver }}
    next:
      - when: '{condition}'
        goto: old
      - goto: current
  - id: old
    conclude: {{ status: diagnosed, diagnosis: "old" }}
  - id: current
    conclude: {{ status: resolved, diagnosis: "current" }}
"#
        )
    };
    let output = run(&runbook(r#"vars.ver < "1.10.0""#), &[]).status(4);
    assert!(of(&output.events(), "concluded").is_empty());
    output
        .stderr_contains(r#"`vars.ver < "1.10.0"` orders versions as text ("1.10.0" comes before "1.9.3")"#)
        .stderr_contains(r#"compare them as versions: `vars.ver | version < "1.10.0" | version`"#);
    let output = run(&runbook(r#"vars.ver | version < "1.10.0" | version"#), &[]).status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "old");
    let output = run(&runbook(r#"vars.ver | version >= "v1.9.3" | version"#), &[]).status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "old");
}

/// none ordered or compared with a value, a list compared with a string,
/// and two numeric strings ordered as text stop the run naming the
/// operands; the guarded forms take their branch.
#[test]
fn none_lists_and_numeric_text_in_when_stop_the_run() {
    let runbook = |condition: &str| {
        format!(
            r#"
id: shapes
title: Values of the wrong shape
steps:
  - id: probe
    collect:
      cmd: {{ argv: [echo, '{{"lag": null, "phase": ["Running"], "pct": "100"}}'] }}
      capture:
        o: {{ json: $ }}
    next:
      - when: '{condition}'
        goto: yes-branch
      - goto: no-branch
  - id: yes-branch
    conclude: {{ status: diagnosed, diagnosis: "yes" }}
  - id: no-branch
    conclude: {{ status: inconclusive, diagnosis: "no" }}
"#
        )
    };
    let cases = [
        ("vars.o.lag < 100", "`vars.o.lag < 100` compares none with the number 100"),
        ("vars.o.lag != 5", "`vars.o.lag` is none"),
        (r#"vars.o.phase == "Running""#, r#"`vars.o.phase` is the list ["Running"]"#),
        (r#"vars.o.pct > "90""#, "orders two strings that read as numbers, as text"),
    ];
    for (condition, message) in cases {
        let output = run(&runbook(condition), &["--no-record"]).status(4);
        assert!(of(&output.events(), "concluded").is_empty(), "{condition}");
        output.stderr_contains(message);
    }
    for (condition, taken) in [
        ("vars.o.lag is not none and vars.o.lag < 100", "no"),
        (r#""Running" in vars.o.phase and vars.o.pct | int > 90 and vars.o.lag == none"#, "yes"),
    ] {
        let output = run(&runbook(condition), &["--no-record"]).status(0);
        assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], taken, "{condition}");
    }
}

/// An expectation that could only fail because of its types (a string
/// against a number or a boolean, inside `all`/`any`, `contains` over a
/// number) makes the outcome `error` with `type_mismatch`, routed by
/// `on: error`, never a silent `fail`; the same data with the right types
/// passes.
#[test]
fn expectations_that_cannot_hold_for_their_types_are_type_mismatch_errors() {
    let runbook = |expectation: &str| {
        format!(
            r#"
id: typed-expectations
title: Expectations over JSON of the wrong types
steps:
  - id: api
    check:
      cmd: {{ argv: [echo, '{{"arr": ["1", "2"], "n": 2, "b": true}}'] }}
      expect: [ {expectation} ]
    on: {{ pass: held, fail: failed, error: [ {{ when: 'result.error.kind in ["type_mismatch", "invalid_capture"]', goto: mismatch }}, {{ goto: mismatch }} ] }}
  - id: held
    conclude: {{ status: resolved, diagnosis: "held" }}
  - id: failed
    conclude: {{ status: diagnosed, diagnosis: "failed" }}
  - id: mismatch
    conclude: {{ status: inconclusive, diagnosis: "{{{{ steps.api.error.kind }}}}: {{{{ steps.api.error.message }}}}" }}
"#
        )
    };
    let cases = [
        (
            r#"{ json: "$.arr[*]", all: { gt: 0 } }"#,
            r#"`json $.arr[*][0]` is the string "1", and `gt` compares it with the number 0"#,
        ),
        (r#"{ json: "$.arr[*]", any: { eq: 1 } }"#, "a string never equals a number"),
        (
            "{ json: $.arr, contains: 1 }",
            r#"`json $.arr` is the list ["1","2"], and `contains` compares it with the number 1"#,
        ),
        (r#"{ json: $.n, contains: "2" }"#, "`contains` looks in text or in a list"),
        (r#"{ json: $.b, eq: "true" }"#, "a boolean never equals a string; remove the quotes: `true`"),
        (r#"{ json: $.b, in: [1, "yes"] }"#, "a boolean never equals a number"),
        (r#"{ json: $.n, in: [3, "2"] }"#, r#"`in` compares it with the string "2""#),
    ];
    for (expectation, message) in cases {
        let output = run(&runbook(expectation), &[]).status(0);
        let diagnosis =
            of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"].as_str().unwrap_or_default().to_owned();
        assert!(diagnosis.starts_with("type_mismatch: "), "{expectation}: {diagnosis}");
        assert!(diagnosis.contains(message), "{expectation}: {diagnosis}");
    }
    for expectation in [r#"{ json: $.arr, contains: "1" }"#, r#"{ json: "$.arr[*]", all: { matches: "^[0-9]$" } }"#] {
        let output = run(&runbook(expectation), &[]).status(0);
        assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "held", "{expectation}");
    }
    // A list of several types (an API that gives a number or a word) is
    // judged against the items of the value's own type (review A11).
    for (expectation, diagnosis) in [
        (r#"{ json: $.n, in: [2, "none"] }"#, "held"),
        (r#"{ json: "$.arr[0]", in: [0, "1"] }"#, "held"),
        (r#"{ json: $.n, in: [3, "none"] }"#, "failed"),
        (r#"{ json: $.n, not_in: [3, "none"] }"#, "held"),
    ] {
        let output = run(&runbook(expectation), &[]).status(0);
        assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], diagnosis, "{expectation}");
    }
}

/// `in` and `not in` between a string and numbers stop the run like `==`
/// does, both ways round; a string in a string stays a substring search.
#[test]
fn membership_of_a_string_among_numbers_stops_the_run() {
    let runbook = |condition: &str| {
        format!(
            r#"
id: member
title: A string looked up among numbers
steps:
  - id: disk
    collect:
      cmd: {{ argv: [echo, '{{"pct": "20", "n": 20, "name": "db-1"}}'] }}
      capture:
        pct: {{ json: $.pct }}
        n: {{ json: $.n }}
        name: {{ json: $.name }}
    next:
      - when: '{condition}'
        goto: full
      - goto: fine
  - id: full
    conclude: {{ status: diagnosed, diagnosis: "disk full" }}
  - id: fine
    conclude: {{ status: inconclusive, diagnosis: "disk fine" }}
"#
        )
    };
    let output = run(&runbook("vars.pct in [20, 30]"), &[]).status(4);
    assert!(of(&output.events(), "concluded").is_empty());
    output.stderr_contains(
        r#"`vars.pct in [20, 30]` compares a string with a number: `vars.pct` is the string "20", `[20, 30]` is a list holding the number 20"#,
    );
    let output = run(&runbook(r#"vars.n not in ["20"]"#), &[]).status(4);
    assert!(of(&output.events(), "concluded").is_empty());
    output.stderr_contains(r#"`vars.n` is the number 20, `["20"]` is a list holding the string "20""#);
    let output = run(&runbook(r#"vars.pct in ["20", "30"] and "db" in vars.name"#), &[]).status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "disk full");
}

/// A capture that matched nothing, compared with `!=` or `==` in `when`,
/// read for its truth or tested (`is none`), stops the run naming the var
/// instead of taking a branch; only `is defined`/`is undefined` ask.
#[test]
fn an_unset_var_read_in_when_stops_the_run() {
    let conditions =
        [r#"vars.pct != "5""#, r#"vars.pct == "5""#, "vars.pct", "true and vars.pct", "vars.pct is not number"];
    let yaml = |condition: &str| {
        format!(
            r#"
id: unset-when
title: A capture that found nothing, compared
steps:
  - id: disk
    collect:
      cmd: {{ argv: [echo, "no percentage here"] }}
      capture:
        pct: {{ regex: '(\d+)%' }}
    next:
      - when: '{condition}'
        goto: full
      - goto: fine
  - id: full
    conclude: {{ status: diagnosed, diagnosis: "disk full" }}
  - id: fine
    conclude: {{ status: inconclusive, diagnosis: "disk fine" }}
"#
        )
    };
    for condition in conditions {
        let output = run(&yaml(condition), &[]).status(4);
        assert!(of(&output.events(), "concluded").is_empty(), "{condition}");
        output.stderr_contains("`vars.pct` is not set: no capture gave `pct` a value");
    }
    // `check` refuses `vars.pct is none` (RB315): a capture is never none.
    let output = run(&yaml(r#"vars.pct is undefined or vars.pct == "5""#), &[]).status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "disk full");
}

/// A misspelt step fact (`checklist.compelte`) is refused before the run
/// with "did you mean", rather than read as unset when the branch comes;
/// spelt right, the ticks drive the branch.
#[test]
fn a_misspelt_step_fact_is_refused_before_the_run() {
    let yaml = |field: &str| {
        format!(
            r#"
id: ticks
title: A branch on a checklist
steps:
  - id: drain
    instruct:
      text: Drain the node
      checklist: [Cordon, Drain]
    next:
      - when: steps.drain.checklist.{field}
        goto: drained
      - goto: not-drained
  - id: drained
    conclude: {{ status: resolved, diagnosis: "drained" }}
  - id: not-drained
    conclude: {{ status: inconclusive, diagnosis: "not drained" }}
"#
        )
    };
    let output = run(&yaml("compelte"), &["--answer", "drain.checklist=all", "--no-record"])
        .status(3)
        .stderr_contains("RB313")
        .stderr_contains("did you mean `steps.drain.checklist.complete`?");
    assert!(of(&output.events(), "step_started").is_empty(), "nothing ran");
    let output = run(&yaml("complete"), &["--answer", "drain.checklist=all", "--no-record"]).status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], "drained");
}

/// A template in the script of `sh -c` given through `argv` is refused
/// before anything runs (RB406); the value passed as `$1`, as the help
/// says, reaches the shell as data, however hostile.
#[test]
fn a_template_in_an_argv_shell_script_is_refused_and_positional_values_stay_data() {
    let yaml = |argv: &str| {
        format!(
            "id: script\ntitle: A shell script with a value\ninputs:\n  v: {{ default: x }}\nsteps:\n  - id: show\n    \
             collect:\n      cmd: {{ argv: {argv} }}\n  - id: done\n    conclude: {{ status: resolved, diagnosis: \
             \"{{{{ steps.show.stdout }}}}\" }}\n"
        )
    };
    let hostile = "$(touch pwned)";
    let output = run(&yaml(r#"[sh, -c, "echo {{ inputs.v }}"]"#), &["--input", &format!("v={hostile}"), "--no-record"])
        .status(3)
        .stderr_contains("RB406")
        .stderr_contains("is run as shell code");
    assert!(!output.path("pwned").exists(), "nothing ran");
    let output = run(
        &yaml(r#"[sh, -c, 'printf %s "$1"', sh, "{{ inputs.v }}"]"#),
        &["--input", &format!("v={hostile}"), "--no-record"],
    )
    .status(0);
    assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], hostile);
    assert!(!output.path("pwned").exists(), "the value ran as a command");
}

/// A step's duration (milliseconds) compares with a duration written with
/// units: `< "10s"` holds for a quick command, `> "10s"` does not.
#[test]
fn a_duration_compares_with_a_duration_written_with_units() {
    let yaml = |condition: &str| {
        format!(
            r#"
id: timing
title: A branch on how long a step took
steps:
  - id: probe
    collect:
      cmd: {{ argv: ["true"] }}
    next:
      - when: '{condition}'
        goto: yes
      - goto: no
  - id: yes
    conclude: {{ status: resolved, diagnosis: "yes" }}
  - id: no
    conclude: {{ status: inconclusive, diagnosis: "no" }}
"#
        )
    };
    for (condition, taken) in [
        (r#"steps.probe.duration < "10s""#, "yes"),
        (r#"steps.probe.duration > "10s""#, "no"),
        (r#""1m30s" > steps.probe.duration"#, "yes"),
    ] {
        let output = run(&yaml(condition), &["--no-record"]).status(0);
        assert_eq!(of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"], taken, "{condition}");
    }
}

/// A value that does not convert to the capture's type makes the step's
/// outcome `error`, with a message naming the capture, the value and the type.
#[test]
fn a_capture_that_does_not_convert_is_an_error_outcome() {
    let yaml = r#"
id: typed
title: Typed captures
steps:
  - id: disk
    check:
      cmd: { argv: [echo, "/ is at N/A% of 50G"] }
      capture:
        pct: { regex: '(\S+)%', type: int }
    on:
      error:
        - { when: 'result.error.kind == "invalid_capture"', goto: unknown }
        - goto: unknown
  - id: measured
    conclude: { status: inconclusive, diagnosis: "disk at {{ vars.pct }}" }
  - id: unknown
    conclude: { status: inconclusive, diagnosis: "{{ steps.disk.error.kind }}: {{ steps.disk.error.message }}" }
"#;
    let events = run(yaml, &[]).status(0).events();
    assert_eq!(path(&events), ["disk", "unknown"]);
    assert_eq!(
        of(&events, "concluded")[0]["conclusion"]["diagnosis"],
        r#"invalid_capture: capture `pct`: "N/A" is not a whole number"#
    );
}

#[test]
fn a_slow_answer_shows_where_its_time_went_in_the_view_and_the_record() {
    use crate::http_server::{Server, respond};
    let server = Server::start(|_, stream| {
        std::thread::sleep(std::time::Duration::from_millis(300));
        respond(stream, "503 Service Unavailable", &[], b"busy")
    });
    let url = server.url("/healthz").replace("127.0.0.1", "localhost");
    let yaml = format!(
        "id: slow\ntitle: Slow\nsteps:\n  - id: health\n    check:\n      http: {{ url: \"{url}\" }}\n      expect: [ {{ \
         status: 200 }}, {{ timing: first_byte, ge: 300ms }} ]\n    on: {{ pass: done, fail: done, error: done }}\n  - id: done\n    conclude: {{ status: \
         resolved }}\n"
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .status(0);
    let phases = regex::Regex::new(r"dns \d+ms, connect \d+ms, first byte (\d+)ms").unwrap();
    let shown = phases.captures(&output.stdout).unwrap_or_else(|| panic!("no phases:\n{}", output.stdout));
    assert!(shown[1].parse::<u64>().unwrap() >= 300, "{}", output.stdout);
    assert!(output.stdout.contains("✓ timing first_byte ge 300ms"), "{}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec/record.md")).expect("record.md");
    let observed = record.lines().find(|line| line.starts_with("Observed: status 503")).expect("observed");
    assert!(phases.is_match(observed), "{observed}");
    let json = crate::valid_record(&output.path("rec/record.json"));
    let timing = &json["steps"][0]["attempts"][0]["probes"][0]["observation"]["timing"];
    assert!(timing["first_byte_ms"].as_u64().unwrap() >= 300 && timing["dns_ms"].is_u64(), "{timing}");
}

/// An https server on 127.0.0.1 that waits `delay` after each connection
/// opened before it takes part in the TLS handshake, then answers `200`;
/// its certificate (self-signed, for `127.0.0.1`) is returned as PEM with
/// the port.
pub(crate) fn slow_handshake_server(delay: std::time::Duration) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(made.signing_key.serialize_der());
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key.into())
        .unwrap();
    let config = std::sync::Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let config = std::sync::Arc::clone(&config);
            std::thread::spawn(move || {
                std::thread::sleep(delay);
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
    (port, made.cert.pem())
}

/// A slow TLS handshake is its own phase: an expectation on `timing: tls`
/// fails on it while the connection's phase passes, and the view, the
/// record and the observation show it apart from `connect`. The handshake
/// takes 1.5 s so that the bound on `connect` holds on a loaded machine.
#[test]
fn a_slow_tls_handshake_is_its_own_phase_in_expectations_the_view_and_the_record() {
    let (port, certificate) = slow_handshake_server(std::time::Duration::from_millis(1500));
    let yaml = format!(
        "id: handshake\ntitle: Handshake\nsteps:\n  - id: health\n    check:\n      http: {{ url: \"https://127.0.0.1:{port}/healthz\", \
         tls: {{ ca_file: ca.pem }} }}\n      expect:\n        - {{ status: 200 }}\n        - {{ timing: connect, lt: 1500ms }}\n        \
         - {{ timing: tls, lt: 1500ms }}\n    on: {{ pass: fine, fail: slow, error: slow }}\n  - id: fine\n    conclude: {{ status: \
         resolved }}\n  - id: slow\n    conclude: {{ status: inconclusive, diagnosis: slow handshake }}\n"
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes()), ("ca.pem", certificate.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .status(0);
    assert!(output.stdout.contains("→ slow (fail)"), "{}", output.stdout);
    assert!(output.stdout.contains("✓ timing connect lt 1500ms"), "{}", output.stdout);
    assert!(output.stdout.contains("✗ timing tls lt 1500ms"), "{}", output.stdout);
    // A phase of a second or more is shown in seconds ("tls 1.6s").
    let phases = regex::Regex::new(r"connect \d+ms, tls (\d+(?:\.\d+)?)(ms|s), first byte \d+ms").unwrap();
    let shown = phases.captures(&output.stdout).unwrap_or_else(|| panic!("no phases:\n{}", output.stdout));
    let tls: f64 = shown[1].parse().unwrap();
    assert!(if &shown[2] == "s" { tls >= 1.5 } else { tls >= 1500.0 }, "{}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec/record.md")).expect("record.md");
    let observed = record.lines().find(|line| line.starts_with("Observed: status 200")).expect("observed");
    assert!(phases.is_match(observed), "{observed}");
    let json = crate::valid_record(&output.path("rec/record.json"));
    let timing = &json["steps"][0]["attempts"][0]["probes"][0]["observation"]["timing"];
    assert!(timing["tls_ms"].as_u64().unwrap() >= 1500 && timing["connect_ms"].as_u64().unwrap() < 1500, "{timing}");
}

/// A probe whose expectations read `timing: connect` opens its own
/// connection (review-12-attack3 H2): the second step to a keep-alive
/// server has its phase too, rather than "got nothing" from reusing the
/// first step's connection.
#[test]
fn a_probe_judging_the_connect_phase_opens_its_own_connection() {
    let server =
        crate::http_server::Server::start(|_, stream| crate::http_server::respond(stream, "200 OK", &[], b"ok"));
    let step = |id: &str, next: &str| {
        format!(
            "  - id: {id}\n    check:\n      http: {{ url: \"{}\", proxy: none }}\n      expect:\n        - {{ status: 200 }}\n        \
             - {{ timing: connect, lt: 5s }}\n    on: {{ pass: {next}, fail: bad, error: bad }}\n",
            server.url(&format!("/{id}"))
        )
    };
    let yaml = format!(
        "id: phases\ntitle: Phases\nsteps:\n{}{}  - id: ok\n    conclude: {{ status: resolved }}\n  - id: bad\n    \
         conclude: {{ status: inconclusive, diagnosis: bad }}\n",
        step("a", "b"),
        step("b", "ok")
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--no-record"])
        .status(0);
    assert!(output.stdout.contains("→ ok (pass)"), "{}", output.stdout);
    assert!(!output.stdout.contains("got nothing"), "{}", output.stdout);
    assert_eq!(server.connection_count(), 2, "{}", output.stdout);
}

/// `{% if %}` in a confirm text, a conclusion or an inline `if` goes
/// through the guards a `when` goes through (review A22): a string that
/// reads as false, a string ordered against a number and none ordered stop
/// the run naming the operands, before the action the confirm text
/// describes runs; typed values render the branch they say.
#[test]
fn if_blocks_in_confirm_texts_and_conclusions_are_guarded_like_when() {
    let runbook = |capture: &str, text: &str| {
        format!(
            r#"
id: guarded-text
title: Guarded templates
steps:
  - id: probe
    collect:
      cmd: {{ argv: [echo, '{{"replica": "false", "used": "5", "lag": null, "flag": false, "pct": 5}}'] }}
      capture:
        {capture}
  - id: restart
    action:
      confirm: "Restart db01. {text}"
      cmd: {{ argv: [touch, restarted] }}
  - id: end
    conclude: {{ status: resolved, diagnosis: "{text}" }}
"#
        )
    };
    let cases = [
        (
            "replica: { json: $.replica }",
            "{% if vars.replica %}A replica.{% else %}The PRIMARY.{% endif %}",
            r#"`vars.replica` gave the string "false", which counts as true"#,
        ),
        (
            "used: { json: $.used }",
            "{% if vars.used > 90 %}Disk full.{% endif %}",
            r#"`vars.used > 90` compares a string with a number: `vars.used` is the string "5""#,
        ),
        (
            "o: { json: $ }",
            "{% if vars.o.lag < 10 %}Replication fine.{% endif %}",
            "`vars.o.lag < 10` compares none with the number 10",
        ),
        (
            "replica: { json: $.replica }",
            "{{ 'a replica' if not vars.replica else 'the primary' }}",
            r#"`vars.replica` gave the string "false""#,
        ),
        (
            "replica: { json: $.replica }",
            "{% for r in [vars.replica] if r %}A replica.{% else %}The PRIMARY.{% endfor %}",
            r#"`r` gave the string "false", which counts as true"#,
        ),
        (
            "replica: { json: $.replica }",
            "{% if [vars.replica] | select | list %}A replica.{% endif %}",
            r#"`[vars.replica][0]` gave the string "false", which counts as true"#,
        ),
        (
            "used: { json: $.used }",
            "{% set full = vars.used > 90 %}{% if full %}Disk full.{% endif %}",
            r"`vars.used > 90` compares a string with a number",
        ),
        (
            "used: { json: $.used }",
            "{% with full = vars.used > 90 %}{% if full %}Disk full.{% endif %}{% endwith %}",
            r"`vars.used > 90` compares a string with a number",
        ),
    ];
    for (capture, text, message) in cases {
        let output = run(&runbook(capture, text), &["--yes"]).status(4).stderr_contains(message);
        assert!(!output.path("restarted").exists(), "the action ran after a confirm text that misleads: {text}");
        assert!(of(&output.events(), "concluded").is_empty(), "{text}");
    }
    let typed = run(
        &runbook(
            "flag: { json: $.flag }\n        pct: { json: $.pct }",
            "{% if vars.flag %}A replica.{% else %}The PRIMARY.{% endif %} {% if vars.pct > 90 %}Full.{% else %}Fine.{% endif %}",
        ),
        &["--yes"],
    )
    .status(0);
    assert!(typed.path("restarted").exists());
    assert_eq!(of(&typed.events(), "concluded")[0]["conclusion"]["diagnosis"], "The PRIMARY. Fine.");
}

/// A callee's severity orders by rank, as `--fail-on` orders it (review
/// A39): a critical finding is `>= "high"`, though "critical" sorts before
/// "high" as text; a severity ordered against text that is not one stops.
#[test]
fn a_callee_severity_orders_by_rank_not_alphabetically() {
    let callee = |severity: &str| {
        format!(
            "id: disk\ntitle: Disk\nsteps:\n  - id: probe\n    collect: {{ cmd: {{ argv: [echo, corrupt] }} }}\n  - id: end\n    \
             conclude: {{ status: diagnosed, severity: {severity}, diagnosis: disk corrupt }}\n"
        )
    };
    let routing = |condition: &str| {
        format!(
            r#"
id: severity
title: Severity ordering
steps:
  - id: sub
    call: {{ runbook: callee.yaml }}
    on:
      diagnosed:
        - when: '{condition}'
          goto: page
        - goto: ticket
      resolved: ticket
      escalated: page
      inconclusive: ticket
      error: page
  - id: page
    conclude: {{ status: escalated, severity: critical, diagnosis: "paged: {{{{ steps.sub.conclusion.diagnosis }}}}" }}
  - id: ticket
    conclude: {{ status: diagnosed, severity: low, diagnosis: "ticket{{% if steps.sub.conclusion.severity < 'medium' %}} (minor){{% endif %}}" }}
"#
        )
    };
    let concluded = |condition: &str, severity: &str| {
        let output = Test::new()
            .files(&[("runbook.yaml", routing(condition).as_bytes()), ("callee.yaml", callee(severity).as_bytes())])
            .args(["run", "runbook.yaml", "--non-interactive", "--format", "json"])
            .status(0);
        let events = output.events();
        let last = of(&events, "concluded").last().map(|event| event["conclusion"]["diagnosis"].clone());
        last.and_then(|diagnosis| diagnosis.as_str().map(str::to_owned)).unwrap_or_default()
    };
    let high = r#"steps.sub.conclusion.severity >= "high""#;
    assert_eq!(concluded(high, "critical"), "paged: disk corrupt");
    assert_eq!(concluded(high, "high"), "paged: disk corrupt");
    assert_eq!(concluded(high, "medium"), "ticket");
    assert_eq!(concluded(high, "info"), "ticket (minor)");
    Test::new()
        .files(&[
            ("runbook.yaml", routing("steps.sub.conclusion.severity >= steps.sub.conclusion.diagnosis").as_bytes()),
            ("callee.yaml", callee("critical").as_bytes()),
        ])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json"])
        .status(4)
        .stderr_contains("orders a severity against text that is not one");
}

/// A JSONPath filter that compares with a number over an exporter that
/// quotes its numbers selects nothing in RFC 9535, so "no pod is
/// crash-looping" held for a pod that restarted 7 times (review A36). The
/// expectation and the capture are a `type_mismatch` error now, routed by
/// `on: error`; the same document with numbers selects as before.
#[test]
fn a_jsonpath_filter_over_numbers_written_as_text_is_a_type_mismatch() {
    let server = Server::start(|request, stream| {
        let body: &[u8] = match request.path.as_str() {
            "/quoted" => br#"{"pods":[{"name":"api-1","restarts":"7"},{"name":"api-2","restarts":"0"}]}"#,
            _ => br#"{"pods":[{"name":"api-1","restarts":7},{"name":"api-2","restarts":0}]}"#,
        };
        respond(stream, "200 OK", &[("content-type", "application/json")], body)
    });
    let runbook = |path: &str, capture: bool| {
        let capture = if capture { r#"capture: { looping: { json: "$.pods[?@.restarts > 5].name" } }"# } else { "" };
        let expect = if capture.is_empty() {
            r#"expect: [ { json: "$.pods[?@.restarts > 5].name", exists: false } ]"#
        } else {
            "expect: [ { status: 200 } ]"
        };
        format!(
            r#"
id: crashloop
title: Crash loops
steps:
  - id: pods
    check:
      http: {{ url: "{}" }}
      {expect}
      {capture}
    on: {{ pass: ok, fail: crashloop, error: [ {{ when: 'result.error.kind in ["type_mismatch", "invalid_capture"]', goto: other }}, {{ goto: other }} ] }}
  - id: ok
    conclude: {{ status: resolved, diagnosis: "no crash loops" }}
  - id: crashloop
    conclude: {{ status: diagnosed, diagnosis: "crash loop" }}
  - id: other
    conclude: {{ status: inconclusive, diagnosis: "{{{{ steps.pods.error.kind }}}}: {{{{ steps.pods.error.message }}}}" }}
"#,
            server.url(path)
        )
    };
    let diagnosis = |yaml: &str| {
        let output = run(yaml, &["--no-record"]).status(0);
        of(&output.events(), "concluded")[0]["conclusion"]["diagnosis"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(diagnosis(&runbook("/numbers", false)), "crash loop");
    let quoted = diagnosis(&runbook("/quoted", false));
    assert!(
        quoted.starts_with("type_mismatch: the filter of `$.pods[?@.restarts > 5].name` compares with a number"),
        "{quoted}"
    );
    assert!(quoted.contains(r#"writes numbers as text ("7")"#), "{quoted}");
    let captured = diagnosis(&runbook("/quoted", true));
    assert!(captured.starts_with("invalid_capture: "), "{captured}");
    assert!(captured.contains("writes numbers as text"), "{captured}");
}

/// `next:` may jump anywhere, so the view says where it went, as it does
/// for an outcome; going on to the step below says nothing. A refused
/// `tcp` connection reads as a refused `http` one.
#[test]
fn the_view_says_where_next_leads_and_a_refusal_names_the_address() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let yaml = format!(
        "id: jump\ntitle: Jump\nsteps:\n  - id: port\n    check: {{ tcp: {{ host: 127.0.0.1, port: {port} }} }}\n    \
         on: {{ pass: done, error: fix }}\n  - id: fix\n    action: {{ cmd: {{ argv: [\"true\"] }}, confirm: Fix it? }}\n    \
         next: done\n  - id: other\n    conclude: {{ status: inconclusive }}\n  - id: done\n    conclude: {{ status: resolved }}\n"
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--yes", "--no-record", "--color", "never"])
        .status(0)
        .stdout_contains(&format!("error (refused): connection refused by 127.0.0.1:{port}\n"))
        .stdout_contains("  → fix (error)\n")
        .stdout_contains("  → done (then)\n");
    assert!(!output.stdout.contains("os error"), "{}", output.stdout);
}

/// An answer for a step the run never reached is said, not dropped: in a
/// dry run, a `when` on `result` is false, which is why it was not reached.
#[test]
fn an_answer_the_run_never_used_is_said() {
    let yaml = "id: unused\ntitle: Unused\nsteps:\n  - id: health\n    check: { cmd: { argv: [\"true\"] }, expect: [ { \
                exit_code: 0 } ] }\n    on:\n      pass: ok\n      fail:\n        - { when: \"result.exit_code == 2\", goto: \
                ask }\n        - goto: ok\n  - id: ask\n    ask: { question: Restart?, type: confirm }\n    on: { \"yes\": ok, \
                \"no\": ok }\n  - id: ok\n    conclude: { status: resolved }\n";
    let dry = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record", "--dry-run", "--assume", "health=fail"])
        .args(["--answer", "ask=no"])
        .status(0);
    assert!(
        dry.stderr.contains(
            "warning: the answer given for `ask` was not used: the run did not reach it (a dry run assumes outcomes \
             without observations: a `when` that reads `result` is false there)\n"
        ),
        "{}",
        dry.stderr
    );
    let used = Test::new()
        .files(&[("runbook.yaml", yaml.replace("[\"true\"]", "[sh, -c, \"exit 2\"]").as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--no-record", "--answer", "ask=no"])
        .status(0);
    assert!(!used.stderr.contains("was not used"), "{}", used.stderr);
}

#[test]
fn a_script_of_several_lines_is_shown_on_its_lines() {
    let yaml = "id: lines\ntitle: Lines\nsteps:\n  - id: s\n    check:\n      cmd:\n        sh: |\n          echo one \\\n            \
                | tr o 0\n      expect: [ { exit_code: 0 } ]\n    next: done\n  - id: done\n    conclude: { status: resolved }\n";
    let output = Test::new()
        .args(["run", "r.yaml", "--non-interactive", "--record-dir", "rec"])
        .files(&[("r.yaml", yaml.as_bytes())])
        .status(0);
    assert!(output.stdout.contains("\n  echo one \\\n    | tr o 0  → exit 0"), "{}", output.stdout);
    let markdown = std::fs::read_to_string(output.path("rec/record.md")).expect("record.md");
    assert!(markdown.contains("(the script below) → **pass**\n\n```sh\necho one \\\n  | tr o 0\n```\n"), "{markdown}");
}

#[test]
fn a_dry_run_gives_a_capture_its_default() {
    let yaml = "id: d\ntitle: D\nsteps:\n  - id: m\n    check:\n      cmd: { argv: [\"true\"] }\n      capture:\n        \
                used: { stdout: true, type: int, default: 0 }\n        other: { stdout: true }\n    next: done\n  - id: done\n    \
                conclude: { status: resolved, diagnosis: \"Redis uses {{ vars.used }} bytes\" }\n";
    let output =
        Test::new().args(["run", "d.yaml", "--dry-run", "--no-record"]).files(&[("d.yaml", yaml.as_bytes())]).status(0);
    for shown in ["vars.used = 0\n", "vars.other unset: nothing captured", "Redis uses 0 bytes"] {
        assert!(output.stdout.contains(shown), "{shown:?} in\n{}", output.stdout);
    }
}

/// `--answer CALL/STEP=…` and `--assume CALL/STEP=OUTCOME` are checked
/// against the called runbook, loaded before the run: a step it does not
/// have, a step that asks nothing or has no outcome, an answer or outcome
/// the step never takes are refused before anything runs, with a
/// suggestion.
#[test]
fn answers_and_assumptions_for_a_called_runbooks_steps_are_checked_before_the_run() {
    let outer = r#"
id: outer
title: Outer
steps:
  - id: pre
    collect:
      cmd: { sh: 'echo ran >> pre.txt' }
  - id: first
    call: { runbook: inner.yaml }
    next: end
  - id: end
    conclude: { status: inconclusive, diagnosis: "{{ steps.first.conclusion.diagnosis }}" }
"#;
    let inner = r#"
id: inner
title: Inner
steps:
  - id: probe
    check:
      cmd: { argv: ["true"] }
      expect: [ { exit_code: 0 } ]
    on: { pass: inq, fail: inq, error: inq }
  - id: inq
    ask: { question: "Go?", choices: [ { answer: "yes", goto: done }, { answer: "no", goto: done } ] }
  - id: done
    conclude: { status: diagnosed, diagnosis: "inner done" }
"#;
    let files: &[(&str, &[u8])] = &[("outer.yaml", outer.as_bytes()), ("inner.yaml", inner.as_bytes())];
    let refused = [
        (
            &["--answer", "first/inqq=yes"][..],
            "in `inner.yaml`, which step `first` calls: the runbook has no step `inqq` (did you mean `inq`?)",
        ),
        (&["--answer", "firts/inq=yes"], "the runbook has no step `firts` (did you mean `first`?)"),
        (&["--answer", "pre/inq=yes"], "step `pre` calls no runbook"),
        (&["--answer", "first/inq=maybe"], "`--answer first/inq=…`:"),
        (&["--answer", "first/probe=yes"], "step `probe` asks nothing"),
        (
            &["--dry-run", "--assume", "first/prob=fail"],
            "in `inner.yaml`, which step `first` calls: the runbook has no step `prob` (did you mean `probe`?)",
        ),
        (
            &["--dry-run", "--assume", "first/done=pass"],
            "`first/done` is a `conclude` step, which has no outcome to assume",
        ),
        (&["--dry-run", "--assume", "first/probe=warn"], "step `first/probe` never gives `warn`"),
    ];
    for (args, said) in refused {
        let output = Test::new()
            .files(files)
            .args(["run", "outer.yaml", "--non-interactive", "--no-record"])
            .args(args)
            .status(2)
            .stderr_contains(said);
        assert!(!output.path("pre.txt").exists(), "{args:?}: a step ran");
    }
    Test::new()
        .files(files)
        .args(["run", "outer.yaml", "--non-interactive", "--no-record", "--dry-run"])
        .args(["--assume", "first/probe=fail", "--answer", "first/inq=no"])
        .status(0)
        .stdout_contains("inner done");
}

/// review-10-attack6 M4: a JSON body after a UTF-8 byte-order mark (.NET,
/// PowerShell's `Out-File`, a Windows-written status file) was
/// `invalid_json`, the "no answer" branch: "down" (critical) for a service
/// answering `{"ok": true}`. RFC 8259 lets a parser ignore it, and the
/// run does, for JSON, captures and text alike; the record keeps it.
#[test]
fn a_json_body_after_a_byte_order_mark_is_read() {
    let server = Server::start(|_, stream| {
        respond(stream, "200 OK", &[("Content-Type", "application/json; charset=utf-8")], b"\xEF\xBB\xBF{\"ok\": true}")
    });
    let yaml = format!(
        r#"
id: hb
title: body bom
steps:
  - id: c
    check:
      http: {{ url: "{}" }}
      expect:
        - status: 200
        - json: $.ok
          eq: true
        - body: {{ starts_with: "{{" }}
      capture:
        ok: {{ json: $.ok }}
    on: {{ pass: up, fail: degraded, error: down }}
  - id: up
    conclude: {{ status: resolved, diagnosis: "up: {{{{ vars.ok }}}} {{{{ steps.c.json.ok }}}}" }}
  - id: degraded
    conclude: {{ status: diagnosed, diagnosis: "degraded" }}
  - id: down
    conclude: {{ status: diagnosed, severity: critical, diagnosis: "down (no answer)" }}
"#,
        server.url("/bom")
    );
    let events = run(&yaml, &[]).status(0).events();
    assert_eq!(path(&events), ["c", "up"]);
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "up: true true");
}

/// review-10-attack5 M6: a status file served with `content-encoding: gzip`
/// whatever was asked (object-store metadata) read as `invalid_json`, "down".
/// It is decoded, as curl --compressed and browsers do: a `json`
/// expectation, a `body` expectation and a capture read what it says.
#[test]
fn a_gzip_body_sent_unasked_is_decoded() {
    /// `{"ok": true}`, gzip-compressed.
    const GZIPPED: &[u8] = &[
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0xca, 0xcf, 0x56, 0xb2, 0x52, 0x28,
        0x29, 0x2a, 0x4d, 0xad, 0x05, 0x00, 0xc6, 0x19, 0xab, 0x17, 0x0c, 0x00, 0x00, 0x00,
    ];
    let server = Server::start(|_, stream| {
        respond(stream, "200 OK", &[("content-type", "application/json"), ("content-encoding", "gzip")], GZIPPED)
    });
    let yaml = format!(
        r#"
id: gz
title: status file
steps:
  - id: status
    check:
      http: {{ url: "{}" }}
      expect:
        - status: 200
        - json: $.ok
          eq: true
        - body: {{ contains: '"ok": true' }}
      capture:
        ok: {{ json: $.ok }}
    on: {{ pass: up, fail: degraded, error: down }}
  - id: up
    conclude: {{ status: resolved, diagnosis: "up (ok {{{{ vars.ok }}}})" }}
  - id: degraded
    conclude: {{ status: diagnosed, severity: high, diagnosis: degraded }}
  - id: down
    conclude: {{ status: diagnosed, severity: critical, diagnosis: down }}
"#,
        server.url("/status.json")
    );
    let events = run(&yaml, &[]).status(0).events();
    assert_eq!(path(&events), ["status", "up"]);
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "up (ok true)");
}

/// The phases of an http probe are facts: a route reads
/// `result.timing.*_ms`, a diagnosis `steps.ID.timing.*_ms`, a phase that did
/// not happen (no handshake over http) is unset; `check` knows their names.
#[test]
fn the_phases_of_a_request_are_readable_in_routes_and_diagnoses() {
    use crate::http_server::{Server, respond};
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b"ok"));
    let yaml = |phase: &str| {
        format!(
            r#"
id: phases
title: Phases
steps:
  - id: c
    check:
      http: {{ url: "{url}", proxy: none }}
      expect: [ {{ status: 200 }}, {{ timing: connect, lt: 5s }} ]
    on:
      pass:
        - when: result.timing.first_byte < "10s" and result.timing.tls is not defined
          goto: plain
        - goto: other
  - id: plain
    conclude: {{ status: resolved, diagnosis: "connect {{{{ steps.c.timing.connect | duration }}}}, first byte {{{{ steps.c.timing.first_byte | duration }}}}, tls {{{{ steps.c.timing.{phase} | default('none') }}}}" }}
  - id: other
    conclude: {{ status: diagnosed, diagnosis: other }}
"#,
            url = server.url("/health")
        )
    };
    let output = run(&yaml("tls"), &[]).status(0);
    let events = output.events();
    let diagnosis = of(&events, "concluded")[0]["conclusion"]["diagnosis"].as_str().unwrap_or_default().to_owned();
    let shape = regex::Regex::new(r"^connect \d+ms, first byte \d+(\.\d)?m?s, tls none$").unwrap();
    assert!(shape.is_match(&diagnosis), "{diagnosis}");
    let misspelt = yaml("tls_ms");
    Test::new()
        .files(&[("phases.yaml", misspelt.as_bytes())])
        .args(["check", "phases.yaml"])
        .status(3)
        .stderr_contains("`steps.c.timing.tls_ms` is never set")
        .stderr_contains("did you mean `steps.c.timing.tls`?");
}

/// A probe to an origin an earlier probe left a kept-alive connection to,
/// whose routes read its connection's phases (no `timing:` expectation):
/// it opens its own connection, so that the phase is there, rather than
/// passing `check` and `test` and stopping the real run
/// (review-12-attack4 M2).
#[test]
fn a_route_reading_a_phase_gets_a_connection_of_its_own() {
    use crate::http_server::{Server, respond};
    let server = Server::start(|_, stream| respond(stream, "200 OK", &[], b"ok"));
    let yaml = format!(
        r#"
id: reuse
title: Reuse
steps:
  - id: first
    check:
      http: {{ url: "{url}", proxy: none }}
      expect: [ {{ status: 200 }} ]
    next: second
  - id: second
    check:
      http: {{ url: "{url}", proxy: none }}
      expect: [ {{ status: 200 }} ]
    on:
      pass:
        - when: result.timing.connect > "5s"
          goto: slow
        - goto: fast
  - id: fast
    conclude: {{ status: resolved, diagnosis: "connected in {{{{ steps.second.timing.connect | duration }}}}" }}
  - id: slow
    conclude: {{ status: diagnosed, diagnosis: slow }}
"#,
        url = server.url("/health")
    );
    let output = run(&yaml, &[]).status(0);
    let events = output.events();
    let diagnosis = of(&events, "concluded")[0]["conclusion"]["diagnosis"].as_str().unwrap_or_default().to_owned();
    assert!(diagnosis.starts_with("connected in "), "{diagnosis}");
    assert_eq!(server.connection_count(), 2, "the second probe opened its own connection");
}

/// An https server on 127.0.0.1 that keeps its connections open for more
/// requests and resumes TLS sessions, and presents its first certificate
/// (`CN=old`) in the first full handshake, its renewed one (`CN=new`) in
/// every later one, as a server renewing its certificate in place does.
/// Returns the port, both certificates as PEM (for `tls.ca_file`), and the
/// count of handshakes that resumed a session.
fn renewing_server() -> (u16, String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read as _, Write as _};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    #[derive(Debug)]
    struct Renewed {
        keys: [Arc<rustls::sign::CertifiedKey>; 2],
        shown: AtomicUsize,
    }
    impl rustls::server::ResolvesServerCert for Renewed {
        fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
            Some(Arc::clone(&self.keys[usize::from(self.shown.fetch_add(1, Ordering::SeqCst) > 0)]))
        }
    }
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let mut pem = String::new();
    let keys = ["old", "new"].map(|name| {
        let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        let certificate = params.self_signed(&key).unwrap();
        pem.push_str(&certificate.pem());
        let key = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
        Arc::new(rustls::sign::CertifiedKey::from_der(vec![certificate.der().clone()], key.into(), &provider).unwrap())
    });
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Renewed { keys, shown: AtomicUsize::new(0) }));
    let config = Arc::new(config);
    let resumed = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&resumed);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let (config, counted) = (Arc::clone(&config), Arc::clone(&counted));
            std::thread::spawn(move || {
                let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), tcp);
                let mut request = Vec::new();
                let mut buffer = [0; 1024];
                loop {
                    while !request.ends_with(b"\r\n\r\n") {
                        match tls.read(&mut buffer) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    if request.starts_with(b"GET") && tls.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
                    {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                    request.clear();
                    if tls
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                        .and_then(|()| tls.flush())
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (port, pem, resumed)
}

/// "Renew the certificate, then check it again", and "poll until the new
/// certificate is served", against a server that renews in place and keeps
/// its connections: each step and each retry attempt looks again, with a
/// connection and a full handshake of its own, and sees the new
/// certificate (review-12-attack5 N-H2, N-H1, N-M3).
#[test]
fn a_later_step_or_attempt_sees_the_certificate_served_now() {
    let check = |port: u16, retry: &str| {
        format!(
            "    check:\n      http: {{ url: \"https://127.0.0.1:{port}/health\", tls: {{ ca_file: ca.pem }}, proxy: none }}\n      \
             expect: [ {{ status: 200 }}, {{ tls: subject, eq: \"CN=new\" }} ]\n{retry}"
        )
    };
    let ends = "  - id: fresh\n    conclude: { status: resolved, diagnosis: \"{{ steps.recheck.tls.subject }}\" }\n  - id: stale\n    \
                conclude: { status: diagnosed, diagnosis: \"still {{ steps.recheck.tls.subject }}\" }\n";
    let (port, pem, resumed) = renewing_server();
    let renew = format!(
        "id: renew\ntitle: Renew\nsteps:\n  - id: cert\n{}    on: {{ pass: fresh, fail: renew, error: stale }}\n  - id: renew\n    \
         action: {{ confirm: Install the renewed certificate, cmd: {{ argv: [\"true\"] }} }}\n    next: recheck\n  - id: recheck\n{}    \
         on: {{ pass: fresh, fail: stale, error: stale }}\n{ends}",
        check(port, ""),
        check(port, "")
    );
    let output = Test::new()
        .files(&[("runbook.yaml", renew.as_bytes()), ("ca.pem", pem.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--yes", "--color", "never", "--no-record"])
        .status(0);
    assert!(output.stdout.contains("→ fresh (pass)"), "{}", output.stdout);
    assert_eq!(resumed.load(std::sync::atomic::Ordering::SeqCst), 0, "no session resumed");

    let (port, pem, resumed) = renewing_server();
    let poll = format!(
        "id: poll\ntitle: Poll\nsteps:\n  - id: recheck\n{}    on: {{ pass: fresh, fail: stale, error: stale }}\n{ends}",
        check(port, "    retry: { attempts: 3, interval: 10ms, until: pass }\n")
    );
    let output = Test::new()
        .files(&[("runbook.yaml", poll.as_bytes()), ("ca.pem", pem.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--no-record"])
        .status(0);
    assert!(output.stdout.contains("→ fresh (pass)"), "{}", output.stdout);
    assert_eq!(resumed.load(std::sync::atomic::Ordering::SeqCst), 0, "no session resumed");
}

/// `steps.ID.error.message | default(…)`, which `check` accepts, gives its
/// fallback when the step has no error, as `docs/dsl.md` says a `default`
/// does, in a conclusion and in a `when` (`is defined` too), and the
/// message when it has one; it no longer stops the run (review-12-attack5
/// N-M4).
#[test]
fn a_default_over_a_steps_error_field_covers_a_step_without_an_error() {
    let yaml = |command: &str| {
        format!(
            "id: m4\ntitle: M4\nsteps:\n  - id: probe\n    check:\n      cmd: {{ argv: [\"{command}\"] }}\n      expect: [ \
             {{ exit_code: 0 }} ]\n    on: {{ pass: route, fail: route, error: route }}\n  - id: route\n    ask: {{ question: \
             Go on?, type: confirm, default: yes }}\n    next:\n      - when: steps.probe.error.kind | default('') == \
             'spawn_failed'\n        goto: failed\n      - when: steps.probe.error.kind is defined\n        goto: failed\n      \
             - goto: done\n  - id: done\n    conclude:\n      status: resolved\n      diagnosis: \"error: {{{{ \
             steps.probe.error.message | default('none') }}}}\"\n  - id: failed\n    conclude:\n      status: escalated\n      \
             diagnosis: \"failed: {{{{ steps.probe.error.kind | default('none') }}}}\"\n"
        )
    };
    for (command, to, said) in [("true", "done", "error: none"), ("/nonexistent/m4", "failed", "failed: spawn_failed")]
    {
        let yaml = yaml(command);
        Test::new().files(&[("runbook.yaml", yaml.as_bytes())]).args(["check", "runbook.yaml"]).status(0);
        let events = run(&yaml, &["--accept-defaults"]).status(0).events();
        assert_eq!(path(&events), ["probe", "route", to], "{command}");
        assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], said, "{command}");
    }
}

/// After a redirect the phases are summed over the requests: a first hop
/// that waits 400ms before its 302 fails `timing: first_byte lt 300ms`
/// though the last hop answers at once, and the view, record.md and
/// record.json say the phases are summed (review-12-attack5 N-M2).
#[test]
fn after_a_redirect_the_phases_are_summed_and_said_to_be() {
    let server = crate::http_server::Server::start(|request, stream| {
        if request.path == "/moved" {
            std::thread::sleep(std::time::Duration::from_millis(400));
            crate::http_server::respond(stream, "302 Found", &[("Location", "/here")], b"")
        } else {
            crate::http_server::respond(stream, "200 OK", &[], b"here")
        }
    });
    let yaml = format!(
        "id: hops\ntitle: Hops\nsteps:\n  - id: health\n    check:\n      http: {{ url: \"{}\", proxy: none }}\n      expect:\n        \
         - {{ status: 200 }}\n        - {{ timing: first_byte, lt: 300ms }}\n    on: {{ pass: fine, fail: slow, error: slow }}\n  - id: \
         fine\n    conclude: {{ status: resolved }}\n  - id: slow\n    conclude: {{ status: inconclusive, diagnosis: slow }}\n",
        server.url("/moved")
    );
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .status(0);
    assert!(output.stdout.contains("→ slow (fail)"), "{}", output.stdout);
    assert!(output.stdout.contains("✗ timing first_byte lt 300ms"), "{}", output.stdout);
    assert!(output.stdout.contains(", summed over 2 requests"), "{}", output.stdout);
    let record = std::fs::read_to_string(output.path("rec/record.md")).expect("record.md");
    assert!(record.contains(", summed over 2 requests"), "{record}");
    let json = crate::valid_record(&output.path("rec/record.json"));
    let timing = &json["steps"][0]["attempts"][0]["probes"][0]["observation"]["timing"];
    assert!(timing["first_byte_ms"].as_u64().unwrap() >= 400, "{timing}");
}
