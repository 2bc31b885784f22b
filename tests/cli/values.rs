//! How values are ordered, compared and converted, end to end: durations,
//! versions and numbers written as text, `NaN`, and a JSON `null` never
//! take a branch by their text's order or their type. Each test runs the
//! built binary against a real server on 127.0.0.1 or real commands.

use serde_json::Value;

use crate::Test;
use crate::http_server::{Server, respond};
use crate::run::{of, path, run};

/// A server answering each path with its JSON body.
fn serving(routes: &'static [(&'static str, &'static str)]) -> Server {
    Server::start(move |request, stream| match routes.iter().find(|(path, _)| *path == request.path) {
        Some((_, body)) => respond(stream, "200 OK", &[("content-type", "application/json")], body.as_bytes()),
        None => respond(stream, "404 Not Found", &[], b""),
    })
}

fn diagnosis(events: &[Value]) -> String {
    of(events, "concluded")[0]["conclusion"]["diagnosis"].as_str().unwrap_or_default().to_owned()
}

/// What a run of a case must do.
enum Then<'a> {
    /// Stop (exit 4), its error holding this text.
    Stops(&'a str),
    /// Conclude (exit 0) with exactly this diagnosis.
    Concludes(&'a str),
}

/// A runbook whose check `c` GETs `url` and keeps `capture` (YAML map
/// entries); on `pass` it concludes `yes` when `when` holds, else `no`, and
/// on `fail` or `error` `cant`. Each diagnosis is the conclusion's name, a
/// colon and `evidence` (which may read the vars).
fn branching(url: &str, capture: &str, when: &str, evidence: &str) -> String {
    format!(
        r#"
id: values
title: a value read and branched on
steps:
  - id: c
    check:
      http: {{ url: "{url}" }}
      expect: [ {{ status: 200 }} ]
      capture: {{ {capture} }}
    on:
      pass:
        - when: {when}
          goto: "yes"
        - goto: "no"
      fail: cant
      error: cant
  - id: "yes"
    conclude: {{ status: diagnosed, severity: high, diagnosis: "yes: {evidence}" }}
  - id: "no"
    conclude: {{ status: resolved, diagnosis: "no: {evidence}" }}
  - id: cant
    conclude: {{ status: inconclusive, diagnosis: "cant: {evidence}" }}
"#
    )
}

/// Runs [`branching`] once per case, (`capture`, `when`, what it must
/// do), against `url`.
fn assert_cases(url: &str, evidence: &str, cases: &[(&str, &str, Then<'_>)]) {
    for (capture, when, then) in cases {
        let yaml = branching(url, capture, when, evidence);
        match then {
            Then::Stops(error) => {
                run(&yaml, &[]).status(4).stderr_contains(error);
            }
            Then::Concludes(expected) => {
                let events = run(&yaml, &[]).status(0).events();
                assert_eq!(&diagnosis(&events), expected, "`{when}` with `{capture}`");
            }
        }
    }
}

/// review-10-attack5 H1: an uptime read from JSON as `"10m"` against
/// `"5m"` orders as text ("10m" before "5m"), which read "restarted 10m
/// ago: crash loop". The run stops instead, and the two fixes it names
/// order by milliseconds.
#[test]
fn durations_written_as_text_are_not_ordered_as_text() {
    let server = serving(&[("/up", r#"{"uptime": "10m"}"#)]);
    assert_cases(
        &server.url("/up"),
        "up {{ vars.up }}",
        &[
            (
                "up: { json: $.uptime }",
                r#"vars.up < "5m""#,
                Then::Stops(
                    r#"`vars.up < "5m"` orders durations as text ("10m" comes before "5m"): `vars.up` is the string "10m", `"5m"` is the string "5m"; compare them as durations: give the capture of `vars.up` `type: duration`, or write `vars.up | milliseconds < "5m"`"#,
                ),
            ),
            ("up: { json: $.uptime, type: duration }", r#"vars.up < "5m""#, Then::Concludes("no: up 600000")),
            ("up: { json: $.uptime }", r#"vars.up | milliseconds < "5m""#, Then::Concludes("no: up 10m")),
            ("up: { json: $.uptime }", r#"vars.up | milliseconds < "15m""#, Then::Concludes("yes: up 10m")),
        ],
    );
}

/// A `regex` capture is text, so `check` knows the order is of text
/// against a duration and refuses it before the run (RB311).
#[test]
fn check_refuses_a_text_capture_ordered_against_a_duration() {
    let yaml = r#"
id: uptime
title: uptime from a command
steps:
  - id: up
    collect:
      cmd: { sh: "echo 'worker up 10m, restarts 2'" }
      capture:
        up: { regex: 'up (\S+),' }
    next:
      - when: vars.up is not defined
        goto: unknown
      - when: vars.up < "5m"
        goto: fresh
      - goto: old
  - id: fresh
    conclude: { status: diagnosed, severity: high, diagnosis: "crash loop" }
  - id: old
    conclude: { status: resolved, diagnosis: "stable" }
  - id: unknown
    conclude: { status: inconclusive, diagnosis: "cannot read uptime" }
"#;
    Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["check", "runbook.yaml"])
        .status(3)
        .stderr_contains("RB311")
        .stderr_contains(r#"`vars.up < "5m"` orders durations as text"#)
        .stderr_contains(r#"give the capture `up` a `type: duration`, or write `vars.up | milliseconds < "5m"`"#);
    let typed = yaml.replace(r"regex: 'up (\S+),' }", r"regex: 'up (\S+),', type: duration }");
    assert_eq!(path(&run(&typed, &[]).status(0).events()), ["up", "old"]);
}

/// review-10-attack5 H9: `| max` over versions read from JSON gave
/// "1.9.8" (text order), and the newest node was told to "upgrade". The
/// run stops; `| map('version')` orders them as versions.
#[test]
fn versions_in_a_list_are_not_ordered_as_text() {
    let server = serving(&[(
        "/nodes",
        r#"{"nodes":[{"name":"n1","version":"1.10.2"},{"name":"n2","version":"1.9.8"}],"running":"1.10.2"}"#,
    )]);
    let capture = r#"versions: { json: "$.nodes[*].version" }, running: { json: $.running }"#;
    assert_cases(
        &server.url("/nodes"),
        "{{ vars.running }}",
        &[
            (
                capture,
                "vars.running == (vars.versions | max)",
                Then::Stops(
                    r#"`| max` orders strings that read as versions ("1.10.2", "1.9.8") as text, where "1.10.2" comes before "1.9.8"; order them as versions: `| map('version') | max`"#,
                ),
            ),
            (
                capture,
                "vars.running == (vars.versions | sort | last)",
                Then::Stops("`| sort` orders strings that read as versions"),
            ),
            (
                capture,
                "vars.running == (vars.versions | map('version') | max)",
                Then::Stops(r#"`vars.running == vars.versions | map("version") | max` compares a string with a list"#),
            ),
            (
                capture,
                "(vars.running | version) == (vars.versions | map('version') | max)",
                Then::Concludes("yes: 1.10.2"),
            ),
        ],
    );
}

/// review-10-attack5 H12: Prometheus writes a ratio over no traffic as
/// `"NaN"`; `| float` read it as NaN (greater than 0.05: "roll back") and
/// `| int` as 0 ("not the app"). Both stop, as `type: float` refuses it.
#[test]
fn nan_is_not_read_as_a_number_by_the_filters() {
    let server = serving(&[("/prom", r#"{"status":"success","data":{"result":[{"value":[1732975200.0,"NaN"]}]}}"#)]);
    let capture = r#"r: { json: "$.data.result[0].value[1]" }"#;
    assert_cases(
        &server.url("/prom"),
        "5xx ratio {{ vars.r }}",
        &[
            (capture, "(vars.r | float) > 0.05", Then::Stops(r#"`| float` got "NaN", which is not a finite number"#)),
            (capture, "(vars.r | int) < 10", Then::Stops(r#"`| int` got "NaN", which is not a finite number"#)),
            (
                capture,
                r#"("10.9" | int) < 10"#,
                Then::Stops(r#"`| int` would cut "10.9" to 10; read it with `| float`"#),
            ),
        ],
    );
}

/// review-10-attack5 H2: `ne: ""` over a JSON `null` held, so "the
/// incident has an owner: nothing to do" when nobody owned it. It is a
/// `type_mismatch` the step routes by its kind (unrouted, it stops the
/// run: attack3 N7); `not_in: [null, ""]` says
/// what null means and fails.
#[test]
fn ne_over_a_json_null_is_a_type_mismatch() {
    let server = serving(&[("/incident", r#"{"owner":null,"title":"db down"}"#)]);
    let yaml = |predicate: &str| {
        format!(
            r#"
id: owner
title: does the incident have an owner
steps:
  - id: owner
    check:
      http: {{ url: "{}" }}
      expect:
        - status: 200
        - json: $.owner
          {predicate}
    on:
      pass: owned
      fail: unowned
      error: [ {{ when: 'result.error.kind == "type_mismatch"', goto: cant }}, {{ goto: cant }} ]
  - id: owned
    conclude: {{ status: resolved, diagnosis: "owned: nothing to do" }}
  - id: unowned
    conclude: {{ status: escalated, severity: high, diagnosis: "nobody owns it: page the IC" }}
  - id: cant
    conclude: {{ status: inconclusive, diagnosis: "{{{{ steps.owner.error.message }}}}" }}
"#,
            server.url("/incident")
        )
    };
    for predicate in [r#"ne: """#, r#"not_in: ["", unassigned]"#] {
        let events = run(&yaml(predicate), &[]).status(0).events();
        let step = of(&events, "step_finished")[0];
        assert_eq!((step["outcome"].as_str(), step["error"]["kind"].as_str()), (Some("error"), Some("type_mismatch")));
        assert!(diagnosis(&events).starts_with("`json $.owner` is null, and "), "{}", diagnosis(&events));
    }
    let about_null = run(&yaml(r#"not_in: [null, ""]"#), &[]).status(0).events();
    assert_eq!(path(&about_null), ["owner", "unowned"]);
}

/// review-10-attack5 H8: a JSONPath filter ordering against a quoted
/// number orders text ("1200" before "500"), so a lagging replica was not
/// selected: "fail over to any". `check` refuses it (RB310), and so does
/// the run before it starts.
#[test]
fn a_jsonpath_filter_ordering_a_quoted_number_is_refused() {
    let yaml = r#"
id: lag
title: any replica lagging more than 500
steps:
  - id: c
    check:
      http: { url: "http://127.0.0.1:9/replicas" }
      expect:
        - status: 200
        - json: '$.replicas[?@.lag > "500"].name'
          exists: false
    on: { pass: in-sync, fail: behind, error: cant }
  - id: in-sync
    conclude: { status: resolved, diagnosis: "fail over to any" }
  - id: behind
    conclude: { status: diagnosed, severity: high, diagnosis: "a replica lags" }
  - id: cant
    conclude: { status: inconclusive, diagnosis: "cannot read replicas" }
"#;
    Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["check", "runbook.yaml"])
        .status(3)
        .stderr_contains("RB310")
        .stderr_contains(r#"a JSONPath filter orders against the text "500""#)
        .stderr_contains("write the number without quotes (`500`)");
    run(yaml, &[]).status(3).stderr_contains(r#"a JSONPath filter orders against the text "500""#);
}

/// review-10-attack5 L14: `| first` of a `stdout` capture took its first
/// character ("p"), so "no canary in front" for a list whose first line is
/// the canary. The run stops with the split that gives the lines.
#[test]
fn first_and_last_of_text_are_refused() {
    let yaml = r#"
id: canary
title: is the canary in front
steps:
  - id: pods
    collect:
      cmd: { sh: "printf 'pod/web-canary\npod/web-1\n'" }
      capture:
        pods: { stdout: true }
    next:
      - when: (vars.pods | first) == "pod/web-canary"
        goto: canary
      - goto: none
  - id: canary
    conclude: { status: diagnosed, diagnosis: "the canary is in front: roll it back" }
  - id: none
    conclude: { status: resolved, diagnosis: "no canary in front: nothing to roll back" }
"#;
    run(yaml, &[]).status(4).stderr_contains(
        r#"`| first` of the string "pod/web-canary\npod/web-1" would take its first character; for its first line or item, split it first: `| split('\n') | first`"#,
    );
    let last = yaml.replace("(vars.pods | first)", "(vars.pods | last)");
    run(&last, &[]).status(4).stderr_contains("`| last` of the string");
    let split = yaml.replace("(vars.pods | first)", r"(vars.pods | split('\n') | first)");
    assert_eq!(path(&run(&split, &[]).status(0).events()), ["pods", "canary"]);
}

/// review-10-attack5 L17: a `list` input given as `500,503` held strings
/// where its default `[500, 502]` holds numbers, so `result.status in
/// inputs.crash_codes` stopped the run only when the operator overrode
/// it. Its items now take the default's type; an item that cannot is
/// refused before the run.
#[test]
fn a_list_input_given_as_text_holds_numbers_like_its_default() {
    let server = Server::start(|_, stream| respond(stream, "503 Service Unavailable", &[], b"down"));
    let yaml = format!(
        r#"
id: crash
title: did the service crash
inputs:
  crash_codes: {{ type: list, default: [500, 502] }}
steps:
  - id: api
    check:
      http: {{ url: "{}" }}
      expect: [ {{ status: 200 }} ]
    on:
      pass: fine
      fail:
        - when: result.status in inputs.crash_codes
          goto: crashed
        - goto: fine
      error: fine
  - id: crashed
    conclude: {{ status: diagnosed, severity: high, diagnosis: "crashed ({{{{ steps.api.status }}}})" }}
  - id: fine
    conclude: {{ status: resolved, diagnosis: "not a crash" }}
"#,
        server.url("/")
    );
    assert_eq!(path(&run(&yaml, &[]).status(0).events()), ["api", "fine"]);
    let given = run(&yaml, &["-i", "crash_codes=500,503"]).status(0);
    assert_eq!(diagnosis(&given.events()), "crashed (503)");
    run(&yaml, &["-i", "crash_codes=500,5xx"])
        .status(2)
        .stderr_contains(r#""5xx" is not like the items of the default [500,502]: the list holds numbers"#);
}

/// review-10-attack6 H4: `"down" in vars.states` over a `foreach` capture
/// holding none (the host whose output the regex could not read) was
/// false: "all hosts up". The run stops naming the item; found, the value
/// is there whatever the none stands for, and routing none first works.
#[test]
fn in_over_a_list_holding_none_stops_unless_found() {
    let yaml = r#"
id: fe01
title: any host down
steps:
  - id: hosts
    check:
      foreach: ["web1", "web2", "web3"]
      cmd: { sh: "case {{ item }} in web1) echo 'state=up';; web2) echo 'State: DOWN';; web3) echo 'state=up';; esac" }
      expect: [ { exit_code: 0 } ]
      capture:
        states: { regex: 'state=(\w+)' }
    on:
      pass:
        - when: '"down" in vars.states'
          goto: down
        - goto: allup
      fail: cant
      error: cant
  - id: down
    conclude: { status: diagnosed, severity: high, diagnosis: "a host is down" }
  - id: allup
    conclude: { status: resolved, diagnosis: "all hosts up: look elsewhere" }
  - id: cant
    conclude: { status: inconclusive, diagnosis: "cannot read a host's state" }
"#;
    run(yaml, &[]).status(4).stderr_contains(
        r#"`"down" in vars.states` looks for the string "down" in a list holding none (item 2 of `vars.states`"#,
    );
    let routed = yaml.replace(
        "        - when: '\"down\" in vars.states'",
        "        - when: none in vars.states\n          goto: cant\n        - when: '\"down\" in vars.states'",
    );
    assert_eq!(path(&run(&routed, &[]).status(0).events()), ["hosts", "cant"]);
    let found = yaml.replace("web1) echo 'state=up'", "web1) echo 'state=down'");
    assert_eq!(path(&run(&found, &[]).status(0).events()), ["hosts", "down"]);
}

/// review-10-attack7 H11: `| lower` over a JSON null is the text "none",
/// which the none guards no longer see: `(owner | lower) != "sre"` took the
/// "owned by another team" branch. A text filter (or `~`) over none, or
/// over a list holding none, stops naming the value; a fallback written
/// for none, or none routed first, goes on.
#[test]
fn text_filters_over_none_stop_naming_the_value() {
    let server = serving(&[("/inc", r#"{"owner": null, "states": ["up", null, "up"], "team": "SRE"}"#)]);
    let owner = "`steps.c.json.owner` is none (a JSON null, an input without a value, or a fact of a step that got no answer), and `| lower` would make it the text \"none\", which no none test sees";
    assert_cases(
        &server.url("/inc"),
        "x",
        &[
            ("team: { json: $.team }", r#"(steps.c.json.owner | lower) != "sre""#, Then::Stops(owner)),
            ("team: { json: $.team }", r#"(steps.c.json.owner ~ "") != "sre""#, Then::Stops("`~` would make it")),
            (
                "team: { json: $.team }",
                r#"'"down" in (steps.c.json.states | map("lower") | list)'"#,
                Then::Stops(
                    "`steps.c.json.states` holds none (item 2 of `steps.c.json.states`: a JSON null, nothing captured, or a probe without an answer), and `| map(\"lower\")` would make it",
                ),
            ),
            ("team: { json: $.team }", r#"'"down" in (steps.c.json.states | join(","))'"#, Then::Stops("`| join`")),
            ("team: { json: $.team }", r#"(vars.team | lower) == "sre""#, Then::Concludes("yes: x")),
            (
                "team: { json: $.team }",
                r#"(steps.c.json.owner | default("nobody", true) | lower) == "sre""#,
                Then::Concludes("no: x"),
            ),
            (
                "team: { json: $.team }",
                r#"steps.c.json.owner is none or (steps.c.json.owner | lower) != "sre""#,
                Then::Concludes("yes: x"),
            ),
        ],
    );
}

/// review-10-attack6 H1: sizes and percentages kept as text were ordered
/// as text: redis-cli's `used_memory_human:941.29K` > `"512M"` held
/// ("evict keys"), df's `"100%" >= "90%"` did not ("not the disk"). The
/// run stops as for durations and versions, and the number captured
/// alone orders as a number.
#[test]
fn numbers_with_a_unit_written_as_text_are_not_ordered_as_text() {
    let server = serving(&[("/mem", r#"{"used": "941.29K", "use": "100%", "used_bytes": 963880, "pct": "100"}"#)]);
    assert_cases(
        &server.url("/mem"),
        "{{ vars.used }}",
        &[
            (
                "used: { json: $.used }",
                r#"vars.used > "512M""#,
                Then::Stops(
                    r#"`vars.used > "512M"` orders numbers with a unit as text ("100%" comes before "90%"): `vars.used` is the string "941.29K", `"512M"` is the string "512M"; capture the number alone in one unit, with `type: float`"#,
                ),
            ),
            (
                "used: { json: $.use }",
                r#"vars.used >= "90%""#,
                Then::Stops("`vars.used >= \"90%\"` orders numbers with a unit as text"),
            ),
            ("used: { json: $.used_bytes }", "vars.used > 512 * 1024 * 1024", Then::Concludes("no: 963880")),
            ("used: { json: $.pct, type: float }", "vars.used >= 90", Then::Concludes("yes: 100.0")),
            ("used: { json: $.used }", r#"vars.used == "941.29K""#, Then::Concludes("yes: 941.29K")),
        ],
    );
}

/// review-10-attack7 H15: a text capture is no condition: `when: vars.en`
/// over "disabled" took the "feature ON" branch, since every non-empty
/// string is true. It stops naming the text and the fixes; a JSON boolean,
/// a `type: bool` capture and a comparison of the text route.
#[test]
fn text_that_came_with_an_answer_is_no_condition() {
    let server = serving(&[("/flags", r#"{"en": "disabled", "on": true, "typed": "true"}"#)]);
    let stop =
        "`vars.en` gave the string \"disabled\", and text is no condition: every non-empty string counts as true";
    assert_cases(
        &server.url("/flags"),
        "x",
        &[
            ("en: { json: $.en }", "vars.en", Then::Stops(stop)),
            (
                "en: { json: $.en }",
                "result.json.on and vars.en",
                Then::Stops("`vars.en` gave the string \"disabled\", and text is no condition"),
            ),
            ("en: { json: $.en }", "steps.c.json.en", Then::Stops("`steps.c.json.en` gave the string \"disabled\"")),
            ("en: { json: $.en }", r#"vars.en == "enabled""#, Then::Concludes("no: x")),
            ("en: { json: $.on }", "vars.en", Then::Concludes("yes: x")),
            ("en: { json: $.typed, type: bool }", "vars.en", Then::Concludes("yes: x")),
        ],
    );
}

/// fx10b's H15 gap: text was no condition as a whole `when`, but as an
/// operand of `and`, `or` or `not` it still read as true (`vars.en and
/// result.json.on` took the "feature ON" branch on "disabled"). It stops
/// there too; an `or` giving a value to compare keeps its reading.
#[test]
fn text_that_came_with_an_answer_is_no_operand_of_and_or_not() {
    let server = serving(&[("/flags", r#"{"en": "disabled", "on": true, "typed": "true"}"#)]);
    let stop = |name: &str, text: &str| format!("`{name}` gave the string \"{text}\", and text is no condition");
    assert_cases(
        &server.url("/flags"),
        "x",
        &[
            ("en: { json: $.en }", "vars.en and result.json.on", Then::Stops(&stop("vars.en", "disabled"))),
            ("en: { json: $.en }", "not vars.en", Then::Stops(&stop("vars.en", "disabled"))),
            ("en: { json: $.typed }", "vars.en or not result.json.on", Then::Stops(&stop("vars.en", "true"))),
            (
                "en: { json: $.typed }",
                "result.json.on and not (false or vars.en)",
                Then::Stops(&stop("vars.en", "true")),
            ),
            ("en: { json: $.en }", r#"(vars.en or "") != "" and result.json.on"#, Then::Concludes("yes: x")),
            ("en: { json: $.typed, type: bool }", "vars.en and result.json.on", Then::Concludes("yes: x")),
            ("en: { json: $.on }", "not vars.en or false", Then::Concludes("no: x")),
        ],
    );
}

/// review-10-attack7 H6: a JSON uptime "5m" against the bare number 10
/// was read as 300000 milliseconds, not less than 10: "not a restart
/// loop". A duration that came with the answer beside a bare number stops
/// naming both; with the unit written, or against a duration fact, it
/// compares as milliseconds.
#[test]
fn a_duration_from_an_answer_beside_a_bare_number_stops() {
    let server = serving(&[("/up", r#"{"uptime": "5m", "lat": "250ms"}"#)]);
    assert_cases(
        &server.url("/up"),
        "up {{ vars.up }}",
        &[
            (
                "up: { json: $.uptime }",
                "vars.up < 10",
                Then::Stops(
                    r#"`vars.up < 10` compares a string with a number: `vars.up` is the string "5m", a duration with units, and `10` is the number 10, a bare number that says no unit; give the unit: `vars.up | milliseconds < "10m"`"#,
                ),
            ),
            ("up: { json: $.lat }", "vars.up == 250", Then::Stops("`vars.up` is the string \"250ms\", a duration")),
            ("up: { json: $.lat }", "result.json.lat > 200", Then::Stops("`result.json.lat > 200` compares a string")),
            ("up: { json: $.uptime }", r#"vars.up | milliseconds < "10m""#, Then::Concludes("yes: up 5m")),
            ("up: { json: $.uptime, type: duration }", r#"vars.up < "10m""#, Then::Concludes("yes: up 300000")),
            ("up: { json: $.uptime }", "steps.c.duration < vars.up", Then::Concludes("yes: up 5m")),
        ],
    );
}

/// review-10-attack6 H9: `| length` of a text capture counted characters:
/// two pods read as 19, "19 pods: scale down". In a condition, text of
/// several lines is refused with the split that counts lines; a list, a
/// one-line text and a diagnosis count as before.
#[test]
fn the_length_of_text_of_several_lines_is_refused_in_a_condition() {
    let server = serving(&[("/pods", "pod/web-1\npod/web-2\n")]);
    assert_cases(
        &server.url("/pods"),
        "{{ vars.pods | length }}",
        &[
            (
                "pods: { body: true }",
                "(vars.pods | length) > 5",
                Then::Stops(
                    r#"`| length` of the string "pod/web-1\npod/web-2" would count its 19 characters, not its 2 lines; for its lines, split it first: `| split('\n') | length`"#,
                ),
            ),
            ("pods: { body: true }", "(vars.pods | count) > 5", Then::Stops("would count its 19 characters")),
            ("pods: { body: true }", r#"(vars.pods | split("\n") | length) > 1"#, Then::Concludes("yes: 19")),
            ("pods: { body: true }", "(vars.pods | list | length) > 5", Then::Concludes("yes: 19")),
            ("pods: { regex: '(pod/\\S+)' }", "(vars.pods | length) > 5", Then::Concludes("yes: 9")),
        ],
    );
}
