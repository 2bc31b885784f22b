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

/// Renders diagnostics for a terminal or a log.
pub(crate) struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    /// A renderer for stderr, with colours as `--color` and `NO_COLOR` say.
    pub(crate) fn for_stderr(color: Color) -> Self {
        let colored = color.enabled(std::io::stderr().is_terminal());
        let theme = if colored { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        Self { handler: GraphicalReportHandler::new_themed(theme).with_context_lines(1).with_links(false) }
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
        let line_text = source.text().lines().nth(line.saturating_sub(1)).unwrap_or_default();
        // A runbook's control characters (an escape sequence in a comment)
        // reach the terminal or the CI log through neither the snippet, the
        // file name nor the message.
        let (text, name) = (masked(source.text()), printable_line(source.name()));
        let message = printable_lines(&inner.to_string()).into_owned();
        let located = Located {
            inner,
            heading,
            message: if line_text.len() > MAX_SNIPPET_LINE {
                format!("{message} (at {name}:{line}:{column})")
            } else {
                message.clone()
            },
            source: (line_text.len() <= MAX_SNIPPET_LINE).then_some(Named { name: &name, text: &text }),
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

/// Source text under a file name, borrowed (miette's `NamedSource` wants
/// to own it).
struct Named<'a> {
    name: &'a str,
    text: &'a str,
}

impl SourceCode for Named<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let contents = self.text.read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_owned(),
            contents.data(),
            *contents.span(),
            contents.line(),
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
