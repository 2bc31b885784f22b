//! One line of an output excerpt in `record.md`, shaped for a person: a
//! long run of one control character is shown as its count (1 MiB of NULs
//! is "[524,288 NUL bytes]", not four megabytes of `\x00`), and a line is
//! cut after [`LINE_CHARS`] characters with the count of what was left out.
//! `record.json` keeps every byte; this is only what the page shows.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::printable::printable_line;

/// Characters of a line shown before it is cut.
pub(super) const LINE_CHARS: usize = 200;

/// A control character repeated at least this often in a row is shown
/// once, with its count; shorter runs stay as they are (escaped).
const COUNTED_RUN: usize = 16;

/// `line` as an excerpt shows it (before `record.md`'s escaping of control
/// characters, which it leaves only short runs of).
pub(super) fn excerpt_line(line: &str) -> Cow<'_, str> {
    if line.len() <= LINE_CHARS && !has_counted_run(line) {
        return Cow::Borrowed(line);
    }
    let mut shown = String::new();
    let mut width = 0;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if width >= LINE_CHARS {
            let _ = write!(shown, " … {} more bytes on this line", grouped(rest.len() as u64));
            break;
        }
        // Only a control character's run is measured, so a long line of
        // ordinary text costs what is shown.
        let run = if is_counted(c) { rest.chars().take_while(|&next| next == c).count() } else { 1 };
        if run >= COUNTED_RUN {
            let piece = if c == '\0' {
                format!("[{} NUL bytes]", grouped(run as u64))
            } else {
                format!("[{} × {}]", grouped(run as u64), printable_line(c.encode_utf8(&mut [0; 4])))
            };
            width += piece.chars().count();
            shown.push_str(&piece);
            rest = &rest[run * c.len_utf8()..];
        } else {
            shown.push(c);
            width += 1;
            rest = &rest[c.len_utf8()..];
        }
    }
    Cow::Owned(shown)
}

/// Whether `line` holds a run of one control character long enough to be
/// counted.
fn has_counted_run(line: &str) -> bool {
    let mut previous = None;
    let mut run = 0;
    for c in line.chars() {
        run = if previous == Some(c) { run + 1 } else { 1 };
        previous = Some(c);
        if run >= COUNTED_RUN && is_counted(c) {
            return true;
        }
    }
    false
}

/// Characters a long run of which is counted: the controls `record.md`
/// would escape (a tab is shown as it is).
fn is_counted(c: char) -> bool {
    c.is_control() && c != '\t'
}

/// `n` with its thousands separated by commas: `4,194,304`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_run_of_nuls_is_shown_as_its_count() {
        let line = format!("start{}end", "\0".repeat(524_288));
        assert_eq!(excerpt_line(&line), "start[524,288 NUL bytes]end");
    }

    #[test]
    fn a_long_run_of_another_control_character_is_shown_once_with_its_count() {
        assert_eq!(excerpt_line(&"\x1b".repeat(20)), r"[20 × \x1b]");
    }

    #[test]
    fn short_runs_and_ordinary_lines_are_left_as_they_are() {
        for line in ["plain text", "\x1b]0;pwned\x07", &"\0".repeat(COUNTED_RUN - 1), &"=".repeat(LINE_CHARS)] {
            assert!(matches!(excerpt_line(line), Cow::Borrowed(same) if same == line), "{line:?}");
        }
    }

    #[test]
    fn a_long_line_is_cut_with_the_count_of_what_was_left_out() {
        let line = "é".repeat(10_000);
        let shown = excerpt_line(&line);
        let cut = "é".repeat(LINE_CHARS);
        assert_eq!(shown, format!("{cut} … {} more bytes on this line", grouped((line.len() - cut.len()) as u64)));
        assert_eq!(grouped(19_600), "19,600");
    }

    #[test]
    fn counted_runs_count_towards_the_width() {
        let line = format!("{}{}", "\0".repeat(1_000), "x".repeat(1_000));
        let shown = excerpt_line(&line);
        let head = "[1,000 NUL bytes]";
        let xs = LINE_CHARS - head.len();
        assert_eq!(
            shown,
            format!("{head}{} … {} more bytes on this line", "x".repeat(xs), grouped((1_000 - xs) as u64))
        );
    }

    #[test]
    fn thousands_are_grouped() {
        let shown: Vec<String> = [0, 999, 1_000, 4_194_304, 1_073_741_824].into_iter().map(grouped).collect();
        assert_eq!(shown, ["0", "999", "1,000", "4,194,304", "1,073,741,824"]);
    }
}
