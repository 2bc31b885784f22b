//! The triage tree as a graph: where each step can lead.
//!
//! Both `runbook check` (reachability, missing conclusions, names read
//! before they are set) and the interpreter read transitions through this
//! one module, so they cannot disagree on what a runbook means.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::{Runbook, Span, Spanned, Step, Target, can_produce, possible_keys, producible_keys};

/// Where one exit of a step leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// To the step with this index.
    Step(usize),
    /// To a step id that does not exist (reported by `check`).
    Unknown(String),
    /// Past the last step: the run ends without a conclusion.
    End,
}

/// One edge of the graph: one way a step can lead to another.
///
/// `runbook check` reads the edges, the interpreter takes them (through
/// [`Flow::route`]) and reports the one it took by [`Edge::id`]; `graph`,
/// `render` and the record draw [`Flow::possible_edges`], and `runbook
/// test` counts which of those were covered.
#[derive(Debug, Clone)]
pub struct Edge {
    /// Stable and unique within the runbook: the step id, then the YAML
    /// that routes there (a key holding `>`, `[`, `]` or a quote written
    /// as a JSON string: `q:on."x>next"`). `probe:on.fail`, `probe:on.fail[1]` (the second
    /// entry of a `when` chain), `ask:answer=yes` (a choice's `goto`),
    /// `probe:next`, `probe:next[0]`, `probe:fall-through` (the step
    /// below, or the end). What a `when` chain leaves unmatched continues
    /// the chain's id with `>` and the fallback: `probe:on.fail>next`,
    /// `probe:on.fail>fall-through`, `probe:next>fall-through`.
    pub id: String,
    /// Index of the step it leaves.
    pub from: usize,
    /// What takes it, for people: `fail`, `answer yes`, `fail when …`,
    /// `fail otherwise`, `pass / warn / error` (the keys `on:` leaves out),
    /// `other answers`, `then` (a step without keys). The one label the
    /// graph, the run's events and the record show.
    pub label: String,
    /// Where it leads.
    pub to: Destination,
    /// The YAML that declares it (the step id for a fall-through).
    pub span: Span,
    /// Which keys (outcome, answer, conclusion status) take it.
    pub trigger: Trigger,
    /// The `when` that must also hold: the condition of the chain entry
    /// the edge ends in.
    pub when: Option<Spanned<String>>,
    /// Which declaration sends the run to [`Edge::to`].
    pub kind: EdgeKind,
    /// Whether some run can take it: false when only keys the step never
    /// produces take it ([`crate::producible_keys`]: `warn` from a check
    /// without `warn` expectations). Such an edge still routes, so that a
    /// run never strands on a key the analysis ruled out, but it is not
    /// drawn, rendered or counted.
    pub possible: bool,
    /// Whether it takes what a `when` chain left unmatched (its label
    /// ends in `otherwise`): the view and the record say "no `when`
    /// matched" for it, not "not routed".
    pub fallback: bool,
}

/// Which keys take an edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// This key, routed by an `on:` entry or a choice's `goto`.
    Key(String),
    /// Any key that neither `on:` nor a choice routes, and steps without
    /// keys (`collect`, `instruct`).
    Unrouted,
}

/// Which declaration sends the run along an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// A choice's `goto`.
    Choice,
    /// An `on:` entry.
    On,
    /// `next:`.
    Next,
    /// Nothing: the run goes on with the step below (or ends after the
    /// last step).
    FallThrough,
}

/// The steps and their exits, indexed like `runbook.steps`.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Index of the first step, if the runbook has steps.
    pub start: Option<usize>,
    /// Exits of each step.
    pub edges: Vec<Vec<Edge>>,
    index: HashMap<String, usize>,
}

impl Flow {
    /// Builds the graph. Unknown ids become [`Destination::Unknown`] edges
    /// instead of errors, so the graph exists for any loaded runbook.
    pub fn new(runbook: &Runbook) -> Self {
        let steps = &runbook.steps.value;
        let mut index = HashMap::new();
        for (position, step) in steps.iter().enumerate() {
            index.entry(step.id.value.clone()).or_insert(position);
        }
        let resolve =
            |id: &str| index.get(id).map_or_else(|| Destination::Unknown(id.to_owned()), |&i| Destination::Step(i));
        let start = match &runbook.start {
            Some(id) => index.get(id.as_str()).copied().or((!steps.is_empty()).then_some(0)),
            None => (!steps.is_empty()).then_some(0),
        };
        let edges = steps
            .iter()
            .enumerate()
            .map(|(position, step)| {
                let fall_through =
                    if position + 1 < steps.len() { Destination::Step(position + 1) } else { Destination::End };
                Exits { from: position, step, resolve: &resolve, fall_through, producible: None }.edges()
            })
            .collect();
        Self { start, edges, index }
    }

    /// The edge `step` leaves by when it produced `key` (`None` for steps
    /// without keys): the first of its edges, in the order they are drawn,
    /// that `key` takes and whose `when` holds. `holds` evaluates a `when`
    /// against the run's facts. `None` when no edge takes the key (a
    /// `conclude` step, or a key the step's kind cannot produce).
    pub fn route<E>(
        &self,
        step: usize,
        key: Option<&str>,
        mut holds: impl FnMut(&Spanned<String>) -> Result<bool, E>,
    ) -> Result<Option<&Edge>, E> {
        let edges = self.edges.get(step).map_or(&[][..], Vec::as_slice);
        let routed = |key: &str| edges.iter().any(|edge| edge.trigger == Trigger::Key(key.to_owned()));
        for edge in edges {
            let taken = match (&edge.trigger, key) {
                (Trigger::Key(routed_key), Some(key)) => routed_key == key,
                (Trigger::Key(_), None) => false,
                (Trigger::Unrouted, Some(key)) => !routed(key),
                (Trigger::Unrouted, None) => true,
            };
            if taken && edge.when.as_ref().map_or(Ok(true), &mut holds)? {
                return Ok(Some(edge));
            }
        }
        Ok(None)
    }

    /// Every edge, step by step in file order.
    pub fn all_edges(&self) -> impl Iterator<Item = &Edge> {
        self.edges.iter().flatten()
    }

    /// The edges some run can take ([`Edge::possible`]), step by step in
    /// file order: what `graph`, `render` and the record draw and what
    /// `runbook test` counts.
    pub fn possible_edges(&self) -> impl Iterator<Item = &Edge> {
        self.all_edges().filter(|edge| edge.possible)
    }

    /// Rebuilds the exits of the step at `index` knowing that it produces
    /// only `producible` (a `call` step: the statuses its callee
    /// concludes, [`crate::call_keys`]): an edge only other keys take is
    /// impossible, neither drawn nor counted.
    pub fn narrow(&mut self, runbook: &Runbook, index: usize, producible: &[String]) {
        let steps = &runbook.steps.value;
        let Some(step) = steps.get(index) else { return };
        let resolve = |id: &str| {
            self.index.get(id).map_or_else(|| Destination::Unknown(id.to_owned()), |&i| Destination::Step(i))
        };
        let fall_through = if index + 1 < steps.len() { Destination::Step(index + 1) } else { Destination::End };
        let edges = Exits { from: index, step, resolve: &resolve, fall_through, producible: Some(producible) }.edges();
        self.edges[index] = edges;
    }

    /// Index of the step with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Steps reachable from the start by [`Flow::possible_edges`]: a step
    /// only an impossible edge leads to is unreachable.
    pub fn reachable(&self) -> Vec<bool> {
        self.reachable_avoiding(&[])
    }

    /// The dominator tree: which steps have run on every path of
    /// [`Flow::possible_edges`] from the start to a given step. Near-linear
    /// in the size of the graph, whatever its shape, so a runbook of 100,000
    /// steps costs milliseconds.
    pub(crate) fn dominators(&self) -> Dominators {
        Dominators::new(self)
    }

    /// Steps from which some path of [`Flow::possible_edges`] ends the run:
    /// reaches a `conclude` step or runs past the last step. The others can
    /// only loop.
    pub fn can_end(&self, runbook: &Runbook) -> Vec<bool> {
        let mut predecessors = vec![Vec::new(); self.edges.len()];
        for edge in self.possible_edges() {
            if let Destination::Step(to) = edge.to {
                predecessors[to].push(edge.from);
            }
        }
        let mut seen = vec![false; self.edges.len()];
        let ends = |(index, step): &(usize, &crate::Step)| {
            step.conclude.is_some()
                || self.edges[*index].iter().any(|edge| edge.possible && edge.to == Destination::End)
        };
        let mut stack: Vec<usize> = runbook.steps.iter().enumerate().filter(ends).map(|(i, _)| i).collect();
        while let Some(step) = stack.pop() {
            if std::mem::replace(&mut seen[step], true) {
                continue;
            }
            stack.extend(predecessors[step].iter().copied());
        }
        seen
    }

    /// Steps reachable from the start without passing through any of
    /// `blocked`: where a value set by those steps may still be unset.
    pub fn reachable_avoiding(&self, blocked: &[usize]) -> Vec<bool> {
        let mut seen = vec![false; self.edges.len()];
        for &step in blocked {
            if let Some(slot) = seen.get_mut(step) {
                *slot = true;
            }
        }
        let mut reached = vec![false; self.edges.len()];
        let mut stack: Vec<usize> = self.start.into_iter().collect();
        while let Some(step) = stack.pop() {
            reached[step] = true;
            if std::mem::replace(&mut seen[step], true) {
                continue;
            }
            for edge in self.edges[step].iter().filter(|edge| edge.possible) {
                if let Destination::Step(next) = edge.to {
                    stack.push(next);
                }
            }
        }
        reached
    }
}

/// The dominator tree of a [`Flow`] (Lengauer and Tarjan's algorithm with
/// path compression: near-linear, where the iterative Cooper–Harvey–Kennedy
/// algorithm walked the whole chain of dominators once per predecessor of
/// a join, quadratic for the `done` step every branch leads to), numbered
/// so that a dominance query is two comparisons.
#[derive(Debug, Clone)]
pub(crate) struct Dominators {
    enter: Vec<usize>,
    leave: Vec<usize>,
}

impl Dominators {
    fn new(flow: &Flow) -> Self {
        let count = flow.edges.len();
        let mut enter = vec![usize::MAX; count];
        let mut leave = vec![0; count];
        let Some(start) = flow.start else {
            return Self { enter, leave };
        };
        let tree = DepthFirst::new(flow, start);
        let idom = tree.immediate_dominators(flow);
        let mut children = vec![Vec::new(); count];
        for (number, &step) in tree.steps.iter().enumerate().skip(1) {
            children[tree.steps[idom[number]]].push(step);
        }
        let mut clock = 0;
        let mut stack = vec![(start, false)];
        while let Some((step, done)) = stack.pop() {
            if done {
                leave[step] = clock;
                continue;
            }
            enter[step] = clock;
            clock += 1;
            stack.push((step, true));
            stack.extend(children[step].iter().map(|&child| (child, false)));
        }
        Self { enter, leave }
    }

    /// Whether `step` is reachable from the start.
    pub(crate) fn is_reachable(&self, step: usize) -> bool {
        self.enter.get(step).is_some_and(|&enter| enter != usize::MAX)
    }

    /// Whether every path from the start to `step` passes through
    /// `earlier` (a step dominates itself).
    pub(crate) fn dominates(&self, earlier: usize, step: usize) -> bool {
        self.is_reachable(earlier)
            && self.is_reachable(step)
            && self.enter[earlier] <= self.enter[step]
            && self.leave[step] <= self.leave[earlier]
    }
}

/// No step: the root's parent, and a tree not yet linked.
const NONE: usize = usize::MAX;

/// A depth-first spanning tree of the steps reachable from the start by
/// [`Flow::possible_edges`], in preorder: step `steps[n]` is numbered `n`.
struct DepthFirst {
    /// The step of each number.
    steps: Vec<usize>,
    /// The number of each step, [`NONE`] when unreachable.
    number: Vec<usize>,
    /// The number of each numbered step's parent in the tree.
    parent: Vec<usize>,
}

impl DepthFirst {
    fn new(flow: &Flow, start: usize) -> Self {
        let mut tree = Self { steps: vec![start], number: vec![NONE; flow.edges.len()], parent: vec![NONE] };
        tree.number[start] = 0;
        let mut stack = vec![(start, 0)];
        while let Some((step, next_edge)) = stack.pop() {
            let unseen = flow.edges[step].iter().enumerate().skip(next_edge).find_map(|(index, edge)| match edge.to {
                Destination::Step(to) if edge.possible && tree.number[to] == NONE => Some((index, to)),
                _ => None,
            });
            if let Some((index, to)) = unseen {
                stack.push((step, index + 1));
                tree.number[to] = tree.steps.len();
                tree.parent.push(tree.number[step]);
                tree.steps.push(to);
                stack.push((to, 0));
            }
        }
        tree
    }

    /// The immediate dominator of each numbered step, by number (the
    /// root's is itself): semidominators computed in reverse preorder over
    /// a forest linked as it goes, then corrected in preorder.
    fn immediate_dominators(&self, flow: &Flow) -> Vec<usize> {
        let count = self.steps.len();
        let mut predecessors = vec![Vec::new(); count];
        for (from, &step) in self.steps.iter().enumerate() {
            for edge in flow.edges[step].iter().filter(|edge| edge.possible) {
                if let Destination::Step(to) = edge.to {
                    predecessors[self.number[to]].push(from);
                }
            }
        }
        let mut forest =
            Forest { ancestor: vec![NONE; count], label: (0..count).collect(), semi: (0..count).collect() };
        let mut bucket = vec![Vec::new(); count];
        let mut idom = vec![0; count];
        for step in (1..count).rev() {
            for &predecessor in &predecessors[step] {
                let lowest = forest.eval(predecessor);
                forest.semi[step] = forest.semi[step].min(forest.semi[lowest]);
            }
            bucket[forest.semi[step]].push(step);
            let parent = self.parent[step];
            forest.ancestor[step] = parent;
            for waiting in std::mem::take(&mut bucket[parent]) {
                let lowest = forest.eval(waiting);
                idom[waiting] = if forest.semi[lowest] < forest.semi[waiting] { lowest } else { parent };
            }
        }
        for step in 1..count {
            if idom[step] != forest.semi[step] {
                idom[step] = idom[idom[step]];
            }
        }
        idom
    }
}

/// The linked part of the spanning tree, by preorder number, with each
/// step's semidominator and the step of least semidominator on its
/// compressed path.
struct Forest {
    ancestor: Vec<usize>,
    label: Vec<usize>,
    semi: Vec<usize>,
}

impl Forest {
    /// The step of least semidominator on the path from `step` up to its
    /// tree's root (the root excluded), compressing that path.
    fn eval(&mut self, step: usize) -> usize {
        if self.ancestor[step] == NONE {
            return step;
        }
        let mut path = Vec::new();
        let mut top = step;
        while self.ancestor[self.ancestor[top]] != NONE {
            path.push(top);
            top = self.ancestor[top];
        }
        for &below in path.iter().rev() {
            let above = self.ancestor[below];
            if self.semi[self.label[above]] < self.semi[self.label[below]] {
                self.label[below] = self.label[above];
            }
            self.ancestor[below] = self.ancestor[above];
        }
        self.label[step]
    }
}

/// How a run reaches an edge: the id and label so far, the keys, and
/// whether the step can produce them.
#[derive(Clone)]
struct Route {
    id: String,
    label: String,
    trigger: Trigger,
    possible: bool,
    /// Whether it takes what a `when` chain left unmatched.
    fallback: bool,
}

/// The route of the keys that neither `on:` nor a choice routes (`id`
/// left empty), labelled with those the step can produce, or `then` when
/// it routes none (its one way on, whatever the key); `None` when every
/// key is routed. Keys the step never produces still route (an impossible
/// edge), so the run goes somewhere whatever happens.
fn unrouted(step: &Step, producible: Option<&[String]>, covered: &[&str]) -> Option<Route> {
    let then = Route {
        id: String::new(),
        label: "then".to_owned(),
        trigger: Trigger::Unrouted,
        possible: true,
        fallback: false,
    };
    let left = |keys: Vec<String>| -> Vec<String> {
        keys.into_iter().filter(|key| !covered.contains(&key.as_str())).collect()
    };
    let Some(by_kind) = possible_keys(step) else {
        return Some(if covered.is_empty() { then } else { Route { label: "other answers".to_owned(), ..then } });
    };
    if by_kind.is_empty() || covered.is_empty() {
        return Some(then);
    }
    let by_kind = left(by_kind);
    if by_kind.is_empty() {
        return None;
    }
    let producible = left(producible.map_or_else(|| producible_keys(step).unwrap_or_default(), <[String]>::to_vec));
    let possible = !producible.is_empty();
    let keys = if possible { producible } else { by_kind };
    let words: Vec<String> =
        keys.into_iter().map(|key| if step.ask.is_some() { format!("answer {key}") } else { key }).collect();
    Some(Route { label: words.join(" / "), possible, ..then })
}

/// Builds the edges of one step, in routing order: choices' `goto`s, each
/// `on:` entry (its `when` chain, then what the chain leaves to `next` and
/// the step below), then the keys `on:` leaves out.
struct Exits<'a, R> {
    from: usize,
    step: &'a Step,
    resolve: &'a R,
    fall_through: Destination,
    /// The keys the step can produce when more is known than the step
    /// itself says (a `call` step's callee); `None` for [`producible_keys`].
    producible: Option<&'a [String]>,
}

impl<R: Fn(&str) -> Destination> Exits<'_, R> {
    fn edges(&self) -> Vec<Edge> {
        let step = self.step;
        if step.conclude.is_some() {
            return Vec::new();
        }
        let id = &step.id.value;
        let mut edges = Vec::new();
        let mut covered: Vec<&str> = Vec::new();
        if let Some(ask) = &step.ask {
            for choice in &ask.choices {
                if let Some(goto) = &choice.goto {
                    covered.push(&choice.answer);
                    let answer = &choice.answer.value;
                    let route = Route {
                        id: format!("{id}:answer={}", id_key(answer)),
                        label: format!("answer {answer}"),
                        trigger: Trigger::Key(answer.clone()),
                        possible: self.can_produce(answer),
                        fallback: false,
                    };
                    edges.push(self.edge(&route, None, EdgeKind::Choice, (self.resolve)(&goto.value), goto.span));
                }
            }
        }
        if let Some(on) = &step.on {
            for (key, target) in &on.value {
                covered.push(key);
                let label = if step.ask.is_some() { format!("answer {}", key.value) } else { key.value.clone() };
                let route = Route {
                    id: format!("{id}:on.{}", id_key(&key.value)),
                    label,
                    trigger: Trigger::Key(key.value.clone()),
                    possible: self.can_produce(key),
                    fallback: false,
                };
                edges.extend(self.chain(&route, EdgeKind::On, target, &|otherwise| {
                    self.fallback(&Route { id: format!("{}>", route.id), ..otherwise })
                }));
            }
        }
        if let Some(route) = unrouted(step, self.producible, &covered) {
            edges.extend(self.fallback(&Route { id: format!("{id}:"), ..route }));
        }
        edges
    }

    /// Whether some run can produce `key` here ([`can_produce`], or the
    /// keys known from elsewhere).
    fn can_produce(&self, key: &str) -> bool {
        match self.producible {
            Some(keys) => {
                let by_kind = possible_keys(self.step).is_some_and(|all| all.iter().any(|k| k == key));
                !by_kind || keys.iter().any(|k| k == key)
            }
            None => can_produce(self.step, key),
        }
    }

    /// Where anything `on:` does not route goes: `next`, else the step
    /// below.
    fn fallback(&self, route: &Route) -> Vec<Edge> {
        let below = |route: &Route| {
            let id = format!("{}fall-through", route.id);
            let route = Route { id, ..route.clone() };
            vec![self.edge(&route, None, EdgeKind::FallThrough, self.fall_through.clone(), self.step.id.span)]
        };
        match &self.step.next {
            Some(next) => {
                let route = Route { id: format!("{}next", route.id), ..route.clone() };
                self.chain(&route, EdgeKind::Next, next, &|otherwise| {
                    below(&Route { id: format!("{}>", route.id), ..otherwise })
                })
            }
            None => below(route),
        }
    }

    /// The edges of one target: a step id, or a `when` chain whose last
    /// resort, when no entry lacks a `when`, is `otherwise` (given the
    /// route with its label ending in `otherwise`).
    fn chain(
        &self,
        route: &Route,
        kind: EdgeKind,
        target: &Spanned<Target>,
        otherwise: &dyn Fn(Route) -> Vec<Edge>,
    ) -> Vec<Edge> {
        match &target.value {
            Target::Goto(to) => vec![self.edge(route, None, kind, (self.resolve)(to.as_str()), target.span)],
            Target::Branches(branches) => {
                let mut edges = Vec::new();
                for (position, branch) in branches.iter().enumerate() {
                    let id = format!("{}[{position}]", route.id);
                    let to = (self.resolve)(&branch.goto.value);
                    if let Some(when) = &branch.when {
                        let label = format!("{} when {}", route.label, when.value);
                        let entry = Route { id, label, ..route.clone() };
                        edges.push(self.edge(&entry, Some(when.clone()), kind, to, branch.goto.span));
                    } else {
                        // After a `when`, the entry without one is the chain's
                        // fallback: labelled so, a 503 is not read as taking
                        // both `fail when status >= 500` and plain `fail`.
                        let label =
                            if position == 0 { route.label.clone() } else { format!("{} otherwise", route.label) };
                        let entry = Route { id, label, ..route.clone() };
                        edges.push(self.edge(&entry, None, kind, to, branch.goto.span));
                        return edges;
                    }
                }
                edges.extend(otherwise(Route {
                    label: format!("{} otherwise", route.label),
                    fallback: true,
                    ..route.clone()
                }));
                edges
            }
        }
    }

    fn edge(&self, route: &Route, when: Option<Spanned<String>>, kind: EdgeKind, to: Destination, span: Span) -> Edge {
        Edge {
            id: route.id.clone(),
            from: self.from,
            label: route.label.clone(),
            to,
            span,
            trigger: route.trigger.clone(),
            when,
            kind,
            possible: route.possible,
            fallback: route.fallback,
        }
    }
}

/// A key (an `on:` key, an answer) as it is written into an edge's id:
/// as is, unless it holds what the id's own syntax uses after it (`>`,
/// `[`, `]`) or a quote, when it is a JSON string: `q:on."x>next"` cannot be
/// taken for the fallback of `q:on.x`.
fn id_key(key: &str) -> Cow<'_, str> {
    if key.is_empty() || key.contains(['>', '[', ']', '"', '\\']) {
        Cow::Owned(serde_json::Value::from(key).to_string())
    } else {
        Cow::Borrowed(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(yaml: &str) -> (Runbook, Flow) {
        let checked = crate::check_bytes("flow.yaml", yaml.as_bytes());
        let runbook = checked.runbook.expect("loads");
        let flow = Flow::new(&runbook);
        (runbook, flow)
    }

    const ROUTED: &str = r#"
id: routed
title: Every way out of a step
steps:
  - id: probe
    check: { cmd: { argv: ["true"] }, expect: [{ exit_code: 0 }] }
    on:
      fail:
        - { when: "result.exit_code == 2", goto: two }
        - { when: "result.exit_code == 3", goto: three }
      error:
        - { when: "inputs.deep", goto: two }
        - { goto: done }
    next:
      - { when: "inputs.deep", goto: deep }
  - id: deep
    ask: { question: Go on?, type: confirm }
    on: { "yes": done }
  - id: two
    conclude: { status: diagnosed }
  - id: three
    conclude: { status: diagnosed }
  - id: done
    conclude: { status: resolved }
"#;

    #[test]
    fn edge_ids_stay_unique_when_a_key_looks_like_the_id_syntax() {
        let (_, flow) = flow(
            r#"
id: keys
title: Keys written like the ids' own syntax
steps:
  - id: q
    ask: { question: Which?, type: text }
    on:
      x:
        - { when: "steps.q.answer == 'x'", goto: b }
      "x>next": c
      "x[0]": c
    next: b
  - id: b
    conclude: { status: resolved }
  - id: c
    conclude: { status: diagnosed }
"#,
        );
        let ids: Vec<&str> = flow.all_edges().map(|edge| edge.id.as_str()).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        assert!(ids.contains(&"q:on.x>next"), "{ids:?}");
        assert!(ids.contains(&r#"q:on."x>next""#), "{ids:?}");
        assert!(ids.contains(&r#"q:on."x[0]""#), "{ids:?}");
    }

    #[test]
    fn every_edge_has_an_id_naming_the_yaml_that_routes_it() {
        let (runbook, flow) = flow(ROUTED);
        let edges: Vec<(&str, &str, EdgeKind, Option<&str>)> = flow
            .all_edges()
            .map(|edge| {
                let to = match &edge.to {
                    Destination::Step(index) => Some(runbook.steps[*index].id.as_str()),
                    Destination::Unknown(id) => Some(id.as_str()),
                    Destination::End => None,
                };
                (edge.id.as_str(), edge.label.as_str(), edge.kind, to)
            })
            .collect();
        assert_eq!(
            edges,
            [
                ("probe:on.fail[0]", "fail when result.exit_code == 2", EdgeKind::On, Some("two")),
                ("probe:on.fail[1]", "fail when result.exit_code == 3", EdgeKind::On, Some("three")),
                ("probe:on.fail>next[0]", "fail otherwise when inputs.deep", EdgeKind::Next, Some("deep")),
                ("probe:on.fail>next>fall-through", "fail otherwise otherwise", EdgeKind::FallThrough, Some("deep")),
                ("probe:on.error[0]", "error when inputs.deep", EdgeKind::On, Some("two")),
                ("probe:on.error[1]", "error otherwise", EdgeKind::On, Some("done")),
                ("probe:next[0]", "pass when inputs.deep", EdgeKind::Next, Some("deep")),
                ("probe:next>fall-through", "pass otherwise", EdgeKind::FallThrough, Some("deep")),
                ("deep:on.yes", "answer yes", EdgeKind::On, Some("done")),
                ("deep:fall-through", "answer no", EdgeKind::FallThrough, Some("two")),
            ]
        );
    }

    fn possible(yaml: &str) -> Vec<(String, String)> {
        let (_, flow) = flow(yaml);
        flow.possible_edges().map(|edge| (edge.id.clone(), edge.label.clone())).collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(id, label)| ((*id).to_owned(), (*label).to_owned())).collect()
    }

    #[test]
    fn only_keys_a_step_can_produce_make_possible_edges() {
        // No `severity: warn` expectation: `warn` is routed, yet never taken.
        let http = "id: t\ntitle: T\nsteps:\n  - id: web\n    check:\n      http: { url: http://127.0.0.1:1/ }\n      \
                    expect: [{ status: 200 }]\n    on: { pass: ok, warn: ok, fail: bad }\n  - id: ok\n    \
                    conclude: { status: resolved }\n  - id: bad\n    conclude: { status: diagnosed }\n";
        assert_eq!(
            possible(http),
            pairs(&[("web:on.pass", "pass"), ("web:on.fail", "fail"), ("web:fall-through", "error")])
        );
        // A TCP probe without expectations cannot fail; one that reads
        // `connected` cannot err.
        let tcp = |expect: &str| {
            format!(
                "id: t\ntitle: T\nsteps:\n  - id: port\n    check: {{ tcp: {{ host: 127.0.0.1, port: 1 }}{expect} }}\n    \
                 on: {{ pass: ok, fail: down, error: down }}\n  - id: ok\n    conclude: {{ status: resolved }}\n  \
                 - id: down\n    conclude: {{ status: diagnosed }}\n"
            )
        };
        assert_eq!(possible(&tcp("")), pairs(&[("port:on.pass", "pass"), ("port:on.error", "error")]));
        assert_eq!(
            possible(&tcp(", expect: [{ connected: true }]")),
            pairs(&[("port:on.pass", "pass"), ("port:on.fail", "fail")])
        );
        // Every edge still routes: a key the analysis ruled out never
        // strands a run.
        let (_, flow) = flow(&tcp(""));
        let fail = flow.route(0, Some("fail"), |_| Ok::<_, ()>(true)).unwrap().map(|edge| edge.possible);
        assert_eq!(fail, Some(false));
        // Nothing routed: one way on, whatever the outcome.
        let action = "id: t\ntitle: T\nsteps:\n  - id: act\n    action: { cmd: { argv: [\"true\"] } }\n    \
                      next: ok\n  - id: ok\n    conclude: { status: resolved }\n";
        assert_eq!(possible(action), pairs(&[("act:next", "then")]));
    }

    #[test]
    fn routing_takes_the_first_edge_whose_key_and_when_hold() {
        let (_, flow) = flow(ROUTED);
        let route = |key: Option<&str>, true_whens: &[&str]| {
            let holds = |when: &Spanned<String>| Ok::<_, ()>(true_whens.contains(&when.as_str()));
            flow.route(0, key, holds).unwrap().map(|edge| edge.id.clone())
        };
        assert_eq!(route(Some("fail"), &["result.exit_code == 3"]).as_deref(), Some("probe:on.fail[1]"));
        assert_eq!(route(Some("fail"), &["inputs.deep"]).as_deref(), Some("probe:on.fail>next[0]"));
        assert_eq!(route(Some("fail"), &[]).as_deref(), Some("probe:on.fail>next>fall-through"));
        assert_eq!(route(Some("error"), &["inputs.deep"]).as_deref(), Some("probe:on.error[0]"));
        assert_eq!(route(Some("error"), &[]).as_deref(), Some("probe:on.error[1]"));
        assert_eq!(route(Some("pass"), &["inputs.deep"]).as_deref(), Some("probe:next[0]"));
        assert_eq!(route(Some("warn"), &[]).as_deref(), Some("probe:next>fall-through"));
        assert_eq!(route(Some("skipped"), &[]).as_deref(), Some("probe:next>fall-through"));
        let deep = flow.position("deep").unwrap();
        let answer = |key| flow.route(deep, Some(key), |_| Ok::<_, ()>(true)).unwrap().map(|edge| edge.id.as_str());
        assert_eq!(answer("yes"), Some("deep:on.yes"));
        assert_eq!(answer("no"), Some("deep:fall-through"));
        let done = flow.position("done").unwrap();
        assert!(flow.route(done, None, |_| Ok::<_, ()>(true)).unwrap().is_none());
    }

    #[test]
    fn edge_ids_are_unique_in_every_shipped_runbook() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut checked = 0;
        for folder in ["examples", "runbooks"] {
            for entry in std::fs::read_dir(root.join(folder)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|ext| ext != "yaml") || path.to_string_lossy().ends_with(".test.yaml") {
                    continue;
                }
                let (_, flow) = flow(&std::fs::read_to_string(&path).unwrap());
                let mut ids: Vec<&str> = flow.all_edges().map(|edge| edge.id.as_str()).collect();
                let count = ids.len();
                ids.sort_unstable();
                ids.dedup();
                assert_eq!(ids.len(), count, "{}", path.display());
                checked += 1;
            }
        }
        assert!(checked >= 20, "{checked} runbooks");
    }

    /// Whether the dominator tree says what its definition says: `earlier`
    /// dominates `step` when no path from the start reaches `step` without
    /// passing `earlier`.
    fn assert_dominators_match_walks(yaml: &str) {
        let (_, flow) = flow(yaml);
        let dominators = flow.dominators();
        let reachable = flow.reachable();
        let count = flow.edges.len();
        for earlier in 0..count {
            let avoiding = flow.reachable_avoiding(&[earlier]);
            for step in 0..count {
                let expected = reachable[earlier] && reachable[step] && (earlier == step || !avoiding[step]);
                assert_eq!(dominators.dominates(earlier, step), expected, "s{earlier} over s{step} in\n{yaml}");
            }
            assert_eq!(dominators.is_reachable(earlier), reachable[earlier], "s{earlier} in\n{yaml}");
        }
    }

    #[test]
    fn dominators_match_the_walks_on_random_graphs() {
        use std::fmt::Write as _;
        let mut seed: u64 = 11;
        let mut next = |bound: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % bound
        };
        for _ in 0..150 {
            let count = 2 + next(30);
            let mut yaml = format!("id: g\ntitle: G\nstart: s{}\nsteps:\n", next(count));
            for i in 0..count {
                let _ = writeln!(yaml, "  - id: s{i}");
                match next(6) {
                    0 => yaml.push_str("    conclude: { status: resolved }\n"),
                    1 => yaml.push_str("    collect: { cmd: { argv: [\"true\"] } }\n"),
                    _ => {
                        let (pass, fail, error) = (next(count), next(count), next(count));
                        yaml.push_str("    check: { cmd: { argv: [\"true\"] }, expect: [{ exit_code: 0 }] }\n");
                        let _ = writeln!(yaml, "    on: {{ pass: s{pass}, fail: s{fail}, error: s{error} }}");
                    }
                }
            }
            assert_dominators_match_walks(&yaml);
        }
    }

    /// The shape that made the iterative algorithm quadratic: a chain of
    /// steps whose every branch also joins one last step.
    #[test]
    fn dominators_of_a_long_chain_joining_one_step_match_the_walks() {
        use std::fmt::Write as _;
        let mut yaml = String::from("id: g\ntitle: G\nsteps:\n");
        for i in 0..300 {
            let _ = writeln!(
                yaml,
                "  - id: s{i}\n    check: {{ cmd: {{ argv: [\"true\"] }}, expect: [{{ exit_code: 0 }}] }}\n    \
                 on: {{ fail: done }}"
            );
        }
        yaml.push_str("  - id: done\n    conclude: { status: resolved }\n");
        assert_dominators_match_walks(&yaml);
    }
}
