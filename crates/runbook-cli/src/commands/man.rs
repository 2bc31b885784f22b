//! `runbook man`: the manual page, generated from the same clap definition
//! as `--help`, with every subcommand as a section of its own so that one
//! page documents everything, then the exit status, the environment and
//! examples.

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

/// The variables `runbook` reads, for the ENVIRONMENT section (docs/cli.md
/// has the same table).
pub(crate) const ENVIRONMENT: [(&str, &str); 8] = [
    ("NO_COLOR", "when set and not empty, no colours with `--color auto` (the default)"),
    ("USER", "who runs a run, for the record, unless `--operator` (else the uid's user name)"),
    ("RUNBOOK_NO_CACHE", "`1`: `check` neither reads nor writes its cache of findings, as `--no-cache`"),
    ("RUNBOOK_CACHE_DIR", "where `check` keeps that cache (else `$XDG_CACHE_HOME/runbook`, else `~/.cache/runbook`)"),
    (
        "RUNBOOK_VIRTUAL_CLOCK",
        "`1`: `run` and `resume` on virtual time, as `runbook test`; for runbook's own tests, never for an incident",
    ),
    (
        "http_proxy, https_proxy, all_proxy, no_proxy",
        "the proxy of `http` probes, read as curl reads them (upper case too); see docs/dsl.md",
    ),
    ("PATH", "where `cmd` probes and Graphviz's `dot` (for `graph --format svg`) are found"),
    (
        "RUNBOOK_RUN_ID",
        "set by `runbook run` and `resume` in their own environment, so in every command they run: the run's id (not read)",
    ),
];

/// Commands a first reader tries, for the EXAMPLES section.
const EXAMPLES: [(&str, &str); 5] = [
    ("runbook new disk-full", "write a skeleton runbook and its test cases to edit"),
    ("runbook check disk-full.yaml", "find its mistakes, at their line and column"),
    ("runbook run disk-full.yaml", "walk it: probes run, evidence shown, questions asked, a record written"),
    ("runbook test --min-coverage 100", "play its test cases and count the edges they cover"),
    ("runbook render disk-full.yaml > disk-full.md", "a document a colleague can follow without the tool"),
];

/// `runbook(1)` in roff: the page clap_mangen renders for the top
/// command, then a section per command (its synopsis, description,
/// options and examples, as `COMMAND --help` shows them), the exit status,
/// the environment and examples. clap_mangen's own COMMANDS list points at
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
    for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
        page.push_str(&command_section(sub)?);
    }
    page.push_str(".SH \"EXIT STATUS\"\nThe same for every command.\n");
    for code in ExitCode::ALL {
        let _ = write!(page, ".TP\n\\fB{}\\fR\n{}\n", code.as_u8(), literal(code.meaning()));
    }
    page.push_str(".SH ENVIRONMENT\n");
    for (name, meaning) in ENVIRONMENT {
        let _ = write!(page, ".TP\n\\fB{name}\\fR\n{}\n", literal(meaning));
    }
    page.push_str(".SH EXAMPLES\n");
    for (example, what) in EXAMPLES {
        let _ = write!(page, ".TP\n\\fB{}\\fR\n{}\n", literal(example), literal(what));
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
    Ok(page)
}

/// `.SH "RUNBOOK RUN"` and, as its subsections, what `runbook run --help`
/// shows: synopsis, description, options by group, examples. The global
/// `--color` is left to the page's own options.
fn command_section(sub: &clap::Command) -> std::io::Result<String> {
    let title = format!("runbook {}", sub.get_name()).to_uppercase();
    let sub = sub.clone().mut_arg("color", |color| color.hide(true));
    let man = clap_mangen::Man::new(sub.clone());
    let mut roff = Vec::new();
    man.render_synopsis_section(&mut roff)?;
    man.render_description_section(&mut roff)?;
    if sub.get_arguments().any(|arg| !arg.is_hide_set()) {
        man.render_options_section(&mut roff)?;
    }
    let rendered = format!("\n{}", String::from_utf8_lossy(&roff)).replace("\n.SH ", "\n.SS ");
    let mut section = format!(".SH \"{title}\"{rendered}");
    if let Some(examples) = sub.get_after_long_help() {
        let text = examples.to_string();
        let (heading, body) = text.split_once(":\n").unwrap_or(("Examples", text.as_str()));
        let _ = write!(section, ".SS {}\n.nf\n", heading.to_uppercase());
        for line in body.lines() {
            section.push_str(&literal(line.strip_prefix("  ").unwrap_or(line)));
            section.push('\n');
        }
        section.push_str(".fi\n");
    }
    Ok(section)
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
