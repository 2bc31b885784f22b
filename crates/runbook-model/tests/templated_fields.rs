//! The fields docs/dsl.md lists as templates are exactly those the code
//! treats as templates. The runbook below writes `{{ t }}` into every
//! string field, each on a line ending in a comment naming the field as the
//! docs do (`http.url`); a field is templated when `template_sites` finds a
//! template on its line.

use std::collections::BTreeSet;

const EVERY_STRING_FIELD: &str = r#"
id: every-field
title: "{{ t }}" # title
summary: "{{ t }}" # summary
record: "{{ t }}" # record
links:
  - title: "{{ t }}" # links.title
    url: "{{ t }}" # links.url
inputs:
  host: { type: string, description: "{{ t }}" } # inputs.description
steps:
  - id: probe
    title: "{{ t }}" # step.title
    description: "{{ t }}" # step.description
    check:
      foreach: "{{ t }}" # check.foreach
      http:
        url: "{{ t }}" # http.url
        headers: { X-A: "{{ t }}" } # http.headers
        json: { a: "{{ t }}" } # http.json
        proxy: "{{ t }}" # http.proxy
        tls: { ca_file: "{{ t }}" } # http.tls.ca_file
      expect:
        - body: { contains: "{{ t }}" } # expect.contains
  - id: body
    check:
      http: { url: "http://a/", body: "{{ t }}" } # http.body
  - id: command
    collect:
      cmd:
        sh: "{{ t }}" # cmd.sh
        env: { A: "{{ t }}" } # cmd.env
        cwd: "{{ t }}" # cmd.cwd
        stdin: "{{ t }}" # cmd.stdin
  - id: argv
    collect:
      cmd: { argv: ["{{ t }}"] } # cmd.argv
  - id: tcp
    check:
      tcp:
        host: "{{ t }}" # tcp.host
        port: "{{ t }}" # tcp.port
  - id: act
    action:
      confirm: "{{ t }}" # action.confirm
      cmd: { argv: [ls] } # cmd.argv
  - id: ask
    ask:
      question: "{{ t }}" # ask.question
      choices:
        - { answer: a, label: "{{ t }}", goto: end } # ask.choices.label
  - id: todo
    instruct:
      text: "{{ t }}" # instruct.text
      checklist: ["{{ t }}"] # instruct.checklist
  - id: sub
    call:
      runbook: lib.yaml
      inputs: { a: "{{ t }}" } # call.inputs
  - id: end
    conclude:
      status: escalated
      diagnosis: "{{ t }}" # conclude.diagnosis
      remediation: "{{ t }}" # conclude.remediation
      escalation:
        to: ["{{ t }}"] # conclude.escalation.to
        message: "{{ t }}" # conclude.escalation.message
"#;

/// `where.field` for each field the templates table of docs/dsl.md lists.
fn documented() -> BTreeSet<String> {
    let docs = include_str!("../../../docs/dsl.md");
    let table = docs.split("These\nfields are templates").nth(1).expect("the templates table");
    let mut fields = BTreeSet::new();
    for row in table.lines().skip_while(|line| !line.starts_with('|')).take_while(|line| line.starts_with('|')).skip(2)
    {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // `check, collect` name one place: the fixture writes it as `check`.
        let place = cells[1].split(',').next().unwrap_or_default().trim();
        // Backticked names, but not the probes an action runs "as above".
        let described = cells[2].split(" (and its").next().unwrap_or_default();
        for name in described.split('`').skip(1).step_by(2) {
            fields.insert(format!("{place}.{name}"));
        }
    }
    fields
}

#[test]
fn the_templates_table_of_the_docs_lists_exactly_the_fields_that_are_templates() {
    let source = runbook_model::Source::new("every-field.yaml", EVERY_STRING_FIELD);
    let runbook = runbook_model::load(&source).expect("the fixture loads");
    let lines: Vec<(usize, &str)> = EVERY_STRING_FIELD
        .match_indices('\n')
        .map(|(end, _)| end)
        .scan(0, |start, end| {
            let line = (*start, &EVERY_STRING_FIELD[*start..end]);
            *start = end + 1;
            Some(line)
        })
        .collect();
    let field_at = |offset: usize| {
        let (_, line) = lines.iter().rev().find(|(start, _)| *start <= offset).expect("a line");
        line.rsplit_once("# ").map(|(_, name)| name.to_owned())
    };
    let every: BTreeSet<String> = lines.iter().filter_map(|(start, _)| field_at(*start)).collect();
    let templated: BTreeSet<String> = runbook_model::template_sites(&runbook)
        .iter()
        .map(|site| field_at(site.span.start).unwrap_or_else(|| panic!("a template on an unnamed line: {}", site.text)))
        .collect();
    let documented = documented();
    assert!(documented.is_subset(&every), "documented but not in the fixture: {:?}", documented.difference(&every));
    assert_eq!(templated, documented, "left: templates in the code, right: the templates table of docs/dsl.md");
}
