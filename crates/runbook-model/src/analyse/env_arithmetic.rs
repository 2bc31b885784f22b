//! RB412: a templated value that reaches shell arithmetic through a
//! variable: an `env:` value (`$(( $N + 1 ))`, `(( N > 3 ))`, `let`,
//! `[[ $N -gt 3 ]]`), or an argument given after the script of a nested
//! shell and read as `$1` there. Arithmetic evaluates the variable's value
//! as an expression, and bash runs the `$(cmd)` of `a[$(cmd)]` in it, so a
//! value is code there even though it was never in the script's text. A
//! value written into the script itself is checked at run time instead
//! (only a whole number may land in arithmetic).

use super::shell_expansions::{Place, commands, expansions, templated_env};
use super::shell_script::{nested_scripts, shell_script_of};
use crate::{Code, Diagnostic, Runbook, Span};

pub(super) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for cmd in commands(runbook) {
        let templated = templated_env(runbook, cmd);
        // Each script the command runs, whether templated arguments
        // follow it, and where to report.
        let mut scripts: Vec<(String, bool, Span)> = Vec::new();
        if let Some(sh) = &cmd.sh {
            scripts.push((sh.value.clone(), false, sh.span));
            scripts.extend(nested_scripts(sh).into_iter().map(|(script, arguments)| (script, arguments, sh.span)));
        }
        if let Some(argv) = &cmd.argv
            && let Some((script, arguments)) = shell_script_of(&argv.value)
        {
            scripts.push((script.value.clone(), arguments, script.span));
        }
        let mut reported: Vec<String> = Vec::new();
        for (script, arguments, span) in scripts {
            for expansion in expansions(&script).into_iter().filter(|expansion| expansion.place == Place::Arithmetic) {
                let positional = expansion.name.starts_with(|c: char| c.is_ascii_digit() || c == '@' || c == '*');
                let held = if positional && arguments {
                    format!("`${}`, an argument given from a template,", expansion.name)
                } else if let Some((name, value)) = templated.iter().find(|(name, _)| *name == expansion.name) {
                    format!("`{name}` (set to `{value}`)")
                } else {
                    continue;
                };
                if reported.contains(&held) {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        Code::ValueInArithmetic,
                        span,
                        format!("{held} is read in shell arithmetic, which evaluates the value as an expression"),
                    )
                    .with_label("arithmetic on a value")
                    .with_help(
                        "give the value as a number (`{{ vars.n | int }}`, a `type: number` input, a `type: int` \
                         capture), or check it before the arithmetic (`case $N in ''|*[!0-9]*) exit 2;; esac`): \
                         bash runs the `$(cmd)` of a value like `a[$(cmd)]` there",
                    ),
                );
                reported.push(held);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn reported(cmd: &str) -> usize {
        crate::analyse::shell_expansions::reported_for(cmd, crate::Code::ValueInArithmetic)
    }

    #[test]
    fn an_env_value_or_a_templated_argument_in_arithmetic_is_reported() {
        assert_eq!(reported(r#"{ sh: "echo $(( $N + 1 ))", env: { N: "{{ inputs.v }}" } }"#), 1);
        assert_eq!(reported(r#"{ sh: "(( N > 3 )) && echo big", env: { N: "{{ inputs.v }}" } }"#), 1);
        assert_eq!(reported(r#"{ sh: "[[ $N -gt 3 ]]", env: { N: "{{ inputs.v }}" } }"#), 1);
        assert_eq!(reported(r#"{ sh: "bash -c 'let x=N+1'", env: { N: "{{ inputs.v }}" } }"#), 1);
        assert_eq!(reported(r#"{ argv: [bash, -c, 'echo $(( $1 + 1 ))', sh, "{{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ sh: "bash -c 'echo $(( $1 * 2 ))' sh {{ inputs.v }}" }"#), 1);
    }

    #[test]
    fn numbers_literals_and_text_outside_arithmetic_are_fine() {
        assert_eq!(reported(r#"{ sh: "echo $(( $N + 1 ))", env: { N: "{{ inputs.n }}" } }"#), 0);
        assert_eq!(reported(r#"{ sh: "echo $(( $N + 1 ))", env: { N: "{{ inputs.v | int }}" } }"#), 0);
        assert_eq!(reported(r#"{ sh: "echo $(( $N + 1 ))", env: { N: "5" } }"#), 0);
        assert_eq!(reported(r#"{ sh: "echo \"$N\"", env: { N: "{{ inputs.v }}" } }"#), 0);
        assert_eq!(reported(r#"{ argv: [bash, -c, 'echo $(( $1 + 1 ))', sh, "5"] }"#), 0);
        assert_eq!(reported(r#"{ argv: [bash, -c, 'echo "$1"', sh, "{{ inputs.v }}"] }"#), 0);
    }
}
