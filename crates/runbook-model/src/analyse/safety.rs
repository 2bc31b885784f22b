//! Safety rules: unconfirmed actions, disabled TLS checks, credentials
//! written into the file, secrets handed to a shell.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Code, Diagnostic, HttpProbe, Runbook, Spanned};

/// Shapes of well-known credentials, each behind a cheap substring test so
/// that a runbook without a candidate never pays for compiling a regex.
/// Matching is deliberately narrow: a false alarm on every runbook teaches
/// people to ignore the rule.
static CREDENTIALS: [(&str, LazyLock<Regex>); 11] = [
    ("gh", LazyLock::new(|| compile(r"gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"))),
    ("sk-", LazyLock::new(|| compile(r"sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"))),
    ("AKIA", LazyLock::new(|| compile(r"AKIA[0-9A-Z]{16}"))),
    ("xox", LazyLock::new(|| compile(r"xox[abposr]-[A-Za-z0-9-]{10,}"))),
    ("glpat-", LazyLock::new(|| compile(r"glpat-[A-Za-z0-9_-]{20,}"))),
    ("AIza", LazyLock::new(|| compile(r"AIza[0-9A-Za-z_-]{35}"))),
    ("PRIVATE KEY", LazyLock::new(|| compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"))),
    ("eyJ", LazyLock::new(|| compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"))),
    (
        "uthorization",
        LazyLock::new(|| compile(r"(?i:authorization:\s*(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}")),
    ),
    ("earer", LazyLock::new(|| compile(r"(?i:bearer\s+)[A-Za-z0-9._~+/-]{20,}=*"))),
    ("@", LazyLock::new(|| compile(r"[a-z][a-z0-9+.-]*://[^/\s:@{}]+:[^/\s@{}]+@"))),
];

/// ASCII-only byte regexes compile several times faster than Unicode ones.
fn compile(pattern: &str) -> Regex {
    regex::bytes::RegexBuilder::new(pattern).unicode(false).build().expect("valid regex")
}

/// Whether `text` holds something shaped like a credential.
fn looks_like_credential(text: &str) -> bool {
    CREDENTIALS.iter().any(|(needle, regex)| text.contains(needle) && regex.is_match(text.as_bytes()))
}

/// Header names whose value is a credential.
const SECRET_HEADERS: &[&str] =
    &["authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token", "cookie"];

pub(crate) fn check(runbook: &Runbook, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    for step in runbook.steps.iter() {
        if let Some(action) = &step.action {
            if action.confirm.as_ref().is_none_or(|text| text.trim().is_empty()) {
                out.push(
                    Diagnostic::new(Code::ActionWithoutConfirm, action.span, format!("action `{}` has no `confirm` text", step.id.value))
                        .with_label("changes the system without saying what")
                        .with_help("add `confirm: \"…\"` saying what will change and how to undo it; the operator reads it before saying yes"),
                );
            }
            if let Some(http) = &action.http {
                http_checks(http, out);
            }
        }
        if let Some(check) = step.probing() {
            walk_http(check, out);
            let skipped_routed =
                step.on.as_ref().is_some_and(|on| on.value.keys().any(|key| key.as_str() == "skipped"));
            if !skipped_routed {
                changing_probes(check, if step.check.is_some() { "check" } else { "collect" }, out);
            }
        }
    }
    for site in sites.iter().filter(|site| site.kind != TemplateKind::Expression) {
        if looks_like_credential(site.text) {
            out.push(literal_secret(site.span));
        }
    }
    for (name, input) in &runbook.inputs {
        if !input.secret
            && let Some(default) = &input.default
            && holds_credential(&default.value)
        {
            out.push(literal_secret(default.span));
        }
        if input.secret
            && let Some(default) = &input.default
        {
            out.push(
                Diagnostic::new(
                    Code::LiteralSecret,
                    default.span,
                    format!("secret input `{}` has a default value", name.value),
                )
                .with_label("a secret written into the runbook")
                .with_help(format!(
                    "remove the default and read it from the environment: `env: {}`",
                    name.value.to_uppercase()
                )),
            );
        }
    }
    let secrets: Vec<&str> =
        runbook.inputs.iter().filter(|(_, input)| input.secret).map(|(name, _)| name.as_str()).collect();
    if secrets.is_empty() {
        return;
    }
    let environment = minijinja::Environment::new();
    for site in sites.iter().filter(|site| site.kind == TemplateKind::Shell) {
        let Ok(template) = environment.template_from_str(site.text) else {
            continue;
        };
        let mut names: Vec<String> = template.undeclared_variables(true).into_iter().collect();
        names.sort();
        for name in names {
            let Some(input) = name.strip_prefix("inputs.") else { continue };
            if secrets.contains(&input) {
                out.push(
                    Diagnostic::new(Code::SecretInShell, site.span, format!("secret input `{input}` is interpolated into a shell command"))
                        .with_label("visible in `ps` and in shell traces")
                        .with_help(format!("pass it through the environment instead: `env: {{ {}: \"{{{{ inputs.{input} }}}}\" }}` and use `\"${}\"` in the command", input.to_uppercase(), input.to_uppercase())),
                );
            }
        }
    }
}

fn walk_http(check: &crate::Check, out: &mut Vec<Diagnostic>) {
    if let Some(http) = &check.http {
        http_checks(http, out);
    }
    if let Some(probes) = &check.probes {
        for member in probes.values() {
            walk_http(member, out);
        }
    }
}

/// RB409 for each http probe of a `check` or `collect` whose method may
/// change what it reaches: probes run without a confirmation, so a POST
/// that restarts a job runs whenever the step is reached.
fn changing_probes(check: &crate::Check, kind: &str, out: &mut Vec<Diagnostic>) {
    if let Some(method) = check.http.as_ref().and_then(|http| http.method.as_ref())
        && method.value.may_change_things()
    {
        out.push(
            Diagnostic::new(
                Code::ChangingProbe,
                method.span,
                format!("this {kind} sends `{}`, which may change things", method.value.name()),
            )
            .with_label("a probe runs without a confirmation")
            .with_help(if kind == "check" {
                "make it an `action` (with `confirm`) if it does; if it only reads (a search, a query), route \
                 `skipped:` too: `--read-only` does not send it"
            } else {
                "make it an `action` (with `confirm`) if it does; `--read-only` does not send it either way"
            }),
        );
    }
    for member in check.probes.iter().flat_map(|probes| probes.values()) {
        changing_probes(member, kind, out);
    }
}

fn http_checks(http: &Spanned<HttpProbe>, out: &mut Vec<Diagnostic>) {
    if let Some(insecure) = http.tls.as_ref().and_then(|tls| tls.insecure.as_ref())
        && insecure.value
    {
        out.push(
                Diagnostic::new(Code::InsecureTls, insecure.span, "TLS certificate checks are turned off")
                    .with_label("any certificate is accepted")
                    .with_help("trust the server's CA with `tls: { ca_file: … }` instead; if you keep this, the record flags every request"),
            );
    }
    for (name, value) in &http.headers {
        let is_secret_header = SECRET_HEADERS.contains(&name.to_lowercase().as_str());
        if is_secret_header && !value.contains("{{") && !value.trim().is_empty() && !looks_like_credential(value) {
            out.push(literal_secret(value.span));
        }
    }
}

/// Whether a default value (a string, or one inside a list or map) holds
/// something shaped like a credential.
fn holds_credential(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => looks_like_credential(text),
        serde_json::Value::Array(items) => items.iter().any(holds_credential),
        serde_json::Value::Object(map) => map.values().any(holds_credential),
        _ => false,
    }
}

fn literal_secret(span: crate::Span) -> Diagnostic {
    Diagnostic::new(Code::LiteralSecret, span, "this looks like a credential written into the runbook")
        .with_label("literal credential")
        .with_help("declare an input with `secret: true` and `env: NAME`, and write `{{ inputs.NAME }}` here")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_shapes_are_found_and_templates_are_not() {
        let found = [
            "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "Authorization: Bearer abcdefgh12345678",
            "https://admin:hunter2@db.example/",
            "AKIAABCDEFGHIJKLMNOP",
            "-----BEGIN RSA PRIVATE KEY-----",
        ];
        for text in found {
            assert!(looks_like_credential(text), "{text}");
        }
        let clean =
            ["Bearer {{ inputs.token }}", "https://{{ inputs.user }}:{{ inputs.pass }}@host/", "ask@example.com"];
        for text in clean {
            assert!(!looks_like_credential(text), "{text}");
        }
        for (_, regex) in &CREDENTIALS {
            LazyLock::force(regex);
        }
    }
}
