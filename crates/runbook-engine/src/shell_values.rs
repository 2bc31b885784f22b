//! Where each value lands in a rendered `sh:` command, and what quoting
//! cannot make safe there. A value is one quoted word, so it never runs;
//! but the program still reads that word:
//!
//! - a text beginning with `-` at the start of a word is an option:
//!   `find {{ inputs.dir }} -name '*.tmp'` with `-delete` deletes the
//!   working directory, `rm {{ f }}` with `-rf` is `rm -rf`. It stops the
//!   run, unless `--` came before it in its command, it is a typed number,
//!   or the author wrote `| dash_ok`;
//! - an empty value next to `/` makes a path its parent:
//!   `rm -rf /var/cache/{{ x }}` with `""` is `rm -rf /var/cache/`. It stops
//!   the run;
//! - in shell arithmetic (`$(( ))`, `(( ))`, `let`, the operands of `-eq`
//!   and its kin in `[[ ]]`) a quoted value is a syntax error, and a bare one
//!   is code (`a[$(cmd)]` runs `cmd` in bash). A whole number is written
//!   bare there; anything else stops the run.
//!
//! The formatter writes each quoted value between two marks ([`mark`]),
//! with what it holds; [`settle`] reads where each one landed and writes
//! the command without the marks.

/// Opens a value in a rendered command: a private-use character no value
/// keeps ([`mark`] drops it).
const OPEN: char = '\u{F8F2}';
/// Closes a value.
const CLOSE: char = '\u{F8F3}';

/// What a value printed into `sh:` holds, as far as where it may land goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Held {
    /// Text: quoted, and refused where it would be read as an option.
    Text,
    /// A typed number, written bare: it cannot hold a shell character, and
    /// a negative one is a number, not an option.
    Number,
    /// Text the author said may begin with `-` (`| dash_ok`).
    DashOk,
}

impl Held {
    const fn tag(self) -> char {
        match self {
            Self::Text => 't',
            Self::Number => 'n',
            Self::DashOk => 'd',
        }
    }

    fn from_tag(tag: char) -> Self {
        match tag {
            'n' => Self::Number,
            'd' => Self::DashOk,
            _ => Self::Text,
        }
    }
}

/// `written`, a value as it is written into the command (quoted, or a bare
/// number), between the marks [`settle`] reads, with the `raw` text it
/// stands for.
pub(crate) fn mark(written: &str, raw: &str, held: Held) -> String {
    let keep = |c: &char| *c != OPEN && *c != CLOSE;
    let mut marked = String::with_capacity(written.len() + raw.len() + 8);
    marked.push(OPEN);
    marked.push(held.tag());
    marked.extend(raw.chars().filter(keep));
    marked.push(OPEN);
    marked.extend(written.chars().filter(keep));
    marked.push(CLOSE);
    marked
}

/// A value refused where it landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    /// The value's text.
    pub value: String,
    /// Why, and the fix, after the value's name.
    pub reason: String,
}

/// A value's marks, read back.
struct Marked<'t> {
    held: Held,
    raw: &'t str,
    written: &'t str,
    /// Where the text after it starts.
    end: usize,
}

/// The marked value starting at `start` (on its [`OPEN`]).
fn marked_at(text: &str, start: usize) -> Option<Marked<'_>> {
    let rest = &text[start + OPEN.len_utf8()..];
    let tag = rest.chars().next()?;
    let rest = &rest[tag.len_utf8()..];
    let raw_end = rest.find(OPEN)?;
    let after_raw = &rest[raw_end + OPEN.len_utf8()..];
    let written_end = after_raw.find(CLOSE)?;
    let end = text.len() - after_raw.len() + written_end + CLOSE.len_utf8();
    Some(Marked { held: Held::from_tag(tag), raw: &rest[..raw_end], written: &after_raw[..written_end], end })
}

/// A simple command being read: what came before a value in it.
#[derive(Debug, Clone, Default)]
struct Command {
    /// Words seen in it so far.
    words: usize,
    /// `--` was one of them: what follows is operands, not options.
    operands: bool,
    /// Its first word was `let`: its words are arithmetic.
    arithmetic: bool,
    /// Its first word was `[[`.
    test: bool,
    /// The last whole word, as written by the author.
    last_word: String,
}

/// What the shell is inside of at a point of the command.
#[derive(Debug, Clone)]
enum Frame {
    /// Commands: the whole script, a `$( )` or a `( )`.
    Commands(Command),
    /// `$(( ))` or `(( ))`, with the parentheses opened inside it.
    Arithmetic(usize),
}

/// The author's quotes open at a point of the command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Quote {
    #[default]
    None,
    Single,
    Double,
}

/// A frame, and the quotes open where it started (a `$( )` or `$(( ))`
/// inside `"…"` quotes afresh).
type Entered = (Frame, Quote);

/// Operators of `[[ ]]` whose operands bash evaluates as arithmetic.
const ARITHMETIC_TESTS: &[&str] = &["-eq", "-ne", "-lt", "-le", "-gt", "-ge"];

/// The reader of a marked command.
#[derive(Default)]
struct Reader {
    out: String,
    frames: Vec<Entered>,
    quote: Quote,
    comment: bool,
    /// The word being read follows `<` or `>`: a file, not an argument.
    redirect: bool,
    word: String,
    at_word_start: bool,
}

/// `marked`, a command rendered with marked values, written without the
/// marks; or the first value refused where it landed.
pub(crate) fn settle(marked: &str) -> Result<String, Refused> {
    let mut reader = Reader {
        out: String::with_capacity(marked.len()),
        frames: vec![(Frame::Commands(Command::default()), Quote::None)],
        at_word_start: true,
        ..Reader::default()
    };
    let mut i = 0;
    while let Some(c) = marked[i..].chars().next() {
        if c == OPEN
            && let Some(value) = marked_at(marked, i)
        {
            reader.value(&value, &marked[value.end..])?;
            i = value.end;
            continue;
        }
        i += c.len_utf8();
        i += reader.read(c, &marked[i..]);
    }
    Ok(reader.out)
}

impl Reader {
    fn command(&self) -> Option<&Command> {
        match self.frames.last() {
            Some((Frame::Commands(command), _)) => Some(command),
            _ => None,
        }
    }

    /// A value, checked against where it lands, and written.
    fn value(&mut self, value: &Marked<'_>, after: &str) -> Result<(), Refused> {
        if self.comment {
            self.out.push_str(value.written);
            return Ok(());
        }
        let quoted = self.quote != Quote::None;
        let written = match self.command() {
            None => arithmetic_value(value)?,
            Some(command) if command.arithmetic && !quoted => arithmetic_value(value)?,
            Some(command)
                if command.test
                    && !quoted
                    && self.at_word_start
                    && (ARITHMETIC_TESTS.contains(&command.last_word.as_str())
                        || ARITHMETIC_TESTS.contains(&next_word(after).as_str())) =>
            {
                arithmetic_value(value)?
            }
            Some(command) => {
                let word_start = self.at_word_start && !quoted && !self.redirect;
                refuse_where_it_lands(value, &self.out, after, word_start, command)?;
                value.written.to_owned()
            }
        };
        self.out.push_str(&written);
        self.at_word_start = self.at_word_start && value.raw.is_empty();
        self.word.push_str(value.raw);
        Ok(())
    }

    /// The author's character `c`, with `rest` after it; how many bytes of
    /// `rest` it took with it.
    fn read(&mut self, c: char, rest: &str) -> usize {
        self.out.push(c);
        if self.comment {
            if c == '\n' {
                self.comment = false;
                self.new_command();
            }
            return 0;
        }
        if let Some((Frame::Arithmetic(depth), _)) = self.frames.last_mut() {
            match c {
                '(' => *depth += 1,
                ')' if *depth == 0 && rest.starts_with(')') => {
                    self.out.push(')');
                    self.leave();
                    return 1;
                }
                ')' => *depth = depth.saturating_sub(1),
                _ => {}
            }
            return 0;
        }
        if self.quote == Quote::Single {
            if c == '\'' {
                self.quote = Quote::None;
            }
            self.word.push(c);
            return 0;
        }
        let escaped = |reader: &mut Self| {
            let next = rest.chars().next().filter(|next| *next != OPEN);
            next.map_or(0, |next| {
                reader.out.push(next);
                reader.word.push(next);
                next.len_utf8()
            })
        };
        if c == '$' && rest.starts_with("((") {
            self.out.push_str("((");
            self.enter(Frame::Arithmetic(0));
            return 2;
        }
        if c == '$' && rest.starts_with('(') {
            self.out.push('(');
            self.enter(Frame::Commands(Command::default()));
            return 1;
        }
        if self.quote == Quote::Double {
            self.word.push(c);
            return match c {
                '\\' => escaped(self),
                '"' => {
                    self.quote = Quote::None;
                    0
                }
                _ => 0,
            };
        }
        match c {
            '\\' => {
                self.word.push(c);
                self.at_word_start = false;
                return escaped(self);
            }
            '\'' => {
                self.quote = Quote::Single;
                self.at_word_start = false;
                self.word.push(c);
            }
            '"' => {
                self.quote = Quote::Double;
                self.at_word_start = false;
                self.word.push(c);
            }
            '#' if self.at_word_start => self.comment = true,
            '(' if rest.starts_with('(') && self.command().is_some_and(|command| command.words == 0) => {
                self.out.push('(');
                self.enter(Frame::Arithmetic(0));
                return 1;
            }
            '(' => {
                self.end_word();
                self.enter(Frame::Commands(Command::default()));
            }
            ')' => {
                self.end_word();
                if self.frames.len() > 1 {
                    self.leave();
                }
                self.at_word_start = true;
            }
            '\n' | ';' | '|' | '&' | '`' => self.new_command(),
            c if c.is_whitespace() => {
                self.end_word();
                self.at_word_start = true;
            }
            '<' | '>' => {
                self.end_word();
                self.redirect = true;
                self.at_word_start = true;
            }
            _ => {
                self.at_word_start = false;
                self.word.push(c);
            }
        }
        0
    }

    /// Into a `$( )`, `( )` or arithmetic, which quote afresh.
    fn enter(&mut self, frame: Frame) {
        self.end_word();
        self.frames.push((frame, self.quote));
        self.quote = Quote::None;
        self.at_word_start = true;
    }

    /// Out of the innermost frame, back into the quotes it started in.
    fn leave(&mut self) {
        if let Some((_, quote)) = self.frames.pop() {
            self.quote = quote;
        }
        self.at_word_start = false;
    }

    /// A new simple command in the same frame (after `;`, `|`, a newline).
    fn new_command(&mut self) {
        self.end_word();
        if let Some((Frame::Commands(command), _)) = self.frames.last_mut() {
            *command = Command::default();
        }
        self.at_word_start = true;
    }

    /// Counts the finished word into its command.
    fn end_word(&mut self) {
        if self.word.is_empty() {
            return;
        }
        let word = std::mem::take(&mut self.word);
        self.redirect = false;
        if let Some((Frame::Commands(command), _)) = self.frames.last_mut() {
            if command.words == 0 {
                command.arithmetic = word == "let";
                command.test = word == "[[";
            }
            command.operands |= word == "--";
            command.words += 1;
            command.last_word = word;
        }
    }
}

/// The author's word that starts `text` after blanks (up to a blank or a
/// value's mark).
fn next_word(text: &str) -> String {
    text.trim_start_matches([' ', '\t']).chars().take_while(|c| !c.is_whitespace() && *c != OPEN).collect()
}

/// Refuses a value beginning with `-` at the start of a word (an option),
/// or an empty one next to `/` (a path cut to its parent).
fn refuse_where_it_lands(
    value: &Marked<'_>,
    before: &str,
    after: &str,
    word_start: bool,
    command: &Command,
) -> Result<(), Refused> {
    if word_start && value.held == Held::Text && value.raw.len() > 1 && value.raw.starts_with('-') && !command.operands
    {
        return Err(Refused {
            value: value.raw.to_owned(),
            reason: format!(
                "the value `{}` begins with `-` and starts a word of the command, so the program reads it as an \
                 option (`rm {{{{ f }}}}` with `-rf` is `rm -rf`), quoted or not; write `--` before it when it is an \
                 operand (`rm -- {{{{ f }}}}`), or `./{{{{ f }}}}` for a path; `| dash_ok` says it may be an option",
                value.raw
            ),
        });
    }
    let beside_slash = before.ends_with('/') || after.starts_with('/');
    if value.raw.is_empty() && value.held != Held::Number && beside_slash {
        return Err(Refused {
            value: String::new(),
            reason: "the value is empty and forms a path segment next to `/`, so the path is its parent's \
                     (`rm -rf /var/cache/{{ x }}` with `\"\"` is `rm -rf /var/cache/`); route an empty value \
                     first (`when: … == ''`), or give the step a value that cannot be empty"
                .to_owned(),
        });
    }
    Ok(())
}

/// A value in shell arithmetic: a whole number bare, anything else refused.
fn arithmetic_value(value: &Marked<'_>) -> Result<String, Refused> {
    let digits = value.raw.strip_prefix('-').unwrap_or(value.raw);
    if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Ok(value.raw.to_owned());
    }
    Err(Refused {
        value: value.raw.to_owned(),
        reason: format!(
            "the value `{}` lands in shell arithmetic (`$(( ))`, `(( ))`, `let`, `[[ -eq ]]`), which takes only a \
             whole number: quoted it is a syntax error, bare it is code (`a[$(cmd)]` runs `cmd` in bash); give a \
             number (a `type: number` input, a `type: int` capture, or `| int`)",
            value.raw
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `template` with each `{}` a value: `(raw, held)`, written quoted (or
    /// bare for a number) as the formatter writes it.
    fn settled(template: &str, values: &[(&str, Held)]) -> Result<String, Refused> {
        let mut text = String::new();
        let mut values = values.iter();
        let mut parts = template.split("{}");
        text.push_str(parts.next().unwrap_or_default());
        for part in parts {
            let (raw, held) = values.next().expect("a value for each {}");
            let written = if *held == Held::Number { (*raw).to_owned() } else { crate::template::shell_quote(raw) };
            text.push_str(&mark(&written, raw, *held));
            text.push_str(part);
        }
        settle(&text)
    }

    #[test]
    fn a_text_beginning_with_a_dash_that_starts_a_word_is_refused() {
        for template in ["find {} -name '*.tmp'", "rm {}", "ls; rm {}x", "a | rm {}", "rm -f {}{}", "x=$(rm {})"] {
            let values: Vec<(&str, Held)> = template
                .matches("{}")
                .enumerate()
                .map(|(n, _)| (if n == 0 { "-rf" } else { "" }, Held::Text))
                .collect();
            let refused = settled(template, &values).unwrap_err();
            assert_eq!(refused.value, "-rf", "{template}");
            assert!(refused.reason.contains("`rm -- {{ f }}`"), "{}", refused.reason);
        }
        let refused = settled("rm {}{}", &[("", Held::Text), ("-rf", Held::Text)]).unwrap_err();
        assert_eq!(refused.value, "-rf", "an empty value before it leaves the word's start");
    }

    #[test]
    fn a_dash_after_dashes_in_a_path_a_number_or_vouched_for_is_written() {
        for (template, held) in [
            ("rm -- {}", Held::Text),
            ("rm -f -- a {}", Held::Text),
            ("rm ./{}", Held::Text),
            ("grep --regexp={}", Held::Text),
            ("echo x{}", Held::Text),
            ("echo \"{}\"", Held::Text),
            ("echo x > {}", Held::Text),
            ("# rm {}\necho", Held::Text),
            ("kill {}", Held::Number),
            ("ls {}", Held::DashOk),
        ] {
            let settled = settled(template, &[("-la", held)]);
            assert!(settled.is_ok(), "{template}: {settled:?}");
        }
        assert_eq!(settled("cat {}", &[("-", Held::Text)]).unwrap(), "cat '-'", "`-` alone is stdin, no option");
        assert!(settled("rm -- a; rm {}", &[("-rf", Held::Text)]).is_err(), "`--` ends with its command");
        assert_eq!(settled("kill {}", &[("-9", Held::Number)]).unwrap(), "kill -9");
    }

    #[test]
    fn an_empty_value_next_to_a_slash_is_refused() {
        for template in ["rm -rf /var/cache/{}", "rm -rf {}/etc", "ls /a/{}/b"] {
            let refused = settled(template, &[("", Held::Text)]).unwrap_err();
            assert!(refused.reason.contains("`rm -rf /var/cache/`"), "{template}: {}", refused.reason);
        }
        for template in ["echo {}", "grep -c {} f", "echo x{}y"] {
            assert!(settled(template, &[("", Held::Text)]).is_ok(), "{template}");
        }
        assert!(settled("rm -rf /var/cache/{}", &[("a", Held::Text)]).is_ok());
    }

    #[test]
    fn values_in_arithmetic_are_bare_whole_numbers_or_refused() {
        for template in ["echo $(( {} + 1 ))", "(( n = {} ))", "let n={}+1", "[[ $x -gt {} ]]", "[[ {} -eq 1 ]]"] {
            let written = settled(template, &[("42", Held::Text)]).unwrap();
            assert!(written.contains("42") && !written.contains("'42'"), "{template}: {written}");
            let refused = settled(template, &[("a[$(touch /tmp/x)]", Held::Text)]).unwrap_err();
            assert!(refused.reason.contains("lands in shell arithmetic"), "{template}: {}", refused.reason);
        }
        assert_eq!(
            settled("echo $(( ({} + 1) * 2 )) {}", &[("5", Held::Text), ("x", Held::Text)]).unwrap(),
            "echo $(( (5 + 1) * 2 )) 'x'",
            "arithmetic ends at its `))`"
        );
        assert_eq!(settled("[[ {} == x ]]", &[("a b", Held::Text)]).unwrap(), "[[ 'a b' == x ]]");
        assert!(settled("echo $(( {} ))", &[("1.5", Held::Number)]).is_err(), "shell arithmetic is whole numbers");
    }
}
