//! A process search in `sh:` that finds its own shell: every `sh:` runs as
//! `sh -c SCRIPT`, and the script's text holds the pattern, so `pgrep -f
//! NAME` always finds the shell that runs it ("kneo-worker is running"
//! with no such process), `pkill -f NAME` kills it, and `ps aux | grep
//! NAME` counts it and the `grep`.

use std::sync::LazyLock;

use regex::Regex;

use crate::{Check, CmdProbe, Code, Diagnostic, Runbook};

/// `pgrep`/`pkill`, their options, and the first word after them.
static PGREP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;&|(`])(pgrep|pkill)((?:\s+-[-\w=]+)*)\s+(\{\{.*?\}\}\S*|[^\s;&|)]+)").expect("valid regex")
});
/// `ps …` piped into `grep`, and the words after `grep`.
static PS_GREP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;&|(`])ps\b[^|;&]*\|\s*grep((?:\s+-\w+)*)\s+(\{\{.*?\}\}\S*|[^\s;&|)]+)").expect("valid regex")
});

pub(crate) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for step in runbook.steps.iter() {
        if let Some(check) = step.probing() {
            walk(check, out);
        }
        if let Some(cmd) = step.action.as_ref().and_then(|action| action.cmd.as_ref()) {
            script(cmd, out);
        }
    }
}

fn walk(check: &Check, out: &mut Vec<Diagnostic>) {
    if let Some(cmd) = &check.cmd {
        script(cmd, out);
    }
    for member in check.probes.iter().flat_map(|probes| probes.values()) {
        walk(member, out);
    }
}

fn script(cmd: &CmdProbe, out: &mut Vec<Diagnostic>) {
    let Some(sh) = &cmd.sh else { return };
    for found in PGREP.captures_iter(sh) {
        let (tool, options, pattern) = (&found[1], &found[2], &found[3]);
        let full = options
            .split_whitespace()
            .any(|option| option == "--full" || (!option.starts_with("--") && option[1..].contains('f')));
        if !full || guarded(pattern) {
            continue;
        }
        let does = if tool == "pkill" { "kills" } else { "finds" };
        out.push(
            Diagnostic::new(
                Code::SelfMatchingSearch,
                sh.span,
                format!(
                    "`{tool} -f {pattern}` in `sh:` also {does} the `sh -c` that runs it, whose text holds the pattern"
                ),
            )
            .with_label(format!("`{tool} -f` matches whole command lines, this shell's included"))
            .with_help(match bracketed(pattern) {
                Some(bracketed) => format!(
                    "run it without a shell around it (`argv: [{tool}, -f, …]`), or write the pattern so it does \
                     not match its own text: `{bracketed}`"
                ),
                None => format!("run it without a shell around it: `argv: [{tool}, -f, \"{pattern}\"]`"),
            }),
        );
    }
    for found in PS_GREP.captures_iter(sh) {
        let pattern = &found[2];
        if guarded(pattern) || sh.contains("grep -v grep") {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::SelfMatchingSearch,
                sh.span,
                format!("`ps … | grep {pattern}` in `sh:` also finds the `grep` and the `sh -c` that runs it"),
            )
            .with_label("their command lines hold the pattern too")
            .with_help(match bracketed(pattern) {
                Some(bracketed) => format!(
                    "use `pgrep -x NAME` (the process name, not the command line), or write the pattern so it \
                     does not match its own text: `grep {bracketed}`"
                ),
                None => "use `pgrep -x NAME` (the process name, not the command line) in `argv`".to_owned(),
            }),
        );
    }
}

/// Whether `pattern` cannot match its own text: a bracket expression
/// (`[k]neo-worker`). A template's value lands in the script as written,
/// so it matches itself.
fn guarded(pattern: &str) -> bool {
    !pattern.contains("{{") && pattern.contains('[')
}

/// How to write `pattern` so that it does not match itself, as a help's
/// second half: its first letter in brackets (`'[k]neo-worker'`); for a
/// template, the value itself would need them, so only the `argv` form
/// is offered.
fn bracketed(pattern: &str) -> Option<String> {
    let bare = pattern.trim_matches(['\'', '"']);
    let mut chars = bare.chars();
    match chars.next() {
        Some(first) if first.is_alphanumeric() && !pattern.contains("{{") => {
            Some(format!("'[{first}]{}'", chars.as_str()))
        }
        _ => None,
    }
}
