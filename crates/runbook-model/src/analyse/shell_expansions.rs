//! Where a shell script expands its variables, as the rules on values
//! moved into `env:` or passed as arguments need it: `$NAME` unquoted is
//! split into words and globbed (RB411), and in shell arithmetic a
//! variable's value is evaluated as an expression, where bash runs the
//! `$(cmd)` of `a[$(cmd)]` (RB412). `{{ }}` and `{% %}` blocks are values
//! and tags, skipped.

/// How the shell reads an expansion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// Outside quotes, as a word or part of one: split and globbed.
    Unquoted,
    /// In double quotes, an assignment or `[[ ]]`: taken as it is.
    Whole,
    /// In `$(( ))`, `(( ))`, `let`, or next to `-eq` and its kin in
    /// `[[ ]]`: evaluated as an arithmetic expression. A bare name counts.
    Arithmetic,
}

/// A variable (or positional parameter: `1`, `@`) the script reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Expansion<'t> {
    pub name: &'t str,
    pub place: Place,
}

/// Operators of `[[ ]]` whose operands bash evaluates as arithmetic.
const ARITHMETIC_TESTS: &[&str] = &["-eq", "-ne", "-lt", "-le", "-gt", "-ge"];

/// What a `$( )` interrupts: whether double quotes were open, and the
/// command around it (its words so far, whether it is `let` or `[[`, where
/// its current word starts).
type Around = (bool, usize, bool, bool, usize);

/// The expansions of `script`, in order.
pub(super) fn expansions(script: &str) -> Vec<Expansion<'_>> {
    let bytes = script.as_bytes();
    let mut found = Vec::new();
    let (mut single, mut double) = (false, false);
    // `$((`/`((` depth: the parentheses opened inside, per level.
    let mut arithmetic: Vec<usize> = Vec::new();
    // `$( )` nesting: the state around it (it quotes afresh and is a
    // command of its own), and the parentheses opened inside.
    let mut substitutions: Vec<(Around, usize)> = Vec::new();
    let (mut words, mut in_let, mut in_test) = (0usize, false, false);
    let mut word_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Every character the shell reads here is ASCII: the rest of one
        // written in several bytes is passed over.
        if !script.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &script[i..];
        if rest.starts_with("{{") || rest.starts_with("{%") {
            let close = if rest.starts_with("{{") { "}}" } else { "%}" };
            i += rest.find(close).map_or(rest.len(), |end| end + 2);
            continue;
        }
        let c = bytes[i];
        if single {
            single = c != b'\'';
            i += 1;
            continue;
        }
        let in_arithmetic = !arithmetic.is_empty() || (in_let && !double);
        match c {
            b'\\' => i += 1,
            b'\'' if !double && arithmetic.is_empty() => single = true,
            b'"' => double = !double,
            b'$' if rest.starts_with("$((") => {
                arithmetic.push(0);
                i += 2;
            }
            b'$' if rest.starts_with("$(") && arithmetic.is_empty() => {
                substitutions.push(((double, words, in_let, in_test, word_start), 0));
                double = false;
                (words, in_let, in_test) = (0, false, false);
                word_start = i + 2;
                i += 1;
            }
            b'$' => {
                let (name, length) = name_at(&script[i + 1..]);
                if !name.is_empty() {
                    let place = if in_arithmetic || (in_test && beside_arithmetic_test(script, i, i + 1 + length)) {
                        Place::Arithmetic
                    } else if double || in_test || script[word_start..i].contains('=') {
                        Place::Whole
                    } else {
                        Place::Unquoted
                    };
                    found.push(Expansion { name, place });
                    i += length;
                }
            }
            b'(' if !arithmetic.is_empty() => {
                if let Some(depth) = arithmetic.last_mut() {
                    *depth += 1;
                }
            }
            b')' if !arithmetic.is_empty() => match arithmetic.last_mut() {
                Some(0) if rest.starts_with("))") => {
                    arithmetic.pop();
                    i += 1;
                }
                Some(depth) => *depth = depth.saturating_sub(1),
                None => {}
            },
            b'(' if !double && words == 0 && rest.starts_with("((") => {
                arithmetic.push(0);
                i += 1;
            }
            b'(' if !double && !substitutions.is_empty() => {
                if let Some((_, depth)) = substitutions.last_mut() {
                    *depth += 1;
                }
            }
            b')' if !double && !substitutions.is_empty() => {
                if let Some((outer, depth)) = substitutions.last_mut() {
                    if *depth == 0 {
                        (double, words, in_let, in_test, word_start) = *outer;
                        substitutions.pop();
                    } else {
                        *depth -= 1;
                    }
                }
            }
            c if in_arithmetic && (c.is_ascii_alphabetic() || c == b'_') => {
                let (name, length) = name_at(rest);
                if !(in_let && words == 0) {
                    found.push(Expansion { name, place: Place::Arithmetic });
                }
                i += length.saturating_sub(1);
            }
            // `&&` and `||` inside `[[ ]]` join its tests, not commands.
            b';' | b'|' | b'&' | b'\n' if !double && arithmetic.is_empty() && !(in_test && c != b'\n') => {
                (words, in_let, in_test) = (0, false, false);
                word_start = i + 1;
            }
            c if c.is_ascii_whitespace() && !double && arithmetic.is_empty() => {
                let word = script[word_start..i].trim();
                if !word.is_empty() {
                    if words == 0 {
                        in_let = word == "let";
                        in_test = word == "[[";
                    } else if word == "]]" {
                        in_test = false;
                    }
                    words += 1;
                }
                word_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The name a `$` at the start of `text` expands (`NAME`, `{NAME…}`, a
/// digit, `@`, `*`), and how many bytes it takes.
fn name_at(text: &str) -> (&str, usize) {
    let braced = text.starts_with('{');
    let start = usize::from(braced);
    let rest = &text[start..];
    let length = if rest.starts_with(|c: char| c.is_ascii_digit() || c == '@' || c == '*') {
        1
    } else {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len())
    };
    (&rest[..length], start + length)
}

/// Whether the word from `start` to `end` in `[[ ]]` is an operand of an
/// arithmetic comparison (`$N -gt 3`, `3 -eq $N`).
fn beside_arithmetic_test(script: &str, start: usize, end: usize) -> bool {
    let before = script[..start].split_whitespace().next_back().unwrap_or_default();
    let after_word = script[end..].split_whitespace().next().unwrap_or_default();
    let after = if script[end..].starts_with(char::is_whitespace) { after_word } else { "" };
    ARITHMETIC_TESTS.contains(&before) || ARITHMETIC_TESTS.contains(&after)
}

/// Every `cmd` probe of `runbook`: checks, collects, members of `probes:`
/// groups, and actions.
pub(super) fn commands(runbook: &crate::Runbook) -> Vec<&crate::CmdProbe> {
    fn walk<'r>(check: &'r crate::Check, out: &mut Vec<&'r crate::CmdProbe>) {
        out.extend(check.cmd.as_ref().map(|cmd| &cmd.value));
        for member in check.probes.iter().flat_map(|probes| probes.values()) {
            walk(member, out);
        }
    }
    let mut out = Vec::new();
    for step in runbook.steps.iter() {
        if let Some(check) = step.probing() {
            walk(check, &mut out);
        }
        out.extend(step.action.as_ref().and_then(|action| action.cmd.as_ref()).map(|cmd| &cmd.value));
    }
    out
}

/// The `env:` keys of `cmd` whose value is a template that may print
/// something other than a number: not a `type: number` input, not
/// converted with `| int` or `| float`.
pub(super) fn templated_env<'c>(runbook: &crate::Runbook, cmd: &'c crate::CmdProbe) -> Vec<(&'c str, &'c str)> {
    cmd.env
        .iter()
        .filter(|(_, value)| value.contains("{{") && !prints_a_number(runbook, value))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}

/// Whether `template` is one `{{ }}` that prints a number.
fn prints_a_number(runbook: &crate::Runbook, template: &str) -> bool {
    let Some(inner) = template.trim().strip_prefix("{{").and_then(|rest| rest.strip_suffix("}}")) else {
        return false;
    };
    let compact: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains("{{") {
        return false;
    }
    let converted = ["|int", "|float", "|length", "|count"].iter().any(|filter| compact.ends_with(filter));
    let number_input = compact.strip_prefix("inputs.").is_some_and(|name| {
        runbook
            .inputs
            .iter()
            .any(|(input, declared)| input.as_str() == name && declared.input_type() == crate::InputType::Number)
    });
    converted || number_input
}

/// For the tests of the rules over commands: how many diagnostics of
/// `code` a runbook gets whose one `collect` step runs `cmd` (YAML), with a
/// text input `v` and a number input `n`.
#[cfg(test)]
pub(super) fn reported_for(cmd: &str, code: crate::Code) -> usize {
    let yaml = format!(
        "id: t\ntitle: T\ninputs:\n  v: {{ default: x }}\n  n: {{ type: number, default: 1 }}\nsteps:\n  - id: a\n    \
         collect:\n      cmd: {cmd}\n    next: end\n  - id: end\n    conclude: {{ status: inconclusive }}\n"
    );
    let runbook = crate::load(&crate::Source::new("t.yaml", yaml)).expect("loads");
    crate::analyse(&runbook).iter().filter(|d| d.code == code).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(script: &str) -> Vec<(&str, Place)> {
        expansions(script).into_iter().map(|expansion| (expansion.name, expansion.place)).collect()
    }

    #[test]
    fn each_expansion_is_read_where_the_shell_reads_it() {
        use Place::{Arithmetic, Unquoted, Whole};
        let cases: &[(&str, &[(&str, Place)])] = &[
            ("rm -rf $D/tmp", &[("D", Unquoted)]),
            ("rm -rf \"$D\"/tmp ${E}", &[("D", Whole), ("E", Unquoted)]),
            ("echo '$D' {{ x }} X=$D", &[("D", Whole)]),
            ("echo $(( $N + M ))", &[("N", Arithmetic), ("M", Arithmetic)]),
            ("(( N > 3 )) && echo \"$(( N ))\"", &[("N", Arithmetic), ("N", Arithmetic)]),
            ("let x=N+1; echo $x", &[("x", Arithmetic), ("N", Arithmetic), ("x", Unquoted)]),
            ("[[ $N -gt 3 && $S == a ]]", &[("N", Arithmetic), ("S", Whole)]),
            ("[[ $(wc -l < $F) -gt $1 ]]", &[("F", Unquoted), ("1", Arithmetic)]),
            ("echo $1 \"$@\"", &[("1", Unquoted), ("@", Whole)]),
            ("echo \\$D", &[]),
            ("rm -rf /tmp/é\u{202e} $D; é=$(( N ))", &[("D", Unquoted), ("N", Arithmetic)]),
            ("test -n \"$(printenv \"$N\") $(echo $D)\" $E", &[("N", Whole), ("D", Unquoted), ("E", Unquoted)]),
        ];
        for (script, expected) in cases {
            assert_eq!(&places(script), expected, "{script}");
        }
    }
}
