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
        let mut seen = vec![false; self.edges.len()];
        let mut stack: Vec<usize> = self.start.into_iter().collect();
        while let Some(step) = stack.pop() {
            if std::mem::replace(&mut seen[step], true) {
                continue;
            }
            for edge in &self.edges[step] {
                if let Destination::Step(next) = edge.to {
                    stack.push(next);
                }
            }
        }
        seen
    }

    /// For each step, the steps that have run on every path from the start
    /// to it (itself included): its dominators. Unreachable steps get an
    /// empty set.
    pub fn dominators(&self) -> Vec<Vec<bool>> {
        let count = self.edges.len();
        let Some(start) = self.start else {
            return vec![vec![false; count]; count];
        };
        let mut predecessors = vec![Vec::new(); count];
        for (from, edges) in self.edges.iter().enumerate() {
            for edge in edges {
                if let Destination::Step(to) = edge.to {
                    predecessors[to].push(from);
                }
            }
        }
        let reachable = self.reachable();
        let mut dominators: Vec<Vec<bool>> = (0..count)
            .map(|step| {
                if step == start || !reachable[step] {
                    (0..count).map(|other| other == step && reachable[step]).collect()
                } else {
                    reachable.clone()
                }
            })
            .collect();
        let mut changed = true;
        while changed {
            changed = false;
            for step in (0..count).filter(|&step| step != start && reachable[step]) {
                let mut next: Vec<bool> = reachable.clone();
                for &predecessor in predecessors[step].iter().filter(|&&p| reachable[p]) {
                    for (bit, &dominates) in next.iter_mut().zip(&dominators[predecessor]) {
                        *bit &= dominates;
                    }
                }
                next[step] = true;
                if next != dominators[step] {
                    dominators[step] = next;
                    changed = true;
                }
            }
        }
        dominators
    }
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
    if let Some(next) = &step.next {
        return vec![Edge { label: "next".into(), to: resolve(next), span: next.span }];
    }
    let mut edges = Vec::new();
    let mut covered: Vec<&str> = Vec::new();
    if let Some(ask) = &step.ask {
        for choice in &ask.choices {
            if let Some(goto) = &choice.goto {
                covered.push(&choice.answer);
                edges.push(Edge {
                    label: format!("answer {}", choice.answer.value),
                    to: resolve(goto),
                    span: goto.span,
                });
            }
        }
    }
    if let Some(on) = &step.on {
        for (key, target) in &on.value {
            covered.push(key);
            match &target.value {
                Target::Goto(id) => edges.push(Edge { label: key.value.clone(), to: resolve(id), span: target.span }),
                Target::Branches(branches) => {
                    let mut has_default = false;
                    for branch in branches {
                        let label = if let Some(when) = &branch.when {
                            format!("{} when {}", key.value, when.value)
                        } else {
                            has_default = true;
                            key.value.clone()
                        };
                        edges.push(Edge { label, to: resolve(&branch.goto), span: branch.goto.span });
                        if has_default {
                            break;
                        }
                    }
                    if !has_default {
                        edges.push(Edge {
                            label: format!("{} otherwise", key.value),
                            to: fall_through.clone(),
                            span: target.span,
                        });
                    }
                }
            }
        }
    }
    let rest: Vec<String> = match possible_keys(step) {
        Some(keys) if keys.is_empty() => vec!["then".to_owned()],
        Some(keys) => keys.into_iter().filter(|key| !covered.contains(&key.as_str())).collect(),
        None if covered.is_empty() => vec!["then".to_owned()],
        None => vec!["other answers".to_owned()],
    };
    if !rest.is_empty() {
        edges.push(Edge { label: rest.join(" / "), to: fall_through.clone(), span: step.id.span });
    }
    edges
}
