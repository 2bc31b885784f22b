//! Where an interrupted or waiting run continues, read from its journal:
//! the step it stopped in (or the one its last transition chose), with
//! vars, step facts and visit counts as they were.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

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
    let mut visits: HashMap<String, u32> = HashMap::new();
    let mut vars = IndexMap::new();
    let mut steps = IndexMap::new();
    // The step running when the journal stops, and whether an action in it
    // had been confirmed to run.
    let mut open: Option<(String, bool)> = None;
    // The last step that finished, and where its transition went (`None`
    // until one is journaled: an aborted step has none).
    let mut last: Option<(String, Option<Option<String>>)> = None;
    for entry in entries {
        let step = field(entry, "step").unwrap_or_default();
        let top = !step.contains('/');
        match field(entry, "event").as_deref().unwrap_or_default() {
            "run_finished" => ended = field(entry, "status"),
            "resumed" => ended = None,
            "step_started" if top => {
                *visits.entry(step.clone()).or_default() += 1;
                open = Some((step, false));
            }
            "action_decided" if top && field(entry, "decision").as_deref() == Some("run") => {
                if let Some((id, ran)) = &mut open
                    && *id == step
                {
                    *ran = true;
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
    let (step, action_in_flight) = match (open, last) {
        (Some((step, ran)), _) => (step, ran),
        (None, Some((_, Some(Some(next))))) => (next, false),
        // Finished but not routed: the step was interrupted; run it again.
        (None, Some((step, None))) => {
            steps.shift_remove(&step);
            (step, false)
        }
        (None, Some((_, Some(None)))) => {
            return Err("the run went past its last step: there is nothing to resume".into());
        }
        (None, None) => {
            let first = header.pointer("/graph/nodes/0/id").and_then(Value::as_str).unwrap_or_default().to_owned();
            (first, false)
        }
    };
    // The step will run again and count its visit again.
    if let Some(count) = visits.get_mut(&step) {
        *count = count.saturating_sub(1);
    }
    Ok(ResumePoint {
        path: field(header, "path").unwrap_or_default(),
        sha256: field(header, "sha256").unwrap_or_default(),
        mode: field(header, "mode").unwrap_or_else(|| "live".into()),
        inputs: header.get("inputs").and_then(Value::as_object).cloned().unwrap_or_default(),
        resume: Resume {
            run_id: field(header, "id").unwrap_or_default(),
            started_at: field(header, "started_at").unwrap_or_default(),
            step,
            visits,
            vars,
            steps,
            action_in_flight,
            runbook_changed: false,
        },
    })
}
