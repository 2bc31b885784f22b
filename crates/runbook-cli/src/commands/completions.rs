//! `runbook completions SHELL`: the shell's completion script, generated
//! from the same clap definition as `--help`.

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
    print_stdout(&String::from_utf8_lossy(&script))
}
