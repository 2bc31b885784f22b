//! What quoting cannot make safe in `sh:`, end to end with real files and
//! real processes: a value read as an option, an empty value that cuts a
//! path to its parent, and values in shell arithmetic (review-10-attack7
//! H14, H2, H16).

use crate::run::{of, run};

/// A runbook whose check `c` runs `sh` and concludes `done` with its
/// stdout, on any outcome.
fn shell(inputs: &str, sh: &str) -> String {
    format!(
        r#"
id: shell-values
title: a value in sh
inputs: {{ {inputs} }}
steps:
  - id: c
    check:
      cmd: {{ sh: "{sh}" }}
      expect: [ {{ exit_code: 0 }} ]
      capture: {{ out: {{ stdout: true }} }}
    on: {{ pass: done, fail: done, error: done }}
  - id: done
    conclude: {{ status: inconclusive, diagnosis: "{{{{ vars.out }}}}" }}
"#
    )
}

#[test]
fn a_value_beginning_with_a_dash_stops_the_run_before_find_deletes_anything() {
    let yaml = shell("dir: { default: logs }", "find {{ inputs.dir }} -name '*.tmp' -print");
    let output = crate::Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes()), ("logs/a.tmp", b""), ("keep.txt", b"")])
        .args(["run", "runbook.yaml", "--non-interactive", "--read-only", "--input", "dir=-delete"])
        .status(4)
        .stderr_contains("`inputs.dir`: the value `-delete` begins with `-`")
        .stderr_contains("`rm -- {{ f }}`");
    for kept in ["keep.txt", "logs/a.tmp", "runbook.yaml"] {
        assert!(output.path(kept).exists(), "{kept} was deleted");
    }
}

#[test]
fn a_value_after_dashes_or_vouched_for_runs() {
    let yaml =
        shell("f: { default: x }", "touch -- {{ inputs.f }} && ls -- {{ inputs.f }} && ls {{ '-d' | dash_ok }} .");
    let events = run(&yaml, &["--input", "f=-rf"]).status(0).events();
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "-rf\n.");
}

#[test]
fn an_empty_value_next_to_a_slash_stops_the_run_before_rm_deletes_the_parent() {
    let yaml = shell("tenant: { default: a }", "rm -rf cache/{{ inputs.tenant }}");
    let output = crate::Test::new()
        .files(&[("runbook.yaml", yaml.as_bytes()), ("cache/b/keep", b"")])
        .args(["run", "runbook.yaml", "--non-interactive", "--input", "tenant="])
        .status(4)
        .stderr_contains("`inputs.tenant`: the value is empty and forms a path segment next to `/`");
    assert!(output.path("cache/b/keep").exists(), "another tenant's cache was deleted");
}

#[test]
fn a_typed_number_is_arithmetic_and_text_that_is_not_a_number_stops() {
    let yaml =
        shell("n: { type: number, default: 5 }, t: { default: '7' }", "echo $(( {{ inputs.n }} + {{ inputs.t }} ))");
    let events = run(&yaml, &[]).status(0).events();
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "12");
    let canary = "canary-h1";
    run(&yaml, &["--input", &format!("t=a[$(touch {canary})]")])
        .status(4)
        .stderr_contains("`inputs.t`: the value `a[$(touch canary-h1)]` lands in shell arithmetic");
}

#[test]
fn a_list_through_words_reaches_the_program_as_one_argument_per_item() {
    let yaml = shell(
        "hosts: { type: list, default: [api-1, 'a b', '$(touch pwned)'] }",
        "printf '[%s]' {{ inputs.hosts | words }}",
    );
    let output = run(&yaml, &[]).status(0);
    let events = output.events();
    assert_eq!(of(&events, "concluded")[0]["conclusion"]["diagnosis"], "[api-1][a b][$(touch pwned)]");
    assert!(!output.path("pwned").exists(), "an item ran as a command");
}
