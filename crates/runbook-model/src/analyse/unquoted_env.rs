//! RB411: a templated `env:` value read unquoted in the `sh:` script
//! (`env: { D: "{{ x }}" }`, `sh: rm -rf $D/tmp`). Moving a value into
//! `env:` keeps it out of the script's text, but `$D` outside double
//! quotes is split at spaces and globbed: `a b` is two words, `*` is every
//! file, and an empty one is no word at all (`rm -rf /tmp`). The automatic
//! quoting of `{{ }}` in `sh:` does not reach it.

use super::shell_expansions::{Place, commands, expansions, templated_env};
use crate::{Code, Diagnostic, Runbook};

pub(super) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for cmd in commands(runbook) {
        let Some(sh) = &cmd.sh else { continue };
        let templated = templated_env(runbook, cmd);
        let mut reported: Vec<&str> = Vec::new();
        for expansion in expansions(sh).into_iter().filter(|expansion| expansion.place == Place::Unquoted) {
            let Some((name, value)) = templated.iter().find(|(name, _)| *name == expansion.name) else { continue };
            if reported.contains(name) {
                continue;
            }
            reported.push(name);
            out.push(
                Diagnostic::new(
                    Code::UnquotedVariable,
                    sh.span,
                    format!("`${name}` (set to `{value}`) is read unquoted, so the shell splits and globs the value"),
                )
                .with_label("unquoted here")
                .with_help(format!(
                    "write `\"${name}\"`: in double quotes the value stays one word, as `{{{{ }}}}` in `sh:` is; a \
                     value with a space is otherwise two arguments, `*` every file, and an empty one no argument at all"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    fn reported(cmd: &str) -> usize {
        crate::analyse::shell_expansions::reported_for(cmd, crate::Code::UnquotedVariable)
    }

    #[test]
    fn a_templated_env_value_read_unquoted_is_reported_once() {
        assert_eq!(reported(r#"{ sh: "rm -rf $D/tmp; ls $D", env: { D: "{{ inputs.v }}" } }"#), 1);
        assert_eq!(reported(r#"{ sh: "ls ${D}", env: { D: "x-{{ inputs.v }}" } }"#), 1);
        assert_eq!(reported(r#"{ sh: "rm -rf \"$D\"/tmp", env: { D: "{{ inputs.v }}" } }"#), 0);
        assert_eq!(reported(r#"{ sh: "X=$D; [[ $D == a ]]", env: { D: "{{ inputs.v }}" } }"#), 0);
        assert_eq!(reported(r#"{ sh: "rm -rf $D/tmp", env: { D: "/var/x" } }"#), 0);
        assert_eq!(reported(r#"{ sh: "head -n $N f", env: { N: "{{ inputs.n }}" } }"#), 0);
        assert_eq!(reported(r#"{ sh: "head -n $N f", env: { N: "{{ inputs.v | int }}" } }"#), 0);
    }
}
