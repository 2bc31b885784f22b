//! The diagram as Graphviz DOT: no size limit, and `dot -Tsvg` turns it
//! into a picture.

use std::fmt::Write as _;

use runbook_model::Shape;

use super::{Diagram, NodeKind, palette};

/// The DOT text of `diagram`.
pub fn dot(diagram: &Diagram) -> String {
    let mut out = String::from(
        "digraph runbook {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=11, shape=box];\n  edge \
         [fontname=\"Helvetica\", fontsize=9];\n",
    );
    for node in &diagram.nodes {
        let mut label = text(&node.name);
        for detail in &node.details {
            let _ = write!(label, "\\n{}", text(detail));
        }
        let mut attributes = vec![format!("id=\"{}\"", node.id), format!("label=\"{label}\"")];
        let filled = node.kind == NodeKind::Step(Shape::Ending);
        let shape = match node.kind {
            NodeKind::Step(Shape::Box) => None,
            NodeKind::Step(Shape::Parallelogram) => Some("shape=parallelogram"),
            NodeKind::Step(Shape::Diamond) => Some("shape=diamond"),
            NodeKind::Step(Shape::Note) => Some("shape=note"),
            NodeKind::Step(Shape::Hexagon) => Some("shape=hexagon"),
            NodeKind::Step(Shape::Subroutine) => Some("peripheries=2"),
            NodeKind::Step(Shape::Ending) => Some("style=\"rounded,filled\""),
            NodeKind::End => Some("shape=circle, style=filled, fillcolor=\"#eeeeee\""),
            NodeKind::Missing => Some("style=dashed, color=\"#b71c1c\""),
        };
        attributes.extend(shape.map(str::to_owned));
        if filled {
            let (_, fill, stroke) = palette(node.severity);
            attributes.push(format!("fillcolor=\"{fill}\", color=\"{stroke}\""));
        }
        if node.visited {
            attributes.push("penwidth=4, color=\"#4a148c\"".to_owned());
        }
        let _ = writeln!(out, "  {} [{}];", node.id, attributes.join(", "));
    }
    for link in &diagram.links {
        let (from, to) = (&diagram.nodes[link.from].id, &diagram.nodes[link.to].id);
        let taken = if link.taken { ", penwidth=3, color=\"#4a148c\"" } else { "" };
        let _ = writeln!(out, "  {from} -> {to} [id=\"{from}__{to}\", label=\"{}\"{taken}];", text(&link.label));
    }
    out.push_str("}\n");
    out
}

/// Text safe inside a quoted DOT string (`&` too, which Graphviz reads as
/// the start of an entity): line breaks as spaces, other
/// control characters and the marks that reorder text as visible escapes
/// (`\u{202e}`), as every other output shows them.
fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in crate::printable::printable_line(&raw.replace(['\n', '\r', '\t'], " ")).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // Graphviz reads `&amp;`, `&lt;` in a label as entities.
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(text(r#"a "b" \n"#), r#"a \"b\" \\n"#);
        assert_eq!(text("x\ny\u{202e}"), "x y\\\\u{202e}", "a mark that reorders text as its escape");
        assert_eq!(text("R&D &amp;"), "R&amp;D &amp;amp;", "shown as written, not read as entities");
    }
}
