//! `runbook new NAME`: a commented skeleton that passes `runbook check
//! --deny-warnings`, optionally built around a curl command line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{print_stderr, print_stdout};
use runbook_model::Level;

use crate::cli::{Color, NewArgs};
use crate::curl::parse;
use crate::curl_runbook::{Converted, convert, quoted};
use crate::diagnostics::Renderer;
use crate::exit_code::ExitCode;
use crate::runbook_files::test_file_of;

pub(super) fn run(args: &NewArgs, color: Color) -> ExitCode {
    if !is_valid_id(&args.name) {
        print_stderr(&format!(
            "error: `{}` is not a valid runbook id: use lowercase letters, digits, `-` and `_`, starting with a \
             letter (e.g. `api-down`)\n",
            args.name
        ));
        return ExitCode::Usage;
    }
    let request = match args.from_curl.as_deref().map(parse).transpose() {
        Ok(request) => request,
        Err(message) => {
            print_stderr(&format!("error: --from-curl: {message}\n"));
            return ExitCode::Usage;
        }
    };
    let converted = request.as_ref().map(convert);
    if let (Some(request), Some(converted)) = (&request, &converted) {
        for ignored in &request.ignored {
            print_stderr(&format!("warning: --from-curl: {ignored}\n"));
        }
        if !converted.left_out.is_empty() {
            print_stderr(&format!(
                "note: --from-curl: left out the headers a browser adds (or naming another host): {}\n",
                converted.left_out.join(", ")
            ));
        }
        if !converted.from_environment.is_empty() {
            print_stderr(&format!(
                "note: --from-curl: read from the environment, never written into the runbook: {}\n",
                converted.from_environment.join("; ")
            ));
        }
    }
    let path = args.output.clone().unwrap_or_else(|| PathBuf::from(format!("{}.yaml", args.name)));
    if path.as_os_str() == "-" {
        let runbook = skeleton(&args.name, converted.as_ref(), None);
        if let Err(status) = checks_clean(&path, &runbook, color) {
            return status;
        }
        return print_stdout(&runbook);
    }
    if !path.extension().is_some_and(|extension| extension == "yaml" || extension == "yml") {
        print_stderr(&format!(
            "error: `{}` does not end in `.yaml` or `.yml`, by which `runbook check` and `runbook test` find \
             runbooks and their test files (give `--output {}.yaml`)\n",
            path.display(),
            path.display()
        ));
        return ExitCode::Usage;
    }
    if crate::runbook_files::is_test_file(&path) {
        print_stderr(&format!(
            "error: `{}` ends in `.test.yaml`, by which `runbook check` and `runbook test` find test files, not \
             runbooks: give another name\n",
            path.display()
        ));
        return ExitCode::Usage;
    }
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty() && !dir.is_dir()) {
        let advice = if dir.exists() {
            format!("`{}` is not a directory", dir.display())
        } else {
            format!("the directory `{}` does not exist (create it first: `mkdir -p {}`)", dir.display(), dir.display())
        };
        print_stderr(&format!("error: cannot write `{}`: {advice}\n", path.display()));
        return ExitCode::Io;
    }
    let test_path = test_file_of(&path);
    // Both or neither: a test file already there names another runbook's cases.
    if let Some(taken) = [&path, &test_path].into_iter().find(|p| std::fs::symlink_metadata(p).is_ok()) {
        print_stderr(&format!("error: `{}` exists; not overwriting it (give `--output FILE`)\n", taken.display()));
        return ExitCode::Io;
    }
    let runbook = skeleton(&args.name, converted.as_ref(), schema_path(&path, "runbook").as_deref());
    if let Err(status) = checks_clean(&path, &runbook, color) {
        return status;
    }
    let cases = test_file(&path, converted.as_ref(), schema_path(&test_path, "test").as_deref());
    for (file, text) in [(&path, &runbook), (&test_path, &cases)] {
        if let Err(error) = write_new(file, text) {
            print_stderr(&format!("error: cannot write `{}`: {error}\n", file.display()));
            // Both or neither: a runbook left without its test file would
            // make the same command refuse next time.
            if file == &test_path {
                let _ = std::fs::remove_file(&path);
            }
            return ExitCode::Io;
        }
    }
    // The commands are written to be pasted: a name with a space is quoted.
    let pasted = path.display().to_string();
    let pasted = if pasted.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
        pasted
    } else {
        format!("'{}'", pasted.replace('\'', "'\\''"))
    };
    print_stderr(&format!(
        "wrote {} and its test cases {}; next: edit them, then `runbook check {pasted}`, `runbook test {pasted}` and \
         `runbook run {pasted}`\n",
        path.display(),
        test_path.display()
    ));
    if args.name == "index" {
        print_stderr(
            "note: `render -o DIR` refuses the id `index` (`index.md` is the list of documents): rename it before \
             rendering it into a directory\n",
        );
    }
    ExitCode::Success
}

/// Whether the runbook about to be written at `path` passes `runbook
/// check` (its warnings shown): a curl line `--from-curl` converts into
/// something `check` refuses is said, and nothing is written (exit 3).
fn checks_clean(path: &Path, runbook: &str, color: Color) -> Result<(), ExitCode> {
    let checked = runbook_model::check_file_bytes(path, runbook.as_bytes());
    let renderer = Renderer::for_stderr(color);
    let errors = checked.diagnostics.iter().filter(|d| d.level() == Level::Error).count();
    for diagnostic in &checked.diagnostics {
        print_stderr(&renderer.render(&checked.source, diagnostic));
    }
    if errors == 0 {
        return Ok(());
    }
    print_stderr(&format!(
        "error: the runbook --from-curl made from this curl line does not pass `runbook check` ({errors} error(s) \
         above); nothing was written. Change the curl line, or write the check by hand.\n"
    ));
    Err(ExitCode::InvalidRunbook)
}

/// Writes `text` to a file that must not exist yet.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    std::io::Write::write_all(&mut file, text.as_bytes())
}

/// The same rule as `runbook check`'s for ids.
fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The relative path from the new file to `schemas/KIND.schema.json` in
/// the nearest folder above it that has one, for the editor comment.
fn schema_path(file: &Path, kind: &str) -> Option<String> {
    // The directory exists (it was checked): its real path counts `a/b/..`
    // as one level.
    let dir = std::path::absolute(file).ok()?.parent()?.canonicalize().ok()?;
    let schema = format!("schemas/{kind}.schema.json");
    let mut ups = String::new();
    for ancestor in dir.ancestors() {
        if ancestor.join(&schema).is_file() {
            return Some(format!("{ups}{schema}"));
        }
        ups.push_str("../");
    }
    None
}

/// The runbook text.
fn skeleton(name: &str, converted: Option<&Converted>, schema: Option<&str>) -> String {
    let mut out = String::new();
    match schema {
        Some(schema) => {
            let _ = writeln!(out, "# yaml-language-server: $schema={schema}");
        }
        None => {
            let _ = writeln!(
                out,
                "# Editors complete this file from the JSON Schema: `runbook schema > runbook.schema.json`, then\n# \
                 yaml-language-server: $schema=runbook.schema.json"
            );
        }
    }
    let title = name.replace(['-', '_'], " ");
    let mut title_chars = title.chars();
    let title: String = title_chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(title_chars).collect();
    let _ = write!(
        out,
        "# An executable runbook. Edit it, then:
#   runbook check {name}.yaml    mistakes, at their line and column, with a hint
#   runbook run {name}.yaml      walk it: probes run, evidence shown, questions asked
#   runbook graph {name}.yaml    draw it (Mermaid; `--format svg` with Graphviz)
# The language is described in docs/dsl.md.
id: {name}
title: {title}
summary: The one question this runbook answers, in a line.
version: 1
owners: [your-team]
tags: []

# Values the operator gives with `--input NAME=VALUE`; `env:` reads one from
# the environment, `secret: true` keeps it out of every output.
inputs:
"
    );
    let probe = if let Some(converted) = converted {
        out.push_str(&converted.inputs);
        converted.probe.clone()
    } else {
        out.push_str("  base_url: { description: Service base URL, default: \"http://127.0.0.1:8080\" }\n");
        "      http: { url: \"{{ inputs.base_url }}/healthz\", timeout: 3s }\n      expect:\n        - status: 200\n"
            .to_owned()
    };
    let words = Words::of(converted.and_then(|converted| converted.changes));
    let Words { step, pass, doubt, answered, failed, unexplained } = words;
    // A request that may change the service is an action, which the
    // operator confirms first; `--read-only` skips it.
    let (lead, skipped, declined) = match converted.and_then(|converted| converted.changes) {
        Some(method) => (
            format!(
                "  # An action changes something, so the operator is asked first, with its
  # `confirm` text; `--read-only` runs skip it. Its outcome is a check's
  # (pass, warn, fail, error) or skipped, when the operator declines.
  - id: {step}
    title: Send the {method} request
    action:
      confirm: \"Sends a {method} request, which may change the service. Say here what it changes and how to undo it.\"
"
            ),
            "      skipped: declined\n",
            "  - id: declined
    conclude:
      status: inconclusive
      severity: info
      diagnosis: The operator declined the request; nothing was sent.
",
        ),
        None => (
            format!(
                "  # A check runs a probe (http, cmd, tcp or env) and judges it with `expect`.
  # Its outcome is pass, warn (only `severity: warn` expectations are false),
  # fail (an expectation is false) or error (no answer: timeout, refused).
  - id: {step}
    title: Does the service answer?
    check:
"
            ),
            "",
            "",
        ),
    };
    let _ = write!(
        out,
        "
steps:
{lead}{probe}    # Where each outcome leads. Without `on:`, the next step in the file.
    # (Route `warn:` too once an expectation has `severity: warn`.)
    on:
      pass: {pass}
      fail: ask-logs
      error: down
{skipped}
  # A question for the operator: each answer can lead somewhere else.
  - id: ask-logs
    ask:
      question: {doubt}
      evidence: [{step}]
      choices:
        - {{ answer: errors, label: Errors or stack traces, goto: app-errors }}
        - {{ answer: nothing, label: Nothing unusual, goto: escalate }}

  # Conclusions end the run. status: diagnosed, resolved, escalated or
  # inconclusive; severity: info, low, medium, high or critical.
  - id: {pass}
    conclude:
      status: resolved
      severity: info
      diagnosis: {answered}
  - id: down
    conclude:
      status: diagnosed
      severity: critical
      diagnosis: The service does not answer.
      remediation: Check that the process runs and listens where the URL says.
  - id: app-errors
    conclude:
      status: diagnosed
      severity: high
      diagnosis: {failed}
      remediation: Read the first error in the logs; roll back if it started with a deploy.
      followups:
        - Write down what the logs showed in the incident channel
  - id: escalate
    conclude:
      status: escalated
      severity: high
      diagnosis: The service misbehaves and its logs do not say why.
      escalation:
        to: [service-owners]
        message: {unexplained}
{declined}"
    );
    out
}

/// The skeleton's words: a health check's, or a request's that changes
/// something (a POST is no health check, and a declined one no failure).
struct Words {
    step: &'static str,
    pass: &'static str,
    doubt: &'static str,
    answered: &'static str,
    failed: &'static str,
    unexplained: &'static str,
}

impl Words {
    fn of(changes: Option<&str>) -> Self {
        match changes {
            Some(_) => Self {
                step: "request",
                pass: "done",
                doubt: "The request was answered, but not as expected. What do the service's logs show?",
                answered: "The request was sent and answered as expected.",
                failed: "The service refused or failed the request; its logs show errors.",
                unexplained: "The request failed and the logs show nothing unusual.",
            },
            None => Self {
                step: "health",
                pass: "healthy",
                doubt: "The service answers, but not as expected. What do its logs show?",
                answered: "The service answers as expected.",
                failed: "The service answers but fails requests; its logs show errors.",
                unexplained: "The health check fails and the logs show nothing unusual.",
            },
        }
    }
}

/// The skeleton's test cases: one per way through it, so that `runbook
/// test --min-coverage 100` passes as written and names what an edit leaves
/// untested. The steps are the skeleton's, whatever `--from-curl` changed
/// (a 500 fails both its `status: 200` and curl `-f`'s `status < 400`).
fn test_file(runbook: &Path, converted: Option<&Converted>, schema: Option<&str>) -> String {
    let made_up = converted.map(|converted| converted.made_up.as_slice()).unwrap_or_default();
    // An action is confirmed in every case, and declined in one more.
    let changes = converted.and_then(|converted| converted.changes);
    let action = changes.is_some();
    let Words { step, pass, .. } = Words::of(changes);
    let yes = if action { format!("{step}: yes, ") } else { String::new() };
    let (sent, declined) = if action {
        ("the request is answered as expected", "declined")
    } else {
        ("the service answers as expected", "escalate")
    };
    let mut out = String::new();
    match schema {
        Some(schema) => {
            let _ = writeln!(out, "# yaml-language-server: $schema={schema}");
        }
        None => {
            let _ = writeln!(
                out,
                "# Editors complete this file from the JSON Schema: `runbook schema test > test.schema.json`, \
                 then\n# yaml-language-server: $schema=test.schema.json"
            );
        }
    }
    let name = runbook.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let _ = write!(
        out,
        "# Test cases for {name}, run offline by `runbook test {name}`: each case
# gives what the probes observe (mocked, nothing is sent) and the answers,
# then the path the run must take and how it must end. With
# `--min-coverage 100`, a transition no case takes fails the test: when you
# add a step or a branch, add the case that goes through it. The format is
# described in docs/testing.md.
"
    );
    if !made_up.is_empty() {
        out.push_str(
            "# Every case starts from these: the values are made up (the run reads them from the\n# environment), \
             nothing is sent.\ninputs:\n",
        );
        for (input, value) in made_up {
            let _ = writeln!(out, "  {input}: {}", quoted(value));
        }
    }
    let _ = write!(
        out,
        "cases:
  - name: {sent}
    observations:
      {step}: {{ http: {{ status: 200 }} }}{answered}
    expect: {{ path: [{step}, {pass}], status: resolved, severity: info }}

  - name: nothing answers
    observations:
      {step}: {{ error: refused }}{answered}
    expect: {{ path: [{step}, down], severity: critical }}

  - name: errors, and the logs show them
    observations:
      {step}: {{ http: {{ status: 500 }} }}
    answers: {{ {yes}ask-logs: errors }}
    expect: {{ path: [{step}, ask-logs, app-errors], status: diagnosed }}

  - name: errors the logs do not explain
    observations:
      {step}: {{ http: {{ status: 500 }} }}
    answers: {{ {yes}ask-logs: nothing }}
    expect: {{ path: [{step}, ask-logs, escalate], status: escalated }}
",
        answered = if action { format!("\n    answers: {{ {step}: yes }}") } else { String::new() },
    );
    if action {
        let _ = write!(
            out,
            "
  - name: the operator declines the request
    answers: {{ {step}: no }}
    expect: {{ path: [{step}, {declined}], status: inconclusive }}
"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_ids() {
        assert!(skeleton("disk-full", None, None).contains("\ntitle: Disk full\n"));
        assert!(is_valid_id("a-b_2") && !is_valid_id("A") && !is_valid_id("2a") && !is_valid_id(""));
    }
}
