//! A template in the script a nested shell runs: `argv: [sh, -c, "… {{ }}"]`
//! passes the value unquoted into shell code (argv quotes nothing), and
//! `sh: "bash -c {{ x }}"` quotes it as one word that the inner shell then
//! runs. Either way a value holding `$(…)` or `;` runs as a command.

use std::sync::LazyLock;

use regex::Regex;

use crate::{Check, CmdProbe, Code, Diagnostic, Runbook, Span};

/// Shells whose `-c` takes a script.
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "ash", "mksh"];

/// A shell started with `-c` (or a cluster holding `c`: `-ec`, `-lc`) in
/// an `sh:` command, and what follows it.
static NESTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;|&(`])(?:\S*/)?(?:sh|bash|zsh|dash|ksh|ash|mksh)\s+(?:[-+][A-Za-z]*\s+(?:pipefail\s+)?)*?-[A-Za-z]*c[A-Za-z]*\s+([^\n]*)")
        .expect("valid regex")
});
/// A `{{ … }}` block.
static BLOCK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\{\{(.*?)\}\}").expect("valid regex"));

pub(crate) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for step in runbook.steps.iter() {
        if let Some(check) = step.probing() {
            walk(check, out);
        }
        if let Some(cmd) = step.action.as_ref().and_then(|action| action.cmd.as_ref()) {
            command(cmd, out);
        }
    }
}

fn walk(check: &Check, out: &mut Vec<Diagnostic>) {
    if let Some(cmd) = &check.cmd {
        command(cmd, out);
    }
    for member in check.probes.iter().flat_map(|probes| probes.values()) {
        walk(member, out);
    }
}

fn command(cmd: &CmdProbe, out: &mut Vec<Diagnostic>) {
    if let Some(argv) = &cmd.argv
        && let Some((shell, script)) = argv_script(&argv.value)
        && let Some(value) = unsafe_value(script)
    {
        out.push(report(script.span, &value, &format!("the script of `{shell} -c` in `argv`"), "argv"));
    }
    if let Some(sh) = &cmd.sh {
        for found in NESTED.captures_iter(sh) {
            if let Some(value) = found.get(1).and_then(|rest| unsafe_value(first_word(rest.as_str()))) {
                out.push(report(sh.span, &value, "the script of a nested `sh -c` in `sh:`", "sh"));
            }
        }
    }
}

/// The shell and its script, when `argv` starts a shell (directly or
/// through `env`, `sudo`, …) with `-c`.
fn argv_script(argv: &[crate::Spanned<String>]) -> Option<(&str, &crate::Spanned<String>)> {
    let start = argv.iter().position(|arg| SHELLS.contains(&arg.rsplit('/').next().unwrap_or(arg)))?;
    let shell = argv[start].rsplit('/').next().unwrap_or(&argv[start]);
    let mut rest = argv[start + 1..].iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-o" | "+o" => {
                rest.next();
            }
            option if option.starts_with("--") => {}
            option if option.starts_with('-') && option[1..].chars().all(|c| c.is_ascii_alphabetic()) => {
                if option.contains('c') {
                    return rest.next().map(|script| (shell, script));
                }
            }
            option if option.starts_with('+') => {}
            _ => return None,
        }
    }
    None
}

/// The shell word `text` starts with, a `{{ … }}` block counting as part
/// of it whatever spaces it holds.
fn first_word(text: &str) -> &str {
    let mut end = 0;
    while end < text.len() {
        let rest = &text[end..];
        if rest.starts_with("{{") {
            end += rest.find("}}").map_or(rest.len(), |close| close + 2);
        } else if let Some(c) = rest.chars().next().filter(|c| !c.is_whitespace()) {
            end += c.len_utf8();
        } else {
            break;
        }
    }
    &text[..end]
}

/// The first `{{ … }}` in `script` that is not passed through `| safe`.
fn unsafe_value(script: &str) -> Option<String> {
    BLOCK.captures_iter(script).map(|block| block[1].trim().to_owned()).find(|inner| {
        let compact: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
        !compact.ends_with("|safe")
    })
}

fn report(span: Span, value: &str, place: &str, field: &str) -> Diagnostic {
    let help = if field == "argv" {
        format!(
            "run the command with `sh:` instead, where every value is quoted (`sh: \"… {{{{ {value} }}}}\"`), or \
             pass the value as a separate argument: `argv: [sh, -c, 'echo \"$1\"', sh, \"{{{{ {value} }}}}\"]`; \
             `| safe` says you vouch for it"
        )
    } else {
        format!(
            "write the inner command directly in `sh:`, where `{{{{ {value} }}}}` stays one quoted word; `| safe` \
             says you vouch for it"
        )
    };
    Diagnostic::new(
        Code::TemplateInShellScript,
        span,
        format!("`{{{{ {value} }}}}` is run as shell code: it is in {place}"),
    )
    .with_label("a value here runs as a command")
    .with_help(help)
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse, load};

    fn reported(cmd: &str) -> usize {
        let yaml = format!(
            "id: t\ntitle: T\ninputs:\n  v: {{ default: x }}\nsteps:\n  - id: a\n    collect:\n      cmd: {cmd}\n  - id: end\n    \
             conclude: {{ status: inconclusive }}\n"
        );
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        analyse(&runbook).iter().filter(|d| d.code == Code::TemplateInShellScript).count()
    }

    #[test]
    fn a_template_in_a_nested_shell_script_is_reported() {
        assert_eq!(reported(r#"{ argv: [sh, -c, "echo {{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ argv: [/bin/bash, -euc, "echo {{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ argv: [sudo, bash, -o, pipefail, -c, "x {{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ sh: "sh -c {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ sh: "ls; bash -lc {{ inputs.v }}" }"#), 1);
    }

    #[test]
    fn values_outside_the_script_and_vouched_ones_are_fine() {
        assert_eq!(reported(r#"{ argv: [sh, -c, 'echo "$1"', sh, "{{ inputs.v }}"] }"#), 0);
        assert_eq!(reported(r#"{ argv: [sh, script.sh, "{{ inputs.v }}"] }"#), 0);
        assert_eq!(reported(r#"{ argv: [sh, -c, "echo {{ inputs.v | safe }}"] }"#), 0);
        assert_eq!(reported(r#"{ argv: [echo, -c, "{{ inputs.v }}"] }"#), 0);
        assert_eq!(reported(r#"{ sh: "echo {{ inputs.v }} | bash" }"#), 0);
        assert_eq!(reported(r#"{ sh: "grep -c {{ inputs.v }} /var/log/app.log" }"#), 0);
    }
}
