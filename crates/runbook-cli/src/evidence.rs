//! The evidence of a step, as text for people: what ran, how it ended, each
//! expectation as expected against actual, and an excerpt of the output.
//! Shared by the run view and by questions that show evidence again.

use std::fmt::Write as _;
use std::sync::Arc;

use console::Style;
use runbook_engine::ExpectationResult;
use runbook_engine::event::Part;
use runbook_engine::printable::printable_line;
use runbook_engine::probe::{Captured, HttpObservation, Observation};
use runbook_model::{ExpectationSeverity, Outcome};
use serde_json::Value;

/// Lines of an output excerpt shown without `--verbose`.
const EXCERPT_LINES: usize = 12;
/// Characters of one excerpt line shown without `--verbose`.
const EXCERPT_WIDTH: usize = 160;
/// Probes of a group or `foreach` listed one by one without `--verbose`.
const LISTED_PARTS: usize = 20;

/// How evidence is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Look {
    /// Colours on.
    pub color: bool,
    /// Everything, not excerpts.
    pub verbose: bool,
}

impl Look {
    /// `text` in `style` when colours are on, on one line, its control
    /// characters shown as escapes (see [`printable_line`]): painted text
    /// often comes from the outside.
    pub(crate) fn paint(self, style: &Style, text: &str) -> String {
        let text = printable_line(text);
        // `console` would drop the style when stdout is not a terminal; the
        // look already decided (`--color always` colours a pipe too).
        if self.color { style.clone().force_styling(true).apply_to(text).to_string() } else { text.into_owned() }
    }

    /// An outcome's mark and name, coloured.
    pub(crate) fn outcome(self, outcome: Outcome) -> String {
        let (mark, style) = match outcome {
            Outcome::Pass => ("✓", Style::new().green()),
            Outcome::Warn => ("!", Style::new().yellow()),
            Outcome::Fail => ("✗", Style::new().red()),
            Outcome::Error => ("✗", Style::new().red().bold()),
            Outcome::Skipped => ("-", Style::new().dim()),
        };
        self.paint(&style, &format!("{mark} {}", outcome.name()))
    }

    pub(crate) fn dim(self, text: &str) -> String {
        self.paint(&Style::new().dim(), text)
    }
}

/// The evidence of one attempt of a step: its probes, indented by two.
/// `text` after a dim `label` (`runs:`), its further lines (a script's, or
/// an http request's headers and body) under its first.
pub(crate) fn labelled(label: &str, text: &str, look: Look) -> String {
    let indent = " ".repeat(label.chars().count() + 3);
    let mut lines = text.trim_end_matches('\n').split('\n');
    let mut out = format!("  {} {}\n", look.dim(label), printable_line(lines.next().unwrap_or_default()));
    for line in lines {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{indent}{}", printable_line(line));
        }
    }
    out
}

pub(crate) fn parts(parts: &[Arc<Part>], look: Look, show_output: bool) -> String {
    let mut out = String::new();
    if let [part] = parts
        && part.name.is_none()
        && part.item.is_none()
    {
        single(&mut out, part, look, show_output || part.outcome != Outcome::Pass, "  ");
        return out;
    }
    let shown: Vec<&Part> = if look.verbose || parts.len() <= LISTED_PARTS {
        parts.iter().map(|part| &**part).collect()
    } else {
        let mut counts = std::collections::BTreeMap::new();
        for part in parts {
            *counts.entry(part.outcome).or_insert(0) += 1;
        }
        let summary: Vec<String> = counts.iter().map(|(o, n)| format!("{n} {}", o.name())).collect();
        let _ = writeln!(out, "  {} probes: {}", parts.len(), summary.join(", "));
        let not_passed: Vec<&Part> = parts.iter().map(|part| &**part).filter(|p| p.outcome != Outcome::Pass).collect();
        if not_passed.len() > LISTED_PARTS {
            let _ = writeln!(out, "  {}", look.dim(&format!("the first {LISTED_PARTS} that did not pass:")));
        }
        not_passed.into_iter().take(LISTED_PARTS).collect()
    };
    for part in shown {
        let label = match (&part.name, &part.item) {
            (Some(name), _) => name.clone(),
            (None, Some(Value::String(item))) => item.clone(),
            (None, Some(item)) => item.to_string(),
            (None, None) => String::new(),
        };
        let _ = writeln!(out, "  {} {}", look.outcome(part.outcome), look.paint(&Style::new().bold(), &label));
        single(&mut out, part, look, show_output || part.outcome != Outcome::Pass, "      ");
    }
    out
}

/// Each redirect an http probe followed, under its request: the status
/// that asked for it, where it led, and through which proxy (`direct` once
/// any hop had one).
fn redirects(out: &mut String, observation: &HttpObservation, look: Look, indent: &str) {
    for hop in &observation.redirects {
        let via = observation.route(hop).map(|route| format!("  {route}")).unwrap_or_default();
        let line = format!("↪ {} to {}{via}", hop.status, hop.to);
        let _ = writeln!(out, "{indent}  {}", look.dim(&line));
    }
}

/// One probe: what ran, the observation's headline, the error, each
/// expectation, and an excerpt of the output.
fn single(out: &mut String, part: &Part, look: Look, show_output: bool, indent: &str) {
    // `→ 503 in 12ms`, `→ exit 1 in 3ms`, `→ connected in 1ms`.
    let headline = part.observation.as_ref().and_then(|o| o.observed().headline());
    let headline = headline.map(|text| format!("  → {text}")).unwrap_or_default();
    let assumed = match &part.not_sent {
        Some(why) => look.dim(&format!("  (not sent: {})", printable_line(why))),
        None if part.assumed => look.dim(&format!("  (dry run: assumed {})", part.outcome.name())),
        None => String::new(),
    };
    let insecure = match &part.observation {
        Some(Observation::Http(o)) if o.insecure => {
            look.paint(&Style::new().yellow(), "  (TLS certificate checks off: tls.insecure)")
        }
        _ => String::new(),
    };
    let proxy = match &part.observation {
        Some(Observation::Http(HttpObservation { proxy: Some(proxy), .. })) => {
            look.dim(&format!("  via proxy {proxy}"))
        }
        _ => String::new(),
    };
    // A script of several lines is shown on its lines, as written.
    let lines: Vec<&str> = part.target.trim_end_matches('\n').split('\n').collect();
    let (last, before) = lines.split_last().unwrap_or((&"", &[]));
    for line in before {
        let _ = writeln!(out, "{indent}{}", look.dim(line));
    }
    let _ = writeln!(out, "{indent}{}{proxy}{}{assumed}{insecure}", look.dim(last), headline);
    if let Some(Observation::Http(o)) = &part.observation {
        redirects(out, o, look, indent);
    }
    // Where the time went, when it may explain what went wrong.
    if let Some(Observation::Http(http)) = &part.observation
        && (show_output || look.verbose)
        && let Some(phases) = http.timing_text()
    {
        let _ = writeln!(out, "{indent}  {}", look.dim(&phases));
    }
    // An expectation not judged beside a false one says why on its own
    // line, below: the probe failed, it did not err.
    let unjudged_listed = part.expectations.iter().any(|e| e.unjudged.is_some());
    if let Some(error) = part.error.as_ref().filter(|_| !unjudged_listed) {
        let text = format!("error ({}): {}", error.kind.name(), error.message);
        let _ = writeln!(out, "{indent}{}", look.paint(&Style::new().red(), &text));
    } else if let Some(why) = part.observation.as_ref().and_then(|o| o.observed().judged_failure()) {
        // The reason quotes the target (a host from an input, an alert):
        // outside text, shown with its control characters as escapes.
        let _ = writeln!(out, "{indent}  {}", printable_line(&why));
    }
    for result in &part.expectations {
        expectation(out, result, look, indent);
    }
    if let Some(observation) = &part.observation
        && (show_output || look.verbose)
    {
        for (name, captured) in observation.observed().outputs() {
            excerpt(out, name, captured, look, indent);
        }
    } else if let Some(Observation::Cmd(cmd)) = &part.observation
        && part.outcome == Outcome::Pass
        && let Some(line) = cmd.stderr.text().lines().map(str::trim).find(|line| !line.is_empty())
    {
        // A command that passed may still have complained: a pipeline's
        // first stage failing (`grep: app.log: No such file or directory`
        // before `| wc -l`) leaves only this line on screen.
        let line: String = line.chars().take(EXCERPT_WIDTH).collect();
        let _ = writeln!(out, "{indent}  {}", look.dim(&format!("stderr: {}", printable_line(&line))));
    }
}

fn expectation(out: &mut String, result: &ExpectationResult, look: Look, indent: &str) {
    let (mark, style) = match (result.passed, result.severity) {
        (true, _) => ("✓", Style::new().green()),
        (false, ExpectationSeverity::Warn) => ("!", Style::new().yellow()),
        (false, ExpectationSeverity::Fail) => ("✗", Style::new().red()),
    };
    let shown = |value: &Value| if result.is_duration() { duration_text(value) } else { short(value) };
    let expected = shown(&result.expected);
    let line = printable_line(&format!("{} {} {expected}", result.subject, result.predicate)).into_owned();
    let _ = write!(out, "{indent}  {} {line}", look.paint(&style, mark));
    if result.passed {
        out.push('\n');
        return;
    }
    if let Some(why) = &result.unjudged {
        let _ = writeln!(out, ", not judged: {}", printable_line(why));
        if let Some(message) = &result.message {
            let _ = writeln!(out, "{indent}    {}", look.dim(message));
        }
        return;
    }
    let actual = result.actual.as_ref().map_or_else(|| "nothing".to_owned(), shown);
    let multiline =
        |v: &Value| matches!(v, Value::Object(_) | Value::Array(_)) || v.as_str().is_some_and(|s| s.contains('\n'));
    let _ = writeln!(out, ", got {}", look.paint(&Style::new().bold(), &actual));
    if let Some(message) = &result.message {
        let _ = writeln!(out, "{indent}    {}", look.dim(message));
    }
    if let Some(actual) = &result.actual
        && (multiline(actual) || multiline(&result.expected))
        && result.predicate == "eq"
    {
        let diff = diff(&result.expected, actual, look);
        for line in diff.lines() {
            let _ = writeln!(out, "{indent}    {line}");
        }
    }
}

/// A duration as the author wrote it (`500ms`, not `"500ms"`) or as the
/// milliseconds observed (`1508ms`, not `1508`).
fn duration_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(millis) => format!("{millis}ms"),
        other => short(other),
    }
}

/// A value on one line, cut to a readable length: a string as written
/// (`^\d+$`, not `"^\\d+$"`) with its control characters as escapes, the
/// empty string as `""`, anything else as JSON.
fn short(value: &Value) -> String {
    let text = match value {
        Value::String(text) if !text.is_empty() => printable_line(text).into_owned(),
        other => other.to_string(),
    };
    if text.chars().count() <= 80 {
        return text;
    }
    let cut: String = text.chars().take(77).collect();
    format!("{cut}…")
}

/// A line diff of expected against actual: `-` expected, `+` actual.
fn diff(expected: &Value, actual: &Value, look: Look) -> String {
    let text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    };
    let (expected, actual) = (text(expected), text(actual));
    let mut out = String::new();
    for change in similar::TextDiff::from_lines(&expected, &actual).iter_all_changes() {
        let line = change.to_string_lossy();
        let line = line.trim_end_matches('\n');
        let _ = match change.tag() {
            similar::ChangeTag::Delete => writeln!(out, "{}", look.paint(&Style::new().red(), &format!("- {line}"))),
            similar::ChangeTag::Insert => writeln!(out, "{}", look.paint(&Style::new().green(), &format!("+ {line}"))),
            similar::ChangeTag::Equal => writeln!(out, "  {}", printable_line(line)),
        };
    }
    out
}

/// The head of an output, bounded in lines and width unless verbose.
fn excerpt(out: &mut String, name: &str, captured: &Captured, look: Look, indent: &str) {
    if captured.total_bytes == 0 {
        return;
    }
    let text = captured.text();
    let lines: Vec<&str> = text.lines().collect();
    let shown = if look.verbose { lines.len() } else { lines.len().min(EXCERPT_LINES) };
    let _ = writeln!(out, "{indent}  {}", look.dim(&format!("{name} ({} bytes):", captured.total_bytes)));
    for line in &lines[..shown] {
        let line: String = if look.verbose || line.chars().count() <= EXCERPT_WIDTH {
            printable_line(line).into_owned()
        } else {
            format!("{}…", printable_line(&line.chars().take(EXCERPT_WIDTH).collect::<String>()))
        };
        let _ = writeln!(out, "{indent}  │ {line}");
    }
    if shown < lines.len() {
        let _ = writeln!(
            out,
            "{indent}  {}",
            look.dim(&format!("│ … {} more lines (--verbose shows all)", lines.len() - shown))
        );
    }
}
