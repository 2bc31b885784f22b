//! `graph`, `render`, `new`, `completions` and `man`: what authors and
//! reviewers read. Graphs go through the real renderers: Graphviz's `dot`
//! and Mermaid in headless Chromium (`.ci/run` installs both).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Test, workspace};

/// The command that brings `docs/runbooks/` up to date.
const REGENERATE: &str = "cargo run -p runbook-cli -- render runbooks --output docs/runbooks";

const BRANCHING: &str = "\
id: branching
title: Branching
steps:
  - id: probe
    check:
      cmd: { argv: [\"true\"] }
      expect: [ { exit_code: 0 } ]
    on: { pass: ask, fail: broken, error: broken }
  - id: ask
    ask: { question: \"Is it \\\"fine\\\" | ok?\", type: confirm }
    on: { yes: fine, no: after }
  - id: after
    instruct: { text: Look around. }
  - id: broken
    conclude: { status: diagnosed, severity: critical, diagnosis: broken }
  - id: fine
    conclude: { status: resolved, severity: info, diagnosis: fine }
";

#[test]
fn mermaid_and_dot_of_the_branches_example() {
    let mermaid = Test::new().args(["graph", "examples/branches.yaml"]).status(0).stdout;
    insta::assert_snapshot!("graph_branches_mermaid", mermaid);
    let dot = Test::new().args(["graph", "--format", "dot", "examples/branches.yaml"]).status(0).stdout;
    insta::assert_snapshot!("graph_branches_dot", dot);
}

#[test]
fn shapes_by_kind_colours_by_severity_and_labels_made_safe() {
    let output = Test::new().args(["graph", "g.yaml"]).files(&[("g.yaml", BRANCHING.as_bytes())]).status(0);
    let text = output.stdout;
    for line in [
        "  s_probe[\"probe\"]",
        "  s_ask{\"ask<br/>Is it #quot;fine#quot; #124; ok?\"}",
        "  s_after>\"after\"]",
        "  s_broken([\"broken<br/>diagnosed, critical\"])",
        "  s_ask -->|\"answer yes\"| s_fine",
        "  s_after -->|\"then\"| s_broken",
        "  s_probe -->|\"fail / error\"| s_broken",
        "  class s_broken critical",
        "  class s_fine info",
    ] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
    }
}

/// Node ids declared in a Mermaid flowchart, and those some edge touches.
fn mermaid_nodes_and_linked(text: &str) -> (Vec<String>, Vec<String>) {
    let mut nodes = Vec::new();
    let mut linked = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some((from, rest)) = line.split_once(" -->|") {
            linked.push(from.to_owned());
            linked.push(rest.rsplit(' ').next().unwrap_or_default().to_owned());
        } else if let Some(end) = line.find(['[', '{', '(', '>'])
            && !line.starts_with("class")
            && !line.starts_with("linkStyle")
            && !line.starts_with("flowchart")
        {
            nodes.push(line[..end].to_owned());
        }
    }
    (nodes, linked)
}

#[test]
fn no_graph_has_an_orphan_node() {
    for path in crate::examples::yaml_files() {
        let text = Test::new().args(["graph".as_ref(), path.as_os_str()]).status(0).stdout;
        let (nodes, linked) = mermaid_nodes_and_linked(&text);
        assert!(!nodes.is_empty(), "{}: no nodes in\n{text}", path.display());
        for node in nodes {
            assert!(linked.contains(&node), "{}: `{node}` has no edge\n{text}", path.display());
        }
    }
}

#[test]
fn the_record_graph_has_no_orphan_end_node() {
    let output = Test::new()
        .args(["run", "g.yaml", "--non-interactive", "--answer", "ask=yes", "--record-dir", "rec"])
        .files(&[("g.yaml", BRANCHING.as_bytes())])
        .status(0);
    let record = std::fs::read_to_string(output.path("rec/record.md")).expect("record.md");
    let graph = record.split("```mermaid").nth(1).and_then(|rest| rest.split("```").next()).expect("a graph");
    let (nodes, linked) = mermaid_nodes_and_linked(graph);
    for node in nodes {
        assert!(linked.contains(&node), "`{node}` has no edge\n{graph}");
    }
}

#[test]
fn a_recorded_run_is_highlighted() {
    let output = Test::new()
        .args(["run", "g.yaml", "--non-interactive", "--answer", "ask=no", "--record-dir", "rec"])
        .files(&[("g.yaml", BRANCHING.as_bytes())])
        .status(0);
    let dir = output.path("");
    let graph = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(&dir)
        .args(["graph", "g.yaml", "--record", "rec"])
        .output()
        .expect("runs");
    assert!(graph.status.success(), "{}", String::from_utf8_lossy(&graph.stderr));
    let text = String::from_utf8_lossy(&graph.stdout);
    assert!(text.contains("  class s_probe,s_ask,s_after,s_broken visited\n"), "{text}");
    // probe→ask is link 0, ask→after (answer no) link 3, after→broken link 4.
    assert!(text.contains("  linkStyle 0,3,4 stroke:#4a148c,stroke-width:4px\n"), "{text}");
    // record.md draws the same picture, with the same writer.
    let record = std::fs::read_to_string(dir.join("rec/record.md")).expect("record.md");
    let drawn = record.split("```mermaid\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a graph");
    assert_eq!(drawn, text, "record.md and `runbook graph --record` differ");
    let other = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(workspace())
        .args(["graph", "examples/branches.yaml", "--record"])
        .arg(dir.join("rec"))
        .output()
        .expect("runs");
    assert_eq!(other.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&other.stderr)
            .contains("records a run of runbook `branching`, not of `example-branches`")
    );
    assert!(graph.stderr.is_empty(), "{}", String::from_utf8_lossy(&graph.stderr));
    // Edited since the run: drawn, with a warning that the path may not be
    // the one taken (edge ids move when a `when` chain is edited).
    std::fs::write(dir.join("g.yaml"), format!("{BRANCHING}# edited\n")).unwrap();
    let edited = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(&dir)
        .args(["graph", "g.yaml", "--record", "rec"])
        .output()
        .expect("runs");
    assert!(edited.status.success());
    assert!(
        String::from_utf8_lossy(&edited.stderr).contains("warning: `g.yaml` changed since the run recorded in `rec`"),
        "{}",
        String::from_utf8_lossy(&edited.stderr)
    );
    // A journal that holds no run says so.
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    std::fs::write(dir.join("empty/journal.jsonl"), "").unwrap();
    let empty = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(&dir)
        .args(["graph", "g.yaml", "--record", "empty"])
        .output()
        .expect("runs");
    assert_eq!(empty.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&empty.stderr).contains("holds no run: its journal has no `run_started`"),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );
}

/// A run resumed with a changed text (`--allow-changed`) is drawn on the
/// text it went on with, which the record keeps: no warning that the
/// runbook changed, and each transition on its edge, the one taken under
/// the earlier text matched by its steps and label.
#[test]
fn a_run_resumed_with_a_changed_text_is_highlighted_on_the_text_it_went_on_with() {
    let before = "id: changing\ntitle: Changing\nsteps:\n  - id: first\n    ask: { question: \"Start?\", choices: [ { \
                  answer: go } ] }\n    on: { go: q }\n  - id: q\n    ask: { question: \"Go?\", choices: [ { answer: go } \
                  ] }\n    on: { go: done }\n  - id: done\n    conclude: { status: resolved }\n";
    let after = before.replace(
        "    on: { go: done }\n",
        "    on: { go: extra }\n  - id: extra\n    ask: { question: \"Sure?\", choices: [ { answer: sure } ] }\n    \
         on: { sure: done }\n",
    );
    let output = Test::new()
        .files(&[("g.yaml", before.as_bytes())])
        .args(["run", "g.yaml", "--non-interactive", "--answer", "first=go", "--record-dir", "rec"])
        .status(5);
    std::fs::write(output.path("g.yaml"), &after).unwrap();
    let rec = output.path("rec");
    let resume = ["resume", rec.to_str().unwrap(), "--non-interactive", "--allow-changed"];
    Test::new().args(resume).args(["--answer", "q=go", "--answer", "extra=sure"]).status(0);
    let graph = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(output.path(""))
        .args(["graph", "g.yaml", "--record", "rec"])
        .output()
        .expect("runs");
    assert!(graph.status.success() && graph.stderr.is_empty(), "{}", String::from_utf8_lossy(&graph.stderr));
    let text = String::from_utf8_lossy(&graph.stdout);
    // first→q (under the first text), q→extra and extra→done (under the
    // changed one): links 0, 1 and 2 of the text as it is now.
    assert!(text.contains("  linkStyle 0,1,2 stroke:#4a148c,stroke-width:4px\n"), "{text}");
    assert!(text.contains("  class s_first,s_q,s_extra,s_done visited\n"), "{text}");
}

/// A `dot` still laying out at `--timeout` is stopped (its process gone),
/// and `graph` says so with the ways on, exit 1.
#[test]
fn svg_stops_a_dot_that_lays_out_too_long() {
    use std::os::unix::fs::PermissionsExt as _;
    let bin = crate::Scratch::new();
    let pid_file = bin.path().join("dot.pid");
    let dot = bin.path().join("dot");
    std::fs::write(&dot, format!("#!/bin/sh\necho $$ > '{}'\nexec sleep 30\n", pid_file.display())).expect("write");
    std::fs::set_permissions(&dot, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    let started = std::time::Instant::now();
    Test::new()
        .env("PATH", &path)
        .args(["graph", "--format", "svg", "--timeout", "1s", "examples/branches.yaml"])
        .status(1)
        .stderr_contains("Graphviz's `dot` did not lay out the graph (")
        .stderr_contains("within 1s; it was stopped. Give it longer with `--timeout 10m`, or write `--format dot`");
    assert!(started.elapsed() < std::time::Duration::from_secs(25), "waited for dot to end by itself");
    let pid = std::fs::read_to_string(&pid_file).expect("dot ran");
    assert!(!Path::new(&format!("/proc/{}", pid.trim())).exists(), "dot {pid} still runs");
}

#[test]
fn svg_without_graphviz_says_how_to_get_it() {
    let empty = crate::Scratch::new();
    Test::new()
        .env("PATH", empty.path().to_str().expect("utf-8 path"))
        .args(["graph", "--format", "svg", "examples/branches.yaml"])
        .status(1)
        .stderr_contains("`--format svg` needs Graphviz's `dot` on PATH")
        .stderr_contains("--format dot");
}

#[test]
fn a_graph_near_mermaids_limits_comes_with_a_warning() {
    let mut yaml = String::from("id: big\ntitle: Big\nsteps:\n");
    for i in 0..450 {
        let _ = write!(yaml, "  - id: s{i}\n    instruct: {{ text: t }}\n");
    }
    yaml.push_str("  - id: done\n    conclude: { status: resolved }\n");
    let output = Test::new().args(["graph", "big.yaml"]).files(&[("big.yaml", yaml.as_bytes())]).status(0);
    assert!(output.stderr.contains("450 edges") && output.stderr.contains("--format dot"), "{}", output.stderr);
    let small = Test::new().args(["graph", "examples/branches.yaml"]).status(0);
    assert_eq!(small.stderr, "");
    // `render` embeds the same map, and says so too.
    let rendered = Test::new().args(["render", "big.yaml"]).files(&[("big.yaml", yaml.as_bytes())]).status(0);
    assert!(
        rendered.stderr.contains("warning: the map in `big.yaml`'s document: the Mermaid diagram has")
            && rendered.stderr.contains("450 edges"),
        "{}",
        rendered.stderr
    );
    assert!(rendered.stdout.contains("## Map\n\n> The map below: the Mermaid diagram has"), "the document says it too");
    // DOT is what is suggested, never SVG, which needs Graphviz installed
    // (i12b's gap).
    assert!(rendered.stdout.contains("(`runbook graph --format dot big.yaml`)"), "{}", rendered.stdout);
    for said in [&output.stderr, &rendered.stderr, &rendered.stdout] {
        assert!(!said.contains("--format svg"), "{said}");
    }
}

/// `start:` names where a run begins: the document sends the reader
/// there, and the graph declares that step first, so that it is drawn on
/// top, not the remediation written above it.
#[test]
fn render_and_graph_begin_where_start_says() {
    let yaml = "id: start\ntitle: Start elsewhere\nstart: real-start\nsteps:\n  - id: cleanup\n    action:\n      \
                confirm: Restart everything\n      cmd: { argv: [echo, restart] }\n    next: done\n  - id: real-start\n    \
                check:\n      http: { url: \"http://127.0.0.1:9/\" }\n      expect: [ { status: 200 } ]\n    on: { pass: \
                done, fail: cleanup, error: cleanup }\n  - id: done\n    conclude: { status: resolved }\n";
    let files: [(&str, &[u8]); 1] = [("start.yaml", yaml.as_bytes())];
    let document = Test::new().args(["render", "start.yaml"]).files(&files).status(0).stdout;
    assert!(
        document.contains(
            "Start at [`real-start`](#step-real-start) (the runbook's `start:`, not the first step listed) and follow"
        ),
        "{document}"
    );
    let mermaid = Test::new().args(["graph", "start.yaml"]).files(&files).status(0).stdout;
    assert_eq!(mermaid.lines().nth(1), Some("  s_real_start[\"real-start\"]"), "{mermaid}");
    let plain = Test::new().args(["render", "examples/branches.yaml"]).status(0).stdout;
    assert!(plain.contains("Start at the first step and follow"), "{plain}");
}

/// What `render` shows a reader to run by hand behaves as the probe does,
/// and the values it quotes are the values the runbook holds.
#[test]
fn render_shows_commands_that_behave_as_the_probes_and_values_as_written() {
    let yaml = r#"id: by-hand
title: By hand
inputs:
  d: { type: number, default: 3, description: plain }
steps:
  - id: head
    check: { http: { url: "http://127.0.0.1:9/", method: HEAD }, expect: [ { status: 200 } ] }
    on: { pass: post, fail: post, error: post }
  - id: post
    check: { http: { url: "http://127.0.0.1:9/p", method: POST, body: "a=1", timeout: 2s }, expect: [ { status: 200 } ] }
    on: { pass: q, fail: q, error: q }
  - id: q
    ask: { type: number, question: "how many?", default: 0, min: 0, max: 9 }
    next: fenced
  - id: fenced
    collect: { cmd: { argv: [cat], stdin: "line\n```\n~~~~\n# Injected\n" } }
    next: done
  - id: done
    conclude: { status: resolved }
"#;
    let document = Test::new().args(["render", "h.yaml"]).files(&[("h.yaml", yaml.as_bytes())]).status(0).stdout;
    for part in [
        "curl -sS -L -I --max-time 10 -w",
        "curl -sS -L -H Content-Type: --data-raw a=1 --max-time 2 -w",
        "| `d` | plain | `3` | — |",
        "If unsure: `0`.",
        "`````\nline\n```\n~~~~\n# Injected\n`````",
    ] {
        assert!(document.contains(part), "missing {part:?} in\n{document}");
    }
    assert!(!document.contains("-X HEAD") && !document.contains("-X POST"), "{document}");
}

#[test]
fn a_runbook_that_does_not_load_is_reported() {
    Test::new().args(["graph", "bad.yaml"]).files(&[("bad.yaml", b"id: [\n")]).status(3).stderr_contains("bad.yaml:");
    Test::new()
        .args(["render", "bad.yaml"])
        .files(&[("bad.yaml", b"id: x\ntitle: X\nsteps:\n  - id: a\n    next: nowhere\n    instruct: { text: t }\n")])
        .status(3)
        .stderr_contains("unknown step `nowhere`");
    // `graph` draws it, to show where it is wrong, and still fails.
    let graph = Test::new()
        .args(["graph", "bad.yaml"])
        .files(&[("bad.yaml", b"id: x\ntitle: X\nsteps:\n  - id: a\n    next: nowhere\n    instruct: { text: t }\n")])
        .status(3)
        .stderr_contains("unknown step `nowhere`");
    assert!(graph.stdout.contains("missing_nowhere"), "{}", graph.stdout);
}

/// A renderer's command, or `None` (and a note) when it is missing and the
/// run does not require it; `.ci/run` sets `RUNBOOK_REQUIRE_RENDERERS`.
// The note is the only way a skipped check can say so in `cargo test`.
#[allow(clippy::print_stderr)]
fn renderer(name: &str, path: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(path) = path.filter(|p| p.exists()) {
        return Some(path);
    }
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|p| p.is_file()));
    if found.is_none() {
        assert!(
            std::env::var_os("RUNBOOK_REQUIRE_RENDERERS").is_none(),
            "`{name}` is required (RUNBOOK_REQUIRE_RENDERERS) but missing: run .ci/run's setup"
        );
        eprintln!("note: `{name}` is not installed; skipping the real-renderer check (.ci/run installs it)");
    }
    found
}

#[test]
fn graphviz_draws_every_example_and_runbook() {
    let Some(dot) = renderer("dot", None) else { return };
    for path in crate::examples::yaml_files() {
        let text =
            Test::new().args(["graph".as_ref(), "--format".as_ref(), "dot".as_ref(), path.as_os_str()]).status(0);
        let svg = pipe(Command::new(&dot).arg("-Tsvg"), &text.stdout);
        assert!(svg.contains("</svg>"), "{}: {svg}", path.display());
        let runbook: serde_json::Value =
            serde_saphyr::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("yaml");
        for step in runbook["steps"].as_array().expect("steps") {
            let id = step["id"].as_str().expect("id").replace('-', "_");
            assert!(svg.contains(&format!("id=\"s_{id}\"")), "{}: node s_{id} not drawn", path.display());
        }
    }
    let svg = Test::new().args(["graph", "--format", "svg", "examples/branches.yaml"]).status(0).stdout;
    assert!(svg.contains("<svg") && svg.contains("id=\"s_healthz\""), "{svg}");
}

#[test]
fn mermaid_draws_every_example_runbook_and_record_graph() {
    let local = workspace().join("target/mermaid-cli/node_modules/.bin/mmdc");
    let Some(mmdc) = renderer("mmdc", std::env::var_os("RUNBOOK_MMDC").map(PathBuf::from).or(Some(local))) else {
        return;
    };
    let dir = crate::Scratch::new();
    let mut document = String::from("# Every graph\n\n");
    let mut count = 0;
    for path in crate::examples::yaml_files() {
        let text = Test::new().args(["graph".as_ref(), path.as_os_str()]).status(0).stdout;
        let _ = write!(document, "## {}\n\n```mermaid\n{text}```\n\n", path.display());
        count += 1;
    }
    let run = Test::new()
        .args(["run", "g.yaml", "--non-interactive", "--answer", "ask=no", "--record-dir", "rec"])
        .files(&[("g.yaml", BRANCHING.as_bytes())])
        .status(0);
    let record = std::fs::read_to_string(run.path("rec/record.md")).expect("record.md");
    let graph = record.split("```mermaid").nth(1).and_then(|rest| rest.split("```").next()).expect("a graph");
    let _ = write!(document, "## record\n\n```mermaid{graph}```\n\n");
    count += 1;
    let highlighted = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(run.path(""))
        .args(["graph", "g.yaml", "--record", "rec"])
        .output()
        .expect("runs");
    let _ = write!(document, "## highlighted\n\n```mermaid\n{}```\n", String::from_utf8_lossy(&highlighted.stdout));
    count += 1;
    std::fs::write(dir.path().join("all.md"), &document).expect("write");
    let config = dir.path().join("puppeteer.json");
    let chromium = std::env::var("PUPPETEER_EXECUTABLE_PATH").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--no-first-run",
    ];
    let config_json = serde_json::json!({ "executablePath": chromium, "args": args });
    std::fs::write(&config, config_json.to_string()).expect("write");
    let output = Command::new(&mmdc)
        .current_dir(dir.path())
        .env("PUPPETEER_SKIP_DOWNLOAD", "1")
        .args(["--quiet", "-p", "puppeteer.json", "-i", "all.md", "-o", "out.md"])
        .output()
        .expect("mmdc runs");
    assert!(output.status.success(), "mermaid refused a graph:\n{}", String::from_utf8_lossy(&output.stderr));
    for index in 1..=count {
        let svg = std::fs::read_to_string(dir.path().join(format!("out-{index}.svg"))).expect("one SVG per graph");
        assert!(svg.contains("<svg") && !svg.contains("Syntax error"), "graph {index} did not render");
    }
}

/// Runs `command` with `input` on stdin; returns stdout, asserting success.
fn pipe(command: &mut Command, input: &str) -> String {
    use std::io::Write as _;
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("runs");
    writer.join().expect("writer").expect("written");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The review's runbook: a latency check with no `warn` expectation, a
/// TCP check without `expect` (it cannot warn), an action with only `next`.
const PHANTOMS: &str = "\
id: phantoms
title: Phantoms
steps:
  - id: latency
    check:
      http: { url: \"http://127.0.0.1:9/\" }
      expect: [ { duration: { lt: 500ms } } ]
    on: { pass: listening, fail: slow, error: down }
  - id: deps
    instruct: { text: Look at the dependencies. }
    next: down
  - id: listening
    check: { tcp: { host: 127.0.0.1, port: 9 } }
    on: { warn: down, error: down }
  - id: restart
    action: { cmd: { argv: [\"true\"] }, confirm: Restart it? }
    next: fine
  - id: slow
    conclude: { status: diagnosed, severity: medium }
  - id: down
    conclude: { status: diagnosed, severity: critical }
  - id: fine
    conclude: { status: resolved }
";

/// `(from, to, label)` of every edge some run can take in [`PHANTOMS`]
/// (none from `deps`, which nothing leads to).
const PHANTOM_EDGES: [(&str, &str, &str); 6] = [
    ("latency", "listening", "pass"),
    ("latency", "slow", "fail"),
    ("latency", "down", "error"),
    ("listening", "down", "error"),
    ("listening", "restart", "pass"),
    ("restart", "fine", "then"),
];

#[test]
fn graph_render_and_coverage_show_the_same_edges_and_none_that_cannot_be_taken() {
    let files: [(&str, &[u8]); 2] = [
        ("phantoms.yaml", PHANTOMS.as_bytes()),
        (
            "phantoms.test.yaml",
            b"cases:\n  - name: refused\n    observations:\n      latency: { error: refused }\n    expect: { conclusion: down }\n",
        ),
    ];
    let expected: Vec<(String, String, String)> =
        PHANTOM_EDGES.iter().map(|(from, to, label)| ((*from).into(), (*to).into(), (*label).into())).collect();
    let dot = Test::new().args(["graph", "--format", "dot", "phantoms.yaml"]).files(&files).status(0).stdout;
    let drawn: Vec<(String, String, String)> = dot
        .lines()
        .filter_map(|line| {
            let (from, rest) = line.trim().split_once(" -> ")?;
            let (to, rest) = rest.split_once(' ')?;
            let label = rest.split_once("label=\"")?.1.split_once('"')?.0;
            Some((from.trim_start_matches("s_").into(), to.trim_start_matches("s_").into(), label.into()))
        })
        .collect();
    assert_eq!(drawn, expected, "{dot}");
    let mermaid = Test::new().args(["graph", "phantoms.yaml"]).files(&files).status(0).stdout;
    let links: Vec<&str> = mermaid.lines().filter(|line| line.contains(" -->|")).collect();
    let wanted: Vec<String> =
        PHANTOM_EDGES.iter().map(|(from, to, label)| format!("  s_{from} -->|\"{label}\"| s_{to}")).collect();
    assert_eq!(links, wanted, "{mermaid}");
    let report: serde_json::Value =
        Test::new().args(["test", "--coverage-format", "json", "."]).files(&files).status(0).json();
    let file = &report["files"][0];
    let mut counted: Vec<(String, String, String)> = ["covered_edges", "not_covered"]
        .iter()
        .flat_map(|list| file[list].as_array().cloned().unwrap_or_default())
        .map(|edge| {
            let text = |key: &str| edge[key].as_str().unwrap_or_default().to_owned();
            (text("from"), text("to"), text("label"))
        })
        .collect();
    let mut sorted = expected.clone();
    counted.sort();
    sorted.sort();
    assert_eq!(counted, sorted, "{report}");
    assert_eq!((file["covered"].as_u64(), file["total"].as_u64()), (Some(1), Some(6)));
    let document = Test::new().args(["render", "phantoms.yaml"]).files(&files).status(0).stdout;
    let rows: Vec<&str> = document.lines().filter(|line| line.starts_with("| ") && line.contains("(#step-")).collect();
    assert_eq!(
        rows,
        [
            "| pass | [`listening`](#step-listening) |",
            "| fail | [`slow`](#step-slow) |",
            "| error | [`down`](#step-down) |",
            "| error | [`down`](#step-down) |",
            "| pass | [`restart`](#step-restart) |",
            "| then | [`fine`](#step-fine) |",
        ],
        "{document}"
    );
    // What only an impossible outcome led to is unreachable, and said so.
    Test::new().args(["check", "phantoms.yaml"]).files(&files).status(0).stderr_contains("step `deps` is unreachable");
}

#[test]
fn render_writes_a_document_a_person_can_follow() {
    let text = Test::new().args(["render", "examples/branches.yaml"]).status(0).stdout;
    for part in [
        "# Why does the API fail?\n",
        "| `base_url` | Service base URL | `http://127.0.0.1:8080` | — |",
        "```mermaid\nflowchart TD\n",
        "### <a id=\"step-healthz\"></a>1. `healthz`",
        "curl -sS -L --max-time 3 -w '\\n%{http_code} in %{time_total}s\\n' '{{ inputs.base_url }}/healthz'",
        "- the status is 200\n",
        "Read the table from the top: the first row that matches is the way on.\n\n| If | Go to |",
        "| fail when `result.status == 503 or result.status == 429` | [`overloaded`](#step-overloaded) |",
        "| fail otherwise | [`misrouted`](#step-misrouted) |",
        "| error otherwise | [`down`](#step-down) |",
        "### <a id=\"step-down\"></a>`down` (diagnosed, critical)",
        "**Diagnosis**: The API cannot be reached.",
    ] {
        assert!(text.contains(part), "missing {part:?} in\n{text}");
    }
    Test::new().args(["render", "examples"]).status(2).stderr_contains("give `--output DIR`");
    // A script's values are quoted when filled in: the document says so
    // where an `argv` shows them quoted already.
    let script = "id: s\ntitle: S\ninputs:\n  pidfile: { default: /run/w.pid }\nsteps:\n  - id: alive\n    \
                  check: { cmd: { sh: 'kill -0 \"$(cat {{ inputs.pidfile }})\"' }, expect: [ { exit_code: 0 } ] }\n    \
                  on: { pass: ok, fail: ok }\n  - id: ok\n    conclude: { status: resolved }\n";
    let rendered = Test::new().args(["render", "s.yaml"]).files(&[("s.yaml", script.as_bytes())]).status(0);
    assert!(
        rendered.stdout.contains("Fill in each `{{ … }}` as one shell word, quoted (`'/var/log/my app.log'`)"),
        "{}",
        rendered.stdout
    );
    assert!(rendered.stdout.contains("| `pidfile` |  | `/run/w.pid` | — |"), "{}", rendered.stdout);
    let scratch = crate::Scratch::new();
    let out = scratch.path().join("out");
    let many =
        Test::new().args(["render".as_ref(), "--output".as_ref(), out.as_os_str(), "examples".as_ref()]).status(0);
    assert!(many.stderr.starts_with("rendered ") && many.stderr.contains(" runbooks into "), "{}", many.stderr);
}

/// Two runbooks with one id, or one with the id `index`, would share a
/// document: refused, naming the files, before anything is overwritten.
#[test]
fn render_refuses_two_documents_of_one_name() {
    let one =
        |title: &str| format!("id: dup\ntitle: {title}\nsteps:\n  - id: x\n    conclude: {{ status: resolved }}\n");
    let (x, y) = (one("Dup from x"), one("Dup from y"));
    let index = "id: index\ntitle: Index\nsteps:\n  - id: x\n    conclude: { status: resolved }\n";
    Test::new()
        .args(["render", "--output", "out", "x", "y"])
        .files(&[("x/one.yaml", x.as_bytes()), ("y/one.yaml", y.as_bytes())])
        .status(2)
        .stderr_contains("both have the id `dup`, so both documents would be `dup.md`");
    Test::new()
        .args(["render", "--output", "out", "i.yaml"])
        .files(&[("i.yaml", index.as_bytes())])
        .status(2)
        .stderr_contains("has the id `index`, and `index.md` is the list of documents");
}

#[test]
fn render_into_a_directory_writes_an_index() {
    let output = Test::new()
        .args(["render", "--output", "out", "a.yaml", "b.yaml"])
        .files(&[
            (
                "a.yaml",
                b"id: a\ntitle: A | one\nsummary: Does A?\nsteps:\n  - id: x\n    conclude: { status: resolved }\n",
            ),
            ("b.yaml", b"id: b\ntitle: B\nsteps:\n  - id: x\n    conclude: { status: resolved }\n"),
        ])
        .status(0);
    let index = std::fs::read_to_string(output.path("out/index.md")).expect("index");
    assert!(index.contains("| [A \\| one](a.md) | Does A? |\n| [B](b.md) |  |\n"), "{index}");
    assert!(output.path("out/a.md").is_file() && output.path("out/b.md").is_file());
}

#[test]
fn the_rendered_runbooks_in_docs_are_up_to_date() {
    // Rendered as deep in the workspace as docs/runbooks, so that relative
    // links are rebased the same way.
    std::fs::create_dir_all(workspace().join("target")).expect("target/");
    let scratch = tempfile::tempdir_in(workspace().join("target")).expect("a directory in target/");
    let fresh = scratch.path();
    Test::new().args(["render".as_ref(), "runbooks".as_ref(), "--output".as_ref(), fresh.as_os_str()]).status(0);
    let committed = workspace().join("docs/runbooks");
    let names = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        names.sort();
        names
    };
    assert_eq!(names(&committed), names(fresh), "docs/runbooks/ is stale: run `{REGENERATE}`");
    for name in names(fresh) {
        let expected = std::fs::read_to_string(fresh.join(&name)).expect("rendered");
        let actual = std::fs::read_to_string(committed.join(&name)).unwrap_or_default();
        assert!(actual == expected, "docs/runbooks/{name} is stale: run `{REGENERATE}`");
    }
}

#[test]
fn new_writes_a_skeleton_that_checks_clean_and_is_never_overwritten() {
    let output = Test::new()
        .args(["new", "disk-full"])
        .files(&[])
        .status(0)
        .stderr_contains("wrote disk-full.yaml and its test cases disk-full.test.yaml");
    let dir = output.path("");
    let check = runbook_in(&dir, &["check", "--deny-warnings", "disk-full.yaml", "disk-full.test.yaml"]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let text = std::fs::read_to_string(dir.join("disk-full.yaml")).expect("written");
    assert!(text.contains("id: disk-full\ntitle: Disk full\n"), "{text}");
    std::fs::write(dir.join("disk-full.yaml"), "mine").expect("write");
    std::fs::remove_file(dir.join("disk-full.test.yaml")).expect("remove");
    let again = runbook_in(&dir, &["new", "disk-full"]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(dir.join("disk-full.yaml")).expect("kept"), "mine");
    assert!(!dir.join("disk-full.test.yaml").exists(), "half of a new runbook was written");
    // A test file already there (another runbook's cases) is not replaced
    // either, and nothing is written.
    std::fs::write(dir.join("other.test.yaml"), "theirs").expect("write");
    let beside = runbook_in(&dir, &["new", "other"]);
    assert_eq!(beside.status.code(), Some(1), "{}", String::from_utf8_lossy(&beside.stderr));
    assert!(String::from_utf8_lossy(&beside.stderr).contains("`other.test.yaml` exists"));
    assert!(!dir.join("other.yaml").exists());
    assert_eq!(std::fs::read_to_string(dir.join("other.test.yaml")).expect("kept"), "theirs");
    Test::new().args(["new", "Disk Full"]).files(&[]).status(2).stderr_contains("not a valid runbook id");
    Test::new()
        .args(["new", "disk-full", "-o", "sub/dir/x.yaml"])
        .files(&[])
        .status(1)
        .stderr_contains("cannot write `sub/dir/x.yaml`")
        .stderr_contains("create it first: `mkdir -p sub/dir`");
}

/// `runbook ARGS` in `dir`.
fn runbook_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runbook")).current_dir(dir).args(args).output().expect("runs")
}

#[test]
fn new_writes_test_cases_that_cover_every_edge_of_the_skeleton() {
    for (name, curl) in [("plain", None), ("from-curl", Some("curl -f -H 'X-Api-Key: k3y' http://127.0.0.1:9/health"))]
    {
        let mut args = vec!["new", name, "--output", "sub/rb.yml"];
        args.extend(curl.iter().flat_map(|curl| ["--from-curl", curl]));
        let output = Test::new().args(&args).files(&[("sub/.keep", b"")]).status(0);
        let dir = output.path("sub");
        let cases = std::fs::read_to_string(dir.join("rb.test.yml")).expect("the test file, beside the runbook");
        assert!(!cases.contains("k3y"), "{cases}");
        let test = runbook_in(&dir, &["test", "--min-coverage", "100", "--coverage-format", "json", "rb.yml"]);
        let (stdout, stderr) = (String::from_utf8_lossy(&test.stdout), String::from_utf8_lossy(&test.stderr));
        assert!(test.status.success() && stderr.contains("4 passed, 0 failed"), "{name}: {stdout}\n{stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report");
        let file = &report["files"][0];
        assert_eq!(
            (&file["path"], &file["covered"], &file["total"]),
            (&"rb.yml".into(), &5.into(), &5.into()),
            "{name}: {report}"
        );
    }
}

#[test]
fn new_from_curl_checks_the_same_endpoint_and_keeps_credentials_out() {
    use crate::http_server::{Server, respond};
    let server = Server::start(|request, stream| {
        if request.header("authorization") == Some("Bearer s3cr3t-t0ken") && request.path == "/health?deep=1" {
            respond(stream, "200 OK", &[], b"ok")
        } else {
            respond(stream, "401 Unauthorized", &[], b"no")
        }
    });
    let curl = format!(
        "curl -fsS -m 3 -H 'Authorization: Bearer s3cr3t-t0ken' -H 'Accept: text/plain' {}",
        server.url("/health?deep=1")
    );
    let output = Test::new().args(["new", "api", "--from-curl", &curl]).files(&[]).status(0);
    let dir = output.path("");
    let text = std::fs::read_to_string(dir.join("api.yaml")).expect("written");
    assert!(!text.contains("s3cr3t"), "the credential was written into the runbook:\n{text}");
    assert!(text.contains("Authorization: \"Bearer {{ inputs.bearer_token }}\""), "{text}");
    assert!(text.contains("url: \"{{ inputs.base_url }}/health?deep=1\""), "{text}");
    let check = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(&dir)
        .args(["check", "--deny-warnings", "api.yaml"])
        .output()
        .expect("runs");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let run = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(&dir)
        .env("BEARER_TOKEN", "s3cr3t-t0ken")
        .args(["run", "api.yaml", "--non-interactive", "--no-record", "--format", "json"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("\"outcome\":\"pass\""), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(!stdout.contains("s3cr3t"), "{stdout}");
    Test::new()
        .args(["new", "x", "--from-curl", "wget http://h/"])
        .files(&[])
        .status(2)
        .stderr_contains("starting with `curl`");
}

/// curl's `-x` becomes the check's `proxy:`: the run goes through that
/// proxy (a forwarding proxy on loopback that answers for the service),
/// without the proxy's password in the runbook.
#[test]
fn new_from_curl_keeps_the_proxy_of_the_curl_line() {
    use crate::http_server::{Server, respond};
    let proxy = Server::start(|request, stream| respond(stream, "200 OK", &[], request.path.as_bytes()));
    let curl = format!("curl -fsS -x http://ops:Pr0xyS3cret@127.0.0.1:{} http://service.invalid/health", proxy.port);
    let output = Test::new()
        .args(["new", "api", "--from-curl", &curl])
        .files(&[])
        .status(0)
        .stderr_contains("the proxy's user name and password are not converted");
    let dir = output.path("");
    let text = std::fs::read_to_string(dir.join("api.yaml")).expect("written");
    assert!(text.contains(&format!("proxy: \"http://127.0.0.1:{}\"", proxy.port)), "{text}");
    assert!(!text.contains("Pr0xyS3cret"), "{text}");
    let run = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(&dir)
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .args(["run", "api.yaml", "--non-interactive", "--no-record", "--format", "json"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("\"outcome\":\"pass\""), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(proxy.requests()[0].path, "http://service.invalid/health");
}

/// A loopback server that answers 200 to everything and records what it read.
fn recording_server() -> crate::http_server::Server {
    crate::http_server::Server::start(|_, stream| crate::http_server::respond(stream, "200 OK", &[], b"ok"))
}

/// `runbook new NAME --from-curl CURL` in a fresh directory, then `run`
/// with `env` and `--input ARGS`: `new`'s output (which holds the
/// directory) and the run's.
fn new_then_run(curl: &str, env: &[(&str, &str)], inputs: &[&str]) -> (crate::Output, std::process::Output) {
    let output = Test::new().args(["new", "api", "--from-curl", curl]).files(&[]).status(0);
    let dir = output.path("");
    let check = runbook_in(&dir, &["check", "--deny-warnings", "api.yaml"]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let mut run = Command::new(env!("CARGO_BIN_EXE_runbook"));
    // `--yes`: a request that may change things is an action.
    run.current_dir(&dir).args(["run", "api.yaml", "--non-interactive", "--no-record", "--yes"]);
    for input in inputs {
        run.args(["--input", input]);
    }
    for (name, value) in env {
        run.env(name, value);
    }
    let run = run.output().expect("runs");
    (output, run)
}

#[test]
fn new_from_curl_asks_for_the_bearer_token_alone_and_sends_it_once() {
    let server = recording_server();
    let curl = format!("curl -H 'Authorization: Bearer eyJ.abc.def' {}", server.url("/items"));
    let (new, missing) = new_then_run(&curl, &[], &[]);
    let dir = new.path("");
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(said.contains("without `Bearer `") && said.contains("$BEARER_TOKEN"), "{said}");
    assert!(server.requests().is_empty());
    let run =
        runbook_in_env(&dir, &["run", "api.yaml", "--non-interactive", "--no-record"], ("BEARER_TOKEN", "eyJ.abc.def"));
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let received: Vec<_> = server.requests().iter().map(|r| r.header("authorization").map(str::to_owned)).collect();
    assert_eq!(received, [Some("Bearer eyJ.abc.def".to_owned())]);
}

/// review-12-user7 L12: `-u USER:$PASS` sends the same Basic credentials
/// as curl, the password read from `$PASS` and never written.
#[test]
fn new_from_curl_sends_user_credentials_as_curl_does_and_never_writes_the_password() {
    let server = recording_server();
    let url = server.url("/health");
    let line = format!(r#"curl -sS -u "ops:$PASS" {url}"#);
    let by_curl = request_of_shell_line(&server, &line, &[("PASS", "Zq/9x#Kp")]);
    let literal = format!("curl -sS -u ops:Zq/9x#Kp {url}");
    for (curl, env) in [(line.as_str(), "PASS"), (literal.as_str(), "PASSWORD")] {
        let output = Test::new().args(["new", "api", "--from-curl", curl]).files(&[]).status(0);
        let dir = output.path("");
        let runbook = std::fs::read_to_string(dir.join("api.yaml")).expect("written");
        assert!(!runbook.contains("Zq/9x") && !output.stderr.contains("Zq/9x"), "{runbook}");
        assert!(!output.stderr.contains("warning"), "{}", output.stderr);
        let run = runbook_in_env(&dir, &["run", "api.yaml", "--non-interactive", "--no-record"], (env, "Zq/9x#Kp"));
        assert!(run.status.success(), "{curl}: {}", String::from_utf8_lossy(&run.stderr));
        let requests = server.requests();
        let sent = requests.last().expect("the check sent its request");
        assert_eq!(sent.header("authorization"), by_curl.header("authorization"), "{curl}");
        assert_eq!(sent.path, "/health");
    }
    // A user name holding `@`, `/` and a space reaches the same server
    // with the same credentials as curl's (i12b's gap: it was written raw
    // into the user info, and the `@` moved the host).
    let odd = format!("curl -sS -u 'ops@corp/x y:Zq/9x#Kp' {url}");
    let by_curl = request_of_shell_line(&server, &odd, &[]);
    let output = Test::new().args(["new", "api", "--from-curl", &odd]).files(&[]).status(0);
    let run = runbook_in_env(
        &output.path(""),
        &["run", "api.yaml", "--non-interactive", "--no-record"],
        ("PASSWORD", "Zq/9x#Kp"),
    );
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let requests = server.requests();
    assert_eq!(requests.last().expect("sent").header("authorization"), by_curl.header("authorization"));
}

/// `runbook ARGS` in `dir` with one environment variable set.
fn runbook_in_env(dir: &Path, args: &[&str], (name, value): (&str, &str)) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runbook")).current_dir(dir).args(args).env(name, value).output().expect("runs")
}

#[test]
fn new_from_curl_reads_a_browsers_bash_copy_and_sends_the_same_request() {
    let server = recording_server();
    // As Chrome's "Copy as cURL (bash)" writes it, copied from another host.
    let curl = r#"curl --globoff 'http://127.0.0.1:9/api/search?q={{x}}&b={y}' \
  -H 'Accept: application/json' -H 'Connection: keep-alive' -H 'Referer: http://127.0.0.1:9/app' \
  -H 'Sec-Fetch-Dest: empty' -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64)' \
  -H 'sec-ch-ua: "Chromium";v="120"' -H $'X-A: it\'s' -H 'content-type: application/json' \
  --data-raw $'{"q":"it\'s",\n "n":"\u00e9"}' --compressed"#;
    let base = server.url("");
    let (_, run) = new_then_run(curl, &[], &[&format!("base_url={base}")]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let requests = server.requests();
    let [request] = requests.as_slice() else { panic!("{requests:?}") };
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/api/search?q={{x}}&b={y}"));
    assert_eq!(request.header("x-a"), Some("it's"));
    assert_eq!(request.header("referer"), Some(format!("{base}/app").as_str()), "the Referer follows base_url");
    for noise in ["sec-fetch-dest", "sec-ch-ua"] {
        assert_eq!(request.header(noise), None, "{noise}");
    }
    assert!(!request.header("user-agent").is_some_and(|agent| agent.starts_with("Mozilla")), "{request:?}");
    // Written as `json:`, sent compact: the same JSON value.
    assert_eq!(String::from_utf8_lossy(&request.body), "{\"q\":\"it's\",\"n\":\"é\"}");
}

#[test]
fn new_from_curl_refuses_a_windows_cmd_line_by_name() {
    let output = Test::new()
        .args(["new", "win", "--from-curl", r#"curl ^"http://127.0.0.1:9/a^" -H ^"Accept: */*^""#])
        .files(&[])
        .status(2)
        .stderr_contains("Windows `cmd` line");
    assert!(!output.path("win.yaml").exists());
}

#[test]
fn new_from_curl_sends_get_data_as_the_query_and_url_encodes() {
    let server = recording_server();
    let (_, run) = new_then_run(&format!("curl -G -d q=x --data-urlencode 'w=a b' {}", server.url("/api")), &[], &[]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let (_, post) = new_then_run(&format!("curl --data-urlencode 'w=a b&c' {}", server.url("/form")), &[], &[]);
    assert!(post.status.success(), "{}", String::from_utf8_lossy(&post.stderr));
    let seen: Vec<_> = server
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), String::from_utf8_lossy(&r.body).into_owned()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET".to_owned(), "/api?q=x&w=a%20b".to_owned(), String::new()),
            ("POST".to_owned(), "/form".to_owned(), "w=a%20b%26c".to_owned())
        ]
    );
}

#[test]
fn new_from_curl_drops_output_options_and_words_its_warnings() {
    let output = Test::new()
        .args(["new", "-o", "-", "t", "--from-curl", "curl -s -o /dev/null -w '%{http_code}' --pass pw http://h/x"])
        .status(0);
    let warnings: Vec<&str> = output.stderr.lines().filter(|line| line.starts_with("warning")).collect();
    assert_eq!(
        warnings,
        ["warning: --from-curl: `--pass` is not converted: give the credentials as a secret input and an \
          `Authorization` header instead"]
    );
}

/// What a request carries that a check must send as curl does.
fn sent(request: &crate::http_server::Request) -> (String, String, String, [Option<String>; 3]) {
    let header = |name: &str| request.header(name).map(str::to_owned);
    (
        request.method.clone(),
        request.path.clone(),
        String::from_utf8_lossy(&request.body).into_owned(),
        [header("content-type"), header("accept"), header("authorization")],
    )
}

/// The one request `sh -c LINE` sent to `server`, with `env` set.
fn request_of_shell_line(
    server: &crate::http_server::Server,
    line: &str,
    env: &[(&str, &str)],
) -> crate::http_server::Request {
    let before = server.requests().len();
    let output = Command::new("sh").args(["-c", line]).envs(env.iter().copied()).output().expect("sh runs");
    assert!(output.status.success(), "{line}: {}", String::from_utf8_lossy(&output.stderr));
    server.requests().get(before).cloned().expect("curl sent a request")
}

#[test]
fn new_from_curl_sends_what_curl_sends_and_writes_no_credential() {
    let server = recording_server();
    let url = server.url("");
    for (line, env, secrets) in [
        (
            format!("curl -sS -d 'user=admin&password=hunter2' '{url}/login?access_token=QSECRET&page=2'"),
            vec![("PASSWORD", "hunter2"), ("ACCESS_TOKEN", "QSECRET")],
            ["hunter2", "QSECRET"],
        ),
        (
            format!(r#"curl -sS --json '{{"auth":{{"token":"T0KEN"}},"n":1}}' -H 'X-Session-Id: S3SSION' {url}/j"#),
            vec![("TOKEN", "T0KEN"), ("X_SESSION_ID", "S3SSION")],
            ["T0KEN", "S3SSION"],
        ),
        (
            r#"curl -sS -H "Authorization: Bearer $TOK" -X PUT --data-binary 'x' "$BASE/h?k=1""#.to_owned(),
            vec![("TOK", "abc123"), ("BASE", url.as_str())],
            ["abc123", "127.0.0.1"],
        ),
    ] {
        let by_curl = request_of_shell_line(&server, &line, &env);
        let output = Test::new().args(["new", "api", "--from-curl", &line]).files(&[]).status(0);
        let dir = output.path("");
        for text in [
            std::fs::read_to_string(dir.join("api.yaml")).expect("written"),
            std::fs::read_to_string(dir.join("api.test.yaml")).expect("written"),
            output.stderr.clone(),
        ] {
            for secret in secrets {
                assert!(!text.contains(secret), "{line}: `{secret}` written or shown:\n{text}");
            }
        }
        assert!(
            output.stderr.contains("read from the environment, never written into the runbook"),
            "{}",
            output.stderr
        );
        let check = runbook_in(&dir, &["check", "--deny-warnings", "api.yaml", "api.test.yaml"]);
        assert!(check.status.success(), "{line}: {}", String::from_utf8_lossy(&check.stderr));
        let test = runbook_in(&dir, &["test", "--min-coverage", "100", "api.yaml"]);
        assert!(test.status.success(), "{line}: {}", String::from_utf8_lossy(&test.stderr));
        let before = server.requests().len();
        let run = Command::new(env!("CARGO_BIN_EXE_runbook"))
            .current_dir(&dir)
            .args(["run", "api.yaml", "--non-interactive", "--no-record", "--yes"])
            .envs(env.iter().copied())
            .output()
            .expect("runs");
        assert!(run.status.success(), "{line}: {}", String::from_utf8_lossy(&run.stderr));
        let by_runbook = server.requests().get(before).cloned().expect("the check sent a request");
        assert_eq!(sent(&by_runbook), sent(&by_curl), "{line}");
    }
}

#[test]
fn render_shows_curl_lines_that_send_what_the_probe_sends() {
    let server = recording_server();
    let yaml = format!(
        "id: by-hand\ntitle: By hand\nsteps:\n  - id: form\n    check: {{ http: {{ url: \"{0}/form\", method: POST, \
         body: \"a=1\" }}, expect: [ {{ status: 200 }} ] }}\n    next: json\n  - id: json\n    check: {{ http: {{ url: \
         \"{0}/json\", method: POST, json: {{ a: 1 }} }}, expect: [ {{ status: 200 }} ] }}\n    next: braces\n  - id: braces\n    \
         check: {{ http: {{ url: \"{0}/s?q={{{{ '{{' }}}}{{x}}}}\" }}, expect: [ {{ status: 200 }} ] }}\n    next: done\n  - id: done\n    \
         conclude: {{ status: resolved }}\n",
        server.url("")
    );
    let output = Test::new().args(["render", "h.yaml"]).files(&[("h.yaml", yaml.as_bytes())]).status(0);
    let by_hand: Vec<_> = output
        .stdout
        .lines()
        .filter(|line| line.starts_with("curl "))
        .map(|line| sent(&request_of_shell_line(&server, line, &[])))
        .collect();
    let before = server.requests().len();
    let run = runbook_in(&output.path(""), &["run", "h.yaml", "--non-interactive", "--no-record"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let by_probe: Vec<_> = server.requests()[before..].iter().map(sent).collect();
    assert_eq!(by_hand, by_probe, "{}", output.stdout);
    assert_eq!(by_probe.len(), 3);
    assert_eq!(by_probe[2].1, "/s?q={{x}}", "a brace written as a template is sent, and shown, as a brace");
}

/// A JSON value that is one whole template is sent with its type (a
/// number unquoted), which the quoted curl line cannot show: the document
/// says so under it.
#[test]
fn render_says_a_whole_template_json_value_keeps_its_type() {
    let yaml = "id: typed\ntitle: Typed\ninputs:\n  replicas: { type: number, default: 2 }\nsteps:\n  - id: scale\n    \
                action:\n      confirm: Scales.\n      http: { method: PUT, url: \"http://127.0.0.1:9/scale\", json: { \
                replicas: \"{{ inputs.replicas }}\", drain: true } }\n      expect: [ { status: 200 } ]\n    on: { pass: \
                done, fail: done, error: done, skipped: done }\n  - id: done\n    conclude: { status: resolved }\n";
    let document = Test::new().args(["render", "t.yaml"]).files(&[("t.yaml", yaml.as_bytes())]).status(0).stdout;
    let said = "In the JSON body, `{{ inputs.replicas }}` is sent with the type of its value: a number, a boolean, a \
                list or a map goes without the quotes shown above.";
    assert!(document.contains(said), "{document}");
    let plain = Test::new().args(["render", "examples/branches.yaml"]).status(0).stdout;
    assert!(!plain.contains("In the JSON body"), "{plain}");
}

/// A request whose phases are judged is shown by hand with curl's phase
/// times, so a reader can judge them too; one without prints only the total.
#[test]
fn render_prints_the_phases_a_step_judges_in_its_curl_line() {
    let yaml = |expect: &str| {
        format!(
            "id: t\ntitle: T\nsteps:\n  - id: health\n    check:\n      http: {{ url: \"https://api.internal/h\" }}\n      \
             expect: [ {{ status: 200 }}{expect} ]\n    next: done\n  - id: done\n    conclude: {{ status: resolved }}\n"
        )
    };
    let timed = yaml(", { timing: tls, lt: 300ms, severity: warn }");
    let document = Test::new().args(["render", "t.yaml"]).files(&[("t.yaml", timed.as_bytes())]).status(0).stdout;
    let phases = "(since the start: dns %{time_namelookup}s, connected %{time_connect}s, tls %{time_appconnect}s, \
                  ready %{time_pretransfer}s, first byte %{time_starttransfer}s)";
    assert!(document.contains(phases), "{document}");
    let plain = yaml("");
    let document = Test::new().args(["render", "t.yaml"]).files(&[("t.yaml", plain.as_bytes())]).status(0).stdout;
    assert!(document.contains("-w '\\n%{http_code} in %{time_total}s\\n'"), "{document}");
}

/// review-12-user8 H1: behind a slow TLS handshake (the service itself
/// fast), a reader who runs the document's curl line and does what the
/// document says with curl's times takes the branch the run takes: curl
/// prints when each phase ended, counted from the start (its `first byte`
/// alone is past the limit), and the document names the two to subtract.
#[test]
fn render_curl_line_judges_a_phase_as_the_run_does_behind_a_slow_handshake() {
    let (port, certificate) = crate::run::slow_handshake_server(std::time::Duration::from_millis(700));
    let yaml = format!(
        "id: fb\ntitle: First byte\nsteps:\n  - id: health\n    check:\n      http: {{ url: \"https://127.0.0.1:{port}/health\", \
         tls: {{ ca_file: ca.pem }} }}\n      expect: [ {{ status: 200 }}, {{ timing: first_byte, lt: 500ms }} ]\n    on: {{ pass: \
         fast, fail: slow_app, error: slow_app }}\n  - id: fast\n    conclude: {{ status: resolved }}\n  - id: slow_app\n    \
         conclude: {{ status: inconclusive, diagnosis: the application is slow }}\n"
    );
    let files: [(&str, &[u8]); 2] = [("fb.yaml", yaml.as_bytes()), ("ca.pem", certificate.as_bytes())];
    let run =
        Test::new().files(&files).args(["run", "fb.yaml", "--non-interactive", "--color", "never", "--no-record"]);
    let run = run.status(0);
    assert!(run.stdout.contains("→ fast (pass)"), "{}", run.stdout);
    let rendered = Test::new().files(&files).args(["render", "fb.yaml"]).status(0);
    let said = "- waiting for the first byte (`first byte` − `ready` in curl's last line) takes less than 500ms";
    assert!(rendered.stdout.contains(said), "{}", rendered.stdout);
    let line = rendered.stdout.lines().find(|line| line.starts_with("curl ")).expect("a curl line");
    let dir = rendered.path("ca.pem").parent().expect("the directory").to_owned();
    let by_hand = Command::new("sh").arg("-c").arg(line).current_dir(&dir).output().expect("sh runs");
    let printed = String::from_utf8_lossy(&by_hand.stdout);
    assert!(by_hand.status.success(), "{line}: {printed}{}", String::from_utf8_lossy(&by_hand.stderr));
    let times = regex::Regex::new(r"tls ([0-9.]+)s, ready ([0-9.]+)s, first byte ([0-9.]+)s").unwrap();
    let found = times.captures(&printed).unwrap_or_else(|| panic!("no phases in {printed}"));
    let second = |at: usize| found[at].parse::<f64>().expect("seconds");
    assert!(second(3) >= 0.7, "curl's first byte counts the handshake: {printed}");
    assert!(second(3) - second(2) < 0.5, "{printed}");
}

/// An author's text of several lines keeps them in the document, as the
/// run shows them: a hard break where Markdown would join two lines; a
/// blank line and a fenced block as written.
#[test]
fn render_keeps_the_lines_of_a_text() {
    let yaml = "id: t\ntitle: T\nsteps:\n  - id: clean\n    instruct:\n      text: |\n        Find the largest files first.\n          \
                du -xh / | sort -h\n\n        Then:\n        ```\n        rm a\n        rm b\n        ```\n    next: done\n  - id: \
                done\n    conclude:\n      status: resolved\n      diagnosis: |\n        Cleaned.\n        Freed space.\n";
    let document = Test::new().args(["render", "t.yaml"]).files(&[("t.yaml", yaml.as_bytes())]).status(0).stdout;
    let kept = "Find the largest files first.  \n  du -xh / | sort -h\n\nThen:\n```\nrm a\nrm b\n```";
    assert!(document.contains(kept), "{document}");
    assert!(document.contains("Cleaned.  \nFreed space."), "{document}");
}

/// A tcp check whose connecting time is judged is timed by the shell in
/// the document, as the run times it.
#[test]
fn render_times_a_connection_whose_time_is_judged() {
    let yaml = |expect: &str| {
        format!(
            "id: t\ntitle: T\nsteps:\n  - id: port\n    check:\n      tcp: {{ host: db.internal, port: 5432 }}\n      \
             expect: [ {{ connected: true }}{expect} ]\n    next: done\n  - id: done\n    conclude: {{ status: resolved }}\n"
        )
    };
    let timed = yaml(", { duration: { lt: 200ms }, severity: warn }");
    let document = Test::new().args(["render", "t.yaml"]).files(&[("t.yaml", timed.as_bytes())]).status(0).stdout;
    assert!(document.contains("time nc -vz -w 5 db.internal 5432"), "{document}");
    let plain = yaml("");
    let document = Test::new().args(["render", "t.yaml"]).files(&[("t.yaml", plain.as_bytes())]).status(0).stdout;
    assert!(document.contains("\nnc -vz -w 5 db.internal 5432"), "{document}");
}

#[test]
fn new_from_curl_writes_nothing_it_cannot_convert_and_shows_no_credential() {
    for (line, status, said) in [
        ("curl -m 1.5 -m 0 http://h/", 2, "`-m 0`: curl's time limit is a number of seconds above zero"),
        ("curl -X PURGE http://h/", 2, "an http check sends `GET`"),
        ("curl -H 'Authorization Bearer s3cr3t' http://h/", 2, "(starting `Authorization`) has no `:`"),
        ("curl --frobnicate s3cr3t http://h/", 2, "the word after `--frobnicate`"),
        ("curl http://u:s3cr3t@h/ http://other/", 2, "more than one URL (`http://h/` and `http://other/`)"),
        ("curl -s http://h/ | jq .", 2, "`|` outside quotes"),
        // What parsing lets through and `check` refuses is not written.
        ("curl -H ': v' http://h/", 3, "does not pass `runbook check`"),
    ] {
        let output = Test::new().args(["new", "api", "--from-curl", line]).files(&[]).status(status);
        let output = output.stderr_contains(said);
        assert!(!output.stderr.contains("s3cr3t"), "{line}: {}", output.stderr);
        assert!(!output.path("api.yaml").exists() && !output.path("api.test.yaml").exists(), "{line}");
    }
    let output = Test::new()
        .args([
            "new",
            "-o",
            "-",
            "api",
            "--from-curl",
            "curl -m 0.25 --connect-timeout 2 -H 'Accept: a' -H 'Accept: b' http://h/",
        ])
        .status(0);
    for part in ["timeout: 250ms\n", "connect_timeout: 2s\n", "Accept: \"a, b\"\n"] {
        assert!(output.stdout.contains(part), "{part:?} in\n{}", output.stdout);
    }
}

#[test]
fn new_from_curl_makes_a_request_that_may_change_things_an_action() {
    let server = recording_server();
    let line = format!("curl -fsS -X DELETE {}", server.url("/cache"));
    let output = Test::new().args(["new", "purge", "--from-curl", &line]).files(&[]).status(0);
    let dir = output.path("");
    let runbook = std::fs::read_to_string(dir.join("purge.yaml")).expect("written");
    // review-12-user7 L3: a request's words, not a health check's.
    assert!(
        runbook.contains(
            "  - id: request\n    title: Send the DELETE request\n    action:\n      confirm: \"Sends a DELETE"
        ) && runbook.contains("skipped: declined")
            && runbook.contains("The operator declined the request; nothing was sent.")
            && !runbook.contains("health check"),
        "{runbook}"
    );
    let test = runbook_in(&dir, &["test", "--min-coverage", "100", "purge.yaml"]);
    let said = String::from_utf8_lossy(&test.stderr);
    assert!(test.status.success() && said.contains("5 passed, 0 failed"), "{said}");
    let read_only = runbook_in(&dir, &["run", "purge.yaml", "--read-only", "--no-record"]);
    assert!(server.requests().is_empty(), "--read-only sent it: {}", String::from_utf8_lossy(&read_only.stdout));
    let document = runbook_in(&dir, &["render", "purge.yaml"]);
    let document = String::from_utf8_lossy(&document.stdout);
    assert!(document.contains("**Action**") && !document.contains("read-only"), "{document}");
    // A check written by hand that sends such a request is not called
    // read-only either.
    let yaml = "id: c\ntitle: C\nsteps:\n  - id: p\n    check: { http: { url: \"http://h/\", method: POST }, expect: [ { status: 200 } ] }\n    \
                next: done\n  - id: done\n    conclude: { status: resolved }\n";
    let document = Test::new().args(["render", "c.yaml"]).files(&[("c.yaml", yaml.as_bytes())]).status(0).stdout;
    assert!(document.contains("**Check** (it sends POST, which may change things):"), "{document}");
}

#[test]
fn new_says_where_it_cannot_write_and_refuses_a_name_check_would_not_find() {
    let missing = Test::new().args(["new", "x", "-o", "out/x.yaml"]).files(&[]).status(1);
    assert!(missing.stderr.contains("the directory `out` does not exist") && missing.stderr.contains("mkdir -p out"));
    assert!(!missing.path("out").exists());
    let bare = Test::new().args(["new", "y", "-o", "y"]).files(&[]).status(2).stderr_contains("`.yaml` or `.yml`");
    assert!(!bare.path("y").exists() && !bare.path("y.test.yaml").exists());
    let test_name = Test::new().args(["new", "x", "-o", "x.test.yaml"]).files(&[]).status(2);
    assert!(test_name.stderr.contains("ends in `.test.yaml`") && !test_name.path("x.test.yaml").exists());
    Test::new()
        .args(["new", "x", "-o", "afile/x.yaml"])
        .files(&[("afile", b"")])
        .status(1)
        .stderr_contains("`afile` is not a directory");
}

#[test]
fn the_skeleton_routes_only_outcomes_its_check_can_produce() {
    let output = Test::new().args(["new", "-o", "-", "t"]).status(0);
    let on = output.stdout.split("    on:\n").nth(1).expect("an on: block");
    assert!(!on.contains("warn:"), "no expectation can warn, so no warn route: {on}");
}

#[test]
fn render_to_a_markdown_name_writes_one_document() {
    let runbook = workspace().join("examples/quickstart.yaml");
    let runbook = runbook.to_str().expect("utf-8");
    let output = Test::new().args(["render", runbook, "-o", "doc.md"]).files(&[]).status(0);
    let document = std::fs::read_to_string(output.path("doc.md")).expect("a file, not a directory");
    assert!(document.starts_with("# "), "{document}");
    let file = Test::new().args(["render", runbook, "-o", "taken"]).files(&[("taken", b"mine")]).status(2);
    assert!(file.stderr.contains("`--output taken` is a file"), "{}", file.stderr);
    assert_eq!(std::fs::read_to_string(file.path("taken")).expect("kept"), "mine");
    let examples = workspace().join("examples");
    Test::new()
        .args(["render", examples.to_str().expect("utf-8"), "-o", "all.md"])
        .files(&[])
        .status(2)
        .stderr_contains("names one document");
}

#[test]
fn new_from_curl_keeps_braces_in_the_url_as_text_and_says_what_it_left_out_plainly() {
    use crate::http_server::{Server, respond};
    let server = Server::start(|request, stream| {
        let braces = ["/p?q={{x}}&b={y}", "/p?q=%7B%7Bx%7D%7D&b=%7By%7D"];
        if braces.contains(&request.path.as_str()) {
            respond(stream, "200 OK", &[], b"ok")
        } else {
            respond(stream, "404 Not Found", &[], request.path.as_bytes())
        }
    });
    let curl = format!("curl -g --retry 2 '{}'", server.url("/p?q={{x}}&b={y}"));
    let output = Test::new().args(["new", "search", "--from-curl", &curl]).files(&[]).status(0);
    let output = output.stderr_contains("warning: --from-curl: `--retry` is not converted\n");
    let dir = output.path("");
    let check = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(&dir)
        .args(["check", "--deny-warnings", "search.yaml"])
        .output()
        .expect("runs");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let run = Command::new(env!("CARGO_BIN_EXE_runbook"))
        .current_dir(&dir)
        .args(["run", "search.yaml", "--non-interactive", "--no-record", "--format", "json"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("\"outcome\":\"pass\""), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
}

/// `runbook explain RB2<Tab>` offers the codes (and a rule name its
/// start), in bash through the generated script's own function and in
/// fish; what `explain` says of an unknown code stays its own.
#[test]
fn explain_completes_codes_and_rule_names() {
    let bash = Test::new().args(["completions", "bash"]).files(&[]).status(0);
    let script = bash.path("runbook.bash");
    std::fs::write(&script, &bash.stdout).expect("write");
    let complete = |words: &str| {
        let line = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _runbook runbook \
             \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let output = Command::new("bash").args(["--norc", "-c", &line]).output().expect("bash runs");
        let mut offered: Vec<String> = String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect();
        offered.sort_unstable();
        offered
    };
    let codes = complete("runbook explain RB2");
    assert!(codes.len() > 10 && codes.iter().all(|code| code.starts_with("RB2")), "{codes:?}");
    assert!(codes.contains(&"RB201".to_owned()) && codes.contains(&"RB212".to_owned()), "{codes:?}");
    assert_eq!(complete("runbook explain unknown-st"), ["unknown-step", "unknown-step-fact"]);
    // One code: after it, only the options.
    assert_eq!(complete("runbook explain RB112 ''"), ["--color", "--help", "-h"]);
    // An answer or an input is no file name.
    for option in ["--answer", "--input"] {
        let offered = complete(&format!("runbook run {option} ''"));
        assert!(offered.iter().all(String::is_empty), "{option}: {offered:?}");
    }
    let fish = Test::new().args(["completions", "fish"]).files(&[]).status(0);
    let script = fish.path("runbook.fish");
    std::fs::write(&script, &fish.stdout).expect("write");
    let completed = Command::new("fish")
        .args(["--no-config", "-c", &format!("source {}; complete -C 'runbook explain RB20'", script.display())])
        .output()
        .expect("fish runs (.ci/run installs it)");
    let mut offered: Vec<&str> = std::str::from_utf8(&completed.stdout)
        .expect("utf-8")
        .lines()
        .map(|line| line.split('\t').next().unwrap_or(line))
        .collect();
    offered.sort_unstable();
    assert_eq!(offered, ["RB201", "RB202", "RB203", "RB204", "RB205", "RB206", "RB207", "RB208", "RB209"]);
    let after_one = Command::new("fish")
        .args(["--no-config", "-c", &format!("source {}; complete -C 'runbook explain RB112 '", script.display())])
        .output()
        .expect("fish runs");
    let after_one = String::from_utf8_lossy(&after_one.stdout);
    assert!(!after_one.lines().any(|line| line.starts_with("RB")), "{after_one}");
    // Not clap's "invalid value": explain's own message and exit 2.
    Test::new().args(["explain", "unknown-stp"]).status(2).stderr_contains("did you mean `unknown-step`?");
    let help = Test::new().args(["explain", "--help"]).status(0).stdout;
    let arguments = help.split("Options:").next().unwrap_or_default();
    assert!(arguments.contains("[CODE]") && !arguments.contains("possible values"), "{help}");
    assert!(!help.contains("RB316"), "{help}");
}

#[test]
fn completions_are_valid_scripts_for_each_shell() {
    let bash = Test::new().args(["completions", "bash"]).status(0).stdout;
    assert!(bash.contains("_runbook()") && bash.contains("graph") && bash.contains("--deny-warnings"));
    let checked = pipe(Command::new("bash").arg("-n"), &bash);
    assert_eq!(checked, "");
    let zsh = Test::new().args(["completions", "zsh"]).status(0).stdout;
    assert!(zsh.starts_with("#compdef runbook"), "{zsh}");
    let fish = Test::new().args(["completions", "fish"]).files(&[]).status(0);
    let script = fish.path("runbook.fish");
    std::fs::write(&script, &fish.stdout).expect("write");
    let completed = Command::new("fish")
        .args(["--no-config", "-c", &format!("source {}; complete -C 'runbook completions '", script.display())])
        .output()
        .expect("fish runs (.ci/run installs it)");
    let offered: Vec<&str> = std::str::from_utf8(&completed.stdout)
        .expect("utf-8")
        .lines()
        .map(|line| line.split('\t').next().unwrap_or(line))
        .collect();
    let mut offered = offered;
    offered.sort_unstable();
    assert_eq!(offered, ["bash", "fish", "powershell", "zsh"], "{}", String::from_utf8_lossy(&completed.stderr));
    let powershell = Test::new().args(["completions", "powershell"]).status(0).stdout;
    assert!(powershell.contains("Register-ArgumentCompleter"), "{powershell}");
    Test::new().args(["completions", "tcsh"]).status(2);
}

#[test]
fn the_manual_page_documents_every_command() {
    let page = Test::new().args(["man"]).status(0).stdout;
    assert!(page.starts_with(".ie \\n(.g .ds Aq \\(aq") || page.contains(".TH runbook 1"), "{page}");
    for command in
        ["RUN", "RESUME", "RECORD", "CHECK", "EXPLAIN", "GRAPH", "RENDER", "NEW", "COMPLETIONS", "MAN", "SCHEMA"]
    {
        assert!(page.contains(&format!(".SH \"RUNBOOK {command}\"")), "no section for {command}");
    }
    assert!(page.contains("--deny-warnings"));
    // Every page it names exists: it is the only one shipped.
    assert!(!page.contains("runbook-run(1)") && !page.contains("(1)\n"), "{page}");
    assert!(page.contains(".TP\n\\fBrunbook run\\fR\n"), "{page}");
    assert!(page.contains("See \\fBRUNBOOK RUN\\fR below."), "{page}");
    // A command's section has its parts as subsections, not a dump of
    // `--help` with "Usage:" in the middle of the text.
    let run = page.split(".SH \"RUNBOOK RUN\"").nth(1).and_then(|rest| rest.split("\n.SH ").next()).unwrap_or_default();
    let subsections: Vec<&str> = run.lines().filter(|line| line.starts_with(".SS ")).collect();
    assert_eq!(
        subsections,
        [
            ".SS SYNOPSIS",
            ".SS DESCRIPTION",
            ".SS OPTIONS",
            ".SS \"INPUTS AND ANSWERS\"",
            ".SS \"OUTPUT AND RECORD\"",
            ".SS MODES",
            ".SS EXAMPLES"
        ],
        "{run}"
    );
    assert!(!page.contains("Usage:") && !run.contains("--color"), "{run}");
    assert!(run.contains("\\fBrunbook run\\fR [\\fB\\-i\\fR|\\fB\\-\\-input\\fR]"), "{run}");
    // The exit status, the environment and examples, as hurl's page has.
    let section = |name: &str| {
        page.split(&format!(".SH {name}\n")).nth(1).and_then(|rest| rest.split("\n.SH ").next()).unwrap_or_default()
    };
    let codes: Vec<&str> =
        section("\"EXIT STATUS\"").lines().filter_map(|line| line.strip_prefix("\\fB")?.strip_suffix("\\fR")).collect();
    assert_eq!(codes, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "130"], "{page}");
    let documented = workspace().join("docs/cli.md");
    let documented = std::fs::read_to_string(documented).unwrap();
    let table = documented.split("## Environment").nth(1).expect("docs/cli.md has an Environment section");
    let names: Vec<&str> =
        section("ENVIRONMENT").lines().filter_map(|line| line.strip_prefix("\\fB")?.strip_suffix("\\fR")).collect();
    assert!(names.contains(&"NO_COLOR") && names.contains(&"RUNBOOK_NO_CACHE"), "{names:?}");
    for name in names {
        assert!(table.contains(&format!("| `{}` |", name.replace(", ", "`, `"))), "docs/cli.md lacks {name}");
    }
    assert!(
        section("EXAMPLES").contains("\\fBrunbook new disk\\-full\\fR")
            || section("EXAMPLES").contains("runbook new disk")
    );
    // What it says renders: man(1) reads it without a warning.
    let Some(man) = renderer("man", None) else { return };
    let rendered = Command::new(man)
        .args(["--warnings", "-l", "-"])
        .env("MANWIDTH", "100")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = rendered.expect("man starts");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), page.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("EXIT STATUS") && text.contains("ENVIRONMENT"), "{text}");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

/// `--help` as hurl, goss and just write it: `-h` short, `--help` long with
/// examples; the global `--color` listed once, after a command's own
/// options; `run`'s many options in groups; the exit status in the top
/// level's long help; values named alike.
#[test]
fn help_reads_like_the_tools_we_admire() {
    let run = Test::new().args(["run", "--help"]).status(0).stdout;
    let headings: Vec<&str> = run.lines().filter(|line| !line.starts_with(' ') && line.ends_with(':')).collect();
    assert_eq!(
        headings,
        [
            "Arguments:",
            "Options:",
            "Inputs and answers:",
            "Output and record:",
            "Modes:",
            "Global options:",
            "Examples:"
        ],
        "{run}"
    );
    assert!(run.contains("  runbook run disk-full.yaml --dry-run --assume disk=fail\n"), "{run}");
    assert!(run.contains("--color <WHEN>") && !run.contains("- always"), "{run}");
    let short = Test::new().args(["run", "-h"]).status(0).stdout;
    assert!(!short.contains("Examples:") && short.lines().count() < run.lines().count() / 2, "{short}");
    let top = Test::new().args(["--help"]).status(0).stdout;
    assert!(top.contains("Exit status (the same for every command):\n    0  success"), "{top}");
    assert!(top.contains("  130  the run was interrupted"), "{top}");
    // A wrapped meaning goes on under itself, never at the left edge, at
    // 80 columns as at 100.
    for columns in ["80", "100"] {
        let top = Test::new().args(["--help"]).env("COLUMNS", columns).status(0).stdout;
        let table = top.split("Exit status (the same for every command):\n").nth(1).expect("the exit table");
        for line in table.lines().take_while(|line| !line.is_empty()) {
            let code = line.get(..5).unwrap_or_default().trim();
            assert!(code.is_empty() || code.parse::<u8>().is_ok(), "at {columns} columns: {line:?}\n{top}");
            assert!(code.is_empty() || line.starts_with("  "), "{line:?}");
            assert!(!code.is_empty() || line.starts_with("       "), "a continuation not indented: {line:?}\n{top}");
        }
    }
    for command in ["resume", "record", "check", "test", "explain", "graph", "render", "new", "man", "schema"] {
        let help = Test::new().args([command, "--help"]).status(0).stdout;
        assert!(help.contains(&format!("Examples:\n  runbook {command}")), "{command} --help has no examples:\n{help}");
        assert!(help.contains("Exits "), "{command} --help does not say how it exits:\n{help}");
        let options = help.split("Global options:").next().unwrap_or_default();
        assert!(!options.contains("--color"), "{command}: --color before the command's own options\n{help}");
    }
    let completions = Test::new().args(["completions", "--help"]).status(0).stdout;
    assert!(
        completions.contains("\n  fish        runbook completions fish > ~/.config/fish/completions/runbook.fish\n"),
        "{completions}"
    );
}

/// Every kind of judgement `render` writes in words: expectations that
/// pass, warn (with the author's message), captures, a retry, limits, and a
/// call that links to its callee's document.
const IN_WORDS: &str = r#"id: in-words
title: In words
steps:
  - id: health
    check:
      http: { url: "http://127.0.0.1:9/health", timeout: 2s }
      expect:
        - status: { in: [200, 429] }
          message: A 503 means the database is down.
        - { json: $.status, eq: ok }
        - duration: { lt: 500ms }
          severity: warn
          message: Slow, but answering.
      capture:
        state: { json: $.status, default: unknown }
    retry: { attempts: 5, interval: 2s, backoff: 2, max_interval: 30s, deadline: 1m, stop_if: 'result.status == 404' }
    timeout: 90s
    on: { pass: disk, warn: disk, fail: port, error: port }
  - id: disk
    check:
      cmd: { argv: [df, --output=pcent, /] }
      expect: [ { exit_code: 0 }, { stdout: { matches: "[0-9]+%" } } ]
      capture:
        pct: { regex: '(\d+)%', type: int }
    on: { pass: fix, fail: port, error: port }
  - id: port
    check:
      tcp: { host: 127.0.0.1, port: 9 }
      expect: [ { connected: true } ]
    max_visits: 2
    on: { pass: deeper, fail: down }
  - id: fix
    action:
      cmd: { argv: ["true"] }
      confirm: Clean the disk?
      expect: [ { exit_code: 0 } ]
    next: fixed
  - id: deeper
    call: { runbook: callee.yaml }
    timeout: 5m
    on: { resolved: fixed, diagnosed: down, escalated: down, inconclusive: down, error: down }
  - id: fixed
    conclude: { status: resolved }
  - id: down
    conclude: { status: diagnosed, severity: high }
"#;

const CALLEE: &str = "id: callee\ntitle: Callee\nsteps:\n  - id: look\n    instruct: { text: Look. }\n  - id: done\n    conclude: { status: resolved }\n";

#[test]
fn render_says_what_passes_warns_is_noted_and_retried_in_words() {
    let output = Test::new()
        .args(["render", "--output", "out", "in-words.yaml", "callee.yaml"])
        .files(&[("in-words.yaml", IN_WORDS.as_bytes()), ("callee.yaml", CALLEE.as_bytes())])
        .status(0);
    let document = std::fs::read_to_string(output.path("out/in-words.md")).expect("rendered");
    let steps = document.split("## Steps").nth(1).expect("a steps section");
    insta::assert_snapshot!("render_in_words", steps);
    // The callee's document has no check: no sentence about what a check is.
    let callee = std::fs::read_to_string(output.path("out/callee.md")).expect("rendered");
    assert!(!callee.contains("A check **passes**"), "{callee}");
}

/// `graph -o` writes as `render` does: never through a symbolic link, and
/// `-` is stdout as for `new -o -`. A document whose texts hold `{% … %}`
/// says what such a block is.
#[test]
fn graph_output_follows_no_link_and_blocks_are_explained() {
    let output =
        Test::new().args(["graph", "examples/branches.yaml", "-o", "-"]).status(0).stdout_contains("flowchart TD\n");
    assert!(!output.path("-").exists());
    let scratch = crate::Scratch::new();
    let target = scratch.path().join("target.txt");
    std::fs::write(&target, "kept").unwrap();
    let link = scratch.path().join("link.mmd");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    Test::new()
        .args(["graph".as_ref(), "examples/branches.yaml".as_ref(), "-o".as_ref(), link.as_os_str()])
        .status(1)
        .stderr_contains("it is a symbolic link (remove it first)");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept");
    let yaml = "id: b\ntitle: B\nsteps:\n  - id: done\n    conclude: { status: resolved, diagnosis: \"{% if true %}A{% endif %}\" }\n";
    let document = Test::new().args(["render", "b.yaml"]).files(&[("b.yaml", yaml.as_bytes())]).status(0).stdout;
    assert!(document.contains("Text in `{% … %}` blocks is logic run at the same time"), "{document}");
    let plain = Test::new().args(["render", "examples/branches.yaml"]).status(0).stdout;
    assert!(!plain.contains("{% … %}"), "{plain}");
}

/// The Markdown `render` wrote, as a GitHub-like renderer reads it: the
/// HTML it holds (tags a viewer would act on), the heading texts, the text
/// and code spans of everything else.
fn read_markdown(markdown: &str) -> (Vec<String>, Vec<String>, String) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let (mut html, mut headings, mut text) = (Vec::new(), Vec::new(), String::new());
    let mut heading: Option<String> = None;
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => headings.extend(heading.take()),
            Event::Text(part) | Event::Code(part) => {
                if let Some(heading) = &mut heading {
                    heading.push_str(&part);
                }
                text.push_str(&part);
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) => text.push('\n'),
            Event::Start(Tag::Link { dest_url, .. }) => {
                let _ = write!(text, "[link {dest_url}]");
            }
            Event::Html(tag) | Event::InlineHtml(tag)
                if !(&*tag == "<br>" || tag.starts_with("<a id=\"step-") || &*tag == "</a>") =>
            {
                html.push(tag.into_string());
            }
            _ => {}
        }
    }
    (html, headings, text)
}

#[test]
fn render_shows_values_as_they_read_and_keeps_the_authors_markdown() {
    let yaml = r#"id: marks
title: "Pod <name> crashloops in [EU & *prod* \u202e"
summary: "Is `api` up? See <https://status.example/x> and <namespace>."
owners: ["<team>"]
steps:
  - id: look
    title: "Look at <dashboard> | now \u202e"
    instruct:
      text: "Open <dashboard> and look at `p99 <ms>`"
      checklist: ["Check <queue> depth"]
    next: q
  - id: q
    ask:
      question: "Which <one>?"
      choices:
        - { answer: "a|b", label: "<script>alert(2)</script>", goto: done }
        - { answer: "c`d", label: "x | y when z", goto: done }
  - id: done
    conclude: { status: resolved, diagnosis: "Pod <name> restarted", followups: ["<img src=x onerror=alert(1)>"] }
"#;
    let output = Test::new().args(["render", "m.yaml", "-o", "out"]).files(&[("m.yaml", yaml.as_bytes())]).status(0);
    let document = std::fs::read_to_string(output.path("out/marks.md")).expect("the document");
    let (html, headings, text) = read_markdown(&document);
    assert!(html.is_empty(), "raw HTML reached the document: {html:?}\n{document}");
    assert_eq!(headings[0], "Pod <name> crashloops in [EU & *prod* \\u{202e}", "{document}");
    assert!(headings.iter().any(|h| h == "1. look: Look at <dashboard> | now \\u{202e}"), "{headings:?}");
    for shown in [
        "Open <dashboard> and look at p99 <ms>\n",
        "[link https://status.example/x]",
        " and <namespace>.",
        "Which <one>?",
        "Check <queue> depth",
        "Pod <name> restarted",
        "<img src=x onerror=alert(1)>",
        "<team>",
    ] {
        assert!(text.contains(shown), "{shown:?} is not shown as written in\n{text}\n{document}");
    }
    let rows = crate::record::rendered_cells(&document);
    for row in [["a|b", "<script>alert(2)</script>"], ["c`d", "x | y when z"]] {
        assert!(rows.iter().any(|cells| cells == &row), "{row:?} not in {rows:?}");
    }
    let index = std::fs::read_to_string(output.path("out/index.md")).expect("the index");
    let (html, _, text) = read_markdown(&index);
    assert!(html.is_empty() && text.contains("Pod <name> crashloops in [EU & *prod* \\u{202e}"), "{index}");
    for format in ["mermaid", "dot"] {
        let graph = Test::new().args(["graph", "m.yaml", "--format", format]).files(&[("m.yaml", yaml.as_bytes())]);
        let graph = graph.status(0).stdout;
        assert!(!graph.contains('\u{202e}') && graph.contains("\\u{202e}"), "{format}: {graph}");
    }
}

#[test]
fn render_and_graph_load_called_runbooks_as_check_does() {
    let calling = "id: a\ntitle: A\nsteps:\n  - id: c\n    call: { runbook: b.yaml }\n    next: done\n  - id: done\n    \
                  conclude: { status: resolved }\n";
    let called = "id: b\ntitle: B\nsteps:\n  - id: c\n    call: { runbook: a.yaml }\n    next: done\n  - id: done\n    \
                  conclude: { status: resolved }\n";
    let files = [("a.yaml", calling.as_bytes()), ("b.yaml", called.as_bytes())];
    let render = Test::new().args(["render", "a.yaml"]).files(&files).status(3);
    let chain = "`a.yaml` → `b.yaml` → `a.yaml`";
    assert!(render.stderr.contains("cycle") && render.stderr.contains(chain), "{}", render.stderr);
    let graph = Test::new().args(["graph", "a.yaml"]).files(&files).status(3);
    assert!(graph.stderr.contains(chain) && graph.stdout.contains("flowchart"), "{}", graph.stderr);
    let broken = [
        ("a.yaml", calling.as_bytes()),
        ("b.yaml", b"id: b\ntitle: B\nsteps:\n  - id: x\n    next: nowhere\n    instruct: { text: t }\n".as_slice()),
    ];
    let render = Test::new().args(["render", "a.yaml"]).files(&broken).status(3);
    assert!(render.stderr.contains("unknown step `nowhere`") && render.stderr.contains("b.yaml"), "{}", render.stderr);
    Test::new().args(["render", "a.yaml"]).files(&files[..1]).status(3).stderr_contains("b.yaml");
}

/// A `call` step ends only in what its callee concludes: `graph` and
/// `render` draw the plan's edges (those `check`, `run` and `runbook test`
/// see), so a status the callee never gives is no edge.
#[test]
fn graph_and_render_draw_no_edge_for_a_status_the_callee_never_concludes() {
    let calling = "id: a\ntitle: A\nsteps:\n  - id: c\n    call: { runbook: b.yaml }\n    on: { resolved: fine, \
                   escalated: up }\n  - id: fine\n    conclude: { status: resolved }\n  - id: up\n    conclude: { \
                   status: escalated }\n";
    let called = "id: b\ntitle: B\nsteps:\n  - id: done\n    conclude: { status: resolved }\n";
    let files = [("a.yaml", calling.as_bytes()), ("b.yaml", called.as_bytes())];
    let dot = Test::new().args(["graph", "--format", "dot", "a.yaml"]).files(&files).status(0).stdout;
    let edges: Vec<&str> = dot.lines().map(str::trim).filter(|line| line.contains(" -> ")).collect();
    assert_eq!(edges.len(), 1, "{dot}");
    assert!(edges[0].starts_with("s_c -> s_fine ") && edges[0].contains("label=\"resolved\""), "{dot}");
    let mermaid = Test::new().args(["graph", "a.yaml"]).files(&files).status(0).stdout;
    let links: Vec<&str> = mermaid.lines().filter(|line| line.contains(" -->")).collect();
    assert_eq!(links, ["  s_c -->|\"resolved\"| s_fine"], "{mermaid}");
    let document = Test::new().args(["render", "a.yaml"]).files(&files).status(0).stdout;
    let rows: Vec<&str> = document.lines().filter(|line| line.starts_with("| ") && line.contains("(#step-")).collect();
    assert_eq!(rows, ["| resolved | [`fine`](#step-fine) |"], "{document}");
}

/// A step only a status the callee never concludes leads to (RB204) is no
/// orphan node in either picture, nor a conclusion of the document: it is
/// left out, and said beside the picture (review-10-attack3 M5).
#[test]
fn graph_and_render_leave_out_a_step_no_run_can_reach_and_say_so() {
    let calling = "id: a\ntitle: A\nsteps:\n  - id: c\n    call: { runbook: b.yaml }\n    on: { resolved: fine, \
                   escalated: up }\n  - id: fine\n    conclude: { status: resolved }\n  - id: up\n    title: Page the \
                   owner\n    conclude: { status: escalated }\n";
    let called = "id: b\ntitle: B\nsteps:\n  - id: done\n    conclude: { status: resolved }\n";
    let files = [("a.yaml", calling.as_bytes()), ("b.yaml", called.as_bytes())];
    let note = "note: not drawn: step `up`, which no run can reach (`runbook check a.yaml` says why)";
    for format in ["mermaid", "dot"] {
        let drawn =
            Test::new().args(["graph", "--format", format, "a.yaml"]).files(&files).status(0).stderr_contains(note);
        assert!(drawn.stdout.contains("s_fine") && !drawn.stdout.contains("s_up"), "{}", drawn.stdout);
        assert!(!drawn.stdout.contains("Page the owner"), "{}", drawn.stdout);
    }
    let document = Test::new().args(["render", "a.yaml"]).files(&files).status(0).stdout;
    assert!(!document.contains("step-up") && !document.contains("Page the owner"), "{document}");
    assert!(document.contains("<a id=\"step-fine\"></a>"), "{document}");
    assert!(
        document.contains(
            "> Not on the map nor below: step `up`, which no run can reach (`runbook check a.yaml` says why).\n"
        ),
        "{document}"
    );
}

#[test]
fn new_writes_both_files_or_neither_and_points_at_the_schema_through_dot_dot() {
    let long = format!("a{}", "b".repeat(246));
    let output = Test::new().args(["new", &long]).files(&[]).status(1).stderr_contains("File name too long");
    assert!(!output.path(&format!("{long}.yaml")).exists(), "the runbook was left without its test file");
    let output = Test::new()
        .args(["new", "deep", "-o", "a/b/../deep.yaml"])
        .files(&[("schemas/runbook.schema.json", b"{}"), ("a/b/.keep", b"")])
        .status(0);
    let text = std::fs::read_to_string(output.path("a/deep.yaml")).expect("written");
    assert!(text.starts_with("# yaml-language-server: $schema=../schemas/runbook.schema.json\n"), "{text}");
}

/// Every command that takes a runbook says so of a test file given
/// instead (review-12-user8 M2: `run X.test.yaml` answered "unknown key
/// `cases`"; a shell completes `X.test.yaml` before `X.yaml`).
#[test]
fn render_graph_and_run_refuse_a_test_file_naming_its_runbook() {
    let test_file = workspace().join("examples/branches.test.yaml");
    let test_file = test_file.to_str().expect("utf-8");
    for args in [
        vec!["render", test_file],
        vec!["graph", test_file],
        vec!["run", test_file, "--no-record", "--non-interactive"],
        vec!["run", "--dry-run", test_file, "--no-record"],
    ] {
        Test::new()
            .args(args)
            .status(2)
            .stderr_contains("is a test file (the cases of a runbook); give its runbook")
            .stderr_contains("branches.yaml`");
    }
}

#[test]
fn render_rebases_relative_links_to_where_the_document_goes() {
    let yaml = "id: linked\ntitle: Linked\nlinks:\n  - { title: Beside, url: docs/a.md#part }\n  - { title: Up, url: ../shared/b.txt }\n  \
                - { title: Web, url: \"https://h.example/x\" }\n  - { title: Here, url: \"#step-done\" }\n  \
                - { title: Bad, url: \"javascript:alert(1)\" }\n  - { title: Angle, url: \"http://a.example/<b>\\n#x\" }\nsteps:\n  - id: done\n    \
                conclude: { status: resolved }\n";
    let files = [("rb/linked.yaml", yaml.as_bytes())];
    let into_dir = Test::new().args(["render", "rb/linked.yaml", "-o", "out"]).files(&files).status(0);
    let document = std::fs::read_to_string(into_dir.path("out/linked.md")).expect("written");
    for link in [
        "[Beside](<../rb/docs/a.md#part>)",
        "[Up](<../shared/b.txt>)",
        "[Web](<https://h.example/x>)",
        "[Here](<#step-done>)",
    ] {
        assert!(document.contains(link), "{link} in\n{document}");
    }
    assert!(document.contains("- Bad (`javascript:alert(1)`)\n") && !document.contains("(<javascript"), "{document}");
    assert!(document.contains("[Angle](<http://a.example/%3Cb%3E%0A#x>)"), "{document}");
    let here = Test::new().args(["render", "rb/linked.yaml"]).files(&files).status(0).stdout;
    assert!(here.contains("[Beside](<rb/docs/a.md#part>)") && here.contains("[Up](<shared/b.txt>)"), "{here}");
}

#[test]
fn a_recorded_path_on_an_edited_runbook_follows_steps_and_labels_not_positions() {
    let before = "id: w\ntitle: W\nsteps:\n  - id: a\n    check: { cmd: { argv: [\"false\"] }, expect: [ { exit_code: 0 } ] }\n    \
                  on:\n      pass: x\n      fail:\n        - when: result.exit_code == 1\n          goto: y\n        - goto: x\n      \
                  error: x\n  - id: x\n    conclude: { status: resolved }\n  - id: y\n    conclude: { status: diagnosed }\n";
    let output = Test::new()
        .args(["run", "w.yaml", "--non-interactive", "--record-dir", "rec"])
        .files(&[("w.yaml", before.as_bytes())])
        .status(0);
    let dir = output.path("");
    // A new first entry in the chain: the entry the run took moves down.
    let after =
        before.replace("      fail:\n", "      fail:\n        - when: result.exit_code == 2\n          goto: x\n");
    std::fs::write(dir.join("w.yaml"), after).expect("edit");
    let graph = runbook_in(&dir, &["graph", "w.yaml", "--record", "rec"]);
    let text = String::from_utf8_lossy(&graph.stdout);
    let links: Vec<&str> = text.lines().filter(|line| line.contains("-->")).collect();
    let taken = links.iter().position(|line| line.contains("result.exit_code == 1") && line.ends_with("s_y"));
    let taken = taken.expect("the edge the run took");
    assert!(text.contains(&format!("  linkStyle {taken} stroke:")), "{text}");
    let said = String::from_utf8_lossy(&graph.stderr);
    assert!(said.contains("each transition matched by its steps and label"), "{said}");
}

#[test]
fn render_to_dash_is_stdout() {
    let quickstart = workspace().join("examples/quickstart.yaml");
    let output = Test::new().args(["render", quickstart.to_str().expect("utf-8"), "-o", "-"]).files(&[]).status(0);
    assert!(output.stdout.starts_with("# ") && !output.path("-").exists(), "{}", output.stderr);
}

#[test]
fn render_refuses_a_dangling_link_for_a_directory_and_new_quotes_what_it_suggests() {
    let scratch = crate::Scratch::new();
    std::os::unix::fs::symlink(scratch.path().join("nowhere"), scratch.path().join("out")).expect("link");
    let quickstart = workspace().join("examples/quickstart.yaml");
    let output = runbook_in(scratch.path(), &["render", quickstart.to_str().expect("utf-8"), "-o", "out"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("it is a symbolic link to nothing"));
    let spaced = Test::new().args(["new", "x", "-o", "d/new file.yaml"]).files(&[("d/.keep", b"")]).status(0);
    assert!(spaced.stderr.contains("`runbook check 'd/new file.yaml'`"), "{}", spaced.stderr);
    Test::new().args(["new", "index"]).files(&[]).status(0).stderr_contains("refuses the id `index`");
}

#[test]
fn render_writes_no_index_of_nothing() {
    let broken = b"id: x\ntitle: X\nsteps:\n  - id: a\n    next: nowhere\n    instruct: { text: t }\n";
    let output = Test::new().args(["render", "rb", "-o", "out"]).files(&[("rb/x.yaml", broken)]).status(3);
    assert!(!output.path("out/index.md").exists(), "{}", output.stderr);
    assert!(output.stderr.contains("rendered no runbook into out: each has errors"), "{}", output.stderr);
}

/// review-12-user8 M1: a list default is shown as the run reads it, in
/// one form whether the YAML wraps a flow list over lines (which showed
/// `"/b",, "/c"`) or writes a block list.
#[test]
fn render_shows_a_list_default_as_read_whether_flow_wrapped_or_block() {
    let yaml = "id: lists\ntitle: Lists\ninputs:\n  paths:\n    type: list\n    default: [\"/a\", \"/b\",\n              \"/c\"]\n  \
                codes:\n    type: list\n    default:\n      - 500\n      - 502\nsteps:\n  - id: done\n    conclude: { status: \
                resolved }\n";
    let document = Test::new().args(["render", "l.yaml"]).files(&[("l.yaml", yaml.as_bytes())]).status(0).stdout;
    for row in ["| `paths` |  | `[\"/a\", \"/b\", \"/c\"]` | — |", "| `codes` |  | `[500, 502]` | — |"] {
        assert!(document.contains(row), "missing {row:?} in\n{document}");
    }
}

/// review-12-user8 L1: the skeleton writes its prose list as a block
/// list, which a comma in an edited follow-up does not split in two.
#[test]
fn new_writes_prose_lists_as_block_lists() {
    let output = Test::new().args(["new", "svc"]).files(&[]).status(0);
    let text = std::fs::read_to_string(output.path("svc.yaml")).expect("written");
    assert!(text.contains("followups:\n        - Write down what the logs showed"), "{text}");
    assert!(!text.contains("followups: ["), "{text}");
}

#[test]
fn render_keeps_a_backtick_in_a_host_an_env_name_or_a_list_default_inside_its_code_span() {
    let yaml = "id: ticks\ntitle: Ticks\ninputs:\n  l: { description: list, type: list, default: [\"c`d\", \"e``f\"] }\nsteps:\n  \
                - id: t\n    check:\n      tcp: { host: \"127.0.0.1`id`\", port: 9 }\n      expect: [ { connected: true } ]\n    \
                next: e\n  - id: e\n    check:\n      env: { non_empty: [\"X`Y\"] }\n    next: done\n  - id: done\n    \
                conclude: { status: resolved }\n";
    let document = Test::new().args(["render", "t.yaml"]).files(&[("t.yaml", yaml.as_bytes())]).status(0).stdout;
    let (html, _, text) = read_markdown(&document);
    assert!(html.is_empty(), "{html:?}");
    for shown in ["Open a TCP connection to 127.0.0.1`id` port 9", "set and not empty: X`Y", "[\"c`d\", \"e``f\"]"] {
        assert!(text.contains(shown), "{shown:?} in\n{text}\n{document}");
    }
}

#[test]
fn a_runbook_over_the_size_limit_is_refused_unread_and_check_refuses_a_fifo() {
    let scratch = crate::Scratch::new();
    // A 4 GiB sparse file (a log or a dump given by mistake): read whole it
    // took gigabytes of memory and minutes, deaf to SIGTERM.
    let big = std::fs::File::create(scratch.path().join("big.yaml")).expect("create");
    big.set_len(4 << 30).expect("set_len");
    for (command, code) in [("run", 3), ("check", 3), ("render", 3), ("graph", 3)] {
        let mut args = vec![command, "big.yaml"];
        if command == "run" {
            args.push("--no-record");
        }
        let output = runbook_in(scratch.path(), &args);
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{command}: {said}");
        assert!(said.contains("the file is over 16777216 bytes, the limit for a runbook"), "{command}: {said}");
    }
    nix::unistd::mkfifo(&scratch.path().join("fifo.yaml"), nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
    let output = runbook_in(scratch.path(), &["check", "fifo.yaml"]);
    let said = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{said}");
    assert!(said.contains("not a regular file"), "{said}");
}

#[test]
fn render_and_graph_refuse_a_fifo_and_skip_one_in_a_directory() {
    let scratch = crate::Scratch::new();
    let dir = scratch.path().join("rb");
    std::fs::create_dir_all(&dir).expect("dir");
    nix::unistd::mkfifo(&dir.join("fifo.yaml"), nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
    std::fs::write(
        dir.join("plain.yaml"),
        "id: plain\ntitle: Plain\nsteps:\n  - id: d\n    conclude: { status: resolved }\n",
    )
    .expect("write");
    for command in ["render", "graph"] {
        let output = runbook_in(scratch.path(), &[command, "rb/fifo.yaml"]);
        assert_eq!(output.status.code(), Some(1), "{command}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("it is not a regular file"), "{command}");
    }
    let output = runbook_in(scratch.path(), &["render", "rb", "-o", "out"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(scratch.path().join("out/plain.md").is_file());
    // `run` refuses it too, at once, instead of blocking deaf to signals.
    let output = runbook_in(scratch.path(), &["run", "rb/fifo.yaml", "--no-record"]);
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("cannot read `rb/fifo.yaml`: it is a FIFO or socket, not a regular file"), "{said}");
    // A directory holding only the FIFO has no runbook: said so, not "each has errors".
    std::fs::remove_file(dir.join("plain.yaml")).expect("remove");
    let output = runbook_in(scratch.path(), &["render", "rb", "-o", "none"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("error: no runbook found in `rb`"));
    assert!(!scratch.path().join("none").exists());
}

/// review-12-attack4 L1, attack5 N-L1, N-L2: an author's text stays in its
/// place in the document (no heading of its own, a fence it leaves open
/// closed before the next section) and no author link leads to a script.
#[test]
fn render_keeps_an_authors_headings_fences_and_links_inside_their_text() {
    let yaml = "id: hostile\ntitle: Hostile\nsummary: |\n  Read [the status](https://status.example/) first, not \
                [this](javascript:alert(1)).\n  ```\n  never closed\ninputs:\n  host: { description: \"the [a](javascript:alert(2)) \
                host\", default: h }\nsteps:\n  - id: look\n    instruct:\n      text: |\n        Look first.\n        # Not a heading\n        \
                Then act.\n        ===\n    next: done\n  - id: done\n    conclude:\n      status: diagnosed\n      severity: high\n      \
                diagnosis: |\n        The cache is full.\n        ---\n        ```\n        unclosed in the diagnosis\n";
    let document = Test::new().args(["render", "h.yaml"]).files(&[("h.yaml", yaml.as_bytes())]).status(0).stdout;
    let (html, headings, text) = read_markdown(&document);
    assert!(html.is_empty(), "{html:?}");
    for heading in &headings {
        assert!(!heading.contains("Not a heading") && !heading.contains("cache"), "{heading:?} in {headings:?}");
    }
    for section in ["Inputs", "Steps", "Conclusions"] {
        assert!(headings.iter().any(|h| h == section), "{section} is lost in {headings:?}\n{document}");
    }
    for kept in ["# Not a heading", "===", "---", "unclosed in the diagnosis"] {
        assert!(text.contains(kept), "{kept:?} is not shown as written in {text}");
    }
    assert!(text.contains("[link https://status.example/]"), "an http link is kept: {text}");
    assert!(!text.contains("[link javascript"), "a script link: {text}\n{document}");
    assert!(text.contains("](javascript:alert(2))"), "shown as written: {text}");
}

/// review-12-attack5 N-L3, N-L5, N-L8: the curl line of a check through an
/// https proxy trusts the proxy as the probe does, never prints a password
/// a run redacts (curl asks for it), and shows the certificate it judges.
#[test]
fn render_curl_line_trusts_an_https_proxy_hides_its_password_and_shows_the_certificate() {
    let yaml = "id: px\ntitle: Px\nsteps:\n  - id: cert\n    check:\n      http: { url: \"https://ops:S3rvPw@localhost:8443/health\", \
                proxy: \"https://alice:Pr0xyPw@127.0.0.1:3129\", tls: { ca_file: bundle.pem, insecure: false } }\n      \
                expect: [ { status: 200 }, { tls: days_left, ge: 40 } ]\n    next: done\n  - id: done\n    conclude: { status: resolved }\n";
    let document = Test::new().args(["render", "p.yaml"]).files(&[("p.yaml", yaml.as_bytes())]).status(0).stdout;
    assert!(!document.contains("Pr0xyPw") && !document.contains("S3rvPw"), "{document}");
    let line = document.lines().find(|line| line.starts_with("curl ")).expect("a curl line");
    for word in [
        " -v ",
        " --cacert bundle.pem --proxy-cacert bundle.pem ",
        " --proxy https://127.0.0.1:3129 --proxy-user alice ",
        " --user ops ",
        " https://localhost:8443/health",
    ] {
        assert!(line.contains(word), "{word:?} not in {line}");
    }
    assert!(document.contains("`-v` shows the certificate"), "{document}");
    let plain =
        yaml.replace("https://alice:Pr0xyPw@", "http://").replace("{ tls: days_left, ge: 40 }", "{ status: 200 }");
    let document = Test::new().args(["render", "p.yaml"]).files(&[("p.yaml", plain.as_bytes())]).status(0).stdout;
    let line = document.lines().find(|line| line.starts_with("curl ")).expect("a curl line");
    assert!(!line.contains("--proxy-cacert") && !line.contains(" -v "), "an http proxy has no certificate: {line}");
}
