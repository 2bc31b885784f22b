//! The quick reading of a plain YAML document: granit's events (the parser
//! serde-saphyr runs, with the same options) into a tree of nodes with
//! their byte spans. It declines, with `None`, everything it does not read
//! exactly as serde-saphyr does: a parse error, anchors, aliases, tags,
//! merge keys, complex or repeated keys, a second document, and anything
//! near a budget. The loader then reads the file again with serde-saphyr,
//! whose diagnostics stay the only ones.

use std::borrow::Cow;

use serde_saphyr::budget::Budget;
use serde_saphyr::granit_parser::{self, Event, Parser, ScalarStyle};

use crate::Span;

/// Deepest nesting read here; serde-saphyr's own limit (48) is above it.
pub(super) const MAX_DEPTH: usize = 40;
/// Most nodes read here (collections and scalars, keys included, as
/// serde-saphyr counts them); its own limit (250,000) is above it.
pub(super) const MAX_NODES: usize = 240_000;

/// A YAML node with the span of its event.
#[derive(Debug)]
pub(super) enum Node<'a> {
    /// A scalar: its text after escapes and folding, whether it was plain
    /// (unquoted, so typed by its spelling), and where.
    Scalar { text: Cow<'a, str>, plain: bool, span: Span },
    /// A sequence's items.
    Seq { items: Vec<Node<'a>>, span: Span },
    /// A mapping's entries in order; every key is a scalar.
    Map { entries: Vec<(Node<'a>, Node<'a>)>, span: Span },
}

impl Node<'_> {
    pub(super) const fn span(&self) -> Span {
        match self {
            Self::Scalar { span, .. } | Self::Seq { span, .. } | Self::Map { span, .. } => *span,
        }
    }

    fn key_text(&self) -> Option<&str> {
        match self {
            Self::Scalar { text, .. } => Some(text),
            Self::Seq { .. } | Self::Map { .. } => None,
        }
    }
}

/// A collection being read.
enum Open<'a> {
    Seq { items: Vec<Node<'a>>, span: Span },
    Map { entries: Vec<(Node<'a>, Node<'a>)>, key: Option<Node<'a>>, span: Span },
}

/// Reads `text`'s one document into a tree, or declines.
pub(super) fn read<'a>(text: &'a str, budget: &Budget) -> Option<Node<'a>> {
    let mut parser = Parser::new_from_str_with_options(text, parser_options(budget));
    let mut open: Vec<Open<'a>> = Vec::new();
    let mut root = None;
    let mut documents = 0;
    let mut nodes = 0;
    loop {
        let (event, span) = parser.next_event()?.ok()?;
        let span = to_span(&span);
        let node = match event {
            Event::StreamStart | Event::DocumentEnd => continue,
            Event::StreamEnd => return root,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                Node::Scalar { text, plain: style == ScalarStyle::Plain, span }
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                let is_map = matches!(event, Event::MappingStart(..));
                if anchor != 0 || tag.is_some() || open.len() >= MAX_DEPTH || expects_key(&open) {
                    return None;
                }
                nodes += 1;
                open.push(if is_map {
                    Open::Map { entries: Vec::new(), key: None, span }
                } else {
                    Open::Seq { items: Vec::new(), span }
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop()? {
                Open::Seq { items, span } => Node::Seq { items, span },
                Open::Map { entries, key: None, span } if keys_differ(&entries) => Node::Map { entries, span },
                Open::Map { .. } => return None,
            },
            _ => return None,
        };
        if matches!(node, Node::Scalar { .. }) {
            nodes += 1;
        }
        if nodes > MAX_NODES {
            return None;
        }
        match open.last_mut() {
            None if root.is_none() => root = Some(node),
            None => return None,
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                Some(key) => entries.push((key, node)),
                None if is_merge_key(&node) => return None,
                None => *key = Some(node),
            },
        }
    }
}

/// The options serde-saphyr gives the parser for this budget, so both
/// readings accept and refuse the same text.
fn parser_options(budget: &Budget) -> granit_parser::Options {
    let block_nesting_limit =
        granit_parser::Options::default().block_nesting_limit.max(budget.max_depth.saturating_add(1));
    granit_parser::options! {
        simple_key_max_lookahead: budget.simple_key_max_lookahead,
        flow_nesting_limit: budget.flow_nesting_limit,
        block_nesting_limit: block_nesting_limit,
        strict_indentation: false,
    }
}

/// The byte range of an event, as serde-saphyr reports it.
fn to_span(span: &granit_parser::Span) -> Span {
    match (span.start.byte_offset(), span.end.byte_offset()) {
        (Some(start), Some(end)) => Span::new(start, end.saturating_sub(start)),
        _ => Span::default(),
    }
}

/// Whether the innermost open collection is a mapping waiting for a key
/// (a collection there would be a complex key).
fn expects_key(open: &[Open<'_>]) -> bool {
    matches!(open.last(), Some(Open::Map { key: None, .. }))
}

/// A plain `<<`, which serde-saphyr merges.
fn is_merge_key(node: &Node<'_>) -> bool {
    matches!(node, Node::Scalar { text, plain: true, .. } if text == "<<")
}

/// Whether no two keys have the same text (in any quoting: a superset of
/// what serde-saphyr calls a duplicate).
fn keys_differ(entries: &[(Node<'_>, Node<'_>)]) -> bool {
    let mut keys: Vec<&str> = entries.iter().filter_map(|(key, _)| key.key_text()).collect();
    if keys.len() != entries.len() {
        return false;
    }
    keys.sort_unstable();
    keys.windows(2).all(|pair| pair[0] != pair[1])
}
