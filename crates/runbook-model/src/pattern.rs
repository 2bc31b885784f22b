//! A regular expression written in a runbook, compiled once, on its first
//! use in a run: a probe polled a thousand times does not compile it a
//! thousand times, and `runbook check`, which only parses it (RB308), never
//! pays for compiling it.

use std::sync::OnceLock;

use regex::Regex;

/// A regular expression: its text as written, and the compiled form once
/// asked for (`check` reports an invalid one, RB308).
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    regex: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// A pattern, not compiled yet.
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), regex: OnceLock::new() }
    }

    /// The compiled form, when the text is a valid regular expression;
    /// compiled on the first call only, in CRLF mode (see [`compile_regex`]).
    pub fn regex(&self) -> Option<&Regex> {
        self.regex.get_or_init(|| compile_regex(&self.text).ok()).as_ref()
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

crate::written_as_text::written_as_text!(Pattern);

/// A runbook's regular expression compiled as every reader of output
/// compiles it: in CRLF mode, so that with `(?m)` `^` and `$` also match at
/// a `\r\n` line end (redis-cli and Windows hosts end lines so), and `.`
/// does not match the `\r` of one.
///
/// # Errors
/// The regex crate's error for an invalid pattern.
pub fn compile_regex(text: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(text).crlf(true).build()
}

/// What a match captures: the first group that took part in it (in
/// `Active: (\w+)|State: (\w+)` over `State: active`, the second), or the
/// whole match when the regex has no group; `None` when it has groups and
/// none took part.
pub fn captured_group<'h>(captures: &regex::Captures<'h>) -> Option<regex::Match<'h>> {
    if captures.len() == 1 {
        return captures.get(0);
    }
    captures.iter().skip(1).flatten().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_pattern_is_compiled_once_and_an_invalid_one_keeps_its_text() {
        let valid = Pattern::new("^ok [0-9]+$");
        let first = valid.regex().expect("valid");
        assert!(first.is_match("ok 42"));
        assert!(std::ptr::eq(first, valid.regex().expect("valid")), "the same compiled regex");
        let invalid = Pattern::new("(unclosed");
        assert!(invalid.regex().is_none());
        assert_eq!(invalid.as_str(), "(unclosed");
    }

    #[test]
    fn multi_line_anchors_match_at_a_crlf_line_end() {
        let role = Pattern::new("(?m)^role:master$");
        assert!(role.regex().expect("valid").is_match("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"));
        let captured = Pattern::new("role:(.+)");
        let found = captured.regex().expect("valid").captures("role:master\r\nx").expect("a match");
        assert_eq!(&found[1], "master");
    }

    #[test]
    fn the_first_group_that_took_part_is_captured_never_the_whole_match() {
        let either = compile_regex(r"Active: (\w+)|State: (\w+)").expect("valid");
        let found = either.captures("State: active").expect("a match");
        assert_eq!(captured_group(&found).map(|m| m.as_str()), Some("active"));
        let optional = compile_regex(r"lag(?: (\d+))?").expect("valid");
        assert_eq!(captured_group(&optional.captures("lag").expect("a match")), None);
        let no_group = compile_regex(r"\d+").expect("valid");
        assert_eq!(captured_group(&no_group.captures("x 42").expect("a match")).map(|m| m.as_str()), Some("42"));
    }
}
