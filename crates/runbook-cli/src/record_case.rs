//! Incidents become tests: a record's journal turned into a test case
//! (inputs, each probe's observations, the answers, and the path and
//! conclusion as expectations), written as YAML text to append to the
//! runbook's test file.

use std::fmt::Write as _;

use indexmap::IndexMap;
use runbook_engine::event::{ActionDecision, ConclusionView, Event, Part, RunInfo, RunStatus};
use runbook_engine::interpret::Mode;
use runbook_engine::probe::{ErrorKind, Observation};
use runbook_engine::record::Entry;
use runbook_model::StepPath;
use serde_json::{Map, Value as Json};

/// A case rebuilt from a journal.
pub(crate) struct RecordedCase {
    /// The runbook file the run ran.
    pub runbook: String,
    /// The case's name.
    pub name: String,
    /// The case as YAML, one list item indented by `indent` spaces.
    yaml: Vec<String>,
}

impl RecordedCase {
    /// Renames the case `NAME-2`, `NAME-3`, … when `taken` holds its name,
    /// so that adding the same record twice, or two records of the same
    /// second, keeps the test file valid.
    pub(crate) fn rename_apart(&mut self, taken: &[&str]) {
        let base = self.name.clone();
        let mut number = 1;
        while taken.contains(&self.name.as_str()) {
            number += 1;
            self.name = format!("{base}-{number}");
        }
        if let Some(first) = self.yaml.first_mut() {
            *first = format!("name: {}", Json::from(self.name.as_str()));
        }
    }

    /// The case as a YAML list item whose `-` is indented by `indent`.
    pub(crate) fn yaml(&self, indent: usize) -> String {
        let pad = " ".repeat(indent);
        let mut out = String::new();
        for (index, line) in self.yaml.iter().enumerate() {
            let lead = if index == 0 { "- " } else { "  " };
            let _ = writeln!(out, "{pad}{lead}{line}");
        }
        out
    }
}

/// One probe of a step: its name in a group and its `foreach` item key.
type Unit = (Option<String>, Option<String>);

/// Folds the journal's entries into a case; `Err` says why it cannot.
pub(crate) fn case_from_journal(entries: &[Entry], record: &str) -> Result<RecordedCase, String> {
    let started: &RunInfo = entries
        .iter()
        .find_map(|entry| match &entry.event {
            Event::RunStarted(info) => Some(info),
            _ => None,
        })
        .ok_or("the journal has no `run_started` entry")?;
    if started.mode == Mode::DryRun {
        return Err("it is a dry run: its outcomes were assumed, nothing was observed; record a live or read-only run"
            .to_owned());
    }
    let runbook = started.path.clone();
    let name = format!("incident {}", started.id);
    let mut observations: IndexMap<String, IndexMap<Unit, Vec<Json>>> = IndexMap::new();
    let mut answers: Map<String, Json> = Map::new();
    let mut path = Vec::new();
    let mut actions = Vec::new();
    let mut concluded: Option<(String, &ConclusionView)> = None;
    let mut status = None;
    // A step the run stopped at starts again on resume with the same visit
    // number: one visit, one entry of the path.
    let mut visits = std::collections::HashSet::new();
    for entry in entries {
        match &entry.event {
            Event::StepStarted { step, visit, .. } if visits.insert((step.as_str(), *visit)) => {
                path.push(Json::from(step.as_str()));
            }
            Event::Probe { step, part, .. } => {
                let unit = (part.name.clone(), part.item.as_ref().and_then(item_key));
                let mocked = mock(part)?;
                observations.entry(step.clone()).or_default().entry(unit).or_default().push(mocked);
            }
            Event::Answered { step, answer, .. } => {
                answers.insert(step.clone(), answer.clone());
            }
            Event::Instructed { step, ticked, unticked, notes, .. }
                if !notes.is_empty() || !ticked.is_empty() || !unticked.is_empty() =>
            {
                let mut answer: Map<String, Json> = notes.clone().into_iter().collect();
                // The ticks, by item text; a branch may read them.
                if !ticked.is_empty() || !unticked.is_empty() {
                    let ticks = if ticked.is_empty() { Json::from("none") } else { Json::from(ticked.clone()) };
                    answer.insert("checklist".to_owned(), ticks);
                }
                answers.insert(step.clone(), Json::Object(answer));
            }
            Event::ActionDecided { step, decision, .. } => match decision {
                ActionDecision::Run => {
                    answers.insert(step.clone(), Json::from("yes"));
                    actions.push(Json::from(step.as_str()));
                }
                ActionDecision::Declined => {
                    answers.insert(step.clone(), Json::from("no"));
                }
                ActionDecision::NotInThisMode => {}
            },
            // A called runbook's conclusion (`call/inner`) is not this one's.
            Event::Concluded { step, conclusion } if StepPath::new(step).is_top_level() => {
                concluded = Some((step.clone(), conclusion));
            }
            Event::RunFinished { status: finished, .. } => status = Some(*finished),
            _ => {}
        }
    }
    let status = match (&concluded, status) {
        (Some((_, conclusion)), _) => Json::from(conclusion.status.name()),
        (None, Some(status @ (RunStatus::Ended | RunStatus::Failed | RunStatus::TimedOut))) => {
            Json::from(status.name())
        }
        (None, other) => {
            return Err(format!(
                "the run did not end ({}): a case needs a run that concluded, ended, failed or timed out",
                other.map_or("no `run_finished` entry", RunStatus::name)
            ));
        }
    };
    let mut yaml = vec![format!("name: {}", Json::from(name.as_str()))];
    yaml.push(format!(
        "description: {}",
        Json::from(format!(
            "From the incident record {record} (started {} by {} on {}).",
            started.started_at, started.operator, started.host
        ))
    ));
    let inputs: Map<String, Json> = started
        .inputs
        .iter()
        .filter(|(_, value)| !value.as_str().is_some_and(|v| v.starts_with("[redacted:")) && !value.is_null())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    if !inputs.is_empty() {
        yaml.push(format!("inputs: {}", Json::Object(inputs)));
    }
    if !observations.is_empty() {
        yaml.push("observations:".to_owned());
        for (step, units) in &observations {
            yaml.push(format!("  {}: {}", Json::from(step.as_str()), step_mock(units)));
        }
    }
    if !answers.is_empty() {
        yaml.push(format!("answers: {}", Json::Object(answers)));
    }
    yaml.push("expect:".to_owned());
    yaml.push(format!("  path: {}", Json::Array(path)));
    if let Some((step, conclusion)) = &concluded {
        yaml.push(format!("  conclusion: {}", Json::from(step.as_str())));
        if let Some(severity) = conclusion.severity {
            yaml.push(format!("  severity: {}", Json::from(severity.name())));
        }
    }
    yaml.push(format!("  status: {status}"));
    yaml.push(format!("  actions: {}", Json::Array(actions)));
    Ok(RecordedCase { runbook, name, yaml })
}

/// How a `foreach` item is named in a test file: strings as written, other
/// values as JSON.
fn item_key(item: &Json) -> Option<String> {
    match item {
        Json::Null => None,
        Json::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// A step's observations: one, a list per run, or by probe name or item.
fn step_mock(units: &IndexMap<Unit, Vec<Json>>) -> Json {
    let runs = |list: &Vec<Json>| match list.as_slice() {
        [one] => one.clone(),
        many if many.iter().all(|m| *m == many[0]) => many[0].clone(),
        many => Json::Array(many.to_vec()),
    };
    if let [((None, None), list)] = units.iter().collect::<Vec<_>>().as_slice() {
        return runs(list);
    }
    let named: Map<String, Json> =
        units.iter().filter_map(|((name, _), list)| Some((name.clone()?, runs(list)))).collect();
    if !named.is_empty() {
        return serde_json::json!({ "probes": named });
    }
    let items: Map<String, Json> =
        units.iter().filter_map(|((_, item), list)| Some((item.clone()?, runs(list)))).collect();
    serde_json::json!({ "items": items })
}

/// A recorded probe part as a mocked observation.
fn mock(part: &Part) -> Result<Json, String> {
    let error = part.observation.as_ref().and_then(Observation::error).or(part.error.as_ref());
    let observation = match (error, &part.observation) {
        (Some(error), _) if error.kind == ErrorKind::Interrupted => {
            return Err("the run was interrupted while a probe ran: its observation is not an incident's".to_owned());
        }
        (Some(error), _) => {
            return Ok(serde_json::json!({ "error": { "kind": error.kind.name(), "message": error.message } }));
        }
        (None, None) => return Ok(serde_json::json!({ "error": { "kind": ErrorKind::Io.name(), "message": null } })),
        (None, Some(observation)) => observation,
    };
    Ok(observation.observed().as_mock(&part.target))
}

/// Appends `case` to the test file's text (or starts one), keeping
/// everything already there, comments included; `Err` when the file's
/// `cases:` is not a block list at the end of the file.
pub(crate) fn append(existing: Option<&str>, case: &RecordedCase) -> Result<String, String> {
    let Some(text) = existing else {
        return Ok(format!("# Cases from incident records (`runbook test --from-record`).\ncases:\n{}", case.yaml(2)));
    };
    let lines: Vec<&str> = text.lines().collect();
    let top_level = |line: &str| !line.is_empty() && !line.starts_with([' ', '#', '-']);
    let start = lines
        .iter()
        .position(|line| line.trim_end() == "cases:" || line.starts_with("cases: #") || line.starts_with("cases:  #"))
        .ok_or(
            "the test file has no block `cases:` list to append to (a flow list `cases: [...]` cannot be extended)",
        )?;
    if lines[start + 1..].iter().any(|line| top_level(line)) {
        return Err("`cases:` is not the last key of the test file: move it to the end to append cases".to_owned());
    }
    let indent = lines[start + 1..]
        .iter()
        .find_map(|line| {
            let trimmed = line.trim_start();
            trimmed.starts_with("- ").then(|| line.len() - trimmed.len())
        })
        .unwrap_or(2);
    let mut out = text.to_owned();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&case.yaml(indent));
    Ok(out)
}
