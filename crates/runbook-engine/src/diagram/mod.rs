//! The triage tree as a picture, for `runbook graph`, `runbook render`
//! and `record.md`: steps shaped by kind, conclusions coloured by
//! severity, edges labelled by what takes them, the path a run took
//! highlighted. Drawn from the run's [`Graph`] (which [`graph`] builds from
//! the model's [`Flow`], the graph `check` and the interpreter read, and
//! which a record keeps), then written as Mermaid or Graphviz DOT.

mod dot;
mod mermaid;

use std::collections::{HashMap, HashSet};

use runbook_model::{Destination, Flow, Runbook, Severity, Shape, StepKind};

pub use dot::dot;
pub use mermaid::{MermaidSize, mermaid};

use crate::event::{Graph, GraphConclusion, GraphEdge, GraphNode};
use crate::record::Record;

/// The graph of `runbook`'s steps and the transitions some run can take
/// ([`Flow::possible_edges`]), as a run records it.
pub fn graph(runbook: &Runbook, flow: &Flow) -> Graph {
    let steps = &runbook.steps.value;
    let name = |to: &Destination| match to {
        Destination::Step(index) => Some(steps[*index].id.value.clone()),
        Destination::Unknown(id) => Some(id.clone()),
        Destination::End => None,
    };
    // The step a run starts at comes first, so that a renderer draws it on
    // top even when `start:` names a step below the first.
    let start = flow.start.unwrap_or(0);
    let order =
        std::iter::once(start).chain((0..steps.len()).filter(|index| *index != start)).filter(|i| *i < steps.len());
    let reachable = flow.reachable();
    Graph {
        nodes: order
            .map(|index| (&steps[index], !reachable[index]))
            .map(|(step, unreachable)| GraphNode {
                id: step.id.value.clone(),
                kind: step.kind(),
                title: step.title.as_ref().map(|title| title.value.clone()),
                question: step.ask.as_ref().map(|ask| ask.value.question.value.clone()),
                conclusion: step.conclude.as_ref().map(|conclude| GraphConclusion {
                    status: conclude.value.status.value,
                    severity: conclude.value.severity.as_ref().map(|severity| severity.value),
                }),
                unreachable,
            })
            .collect(),
        edges: flow
            .possible_edges()
            .map(|edge| GraphEdge {
                id: edge.id.clone(),
                kind: edge.kind,
                from: steps[edge.from].id.value.clone(),
                to: name(&edge.to),
                label: edge.label.clone(),
                fallback: edge.fallback,
            })
            .collect(),
    }
}

/// Nodes and links, ready to be written in either language.
#[derive(Debug, Clone, Default)]
pub struct Diagram {
    /// Every step some run can reach, in file order (the start first), then
    /// the end and unknown-step nodes that some edge leads to (never one
    /// that nothing reaches).
    pub nodes: Vec<Node>,
    /// One link per pair of nodes: exits of a step that lead to the same
    /// place share it, their labels joined.
    pub links: Vec<Link>,
    /// The ids of the steps no run can reach (`runbook check` says why,
    /// RB204), in file order: left out of the picture, which shows what a
    /// run can do; `graph` and `render` say so beside it ([`Self::left_out`]).
    pub unreachable: Vec<String>,
}

/// A node of the diagram.
#[derive(Debug, Clone)]
pub struct Node {
    /// Stable id in the output: `s_` and the step id with `-` as `_`, so
    /// styles and links written against it survive edits elsewhere.
    pub id: String,
    /// The first line of the label: the step id, or `end`.
    pub name: String,
    /// Further lines: the title, a conclusion's status and severity.
    pub details: Vec<String>,
    /// What it stands for, which gives its shape.
    pub kind: NodeKind,
    /// A conclusion's severity.
    pub severity: Option<Severity>,
    /// Whether the recorded run went through it.
    pub visited: bool,
}

/// What a node stands for; each is drawn in its own shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A step, drawn in its kind's shape (a box for one with no kind,
    /// which `runbook check` refuses).
    Step(Shape),
    /// Past the last step: the run ends without a conclusion.
    End,
    /// A step id that does not exist (`runbook check` reports it).
    Missing,
}

/// An edge of the diagram.
#[derive(Debug, Clone)]
pub struct Link {
    /// Index of the node it leaves.
    pub from: usize,
    /// Index of the node it enters.
    pub to: usize,
    /// What takes it: `pass`, `answer yes`, `fail when …`, joined by ` / `.
    pub label: String,
    /// The ids of the flow's edges it draws ([`runbook_model::Edge::id`]).
    pub edges: Vec<String>,
    /// Whether the recorded run took it.
    pub taken: bool,
}

/// The steps a recorded run visited and the edges it took.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Step ids visited.
    pub visited: Vec<String>,
    /// Ids of the edges taken ([`runbook_model::Edge::id`]).
    pub edges: Vec<String>,
}

impl Trace {
    /// The path `record`'s run took.
    pub fn of(record: &Record) -> Self {
        let edges = record.steps.iter().filter_map(|step| Some(step.next.as_ref()?.edge.clone())).collect();
        Self { visited: record.path.clone(), edges }
    }
}

/// Longest title shown in a node before it is cut with `…`.
const TITLE_CHARS: usize = 60;
/// Longest question shown in a diamond.
const QUESTION_CHARS: usize = 40;
/// Longest edge label before it is cut with `…`.
const LABEL_CHARS: usize = 80;

impl Diagram {
    /// The diagram of `graph`, highlighting `trace` when given.
    pub fn new(graph: &Graph, trace: Option<&Trace>) -> Self {
        let mut diagram = Self::default();
        let mut used_ids = HashSet::new();
        // Sets, built once: a search of the path per node made the record
        // of 10,000 steps cost twice per step what 1,000 cost.
        let visited: HashSet<&str> = trace.map(|t| t.visited.iter().map(String::as_str).collect()).unwrap_or_default();
        let mut index_of: HashMap<&str, usize> = HashMap::with_capacity(graph.nodes.len());
        for step in &graph.nodes {
            if step.unreachable {
                diagram.unreachable.push(step.id.clone());
                continue;
            }
            let index = diagram.nodes.len();
            index_of.entry(step.id.as_str()).or_insert(index);
            // A question without a title is best named by what it asks,
            // cut shorter: a diamond grows with its text in both directions.
            let title = match (&step.title, &step.question) {
                (Some(title), _) => Some(cut(title, TITLE_CHARS)),
                (None, Some(question)) => Some(cut(question, QUESTION_CHARS)),
                (None, None) => None,
            };
            let mut details: Vec<String> = title.into_iter().collect();
            if let Some(conclusion) = &step.conclusion {
                let severity = conclusion.severity.map(|s| format!(", {}", s.name())).unwrap_or_default();
                details.push(format!("{}{severity}", conclusion.status.name()));
            }
            diagram.nodes.push(Node {
                id: unique_id(&format!("s_{}", sanitize(&step.id)), &mut used_ids),
                name: step.id.clone(),
                details,
                kind: NodeKind::Step(step.kind.map_or(Shape::Box, StepKind::shape)),
                severity: step.conclusion.as_ref().and_then(|c| c.severity),
                visited: visited.contains(step.id.as_str()),
            });
        }
        // The end (`None`) and unknown ids get a node when an edge leads there.
        let mut extra: Vec<(Option<&str>, usize)> = Vec::new();
        let mut links: Vec<((usize, usize), Vec<&GraphEdge>)> = Vec::new();
        let mut link_of: HashMap<(usize, usize), usize> = HashMap::new();
        for edge in &graph.edges {
            let Some(&from) = index_of.get(edge.from.as_str()) else { continue };
            let to = match edge.to.as_deref() {
                Some(id) if index_of.contains_key(id) => index_of[id],
                other => {
                    if let Some((_, index)) = extra.iter().find(|(known, _)| *known == other) {
                        *index
                    } else {
                        let index = diagram.nodes.len();
                        diagram.nodes.push(extra_node(other, &mut used_ids));
                        extra.push((other, index));
                        index
                    }
                }
            };
            let index = *link_of.entry((from, to)).or_insert_with(|| {
                links.push(((from, to), Vec::new()));
                links.len() - 1
            });
            links[index].1.push(edge);
        }
        diagram.links = links
            .into_iter()
            .map(|((from, to), edges)| {
                let labels: Vec<String> = edges.iter().map(|edge| numbered(edge, &graph.edges)).collect();
                let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
                let ids = edges.iter().map(|edge| edge.id.clone()).collect();
                Link { from, to, label: cut(&joined(&labels), LABEL_CHARS), edges: ids, taken: false }
            })
            .collect();
        if let Some(trace) = trace {
            diagram.mark_taken(trace);
        }
        diagram
    }

    /// The steps left out, in words: ``steps `a`, `b`, which no run can
    /// reach``; `None` when every step is drawn.
    pub fn left_out(&self) -> Option<String> {
        let (first, rest) = self.unreachable.split_first()?;
        let ids = rest.iter().fold(format!("`{first}`"), |ids, id| format!("{ids}, `{id}`"));
        let steps = if rest.is_empty() { "step" } else { "steps" };
        Some(format!("{steps} {ids}, which no run can reach"))
    }

    fn mark_taken(&mut self, trace: &Trace) {
        let taken: HashSet<&str> = trace.edges.iter().map(String::as_str).collect();
        for link in &mut self.links {
            link.taken = link.edges.iter().any(|id| taken.contains(id.as_str()));
            if link.taken && self.nodes[link.to].kind == NodeKind::End {
                self.nodes[link.to].visited = true;
            }
        }
    }
}

/// The end node (`None`), or a node for an id no step has.
fn extra_node(destination: Option<&str>, used_ids: &mut HashSet<String>) -> Node {
    let (id, name, kind, details) = match destination {
        Some(name) => {
            (format!("missing_{}", sanitize(name)), name.to_owned(), NodeKind::Missing, vec!["no such step".to_owned()])
        }
        None => ("run_end".to_owned(), "end".to_owned(), NodeKind::End, Vec::new()),
    };
    Node { id: unique_id(&id, used_ids), name, details, kind, severity: None, visited: false }
}

/// `edge`'s label, numbered by its place in its `when` chain when a chain
/// of its step tests more than one `when` (`pass 1. when x`, `pass 2.
/// when y`, then `pass otherwise`): the first that holds is taken, so the
/// order is meaning, which a picture's layout does not keep.
fn numbered(edge: &GraphEdge, edges: &[GraphEdge]) -> String {
    let entry = |edge: &GraphEdge| -> Option<(String, usize)> {
        edge.label.contains(" when ").then_some(())?;
        let (chain, position) = edge.id.strip_suffix(']')?.rsplit_once('[')?;
        Some((chain.to_owned(), position.parse().ok()?))
    };
    let (Some((_, position)), Some((key, condition))) = (entry(edge), edge.label.split_once(" when ")) else {
        return edge.label.clone();
    };
    let mut tests: HashMap<String, usize> = HashMap::new();
    for (chain, _) in edges.iter().filter(|other| other.from == edge.from).filter_map(entry) {
        *tests.entry(chain).or_default() += 1;
    }
    if tests.values().all(|&count| count < 2) {
        return edge.label.clone();
    }
    format!("{key} {}. when {condition}", position + 1)
}

/// The labels of exits that share a link, joined with ` / `; keys under
/// the same condition are written once, in parentheses: `(pass / warn)
/// when x`, which `pass / warn when x` (pass, or warn when x) is not.
fn joined(labels: &[&str]) -> String {
    let mut groups: Vec<(Option<String>, Vec<&str>)> = Vec::new();
    for label in labels {
        // A numbered test (`pass 1. when x`) is grouped under its number
        // and condition: `(pass / warn) 1. when x`.
        let (key, condition) = match label.split_once(" when ") {
            Some((key, condition)) => match key.rsplit_once(' ').filter(|(_, number)| is_number(number)) {
                Some((key, number)) => (key, Some(format!("{number} when {condition}"))),
                None => (key, Some(format!("when {condition}"))),
            },
            None => (*label, None),
        };
        match groups.iter_mut().find(|(known, _)| *known == condition) {
            Some((_, keys)) => keys.push(key),
            None => groups.push((condition, vec![key])),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(condition, keys)| match condition {
            Some(condition) if keys.len() > 1 => format!("({}) {condition}", keys.join(" / ")),
            Some(condition) => format!("{} {condition}", keys.join(" / ")),
            None => keys.join(" / "),
        })
        .collect();
    parts.join(" / ")
}

/// The class name, fill and border colour of a conclusion of this
/// severity, the same in both languages.
fn palette(severity: Option<Severity>) -> (&'static str, &'static str, &'static str) {
    match severity {
        Some(Severity::Critical) => ("critical", "#ffcdd2", "#b71c1c"),
        Some(Severity::High) => ("high", "#ffe0b2", "#e65100"),
        Some(Severity::Medium) => ("medium", "#fff9c4", "#f9a825"),
        Some(Severity::Low) => ("low", "#dcedc8", "#558b2f"),
        Some(Severity::Info) => ("info", "#bbdefb", "#1565c0"),
        None => ("conclusion", "#eeeeee", "#616161"),
    }
}

/// Letters and digits kept, anything else `_`: valid in both languages.
fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// Whether `word` is a chain position as [`numbered`] writes it: `1.`.
fn is_number(word: &str) -> bool {
    word.strip_suffix('.').is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `id`, or `id_2`, `id_3`… when two names sanitize alike (`a-b`, `a_b`).
fn unique_id(id: &str, used: &mut HashSet<String>) -> String {
    let mut candidate = id.to_owned();
    let mut suffix = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{id}_{suffix}");
        suffix += 1;
    }
    candidate
}

/// `text` on one line, at most `max` characters, cut after a whole word
/// (mid-word only when that word is longer than half of `max`).
fn cut(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut kept: String = line.chars().take(max - 1).collect();
    let whole_words = kept.rfind(' ').filter(|&space| space >= kept.len() / 2);
    if let Some(space) = whole_words.filter(|_| !line[kept.len()..].starts_with(' ')) {
        kept.truncate(space);
    }
    // `read.…` would read as two stops.
    kept.truncate(kept.trim_end_matches(['.', ',', ';', ':', ' ']).len());
    kept.push('…');
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagram(yaml: &str, trace: Option<&Trace>) -> Diagram {
        let source = runbook_model::Source::new("test.yaml", yaml);
        let runbook = runbook_model::load(&source).expect("loads");
        Diagram::new(&graph(&runbook, &Flow::new(&runbook)), trace)
    }

    const BRANCHES: &str = "
id: t
title: T
steps:
  - id: probe-it
    title: A   very
      long title that goes on and on and on and on and on and on and on and on
    check:
      http: { url: http://127.0.0.1:1/ }
      expect: [{ status: 200 }, { duration: { lt: 1s }, severity: warn }]
    on: { pass: ok, warn: ok, fail: nowhere, error: ask_it }
  - id: aside
    title: Nothing leads here
    next: ok
    instruct: { text: x }
  - id: ok
    conclude: { status: resolved, severity: info }
  - id: ask_it
    ask: { question: Q, type: confirm }
";

    /// The steps left out of the picture are those the model's flow cannot
    /// reach (`Flow::reachable`, which `runbook test`'s coverage reads too),
    /// marked in the graph the run records, which the picture follows
    /// (code review M4).
    #[test]
    fn the_steps_left_out_are_those_the_flow_cannot_reach() {
        let source = runbook_model::Source::new("test.yaml", BRANCHES);
        let runbook = runbook_model::load(&source).expect("loads");
        let flow = Flow::new(&runbook);
        let mut graph = graph(&runbook, &flow);
        let reachable = flow.reachable();
        for node in &graph.nodes {
            let index = flow.position(&node.id).expect("a step");
            assert_eq!(node.unreachable, !reachable[index], "{}", node.id);
        }
        assert_eq!(Diagram::new(&graph, None).unreachable, ["aside"]);
        // The picture follows the marks, not its own search of the edges.
        graph.nodes.iter_mut().filter(|node| node.id == "aside").for_each(|node| node.unreachable = false);
        let diagram = Diagram::new(&graph, None);
        assert!(diagram.unreachable.is_empty() && diagram.nodes.iter().any(|node| node.name == "aside"));
    }

    #[test]
    fn exits_to_one_place_share_a_link_and_unknown_ids_get_one_node() {
        let diagram = diagram(BRANCHES, None);
        let names: Vec<&str> = diagram.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["probe-it", "ok", "ask_it", "nowhere", "end"]);
        let ids: Vec<&str> = diagram.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["s_probe_it", "s_ok", "s_ask_it", "missing_nowhere", "run_end"]);
        let links: Vec<(usize, usize, &str)> = diagram.links.iter().map(|l| (l.from, l.to, l.label.as_str())).collect();
        assert_eq!(links, [(0, 1, "pass / warn"), (0, 3, "fail"), (0, 2, "error"), (2, 4, "then")]);
        // A step nothing leads to is no node: it is named apart.
        assert_eq!(diagram.unreachable, ["aside"]);
        assert_eq!(diagram.left_out().as_deref(), Some("step `aside`, which no run can reach"));
        assert_eq!(diagram.nodes[1].severity, Some(Severity::Info));
        assert_eq!(diagram.nodes[1].details, ["resolved, info"]);
        assert_eq!(diagram.nodes[0].details[0], "A very long title that goes on and on and on and on and on…");
        assert_eq!(diagram.nodes[3].kind, NodeKind::Missing);
    }

    #[test]
    fn no_end_node_when_every_path_concludes() {
        let diagram = diagram(
            "id: t\ntitle: T\nsteps:\n  - id: a\n    next: b\n    instruct: { text: x }\n  - id: b\n    conclude: { status: resolved }\n",
            None,
        );
        assert!(diagram.nodes.iter().all(|n| n.kind != NodeKind::End), "{diagram:?}");
        assert_eq!(diagram.links.len(), 1);
    }

    #[test]
    fn a_trace_marks_the_nodes_and_links_it_went_through() {
        let trace = Trace {
            visited: vec!["probe-it".into(), "ok".into(), "ask_it".into()],
            edges: vec!["probe-it:on.pass".into(), "ask_it:fall-through".into()],
        };
        let diagram = diagram(BRANCHES, Some(&trace));
        let visited: Vec<&str> = diagram.nodes.iter().filter(|n| n.visited).map(|n| n.name.as_str()).collect();
        assert_eq!(visited, ["probe-it", "ok", "ask_it", "end"]);
        let taken: Vec<usize> = diagram.links.iter().enumerate().filter(|(_, l)| l.taken).map(|(i, _)| i).collect();
        assert_eq!(taken, [0, 3]);
    }

    #[test]
    fn long_text_is_cut_after_a_whole_word() {
        assert_eq!(cut("The service answers 5xx. What do its logs say?", 40), "The service answers 5xx. What do its…");
        assert_eq!(cut("a b", 40), "a b");
        assert_eq!(cut("abcdef ghij", 10), "abcdef…");
        assert_eq!(cut("abcdefghijkl", 10), "abcdefghi…");
        // The cut falls between two words: the first is kept whole.
        assert_eq!(cut("abcdefghi jkl", 10), "abcdefghi…");
        assert_eq!(cut("It could not be read. Look again", 24), "It could not be read…", "no stop before the ellipsis");
    }

    #[test]
    fn keys_under_one_condition_share_it() {
        let labels = ["pass when x", "warn when x", "fail", "error", "answer a when y"];
        assert_eq!(joined(&labels), "(pass / warn) when x / fail / error / answer a when y");
        // Two routings that differ read differently.
        assert_eq!(joined(&["answer yes when x", "answer no when x"]), "(answer yes / answer no) when x");
        assert_eq!(joined(&["answer yes", "answer no when x"]), "answer yes / answer no when x");
        assert_eq!(
            joined(&["fail 1. when x", "error 1. when x", "error 2. when y"]),
            "(fail / error) 1. when x / error 2. when y"
        );
        assert_eq!(joined(&["answer 2. when x"]), "answer 2. when x");
    }

    /// review-12-user7 L2: a `when` chain's order is its meaning; the
    /// picture numbers its tests, whatever the layout puts first.
    #[test]
    fn a_when_chain_with_several_tests_is_numbered_in_its_order() {
        let yaml = "id: t\ntitle: T\nsteps:\n  - id: usage\n    check: { cmd: { sh: 'true' }, expect: [ { exit_code: 0 } ] }\n    \
                    on:\n      pass:\n        - { when: vars.pct is not defined, goto: unknown }\n        \
                    - { when: vars.pct >= 90, goto: cleanup }\n        - { goto: enospc }\n      \
                    fail: [ { when: 'true', goto: unknown }, { goto: enospc } ]\n      error: unknown\n  \
                    - { id: unknown, conclude: { status: inconclusive } }\n  - { id: cleanup, conclude: { status: resolved } }\n  \
                    - { id: enospc, conclude: { status: diagnosed } }\n";
        let labels: Vec<String> = diagram(yaml, None).links.iter().map(|l| l.label.clone()).collect();
        assert_eq!(
            labels,
            [
                "pass 1. when vars.pct is not defined / fail 1. when true / error",
                "pass 2. when vars.pct >= 90",
                "pass otherwise / fail otherwise"
            ]
        );
    }

    #[test]
    fn ids_that_sanitize_alike_stay_distinct() {
        let mut used = std::collections::HashSet::new();
        assert_eq!(unique_id("s_a_b", &mut used), "s_a_b");
        assert_eq!(unique_id("s_a_b", &mut used), "s_a_b_2");
        assert_eq!(unique_id("s_a_b", &mut used), "s_a_b_3");
    }
}
