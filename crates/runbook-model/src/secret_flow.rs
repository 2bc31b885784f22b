//! Which values of a run are secrets although no input declared them so:
//! a captured value sent where credentials go (a bearer token taken from a
//! login answer and put in an `Authorization` header), or captured with
//! `secret: true`. The engine redacts such a value from the moment it is
//! captured, before the answer that held it is shown or journaled.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use serde_json::Value as Json;

use crate::{Plan, StepBody};

/// Parts of a name (a header, an environment variable, a JSON key, a
/// command-line flag) that say its value is a credential, in any case.
pub const CREDENTIAL_WORDS: [&str; 13] =
    ["TOKEN", "SECRET", "PASS", "PWD", "PW", "KEY", "AUTH", "BEARER", "CRED", "PRIVATE", "SESSION", "COOKIE", "SIGN"];

/// Whether `name` says its value is a credential (see [`CREDENTIAL_WORDS`]).
pub fn names_credential(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    CREDENTIAL_WORDS.iter().any(|word| upper.contains(word))
}

/// A templated field a probe sends, with what it is sent under: a header's
/// or an environment variable's name, a JSON body's key, the argument
/// before it on a command line.
#[derive(Debug, Clone, Copy)]
pub struct SentField<'a> {
    /// The name or argument it is sent under, if any.
    pub under: Option<&'a str>,
    /// The template.
    pub text: &'a str,
}

/// The values of a plan that are secrets without being declared so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretFlow {
    /// Captured vars that are secrets: captured with `secret: true`, or
    /// sent where credentials go (and not captured with `secret: false`).
    pub vars: BTreeSet<String>,
    /// Inputs sent where credentials go: a `call` passing a value to one
    /// of them passes a secret.
    pub inputs: BTreeSet<String>,
}

impl SecretFlow {
    /// Follows the values of `plan` (and of the runbooks it calls, for the
    /// inputs a `call` passes).
    pub(crate) fn of(plan: &Plan) -> Self {
        let mut flow = Self::default();
        let mut not_secret = BTreeSet::new();
        for (index, body) in plan.bodies.iter().enumerate() {
            for entry in body.probes() {
                for (name, capture) in &entry.capture {
                    match capture.secret.as_ref().map(|secret| secret.value) {
                        Some(true) => flow.vars.insert(name.value.clone()),
                        Some(false) => not_secret.insert(name.value.clone()),
                        None => false,
                    };
                }
                for field in entry.probe.sent_fields() {
                    flow.add(credential_reads(field));
                }
            }
            if let StepBody::Call(call) = body
                && let Some(callee) = plan.callees.of_step(index)
            {
                let callee = &callee.plan;
                for (input, value) in &call.inputs {
                    let declared = callee.runbook.inputs.get(input.as_str()).is_some_and(|input| input.secret);
                    if declared || callee.secret_flow().inputs.contains(input.as_str()) {
                        let mut texts = Vec::new();
                        json_strings(&value.value, &mut texts);
                        for text in texts {
                            flow.add(reads(text, true));
                        }
                    }
                }
            }
        }
        flow.vars.retain(|name| !not_secret.contains(name));
        flow
    }

    fn add(&mut self, names: Vec<String>) {
        for name in names {
            let mut parts = name.splitn(3, '.');
            match (parts.next(), parts.next()) {
                (Some("vars"), Some(var)) => self.vars.insert(var.to_owned()),
                (Some("inputs"), Some(input)) => self.inputs.insert(input.to_owned()),
                _ => false,
            };
        }
    }
}

/// The dotted names (`vars.token`) a sent field reads into a credential:
/// all it reads when it is sent under a credential's name, else those of
/// each `{{ … }}` block written right after a credential's name
/// (`Authorization: Bearer {{ vars.token }}`, `--password={{ vars.pw }}`,
/// `?access_token={{ vars.token }}`) or as a URL's password
/// (`https://ops:{{ vars.pw }}@host`, not a port: `https://host:{{ vars.port }}/`).
fn credential_reads(field: SentField<'_>) -> Vec<String> {
    if field.under.is_some_and(names_credential) {
        return reads(field.text, true);
    }
    let mut names = Vec::new();
    let mut previous_end = 0;
    for block in crate::printed_blocks(field.text) {
        let before = &field.text[previous_end..block.start];
        let line = field.text[..block.start].rsplit('\n').next().unwrap_or_default();
        let url_password = field.text[block.end..].starts_with('@') && USERINFO.is_match(line);
        if url_password || written_after_credential(before) {
            names.extend(reads(block.expression, false));
        }
        previous_end = block.end;
    }
    names
}

/// Whether a block written after `before` (the text since the previous
/// block) goes where a credential goes: after a credential's name among the
/// last two words on its line (`Authorization: Bearer `, `token=`).
fn written_after_credential(before: &str) -> bool {
    let words = before.rsplit('\n').next().unwrap_or_default();
    words.split(|c: char| c.is_whitespace()).filter(|word| !word.is_empty()).rev().take(2).any(names_credential)
}

/// A URL's user info up to its password (`https://ops:`,
/// `postgresql://{{ vars.user }}:`) at the end of the line before a block
/// that an `@` follows: the block is the password, not a port.
static USERINFO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z][A-Za-z0-9+.-]*://[^/@]*:$").expect("valid regex"));

/// `vars.NAME` or `inputs.NAME` as written (`vars.token`, `vars['token']`):
/// the parser reports a subscript as a read of all `vars`, and nothing at
/// all for an expression that slices (`vars.token[3:]`).
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b(vars|inputs)\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"]([^'"]+)['"]\s*\])"#)
        .expect("valid regex")
});

/// The dotted names a template (or, without `template`, an expression)
/// reads; none when it does not parse, which `check` reports.
fn reads(text: &str, template: bool) -> Vec<String> {
    let environment = minijinja::Environment::new();
    let names = if template {
        environment.template_from_str(text).map(|parsed| parsed.undeclared_variables(true))
    } else {
        environment.compile_expression(text).map(|parsed| parsed.undeclared_variables(true))
    };
    let mut names: Vec<String> = names.map(|names| names.into_iter().collect()).unwrap_or_default();
    names.extend(written_reads(text));
    names
}

/// The `vars.NAME` and `inputs.NAME` a template or expression reads, found
/// in its text as written (`vars.token`, `vars['token']`, `vars.token[3:]`),
/// where the parser's report falls short.
pub fn written_reads(text: &str) -> Vec<String> {
    NAMED
        .captures_iter(text)
        .filter_map(|found| Some(format!("{}.{}", &found[1], found.get(2).or_else(|| found.get(3))?.as_str())))
        .collect()
}

/// Every string inside a JSON value.
fn json_strings<'a>(value: &'a Json, out: &mut Vec<&'a str>) {
    match value {
        Json::String(text) => out.push(text),
        Json::Array(items) => items.iter().for_each(|item| json_strings(item, out)),
        Json::Object(map) => map.values().for_each(|item| json_strings(item, out)),
        Json::Bool(_) | Json::Number(_) | Json::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(yaml: &str) -> SecretFlow {
        let checked = crate::check_bytes("t.yaml", yaml.as_bytes());
        let plan = Plan::new(checked).unwrap_or_else(|checked| panic!("{:?}", checked.diagnostics));
        plan.secret_flow().clone()
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn values_sent_where_credentials_go_are_secrets() {
        let flow = flow(
            r#"
id: t
title: t
inputs:
  base: { default: "http://127.0.0.1:1" }
  user: { default: ops }
steps:
  - id: login
    check:
      http: { url: "{{ inputs.base }}/login?user={{ inputs.user }}", method: POST }
      capture:
        token: { json: $.access_token }
        session: { json: $.session }
        region: { json: $.region }
        pw: { json: $.pw }
        flag: { json: $.flag }
        marked: { json: $.marked, secret: true }
        kept: { json: $.kept, secret: false }
  - id: use
    check:
      http:
        url: "{{ inputs.base }}/{{ vars.region }}?access_token={{ vars.flag }}"
        headers:
          Authorization: "Bearer {{ vars.token | trim }}"
          Cookie: "{{ vars.session }}"
          X-Request-Key: "{{ vars.kept }}"
  - id: cli
    check:
      cmd:
        argv: [mysql, --password, "{{ vars.pw }}", "{{ vars.region }}"]
  - id: done
    conclude: { status: resolved }
"#,
        );
        assert_eq!(flow.vars, set(&["flag", "marked", "pw", "session", "token"]));
        assert!(flow.inputs.is_empty(), "{:?}", flow.inputs);
    }

    #[test]
    fn shell_text_json_keys_and_environment_names_count_too() {
        let flow = flow(
            r#"
id: t
title: t
inputs:
  key: { default: x }
steps:
  - id: get
    check:
      cmd: { argv: [cat, f.json] }
      capture:
        host: { json: $.host }
        token: { json: $.token }
        user: { json: $.user }
        pw: { json: $.pw }
  - id: a
    check:
      cmd:
        sh: |
          echo {{ vars.host }}
          curl -H 'Authorization: Bearer '{{ vars.token }} https://{{ vars.host }}/
        env: { API_TOKEN: "{{ inputs.key }}", HOST: "{{ vars.host }}" }
  - id: b
    check:
      http:
        url: http://127.0.0.1:1/
        json: { user: "{{ vars.user }}", password: "{{ vars.pw }}" }
  - id: done
    conclude: { status: resolved }
"#,
        );
        assert_eq!(flow.vars, set(&["pw", "token"]));
        assert_eq!(flow.inputs, set(&["key"]));
    }

    #[test]
    fn subscripts_url_passwords_and_the_input_of_a_password_command_count() {
        let flow = flow(
            r#"
id: t
title: t
steps:
  - id: get
    check:
      cmd: { argv: [cat, f.json] }
      capture:
        a: { json: $.a }
        b: { json: $.b }
        c: { json: $.c }
        d: { json: $.d }
        e: { json: $.e }
        user: { json: $.user }
        host: { json: $.host }
        port: { json: $.port }
  - id: use
    check:
      http:
        url: "https://{{ vars.user }}:{{ vars.b }}@{{ vars.host }}:{{ vars.port }}/"
        headers: { X-Api-Key: "{{ vars['a'] }}", X-Auth-Tail: "{{ vars.e[3:] }}" }
  - id: db
    check:
      cmd: { argv: [psql, "postgresql://app:{{ vars.c }}@db/x"] }
  - id: login
    check:
      cmd: { argv: [docker, login, --password-stdin], stdin: "{{ vars.d }}" }
  - id: done
    conclude: { status: resolved }
"#,
        );
        assert_eq!(flow.vars, set(&["a", "b", "c", "d", "e"]));
    }

    #[test]
    fn credential_names_are_found_in_any_case() {
        for name in ["Authorization", "x-api-key", "PGPASSWORD", "session_id", "Cookie"] {
            assert!(names_credential(name), "{name}");
        }
        for name in ["Accept", "Content-Type", "HOST", "region"] {
            assert!(!names_credential(name), "{name}");
        }
    }
}
