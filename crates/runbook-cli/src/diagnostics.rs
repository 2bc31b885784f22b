//! Rendering diagnostics: rustc-style with miette for people, a stable JSON
//! shape for machines.

use std::io::IsTerminal;

use miette::{
    GraphicalReportHandler, GraphicalTheme, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use runbook_engine::interpret::{CallFailure, RunError, RunErrorKind};
use runbook_engine::printable::{masked, printable_line, printable_lines};
use runbook_model::{CALLEE_HAS_ERRORS, Diagnostic, InvalidCallee, Level, Source, Span};
use serde::Serialize;

use crate::cli::Color;

/// Lines longer than this are not shown in a snippet: a 10 MB one-line
/// string would flood the terminal.
const MAX_SNIPPET_LINE: usize = 400;
/// Lines of context a snippet shows around what it points at (miette's
/// `context_lines`), and the lines its window keeps around them.
const CONTEXT_LINES: usize = 1;
const WINDOW_LINES: usize = CONTEXT_LINES + 2;

/// Renders diagnostics for a terminal or a log.
pub(crate) struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    /// A renderer for stderr, with colours as `--color` and `NO_COLOR` say.
    pub(crate) fn for_stderr(color: Color) -> Self {
        let colored = color.enabled(std::io::stderr().is_terminal());
        let theme = if colored { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        Self { handler: GraphicalReportHandler::new_themed(theme).with_context_lines(CONTEXT_LINES).with_links(false) }
    }

    /// A file's diagnostics, then each called runbook's own errors in full.
    /// A `call` whose runbook has errors then says they follow, rather
    /// than quoting them on one line as well (as `--format json` does).
    pub(crate) fn render_file<'d>(
        &self,
        source: &Source,
        diagnostics: impl IntoIterator<Item = &'d Diagnostic>,
        callees: &[InvalidCallee],
    ) -> String {
        let mut out = String::new();
        for diagnostic in diagnostics {
            if !callees.is_empty() && diagnostic.label.as_deref() == Some(CALLEE_HAS_ERRORS) {
                let mut shown = diagnostic.clone();
                shown.help = Some("its errors are shown in full below".to_owned());
                out.push_str(&self.render(source, &shown));
            } else {
                out.push_str(&self.render(source, diagnostic));
            }
        }
        for callee in callees {
            out.push_str(&self.render_invalid_callee(callee));
        }
        out
    }

    /// One diagnostic, with its snippet.
    pub(crate) fn render(&self, source: &Source, diagnostic: &Diagnostic) -> String {
        let code = diagnostic.code;
        let heading = format!("{}[{}]: {}", diagnostic.level().name(), code.code(), code.name());
        self.located(source, diagnostic.span, diagnostic.level().name(), heading, diagnostic)
    }

    /// A called runbook's own errors, each in full against its own text,
    /// under the chain of calls that leads to it.
    fn render_invalid_callee(&self, callee: &InvalidCallee) -> String {
        let chain: Vec<String> = callee.chain.iter().map(|file| format!("`{file}`")).collect();
        let mut out = format!("\n`{}`, called as {}:\n", callee.source.name(), chain.join(" → "));
        for diagnostic in &callee.errors {
            out.push_str(&self.render(&callee.source, diagnostic));
        }
        out
    }

    /// A run-time error, with its snippet and help, rendered like a `check`
    /// diagnostic; for an error inside a called runbook, that error too
    /// against the callee's text.
    pub(crate) fn render_run_error(&self, error: &RunError) -> String {
        let mut out = self.located(
            &error.text,
            error.span,
            Level::Error.name(),
            "error: the run failed".to_owned(),
            &RunFailure(error),
        );
        if let RunErrorKind::Call { failure: CallFailure::Stopped(inner), .. } = &error.kind {
            out.push_str(&self.render_run_error(inner));
        }
        out
    }

    fn located(
        &self,
        source: &Source,
        span: Span,
        level: &str,
        heading: String,
        inner: &dyn miette::Diagnostic,
    ) -> String {
        let (line, column) = source.line_col(span.start);
        let line_start = source.offset(line, 1);
        let line_text = source.text().get(line_start..).and_then(|rest| rest.lines().next()).unwrap_or_default();
        // Only the lines around what the diagnostic points at are masked and
        // handed to miette, which would scan the text from its start for
        // each one: a file with a warning on every step was rendered in
        // quadratic time.
        let window = Window::around(source, span, inner);
        // A runbook's control characters (an escape sequence in a comment)
        // reach the terminal or the CI log through neither the snippet, the
        // file name nor the message.
        let (text, name) = (masked(window.text), printable_line(source.name()));
        let message = printable_lines(&inner.to_string()).into_owned();
        let located = Located {
            inner,
            heading,
            message: if line_text.len() > MAX_SNIPPET_LINE {
                format!("{message} (at {name}:{line}:{column})")
            } else {
                message.clone()
            },
            source: (line_text.len() <= MAX_SNIPPET_LINE).then_some(Named {
                name: &name,
                text: &text,
                offset: window.offset,
                lines_before: window.lines_before,
            }),
        };
        let mut out = String::new();
        if self.handler.render_report(&mut out, &located).is_err() {
            out = format!("{level}: {name}:{line}:{column}: {message}\n");
        }
        out
    }
}

/// A run-time error in miette's terms: the step it stopped at, and the fix.
struct RunFailure<'a>(&'a RunError);

impl std::fmt::Debug for RunFailure<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::fmt::Display for RunFailure<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for RunFailure<'_> {}

impl miette::Diagnostic for RunFailure<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Error)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.0.help().map(|help| Box::new(help) as Box<dyn std::fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let label = miette::LabeledSpan::new_with_span(Some(self.0.label()), self.0.span);
        Some(Box::new(std::iter::once(label)))
    }
}

/// A diagnostic (or a run-time error) joined with the text it points
/// into, for miette.
struct Located<'a> {
    inner: &'a dyn miette::Diagnostic,
    heading: String,
    message: String,
    source: Option<Named<'a>>,
}

impl std::fmt::Debug for Located<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Located<'_> {}

impl miette::Diagnostic for Located<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(&self.heading))
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.inner.help()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.source.as_ref()?;
        self.inner.labels()
    }
}

/// The lines of a file a diagnostic's snippet can show: from a few lines
/// before the first place it points at (its span, its labels) to a few
/// after the last.
struct Window<'a> {
    text: &'a str,
    /// Where it starts in the file, in bytes, and the lines before it.
    offset: usize,
    lines_before: usize,
}

impl<'a> Window<'a> {
    fn around(source: &'a Source, span: Span, diagnostic: &dyn miette::Diagnostic) -> Self {
        let labels =
            diagnostic.labels().into_iter().flatten().map(|label| (label.offset(), label.offset() + label.len()));
        let (first, last) =
            labels.fold((span.start, span.end), |(first, last), (start, end)| (first.min(start), last.max(end)));
        let first_line = source.line_col(first).0.saturating_sub(WINDOW_LINES).max(1);
        let last_line = source.line_col(last).0 + WINDOW_LINES + 1;
        let (offset, end) = (source.offset(first_line, 1), source.offset(last_line, 1));
        match source.text().get(offset..end) {
            Some(text) => Self { text, offset, lines_before: first_line - 1 },
            None => Self { text: source.text(), offset: 0, lines_before: 0 },
        }
    }
}

/// A window of source text under a file name, borrowed (miette's
/// `NamedSource` wants to own it): spans are the file's, lines the file's.
struct Named<'a> {
    name: &'a str,
    text: &'a str,
    offset: usize,
    lines_before: usize,
}

impl SourceCode for Named<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let within = span.offset().checked_sub(self.offset).ok_or(MietteError::OutOfBounds)?;
        let contents = self.text.read_span(
            &SourceSpan::new(within.into(), span.len()),
            context_lines_before,
            context_lines_after,
        )?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_owned(),
            contents.data(),
            SourceSpan::new((contents.span().offset() + self.offset).into(), contents.span().len()),
            contents.line() + self.lines_before,
            contents.column(),
            contents.line_count(),
        )))
    }
}

/// The JSON form of one diagnostic. Part of the stable `--format json`
/// output: fields are only ever added.
#[derive(Debug, Serialize)]
pub(crate) struct JsonDiagnostic<'a> {
    pub code: &'static str,
    pub name: &'static str,
    pub level: &'static str,
    pub message: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub label: Option<&'a str>,
    pub help: Option<&'a str>,
}

impl<'a> JsonDiagnostic<'a> {
    pub(crate) fn new(source: &Source, diagnostic: &'a Diagnostic) -> Self {
        let (line, column) = source.line_col(diagnostic.span.start);
        let (end_line, end_column) = source.line_col(diagnostic.span.end);
        Self {
            code: diagnostic.code.code(),
            name: diagnostic.code.name(),
            level: diagnostic.level().name(),
            message: &diagnostic.message,
            line,
            column,
            end_line,
            end_column,
            label: diagnostic.label.as_deref(),
            help: diagnostic.help.as_deref(),
        }
    }
}

/// Counts errors and warnings.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub(crate) struct Tally {
    pub errors: usize,
    pub warnings: usize,
}

impl Tally {
    pub(crate) fn add(&mut self, diagnostics: &[Diagnostic]) {
        for diagnostic in diagnostics {
            match diagnostic.level() {
                Level::Error => self.errors += 1,
                Level::Warning => self.warnings += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runbook_model::Code;

    /// A snippet deep in a long file shows the file's own line numbers,
    /// lines and context (only a window of the file is handed to miette).
    #[test]
    fn a_snippet_deep_in_a_long_file_shows_its_own_lines() {
        let text = (1..=2000).fold(String::new(), |text, n| text + &format!("line{n}: x\n"));
        let source = Source::new("long.yaml", text);
        let start = source.offset(1500, 1);
        let diagnostic =
            Diagnostic::new(Code::UnroutedOutcome, Span { start, end: start + 8 }, "here").with_label("this one");
        let rendered = Renderer::for_stderr(Color::Never).render(&source, &diagnostic);
        assert!(rendered.contains("[long.yaml:1500:1]"), "{rendered}");
        for line in ["1499 │ line1499: x", "1500 │ line1500: x", "1501 │ line1501: x", "this one"] {
            assert!(rendered.contains(line), "{line}: {rendered}");
        }
        assert!(!rendered.contains("line1498") && !rendered.contains("line1502"), "{rendered}");
    }
}
