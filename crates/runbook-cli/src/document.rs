//! A runbook as a Markdown document a person can follow without the tool,
//! in the order they would read it: what it is for, what to have ready, the
//! map, each step with what to run and where each outcome leads, then the
//! conclusions. Commands and URLs are shown as written: templates stay
//! `{{ … }}`, so the document does not depend on one run's values.
//!
//! What the author wrote is shown in one of two ways (docs/cli.md,
//! "runbook render"): sentences (the summary, descriptions, questions,
//! instructions, checklists, diagnoses, remediations, messages) are
//! Markdown, kept, except raw HTML (`<namespace>` shows as written);
//! values and labels (titles, ids, answers and their meanings, owners,
//! tags, conditions, commands) are shown exactly as they read, escaped.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;

use runbook_engine::diagram::{Diagram, graph, mermaid};
use runbook_engine::probe::Parts;
use runbook_engine::record::markdown_text as value;
use runbook_model::{
    Capture, Conclusion, DeclaredProbe, Destination, Edge, Expectation, ExpectationSeverity, Flow, Prose, Runbook,
    Source, Span, Spanned, Step, StepKind, Words,
};

use crate::in_words::{self, code};

/// The Markdown document of `runbook`, read from `source` (the file as
/// given on the command line, named in the document), whose steps lead
/// where `flow` says (the plan's, as `graph` draws it). `documents` names
/// the document of each runbook rendered beside it, by canonical path, so
/// that a `call` links to its callee's; `directory` is where the document
/// goes, which a relative link is rebased to. With it, the warning `graph`
/// gives when the map is too large for Mermaid's renderers.
pub(crate) fn document(
    runbook: &Runbook,
    source: &Source,
    flow: &Flow,
    documents: &HashMap<PathBuf, String>,
    directory: &Path,
) -> (String, Option<String>) {
    let mut out = String::new();
    let diagram = Diagram::new(&graph(runbook, flow), None);
    // A set: a search of the list per step was quadratic in a runbook
    // with many unreachable steps (review-code-s11 M4).
    let unreachable: HashSet<&str> = diagram.unreachable.iter().map(String::as_str).collect();
    let writer = Writer { runbook, source, flow, documents, directory, unreachable };
    writer.header(&mut out);
    writer.inputs(&mut out);
    let (map, size) = mermaid(&diagram);
    let _ = writeln!(out, "## Map\n");
    // A reader on GitHub would see an error box where the map should be.
    if let Some(warning) = size.warning() {
        let command = code(&format!("runbook graph --format dot {}", source.name()));
        let _ = writeln!(out, "> The map below: {warning} ({command}).\n");
    }
    let _ = writeln!(out, "```mermaid\n{map}```\n");
    // What no run can do is not shown as a way to follow; the author is
    // told it is missing, and where to look.
    if let Some(left_out) = diagram.left_out() {
        let command = code(&format!("runbook check {}", source.name()));
        let _ = writeln!(out, "> Not on the map nor below: {left_out} ({command} says why).\n");
    }
    writer.steps(&mut out);
    writer.conclusions(&mut out);
    // A runbook's (or its file name's) control characters and the marks
    // that reorder text (Trojan Source) show as escapes: a reader of the
    // document sees the text that runs, not a reordered one.
    (runbook_engine::printable::printable_lines(&out).into_owned(), size.warning())
}

struct Writer<'a> {
    runbook: &'a Runbook,
    source: &'a Source,
    flow: &'a Flow,
    documents: &'a HashMap<PathBuf, String>,
    directory: &'a Path,
    /// The ids of the steps no run can reach: neither drawn nor listed.
    unreachable: HashSet<&'a str>,
}

impl Writer<'_> {
    fn header(&self, out: &mut String) {
        let runbook = self.runbook;
        let _ = writeln!(out, "# {}\n", value(runbook.title.value.trim()));
        if let Some(summary) = &runbook.summary {
            let _ = writeln!(out, "{}\n", kept_lines(&authored(summary.trim())));
        }
        let file = self.source.name();
        let _ = writeln!(
            out,
            "> Rendered from `{file}` by `runbook render`. To be guided through it, with the probes run for \
             you and an incident record written: `runbook run {file}`.\n>\n> Text in `{{{{ … }}}}` is filled in \
             at run time: `inputs.NAME` is an input below, `vars.NAME` a value captured by an earlier step, \
             `steps.ID` what a step saw or was answered, `result` the current step's observation.{}\n",
            if self.source.text().contains("{%") {
                " Text in `{% … %}` blocks is logic run at the same time: `{% if … %}A{% else %}B{% endif %}` \
                 shows A or B, and `{% set … %}` shows nothing."
            } else {
                ""
            }
        );
        let _ = writeln!(out, "| | |\n|---|---|");
        let version =
            runbook.version.as_ref().map(|v| format!(", version {}", value(self.slice(v.span)))).unwrap_or_default();
        let _ = writeln!(out, "| Runbook | `{}`{version} |", runbook.id.value);
        if !runbook.owners.is_empty() {
            let _ = writeln!(out, "| Owners | {} |", value(&runbook.owners.join(", ")));
        }
        if !runbook.tags.is_empty() {
            let _ = writeln!(out, "| Tags | {} |", value(&runbook.tags.join(", ")));
        }
        if let Some(timeout) = &runbook.timeout {
            let _ = writeln!(out, "| Time limit | {} |", timeout.value);
        }
        out.push('\n');
        if !runbook.links.is_empty() {
            let _ = writeln!(out, "## Links\n");
            for link in &runbook.links {
                let _ = writeln!(out, "- {}", self.link(&link.title, &link.url.value));
            }
            out.push('\n');
        }
    }

    fn inputs(&self, out: &mut String) {
        if self.runbook.inputs.is_empty() {
            return;
        }
        let _ = writeln!(out, "## Inputs\n\n| Input | What | Default | From |\n|---|---|---|---|");
        for (name, input) in &self.runbook.inputs {
            // A secret's default is shown redacted, as every run shows it:
            // rendered documents are published where the YAML may not be.
            let default = match &input.default {
                None if input.is_required() => "(required)".to_owned(),
                None => "—".to_owned(),
                Some(_) if input.secret => format!("`[redacted:{}]`", name.value),
                Some(d) => match &d.value {
                    // A string as its text, however the YAML quoted it.
                    serde_json::Value::String(text) => in_cell(&code(text)),
                    // Any other value as the run reads it: a list in one
                    // form, whether written as a block or a wrapped flow.
                    other => in_cell(&code(&flow(other))),
                },
            };
            let mut from = input.env.as_ref().map(|env| in_cell(&code(&format!("${}", env.value)))).unwrap_or_default();
            if input.secret {
                from.push_str(if from.is_empty() { "secret" } else { ", secret" });
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | {default} | {} |",
                name.value,
                in_cell(&authored(input.description.as_deref().unwrap_or("").trim())),
                if from.is_empty() { "—" } else { &from }
            );
        }
        out.push('\n');
    }

    fn steps(&self, out: &mut String) {
        // `start:` may name a step below the first: a reader who began at
        // the top could run a remediation before any diagnosis.
        match self.flow.start.filter(|start| *start != 0) {
            Some(start) => {
                let id = &self.runbook.steps.value[start].id.value;
                let _ = write!(
                    out,
                    "## Steps\n\nStart at {} (the runbook's `start:`, not the first step listed) and follow the table \
                     under each one.",
                    step_link(id)
                );
            }
            None => {
                let _ = write!(out, "## Steps\n\nStart at the first step and follow the table under each one.");
            }
        }
        // Said once where some step's outcome picks the way on.
        let judged = self.runbook.steps.iter().any(|step| step.kind().is_some_and(StepKind::routes_by_outcome));
        if judged {
            out.push_str(
                " A check **passes** when every expectation holds, **warns** when only expectations that warn do \
                 not, **fails** when the probe answered and an expectation does not hold, and is an **error** \
                 when there was nothing to judge (a timeout, a refused connection, an unknown host, invalid JSON).",
            );
        }
        out.push_str("\n\n");
        let mut number = 0;
        for (index, step) in self.runbook.steps.iter().enumerate() {
            if step.conclude.is_some() || !self.reachable(step) {
                continue;
            }
            number += 1;
            let title = step.title.as_ref().map(|t| format!(": {}", value(t.trim()))).unwrap_or_default();
            let _ = writeln!(out, "### <a id=\"step-{0}\"></a>{number}. `{0}`{title}\n", step.id.value);
            if let Some(description) = &step.description {
                let _ = writeln!(out, "{}\n", kept_lines(&authored(description.trim())));
            }
            self.step_body(out, step);
            Self::limits(out, step);
            self.exits(out, index);
        }
    }

    /// Whether some run can reach `step`.
    fn reachable(&self, step: &Step) -> bool {
        !self.unreachable.contains(step.id.value.as_str())
    }

    /// What the step's kind says to do, in its words (`Prose`).
    fn step_body(&self, out: &mut String, step: &Step) {
        let [declared] = step.declared()[..] else { return };
        for block in declared.prose() {
            match block {
                Prose::Paragraph(words) => {
                    let _ = writeln!(out, "{}\n", self.words(&words, Place::Paragraph));
                }
                Prose::Quote(text) => {
                    let _ = writeln!(out, "> {}\n", value(text.trim()));
                }
                Prose::List(items) => {
                    for item in &items {
                        let _ = writeln!(out, "- {}", self.words(item, Place::Line));
                    }
                    if !items.is_empty() {
                        out.push('\n');
                    }
                }
                Prose::Checklist(items) => {
                    checklist(out, items);
                }
                Prose::Table(head, rows) => {
                    let _ = writeln!(out, "| {} |\n|{}", head.join(" | "), "---|".repeat(head.len()));
                    for row in &rows {
                        let cells: Vec<String> =
                            row.iter().map(|words| self.words(std::slice::from_ref(words), Place::Cell)).collect();
                        let _ = writeln!(out, "| {} |", cells.join(" | "));
                    }
                    out.push('\n');
                }
                Prose::Judged { probes, expect, capture, lead } => {
                    for probe in &probes {
                        out.push_str(&runbook_engine::probe::by_hand(*probe, expect));
                    }
                    let parts = parts_of(&probes);
                    Self::expectations(expect, parts, lead, out);
                    Self::captures(capture, parts, out);
                }
            }
        }
    }

    /// A run of words as Markdown, for `place`.
    fn words(&self, words: &[Words<'_>], place: Place) -> String {
        let mut text = String::new();
        for word in words {
            let markdown = match word {
                Words::Text(plain) => value(plain),
                Words::Markdown(written) if place == Place::Paragraph => kept_lines(&authored(written)),
                Words::Markdown(written) => authored(written),
                Words::Strong(stressed) => format!("**{stressed}**"),
                Words::Emphasis(name) => format!("*{}*", value(name)),
                Words::Code(written) => code(written),
                Words::Written(span) => code(&unquoted(&one_line(self.slice(*span)))),
                Words::Step(id) => step_link(id),
                Words::Runbook(path) => self.called(path),
                Words::Link(title, url) => self.link(title, url),
            };
            text.push_str(&match place {
                Place::Paragraph => markdown,
                Place::Line => markdown.replace('\n', "<br>"),
                Place::Cell => in_cell(&markdown),
            });
        }
        text
    }

    /// What passes (`lead`: "It passes when") and what only warns, one
    /// line each, with the author's `message` after a dash.
    fn expectations(expect: &[Spanned<Expectation>], parts: Option<Parts>, lead: &str, out: &mut String) {
        let warns =
            |e: &&Spanned<Expectation>| e.severity.as_ref().is_some_and(|s| s.value == ExpectationSeverity::Warn);
        let because = |e: &Expectation| {
            e.message
                .as_deref()
                .map(|m| format!(" — {}", authored(&m.split_whitespace().collect::<Vec<_>>().join(" "))))
        };
        let (warning, failing): (Vec<_>, Vec<_>) = expect.iter().partition(warns);
        if !failing.is_empty() {
            let _ = writeln!(out, "{lead}:\n");
            for expectation in failing {
                let why = because(expectation).unwrap_or_default();
                let _ = writeln!(out, "- {}{why}", in_words::holds(expectation, parts));
            }
            out.push('\n');
        }
        if !warning.is_empty() {
            let _ = writeln!(out, "It only warns (and goes on as the table says) when:\n");
            for expectation in warning {
                let why = because(expectation).unwrap_or_default();
                let _ = writeln!(out, "- {}{why}", in_words::fails(expectation, parts));
            }
            out.push('\n');
        }
    }

    /// What to note down, and where from, as `vars.NAME`.
    fn captures(captures: &IndexMap<Spanned<String>, Spanned<Capture>>, parts: Option<Parts>, out: &mut String) {
        if captures.is_empty() {
            return;
        }
        let _ = writeln!(out, "Note down:\n");
        for (name, capture) in captures {
            let _ = writeln!(out, "- `vars.{}`: {}", name.value, in_words::captured(&capture.value, parts));
        }
        out.push('\n');
    }

    /// Retries, the step's time limit and its visit limit, a sentence each.
    fn limits(out: &mut String, step: &Step) {
        if let Some(retry) = &step.retry {
            let _ = writeln!(out, "{}\n", in_words::retried(&retry.value));
        }
        if let Some(timeout) = &step.timeout {
            let whole = if step.call.is_some() {
                "the whole called runbook"
            } else if step.retry.is_some() {
                "this step, every try included,"
            } else {
                "this step"
            };
            let _ = writeln!(out, "Give {whole} at most {}: past that it ends in an error.\n", timeout.value);
        }
        if let Some(visits) = &step.max_visits {
            let _ = writeln!(out, "Come back to this step at most {} times.\n", visits.value);
        }
    }

    /// Where each outcome or answer leads, as a table.
    fn exits(&self, out: &mut String, index: usize) {
        let edges: Vec<&Edge> = self.flow.edges[index].iter().filter(|edge| edge.possible).collect();
        if edges.is_empty() {
            return;
        }
        if edges.iter().any(|edge| edge.when.is_some()) {
            let _ = writeln!(out, "Read the table from the top: the first row that matches is the way on.\n");
        }
        let _ = writeln!(out, "| If | Go to |\n|---|---|");
        for edge in edges {
            // The condition is the edge's own `when`, not a guess at where
            // the label's ` when ` is (an answer may hold those words).
            let condition = match edge
                .when
                .as_ref()
                .and_then(|when| Some((edge.label.strip_suffix(&format!(" when {}", when.value))?, &when.value)))
            {
                Some((key, expression)) => format!("{} when {}", value(key), in_cell(&code(expression))),
                None => value(&edge.label),
            };
            let target = match &edge.to {
                Destination::Step(to) => step_link(&self.runbook.steps.value[*to].id.value),
                Destination::Unknown(id) => format!("`{id}` (no such step)"),
                Destination::End => "the end: the runbook stops without a conclusion".to_owned(),
            };
            let _ = writeln!(out, "| {condition} | {target} |");
        }
        out.push('\n');
    }

    fn conclusions(&self, out: &mut String) {
        let concluding: Vec<(&Step, &Conclusion)> = self
            .runbook
            .steps
            .iter()
            .filter(|step| self.reachable(step))
            .filter_map(|s| s.conclude.as_ref().map(|c| (s, &c.value)))
            .collect();
        if concluding.is_empty() {
            return;
        }
        let _ = writeln!(out, "## Conclusions\n");
        for (step, conclusion) in concluding {
            let severity = conclusion.severity.as_ref().map(|s| format!(", {}", s.value.name()));
            let title = step.title.as_ref().map(|t| format!(": {}", value(t.trim()))).unwrap_or_default();
            let _ = writeln!(
                out,
                "### <a id=\"step-{0}\"></a>`{0}`{title} ({1}{2})\n",
                step.id.value,
                conclusion.status.value.name(),
                severity.unwrap_or_default()
            );
            if let Some(description) = &step.description {
                let _ = writeln!(out, "{}\n", kept_lines(&authored(description.trim())));
            }
            let section = |out: &mut String, name: &str, text: Option<&Spanned<String>>| {
                if let Some(text) = text {
                    let _ = writeln!(out, "**{name}**: {}\n", kept_lines(&authored(text.value.trim())));
                }
            };
            section(out, "Diagnosis", conclusion.diagnosis.as_ref());
            section(out, "What to do", conclusion.remediation.as_ref());
            if let Some(escalation) = &conclusion.escalation {
                let escalation = &escalation.value;
                let _ = writeln!(out, "**Escalate to** {}\n", value(&escalation.to.join(", ")));
                section(out, "Tell them", escalation.message.as_ref());
                if !escalation.evidence.is_empty() {
                    let steps: Vec<String> = escalation.evidence.iter().map(|id| step_link(&id.value)).collect();
                    let _ = writeln!(out, "Hand over what these steps showed: {}.\n", steps.join(", "));
                }
                checklist(out, &escalation.checklist);
            }
            if !conclusion.followups.is_empty() {
                let _ = writeln!(out, "Follow-ups:\n");
                checklist(out, &conclusion.followups);
            }
        }
    }

    /// A link: its title shown as it reads, its address in `<…>` so that
    /// spaces and brackets in it stay part of it. A relative address (a
    /// file beside the runbook) is made relative to the document's
    /// directory, so that it still leads to that file.
    /// An address with a scheme other than `http`, `https` or `mailto`
    /// (`javascript:`, `data:`) is no link: it is shown as written, after
    /// the title.
    fn link(&self, title: &str, url: &str) -> String {
        if is_unsafe_link(url) {
            return format!("{} ({})", value(title), code(url));
        }
        // What would end the `<…>` or the line is percent-encoded, as a
        // browser sends it: the link still leads where the runbook says.
        let url = self.rebased(url).replace('<', "%3C").replace('>', "%3E").replace('\n', "%0A").replace('\r', "%0D");
        format!("[{}](<{url}>)", value(title))
    }

    /// `url` as seen from the document's directory when it is a path
    /// relative to the runbook's; any other address as it is.
    fn rebased(&self, url: &str) -> String {
        let is_relative = !url.is_empty()
            && !url.contains(':')
            && !url.starts_with(['/', '#', '?'])
            && !url.contains("{{")
            && !url.contains("{%");
        let runbook_dir = directory_of(Path::new(self.source.name()));
        let (true, Ok(runbook_dir), Ok(directory)) =
            (is_relative, std::path::absolute(runbook_dir), std::path::absolute(self.directory))
        else {
            return url.to_owned();
        };
        let (path, anchor) = match url.find(['#', '?']) {
            Some(at) => url.split_at(at),
            None => (url, ""),
        };
        let target = normalized(&runbook_dir.join(path));
        let rebased = relative(&normalized(&directory), &target);
        format!("{}{anchor}", rebased.to_string_lossy())
    }

    /// A called runbook's path, linked to its document when it was rendered
    /// beside this one.
    fn called(&self, path: &str) -> String {
        let file = Path::new(self.source.name()).parent().unwrap_or(Path::new("")).join(path);
        match file.canonicalize().ok().and_then(|file| self.documents.get(&file)) {
            Some(document) => format!("[{}]({document})", in_words::code(path)),
            None => in_words::code(path),
        }
    }

    /// The YAML text of the node at `span`: loaded mappings and lists
    /// remember only where they start, so their extent is found here.
    fn slice(&self, span: Span) -> &str {
        node_text(self.source.text(), span)
    }
}

/// The words for the one probe of a check or action; `None` for a group.
fn parts_of(probes: &[DeclaredProbe<'_>]) -> Option<Parts> {
    match probes {
        [probe] => Some(runbook_engine::probe::parts(probe.kind())),
        _ => None,
    }
}

fn step_link(id: &str) -> String {
    format!("[`{id}`](#step-{id})")
}

/// Where words go: a paragraph keeps line breaks, a list item or a table
/// cell is one line, and a cell's `|` would end it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Paragraph,
    Line,
    Cell,
}

/// Items to tick off, each the author's Markdown on one line.
fn checklist(out: &mut String, items: &[String]) {
    for item in items {
        let _ = writeln!(out, "- [ ] {}", authored(item.trim()).replace('\n', "<br>"));
    }
    if !items.is_empty() {
        out.push('\n');
    }
}

/// Markdown an author wrote, kept (backticks, emphasis, links, lists), but
/// without raw HTML: a `<` outside code spans is escaped, so a placeholder
/// (`<namespace>`) shows as written and no tag or script reaches a viewer.
/// An autolink (`<https://…>`) is kept.
pub(crate) fn authored(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['`', '<', '\\', ']']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(target) = rest.strip_prefix("](") {
            // A link to another scheme than `http`, `https` or `mailto`
            // (`javascript:`) is no link, as in the document's own links.
            out.push_str(if is_unsafe_link(target.trim_start().trim_start_matches('<')) { "\\]" } else { "]" });
            rest = &rest[1..];
            continue;
        }
        if rest.starts_with(']') {
            out.push(']');
            rest = &rest[1..];
            continue;
        }
        // Kept as written: an escape the author wrote with the character it
        // escapes, a code span, an autolink.
        let kept = if let Some(escaped) = rest.strip_prefix('\\') {
            1 + escaped.chars().next().map_or(0, char::len_utf8)
        } else if rest.starts_with('`') {
            code_span_len(rest)
        } else if let Some((inside, _)) = rest[1..]
            .split_once('>')
            .filter(|(inside, _)| inside.contains("://") && !inside.contains(char::is_whitespace))
        {
            inside.len() + 2
        } else {
            out.push_str("\\<");
            rest = &rest[1..];
            continue;
        };
        out.push_str(&rest[..kept]);
        rest = &rest[kept..];
    }
    out.push_str(rest);
    out
}

/// Whether `url` has a scheme other than `http`, `https` or `mailto`
/// (`javascript:`, `data:`): no link in a document.
fn is_unsafe_link(url: &str) -> bool {
    url.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase()).is_some_and(|scheme| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !["http", "https", "mailto"].contains(&scheme.as_str())
    })
}

/// Markdown whose line breaks show as the run shows them: a hard break
/// (two spaces) at the end of each line followed by another in the same
/// paragraph, where Markdown would join the two with a space; blank lines
/// and fenced code blocks as written. The text stays in its place in the
/// document: a heading line (`# …`, or a `---`/`===` line under a
/// paragraph) is escaped, as `record.md` escapes it, and a fence the text
/// leaves open is closed at its end.
fn kept_lines(markdown: &str) -> String {
    let lines: Vec<&str> = markdown.split('\n').collect();
    let mut out = String::with_capacity(markdown.len() + lines.len() * 2);
    let is_fence = |line: &str| line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~");
    let mut fenced = false;
    let mut opening = "";
    for (at, line) in lines.iter().enumerate() {
        let fence = is_fence(line);
        fenced ^= fence;
        if fence && fenced {
            let trimmed = line.trim_start();
            let marker = trimmed.chars().next().unwrap_or('`');
            opening = &trimmed[..trimmed.len() - trimmed.trim_start_matches(marker).len()];
        }
        if !fenced && !fence && is_heading(line) {
            let indent = line.len() - line.trim_start().len();
            out.push_str(&line[..indent]);
            out.push('\\');
            out.push_str(&line[indent..]);
        } else {
            out.push_str(line);
        }
        let Some(next) = lines.get(at + 1) else { break };
        let joined = !next.trim().is_empty() && !is_fence(next);
        if !fenced && !fence && !line.trim().is_empty() && joined && !line.ends_with("  ") {
            out.push_str("  ");
        }
        out.push('\n');
    }
    if fenced {
        let _ = write!(out, "\n{opening}");
    }
    out
}

/// Whether a line outside code would make a heading: `#` to `######`
/// then a space or nothing, or a line of `-` or `=` alone (under a
/// paragraph it underlines it; alone, `---` is a rule, kept as text too).
fn is_heading(line: &str) -> bool {
    let trimmed = line.trim();
    if line.len() - line.trim_start().len() > 3 || trimmed.is_empty() {
        return false;
    }
    let hashes = trimmed.len() - trimmed.trim_start_matches('#').len();
    let after = &trimmed[hashes..];
    (1..=6).contains(&hashes) && (after.is_empty() || after.starts_with([' ', '\t']))
        || trimmed.chars().all(|c| c == '-')
        || trimmed.chars().all(|c| c == '=')
}

/// The length of the code span `text` starts with: up to the next run of
/// exactly as many backticks, or the opening run alone when none closes it
/// (then it is text).
fn code_span_len(text: &str) -> usize {
    let backticks = |from: usize| text[from..].len() - text[from..].trim_start_matches('`').len();
    let run = backticks(0);
    let mut at = run;
    while let Some(found) = text[at..].find('`') {
        let start = at + found;
        let len = backticks(start);
        if len == run {
            return start + len;
        }
        at = start + len;
    }
    run
}

/// Markdown fit for one table cell: a `|` not already escaped is, a line
/// break inside a paragraph is the space Markdown reads it as, and a
/// blank line between paragraphs is `<br>`.
pub(crate) fn in_cell(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut escaped = false;
    let mut chars = markdown.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' if !escaped => out.push_str("\\|"),
            '\n' if chars.next_if_eq(&'\n').is_some() => {
                while chars.next_if_eq(&'\n').is_some() {}
                out.push_str("<br>");
            }
            '\n' => out.push(' '),
            _ => out.push(c),
        }
        escaped = c == '\\' && !escaped;
    }
    out
}

/// The directory a file is in: `.` for a bare file name.
pub(crate) fn directory_of(file: &Path) -> &Path {
    file.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// `path` with its `.` and `..` resolved by name (the file it names may
/// not exist).
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The path that leads from the directory `from` to `to`, both absolute
/// and normalized.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let (from, to): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    std::iter::repeat_n(Component::ParentDir, from.len() - common).chain(to[common..].iter().copied()).collect()
}

/// The text of the YAML node that starts at `span`: a scalar's own span,
/// a flow collection up to its closing bracket, a block collection up to
/// the first line indented less than its first key.
fn node_text(text: &str, span: Span) -> &str {
    let start = span.start.min(text.len());
    let rest = &text[start..];
    if let Some(open @ ('{' | '[')) = rest.chars().next() {
        let close = if open == '{' { '}' } else { ']' };
        let (mut depth, mut quote) = (0_usize, None);
        for (offset, c) in rest.char_indices() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, c) if c == open => depth += 1,
                (None, c) if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return &rest[..=offset];
                    }
                }
                _ => {}
            }
        }
        return rest;
    }
    if span.len() > 1 {
        return &text[start..span.end.min(text.len())];
    }
    // A one-character scalar inside a flow mapping or list (`{ default: 0,
    // min: 1 }`) ends where the collection goes on.
    let after = rest.get(1..).unwrap_or("").trim_start_matches(' ');
    if span.len() == 1 && (after.starts_with([',', '}', ']']) || after.is_empty()) {
        return &rest[..1];
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let column = start - line_start;
    let mut end = rest.find('\n').map_or(text.len(), |i| start + i);
    while end < text.len() {
        let next_line = &text[end + 1..];
        let line = next_line.split('\n').next().unwrap_or("");
        let indent = line.len() - line.trim_start().len();
        if !line.trim().is_empty() && indent < column {
            break;
        }
        end += 1 + line.len();
    }
    text[start..end].trim_end()
}

/// `value` on one line, as YAML's flow style writes it: `["/a", "/b"]`,
/// `{"k": 1}`, `3`.
fn flow(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Array(items) => format!("[{}]", items.iter().map(flow).collect::<Vec<_>>().join(", ")),
        serde_json::Value::Object(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(key, item)| format!("{}: {}", serde_json::Value::from(key.as_str()), flow(item)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

/// A YAML fragment on one line: comments dropped, a flow mapping's braces
/// removed, the lines of a block mapping joined with `, ` (a flow
/// collection wrapped over lines keeps its own commas).
fn one_line(yaml: &str) -> String {
    let lines =
        yaml.lines().map(|line| without_comment(line).trim().trim_start_matches("- ")).filter(|line| !line.is_empty());
    let mut joined = String::new();
    for line in lines {
        let separator = if joined.is_empty() || joined.ends_with(['[', '{']) || line.starts_with([']', '}']) {
            ""
        } else if joined.ends_with(',') {
            " "
        } else {
            ", "
        };
        joined.push_str(separator);
        joined.push_str(line);
    }
    let inner = joined.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')).unwrap_or(&joined);
    inner.trim().to_owned()
}

/// A YAML fragment that is one quoted string (`"no"`, `'{{ x }}'`) as the
/// string it stands for; anything else as it is.
fn unquoted(yaml: &str) -> String {
    if yaml.len() >= 2 && yaml.starts_with('"') && yaml.ends_with('"') {
        if let Ok(text) = serde_json::from_str::<String>(yaml) {
            return text;
        }
    } else if yaml.len() >= 2 && yaml.starts_with('\'') && yaml.ends_with('\'') {
        let inner = &yaml[1..yaml.len() - 1];
        if !inner.replace("''", "").contains('\'') {
            return inner.replace("''", "'");
        }
    }
    yaml.to_owned()
}

/// `line` without a trailing `# comment` (a `#` outside quotes, after a
/// space or at the start).
fn without_comment(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (offset, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            (None, '#') if previous == ' ' => return &line[..offset],
            _ => {}
        }
        previous = c;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_fragments_fit_on_one_line() {
        assert_eq!(one_line("{ status: 200 }"), "status: 200");
        assert_eq!(one_line("json: $.a # why\n  eq: \"x # y\""), "json: $.a, eq: \"x # y\"");
        assert_eq!(one_line("# only a comment\nattempts: 3"), "attempts: 3");
        assert_eq!(one_line("url: http://h/#frag"), "url: http://h/#frag");
        // A flow collection wrapped over lines keeps its own commas.
        assert_eq!(one_line("in: [500, 502,\n      503]"), "in: [500, 502, 503]");
        assert_eq!(one_line("in: [\n  500, 502\n]"), "in: [500, 502]");
        assert_eq!(unquoted("\"no\""), "no");
        assert_eq!(unquoted("'it''s'"), "it's");
        assert_eq!(unquoted("'a', 'b'"), "'a', 'b'");
        assert_eq!(unquoted("\"a\", \"b\""), "\"a\", \"b\"");
    }

    #[test]
    fn nodes_extend_to_their_end() {
        let text = "a:\n  - status: 200\n    severity: warn\n  - { json: \"$.a}\", eq: 1 }\nb: 2\n";
        let block = text.find("status").unwrap();
        assert_eq!(node_text(text, Span::new(block, 0)), "status: 200\n    severity: warn");
        let flow = text.find('{').unwrap();
        assert_eq!(node_text(text, Span::new(flow, 1)), "{ json: \"$.a}\", eq: 1 }");
        assert_eq!(node_text(text, Span::new(text.len() - 2, 1)), "2");
    }
}
