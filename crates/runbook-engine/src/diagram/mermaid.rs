//! The diagram as a Mermaid flowchart (GitHub, GitLab and most Markdown
//! viewers draw it).

use std::fmt::Write as _;

use runbook_model::Shape;

use super::{Diagram, NodeKind, palette};

/// Mermaid's default `maxTextSize`: renderers refuse longer diagrams.
pub(super) const MAX_TEXT: usize = 50_000;
/// Mermaid's default `maxEdges`.
pub(super) const MAX_EDGES: usize = 500;

/// How close a Mermaid text comes to the renderers' default limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MermaidSize {
    /// Characters of the text.
    pub chars: usize,
    /// Edges drawn.
    pub edges: usize,
}

impl MermaidSize {
    /// A warning when the diagram is over 80 % of a limit, `None` otherwise.
    pub fn warning(self) -> Option<String> {
        let near = |value: usize, limit: usize| value * 5 >= limit * 4;
        if !near(self.chars, MAX_TEXT) && !near(self.edges, MAX_EDGES) {
            return None;
        }
        let over = self.chars > MAX_TEXT || self.edges > MAX_EDGES;
        Some(format!(
            "the Mermaid diagram has {} characters and {} edges; Mermaid renderers refuse more than {MAX_TEXT} \
             characters or {MAX_EDGES} edges by default, so it {} render on GitHub and in most viewers: use \
             `--format dot` (Graphviz DOT) for a graph this size",
            self.chars,
            self.edges,
            if over { "will not" } else { "may soon not" },
        ))
    }
}

/// The Mermaid text of `diagram`, and its size against the renderers' limits.
pub fn mermaid<'a>(diagram: &'a Diagram) -> (String, MermaidSize) {
    let mut out = String::from("flowchart TD\n");
    for node in &diagram.nodes {
        let mut label = text(&node.name);
        for detail in &node.details {
            let _ = write!(label, "<br/>{}", text(detail));
        }
        let (open, close) = match node.kind {
            NodeKind::Step(Shape::Box) | NodeKind::Missing => ("[\"", "\"]"),
            NodeKind::Step(Shape::Parallelogram) => ("[/\"", "\"/]"),
            NodeKind::Step(Shape::Diamond) => ("{\"", "\"}"),
            NodeKind::Step(Shape::Note) => (">\"", "\"]"),
            NodeKind::Step(Shape::Hexagon) => ("{{\"", "\"}}"),
            NodeKind::Step(Shape::Subroutine) => ("[[\"", "\"]]"),
            NodeKind::Step(Shape::Ending) => ("([\"", "\"])"),
            NodeKind::End => ("((\"", "\"))"),
        };
        let _ = writeln!(out, "  {}{open}{label}{close}", node.id);
    }
    for link in &diagram.links {
        let (from, to) = (&diagram.nodes[link.from].id, &diagram.nodes[link.to].id);
        let _ = writeln!(out, "  {from} -->|\"{}\"| {to}", text(&link.label));
    }
    let mut classes: Vec<(&str, String, Vec<&str>)> = Vec::new();
    let mut add = |class: &'static str, style: String, id: &'a str| match classes.iter_mut().find(|c| c.0 == class) {
        Some(known) => known.2.push(id),
        None => classes.push((class, style, vec![id])),
    };
    for node in &diagram.nodes {
        let id = node.id.as_str();
        match (node.kind, node.severity) {
            (NodeKind::Step(Shape::Ending), severity) => {
                let (class, fill, stroke) = palette(severity);
                add(class, format!("fill:{fill},stroke:{stroke},color:#000000"), id);
            }
            (NodeKind::Missing, _) => add("missing", "fill:#ffffff,stroke:#b71c1c,stroke-dasharray:5 5".into(), id),
            (NodeKind::End, _) => add("finish", "fill:#eeeeee,stroke:#616161".into(), id),
            // Only an ending is coloured; the other shapes are not filled.
            (
                NodeKind::Step(
                    Shape::Box
                    | Shape::Parallelogram
                    | Shape::Diamond
                    | Shape::Note
                    | Shape::Hexagon
                    | Shape::Subroutine,
                ),
                _,
            ) => {}
        }
        if node.visited {
            add("visited", "stroke:#4a148c,stroke-width:4px".into(), id);
        }
    }
    // The path's border last, so that it wins over a conclusion's colour.
    classes.sort_by_key(|(class, _, _)| *class == "visited");
    for (class, style, ids) in &classes {
        let _ = writeln!(out, "  classDef {class} {style}");
        let _ = writeln!(out, "  class {} {class}", ids.join(","));
    }
    let taken: Vec<String> =
        diagram.links.iter().enumerate().filter(|(_, link)| link.taken).map(|(i, _)| i.to_string()).collect();
    if !taken.is_empty() {
        let _ = writeln!(out, "  linkStyle {} stroke:#4a148c,stroke-width:4px", taken.join(","));
    }
    let size = MermaidSize { chars: out.chars().count(), edges: diagram.links.len() };
    (out, size)
}

/// Text safe inside a quoted Mermaid label: the characters Mermaid or its
/// HTML labels would read as syntax become entity codes, line breaks
/// spaces, and other control characters and the marks that reorder text
/// visible escapes (`\u{202e}`), as every other output shows them.
fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in crate::printable::printable_line(&raw.replace(['\n', '\r', '\t'], " ")).chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_syntax_becomes_entity_codes() {
        assert_eq!(text("a \"b\" <c> | #d & `e`"), "a #quot;b#quot; #lt;c#gt; #124; #35;d #amp; #96;e#96;");
        assert_eq!(text("x\ny\u{7}\u{202e}"), "x y\\x07\\u{202e}", "line breaks as spaces, controls as escapes");
    }

    #[test]
    fn the_warning_comes_near_either_limit() {
        assert_eq!(MermaidSize { chars: 39_999, edges: 399 }.warning(), None);
        let near = MermaidSize { chars: 40_000, edges: 10 }.warning().expect("near the text limit");
        assert!(near.contains("may soon not") && near.contains("--format dot"), "{near}");
        let over = MermaidSize { chars: 100, edges: 501 }.warning().expect("over the edge limit");
        assert!(over.contains("will not"), "{over}");
    }
}
