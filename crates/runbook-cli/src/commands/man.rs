//! `runbook man`: the manual page, generated from the same clap definition
//! as `--help`, with every subcommand's full help as a section of its own
//! so that one page documents everything.

use std::fmt::Write as _;

use clap::CommandFactory;

use super::{print_stderr, print_stdout};
use crate::cli::Cli;
use crate::exit_code::ExitCode;

pub(super) fn run() -> ExitCode {
    match page() {
        Ok(page) => print_stdout(&page),
        Err(error) => {
            print_stderr(&format!("error: cannot write the manual page: {error}\n"));
            ExitCode::Io
        }
    }
}

/// `runbook(1)` in roff. clap_mangen's own COMMANDS list points at
/// `runbook-run(1)` pages that are not shipped: the list here points at the
/// sections of this page instead.
fn page() -> std::io::Result<String> {
    let mut command = Cli::command();
    command.build();
    let man = clap_mangen::Man::new(command.clone());
    let mut roff = Vec::new();
    man.render_title(&mut roff)?;
    man.render_name_section(&mut roff)?;
    man.render_synopsis_section(&mut roff)?;
    man.render_description_section(&mut roff)?;
    man.render_options_section(&mut roff)?;
    let mut page = String::from_utf8_lossy(&roff).into_owned();
    page.push_str(".SH COMMANDS\n");
    for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
        let name = format!("runbook {}", sub.get_name());
        let about = sub.get_about().map(|about| literal(about.to_string().trim_end_matches('.'))).unwrap_or_default();
        let _ = write!(page, ".TP\n\\fB{name}\\fR\n{about}. See \\fB{}\\fR below.\n", name.to_uppercase());
    }
    let mut roff = Vec::new();
    man.render_version_section(&mut roff)?;
    page.push_str(&String::from_utf8_lossy(&roff));
    // Each section clap_mangen renders repeats the page's preamble: once is enough.
    let preamble = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    if let Some(first) = page.find(preamble) {
        let rest = page.split_off(first + preamble.len());
        page.push_str(&rest.replace(preamble, ""));
    }
    for sub in command.get_subcommands_mut().filter(|sub| sub.get_name() != "help") {
        let title = format!("runbook {}", sub.get_name()).to_uppercase();
        let help = sub.render_long_help().to_string();
        let _ = write!(page, ".SH \"{title}\"\n.nf\n");
        for line in help.lines() {
            page.push_str(&literal(line));
            page.push('\n');
        }
        page.push_str(".fi\n");
    }
    Ok(page)
}

/// A line of text roff prints as it is: backslashes escaped, and a leading
/// `.` or `'` (a roff request) neutralised.
fn literal(line: &str) -> String {
    let escaped = line.replace('\\', "\\e");
    if escaped.starts_with('.') || escaped.starts_with('\'') { format!("\\&{escaped}") } else { escaped }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_requests_in_help_text_are_neutralised() {
        assert_eq!(literal(".SH x"), "\\&.SH x");
        assert_eq!(literal("a\\b"), "a\\eb");
        assert_eq!(literal("plain"), "plain");
    }
}
