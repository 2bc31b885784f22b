//! How a step reads in words, for `runbook render`: each step kind says
//! what a person following the runbook without the tool should do, as
//! plain blocks of words; the CLI's document writer turns them into
//! Markdown. A new kind writes its text with these blocks, and the writer
//! needs no change.

use std::borrow::Cow;

use indexmap::IndexMap;

use crate::{Capture, DeclaredProbe, Expectation, Span, Spanned};

/// One block of a step's text.
#[derive(Debug, Clone)]
pub enum Prose<'a> {
    /// A paragraph.
    Paragraph(Vec<Words<'a>>),
    /// Text as the author wrote it, quoted: what the operator agrees to.
    Quote(&'a str),
    /// A list, one entry per item.
    List(Vec<Vec<Words<'a>>>),
    /// Items to tick off.
    Checklist(&'a [String]),
    /// A table: its head, then a row of cells per entry.
    Table(&'static [&'static str], Vec<Vec<Words<'a>>>),
    /// Probes with what judges them: how to run each by hand, then what
    /// holds (led by `lead`: "It passes when"), what only warns, and what
    /// to note down.
    Judged {
        /// What runs.
        probes: Vec<DeclaredProbe<'a>>,
        /// What judges it.
        expect: &'a [Spanned<Expectation>],
        /// What is noted down.
        capture: &'a IndexMap<Spanned<String>, Spanned<Capture>>,
        /// The words before what holds.
        lead: &'static str,
    },
}

/// A run of words within a block.
#[derive(Debug, Clone)]
pub enum Words<'a> {
    /// Plain text: the tool's words, or a value the author wrote (a label),
    /// shown exactly as it reads.
    Text(Cow<'a, str>),
    /// A sentence the author wrote as Markdown (a question, an
    /// instruction, an answer's label): its backticks, emphasis and links
    /// are kept.
    Markdown(&'a str),
    /// Stressed text.
    Strong(&'static str),
    /// A name set apart.
    Emphasis(&'a str),
    /// A name or value, as code.
    Code(&'a str),
    /// The YAML written at a span, on one line, as code: a list, a value.
    Written(Span),
    /// A step of this runbook, linked.
    Step(&'a str),
    /// The runbook file at this path (relative to this one), linked to its
    /// document when there is one.
    Runbook(&'a str),
    /// A link: its title and address.
    Link(&'a str, &'a str),
}

impl<'a> Words<'a> {
    /// Plain text.
    pub fn text(text: impl Into<Cow<'a, str>>) -> Self {
        Self::Text(text.into())
    }
}
