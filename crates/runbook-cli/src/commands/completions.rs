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
    for (subcommand, values) in positional_values() {
        match shell {
            // clap_complete's bash script offers the values at every word
            // after the subcommand: after `runbook explain RB112`, only the
            // options are left.
            Shell::Bash => script = bash_values_once(&script, &subcommand, &values),
            // clap_complete's fish script offers no value for a positional
            // argument: fish would list file names after `runbook completions`
            // or `runbook explain`. Offered for the first word after the
            // subcommand only.
            Shell::Fish => {
                let _ = writeln!(
                    script,
                    "complete -c runbook -n \"__fish_runbook_using_subcommand {subcommand}; and test (count \
                     (commandline -opc)) -eq 2\" -f -a \"{}\"",
                    values.join(" ")
                );
            }
            Shell::Zsh | Shell::Powershell => {}
        }
    }
    print_stdout(&script)
}

/// Each subcommand's positional argument that takes one of a list of
/// values (`explain CODE`, `completions SHELL`), with the values shown.
fn positional_values() -> Vec<(String, Vec<String>)> {
    let command = Cli::command();
    let mut found = Vec::new();
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
                found.push((subcommand.get_name().to_owned(), values));
            }
        }
    }
    found
}

/// `script` with the last completion of `subcommand`'s case (the one for
/// any word past the first after it) offering its options but not `values`.
fn bash_values_once(script: &str, subcommand: &str, values: &[String]) -> String {
    const ANY_WORD: &str = "COMPREPLY=( $(compgen -W \"${opts}\" -- \"${cur}\") )";
    let Some(start) = script.find(&format!("        runbook__subcmd__{subcommand})\n")) else {
        return script.to_owned();
    };
    let Some(end) = script[start..].find("\n            ;;\n").map(|end| start + end) else {
        return script.to_owned();
    };
    let Some(last) = script[start..end].rfind(ANY_WORD).map(|last| start + last) else {
        return script.to_owned();
    };
    // `opts` lists the options, then the values: cut it at the first value.
    let options = format!("COMPREPLY=( $(compgen -W \"${{opts%% {}*}}\" -- \"${{cur}}\") )", values[0]);
    format!("{}{options}{}", &script[..last], &script[last + ANY_WORD.len()..])
}
