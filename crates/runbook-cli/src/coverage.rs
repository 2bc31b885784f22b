//! Branch coverage of runbook tests: which edges of each runbook's flow
//! graph some case took, reported for people, as JSON, or as LCOV.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use runbook_engine::scenario::Trace;
use runbook_model::StepPath;
use runbook_model::{Destination, Plan};
use serde::Serialize;

/// Coverage of every runbook seen: tested, called by a tested one, or found
/// without a test file.
#[derive(Default)]
pub(crate) struct Coverage {
    files: IndexMap<PathBuf, FileCoverage>,
}

/// One runbook's edges and steps, with how often each was taken.
pub(crate) struct FileCoverage {
    /// The path as shown.
    shown: String,
    standing: Standing,
    edges: Vec<EdgeCoverage>,
    /// Step id, its line, and how often it ran.
    steps: Vec<(String, usize, u32)>,
}

/// Why a runbook is in the report, which decides what an empty edge list
/// counts as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Tested, or called by a tested runbook: no edges is fully covered.
    Tested,
    /// Found without a test file: 0 %, whatever its edges.
    Untested,
    /// Does not load or has errors: 0 %, no edges known.
    Broken,
}

struct EdgeCoverage {
    id: String,
    from: String,
    label: String,
    to: Option<String>,
    line: usize,
    column: usize,
    taken: u32,
}

/// The key of a runbook file: its canonical path, so that a runbook reached
/// by two spellings counts once.
fn key(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}

impl Coverage {
    /// Adds a runbook with none of its edges taken yet (once per file).
    pub(crate) fn add(&mut self, path: &Path, plan: &Plan) {
        self.add_as(path, plan, Standing::Tested);
    }

    /// Adds a runbook found without a test file: 0 % covered, even with no
    /// edges, so `--min-coverage` sees it.
    pub(crate) fn add_untested(&mut self, path: &Path, plan: &Plan) {
        self.add_as(path, plan, Standing::Untested);
    }

    /// Adds a runbook that does not load or has errors: 0 % covered, so a
    /// broken runbook never passes `--min-coverage`.
    pub(crate) fn add_broken(&mut self, path: &Path) {
        self.files.entry(key(path)).or_insert_with(|| FileCoverage {
            shown: crate::runbook_files::shown(path),
            standing: Standing::Broken,
            edges: Vec::new(),
            steps: Vec::new(),
        });
    }

    fn add_as(&mut self, path: &Path, plan: &Plan, standing: Standing) {
        let key = key(path);
        if self.files.contains_key(&key) {
            return;
        }
        let (source, runbook, flow) = (&plan.source, &plan.runbook, &plan.flow);
        let steps = &runbook.steps.value;
        // An edge from a step no run reaches can never be taken: it is not
        // drawn either.
        let reachable = flow.reachable();
        let edges = flow
            .possible_edges()
            .filter(|edge| reachable[edge.from])
            .map(|edge| {
                let (line, column) = source.line_col(edge.span.start);
                EdgeCoverage {
                    id: edge.id.clone(),
                    from: steps[edge.from].id.value.clone(),
                    label: edge.label.clone(),
                    to: match &edge.to {
                        Destination::Step(index) => Some(steps[*index].id.value.clone()),
                        Destination::Unknown(id) => Some(id.clone()),
                        Destination::End => None,
                    },
                    line,
                    column,
                    taken: 0,
                }
            })
            .collect();
        let steps =
            steps.iter().map(|step| (step.id.value.clone(), source.line_col(step.id.span.start).0, 0)).collect();
        self.files.insert(key, FileCoverage { shown: crate::runbook_files::shown(path), standing, edges, steps });
    }

    /// Counts what one case's run of `plan` (loaded from `path`) took. Edges
    /// and steps inside a `call` are counted for the called runbook, which
    /// is added when first seen, as planned with `plan`: the text the case
    /// ran, never the file read again.
    pub(crate) fn record(&mut self, path: &Path, plan: &Plan, trace: &Trace) {
        let home = key(path);
        let callees = runbook_engine::interpret::called_files(plan, path);
        let mut file_of = |prefixed: &str| -> Option<(PathBuf, String)> {
            let Some((prefix, local)) = StepPath::new(prefixed).caller_and_id() else {
                return Some((home.clone(), prefixed.to_owned()));
            };
            let called = key(Path::new(trace.called.get(prefix)?));
            let (file, planned) = callees.iter().find(|(file, _)| key(file) == called)?;
            self.add(file, &planned.plan);
            Some((called, local.to_owned()))
        };
        let mut edges: Vec<(PathBuf, String)> = Vec::new();
        for id in &trace.edges {
            edges.extend(file_of(id));
        }
        let mut steps: Vec<(PathBuf, String)> = Vec::new();
        for step in &trace.path {
            steps.extend(file_of(step));
        }
        for (file, id) in edges {
            if let Some(edge) = self.files.get_mut(&file).and_then(|f| f.edges.iter_mut().find(|e| e.id == id)) {
                edge.taken += 1;
            }
        }
        for (file, id) in steps {
            if let Some(step) = self.files.get_mut(&file).and_then(|f| f.steps.iter_mut().find(|s| s.0 == id)) {
                step.2 += 1;
            }
        }
    }

    /// Runbooks below `min` percent, with their percentage.
    pub(crate) fn below(&self, min: f64) -> Vec<(&str, f64)> {
        self.files.values().map(|file| (file.shown.as_str(), file.percent())).filter(|(_, pct)| *pct < min).collect()
    }

    /// The report for people: per runbook covered/total, then each edge not
    /// taken at its `file:line:col`.
    pub(crate) fn human(&self) -> String {
        let mut out = String::new();
        for file in self.files.values() {
            if file.standing == Standing::Broken {
                let _ = writeln!(out, "coverage: {} has errors (0%)", file.shown);
                continue;
            }
            let _ = writeln!(
                out,
                "coverage: {} {}/{} edges ({})",
                file.shown,
                file.covered(),
                file.edges.len(),
                percent_text(file.percent())
            );
            for edge in file.edges.iter().filter(|edge| edge.taken == 0) {
                let _ = writeln!(
                    out,
                    "  not covered: {}:{}:{} {} -[{}]-> {}",
                    file.shown,
                    edge.line,
                    edge.column,
                    edge.from,
                    edge.label,
                    edge.to.as_deref().unwrap_or("(end)")
                );
            }
        }
        out
    }

    /// The `--coverage-format json` document.
    pub(crate) fn json(&self) -> String {
        let files = self
            .files
            .values()
            .map(|file| JsonFile {
                path: &file.shown,
                has_errors: file.standing == Standing::Broken,
                covered: file.covered(),
                total: file.edges.len(),
                percent: one_decimal_down(file.percent()),
                not_covered: file.edges.iter().filter(|e| e.taken == 0).map(JsonEdge::from).collect(),
                covered_edges: file.edges.iter().filter(|e| e.taken > 0).map(JsonEdge::from).collect(),
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&JsonReport { version: 1, files }).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The `--coverage-format lcov` tracefile: a `BRDA` record per edge at
    /// its line, a `DA` record per step at its id's line.
    pub(crate) fn lcov(&self) -> String {
        let mut out = String::new();
        for file in self.files.values() {
            let _ = writeln!(out, "TN:runbook\nSF:{}", file.shown);
            let mut branch_numbers: HashMap<usize, usize> = HashMap::new();
            for edge in &file.edges {
                let number = branch_numbers.entry(edge.line).or_default();
                let _ = writeln!(out, "BRDA:{},0,{},{}", edge.line, number, edge.taken);
                *number += 1;
            }
            let _ = writeln!(out, "BRF:{}\nBRH:{}", file.edges.len(), file.covered());
            for (_, line, visits) in &file.steps {
                let _ = writeln!(out, "DA:{line},{visits}");
            }
            let hit = file.steps.iter().filter(|(_, _, visits)| *visits > 0).count();
            let _ = writeln!(out, "LF:{}\nLH:{hit}\nend_of_record", file.steps.len());
        }
        out
    }
}

impl FileCoverage {
    fn covered(&self) -> usize {
        self.edges.iter().filter(|edge| edge.taken > 0).count()
    }

    /// Covered edges in percent; a tested runbook without edges is fully
    /// covered, an untested or broken one not at all.
    fn percent(&self) -> f64 {
        if self.standing != Standing::Tested && self.covered() == 0 {
            return 0.0;
        }
        if self.edges.is_empty() {
            return 100.0;
        }
        #[allow(clippy::cast_precision_loss)] // runbooks have far fewer than 2^52 edges
        let ratio = self.covered() as f64 / self.edges.len() as f64;
        ratio * 100.0
    }
}

/// `87.5%`, `100%`.
///
/// Rounded down (the JSON report too), so that a coverage below a `--min-coverage` of 100 never
/// reads `100%` (99.95 reads `99.9%`).
pub(crate) fn percent_text(percent: f64) -> String {
    let rounded = one_decimal_down(percent);
    if rounded.fract() == 0.0 { format!("{rounded:.0}%") } else { format!("{rounded:.1}%") }
}

/// `percent` rounded down to one decimal, in the human report and the JSON
/// alike.
fn one_decimal_down(percent: f64) -> f64 {
    (percent * 10.0).floor() / 10.0
}

/// The JSON coverage report. Stable: fields are only ever added.
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    /// Only written (`true`) for a runbook that does not load or has errors.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    has_errors: bool,
    covered: usize,
    total: usize,
    percent: f64,
    not_covered: Vec<JsonEdge<'a>>,
    covered_edges: Vec<JsonEdge<'a>>,
}

#[derive(Serialize)]
struct JsonEdge<'a> {
    id: &'a str,
    from: &'a str,
    label: &'a str,
    to: Option<&'a str>,
    line: usize,
    column: usize,
    taken: u32,
}

impl<'a> From<&'a EdgeCoverage> for JsonEdge<'a> {
    fn from(edge: &'a EdgeCoverage) -> Self {
        Self {
            id: &edge.id,
            from: &edge.from,
            label: &edge.label,
            to: edge.to.as_deref(),
            line: edge.line,
            column: edge.column,
            taken: edge.taken,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percent_text;

    #[test]
    fn percentages_round_down_to_one_decimal() {
        assert_eq!(percent_text(100.0), "100%");
        assert_eq!(percent_text(99.95), "99.9%");
        assert_eq!(percent_text(87.5), "87.5%");
        assert_eq!(percent_text(100.0 / 9.0), "11.1%");
        assert_eq!(percent_text(0.0), "0%");
    }
}
