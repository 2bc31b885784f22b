//! `runbook completions SHELL`: the shell's completion script, generated
//! from the same clap definition as `--help`.

use std::fmt::Write as _;

use clap::CommandFactory;

use super::print_stdout;
use crate::cli::{Cli, Shell};
use crate::exit_code::ExitCode;

pub(super) fn run(shell: Shell) -> ExitCode {
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(generator, &mut Cli::command(), "runbook", &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == Shell::Fish {
        // clap_complete's fish script offers no value for a positional
        // argument: fish would list file names after `runbook completions`
        // or `runbook explain`.
        let command = Cli::command();
        for subcommand in command.get_subcommands() {
            for positional in subcommand.get_positionals() {
                let values: Vec<String> = positional
                    .get_value_parser()
                    .possible_values()
                    .into_iter()
                    .flatten()
                    .filter(|value| !value.is_hide_set())
                    .map(|value| value.get_name().to_owned())
                    .collect();
                if !values.is_empty() {
                    let _ = writeln!(
                        script,
                        "complete -c runbook -n \"__fish_runbook_using_subcommand {}\" -f -a \"{}\"",
                        subcommand.get_name(),
                        values.join(" ")
                    );
                }
            }
        }
    }
    print_stdout(&script)
}
