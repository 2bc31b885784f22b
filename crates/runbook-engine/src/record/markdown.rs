//! `record.md`: the record for people, in the order they read it: what
//! happened and what to do, the path through the runbook, the timeline,
//! then each step's evidence. Mermaid renders on GitHub and GitLab.

use std::fmt::Write as _;

use runbook_model::ExpectationSeverity;
use serde_json::Value;

use super::build::{Record, ResumedText, StepRecord};
use super::excerpt_line::excerpt_line;
use crate::diagram::{Diagram, Trace, mermaid};
use crate::event::{ActionDecision, Graph, Part, RunInfo, unrouted_words, unset_words};
use crate::expect::ExpectationResult;
use crate::interpret::Mode;
use crate::printable::{printable_line, printable_lines};
use crate::probe::Captured;

/// Lines of an output excerpt in the record.
const EXCERPT_LINES: usize = 40;

/// Renders `record` as Markdown.
pub fn markdown(record: &Record) -> String {
    let mut out = String::new();
    let title = record.run.as_ref().map_or("runbook", |run| run.title.as_str());
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

/// Text shown exactly as it is inside a line, a heading or a table cell:
/// every character Markdown or HTML would act on is escaped (a regex's
/// `\.` keeps its backslash, `*x*` is not emphasis, `<` cannot open HTML,
/// `|` cannot end the cell), and line breaks are `<br>`.
pub fn cell(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\n' {
            escaped.push_str("<br>");
            continue;
        }
        if is_active(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Characters that Markdown (GitHub's: emphasis, code, links, HTML,
/// tables, strikethrough, math) or HTML entities act on inside a line.
fn is_active(c: char) -> bool {
    matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!' | '&' | '$')
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
            if starts_block || is_active(c) {
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
pub fn code(text: &str) -> String {
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
    ms.map_or_else(String::new, crate::probe::elapsed_text)
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "none".into(),
        other => other.to_string(),
    }
}

fn summary(out: &mut String, record: &Record) {
    let run = record.run.as_ref();
    let field = |read: fn(&RunInfo) -> &str| run.map(read).unwrap_or_default();
    let conclusion = record.conclusion.as_ref();
    let severity = conclusion.and_then(|c| c.severity).map_or("—", |s| s.name());
    let ending = match conclusion {
        Some(conclusion) => format!("**{}**", conclusion.status.name()),
        None => format!("**{}** (no conclusion)", record.status.name()),
    };
    let version = run.and_then(|r| r.version.as_ref()).map(|v| format!(" v{}", cell(v))).unwrap_or_default();
    let sha = field(|r| &r.sha256);
    let when = match (&record.started_at, &record.finished_at) {
        (Some(start), Some(end)) if start.get(..10) == end.get(..10) => format!("{start} → {}", clock(end)),
        (Some(start), Some(end)) => format!("{start} → {end}"),
        (Some(start), None) => format!("{start} → (interrupted)"),
        _ => String::new(),
    };
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Runbook | `{}`{version} ({}) |", field(|r| &r.runbook), cell(field(|r| &r.path)));
    let _ = writeln!(out, "| When (UTC) | {when} |");
    let _ = writeln!(out, "| Who | {} on {} |", cell(field(|r| &r.operator)), cell(field(|r| &r.host)));
    let _ = writeln!(out, "| Conclusion | {ending} |");
    let _ = writeln!(out, "| Severity | {severity} |");
    let resumed = if record.resumptions.is_empty() { "" } else { " (running time, across resumptions)" };
    let _ = writeln!(out, "| Duration | {}{resumed} |", duration(record.duration_ms));
    let mode = run.map(|r| r.mode);
    let interactive = if run.is_some_and(|r| r.interactive) { "interactive" } else { "non-interactive" };
    let _ = writeln!(out, "| Mode | {}, {interactive} |", mode.map(Mode::name).unwrap_or_default());
    let _ = writeln!(out, "| Run | `{}` |", field(|r| &r.id));
    for resumption in &record.resumptions {
        let changed = match &resumption.text {
            Some(text) => format!(" (runbook changed: SHA-256 `{}` from then on)", text.sha256),
            None if resumption.runbook_changed => " (runbook file changed)".to_owned(),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "| Resumed | at {} by {} at step `{}`{changed} |",
            clock(&resumption.at),
            cell(&resumption.operator),
            resumption.step
        );
    }
    let changed = if record.resumptions.iter().any(|r| r.text.is_some()) { " (when the run started)" } else { "" };
    let _ = writeln!(out, "| Runbook file SHA-256 | `{}`{changed} |", if sha.is_empty() { "—" } else { sha });
    let _ = writeln!(out, "| Engine | runbook {} |\n", field(|r| &r.engine));
    if mode == Some(Mode::DryRun) {
        let _ = writeln!(out, "> **Dry run**: nothing was executed; outcomes were assumed.\n");
    }
    if run.is_some_and(|r| r.virtual_time) {
        let _ = writeln!(
            out,
            "> **Virtual time**: the run's clock was virtual (`runbook test`, `RUNBOOK_VIRTUAL_CLOCK`): its times and \
             durations are not the real ones.\n"
        );
    }
    if let Some(message) = &record.message {
        // The message names commands and values as the terminal showed them: text, never markup.
        let _ = writeln!(out, "> **Run {}**: {}\n", record.status.name(), prose(message).replace('\n', "\n> "));
    }
}

/// The runbook's `record:` template, rendered leniently: a missing value
/// must not cost the record.
fn team_summary(out: &mut String, record: &Record) {
    let Some(template) = record.run.as_ref().and_then(|run| run.record_template.as_ref()) else { return };
    let mut vars = serde_json::Map::new();
    for step in &record.steps {
        for name in &step.uncaptured {
            vars.remove(name);
        }
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
        crate::template::RenderMode::Markdown,
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
    section(out, "Diagnosis", conclusion.diagnosis.as_deref());
    section(out, "What to do next", conclusion.remediation.as_deref());
    if let Some(escalation) = &conclusion.escalation {
        let _ = writeln!(out, "## Escalation\n\nTo: **{}**\n", prose(&escalation.to.join(", ")));
        if let Some(message) = &escalation.message {
            let _ = writeln!(out, "{}\n", prose(message));
        }
        if !escalation.evidence.is_empty() {
            let _ = writeln!(
                out,
                "Evidence to hand over: {}\n",
                escalation.evidence.iter().map(|e| code(e)).collect::<Vec<_>>().join(", ")
            );
        }
        for item in &escalation.checklist {
            let _ = writeln!(out, "- [ ] {}", prose(item));
        }
        out.push('\n');
    }
    if !conclusion.followups.is_empty() {
        let _ = writeln!(out, "## Follow-ups\n");
        for item in &conclusion.followups {
            let _ = writeln!(out, "- [ ] {}", prose(item));
        }
        out.push('\n');
    }
}

/// The runbook as a Mermaid flowchart, drawn as `runbook graph --record`
/// draws it: the steps and transitions taken highlighted. A run resumed
/// with a changed text (`--allow-changed`) draws each text it ran under,
/// with the steps it ran under that one.
fn graph(out: &mut String, record: &Record) {
    let Some(run) = &record.run else { return };
    if run.graph.nodes.is_empty() {
        return;
    }
    let changes: Vec<(&str, &ResumedText)> =
        record.resumptions.iter().filter_map(|r| Some((r.at.as_str(), r.text.as_ref()?))).collect();
    let Some((_, first_change)) = changes.first() else {
        let _ = writeln!(out, "## Path taken\n");
        diagram(out, &run.graph, &Trace::of(record));
        return;
    };
    let _ = writeln!(
        out,
        "## Path taken\n\nThe runbook changed while the run was stopped, and the run went on with the changed text \
         (`runbook resume --allow-changed`): each text is drawn with the steps run under it.\n\nAs the run \
         started (SHA-256 `{}`):\n",
        run.sha256
    );
    diagram(out, &run.graph, &part_of(record, 0, first_change.steps_before));
    for (index, (at, text)) in changes.iter().enumerate() {
        let end = changes.get(index + 1).map_or(record.steps.len(), |(_, next)| next.steps_before);
        let _ = writeln!(out, "As resumed at {} (SHA-256 `{}`):\n", clock(at), text.sha256);
        diagram(out, &text.graph, &part_of(record, text.steps_before, end));
    }
}

/// The steps `record.steps[start..end]` and the transitions they took.
fn part_of(record: &Record, start: usize, end: usize) -> Trace {
    let steps = record.steps.get(start..end).unwrap_or_default();
    Trace {
        visited: steps.iter().map(|step| step.id.clone()).collect(),
        edges: steps.iter().filter_map(|step| Some(step.next.as_ref()?.edge.clone())).collect(),
    }
}

/// `graph` as a Mermaid block, `trace` highlighted.
fn diagram(out: &mut String, graph: &Graph, trace: &Trace) {
    let (text, size) = mermaid(&Diagram::new(graph, Some(trace)));
    let _ = writeln!(out, "```mermaid\n{text}```\n");
    if size.warning().is_some() {
        let _ = writeln!(
            out,
            "> This graph is larger than most Mermaid viewers draw ({} characters, {} edges): `runbook graph \
             RUNBOOK --record DIR --format dot` writes it as Graphviz DOT.\n",
            size.chars, size.edges
        );
    }
}

fn timeline(out: &mut String, record: &Record) {
    let _ = writeln!(out, "## Timeline\n\n| time (UTC) | step | what happened |\n|---|---|---|");
    if let Some(start) = &record.started_at {
        let operator = record.run.as_ref().map(|run| run.operator.as_str()).unwrap_or_default();
        let _ = writeln!(out, "| {} | | run started by {} |", clock(start), cell(operator));
    }
    let mut interruptions: Vec<(&str, String)> = Vec::new();
    for stop in &record.stops {
        let why = stop.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
        interruptions.push((&stop.at, format!("run {}{why}", stop.status.name())));
    }
    for resumption in &record.resumptions {
        interruptions.push((&resumption.at, format!("resumed by {} at `{}`", resumption.operator, resumption.step)));
    }
    interruptions.sort();
    let mut pending = interruptions.into_iter().peekable();
    for step in &record.steps {
        while let Some((at, what)) = pending.next_if(|(at, _)| *at <= step.started_at.as_str()) {
            let _ = writeln!(out, "| {} | | {} |", clock(at), cell(&what));
        }
        let mut what = vec![step.kind.name().to_owned()];
        if let Some(question) = &step.question {
            what.push(format!("asked “{}”", cell(question.question.trim())));
            if let (Some(answer), Some(by)) = (&question.answer, question.by) {
                what.push(format!("answer **{}** ({})", cell(&scalar(answer)), by.name()));
            }
        }
        if let Some(action) = &step.action {
            what.push(format!("action {}", action.decision.words()));
        }
        if let Some(outcome) = step.outcome {
            what.push(format!("**{}**", outcome.name()));
        }
        if let Some(error) = &step.error {
            what.push(format!("({}: {})", error.kind.name(), cell(&error.message)));
        }
        if let Some(conclusion) = &step.conclusion {
            what.push(format!("concluded **{}**", conclusion.status.name()));
        }
        if let Some(next) = &step.next {
            let to = next.to.as_deref().unwrap_or("the end");
            let via = if let Some(why) = next.unrouted {
                let answer =
                    step.question.as_ref().and_then(|q| q.answer.as_ref()).map(|a| format!("answer {}", scalar(a)));
                let what = step.outcome.map(|o| o.name().to_owned()).or(answer).unwrap_or_else(|| next.via.clone());
                unrouted_words(&cell(&what), why, next.to.as_deref())
            } else {
                cell(&next.via)
            };
            what.push(format!("→ `{to}` ({via})"));
        }
        // The parts are Markdown already: their outside text is escaped.
        let _ = writeln!(out, "| {} | `{}` | {} |", clock(&step.started_at), step.id, what.join(" · "));
    }
    for (at, what) in pending {
        let _ = writeln!(out, "| {} | | {} |", clock(at), cell(&what));
    }
    if let Some(end) = &record.finished_at {
        let _ = writeln!(out, "| {} | | run {} |", clock(end), record.status.name());
    }
    out.push('\n');
}

fn steps(out: &mut String, record: &Record) {
    let _ = writeln!(out, "## Steps\n");
    for (number, step) in record.steps.iter().enumerate() {
        let title = step.title.as_deref().map(|t| format!(": {}", cell(t))).unwrap_or_default();
        let visit = if step.visit > 1 { format!(" (visit {})", step.visit) } else { String::new() };
        let _ = writeln!(out, "### {}. `{}`{title}{visit}\n", number + 1, step.id);
        let outcome = step.outcome.map(|o| format!(" · outcome **{}**", o.name())).unwrap_or_default();
        let took = match step.duration_ms {
            Some(ms) => format!("took {}", crate::probe::elapsed_text(ms)),
            None => "did not finish: the run stopped in it".to_owned(),
        };
        let _ = writeln!(out, "{} · started {}{outcome} · {took}\n", step.kind.name(), clock(&step.started_at));
        step_body(out, step);
    }
}

fn step_body(out: &mut String, step: &StepRecord) {
    if let Some(action) = &step.action {
        if let Some(confirm) = &action.confirm {
            // What the operator approved, which may show a probe's value: text, never markup.
            let _ = writeln!(out, "> {}\n", prose(confirm).replace('\n', "\n> "));
        }
        let cut_short = if action.decision == ActionDecision::Run && step.finished_at.is_none() {
            ", and the run stopped while it was running: it may have run, in part or in whole"
        } else {
            ""
        };
        let (target, script) = target(&action.target);
        let _ = write!(
            out,
            "Action {target}: **{}** (by {}){cut_short}\n\n{script}",
            action.decision.words(),
            action.by.name()
        );
    }
    for attempt in &step.attempts {
        if step.attempts.len() > 1 {
            let outcome = attempt.outcome.map_or("?", |o| o.name());
            let _ = writeln!(out, "**Attempt {}** ({outcome})\n", attempt.number);
        }
        for probe in &attempt.probes {
            probe_block(out, probe);
        }
    }
    if let Some(question) = &step.question {
        // The question may show a probe's value: it is text, never markup.
        let _ = writeln!(out, "**Question** (asked {}): {}\n", clock(&question.asked_at), prose(&question.question));
        if !question.evidence.is_empty() {
            let _ = writeln!(
                out,
                "Evidence shown: {}\n",
                question.evidence.iter().map(|e| code(e)).collect::<Vec<_>>().join(", ")
            );
        }
        match (&question.answer, question.by, &question.answered_at) {
            (Some(answer), Some(by), Some(at)) => {
                let _ = writeln!(out, "**Answer**: {}, by {} at {}\n", code(&scalar(answer)), by.name(), clock(at));
            }
            _ => {
                let _ = writeln!(out, "**Answer**: none (the run stopped waiting for one)\n");
            }
        }
    }
    if let Some(instruction) = &step.instruction {
        // Shown as the operator read it in the terminal: text, never
        // markup a value in it could bring.
        let _ = writeln!(out, "{}\n", prose(&instruction.text));
        for item in &instruction.ticked {
            let _ = writeln!(out, "- [x] {}", cell(item));
        }
        for item in &instruction.unticked {
            let _ = writeln!(out, "- [ ] {}", cell(item));
        }
        for (name, note) in &instruction.notes {
            let _ = writeln!(out, "- note {}: {}", code(name), prose(&scalar(note)));
        }
        let _ = writeln!(out, "\n(acknowledged by {})\n", instruction.by.name());
    }
    if !step.captures.is_empty() {
        let _ = writeln!(out, "| captured | value |\n|---|---|");
        for (name, value) in &step.captures {
            let _ = writeln!(out, "| `vars.{name}` | {} |", cell(&scalar(value)));
        }
        out.push('\n');
    }
    for name in &step.uncaptured {
        let _ = writeln!(out, "`vars.{name}` {}.\n", unset_words(name, step.outcome, step.error.as_ref()));
    }
    // Unless a probe's block said it already (a capture that did not
    // convert is the step's error, not a probe's).
    if let Some(error) = &step.error
        && !step.attempts.iter().flat_map(|attempt| &attempt.probes).any(|probe| probe.says(error))
    {
        let _ = writeln!(out, "Error ({}): {}\n", error.kind.name(), prose(&error.message));
    }
}

fn probe_block(out: &mut String, probe: &Part) {
    let label = match (&probe.name, &probe.item) {
        (Some(name), _) => format!("{}: ", code(name)),
        (None, Some(item)) if !item.is_null() => format!("item {}: ", code(&scalar(item))),
        _ => String::new(),
    };
    let assumed = if probe.assumed { " (assumed, dry run)".to_owned() } else { String::new() };
    let not_sent = probe.not_sent.as_deref().map(|why| format!(" (not sent: {})", prose(why))).unwrap_or_default();
    let (target, script) = target(&probe.target);
    let _ = write!(out, "{label}{target} → **{}**{assumed}{not_sent}\n\n{script}", probe.outcome.name());
    if let Some(observation) = &probe.observation {
        let facts = observation.observed().facts();
        if !facts.is_empty() {
            let _ = writeln!(out, "Observed: {}\n", printable_line(&facts.join(", ")));
        }
    }
    // An expectation not judged beside a false one says why in its row.
    let unjudged_listed = probe.expectations.iter().any(|e| e.unjudged.is_some());
    if let Some(error) = probe.error.as_ref().filter(|_| !unjudged_listed) {
        let _ = writeln!(out, "Error ({}): {}\n", error.kind.name(), prose(&printable_line(&error.message)));
    } else if let Some(why) = probe.observation.as_ref().and_then(|o| o.observed().judged_failure()) {
        let _ = writeln!(out, "Why: {}\n", prose(&printable_line(&why)));
    }
    if !probe.expectations.is_empty() {
        let _ = writeln!(out, "| | expectation | expected | actual |\n|---|---|---|---|");
        for expectation in &probe.expectations {
            expectation_row(out, expectation);
        }
        out.push('\n');
    }
    if let Some(observation) = &probe.observation {
        for (name, output) in observation.observed().outputs() {
            excerpt(out, name, output);
        }
    }
}

fn expectation_row(out: &mut String, e: &ExpectationResult) {
    let mark = if e.passed {
        "✓"
    } else if e.severity == ExpectationSeverity::Warn {
        "!"
    } else {
        "✗"
    };
    let millis = e.is_duration();
    let actual = match (&e.unjudged, &e.actual) {
        (Some(why), _) => format!("not judged: {why}"),
        (None, Some(a)) if millis && a.is_number() => format!("{a}ms"),
        (None, Some(a)) => shown(a),
        (None, None) => "nothing".to_owned(),
    };
    let why = e.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
    let _ = writeln!(
        out,
        "| {mark} | {} {}{} | {} | {} |",
        cell(&e.subject),
        e.predicate,
        cell(&why),
        cell(&shown(&e.expected)),
        cell(&actual)
    );
}

/// An expected or actual value as the view shows it: on one line, line
/// breaks as `\n`, cut after 120 characters.
fn shown(value: &Value) -> String {
    if value.as_str() == Some("") {
        // An empty cell would read as a missing value.
        return "\"\"".to_owned();
    }
    let text = scalar(value);
    let text = printable_line(&text);
    if text.chars().count() <= 120 {
        text.into_owned()
    } else {
        format!("{}…", text.chars().take(117).collect::<String>())
    }
}

fn excerpt(out: &mut String, name: &str, output: &Captured) {
    let total = output.total_bytes;
    if total == 0 {
        return;
    }
    let dropped = output.dropped_bytes;
    let body = &output.text();
    let lines: Vec<&str> = body.lines().collect();
    let shown = lines.len().min(EXCERPT_LINES);
    let kept = if dropped > 0 { format!(", {dropped} dropped from the middle") } else { String::new() };
    // A fence longer than any run of backticks in the output, so that the
    // output cannot close it.
    let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
    let _ = writeln!(out, "<details><summary>{name} ({total} bytes{kept})</summary>\n\n{fence}text");
    for line in &lines[..shown] {
        let _ = writeln!(out, "{}", excerpt_line(line));
    }
    if shown < lines.len() {
        let _ = writeln!(out, "… {} more lines in record.json", lines.len() - shown);
    }
    let _ = writeln!(out, "{fence}\n\n</details>\n");
}

/// A probe's or an action's target in a line of text: a code span, or for
/// a script of several lines "(the script below)", with the script on its
/// lines in a fenced block to write after the line; an http action's
/// request with its headers and body is "(the request below)".
fn target(target: &str) -> (String, String) {
    let target = target.trim_end_matches('\n');
    let Some((first, _)) = target.split_once('\n') else {
        return (code(target), String::new());
    };
    let body = printable_lines(target);
    let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
    let request = first.split_once(' ').is_some_and(|(method, url)| {
        method.chars().all(|c| c.is_ascii_uppercase()) && (url.starts_with("http://") || url.starts_with("https://"))
    });
    let (what, language) = if request { ("request", "http") } else { ("script", "sh") };
    (format!("(the {what} below)"), format!("{fence}{language}\n{body}\n{fence}\n\n"))
}

/// The longest run of backticks in `text`, in one pass (a loop of
/// `contains` would be quadratic on output made of backticks).
fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn inputs(out: &mut String, record: &Record) {
    let Some(inputs) = record.run.as_ref().map(|run| &run.inputs).filter(|i| !i.is_empty()) else { return };
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
            let mut output = Captured::new();
            output.push(body.as_bytes(), 1024);
            let mut out = String::new();
            excerpt(&mut out, "stdout", &output);
            assert!(out.contains(&format!("\n{fence}text\n{body}\n{fence}\n")), "{out}");
        }
    }
}
