//! `a || b`: a command the shell could not find, with a fallback after it.
//!
//! A shell's "not found" line makes a `cmd` probe `spawn_failed` whatever
//! its exit code, because inside a pipeline or an `if` the missing tool
//! does not decide the code (`pgrepp -x d | wc -l` exits 0 and prints `0`).
//! On the left of `||` it does: the shell runs the fallback because the
//! tool failed, and what the fallback prints is the answer
//! (`jq -r .status f || python3 -c …` on a host without `jq`). Should the
//! fallback be missing too, its own "not found" line still counts.

/// Whether `script` runs the command `name` directly on the left of `||`:
/// `name` at the start of a command, and `||` the first operator after it
/// (a `|`, `;`, `&&`, `&`, `)` or line end first means it is not).
pub(super) fn falls_back(script: &str, name: &str) -> bool {
    !name.is_empty()
        && script.match_indices(name).any(|(at, _)| {
            starts_command(&script[..at]) && ends_word(&script[at + name.len()..]) && {
                let rest = &script[at + name.len()..];
                first_operator(rest).is_some_and(|end| rest[end..].starts_with("||"))
            }
        })
}

/// Whether a command starts after `before`: at the start of the script,
/// after an operator or an opening, or after a keyword that runs one.
fn starts_command(before: &str) -> bool {
    let before = before.trim_end_matches([' ', '\t']);
    before.is_empty()
        || before.ends_with([';', '|', '&', '(', '{', '\n', '`'])
        || ["then", "do", "else", "!"].iter().any(|keyword| {
            before.strip_suffix(keyword).is_some_and(|head| head.is_empty() || head.ends_with(char::is_whitespace))
        })
}

/// Whether `after` begins where a word ends (`jq` is not `jqq`).
fn ends_word(after: &str) -> bool {
    after.chars().next().is_none_or(|c| c.is_whitespace() || matches!(c, ';' | '|' | '&' | ')'))
}

/// Where the first control operator after a command's name is: quoted text
/// is skipped, and a `&` that belongs to a redirection (`2>&1`, `&>`) is
/// none.
fn first_operator(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let mut quote = None;
    for (at, &byte) in bytes.iter().enumerate() {
        let redirection =
            byte == b'&' && ((at > 0 && matches!(bytes[at - 1], b'>' | b'<')) || bytes.get(at + 1) == Some(&b'>'));
        match (quote, byte) {
            (Some(open), _) if byte == open => quote = None,
            (None, b'\'' | b'"') => quote = Some(byte),
            (None, b';' | b'\n' | b'|' | b'&' | b')') if !redirection => return Some(at),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_with_a_fallback_is_the_left_of_an_or() {
        for script in [
            "jqq -r .status x.json || python3 -c 'print(1)'",
            "jqq -r '.a | .b' x.json 2>&1 || echo fallback",
            "cd /tmp; jqq . f || cat f",
            "(cd /srv && jqq . f || cat f)",
            "if true; then jqq . f || cat f; fi",
            "jqq||cat f",
        ] {
            assert!(falls_back(script, "jqq"), "{script}");
        }
    }

    #[test]
    fn a_command_in_a_pipeline_an_if_or_an_and_has_none() {
        for script in [
            "jqq . f | wc -l || echo 0",
            "pgrepp -x d | wc -l",
            "if jqq . f; then echo ok; fi || true",
            "jqq . f && echo ok || echo no",
            "jqq . f; echo done || true",
            "jqq . f & wait || true",
            "echo jqq || true",
            "jqqx . f || cat f",
            "jqq . f\necho done || true",
        ] {
            assert!(!falls_back(script, "jqq"), "{script}");
        }
    }
}
