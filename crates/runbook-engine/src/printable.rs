//! Text from the outside (probe output, URLs, answers, captured values) made
//! safe to show: control characters become visible escapes, so that a
//! service cannot move the cursor, erase a line, recolour the terminal,
//! retitle the window, ring the bell or break a Markdown code span.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` on one line: every control character, line breaks included, as
/// a visible escape (`\n`, `\r`, `\x1b`, `\u{202e}`). Tabs are kept.
pub fn printable_line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// `text` with its line breaks kept (`\n`; a `\r\n` becomes `\n`) and every
/// other control character as a visible escape.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_lines: bool) -> Cow<'_, str> {
    if !holds_hazard(text, keep_lines) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(c),
            '\n' if keep_lines => out.push(c),
            '\r' if keep_lines && chars.peek() == Some(&'\n') => {}
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if !is_hazard(c) => out.push(c),
            c if u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// Whether [`escape`] changes `text`. Byte by byte: printable ASCII, most
/// of any text, needs no decoding; only a character outside ASCII is
/// decoded and looked up (a record with a `✓` in it is not decoded whole).
fn holds_hazard(text: &str, keep_lines: bool) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if byte < 0x80 {
            if byte == 0x7f || (byte < 0x20 && byte != b'\t' && !(keep_lines && byte == b'\n')) {
                return true;
            }
            at += 1;
        } else {
            let Some(c) = text.get(at..).and_then(|rest| rest.chars().next()) else { return true };
            if is_hazard(c) {
                return true;
            }
            at += c.len_utf8();
        }
    }
    false
}

/// `text` with every control character (but tab and line breaks) and every
/// mark that reorders text replaced by as many `?` as it takes bytes: byte
/// offsets into `text` (a diagnostic's span) still point at the same
/// places, and a snippet of it cannot act on the terminal.
pub fn masked(text: &str) -> Cow<'_, str> {
    let acts =
        |c: char, next: Option<char>| is_hazard(c) && c != '\t' && c != '\n' && !(c == '\r' && next == Some('\n'));
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any |= acts(c, chars.peek().copied());
    }
    if !any {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if acts(c, chars.peek().copied()) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters a terminal or a Markdown viewer acts on instead of showing:
/// C0 and C1 controls, DEL, and the Unicode marks that reorder text
/// (bidirectional overrides and isolates).
fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        let hostile = "ok\x1b[2K\r\x1b[32m✓ pass\x07\x1b]0;pwned\x07\u{9b}2J\u{202e}txt\tend\x7f";
        assert_eq!(
            printable_line(hostile),
            "ok\\x1b[2K\\r\\x1b[32m✓ pass\\x07\\x1b]0;pwned\\x07\\u{9b}2J\\u{202e}txt\tend\\x7f"
        );
        assert_eq!(printable_line("a\nb"), "a\\nb");
        assert_eq!(printable_lines("a\r\nb\nc\rd"), "a\nb\nc\\rd");
        assert!(matches!(printable_line("plain ✓ text"), Cow::Borrowed(_)));
        // Characters outside ASCII are looked at one by one, to the end.
        let marks = "✓ é\n".repeat(100);
        assert!(matches!(printable_lines(&marks), Cow::Borrowed(_)));
        assert_eq!(printable_lines(&format!("{marks}\u{202e}")), format!("{marks}\\u{{202e}}"));
        // Each alone, past the ASCII fast path.
        for (alone, shown) in
            [("\x7f", "\\x7f"), ("é\u{9b}", "é\\u{9b}"), ("x\u{2066}", "x\\u{2066}"), ("\x01", "\\x01")]
        {
            assert_eq!(printable_lines(alone), shown);
        }
    }

    #[test]
    fn masked_text_keeps_every_byte_offset() {
        let text = "a: b # \x1b]0;x\x07\u{9b}\u{202e}c\r\nd\te\rf";
        let masked = masked(text);
        assert_eq!(masked, "a: b # ?]0;x??????c\r\nd\te?f");
        assert_eq!(masked.len(), text.len());
        assert!(matches!(super::masked("plain\r\ntext"), Cow::Borrowed(_)));
    }
}
