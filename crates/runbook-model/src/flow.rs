//! The triage tree as a graph: where each step can lead.
//!
//! Both `runbook check` (reachability, missing conclusions, names read
//! before they are set) and the interpreter read transitions through this
//! one module, so they cannot disagree on what a runbook means.

use std::collections::HashMap;

use crate::{ConclusionStatus, Outcome, Runbook, Span, Step, StepKind, Target};

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

/// One edge of the graph.
#[derive(Debug, Clone)]
pub struct Edge {
    /// What takes it: `next`, `pass`, `fail when …`, `answer yes`, `then`.
    pub label: String,
    /// Where it leads.
    pub to: Destination,
    /// The YAML that declares it (the step id for a fall-through).
    pub span: Span,
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
                exits(step, &resolve, &fall_through)
            })
            .collect();
        Self { start, edges, index }
    }

    /// Index of the step with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Steps reachable from the start.
    pub fn reachable(&self) -> Vec<bool> {
        self.reachable_avoiding(&[])
    }

    /// The dominator tree: which steps have run on every path from the
    /// start to a given step. Linear in the size of the graph, so a hostile
    /// runbook of 100,000 steps costs milliseconds, not gigabytes.
    pub fn dominators(&self) -> Dominators {
        Dominators::new(self)
    }

    /// Steps from which some path ends the run: reaches a `conclude` step
    /// or runs past the last step. The others can only loop.
    pub fn can_end(&self, runbook: &Runbook) -> Vec<bool> {
        let mut predecessors = vec![Vec::new(); self.edges.len()];
        for (from, edges) in self.edges.iter().enumerate() {
            for edge in edges {
                if let Destination::Step(to) = edge.to {
                    predecessors[to].push(from);
                }
            }
        }
        let mut seen = vec![false; self.edges.len()];
        let ends = |(index, step): &(usize, &crate::Step)| {
            step.conclude.is_some() || self.edges[*index].iter().any(|edge| edge.to == Destination::End)
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
            for edge in &self.edges[step] {
                if let Destination::Step(next) = edge.to {
                    stack.push(next);
                }
            }
        }
        reached
    }
}

/// The dominator tree of a [`Flow`] (Cooper, Harvey and Kennedy's
/// algorithm), numbered so that a dominance query is two comparisons.
#[derive(Debug, Clone)]
pub struct Dominators {
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
        let order = reverse_postorder(flow, start);
        let mut rank = vec![usize::MAX; count];
        for (position, &step) in order.iter().enumerate() {
            rank[step] = position;
        }
        let mut predecessors = vec![Vec::new(); count];
        for &from in &order {
            for edge in &flow.edges[from] {
                if let Destination::Step(to) = edge.to {
                    predecessors[to].push(from);
                }
            }
        }
        let mut idom = vec![usize::MAX; count];
        idom[start] = start;
        let mut changed = true;
        while changed {
            changed = false;
            for &step in order.iter().skip(1) {
                let mut candidate = usize::MAX;
                for &predecessor in &predecessors[step] {
                    if idom[predecessor] == usize::MAX {
                        continue;
                    }
                    candidate = if candidate == usize::MAX {
                        predecessor
                    } else {
                        intersect(&idom, &rank, predecessor, candidate)
                    };
                }
                if candidate != usize::MAX && idom[step] != candidate {
                    idom[step] = candidate;
                    changed = true;
                }
            }
        }
        let mut children = vec![Vec::new(); count];
        for &step in order.iter().skip(1) {
            if idom[step] != usize::MAX {
                children[idom[step]].push(step);
            }
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
    pub fn is_reachable(&self, step: usize) -> bool {
        self.enter.get(step).is_some_and(|&enter| enter != usize::MAX)
    }

    /// Whether every path from the start to `step` passes through
    /// `earlier` (a step dominates itself).
    pub fn dominates(&self, earlier: usize, step: usize) -> bool {
        self.is_reachable(earlier)
            && self.is_reachable(step)
            && self.enter[earlier] <= self.enter[step]
            && self.leave[step] <= self.leave[earlier]
    }
}

fn reverse_postorder(flow: &Flow, start: usize) -> Vec<usize> {
    let mut visited = vec![false; flow.edges.len()];
    let mut postorder = Vec::new();
    let mut stack = vec![(start, 0)];
    visited[start] = true;
    while let Some((step, next_edge)) = stack.pop() {
        let successor = flow.edges[step].iter().skip(next_edge).position(|edge| match edge.to {
            Destination::Step(to) => !visited[to],
            _ => false,
        });
        match successor {
            Some(offset) => {
                let index = next_edge + offset;
                stack.push((step, index + 1));
                if let Destination::Step(to) = flow.edges[step][index].to {
                    visited[to] = true;
                    stack.push((to, 0));
                }
            }
            None => postorder.push(step),
        }
    }
    postorder.reverse();
    postorder
}

fn intersect(idom: &[usize], rank: &[usize], mut a: usize, mut b: usize) -> usize {
    while a != b {
        while rank[a] > rank[b] {
            a = idom[a];
        }
        while rank[b] > rank[a] {
            b = idom[b];
        }
    }
    a
}

/// The outcome keys a step of this kind can produce for `on:`, or `None`
/// when any key may occur (answers of free-text questions).
pub fn possible_keys(step: &Step) -> Option<Vec<String>> {
    let outcomes = |list: &[Outcome]| Some(list.iter().map(|o| o.name().to_owned()).collect());
    match step.kind()? {
        StepKind::Check => outcomes(&[Outcome::Pass, Outcome::Warn, Outcome::Fail, Outcome::Error]),
        StepKind::Action => outcomes(&Outcome::ALL),
        StepKind::Ask => step
            .ask
            .as_ref()
            .and_then(|ask| ask.closed_answers())
            .map(|answers| answers.into_iter().map(str::to_owned).collect()),
        StepKind::Call => Some(
            ConclusionStatus::ALL.iter().map(|status| status.name().to_owned()).chain(["error".to_owned()]).collect(),
        ),
        StepKind::Collect | StepKind::Instruct | StepKind::Conclude => Some(Vec::new()),
    }
}

fn exits(step: &Step, resolve: &impl Fn(&str) -> Destination, fall_through: &Destination) -> Vec<Edge> {
    if step.conclude.is_some() {
        return Vec::new();
    }
    // Where anything `on:` does not route goes: `next`, else the step below.
    let fallback = |label: &str| -> Vec<Edge> {
        match &step.next {
            Some(next) => chain(label, next, resolve, &|label, span| vec![edge(label, fall_through.clone(), span)]),
            None => vec![edge(label.to_owned(), fall_through.clone(), step.id.span)],
        }
    };
    let mut edges = Vec::new();
    let mut covered: Vec<&str> = Vec::new();
    if let Some(ask) = &step.ask {
        for choice in &ask.choices {
            if let Some(goto) = &choice.goto {
                covered.push(&choice.answer);
                edges.push(edge(format!("answer {}", choice.answer.value), resolve(goto), goto.span));
            }
        }
    }
    if let Some(on) = &step.on {
        for (key, target) in &on.value {
            covered.push(key);
            edges.extend(chain(key, target, resolve, &|label, _| fallback(&label)));
        }
    }
    let rest: Vec<String> = match possible_keys(step) {
        Some(keys) if keys.is_empty() => vec!["then".to_owned()],
        Some(keys) => keys.into_iter().filter(|key| !covered.contains(&key.as_str())).collect(),
        None if covered.is_empty() => vec!["then".to_owned()],
        None => vec!["other answers".to_owned()],
    };
    if !rest.is_empty() {
        edges.extend(fallback(&rest.join(" / ")));
    }
    edges
}

fn edge(label: String, to: Destination, span: Span) -> Edge {
    Edge { label, to, span }
}

/// The edges of one target: a step id, or a `when` chain whose last
/// resort, when no entry has no `when`, is `otherwise`.
fn chain(
    label: &str,
    target: &crate::Spanned<Target>,
    resolve: &impl Fn(&str) -> Destination,
    otherwise: &dyn Fn(String, Span) -> Vec<Edge>,
) -> Vec<Edge> {
    match &target.value {
        Target::Goto(id) => vec![edge(label.to_owned(), resolve(id), target.span)],
        Target::Branches(branches) => {
            let mut edges = Vec::new();
            for branch in branches {
                if let Some(when) = &branch.when {
                    edges.push(edge(format!("{label} when {}", when.value), resolve(&branch.goto), branch.goto.span));
                } else {
                    edges.push(edge(label.to_owned(), resolve(&branch.goto), branch.goto.span));
                    return edges;
                }
            }
            edges.extend(otherwise(format!("{label} otherwise"), target.span));
            edges
        }
    }
}
