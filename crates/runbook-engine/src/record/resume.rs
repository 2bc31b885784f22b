//! Where an interrupted or waiting run continues, read from its journal:
//! the step it stopped in (or the one its last transition chose), with
//! vars, step facts and visit counts as they were.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::event::Part;
use crate::interpret::Resume;

/// What `runbook resume` needs from a journal.
#[derive(Debug, Clone)]
pub struct ResumePoint {
    /// The runbook file the run started from.
    pub path: String,
    /// Its SHA-256 then.
    pub sha256: String,
    /// `live`, `read-only` or `dry-run`.
    pub mode: String,
    /// The inputs as journaled (secrets redacted: they must be given again).
    pub inputs: Map<String, Value>,
    /// A dry run's assumed outcomes, by step.
    pub assume: Vec<(String, String)>,
    /// Where and how to continue.
    pub resume: Resume,
}

/// Finds where the run in `entries` continues. Refuses a run that already
/// ended (concluded, ended, failed, timed out).
pub fn resume_point(entries: &[Value]) -> Result<ResumePoint, String> {
    let field = |entry: &Value, name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
    let header =
        entries.iter().find(|e| field(e, "event").as_deref() == Some("run_started")).ok_or(if entries.is_empty() {
            "the run was stopped before it started (its journal is empty): start it again with `runbook run`"
        } else {
            "the journal has no `run_started` line: it is not the journal of a run"
        })?;
    let mut ended: Option<String> = None;
    // The highest visit journaled per step: a step started again by a
    // resume repeats its visit number rather than adding one.
    let mut visits: HashMap<String, u32> = HashMap::new();
    let mut vars = IndexMap::new();
    let mut steps = IndexMap::new();
    // The step running when the journal stops.
    let mut open: Option<String> = None;
    // The last step that finished, and where its transition went (`None`
    // until one is journaled: an aborted step has none).
    let mut last: Option<(String, Option<Option<String>>)> = None;
    // The step whose action was confirmed to run and that has not been
    // routed since: the action may have run. Starting the step again (a
    // resume that stopped to ask) does not clear it; only the step's
    // routing does, after an explicit yes ran it or a no declined it.
    let mut in_flight: Option<String> = None;
    // Actions of called runbooks confirmed since the latest top-level step
    // was routed: re-running that `call` step must not run them again
    // unasked, however many resumes stop on the way.
    let mut inner_actions: Vec<String> = Vec::new();
    // The last attempt's probes of each step, to show again with a question.
    let mut evidence: HashMap<String, (u64, Vec<Part>)> = HashMap::new();
    for entry in entries {
        let step = field(entry, "step").unwrap_or_default();
        let top = !step.contains('/');
        match field(entry, "event").as_deref().unwrap_or_default() {
            "run_finished" => ended = field(entry, "status"),
            "resumed" => ended = None,
            "step_started" if top => {
                let visit = entry.get("visit").and_then(Value::as_u64).and_then(|v| u32::try_from(v).ok()).unwrap_or(1);
                let count = visits.entry(step.clone()).or_default();
                *count = (*count).max(visit);
                open = Some(step);
            }
            "action_decided" if !top && field(entry, "decision").as_deref() == Some("run") => {
                inner_actions.push(step);
            }
            "action_decided" if top && field(entry, "decision").as_deref() == Some("run") => {
                in_flight = Some(step);
            }
            "probe" => {
                let attempt = entry.get("attempt").and_then(Value::as_u64).unwrap_or(1);
                if let Some(part) = entry.get("part").and_then(|part| serde_json::from_value(part.clone()).ok()) {
                    let shown = evidence.entry(step.clone()).or_default();
                    if shown.0 != attempt {
                        *shown = (attempt, Vec::new());
                    }
                    shown.1.push(part);
                }
            }
            "step_finished" if top => {
                if let Some(captures) = entry.get("captures").and_then(Value::as_object) {
                    vars.extend(captures.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                steps.insert(step.clone(), entry.get("facts").cloned().unwrap_or(Value::Null));
                open = None;
                last = Some((step, None));
            }
            "transition" => {
                let from = field(entry, "from").unwrap_or_default();
                if !from.contains('/') {
                    in_flight.take_if(|id| *id == from);
                    inner_actions.clear();
                }
                if let Some((id, to)) = &mut last
                    && *id == from
                {
                    *to = Some(field(entry, "to"));
                }
            }
            _ => {}
        }
    }
    if let Some(status) = ended.filter(|status| !matches!(status.as_str(), "waiting" | "aborted")) {
        return Err(format!("the run already ended ({status}): there is nothing to resume"));
    }
    let open_step = open.clone().or_else(|| last.as_ref().map(|(step, _)| step.clone()));
    let step = match (open, last) {
        (Some(step), _) => step,
        (None, Some((_, Some(Some(next))))) => next,
        // Finished but not routed: the step was interrupted; run it again
        // (an action only with an explicit yes).
        (None, Some((step, None))) => {
            steps.shift_remove(&step);
            step
        }
        (None, Some((_, Some(None)))) => {
            return Err("the run went past its last step: there is nothing to resume".into());
        }
        // Nothing ran yet: from the runbook's start.
        (None, None) => String::new(),
    };
    let action_in_flight = in_flight.as_deref() == Some(step.as_str());
    // The step will run again and count this visit again.
    if let Some(count) = visits.get_mut(&step) {
        *count = count.saturating_sub(1);
    }
    let actions_ran = if open_step.as_deref() == Some(step.as_str()) { inner_actions } else { Vec::new() };
    let assume = header.get("assume").and_then(Value::as_object).cloned().unwrap_or_default();
    Ok(ResumePoint {
        path: field(header, "path").unwrap_or_default(),
        sha256: field(header, "sha256").unwrap_or_default(),
        mode: field(header, "mode").unwrap_or_else(|| "live".into()),
        inputs: header.get("inputs").and_then(Value::as_object).cloned().unwrap_or_default(),
        assume: assume
            .into_iter()
            .filter_map(|(step, outcome)| outcome.as_str().map(|outcome| (step, outcome.to_owned())))
            .collect(),
        resume: Resume {
            run_id: field(header, "id").unwrap_or_default(),
            started_at: field(header, "started_at").unwrap_or_default(),
            step,
            visits,
            vars,
            steps,
            action_in_flight,
            actions_ran,
            evidence: evidence.into_iter().map(|(step, (_, parts))| (step, parts)).collect(),
            runbook_changed: false,
        },
    })
}
