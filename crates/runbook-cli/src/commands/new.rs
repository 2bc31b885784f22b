//! `runbook new NAME`: a commented skeleton that passes `runbook check
//! --deny-warnings`, optionally built around a curl command line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{print_stderr, print_stdout};
use crate::cli::NewArgs;
use crate::curl::{CurlRequest, parse};
use crate::exit_code::ExitCode;
use crate::runbook_files::test_file_of;

pub(super) fn run(args: &NewArgs) -> ExitCode {
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
    if let Some(request) = &request {
        for ignored in &request.ignored {
            print_stderr(&format!("warning: --from-curl: {ignored}\n"));
        }
        let (_, left_out) = without_browser_noise(&request.headers, split_url(&request.url).0);
        if !left_out.is_empty() {
            print_stderr(&format!(
                "note: --from-curl: left out the headers a browser adds (or naming another host): {}\n",
                left_out.join(", ")
            ));
        }
    }
    let path = args.output.clone().unwrap_or_else(|| PathBuf::from(format!("{}.yaml", args.name)));
    if path.as_os_str() == "-" {
        return print_stdout(&skeleton(&args.name, request.as_ref(), None));
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
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty() && !dir.is_dir()) {
        print_stderr(&format!(
            "error: cannot write `{}`: the directory `{}` does not exist (create it first: `mkdir -p {}`)\n",
            path.display(),
            dir.display(),
            dir.display()
        ));
        return ExitCode::Io;
    }
    let test_path = test_file_of(&path);
    // Both or neither: a test file already there names another runbook's cases.
    if let Some(taken) = [&path, &test_path].into_iter().find(|p| std::fs::symlink_metadata(p).is_ok()) {
        print_stderr(&format!("error: `{}` exists; not overwriting it (give `--output FILE`)\n", taken.display()));
        return ExitCode::Io;
    }
    let runbook = skeleton(&args.name, request.as_ref(), schema_path(&path, "runbook").as_deref());
    let secrets: Vec<String> = request
        .iter()
        .flat_map(|r| &r.headers)
        .filter_map(|(name, value)| credential(name, value))
        .map(|credential| credential.input)
        .collect();
    let cases = test_file(&path, &secrets, schema_path(&test_path, "test").as_deref());
    for (file, text) in [(&path, &runbook), (&test_path, &cases)] {
        if let Err(error) = write_new(file, text) {
            print_stderr(&format!("error: cannot write `{}`: {error}\n", file.display()));
            return ExitCode::Io;
        }
    }
    print_stderr(&format!(
        "wrote {0} and its test cases {1}; next: edit them, then `runbook check {0}`, `runbook test {0}` and \
         `runbook run {0}`\n",
        path.display(),
        test_path.display()
    ));
    ExitCode::Success
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
    let dir = std::path::absolute(file).ok()?.parent()?.to_path_buf();
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

/// A YAML double-quoted scalar: JSON strings are valid YAML.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// The runbook text.
fn skeleton(name: &str, request: Option<&CurlRequest>, schema: Option<&str>) -> String {
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
    let probe = if let Some(request) = request {
        curl_probe(&mut out, request)
    } else {
        out.push_str("  base_url: { description: Service base URL, default: \"http://127.0.0.1:8080\" }\n");
        "      http: { url: \"{{ inputs.base_url }}/healthz\", timeout: 3s }\n      expect:\n        - status: 200\n"
            .to_owned()
    };
    let _ = write!(
        out,
        "
steps:
  # A check runs a probe (http, cmd, tcp or env) and judges it with `expect`.
  # Its outcome is pass, warn (only `severity: warn` expectations are false),
  # fail (an expectation is false) or error (no answer: timeout, refused).
  - id: health
    title: Does the service answer?
    check:
{probe}    # Where each outcome leads. Without `on:`, the next step in the file.
    # (Route `warn:` too once an expectation has `severity: warn`.)
    on:
      pass: healthy
      fail: ask-logs
      error: down

  # A question for the operator: each answer can lead somewhere else.
  - id: ask-logs
    ask:
      question: The service answers, but not as expected. What do its logs show?
      evidence: [health]
      choices:
        - {{ answer: errors, label: Errors or stack traces, goto: app-errors }}
        - {{ answer: nothing, label: Nothing unusual, goto: escalate }}

  # Conclusions end the run. status: diagnosed, resolved, escalated or
  # inconclusive; severity: info, low, medium, high or critical.
  - id: healthy
    conclude:
      status: resolved
      severity: info
      diagnosis: The service answers as expected.
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
      diagnosis: The service answers but fails requests; its logs show errors.
      remediation: Read the first error in the logs; roll back if it started with a deploy.
      followups: [Write down what the logs showed in the incident channel]
  - id: escalate
    conclude:
      status: escalated
      severity: high
      diagnosis: The service misbehaves and its logs do not say why.
      escalation:
        to: [service-owners]
        message: The health check fails and the logs show nothing unusual.
"
    );
    out
}

/// The skeleton's test cases: one per way through it, so that `runbook
/// test --min-coverage 100` passes as written and names what an edit leaves
/// untested. The steps are the skeleton's, whatever `--from-curl` changed
/// (a 500 fails both its `status: 200` and curl `-f`'s `status < 400`).
fn test_file(runbook: &Path, secrets: &[String], schema: Option<&str>) -> String {
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
    if !secrets.is_empty() {
        out.push_str("# Every case starts from these: the secrets' values are made up, nothing is sent.\ninputs:\n");
        for secret in secrets {
            let _ = writeln!(out, "  {secret}: made-up-{}", secret.replace('_', "-"));
        }
    }
    out.push_str(
        "cases:
  - name: the service answers as expected
    observations:
      health: { http: { status: 200 } }
    expect: { path: [health, healthy], status: resolved, severity: info }

  - name: nothing answers
    observations:
      health: { error: refused }
    expect: { path: [health, down], severity: critical }

  - name: errors, and the logs show them
    observations:
      health: { http: { status: 500 } }
    answers: { ask-logs: errors }
    expect: { path: [health, ask-logs, app-errors], status: diagnosed }

  - name: errors the logs do not explain
    observations:
      health: { http: { status: 500 } }
    answers: { ask-logs: nothing }
    expect: { path: [health, ask-logs, escalate], status: escalated }
",
    );
    out
}

/// `text` as a template that renders to exactly `text`: a `{` that would
/// open a `{{`, `{%` or `{#` is written `{{ '{' }}` (a search UI's
/// `?q={{x}}` is text, not a variable).
fn as_written(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && chars.peek().is_some_and(|next| matches!(next, '{' | '%' | '#')) {
            out.push_str("{{ '{' }}");
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes the inputs a curl request needs and returns the check's probe and
/// expectations, indented for the skeleton.
fn curl_probe(out: &mut String, request: &CurlRequest) -> String {
    let (base, rest) = split_url(&request.url);
    let _ = writeln!(out, "  base_url: {{ description: Service base URL, default: {} }}", quoted(base));
    let mut probe = String::from("      http:\n");
    let _ = writeln!(probe, "        url: {}", quoted(&format!("{{{{ inputs.base_url }}}}{}", as_written(rest))));
    if let Some(method) = &request.method {
        let _ = writeln!(probe, "        method: {method}");
    }
    let (mut headers, _) = without_browser_noise(&request.headers, base);
    if request.json.is_some() && !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    if !headers.is_empty() {
        probe.push_str("        headers:\n");
        for (name, value) in &headers {
            let value = if let Some(credential) = credential(name, value) {
                let _ = writeln!(
                    out,
                    "  {}: {{ description: {}, env: {}, secret: true }}",
                    credential.input,
                    quoted(&credential.description),
                    credential.input.to_ascii_uppercase()
                );
                credential.template
            } else {
                value.clone()
            };
            let key =
                if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') { name.clone() } else { quoted(name) };
            let _ = writeln!(probe, "          {key}: {}", quoted(&value));
        }
    }
    if let Some(body) = request.body.as_ref().or(request.json.as_ref()) {
        let _ = writeln!(probe, "        body: {}", quoted(&as_written(body)));
    }
    let seconds = |text: &str| format!("{}s", text.trim_end_matches('s'));
    let _ =
        writeln!(probe, "        timeout: {}", request.max_time.as_deref().map_or_else(|| "10s".to_owned(), seconds));
    if let Some(connect) = &request.connect_timeout {
        let _ = writeln!(probe, "        connect_timeout: {}", seconds(connect));
    }
    if !request.follow_redirects {
        probe.push_str("        follow_redirects: false   # curl without -L does not follow them\n");
    }
    if request.insecure {
        probe.push_str("        tls: { insecure: true }   # as curl -k: better, trust the CA with ca_file\n");
    } else if let Some(ca) = &request.ca_file {
        let _ = writeln!(probe, "        tls: {{ ca_file: {} }}", quoted(ca));
    }
    probe.push_str("      expect:\n");
    if request.fail_on_error {
        probe.push_str("        - status: { lt: 400 }   # curl -f's rule; say 200 if that is what healthy means\n");
    } else {
        probe.push_str("        - status: 200\n");
    }
    probe
}

/// `https://host:port` and the rest (path, query), so the host becomes an
/// input and the runbook works against another environment.
fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find(['/', '?', '#']) {
        Some(offset) => url.split_at(after_scheme + offset),
        None => (url, ""),
    }
}

/// The secret input a credential header's value becomes, which `runbook
/// check` refuses as a literal (RB403).
struct Credential {
    /// The input's name; its environment variable is the same in capitals.
    input: String,
    /// What the operator gives, said so that the value is given once: the
    /// token alone when the header's scheme stays in the template.
    description: String,
    /// The header's value in the runbook.
    template: String,
}

/// The credential a header carries (`Authorization`, `Cookie`, names with
/// `key`, `token`, `secret`, `auth`, `password`), if any. An
/// `Authorization: Bearer …` keeps its scheme in the template and asks for
/// the token alone, in an input named for it (`bearer_token`): an operator
/// who sets "the Authorization header's value" would send `Bearer Bearer …`.
fn credential(header: &str, value: &str) -> Option<Credential> {
    let name = header.to_ascii_lowercase();
    let is_credential = ["authorization", "proxy-authorization", "cookie"].contains(&name.as_str())
        || ["key", "token", "secret", "auth", "password"].iter().any(|word| name.contains(word));
    if !is_credential {
        return None;
    }
    let scheme = value.split_once(' ').map(|(scheme, _)| scheme).filter(|_| name.ends_with("authorization"));
    let prefix = if name.starts_with("proxy-") { "proxy_" } else { "" };
    let (input, what) = match scheme.map(str::to_ascii_lowercase).as_deref() {
        Some("bearer") => (format!("{prefix}bearer_token"), "bearer token"),
        Some("basic") => (format!("{prefix}basic_credentials"), "base64 `user:password`"),
        Some("token") => (format!("{prefix}token"), "token"),
        _ => {
            let input = name.replace('-', "_");
            return Some(Credential {
                template: format!("{{{{ inputs.{input} }}}}"),
                description: format!("The {header} header's whole value"),
                input,
            });
        }
    };
    let scheme = scheme.unwrap_or_default();
    Some(Credential {
        template: format!("{scheme} {{{{ inputs.{input} }}}}"),
        description: format!("The {what} of the {header} header, without `{scheme} `"),
        input,
    })
}

/// Headers a browser adds to every request ("Copy as cURL" copies them),
/// which are noise in a check; a `Referer` or `Origin` naming the copied
/// host follows `base_url` (it would keep naming that host when `base_url`
/// points elsewhere) and one naming another host is left out. Returns the
/// headers kept, each value a template, and the names left out.
fn without_browser_noise(headers: &[(String, String)], base: &str) -> (Vec<(String, String)>, Vec<String>) {
    const NOISE: &[&str] = &[
        "connection",
        "accept-language",
        "accept-encoding",
        "cache-control",
        "pragma",
        "upgrade-insecure-requests",
        "priority",
        "dnt",
        "te",
    ];
    let (mut kept, mut left_out) = (Vec::new(), Vec::new());
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let value = if NOISE.contains(&lower.as_str())
            || lower.starts_with("sec-")
            || (lower == "user-agent" && value.starts_with("Mozilla/"))
        {
            None
        } else if lower == "referer" || lower == "origin" {
            value
                .strip_prefix(base)
                .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
                .map(|rest| format!("{{{{ inputs.base_url }}}}{}", as_written(rest)))
        } else {
            Some(as_written(value))
        };
        match value {
            Some(value) => kept.push((name.clone(), value)),
            None => left_out.push(name.clone()),
        }
    }
    (kept, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_base_and_rest() {
        assert_eq!(split_url("https://h:8443/a/b?c"), ("https://h:8443", "/a/b?c"));
        assert_eq!(split_url("http://h"), ("http://h", ""));
        assert_eq!(split_url("http://h?x=1"), ("http://h", "?x=1"));
    }

    #[test]
    fn titles_and_ids() {
        assert!(skeleton("disk-full", None, None).contains("\ntitle: Disk full\n"));
        assert!(is_valid_id("a-b_2") && !is_valid_id("A") && !is_valid_id("2a") && !is_valid_id(""));
    }
}
