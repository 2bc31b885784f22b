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
    /// compiled on the first call only.
    pub fn regex(&self) -> Option<&Regex> {
        self.regex.get_or_init(|| Regex::new(&self.text).ok()).as_ref()
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

crate::written_as_text::written_as_text!(Pattern);

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
}
