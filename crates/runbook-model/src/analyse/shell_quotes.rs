//! An author's own quotes around `{{ }}` in `sh:`. The engine already
//! quotes every value as one word (`'…'`); inside `'…'` or `"…"` that quote
//! closes the author's, and inside a heredoc it is literal text while `$(…)`
//! in the value still runs. Either way the value is no longer data. A
//! command substitution quotes afresh: `"$(echo {{ x }})"` is fine.

use std::sync::LazyLock;

use regex::Regex;

use crate::analyse::{TemplateKind, TemplateSite};
use crate::{Code, Diagnostic, Span};

/// A command up to a point inside the quoted script of a nested shell
/// (`sh -c '… `, `xargs bash -ec "… `): no quote of that kind since.
static NESTED_SCRIPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:^|[\s;|&(`])(?:\S*/)?(?:sh|bash|zsh|dash|ksh|ash|mksh|su)\s+(?:(?:--[A-Za-z][\w-]*|[-+][A-Za-z]*[oO]\s+[A-Za-z_]+|-[sgGw]\s+\S+|[-+][A-Za-z]*|[^\s;&|'"-][^\s;&|'"]*)\s+)*?-[A-Za-z]*c[A-Za-z]*\s+(?:[-+][A-Za-z]+\s+)*(?:'[^']*|"[^"]*)$"#,
    )
    .expect("valid regex")
});

/// Where a `{{` sits in a shell command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Single,
    Double,
    Heredoc,
}

/// What the shell is inside of at a point of the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Quoted(Context),
    /// `$(…)`, even inside double quotes: a new command, whose words are
    /// quoted afresh.
    Substitution,
    /// `(…)` inside a substitution, which its `)` must not end.
    Group,
}

impl Context {
    const fn describe(self) -> &'static str {
        match self {
            Self::Single => "inside single quotes",
            Self::Double => "inside double quotes",
            Self::Heredoc => "inside a heredoc",
        }
    }
}

pub(crate) fn check(source: Option<&str>, sites: &[TemplateSite<'_>], out: &mut Vec<Diagnostic>) {
    for site in sites.iter().filter(|site| site.kind == TemplateKind::Shell && site.text.contains("{{")) {
        for (offset, context) in quoted_templates(site.text) {
            let expression = template_at(site.text, offset);
            let span = locate(source, site.span, expression);
            let help = match context {
                Context::Heredoc => format!(
                    "pass the value as an argument or through `env:` instead (`env: {{ VALUE: \"{expression}\" }}`, then `\"$VALUE\"` in the heredoc)"
                ),
                Context::Single | Context::Double if NESTED_SCRIPT.is_match(&site.text[..offset]) => format!(
                    "these quotes hold the script of a nested shell, which parses the value again whatever its \
                     quotes: pass it as an argument after the script and read it there (`sh -c 'grep -c \"$1\" \
                     app.log' sh {expression}`)"
                ),
                Context::Single | Context::Double => {
                    format!(
                        "the value is shell-quoted already: remove the quotes around `{expression}`, or close them before it (`'X-Key: '{expression}`)"
                    )
                }
            };
            out.push(
                Diagnostic::new(
                    Code::QuotedShellTemplate,
                    span,
                    format!("`{expression}` is {} in `sh:`", context.describe()),
                )
                .with_label("the automatic quoting no longer protects this value")
                .with_help(help),
            );
        }
    }
}

/// Offsets of each `{{` that sits inside quotes or a heredoc body, with
/// the innermost of them; inside `$(…)` the shell quotes afresh, so
/// `"$(echo {{ x }})"` is not inside the double quotes.
fn quoted_templates(text: &str) -> Vec<(usize, Context)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut heredoc_end: Option<String> = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"{{") {
            if let Some(&Frame::Quoted(context)) = stack.last() {
                found.push((i, context));
            }
            // Skip the whole template: its own quotes are Jinja's, not the shell's.
            i = text[i..].find("}}").map_or(bytes.len(), |end| i + end + 2);
            continue;
        }
        if bytes[i..].starts_with(b"{%") {
            i = skip_tag(text, i);
            continue;
        }
        let c = bytes[i];
        match stack.last() {
            Some(Frame::Quoted(Context::Single)) => {
                if c == b'\'' {
                    stack.pop();
                }
            }
            Some(Frame::Quoted(Context::Double)) => match c {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'$' if bytes[i..].starts_with(b"$(") => {
                    stack.push(Frame::Substitution);
                    i += 1;
                }
                _ => {}
            },
            Some(Frame::Quoted(Context::Heredoc)) => {
                if c == b'\n' {
                    let line_end = text[i + 1..].find('\n').map_or(text.len(), |end| i + 1 + end);
                    let line = text[i + 1..line_end].trim_start_matches('\t');
                    if heredoc_end.as_deref() == Some(line.trim_end()) {
                        stack.pop();
                        heredoc_end = None;
                        i = line_end;
                        continue;
                    }
                }
            }
            None | Some(Frame::Substitution | Frame::Group) => match c {
                b'\\' => i += 1,
                b'\'' => stack.push(Frame::Quoted(Context::Single)),
                b'"' => stack.push(Frame::Quoted(Context::Double)),
                b'$' if bytes[i..].starts_with(b"$(") => {
                    stack.push(Frame::Substitution);
                    i += 1;
                }
                b'(' if !stack.is_empty() => stack.push(Frame::Group),
                b')' if !stack.is_empty() => {
                    stack.pop();
                }
                b'<' if bytes[i..].starts_with(b"<<") && !bytes[i..].starts_with(b"<<<") => {
                    let (word, after) = heredoc_word(text, i + 2);
                    if let Some(word) = word {
                        // The body starts on the next line.
                        let body = text[after..].find('\n').map_or(text.len(), |end| after + end);
                        heredoc_end = Some(word);
                        stack.push(Frame::Quoted(Context::Heredoc));
                        i = body;
                        continue;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    found
}

/// Past the `{% … %}` tag at `start`; past the whole block for `{% raw %}`,
/// whose `{{ }}` are text for another tool (`docker --format`), not values.
fn skip_tag(text: &str, start: usize) -> usize {
    let Some(close) = text[start..].find("%}").map(|end| start + end + 2) else { return text.len() };
    let inner = text[start + 2..close - 2].trim_matches(|c: char| c == '-' || c.is_whitespace());
    if inner != "raw" {
        return close;
    }
    let mut at = close;
    while let Some(open) = text[at..].find("{%").map(|offset| at + offset) {
        let Some(end) = text[open..].find("%}").map(|offset| open + offset + 2) else { break };
        if text[open + 2..end - 2].trim_matches(|c: char| c == '-' || c.is_whitespace()) == "endraw" {
            return end;
        }
        at = end;
    }
    text.len()
}

/// The delimiter of a heredoc starting at `start` (after `<<`), unquoted,
/// and where it ends.
fn heredoc_word(text: &str, start: usize) -> (Option<String>, usize) {
    let rest = &text[start..];
    let rest_trimmed = rest.trim_start_matches('-').trim_start();
    let skipped = rest.len() - rest_trimmed.len();
    let word: String =
        rest_trimmed.chars().take_while(|c| !c.is_whitespace() && !matches!(c, ';' | '|' | '&' | '>' | '<')).collect();
    let unquoted: String = word.chars().filter(|c| !matches!(c, '\'' | '"' | '\\')).collect();
    let end = start + skipped + word.len();
    ((!unquoted.is_empty()).then_some(unquoted), end)
}

/// The `{{ … }}` starting at `offset`.
fn template_at(text: &str, offset: usize) -> &str {
    text[offset..].find("}}").map_or(&text[offset..], |end| &text[offset..offset + end + 2])
}

/// The span of `expression` in the source, within `site`; the whole site
/// when it is written differently there (escapes in a quoted scalar).
pub(super) fn locate(source: Option<&str>, site: Span, expression: &str) -> Span {
    source
        .and_then(|source| source.get(site.start..site.end))
        .and_then(|written| written.find(expression))
        .map_or(site, |offset| Span::new(site.start + offset, expression.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_templates_in_quotes_and_heredocs_only() {
        let cases: &[(&str, &[Context])] = &[
            ("grep {{ inputs.p }} f", &[]),
            ("grep '{{ inputs.p }}' f", &[Context::Single]),
            ("grep \"x {{ inputs.p }}\" f", &[Context::Double]),
            ("echo \"a\" {{ x }} 'b'", &[]),
            ("echo \"it's\" {{ x }}", &[]),
            ("echo \\' {{ x }}", &[]),
            ("cat <<EOF\nhello {{ x }}\nEOF\necho {{ y }}", &[Context::Heredoc]),
            ("cat <<-'END' | sh\n\t{{ x }}\n\tEND\n", &[Context::Heredoc]),
            ("cat <<< {{ x }}", &[]),
            ("echo {{ \"a'b\" }} '{{ y }}'", &[Context::Single]),
            ("docker inspect --format '{% raw %}{{.State}}{% endraw %}' {{ x }}", &[]),
            ("echo '{%- if x %}{{ y }}{% endif %}'", &[Context::Single]),
            ("grep -c \"$(echo {{ x }})\" f", &[]),
            ("echo \"$(cat $(echo {{ x }}) '{{ y }}') {{ z }}\"", &[Context::Single, Context::Double]),
            ("echo \"$( (cd /; ls {{ x }}) ) {{ y }}\"", &[Context::Double]),
            ("echo $(printf '%s' {{ x }}) \"{{ y }}\"", &[Context::Double]),
        ];
        for (text, expected) in cases {
            let found: Vec<Context> = quoted_templates(text).into_iter().map(|(_, context)| context).collect();
            assert_eq!(&found, expected, "{text}");
        }
    }
}
