//! The run as people watch it: a compact block per step on stdout, a
//! spinner on stderr while probes run, and the conclusion at the end.
//! `--format json` replaces it with [`JsonLines`].

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use console::Style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use runbook_engine::event::{
    ActionDecision, AnsweredBy, ConclusionView, Event, EventSink, Part, RunStatus, unrouted_words, unset_words,
};
use runbook_engine::interpret::Mode;
use runbook_engine::printable::{printable_line, printable_lines};
use runbook_engine::probe::ProbeError;
use runbook_model::StepPath;
use runbook_model::{EdgeKind, StepKind};

use crate::evidence::{self, Look};

/// Draws events for people.
pub(crate) struct View {
    look: Look,
    spinner: Option<ProgressBar>,
    spinners: bool,
    /// The probes of the step running now, shown when it finishes.
    parts: Vec<Arc<Part>>,
    /// Attempt being collected, for retried steps.
    attempt: u32,
    kind: Option<StepKind>,
    /// Whether prompts show questions and instructions; otherwise the view
    /// does. A prompt shows them only when someone answers it: what
    /// `--accept-defaults`, `--yes` or `--answer` settled is shown here.
    interactive: bool,
    /// The question asked at a terminal, shown once its answer says that no
    /// prompt showed it.
    question: Option<String>,
    /// Where scripted answers came from, as the view names it: `--answer`,
    /// or a test case's answers.
    answers_from: &'static str,
    /// The last step's outcome or answer, which an unrouted fall-through names.
    last: Option<String>,
}

impl View {
    /// A view; `spinners` when stderr is a terminal.
    pub(crate) fn new(look: Look, spinners: bool) -> Self {
        Self {
            look,
            spinner: None,
            spinners,
            parts: Vec::new(),
            attempt: 0,
            kind: None,
            interactive: false,
            question: None,
            answers_from: "--answer",
            last: None,
        }
    }

    /// The view of a resumed run, which starts with no `run_started`:
    /// whether prompts show questions and instructions (so that the view
    /// neither prints them twice nor says an answer came from `--answer`).
    pub(crate) fn resuming(self, interactive: bool) -> Self {
        Self { interactive, ..self }
    }

    /// A view of a test case played by `runbook run --dry-run --case`: its
    /// answers come from the case, not from `--answer`.
    pub(crate) fn playing_case(look: Look) -> Self {
        Self { answers_from: "the case's answers", ..Self::new(look, false) }
    }

    fn print(&mut self, text: &str) {
        if let Some(spinner) = &self.spinner {
            spinner.suspend(|| write_stdout(text));
        } else {
            write_stdout(text);
        }
    }

    fn spin(&mut self, message: &str) {
        if !self.spinners {
            return;
        }
        let target = ProgressDrawTarget::term_like_with_hz(Box::new(SpinnerTerm(console::Term::stderr())), 20);
        let spinner = ProgressBar::with_draw_target(None, target);
        spinner.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.set_message(printable_line(message).into_owned());
        spinner.enable_steady_tick(Duration::from_millis(100));
        self.spinner = Some(spinner);
    }

    fn stop_spinner(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }
}

/// Columns left free at the end of the spinner's line (see [`SpinnerTerm`]).
const ECHO_ROOM: u16 = 2;

/// stderr as the spinner draws on it, [`ECHO_ROOM`] columns narrower than
/// the terminal: indicatif pads its line to the last column, so the `^C`
/// the terminal echoes at Ctrl-C would wrap onto a line of its own, and
/// clearing the spinner would then clear that line and leave the spinner's.
#[derive(Debug)]
struct SpinnerTerm(console::Term);

impl indicatif::TermLike for SpinnerTerm {
    fn width(&self) -> u16 {
        self.0.size().1.saturating_sub(ECHO_ROOM)
    }

    fn height(&self) -> u16 {
        self.0.size().0
    }

    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_up(n)
    }

    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_down(n)
    }

    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_right(n)
    }

    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_left(n)
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.0.write_line(s)
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.0.write_str(s)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        self.0.clear_line()
    }

    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl EventSink for View {
    fn emit(&mut self, event: &Event) {
        let look = self.look;
        match event {
            Event::RunStarted(info) => {
                self.interactive = info.interactive;
                let mode = if info.mode == Mode::Live { String::new() } else { format!(" [{}]", info.mode.name()) };
                let title = look.paint(&Style::new().bold(), &info.title);
                let text = format!("{title}{mode}\n{}\n", look.dim(&format!("{} · run {}", info.path, info.id)));
                self.print(&text);
            }
            Event::StepStarted { step, kind, title, description, visit } => {
                self.parts.clear();
                self.last = None;
                self.attempt = 0;
                self.kind = Some(*kind);
                let again = if *visit > 1 { look.dim(&format!(" (visit {visit})")) } else { String::new() };
                let title = title.as_deref().map(|t| format!("  {}", printable_line(t))).unwrap_or_default();
                let mut text = format!(
                    "\n{} {}{title}{again}\n",
                    look.paint(&Style::new().cyan(), "▶"),
                    look.paint(&Style::new().bold(), step)
                );
                if let Some(description) = description.as_ref().filter(|_| look.verbose) {
                    for line in description.lines() {
                        let _ = writeln!(text, "  {}", look.dim(line));
                    }
                }
                self.print(&text);
                if kind.works_alone() {
                    self.spin(&title_or(step, title.trim()));
                }
            }
            Event::Probe { attempt, part, .. } => {
                if *attempt != self.attempt {
                    self.parts.clear();
                    self.attempt = *attempt;
                }
                self.parts.push(Arc::clone(part));
            }
            Event::AttemptFinished { .. } | Event::Called { .. } | Event::SecretsLearned { .. } => {}
            Event::Resumed { step, runbook_changed, .. } => {
                let changed = if *runbook_changed { " (the runbook changed since it last ran)" } else { "" };
                self.print(&format!("{}\n", look.dim(&format!("resuming at step {step}{changed}"))));
            }
            Event::Waiting { attempt, wait_ms, .. } => {
                let outcome = runbook_engine::worst(self.parts.iter().map(|p| p.outcome));
                let wait = runbook_engine::probe::elapsed_text(*wait_ms);
                let text = format!("  {} attempt {attempt}: {}, next in {wait}\n", look.dim("↻"), outcome.name());
                self.print(&text);
            }
            Event::Question { question, .. } => {
                self.stop_spinner();
                let question = format!("  ? {}\n", printable_lines(question.trim()));
                if self.interactive {
                    self.question = Some(question);
                } else {
                    self.print(&question);
                }
            }
            Event::Answered { answer, by, .. } => {
                if let Some(question) = self.question.take().filter(|_| *by != AnsweredBy::Operator) {
                    self.print(&question);
                }
                let answer = answer.as_str().map_or_else(|| answer.to_string(), str::to_owned);
                self.last = Some(format!("answer {answer}"));
                let by = look.dim(&format!("({})", by.name()));
                self.print(&format!("  answer: {} {by}\n", look.paint(&Style::new().bold(), &answer)));
            }
            Event::Instructed { text: instruction, ticked, unticked, notes, by, .. } => {
                self.stop_spinner();
                let mut text = String::new();
                if !self.interactive || *by != AnsweredBy::Operator {
                    for line in instruction.trim_end().lines() {
                        let _ = writeln!(text, "  {}", printable_line(line));
                    }
                }
                for item in ticked {
                    let _ = writeln!(text, "  {} {}", look.paint(&Style::new().green(), "☑"), printable_line(item));
                }
                for item in unticked {
                    let _ = writeln!(text, "  ☐ {}", printable_line(item));
                }
                for (name, note) in notes {
                    let note =
                        note.as_str().map_or_else(|| look.dim("(not given)"), |n| printable_line(n).into_owned());
                    let _ = writeln!(text, "  {name}: {note}");
                }
                self.print(&text);
            }
            Event::ActionDecided { confirm, target, decision, by, .. } => {
                let text = match decision {
                    ActionDecision::Run => {
                        if !self.interactive || *by != AnsweredBy::Operator {
                            let by = if *by == AnsweredBy::Mode { "--yes" } else { self.answers_from };
                            let what = confirm
                                .as_deref()
                                .map(|c| format!(": {}", printable_line(c.trim())))
                                .unwrap_or_default();
                            self.print(&format!("  {}{what}\n", look.dim(&format!("action confirmed by {by}"))));
                        }
                        self.spin(target.lines().next().unwrap_or_default());
                        return;
                    }
                    ActionDecision::Declined => evidence::labelled("declined, not run:", target, look),
                    ActionDecision::NotInThisMode => evidence::labelled("not run in this mode:", target, look),
                };
                self.print(&text);
            }
            Event::StepFinished { outcome, error, duration_ms, captures, uncaptured, .. } => {
                self.stop_spinner();
                let mut text = String::new();
                let show_output = self.kind == Some(StepKind::Collect);
                text.push_str(&evidence::parts(&self.parts, look, show_output));
                if let Some(outcome) = outcome {
                    self.last = Some(outcome.name().to_owned());
                    let time = runbook_engine::probe::elapsed_text(*duration_ms);
                    let _ = write!(text, "  {} {}", look.outcome(*outcome), look.dim(&format!("in {time}")));
                    // Unless a probe's line said it already (its error, or the
                    // reason of a failure it judged, a `tcp` check's): a
                    // step's timeout, or a capture that did not convert.
                    let said = |e: &&ProbeError| self.parts.iter().any(|part| part.says(e));
                    if let Some(error) = error.as_ref().filter(|e| !said(e)) {
                        let _ = write!(
                            text,
                            " {}",
                            look.paint(&Style::new().red(), &format!("({}: {})", error.kind.name(), error.message))
                        );
                    }
                    text.push('\n');
                }
                for (name, value) in captures {
                    let _ = writeln!(text, "  {}{name} = {}", look.dim("vars."), captured_value(value, look.verbose));
                }
                for name in uncaptured {
                    let words = unset_words(name, *outcome, error.as_ref());
                    let _ = writeln!(text, "  {}{name} {}", look.dim("vars."), look.dim(words));
                }
                self.print(&text);
            }
            Event::Transition { to, via, kind, unrouted, .. } => {
                let shown = to.as_deref().unwrap_or("the end");
                if let Some(why) = unrouted {
                    let words = unrouted_words(self.last.as_deref().unwrap_or(via), *why, to.as_deref());
                    let style = Style::new().yellow();
                    self.print(&format!("  {} {shown} {}\n", look.dim("→"), look.paint(&style, &format!("({words})"))));
                } else if matches!(kind, EdgeKind::Choice | EdgeKind::On | EdgeKind::Next) {
                    // Going on to the step below says nothing the next step
                    // does not; `next:` may jump anywhere, so it is said.
                    self.print(&format!("  {} {shown} {}\n", look.dim("→"), look.dim(&format!("({via})"))));
                }
            }
            Event::Concluded { step, conclusion } => {
                let text = match StepPath::new(step).caller_and_id() {
                    Some((call, _)) => {
                        let diagnosis = conclusion
                            .diagnosis
                            .as_deref()
                            .map(|d| format!(": {}", printable_line(d.trim())))
                            .unwrap_or_default();
                        format!("  {} {call} concluded {}{diagnosis}\n", look.dim("↳"), conclusion.status.name())
                    }
                    None => conclusion_text(conclusion, look),
                };
                self.print(&text);
            }
            Event::RunFinished { status, message, duration_ms } => {
                self.stop_spinner();
                let time = runbook_engine::probe::elapsed_text(*duration_ms);
                let text = match (status, message) {
                    (RunStatus::Concluded, _) => format!("\n{}\n", look.dim(&format!("run took {time}"))),
                    (status, Some(message)) => {
                        let style =
                            if *status == RunStatus::Ended { Style::new().yellow() } else { Style::new().red() };
                        format!(
                            "\n{} {}\n{}\n",
                            look.paint(&style.bold(), &format!("run {}:", status.name())),
                            printable_lines(message),
                            look.dim(&format!("run took {time}"))
                        )
                    }
                    (status, None) => format!("\nrun {}\n", status.name()),
                };
                self.print(&text);
            }
        }
    }

    /// It shows what each probe observed, never a step's facts.
    fn reads_step_facts(&self) -> bool {
        false
    }
}

/// A captured value as the view shows it: a string in quotes, so that the
/// text "3" does not pass for the number 3 nor "false" for the boolean;
/// cut at 80 characters unless verbose.
fn captured_value(value: &serde_json::Value, verbose: bool) -> String {
    let shown = value.as_str().map_or_else(|| value.to_string(), |v| printable_line(v).into_owned());
    let shown = if shown.chars().count() > 80 && !verbose {
        format!("{}…", shown.chars().take(80).collect::<String>())
    } else {
        shown
    };
    if value.is_string() { format!("\"{shown}\"") } else { shown }
}

fn title_or(step: &str, title: &str) -> String {
    if title.is_empty() { step.to_owned() } else { title.to_owned() }
}

/// The conclusion block.
fn conclusion_text(conclusion: &ConclusionView, look: Look) -> String {
    let mut text = String::new();
    let severity = conclusion.severity.map(|s| format!(" · severity {}", s.name())).unwrap_or_default();
    let head = format!("■ {}{severity}", conclusion.status.name());
    let _ = writeln!(text, "\n{}", look.paint(&Style::new().bold().magenta(), &head));
    let block = |text: &mut String, label: &str, body: &str| {
        let _ = writeln!(text, "  {}", look.paint(&Style::new().bold(), label));
        for line in body.trim_end().lines() {
            let _ = writeln!(text, "    {}", printable_line(line));
        }
    };
    if let Some(diagnosis) = &conclusion.diagnosis {
        block(&mut text, "Diagnosis", diagnosis);
    }
    if let Some(remediation) = &conclusion.remediation {
        block(&mut text, "Remediation", remediation);
    }
    if let Some(escalation) = &conclusion.escalation {
        let to = printable_line(&escalation.to.join(", ")).into_owned();
        let _ = writeln!(text, "  {} {to}", look.paint(&Style::new().bold(), "Escalate to"));
        if let Some(message) = &escalation.message {
            for line in message.trim_end().lines() {
                let _ = writeln!(text, "    {}", printable_line(line));
            }
        }
        if !escalation.evidence.is_empty() {
            let _ = writeln!(text, "    evidence: {}", printable_line(&escalation.evidence.join(", ")));
        }
        for item in &escalation.checklist {
            let _ = writeln!(text, "    ☐ {}", printable_line(item));
        }
    }
    if !conclusion.followups.is_empty() {
        let _ = writeln!(text, "  {}", look.paint(&Style::new().bold(), "Follow-ups"));
        for item in &conclusion.followups {
            let _ = writeln!(text, "    - {}", printable_line(item));
        }
    }
    text
}

/// Writes to stdout, ignoring a closed pipe: the run goes on and the
/// record (or the exit code) still tells how it ended.
fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

/// `--format json`: every event as one JSON line on stdout, but for what
/// only the journal keeps of secrets (fingerprints; their salt is not
/// serialized with `run_started`).
pub(crate) struct JsonLines;

impl EventSink for JsonLines {
    fn emit(&mut self, event: &Event) {
        let line = match event {
            Event::SecretsLearned { .. } => return,
            _ => serde_json::to_string(event),
        };
        if let Ok(mut line) = line {
            line.push('\n');
            write_stdout(&line);
        }
    }
}
