//! Output from a hostile service reaches people as text, never as terminal
//! or Markdown commands: the terminal view and `record.md` show control
//! characters as escapes, and a target cannot break out of its code span.

use crate::Test;

const RUNBOOK: &str = r#"
id: hostile
title: Hostile output
steps:
  - id: liar
    check:
      cmd:
        argv:
          - sh
          - -c
          - |-
            printf 'ok\033[2K\r\033[32m✓ pass\007\033]0;pwned\007\302\2332J\n'; exit 1
          - "x`y\n```\n# injected heading\n"
      expect: [ { exit_code: 0 } ]
      capture: { said: { stdout: true } }
  - id: end
    conclude: { status: diagnosed, diagnosis: "the service said {{ vars.said }}" }
"#;

/// Bytes a terminal acts on: ESC, BEL, CR, the C1 CSI.
fn hazards(text: &str) -> Vec<char> {
    text.chars().filter(|c| matches!(c, '\x1b' | '\x07' | '\r' | '\u{9b}')).collect()
}

#[test]
fn control_characters_from_a_probe_are_shown_as_escapes_in_the_terminal_and_the_record() {
    let output = Test::new()
        .files(&[("runbook.yaml", RUNBOOK.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .status(0);
    assert_eq!(hazards(&output.stdout), [], "{:?}", output.stdout);
    assert_eq!(hazards(&output.stderr), [], "{:?}", output.stderr);
    assert!(output.stdout.contains(r"ok\x1b[2K\r\x1b[32m✓ pass\x07\x1b]0;pwned\x07\u{9b}2J"), "{}", output.stdout);
    let markdown = std::fs::read_to_string(output.path("rec/record.md")).unwrap();
    assert_eq!(hazards(&markdown), [], "{markdown:?}");
    assert!(markdown.contains(r"\x1b]0;pwned\x07"), "{markdown}");
    // The target holds line breaks inside a quoted word: it is shown on its
    // lines, in a block fenced by more backticks than it holds, where
    // `# injected heading` stays text.
    assert!(markdown.contains("(the script below) → **fail**\n\n````sh\nsh -c "), "{markdown}");
    assert!(markdown.contains("\n# injected heading\n"), "{markdown}");
    let mut in_heading = false;
    let mut headings = String::new();
    for event in pulldown_cmark::Parser::new(&markdown) {
        match event {
            pulldown_cmark::Event::Start(pulldown_cmark::Tag::Heading { .. }) => in_heading = true,
            pulldown_cmark::Event::End(pulldown_cmark::TagEnd::Heading(_)) => in_heading = false,
            pulldown_cmark::Event::Text(text) if in_heading => headings.push_str(&text),
            _ => {}
        }
    }
    assert!(!headings.contains("injected"), "a line of the target became a heading:\n{markdown}");
}

#[test]
fn with_colours_on_only_the_view_s_own_styles_reach_the_terminal() {
    let output = Test::new()
        .files(&[("runbook.yaml", RUNBOOK.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "always", "--no-record"])
        .status(0);
    assert!(output.stdout.contains('\x1b'), "colours are on: {:?}", output.stdout);
    for hostile in ["\x1b[2K", "\x1b]0;", "\x07", "\r", "\u{9b}"] {
        assert!(!output.stdout.contains(hostile), "{hostile:?} reached the terminal: {:?}", output.stdout);
    }
}

const MARKDOWN_RUNBOOK: &str = r#"
id: markdown
title: Markdown from a service
steps:
  - id: said
    check:
      cmd: { sh: "printf 'fine\\n```\\n# injected heading\\n<!-- hide\\n<script>alert(1)</script>\\n- [x] done\\n'" }
      expect: [ { exit_code: 0 } ]
      capture: { said: { stdout: true } }
  - id: end
    conclude:
      status: diagnosed
      diagnosis: "the service said {{ vars.said }}"
      remediation: "{{ vars.said }}"
"#;

/// The text of the `## NAME` section of `markdown`.
fn section<'a>(markdown: &'a str, name: &str) -> &'a str {
    let start = markdown.find(&format!("## {name}\n")).unwrap_or_else(|| panic!("no {name}: {markdown}"));
    let rest = &markdown[start + name.len() + 4..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

#[test]
fn markdown_and_html_from_a_probe_stay_text_in_the_record() {
    let output = Test::new()
        .files(&[("runbook.yaml", MARKDOWN_RUNBOOK.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--color", "never", "--record-dir", "rec"])
        .status(0);
    let markdown = std::fs::read_to_string(output.path("rec/record.md")).unwrap();
    for name in ["Diagnosis", "What to do next"] {
        let text = section(&markdown, name);
        assert!(text.contains("injected heading"), "{name} shows the output: {text}");
        for line in text.lines().map(str::trim_start) {
            for opener in ["#", "```", "<", "- [x]"] {
                assert!(!line.starts_with(opener), "{name}: a line opens {opener:?}: {text}");
            }
        }
    }
    let rows = crate::record::rendered_cells(&markdown);
    let captured = &rows.iter().find(|row| row[0] == "vars.said").expect("the capture is shown")[1];
    assert!(captured.contains("<!-- hide\n<script>alert(1)</script>\n- [x] done"), "not shown as text: {captured}");
    assert!(!captured.contains("Html"), "raw HTML in a table cell: {captured}");
}

/// A service printing more than the probe keeps cannot make the engine
/// judge text it never printed: the kept head and tail are not glued into
/// one match or one JSON document.
#[test]
fn the_head_and_tail_of_a_long_output_are_never_judged_as_one_text() {
    let yaml = r#"
id: spliced
title: Spliced
steps:
  - id: splice
    check:
      cmd: { sh: "head -c 524287 /dev/zero | tr '\\0' x; printf A; head -c 3000000 /dev/zero | tr '\\0' -; printf B; head -c 524287 /dev/zero | tr '\\0' y" }
      expect: [ { stdout: { contains: AB } } ]
      capture: { m: { regex: "x(AB)y", default: none } }
    on: { pass: fooled, fail: json, error: json }
  - id: json
    check:
      cmd: { sh: "printf '{\"a\":\"'; head -c 700000 /dev/zero | tr '\\0' p; printf '\",\"error\":\"disk full\",\"b\":\"'; head -c 700000 /dev/zero | tr '\\0' q; printf '\",\"healthy\":true}'" }
      expect:
        - { json: "$.error", exists: false }
        - { json: "$.healthy", eq: true }
    on: { pass: fooled, fail: fooled, error: end }
  - id: fooled
    conclude: { status: diagnosed, diagnosis: "judged a text never printed" }
  - id: end
    conclude: { status: inconclusive, diagnosis: "splice {{ vars.m }}; json {{ steps.json.error.kind }}: {{ steps.json.error.message }}" }
"#;
    let output = Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--no-record"])
        .status(0);
    let events = output.events();
    let concluded = events.iter().find(|event| event["event"] == "concluded").expect("a conclusion");
    let diagnosis = concluded["conclusion"]["diagnosis"].as_str().unwrap();
    assert!(diagnosis.starts_with("splice none; json invalid_json: the output is not whole: "), "{diagnosis}");
    assert!(diagnosis.contains("bytes were dropped from the middle"), "{diagnosis}");
}
