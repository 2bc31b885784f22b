//! Hostile inputs too large or too binary to commit as fixtures: each gets
//! a located diagnostic and exit 3, never a panic or a hang.

use std::fmt::Write as _;

use crate::Test;

fn check_one(bytes: &[u8]) -> serde_json::Value {
    let output =
        Test::new().files(&[("hostile.yaml", bytes)]).args(["check", "--format", "json", "hostile.yaml"]).status(3);
    output.json::<serde_json::Value>()["files"][0]["diagnostics"][0].clone()
}

#[test]
fn invalid_utf8_is_located() {
    let diagnostic = check_one(b"id: x\ntitle: caf\xe9\nsteps: []\n");
    assert_eq!(diagnostic["code"], "RB002");
    assert_eq!((diagnostic["line"].as_u64(), diagnostic["column"].as_u64()), (Some(2), Some(11)));
}

#[test]
fn a_ten_megabyte_string_is_checked_without_flooding_the_terminal() {
    let mut text = b"id: x\ntitle: \"".to_vec();
    text.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    text.extend(b"\"\nsteps:\n  - id: a\n    next: nowhere\n    instruct: { text: t }\n");
    let diagnostic = check_one(&text);
    assert_eq!(diagnostic["code"], "RB201");
    assert_eq!(diagnostic["line"], 5);
    let output = Test::new().files(&[("big.yaml", &text)]).args(["check", "big.yaml"]).status(3);
    assert!(output.stderr.len() < 10_000, "the human report is {} bytes", output.stderr.len());
}

#[test]
fn a_ten_megabyte_line_in_error_is_not_printed() {
    let mut text = b"id: x\ntitle: t\nsteps: [".to_vec();
    text.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    text.extend(b"]\n");
    let output = Test::new().files(&[("big.yaml", &text)]).args(["check", "big.yaml"]).status(3);
    assert!(output.stderr.len() < 10_000, "the human report is {} bytes", output.stderr.len());
    assert!(output.stderr.contains("big.yaml:3:"), "{}", output.stderr);
}

#[test]
fn a_file_over_the_size_limit_is_refused() {
    let text = vec![b'#'; 17 * 1024 * 1024];
    let diagnostic = check_one(&text);
    assert_eq!(diagnostic["code"], "RB003");
}

#[test]
fn ten_thousand_nested_lists_fail_fast() {
    let text = format!("id: x\ntitle: t\nsteps: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let diagnostic = check_one(text.as_bytes());
    assert_eq!(diagnostic["code"], "RB003");
}

#[test]
fn a_billion_laughs_fails_fast() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        let _ = writeln!(text, "a{level}: &a{level} [{}]", [previous.as_str(); 10].join(", "));
    }
    text.push_str("id: x\ntitle: t\nsteps:\n  - id: a\n    instruct: { text: t, checklist: *a9 }\n");
    let diagnostic = check_one(text.as_bytes());
    assert!(["RB003", "RB101"].contains(&diagnostic["code"].as_str().unwrap_or_default()), "{diagnostic}");
}

#[test]
fn a_billion_laughs_inside_a_free_form_value_hits_the_budget() {
    // An input default takes any YAML value, so only the alias budget can
    // stop the expansion.
    let mut anchors = String::from("      - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        let _ = writeln!(anchors, "      - &a{level} [{}]", [previous.as_str(); 10].join(", "));
    }
    let text = format!(
        "id: x\ntitle: t\ninputs:\n  bomb:\n    type: list\n    default:\n{anchors}steps:\n  - id: a\n    conclude: {{ status: resolved }}\n"
    );
    let diagnostic = check_one(text.as_bytes());
    assert_eq!(diagnostic["code"], "RB003", "{diagnostic}");
}

#[test]
fn twenty_thousand_steps_are_analysed_in_linear_memory() {
    // Regression: the first dominator analysis allocated steps² booleans and
    // ran out of memory on 80,000 steps.
    let mut text = String::from("id: x\ntitle: t\nsteps:\n");
    let _ = writeln!(text, "  - id: s0\n    instruct: {{ text: start }}");
    for step in 1..20_000 {
        let previous = step - 1;
        let _ = writeln!(text, "  - id: s{step}\n    instruct: {{ text: \"{{{{ steps.s{previous}.notes }}}}\" }}");
    }
    let output =
        Test::new().files(&[("many.yaml", text.as_bytes())]).args(["check", "--format", "json", "many.yaml"]).status(0);
    let report: serde_json::Value = output.json();
    // The last step falls off the end of the file: one warning, nothing else.
    assert_eq!(report["summary"]["warnings"], 1, "{}", output.stdout);
}

/// A file name holding an escape sequence (a pull request can add one)
/// reaches neither the terminal nor the CI log through `runbook test` or
/// `runbook render`: it is shown with visible escapes.
#[test]
fn file_names_with_control_characters_are_shown_escaped() {
    let name = "a\x1b]0;PWN\x07\x1b[31mred";
    let runbook = "id: fn\ntitle: Names\nsteps:\n  - id: up\n    check: { cmd: { argv: [\"true\"] } }\n  - id: end\n    conclude: { status: resolved }\n";
    let test = "cases:\n  - name: up\n    observations:\n      up: { cmd: { exit_code: 0 } }\n    expect: { status: resolved }\n";
    let (runbook_file, test_file) = (format!("{name}.yaml"), format!("{name}.test.yaml"));
    let files = [(runbook_file.as_str(), runbook.as_bytes()), (test_file.as_str(), test.as_bytes())];
    let tested = Test::new().files(&files).args(["--color", "never", "test", "."]).status(0);
    let rendered = Test::new().files(&files).args(["--color", "never", "render", ".", "--output", "out"]).status(0);
    let document = std::fs::read_to_string(rendered.path("out/fn.md")).unwrap();
    for (what, text) in [("test stdout", &tested.stdout), ("test stderr", &tested.stderr), ("render", &document)] {
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{what}: {text:?}");
    }
    assert!(tested.stderr.contains(r"a\x1b]0;PWN\x07\x1b[31mred.test.yaml"), "{}", tested.stderr);
}

/// `check` shows a runbook's line without the control characters in it
/// (an escape sequence in a comment would retitle the terminal or erase a
/// line of the CI log); the marks that reorder text (Trojan Source) are
/// warned about (RB407) and `render` shows them as escapes.
#[test]
fn check_and_render_do_not_pass_a_runbooks_control_characters_through() {
    let hostile = "id: t\ntitle: t # \x1b]0;PWN\x07\x1b[2K\nbogus: 1\nsteps:\n  - id: a\n    action:\n      confirm: Removes the temporary files.\n      cmd: { sh: \"rm -rf /tmp/x \u{202e} ; echo \u{202c}\" }\n  - id: end\n    conclude: { status: resolved }\n";
    let checked =
        Test::new().files(&[("t.yaml", hostile.as_bytes())]).args(["--color", "never", "check", "t.yaml"]).status(3);
    let shown = format!("{}{}", checked.stdout, checked.stderr);
    assert!(shown.contains("title: t # ?]0;PWN??[2K"), "{shown}");
    for text in [&checked.stdout, &checked.stderr] {
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    }
    let fine = hostile.replace("bogus: 1\n", "").replace("title: t # \x1b]0;PWN\x07\x1b[2K", "title: t");
    Test::new()
        .files(&[("t.yaml", fine.as_bytes())])
        .args(["check", "--deny-warnings", "t.yaml"])
        .status(3)
        .stderr_contains("RB407");
    let rendered = Test::new().files(&[("t.yaml", fine.as_bytes())]).args(["render", "t.yaml"]).status(0);
    assert!(!rendered.stdout.contains('\u{202e}') && !rendered.stdout.contains('\x1b'), "{}", rendered.stdout);
    assert!(rendered.stdout.contains(r"\u{202e}"), "{}", rendered.stdout);
}
