//! `runbook explain`: every code is documented, and the docs are printed.

use crate::{Test, workspace};

#[test]
fn every_code_has_a_section_in_the_docs() {
    let list = Test::new().args(["explain"]).status(0).stdout;
    let docs = std::fs::read_to_string(workspace().join("docs/diagnostics.md")).expect("docs exist");
    let codes: Vec<(&str, &str)> = list
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some((words.next()?, words.next()?))
        })
        .collect();
    assert!(codes.len() >= 30, "{list}");
    for (code, name) in codes {
        let heading = format!("## {code} {name}\n");
        assert!(docs.contains(&heading), "docs/diagnostics.md lacks `{}`", heading.trim());
        let section = Test::new().args(["explain", code]).status(0).stdout;
        assert!(section.starts_with(heading.trim()), "{section}");
        for part in ["What it finds", "Why it matters", "Example", "How to fix"] {
            assert!(section.contains(part), "{code} lacks `{part}`");
        }
    }
}

#[test]
fn explain_accepts_rule_names_and_suggests_on_typos() {
    Test::new().args(["explain", "unknown-step"]).status(0).stdout_contains("## RB201 unknown-step");
    Test::new().args(["explain", "unknown-stpe"]).status(2).stderr_contains("did you mean `unknown-step`?");
}

#[test]
fn rb209_is_listed_as_its_page_describes_it() {
    let list = Test::new().args(["explain"]).status(0).stdout;
    let line = list.lines().find(|line| line.starts_with("RB209")).expect("RB209 is listed");
    let page = Test::new().args(["explain", "RB209"]).status(0).stdout;
    // The page says `next` beside `on:` is no conflict, and `check` agrees,
    // so the list must not call it one.
    assert!(page.contains("`next` beside `on:` is not a conflict"), "{page}");
    assert!(!line.contains("both `next` and `on`"), "{line}");
    for case in ["conclusion", "after the default", "routed twice"] {
        assert!(line.contains(case), "the list line names the cases of its page: {line}");
    }
    let next_beside_on = b"id: next-beside-on
title: Next beside on
steps:
  - id: probe
    check:
      cmd: { argv: [\"true\"] }
      expect: [ { exit_code: 0 } ]
    on: { fail: broken, error: broken }
    next: fine
  - id: fine
    conclude: { status: resolved, severity: low }
  - id: broken
    conclude: { status: escalated, severity: high }
";
    Test::new().files(&[("runbook.yaml", next_beside_on)]).args(["check", "--deny-warnings", "runbook.yaml"]).status(0);
}
