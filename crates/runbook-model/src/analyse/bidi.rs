//! RB407: characters that reorder how text is displayed (bidirectional
//! overrides, embeddings, isolates and marks) anywhere in a runbook's text.
//! In a command, a URL or a confirmation they make the text a reviewer
//! reads differ from the text that runs ("Trojan Source").

use crate::{Code, Diagnostic, Span};

/// The characters, with their Unicode names.
const REORDERING: [(char, &str); 12] = [
    ('\u{061c}', "arabic letter mark"),
    ('\u{200e}', "left-to-right mark"),
    ('\u{200f}', "right-to-left mark"),
    ('\u{202a}', "left-to-right embedding"),
    ('\u{202b}', "right-to-left embedding"),
    ('\u{202c}', "pop directional formatting"),
    ('\u{202d}', "left-to-right override"),
    ('\u{202e}', "right-to-left override"),
    ('\u{2066}', "left-to-right isolate"),
    ('\u{2067}', "right-to-left isolate"),
    ('\u{2068}', "first strong isolate"),
    ('\u{2069}', "pop directional isolate"),
];

/// Reports each reordering character of `source`, at its place.
pub(super) fn check(source: Option<&str>, diagnostics: &mut Vec<Diagnostic>) {
    let Some(source) = source else { return };
    for (offset, c) in source.char_indices() {
        let Some((_, name)) = REORDERING.iter().find(|(reordering, _)| *reordering == c) else { continue };
        let message = format!(
            "`\\u{{{:x}}}` ({name}) changes how the text around it is displayed: what a reader sees is not what runs",
            u32::from(c)
        );
        diagnostics.push(
            Diagnostic::new(Code::BidiControl, Span::new(offset, c.len_utf8()), message)
                .with_label("reorders the text")
                .with_help("remove it and write the text in the order it is meant to run; `run` and `render` show it as an escape"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reordering_character_is_reported_at_its_place() {
        let source = "cmd: { sh: \"rm -rf /tmp/x \u{202e} ; echo \u{2066}ok\u{2069}\" } # plain, עברית";
        let mut diagnostics = Vec::new();
        check(Some(source), &mut diagnostics);
        let found: Vec<(&str, usize)> =
            diagnostics.iter().map(|d| (&source[d.span.start..d.span.end], d.span.start)).collect();
        assert_eq!(found, [("\u{202e}", 26), ("\u{2066}", 37), ("\u{2069}", 42)]);
        assert!(diagnostics[0].message.contains("right-to-left override"), "{}", diagnostics[0].message);
    }
}
