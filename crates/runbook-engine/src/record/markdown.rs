//! `record.md`: the record for people, in the order they read it: what
//! happened and what to do, the path through the runbook, the timeline,
//! then each step's evidence. Mermaid renders on GitHub and GitLab.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::build::{Record, StepRecord};
use crate::printable::{printable_line, printable_lines};

/// Lines of an output excerpt in the record.
const EXCERPT_LINES: usize = 40;

/// Renders `record` as Markdown.
pub fn markdown(record: &Record) -> String {
    let mut out = String::new();
    let run = &record.run;
    let title = text(run.get("title")).unwrap_or("runbook");
    let _ = writeln!(out, "# Incident record: {}\n", cell(title));
    summary(&mut out, record);
    team_summary(&mut out, record);
    outcome(&mut out, record);
    graph(&mut out, record);
    timeline(&mut out, record);
    steps(&mut out, record);
    inputs(&mut out, record);
    // Whatever a service or a template put in the record, a viewer shows
    // its control characters instead of acting on them.
    printable_lines(&out).into_owned()
}

fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

/// A value fit for one table cell; `<` as an entity, so that a value
/// cannot open HTML (a comment would hide the rest of the record).
fn cell(text: &str) -> String {
    text.replace('<', "&lt;").replace('|', "\\|").replace('\n', "<br>")
}

/// Text rendered from templates (a diagnosis, a note), which may hold what
/// a service printed, as a Markdown paragraph showing exactly that text:
/// every character Markdown or HTML would act on is escaped, a line cannot
/// start a heading, list, quote, fence, table or code block (its leading
/// spaces are dropped), and line breaks are kept.
fn prose(text: &str) -> String {
    let lines = text.trim_end().lines().map(|line| {
        let line = line.trim_start();
        let mut escaped = String::with_capacity(line.len());
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        for (at, c) in line.chars().enumerate() {
            let starts_block =
                at == 0 && matches!(c, '-' | '+' | '=') || at == digits && digits > 0 && matches!(c, '.' | ')');
            if starts_block || matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!' | '&')
            {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        escaped
    });
    lines.collect::<Vec<_>>().join("  \n")
}

/// `text` as an inline code span nothing in it can close or leave: on one
/// line (line breaks shown as `\n`), between more backticks than the
/// longest run of them inside.
fn code(text: &str) -> String {
    let text = printable_line(text);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// `HH:MM:SS` of an RFC 3339 time.
fn clock(at: &str) -> &str {
    at.get(11..19).unwrap_or(at)
}

fn duration(ms: Option<u64>) -> String {
    ms.map_or_else(String::new, |ms| runbook_model::Duration(std::time::Duration::from_millis(ms)).to_string())
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "none".into(),
        other => other.to_string(),
    }
}

fn summary(out: &mut String, record: &Record) {
    let run = &record.run;
    let field = |name: &str| text(run.get(name)).unwrap_or_default().to_owned();
    let conclusion = record.conclusion.as_ref();
    let severity = conclusion.and_then(|c| text(c.get("severity"))).unwrap_or("—");
    let ending = match conclusion.and_then(|c| text(c.get("status"))) {
        Some(status) => format!("**{status}**"),
        None => format!("**{}** (no conclusion)", record.status),
    };
    let version = text(run.get("version")).map(|v| format!(" v{v}")).unwrap_or_default();
    let sha = field("sha256");
    let when = match (&record.started_at, &record.finished_at) {
        (Some(start), Some(end)) if start.get(..10) == end.get(..10) => format!("{start} → {}", clock(end)),
        (Some(start), Some(end)) => format!("{start} → {end}"),
        (Some(start), None) => format!("{start} → (interrupted)"),
        _ => String::new(),
    };
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Runbook | `{}`{version} ({}) |", field("runbook"), cell(&field("path")));
    let _ = writeln!(out, "| When (UTC) | {when} |");
    let _ = writeln!(out, "| Who | {} on {} |", cell(&field("operator")), cell(&field("host")));
    let _ = writeln!(out, "| Conclusion | {ending} |");
    let _ = writeln!(out, "| Severity | {severity} |");
    let resumed = if record.resumptions.is_empty() { "" } else { " (running time, across resumptions)" };
    let _ = writeln!(out, "| Duration | {}{resumed} |", duration(record.duration_ms));
    let mode = field("mode");
    let interactive =
        if run.get("interactive").and_then(Value::as_bool) == Some(true) { "interactive" } else { "non-interactive" };
    let _ = writeln!(out, "| Mode | {mode}, {interactive} |");
    let _ = writeln!(out, "| Run | `{}` |", field("id"));
    for resumption in &record.resumptions {
        let at = text(resumption.get("at")).map(clock).unwrap_or_default();
        let by = text(resumption.get("operator")).unwrap_or_default();
        let step = text(resumption.get("step")).unwrap_or_default();
        let changed = if resumption.get("runbook_changed").and_then(Value::as_bool) == Some(true) {
            " (runbook file changed)"
        } else {
            ""
        };
        let _ = writeln!(out, "| Resumed | at {at} by {} at step `{step}`{changed} |", cell(by));
    }
    let _ = writeln!(out, "| Runbook file SHA-256 | `{}` |", if sha.is_empty() { "—" } else { &sha });
    let _ = writeln!(out, "| Engine | runbook {} |\n", field("engine"));
    if mode == "dry-run" {
        let _ = writeln!(out, "> **Dry run**: nothing was executed; outcomes were assumed.\n");
    }
    if let Some(message) = &record.message {
        let _ = writeln!(out, "> **Run {}**: {}\n", record.status, message.replace('\n', "\n> "));
    }
}

/// The runbook's `record:` template, rendered leniently: a missing value
/// must not cost the record.
fn team_summary(out: &mut String, record: &Record) {
    let Some(template) = text(record.run.get("record_template")) else { return };
    let mut vars = Map::new();
    for step in &record.steps {
        vars.extend(step.captures.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let context = serde_json::json!({
        "run": record.run,
        "status": record.status,
        "message": record.message,
        "conclusion": record.conclusion,
        "vars": vars,
        "steps": record.steps,
        "path": record.path,
    });
    let rendered = crate::template::Templates::lenient().render(
        template,
        &crate::facts::to_value(&context),
        crate::template::RenderMode::Text,
    );
    let body = rendered.unwrap_or_else(|error| format!("(the runbook's `record:` template failed: {error})"));
    let _ = writeln!(out, "## Summary\n\n{}\n", body.trim_end());
}

fn outcome(out: &mut String, record: &Record) {
    let Some(conclusion) = &record.conclusion else { return };
    let section = |out: &mut String, title: &str, body: Option<&str>| {
        if let Some(body) = body.filter(|b| !b.trim().is_empty()) {
            let _ = writeln!(out, "## {title}\n\n{}\n", prose(body));
        }
    };
    section(out, "Diagnosis", text(conclusion.get("diagnosis")));
    section(out, "What to do next", text(conclusion.get("remediation")));
    if let Some(escalation) = conclusion.get("escalation").and_then(Value::as_object) {
        let to: Vec<String> = list(escalation.get("to"));
        let _ = writeln!(out, "## Escalation\n\nTo: **{}**\n", prose(&to.join(", ")));
        if let Some(message) = text(escalation.get("message")) {
            let _ = writeln!(out, "{}\n", prose(message));
        }
        let evidence = list(escalation.get("evidence"));
        if !evidence.is_empty() {
            let _ = writeln!(
                out,
                "Evidence to hand over: {}\n",
                evidence.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
            );
        }
        for item in list(escalation.get("checklist")) {
            let _ = writeln!(out, "- [ ] {}", prose(&item));
        }
        out.push('\n');
    }
    let followups = list(conclusion.get("followups"));
    if !followups.is_empty() {
        let _ = writeln!(out, "## Follow-ups\n");
        for item in followups {
            let _ = writeln!(out, "- [ ] {}", prose(&item));
        }
        out.push('\n');
    }
}

fn list(value: Option<&Value>) -> Vec<String> {
    value.and_then(Value::as_array).map(|items| items.iter().map(scalar).collect()).unwrap_or_default()
}

/// The runbook as a Mermaid flowchart, the steps and transitions taken
/// highlighted.
fn graph(out: &mut String, record: &Record) {
    let Some(graph) = record.run.get("graph").and_then(Value::as_object) else { return };
    let nodes = graph.get("nodes").and_then(Value::as_array).cloned().unwrap_or_default();
    let edges = graph.get("edges").and_then(Value::as_array).cloned().unwrap_or_default();
    if nodes.is_empty() {
        return;
    }
    let ids: Vec<&str> = nodes.iter().map(|n| text(n.get("id")).unwrap_or_default()).collect();
    let mut positions: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        positions.entry(id).or_insert(index);
    }
    let node = |id: &str| positions.get(id).map(|i| format!("n{i}"));
    let label = |raw: &str| raw.replace('"', "#quot;").replace('|', "#124;").replace(['\n', '\r'], " ");
    let _ = writeln!(out, "## Path taken\n\n```mermaid\nflowchart TD");
    for (index, n) in nodes.iter().enumerate() {
        let id = ids[index];
        let title = text(n.get("title")).map(|t| format!("<br/>{}", label(t))).unwrap_or_default();
        let kind = text(n.get("kind")).unwrap_or_default();
        let _ = writeln!(out, "  n{index}[\"{} ({kind}){title}\"]", label(id));
    }
    // The end node only when some edge leads past the last step: a node
    // nothing reaches is noise.
    if edges.iter().any(|edge| edge.get("to").is_none_or(Value::is_null)) {
        let _ = writeln!(out, "  end_([end])");
    }
    let mut drawn = Vec::new();
    // `linkStyle` counts the links drawn.
    for edge in &edges {
        let from = text(edge.get("from")).unwrap_or_default();
        let to = text(edge.get("to"));
        let Some(from_node) = node(from) else { continue };
        let to_node = to.map_or_else(|| Some("end_".to_owned()), node);
        let Some(to_node) = to_node else { continue };
        let edge_label = text(edge.get("label")).filter(|l| !l.is_empty()).unwrap_or("then");
        let _ = writeln!(out, "  {from_node} -->|\"{}\"| {to_node}", label(edge_label));
        drawn.push((drawn.len(), text(edge.get("id")).unwrap_or_default()));
    }
    let taken_edges = taken_edges(record, &drawn);
    let on_path: HashSet<&str> = record.path.iter().map(String::as_str).collect();
    let visited: Vec<String> =
        ids.iter().enumerate().filter(|(_, id)| on_path.contains(*id)).map(|(i, _)| format!("n{i}")).collect();
    let _ = writeln!(out, "  classDef taken fill:#ffe082,stroke:#e65100,stroke-width:2px");
    if !visited.is_empty() {
        let _ = writeln!(out, "  class {} taken", visited.join(","));
    }
    if !taken_edges.is_empty() {
        let indices: Vec<String> = taken_edges.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "  linkStyle {} stroke:#e65100,stroke-width:3px", indices.join(","));
    }
    let _ = writeln!(out, "```\n");
}

/// The edges the run took, by the id each transition names.
fn taken_edges(record: &Record, drawn: &[(usize, &str)]) -> Vec<usize> {
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(drawn.len());
    for &(index, id) in drawn {
        by_id.entry(id).or_insert(index);
    }
    let mut taken = Vec::new();
    let mut seen = HashSet::new();
    for step in &record.steps {
        let Some(edge) = step.next.as_ref().and_then(|next| text(next.get("edge"))) else { continue };
        if let Some(&index) = by_id.get(edge)
            && seen.insert(index)
        {
            taken.push(index);
        }
    }
    taken
}

fn timeline(out: &mut String, record: &Record) {
    let _ = writeln!(out, "## Timeline\n\n| time (UTC) | step | what happened |\n|---|---|---|");
    if let Some(start) = &record.started_at {
        let _ = writeln!(
            out,
            "| {} | | run started by {} |",
            clock(start),
            cell(text(record.run.get("operator")).unwrap_or_default())
        );
    }
    let mut interruptions: Vec<(String, String)> = Vec::new();
    for stop in &record.stops {
        let at = text(stop.get("at")).unwrap_or_default().to_owned();
        let why = text(stop.get("message")).map(|m| format!(": {m}")).unwrap_or_default();
        interruptions.push((at, format!("run {}{why}", text(stop.get("status")).unwrap_or_default())));
    }
    for resumption in &record.resumptions {
        let at = text(resumption.get("at")).unwrap_or_default().to_owned();
        let by = text(resumption.get("operator")).unwrap_or_default();
        interruptions.push((at, format!("resumed by {by} at `{}`", text(resumption.get("step")).unwrap_or_default())));
    }
    interruptions.sort();
    let mut pending = interruptions.into_iter().peekable();
    for step in &record.steps {
        while let Some((at, what)) = pending.next_if(|(at, _)| *at <= step.started_at) {
            let _ = writeln!(out, "| {} | | {} |", clock(&at), cell(&what));
        }
        let mut what = vec![step.kind.clone()];
        if let Some(question) = &step.question {
            what.push(format!("asked “{}”", question.question.trim()));
            if let (Some(answer), Some(by)) = (&question.answer, &question.by) {
                what.push(format!("answer **{}** ({by})", scalar(answer)));
            }
        }
        if let Some(action) = &step.action {
            what.push(format!("action {}", text(action.get("decision")).unwrap_or_default().replace('_', " ")));
        }
        if let Some(outcome) = &step.outcome {
            what.push(format!("**{outcome}**"));
        }
        if let Some(error) = &step.error {
            what.push(format!(
                "({}: {})",
                text(error.get("kind")).unwrap_or_default(),
                text(error.get("message")).unwrap_or_default()
            ));
        }
        if let Some(conclusion) = &step.conclusion {
            what.push(format!("concluded **{}**", text(conclusion.get("status")).unwrap_or_default()));
        }
        if let Some(next) = &step.next {
            let to = text(next.get("to")).unwrap_or("the end");
            what.push(format!("→ `{to}` ({})", text(next.get("via")).unwrap_or_default()));
        }
        let _ = writeln!(out, "| {} | `{}` | {} |", clock(&step.started_at), step.id, cell(&what.join(" · ")));
    }
    for (at, what) in pending {
        let _ = writeln!(out, "| {} | | {} |", clock(&at), cell(&what));
    }
    if let Some(end) = &record.finished_at {
        let _ = writeln!(out, "| {} | | run {} |", clock(end), record.status);
    }
    out.push('\n');
}

fn steps(out: &mut String, record: &Record) {
    let _ = writeln!(out, "## Steps\n");
    for (number, step) in record.steps.iter().enumerate() {
        let title = step.title.as_deref().map(|t| format!(": {t}")).unwrap_or_default();
        let visit = if step.visit > 1 { format!(" (visit {})", step.visit) } else { String::new() };
        let _ = writeln!(out, "### {}. `{}`{title}{visit}\n", number + 1, step.id);
        let outcome = step.outcome.as_deref().map(|o| format!(" · outcome **{o}**")).unwrap_or_default();
        let _ = writeln!(
            out,
            "{} · started {}{outcome} · took {}\n",
            step.kind,
            clock(&step.started_at),
            duration(step.duration_ms)
        );
        step_body(out, step);
    }
}

fn step_body(out: &mut String, step: &StepRecord) {
    if let Some(action) = &step.action {
        if let Some(confirm) = text(action.get("confirm")) {
            let _ = writeln!(out, "> {}\n", confirm.trim_end().replace('\n', "\n> "));
        }
        let _ = writeln!(
            out,
            "Action {}: **{}** (by {})\n",
            code(text(action.get("target")).unwrap_or_default()),
            text(action.get("decision")).unwrap_or_default().replace('_', " "),
            text(action.get("by")).unwrap_or_default()
        );
    }
    for attempt in &step.attempts {
        if step.attempts.len() > 1 {
            let _ = writeln!(out, "**Attempt {}** ({})\n", attempt.number, attempt.outcome.as_deref().unwrap_or("?"));
        }
        for probe in &attempt.probes {
            probe_block(out, probe);
        }
    }
    if let Some(question) = &step.question {
        let _ = writeln!(out, "**Question** (asked {}): {}\n", clock(&question.asked_at), question.question.trim());
        if !question.evidence.is_empty() {
            let _ = writeln!(
                out,
                "Evidence shown: {}\n",
                question.evidence.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
            );
        }
        match (&question.answer, &question.by, &question.answered_at) {
            (Some(answer), Some(by), Some(at)) => {
                let _ = writeln!(out, "**Answer**: {}, by {by} at {}\n", code(&scalar(answer)), clock(at));
            }
            _ => {
                let _ = writeln!(out, "**Answer**: none (the run stopped waiting for one)\n");
            }
        }
    }
    if let Some(instruction) = &step.instruction {
        let _ = writeln!(out, "{}\n", text(instruction.get("text")).unwrap_or_default().trim_end());
        for item in list(instruction.get("ticked")) {
            let _ = writeln!(out, "- [x] {item}");
        }
        for item in list(instruction.get("unticked")) {
            let _ = writeln!(out, "- [ ] {item}");
        }
        if let Some(notes) = instruction.get("notes").and_then(Value::as_object) {
            for (name, note) in notes {
                let _ = writeln!(out, "- note `{name}`: {}", prose(&scalar(note)));
            }
        }
        let _ = writeln!(out, "\n(acknowledged by {})\n", text(instruction.get("by")).unwrap_or_default());
    }
    if !step.captures.is_empty() {
        let _ = writeln!(out, "| captured | value |\n|---|---|");
        for (name, value) in &step.captures {
            let _ = writeln!(out, "| `vars.{name}` | {} |", cell(&scalar(value)));
        }
        out.push('\n');
    }
    if let Some(error) = &step.error
        && step.attempts.is_empty()
    {
        let _ = writeln!(
            out,
            "Error ({}): {}\n",
            text(error.get("kind")).unwrap_or_default(),
            prose(text(error.get("message")).unwrap_or_default())
        );
    }
}

fn probe_block(out: &mut String, probe: &Map<String, Value>) {
    let label = match (text(probe.get("name")), probe.get("item")) {
        (Some(name), _) => format!("`{name}`: "),
        (None, Some(item)) if !item.is_null() => format!("item {}: ", code(&scalar(item))),
        _ => String::new(),
    };
    let outcome = text(probe.get("outcome")).unwrap_or_default();
    let assumed = if probe.get("assumed").and_then(Value::as_bool) == Some(true) { " (assumed, dry run)" } else { "" };
    let target = code(text(probe.get("target")).unwrap_or_default());
    let _ = writeln!(out, "{label}{target} → **{outcome}**{assumed}\n");
    let observation = probe.get("observation").and_then(Value::as_object);
    if let Some(observation) = observation {
        let mut facts = Vec::new();
        for name in ["status", "exit_code", "signal", "connected", "final_url", "duration_ms"] {
            if let Some(value) = observation.get(name).filter(|v| !v.is_null()) {
                facts.push(format!("{name} {}", scalar(value)));
            }
        }
        if observation.get("insecure").and_then(Value::as_bool) == Some(true) {
            facts.push("TLS certificate checks OFF".into());
        }
        if let Some(proxy) = text(observation.get("proxy")) {
            facts.push(format!("via proxy {proxy}"));
        }
        if let Some(certificate) = observation.get("tls").and_then(Value::as_object) {
            // Names come from the server: code spans keep them from
            // drawing Markdown.
            let fact = |name| code(text(certificate.get(name)).unwrap_or_default());
            let days_left = certificate.get("days_left").map(scalar).unwrap_or_default();
            facts.push(format!(
                "certificate for {} issued by {}, valid until {} ({days_left} days left)",
                fact("subject"),
                fact("issuer"),
                fact("not_after")
            ));
        }
        if !facts.is_empty() {
            let _ = writeln!(out, "Observed: {}\n", printable_line(&facts.join(", ")));
        }
    }
    if let Some(error) = probe.get("error").and_then(Value::as_object) {
        let _ = writeln!(
            out,
            "Error ({}): {}\n",
            text(error.get("kind")).unwrap_or_default(),
            prose(&printable_line(text(error.get("message")).unwrap_or_default()))
        );
    }
    let expectations = probe.get("expectations").and_then(Value::as_array).cloned().unwrap_or_default();
    if !expectations.is_empty() {
        let _ = writeln!(out, "| | expectation | expected | actual |\n|---|---|---|---|");
        for e in &expectations {
            let passed = e.get("passed").and_then(Value::as_bool) == Some(true);
            let mark = if passed {
                "✓"
            } else if text(e.get("severity")) == Some("warn") {
                "!"
            } else {
                "✗"
            };
            let millis = text(e.get("subject")) == Some("duration");
            let actual = e.get("actual").map_or_else(
                || "nothing".to_owned(),
                |a| if millis && a.is_number() { format!("{a}ms") } else { short(&scalar(a)) },
            );
            let why = text(e.get("message")).map(|m| format!(" ({m})")).unwrap_or_default();
            let _ = writeln!(
                out,
                "| {mark} | {} {}{} | {} | {} |",
                cell(text(e.get("subject")).unwrap_or_default()),
                text(e.get("predicate")).unwrap_or_default(),
                cell(&why),
                cell(&short(&scalar(e.get("expected").unwrap_or(&Value::Null)))),
                cell(&actual)
            );
        }
        out.push('\n');
    }
    if let Some(observation) = observation {
        for name in ["body", "stdout", "stderr"] {
            if let Some(output) = observation.get(name).and_then(Value::as_object) {
                excerpt(out, name, output);
            }
        }
    }
}

fn short(text: &str) -> String {
    if text.chars().count() <= 120 {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(117).collect::<String>())
    }
}

fn excerpt(out: &mut String, name: &str, output: &Map<String, Value>) {
    let total = output.get("total_bytes").and_then(Value::as_u64).unwrap_or(0);
    if total == 0 {
        return;
    }
    let dropped = output.get("dropped_bytes").and_then(Value::as_u64).unwrap_or(0);
    let body = text(output.get("text")).unwrap_or_default();
    let lines: Vec<&str> = body.lines().collect();
    let shown = lines.len().min(EXCERPT_LINES);
    let kept = if dropped > 0 { format!(", {dropped} dropped from the middle") } else { String::new() };
    // A fence longer than any run of backticks in the output, so that the
    // output cannot close it.
    let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
    let _ = writeln!(out, "<details><summary>{name} ({total} bytes{kept})</summary>\n\n{fence}text");
    for line in &lines[..shown] {
        let _ = writeln!(out, "{line}");
    }
    if shown < lines.len() {
        let _ = writeln!(out, "… {} more lines in record.json", lines.len() - shown);
    }
    let _ = writeln!(out, "{fence}\n\n</details>\n");
}

/// The longest run of backticks in `text`, in one pass (a loop of
/// `contains` would be quadratic on output made of backticks).
fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn inputs(out: &mut String, record: &Record) {
    let Some(inputs) = record.run.get("inputs").and_then(Value::as_object).filter(|i| !i.is_empty()) else { return };
    let _ = writeln!(out, "## Inputs\n\n| input | value |\n|---|---|");
    for (name, value) in inputs {
        let _ = writeln!(out, "| `{name}` | {} |", cell(&scalar(value)));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_fence_is_longer_than_any_backtick_run_in_the_output() {
        for (body, fence) in [("plain", "```"), ("a ``` b", "````"), ("`````` x ``", "```````")] {
            let output: Map<String, Value> =
                serde_json::from_value(serde_json::json!({ "text": body, "total_bytes": body.len() })).unwrap();
            let mut out = String::new();
            excerpt(&mut out, "stdout", &output);
            assert!(out.contains(&format!("\n{fence}text\n{body}\n{fence}\n")), "{out}");
        }
    }
}
