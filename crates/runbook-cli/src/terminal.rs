//! The operator at a terminal: prompts with dialoguer on stderr. Ctrl-C at
//! a prompt aborts the run and gives the cursor back.

use std::fmt::Write as _;
use std::sync::Arc;

use console::{Key, Style, Term};
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input, MultiSelect, Select};
use runbook_engine::event::AnsweredBy;
use runbook_engine::operator::{
    ActionRequest, InputRequest, InstructReply, Instruction, Operator, OperatorError, Question, Reply, default_answer,
    validate_answer,
};
use runbook_engine::printable::{printable_line, printable_lines};
use runbook_model::AskType;

use crate::evidence::{self, Look};
use crate::signals::Caught;

/// Asks the person at the terminal.
pub(crate) struct Terminal {
    look: Look,
    theme: Box<dyn Theme>,
    term: Term,
    /// SIGINT, SIGTERM and SIGHUP: no prompt opens after one.
    interrupted: Arc<Caught>,
}

impl Terminal {
    /// Prompts on stderr.
    pub(crate) fn new(look: Look, interrupted: Arc<Caught>) -> Self {
        let theme: Box<dyn Theme> = if look.color { Box::new(ColorfulTheme::default()) } else { Box::new(SimpleTheme) };
        Self { look, theme, term: Term::stderr(), interrupted }
    }

    /// Refuses to open a prompt once the run was interrupted.
    fn check_interrupted(&self) -> Result<(), OperatorError> {
        if self.interrupted.signal().is_some() { Err(OperatorError::Interrupted) } else { Ok(()) }
    }

    fn say(&self, text: &str) {
        let _ = self.term.write_str(text);
    }

    /// A yes/no prompt, the same everywhere: `y` or `n` then Enter (a
    /// stray key never runs an action alone), Enter alone takes the default
    /// shown as `[Y/n]` or `[y/N]`.
    fn yes_or_no(&self, prompt: &str, default: Option<bool>) -> Result<bool, OperatorError> {
        let mut confirm = Confirm::with_theme(&*self.theme).with_prompt(prompt).wait_for_newline(true);
        if let Some(default) = default {
            confirm = confirm.default(default);
        }
        confirm.interact_on(&self.term).map_err(|e| self.failed(e))
    }

    /// A line typed without echo (a secret input), read key by key in raw
    /// mode: Ctrl-C ends it, and so do SIGTERM and SIGHUP. (The terminal's
    /// own hidden line read would wait on through all three.) An empty
    /// line asks again.
    fn hidden_line(&self, prompt: &str) -> Result<String, OperatorError> {
        if !self.term.is_term() {
            return Err(OperatorError::Io("not a terminal".to_owned()));
        }
        loop {
            let mut shown = String::new();
            let _ = self.theme.format_password_prompt(&mut shown, prompt);
            self.say(&format!("\r{shown}"));
            let mut typed = String::new();
            loop {
                match self.term.read_key() {
                    Ok(Key::Enter) => break,
                    Ok(Key::Backspace) => {
                        typed.pop();
                    }
                    Ok(Key::Char(character)) => typed.push(character),
                    Ok(_) => {}
                    Err(error) => return Err(self.failed(dialoguer::Error::IO(error))),
                }
            }
            let _ = self.term.clear_line();
            if !typed.is_empty() {
                let mut done = String::new();
                let _ = self.theme.format_password_prompt_selection(&mut done, prompt);
                let _ = self.term.write_line(&done);
                return Ok(typed);
            }
        }
    }

    /// A prompt's failure: Ctrl-C (the terminal reports it as an
    /// interrupted read) or a broken terminal.
    fn failed(&self, error: dialoguer::Error) -> OperatorError {
        let dialoguer::Error::IO(error) = error;
        let _ = self.term.show_cursor();
        if error.kind() == std::io::ErrorKind::Interrupted {
            let _ = self.term.write_line("");
            OperatorError::Interrupted
        } else {
            OperatorError::Io(error.to_string())
        }
    }
}

impl Operator for Terminal {
    fn ask(&mut self, question: &Question<'_>) -> Result<Reply<String>, OperatorError> {
        self.check_interrupted()?;
        let look = self.look;
        let mut text = String::new();
        for (step, parts) in &question.evidence {
            let _ = writeln!(text, "  {}", look.dim(&format!("evidence from {step}:")));
            text.push_str(&evidence::parts(parts, look, true));
        }
        self.say(&text);
        let ask = question.ask;
        let default = default_answer(ask);
        let prompt = printable_lines(question.text.trim()).into_owned();
        let answer = match ask.ask_type() {
            AskType::Choice => {
                let labels: Vec<String> = ask
                    .choices
                    .iter()
                    .map(|c| match &c.label {
                        Some(label) => format!("{label} ({})", c.answer.value),
                        None => c.answer.value.clone(),
                    })
                    .map(|label| printable_line(&label).into_owned())
                    .collect();
                // The cursor starts on the question's default, else on the
                // first choice, as the checklist's does: Enter answers the
                // highlighted one, which the operator sees.
                let prompt = format!("{prompt} (arrow keys to choose, enter to answer)");
                let start =
                    default.as_ref().and_then(|d| ask.choices.iter().position(|c| c.answer.value == *d)).unwrap_or(0);
                let select = Select::with_theme(&*self.theme).with_prompt(&prompt).items(&labels).default(start);
                let index = select.interact_on(&self.term).map_err(|e| self.failed(e))?;
                ask.choices[index].answer.value.clone()
            }
            AskType::Confirm => {
                let yes = self.yes_or_no(&prompt, default.as_ref().map(|d| d == "yes"))?;
                if yes { "yes" } else { "no" }.to_owned()
            }
            AskType::Text | AskType::Number => {
                let mut input = Input::<String>::with_theme(&*self.theme)
                    .with_prompt(&prompt)
                    .validate_with(|text: &String| validate_answer(ask, text).map(|_| ()));
                if let Some(default) = default {
                    input = input.default(default);
                }
                input.interact_text_on(&self.term).map_err(|e| self.failed(e))?
            }
        };
        Ok(Reply { value: answer, by: AnsweredBy::Operator })
    }

    fn instruct(&mut self, instruction: &Instruction<'_>) -> Result<Reply<InstructReply>, OperatorError> {
        self.check_interrupted()?;
        let look = self.look;
        let mut text = String::new();
        for line in instruction.text.trim_end().lines() {
            let _ = writeln!(text, "  {}", printable_line(line));
        }
        for (title, url) in &instruction.links {
            let title = printable_line(title);
            let _ = writeln!(text, "  {} {title}: {}", look.dim("↗"), look.paint(&Style::new().underlined(), url));
        }
        self.say(&text);
        let ticked = if instruction.checklist.is_empty() {
            Vec::new()
        } else {
            MultiSelect::with_theme(&*self.theme)
                .with_prompt("Tick what you have done (space to tick, enter when done)")
                .items(instruction.checklist.iter().map(|item| printable_line(item)))
                .interact_on(&self.term)
                .map_err(|e| self.failed(e))?
        };
        let mut notes = Vec::new();
        for (name, prompt) in &instruction.notes {
            let note = Input::<String>::with_theme(&*self.theme)
                .with_prompt(printable_line(prompt))
                .allow_empty(true)
                .interact_text_on(&self.term)
                .map_err(|e| self.failed(e))?;
            // Enter alone gives nothing, as an unattended run does: not "".
            if !note.trim().is_empty() {
                notes.push(((*name).to_owned(), note));
            }
        }
        let mut done = true;
        if instruction.checklist.is_empty() && instruction.notes.is_empty() {
            done = self.yes_or_no("Done?", Some(true))?;
        }
        Ok(Reply { value: InstructReply { ticked, notes, done }, by: AnsweredBy::Operator })
    }

    fn confirm(&mut self, action: &ActionRequest<'_>) -> Result<Reply<bool>, OperatorError> {
        self.check_interrupted()?;
        let look = self.look;
        let mut text = String::new();
        if action.again {
            let warning = "This action ran, or was running, before the run stopped: it may have run already.";
            let _ = writeln!(text, "  {}", look.paint(&Style::new().red().bold(), warning));
        }
        let _ = writeln!(text, "  {}", look.paint(&Style::new().yellow().bold(), "This action changes the system:"));
        if let Some(confirm) = action.confirm {
            for line in confirm.trim_end().lines() {
                let _ = writeln!(text, "  {}", printable_line(line));
            }
        }
        text.push_str(&evidence::labelled("runs:", action.target, look));
        self.say(&text);
        let yes = self.yes_or_no("Run it?", Some(false))?;
        Ok(Reply { value: yes, by: AnsweredBy::Operator })
    }

    fn input(&mut self, request: &InputRequest<'_>) -> Result<String, OperatorError> {
        self.check_interrupted()?;
        let prompt = match request.description {
            Some(description) => format!("{} ({description})", request.name),
            None => request.name.to_owned(),
        };
        if request.secret {
            return self.hidden_line(&prompt);
        }
        Input::<String>::with_theme(&*self.theme)
            .with_prompt(prompt)
            .interact_text_on(&self.term)
            .map_err(|e| self.failed(e))
    }
}
